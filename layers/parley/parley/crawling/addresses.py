"""Which network addresses the fetcher may connect to: public ones only, so a website source cannot make Parley
reach its own network (the cloud's metadata service, private services, the machine itself)."""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 prefixes that carry an IPv4 address in their last 32 bits: NAT64's well-known prefix (RFC 6052) and its
# local-use one (RFC 8215). A gateway would forward them to the IPv4 address, so that is the address to judge.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


def refusal(address: str, *, allow_loopback: bool = False) -> str | None:
    """Why `address` must not be connected to, in words for the owner; None for a public address (or a loopback
    one when `allow_loopback`, which only the local stack sets)."""
    try:
        given = ipaddress.ip_address(address)
    except ValueError:
        return f"{address} is not a network address"
    ip = _effective(given)
    if ip.is_loopback:
        # Only the plain spellings (127.0.0.0/8, ::1): the local stack has no use for a translated loopback.
        return None if allow_loopback and given.is_loopback else f"{address} is this machine's own (loopback) address"
    if ip.is_link_local:
        return f"{address} is a link-local address (where cloud metadata services answer)"
    if ip.is_private:
        return f"{address} is a private or reserved address"
    # `is_global` alone lets multicast, IPv4-compatible IPv6 (::a.b.c.d) and IPv6 site-local addresses through.
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified or _site_local(ip):
        return f"{address} is not a public internet address"
    return None


def _effective(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one stands for (IPv4-mapped, NAT64 or 6to4), which is where a packet would go."""
    if isinstance(ip, ipaddress.IPv4Address):
        return ip
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if any(ip in network for network in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    return ip


def _site_local(ip: IPAddress) -> bool:
    return isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local
