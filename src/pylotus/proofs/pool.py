"""Worker processes for the parallel parts of sealing: one place that says how they are started.

The parts of SDR that are not sequential (column hashes, encoding, tree levels, parent graphs) are
spread over processes.  They run under ``forkserver`` where the platform has it (``spawn`` elsewhere),
never ``fork``: the caller may be a trio program whose threads hold locks a forked child would
inherit.  The fork server preloads this package's kernels, so each worker starts warm.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

__all__ = ["process_pool", "worker_count"]

_PRELOAD = ["pylotus.proofs.poseidon", "pylotus.proofs.pc2_kernel", "pylotus.proofs.parent_cache"]


def worker_count(workers: int | None) -> int:
    """``workers`` if given, else the CPUs this process may run on (at least 1)."""
    if workers is not None:
        return max(1, workers)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes started by the fork server; the caller closes it (``with``)."""
    context: multiprocessing.context.BaseContext
    if "forkserver" in multiprocessing.get_all_start_methods():
        forkserver = multiprocessing.get_context("forkserver")
        forkserver.set_forkserver_preload(_PRELOAD)
        context = forkserver
    else:
        context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)
