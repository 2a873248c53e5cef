"""Filecoin addresses against published vectors.

Sources (all typed in, none computed by the code under test):

* go-address ``address_test.go``: ``TestVectorsIDAddress``, ``TestVectorSecp256k1Address``,
  ``TestVectorActorAddress``, ``TestVectorBLSAddress``, ``TestInvalidStringAddresses``,
  ``TestInvalidByteAddresses``, ``TestIDMax``, ``TestIDEdgeCase``;
* reference/api-examples.md §4 (message CBOR: the address byte strings of ``f04``/``f00``,
  ``t099999``, ``t01002``, the Zondax ``t1…`` pair and the serialization-vectors ``t3…`` keys);
* specs-actors ``adt_test.go`` (actor addresses of "actor1" and "222"); izari-filecoin (``t08666``).
"""

from __future__ import annotations

import json

import pytest

from pylotus.abi import Address, AddressProtocol, InvalidAddress

# (string, byte form hex)
ID_VECTORS = [
    ("t00", "0000"),
    ("t01", "0001"),
    ("t010", "000a"),
    ("t0150", "009601"),
    ("t0499", "00f303"),
    ("t01024", "008008"),
    ("t01729", "00c10d"),
    ("t0999999", "00bf843d"),
    ("t08666", "00da43"),
    ("t099999", "009f8d06"),
    ("t01002", "00ea07"),
    ("t09223372036854775807", "00ffffffffffffffff7f"),
]

SECP_VECTORS = [
    # go-address TestVectorSecp256k1Address: public key → address
    (
        bytes(
            [
                4,
                148,
                2,
                250,
                195,
                126,
                100,
                50,
                164,
                22,
                163,
                160,
                202,
                84,
                38,
                181,
                24,
                90,
                179,
                178,
                79,
                97,
                52,
                239,
                162,
                92,
                228,
                135,
                200,
                45,
                46,
                78,
                19,
                191,
                69,
                37,
                17,
                224,
                210,
                36,
                84,
                33,
                248,
                97,
                59,
                193,
                13,
                114,
                250,
                33,
                102,
                102,
                169,
                108,
                59,
                193,
                57,
                32,
                211,
                255,
                35,
                63,
                208,
                188,
                5,
            ]
        ),
        "t15ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7pdrq",
    ),
    (
        bytes(
            [
                4,
                66,
                131,
                43,
                248,
                124,
                206,
                158,
                163,
                69,
                185,
                3,
                80,
                222,
                125,
                52,
                149,
                133,
                156,
                164,
                73,
                5,
                156,
                94,
                136,
                221,
                231,
                66,
                133,
                223,
                251,
                158,
                192,
                30,
                186,
                188,
                95,
                200,
                98,
                104,
                207,
                234,
                235,
                167,
                174,
                5,
                191,
                184,
                214,
                142,
                183,
                90,
                82,
                104,
                120,
                44,
                248,
                111,
                200,
                112,
                43,
                239,
                138,
                31,
                224,
            ]
        ),
        "t17uoq6tp427uzv7fztkbsnn64iwotfrristwpryy",
    ),
    # api-examples.md §4.4: the Zondax key's public key and its From address.
    (
        bytes.fromhex(
            "0435e752dc6b4113f78edcf2cf7b8082e442021de5f00818f555397a6f181af795ace98f0f7d065793eaffa1b0"
            "6bf52e572c97030c53a2396dfab40ba0e976b108"
        ),
        "t1d2xrzcslx7xlbbylc5c3d5lvandqw4iwl6epxba",
    ),
]

