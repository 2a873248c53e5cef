"""The storage market actor through the VM, the functions the miner actor calls, genesis deals, and the
market state API over a real node.

Every refusal is checked for its exit code *and* for leaving the market's head, the actors' balances
and the deal counter as they were; accepted calls are checked against the numbers builtin-actors
would produce (escrow, locked = price × duration + collateral, the RLE+ ValidDeals bitfield).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from chain_rig import apply_signed, chain_at
from multiformats import CID

from pylotus.abi import (
    Address,
    PaddedPieceSize,
    RegisteredPoStProof,
    RegisteredSealProof,
    commr_to_cid,
    piece_commitment_to_cid,
)
from pylotus.chain import dagcbor
from pylotus.chain.actor_market import (
    DEAL_MAX_DURATION,
    DEAL_MIN_DURATION,
    EX_DEAL_EXPIRED,
    activate_deals,
    verify_deals_for_activation,
)
from pylotus.chain.actor_power import POWER_ID, power_actor
from pylotus.chain.api_market import MARKET_STATE_TABLE, MarketStateApi
from pylotus.chain.bigint import TokenAmount
from pylotus.chain.crypto import key_address, new_secp256k1_key, sign
from pylotus.chain.errors import (
    ActorNotFound,
    InvalidCbor,
    InvalidGenesisFile,
    InvalidMessage,
    TipSetNotFound,
)
from pylotus.chain.exitcode import ExitCode
from pylotus.chain.genesis import make_genesis
from pylotus.chain.genesis_template import DealProposal as PreSealDeal
from pylotus.chain.genesis_template import Miner, PreSeal, add_miners, new_template
from pylotus.chain.market_state import (
    MARKET_ID,
    DealNotFound,
    DealProposal,
    DealState,
    MarketState,
    market_actor,
    market_deal_json,
)
from pylotus.chain.miner_state import MinerState
from pylotus.chain.node import ChainNode
from pylotus.chain.runtime import ActorExit
from pylotus.chain.state import ACCOUNT_CODE, BURNT_FUNDS_ID, EMPTY_HEAD, FIRST_MINER_ID, Actor, StateTree
from pylotus.chain.types_receipt import MessageReceipt
from pylotus.chain.vm import ChainContext
from pylotus.chain.wallet import Wallet
from pylotus.proofs import PieceInfo, generate_unsealed_cid, zero_piece_cid
from pylotus.repo import Datastore, KeyInfo, Keystore

FIL = TokenAmount.from_fil
POST = RegisteredPoStProof.STACKED_DRG_WINDOW_2KIB_V1_1
EPOCH = 5000
START = EPOCH + 100
END = START + DEAL_MIN_DURATION
PIECE = piece_commitment_to_cid(bytes(range(32)))
MARKET = Address.new_id(MARKET_ID)
NOTHING = TokenAmount(0)
ADD_BALANCE, WITHDRAW_BALANCE, PUBLISH_STORAGE_DEALS = 2, 3, 4


def chain(epoch: int) -> ChainContext:
    return chain_at(epoch, lambda e: hashlib.sha256(bytes(e)).digest())


class Sender:
    """An account that signs messages with increasing nonces."""

    def __init__(self, tree: StateTree) -> None:
        self.tree, self.key, self.nonce = tree, new_secp256k1_key(), 0
        self.id = tree.create_account(self.address, FIL(1000))

    @property
    def address(self) -> Address:
        return key_address(self.key)

    def send(
        self, to: Address, method: int, params: bytes, *, value: TokenAmount = NOTHING
    ) -> MessageReceipt:
        receipt = apply_signed(self.tree, self.key, self.nonce, to, method, params, value, chain(EPOCH))
        self.nonce += 1
        return receipt

    def balance(self) -> TokenAmount:
        return self.tree.actors[self.id].balance


@pytest.fixture
def tree() -> StateTree:
    tree = StateTree()
    tree.actors[BURNT_FUNDS_ID] = Actor(ACCOUNT_CODE, EMPTY_HEAD, 0, TokenAmount(0))
    tree.actors[POWER_ID] = power_actor()
    tree.actors[MARKET_ID] = market_actor()
    return tree


@pytest.fixture
def owner(tree: StateTree) -> Sender:
    return Sender(tree)


@pytest.fixture
def worker(tree: StateTree) -> Sender:
    return Sender(tree)


@pytest.fixture
def client(tree: StateTree) -> Sender:
    return Sender(tree)


def create_miner(owner: Sender, worker: Sender) -> Address:
    params: list[dagcbor.IpldValue] = [
        owner.address.to_bytes(),
        worker.address.to_bytes(),
        int(POST),
        b"peer",
        [],
    ]
    receipt = owner.send(Address.new_id(POWER_ID), 2, dagcbor.encode(params))
    assert receipt.exit_code == ExitCode.OK
    id_raw, _ = returned(receipt)
    return Address.from_bytes(id_raw)


@pytest.fixture
def miner(owner: Sender, worker: Sender) -> Address:
    return create_miner(owner, worker)


def returned(receipt: MessageReceipt) -> Any:
    """The decoded return value of a receipt (its shape is what the test asserts)."""
    return dagcbor.decode(receipt.return_value)


def add_balance(sender: Sender, whose: Address, amount: TokenAmount) -> MessageReceipt:
    return sender.send(MARKET, ADD_BALANCE, dagcbor.encode(whose.to_bytes()), value=amount)


def withdraw(sender: Sender, whose: Address, amount: int) -> MessageReceipt:
    params = dagcbor.encode([whose.to_bytes(), TokenAmount(amount).to_bytes()])
    return sender.send(MARKET, WITHDRAW_BALANCE, params)


def proposal(client: Sender, miner: Address, **changes: Any) -> DealProposal:
    fields: dict[str, Any] = {
        "piece_cid": PIECE,
        "piece_size": 1024,
        "verified_deal": False,
        "client": client.address,
        "provider": miner,
        "label": "deal",
        "start_epoch": START,
        "end_epoch": END,
        "storage_price_per_epoch": TokenAmount(10),
        "provider_collateral": TokenAmount(1000),
        "client_collateral": TokenAmount(500),
    }
    fields.update(changes)
    return DealProposal(**fields)


def signed(client: Sender, deal: DealProposal, key: KeyInfo | None = None) -> list[Any]:
    return [deal.to_ipld(), sign(key or client.key, deal.to_cbor()).to_bytes()]


def publish(sender: Sender, *deals: list[Any]) -> MessageReceipt:
    return sender.send(MARKET, PUBLISH_STORAGE_DEALS, dagcbor.encode([list(deals)]))


def market(tree: StateTree) -> MarketState:
    return MarketState.load(tree)


def snapshot(tree: StateTree) -> tuple[CID, TokenAmount]:
    """What a refused call must leave alone: the market's head (escrow, locks, deals) and balance."""
    return tree.actors[MARKET_ID].head, tree.actors[MARKET_ID].balance


