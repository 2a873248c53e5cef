"""Messages and signed messages against published Lotus encodings, and every refusal of their decoders.

Sources (typed in, none computed by the code under test), all via reference/api-examples.md §4:

* Vector 1 and 2: Lotus ``chain/types/message_test.go`` ``TestMessageJson`` / ``TestSignedMessageJson``
  (the JSON bytes and CIDs Lotus produces);
* Vector 3 and 4: Zondax filecoin-signing-tools ``get_cid.json``, ``signed_message.json``, ``txs.json``
  (secp256k1 signed messages, their CID and unsigned CBOR), plus ``txs.json``'s multisig-propose entry;
* Vector 5: filecoin-project/serialization-vectors ``message_signing.json`` (BLS signed messages and
  their CIDs: everything but the BLS signature check itself);
* serialization-vectors ``unsigned_messages.json``: four of its 21 messages (t2 sender, uint64 nonce
  and method above 2^63, large ids);
* Lotus ``message_test.go`` ``TestEffectiveGasPremium``: its table.

"Derived" values in §4 (CBOR hex, unsigned CIDs) were checked there against the source values.
"""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pylotus.abi import Address, AddressProtocol, JsonObject
from pylotus.chain.bigint import TokenAmount
from pylotus.chain.crypto import Signature, SigType
from pylotus.chain.errors import ChainError, InvalidKey, InvalidMessage, InvalidSignature, UnsupportedKeyType
from pylotus.chain.types import Message, SignedMessage, sign_message, verify_signed
from pylotus.repo import KeyInfo


def _compact(value: object) -> str:
    """Go's ``json.Marshal`` layout: no spaces."""
    return json.dumps(value, separators=(",", ":"))


def _cid_hex(cbor: bytes) -> str:
    return "0171a0e40220" + hashlib.blake2b(cbor, digest_size=32).hexdigest()


# -- Vector 1 and 2: Lotus's own message and signed message -------------------------------------------

VECTOR1 = Message(
    to=Address.from_string("f04"),
    from_=Address.from_string("f00"),
    nonce=34,
    value=TokenAmount(0),
    gas_limit=123,
    gas_fee_cap=TokenAmount(234),
    gas_premium=TokenAmount(234),
    method=6,
    params=b"hai",
)
VECTOR1_JSON = (
    '{"Version":0,"To":"f04","From":"f00","Nonce":34,"Value":"0","GasLimit":123,"GasFeeCap":"234",'
    '"GasPremium":"234","Method":6,"Params":"aGFp",'
    '"CID":{"/":"bafy2bzaced5rdpz57e64sc7mdwjn3blicglhpialnrph2dlbufhf6iha63dmc"}}'
)
VECTOR1_CBOR = "8a00420004420000182240187b4200ea4200ea0643686169"
VECTOR1_CID = "bafy2bzaced5rdpz57e64sc7mdwjn3blicglhpialnrph2dlbufhf6iha63dmc"
VECTOR1_CID_BYTES = "0171a0e40220fb11bf3df93dc90bec1d92dd8568119677a00b6c5e7d0d61a14e5f20e0f6c6c1"
VECTOR2_JSON = (
    '{"Message":' + VECTOR1_JSON + ',"Signature":{"Type":0,"Data":null},'
    '"CID":{"/":"bafy2bzacea5ainifngxj3rygaw2hppnyz2cw72x5pysqty2x6dxmjs5qg2uus"}}'
)
VECTOR2_CBOR = "828a00420004420000182240187b4200ea4200ea06436861694100"
VECTOR2_CID = "bafy2bzacea5ainifngxj3rygaw2hppnyz2cw72x5pysqty2x6dxmjs5qg2uus"


def test_vector1_cbor_cid_and_json_byte_for_byte() -> None:
    assert VECTOR1.to_cbor().hex() == VECTOR1_CBOR
    assert str(VECTOR1.cid()) == VECTOR1_CID
    assert bytes(VECTOR1.cid()).hex() == VECTOR1_CID_BYTES
    assert _compact(VECTOR1.to_json("f")) == VECTOR1_JSON


def test_vector1_decodes_from_cbor_and_json() -> None:
    assert Message.from_cbor(bytes.fromhex(VECTOR1_CBOR)) == VECTOR1
    assert Message.from_json(json.loads(VECTOR1_JSON)) == VECTOR1
    # The devnet prints t addresses; the bytes (and so the CID) are the same.
    assert VECTOR1.to_json()["To"] == "t04"
    assert VECTOR1.to_json()["CID"] == {"/": VECTOR1_CID}


