"""``pylotus-seed``: pre-seal sectors and build genesis templates, as Lotus's ``lotus-seed``.

Global flag: ``--sector-dir`` (default ``~/.genesis-sectors``, as Lotus).
"""

from __future__ import annotations

from pathlib import Path

import click

from .. import __version__
from ..cli_group import PylotusGroup, log_level_option, stub_command

__all__ = ["cli", "main"]


@click.group(cls=PylotusGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--sector-dir",
    default="~/.genesis-sectors",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="where pre-sealed sectors are written",
)
@log_level_option
@click.version_option(__version__, prog_name="pylotus-seed")
@click.pass_context
def cli(ctx: click.Context, sector_dir: Path) -> None:
    """Seal sectors for genesis miners."""
    ctx.obj = sector_dir.expanduser()


stub_command(cli, "pre-seal", issue=7, help="Pre-seal sectors for a genesis miner")
stub_command(cli, "genesis", issue=7, help="Manipulate genesis template (new, add-miner)")


def main() -> None:
    cli(prog_name="pylotus-seed")
