"""Commitment CIDs against reference/proofs.md §2.2, §2.4, §7 and api-examples.md §4 vectors."""

from __future__ import annotations

import pytest
from multiformats import CID

from pylotus.abi import (
    InvalidCid,
    cid_from_json,
    cid_to_commd,
    cid_to_commr,
    cid_to_json,
    cid_to_piece_commitment,
    commd_to_cid,
    commr_to_cid,
    parse_cid,
    piece_commitment_to_cid,
)
from pylotus.abi.json_types import JsonValue

# reference/proofs.md §2.2: zero commitments, hex and CID (VERIFIED there).
ZERO_COMMD = [
    (
        "3731bb99ac689f66eef5973e4a94da188f4ddcae580724fc6f3fd60dfd488333",
        "baga6ea4seaqdomn3tgwgrh3g532zopskstnbrd2n3sxfqbze7rxt7vqn7veigmy",
    ),  # 128 B
    (
        "642a607ef886b004bf2c1978463ae1d4693ac0f410eb2d1b7a47fe205e5e750f",
        "baga6ea4seaqgiktap34inmaex4wbs6cghlq5i2j2yd2bb2zndn5ep7ralzphkdy",
    ),  # 256 B
    (
        "fc7e928296e516faade986b28f92d44a4f24b935485223376a799027bc18f833",
        "baga6ea4seaqpy7usqklokfx2vxuynmupslkeutzexe2uqurdg5vhtebhxqmpqmy",
    ),  # 2 KiB
    (
        "65f29e5d98d246c38b388cfc06db1f6b021303c5a289000bdce832a9c3ec421c",
        "baga6ea4seaqgl4u6lwmnerwdrm4iz7ag3mpwwaqtapc2fciabpooqmvjypweeha",
    ),  # 8 MiB
    (
        "39560e7b13a93b07a243fd2720ffa7cb3e1d2e505ab3629e79f46313512cda06",
        "baga6ea4seaqdsvqopmj2soyhujb72jza76t4wpq5fzifvm3ctz47iyytkewnubq",
    ),  # 512 MiB
    (
        "077e5fde35c50a9303a55009e3498a4ebedff39c42b710b730d8ec7ac7afa63e",
        "baga6ea4seaqao7s73y24kcutaosvacpdjgfe5pw76ooefnyqw4ynr3d2y6x2mpq",
    ),  # 32 GiB
    (
        "e64005a6bfe3777953b8ad6ef93f0fca1049b2041654f2a411f7702799cece02",
        "baga6ea4seaqomqafu276g53zko4k23xzh4h4uecjwicbmvhsuqi7o4bhthhm4aq",
    ),  # 64 GiB
    # §2.4: raw CommP of the 4×127-byte commcid_test.go vector.
    (
        "496dae0cc9e265efe5a006e80626a5dc5c409e5d3155c13984caf6c8d5cfd605",
        "baga6ea4seaqes3nobte6ezpp4wqan2age2s5yxcatzotcvobhgcmv5wi2xh5mbi",
    ),
]

# reference/proofs.md §7 Vector B: comm_r of the lotus-bench 2KiB example.
COMMR_HEX = "c647b998c78282296cfd1160714228d43f3b054dfbbb77172b68115ba3c3b762"
COMMR_CID = "bagboea4b5abcbrshxgmmpaucffwp2elaofbcrvb7hmcu3653o4lsw2arlor4hn3c"

# api-examples.md §4.2: a message CID (dag-cbor, blake2b-256) and its bytes.
MESSAGE_CID = "bafy2bzaced5rdpz57e64sc7mdwjn3blicglhpialnrph2dlbufhf6iha63dmc"
MESSAGE_CID_BYTES = "0171a0e40220fb11bf3df93dc90bec1d92dd8568119677a00b6c5e7d0d61a14e5f20e0f6c6c1"


@pytest.mark.parametrize(("hexcomm", "text"), ZERO_COMMD)
def test_commd_vectors(hexcomm: str, text: str) -> None:
    commd = bytes.fromhex(hexcomm)
    cid = commd_to_cid(commd)
    assert str(cid) == text
    assert cid_to_commd(cid) == commd
    assert cid_to_commd(text) == commd
    assert cid_to_commd(parse_cid(text)) == commd
    assert str(piece_commitment_to_cid(commd)) == text
    assert cid_to_piece_commitment(text) == commd


def test_commd_cid_binary_prefix() -> None:
    # §2.4: 01 81e203 9220 20 ‖ 32 bytes.
    commd = bytes.fromhex(ZERO_COMMD[2][0])
    assert bytes(commd_to_cid(commd)) == bytes.fromhex("0181e203922020") + commd


