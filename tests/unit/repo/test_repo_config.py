"""config.toml: the commented-defaults layout and strict loading over the defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from pylotus.repo import InvalidConfig, RepoType, load_config, render_default_config, set_config_values
from pylotus.repo.config import write_default_config

MINER_SECTIONS = ["[API]", "[Libp2p]", "[Dealmaking]", "[Sealing]", "[Storage]", "[Fees]", "[Addresses]"]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_miner_config_layout_is_lotus_config_comment() -> None:
    lines = render_default_config(RepoType.STORAGE_MINER).splitlines()
    assert lines[0] == "# Default config:"
    assert lines[1:5] == [
        "[API]",
        '#  ListenAddress = "/ip4/127.0.0.1/tcp/2345/http"',
        '#  RemoteListenAddress = ""',
        '#  Timeout = "30s"',
    ]
    assert [line for line in lines if not line.startswith("#")] == MINER_SECTIONS
    assert '#  WaitDealsDelay = "6h0m0s"' in lines
    assert '#  MaxPreCommitGasFee = "0.025 FIL"' in lines
    assert "#  ParallelFetchLimit = 10" in lines
    assert "#  PreCommitControl = []" in lines
    assert '#  ListenAddresses = ["/ip4/0.0.0.0/tcp/0"]' in lines


def test_full_node_and_worker_layouts() -> None:
    node = render_default_config(RepoType.FULL_NODE).splitlines()
    assert [line for line in node if not line.startswith("#")] == ["[API]", "[Libp2p]", "[Chain]", "[Wallet]"]
    assert '#  ListenAddress = "/ip4/127.0.0.1/tcp/1234/http"' in node
    block_delay = node.index('#  BlockDelay = "4s"')
    assert "pylotus devnet setting" in node[block_delay - 1]
    assert render_default_config(RepoType.WORKER) == "# Default config:\n"


@pytest.mark.parametrize("kind", list(RepoType))
def test_commented_file_loads_as_the_defaults(tmp_path: Path, kind: RepoType) -> None:
    path = _write(tmp_path, render_default_config(kind))
    assert load_config(path, kind) == kind.default_config()


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    assert (
        load_config(tmp_path / "config.toml", RepoType.STORAGE_MINER)
        == RepoType.STORAGE_MINER.default_config()
    )


def test_uncommented_values_override_defaults(tmp_path: Path) -> None:
    text = render_default_config(RepoType.STORAGE_MINER)
    text = text.replace("#  MaxSealingSectors = 0", "  MaxSealingSectors = 4")
    text = text.replace(
        '#  ListenAddress = "/ip4/127.0.0.1/tcp/2345/http"', 'ListenAddress = "/ip4/127.0.0.1/tcp/2999/http"'
    )
    text = text.replace("#  AllowUnseal = true", "AllowUnseal = false")
    text = text.replace("#  CommitControl = []", 'CommitControl = ["t3abc"]')
    config = load_config(_write(tmp_path, text), RepoType.STORAGE_MINER)
    assert config["Sealing"] == {
        "MaxWaitDealsSectors": 2,
        "MaxSealingSectors": 4,
        "MaxSealingSectorsForDeals": 0,
        "WaitDealsDelay": "6h0m0s",
    }
    assert type(config["Sealing"]["MaxSealingSectors"]) is int  # type: ignore[index]  # nested table
    assert config["API"]["ListenAddress"] == "/ip4/127.0.0.1/tcp/2999/http"  # type: ignore[index]  # nested table
    assert config["API"]["Timeout"] == "30s"  # type: ignore[index]  # nested table
    assert config["Storage"]["AllowUnseal"] is False  # type: ignore[index]  # nested table
    assert config["Addresses"]["CommitControl"] == ["t3abc"]  # type: ignore[index]  # nested table
    assert config["Fees"] == RepoType.STORAGE_MINER.default_config()["Fees"]


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "# Default config:\n[API]\nTimeout = \n")
    with pytest.raises(InvalidConfig) as caught:
        load_config(path, RepoType.STORAGE_MINER)
    message = str(caught.value)
    assert message.startswith(f"cannot parse config file '{path}' at line 3, column ")
    assert message.endswith("; fix the line or delete the file to use the defaults")
    assert "\n" not in message


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "[Sealing]\nMaxSealingSector = 3\n")
    with pytest.raises(InvalidConfig) as caught:
        load_config(path, RepoType.STORAGE_MINER)
    assert str(caught.value) == (
        f"unknown key 'Sealing.MaxSealingSector' in config file '{path}'; "
        "check its spelling against the commented defaults"
    )


def test_unknown_section_is_refused_even_for_the_worker(tmp_path: Path) -> None:
    path = _write(tmp_path, "[Sealing]\n")
    with pytest.raises(InvalidConfig, match="unknown key 'Sealing'"):
        load_config(path, RepoType.WORKER)
    with pytest.raises(InvalidConfig, match="unknown key 'Chain'"):
        load_config(_write(tmp_path, "[Chain]\nBlockDelay = '1s'\n"), RepoType.STORAGE_MINER)


def test_wrong_type_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, '[Sealing]\nMaxSealingSectors = "4"\n')
    with pytest.raises(InvalidConfig) as caught:
        load_config(path, RepoType.STORAGE_MINER)
    assert str(caught.value) == (
        f"key 'Sealing.MaxSealingSectors' in config file '{path}' must be an integer, not a string"
    )
    with pytest.raises(InvalidConfig, match=r"'Storage.AllowCommit' .* must be a boolean, not an integer"):
        load_config(_write(tmp_path, "[Storage]\nAllowCommit = 1\n"), RepoType.STORAGE_MINER)
    with pytest.raises(InvalidConfig, match=r"'Libp2p.ListenAddresses\[1\]' .* must be a string"):
        load_config(
            _write(tmp_path, '[Libp2p]\nListenAddresses = ["/ip4/0.0.0.0/tcp/0", 5]\n'), RepoType.FULL_NODE
        )
    with pytest.raises(InvalidConfig, match=r"'API' .* must be a table, not a string"):
        load_config(_write(tmp_path, 'API = "x"\n'), RepoType.FULL_NODE)


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"[API]\n# \xff\n")
    with pytest.raises(InvalidConfig, match="is not valid utf-8"):
        load_config(path, RepoType.STORAGE_MINER)


def test_set_config_values_keeps_the_comments_and_checks_the_types(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    write_default_config(path, RepoType.STORAGE_MINER)
    set_config_values(path, RepoType.STORAGE_MINER, "Storage", {"AllowPreCommit1": False})
    assert load_config(path, RepoType.STORAGE_MINER)["Storage"]["AllowPreCommit1"] is False  # type: ignore[index,call-overload]
    assert "#  AllowPreCommit2 = true" in path.read_text()  # the commented defaults stay
    before = path.read_bytes()
    with pytest.raises(InvalidConfig):
        set_config_values(path, RepoType.STORAGE_MINER, "Storage", {"AllowPreCommit2": "no"})
    with pytest.raises(InvalidConfig):
        set_config_values(path, RepoType.STORAGE_MINER, "Storage", {"NoSuchKey": True})
    assert path.read_bytes() == before  # a refused change writes nothing
