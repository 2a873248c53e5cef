"""The genesis files of a devnet: the template and the pre-seal manifest, their JSON and how they are written.

Counterparts: Lotus ``genesis/types.go`` (``Template``, ``Miner``, ``PreSeal``, ``Actor``,
``AccountMeta``, ``MultisigMeta``), go-state-types ``builtin/v9/market/deal.go`` (``DealProposal``),
``cmd/lotus-seed/genesis.go`` (``genesis new``, ``genesis add-miner``) and ``chain/gen/gen.go`` (the
default verified-registry root key and remainder account); reference/lotus-miner.md §7 and §8.

Rules of the file:

* Field names, order and value shapes are Lotus's, so a template or manifest moves between Lotus and
  pylotus either way: addresses as ``t…`` strings, CIDs as ``{"/": …}``, token amounts as decimal
  strings of attoFIL, sizes and epochs as numbers, ``Timestamp`` left out when zero.  Files are
  indented by two spaces as Go's ``json.MarshalIndent`` does.
* Readers are strict about what they use (a wrong type is an :class:`InvalidGenesisFile` naming the
  field) and, as Go's decoder, ignore fields they do not know.  Older manifests (Lotus ≤ 0.4 had no
  ``ID``, ≤ 1.10 no ``DealClientKey``) still read.
* Every file is written to a temporary name, fsynced and renamed into place: a reader sees the old
  file or the new one, never half of one.  Pre-seal manifests hold the deal client's private key, so
  they are written 0600 (Lotus writes 0664); templates hold no secret and are 0644, as Lotus.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final, final

from multiformats import CID

from pylotus.abi import (
    DEVNET_NETWORK_VERSION,
    AbiError,
    Address,
    JsonObject,
    JsonValue,
    RegisteredSealProof,
    cid_from_json,
    cid_to_json,
)
from pylotus.repo import KeyInfo, KeystoreError, RepoError, write_atomic

from .errors import ChainFileError, InvalidGenesisFile, os_errors

__all__ = [
    "ACCOUNT_ACTOR",
    "DEFAULT_MINER_BALANCE_FIL",
    "FILECOIN_PRECISION",
    "MINER_START",
    "MULTISIG_ACTOR",
    "PRESEAL_FILE_MODE",
    "TEMPLATE_FILE_MODE",
    "Actor",
    "DealProposal",
    "Miner",
    "PreSeal",
    "Template",
    "add_miners",
    "new_template",
    "read_preseal_manifest",
    "read_template",
    "write_atomically",
    "write_preseal_manifest",
    "write_template",
]

log = logging.getLogger(__name__)

FILECOIN_PRECISION: Final = 10**18
"""attoFIL per FIL (Lotus ``build.FilecoinPrecision``)."""

MINER_START: Final = 1000
"""The first genesis miner's actor id (Lotus ``chain/gen/genesis.MinerStart``): t01000, t01001, …"""

DEFAULT_MINER_BALANCE_FIL: Final = 50_000_000
"""FIL given to each added miner's owner (``lotus-seed genesis add-miner --balance`` default)."""

ACCOUNT_ACTOR: Final = "account"
MULTISIG_ACTOR: Final = "multisig"

PRESEAL_FILE_MODE: Final = 0o600
TEMPLATE_FILE_MODE: Final = 0o644

# chain/gen/gen.go: remAccTestKey, the one signer of the default remainder account and verifreg root.
_DEFAULT_ROOT_SIGNER: Final = "t1ceb34gnsc6qk5dt6n7xg6ycwzasjhbxm3iylkiy"
_EMPTY_ADDRESS: Final = "<empty>"  # go-address's JSON for address.Undef


# -- field readers: each names the field it refuses ---------------------------------------------------


def _obj(value: JsonValue, where: str) -> JsonObject:
    if not isinstance(value, dict):
        raise InvalidGenesisFile(f"'{where}' must be a json object")
    return value


def _field(obj: JsonObject, key: str, where: str) -> JsonValue:
    if key not in obj:
        raise InvalidGenesisFile(f"'{where}.{key}' is missing")
    return obj[key]


def _int(obj: JsonObject, key: str, where: str, *, default: int | None = None, low: int = 0) -> int:
    value = obj.get(key, default) if default is not None else _field(obj, key, where)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidGenesisFile(f"'{where}.{key}' must be an integer ≥ {low}, got {value!r:.40}")
    return value


