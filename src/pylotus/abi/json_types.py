"""The shape of a decoded JSON value, named once for every package.

STYLE.md forbids ``Any`` in public signatures and asks JSON to travel as a named ``JsonValue``.  The
alias lives in ``abi`` because ``abi`` is the ground floor: the ``to_json``/``from_json`` methods here
use it, and ``jsonrpc/`` and everything above can import it without breaking the layering in
DESIGN.md.  It describes what :func:`json.loads` returns, nothing more: Lotus's wire rules (bytes as
base64, big ints as strings, CIDs as ``{"/": …}``) are the business of each type's own codec.
"""

from __future__ import annotations

from typing import TypeAlias

__all__ = ["JsonObject", "JsonValue"]

JsonValue: TypeAlias = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]
"""Any value :func:`json.loads` can return."""

JsonObject: TypeAlias = dict[str, JsonValue]
"""A JSON object, the wire form of a Lotus struct."""