ACTOR_VECTORS = [
    # go-address TestVectorActorAddress: creation data → address
    (
        bytes([118, 18, 129, 144, 205, 240, 104, 209, 65, 128, 68, 172, 192, 62, 11, 103, 129, 151, 13, 96]),
        "t24vg6ut43yw2h2jqydgbg2xq7x6f4kub3bg6as6i",
    ),
    (
        bytes(
            [44, 175, 184, 226, 224, 107, 186, 152, 234, 101, 124, 92, 245, 244, 32, 35, 170, 35, 232, 142]
        ),
        "t25nml2cfbljvn4goqtclhifepvfnicv6g7mfmmvq",
    ),
    (
        bytes([2, 44, 158, 14, 162, 157, 143, 64, 197, 106, 190, 195, 92, 141, 88, 125, 160, 166, 76, 24]),
        "t2nuqrg7vuysaue2pistjjnt3fadsdzvyuatqtfei",
    ),
    (
        bytes([223, 236, 3, 14, 32, 79, 15, 89, 216, 15, 29, 94, 233, 29, 253, 6, 109, 127, 99, 189]),
        "t24dd4ox4c2vpf5vk5wkadgyyn6qtuvgcpxxon64a",
    ),
    (
        bytes([61, 58, 137, 232, 221, 171, 84, 120, 50, 113, 108, 109, 70, 140, 53, 96, 201, 244, 127, 216]),
        "t2gfvuyh7v2sx3patm5k23wdzmhyhtmqctasbr23y",
    ),
]

BLS_VECTORS = [
    # go-address TestVectorBLSAddress: public key → address
    (
        bytes(
            [
                173,
                88,
                223,
                105,
                110,
                45,
                78,
                145,
                234,
                134,
                200,
                129,
                233,
                56,
                186,
                78,
                168,
                27,
                57,
                94,
                18,
                121,
                123,
                132,
                185,
                207,
                49,
                75,
                149,
                70,
                112,
                94,
                131,
                156,
                122,
                153,
                214,
                6,
                178,
                71,
                221,
                180,
                249,
                172,
                122,
                52,
                20,
                221,
            ]
        ),
        "t3vvmn62lofvhjd2ugzca6sof2j2ubwok6cj4xxbfzz4yuxfkgobpihhd2thlanmsh3w2ptld2gqkn2jvlss4a",
    ),
    (
        bytes(
            [
                167,
                114,
                107,
                3,
                128,
                34,
                247,
                90,
                56,
                70,
                23,
                88,
                83,
                96,
                206,
                230,
                41,
                7,
                10,
                45,
                157,
                40,
                113,
                41,
                101,
                229,
                242,
                110,
                204,
                64,
                133,
                131,
                130,
                128,
                55,
                36,
                237,
                52,
                242,
                114,
                3,
                54,
                240,
                157,
                182,
                49,
                240,
                116,
            ]
        ),
        "t3u5zgwa4ael3vuocgc5mfgygo4yuqocrntuuhcklf4xzg5tcaqwbyfabxetwtj4tsam3pbhnwghyhijr5mixa",
    ),
    # api-examples.md §4.6: the From keys of filecoin-project/serialization-vectors, as in the CBOR.
    (
        bytes.fromhex(
            "938c9a503bf9a33d4e95aaee1401933dae469743b1a1e937e67a7fa175cc37cce4a5eb90e4ea9a1e36c0035891518f3d"
        ),
        "t3sogjuub37grt2tuvvlxbiamthwxenf2dwgq6sn7gpj72c5omg7gojjplsdsovgq6g3aagwerkght3e7boqfq",
    ),
    (
        bytes.fromhex(
            "a342931c059c73eff9a92980a616d544434eaaef0143df92fa97243fbf44ed1ba6469d2b76bd1da038a12bceb6be3a9d"
        ),
        "t3unbjghaftrz676njfgakmfwvirbu5kxpafb57ex2s4sd7p2e5un2mru5fn3l2hnahcqsxtvwxy5j2cdtlaaa",
    ),
]

