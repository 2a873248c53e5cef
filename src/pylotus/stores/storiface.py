"""The values storage code passes around and puts on the wire, with their Lotus JSON shapes.

Counterpart: Lotus ``storage/sealer/storiface/`` (``storage.go``, ``filetype.go``) and
``storage/sealer/fsutil`` (``FsStat``); the shapes are reference/lotus-miner.md §3.3 and §2.2.
Every type here is a frozen dataclass with ``to_json``/``from_json``; the codecs at the bottom wrap
them for the method table in :mod:`.api`.

Rules of the file:

* Field names on the wire are Lotus's (L12, plus the HEAD fields pylotus implements: ``MaxStorage``,
  ``FSAvailable``, ``Max``, ``Used``).  Decoders require the L05 fields, accept the HEAD ones when
  present, and ignore unknown keys, as Go's decoder does, so a newer Lotus worker can still attach.
* Values are checked where they are decoded (types, ranges, URL schemes), so nothing malformed gets
  past the RPC edge into the index.
* No I/O.

The module runs past STYLE.md's 400-line aim because it is the one table of every storage wire
shape; splitting it would scatter what has to be read together.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Generic, NewType, TypeVar
from urllib.parse import urlsplit

from ..abi import (
    AbiError,
    ActorID,
    JsonObject,
    JsonValue,
    RegisteredSealProof,
    SectorFileType,
    SectorID,
    SectorNumber,
)
from ..jsonrpc import Codec, CodecError
from ..jsonrpc.codec import JsonObject as JsonObjectCodec
from .errors import InvalidStorageValue

__all__ = [
    "ACQUIRE_MODE",
    "ALL_FILE_TYPES",
    "DECL",
    "FILE_TYPE",
    "FINALIZED_OVERHEAD",
    "FS_OVERHEAD_DEN",
    "FS_STAT",
    "HEALTH_REPORT",
    "PATH_TYPE",
    "SEAL_OVERHEAD",
    "SECTOR_ID",
    "SECTOR_REF",
    "SECTOR_STORAGE_INFO",
    "STORAGE_INFO",
    "AcquireMode",
    "Decl",
    "FsStat",
    "HealthReport",
    "LocalStorageMeta",
    "PathType",
    "SectorRef",
    "SectorStorageInfo",
    "StorageID",
    "StorageInfo",
    "StoragePath",
    "StringMap",
    "seal_space_use",
    "store_space_use",
]

StorageID = NewType("StorageID", str)
"""A storage path's ID: the UUID string in its ``sectorstore.json`` (Lotus ``storiface.ID``)."""

ALL_FILE_TYPES: Final = SectorFileType.UNSEALED | SectorFileType.SEALED | SectorFileType.CACHE
_INT64_MAX: Final = 2**63 - 1
_UINT64_MAX: Final = 2**64 - 1

# storiface/filetype.go: space use in tenths of the sector size.  Seal: L05+ (cache 141 = "11 layers
# + D(2x ssize) + C + R"; pylotus's 2-layer sectors use about 73).  Finalized: Lotus has cache 2 (HEAD
# 1) because rust keeps tree_r_last with its lower rows discarded; pylotus keeps the whole tree_r_last
# (8/7 of the sector) plus p_aux/t_aux, about 1.3x for 2KiB, so the finalized cache is 14 here.
FS_OVERHEAD_DEN: Final = 10
SEAL_OVERHEAD: Final[Mapping[SectorFileType, int]] = {
    SectorFileType.UNSEALED: FS_OVERHEAD_DEN,
    SectorFileType.SEALED: FS_OVERHEAD_DEN,
    SectorFileType.CACHE: 141,
}
FINALIZED_OVERHEAD: Final[Mapping[SectorFileType, int]] = {
    SectorFileType.UNSEALED: FS_OVERHEAD_DEN,
    SectorFileType.SEALED: FS_OVERHEAD_DEN,
    SectorFileType.CACHE: 14,
}


