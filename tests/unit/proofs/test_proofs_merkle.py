"""Tree layout, paths and roots (tree_d binary, Poseidon oct trees, compound shapes) and Fr encoding."""

from __future__ import annotations

import os
from collections.abc import Sequence

import pytest

from pylotus.proofs import FR_MODULUS, hash_groups, poseidon_hash_nodes, subtree_root
from pylotus.proofs.encoding import decode_nodes, encode_nodes, encode_nodes_reference
from pylotus.proofs.merkle import (
    TreeLayout,
    binary_hash_group,
    build_tree,
    compound_root,
    path_root,
    read_path,
    reduce_binary,
)


def _fr_nodes(count: int) -> bytes:
    return b"".join(os.urandom(31) + bytes([os.urandom(1)[0] & 0x3F]) for _ in range(count))


def _poseidon_group(arity: int, children: Sequence[bytes]) -> bytes:
    return poseidon_hash_nodes(children)


def test_layout_offsets() -> None:
    layout = TreeLayout(64, 8)
    assert layout.level_sizes() == [64, 8, 1]
    assert (layout.height, layout.total_nodes, layout.level_offset(1), layout.root_offset) == (
        2,
        73,
        2048,
        72 * 32,
    )
    with pytest.raises(ValueError, match="do not form a full 8-ary tree"):
        TreeLayout(24, 8)


def test_binary_tree_paths_lead_to_the_commp_root() -> None:
    leaves = _fr_nodes(64)
    tree = build_tree(leaves, 2, reduce_binary)
    assert bytes(tree[-32:]) == subtree_root(leaves)
    for index in (0, 1, 37, 63):
        leaf, path = read_path(lambda o, n: bytes(tree[o : o + n]), TreeLayout(64, 2), index)
        assert leaf == leaves[index * 32 : index * 32 + 32]
        assert path_root(leaf, index, path, binary_hash_group) == bytes(tree[-32:])
        assert path_root(leaf, index ^ 1, path, binary_hash_group) != bytes(tree[-32:])


def test_oct_tree_paths() -> None:
    leaves = _fr_nodes(64)
    tree = build_tree(leaves, 8, lambda level: hash_groups(8, level))
    root = bytes(tree[-32:])
    level1 = [
        poseidon_hash_nodes([leaves[(8 * g + i) * 32 : (8 * g + i + 1) * 32] for i in range(8)])
        for g in range(8)
    ]
    assert root == poseidon_hash_nodes(level1)
    leaf, path = read_path(lambda o, n: bytes(tree[o : o + n]), TreeLayout(64, 8), 45)
    assert [len(level) for level in path] == [7, 7]
    assert path_root(leaf, 45, path, _poseidon_group) == root
    with pytest.raises(ValueError, match="beyond the reach"):
        path_root(leaf, 45 + 64, path, _poseidon_group)


def test_compound_root_is_sub_then_top() -> None:
    roots = [_fr_nodes(1) for _ in range(16)]
    sub = [poseidon_hash_nodes(roots[i : i + 8]) for i in (0, 8)]
    assert compound_root(roots, 8, 2, poseidon_hash_nodes) == poseidon_hash_nodes(sub)
    assert compound_root(roots[:2], 2, 0, poseidon_hash_nodes) == poseidon_hash_nodes(roots[:2])
    with pytest.raises(ValueError, match="do not fit"):
        compound_root(roots[:3], 2, 0, poseidon_hash_nodes)


def test_encoding_round_trip_and_wrap() -> None:
    data = _fr_nodes(50)
    key = _fr_nodes(49) + (FR_MODULUS - 1).to_bytes(32, "little")
    replica = encode_nodes(data, key)
    assert bytes(replica) == encode_nodes_reference(data, key)
    assert bytes(decode_nodes(replica, key)) == data


def test_fast_and_reference_level_kernels_build_the_same_tree() -> None:
    from pylotus.proofs.poseidon import hash_groups_reference

    leaves = _fr_nodes(64)
    fast = build_tree(leaves, 8, lambda level: hash_groups(8, level))
    plain = build_tree(leaves, 8, lambda level: hash_groups_reference(8, bytes(level)))
    assert fast == plain
