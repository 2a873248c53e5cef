"""``pylotus wallet|send|chain|mpool|sync|state``: client commands over the FullNode API, as ``lotus``.

Counterparts: Lotus ``cli/wallet.go``, ``cli/send.go``, ``cli/chain.go`` (``head``),
``cli/mpool.go`` (``pending``), ``cli/sync.go`` (``status``) and ``cli/state.go`` (``power``,
``miner-info``); output keeps their layouts (a
``tablewriter`` table for ``wallet list``, ``types.FIL`` amounts such as ``1000 FIL``, Go's
``%s`` of a CID slice ``[bafy…]``, ``json.MarshalIndent`` for pending messages).  Each command
opens the API named by ``FULLNODE_API_INFO`` or the repo's ``api``/``token`` files and makes a few
calls; no command opens the datastore.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

import click

from pylotus.abi import Address, InvalidAddress, JsonObject, size_str

from ..cli_group import CliContext, pass_cli, run_async
from ..jsonrpc import ApiInfo, resolve_api_info
from ..jsonrpc.client import open_http_client
from ..jsonrpc.errors import MethodError
from .api import FullNodeClient
from .bigint import TokenAmount, parse_fil
from .errors import InvalidAmount
from .types import Message

__all__ = [
    "chain_group",
    "format_miner_info",
    "format_power",
    "mpool_group",
    "parse_duration",
    "send",
    "state_group",
    "sync_group",
    "wallet_group",
]

T = TypeVar("T")

# Lotus api.SyncStateStage and its String()
_STAGE_NAMES: Final = {
    0: "idle worker",
    1: "header sync",
    2: "persisting headers",
    3: "message sync",
    4: "complete",
    5: "error",
    6: "fetching messages",
}
_DURATION_PART: Final = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS: Final = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in a Go duration (``time.ParseDuration``): ``"4s"``, ``"500ms"``, ``"1m30s"``.

    Raises:
        ValueError: not a duration (Go's wording: ``time: invalid duration "x"``).
    """
    if text == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        if match is None:
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if not text:
        raise ValueError(f'time: invalid duration "{text}"')
    return total


class Duration(click.ParamType[float]):
    """A click type for Go durations, as Lotus's flags take them."""

    name = "duration"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class AddressType(click.ParamType[Address]):
    name = "address"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> Address:
        if isinstance(value, Address):
            return value
        try:
            return Address.from_string(str(value))
        except InvalidAddress as exc:
            self.fail(str(exc), param, ctx)


ADDRESS: Final = AddressType()


def _call(cli: CliContext, fn: Callable[[FullNodeClient], Awaitable[T]]) -> T:
    info: ApiInfo = resolve_api_info(cli.api_kind, cli.repo())

    async def go() -> T:
        async with open_http_client(info, FullNodeClient) as client:
            return await fn(client)

    return run_async(go)


def _fil(atto: int) -> str:
    return str(TokenAmount(atto))


# -- wallet -------------------------------------------------------------------------------------------


@click.group("wallet")
def wallet_group() -> None:
    """Manage wallet."""


@wallet_group.command("new")
@click.argument("key_type", metavar="[bls|secp256k1 (default secp256k1)]", default="secp256k1")
@pass_cli
def wallet_new(cli: CliContext, key_type: str) -> None:
    """Generate a new key of the given type."""
    click.echo(str(_call(cli, lambda c: c.wallet_new(key_type))))


@wallet_group.command("list")
@pass_cli
def wallet_list(cli: CliContext) -> None:
    """List wallet address."""

    async def rows(c: FullNodeClient) -> list[list[str]]:
        addresses = await c.wallet_list()
        try:
            default: Address | None = await c.wallet_default_address()
        except MethodError:  # no default is a normal state: Lotus then marks no row
            default = None
        table = [["Address", "Balance", "Nonce", "Default"]]
        for address in addresses:
            balance = await c.wallet_balance(address)
            try:
                actor = await c.state_get_actor(address)
                nonce = actor["Nonce"] if isinstance(actor, dict) else 0
            except MethodError:  # "actor not found": a key never used on chain, nonce 0 as Lotus
                nonce = 0
            table.append([str(address), _fil(balance), str(nonce), "X" if address == default else ""])
        return table

    click.echo(format_table(_call(cli, rows)), nl=False)


