"""Commitment CIDs (CommP, CommD, CommR) and the Lotus JSON form of any CID.

Counterpart: ``filecoin-project/go-fil-commcid`` ``commcid.go`` (reference/proofs.md §2.4).  A 32-byte
commitment travels as a CIDv1 whose codec says what was committed and whose multihash says how:

=============  ==========================================  =============================================
commitment     codec                                       multihash
=============  ==========================================  =============================================
CommP / CommD  ``fil-commitment-unsealed`` 0xf101          ``sha2-256-trunc254-padded`` 0x1012
CommR          ``fil-commitment-sealed`` 0xf102            ``poseidon-bls12_381-a2-fc1`` 0xb401
=============  ==========================================  =============================================

so strings start ``baga6ea4sea…`` (unsealed) and ``bagboea4b5abc…`` (sealed).  Lotus prints every v1 CID
in base32 and every v0 CID in base58btc; :func:`parse_cid` normalises to that, whatever base came in.

One side effect on import, documented here because it is global: the multiformats library knows the
Poseidon multihash code but has no implementation for it, and refuses to build or decode a CID with
an unimplemented hash.  We register a stand-in that refuses to *compute* (CommR is computed by
``proofs/``, never through multiformats) so that wrapping and reading existing digests works.  A later
real implementation may replace it with ``overwrite=True``.
"""

from __future__ import annotations

from typing import Final

from multiformats import CID, multihash, varint
from multiformats.multihash import raw as multihash_raw
from multiformats.varint import BytesLike

from .errors import InvalidCid, described, quoted
from .json_types import JsonObject, JsonValue

__all__ = [
    "FIL_COMMITMENT_SEALED",
    "FIL_COMMITMENT_UNSEALED",
    "POSEIDON_BLS12_381_A2_FC1",
    "SHA2_256_TRUNC254_PADDED",
    "cid_from_json",
    "cid_to_commd",
    "cid_to_commr",
    "cid_to_json",
    "cid_to_piece_commitment",
    "commd_to_cid",
    "commr_to_cid",
    "parse_cid",
    "piece_commitment_to_cid",
]

# go-fil-commcid / the multicodec table (reference/proofs.md §2.4).
FIL_COMMITMENT_UNSEALED: Final = 0xF101
FIL_COMMITMENT_SEALED: Final = 0xF102
SHA2_256_TRUNC254_PADDED: Final = 0x1012
POSEIDON_BLS12_381_A2_FC1: Final = 0xB401

_COMMITMENT_BYTES: Final = 32
_POSEIDON_NAME: Final = "poseidon-bls12_381-a2-fc1"


def _poseidon_not_here(data: BytesLike, size: int | None = None) -> bytes:
    raise RuntimeError(
        "poseidon-bls12_381-a2-fc1 is computed by pylotus.proofs; abi only wraps CommR digests"
    )


if not multihash.is_implemented(_POSEIDON_NAME):
    multihash_raw.register(_POSEIDON_NAME, _poseidon_not_here, _COMMITMENT_BYTES)


def _canonical(cid: CID) -> CID:
    """The CID in the base Lotus prints it in: base32 for v1, base58btc for v0 (go-cid ``String``)."""
    return cid.set(base="base32") if cid.version == 1 else cid.set(base="base58btc")


def parse_cid(text: str) -> CID:
    """Parse any CID string (any multibase, v0 or v1), in Lotus's printing base.

    Raises:
        InvalidCid: ``invalid cid '<text>': <reason from the decoder>``.
    """
    if not isinstance(text, str):
        raise InvalidCid(f"cid must be a string, got {described(text)}")
    try:
        cid = CID.decode(text)
    # The foreign boundary: multiformats and its `bases` dependency raise ValueError subclasses
    # (bad base, bad characters, bad version) and KeyError subclasses (unknown multibase, codec or
    # multihash); a bare multibase prefix ("b", "z") makes it index past the end (IndexError).
    except (ValueError, KeyError, IndexError) as exc:
        reason = str(exc).strip("'\"").rstrip(".") or type(exc).__name__
        if reason[1:2].islower():  # "Empty string…" → "empty string…", but keep "CID versions…"
            reason = reason[:1].lower() + reason[1:]
        raise InvalidCid(f"invalid cid {quoted(text)}: {reason}") from exc
    return _canonical(cid)


