"""Poseidon over BLS12-381's Fr as Filecoin hashes with it: tree_c columns, tree_r_last, comm_r.

Counterpart: neptune ``src/poseidon.rs`` (``Poseidon::hash``, OptimizedStatic mode) and
``src/poseidon_alt.rs`` (``hash_correct``), called through rust-fil-proofs
``filecoin-hashers/src/poseidon.rs``; reference/proofs.md §4.  Constants: :mod:`.poseidon_constants`.

Each operation comes twice behind one signature, as DESIGN.md asks of proof kernels:
``poseidon_hash_reference`` is the definition of §4.1 read aloud (state ``[2^a − 1, x_1 … x_a]``,
RF/2 full rounds, RP partial rounds, RF/2 full rounds, output element 1); ``poseidon_hash`` is the
fast path, and the batch helpers (``hash_groups``, ``hash_columns``) have ``*_reference`` twins.
A native back end can replace the fast names without touching callers.

The fast path is a straight-line function generated once per arity from the constants
(:func:`poseidon_kernel_source` shows it) with every constant a literal.  It runs neptune's
OptimizedStatic algebra (sparse partial rounds, compressed constants) plus three rewrites of its own,
all exact in Fr:

- *integer MDS*: the Cauchy matrix is ``N/L`` with ``L = lcm(t … 3t−2)`` and ``N`` small integers
  (8 bits for t = 3, 32 for t = 9, 44 for t = 12), and the S-box is homogeneous,
  ``(λx)^5 = λ^5·x^5``; so the full rounds keep the state scaled by a known factor ``λ`` (folded
  into the constants, multiplied out at the end) and multiply by ``N``: no 255-bit products and no
  reduction in their linear layer;
- *unit pivot*: the partial rounds keep element 0 scaled so that the S-box output enters the sparse
  product with coefficient 1;
- *lazy reduction*: a sum of products is reduced once; the partial rounds' elements ``1 … t−1`` only
  ever gain products and are reduced once, after the last partial round (they grow to ~516 bits).

What remains is the S-box, ``q = x·x mod r; y = q·q·x mod r``: two reductions per S-box are the cost
floor in CPython (a 255-bit product costs ~0.1 µs here, its reduction ~0.2 µs).
"""

from __future__ import annotations

import functools
import linecache
import math
from collections.abc import Callable, Iterable, Sequence
from itertools import starmap

from .errors import InvalidFieldElement
from .field import FR_MODULUS, FR_SIZE, fr_from_bytes, fr_to_bytes
from .poseidon_constants import PoseidonConstants, poseidon_constants

__all__ = [
    "PoseidonConstants",
    "hash_columns",
    "hash_columns_reference",
    "hash_groups",
    "hash_groups_reference",
    "poseidon_constants",
    "poseidon_hash",
    "poseidon_hash_nodes",
    "poseidon_hash_reference",
    "poseidon_kernel_source",
]

_Kernel = Callable[..., int]
"""A generated kernel: ``arity`` canonical elements as positional arguments, the hash out."""

_BufferLike = bytes | bytearray | memoryview


# ---------------------------------------------------------------------------------------------------
# Reference
# ---------------------------------------------------------------------------------------------------


