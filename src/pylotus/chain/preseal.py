"""Pre-sealing: real sectors of random data for a genesis miner, and the files that describe them.

Counterpart: Lotus ``cmd/lotus-seed/seed/seed.go`` (``PreSeal``, ``presealSector``,
``WriteGenesisMiner``, ``createDeals``) and ``cmd/lotus-seed/main.go`` (``pre-seal``, reading
``--key``); reference/lotus-miner.md §7.  The steps and the files are Lotus's:

* for sector numbers ``offset … offset+n-1`` of the miner: AddPiece of one piece of random data
  filling the sector, PreCommit1 with ticket ``blake2b-256(ticket preimage)``, PreCommit2, Finalize
  (the layers, tree_c and tree_d go) and removal of the unsealed file, with the real kernels of
  :mod:`pylotus.proofs`.  The sector directory then holds ``sealed/s-t0<id>-<n>``,
  ``cache/s-t0<id>-<n>/`` (``p_aux``, ``t_aux``, tree_r_last) and an empty ``unsealed/``;
* ``sectorstore.json``: a read-only storage path (``Weight`` 0, ``CanSeal`` and ``CanStore`` false,
  a fresh ``ID``), so a miner can attach the directory to prove the sectors without ever sealing or
  storing new ones there;
* ``pre-seal-t0<id>.json``: the manifest (:class:`~pylotus.chain.genesis_template.Miner`), one
  deal per sector from the owner key to the miner (``PieceCID`` = CommD, ``Label`` its index,
  epochs 0–9001, all amounts zero);
* ``pre-seal-t0<id>.key``: hex of the owner key's KeyInfo JSON, what ``pylotus wallet import`` (and
  ``lotus wallet import``) reads.

Where pylotus differs, and why:

* the owner/worker key is secp256k1 (Lotus makes a BLS one): pylotus has no BLS, see
  :mod:`pylotus.chain.crypto`.  ``--key`` accepts any secp256k1 KeyInfo file;
* ``--fake-sectors`` (FauxRep) is not offered: every pre-sealed sector is real, and a 2KiB one seals
  in about a second;
* existing sector files are never overwritten (Lotus would silently re-seal them, breaking any chain
  whose genesis names the old CommR); an existing ``sectorstore.json`` is kept, so a second miner
  pre-sealed into the same directory does not change the path's ID; if sealing fails, the sectors of
  this run are removed and the error names the sector; the manifest and key file are written only
  after every sector sealed, atomically and 0600 (they hold the private key; Lotus writes 0664).
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, final

from multiformats import CID

from pylotus.abi import (
    ActorID,
    Address,
    RegisteredSealProof,
    SectorID,
    SectorNumber,
    UnpaddedPieceSize,
    sector_name,
    size_str,
)
from pylotus.errors import PylotusError
from pylotus.proofs import (
    SectorPaths,
    add_piece,
    finalize_sector,
    sdr_params,
    seal_pre_commit1,
    seal_pre_commit2,
)
from pylotus.repo import KeyInfo, KeystoreError, peer_id_of_seed, peer_id_text

from .crypto import key_address, new_secp256k1_key
from .errors import InvalidKey, InvalidPreSeal, PreSealFailed, os_errors
from .genesis_template import (
    PRESEAL_FILE_MODE,
    DealProposal,
    Miner,
    PreSeal,
    write_atomically,
    write_preseal_manifest,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

__all__ = [
    "DEAL_END_EPOCH",
    "DEFAULT_TICKET_PREIMAGE",
    "PRESEAL_SECTOR_SIZES",
    "PHASES",
    "PreSealOutput",
    "SealProgress",
    "check_pre_seal",
    "dummy_peer_id",
    "key_file_text",
    "manifest_path",
    "pre_seal",
    "preseal_ticket",
    "read_key_file",
    "write_genesis_miner",
]

log = logging.getLogger(__name__)

DEFAULT_TICKET_PREIMAGE: Final = "lotus is fire"
"""``lotus-seed pre-seal --ticket-preimage`` default."""

DEAL_END_EPOCH: Final = 9001
"""End epoch of each genesis deal (seed.go ``createDeals``)."""

PRESEAL_SECTOR_SIZES: Final = (2 << 10, 8 << 20, 512 << 20)
"""Sizes pylotus pre-seals: those its kernels are checked against (DESIGN.md).  A 32GiB sector is
valid Filecoin but would take days of pure Python and ~400 GiB of scratch space."""

PHASES: Final = ("AddPiece", "PreCommit1", "PreCommit2", "Finalize")
"""The steps of one sector, in order, as :class:`SealProgress` reports them."""

SECTOR_STORE_FILE: Final = "sectorstore.json"  # Lotus paths.MetaFile
_SECTOR_STORE_MODE: Final = 0o644
_FILE_TYPES: Final = ("unsealed", "sealed", "cache")


@final
@dataclass(frozen=True, slots=True)
class SealProgress:
    """Where a pre-seal stands: sector ``index`` (0-based) of ``total`` is entering ``phase``.

    ``phase`` is one of :data:`PHASES`, or ``"done"`` once the sector is sealed.
    """

    index: int
    total: int
    sector: SectorID
    phase: str


@final
@dataclass(frozen=True, slots=True)
class PreSealOutput:
    """What :func:`pre_seal` made: the genesis miner (its manifest entry) and its owner key."""

    miner: Miner
    key: KeyInfo


# -- small pieces ---------------------------------------------------------------------------------------


def preseal_ticket(preimage: bytes) -> bytes:
    """The sealing ticket of every pre-sealed sector: ``blake2b-256(preimage)`` (seed.go)."""
    return hashlib.blake2b(preimage, digest_size=32).digest()


def read_key_file(path: Path) -> KeyInfo:
    """Read a key file as ``lotus-seed pre-seal --key`` does: hex of a KeyInfo JSON.

    Surrounding whitespace is ignored (Lotus refuses a trailing newline; editors add one).

    Raises:
        ChainFileError: the file cannot be read.
        InvalidKey: not hex, not a KeyInfo; UnsupportedKeyType: not a secp256k1 key.
    """
    with os_errors("read key file", path):
        text = path.read_bytes()
    try:
        raw = bytes.fromhex(text.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise InvalidKey(f"key file '{path}' is not hex of a KeyInfo json") from None
    try:
        key = KeyInfo.from_json(raw)
    except KeystoreError as exc:
        raise InvalidKey(f"key file '{path}': {exc}") from None
    key_address(key)  # refuses unsupported types and bad scalars, with the reason
    return key


def key_file_text(key: KeyInfo) -> bytes:
    """The ``.key`` file content: hex of the compact KeyInfo JSON, as Lotus's ``json.Marshal``."""
    doc = json.loads(key.to_json())
    return json.dumps(doc, separators=(",", ":")).encode().hex().encode("ascii")


