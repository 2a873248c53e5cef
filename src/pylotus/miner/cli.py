"""``pylotus-miner``: the storage miner's command line, as Lotus's ``lotus-miner``.

Global flags: ``--miner-repo`` (alias ``--storagerepo``, env ``PYLOTUS_MINER_PATH``, default
``~/.pylotusminer``), ``--repo`` (the full node's, env ``PYLOTUS_PATH``) and ``--log-level``.
The client commands find the miner's API as Lotus does: ``MINER_API_INFO``, else the miner
repo's ``api`` and ``token`` files; ``init`` and ``run`` find the full node the same way
(``FULLNODE_API_INFO``, else the node repo).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import click
import trio

from .. import __version__
from ..abi import AbiError, parse_ram_bytes
from ..chain.bigint import TokenAmount
from ..chain.bitfield import json_count
from ..chain.node_cli import ADDRESS
from ..cli_group import (
    CliContext,
    PylotusGroup,
    log_level_option,
    pass_cli,
    repo_option,
    run_async,
    stub_command,
)
from ..jsonrpc import CommonClient, open_http_client, resolve_api_info
from ..jsonrpc.auth_cli import auth_group
from ..repo import RepoType
from ..sched import sealing_group, workers_group
from ..stores import find_command, storage_group
from .api import StorageMinerClient
from .daemon import MinerRunConfig, run_miner
from .format import format_info, format_sector_status, format_sectors_list
from .fullnode import FullNode, open_full_node
from .init import InitOptions, init_miner
from .proving_cli import proving_group

__all__ = ["cli", "main"]

T = TypeVar("T")


@click.group(cls=PylotusGroup, context_settings={"help_option_names": ["-h", "--help"]})
@repo_option(RepoType.STORAGE_MINER, "--miner-repo", "--storagerepo", dest="miner_repo")
@repo_option(RepoType.FULL_NODE, "--repo", dest="node_repo")
@log_level_option
@click.version_option(__version__, prog_name="pylotus-miner")
@click.pass_context
def cli(ctx: click.Context, miner_repo: Path, node_repo: Path) -> None:
    """Filecoin storage miner (a Python lotus-miner)."""
    ctx.obj = CliContext(
        program="pylotus-miner",
        api_kind=RepoType.STORAGE_MINER,
        repos={RepoType.STORAGE_MINER: miner_repo.expanduser(), RepoType.FULL_NODE: node_repo.expanduser()},
    )


class _SizeType(click.ParamType):
    name = "size"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_ram_bytes(str(value))
        except AbiError as exc:
            self.fail(str(exc), param, ctx)


SIZE = _SizeType()


# -- init / run / stop ---------------------------------------------------------------------------------


@cli.command("init")
@click.option("--actor", type=ADDRESS, help="specify the address of an already created miner actor")
@click.option(
    "--genesis-miner",
    is_flag=True,
    hidden=True,
    help="enable genesis mining (DON'T USE ON BOOTSTRAPPED NETWORK)",
)
@click.option("--create-worker-key", is_flag=True, help="create separate worker key")
@click.option("--worker", "-w", type=ADDRESS, help="worker key to use (overrides --create-worker-key)")
@click.option("--owner", "-o", type=ADDRESS, help="owner key to use")
@click.option(
    "--sector-size", type=SIZE, default="2KiB", show_default=True, help="specify sector size to use"
)
@click.option(
    "--pre-sealed-sectors",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="specify set of presealed sectors for starting as a genesis miner",
)
@click.option(
    "--pre-sealed-metadata",
    type=click.Path(dir_okay=False, path_type=Path),
    help="specify the metadata file for the presealed sectors",
)
@click.option("--nosync", is_flag=True, help="don't check full-node sync status")
@click.option("--symlink-imported-sectors", is_flag=True, help="attempt to symlink to presealed sectors")
@click.option("--no-local-storage", is_flag=True, help="don't use storageminer repo for sector storage")
@click.option(
    "--gas-premium",
    default="0",
    show_default=True,
    help="set gas premium for initialization messages in AttoFIL",
)
@click.option(
    "--from", "from_", type=ADDRESS, help="select which address to send actor creation message from"
)
@pass_cli
def init_command(cli: CliContext, **flags: Any) -> None:
    """Initialize a pylotus miner repo."""
    try:
        premium = int(flags["gas_premium"])
    except ValueError:
        raise click.BadParameter(
            f"'{flags['gas_premium']}' is not an attoFIL amount", param_hint="--gas-premium"
        ) from None
    if premium < 0:
        raise click.BadParameter("must not be negative", param_hint="--gas-premium")
    if flags["symlink_imported_sectors"]:
        click.echo("will attempt to symlink to imported sectors")
    opts = InitOptions(
        sector_size=flags["sector_size"],
        actor=flags["actor"],
        genesis_miner=flags["genesis_miner"],
        owner=flags["owner"],
        worker=flags["worker"],
        create_worker_key=flags["create_worker_key"],
        pre_sealed_sectors=tuple(p.expanduser() for p in flags["pre_sealed_sectors"]),
        pre_sealed_metadata=flags["pre_sealed_metadata"].expanduser()
        if flags["pre_sealed_metadata"]
        else None,
        nosync=flags["nosync"],
        no_local_storage=flags["no_local_storage"],
        gas_premium=premium,
        from_=flags["from_"],
    )
    run_async(
        partial(init_miner, cli.repo(RepoType.STORAGE_MINER), cli.repo(RepoType.FULL_NODE), opts, click.echo)
    )


@cli.command("run")
@click.option(
    "--miner-api",
    "--api",
    "port",
    type=click.IntRange(0, 65535),
    help="port for the miner API (default: [API] ListenAddress, 2345)",
)
@click.option(
    "--enable-gpu-proving/--no-enable-gpu-proving",
    default=True,
    show_default=True,
    help="enable use of GPU for mining operations (pylotus proves on the CPU either way)",
)
@click.option("--nosync", is_flag=True, help="don't check full-node sync status")
@click.option(
    "--manage-fdlimit/--no-manage-fdlimit", default=True, show_default=True, help="manage open file limit"
)
@pass_cli
def run_command(
    cli: CliContext, port: int | None, enable_gpu_proving: bool, nosync: bool, manage_fdlimit: bool
) -> None:
    """Start a pylotus miner process."""
    if manage_fdlimit:
        _raise_fd_limit()
    cfg = MinerRunConfig(
        repo=cli.repo(RepoType.STORAGE_MINER),
        node_repo=cli.repo(RepoType.FULL_NODE),
        port=port,
        nosync=nosync,
    )
    trio.run(run_miner, cfg)


def _raise_fd_limit() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@cli.command("stop")
@pass_cli
def stop_command(cli: CliContext) -> None:
    """Stop a running pylotus miner."""

    async def go() -> None:
        info = resolve_api_info(RepoType.STORAGE_MINER, cli.repo(RepoType.STORAGE_MINER))
        async with open_http_client(info, CommonClient) as client:
            await client.shutdown()

    run_async(go)


# -- client commands ------------------------------------------------------------------------------------


def _with_miner(cli: CliContext, fn: Callable[[StorageMinerClient], Awaitable[T]]) -> T:
    async def go() -> T:
        info = resolve_api_info(RepoType.STORAGE_MINER, cli.repo(RepoType.STORAGE_MINER))
        async with open_http_client(info, StorageMinerClient) as client:
            return await fn(client)

    return run_async(go)


@cli.command("info")
@click.option("--hide-sectors-info", is_flag=True, help="hide sectors info")
@pass_cli
def info_command(cli: CliContext, hide_sectors_info: bool) -> None:
    """Print miner info."""

    async def go() -> str:
        info = resolve_api_info(RepoType.STORAGE_MINER, cli.repo(RepoType.STORAGE_MINER))
        async with (
            open_http_client(info, StorageMinerClient) as miner,
            open_full_node(cli.repo(RepoType.FULL_NODE)) as node,
        ):
            return await _info(miner, node, hide_sectors_info)

    click.echo(run_async(go), nl=False)


async def _info(miner: StorageMinerClient, node: FullNode, hide_sectors: bool) -> str:
    address = await miner.actor_address()
    version = await node.version()
    head = await node.head()
    miner_info = await node.miner_info(address)
    power: Any = await node.call("StateMinerPower", address, None)
    sectors: Any = await node.call("StateMinerSectors", address, None, None)
    actor: Any = await node.call("StateGetActor", address, None)
    available = TokenAmount(int(await node.call("StateMinerAvailableBalance", address, None)))  # type: ignore[call-overload]
    faults: Any = await node.call("StateMinerFaults", address, None)
    market = await node.call("StateMarketBalance", address, None)
    deals = sum(len(sector["DealIDs"] or []) for sector in sectors)
    deal_bytes = deals * int(miner_info["SectorSize"])
    pledge = sum((TokenAmount.from_json(s["InitialPledge"]) for s in sectors), TokenAmount(0))
    balance = TokenAmount.from_json(actor["Balance"])
    counts: dict[str, int] = {}
    if not hide_sectors:
        for number in await miner.sectors_list():
            state = (await miner.sectors_status(number, False))["State"]
            counts[state] = counts.get(state, 0) + 1
    text = format_info(
        miner=str(address),
        sector_size=int(miner_info["SectorSize"]),
        power=power,
        sectors=sectors,
        faulty=json_count(faults),
        balance=balance,
        available=available,
        precommit_deposits=max(balance - available - pledge, TokenAmount(0)),
        pledge=pledge,
        market=market,  # type: ignore[arg-type]
        deals=deals,
        deal_bytes=deal_bytes,
        head_timestamp=min(b["Timestamp"] for b in head["Blocks"]),
        block_delay=version.block_delay,
        state_counts=counts,
        expected_seal_seconds=int(await miner.sector_get_expected_seal_duration()) // 10**9,
    )
    if hide_sectors:
        text = text[: text.index("Sectors:\n")].rstrip("\n") + "\n"
    return text


@click.group("sectors", cls=PylotusGroup)
def sectors_group() -> None:
    """Interact with sector store."""


@sectors_group.command("pledge")
@pass_cli
def sectors_pledge(cli: CliContext) -> None:
    """Store random data in a sector."""
    sector = _with_miner(cli, lambda c: c.pledge_sector())
    click.echo(f"Created CC sector:  {sector['Number']}")


@sectors_group.command("list")
@pass_cli
def sectors_list(cli: CliContext) -> None:
    """List sectors."""

    async def go() -> str:
        info = resolve_api_info(RepoType.STORAGE_MINER, cli.repo(RepoType.STORAGE_MINER))
        async with (
            open_http_client(info, StorageMinerClient) as miner,
            open_full_node(cli.repo(RepoType.FULL_NODE)) as node,
        ):
            address = await miner.actor_address()
            on_chain: Any = await node.call("StateMinerSectors", address, None, None)
            active: Any = await node.call("StateMinerActiveSectors", address, None)
            statuses = [await miner.sectors_status(n, False) for n in await miner.sectors_list()]
        return format_sectors_list(
            statuses, {s["SectorNumber"] for s in on_chain}, {s["SectorNumber"] for s in active}
        )

    click.echo(run_async(go), nl=False)


@sectors_group.command("status")
@click.option("--log", "show_log", is_flag=True, help="display event log")
@click.option("--on-chain-info", is_flag=True, help="show sector on chain info")
@click.argument("number", metavar="<sectorNum>", type=click.IntRange(0))
@pass_cli
def sectors_status(cli: CliContext, show_log: bool, on_chain_info: bool, number: int) -> None:
    """Get the seal status of a sector by its number."""
    status = _with_miner(cli, lambda c: c.sectors_status(number, on_chain_info))
    click.echo(format_sector_status(status, show_log=show_log, on_chain=on_chain_info), nl=False)


@sectors_group.command("update-state")
@click.option("--really-do-it", is_flag=True, help="pass this flag if you know what you are doing")
@click.argument("number", metavar="<sectorNum>", type=click.IntRange(0))
@click.argument("state", metavar="<newState>")
@pass_cli
def sectors_update_state(cli: CliContext, really_do_it: bool, number: int, state: str) -> None:
    """ADVANCED: manually update the state of a sector, this may aid in error recovery."""
    if not really_do_it:
        raise click.ClickException(
            "this is a very disruptive action, if you know what you are doing, pass --really-do-it"
        )
    _with_miner(cli, lambda c: c.sectors_update(number, state))


@sectors_group.command("remove")
@click.option("--really-do-it", is_flag=True, help="pass this flag if you know what you are doing")
@click.argument("number", metavar="<sectorNum>", type=click.IntRange(0))
@pass_cli
def sectors_remove(cli: CliContext, really_do_it: bool, number: int) -> None:
    """Forcefully remove a sector (WARNING: This means losing power and collateral for the removed sector)."""
    if not really_do_it:
        raise click.ClickException(
            "this is a very disruptive action, if you know what you are doing, pass --really-do-it"
        )
    _with_miner(cli, lambda c: c.sector_remove(number))


cli.add_command(auth_group)
cli.add_command(storage_group)
cli.add_command(find_command, "find")  # a top-level alias of `storage find`
cli.add_command(sealing_group)
cli.add_command(workers_group)  # `workers list` is `sealing workers` (L041 spelling)
cli.add_command(sectors_group)
cli.add_command(sectors_pledge, "pledge")  # a top-level alias of `sectors pledge`
cli.add_command(proving_group)

for _name, _help, _issue in [
    ("actor", "Manipulate the miner actor", 9),
    ("storage-deals", "Manage storage deals and related configuration", 10),
]:
    stub_command(cli, _name, issue=_issue, help=_help)


def main() -> None:
    cli(prog_name="pylotus-miner")
