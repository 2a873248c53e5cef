"""``/debug/metrics`` of the miner: sector states, worker calls, scheduler passes, storage paths.

Counterpart: Lotus ``metrics/metrics.go`` (the measures and views) served by ``metrics/exporter.go``
through OpenCensus's Prometheus exporter, which names a view ``lotus_`` + its name with ``/`` turned
into ``_``.  Lotus records each value when it happens (``stats.Record``); here a custom collector
reads the live state at scrape time, so there is no background task and nothing to keep in step:
the sector counts from the daemon's callable, the scheduler's snapshot and its
:class:`~pylotus.sched.stats.SchedStats` counters, the index's last report of every path.

Metrics, with their Lotus source (``metrics.go``)::

    lotus_sealing_states{sector_state}                         SectorStates (sealing/states)
    lotus_sealing_worker_calls_started{task_type,worker_hostname}       WorkerCallsStarted
    lotus_sealing_worker_calls_returned_count{task_type,worker_hostname}  WorkerCallsReturnedCount
    lotus_sealing_worker_calls_returned_ms{task_type,worker_hostname}   WorkerCallsReturnedDuration
    lotus_sched_assigner_cycle_ms                              SchedAssignerCycleDuration
    lotus_sched_assigner_cycle_open_window                     SchedCycleOpenWindows
    lotus_sched_assigner_cycle_task_queue_entry                SchedCycleQueueSize
    lotus_storage_path_{fs_available,available,reserved}_frac  StorageFSAvailable, …Available, …Reserved
    lotus_storage_path_{capacity,fs_available,available,reserved}_bytes   Storage…Bytes
    lotus_storage_path_limit_{used_frac,used_bytes,max_bytes}  StorageLimit… (paths with a limit)
    pylotus_sched_workers                                      invented: connected workers
    pylotus_sched_worker_enabled{worker_id,worker_hostname}    invented: 1 enabled, 0 disabled
    pylotus_sched_queue_size                                   invented: requests queued now

Storage metrics carry ``storage_id``, ``path_storage`` and ``path_seal`` (``"true"``/``"false"``, Go's
``fmt.Sprint(bool)``) and, as in Lotus's ``MemIndex.StorageReportHealth``, only paths reporting a
capacity; the ``limit`` ones only for paths with ``MaxStorage`` set.  Histograms keep Lotus's bucket
bounds.  Where pylotus differs, on purpose:

* The two call counters are exposed *untyped*: Lotus's exporter writes them as counters named
  exactly ``…_started`` and ``…_returned_count``, and ``prometheus_client`` would write a counter as
  ``…_total``; keeping the sample names keeps Lotus's dashboards and alerts working.
* A path's values disappear with the path (OpenCensus keeps the last value of a detached path).
* ``sched/assigner_cycle_*`` are recorded per pass that had requests to place; ``open_window`` is the
  number of enabled workers (this scheduler has no windows, see :mod:`pylotus.sched.diag`).
* The ``…_candidates_ms``, ``…_window_select_ms``, ``…_submit_ms`` steps and
  ``sealing/worker_untracked_calls_returned`` are not exported: the scheduler has no such steps, and
  untracked returns are kept by the call tracker, not counted.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import Any, Final, final

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, HistogramMetricFamily, Metric

from ..sched import Scheduler
from ..sched.stats import Distribution
from ..stores import MemIndex

__all__ = ["CONTENT_TYPE", "METRICS_PATH", "MetricsHandler", "MinerMetrics"]

log = logging.getLogger(__name__)

# ASGI's shapes, as jsonrpc.server spells them (the spec's dicts, not ours).
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

METRICS_PATH: Final = "/debug/metrics"  # Lotus node/impl: mux.Handle("/debug/metrics", exporter)
CONTENT_TYPE: Final = CONTENT_TYPE_LATEST

_STORAGE_LABELS: Final = ("storage_id", "path_storage", "path_seal")
_CALL_LABELS: Final = ("task_type", "worker_hostname")


def _go_bool(value: bool) -> str:
    return "true" if value else "false"


def _histogram(name: str, doc: str, labels: Iterable[str] = ()) -> HistogramMetricFamily:
    return HistogramMetricFamily(name, doc, labels=list(labels))


def _le(bound: float) -> str:
    """A bucket bound as Go's Prometheus client writes it (``strconv.FormatFloat(b, 'g', -1, 64)``,
    which equals ``%g`` for Lotus's bounds, all of six digits or fewer): ``0.01``, ``1``, ``1e+06``."""
    return "+Inf" if bound == float("inf") else f"{bound:g}"


