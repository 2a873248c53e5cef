"""Storage deals, client and provider side (Lotus ``markets/``, go-fil-markets, boost).

So far the client's data import (issue #10): a file's UnixFS DAG (:mod:`.unixfs`) and its CARv1
(:mod:`.car`).  Import from here, not from the modules.
"""

from __future__ import annotations

from .car import CarReader as CarReader
from .car import encode_header as encode_header
from .car import write_car as write_car
from .car import write_file_car as write_file_car
from .errors import BlockHashMismatch as BlockHashMismatch
from .errors import InvalidCar as InvalidCar
from .errors import InvalidDagParams as InvalidDagParams
from .errors import MarketError as MarketError
from .unixfs import ISSUE_10_PARAMS as ISSUE_10_PARAMS
from .unixfs import KUBO_V1_PARAMS as KUBO_V1_PARAMS
from .unixfs import LOTUS_IMPORT_PARAMS as LOTUS_IMPORT_PARAMS
from .unixfs import Block as Block
from .unixfs import DagParams as DagParams
from .unixfs import file_data_cid as file_data_cid
from .unixfs import iter_file_blocks as iter_file_blocks

__all__ = [
    "BlockHashMismatch",
    "Block",
    "CarReader",
    "DagParams",
    "ISSUE_10_PARAMS",
    "InvalidCar",
    "InvalidDagParams",
    "KUBO_V1_PARAMS",
    "LOTUS_IMPORT_PARAMS",
    "MarketError",
    "encode_header",
    "file_data_cid",
    "iter_file_blocks",
    "write_car",
    "write_file_car",
]
