"""Power and miner actors through the VM: each method accepted, each refusal with its code, its
reason (logged) and no change to the miner, the power actor or the ID counter.

The accepted ProveCommitSector uses a real 2KiB sector sealed in the test with the ticket and seed
the chain gives (SealRandomness at the SealRandEpoch, InteractiveSealChallengeSeed at
PreCommitEpoch + PreCommitChallengeDelay), as the miner's sealing FSM does; the actor re-derives
both and verifies the vanilla proof.  Genesis miners from a template get their pre-seals' power.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import pytest
from chain_rig import apply_signed, chain_at
from multiformats import CID

from pylotus.abi import (
    Address,
    RegisteredPoStProof,
    RegisteredSealProof,
    UnpaddedPieceSize,
    commd_to_cid,
    commr_to_cid,
)
from pylotus.chain import dagcbor
from pylotus.chain.actor_miner import interactive_epoch, seal_entropy
from pylotus.chain.actor_power import POWER_ID, PowerState, miner_power_json, power_actor
from pylotus.chain.bigint import TokenAmount
from pylotus.chain.crypto import key_address, new_secp256k1_key
from pylotus.chain.exitcode import ExitCode
from pylotus.chain.genesis import make_genesis
from pylotus.chain.genesis_template import DealProposal, Miner, PreSeal, add_miners, new_template
from pylotus.chain.market_state import MARKET_ID, market_actor
from pylotus.chain.miner_state import (
    MINER_CODE,
    MinerState,
    deadline_info,
    period_start,
    proving_period_offset,
)
from pylotus.chain.policy import (
    EPOCHS_IN_DAY,
    MAX_PRE_COMMIT_RANDOMNESS_LOOKBACK,
    MIN_SECTOR_EXPIRATION,
    PRE_COMMIT_CHALLENGE_DELAY,
    WPOST_CHALLENGE_WINDOW,
    WPOST_PROVING_PERIOD,
    initial_pledge,
    pre_commit_deposit,
)
from pylotus.chain.randomness import DomainSeparationTag
from pylotus.chain.state import ACCOUNT_CODE, BURNT_FUNDS_ID, EMPTY_HEAD, FIRST_MINER_ID, Actor, StateTree
from pylotus.chain.types import Message, sign_message
from pylotus.chain.types_receipt import MessageReceipt
from pylotus.chain.vm import ChainContext, apply_message
from pylotus.proofs import (
    PrivateSectorInfo,
    SectorCids,
    SectorInfo,
    SectorPaths,
    add_piece,
    generate_window_post,
    seal_commit1,
    seal_commit2,
    seal_pre_commit1,
    seal_pre_commit2,
    zero_piece_cid,
)
from pylotus.repo import KeyInfo

FIL = TokenAmount.from_fil
PROOF = RegisteredSealProof.STACKED_DRG_2KIB_V1_1
POST = RegisteredPoStProof.STACKED_DRG_WINDOW_2KIB_V1_1
EPOCH = 5000  # far enough from genesis for every lookback rule
SEALED = commr_to_cid(bytes(range(32)))
EXPIRATION = EPOCH + 60 * EPOCHS_IN_DAY + MIN_SECTOR_EXPIRATION


def ticket_at(epoch: int) -> bytes:
    return hashlib.blake2b(b"test chain" + epoch.to_bytes(8, "big"), digest_size=32).digest()


def chain(epoch: int) -> ChainContext:
    return chain_at(epoch, ticket_at)


class Sender:
    """An account that signs messages with increasing nonces."""

    def __init__(self, tree: StateTree, key: KeyInfo) -> None:
        self.tree, self.key, self.nonce = tree, key, 0

    @property
    def address(self) -> Address:
        return key_address(self.key)

    def send(
        self, to: Address, method: int, params: dagcbor.IpldValue, *, value: int = 0, epoch: int = EPOCH
    ) -> MessageReceipt:
        receipt = apply_signed(
            self.tree,
            self.key,
            self.nonce,
            to,
            method,
            dagcbor.encode(params),
            TokenAmount(value),
            chain(epoch),
        )
        self.nonce += 1
        return receipt


@pytest.fixture
def tree() -> StateTree:
    tree = StateTree()
    tree.actors[BURNT_FUNDS_ID] = Actor(ACCOUNT_CODE, EMPTY_HEAD, 0, TokenAmount(0))
    tree.actors[POWER_ID] = power_actor()
    tree.actors[MARKET_ID] = market_actor()
    return tree


@pytest.fixture
def owner(tree: StateTree) -> Sender:
    sender = Sender(tree, new_secp256k1_key())
    tree.create_account(sender.address, FIL(100))
    return sender


def create_params(owner: Address, worker: Address) -> dagcbor.IpldValue:
    return [owner.to_bytes(), worker.to_bytes(), int(POST), b"\x00\x24peer", [b"\x04\x7f\x00\x00\x01"]]


@pytest.fixture
def miner(owner: Sender) -> Address:
    receipt = owner.send(
        Address.new_id(POWER_ID), 2, create_params(owner.address, owner.address), value=10**18
    )
    assert receipt.exit_code == ExitCode.OK
    id_raw, robust_raw = dagcbor.decode(receipt.return_value)  # type: ignore[misc]
    return Address.from_bytes(id_raw)


def precommit(number: int = 1, **changes: object) -> list[dagcbor.IpldValue]:
    fields: dict[str, object] = {
        "proof": int(PROOF),
        "number": number,
        "sealed": SEALED,
        "rand": EPOCH - 100,
        "deals": [],
        "expiration": EXPIRATION,
    }
    replace_fields = changes.pop("replace", [False, 0, 0, 0])
    unsealed = changes.pop("unsealed", None)
    fields.update(changes)
    tail = [] if unsealed is None else [unsealed]
    return [*fields.values(), *replace_fields, *tail]  # type: ignore[list-item,misc]


def miner_state(tree: StateTree, miner: Address) -> MinerState:
    return MinerState.from_head(tree.actors[miner.id()].head)


def snapshot(tree: StateTree, miner: Address) -> tuple[CID, CID, int, TokenAmount]:
    actor = tree.actors[miner.id()]
    return actor.head, tree.actors[POWER_ID].head, tree.next_id, actor.balance


# -- power: CreateMiner -------------------------------------------------------------------------------


def test_create_miner_makes_a_miner_with_the_value_and_no_power(
    tree: StateTree, owner: Sender, miner: Address
) -> None:
    actor = tree.actors[miner.id()]
    assert actor.code == MINER_CODE and actor.balance == TokenAmount(10**18)
    info = miner_state(tree, miner).info.to_json()
    owner_id = str(Address.new_id(tree.lookup_id(owner.address) or 0))
    assert info["Owner"] == owner_id and info["Worker"] == owner_id
    assert info["WindowPoStProofType"] == int(POST) and info["SectorSize"] == 2048
    assert info["WindowPoStPartitionSectors"] == 2 and info["Multiaddrs"] == ["BH8AAAE="]
    assert miner_power_json(tree, miner) == {
        "MinerPower": {"RawBytePower": "0", "QualityAdjPower": "0"},
        "TotalPower": {"RawBytePower": "0", "QualityAdjPower": "0"},
        "HasMinPower": False,
    }


def test_create_miner_returns_a_robust_address_that_resolves(tree: StateTree, owner: Sender) -> None:
    receipt = owner.send(Address.new_id(POWER_ID), 2, create_params(owner.address, owner.address))
    id_raw, robust_raw = dagcbor.decode(receipt.return_value)  # type: ignore[misc]
    robust = Address.from_bytes(robust_raw)
    assert str(robust).startswith("t2") and tree.lookup_id(robust) == Address.from_bytes(id_raw).id()


def test_create_miner_with_unknown_worker_is_refused(
    tree: StateTree, owner: Sender, caplog: pytest.LogCaptureFixture
) -> None:
    before = (tree.actors[POWER_ID].head, tree.next_id)
    stranger = key_address(new_secp256k1_key())
    with caplog.at_level(logging.INFO):
        receipt = owner.send(Address.new_id(POWER_ID), 2, create_params(owner.address, stranger))
    assert receipt.exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT
    assert f"worker address '{stranger}' not found" in caplog.text
    assert (tree.actors[POWER_ID].head, tree.next_id) == before


def test_create_miner_with_malformed_params_is_a_serialization_error(tree: StateTree, owner: Sender) -> None:
    receipt = owner.send(Address.new_id(POWER_ID), 2, [b"x"])
    assert receipt.exit_code == ExitCode.ERR_SERIALIZATION


# -- miner: ChangePeerID, PreCommitSector ------------------------------------------------------------


def test_change_peer_id_by_owner_and_refused_for_others(
    tree: StateTree, owner: Sender, miner: Address
) -> None:
    assert owner.send(miner, 4, [b"\x00\x24new"]).exit_code == ExitCode.OK
    assert miner_state(tree, miner).info.peer_id == b"\x00\x24new"
    other = Sender(tree, new_secp256k1_key())
    tree.create_account(other.address, FIL(1))
    before = snapshot(tree, miner)
    assert other.send(miner, 4, [b"\x00\x24bad"]).exit_code == ExitCode.ERR_FORBIDDEN
    assert snapshot(tree, miner) == before


def test_pre_commit_locks_the_deposit(tree: StateTree, owner: Sender, miner: Address) -> None:
    assert owner.send(miner, 6, precommit()).exit_code == ExitCode.OK
    state = miner_state(tree, miner)
    pc = state.precommits[1].to_json()
    assert pc["PreCommitEpoch"] == EPOCH and pc["PreCommitDeposit"] == pre_commit_deposit(2048).to_json()
    assert pc["Info"]["SealedCID"] == {"/": str(SEALED)} and pc["Info"]["SealRandEpoch"] == EPOCH - 100
    assert state.available(tree.actors[miner.id()].balance) == TokenAmount(10**18) - pre_commit_deposit(2048)


@pytest.mark.parametrize(
    "changes,code,reason",
    [
        (
            {"rand": EPOCH - MAX_PRE_COMMIT_RANDOMNESS_LOOKBACK - 1},
            ExitCode.ERR_ILLEGAL_ARGUMENT,
            f"seal challenge epoch '{EPOCH - MAX_PRE_COMMIT_RANDOMNESS_LOOKBACK - 1}' too old",
        ),
        ({"rand": EPOCH}, ExitCode.ERR_ILLEGAL_ARGUMENT, "must be before now"),
        ({"sealed": commd_to_cid(bytes(32))}, ExitCode.ERR_ILLEGAL_ARGUMENT, "sealed CID had wrong prefix"),
        ({"expiration": EPOCH + 10}, ExitCode.ERR_ILLEGAL_ARGUMENT, "invalid expiration"),
        (
            {"proof": int(RegisteredSealProof.STACKED_DRG_8MIB_V1_1)},
            ExitCode.ERR_ILLEGAL_ARGUMENT,
            "unsupported",
        ),
        ({"deals": [7]}, ExitCode.ERR_NOT_FOUND, "7"),  # the market knows no deal 7
        ({"number": "one"}, ExitCode.ERR_SERIALIZATION, "SectorNumber"),
        ({"expiration": "soon"}, ExitCode.ERR_SERIALIZATION, "Expiration"),
        (
            {"replace": [False, 0, 0, 0], "unsealed": commd_to_cid(bytes([1]) * 32)},
            ExitCode.ERR_ILLEGAL_ARGUMENT,
            "must be the zero piece's CommD",
        ),
    ],
)
def test_pre_commit_refusals(
    tree: StateTree,
    owner: Sender,
    miner: Address,
    caplog: pytest.LogCaptureFixture,
    changes: dict[str, object],
    code: ExitCode,
    reason: str,
) -> None:
    before = snapshot(tree, miner)
    with caplog.at_level(logging.INFO):
        assert owner.send(miner, 6, precommit(**changes)).exit_code == code
    if code != ExitCode.ERR_SERIALIZATION:
        assert reason in caplog.text
    assert snapshot(tree, miner) == before


def test_duplicate_sector_number_is_refused(
    tree: StateTree, owner: Sender, miner: Address, caplog: pytest.LogCaptureFixture
) -> None:
    assert owner.send(miner, 6, precommit(7)).exit_code == ExitCode.OK
    before = snapshot(tree, miner)
    with caplog.at_level(logging.INFO):
        assert owner.send(miner, 6, precommit(7)).exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT
    assert "sector number '7' has already been allocated" in caplog.text
    assert snapshot(tree, miner) == before


def test_pre_commit_without_funds_is_refused(tree: StateTree, owner: Sender) -> None:
    receipt = owner.send(Address.new_id(POWER_ID), 2, create_params(owner.address, owner.address))
    poor = Address.from_bytes(dagcbor.decode(receipt.return_value)[0])  # type: ignore[index]
    before = snapshot(tree, poor)
    assert owner.send(poor, 6, precommit()).exit_code == ExitCode.ERR_INSUFFICIENT_FUNDS
    assert snapshot(tree, poor) == before


def test_pre_commit_by_a_stranger_is_forbidden(tree: StateTree, miner: Address) -> None:
    other = Sender(tree, new_secp256k1_key())
    tree.create_account(other.address, FIL(1))
    before = snapshot(tree, miner)
    assert other.send(miner, 6, precommit()).exit_code == ExitCode.ERR_FORBIDDEN
    assert snapshot(tree, miner) == before


def test_pre_commit_without_chain_context_fails_cleanly(
    tree: StateTree, owner: Sender, miner: Address
) -> None:
    message = Message(
        to=miner,
        from_=owner.address,
        nonce=owner.nonce,
        value=TokenAmount(0),
        gas_limit=100_000_000,
        gas_fee_cap=TokenAmount(100),
        gas_premium=TokenAmount(1),
        method=6,
        params=dagcbor.encode(precommit()),
    )
    assert apply_message(tree, sign_message(owner.key, message)).exit_code == ExitCode.ERR_ILLEGAL_STATE


# -- miner: ProveCommitSector refusals (the accepted path is test_chain_prove_commit.py) -------------


def test_prove_commit_of_an_unknown_sector_is_not_found(
    tree: StateTree, owner: Sender, miner: Address
) -> None:
    before = snapshot(tree, miner)
    assert owner.send(miner, 7, [9, b"proof"]).exit_code == ExitCode.ERR_NOT_FOUND
    assert snapshot(tree, miner) == before


def test_prove_commit_to_an_unknown_miner_is_an_invalid_receiver(owner: Sender) -> None:
    assert owner.send(Address.new_id(5555), 7, [1, b"proof"]).exit_code == ExitCode.SYS_ERR_INVALID_RECEIVER


def test_prove_commit_before_the_seed_is_forbidden(tree: StateTree, owner: Sender, miner: Address) -> None:
    assert owner.send(miner, 6, precommit()).exit_code == ExitCode.OK
    early = EPOCH + PRE_COMMIT_CHALLENGE_DELAY
    assert owner.send(miner, 7, [1, b"proof"], epoch=early).exit_code == ExitCode.ERR_FORBIDDEN


def test_prove_commit_with_a_wrong_proof_is_refused(
    tree: StateTree, owner: Sender, miner: Address, caplog: pytest.LogCaptureFixture
) -> None:
    assert owner.send(miner, 6, precommit()).exit_code == ExitCode.OK
    before = snapshot(tree, miner)
    with caplog.at_level(logging.INFO):
        receipt = owner.send(miner, 7, [1, b"not a proof"], epoch=EPOCH + PRE_COMMIT_CHALLENGE_DELAY + 1)
    assert receipt.exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT
    assert "invalid seal proof for sector '1'" in caplog.text
    assert snapshot(tree, miner) == before
    assert PowerState.load(tree).claims[miner.id()] == (0, 0)


# -- deadlines ---------------------------------------------------------------------------------------


def test_proving_deadline_follows_the_offset() -> None:
    offset = proving_period_offset(Address.new_id(1000), 0)
    assert 0 <= offset < WPOST_PROVING_PERIOD
    info = deadline_info(offset, offset + 3 * WPOST_CHALLENGE_WINDOW + WPOST_CHALLENGE_WINDOW // 2)
    assert info["PeriodStart"] == offset and info["Index"] == 3
    assert info["Open"] == offset + 3 * WPOST_CHALLENGE_WINDOW
    assert info["Close"] == info["Open"] + WPOST_CHALLENGE_WINDOW  # type: ignore[operator]
    assert info["Challenge"] == info["Open"] - 20  # type: ignore[operator]
    assert info["WPoStPeriodDeadlines"] == 48
    before = deadline_info(offset, offset - 1)
    assert before["PeriodStart"] == offset - WPOST_PROVING_PERIOD and before["Index"] == 47


# -- a real sector, and genesis ----------------------------------------------------------------------

SIZE = 2048
RAND_EPOCH = EPOCH - 50


def _seal(root: Path, miner_id: int, number: int, ticket: bytes, seed: bytes) -> tuple[SectorCids, bytes]:
    paths = SectorPaths(root / "unsealed", root / "sealed", root / "cache")
    pieces = [add_piece(paths.unsealed, [], UnpaddedPieceSize(SIZE - SIZE // 128), None, SIZE)]
    pc1 = seal_pre_commit1(PROOF, paths, miner_id, number, ticket, pieces, parent_cache_dir=root / "parents")
    cids = seal_pre_commit2(PROOF, paths, pc1)
    return cids, seal_commit2(seal_commit1(PROOF, paths, miner_id, number, ticket, seed, pieces, cids))


def _seal_for_chain(root: Path, owner: Sender, miner: Address) -> tuple[SectorCids, bytes, int]:
    """Seal sector 3 with the chain's ticket and seed, pre-commit it; returns CIDs, proof, prove epoch."""
    miner_id = miner.id()
    ticket = chain(EPOCH).randomness.from_tickets(
        DomainSeparationTag.SEAL_RANDOMNESS, RAND_EPOCH, seal_entropy(miner_id)
    )
    prove_at = interactive_epoch(EPOCH) + 1
    seed = chain(prove_at).randomness.from_beacon(
        DomainSeparationTag.INTERACTIVE_SEAL_CHALLENGE_SEED, interactive_epoch(EPOCH), seal_entropy(miner_id)
    )
    cids, proof = _seal(root, miner_id, 3, ticket, seed)
    assert owner.send(miner, 6, precommit(3, sealed=cids.sealed, rand=RAND_EPOCH)).exit_code == ExitCode.OK
    return cids, proof, prove_at


