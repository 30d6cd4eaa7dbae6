"""What an API key is, below any storage (what it may do: tests/integration/test_role_table.py)."""

from __future__ import annotations

import hashlib

from parley.domain.api_keys import is_api_key, key_hash, new_secret, visible_prefix


def test_a_new_key_is_long_random_and_recognisable_by_its_prefix_only() -> None:
    keys = {new_secret() for _ in range(100)}

    assert len(keys) == 100
    for key in keys:
        assert is_api_key(key)
        assert len(key) >= len("sk_") + 43  # 32 bytes, url-safe base64
        assert key_hash(key) == hashlib.sha256(key.encode()).hexdigest()
        assert key.startswith(visible_prefix(key))
        assert len(visible_prefix(key)) <= 10


def test_an_access_token_is_not_taken_for_a_key() -> None:
    assert not is_api_key("eyJraWQiOiJrMSJ9.e30.sig")
