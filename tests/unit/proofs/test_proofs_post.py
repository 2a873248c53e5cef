"""Window and Winning PoSt over real 2KiB sectors: generation, verification, refusals, skipped sectors."""

from __future__ import annotations

import io
import os
from dataclasses import replace
from pathlib import Path

import pytest

from pylotus.abi import RegisteredPoStProof, RegisteredSealProof, UnpaddedPieceSize
from pylotus.proofs import (
    InvalidProof,
    InvalidSealInput,
    PoStProof,
    PrivateSectorInfo,
    SectorInfo,
    SectorPaths,
    WindowPoStVerifyInfo,
    WinningPoStVerifyInfo,
    add_piece,
    check_window_post,
    check_winning_post,
    generate_window_post,
    generate_winning_post,
    generate_winning_post_sector_challenge,
    seal_pre_commit1,
    seal_pre_commit2,
    verify_window_post,
)

PROOF = RegisteredSealProof.STACKED_DRG_2KIB_V1_1
WINDOW = RegisteredPoStProof.STACKED_DRG_WINDOW_2KIB_V1
WINDOW_V1_1 = RegisteredPoStProof.STACKED_DRG_WINDOW_2KIB_V1_1
WINNING = RegisteredPoStProof.STACKED_DRG_WINNING_2KIB_V1
MINER = 1000
RAND = bytes(range(100, 132))


def _sector(root: Path, number: int, parents: Path) -> PrivateSectorInfo:
    root.mkdir()
    paths = SectorPaths(root / "u", root / "s", root / "c")
    pieces = [add_piece(paths.unsealed, [], UnpaddedPieceSize(2032), io.BytesIO(os.urandom(2032)), 2048)]
    pc1 = seal_pre_commit1(PROOF, paths, MINER, number, os.urandom(32), pieces, parent_cache_dir=parents)
    cids = seal_pre_commit2(PROOF, paths, pc1)
    return PrivateSectorInfo(SectorInfo(PROOF, number, cids.sealed), paths.cache, paths.sealed)


@pytest.fixture(scope="module")
def sectors(tmp_path_factory: pytest.TempPathFactory) -> list[PrivateSectorInfo]:
    parents = tmp_path_factory.mktemp("parents")
    return [_sector(tmp_path_factory.mktemp("s") / str(n), n, parents) for n in (1, 2, 3)]


@pytest.mark.parametrize("post", [WINDOW, WINDOW_V1_1])
def test_window_post_verifies(sectors: list[PrivateSectorInfo], post: RegisteredPoStProof) -> None:
    proofs, skipped = generate_window_post(post, MINER, sectors, RAND)
    assert skipped == []
    info = WindowPoStVerifyInfo(RAND, tuple(proofs), tuple(s.info for s in sectors), MINER)
    check_window_post(info)
    assert verify_window_post(info)


def test_window_post_refusals_name_the_failure(sectors: list[PrivateSectorInfo]) -> None:
    proofs, _ = generate_window_post(WINDOW, MINER, sectors, RAND)
    info = WindowPoStVerifyInfo(RAND, tuple(proofs), tuple(s.info for s in sectors), MINER)
    other_rand = bytes(32)
    moved = r"window PoSt sector '1': challenge '0' \(leaf '\d+'\) path does not lead to comm_r_last"
    with pytest.raises(InvalidProof, match=moved):
        check_window_post(replace(info, randomness=other_rand))
    data = bytearray(proofs[0].proof_bytes)
    data[-1] ^= 1
    with pytest.raises(InvalidProof, match="window PoSt sector '3': challenge '9'"):
        check_window_post(replace(info, proofs=(PoStProof(WINDOW, bytes(data)),)))
    with pytest.raises(InvalidProof, match="'3' sectors take"):
        check_window_post(replace(info, proofs=(PoStProof(WINDOW, proofs[0].proof_bytes[:-32]),)))
    wrong_commr = (
        sectors[0].info,
        replace(sectors[1].info, sealed_cid=sectors[0].info.sealed_cid),
        sectors[2].info,
    )
    with pytest.raises(InvalidProof, match="window PoSt sector '2': comm_c and comm_r_last do not give"):
        check_window_post(replace(info, challenged_sectors=wrong_commr))
    with pytest.raises(InvalidProof, match="covers '3' sectors"):
        check_window_post(replace(info, challenged_sectors=info.challenged_sectors[:2]))
    with pytest.raises(InvalidProof, match="a PoSt needs at least one sector"):
        check_window_post(replace(info, challenged_sectors=()))
    assert not verify_window_post(replace(info, randomness=other_rand))


