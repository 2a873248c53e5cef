"""Finding an API: ``*_API_INFO=TOKEN:MULTIADDR`` or the repo's ``api`` and ``token`` files.

Lotus (``cli/cmd.go: GetAPIInfo``) looks, in order, at the environment variable of the repo type
(``FULLNODE_API_INFO``, ``MINER_API_INFO``, ``WORKER_API_INFO``), split on the **first** colon
into token and multiaddr, and then at ``<repo>/api`` + ``<repo>/token``.  A variable without a
colon is reported and skipped.  The multiaddr's ``/http`` suffix is ignored when dialling; the
HTTP URL is ``http://host:port/rpc/v0`` and the websocket URL ``ws://host:port/rpc/v0``.

Unlike Lotus, which only warns when no token is found and then fails later with a permission
error, a missing ``api`` file is an error that says where we looked and what to start.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from multiaddr import Multiaddr
from multiaddr.exceptions import Error as MultiaddrError

from ..repo import RepoType, read_api_info
from .errors import ApiInfoError

__all__ = ["API_INFO_ENV", "ApiInfo", "multiaddr_host_port", "resolve_api_info"]

log = logging.getLogger(__name__)

API_INFO_ENV: Final[Mapping[RepoType, str]] = {
    RepoType.FULL_NODE: "FULLNODE_API_INFO",
    RepoType.STORAGE_MINER: "MINER_API_INFO",
    RepoType.WORKER: "WORKER_API_INFO",
}


def multiaddr_host_port(maddr: str) -> tuple[str, int]:
    """``/ip4/127.0.0.1/tcp/1234/http`` → ``("127.0.0.1", 1234)`` (ip4, ip6, dns, dns4, dns6).

    Raises:
        ApiInfoError: not a multiaddr, or no host/TCP port in it.
    """
    try:
        addr = Multiaddr(maddr.strip())
    except (MultiaddrError, ValueError) as exc:
        raise ApiInfoError(f"invalid API multiaddr '{maddr}': {exc}") from exc
    names = [p.name for p in addr.protocols()]
    host = None
    for proto in ("ip4", "ip6", "dns", "dns4", "dns6"):
        if proto in names:
            host = addr.value_for_protocol(proto)
            break
    if host is None or "tcp" not in names:
        raise ApiInfoError(f"API multiaddr '{maddr}' has no host and TCP port")
    return str(host), int(addr.value_for_protocol("tcp"))


@dataclass(frozen=True)
class ApiInfo:
    """Where an API listens and the token to call it with."""

    multiaddr: str
    token: bytes | None = None

    @staticmethod
    def parse(value: str) -> ApiInfo:
        """Parse ``TOKEN:MULTIADDR`` (split on the first colon, as Lotus).

        Raises:
            ApiInfoError: no colon, or an address that is not a multiaddr with host and port.
        """
        token, sep, maddr = value.partition(":")
        if not sep:
            raise ApiInfoError("invalid API info value, missing token or address (want TOKEN:MULTIADDR)")
        multiaddr_host_port(maddr)  # validate now, not at first dial
        return ApiInfo(multiaddr=maddr, token=token.encode() if token else None)

    @property
    def host_port(self) -> tuple[str, int]:
        return multiaddr_host_port(self.multiaddr)

    def url(self, scheme: str = "http", path: str = "/rpc/v0") -> str:
        host, port = self.host_port
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{port}{path}"

    def auth_headers(self) -> dict[str, str]:
        if not self.token:
            return {}
        return {"Authorization": "Bearer " + self.token.decode("ascii", errors="replace")}

    def env_value(self) -> str:
        """``TOKEN:MULTIADDR`` as ``auth api-info`` prints it."""
        token = self.token.decode("ascii") if self.token else ""
        return f"{token}:{self.multiaddr}"


def resolve_api_info(kind: RepoType, repo_path: Path, *, env: Mapping[str, str] | None = None) -> ApiInfo:
    """The API of a repo type: the env variable if set and well-formed, else the repo files.

    Raises:
        ApiInfoError: nothing usable; the message names the variable and the repo looked at.
    """
    environ = os.environ if env is None else env
    var = API_INFO_ENV[kind]
    value = environ.get(var)
    env_state = "is not set"
    if value:
        try:
            return ApiInfo.parse(value)
        except ApiInfoError as exc:
            log.warning("ignoring %s: %s", var, exc)
            env_state = f"is malformed ({exc})"
    maddr, token = read_api_info(repo_path)
    if maddr is None:
        raise ApiInfoError(
            f"could not find the API: {var} {env_state} and repo at '{repo_path}' has no 'api' file; "
            f"is the {kind.program} running?"
        )
    if token is None:
        log.warning("no API token in repo=%s; capabilities may be limited", repo_path)
    multiaddr_host_port(maddr)
    return ApiInfo(multiaddr=maddr, token=token)
