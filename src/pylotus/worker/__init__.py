"""The worker: runs sealing tasks' proofs kernels off the event loop, on this machine's paths.

Counterpart: Lotus ``storage/sealer/worker_local.go`` and ``ffiwrapper/``; the seal-worker daemon
(``pylotus-seal-worker``, Lotus ``cmd/lotus-worker``) comes with the rest of issue #6.  How the
pieces fit::

    LocalWorker (local_worker)    the sealing calls: acquire files, reserve space, run, declare
    KernelRunner (kernel_runner)  one child process per kernel; a dead one fails only its task
    kernels                       picklable wrappers over pylotus.proofs, run in the child
    WorkerApi/WorkerClient (api)  the Worker API served by a seal worker and called by the miner
    CallRunner/ReturnQueue        asynchronous calls: CallID at once, Return* to the miner, kept
      (returns)                   in the repo's datastore until delivered
    DeferredIndex (offline)       sector declarations kept while the miner is away

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
from .offline import KERNEL_DELAY_ENV as KERNEL_DELAY_ENV
from .offline import DeferredIndex as DeferredIndex
from .offline import DelayedKernels as DelayedKernels
from .offline import declare_all as declare_all
from .returns import CALL_ERROR as CALL_ERROR
from .returns import CALL_ID as CALL_ID
from .returns import ERR_TEMP_WORKER_RESTART as ERR_TEMP_WORKER_RESTART
from .returns import ERR_UNKNOWN as ERR_UNKNOWN
from .returns import PIECE_INFO as PIECE_INFO
from .returns import RETURN_METHODS as RETURN_METHODS
from .returns import RETURN_TABLE as RETURN_TABLE
from .returns import SECTOR_CIDS as SECTOR_CIDS
from .returns import CallError as CallError
from .returns import CallID as CallID
from .returns import CallRunner as CallRunner
from .returns import ReturnQueue as ReturnQueue
from .returns import SendReturn as SendReturn
from .returns import rpc_sender as rpc_sender

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
    "KERNEL_DELAY_ENV",
    "DeferredIndex",
    "DelayedKernels",
    "declare_all",
    "CALL_ERROR",
    "CALL_ID",
    "ERR_TEMP_WORKER_RESTART",
    "ERR_UNKNOWN",
    "PIECE_INFO",
    "RETURN_METHODS",
    "SECTOR_CIDS",
    "RETURN_TABLE",
    "CallError",
    "CallID",
    "CallRunner",
    "ReturnQueue",
    "SendReturn",
    "rpc_sender",
]
