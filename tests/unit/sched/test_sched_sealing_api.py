"""The status methods the ``sealing`` commands call, served from a running scheduler in Lotus's shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sched_fakes import PC1, PC2, Harness

from pylotus.sched.sealing_api import SEALING_STATUS_TABLE, SealingStatusApi
from pylotus.sched.sealing_format import format_jobs
from pylotus.sched.workers_format import format_workers


async def test_stats_jobs_and_diag_in_lotus_shapes(harness: Harness) -> None:
    api = SealingStatusApi(harness.sched)
    assert {spec.perm for spec in SEALING_STATUS_TABLE.values()} == {"admin"}
    fred = await harness.worker("fred", {PC1})
    harness.submit("running", 1, PC1)
    harness.submit("waiting", 2, PC2)  # fred does not do PC2
    await harness.settle()

    stats: Any = await api.worker_stats()  # JSON, read by key below
    jobs: Any = await api.worker_jobs()
    wid = str(fred.worker_id)
    assert isinstance(stats, dict) and list(stats) == [wid]
    assert format_workers(stats).startswith(f"Worker {wid}, host fred\n")
    assert [j["Task"] for j in jobs[wid]] == ["seal/v0/precommit/1"]
    row = format_jobs(jobs, stats, now=datetime.now(UTC)).splitlines()[1].split()
    assert row[1:6] == ["1", wid.replace("-", "")[:8], "fred", "PC1", "running"]

    for forced in (False, True):
        diag: Any = await api.sealing_sched_diag(forced)
        json.dumps(diag)
        [request] = diag["Requests"]
        assert request["TaskType"] == "seal/v0/precommit/2"
        assert [r["Cause"] for r in request["Refusals"]] == ["task-type-disabled"]
    await harness.finish("running")
