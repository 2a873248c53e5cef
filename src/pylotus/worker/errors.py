"""The errors of :mod:`pylotus.worker`: running sealing tasks on this machine.

The tree, httpx-style::

    PylotusError
    └── WorkerError                 any failed worker operation
        ├── KernelDied              the process running a proofs kernel ended without an answer
        │                           (killed, out of memory, crashed) [Temporary]: run the task again
        ├── KernelFailed            the kernel raised something that is not a pylotus error (a bug,
        │                           or an OS error the kernel did not map); the message names it
        ├── MoveFailed              moving a sector file to another of this worker's paths failed
        └── TaskNotAllowed          the worker was asked for a task type its flags disable

A kernel that raises a :class:`~pylotus.errors.PylotusError` (``SectorDataError``,
``InvalidSealInput``…) fails its task with that error, unchanged.  Messages follow STYLE.md.
"""

from __future__ import annotations

from ..errors import PylotusError, Temporary

__all__ = ["KernelDied", "KernelFailed", "MoveFailed", "TaskNotAllowed", "WorkerError"]


class WorkerError(PylotusError):
    """Root of every error raised by :mod:`pylotus.worker`."""


class KernelDied(WorkerError, Temporary):
    """The kernel's process exited (or was killed) before returning; nothing was declared."""


class KernelFailed(WorkerError):
    """The kernel raised an exception that is not a :class:`~pylotus.errors.PylotusError`."""


class TaskNotAllowed(WorkerError):
    """The task type is disabled on this worker (Lotus ``[Storage] Allow*``, ``--precommit1=false``)."""


class MoveFailed(WorkerError):
    """A sector file could not be moved between two of this worker's paths (``MoveStorage``)."""
