"""Fr32 padding in memory: 127 bytes of data become 128 bytes of BLS12-381 field elements.

Counterpart: rust-fil-proofs ``fr32/src/reader.rs`` and ``padding.rs``, Lotus
``storage/sealer/fr32/fr32.go`` (reference/proofs.md §1.1).  Read 127 input bytes as one
little-endian integer X; output word k (k = 0..3) is ``(X >> 254·k) mod 2^254`` written as 32
little-endian bytes.  Every 254 bits of input thus get two zero bits on top, each 32-byte word is
below 2^254 and so a valid field element, and 1016 input bits fill exactly four words: chunks never
share a word, so a stream pads chunk by chunk.

Two implementations stand behind each direction (DESIGN.md, "proof kernels"):

- :func:`pad_reference` / :func:`unpad_reference` walk the bits one at a time, the definition
  written out.  They are slow and exist to be obviously right; tests hold the fast path to them.
- :func:`pad` / :func:`unpad` work on many chunks at once.  Python cannot shift a byte string, but it
  can shift an integer of any size: the batch is laid out as 128-byte slots (127 data bytes and a
  zero byte, so chunk k starts at bit 1024·k), read as one integer, and every slot's four fields move
  by 0, 2, 4 and 6 bits in four masked terms over the whole batch.  The masks repeat per slot and are
  built once per batch length.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Final

from .errors import InvalidFr32Length

__all__ = [
    "FR32_CHUNK_PADDED",
    "FR32_CHUNK_UNPADDED",
    "pad",
    "pad_reference",
    "unpad",
    "unpad_reference",
]

FR32_CHUNK_UNPADDED: Final = 127
"""Bytes of data per Fr32 chunk: four 254-bit fields (reference/proofs.md §1.1)."""
FR32_CHUNK_PADDED: Final = 128
"""Bytes of the same chunk after padding: four 32-byte words."""

_FIELD_BITS: Final = 254
_WORD_BITS: Final = 256
_SLOT_BITS: Final = 8 * FR32_CHUNK_PADDED
_FIELD_MASK: Final = (1 << _FIELD_BITS) - 1
# Chunks per batch of the fast path: 256 chunks = 32 KiB padded.  Measured: batches that stay in
# the CPU's L2 cache pad twice as fast as 1 MiB batches; below ~64 chunks per-batch overhead shows.
_BATCH_CHUNKS: Final = 256


def _check_length(data_len: int, chunk: int, what: str) -> None:
    if data_len % chunk:
        raise InvalidFr32Length(
            f"{what} must be a multiple of {chunk} bytes, got '{data_len}' bytes ('{data_len % chunk}' over)"
        )


# --- reference: one bit at a time ---------------------------------------------------------------


def _bits(data: bytes) -> list[int]:
    """The bit stream of ``data``: bit i is bit (i mod 8) of byte i//8, least significant first."""
    return [(byte >> i) & 1 for byte in data for i in range(8)]


def _pack(bits: list[int]) -> bytes:
    return bytes(sum(bit << i for i, bit in enumerate(bits[j : j + 8])) for j in range(0, len(bits), 8))


def pad_reference(data: bytes) -> bytes:
    """Fr32-pad ``data`` (a multiple of 127 bytes): after every 254 bits, insert two zero bits.

    The plain definition, for tests; use :func:`pad`.

    Raises:
        InvalidFr32Length: ``len(data)`` is not a multiple of 127.
    """
    _check_length(len(data), FR32_CHUNK_UNPADDED, "fr32 input")
    bits = _bits(data)
    out: list[int] = []
    for start in range(0, len(bits), _FIELD_BITS):
        out += bits[start : start + _FIELD_BITS] + [0, 0]
    return _pack(out)


