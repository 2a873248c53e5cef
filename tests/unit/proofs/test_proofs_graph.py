"""SDR parent graph: seeds and parents of reference/proofs.md §3.3–§3.5, reference == fast ranges."""

from __future__ import annotations

import hashlib
import math
import pickle
import struct
from collections.abc import Callable

import numpy as np
import pytest

from pylotus.abi import RegisteredSealProof
from pylotus.proofs.errors import InvalidSealInput
from pylotus.proofs.graph import StackedGraph, _ceil_log2
from pylotus.proofs.params import ApiVersion, porep_id, sdr_params


def graph_for(proof_id: int, nodes: int | None = None) -> StackedGraph:
    params = sdr_params(RegisteredSealProof(proof_id))
    return StackedGraph(nodes or params.nodes, params.porep_id, params.api_version)


@pytest.fixture(scope="module")
def v1_1() -> StackedGraph:
    """64 nodes, porep_id(5): StackedDrg2KiBV1_1, api 1.1.0."""
    return graph_for(5)


@pytest.fixture(scope="module")
def v1_0() -> StackedGraph:
    """64 nodes, porep_id(0): StackedDrg2KiBV1, api 1.0.0."""
    return graph_for(0)


def reference_bytes(graph: StackedGraph, start: int, stop: int) -> bytes:
    return b"".join(struct.pack("<14I", *graph.parents(v)) for v in range(start, stop))


def test_seeds_of_porep_id_5(v1_1: StackedGraph) -> None:
    # reference/proofs.md §3.3, derived examples.
    assert v1_1.drg_seed.hex() == "3be68542ec229705b99be29c2106b0e4222ccd1d0311398ea4d22d7d"
    assert v1_1.feistel_keys == (
        0x90B15B1C4509E47A,
        0xDC5378C03DF3F21B,
        0xFA76FC24DEB9D7AC,
        0xCDEC5E11F7B30A54,
    )


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        (0, [0, 0, 0, 0, 0, 0]),
        (1, [0, 0, 0, 0, 0, 0]),
        (2, [1, 1, 1, 0, 1, 0]),
        (3, [2, 1, 1, 2, 2, 2]),
        (10, [9, 6, 6, 9, 9, 5]),
        (63, [62, 15, 42, 62, 61, 62]),
    ],
)
def test_base_parents_v1_1_predecessor_first(v1_1: StackedGraph, node: int, expected: list[int]) -> None:
    # reference/proofs.md §3.4, 64 nodes, porep_id(5).
    assert v1_1.base_parents(node) == expected


@pytest.mark.parametrize(("node", "expected"), [(2, [0, 1, 1, 1, 1, 1]), (63, [62, 61, 56, 62, 37, 62])])
def test_base_parents_v1_0_predecessor_last(v1_0: StackedGraph, node: int, expected: list[int]) -> None:
    # reference/proofs.md §3.4, 64 nodes, porep_id(0).
    assert v1_0.base_parents(node) == expected


@pytest.mark.parametrize(
    ("node", "expected"), [(2, [30, 28, 55, 63, 63, 36, 37, 36]), (63, [0, 15, 30, 30, 28, 42, 49, 38])]
)
def test_expansion_parents(v1_1: StackedGraph, node: int, expected: list[int]) -> None:
    # reference/proofs.md §3.5, 64 nodes, porep_id(5).
    assert v1_1.expansion_parents(node) == expected
    assert v1_1.parents(node) == v1_1.base_parents(node) + expected


@pytest.mark.parametrize(
    ("graph_name", "digest"),
    [
        ("v1_0", "3da49221e2ed55371b86d0bf3d6526fcf128af61bed904f966428db1b531750d"),
        ("v1_1", "840057702eea7652cf97e04306c30fe57174714d90de156a25eddd6075c25b97"),
    ],
)
def test_whole_2kib_graph_matches_the_upstream_cache_digest(
    graph_name: str, digest: str, request: pytest.FixtureRequest
) -> None:
    # rust-fil-proofs parent_cache.json (reference/proofs.md §3.5): both implementations.
    graph: StackedGraph = request.getfixturevalue(graph_name)
    assert hashlib.sha256(reference_bytes(graph, 0, 64)).hexdigest() == digest
    assert hashlib.sha256(graph.parents_bytes(0, 64)).hexdigest() == digest


