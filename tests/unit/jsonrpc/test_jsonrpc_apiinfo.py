"""Finding an API from *_API_INFO or the repo's api/token files."""

from __future__ import annotations

from pathlib import Path

import pytest

from pylotus.jsonrpc import ApiInfo, ApiInfoError, resolve_api_info
from pylotus.repo import RepoType

TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJBbGxvdyI6WyJyZWFkIl19.sig"


def test_parse_splits_on_first_colon_only() -> None:
    info = ApiInfo.parse(f"{TOKEN}:/ip4/127.0.0.1/tcp/1234/http")
    assert info.token == TOKEN.encode()
    assert info.multiaddr == "/ip4/127.0.0.1/tcp/1234/http"
    assert info.url() == "http://127.0.0.1:1234/rpc/v0"
    assert info.url("ws") == "ws://127.0.0.1:1234/rpc/v0"
    assert info.auth_headers() == {"Authorization": f"Bearer {TOKEN}"}
    assert info.env_value() == f"{TOKEN}:/ip4/127.0.0.1/tcp/1234/http"


def test_parse_ip6_and_dns() -> None:
    assert ApiInfo.parse("t:/ip6/::1/tcp/2345/http").url() == "http://[::1]:2345/rpc/v0"
    assert ApiInfo.parse("t:/dns4/localhost/tcp/80").host_port == ("localhost", 80)


@pytest.mark.parametrize(
    "value",
    ["no-colon-here", f"{TOKEN}:garbage", f"{TOKEN}:/ip4/127.0.0.1/udp/1", f"{TOKEN}:/ip4/300.1.1.1/tcp/1"],
)
def test_parse_refuses_malformed_values(value: str) -> None:
    with pytest.raises(ApiInfoError):
        ApiInfo.parse(value)


def test_env_wins_over_repo_files(tmp_path: Path) -> None:
    (tmp_path / "api").write_text("/ip4/127.0.0.1/tcp/9/http")
    (tmp_path / "token").write_text("repo-token")
    env = {"FULLNODE_API_INFO": f"{TOKEN}:/ip4/127.0.0.1/tcp/1234/http"}
    assert resolve_api_info(RepoType.FULL_NODE, tmp_path, env=env).token == TOKEN.encode()
    info = resolve_api_info(RepoType.FULL_NODE, tmp_path, env={})
    assert info == ApiInfo("/ip4/127.0.0.1/tcp/9/http", b"repo-token")


def test_malformed_env_falls_back_to_repo(tmp_path: Path) -> None:
    (tmp_path / "api").write_text("/ip4/127.0.0.1/tcp/9/http")
    info = resolve_api_info(RepoType.STORAGE_MINER, tmp_path, env={"MINER_API_INFO": "nocolon"})
    assert info.multiaddr == "/ip4/127.0.0.1/tcp/9/http"
    assert info.token is None


def test_missing_api_file_says_what_to_start(tmp_path: Path) -> None:
    with pytest.raises(ApiInfoError) as err:
        resolve_api_info(RepoType.STORAGE_MINER, tmp_path, env={})
    message = str(err.value)
    assert "MINER_API_INFO is not set" in message
    assert str(tmp_path) in message
    assert "pylotus-miner" in message
