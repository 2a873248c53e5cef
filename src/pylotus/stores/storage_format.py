"""What ``storage list``, ``storage find`` and ``storage list sectors`` print, as pure functions.

Counterpart: the printing half of Lotus ``cmd/lotus-miner/storage.go`` (L12; the ``(limit)`` bar of
HEAD for paths with ``MaxStorage``); layouts in reference/lotus-miner.md §1.4 and anchors.md §4.2.
Each formatter takes the API's answers and returns the text, so layouts are tested without a
server, byte for byte.

Two Lotus bugs are not reproduced: v0.3.0's ``storage find`` printed ``CanSeal`` twice, and
``storage list sectors`` fills its ``Primary`` column from ``CanSeal``; here ``Sealing:``/``Storage:``
and ``Primary`` say what they name.  ``storage list sectors`` has no ``State`` column yet: sector
states arrive with the miner's sealing pipeline (issue #8).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import click

from ..abi import SectorFileType, SectorNumber, size_str
from .storiface import Decl, FsStat, SectorStorageInfo, StorageID, StorageInfo

__all__ = [
    "BAR_COLUMNS",
    "SectorFileRow",
    "StoreListing",
    "format_find",
    "format_go_duration",
    "format_sector_files",
    "format_storage_list",
]

BAR_COLUMNS: Final = 50  # Lotus barCols
_WARN_PERCENT: Final = 90  # yellow above
_FULL_PERCENT: Final = 98  # red above
_FIND_LABELS: Final = {
    SectorFileType.UNSEALED: "Unsealed",
    SectorFileType.SEALED: "Sealed",
    SectorFileType.CACHE: "Cache",
}


@dataclass(frozen=True)
class StoreListing:
    """One path's answers for ``storage list``: its info, declarations, stat (or why not), latency."""

    info: StorageInfo
    decls: Sequence[Decl]
    stat: FsStat | None
    stat_error: str | None
    latency: float  # seconds the StorageStat call took
    local_path: str | None


@dataclass(frozen=True)
class SectorFileRow:
    """One sector file in one path, for ``storage list sectors``."""

    storage: StorageID
    number: SectorNumber
    kind: SectorFileType
    copy: SectorStorageInfo


def _style(text: str, fg: str, color: bool) -> str:
    return click.style(text, fg=fg) if color else text


def _go_div(a: int, b: int) -> int:
    """Go's integer division (truncates toward zero; Python's ``//`` floors)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def _bar(used: int, reserved: int, total: int) -> str:
    return "#" * max(used, 0) + "*" * max(reserved, 0) + " " * max(total, 0)


def _percent_color(percent: int) -> str:
    if percent > _FULL_PERCENT:
        return "red"
    return "yellow" if percent > _WARN_PERCENT else "green"


def _usage_lines(stat: FsStat, color: bool) -> list[str]:
    # The filesystem bar is the filesystem's own free space (FSAvailable), as Lotus HEAD
    # cmd/lotus-miner/storage.go: Available is already capped by MaxStorage and reduced by
    # reservations, which the limit bar below and the Reserved line show.
    cap = max(stat.capacity, 1)  # a zero-capacity stat (failed path) must not divide by zero
    taken = stat.capacity - stat.fs_available
    percent = _go_div(taken * 100, cap)
    cols = _go_div(taken * BAR_COLUMNS, cap)
    used = _go_div((stat.capacity - (stat.fs_available + stat.reserved)) * BAR_COLUMNS, cap)
    fg = _percent_color(percent)
    bar = _style(_bar(used, cols - used, BAR_COLUMNS - cols), fg, color)
    pct = _style(f"{percent}%", fg, color)
    desc = " (filesystem)" if stat.max > 0 else ""
    lines = [f"\t[{bar}] {size_str(max(taken, 0))}/{size_str(stat.capacity)} {pct}{desc}"]
    if stat.max > 0:
        percent = _go_div(stat.used * 100, stat.max)
        used = min(_go_div(stat.used * BAR_COLUMNS, stat.max), BAR_COLUMNS)
        held = min(_go_div(stat.reserved * BAR_COLUMNS, stat.max), BAR_COLUMNS - used)
        fg = _percent_color(percent)
        bar = _style(_bar(used, held, BAR_COLUMNS - used - held), fg, color)
        pct = _style(f"{percent}%", fg, color)
        lines.append(f"\t[{bar}] {size_str(stat.used)}/{size_str(stat.max)} {pct} (limit)")
    return lines


def _counts(decls: Sequence[Decl]) -> tuple[int, int, int]:
    kinds = SectorFileType.all_types()
    return tuple(sum(1 for d in decls if d.file_type & kind) for kind in kinds)  # type: ignore[return-value]  # three kinds


def format_go_duration(seconds: float) -> str:
    """A latency as Lotus prints it: Go's ``Duration.Truncate(100µs).String()`` (``1.2ms``, ``3.4567s``)."""
    nanos = int(seconds * 1e9) // 100_000 * 100_000
    if nanos == 0:
        return "0s"
    if nanos < 1_000_000:
        return f"{_trim(Decimal(nanos) / 1000)}µs"
    if nanos < 1_000_000_000:
        return f"{_trim(Decimal(nanos) / 1_000_000)}ms"
    minutes, rest = divmod(nanos, 60_000_000_000)
    secs = f"{_trim(Decimal(rest) / 1_000_000_000)}s"
    return f"{minutes}m{secs}" if minutes else secs


