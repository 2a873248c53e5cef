"""``pylotus-seed`` as a real process: the devnet recipe of reference/lotus-miner.md §8, steps 3–5.

``pre-seal --sector-size 2KiB --num-sectors 2`` into a temporary ``--sector-dir``, then ``genesis new``
and ``genesis add-miner``.  The sectors are checked to be real, not just well-formed JSON: each CommR
is Poseidon(comm_c, comm_r_last) of the sector's ``p_aux``, unsealing sector 0 with the ticket
blake2b-256("lotus is fire") reproduces data whose CommD is the manifest's, and a window PoSt over both
sealed files verifies against the manifest's CommRs.  The SDR parent cache is this module's own
(``PYLOTUS_PARENT_CACHE``).
"""

from __future__ import annotations

import hashlib
import json
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any  # parsed JSON, read field by field

import pytest

from pylotus.abi import RegisteredSealProof, cid_to_commd, cid_to_commr, parse_cid, window_post_proof_for
from pylotus.chain.crypto import key_address
from pylotus.proofs import (
    InvalidProof,
    PrivateSectorInfo,
    SectorInfo,
    SectorPaths,
    WindowPoStVerifyInfo,
    check_window_post,
    generate_window_post,
    poseidon_hash_nodes,
    unseal_range,
)
from pylotus.repo import KeyInfo

from .conftest import run_cli

pytestmark = pytest.mark.integration

PROOF = RegisteredSealProof.STACKED_DRG_2KIB_V1_1


