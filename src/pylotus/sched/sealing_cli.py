"""``sealing workers|jobs|sched-diag``: the operator's view of the scheduler, over the miner API.

Counterpart: Lotus L12 ``cmd/lotus-storage-miner/sealing.go`` (``sealingWorkersCmd``,
``sealingJobsCmd``, ``sealingSchedDiagCmd``); layouts in reference/lotus-miner.md §1.6.  Like
``storage list`` (:mod:`pylotus.stores.storage_cli`) the commands are thin: they find the miner's
API (``MINER_API_INFO``, else the miner repo's ``api``/``token``), call ``WorkerStats``,
``WorkerJobs`` or ``SealingSchedDiag`` through :class:`~.sealing_api.SealingStatusClient` and print
with :mod:`.workers_format` and :mod:`.sealing_format`.

``pylotus-miner workers list`` (L041's spelling, kept by the issue) is the same command as
``sealing workers``.  Output is never coloured: the formatters print Lotus's no-terminal form.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from ..abi import JsonObject
from ..cli_group import CliContext, pass_cli, run_async
from ..jsonrpc import ApiInfo, open_http_client, resolve_api_info
from .sealing_api import FORCE_SCHED_TIMEOUT, SealingStatusClient
from .sealing_format import format_jobs
from .workers_format import format_workers

__all__ = ["sealing_group", "workers_group"]

_RPC_TIMEOUT = FORCE_SCHED_TIMEOUT + 10.0  # a forced pass answers within the server's own bound


@click.group("sealing")
def sealing_group() -> None:
    """Interact with the sealing pipeline (jobs, workers, sched-diag)."""


@click.command("workers")
@pass_cli
def workers_command(cli: CliContext) -> None:
    """List workers: each one's host, running tasks, and CPU, RAM, VMEM and GPU use."""
    info = resolve_api_info(cli.api_kind, cli.repo())
    click.echo(format_workers(run_async(_stats, info)), nl=False)


async def _stats(info: ApiInfo) -> JsonObject:
    async with open_http_client(info, SealingStatusClient) as client:
        return await client.worker_stats()


@sealing_group.command("jobs")
@click.option("--show-ret-done", is_flag=True, help="show returned but not consumed calls")
@pass_cli
def jobs_command(cli: CliContext, show_ret_done: bool) -> None:
    """List running jobs: the tasks on each worker, running first, oldest first."""
    info = resolve_api_info(cli.api_kind, cli.repo())
    jobs, stats = run_async(_jobs, info)
    click.echo(format_jobs(jobs, stats, now=datetime.now(UTC), show_ret_done=show_ret_done), nl=False)


async def _jobs(info: ApiInfo) -> tuple[JsonObject, JsonObject]:
    async with open_http_client(info, SealingStatusClient) as client:
        return await client.worker_jobs(), await client.worker_stats()


@sealing_group.command("sched-diag")
@click.option("--force-sched", is_flag=True, help="run a full scheduling pass first")
@pass_cli
def sched_diag_command(cli: CliContext, force_sched: bool) -> None:
    """Dump internal scheduler state: queued requests and why each worker refuses each of them."""
    info = resolve_api_info(cli.api_kind, cli.repo())
    diag = run_async(_diag, info, force_sched)
    click.echo(json.dumps(diag, indent=2, ensure_ascii=False))  # Go's json.MarshalIndent(st, "", "  ")


async def _diag(info: ApiInfo, force_sched: bool) -> JsonObject:
    async with open_http_client(info, SealingStatusClient, timeout=_RPC_TIMEOUT) as client:
        return await client.sealing_sched_diag(force_sched)


sealing_group.add_command(workers_command)


@click.group("workers")
def workers_group() -> None:
    """Manage worker processes (``list`` is ``sealing workers``)."""


workers_group.add_command(workers_command, "list")
