"""CommP: the piece commitment of an arbitrary payload, streamed in constant memory.

Counterpart: go-fil-commp-hashhash ``commp.go`` (``Calc``: ``Write``, ``Digest``), whose rules Lotus's
``ClientCalcCommP`` and boost follow, and reference/proofs.md §1.2, §2.1 and §2.5:

1. the payload (65 bytes up to 64GiB·127/128) is zero-filled to a multiple of 127 bytes;
2. each 127-byte chunk is Fr32-padded to 128 bytes (:mod:`.fr32`), whose 32-byte words are leaves;
3. the sha256-trunc254 tree (:mod:`.tree`) is completed with zero subtrees up to the next power of
   two of at least 128 padded bytes, which is the piece's padded size; its root is CommP.

:class:`CommPHasher` does this in batches of 256 chunks (32 KiB padded): each batch is padded and
reduced to one subtree root of level 10 with the fast level hashing of :mod:`.tree`, and the roots
join on a :class:`~.tree.SubtreeStack`.  The last, partial batch is zero-filled to a power-of-two
number of chunks, which keeps the stack left-packed and changes nothing: zero data are zero leaves.
:func:`commp_reference` builds the whole tree in memory the obvious way, for tests.  The parallel
file path is :mod:`.commp_file`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Final

from multiformats import CID

from pylotus.abi import piece_commitment_to_cid

from . import fr32
from .errors import PayloadTooLarge, PayloadTooSmall
from .piece_cid import piece_cid_v2
from .tree import NODE_SIZE, StackEntry, SubtreeStack, subtree_root, subtree_root_reference
from .zerocomm import ZERO_COMMITMENTS

__all__ = [
    "BATCH_PAYLOAD",
    "MAX_PIECE_PAYLOAD",
    "MIN_PIECE_PAYLOAD",
    "READ_SIZE",
    "CommPHasher",
    "CommPResult",
    "ProgressCallback",
    "check_payload_size",
    "commp_from_bytes",
    "commp_from_stream",
    "commp_reference",
]

MIN_PIECE_PAYLOAD: Final = 65
"""Smallest payload with a CommP (go-fil-commp-hashhash ``MinPiecePayload``)."""
MAX_PIECE_PAYLOAD: Final = (1 << 36) // 128 * 127
"""Largest payload: a 64GiB padded piece (go-fil-commp-hashhash ``MaxPiecePayload``)."""

# A batch is padded and hashed to one subtree root in one go; 256 chunks (32 KiB padded) keep every
# level of it in the CPU's L2 cache, which measured faster than 1 MiB batches.
_BATCH_CHUNKS_LOG2: Final = 8
BATCH_PAYLOAD: Final = fr32.FR32_CHUNK_UNPADDED << _BATCH_CHUNKS_LOG2
"""Payload bytes hashed per batch: 256 Fr32 chunks, 32 KiB padded, one subtree of level 10."""
_CHUNK_LEVEL: Final = 2  # a 128-byte chunk holds 4 leaves
_BATCH_LEVEL: Final = _BATCH_CHUNKS_LOG2 + _CHUNK_LEVEL
READ_SIZE: Final = BATCH_PAYLOAD * 32
"""Bytes per read of the stream and file paths: 1 MiB padded, 32 batches."""

ProgressCallback = Callable[[int], None]
"""Called with the number of payload bytes consumed so far."""


@dataclass(frozen=True)
class CommPResult:
    """A piece commitment and the sizes it was computed over.

    Attributes:
        commitment: the raw 32-byte CommP.
        padded_size: the piece's padded size, a power of two ≥ 128 (Lotus ``PieceInfo.Size``).
        payload_size: the bytes of data hashed, before zero fill and Fr32.
    """

    commitment: bytes
    padded_size: int
    payload_size: int

    @property
    def cid(self) -> CID:
        """The v1 piece CID, ``baga6ea4sea…`` (go-fil-commcid ``PieceCommitmentV1ToCID``)."""
        return piece_commitment_to_cid(self.commitment)

    def piece_cid_v2(self) -> CID:
        """The FRC-0069 piece CID, ``bafkzcib…``, which also carries the payload size.

        Raises:
            PayloadTooSmall: the payload is under 127 bytes (v2 is not defined there).
        """
        return piece_cid_v2(self.commitment, self.padded_size, self.payload_size)


def check_payload_size(size: int) -> None:
    """Refuse a payload size CommP is not defined for.

    Raises:
        PayloadTooSmall: under 65 bytes (go-fil-commp-hashhash: ``commP is not defined for inputs
            shorter than 65 bytes``).
        PayloadTooLarge: over 64GiB·127/128 bytes.
    """
    if size < MIN_PIECE_PAYLOAD:
        raise PayloadTooSmall(
            f"commp is not defined for payloads shorter than {MIN_PIECE_PAYLOAD} bytes, got '{size}' bytes"
        )
    if size > MAX_PIECE_PAYLOAD:
        raise PayloadTooLarge(
            f"commp payload of '{size}' bytes exceeds the maximum of "
            f"'{MAX_PIECE_PAYLOAD}' bytes (64GiB padded)"
        )


def _chunks_root(payload: bytes | bytearray | memoryview) -> StackEntry:
    """The subtree over ``payload`` zero-filled to a power-of-two number of 127-byte chunks."""
    chunks = max(1, -(-len(payload) // fr32.FR32_CHUNK_UNPADDED))
    log2 = (chunks - 1).bit_length()
    filled = bytes(payload) + bytes((fr32.FR32_CHUNK_UNPADDED << log2) - len(payload))
    return StackEntry(log2 + _CHUNK_LEVEL, subtree_root(fr32.pad(filled)))


class CommPHasher:
    """An incremental CommP calculator: :meth:`write` the payload, then :meth:`digest` once.

    Memory: one batch (32 KiB) of buffered payload and one stack entry per tree level.
    Not thread-safe; one hasher per payload.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._stack = SubtreeStack(ZERO_COMMITMENTS)
        self._payload = 0

    @property
    def payload_size(self) -> int:
        """Bytes written so far."""
        return self._payload

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Add ``data`` to the payload.

        Raises:
            PayloadTooLarge: the payload now exceeds 64GiB·127/128 bytes.
        """
        self._payload += len(data)
        if self._payload > MAX_PIECE_PAYLOAD:
            check_payload_size(self._payload)
        view = memoryview(data).cast("B")
        if self._buffer:
            taken = BATCH_PAYLOAD - len(self._buffer)
            self._buffer += view[:taken]
            view = view[taken:]
            if len(self._buffer) < BATCH_PAYLOAD:
                return
            self._push_batch(self._buffer)
            self._buffer = bytearray()
        while len(view) >= BATCH_PAYLOAD:
            self._push_batch(view[:BATCH_PAYLOAD])
            view = view[BATCH_PAYLOAD:]
        self._buffer += view

    def _push_batch(self, batch: bytes | bytearray | memoryview) -> None:
        self._stack.push(_BATCH_LEVEL, subtree_root(fr32.pad(batch)))

    def subtree_entries(self) -> tuple[StackEntry, ...]:
        """End the payload and return the subtree roots it reduces to, without zero completion.

        For the parallel path: a segment of ``127·2^k`` bytes yields one entry; the caller pushes
        each segment's entries on one stack.  The hasher is spent afterwards.
        """
        if self._buffer:
            tail = _chunks_root(self._buffer)
            self._stack.push(tail.level, tail.root)
            self._buffer = bytearray()
        return self._stack.entries

    def digest(self) -> CommPResult:
        """End the payload and return its CommP.  The hasher is spent afterwards.

        Raises:
            PayloadTooSmall: fewer than 65 bytes were written.
        """
        check_payload_size(self._payload)
        self.subtree_entries()
        root = self._stack.finish()
        return CommPResult(root.root, NODE_SIZE << root.level, self._payload)


def commp_from_bytes(data: bytes | bytearray | memoryview) -> CommPResult:
    """The CommP of ``data`` (65 bytes to 64GiB·127/128).

    Raises:
        PayloadTooSmall, PayloadTooLarge: the payload size is outside those bounds.
    """
    check_payload_size(len(data))
    hasher = CommPHasher()
    hasher.write(data)
    return hasher.digest()


def commp_from_stream(stream: BinaryIO, *, progress: ProgressCallback | None = None) -> CommPResult:
    """The CommP of everything ``stream`` yields until EOF, in one process and constant memory.

    Args:
        stream: a binary file object; read in blocks of :data:`READ_SIZE`, never closed or rewound.
        progress: called after each read with the payload bytes consumed so far.

    Raises:
        PayloadTooSmall, PayloadTooLarge: the payload size is outside 65 … 64GiB·127/128 bytes.
    """
    hasher = CommPHasher()
    while chunk := stream.read(READ_SIZE):
        hasher.write(chunk)
        if progress is not None:
            progress(hasher.payload_size)
    return hasher.digest()


def commp_reference(data: bytes) -> CommPResult:
    """CommP the obvious way, for tests: pad everything, build every level in memory.

    Uses the bit-by-bit :func:`~.fr32.pad_reference`, so keep inputs to a few KiB.
    """
    check_payload_size(len(data))
    filled = data + bytes(-len(data) % fr32.FR32_CHUNK_UNPADDED)
    padded = fr32.pad_reference(filled)
    size = 128
    while size < len(padded):
        size *= 2
    root = subtree_root_reference(padded + bytes(size - len(padded)))
    return CommPResult(root, size, len(data))
