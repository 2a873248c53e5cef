"""The errors of :mod:`pylotus.chain`: keys, signatures, pre-sealing and genesis files.

One root, :class:`ChainError`, with subclasses by cause, httpx-style.  The tree so far (the devnet
node adds its own branches here: messages, mpool, actors)::

    PylotusError
    └── ChainError                  any refused or failed chain/ operation
        ├── InvalidKey              a private key or key file that cannot be used (bytes, hex, json)
        │   └── UnsupportedKeyType  a well-formed key of a type pylotus cannot sign with (bls, delegated)
        ├── InvalidSignature        a signature that is malformed or does not verify
        ├── InvalidGenesisFile      a genesis template or pre-seal manifest that does not parse or fit
        ├── ChainFileError          a file chain/ reads or writes failed at the OS level
        ├── InvalidPreSeal          a pre-seal that cannot succeed (miner, size, count, existing files)
        ├── PreSealFailed           sealing one pre-seal sector failed; the message names the sector
        ├── InvalidCbor             bytes that are not one canonical dag-cbor value (cbor-gen's refusals)
        ├── InvalidAmount           a FIL amount or big integer that does not parse or does not fit
        ├── InvalidMessage          a Message, SignedMessage or MessageReceipt that cannot be built or
        │                           decoded (CBOR or JSON); the message names the field
        ├── WalletError             a wallet operation refused, or its keystore failed
        │   ├── WalletKeyNotFound   no key for the address in this wallet, or no default address
        │   └── WalletKeyExists     an import of a key the wallet already holds
        ├── ActorNotFound           no actor at an address in the state tree (Lotus ``actor not found``)
        ├── MessageRejected         a message the mpool or the VM refuses before applying it
        ├── TipSetNotFound          no tipset at a height, or with a key, in this chain
        ├── RandomnessUnavailable   randomness asked for a round the chain has not reached
        ├── SectorNotFound          no such (pre-committed) sector on a miner actor
        └── ChainStoreError         the chain's datastore holds something it cannot read

Messages follow STYLE.md: one line, lower case, values quoted, Lotus's wording where Lotus has one
(``signature did not match``, ``must resolve ID addresses before using them to verify a signature``).
None of these is :class:`~pylotus.errors.Temporary`: each is the input's fault or needs an operator.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from pylotus.errors import PylotusError

__all__ = [
    "ChainError",
    "ChainFileError",
    "InvalidAmount",
    "InvalidCbor",
    "InvalidGenesisFile",
    "InvalidKey",
    "InvalidMessage",
    "InvalidPreSeal",
    "InvalidSignature",
    "PreSealFailed",
    "UnsupportedKeyType",
    "WalletError",
    "WalletKeyExists",
    "WalletKeyNotFound",
    "ActorNotFound",
    "MessageRejected",
    "TipSetNotFound",
    "RandomnessUnavailable",
    "SectorNotFound",
    "ChainStoreError",
    "os_errors",
]


class ChainError(PylotusError):
    """Root of every error raised by :mod:`pylotus.chain`."""


class InvalidKey(ChainError):
    """A private key that is not a valid key of its type, or a key file that is not a hex KeyInfo."""


class UnsupportedKeyType(InvalidKey):
    """A well-formed key of a type pylotus does not implement (``bls``, ``delegated``, ledger keys)."""


class InvalidSignature(ChainError):
    """A signature that is malformed, of an unsupported type, or not made by the claimed address."""


class InvalidGenesisFile(ChainError):
    """A genesis template or pre-seal manifest that is not the Lotus JSON layout, or that conflicts
    with what it is combined with (a miner added out of id order)."""


class ChainFileError(ChainError):
    """Reading or writing a file failed at the OS level (missing, permissions, disk full)."""


class InvalidPreSeal(ChainError):
    """A pre-seal refused before anything is written: a non-ID miner address, a sector size pylotus
    does not pre-seal, no sectors, or sector files that already exist."""


class PreSealFailed(ChainError):
    """Sealing a pre-seal sector failed; the message names the sector and the cause."""


class InvalidCbor(ChainError):
    """Bytes that do not decode to exactly one canonical dag-cbor value (indefinite lengths, floats,
    tags other than 42, non-minimal integers, unsorted map keys, trailing bytes), or a value that
    cannot be encoded as one."""


class InvalidAmount(ChainError):
    """A FIL amount that Lotus's ``types.ParseFIL`` would refuse, a big integer string or byte form
    go-state-types would refuse, or an amount too large for its 128-byte wire form."""


class InvalidMessage(ChainError):
    """A chain message, signed message or receipt whose fields are out of range, or whose CBOR or
    Lotus JSON does not decode to one; the message names the field and the encoding."""


class WalletError(ChainError):
    """A wallet operation that was refused or whose keystore failed; the message says which."""


class WalletKeyNotFound(WalletError):
    """The wallet holds no key for the address (Lotus ``key info not found``), or has no default."""


class WalletKeyExists(WalletError):
    """``import`` of a key whose address the wallet already holds (Lotus ``key already exists``)."""


class ActorNotFound(ChainError):
    """No actor has the address in the state tree (Lotus ``types.ErrActorNotFound``)."""


class MessageRejected(ChainError):
    """A message refused before it changes any state: by the mpool on entry (bad signature, nonce
    too low or gap, not enough funds, gas limit, size) or by the VM when a block applies it."""


class TipSetNotFound(ChainError):
    """No tipset at the requested height or with the requested key in this node's chain."""


class RandomnessUnavailable(ChainError):
    """Randomness drawn for a round above the head (Lotus ``cannot draw randomness from the future``)."""


class SectorNotFound(ChainError):
    """A miner actor has no such sector, or no such pre-committed sector (Lotus ``not found``)."""


class ChainStoreError(ChainError):
    """The chain datastore holds a record that does not decode: the repo is damaged."""


@contextlib.contextmanager
def os_errors(what: str, path: Path | str) -> Iterator[None]:
    """Turn an ``OSError`` in the block into ``ChainFileError: cannot <what> '<path>': <reason>``.

    The one boundary where the filesystem's exceptions become ours in this package.
    """
    try:
        yield
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        reason = reason[:1].lower() + reason[1:]
        raise ChainFileError(f"cannot {what} '{os.fspath(path)}': {reason}") from exc