def test_a_real_sector_is_proven_and_gets_power(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, owner: Sender, miner: Address
) -> None:
    monkeypatch.setenv("PYLOTUS_PARENT_CACHE", str(tmp_path / "parents"))
    cids, proof, prove_at = _seal_for_chain(tmp_path, owner, miner)
    assert cids.unsealed == zero_piece_cid(SIZE)

    wrong = bytearray(proof)
    wrong[-1] ^= 1
    before = snapshot(owner.tree, miner)
    assert owner.send(miner, 7, [3, bytes(wrong)], epoch=prove_at).exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT
    assert snapshot(owner.tree, miner) == before
    assert owner.send(miner, 7, [3, proof], epoch=prove_at).exit_code == ExitCode.OK

    state = MinerState.from_head(owner.tree.actors[miner.id()].head)
    assert not state.precommits and state.sectors[3].activation == prove_at
    assert state.sectors[3].initial_pledge == initial_pledge(SIZE)
    power = miner_power_json(owner.tree, miner)
    assert power["MinerPower"] == {"RawBytePower": "2048", "QualityAdjPower": "2048"}
    assert power["TotalPower"] == {"RawBytePower": "2048", "QualityAdjPower": "2048"}
    assert power["HasMinPower"] is True
    # once active, the sector is no longer pre-committed: a second ProveCommit finds nothing
    assert owner.send(miner, 7, [3, proof], epoch=prove_at + 1).exit_code == ExitCode.ERR_NOT_FOUND