def test_window_post_order_and_duplicates_follow_sector_numbers(sectors: list[PrivateSectorInfo]) -> None:
    # rust-fil-proofs keys replicas by sector id: order given and repeats do not change the proof.
    proofs, _ = generate_window_post(WINDOW, MINER, [sectors[2], sectors[0], sectors[1], sectors[0]], RAND)
    in_order, _ = generate_window_post(WINDOW, MINER, sectors, RAND)
    assert proofs == in_order
    shuffled = (sectors[1].info, sectors[2].info, sectors[0].info, sectors[1].info)
    check_window_post(WindowPoStVerifyInfo(RAND, tuple(proofs), shuffled, MINER))


def test_a_sector_whose_replica_is_gone_is_skipped(sectors: list[PrivateSectorInfo], tmp_path: Path) -> None:
    gone = replace(sectors[1], sealed_path=tmp_path / "missing")
    proofs, skipped = generate_window_post(WINDOW, MINER, [sectors[0], gone, sectors[2]], RAND)
    assert skipped == [2]
    check_window_post(WindowPoStVerifyInfo(RAND, tuple(proofs), (sectors[0].info, sectors[2].info), MINER))


def test_a_rotten_replica_is_skipped(sectors: list[PrivateSectorInfo], tmp_path: Path) -> None:
    rotten = tmp_path / "rotten"
    rotten.write_bytes(bytes(2048))
    _, skipped = generate_window_post(WINDOW, MINER, [replace(sectors[0], sealed_path=rotten)], RAND)
    assert skipped == [1]


def test_winning_post(sectors: list[PrivateSectorInfo]) -> None:
    index = generate_winning_post_sector_challenge(WINNING, MINER, RAND, len(sectors))
    assert len(index) == 1 and 0 <= index[0] < len(sectors)
    chosen = sectors[index[0]]
    proofs = generate_winning_post(WINNING, MINER, [chosen], RAND)
    check_winning_post(WinningPoStVerifyInfo(RAND, tuple(proofs), (chosen.info,), MINER))
    with pytest.raises(InvalidProof, match="is not a window PoSt proof"):
        check_window_post(WindowPoStVerifyInfo(RAND, tuple(proofs), (chosen.info,), MINER))
    other = next(s for s in sectors if s is not chosen)
    with pytest.raises(InvalidProof, match="winning PoSt sector"):
        check_winning_post(WinningPoStVerifyInfo(RAND, tuple(proofs), (other.info,), MINER))
    with pytest.raises(InvalidProof, match="winning PoSt proves exactly '1' sector, got '2'"):
        check_winning_post(WinningPoStVerifyInfo(RAND, tuple(proofs), (chosen.info, other.info), MINER))
    with pytest.raises(InvalidProof, match="at least one sector"):
        check_winning_post(WinningPoStVerifyInfo(RAND, tuple(proofs), (), MINER))
    with pytest.raises(InvalidSealInput, match="winning PoSt proves exactly '1' sector, got '3'"):
        generate_winning_post(WINNING, MINER, sectors, RAND)
    with pytest.raises(InvalidSealInput, match="is not a winning PoSt proof"):
        generate_winning_post_sector_challenge(WINDOW, MINER, RAND, 3)
