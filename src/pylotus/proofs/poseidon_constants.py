"""Poseidon's constants as neptune derives them: round numbers, Grain LFSR round constants, Cauchy MDS.

Counterpart: neptune ``src/round_constants.rs`` (``generate_constants``), ``src/mds.rs``
(``generate_mds``, ``derive_mds_matrices``), ``src/round_numbers.rs`` and ``src/preprocessing.rs``
(``compress_round_constants``), as rust-fil-proofs ``filecoin-hashers/src/poseidon_types.rs`` builds
them (``PoseidonConstants::new()``: Standard strength, MerkleTree hash type); reference/proofs.md §4.1.

Two families of data live here, both pure functions of the arity:

- what the Poseidon definition names (the "correct" permutation): width, round numbers, domain tag,
  ``(RF + RP)·t`` round constants, the MDS matrix;
- the same permutation rewritten for speed (neptune's ``OptimizedStatic`` mode, Poseidon paper
  appendix B): during a partial round only element 0 passes the S-box, so the constants of the other
  elements are pushed forward through the linear layers (:func:`_compress_partial_constants`), and the
  MDS matrix of every partial round is split into a block-diagonal factor, which slides back into the
  round before, and a sparse factor with a dense first row and column and an identity elsewhere
  (:func:`_sparse_factorisation`).  The tests hold the two equal.

All matrices are applied to a row vector, as neptune does: ``new[j] = Σ_i m[i][j]·state[i]``.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from .field import FR_MODULUS

__all__ = [
    "FULL_ROUNDS",
    "PARTIAL_ROUNDS",
    "PoseidonConstants",
    "SparseMatrix",
    "poseidon_constants",
]

FULL_ROUNDS: Final = 8
"""RF: 4 full rounds before the partial rounds and 4 after, for every width (neptune ``round_numbers.rs``)."""

PARTIAL_ROUNDS: Final[dict[int, int]] = {2: 55, 4: 56, 8: 57, 11: 57, 16: 59, 24: 59, 36: 60}
"""RP by arity at Standard strength (neptune ``round_numbers.rs`` tests; reference/proofs.md §4.1 table).

