"""The sealing state machine's record of one sector: ``SectorInfo``, in CBOR and in Lotus JSON.

Counterparts: Lotus ``storage/pipeline/types.go`` (``SectorInfo``, ``SectorPiece``, ``Log``), its
cbor-gen map encoding (``cbor_gen.go``: a CBOR map keyed by the Go field names), and
``node/impl/storminer.go: SectorsStatus`` (the API's ``api.SectorInfo`` JSON, reference
api-examples.md ``SectorsStatus``).

The datastore record (``/sectors/<n>`` in the miner's metadata datastore) is a DAG-CBOR map with
Lotus's field names, so a record reads like Lotus's; CIDs travel as tag 42.  Fields that are absent
in a record read as their zero value, so records written before a field existed still load.
"""

from __future__ import annotations

import base64
import enum
import time
from dataclasses import dataclass, field, replace
from typing import Any, Final, final

from multiformats import CID

from ..abi import JsonObject, JsonValue, PaddedPieceSize, RegisteredSealProof, cid_to_json
from ..chain import dagcbor
from ..chain.errors import InvalidCbor

__all__ = [
    "LOG_LIMIT",
    "DealInfo",
    "SectorInfo",
    "SectorLog",
    "SectorPiece",
    "SectorState",
]

LOG_LIMIT: Final = 8000  # Lotus truncates a sector's log beyond this many entries


class SectorState(enum.StrEnum):
    """The sector states of reference/lotus-miner.md §6.1 (L05's set)."""

    UNDEFINED = ""
    EMPTY = "Empty"
    WAIT_DEALS = "WaitDeals"
    PACKING = "Packing"
    PRE_COMMIT1 = "PreCommit1"
    PRE_COMMIT2 = "PreCommit2"
    PRE_COMMITTING = "PreCommitting"
    PRE_COMMIT_WAIT = "PreCommitWait"
    WAIT_SEED = "WaitSeed"
    COMMITTING = "Committing"
    SUBMIT_COMMIT = "SubmitCommit"
    COMMIT_WAIT = "CommitWait"
    FINALIZE_SECTOR = "FinalizeSector"
    PROVING = "Proving"
    FAILED_UNRECOVERABLE = "FailedUnrecoverable"
    SEAL_PRE_COMMIT1_FAILED = "SealPreCommit1Failed"
    SEAL_PRE_COMMIT2_FAILED = "SealPreCommit2Failed"
    PRE_COMMIT_FAILED = "PreCommitFailed"
    COMPUTE_PROOF_FAILED = "ComputeProofFailed"
    COMMIT_FAILED = "CommitFailed"
    PACKING_FAILED = "PackingFailed"
    FINALIZE_FAILED = "FinalizeFailed"
    DEALS_EXPIRED = "DealsExpired"
    RECOVER_DEAL_IDS = "RecoverDealIDs"
    FAULTY = "Faulty"
    FAULT_REPORTED = "FaultReported"
    FAULTED_FINAL = "FaultedFinal"
    REMOVING = "Removing"
    REMOVE_FAILED = "RemoveFailed"
    REMOVED = "Removed"


@final
@dataclass(frozen=True, slots=True)
class DealInfo:
    """Lotus ``api.PieceDealInfo`` as far as sealing needs it: the deal and its schedule."""

    deal_id: int
    start_epoch: int
    end_epoch: int
    publish_cid: CID | None = None

    def to_ipld(self) -> dagcbor.IpldValue:
        return {
            "PublishCid": self.publish_cid,
            "DealID": self.deal_id,
            "DealSchedule": {"StartEpoch": self.start_epoch, "EndEpoch": self.end_epoch},
        }

    @classmethod
    def from_ipld(cls, value: Any) -> DealInfo:
        schedule = value["DealSchedule"]
        return cls(value["DealID"], schedule["StartEpoch"], schedule["EndEpoch"], value.get("PublishCid"))

    def to_json(self) -> JsonObject:
        return {
            "PublishCid": None if self.publish_cid is None else cid_to_json(self.publish_cid),
            "DealID": self.deal_id,
            "DealProposal": None,
            "DealSchedule": {"StartEpoch": self.start_epoch, "EndEpoch": self.end_epoch},
            "KeepUnsealed": True,
        }