def test_vector2_cid_is_the_signed_cbor_cid_for_non_bls() -> None:
    # Lotus's zero signature {"Type":0,"Data":null} is Go's zero value, not a signature type
    # go-state-types decodes, and crypto.Signature refuses to hold it.  The rule the vector shows,
    # CID = blake2b of [Message, signature bytes], is checked on its bytes (signature bytes 41 00) ...
    signed_cbor = b"\x82" + VECTOR1.to_cbor() + bytes([0x41, 0x00])
    assert signed_cbor.hex() == VECTOR2_CBOR
    from pylotus.chain.dagcbor import block_cid

    assert str(block_cid(signed_cbor)) == VECTOR2_CID
    # ... and SignedMessage lays out its CBOR the same way for a real signature type.
    signature = Signature(SigType.SECP256K1, b"\x07" * 65)
    signed = SignedMessage(VECTOR1, signature)
    assert signed.to_cbor() == b"\x82" + VECTOR1.to_cbor() + signature.to_cbor()
    assert signed.cid() == block_cid(signed.to_cbor())
    assert _compact(signed.to_json("f")).startswith('{"Message":' + VECTOR1_JSON + ',"Signature":{"Type":1,')


def test_vector2_zero_signature_is_refused_by_name() -> None:
    with pytest.raises(InvalidMessage, match=r"'Signature': invalid signature type '0'"):
        SignedMessage.from_json(json.loads(VECTOR2_JSON))
    with pytest.raises(InvalidMessage, match=r"'Signature': invalid signature type '0'"):
        SignedMessage.from_cbor(bytes.fromhex(VECTOR2_CBOR))


# -- Vector 3 and 4: secp256k1 signed messages (Zondax) ------------------------------------------------

ZONDAX_KEY = KeyInfo("secp256k1", base64.b64decode("8VcW07ADswS4BV2cxi5rnIadVsyTDDhY1NfDH19T8Uo="))
ZONDAX_FROM = "t1d2xrzcslx7xlbbylc5c3d5lvandqw4iwl6epxba"
ZONDAX_TO = "t17uoq6tp427uzv7fztkbsnn64iwotfrristwpryy"

VECTOR3_JSON: JsonObject = {
    "Message": {
        "To": ZONDAX_TO,
        "From": ZONDAX_FROM,
        "Nonce": 1,
        "Value": "100000",
        "GasLimit": 2500000,
        "GasFeeCap": "1",
        "GasPremium": "1",
        "Method": 0,
        "Params": "",
    },
    "Signature": {
        "Type": 1,
        "Data": "0wRrFJZFIVh8m0JD+f5C55YrxD6YAWtCXWYihrPTKdMfgMhYAy86MVhs43hSLXnV+47UReRIe8qFdHRJqFlreAE=",
    },
}
VECTOR3_SIGNED_CID = "bafy2bzacebaiinljwwctblf7czp4zxwhz4747z6tpricgn5cumd4xhebftcvu"
VECTOR3_UNSIGNED_CBOR = (
    "8a005501fd1d0f4dfcd7e99afcb99a8326b7dc459d32c62855011eaf1c8a4bbfeeb0870b1745b1f57503470b7116014400"
    "0186a01a002625a04200014200010040"
)
VECTOR3_UNSIGNED_CID = "bafy2bzacedluvv7t2no5ujbuxtxi5mthioymz2wzorarxird736mz7wn3mucy"
VECTOR3_SIGNED_CBOR = (
    "828a005501fd1d0f4dfcd7e99afcb99a8326b7dc459d32c62855011eaf1c8a4bbfeeb0870b1745b1f57503470b711601"
    "44000186a01a002625a04200014200010040584201d3046b14964521587c9b4243f9fe42e7962bc43e98016b425d6622"
    "86b3d329d31f80c858032f3a31586ce378522d79d5fb8ed445e4487bca85747449a8596b7801"
)