# api-examples.md §4.4: byte strings in the message CBOR.
SECP_BYTES = [
    ("t17uoq6tp427uzv7fztkbsnn64iwotfrristwpryy", "01fd1d0f4dfcd7e99afcb99a8326b7dc459d32c628"),
    ("t1d2xrzcslx7xlbbylc5c3d5lvandqw4iwl6epxba", "011eaf1c8a4bbfeeb0870b1745b1f57503470b7116"),
]

# specs-actors adt_test.go TestAddrKey.
ACTOR_BYTES = [
    (b"actor1", "0258be4fd775a0c8cd9aed864e73abb186465fefe1"),
    (b"222", "02aad0b298a9deabbbb67f805f66aa688cdd89adf5"),
]


@pytest.mark.parametrize(("text", "hexbytes"), ID_VECTORS)
def test_id_round_trip(text: str, hexbytes: str) -> None:
    addr = Address.from_string(text)
    assert addr.protocol is AddressProtocol.ID
    assert addr.to_bytes() == bytes.fromhex(hexbytes)
    assert Address.from_bytes(bytes.fromhex(hexbytes)) == addr
    assert str(addr) == text
    assert addr.to_string("f") == "f" + text[1:]
    assert Address.from_string("f" + text[1:]) == addr
    assert addr.id() == int(text[2:])
    assert Address.new_id(int(text[2:])) == addr


def test_lotus_message_vector_addresses() -> None:
    # api-examples.md §4.2: To f04, From f00 encode as 42 0004 and 42 0000.
    assert Address.from_string("f04").to_bytes() == bytes.fromhex("0004")
    assert Address.from_string("f00").to_bytes() == bytes.fromhex("0000")


@pytest.mark.parametrize(("public_key", "text"), SECP_VECTORS)
def test_secp256k1_vectors(public_key: bytes, text: str) -> None:
    addr = Address.new_secp256k1(public_key)
    assert str(addr) == text
    assert addr.to_string("f") == "f" + text[1:]
    parsed = Address.from_string(text)
    assert parsed == addr
    assert parsed.protocol is AddressProtocol.SECP256K1
    assert len(parsed.payload) == 20
    assert Address.from_bytes(parsed.to_bytes()) == parsed
    assert Address.from_string("f" + text[1:]) == parsed


@pytest.mark.parametrize(("text", "hexbytes"), SECP_BYTES)
def test_secp256k1_byte_form(text: str, hexbytes: str) -> None:
    assert Address.from_string(text).to_bytes() == bytes.fromhex(hexbytes)
    assert str(Address.from_bytes(bytes.fromhex(hexbytes))) == text


@pytest.mark.parametrize(("data", "text"), ACTOR_VECTORS)
def test_actor_vectors(data: bytes, text: str) -> None:
    addr = Address.new_actor(data)
    assert str(addr) == text
    assert addr.to_string("f") == "f" + text[1:]
    parsed = Address.from_string(text)
    assert parsed == addr
    assert parsed.protocol is AddressProtocol.ACTOR
    assert Address.from_bytes(parsed.to_bytes()) == parsed


@pytest.mark.parametrize(("data", "hexbytes"), ACTOR_BYTES)
def test_actor_byte_form(data: bytes, hexbytes: str) -> None:
    assert Address.new_actor(data).to_bytes() == bytes.fromhex(hexbytes)


@pytest.mark.parametrize(("public_key", "text"), BLS_VECTORS)
def test_bls_vectors(public_key: bytes, text: str) -> None:
    addr = Address.new_bls(public_key)
    assert str(addr) == text
    assert addr.to_bytes() == b"\x03" + public_key
    assert addr.to_string("f") == "f" + text[1:]
    parsed = Address.from_string(text)
    assert parsed == addr
    assert parsed.payload == public_key
    assert Address.from_bytes(b"\x03" + public_key) == parsed


def test_json_wire_form() -> None:
    addr = Address.from_string("t01000")
    assert json.dumps({"Miner": addr.to_json()}) == '{"Miner": "t01000"}'
    assert Address.from_json("f01000") == addr
    with pytest.raises(InvalidAddress):
        Address.from_json(1000)
    with pytest.raises(InvalidAddress):
        Address.from_json(None)


