"""Bitfields of sector numbers: RLE+ bytes (CBOR params) and Lotus's JSON run lengths.

Counterparts: go-bitfield / ``fvm_ipld_bitfield`` (``rleplus``) and Lotus's JSON for a
``bitfield.BitField`` (a list of run lengths, alternately unset and set, starting with unset).

**RLE+** (Filecoin spec, "RLE+ bitset encoding"): a bit stream written least-significant bit first
into bytes: a 2-bit version ``00``, one bit giving the value of the first run, then each run's
length:

* ``1``: a run of one;
* ``01`` then 4 bits: a run of 2 to 15;
* ``00`` then an unsigned LEB128 varint, 8 bits a byte: a run of 16 or more.

The last run is always a set run (trailing zeros are not written), and the empty set is zero bytes.
A decoded bitfield is materialised as a set, so :func:`decode_rle` takes a ``limit`` on the number
of members: a few bytes can describe 2^63 set bits.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from typing import Final

from pylotus.abi import JsonValue

from .errors import InvalidCbor

__all__ = [
    "decode_rle",
    "encode_rle",
    "json_contains",
    "json_count",
    "json_intervals",
    "json_members",
    "json_runs",
]

_VERSION: Final = 0


def _runs(members: Iterable[int]) -> tuple[list[int], bool]:
    """Run lengths from bit 0 and whether the first run is set; trailing unset bits dropped."""
    runs: list[int] = []
    position = 0
    for bit in sorted(set(members)):
        if bit < 0:
            raise ValueError(f"a bitfield holds non-negative numbers, not {bit}")
        if runs and bit == position:
            runs[-1] += 1
        else:
            runs += [bit - position, 1]
        position = bit + 1
    if runs and runs[0] == 0:
        return runs[1:], True
    return runs, False


def json_runs(members: Iterable[int]) -> list[JsonValue]:
    """Lotus's JSON form of a bitfield: run lengths, unset first (``[0]`` when empty)."""
    runs, first_set = _runs(members)
    out: list[JsonValue] = [0, *runs] if first_set or not runs else [*runs]
    return out


def json_intervals(runs: JsonValue) -> list[tuple[int, int]]:
    """The set runs of a bitfield in Lotus's JSON form, as ``[start, end)`` intervals, ascending.

    Never expanded: ``[0, 2^62]`` is one interval, not 2^62 numbers.

    Raises:
        ValueError: not a list of run lengths below 2^64.
    """
    if not isinstance(runs, list) or not all(
        isinstance(r, int) and not isinstance(r, bool) and 0 <= r < 2**64 for r in runs
    ):
        raise ValueError(f"a JSON bitfield is a list of run lengths, not {runs!r:.100}")
    intervals: list[tuple[int, int]] = []
    position = 0
    for index, run in enumerate(runs):
        assert isinstance(run, int)
        if index % 2 and run:
            intervals.append((position, position + run))
        position += run
    return intervals


def json_count(runs: JsonValue) -> int:
    """How many members a bitfield in Lotus's JSON form has; raises ``ValueError`` as
    :func:`json_intervals`."""
    return sum(end - start for start, end in json_intervals(runs))


def json_contains(runs: JsonValue) -> Callable[[int], bool]:
    """Membership in a bitfield in Lotus's JSON form, by bisection over its intervals (a filter of
    any size costs its runs, not its members); raises ``ValueError`` as :func:`json_intervals`."""
    intervals = json_intervals(runs)
    starts = [start for start, _ in intervals]

    def contains(number: int) -> bool:
        slot = bisect.bisect_right(starts, number) - 1
        return slot >= 0 and number < intervals[slot][1]

    return contains


def json_members(runs: JsonValue, *, limit: int) -> set[int]:
    """The members of a bitfield in Lotus's JSON form (the inverse of :func:`json_runs`).

    Raises:
        ValueError: not a list of run lengths, or more than ``limit`` members.
    """
    intervals = json_intervals(runs)
    if sum(end - start for start, end in intervals) > limit:
        raise ValueError(f"bitfield has more than {limit} members")
    return {n for start, end in intervals for n in range(start, end)}


class _Writer:
    def __init__(self) -> None:
        self.bits: list[int] = []

    def put(self, value: int, width: int) -> None:
        self.bits.extend((value >> i) & 1 for i in range(width))

    def to_bytes(self) -> bytes:
        out = bytearray((len(self.bits) + 7) // 8)
        for index, bit in enumerate(self.bits):
            out[index // 8] |= bit << (index % 8)
        return bytes(out)


def encode_rle(members: Iterable[int]) -> bytes:
    """The RLE+ bytes of a set of numbers (see the module docstring)."""
    runs, first_set = _runs(members)
    if not runs:
        return b""
    writer = _Writer()
    writer.put(_VERSION, 2)
    writer.put(int(first_set), 1)
    for length in runs:
        if length == 1:
            writer.put(1, 1)
        elif length < 16:
            writer.put(0b10, 2)  # bits 0 then 1
            writer.put(length, 4)
        else:
            writer.put(0, 2)
            while True:
                byte = length & 0x7F
                length >>= 7
                writer.put(byte | (0x80 if length else 0), 8)
                if not length:
                    break
    return writer.to_bytes()


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0
        self.total = len(data) * 8

    def get(self, width: int) -> int:
        value = 0
        for i in range(width):
            if self.position >= self.total:
                raise InvalidCbor("RLE+ bitfield ends in the middle of a run")
            byte = self.data[self.position // 8]
            value |= ((byte >> (self.position % 8)) & 1) << i
            self.position += 1
        return value

    def only_padding_left(self) -> bool:
        rest = self.data[(self.position + 7) // 8 :]
        partial = self.data[self.position // 8] >> (self.position % 8) if self.position % 8 else 0
        return partial == 0 and not any(rest)

    def varint(self) -> int:
        value, shift = 0, 0
        while True:
            byte = self.get(8)
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7
            if shift > 63:
                raise InvalidCbor("RLE+ run length overflows 64 bits")


def decode_rle(data: bytes, *, limit: int) -> set[int]:
    """The numbers set in RLE+ ``data``.

    Raises:
        InvalidCbor: not RLE+ version 0, truncated, or more than ``limit`` numbers set.
    """
    if not data:
        return set()
    reader = _Reader(data)
    if reader.get(2) != _VERSION:
        raise InvalidCbor("RLE+ bitfield has an unknown version")
    value = reader.get(1)
    members: set[int] = set()
    position = 0
    while not reader.only_padding_left():
        if reader.get(1):
            length = 1
        elif reader.get(1):
            length = reader.get(4)
        else:
            length = reader.varint()
        if length == 0:
            raise InvalidCbor("RLE+ bitfield has a run of length 0")
        if value:
            if len(members) + length > limit:
                raise InvalidCbor(f"bitfield sets more than {limit} numbers")
            members.update(range(position, position + length))
        position += length
        value ^= 1
    return members