VECTOR4_SIGNATURE = "nFuTI7MxEXqTQ0QmmQTmqbUsNZfHFXlNjz+susVDkAk1SrRCdJKxlVZZrM4vUtVBSYgtMIeigNfpqdKGIFhoWQA="
VECTOR4_JSON: JsonObject = {
    "Message": {
        "From": ZONDAX_FROM,
        "GasLimit": 25000,
        "GasPremium": "1",
        "GasFeeCap": "1",
        "Method": 0,
        "Nonce": 1,
        "Params": "",
        "To": ZONDAX_TO,
        "Value": "100000",
    },
    "Signature": {
        "Data": VECTOR4_SIGNATURE,
        "Type": 1,
    },
}
VECTOR4_UNSIGNED_CBOR = (
    "8a005501fd1d0f4dfcd7e99afcb99a8326b7dc459d32c62855011eaf1c8a4bbfeeb0870b1745b1f57503470b7116014400"
    "0186a01961a84200014200010040"
)
VECTOR4_UNSIGNED_CID = "bafy2bzaceduq6pnkpz7xhs6d24epnu47hjpn3oucoq3xnkc4g5b7hgcdw4now"
VECTOR4_SIGNED_CID = "bafy2bzaceb7vllktor65s6ng4ongqpstubbvq7c46se57z4nwuohq54puq4do"
VECTOR4_SIGNED_CBOR = (
    "828a005501fd1d0f4dfcd7e99afcb99a8326b7dc459d32c62855011eaf1c8a4bbfeeb0870b1745b1f57503470b711601"
    "44000186a01961a842000142000100405842019c5b9323b331117a934344269904e6a9b52c3597c715794d8f3facbac5"
    "439009354ab4427492b1955659acce2f52d54149882d3087a280d7e9a9d2862058685900"
)
# txs.json's third entry: a multisig propose to t01002, Method 7, CBOR params.
MULTISIG_JSON: JsonObject = {
    "To": "t01002",
    "From": ZONDAX_FROM,
    "Nonce": 1,
    "Value": "100000",
    "GasLimit": 25000,
    "GasFeeCap": "1",
    "GasPremium": "1",
    "Method": 7,
    "Params": (
        "hFUB/R0PTfzX6Zr8uZqDJrfcRZ0yxihAB1gtglUB/R0PTfzX6Zr8uZqDJrfcRZ0yxihVAR6vHIpLv+6whwsXRbH1dQNHC3EW"
    ),
}
MULTISIG_CBOR = (
    "8a004300ea0755011eaf1c8a4bbfeeb0870b1745b1f57503470b71160144000186a01961a8420001420001075848845501"
    "fd1d0f4dfcd7e99afcb99a8326b7dc459d32c6284007582d825501fd1d0f4dfcd7e99afcb99a8326b7dc459d32c6285501"
    "1eaf1c8a4bbfeeb0870b1745b1f57503470b7116"
)
MULTISIG_CID = "bafy2bzaceabfzthcsrvx445hx3vcgxyqf45d5ruzn2xplpb533og5sttes634"


@pytest.mark.parametrize(
    ("vector", "unsigned_cbor", "unsigned_cid", "signed_cbor", "signed_cid"),
    [
        (VECTOR3_JSON, VECTOR3_UNSIGNED_CBOR, VECTOR3_UNSIGNED_CID, VECTOR3_SIGNED_CBOR, VECTOR3_SIGNED_CID),
        (VECTOR4_JSON, VECTOR4_UNSIGNED_CBOR, VECTOR4_UNSIGNED_CID, VECTOR4_SIGNED_CBOR, VECTOR4_SIGNED_CID),
    ],
    ids=["vector3", "vector4"],
)
def test_secp256k1_vectors(
    vector: JsonObject, unsigned_cbor: str, unsigned_cid: str, signed_cbor: str, signed_cid: str
) -> None:
    signed = SignedMessage.from_json(vector)
    assert signed.message.to_cbor().hex() == unsigned_cbor
    assert str(signed.message.cid()) == unsigned_cid
    assert signed.to_cbor().hex() == signed_cbor
    assert str(signed.cid()) == signed_cid
    assert signed.to_json()["CID"] == {"/": signed_cid}
    verify_signed(signed)
    # Re-signing with the source key reproduces the source signature (RFC 6979 nonces).
    assert sign_message(ZONDAX_KEY, signed.message) == signed
    assert SignedMessage.from_cbor(bytes.fromhex(signed_cbor)) == signed
    assert Message.from_cbor(bytes.fromhex(unsigned_cbor)) == signed.message


def test_multisig_propose_message_with_cbor_params() -> None:
    message = Message.from_json(MULTISIG_JSON)
    assert message.to_cbor().hex() == MULTISIG_CBOR
    assert str(message.cid()) == MULTISIG_CID
    assert message.to.id() == 1002


# -- Vector 5: BLS signed messages (no BLS check needed for encoding and CIDs) --------------------------

