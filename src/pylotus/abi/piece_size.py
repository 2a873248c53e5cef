"""Piece sizes before and after Fr32 padding (go-state-types ``abi/piece.go``).

Fr32 padding inserts two zero bits after every 254 bits of data, so 127 bytes of data fill 128 bytes
of sector (reference/proofs.md §1).  A piece therefore has two sizes: the *unpadded* size a client
hands to ``AddPiece`` (127·2^k bytes) and the *padded* size it occupies in the sector (128·2^k bytes,
a power of two).  The conversion is exact integer arithmetic: ``padded = u + u/127`` and
``unpadded = p - p/128``.

Representation: both are ``int`` subclasses, not dataclasses.  Lotus's types are ``uint64`` and travel
as bare JSON numbers (``"Size": 2048``); an ``int`` subclass serialises through :mod:`json` unchanged
and compares and sorts like the number it is.  As in Lotus, building one is a cast and does not check
the power-of-two rule: call :meth:`~UnpaddedPieceSize.validate` where input enters (the API, the CLI),
because intermediate values (a sum of free space, a sector's remaining room) are legitimately not
piece sizes.  Arithmetic on them gives a plain ``int``, deliberately: ``a + b`` of two pieces is not a
piece.  Only negative values are refused on construction, since a ``uint64`` cannot hold one.
"""

from __future__ import annotations

from typing import Final, final

from .errors import InvalidPieceSize, quoted

__all__ = ["PaddedPieceSize", "UnpaddedPieceSize"]

# Fr32: 127 bytes of data per 128 bytes of sector (reference/proofs.md §1).
_FR32_DATA_BYTES: Final = 127
_FR32_PADDED_BYTES: Final = 128


def _as_uint(what: str, value: int) -> int:
    """Refuse what a Go ``uint64`` could not hold, and non-integers (``int("12")`` would parse)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value < 0:
        raise InvalidPieceSize(f"{what} must not be negative, got {quoted(str(value))}")
    if value >= 2**64:
        raise InvalidPieceSize(f"{what} does not fit in 64 bits, got {quoted(str(value))}")
    return value


@final
class UnpaddedPieceSize(int):
    """Bytes of piece data before Fr32 padding; valid values are 127·2^k (127, 254, 508, …, 2032, …).

    ``UnpaddedPieceSize(2032).padded() == 2048``: the largest piece that fills a 2KiB sector.
    """

    __slots__ = ()

    def __new__(cls, value: int) -> UnpaddedPieceSize:
        return super().__new__(cls, _as_uint("unpadded piece size", value))

    def __repr__(self) -> str:
        return f"UnpaddedPieceSize({int(self)})"

    def padded(self) -> PaddedPieceSize:
        """The size after Fr32 padding, ``u + u/127`` (Lotus ``UnpaddedPieceSize.Padded``)."""
        return PaddedPieceSize(int(self) + int(self) // _FR32_DATA_BYTES)

    def validate(self) -> None:
        """Check the size is 127·2^k, as Lotus ``UnpaddedPieceSize.Validate``.

        Raises:
            InvalidPieceSize: ``minimum piece size is 127 bytes`` or ``unpadded piece size must be a
                power of 2 multiple of 127`` (Lotus's wording), followed by the value.
        """
        size = int(self)
        if size < _FR32_DATA_BYTES:
            raise InvalidPieceSize(f"minimum piece size is 127 bytes, got {quoted(str(size))}")
        # Lotus: s >> TrailingZeros64(s) != 127.
        odd_part = size >> ((size & -size).bit_length() - 1)
        if odd_part != _FR32_DATA_BYTES:
            raise InvalidPieceSize(
                f"unpadded piece size must be a power of 2 multiple of 127, got {quoted(str(size))}"
            )


@final
class PaddedPieceSize(int):
    """Bytes a piece occupies in the sector after Fr32 padding; valid values are powers of two ≥ 128.

    ``PaddedPieceSize(2048).unpadded() == 2032``.  A whole sector is one padded piece of the sector size.
    """

    __slots__ = ()

    def __new__(cls, value: int) -> PaddedPieceSize:
        return super().__new__(cls, _as_uint("padded piece size", value))

    def __repr__(self) -> str:
        return f"PaddedPieceSize({int(self)})"

    def unpadded(self) -> UnpaddedPieceSize:
        """The data that fits before padding, ``p - p/128`` (Lotus ``PaddedPieceSize.Unpadded``)."""
        return UnpaddedPieceSize(int(self) - int(self) // _FR32_PADDED_BYTES)

    def validate(self) -> None:
        """Check the size is a power of two of at least 128, as Lotus ``PaddedPieceSize.Validate``.

        Raises:
            InvalidPieceSize: ``minimum padded piece size is 128 bytes`` or ``padded piece size must be
                a power of 2`` (Lotus's wording), followed by the value.
        """
        size = int(self)
        if size < _FR32_PADDED_BYTES:
            raise InvalidPieceSize(f"minimum padded piece size is 128 bytes, got {quoted(str(size))}")
        if size & (size - 1):
            raise InvalidPieceSize(f"padded piece size must be a power of 2, got {quoted(str(size))}")
