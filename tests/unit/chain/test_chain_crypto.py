"""secp256k1 keys and signatures against published vectors, and every refusal of ``verify``.

Sources (typed in, none computed by the code under test), all via reference/api-examples.md §4:

* Zondax filecoin-signing-tools ``test_vectors/wallet.json`` / ``signed_message.json`` /
  ``get_cid.json`` / ``txs.json``: the private key, its ``t1`` address and public key, and two
  messages signed with it by libsecp256k1 (RFC 6979 nonces), which Lotus verifies;
* Lotus ``chain/types/message_test.go`` ``TestSignedMessageJson``: the zero signature
  ``{"Type":0,"Data":null}`` (type 0 is Go's zero value, no valid signature type).

go-crypto's ``crypto_test.go`` has no fixed vectors (random keys): its cases (shuffled message,
shuffled signature, short and long signatures, recovery id 4) are the refusal tests below.
"""

from __future__ import annotations

import base64
import hashlib

import pytest

from pylotus.abi import Address
from pylotus.chain.crypto import (
    KEY_TYPE_SECP256K1,
    Signature,
    SigType,
    key_address,
    new_secp256k1_key,
    public_key,
    sign,
    verify,
)
from pylotus.chain.errors import InvalidKey, InvalidSignature, UnsupportedKeyType
from pylotus.repo import KeyInfo

ZONDAX_KEY = KeyInfo("secp256k1", base64.b64decode("8VcW07ADswS4BV2cxi5rnIadVsyTDDhY1NfDH19T8Uo="))
ZONDAX_ADDRESS = Address.from_string("t1d2xrzcslx7xlbbylc5c3d5lvandqw4iwl6epxba")
ZONDAX_PUBLIC = bytes.fromhex(
    "0435e752dc6b4113f78edcf2cf7b8082e442021de5f00818f555397a6f181af795ace98f0f7d065793eaffa1b06bf52e572c9703"
    "0c53a2396dfab40ba0e976b108"
)
# Vector 3: the unsigned message's CID bytes and Lotus's signature of them.
VECTOR3_CID = bytes.fromhex("0171a0e40220d74ad7f3d35dda2434bcee8eb26743b0ccead974411ba223fefcccfecddb282c")
VECTOR3_SIG = "0wRrFJZFIVh8m0JD+f5C55YrxD6YAWtCXWYihrPTKdMfgMhYAy86MVhs43hSLXnV+47UReRIe8qFdHRJqFlreAE="
VECTOR3_SIGNED_CBOR_TAIL = (
    "584201d3046b14964521587c9b4243f9fe42e7962bc43e98016b425d662286b3d329d31f80c858032f3a31586ce378522d79d5fb"
    "8ed445e4487bca85747449a8596b7801"
)
# Vector 4: the unsigned message CBOR given by txs.json; its CID is dag-cbor + blake2b-256 of it.
VECTOR4_CBOR = bytes.fromhex(
    "8a005501fd1d0f4dfcd7e99afcb99a8326b7dc459d32c62855011eaf1c8a4bbfeeb0870b1745b1f57503470b71160144000186"
    "a01961a84200014200010040"
)
VECTOR4_SIG = "nFuTI7MxEXqTQ0QmmQTmqbUsNZfHFXlNjz+susVDkAk1SrRCdJKxlVZZrM4vUtVBSYgtMIeigNfpqdKGIFhoWQA="
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _cid_bytes(cbor: bytes) -> bytes:
    return bytes.fromhex("0171a0e40220") + hashlib.blake2b(cbor, digest_size=32).digest()


# -- keys ---------------------------------------------------------------------------------------------


def test_zondax_key_gives_its_public_key_and_address() -> None:
    assert public_key(ZONDAX_KEY) == ZONDAX_PUBLIC
    assert key_address(ZONDAX_KEY) == ZONDAX_ADDRESS


def test_new_keys_are_fresh_secp256k1_keys() -> None:
    first, second = new_secp256k1_key(), new_secp256k1_key()
    assert first.type == KEY_TYPE_SECP256K1 and len(first.private_key) == 32
    assert first.private_key != second.private_key
    assert str(key_address(first)).startswith("t1")
    assert len(public_key(first)) == 65 and public_key(first)[0] == 0x04


