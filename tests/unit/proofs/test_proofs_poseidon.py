"""Poseidon (neptune, BLS12-381): published vectors, neptune's constants, reference = fast, batches.

Vectors: reference/proofs.md §4.2 — neptune ``src/poseidon.rs`` ``hash_values`` (Standard strength,
MerkleTree tag, preimage ``[0, 1, …, arity − 1]``), rust-fil-proofs ``filecoin-hashers/src/poseidon.rs``
``test_poseidon_hasher`` (binary tree over ``[1, 0, 0, 1]``), and neptune's reference round constants
``parameters/round_constants-1-1-255-9-8-57-73EDA7…0001.txt`` (t = 9, RF 8, RP 57).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pylotus.proofs.errors import InvalidFieldElement
from pylotus.proofs.field import FR_MODULUS, fr_to_bytes
from pylotus.proofs.poseidon import (
    hash_columns,
    hash_columns_reference,
    hash_groups,
    hash_groups_reference,
    poseidon_constants,
    poseidon_hash,
    poseidon_hash_nodes,
    poseidon_hash_reference,
    poseidon_kernel_source,
)

HashFn = Callable[[Sequence[int]], int]
HASHES = [pytest.param(poseidon_hash_reference, id="reference"), pytest.param(poseidon_hash, id="fast")]


def from_limbs(*limbs: int) -> int:
    """A field element written as neptune's test code does: u64 limbs, least significant first."""
    return sum(limb << (64 * i) for i, limb in enumerate(limbs))


# neptune src/poseidon.rs hash_values, Standard strength (reference/proofs.md §4.2).
HASH_VALUES = {
    2: 0x396508D75E76A56B739E0FD902EFE161A6FBA9339D05A69D2E203C369A02E7FF,
    4: 0x58A54B10A9E5848A00DB3C6579229399FB6B4605BF1327EC019814FF6662075D,
    8: 0x2394611DA3A5DE5512010042116770774B682E9D9CC4AED92A9934F56D38A5E6,
    11: 0x0C0FC1B2E5227F286CA537E232EBE87A09F3DCD8CCB08FC1CEE3BBC32B693163,
    16: 0x2D3AE2663381AE8AC1C2FB5A6F871E635B8DBC6D30680A6F1291C74060266D37,
    24: from_limbs(0xD7EF3569F585B321, 0xC3E779F6468815B1, 0x066F39BF783F3D9F, 0x63BEB8831F11AE15),
    36: from_limbs(0x4473606DFA4E8140, 0x75CD368DF8A8AC3C, 0x540A30E03C10BBAA, 0x699303082A6E5D5F),
}

R_BYTES = FR_MODULUS.to_bytes(32, "little")
ALL_FF = b"\xff" * 32


def random_elements(rng: random.Random, count: int) -> list[int]:
    return [rng.randrange(FR_MODULUS) for _ in range(count)]


def serialise(values: Sequence[int]) -> bytes:
    return b"".join(fr_to_bytes(v) for v in values)


# --- published vectors -------------------------------------------------------------------------------


@pytest.mark.parametrize("poseidon", HASHES)
@pytest.mark.parametrize("arity", sorted(HASH_VALUES))
def test_neptune_hash_values(poseidon: HashFn, arity: int) -> None:
    assert poseidon(list(range(arity))) == HASH_VALUES[arity]


def test_filecoin_hashers_binary_tree() -> None:
    # RFP filecoin-hashers test_poseidon_hasher: leaves [1, 0, 0, 1], arity 2.
    leaves = [fr_to_bytes(v) for v in (1, 0, 0, 1)]
    left = poseidon_hash_nodes(leaves[:2])
    assert int.from_bytes(left, "little") == from_limbs(
        0xB339FF6079800B5E, 0xEC5907B3DC3094AF, 0x93C003CC74A24F26, 0x042F94FFBE786BC3
    )
    root = poseidon_hash_nodes([left, poseidon_hash_nodes(leaves[2:])])
    expected_root = from_limbs(0xEFBB8BE3E291E671, 0x77CC72B8CB2B5AD2, 0x30EB6385AE6B74AE, 0x1EFFEBB7B26AD9EB)
    assert int.from_bytes(root, "little") == expected_root
    # The same tree one level at a time, as tree builders call it.
    level = hash_groups(2, b"".join(leaves))
    assert level[:32] == left
    assert hash_groups(2, level) == root