def test_window_post_accepted_and_wrong_ones_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, owner: Sender, miner: Address
) -> None:
    monkeypatch.setenv("PYLOTUS_PARENT_CACHE", str(tmp_path / "parents"))
    cids, proof, prove_at = _seal_for_chain(tmp_path, owner, miner)
    assert owner.send(miner, 7, [3, proof], epoch=prove_at).exit_code == ExitCode.OK
    state = miner_state(owner.tree, miner)
    (deadline,) = [d for d, parts in state.deadlines.items() if [3] in parts]
    offset = state.proving_period_offset
    epoch = period_start(offset, prove_at) + deadline * WPOST_CHALLENGE_WINDOW + WPOST_CHALLENGE_WINDOW // 2
    epoch += WPOST_PROVING_PERIOD if epoch <= prove_at else 0
    info: Any = deadline_info(offset, epoch)
    assert info["Index"] == deadline
    rand = chain(epoch).randomness
    entropy = seal_entropy(miner.id())
    challenge = rand.from_beacon(DomainSeparationTag.WINDOWED_POST_CHALLENGE_SEED, info["Challenge"], entropy)
    sector = PrivateSectorInfo(SectorInfo(PROOF, 3, cids.sealed), tmp_path / "cache", tmp_path / "sealed")
    proofs, skipped = generate_window_post(POST, miner.id(), [sector], challenge)
    assert skipped == []
    commit = rand.from_tickets(DomainSeparationTag.POST_CHAIN_COMMIT, epoch - 1, b"")

    def submit(index: int, data: bytes, commit_rand: bytes = commit) -> ExitCode:
        params = [index, [[0, []]], [[int(POST), data]], epoch - 1, commit_rand]
        return owner.send(miner, 5, params, epoch=epoch).exit_code

    wrong = bytearray(proofs[0].proof_bytes)
    wrong[-1] ^= 1
    before = snapshot(owner.tree, miner)
    assert submit(deadline, bytes(wrong)) == ExitCode.ERR_ILLEGAL_ARGUMENT
    assert submit((deadline + 1) % 48, proofs[0].proof_bytes) == ExitCode.ERR_ILLEGAL_ARGUMENT
    assert submit(deadline, proofs[0].proof_bytes, bytes(32)) == ExitCode.ERR_ILLEGAL_ARGUMENT
    assert snapshot(owner.tree, miner) == before
    assert submit(deadline, proofs[0].proof_bytes) == ExitCode.OK
    assert miner_state(owner.tree, miner).proven[deadline] == (info["PeriodStart"], {0})
    assert submit(deadline, proofs[0].proof_bytes) == ExitCode.ERR_ILLEGAL_ARGUMENT  # already proven


