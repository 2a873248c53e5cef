"""The manager schedules a call again when its worker went away, and only then.

A scripted stand-in for the scheduler answers each ``schedule`` with the next outcome of a list (an
exception to raise, or a value to return), so the retry rule is tested without workers: the real
scheduler's drop behaviour (``WorkerClosed`` for a started task) is covered by its own tests, and a
real worker killed mid-PC1 by tests/integration/test_worker_death.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from pylotus.abi import ActorID, RegisteredSealProof, SectorID, SectorNumber
from pylotus.sched import CallFailed, Manager, WorkerClosed
from pylotus.sched.calltracker import TemporaryCallFailed
from pylotus.sched.manager import MAX_ATTEMPTS
from pylotus.stores import SectorRef
from pylotus.worker import ERR_TEMP_WORKER_RESTART, CallError

SECTOR = SectorRef(SectorID(ActorID(1000), SectorNumber(1)), RegisteredSealProof.STACKED_DRG_2KIB_V1_1)


class ScriptedSched:
    """``schedule`` raises or returns the next of ``outcomes``; counts the calls."""

    def __init__(self, *outcomes: object) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0

    async def schedule(self, *args: object, **kwargs: object) -> object:
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def manager(sched: ScriptedSched) -> Manager:
    return Manager(sched, None, None)  # type: ignore[arg-type]  # Commit2 uses neither index nor store


def gone() -> TemporaryCallFailed:
    return TemporaryCallFailed("SealCommit2", CallError(ERR_TEMP_WORKER_RESTART, "worker dropped"))


@pytest.mark.parametrize("lost", [lambda: WorkerClosed("worker 'a' went away"), gone])
async def test_a_call_whose_worker_went_away_runs_again(
    lost: Callable[[], Exception], caplog: pytest.LogCaptureFixture
) -> None:
    sched = ScriptedSched(lost(), lost(), b"proof")
    with caplog.at_level(logging.WARNING, logger="pylotus.sched.manager"):
        assert await manager(sched).seal_commit2(SECTOR, b"c1") == b"proof"
    assert sched.calls == 3
    retries = [r.getMessage() for r in caplog.records if "scheduling the call again" in r.getMessage()]
    assert len(retries) == 2 and "task=C2" in retries[0] and "attempt=2/3" in retries[0]


async def test_retries_are_bounded() -> None:
    sched = ScriptedSched(*(WorkerClosed("gone") for _ in range(MAX_ATTEMPTS + 1)))
    with pytest.raises(WorkerClosed):
        await manager(sched).seal_commit2(SECTOR, b"c1")
    assert sched.calls == MAX_ATTEMPTS


@pytest.mark.parametrize(
    "error",
    [
        CallFailed("SealCommit2", CallError(1, "kernel failed")),
        TemporaryCallFailed("SealCommit2", CallError(100, "some other temporary failure")),
        ValueError("bad input"),
    ],
)
async def test_other_errors_are_not_retried(error: Exception) -> None:
    sched = ScriptedSched(error, b"never")
    with pytest.raises(type(error)):
        await manager(sched).seal_commit2(SECTOR, b"c1")
    assert sched.calls == 1