VECTOR5 = [
    (
        {
            "Version": 0,
            "To": "t099999",
            "From": "t3sogjuub37grt2tuvvlxbiamthwxenf2dwgq6sn7gpj72c5omg7gojjplsdsovgq6g3aagwerkght3e7boqfq",
            "Nonce": 55,
            "Value": "1",
            "GasLimit": 1000000,
            "GasFeeCap": "100",
            "GasPremium": "1",
            "Method": 0,
            "Params": None,
        },
        "bafy2bzacedhl5cowfmp7hq2ke3irf7indry55px44cbbjthazwvpm7ktf676w",
        "0171a0e40220cebe89d62b1ff3c34a26d112fd0d1c71debefce08214cce0cdaaf67d532fbfeb",
        "sYHUj6N7Cb86A8pTPyaB82zdeemyHd+tZU4Vdsm6bz2GlaeLC5tsc3SX1Q7Fr5pRA5gXhcx4ID+vDqDVO7ZAnToKaWeZ2Wr28S+b4tGW"
        "OwqYHx8jkkvklyyNJ5wK4bq+",
        "8a0044009f8d06583103938c9a503bf9a33d4e95aaee1401933dae469743b1a1e937e67a7fa175cc37cce4a5eb90e4ea9a1e36c0"
        "035891518f3d18374200011a000f42404200644200010040",
    ),
    (
        {
            "Version": 0,
            "To": "t099999",
            "From": "t3unbjghaftrz676njfgakmfwvirbu5kxpafb57ex2s4sd7p2e5un2mru5fn3l2hnahcqsxtvwxy5j2cdtlaaa",
            "Nonce": 55,
            "Value": "1",
            "GasLimit": 1000000,
            "GasFeeCap": "100",
            "GasPremium": "1",
            "Method": 0,
            "Params": None,
        },
        "bafy2bzacecc7ctbgv5h65b7xltqr7m7zr5n2wiaqtexkuurbdqcm4z3talhua",
        "0171a0e4022085f14c26af4fee87f75ce11fb3f98f5bab2010992eaa52211c04ce677302cf40",
        "kfeQ7eyQ+Rs3jgv2igh2w5H4z8+laQXttg68Q5hPsf1vluiOjXFWELS1HrMqR7xaDR6Q2yjXLDdmxm+JsFr6MNSUbdDBBXsiH9aTUyxc"
        "3cA9Li5QZ0ed2k/oKHPhpeDh",
        "8a0044009f8d06583103a342931c059c73eff9a92980a616d544434eaaef0143df92fa97243fbf44ed1ba6469d2b76bd1da038a1"
        "2bceb6be3a9d18374200011a000f42404200644200010040",
    ),
]


@pytest.mark.parametrize(("unsigned", "cid", "cid_hex", "signature", "cbor"), VECTOR5, ids=["bls1", "bls2"])
def test_vector5_bls_messages_encode_and_take_the_unsigned_cid(
    unsigned: JsonObject, cid: str, cid_hex: str, signature: str, cbor: str
) -> None:
    message = Message.from_json(unsigned)
    assert message.params == b""  # "Params": null encodes as 0x40
    assert message.to_cbor().hex() == cbor
    assert str(message.cid()) == cid
    assert bytes(message.cid()).hex() == cid_hex
    signed = SignedMessage(message, Signature(SigType.BLS, base64.b64decode(signature)))
    assert signed.cid() == message.cid()  # BLS: the signed message's CID is the unsigned one's
    assert SignedMessage.from_cbor(signed.to_cbor()) == signed
    assert SignedMessage.from_json(signed.to_json()) == signed
    with pytest.raises(InvalidSignature, match="unsupported type 'bls'"):
        verify_signed(signed)


# -- serialization-vectors unsigned_messages.json (a sample) -------------------------------------------

