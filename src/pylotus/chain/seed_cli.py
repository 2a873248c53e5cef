"""``pylotus-seed``: pre-seal sectors and build genesis templates, as Lotus's ``lotus-seed``.

Counterpart: Lotus ``cmd/lotus-seed/main.go`` (``pre-seal``) and ``cmd/lotus-seed/genesis.go``
(``genesis new``, ``genesis add-miner``); the devnet recipe is reference/lotus-miner.md §8::

    pylotus-seed pre-seal --sector-size 2KiB --num-sectors 2
    pylotus-seed genesis new localnet.json
    pylotus-seed genesis add-miner localnet.json ~/.genesis-sectors/pre-seal-t01000.json

Global flag: ``--sector-dir`` (default ``~/.genesis-sectors``, as Lotus).  Flags keep Lotus's names and
defaults; a bad flag is refused (exit 2) before anything is sealed or written, a failure is one
``Error:`` line (exit 1).  The work lives in :mod:`.preseal` and :mod:`.genesis_template`.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from .. import __version__
from ..abi import (
    DEVNET_NETWORK_VERSION,
    AbiError,
    Address,
    RegisteredSealProof,
    parse_sector_size,
    seal_proof_type_from_sector_size,
    size_str,
)
from ..cli_group import PylotusGroup, log_level_option
from .crypto import key_address
from .genesis_template import (
    DEFAULT_MINER_BALANCE_FIL,
    add_miners,
    new_template,
    read_preseal_manifest,
    read_template,
    write_template,
)
from .preseal import (
    DEFAULT_TICKET_PREIMAGE,
    PHASES,
    PRESEAL_SECTOR_SIZES,
    SealProgress,
    pre_seal,
    read_key_file,
    write_genesis_miner,
)

__all__ = ["cli", "main"]


@click.group(cls=PylotusGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--sector-dir",
    default="~/.genesis-sectors",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="where pre-sealed sectors are written",
)
@log_level_option
@click.version_option(__version__, prog_name="pylotus-seed")
@click.pass_context
def cli(ctx: click.Context, sector_dir: Path) -> None:
    """Seal sectors for genesis miners."""
    ctx.obj = sector_dir.expanduser()


# -- pre-seal -------------------------------------------------------------------------------------------


def _miner_address(ctx: click.Context, param: click.Parameter, value: str) -> Address:
    try:
        address = Address.from_string(value)
        address.id()
    except AbiError as exc:
        raise click.BadParameter(f"'{value}' is not a miner ID address (t0…): {exc}") from None
    return address


def _sector_size(ctx: click.Context, param: click.Parameter, value: str) -> int:
    try:
        size = int(parse_sector_size(value))
    except AbiError as exc:
        raise click.BadParameter(str(exc)) from None
    if size not in PRESEAL_SECTOR_SIZES:
        sizes = ", ".join(size_str(s) for s in PRESEAL_SECTOR_SIZES)
        raise click.BadParameter(f"'{value}': pylotus pre-seals real sectors of {sizes} only")
    return size


def _no_fake_sectors(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        raise click.BadParameter(
            "pylotus seals every pre-sealed sector for real (a 2KiB sector takes about a second); "
            "drop the flag"
        )
    return value


@cli.command("pre-seal")
@click.option(
    "--miner-addr",
    default="t01000",
    show_default=True,
    callback=_miner_address,
    help="specify the future address of your miner",
)
@click.option(
    "--sector-size",
    default="2KiB",
    show_default=True,
    callback=_sector_size,
    help="specify size of sectors to pre-seal",
)
@click.option(
    "--ticket-preimage",
    default=DEFAULT_TICKET_PREIMAGE,
    show_default=True,
    help="set the ticket preimage for sealing randomness",
)
@click.option(
    "--num-sectors",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="select number of sectors to pre-seal",
)
@click.option(
    "--sector-offset",
    default=0,
    show_default=True,
    type=click.IntRange(0, 2**63 - 1),
    help="how many sector ids to skip when starting to seal",
)
@click.option(
    "--key",
    "key_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="(optional) key file (hex KeyInfo, secp256k1) to use for signing / owner/worker addresses",
)
@click.option(
    "--fake-sectors",
    is_flag=True,
    callback=_no_fake_sectors,
    expose_value=False,
    help="not supported: pylotus always seals real sectors",
)
@click.option(
    "--network-version",
    default=DEVNET_NETWORK_VERSION,
    show_default=True,
    type=click.IntRange(min=0),
    help="specify network version (chooses the seal proof type)",
)
@click.pass_obj
def pre_seal_command(
    sector_dir: Path,
    miner_addr: Address,
    sector_size: int,
    ticket_preimage: str,
    num_sectors: int,
    sector_offset: int,
    key_file: Path | None,
    network_version: int,
) -> None:
    """Pre-seal sectors of random data for a genesis miner."""
    proof = seal_proof_type_from_sector_size(sector_size, network_version)
    key = read_key_file(key_file.expanduser()) if key_file is not None else None
    total = num_sectors * len(PHASES)
    with click.progressbar(
        length=total,
        label=f"pre-sealing {num_sectors} sector(s) of {size_str(sector_size)} for {miner_addr}",
        file=sys.stderr,
        item_show_func=lambda item: item,
    ) as bar:

        def progress(step: SealProgress) -> None:
            if step.phase != PHASES[0]:
                bar.update(1, f"{step.sector}: {step.phase}")

        output = pre_seal(
            sector_dir,
            miner_addr,
            proof,
            num_sectors=num_sectors,
            sector_offset=sector_offset,
            ticket_preimage=ticket_preimage.encode(),
            key=key,
            progress=progress,
        )
    manifest, key_path = write_genesis_miner(sector_dir, miner_addr, output)
    click.echo(_summary(output.miner.sectors[0].proof_type, num_sectors, miner_addr, sector_dir))
    click.echo(f"manifest: {manifest}")
    click.echo(f"key: {key_path} (owner {key_address(output.key)})")


def _summary(proof: RegisteredSealProof, count: int, miner: Address, sector_dir: Path) -> str:
    sectors = "sector" if count == 1 else "sectors"
    return f"pre-sealed {count} {proof.lotus_name} {sectors} for {miner} in {sector_dir}"


# -- genesis ----------------------------------------------------------------------------------------------


@cli.group("genesis", cls=PylotusGroup)
def genesis_group() -> None:
    """Manipulate lotus genesis template."""


def _timestamp(ctx: click.Context, param: click.Parameter, value: str | None) -> int:
    if value is None:
        return 0
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise click.BadParameter(f"'{value}' is not an RFC 3339 time such as 2025-02-27T15:04:05Z")
    return int(moment.timestamp())


@genesis_group.command("new")
@click.argument("template_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--network-name", default=None, help="network name [default: localnet-<random uuid>]")
@click.option(
    "--timestamp",
    callback=_timestamp,
    default=None,
    help="the genesis timestamp as an RFC 3339 time, e.g. 2025-02-27T15:04:05Z [default: none]",
)
def genesis_new(template_file: Path, network_name: str | None, timestamp: int) -> None:
    """Create new genesis template."""
    write_template(template_file.expanduser(), new_template(network_name=network_name, timestamp=timestamp))


@genesis_group.command("add-miner")
@click.argument("template_file", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("preseal_file", metavar="PRESEAL.json", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--balance",
    default=DEFAULT_MINER_BALANCE_FIL,
    show_default=True,
    type=click.IntRange(min=0),
    help="FIL given to each miner's owner",
)
def genesis_add_miner(template_file: Path, preseal_file: Path, balance: int) -> None:
    """Add genesis miner."""
    path = template_file.expanduser()
    template = read_template(path)
    manifest = read_preseal_manifest(preseal_file.expanduser())
    write_template(path, add_miners(template, manifest, balance))


def main() -> None:
    cli(prog_name="pylotus-seed")
