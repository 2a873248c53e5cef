"""Fr32 padding over binary file objects, both directions, in constant memory.

Counterpart: rust-fil-proofs ``fr32/src/reader.rs`` (``Fr32Reader``) and Lotus
``storage/sealer/fr32/readers.go`` (``NewPadReader``, ``NewUnpadReader``), reference/proofs.md §1.1.
Chunks never share a padded word (127 bytes are exactly four 254-bit fields), so a stream is padded
block by block with :func:`.fr32.pad`; blocks are a whole number of chunks, ~1 MiB, and nothing
else is held.

Readers wrap a source and are read from (what AddPiece does with a piece); writers wrap a
destination and are written to (what an unseal does with the bytes it recovers).  Both refuse a
stream that does not end on a chunk boundary, the way sealing never produces one: pieces are
``127·2^k`` bytes.  Neither closes the object it wraps: its owner does.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import BinaryIO, Final

from . import fr32
from .errors import InvalidFr32Length

__all__ = ["Fr32PadReader", "Fr32PadWriter", "Fr32UnpadReader", "Fr32UnpadWriter", "read_full"]

_BLOCK_CHUNKS: Final = 8192  # ~1 MiB per block

_Transform = Callable[[bytes], bytes]


class _Fr32Reader(io.RawIOBase):
    """Reads ``source`` a block of whole chunks at a time and hands out the transformed bytes."""

    def __init__(self, source: BinaryIO, in_chunk: int, transform: _Transform, what: str) -> None:
        super().__init__()
        self._source = source
        self._block = in_chunk * _BLOCK_CHUNKS
        self._in_chunk = in_chunk
        self._transform = transform
        self._what = what
        self._pending = b""
        self._offset = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]  # typeshed: Buffer
        if self._offset == len(self._pending):
            self._pending = self._next_block()
            self._offset = 0
        n = min(len(buffer), len(self._pending) - self._offset)
        buffer[:n] = self._pending[self._offset : self._offset + n]
        self._offset += n
        return n

    def _next_block(self) -> bytes:
        data = read_full(self._source, self._block)
        if len(data) % self._in_chunk:
            raise InvalidFr32Length(
                f"{self._what} ended '{len(data) % self._in_chunk}' bytes into a "
                f"{self._in_chunk}-byte chunk; fr32 streams are whole chunks"
            )
        return self._transform(data) if data else b""


def read_full(source: BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes, fewer only at EOF (raw streams may return short reads)."""
    parts = []
    while size:
        part = source.read(size)
        if not part:
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


class Fr32PadReader(_Fr32Reader):
    """Read the Fr32-padded form of ``source``: 128 bytes out for every 127 in.

    Raises (from ``read``): InvalidFr32Length if ``source`` ends inside a 127-byte chunk.
    """

    def __init__(self, source: BinaryIO) -> None:
        super().__init__(source, fr32.FR32_CHUNK_UNPADDED, fr32.pad, "fr32 input")


class Fr32UnpadReader(_Fr32Reader):
    """Read the data inside Fr32-padded ``source``: 127 bytes out for every 128 in.

    Raises (from ``read``): InvalidFr32Length if ``source`` ends inside a 128-byte chunk.
    """

    def __init__(self, source: BinaryIO) -> None:
        super().__init__(source, fr32.FR32_CHUNK_PADDED, fr32.unpad, "fr32 padded input")


class _Fr32Writer(io.RawIOBase):
    """Buffers up to one block, writes the transform of every whole block to ``dest``."""

    def __init__(self, dest: BinaryIO, in_chunk: int, transform: _Transform, what: str) -> None:
        super().__init__()
        self._dest = dest
        self._block = in_chunk * _BLOCK_CHUNKS
        self._in_chunk = in_chunk
        self._transform = transform
        self._what = what
        self._buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]  # typeshed: Buffer
        if self.closed:
            raise ValueError("write to a closed fr32 writer")
        self._buffer += data
        whole = len(self._buffer) - len(self._buffer) % self._block
        if whole:
            self._dest.write(self._transform(bytes(self._buffer[:whole])))
            del self._buffer[:whole]
        return len(data)

    def close(self) -> None:
        """Write what is buffered; the destination stays open.

        Raises:
            InvalidFr32Length: what was written does not end on a chunk boundary.
        """
        if self.closed:
            return
        tail, self._buffer = bytes(self._buffer), bytearray()
        super().close()
        if len(tail) % self._in_chunk:
            raise InvalidFr32Length(
                f"{self._what} ended '{len(tail) % self._in_chunk}' bytes into a "
                f"{self._in_chunk}-byte chunk; fr32 streams are whole chunks"
            )
        if tail:
            self._dest.write(self._transform(tail))


class Fr32PadWriter(_Fr32Writer):
    """Write data; its Fr32-padded form goes to ``dest``.  Call :meth:`close` to flush the tail."""

    def __init__(self, dest: BinaryIO) -> None:
        super().__init__(dest, fr32.FR32_CHUNK_UNPADDED, fr32.pad, "fr32 input")


class Fr32UnpadWriter(_Fr32Writer):
    """Write Fr32-padded bytes; the data inside goes to ``dest``.  Call :meth:`close` to flush."""

    def __init__(self, dest: BinaryIO) -> None:
        super().__init__(dest, fr32.FR32_CHUNK_PADDED, fr32.unpad, "fr32 padded input")
