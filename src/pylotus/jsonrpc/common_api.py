"""The methods every pylotus API serves, as Lotus's ``api/api_common.go``.

``Version``, ``AuthNew``, ``AuthVerify``, ``Session``, ``Closing`` and ``Shutdown`` exist on the
full node, the miner and the seal worker alike; each daemon registers :data:`COMMON_TABLE` with a
:class:`CommonApi` next to its own table.  Permissions and shapes are reference/lotus-miner.md §3.3:
``AuthNew`` needs admin and returns ``[]byte`` — so on the wire the result is the **base64 of the
JWT string**, a Lotus quirk kept for compatibility; :class:`CommonClient` undoes it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Final, final

import trio

from .. import __version__
from .auth import JwtAuth
from .client import RpcClient
from .codec import BYTES, JSON, STRING, JsonObject, JsonValue, ListOf
from .errors import CodecError
from .methods import MethodSpec, make_table

__all__ = [
    "API_VERSION",
    "COMMON_TABLE",
    "CommonApi",
    "CommonClient",
    "VersionInfo",
    "api_version",
    "format_api_version",
]


def api_version(major: int, minor: int, patch: int) -> int:
    """Lotus's ``newVer``: ``major<<16 | minor<<8 | patch``."""
    return major << 16 | minor << 8 | patch


def format_api_version(v: int) -> str:
    """``65536`` → ``"1.0.0"`` (Lotus ``Version.String``)."""
    return f"{v >> 16}.{(v >> 8) & 0xFF}.{v & 0xFF}"


# One version for the pylotus APIs while they grow together; a client refuses another major.
API_VERSION: Final = api_version(1, 0, 0)


@dataclass(frozen=True)
class VersionInfo:
    """``APIVersion`` result: ``{"Version": "...", "APIVersion": 65536, "BlockDelay": 4}``."""

    version: str
    api_version: int
    block_delay: int

    def to_json(self) -> JsonValue:
        return {"Version": self.version, "APIVersion": self.api_version, "BlockDelay": self.block_delay}

    @staticmethod
    def from_json(obj: JsonValue) -> VersionInfo:
        if not isinstance(obj, dict):
            raise CodecError("version must be an object")
        version, api, delay = obj.get("Version"), obj.get("APIVersion"), obj.get("BlockDelay")
        if not isinstance(version, str) or not isinstance(api, int) or not isinstance(delay, int):
            raise CodecError(f"malformed version object: {obj}")
        return VersionInfo(version=version, api_version=api, block_delay=delay)


VERSION_CODEC: Final = JsonObject("api.APIVersion", VersionInfo.from_json, VersionInfo.to_json)

COMMON_TABLE: Final = make_table(
    MethodSpec("Version", "read", (), VERSION_CODEC),
    MethodSpec("AuthNew", "admin", (ListOf(STRING),), BYTES),
    MethodSpec("AuthVerify", "read", (STRING,), ListOf(STRING)),
    MethodSpec("Session", "read", (), STRING),
    MethodSpec("Closing", "read", (), JSON, channel=True),
    MethodSpec("Shutdown", "admin", (), None),
)


@final
class CommonApi:
    """Serves :data:`COMMON_TABLE` for one daemon.

    Args:
        auth: the daemon's token signer.
        block_delay: seconds per epoch, reported by ``Version`` (Lotus's ``BlockDelay``).
        shutdown: set by ``Shutdown``; the daemon watches it and stops gracefully.
    """

    def __init__(self, auth: JwtAuth, *, block_delay: int, shutdown: trio.Event) -> None:
        self._auth = auth
        self._block_delay = block_delay
        self._shutdown = shutdown
        self.session_id = str(uuid.uuid4())  # a new process has a new session (Lotus L12+)

    async def version(self) -> VersionInfo:
        return VersionInfo(
            version=f"{__version__}+pylotus", api_version=API_VERSION, block_delay=self._block_delay
        )

    async def auth_new(self, perms: Sequence[str]) -> bytes:
        return self._auth.new_token(perms)

    async def auth_verify(self, token: str) -> list[str]:
        return self._auth.verify(token)

    async def session(self) -> str:
        return self.session_id

    async def closing(self) -> AsyncIterator[JsonValue]:
        """A channel that carries nothing and closes when the daemon starts shutting down."""
        return self._closing()

    async def _closing(self) -> AsyncIterator[JsonValue]:
        await self._shutdown.wait()
        return
        yield  # pragma: no cover - makes this an async generator

    async def shutdown(self) -> None:
        self._shutdown.set()


class CommonClient(RpcClient):
    """Typed client for :data:`COMMON_TABLE`."""

    TABLE = COMMON_TABLE

    async def version(self) -> VersionInfo:
        return await self.call("Version")  # type: ignore[return-value]

    async def auth_new(self, perms: Sequence[str]) -> bytes:
        """A new token (the JWT's bytes, already un-base64'd)."""
        return await self.call("AuthNew", list(perms))  # type: ignore[return-value]

    async def auth_verify(self, token: str) -> list[str]:
        return await self.call("AuthVerify", token)  # type: ignore[return-value]

    async def session(self) -> str:
        return await self.call("Session")  # type: ignore[return-value]

    async def shutdown(self) -> None:
        await self.call("Shutdown")
