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
        ├── ShortRead               a piece source that ended before the announced size
        ├── InvalidFieldElement     32 bytes that are not a canonical BLS12-381 scalar (≥ r)
        ├── UnsupportedProof        a proof type these kernels do not seal or prove
        ├── InvalidSealInput        a sealing call whose inputs disagree (ticket, CommD, PC1 output…)
        ├── SectorDataError         sector files missing, short or inconsistent with their commitments
        ├── ParentCacheError        a parent cache that cannot be written or read
        ├── InvalidProof            proof bytes that do not verify; the message says which check failed
        └── KernelProcessDied       a worker process of a parallel kernel died (Temporary: run it again)

Messages follow STYLE.md: one line, lower case, values quoted, what to do when there is something.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from pylotus.errors import PylotusError, Temporary

_Info = TypeVar("_Info")

__all__ = [
    "InvalidFieldElement",
    "InvalidFr32Length",
    "InvalidPieces",
    "InvalidProof",
    "InvalidSealInput",
    "KernelProcessDied",
    "ParentCacheError",
    "PayloadTooLarge",
    "PayloadTooSmall",
    "PieceDoesNotFit",
    "ProofsError",
    "SectorDataError",
    "ShortRead",
    "UnsupportedProof",
    "holds",
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


class InvalidFieldElement(ProofsError):
    """32 bytes that are not a canonical field element: neptune refuses values ≥ r, never reduces them."""


class UnsupportedProof(ProofsError):
    """A registered proof type the kernels here do not implement (synthetic and NI-PoRep, for now)."""


class InvalidSealInput(ProofsError):
    """A sealing call whose arguments contradict each other or the sector (wrong size, CommD mismatch)."""


class SectorDataError(ProofsError):
    """A sector's files are missing, of the wrong size, or do not match the commitments recorded for them."""


class ParentCacheError(ProofsError):
    """The SDR parent cache could not be generated, written or read back."""


class InvalidProof(ProofsError):
    """A proof that fails verification; the message names the check (challenge, path, label, encoding)."""


class KernelProcessDied(ProofsError, Temporary):
    """A worker process of a parallel kernel died (killed, out of memory); nothing was committed."""


def holds(check: Callable[[_Info], None], info: _Info, what: str, log: logging.Logger) -> bool:
    """Lotus's boolean verifiers over our raising ones: ``True`` if ``check(info)`` passes.

    The reason for a ``False`` is logged at debug level as ``<what> refused: <reason>``.
    """
    try:
        check(info)
    except ProofsError as exc:
        log.debug("%s refused: %s", what, exc)
        return False
    return True
