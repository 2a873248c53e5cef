"""The chain node over a real LevelDB datastore: genesis, blocks, persistence, message lookups."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
import trio

from pylotus.abi import Address, RegisteredPoStProof, RegisteredSealProof, commr_to_cid
from pylotus.chain import dagcbor
from pylotus.chain.actor_power import POWER_ID
from pylotus.chain.bigint import TokenAmount
from pylotus.chain.crypto import key_address, new_secp256k1_key
from pylotus.chain.errors import MessageRejected, TipSetNotFound
from pylotus.chain.genesis import DEFAULT_BALANCE
from pylotus.chain.genesis_template import Actor as GenesisActor
from pylotus.chain.genesis_template import new_template
from pylotus.chain.node import ChainNode
from pylotus.chain.node_cli import format_table, parse_duration
from pylotus.chain.policy import EPOCHS_IN_DAY, MIN_SECTOR_EXPIRATION
from pylotus.chain.types import Message
from pylotus.chain.wallet import Wallet
from pylotus.repo import Datastore, Keystore


@pytest.fixture
def wallet(tmp_path: Path) -> Wallet:
    path = tmp_path / "keystore"
    path.mkdir(mode=0o700)
    return Wallet(Keystore(path))


def test_default_genesis_funds_the_wallet_default_and_persists(tmp_path: Path, wallet: Wallet) -> None:
    with Datastore(tmp_path / "ds") as ds:
        node = ChainNode.open(ds, wallet, None)
        sender = wallet.default()
        assert node.state.balance(sender) == DEFAULT_BALANCE
        target = key_address(new_secp256k1_key())
        signed = node.push_message(
            Message(to=target, from_=sender, value=TokenAmount.from_fil(3)), TokenAmount(0)
        )
        assert node.mpool.pending() == [signed]
        node.produce(1)
        node.produce(2)
        assert node.head.height == 2 and node.mpool.pending() == []
        assert node.store.find_message(signed.cid()) == (1, 0)  # included at 1 ...
        lookup = node.search_message(signed.cid())
        # ... and, as Lotus reports it, executed by the tipset after: its receipts are there
        assert lookup is not None and lookup.tipset.height == 2 and lookup.receipt.exit_code == 0
        root, genesis_key = node.state.root(), node.tipset_at(0).key()
    with Datastore(tmp_path / "ds") as ds:
        again = ChainNode.open(ds, wallet, None)
        assert again.head.height == 2 and again.state.root() == root
        assert again.state.balance(target) == TokenAmount.from_fil(3)
        assert again.tipset_at(0).key() == genesis_key
        with pytest.raises(TipSetNotFound):
            again.tipset_at(3)


def test_tipset_keys_are_found_by_index_and_unknown_ones_refused_at_once(
    tmp_path: Path, wallet: Wallet
) -> None:
    with Datastore(tmp_path / "ds") as ds:
        node = ChainNode.open(ds, wallet, None)
        for height in range(1, 300):
            node.produce(height)
        key = node.tipset_at(17).key()
        assert node.tipset_by_key(key).height == 17
        unknown = [dagcbor.block_cid(b"no such block")]
        started = time.perf_counter()
        for _ in range(20):
            with pytest.raises(TipSetNotFound, match="not found"):
                node.tipset_by_key(unknown)
        assert time.perf_counter() - started < 0.5  # no walk of the 300 tipsets per call
        with pytest.raises(TipSetNotFound):
            node.tipset_by_key([*key, *key])  # a key of two blocks names no devnet tipset


def test_template_accounts_become_actors(tmp_path: Path, wallet: Wallet) -> None:
    owner = key_address(new_secp256k1_key())
    template = replace(new_template("pylotus-test"), accounts=(GenesisActor.account(owner, 7),))
    with Datastore(tmp_path / "ds") as ds:
        node = ChainNode.open(ds, wallet, template)
        assert node.state.balance(owner) == TokenAmount(7)
        assert wallet.list() == []  # a template's chain funds no node key


def test_push_message_without_funds_is_refused(tmp_path: Path, wallet: Wallet) -> None:
    with Datastore(tmp_path / "ds") as ds:
        node = ChainNode.open(ds, wallet, None)
        poor = wallet.new()
        with pytest.raises(MessageRejected, match="sender '.*' not found"):
            node.push_message(Message(to=poor, from_=poor, value=TokenAmount(1)), TokenAmount(0))
        assert node.mpool.pending() == []


async def test_wait_message_returns_after_the_block(tmp_path: Path, wallet: Wallet) -> None:
    with Datastore(tmp_path / "ds") as ds:
        node = ChainNode.open(ds, wallet, None)
        target = key_address(new_secp256k1_key())
        signed = node.push_message(
            Message(to=target, from_=wallet.default(), value=TokenAmount(5)), TokenAmount(0)
        )
        async with trio.open_nursery() as nursery:
            await nursery.start(node.run, 0.01)
            with trio.fail_after(5):
                lookup = await node.wait_message(signed.cid())
            nursery.cancel_scope.cancel()
        assert lookup.receipt.exit_code == 0 and lookup.tipset.height >= 1


def test_parse_duration_as_go() -> None:
    assert parse_duration("4s") == 4.0
    assert parse_duration("500ms") == 0.5
    assert parse_duration("1m30s") == 90.0
    assert parse_duration("0") == 0.0
    for bad in ("", "4", "1x", "s"):
        with pytest.raises(ValueError, match="time: invalid duration"):
            parse_duration(bad)


def test_table_layout() -> None:
    assert format_table([["Address", "Default"], ["t1abc", "X"]]) == "Address  Default\nt1abc    X\n"


def test_blocks_give_actors_their_epoch_and_randomness(tmp_path: Path, wallet: Wallet) -> None:
    # CreateMiner, then a PreCommitSector whose ticket epoch and expiration the miner actor checks
    # against the block's epoch and chain randomness: both must land with exit code 0.
    with Datastore(tmp_path / "ds") as ds:
        node = ChainNode.open(ds, wallet, None)
        me = wallet.default()
        post = int(RegisteredPoStProof.STACKED_DRG_WINDOW_2KIB_V1_1)
        create = [me.to_bytes(), me.to_bytes(), post, b"\x00\x24peer", []]
        signed = node.push_message(
            Message(
                to=Address.new_id(POWER_ID),
                from_=me,
                method=2,
                params=dagcbor.encode(create),
                value=TokenAmount.from_fil(10),
            ),
            TokenAmount(0),
        )
        node.produce(1)
        assert node.search_message(signed.cid()) is None  # included, not yet executed as Lotus sees it
        node.produce(2)
        lookup = node.search_message(signed.cid())
        assert lookup is not None and lookup.receipt.exit_code == 0, lookup
        miner = Address.from_bytes(dagcbor.decode(lookup.receipt.return_value)[0])  # type: ignore[index]
        sealed = commr_to_cid(bytes(range(32)))
        expiration = 3 + MIN_SECTOR_EXPIRATION + 60 * EPOCHS_IN_DAY
        params = [
            int(RegisteredSealProof.STACKED_DRG_2KIB_V1_1),
            1,
            sealed,
            1,
            [],
            expiration,
            False,
            0,
            0,
            0,
        ]
        signed = node.push_message(
            Message(to=miner, from_=me, method=6, params=dagcbor.encode(params)), TokenAmount(0)
        )
        node.produce(3)
        node.produce(4)
        lookup = node.search_message(signed.cid())
        assert lookup is not None and lookup.receipt.exit_code == 0, lookup


def test_the_block_after_a_restart_commits_to_the_heads_receipts(tmp_path: Path, wallet: Wallet) -> None:
    # An uninterrupted node puts the root of its head's receipts in the next header; a restarted one
    # must too, or headers would depend on when the daemon was restarted.
    from pylotus.chain.node import _root

    with Datastore(tmp_path / "ds") as ds:
        node = ChainNode.open(ds, wallet, None)
        target = key_address(new_secp256k1_key())
        node.push_message(Message(to=target, from_=wallet.default(), value=TokenAmount(5)), TokenAmount(0))
        node.produce(1)
        receipts_root = _root([r.to_cbor() for r in node.store.receipts(1)])
        assert receipts_root != _root([])
    with Datastore(tmp_path / "ds") as ds:
        after_restart = ChainNode.open(ds, wallet, None).produce(2)
    assert after_restart.block.parent_message_receipts == receipts_root
