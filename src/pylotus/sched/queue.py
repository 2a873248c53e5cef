"""The request queue: a binary heap of waiting requests in scheduling order.

Counterpart: Lotus ``storage/sealer/request_queue.go``.  The order is Lotus L05+'s ``Less``
(reference/lotus-miner.md §4.2): data-moving tasks (fetch, finalize) first, then higher priority,
then task-type order (C1 < C2 < PC2 < PC1 < AddPiece), then lower sector number; the order of
arrival in the queue breaks the remaining ties.  Each request carries its key
(:attr:`WorkerRequest.sort_key`), so the heap compares tuples, never requests.

Lotus keeps a slice and re-sorts it on every push and every removal (O(n log n) each, which its
users felt at a few thousand tasks, anchors.md §2.5); S0 used a heap as this does: push is
O(log n).  A scheduling pass takes every request out in order (:meth:`take_sorted`) and hands back
the ones it could not place (:meth:`restore`): a list in ascending order already is a valid heap,
so putting them back costs nothing.  Requests abandoned by their caller are dropped on the next
pass, or at once by :meth:`compact`.

Only the scheduling loop touches a queue; there is no locking.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator

from .request import SortKey, WorkerRequest

__all__ = ["RequestQueue"]

_Entry = tuple[SortKey, WorkerRequest]


class RequestQueue:
    """A heap of :class:`WorkerRequest` ordered by their ``sort_key``."""

    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._arrivals = itertools.count()

    def __len__(self) -> int:
        return len(self._heap)

    def __iter__(self) -> Iterator[WorkerRequest]:
        """Every queued request, in no particular order (see :meth:`sorted`)."""
        return (req for _, req in self._heap)

    def push(self, req: WorkerRequest) -> None:
        """Add ``req``; among otherwise equal requests, the one pushed first comes first."""
        req.sort_key = (*req.sort_key[:4], next(self._arrivals))
        heapq.heappush(self._heap, (req.sort_key, req))

    def pop(self) -> WorkerRequest:
        """Remove and return the first request. Raises IndexError when empty."""
        return heapq.heappop(self._heap)[1]

    def peek(self) -> WorkerRequest:
        """The first request, left in place. Raises IndexError when empty."""
        return self._heap[0][1]

    def sorted(self) -> list[WorkerRequest]:
        """Every queued request in scheduling order; the queue is unchanged."""
        return [req for _, req in sorted(self._heap, key=lambda entry: entry[0])]

    def take_sorted(self) -> list[WorkerRequest]:
        """Empty the queue, returning its requests in scheduling order."""
        entries = sorted(self._heap, key=lambda entry: entry[0])
        self._heap = []
        return [req for _, req in entries]

    def restore(self, requests: list[WorkerRequest]) -> None:
        """Put back requests taken by :meth:`take_sorted`, still in scheduling order.

        Must be called on an empty queue; an ascending list needs no heapify.
        """
        assert not self._heap, "restore() into a queue that was refilled during the pass"
        self._heap = [(req.sort_key, req) for req in requests]
        assert all(self._heap[i][0] < self._heap[i + 1][0] for i in range(len(self._heap) - 1))

    def compact(self, drop: Callable[[WorkerRequest], bool]) -> list[WorkerRequest]:
        """Remove every request for which ``drop`` is true; return them. O(n)."""
        dropped = [req for _, req in self._heap if drop(req)]
        if dropped:
            self._heap = [entry for entry in self._heap if not drop(entry[1])]
            heapq.heapify(self._heap)
        return dropped