@pytest.fixture
def funded(tree: StateTree, client: Sender, worker: Sender, miner: Address) -> None:
    assert add_balance(client, client.address, FIL(1)).exit_code == ExitCode.OK
    assert add_balance(worker, miner, FIL(1)).exit_code == ExitCode.OK


# -- AddBalance, WithdrawBalance ----------------------------------------------------------------------


def test_add_balance_escrows_the_value_under_the_address_id(
    tree: StateTree, client: Sender, worker: Sender, miner: Address
) -> None:
    before = client.balance()
    receipt = add_balance(client, client.address, FIL(5))
    assert receipt.exit_code == ExitCode.OK
    assert market(tree).balance(client.id) == (FIL(5), TokenAmount(0))
    assert tree.actors[MARKET_ID].balance == FIL(5)
    assert client.balance() == before - FIL(5) - TokenAmount(100 * receipt.gas_used)
    # A miner's escrow is held under the miner's ID, whoever pays it in (builtin-actors: any caller).
    assert add_balance(client, miner, FIL(2)).exit_code == ExitCode.OK
    assert add_balance(worker, miner, FIL(1)).exit_code == ExitCode.OK
    assert market(tree).balance(miner.id()) == (FIL(3), TokenAmount(0))
    assert tree.actors[MARKET_ID].balance == FIL(8)