# --- constants ---------------------------------------------------------------------------------------


def test_round_constants_match_neptune_reference_file() -> None:
    # neptune parameters/round_constants-1-1-255-9-8-57-…: 585 constants; entries 0, 36, 292, 584.
    constants = poseidon_constants(8)
    assert (constants.width, constants.full_rounds, constants.partial_rounds) == (9, 8, 57)
    assert len(constants.round_constants) == 585
    expected = {
        0: 0x6CE90D12C4045FE08C3CADDB776DD84AC52B4AE7E48CD49443984154F2F4C2F9,
        36: 0x5AA51D96F4F76E3EF6B4C2B895311636965D34873FF2B8E8BFC75ED833B92187,
        292: 0x04BA918FBEDF5CA2AD82102908E0B4410560FD676193FD555C8982C2C97D3DEB,
        584: 0x3B3A75EB91B0F723BCC4AB7E449E4A011B8960063EFE74670C05E545519D9A8C,
    }
    assert {index: constants.round_constants[index] for index in expected} == expected


@pytest.mark.parametrize(
    ("arity", "partial_rounds"), [(2, 55), (4, 56), (8, 57), (11, 57), (16, 59), (24, 59), (36, 60)]
)
def test_round_numbers_and_shapes(arity: int, partial_rounds: int) -> None:
    constants = poseidon_constants(arity)
    width = arity + 1
    assert constants.arity == arity
    assert constants.width == width
    assert constants.full_rounds == 8
    assert constants.partial_rounds == partial_rounds
    assert constants.domain_tag == 2**arity - 1
    assert len(constants.round_constants) == (8 + partial_rounds) * width
    assert all(0 <= c < FR_MODULUS for c in constants.round_constants)
    assert len(constants.partial_constants) == len(constants.sparse_matrices) == partial_rounds
    assert poseidon_constants(arity) is constants  # cached


@pytest.mark.parametrize("arity", [2, 8, 11, 36])
def test_mds_is_neptune_cauchy_matrix(arity: int) -> None:
    mds = poseidon_constants(arity).mds
    width = arity + 1
    assert len(mds) == width
    for i in range(width):
        assert len(mds[i]) == width
        for j in range(width):
            assert mds[i][j] == mds[j][i]
            assert mds[i][j] * (i + j + width) % FR_MODULUS == 1


@pytest.mark.parametrize("arity", [1, 3, 0, -2, 37])
def test_unsupported_arity_refused(arity: int) -> None:
    with pytest.raises(ValueError, match=f"poseidon arity '{arity}' is not supported"):
        poseidon_constants(arity)
    with pytest.raises(ValueError, match="not supported"):
        hash_groups(arity, b"")


def test_wrong_preimage_length_refused() -> None:
    for poseidon in (poseidon_hash, poseidon_hash_reference):
        with pytest.raises(ValueError, match="'3' is not supported"):
            poseidon([1, 2, 3])
    with pytest.raises(ValueError, match="'1' is not supported"):
        poseidon_hash_nodes([bytes(32)])
    with pytest.raises(ValueError, match="'3' is not supported"):
        hash_columns([bytes(32)] * 3)


def test_kernel_source_is_readable_python() -> None:
    source = poseidon_kernel_source(2)
    assert source.startswith("def poseidon_2(x1, x2):")
    assert "# partial round 4" in source and "# full round 62" in source


# --- fast = reference --------------------------------------------------------------------------------

canonical = st.integers(min_value=0, max_value=FR_MODULUS - 1)
edge = st.sampled_from([0, 1, FR_MODULUS - 1, 2**254, 2**64 - 1])


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([2, 8, 11]).flatmap(lambda a: st.lists(canonical | edge, min_size=a, max_size=a)))
def test_fast_equals_reference(elements: list[int]) -> None:
    assert poseidon_hash(elements) == poseidon_hash_reference(elements)


@pytest.mark.parametrize("arity", [4, 16, 24, 36])
def test_fast_equals_reference_other_arities(arity: int) -> None:
    rng = random.Random(arity)
    for _ in range(2):
        elements = random_elements(rng, arity)
        assert poseidon_hash(elements) == poseidon_hash_reference(elements)


