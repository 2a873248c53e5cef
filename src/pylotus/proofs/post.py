"""Proofs of Spacetime, vanilla level: Winning PoSt (block election) and Window PoSt (every deadline).

Counterpart: Lotus ``ffiwrapper`` / ``chain/proofs`` (``GenerateWinningPoStSectorChallenge``,
``GenerateWinningPoSt``, ``GenerateWindowPoSt``, ``VerifyWinningPoSt``, ``VerifyWindowPoSt``) over
rust-fil-proofs ``filecoin-proofs/src/api/{winning_post,window_post,post_util}.rs`` and
``storage-proofs-post/src/fallback/vanilla.rs``; reference/proofs.md §5.

A PoSt proves the prover still holds each challenged sector's replica: for each sector, leaves of
tree_r_last chosen by the randomness, each with its Merkle path to ``comm_r_last``, and ``comm_c`` so
the verifier can check ``Poseidon_2(comm_c, comm_r_last)`` against the sector's on-chain CommR.  The
leaves are read from the sealed file, so a replica that rotted on disk fails here, not on chain.

Randomness is masked (``randomness[31] &= 0x3f``) on the way in, as Lotus does before every PoSt call.
Challenge indices follow the proof's api version: Winning and Window ``V1`` (1.0.0) number challenges
across sectors (``sector_index·count + n``); Window ``V1_1`` (rust 1.2.0) restarts at 0 per sector.

Proof bytes, *pylotus vanilla PoSt proof v1* (one blob for all challenged sectors, integers big endian)::

    "PLVP"  u8 version=1  u8 PoSt proof id  u32 sector count
    per sector, in sector-number order (each sector once, as rust's ``BTreeMap`` of replicas):
        comm_c[32]  comm_r_last[32]
        per challenge: leaf[32]  siblings S × 32   (S = 7 per tree level, as in the seal proof)
"""

from __future__ import annotations

import hashlib
import logging
import struct
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

from multiformats import CID

from pylotus.abi import (
    AbiError,
    RegisteredPoStProof,
    RegisteredSealProof,
    cid_to_commr,
    seal_proof_type_from_sector_size,
)

from ..durable import open_fd
from .errors import InvalidFieldElement, InvalidProof, InvalidSealInput, ProofsError, SectorDataError, holds
from .merkle import NODE, MerklePath, TreeLayout, file_reader, path_root, read_compound_path
from .params import BASE_ARITY, ApiVersion, SdrParams, prover_id, sdr_params
from .porep import poseidon_group, tree_arities
from .poseidon import poseidon_hash_nodes
from .sector_files import read_p_aux, tree_r_last_file

__all__ = [
    "WINDOW_POST_CHALLENGE_COUNT",
    "WINNING_POST_CHALLENGE_COUNT",
    "PoStProof",
    "PrivateSectorInfo",
    "SectorInfo",
    "WindowPoStVerifyInfo",
    "WinningPoStVerifyInfo",
    "check_window_post",
    "check_winning_post",
    "generate_window_post",
    "generate_winning_post",
    "generate_winning_post_sector_challenge",
    "verify_window_post",
    "verify_winning_post",
]

log = logging.getLogger(__name__)

WINNING_POST_CHALLENGE_COUNT: Final = 66
WINNING_POST_SECTOR_COUNT: Final = 1
WINDOW_POST_CHALLENGE_COUNT: Final = 10
MAGIC: Final = b"PLVP"
VERSION: Final = 1
_HEADER = struct.Struct(">4sBBI")


@dataclass(frozen=True)
class SectorInfo:
    """A challenged sector as the chain knows it (go-state-types ``proof.SectorInfo``)."""

    seal_proof: RegisteredSealProof
    sector_number: int
    sealed_cid: CID


@dataclass(frozen=True)
class PrivateSectorInfo:
    """A sector as the prover holds it (filecoin-ffi ``PrivateSectorInfo``)."""

    info: SectorInfo
    cache_dir: Path
    sealed_path: Path


@dataclass(frozen=True)
class PoStProof:
    """go-state-types ``proof.PoStProof``: ``{"PoStProof": 5, "ProofBytes": "…"}``."""

    post_proof: RegisteredPoStProof
    proof_bytes: bytes


@dataclass(frozen=True)
class WinningPoStVerifyInfo:
    """go-state-types ``proof.WinningPoStVerifyInfo``."""

    randomness: bytes
    proofs: tuple[PoStProof, ...]
    challenged_sectors: tuple[SectorInfo, ...]
    prover: int


