"""The errors of :mod:`pylotus.proofs`: inputs a proof kernel refuses, and data that ran short.

The kernels are pure functions of their input (plus, for ``add_piece``, one file), so every failure
here names what was wrong with the input; none is :class:`~pylotus.errors.Temporary`.  The tree,
httpx-style::

    PylotusError
    └── ProofsError                 any refused proofs input
        ├── InvalidFr32Length       Fr32 data that is not whole 127-byte (or 128-byte) chunks
        ├── PayloadTooSmall         a CommP payload under 65 bytes (go-fil-commp-hashhash)
        ├── PayloadTooLarge         a CommP payload over 64GiB·127/128 bytes
        ├── InvalidPieces           a piece list CommD cannot be built from (sizes, CIDs, sum)
        ├── PieceDoesNotFit         AddPiece: existing pieces + alignment + piece > sector
        └── ShortRead               a piece source that ended before the announced size

Messages follow STYLE.md: one line, lower case, values quoted, what to do when there is something.
"""

from __future__ import annotations

from pylotus.errors import PylotusError

__all__ = [
    "InvalidFr32Length",
    "InvalidPieces",
    "PayloadTooLarge",
    "PayloadTooSmall",
    "PieceDoesNotFit",
    "ProofsError",
    "ShortRead",
]


class ProofsError(PylotusError):
    """Root of every error raised by :mod:`pylotus.proofs`."""


class InvalidFr32Length(ProofsError):
    """Fr32 works on whole chunks: 127 bytes of data, 128 bytes padded (reference/proofs.md §1.1)."""


class PayloadTooSmall(ProofsError):
    """CommP is not defined for fewer than 65 bytes (go-fil-commp-hashhash ``MinPiecePayload``)."""


class PayloadTooLarge(ProofsError):
    """CommP trees stop at 64GiB padded (go-fil-commp-hashhash ``MaxPiecePayload``)."""


class InvalidPieces(ProofsError):
    """A piece list that does not describe a sector: bad size, bad CID, or more than the sector holds."""


class PieceDoesNotFit(ProofsError):
    """AddPiece refused: the aligned piece would end past the sector's unpadded capacity."""


class ShortRead(ProofsError):
    """A piece source delivered fewer bytes than the piece size it was announced with."""
