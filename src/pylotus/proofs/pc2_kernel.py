"""PreCommit2's parallel kernel: columns, tree_c, encoding and tree_r_last over one aligned node range.

Counterpart: rust-fil-proofs ``storage-proofs-porep/src/stacked/vanilla/proof.rs``
(``generate_tree_c_cpu``, ``prepare_tree_r_data_cpu``, ``generate_tree_r_last``); reference/proofs.md
§3.7.  A *chunk* is ``8^k`` consecutive leaves of one base tree, starting at a multiple of ``8^k``: it
is a whole subtree of both tree_c and tree_r_last, so a worker can hash it to its root without
seeing any other chunk.

Each worker opens the files itself and writes its parts in place with ``os.pwrite`` (disjoint
ranges, no locking needed): the chunk's replica nodes into the replica file, and every level of
its two subtrees into the two preallocated tree files, at the offsets of the on-disk layout of
:mod:`.merkle`.  It returns only the two subtree roots; the parent hashes the levels above them.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from ..durable import open_fd, pwrite_all
from .encoding import check_fr32_nodes, encode_nodes
from .merkle import NODE, TreeLayout
from .poseidon import hash_columns, hash_groups

__all__ = ["Pc2Chunk", "run_chunk", "write_subtree"]

ARITY = 8


@dataclass(frozen=True)
class Pc2Chunk:
    """One unit of PreCommit2 work (picklable: it crosses to a worker process)."""

    layer_paths: tuple[str, ...]
    data_path: str
    replica_path: str
    tree_c_path: str
    tree_r_path: str
    base_leaves: int  # leaves of the base tree this chunk belongs to
    node_start: int  # first node of the chunk in the sector
    start_in_base: int  # first leaf of the chunk within its base tree
    leaves: int  # 8^k


def _pread_exact(path: str, length: int, offset: int) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        data = os.pread(fd, length, offset)
    finally:
        os.close(fd)
    if len(data) != length:
        raise EOFError(f"'{path}' ends before byte {offset + length}")
    return data


def write_subtree(
    fd: int, layout: TreeLayout, start: int, nodes: bytes | bytearray, height: int = 0
) -> bytes:
    """Write ``nodes`` of level ``height`` (from node ``start`` of that level) and every level above them.

    Returns the subtree root.  ``len(nodes)/32`` must be a power of the arity dividing ``start``.
    """
    level: bytes | bytearray = nodes
    position = start
    while True:
        pwrite_all(fd, level, layout.level_offset(height) + position * NODE)
        if len(level) == NODE:
            return bytes(level)
        level = hash_groups(layout.arity, level)
        position //= layout.arity
        height += 1


def run_chunk(chunk: Pc2Chunk) -> tuple[bytes, bytes]:
    """Do one chunk; returns ``(tree_c subtree root, tree_r_last subtree root)``."""
    length = chunk.leaves * NODE
    offset = chunk.node_start * NODE
    layers = [_pread_exact(path, length, offset) for path in chunk.layer_paths]
    data = _pread_exact(chunk.data_path, length, offset)
    check_fr32_nodes(data, f"sealed file '{chunk.data_path}' (from byte {offset})")
    replica = encode_nodes(data, layers[-1])
    columns = hash_columns(layers)
    layout = TreeLayout(chunk.base_leaves, ARITY)
    with ExitStack() as stack:
        pwrite_all(open_fd(stack, Path(chunk.replica_path), os.O_WRONLY), replica, offset)
        fd_c = open_fd(stack, Path(chunk.tree_c_path), os.O_WRONLY)
        c_root = write_subtree(fd_c, layout, chunk.start_in_base, columns)
        fd_r = open_fd(stack, Path(chunk.tree_r_path), os.O_WRONLY)
        r_root = write_subtree(fd_r, layout, chunk.start_in_base, replica)
    return c_root, r_root
