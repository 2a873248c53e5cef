"""Merkle trees of sealing: tree_d (binary, SHA-256-trunc254) and tree_c / tree_r_last (Poseidon, arity 8).

Counterpart: rust-fil-proofs ``storage-proofs-core/src/merkle/`` (``builders.rs``, ``proof.rs``) over
the ``merkletree`` crate's disk stores; reference/proofs.md §3.7 and §3.9.

A tree is stored as one buffer (or file) of 32-byte nodes, level by level from the leaves up to the
root, the layout of ``merkletree``'s ``DiskStore``: a tree of ``n`` leaves and arity ``a`` has
``n + n/a + … + 1`` nodes.  Leaves are the raw elements (no leaf hashing); an inner node hashes its
``a`` children in order.

Compound shapes (reference/proofs.md §3.7): sectors above 512MiB split tree_c and tree_r_last into
``sub·top`` base trees; the sub level hashes ``sub`` base roots with Poseidon of arity ``sub``, the
top level ``top`` sub roots.  A path is then the base tree's levels, then one level of ``sub − 1``
sibling roots, then one of ``top − 1``.

A path is a list of levels, each the siblings of the running hash at that height; where the running
hash sits among them follows from the leaf index (``index mod arity`` per level, rust's
``path_index``), so paths carry no index of their own and cannot claim a different leaf.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from .tree import node_hash, reduce_level

__all__ = [
    "NODE",
    "ArityHash",
    "HashGroup",
    "Reader",
    "MerklePath",
    "TreeLayout",
    "binary_hash_group",
    "build_tree",
    "compound_root",
    "file_reader",
    "path_root",
    "read_compound_path",
    "read_path",
    "reduce_binary",
]

NODE: Final = 32

ReduceLevel = Callable[[bytes | bytearray | memoryview], bytearray]
"""Hash every group of ``arity`` consecutive nodes of a level into one (a whole level per call)."""

HashGroup = Callable[[Sequence[bytes]], bytes]
"""Hash one group of child nodes into their parent."""

ArityHash = Callable[[int, Sequence[bytes]], bytes]
"""``hash_group(arity, children)`` → parent: what :func:`path_root` climbs with."""

Reader = Callable[[int, int], bytes]
"""``read(offset, length)`` over a stored tree (a buffer slice or a ``pread``)."""

MerklePath = list[list[bytes]]
"""Siblings per level, leaves first; level ``h`` has ``arity_h − 1`` nodes."""


def reduce_binary(level: bytes | bytearray | memoryview) -> bytearray:
    """A tree_d level: :func:`.tree.reduce_level` (sha256-trunc254 of each pair)."""
    return reduce_level(bytes(level) if isinstance(level, memoryview) else level)


@dataclass(frozen=True)
class TreeLayout:
    """Where each level of a ``leaves``-leaf, ``arity``-ary tree sits in its node buffer."""

    leaves: int
    arity: int

    def __post_init__(self) -> None:
        count = self.leaves
        while count > 1:
            if count % self.arity:
                raise ValueError(f"{self.leaves} leaves do not form a full {self.arity}-ary tree")
            count //= self.arity

    @property
    def height(self) -> int:
        """Levels above the leaves."""
        height, count = 0, self.leaves
        while count > 1:
            count //= self.arity
            height += 1
        return height

    def level_sizes(self) -> list[int]:
        """Nodes per level, leaves first, root last."""
        return [self.leaves // self.arity**h for h in range(self.height + 1)]

    def level_offset(self, level: int) -> int:
        """Byte offset of ``level``'s first node."""
        return NODE * sum(self.level_sizes()[:level])

    @property
    def total_nodes(self) -> int:
        """Nodes in the whole tree."""
        return sum(self.level_sizes())

    @property
    def byte_size(self) -> int:
        """Bytes of the stored tree."""
        return NODE * self.total_nodes

    @property
    def root_offset(self) -> int:
        """Byte offset of the root (the last node)."""
        return self.byte_size - NODE


