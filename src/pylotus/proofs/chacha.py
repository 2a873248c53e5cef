"""ChaCha block function and ``ChaCha8Rng``, the random source of the SDR DRG parents.

Counterparts: rust-fil-proofs draws the bucket-graph parents from ``rand_chacha`` 0.3 ``ChaCha8Rng``
(reference/proofs.md §3.4), whose words come out of ``rand_core`` 0.6 ``BlockRng``.  The block
function is D. J. Bernstein's ChaCha in the original layout, not RFC 8439's:

    words 0..3   "expand 32-byte k"
    words 4..11  the 32-byte key (the RNG seed), little-endian u32s
    words 12..13 a 64-bit block counter, low word first, starting at 0
    words 14..15 a 64-bit stream (nonce), 0 for ``from_seed``

RFC 8439 puts a 32-bit counter in word 12 and a 96-bit nonce in words 13..15; both layouts run the
same rounds on the same 16 words, so an RFC vector is reproduced by folding the nonce's first word
into the counter's high half (the tests do this for RFC 8439 §2.3.2).

The RNG hands out the keystream as little-endian u32 words; ``next_u64`` joins two consecutive words,
low first.  ``rand_core``'s ``BlockRng`` holds a 64-word buffer (``rand_chacha`` computes four
blocks at a time); when ``next_u64`` finds one word left it takes that word as the low half and the
first word of the next buffer as the high half, so the u64s never skip a word and the stream is the
same whatever the buffer size.  :class:`ChaCha8Rng` keeps that buffer and that rule.

:func:`chacha_block` is the plain reference; :func:`chacha_blocks` computes blocks for many keys at
once on numpy u32 lanes (one array per state word), which is how the parent graph generator draws
the randomness of every node of a range in one go.
"""

from __future__ import annotations

import struct
from typing import Final

import numpy as np
import numpy.typing as npt

__all__ = [
    "BUFFER_WORDS",
    "ChaCha8Rng",
    "chacha_block",
    "chacha_blocks",
    "key_words",
]

_SIGMA: Final = struct.unpack("<4I", b"expand 32-byte k")
_MASK32: Final = 0xFFFFFFFF
_BLOCK_WORDS: Final = 16

BUFFER_WORDS: Final = 64
"""u32 words per refill of ``rand_chacha``'s ``BlockRng`` buffer: four 16-word blocks."""

# The quarter rounds of one double round: four columns, then four diagonals.
_DOUBLE_ROUND: Final = (
    (0, 4, 8, 12),
    (1, 5, 9, 13),
    (2, 6, 10, 14),
    (3, 7, 11, 15),
    (0, 5, 10, 15),
    (1, 6, 11, 12),
    (2, 7, 8, 13),
    (3, 4, 9, 14),
)


def _check_rounds(rounds: int) -> None:
    if rounds <= 0 or rounds % 2:
        raise ValueError(f"chacha rounds must be a positive even number, got '{rounds}'")


def key_words(key: bytes) -> tuple[int, ...]:
    """The eight little-endian u32 words of a 32-byte ChaCha key.

    Raises:
        ValueError: ``key`` is not 32 bytes.
    """
    if len(key) != 32:
        raise ValueError(f"chacha key must be '32' bytes, got '{len(key)}'")
    return struct.unpack("<8I", key)


def _initial_state(key: bytes, counter: int, stream: int) -> list[int]:
    if not 0 <= counter < 1 << 64 or not 0 <= stream < 1 << 64:
        raise ValueError(f"chacha counter and stream must be u64, got '{counter}' and '{stream}'")
    return [
        *_SIGMA,
        *key_words(key),
        counter & _MASK32,
        counter >> 32,
        stream & _MASK32,
        stream >> 32,
    ]


