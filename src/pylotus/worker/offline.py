"""What lets a seal worker finish a task while the miner is away, and a test hook to make one slow.

Counterpart: none in Lotus, where a worker's ``StorageDeclareSector`` to a dead miner fails the
task; with the ``Return*`` pattern (:mod:`.returns`) a result can outlive the miner's absence, so
the files a finished task wrote must too.

* :class:`DeferredIndex` is the sector index a worker's :class:`~.local_worker.LocalWorker` uses:
  the miner's index, except that a ``StorageDeclareSector`` the miner cannot be reached for is
  kept and sent again later (:meth:`DeferredIndex.replay`, on the next answered heartbeat), and
  :func:`declare_all` re-declares every sector file of the worker's paths to a restarted miner
  (whose in-memory index forgot them).  Every other index call goes to the miner unchanged, so a
  task still needs the miner to *start* (to find and allocate its files).
* :class:`DelayedKernels` (test only) sleeps before the kernels named in
  ``PYLOTUS_TEST_KERNEL_DELAY="PC1=3"`` (labels as the worker's: ``AP``, ``PC1``, ``PC2`` …), after
  the task acquired its files, so an integration test can kill the miner while a PC1 runs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeVar, final

import trio

from ..abi import InvalidSectorName, SectorFileType, SectorID, parse_sector_name
from ..jsonrpc import ApiUnreachable, CallTimeout, ConnectionLost, MethodError
from ..stores import LocalStore, StorageClient, StorageID
from .kernel_runner import KernelRunner, RunningKernel

__all__ = ["KERNEL_DELAY_ENV", "DeferredIndex", "DelayedKernels", "declare_all"]

log = logging.getLogger(__name__)

KERNEL_DELAY_ENV: Final = "PYLOTUS_TEST_KERNEL_DELAY"
R = TypeVar("R")
_UNREACHABLE: Final = (ApiUnreachable, CallTimeout, ConnectionLost)


@final
class DeferredIndex:
    """The miner's sector index, with declarations kept while the miner is unreachable.

    Args:
        miner: the miner's API client (its ``Storage*`` methods are the index).
    """

    def __init__(self, miner: StorageClient) -> None:
        self._miner = miner
        self._deferred: list[tuple[StorageID, SectorID, SectorFileType, bool]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._miner, name)  # every other index method goes to the miner as is

    async def storage_declare_sector(
        self, storage_id: StorageID, sector: SectorID, kind: SectorFileType, primary: bool
    ) -> None:
        """Declare to the miner, or keep the declaration if the miner cannot be reached."""
        try:
            await self._miner.storage_declare_sector(storage_id, sector, kind, primary)
        except _UNREACHABLE as exc:
            log.warning(
                "miner unreachable, sector declaration kept sector=%s type=%s err=%s", sector, kind, exc
            )
            self._deferred.append((storage_id, sector, kind, primary))

    async def replay(self) -> None:
        """Send the kept declarations; those that still fail stay kept.

        A declaration the miner refuses is dropped with a warning.
        """
        kept, self._deferred = self._deferred, []
        for i, (storage_id, sector, kind, primary) in enumerate(kept):
            try:
                await self._miner.storage_declare_sector(storage_id, sector, kind, primary)
            except _UNREACHABLE:
                self._deferred.extend(kept[i:])
                return
            except MethodError as exc:  # the miner refused it: retrying cannot help
                log.warning("kept sector declaration refused sector=%s type=%s err=%s", sector, kind, exc)
                continue
            log.info("kept sector declaration sent sector=%s type=%s", sector, kind)

    def clear(self) -> None:
        """Forget the kept declarations (:func:`declare_all` has covered them)."""
        self._deferred.clear()


def _sector_files(root: Path) -> list[tuple[SectorFileType, SectorID]]:
    """Blocking: the sector files under a storage path's ``unsealed``/``sealed``/``cache``."""
    out = []
    for kind in SectorFileType.all_types():
        directory = root / str(kind)
        if not directory.is_dir():
            continue
        for entry in sorted(directory.iterdir()):
            try:
                out.append((kind, parse_sector_name(entry.name)))
            except InvalidSectorName:
                continue
    return out


async def declare_all(local: LocalStore, miner: StorageClient) -> int:
    """Declare every sector file of ``local``'s paths to the miner (after it restarted); the count.

    Raises:
        RPC errors: the miner is unreachable or refused.
    """
    count = 0
    for path in local.paths():
        files = await trio.to_thread.run_sync(_sector_files, Path(path.local_path))
        for kind, sector in files:
            await miner.storage_declare_sector(path.id, sector, kind, path.can_store)
            count += 1
    return count


def _delays() -> dict[str, float]:
    out: dict[str, float] = {}
    for item in filter(None, (p.strip() for p in os.environ.get(KERNEL_DELAY_ENV, "").split(","))):
        label, _, seconds = item.partition("=")
        out[label] = float(seconds or 0)
    return out


@final
class DelayedKernels:
    """A :class:`KernelRunner` that first sleeps before the kernels named in the environment
    (test only; with :data:`KERNEL_DELAY_ENV` unset it only forwards)."""

    def __init__(self, runner: KernelRunner) -> None:
        self._runner = runner
        self._delays = _delays()

    def running(self) -> list[RunningKernel]:
        return self._runner.running()

    async def run(self, label: str, fn: Callable[..., R], *args: object) -> R:
        delay = self._delays.get(label.split(" ", 1)[0], 0.0)
        if delay:
            log.info("test delay before kernel label=%s delay=%gs", label, delay)
            await trio.sleep(delay)
        return await self._runner.run(label, fn, *args)