def poseidon_hash_reference(elements: Sequence[int]) -> int:
    """Poseidon of ``elements`` exactly as reference/proofs.md §4.1 defines it (neptune ``hash_correct``).

    Every round adds its ``t`` round constants to every element, applies ``x^5`` to all elements (full
    round) or to element 0 (partial round), then multiplies by the MDS matrix,
    ``new[j] = Σ_i M[i][j]·state[i]``.  Slow (~0.4 ms for arity 2) but plainly correct; the tests
    hold :func:`poseidon_hash` to it.

    Args:
        elements: the preimage; its length is the arity (2, 4, 8, 11, 16, 24 or 36).

    Returns:
        The hash, an integer in ``[0, r)``.

    Raises:
        ValueError: the number of elements is not a supported arity.
        InvalidFieldElement: an element is not in ``[0, r)``.
    """
    constants = poseidon_constants(len(elements))
    _check_elements(elements)
    width = constants.width
    mds = constants.mds
    first_partial = constants.full_rounds // 2
    state = [constants.domain_tag, *elements]
    for round_index in range(constants.full_rounds + constants.partial_rounds):
        state = [
            (x + c) % FR_MODULUS
            for x, c in zip(state, constants.round_constants_of(round_index), strict=True)
        ]
        if first_partial <= round_index < first_partial + constants.partial_rounds:
            state[0] = pow(state[0], 5, FR_MODULUS)
        else:
            state = [pow(x, 5, FR_MODULUS) for x in state]
        state = [sum(mds[i][j] * state[i] for i in range(width)) % FR_MODULUS for j in range(width)]
    return state[1]


def hash_groups_reference(arity: int, data: _BufferLike) -> bytearray:
    """:func:`hash_groups` element by element through :func:`poseidon_hash_reference`, for tests."""
    poseidon_constants(arity)
    group_bytes = arity * FR_SIZE
    view = _bytes_view(data)
    _check_length(len(view), group_bytes, f"data for arity '{arity}'")
    out = bytearray()
    for start in range(0, len(view), group_bytes):
        elements = [
            fr_from_bytes(view[offset : offset + FR_SIZE], f"element '{offset // FR_SIZE}' of the input")
            for offset in range(start, start + group_bytes, FR_SIZE)
        ]
        out += fr_to_bytes(poseidon_hash_reference(elements))
    return out


def hash_columns_reference(layers: Sequence[_BufferLike]) -> bytearray:
    """:func:`hash_columns` node by node through :func:`poseidon_hash_reference`, for tests."""
    poseidon_constants(len(layers))
    views = [_bytes_view(layer) for layer in layers]
    nodes = _check_layers(views)
    out = bytearray()
    for node in range(nodes):
        offset = node * FR_SIZE
        column = [
            fr_from_bytes(view[offset : offset + FR_SIZE], f"element '{node}' of layer '{index}'")
            for index, view in enumerate(views)
        ]
        out += fr_to_bytes(poseidon_hash_reference(column))
    return out


# ---------------------------------------------------------------------------------------------------
# Fast path
# ---------------------------------------------------------------------------------------------------


def poseidon_hash(elements: Sequence[int]) -> int:
    """Poseidon of ``elements``: same result as :func:`poseidon_hash_reference`, 2.5–5× faster.

    Vectors: reference/proofs.md §4.2 (``poseidon_hash([0, 1]) == 0x3965…e7ff``).

    Args:
        elements: the preimage; its length is the arity (2, 4, 8, 11, 16, 24 or 36).

    Returns:
        The hash, an integer in ``[0, r)``.

    Raises:
        ValueError: the number of elements is not a supported arity.
        InvalidFieldElement: an element is not in ``[0, r)``.
    """
    kernel = _kernel(len(elements))
    if min(elements) < 0 or max(elements) >= FR_MODULUS:
        _check_elements(elements)
    return kernel(*elements)


def poseidon_hash_nodes(nodes: Sequence[_BufferLike]) -> bytes:
    """Poseidon of 32-byte little-endian elements, as a 32-byte little-endian element.

    This is rust-fil-proofs' ``PoseidonFunction::hash_multi`` on serialised nodes.

    Raises:
        ValueError: the number of nodes is not a supported arity.
        InvalidFieldElement: a node is not 32 bytes, or encodes a value ≥ r.
    """
    kernel = _kernel(len(nodes))
    values = [fr_from_bytes(node, f"element '{index}' of the preimage") for index, node in enumerate(nodes)]
    return fr_to_bytes(kernel(*values))


