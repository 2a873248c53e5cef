"""The layouts of ``pylotus-miner info``, ``sectors list`` and ``sectors status``; pure functions.

Counterparts: Lotus ``cmd/lotus-miner/info.go`` (L12, reference/lotus-miner.md §1.7) and
``sectors.go`` (L05's one-line-per-sector list and the ``status`` lines, §1.5).  Colours are never
printed (Lotus's no-terminal form).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

from ..abi import size_str
from ..chain.bigint import TokenAmount

__all__ = [
    "INFO_STATE_ORDER",
    "format_info",
    "format_sector_status",
    "format_sectors_list",
    "go_duration",
    "go_tabwrite",
]

INFO_STATE_ORDER: Final = (
    "Proving",
    "Empty",
    "WaitDeals",
    "Undefined",
    "Packing",
    "PreCommit1",
    "PreCommit2",
    "PreCommitting",
    "PreCommitWait",
    "WaitSeed",
    "Committing",
    "SubmitCommit",
    "CommitWait",
    "FinalizeSector",
    "Removing",
    "Removed",
)
"""``info``'s ``Sectors:`` order after ``Total``; failure states follow, by name."""


def go_tabwrite(rows: Sequence[Sequence[str]], *, min_width: int, padding: int) -> str:
    """Go ``tabwriter`` (space padding) for rows whose cells were tab-terminated but the last."""
    if not rows:
        return ""
    columns = max(len(r) for r in rows) - 1
    widths = [
        max([min_width] + [len(r[i]) + padding for r in rows if i < len(r) - 1]) for i in range(columns)
    ]
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        lines.append("".join(cells) + row[-1])
    return "".join(line + "\n" for line in lines)


def _yes(value: bool) -> str:
    return "YES" if value else "NO"


def format_sectors_list(sectors: Sequence[Mapping[str, Any]], on_chain: set[int], active: set[int]) -> str:
    """L05 ``sectors list``, ascending by number, one line per sector (tabwriter min width 8,
    padding 1): ``<n>: <State>``, ``sSet: YES|NO``, ``active: YES|NO``, ``tktH: <epoch>``,
    ``seedH: <epoch>``, ``deals: [..]`` and `` toUpgrade:false``."""
    rows = []
    for sector in sorted(sectors, key=lambda s: s["SectorID"]):
        number = sector["SectorID"]
        deals = "[" + " ".join(str(d) for d in sector.get("Deals") or []) + "]"
        rows.append(
            [
                f"{number}: {sector['State']}",
                f"sSet: {_yes(number in on_chain)}",
                f"active: {_yes(number in active)}",
                f"tktH: {sector['Ticket']['Epoch']}",
                f"seedH: {sector['Seed']['Epoch']}",
                f"deals: {deals}",
                f" toUpgrade:{str(bool(sector.get('ToUpgrade'))).lower()}",
            ]
        )
    return go_tabwrite(rows, min_width=8, padding=1)


def _cid(value: Any) -> str:
    return "<nil>" if value is None else str(value["/"])


def format_sector_status(status: Mapping[str, Any], *, show_log: bool, on_chain: bool) -> str:
    """``sectors status [--log] [--on-chain-info]`` (reference §1.5)."""

    def hexed(b64: str | None) -> str:
        return base64.b64decode(b64).hex() if b64 else ""

    lines = [
        f"SectorID:\t{status['SectorID']}",
        f"Status:\t\t{status['State']}",
        f"CIDcommD:\t{_cid(status['CommD'])}",
        f"CIDcommR:\t{_cid(status['CommR'])}",
        f"Ticket:\t\t{hexed(status['Ticket']['Value'])}",
        f"TicketH:\t{status['Ticket']['Epoch']}",
        f"Seed:\t\t{hexed(status['Seed']['Value'])}",
        f"SeedH:\t\t{status['Seed']['Epoch']}",
        f"Precommit:\t{_cid(status['PreCommitMsg'])}",
        f"Commit:\t\t{_cid(status['CommitMsg'])}",
        f"Proof:\t\t{hexed(status['Proof'])}",
        f"Deals:\t\t[{' '.join(str(d) for d in status['Deals'] or [])}]",
        f"Retries:\t{status['Retries']}",
    ]
    if status.get("LastErr"):
        lines.append(f"Last Error:\t\t{status['LastErr']}")
    if on_chain:
        lines += [
            "",
            "Sector On Chain Info",
            f"SealProof:\t\t{status['SealProof']:x}",  # Lotus prints it with %x
            f"Activation:\t\t{status['Activation']}",
            f"Expiration:\t\t{status['Expiration']}",
            f"DealWeight:\t\t{status['DealWeight']}",
            f"VerifiedDealWeight:\t\t{status['VerifiedDealWeight']}",
            f"InitialPledge:\t\t{status['InitialPledge']}",  # attoFIL, as Lotus's %v of a big.Int
            "",
            "Expiration Info",
            f"OnTime:\t\t{status['OnTime']}",
            f"Early:\t\t{status['Early']}",
        ]
    if show_log:
        lines += ["--------", "Event Log:"]
        for index, entry in enumerate(status["Log"] or []):
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry["Timestamp"]))
            lines.append(f"{index}.\t{stamp}:\t[{entry['Kind']}]\t{entry['Message']}")
            if entry.get("Trace"):
                lines.append(f"\t{entry['Trace']}")
    return "\n".join(lines) + "\n"


