"""Running a daemon's API: serve the app, publish ``api``, stop on a signal or ``Shutdown``.

Every pylotus daemon (node, miner, seal worker) ends its start-up the same way: listen, write the
listen multiaddr to ``<repo>/api`` (so clients find it), and wait until SIGINT, SIGTERM or the
``Shutdown`` method asks it to stop; then the ``api`` file is removed (Lotus's
``lockedRepo.Close``) and the caller's ``with`` blocks release the repo lock.
"""

from __future__ import annotations

import logging
import signal
from functools import partial

import trio

from ..repo import LockedRepo
from .serve import serve_api
from .server import ApiApp

__all__ = ["run_api_until_stopped", "watch_signals"]

log = logging.getLogger(__name__)


async def watch_signals(stop: trio.Event) -> None:
    """Set ``stop`` on the first SIGINT or SIGTERM; returns once ``stop`` is set.

    Receiving the signals here (rather than letting SIGINT raise ``KeyboardInterrupt``) is what
    makes Ctrl-C a graceful stop: the API finishes in-flight calls, the ``api`` file goes, the
    lock is released.
    """
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:

            async def until_stopped() -> None:
                await stop.wait()
                nursery.cancel_scope.cancel()

            nursery.start_soon(until_stopped)
            async for signum in signals:
                log.info("received %s, shutting down", signal.Signals(signum).name)
                stop.set()


async def run_api_until_stopped(
    repo: LockedRepo,
    app: ApiApp,
    host: str,
    port: int,
    stop: trio.Event,
    *,
    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``app`` and publish its address in ``repo`` until ``stop`` is set.

    On stop the ``api`` file is removed first (no new client finds us), then in-flight calls get
    the graceful timeout.  Cancellation: everything closes at once; the ``api`` file is still
    removed.
    """
    async with trio.open_nursery() as nursery:
        nursery.start_soon(watch_signals, stop)
        bound_host, bound_port = await nursery.start(
            partial(serve_api, app, host, port, shutdown_trigger=stop.wait)
        )
        proto = "ip6" if ":" in bound_host else "ip4"
        repo.set_api_endpoint(f"/{proto}/{bound_host}/tcp/{bound_port}/http")
        try:
            task_status.started((bound_host, bound_port))
            await stop.wait()
            log.info("stopping the API")
        finally:
            repo.clear_api_endpoint()
