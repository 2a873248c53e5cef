"""FsRepo and LockedRepo: init, layout, api/token files, config, storage.json, lifetime."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pylotus.repo import (
    FsRepo,
    InvalidConfig,
    KeyInfo,
    LockedRepo,
    RepoAlreadyInitialized,
    RepoNotInitialized,
    RepoType,
    read_api_info,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Umask 0, so a mode is what the code asked for, not what the umask left."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def miner_repo(tmp_path: Path) -> FsRepo:
    repo = FsRepo(tmp_path / "miner", RepoType.STORAGE_MINER)
    repo.init()
    return repo


@pytest.fixture
def locked(miner_repo: FsRepo) -> Iterator[LockedRepo]:
    with miner_repo.lock() as opened:
        yield opened


def test_init_creates_the_layout(tmp_path: Path, open_umask: None) -> None:
    repo = FsRepo(tmp_path / "a" / "miner", RepoType.STORAGE_MINER)
    assert not repo.exists()
    repo.init()
    assert repo.exists()
    assert sorted(os.listdir(repo.path)) == ["config.toml", "datastore", "keystore"]
    assert _mode(repo.path / "keystore") == 0o700
    assert _mode(repo.path / "datastore") == 0o755
    assert _mode(repo.path) == 0o755
    assert _mode(repo.path / "config.toml") == 0o644
    assert (repo.path / "config.toml").read_text().splitlines()[0] == "# Default config:"


def test_init_twice_is_refused(miner_repo: FsRepo) -> None:
    with pytest.raises(RepoAlreadyInitialized) as caught:
        miner_repo.init()
    assert str(caught.value) == f"repo at '{miner_repo.path}' is already initialized"


@pytest.mark.parametrize("marker", ["keystore", "datastore"])
def test_exists_means_keystore_or_datastore(tmp_path: Path, marker: str) -> None:
    repo = FsRepo(tmp_path, RepoType.WORKER)
    (tmp_path / "config.toml").write_text("")
    assert not repo.exists()
    (tmp_path / marker).mkdir()
    assert repo.exists()


def test_init_keeps_a_prepared_config(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[API]\nListenAddress = "/ip4/127.0.0.1/tcp/9/http"\n')
    repo = FsRepo(tmp_path, RepoType.STORAGE_MINER)
    repo.init()
    with repo.lock() as opened:
        assert opened.config()["API"]["ListenAddress"] == "/ip4/127.0.0.1/tcp/9/http"  # type: ignore[index]  # nested


@pytest.mark.parametrize(
    ("kind", "hint"),
    [
        (RepoType.STORAGE_MINER, "run 'pylotus-miner init' to set it up"),
        (RepoType.FULL_NODE, "run 'pylotus daemon' to create it"),
    ],
)
def test_lock_refuses_a_missing_repo(tmp_path: Path, kind: RepoType, hint: str) -> None:
    with pytest.raises(RepoNotInitialized) as caught:
        FsRepo(tmp_path / "nope", kind).lock()
    assert str(caught.value) == f"repo at '{tmp_path / 'nope'}' is not initialized, {hint}"


def test_api_endpoint_file(locked: LockedRepo, open_umask: None) -> None:
    assert locked.api_endpoint() is None
    locked.set_api_endpoint("/ip4/127.0.0.1/tcp/2345/http")
    assert (locked.path / "api").read_bytes() == b"/ip4/127.0.0.1/tcp/2345/http"
    assert _mode(locked.path / "api") == 0o644
    assert locked.api_endpoint() == "/ip4/127.0.0.1/tcp/2345/http"
    locked.set_api_endpoint("/ip4/127.0.0.1/tcp/2346/http")
    assert locked.api_endpoint() == "/ip4/127.0.0.1/tcp/2346/http"


def test_api_token_file_is_0600(locked: LockedRepo, open_umask: None) -> None:
    token = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJBbGxvdyI6WyJyZWFkIl19.sig"
    assert locked.api_token() is None
    locked.set_api_token(token)
    assert (locked.path / "token").read_bytes() == token
    assert _mode(locked.path / "token") == 0o600
    assert locked.api_token() == token


def test_writes_leave_no_temporary_files(locked: LockedRepo) -> None:
    locked.set_api_endpoint("/ip4/127.0.0.1/tcp/2345/http")
    locked.set_api_token(b"t")
    locked.set_storage_config([str(locked.path)])
    locked.keystore.put("libp2p-host", KeyInfo("libp2p-host", b"k"))
    leftovers = [name for _, _, files in os.walk(locked.path) for name in files if ".tmp-" in name]
    assert leftovers == []


def test_read_api_info_needs_no_lock(miner_repo: FsRepo, locked: LockedRepo) -> None:
    assert read_api_info(miner_repo.path) == (None, None)
    locked.set_api_endpoint("/ip4/127.0.0.1/tcp/2345/http")
    locked.set_api_token(b"jwt")
    assert read_api_info(str(miner_repo.path)) == ("/ip4/127.0.0.1/tcp/2345/http", b"jwt")
    (miner_repo.path / "token").write_bytes(b"jwt\n")  # hand-edited: trimmed, as Lotus trims
    assert read_api_info(miner_repo.path) == ("/ip4/127.0.0.1/tcp/2345/http", b"jwt")


def test_config_of_a_locked_repo(locked: LockedRepo) -> None:
    assert locked.config() == RepoType.STORAGE_MINER.default_config()
    (locked.path / "config.toml").write_text("[Sealing\n")
    with pytest.raises(
        InvalidConfig, match=f"cannot parse config file '{locked.path / 'config.toml'}' at line 1"
    ):
        locked.config()


def test_storage_config(locked: LockedRepo, tmp_path: Path) -> None:
    assert locked.storage_config() == []
    locked.set_storage_config([str(locked.path), str(tmp_path / "seal")])
    assert (locked.path / "storage.json").read_text() == (
        "{\n"
        '  "StoragePaths": [\n'
        "    {\n"
        f'      "Path": "{locked.path}"\n'
        "    },\n"
        "    {\n"
        f'      "Path": "{tmp_path / "seal"}"\n'
        "    }\n"
        "  ]\n"
        "}"
    )
    assert locked.storage_config() == [str(locked.path), str(tmp_path / "seal")]


def test_storage_config_paths_are_made_absolute(locked: LockedRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/op")
    locked.set_storage_config(["~/sectors"])
    assert locked.storage_config() == ["/home/op/sectors"]


def test_malformed_storage_config(locked: LockedRepo) -> None:
    (locked.path / "storage.json").write_text('{"StoragePaths": [{"Path": 3}]}')
    with pytest.raises(InvalidConfig, match="storage config .* is malformed: an entry of 'StoragePaths'"):
        locked.storage_config()
    (locked.path / "storage.json").write_text('{"StoragePaths": null}')
    assert locked.storage_config() == []


def test_datastore_is_cached_and_closed_with_the_repo(miner_repo: FsRepo) -> None:
    with miner_repo.lock() as opened:
        metadata = opened.datastore()
        assert opened.datastore("/metadata") is metadata
        assert metadata.path == miner_repo.path / "datastore" / "metadata"
        metadata.put("/miner-address", b"\x00\xe8\x07")
        with pytest.raises(ValueError):
            opened.datastore("../escape")
    assert metadata.closed
    with miner_repo.lock() as opened:
        assert opened.datastore().get("/miner-address") == b"\x00\xe8\x07"


def test_close_is_idempotent_and_ends_use(miner_repo: FsRepo) -> None:
    opened = miner_repo.lock()
    opened.close()
    opened.close()
    assert opened.closed
    with pytest.raises(RuntimeError, match="the repo is closed"):
        opened.set_api_endpoint("/ip4/127.0.0.1/tcp/1/http")
    with pytest.raises(RuntimeError, match="the repo is closed"):
        opened.datastore()
    miner_repo.lock().close()  # the lock was released: locking again works


def test_keystore_of_a_locked_repo(locked: LockedRepo) -> None:
    locked.keystore.put("auth-jwt-private", KeyInfo("jwt-hmac-secret", b"s" * 32))
    assert os.listdir(locked.path / "keystore") == ["MF2XI2BNNJ3XILLQOJUXMYLUMU"]


def test_storage_json_written_by_lotus_is_read(locked: LockedRepo) -> None:
    (locked.path / "storage.json").write_text(json.dumps({"StoragePaths": [{"Path": "/srv/a"}]}))
    assert locked.storage_config() == ["/srv/a"]
