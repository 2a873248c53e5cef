"""The miner's view of its full node: finding it, checking it, waiting for sync, sending messages.

Counterparts: Lotus ``cli/cmd.go: GetFullNodeAPI`` (``FULLNODE_API_INFO``, else the node repo's
``api`` and ``token``), ``cmd/lotus-miner/init.go`` and ``run.go`` (the API version check, then
``SyncWait`` unless ``--nosync``/``--genesis-miner``) and ``cli/sync.go: SyncWait`` (done when the
head is younger than one block delay).

All calls are one HTTP POST each (:func:`~pylotus.jsonrpc.open_http_client`), so a full node that
restarts needs no redial.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

import trio
from multiformats import CID

from ..abi import Address
from ..chain.api import FULLNODE_TABLE
from ..chain.api_market import MARKET_STATE_TABLE
from ..chain.types import Message
from ..jsonrpc import API_VERSION, COMMON_TABLE, ApiInfo, RpcClient, open_http_client, resolve_api_info
from ..jsonrpc.common_api import VersionInfo, format_api_version
from ..repo import RepoType
from ..sealing.chain_calls import push_message, wait_message
from .errors import FullNodeMismatch, MinerError

__all__ = [
    "FULLNODE_CALL_TIMEOUT",
    "FullNode",
    "MessageFailed",
    "check_version",
    "open_full_node",
    "wait_sync",
]

log = logging.getLogger(__name__)

FULLNODE_CALL_TIMEOUT: Final = 60.0  # seconds; StateWaitMsg waits a few blocks at most on a devnet
SYNC_POLL_INTERVAL: Final = 1.0  # seconds between SyncState polls while waiting for sync


class MessageFailed(MinerError):
    """A message landed on chain with a non-zero exit code."""


class FullNode(RpcClient):
    """The FullNode and Common API methods the miner calls."""

    TABLE = {**COMMON_TABLE, **FULLNODE_TABLE, **MARKET_STATE_TABLE}

    async def version(self) -> VersionInfo:
        return await self.call("Version")  # type: ignore[return-value]

    async def head(self) -> dict[str, Any]:
        return await self.call("ChainHead")  # type: ignore[return-value]

    async def miner_info(self, miner: Address) -> dict[str, Any]:
        return await self.call("StateMinerInfo", miner, None)  # type: ignore[return-value]

    async def send(self, message: Message, *, timeout: float = FULLNODE_CALL_TIMEOUT) -> tuple[CID, bytes]:
        """Push ``message`` (the node signs, fills nonce and gas) and wait until it is on chain.

        Returns:
            The signed message's CID and the receipt's return bytes.

        Raises:
            MessageFailed: the receipt's exit code is not 0 (named with the method).
        """
        cid = await push_message(self, message)
        receipt = (await wait_message(self, cid, timeout))["Receipt"]
        if receipt["ExitCode"] != 0:
            raise MessageFailed(
                f"message {cid} (method {message.method} to {message.to}) failed "
                f"with exit code {receipt['ExitCode']}"
            )
        raw = receipt.get("Return") or ""
        return cid, base64.b64decode(raw) if raw else b""


@asynccontextmanager
async def open_full_node(
    node_repo: Path, *, timeout: float = FULLNODE_CALL_TIMEOUT
) -> AsyncIterator[FullNode]:
    """A client of the full node named by ``FULLNODE_API_INFO`` or the node repo's files.

    Raises:
        ApiInfoError: neither says where the node is.
    """
    info: ApiInfo = resolve_api_info(RepoType.FULL_NODE, node_repo)
    async with open_http_client(info, FullNode, timeout=timeout) as node:
        yield node


async def check_version(node: FullNode, *, exact: bool) -> VersionInfo:
    """The node's version, checked against ours: major and minor for ``init``, all of it for ``run``.

    Raises:
        FullNodeMismatch: Lotus's messages, with both versions.
    """
    remote = await node.version()
    if exact and remote.api_version != API_VERSION:
        raise FullNodeMismatch(
            f"pylotus daemon API version doesn't match: expected: {format_api_version(API_VERSION)}, "
            f"remote: {format_api_version(remote.api_version)}"
        )
    if remote.api_version >> 8 != API_VERSION >> 8:
        raise FullNodeMismatch(
            f"Remote API version didn't match (expected {format_api_version(API_VERSION)}, "
            f"remote {format_api_version(remote.api_version)})"
        )
    return remote


async def wait_sync(node: FullNode, block_delay: int, echo: Callable[[str], None]) -> None:
    """Lotus ``SyncWait``: wait until the node's head is recent.

    Lotus waits for a head younger than one block delay; a devnet makes its head once per delay
    with a whole-second timestamp, so pylotus allows two delays and a second.
    """
    while True:
        head = await node.head()
        height = head["Height"]
        stamp = min(block["Timestamp"] for block in head["Blocks"])
        age = time.time() - stamp
        if age < 2 * max(block_delay, 1) + 1:
            echo(f"Done! (height {height})")
            return
        echo(f"Height: {height}, head is {age:.0f}s old; waiting for sync")
        await trio.sleep(SYNC_POLL_INTERVAL)
