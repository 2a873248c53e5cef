"""The worker: runs sealing tasks' proofs kernels off the event loop, on this machine's paths.

Counterpart: Lotus ``storage/sealer/worker_local.go`` and ``ffiwrapper/``; the seal-worker daemon
(``pylotus-seal-worker``, Lotus ``cmd/lotus-worker``) comes with the rest of issue #6.  How the
pieces fit::

    LocalWorker (local_worker)    the sealing calls: acquire files, reserve space, run, declare
    KernelRunner (kernel_runner)  one child process per kernel; a dead one fails only its task
    kernels                       picklable wrappers over pylotus.proofs, run in the child
    WorkerApi/WorkerClient (api)  the Worker API served by a seal worker and called by the miner

Import from here, not from the modules.
"""

from __future__ import annotations

from .api import SEALING_CALL_TIMEOUT as SEALING_CALL_TIMEOUT
from .api import WORKER_CONNECT as WORKER_CONNECT
from .api import WORKER_TABLE as WORKER_TABLE
from .api import WorkerApi as WorkerApi
from .api import WorkerClient as WorkerClient
from .api import machine_info_json as machine_info_json
from .errors import KernelDied as KernelDied
from .errors import KernelFailed as KernelFailed
from .errors import MoveFailed as MoveFailed
from .errors import TaskNotAllowed as TaskNotAllowed
from .errors import WorkerError as WorkerError
from .kernel_runner import KernelRunner as KernelRunner
from .kernel_runner import RunningKernel as RunningKernel
from .local_worker import ALWAYS_TASKS as ALWAYS_TASKS
from .local_worker import LocalWorker as LocalWorker
from .local_worker import WorkerConfig as WorkerConfig

__all__ = [
    "ALWAYS_TASKS",
    "SEALING_CALL_TIMEOUT",
    "WORKER_CONNECT",
    "WORKER_TABLE",
    "KernelDied",
    "KernelFailed",
    "KernelRunner",
    "LocalWorker",
    "MoveFailed",
    "RunningKernel",
    "TaskNotAllowed",
    "WorkerConfig",
    "WorkerApi",
    "WorkerClient",
    "WorkerError",
    "machine_info_json",
]