def manifest_path(sector_dir: Path, miner: Address) -> Path:
    """``<sector_dir>/pre-seal-<miner>.json``."""
    return sector_dir / f"pre-seal-{miner}.json"


def dummy_peer_id() -> str:
    """A peer ID for a key nobody keeps, as seed.go's "PeerID not specified, generating dummy".

    ``lotus-miner init --genesis-miner`` replaces it on chain with the miner's own (``ChangePeerID``).
    """
    return peer_id_text(peer_id_of_seed(os.urandom(32)))


class _RandomData(io.RawIOBase):
    """An endless stream of OS randomness: the pre-sealed pieces' data (seed.go reads crypto/rand)."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        view[:] = os.urandom(len(view))
        return len(view)


# -- the pre-seal -------------------------------------------------------------------------------------


def _sector_files(sector_dir: Path, sector: SectorID) -> SectorPaths:
    name = sector_name(sector)
    unsealed, sealed, cache = (sector_dir / file_type / name for file_type in _FILE_TYPES)
    return SectorPaths(unsealed, sealed, cache)


def check_pre_seal(
    sector_dir: Path, miner: Address, proof: RegisteredSealProof, num_sectors: int, sector_offset: int
) -> None:
    """Refuse a pre-seal that cannot succeed, before anything is written.

    Raises:
        InvalidPreSeal: the miner is not an ID address, the size is not one pylotus pre-seals, fewer than
            one sector or numbers past 2^63-1, or a sector's files already exist.
        ProofsError: the proof type cannot be sealed by :mod:`pylotus.proofs`.
    """
    miner_id = _miner_id(miner)
    if int(proof.sector_size) not in PRESEAL_SECTOR_SIZES:
        sizes = ", ".join(size_str(size) for size in PRESEAL_SECTOR_SIZES)
        raise InvalidPreSeal(
            f"cannot pre-seal {size_str(int(proof.sector_size))} sectors: "
            f"pylotus pre-seals real sectors of {sizes}"
        )
    sdr_params(proof)
    if num_sectors < 1:
        raise InvalidPreSeal(f"cannot pre-seal '{num_sectors}' sectors: need at least 1")
    if sector_offset < 0 or sector_offset + num_sectors - 1 >= 2**63:
        raise InvalidPreSeal(
            f"sector numbers from '{sector_offset}' for '{num_sectors}' sectors leave 0..2^63-1"
        )
    for number in range(sector_offset, sector_offset + num_sectors):
        paths = _sector_files(sector_dir, SectorID(ActorID(miner_id), SectorNumber(number)))
        for path in (paths.unsealed, paths.sealed, paths.cache):
            if path.exists():
                raise InvalidPreSeal(
                    f"sector file '{path}' already exists; pre-seal into another --sector-dir "
                    "or skip its numbers with --sector-offset"
                )


def _miner_id(miner: Address) -> int:
    try:
        return miner.id()
    except PylotusError:
        raise InvalidPreSeal(
            f"miner address '{miner}' is not an ID address (t0…); use e.g. 't01000'"
        ) from None


def pre_seal(
    sector_dir: Path,
    miner: Address,
    proof: RegisteredSealProof,
    *,
    num_sectors: int = 1,
    sector_offset: int = 0,
    ticket_preimage: bytes = DEFAULT_TICKET_PREIMAGE.encode(),
    key: KeyInfo | None = None,
    parent_cache_dir: Path | None = None,
    progress: Callable[[SealProgress], None] | None = None,
) -> PreSealOutput:
    """Seal ``num_sectors`` sectors of random data for ``miner`` into ``sector_dir`` (seed.go ``PreSeal``).

    Writes the sector files and ``sectorstore.json``; the manifest and key file are
    :func:`write_genesis_miner`'s job, as in Lotus.  Blocks for the whole sealing (about a second per
    2KiB sector, once the SDR parent cache exists).

    Args:
        sector_dir: created if missing; ``sealed/``, ``cache/``, ``unsealed/`` go in it.
        miner: the future miner's ID address (the prover id in the replica id).
        proof: the seal proof type (from sector size and network version).
        key: the owner/worker key; a new secp256k1 key if ``None``.
        parent_cache_dir: where the SDR parent cache lives (default: ``$PYLOTUS_PARENT_CACHE``, …).
        progress: called as each sector enters each phase of :data:`PHASES`, then with ``"done"``.

    Raises:
        InvalidPreSeal: as :func:`check_pre_seal`, before anything is written.
        InvalidKey: ``key`` cannot be used.
        PreSealFailed: sealing a sector failed; every sector of this run has been removed.
        ChainFileError: the directory or ``sectorstore.json`` could not be written.

    *Cancellation* (KeyboardInterrupt): the sectors of this run are removed before it propagates.
    """
    check_pre_seal(sector_dir, miner, proof, num_sectors, sector_offset)
    key = key if key is not None else new_secp256k1_key()
    owner = key_address(key)
    miner_id = _miner_id(miner)
    with os_errors("create sector directory", sector_dir):
        for file_type in _FILE_TYPES:
            (sector_dir / file_type).mkdir(parents=True, exist_ok=True)
    ticket = preseal_ticket(ticket_preimage)
    sectors: list[PreSeal] = []
    started: list[SectorPaths] = []
    try:
        for index in range(num_sectors):
            sector = SectorID(ActorID(miner_id), SectorNumber(sector_offset + index))
            paths = _sector_files(sector_dir, sector)
            started.append(paths)
            comm_r, comm_d = _seal_one(
                paths, sector, proof, ticket, parent_cache_dir, index, num_sectors, progress
            )
            deal = DealProposal(
                piece_cid=comm_d,
                piece_size=int(proof.sector_size),
                client=owner,
                provider=miner,
                label=str(index),
                start_epoch=0,
                end_epoch=DEAL_END_EPOCH,
            )
            sectors.append(PreSeal(comm_r, comm_d, sector.number, deal, proof, deal_client_key=key))
            log.info("sector pre-sealed sector=%s commr=%s commd=%s", sector, comm_r, comm_d)
            if progress is not None:
                progress(SealProgress(index, num_sectors, sector, "done"))
    except BaseException:
        for paths in started:
            _remove_sector(paths)
        raise
    _write_sector_store(sector_dir)
    miner_info = Miner(
        id=miner,
        owner=owner,
        worker=owner,
        peer_id=dummy_peer_id(),
        sector_size=int(proof.sector_size),
        sectors=tuple(sectors),
    )
    return PreSealOutput(miner_info, key)


def _seal_one(
    paths: SectorPaths,
    sector: SectorID,
    proof: RegisteredSealProof,
    ticket: bytes,
    parent_cache_dir: Path | None,
    index: int,
    total: int,
    progress: Callable[[SealProgress], None] | None,
) -> tuple[CID, CID]:
    """AddPiece, PC1, PC2, Finalize of one sector; ``(CommR, CommD)`` as CIDs.

    Raises:
        PreSealFailed: naming the sector, its place in the run and the phase that failed.
    """
    size = int(proof.sector_size)
    phase = PHASES[0]

    def enter(name: str) -> None:
        nonlocal phase
        phase = name
        if progress is not None:
            progress(SealProgress(index, total, sector, name))

    try:
        enter("AddPiece")
        with io.BufferedReader(_RandomData()) as data:
            piece = add_piece(paths.unsealed, [], UnpaddedPieceSize(size - size // 128), data, size)
        enter("PreCommit1")
        pc1 = seal_pre_commit1(
            proof, paths, sector.miner, sector.number, ticket, [piece], parent_cache_dir=parent_cache_dir
        )
        enter("PreCommit2")
        cids = seal_pre_commit2(proof, paths, pc1)
        enter("Finalize")
        finalize_sector(proof, paths.cache)
        paths.unsealed.unlink()
    except (PylotusError, OSError) as exc:
        raise PreSealFailed(
            f"pre-seal of sector '{sector}' ({index + 1} of {total}) failed in {phase}: {exc}; "
            "the sectors of this run were removed"
        ) from exc
    return cids.sealed, cids.unsealed


def _remove_sector(paths: SectorPaths) -> None:
    """Remove whatever of one sector's files exists (best effort: we are already failing)."""
    for path in (paths.unsealed, paths.sealed):
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("cannot remove sector file path=%s error=%s", path, exc)
    shutil.rmtree(paths.cache, ignore_errors=True)


