"""The request queue: Lotus's ordering (data-moving first, priority, task order, sector number)."""

from __future__ import annotations

from pylotus.abi import ActorID, RegisteredSealProof, SectorID, SectorNumber
from pylotus.sched import RequestQueue, TaskSelector, TaskType, WorkerHandle, WorkerRequest
from pylotus.stores import SectorRef

PROOF = RegisteredSealProof.STACKED_DRG_2KIB_V1_1


async def _noop(handle: WorkerHandle) -> None:
    return None


def request(task: TaskType, number: int = 0, priority: int = 0) -> WorkerRequest:
    sector = SectorRef(SectorID(ActorID(1000), SectorNumber(number)), PROOF)
    return WorkerRequest(sector, task, TaskSelector(), None, _noop, priority=priority)


def test_lotus_request_queue_pops_pc2_then_pc1() -> None:
    # Lotus request_queue_test.go: push AP, PC1, PC2, PC1, AP; the first two out are PC2, PC1.
    q = RequestQueue()
    for task in [TaskType.ADD_PIECE, TaskType.PRE_COMMIT_1, TaskType.PRE_COMMIT_2, TaskType.PRE_COMMIT_1]:
        q.push(request(task))
    q.push(request(TaskType.ADD_PIECE))
    assert [q.pop().task_type, q.pop().task_type] == [TaskType.PRE_COMMIT_2, TaskType.PRE_COMMIT_1]
    assert len(q) == 3


def test_order_rules() -> None:
    q = RequestQueue()
    reqs = {
        "ap-deal": request(TaskType.ADD_PIECE, 7, priority=1024),
        "pc1-s9": request(TaskType.PRE_COMMIT_1, 9),
        "pc1-s3": request(TaskType.PRE_COMMIT_1, 3),
        "c2": request(TaskType.COMMIT_2, 50),
        "fin-low": request(TaskType.FINALIZE, 99, priority=-100),
        "fin": request(TaskType.FINALIZE, 98),
        "get": request(TaskType.FETCH, 1),
        "pc1-s3-again": request(TaskType.PRE_COMMIT_1, 3),
    }
    for req in reqs.values():
        q.push(req)
    names = {id(req): name for name, req in reqs.items()}
    # Data-moving tasks beat any priority (among themselves: priority, then finalize before fetch);
    # then the deal; then task order; then sector number, then submission order.
    expected = ["fin", "get", "fin-low", "ap-deal", "c2", "pc1-s3", "pc1-s3-again", "pc1-s9"]
    assert [names[id(r)] for r in q.sorted()] == expected
    assert [names[id(r)] for r in q.take_sorted()] == expected and len(q) == 0


def test_take_and_restore_keep_a_valid_heap() -> None:
    q = RequestQueue()
    for number in [5, 1, 4, 2, 3]:
        q.push(request(TaskType.PRE_COMMIT_1, number))
    taken = q.take_sorted()
    q.restore([r for r in taken if int(r.sector.id.number) % 2])
    q.push(request(TaskType.PRE_COMMIT_1, 2))
    assert [int(q.pop().sector.id.number) for _ in range(len(q))] == [1, 2, 3, 5]


def test_compact_drops_abandoned_requests() -> None:
    q = RequestQueue()
    reqs = [request(TaskType.PRE_COMMIT_1, n) for n in range(6)]
    for req in reqs:
        q.push(req)
    for req in reqs[::2]:
        req.abandon()
    dropped = q.compact(lambda r: r.abandoned)
    assert dropped and set(map(id, dropped)) == set(map(id, reqs[::2]))
    assert [int(r.sector.id.number) for r in q.sorted()] == [1, 3, 5]
    assert q.compact(lambda r: r.abandoned) == []