def _str(obj: JsonObject, key: str, where: str) -> str:
    value = _field(obj, key, where)
    if not isinstance(value, str):
        raise InvalidGenesisFile(f"'{where}.{key}' must be a string, got {value!r:.40}")
    return value


def _bool(obj: JsonObject, key: str, where: str) -> bool:
    value = _field(obj, key, where)
    if not isinstance(value, bool):
        raise InvalidGenesisFile(f"'{where}.{key}' must be true or false, got {value!r:.40}")
    return value


def _token_amount(obj: JsonObject, key: str, where: str) -> int:
    """A big int as Lotus writes it: a decimal string (a JSON number is accepted too, as Go does)."""
    value = _field(obj, key, where)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit() and value.isascii():
        return int(value)
    raise InvalidGenesisFile(f"'{where}.{key}' must be a decimal string of attoFIL, got {value!r:.40}")


def _address(obj: JsonObject, key: str, where: str) -> Address:
    try:
        return Address.from_json(_field(obj, key, where))
    except AbiError as exc:
        raise InvalidGenesisFile(f"'{where}.{key}': {exc}") from None


def _cid(obj: JsonObject, key: str, where: str) -> CID:
    try:
        return cid_from_json(_field(obj, key, where))
    except AbiError as exc:
        raise InvalidGenesisFile(f"'{where}.{key}': {exc}") from None


def _list(obj: JsonObject, key: str, where: str) -> list[JsonValue]:
    value = obj.get(key)
    if value is None:  # Go writes a nil slice as null
        return []
    if not isinstance(value, list):
        raise InvalidGenesisFile(f"'{where}.{key}' must be a json list")
    return value


# -- actors -------------------------------------------------------------------------------------------


@final
@dataclass(frozen=True, slots=True)
class Actor:
    """A genesis actor other than a miner (Lotus ``genesis.Actor``).

    ``meta`` is kept as the JSON it is (Lotus holds a ``json.RawMessage``): ``{"Owner": "t1…"}`` for
    an account, ``{"Signers": […], "Threshold": n, "VestingDuration": n, "VestingStart": n}`` for a
    multisig.
    """

    type: str
    balance: int
    meta: JsonValue

    @classmethod
    def account(cls, owner: Address, balance: int) -> Actor:
        """An account actor for key ``owner`` holding ``balance`` attoFIL."""
        return cls(ACCOUNT_ACTOR, balance, {"Owner": str(owner)})

    @classmethod
    def multisig(cls, signers: Iterable[Address], threshold: int, balance: int = 0) -> Actor:
        """A multisig actor without vesting (Lotus ``genesis.MultisigMeta``)."""
        meta: JsonObject = {
            "Signers": [str(signer) for signer in signers],
            "Threshold": threshold,
            "VestingDuration": 0,
            "VestingStart": 0,
        }
        return cls(MULTISIG_ACTOR, balance, meta)

    def to_json(self) -> JsonObject:
        return {"Type": self.type, "Balance": str(self.balance), "Meta": self.meta}

    @classmethod
    def from_json(cls, value: JsonValue, where: str = "Actor") -> Actor:
        obj = _obj(value, where)
        actor_type = _str(obj, "Type", where)
        if actor_type not in (ACCOUNT_ACTOR, MULTISIG_ACTOR):
            raise InvalidGenesisFile(
                f"'{where}.Type' must be 'account' or 'multisig', got '{actor_type:.40}'"
            )
        return cls(actor_type, _token_amount(obj, "Balance", where), obj.get("Meta"))


# -- miners and their pre-sealed sectors --------------------------------------------------------------


