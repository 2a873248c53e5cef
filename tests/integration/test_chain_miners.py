"""The real ``pylotus daemon`` from a template with a pre-sealed genesis miner: its power, info,
deadline and randomness over JSON-RPC, and ``pylotus state power|miner-info``."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pylotus.abi import Address, RegisteredSealProof, commr_to_cid, window_post_proof_for
from pylotus.chain.crypto import key_address, new_secp256k1_key
from pylotus.chain.genesis_template import DealProposal, Miner, PreSeal, add_miners, new_template
from pylotus.proofs import zero_piece_cid

from .conftest import Daemon, run_cli, start_node, wait_for_api

T01000 = Address.new_id(1000)
PROOF = RegisteredSealProof.STACKED_DRG_2KIB_V1_1
PEER = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"


def _template(path: Path) -> Path:
    owner = key_address(new_secp256k1_key())
    sectors = tuple(
        PreSeal(
            comm_r=commr_to_cid(bytes([n + 1]) * 32),
            comm_d=zero_piece_cid(2048),
            sector_id=n,
            deal=DealProposal(zero_piece_cid(2048), 2048, owner, T01000, "", 0, 600_000),
            proof_type=PROOF,
        )
        for n in range(2)
    )
    template = add_miners(
        new_template("pylotus-test"), {T01000: Miner(T01000, owner, owner, PEER, 2048, sectors)}
    )
    path.write_text(json.dumps(template.to_json()))
    return path


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[Daemon]:
    template = _template(tmp_path / "genesis.json")
    daemon = start_node(tmp_path / "node", tmp_path / "node.log", "--genesis-template", str(template))
    wait_for_api(daemon)
    try:
        yield daemon
    finally:
        daemon.stop()


def result(daemon: Daemon, method: str, *params: object) -> object:
    body = daemon.call(method, *params, token=daemon.token).json()
    assert "error" not in body, body
    return body["result"]


def test_genesis_miner_over_rpc_and_cli(devnet: Daemon) -> None:
    power = result(devnet, "StateMinerPower", "t01000", None)
    assert power == {
        "MinerPower": {"RawBytePower": "4096", "QualityAdjPower": "4096"},
        "TotalPower": {"RawBytePower": "4096", "QualityAdjPower": "4096"},
        "HasMinPower": True,
    }
    info = result(devnet, "StateMinerInfo", "t01000", None)
    assert info["PeerId"] == PEER and info["WindowPoStProofType"] == int(window_post_proof_for(PROOF))  # type: ignore[index]
    sectors = result(devnet, "StateMinerActiveSectors", "t01000", None)
    assert [s["SectorNumber"] for s in sectors] == [0, 1]  # type: ignore[union-attr,index]
    deadline = result(devnet, "StateMinerProvingDeadline", "t01000", None)
    assert deadline["WPoStPeriodDeadlines"] == 48  # type: ignore[index]
    rand = result(devnet, "ChainGetRandomnessFromTickets", None, 5, 0, base64.b64encode(b"x").decode())
    assert len(base64.b64decode(rand)) == 32  # type: ignore[arg-type]
    unknown = devnet.call("StateMinerInfo", "t01001", None, token=devnet.token).json()
    assert unknown["error"]["code"] == 1 and "t01001" in unknown["error"]["message"]

    env = {"PYLOTUS_PATH": str(devnet.repo)}
    out = run_cli("pylotus", "state", "power", "t01000", env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "4096(4 KiB) / 4096(4 KiB) ~= 100.0000%\n"
    out = run_cli("pylotus", "state", "miner-info", "t01000", env=env)
    assert out.returncode == 0, out.stderr
    assert f"PeerID:\t{PEER}\n" in out.stdout and "SectorSize:\t2 KiB (2048)\n" in out.stdout
    assert "Byte Power:   4 KiB / 4 KiB (100.0000%)\n" in out.stdout
