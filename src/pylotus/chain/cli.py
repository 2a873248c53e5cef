"""``pylotus``: the full node's command line (daemon and client commands), as Lotus's ``lotus``.

Global flags: ``--repo`` (env ``PYLOTUS_PATH``, default ``~/.pylotus``) and ``--log-level``.
"""

from __future__ import annotations

from functools import partial
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
)
from ..jsonrpc.auth_cli import auth_group
from ..repo import RepoType
from .client_cli import client_group
from .daemon import DEFAULT_API_PORT, run_daemon
from .node_cli import Duration, chain_group, mpool_group, send, state_group, sync_group, wallet_group

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
@click.option(
    "--block-delay",
    type=Duration(),
    default="4s",
    show_default=True,
    help="time between two tipsets of the devnet (a Go duration: 1s, 500ms)",
)
@click.option(
    "--genesis-template",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="genesis template (pylotus-seed genesis new) for a new chain; ignored once the chain exists",
)
@pass_cli
def daemon(cli_ctx: CliContext, api_port: int, block_delay: float, genesis_template: Path | None) -> None:
    """Start a pylotus daemon process."""
    if block_delay <= 0:
        raise click.BadParameter("must be positive", param_hint="'--block-delay'")
    run = partial(run_daemon, block_delay=block_delay, genesis_template=genesis_template)
    run_async(run, cli_ctx.repo(), api_port)


cli.add_command(auth_group)
cli.add_command(client_group)
for _command in (wallet_group, send, chain_group, mpool_group, sync_group, state_group):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="pylotus")
