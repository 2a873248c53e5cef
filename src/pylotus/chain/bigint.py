"""Filecoin's big integers on the wire, and FIL amounts as people read and type them.

Counterparts: go-state-types ``big/int.go`` (the byte and JSON forms of ``big.Int``, which
``abi.TokenAmount``, ``abi.StoragePower`` and ``types.BigInt`` all are), Lotus ``chain/types/fil.go``
(``types.FIL``: ``String``, ``Unitless``, ``Short``, ``Nano``, ``ParseFIL``) and
``build/buildconstants`` (``FilecoinPrecision``); reference/api-examples.md §4.1.

Wire forms of a big integer:

* **bytes** (inside a CBOR byte string): empty for 0, else a sign byte (``0x00`` positive, ``0x01``
  negative) and the big-endian magnitude without leading zeros, 128 bytes at most in all
  (``BigIntMaxSerializedLen``).  Lotus's decoder also accepts a magnitude with leading zeros and a
  lone sign byte; :func:`bigint_from_bytes` refuses both, because such a value would encode back to
  other bytes and give its message a second CID;
* **JSON**: a decimal string, ``"0"`` for zero; on input Go's ``big.Int.SetString(s, 10)`` rules: an
  optional sign and ASCII digits, nothing else.

:class:`TokenAmount` is an attoFIL amount (10^18 attoFIL = 1 FIL) with those forms as methods, the
arithmetic balances need, and ``str()`` in Lotus's ``types.FIL`` form (``"1.5 FIL"``), which is how
Lotus prints amounts to people (``wallet balance``, mpool refusals).  :func:`parse_fil` reads what
``lotus send`` reads, with ``ParseFIL``'s rules and refusals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, final

from pylotus.abi import JsonValue

from .errors import InvalidAmount

__all__ = [
    "BIGINT_MAX_SERIALIZED_LEN",
    "FIL_PRECISION",
    "TokenAmount",
    "bigint_from_bytes",
    "bigint_from_json",
    "bigint_to_bytes",
    "bigint_to_json",
    "parse_fil",
]

FIL_PRECISION: Final = 10**18
"""attoFIL per FIL (Lotus ``buildconstants.FilecoinPrecision``)."""

BIGINT_MAX_SERIALIZED_LEN: Final = 128
"""Longest byte form of a big integer, sign byte included (go-state-types ``BigIntMaxSerializedLen``)."""

_SIGN_POSITIVE: Final = 0x00
_SIGN_NEGATIVE: Final = 0x01
_MAX_MAGNITUDE: Final = 2 ** (8 * (BIGINT_MAX_SERIALIZED_LEN - 1)) - 1
_DECIMAL_RE: Final = re.compile(r"[+-]?[0-9]+", re.ASCII)  # big.Int.SetString(s, 10)
# ParseFIL: the number is the longest prefix of "-.0123456789"; big.Rat.SetString must take all of it.
_FIL_NUMBER_CHARS: Final = "-.0123456789"
_FIL_NUMBER_RE: Final = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)", re.ASCII)
_FIL_MAX_NUMBER_LEN: Final = 50  # ParseFIL: "string length too large"
_FIL_SUFFIXES: Final = {"": False, "fil": False, "attofil": True, "afil": True}  # suffix → is atto
_SHORT_PREFIXES: Final = ("a", "f", "p", "n", "μ", "m")  # fil.go unitPrefixes; past "m" it is FIL


# -- the wire forms of any big integer ----------------------------------------------------------------


def bigint_to_bytes(value: int) -> bytes:
    """The byte form of ``value`` (go-state-types ``Int.Bytes``): empty for 0, sign byte + magnitude.

    Raises:
        InvalidAmount: the byte form would be longer than 128 bytes.
    """
    if value == 0:
        return b""
    magnitude = abs(value)
    body = magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "big")
    if len(body) + 1 > BIGINT_MAX_SERIALIZED_LEN:
        raise InvalidAmount(f"big integer byte array too long ({len(body) + 1} bytes)")
    return bytes([_SIGN_NEGATIVE if value < 0 else _SIGN_POSITIVE]) + body


def bigint_from_bytes(raw: bytes) -> int:
    """Read the byte form written by :func:`bigint_to_bytes`, and only that form.

    Raises:
        InvalidAmount: longer than 128 bytes, a sign byte other than 0 or 1, or a non-canonical form
            (a lone sign byte, or leading zero bytes in the magnitude).
    """
    if not raw:
        return 0
    if len(raw) > BIGINT_MAX_SERIALIZED_LEN:
        raise InvalidAmount(f"big integer byte array too long ({len(raw)} bytes)")
    sign = raw[0]
    if sign not in (_SIGN_POSITIVE, _SIGN_NEGATIVE):
        raise InvalidAmount(f"big int prefix should be either 0 or 1, got {sign}")
    if len(raw) == 1 or raw[1] == 0:
        raise InvalidAmount(
            f"big int bytes '{bytes(raw).hex()}' are not canonical: zero is empty, no leading zeros"
        )
    magnitude = int.from_bytes(raw[1:], "big")
    return -magnitude if sign == _SIGN_NEGATIVE else magnitude


def bigint_to_json(value: int) -> str:
    """The JSON form: a decimal string (go-state-types ``Int.MarshalJSON``)."""
    return str(int(value))


def bigint_from_json(value: JsonValue) -> int:
    """Read the JSON form: a string of an optional sign and decimal digits.

    Raises:
        InvalidAmount: not a string (a JSON number is refused, as Go refuses it), or not decimal.
    """
    if not isinstance(value, str):
        raise InvalidAmount(f"big int must be a json string of decimal digits, got {_described(value)}")
    if not _DECIMAL_RE.fullmatch(value):
        raise InvalidAmount(f"failed to parse big string: {_quoted(value)}")
    return int(value)


# -- TokenAmount ----------------------------------------------------------------------------------------


@final
@dataclass(frozen=True, slots=True, order=True)
class TokenAmount:
    """An amount of attoFIL (go-state-types ``abi.TokenAmount``); may be negative, as Go's may.

    Every instance fits the 128-byte wire form, so encoding never fails.  Arithmetic: ``+``, ``-``
    between amounts; ``*`` and ``//`` by an ``int`` (gas units, counts); comparisons; ``bool``.

    Raises:
        InvalidAmount: on construction, if ``atto`` is not an ``int`` or has more than 127 bytes.
    """

    atto: int

    def __post_init__(self) -> None:
        if isinstance(self.atto, bool) or not isinstance(self.atto, int):
            raise InvalidAmount(f"token amount must be an integer of attoFIL, got {_described(self.atto)}")
        if abs(self.atto) > _MAX_MAGNITUDE:
            raise InvalidAmount(
                f"token amount does not fit {BIGINT_MAX_SERIALIZED_LEN} bytes "
                f"({self.atto.bit_length()} bits of attoFIL)"
            )
        object.__setattr__(self, "atto", int(self.atto))

    @classmethod
    def from_fil(cls, fil: int) -> TokenAmount:
        """``fil`` whole FIL (Lotus ``types.FromFil``)."""
        return cls(fil * FIL_PRECISION)

    # -- wire forms -----------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The byte form (the content of its CBOR byte string); see :func:`bigint_to_bytes`."""
        return bigint_to_bytes(self.atto)

    @classmethod
    def from_bytes(cls, raw: bytes) -> TokenAmount:
        """Read the byte form; raises :class:`InvalidAmount` as :func:`bigint_from_bytes`."""
        return cls(bigint_from_bytes(raw))

    def to_json(self) -> str:
        """The JSON form, a decimal string of attoFIL: ``"1000000000000000000"`` for 1 FIL."""
        return bigint_to_json(self.atto)

    @classmethod
    def from_json(cls, value: JsonValue) -> TokenAmount:
        """Read the JSON form; raises :class:`InvalidAmount` as :func:`bigint_from_json`."""
        return cls(bigint_from_json(value))

    # -- what people read ---------------------------------------------------------------------------

    def __str__(self) -> str:
        """Lotus ``types.FIL.String``: ``"1 FIL"``, ``"0.5 FIL"``, ``"0.000000000000001 FIL"``."""
        return f"{self.unitless()} FIL"

    def unitless(self) -> str:
        """Lotus ``types.FIL.Unitless``: the amount in FIL, exact, without trailing zeros or unit."""
        if self.atto == 0:
            return "0"
        return _trim_fraction(_float_string(self.atto, FIL_PRECISION, 18))

    def short(self) -> str:
        """Lotus ``types.FIL.Short``: the largest unit below 1000 of it, three decimals, rounded.

        ``"1.234 μFIL"``, ``"100 mFIL"``, ``"1 aFIL"``, ``"123456.234 FIL"``; zero is ``"0"``.
        """
        if self.atto == 0:
            return "0"
        unit, prefix = FIL_PRECISION, ""
        for index, candidate in enumerate(_SHORT_PREFIXES):
            if abs(self.atto) < 1000 ** (index + 1):
                unit, prefix = 1000**index, candidate
                break
        return f"{_trim_fraction(_float_string(self.atto, unit, 3))} {prefix}FIL"

    def nano(self) -> str:
        """Lotus ``types.FIL.Nano``: the amount in nanoFIL, ``"1.5 nFIL"``; zero is ``"0"``."""
        if self.atto == 0:
            return "0"
        return f"{_trim_fraction(_float_string(self.atto, 10**9, 9))} nFIL"

    # -- arithmetic -----------------------------------------------------------------------------------

    def __add__(self, other: TokenAmount) -> TokenAmount:
        if not isinstance(other, TokenAmount):
            return NotImplemented
        return TokenAmount(self.atto + other.atto)

    def __sub__(self, other: TokenAmount) -> TokenAmount:
        if not isinstance(other, TokenAmount):
            return NotImplemented
        return TokenAmount(self.atto - other.atto)

    def __mul__(self, factor: int) -> TokenAmount:
        if isinstance(factor, bool) or not isinstance(factor, int):
            return NotImplemented
        return TokenAmount(self.atto * factor)

    __rmul__ = __mul__

    def __floordiv__(self, divisor: int) -> TokenAmount:
        if isinstance(divisor, bool) or not isinstance(divisor, int):
            return NotImplemented
        return TokenAmount(self.atto // divisor)

    def __neg__(self) -> TokenAmount:
        return TokenAmount(-self.atto)

    def __abs__(self) -> TokenAmount:
        return TokenAmount(abs(self.atto))

    def __bool__(self) -> bool:
        return self.atto != 0

    def __int__(self) -> int:
        return self.atto


def parse_fil(text: str) -> TokenAmount:
    """Parse an amount as ``lotus send`` does (Lotus ``types.ParseFIL``).

    A decimal number (``1``, ``0.5``, ``.5``, ``-2``), then an optional unit, case-insensitive, spaces
    around it allowed: ``FIL`` (the default) or ``attoFIL``/``aFIL``.  ``"1"``, ``"1fil"``,
    ``"0.5 FIL"``, ``"1000 attoFIL"`` parse; ``"10 milliFIL"``, ``"1e3"``, ``" 1"`` and
    ``"0.5 attoFIL"`` do not.

    Raises:
        InvalidAmount: with ``ParseFIL``'s reason: unrecognized suffix, string length too large, not a
            decimal number, or not a whole number of attoFIL.
    """
    if not isinstance(text, str):
        raise InvalidAmount(f"amount must be a string, got {_described(text)}")
    number = text[: len(text) - len(text.lstrip(_FIL_NUMBER_CHARS))]
    suffix = text[len(number) :]
    is_atto = _FIL_SUFFIXES.get(suffix.strip().lower())
    if is_atto is None:
        raise InvalidAmount(
            f"invalid amount {_quoted(text)}: unrecognized suffix: {_quoted(suffix)}; use FIL or attoFIL"
        )
    if len(number) > _FIL_MAX_NUMBER_LEN:
        raise InvalidAmount(f"invalid amount {_quoted(text)}: string length too large: {len(number)}")
    if not _FIL_NUMBER_RE.fullmatch(number):
        raise InvalidAmount(
            f"invalid amount {_quoted(text)}: failed to parse {_quoted(number)} as a decimal number"
        )
    negative = number.startswith("-")
    whole, _, fraction = number.lstrip("-").partition(".")
    scale = 1 if is_atto else FIL_PRECISION
    numerator = int(whole or "0") * 10 ** len(fraction) + int(fraction or "0")
    atto, remainder = divmod(numerator * scale, 10 ** len(fraction))
    if remainder:
        unit = "attoFIL" if is_atto else "FIL"
        raise InvalidAmount(f"invalid amount {_quoted(text)}: invalid {unit} value: {_quoted(number)}")
    return TokenAmount(-atto if negative else atto)


# -- helpers of this file -----------------------------------------------------------------------------


def _float_string(numerator: int, denominator: int, precision: int) -> str:
    """Go's ``big.Rat.FloatString``: ``precision`` decimals, halves rounded away from zero."""
    whole, rest = divmod(abs(numerator), denominator)
    scale = 10**precision
    fraction, remainder = divmod(rest * scale, denominator)
    if 2 * remainder >= denominator:  # Go rounds up at exactly one half too
        fraction += 1
        if fraction >= scale:
            whole, fraction = whole + 1, fraction - scale
    sign = "-" if numerator < 0 else ""
    return f"{sign}{whole}.{fraction:0{precision}d}" if precision else f"{sign}{whole}"


def _trim_fraction(text: str) -> str:
    # fil.go: strings.TrimRight(strings.TrimRight(s, "0"), ".")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _quoted(text: str) -> str:
    body = repr(text)[1:-1]
    return f"'{body[:97]}...'" if len(body) > 100 else f"'{body}'"


def _described(value: object) -> str:
    text = repr(value)
    return text[:97] + "..." if len(text) > 100 else text
