"""``pylotus-miner init``: make a miner repo and, unless given one, a miner actor on chain.

Counterpart: Lotus ``cmd/lotus-miner/init.go`` (reference/lotus-miner.md §1.2), step by step:

1. Local checks, before any network or long work: the sector size parses (``RAMInBytes``: ``2KiB``,
   ``2048``) and is a Filecoin size; the repo does not exist yet; the pre-seal metadata file reads
   and, with ``--actor``, holds that miner; the pre-sealed directories exist.
2. Proof parameters: pylotus needs no Groth parameters, only the SDR parent cache of the sector
   size, generated here (with progress) if it is missing.
3. The full node (``FULLNODE_API_INFO`` or the node repo): API version (major and minor must
   match), then sync unless ``--genesis-miner`` or ``--nosync``.
4. The repo: ``config.toml``, ``keystore/``, ``datastore/``; locked; ``storage.json`` lists the
   pre-sealed directories and, unless ``--no-local-storage``, the repo itself with a
   ``sectorstore.json`` (``Weight`` 10, seal and store).
5. The libp2p identity: an Ed25519 key in the keystore as ``libp2p-host`` (:mod:`pylotus.repo.hostkey`).
6. The metadata datastore: with ``--actor`` (genesis miner or not) the pre-seal metadata is imported
   (``/sectors/<n>`` records in ``Proving`` with their deal IDs from ``StateMarketDeals``,
   ``/storage/nextid``) and ``ChangePeerID`` is sent from the worker and waited for; without it,
   ``CreateMiner`` is sent to the power actor (the worker account created first with a 0 FIL send
   if the chain does not know it) and the new ID address kept.  ``/miner-address`` is written last.

Any failure after the repo exists removes the whole repo, so a retry starts clean.

Where pylotus differs: ``--create-worker-key`` makes a secp256k1 key (Lotus: BLS; pylotus's node
has no BLS signer), and the pre-seal import is done for a genesis miner *before* ``ChangePeerID``
(Lotus does it after); the order is invisible to the user and the import needs no chain message.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import trio

from ..abi import (
    AbiError,
    Address,
    PaddedPieceSize,
    RegisteredSealProof,
    cid_from_json,
    seal_proof_type_from_sector_size,
    window_post_proof_for,
)
from ..chain import dagcbor
from ..chain.bigint import TokenAmount
from ..chain.errors import ChainError
from ..chain.genesis_template import Miner, read_preseal_manifest
from ..chain.types import Message
from ..errors import PylotusError
from ..jsonrpc import JsonValue, RpcError
from ..proofs import StackedGraph, open_parent_cache, sdr_params
from ..repo import FsRepo, LockedRepo, RepoType, ensure_host_key, peer_id_text
from ..sealing.sector_info import DealInfo, SectorInfo, SectorPiece, SectorState
from ..sealing.sector_store import SectorStore
from ..stores import LocalStorageMeta, StorageID
from ..stores.fsutil import create_meta
from .errors import MinerInitError
from .fullnode import FullNode, check_version, open_full_node, wait_sync

__all__ = ["InitOptions", "MINER_ADDRESS_KEY", "init_miner"]

log = logging.getLogger(__name__)

MINER_ADDRESS_KEY: Final = "/miner-address"
POWER_ACTOR: Final = Address.new_id(4)
METHOD_SEND: Final = 0
METHOD_CREATE_MINER: Final = 2  # power actor
METHOD_CHANGE_PEER_ID: Final = 4  # miner actor
LOCAL_PATH_WEIGHT: Final = 10  # Lotus: the repo's own sectorstore.json


@dataclass(frozen=True)
class InitOptions:
    """The flags of ``init`` (reference §1.2), parsed."""

    sector_size: int
    actor: Address | None = None
    genesis_miner: bool = False
    owner: Address | None = None
    worker: Address | None = None
    create_worker_key: bool = False
    pre_sealed_sectors: tuple[Path, ...] = ()
    pre_sealed_metadata: Path | None = None
    nosync: bool = False
    no_local_storage: bool = False
    gas_premium: int = 0
    from_: Address | None = None
    parent_cache_dir: Path | None = None
    preseal: dict[Address, Miner] = field(default_factory=dict)


def check_local(repo_path: Path, opts: InitOptions) -> InitOptions:
    """Step 1: what can be checked without the network; returns ``opts`` with the pre-seal read.

    Raises:
        MinerInitError: the first problem, in one line.
    """
    try:
        seal_proof_type_from_sector_size(opts.sector_size)
    except AbiError as exc:
        raise MinerInitError(f"invalid --sector-size: {exc}") from None
    if FsRepo(repo_path, RepoType.STORAGE_MINER).exists():
        raise MinerInitError(f"repo at '{repo_path}' is already initialized")
    if opts.genesis_miner and opts.actor is None:
        raise MinerInitError("--genesis-miner needs --actor (the miner's address in the genesis)")
    for directory in opts.pre_sealed_sectors:
        if not directory.is_dir():
            raise MinerInitError(f"pre-sealed sectors directory '{directory}' does not exist")
    preseal: dict[Address, Miner] = {}
    if opts.pre_sealed_metadata is not None:
        try:
            preseal = read_preseal_manifest(opts.pre_sealed_metadata)
        except (ChainError, OSError) as exc:
            raise MinerInitError(f"reading pre-seal metadata: {exc}") from None
        if opts.actor is not None and opts.actor not in preseal:
            raise MinerInitError(f"preseal file didn't contain metadata for miner {opts.actor}")
    return InitOptions(**{**opts.__dict__, "preseal": preseal})


def ensure_parent_cache(sector_size: int, cache_dir: Path | None, echo: Callable[[str], None]) -> None:
    """Step 2: the SDR parent cache of ``sector_size``'s proof, generated if missing."""
    proof = seal_proof_type_from_sector_size(sector_size)
    graph = StackedGraph.for_params(sdr_params(proof))
    last = [-1]

    def progress(done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent // 10 != last[0]:
            last[0] = percent // 10
            echo(f"  parent cache: {percent}%")

    with open_parent_cache(graph, cache_dir, progress=progress):
        pass


async def init_miner(
    repo_path: Path, node_repo: Path, opts: InitOptions, echo: Callable[[str], None]
) -> Address:
    """Run ``init``; returns the miner's ID address.

    Raises:
        MinerInitError: a local check failed (nothing made), or a later step failed (repo removed).
        ApiInfoError, PylotusError: the full node cannot be reached or refused a call.
    """
    echo("Initializing pylotus miner")
    opts = check_local(repo_path, opts)
    echo("Checking proof parameters")
    await trio.to_thread.run_sync(ensure_parent_cache, opts.sector_size, opts.parent_cache_dir, echo)
    echo("Trying to connect to full node RPC")
    async with open_full_node(node_repo) as node:
        version = await check_version(node, exact=False)
        if not (opts.genesis_miner or opts.nosync):
            echo("Checking full node sync status")
            await wait_sync(node, version.block_delay, echo)
        echo("Initializing repo")
        fs = FsRepo(repo_path, RepoType.STORAGE_MINER)
        existed = repo_path.exists()
        before = set(os.listdir(repo_path)) if existed else set()
        try:
            fs.init()
            with fs.lock() as repo:
                address = await _populate(repo, node, opts, echo)
        except BaseException as exc:
            _undo(repo_path, existed, before)
            if isinstance(exc, PylotusError) and not isinstance(exc, MinerInitError):
                raise MinerInitError(f"Storage-miner init failed: {exc}") from exc
            raise
    echo(f"Miner successfully created ({address}), you can now start it with 'pylotus-miner run'")
    return address


def _undo(repo_path: Path, existed: bool, before: set[str]) -> None:
    """Remove what a failed ``init`` made, and only that: a directory the operator prepared (with
    a ``config.toml``, say) keeps what was in it."""
    if not existed:
        shutil.rmtree(repo_path, ignore_errors=True)
        return
    for name in set(os.listdir(repo_path)) - before:
        target = repo_path / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)


