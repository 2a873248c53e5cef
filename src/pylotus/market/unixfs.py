"""The UnixFS file DAG of a client's data: chunks, raw leaves, a balanced tree of dag-pb nodes.

Counterparts: boxo ``ipld/unixfs/importer/balanced/builder.go`` (``Layout``, ``fillNodeRec``),
``importer/helpers`` (``DagBuilderHelper``, ``FSNodeOverDag``, ``DefaultLinksPerBlock``),
``chunker/splitting.go`` (the fixed-size splitter), go-merkledag's ``ProtoNode`` encoding, and the
caller Lotus uses for ``lotus client import``: ``lib/unixfs/filestore.go`` ``Build``.

The shape, as ``ipfs add --cid-version=1 --raw-leaves`` builds it:

* the file is cut into fixed-size chunks read with ``io.ReadFull`` semantics (every chunk full but
  the last; a file of exactly k chunks has k, never a trailing empty one);
* each chunk is a **raw leaf**: CIDv1, codec ``raw`` (0x55), the block is the chunk's bytes;
* a file of at most one chunk *is* its leaf (the empty file is the raw leaf of no bytes,
  ``bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku`` with sha2-256, kubo sharness
  ``t0040-add-and-cat.sh``);
* otherwise leaves hang under **dag-pb** nodes (CIDv1, codec 0x70) of at most ``max_links`` links,
  filled left to right and deepened one level each time the tree is full (boxo's balanced layout;
  the last node of a level may hold a single link, as boxo's does);
  each node's Data is a UnixFS ``Data{Type: File, filesize, blocksizes}``, each link has an empty
  Name and ``Tsize`` = the bytes of every block below it (the child's block plus its links' Tsizes).

Parameters (:class:`DagParams`).  Three presets, because three sources disagree:

* :data:`ISSUE_10_PARAMS` (the default): what issue #10 asks for, 1 MiB chunks, 174 links
  (boxo ``DefaultLinksPerBlock``), sha2-256, no inlining: ``ipfs add --cid-version=1 --raw-leaves
  --chunker=size-1048576``.
* :data:`KUBO_V1_PARAMS`: kubo's own defaults for ``ipfs add --cid-version=1``: 256 KiB chunks
  (``chunker.DefaultBlockSize``, ``size-262144``), 174 links, sha2-256.  The tests check this preset
  against published kubo CIDs and an independent implementation.
* :data:`LOTUS_IMPORT_PARAMS`: what ``lotus client import`` really does (``lib/unixfs/filestore.go``):
  1 MiB chunks (``build.UnixfsChunkSize``), **1024** links (``build.UnixfsLinksPerLevel``), multihash
  **blake2b-256** (``DefaultHashFunction = BLAKE2B_MIN + 31``) and go-cidutil's ``InlineBuilder``
  with ``Limit: 126``: a block of at most 126 bytes gets an *identity* multihash, its bytes inside
  the CID.  Its CIDs (``bafk2bzace…``/``bafy2bzace…``) are not kubo's, so a data CID from Lotus and
  one from pylotus agree only if both use this preset.

What is written here by hand, and why: the two protobuf encoders (dag-pb ``PBNode``/``PBLink`` and
UnixFS ``Data``).  No maintained Python library covers UnixFS; the one dag-pb package on PyPI
(``ipld-dag-pb`` 0.0.1, a single 2025 release) encodes byte by byte in Python and would be a
dependency for ~25 lines.  Both encoders write only what the importer produces, in the canonical
order the dag-pb spec fixes: a PBNode's Links (field 2) **before** its Data (field 1), each link's
Hash (1), Name (2), Tsize (3); go-merkledag always writes Name, so an empty name is ``12 00``.
UnixFS ``Data`` writes Type (1), filesize (3), then one unpacked blocksizes (4) per child, the
order gogo-protobuf's proto2 marshaller emits.  CIDs and multihashes come from ``multiformats``.

Memory: one chunk and the pending links of one node per tree level, never the file.  Blocks come
out children first, so the root is always the **last** block; nothing here touches the disk.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final, NamedTuple, final

from multiformats import CID, multihash, varint

from .errors import InvalidDagParams

__all__ = [
    "Block",
    "DagParams",
    "ISSUE_10_PARAMS",
    "KUBO_V1_PARAMS",
    "LOTUS_IMPORT_PARAMS",
    "encode_pb_node",
    "encode_unixfs_file_data",
    "file_data_cid",
    "iter_file_blocks",
]

MIB: Final = 1 << 20
DEFAULT_CHUNK_SIZE: Final = MIB  # issue #10; also Lotus build.UnixfsChunkSize (1 << 20)
KUBO_CHUNK_SIZE: Final = 256 * 1024  # boxo chunker.DefaultBlockSize, kubo's "size-262144"
KUBO_MAX_LINKS: Final = 174  # boxo importer/helpers.DefaultLinksPerBlock
LOTUS_MAX_LINKS: Final = 1024  # Lotus build.UnixfsLinksPerLevel
LOTUS_INLINE_LIMIT: Final = 126  # Lotus lib/unixfs CidBuilder: cidutil.InlineBuilder{Limit: 126}

RAW_CODEC: Final = "raw"  # 0x55
DAG_PB_CODEC: Final = "dag-pb"  # 0x70
_UNIXFS_FILE: Final = 2  # unixfs.proto Data.DataType.File


class Block(NamedTuple):
    """One block of a DAG: its CID and its bytes (the bytes the CID's multihash was taken over)."""

    cid: CID
    data: bytes


@final
@dataclass(frozen=True)
class DagParams:
    """How a file becomes a DAG.

    Attributes:
        chunk_size: bytes per leaf (the last leaf may be shorter).
        max_links: most links one dag-pb node holds (width of the balanced tree).
        hash_name: multihash of every non-inlined block, a name ``multiformats`` implements.
        inline_limit: blocks of at most this many bytes get an identity multihash; 0 turns
            inlining off (else the empty file would be the identity CID ``bafkqaaa``, as it is
            under Lotus's limit of 126).
    """

    chunk_size: int = DEFAULT_CHUNK_SIZE
    max_links: int = KUBO_MAX_LINKS
    hash_name: str = "sha2-256"
    inline_limit: int = 0

    def __post_init__(self) -> None:
        if self.chunk_size < 1:
            raise InvalidDagParams(f"chunk size '{self.chunk_size}' must be at least 1 byte")
        if self.max_links < 2:
            raise InvalidDagParams(f"links per node '{self.max_links}' must be at least 2")
        if self.inline_limit < 0:
            raise InvalidDagParams(f"inline limit '{self.inline_limit}' must not be negative")
        if not multihash.is_implemented(self.hash_name):
            raise InvalidDagParams(f"multihash '{self.hash_name}' has no implementation here")


ISSUE_10_PARAMS: Final = DagParams()
KUBO_V1_PARAMS: Final = DagParams(chunk_size=KUBO_CHUNK_SIZE)
LOTUS_IMPORT_PARAMS: Final = DagParams(
    max_links=LOTUS_MAX_LINKS, hash_name="blake2b-256", inline_limit=LOTUS_INLINE_LIMIT
)


# ------------------------------------------------------------------------------------------------
# The two protobuf encoders (hand-written, see the module docstring)


def _field(tag: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field: key byte, varint length, payload."""
    return bytes((tag,)) + varint.encode(len(payload)) + payload


def encode_unixfs_file_data(filesize: int, blocksizes: Iterable[int]) -> bytes:
    """UnixFS ``Data{Type: File, filesize, blocksizes}`` of an internal file node (no inline data).

    Keys: ``08`` Type (field 1, varint), ``18`` filesize (field 3, varint), ``20`` each blocksize
    (field 4, varint, proto2 repeated without ``packed``).
    """
    out = bytearray(b"\x08" + varint.encode(_UNIXFS_FILE))
    out += b"\x18" + varint.encode(filesize)
    for size in blocksizes:
        out += b"\x20" + varint.encode(size)
    return bytes(out)


def encode_pb_node(links: Iterable[tuple[CID, str, int]], data: bytes | None) -> bytes:
    """A dag-pb ``PBNode`` in canonical form: every link (Hash, Name, Tsize), then Data.

    Args:
        links: ``(cid, name, tsize)`` in the order they belong to the node.
        data: the node's Data, or None to leave the field out.
    """
    out = bytearray()
    for cid, name, tsize in links:
        link = _field(0x0A, bytes(cid)) + _field(0x12, name.encode()) + b"\x18" + varint.encode(tsize)
        out += _field(0x12, link)
    if data is not None:
        out += _field(0x0A, data)
    return bytes(out)


# ------------------------------------------------------------------------------------------------
# The balanced layout


class _Child(NamedTuple):
    cid: CID
    tsize: int  # bytes of this block and every block below it (the link's Tsize)
    filesize: int  # bytes of file content below it (the parent's blocksizes entry)


class _Chunks:
    """boxo's size splitter behind ``DagBuilderHelper``'s one-chunk lookahead (``Done``)."""

    def __init__(self, stream: BinaryIO, size: int) -> None:
        self._stream = stream
        self._size = size
        self._next = self._read()

    def _read(self) -> bytes:
        parts: list[bytes] = []
        wanted = self._size
        while wanted:  # io.ReadFull: a short read is not the end of the file
            part = self._stream.read(wanted)
            if not part:
                break
            parts.append(part)
            wanted -= len(part)
        return b"".join(parts)

    def done(self) -> bool:
        return not self._next

    def take(self) -> bytes:
        chunk, self._next = self._next, self._read()
        return chunk


@final
class _Builder:
    def __init__(self, params: DagParams) -> None:
        self._params = params

    def _cid(self, codec: str, block: bytes) -> CID:
        inline = 0 < self._params.inline_limit and len(block) <= self._params.inline_limit
        digest = multihash.digest(block, "identity" if inline else self._params.hash_name)
        return CID("base32", 1, codec, digest)

    def leaf(self, chunk: bytes) -> Generator[Block, None, _Child]:
        cid = self._cid(RAW_CODEC, chunk)
        yield Block(cid, chunk)
        return _Child(cid, len(chunk), len(chunk))

    def node(self, children: list[_Child]) -> Generator[Block, None, _Child]:
        filesize = sum(child.filesize for child in children)
        data = encode_unixfs_file_data(filesize, (child.filesize for child in children))
        block = encode_pb_node(((child.cid, "", child.tsize) for child in children), data)
        cid = self._cid(DAG_PB_CODEC, block)
        yield Block(cid, block)
        return _Child(cid, len(block) + sum(child.tsize for child in children), filesize)

    def fill(self, chunks: _Chunks, first: _Child | None, depth: int) -> Generator[Block, None, _Child]:
        """boxo ``fillNodeRec``: a node of ``depth`` filled while links and data remain."""
        children = [] if first is None else [first]
        while len(children) < self._params.max_links and not chunks.done():
            if depth == 1:
                child = yield from self.leaf(chunks.take())
            else:
                child = yield from self.fill(chunks, None, depth - 1)
            children.append(child)
        return (yield from self.node(children))


def iter_file_blocks(stream: BinaryIO, params: DagParams = ISSUE_10_PARAMS) -> Iterator[Block]:
    """Every block of the file DAG of ``stream``'s bytes, children before parents, the root last.

    boxo ``balanced.Layout``: the first leaf is the root until a second chunk exists; then the root
    becomes the first child of a node one level deeper, which is filled, and so on until the data
    ends.  Reads ``stream`` to its end, one chunk at a time.

    Args:
        stream: a binary file object positioned at the start of the data; the caller closes it.
        params: chunking, tree width and hashing (:data:`ISSUE_10_PARAMS` unless told).
    """
    chunks = _Chunks(stream, params.chunk_size)
    builder = _Builder(params)
    root = yield from builder.leaf(chunks.take())  # the empty file: the raw leaf of no bytes
    depth = 1
    while not chunks.done():
        root = yield from builder.fill(chunks, root, depth)
        depth += 1


def file_data_cid(path: Path, params: DagParams = ISSUE_10_PARAMS) -> CID:
    """The data CID of the file at ``path`` without keeping a block (``ipfs add --only-hash``).

    Raises:
        OSError: the file cannot be opened or read.
    """
    root: CID | None = None
    with open(path, "rb") as stream:
        for block in iter_file_blocks(stream, params):
            root = block.cid
    assert root is not None  # iter_file_blocks yields at least the one leaf
    return root
