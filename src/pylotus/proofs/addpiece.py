"""AddPiece: write a piece, Fr32-padded and aligned, into an unsealed sector file; return its PieceInfo.

Counterpart: Lotus ``storage/sealer/ffiwrapper/sealer_cgo.go`` ``AddPiece`` over rust-fil-proofs
``add_piece`` / ``write_and_preprocess`` (``filecoin-proofs/src/api/mod.rs``); layout per
reference/proofs.md §1.3 (:mod:`.alignment`), commitment per §2 (:mod:`.commp`, :mod:`.zerocomm`).

The unsealed file holds the padded sector: existing pieces, then for the new piece its left
alignment filler (zeros) and its Fr32-padded bytes.  The PieceInfo returned is computed from the
bytes actually written, as rust does.  A pledge (``source=None``) is an all-zero piece: its CommP
comes from the zero table and its bytes are a sparse hole (or zeros written in small blocks where
the file already has content), so no piece-sized buffer exists at any point.

House rule, bad input changes nothing: sizes are checked before the file is opened; a source that
runs short is only discovered while writing, so the region about to be written is first saved
(nothing to save, the common case, when it lies past the end of the file) and restored on any
failure, and the file is truncated back to its old length.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import BinaryIO, Final

from pylotus.abi import PaddedPieceSize, UnpaddedPieceSize, piece_commitment_to_cid

from . import fr32
from .alignment import get_piece_alignment, sum_piece_bytes_with_alignment
from .commd import PieceInfo
from .commp import CommPHasher
from .errors import PieceDoesNotFit, ShortRead
from .fr32_stream import read_full
from .zerocomm import zero_piece_commitment

__all__ = ["add_piece"]

_READ_BLOCK: Final = fr32.FR32_CHUNK_UNPADDED * 8192  # ~1 MiB of piece data per read
_ZERO_BLOCK: Final = 256 << 10  # zeros written per call where a hole cannot be left


def _padded_offset(unpadded: int) -> int:
    return unpadded // fr32.FR32_CHUNK_UNPADDED * fr32.FR32_CHUNK_PADDED


def add_piece(
    unsealed_path: str | os.PathLike[str],
    existing_piece_sizes: Sequence[UnpaddedPieceSize],
    piece_size: UnpaddedPieceSize,
    source: BinaryIO | None,
    sector_size: int,
) -> PieceInfo:
    """Write ``piece_size`` bytes of ``source`` after ``existing_piece_sizes`` in the unsealed file.

    Args:
        unsealed_path: the padded unsealed sector file; created if missing.
        existing_piece_sizes: unpadded sizes of the pieces already in the file, in order.
        piece_size: unpadded size of the new piece, ``127·2^k``; exactly this many bytes are read.
        source: the piece data, or ``None`` for an all-zero (pledge) piece; a pledge filling an
            empty sector has ``piece_size = sector_size·127/128``.
        sector_size: the sector's (padded) size in bytes.

    Returns:
        The piece's padded size and piece CID.

    Raises:
        InvalidPieceSize: ``piece_size`` is not ``127·2^k`` (from :mod:`pylotus.abi`).
        PieceDoesNotFit: existing pieces, alignment and the piece exceed the sector; file untouched.
        ShortRead: ``source`` ended before ``piece_size`` bytes; the file is left as it was.
        OSError: the file could not be written; the file is restored where possible.
    """
    piece = UnpaddedPieceSize(piece_size)
    piece.validate()
    written = sum_piece_bytes_with_alignment(int(size) for size in existing_piece_sizes)
    alignment = get_piece_alignment(written, piece)
    capacity = sector_size - sector_size // fr32.FR32_CHUNK_PADDED
    if written + alignment.total(piece) > capacity:
        raise PieceDoesNotFit(
            f"piece of '{int(piece)}' bytes does not fit after '{written}' bytes of existing pieces "
            f"and '{int(alignment.left_bytes)}' bytes of alignment: the sector holds "
            f"'{capacity}' unpadded bytes ('{sector_size}' padded)"
        )
    filler_start = _padded_offset(written)
    piece_start = _padded_offset(written + int(alignment.left_bytes))
    padded = piece.padded()
    with _open_with_undo(unsealed_path, filler_start, piece_start + padded) as f:
        _write_zeros(f, filler_start, piece_start)
        if source is None:
            _write_zeros(f, piece_start, piece_start + padded)
            commitment = zero_piece_commitment(padded)
        else:
            commitment = _write_padded(f, piece_start, piece, source)
    return PieceInfo(PaddedPieceSize(padded), piece_commitment_to_cid(commitment))


def _write_padded(f: BinaryIO, offset: int, piece: UnpaddedPieceSize, source: BinaryIO) -> bytes:
    """Copy ``piece`` bytes of ``source`` Fr32-padded to ``offset``; return their CommP."""
    hasher = CommPHasher()
    f.seek(offset)
    remaining = int(piece)
    while remaining:
        # Blocks are whole chunks (the piece is 127·2^k, the block 127·8192), so each pads alone.
        block = read_full(source, min(_READ_BLOCK, remaining))
        if len(block) < min(_READ_BLOCK, remaining):
            raise ShortRead(
                f"piece source ended after '{int(piece) - remaining + len(block)}' of '{int(piece)}' "
                "bytes; the unsealed file was left unchanged"
            )
        f.write(fr32.pad(block))
        hasher.write(block)
        remaining -= len(block)
    return hasher.digest().commitment


def _write_zeros(f: BinaryIO, start: int, end: int) -> None:
    """Make ``[start, end)`` read as zeros: a hole past the end of the file, written zeros before it."""
    file_end = f.seek(0, os.SEEK_END)
    if start >= file_end:
        if end > file_end:
            f.truncate(end)
        return
    f.seek(start)
    zeros = bytes(min(_ZERO_BLOCK, end - start))
    position = start
    while position < end:
        step = min(len(zeros), end - position)
        f.write(zeros[:step] if step < len(zeros) else zeros)
        position += step


@contextmanager
def _open_with_undo(path: str | os.PathLike[str], start: int, end: int) -> Iterator[BinaryIO]:
    """Open ``path`` for writing ``[start, end)``; on any error put the file back as it was."""
    existed = os.path.exists(path)
    f: BinaryIO = open(path, "r+b" if existed else "w+b")  # closed below, on every path
    try:
        old_size = f.seek(0, os.SEEK_END)
        with _saved_region(f, start, min(end, old_size)) as restore:
            try:
                yield f
                f.flush()
                os.fsync(f.fileno())
            except BaseException:
                restore()
                f.truncate(old_size)
                f.flush()
                raise
    except BaseException:
        f.close()
        if not existed:
            os.unlink(path)
        raise
    f.close()


@contextmanager
def _saved_region(f: BinaryIO, start: int, end: int) -> Iterator[Callable[[], None]]:
    """Copy ``[start, end)`` of ``f`` aside (nothing if empty) and yield a function restoring it."""
    if end <= start:
        yield lambda: None
        return
    with tempfile.TemporaryFile() as backup:
        f.seek(start)
        _copy_range(f, backup, end - start)

        def restore() -> None:
            backup.seek(0)
            f.seek(start)
            _copy_range(backup, f, end - start)

        yield restore


def _copy_range(src: BinaryIO, dst: BinaryIO, length: int) -> None:
    while length:
        block = src.read(min(_READ_BLOCK, length))
        if not block:
            break
        dst.write(block)
        length -= len(block)