UNSIGNED_VECTORS = [
    (
        {
            "Version": 0,
            "To": "t01865627127944795144",
            "From": "t2ch7krq7l35i74rebqbjdsp3ucl47t24e3juxjfa",
            "Nonce": 8761748149847665013,
            "Value": "14660210602831582403",
            "GasLimit": 520359252439502252,
            "GasFeeCap": "3793669768932905166",
            "GasPremium": "17474946865727176983",
            "Method": 18281837776054215652,
            "Params": "Vq1LbNc+tCBsX7tgeMy4SKatllSlMJgP9PsgeFzEQyQ=",
        },
        "8a004a0088a8eda3d0bf82f219550211fea8c3ebdf51fe44818052393f7412f9f9eb841b7997fb85431b29754900cb7387dec2"
        "3114c31b0738affbad3e8dac490034a5d28e1c6250ce4900f2837b96907e81171bfdb62298930763e4582056ad4b6cd73eb420"
        "6c5fbb6078ccb848a6ad9654a530980ff4fb20785cc44324",
    ),
    (
        {
            "Version": 0,
            "To": "t02767081830715411965",
            "From": "t1pyfq7dg6sq65acyomqvzvbgwni4zllglqffw5dy",
            "Nonce": 1905999562043058982,
            "Value": "16446360749673446081",
            "GasLimit": 5871145716760494295,
            "GasFeeCap": "4537733124645649088",
            "GasPremium": "18287583619016045788",
            "Method": 2773335425237725362,
            "Params": "dafaiJD3hD+EAPVG+UVdwvD5SbQ8VUKn19BWkjsQbKs=",
        },
        "8a004a00fd9beb81bbc8a9b32655017e0b0f8cde943dd00b0e642b9a84d66a3995accb1b1a737880d5a06b264900e43d35f71c"
        "367ac11b517a7fec3810c0d749003ef9443c2406fac04900fdca8c68e3b434dc1b267cdde0204d30b2582075a7da8890f7843f"
        "8400f546f9455dc2f0f949b43c5542a7d7d056923b106cab",
    ),
    (
        {
            "Version": 0,
            "To": "t06539185641557537393",
            "From": "t1awsiuji4wpbxpzslg36f3wnfxzi4o5gq67tz2mi",
            "Nonce": 62054417528237866,
            "Value": "14838152708092812699",
            "GasLimit": 4873789435508584679,
            "GasFeeCap": "7544142310903588930",
            "GasPremium": "230296306305468097",
            "Method": 738946380402616313,
            "Params": "ooVZDswn3eKC2yMbo/8Ww+SfpopXYvcltvfKCr/g+LA=",
        },
        "8a004a00f1e4fcaa9ed6f6df5a550105a48a251cb3c377e64b36fc5dd9a5be51c774d01b00dc7629f983af2a4900cdebb545a8"
        "df5d9b1b43a32dab4d8a70e7490068b22d7610672842490003322d453a6c06c11b0a4143d15ff567f95820a285590ecc27dde2"
        "82db231ba3ff16c3e49fa68a5762f725b6f7ca0abfe0f8b0",
    ),
    (
        {
            "Version": 0,
            "To": "t05162211135833920384",
            "From": "t1kvar5z3q7dwrfxjqsnuqpq5qsd7mvh2xypblwta",
            "Nonce": 8092623318185441470,
            "Value": "9936058145429029754",
            "GasLimit": 887775015668521918,
            "GasFeeCap": "4479814688228790660",
            "GasPremium": "14563181341628308754",
            "Method": 15662588797684797006,
            "Params": "o0hcsNtGloBIIcAX8Z8K8Vdwb9Dh4XTAmDMpyN0WnGg=",
        },
        "8a004a0080a7c9f7d6f5f6d147550155411ee770f8ed12dd30936907c3b090feca9f571b704ec608057c78be490089e3f83d61"
        "ec837a1b0c5202ac51639bbe49003e2b7fb94f7451844900ca1ad0456b5a1d121bd95cb1870d03ce4e5820a3485cb0db469680"
        "4821c017f19f0af157706fd0e1e174c0983329c8dd169c68",
    ),
]


@pytest.mark.parametrize(("fields", "cbor"), UNSIGNED_VECTORS, ids=["t2-sender", "t1-a", "t1-b", "t1-c"])
def test_serialization_vectors_unsigned_messages(fields: JsonObject, cbor: str) -> None:
    message = Message.from_json(fields)
    assert message.to_cbor().hex() == cbor
    assert Message.from_cbor(bytes.fromhex(cbor)) == message
    assert str(message.cid()) == str(Message.from_cbor(bytes.fromhex(cbor)).cid())
    assert bytes(message.cid()).hex() == _cid_hex(bytes.fromhex(cbor))
    echoed = message.to_json()
    del echoed["CID"]
    assert echoed == fields


# -- round trips ----------------------------------------------------------------------------------------

