"""A storage node in a process of its own, for integration tests and ``bench/fetch.py``.

Until the miner daemon exists (issue #8) nothing else serves the sector index, so this module
assembles what the miner will: a repo (``api``, ``token``, ``storage.json``), the JWT secret, a
:class:`MemIndex`, the local and remote stores, ``/remote`` and the ``Filecoin.Storage*`` methods,
all on one port on loopback::

    python -m pylotus.stores.testserver --repo DIR [--port 0] [--actor t01000]

With ``--index-api TOKEN:MULTIADDR`` it plays a seal worker instead: its paths attach to that
server's index over RPC, its ``/remote`` accepts that server's tokens (checked with its
``AuthVerify``), and it fetches with that token.  Either way it serves ``Filecoin.Fetch``
(admin; ``[SectorRef, fileType, pathType, acquireMode]``, the shape of the worker's ``Fetch`` in
reference/lotus-miner.md §3.4) so a test can make it acquire a sector as the scheduler will make a
worker do.  ``--remote-delay`` slows its ``/remote`` bodies so a test can kill a transfer midway;
``--sector-size`` makes ``Fetch`` expect test files of another size than the proof type's.

Not a product: no config, no chain; it exits on SIGINT/SIGTERM or ``Shutdown``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Final

import click
import trio

from ..abi import Address, InvalidAddress, SectorFileType, parse_ram_bytes
from ..errors import PylotusError
from ..jsonrpc import (
    COMMON_TABLE,
    ApiApp,
    ApiInfo,
    CommonApi,
    CommonClient,
    JwtAuth,
    MethodError,
    MethodSpec,
    RpcServer,
    TokenInvalid,
    TokenVerifier,
    make_table,
    open_api_secret,
    open_http_client,
    serve_api,
)
from ..jsonrpc.host import watch_signals
from ..log_setup import setup_logging
from ..repo import FsRepo, LockedRepo, RepoType
from .api import ACTOR_ADDRESS, STORAGE_INDEX_TABLE, StorageApi, StorageClient
from .http_handler import FetchHandler, Message, Receive, Scope, Send
from .index import MemIndex, SectorIndex
from .local import LocalStore
from .remote import DEFAULT_PARALLEL_FETCH_LIMIT, RemoteStore
from .storiface import ACQUIRE_MODE, FILE_TYPE, PATH_TYPE, SECTOR_REF, AcquireMode, PathType, SectorRef

__all__ = ["FETCH_TABLE", "main", "run_testserver"]

log = logging.getLogger(__name__)

FETCH_TABLE: Final = make_table(
    MethodSpec("Fetch", "admin", (SECTOR_REF, FILE_TYPE, PATH_TYPE, ACQUIRE_MODE), None)
)
_BLOCK_DELAY: Final = 4  # seconds, only reported by Version


class _Actor:
    def __init__(self, address: Address) -> None:
        self._address = address

    async def actor_address(self) -> Address:
        return self._address


class _Fetcher:
    def __init__(self, remote: RemoteStore, sector_size: int | None) -> None:
        self._remote = remote
        self._sector_size = sector_size

    async def fetch(self, ref: SectorRef, ft: SectorFileType, path_type: PathType, mode: AcquireMode) -> None:
        ssize = self._sector_size or ref.sector_size
        await self._remote.acquire_sector(ref.id, ssize, ft, SectorFileType.NONE, path_type, mode)


class _RemoteVerifier:
    """A worker's token check: ask the index server's ``AuthVerify``."""

    def __init__(self, info: ApiInfo) -> None:
        self._info = info

    async def verify_token(self, token: str) -> list[str]:
        async with open_http_client(self._info, CommonClient) as client:
            try:
                return await client.auth_verify(token)
            except MethodError as exc:
                raise TokenInvalid(str(exc)) from exc


class _Slow:
    """Wraps an ASGI app so each body message waits ``delay`` seconds first (tests only)."""

    def __init__(self, app: FetchHandler, delay: float) -> None:
        self._app, self._delay = app, delay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def slow_send(message: Message) -> None:
            if message.get("type") == "http.response.body":
                await trio.sleep(self._delay)
            await send(message)

        await self._app(scope, receive, slow_send)


@asynccontextmanager
async def _index_for(
    index_api: str | None, auth: JwtAuth
) -> AsyncIterator[tuple[SectorIndex, TokenVerifier, dict[str, str]]]:
    """The index, the token verifier and the fetch headers of a miner-like or worker-like node."""
    if index_api is None:
        yield MemIndex(), auth, {"Authorization": "Bearer " + auth.new_token(["admin"]).decode()}
        return
    info = ApiInfo.parse(index_api)
    async with open_http_client(info, StorageClient) as client:
        yield client, _RemoteVerifier(info), info.auth_headers()


async def run_testserver(
    repo_path: Path,
    *,
    port: int = 0,
    actor: Address,
    index_api: str | None = None,
    parallel_fetch_limit: int = DEFAULT_PARALLEL_FETCH_LIMIT,
    remote_delay: float = 0.0,
    sector_size: int | None = None,
    task_status: trio.TaskStatus[tuple[str, int]] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Serve until SIGINT/SIGTERM or ``Shutdown``; the ``api`` file appears once every path is open."""
    with FsRepo(repo_path, RepoType.STORAGE_MINER).open_or_init() as repo:
        auth = open_api_secret(repo)
        async with _index_for(index_api, auth) as (index, verifier, fetch_headers):
            local = LocalStore(index, repo)
            remote = RemoteStore(local, index, fetch_headers, parallel_fetch_limit=parallel_fetch_limit)
            stop = trio.Event()
            rpc = RpcServer()
            rpc.register(COMMON_TABLE, CommonApi(auth, block_delay=_BLOCK_DELAY, shutdown=stop))
            rpc.register(FETCH_TABLE, _Fetcher(remote, sector_size))
            if isinstance(index, MemIndex):
                rpc.register(STORAGE_INDEX_TABLE, StorageApi(index, remote))
                rpc.register(make_table(ACTOR_ADDRESS), _Actor(actor))
            handler = FetchHandler(local)
            routes = {"/remote": _Slow(handler, remote_delay) if remote_delay else handler}
            app = ApiApp(rpc, verifier, routes=routes, closing=stop)
            await _serve(repo, app, local, port, stop, task_status)