@pytest.mark.parametrize(
    ("proof_id", "start", "stop"),
    [
        (6, 0, 1),
        (6, 1, 2),
        (6, 0, 5),
        (6, 3, 700),
        (1, 0, 300),
        (1, 16380, 16390),  # across the generator's 2^14-node chunk boundary
        (6, (1 << 18) - 37, 1 << 18),  # the last nodes of 8MiB
        (7, 12_345_678, 12_345_778),  # 512MiB: half_bits 14
        (2, (1 << 24) - 50, 1 << 24),  # 512MiB, legacy order
    ],
)
def test_fast_ranges_equal_the_reference(proof_id: int, start: int, stop: int) -> None:
    graph = graph_for(proof_id)
    assert graph.parents_bytes(start, stop) == reference_bytes(graph, start, stop)


def test_v1_2_graph_is_the_v1_1_graph() -> None:
    porep = porep_id(RegisteredSealProof(5))
    a = StackedGraph(1000, porep, ApiVersion.V1_1_0)
    b = StackedGraph(1000, porep, ApiVersion.V1_2_0)
    assert a.parents_bytes(0, 1000) == b.parents_bytes(0, 1000)


def test_legacy_truncates_feistel_output_to_u32() -> None:
    # 2^30 nodes → 2^33 expander edges: api 1.0.0 keeps the low 32 bits of t before /8, so
    # every legacy expansion parent lies below 2^29 (rust `transformed as u32 / 8`).
    porep = porep_id(RegisteredSealProof.STACKED_DRG_32GIB_V1)
    legacy = StackedGraph(1 << 30, porep, ApiVersion.V1_0_0)
    current = StackedGraph(1 << 30, porep, ApiVersion.V1_1_0)
    nodes = range(1_000_000, 1_000_040)
    legacy_exp = [legacy.expansion_parents(v) for v in nodes]
    current_exp = [current.expansion_parents(v) for v in nodes]
    assert all(p < 1 << 29 for row in legacy_exp for p in row)
    assert any(p >= 1 << 29 for row in current_exp for p in row)
    assert [[p % (1 << 29) for p in row] for row in current_exp] == legacy_exp
    assert legacy.parents_bytes(nodes.start, nodes.stop) == reference_bytes(legacy, nodes.start, nodes.stop)


def test_half_bits_per_sector_size() -> None:
    # reference/proofs.md §3.5: 512 edges → 5, 2^21 → 11, 2^27 → 14.
    assert [graph_for(p).half_bits for p in (5, 6, 7)] == [5, 11, 14]


def test_for_params_equality_and_pickling() -> None:
    params = sdr_params(RegisteredSealProof.STACKED_DRG_8MIB_V1_1)
    graph = StackedGraph.for_params(params)
    assert graph == StackedGraph(params.nodes, params.porep_id, ApiVersion.V1_1_0)
    assert graph != StackedGraph(params.nodes, params.porep_id, ApiVersion.V1_0_0)
    clone = pickle.loads(pickle.dumps(graph))
    assert clone == graph and clone.parents_bytes(100, 110) == graph.parents_bytes(100, 110)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda g: g.base_parents(64), "node '64' is outside the graph of '64' nodes"),
        (lambda g: g.expansion_parents(-1), "node '-1' is outside the graph of '64' nodes"),
        (lambda g: g.parents_bytes(10, 10), "node range '10..10' is not inside 0..'64'"),
        (lambda g: g.parents_bytes(0, 65), "node range '0..65' is not inside 0..'64'"),
        (lambda g: StackedGraph(1, g.porep_id, g.api_version), "graph nodes must be an integer in 2..2^32-1"),
        (lambda g: StackedGraph(64, bytes(31), g.api_version), "porep id must be '32' bytes, got '31'"),
    ],
)
def test_refusals(v1_1: StackedGraph, call: Callable[[StackedGraph], object], message: str) -> None:
    with pytest.raises(InvalidSealInput) as info:
        call(v1_1)
    assert str(info.value).startswith(message)


def test_exact_ceil_log2_equals_rusts_f64_for_every_graph_size() -> None:
    # The fast path reads ceil(log2(5v)) off frexp; rust computes it in f64.  The risky values are
    # around powers of two, up to 5·(2^32 − 1).
    metas = sorted(
        {m for k in range(1, 36) for m in (2**k - 1, 2**k, 2**k + 1) if m >= 2} | {5 * (2**32 - 1)}
    )
    exact = _ceil_log2(np.array(metas, dtype=np.uint64)).tolist()
    assert exact == [math.ceil(math.log2(float(m))) for m in metas]
