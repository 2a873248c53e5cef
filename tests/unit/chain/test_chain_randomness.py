"""Randomness drawn as Lotus draws it, and the miner/power/randomness FullNode API over a real node.

``draw_randomness`` is checked against the formula of Lotus ``chain/rand.DrawRandomnessFromBase``
written out with hashlib; the tickets are the ones the node's block JSON already shows.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pylotus.abi import Address, RegisteredSealProof, commr_to_cid
from pylotus.chain.api import FullNodeApi, _bitfield, _runs
from pylotus.chain.crypto import key_address, new_secp256k1_key
from pylotus.chain.errors import ActorNotFound, InvalidMessage, RandomnessUnavailable, SectorNotFound
from pylotus.chain.genesis_template import DealProposal, Miner, PreSeal, add_miners, new_template
from pylotus.chain.node import ChainNode
from pylotus.chain.policy import BLOCK_REWARD, initial_pledge, pre_commit_deposit
from pylotus.chain.randomness import (
    ChainRandomness,
    DomainSeparationTag,
    beacon_entry,
    draw_randomness,
    ticket_vrf_proof,
)
from pylotus.chain.wallet import Wallet
from pylotus.proofs import zero_piece_cid
from pylotus.repo import Datastore, Keystore

T01000 = Address.new_id(1000)
PEER = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"


def _b2(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


def test_draw_is_lotus_draw_randomness_from_base() -> None:
    rbase, entropy = b"\x01" * 32, b"entropy"
    expected = _b2((5).to_bytes(8, "big") + _b2(rbase) + (1234).to_bytes(8, "big") + entropy)
    assert draw_randomness(rbase, DomainSeparationTag.SEAL_RANDOMNESS, 1234, entropy) == expected


def test_domain_separation_tags_are_lotus_numbers() -> None:
    assert [int(t) for t in DomainSeparationTag][:6] == [1, 2, 3, 4, 5, 6]
    assert DomainSeparationTag.INTERACTIVE_SEAL_CHALLENGE_SEED == 6


def test_beacon_and_tickets_are_deterministic_and_future_rounds_refused() -> None:
    ticket7 = bytes([7]) * 32
    assert beacon_entry(7, ticket7) == _b2(b"pylotus devnet beacon" + (7).to_bytes(8, "big") + ticket7)
    rand = ChainRandomness(10, lambda e: bytes([e]) * 32)
    assert rand.from_tickets(4, 10, b"") == draw_randomness(bytes([10]) * 32, 4, 10, b"")
    assert rand.from_beacon(6, -3, b"x") == draw_randomness(beacon_entry(0, bytes(32)), 6, -3, b"x")
    # The beacon follows the chain: another chain with the same heights draws other seeds.
    other = ChainRandomness(10, lambda e: bytes([e + 1]) * 32)
    assert other.from_beacon(6, 5, b"") != rand.from_beacon(6, 5, b"")
    assert rand.from_tickets(5, 3, b"a") != rand.from_tickets(5, 3, b"b")
    with pytest.raises(RandomnessUnavailable, match="round '11' is above the head '10'"):
        rand.from_beacon(6, 11, b"")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[ChainNode]:
    path = tmp_path / "keystore"
    path.mkdir(mode=0o700)
    owner = key_address(new_secp256k1_key())
    preseal = PreSeal(
        comm_r=commr_to_cid(bytes(32)),
        comm_d=zero_piece_cid(2048),
        sector_id=0,
        deal=DealProposal(zero_piece_cid(2048), 2048, owner, T01000, "", 0, 600_000),
        proof_type=RegisteredSealProof.STACKED_DRG_2KIB_V1_1,
    )
    miner = Miner(T01000, owner, owner, PEER, 2048, (preseal,))
    template = add_miners(new_template("pylotus-test"), {T01000: miner})
    with Datastore(tmp_path / "ds") as ds:
        node = ChainNode.open(ds, Wallet(Keystore(path)), template)
        for now in (1, 2, 3):
            node.produce(now)
        yield node


async def test_randomness_api_draws_from_the_chain_tickets(node: ChainNode) -> None:
    api = FullNodeApi(node)
    block = node.tipset_at(2).block
    ticket = ticket_vrf_proof(block.parents[0], 2)
    assert base64.b64decode(block.to_json()["Ticket"]["VRFProof"]) == ticket  # type: ignore[index]
    got = await api.chain_get_randomness_from_tickets(None, 5, 2, b"e")
    assert got == draw_randomness(ticket, 5, 2, b"e")
    ticket3 = ticket_vrf_proof(node.tipset_at(3).block.parents[0], 3)
    assert await api.chain_get_randomness_from_beacon(None, 6, 3, b"") == draw_randomness(
        beacon_entry(3, ticket3), 6, 3, b""
    )
    with pytest.raises(RandomnessUnavailable):
        await api.chain_get_randomness_from_tickets(None, 5, 4, b"")


async def test_miner_api_of_a_genesis_miner(node: ChainNode) -> None:
    api = FullNodeApi(node)
    info = await api.state_miner_info(T01000, None)
    assert info["PeerId"] == PEER and info["SectorSize"] == 2048  # type: ignore[index]
    power = await api.state_miner_power(T01000, None)
    assert power["MinerPower"] == {"RawBytePower": "2048", "QualityAdjPower": "2048"}  # type: ignore[index]
    sectors = await api.state_miner_sectors(T01000, None, None)
    assert [s["SectorNumber"] for s in sectors] == [0]  # type: ignore[index,union-attr]
    assert await api.state_miner_sectors(T01000, [1, 1], None) == []
    assert await api.state_miner_active_sectors(T01000, None) == sectors
    assert (await api.state_sector_get_info(T01000, 0, None))["Expiration"] == 600_000  # type: ignore[index]
    assert await api.state_sector_get_info(T01000, 9, None) is None
    with pytest.raises(SectorNotFound, match="sector '9'"):
        await api.state_sector_pre_commit_info(T01000, 9, None)
    spec = {"SealProof": 5}
    assert (
        await api.state_miner_pre_commit_deposit_for_power(T01000, spec, None)
        == pre_commit_deposit(2048).atto
    )
    assert await api.state_miner_initial_pledge_collateral(T01000, spec, None) == initial_pledge(2048).atto
    with pytest.raises(InvalidMessage, match="SealProof"):
        await api.state_miner_initial_pledge_collateral(T01000, {}, None)
    # the only miner with power made blocks 1 to 3, each paying it the block reward
    assert await api.state_miner_available_balance(T01000, None) == 3 * BLOCK_REWARD.atto
    deadline = await api.state_miner_proving_deadline(T01000, None)
    assert deadline["CurrentEpoch"] == 3 and 0 <= deadline["Index"] < 48  # type: ignore[index,operator]
    deadlines = await api.state_miner_deadlines(T01000, None)
    assert len(deadlines) == 48 and deadlines[0] == {  # type: ignore[arg-type,index]
        "PostSubmissions": [0],
        "DisputableProofCount": 0,
        "DailyFee": "0",
    }
    with pytest.raises(ActorNotFound):
        await api.state_miner_info(Address.new_id(1001), None)
    with pytest.raises(ActorNotFound, match="not a miner"):
        await api.state_miner_power(Address.new_id(4), None)


@pytest.mark.parametrize("members", [set(), {0}, {1, 2, 5}, {0, 1, 2, 7}])
def test_bitfield_runs_round_trip(members: set[int]) -> None:
    contains = _bitfield(_runs(members))
    assert {n for n in range(10) if contains(n)} == members


def test_a_huge_sector_filter_is_answered_at_once() -> None:
    wanted = _bitfield([0, 2**62])
    assert wanted(0) and wanted(2**62 - 1) and not wanted(2**62)
    sparse = _bitfield([3, 2, 10, 1])  # {3, 4, 15}
    assert [n for n in range(20) if sparse(n)] == [3, 4, 15]