async def _populate(
    repo: LockedRepo, node: FullNode, opts: InitOptions, echo: Callable[[str], None]
) -> Address:
    paths = [str(p.expanduser().resolve()) for p in opts.pre_sealed_sectors]
    if not opts.no_local_storage:
        create_meta(repo.path, LocalStorageMeta(StorageID(str(uuid.uuid4())), LOCAL_PATH_WEIGHT, True, True))
        paths.append(str(repo.path.resolve()))
    repo.set_storage_config(paths)
    peer = ensure_host_key(repo.keystore)
    echo(f"Peer ID: {peer_id_text(peer)}")
    sectors = SectorStore(repo.datastore())
    if opts.actor is not None:
        address = opts.actor
        if opts.pre_sealed_metadata is not None:
            await _import_preseal(node, sectors, address, opts.preseal[address], echo)
        await _change_peer_id(node, address, peer, echo)
    else:
        address = await _create_miner(node, peer, opts, echo)
    repo.datastore().put(MINER_ADDRESS_KEY, address.to_bytes())
    return address


async def _change_peer_id(node: FullNode, miner: Address, peer: bytes, echo: Callable[[str], None]) -> None:
    info = await node.miner_info(miner)
    worker = Address.from_string(info["Worker"])
    params = dagcbor.encode([peer])
    message = Message(to=miner, from_=worker, method=METHOD_CHANGE_PEER_ID, params=params)
    echo(f"Sending ChangePeerID from worker {worker}")
    cid, _ = await node.send(message)
    echo(f"ChangePeerID landed: {cid}")


