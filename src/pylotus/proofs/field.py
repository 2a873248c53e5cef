"""The BLS12-381 scalar field Fr: the values every sealing tree node and label lives in.

Counterpart: blstrs ``Scalar`` as rust-fil-proofs uses it (reference/proofs.md §3.7, §4.1).  An
element is serialised as 32 bytes, little endian, canonical: a 32-byte value ≥ r is *refused*, never
reduced (neptune's ``from_repr_vartime``); SHA-256 outputs become elements by clearing the top two bits
of byte 31 (``trunc254``), which always yields a value < 2^254 < r.
"""

from __future__ import annotations

from typing import Final

from .errors import InvalidFieldElement

__all__ = [
    "FR_MODULUS",
    "FR_SIZE",
    "fr_add",
    "fr_from_bytes",
    "fr_sub",
    "fr_to_bytes",
    "trunc254",
]

FR_MODULUS: Final = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
"""r, the order of the BLS12-381 scalar field (255 bits)."""

FR_SIZE: Final = 32
"""Bytes of one serialised element."""


def fr_from_bytes(data: bytes | bytearray | memoryview, what: str = "field element") -> int:
    """The element whose canonical little-endian form is ``data`` (32 bytes).

    Raises:
        InvalidFieldElement: ``data`` is not 32 bytes, or encodes a value ≥ r.
    """
    if len(data) != FR_SIZE:
        raise InvalidFieldElement(f"{what} must be '{FR_SIZE}' bytes, got '{len(data)}'")
    value = int.from_bytes(data, "little")
    if value >= FR_MODULUS:
        raise InvalidFieldElement(f"{what} '{bytes(data).hex()}' is not below the field modulus")
    return value


def fr_to_bytes(value: int) -> bytes:
    """The canonical 32-byte little-endian form of ``value`` (which must be in ``[0, r)``)."""
    assert 0 <= value < FR_MODULUS, "field element out of range"
    return value.to_bytes(FR_SIZE, "little")


def fr_add(a: int, b: int) -> int:
    """``a + b mod r``: SDR encoding (replica = data + key)."""
    return (a + b) % FR_MODULUS


def fr_sub(a: int, b: int) -> int:
    """``a − b mod r``: SDR decoding (data = replica − key)."""
    return (a - b) % FR_MODULUS


def trunc254(digest: bytes) -> bytes:
    """A 32-byte SHA-256 output made a field element: byte 31 ``&= 0x3f`` (``bytes_into_fr_repr_safe``)."""
    return digest[:31] + bytes((digest[31] & 0x3F,))
