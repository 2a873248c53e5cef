"""The local wallet on a real repo keystore: Lotus's key names, defaults, trash, signing, refusals.

The keystore is the real one (``pylotus.repo.Keystore``) in a temporary directory; names are checked
against Lotus ``chain/wallet/wallet.go`` (``wallet-<address>``, ``default``, ``trash-<address>``).
The Zondax key and its address come from reference/api-examples.md §4.4.
"""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from pylotus.abi import Address
from pylotus.chain.bigint import TokenAmount
from pylotus.chain.crypto import SigType, new_secp256k1_key, verify
from pylotus.chain.errors import (
    ChainError,
    InvalidKey,
    UnsupportedKeyType,
    WalletError,
    WalletKeyExists,
    WalletKeyNotFound,
)
from pylotus.chain.types import Message, SignedMessage, verify_signed
from pylotus.chain.wallet import KEY_DEFAULT, Wallet
from pylotus.repo import KeyInfo, Keystore, key_file_name

ZONDAX_KEY = KeyInfo("secp256k1", base64.b64decode("8VcW07ADswS4BV2cxi5rnIadVsyTDDhY1NfDH19T8Uo="))
ZONDAX_ADDRESS = Address.from_string("t1d2xrzcslx7xlbbylc5c3d5lvandqw4iwl6epxba")
ZONDAX_TO = Address.from_string("t17uoq6tp427uzv7fztkbsnn64iwotfrristwpryy")
# Vector 4's signature of its message by ZONDAX_KEY (Zondax signed_message.json).
VECTOR4_SIG = "nFuTI7MxEXqTQ0QmmQTmqbUsNZfHFXlNjz+susVDkAk1SrRCdJKxlVZZrM4vUtVBSYgtMIeigNfpqdKGIFhoWQA="


@pytest.fixture
def keystore(tmp_path: Path) -> Keystore:
    path = tmp_path / "keystore"
    path.mkdir(mode=0o700)
    return Keystore(path)


@pytest.fixture
def wallet(keystore: Keystore) -> Wallet:
    return Wallet(keystore)


def _vector4_message(from_: Address = ZONDAX_ADDRESS) -> Message:
    return Message(
        to=ZONDAX_TO,
        from_=from_,
        nonce=1,
        value=TokenAmount(100000),
        gas_limit=25000,
        gas_fee_cap=TokenAmount(1),
        gas_premium=TokenAmount(1),
    )


def test_new_key_is_stored_as_lotus_names_it_and_becomes_default(wallet: Wallet, keystore: Keystore) -> None:
    address = wallet.new()
    assert str(address).startswith("t1")
    assert keystore.list() == [KEY_DEFAULT, f"wallet-{address}"]
    assert keystore.get(f"wallet-{address}") == keystore.get(KEY_DEFAULT)
    assert wallet.default() == address
    assert wallet.has(address)
    assert wallet.list() == [address]
    key_file = keystore.path / key_file_name(f"wallet-{address}")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = wallet.new("secp256k1")
    assert wallet.default() == address  # only the first key becomes the default
    assert wallet.list() == sorted([address, second], key=str)


def test_bls_and_unknown_key_types_are_refused_by_name(wallet: Wallet, keystore: Keystore) -> None:
    with pytest.raises(
        UnsupportedKeyType, match="key type 'bls' is not supported: pylotus wallets hold 'secp256k1'"
    ):
        wallet.new("bls")
    with pytest.raises(UnsupportedKeyType, match="key type 'delegated' is not supported"):
        wallet.new("delegated")
    with pytest.raises(UnsupportedKeyType, match="unknown sig type: 'ed25519'; use 'secp256k1'"):
        wallet.new("ed25519")
    with pytest.raises(UnsupportedKeyType, match="'bls'"):
        wallet.import_key(KeyInfo("bls", b"\x01" * 32))
    assert keystore.list() == []  # nothing written by a refusal


def test_import_export_and_duplicate_import(wallet: Wallet, keystore: Keystore) -> None:
    assert wallet.import_key(ZONDAX_KEY) == ZONDAX_ADDRESS
    assert keystore.list() == [f"wallet-{ZONDAX_ADDRESS}"]  # import does not set a default
    assert wallet.export(ZONDAX_ADDRESS) == ZONDAX_KEY
    with pytest.raises(WalletKeyExists, match=f"key for address '{ZONDAX_ADDRESS}' is already in the wallet"):
        wallet.import_key(ZONDAX_KEY)
    with pytest.raises(InvalidKey, match="must be 32 bytes"):
        wallet.import_key(KeyInfo("secp256k1", b"\x01" * 31))


def test_missing_keys_and_default_are_wallet_key_not_found(wallet: Wallet) -> None:
    with pytest.raises(
        WalletKeyNotFound, match="no default wallet address is set; set one with 'pylotus wallet"
    ):
        wallet.default()
    with pytest.raises(WalletKeyNotFound, match=f"key not found for '{ZONDAX_ADDRESS}'$"):
        wallet.export(ZONDAX_ADDRESS)
    with pytest.raises(WalletKeyNotFound, match=f"address '{ZONDAX_ADDRESS}' not found in wallet"):
        wallet.set_default(ZONDAX_ADDRESS)
    with pytest.raises(
        WalletKeyNotFound, match=f"signing using key '{ZONDAX_ADDRESS}': key not found in wallet"
    ):
        wallet.sign(ZONDAX_ADDRESS, b"data")
    with pytest.raises(WalletKeyNotFound, match="resolve the id address first"):
        wallet.sign(Address.new_id(1000), b"data")
    assert not wallet.has(ZONDAX_ADDRESS)
    assert not wallet.has(Address.new_id(1000))
    assert issubclass(WalletKeyNotFound, ChainError)