def _add_distribution(family: HistogramMetricFamily, labels: list[str], dist: Distribution) -> None:
    """Add ``dist`` to ``family`` as cumulative ``le`` buckets."""
    buckets: list[tuple[str, float]] = []
    running = 0
    for bound, n in zip((*dist.bounds, float("inf")), dist.counts, strict=True):
        running += n
        buckets.append((_le(bound), running))
    family.add_metric(labels, buckets, dist.total)


@final
class _MinerCollector:
    """The ``prometheus_client`` collector: every ``collect()`` reads the state anew."""

    def __init__(
        self, scheduler: Scheduler, index: MemIndex, sector_states: Callable[[], Mapping[str, int]]
    ) -> None:
        self._scheduler = scheduler
        self._index = index
        self._sector_states = sector_states

    def collect(self) -> Iterator[Metric]:
        yield from self._sectors()
        yield from self._worker_calls()
        yield from self._sched()
        yield from self._storage()

    def _sectors(self) -> Iterator[Metric]:
        states = GaugeMetricFamily(
            "lotus_sealing_states", "Number of sectors in each state", labels=["sector_state"]
        )
        for state, count in sorted(self._sector_states().items()):
            states.add_metric([state], count)
        yield states

    def _worker_calls(self) -> Iterator[Metric]:
        stats = self._scheduler.stats
        started = Metric("lotus_sealing_worker_calls_started", "Counter of started worker tasks", "unknown")
        for (task, host), n in sorted(stats.calls_started.items()):
            started.add_sample(started.name, {"task_type": task, "worker_hostname": host}, n)
        returned = Metric(
            "lotus_sealing_worker_calls_returned_count", "Counter of returned worker tasks", "unknown"
        )
        duration = _histogram(
            "lotus_sealing_worker_calls_returned_ms", "Counter of returned worker tasks", _CALL_LABELS
        )
        for (task, host), dist in sorted(stats.calls_returned_ms.items()):
            returned.add_sample(returned.name, {"task_type": task, "worker_hostname": host}, dist.count)
            _add_distribution(duration, [task, host], dist)
        yield from (started, returned, duration)

    def _sched(self) -> Iterator[Metric]:
        stats = self._scheduler.stats
        for name, doc, dist in (
            ("lotus_sched_assigner_cycle_ms", "Duration of scheduler assigner cycle", stats.cycle_ms),
            (
                "lotus_sched_assigner_cycle_open_window",
                "Number of open windows in scheduling cycles",
                stats.cycle_open_windows,
            ),
            (
                "lotus_sched_assigner_cycle_task_queue_entry",
                "Number of task queue entries in scheduling cycles",
                stats.cycle_queue_entries,
            ),
        ):
            family = _histogram(name, doc)
            _add_distribution(family, [], dist)
            yield family
        snap = self._scheduler.snapshot()
        yield GaugeMetricFamily(
            "pylotus_sched_workers", "Workers connected to the scheduler", len(snap.workers)
        )
        enabled = GaugeMetricFamily(
            "pylotus_sched_worker_enabled",
            "1 if the worker takes new tasks, 0 if disabled",
            labels=["worker_id", "worker_hostname"],
        )
        for w in sorted(snap.workers, key=lambda w: str(w.worker_id)):
            enabled.add_metric([str(w.worker_id), w.info.hostname], 1 if w.enabled else 0)
        yield enabled
        queued = sum(1 for r in snap.queued if not (r.abandoned or r.done))
        yield GaugeMetricFamily("pylotus_sched_queue_size", "Requests waiting in the scheduler queue", queued)

    def _storage(self) -> Iterator[Metric]:
        def gauge(name: str, doc: str) -> GaugeMetricFamily:
            return GaugeMetricFamily(f"lotus_storage_{name}", doc, labels=list(_STORAGE_LABELS))

        fs_avail_frac = gauge("path_fs_available_frac", "Fraction of filesystem available storage")
        avail_frac = gauge("path_available_frac", "Fraction of available storage")
        reserved_frac = gauge("path_reserved_frac", "Fraction of reserved storage")
        limit_used_frac = gauge("path_limit_used_frac", "Fraction of used optional storage limit")
        capacity = gauge("path_capacity_bytes", "storage path capacity")
        fs_avail = gauge("path_fs_available_bytes", "filesystem available storage bytes")
        avail = gauge("path_available_bytes", "available storage bytes")
        reserved = gauge("path_reserved_bytes", "reserved storage bytes")
        limit_used = gauge("path_limit_used_bytes", "used optional storage limit bytes")
        limit_max = gauge("path_limit_max_bytes", "optional storage limit")
        for info, stat in self._index.storage_stats():
            if stat.capacity <= 0:
                continue  # as Lotus: nothing is recorded for a path that reports no capacity
            labels = [str(info.id), _go_bool(info.can_store), _go_bool(info.can_seal)]
            fs_avail_frac.add_metric(labels, stat.fs_available / stat.capacity)
            avail_frac.add_metric(labels, stat.available / stat.capacity)
            reserved_frac.add_metric(labels, stat.reserved / stat.capacity)
            capacity.add_metric(labels, stat.capacity)
            fs_avail.add_metric(labels, stat.fs_available)
            avail.add_metric(labels, stat.available)
            reserved.add_metric(labels, stat.reserved)
            if stat.max > 0:
                limit_used_frac.add_metric(labels, stat.used / stat.max)
                limit_used.add_metric(labels, stat.used)
                limit_max.add_metric(labels, stat.max)
        yield from (fs_avail_frac, avail_frac, reserved_frac, limit_used_frac)
        yield from (capacity, fs_avail, avail, reserved, limit_used, limit_max)