@dataclass(frozen=True)
class WindowPoStVerifyInfo:
    """go-state-types ``proof.WindowPoStVerifyInfo``."""

    randomness: bytes
    proofs: tuple[PoStProof, ...]
    challenged_sectors: tuple[SectorInfo, ...]
    prover: int


def _mask(randomness: bytes, error: type[ProofsError]) -> bytes:
    if len(randomness) != 32:
        raise error(f"PoSt randomness must be '32' bytes, got '{len(randomness)}'")
    return randomness[:31] + bytes((randomness[31] & 0x3F,))


def _post_params(post_proof: RegisteredPoStProof) -> SdrParams:
    """Tree shape and node count for a PoSt: they depend on the sector size only (any seal family)."""
    return sdr_params(seal_proof_type_from_sector_size(int(post_proof.sector_size)))


def generate_winning_post_sector_challenge(
    post_proof: RegisteredPoStProof, miner_id: int, randomness: bytes, eligible_sectors: int
) -> list[int]:
    """Indices into the eligible sector list that winning PoSt must prove (one sector).

    ``u64_le(SHA256(prover_id ‖ randomness ‖ u64_le(n))[:8]) mod eligible`` (reference/proofs.md §5.2).

    Raises:
        InvalidSealInput: not a winning PoSt type, no eligible sector, or randomness not 32 bytes.
    """
    if not post_proof.is_winning:
        raise InvalidSealInput(f"'{post_proof.lotus_name}' is not a winning PoSt proof")
    if eligible_sectors <= 0:
        raise InvalidSealInput("winning PoSt needs at least one eligible sector")
    rand = _mask(randomness, InvalidSealInput)
    prover = prover_id(miner_id)
    return [
        int.from_bytes(hashlib.sha256(prover + rand + n.to_bytes(8, "little")).digest()[:8], "little")
        % eligible_sectors
        for n in range(WINNING_POST_SECTOR_COUNT)
    ]


def _leaf_challenges(
    post_proof: RegisteredPoStProof, rand: bytes, sector: int, sector_index: int, count: int, nodes: int
) -> list[int]:
    per_sector = ApiVersion.parse(post_proof.api_version) == ApiVersion.V1_2_0
    leaves = []
    for n in range(count):
        index = n if per_sector else sector_index * count + n
        digest = hashlib.sha256(rand + sector.to_bytes(8, "little") + index.to_bytes(8, "little")).digest()
        leaves.append(int.from_bytes(digest[:8], "little") % nodes)
    return leaves


_S = TypeVar("_S", SectorInfo, PrivateSectorInfo)


def _number(sector: SectorInfo | PrivateSectorInfo) -> int:
    return sector.sector_number if isinstance(sector, SectorInfo) else sector.info.sector_number


def _proving_set(
    post_proof: RegisteredPoStProof, sectors: Sequence[_S], error: type[ProofsError]
) -> list[_S]:
    """The sectors in proving order: by sector number, each once (rust keys them in a ``BTreeMap``).

    Raises:
        ``error``: a sector of another size, a sector number out of range, no sector at all, or
            (winning PoSt) more than one distinct sector.
    """
    by_number: dict[int, _S] = {}
    for sector in sectors:
        number = _number(sector)
        seal_proof = sector.seal_proof if isinstance(sector, SectorInfo) else sector.info.seal_proof
        if int(post_proof.sector_size) != int(RegisteredSealProof(seal_proof).sector_size):
            raise error(
                f"PoSt proof '{post_proof.lotus_name}' does not cover "
                f"'{seal_proof.lotus_name}' sector '{number}'"
            )
        if not 0 <= number < 2**63:
            raise error(f"sector number '{number}' is out of range 0..2^63-1")
        by_number.setdefault(number, sector)
    if not by_number:
        raise error("a PoSt needs at least one sector")
    if post_proof.is_winning and len(by_number) != WINNING_POST_SECTOR_COUNT:
        raise error(f"winning PoSt proves exactly '1' sector, got '{len(by_number)}'")
    return [by_number[number] for number in sorted(by_number)]


