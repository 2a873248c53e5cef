"""``sealing jobs`` against a golden layout (Lotus L12's tabwriter table) and its duration form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pylotus.sched import InvalidSchedValue
from pylotus.sched.sealing_format import format_go_duration_100ms, format_jobs, tabwrite

NOW = datetime(2026, 11, 25, 2, 0, 0, tzinfo=UTC)
W1 = "9bd4e2c1-0000-4000-8000-000000000001"
W2 = "77a01b9d-0000-4000-8000-000000000002"


def job(uuid: str, number: int, task: str, run_wait: int, start: str) -> Any:
    sector = {"Miner": 1000, "Number": number}
    return {
        "ID": {"Sector": sector, "ID": uuid},
        "Sector": sector,
        "Task": task,
        "RunWait": run_wait,
        "Start": start,
        "Hostname": "from-job",
    }


def test_jobs_table_matches_lotus_layout() -> None:
    jobs: Any = {
        W1: [
            job(
                "3f1c0a2e-aaaa-4000-8000-000000000001", 8, "seal/v0/precommit/1", 0, "2026-11-25T01:59:56.8Z"
            ),
            job("11111111-aaaa-4000-8000-000000000002", 9, "seal/v0/addpiece", 2, "2026-11-25T01:59:59.55Z"),
        ],
        W2: [
            job("22222222-aaaa-4000-8000-000000000003", 12, "seal/v0/precommit/2", 0, "2026-11-25T01:58:00Z"),
            job("33333333-aaaa-4000-8000-000000000004", 13, "seal/v0/commit/2", -3, "2026-11-25T01:58:00Z"),
        ],
    }
    stats: Any = {W1: {"Info": {"Hostname": "fred"}}}  # W2 unknown to WorkerStats: the job's hostname
    assert format_jobs(jobs, stats, now=NOW) == (
        "ID        Sector  Worker    Hostname  Task  State        Time\n"
        "22222222  12      77a01b9d  from-job  PC2   running      2m0s\n"
        "3f1c0a2e  8       9bd4e2c1  fred      PC1   running      3.2s\n"
        "11111111  9       9bd4e2c1  fred      AP    assigned(1)  400ms\n"
    )
    shown = format_jobs(jobs, stats, now=NOW, show_ret_done=True)
    assert shown.splitlines()[1].startswith("33333333  13      77a01b9d  from-job  C2    ret-done")


def test_no_jobs_is_just_the_header_and_a_zero_start_is_na() -> None:
    assert format_jobs({}, {}, now=NOW) == "ID  Sector  Worker  Hostname  Task  State  Time\n"
    out = format_jobs({W1: [job(W1, 1, "seal/v0/fetch", 1, "0001-01-01T00:00:00Z")]}, {}, now=NOW)
    assert out.splitlines()[1].endswith("GET   assigned(0)  n/a")


@pytest.mark.parametrize(
    "seconds,text",
    [
        (0, "0s"),
        (0.099, "0s"),
        (0.45, "400ms"),
        (3.25, "3.2s"),
        (60, "1m0s"),
        (62.31, "1m2.3s"),
        (7205, "2h0m5s"),
    ],
)
def test_go_duration_truncated_to_100ms(seconds: float, text: str) -> None:
    assert format_go_duration_100ms(timedelta(seconds=seconds)) == text


def test_tabwriter_pads_all_but_the_last_cell() -> None:
    assert tabwrite([("a", "bbb", "c"), ("dddd", "e", "f")]) == "a     bbb  c\ndddd  e    f\n"


@pytest.mark.parametrize("bad", [[], {W1: "x"}, {W1: [{"ID": {}}]}, {W1: [job(W1, 1, "nope", 0, "x")]}])
def test_bad_shapes_are_refused(bad: object) -> None:
    with pytest.raises(InvalidSchedValue):
        format_jobs(bad, {}, now=NOW)  # type: ignore[arg-type]