@final
@dataclass(frozen=True, slots=True)
class DealProposal:
    """A storage deal proposal (go-state-types v9 ``market.DealProposal``); amounts in attoFIL."""

    piece_cid: CID
    piece_size: int
    client: Address
    provider: Address
    label: str
    start_epoch: int
    end_epoch: int
    verified_deal: bool = False
    storage_price_per_epoch: int = 0
    provider_collateral: int = 0
    client_collateral: int = 0

    def to_json(self) -> JsonObject:
        return {
            "PieceCID": cid_to_json(self.piece_cid),
            "PieceSize": self.piece_size,
            "VerifiedDeal": self.verified_deal,
            "Client": str(self.client),
            "Provider": str(self.provider),
            "Label": self.label,
            "StartEpoch": self.start_epoch,
            "EndEpoch": self.end_epoch,
            "StoragePricePerEpoch": str(self.storage_price_per_epoch),
            "ProviderCollateral": str(self.provider_collateral),
            "ClientCollateral": str(self.client_collateral),
        }

    @classmethod
    def from_json(cls, value: JsonValue, where: str = "Deal") -> DealProposal:
        obj = _obj(value, where)
        return cls(
            piece_cid=_cid(obj, "PieceCID", where),
            piece_size=_int(obj, "PieceSize", where),
            verified_deal=_bool(obj, "VerifiedDeal", where),
            client=_address(obj, "Client", where),
            provider=_address(obj, "Provider", where),
            label=_str(obj, "Label", where),
            start_epoch=_int(obj, "StartEpoch", where, low=-(2**63)),
            end_epoch=_int(obj, "EndEpoch", where, low=-(2**63)),
            storage_price_per_epoch=_token_amount(obj, "StoragePricePerEpoch", where),
            provider_collateral=_token_amount(obj, "ProviderCollateral", where),
            client_collateral=_token_amount(obj, "ClientCollateral", where),
        )


def _key_info_json(key: KeyInfo | None) -> JsonObject:
    if key is None:  # Go's zero KeyInfo
        return {"Type": "", "PrivateKey": None}
    doc = json.loads(key.to_json())
    assert isinstance(doc, dict)
    return doc


def _key_info(obj: JsonObject, key: str, where: str) -> KeyInfo | None:
    value = obj.get(key)
    if value is None or (isinstance(value, dict) and not value.get("Type")):
        return None  # absent (manifests before Lotus 1.11) or Go's zero value
    try:
        return KeyInfo.from_json(json.dumps(value))
    except KeystoreError as exc:
        raise InvalidGenesisFile(f"'{where}.{key}': {exc}") from None


@final
@dataclass(frozen=True, slots=True)
class PreSeal:
    """One pre-sealed sector of a genesis miner (Lotus ``genesis.PreSeal``).

    ``deal_client_key`` is the private key of the deal's client (Lotus adds it so genesis can sign the
    deal); it is secret, which is why manifests are written 0600.
    """

    comm_r: CID
    comm_d: CID
    sector_id: int
    deal: DealProposal
    proof_type: RegisteredSealProof
    deal_client_key: KeyInfo | None = field(default=None, repr=False)

    def to_json(self) -> JsonObject:
        return {
            "CommR": cid_to_json(self.comm_r),
            "CommD": cid_to_json(self.comm_d),
            "SectorID": self.sector_id,
            "Deal": self.deal.to_json(),
            "DealClientKey": _key_info_json(self.deal_client_key),
            "ProofType": int(self.proof_type),
        }

    @classmethod
    def from_json(cls, value: JsonValue, where: str = "PreSeal") -> PreSeal:
        obj = _obj(value, where)
        try:
            proof = RegisteredSealProof.from_json(_field(obj, "ProofType", where))
        except AbiError as exc:
            raise InvalidGenesisFile(f"'{where}.ProofType': {exc}") from None
        return cls(
            comm_r=_cid(obj, "CommR", where),
            comm_d=_cid(obj, "CommD", where),
            sector_id=_int(obj, "SectorID", where),
            deal=DealProposal.from_json(_field(obj, "Deal", where), f"{where}.Deal"),
            proof_type=proof,
            deal_client_key=_key_info(obj, "DealClientKey", where),
        )


@final
@dataclass(frozen=True, slots=True)
class Miner:
    """A genesis miner and its pre-sealed sectors (Lotus ``genesis.Miner``); balances in attoFIL.

    ``id`` is ``None`` only for manifests older than Lotus 0.5, which keyed the miner by address alone.
    ``peer_id`` is the libp2p peer ID string (``12D3KooW…``).
    """

    id: Address | None
    owner: Address
    worker: Address
    peer_id: str
    sector_size: int
    sectors: tuple[PreSeal, ...]
    market_balance: int = 0
    power_balance: int = 0

    def to_json(self) -> JsonObject:
        return {
            "ID": str(self.id) if self.id is not None else _EMPTY_ADDRESS,
            "Owner": str(self.owner),
            "Worker": str(self.worker),
            "PeerId": self.peer_id,
            "MarketBalance": str(self.market_balance),
            "PowerBalance": str(self.power_balance),
            "SectorSize": self.sector_size,
            "Sectors": [sector.to_json() for sector in self.sectors],
        }

    @classmethod
    def from_json(cls, value: JsonValue, where: str = "Miner") -> Miner:
        obj = _obj(value, where)
        miner_id = None if obj.get("ID") in (None, _EMPTY_ADDRESS) else _address(obj, "ID", where)
        sectors = _list(obj, "Sectors", where)
        return cls(
            id=miner_id,
            owner=_address(obj, "Owner", where),
            worker=_address(obj, "Worker", where),
            peer_id=_str(obj, "PeerId", where),
            market_balance=_token_amount(obj, "MarketBalance", where),
            power_balance=_token_amount(obj, "PowerBalance", where),
            sector_size=_int(obj, "SectorSize", where),
            sectors=tuple(
                PreSeal.from_json(sector, f"{where}.Sectors[{index}]") for index, sector in enumerate(sectors)
            ),
        )


