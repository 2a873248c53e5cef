"""The miner's sealing front door: pledging, listing, forcing and removing sectors.

Counterparts: Lotus ``storage/pipeline/sealing.go`` (``Sealing``), ``garbage.go`` (``PledgeSector``,
reference/lotus-miner.md §6.3 step 1–2) and ``fsm.go``'s global events (``SectorForceState``,
``SectorRemove``, §6.2).

A pledge allocates the next sector number (``/storage/nextid``), writes the sector's record in
``Packing`` with its ``SectorStartCC`` event (synced) and only then answers; the state machine
(:attr:`Sealing.on_change`, set by the pipeline runner) is told the sector changed and takes it
from there.  So a pledge that was answered is never lost: a miner killed right after it finds the
record on its next start.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Final, final

from ..abi import ActorID, RegisteredSealProof, SectorID, SectorNumber
from ..errors import PylotusError
from .sector_info import SectorInfo, SectorState
from .sector_store import SectorNotFound, SectorStore

__all__ = ["FINAL_STATES", "SEALING_STATES", "Sealing", "SealingError"]

log = logging.getLogger(__name__)

SEALING_STATES: Final = frozenset(
    {
        SectorState.EMPTY,
        SectorState.WAIT_DEALS,
        SectorState.PACKING,
        SectorState.PRE_COMMIT1,
        SectorState.PRE_COMMIT2,
        SectorState.PRE_COMMITTING,
        SectorState.PRE_COMMIT_WAIT,
        SectorState.WAIT_SEED,
        SectorState.COMMITTING,
        SectorState.SUBMIT_COMMIT,
        SectorState.COMMIT_WAIT,
        SectorState.FINALIZE_SECTOR,
    }
)
"""Lotus ``toStatState``'s "sealing" bucket: what ``MaxSealingSectors`` counts."""

FINAL_STATES: Final = frozenset({SectorState.REMOVED, SectorState.FAULTED_FINAL})


class SealingError(PylotusError):
    """A sealing request that cannot be honoured (Lotus's message)."""


def event_message(**fields: object) -> str:
    """An event's log message: the JSON of its fields, as Lotus logs ``json.Marshal(evt)``."""
    return json.dumps(fields, separators=(",", ":"), default=str)


@final
class Sealing:
    """Pledges and global sector events over the sector records of one miner."""

    def __init__(
        self,
        sectors: SectorStore,
        miner: ActorID,
        seal_proof: RegisteredSealProof,
        *,
        max_sealing: int = 0,
    ) -> None:
        self.sectors = sectors
        self.miner = miner
        self.seal_proof = seal_proof
        self.max_sealing = max_sealing
        self.on_change: Callable[[int], None] = lambda number: None

    def sector_id(self, number: int) -> SectorID:
        return SectorID(self.miner, SectorNumber(number))

    def sealing_count(self) -> int:
        return sum(1 for s in self.sectors.all() if s.state in SEALING_STATES)

    def state_counts(self) -> dict[str, int]:
        """Sectors per state (for ``info`` and the metrics)."""
        counts: dict[str, int] = {}
        for sector in self.sectors.all():
            counts[str(sector.state)] = counts.get(str(sector.state), 0) + 1
        return counts

    def pledge(self) -> SectorID:
        """Lotus ``PledgeSector``: a new committed-capacity sector, persisted in ``Packing``.

        Raises:
            SealingError: ``MaxSealingSectors`` is reached (Lotus HEAD's ``>=``).
        """
        if self.max_sealing > 0:
            current = self.sealing_count()
            if current >= self.max_sealing:
                raise SealingError(
                    f"too many sectors sealing (curSealing: {current}, max: {self.max_sealing})"
                )
        number = self.sectors.next_number()
        info = SectorInfo(
            state=SectorState.PACKING,
            sector_number=number,
            sector_type=self.seal_proof,
            creation_time=int(time.time()),
        ).logged("event;sealing.SectorStartCC", event_message(ID=number, SectorType=int(self.seal_proof)))
        self.sectors.put(info)
        log.info("sector pledged sector=%d", number)
        self.on_change(number)
        return self.sector_id(number)

    def get(self, number: int) -> SectorInfo:
        """Raises: SealingError: no such sector."""
        try:
            return self.sectors.get(number)
        except SectorNotFound:
            raise SealingError(f"sector {number} not found") from None

    def force_state(self, number: int, state: str) -> None:
        """Lotus ``SectorsUpdate`` (``SectorForceState``): move a sector to ``state`` as it is.

        Raises:
            SealingError: no such sector, or ``state`` is not a sector state.
        """
        try:
            target = SectorState(state)
        except ValueError:
            raise SealingError(f"unknown sector state '{state}'") from None
        info = self.get(number)
        updated = info.evolve(state=target).logged(
            "event;sealing.SectorForceState", event_message(State=str(target))
        )
        self.sectors.put(updated)
        self.on_change(number)

    def start_remove(self, number: int) -> None:
        """Lotus ``SectorRemove``: the sector goes to ``Removing`` (persisted) and its task is told;
        the state machine removes the files and ends it ``Removed`` (or ``RemoveFailed``).

        Raises:
            SealingError: no such sector, or it is already removed.
        """
        info = self.get(number)
        if info.state in (SectorState.REMOVED, SectorState.REMOVING):
            raise SealingError(f"sector {number} is already {info.state}")
        self.sectors.put(info.evolve(state=SectorState.REMOVING).logged("event;sealing.SectorRemove", "{}"))
        self.on_change(number)