def hash_groups(arity: int, data: _BufferLike) -> bytearray:
    """Hash each run of ``arity`` consecutive 32-byte elements of ``data``: one Merkle tree level up.

    Args:
        arity: elements per hash (8 for tree_c and tree_r_last, 2 for binary trees).
        data: ``n·arity`` canonical 32-byte little-endian elements.

    Returns:
        ``n`` hashes, 32 bytes little endian each, in order.

    Raises:
        ValueError: ``arity`` is unsupported or ``len(data)`` is not a multiple of ``arity·32``.
        InvalidFieldElement: an element encodes a value ≥ r; the message gives its index in ``data``.
    """
    kernel = _kernel(arity)
    view = _bytes_view(data)
    _check_length(len(view), arity * FR_SIZE, f"data for arity '{arity}'")
    values = _elements_of(view, "the input")
    return _serialise(starmap(kernel, zip(*[iter(values)] * arity, strict=True)))


def hash_columns(layers: Sequence[_BufferLike]) -> bytearray:
    """Hash the columns of ``layers``: output node ``v`` is ``Poseidon(layers[0][v], …, layers[L−1][v])``.

    This is tree_c's leaf level: the SDR labels of one node across all layers (reference/proofs.md
    Appendix A, ``col(v)``).

    Args:
        layers: ``L`` buffers of the same length, each of 32-byte canonical elements; ``L`` is the
            arity: 2 for sectors up to 1GiB, 11 for 32GiB and 64GiB (reference/proofs.md §3.1).

    Returns:
        One 32-byte hash per node.

    Raises:
        ValueError: ``L`` is unsupported, or the buffers differ in length or are not whole elements.
        InvalidFieldElement: an element encodes a value ≥ r; the message names node and layer index.
    """
    kernel = _kernel(len(layers))
    views = [_bytes_view(layer) for layer in layers]
    _check_layers(views)
    columns = [_elements_of(view, f"layer '{index}'") for index, view in enumerate(views)]
    return _serialise(map(kernel, *columns))


def poseidon_kernel_source(arity: int) -> str:
    """The Python source of the fast kernel for ``arity``, as generated (for reading and profiling).

    Raises:
        ValueError: ``arity`` is not supported.
    """
    return _KernelWriter(poseidon_constants(arity)).source()


# ---------------------------------------------------------------------------------------------------
# Input checks and conversions
# ---------------------------------------------------------------------------------------------------


def _check_elements(elements: Sequence[int]) -> None:
    """Refuse an element outside ``[0, r)``: neptune never reduces its inputs."""
    for index, value in enumerate(elements):
        if not 0 <= value < FR_MODULUS:
            raise InvalidFieldElement(
                f"element '{index}' of the preimage '{value:#x}' is not in the field (0 <= value < r)"
            )


def _check_length(length: int, unit: int, what: str) -> None:
    if length % unit:
        raise ValueError(f"{what} is '{length}' bytes, not a multiple of '{unit}'")


def _bytes_view(data: _BufferLike) -> memoryview:
    """``data`` as a flat view of bytes, so that ``len`` counts bytes whatever the buffer's format."""
    return memoryview(data).cast("B")


def _check_layers(layers: Sequence[memoryview]) -> int:
    """The number of nodes in each of ``layers``, after checking they agree and hold whole elements."""
    lengths = {len(layer) for layer in layers}
    if len(lengths) != 1:
        raise ValueError(f"layers differ in length: '{sorted(lengths)}' bytes")
    (length,) = lengths
    _check_length(length, FR_SIZE, "each layer")
    return length // FR_SIZE


def _elements_of(view: memoryview, what: str) -> list[int]:
    """``view`` (whole elements) as a list of ints, refusing any value ≥ r (checked once, on the maximum)."""
    from_bytes = int.from_bytes
    values = [
        from_bytes(view[offset : offset + FR_SIZE], "little") for offset in range(0, len(view), FR_SIZE)
    ]
    if values and max(values) >= FR_MODULUS:
        index = next(i for i, value in enumerate(values) if value >= FR_MODULUS)
        offset = index * FR_SIZE
        fr_from_bytes(view[offset : offset + FR_SIZE], f"element '{index}' of {what}")
    return values