def _space_use(ft: SectorFileType, ssize: int, table: Mapping[SectorFileType, int]) -> int:
    return sum(table[kind] * ssize // FS_OVERHEAD_DEN for kind in SectorFileType.all_types() if kind & ft)


def seal_space_use(ft: SectorFileType, ssize: int) -> int:
    """Bytes the files ``ft`` of one sector take while it seals (Lotus ``SealSpaceUse``)."""
    return _space_use(ft, ssize, SEAL_OVERHEAD)


def store_space_use(ft: SectorFileType, ssize: int) -> int:
    """Bytes the files ``ft`` of one finalized sector take (Lotus ``StoreSpaceUse``)."""
    return _space_use(ft, ssize, FINALIZED_OVERHEAD)


class PathType(enum.Enum):
    """What a path is asked for: sealing scratch space or long-term storage.

    L12+ wire form is the string; S0/L05 sent a bool (``true`` = sealing), which is still accepted.
    """

    SEALING = "sealing"
    STORAGE = "storage"


class AcquireMode(enum.Enum):
    """``move``: the fetched copy becomes primary and the source is deleted; ``copy``: both stay."""

    MOVE = "move"
    COPY = "copy"


# ------------------------------------------------------------------------------------------------
# field readers: each raises InvalidStorageValue naming the field


def _obj(value: JsonValue, what: str) -> JsonObject:
    if not isinstance(value, dict):
        raise InvalidStorageValue(f"{what} must be a json object, got {type(value).__name__}")
    return value


def _int(
    obj: JsonObject, key: str, *, high: int = _INT64_MAX, low: int = 0, default: int | None = None
) -> int:
    value = obj.get(key, default)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidStorageValue(f"field '{key}' must be an integer, got {value!r:.60}")
    if not low <= value <= high:
        raise InvalidStorageValue(f"field '{key}' is out of range: {value}")
    return value


def _bool(obj: JsonObject, key: str) -> bool:
    value = obj.get(key, False)
    if not isinstance(value, bool):
        raise InvalidStorageValue(f"field '{key}' must be a bool, got {value!r:.60}")
    return value


def _str(obj: JsonObject, key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidStorageValue(f"field '{key}' must be a non-empty string, got {value!r:.60}")
    return value


def _urls(obj: JsonObject, key: str = "URLs") -> tuple[str, ...]:
    raw = obj.get(key) or []  # Go marshals a nil slice as null
    if not isinstance(raw, list):
        raise InvalidStorageValue(f"field '{key}' must be a list of urls")
    urls = []
    for url in raw:
        if not isinstance(url, str):
            raise InvalidStorageValue(f"field '{key}' must be a list of urls, got {url!r:.60}")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidStorageValue(f"failed to parse url '{url:.100}': want http(s)://host:port/remote")
        urls.append(url)
    return tuple(urls)


def _file_type(value: JsonValue) -> SectorFileType:
    # int(): the complement of an IntFlag only covers its known bits, so ~ALL_FILE_TYPES would be 0.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value & ~int(ALL_FILE_TYPES):
        raise InvalidStorageValue(f"unknown sector file type {value!r:.60}: want a mask of 1, 2, 4")
    return SectorFileType(value)


def _sector_id(obj: JsonObject) -> SectorID:
    miner, number = _int(obj, "Miner"), _int(obj, "Number")
    return SectorID(ActorID(miner), SectorNumber(number))


# ------------------------------------------------------------------------------------------------
# the values


@dataclass(frozen=True, slots=True)
class FsStat:
    """Space of one storage path, in bytes (Lotus ``fsutil.FsStat``).

    ``available`` is what new sectors may still use: free space minus outstanding reservations,
    capped by ``MaxStorage`` when set.  ``fs_available`` is the filesystem's own free space;
    ``max``/``used`` are the path's limit and its usage when a limit is set (else 0).
    """

    capacity: int
    available: int
    reserved: int = 0
    fs_available: int = 0
    max: int = 0
    used: int = 0

    def to_json(self) -> JsonObject:
        return {
            "Capacity": self.capacity,
            "Available": self.available,
            "FSAvailable": self.fs_available,
            "Reserved": self.reserved,
            "Max": self.max,
            "Used": self.used,
        }

    @classmethod
    def from_json(cls, value: JsonValue) -> FsStat:
        obj = _obj(value, "FsStat")
        available = _int(obj, "Available", low=-_INT64_MAX)
        return cls(
            capacity=_int(obj, "Capacity"),
            available=available,
            reserved=_int(obj, "Reserved", low=-_INT64_MAX),
            fs_available=_int(obj, "FSAvailable", default=max(available, 0)),
            max=_int(obj, "Max", default=0),
            used=_int(obj, "Used", default=0),
        )


@dataclass(frozen=True, slots=True)
class StorageInfo:
    """A storage path as the index knows it (Lotus ``storiface.StorageInfo``).

    ``urls`` are the ``…/remote`` bases of every process that serves this path; ``weight`` 0 means
    read-only for allocation purposes (it multiplies to 0 in ``StorageBestAlloc``).
    """

    id: StorageID
    urls: tuple[str, ...]
    weight: int
    can_seal: bool
    can_store: bool
    max_storage: int = 0

    def to_json(self) -> JsonObject:
        return {
            "ID": self.id,
            "URLs": list(self.urls),
            "Weight": self.weight,
            "MaxStorage": self.max_storage,
            "CanSeal": self.can_seal,
            "CanStore": self.can_store,
        }

    @classmethod
    def from_json(cls, value: JsonValue) -> StorageInfo:
        obj = _obj(value, "StorageInfo")
        return cls(
            id=StorageID(_str(obj, "ID")),
            urls=_urls(obj),
            weight=_int(obj, "Weight", high=_UINT64_MAX),
            can_seal=_bool(obj, "CanSeal"),
            can_store=_bool(obj, "CanStore"),
            max_storage=_int(obj, "MaxStorage", high=_UINT64_MAX, default=0),
        )


@dataclass(frozen=True, slots=True)
class SectorStorageInfo:
    """Where a sector file is: one answer of ``StorageFindSector`` (Lotus ``SectorStorageInfo``).

    Each URL is already ``<base>/<type>/s-t0<miner>-<n>``; ``weight`` is the path weight times the
    number of the requested types it holds (0 for a fetch candidate); ``primary`` marks the copy
    that counts (a move target or a ``CanStore`` path).
    """

    id: StorageID
    urls: tuple[str, ...]
    weight: int
    can_seal: bool
    can_store: bool
    primary: bool

    def to_json(self) -> JsonObject:
        return {
            "ID": self.id,
            "URLs": list(self.urls),
            "Weight": self.weight,
            "CanSeal": self.can_seal,
            "CanStore": self.can_store,
            "Primary": self.primary,
        }

    @classmethod
    def from_json(cls, value: JsonValue) -> SectorStorageInfo:
        obj = _obj(value, "SectorStorageInfo")
        return cls(
            id=StorageID(_str(obj, "ID")),
            urls=_urls(obj),
            weight=_int(obj, "Weight", high=_UINT64_MAX),
            can_seal=_bool(obj, "CanSeal"),
            can_store=_bool(obj, "CanStore"),
            primary=_bool(obj, "Primary"),
        )


@dataclass(frozen=True, slots=True)
class HealthReport:
    """A path's heartbeat: its space and the error of its last stat, if any (``StorageReportHealth``).

    On the wire ``Err`` is ``null`` or a string (HEAD).  L05 marshalled a Go ``error`` as ``{}``,
    which loses the text; such a report still counts as failed.
    """

    stat: FsStat
    err: str | None = None

    def to_json(self) -> JsonObject:
        return {"Stat": self.stat.to_json(), "Err": self.err}

    @classmethod
    def from_json(cls, value: JsonValue) -> HealthReport:
        obj = _obj(value, "HealthReport")
        err = obj.get("Err")
        if isinstance(err, dict):
            text: str | None = "error reported without a message"
        elif err is None or err == "":
            text = None
        elif isinstance(err, str):
            text = err
        else:
            raise InvalidStorageValue(f"field 'Err' must be a string or null, got {err!r:.60}")
        return cls(stat=FsStat.from_json(obj.get("Stat")), err=text)


@dataclass(frozen=True, slots=True)
class Decl:
    """One sector's files in one path, as ``StorageList`` reports them (types OR-ed).

    Wire form flattens the sector ID, as Go's embedded struct does:
    ``{"Miner": 1000, "Number": 1, "SectorFileType": 6}``.
    """

    sector: SectorID
    file_type: SectorFileType

    def to_json(self) -> JsonObject:
        return {
            "Miner": int(self.sector.miner),
            "Number": int(self.sector.number),
            "SectorFileType": int(self.file_type),
        }

    @classmethod
    def from_json(cls, value: JsonValue) -> Decl:
        obj = _obj(value, "Decl")
        return cls(sector=_sector_id(obj), file_type=_file_type(obj.get("SectorFileType")))


@dataclass(frozen=True, slots=True)
class StoragePath:
    """A path this process has on its own disk (a worker's ``Paths``; Lotus ``StoragePath``)."""

    id: StorageID
    weight: int
    local_path: str
    can_seal: bool
    can_store: bool

    def to_json(self) -> JsonObject:
        return {
            "ID": self.id,
            "Weight": self.weight,
            "LocalPath": self.local_path,
            "CanSeal": self.can_seal,
            "CanStore": self.can_store,
        }

    @classmethod
    def from_json(cls, value: JsonValue) -> StoragePath:
        obj = _obj(value, "StoragePath")
        return cls(
            id=StorageID(_str(obj, "ID")),
            weight=_int(obj, "Weight", high=_UINT64_MAX),
            local_path=_str(obj, "LocalPath"),
            can_seal=_bool(obj, "CanSeal"),
            can_store=_bool(obj, "CanStore"),
        )


@dataclass(frozen=True, slots=True)
class LocalStorageMeta:
    """A path's ``sectorstore.json`` (Lotus ``LocalStorageMeta``; reference §2.2).

    ``{"ID": "<uuid>", "Weight": 10, "CanSeal": true, "CanStore": false, "MaxStorage": 0}``;
    ``MaxStorage`` 0 means no limit beyond the filesystem.
    """

    id: StorageID
    weight: int
    can_seal: bool
    can_store: bool
    max_storage: int = 0

    def to_json(self) -> JsonObject:
        return {
            "ID": self.id,
            "Weight": self.weight,
            "CanSeal": self.can_seal,
            "CanStore": self.can_store,
            "MaxStorage": self.max_storage,
        }

    @classmethod
    def from_json(cls, value: JsonValue) -> LocalStorageMeta:
        obj = _obj(value, "sectorstore.json")
        return cls(
            id=StorageID(_str(obj, "ID")),
            weight=_int(obj, "Weight", high=_UINT64_MAX),
            can_seal=_bool(obj, "CanSeal"),
            can_store=_bool(obj, "CanStore"),
            max_storage=_int(obj, "MaxStorage", high=_UINT64_MAX, default=0),
        )


@dataclass(frozen=True, slots=True)
class SectorRef:
    """A sector and the proof it is sealed with (L12+ ``storiface.SectorRef``): the proof gives the size.

    ``{"ID": {"Miner": 1000, "Number": 9}, "ProofType": 8}``.
    """

    id: SectorID
    proof_type: RegisteredSealProof

    @property
    def sector_size(self) -> int:
        return int(self.proof_type.sector_size)

    def to_json(self) -> JsonObject:
        return {"ID": self.id.to_json(), "ProofType": int(self.proof_type)}

    @classmethod
    def from_json(cls, value: JsonValue) -> SectorRef:
        obj = _obj(value, "SectorRef")
        return cls(id=_sector_id(_obj(obj.get("ID"), "SectorRef.ID")), proof_type=_proof(obj))


def _proof(obj: JsonObject) -> RegisteredSealProof:
    try:
        return RegisteredSealProof.from_json(obj.get("ProofType"))
    except AbiError as exc:
        raise InvalidStorageValue(str(exc)) from exc


# ------------------------------------------------------------------------------------------------
# codecs for the method table

T = TypeVar("T")


def _struct(name: str, from_json: Callable[[JsonValue], T], to_json: Callable[[T], JsonValue]) -> Codec[T]:
    return JsonObjectCodec(name, from_json, to_json)


@dataclass(frozen=True)
class _EnumCodec:
    """``PathType``/``AcquireMode``: their string; ``PathType`` also takes L05's bool."""

    name: str
    kind: type[PathType] | type[AcquireMode]

    def decode(self, value: JsonValue) -> PathType | AcquireMode:
        if self.kind is PathType and isinstance(value, bool):
            return PathType.SEALING if value else PathType.STORAGE
        for member in self.kind:
            if member.value == value:
                return member
        choices = ", ".join(repr(m.value) for m in self.kind)
        raise CodecError(f"invalid {self.name} {value!r:.60}: want one of {choices}")

    def encode(self, value: PathType | AcquireMode) -> JsonValue:
        return str(value.value)


@dataclass(frozen=True)
class _FileTypeCodec:
    name: str = "storiface.SectorFileType"

    def decode(self, value: JsonValue) -> SectorFileType:
        try:
            return _file_type(value)
        except InvalidStorageValue as exc:
            raise CodecError(str(exc)) from exc

    def encode(self, value: SectorFileType) -> JsonValue:
        return int(value)


@dataclass(frozen=True)
class StringMap(Generic[T]):
    """A Go ``map[string]T``: a JSON object; ``null`` decodes to ``{}``."""

    item: Codec[T]

    @property
    def name(self) -> str:
        return f"map[string]{self.item.name}"

    def decode(self, value: JsonValue) -> dict[str, T]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise CodecError(
                f"json: cannot unmarshal {type(value).__name__} into Go value of type {self.name}"
            )
        return {key: self.item.decode(item) for key, item in value.items()}

    def encode(self, value: Mapping[str, T]) -> JsonValue:
        return {key: self.item.encode(item) for key, item in value.items()}


def _sector_id_json(sector: SectorID) -> JsonValue:
    return sector.to_json()


FILE_TYPE: Final[Codec[SectorFileType]] = _FileTypeCodec()
PATH_TYPE: Final[Codec[PathType]] = _EnumCodec("storiface.PathType", PathType)  # type: ignore[assignment]  # one codec class for two enums
ACQUIRE_MODE: Final[Codec[AcquireMode]] = _EnumCodec("storiface.AcquireMode", AcquireMode)  # type: ignore[assignment]  # same
SECTOR_ID: Final = _struct("abi.SectorID", SectorID.from_json, _sector_id_json)
SECTOR_REF: Final = _struct("storiface.SectorRef", SectorRef.from_json, SectorRef.to_json)
FS_STAT: Final = _struct("fsutil.FsStat", FsStat.from_json, FsStat.to_json)
STORAGE_INFO: Final = _struct("storiface.StorageInfo", StorageInfo.from_json, StorageInfo.to_json)
SECTOR_STORAGE_INFO: Final = _struct(
    "storiface.SectorStorageInfo", SectorStorageInfo.from_json, SectorStorageInfo.to_json
)
HEALTH_REPORT: Final = _struct("storiface.HealthReport", HealthReport.from_json, HealthReport.to_json)
DECL: Final = _struct("storiface.Decl", Decl.from_json, Decl.to_json)
STORAGE_PATH: Final = _struct("storiface.StoragePath", StoragePath.from_json, StoragePath.to_json)
