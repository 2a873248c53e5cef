"""The errors of :mod:`pylotus.sched`: the scheduler, its resource table and its wire values.

The tree, httpx-style::

    PylotusError
    └── SchedError                  any refused or failed scheduling operation
        ├── SchedClosed             the scheduler is closing or closed; the request did not run, or
        │                           its run was cut short (Lotus: ``closing``)
        ├── NoCapableWorker         no connected worker could ever run the request and the caller
        │                           asked not to wait; the message says why each worker refuses
        ├── WorkerClosed            the worker running the task went away before the task ended
        │                           [Temporary]: the caller may schedule it again
        ├── InvalidResourceEnv      a ``<TASK>_<SIZE>_<FIELD>`` override whose value is not a number
        │                           of the field's type (Lotus silently reads such a value as 0)
        └── InvalidSchedValue       a scheduler wire value (task type, ``WorkerInfo``, resources) not
                                    in Lotus's JSON shape

Errors raised by a request's own ``prepare`` or ``work`` callables are not wrapped: the caller of
:meth:`~.scheduler.Scheduler.schedule` gets them as they were raised, as Lotus returns the worker
call's error.  Messages follow STYLE.md: one line, lower case, values quoted.
"""

from __future__ import annotations

from ..errors import PylotusError, Temporary

__all__ = [
    "InvalidResourceEnv",
    "InvalidSchedValue",
    "NoCapableWorker",
    "SchedClosed",
    "SchedError",
    "WorkerClosed",
]


class SchedError(PylotusError):
    """Root of every error raised by :mod:`pylotus.sched`."""


class SchedClosed(SchedError):
    """The scheduler stopped (``aclose()``, or its nursery was cancelled) before the request finished."""


class NoCapableWorker(SchedError):
    """No connected worker could ever take the request, and the caller passed ``wait_for_worker=False``.

    "Ever" means with every resource of the worker free: the task type is disabled there, the
    selector refuses it, or the task needs more than the whole machine.
    """


class WorkerClosed(SchedError, Temporary):
    """The worker a task was running on was dropped before the task returned.

    The task's work may have partly run there; only the caller knows whether running it again is
    safe, so the scheduler fails it instead of retrying it (tasks that had not started their work
    are put back in the queue instead, and never see this error).
    """


class InvalidResourceEnv(SchedError):
    """A resource override environment variable whose value does not parse as the field's type."""


class InvalidSchedValue(SchedError):
    """A JSON value that is not the Lotus shape of a scheduler type (task type, worker info)."""
