"""``pylotus-bench sched``: flags, the table, and what each case places (timings are not asserted)."""

from __future__ import annotations

from click.testing import CliRunner

from pylotus.bench import cli
from pylotus.bench.sched import CASES, placeable, run_sched_case


def test_placeable_counts_follow_the_resource_table() -> None:
    # 2 KiB PC1 takes one core: a 32-core worker fits 32.
    assert {name: placeable(*CASES[name]) for name in CASES} == {
        "1w-1q": 1,
        "500w-1q": 1,
        "1w-500q": 32,
        "200w-400q": 400,
        "200w-2000q": 2000,
    }


def test_a_shared_selector_is_asked_once_per_worker() -> None:
    result = run_sched_case("200w-400q", 200, 400, cost=0.0, distinct=False)
    assert (result.placeable, result.selector_calls) == (400, 200)
    assert result.naive == 0.0 and result.seconds > 0


def test_distinct_selectors_are_asked_per_request() -> None:
    result = run_sched_case("4w-40q", 4, 40, cost=0.0, distinct=True)
    assert result.placeable == 40 and 40 <= result.selector_calls <= 40 * 4


def test_cli_prints_the_table() -> None:
    out = CliRunner().invoke(
        cli, ["sched", "--case", "1w-1q", "--case", "1w-500q", "--repeat", "1", "--cost-us", "1"]
    )
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    header = next(line for line in lines if line.startswith("case"))
    assert header.split() == [
        "case",
        "workers",
        "queued",
        "placed",
        "seconds",
        "ok",
        "calls",
        "floor",
        "s",
        "x",
        "floor",
        "naive",
        "s",
    ]
    rows = {line.split()[0]: line.split() for line in lines if line.split()[:1] in (["1w-1q"], ["1w-500q"])}
    assert rows["1w-1q"][1:4] == ["1", "1", "1"] and rows["1w-500q"][1:4] == ["1", "500", "32"]
    assert "target" not in out.output  # only printed when the 200w-2000q case runs


def test_unknown_case_is_a_usage_error() -> None:
    out = CliRunner().invoke(cli, ["sched", "--case", "9w-9q"])
    assert out.exit_code == 2 and "Invalid value for '--case'" in out.output
