"""ChaCha block function (RFC 8439 and Strombergson vectors), ChaCha8Rng draws, vectorised blocks."""

from __future__ import annotations

import re
import struct
from collections.abc import Callable

import numpy as np
import pytest

from pylotus.proofs.chacha import BUFFER_WORDS, ChaCha8Rng, chacha_block, chacha_blocks, key_words

# RFC 8439 §2.3.2: key 00..1f, nonce 00 00 00 09 00 00 00 4a 00 00 00 00, block count 1.
RFC8439_KEY = bytes(range(32))
RFC8439_NONCE = bytes.fromhex("000000090000004a00000000")
RFC8439_BLOCK = bytes.fromhex(
    "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
    "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"
)

# draft-strombergson-chacha-test-vectors-01 TC1 (all-zero key and 64-bit IV, the layout
# rand_chacha uses): first block at 8 rounds (the first 32 bytes of the 20-round block are the
# RFC 7539 A.1 vector #1 too).
TC1_CHACHA8 = bytes.fromhex(
    "3e00ef2f895f40d67f5bb8e81f09a5a12c840ec3ce9a7f3b181be188ef711a1e"
    "984ce172b9216f419f445367456d5619314a42a3da86b001387bfdb80e0cfe42"
)
TC1_CHACHA20 = bytes.fromhex(
    "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
    "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"
)


def test_rfc8439_block_with_the_64_bit_counter_layout() -> None:
    # RFC word 12 is the counter and words 13..15 the nonce; in the 64-bit layout word 13 is the
    # counter's high half, so the nonce's first word moves there and the rest is the stream.
    counter = 1 | int.from_bytes(RFC8439_NONCE[:4], "little") << 32
    stream = int.from_bytes(RFC8439_NONCE[4:], "little")
    assert chacha_block(RFC8439_KEY, counter, 20, stream=stream) == RFC8439_BLOCK


@pytest.mark.parametrize(("rounds", "expected"), [(8, TC1_CHACHA8), (20, TC1_CHACHA20)])
def test_zero_key_vectors(rounds: int, expected: bytes) -> None:
    assert chacha_block(bytes(32), 0, rounds) == expected


def test_rng_words_are_the_little_endian_keystream() -> None:
    seed = bytes(range(100, 132))
    stream = b"".join(chacha_block(seed, i, 8) for i in range(3))
    words = struct.unpack(f"<{len(stream) // 4}I", stream)
    rng = ChaCha8Rng(seed)
    assert [rng.next_u32() for _ in range(len(words))] == list(words)
    assert ChaCha8Rng(bytes(32)).next_u32() == 0x2FEF003E  # TC1_CHACHA8 read as LE u32


def test_rng_next_u64_is_two_words_low_first_across_the_buffer_boundary() -> None:
    seed = bytes(range(32))
    stream = b"".join(chacha_block(seed, i, 8) for i in range(8))
    words = struct.unpack(f"<{len(stream) // 4}I", stream)

    # Aligned: 32 u64s fill the 64-word buffer exactly, the 33rd comes from the next refill.
    rng = ChaCha8Rng(seed)
    for i in range(BUFFER_WORDS // 2 + 1):
        assert rng.next_u64() == words[2 * i] | words[2 * i + 1] << 32

    # Odd: after one u32 the 32nd u64 straddles the refill (index 63): low = word 63 of the
    # first buffer, high = word 0 of the next (rand_core BlockRng), and nothing is skipped.
    rng = ChaCha8Rng(seed)
    assert rng.next_u32() == words[0]
    for i in range(BUFFER_WORDS // 2):
        assert rng.next_u64() == words[1 + 2 * i] | words[2 + 2 * i] << 32
    assert rng.next_u32() == words[BUFFER_WORDS + 1]


def test_vectorised_blocks_equal_the_reference() -> None:
    keys = [bytes(32), RFC8439_KEY, bytes(range(200, 232)), bytes([0xFF] * 32)]
    array = np.array([key_words(k) for k in keys], dtype=np.uint32)
    for rounds in (8, 20):
        words = chacha_blocks(array, 5, 3, rounds, stream=7)
        for row, key in zip(words, keys, strict=True):
            assert row.tobytes() == b"".join(chacha_block(key, 5 + i, rounds, stream=7) for i in range(3))


def test_vectorised_counter_carries_into_the_high_word() -> None:
    array = np.array([key_words(RFC8439_KEY)], dtype=np.uint32)
    first = (1 << 32) - 1
    words = chacha_blocks(array, first, 2, 8)
    assert words[0].tobytes() == chacha_block(RFC8439_KEY, first, 8) + chacha_block(RFC8439_KEY, first + 1, 8)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: chacha_block(bytes(31), 0, 8), "chacha key must be '32' bytes, got '31'"),
        (lambda: chacha_block(bytes(32), 0, 7), "chacha rounds must be a positive even number, got '7'"),
        (lambda: chacha_block(bytes(32), 1 << 64, 8), "chacha counter and stream must be u64"),
        (lambda: ChaCha8Rng(bytes(28)), "chacha key must be '32' bytes, got '28'"),
        (lambda: chacha_blocks(np.zeros((2, 7), np.uint32), 0, 1, 8), "chacha keys must have shape"),
    ],
)
def test_bad_arguments_are_refused(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
