"""CARv1: the archive a client's data travels in, written as a stream and read back verified.

Counterparts: ipld/go-car (``car.go`` ``WriteHeader``/``NewCarReader``, ``util/util.go``
``LdWrite``/``LdRead``; v2's ``DefaultMaxAllowedHeaderSize``/``DefaultMaxAllowedSectionSize``), the
CARv1 spec (ipld.io/specs/transport/car/carv1), and Lotus's ``lib/unixfs/filestore.go``
``CreateFilestore`` for how ``client import`` stores a file's DAG beside the file.

Format: ``varint(len(header)) header`` then, per block, ``varint(len(cid) + len(data)) cid data``.
The header is the DAG-CBOR map ``{"roots": [CID…], "version": 1}``, encoded by
:mod:`pylotus.chain.dagcbor` (canonical key order puts ``roots`` first, as go-car writes it).

pylotus choices:

* Written by hand, not taken from PyPI: the one CAR package there (``ipld-car`` 0.0.1, a single
  2025 release) reads and writes whole CARs in memory and checks no hash, and ``libipld``'s
  ``decode_car`` (maintained, Rust) is also in-memory, read-only and does not verify either.  A
  client's file may be tens of GiB, so both directions here stream, one section at a time.
* The reader verifies every block: it recomputes the CID's multihash over the block's bytes and
  refuses the CAR (:class:`BlockHashMismatch`, naming the CID) on the first difference, as go-car's
  blockstore does with ``UseWholeCIDs``/hash-on-read; a hash it cannot compute is refused too.
* The reader refuses what go-car v1 refuses: a version other than 1 (so a CARv2 is named as such),
  no roots, a header over 32 MiB or a section over 8 MiB (go-car v2's defaults), truncation.
* :func:`write_file_car` builds the DAG once: the root is known only after the last block, so the
  sections go to a temporary file, and the CAR is then the header plus a copy of them, synced and
  renamed into place (DESIGN.md: a crash leaves the old file or the new one).  Lotus instead
  builds the DAG twice; blocks here are in the builder's order (children first, root last), which
  CARv1 allows.  A deal's CAR, whose bytes give the piece CID, must follow go-car's selective
  traversal order instead (root first, depth first): that export is not this module's job.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Final, final

from multiformats import CID, multihash, varint

from ..chain import InvalidCbor, dagcbor
from ..durable import fsync_dir, temp_name
from .errors import BlockHashMismatch, InvalidCar
from .unixfs import ISSUE_10_PARAMS, Block, DagParams, iter_file_blocks

__all__ = ["CarReader", "encode_header", "write_car", "write_file_car"]

CAR_VERSION: Final = 1
MAX_HEADER_BYTES: Final = 32 << 20  # go-car v2 DefaultMaxAllowedHeaderSize
MAX_SECTION_BYTES: Final = 8 << 20  # go-car v2 DefaultMaxAllowedSectionSize
_CIDV0_PREFIX: Final = b"\x12\x20"  # a bare sha2-256 multihash: a CIDv0
_CIDV0_BYTES: Final = 34
_MAX_VARINT_BYTES: Final = 9  # multiformats' unsigned varints stop at 2^63
_COPY_BUFFER: Final = 1 << 20


def encode_header(roots: Iterable[CID]) -> bytes:
    """The DAG-CBOR header ``{"roots": [...], "version": 1}`` (without its length prefix)."""
    return dagcbor.encode({"roots": list(roots), "version": CAR_VERSION})


def _section(payload: bytes) -> bytes:
    return varint.encode(len(payload)) + payload


def write_car(out: BinaryIO, roots: Iterable[CID], blocks: Iterable[Block]) -> int:
    """Write a CARv1 of ``blocks`` under ``roots`` to ``out``, one section at a time.

    Returns:
        the bytes written.
    """
    written = out.write(_section(encode_header(roots)))
    for block in blocks:
        written += _write_block(out, block)
    return written


def _write_block(out: BinaryIO, block: Block) -> int:
    cid = bytes(block.cid)
    prefix = varint.encode(len(cid) + len(block.data)) + cid
    return out.write(prefix) + out.write(block.data)


def write_file_car(src: Path, dst: Path, params: DagParams = ISSUE_10_PARAMS) -> CID:
    """Import the file at ``src``: build its UnixFS DAG and write the DAG's CARv1 to ``dst``.

    The CAR's one root is the data CID, which is returned.  ``dst`` appears whole or not at all.

    Raises:
        OSError: ``src`` cannot be read or ``dst``'s directory cannot be written.

    *Resources*: two temporary files beside ``dst``, removed on every exit.
    """
    sections, car = temp_name(dst), temp_name(dst)
    try:
        root: CID | None = None
        with open(src, "rb") as stream, open(sections, "wb") as body:
            for block in iter_file_blocks(stream, params):
                _write_block(body, block)
                root = block.cid
        assert root is not None  # the builder yields at least one leaf
        with open(car, "wb") as out, open(sections, "rb") as body:
            out.write(_section(encode_header([root])))
            shutil.copyfileobj(body, out, _COPY_BUFFER)
            out.flush()
            os.fsync(out.fileno())
        os.replace(car, dst)
    finally:
        for leftover in (sections, car):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    fsync_dir(dst.parent)
    return root


@final
class CarReader:
    """A CARv1 read from a stream: the header at construction, then verified blocks on iteration.

    Iterating reads the stream to its end once; each block is checked against its CID before it is
    yielded, so a consumer never sees corrupt data.  The caller owns and closes ``stream``.

    Raises (from the constructor and from iteration):
        InvalidCar: malformed header or section, a CID that does not parse, truncation, sizes over
            go-car's limits, or a multihash that cannot be computed to check a block.
        BlockHashMismatch: a block whose bytes do not hash to its CID.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        header = self._read_section("header", MAX_HEADER_BYTES)
        if header is None:
            raise InvalidCar("invalid car: the stream is empty, it has no header")
        self.roots: list[CID] = _decode_header(header)

    def __iter__(self) -> Iterator[Block]:
        while True:
            section = self._read_section("block section", MAX_SECTION_BYTES)
            if section is None:
                return
            block = _split_section(section)
            _verify(block)
            yield block

    def _read_section(self, what: str, limit: int) -> bytes | None:
        """One length-prefixed section, or None at a clean end of the stream."""
        length = _read_uvarint(self._stream, what)
        if length is None:
            return None
        if length > limit:
            raise InvalidCar(f"invalid car: {what} of {length} bytes is over the {limit}-byte limit")
        data = self._stream.read(length)
        if len(data) != length:
            raise InvalidCar(f"invalid car: truncated {what}: {len(data)} of {length} bytes")
        return data


