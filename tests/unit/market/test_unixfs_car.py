"""market/unixfs and market/car: data CIDs against kubo's, and CARs that round-trip verified.

Independent references:

* published kubo CIDs: the empty file under ``--raw-leaves`` (kubo ``test/sharness/
  t0040-add-and-cat.sh``), ``hello\\n`` and 128 MiB of ``deadbeef`` under ``--cid-version=1``
  ("CID obtained from IPFS directly", aleph-im/aleph-rs ``crates/aleph-cid/src/verify.rs``); the
  128 MiB file has 512 leaves of 256 KiB, so its tree has two levels of 174-link nodes;
* the ``aleph-cid`` wheel (Rust, golden-tested against kubo v0.30.0) for files of every shape at
  kubo's chunk size;
* for small chunk sizes, a dag-pb/UnixFS *decoder* written here from the specs, which walks the
  DAG and checks its shape and that it reads back as the file.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import aleph_cid
import pytest
from multiformats import CID, varint

from pylotus.market import (
    ISSUE_10_PARAMS,
    KUBO_V1_PARAMS,
    LOTUS_IMPORT_PARAMS,
    Block,
    BlockHashMismatch,
    CarReader,
    DagParams,
    InvalidCar,
    InvalidDagParams,
    encode_header,
    file_data_cid,
    iter_file_blocks,
    write_car,
    write_file_car,
)

KIB = 1024
MIB = 1024 * KIB
KUBO_CHUNK = 256 * KIB

EMPTY_RAW_LEAF = "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"  # kubo t0040
HELLO_NL_V1 = "bafkreicysg23kiwv34eg2d7qweipxwosdo2py4ldv42nbauguluen5v6am"  # aleph-rs verify.rs
DEADBEEF_128MIB_V1 = "bafybeiawhayvhrtunmsazigmne75kqyyb2z7oqlvky3abpk4tbkqyzv6iu"  # aleph-rs verify.rs


def _data(size: int, seed: int = 10) -> bytes:
    return random.Random(seed + size).randbytes(size)


def _root(data: bytes, params: DagParams) -> CID:
    blocks = list(iter_file_blocks(io.BytesIO(data), params))
    return blocks[-1].cid


def _aleph_v1(data: bytes) -> str:
    hasher = aleph_cid.CidHasher.for_ipfs_v1_raw_leaves()
    hasher.update(data)
    return hasher.finalize()


class _Pattern(io.RawIOBase):
    """``pattern`` repeated to ``size`` bytes, read without holding them; records the largest read."""

    def __init__(self, pattern: bytes, size: int) -> None:
        self._pattern, self._size, self._pos, self.largest_read = pattern, size, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # RawIOBase's buffer type
        count = min(len(buffer), self._size - self._pos)
        self.largest_read = max(self.largest_read, len(buffer))
        start = self._pos % len(self._pattern)
        reps = (start + count) // len(self._pattern) + 1
        buffer[:count] = (self._pattern * reps)[start : start + count]
        self._pos += count
        return count


# ------------------------------------------------------------------------------------------------
# Published kubo CIDs


@pytest.mark.parametrize("params", [ISSUE_10_PARAMS, KUBO_V1_PARAMS], ids=["issue10", "kubo"])
def test_empty_file_is_kubos_empty_raw_leaf(params: DagParams) -> None:
    blocks = list(iter_file_blocks(io.BytesIO(b""), params))
    assert [str(block.cid) for block in blocks] == [EMPTY_RAW_LEAF]
    assert blocks[0].data == b""


def test_hello_is_one_raw_leaf() -> None:
    assert str(_root(b"hello\n", ISSUE_10_PARAMS)) == HELLO_NL_V1


def test_128mib_deadbeef_matches_kubo_two_level_tree() -> None:
    stream = _Pattern(b"deadbeef", 128 * MIB)
    blocks = iter_file_blocks(io.BufferedReader(stream, KUBO_CHUNK), KUBO_V1_PARAMS)
    *_, root = blocks
    assert str(root.cid) == DEADBEEF_128MIB_V1
    assert stream.largest_read <= KUBO_CHUNK  # streamed, one chunk at a time


# ------------------------------------------------------------------------------------------------
# Cross-check against aleph-cid at kubo's chunk size: every shape of tree

SIZES = {
    "one-byte": 1,
    "chunk-minus-one": KUBO_CHUNK - 1,
    "one-chunk": KUBO_CHUNK,
    "chunk-plus-one": KUBO_CHUNK + 1,
    "ten-chunks-and-a-bit": 10 * KUBO_CHUNK + 5,
    "full-174": 174 * KUBO_CHUNK,
    "174-plus-one-byte": 174 * KUBO_CHUNK + 1,
    "175-chunks-and-a-bit": 175 * KUBO_CHUNK + 7,
}


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_cid_matches_independent_implementation(size: int) -> None:
    data = _data(size)
    assert str(_root(data, KUBO_V1_PARAMS)) == _aleph_v1(data)


def test_one_chunk_is_a_raw_leaf_and_one_more_byte_is_dag_pb() -> None:
    exact = _root(_data(MIB), ISSUE_10_PARAMS)
    over = _root(_data(MIB + 1), ISSUE_10_PARAMS)
    assert (exact.codec.name, over.codec.name) == ("raw", "dag-pb")
    assert str(exact).startswith("bafkrei") and str(over).startswith("bafybei")


def test_chunk_size_changes_the_cid() -> None:
    data = _data(2 * MIB + 3)
    assert _root(data, ISSUE_10_PARAMS) != _root(data, KUBO_V1_PARAMS)


# ------------------------------------------------------------------------------------------------
# Shape, with small chunks, read back through a decoder written from the dag-pb and UnixFS specs


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """Protobuf (field number, value) pairs: varints (wire 0) and length-delimited (wire 2)."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(buf):
        key, n, _ = varint.decode_raw(buf[pos:])
        pos += n
        value, n, _ = varint.decode_raw(buf[pos:])
        pos += n
        if key & 7 == 2:
            out.append((key >> 3, buf[pos : pos + value]))
            pos += value
        else:
            assert key & 7 == 0
            out.append((key >> 3, value))
    return out


