"""Cache directories as tar streams: exact length, round trip, and a reader that trusts nothing."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from pylotus.stores import FetchFailed, StorageIOError, tarutil
from pylotus.stores.tarutil import TarStream, extract_tar, plan_tar


def _cache_dir(root: Path) -> Path:
    cache = root / "s-t01000-1"
    cache.mkdir()
    (cache / "p_aux").write_bytes(b"\x01" * 64)
    (cache / "t_aux").write_bytes(b"")
    (cache / "sc-02-data-tree-r-last.dat").write_bytes(os.urandom(70_001))
    (cache / "nested").mkdir()  # not a top-level regular file: not sent (Lotus TarDirectory)
    (cache / "nested" / "x").write_bytes(b"x")
    os.symlink("/etc/passwd", cache / "link")
    return cache


def _drain(stream: TarStream, n: int = 4096) -> bytes:
    parts = []
    while chunk := stream.read(n):
        parts.append(chunk)
    stream.close()
    return b"".join(parts)


def test_stream_has_its_announced_length_and_round_trips(tmp_path: Path) -> None:
    cache = _cache_dir(tmp_path)
    stream = TarStream(plan_tar(cache))
    data = _drain(stream, 1000)
    assert len(data) == stream.length
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:  # any tar reader accepts it
        assert archive.getnames() == ["p_aux", "sc-02-data-tree-r-last.dat", "t_aux"]
    out = tmp_path / "out"
    assert extract_tar(io.BytesIO(data), out) == 64 + 70_001
    for name in ("p_aux", "t_aux", "sc-02-data-tree-r-last.dat"):
        assert (out / name).read_bytes() == (cache / name).read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["p_aux", "sc-02-data-tree-r-last.dat", "t_aux"]


def test_a_file_that_shrinks_while_sent_is_an_error(tmp_path: Path) -> None:
    cache = _cache_dir(tmp_path)
    stream = TarStream(plan_tar(cache))
    (cache / "sc-02-data-tree-r-last.dat").write_bytes(b"short")
    with pytest.raises(StorageIOError, match="shrank while it was being sent"):
        _drain(stream)


def _tar_with(member: tarfile.TarInfo, data: bytes = b"") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as archive:
        archive.addfile(member, io.BytesIO(data) if member.isreg() else None)
    return buf.getvalue()


@pytest.mark.parametrize(
    "name,kind,why",
    [
        ("../escape", tarfile.REGTYPE, "not a bare file name"),
        ("sub/file", tarfile.REGTYPE, "not a bare file name"),
        ("/etc/cron.d/x", tarfile.REGTYPE, "not a bare file name"),
        ("..", tarfile.REGTYPE, "not a bare file name"),
        ("link", tarfile.SYMTYPE, "not a regular file"),
        ("dir", tarfile.DIRTYPE, "not a regular file"),
    ],
)
def test_hostile_members_are_refused_and_nothing_is_written_outside(
    tmp_path: Path, name: str, kind: bytes, why: str
) -> None:
    member = tarfile.TarInfo(name)
    member.type = kind
    member.size = 3 if kind == tarfile.REGTYPE else 0
    member.linkname = "/etc/passwd" if kind == tarfile.SYMTYPE else ""
    out = tmp_path / "work" / "out"
    out.parent.mkdir()
    with pytest.raises(FetchFailed, match=why):
        extract_tar(io.BytesIO(_tar_with(member, b"bad")), out)
    assert list(out.iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "work").iterdir()) == ["out"]


def test_a_cut_stream_fails(tmp_path: Path) -> None:
    cache = _cache_dir(tmp_path)
    data = _drain(TarStream(plan_tar(cache)))
    with pytest.raises(FetchFailed, match="bad tar stream"):
        extract_tar(io.BytesIO(data[:30_000]), tmp_path / "out")


def test_the_extracted_directory_is_synced_before_it_is_returned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[tuple[Path, list[str]]] = []
    real = tarutil.fsync_dir

    def spy(directory: Path) -> None:
        synced.append((directory, sorted(p.name for p in directory.iterdir())))
        real(directory)

    monkeypatch.setattr(tarutil, "fsync_dir", spy)
    data = _drain(TarStream(plan_tar(_cache_dir(tmp_path))))
    extract_tar(io.BytesIO(data), tmp_path / "out")
    assert synced == [(tmp_path / "out", ["p_aux", "sc-02-data-tree-r-last.dat", "t_aux"])]