def build_tree(leaves: bytes | bytearray | memoryview, arity: int, reduce: ReduceLevel) -> bytearray:
    """The whole tree over ``leaves`` (leaves included), level by level; the root is the last node."""
    layout = TreeLayout(len(leaves) // NODE, arity)
    out = bytearray(leaves)
    level: bytes | bytearray | memoryview = leaves
    for _ in range(layout.height):
        level = reduce(level)
        out += level
    return out


def read_path(read: Reader, layout: TreeLayout, index: int) -> tuple[bytes, MerklePath]:
    """The leaf at ``index`` and its path, reading ``(offset, length)`` ranges of the stored tree.

    ``read`` is ``lambda o, n: buffer[o:o+n]`` for a tree in memory, or a ``pread`` on its file.
    """
    if not 0 <= index < layout.leaves:
        raise ValueError(f"leaf index {index} outside a tree of {layout.leaves} leaves")
    leaf = read(index * NODE, NODE)
    path: MerklePath = []
    position = index
    for level in range(layout.height):
        group = position - position % layout.arity
        base = layout.level_offset(level) + group * NODE
        nodes = read(base, layout.arity * NODE)
        slot = position % layout.arity
        path.append([nodes[i * NODE : (i + 1) * NODE] for i in range(layout.arity) if i != slot])
        position //= layout.arity
    return leaf, path


def file_reader(fd: int) -> Reader:
    """A ``read`` for :func:`read_path` over an open file descriptor (``os.pread``, no seek state)."""

    def read(offset: int, length: int) -> bytes:
        data = os.pread(fd, length, offset)
        if len(data) != length:
            raise EOFError(f"tree file ends before byte {offset + length}")
        return data

    return read


def path_root(
    leaf: bytes, index: int, path: MerklePath, hash_group: Callable[[int, Sequence[bytes]], bytes]
) -> bytes:
    """The root a path leads to: at each level the running hash is put back among its siblings.

    Args:
        leaf: the 32-byte leaf.
        index: the leaf's index; its digits in the mixed radix of the level arities place the
            running hash (rust ``MerkleProof::validate`` with ``path_index``).
        path: siblings per level; the arity of level h is ``len(path[h]) + 1``.
        hash_group: ``hash_group(arity, children)`` → parent.

    Raises:
        ValueError: ``index`` does not fit the path (more leaves than the path can reach).
    """
    current = leaf
    position = index
    for siblings in path:
        arity = len(siblings) + 1
        slot = position % arity
        position //= arity
        current = hash_group(arity, [*siblings[:slot], current, *siblings[slot:]])
    if position:
        raise ValueError(f"leaf index {index} is beyond the reach of a {len(path)}-level path")
    return current


def binary_hash_group(arity: int, children: Sequence[bytes]) -> bytes:
    """``hash_group`` for tree_d: sha256-trunc254 of a pair."""
    if arity != 2:
        raise ValueError(f"tree_d is binary, got a group of {arity}")
    return node_hash(children[0], children[1])


def read_compound_path(
    reads: Sequence[Reader], layout: TreeLayout, sub: int, top: int, index: int, hash_group: HashGroup
) -> tuple[bytes, MerklePath]:
    """Leaf and path through ``len(reads)`` base trees joined by sub/top levels (one base tree: plain).

    ``reads[b]`` reads base tree ``b``; ``index`` counts leaves across all base trees.
    """
    base, offset = divmod(index, layout.leaves)
    leaf, path = read_path(reads[base], layout, offset)
    if len(reads) == 1:
        return leaf, path
    roots = [read(layout.root_offset, NODE) for read in reads]
    for arity in (sub, top):
        if not arity:
            continue
        group = base - base % arity
        path.append([roots[group + i] for i in range(arity) if group + i != base])
        roots = [hash_group(roots[i : i + arity]) for i in range(0, len(roots), arity)]
        base //= arity
    return leaf, path


def compound_root(base_roots: Sequence[bytes], sub: int, top: int, hash_group: HashGroup) -> bytes:
    """The root over ``sub·top`` base-tree roots: sub level of arity ``sub``, then top of arity ``top``."""
    roots = list(base_roots)
    for arity in (sub, top):
        if arity and len(roots) % arity:
            raise ValueError(f"{len(base_roots)} base roots do not fit a sub {sub} / top {top} shape")
        if arity:
            roots = [hash_group(roots[i : i + arity]) for i in range(0, len(roots), arity)]
    if len(roots) != 1:
        raise ValueError(f"{len(base_roots)} base roots do not fit a sub {sub} / top {top} shape")
    return roots[0]