def _write_sector_store(sector_dir: Path) -> None:
    """``sectorstore.json`` of a read-only path, unless the directory already has one (its ID stays)."""
    path = sector_dir / SECTOR_STORE_FILE
    if path.exists():
        log.info("keeping existing storage path metadata path=%s", path)
        return
    meta = {"ID": str(uuid.uuid4()), "Weight": 0, "CanSeal": False, "CanStore": False, "MaxStorage": 0}
    write_atomically(path, json.dumps(meta, indent=2).encode(), _SECTOR_STORE_MODE)


def write_genesis_miner(sector_dir: Path, miner: Address, output: PreSealOutput) -> tuple[Path, Path]:
    """Write ``pre-seal-<miner>.json`` and ``pre-seal-<miner>.key`` (seed.go ``WriteGenesisMiner``).

    Both are written atomically and 0600 (both hold the private key); an existing pair is replaced,
    as Lotus does.

    Returns:
        The manifest's and the key file's paths.

    Raises:
        ChainFileError: either could not be written.
    """
    manifest = manifest_path(sector_dir, miner)
    log.info("writing preseal manifest path=%s", manifest)
    write_preseal_manifest(manifest, {miner: output.miner})
    key_path = sector_dir / f"pre-seal-{miner}.key"
    write_atomically(key_path, key_file_text(output.key), PRESEAL_FILE_MODE)
    return manifest, key_path