def test_value_semantics() -> None:
    a = Address.from_string("t15ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7pdrq")
    b = Address.from_string("f15ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7pdrq")
    assert a == b and hash(a) == hash(b)
    assert repr(a) == "Address('t15ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7pdrq')"
    with pytest.raises(AttributeError):
        a.payload = b""  # type: ignore[misc]  # frozen on purpose


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # go-address TestInvalidStringAddresses
        ("Q2gfvuyh7v2sx3patm5k23wdzmhyhtmqctasbr23y", "unknown network"),
        ("t4gfvuyh7v2sx3patm5k23wdzmhyhtmqctasbr23y", "unknown protocol"),
        ("t2gfvuyh7v2sx3patm5k23wdzmhyhtmqctasbr24y", "bad checksum"),
        (
            "t0banananananannnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn",
            "invalid length",
        ),
        ("t0banananananannnnnnn", "not a decimal"),
        ("t2gfvuyh7v2sx3patm1k23wdzmhyhtmqctasbr24y", "invalid base32 character '1'"),
        ("t2gfvuyh7v2sx3paTm1k23wdzmhyhtmqctasbr24y", "invalid base32 character 'T'"),
        ("t2", "invalid length"),
        ("t1234", "base32"),
        # go-address TestIDMax: 2^63 is one too many
        ("t09223372036854775808", "less than 2^63"),
        ("t018446744073709551615", "less than 2^63"),
        ("t0184467440737095516150", "not a decimal"),  # 21 digits
        # further refusals
        ("", "invalid length"),
        ("t", "invalid length"),
        ("t0", "invalid length"),
        ("x01000", "unknown network"),
        ("T01000", "unknown network"),
        ("F01000", "unknown network"),
        ("t91000", "unknown protocol"),
        ("t4f01", "unknown protocol"),
        ("t0-1", "not a decimal"),
        ("t0+1", "not a decimal"),
        ("t01 ", "not a decimal"),
        ("t01_000", "not a decimal"),
        ("t0\u0661\u0660", "not a decimal"),
        ("t01000\n", "not a decimal"),
        ("T15IHQ5IBZWKI2B4EP2F46AVLKRQZHPQGTGA7PDRQ", "unknown network"),
        ("t15IHQ5IBZWKI2B4EP2F46AVLKRQZHPQGTGA7PDRQ", "invalid base32 character 'I'"),
        ("t15ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7pdrr", "non-canonical"),  # pad bits set
        ("t15ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7pdra", "bad checksum"),
        ("t15ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7pdr", "invalid base32 length 38"),  # truncated
        ("t15ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7a", "invalid payload length 18, want 20"),
        ("t25ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7pdrq", "bad checksum"),  # secp body, actor digit
        ("t35ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7pdrq", "bad checksum"),
        (
            "t3vvmn62lofvhjd2ugzca6sof2j2ubwok6cj4xxbfzz4yuxfkgobpihhd2thlanmsh3w2ptld2gqkn2jvlss4b",
            "non-canonical",
        ),
        (
            "t3vvmn62lofvhjd2ugzca6sof2j2ubwok6cj4xxbfzz4yuxfkgobpihhd2thlanmsh3w2ptld2gqkn2jvlssaa",
            "bad checksum",
        ),
        ("t1aaaa", "too short"),
    ],
)
def test_from_string_refuses(text: str, reason: str) -> None:
    with pytest.raises(InvalidAddress) as info:
        Address.from_string(text)
    message = str(info.value)
    assert message.startswith("invalid address '")
    assert reason in message
    assert "\n" not in message


def test_refusal_message_shape() -> None:
    with pytest.raises(InvalidAddress) as info:
        Address.from_string("t2gfvuyh7v2sx3patm5k23wdzmhyhtmqctasbr24y")
    assert str(info.value) == "invalid address 't2gfvuyh7v2sx3patm5k23wdzmhyhtmqctasbr24y': bad checksum"