def test_add_balance_refusals_change_nothing(tree: StateTree, client: Sender) -> None:
    before = snapshot(tree)
    balance = client.balance()
    stranger = key_address(new_secp256k1_key())
    zero = add_balance(client, client.address, FIL(0))
    unknown = add_balance(client, stranger, FIL(1))
    garbage = client.send(MARKET, ADD_BALANCE, dagcbor.encode([1, 2]), value=FIL(1))
    assert zero.exit_code == unknown.exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT
    assert garbage.exit_code == ExitCode.ERR_SERIALIZATION
    assert snapshot(tree) == before and market(tree).escrow == {}
    gas = sum(r.gas_used for r in (zero, unknown, garbage))
    assert client.balance() == balance - TokenAmount(100 * gas)  # gas only, the value went back


def test_withdraw_balance_pays_out_at_most_what_is_available(tree: StateTree, client: Sender) -> None:
    add_balance(client, client.address, FIL(5))
    before = client.balance()
    receipt = withdraw(client, client.address, FIL(2).atto)
    assert receipt.exit_code == ExitCode.OK
    assert TokenAmount.from_bytes(returned(receipt)) == FIL(2)
    assert client.balance() == before + FIL(2) - TokenAmount(100 * receipt.gas_used)
    assert market(tree).balance(client.id) == (FIL(3), TokenAmount(0))
    assert tree.actors[MARKET_ID].balance == FIL(3)
    # Asking for more than is available yields what is available, as builtin-actors.
    receipt = withdraw(client, client.address, FIL(10).atto)
    assert TokenAmount.from_bytes(returned(receipt)) == FIL(3)
    assert market(tree).balance(client.id) == (TokenAmount(0), TokenAmount(0))
    assert tree.actors[MARKET_ID].balance == TokenAmount(0)


def test_withdraw_never_touches_locked_funds(
    tree: StateTree, client: Sender, worker: Sender, miner: Address, funded: None
) -> None:
    deal = proposal(client, miner)
    assert publish(worker, signed(client, deal)).exit_code == ExitCode.OK
    locked = deal.client_balance_requirement()
    receipt = withdraw(client, client.address, FIL(1).atto)
    assert TokenAmount.from_bytes(returned(receipt)) == FIL(1) - locked
    assert market(tree).balance(client.id) == (locked, locked)
    again = withdraw(client, client.address, 1)
    assert again.exit_code == ExitCode.OK and returned(again) == b""  # zero withdrawn
    assert market(tree).balance(client.id) == (locked, locked)


def test_withdraw_refusals_change_nothing(
    tree: StateTree, client: Sender, owner: Sender, worker: Sender, miner: Address
) -> None:
    add_balance(client, client.address, FIL(5))
    add_balance(worker, miner, FIL(5))
    before = snapshot(tree)
    assert withdraw(worker, client.address, 1).exit_code == ExitCode.ERR_FORBIDDEN  # not the client
    assert withdraw(client, miner, 1).exit_code == ExitCode.ERR_FORBIDDEN  # not owner or worker
    assert withdraw(client, client.address, -1).exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT
    bad = client.send(MARKET, WITHDRAW_BALANCE, dagcbor.encode([client.address.to_bytes()]))
    assert bad.exit_code == ExitCode.ERR_SERIALIZATION
    assert snapshot(tree) == before


def test_miner_escrow_is_withdrawn_by_the_worker_to_the_owner(
    tree: StateTree, owner: Sender, worker: Sender, miner: Address
) -> None:
    add_balance(worker, miner, FIL(5))
    owner_before, worker_before = owner.balance(), worker.balance()
    receipt = withdraw(worker, miner, FIL(2).atto)
    assert receipt.exit_code == ExitCode.OK
    assert owner.balance() == owner_before + FIL(2)
    assert worker.balance() == worker_before - TokenAmount(100 * receipt.gas_used)
    assert market(tree).balance(miner.id()) == (FIL(3), TokenAmount(0))


# -- PublishStorageDeals ------------------------------------------------------------------------------


