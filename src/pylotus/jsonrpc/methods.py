"""Method tables: the one place an API's methods, permissions and wire types are declared.

Lotus declares each API as a Go interface with ``perm:"…"`` struct tags; go-jsonrpc derives the
server dispatch and the client proxy from it by reflection.  pylotus writes the same facts down as
data: a :class:`MethodSpec` per method (Lotus name, permission, param codecs, result codec) and an
:data:`ApiTable` per API.  The server (:mod:`.server`) and the clients (:mod:`.client`) are both
built from these tables, so the two cannot drift apart, and the permission of every method is
visible in one place (reference/lotus-miner.md §3.3–3.4).

Implementations are plain objects with one ``async`` method per table entry, named in Python
spelling (``AuthNew`` → ``auth_new``).  A channel method (``Closing``, ``ChainNotify``) returns an
async iterator whose items are sent as ``xrpc.ch.val`` notifications.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from .codec import Codec, JsonValue

__all__ = [
    "ALL_PERMISSIONS",
    "DEFAULT_PERMISSIONS",
    "ApiTable",
    "MethodSpec",
    "Permission",
    "make_table",
    "python_name",
    "perms_up_to",
]

Permission = Literal["read", "write", "sign", "admin"]

# go-jsonrpc/auth: permissions are a flat list, not a hierarchy; a method is allowed only if its
# permission is literally in the token's list.  No token means DefaultPerms.
ALL_PERMISSIONS: Final[tuple[Permission, ...]] = ("read", "write", "sign", "admin")
DEFAULT_PERMISSIONS: Final[tuple[Permission, ...]] = ("read",)


def perms_up_to(perm: str) -> list[Permission]:
    """The permissions ``auth create-token --perm P`` grants: every level up to and including P.

    Lotus: ``perms = api.AllPermissions[:idx+1]``.

    Raises:
        ValueError: ``perm`` is not one of read, write, sign, admin.
    """
    if perm not in ALL_PERMISSIONS:
        raise ValueError(f"--perm flag has to be one of: {list(ALL_PERMISSIONS)}")
    return list(ALL_PERMISSIONS[: ALL_PERMISSIONS.index(perm) + 1])


@dataclass(frozen=True)
class MethodSpec:
    """One API method as the wire sees it.

    Attributes:
        name: Lotus's Go method name, without namespace (``"AuthNew"``).
        perm: the permission a caller's token must list.
        params: one codec per positional param; the request must have exactly this many.
        result: codec of the result, or ``None`` for methods that return only an error (the
            response then has no ``result`` member, as go-jsonrpc's ``omitempty``).
        channel: the method returns a channel (websocket only).
    """

    name: str
    perm: Permission
    # A table mixes codecs of many value types; the typed client methods restore precision.
    params: Sequence[Codec[Any]] = field(default=())
    result: Codec[Any] | None = None
    channel: bool = False

    @property
    def python_name(self) -> str:
        """``AuthNew`` → ``auth_new``: the attribute implementations define."""
        return python_name(self.name)


ApiTable = Mapping[str, MethodSpec]
"""Methods by Lotus name."""


def make_table(*specs: MethodSpec) -> dict[str, MethodSpec]:
    """An :data:`ApiTable` from specs, refusing duplicate names (a table is a declaration)."""
    table: dict[str, MethodSpec] = {}
    for spec in specs:
        if spec.name in table:
            raise RuntimeError(f"method {spec.name!r} declared twice")
        table[spec.name] = spec
    return table


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def python_name(lotus_name: str) -> str:
    """``SealingSchedDiag`` → ``sealing_sched_diag``; ``StorageBestAlloc`` → ``storage_best_alloc``."""
    return _CAMEL.sub("_", lotus_name).lower()


def encode_result(spec: MethodSpec, value: object) -> JsonValue:
    """The ``result`` member for a return value (``None`` when the method returns nothing)."""
    if spec.result is None:
        return None
    return spec.result.encode(value)