@final
@dataclass(frozen=True, slots=True)
class SectorPiece:
    """Lotus ``api.SectorPiece``: a piece in the sector, with its deal if it has one (CC: none)."""

    size: PaddedPieceSize
    piece_cid: CID
    deal: DealInfo | None = None

    def to_ipld(self) -> dagcbor.IpldValue:
        piece: dagcbor.IpldValue = {"Size": int(self.size), "PieceCID": self.piece_cid}
        return {"Piece": piece, "DealInfo": None if self.deal is None else self.deal.to_ipld()}

    @classmethod
    def from_ipld(cls, value: Any) -> SectorPiece:
        deal = value.get("DealInfo")
        piece = value["Piece"]
        return cls(
            PaddedPieceSize(piece["Size"]),
            piece["PieceCID"],
            None if deal is None else DealInfo.from_ipld(deal),
        )

    def to_json(self) -> JsonObject:
        return {
            "Piece": {"Size": int(self.size), "PieceCID": cid_to_json(self.piece_cid)},
            "DealInfo": None if self.deal is None else self.deal.to_json(),
        }


@final
@dataclass(frozen=True, slots=True)
class SectorLog:
    """Lotus ``Log``: one event in a sector's history (``Kind`` is ``event;sealing.<Event>``)."""

    kind: str
    timestamp: int
    message: str
    trace: str = ""

    def to_ipld(self) -> dagcbor.IpldValue:
        return {"Kind": self.kind, "Timestamp": self.timestamp, "Trace": self.trace, "Message": self.message}

    @classmethod
    def from_ipld(cls, value: Any) -> SectorLog:
        return cls(value["Kind"], value["Timestamp"], value["Message"], value.get("Trace", ""))

    def to_json(self) -> JsonObject:
        return {"Kind": self.kind, "Timestamp": self.timestamp, "Trace": self.trace, "Message": self.message}


def _optional_cid(value: object) -> CID | None:
    if value is None or isinstance(value, CID):
        return value
    raise InvalidCbor(f"expected a CID or null, not {type(value).__name__}")


