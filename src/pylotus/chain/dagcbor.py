"""DAG-CBOR, the byte form of every chain object, and the CIDs of its blocks.

Counterparts: Lotus's generated ``chain/types/cbor_gen.go`` (whyrusleeping/cbor-gen), the IPLD
DAG-CBOR spec, and go-state-types ``abi.CidBuilder`` (CIDv1, codec dag-cbor ``0x71``, multihash
blake2b-256 ``0xb220``), reference/api-examples.md §4.1.

A chain object is hashed, so it must have exactly one encoding.  The rules of this file:

* :func:`encode` writes canonical DAG-CBOR through cbor2: definite lengths, minimal integer and
  length headers, map keys (strings only) sorted length-first then bytewise, no floats, no tags but
  42, integers within CBOR's 64-bit range (DAG-CBOR has no bignums; Filecoin's big integers are byte
  strings, see :mod:`pylotus.chain.bigint`);
* a CID is tag 42 around a byte string holding ``0x00`` (the identity multibase prefix) and the
  CID's bytes, in both directions;
* :func:`decode` accepts only what :func:`encode` would write: it decodes with cbor2, converts tag 42
  to a :class:`~multiformats.CID`, refuses any other tag, float, simple value or non-string map key,
  then encodes the result again and refuses the input unless the bytes are identical.  That one
  comparison catches every non-canonical form (a 2-byte header for 5, unsorted keys, a bignum tag,
  trailing bytes) without a second parser, so a value we accept has one encoding and one CID.
  cbor-gen refuses non-minimal headers the same way (``cbor input was not canonical``).

No I/O, no state: bytes in, values out.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Final, TypeAlias

import cbor2
from multiformats import CID, multihash

from .errors import InvalidCbor

__all__ = ["CID_TAG", "IpldValue", "block_cid", "decode", "encode"]

IpldValue: TypeAlias = (
    None
    | bool
    | int
    | bytes
    | str
    | CID
    | list["IpldValue"]
    | tuple["IpldValue", ...]
    | dict[str, "IpldValue"]
)
"""A value of the IPLD data model as chain objects use it (``tuple`` encodes as a list)."""

CID_TAG: Final = 42
"""The CBOR tag of a CID link (IPLD DAG-CBOR spec, multicodec ``cidv1`` registration)."""

_CID_PREFIX: Final = b"\x00"  # the identity multibase, as go-ipld-cbor writes it inside tag 42
_UINT64_MAX: Final = 2**64 - 1
_NEGATIVE_MIN: Final = -(2**64)  # major type 1 holds -1 - n for n < 2^64
_BLAKE2B_256_BYTES: Final = 32
_MAX_DEPTH: Final = 256  # nesting a chain object never reaches; a bound for hostile input


def encode(value: IpldValue) -> bytes:
    """The canonical DAG-CBOR bytes of ``value``.

    Raises:
        InvalidCbor: ``value`` holds something DAG-CBOR cannot carry: a float, an integer outside
            ``-2^64 .. 2^64-1``, a map key that is not a string, or an object of another type.
    """
    return bytes(cbor2.dumps(_to_cbor2(value, 0), canonical=True))


def decode(data: bytes) -> IpldValue:
    """The one value ``data`` encodes, refusing anything :func:`encode` would not have written.

    Raises:
        InvalidCbor: truncated or malformed CBOR, indefinite lengths, duplicate map keys, a tag other
            than 42, a float or simple value, a non-string map key, a bad CID, a non-canonical
            encoding, or bytes after the value.
    """
    data = bytes(data)
    try:
        raw = cbor2.loads(data, allow_indefinite=False, allow_duplicate_keys=False, max_depth=_MAX_DEPTH)
    # The foreign boundary: every cbor2 refusal is a CBORDecodeError (EOF and value errors included).
    except cbor2.CBORDecodeError as exc:
        raise InvalidCbor(f"invalid cbor: {_reason(exc)}") from exc
    value = _from_cbor2(raw)
    again = encode(value)
    if again != data:
        if data.startswith(again):
            raise InvalidCbor(f"invalid cbor: {len(data) - len(again)} bytes after the end of the value")
        raise InvalidCbor("cbor input was not canonical dag-cbor (non-minimal header or unsorted map keys)")
    return value


def block_cid(data: bytes) -> CID:
    """The CID of a DAG-CBOR block: CIDv1, codec dag-cbor, blake2b-256 (``abi.CidBuilder.Sum``).

    Its bytes start ``01 71 a0 e4 02 20``; its string is base32, ``bafy2bzace…``.
    """
    digest = hashlib.blake2b(data, digest_size=_BLAKE2B_256_BYTES).digest()
    return CID("base32", 1, "dag-cbor", multihash.wrap(digest, "blake2b-256"))


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:1].lower() + text[1:]


def _to_cbor2(value: IpldValue, depth: int) -> object:
    """``value`` with CIDs as tag 42 and int/str subclasses (enums) as plain values, checked."""
    if depth > _MAX_DEPTH:
        raise InvalidCbor(f"value nests deeper than {_MAX_DEPTH} levels")
    if value is None or value is True or value is False:
        return value
    if isinstance(value, int):
        if not _NEGATIVE_MIN <= value <= _UINT64_MAX:
            raise InvalidCbor(
                f"integer '{value}' does not fit cbor's 64-bit integers; dag-cbor has no bignums"
            )
        return int(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, CID):
        return cbor2.CBORTag(CID_TAG, _CID_PREFIX + bytes(value))
    if isinstance(value, (list, tuple)):
        return [_to_cbor2(item, depth + 1) for item in value]
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidCbor(f"dag-cbor map keys must be strings, got {type(key).__name__}")
            out[str(key)] = _to_cbor2(item, depth + 1)
        return out
    raise InvalidCbor(f"cannot encode a value of type {type(value).__name__} as dag-cbor")


def _from_cbor2(raw: object) -> IpldValue:
    """cbor2's decoded value as an :data:`IpldValue`, refusing what DAG-CBOR does not allow."""
    if raw is None or isinstance(raw, (bool, int, bytes, str)):
        return raw
    if isinstance(raw, list):
        return [_from_cbor2(item) for item in raw]
    if isinstance(raw, dict):
        out: dict[str, IpldValue] = {}
        for key, item in raw.items():
            if not isinstance(key, str):
                raise InvalidCbor(
                    f"invalid cbor: dag-cbor map keys must be strings, got {type(key).__name__}"
                )
            out[key] = _from_cbor2(item)
        return out
    if isinstance(raw, cbor2.CBORTag):
        if raw.tag != CID_TAG:
            raise InvalidCbor(f"invalid cbor: tag '{raw.tag}' is not allowed in dag-cbor, only 42 (cid)")
        return _cid_from_tag(raw.value)
    if isinstance(raw, float):
        raise InvalidCbor("invalid cbor: floats are not allowed in chain objects")
    # cbor2 decodes a few tags itself (bignums, dates, decimals, sets…) and simple values to objects.
    raise InvalidCbor(
        f"invalid cbor: a {type(raw).__name__} (a tag other than 42, or a simple value) "
        "is not allowed in dag-cbor"
    )


def _cid_from_tag(content: object) -> CID:
    if not isinstance(content, bytes) or not content.startswith(_CID_PREFIX):
        raise InvalidCbor("invalid cbor: tag 42 must hold a byte string starting 0x00 and a cid")
    return _decode_cid(content)


@functools.lru_cache(maxsize=65536)
def _decode_cid(content: bytes) -> CID:
    """A tag-42 CID, decoded once per distinct bytes: multiformats validates every CID it builds,
    which made decoding a state with a few thousand CIDs (sectors, deals) cost milliseconds each
    time; CIDs are immutable, so one object serves every decode of the same bytes."""
    try:
        cid = CID.decode(content[1:])
    # multiformats raises ValueError/KeyError subclasses for bad varints, codecs and multihashes.
    except (ValueError, KeyError, IndexError) as exc:
        raise InvalidCbor(f"invalid cbor: tag 42 holds an invalid cid: {_reason(exc)}") from exc
    return cid.set(base="base32") if cid.version == 1 else cid
