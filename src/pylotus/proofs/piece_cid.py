"""Piece CID v2 (FRC-0069): the CommP, the tree height and the payload size in one CID.

Counterpart: go-fil-commcid ``commcid.go`` ``DataCommitmentToPieceCidv2``, reference/proofs.md §2.4.
A v1 piece CID (``baga6ea4sea…``, built by :func:`pylotus.abi.piece_commitment_to_cid`) carries only
the 32-byte root; v2 (``bafkzcib…``) is a CIDv1 with codec ``raw`` (0x55) and multihash
``fr32-sha256-trunc254-padbintree`` (0x1011) whose digest is ``uvarint(padding) ‖ height ‖ root``:
``height`` is the tree height (``32·2^height`` padded bytes) and ``padding`` the zero bytes the
payload was filled with before Fr32, so the payload size can be read back.

One side effect on import, global and documented here as :mod:`pylotus.abi.cids` does for Poseidon:
the multiformats tables lack the 0x1011 multihash, and multiformats refuses to build a CID over an
unknown one.  We register its name and a stand-in that refuses to *compute* (the digest is built
here from a CommP, never by multiformats), which lets the library wrap and decode such CIDs.
"""

from __future__ import annotations

from typing import Final

from multiformats import CID, multicodec, multihash, varint
from multiformats.multihash import raw as multihash_raw
from multiformats.varint import BytesLike

from .errors import PayloadTooSmall

__all__ = ["FR32_SHA256_TRUNC254_PADBINTREE", "piece_cid_v2"]

FR32_SHA256_TRUNC254_PADBINTREE: Final = 0x1011
"""The multihash of v2 piece CIDs (multicodec table, FRC-0069)."""

_NAME: Final = "fr32-sha256-trunc254-padbintree"
_MIN_V2_PAYLOAD: Final = 127  # go-fil-commcid refuses smaller payloads
_NODE_SIZE: Final = 32


def _not_computed_here(data: BytesLike, size: int | None = None) -> bytes:
    raise RuntimeError(f"{_NAME} digests are built by pylotus.proofs from a CommP, not hashed")


if not multicodec.exists(_NAME):
    multicodec.register(
        multicodec.Multicodec(
            _NAME, "multihash", FR32_SHA256_TRUNC254_PADBINTREE, "draft", "FRC-0069 piece multihash"
        )
    )
if not multihash.is_implemented(_NAME):
    multihash_raw.register(_NAME, _not_computed_here, None)


def piece_cid_v2(commitment: bytes, padded_size: int, payload_size: int) -> CID:
    """The FRC-0069 piece CID of a CommP over ``payload_size`` bytes in a ``padded_size`` tree.

    Args:
        commitment: the 32-byte CommP root.
        padded_size: the piece's padded size, a power of two (the tree has ``padded_size/32`` leaves).
        payload_size: bytes of data before zero fill and Fr32, at least 127.

    Raises:
        PayloadTooSmall: ``payload_size`` is under 127 bytes (v2 is not defined there).
    """
    if payload_size < _MIN_V2_PAYLOAD:
        raise PayloadTooSmall(
            f"piece cid v2 needs a payload of at least {_MIN_V2_PAYLOAD} bytes, got '{payload_size}'"
        )
    height = padded_size.bit_length() - 1 - (_NODE_SIZE.bit_length() - 1)
    padding = padded_size // 128 * 127 - payload_size
    digest = varint.encode(padding) + bytes([height]) + bytes(commitment)
    multihash_bytes = varint.encode(FR32_SHA256_TRUNC254_PADBINTREE) + varint.encode(len(digest)) + digest
    return CID("base32", 1, "raw", multihash_bytes)
