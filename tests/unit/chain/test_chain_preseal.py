"""Pre-sealing in process: the small pieces against vectors, the refusals, and failure clean-up.

Vectors: libp2p's peer-ids spec Ed25519 key (seed ``7e0830…``, public ``1ed1e8…``, peer ID
``12D3KooWBtg3…``, as rust-libp2p's ``keypair_protobuf_roundtrip_ed25519``) and RFC 8032 §7.1 TEST 1.
The full pre-seal with its files and proofs is tests/integration/test_seed_cli.py.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from pylotus.abi import Address, RegisteredSealProof, cid_to_commr
from pylotus.chain.crypto import key_address, new_secp256k1_key
from pylotus.chain.errors import InvalidKey, InvalidPreSeal, PreSealFailed, UnsupportedKeyType
from pylotus.chain.preseal import (
    PHASES,
    SealProgress,
    check_pre_seal,
    key_file_text,
    pre_seal,
    preseal_ticket,
    read_key_file,
)
from pylotus.proofs import poseidon_hash_nodes
from pylotus.repo import KeyInfo

PROOF = RegisteredSealProof.STACKED_DRG_2KIB_V1_1
T01000 = Address.new_id(1000)


def test_ticket_is_blake2b_of_the_preimage() -> None:
    # seed.go: trand := blake2b.Sum256(preimage), not sha256.
    assert preseal_ticket(b"lotus is fire") == hashlib.blake2b(b"lotus is fire", digest_size=32).digest()
    assert preseal_ticket(b"lotus is fire") != hashlib.sha256(b"lotus is fire").digest()


def test_key_file_is_hex_of_compact_keyinfo_json(tmp_path: Path) -> None:
    key = new_secp256k1_key()
    text = key_file_text(key)
    assert json.loads(bytes.fromhex(text.decode())) == json.loads(key.to_json())
    assert b" " not in bytes.fromhex(text.decode())  # Go's json.Marshal is compact
    path = tmp_path / "k.key"
    path.write_bytes(text + b"\n")  # an editor's trailing newline is fine
    assert read_key_file(path) == key


@pytest.mark.parametrize(
    "content,error,reason",
    [
        (b"zz", InvalidKey, "is not hex of a KeyInfo json"),
        (b"7b7d", InvalidKey, "needs string fields 'Type' and 'PrivateKey'"),
        (
            KeyInfo("bls", bytes(32)).to_json().hex().encode(),
            UnsupportedKeyType,
            "key type 'bls' is not supported",
        ),
        (KeyInfo("secp256k1", bytes(32)).to_json().hex().encode(), InvalidKey, "out of range"),
    ],
)
def test_bad_key_files_are_refused(tmp_path: Path, content: bytes, error: type, reason: str) -> None:
    path = tmp_path / "bad.key"
    path.write_bytes(content)
    with pytest.raises(error, match=reason):
        read_key_file(path)


@pytest.mark.parametrize(
    "miner,proof,count,offset,reason",
    [
        (Address.from_string("t1d2xrzcslx7xlbbylc5c3d5lvandqw4iwl6epxba"), PROOF, 1, 0, "not an ID address"),
        (T01000, RegisteredSealProof.STACKED_DRG_32GIB_V1_1, 1, 0, "cannot pre-seal 32 GiB sectors"),
        (T01000, PROOF, 0, 0, "need at least 1"),
        (T01000, PROOF, 2, 2**63 - 1, "leave 0..2\\^63-1"),
    ],
)
def test_impossible_pre_seals_are_refused(
    tmp_path: Path, miner: Address, proof: RegisteredSealProof, count: int, offset: int, reason: str
) -> None:
    with pytest.raises(InvalidPreSeal, match=reason):
        check_pre_seal(tmp_path, miner, proof, count, offset)
    assert list(tmp_path.iterdir()) == []


def test_existing_sector_files_are_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "cache" / "s-t01000-3").mkdir(parents=True)
    with pytest.raises(InvalidPreSeal, match="s-t01000-3' already exists; .* --sector-offset"):
        pre_seal(tmp_path, T01000, PROOF, num_sectors=2, sector_offset=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]


def test_one_sector_pre_seals_with_progress(tmp_path: Path) -> None:
    steps: list[SealProgress] = []
    key = new_secp256k1_key()
    output = pre_seal(
        tmp_path / "sectors",
        T01000,
        PROOF,
        sector_offset=7,
        key=key,
        parent_cache_dir=tmp_path / "parents",
        progress=steps.append,
    )
    assert [step.phase for step in steps] == [*PHASES, "done"]
    assert {str(step.sector) for step in steps} == {"s-t01000-7"}
    miner = output.miner
    assert output.key == key and miner.owner == miner.worker == key_address(key)
    assert miner.id == T01000 and miner.sector_size == 2048 and miner.peer_id.startswith("12D3KooW")
    (sector,) = miner.sectors
    assert sector.sector_id == 7 and sector.proof_type is PROOF and sector.deal_client_key == key
    assert sector.deal.piece_cid == sector.comm_d and sector.deal.label == "0"
    p_aux = (tmp_path / "sectors" / "cache" / "s-t01000-7" / "p_aux").read_bytes()
    assert poseidon_hash_nodes([p_aux[:32], p_aux[32:]]) == cid_to_commr(sector.comm_r)
    assert not (tmp_path / "sectors" / "unsealed" / "s-t01000-7").exists()


def test_a_failed_sector_is_named_and_the_run_removed(tmp_path: Path) -> None:
    sectors = tmp_path / "sectors"

    def sabotage(step: SealProgress) -> None:
        # Once sector 0 is sealed, put a directory where sector 1's sealed file must go.
        if step.sector.number == 0 and step.phase == "done":
            (sectors / "sealed" / "s-t01000-1").mkdir()

    with pytest.raises(
        PreSealFailed, match="sector 's-t01000-1' \\(2 of 3\\) failed in PreCommit1: .*removed"
    ):
        pre_seal(
            sectors, T01000, PROOF, num_sectors=3, parent_cache_dir=tmp_path / "parents", progress=sabotage
        )
    assert not (sectors / "sealed" / "s-t01000-0").exists()
    assert not (sectors / "cache" / "s-t01000-0").exists()
    assert not (sectors / "cache" / "s-t01000-1").exists()
    assert not (sectors / "sectorstore.json").exists()
    assert list((sectors / "unsealed").iterdir()) == []