@dataclass
class Seeded:
    root: Path
    sectors: Path
    env: dict[str, str]
    result: subprocess.CompletedProcess[str]

    def seed(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli("pylotus-seed", *args, env=self.env, timeout=60)

    @property
    def manifest(self) -> dict[str, dict[str, Any]]:
        doc: dict[str, dict[str, Any]] = json.loads((self.sectors / "pre-seal-t01000.json").read_text())
        return doc

    @property
    def key(self) -> KeyInfo:
        return KeyInfo.from_json(bytes.fromhex((self.sectors / "pre-seal-t01000.key").read_text()))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    root = tmp_path_factory.mktemp("seed")
    env = {"PYLOTUS_PARENT_CACHE": str(root / "parents")}
    sectors = root / "sectors"
    result = run_cli(
        "pylotus-seed",
        "--sector-dir",
        str(sectors),
        "pre-seal",
        "--sector-size",
        "2KiB",
        "--num-sectors",
        "2",
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return Seeded(root, sectors, env, result)


def _sectors(seeded: Seeded) -> list[dict[str, Any]]:
    sectors = seeded.manifest["t01000"]["Sectors"]
    assert isinstance(sectors, list)
    return sectors


def test_pre_seal_writes_lotus_files(seeded: Seeded) -> None:
    d = seeded.sectors
    assert sorted(p.name for p in d.iterdir()) == [
        "cache",
        "pre-seal-t01000.json",
        "pre-seal-t01000.key",
        "sealed",
        "sectorstore.json",
        "unsealed",
    ]
    assert sorted(p.name for p in (d / "sealed").iterdir()) == ["s-t01000-0", "s-t01000-1"]
    assert all((d / "sealed" / f"s-t01000-{n}").stat().st_size == 2048 for n in (0, 1))
    for n in (0, 1):  # finalized: only what PoSt and unsealing need is left
        cache = sorted(p.name for p in (d / "cache" / f"s-t01000-{n}").iterdir())
        assert cache == ["p_aux", "sc-02-data-tree-r-last.dat", "t_aux"]
    assert list((d / "unsealed").iterdir()) == []
    store = json.loads((d / "sectorstore.json").read_text())
    assert store["Weight"] == 0 and store["CanSeal"] is False and store["CanStore"] is False
    assert len(store["ID"]) == 36
    for name in ("pre-seal-t01000.json", "pre-seal-t01000.key"):
        assert stat.S_IMODE((d / name).stat().st_mode) == 0o600
    out = seeded.result.stdout.splitlines()
    assert out[0] == f"pre-sealed 2 StackedDrg2KiBV1_1 sectors for t01000 in {d}"
    assert out[1] == f"manifest: {d / 'pre-seal-t01000.json'}"
    assert "sector pre-sealed sector=s-t01000-1" in seeded.result.stderr


def test_manifest_is_the_lotus_layout(seeded: Seeded) -> None:
    manifest = seeded.manifest
    assert list(manifest) == ["t01000"]
    miner = manifest["t01000"]
    owner = str(key_address(seeded.key))
    assert seeded.key.type == "secp256k1"
    assert miner["ID"] == "t01000" and miner["Owner"] == owner and miner["Worker"] == owner
    assert str(miner["PeerId"]).startswith("12D3KooW")
    assert miner["MarketBalance"] == "0" and miner["PowerBalance"] == "0" and miner["SectorSize"] == 2048
    key_json = json.loads(seeded.key.to_json())
    for index, sector in enumerate(_sectors(seeded)):
        assert isinstance(sector, dict)
        assert sector["SectorID"] == index and sector["ProofType"] == int(PROOF)
        assert str(sector["CommR"]["/"]).startswith("bagboea4b5abc")
        assert str(sector["CommD"]["/"]).startswith("baga6ea4seaq")
        assert sector["DealClientKey"] == key_json
        assert sector["Deal"] == {
            "PieceCID": sector["CommD"],
            "PieceSize": 2048,
            "VerifiedDeal": False,
            "Client": owner,
            "Provider": "t01000",
            "Label": str(index),
            "StartEpoch": 0,
            "EndEpoch": 9001,
            "StoragePricePerEpoch": "0",
            "ProviderCollateral": "0",
            "ClientCollateral": "0",
        }
    commrs = {sector["CommR"]["/"] for sector in _sectors(seeded)}
    assert len(commrs) == 2  # random data: two different sectors


def test_commitments_are_those_of_the_sealed_files(seeded: Seeded, tmp_path: Path) -> None:
    d = seeded.sectors
    infos: list[PrivateSectorInfo] = []
    for n, sector in enumerate(_sectors(seeded)):
        assert isinstance(sector, dict)
        comm_r = parse_cid(sector["CommR"]["/"])
        p_aux = (d / "cache" / f"s-t01000-{n}" / "p_aux").read_bytes()
        assert poseidon_hash_nodes([p_aux[:32], p_aux[32:]]) == cid_to_commr(comm_r)
        infos.append(
            PrivateSectorInfo(
                SectorInfo(PROOF, n, comm_r), d / "cache" / f"s-t01000-{n}", d / "sealed" / f"s-t01000-{n}"
            )
        )
    # Unsealing sector 0 checks the decoded data against CommD: right ticket, right data.
    first = _sectors(seeded)[0]
    assert isinstance(first, dict)
    ticket = hashlib.blake2b(b"lotus is fire", digest_size=32).digest()
    paths = SectorPaths(tmp_path / "unsealed-0", d / "sealed" / "s-t01000-0", d / "cache" / "s-t01000-0")
    comm_d = cid_to_commd(parse_cid(first["CommD"]["/"]))
    unseal_range(PROOF, paths, 1000, 0, ticket, comm_d, 0, 2032, parent_cache_dir=seeded.root / "parents")
    assert paths.unsealed.stat().st_size == 2048
    # A window PoSt over both sealed files verifies against the manifest's CommRs.
    post_proof = window_post_proof_for(PROOF)
    randomness = bytes(range(32))
    proofs, skipped = generate_window_post(post_proof, 1000, infos, randomness)
    assert skipped == []
    sectors = tuple(info.info for info in infos)
    check_window_post(WindowPoStVerifyInfo(randomness, tuple(proofs), sectors, 1000))
    swapped = (SectorInfo(PROOF, 0, sectors[1].sealed_cid), SectorInfo(PROOF, 1, sectors[0].sealed_cid))
    with pytest.raises(InvalidProof):
        check_window_post(WindowPoStVerifyInfo(randomness, tuple(proofs), swapped, 1000))


def test_genesis_recipe_with_a_second_miner_reusing_the_key(seeded: Seeded) -> None:
    template = seeded.root / "localnet.json"
    assert seeded.seed("genesis", "new", str(template)).returncode == 0
    preseal = seeded.sectors / "pre-seal-t01000.json"
    added = seeded.seed("genesis", "add-miner", str(template), str(preseal))
    assert added.returncode == 0, added.stderr
    doc = json.loads(template.read_text())
    assert doc["NetworkName"].startswith("localnet-") and doc["NetworkVersion"] == 16
    assert doc["Miners"] == [seeded.manifest["t01000"]]
    owner = str(key_address(seeded.key))
    assert doc["Accounts"] == [
        {"Type": "account", "Balance": str(50_000_000 * 10**18), "Meta": {"Owner": owner}}
    ]
    again = seeded.seed("genesis", "add-miner", str(template), str(preseal))
    assert again.returncode == 1
    assert again.stderr.strip().splitlines()[-1] == "Error: miner 't01000' is already in the genesis template"
    # t01001 pre-sealed with the same key (--key) joins as the next miner.
    second = seeded.root / "second"
    key_file = str(seeded.sectors / "pre-seal-t01000.key")
    sealed = seeded.seed("--sector-dir", str(second), "pre-seal", "--miner-addr", "t01001", "--key", key_file)
    assert sealed.returncode == 0, sealed.stderr
    added = seeded.seed("genesis", "add-miner", str(template), str(second / "pre-seal-t01001.json"))
    assert added.returncode == 0, added.stderr
    doc = json.loads(template.read_text())
    assert [m["ID"] for m in doc["Miners"]] == ["t01000", "t01001"]
    assert doc["Miners"][1]["Owner"] == owner and len(doc["Accounts"]) == 2


def test_bad_flags_are_refused_before_anything_is_written(seeded: Seeded, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    for args in (
        ["--sector-size", "3KiB"],
        ["--fake-sectors"],
        ["--miner-addr", "t1abc"],
        ["--num-sectors", "0"],
    ):
        out = seeded.seed("--sector-dir", str(fresh), "pre-seal", *args)
        assert out.returncode == 2, (args, out.stderr)
        assert "Traceback" not in out.stderr and "Try 'pylotus-seed pre-seal --help' for help." in out.stderr
    assert not fresh.exists()
    bls = tmp_path / "bls.key"
    bls.write_text(KeyInfo("bls", bytes(32)).to_json().hex())
    out = seeded.seed("--sector-dir", str(fresh), "pre-seal", "--key", str(bls))
    assert out.returncode == 1
    assert (
        out.stderr.strip()
        == "Error: key type 'bls' is not supported: pylotus signs with 'secp256k1' keys only"
    )
    assert not fresh.exists()


def test_errors_are_one_line_with_exit_code_1(seeded: Seeded, tmp_path: Path) -> None:
    rerun = seeded.seed("--sector-dir", str(seeded.sectors), "pre-seal")
    assert rerun.returncode == 1
    assert rerun.stderr.strip().splitlines()[-1] == (
        f"Error: sector file '{seeded.sectors / 'sealed' / 's-t01000-0'}' already exists; "
        "pre-seal into another --sector-dir or skip its numbers with --sector-offset"
    )
    missing = seeded.seed("genesis", "add-miner", str(tmp_path / "none.json"), str(tmp_path / "p.json"))
    assert missing.returncode == 1
    assert missing.stderr.strip().startswith(
        f"Error: cannot read genesis template '{tmp_path / 'none.json'}'"
    )
    template = tmp_path / "t.json"
    assert seeded.seed("genesis", "new", str(template)).returncode == 0
    junk = tmp_path / "junk.json"
    junk.write_text('{"t01000": {"Owner": 5}}')
    bad = seeded.seed("genesis", "add-miner", str(template), str(junk))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert f"pre-seal manifest '{junk}'" in bad.stderr and "'t01000.Owner'" in bad.stderr
    usage = seeded.seed("genesis", "new")
    assert usage.returncode == 2 and "Missing argument 'FILE'" in usage.stderr