def chacha_block(key: bytes, counter: int, rounds: int, *, stream: int = 0) -> bytes:
    """One 64-byte ChaCha keystream block, computed the plain way (the reference).

    Args:
        key: 32 bytes.
        counter: the 64-bit block counter (words 12–13).
        rounds: 8 for ``ChaCha8Rng``, 20 for the RFC 8439 cipher.
        stream: the 64-bit stream or nonce (words 14–15); ``rand_chacha``'s ``from_seed`` uses 0.

    Returns:
        The block's 16 words after the rounds and the feed-forward addition, little endian.

    Raises:
        ValueError: a key that is not 32 bytes, an odd round count, a counter or stream over 64 bits.
    """
    _check_rounds(rounds)
    initial = _initial_state(key, counter, stream)
    x = list(initial)
    for _ in range(rounds // 2):
        for a, b, c, d in _DOUBLE_ROUND:
            x[a] = (x[a] + x[b]) & _MASK32
            x[d] ^= x[a]
            x[d] = ((x[d] << 16) | (x[d] >> 16)) & _MASK32
            x[c] = (x[c] + x[d]) & _MASK32
            x[b] ^= x[c]
            x[b] = ((x[b] << 12) | (x[b] >> 20)) & _MASK32
            x[a] = (x[a] + x[b]) & _MASK32
            x[d] ^= x[a]
            x[d] = ((x[d] << 8) | (x[d] >> 24)) & _MASK32
            x[c] = (x[c] + x[d]) & _MASK32
            x[b] ^= x[c]
            x[b] = ((x[b] << 7) | (x[b] >> 25)) & _MASK32
    return struct.pack("<16I", *((w + i) & _MASK32 for w, i in zip(x, initial, strict=True)))


class ChaCha8Rng:
    """``rand_chacha`` 0.3 ``ChaCha8Rng::from_seed(seed)``: 8 rounds, counter from 0, stream 0.

    Only the draws the parent graph makes are offered: :meth:`next_u32` and :meth:`next_u64`
    (``rng.gen::<u64>()`` is ``next_u64``).  Pure Python, for the per-node reference; the range
    generator uses :func:`chacha_blocks`.

    Args:
        seed: the 32-byte key (for the DRG: the 28-byte seed and the node as u32 little endian).

    Raises:
        ValueError: ``seed`` is not 32 bytes.
    """

    ROUNDS: Final = 8

    def __init__(self, seed: bytes) -> None:
        key_words(seed)
        self._key = bytes(seed)
        self._next_block = 0  # counter of the first block of the next refill
        self._buffer: tuple[int, ...] = ()
        self._index = BUFFER_WORDS  # empty: the first draw refills

    def _refill(self, index: int) -> None:
        blocks = b"".join(
            chacha_block(self._key, self._next_block + i, self.ROUNDS)
            for i in range(BUFFER_WORDS // _BLOCK_WORDS)
        )
        self._next_block += BUFFER_WORDS // _BLOCK_WORDS
        self._buffer = struct.unpack(f"<{BUFFER_WORDS}I", blocks)
        self._index = index

    def next_u32(self) -> int:
        """The next keystream word."""
        if self._index >= BUFFER_WORDS:
            self._refill(0)
        value = self._buffer[self._index]
        self._index += 1
        return value

    def next_u64(self) -> int:
        """The next two keystream words, low word first (``BlockRng::next_u64``).

        With one word left in the buffer that word is the low half and the next buffer's first word
        the high half, exactly as ``rand_core`` 0.6 does.
        """
        index = self._index
        if index < BUFFER_WORDS - 1:
            self._index += 2
            return self._buffer[index] | (self._buffer[index + 1] << 32)
        if index >= BUFFER_WORDS:
            self._refill(2)
            return self._buffer[0] | (self._buffer[1] << 32)
        low = self._buffer[BUFFER_WORDS - 1]
        self._refill(1)
        return low | (self._buffer[0] << 32)


def _rotl(x: npt.NDArray[np.uint32], bits: int, tmp: npt.NDArray[np.uint32]) -> None:
    """``x = rotl32(x, bits)`` in place, using ``tmp`` as scratch."""
    np.left_shift(x, bits, out=tmp)
    np.right_shift(x, 32 - bits, out=x)
    np.bitwise_or(x, tmp, out=x)


def chacha_blocks(
    keys: npt.NDArray[np.uint32], first_counter: int, count: int, rounds: int, *, stream: int = 0
) -> npt.NDArray[np.uint32]:
    """The keystream words of ``count`` consecutive blocks for each of many keys, vectorised.

    Every state word is a numpy u32 array with one lane per (key, block); additions wrap mod 2^32
    as ChaCha wants.  Equal, lane by lane, to :func:`chacha_block`.

    Args:
        keys: shape ``(n, 8)``, each row a key as little-endian u32 words (:func:`key_words`).
        first_counter: block counter of the first block.
        count: blocks per key.
        rounds: 8 or 20 (any positive even number).
        stream: the 64-bit stream word of every block.

    Returns:
        u32 array of shape ``(n, 16·count)``: row ``i`` is the keystream words of blocks
        ``first_counter … first_counter+count-1`` of key ``i``, in stream order.

    Raises:
        ValueError: ``keys`` has the wrong shape, bad rounds, or counters that do not fit 64 bits.
    """
    _check_rounds(rounds)
    keys = np.asarray(keys, dtype=np.uint32)
    if keys.ndim != 2 or keys.shape[1] != 8:
        raise ValueError(f"chacha keys must have shape '(n, 8)', got '{keys.shape}'")
    if count < 1 or not 0 <= first_counter or first_counter + count > 1 << 64:
        raise ValueError(f"chacha blocks '{first_counter}'+'{count}' do not fit a 64-bit counter")
    if not 0 <= stream < 1 << 64:
        raise ValueError(f"chacha stream must be u64, got '{stream}'")
    n = keys.shape[0]
    lanes = (count, n)  # block-major, so each word array is contiguous per block
    counters = np.arange(first_counter, first_counter + count, dtype=np.uint64)
    initial: list[npt.NDArray[np.uint32]] = [np.full(lanes, word, dtype=np.uint32) for word in _SIGMA]
    initial += [np.broadcast_to(keys[:, i], lanes).copy() for i in range(8)]
    initial.append(np.broadcast_to((counters & _MASK32).astype(np.uint32)[:, None], lanes).copy())
    initial.append(np.broadcast_to((counters >> 32).astype(np.uint32)[:, None], lanes).copy())
    initial.append(np.full(lanes, stream & _MASK32, dtype=np.uint32))
    initial.append(np.full(lanes, stream >> 32, dtype=np.uint32))
    x = [word.copy() for word in initial]
    tmp = np.empty(lanes, dtype=np.uint32)
    for _ in range(rounds // 2):
        for a, b, c, d in _DOUBLE_ROUND:
            xa, xb, xc, xd = x[a], x[b], x[c], x[d]
            xa += xb
            xd ^= xa
            _rotl(xd, 16, tmp)
            xc += xd
            xb ^= xc
            _rotl(xb, 12, tmp)
            xa += xb
            xd ^= xa
            _rotl(xd, 8, tmp)
            xc += xd
            xb ^= xc
            _rotl(xb, 7, tmp)
    out = np.empty((n, count, _BLOCK_WORDS), dtype=np.uint32)
    for i in range(_BLOCK_WORDS):
        x[i] += initial[i]
        out[:, :, i] = x[i].T
    return out.reshape(n, count * _BLOCK_WORDS)
