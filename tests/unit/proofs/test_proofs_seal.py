"""Sealing end to end on 2KiB: PreCommit1/2, Commit1/2, VerifySeal, Finalize, Unseal.

The CC sector with ticket 0 for t01000 sector 1 is ``lotus-bench simple``'s documented result
(reference/proofs.md §7); the negative tests each break one input and expect VerifySeal's reason.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from pylotus.abi import RegisteredSealProof, UnpaddedPieceSize, cid_to_commd, parse_cid
from pylotus.proofs import (
    FR_MODULUS,
    InvalidProof,
    InvalidSealInput,
    PieceInfo,
    SealVerifyInfo,
    SectorCids,
    SectorDataError,
    SectorPaths,
    add_piece,
    check_seal,
    finalize_sector,
    read_piece,
    sdr_params,
    seal_commit1,
    seal_commit2,
    seal_pre_commit1,
    seal_pre_commit2,
    seal_proof_length,
    unseal_range,
    verify_seal,
)
from pylotus.proofs import seal as seal_module
from pylotus.proofs.porep import check_vanilla_seal
from pylotus.proofs.porep_codec import Commit1Out

PROOF = RegisteredSealProof.STACKED_DRG_2KIB_V1_1
SIZE = 2048
UNPADDED = UnpaddedPieceSize(SIZE - SIZE // 128)
MINER = 1000
SEED = bytes(range(32))
CC_COMM_D = "baga6ea4seaqpy7usqklokfx2vxuynmupslkeutzexe2uqurdg5vhtebhxqmpqmy"
CC_COMM_R = "bagboea4b5abcbrshxgmmpaucffwp2elaofbcrvb7hmcu3653o4lsw2arlor4hn3c"


@dataclass
class Sealed:
    paths: SectorPaths
    pieces: list[PieceInfo]
    ticket: bytes
    cids: SectorCids
    proof: bytes
    data: bytes

    def info(self, **changes: object) -> SealVerifyInfo:
        base = SealVerifyInfo(
            PROOF, MINER, 1, self.ticket, SEED, self.proof, self.cids.sealed, self.cids.unsealed
        )
        return replace(base, **changes)  # type: ignore[arg-type]


def _seal(root: Path, payload: bytes | None, ticket: bytes, parents: Path) -> Sealed:
    root.mkdir(parents=True, exist_ok=True)
    paths = SectorPaths(root / "unsealed", root / "sealed", root / "cache")
    source = None if payload is None else io.BytesIO(payload)
    pieces = [add_piece(paths.unsealed, [], UNPADDED, source, SIZE)]
    data = paths.unsealed.read_bytes()
    pc1 = seal_pre_commit1(PROOF, paths, MINER, 1, ticket, pieces, parent_cache_dir=parents)
    cids = seal_pre_commit2(PROOF, paths, pc1)
    c1 = seal_commit1(PROOF, paths, MINER, 1, ticket, SEED, pieces, cids)
    return Sealed(paths, pieces, ticket, cids, seal_commit2(c1), data)


@pytest.fixture(scope="module")
def parents(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("parents")


@pytest.fixture(scope="module")
def cc(tmp_path_factory: pytest.TempPathFactory, parents: Path) -> Sealed:
    return _seal(tmp_path_factory.mktemp("cc"), None, bytes(32), parents)


@pytest.fixture(scope="module")
def random_sector(tmp_path_factory: pytest.TempPathFactory, parents: Path) -> Sealed:
    return _seal(tmp_path_factory.mktemp("rand"), os.urandom(int(UNPADDED)), os.urandom(32), parents)


def test_cc_sector_matches_lotus_bench(cc: Sealed) -> None:
    assert str(cc.cids.unsealed) == CC_COMM_D
    assert str(cc.cids.sealed) == CC_COMM_R


def test_proof_verifies_and_has_the_documented_length(cc: Sealed, random_sector: Sealed) -> None:
    for sealed in (cc, random_sector):
        assert len(sealed.proof) == seal_proof_length(sdr_params(PROOF))
        check_seal(sealed.info())
        assert verify_seal(sealed.info())


@pytest.mark.parametrize(
    "offset,reason",
    [
        (0, "does not start with 'PLVS'"),
        (5, "seal proof '"),
        (10, "comm_r is not Poseidon"),
        (72, "tree_d: path does not lead to CommD"),
        (72 + 32 + 6 * 32, r"column \d+: path does not lead to comm_c"),
        (72 + 32 + 6 * 32 + 64, r"column \d+: path does not lead to comm_c"),
        (-1, "tree_r_last: path does not lead to comm_r_last"),
    ],
)
def test_one_flipped_byte_is_refused_with_a_reason(random_sector: Sealed, offset: int, reason: str) -> None:
    proof = bytearray(random_sector.proof)
    proof[offset] ^= 0x01
    with pytest.raises(InvalidProof, match=reason):
        check_seal(random_sector.info(proof=bytes(proof)))
    assert not verify_seal(random_sector.info(proof=bytes(proof)))


def test_wrong_seed_ticket_commr_and_miner_are_refused(cc: Sealed, random_sector: Sealed) -> None:
    # Another seed or ticket moves the challenged nodes, so the openings stop fitting CommD (or, if a
    # node happens to stay put, its labels stop following from the replica id).
    moved = "tree_d: path does not lead to CommD|label of layer 1 does not follow"
    with pytest.raises(InvalidProof, match=moved):
        check_seal(random_sector.info(interactive_randomness=bytes(32)))
    with pytest.raises(InvalidProof, match=moved):
        check_seal(random_sector.info(randomness=bytes(32)))
    with pytest.raises(InvalidProof, match="comm_r is not Poseidon"):
        check_seal(random_sector.info(sealed_cid=cc.cids.sealed))
    with pytest.raises(InvalidProof, match=moved):
        check_seal(random_sector.info(miner_id=MINER + 1))


def test_truncated_and_padded_proofs_are_refused(random_sector: Sealed) -> None:
    length = len(random_sector.proof)
    with pytest.raises(
        InvalidProof, match=f"proof is {length - 1} bytes, 'StackedDrg2KiBV1_1' proofs are {length}"
    ):
        check_seal(random_sector.info(proof=random_sector.proof[:-1]))
    with pytest.raises(InvalidProof, match=f"proofs are {length}"):
        check_seal(random_sector.info(proof=random_sector.proof + b"\0"))
    with pytest.raises(InvalidProof, match="shorter than its header"):
        check_seal(random_sector.info(proof=b"PLVS"))


def test_precommit2_twice_returns_the_same_cids(tmp_path: Path, parents: Path) -> None:
    paths = SectorPaths(tmp_path / "u", tmp_path / "s", tmp_path / "c")
    pieces = [add_piece(paths.unsealed, [], UNPADDED, None, SIZE)]
    pc1 = seal_pre_commit1(PROOF, paths, MINER, 1, bytes(32), pieces, parent_cache_dir=parents)
    first = seal_pre_commit2(PROOF, paths, pc1)
    replica = paths.sealed.read_bytes()
    assert seal_pre_commit2(PROOF, paths, pc1) == first
    assert paths.sealed.read_bytes() == replica


def test_precommit2_crash_before_last_rename_is_finished_on_retry(
    tmp_path: Path, parents: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = SectorPaths(tmp_path / "u", tmp_path / "s", tmp_path / "c")
    pieces = [add_piece(paths.unsealed, [], UNPADDED, None, SIZE)]
    pc1 = seal_pre_commit1(PROOF, paths, MINER, 1, bytes(32), pieces, parent_cache_dir=parents)
    real_replace = os.replace

    def crash_on_sealed(src: object, dst: object) -> None:
        if Path(str(dst)) == paths.sealed:
            raise KeyboardInterrupt("power cut")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(seal_module.os, "replace", crash_on_sealed)
    with pytest.raises(KeyboardInterrupt):
        seal_pre_commit2(PROOF, paths, pc1)
    monkeypatch.setattr(seal_module.os, "replace", real_replace)
    assert paths.sealed.read_bytes() == paths.unsealed.read_bytes()  # still the data
    cids = seal_pre_commit2(PROOF, paths, pc1)
    assert str(cids.sealed) == CC_COMM_R
    assert paths.sealed.read_bytes() != paths.unsealed.read_bytes()  # now the replica


def test_precommit2_refuses_a_changed_layer(tmp_path: Path, parents: Path) -> None:
    paths = SectorPaths(tmp_path / "u", tmp_path / "s", tmp_path / "c")
    pieces = [add_piece(paths.unsealed, [], UNPADDED, None, SIZE)]
    pc1 = seal_pre_commit1(PROOF, paths, MINER, 1, bytes(32), pieces, parent_cache_dir=parents)
    layer = paths.cache / "sc-02-data-layer-1.dat"
    layer.write_bytes(bytes(SIZE))
    with pytest.raises(SectorDataError, match="does not match the PreCommit1 output: run PreCommit1 again"):
        seal_pre_commit2(PROOF, paths, pc1)


def test_precommit1_refuses_pieces_that_do_not_fill_or_match(tmp_path: Path, parents: Path) -> None:
    paths = SectorPaths(tmp_path / "u", tmp_path / "s", tmp_path / "c")
    pieces = [add_piece(paths.unsealed, [], UnpaddedPieceSize(1016), None, SIZE)]
    with pytest.raises(
        InvalidSealInput, match="aggregated piece sizes don't match sector size: 1024 != 2048"
    ):
        seal_pre_commit1(PROOF, paths, MINER, 1, bytes(32), pieces, parent_cache_dir=parents)
    other = PieceInfo(
        pieces[0].size, parse_cid("baga6ea4seaqjtovkwk4myyzj56eztkh5pzsk5upksan6f5outesy62bsvl4dsha")
    )
    pieces.append(add_piece(paths.unsealed, [UnpaddedPieceSize(1016)], UnpaddedPieceSize(1016), None, SIZE))
    with pytest.raises(InvalidSealInput, match="does not hold the pieces"):
        seal_pre_commit1(PROOF, paths, MINER, 1, bytes(32), [other, pieces[1]], parent_cache_dir=parents)
    assert not paths.cache.exists() and not paths.sealed.exists()


def test_commit1_refuses_a_foreign_sealed_cid(random_sector: Sealed, cc: Sealed) -> None:
    wrong = SectorCids(random_sector.cids.unsealed, cc.cids.sealed)
    with pytest.raises(InvalidSealInput, match="is not the CommR of the replica"):
        seal_commit1(
            PROOF, random_sector.paths, MINER, 1, random_sector.ticket, SEED, random_sector.pieces, wrong
        )


def test_commit2_refuses_a_tampered_commit1_output(random_sector: Sealed) -> None:
    p = random_sector.paths
    c1 = seal_commit1(
        PROOF, p, MINER, 1, random_sector.ticket, SEED, random_sector.pieces, random_sector.cids
    )
    assert seal_commit2(c1) == random_sector.proof
    start = c1.index(b'"labels":["') + len(b'"labels":["')
    flipped = b"1" if c1[start : start + 1] == b"0" else b"0"
    with pytest.raises(InvalidProof, match="column|label"):
        seal_commit2(c1[:start] + flipped + c1[start + 1 :])
    with pytest.raises(InvalidProof, match="Commit1 output is malformed"):
        seal_commit2(b'{"format":1}')


def test_unseal_gives_back_the_data_and_finalize_keeps_what_post_needs(
    random_sector: Sealed, tmp_path: Path, parents: Path
) -> None:
    s = random_sector
    unsealed = tmp_path / "unsealed-again"
    paths = SectorPaths(unsealed, s.paths.sealed, s.paths.cache)
    comm_d = cid_to_commd(s.cids.unsealed)
    unseal_range(PROOF, paths, MINER, 1, s.ticket, comm_d, 0, UNPADDED, parent_cache_dir=parents)
    assert unsealed.read_bytes() == s.data
    out = io.BytesIO()
    read_piece(unsealed, 0, int(UNPADDED), out)
    piece = io.BytesIO()
    read_piece(s.paths.unsealed, 0, int(UNPADDED), piece)
    assert out.getvalue() == piece.getvalue()
    with pytest.raises(SectorDataError, match="wrong ticket or damaged replica"):
        unseal_range(PROOF, paths, MINER, 1, bytes(32), comm_d, 0, UNPADDED, parent_cache_dir=parents)


def test_finalize_then_commit1_says_what_is_missing(tmp_path: Path, parents: Path) -> None:
    sealed = _seal(tmp_path / "s", None, bytes(32), parents)
    removed = finalize_sector(PROOF, sealed.paths.cache)
    assert {p.name for p in removed} == {
        "sc-02-data-layer-1.dat",
        "sc-02-data-layer-2.dat",
        "sc-02-data-tree-c.dat",
        "sc-02-data-tree-d.dat",
    }
    assert sorted(p.name for p in sealed.paths.cache.iterdir()) == [
        "p_aux",
        "sc-02-data-tree-r-last.dat",
        "t_aux",
    ]
    with pytest.raises(SectorDataError, match="sc-02-data-layer-1.dat' is missing"):
        seal_commit1(PROOF, sealed.paths, MINER, 1, bytes(32), SEED, sealed.pieces, sealed.cids)
    assert finalize_sector(PROOF, sealed.paths.cache) == []


def test_precommit2_over_worker_processes_gives_the_same_commr(
    tmp_path: Path, parents: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2KiB is normally one in-process chunk; force 8 chunks of 8 leaves over 2 worker processes so
    # the parallel path (pwrite of subtree levels, levels above the chunk roots) meets the vector.
    monkeypatch.setattr(seal_module, "_PARALLEL_MIN_NODES", 0)
    paths = SectorPaths(tmp_path / "u", tmp_path / "s", tmp_path / "c")
    pieces = [add_piece(paths.unsealed, [], UNPADDED, None, SIZE)]
    pc1 = seal_pre_commit1(PROOF, paths, MINER, 1, bytes(32), pieces, parent_cache_dir=parents)
    assert str(seal_pre_commit2(PROOF, paths, pc1, workers=2).sealed) == CC_COMM_R
    serial = SectorPaths(tmp_path / "u", tmp_path / "s2", tmp_path / "c2")
    seal_pre_commit1(PROOF, serial, MINER, 1, bytes(32), pieces, parent_cache_dir=parents)
    monkeypatch.setattr(seal_module, "_PARALLEL_MIN_NODES", 1 << 30)
    seal_pre_commit2(PROOF, serial, pc1, workers=1)
    for name in ("sc-02-data-tree-c.dat", "sc-02-data-tree-r-last.dat", "p_aux"):
        assert (paths.cache / name).read_bytes() == (serial.cache / name).read_bytes(), name
    assert paths.sealed.read_bytes() == serial.sealed.read_bytes()


def test_precommit1_rerun_cut_short_does_not_leave_a_stale_precommit2_record(
    tmp_path: Path, parents: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = SectorPaths(tmp_path / "u", tmp_path / "s", tmp_path / "c")
    pieces = [add_piece(paths.unsealed, [], UNPADDED, None, SIZE)]
    pc1 = seal_pre_commit1(PROOF, paths, MINER, 1, bytes(32), pieces, parent_cache_dir=parents)
    seal_pre_commit2(PROOF, paths, pc1)
    real_write = seal_module.write_synced

    def cut_after_sealed(path: Path, data: bytes | bytearray) -> None:
        real_write(path, data)
        if path == paths.sealed:
            raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(seal_module, "write_synced", cut_after_sealed)
    with pytest.raises(KeyboardInterrupt):
        seal_pre_commit1(PROOF, paths, MINER, 1, bytes(32), pieces, parent_cache_dir=parents)
    monkeypatch.setattr(seal_module, "write_synced", real_write)
    assert not (paths.cache / "t_aux").exists()
    assert str(seal_pre_commit2(PROOF, paths, pc1).sealed) == CC_COMM_R
    assert paths.sealed.read_bytes() != paths.unsealed.read_bytes()  # encoded again, not trusted


def test_finalize_refuses_while_the_replica_waits_in_the_cache(tmp_path: Path, parents: Path) -> None:
    sealed = _seal(tmp_path / "s", None, bytes(32), parents)
    (sealed.paths.cache / "sc-02-data-replica.tmp").write_bytes(b"replica")
    with pytest.raises(SectorDataError, match="did not finish"):
        finalize_sector(PROOF, sealed.paths.cache)
    assert (sealed.paths.cache / "sc-02-data-layer-1.dat").exists()


def test_commit1_with_another_ticket_names_it(random_sector: Sealed) -> None:
    s = random_sector
    with pytest.raises(InvalidSealInput, match="was sealed with another ticket"):
        seal_commit1(PROOF, s.paths, MINER, 1, bytes(32), SEED, s.pieces, s.cids)
    with pytest.raises(InvalidSealInput, match="interactive seed must be '32' bytes"):
        seal_commit1(PROOF, s.paths, MINER, 1, s.ticket, b"short", s.pieces, s.cids)


def test_a_data_leaf_outside_the_field_is_refused(random_sector: Sealed) -> None:
    s = random_sector
    c1 = Commit1Out.from_bytes(seal_commit1(PROOF, s.paths, MINER, 1, s.ticket, SEED, s.pieces, s.cids))
    first = c1.proof.challenges[0]
    outside = replace(first, data_leaf=FR_MODULUS.to_bytes(32, "little"))
    bad = replace(c1.proof, challenges=(outside, *c1.proof.challenges[1:]))
    with pytest.raises(InvalidProof, match="data leaf is not a field element"):
        check_vanilla_seal(sdr_params(PROOF), c1.replica_id, SEED, c1.comm_d, c1.comm_r, bad)


def test_unknown_proof_types_and_missing_dirs_are_clear_errors(random_sector: Sealed, tmp_path: Path) -> None:
    with pytest.raises(InvalidProof, match="unknown seal proof type '99'"):
        check_seal(random_sector.info(seal_proof=99))
    paths = SectorPaths(random_sector.paths.unsealed, tmp_path / "gone" / "sealed", tmp_path / "cache")
    with pytest.raises(SectorDataError, match="for the sealed file does not exist"):
        seal_pre_commit1(PROOF, paths, MINER, 1, bytes(32), random_sector.pieces)
    assert not paths.cache.exists()