# -- the template -------------------------------------------------------------------------------------


@final
@dataclass(frozen=True, slots=True)
class Template:
    """A genesis template (Lotus ``genesis.Template``): what ``lotus daemon --genesis-template`` reads.

    ``timestamp`` is Unix seconds, 0 for "when the genesis block is made" (left out of the JSON).
    """

    network_version: int
    accounts: tuple[Actor, ...]
    miners: tuple[Miner, ...]
    network_name: str
    verifreg_root_key: Actor
    remainder_account: Actor
    timestamp: int = 0

    def to_json(self) -> JsonObject:
        doc: JsonObject = {
            "NetworkVersion": self.network_version,
            "Accounts": [actor.to_json() for actor in self.accounts],
            "Miners": [miner.to_json() for miner in self.miners],
            "NetworkName": self.network_name,
        }
        if self.timestamp:
            doc["Timestamp"] = self.timestamp
        doc["VerifregRootKey"] = self.verifreg_root_key.to_json()
        doc["RemainderAccount"] = self.remainder_account.to_json()
        return doc

    @classmethod
    def from_json(cls, value: JsonValue, where: str = "Template") -> Template:
        obj = _obj(value, where)
        accounts = _list(obj, "Accounts", where)
        miners = _list(obj, "Miners", where)
        return cls(
            network_version=_int(obj, "NetworkVersion", where),
            accounts=tuple(Actor.from_json(a, f"{where}.Accounts[{i}]") for i, a in enumerate(accounts)),
            miners=tuple(Miner.from_json(m, f"{where}.Miners[{i}]") for i, m in enumerate(miners)),
            network_name=_str(obj, "NetworkName", where),
            timestamp=_int(obj, "Timestamp", where, default=0),
            verifreg_root_key=Actor.from_json(
                _field(obj, "VerifregRootKey", where), f"{where}.VerifregRootKey"
            ),
            remainder_account=Actor.from_json(
                _field(obj, "RemainderAccount", where), f"{where}.RemainderAccount"
            ),
        )


def new_template(
    network_name: str | None = None,
    timestamp: int = 0,
    network_version: int = DEVNET_NETWORK_VERSION,
) -> Template:
    """An empty template, as ``lotus-seed genesis new``.

    Args:
        network_name: defaults to ``localnet-<random uuid>``, as Lotus.
        timestamp: genesis time in Unix seconds; 0 leaves it to the node.
        network_version: pylotus's devnet version (Lotus writes its build's ``GenesisNetworkVersion``).
    """
    root = Address.from_string(_DEFAULT_ROOT_SIGNER)
    return Template(
        network_version=network_version,
        accounts=(),
        miners=(),
        network_name=network_name or f"localnet-{uuid.uuid4()}",
        timestamp=timestamp,
        verifreg_root_key=Actor.multisig([root], threshold=1),
        remainder_account=Actor.multisig([root], threshold=1),
    )


