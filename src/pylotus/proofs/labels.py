"""SDR labelling: the key layers of a sector, one SHA-256 per node per layer.

Counterpart: rust-fil-proofs ``storage-proofs-porep/src/stacked/vanilla/create_label/single.rs``
(``create_label``, ``create_label_exp``) and ``labeling_proof.rs``; reference/proofs.md §3.6, whose
four vectors (11 layers over 64 and 128 nodes) the tests reproduce.

Every label is ``trunc254(SHA256(replica_id ‖ u32_be(layer) ‖ u64_be(node) ‖ 0^20 ‖ 37 parent
labels))``; node 0 hashes the 64-byte header alone.  Layers count from 1.  Layer 1 hashes the six DRG
parents of the same layer six times over and the first once more; a later layer hashes its 14
parents (six DRG parents from the same layer, eight expander parents from the layer before) as
``P ‖ P ‖ P[:9]``.  Parents come as the upstream parent-cache rows, 14 u32 per node.

A layer is sequential (node v needs labels < v of its own layer), so it cannot be spread over
processes; :func:`label_layer` keeps the per-node Python work to one header, fourteen memoryview
slices, one join and one hash.  :func:`label_layer_reference` is the plain version, parent by parent
from the graph, that the tests hold equal.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from .field import trunc254
from .params import BASE_DEGREE, TOTAL_PARENTS

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from .graph import StackedGraph

__all__ = ["label_for_node", "label_layer", "label_layer_reference"]

NODE: Final = 32
_ZERO_TAIL: Final = bytes(20)
_ROWS_PER_BATCH: Final = 1 << 15  # parent rows turned into Python lists at a time (memory bound)


def _header(replica_id: bytes, layer: int, node: int) -> bytes:
    return replica_id + layer.to_bytes(4, "big") + node.to_bytes(8, "big") + _ZERO_TAIL


def label_for_node(replica_id: bytes, layer: int, node: int, parent_labels: Sequence[bytes]) -> bytes:
    """The label of ``node`` in ``layer`` from its parents' labels (what a verifier recomputes).

    Args:
        replica_id: 32 bytes.
        layer: 1-based layer number.
        node: the node index; node 0 takes no parents.
        parent_labels: layer 1: the 6 DRG parents' labels (same layer); later layers: 14 labels,
            the 6 DRG parents' from this layer then the 8 expander parents' from the layer before.
    """
    header = _header(replica_id, layer, node)
    if node == 0:
        return trunc254(hashlib.sha256(header).digest())
    expected = BASE_DEGREE if layer == 1 else 14
    if len(parent_labels) != expected:
        raise ValueError(f"layer {layer} labels take {expected} parent labels, got {len(parent_labels)}")
    cycle = [parent_labels[i % expected] for i in range(TOTAL_PARENTS)]
    return trunc254(hashlib.sha256(header + b"".join(cycle)).digest())


def label_layer(
    replica_id: bytes,
    layer: int,
    parents: npt.NDArray[np.uint32],
    previous: bytes | bytearray | memoryview | None,
) -> bytearray:
    """All labels of ``layer``: ``nodes × 32`` bytes.

    Args:
        replica_id: 32 bytes.
        layer: 1-based layer number.
        parents: the parent cache rows, shape ``(nodes, 14)``: six DRG then eight expander parents.
        previous: layer ``layer − 1``'s labels (``None`` for layer 1).
    """
    nodes = parents.shape[0]
    if (layer == 1) != (previous is None):
        raise ValueError("layer 1 takes no previous layer and every later layer needs one")
    if previous is not None and len(previous) != nodes * NODE:
        raise ValueError(f"previous layer holds {len(previous)} bytes, expected {nodes * NODE}")
    out = bytearray(nodes * NODE)
    cur = memoryview(out)
    prev = memoryview(previous) if previous is not None else cur
    prefix = replica_id + layer.to_bytes(4, "big")
    sha256 = hashlib.sha256
    join = b"".join
    out[0:NODE] = trunc254(sha256(prefix + bytes(8) + _ZERO_TAIL).digest())
    for batch_start in range(1, nodes, _ROWS_PER_BATCH):
        batch_stop = min(nodes, batch_start + _ROWS_PER_BATCH)
        # byte offsets of each parent label (int64: 32GiB offsets pass 2^32)
        rows = (parents[batch_start:batch_stop].astype("int64") * NODE).tolist()
        for v, row in zip(range(batch_start, batch_stop), rows, strict=True):
            if layer == 1:
                base = join([cur[p : p + NODE] for p in row[:BASE_DEGREE]])
                tail = base * 6 + base[:NODE]
            else:
                p = join(
                    [cur[o : o + NODE] for o in row[:BASE_DEGREE]]
                    + [prev[o : o + NODE] for o in row[BASE_DEGREE:]]
                )
                tail = p + p + p[: 9 * NODE]
            digest = sha256(prefix + v.to_bytes(8, "big") + _ZERO_TAIL + tail).digest()
            offset = v * NODE
            out[offset : offset + NODE] = digest
            out[offset + NODE - 1] &= 0x3F
    return out


def label_layer_reference(
    replica_id: bytes, layer: int, graph: StackedGraph, previous: bytes | None
) -> bytes:
    """:func:`label_layer` written plainly from the graph's parent functions, for tests."""
    labels: list[bytes] = []
    for v in range(graph.nodes):
        if v == 0:
            labels.append(label_for_node(replica_id, layer, 0, []))
            continue
        base = [labels[p] for p in graph.base_parents(v)]
        if layer == 1:
            labels.append(label_for_node(replica_id, layer, v, base))
        else:
            assert previous is not None
            exp = [previous[p * NODE : (p + 1) * NODE] for p in graph.expansion_parents(v)]
            labels.append(label_for_node(replica_id, layer, v, base + exp))
    return b"".join(labels)
