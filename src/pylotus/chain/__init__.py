"""The devnet full node's building blocks: keys and signatures, messages, amounts, the wallet, pre-seal.

Counterpart: Lotus ``chain/`` (types, wallet, messagesigner), ``lib/sigs``, ``cmd/lotus-seed`` and
``genesis``; issue #7 adds the chain itself (state, actors, mpool, block production, the FullNode
API) on top of these.  Import from here, not from the modules.
"""

from __future__ import annotations

from .actor_power import POWER_ID as POWER_ID
from .api import FULLNODE_TABLE as FULLNODE_TABLE
from .api import FullNodeApi as FullNodeApi
from .api import FullNodeClient as FullNodeClient
from .bigint import FIL_PRECISION as FIL_PRECISION
from .bigint import TokenAmount as TokenAmount
from .bigint import parse_fil as parse_fil
from .crypto import KEY_TYPE_BLS as KEY_TYPE_BLS
from .crypto import KEY_TYPE_SECP256K1 as KEY_TYPE_SECP256K1
from .crypto import Signature as Signature
from .crypto import SigType as SigType
from .crypto import key_address as key_address
from .crypto import new_secp256k1_key as new_secp256k1_key
from .crypto import sign as sign
from .crypto import verify as verify
from .errors import ActorNotFound as ActorNotFound
from .errors import ChainError as ChainError
from .errors import ChainStoreError as ChainStoreError
from .errors import InvalidAmount as InvalidAmount
from .errors import InvalidCbor as InvalidCbor
from .errors import InvalidGenesisFile as InvalidGenesisFile
from .errors import InvalidKey as InvalidKey
from .errors import InvalidMessage as InvalidMessage
from .errors import InvalidPreSeal as InvalidPreSeal
from .errors import InvalidSignature as InvalidSignature
from .errors import MessageRejected as MessageRejected
from .errors import PreSealFailed as PreSealFailed
from .errors import RandomnessUnavailable as RandomnessUnavailable
from .errors import SectorNotFound as SectorNotFound
from .errors import TipSetNotFound as TipSetNotFound
from .errors import UnsupportedKeyType as UnsupportedKeyType
from .errors import WalletError as WalletError
from .errors import WalletKeyExists as WalletKeyExists
from .errors import WalletKeyNotFound as WalletKeyNotFound
from .exitcode import ExitCode as ExitCode
from .exitcode import exit_code_name as exit_code_name
from .miner_state import MINER_CODE as MINER_CODE
from .miner_state import MinerState as MinerState
from .mpool import Mpool as Mpool
from .node import ChainNode as ChainNode
from .node import MsgLookup as MsgLookup
from .randomness import ChainRandomness as ChainRandomness
from .randomness import DomainSeparationTag as DomainSeparationTag
from .randomness import draw_randomness as draw_randomness
from .runtime import ChainContext as ChainContext
from .state import StateTree as StateTree
from .tipset import BlockHeader as BlockHeader
from .tipset import TipSet as TipSet
from .types import Message as Message
from .types import SignedMessage as SignedMessage
from .types import sign_message as sign_message
from .types import verify_signed as verify_signed
from .types_receipt import MessageReceipt as MessageReceipt
from .vm import apply_message as apply_message
from .wallet import Wallet as Wallet

__all__ = [
    "FIL_PRECISION",
    "KEY_TYPE_BLS",
    "KEY_TYPE_SECP256K1",
    "ChainError",
    "ExitCode",
    "InvalidAmount",
    "InvalidCbor",
    "InvalidGenesisFile",
    "InvalidKey",
    "InvalidMessage",
    "InvalidPreSeal",
    "InvalidSignature",
    "Message",
    "MessageReceipt",
    "PreSealFailed",
    "SigType",
    "SignedMessage",
    "Signature",
    "TokenAmount",
    "UnsupportedKeyType",
    "Wallet",
    "WalletError",
    "WalletKeyExists",
    "WalletKeyNotFound",
    "exit_code_name",
    "key_address",
    "new_secp256k1_key",
    "parse_fil",
    "sign",
    "sign_message",
    "verify",
    "verify_signed",
    # issue #7, the chain itself
    "FULLNODE_TABLE",
    "ActorNotFound",
    "BlockHeader",
    "ChainNode",
    "ChainStoreError",
    "FullNodeApi",
    "FullNodeClient",
    "MessageRejected",
    "Mpool",
    "MsgLookup",
    "StateTree",
    "TipSet",
    "TipSetNotFound",
    "apply_message",
    # issue #7, randomness, power and miner actors
    "MINER_CODE",
    "POWER_ID",
    "ChainContext",
    "ChainRandomness",
    "DomainSeparationTag",
    "MinerState",
    "RandomnessUnavailable",
    "SectorNotFound",
    "draw_randomness",
]