@pytest.mark.parametrize("key_type", ["bls", "delegated", "secp256k1-ledger", ""])
def test_other_key_types_are_refused_by_name(key_type: str) -> None:
    key = KeyInfo(key_type, bytes(range(1, 33)))
    for call in (public_key, key_address, lambda k: sign(k, b"x")):
        with pytest.raises(UnsupportedKeyType, match=f"key type '{key_type}' is not supported"):
            call(key)


@pytest.mark.parametrize(
    "secret,reason",
    [
        (bytes(31), "must be 32 bytes, got 31"),
        (bytes(33), "must be 32 bytes, got 33"),
        (bytes(32), "out of range"),
        (SECP256K1_ORDER.to_bytes(32, "big"), "out of range"),
        (b"\xff" * 32, "out of range"),
    ],
)
def test_invalid_secrets_are_refused(secret: bytes, reason: str) -> None:
    with pytest.raises(InvalidKey, match=reason):
        sign(KeyInfo("secp256k1", secret), b"x")


# -- signing against the published vectors -------------------------------------------------------------


def test_signing_vector3_reproduces_lotus_signature() -> None:
    signature = sign(ZONDAX_KEY, VECTOR3_CID)
    assert signature == Signature(SigType.SECP256K1, base64.b64decode(VECTOR3_SIG))
    assert signature.to_json() == {"Type": 1, "Data": VECTOR3_SIG}
    # The signed message CBOR ends with the signature's CBOR: 58 42, type byte 01, r ‖ s ‖ v.
    assert signature.to_cbor().hex() == VECTOR3_SIGNED_CBOR_TAIL
    verify(signature, VECTOR3_CID, ZONDAX_ADDRESS)


def test_signing_vector4_reproduces_lotus_signature() -> None:
    cid = _cid_bytes(VECTOR4_CBOR)
    signature = sign(ZONDAX_KEY, cid)
    assert base64.b64encode(signature.data).decode() == VECTOR4_SIG
    verify(Signature.from_json({"Type": 1, "Data": VECTOR4_SIG}), cid, ZONDAX_ADDRESS)


def test_signatures_are_deterministic_rfc6979_and_low_s() -> None:
    key = new_secp256k1_key()
    first, again = sign(key, b"hello"), sign(key, b"hello")
    assert first == again
    assert sign(key, b"hellp") != first
    assert len(first.data) == 65 and first.data[64] in (0, 1)
    assert int.from_bytes(first.data[32:64], "big") <= SECP256K1_ORDER // 2


def test_round_trip_with_a_new_key() -> None:
    key = new_secp256k1_key()
    message = b"\x00" * 100 + b"any length"
    verify(sign(key, message), message, key_address(key))
    verify(sign(key, b""), b"", key_address(key))


# -- verify's refusals --------------------------------------------------------------------------------


def test_tampered_message_is_refused() -> None:
    signature = sign(ZONDAX_KEY, VECTOR3_CID)
    tampered = VECTOR3_CID[:-1] + bytes([VECTOR3_CID[-1] ^ 1])
    with pytest.raises(InvalidSignature, match="signature did not match address 't1d2xrzcs"):
        verify(signature, tampered, ZONDAX_ADDRESS)
    with pytest.raises(InvalidSignature):
        verify(signature, VECTOR3_CID[3:], ZONDAX_ADDRESS)


@pytest.mark.parametrize("index", [0, 31, 32, 63])
def test_tampered_signature_is_refused(index: int) -> None:
    data = bytearray(sign(ZONDAX_KEY, VECTOR3_CID).data)
    data[index] ^= 0x01
    with pytest.raises(InvalidSignature):
        verify(Signature(SigType.SECP256K1, bytes(data)), VECTOR3_CID, ZONDAX_ADDRESS)


def test_flipped_recovery_id_recovers_another_key() -> None:
    data = bytearray(sign(ZONDAX_KEY, VECTOR3_CID).data)
    data[64] ^= 0x01
    with pytest.raises(InvalidSignature, match="did not match"):
        verify(Signature(SigType.SECP256K1, bytes(data)), VECTOR3_CID, ZONDAX_ADDRESS)


def test_wrong_address_is_refused() -> None:
    other = key_address(new_secp256k1_key())
    with pytest.raises(InvalidSignature, match=f"did not match address '{other}': it recovers to 't1d2xrz"):
        verify(sign(ZONDAX_KEY, b"m"), b"m", other)


def test_id_address_must_be_resolved_first() -> None:
    with pytest.raises(InvalidSignature, match="must resolve ID addresses before using them"):
        verify(sign(ZONDAX_KEY, b"m"), b"m", Address.new_id(1000))


