"""The SDR parent graph: 6 DRG (bucket-graph) parents and 8 Feistel expander parents per node.

Counterparts: rust-fil-proofs ``storage-proofs-core/src/drgraph.rs`` (``BucketGraph::parents``,
``derive_drg_seed``), ``storage-proofs-core/src/crypto/feistel.rs`` (``precompute``, ``encode``,
``permute``) and ``storage-proofs-porep/src/stacked/vanilla/graph.rs`` (``StackedGraph``,
``correspondent``, ``derive_feistel_keys``); reference/proofs.md §3.3–§3.5.

Node ``v``'s 14 parents are its 6 base parents followed by its 8 expansion parents, the layout of a
parent cache row.  Two implementations sit behind :class:`StackedGraph`:

* :meth:`~StackedGraph.base_parents`, :meth:`~StackedGraph.expansion_parents` and
  :meth:`~StackedGraph.parents` follow the Rust code one node at a time (a ``ChaCha8Rng`` per node,
  one BLAKE2b per Feistel round): the readable reference.
* :meth:`~StackedGraph.parents_bytes` computes a whole range at once with numpy.  The ChaCha8
  streams of all nodes run side by side (:func:`.chacha.chacha_blocks`; a node's ten u64 draws
  fit in its first two blocks).  The Feistel round function ``F(R, k)`` depends only on the right
  half ``R`` (``half_bits`` bits, 14 for 512MiB) and the round key, so it is tabulated once per graph
  for every ``R`` and the three keys; the rounds and the cycle-walking are then array lookups.

Quirks kept on purpose, because the digests of the upstream caches depend on them: nodes 0 and 1
have six zero base parents; ``n_buckets = ceil(log2(5·v))`` is computed in f64; ApiVersion 1.0.0
puts the predecessor last and truncates the Feistel output to u32 before dividing by 8 (visible from
32GiB on); 1.1.0 and 1.2.0 put the predecessor first.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Iterator
from typing import Final

import numpy as np
import numpy.typing as npt

from .chacha import ChaCha8Rng, chacha_blocks
from .errors import InvalidSealInput
from .params import BASE_DEGREE, EXP_DEGREE, ApiVersion, SdrParams

__all__ = [
    "DEGREE",
    "DRSAMPLE_DST",
    "FEISTEL_DST",
    "FEISTEL_ROUNDS",
    "StackedGraph",
    "derive_drg_seed",
    "derive_feistel_keys",
]

DEGREE: Final = BASE_DEGREE + EXP_DEGREE
"""Parents per node, the u32s of one parent cache row (rust ``graph.rs`` ``DEGREE``)."""

DRSAMPLE_DST: Final = b"Filecoin_DRSample"
"""Domain tag of the DRG seed (rust ``crypto/mod.rs`` ``DRSAMPLE_DST``)."""
FEISTEL_DST: Final = b"Filecoin_Feistel"
"""Domain tag of the Feistel keys (rust ``crypto/mod.rs`` ``FEISTEL_DST``)."""
FEISTEL_ROUNDS: Final = 3
"""Feistel rounds; only keys k0..k2 of the four are used (rust ``feistel.rs``)."""

_M_PRIME: Final = BASE_DEGREE - 1  # random DRG parents per node; the sixth is the predecessor
_DRAWS: Final = 2 * _M_PRIME  # u64 draws per node: bucket and distance for each random parent
_BLOCKS_PER_NODE: Final = 2  # 10 u64 draws = 20 u32 words: two 16-word ChaCha blocks
_CHUNK_NODES: Final = 1 << 14  # nodes per numpy pass: keeps every lane array within L2 cache
_MASK32: Final = 0xFFFFFFFF


def derive_drg_seed(porep_id: bytes) -> bytes:
    """The 28-byte DRG seed: ``SHA256("Filecoin_DRSample" ‖ porep_id)[:28]`` (``derive_drg_seed``)."""
    return hashlib.sha256(DRSAMPLE_DST + porep_id).digest()[:28]


def derive_feistel_keys(porep_id: bytes) -> tuple[int, int, int, int]:
    """``SHA256("Filecoin_Feistel" ‖ porep_id)`` as four little-endian u64s (``derive_feistel_keys``)."""
    k0, k1, k2, k3 = struct.unpack("<4Q", hashlib.sha256(FEISTEL_DST + porep_id).digest())
    return k0, k1, k2, k3


def _feistel_precompute(num_elements: int) -> tuple[int, int, int]:
    """``(left_mask, right_mask, half_bits)``: the smallest ``4^h ≥ num_elements`` with ``h ≥ 1``."""
    half_bits = 1
    while 4**half_bits < num_elements:
        half_bits += 1
    right_mask = (1 << half_bits) - 1
    return right_mask << half_bits, right_mask, half_bits


def _feistel_round(right: int, key: int, right_mask: int) -> int:
    """``F(R, k)``: the first 8 bytes, big endian, of BLAKE2b-512(u64_be(R) ‖ u64_be(k)), masked."""
    digest = hashlib.blake2b(struct.pack(">QQ", right, key)).digest()
    return int.from_bytes(digest[:8], "big") & right_mask


def _ceil_log2(m: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """``ceil(log2(m))`` for ``m ≥ 2``, as rust's ``(m as f64).log2().ceil()``, without a log.

    ``ceil(log2(m))`` is the bit length of ``m − 1``, which ``frexp`` reads off exactly for
    ``m ≤ 2^53``.  It equals rust's f64 value for every ``m = 5·v`` with ``v < 2^32``: log2 is exact
    at powers of two, and elsewhere ``log2(m)`` is at least ``1/(m·ln 2) > 2^-36`` away from an
    integer, far more than an f64 rounding error at 35.  (numpy's SIMD log2 is not promised to be
    correctly rounded, so it is not used.)
    """
    return np.frexp((m - np.uint64(1)).astype(np.float64))[1].astype(np.uint64)


class StackedGraph:
    """The SDR graph of one sector size and porep_id: who the 14 parents of each node are.

    Cheap to build (two SHA-256s); the Feistel table behind :meth:`parents_bytes` is computed on
    first use.  Instances are picklable and compare equal by ``(nodes, porep_id, api_version)``.

    Args:
        nodes: 32-byte nodes of the sector (sector size / 32), 2 … 2^32−1.
        porep_id: 32 bytes (:func:`.params.porep_id`).
        api_version: decides the DRG parent order and the 1.0.0 truncation.

    Raises:
        InvalidSealInput: ``nodes`` out of range or ``porep_id`` not 32 bytes.
    """

    def __init__(self, nodes: int, porep_id: bytes, api_version: ApiVersion) -> None:
        if isinstance(nodes, bool) or not isinstance(nodes, int) or not 2 <= nodes <= _MASK32:
            raise InvalidSealInput(f"graph nodes must be an integer in 2..2^32-1, got '{nodes!r}'")
        if len(porep_id) != 32:
            raise InvalidSealInput(f"porep id must be '32' bytes, got '{len(porep_id)}'")
        self._nodes = nodes
        self._porep_id = bytes(porep_id)
        self._api_version = ApiVersion(api_version)
        self._drg_seed = derive_drg_seed(self._porep_id)
        self._feistel_keys = derive_feistel_keys(self._porep_id)
        self._feistel_elements = nodes * EXP_DEGREE
        self._left_mask, self._right_mask, self._half_bits = _feistel_precompute(self._feistel_elements)
        self._feistel_table: npt.NDArray[np.int64] | None = None

    @classmethod
    def for_params(cls, params: SdrParams) -> StackedGraph:
        """The graph of a seal proof's parameters (:func:`.params.sdr_params`)."""
        return cls(params.nodes, params.porep_id, params.api_version)

    def __repr__(self) -> str:
        return (
            f"StackedGraph(nodes={self._nodes}, porep_id={self._porep_id.hex()!r}, "
            f"api_version={self._api_version})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StackedGraph):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[int, bytes, ApiVersion]:
        return self._nodes, self._porep_id, self._api_version

    def __getstate__(self) -> tuple[int, bytes, str]:
        # Only the identity travels to worker processes; each rebuilds its own table.
        return self._nodes, self._porep_id, self._api_version.value

    def __setstate__(self, state: tuple[int, bytes, str]) -> None:
        nodes, porep, api = state
        StackedGraph.__init__(self, nodes, porep, ApiVersion(api))  # re-derive seeds and masks

    @property
    def nodes(self) -> int:
        """Nodes of the graph (sector size / 32)."""
        return self._nodes

    @property
    def porep_id(self) -> bytes:
        """The 32-byte porep_id the seeds derive from."""
        return self._porep_id

    @property
    def api_version(self) -> ApiVersion:
        """The proof's API version."""
        return self._api_version

    @property
    def drg_seed(self) -> bytes:
        """The 28-byte DRG seed (reference/proofs.md §3.3)."""
        return self._drg_seed

    @property
    def feistel_keys(self) -> tuple[int, int, int, int]:
        """The four Feistel keys k0..k3; rounds use k0..k2 (reference/proofs.md §3.3)."""
        return self._feistel_keys

    @property
    def half_bits(self) -> int:
        """Bits of each Feistel half: 5 for 2KiB, 11 for 8MiB, 14 for 512MiB."""
        return self._half_bits

    @property
    def _is_legacy(self) -> bool:
        return self._api_version is ApiVersion.V1_0_0

    def _check_node(self, v: int) -> None:
        if not 0 <= v < self._nodes:
            raise InvalidSealInput(f"node '{v}' is outside the graph of '{self._nodes}' nodes")

    # -- reference: one node at a time, as the Rust code ---------------------------------------

    def base_parents(self, v: int) -> list[int]:
        """Node ``v``'s 6 DRG parents (``BucketGraph::parents``), in the API version's order.

        Raises:
            InvalidSealInput: ``v`` is not a node of the graph.
        """
        self._check_node(v)
        if v < 2:
            return [0] * BASE_DEGREE
        rng = ChaCha8Rng(self._drg_seed + v.to_bytes(4, "little"))
        meta = v * _M_PRIME
        n_buckets = math.ceil(math.log2(float(meta)))  # f64, as rust
        drawn = []
        for _ in range(_M_PRIME):
            bucket = rng.next_u64() % n_buckets + 1
            largest = min(meta, 1 << bucket)
            smallest = max(2, largest >> 1)
            distance = smallest + rng.next_u64() % (largest - smallest + 1)
            parent = (meta - distance) // _M_PRIME
            drawn.append(v - 1 if parent == v else parent)
        return [*drawn, v - 1] if self._is_legacy else [v - 1, *drawn]

    def _encode_reference(self, index: int) -> int:
        left = (index & self._left_mask) >> self._half_bits
        right = index & self._right_mask
        for key in self._feistel_keys[:FEISTEL_ROUNDS]:
            left, right = right, left ^ _feistel_round(right, key, self._right_mask)
        return (left << self._half_bits) | right

    def _permute_reference(self, index: int) -> int:
        u = self._encode_reference(index)
        while u >= self._feistel_elements:  # cycle-walk back into the domain
            u = self._encode_reference(u)
        return u

    def expansion_parents(self, v: int) -> list[int]:
        """Node ``v``'s 8 expander parents: ``permute(8N, 8v+i) / 8`` (``correspondent``).

        Raises:
            InvalidSealInput: ``v`` is not a node of the graph.
        """
        self._check_node(v)
        parents = []
        for i in range(EXP_DEGREE):
            t = self._permute_reference(v * EXP_DEGREE + i)
            parents.append(((t & _MASK32) if self._is_legacy else t) // EXP_DEGREE)
        return parents

    def parents(self, v: int) -> list[int]:
        """Node ``v``'s 14 parents: base then expansion, one parent cache row.

        Raises:
            InvalidSealInput: ``v`` is not a node of the graph.
        """
        return self.base_parents(v) + self.expansion_parents(v)

    # -- fast: a range at once, with numpy -----------------------------------------------------

    def parents_bytes(self, start: int, stop: int) -> bytes:
        """Rows ``start … stop-1`` of the parent cache: 14 u32 little endian per node.

        Equal to ``b"".join(pack("<14I", *parents(v)) for v in range(start, stop))``, vectorised.

        Raises:
            InvalidSealInput: the range is empty or not inside the graph.
        """
        return b"".join(self.iter_parents_bytes(start, stop))

    def iter_parents_bytes(self, start: int, stop: int) -> Iterator[bytes]:
        """:meth:`parents_bytes` of ``start … stop-1`` in consecutive pieces of at most 2^14 rows.

        For writers: each piece is under 1 MiB, so a whole cache streams through a little memory
        that the allocator reuses, instead of fresh pages for one big buffer.

        Raises:
            InvalidSealInput: the range is empty or not inside the graph.
        """
        if not 0 <= start < stop <= self._nodes:
            raise InvalidSealInput(f"node range '{start}..{stop}' is not inside 0..'{self._nodes}'")
        for lo in range(start, stop, _CHUNK_NODES):
            hi = min(stop, lo + _CHUNK_NODES)
            rows = np.empty((hi - lo, DEGREE), dtype="<u4")
            rows[:, :BASE_DEGREE] = self._base_parents_array(lo, hi)
            rows[:, BASE_DEGREE:] = self._expansion_parents_array(lo, hi)
            yield rows.tobytes()

    def _base_parents_array(self, start: int, stop: int) -> npt.NDArray[np.uint32]:
        out = np.zeros((stop - start, BASE_DEGREE), dtype=np.uint32)
        first = max(start, 2)  # nodes 0 and 1 keep six zero parents
        if first >= stop:
            return out
        v = np.arange(first, stop, dtype=np.uint64)
        keys = np.empty((v.size, 8), dtype=np.uint32)
        keys[:, :7] = np.frombuffer(self._drg_seed, dtype="<u4")
        keys[:, 7] = v
        words = chacha_blocks(keys, 0, _BLOCKS_PER_NODE, ChaCha8Rng.ROUNDS)[:, : 2 * _DRAWS]
        words64 = words.astype(np.uint64)
        draws = words64[:, 0::2] | (words64[:, 1::2] << np.uint64(32))  # next_u64: low word first
        meta = v * np.uint64(_M_PRIME)
        n_buckets = _ceil_log2(meta)
        one, two = np.uint64(1), np.uint64(2)
        predecessor = v - one
        drawn = []
        for j in range(_M_PRIME):
            bucket = draws[:, 2 * j] % n_buckets + one
            largest = np.minimum(meta, np.left_shift(one, bucket))
            smallest = np.maximum(two, largest >> one)
            distance = smallest + draws[:, 2 * j + 1] % (largest - smallest + one)
            parent = (meta - distance) // np.uint64(_M_PRIME)
            drawn.append(np.where(parent == v, predecessor, parent))
        columns = [*drawn, predecessor] if self._is_legacy else [predecessor, *drawn]
        out[first - start :] = np.stack(columns, axis=1).astype(np.uint32)
        return out

    def _table(self) -> npt.NDArray[np.int64]:
        """``F(R, k_r)`` for every right half ``R`` and round ``r``: shape ``(3, 2^half_bits)``."""
        if self._feistel_table is None:
            size = 1 << self._half_bits
            table = np.empty((FEISTEL_ROUNDS, size), dtype=np.int64)
            for r, key in enumerate(self._feistel_keys[:FEISTEL_ROUNDS]):
                key_be = key.to_bytes(8, "big")
                table[r] = [
                    int.from_bytes(hashlib.blake2b(right.to_bytes(8, "big") + key_be).digest()[:8], "big")
                    & self._right_mask
                    for right in range(size)
                ]
            self._feistel_table = table
        return self._feistel_table

    def _encode_array(self, x: npt.NDArray[np.int64], table: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        left = x >> self._half_bits
        right = x & self._right_mask
        for r in range(FEISTEL_ROUNDS):
            left, right = right, left ^ np.take(table[r], right)
        return (left << self._half_bits) | right

    def _expansion_parents_array(self, start: int, stop: int) -> npt.NDArray[np.uint32]:
        table = self._table()
        index = np.arange(start * EXP_DEGREE, stop * EXP_DEGREE, dtype=np.int64)
        u = self._encode_array(index, table)
        walking = np.flatnonzero(u >= self._feistel_elements)
        while walking.size:  # cycle-walk the lanes still outside the domain
            again = self._encode_array(u[walking], table)
            u[walking] = again
            walking = walking[again >= self._feistel_elements]
        if self._is_legacy:
            u &= _MASK32
        return (u // EXP_DEGREE).astype(np.uint32).reshape(stop - start, EXP_DEGREE)
