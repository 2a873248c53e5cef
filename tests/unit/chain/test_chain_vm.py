"""The state tree, the VM and the mpool: each bad message refused with its reason and no state change."""

from __future__ import annotations

import pytest

from pylotus.abi import Address
from pylotus.chain import dagcbor, vm
from pylotus.chain.bigint import TokenAmount
from pylotus.chain.crypto import Signature, SigType, key_address, new_secp256k1_key, sign
from pylotus.chain.errors import ActorNotFound, InvalidCbor, MessageRejected
from pylotus.chain.exitcode import ExitCode
from pylotus.chain.mpool import Mpool
from pylotus.chain.state import (
    ACCOUNT_CODE,
    BURNT_FUNDS_ID,
    EMPTY_HEAD,
    FIRST_ACCOUNT_ID,
    Actor,
    StateTree,
)
from pylotus.chain.types import Message, SignedMessage, sign_message
from pylotus.chain.vm import SEND_BASE, apply_message, on_chain_gas
from pylotus.repo import KeyInfo

FIL = TokenAmount.from_fil
FEE_CAP = TokenAmount(1000)
GAS = 1_000_000


@pytest.fixture
def key() -> KeyInfo:
    return new_secp256k1_key()


@pytest.fixture
def tree(key: KeyInfo) -> StateTree:
    tree = StateTree()
    tree.actors[BURNT_FUNDS_ID] = Actor(ACCOUNT_CODE, EMPTY_HEAD, 0, TokenAmount(0))
    tree.create_account(key_address(key), FIL(10))
    return tree


def msg(key: KeyInfo, to: Address, value: TokenAmount, nonce: int = 0, **kw: object) -> SignedMessage:
    fields: dict[str, object] = {"gas_limit": GAS, "gas_fee_cap": FEE_CAP, "gas_premium": TokenAmount(1)}
    fields.update(kw)
    message = Message(to=to, from_=key_address(key), nonce=nonce, value=value, **fields)  # type: ignore[arg-type]
    return sign_message(key, message)


def test_state_root_is_canonical_and_round_trips(tree: StateTree) -> None:
    again = StateTree.from_cbor(tree.to_cbor())
    assert again.root() == tree.root()
    assert again.addresses == tree.addresses and again.next_id == tree.next_id
    tree.create_account(key_address(new_secp256k1_key()))
    assert again.root() != tree.root()


def test_state_tree_rejects_other_layouts() -> None:
    with pytest.raises(InvalidCbor, match="layout"):
        StateTree.from_cbor(dagcbor.encode(["lotus/hamt", 0, [], []]))


def test_lookup_and_account_key(tree: StateTree, key: KeyInfo) -> None:
    assert tree.lookup_id(key_address(key)) == FIRST_ACCOUNT_ID
    assert tree.account_key(Address.new_id(FIRST_ACCOUNT_ID)) == key_address(key)
    with pytest.raises(ActorNotFound, match="actor not found: 't0555'"):
        tree.account_key(Address.new_id(555))


def test_send_to_new_address_creates_account_and_charges_gas(tree: StateTree, key: KeyInfo) -> None:
    target = key_address(new_secp256k1_key())
    signed = msg(key, target, FIL(2))
    receipt = apply_message(tree, signed)
    gas = on_chain_gas(signed) + SEND_BASE
    assert receipt.exit_code == ExitCode.OK and receipt.gas_used == gas
    assert tree.lookup_id(target) == FIRST_ACCOUNT_ID + 1
    assert tree.balance(target) == FIL(2)
    assert tree.balance(key_address(key)) == FIL(8) - FEE_CAP * gas
    assert tree.actors[BURNT_FUNDS_ID].balance == FEE_CAP * gas
    assert tree.get_actor(key_address(key)).nonce == 1  # type: ignore[union-attr]


def _refused(tree: StateTree, signed: SignedMessage, reason: str) -> None:
    before = tree.root()
    with pytest.raises(MessageRejected, match=reason):
        apply_message(tree, signed)
    assert tree.root() == before


def test_vm_refuses_bad_messages_without_state_change(tree: StateTree, key: KeyInfo) -> None:
    to = key_address(new_secp256k1_key())
    good = msg(key, to, FIL(1))
    forged = SignedMessage(good.message, sign(new_secp256k1_key(), bytes(good.message.cid())))
    _refused(tree, forged, "signature verification failed")
    unsigned = SignedMessage(good.message, Signature(SigType.SECP256K1, b"\x00" * 65))
    _refused(tree, unsigned, "signature verification failed")
    _refused(tree, msg(key, to, FIL(1), nonce=1), "actor nonce invalid: msg:1 != state:0")
    _refused(tree, msg(key, to, FIL(10)), "not enough funds to execute transaction")
    _refused(tree, msg(key, to, FIL(1), gas_limit=0), "'GasLimit' field cannot be less than")
    stranger = new_secp256k1_key()
    _refused(tree, msg(stranger, to, FIL(1)), "sender '.*' not found")


def test_lotus_field_checks_refuse_negative_and_oversized_values(tree: StateTree, key: KeyInfo) -> None:
    victim = key_address(new_secp256k1_key())
    tree.create_account(victim, FIL(5))
    _refused(tree, msg(key, victim, TokenAmount(-(10**18))), "'Value' field cannot be negative")
    _refused(tree, msg(key, victim, FIL(2_000_000_001)), "cannot be greater than total filecoin supply")
    _refused(
        tree, msg(key, victim, FIL(1), gas_fee_cap=TokenAmount(-1)), "'GasFeeCap' field cannot be negative"
    )
    _refused(
        tree, msg(key, victim, FIL(1), gas_premium=TokenAmount(2000)), "'GasFeeCap' less than 'GasPremium'"
    )
    _refused(tree, msg(key, victim, FIL(1), gas_limit=2**62), "cannot be greater than a block's gas limit")
    assert tree.balance(victim) == FIL(5)


