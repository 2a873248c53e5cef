"""A repo's libp2p identity: the Ed25519 host key in its keystore and the peer ID derived from it.

Counterparts: Lotus ``cmd/lotus-miner/init.go: makeHostKey`` (``crypto.GenerateEd25519Key``,
stored as keystore entry ``libp2p-host`` with KeyInfo Type ``"libp2p-host"``) and go-libp2p's key
and peer-ID encodings (libp2p peer-ids spec):

* the stored ``PrivateKey`` is the protobuf ``PrivateKey{Type: Ed25519 (1), Data: seed ‖ public
  key}``: bytes ``08 01 12 40`` then the 64 data bytes;
* the public key's protobuf is ``08 01 12 20`` then the 32 key bytes (36 bytes), short enough
  (at most 42) that the peer ID is its *identity* multihash, printed in base58btc: ``12D3KooW…``.

Both messages have one fixed layout for Ed25519, so they are written out here rather than pulling
in a protobuf runtime; :func:`peer_id_of_host_key` checks the layout when it reads.  The curve
arithmetic is the ``cryptography`` library's.
"""

from __future__ import annotations

from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from multiformats import multibase, multihash

from .errors import KeystoreError
from .keystore import KeyInfo, Keystore

__all__ = [
    "HOST_KEY_NAME",
    "HOST_KEY_TYPE",
    "ensure_host_key",
    "new_host_key",
    "peer_id_of_host_key",
    "peer_id_of_seed",
    "peer_id_text",
]

HOST_KEY_NAME: Final = "libp2p-host"
HOST_KEY_TYPE: Final = "libp2p-host"
_PRIVATE_HEADER: Final = bytes([0x08, 0x01, 0x12, 0x40])  # PrivateKey{Type: Ed25519, Data: 64 bytes}
_PUBLIC_HEADER: Final = bytes([0x08, 0x01, 0x12, 0x20])  # PublicKey{Type: Ed25519, Data: 32 bytes}


def _public(seed: bytes) -> bytes:
    key = Ed25519PrivateKey.from_private_bytes(seed)
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def peer_id_of_seed(seed: bytes) -> bytes:
    """The peer ID (multihash bytes) of the Ed25519 key with 32-byte ``seed``."""
    if len(seed) != 32:
        raise ValueError(f"ed25519 seed must be 32 bytes, got {len(seed)}")
    return bytes(multihash.get("identity").wrap(_PUBLIC_HEADER + _public(seed)))


def peer_id_text(peer: bytes) -> str:
    """A peer ID's text form: base58btc of its multihash, no multibase prefix."""
    return multibase.encode(peer, "base58btc")[1:]


def new_host_key() -> KeyInfo:
    """A fresh Ed25519 libp2p host key, as the keystore stores it."""
    seed = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return KeyInfo(HOST_KEY_TYPE, _PRIVATE_HEADER + seed + _public(seed))


def peer_id_of_host_key(marshalled: bytes) -> bytes:
    """The peer ID (multihash bytes) of a protobuf-marshalled Ed25519 private key.

    Raises:
        KeystoreError: not an Ed25519 libp2p private key, or its public half does not match.
    """
    if len(marshalled) != 68 or not marshalled.startswith(_PRIVATE_HEADER):
        raise KeystoreError(f"key '{HOST_KEY_NAME}' is not a marshalled Ed25519 private key")
    seed, public = marshalled[4:36], marshalled[36:]
    if _public(seed) != public:
        raise KeystoreError(f"key '{HOST_KEY_NAME}': its public key does not match its private key")
    return peer_id_of_seed(seed)


def ensure_host_key(keystore: Keystore) -> bytes:
    """The peer ID of the keystore's host key, creating the key first if there is none."""
    if not keystore.has(HOST_KEY_NAME):
        keystore.put(HOST_KEY_NAME, new_host_key())
    return peer_id_of_host_key(keystore.get(HOST_KEY_NAME).private_key)
