"""Task types: Lotus strings, short names and the queue order (HEAD ``sealtasks/task.go``)."""

from __future__ import annotations

import pytest

from pylotus.abi import RegisteredSealProof
from pylotus.sched import InvalidSchedValue, SealTask, TaskType

LOTUS = [
    (TaskType.ADD_PIECE, "seal/v0/addpiece", "AP", 9),
    (TaskType.PRE_COMMIT_1, "seal/v0/precommit/1", "PC1", 5),
    (TaskType.PRE_COMMIT_2, "seal/v0/precommit/2", "PC2", 4),
    (TaskType.COMMIT_2, "seal/v0/commit/2", "C2", 3),
    (TaskType.COMMIT_1, "seal/v0/commit/1", "C1", 2),
    (TaskType.UNSEAL, "seal/v0/unseal", "UNS", 1),
    (TaskType.FETCH, "seal/v0/fetch", "GET", -1),
    (TaskType.FINALIZE, "seal/v0/finalize", "FIN", -3),
]


@pytest.mark.parametrize("task,wire,short,order", LOTUS)
def test_lotus_names_and_order(task: TaskType, wire: str, short: str, order: int) -> None:
    assert (task.value, task.short, task.order) == (wire, short, order)
    assert TaskType.from_json(wire) is task and TaskType.from_short(short) is task
    assert task.is_data_moving == (order < 0)


def test_every_task_type_is_in_the_table() -> None:
    assert {task for task, *_ in LOTUS} == set(TaskType)


def test_scheduling_order_finalize_first_addpiece_last() -> None:
    ordered = sorted(TaskType, key=lambda t: t.order)
    assert [t.short for t in ordered] == ["FIN", "GET", "UNS", "C1", "C2", "PC2", "PC1", "AP"]


@pytest.mark.parametrize("bad", ["seal/v0/replicaupdate", "PC1", 5, None])
def test_unknown_task_type_is_refused(bad: object) -> None:
    with pytest.raises(InvalidSchedValue, match="unknown task type"):
        TaskType.from_json(bad)  # type: ignore[arg-type]


def test_seal_task_string_is_lotus_task_counts_key() -> None:
    assert (
        str(SealTask(TaskType.PRE_COMMIT_1, RegisteredSealProof.STACKED_DRG_2KIB_V1_1))
        == "5:seal/v0/precommit/1"
    )
