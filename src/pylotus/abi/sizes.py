"""Byte sizes as people type and read them, and the five sector sizes Filecoin knows.

Lotus parses every size flag (``--sector-size``, ``--max-size``, worker memory overrides) with
go-units ``RAMInBytes`` and prints sizes two ways: ``types.SizeStr`` (``"32 GiB"``, with a space: the
``storage list``/``info``/``sealing workers`` layouts, reference/lotus-miner.md §1) and go-units
``BytesSize`` (``"32GiB"``, no space: flag defaults).  This module reproduces the three so that
pylotus reads and prints exactly what an operator used to Lotus expects.

Rules of the file:

* Units are always binary.  ``RAMInBytes`` maps ``k``/``m``/``g``/``t``/``p`` to powers of 1024 whatever
  the spelling, so ``"2kb"``, ``"2k"`` and ``"2KiB"`` are all 2048: that is go-units' behaviour, not a
  bug to fix.
* Only ASCII digits count.  Go's ``\\d`` is ASCII; Python's is not, so the regex spells ``[0-9]``.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Final, NewType

from .errors import InvalidSize, UnsupportedSectorSize, quoted

__all__ = [
    "SUPPORTED_SECTOR_SIZES",
    "SectorSize",
    "bytes_size",
    "check_sector_size",
    "parse_ram_bytes",
    "parse_sector_size",
    "size_str",
]

SectorSize = NewType("SectorSize", int)
"""A sector size in bytes that is one of :data:`SUPPORTED_SECTOR_SIZES` (go-state-types
``abi.SectorSize``).  Build one with :func:`parse_sector_size` or :func:`check_sector_size`."""

_KIB: Final = 1024

SUPPORTED_SECTOR_SIZES: Final[tuple[SectorSize, ...]] = (
    SectorSize(2 * _KIB),
    SectorSize(8 * _KIB**2),
    SectorSize(512 * _KIB**2),
    SectorSize(32 * _KIB**3),
    SectorSize(64 * _KIB**3),
)
"""The sector sizes with a registered seal proof (go-state-types ``abi/sector.go``, reference/proofs.md
§6.1), smallest first.  2KiB, 8MiB and 512MiB are the test sizes the devnet seals for real."""

# go-units size.go: sizeRegex = `(?i)^(\d+(\.\d+)*) ?([kmgtp])?i?b?$`.  fullmatch replaces ^…$
# (Python's $ would also accept a trailing newline).
_SIZE_RE: Final = re.compile(r"([0-9]+(?:\.[0-9]+)*) ?([kmgtp])?i?b?", re.IGNORECASE | re.ASCII)
_BINARY_UNITS: Final = {"k": _KIB, "m": _KIB**2, "g": _KIB**3, "t": _KIB**4, "p": _KIB**5}

# A Go int64 holds the result; anything above cannot be a size Lotus would accept.
_MAX_INT64: Final = 2**63 - 1

# Lotus chain/types/bigint.go byteSizeUnits (SizeStr), and go-units size.go binaryAbbrs (BytesSize).
_SIZE_STR_UNITS: Final = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB")
_BYTES_SIZE_UNITS: Final = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


def parse_ram_bytes(text: str) -> int:
    """Parse a human size the way go-units ``RAMInBytes`` does.

    A decimal number, an optional single space, an optional unit letter ``k m g t p`` (any case), an
    optional ``i``, an optional ``b``.  The unit is binary whatever the spelling; the result is the
    number times the unit, truncated to an integer (``"1.5k"`` is 1536).

    Args:
        text: e.g. ``"2048"``, ``"2k"``, ``"2KiB"``, ``"2 KiB"``, ``"32GiB"``.

    Returns:
        The size in bytes.

    Raises:
        InvalidSize: the text does not match, or the number is out of int64 range; the message is
            go-units' own, ``invalid size: '2XB'``.
    """
    match = _SIZE_RE.fullmatch(text)
    if match is None:
        raise InvalidSize(f"invalid size: {quoted(text)}")
    number, unit = match.groups()
    try:
        # go-units feeds the number to strconv.ParseFloat, which refuses "1.2.3" though the regex
        # lets it through.  float, not Fraction, so that rounding matches Go's float64 to the byte.
        value = float(number) * _BINARY_UNITS.get((unit or "").lower(), 1)
    except ValueError:
        raise InvalidSize(f"invalid size: {quoted(text)}") from None
    if value > _MAX_INT64:  # also catches inf from a 400-digit number
        raise InvalidSize(f"invalid size: {quoted(text)}: larger than 2^63-1 bytes")
    return int(value)


def _scale(size: int, units: tuple[str, ...]) -> tuple[float, str]:
    """Divide by 1024 while the value is ≥1024 and a larger unit is left; exact until the last step."""
    value = Fraction(size)
    index = 0
    while value >= _KIB and index + 1 < len(units):
        value /= _KIB
        index += 1
    return float(value), units[index]


def size_str(size: int) -> str:
    """Format a byte count as Lotus ``types.SizeStr`` does: ``"%.4g %s"`` with a space.

    ``2048`` → ``"2 KiB"``, ``1536`` → ``"1.5 KiB"``, ``34359738368`` → ``"32 GiB"``, ``0`` → ``"0 B"``.
    Used by the ``storage list``, ``info`` and ``sealing workers`` layouts.
    """
    value, unit = _scale(size, _SIZE_STR_UNITS)
    return f"{value:.4g} {unit}"


def bytes_size(size: int) -> str:
    """Format a byte count as go-units ``BytesSize`` does: ``"%.4g%s"``, no space.

    ``2048`` → ``"2KiB"``, ``34359738368`` → ``"32GiB"``.  Lotus prints flag defaults this way (the
    ``--sector-size`` default), and the result parses back with :func:`parse_ram_bytes`.
    """
    value, unit = _scale(size, _BYTES_SIZE_UNITS)
    return f"{value:.4g}{unit}"


def _supported_list() -> str:
    return ", ".join(bytes_size(size) for size in SUPPORTED_SECTOR_SIZES)


def check_sector_size(size: int) -> SectorSize:
    """Return ``size`` as a :data:`SectorSize` if Filecoin has a seal proof for it.

    Raises:
        UnsupportedSectorSize: any other value, naming the supported ones.
    """
    if size not in SUPPORTED_SECTOR_SIZES:
        raise UnsupportedSectorSize(
            f"unsupported sector size {quoted(str(size))} ({bytes_size(size)}); "
            f"supported: {_supported_list()}"
        )
    return SectorSize(size)


def parse_sector_size(text: str) -> SectorSize:
    """Parse a ``--sector-size`` value: :func:`parse_ram_bytes`, then :func:`check_sector_size`.

    ``"2KiB"``, ``"2048"``, ``"2k"``, ``"32GiB"`` are all fine, as with ``lotus-miner init``.

    Raises:
        InvalidSize: the text is not a size at all.
        UnsupportedSectorSize: it is a size, but not a sector size; the message quotes the text as
            typed, its value in bytes, and the supported sizes.
    """
    size = parse_ram_bytes(text)
    if size not in SUPPORTED_SECTOR_SIZES:
        raise UnsupportedSectorSize(
            f"unsupported sector size {quoted(text)} ({size} bytes); supported: {_supported_list()}"
        )
    return SectorSize(size)
