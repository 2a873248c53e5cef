"""Getting a sector's files onto local paths from wherever they are, and reaching other paths.

Counterpart: Lotus ``storage/paths/remote.go`` (``Remote``: ``AcquireSector``,
``acquireFromRemote``, ``fetch``, ``Remove``, ``FsStat``); protocol in reference/lotus-miner.md §5.1.

An acquire goes: local copies first; for each missing type, a local destination from the index
(``StorageBestAlloc`` among our paths) and a space reservation there; then every copy the index
knows, every URL of each, until one download succeeds into ``<type>/fetching/<name>``; then a
rename into place, ``StorageDeclareSector`` (primary when moving) and, when moving, ``DELETE`` of
the source (a failure there is only logged, as Lotus: the copy we have is good).

Rules of the file:

* One fetch per sector at a time in this process (a second acquire of the same sector waits, then
  finds the files local); at most ``parallel_fetch_limit`` downloads run at once (Lotus
  ``ParallelFetchLimit``, config ``[Storage]``), and a fetch that has to wait says so in the log.
* Copies are tried primary first, then by weight, highest first.  Lotus sorts by weight ascending,
  which tries the copy in the path with the *fewest* of the sector's types first; we do not copy
  that quirk.  Every URL's error is kept and reported if all fail.
* Nothing is declared that is not completely on disk, and a failed or cancelled download leaves no
  file at the final name (the temporary one is removed, also when cancelled between the download
  and the rename; one a killed process left is removed when the path is next opened, see local.py).
* A download writes at most the space reserved for its type (``overhead × ssize``); a peer that
  sends more, resets, or stalls fails that URL only, and the next one is tried.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Final, final

import httpx
import trio

from ..abi import SectorFileType, SectorID
from ..errors import unwrap_single_error
from .errors import FetchFailed, InvalidStorageValue, SectorNotFound, StorageNotFound, StoresError, os_errors
from .fetch import DownloadAbort, download
from .fsutil import FETCH_TEMP_SUBDIR, move_into_place, remove_all
from .index import SectorIndex
from .local import DIR_MODE, LocalStore, SectorPaths
from .storiface import (
    FINALIZED_OVERHEAD,
    FS_OVERHEAD_DEN,
    SEAL_OVERHEAD,
    AcquireMode,
    FsStat,
    PathType,
    SectorStorageInfo,
    StorageID,
)

__all__ = ["DEFAULT_PARALLEL_FETCH_LIMIT", "RemoteStore"]

log = logging.getLogger(__name__)

DEFAULT_PARALLEL_FETCH_LIMIT: Final = 10  # Lotus [Storage] ParallelFetchLimit default
_STAT_TIMEOUT: Final = 30.0  # seconds for a GET /remote/stat on another process


@final
class RemoteStore:
    """Local paths plus the ability to fetch into them (Lotus ``Remote``).

    Args:
        local: this process's paths.
        index: the sector index (in-process or over RPC).
        auth_headers: sent with every request to another process's ``/remote`` (an admin token).
        parallel_fetch_limit: downloads allowed at once.
    """

    def __init__(
        self,
        local: LocalStore,
        index: SectorIndex,
        auth_headers: Mapping[str, str],
        *,
        parallel_fetch_limit: int = DEFAULT_PARALLEL_FETCH_LIMIT,
    ) -> None:
        self.local = local
        self._index = index
        self._headers = dict(auth_headers)
        self.fetch_limiter = trio.CapacityLimiter(parallel_fetch_limit)
        self._fetching: dict[SectorID, trio.Event] = {}

    async def acquire_sector(
        self,
        sector: SectorID,
        ssize: int,
        existing: SectorFileType,
        allocate: SectorFileType,
        path_type: PathType,
        mode: AcquireMode,
    ) -> SectorPaths:
        """Local paths for the ``existing`` files (fetched if needed) and for new ``allocate`` files.

        Raises:
            SectorNotFound: an existing type has no copy anywhere.
            FetchFailed: copies exist but none could be downloaded (every URL's error listed).
            NoSpace: no local path can take a file.

        Cancellation: a download in progress stops and is removed; nothing is declared.
        """
        await self._wait_turn(sector)
        try:
            found = await self.local.acquire_sector(sector, ssize, existing, allocate, path_type)
            missing = SectorFileType.NONE
            for kind in SectorFileType.all_types():
                if kind & existing and kind not in found.paths:
                    missing |= kind
            if not missing:
                return found
            dest = await self.local.acquire_sector(sector, ssize, SectorFileType.NONE, missing, path_type)
            overhead = SEAL_OVERHEAD if path_type is PathType.SEALING else FINALIZED_OVERHEAD
            paths, ids = dict(found.paths), dict(found.ids)
            async with self.local.reserve(sector, ssize, missing, dest.ids, overhead):
                for kind in SectorFileType.all_types():
                    if kind & missing:
                        limit = overhead[kind] * ssize // FS_OVERHEAD_DEN if ssize else None
                        await self._fetch_one(sector, ssize, kind, dest, mode, limit)
                        paths[kind], ids[kind] = dest.paths[kind], dest.ids[kind]
            return SectorPaths(sector, paths, ids)
        finally:
            self._fetching.pop(sector).set()

    async def _wait_turn(self, sector: SectorID) -> None:
        while (busy := self._fetching.get(sector)) is not None:
            await busy.wait()
        self._fetching[sector] = trio.Event()

    async def _fetch_one(
        self,
        sector: SectorID,
        ssize: int,
        kind: SectorFileType,
        dest: SectorPaths,
        mode: AcquireMode,
        limit: int | None,
    ) -> None:
        url = await self._acquire_from_remote(sector, ssize, kind, dest, limit)
        storage_id = dest.ids[kind]
        await self._index.storage_declare_sector(storage_id, sector, kind, mode is AcquireMode.MOVE)
        if mode is AcquireMode.MOVE:
            try:
                await self._delete_remote(url)
            except FetchFailed as exc:
                log.warning(
                    "deleting the source after a move failed sector=%s url=%s err=%s", sector, url, exc
                )

    async def _acquire_from_remote(
        self, sector: SectorID, ssize: int, kind: SectorFileType, dest: SectorPaths, limit: int | None
    ) -> str:
        copies = [
            c
            for c in await self._index.storage_find_sector(sector, kind, ssize, False)
            if self.local.root(c.id) is None
        ]
        if not copies:
            raise SectorNotFound(f"failed to acquire sector {sector} from remote ({kind}): sector not found")
        copies.sort(key=lambda c: (not c.primary, -c.weight, c.id))
        final = dest.paths[kind]
        temp = final.parent / FETCH_TEMP_SUBDIR / final.name
        errors: list[str] = []
        for copy in copies:
            for url in copy.urls:
                try:
                    await self._download(url, temp, kind, ssize, limit)
                    await trio.to_thread.run_sync(move_into_place, temp, final)
                except FetchFailed as exc:  # download() removed the temporary file
                    log.warning("fetch failed, trying the next url url=%s err=%s", url, exc)
                    errors.append(f"{url} (storage {copy.id}): {exc}")
                    continue
                except BaseException:
                    # Cancelled (or the move failed) after a whole download: drop the temporary file
                    # now rather than at the next open of the path.
                    await _discard(temp)
                    raise
                return url
        raise FetchFailed(f"failed to acquire sector {sector} ({kind}) from remote: " + "; ".join(errors))

    async def _download(
        self, url: str, temp: Path, kind: SectorFileType, ssize: int, limit: int | None
    ) -> None:
        if self.fetch_limiter.available_tokens == 0:
            log.info("throttling fetch, %d already running url=%s", self.fetch_limiter.borrowed_tokens, url)
        expected = ssize if kind is SectorFileType.SEALED and ssize else None
        log.info("fetch url=%s dest=%s", url, temp)
        started = trio.current_time()
        abort = DownloadAbort()
        is_dir = kind is SectorFileType.CACHE
        fn = partial(
            download,
            url,
            self._headers,
            temp,
            is_dir=is_dir,
            expected_size=expected,
            max_size=limit,
            abort=abort,
        )
        await trio.to_thread.run_sync(_mkdir_parent, temp)
        with unwrap_single_error():
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_abort_when_cancelled, abort)
                size = await trio.to_thread.run_sync(fn, limiter=self.fetch_limiter)
                nursery.cancel_scope.cancel()
        took = max(trio.current_time() - started, 1e-9)
        log.info("fetched url=%s bytes=%d seconds=%.2f MiB/s=%.1f", url, size, took, size / took / 2**20)

    # -- other processes' paths ---------------------------------------------------------------

    async def fs_stat(self, storage_id: StorageID) -> FsStat:
        """Space of any path: local directly, else ``GET <first URL>/stat/<id>`` (``StorageStat``).

        Raises:
            StorageNotFound: the index does not know the path, or its server says 404.
            StoresError: the server failed or answered something that is not an FsStat.
        """
        if self.local.root(storage_id) is not None:
            return await self.local.fs_stat(storage_id)
        info = await self._index.storage_info(storage_id)
        if not info.urls:
            raise StoresError(f"no known URLs for remote storage '{storage_id}'")
        url = f"{info.urls[0].rstrip('/')}/stat/{storage_id}"
        try:
            async with httpx.AsyncClient(timeout=_STAT_TIMEOUT) as client:
                resp = await client.get(url, headers=self._headers)
        except httpx.HTTPError as exc:
            raise StoresError(f"fsstat of '{storage_id}' via {url}: {type(exc).__name__}: {exc}") from exc
        if resp.status_code == 404:
            raise StorageNotFound(f"fsstat: path not found: '{storage_id}' at {url}")
        if resp.status_code != 200:
            raise StoresError(f"fsstat: got http {resp.status_code} from {url}: {resp.text[:200].strip()}")
        try:
            return FsStat.from_json(resp.json())
        except (ValueError, InvalidStorageValue) as exc:
            raise StoresError(f"fsstat: malformed answer from {url}: {exc}") from exc

    async def remove(self, sector: SectorID, kind: SectorFileType, *, force: bool = False) -> None:
        """Delete every copy of one file type: local ones, then ``DELETE`` at each other holder.

        A holder whose every URL fails is logged and skipped (Lotus); its copy stays declared.

        Raises:
            SectorNotFound: there is no copy anywhere (unless ``force``).
        """
        removed = await self.local.remove(sector, kind, force=True)
        copies: list[SectorStorageInfo] = await self._index.storage_find_sector(sector, kind, 0, False)
        if not removed and not copies and not force:
            raise SectorNotFound(f"can't delete sector {sector} ({kind}): not found")
        for copy in copies:
            for url in copy.urls:
                try:
                    await self._delete_remote(url)
                    break
                except FetchFailed as exc:
                    log.warning("remove failed url=%s err=%s", url, exc)

    async def _delete_remote(self, url: str) -> None:
        log.info("delete url=%s", url)
        try:
            async with httpx.AsyncClient(timeout=_STAT_TIMEOUT) as client:
                resp = await client.delete(url, headers=self._headers)
        except httpx.HTTPError as exc:
            raise FetchFailed(f"{type(exc).__name__}: {exc}") from exc
        if resp.status_code != 200:
            raise FetchFailed(f"non-200 code: {resp.status_code}")


async def _abort_when_cancelled(abort: DownloadAbort) -> None:
    """Sleeps beside a download; cancelled with it, it cuts the blocked transfer short."""
    try:
        await trio.sleep_forever()
    finally:
        abort.abort()


async def _discard(temp: Path) -> None:
    """Remove a temporary download, shielded; a failure is only logged (the next open() retries).

    Bounded as it is: one unlink or rmtree of our own file, in a thread that is not abandoned.
    """
    with trio.CancelScope(shield=True):
        try:
            await trio.to_thread.run_sync(remove_all, temp)
        except StoresError as exc:
            log.warning("cannot remove an unfinished download path=%s err=%s", temp, exc)


def _mkdir_parent(path: Path) -> None:
    with os_errors("create directory", path.parent):
        path.parent.mkdir(mode=DIR_MODE, exist_ok=True)
