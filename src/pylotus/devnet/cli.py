"""The ``pylotus`` program: the full node's commands (:mod:`pylotus.chain.cli`) plus ``devnet``.

``devnet`` starts every other program, so it lives above them all; the rest of ``pylotus`` is the
chain package's command group, to which this module adds it.
"""

from __future__ import annotations

import tempfile
from functools import partial
from pathlib import Path

import click
import trio

from ..abi import AbiError, parse_sector_size
from ..chain.cli import cli
from ..chain.node_cli import Duration
from .supervisor import DevnetConfig, run_devnet

__all__ = ["cli", "main"]


@cli.command("devnet")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    help="directory for the repos, sectors and logs (default: a new temporary one); reused if it exists",
)
@click.option("--sector-size", default="2KiB", show_default=True, help="sector size of the genesis miner")
@click.option(
    "--workers", type=click.IntRange(0, 16), default=1, show_default=True, help="seal workers to start"
)
@click.option(
    "--block-delay",
    type=Duration(),
    default="1s",
    show_default=True,
    help="time between two tipsets (a Go duration: 1s, 500ms)",
)
def devnet(home: Path | None, sector_size: str, workers: int, block_delay: float) -> None:
    """Run a local devnet: node, genesis miner and seal workers, until Ctrl-C."""
    try:
        parse_sector_size(sector_size)
    except AbiError as exc:
        raise click.BadParameter(str(exc), param_hint="'--sector-size'") from None
    if block_delay <= 0:
        raise click.BadParameter("must be positive", param_hint="'--block-delay'")
    home = (
        home.expanduser().resolve() if home is not None else Path(tempfile.mkdtemp(prefix="pylotus-devnet-"))
    )
    home.mkdir(parents=True, exist_ok=True)
    click.echo(f"==> devnet home: {home}")
    delay = f"{int(block_delay * 1000)}ms"
    cfg = DevnetConfig(home=home, sector_size=sector_size, workers=workers, block_delay=delay)
    trio.run(partial(run_devnet, cfg, lambda line: click.echo(line)))


def main() -> None:
    cli(prog_name="pylotus")
