"""Exit codes of message execution, as receipts carry them and Lotus prints them.

Counterpart: go-state-types ``exitcode/`` (``reserved.go``: the system codes 0–15 the VM alone may
use; ``common.go``: the codes 16–26 every actor shares; ``names.go``: their names;
``exitcode.go``: ``String``).  Actors define their own codes from 32
(:data:`FIRST_ACTOR_SPECIFIC_EXIT_CODE`), so a receipt's exit code is any int64, and
:class:`~pylotus.chain.types.MessageReceipt` holds a plain ``int``; :class:`ExitCode` names the shared
ones for code that sets or tests them (``ExitCode.ERR_FORBIDDEN``).

Where go-state-types gives one number two names, the first below is the canonical one, as in Go's
``names`` table (``3`` prints as ``SysErrReserved1(3)``); the deprecated name stays an alias because
the builtin actors still use it (``SYS_ERR_INVALID_METHOD``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

__all__ = ["FIRST_ACTOR_ERROR_CODE", "FIRST_ACTOR_SPECIFIC_EXIT_CODE", "ExitCode", "exit_code_name"]

FIRST_ACTOR_ERROR_CODE: Final = 16
"""Codes below this are reserved for the VM (go-state-types ``FirstActorErrorCode``)."""

FIRST_ACTOR_SPECIFIC_EXIT_CODE: Final = 32
"""Codes from here on mean what each actor says they mean (``FirstActorSpecificExitCode``)."""


class ExitCode(enum.IntEnum):
    """The exit codes go-state-types names, with their Go names in :func:`exit_code_name`."""

    OK = 0
    # reserved.go: the VM's own codes.
    SYS_ERR_SENDER_INVALID = 1  # sender not in the state tree, not an account, or no code
    SYS_ERR_SENDER_STATE_INVALID = 2  # nonce out of sequence, or cannot cover value and gas
    SYS_ERR_RESERVED_1 = 3
    SYS_ERR_ILLEGAL_INSTRUCTION = 4  # the receiver trapped
    SYS_ERR_INVALID_RECEIVER = 5  # the receiver does not exist and cannot be created implicitly
    SYS_ERR_INSUFFICIENT_FUNDS = 6  # an inter-actor send of more than the sender holds
    SYS_ERR_OUT_OF_GAS = 7
    SYS_ERR_RESERVED_2 = 8
    SYS_ERR_ILLEGAL_EXIT_CODE = 9  # an actor exited with a reserved code
    SYS_ERR_FATAL = 10  # a bug in the system
    SYS_ERR_MISSING_RETURN = 11
    SYS_ERR_RESERVED_3 = 12
    SYS_ERR_RESERVED_4 = 13
    SYS_ERR_RESERVED_5 = 14
    SYS_ERR_RESERVED_6 = 15
    # Deprecated aliases still used by the builtin actors (reserved.go).
    SYS_ERR_INVALID_METHOD = 3
    SYS_ERR_FORBIDDEN = 8
    SYS_ERROR_ILLEGAL_ACTOR = 9
    SYS_ERROR_ILLEGAL_ARGUMENT = 10
    # common.go: codes every actor may use, from FirstActorErrorCode.
    ERR_ILLEGAL_ARGUMENT = 16  # a method parameter is invalid
    ERR_NOT_FOUND = 17  # a requested resource does not exist
    ERR_FORBIDDEN = 18  # the action is disallowed (wrong caller)
    ERR_INSUFFICIENT_FUNDS = 19
    ERR_ILLEGAL_STATE = 20  # the actor's state is inconsistent
    ERR_SERIALIZATION = 21  # de/serialization failed inside the actor
    ERR_UNHANDLED_MESSAGE = 22  # the actor has no such method
    ERR_UNSPECIFIED = 23
    ERR_ASSERTION_FAILED = 24
    ERR_READ_ONLY = 25
    ERR_NOT_PAYABLE = 26  # the method cannot take a transfer of value

    def __str__(self) -> str:
        return exit_code_name(self)


_NAMES: Final[Mapping[int, str]] = {
    0: "Ok",
    1: "SysErrSenderInvalid",
    2: "SysErrSenderStateInvalid",
    3: "SysErrReserved1",
    4: "SysErrIllegalInstruction",
    5: "SysErrInvalidReceiver",
    6: "SysErrInsufficientFunds",
    7: "SysErrOutOfGas",
    8: "SysErrReserved2",
    9: "SysErrIllegalExitCode",
    10: "SysFatal",  # sic: names.go spells it so
    11: "SysErrMissingReturn",
    12: "SysErrReserved3",
    13: "SysErrReserved4",
    14: "SysErrReserved5",
    15: "SysErrReserved6",
    16: "ErrIllegalArgument",
    17: "ErrNotFound",
    18: "ErrForbidden",
    19: "ErrInsufficientFunds",
    20: "ErrIllegalState",
    21: "ErrSerialization",
    22: "ErrUnhandledMessage",
    23: "ErrUnspecified",
    24: "ErrAssertionFailed",
    25: "ErrReadOnly",
    26: "ErrNotPayable",
}


def exit_code_name(code: int) -> str:
    """Go's ``ExitCode.String``: ``"SysErrOutOfGas(7)"`` for a named code, ``"33"`` for any other."""
    name = _NAMES.get(int(code))
    return f"{name}({int(code)})" if name is not None else str(int(code))