def test_publish_stores_the_deal_with_id_addresses_and_locks_funds(
    tree: StateTree, client: Sender, worker: Sender, miner: Address, funded: None
) -> None:
    deal = proposal(client, miner)
    receipt = publish(worker, signed(client, deal))
    assert receipt.exit_code == ExitCode.OK
    assert returned(receipt) == [[0], b"\x0c"]  # ValidDeals = {0}
    state = market(tree)
    stored = state.proposals[0]
    assert stored.client == Address.new_id(client.id) and stored.provider == miner
    assert stored.piece_cid == PIECE and stored.label == "deal" and stored.end_epoch == END
    assert 0 not in state.states and state.next_id == 1
    client_locked = TokenAmount(10 * DEAL_MIN_DURATION + 500)
    assert state.balance(client.id) == (FIL(1), client_locked)
    assert state.balance(miner.id()) == (FIL(1), TokenAmount(1000))


def test_publish_drops_invalid_deals_and_reports_the_valid_ones(
    tree: StateTree, client: Sender, worker: Sender, miner: Address, funded: None
) -> None:
    stranger = new_secp256k1_key()
    bad = signed(client, proposal(client, miner, label="forged"), key=stranger)
    good = signed(client, proposal(client, miner, label="good"))
    receipt = publish(worker, bad, good)
    assert receipt.exit_code == ExitCode.OK
    assert returned(receipt) == [[0], b"\x18"]  # ValidDeals = {1}
    assert [p.label for p in market(tree).proposals.values()] == ["good"]


def test_a_badly_signed_deal_alone_is_refused_with_no_change(
    tree: StateTree, client: Sender, worker: Sender, miner: Address, funded: None
) -> None:
    before = snapshot(tree)
    forged = signed(client, proposal(client, miner), key=new_secp256k1_key())
    assert publish(worker, forged).exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT
    tampered = signed(client, proposal(client, miner))
    tampered[0][6] = START + 1  # the client signed another start epoch
    assert publish(worker, tampered).exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT
    assert snapshot(tree) == before and market(tree).next_id == 0


def test_only_the_providers_worker_or_owner_may_publish(
    tree: StateTree, client: Sender, owner: Sender, worker: Sender, miner: Address, funded: None
) -> None:
    before = snapshot(tree)
    assert publish(client, signed(client, proposal(client, miner))).exit_code == ExitCode.ERR_FORBIDDEN
    assert snapshot(tree) == before
    assert publish(owner, signed(client, proposal(client, miner))).exit_code == ExitCode.OK


def test_publish_needs_escrow_for_every_deal_of_the_message(
    tree: StateTree, client: Sender, worker: Sender, miner: Address
) -> None:
    deal = proposal(client, miner)
    before = snapshot(tree)
    assert publish(worker, signed(client, deal)).exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT
    assert snapshot(tree) == before
    add_balance(client, client.address, deal.client_balance_requirement())  # enough for one deal
    assert publish(worker, signed(client, deal)).exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT  # provider
    add_balance(worker, miner, FIL(1))
    second = proposal(client, miner, label="second")
    receipt = publish(worker, signed(client, deal), signed(client, second))
    assert returned(receipt) == [[0], b"\x0c"]  # the second has no escrow left
    assert market(tree).balance(client.id) == (deal.client_balance_requirement(),) * 2


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"start_epoch": EPOCH - 1, "end_epoch": EPOCH - 1 + DEAL_MIN_DURATION}, "start passed"),
        ({"end_epoch": START}, "end not after start"),
        ({"end_epoch": START + DEAL_MIN_DURATION - 1}, "shorter than 180 days"),
        ({"end_epoch": START + DEAL_MAX_DURATION + 1}, "longer than 1278 days"),
        ({"piece_size": 1000}, "piece size not a power of two"),
        ({"piece_size": 64}, "piece size below 128"),
        ({"piece_cid": commr_to_cid(bytes(32))}, "not a piece CID"),
        ({"label": "x" * 257}, "label over 256 bytes"),
        ({"verified_deal": True}, "no datacap"),
        ({"client_collateral": TokenAmount(-1)}, "negative collateral"),
    ],
)
def test_invalid_deals_are_refused(
    tree: StateTree,
    client: Sender,
    worker: Sender,
    miner: Address,
    funded: None,
    changes: dict[str, Any],
    why: str,
) -> None:
    before = snapshot(tree)
    receipt = publish(worker, signed(client, proposal(client, miner, **changes)))
    assert receipt.exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT, why
    assert snapshot(tree) == before


