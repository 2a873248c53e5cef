"""``pylotus-miner proving info|deadlines|deadline|faults``: the miner's Window PoSt state on chain.

Counterpart: Lotus ``cmd/lotus-miner/proving.go`` (L05/L12 layouts): ``info`` prints the open
deadline and the proving period with Lotus's ``EpochTime`` (``N (in 7m0s)``, ``N (23m0s ago)``,
``N (now)``, Go durations of epochs × block delay); ``deadlines`` a tabwriter table (min width 2,
padding 2) ``deadline  partitions  sectors (faults)  proven partitions`` with ``(current)`` on the
open one; ``deadline <index>`` its partitions; ``faults`` one row per faulty sector.  Everything is
read from the full node (``StateMinerProvingDeadline``, ``StateMinerDeadlines``,
``StateMinerPartitions``) for the miner the miner API names (``ActorAddress``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click

from ..chain.bitfield import json_count, json_members
from ..chain.policy import WPOST_PERIOD_DEADLINES
from ..cli_group import CliContext, PylotusGroup, pass_cli, run_async
from ..jsonrpc import open_http_client, resolve_api_info
from ..repo import RepoType
from ..sched.sealing_format import tabwrite
from .api import StorageMinerClient
from .format import go_duration
from .fullnode import FullNode, open_full_node

__all__ = ["epoch_time", "proving_group"]

T = TypeVar("T")
_MAX_SECTORS = 1 << 22


def epoch_time(current: int, epoch: int, block_delay: int) -> str:
    """Lotus ``EpochTime``."""
    if current > epoch:
        return f"{epoch} ({go_duration((current - epoch) * block_delay)} ago)"
    if current == epoch:
        return f"{epoch} (now)"
    return f"{epoch} (in {go_duration((epoch - current) * block_delay)})"


def _with_both(cli: CliContext, fn: Callable[[str, FullNode], Awaitable[T]]) -> T:
    async def go() -> T:
        info = resolve_api_info(RepoType.STORAGE_MINER, cli.repo(RepoType.STORAGE_MINER))
        async with (
            open_http_client(info, StorageMinerClient) as miner,
            open_full_node(cli.repo(RepoType.FULL_NODE)) as node,
        ):
            return await fn(str(await miner.actor_address()), node)

    return run_async(go)


async def _partitions(node: FullNode, miner: str) -> list[list[dict[str, Any]]]:
    out = []
    for index in range(WPOST_PERIOD_DEADLINES):
        found: Any = await node.call("StateMinerPartitions", miner, index, None)
        out.append(found)
    return out


@click.group("proving", cls=PylotusGroup)
def proving_group() -> None:
    """View proving information."""


@proving_group.command("info")
@pass_cli
def proving_info(cli: CliContext) -> None:
    """View current state information."""

    async def go(miner: str, node: FullNode) -> str:
        delay = (await node.version()).block_delay
        cd: Any = await node.call("StateMinerProvingDeadline", miner, None)
        all_partitions = await _partitions(node, miner)
        proving = faults = recovering = current_sectors = 0
        for index, partitions in enumerate(all_partitions):
            for partition in partitions:
                live = json_count(partition["LiveSectors"])
                proving += live
                faults += json_count(partition["FaultySectors"])
                recovering += json_count(partition["RecoveringSectors"])
                if index == cd["Index"]:
                    current_sectors += live
        percent = (faults * 10000 // proving) / 100 if proving else 0.0
        now, period = cd["CurrentEpoch"], cd["WPoStProvingPeriod"]
        lines = [
            f"Miner: {miner}",
            f"Current Epoch:           {now}",
            f"Proving Period Boundary: {cd['PeriodStart'] % period}",
            f"Proving Period Start:    {epoch_time(now, cd['PeriodStart'], delay)}",
            f"Next Period Start:       {epoch_time(now, cd['PeriodStart'] + period, delay)}",
            "",
            f"Faults:      {faults} ({percent:.2f}%)",
            f"Recovering:  {recovering}",
            "",
            f"Deadline Index:       {cd['Index']}",
            f"Deadline Sectors:     {current_sectors}",
            f"Deadline Open:        {epoch_time(now, cd['Open'], delay)}",
            f"Deadline Close:       {epoch_time(now, cd['Close'], delay)}",
            f"Deadline Challenge:   {epoch_time(now, cd['Challenge'], delay)}",
            f"Deadline FaultCutoff: {epoch_time(now, cd['FaultCutoff'], delay)}",
        ]
        return "\n".join(lines) + "\n"

    click.echo(_with_both(cli, go), nl=False)


@proving_group.command("deadlines")
@pass_cli
def proving_deadlines(cli: CliContext) -> None:
    """View the current proving period deadlines information."""

    async def go(miner: str, node: FullNode) -> str:
        cd: Any = await node.call("StateMinerProvingDeadline", miner, None)
        deadlines: Any = await node.call("StateMinerDeadlines", miner, None)
        all_partitions = await _partitions(node, miner)
        rows = [["deadline", "partitions", "sectors (faults)", "proven partitions"]]
        for index, partitions in enumerate(all_partitions):
            sectors = sum(json_count(p["AllSectors"]) for p in partitions)
            faulty = sum(json_count(p["FaultySectors"]) for p in partitions)
            proven = str(json_count(deadlines[index]["PostSubmissions"]))
            current = index == cd["Index"]
            row = [str(index), str(len(partitions)), f"{sectors} ({faulty})", proven]
            rows.append([*row, "(current)"] if current else row)
        width = max(len(r) for r in rows)
        padded = [r + [""] * (width - len(r)) for r in rows]
        table = tabwrite(padded)
        return f"Miner: {miner}\n" + "".join(line.rstrip() + "\n" for line in table.splitlines())

    click.echo(_with_both(cli, go), nl=False)


@proving_group.command("deadline")
@click.argument("index", metavar="<deadlineIdx>", type=click.IntRange(0, WPOST_PERIOD_DEADLINES - 1))
@pass_cli
def proving_deadline(cli: CliContext, index: int) -> None:
    """View the current proving period deadline information by its index."""

    async def go(miner: str, node: FullNode) -> str:
        cd: Any = await node.call("StateMinerProvingDeadline", miner, None)
        deadlines: Any = await node.call("StateMinerDeadlines", miner, None)
        partitions: Any = await node.call("StateMinerPartitions", miner, index, None)
        lines = [
            f"Deadline Index:           {index}",
            f"Partitions:               {len(partitions)}",
            f"Proven Partitions:        {json_count(deadlines[index]['PostSubmissions'])}",
            f"Current:                  {str(cd['Index'] == index).lower()}",
            "",
        ]
        for number, partition in enumerate(partitions):
            sectors = sorted(json_members(partition["AllSectors"], limit=_MAX_SECTORS))
            faulty = sorted(json_members(partition["FaultySectors"], limit=_MAX_SECTORS))
            lines += [
                f"Partition Index:          {number}",
                f"Sectors:                  {len(sectors)}",
                f"Sector Numbers:           [{' '.join(map(str, sectors))}]",
                f"Faults:                   {len(faulty)}",
                f"Faulty Sectors:           [{' '.join(map(str, faulty))}]",
            ]
        return "\n".join(lines) + "\n"

    click.echo(_with_both(cli, go), nl=False)


@proving_group.command("faults")
@pass_cli
def proving_faults(cli: CliContext) -> None:
    """View the currently known proving faulty sectors information."""

    async def go(miner: str, node: FullNode) -> str:
        rows = [["deadline", "partition", "sectors"]]
        for index, partitions in enumerate(await _partitions(node, miner)):
            for number, partition in enumerate(partitions):
                for sector in sorted(json_members(partition["FaultySectors"], limit=_MAX_SECTORS)):
                    rows.append([str(index), str(number), str(sector)])
        return f"Miner: {miner}\n" + tabwrite(rows)

    click.echo(_with_both(cli, go), nl=False)