These are the arities rust-fil-proofs instantiates (``POSEIDON_CONSTANTS_{2,4,8,11,16,24,36}``).
"""

_FIELD_BITS: Final = 255
"""Bit length of r: each Grain candidate is 255 bits and the Grain header records it."""

# Grain LFSR header fields (reference/proofs.md §4.1): field type 1 = prime field, S-box type 1 = x^5.
_GRAIN_FIELD_PRIME: Final = 1
_GRAIN_SBOX_QUINTIC: Final = 1
# b[i+80] = b[i+62] ^ b[i+51] ^ b[i+38] ^ b[i+23] ^ b[i+13] ^ b[i]; the nearest tap is 18 bits behind
# the new bit, so 18 bits can be produced per step.  The register holds the last 80 bits, the oldest
# as its most significant bit; the tap at offset d of a step is ``register >> (62 - d)``.
_GRAIN_STATE_BITS: Final = 80
_GRAIN_STEP_BITS: Final = 18
_GRAIN_TAP_SHIFTS: Final = (11, 24, 39, 49, 62)  # offsets 51, 38, 23, 13, 0; offset 62 is shift 0
_GRAIN_DISCARDED_BITS: Final = 160
_GRAIN_BLOCK_STEPS: Final = 512
_BIT_CHAR_TO_BIT: Final = bytes.maketrans(b"01", b"\x00\x01")


@dataclass(frozen=True)
class SparseMatrix:
    """One partial round's sparse MDS factor: identity but for the first row and the first column.

    Applied to a state ``s`` (row vector): ``new[0] = m00·s[0] + Σ_i w[i]·s[1 + i]`` and
    ``new[1 + j] = s[1 + j] + v[j]·s[0]`` — ``2t − 1`` products instead of ``t²``.
    neptune calls ``w`` (with ``m00`` in front) ``w_hat`` and ``v`` ``v_rest`` (``mds.rs``).
    """

    m00: int
    v: tuple[int, ...]
    w: tuple[int, ...]


@dataclass(frozen=True)
class PoseidonConstants:
    """Everything Poseidon needs for one arity (reference/proofs.md §4.1).

    The first block of fields defines the permutation; the second is the same permutation
    precomputed for the fast path (module docstring), in the order it is used:

    - rounds ``0 … RF/2 − 2`` are plain full rounds;
    - round ``RF/2 − 1`` is a full round whose MDS product uses ``pre_sparse_matrix`` and whose next
      constant is ``partial_constants[0]``, added to element 0 only;
    - partial round ``k`` adds ``partial_constants[k]`` to element 0, S-boxes it and multiplies by
      ``sparse_matrices[k]``;
    - ``post_partial_constants`` (a full vector) is added after the last partial round, and the last
      ``RF/2`` full rounds run as usual with their own round constants.
    """

    arity: int
    width: int
    full_rounds: int
    partial_rounds: int
    domain_tag: int
    round_constants: tuple[int, ...]
    mds: tuple[tuple[int, ...], ...]

    pre_sparse_matrix: tuple[tuple[int, ...], ...]
    partial_constants: tuple[int, ...]
    sparse_matrices: tuple[SparseMatrix, ...]
    post_partial_constants: tuple[int, ...]

    def round_constants_of(self, round_index: int) -> tuple[int, ...]:
        """The ``width`` constants added at the start of round ``round_index`` (0-based, all rounds)."""
        start = round_index * self.width
        return self.round_constants[start : start + self.width]


@functools.cache
def poseidon_constants(arity: int) -> PoseidonConstants:
    """The constants of Poseidon with ``arity`` inputs (width ``arity + 1``), computed once per arity.

    Args:
        arity: number of elements hashed at once; one of :data:`PARTIAL_ROUNDS`' keys.

    Returns:
        The frozen constants; Grain generation and the factorisation take 10–300 ms the first time.

    Raises:
        ValueError: ``arity`` is not one Filecoin instantiates.
    """
    if arity not in PARTIAL_ROUNDS:
        supported = ", ".join(str(a) for a in PARTIAL_ROUNDS)
        raise ValueError(f"poseidon arity '{arity}' is not supported; use one of {supported}")
    width = arity + 1
    partial_rounds = PARTIAL_ROUNDS[arity]
    round_constants = _grain_round_constants(width, FULL_ROUNDS, partial_rounds)
    mds = _cauchy_mds(width)
    partial_constants, post_partial_constants = _compress_partial_constants(
        round_constants, mds, FULL_ROUNDS, partial_rounds
    )
    pre_sparse_matrix, sparse_matrices = _sparse_factorisation(mds, partial_rounds)
    return PoseidonConstants(
        arity=arity,
        width=width,
        full_rounds=FULL_ROUNDS,
        partial_rounds=partial_rounds,
        # MerkleTree hash type: 2^arity − 1 (neptune ``hash_type.rs``).
        domain_tag=(1 << arity) - 1,
        round_constants=round_constants,
        mds=mds,
        pre_sparse_matrix=pre_sparse_matrix,
        partial_constants=partial_constants,
        sparse_matrices=sparse_matrices,
        post_partial_constants=post_partial_constants,
    )


# ---------------------------------------------------------------------------------------------------
# Round constants: the Grain LFSR in self-shrinking mode (hadeshash ``create_rcs_grain.sage``)
# ---------------------------------------------------------------------------------------------------


def _grain_round_constants(width: int, full_rounds: int, partial_rounds: int) -> tuple[int, ...]:
    """``(full_rounds + partial_rounds)·width`` round constants, in the order the rounds use them.

    Each candidate is the next 255 output bits read most significant first; a candidate ≥ r is
    dropped and the next one drawn (neptune ``round_constants.rs``, reference/proofs.md §4.1).
    """
    count = (full_rounds + partial_rounds) * width
    header = (
        f"{_GRAIN_FIELD_PRIME:02b}{_GRAIN_SBOX_QUINTIC:04b}{_FIELD_BITS:012b}"
        f"{width:012b}{full_rounds:010b}{partial_rounds:010b}" + "1" * 30
    )
    bits = _grain_output_bits(int(header, 2))
    buffer = ""
    constants: list[int] = []
    while len(constants) < count:
        while len(buffer) < _FIELD_BITS:
            buffer += next(bits)
        candidate = int(buffer[:_FIELD_BITS], 2)
        buffer = buffer[_FIELD_BITS:]
        if candidate < FR_MODULUS:
            constants.append(candidate)
    return tuple(constants)


def _grain_output_bits(register: int) -> Iterator[str]:
    """The self-shrunk Grain output as ``'0'``/``'1'`` strings, block after block, without end.

    The LFSR runs 18 bits per step (see ``_GRAIN_TAP_SHIFTS``); its first 160 bits are dropped, then
    the bits are read in pairs ``(a, b)`` and ``b`` is output when ``a`` is 1.
    """
    state_mask = (1 << _GRAIN_STATE_BITS) - 1
    step_mask = (1 << _GRAIN_STEP_BITS) - 1
    shift_a, shift_b, shift_c, shift_d, shift_e = _GRAIN_TAP_SHIFTS
    to_discard = _GRAIN_DISCARDED_BITS
    carry = ""  # an odd bit left over from the previous block, first of its pair
    while True:
        chunks = []
        for _ in range(_GRAIN_BLOCK_STEPS):
            new = (
                register
                ^ (register >> shift_a)
                ^ (register >> shift_b)
                ^ (register >> shift_c)
                ^ (register >> shift_d)
                ^ (register >> shift_e)
            ) & step_mask
            register = ((register << _GRAIN_STEP_BITS) | new) & state_mask
            chunks.append(f"{new:018b}")
        raw = carry + "".join(chunks)
        if to_discard:
            raw, to_discard = raw[to_discard:], 0
        even = len(raw) & ~1
        raw, carry = raw[:even], raw[even:]
        selectors = raw[0::2].encode().translate(_BIT_CHAR_TO_BIT)
        yield "".join(itertools.compress(raw[1::2], selectors))


# ---------------------------------------------------------------------------------------------------
# MDS matrix and the optimised form of the partial rounds
# ---------------------------------------------------------------------------------------------------

Matrix = tuple[tuple[int, ...], ...]


def _cauchy_mds(width: int) -> Matrix:
    """neptune's Cauchy matrix ``M[i][j] = 1/(x_i + y_j)``, ``x_i = i``, ``y_j = width + j`` (symmetric)."""
    return tuple(tuple(pow(i + j + width, -1, FR_MODULUS) for j in range(width)) for i in range(width))


