"""Naming a sector: its ID, its on-disk file name, and the kinds of file it has.

Counterparts: go-state-types ``abi.SectorID``/``abi.SectorNumber``/``abi.ActorID``, and Lotus
``storage/sealer/storiface/filetype.go`` (``SectorFileType``, ``SectorName``, ``ParseSectorID``);
reference/lotus-miner.md §2.2.

A sector lives in a storage path as ``unsealed/s-t0<miner>-<n>``, ``sealed/s-t0<miner>-<n>`` and
``cache/s-t0<miner>-<n>/`` (a directory).  The ``t0`` is hard-coded in Lotus, not the network prefix:
a mainnet miner's sectors are ``s-t0…`` too, and so are ours.

Parsing is stricter than Lotus's ``Sscanf("s-t0%d-%d")``, which tolerates trailing junk and leading
zeros: a store scans these names from disk and uses them as keys, so a name must map to exactly one
sector and a sector to exactly one name.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Final, NewType, final

from .errors import InvalidFileType, InvalidSectorId, InvalidSectorName, described, quoted
from .json_types import JsonObject, JsonValue

__all__ = [
    "ActorID",
    "SectorFileType",
    "SectorID",
    "SectorNumber",
    "parse_sector_name",
    "sector_name",
]

ActorID = NewType("ActorID", int)
"""The numeric ID of an actor: ``1000`` for ``t01000`` (go-state-types ``abi.ActorID``)."""

SectorNumber = NewType("SectorNumber", int)
"""A sector's number within its miner (go-state-types ``abi.SectorNumber``)."""

# go-state-types abi.MaxSectorNumber = math.MaxInt63; go-address refuses IDs ≥ 2^63.  Both bounds are
# the same number, so one constant serves miner and sector number.
_MAX_ID: Final = 2**63 - 1

# A decimal without a sign, without leading zeros (bar "0" itself), ASCII only.
_NAME_RE: Final = re.compile(r"s-t0(0|[1-9][0-9]*)-(0|[1-9][0-9]*)", re.ASCII)


def _check_id(what: str, value: object) -> int:
    """Return ``value`` if it is a non-negative int below 2^63, else raise InvalidSectorId."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidSectorId(f"sector id {what} must be an integer, got {described(value)}")
    if not 0 <= value <= _MAX_ID:
        raise InvalidSectorId(f"sector id {what} {quoted(str(value))} is out of range 0..2^63-1")
    return value


@final
@dataclass(frozen=True, slots=True, order=True)
class SectorID:
    """A sector, globally: the miner's actor ID and the sector number (go-state-types ``abi.SectorID``).

    Ordered by (miner, number), which is how Lotus lists sectors.  On the wire it is
    ``{"Miner": 1000, "Number": 1}``.

    Raises:
        InvalidSectorId: on construction, if either field is not an int in 0..2^63-1.
    """

    miner: ActorID
    number: SectorNumber

    def __post_init__(self) -> None:
        _check_id("miner", self.miner)
        _check_id("number", self.number)

    def __str__(self) -> str:
        return sector_name(self)

    def to_json(self) -> JsonObject:
        """The Lotus wire form, ``{"Miner": m, "Number": n}``."""
        return {"Miner": int(self.miner), "Number": int(self.number)}

    @classmethod
    def from_json(cls, obj: JsonValue) -> SectorID:
        """Read the Lotus wire form; exactly the keys ``Miner`` and ``Number``, both uints.

        Lotus's decoder ignores unknown keys, but a misspelt ``"miner"`` would then silently become
        sector 0 of miner 0: refusing is the safer reading at an API edge.

        Raises:
            InvalidSectorId: not an object, wrong keys, or a value that is not an int in 0..2^63-1.
        """
        if not isinstance(obj, dict):
            raise InvalidSectorId(f"sector id must be a json object, got {described(obj)}")
        if set(obj) != {"Miner", "Number"}:
            keys = ", ".join(sorted(obj))
            raise InvalidSectorId(f"sector id must have keys Miner and Number, got {quoted(keys)}")
        miner = _check_id("miner", obj["Miner"])
        number = _check_id("number", obj["Number"])
        return cls(ActorID(miner), SectorNumber(number))


def sector_name(sid: SectorID) -> str:
    """The sector's file name in a storage path, ``s-t0<miner>-<number>`` (Lotus ``SectorName``).

    ``sector_name(SectorID(1000, 1)) == "s-t01000-1"``.
    """
    return f"s-t0{sid.miner}-{sid.number}"


def parse_sector_name(name: str) -> SectorID:
    """Read a sector file name back into a :class:`SectorID` (Lotus ``ParseSectorID``).

    Only the exact output of :func:`sector_name` is accepted: no ``f0`` prefix, no leading zeros,
    no trailing characters.

    Raises:
        InvalidSectorName: ``parse sector id 'xyz'``, as Lotus words it.
    """
    match = _NAME_RE.fullmatch(name)
    if match is None:
        raise InvalidSectorName(f"parse sector id {quoted(name)}")
    miner, number = int(match.group(1)), int(match.group(2))
    if miner > _MAX_ID or number > _MAX_ID:
        raise InvalidSectorName(f"parse sector id {quoted(name)}: number out of range 0..2^63-1")
    return SectorID(ActorID(miner), SectorNumber(number))


class SectorFileType(enum.IntFlag):
    """Which files of a sector: a bitmask, on the wire a JSON number (Lotus ``storiface.SectorFileType``).

    ``UNSEALED | SEALED`` asks for both.  Lotus HEAD adds ``update`` (8), ``update-cache`` (16) and
    ``piece`` (32) for snap deals; pylotus does not do snap deals, so they are left out.
    """

    NONE = 0
    UNSEALED = 1
    SEALED = 2
    CACHE = 4

    def __str__(self) -> str:
        """Lotus ``FileType.String()``: the directory name for one type.

        A mask of several types has no directory; Lotus prints ``<unknown N>`` for it (it shows up
        in its ``StorageFindSector`` URLs), and so do we rather than invent a form.
        """
        if self in _NAMES:
            return _NAMES[self]
        return f"<unknown {int(self)}>"

    def __format__(self, format_spec: str) -> str:
        # IntFlag formats as its number by default; f"{ft}" must agree with str(ft).
        return format(str(self), format_spec)

    def names_list(self) -> list[str]:
        """The directory names of every type in the mask, in bit order: ``["unsealed", "cache"]``."""
        return [_NAMES[kind] for kind in _SINGLE_TYPES if kind & self]

    @classmethod
    def parse(cls, name: str) -> SectorFileType:
        """The type whose directory is ``name``: ``"sealed"`` → ``SEALED``.

        Raises:
            InvalidFileType: ``unknown sector file type 'x'`` (the wording of Lotus's ``/remote``).
        """
        for kind, kind_name in _NAMES.items():
            if kind_name == name:
                return kind
        raise InvalidFileType(f"unknown sector file type {quoted(name)}")

    @classmethod
    def all_types(cls) -> tuple[SectorFileType, ...]:
        """``(UNSEALED, SEALED, CACHE)``: the subdirectories every storage path has (Lotus
        ``PathTypes``)."""
        return _SINGLE_TYPES


_SINGLE_TYPES: Final = (SectorFileType.UNSEALED, SectorFileType.SEALED, SectorFileType.CACHE)
_NAMES: Final[dict[SectorFileType, str]] = {
    SectorFileType.UNSEALED: "unsealed",
    SectorFileType.SEALED: "sealed",
    SectorFileType.CACHE: "cache",
}
