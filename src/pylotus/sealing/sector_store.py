"""Where the miner keeps its sector records and its sector-number counter.

Counterparts: Lotus ``storage/pipeline/sealing.go`` (the statestore of ``SectorInfo`` under
``/sectors/<n>``) and go-storedcounter (``/storage/nextid``), in the miner's metadata datastore
(reference/lotus-miner.md §2.1).

* ``/sectors/<decimal n>``: the CBOR :class:`~.sector_info.SectorInfo`; every write is synced
  before :meth:`SectorStore.put` returns, so a record acknowledged survives ``kill -9``.
* ``/storage/nextid``: uvarint of the last sector number handed out.  go-storedcounter's ``Next``
  returns 0 when the key is absent, else the stored value + 1, and stores what it returns.
  Pre-seal import stores the highest pre-sealed number, so the first pledge gets the next one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Final, final

from multiformats import varint

from ..repo import Datastore, Namespace
from .sector_info import SectorInfo

__all__ = ["NEXT_ID_KEY", "SECTORS_PREFIX", "SectorNotFound", "SectorStore"]

SECTORS_PREFIX: Final = "/sectors"
NEXT_ID_KEY: Final = "/storage/nextid"


class SectorNotFound(KeyError):
    """No record for the sector number."""


@final
class SectorStore:
    """The sector records and the number counter, over the metadata datastore."""

    def __init__(self, datastore: Datastore | Namespace) -> None:
        self._ds = datastore
        self._counter_lock = threading.Lock()

    def get(self, number: int) -> SectorInfo:
        """Raises: SectorNotFound; InvalidCbor: the record is damaged."""
        raw = self._ds.get(f"{SECTORS_PREFIX}/{number}")
        if raw is None:
            raise SectorNotFound(number)
        return SectorInfo.from_cbor(raw)

    def has(self, number: int) -> bool:
        return self._ds.has(f"{SECTORS_PREFIX}/{number}")

    def put(self, info: SectorInfo) -> None:
        """Write (synced) the record of ``info.sector_number``."""
        self._ds.put(f"{SECTORS_PREFIX}/{info.sector_number}", info.to_cbor())

    def delete(self, number: int) -> None:
        self._ds.delete(f"{SECTORS_PREFIX}/{number}")

    def numbers(self) -> list[int]:
        """Every sector number with a record, ascending."""
        out = []
        for key, _ in self._ds.query(SECTORS_PREFIX):
            tail = key.rsplit("/", 1)[-1]
            if tail.isdigit():
                out.append(int(tail))
        return sorted(out)

    def all(self) -> Iterator[SectorInfo]:
        for number in self.numbers():
            yield self.get(number)

    def next_number(self) -> int:
        """go-storedcounter ``Next``: a sector number never handed out before (stored, synced)."""
        with self._counter_lock:
            raw = self._ds.get(NEXT_ID_KEY)
            number = 0 if raw is None else varint.decode(raw) + 1
            self._ds.put(NEXT_ID_KEY, varint.encode(number))
            return number

    def set_last_number(self, number: int) -> None:
        """Store ``number`` as the last handed out (pre-seal import)."""
        self._ds.put(NEXT_ID_KEY, varint.encode(number))
