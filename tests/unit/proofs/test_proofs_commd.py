"""CommD from pieces: a real mainnet sector, rust-fil-proofs' padded-pieces layout, properties.

Vectors: reference/proofs.md §2.3 (go-commp-utils ``commd_test.go``, RFP ``tests/pieces.rs``).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from multiformats import CID

from pylotus.abi import JsonObject, PaddedPieceSize, UnpaddedPieceSize, commd_to_cid, commr_to_cid, parse_cid
from pylotus.proofs import (
    InvalidPieces,
    PieceInfo,
    commp_from_bytes,
    commp_reference,
    compute_comm_d,
    generate_unsealed_cid,
    get_piece_alignment,
    node_hash,
    zero_piece_cid,
    zero_piece_commitment,
)

MIB, GIB = 1 << 20, 1 << 30

# go-commp-utils commd_test.go TestGenerateUnsealedCID: sector f01392893:139074 (32GiB, mainnet).
MAINNET_PIECES = [
    ("baga6ea4seaqknzm22isnhsxt2s4dnw45kfywmhenngqq3nc7jvecakoca6ksyhy", 256 * MIB),
    ("baga6ea4seaqnq6o5wuewdpviyoafno4rdpqnokz6ghvg2iyeyfbqxgcwdlj2egi", 1024 * MIB),
    ("baga6ea4seaqpixk4ifbkzato3huzycj6ty6gllqwanhdpsvxikawyl5bg2h44mq", 512 * MIB),
    ("baga6ea4seaqaxwe5dy6nt3ko5tngtmzvpqxqikw5mdwfjqgaxfwtzenc6bgzajq", 512 * MIB),
    ("baga6ea4seaqpy33nbesa4d6ot2ygeuy43y4t7amc4izt52mlotqenwcmn2kyaai", 1024 * MIB),
    ("baga6ea4seaqphvv4x2s2v7ykgc3ugs2kkltbdeg7icxstklkrgqvv72m2v3i2aa", 256 * MIB),
    ("baga6ea4seaqf5u55znk6jwhdsrhe37emzhmehiyvjxpsww274f6fiy3h4yctady", 512 * MIB),
    ("baga6ea4seaqa3qbabsbmvk5er6rhsjzt74beplzgulthamm22jue4zgqcuszofi", 1024 * MIB),
    ("baga6ea4seaqiekvf623muj6jpxg6vsqaikyw3r4ob5u7363z7zcaixqvfqsc2ji", 256 * MIB),
    ("baga6ea4seaqhsewv65z2d4m5o4vo65vl5o6z4bcegdvgnusvlt7rao44gro36pi", 512 * MIB),
]
MAINNET_COMMD = "baga6ea4seaqiw3gbmstmexb7sqwkc5r23o3i7zcyx5kr76pfobpykes3af62kca"


def _pieces(rows: list[tuple[str, int]]) -> list[PieceInfo]:
    return [PieceInfo(PaddedPieceSize(size), parse_cid(cid)) for cid, size in rows]


def test_mainnet_sector_with_explicit_fill() -> None:
    pieces = _pieces(MAINNET_PIECES) + [
        PieceInfo(PaddedPieceSize(8 * GIB), zero_piece_cid(8 * GIB)),
        PieceInfo(PaddedPieceSize(16 * GIB), zero_piece_cid(16 * GIB)),
    ]
    assert str(generate_unsealed_cid(32 * GIB, pieces)) == MAINNET_COMMD


def test_mainnet_sector_zero_padded_to_the_sector() -> None:
    # Lotus GenerateUnsealedCID pads to the sector size itself: the fill pieces are implied.
    assert str(generate_unsealed_cid(32 * GIB, _pieces(MAINNET_PIECES))) == MAINNET_COMMD


def test_empty_sector_is_the_zero_commitment() -> None:
    assert str(generate_unsealed_cid(2048, [])) == (
        "baga6ea4seaqpy7usqklokfx2vxuynmupslkeutzexe2uqurdg5vhtebhxqmpqmy"
    )


def _fake(byte: int, unpadded: int) -> PieceInfo:
    size = UnpaddedPieceSize(unpadded).padded()
    return PieceInfo(PaddedPieceSize(size), commd_to_cid(bytes([byte]) * 32))


def test_padded_pieces_layout() -> None:
    # RFP tests/pieces.rs test_verify_padded_pieces: sector 32·128 B, pieces A(1) B(4) C(2) D(8)
    # (in 127-byte units) lie as A P P P B C P P P P P P D P×8 with P a 127-byte zero piece; the
    # expected CommD is built here layer by layer from that layout.
    a, b, c, d = (bytes([n]) * 32 for n in (1, 2, 3, 4))
    p = zero_piece_commitment(128)
    h = node_hash
    layer1 = [h(a, p), h(p, p), b, c, h(p, p), h(p, p), h(p, p), d, h(p, p), h(p, p), h(p, p), h(p, p)]
    # sizes (in units):   2      2    4  2     2        2        2     8    2        2        2        2
    layer2 = [h(layer1[0], layer1[1]), layer1[2], h(layer1[3], layer1[4]), h(layer1[5], layer1[6]),
              layer1[7], h(layer1[8], layer1[9]), h(layer1[10], layer1[11])]  # fmt: skip
    layer3 = [h(layer2[0], layer2[1]), h(layer2[2], layer2[3]), layer2[4], h(layer2[5], layer2[6])]
    layer4 = [h(layer3[0], layer3[1]), h(layer3[2], layer3[3])]
    expected = h(layer4[0], layer4[1])
    pieces = [_fake(1, 127), _fake(2, 4 * 127), _fake(3, 2 * 127), _fake(4, 8 * 127)]
    assert compute_comm_d(32 * 128, pieces) == expected


def test_simple_pieces_combine_in_any_grouping() -> None:
    # RFP pieces.rs test_verify_simple_pieces: [a b c d], [e c d], [e f], [a b f] and [g] agree.
    a, b, c, d = (_fake(n, 127) for n in (1, 2, 3, 4))
    e = PieceInfo(PaddedPieceSize(256), commd_to_cid(node_hash(bytes([1]) * 32, bytes([2]) * 32)))
    f = PieceInfo(PaddedPieceSize(256), commd_to_cid(node_hash(bytes([3]) * 32, bytes([4]) * 32)))
    g = node_hash(node_hash(bytes([1]) * 32, bytes([2]) * 32), node_hash(bytes([3]) * 32, bytes([4]) * 32))
    for pieces in ([a, b, c, d], [e, c, d], [e, f], [a, b, f]):
        assert compute_comm_d(512, pieces) == g


@pytest.mark.parametrize(
    "sector,sizes,message",
    [
        (2048, [4096], "larger than the sector size '2048'"),
        (2048, [100], "not a power of two"),
        (2048, [64], "not a power of two of at least 128"),
        (512, [128, 256, 128], "fillers take '1024' bytes, more than the sector size '512'"),
        (512, [256, 256, 256], "sum up to '768' bytes"),
        (3000, [128], "sector size '3000' is not a power of two"),
    ],
)
def test_bad_piece_lists(sector: int, sizes: list[int], message: str) -> None:
    pieces = [PieceInfo(PaddedPieceSize(size), zero_piece_cid(128)) for size in sizes]
    with pytest.raises(InvalidPieces, match=message):
        compute_comm_d(sector, pieces)


def test_a_sealed_cid_is_not_a_piece() -> None:
    sealed = commr_to_cid(bytes(32))
    with pytest.raises(InvalidPieces, match="piece 0 cid is not a piece commitment"):
        compute_comm_d(2048, [PieceInfo(PaddedPieceSize(2048), sealed)])


def test_piece_info_json_round_trip() -> None:
    info = PieceInfo(PaddedPieceSize(2048), zero_piece_cid(2048))
    cid = "baga6ea4seaqpy7usqklokfx2vxuynmupslkeutzexe2uqurdg5vhtebhxqmpqmy"
    wire: JsonObject = {"Size": 2048, "PieceCID": {"/": cid}}
    assert info.to_json() == wire
    assert PieceInfo.from_json(wire) == info


@pytest.mark.parametrize(
    "wire,message",
    [
        ([], "piece info must be"),
        ({"Size": 2048}, "piece info must be"),
        ({"Size": "2048", "PieceCID": {"/": "x"}}, "size must be an integer"),
        ({"Size": 1000, "PieceCID": {"/": "x"}}, "padded piece size must be a power of 2"),
        ({"Size": 2048, "PieceCID": {"/": "nope"}}, "invalid piece info: invalid cid 'nope'"),
    ],
)
def test_piece_info_bad_json(wire: object, message: str) -> None:
    with pytest.raises(InvalidPieces, match=message):
        PieceInfo.from_json(wire)  # type: ignore[arg-type]


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=65, max_size=3000))
def test_commp_is_commd_of_a_sector_holding_only_that_piece(data: bytes) -> None:
    result = commp_from_bytes(data)
    piece = PieceInfo(PaddedPieceSize(result.padded_size), result.cid)
    assert generate_unsealed_cid(result.padded_size, [piece]) == result.cid
    # And in a sector twice as large, the piece is the left half beside zeros.
    bigger = compute_comm_d(2 * result.padded_size, [piece])
    assert bigger == node_hash(result.commitment, zero_piece_commitment(result.padded_size))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from([127, 254, 508, 1016]), min_size=1, max_size=5), st.randoms())
def test_commd_equals_commp_of_the_laid_out_sector(sizes: list[int], rnd: object) -> None:
    """Pieces laid out by the alignment rules, hashed as one payload, give the pieces' CommD."""
    sector = 4096
    capacity = sector // 128 * 127
    layout = bytearray()
    pieces: list[PieceInfo] = []
    for size in sizes:
        alignment = get_piece_alignment(len(layout), size)
        if len(layout) + alignment.total(size) > capacity:
            break
        data = rnd.randbytes(size)  # type: ignore[attr-defined]
        layout += bytes(alignment.left_bytes) + data
        pieces.append(PieceInfo(PaddedPieceSize(size // 127 * 128), commp_from_bytes(data).cid))
    layout += bytes(capacity - len(layout))
    assert compute_comm_d(sector, pieces) == commp_reference(bytes(layout)).commitment
    assert isinstance(generate_unsealed_cid(sector, pieces), CID)
