"""``pylotus daemon``: the full node's process — repo, lock, API secret, the chain and the API.

Counterpart: Lotus ``cmd/lotus/daemon.go``.  It opens (creating if needed) the node repo, takes its
lock, loads or creates the API secret and token, opens the chain (continuing from the stored head,
or making genesis from ``--genesis-template`` or the default devnet), and serves the common API and
the FullNode API (:mod:`pylotus.chain.api`) on ``/rpc/v0`` while the producer makes one tipset per
block delay.  The chain lives in the repo datastore's ``/chain`` namespace.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Final

import trio

from ..jsonrpc import COMMON_TABLE, ApiApp, CommonApi, RpcServer, open_api_secret
from ..jsonrpc.host import run_api_until_stopped
from ..repo import FsRepo, RepoType, ensure_host_key
from .api import FULLNODE_TABLE, FullNodeApi
from .api_market import MARKET_STATE_TABLE, MarketStateApi
from .genesis_template import read_template
from .node import ChainNode
from .wallet import Wallet

__all__ = ["DEFAULT_API_PORT", "DEFAULT_BLOCK_DELAY", "run_daemon"]

log = logging.getLogger(__name__)

DEFAULT_API_PORT: Final = 1234  # Lotus full node
DEFAULT_BLOCK_DELAY: Final = 4.0  # seconds; the pylotus devnet default (Lotus 2k devnets use 4 s too)


async def run_daemon(
    repo_path: Path,
    port: int = DEFAULT_API_PORT,
    *,
    host: str = "127.0.0.1",
    block_delay: float = DEFAULT_BLOCK_DELAY,
    genesis_template: Path | None = None,
    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the node until SIGINT/SIGTERM or ``Shutdown``.

    Raises:
        RepoLocked: another process has the repo.
        InvalidGenesisFile: the template does not parse.
        OSError: the API port cannot be bound.
    """
    template = read_template(genesis_template) if genesis_template is not None else None
    with FsRepo(repo_path, RepoType.FULL_NODE).open_or_init() as repo:
        auth = open_api_secret(repo)
        chain = ChainNode.open(repo.datastore().namespace("/chain"), Wallet(repo.keystore), template)
        stop = trio.Event()
        rpc = RpcServer()
        # Version reports whole seconds, as Lotus's uint64 BlockDelay
        rpc.register(COMMON_TABLE, CommonApi(auth, block_delay=math.ceil(block_delay), shutdown=stop))
        rpc.register(FULLNODE_TABLE, FullNodeApi(chain, host_peer=ensure_host_key(repo.keystore)))
        rpc.register(MARKET_STATE_TABLE, MarketStateApi(chain))
        app = ApiApp(rpc, auth, closing=stop)
        async with trio.open_nursery() as nursery:
            await nursery.start(chain.run, block_delay)
            await run_api_until_stopped(repo, app, host, port, stop, task_status=task_status)
            nursery.cancel_scope.cancel()
    log.info("daemon stopped")