def _compress_partial_constants(
    round_constants: tuple[int, ...], mds: Matrix, full_rounds: int, partial_rounds: int
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Move the partial rounds' constants of elements ``1 … t−1`` forward, out of the partial rounds.

    A constant added to an element that skips the S-box can just as well be added after the MDS
    product, as its image ``c·M``; carried forward round by round, these images all land on the
    constants of the first full round after the partial rounds.

    Returns:
        ``(partial_constants, post_partial_constants)``: one scalar per partial round (for element
        0), and the full vector added after the last partial round.
    """
    width = len(mds)
    first_partial = full_rounds // 2
    carried = (0,) * width
    scalars = []
    for k in range(partial_rounds):
        start = (first_partial + k) * width
        effective = [
            (c + d) % FR_MODULUS for c, d in zip(round_constants[start : start + width], carried, strict=True)
        ]
        scalars.append(effective[0])
        carried = _vec_mat((0, *effective[1:]), mds)
    start = (first_partial + partial_rounds) * width
    after = tuple(
        (c + d) % FR_MODULUS for c, d in zip(round_constants[start : start + width], carried, strict=True)
    )
    return tuple(scalars), after


def _sparse_factorisation(mds: Matrix, partial_rounds: int) -> tuple[Matrix, tuple[SparseMatrix, ...]]:
    """Split each partial round's MDS product into a sparse matrix and a factor pushed back a round.

    A matrix ``X = [[x00, x01], [x10, X̂]]`` equals ``A·B`` with ``A = diag(1, X̂)`` and ``B`` sparse:
    ``B = [[x00, x01], [X̂⁻¹·x10, I]]``.  ``A`` leaves element 0 alone, so it commutes with a partial
    round's S-box and its element-0 constant and moves into the previous round's matrix, ``M·A``;
    working back from the last partial round, round ``k``'s ``X̂`` is ``M̂^(RP−k)`` (``M̂`` = ``M``
    without row and column 0), its first column is always ``M``'s, and the ``A`` left over at the
    start joins the last full round before the partial rounds.  One inversion of ``M̂`` serves all.

    Returns:
        ``(pre_sparse_matrix, sparse_matrices)``: ``M·diag(1, M̂^RP)`` for the full round before the
        partial rounds, and one :class:`SparseMatrix` per partial round, first round first.
    """
    width = len(mds)
    m00 = mds[0][0]
    first_row = mds[0][1:]
    first_column = tuple(row[0] for row in mds[1:])
    m_hat = tuple(row[1:] for row in mds[1:])
    m_hat_inverse = _invert(m_hat)

    matrices: list[SparseMatrix] = []
    v = first_row  # x01 of round k = M[0][1:]·M̂^(RP−1−k)
    w = _mat_vec(m_hat_inverse, first_column)  # X̂⁻¹·x10 of round k = M̂^−(RP−k)·M[1:][0]
    for _ in range(partial_rounds):  # last partial round first
        matrices.append(SparseMatrix(m00=m00, v=v, w=w))
        v = _vec_mat(v, m_hat)
        w = _mat_vec(m_hat_inverse, w)
    matrices.reverse()

    a_hat = _mat_pow(m_hat, partial_rounds)
    block_diagonal = ((1, *[0] * (width - 1)), *((0, *row) for row in a_hat))  # diag(1, M̂^RP)
    return _mat_mul(mds, block_diagonal), tuple(matrices)


def _vec_mat(vector: tuple[int, ...], matrix: Matrix) -> tuple[int, ...]:
    """Row vector times matrix, mod r."""
    return tuple(
        sum(x * row[j] for x, row in zip(vector, matrix, strict=True)) % FR_MODULUS
        for j in range(len(matrix[0]))
    )


def _mat_vec(matrix: Matrix, vector: tuple[int, ...]) -> tuple[int, ...]:
    """Matrix times column vector, mod r."""
    return tuple(sum(m * x for m, x in zip(row, vector, strict=True)) % FR_MODULUS for row in matrix)


def _mat_mul(left: Matrix, right: Matrix) -> Matrix:
    """Matrix product mod r."""
    columns = tuple(zip(*right, strict=True))
    return tuple(
        tuple(sum(a * b for a, b in zip(row, column, strict=True)) % FR_MODULUS for column in columns)
        for row in left
    )


def _mat_pow(matrix: Matrix, exponent: int) -> Matrix:
    """``matrix^exponent`` mod r by square and multiply (``exponent`` ≥ 1)."""
    result: Matrix | None = None
    power = matrix
    while exponent:
        if exponent & 1:
            result = power if result is None else _mat_mul(result, power)
        exponent >>= 1
        if exponent:
            power = _mat_mul(power, power)
    assert result is not None, "exponent must be at least 1"
    return result


def _invert(matrix: Matrix) -> Matrix:
    """The inverse mod r of a square matrix, by Gauss–Jordan elimination.

    Only ever called on ``M̂``, a Cauchy matrix and so invertible; a singular input breaks the
    invariant and trips the assertion.
    """
    size = len(matrix)
    rows = [list(row) + [int(i == j) for j in range(size)] for i, row in enumerate(matrix)]
    for col in range(size):
        pivot = next((r for r in range(col, size) if rows[r][col]), None)
        assert pivot is not None, "matrix is singular"
        rows[col], rows[pivot] = rows[pivot], rows[col]
        scale = pow(rows[col][col], -1, FR_MODULUS)
        rows[col] = [x * scale % FR_MODULUS for x in rows[col]]
        for r in range(size):
            factor = rows[r][col]
            if r != col and factor:
                rows[r] = [(x - factor * y) % FR_MODULUS for x, y in zip(rows[r], rows[col], strict=True)]
    return tuple(tuple(row[size:]) for row in rows)
