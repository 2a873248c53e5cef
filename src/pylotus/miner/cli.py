"""``pylotus-miner``: the storage miner's command line, as Lotus's ``lotus-miner``.

Global flags: ``--miner-repo`` (alias ``--storagerepo``, env ``PYLOTUS_MINER_PATH``, default
``~/.pylotusminer``), ``--repo`` (the full node's, env ``PYLOTUS_PATH``) and ``--log-level``.
"""

from __future__ import annotations

from pathlib import Path

import click

from .. import __version__
from ..cli_group import CliContext, PylotusGroup, log_level_option, repo_option, stub_command
from ..jsonrpc.auth_cli import auth_group
from ..repo import RepoType
from ..sched import sealing_group, workers_group
from ..stores import find_command, storage_group

__all__ = ["cli", "main"]


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


cli.add_command(auth_group)
cli.add_command(storage_group)
cli.add_command(find_command, "find")  # a top-level alias of `storage find`
cli.add_command(sealing_group)
cli.add_command(workers_group)  # `workers list` is `sealing workers` (L041 spelling)

for _name, _help, _issue in [
    ("init", "Initialize a storage miner repo", 8),
    ("run", "Start a storage miner process", 8),
    ("info", "Print miner info", 8),
    ("actor", "Manipulate the miner actor", 8),
    ("sectors", "Interact with sector store", 8),
    ("proving", "View proving information", 9),
    ("storage-deals", "Manage storage deals and related configuration", 10),
]:
    stub_command(cli, _name, issue=_issue, help=_help)


def main() -> None:
    cli(prog_name="pylotus-miner")
