"""Datastore: LevelDB persistence, synced batches, namespaces, error mapping."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pylotus.repo import Datastore, DatastoreError


@pytest.fixture
def ds(tmp_path: Path) -> Iterator[Datastore]:
    store = Datastore(tmp_path / "metadata")
    yield store
    store.close()


def test_put_get_has_delete(ds: Datastore) -> None:
    assert ds.get("/miner-address") is None
    assert not ds.has("/miner-address")
    ds.put("/miner-address", b"\x00\xe8\x07")
    assert ds.get("/miner-address") == b"\x00\xe8\x07"
    assert ds.has("/miner-address")
    ds.delete("/miner-address")
    assert ds.get("/miner-address") is None
    ds.delete("/miner-address")  # absent: no error


def test_keys_are_cleaned_like_go_datastore(ds: Datastore) -> None:
    ds.put("miner-address", b"a")
    assert ds.get("/miner-address") == b"a"
    ds.put("/sectors//5/", b"s")
    assert list(ds.query("/sectors")) == [("/sectors/5", b"s")]


def test_values_persist_across_close_and_reopen(tmp_path: Path) -> None:
    store = Datastore(tmp_path / "metadata")
    store.put("/storage/nextid", b"\x07")
    with store.batch() as batch:
        batch.put("/sectors/1", b"one")
    store.close()
    store.close()  # idempotent
    assert store.closed
    with Datastore(tmp_path / "metadata") as again:
        assert again.get("/storage/nextid") == b"\x07"
        assert again.get("/sectors/1") == b"one"


def test_query_is_ordered_and_path_prefixed(ds: Datastore) -> None:
    for key in ("/sectors/10", "/sectors/2", "/sectorsx", "/sectors", "/storage/nextid"):
        ds.put(key, key.encode())
    assert [key for key, _ in ds.query("/sectors")] == ["/sectors/10", "/sectors/2"]
    assert [key for key, _ in ds.query("sectors/")] == ["/sectors/10", "/sectors/2"]
    assert [key for key, _ in ds.query()] == [
        "/sectors",
        "/sectors/10",
        "/sectors/2",
        "/sectorsx",
        "/storage/nextid",
    ]
    assert list(ds.query("/nothing")) == []


def test_batch_is_applied_whole(ds: Datastore) -> None:
    ds.put("/old", b"1")
    with ds.batch() as batch:
        batch.put("/a", b"A")
        batch.put("/b", b"B")
        batch.delete("/old")
        assert ds.get("/a") is None  # nothing visible before the block ends
    assert (ds.get("/a"), ds.get("/b"), ds.get("/old")) == (b"A", b"B", None)
    with pytest.raises(RuntimeError, match="already committed"):
        batch.put("/late", b"x")


def test_batch_that_raises_writes_nothing(ds: Datastore) -> None:
    ds.put("/old", b"1")
    with pytest.raises(ZeroDivisionError):
        with ds.batch() as batch:
            batch.put("/a", b"A")
            batch.delete("/old")
            1 / 0  # noqa: B018  # fail in the middle of the batch
    assert ds.get("/a") is None
    assert ds.get("/old") == b"1"
    assert [key for key, _ in ds.query()] == ["/old"]


def test_namespaces_are_isolated(ds: Datastore) -> None:
    storage = ds.namespace("/storage")
    sectors = ds.namespace("sectors")
    storage.put("/nextid", b"\x05")
    sectors.put("/nextid", b"other")
    ds.put("/nextid", b"root")
    assert storage.get("/nextid") == b"\x05"
    assert ds.get("/storage/nextid") == b"\x05"
    assert ds.get("/sectors/nextid") == b"other"
    assert list(storage.query()) == [("/nextid", b"\x05")]
    assert list(sectors.query("/")) == [("/nextid", b"other")]
    with storage.batch() as batch:
        batch.put("/x", b"1")
    assert ds.get("/storage/x") == b"1"
    assert storage.has("/x") and not sectors.has("/x")
    nested = storage.namespace("/deep")
    nested.put("/k", b"v")
    assert ds.get("/storage/deep/k") == b"v"
    assert list(storage.query("/deep")) == [("/deep/k", b"v")]
    storage.delete("/x")
    assert ds.get("/storage/x") is None


def test_second_open_of_the_same_leveldb_is_refused(ds: Datastore) -> None:
    with pytest.raises(DatastoreError) as caught:
        Datastore(ds.path)
    message = str(caught.value)
    assert message.startswith(f"cannot open datastore '{ds.path}': ")
    assert message.endswith("; is another process using this repo?")
    assert "\n" not in message


def test_corruption_is_mapped(tmp_path: Path) -> None:
    Datastore(tmp_path / "metadata").close()
    (tmp_path / "metadata" / "CURRENT").write_bytes(b"garbage")  # no newline: LevelDB calls it corrupt
    with pytest.raises(DatastoreError) as caught:
        Datastore(tmp_path / "metadata")
    assert f"datastore '{tmp_path / 'metadata'}'" in str(caught.value)
    assert "corrupt" in str(caught.value)


def test_closed_datastore_is_misuse(tmp_path: Path) -> None:
    store = Datastore(tmp_path / "metadata")
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.get("/a")
    with pytest.raises(RuntimeError, match="closed"):
        store.query("/")
