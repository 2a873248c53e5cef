"""Deadline cron: missed Window PoSts fault sectors, declared faults and recoveries, a PoSt that
recovers, expired pre-commits burnt; and the partition/fault API shapes over a real node.

The recovery path uses a real 2KiB sector sealed in the test and a real Window PoSt over it, as in
test_chain_actors.py; the actors verify both.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chain_rig import apply_signed, chain_at

from pylotus.abi import (
    Address,
    RegisteredPoStProof,
    RegisteredSealProof,
    UnpaddedPieceSize,
    commr_to_cid,
)
from pylotus.chain import dagcbor
from pylotus.chain.actor_miner import activate_sector, interactive_epoch, seal_entropy
from pylotus.chain.actor_power import POWER_ID, PowerState, miner_power_json, power_actor
from pylotus.chain.api import FullNodeApi
from pylotus.chain.bigint import TokenAmount
from pylotus.chain.bitfield import decode_rle, encode_rle, json_runs
from pylotus.chain.cron import run_cron
from pylotus.chain.crypto import key_address, new_secp256k1_key
from pylotus.chain.errors import InvalidCbor, TipSetNotFound
from pylotus.chain.exitcode import ExitCode
from pylotus.chain.genesis_template import DealProposal, Miner, PreSeal, add_miners, new_template
from pylotus.chain.miner_state import (
    MinerState,
    SectorOnChain,
    deadline_closes_at,
    deadline_info,
    period_start,
)
from pylotus.chain.node import ChainNode
from pylotus.chain.policy import (
    EPOCHS_IN_DAY,
    EXPIRED_PRE_COMMIT_CLEAN_UP_DELAY,
    FAULT_DECLARATION_CUTOFF,
    MAX_PROVE_COMMIT_DURATION,
    MIN_SECTOR_EXPIRATION,
    WPOST_CHALLENGE_WINDOW,
    WPOST_PROVING_PERIOD,
    pre_commit_deposit,
)
from pylotus.chain.randomness import DomainSeparationTag
from pylotus.chain.state import ACCOUNT_CODE, BURNT_FUNDS_ID, EMPTY_HEAD, Actor, StateTree
from pylotus.chain.types_receipt import MessageReceipt
from pylotus.chain.vm import ChainContext
from pylotus.chain.wallet import Wallet
from pylotus.proofs import (
    PrivateSectorInfo,
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
from pylotus.repo import Datastore, KeyInfo, Keystore, ensure_host_key, peer_id_text

PROOF = RegisteredSealProof.STACKED_DRG_2KIB_V1_1
POST = RegisteredPoStProof.STACKED_DRG_WINDOW_2KIB_V1_1
EPOCH = 5000
SIZE = 2048
T01000 = Address.new_id(1000)
PEER = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"


def ticket_at(epoch: int) -> bytes:
    return hashlib.blake2b(b"cron chain" + epoch.to_bytes(8, "big"), digest_size=32).digest()


def chain(epoch: int) -> ChainContext:
    return chain_at(epoch, ticket_at)


class Sender:
    def __init__(self, tree: StateTree, key: KeyInfo) -> None:
        self.tree, self.key, self.nonce = tree, key, 0

    @property
    def address(self) -> Address:
        return key_address(self.key)

    def send(
        self, to: Address, method: int, params: dagcbor.IpldValue, epoch: int, value: int = 0
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
def owner() -> Sender:
    tree = StateTree()
    tree.actors[BURNT_FUNDS_ID] = Actor(ACCOUNT_CODE, EMPTY_HEAD, 0, TokenAmount(0))
    tree.actors[POWER_ID] = power_actor()
    sender = Sender(tree, new_secp256k1_key())
    tree.create_account(sender.address, TokenAmount.from_fil(100))
    return sender


@pytest.fixture
def miner(owner: Sender) -> Address:
    a = owner.address.to_bytes()
    receipt = owner.send(Address.new_id(POWER_ID), 2, [a, a, int(POST), b"\x00\x24p", []], EPOCH, 10**18)
    assert receipt.exit_code == ExitCode.OK
    return Address.from_bytes(dagcbor.decode(receipt.return_value)[0])  # type: ignore[index]


def state_of(tree: StateTree, miner: Address) -> MinerState:
    return MinerState.from_head(tree.actors[miner.id()].head)


def raw_power(tree: StateTree, miner: Address) -> int:
    return PowerState.load(tree).claims[miner.id()][0]


def precommit_params(number: int, sealed: Any, rand: int) -> list[dagcbor.IpldValue]:
    expiration = EPOCH + 60 * EPOCHS_IN_DAY + MIN_SECTOR_EXPIRATION
    return [int(PROOF), number, sealed, rand, [], expiration, False, 0, 0, 0]


def last_epoch_of(state: MinerState, deadline: int, after: int) -> int:
    """The last epoch of the first instance of ``deadline`` that opens after ``after``."""
    open_ = period_start(state.proving_period_offset, after) + deadline * WPOST_CHALLENGE_WINDOW
    while open_ <= after:
        open_ += WPOST_PROVING_PERIOD
    return open_ + WPOST_CHALLENGE_WINDOW - 1


def declaration(deadline: int, partition: int, sectors: set[int]) -> list[dagcbor.IpldValue]:
    return [[[deadline, partition, encode_rle(sectors)]]]


# -- RLE+ ----------------------------------------------------------------------------------------------


def test_rle_plus_matches_the_spec_vectors_and_round_trips() -> None:
    # fvm_ipld_bitfield's rleplus vectors: 8 set bits, then 25 set bits (LSB-first bit streams)
    assert encode_rle(range(8)) == bytes([0b0001_0100, 0b0000_0001])
    assert encode_rle(range(25)) == bytes([0b0010_0100, 0b0000_0011])
    for members in (set(), {0}, {3, 4, 15}, {1, 2, 3, 100, 101, 4000}):
        assert decode_rle(encode_rle(members), limit=10_000) == members
    assert json_runs({3, 4, 15}) == [3, 2, 10, 1] and json_runs({0}) == [0, 1] and json_runs(()) == [0]
    with pytest.raises(InvalidCbor, match="more than 10"):
        decode_rle(encode_rle(range(11)), limit=10)


# -- expired pre-commits -------------------------------------------------------------------------------


def test_an_expired_pre_commit_is_removed_and_its_deposit_burnt(owner: Sender, miner: Address) -> None:
    tree = owner.tree
    assert (
        owner.send(miner, 6, precommit_params(1, commr_to_cid(bytes(32)), EPOCH - 10), EPOCH).exit_code == 0
    )
    deposit = pre_commit_deposit(SIZE)
    offset = state_of(tree, miner).proving_period_offset
    due = EPOCH + MAX_PROVE_COMMIT_DURATION + EXPIRED_PRE_COMMIT_CLEAN_UP_DELAY
    before_due = next(e for e in range(due - 1, 0, -1) if deadline_closes_at(offset, e))
    balance, burnt = tree.actors[miner.id()].balance, tree.actors[BURNT_FUNDS_ID].balance
    run_cron(tree, before_due)
    assert 1 in state_of(tree, miner).precommits  # still within its clean-up delay
    at_due = next(e for e in range(due, due + WPOST_CHALLENGE_WINDOW) if deadline_closes_at(offset, e))
    run_cron(tree, at_due)
    state = state_of(tree, miner)
    assert state.precommits == {} and 1 in state.allocated  # the number stays used, as builtin-actors
    assert tree.actors[miner.id()].balance == balance - deposit
    assert tree.actors[BURNT_FUNDS_ID].balance == burnt + deposit
    assert state.available(tree.actors[miner.id()].balance) == balance - deposit


# -- a real sector: missed PoSt, recovery declared, PoSt recovers -------------------------------------


def _seal(root: Path, miner_id: int, number: int, ticket: bytes, seed: bytes) -> tuple[Any, bytes]:
    paths = SectorPaths(root / "unsealed", root / "sealed", root / "cache")
    pieces = [add_piece(paths.unsealed, [], UnpaddedPieceSize(SIZE - SIZE // 128), None, SIZE)]
    pc1 = seal_pre_commit1(PROOF, paths, miner_id, number, ticket, pieces, parent_cache_dir=root / "parents")
    cids = seal_pre_commit2(PROOF, paths, pc1)
    return cids, seal_commit2(seal_commit1(PROOF, paths, miner_id, number, ticket, seed, pieces, cids))


def _proven_sector(root: Path, owner: Sender, miner: Address) -> tuple[Any, int]:
    """Seal, pre-commit and prove sector 3; returns its CIDs and the prove epoch."""
    rand_epoch, entropy = EPOCH - 50, seal_entropy(miner.id())
    ticket = chain(EPOCH).randomness.from_tickets(DomainSeparationTag.SEAL_RANDOMNESS, rand_epoch, entropy)
    prove_at = interactive_epoch(EPOCH) + 1
    seed = chain(prove_at).randomness.from_beacon(
        DomainSeparationTag.INTERACTIVE_SEAL_CHALLENGE_SEED, interactive_epoch(EPOCH), entropy
    )
    cids, proof = _seal(root, miner.id(), 3, ticket, seed)
    assert owner.send(miner, 6, precommit_params(3, cids.sealed, rand_epoch), EPOCH).exit_code == 0
    assert owner.send(miner, 7, [3, proof], prove_at).exit_code == 0
    return cids, prove_at


def _submit_post(root: Path, owner: Sender, miner: Address, cids: Any, deadline: int, epoch: int) -> ExitCode:
    info: Any = deadline_info(state_of(owner.tree, miner).proving_period_offset, epoch)
    assert info["Index"] == deadline
    rand = chain(epoch).randomness
    challenge = rand.from_beacon(
        DomainSeparationTag.WINDOWED_POST_CHALLENGE_SEED, info["Challenge"], seal_entropy(miner.id())
    )
    sector = PrivateSectorInfo(SectorInfo(PROOF, 3, cids.sealed), root / "cache", root / "sealed")
    proofs, skipped = generate_window_post(POST, miner.id(), [sector], challenge)
    assert skipped == []
    commit = rand.from_tickets(DomainSeparationTag.POST_CHAIN_COMMIT, epoch - 1, b"")
    params = [deadline, [[0, b""]], [[int(POST), proofs[0].proof_bytes]], epoch - 1, commit]
    return owner.send(miner, 5, params, epoch).exit_code


def test_missed_post_faults_then_declared_recovery_and_a_post_restore_power(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, owner: Sender, miner: Address
) -> None:
    monkeypatch.setenv("PYLOTUS_PARENT_CACHE", str(tmp_path / "parents"))
    tree = owner.tree
    cids, prove_at = _proven_sector(tmp_path, owner, miner)
    state = state_of(tree, miner)
    (deadline,) = [d for d, parts in state.deadlines.items() if [3] in parts]
    assert raw_power(tree, miner) == SIZE

    # 1. the deadline closes with no PoSt: the sector is faulty and its power gone, network's too
    close = last_epoch_of(state, deadline, prove_at)
    run_cron(tree, close - 1)  # not the deadline's last epoch: nothing happens
    assert state_of(tree, miner).faults == set()
    run_cron(tree, close)
    assert state_of(tree, miner).faults == {3}
    power = miner_power_json(tree, miner)
    assert power["MinerPower"] == {"RawBytePower": "0", "QualityAdjPower": "0"}
    assert power["TotalPower"] == {"RawBytePower": "0", "QualityAdjPower": "0"}
    assert power["HasMinPower"] is False
    # a PoSt over only faulty, undeclared sectors proves nothing and is refused
    next_open = close + 1 + WPOST_PROVING_PERIOD - WPOST_CHALLENGE_WINDOW
    assert (
        _submit_post(tmp_path, owner, miner, cids, deadline, next_open + 2) == ExitCode.ERR_ILLEGAL_ARGUMENT
    )

    # 2. a recovery declared too late for the next instance is refused; in time, it is recorded
    late = next_open - FAULT_DECLARATION_CUTOFF
    assert (
        owner.send(miner, 11, declaration(deadline, 0, {3}), late).exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT
    )
    assert (
        owner.send(miner, 11, declaration(deadline, 0, {4}), close + 1).exit_code
        == ExitCode.ERR_ILLEGAL_ARGUMENT
    )
    assert owner.send(miner, 11, declaration(deadline, 0, {3}), late - 1).exit_code == ExitCode.OK
    state = state_of(tree, miner)
    assert state.recoveries == {3} and state.faults == {3} and raw_power(tree, miner) == 0

    # 3. the next PoSt proves it: recovered, power back; its deadline's cron then leaves it alone
    assert _submit_post(tmp_path, owner, miner, cids, deadline, next_open + 2) == ExitCode.OK
    state = state_of(tree, miner)
    assert state.faults == set() and state.recoveries == set() and raw_power(tree, miner) == SIZE
    run_cron(tree, close + WPOST_PROVING_PERIOD)
    assert state_of(tree, miner).faults == set() and raw_power(tree, miner) == SIZE
    # ... and the period after, unproven again, it is faulty again
    run_cron(tree, close + 2 * WPOST_PROVING_PERIOD)
    assert state_of(tree, miner).faults == {3} and raw_power(tree, miner) == 0


def test_declared_faults_lose_power_at_once_and_withdraw_recoveries(owner: Sender, miner: Address) -> None:
    tree = owner.tree
    for n in (5, 6):  # two sectors placed by hand, with their power, as genesis places pre-seals
        sealed = commr_to_cid(bytes([n]) * 32)
        sector = SectorOnChain(n, PROOF, sealed, (), EPOCH, EPOCH + 10**6, TokenAmount(0))
        activate_sector(tree, miner.id(), state_of(tree, miner), sector)
    state = state_of(tree, miner)
    where = {n: (d, p) for d, parts in state.deadlines.items() for p, ns in enumerate(parts) for n in ns}
    early = min(last_epoch_of(state, d, EPOCH) for d, _ in where.values()) - 80  # before both cutoffs

    def declare(method: int, sectors: set[int], epoch: int = early) -> ExitCode:
        params = [[[*where[n], encode_rle({n})] for n in sorted(sectors)]]
        return owner.send(miner, method, params, epoch).exit_code

    assert raw_power(tree, miner) == 2 * SIZE
    assert declare(10, {5}) == ExitCode.OK
    assert state_of(tree, miner).faults == {5} and raw_power(tree, miner) == SIZE
    assert declare(11, {5, 6}) == ExitCode.OK
    assert state_of(tree, miner).recoveries == {5}  # 6 is not faulty: nothing to recover
    assert declare(10, {5, 6}) == ExitCode.OK
    state = state_of(tree, miner)
    assert state.faults == {5, 6} and state.recoveries == set() and raw_power(tree, miner) == 0
    stranger = Sender(tree, new_secp256k1_key())
    tree.create_account(stranger.address, TokenAmount.from_fil(1))
    params = [[[*where[5], encode_rle({5})]]]
    assert stranger.send(miner, 11, params, early).exit_code == ExitCode.ERR_FORBIDDEN
    assert owner.send(miner, 11, [[[*where[5], b"\xff"]]], early).exit_code == ExitCode.ERR_SERIALIZATION
    missing = [[[where[5][0], 9, encode_rle({5})]]]
    assert owner.send(miner, 11, missing, early).exit_code == ExitCode.ERR_NOT_FOUND


# -- a node: the genesis miner misses its deadline; the API shows it ----------------------------------


@pytest.fixture
def node(tmp_path: Path) -> Iterator[ChainNode]:
    path = tmp_path / "keystore"
    path.mkdir(mode=0o700)
    owner = key_address(new_secp256k1_key())
    sectors = tuple(
        PreSeal(
            comm_r=commr_to_cid(bytes([n + 1]) * 32),
            comm_d=zero_piece_cid(SIZE),
            sector_id=n,
            deal=DealProposal(zero_piece_cid(SIZE), SIZE, owner, T01000, "", 0, 600_000),
            proof_type=PROOF,
        )
        for n in (0,)
    )
    template = add_miners(
        new_template("pylotus-test"), {T01000: Miner(T01000, owner, owner, PEER, SIZE, sectors)}
    )
    with Datastore(tmp_path / "ds") as ds:
        yield ChainNode.open(ds, Wallet(Keystore(path)), template)


async def test_a_genesis_miner_that_misses_its_deadline_shows_faults_over_the_api(node: ChainNode) -> None:
    api = FullNodeApi(node)
    state = MinerState.from_head(node.state.actors[1000].head)
    (deadline,) = [d for d, parts in state.deadlines.items() if parts]
    close = last_epoch_of(state, deadline, 0)
    for now in range(1, close):
        node.produce(now)
    before = node.head.key()
    partitions = await api.state_miner_partitions(T01000, deadline, None)
    assert partitions == [
        {
            "AllSectors": [0, 1],
            "FaultySectors": [0],
            "RecoveringSectors": [0],
            "LiveSectors": [0, 1],
            "ActiveSectors": [0, 1],
        }
    ]
    node.produce(close)  # the deadline's last epoch: cron faults the sector
    partitions = await api.state_miner_partitions(T01000, deadline, None)
    assert partitions[0]["FaultySectors"] == [0, 1] and partitions[0]["ActiveSectors"] == [0]  # type: ignore[index]
    assert await api.state_miner_partitions(T01000, (deadline + 1) % 48, None) == []
    assert await api.state_miner_faults(T01000, None) == [0, 1]
    assert await api.state_miner_recoveries(T01000, None) == [0]
    assert await api.state_miner_active_sectors(T01000, None) == []
    power: Any = await api.state_miner_power(T01000, None)
    assert power["MinerPower"]["RawBytePower"] == "0" and power["HasMinPower"] is False
    # the same queries at the tipset before the fault read the state stored for it
    old: Any = await api.state_miner_power(T01000, [{"/": str(c)} for c in before])
    assert old["MinerPower"]["RawBytePower"] == str(SIZE)
    assert await api.state_miner_faults(T01000, [{"/": str(c)} for c in before]) == [0]
    with pytest.raises(TipSetNotFound, match="not found"):
        await api.state_miner_faults(T01000, [{"/": str(commr_to_cid(bytes(32)))}])
    deadlines: Any = await api.state_miner_deadlines(T01000, None)
    assert len(deadlines) == 48
    assert set(deadlines[0]) == {"PostSubmissions", "DisputableProofCount", "DailyFee"}
    # with no power left, nobody is elected: the next block is f00's
    assert node.produce(close + 1).block.miner == Address.new_id(0)


async def test_net_addrs_listen_names_the_repo_host_key(node: ChainNode, tmp_path: Path) -> None:
    peer = ensure_host_key(Keystore(tmp_path / "keystore"))
    answer: Any = await FullNodeApi(node, host_peer=peer).net_addrs_listen()
    assert answer == {"ID": peer_id_text(peer), "Addrs": []}
    assert answer["ID"].startswith("12D3KooW")
