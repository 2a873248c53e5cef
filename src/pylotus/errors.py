"""The root of every pylotus error, and the marker for failures worth retrying.

Each package defines its own ``errors.py`` with one root deriving from :class:`PylotusError`;
the CLI turns any :class:`PylotusError` into ``Error: <message>`` and exit code 1, the RPC
server turns it into Lotus error code 1.  Anything else is a bug and keeps its traceback.

Messages follow Lotus: one line, lower-case, no final period, values quoted, and a hint of
what to do when there is one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["PylotusError", "Temporary", "unwrap_single_error"]


class PylotusError(Exception):
    """An expected failure: bad input, missing state, a peer that said no."""


class Temporary:
    """Mixin for errors that may go away on retry (Lotus's ``ErrTempAllocateSpace``).

    Use as ``class NoSpace(StoresError, Temporary)``; callers test ``isinstance(e, Temporary)``.
    """


@contextmanager
def unwrap_single_error() -> Iterator[None]:
    """Re-raise the one error of an exception group as itself.

    A nursery inside a call is an implementation detail: a caller's ``except FetchFailed`` or
    ``except AuthRejected`` should see the error, not a group around it (websockets does the same).
    Groups of several errors are re-raised unchanged.
    """
    try:
        yield
    except BaseExceptionGroup as group:
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from group.exceptions[0].__cause__
        raise
