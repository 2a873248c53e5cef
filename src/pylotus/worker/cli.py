"""``pylotus-seal-worker``: the remote seal worker's command line, as Lotus's ``lotus-worker``.

Global flags: ``--worker-repo`` (alias ``--workerrepo``, env ``PYLOTUS_WORKER_PATH``, default
``~/.pylotusworker``), ``--miner-repo`` (alias ``--storagerepo``, env ``PYLOTUS_MINER_PATH``) and
``--log-level``.
"""

from __future__ import annotations

from pathlib import Path

import click

from .. import __version__
from ..cli_group import CliContext, PylotusGroup, log_level_option, repo_option, stub_command
from ..repo import RepoType

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


stub_command(cli, "run", issue=6, help="Start a seal worker and register it with the miner")
stub_command(cli, "info", issue=6, help="Print worker info")
stub_command(cli, "storage", issue=6, help="Manage the worker's sector storage")


def main() -> None:
    cli(prog_name="pylotus-seal-worker")
