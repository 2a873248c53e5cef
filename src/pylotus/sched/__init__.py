"""The scheduler: which worker runs which sealing task, when, with what resources.

Counterpart: Lotus ``storage/sealer/`` (``sched*.go``, ``selector_*.go``, ``request_queue.go``) and
``storage/sealer/sealtasks``, ``storiface/resources.go``, ``storiface/worker.go``; behaviour is
reference/lotus-miner.md §4.  How the pieces fit::

    TaskType (task_types)         what a task is: Lotus string, short name, queue order
    Resources (resources)         what it needs per sector size; RESOURCE_TABLE, env overrides
    WorkerInfo (worker_info)      what a worker has; WorkerStats, WorkerJob for status calls
    PoolUsage (pools)             a worker's preparing/active pools and the "does it fit" check
    WorkerHandle (worker_handle)  the worker as the scheduler sees it; SchedWorker for selectors
    WorkerRequest (request)       one task to run; RequestQueue (queue) orders them in a heap
    *Selector (selectors)         which workers may run a request, and which is best
    SchedSnapshot (diag)          what status calls read: SealingSchedDiag, WorkerStats, WorkerJobs
    Scheduler (scheduler)         the loop: one trio task owning queue and pools, fed by channels
    Manager (manager)             sealing calls with their locks, selectors and prepare steps
    RemoteWorkers (remote_worker) WorkerConnect: dial a seal worker back, heartbeat it, drop it
    CallTracker (calltracker)     remote calls' CallIDs and their Return* results, persisted
    format_workers (workers_format)  the ``sealing workers`` layout from WorkerStats JSON

``python -m pylotus.sched.testminer`` runs a miner stand-in for seal-worker tests (until #8).
Import from here, not from the modules.
"""

from __future__ import annotations

from .calltracker import CallFailed as CallFailed
from .calltracker import CallTracker as CallTracker
from .calltracker import ReturnApi as ReturnApi
from .calltracker import TrackedWorker as TrackedWorker
from .calltracker import work_id as work_id
from .diag import Refusal as Refusal
from .diag import SchedDiag as SchedDiag
from .diag import SchedSnapshot as SchedSnapshot
from .diag import WorkerSnapshot as WorkerSnapshot
from .errors import InvalidResourceEnv as InvalidResourceEnv
from .errors import InvalidSchedValue as InvalidSchedValue
from .errors import NoCapableWorker as NoCapableWorker
from .errors import SchedClosed as SchedClosed
from .errors import SchedError as SchedError
from .errors import WorkerClosed as WorkerClosed
from .manager import Manager as Manager
from .manager_local import LocalWorkerHandle as LocalWorkerHandle
from .manager_local import machine_resources as machine_resources
from .pools import PoolUsage as PoolUsage
from .pools import RefusalCause as RefusalCause
from .pools import check_resources as check_resources
from .queue import RequestQueue as RequestQueue
from .remote_worker import HEARTBEAT_INTERVAL as HEARTBEAT_INTERVAL
from .remote_worker import HEARTBEAT_TIMEOUT as HEARTBEAT_TIMEOUT
from .remote_worker import RETURN_GRACE as RETURN_GRACE
from .remote_worker import WORKER_CONNECT_TABLE as WORKER_CONNECT_TABLE
from .remote_worker import RemoteWorkerHandle as RemoteWorkerHandle
from .remote_worker import RemoteWorkers as RemoteWorkers
from .remote_worker import WorkerRefused as WorkerRefused
from .request import DEFAULT_SCHED_PRIORITY as DEFAULT_SCHED_PRIORITY
from .request import PrepareAction as PrepareAction
from .request import WorkerAction as WorkerAction
from .request import WorkerRequest as WorkerRequest
from .resources import PARALLEL_DENOM as PARALLEL_DENOM
from .resources import PARALLEL_NUM as PARALLEL_NUM
from .resources import RESOURCE_TABLE as RESOURCE_TABLE
from .resources import Resources as Resources
from .resources import ResourceTable as ResourceTable
from .resources import default_resource_env as default_resource_env
from .resources import parse_resource_env as parse_resource_env
from .scheduler import FULL_PASS_INTERVAL as FULL_PASS_INTERVAL
from .scheduler import Scheduler as Scheduler
from .sealing_api import SEALING_STATUS_TABLE as SEALING_STATUS_TABLE
from .sealing_api import SealingStatusApi as SealingStatusApi
from .sealing_cli import sealing_group as sealing_group
from .sealing_cli import workers_group as workers_group
from .selectors import SELECTOR_TIMEOUT as SELECTOR_TIMEOUT
from .selectors import AllocSelector as AllocSelector
from .selectors import ExistingSelector as ExistingSelector
from .selectors import PassCache as PassCache
from .selectors import TaskSelector as TaskSelector
from .selectors import WorkerSelector as WorkerSelector
from .task_types import SealTask as SealTask
from .task_types import TaskType as TaskType
from .worker_handle import SchedWorker as SchedWorker
from .worker_handle import WorkerHandle as WorkerHandle
from .worker_info import RunWait as RunWait
from .worker_info import WorkerID as WorkerID
from .worker_info import WorkerInfo as WorkerInfo
from .worker_info import WorkerJob as WorkerJob
from .worker_info import WorkerResources as WorkerResources
from .worker_info import WorkerStats as WorkerStats
from .workers_format import format_workers as format_workers

__all__ = [
    "DEFAULT_SCHED_PRIORITY",
    "FULL_PASS_INTERVAL",
    "HEARTBEAT_INTERVAL",
    "HEARTBEAT_TIMEOUT",
    "PARALLEL_DENOM",
    "PARALLEL_NUM",
    "RESOURCE_TABLE",
    "SELECTOR_TIMEOUT",
    "WORKER_CONNECT_TABLE",
    "AllocSelector",
    "ExistingSelector",
    "InvalidResourceEnv",
    "InvalidSchedValue",
    "LocalWorkerHandle",
    "Manager",
    "NoCapableWorker",
    "PassCache",
    "PoolUsage",
    "PrepareAction",
    "Refusal",
    "RefusalCause",
    "RemoteWorkerHandle",
    "RemoteWorkers",
    "RequestQueue",
    "ResourceTable",
    "Resources",
    "RunWait",
    "SchedClosed",
    "SchedDiag",
    "SchedError",
    "SchedSnapshot",
    "SchedWorker",
    "Scheduler",
    "SealTask",
    "TaskSelector",
    "TaskType",
    "WorkerAction",
    "WorkerClosed",
    "WorkerHandle",
    "WorkerID",
    "WorkerInfo",
    "WorkerJob",
    "WorkerRefused",
    "WorkerRequest",
    "WorkerResources",
    "WorkerSelector",
    "WorkerSnapshot",
    "WorkerStats",
    "check_resources",
    "default_resource_env",
    "format_workers",
    "machine_resources",
    "parse_resource_env",
    "CallFailed",
    "CallTracker",
    "RETURN_GRACE",
    "ReturnApi",
    "TrackedWorker",
    "work_id",
    "SEALING_STATUS_TABLE",
    "SealingStatusApi",
    "sealing_group",
    "workers_group",
]