UINT64 = st.integers(0, 2**64 - 1)
INT64 = st.integers(-(2**63), 2**63 - 1)
AMOUNTS = st.builds(TokenAmount, st.integers(-(2**200), 2**200))
ADDRESSES = st.one_of(
    st.builds(Address.new_id, st.integers(0, 2**63 - 1)),
    st.builds(
        lambda payload: Address(AddressProtocol.SECP256K1, payload), st.binary(min_size=20, max_size=20)
    ),
    st.builds(lambda payload: Address(AddressProtocol.ACTOR, payload), st.binary(min_size=20, max_size=20)),
    st.builds(lambda payload: Address(AddressProtocol.BLS, payload), st.binary(min_size=48, max_size=48)),
)
MESSAGES = st.builds(
    Message,
    version=UINT64,
    to=ADDRESSES,
    from_=ADDRESSES,
    nonce=UINT64,
    value=AMOUNTS,
    gas_limit=INT64,
    gas_fee_cap=AMOUNTS,
    gas_premium=AMOUNTS,
    method=UINT64,
    params=st.binary(max_size=300),
)
SIGNATURES = st.builds(
    Signature, st.sampled_from([SigType.SECP256K1, SigType.BLS, SigType.DELEGATED]), st.binary(max_size=199)
)


@settings(max_examples=200, deadline=None)
@given(MESSAGES)
def test_message_round_trips_through_cbor_and_json(message: Message) -> None:
    cbor = message.to_cbor()
    decoded = Message.from_cbor(cbor)
    assert decoded == message
    assert decoded.cid() == message.cid()
    assert bytes(message.cid()).hex() == _cid_hex(cbor)
    wire = json.loads(json.dumps(message.to_json()))
    assert Message.from_json(wire) == message


@settings(max_examples=100, deadline=None)
@given(MESSAGES, SIGNATURES)
def test_signed_message_round_trips_through_cbor_and_json(message: Message, signature: Signature) -> None:
    signed = SignedMessage(message, signature)
    assert SignedMessage.from_cbor(signed.to_cbor()) == signed
    assert SignedMessage.from_json(json.loads(json.dumps(signed.to_json()))) == signed
    if signature.type is SigType.BLS:
        assert signed.cid() == message.cid()
    else:
        assert bytes(signed.cid()).hex() == _cid_hex(signed.to_cbor())


# -- strict decoding ------------------------------------------------------------------------------------


def _replace_field(index: int, encoded_field: str) -> bytes:
    """Vector 1's CBOR with field ``index`` replaced by ``encoded_field`` (hex)."""
    fields = ["00", "420004", "420000", "1822", "40", "187b", "4200ea", "4200ea", "06", "43686169"]
    assert "8a" + "".join(fields) == VECTOR1_CBOR
    fields[index] = encoded_field
    return bytes.fromhex("8a" + "".join(fields))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (bytes.fromhex("89" + VECTOR1_CBOR[2:-8]), r"wrong number of fields \(got 9, want 10\)"),
        (bytes.fromhex("a0"), "cbor input should be of type array"),
        (_replace_field(0, "20"), "'Version': wrong type for uint64 field"),
        (_replace_field(3, "4122"), "'Nonce': wrong type for uint64 field"),
        (_replace_field(8, "f5"), "'Method': wrong type for uint64 field"),
        (_replace_field(5, "627b7b"), "'GasLimit': wrong type for int64 field"),
        (_replace_field(5, "1b8000000000000000"), r"'GasLimit': int64 overflow"),
        (_replace_field(1, "00"), "'To': address must be a byte string"),
        (_replace_field(1, "4109"), "'To': invalid address bytes"),
        (_replace_field(2, "43010203"), "'From': invalid address bytes"),
        (_replace_field(4, "00"), "'Value': cbor input for fil big int was not a byte string"),
        (_replace_field(6, "420200"), "'GasFeeCap': big int prefix should be either 0 or 1, got 2"),
        (_replace_field(7, "4100"), "'GasPremium': big int bytes '00' are not canonical"),
        (_replace_field(9, "63686169"), "'Params': expected byte array"),
        (_replace_field(9, "f6"), "'Params': expected byte array"),
        (_replace_field(3, "1900ff"), "not canonical"),
        (bytes.fromhex(VECTOR1_CBOR + "00"), "1 bytes after the end of the value"),
        (bytes.fromhex(VECTOR1_CBOR[:-2]), "invalid message cbor: invalid cbor"),
        (b"", "invalid message cbor: invalid cbor"),
        (bytes.fromhex("9f" + VECTOR1_CBOR[2:] + "ff"), "indefinite length"),
    ],
    ids=lambda value: value.hex()[:12] if isinstance(value, bytes) else None,
)
def test_message_cbor_refusals(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidMessage, match=reason) as caught:
        Message.from_cbor(data)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ChainError)


