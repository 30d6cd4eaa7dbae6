"""Public chat counts visitors by network: an IPv4 address, or an IPv6 /64 (one subscriber's, whole)."""

from __future__ import annotations

from typing import Any

import pytest
from parley.services.public_chat import network_of


@pytest.mark.parametrize(
    ("address", "network"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:7:9::1", "2001:db8:7:9::/64"),
        ("2001:db8:7:9:ffff:ffff:ffff:fffe", "2001:db8:7:9::/64"),
        ("2001:db8:7:a::1", "2001:db8:7:a::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("", "unknown"),
    ],
)
def test_network_of_an_address(address: Any, network: Any) -> None:
    assert network_of(address) == network
