"""The chain store: tipsets, states, messages and receipts, persisted per tipset in LevelDB.

Counterpart: Lotus ``chain/store/store.go`` (head, tipsets by height, ``GetCMessage``, receipts)
with the blockstore replaced by plain keys in the node repo's ``chain`` datastore.

Keys (heights zero-padded so they sort)::

    /head                       height of the head, decimal
    /ts/<height>                the block header's CBOR
    /state/<height>             the state tree's CBOR after this tipset's messages
    /msgs/<height>              CBOR list of the tipset's signed messages (as CBOR bytes)
    /receipts/<height>          CBOR list of their receipts (as CBOR bytes), same order
    /msg/<message CID>          CBOR [height, index]

Rule of the file: :meth:`ChainStore.put_tipset` writes all of a tipset's keys *and* the new head in
one synced batch, so a killed node restarts at the last tipset it announced, never half of one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar, final

from multiformats import CID

from pylotus.repo import Datastore, Namespace

from . import dagcbor
from .errors import ChainStoreError, InvalidCbor, InvalidMessage
from .state import StateTree
from .tipset import BlockHeader, TipSet
from .types import SignedMessage
from .types_receipt import MessageReceipt

__all__ = ["ChainStore", "StoredTipSet"]

_HEIGHT_DIGITS: Final = 12
T = TypeVar("T")


def _h(height: int) -> str:
    return f"{height:0{_HEIGHT_DIGITS}d}"


@final
@dataclass(frozen=True, slots=True)
class StoredTipSet:
    """A tipset with what it carried and the state it left."""

    tipset: TipSet
    state: StateTree
    messages: tuple[SignedMessage, ...]
    receipts: tuple[MessageReceipt, ...]


@final
class ChainStore:
    """Reads and writes the chain in ``datastore`` (a namespace of the node repo's datastore)."""

    def __init__(self, datastore: Datastore | Namespace) -> None:
        self._ds = datastore

    def head_height(self) -> int | None:
        raw = self._ds.get("/head")
        return None if raw is None else int(raw)

    def put_tipset(self, stored: StoredTipSet) -> None:
        """Persist ``stored`` and make it the head, in one synced batch."""
        h = _h(stored.tipset.height)
        with self._ds.batch() as batch:
            batch.put(f"/ts/{h}", stored.tipset.block.to_cbor())
            batch.put(f"/tsk/{stored.tipset.key()[0]}", str(stored.tipset.height).encode())
            batch.put(f"/state/{h}", stored.state.to_cbor())
            batch.put(f"/msgs/{h}", dagcbor.encode([m.to_cbor() for m in stored.messages]))
            batch.put(f"/receipts/{h}", dagcbor.encode([r.to_cbor() for r in stored.receipts]))
            for index, signed in enumerate(stored.messages):
                batch.put(f"/msg/{signed.cid()}", dagcbor.encode([stored.tipset.height, index]))
            batch.put("/head", str(stored.tipset.height).encode())

    def tipset(self, height: int) -> TipSet | None:
        raw = self._ds.get(f"/ts/{_h(height)}")
        return None if raw is None else TipSet(self._decode(BlockHeader.from_cbor, raw, f"tipset {height}"))

    def state(self, height: int) -> StateTree:
        raw = self._ds.get(f"/state/{_h(height)}")
        if raw is None:
            raise ChainStoreError(f"no state stored for height {height}")
        return self._decode(StateTree.from_cbor, raw, f"state {height}")

    def messages(self, height: int) -> list[SignedMessage]:
        raw = self._ds.get(f"/msgs/{_h(height)}") or dagcbor.encode([])
        return [SignedMessage.from_cbor(m) for m in self._list(raw, f"messages {height}")]

    def receipts(self, height: int) -> list[MessageReceipt]:
        raw = self._ds.get(f"/receipts/{_h(height)}") or dagcbor.encode([])
        return [MessageReceipt.from_cbor(r) for r in self._list(raw, f"receipts {height}")]

    def height_of(self, block: CID) -> int | None:
        """The height of the tipset whose (single) block is ``block``, or ``None``."""
        raw = self._ds.get(f"/tsk/{block}")
        return None if raw is None else int(raw)

    def find_message(self, cid: CID) -> tuple[int, int] | None:
        """``(height, index)`` of an included message, or ``None``."""
        raw = self._ds.get(f"/msg/{cid}")
        if raw is None:
            return None
        height, index = self._list(raw, f"message {cid}")
        return int(height), int(index)

    def _list(self, raw: bytes, what: str) -> list[bytes]:
        value = self._decode(dagcbor.decode, raw, what)
        if not isinstance(value, list):
            raise ChainStoreError(f"stored {what} is not a list")
        return value  # type: ignore[return-value]

    @staticmethod
    def _decode(parse: Callable[[bytes], T], raw: bytes, what: str) -> T:
        try:
            return parse(raw)
        except (InvalidCbor, InvalidMessage, ValueError, TypeError) as exc:
            raise ChainStoreError(f"stored {what} does not decode: {exc}") from exc