def test_set_default_replaces_the_default_copy(wallet: Wallet, keystore: Keystore) -> None:
    first = wallet.new()
    imported = wallet.import_key(ZONDAX_KEY)
    wallet.set_default(imported)
    assert wallet.default() == imported
    assert keystore.get(KEY_DEFAULT) == ZONDAX_KEY
    wallet.set_default(first)
    assert wallet.default() == first


def test_delete_moves_the_key_to_trash_and_clears_a_default(wallet: Wallet, keystore: Keystore) -> None:
    address = wallet.import_key(ZONDAX_KEY)
    wallet.set_default(address)
    assert wallet.delete(address) is True
    assert keystore.list() == [f"trash-{address}"]
    assert keystore.get(f"trash-{address}") == ZONDAX_KEY
    assert not wallet.has(address)
    assert wallet.list() == []
    with pytest.raises(WalletKeyNotFound):
        wallet.default()
    assert wallet.delete(address) is False  # already gone: Lotus succeeds too
    # Deleting again after a re-import replaces the older trashed copy.
    wallet.import_key(ZONDAX_KEY)
    assert wallet.delete(address) is True
    assert keystore.list() == [f"trash-{address}"]


def test_delete_keeps_another_default(wallet: Wallet) -> None:
    default = wallet.new()
    other = wallet.import_key(ZONDAX_KEY)
    wallet.delete(other)
    assert wallet.default() == default


def test_keys_stored_under_the_mainnet_prefix_are_found(wallet: Wallet, keystore: Keystore) -> None:
    # A keystore from a mainnet Lotus names keys wallet-f1…; Lotus falls back across prefixes, as we do.
    keystore.put(f"wallet-{ZONDAX_ADDRESS.to_string('f')}", ZONDAX_KEY)
    assert wallet.has(ZONDAX_ADDRESS)
    assert wallet.list() == [ZONDAX_ADDRESS]
    assert wallet.export(ZONDAX_ADDRESS) == ZONDAX_KEY
    keystore.put(f"wallet-{ZONDAX_ADDRESS}", ZONDAX_KEY)
    assert wallet.list() == [ZONDAX_ADDRESS]  # one address, listed once
    assert wallet.delete(ZONDAX_ADDRESS)
    assert keystore.list() == [f"trash-{ZONDAX_ADDRESS}"]


def test_sign_reproduces_the_published_signature(wallet: Wallet) -> None:
    wallet.import_key(ZONDAX_KEY)
    message = _vector4_message()
    signature = wallet.sign(ZONDAX_ADDRESS, bytes(message.cid()))
    assert signature.type is SigType.SECP256K1
    assert base64.b64encode(signature.data).decode() == VECTOR4_SIG
    verify(signature, bytes(message.cid()), ZONDAX_ADDRESS)


def test_a_message_signed_by_the_wallet_verifies(wallet: Wallet) -> None:
    address = wallet.new()
    message = _vector4_message(from_=address)
    signed = wallet.sign_message(message)
    verify_signed(signed)
    assert SignedMessage.from_cbor(signed.to_cbor()) == signed
    verify_signed(SignedMessage.from_json(signed.to_json()))
    # An ID sender is signed by the key address the node resolved it to.
    by_id = wallet.sign_message(_vector4_message(from_=Address.new_id(1001)), signer=address)
    verify_signed(by_id, signer=address)


def test_a_key_filed_under_another_address_is_refused(wallet: Wallet, keystore: Keystore) -> None:
    keystore.put(f"wallet-{ZONDAX_ADDRESS}", new_secp256k1_key())
    with pytest.raises(WalletError, match="holds the key of 't1.*'; the keystore is corrupt"):
        wallet.sign(ZONDAX_ADDRESS, b"data")


def test_keystore_failures_become_wallet_errors(wallet: Wallet, keystore: Keystore) -> None:
    wallet.import_key(ZONDAX_KEY)
    key_file = keystore.path / key_file_name(f"wallet-{ZONDAX_ADDRESS}")
    os.chmod(key_file, 0o644)
    with pytest.raises(WalletError, match="getting from keystore: permissions of key: .* are too relaxed"):
        wallet.has(ZONDAX_ADDRESS)
    keystore.put(f"wallet-{'not-an-address'}", new_secp256k1_key())
    with pytest.raises(
        WalletError, match="keystore key 'wallet-not-an-address' is not named after an address"
    ):
        wallet.list()
    missing = Wallet(Keystore(keystore.path / "gone"))
    with pytest.raises(WalletError, match="listing keystore: "):
        missing.list()
    with pytest.raises(WalletError, match="saving to keystore: "):
        missing.new()