async def _serve(
    repo: LockedRepo,
    app: ApiApp,
    local: LocalStore,
    port: int,
    stop: trio.Event,
    task_status: trio.TaskStatus[tuple[str, int]],
) -> None:
    async with trio.open_nursery() as nursery:
        nursery.start_soon(watch_signals, stop)
        host, bound = await nursery.start(
            partial(serve_api, app, "127.0.0.1", port, shutdown_trigger=stop.wait)
        )
        await local.open([f"http://{host}:{bound}/remote"])
        await nursery.start(local.run_health_reports)
        repo.set_api_endpoint(f"/ip4/{host}/tcp/{bound}/http")
        try:
            task_status.started((host, bound))
            await stop.wait()
        finally:
            repo.clear_api_endpoint()
            nursery.cancel_scope.cancel()


def _actor(ctx: click.Context, param: click.Parameter, value: str) -> Address:
    try:
        return Address.from_string(value)
    except InvalidAddress as exc:
        raise click.BadParameter(str(exc)) from exc


@click.command()
@click.option("--repo", "repo_path", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True)
@click.option("--actor", default="t01000", show_default=True, callback=_actor)
@click.option(
    "--index-api", default=None, help="TOKEN:MULTIADDR of the node whose index to use (worker mode)"
)
@click.option(
    "--parallel-fetch-limit", type=click.IntRange(1), default=DEFAULT_PARALLEL_FETCH_LIMIT, show_default=True
)
@click.option(
    "--remote-delay", type=click.FloatRange(0), default=0.0, help="seconds before each /remote body chunk"
)
@click.option(
    "--sector-size", default=None, help="size Fetch assumes instead of the proof type's (test files)"
)
@click.option("--log-level", default="info", show_default=True)
def main(
    repo_path: Path,
    port: int,
    actor: Address,
    index_api: str | None,
    parallel_fetch_limit: int,
    remote_delay: float,
    sector_size: str | None,
    log_level: str,
) -> None:
    """Run a storage node (index, stores, /remote) for tests and benchmarks."""
    setup_logging(log_level)
    try:
        size = None if sector_size is None else parse_ram_bytes(sector_size)
        trio.run(
            partial(
                run_testserver,
                repo_path,
                port=port,
                actor=actor,
                index_api=index_api,
                parallel_fetch_limit=parallel_fetch_limit,
                remote_delay=remote_delay,
                sector_size=size,
            )
        )
    except PylotusError as exc:
        raise click.ClickException(str(exc)) from exc


if __name__ == "__main__":
    main()