async def _import_preseal(
    node: FullNode, sectors: SectorStore, miner: Address, meta: Miner, echo: Callable[[str], None]
) -> None:
    """Lotus ``migratePreSealMeta``: one ``Proving`` record per pre-sealed sector, with its deal."""
    deals = await _market_deals_by_piece(node, miner)
    highest = -1
    for preseal in meta.sectors:
        deal_id = deals.get(str(preseal.comm_d))
        deal = None
        if deal_id is not None:
            deal = DealInfo(deal_id, preseal.deal.start_epoch, preseal.deal.end_epoch)
        piece = SectorPiece(PaddedPieceSize(meta.sector_size), preseal.comm_d, deal)
        info = SectorInfo(
            state=SectorState.PROVING,
            sector_number=preseal.sector_id,
            sector_type=preseal.proof_type,
            pieces=(piece,),
            comm_d=preseal.comm_d,
            comm_r=preseal.comm_r,
        ).logged("event;sealing.SectorImported", '{"From":"pre-seal"}')
        sectors.put(info)
        highest = max(highest, preseal.sector_id)
    if highest >= 0:
        sectors.set_last_number(highest)
    echo(f"Imported {len(meta.sectors)} pre-sealed sectors")


async def _market_deals_by_piece(node: FullNode, miner: Address) -> dict[str, int]:
    """Deal ID per piece CID (text) of ``miner``'s market deals (first deal per piece)."""
    deals: Any = await node.call("StateMarketDeals", None)
    out: dict[str, int] = {}
    provider = str(miner)
    for deal_id, deal in sorted(deals.items(), key=lambda kv: int(kv[0])):
        proposal = deal["Proposal"]
        if proposal["Provider"] == provider:
            out.setdefault(str(cid_from_json(proposal["PieceCID"])), int(deal_id))
    return out


async def _create_miner(
    node: FullNode, peer: bytes, opts: InitOptions, echo: Callable[[str], None]
) -> Address:
    owner = opts.owner or Address.from_string(str(await node.call("WalletDefaultAddress")))
    if opts.worker is not None:
        worker = opts.worker
    elif opts.create_worker_key:
        worker = Address.from_string(str(await node.call("WalletNew", "secp256k1")))
        echo(f"Created new worker key: {worker}")
    else:
        worker = owner
    try:
        await node.call("StateLookupID", worker, None)
    except RpcError as exc:
        if "not found" not in str(exc):
            raise
        echo(f"Initializing worker account {worker}")
        await node.send(Message(to=worker, from_=owner, method=METHOD_SEND))
    proof: RegisteredSealProof = seal_proof_type_from_sector_size(opts.sector_size)
    params = dagcbor.encode(
        [owner.to_bytes(), worker.to_bytes(), int(window_post_proof_for(proof)), peer, []]
    )
    sender = opts.from_ or owner
    message = Message(
        to=POWER_ACTOR,
        from_=sender,
        method=METHOD_CREATE_MINER,
        params=params,
        gas_premium=TokenAmount(opts.gas_premium),
    )
    echo(f"Pushing CreateMiner from {sender}")
    try:
        cid, ret = await node.send(message)
    except PylotusError as exc:
        raise MinerInitError(f"create miner failed: {exc}") from None
    value: JsonValue = dagcbor.decode(ret)  # type: ignore[assignment]
    id_address = Address.from_bytes(value[0])  # type: ignore[index,arg-type]
    robust = Address.from_bytes(value[1])  # type: ignore[index,arg-type]
    echo(f"New miners address is: {id_address} ({robust})")
    return id_address
