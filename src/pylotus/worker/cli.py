"""``pylotus-seal-worker``: the remote seal worker's command line, as Lotus's ``lotus-worker``.

Global flags: ``--worker-repo`` (alias ``--workerrepo``, env ``PYLOTUS_WORKER_PATH``, default
``~/.pylotusworker``), ``--miner-repo`` (alias ``--storagerepo``, env ``PYLOTUS_MINER_PATH``) and
``--log-level``.
"""

from __future__ import annotations

import logging
import os
from functools import partial
from pathlib import Path

import click
import trio

from .. import __version__
from ..abi import JsonValue, size_str
from ..cli_group import (
    CliContext,
    PylotusGroup,
    log_level_option,
    pass_cli,
    repo_option,
    run_async,
    stub_command,
)
from ..jsonrpc import ApiInfo, open_http_client, resolve_api_info
from ..jsonrpc.common_api import format_api_version
from ..repo import RepoType
from ..stores import StoragePath
from .api import WorkerClient
from .daemon import MINER_POLL_INTERVAL, WorkerRunConfig, run_worker
from .local_worker import WorkerConfig

__all__ = ["cli", "main"]


@click.group(cls=PylotusGroup, context_settings={"help_option_names": ["-h", "--help"]})
@repo_option(RepoType.WORKER, "--worker-repo", "--workerrepo", dest="worker_repo")
@repo_option(RepoType.STORAGE_MINER, "--miner-repo", "--storagerepo", dest="miner_repo")
@log_level_option
@click.version_option(__version__, prog_name="pylotus-seal-worker")
@click.pass_context
def cli(ctx: click.Context, worker_repo: Path, miner_repo: Path) -> None:
    """Remote seal worker for a pylotus miner."""
    ctx.obj = CliContext(
        program="pylotus-seal-worker",
        api_kind=RepoType.WORKER,
        repos={RepoType.WORKER: worker_repo.expanduser(), RepoType.STORAGE_MINER: miner_repo.expanduser()},
    )


log = logging.getLogger(__name__)


def _listen(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, int] | None:
    if value is None:
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise click.BadParameter(f"'{value}' is not HOST:PORT", ctx=ctx, param=param)
    return host.strip("[]") or "0.0.0.0", int(port)


@cli.command("run")
@click.option(
    "--listen", callback=_listen, default="0.0.0.0:3456", show_default=True, help="host:port to listen on"
)
@click.option("--address", callback=_listen, default=None, hidden=True, help="deprecated alias of --listen")
@click.option("--no-local-storage", is_flag=True, help="don't use the worker repo for sector storage")
@click.option("--addpiece", type=bool, default=True, show_default=True, help="enable addpiece")
@click.option("--precommit1", type=bool, default=True, show_default=True, help="enable precommit1")
@click.option("--unseal", type=bool, default=True, show_default=True, help="enable unsealing")
@click.option("--precommit2", type=bool, default=True, show_default=True, help="enable precommit2")
@click.option(
    "--commit", type=bool, default=True, show_default=True, help="enable commit (32G: all cores or GPUs)"
)
@click.option(
    "--parallel-fetch-limit",
    type=click.IntRange(1),
    default=5,
    show_default=True,
    help="maximum fetch operations to run in parallel",
)
@click.option("--enable-gpu-proving", type=bool, default=True, show_default=True, help="enable use of GPU")
@click.option("--name", default=None, help="custom worker name (default: hostname)")
@click.option(
    "--heartbeat",
    type=click.FloatRange(0.1),
    default=MINER_POLL_INTERVAL,
    hidden=True,
    help="seconds between polls of the miner's Session (tests)",
)
@pass_cli
def run(
    obj: CliContext,
    listen: tuple[str, int],
    address: tuple[str, int] | None,
    no_local_storage: bool,
    addpiece: bool,
    precommit1: bool,
    unseal: bool,
    precommit2: bool,
    commit: bool,
    parallel_fetch_limit: int,
    enable_gpu_proving: bool,
    name: str | None,
    heartbeat: float,
) -> None:
    """Start a seal worker and register it with the miner."""
    if address is not None:
        log.warning("--address is deprecated, use --listen")
        listen = address
    if not enable_gpu_proving:
        os.environ["BELLMAN_NO_GPU"] = "true"  # Lotus §1.8 step 1; pylotus proves on CPUs anyway
    tasks = WorkerConfig(
        allow_add_piece=addpiece,
        allow_pre_commit1=precommit1,
        allow_pre_commit2=precommit2,
        allow_commit=commit,
        allow_unseal=unseal,
    )
    miner_api = resolve_api_info(RepoType.STORAGE_MINER, obj.repo(RepoType.STORAGE_MINER))
    cfg = WorkerRunConfig(
        miner_api=miner_api,
        listen=listen,
        tasks=tasks,
        no_local_storage=no_local_storage,
        parallel_fetch_limit=parallel_fetch_limit,
        name=name,
        poll_interval=heartbeat,
    )
    trio.run(partial(run_worker, obj.repo(RepoType.WORKER), cfg))