def test_a_pending_proposal_cannot_be_published_twice(
    tree: StateTree, client: Sender, worker: Sender, miner: Address, funded: None
) -> None:
    deal = signed(client, proposal(client, miner))
    assert returned(publish(worker, deal, deal)) == [[0], b"\x0c"]
    assert publish(worker, deal).exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT


def test_message_level_refusals(
    tree: StateTree, client: Sender, owner: Sender, worker: Sender, miner: Address, funded: None
) -> None:
    assert publish(worker).exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT  # no deals
    not_miner = proposal(client, miner, provider=client.address)
    assert publish(worker, signed(client, not_miner)).exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT
    unknown = proposal(client, miner, provider=Address.new_id(4242))
    assert publish(worker, signed(client, unknown)).exit_code == ExitCode.ERR_NOT_FOUND
    garbage = worker.send(MARKET, PUBLISH_STORAGE_DEALS, dagcbor.encode([[[[1, 2], b"\x01"]]]))
    assert garbage.exit_code == ExitCode.ERR_SERIALIZATION
    assert market(tree).next_id == 0


def test_proposal_cbor_is_the_builtin_actors_tuple() -> None:
    deal = DealProposal(PIECE, 2048, True, Address.new_id(100), Address.new_id(1000), b"\x01", 10, 20)
    value: Any = dagcbor.decode(deal.to_cbor())
    assert value == [PIECE, 2048, True, b"\x00\x64", b"\x00\xe8\x07", b"\x01", 10, 20, b"", b"", b""]
    assert DealProposal.from_ipld(value) == deal
    assert deal.to_json()["Label"] == ""  # a byte label shows as "", as go-state-types v9
    with pytest.raises(InvalidCbor, match="Label"):
        DealProposal.from_ipld([*value[:5], 7, *value[6:]])
    with pytest.raises(InvalidCbor, match="PieceSize"):
        DealProposal.from_ipld([PIECE, -1, *value[2:]])


# -- called by the miner actor ------------------------------------------------------------------------


@pytest.fixture
def published(tree: StateTree, client: Sender, worker: Sender, miner: Address, funded: None) -> list[int]:
    deals = [signed(client, proposal(client, miner, label=str(n))) for n in range(2)]
    ids, _ = returned(publish(worker, *deals))
    return list(ids)


def test_verify_deals_returns_weight_and_commd(tree: StateTree, miner: Address, published: list[int]) -> None:
    weight, commd = verify_deals_for_activation(tree, miner.id(), published, END, EPOCH + 10)
    assert weight == 2 * DEAL_MIN_DURATION * 1024
    pieces = [PieceInfo(PaddedPieceSize(1024), PIECE)] * 2
    assert commd == generate_unsealed_cid(2048, pieces) and commd != zero_piece_cid(2048)
    assert verify_deals_for_activation(tree, miner.id(), [], END, EPOCH) == (0, None)


def test_verify_deals_refusals_carry_builtin_actors_codes(
    tree: StateTree, client: Sender, miner: Address, published: list[int]
) -> None:
    other = create_miner(Sender(tree), Sender(tree))

    def code(miner_id: int, deal_ids: list[int], expiry: int = END, epoch: int = EPOCH) -> int:
        with pytest.raises(ActorExit) as info:
            verify_deals_for_activation(tree, miner_id, deal_ids, expiry, epoch)
        return info.value.exit_code

    assert code(miner.id(), [7]) == ExitCode.ERR_NOT_FOUND
    assert code(other.id(), [0]) == ExitCode.ERR_FORBIDDEN  # another provider's deal
    assert code(client.id, [0]) == ExitCode.ERR_FORBIDDEN  # not a miner
    assert code(miner.id(), [0], epoch=START + 1) == EX_DEAL_EXPIRED == 32
    assert code(miner.id(), [0], expiry=END - 1) == ExitCode.ERR_ILLEGAL_ARGUMENT
    assert code(miner.id(), [0, 0]) == ExitCode.ERR_ILLEGAL_ARGUMENT
    assert code(miner.id(), [0, 1, 2]) == ExitCode.ERR_NOT_FOUND