def test_params_over_two_mebibytes_are_refused_everywhere() -> None:
    big = b"\x00" * ((2 << 20) + 1)
    with pytest.raises(InvalidMessage, match=r"'params': byte array too large \(2097153\)"):
        Message(to=VECTOR1.to, from_=VECTOR1.from_, params=big)
    header = "5a" + len(big).to_bytes(4, "big").hex()
    with pytest.raises(InvalidMessage, match=r"'Params': byte array too large \(2097153\)"):
        Message.from_cbor(_replace_field(9, header + big.hex()))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (bytes.fromhex("81" + VECTOR1_CBOR), r"wrong number of fields \(got 1, want 2\)"),
        (bytes.fromhex("82" + VECTOR1_CBOR + "01"), "'Signature': not a byte string"),
        (bytes.fromhex("82" + VECTOR1_CBOR + "40"), "'Signature': invalid signature bytes of length 0"),
        (bytes.fromhex("82" + VECTOR1_CBOR + "4109"), "'Signature': invalid signature type '9'"),
        (
            bytes.fromhex("82" + "89" + VECTOR1_CBOR[2:-8] + "4101"),
            "invalid message cbor: cbor input had wrong",
        ),
    ],
)
def test_signed_message_cbor_refusals(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidMessage, match=reason):
        SignedMessage.from_cbor(data)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"To": None}, "'To' address is missing"),
        ({"From": "t1nope"}, "'From': invalid address 't1nope'"),
        ({"Nonce": -1}, r"'Nonce': number -1 overflows uint64"),
        ({"Nonce": 2**64}, "'Nonce': number 18446744073709551616 overflows uint64"),
        ({"Nonce": 1.0}, r"'Nonce': cannot unmarshal 1.0 into uint64"),
        ({"Method": True}, r"'Method': cannot unmarshal True into uint64"),
        ({"GasLimit": "123"}, r"'GasLimit': cannot unmarshal '123' into int64"),
        ({"GasLimit": 2**63}, "'GasLimit': number 9223372036854775808 overflows int64"),
        ({"Value": 5}, "'Value': big int must be a json string"),
        ({"Value": None}, "'Value': big int must be a json string"),
        ({"GasFeeCap": "1.5"}, "'GasFeeCap': failed to parse big string: '1.5'"),
        ({"GasPremium": ""}, "'GasPremium': failed to parse big string: ''"),
        ({"Params": "not base64!"}, "'Params': illegal base64 data"),
        ({"Params": [1, 2]}, r"'Params': want a base64 string, got \[1, 2\]"),
    ],
)
def test_message_json_refusals(change: JsonObject, reason: str) -> None:
    wire = json.loads(VECTOR1_JSON)
    wire.update(change)
    with pytest.raises(InvalidMessage, match=reason):
        Message.from_json(wire)


def test_message_json_follows_go_for_missing_null_and_extra_keys() -> None:
    wire: JsonObject = {"To": "t01000", "From": "t01001", "Params": None, "CID": None, "Unknown": [1]}
    message = Message.from_json(wire)
    assert message == Message(to=Address.new_id(1000), from_=Address.new_id(1001))
    assert message.to_json()["Params"] is None  # empty params print as Go prints a nil slice
    # filecoin-lotus's MpoolPushMessage input (reference §5.2): zero gas, "CID": null.
    sent: JsonObject = {
        "Version": 0,
        "To": "t01000",
        "From": "t01001",
        "Nonce": 0,
        "Value": "5",
        "GasLimit": 0,
    }
    sent |= {"GasFeeCap": "0", "GasPremium": "0", "Method": 0, "Params": None, "CID": None}
    assert Message.from_json(sent).value == TokenAmount(5)
    # A stale or wrong "CID" is ignored on input, as Lotus ignores it.
    wire = json.loads(VECTOR1_JSON) | {"CID": {"/": VECTOR2_CID}}
    assert Message.from_json(wire).cid() == VECTOR1.cid()
    with pytest.raises(InvalidMessage, match="want an object"):
        Message.from_json([1])
    with pytest.raises(InvalidMessage, match="invalid signed message json: want an object"):
        SignedMessage.from_json("x")