# Lotus sealtasks Short() names, in TaskTypes order (the worker package sits below sched/).
_SHORT = {
    "seal/v0/finalize": "FIN",
    "seal/v0/fetch": "GET",
    "seal/v0/commit/1": "C1",
    "seal/v0/unseal": "UNS",
    "seal/v0/commit/2": "C2",
    "seal/v0/precommit/2": "PC2",
    "seal/v0/precommit/1": "PC1",
    "seal/v0/addpiece": "AP",
}


def format_info(
    version: int,
    session: str,
    enabled: bool,
    info: JsonValue,
    tasks: frozenset[str],
    paths: list[StoragePath],
) -> str:
    """``lotus-worker info``'s layout (Lotus ``cmd/lotus-worker/info.go``); pure."""
    res = info.get("Resources") if isinstance(info, dict) else None
    res = res if isinstance(res, dict) else {}
    host = info.get("Hostname", "") if isinstance(info, dict) else ""
    gpus = res.get("GPUs")
    gpus = gpus if isinstance(gpus, list) else []
    ordered = [short for task, short in _SHORT.items() if task in tasks]
    lines = [
        f"Worker version: {format_api_version(version)}",
        f"CLI version: {__version__}",
        "",
        f"Session: {session}",
        f"Enabled: {'true' if enabled else 'false'}",
        f"Hostname: {host}",
        f"CPUs: {res.get('CPUs', 0)}; GPUs: [{' '.join(str(g) for g in gpus)}]",
        f"RAM: {_size(res, 'MemUsed')}/{_size(res, 'MemPhysical')}; "
        f"Swap: {_size(res, 'MemSwapUsed')}/{_size(res, 'MemSwap')}",
        "Task types: " + "".join(f"{short} " for short in ordered),
        "",
    ]
    for path in paths:
        use = (
            " ".join(u for u, on in (("Seal", path.can_seal), ("Store", path.can_store)) if on) or "ReadOnly"
        )
        lines += [f"{path.id}:", f"\tWeight: {path.weight}; Use: {use}", f"\tLocal: {path.local_path}"]
    return "".join(line + "\n" for line in lines)


def _size(res: dict[str, JsonValue], key: str) -> str:
    value = res.get(key, 0)
    return size_str(value if isinstance(value, int) else 0)


async def _info(api: ApiInfo) -> str:
    async with open_http_client(api, WorkerClient) as client:
        return format_info(
            await client.version(),
            str(await client.session()),
            await client.enabled(),
            await client.info(),
            await client.task_types(),
            await client.paths(),
        )


@cli.command("info")
@pass_cli
def info(obj: CliContext) -> None:
    """Print worker info."""
    api = resolve_api_info(RepoType.WORKER, obj.repo(RepoType.WORKER))
    click.echo(run_async(_info, api), nl=False)


stub_command(cli, "storage", issue=6, help="Manage the worker's sector storage")


def main() -> None:
    cli(prog_name="pylotus-seal-worker")