def unpad_reference(padded: bytes) -> bytes:
    """Undo :func:`pad_reference`: keep the low 254 bits of every 256, drop the top two.

    Raises:
        InvalidFr32Length: ``len(padded)`` is not a multiple of 128.
    """
    _check_length(len(padded), FR32_CHUNK_PADDED, "fr32 padded input")
    bits = _bits(padded)
    out: list[int] = []
    for start in range(0, len(bits), _WORD_BITS):
        out += bits[start : start + _FIELD_BITS]
    return _pack(out)


# --- fast: whole batches as one integer -----------------------------------------------------------


def _repeated(slot_mask: int, chunks: int) -> int:
    """``slot_mask`` (one 1024-bit slot) repeated ``chunks`` times, as one integer."""
    return int.from_bytes(slot_mask.to_bytes(FR32_CHUNK_PADDED, "little") * chunks, "little")


@functools.lru_cache(maxsize=8)
def _field_masks(chunks: int, padded_layout: bool) -> tuple[int, int, int, int]:
    """Per slot, the bits of field k: at 254·k (data layout) or 256·k (padded layout)."""
    stride = _WORD_BITS if padded_layout else _FIELD_BITS
    m0, m1, m2, m3 = (_repeated(_FIELD_MASK << (stride * k), chunks) for k in range(4))
    return m0, m1, m2, m3


def _pad_batch(data: bytes | memoryview) -> bytes:
    chunks = len(data) // FR32_CHUNK_UNPADDED
    # One zero byte after every 127 data bytes: chunk k now starts at bit 1024·k of the integer.
    slots = (
        b"\x00".join([data[i : i + FR32_CHUNK_UNPADDED] for i in range(0, len(data), FR32_CHUNK_UNPADDED)])
        + b"\x00"
    )
    x = int.from_bytes(slots, "little")
    m0, m1, m2, m3 = _field_masks(chunks, False)
    y = (x & m0) | ((x & m1) << 2) | ((x & m2) << 4) | ((x & m3) << 6)
    return y.to_bytes(chunks * FR32_CHUNK_PADDED, "little")


def _unpad_batch(padded: bytes | memoryview) -> bytes:
    chunks = len(padded) // FR32_CHUNK_PADDED
    x = int.from_bytes(padded, "little")
    m0, m1, m2, m3 = _field_masks(chunks, True)
    y = (x & m0) | ((x & m1) >> 2) | ((x & m2) >> 4) | ((x & m3) >> 6)
    slots = y.to_bytes(chunks * FR32_CHUNK_PADDED, "little")
    # The top byte of every slot is now zero: drop it.
    return b"".join([slots[i : i + FR32_CHUNK_UNPADDED] for i in range(0, len(slots), FR32_CHUNK_PADDED)])


def _batched(
    data: bytes | bytearray | memoryview, chunk: int, step: Callable[[bytes | memoryview], bytes]
) -> bytes:
    view = memoryview(data)
    batch = chunk * _BATCH_CHUNKS
    if len(view) <= batch:
        return step(view) if len(view) else b""
    return b"".join([step(view[i : i + batch]) for i in range(0, len(view), batch)])


def pad(data: bytes | bytearray | memoryview) -> bytes:
    """Fr32-pad ``data`` (a multiple of 127 bytes) into ``len(data)/127·128`` bytes.

    Raises:
        InvalidFr32Length: ``len(data)`` is not a multiple of 127.
    """
    _check_length(len(data), FR32_CHUNK_UNPADDED, "fr32 input")
    return _batched(data, FR32_CHUNK_UNPADDED, _pad_batch)


def unpad(padded: bytes | bytearray | memoryview) -> bytes:
    """Undo :func:`pad`: ``len(padded)/128·127`` bytes; the two top bits of each word are ignored.

    Raises:
        InvalidFr32Length: ``len(padded)`` is not a multiple of 128.
    """
    _check_length(len(padded), FR32_CHUNK_PADDED, "fr32 padded input")
    return _batched(padded, FR32_CHUNK_PADDED, _unpad_batch)
