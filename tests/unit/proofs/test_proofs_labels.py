"""SDR labelling against rust-fil-proofs' four label vectors (reference/proofs.md §3.6)."""

from __future__ import annotations

import numpy as np
import pytest

from pylotus.proofs import ApiVersion, StackedGraph, label_layer, label_layer_reference


def _parents(graph: StackedGraph) -> np.ndarray:
    return np.frombuffer(graph.parents_bytes(0, graph.nodes), dtype="<u4").reshape(graph.nodes, 14)


@pytest.mark.parametrize(
    "nodes,porep_byte,api,last_label",
    [
        (64, 0x00, ApiVersion.V1_0_0, "04ba0f9a6ba9fad35e4806d183a281eab3c25afa9a1bd5e3378da6f1f4f46204"),
        (128, 0x00, ApiVersion.V1_0_0, "86daa8c4521e197e48c1fae6c9a1e85ab894a8883b9f23cebe531ddcd1004c23"),
        (64, 0x7B, ApiVersion.V1_1_0, "cfef0db78bf3b3ab9f1169774d2e7a77bc9054499d954834b51ca7c788110206"),
        (128, 0x7B, ApiVersion.V1_1_0, "6d67c468cf81ab2289c1c9c72fa8777a232de4c1323dc0c6bd552ccc187c770f"),
        (64, 0x7B, ApiVersion.V1_2_0, "cfef0db78bf3b3ab9f1169774d2e7a77bc9054499d954834b51ca7c788110206"),
    ],
)
def test_eleven_layer_vectors(nodes: int, porep_byte: int, api: ApiVersion, last_label: str) -> None:
    # storage-proofs-porep tests/stacked_vanilla.rs: replica_id 32×0x09, 11 layers, last label of last node.
    graph = StackedGraph(nodes, bytes([porep_byte]) * 32, api)
    parents = _parents(graph)
    rid = bytes([9]) * 32
    fast = None
    plain = None
    for layer in range(1, 12):
        fast = label_layer(rid, layer, parents, fast)
        plain = label_layer_reference(rid, layer, graph, plain)
        assert bytes(fast) == plain, f"layer {layer}"
    assert fast is not None
    assert bytes(fast[-32:]).hex() == last_label


def test_labels_are_field_elements() -> None:
    graph = StackedGraph(64, bytes(32), ApiVersion.V1_1_0)
    labels = label_layer(bytes(32), 1, _parents(graph), None)
    assert all(b < 0x40 for b in labels[31::32])


def test_layer_arguments_checked() -> None:
    graph = StackedGraph(64, bytes(32), ApiVersion.V1_1_0)
    with pytest.raises(ValueError, match="layer 1 takes no previous layer"):
        label_layer(bytes(32), 2, _parents(graph), None)