def _sector_proof(
    post_proof: RegisteredPoStProof, rand: bytes, sector: PrivateSectorInfo, sector_index: int, count: int
) -> bytes:
    """comm_c, comm_r_last and the challenged leaves with paths; checked before it is returned."""
    params = _post_params(post_proof)
    comm_c, comm_r_last = read_p_aux(sector.cache_dir)
    if poseidon_hash_nodes([comm_c, comm_r_last]) != cid_to_commr(sector.info.sealed_cid):
        raise SectorDataError(f"p_aux in '{sector.cache_dir}' does not give the sector's sealed CID")
    layout = TreeLayout(params.base_tree_leaves, BASE_ARITY)
    out = bytearray(comm_c + comm_r_last)
    leaves = _leaf_challenges(post_proof, rand, sector.info.sector_number, sector_index, count, params.nodes)
    with ExitStack() as stack:
        try:
            replica = file_reader(open_fd(stack, sector.sealed_path))
            count_trees = params.base_tree_count
            trees = [
                file_reader(open_fd(stack, tree_r_last_file(sector.cache_dir, i, count_trees)))
                for i in range(count_trees)
            ]
            for leaf_index in leaves:
                _, path = read_compound_path(
                    trees, layout, params.sub_arity, params.top_arity, leaf_index, poseidon_hash_nodes
                )
                leaf = replica(leaf_index * NODE, NODE)
                if path_root(leaf, leaf_index, path, poseidon_group) != comm_r_last:
                    raise SectorDataError(
                        f"replica '{sector.sealed_path}' node '{leaf_index}' no longer matches tree_r_last"
                    )
                out += leaf + b"".join(node for level in path for node in level)
        except (OSError, EOFError, InvalidFieldElement) as exc:
            raise SectorDataError(f"sector '{sector.info.sector_number}' cannot be read: {exc}") from None
    return bytes(out)


def _generate(
    post_proof: RegisteredPoStProof, randomness: bytes, sectors: Sequence[PrivateSectorInfo], count: int
) -> tuple[bytes, list[int]]:
    rand = _mask(randomness, InvalidSealInput)
    body = bytearray()
    proven = 0
    skipped: list[int] = []
    for sector in _proving_set(post_proof, sectors, InvalidSealInput):
        try:
            body += _sector_proof(post_proof, rand, sector, proven, count)
            proven += 1
        except ProofsError as exc:
            log.warning("PoSt skips sector %d: %s", sector.info.sector_number, exc)
            skipped.append(sector.info.sector_number)
    return _HEADER.pack(MAGIC, VERSION, int(post_proof), proven) + bytes(body), skipped


def generate_winning_post(
    post_proof: RegisteredPoStProof, miner_id: int, sectors: Sequence[PrivateSectorInfo], randomness: bytes
) -> list[PoStProof]:
    """Winning PoSt over the one challenged sector (66 leaves).

    ``miner_id`` is Lotus's argument; the vanilla leaves do not depend on it (the SNARK binds it).

    Raises:
        InvalidSealInput: not a winning type, not exactly one sector, randomness not 32 bytes.
        SectorDataError: the sector cannot be proven (winning PoSt cannot skip).
    """
    if not post_proof.is_winning:
        raise InvalidSealInput(f"'{post_proof.lotus_name}' is not a winning PoSt proof")
    proof, skipped = _generate(post_proof, randomness, sectors, WINNING_POST_CHALLENGE_COUNT)
    if skipped:
        raise SectorDataError(f"winning PoSt cannot prove sector '{skipped[0]}'")
    return [PoStProof(post_proof, proof)]


def generate_window_post(
    post_proof: RegisteredPoStProof, miner_id: int, sectors: Sequence[PrivateSectorInfo], randomness: bytes
) -> tuple[list[PoStProof], list[int]]:
    """Window PoSt over ``sectors`` (10 leaves each); sectors that cannot be proven are skipped.

    Sectors are proven in sector-number order, each once, whatever order they come in (rust-fil-proofs
    keys them by id); the verifier orders its list the same way.

    Returns:
        The proof (over the sectors not skipped) and the skipped sector numbers, as Lotus's
        ``GenerateWindowPoSt`` returns faulty sectors for the caller to declare.

    Raises:
        InvalidSealInput: not a window type, no sector, a sector of another size, bad randomness.
    """
    if not post_proof.is_window:
        raise InvalidSealInput(f"'{post_proof.lotus_name}' is not a window PoSt proof")
    proof, skipped = _generate(post_proof, randomness, sectors, WINDOW_POST_CHALLENGE_COUNT)
    return [PoStProof(post_proof, proof)], skipped


def _read_openings(
    data: bytes, offset: int, count: int, arities: list[int]
) -> list[tuple[bytes, MerklePath]]:
    out = []
    for _ in range(count):
        leaf = data[offset : offset + NODE]
        offset += NODE
        path: MerklePath = []
        for arity in arities:
            path.append([data[offset + i * NODE : offset + (i + 1) * NODE] for i in range(arity - 1)])
            offset += (arity - 1) * NODE
        out.append((leaf, path))
    return out


