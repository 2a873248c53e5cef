"""``storage attach|list|find`` and ``storage list sectors``: the operator's view of sector storage.

Counterpart: Lotus ``cmd/lotus-miner/storage.go`` (L12, plus HEAD's ``--max-storage``); flags and
layouts are reference/lotus-miner.md §1.4 and anchors.md §4.2.  The commands are thin: they find
the miner's API (``MINER_API_INFO`` or the repo's ``api``/``token``), make a few ``Storage*`` calls
through :class:`~.api.StorageClient` and print with the formatters of :mod:`.storage_format`.  Only
``attach --init`` touches the disk, to write the new path's ``sectorstore.json`` before asking the
miner to open it, and it removes that file again if the miner refuses the path.

The group lives here, beside the API it calls, so that ``pylotus-miner`` (and later the seal
worker) can mount it; ``pylotus-miner find`` is the same command as ``storage find``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from pathlib import Path

import click
import trio

from ..abi import ActorID, InvalidSize, SectorFileType, SectorID, SectorNumber, parse_ram_bytes
from ..cli_group import CliContext, pass_cli, run_async
from ..errors import PylotusError
from ..jsonrpc import ApiInfo, open_http_client, resolve_api_info
from .api import StorageClient
from .errors import StoresError
from .fsutil import META_FILE, create_meta
from .storage_format import (
    SectorFileRow,
    StoreListing,
    format_find,
    format_sector_files,
    format_storage_list,
)
from .storiface import LocalStorageMeta, SectorStorageInfo, StorageID

__all__ = ["find_command", "storage_group"]

_UINT64_MAX = 2**64 - 1


def _use_color(flag: bool | None) -> bool:
    """``--color``/``--no-color`` if given, else colour only on a terminal (Lotus's default)."""
    return sys.stdout.isatty() if flag is None else flag


_COLOR = click.option(
    "--color/--no-color",
    default=None,
    help="use color in display output  [default: depends on output being a TTY]",
)


@click.group("storage")
def storage_group() -> None:
    """Manage sector storage.

    Sectors can be stored across many filesystem paths. These commands provide ways to manage the
    storage the miner will use to store sectors long term for proving (referenced as 'store') as
    well as how sectors will be stored while moving through the sealing pipeline (referenced as
    'seal').
    """


# -- attach ------------------------------------------------------------------------------------


@storage_group.command("attach")
@click.option("--init", "init_", is_flag=True, help="initialize the path first")
@click.option(
    "--weight",
    type=click.IntRange(0, _UINT64_MAX),
    default=10,
    show_default=True,
    help="(for init) path weight",
)
@click.option("--seal", is_flag=True, help="(for init) use path for sealing")
@click.option("--store", is_flag=True, help="(for init) use path for long-term storage")
@click.option(
    "--max-storage", help="(for init) limit storage space for sectors (expensive for very large paths!)"
)
@click.argument("path", required=False)
@pass_cli
def attach(
    cli: CliContext,
    init_: bool,
    weight: int,
    seal: bool,
    store: bool,
    max_storage: str | None,
    path: str | None,
) -> None:
    """Attach a local storage path.

    The list of paths is kept by the miner in its repo's storage.json. Each path holds a
    sectorstore.json describing it; '--init' creates that file from the flags. A higher weight
    makes a path more likely to be chosen; 'seal' paths hold sectors while they seal, 'store'
    paths hold finalized sectors for proving.
    """
    if not path:
        raise click.UsageError("must specify storage path to attach")
    target = Path(os.path.abspath(os.path.expanduser(path)))
    limit = 0
    if max_storage is not None:
        try:
            limit = parse_ram_bytes(max_storage)
        except InvalidSize as exc:
            raise click.BadParameter(f"parsing max-storage: {exc}", param_hint="'--max-storage'") from exc
    if init_ and not (seal or store):
        raise click.UsageError("must specify at least one of --store or --seal")
    info = resolve_api_info(cli.api_kind, cli.repo())  # find the miner before touching the disk
    made_dir = init_ and not target.exists()
    if init_:
        meta = LocalStorageMeta(StorageID(str(uuid.uuid4())), weight, seal, store, limit)
        _init_path(target, meta)
    try:
        run_async(_add_local, info, str(target))
    except BaseException:
        if init_:
            _undo_init(target, made_dir)
        raise


def _init_path(target: Path, meta: LocalStorageMeta) -> None:
    try:
        target.mkdir(mode=0o755, parents=True, exist_ok=True)
    except OSError as exc:
        raise StoresError(f"cannot create directory '{target}': {exc.strerror or exc}") from exc
    create_meta(target, meta)


def _undo_init(target: Path, made_dir: bool) -> None:
    """Leave no state behind when the miner refused the path we just initialized."""
    with contextlib.suppress(OSError):
        (target / META_FILE).unlink()
        if made_dir:
            target.rmdir()


async def _add_local(info: ApiInfo, path: str) -> None:
    async with open_http_client(info, StorageClient) as client:
        await client.storage_add_local(path)


# -- list ----------------------------------------------------------------------------------------


@storage_group.group("list", invoke_without_command=True)
@_COLOR
@click.pass_context
def list_group(ctx: click.Context, color: bool | None) -> None:
    """List local storage paths."""
    if ctx.invoked_subcommand is not None:
        return
    cli = ctx.find_object(CliContext)
    assert cli is not None  # set by the program's root group
    info = resolve_api_info(cli.api_kind, cli.repo())
    click.echo(format_storage_list(run_async(_listings, info), color=_use_color(color)), nl=False)


async def _listings(info: ApiInfo) -> list[StoreListing]:
    async with open_http_client(info, StorageClient) as client:
        decls = await client.storage_list()
        local = await client.storage_local()
        out = []
        for storage_id, sectors in decls.items():
            started = trio.current_time()
            try:
                stat, error = await client.storage_stat(storage_id), None
            except PylotusError as exc:  # one path's failure is shown in its block, as Lotus
                stat, error = None, str(exc)
            latency = trio.current_time() - started
            out.append(
                StoreListing(
                    info=await client.storage_info(storage_id),
                    decls=sectors,
                    stat=stat,
                    stat_error=error,
                    latency=latency,
                    local_path=local.get(storage_id),
                )
            )
    return out


@list_group.command("sectors")
@_COLOR
@pass_cli
def list_sectors(cli: CliContext, color: bool | None) -> None:
    """Get list of all sector files."""
    info = resolve_api_info(cli.api_kind, cli.repo())
    click.echo(format_sector_files(run_async(_sector_rows, info), color=_use_color(color)), nl=False)


async def _sector_rows(info: ApiInfo) -> list[SectorFileRow]:
    async with open_http_client(info, StorageClient) as client:
        found: dict[tuple[SectorID, SectorFileType], list[SectorStorageInfo]] = {}
        rows = []
        for storage_id, decls in (await client.storage_list()).items():
            for decl in decls:
                for kind in SectorFileType.all_types():
                    if not kind & decl.file_type:
                        continue
                    key = (decl.sector, kind)
                    if key not in found:
                        found[key] = await client.storage_find_sector(decl.sector, kind, 0, False)
                    for copy in found[key]:
                        if copy.id == storage_id:
                            rows.append(SectorFileRow(storage_id, decl.sector.number, kind, copy))
    return rows


# -- find ----------------------------------------------------------------------------------------


@click.command("find")
@click.argument("sector")
@click.pass_context
def find_command(ctx: click.Context, sector: str) -> None:
    """Find sector in the storage system.

    SECTOR is the sector number; every path holding any of its files is listed.
    """
    if not sector.isascii() or not sector.isdigit() or int(sector) > _UINT64_MAX:
        raise click.BadParameter(f"'{sector}' is not a sector number", param_hint="'SECTOR'")
    cli = ctx.find_object(CliContext)
    assert cli is not None  # set by the program's root group
    info = resolve_api_info(cli.api_kind, cli.repo())
    click.echo(run_async(_find, info, int(sector)), nl=False)


storage_group.add_command(find_command)


async def _find(info: ApiInfo, number: int) -> str:
    async with open_http_client(info, StorageClient) as client:
        miner = await client.actor_address()
        sector = SectorID(ActorID(miner.id()), SectorNumber(number))
        by_type = {
            kind: await client.storage_find_sector(sector, kind, 0, False)
            for kind in SectorFileType.all_types()
        }
        local = await client.storage_local()
    return format_find(by_type, local)
