"""The node's local wallet: secp256k1 keys in the repo's keystore, named as Lotus names them.

Counterparts: Lotus ``chain/wallet/wallet.go`` (``LocalWallet``), ``chain/wallet/key/key.go`` (key →
address) and ``chain/messagesigner`` (signing a message by its sender); reference/api-examples.md §3
(``WalletNew``, ``WalletList``, ``WalletHas``, ``WalletDefaultAddress``, ``WalletSign``).

Keystore layout, as Lotus's, so a keystore moves between the two:

* each key is stored as ``wallet-<address>`` (``wallet-t1…``), its ``KeyInfo`` the file's content;
* ``default`` holds a copy of the default key's ``KeyInfo`` (not its address); ``new`` makes the
  first key the default;
* ``delete`` keeps the key as ``trash-<address>``, so a mistaken delete can be undone by hand;
* Lotus names keys with the address string of its build's network (``t`` on devnets, ``f`` on
  mainnet) and falls back to the other prefix on lookup; pylotus writes ``t`` names
  (:data:`~pylotus.abi.DEFAULT_NETWORK`) and reads both.

Files are 0600 in a 0700 directory, written atomically, never overwritten (:class:`~pylotus.repo.Keystore`).
Every call goes to disk: there is no cache to go stale, and each call blocks on small file I/O only
(a trio caller may run it in a thread).  Only ``secp256k1`` keys are made, imported and used for
signing; a ``bls`` key is refused by name (:class:`~pylotus.chain.errors.UnsupportedKeyType`).

Errors: keystore failures leave here as :class:`~pylotus.chain.errors.WalletError` (the repo's
errors do not cross this boundary), a missing key as ``WalletKeyNotFound``.
"""

from __future__ import annotations

import builtins
import contextlib
import logging
from collections.abc import Iterator
from typing import Final, final

from pylotus.abi import DEFAULT_NETWORK, Address, AddressProtocol, InvalidAddress, Network
from pylotus.repo import KeyExists, KeyInfo, KeyNotFound, Keystore, RepoError

from .crypto import KEY_TYPE_BLS, KEY_TYPE_SECP256K1, Signature, key_address, new_secp256k1_key, sign
from .errors import UnsupportedKeyType, WalletError, WalletKeyExists, WalletKeyNotFound
from .types import Message, SignedMessage, sign_message

__all__ = ["KEY_DEFAULT", "KEY_NAME_PREFIX", "KEY_TRASH_PREFIX", "Wallet"]

log = logging.getLogger(__name__)

KEY_NAME_PREFIX: Final = "wallet-"
"""Keystore name prefix of a wallet key (Lotus ``wallet.KNamePrefix``)."""

KEY_TRASH_PREFIX: Final = "trash-"
"""Keystore name prefix of a deleted wallet key (Lotus ``wallet.KTrashPrefix``)."""

KEY_DEFAULT: Final = "default"
"""Keystore name of the default key's copy (Lotus ``wallet.KDefault``)."""

# Key types Lotus wallets hold that pylotus cannot use (types.KTBLS, KTSecp256k1Ledger, KTDelegated).
_KNOWN_UNSUPPORTED: Final = frozenset({KEY_TYPE_BLS, "secp256k1-ledger", "delegated"})


@contextlib.contextmanager
def _keystore_errors(what: str) -> Iterator[None]:
    """The wallet's one boundary with the repo: a keystore failure becomes ``WalletError``."""
    try:
        yield
    except RepoError as exc:
        raise WalletError(f"{what}: {exc}") from exc


