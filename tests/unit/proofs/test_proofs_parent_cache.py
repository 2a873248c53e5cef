"""Parent cache: upstream ids and digests (reference/proofs.md §3.5), recovery, directories, locking."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from pylotus.abi import RegisteredSealProof
from pylotus.proofs import parent_cache
from pylotus.proofs.errors import ParentCacheError
from pylotus.proofs.graph import StackedGraph
from pylotus.proofs.params import ApiVersion, porep_id, sdr_params
from pylotus.proofs.parent_cache import (
    ENV_PARENT_CACHE,
    UPSTREAM_DIGESTS,
    ParentCache,
    cache_file_name,
    cache_identifier,
    default_cache_dir,
    open_parent_cache,
)

# reference/proofs.md §3.5: (registered proof id, cache id, digest of the whole file).
UPSTREAM = [
    (0, "3f0eef38bb48af1f48ad65e14eb85b4ebfc167cec18cd81764f6d998836c9899",
     "3da49221e2ed55371b86d0bf3d6526fcf128af61bed904f966428db1b531750d"),
    (5, "494d91dc80f2df5272c4b9e129bc7ade9405225993af9fe34e6542a39a47554b",
     "840057702eea7652cf97e04306c30fe57174714d90de156a25eddd6075c25b97"),
    (1, "dcdabb0fbe4364bf0ac28b6a18c66de246409fa1a9020a00f33fb3e3053da6dc",
     "a76604f2f59f2744c7151653bbb1d8596b6b57d295e6fa6c1f0c41d725b502ce"),
    (6, "5eed212119fd91aa6220a27f31a8966444a9381842bceb3a1ea61525bd47a5b5",
     "03cd13565ded97c240a5f52e54295ad127bd0461b57904cb3a4d79b097bbecab"),
    (7, "7ba215a1d2345774ab90b8cb1158d296e409d6068819d7b8c7baf0b25d63dc34",
     "b5877d1963793efebc261fd8fde4dd6bc59e6b5c7abf52617a4ee023b8dc173a"),
    (2, "2aa9c77c3e58259481351cc4be2079cc71e1c9af39700866545c043bfa30fb42",
     "3adcc092423aa76d6a7184016893406da44dd974b219a89cd3ece25e4e3018f5"),
]  # fmt: skip

MODULE_LOG = parent_cache.__name__


def graph_for(proof_id: int) -> StackedGraph:
    return StackedGraph.for_params(sdr_params(RegisteredSealProof(proof_id)))


def small_graph() -> StackedGraph:
    """A graph no upstream table knows (100 nodes): checked through pylotus's sidecar digest."""
    return StackedGraph(100, porep_id(RegisteredSealProof(5)), ApiVersion.V1_1_0)


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("proof_id", "cache_id", "digest"), UPSTREAM)
def test_cache_ids_and_the_embedded_digest_table(proof_id: int, cache_id: str, digest: str) -> None:
    graph = graph_for(proof_id)
    assert cache_identifier(graph) == cache_id
    assert cache_file_name(graph) == f"v28-sdr-parent-{cache_id}.cache"
    assert UPSTREAM_DIGESTS[cache_id] == digest


@pytest.mark.parametrize(
    ("proof_id", "cache_id", "digest"), UPSTREAM[:4], ids=["2k-v1", "2k-v1_1", "8m-v1", "8m-v1_1"]
)
def test_generated_caches_match_upstream(tmp_path: Path, proof_id: int, cache_id: str, digest: str) -> None:
    graph = graph_for(proof_id)
    with open_parent_cache(graph, tmp_path, workers=1) as cache:
        assert cache.digest == digest
        assert cache.path == tmp_path / f"v28-sdr-parent-{cache_id}.cache"
        assert cache.nodes == graph.nodes
        for v in (0, 1, 2, graph.nodes // 3, graph.nodes - 1):
            assert list(cache.parents(v)) == graph.parents(v)
        array = cache.array
        assert array.shape == (graph.nodes, 14) and array.dtype == np.uint32
        assert not array.flags.writeable
        assert array[2].tolist() == graph.parents(2)
    assert not (tmp_path / f"v28-sdr-parent-{cache_id}.cache.sha256").exists()  # upstream's digest suffices
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"v28-sdr-parent-{cache_id}.cache",
        f"v28-sdr-parent-{cache_id}.cache.lock",
    ]