def test_create_miner_then_power_is_zero(owner: Sender) -> None:
    receipt = owner.send(Address.new_id(POWER_ID), 2, create_params(owner.address, owner.address))
    assert receipt.exit_code == ExitCode.OK
    assert PowerState.load(owner.tree).total_raw == 0


def test_genesis_miner_with_pre_seals_has_power_at_height_zero() -> None:
    owner = key_address(new_secp256k1_key())
    client = key_address(new_secp256k1_key())
    t01000 = Address.new_id(FIRST_MINER_ID)
    sectors = tuple(
        PreSeal(
            comm_r=commr_to_cid(bytes([n]) * 32),
            comm_d=zero_piece_cid(SIZE),
            sector_id=n,
            deal=DealProposal(zero_piece_cid(SIZE), SIZE, client, t01000, "", 0, 1_000_000),
            proof_type=PROOF,
        )
        for n in (0, 1)
    )
    peer = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"
    miner = Miner(t01000, owner, owner, peer, SIZE, sectors)
    template = add_miners(new_template("test"), {t01000: miner})
    genesis = make_genesis(template, wallet=None, now=0)  # type: ignore[arg-type]
    tree = genesis.state
    power = miner_power_json(tree, t01000)
    assert power["MinerPower"]["RawBytePower"] == "4096"  # type: ignore[index]
    assert power["HasMinPower"] is True
    state = MinerState.from_head(tree.actors[FIRST_MINER_ID].head)
    assert sorted(state.sectors) == [0, 1] and state.sectors[1].activation == 0
    assert state.info.owner == tree.lookup_id(owner) and state.info.to_json()["PeerId"] == peer
    assert state.pledges() == TokenAmount(0)
