"""Genesis templates and pre-seal manifests: Lotus's JSON layout, round trips, add-miner's rules, files.

Field names and order are Lotus's ``genesis/types.go`` and go-state-types v9 ``DealProposal``; the
manifest below is shaped as reference/lotus-miner.md §7 shows Lotus's (a BLS owner, ProofType 0, no
``ID`` and no ``DealClientKey`` as written before Lotus 1.11), to check that older files still read.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from pylotus.abi import Address, RegisteredSealProof, parse_cid
from pylotus.chain.crypto import key_address, new_secp256k1_key
from pylotus.chain.errors import ChainFileError, InvalidGenesisFile
from pylotus.chain.genesis_template import (
    FILECOIN_PRECISION,
    Actor,
    DealProposal,
    Miner,
    PreSeal,
    Template,
    add_miners,
    new_template,
    read_preseal_manifest,
    read_template,
    write_preseal_manifest,
    write_template,
)

BLS_OWNER = "t3sogjuub37grt2tuvvlxbiamthwxenf2dwgq6sn7gpj72c5omg7gojjplsdsovgq6g3aagwerkght3e7boqfq"
COMM_R = "bagboea4b5abcbvgqys7yga34ncfmpr6xgqykw4uti5ercqdeiuwpb2abaxnkd2lo"
COMM_D = "baga6ea4seaqi3xtrv4vzgwun375tl2lwxyuewohj7ub652gorecnn5bdvkpz6ki"
PEER = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"
ROOT_SIGNER = "t1ceb34gnsc6qk5dt6n7xg6ycwzasjhbxm3iylkiy"  # chain/gen/gen.go remAccTestKey

LOTUS_2020_MANIFEST = {
    "t01000": {
        "Owner": BLS_OWNER,
        "Worker": BLS_OWNER,
        "PeerId": PEER,
        "MarketBalance": "0",
        "PowerBalance": "0",
        "SectorSize": 2048,
        "Sectors": [
            {
                "CommR": {"/": COMM_R},
                "CommD": {"/": COMM_D},
                "SectorID": 0,
                "Deal": {
                    "PieceCID": {"/": COMM_D},
                    "PieceSize": 2048,
                    "VerifiedDeal": False,
                    "Client": BLS_OWNER,
                    "Provider": "t01000",
                    "Label": "0",
                    "StartEpoch": 0,
                    "EndEpoch": 9001,
                    "StoragePricePerEpoch": "0",
                    "ProviderCollateral": "0",
                    "ClientCollateral": "0",
                },
                "ProofType": 0,
            }
        ],
    }
}


def _miner(miner_id: int, owner: Address | None = None) -> Miner:
    key = new_secp256k1_key()
    owner = owner or key_address(key)
    address = Address.new_id(miner_id)
    deal = DealProposal(parse_cid(COMM_D), 2048, owner, address, "0", 0, 9001)
    sector = PreSeal(
        parse_cid(COMM_R), parse_cid(COMM_D), 0, deal, RegisteredSealProof(5), deal_client_key=key
    )
    return Miner(address, owner, owner, PEER, 2048, (sector,))


def test_new_template_is_lotus_shaped() -> None:
    doc = new_template().to_json()
    assert list(doc) == [
        "NetworkVersion",
        "Accounts",
        "Miners",
        "NetworkName",
        "VerifregRootKey",
        "RemainderAccount",
    ]
    assert doc["NetworkVersion"] == 16 and doc["Accounts"] == [] and doc["Miners"] == []
    assert isinstance(doc["NetworkName"], str) and doc["NetworkName"].startswith("localnet-")
    assert len(doc["NetworkName"]) == len("localnet-") + 36
    multisig = {
        "Type": "multisig",
        "Balance": "0",
        "Meta": {"Signers": [ROOT_SIGNER], "Threshold": 1, "VestingDuration": 0, "VestingStart": 0},
    }
    assert doc["VerifregRootKey"] == multisig and doc["RemainderAccount"] == multisig
    assert new_template().network_name != new_template().network_name


def test_timestamp_is_written_only_when_set() -> None:
    doc = new_template(network_name="devnet", timestamp=1740668645).to_json()
    assert list(doc)[3:5] == ["NetworkName", "Timestamp"] and doc["Timestamp"] == 1740668645
    assert Template.from_json(doc).timestamp == 1740668645


def test_miner_json_has_lotus_field_names_and_round_trips() -> None:
    miner = _miner(1000)
    doc = miner.to_json()
    assert list(doc) == [
        "ID",
        "Owner",
        "Worker",
        "PeerId",
        "MarketBalance",
        "PowerBalance",
        "SectorSize",
        "Sectors",
    ]
    sectors = doc["Sectors"]
    assert isinstance(sectors, list) and isinstance(sectors[0], dict)
    sector = sectors[0]
    assert list(sector) == ["CommR", "CommD", "SectorID", "Deal", "DealClientKey", "ProofType"]
    deal = sector["Deal"]
    assert isinstance(deal, dict) and list(deal) == [
        "PieceCID",
        "PieceSize",
        "VerifiedDeal",
        "Client",
        "Provider",
        "Label",
        "StartEpoch",
        "EndEpoch",
        "StoragePricePerEpoch",
        "ProviderCollateral",
        "ClientCollateral",
    ]
    assert sector["CommR"] == {"/": COMM_R} and sector["ProofType"] == 5
    assert sector["DealClientKey"] == {
        "Type": "secp256k1",
        "PrivateKey": json.loads(miner.sectors[0].deal_client_key.to_json())["PrivateKey"],  # type: ignore[union-attr]  # set by _miner
    }
    assert Miner.from_json(json.loads(json.dumps(doc))) == miner


def test_older_lotus_manifest_reads(tmp_path: Path) -> None:
    path = tmp_path / "pre-seal-t01000.json"
    path.write_text(json.dumps(LOTUS_2020_MANIFEST, indent=2))
    manifest = read_preseal_manifest(path)
    miner = manifest[Address.new_id(1000)]
    assert miner.id is None and str(miner.owner) == BLS_OWNER
    assert miner.sectors[0].proof_type is RegisteredSealProof.STACKED_DRG_2KIB_V1
    assert miner.sectors[0].deal_client_key is None
    assert miner.sectors[0].deal.end_epoch == 9001
    # add-miner fills in the ID from the manifest key, so the template says which miner it is.
    template = add_miners(new_template(), manifest)
    assert template.miners[0].id == Address.new_id(1000)
    assert template.to_json()["Miners"][0]["ID"] == "t01000"  # type: ignore[index,call-overload]  # JSON


def test_add_miner_funds_the_owner_as_lotus() -> None:
    miner = _miner(1000)
    template = add_miners(new_template(), {Address.new_id(1000): miner})
    assert template.miners == (miner,)
    assert template.accounts == (Actor.account(miner.owner, 50_000_000 * FILECOIN_PRECISION),)
    assert template.to_json()["Accounts"] == [
        {"Type": "account", "Balance": "50000000000000000000000000", "Meta": {"Owner": str(miner.owner)}}
    ]
    second = add_miners(template, {Address.new_id(1001): _miner(1001)}, balance_fil=7)
    assert [str(m.id) for m in second.miners] == ["t01000", "t01001"]
    assert second.accounts[1].balance == 7 * FILECOIN_PRECISION


def test_miners_of_one_manifest_are_added_in_id_order() -> None:
    manifest = {Address.new_id(1001): _miner(1001), Address.new_id(1000): _miner(1000)}
    template = add_miners(new_template(), manifest)
    assert [str(m.id) for m in template.miners] == ["t01000", "t01001"]


@pytest.mark.parametrize(
    "start,add,reason",
    [
        ((), 1001, "tried to set miner 't01001' as 't01000'"),
        ((1000,), 1000, "miner 't01000' is already in the genesis template"),
        ((1000,), 1002, "tried to set miner 't01002' as 't01001'"),
    ],
)
def test_add_miner_refuses_ids_out_of_order(start: tuple[int, ...], add: int, reason: str) -> None:
    template = new_template()
    for miner_id in start:
        template = add_miners(template, {Address.new_id(miner_id): _miner(miner_id)})
    with pytest.raises(InvalidGenesisFile, match=reason):
        add_miners(template, {Address.new_id(add): _miner(add)})


def test_add_miner_refuses_a_key_that_disagrees_with_the_id() -> None:
    with pytest.raises(InvalidGenesisFile, match="manifest key 't01000' holds miner 't01001'"):
        add_miners(new_template(), {Address.new_id(1000): _miner(1001)})
    owner = key_address(new_secp256k1_key())
    with pytest.raises(InvalidGenesisFile, match="is not an ID address"):
        add_miners(new_template(), {owner: _miner(1000)})


def test_files_are_written_with_their_modes_and_read_back(tmp_path: Path) -> None:
    template = add_miners(new_template(), {Address.new_id(1000): _miner(1000)})
    path = tmp_path / "localnet.json"
    write_template(path, template)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert read_template(path) == template
    assert path.read_text().startswith('{\n  "NetworkVersion": 16,\n  "Accounts": [')
    manifest_path = tmp_path / "pre-seal-t01000.json"
    manifest = {Address.new_id(1000): _miner(1000)}
    write_preseal_manifest(manifest_path, manifest)
    assert stat.S_IMODE(manifest_path.stat().st_mode) == 0o600  # it holds DealClientKey
    assert read_preseal_manifest(manifest_path) == manifest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["localnet.json", "pre-seal-t01000.json"]


@pytest.mark.parametrize(
    "mutate,reason",
    [
        (lambda d: d["t01000"].pop("Owner"), "'t01000.Owner' is missing"),
        (lambda d: d["t01000"].update(SectorSize="2KiB"), "'t01000.SectorSize' must be an integer"),
        (lambda d: d["t01000"].update(PowerBalance=0.5), "'t01000.PowerBalance' must be a decimal string"),
        (lambda d: d["t01000"]["Sectors"][0].update(CommR={"/": "nope"}), "'t01000.Sectors\\[0\\].CommR'"),
        (lambda d: d["t01000"]["Sectors"][0].update(ProofType=99), "'t01000.Sectors\\[0\\].ProofType'"),
        (lambda d: d["t01000"]["Sectors"][0]["Deal"].update(Client="x"), "Sectors\\[0\\].Deal.Client"),
        (lambda d: d.update(nonsense=d.pop("t01000")), "key 'nonsense'"),
    ],
)
def test_malformed_manifests_name_the_field(tmp_path: Path, mutate: object, reason: str) -> None:
    doc = json.loads(json.dumps(LOTUS_2020_MANIFEST))
    mutate(doc)  # type: ignore[operator]  # the lambdas above
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InvalidGenesisFile, match=f"pre-seal manifest '{path}': .*{reason}"):
        read_preseal_manifest(path)


def test_unreadable_or_non_json_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ChainFileError, match="cannot read genesis template '.*missing.json': no such file"):
        read_template(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InvalidGenesisFile, match="genesis template '.*bad.json' is not json"):
        read_template(bad)
    bad.write_text('{"NetworkVersion": 16}')
    with pytest.raises(InvalidGenesisFile, match="'Template.NetworkName' is missing"):
        read_template(bad)
    with pytest.raises(ChainFileError, match="cannot write"):
        write_template(tmp_path / "no-such-dir" / "t.json", new_template())