def test_worker_processes_generate_the_same_file(tmp_path: Path) -> None:
    graph = graph_for(6)  # 2^18 nodes: above PARALLEL_MIN_NODES, so the pool runs
    seen: list[tuple[int, int]] = []
    with open_parent_cache(graph, tmp_path, workers=2, progress=lambda d, t: seen.append((d, t))) as cache:
        assert cache.digest == UPSTREAM_DIGESTS[cache_identifier(graph)]
    assert seen[-1] == (graph.nodes, graph.nodes)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) > 1


def test_in_process_progress(tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    open_parent_cache(small_graph(), tmp_path, progress=lambda d, t: seen.append((d, t))).close()
    assert seen == [(100, 100)]


def test_unknown_graph_gets_a_sidecar_digest(tmp_path: Path) -> None:
    graph = small_graph()
    with open_parent_cache(graph, tmp_path) as cache:
        sidecar = cache.path.with_name(cache.path.name + ".sha256")
        assert sidecar.read_text().split() == [cache.digest, cache.path.name]
        assert bytes(cache.array) == graph.parents_bytes(0, 100)


@pytest.mark.parametrize("damage", ["flip", "truncate", "extend"])
@pytest.mark.parametrize("proof_id", [5, None], ids=["upstream-digest", "sidecar-digest"])
def test_a_damaged_cache_is_detected_and_regenerated(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str, proof_id: int | None
) -> None:
    graph = graph_for(proof_id) if proof_id is not None else small_graph()
    # Generated by another process earlier: write it here, then damage it, before this process
    # ever opens it (so nothing is remembered as verified).
    path = tmp_path / cache_file_name(graph)
    good = graph.parents_bytes(0, graph.nodes)
    path.write_bytes(good)
    if proof_id is None:
        expected = hashlib.sha256(good).hexdigest()
        path.with_name(path.name + ".sha256").write_text(f"{expected}  {path.name}\n")
    else:
        expected = UPSTREAM_DIGESTS[cache_identifier(graph)]
    if damage == "flip":
        flip_byte(path, 14 * 4 * 37 + 5)
    elif damage == "truncate":
        os.truncate(path, len(good) - 56)
    else:
        path.write_bytes(good + bytes(56))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger=MODULE_LOG):
        cache = open_parent_cache(graph, tmp_path)
    assert cache.digest == expected
    assert path.read_bytes() == good
    assert any("regenerating" in r.getMessage() and str(path) in r.getMessage() for r in caplog.records)
    cache.close()