def add_miners(
    template: Template, manifest: Mapping[Address, Miner], balance_fil: int = DEFAULT_MINER_BALANCE_FIL
) -> Template:
    """Add the miners of a pre-seal manifest and fund each owner, as ``lotus-seed genesis add-miner``.

    Genesis creates miners with consecutive ids from :data:`MINER_START`, so each miner must be the
    next one: t01000 into an empty template, t01001 after it.  Miners of one manifest are added in id
    order (Lotus walks a Go map, in random order).  Each owner gets an account with ``balance_fil``.

    Raises:
        InvalidGenesisFile: a miner out of order, not an ID address, or whose ``ID`` field disagrees
            with the manifest key.  The template is not changed.
    """
    miners, accounts = list(template.miners), list(template.accounts)
    for address in sorted(manifest, key=_sort_key):
        miner = manifest[address]
        expected = MINER_START + len(miners)
        if any(existing.id == address for existing in miners):
            raise InvalidGenesisFile(f"miner '{address}' is already in the genesis template")
        if _sort_key(address) != expected:
            raise InvalidGenesisFile(
                f"tried to set miner '{address}' as 't0{expected}': genesis miners get consecutive ids "
                f"from t0{MINER_START}; pre-seal with --miner-addr t0{expected}"
            )
        if miner.id is not None and miner.id != address:
            raise InvalidGenesisFile(f"pre-seal manifest key '{address}' holds miner '{miner.id}'")
        log.info("adding miner to genesis template miner=%s sectors=%d", address, len(miner.sectors))
        miners.append(replace(miner, id=address))
        log.info("giving owner some initial balance owner=%s fil=%d", miner.owner, balance_fil)
        accounts.append(Actor.account(miner.owner, balance_fil * FILECOIN_PRECISION))
    return replace(template, miners=tuple(miners), accounts=tuple(accounts))


def _sort_key(address: Address) -> int:
    try:
        return address.id()
    except AbiError:
        raise InvalidGenesisFile(
            f"genesis miner '{address}' is not an ID address (t0…); "
            f"pre-seal with --miner-addr t0{MINER_START}"
        ) from None


# -- files --------------------------------------------------------------------------------------------


def write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` with exactly ``mode``: temporary file, fsync, rename, fsync the directory.

    A crash at any instant leaves the old file or the new one; the temporary file has ``mode`` from
    creation, so a secret is never readable by others (the recipe is :func:`pylotus.repo.write_atomic`).

    Raises:
        ChainFileError: the directory is missing or not writable, the disk is full.
    """
    try:
        write_atomic(path, data, mode)
    except RepoError as exc:
        raise ChainFileError(str(exc)) from None


def _dump(doc: JsonValue) -> bytes:
    # Go's MarshalIndent: two spaces, UTF-8 as is, no trailing newline.
    return json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")


def _load(path: Path, what: str) -> JsonValue:
    with os_errors(f"read {what}", path):
        raw = path.read_bytes()
    try:
        value: JsonValue = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidGenesisFile(f"{what} '{path}' is not json: {exc}") from None
    return value


def read_template(path: Path) -> Template:
    """Read a genesis template file.

    Raises:
        ChainFileError: it cannot be read.
        InvalidGenesisFile: not JSON, or not the Lotus template layout (the message names the field).
    """
    value = _load(path, "genesis template")
    try:
        return Template.from_json(value)
    except InvalidGenesisFile as exc:
        raise InvalidGenesisFile(f"genesis template '{path}': {exc}") from None


def write_template(path: Path, template: Template) -> None:
    """Write ``template`` to ``path`` (0644, atomically), replacing any file there, as Lotus."""
    write_atomically(path, _dump(template.to_json()), TEMPLATE_FILE_MODE)


def read_preseal_manifest(path: Path) -> dict[Address, Miner]:
    """Read a ``pre-seal-<miner>.json`` file: the miners it holds, by miner address.

    Raises:
        ChainFileError: it cannot be read.
        InvalidGenesisFile: not JSON, a key that is not an address, or a miner not in Lotus's layout.
    """
    value = _load(path, "pre-seal manifest")
    try:
        obj = _obj(value, "manifest")
        manifest: dict[Address, Miner] = {}
        for key, miner in obj.items():
            try:
                address = Address.from_string(key)
            except AbiError as exc:
                raise InvalidGenesisFile(f"key '{key:.40}': {exc}") from None
            manifest[address] = Miner.from_json(miner, str(address))
    except InvalidGenesisFile as exc:
        raise InvalidGenesisFile(f"pre-seal manifest '{path}': {exc}") from None
    return manifest


def write_preseal_manifest(path: Path, manifest: Mapping[Address, Miner]) -> None:
    """Write a pre-seal manifest, 0600 and atomically: ``{"t01000": {…Miner…}}`` (``WriteGenesisMiner``)."""
    doc: JsonObject = {str(address): miner.to_json() for address, miner in manifest.items()}
    write_atomically(path, _dump(doc), PRESEAL_FILE_MODE)
