"""The libp2p host key and peer IDs, against the libp2p peer-ids spec vector and RFC 8032 §7.1.

Vectors: libp2p's peer-ids spec Ed25519 key (seed ``7e0830…``, peer ID ``12D3KooWBtg3…``, as
rust-libp2p's ``keypair_protobuf_roundtrip_ed25519``) and RFC 8032 §7.1 TEST 1.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from multiformats import multibase

from pylotus.repo import (
    HOST_KEY_NAME,
    KeyInfo,
    Keystore,
    KeystoreError,
    ensure_host_key,
    peer_id_of_host_key,
    peer_id_of_seed,
    peer_id_text,
)


def _public_key_of(peer_id: str) -> bytes:
    multihash = multibase.get("base58btc").raw_decoder(peer_id)
    assert multihash[:6] == bytes.fromhex("002408011220")  # identity, 36 bytes, Ed25519, 32 bytes
    return bytes(multihash[6:])


def test_peer_id_of_the_libp2p_spec_key() -> None:
    seed = bytes.fromhex("7e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d")
    assert peer_id_text(peer_id_of_seed(seed)) == "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"


def test_ed25519_public_key_of_rfc8032_test1() -> None:
    seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    public = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    assert _public_key_of(peer_id_text(peer_id_of_seed(seed))) == public


def test_host_key_is_created_once_and_keeps_its_peer_id(tmp_path: Path) -> None:
    keystore_dir = tmp_path / "keystore"
    keystore_dir.mkdir(mode=0o700)
    keystore = Keystore(keystore_dir)
    first = ensure_host_key(keystore)
    assert peer_id_text(first).startswith("12D3KooW")
    stored = keystore.get(HOST_KEY_NAME)
    assert stored.type == "libp2p-host"
    assert stored.private_key[:4] == bytes.fromhex("08011240") and len(stored.private_key) == 68
    assert ensure_host_key(keystore) == first


def test_a_damaged_host_key_is_refused() -> None:
    good = bytes.fromhex("08011240") + bytes(64)
    with pytest.raises(KeystoreError, match="public key does not match"):
        peer_id_of_host_key(good)
    with pytest.raises(KeystoreError, match="not a marshalled Ed25519"):
        peer_id_of_host_key(KeyInfo("libp2p-host", b"\x08\x00").private_key)
