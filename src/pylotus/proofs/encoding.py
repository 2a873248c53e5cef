"""SDR encoding and decoding: ``replica = data + key`` and ``data = replica − key`` in Fr, node by node.

Counterpart: rust-fil-proofs ``storage-proofs-porep/src/encode.rs`` (``encode``, ``decode``), applied
by ``proof.rs`` ``prepare_tree_r_data_cpu`` with the last layer's labels as the key;
reference/proofs.md §3.7.  Data nodes are Fr32-padded sector bytes, so each is below 2^254 < r; a
buffer with a node at or above 2^254 was never Fr32-padded and is refused.
"""

from __future__ import annotations

from typing import Final

from .errors import SectorDataError
from .field import FR_MODULUS, fr_add, fr_sub

__all__ = ["check_fr32_nodes", "decode_nodes", "encode_nodes", "encode_nodes_reference"]

NODE: Final = 32
_TOP_BITS: Final = 0xC0


def check_fr32_nodes(data: bytes | bytearray | memoryview, what: str) -> None:
    """Refuse data whose nodes are not Fr32-padded (a top-two-bits set in some node's byte 31).

    Raises:
        SectorDataError: naming the first bad node.
    """
    tops = bytes(data[NODE - 1 :: NODE])
    if any(b & _TOP_BITS for b in tops):
        node = next(i for i, b in enumerate(tops) if b & _TOP_BITS)
        raise SectorDataError(f"{what} node '{node}' is not Fr32-padded data (top bits set)")


def encode_nodes(data: bytes | bytearray | memoryview, key: bytes | bytearray | memoryview) -> bytearray:
    """``data[v] + key[v] mod r`` for every 32-byte node."""
    if len(data) != len(key) or len(data) % NODE:
        raise ValueError(f"data ({len(data)} bytes) and key ({len(key)} bytes) must be equal runs of nodes")
    out = bytearray(len(data))
    r = FR_MODULUS
    from_bytes = int.from_bytes
    for offset in range(0, len(data), NODE):
        end = offset + NODE
        value = from_bytes(data[offset:end], "little") + from_bytes(key[offset:end], "little")
        if value >= r:
            value -= r
        out[offset:end] = value.to_bytes(NODE, "little")
    return out


def encode_nodes_reference(data: bytes, key: bytes) -> bytes:
    """:func:`encode_nodes` through :func:`.field.fr_add`, for tests."""
    return b"".join(
        fr_add(
            int.from_bytes(data[o : o + NODE], "little"), int.from_bytes(key[o : o + NODE], "little")
        ).to_bytes(NODE, "little")
        for o in range(0, len(data), NODE)
    )


def decode_nodes(replica: bytes | bytearray | memoryview, key: bytes | bytearray | memoryview) -> bytearray:
    """``replica[v] − key[v] mod r``: the data back (unsealing)."""
    if len(replica) != len(key) or len(replica) % NODE:
        raise ValueError("replica and key must be equal runs of 32-byte nodes")
    out = bytearray(len(replica))
    from_bytes = int.from_bytes
    for offset in range(0, len(replica), NODE):
        end = offset + NODE
        value = fr_sub(from_bytes(replica[offset:end], "little"), from_bytes(key[offset:end], "little"))
        out[offset:end] = value.to_bytes(NODE, "little")
    return out
