"""Fr32 padding: rust-fil-proofs' byte asserts, the closed form, reference = fast, streams.

Vectors: reference/proofs.md §1.1 (RFP ``fr32/src/reader.rs`` tests).
"""

from __future__ import annotations

import io
import os
import random

import pytest

from pylotus.proofs import (
    Fr32PadReader,
    Fr32PadWriter,
    Fr32UnpadReader,
    Fr32UnpadWriter,
    InvalidFr32Length,
    pad,
    pad_reference,
    unpad,
    unpad_reference,
)


@pytest.mark.parametrize("fr32_pad", [pad, pad_reference])
def test_all_ones_chunk(fr32_pad: object) -> None:
    # RFP reader.rs: 127×0xFF pads to 128 bytes; bytes 0..30 stay 0xFF, byte 31 is 0b0011_1111,
    # byte 32 is 0xFF again.
    out = fr32_pad(b"\xff" * 127)  # type: ignore[operator]
    assert len(out) == 128
    assert out[:31] == b"\xff" * 31
    assert out[31] == 0b0011_1111
    assert out[32] == 0xFF
    # Every 32-byte word is below 2^254: the top two bits of each word's last byte are zero.
    assert [out[i] >> 6 for i in (31, 63, 95, 127)] == [0, 0, 0, 0]


def test_byte_level_layout() -> None:
    # reference/proofs.md §1.1: out[0..31) = in[0..31); out[31] = in[31] & 0x3f; bytes 32..63 are
    # the input shifted left by 2 bits, 64..95 by 4, 96..127 by 6; out[127] = in[126] >> 2.
    data = bytes(random.Random(7).randbytes(127))
    out = pad(data)
    assert out[:31] == data[:31]
    assert out[31] == data[31] & 0x3F
    assert out[32] == ((data[32] << 2) | (data[31] >> 6)) & 0xFF
    assert out[64] == ((data[63] >> 4) | (data[64] << 4)) & 0xFF
    assert out[127] == data[126] >> 2


def test_closed_form() -> None:
    # Word k of a chunk is (X >> 254·k) mod 2^254 with X the chunk as a little-endian integer.
    data = bytes(random.Random(8).randbytes(127))
    x = int.from_bytes(data, "little")
    out = pad(data)
    for k in range(4):
        assert out[32 * k : 32 * k + 32] == ((x >> (254 * k)) % (1 << 254)).to_bytes(32, "little")


@pytest.mark.parametrize("chunks", [0, 1, 2, 3, 5, 31, 255, 256, 257, 1000])
def test_reference_equals_fast(chunks: int) -> None:
    data = os.urandom(127 * chunks)
    padded = pad(data)
    if chunks <= 31:  # the bit-by-bit reference is slow
        assert padded == pad_reference(data)
        assert unpad_reference(padded) == data
    assert len(padded) == 128 * chunks
    assert unpad(padded) == data


def test_unpad_ignores_the_two_top_bits() -> None:
    data = os.urandom(127 * 3)
    dirty = bytearray(pad(data))
    for i in range(31, len(dirty), 32):
        dirty[i] |= 0xC0
    assert unpad(bytes(dirty)) == data
    assert unpad_reference(bytes(dirty)) == data


@pytest.mark.parametrize("fn,size", [(pad, 126), (pad, 128), (unpad, 127), (pad_reference, 1)])
def test_partial_chunks_are_refused(fn: object, size: int) -> None:
    with pytest.raises(InvalidFr32Length, match=f"got '{size}' bytes"):
        fn(bytes(size))  # type: ignore[operator]


@pytest.mark.parametrize("chunks", [0, 1, 8191, 8192, 8193, 20000])
def test_pad_and_unpad_readers_round_trip(chunks: int) -> None:
    data = os.urandom(127 * chunks)
    padded = Fr32PadReader(io.BytesIO(data)).read()
    assert padded == pad(data)
    # Read back through the unpad reader in odd-sized reads.
    reader = Fr32UnpadReader(io.BytesIO(padded))
    parts = []
    while part := reader.read(5000):
        parts.append(part)
    assert b"".join(parts) == data


@pytest.mark.parametrize("chunks", [0, 1, 8192, 20001])
def test_pad_and_unpad_writers_round_trip(chunks: int) -> None:
    data = os.urandom(127 * chunks)
    padded = io.BytesIO()
    writer = Fr32PadWriter(padded)
    for start in range(0, len(data), 3001):
        writer.write(data[start : start + 3001])
    writer.close()
    assert padded.getvalue() == pad(data)
    assert not padded.closed  # the writer does not close what it wraps

    plain = io.BytesIO()
    with Fr32UnpadWriter(plain) as unpadder:
        unpadder.write(padded.getvalue())
    assert plain.getvalue() == data


def test_streams_refuse_a_partial_chunk() -> None:
    with pytest.raises(InvalidFr32Length, match="'3' bytes into a 127-byte chunk"):
        Fr32PadReader(io.BytesIO(bytes(127 + 3))).read()
    writer = Fr32UnpadWriter(io.BytesIO())
    writer.write(bytes(130))
    with pytest.raises(InvalidFr32Length, match="'2' bytes into a 128-byte chunk"):
        writer.close()
