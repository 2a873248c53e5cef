"""The ``sealing jobs`` layout, from ``WorkerJobs`` and ``WorkerStats`` JSON.

Counterpart: Lotus L12 ``cmd/lotus-storage-miner/sealing.go`` (``sealingJobsCmd``);
reference/lotus-miner.md §1.6.  A Go ``tabwriter`` table (min width 2, padding 2, spaces)::

    ID        Sector  Worker    Hostname  Task  State        Time
    3f1c0a2e  8       9bd4e2c1  fred      PC1   running      3.2s
    77a01b9d  9       9bd4e2c1  fred      PC2   assigned(1)  400ms

``ID`` and ``Worker`` are the first four bytes of the job's and the worker's UUIDs in hex; the
hostname is the worker's from ``WorkerStats``, else the job's own; ``Task`` is the short name
padded to three columns (L12's ``Short()``: ``AP ``, ``PC1``); ``State`` is ``running``
(RunWait 0), ``assigned(<RunWait-1>)``, or L12's ``ret-wait`` (-1), ``returned`` (-2) and
``ret-done`` (-3, shown only with ``show_ret_done``); ``Time`` is how long since the job's start,
truncated to 100 ms in Go's ``Duration.String()`` form, ``n/a`` for a zero start.  Rows are
sorted by RunWait, then start, then job ID.  Pure: no I/O (the caller passes "now").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from ..abi import JsonValue
from .errors import InvalidSchedValue
from .task_types import TaskType

__all__ = ["format_go_duration_100ms", "format_jobs", "tabwrite"]

_TAB_MIN_WIDTH: Final = 2  # tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
_TAB_PADDING: Final = 2
_GO_ZERO_YEAR: Final = 1  # Go's zero time.Time is year 1
_RUN_WAIT_STATES: Final = {-1: "ret-wait", -2: "returned", -3: "ret-done"}


def tabwrite(rows: Sequence[Sequence[str]]) -> str:
    """Go's ``tabwriter`` with Lotus's settings, for rows of equal length: every cell but the last
    of a row is padded to its column's widest cell plus two; the last is written as is."""
    if not rows:
        return ""
    columns = len(rows[0]) - 1
    widths = [max(_TAB_MIN_WIDTH, max(len(r[i]) for r in rows) + _TAB_PADDING) for i in range(columns)]
    lines = ["".join(cell.ljust(w) for cell, w in zip(r, widths, strict=False)) + r[-1] for r in rows]
    return "".join(line + "\n" for line in lines)


def format_go_duration_100ms(elapsed: timedelta) -> str:
    """Go's ``Duration.Truncate(100 * time.Millisecond).String()``: ``0s``, ``400ms``, ``3.2s``,
    ``1m2.3s``, ``2h0m5s``."""
    tenths = max(0, elapsed // timedelta(milliseconds=100))
    if tenths == 0:
        return "0s"
    if tenths < 10:
        return f"{tenths * 100}ms"
    hours, rest = divmod(tenths, 36_000)
    minutes, rest = divmod(rest, 600)
    secs = format(Decimal(rest) / 10, "f")
    secs = secs.rstrip("0").rstrip(".") if "." in secs else secs
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


@dataclass(frozen=True, slots=True)
class _Job:
    job_id: str
    sector: int
    worker: str
    hostname: str
    task: TaskType
    run_wait: int
    start: datetime | None  # None: Go's zero time


def _parse_start(value: JsonValue) -> datetime | None:
    if not isinstance(value, str):
        raise InvalidSchedValue(f"job start '{value}' is not a time")
    try:
        start = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidSchedValue(f"job start '{value}' is not a time") from exc
    if start.year == _GO_ZERO_YEAR:
        return None
    return start if start.tzinfo is not None else start.replace(tzinfo=UTC)


def _job(worker: str, obj: JsonValue) -> _Job:
    if not isinstance(obj, dict):
        raise InvalidSchedValue("a WorkerJob must be an object")
    ident, sector = obj.get("ID"), obj.get("Sector")
    job_id = ident.get("ID") if isinstance(ident, dict) else None
    number = sector.get("Number") if isinstance(sector, dict) else None
    run_wait = obj.get("RunWait")
    if not isinstance(job_id, str) or not isinstance(number, int) or not isinstance(run_wait, int):
        raise InvalidSchedValue(f"WorkerJob is not Lotus's shape: {str(obj)!r:.120}")
    hostname = obj.get("Hostname")
    return _Job(
        job_id,
        number,
        worker,
        hostname if isinstance(hostname, str) else "",
        TaskType.from_json(obj.get("Task")),
        run_wait,
        _parse_start(obj.get("Start")),
    )


def _state(run_wait: int) -> str:
    if run_wait > 0:
        return f"assigned({run_wait - 1})"
    return _RUN_WAIT_STATES.get(run_wait, "running")


def _hex4(uuid_text: str) -> str:
    """``hex.EncodeToString(id[:4])`` of a UUID in its text form."""
    return uuid_text.replace("-", "")[:8]


def format_jobs(jobs: JsonValue, stats: JsonValue, *, now: datetime, show_ret_done: bool = False) -> str:
    """The ``sealing jobs`` table for ``WorkerJobs`` (``{"<uuid>": [WorkerJob]}``), with hostnames
    from ``WorkerStats``; just the header when there are no jobs.

    Raises:
        InvalidSchedValue: a result is not Lotus's shape.
    """
    if not isinstance(jobs, dict) or not isinstance(stats, dict):
        raise InvalidSchedValue("WorkerJobs and WorkerStats must be objects keyed by worker")
    lines: list[_Job] = []
    for worker, entries in jobs.items():
        if not isinstance(entries, list):
            raise InvalidSchedValue(f"the jobs of worker '{worker}' must be a list")
        lines.extend(_job(worker, entry) for entry in entries)
    earliest = datetime.min.replace(tzinfo=UTC)
    lines.sort(key=lambda j: (j.run_wait, j.start or earliest, j.job_id))
    rows = [("ID", "Sector", "Worker", "Hostname", "Task", "State", "Time")]
    for job in lines:
        if job.run_wait == -3 and not show_ret_done:
            continue
        info = stats.get(job.worker)
        host = info.get("Info") if isinstance(info, dict) else None
        hostname = host.get("Hostname") if isinstance(host, dict) else None
        rows.append(
            (
                _hex4(job.job_id),
                str(job.sector),
                _hex4(job.worker),
                hostname if isinstance(hostname, str) else job.hostname,
                job.task.short.ljust(3),
                _state(job.run_wait),
                "n/a" if job.start is None else format_go_duration_100ms(now - job.start),
            )
        )
    return tabwrite(rows)
