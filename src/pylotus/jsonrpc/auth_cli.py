"""``auth create-token`` and ``auth api-info``, shared by ``pylotus`` and ``pylotus-miner``.

As Lotus's ``cli/auth.go``: both ask the running daemon's ``AuthNew`` (admin) for a token with
every permission up to and including ``--perm``; ``api-info`` prints it as the
``<ENV>=<token>:<multiaddr>`` line a shell can ``export``.
"""

from __future__ import annotations

import click

from ..cli_group import CliContext, pass_cli, run_async
from .apiinfo import API_INFO_ENV, ApiInfo, resolve_api_info
from .client import open_http_client
from .common_api import CommonClient
from .methods import ALL_PERMISSIONS, perms_up_to

__all__ = ["auth_group"]

_PERM = click.option(
    "--perm",
    type=click.Choice(ALL_PERMISSIONS),
    required=True,
    help="permission to assign to the token: read, write, sign or admin (includes the levels before it)",
)


async def _new_token(info: ApiInfo, perm: str) -> bytes:
    async with open_http_client(info, CommonClient) as client:
        return await client.auth_new(perms_up_to(perm))


def _token_for(cli: CliContext, perm: str) -> tuple[ApiInfo, bytes]:
    """Where the API is, and a new token from it with ``perm`` and the levels before it."""
    info = resolve_api_info(cli.api_kind, cli.repo())
    return info, run_async(_new_token, info, perm)


@click.group("auth")
def auth_group() -> None:
    """Manage RPC permissions."""


@auth_group.command("create-token")
@_PERM
@pass_cli
def create_token(cli: CliContext, perm: str) -> None:
    """Create a token."""
    _, token = _token_for(cli, perm)
    click.echo(token.decode("ascii"))


@auth_group.command("api-info")
@_PERM
@pass_cli
def api_info(cli: CliContext, perm: str) -> None:
    """Get a token with a permission and print it as <ENV>=<token>:<multiaddr>."""
    info, token = _token_for(cli, perm)
    click.echo(f"{API_INFO_ENV[cli.api_kind]}={ApiInfo(info.multiaddr, token).env_value()}")