def test_activate_deals_records_sector_and_epoch_all_or_nothing(
    tree: StateTree, miner: Address, published: list[int]
) -> None:
    head = tree.actors[MARKET_ID].head
    with pytest.raises(ActorExit) as info:
        activate_deals(tree, miner.id(), 3, [0, 9], EPOCH + 20)
    assert info.value.exit_code == ExitCode.ERR_NOT_FOUND and tree.actors[MARKET_ID].head == head
    with pytest.raises(ActorExit):
        activate_deals(tree, miner.id(), 3, [0], EPOCH + 20, sector_expiry=END - 1)
    assert tree.actors[MARKET_ID].head == head
    activate_deals(tree, miner.id(), 3, [0, 1], EPOCH + 20, sector_expiry=END)
    state = market(tree)
    assert state.states == {0: DealState(3, EPOCH + 20, -1, -1), 1: DealState(3, EPOCH + 20, -1, -1)}
    with pytest.raises(ActorExit) as info:
        activate_deals(tree, miner.id(), 4, [1], EPOCH + 21)
    assert info.value.exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT  # already activated
    # An activated deal is no longer pending: the same proposal may be published again.
    assert market(tree).pending_cids() == set()


def test_a_refused_miner_call_is_undone_by_the_vm(
    tree: StateTree, owner: Sender, miner: Address, published: list[int]
) -> None:
    """The VM restores its copy of the tree when an ActorExit escapes a handler (vm.apply_message)."""
    from pylotus.chain import vm

    def fake_method(inv: Any, params: bytes) -> bytes:
        activate_deals(inv.tree, inv.receiver, 1, [0], EPOCH)
        activate_deals(inv.tree, inv.receiver, 1, [0], EPOCH)  # already activated: ActorExit
        return b""

    head = tree.actors[MARKET_ID].head
    methods = dict(vm.ACTOR_METHODS[tree.actors[miner.id()].code])
    methods[99] = fake_method
    patched = {**vm.ACTOR_METHODS, tree.actors[miner.id()].code: methods}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(vm, "ACTOR_METHODS", patched)
        receipt = owner.send(miner, 99, b"")
    assert receipt.exit_code == ExitCode.ERR_ILLEGAL_ARGUMENT
    assert tree.actors[MARKET_ID].head == head


# -- genesis ------------------------------------------------------------------------------------------

T01000 = Address.new_id(FIRST_MINER_ID)
PEER = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"
PROOF = RegisteredSealProof.STACKED_DRG_2KIB_V1_1


def genesis_miner(owner: Address, client: Address, provider: Address = T01000, **kw: Any) -> Miner:
    sectors = tuple(
        PreSeal(
            comm_r=commr_to_cid(bytes([n + 1]) * 32),
            comm_d=zero_piece_cid(2048),
            sector_id=n,
            deal=PreSealDeal(zero_piece_cid(2048), 2048, client, provider, str(n), 0, 600_000),
            proof_type=PROOF,
        )
        for n in (0, 1)
    )
    return Miner(T01000, owner, owner, PEER, 2048, sectors, **kw)


def test_genesis_publishes_and_activates_the_pre_seal_deals() -> None:
    owner, client = key_address(new_secp256k1_key()), key_address(new_secp256k1_key())
    miner = genesis_miner(owner, client, market_balance=FIL(3).atto)
    tree = make_genesis(add_miners(new_template("t"), {T01000: miner}), None, now=0).state  # type: ignore[arg-type]  # no wallet: a template needs none
    state = market(tree)
    client_id = tree.lookup_id(client)
    assert client_id is not None and tree.actors[client_id].code == ACCOUNT_CODE  # created for its deal
    assert sorted(state.proposals) == [0, 1] and state.next_id == 2
    for deal_id, p in state.proposals.items():
        assert p.client == Address.new_id(client_id) and p.provider == T01000
        assert p.label == str(deal_id) and (p.start_epoch, p.end_epoch) == (0, 600_000)
        assert state.states[deal_id] == DealState(deal_id, 0, -1, -1)
    sectors = MinerState.from_head(tree.actors[FIRST_MINER_ID].head).sectors
    assert [sectors[n].deal_ids for n in (0, 1)] == [(0,), (1,)]
    assert state.balance(FIRST_MINER_ID) == (FIL(3), TokenAmount(0))  # MarketBalance, minted
    assert tree.actors[MARKET_ID].balance == FIL(3)