def _commitment_to_cid(codec: str, hash_code: int, commitment: bytes) -> CID:
    if len(commitment) != _COMMITMENT_BYTES:
        raise InvalidCid(f"commitment {quoted(bytes(commitment))} must be 32 bytes, got {len(commitment)}")
    digest = varint.encode(hash_code) + varint.encode(_COMMITMENT_BYTES) + bytes(commitment)
    return CID("base32", 1, codec, digest)


def _cid_to_commitment(cid: CID | str, codec: str, hash_code: int, what: str) -> bytes:
    parsed = parse_cid(cid) if isinstance(cid, str) else cid
    if parsed.version != 1:
        raise InvalidCid(f"cid {quoted(str(parsed))} is not {what}: cid version 0")
    if parsed.codec.name != codec:
        raise InvalidCid(f"cid {quoted(str(parsed))} is not {what}: codec {parsed.codec.name}, want {codec}")
    if parsed.hashfun.code != hash_code:
        raise InvalidCid(
            f"cid {quoted(str(parsed))} is not {what}: multihash {parsed.hashfun.name}, "
            f"want {multihash.get(code=hash_code).name}"
        )
    if len(parsed.raw_digest) != _COMMITMENT_BYTES:
        raise InvalidCid(
            f"cid {quoted(str(parsed))} is not {what}: digest is {len(parsed.raw_digest)} bytes, want 32"
        )
    return bytes(parsed.raw_digest)


def commd_to_cid(commd: bytes) -> CID:
    """The ``baga6ea4sea…`` CID of a 32-byte CommD (or CommP): go-fil-commcid ``DataCommitmentV1ToCID``.

    Raises:
        InvalidCid: ``commd`` is not 32 bytes.
    """
    return _commitment_to_cid("fil-commitment-unsealed", SHA2_256_TRUNC254_PADDED, commd)


def commr_to_cid(commr: bytes) -> CID:
    """The ``bagboea4b5abc…`` CID of a 32-byte CommR: go-fil-commcid ``ReplicaCommitmentV1ToCID``.

    Raises:
        InvalidCid: ``commr`` is not 32 bytes.
    """
    return _commitment_to_cid("fil-commitment-sealed", POSEIDON_BLS12_381_A2_FC1, commr)


def cid_to_commd(cid: CID | str) -> bytes:
    """The 32-byte CommD (or CommP) inside an unsealed-commitment CID (``CIDToDataCommitmentV1``).

    Raises:
        InvalidCid: not a CID, or not codec 0xf101 with multihash 0x1012 and a 32-byte digest.
    """
    return _cid_to_commitment(
        cid, "fil-commitment-unsealed", SHA2_256_TRUNC254_PADDED, "an unsealed commitment"
    )


def cid_to_commr(cid: CID | str) -> bytes:
    """The 32-byte CommR inside a sealed-commitment CID (``CIDToReplicaCommitmentV1``).

    Raises:
        InvalidCid: not a CID, or not codec 0xf102 with multihash 0xb401 and a 32-byte digest.
    """
    return _cid_to_commitment(cid, "fil-commitment-sealed", POSEIDON_BLS12_381_A2_FC1, "a sealed commitment")


def piece_commitment_to_cid(commp: bytes) -> CID:
    """The piece CID of a 32-byte CommP (``PieceCommitmentV1ToCID``): CommP and CommD share a codec."""
    return commd_to_cid(commp)


def cid_to_piece_commitment(cid: CID | str) -> bytes:
    """The 32-byte CommP inside a piece CID (``CIDToPieceCommitmentV1``)."""
    return cid_to_commd(cid)


def cid_to_json(cid: CID) -> JsonObject:
    """The Lotus wire form of a CID, ``{"/": "bafy…"}`` (go-cid ``MarshalJSON``)."""
    return {"/": str(_canonical(cid))}


def cid_from_json(obj: JsonValue) -> CID:
    """Read ``{"/": "bafy…"}`` (go-cid ``UnmarshalJSON``).

    Raises:
        InvalidCid: not an object with exactly the key ``"/"`` holding a valid CID string.
    """
    if not isinstance(obj, dict) or set(obj) != {"/"}:
        raise InvalidCid(f'cid must be a json object {{"/": "<cid>"}}, got {described(obj)}')
    text = obj["/"]
    if not isinstance(text, str):
        raise InvalidCid(f'cid json "/" must be a string, got {described(text)}')
    return parse_cid(text)