def format_table(rows: list[list[str]]) -> str:
    """Columns padded to their widest cell and two spaces apart (Lotus's ``tablewriter``)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    return "\n".join(lines) + "\n"


@wallet_group.command("balance")
@click.argument("address", metavar="[address]", type=ADDRESS, required=False)
@pass_cli
def wallet_balance(cli: CliContext, address: Address | None) -> None:
    """Get account balance."""

    async def go(c: FullNodeClient) -> int:
        return await c.wallet_balance(address or await c.wallet_default_address())

    click.echo(_fil(_call(cli, go)))


@wallet_group.command("default")
@pass_cli
def wallet_default(cli: CliContext) -> None:
    """Get default wallet address."""
    click.echo(str(_call(cli, lambda c: c.wallet_default_address())))


@wallet_group.command("set-default")
@click.argument("address", metavar="[address]", type=ADDRESS)
@pass_cli
def wallet_set_default(cli: CliContext, address: Address) -> None:
    """Set default wallet address."""
    _call(cli, lambda c: c.wallet_set_default(address))


@wallet_group.command("export")
@click.argument("address", metavar="[address]", type=ADDRESS)
@pass_cli
def wallet_export(cli: CliContext, address: Address) -> None:
    """Export keys: the KeyInfo as hex-encoded JSON, as Lotus prints it."""
    key_info = _call(cli, lambda c: c.wallet_export(address))
    click.echo(json.dumps(key_info, separators=(",", ":")).encode().hex())


@wallet_group.command("import")
@click.argument("path", metavar="[<path> (optional, will read from stdin if omitted)]", required=False)
@click.option(
    "--format",
    "key_format",
    type=click.Choice(["hex-lotus", "json-lotus"]),
    default="hex-lotus",
    show_default=True,
    help="specify input format for key",
)
@click.option("--as-default", is_flag=True, help="import the given key as your new default key")
@pass_cli
def wallet_import(cli: CliContext, path: str | None, key_format: str, as_default: bool) -> None:
    """Import keys."""
    raw = click.get_text_stream("stdin").read() if path is None else _read_text(path)
    text = raw.strip()
    try:
        key_info = json.loads(bytes.fromhex(text) if key_format == "hex-lotus" else text)
    except ValueError:
        raise click.ClickException(f"key is not {key_format}: expected {_FORMAT_HINT[key_format]}") from None

    async def go(c: FullNodeClient) -> Address:
        address = await c.wallet_import(key_info)
        if as_default:
            await c.wallet_set_default(address)
        return address

    click.echo(f"imported key {_call(cli, go)} successfully!")


_FORMAT_HINT: Final = {"hex-lotus": "hex of the KeyInfo JSON", "json-lotus": "the KeyInfo JSON"}


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as exc:
        raise click.ClickException(f"cannot read key file '{path}': {exc.strerror}") from None


# -- send, chain, mpool, sync -------------------------------------------------------------------------


@click.command("send")
@click.argument("target", metavar="[targetAddress]", type=ADDRESS)
@click.argument("amount", metavar="[amount]")
@click.option("--from", "from_", type=ADDRESS, help="optionally specify the account to send funds from")
@pass_cli
def send(cli: CliContext, target: Address, amount: str, from_: Address | None) -> None:
    """Send funds between accounts."""
    try:
        value = parse_fil(amount)
    except InvalidAmount as exc:
        raise click.BadParameter(f"failed to parse amount: {exc}", param_hint="amount") from exc

    async def go(c: FullNodeClient) -> str:
        sender = from_ or await c.wallet_default_address()
        signed = await c.mpool_push_message(Message(to=target, from_=sender, value=value))
        return str(signed.cid())

    click.echo(_call(cli, go))


@click.group("chain")
def chain_group() -> None:
    """Interact with filecoin blockchain."""


@chain_group.command("head")
@pass_cli
def chain_head(cli: CliContext) -> None:
    """Print chain head."""
    head: Any = _call(cli, lambda c: c.chain_head())  # Lotus TipSet JSON
    for cid in head["Cids"]:
        click.echo(cid["/"])


@click.group("mpool")
def mpool_group() -> None:
    """Manage message pool."""


@mpool_group.command("pending")
@pass_cli
def mpool_pending(cli: CliContext) -> None:
    """Get pending messages."""
    pending: Any = _call(cli, lambda c: c.mpool_pending())  # a list of SignedMessage JSON
    for signed in pending or []:
        click.echo(json.dumps(signed, indent=2))


@click.group("sync")
def sync_group() -> None:
    """Inspect or interact with the chain syncer."""


@sync_group.command("status")
@pass_cli
def sync_status(cli: CliContext) -> None:
    """Check sync status."""
    state: Any = _call(cli, lambda c: c.sync_state())  # Lotus SyncState JSON
    click.echo("sync status:")
    for ss in state["ActiveSyncs"]:
        base = [c["/"] for c in ss["Base"]["Cids"]]
        target = [c["/"] for c in ss["Target"]["Cids"]]
        diff = ss["Target"]["Height"] - ss["Base"]["Height"]
        click.echo(f"worker {ss['WorkerID']}:")
        click.echo(f"\tBase:\t[{' '.join(base)}]")
        click.echo(f"\tTarget:\t[{' '.join(target)}] ({ss['Target']['Height']})")
        click.echo(f"\tHeight diff:\t{diff}")
        click.echo(f"\tStage: {_STAGE_NAMES.get(ss['Stage'], str(ss['Stage']))}")
        click.echo(f"\tHeight: {ss['Height']}")


# -- state --------------------------------------------------------------------------------------------


@click.group("state")
def state_group() -> None:
    """Interact with and query filecoin chain state."""


def _percent(part: str, total: str) -> float:
    """Lotus's ``BigDiv(part × 1e6, total) / 1e4``; 0 when there is no power at all."""
    return (int(part) * 1_000_000 // int(total)) / 10_000 if int(total) else 0.0


def format_power(power: Any) -> str:
    """``lotus state power <miner>``: ``QA(size) / TotalQA(size) ~= P%``."""
    mine, total = power["MinerPower"]["QualityAdjPower"], power["TotalPower"]["QualityAdjPower"]
    return (
        f"{mine}({size_str(int(mine))}) / {total}({size_str(int(total))}) ~= {_percent(mine, total):0.4f}%\n"
    )


def format_miner_info(info: Any, power: Any, deadline: JsonObject) -> str:
    """``lotus state miner-info``'s layout (without Lotus's colours and wall-clock times)."""
    lines = [f"Owner:\t{info['Owner']}", f"Worker:\t{info['Worker']}"]
    lines += [f"Control {i}: \t{a}" for i, a in enumerate(info["ControlAddresses"] or [])]
    lines.append(f"Beneficiary:\t{info['Beneficiary']}")
    lines.append(f"PeerID:\t{info['PeerId']}")
    lines.append("Multiaddrs:\t" + "".join(f"{a} " for a in info["Multiaddrs"] or []))
    lines.append(f"Consensus Fault End:\t{info['ConsensusFaultElapsed']}")
    lines.append(f"SectorSize:\t{size_str(info['SectorSize'])} ({info['SectorSize']})")
    for label, key in (("Byte Power:  ", "RawBytePower"), ("Actual Power:", "QualityAdjPower")):
        mine, total = power["MinerPower"][key], power["TotalPower"][key]
        lines.append(
            f"{label} {size_str(int(mine))} / {size_str(int(total))} ({_percent(mine, total):0.4f}%)"
        )
    lines.append("")
    lines.append(f"Proving Period Start:\t{deadline['PeriodStart']}")
    return "\n".join(lines) + "\n"


@state_group.command("power")
@click.argument("miner", metavar="<minerAddress>", type=ADDRESS)
@pass_cli
def state_power(cli: CliContext, miner: Address) -> None:
    """Query network or miner power."""
    click.echo(format_power(_call(cli, lambda c: c.state_miner_power(miner))), nl=False)


@state_group.command("miner-info")
@click.argument("miner", metavar="[minerAddress]", type=ADDRESS)
@pass_cli
def state_miner_info(cli: CliContext, miner: Address) -> None:
    """Retrieve miner information."""

    async def go(c: FullNodeClient) -> str:
        info = await c.state_miner_info(miner)
        power = await c.state_miner_power(miner)
        deadline: Any = await c.call("StateMinerProvingDeadline", miner, None)
        return format_miner_info(info, power, deadline)

    click.echo(_call(cli, go), nl=False)
