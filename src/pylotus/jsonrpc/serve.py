"""Serving an :class:`~.server.ApiApp` on trio with hypercorn.

One listener per daemon, bound to loopback unless the operator says otherwise; the bound address
is reported through ``task_status`` only once the socket listens, so a caller that does
``await nursery.start(serve_api, …)`` can write the repo's ``api`` file right away.  Port 0 picks
a free port, which tests use.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Final

import trio
from hypercorn.config import Config
from hypercorn.trio import serve

from .errors import JsonRpcError
from .server import ApiApp

__all__ = ["GRACEFUL_TIMEOUT", "ApiListenError", "serve_api"]

log = logging.getLogger(__name__)

GRACEFUL_TIMEOUT: Final = 3.0  # seconds open connections get to finish on shutdown


class ApiListenError(JsonRpcError):
    """The API address cannot be bound (in use, not local, no permission)."""


def _first_leaf(group: BaseExceptionGroup[OSError]) -> OSError:
    exc: BaseException = group
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    assert isinstance(exc, OSError)
    return exc


async def serve_api(
    app: ApiApp,
    host: str,
    port: int,
    *,
    shutdown_trigger: Callable[[], Awaitable[object]] | None = None,
    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve ``app`` on ``host:port``; ``started((host, bound_port))`` once listening.

    Returns when ``shutdown_trigger`` returns, after in-flight requests had up to
    :data:`GRACEFUL_TIMEOUT` to finish (so a ``Shutdown`` call still gets its answer); runs until
    cancelled without one.  Cancellation closes everything at once.

    Raises:
        OSError: the address is in use or cannot be bound (the caller words it for the user).
    """
    config = Config()
    config.bind = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("pylotus.jsonrpc.http")
    config.graceful_timeout = GRACEFUL_TIMEOUT
    config.websocket_max_message_size = app.max_request_size
    config.h11_max_incomplete_size = 64 * 1024  # request line + headers, not the body
    config.include_server_header = False

    async def run(task_status: trio.TaskStatus[list[str]]) -> None:
        await serve(
            app,  # type: ignore[arg-type]  # hypercorn types scopes as TypedDicts; ours are dicts
            config,
            shutdown_trigger=shutdown_trigger,  # type: ignore[arg-type]  # it ignores the value
            task_status=task_status,
            mode="asgi",
        )

    async with trio.open_nursery() as nursery:
        try:
            binds = await nursery.start(run)
        except* OSError as group:
            exc = _first_leaf(group)
            raise ApiListenError(
                f"could not listen on {host}:{port}: {exc.strerror or exc}; is another daemon using the port?"
            ) from exc
        bound = binds[0].rsplit(":", 1)
        bound_host = bound[0].removeprefix("http://").strip("[]")
        log.info("API listening addr=%s", binds[0])
        task_status.started((bound_host, int(bound[1])))