@pytest.mark.parametrize("poseidon", HASHES)
def test_out_of_field_integers_refused(poseidon: HashFn) -> None:
    with pytest.raises(InvalidFieldElement, match="element '1' of the preimage"):
        poseidon([0, FR_MODULUS])
    with pytest.raises(InvalidFieldElement, match="element '0' of the preimage"):
        poseidon([-1, 0])
    assert poseidon([FR_MODULUS - 1, 0]) == poseidon([FR_MODULUS - 1, 0])


# --- bytes and batches -------------------------------------------------------------------------------


def test_hash_nodes_matches_integers() -> None:
    rng = random.Random(1)
    elements = random_elements(rng, 8)
    out = poseidon_hash_nodes([fr_to_bytes(v) for v in elements])
    assert out == fr_to_bytes(poseidon_hash(elements))


@pytest.mark.parametrize("bad", [R_BYTES, ALL_FF], ids=["r", "all-ff"])
def test_hash_nodes_refuses_non_canonical(bad: bytes) -> None:
    with pytest.raises(InvalidFieldElement, match="element '1' of the preimage"):
        poseidon_hash_nodes([bytes(32), bad])
    with pytest.raises(InvalidFieldElement, match="must be '32' bytes"):
        poseidon_hash_nodes([bytes(32), bytes(31)])


@pytest.mark.parametrize("arity", [2, 8])
def test_hash_groups_equals_per_group_hashes(arity: int) -> None:
    rng = random.Random(arity)
    groups = [random_elements(rng, arity) for _ in range(5)]
    data = bytearray(serialise([v for g in groups for v in g]))
    expected = b"".join(fr_to_bytes(poseidon_hash_reference(g)) for g in groups)
    assert hash_groups(arity, data) == expected
    assert hash_groups(arity, memoryview(data)) == expected
    assert hash_groups(arity, memoryview(data).cast("Q")) == expected  # lengths count bytes
    assert hash_groups_reference(arity, bytes(data)) == expected
    assert isinstance(hash_groups(arity, data), bytearray)
    assert hash_groups(arity, b"") == bytearray()


@pytest.mark.parametrize("batch", [hash_groups, hash_groups_reference])
@pytest.mark.parametrize("bad", [R_BYTES, ALL_FF], ids=["r", "all-ff"])
def test_hash_groups_refuses_non_canonical(batch: Callable[[int, bytes], bytearray], bad: bytes) -> None:
    data = bytes(32 * 5) + bad + bytes(32 * 2)
    with pytest.raises(InvalidFieldElement, match="element '5' of the input"):
        batch(8, data)


@pytest.mark.parametrize("batch", [hash_groups, hash_groups_reference])
@pytest.mark.parametrize("length", [32, 32 * 9, 64 * 3 + 1])
def test_hash_groups_refuses_partial_groups(batch: Callable[[int, bytes], bytearray], length: int) -> None:
    with pytest.raises(ValueError, match=f"is '{length}' bytes, not a multiple of '256'"):
        batch(8, bytes(length))


@pytest.mark.parametrize("layer_count", [2, 11])
def test_hash_columns_equals_per_column_hashes(layer_count: int) -> None:
    rng = random.Random(layer_count)
    nodes = 3
    values = [random_elements(rng, nodes) for _ in range(layer_count)]
    layers = [bytearray(serialise(layer)) for layer in values]
    expected = b"".join(
        fr_to_bytes(poseidon_hash_reference([layer[v] for layer in values])) for v in range(nodes)
    )
    assert hash_columns(layers) == expected
    assert hash_columns([memoryview(layer).cast("Q") for layer in layers]) == expected
    assert hash_columns_reference(layers) == expected


@pytest.mark.parametrize("batch", [hash_columns, hash_columns_reference])
@pytest.mark.parametrize("bad", [R_BYTES, ALL_FF], ids=["r", "all-ff"])
def test_hash_columns_refuses_non_canonical(
    batch: Callable[[Sequence[bytes]], bytearray], bad: bytes
) -> None:
    layers = [bytes(96), bytes(32) + bad + bytes(32)]
    with pytest.raises(InvalidFieldElement, match="element '1' of layer '1'"):
        batch(layers)


@pytest.mark.parametrize("batch", [hash_columns, hash_columns_reference])
def test_hash_columns_refuses_ragged_layers(batch: Callable[[Sequence[bytes]], bytearray]) -> None:
    with pytest.raises(ValueError, match="layers differ in length"):
        batch([bytes(64), bytes(96)])
    with pytest.raises(ValueError, match="not a multiple of '32'"):
        batch([bytes(40), bytes(40)])
