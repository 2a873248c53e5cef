"""The market package's errors: one root, subclasses by cause.

::

    PylotusError
     └── MarketError                 anything the client or provider side of a deal refuses
          ├── InvalidDagParams       a chunk size, link width or hash the importer cannot use
          └── InvalidCar             a CAR that is malformed: header, varint, truncated section, bad CID
               └── BlockHashMismatch a block whose bytes do not hash to its CID (corrupt data)

Messages follow Lotus: one line, lower-case, values quoted, a hint of what to do.
"""

from __future__ import annotations

from ..errors import PylotusError

__all__ = ["BlockHashMismatch", "InvalidCar", "InvalidDagParams", "MarketError"]


class MarketError(PylotusError):
    """Root of the market package's errors."""


class InvalidDagParams(MarketError, ValueError):
    """UnixFS import parameters that cannot build a DAG (a caller's mistake, refused up front)."""


class InvalidCar(MarketError):
    """A CAR stream that does not follow the CARv1 format."""


class BlockHashMismatch(InvalidCar):
    """A CAR block whose bytes hash to something other than the digest in its CID."""