def test_commr_vector() -> None:
    commr = bytes.fromhex(COMMR_HEX)
    cid = commr_to_cid(commr)
    assert str(cid) == COMMR_CID
    # §2.4: 01 82e203 81e802 20 ‖ 32 bytes.
    assert bytes(cid) == bytes.fromhex("0182e20381e80220") + commr
    assert cid_to_commr(cid) == commr
    assert cid_to_commr(COMMR_CID) == commr


def test_commitments_are_not_interchangeable() -> None:
    commd_cid = ZERO_COMMD[2][1]
    with pytest.raises(InvalidCid, match="codec fil-commitment-unsealed, want fil-commitment-sealed"):
        cid_to_commr(commd_cid)
    with pytest.raises(InvalidCid, match="codec fil-commitment-sealed, want fil-commitment-unsealed"):
        cid_to_commd(COMMR_CID)
    with pytest.raises(InvalidCid, match="codec dag-cbor"):
        cid_to_commd(MESSAGE_CID)
    with pytest.raises(InvalidCid, match="cid version 0"):
        cid_to_commd("QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n")


def test_right_codec_wrong_multihash_refused() -> None:
    # fil-commitment-unsealed codec around a sha2-256 multihash (0x12): built from bytes by hand.
    wrong = CID.decode(bytes.fromhex("0181e2031220") + bytes(32))
    with pytest.raises(InvalidCid, match="multihash sha2-256, want sha2-256-trunc254-padded"):
        cid_to_commd(wrong)
    short = CID.decode(bytes.fromhex("0181e203922010") + bytes(16))
    with pytest.raises(InvalidCid, match="digest is 16 bytes, want 32"):
        cid_to_commd(short)


@pytest.mark.parametrize("length", [0, 31, 33, 64])
def test_commitment_must_be_32_bytes(length: int) -> None:
    with pytest.raises(InvalidCid, match=f"must be 32 bytes, got {length}"):
        commd_to_cid(bytes(length))
    with pytest.raises(InvalidCid):
        commr_to_cid(bytes(length))


def test_parse_cid_message_cid() -> None:
    cid = parse_cid(MESSAGE_CID)
    assert bytes(cid) == bytes.fromhex(MESSAGE_CID_BYTES)
    assert str(cid) == MESSAGE_CID


def test_parse_cid_prints_like_lotus() -> None:
    # The same v1 CID in base58btc prints back as base32; v0 stays base58btc.
    assert str(parse_cid("zDPWYqFD8bxJqPBwra9QTDj92i9G1Anr82GcownZ9BZDJQ5FW6q6")) == MESSAGE_CID
    assert str(parse_cid(MESSAGE_CID.upper())) == MESSAGE_CID
    v0 = "QmdfTbBqBPQ7VNxZEYEj14VmRuZBkqFbiwReogJgS1zR1n"
    assert str(parse_cid(v0)) == v0


@pytest.mark.parametrize(
    "text",
    [
        "",
        "x",
        "bafy",
        "b!!!!",
        "QmZZ",
        "bagboea4b5abc",
        "zzzzzzzz",
        MESSAGE_CID[:-1],
        "baga6ea4seaqpy7usqklokfx2vxuynmupslkeutzexe2uqurdg5vhtebhxqmpqm",
        " " + MESSAGE_CID,
        "not a cid at all",
    ],
)
def test_parse_cid_refuses(text: str) -> None:
    with pytest.raises(InvalidCid) as info:
        parse_cid(text)
    message = str(info.value)
    assert message.startswith("invalid cid '")
    assert "\n" not in message
    assert "': " in message  # a reason follows the quoted input


def test_parse_cid_refuses_non_strings() -> None:
    with pytest.raises(InvalidCid):
        parse_cid(b"bafy")  # type: ignore[arg-type]  # misuse on purpose


def test_cid_json_wire_form() -> None:
    cid = parse_cid(MESSAGE_CID)
    assert cid_to_json(cid) == {"/": MESSAGE_CID}
    assert cid_from_json({"/": MESSAGE_CID}) == cid
    assert cid_to_json(commr_to_cid(bytes.fromhex(COMMR_HEX))) == {"/": COMMR_CID}
    base58 = parse_cid("zDPWYqFD8bxJqPBwra9QTDj92i9G1Anr82GcownZ9BZDJQ5FW6q6")
    assert cid_to_json(base58) == {"/": MESSAGE_CID}


@pytest.mark.parametrize(
    "obj",
    [
        None,
        MESSAGE_CID,
        [MESSAGE_CID],
        {},
        {"/": None},
        {"/": 5},
        {"/": ""},
        {"/": "garbage"},
        {"cid": MESSAGE_CID},
        {"/": MESSAGE_CID, "extra": 1},
    ],
)
def test_cid_from_json_refuses(obj: JsonValue) -> None:
    with pytest.raises(InvalidCid):
        cid_from_json(obj)