def test_genesis_deal_clients_do_not_take_the_next_miners_id() -> None:
    first, second, client = (key_address(new_secp256k1_key()) for _ in range(3))
    t01001 = Address.new_id(1001)
    miners = {T01000: genesis_miner(first, client), t01001: genesis_miner(second, second, provider=t01001)}
    miners[t01001] = replace(miners[t01001], id=t01001)
    tree = make_genesis(add_miners(new_template("t"), miners), None, now=0).state  # type: ignore[arg-type]  # no wallet: a template needs none
    assert tree.actors[1001].code == tree.actors[FIRST_MINER_ID].code  # both miners exist
    client_id = tree.lookup_id(client)
    assert client_id is not None and client_id < FIRST_MINER_ID


def test_genesis_refuses_a_deal_for_another_provider() -> None:
    owner = key_address(new_secp256k1_key())
    miner = genesis_miner(owner, owner, provider=Address.new_id(1001))
    with pytest.raises(InvalidGenesisFile, match="provider 't01001'"):
        make_genesis(add_miners(new_template("t"), {T01000: miner}), None, now=0)  # type: ignore[arg-type]  # no wallet: a template needs none


# -- the API ------------------------------------------------------------------------------------------


@pytest.fixture
def node(tmp_path: Path) -> Iterator[ChainNode]:
    path = tmp_path / "keystore"
    path.mkdir(mode=0o700)
    owner = key_address(new_secp256k1_key())
    template = add_miners(new_template("pylotus-test"), {T01000: genesis_miner(owner, owner)})
    with Datastore(tmp_path / "ds") as ds:
        yield ChainNode.open(ds, Wallet(Keystore(path)), template)


def test_market_table_is_read_only_lotus_names() -> None:
    assert sorted(MARKET_STATE_TABLE) == ["StateMarketBalance", "StateMarketDeals", "StateMarketStorageDeal"]
    assert {spec.perm for spec in MARKET_STATE_TABLE.values()} == {"read"}
    assert all(hasattr(MarketStateApi, spec.python_name) for spec in MARKET_STATE_TABLE.values())


async def test_market_api_shapes(node: ChainNode) -> None:
    api = MarketStateApi(node)
    assert await api.state_market_balance(T01000, None) == {"Escrow": "0", "Locked": "0"}
    deals: Any = await api.state_market_deals(None)
    assert sorted(deals) == ["0", "1"]
    deal: Any = await api.state_market_storage_deal(1, None)
    assert deals["1"] == deal
    assert deal["State"] == {
        "SectorNumber": 1,
        "SectorStartEpoch": 0,
        "LastUpdatedEpoch": -1,
        "SlashEpoch": -1,
    }
    expected_keys = [
        "PieceCID", "PieceSize", "VerifiedDeal", "Client", "Provider", "Label",
        "StartEpoch", "EndEpoch", "StoragePricePerEpoch", "ProviderCollateral", "ClientCollateral",
    ]  # fmt: skip
    assert list(deal["Proposal"]) == expected_keys
    assert deal["Proposal"]["Provider"] == "t01000" and deal["Proposal"]["Label"] == "1"
    assert deal["Proposal"]["PieceCID"] == {"/": str(zero_piece_cid(2048))}
    with pytest.raises(DealNotFound, match="deal 7 not found"):
        await api.state_market_storage_deal(7, None)
    with pytest.raises(InvalidMessage):
        await api.state_market_storage_deal(-1, None)
    with pytest.raises(ActorNotFound, match="resolution lookup failed"):
        await api.state_market_balance(key_address(new_secp256k1_key()), None)
    genesis_key: Any = node.tipset_at(0).to_json()["Cids"]
    assert await api.state_market_deals(genesis_key) == deals  # a tipset key names a state
    with pytest.raises(TipSetNotFound, match="not found"):
        await api.state_market_deals([{"/": str(zero_piece_cid(2048))}])


def test_published_deal_shows_the_empty_state(tree: StateTree, published: list[int]) -> None:
    state = market(tree)
    assert market_deal_json(state.proposals[0], state.states.get(0))["State"] == {
        "SectorNumber": 0,
        "SectorStartEpoch": -1,
        "LastUpdatedEpoch": -1,
        "SlashEpoch": -1,
    }