@final
@dataclass(frozen=True, slots=True)
class SectorInfo:
    """One sector's sealing record (Lotus ``SectorInfo``); immutable, changed with :meth:`evolve`."""

    state: SectorState
    sector_number: int
    sector_type: RegisteredSealProof
    creation_time: int = 0
    pieces: tuple[SectorPiece, ...] = ()
    ticket_value: bytes = b""
    ticket_epoch: int = 0
    pre_commit1_out: bytes = b""
    comm_d: CID | None = None
    comm_r: CID | None = None
    proof: bytes = b""
    pre_commit_deposit: int = 0
    pre_commit_message: CID | None = None
    pre_commit_tipset: tuple[CID, ...] = ()
    pre_commit2_fails: int = 0
    seed_value: bytes = b""
    seed_epoch: int = 0
    commit_message: CID | None = None
    invalid_proofs: int = 0
    retries: int = 0
    last_err: str = ""
    log: tuple[SectorLog, ...] = field(default=())

    def evolve(self, **changes: Any) -> SectorInfo:
        """A copy with ``changes`` (dataclass field names)."""
        return replace(self, **changes)

    def logged(self, kind: str, message: str, *, trace: str = "", now: float | None = None) -> SectorInfo:
        """A copy with one more log entry (the oldest dropped beyond :data:`LOG_LIMIT`)."""
        entry = SectorLog(kind, int(time.time() if now is None else now), message, trace)
        return replace(self, log=(*self.log, entry)[-LOG_LIMIT:])

    def deal_ids(self) -> list[int]:
        return [p.deal.deal_id for p in self.pieces if p.deal is not None]

    # the datastore record
    def to_cbor(self) -> bytes:
        value: dict[str, dagcbor.IpldValue] = {
            "State": str(self.state),
            "SectorNumber": self.sector_number,
            "SectorType": int(self.sector_type),
            "CreationTime": self.creation_time,
            "Pieces": [p.to_ipld() for p in self.pieces],
            "TicketValue": self.ticket_value,
            "TicketEpoch": self.ticket_epoch,
            "PreCommit1Out": self.pre_commit1_out,
            "CommD": self.comm_d,
            "CommR": self.comm_r,
            "Proof": self.proof,
            "PreCommitDeposit": self.pre_commit_deposit,
            "PreCommitMessage": self.pre_commit_message,
            "PreCommitTipSet": list(self.pre_commit_tipset),
            "PreCommit2Fails": self.pre_commit2_fails,
            "SeedValue": self.seed_value,
            "SeedEpoch": self.seed_epoch,
            "CommitMessage": self.commit_message,
            "InvalidProofs": self.invalid_proofs,
            "Retries": self.retries,
            "LastErr": self.last_err,
            "Log": [entry.to_ipld() for entry in self.log],
        }
        return dagcbor.encode(value)

    @classmethod
    def from_cbor(cls, data: bytes) -> SectorInfo:
        """Raises: InvalidCbor: ``data`` is not a sector record."""
        value: Any = dagcbor.decode(data)
        if not isinstance(value, dict):
            raise InvalidCbor("a sector record must be a CBOR map")
        try:
            return cls(
                state=SectorState(value["State"]),
                sector_number=value["SectorNumber"],
                sector_type=RegisteredSealProof(value["SectorType"]),
                creation_time=value.get("CreationTime", 0),
                pieces=tuple(SectorPiece.from_ipld(p) for p in value.get("Pieces", [])),
                ticket_value=value.get("TicketValue", b""),
                ticket_epoch=value.get("TicketEpoch", 0),
                pre_commit1_out=value.get("PreCommit1Out", b""),
                comm_d=_optional_cid(value.get("CommD")),
                comm_r=_optional_cid(value.get("CommR")),
                proof=value.get("Proof", b""),
                pre_commit_deposit=value.get("PreCommitDeposit", 0),
                pre_commit_message=_optional_cid(value.get("PreCommitMessage")),
                pre_commit_tipset=tuple(value.get("PreCommitTipSet", [])),
                pre_commit2_fails=value.get("PreCommit2Fails", 0),
                seed_value=value.get("SeedValue", b""),
                seed_epoch=value.get("SeedEpoch", 0),
                commit_message=_optional_cid(value.get("CommitMessage")),
                invalid_proofs=value.get("InvalidProofs", 0),
                retries=value.get("Retries", 0),
                last_err=value.get("LastErr", ""),
                log=tuple(SectorLog.from_ipld(e) for e in value.get("Log", [])),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidCbor(f"sector record does not decode: {exc!r}") from exc

    # the API's view
    def to_status_json(self, on_chain: JsonObject | None = None) -> JsonObject:
        """Lotus ``SectorsStatus``'s ``api.SectorInfo``; ``on_chain`` is ``StateSectorGetInfo``'s
        answer when the caller asked for on-chain info (else the on-chain fields are zero)."""
        chain = on_chain or {}

        def cid(value: CID | None) -> JsonValue:
            return None if value is None else cid_to_json(value)

        def b64(value: bytes) -> str | None:  # Go's nil []byte is JSON null
            return base64.b64encode(value).decode("ascii") if value else None

        deals: list[JsonValue] = [*self.deal_ids()]
        return {
            "SectorID": self.sector_number,
            "State": str(self.state),
            "CommD": cid(self.comm_d),
            "CommR": cid(self.comm_r),
            "Proof": b64(self.proof),
            "Deals": deals,
            "Pieces": [p.to_json() for p in self.pieces],
            "Ticket": {"Value": b64(self.ticket_value), "Epoch": self.ticket_epoch},
            "Seed": {"Value": b64(self.seed_value), "Epoch": self.seed_epoch},
            "PreCommitMsg": cid(self.pre_commit_message),
            "CommitMsg": cid(self.commit_message),
            "Retries": self.retries,
            "ToUpgrade": False,
            "ReplicaUpdateMessage": None,
            "LastErr": self.last_err,
            "Log": [entry.to_json() for entry in self.log],
            "SealProof": int(self.sector_type),
            "Activation": chain.get("Activation", 0),
            "Expiration": chain.get("Expiration", 0),
            "DealWeight": chain.get("DealWeight", "0"),
            "VerifiedDealWeight": chain.get("VerifiedDealWeight", "0"),
            "InitialPledge": chain.get("InitialPledge", "0"),
            "OnTime": chain.get("Expiration", 0),
            "Early": 0,
        }
