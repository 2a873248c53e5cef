"""The errors of :mod:`pylotus.abi`: bad vocabulary values, refused at the edge.

Everything in ``abi`` is a pure function of its input, so every failure here is the caller's input
being wrong; none of these is :class:`~pylotus.errors.Temporary`.  The tree, httpx-style::

    PylotusError
    └── AbiError                    any refused abi value
        ├── InvalidSize             a size string go-units' RAMInBytes would refuse ("2XB")
        ├── UnsupportedSectorSize   a well-formed size that is not a Filecoin sector size (4KiB)
        ├── InvalidPieceSize        a piece size that is not 127·2^k (unpadded) / 2^k ≥ 128 (padded)
        ├── InvalidSectorId         a SectorID JSON object that is not {"Miner": n, "Number": n}
        ├── InvalidSectorName       a file name that is not s-t0<miner>-<number>
        ├── InvalidFileType         a sector file type name that is not unsealed/sealed/cache
        ├── InvalidProofType        an unknown RegisteredSealProof / RegisteredPoStProof id or name
        ├── InvalidAddress          a Filecoin address string or byte form go-address would refuse
        └── InvalidCid              a CID that does not parse, or is not the commitment it should be

Messages follow STYLE.md: one line, lower case, values quoted with :func:`quoted`, and Lotus's own
wording where Lotus has one (``parse sector id '…'``, ``minimum piece size is 127 bytes``).
"""

from __future__ import annotations

from typing import Final

from pylotus.errors import PylotusError

__all__ = [
    "AbiError",
    "InvalidAddress",
    "InvalidCid",
    "InvalidFileType",
    "InvalidPieceSize",
    "InvalidProofType",
    "InvalidSectorId",
    "InvalidSectorName",
    "InvalidSize",
    "UnsupportedSectorSize",
    "described",
    "quoted",
]

# An input echoed in a message is cut here, so a megabyte of garbage on the RPC port does not become a
# megabyte of log line.
_QUOTE_LIMIT: Final = 100


def quoted(value: str | bytes) -> str:
    """Return ``value`` in single quotes for an error message: one line, bounded length.

    Control characters are escaped (so the message stays on one line); bytes are shown as hex, as
    Lotus prints raw keys; anything longer than 100 characters is cut with ``...``.
    """
    text = value.hex() if isinstance(value, bytes) else repr(value)[1:-1]
    if len(text) > _QUOTE_LIMIT:
        text = text[: _QUOTE_LIMIT - 3] + "..."
    return f"'{text}'"


def described(value: object) -> str:
    """Return ``repr(value)`` for a message about a value of the wrong type, bounded like :func:`quoted`.

    ``'1'`` for the string, ``1.0`` for the float, ``None``: the repr already shows the type.
    """
    text = repr(value)
    if len(text) > _QUOTE_LIMIT:
        text = text[: _QUOTE_LIMIT - 3] + "..."
    return text


class AbiError(PylotusError):
    """Root of every error raised by :mod:`pylotus.abi`."""


class InvalidSize(AbiError):
    """A human size string that does not parse (go-units ``RAMInBytes``: ``invalid size: '2XB'``)."""


class UnsupportedSectorSize(AbiError):
    """A size that parses but is not one of the five Filecoin sector sizes.

    Lotus: ``unsupported sector size for miner`` (``chain/actors/builtin/miner/utils.go``).
    """


class InvalidPieceSize(AbiError):
    """A piece size that breaks go-state-types ``abi/piece.go`` ``Validate()``."""


class InvalidSectorId(AbiError):
    """A ``SectorID`` wire object that is not exactly ``{"Miner": uint, "Number": uint}``."""


class InvalidSectorName(AbiError):
    """A sector file name that is not ``s-t0<miner>-<number>`` (Lotus: ``parse sector id …``)."""


class InvalidFileType(AbiError):
    """A sector file type name other than ``unsealed``, ``sealed``, ``cache``.

    Lotus's ``/remote`` handler answers ``unknown sector file type`` for the same input.
    """


class InvalidProofType(AbiError):
    """A registered proof id or name that go-state-types ``abi/sector.go`` does not define."""


class InvalidAddress(AbiError):
    """A Filecoin address that go-address would refuse: ``invalid address 't1…': bad checksum``."""


class InvalidCid(AbiError):
    """A CID that does not parse, or whose codec/multihash is not the commitment asked for."""
