"""The five console scripts: help, version, flags, and loud stubs (parsing only, via CliRunner)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from pylotus.bench import cli as bench_cli
from pylotus.chain.cli import cli as node_cli
from pylotus.chain.seed_cli import cli as seed_cli
from pylotus.miner.cli import cli as miner_cli
from pylotus.worker.cli import cli as worker_cli

ALL = [node_cli, miner_cli, worker_cli, seed_cli, bench_cli]


@pytest.mark.parametrize("group", ALL)
def test_help_and_version(group: click.Group) -> None:
    runner = CliRunner()
    assert runner.invoke(group, ["--help"]).exit_code == 0
    out = runner.invoke(group, ["--version"])
    assert out.exit_code == 0 and "0.1.0" in out.output


@pytest.mark.parametrize(
    "group,args,issue",
    [
        (miner_cli, ["actor", "control"], 9),
        (worker_cli, ["storage", "attach"], 6),
    ],
)
def test_unbuilt_commands_fail_loudly(group: click.Group, args: list[str], issue: int) -> None:
    out = CliRunner().invoke(group, args)
    assert out.exit_code == 1
    assert "is not implemented yet" in out.output
    assert f"issue #{issue}" in out.output


def test_auth_needs_a_valid_perm() -> None:
    runner = CliRunner()
    missing = runner.invoke(miner_cli, ["auth", "create-token"])
    assert missing.exit_code == 2 and "Missing option '--perm'" in missing.output
    bad = runner.invoke(node_cli, ["auth", "api-info", "--perm", "root"])
    assert bad.exit_code == 2 and "'root' is not one of 'read', 'write', 'sign', 'admin'" in bad.output


def test_bad_log_level_is_a_usage_error() -> None:
    out = CliRunner().invoke(node_cli, ["--log-level", "loud", "daemon"])
    assert out.exit_code == 2
    assert "Invalid value for '--log-level'" in out.output


def test_daemon_port_is_validated() -> None:
    out = CliRunner().invoke(node_cli, ["daemon", "--api", "70000"])
    assert out.exit_code == 2
    assert "70000 is not in the range 0<=x<=65535" in out.output