def _serialise(results: Iterable[int]) -> bytearray:
    return bytearray(b"".join([value.to_bytes(FR_SIZE, "little") for value in results]))


# ---------------------------------------------------------------------------------------------------
# Kernel generation
# ---------------------------------------------------------------------------------------------------


@functools.cache
def _kernel(arity: int) -> _Kernel:
    """The compiled kernel for ``arity`` (generated on first use, a few ms after the constants)."""
    source = _KernelWriter(poseidon_constants(arity)).source()
    filename = f"<poseidon kernel arity {arity}>"
    # Registered so tracebacks and profilers can show the generated lines.
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace: dict[str, object] = {"R": FR_MODULUS}
    exec(compile(source, filename, "exec"), namespace)
    kernel = namespace[f"poseidon_{arity}"]
    assert callable(kernel)
    return kernel


def _inv(value: int) -> int:
    return pow(value, -1, FR_MODULUS)


class _KernelWriter:
    """Writes the straight-line kernel of one arity; see the module docstring for the rewrites.

    Names in the generated code: ``s0 … s{t−1}`` the state, ``y0 …`` S-box outputs, ``q`` a square,
    ``R`` the modulus.  Scale bookkeeping (all exact in Fr): in the full rounds the true state is
    ``λ·s`` (``self.scale``); in the partial rounds the true element 0 plus its next constant is
    ``σ·s0`` (``pivot_scale`` in :meth:`partial_rounds`) while ``s1 …`` are unscaled, and ``σ`` is
    chosen so that the S-box output enters the next ``s0`` with coefficient 1.
    """

    def __init__(self, constants: PoseidonConstants) -> None:
        self.c = constants
        self.t = constants.width
        self.denominator = math.lcm(*range(self.t, 3 * self.t - 1))
        # M[i][j] = 1/(i + j + t) = N[i][j]/L with N[i][j] = L/(i + j + t).
        self.numerators = [
            [self.denominator // (i + j + self.t) for j in range(self.t)] for i in range(self.t)
        ]
        self.lines: list[str] = []
        self.scale = 1

    def source(self) -> str:
        c, t = self.c, self.t
        half = c.full_rounds // 2
        args = ", ".join(f"x{i}" for i in range(1, t))
        self.lines = [f"def poseidon_{c.arity}({args}):"]
        self.emit(f"# poseidon_constants({c.arity}): width {t}, RF {c.full_rounds}, RP {c.partial_rounds}")
        self.first_round()
        for round_index in range(1, half - 1):
            self.full_round(round_index, c.round_constants_of(round_index + 1))
        self.entry_round(half - 1)
        self.partial_rounds(half)
        self.scale = 1
        first_final = half + c.partial_rounds
        for round_index in range(first_final, first_final + half - 1):
            self.full_round(round_index, c.round_constants_of(round_index + 1))
        self.output_round(first_final + half - 1)
        return "\n".join(self.lines) + "\n"

    def emit(self, line: str) -> None:
        self.lines.append("    " + line)

    def sbox(self, source: str, target: str) -> None:
        """``target = source^5 mod r`` with two reductions (fewer cost more: the operands grow)."""
        self.emit(f"q = {source} * {source} % R")
        self.emit(f"{target} = q * q * {source} % R")

    def integer_mds(self, next_constants: Sequence[int]) -> None:
        """``s_j = Σ_i N[i][j]·y_i + c_j/λ'``: the MDS product on the scaled state, next constants added."""
        self.scale = pow(self.scale, 5, FR_MODULUS) * _inv(self.denominator) % FR_MODULUS
        unscale = _inv(self.scale)
        for j in range(self.t):
            terms = " + ".join(f"{self.numerators[i][j]} * y{i}" for i in range(self.t))
            self.emit(f"s{j} = {terms} + {next_constants[j] * unscale % FR_MODULUS:#x}")

    def first_round(self) -> None:
        """Round 0: inputs plus constants; the domain tag's S-box output is folded into the constants."""
        c, t = self.c, self.t
        self.emit("# full round 0: element 0 is the domain tag, so its S-box output is a constant")
        constants = c.round_constants_of(0)
        for i in range(1, t):
            self.emit(f"s{i} = x{i} + {constants[i]:#x}")
            self.sbox(f"s{i}", f"y{i}")
        y0 = pow(c.domain_tag + constants[0], 5, FR_MODULUS)
        self.scale = _inv(self.denominator)
        next_constants = c.round_constants_of(1)
        for j in range(t):
            terms = " + ".join(f"{self.numerators[i][j]} * y{i}" for i in range(1, t))
            folded = (self.numerators[0][j] * y0 + next_constants[j] * self.denominator) % FR_MODULUS
            self.emit(f"s{j} = {terms} + {folded:#x}")

    def full_round(self, round_index: int, next_constants: Sequence[int]) -> None:
        self.emit(f"# full round {round_index}")
        for i in range(self.t):
            self.sbox(f"s{i}", f"y{i}")
        self.integer_mds(next_constants)

    def entry_round(self, round_index: int) -> None:
        """The last full round before the partial rounds: dense ``M·diag(1, M̂^RP)``, scale back to 1."""
        c, t = self.c, self.t
        self.emit(f"# full round {round_index}: MDS times the factor pushed out of the partial rounds")
        for i in range(t):
            self.sbox(f"s{i}", f"y{i}")
        scale5 = pow(self.scale, 5, FR_MODULUS)
        for j in range(t):
            terms = " + ".join(
                f"{c.pre_sparse_matrix[i][j] * scale5 % FR_MODULUS:#x} * y{i}" for i in range(t)
            )
            constant = c.partial_constants[0] if j == 0 else 0
            self.emit(f"s{j} = ({terms} + {constant:#x}) % R")
        self.scale = 1

    def partial_rounds(self, first_round: int) -> None:
        """The sparse partial rounds; elements ``1 …`` are reduced only after the last one."""
        c = self.c
        pivot_scale = 1
        last = c.partial_rounds - 1
        for k, sparse in enumerate(c.sparse_matrices):
            self.emit(f"# partial round {first_round + k}")
            self.sbox("s0", "y")
            scale5 = pow(pivot_scale, 5, FR_MODULUS)
            next_scale = 1 if k == last else sparse.m00 * scale5 % FR_MODULUS
            unscale = _inv(next_scale)
            next_constant = c.post_partial_constants[0] if k == last else c.partial_constants[k + 1]
            y_coefficient = sparse.m00 * scale5 * unscale % FR_MODULUS
            terms = ["y" if y_coefficient == 1 else f"{y_coefficient:#x} * y"]
            terms += [f"{w * unscale % FR_MODULUS:#x} * s{i}" for i, w in enumerate(sparse.w, start=1)]
            self.emit(f"s0 = ({' + '.join(terms)} + {next_constant * unscale % FR_MODULUS:#x}) % R")
            for i, v in enumerate(sparse.v, start=1):
                product = f"{v * scale5 % FR_MODULUS:#x} * y"
                if k == last:
                    self.emit(f"s{i} = (s{i} + {product} + {c.post_partial_constants[i]:#x}) % R")
                else:
                    self.emit(f"s{i} += {product}")
            pivot_scale = next_scale

    def output_round(self, round_index: int) -> None:
        """The last full round: all S-boxes, then only column 1 of the MDS product, scale multiplied out."""
        self.emit(f"# full round {round_index}: only element 1 of the MDS product is the hash")
        for i in range(self.t):
            self.sbox(f"s{i}", f"y{i}")
        self.scale = pow(self.scale, 5, FR_MODULUS) * _inv(self.denominator) % FR_MODULUS
        terms = " + ".join(f"{self.numerators[i][1]} * y{i}" for i in range(self.t))
        self.emit(f"return ({terms}) * {self.scale:#x} % R")
