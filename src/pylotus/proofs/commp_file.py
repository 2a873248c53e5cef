"""CommP of a file, hashed by several processes at once.

Counterpart: Lotus computes CommP of deal data through rust-fil-proofs (``generate_piece_commitment``)
or go-fil-commp-hashhash, both single-stream; reference/proofs.md §1.2 and §2.1.  In Python one
process hashes ~2.5M tree nodes a second, so a large file is split among processes.

How: the payload is cut at multiples of ``127·2^k`` bytes (a *segment*), so every segment but the last
Fr32-pads to ``128·2^k`` bytes, an aligned subtree of the piece's tree.  Each worker process opens the
file itself, reads only its own byte range and returns the subtree roots of its segment (one root,
or for the last segment the few roots its tail reduces to); no payload passes through the parent.
The parent pushes the roots, in file order, on one :class:`~.tree.SubtreeStack` and completes the
tree with zero subtrees, exactly as the single-process path does.

Workers run under the ``forkserver`` start method where the platform has it (``spawn`` elsewhere):
never ``fork``, because the caller may be a trio program whose threads hold locks a forked child
would inherit.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from typing import Final

from .commp import (
    READ_SIZE,
    CommPHasher,
    CommPResult,
    ProgressCallback,
    check_payload_size,
    commp_from_stream,
)
from .errors import ShortRead
from .fr32 import FR32_CHUNK_UNPADDED
from .tree import NODE_SIZE, StackEntry, SubtreeStack
from .zerocomm import ZERO_COMMITMENTS

__all__ = ["PARALLEL_MIN_BYTES", "commp_from_file"]

PARALLEL_MIN_BYTES: Final = 16 << 20
"""Below this payload size, starting processes costs more than it saves: one process hashes it."""

# Segments per worker: more than one, so a worker that started late or runs on a busy core does not
# hold up the end; few, so each segment amortises its open, seek and pickled result.
_SEGMENTS_PER_WORKER: Final = 4


def _segment_size(payload: int, workers: int) -> int:
    """The smallest ``127·2^k`` of at least one read block giving ~4 segments per worker."""
    target = -(-payload // (workers * _SEGMENTS_PER_WORKER))
    size = READ_SIZE
    while size < target:
        size *= 2
    return size


def _hash_segment(path: str, start: int, length: int) -> tuple[StackEntry, ...]:
    """Worker process: the subtree roots of ``length`` payload bytes of ``path`` from ``start``.

    Raises:
        ShortRead: the file ended early (it shrank after the parent measured it).
    """
    hasher = CommPHasher()
    with open(path, "rb") as f:
        f.seek(start)
        remaining = length
        while remaining:
            block = f.read(min(READ_SIZE, remaining))
            if not block:
                raise ShortRead(f"file '{path}' ended at byte '{start + length - remaining}' while hashing")
            hasher.write(block)
            remaining -= len(block)
    return hasher.subtree_entries()


def _mp_context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    # The fork server is started once per process and kept; with this module preloaded in it,
    # every later worker starts as a fork with the kernels imported (~100 ms saved per worker).
    # Harmless to other users of the fork server, and a no-op if it is already running.
    context.set_forkserver_preload([__name__])
    return context


def commp_from_file(
    path: str | os.PathLike[str],
    *,
    workers: int | None = None,
    progress: ProgressCallback | None = None,
    parallel_min_bytes: int = PARALLEL_MIN_BYTES,
) -> CommPResult:
    """The CommP of the whole file at ``path``, hashed by up to ``workers`` processes.

    Args:
        path: the payload file; it must not change while hashed.
        workers: processes to use; ``None`` means ``os.cpu_count()``, ``1`` hashes in this process.
        progress: called with the payload bytes hashed so far (per read block with one process,
            per finished segment with several).
        parallel_min_bytes: files smaller than this are hashed in this process.

    Raises:
        PayloadTooSmall, PayloadTooLarge: the file size is outside 65 … 64GiB·127/128 bytes.
        ShortRead: the file shrank while it was hashed.
        OSError: the file cannot be opened or read.
    """
    size = os.path.getsize(path)
    check_payload_size(size)
    workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
    if workers == 1 or size < parallel_min_bytes:
        with open(path, "rb") as f:
            result = commp_from_stream(f, progress=progress)
        if result.payload_size != size:
            raise ShortRead(
                f"file '{path}' changed size while hashing: '{size}' then '{result.payload_size}' bytes"
            )
        return result

    segment = _segment_size(size, workers)
    ranges = [(start, min(segment, size - start)) for start in range(0, size, segment)]
    assert segment % FR32_CHUNK_UNPADDED == 0
    with ProcessPoolExecutor(max_workers=min(workers, len(ranges)), mp_context=_mp_context()) as pool:
        futures = [pool.submit(_hash_segment, os.fspath(path), start, length) for start, length in ranges]
        try:
            _report_progress(futures, [length for _, length in ranges], progress)
        except BaseException:
            for future in futures:  # do not let the pool finish segments nobody will read
                future.cancel()
            raise
        stack = SubtreeStack(ZERO_COMMITMENTS)
        for future in futures:
            for entry in future.result():
                stack.push(entry.level, entry.root)
    root = stack.finish()
    return CommPResult(root.root, NODE_SIZE << root.level, size)


def _report_progress(
    futures: list[Future[tuple[StackEntry, ...]]], lengths: list[int], progress: ProgressCallback | None
) -> None:
    """Wait for every segment, calling ``progress`` with the bytes done as each one finishes."""
    length_of = {id(future): length for future, length in zip(futures, lengths, strict=True)}
    done = 0
    for future in as_completed(futures):
        future.result()  # a worker's failure surfaces here, before the others are awaited
        done += length_of[id(future)]
        if progress is not None:
            progress(done)
