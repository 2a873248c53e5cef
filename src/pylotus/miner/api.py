"""The StorageMiner API methods of the miner itself: actor, sectors, pledge.

Counterparts: Lotus ``api/api_storage.go`` (names, ``perm:`` tags, reference/lotus-miner.md §3.3)
and ``node/impl/storminer.go`` (``ActorAddress``, ``ActorSectorSize``, ``SectorsList``,
``SectorsStatus``, ``SectorsUpdate``, ``SectorRemove``, ``PledgeSector``).  The ``Storage*``,
``Worker*``, ``SealingSchedDiag`` and ``Return*`` methods are served by the tables of
:mod:`pylotus.stores`, :mod:`pylotus.sched` and :mod:`pylotus.worker`; ``Version``, ``Auth*``,
``Closing`` and ``Shutdown`` by the Common API.

``PledgeSector`` answers HEAD's ``{"Miner", "Number"}`` once the new sector's record is written;
``SectorRemove`` answers once the sector is ``Removing``; the state machine removes its files and
ends it ``Removed`` (or ``RemoveFailed`` with the reason), as Lotus's does.
"""

from __future__ import annotations

import logging
from typing import Any, Final, final

from ..abi import Address, JsonValue
from ..jsonrpc import MethodSpec, RpcClient, make_table
from ..jsonrpc.codec import ADDRESS, BOOL, JSON, STRING, UINT64
from ..sealing.sealing import Sealing
from .fullnode import FullNode

__all__ = ["STORAGE_MINER_TABLE", "StorageMinerApi", "StorageMinerClient"]

log = logging.getLogger(__name__)

STORAGE_MINER_TABLE: Final = make_table(
    MethodSpec("ActorAddress", "read", (), ADDRESS),
    MethodSpec("ActorSectorSize", "read", (ADDRESS,), UINT64),
    MethodSpec("SectorsList", "read", (), JSON),
    MethodSpec("SectorsStatus", "read", (UINT64, BOOL), JSON),
    MethodSpec("SectorsUpdate", "admin", (UINT64, STRING), None),
    MethodSpec("SectorRemove", "admin", (UINT64,), None),
    MethodSpec("PledgeSector", "write", (), JSON),
    MethodSpec("SectorGetExpectedSealDuration", "read", (), JSON),
)


@final
class StorageMinerApi:
    """Serves :data:`STORAGE_MINER_TABLE` for miner ``address``."""

    def __init__(
        self,
        address: Address,
        sector_size: int,
        sealing: Sealing,
        node: FullNode,
        *,
        expected_seal_duration: float = 24 * 3600.0,
    ) -> None:
        self._address = address
        self._sector_size = sector_size
        self._sealing = sealing
        self._node = node
        self._expected_seal_duration = expected_seal_duration

    async def actor_address(self) -> Address:
        return self._address

    async def actor_sector_size(self, miner: Address) -> int:
        if miner == self._address:
            return self._sector_size
        info: Any = await self._node.miner_info(miner)
        return int(info["SectorSize"])

    async def sectors_list(self) -> JsonValue:
        return [*self._sealing.sectors.numbers()]

    async def sectors_status(self, number: int, show_on_chain: bool) -> JsonValue:
        info = self._sealing.get(number)
        on_chain = None
        if show_on_chain:
            on_chain = await self._node.call("StateSectorGetInfo", self._address, number, None)
        return info.to_status_json(on_chain if isinstance(on_chain, dict) else None)

    async def sectors_update(self, number: int, state: str) -> None:
        self._sealing.force_state(number, state)

    async def sector_remove(self, number: int) -> None:
        self._sealing.start_remove(number)

    async def sector_get_expected_seal_duration(self) -> JsonValue:
        """``[Dealmaking] ExpectedSealDuration`` as Go's ``time.Duration``: nanoseconds."""
        return int(self._expected_seal_duration * 1e9)

    async def pledge_sector(self) -> JsonValue:
        sector = self._sealing.pledge()
        return {"Miner": int(sector.miner), "Number": int(sector.number)}


class StorageMinerClient(RpcClient):
    """Typed client of :data:`STORAGE_MINER_TABLE` for the ``pylotus-miner`` commands."""

    TABLE = STORAGE_MINER_TABLE

    async def actor_address(self) -> Address:
        return await self.call("ActorAddress")  # type: ignore[return-value]

    async def actor_sector_size(self, miner: Address) -> int:
        return await self.call("ActorSectorSize", miner)  # type: ignore[return-value]

    async def sectors_list(self) -> list[int]:
        return await self.call("SectorsList")  # type: ignore[return-value]

    async def sectors_status(self, number: int, show_on_chain: bool = False) -> dict[str, Any]:
        return await self.call("SectorsStatus", number, show_on_chain)  # type: ignore[return-value]

    async def pledge_sector(self) -> dict[str, Any]:
        return await self.call("PledgeSector")  # type: ignore[return-value]

    async def sectors_update(self, number: int, state: str) -> None:
        await self.call("SectorsUpdate", number, state)

    async def sector_get_expected_seal_duration(self) -> int:
        return await self.call("SectorGetExpectedSealDuration")  # type: ignore[return-value]

    async def sector_remove(self, number: int) -> None:
        await self.call("SectorRemove", number)
