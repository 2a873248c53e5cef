"""``pylotus daemon``: the full node's process — repo, lock, API secret, and the API.

This is the skeleton the devnet chain (issue #7) grows into: today it opens (creating if needed)
the node repo, takes its lock, loads or creates the API secret and token, and serves the common
API (``Version``, ``AuthNew``, ``AuthVerify``, ``Session``, ``Closing``, ``Shutdown``) on
``/rpc/v0``.  Chain, wallet and mpool methods are not served yet, and start-up says so.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

import trio

from ..jsonrpc import COMMON_TABLE, ApiApp, CommonApi, RpcServer, open_api_secret
from ..jsonrpc.host import run_api_until_stopped
from ..repo import FsRepo, RepoType

__all__ = ["DEFAULT_API_PORT", "run_daemon"]

log = logging.getLogger(__name__)

DEFAULT_API_PORT: Final = 1234  # Lotus full node
DEFAULT_BLOCK_DELAY: Final = 4  # seconds; the pylotus devnet default (Lotus 2k devnets use 4 s too)


async def run_daemon(
    repo_path: Path,
    port: int = DEFAULT_API_PORT,
    *,
    host: str = "127.0.0.1",
    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the node until SIGINT/SIGTERM or ``Shutdown``.

    Raises:
        RepoLocked: another process has the repo.
        OSError: the API port cannot be bound.
    """
    with FsRepo(repo_path, RepoType.FULL_NODE).open_or_init() as repo:
        auth = open_api_secret(repo)
        stop = trio.Event()
        rpc = RpcServer()
        rpc.register(COMMON_TABLE, CommonApi(auth, block_delay=DEFAULT_BLOCK_DELAY, shutdown=stop))
        app = ApiApp(rpc, auth, closing=stop)
        log.warning("the devnet chain is not implemented yet (issue #7): serving the common API only")
        await run_api_until_stopped(repo, app, host, port, stop, task_status=task_status)
    log.info("daemon stopped")
