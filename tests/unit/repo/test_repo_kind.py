"""RepoType's table and default_repo_path's environment handling."""

from __future__ import annotations

from pathlib import Path

import pytest

import pylotus.repo
from pylotus.errors import PylotusError
from pylotus.repo import RepoType, default_repo_path


@pytest.mark.parametrize(
    ("kind", "default", "env_var", "program", "hint"),
    [
        (
            RepoType.FULL_NODE,
            ".pylotus",
            "PYLOTUS_PATH",
            "pylotus daemon",
            "run 'pylotus daemon' to create it",
        ),
        (
            RepoType.STORAGE_MINER,
            ".pylotusminer",
            "PYLOTUS_MINER_PATH",
            "pylotus-miner",
            "run 'pylotus-miner init' to set it up",
        ),
        (
            RepoType.WORKER,
            ".pylotusworker",
            "PYLOTUS_WORKER_PATH",
            "pylotus-seal-worker",
            "run 'pylotus-seal-worker run' to create it",
        ),
    ],
)
def test_kind_table(
    kind: RepoType,
    default: str,
    env_var: str,
    program: str,
    hint: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv(env_var, raising=False)
    assert kind.default_path == tmp_path / default
    assert kind.env_var == env_var
    assert kind.program == program
    assert kind.init_hint == hint
    assert default_repo_path(kind) == tmp_path / default


def test_env_var_wins_and_tilde_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PYLOTUS_MINER_PATH", "~/elsewhere")
    assert default_repo_path(RepoType.STORAGE_MINER) == tmp_path / "elsewhere"
    # Only the miner's variable was set: the others keep their defaults.
    monkeypatch.delenv("PYLOTUS_WORKER_PATH", raising=False)
    assert default_repo_path(RepoType.WORKER) == tmp_path / ".pylotusworker"


def test_empty_env_var_means_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PYLOTUS_PATH", "")
    assert default_repo_path(RepoType.FULL_NODE) == tmp_path / ".pylotus"


def test_default_config_is_a_fresh_copy() -> None:
    first = RepoType.STORAGE_MINER.default_config()
    first["Sealing"]["MaxWaitDealsSectors"] = 99  # type: ignore[index]  # test mutates a nested table
    assert RepoType.STORAGE_MINER.default_config()["Sealing"]["MaxWaitDealsSectors"] == 2  # type: ignore[index]
    assert RepoType.WORKER.default_config() == {}


def test_exports_are_importable_and_errors_share_one_root() -> None:
    for name in pylotus.repo.__all__:
        assert hasattr(pylotus.repo, name), name
    errors = [
        pylotus.repo.RepoAlreadyInitialized,
        pylotus.repo.RepoNotInitialized,
        pylotus.repo.RepoLocked,
        pylotus.repo.KeystoreError,
        pylotus.repo.DatastoreError,
        pylotus.repo.InvalidConfig,
    ]
    for error in errors:
        assert issubclass(error, pylotus.repo.RepoError)
    for error in (pylotus.repo.KeyNotFound, pylotus.repo.KeyExists, pylotus.repo.KeyPermissionsTooRelaxed):
        assert issubclass(error, pylotus.repo.KeystoreError)
    assert issubclass(pylotus.repo.RepoError, PylotusError)