def test_bls_wrong_payload_length_with_valid_checksum() -> None:
    # A 20-byte payload with a correct checksum under protocol 3: checksum passes, length does not.
    # Built by hand: payload 20 zero bytes; blake2b-4 of 03‖payload is computed by hashlib here only
    # to forge the input, the assertion is about the refusal.
    import base64
    import hashlib

    payload = bytes(20)
    checksum = hashlib.blake2b(b"\x03" + payload, digest_size=4).digest()
    body = base64.b32encode(payload + checksum).decode().rstrip("=").lower()
    with pytest.raises(InvalidAddress, match="payload length 20, want 48"):
        Address.from_string("t3" + body)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00",  # go-address: ErrInvalidLength
        b"\x04\x04\x04",  # unknown protocol
        b"\x09\x00",
        b"\x01" + bytes(19),
        b"\x01" + bytes(21),
        b"\x02" + bytes(19),
        b"\x02" + bytes(21),
        b"\x03" + bytes(47),
        b"\x03" + bytes(33),
        b"\x03" + bytes(49),
        b"\x00\x80",  # TestIDEdgeCase: truncated varint
        b"\x00\x01\x00",  # bytes after the varint
        b"\x00\x80\x00",  # non-minimal varint for 0
        b"\x00\x81\x00",  # non-minimal varint for 1
        b"\x00\x80\x80\x80\x80\x80\x80\x80\x80\x80",  # never terminates
        bytes.fromhex("00ffffffffffffffffff01"),  # TestIDMax: 2^64-1 as uvarint
        bytes.fromhex("0080808080808080808001"),  # 2^63
    ],
)
def test_from_bytes_refuses(data: bytes) -> None:
    with pytest.raises(InvalidAddress) as info:
        Address.from_bytes(data)
    assert str(info.value).startswith("invalid address bytes '")


def test_id_2_63_as_bytes_refused() -> None:
    # 2^63 as a minimal uvarint: 80 80 80 80 80 80 80 80 80 01.
    with pytest.raises(InvalidAddress, match="less than 2\\^63"):
        Address.from_bytes(bytes.fromhex("0080808080808080808001"))


@pytest.mark.parametrize("value", [-1, 2**63, 2**64])
def test_new_id_refuses(value: int) -> None:
    with pytest.raises(InvalidAddress):
        Address.new_id(value)


def test_new_secp256k1_refuses_other_key_forms() -> None:
    with pytest.raises(InvalidAddress):
        Address.new_secp256k1(bytes(65))  # no 0x04 prefix
    with pytest.raises(InvalidAddress):
        Address.new_secp256k1(b"\x02" + bytes(32))  # compressed
    with pytest.raises(InvalidAddress):
        Address.new_secp256k1(b"\x04" + bytes(63))


def test_new_bls_refuses_wrong_length() -> None:
    with pytest.raises(InvalidAddress):
        Address.new_bls(bytes(47))
    with pytest.raises(InvalidAddress):
        Address.new_bls(bytes(96))


def test_id_of_non_id_address_refused() -> None:
    addr = Address.from_string("t15ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7pdrq")
    with pytest.raises(InvalidAddress, match="cannot get id from non id address"):
        addr.id()


def test_constructor_validates() -> None:
    with pytest.raises(InvalidAddress):
        Address(AddressProtocol.SECP256K1, bytes(19))
    with pytest.raises(InvalidAddress):
        Address(7, bytes(20))  # type: ignore[arg-type]  # misuse on purpose
    assert Address(1, bytes(20)).protocol is AddressProtocol.SECP256K1  # type: ignore[arg-type]


def test_long_garbage_is_quoted_short() -> None:
    with pytest.raises(InvalidAddress) as info:
        Address.from_string("t1" + "a" * 10_000)
    assert len(str(info.value)) < 200