@final
class MinerMetrics:
    """The miner's metrics in the Prometheus text format, read live on every :meth:`render`.

    Args:
        scheduler: the miner's scheduler (workers, queue, ``stats``).
        index: the miner's sector index (every path's last reported space).
        sector_states: returns the number of sectors in each state, keyed by Lotus's state name
            (``"Proving"``); called once per scrape, on the event loop, so it must not block.

    Uses its own :class:`~prometheus_client.CollectorRegistry`: nothing registers in, or is read
    from, ``prometheus_client``'s global registry.
    """

    def __init__(
        self, scheduler: Scheduler, index: MemIndex, sector_states: Callable[[], Mapping[str, int]]
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_MinerCollector(scheduler, index, sector_states))

    def render(self) -> bytes:
        """The text exposition (:data:`CONTENT_TYPE`) of every metric, as of now."""
        return generate_latest(self.registry)


@final
class MetricsHandler:
    """ASGI route serving :class:`MinerMetrics` on ``GET`` (Lotus ``/debug/metrics``).

    Mounted in :class:`~pylotus.jsonrpc.ApiApp`'s ``routes``.  It checks no permission, as Lotus
    serves the path outside its auth handler: a scraper needs no token (a request *with* an
    invalid token is still refused by ``ApiApp``, before any route).
    """

    def __init__(self, metrics: MinerMetrics) -> None:
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1008})  # policy: not a websocket endpoint
            return
        if scope.get("method") != "GET":
            await _respond(send, 405, b"405 method not allowed: use GET\n", "text/plain; charset=utf-8")
            return
        try:
            body = self._metrics.render()
        except Exception as exc:  # a failing source must answer the scraper, not kill the connection
            log.error("metrics collection failed err=%s", exc, exc_info=True)
            text = f"500 metrics collection failed: {type(exc).__name__}: {exc}\n"
            await _respond(send, 500, text.encode(), "text/plain; charset=utf-8")
            return
        await _respond(send, 200, body, CONTENT_TYPE)


async def _respond(send: Send, status: int, body: bytes, content_type: str) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    if status == 405:
        headers.append((b"allow", b"GET"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