def go_duration(seconds: int) -> str:
    """Go's ``time.Duration.String`` for whole seconds: ``0s``, ``7m0s``, ``2h53m0s``."""
    if seconds == 0:
        return "0s"
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{sign}{minutes}m{secs}s"
    return f"{sign}{secs}s"


def _percent(part: int, total: int) -> str:
    return f"{(part * 1_000_000 // total) / 10_000 if total else 0.0:0.4f}"


def _sync_line(head_timestamp: int, block_delay: int, now: float) -> str:
    """``Full node: [sync ok]`` / ``[sync slow (1m15s behind)]`` / ``[sync behind! (…)]`` (Go durations)."""
    behind = int(now) - head_timestamp
    delay = max(block_delay, 1)
    if behind < delay * 3 // 2:
        return "Full node: [sync ok]"
    if behind < delay * 5:
        return f"Full node: [sync slow ({go_duration(behind)} behind)]"
    return f"Full node: [sync behind! ({go_duration(behind)} behind)]"


def format_info(
    *,
    miner: str,
    sector_size: int,
    power: Mapping[str, Any],
    sectors: Sequence[Mapping[str, Any]],
    faulty: int,
    balance: TokenAmount,
    available: TokenAmount,
    precommit_deposits: TokenAmount,
    pledge: TokenAmount,
    market: Mapping[str, Any] | None,
    deals: int,
    deal_bytes: int,
    head_timestamp: int,
    block_delay: int,
    state_counts: Mapping[str, int],
    expected_seal_seconds: int = 0,
    now: float | None = None,
) -> str:
    """L12 ``info`` (reference §1.7), no colours."""
    lines = [_sync_line(head_timestamp, block_delay, time.time() if now is None else now)]
    lines.append(f"Miner: {miner}")
    lines.append(f"Sector Size: {size_str(sector_size)}")
    for label, key in (("Byte Power:  ", "RawBytePower"), ("Actual Power:", "QualityAdjPower")):
        mine, total = int(power["MinerPower"][key]), int(power["TotalPower"][key])
        lines.append(f"{label} {size_str(mine)} / {size_str(total)} ({_percent(mine, total)}%)")
    committed = len(sectors) * sector_size
    proving = (len(sectors) - faulty) * sector_size
    lines.append(f"\tCommitted: {size_str(committed)}")
    if faulty:
        lines.append(f"\tProving: {size_str(proving)} ({faulty} Faulty, {_percent(faulty, len(sectors))}%)")
    else:
        lines.append(f"\tProving: {size_str(proving)}")
    if not power.get("HasMinPower", False):
        lines.append("Below minimum power threshold, no blocks will be won")
    lines.append("")
    lines.append(f"Deals: {deals}, {size_str(deal_bytes)}")
    lines.append(f"\tActive: {deals}, {size_str(deal_bytes)} (Verified: 0, 0 B)")
    lines.append("")
    lines.append(f"Miner Balance: {balance}")
    lines.append(f"\tPreCommit:   {precommit_deposits}")
    lines.append(f"\tPledge:      {pledge}")
    lines.append("\tVesting:     0 FIL")
    lines.append(f"\tAvailable:   {available}")
    if market is not None:
        lines.append(f"Market (Escrow):  {TokenAmount.from_json(market['Escrow'])}")
        lines.append(f"Market (Locked):  {TokenAmount.from_json(market['Locked'])}")
    lines.append("")
    lines.append(f"Expected Seal Duration: {go_duration(expected_seal_seconds)}")
    lines.append("")
    lines.append("Sectors:")
    lines.append(f"\tTotal: {sum(state_counts.values())}")
    known = [s for s in INFO_STATE_ORDER if state_counts.get(s)]
    others = sorted(s for s in state_counts if s not in INFO_STATE_ORDER and state_counts[s])
    for state in known + others:
        lines.append(f"\t{state or 'Undefined'}: {state_counts[state]}")
    return "\n".join(lines) + "\n"