def test_signed_message_json_refusals() -> None:
    with pytest.raises(InvalidMessage, match="'Signature': signature must be a json object"):
        SignedMessage.from_json({"Message": json.loads(VECTOR1_JSON)})
    with pytest.raises(InvalidMessage, match="invalid signed message json: 'Message' is missing"):
        SignedMessage.from_json({"Signature": {"Type": 1, "Data": None}})
    with pytest.raises(InvalidMessage, match="invalid message json: 'To' address is missing"):
        SignedMessage.from_json({"Message": {"From": "t01000"}, "Signature": {"Type": 1, "Data": None}})


def test_construction_checks_ranges_and_types() -> None:
    with pytest.raises(InvalidMessage, match="message 'nonce' is out of uint64 range: -1"):
        Message(to=VECTOR1.to, from_=VECTOR1.from_, nonce=-1)
    with pytest.raises(InvalidMessage, match="message 'gas_limit' is out of int64 range"):
        Message(to=VECTOR1.to, from_=VECTOR1.from_, gas_limit=2**63)
    with pytest.raises(TypeError, match="Message.value must be a TokenAmount"):
        Message(to=VECTOR1.to, from_=VECTOR1.from_, value=5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Message.to must be a Address"):
        Message(to="t01000", from_=VECTOR1.from_)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="SignedMessage.signature must be a Signature"):
        SignedMessage(VECTOR1, b"\x01")  # type: ignore[arg-type]
    assert Message(to=VECTOR1.to, from_=VECTOR1.from_, params=bytearray(b"x")).params == b"x"  # type: ignore[arg-type]  # bytes-like is stored as bytes


# -- signing and verifying ------------------------------------------------------------------------------


def _zondax_message(**changes: object) -> Message:
    fields: dict[str, object] = {
        "to": Address.from_string(ZONDAX_TO),
        "from_": Address.from_string(ZONDAX_FROM),
        "nonce": 1,
        "value": TokenAmount(100000),
        "gas_limit": 25000,
        "gas_fee_cap": TokenAmount(1),
        "gas_premium": TokenAmount(1),
    }
    fields.update(changes)
    return Message(**fields)  # type: ignore[arg-type]


def test_sign_message_checks_the_key_against_a_key_sender() -> None:
    signed = sign_message(ZONDAX_KEY, _zondax_message())
    assert signed.signature.to_json()["Data"] == VECTOR4_SIGNATURE
    other = _zondax_message(from_=Address.from_string(ZONDAX_TO))
    with pytest.raises(InvalidKey, match=f"key of '{ZONDAX_FROM}' cannot sign a message from '{ZONDAX_TO}'"):
        sign_message(ZONDAX_KEY, other)
    with pytest.raises(UnsupportedKeyType, match="'bls'"):
        sign_message(KeyInfo("bls", b"\x01" * 32), _zondax_message())


def test_id_sender_is_signed_and_verified_through_its_key_address() -> None:
    message = _zondax_message(from_=Address.new_id(1000))
    signed = sign_message(ZONDAX_KEY, message)  # the caller resolved t01000 to this key
    with pytest.raises(InvalidSignature, match="must resolve ID addresses"):
        verify_signed(signed)
    verify_signed(signed, signer=Address.from_string(ZONDAX_FROM))
    with pytest.raises(InvalidSignature, match="signature did not match"):
        verify_signed(signed, signer=Address.from_string(ZONDAX_TO))


def test_tampered_messages_do_not_verify() -> None:
    signed = SignedMessage.from_json(VECTOR4_JSON)
    for changed in (
        _zondax_message(nonce=2),
        _zondax_message(value=TokenAmount(100001)),
        _zondax_message(gas_limit=25001),
        _zondax_message(params=b"\x00"),
    ):
        with pytest.raises(InvalidSignature, match="signature did not match"):
            verify_signed(SignedMessage(changed, signed.signature))


# -- gas --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_fee", "fee_cap", "premium", "expected"),
    [
        (8, 8, 8, 0),
        (8, 16, 7, 7),
        (8, 19, 10, 10),
        (123456, 123455, 123455, 0),
        (123456, 1234567, 1111112, 1111111),
    ],
)
def test_effective_gas_premium_as_lotus(base_fee: int, fee_cap: int, premium: int, expected: int) -> None:
    message = _zondax_message(gas_fee_cap=TokenAmount(fee_cap), gas_premium=TokenAmount(premium))
    assert message.effective_gas_premium(TokenAmount(base_fee)) == TokenAmount(expected)


def test_required_funds_is_fee_cap_times_gas_limit() -> None:
    message = _zondax_message(gas_fee_cap=TokenAmount(100), gas_limit=25000)
    assert message.required_funds() == TokenAmount(2_500_000)
