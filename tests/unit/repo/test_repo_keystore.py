"""Keystore: Lotus file names and format, 0600 files, refusals."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pylotus.repo import (
    KeyExists,
    KeyInfo,
    KeyNotFound,
    KeyPermissionsTooRelaxed,
    Keystore,
    KeystoreError,
    key_file_name,
)

JWT = KeyInfo(type="jwt-hmac-secret", private_key=bytes(range(32)))


@pytest.fixture
def keystore(tmp_path: Path) -> Keystore:
    path = tmp_path / "keystore"
    path.mkdir(mode=0o700)
    return Keystore(path)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Umask 0, so a file is 0600 only because we asked for it, not thanks to the umask."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.parametrize(
    ("name", "file_name"),
    [("auth-jwt-private", "MF2XI2BNNJ3XILLQOJUXMYLUMU"), ("libp2p-host", "NRUWE4BSOAWWQ33TOQ")],
)
def test_file_names_are_lotus_base32(keystore: Keystore, name: str, file_name: str) -> None:
    assert key_file_name(name) == file_name
    keystore.put(name, JWT)
    assert os.listdir(keystore.path) == [file_name]
    assert keystore.list() == [name]


def test_put_writes_lotus_json_with_mode_0600(keystore: Keystore, open_umask: None) -> None:
    keystore.put("auth-jwt-private", JWT)
    path = keystore.path / "MF2XI2BNNJ3XILLQOJUXMYLUMU"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_bytes()) == {
        "Type": "jwt-hmac-secret",
        "PrivateKey": base64.b64encode(bytes(range(32))).decode(),
    }
    assert keystore.get("auth-jwt-private") == JWT
    assert keystore.has("auth-jwt-private")
    assert not keystore.has("libp2p-host")


def test_reads_a_key_file_written_by_lotus(keystore: Keystore) -> None:
    path = keystore.path / "NRUWE4BSOAWWQ33TOQ"
    path.write_text('{"Type":"libp2p-host","PrivateKey":"CAESQA=="}')
    path.chmod(0o600)
    assert keystore.get("libp2p-host") == KeyInfo("libp2p-host", b"\x08\x01\x12\x40")


def test_put_refuses_an_existing_key_and_keeps_it(keystore: Keystore) -> None:
    keystore.put("auth-jwt-private", JWT)
    with pytest.raises(KeyExists) as caught:
        keystore.put("auth-jwt-private", KeyInfo("jwt-hmac-secret", b"other"))
    assert str(caught.value) == "key 'auth-jwt-private' already exists"
    assert keystore.get("auth-jwt-private") == JWT
    assert os.listdir(keystore.path) == ["MF2XI2BNNJ3XILLQOJUXMYLUMU"]  # no temporary left behind


def test_group_readable_key_is_refused(keystore: Keystore) -> None:
    keystore.put("auth-jwt-private", JWT)
    (keystore.path / "MF2XI2BNNJ3XILLQOJUXMYLUMU").chmod(0o644)
    with pytest.raises(KeyPermissionsTooRelaxed) as caught:
        keystore.get("auth-jwt-private")
    assert str(caught.value) == (
        "permissions of key: 'auth-jwt-private' are too relaxed, required: 0600, got: 0644"
    )
    assert caught.value.mode == 0o644


def test_owner_only_modes_are_accepted(keystore: Keystore) -> None:
    keystore.put("k", JWT)
    (keystore.path / key_file_name("k")).chmod(0o400)
    assert keystore.get("k") == JWT


def test_missing_key(keystore: Keystore) -> None:
    with pytest.raises(KeyNotFound) as caught:
        keystore.get("default")
    assert str(caught.value) == "key 'default' not found in keystore"
    with pytest.raises(KeyNotFound):
        keystore.delete("default")


def test_delete(keystore: Keystore) -> None:
    keystore.put("a", JWT)
    keystore.put("b", JWT)
    keystore.delete("a")
    assert keystore.list() == ["b"]
    assert not keystore.has("a")


def test_list_is_sorted_and_skips_temporary_files(keystore: Keystore) -> None:
    for name in ("wallet-t3abc", "default", "auth-jwt-private"):
        keystore.put(name, JWT)
    (keystore.path / ".MFRGG.tmp-0011").write_bytes(b"half")
    assert keystore.list() == ["auth-jwt-private", "default", "wallet-t3abc"]


def test_list_refuses_a_foreign_file(keystore: Keystore) -> None:
    (keystore.path / "not-base32!").write_bytes(b"x")
    with pytest.raises(KeystoreError, match="not a base32 key name"):
        keystore.list()


def test_corrupt_key_file_names_the_file(keystore: Keystore) -> None:
    path = keystore.path / key_file_name("k")
    path.write_bytes(b"{not json")
    path.chmod(0o600)
    with pytest.raises(KeystoreError) as caught:
        keystore.get("k")
    assert f"key file '{path}' for key 'k' is corrupt" in str(caught.value)


def test_keyinfo_json_and_repr() -> None:
    assert KeyInfo.from_json(JWT.to_json()) == JWT
    assert "private_key" not in repr(JWT) and "\\x00" not in repr(JWT)
    with pytest.raises(KeystoreError, match="'PrivateKey' is not base64"):
        KeyInfo.from_json('{"Type": "bls", "PrivateKey": "***"}')
    with pytest.raises(KeystoreError, match="needs string fields"):
        KeyInfo.from_json('{"Type": "bls"}')


def test_empty_name_is_a_programming_error(keystore: Keystore) -> None:
    with pytest.raises(ValueError):
        keystore.put("", JWT)
