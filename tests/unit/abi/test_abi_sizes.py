"""Human sizes and sector sizes (pylotus.abi.sizes) against go-units and Lotus ``types.SizeStr``.

Expected values are written out by hand from go-units size.go (binary units whatever the
spelling) and Lotus chain/types/bigint.go (``"%.4g %s"``), never computed by the code under test.
"""

from __future__ import annotations

import pytest

from pylotus.abi import (
    SUPPORTED_SECTOR_SIZES,
    AbiError,
    InvalidSize,
    UnsupportedSectorSize,
    bytes_size,
    check_sector_size,
    parse_ram_bytes,
    parse_sector_size,
    size_str,
)
from pylotus.errors import PylotusError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2048", 2048),
        ("0", 0),
        ("2k", 2048),
        ("2K", 2048),
        ("2kb", 2048),
        ("2KB", 2048),
        ("2KiB", 2048),
        ("2kib", 2048),
        ("2ki", 2048),
        ("2 KiB", 2048),
        ("2b", 2),
        ("8MiB", 8388608),
        ("512mib", 536870912),
        ("512MiB", 536870912),
        ("32GiB", 34359738368),
        ("64GiB", 68719476736),
        ("32G", 34359738368),
        ("1TiB", 1099511627776),
        ("1p", 1125899906842624),
        ("1.5k", 1536),
        ("0.5KiB", 512),
        ("1.0001k", 1024),  # truncated, as go-units int64(float)
    ],
)
def test_parse_ram_bytes_accepts_go_units_spellings(text: str, expected: int) -> None:
    assert parse_ram_bytes(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "2XB",
        "abc",
        "-1",
        "+1",
        "2  KiB",  # two spaces
        " 2KiB",
        "2KiB ",
        "2KiB\n",
        "1.2.3",  # matches go-units' regex, refused by ParseFloat
        ".5k",
        "5.k",
        "2kk",
        "2KiBB",
        "2e3",
        "1_000",
        "\u0662",  # ARABIC-INDIC DIGIT TWO: Python's \d would take it, Go's does not
        "99999999999999999999P",
        "1" * 400,
    ],
)
def test_parse_ram_bytes_refuses(text: str) -> None:
    with pytest.raises(InvalidSize) as info:
        parse_ram_bytes(text)
    assert str(info.value).startswith("invalid size: '")
    assert "\n" not in str(info.value)


def test_parse_ram_bytes_message_is_go_units_wording() -> None:
    with pytest.raises(InvalidSize, match=r"^invalid size: '2XB'$"):
        parse_ram_bytes("2XB")


def test_errors_are_in_the_pylotus_tree() -> None:
    with pytest.raises(AbiError):
        parse_ram_bytes("nope")
    with pytest.raises(PylotusError):
        parse_sector_size("3KiB")


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, "0 B"),
        (1, "1 B"),
        (1023, "1023 B"),
        (1024, "1 KiB"),
        (1536, "1.5 KiB"),
        (2048, "2 KiB"),
        (2032, "1.984 KiB"),
        (8388608, "8 MiB"),
        (536870912, "512 MiB"),
        (34359738368, "32 GiB"),
        (68719476736, "64 GiB"),
        (1099511627776, "1 TiB"),
        (123456789, "117.7 MiB"),
        (2**70, "1 ZiB"),
        (2**80, "1024 ZiB"),  # no unit past ZiB in Lotus's table
    ],
)
def test_size_str_matches_lotus(size: int, expected: str) -> None:
    assert size_str(size) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [(2048, "2KiB"), (8388608, "8MiB"), (34359738368, "32GiB"), (100, "100B"), (2**80, "1YiB")],
)
def test_bytes_size_matches_go_units(size: int, expected: str) -> None:
    assert bytes_size(size) == expected


def test_supported_sector_sizes() -> None:
    assert SUPPORTED_SECTOR_SIZES == (2048, 8388608, 536870912, 34359738368, 68719476736)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2048", 2048),
        ("2k", 2048),
        ("2kb", 2048),
        ("2KiB", 2048),
        ("2kib", 2048),
        ("2 KiB", 2048),
        ("8MiB", 8388608),
        ("512mib", 536870912),
        ("32GiB", 34359738368),
        ("64GiB", 68719476736),
    ],
)
def test_parse_sector_size_accepts(text: str, expected: int) -> None:
    assert parse_sector_size(text) == expected


@pytest.mark.parametrize("text", ["3KiB", "4KiB", "1GiB", "0", "2047", "128GiB"])
def test_parse_sector_size_refuses_unsupported(text: str) -> None:
    with pytest.raises(UnsupportedSectorSize) as info:
        parse_sector_size(text)
    message = str(info.value)
    assert message.startswith(f"unsupported sector size '{text}' (")
    assert message.endswith("supported: 2KiB, 8MiB, 512MiB, 32GiB, 64GiB")


def test_parse_sector_size_message_names_bytes() -> None:
    with pytest.raises(UnsupportedSectorSize) as info:
        parse_sector_size("4KiB")
    assert str(info.value) == (
        "unsupported sector size '4KiB' (4096 bytes); supported: 2KiB, 8MiB, 512MiB, 32GiB, 64GiB"
    )


@pytest.mark.parametrize("text", ["2XB", "", "-1", "abc"])
def test_parse_sector_size_refuses_garbage_as_invalid_size(text: str) -> None:
    with pytest.raises(InvalidSize):
        parse_sector_size(text)


def test_check_sector_size() -> None:
    assert check_sector_size(34359738368) == 34359738368
    with pytest.raises(UnsupportedSectorSize, match=r"^unsupported sector size '4096' \(4KiB\)"):
        check_sector_size(4096)