def _read_uvarint(stream: BinaryIO, what: str) -> int | None:
    """An unsigned LEB128 varint, or None at a clean end of the stream before its first byte."""
    value = 0
    for index in range(_MAX_VARINT_BYTES):
        byte = stream.read(1)
        if not byte:
            if index == 0:
                return None
            raise InvalidCar(f"invalid car: truncated length of a {what}")
        value |= (byte[0] & 0x7F) << (7 * index)
        if byte[0] < 0x80:
            return value
    raise InvalidCar(f"invalid car: the length of a {what} is longer than {_MAX_VARINT_BYTES} bytes")


def _decode_header(data: bytes) -> list[CID]:
    try:
        header = dagcbor.decode(data)
    except InvalidCbor as exc:
        raise InvalidCar(f"invalid car header: {exc}") from exc
    if not isinstance(header, dict):
        raise InvalidCar("invalid car header: not a map")
    version = header.get("version")
    if version != CAR_VERSION:
        raise InvalidCar(f"invalid car header: version '{version!r}' is not supported, only carv1")
    roots = header.get("roots")
    if set(header) != {"roots", "version"} or not isinstance(roots, list):
        raise InvalidCar("invalid car header: expected exactly the keys 'roots' (a list) and 'version'")
    if not roots or not all(isinstance(root, CID) for root in roots):
        raise InvalidCar("invalid car header: roots must be a non-empty list of cids (go-car: empty car)")
    return [root for root in roots if isinstance(root, CID)]


def _split_section(section: bytes) -> Block:
    """The CID at the front of a section and the block bytes after it."""
    try:
        if section.startswith(_CIDV0_PREFIX):
            size = _CIDV0_BYTES
        else:
            version, n1, _ = varint.decode_raw(section)
            if version != 1:
                raise InvalidCar(f"invalid car: a block's cid has version '{version}'")
            _codec, n2, _ = varint.decode_raw(section[n1:])
            _hash, n3, _ = varint.decode_raw(section[n1 + n2 :])
            digest_size, n4, _ = varint.decode_raw(section[n1 + n2 + n3 :])
            size = n1 + n2 + n3 + n4 + digest_size
        if size > len(section):
            raise InvalidCar("invalid car: a block's cid runs past the end of its section")
        cid = CID.decode(section[:size])
    # multiformats raises ValueError/KeyError subclasses for bad varints, codecs and multihashes.
    except (ValueError, KeyError, IndexError) as exc:
        raise InvalidCar(f"invalid car: a block's cid does not parse: {exc}") from exc
    return Block(cid.set(base="base32") if cid.version == 1 else cid, section[size:])


def _verify(block: Block) -> None:
    code = block.cid.hashfun.code
    try:
        actual = multihash.digest(block.data, code)
    except (ValueError, KeyError, NotImplementedError) as exc:
        raise InvalidCar(
            f"cannot verify car block '{block.cid}': multihash '{block.cid.hashfun.name}' "
            "is not implemented here"
        ) from exc
    if bytes(actual) != bytes(block.cid.digest):
        raise BlockHashMismatch(
            f"car block '{block.cid}' does not match its cid: its {len(block.data)} bytes hash to "
            f"'{bytes(multihash.unwrap(actual)).hex()}'; the car is corrupt, import the file again"
        )