def _walk(cid: CID, store: dict[CID, bytes], params: DagParams, depth: int = 0) -> tuple[bytes, int, int]:
    """(file bytes, Tsize, leaf depth) under ``cid``, checking each node against the UnixFS rules."""
    block = store[cid]
    if cid.codec.name == "raw":
        assert len(block) <= params.chunk_size
        return block, len(block), depth
    fields = _fields(block)
    links = [_fields(value) for number, value in fields if number == 2]
    (data,) = [value for number, value in fields if number == 1]
    assert [number for number, _ in fields] == [2] * len(links) + [1]  # Links before Data
    assert (2 if depth == 0 else 1) <= len(links) <= params.max_links  # a last inner node may hold 1
    unixfs = _fields(data)  # type: ignore[arg-type]
    assert unixfs[:2] == [(1, 2), (3, sum(v for n, v in unixfs if n == 4))]  # Type File, filesize
    content, tsize, depths = b"", len(block), set()
    for link, blocksize in zip(links, (v for n, v in unixfs if n == 4), strict=True):
        assert [number for number, _ in link] == [1, 2, 3] and link[1] == (2, b"")  # Hash, Name "", Tsize
        child, child_tsize, leaf_depth = _walk(CID.decode(link[0][1]), store, params, depth + 1)
        assert link[2][1] == child_tsize and blocksize == len(child)
        content, tsize = content + child, tsize + child_tsize
        depths.add(leaf_depth)
    assert len(depths) == 1  # balanced: every leaf at one depth
    return content, tsize, depths.pop()


SHAPES = {  # file size, chunk size, links per node, leaf depth of the balanced tree
    "one-chunk": (8, 8, 3, 0),
    "one-chunk-plus-one": (9, 8, 3, 1),
    "full-one-level": (24, 8, 3, 1),
    "two-levels": (25, 8, 3, 2),
    "full-two-levels": (72, 8, 3, 2),
    "three-levels": (73, 8, 3, 3),
    "many-chunks-width-174": (175 * 4 + 1, 4, 174, 2),
}


@pytest.mark.parametrize(("size", "chunk", "links", "depth"), SHAPES.values(), ids=SHAPES.keys())
def test_dag_reads_back_as_the_file_in_a_balanced_tree(size: int, chunk: int, links: int, depth: int) -> None:
    params = DagParams(chunk_size=chunk, max_links=links)
    data = _data(size)
    blocks = list(iter_file_blocks(io.BytesIO(data), params))
    store = {block.cid: block.data for block in blocks}
    content, _, leaf_depth = _walk(blocks[-1].cid, store, params)
    assert (content, leaf_depth) == (data, depth)


def test_reads_never_exceed_one_chunk() -> None:
    stream = _Pattern(b"0123456789", 50_000)
    list(iter_file_blocks(stream, DagParams(chunk_size=1000)))  # type: ignore[arg-type]
    assert stream.largest_read <= 1000