@final
class Wallet:
    """Lotus's ``LocalWallet`` over one repo keystore.

    Not safe for two writers at once; the repo lock already makes the daemon the only one.
    """

    def __init__(self, keystore: Keystore) -> None:
        self._keystore = keystore

    def __repr__(self) -> str:
        return f"Wallet({self._keystore!r})"

    # -- keys in and out ----------------------------------------------------------------------------

    def new(self, key_type: str = KEY_TYPE_SECP256K1) -> Address:
        """Make a key of ``key_type``, store it, and make it the default if there is none (``WalletNew``).

        Raises:
            UnsupportedKeyType: ``bls`` or another type pylotus does not sign with, or an unknown type.
            WalletError: the keystore cannot be written.
        """
        if key_type != KEY_TYPE_SECP256K1:
            if key_type in _KNOWN_UNSUPPORTED:
                raise UnsupportedKeyType(
                    f"key type '{key_type}' is not supported: "
                    f"pylotus wallets hold '{KEY_TYPE_SECP256K1}' keys only"
                )
            raise UnsupportedKeyType(f"unknown sig type: '{key_type}'; use '{KEY_TYPE_SECP256K1}'")
        key_info = new_secp256k1_key()
        address = key_address(key_info)
        with _keystore_errors("saving to keystore"):
            self._keystore.put(_key_name(address), key_info)
        with _keystore_errors(f"key '{address}' was created but could not be made the default"):
            if not self._keystore.has(KEY_DEFAULT):
                self._keystore.put(KEY_DEFAULT, key_info)
        log.info("wallet key created address=%s", address)
        return address

    def import_key(self, key_info: KeyInfo) -> Address:
        """Store an existing key under its address (``WalletImport``); it does not become the default.

        Raises:
            UnsupportedKeyType: not a ``secp256k1`` key.
            InvalidKey: not a valid secp256k1 private key.
            WalletKeyExists: the wallet already holds the key of this address.
            WalletError: the keystore cannot be written.
        """
        address = key_address(key_info)
        exists = WalletKeyExists(f"key for address '{address}' is already in the wallet")
        if self._find(address) is not None:
            raise exists
        with _keystore_errors("saving to keystore"):
            try:
                self._keystore.put(_key_name(address), key_info)
            except KeyExists as exc:  # imported by someone else since _find looked
                raise exists from exc
        log.info("wallet key imported address=%s", address)
        return address

    def export(self, address: Address) -> KeyInfo:
        """The private key of ``address`` (``WalletExport``); a secret, never log it.

        Raises:
            WalletKeyNotFound: the wallet holds no key for ``address``.
            WalletError: the key file cannot be read.
        """
        key_info = self._find(address)
        if key_info is None:
            raise WalletKeyNotFound(f"key not found for '{address}'{_id_hint(address)}")
        return key_info

    def delete(self, address: Address) -> bool:
        """Remove ``address`` from the wallet, keeping its key as ``trash-<address>`` (``WalletDelete``).

        If it was the default, there is no default afterwards.

        Returns:
            ``True`` if a key was deleted, ``False`` if the wallet held none (Lotus succeeds then too).

        Raises:
            WalletError: the keystore cannot be read or written.
        """
        key_info = self._find(address)
        if key_info is None:
            return False
        trash = KEY_TRASH_PREFIX + str(address)
        with _keystore_errors(f"failed to delete key '{address}'"):
            with contextlib.suppress(KeyNotFound):
                self._keystore.delete(trash)
            self._keystore.put(trash, key_info)
            for name in _key_names(address):
                with contextlib.suppress(KeyNotFound):
                    self._keystore.delete(name)
            with contextlib.suppress(KeyNotFound):
                if self._keystore.get(KEY_DEFAULT) == key_info:
                    self._keystore.delete(KEY_DEFAULT)
        log.info("wallet key deleted address=%s kept_as=%s", address, trash)
        return True

    # -- questions ----------------------------------------------------------------------------------

    def has(self, address: Address) -> bool:
        """Whether the wallet holds the key of ``address`` (``WalletHas``); never for an ID address.

        Raises:
            WalletError: the key file exists but cannot be read.
        """
        return self._find(address) is not None

    def list(self) -> builtins.list[Address]:
        """Every address the wallet holds, sorted by its string (``WalletList``).

        Raises:
            WalletError: the keystore cannot be listed, or holds a ``wallet-`` key not named after an
                address.
        """
        with _keystore_errors("listing keystore"):
            names = self._keystore.list()
        found: set[Address] = set()
        for name in names:
            if not name.startswith(KEY_NAME_PREFIX):
                continue
            try:
                found.add(Address.from_string(name.removeprefix(KEY_NAME_PREFIX)))
            except InvalidAddress as exc:
                raise WalletError(
                    f"keystore key '{name}' is not named after an address ({exc}); "
                    "move it out of the keystore"
                ) from exc
        return sorted(found, key=str)

    def default(self) -> Address:
        """The default address (``WalletDefaultAddress``).

        Raises:
            WalletKeyNotFound: no default is set.
            UnsupportedKeyType, InvalidKey: the default key is not a usable secp256k1 key.
            WalletError: the key file cannot be read.
        """
        try:
            key_info = self._keystore.get(KEY_DEFAULT)
        except KeyNotFound as exc:
            raise WalletKeyNotFound(
                "no default wallet address is set; set one with 'pylotus wallet set-default <address>'"
            ) from exc
        except RepoError as exc:
            raise WalletError(f"failed to get default key: {exc}") from exc
        return key_address(key_info)

    def set_default(self, address: Address) -> None:
        """Make ``address`` the default (``WalletSetDefault``).

        Not atomic, as in Lotus: the old default is removed before the new one is written, so a
        crash in between leaves no default (never a wrong one).

        Raises:
            WalletKeyNotFound: the wallet holds no key for ``address``.
            WalletError: the keystore cannot be written.
        """
        key_info = self._find(address)
        if key_info is None:
            raise WalletKeyNotFound(f"address '{address}' not found in wallet{_id_hint(address)}")
        with _keystore_errors("failed to set default key"):
            with contextlib.suppress(KeyNotFound):
                self._keystore.delete(KEY_DEFAULT)
            self._keystore.put(KEY_DEFAULT, key_info)
        log.info("wallet default set address=%s", address)

    # -- signing ------------------------------------------------------------------------------------

    def sign(self, address: Address, data: bytes) -> Signature:
        """Sign ``data`` with the key of ``address`` (``WalletSign``): secp256k1 over blake2b-256(data).

        Raises:
            WalletKeyNotFound: the wallet holds no key for ``address``.
            UnsupportedKeyType: the stored key is not ``secp256k1``.
            WalletError: the stored key is not the key of ``address`` (a corrupt keystore), or cannot
                be read.
        """
        return sign(self._signing_key(address), data)

    def sign_message(self, message: Message, *, signer: Address | None = None) -> SignedMessage:
        """Sign ``message`` with its sender's key (Lotus ``WalletSignMessage``).

        Args:
            message: the message, nonce and gas final.
            signer: the sender's key address when ``message.from_`` is an ID address (the node resolves
                it from state); defaults to ``message.from_``.

        Raises:
            WalletKeyNotFound, UnsupportedKeyType, WalletError: as :meth:`sign`.
            InvalidKey: ``signer`` is given but ``message.from_`` is another key address.
        """
        address = signer if signer is not None else message.from_
        return sign_message(self._signing_key(address), message)

    # -- lookup ---------------------------------------------------------------------------------------

    def _signing_key(self, address: Address) -> KeyInfo:
        """The key of ``address``, checked to be that address's key before it signs anything."""
        key_info = self._find(address)
        if key_info is None:
            raise WalletKeyNotFound(
                f"signing using key '{address}': key not found in wallet{_id_hint(address)}"
            )
        actual = key_address(key_info)
        if actual != address:
            raise WalletError(
                f"keystore key '{_key_name(address)}' holds the key of '{actual}'; the keystore is corrupt"
            )
        return key_info

    def _find(self, address: Address) -> KeyInfo | None:
        """The stored key of ``address`` under either network prefix, or ``None``."""
        for name in _key_names(address):
            with _keystore_errors("getting from keystore"):
                try:
                    return self._keystore.get(name)
                except KeyNotFound:
                    continue
        return None


def _key_name(address: Address) -> str:
    return KEY_NAME_PREFIX + address.to_string(DEFAULT_NETWORK)


def _key_names(address: Address) -> tuple[str, ...]:
    """The names ``address`` may be stored under: ours first, then the other network's (as Lotus)."""
    other: Network = "f" if DEFAULT_NETWORK == "t" else "t"
    return (_key_name(address), KEY_NAME_PREFIX + address.to_string(other))


def _id_hint(address: Address) -> str:
    if address.protocol is AddressProtocol.ID:
        return "; the wallet holds keys by key address (t1…): resolve the id address first"
    return ""
