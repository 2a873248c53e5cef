"""A local worker over two real storage paths (one sealing, one storage) and a MemIndex."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from pylotus.abi import ActorID, RegisteredSealProof, SectorID, SectorNumber, UnpaddedPieceSize
from pylotus.stores import LocalStore, MemIndex, RemoteStore, SectorRef
from pylotus.worker import KernelRunner, LocalWorker, WorkerConfig

PROOF = RegisteredSealProof.STACKED_DRG_2KIB_V1_1
PIECE = UnpaddedPieceSize(2032)  # a whole 2KiB sector of unpadded data
TICKET = bytes(32)
SEED = bytes(range(32))


def sector(number: int) -> SectorRef:
    return SectorRef(SectorID(ActorID(1000), SectorNumber(number)), PROOF)


def payload(number: int) -> bytes:
    """Piece data that differs per sector; the top two bits of each 32-byte word are zero anyway."""
    return bytes((i * 7 + number) % 251 for i in range(int(PIECE)))


class MemoryConfig:
    """storage.json kept in memory."""

    def __init__(self, paths: list[str]) -> None:
        self.paths = paths

    def storage_config(self) -> list[str]:
        return list(self.paths)

    def set_storage_config(self, paths: list[str]) -> None:
        self.paths = list(paths)


def make_path(root: Path, sid: str, *, seal: bool, store: bool) -> Path:
    root.mkdir(parents=True)
    meta = {"ID": sid, "Weight": 10, "CanSeal": seal, "CanStore": store, "MaxStorage": 0}
    (root / "sectorstore.json").write_text(json.dumps(meta))
    return root


@dataclass
class Rig:
    index: MemIndex
    store: RemoteStore
    seal_root: Path
    store_root: Path

    def worker(self, config: WorkerConfig | None = None, runner: KernelRunner | None = None) -> LocalWorker:
        return LocalWorker(self.store, self.index, config=config, runner=runner, kernel_workers=1)


async def open_rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Rig:
    monkeypatch.setenv("PYLOTUS_PARENT_CACHE", str(tmp_path / "parents"))
    index = MemIndex()
    seal_root = make_path(tmp_path / "seal", "seal", seal=True, store=False)
    store_root = make_path(tmp_path / "store", "store", seal=False, store=True)
    local = LocalStore(index, MemoryConfig([str(seal_root), str(store_root)]))
    assert await local.open(["http://127.0.0.1:1/remote"]) == []
    return Rig(index, RemoteStore(local, index, {}), seal_root, store_root)
