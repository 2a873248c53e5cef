"""Running one proofs kernel in a process of its own, off the event loop.

Counterpart: what Lotus gets from calling rust-fil-proofs through FFI in the worker process, and
what its users asked for instead (a crashed or OOM-killed kernel took the whole ``lotus-worker``
down with it, anchors.md §3.2).  Here every task's kernel runs in a fresh child process:

* the child is forked from the ``forkserver`` (``spawn`` where there is none), whose preloaded
  :mod:`pylotus.proofs` makes the fork cost milliseconds, and it is *not* a daemon, so a kernel
  may spread over processes of its own (PreCommit2's pool);
* the answer comes back over a one-way pipe as ``("ok", result)`` or ``("err", exception)``; the
  event loop waits for the pipe to become readable (``trio.lowlevel.wait_readable``) and reads the
  message in a thread;
* a child that ends without an answer (killed, crashed) fails *its* task with
  :class:`~.errors.KernelDied` and nothing else: the worker, the event loop and the other kernels
  carry on;
* a cancelled task kills its child (SIGKILL) and reaps it before the cancellation goes on, so no
  kernel outlives the task that started it.

One process per task rather than a shared pool: a pool whose process dies is broken for every task
queued on it (``BrokenProcessPool``), which is the failure mode this module exists to avoid.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, ParamSpec, TypeVar, cast, final

import trio

from ..errors import PylotusError
from .errors import KernelDied, KernelFailed

__all__ = ["KernelRunner", "RunningKernel"]

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_PRELOAD: Final = ["pylotus.proofs"]  # imported once by the fork server, not by every kernel
_REAP_TIMEOUT: Final = 10.0  # seconds to wait for a killed child to be reaped


_Context = multiprocessing.context.ForkServerContext | multiprocessing.context.SpawnContext


def _context() -> _Context:
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx: multiprocessing.context.ForkServerContext = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(_PRELOAD)  # only takes effect if the server is not running yet
        return ctx
    return multiprocessing.get_context("spawn")


def _child(
    conn: multiprocessing.connection.Connection, fn: Callable[..., object], args: tuple[object, ...]
) -> None:
    """In the kernel process: run ``fn`` and send back its result or its exception."""
    try:
        result = fn(*args)
    except BaseException as exc:  # everything goes back to the parent, which decides
        try:
            conn.send(("err", exc))
        except Exception:  # the exception does not pickle: send its text
            conn.send(("err", KernelFailed(f"{type(exc).__name__}: {exc}")))
    else:
        conn.send(("ok", result))
    conn.close()


@dataclass(frozen=True)
class RunningKernel:
    """A kernel that has started: what it is for and its process id (for ``sealing jobs``, tests)."""

    label: str
    pid: int


@final
class KernelRunner:
    """Runs kernels in child processes, at most ``limit`` at a time.

    Args:
        limit: kernels allowed to run at once (the scheduler's resource accounting is the real
            limit; this one guards the machine against a caller that skips the scheduler).
        on_start: called with each :class:`RunningKernel` right after its process starts; tests
            use it to kill one.
    """

    def __init__(
        self, *, limit: int | None = None, on_start: Callable[[RunningKernel], None] | None = None
    ) -> None:
        self._ctx = _context()
        self._limiter = trio.CapacityLimiter(limit or os.cpu_count() or 1)
        self._on_start = on_start
        self._running: dict[int, RunningKernel] = {}

    def running(self) -> list[RunningKernel]:
        """The kernels whose processes are alive now."""
        return list(self._running.values())

    async def run(self, label: str, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run ``fn(*args)`` in a new process and return its result.

        ``fn`` and its arguments must pickle (top-level functions, plain data); keyword arguments
        are not supported (wrap the kernel in a top-level function instead).

        Raises:
            KernelDied: the process ended without answering; the message has its exit code.
            KernelFailed: ``fn`` raised an exception that is not a ``PylotusError``.
            PylotusError: whatever pylotus error ``fn`` raised, unchanged.

        *Cancellation*: the process is killed and reaped; nothing it wrote is cleaned up here (the
        caller's reservation and declarations decide what counts).
        """
        if kwargs:
            raise RuntimeError("KernelRunner.run() takes positional arguments only")
        async with self._limiter:
            recv, send = self._ctx.Pipe(duplex=False)
            proc = self._ctx.Process(target=_child, args=(send, fn, args), name=f"pylotus-kernel {label}")
            try:
                await trio.to_thread.run_sync(proc.start)
                send.close()
                assert proc.pid is not None
                kernel = RunningKernel(label, proc.pid)
                self._running[proc.pid] = kernel
                log.debug("kernel started label=%s pid=%d", label, proc.pid)
                if self._on_start is not None:
                    self._on_start(kernel)
                return cast(R, await self._answer(kernel, proc, recv))
            finally:
                self._running.pop(proc.pid or -1, None)
                recv.close()
                send.close()
                if proc.pid is not None:
                    if proc.is_alive():
                        proc.kill()
                    with trio.move_on_after(_REAP_TIMEOUT) as scope:
                        scope.shield = True  # bounded cleanup: reap the child we started
                        await trio.to_thread.run_sync(proc.join)

    async def _answer(
        self,
        kernel: RunningKernel,
        proc: multiprocessing.process.BaseProcess,
        recv: multiprocessing.connection.Connection,
    ) -> object:
        await trio.lowlevel.wait_readable(recv.fileno())
        try:
            status, value = await trio.to_thread.run_sync(recv.recv)
        except (EOFError, OSError):
            await trio.to_thread.run_sync(proc.join)
            raise KernelDied(
                f"kernel '{kernel.label}' process {kernel.pid} died with exit code {proc.exitcode}; "
                "run the task again"
            ) from None
        if status == "ok":
            return value
        assert isinstance(value, BaseException)
        if isinstance(value, PylotusError):
            raise value
        raise KernelFailed(f"kernel '{kernel.label}' failed: {type(value).__name__}: {value}") from value