def test_bls_signatures_and_addresses_are_refused() -> None:
    bls = Address.from_string(
        "t3sogjuub37grt2tuvvlxbiamthwxenf2dwgq6sn7gpj72c5omg7gojjplsdsovgq6g3aagwerkght3e7boqfq"
    )
    with pytest.raises(InvalidSignature, match="unsupported type 'bls'"):
        verify(Signature(SigType.BLS, bytes(96)), b"m", bls)
    with pytest.raises(InvalidSignature, match="non-secp256k1 address 't3"):
        verify(sign(ZONDAX_KEY, b"m"), b"m", bls)


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"", "must be 65 bytes, got 0"),
        (bytes(64), "must be 65 bytes, got 64"),
        (bytes(66), "must be 65 bytes, got 66"),
        (b"\x01" * 64 + b"\x04", "invalid recovery id '4'"),
        (bytes(65), "r or s out of range"),
    ],
)
def test_malformed_signatures_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidSignature, match=reason):
        verify(Signature(SigType.SECP256K1, data), b"m", ZONDAX_ADDRESS)


def test_high_s_twin_is_refused() -> None:
    data = sign(ZONDAX_KEY, VECTOR3_CID).data
    s = int.from_bytes(data[32:64], "big")
    twin = data[:32] + (SECP256K1_ORDER - s).to_bytes(32, "big") + bytes([data[64] ^ 1])
    with pytest.raises(InvalidSignature, match="malleable"):
        verify(Signature(SigType.SECP256K1, twin), VECTOR3_CID, ZONDAX_ADDRESS)


# -- wire forms ---------------------------------------------------------------------------------------


def test_json_round_trip_and_lotus_field_names() -> None:
    signature = Signature(SigType.BLS, bytes(range(96)))
    doc = signature.to_json()
    assert list(doc) == ["Type", "Data"] and doc["Type"] == 2
    assert Signature.from_json(doc) == signature


@pytest.mark.parametrize(
    "doc,reason",
    [
        ({"Type": 0, "Data": None}, "invalid signature type '0'"),  # Lotus TestSignedMessageJson's zero value
        ({"Type": 9, "Data": ""}, "invalid signature type '9'"),
        ({"Type": True, "Data": ""}, "'Type' must be an integer"),
        ({"Type": 1, "Data": "not base64!"}, "'Data' is not base64"),
        ({"Type": 1, "Data": 5}, "'Data' must be a base64 string"),
        ([1, ""], "must be a json object"),
        ({"Type": 1, "Data": base64.b64encode(bytes(200)).decode()}, "longer than the 199 allowed"),
    ],
)
def test_bad_json_is_refused(doc: object, reason: str) -> None:
    with pytest.raises(InvalidSignature, match=reason):
        Signature.from_json(doc)  # type: ignore[arg-type]  # deliberately not JSON-shaped in one case


def test_null_data_is_an_empty_signature() -> None:
    assert Signature.from_json({"Type": 1, "Data": None}).data == b""


def test_binary_and_cbor_forms() -> None:
    signature = Signature.from_json({"Type": 1, "Data": VECTOR3_SIG})
    assert signature.to_bytes() == b"\x01" + signature.data
    assert Signature.from_bytes(signature.to_bytes()) == signature
    assert Signature.from_cbor(signature.to_cbor()) == signature
    short = Signature(SigType.SECP256K1, b"\xaa" * 10)
    assert short.to_cbor() == bytes([0x4B, 0x01]) + b"\xaa" * 10  # length 11 < 24: in the initial byte


@pytest.mark.parametrize(
    "raw,reason",
    [
        (b"", "empty"),
        (bytes([0x41, 0x00]), "invalid signature type '0'"),  # the zero signature's CBOR, 41 00
        (bytes([0x82, 0x01, 0x02]), "not a byte string"),
        (bytes([0x43, 0x01, 0x02]), "header says 3 bytes, 2 follow it"),
        (bytes([0x42, 0x01, 0x02, 0x03]), "header says 2 bytes, 3 follow it"),
        (bytes([0x58, 0xC9]) + b"\x01" * 201, "string too long"),
        (bytes([0x58]), "bad byte string header"),
    ],
)
def test_bad_cbor_is_refused(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidSignature, match=reason):
        Signature.from_cbor(raw)