def _trim(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_storage_list(listings: Sequence[StoreListing], *, color: bool = False) -> str:
    """``storage list``: one block per path, largest capacity first, then by ID."""
    ordered = sorted(listings, key=lambda s: (-(s.stat.capacity if s.stat else 0), s.info.id))
    out: list[str] = []
    for item in ordered:
        out.append(f"{item.info.id}:")
        if item.stat is None:
            out.append(f"\t{_style('Error', 'red', color)}: {item.stat_error}")
            continue
        out.extend(_usage_lines(item.stat, color))
        unsealed, sealed, caches = _counts(item.decls)
        counts = (
            _style(f"Unsealed: {unsealed}", "yellow", color),
            _style(f"Sealed: {sealed}", "green", color),
            _style(f"Caches: {caches}", "blue", color),
            f"Reserved: {size_str(max(item.stat.reserved, 0))}",
        )
        out.append("\t" + "; ".join(counts))
        info = item.info
        if info.can_seal or info.can_store:
            use = (_style("Seal ", "magenta", color) if info.can_seal else "") + (
                _style("Store", "cyan", color) if info.can_store else ""
            )
            out.append(f"\tWeight: {info.weight}; Use: {use}")
        else:
            out.append("\t" + _style("Use: ReadOnly", "bright_yellow", color))
        if item.local_path is not None:
            out.append(f"\tLocal: {_style(item.local_path, 'green', color)}")
        for i, url in enumerate(info.urls):
            latency = (
                f" (latency: {format_go_duration(item.latency)})"
                if item.local_path is None and i == 0
                else ""
            )
            out.append(f"\tURL: {url}{latency}")
        out.append("")
    return "".join(line + "\n" for line in out)


def format_find(
    by_type: Mapping[SectorFileType, Sequence[SectorStorageInfo]], local: Mapping[StorageID, str]
) -> str:
    """``storage find``: one block per path holding any of the sector's files, by ID."""
    kinds: dict[StorageID, list[SectorFileType]] = {}
    infos: dict[StorageID, SectorStorageInfo] = {}
    for kind in SectorFileType.all_types():
        for info in by_type.get(kind, ()):
            kinds.setdefault(info.id, []).append(kind)
            infos.setdefault(info.id, info)
    out = []
    for storage_id in sorted(kinds):
        info = infos[storage_id]
        names = ", ".join(_FIND_LABELS[k] for k in kinds[storage_id])
        out.append(f"In {storage_id} ({names})")
        out.append(f"\tSealing: {str(info.can_seal).lower()}; Storage: {str(info.can_store).lower()}")
        out.append(f"\tLocal ({local[storage_id]})" if storage_id in local else "\tRemote")
        out.extend(f"\tURL: {url}" for url in info.urls)
    return "".join(line + "\n" for line in out)


def format_sector_files(rows: Sequence[SectorFileRow], *, color: bool = False) -> str:
    """``storage list sectors``: a table of every sector file, store paths first; empty when none."""
    if not rows:
        return ""
    ordered = sorted(rows, key=lambda r: (not r.copy.can_store, r.storage, r.number, int(r.kind)))
    header = ("Storage", "Sector", "Type", "Primary", "Path use", "URLs")
    table = [header]
    for row in ordered:
        use = ("seal " if row.copy.can_seal else "") + ("store" if row.copy.can_store else "")
        primary = "primary" if row.copy.primary else ""
        table.append((row.storage, str(row.number), str(row.kind), primary, use, ";".join(row.copy.urls)))
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = []
    colors = ("blue", "cyan")  # alternate per path, as Lotus
    shade, last = 1, None
    for index, cells in enumerate(table):
        padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=True)]
        if index and cells[0] != last:
            shade, last = 1 - shade, cells[0]
        if index:
            padded[0] = _style(padded[0], colors[shade], color)
        lines.append("  ".join(padded).rstrip())
    return "".join(line + "\n" for line in lines)