def test_file_data_cid_matches_the_builder(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(_data(3 * MIB))
    assert file_data_cid(path) == _root(path.read_bytes(), ISSUE_10_PARAMS)


@pytest.mark.parametrize(
    "kwargs", [{"chunk_size": 0}, {"max_links": 1}, {"inline_limit": -1}, {"hash_name": "md5-nope"}]
)
def test_bad_params_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidDagParams):
        DagParams(**kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------
# Lotus's `client import` preset: blake2b-256, identity CIDs for blocks of at most 126 bytes


def test_lotus_preset_inlines_small_blocks_and_hashes_with_blake2b() -> None:
    empty, small, bigger = (_root(_data(n), LOTUS_IMPORT_PARAMS) for n in (0, 126, 127))
    assert str(empty) == "bafkqaaa"  # identity raw CID of no bytes
    assert (small.hashfun.name, bytes(small.raw_digest)) == ("identity", _data(126))
    assert bigger.hashfun.name == "blake2b-256" and str(bigger).startswith("bafk2bzace")
    assert str(_root(_data(3 * MIB), LOTUS_IMPORT_PARAMS)).startswith("bafykbzace")  # dag-pb, blake2b


# ------------------------------------------------------------------------------------------------
# CAR


def _car_of(data: bytes, tmp_path: Path, params: DagParams) -> tuple[Path, CID]:
    src, car = tmp_path / "data", tmp_path / "data.car"
    src.write_bytes(data)
    return car, write_file_car(src, car, params)


def test_car_round_trip_verifies_every_block(tmp_path: Path) -> None:
    data = _data(5 * MIB + 17)
    car, root = _car_of(data, tmp_path, ISSUE_10_PARAMS)
    assert root == _root(data, ISSUE_10_PARAMS)
    assert aleph_cid.read_carv1_root(car) == str(root)  # an independent reader agrees on the header
    with open(car, "rb") as stream:
        reader = CarReader(stream)
        blocks = list(reader)
    assert reader.roots == [root]
    assert blocks == list(iter_file_blocks(io.BytesIO(data), ISSUE_10_PARAMS))
    assert b"".join(block.data for block in blocks if block.cid.codec.name == "raw") == data
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # temporaries removed


def test_car_bytes_follow_the_carv1_layout() -> None:
    leaf = Block(_root(b"hello\n", ISSUE_10_PARAMS), b"hello\n")
    out = io.BytesIO()
    written = write_car(out, [leaf.cid], [leaf])
    header = encode_header([leaf.cid])
    assert header[:1] == b"\xa2" and header.index(b"roots") < header.index(b"version")
    cid = bytes(leaf.cid)
    expected = varint.encode(len(header)) + header + varint.encode(len(cid) + 6) + cid + b"hello\n"
    assert out.getvalue() == expected and written == len(expected)


def test_corrupt_block_is_refused_naming_its_cid(tmp_path: Path) -> None:
    data = _data(3 * 1000 + 1)
    car, _ = _car_of(data, tmp_path, DagParams(chunk_size=1000))
    raw = bytearray(car.read_bytes())
    at = raw.index(data[1500:1532])  # inside the second leaf
    raw[at] ^= 0xFF
    second_leaf = list(iter_file_blocks(io.BytesIO(data), DagParams(chunk_size=1000)))[1].cid
    reader = CarReader(io.BytesIO(bytes(raw)))
    with pytest.raises(BlockHashMismatch, match=str(second_leaf)):
        list(reader)


def test_corrupt_blake2b_block_is_refused(tmp_path: Path) -> None:
    car, root = _car_of(_data(2 * MIB + 5), tmp_path, LOTUS_IMPORT_PARAMS)
    raw = bytearray(car.read_bytes())
    raw[-1] ^= 0x01  # the root, written last
    with pytest.raises(BlockHashMismatch, match=str(root)):
        list(CarReader(io.BytesIO(bytes(raw))))


@pytest.mark.parametrize(
    ("car", "message"),
    [
        (b"", "no header"),
        (b"\x05\xa1", "truncated header"),
        (varint.encode(10) + b"\xa1gversion\x02", "version '2' is not supported"),
        (varint.encode(len(encode_header([]))) + encode_header([]), "non-empty list"),
        (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "longer than"),
    ],
    ids=["empty", "truncated-header", "carv2-pragma", "no-roots", "runaway-varint"],
)
def test_malformed_car_is_refused(car: bytes, message: str) -> None:
    with pytest.raises(InvalidCar, match=message):
        CarReader(io.BytesIO(car))


def test_truncated_block_is_refused() -> None:
    leaf = Block(_root(b"hello\n", ISSUE_10_PARAMS), b"hello\n")
    out = io.BytesIO()
    write_car(out, [leaf.cid], [leaf])
    with pytest.raises(InvalidCar, match="truncated block section"):
        list(CarReader(io.BytesIO(out.getvalue()[:-1])))