def test_an_actor_bug_fails_its_message_and_rolls_back(
    tree: StateTree, key: KeyInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(invocation: object, params: bytes) -> bytes:
        raise TypeError("'>=' not supported between instances of 'bytes' and 'int'")

    target = key_address(new_secp256k1_key())
    target_id = tree.create_account(target, FIL(1))
    code = tree.actors[target_id].code
    monkeypatch.setitem(vm.ACTOR_METHODS, code, {**vm.ACTOR_METHODS.get(code, {}), 99: broken})
    receipt = apply_message(tree, msg(key, target, FIL(1), method=99))
    assert receipt.exit_code == ExitCode.SYS_ERR_ILLEGAL_INSTRUCTION
    assert tree.balance(target) == FIL(1)  # the transfer was rolled back; only gas was paid


def test_replay_is_refused(tree: StateTree, key: KeyInfo) -> None:
    signed = msg(key, key_address(new_secp256k1_key()), FIL(1))
    apply_message(tree, signed)
    _refused(tree, signed, "actor nonce invalid: msg:0 != state:1")


def test_unknown_method_fails_on_chain_and_keeps_only_gas(tree: StateTree, key: KeyInfo) -> None:
    other = key_address(new_secp256k1_key())
    tree.create_account(other)
    receipt = apply_message(tree, msg(key, other, FIL(1), method=99))
    assert receipt.exit_code == ExitCode.SYS_ERR_INVALID_METHOD
    assert tree.balance(other) == TokenAmount(0)
    assert tree.get_actor(key_address(key)).nonce == 1  # type: ignore[union-attr]
    assert tree.balance(key_address(key)) == FIL(10) - FEE_CAP * receipt.gas_used


def test_malformed_params_fail_with_serialization_error(tree: StateTree, key: KeyInfo) -> None:
    me = Address.new_id(FIRST_ACCOUNT_ID)
    bad = apply_message(tree, msg(key, me, TokenAmount(0), method=2, params=b"\x01"))
    assert bad.exit_code == ExitCode.ERR_SERIALIZATION
    good = apply_message(tree, msg(key, me, TokenAmount(0), nonce=1, method=2))
    assert good.exit_code == ExitCode.OK
    assert Address.from_bytes(dagcbor.decode(good.return_value)) == key_address(key)  # type: ignore[arg-type]


def test_send_to_unknown_id_address_is_invalid_receiver(tree: StateTree, key: KeyInfo) -> None:
    receipt = apply_message(tree, msg(key, Address.new_id(4242), FIL(1)))
    assert receipt.exit_code == ExitCode.SYS_ERR_INVALID_RECEIVER
    assert tree.balance(key_address(key)) == FIL(10) - FEE_CAP * receipt.gas_used


def test_out_of_gas_charges_the_limit(tree: StateTree, key: KeyInfo) -> None:
    probe = msg(key, key_address(key), FIL(1))
    limit = on_chain_gas(probe) + 10
    receipt = apply_message(tree, msg(key, key_address(key), FIL(1), gas_limit=limit))
    assert receipt.exit_code == ExitCode.SYS_ERR_OUT_OF_GAS and receipt.gas_used == limit


# -- mpool --------------------------------------------------------------------------------------------


def _pool_refuses(pool: Mpool, tree: StateTree, signed: SignedMessage, reason: str) -> None:
    before = pool.pending()
    with pytest.raises(MessageRejected, match=reason):
        pool.add(signed, tree)
    assert pool.pending() == before


def test_mpool_orders_by_nonce_and_refuses_gaps_and_replays(tree: StateTree, key: KeyInfo) -> None:
    pool = Mpool()
    to = key_address(new_secp256k1_key())
    first, second = msg(key, to, FIL(1)), msg(key, to, FIL(1), nonce=1)
    pool.add(first, tree)
    _pool_refuses(pool, tree, msg(key, to, FIL(1), nonce=3), "unfulfilled nonce gap: nonce 3, expected 1")
    _pool_refuses(pool, tree, msg(key, to, FIL(2)), "message with nonce already exists")
    pool.add(second, tree)
    assert pool.pending() == [first, second]
    assert pool.next_nonce(key_address(key), tree) == 2
    apply_message(tree, first)
    pool.prune(tree)
    assert pool.pending() == [second]
    _pool_refuses(pool, tree, first, "message nonce too low: 0 < 1")


def test_mpool_counts_pending_funds(tree: StateTree, key: KeyInfo) -> None:
    pool = Mpool()
    to = key_address(new_secp256k1_key())
    pool.add(msg(key, to, FIL(6)), tree)
    _pool_refuses(pool, tree, msg(key, to, FIL(4), nonce=1), "not enough funds to execute transaction")


def test_mpool_refuses_bad_input(tree: StateTree, key: KeyInfo) -> None:
    pool = Mpool()
    to = key_address(new_secp256k1_key())
    good = msg(key, to, FIL(1))
    forged = SignedMessage(good.message, sign(new_secp256k1_key(), bytes(good.message.cid())))
    _pool_refuses(pool, tree, forged, "signature verification failed")
    _pool_refuses(pool, tree, msg(key, to, FIL(1), gas_limit=0), "'GasLimit' field cannot be less than")
    _pool_refuses(pool, tree, msg(key, to, FIL(1), gas_fee_cap=TokenAmount(1)), "gas fee cap too low")
    _pool_refuses(pool, tree, msg(key, to, FIL(1), params=b"\x00" * (64 << 10)), "message too big")
    _pool_refuses(pool, tree, msg(key, to, FIL(100)), "not enough funds")
