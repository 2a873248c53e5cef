"""The files of a sector being sealed: the three paths Lotus hands the proofs, and the cache dir's contents.

Counterpart: Lotus ``storiface.SectorPaths`` (``Unsealed``, ``Sealed``, ``Cache``) and the file names
rust-fil-proofs writes into the cache directory (``filecoin-proofs/src/api/seal.rs``,
``storage-proofs-porep/src/stacked/vanilla/proof.rs``): ``sc-02-data-layer-<l>.dat``,
``sc-02-data-tree-d.dat``, ``sc-02-data-tree-c[-<i>].dat``, ``sc-02-data-tree-r-last[-<i>].dat``,
``p_aux`` and ``t_aux``.  Keeping the names means a Lotus user finds what they expect in ``cache/``.

``p_aux`` is rust's: 64 bytes, ``comm_c ‖ comm_r_last``.  ``t_aux`` is pylotus's own (rust writes a
bincode struct nobody outside rust reads): JSON recording what PreCommit2 produced, so a repeated
PreCommit2 returns the same result instead of encoding an already encoded replica.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from multiformats import CID

from pylotus.abi import JsonObject, JsonValue, cid_from_json, cid_to_json

from .errors import SectorDataError

__all__ = [
    "P_AUX",
    "T_AUX",
    "TREE_D",
    "SectorCids",
    "SectorPaths",
    "layer_file",
    "read_p_aux",
    "tree_c_file",
    "tree_r_last_file",
]

TREE_D: Final = "sc-02-data-tree-d.dat"
P_AUX: Final = "p_aux"
T_AUX: Final = "t_aux"
REPLICA_TMP: Final = "sc-02-data-replica.tmp"
"""PreCommit2 writes the replica here, then renames it over the sealed file (crash-safe)."""


@dataclass(frozen=True)
class SectorPaths:
    """Where one sector's files are: Lotus ``storiface.SectorPaths`` (the cache is a directory)."""

    unsealed: Path
    sealed: Path
    cache: Path


@dataclass(frozen=True)
class SectorCids:
    """PreCommit2's result, Lotus ``storiface.SectorCids``: CommD and CommR as CIDs."""

    unsealed: CID
    sealed: CID

    def to_json(self) -> JsonObject:
        """``{"Unsealed": {"/": "baga6ea4sea…"}, "Sealed": {"/": "bagboea4b5abc…"}}``."""
        return {"Unsealed": cid_to_json(self.unsealed), "Sealed": cid_to_json(self.sealed)}

    @classmethod
    def from_json(cls, obj: JsonValue) -> SectorCids:
        """Read the JSON form."""
        if not isinstance(obj, dict):
            raise ValueError("sector cids must be an object with 'Unsealed' and 'Sealed'")
        return cls(cid_from_json(obj.get("Unsealed")), cid_from_json(obj.get("Sealed")))


def layer_file(cache: Path, layer: int) -> Path:
    """``sc-02-data-layer-<layer>.dat`` (1-based, as rust)."""
    return cache / f"sc-02-data-layer-{layer}.dat"


def _tree_file(cache: Path, stem: str, index: int, count: int) -> Path:
    return cache / (f"{stem}.dat" if count == 1 else f"{stem}-{index}.dat")


def tree_c_file(cache: Path, index: int = 0, count: int = 1) -> Path:
    """tree_c base tree ``index`` of ``count`` (no suffix for a single tree, as rust)."""
    return _tree_file(cache, "sc-02-data-tree-c", index, count)


def tree_r_last_file(cache: Path, index: int = 0, count: int = 1) -> Path:
    """tree_r_last base tree ``index`` of ``count``."""
    return _tree_file(cache, "sc-02-data-tree-r-last", index, count)


def read_p_aux(cache: Path) -> tuple[bytes, bytes]:
    """``(comm_c, comm_r_last)`` from ``p_aux``.

    Raises:
        SectorDataError: missing or not 64 bytes.
    """
    path = cache / P_AUX
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SectorDataError(f"'{path}' is missing: the sector has not been through PreCommit2") from None
    except OSError as exc:
        raise SectorDataError(f"'{path}' cannot be read: {exc.strerror}") from None
    if len(data) != 64:
        raise SectorDataError(f"'{path}' holds {len(data)} bytes, expected 64 (comm_c ‖ comm_r_last)")
    return data[:32], data[32:]


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``, or ``None`` if missing or unreadable as one."""
    try:
        value = json.loads(path.read_bytes())
    except (FileNotFoundError, ValueError):
        return None
    return value if isinstance(value, dict) else None
