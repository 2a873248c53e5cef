"""``pylotus``: the full node's command line (daemon and client commands), as Lotus's ``lotus``.

Global flags: ``--repo`` (env ``PYLOTUS_PATH``, default ``~/.pylotus``) and ``--log-level``.
"""

from __future__ import annotations

from pathlib import Path

import click

from .. import __version__
from ..cli_group import (
    CliContext,
    PylotusGroup,
    log_level_option,
    pass_cli,
    repo_option,
    run_async,
    stub_command,
)
from ..jsonrpc.auth_cli import auth_group
from ..repo import RepoType
from .client_cli import client_group
from .daemon import DEFAULT_API_PORT, run_daemon

__all__ = ["cli", "main"]


@click.group(cls=PylotusGroup, context_settings={"help_option_names": ["-h", "--help"]})
@repo_option(RepoType.FULL_NODE, "--repo", dest="repo")
@log_level_option
@click.version_option(__version__, prog_name="pylotus")
@click.pass_context
def cli(ctx: click.Context, repo: Path) -> None:
    """Filecoin devnet full node and client (a Python Lotus)."""
    ctx.obj = CliContext(
        program="pylotus",
        api_kind=RepoType.FULL_NODE,
        repos={RepoType.FULL_NODE: repo.expanduser()},
    )


@cli.command()
@click.option(
    "--api",
    "api_port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_API_PORT,
    show_default=True,
    help="port to serve the API on, on 127.0.0.1 (0 picks a free port)",
)
@pass_cli
def daemon(cli_ctx: CliContext, api_port: int) -> None:
    """Start a pylotus daemon process."""
    run_async(run_daemon, cli_ctx.repo(), api_port)


cli.add_command(auth_group)
cli.add_command(client_group)

for _name, _help in [
    ("wallet", "Manage wallet"),
    ("send", "Send funds between accounts"),
    ("chain", "Interact with filecoin blockchain"),
    ("state", "Interact with and query filecoin chain state"),
    ("mpool", "Manage message pool"),
]:
    stub_command(cli, _name, issue=7, help=_help)
stub_command(cli, "devnet", issue=9, help="Run a local devnet: node, genesis miner and seal worker")


def main() -> None:
    cli(prog_name="pylotus")
