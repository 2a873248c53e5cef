"""The sha256-trunc254 binary Merkle tree under CommP and CommD, and its streaming stack.

Counterpart: rust-fil-proofs ``filecoin-hashers/src/sha256.rs`` (``hash2``, ``trim_to_fr32``) and
go-fil-commp-hashhash ``commp.go`` (``hashSlab254``), reference/proofs.md §2.1.  A node is
``sha256(left ‖ right)`` with the two most significant bits of the little-endian field element,
the top bits of byte 31, cleared; leaves are the 32-byte words of Fr32-padded data, unhashed.

Levels count from the leaves: a node of level h is the root of 2^h leaves, ``32·2^h`` padded bytes.

The fast path hashes a whole level per call of :func:`reduce_level` (one list comprehension of
``hashlib.sha256`` over 64-byte slices, then the two bits of every digest cleared at once with a
strided ``bytes.translate``): the Python overhead per node is one slice and one hash call, which is
what bounds CommP throughput in pure Python (``pylotus-bench commp`` measures it).
:class:`SubtreeStack` joins subtree roots as they stream in, in memory proportional to the tree
height, as rust-fil-proofs ``pieces.rs`` ``Stack`` does for pieces.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from dataclasses import dataclass
from typing import Final

__all__ = [
    "NODE_SIZE",
    "StackEntry",
    "SubtreeStack",
    "node_hash",
    "reduce_level",
    "subtree_root",
    "subtree_root_reference",
]

NODE_SIZE: Final = 32
"""Bytes of a leaf or node: one BLS12-381 field element, little endian."""

_PAIR: Final = 2 * NODE_SIZE
_TRUNC254_MASK: Final = 0x3F
# byte -> byte & 0x3f, for bytes.translate over every 32nd byte of a level at once.
_TRUNC254_TABLE: Final = bytes(b & _TRUNC254_MASK for b in range(256))


def node_hash(left: bytes, right: bytes) -> bytes:
    """``sha256(left ‖ right)`` with the top two bits of byte 31 cleared (trunc254).

    reference/proofs.md §2.1: ``node_hash(bytes(32), bytes(32))`` is ``f5a5fd42…59fb0b``.
    """
    digest = bytearray(hashlib.sha256(left + right).digest())
    digest[NODE_SIZE - 1] &= _TRUNC254_MASK
    return bytes(digest)


@functools.lru_cache(maxsize=64)
def _pair_splitter(pairs: int) -> struct.Struct:
    """A struct that cuts a level into its 64-byte pairs in one C call (faster than slicing)."""
    return struct.Struct(f"{_PAIR}s" * pairs)


def reduce_level(level: bytes | bytearray) -> bytearray:
    """Hash each pair of adjacent nodes of ``level`` (an even number of 32-byte nodes) into one.

    Returns a level half as long.  This is the inner loop of every tree here, measured: cutting
    the pairs with one ``struct.unpack`` costs 15% less per node than slicing in the loop.
    """
    sha256 = hashlib.sha256
    pairs = _pair_splitter(len(level) // _PAIR).unpack(level)
    digests = bytearray(b"".join([sha256(pair).digest() for pair in pairs]))
    digests[NODE_SIZE - 1 :: NODE_SIZE] = digests[NODE_SIZE - 1 :: NODE_SIZE].translate(_TRUNC254_TABLE)
    return digests


def subtree_root(leaves: bytes | bytearray) -> bytes:
    """The root of the tree whose leaves are ``leaves``: a power-of-two number of 32-byte nodes."""
    level: bytes | bytearray = leaves
    while len(level) > NODE_SIZE:
        level = reduce_level(level)
    return bytes(level)


def subtree_root_reference(leaves: bytes) -> bytes:
    """:func:`subtree_root` written plainly, node by node, for tests."""
    nodes = [leaves[i : i + NODE_SIZE] for i in range(0, len(leaves), NODE_SIZE)]
    while len(nodes) > 1:
        nodes = [node_hash(nodes[i], nodes[i + 1]) for i in range(0, len(nodes), 2)]
    return nodes[0]


@dataclass(frozen=True)
class StackEntry:
    """A subtree root waiting on the stack: its level (``2^level`` leaves) and its 32 bytes."""

    level: int
    root: bytes


class SubtreeStack:
    """Subtree roots, pushed left to right, joined as soon as two of the same level meet.

    Pushes must come in a left-packed order (each root's level at most the level of the one before
    it, as a left-to-right walk of a binary tree gives them); the stack then never holds more than
    one entry per level.  :meth:`finish` completes the tree with zero subtrees, which equals
    zero-filling the data to the next power of two (reference/proofs.md §1.2).
    """

    def __init__(self, zero_roots: tuple[bytes, ...]) -> None:
        self._zeros = zero_roots
        self._stack: list[StackEntry] = []

    @property
    def entries(self) -> tuple[StackEntry, ...]:
        """The roots still waiting, left to right (highest level first)."""
        return tuple(self._stack)

    def push(self, level: int, root: bytes) -> None:
        """Push a subtree root of ``level`` and join equal neighbours.

        Raises:
            RuntimeError: ``level`` is above the previous entry's: the pushes are not left-packed.
        """
        stack = self._stack
        if stack and level > stack[-1].level:
            raise RuntimeError(f"subtree of level {level} pushed after one of level {stack[-1].level}")
        stack.append(StackEntry(level, root))
        while len(stack) > 1 and stack[-2].level == stack[-1].level:
            right = stack.pop()
            left = stack.pop()
            stack.append(StackEntry(left.level + 1, node_hash(left.root, right.root)))

    def finish(self) -> StackEntry:
        """Complete the tree with zero subtrees and return its root (the stack is left empty).

        Raises:
            RuntimeError: nothing was pushed.
        """
        if not self._stack:
            raise RuntimeError("finish() called before any subtree was pushed")
        while len(self._stack) > 1:
            level = self._stack[-1].level
            self.push(level, self._zeros[level])
        return self._stack.pop()