def _check_sector(
    where: str,
    post_proof: RegisteredPoStProof,
    rand: bytes,
    data: bytes,
    offset: int,
    index: int,
    sector: SectorInfo,
) -> None:
    params = _post_params(post_proof)
    count = WINNING_POST_CHALLENGE_COUNT if post_proof.is_winning else WINDOW_POST_CHALLENGE_COUNT
    comm_c, comm_r_last = data[offset : offset + NODE], data[offset + NODE : offset + 2 * NODE]
    try:
        if poseidon_hash_nodes([comm_c, comm_r_last]) != cid_to_commr(sector.sealed_cid):
            raise InvalidProof(f"{where}: comm_c and comm_r_last do not give the sector's CommR")
        openings = _read_openings(data, offset + 2 * NODE, count, tree_arities(params))
        leaves = _leaf_challenges(post_proof, rand, sector.sector_number, index, count, params.nodes)
        for n, ((leaf, path), leaf_index) in enumerate(zip(openings, leaves, strict=True)):
            if path_root(leaf, leaf_index, path, poseidon_group) != comm_r_last:
                raise InvalidProof(
                    f"{where}: challenge '{n}' (leaf '{leaf_index}') path does not lead to comm_r_last"
                )
    except (InvalidFieldElement, AbiError) as exc:
        raise InvalidProof(f"{where}: {exc}") from None


def _check(kind: str, randomness: bytes, proofs: Sequence[PoStProof], sectors: Sequence[SectorInfo]) -> None:
    if len(proofs) != 1:
        raise InvalidProof(f"{kind} PoSt takes exactly one proof, got '{len(proofs)}'")
    post_proof, data = proofs[0].post_proof, proofs[0].proof_bytes
    if post_proof.is_winning != (kind == "winning"):
        raise InvalidProof(f"'{post_proof.lotus_name}' is not a {kind} PoSt proof")
    proving = _proving_set(post_proof, sectors, InvalidProof)
    if len(data) < _HEADER.size:
        raise InvalidProof(f"{kind} PoSt proof is '{len(data)}' bytes, shorter than its header")
    magic, version, proof_id, sector_count = _HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION:
        raise InvalidProof(f"{kind} PoSt proof is not a pylotus vanilla PoSt proof v{VERSION}")
    if proof_id != int(post_proof) or sector_count != len(proving):
        raise InvalidProof(
            f"{kind} PoSt proof covers '{sector_count}' sectors of type '{proof_id}', "
            f"expected '{len(proving)}' of type '{int(post_proof)}'"
        )
    rand = _mask(randomness, InvalidProof)
    params = _post_params(post_proof)
    count = WINNING_POST_CHALLENGE_COUNT if post_proof.is_winning else WINDOW_POST_CHALLENGE_COUNT
    per_sector = 2 * NODE + count * NODE * (1 + sum(a - 1 for a in tree_arities(params)))
    if len(data) != _HEADER.size + len(proving) * per_sector:
        raise InvalidProof(
            f"{kind} PoSt proof is '{len(data)}' bytes, '{len(proving)}' sectors take "
            f"'{_HEADER.size + len(proving) * per_sector}'"
        )
    for index, sector in enumerate(proving):
        offset = _HEADER.size + index * per_sector
        _check_sector(
            f"{kind} PoSt sector '{sector.sector_number}'", post_proof, rand, data, offset, index, sector
        )


def check_winning_post(info: WinningPoStVerifyInfo) -> None:
    """Verify a winning PoSt (exactly one sector); return quietly if it holds.

    Raises:
        InvalidProof: naming the failed check.
    """
    _check("winning", info.randomness, info.proofs, info.challenged_sectors)


def check_window_post(info: WindowPoStVerifyInfo) -> None:
    """Verify a window PoSt over the challenged sectors (proven in sector-number order).

    Raises:
        InvalidProof: naming the failed check.
    """
    _check("window", info.randomness, info.proofs, info.challenged_sectors)


def verify_winning_post(info: WinningPoStVerifyInfo) -> bool:
    """Lotus ``VerifyWinningPoSt``: ``True`` if the proof holds (the reason is logged at debug)."""
    return holds(check_winning_post, info, f"winning PoSt of miner {info.prover}", log)


def verify_window_post(info: WindowPoStVerifyInfo) -> bool:
    """Lotus ``VerifyWindowPoSt``: ``True`` if the proof holds (the reason is logged at debug)."""
    return holds(check_window_post, info, f"window PoSt of miner {info.prover}", log)
