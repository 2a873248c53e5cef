"""Window PoSt: prove every deadline that holds sectors, and declare faulty sectors recovered.

Counterparts: Lotus ``storage/wdpost/wdpost_run.go`` (``runPoStCycle``: partitions of the open
deadline, ``GenerateWindowPoSt``, ``SubmitWindowedPoSt`` with the chain commit) and
``wdpost_recovery.go`` (``checkNextRecoveries`` → ``DeclareFaultsRecovered``), driven by
``wdpost_changehandler.go`` on each new head.

Each poll (:attr:`WindowPoStConfig.poll_interval`) the scheduler:

1. reads the open deadline (``StateMinerProvingDeadline``); once per (proving period, deadline)
   it takes the partitions not yet proven this period (``StateMinerPartitions``,
   ``StateMinerDeadlines``' ``PostSubmissions``), drops the faulty sectors that are not
   recovering, draws the challenge (``WindowedPoStChallengeSeed`` at the deadline's ``Challenge``
   epoch), generates the vanilla Window PoSt over the sealed and cache files (fetched to this
   machine if a worker holds them) and sends ``SubmitWindowedPoSt`` (method 5) from the worker
   with the chain commit (``PoStChainCommit`` at the head);
2. for every deadline whose fault-declaration cutoff is still ahead, declares recovered
   (``DeclareFaultsRecovered``, method 11) the faulty sectors whose files are readable again;
   their power comes back with the deadline's next PoSt.

A sector that cannot be proven (files missing or damaged) is left out of the submission: the
chain's cron then marks its partition faulty at the deadline's close, as Lotus's skipped sectors
end up.  Generation runs in a thread; a 2KiB sector proves in milliseconds.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, final

import trio
from multiformats import CID

from ..abi import (
    RegisteredPoStProof,
    RegisteredSealProof,
    SectorFileType,
    SectorID,
    SectorNumber,
    cid_from_json,
)
from ..chain import dagcbor
from ..chain.bitfield import encode_rle, json_members, json_runs
from ..chain.policy import (
    FAULT_DECLARATION_CUTOFF,
    WPOST_CHALLENGE_WINDOW,
    WPOST_PERIOD_DEADLINES,
    WPOST_PROVING_PERIOD,
)
from ..chain.randomness import DomainSeparationTag
from ..errors import PylotusError
from ..proofs import PrivateSectorInfo, SectorInfo, generate_window_post
from ..stores import AcquireMode, PathType, RemoteStore
from .chain_calls import MinerChain

__all__ = ["WindowPoStConfig", "WindowPoStScheduler"]

log = logging.getLogger(__name__)

METHOD_SUBMIT_WINDOWED_POST: Final = 5
METHOD_DECLARE_FAULTS_RECOVERED: Final = 11
_MAX_SECTORS: Final = 1 << 20  # bound on bitfields read from the node


@dataclass(frozen=True)
class WindowPoStConfig:
    poll_interval: float = 0.2  # seconds between looks at the open deadline (a devnet's lasts 5 blocks)
    recovery_interval: float = 2.0  # seconds between looks for sectors to declare recovered
    message_timeout: float = 300.0


@final
class WindowPoStScheduler:
    """Submits the Window PoSts of one miner and declares its recoveries."""

    def __init__(
        self,
        chain: MinerChain,
        store: RemoteStore,
        post_proof: RegisteredPoStProof,
        sector_size: int,
        config: WindowPoStConfig | None = None,
    ) -> None:
        self._chain = chain
        self._store = store
        self._miner = chain.miner
        self._post_proof = post_proof
        self._sector_size = sector_size
        self._config = config or WindowPoStConfig()
        self._done: set[tuple[int, int]] = set()
        self._declared: set[tuple[int, int, int]] = set()  # (deadline, next open, sector) declared recovering
        self._reports: trio.Nursery | None = None

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Watch the open deadline (every :attr:`~WindowPoStConfig.poll_interval`) and, in a loop
        of its own so that it never delays a proof, declare recoveries."""
        async with trio.open_nursery() as nursery:
            self._reports = nursery
            nursery.start_soon(self._loop, self.poll, self._config.poll_interval)
            nursery.start_soon(self._loop, self._declare_recoveries, self._config.recovery_interval)
            task_status.started()

    async def _loop(self, step: Callable[[], Awaitable[None]], interval: float) -> None:
        while True:
            try:
                await step()
            except PylotusError as exc:
                log.warning("window post: %s", exc)
            await trio.sleep(interval)

    async def poll(self) -> None:
        """One look at the open deadline: prove it if it holds sectors and is not proven yet."""
        deadline: Any = await self._chain.call("StateMinerProvingDeadline", self._miner, None)
        key = (int(deadline["PeriodStart"]), int(deadline["Index"]))
        if key not in self._done:
            await self._prove(deadline)
            self._done.add(key)
            self._done = {k for k in self._done if k[0] >= key[0] - WPOST_PROVING_PERIOD}

    # -- proving ------------------------------------------------------------------------------------

    async def _prove(self, deadline: Any) -> None:
        index = int(deadline["Index"])
        partitions: Any = await self._chain.call("StateMinerPartitions", self._miner, index, None)
        if not partitions:
            return
        deadlines: Any = await self._chain.call("StateMinerDeadlines", self._miner, None)
        submitted = json_members(deadlines[index]["PostSubmissions"], limit=_MAX_SECTORS)
        indices: list[int] = []
        numbers: set[int] = set()
        all_sectors: dict[int, set[int]] = {}  # partition index -> its sectors
        for number, partition in enumerate(partitions):
            if number in submitted:
                continue
            all_sectors[number] = json_members(partition["AllSectors"], limit=_MAX_SECTORS)
            faulty = json_members(partition["FaultySectors"], limit=_MAX_SECTORS)
            recovering = json_members(partition["RecoveringSectors"], limit=_MAX_SECTORS)
            provable = all_sectors[number] - (faulty - recovering)
            if provable:
                indices.append(number)
                numbers |= provable
        if not indices:
            return
        sectors = await self._sectors(numbers)
        private, missing = await self._private(sectors)
        if missing:
            log.error(
                "window post deadline %d: sectors %s have no readable files; not proving them", index, missing
            )
        if not private:
            return
        tag = DomainSeparationTag.WINDOWED_POST_CHALLENGE_SEED
        randomness = await self._chain.beacon_randomness(tag, int(deadline["Challenge"]))
        miner_id = self._miner.id()
        proofs, skipped = await trio.to_thread.run_sync(
            generate_window_post, self._post_proof, miner_id, private, randomness
        )
        if skipped or missing:
            # the chain checks the whole partition: a partial proof would be refused, so the
            # partitions are left to cron, which faults them (Lotus would declare them skipped)
            bad = set(skipped) | set(missing)
            indices = [i for i in indices if not bad & all_sectors[i]]
            if not indices:
                log.error(
                    "window post deadline %d: no partition fully provable (bad sectors %s)",
                    index,
                    sorted(bad),
                )
                return
            keep = set().union(*(all_sectors[i] for i in indices))
            private = [p for p in private if p.info.sector_number in keep]
            proofs, _ = await trio.to_thread.run_sync(
                generate_window_post, self._post_proof, miner_id, private, randomness
            )
        head = await self._chain.height()
        commit_rand = await self._chain.ticket_randomness(DomainSeparationTag.POST_CHAIN_COMMIT, head, b"")
        params = dagcbor.encode(
            [
                index,
                [[i, encode_rle([])] for i in indices],
                [[int(p.post_proof), p.proof_bytes] for p in proofs],
                head,
                commit_rand,
            ]
        )
        cid = await self._chain.push(METHOD_SUBMIT_WINDOWED_POST, params)
        log.info(
            "window post submitted deadline=%d partitions=%s sectors=%d msg=%s",
            index,
            indices,
            len(private),
            cid,
        )
        self._report_later(f"window post for deadline {index}", cid)

    def _report_later(self, what: str, cid: CID) -> None:
        if self._reports is not None:
            self._reports.start_soon(self._report, what, cid)

    async def _report(self, what: str, cid: CID) -> None:
        """Log how a message ended, without holding up the next deadline."""
        try:
            lookup = await self._chain.wait(cid, self._config.message_timeout)
        except PylotusError as exc:
            log.warning("%s: no receipt for %s: %s", what, cid, exc)
            return
        code = lookup["Receipt"]["ExitCode"]
        if code != 0:
            log.error("%s failed on chain: exit %d (msg %s)", what, code, cid)
        else:
            log.info("%s landed at height %s", what, lookup["Height"])

    async def _sectors(self, numbers: set[int]) -> list[SectorInfo]:
        found: Any = await self._chain.call("StateMinerSectors", self._miner, json_runs(numbers), None)
        return [
            SectorInfo(
                RegisteredSealProof(s["SealProof"]), int(s["SectorNumber"]), cid_from_json(s["SealedCID"])
            )
            for s in found
        ]

    async def _private(self, sectors: Sequence[SectorInfo]) -> tuple[list[PrivateSectorInfo], list[int]]:
        """Local sealed and cache paths of each sector (fetched if needed); numbers of the missing."""
        private: list[PrivateSectorInfo] = []
        missing: list[int] = []
        for sector in sectors:
            sid = SectorID(self._miner.id(), SectorNumber(sector.sector_number))  # type: ignore[arg-type]
            try:
                paths = await self._store.acquire_sector(
                    sid,
                    self._sector_size,
                    SectorFileType.SEALED | SectorFileType.CACHE,
                    SectorFileType.NONE,
                    PathType.STORAGE,
                    AcquireMode.COPY,
                )
            except PylotusError as exc:
                log.warning("sector %d not provable: %s", sector.sector_number, exc)
                missing.append(sector.sector_number)
                continue
            private.append(
                PrivateSectorInfo(
                    sector, paths.paths[SectorFileType.CACHE], paths.paths[SectorFileType.SEALED]
                )
            )
        return private, missing

    # -- recoveries ---------------------------------------------------------------------------------

    async def _declare_recoveries(self) -> None:
        faults: Any = await self._chain.call("StateMinerFaults", self._miner, None)
        if not json_members(faults, limit=_MAX_SECTORS):
            return
        current: Any = await self._chain.call("StateMinerProvingDeadline", self._miner, None)
        now = int(current["CurrentEpoch"])
        period_start = int(current["PeriodStart"])
        declarations: list[list[Any]] = []
        for index in range(WPOST_PERIOD_DEADLINES):
            open_ = period_start + index * WPOST_CHALLENGE_WINDOW
            while open_ <= now:
                open_ += WPOST_PROVING_PERIOD
            if now >= open_ - FAULT_DECLARATION_CUTOFF:
                continue  # too late for this deadline's next opening
            partitions: Any = await self._chain.call("StateMinerPartitions", self._miner, index, None)
            for number, partition in enumerate(partitions):
                faulty = json_members(partition["FaultySectors"], limit=_MAX_SECTORS)
                recovering = json_members(partition["RecoveringSectors"], limit=_MAX_SECTORS)
                todo = sorted(n for n in faulty - recovering if (index, open_, n) not in self._declared)
                if not todo:
                    continue
                private, missing = await self._private(await self._sectors(set(todo)))
                ready = sorted(p.info.sector_number for p in private)
                if ready:
                    declarations.append([index, number, encode_rle(ready)])
                    self._declared.update((index, open_, n) for n in ready)
                if missing:
                    log.info("faulty sectors %s still unreadable; not declaring them recovered", missing)
        if not declarations:
            return
        cid = await self._chain.push(METHOD_DECLARE_FAULTS_RECOVERED, dagcbor.encode([declarations]))
        log.info("declared faults recovered %s msg=%s", [(d[0], d[1]) for d in declarations], cid)
        await self._report("DeclareFaultsRecovered", cid)
