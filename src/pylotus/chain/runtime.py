"""The actors' runtime: what a method handler is given and how it aborts.

Counterparts: the builtin actors' ``runtime.Runtime`` (``rt.Caller``, ``rt.Receiver``,
``rt.ValueReceived``, ``rt.CurrEpoch``, ``rt.GetRandomness*``, ``rt.Abortf``).  Kept apart from
:mod:`pylotus.chain.vm` so that the actor modules can import it while the VM imports their tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import final

from .bigint import TokenAmount
from .exitcode import ExitCode
from .randomness import ChainRandomness
from .state import StateTree

__all__ = ["ActorExit", "ChainContext", "Handler", "Invocation"]


class ActorExit(Exception):  # noqa: N818 - named as the builtin actors' abort
    """Raised by an actor method to end the call with ``exit_code`` (actors' ``rt.Abortf``)."""

    def __init__(self, exit_code: ExitCode, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@final
@dataclass(frozen=True, slots=True)
class ChainContext:
    """Where a message is applied: the epoch of the block being made and the chain's randomness
    (Lotus ``rt.CurrEpoch``, ``rt.GetRandomnessFromTickets``/``FromBeacon``)."""

    epoch: int
    randomness: ChainRandomness


@final
@dataclass(frozen=True, slots=True)
class Invocation:
    """What a method handler sees: the tree (already charged and credited), caller and receiver IDs,
    and the chain context when the caller gave one."""

    tree: StateTree
    caller: int
    receiver: int
    value: TokenAmount
    chain: ChainContext | None = None

    def require_chain(self) -> ChainContext:
        """The chain context; a method that needs it fails with ``ErrIllegalState`` without it."""
        if self.chain is None:
            raise ActorExit(ExitCode.ERR_ILLEGAL_STATE, "this method needs the chain epoch and randomness")
        return self.chain


Handler = Callable[[Invocation, bytes], bytes]
