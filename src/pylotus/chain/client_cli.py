"""``pylotus client …``: the client side of storage deals, as Lotus's ``lotus client``.

``commP`` runs locally, as Lotus's newer ``client commP`` does: hashing a file needs no node, and
reading it here avoids pushing gigabytes through the API.  The output keeps Lotus's lines
(``CID:``, ``Piece size:``, ``Raw piece size:``, printed with Go's ``Println`` spacing) so scripts
that parse Lotus's output keep working.  Deals and retrieval arrive with issue #10.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Final

import click

from ..abi import size_str
from ..cli_group import stub_command
from ..proofs import CommPResult, commp_from_file

__all__ = ["client_group"]

PROGRESS_THRESHOLD: Final = 64 << 20  # bytes; smaller files finish before a bar is worth drawing


@click.group("client")
def client_group() -> None:
    """Make deals, store data, retrieve data."""


@client_group.command("commP")
@click.argument("input_path", metavar="<inputPath>", type=click.Path(dir_okay=False, path_type=Path))
def commp(input_path: Path) -> None:
    """Calculate the piece-cid (commP) of a file."""
    try:
        result = _commp_with_progress(input_path)
    except OSError as exc:
        raise click.ClickException(f"cannot read '{input_path}': {exc.strerror or exc}") from exc
    click.echo(f"CID:  {result.cid}")
    click.echo(f"Piece size:  {size_str(result.padded_size)}")
    click.echo(f"Raw piece size:  {result.padded_size}")


def _commp_with_progress(path: Path) -> CommPResult:
    size = path.stat().st_size
    if not path.is_file():
        raise click.ClickException(f"'{path}' is not a regular file")
    if size <= PROGRESS_THRESHOLD or not sys.stderr.isatty() or os.environ.get("CI"):
        return commp_from_file(path)
    with click.progressbar(length=size, label="hashing", file=sys.stderr) as bar:
        done = 0

        def progress(consumed: int) -> None:
            nonlocal done
            bar.update(consumed - done)
            done = consumed

        return commp_from_file(path, progress=progress)


for _name, _help in [
    ("import", "Import data"),
    ("deal", "Initialize storage deal with a miner"),
    ("retrieve", "Retrieve data from network"),
    ("list-deals", "List storage market deals"),
]:
    stub_command(client_group, _name, issue=10, help=_help)
