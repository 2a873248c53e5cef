"""Block election and block rewards: a block's Miner is a miner with power, drawn by power, and its
balance (all of it available) grows by the block reward taken from f02."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from pylotus.abi import Address, RegisteredPoStProof, RegisteredSealProof, commr_to_cid
from pylotus.chain.actor_power import POWER_ID, PowerState, new_miner, power_actor
from pylotus.chain.actor_reward import (
    INITIAL_REWARD_BALANCE,
    REWARD_ID,
    award_block_reward,
    elect_miner,
    reward_actor,
)
from pylotus.chain.api import FullNodeApi
from pylotus.chain.bigint import TokenAmount
from pylotus.chain.crypto import key_address, new_secp256k1_key
from pylotus.chain.genesis_template import DealProposal, Miner, PreSeal, add_miners, new_template
from pylotus.chain.node import ChainNode
from pylotus.chain.policy import BLOCK_REWARD
from pylotus.chain.state import StateTree
from pylotus.chain.wallet import Wallet
from pylotus.proofs import zero_piece_cid
from pylotus.repo import Datastore, Keystore

POST = RegisteredPoStProof.STACKED_DRG_WINDOW_2KIB_V1_1
T01000 = Address.new_id(1000)


def _tree_with_claims(claims: dict[int, int]) -> StateTree:
    tree = StateTree()
    tree.actors[POWER_ID] = power_actor()
    for miner_id, raw in claims.items():
        new_miner(
            tree, owner=1, worker=1, post_proof=POST, peer_id=b"", multiaddrs=(), epoch=0, miner_id=miner_id
        )
        power = PowerState.load(tree)
        power.add(miner_id, raw, raw)
        power.store(tree)
    return tree


def _ticket(n: int) -> bytes:
    return hashlib.blake2b(n.to_bytes(8, "big"), digest_size=32).digest()


def test_no_power_elects_nobody() -> None:
    assert elect_miner(_tree_with_claims({1000: 0}), _ticket(1), 1) is None


def test_election_is_deterministic_and_weighted_by_raw_power() -> None:
    tree = _tree_with_claims({1000: 3 * 2048, 1001: 2048, 1002: 0})
    winners = [elect_miner(tree, _ticket(n), n) for n in range(1, 801)]
    assert winners == [elect_miner(tree, _ticket(n), n) for n in range(1, 801)]
    assert 1002 not in winners  # no power, no block
    share = winners.count(1000) / len(winners)
    assert 0.68 < share < 0.82, share  # 3/4 of the power


def test_award_moves_the_reward_from_f02_and_never_more_than_it_holds() -> None:
    tree = _tree_with_claims({1000: 2048})
    tree.actors[REWARD_ID] = reward_actor(TokenAmount.from_fil(30))
    assert award_block_reward(tree, 1000) == BLOCK_REWARD
    assert award_block_reward(tree, 1000) == TokenAmount.from_fil(10)
    assert award_block_reward(tree, 1000) == TokenAmount(0)
    assert tree.actors[1000].balance == TokenAmount.from_fil(30)
    assert tree.actors[REWARD_ID].balance == TokenAmount(0)


def _node(tmp_path: Path, template_miner: bool) -> tuple[Datastore, Wallet, object]:
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
    miner = Miner(T01000, owner, owner, "", 2048, (preseal,))
    template = add_miners(new_template("pylotus-test"), {T01000: miner}) if template_miner else None
    return Datastore(tmp_path / "ds"), Wallet(Keystore(path)), template


async def test_blocks_are_mined_by_the_miner_with_power_and_pay_it(tmp_path: Path) -> None:
    ds, wallet, template = _node(tmp_path, template_miner=True)
    with ds:
        node = ChainNode.open(ds, wallet, template)  # type: ignore[arg-type]
        api = FullNodeApi(node)
        start = node.state.actors[1000].balance
        available = await api.state_miner_available_balance(T01000, None)
        for now in (1, 2, 3):
            block = node.produce(now).block
            assert block.miner == T01000 and block.to_json()["Miner"] == "t01000"
        assert node.state.actors[1000].balance == start + BLOCK_REWARD * 3
        assert await api.state_miner_available_balance(T01000, None) == available + 3 * BLOCK_REWARD.atto
        assert node.state.actors[REWARD_ID].balance == INITIAL_REWARD_BALANCE - BLOCK_REWARD * 3
        # the state at block 1 shows the first reward only
        first = [{"/": str(c)} for c in node.tipset_at(1).key()]
        assert await api.state_miner_available_balance(T01000, first) == available + BLOCK_REWARD.atto


def test_without_miners_blocks_are_f00s_and_pay_nothing(tmp_path: Path) -> None:
    ds, wallet, _ = _node(tmp_path, template_miner=False)
    with ds:
        node = ChainNode.open(ds, wallet, None)
        assert node.produce(1).block.miner == Address.new_id(0)
        assert (
            REWARD_ID not in node.state.actors
            or node.state.actors[REWARD_ID].balance == INITIAL_REWARD_BALANCE
        )


@pytest.mark.parametrize("claims", [{1000: 2048}, {1000: 2048, 1001: 2048}])
def test_only_miners_with_power_are_ever_elected(claims: dict[int, int]) -> None:
    tree = _tree_with_claims({**claims, 1005: 0})
    assert {elect_miner(tree, _ticket(n), n) for n in range(200)} == set(claims)