def test_a_missing_sidecar_means_regeneration(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    graph = small_graph()
    path = tmp_path / cache_file_name(graph)
    path.write_bytes(graph.parents_bytes(0, 100))  # e.g. left by rust-fil-proofs: no digest to trust
    with caplog.at_level(logging.WARNING, logger=MODULE_LOG):
        open_parent_cache(graph, tmp_path).close()
    assert "no digest to check against" in caplog.text
    assert path.with_name(path.name + ".sha256").exists()


def test_a_verified_file_is_not_hashed_again_until_it_changes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    graph = graph_for(0)
    with caplog.at_level(logging.DEBUG, logger=MODULE_LOG):
        open_parent_cache(graph, tmp_path).close()  # generates
        caplog.clear()
        cache = open_parent_cache(graph, tmp_path)
        assert "digest check" not in caplog.text and "generat" not in caplog.text
        os.utime(cache.path, ns=(1, 1))  # rewritten in place, as far as anyone can tell
        cache.close()
        open_parent_cache(graph, tmp_path).close()
        assert "digest check" in caplog.text and "generat" not in caplog.text


def test_a_generator_disagreeing_with_upstream_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    graph = small_graph()
    monkeypatch.setattr(parent_cache, "UPSTREAM_DIGESTS", {cache_identifier(graph): "00" * 32})
    with pytest.raises(ParentCacheError, match="upstream publishes '0000"):
        open_parent_cache(graph, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [cache_file_name(graph) + ".lock"]


def test_stale_temporaries_are_removed(tmp_path: Path) -> None:
    graph = small_graph()
    stale = tmp_path / f".{cache_file_name(graph)}.999999.tmp"
    stale.write_bytes(b"half a cache")
    open_parent_cache(graph, tmp_path).close()
    assert not stale.exists()


def test_env_override_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "from-env"
    monkeypatch.setenv(ENV_PARENT_CACHE, str(target))
    assert default_cache_dir() == target
    with open_parent_cache(graph_for(5)) as cache:
        assert cache.path.parent == target


def test_default_dir_falls_back_to_the_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.delenv(ENV_PARENT_CACHE, raising=False)
    monkeypatch.setattr(parent_cache, "SYSTEM_CACHE_DIR", blocker / "parents")  # cannot be created
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "pylotus" / "parents"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "pylotus" / "parents"
    monkeypatch.setattr(parent_cache, "SYSTEM_CACHE_DIR", tmp_path / "system")
    assert default_cache_dir() == tmp_path / "system" and (tmp_path / "system").is_dir()


def test_io_failures_name_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ParentCacheError) as info:
        open_parent_cache(small_graph(), blocker / "cache")
    message = str(info.value)
    assert message.startswith("cannot create the directory of parent cache '")
    assert str(blocker / "cache") in message and "\n" not in message


def test_closed_cache_and_bad_nodes(tmp_path: Path) -> None:
    cache = open_parent_cache(small_graph(), tmp_path)
    with pytest.raises(IndexError, match="node '100' is outside the parent cache of '100' nodes"):
        cache.parents(100)
    array = cache.array
    cache.close()
    cache.close()
    assert array[99].tolist() == small_graph().parents(99)  # handed-out arrays stay readable
    with pytest.raises(RuntimeError, match="is closed"):
        cache.parents(0)
    with pytest.raises(ParentCacheError, match="has '5600' bytes, expected '5656'"):
        ParentCache(cache.path, 101, cache.digest)


_OPENER = textwrap.dedent(
    """
    import logging, sys
    from pylotus.abi import RegisteredSealProof
    from pylotus.proofs.graph import StackedGraph
    from pylotus.proofs.params import sdr_params
    from pylotus.proofs.parent_cache import open_parent_cache

    if __name__ == "__main__":
        logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
        graph = StackedGraph.for_params(sdr_params(RegisteredSealProof(int(sys.argv[2]))))
        print("ready", flush=True)
        with open_parent_cache(graph, sys.argv[1], workers=1) as cache:
            print(cache.digest, flush=True)
    """
)


def test_two_processes_generate_a_missing_cache_once(tmp_path: Path) -> None:
    graph = graph_for(1)  # 8MiB legacy: long enough to generate that the two really overlap
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    lock_path = cache_dir / (cache_file_name(graph) + ".lock")
    script = tmp_path / "opener.py"
    script.write_text(_OPENER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    # Hold the lock ourselves until both are about to ask for it, then let them race.
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        procs = [
            subprocess.Popen(
                [sys.executable, str(script), str(cache_dir), "1"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(2)
        ]
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
    outputs = [proc.communicate(timeout=120) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], [err for _, err in outputs]
    expected = UPSTREAM_DIGESTS[cache_identifier(graph)]
    assert [out.strip() for out, _ in outputs] == [expected, expected]
    generations = sum(err.count("parent cache generated") for _, err in outputs)
    assert generations == 1, [err for _, err in outputs]
    assert sorted(p.name for p in cache_dir.iterdir()) == [cache_file_name(graph), lock_path.name]
