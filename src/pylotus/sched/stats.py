"""Counters the scheduler keeps for ``/debug/metrics``: scheduling passes and worker calls.

Counterpart: what Lotus records with OpenCensus ``stats.Record`` in ``storage/sealer/sched.go``
(``sched/assigner_cycle_*``) and ``worker_tracked.go`` (``sealing/worker_calls_*``); the metric
names, and the bucket bounds below, are Lotus's ``metrics/metrics.go``.  The exposition itself is
:mod:`pylotus.miner.metrics`; this module only counts, so ``sched/`` knows nothing of Prometheus.

Rule of the file: only the scheduler's loop and the assignment tasks it runs write a
:class:`SchedStats`, each update synchronous (no await between the read and the write of a
counter), so a reader on the same trio loop always sees whole numbers.  Readers never write.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "DEFAULT_MS_BOUNDS",
    "QUEUE_SIZE_BOUNDS",
    "WORK_MS_BOUNDS",
    "Distribution",
    "SchedStats",
]

DEFAULT_MS_BOUNDS: Final[tuple[float, ...]] = (
    0.01, 0.05, 0.1, 0.3, 0.6, 0.8, 1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 30, 40, 50, 65, 80, 100,
    130, 160, 200, 250, 300, 400, 500, 650, 800, 1000, 2000, 3000, 4000, 5000, 7500, 10000, 20000,
    50000, 100_000, 250_000, 500_000, 1000_000,
)  # fmt: skip
"""Lotus ``defaultMillisecondsDistribution`` (``sched/assigner_cycle_ms``)."""

_MIN: Final = 60_000
WORK_MS_BOUNDS: Final[tuple[float, ...]] = (
    250, 500, 1000, 2000, 5000, 10_000, 30_000, _MIN, 2 * _MIN, 5 * _MIN, 10 * _MIN, 15 * _MIN,
    30 * _MIN, 40 * _MIN, 45 * _MIN, 50 * _MIN, 55 * _MIN, 60 * _MIN, 65 * _MIN, 70 * _MIN, 75 * _MIN,
    80 * _MIN, 85 * _MIN, 100 * _MIN, 120 * _MIN, 130 * _MIN, 140 * _MIN, 150 * _MIN, 160 * _MIN,
    180 * _MIN, 200 * _MIN, 220 * _MIN, 260 * _MIN, 300 * _MIN, 350 * _MIN, 400 * _MIN, 600 * _MIN,
    800 * _MIN, 1000 * _MIN, 1300 * _MIN, 1800 * _MIN, 4000 * _MIN, 10000 * _MIN,
)  # fmt: skip
"""Lotus ``workMillisecondsDistribution`` (``sealing/worker_calls_returned_ms``): short tasks,
then the PC2/C2, PC1 and slow-PC1 ranges."""

QUEUE_SIZE_BOUNDS: Final[tuple[float, ...]] = (
    0, 1, 2, 3, 5, 7, 10, 15, 25, 35, 50, 70, 90, 130, 200, 300, 500, 1000, 2000, 5000, 10000,
)  # fmt: skip
"""Lotus ``queueSizeDistribution`` (``sched/assigner_cycle_open_window``, ``…_task_queue_entry``)."""


@dataclass
class Distribution:
    """Observations counted into fixed buckets: the state of one Prometheus histogram series.

    ``counts[i]`` holds the observations ``v <= bounds[i]`` not counted in an earlier bucket
    (Prometheus's ``le``); the last slot is ``+Inf``.
    """

    bounds: tuple[float, ...]
    counts: list[int] = field(init=False)
    total: float = 0.0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.bounds) + 1)

    @property
    def count(self) -> int:
        return sum(self.counts)

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.total += value


def _work_ms() -> Distribution:
    return Distribution(WORK_MS_BOUNDS)


CallKey = tuple[str, str]
"""``(task type, worker hostname)``: Lotus tags worker calls with ``task_type`` and ``worker_hostname``."""


@dataclass
class SchedStats:
    """What the scheduler counted since it was made.  Durations are recorded in milliseconds, as
    Lotus records them (its metrics are ``…_ms``)."""

    cycle_ms: Distribution = field(default_factory=lambda: Distribution(DEFAULT_MS_BOUNDS))
    cycle_open_windows: Distribution = field(default_factory=lambda: Distribution(QUEUE_SIZE_BOUNDS))
    cycle_queue_entries: Distribution = field(default_factory=lambda: Distribution(QUEUE_SIZE_BOUNDS))
    calls_started: Counter[CallKey] = field(default_factory=Counter)
    calls_returned_ms: dict[CallKey, Distribution] = field(default_factory=dict)

    def record_cycle(self, seconds: float, *, queue_entries: int, open_windows: int) -> None:
        """One scheduling pass that had requests to place took ``seconds`` (wall clock)."""
        self.cycle_ms.observe(seconds * 1000)
        self.cycle_queue_entries.observe(queue_entries)
        self.cycle_open_windows.observe(open_windows)

    def call_started(self, task_type: str, hostname: str) -> None:
        """A task's work began on a worker (Lotus ``WorkerCallsStarted``)."""
        self.calls_started[(task_type, hostname)] += 1

    def call_returned(self, task_type: str, hostname: str, seconds: float) -> None:
        """A task's work returned, with a result or an error, after ``seconds`` (Lotus
        ``WorkerCallsReturnedCount`` and ``WorkerCallsReturnedDuration``)."""
        dist = self.calls_returned_ms.get((task_type, hostname))
        if dist is None:
            dist = self.calls_returned_ms[(task_type, hostname)] = _work_ms()
        dist.observe(seconds * 1000)
