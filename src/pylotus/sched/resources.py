"""What each task needs from a worker, per task type and sector size, and the env vars that override it.

Counterpart: Lotus ``storage/sealer/storiface/resources.go`` (HEAD): ``Resources``, ``ResourceTable``,
``Threads``, ``ParseResourceEnv``, ``getSDRThreads``; reference/lotus-miner.md §4.3 and
anchors.md §2.2.  Values are byte-exact copies of Lotus's table (V1 proofs; V1_1 and synthetic PoRep
share them, as Lotus's ``init()`` copies them); ``Unseal`` is aliased to ``PreCommit1`` as in Lotus;
``Finalize`` has no entry and so needs nothing (Lotus's zero ``Resources{}``).

Env overrides follow Lotus's scheme exactly: for each field, ``<SHORT>_<SIZE>_<FIELD>`` (``SIZE`` is
``2K``, ``8M``, ``512M``, ``32G``, ``64G``) wins over ``<SHORT>_<FIELD>``; fields are ``MIN_MEMORY``,
``MAX_MEMORY``, ``GPU_UTILIZATION``, ``MAX_PARALLELISM``, ``MAX_PARALLELISM_GPU``, ``BASE_MIN_MEMORY``,
``MAX_CONCURRENT``.  Memory values are plain byte counts (Lotus's ``ParseUint``, base 10).  Without
an override, PC1 and Unseal ``MAX_PARALLELISM`` is ``1 + producers`` when
``FIL_PROOFS_USE_MULTICORE_SDR=1`` (producers: ``FIL_PROOFS_MULTICORE_SDR_PRODUCERS``, default 3).

One deliberate difference: Lotus ignores a value that does not parse and stores the zero the parser
returned (``C2_MAX_MEMORY=150GiB`` silently becomes 0 bytes); pylotus refuses it with
:class:`~.errors.InvalidResourceEnv`, naming the variable.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace
from typing import Final

from ..abi import JsonObject, JsonValue, RegisteredSealProof
from .errors import InvalidResourceEnv, InvalidSchedValue
from .task_types import TaskType

__all__ = [
    "PARALLEL_DENOM",
    "PARALLEL_NUM",
    "RESOURCE_TABLE",
    "ResourceTable",
    "Resources",
    "default_resource_env",
    "parse_resource_env",
    "resource_table_from_json",
    "resource_table_to_json",
    "size_label",
]

PARALLEL_NUM: Final = 92
PARALLEL_DENOM: Final = 100
"""A multithreaded task (``MaxParallelism == -1``) takes 92 % of the worker's cores (Lotus
``ParallelNum``/``ParallelDenom``: 12 → 11, 16 → 14, 32 → 29, 64 → 58)."""

_KIB: Final = 1 << 10
_MIB: Final = 1 << 20
_GIB: Final = 1 << 30
_UINT64_MAX: Final = 2**64 - 1
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Resources:
    """What one task needs on a worker (Lotus ``storiface.Resources``).

    Attributes:
        min_memory: bytes that must be in RAM for decent performance.
        max_memory: peak bytes, RAM plus swap.
        gpu_utilization: how many GPUs the task occupies (1.0 = one whole GPU); 0 = no GPU.
        max_parallelism: cores used without a GPU; -1 = multithreaded (92 % of the cores).
        max_parallelism_gpu: cores used when the worker has a GPU; 0 = same as ``max_parallelism``.
        base_min_memory: bytes shared between tasks of this type (parameters), counted per task as
            Lotus does (its TODO to dedupe it was never done).
        max_concurrent: at most this many tasks of this type and proof on one worker; 0 = no limit.
    """

    min_memory: int = 0
    max_memory: int = 0
    gpu_utilization: float = 0.0
    max_parallelism: int = 0
    max_parallelism_gpu: int = 0
    base_min_memory: int = 0
    max_concurrent: int = 0

    def threads(self, cpus: int, gpus: int) -> int:
        """Cores the task takes on a worker with ``cpus`` cores and ``gpus`` GPUs (Lotus ``Threads``)."""
        parallelism = self.max_parallelism
        if self.gpu_utilization > 0 and gpus > 0 and self.max_parallelism_gpu != 0:
            parallelism = self.max_parallelism_gpu
        if parallelism == -1:
            share = cpus * PARALLEL_NUM // PARALLEL_DENOM
            return share if share else cpus
        return parallelism

    def to_json(self) -> JsonObject:
        return {
            "MinMemory": self.min_memory,
            "MaxMemory": self.max_memory,
            "GPUUtilization": self.gpu_utilization,
            "MaxParallelism": self.max_parallelism,
            "MaxParallelismGPU": self.max_parallelism_gpu,
            "BaseMinMemory": self.base_min_memory,
            "MaxConcurrent": self.max_concurrent,
        }

    @classmethod
    def from_json(cls, value: JsonValue) -> Resources:
        """Read Lotus's JSON; absent fields are zero, as Go's decoder leaves them.

        Raises:
            InvalidSchedValue: not an object, or a field of the wrong type or range.
        """
        if not isinstance(value, dict):
            raise InvalidSchedValue(f"resources must be a json object, got {value!r:.60}")
        out = {}
        for field in fields(cls):
            raw = value.get(_JSON_NAMES[field.name])
            if raw is None:
                continue
            out[field.name] = _json_field(field.name, raw)
        return cls(**out)  # type: ignore[arg-type]  # each value checked by _json_field


# Field name → Lotus JSON name (the Go field) and env name (its `envname` tag).
_JSON_NAMES: Final = {
    "min_memory": "MinMemory",
    "max_memory": "MaxMemory",
    "gpu_utilization": "GPUUtilization",
    "max_parallelism": "MaxParallelism",
    "max_parallelism_gpu": "MaxParallelismGPU",
    "base_min_memory": "BaseMinMemory",
    "max_concurrent": "MaxConcurrent",
}
_ENV_NAMES: Final = {
    "min_memory": "MIN_MEMORY",
    "max_memory": "MAX_MEMORY",
    "gpu_utilization": "GPU_UTILIZATION",
    "max_parallelism": "MAX_PARALLELISM",
    "max_parallelism_gpu": "MAX_PARALLELISM_GPU",
    "base_min_memory": "BASE_MIN_MEMORY",
    "max_concurrent": "MAX_CONCURRENT",
}
_UNSIGNED: Final = frozenset({"min_memory", "max_memory", "base_min_memory"})


def _json_field(name: str, raw: JsonValue) -> int | float:
    if name == "gpu_utilization":
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw) or raw < 0:
            raise InvalidSchedValue(f"field 'GPUUtilization' must be a number >= 0, got {raw!r:.60}")
        return float(raw)
    low, high = (0, _UINT64_MAX) if name in _UNSIGNED else (_INT64_MIN, _INT64_MAX)
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise InvalidSchedValue(f"field '{_JSON_NAMES[name]}' must be an integer, got {raw!r:.60}")
    return raw


# ------------------------------------------------------------------------------------------------
# the table (HEAD storiface/resources.go, V1 rows)

_SIZES: Final = ("2K", "8M", "512M", "32G", "64G")


def _row(*specs: Resources) -> dict[str, Resources]:
    return dict(zip(_SIZES, specs, strict=True))


def _r(min_mem: int, max_mem: int, par: int, base: int, gpu: float = 0.0, par_gpu: int = 0) -> Resources:
    return Resources(
        min_memory=min_mem,
        max_memory=max_mem,
        max_parallelism=par,
        base_min_memory=base,
        gpu_utilization=gpu,
        max_parallelism_gpu=par_gpu,
    )


_FETCH: Final = _r(_MIB, _MIB, 0, 0)
_PC1_ROW: Final = _row(
    _r(2 * _KIB, 2 * _KIB, 1, 2 * _KIB),
    _r(8 * _MIB, 8 * _MIB, 1, 8 * _MIB),
    _r(768 * _MIB, _GIB, 1, _MIB),
    _r(56 * _GIB, 64 * _GIB, 1, 10 * _MIB),
    _r(112 * _GIB, 128 * _GIB, 1, 10 * _MIB),
)
_BY_SIZE: Final[dict[TaskType, dict[str, Resources]]] = {
    TaskType.ADD_PIECE: _row(
        _r(2 * _KIB, 2 * _KIB, 1, 2 * _KIB),
        _r(8 * _MIB, 8 * _MIB, 1, 8 * _MIB),
        _r(_GIB, _GIB, 1, _GIB),
        _r(4 * _GIB, 4 * _GIB, 1, _GIB),
        _r(8 * _GIB, 8 * _GIB, 1, _GIB),
    ),
    TaskType.PRE_COMMIT_1: _PC1_ROW,
    TaskType.PRE_COMMIT_2: _row(
        _r(2 * _KIB, 2 * _KIB, -1, 2 * _KIB),
        _r(8 * _MIB, 8 * _MIB, -1, 8 * _MIB),
        _r(_GIB, 3 << 29, -1, _GIB),
        _r(15 * _GIB, 15 * _GIB, -1, _GIB, gpu=1.0, par_gpu=6),
        _r(30 * _GIB, 30 * _GIB, -1, _GIB, gpu=1.0, par_gpu=6),
    ),
    TaskType.COMMIT_1: _row(  # "very short (~100ms), so params are very light"
        _r(2 * _KIB, 2 * _KIB, 0, 2 * _KIB),
        _r(8 * _MIB, 8 * _MIB, 0, 8 * _MIB),
        _r(_GIB, _GIB, 0, _GIB),
        _r(_GIB, _GIB, 0, _GIB),
        _r(_GIB, _GIB, 0, _GIB),
    ),
    TaskType.COMMIT_2: _row(
        _r(2 * _KIB, 2 * _KIB, 1, 2 * _KIB, gpu=1.0),
        _r(8 * _MIB, 8 * _MIB, 1, 8 * _MIB, gpu=1.0),
        _r(_GIB, 3 << 29, 1, 10 * _GIB, gpu=1.0),
        _r(30 * _GIB, 150 * _GIB, -1, 32 * _GIB, gpu=1.0, par_gpu=6),
        _r(60 * _GIB, 190 * _GIB, -1, 64 * _GIB, gpu=1.0, par_gpu=6),
    ),
    TaskType.FETCH: _row(_FETCH, _FETCH, _FETCH, _FETCH, _FETCH),
    TaskType.UNSEAL: _PC1_ROW,  # Lotus: "TODO: measure accurately"
}

ResourceTable = Mapping[TaskType, Mapping[RegisteredSealProof, Resources]]
"""Resources per task type and seal proof (the shape of ``WorkerResources.Resources`` on the wire)."""


def size_label(proof: RegisteredSealProof) -> str:
    """The size in env var names: ``2K``, ``8M``, ``512M``, ``32G``, ``64G`` (Lotus ``ShortString``
    without ``iB``)."""
    return _SIZES[proof % len(_SIZES)]


def _table_proofs() -> tuple[RegisteredSealProof, ...]:
    # V1, V1_1 and V1_1 synthetic PoRep share one row (Lotus init()); NI-PoRep has none in Lotus.
    return tuple(p for p in RegisteredSealProof if p.is_v1 or p.is_v1_1 or p.is_synthetic)


RESOURCE_TABLE: Final[ResourceTable] = {
    task: {proof: row[size_label(proof)] for proof in _table_proofs()} for task, row in _BY_SIZE.items()
}
"""Lotus's default resource table; a worker's own table (from its env) replaces it for that worker."""


# ------------------------------------------------------------------------------------------------
# env overrides (HEAD ParseResourceEnv)


def _env_keys(task: TaskType, proof: RegisteredSealProof, field: str) -> tuple[str, str]:
    env = _ENV_NAMES[field]
    return f"{task.short}_{size_label(proof)}_{env}", f"{task.short}_{env}"


def _parse_env(key: str, text: str, field: str) -> int | float:
    if field == "gpu_utilization":
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise InvalidResourceEnv(f"invalid resource env var {key}='{text}': want a number of gpus >= 0")
        return value
    unsigned = field in _UNSIGNED
    pattern = r"[0-9]+" if unsigned else r"[+-]?[0-9]+"
    low, high = (0, _UINT64_MAX) if unsigned else (_INT64_MIN, _INT64_MAX)
    if re.fullmatch(pattern, text, re.ASCII) is None or not low <= int(text) <= high:
        want = "a byte count (plain integer)" if unsigned else "an integer"
        raise InvalidResourceEnv(f"invalid resource env var {key}='{text}': want {want}")
    return int(text)


def _sdr_threads(env: Mapping[str, str]) -> int:
    producers = 0
    if env.get("FIL_PROOFS_USE_MULTICORE_SDR") == "1":
        producers = 3
        text = env.get("FIL_PROOFS_MULTICORE_SDR_PRODUCERS")
        if text is not None:
            if re.fullmatch(r"[+-]?[0-9]+", text, re.ASCII) is None:
                raise InvalidResourceEnv(
                    f"invalid env var FIL_PROOFS_MULTICORE_SDR_PRODUCERS='{text}': want an integer"
                )
            producers = int(text)
    return producers + 1  # the producers plus the one core doing the work


def parse_resource_env(env: Mapping[str, str]) -> dict[TaskType, dict[RegisteredSealProof, Resources]]:
    """The resource table with every override found in ``env`` applied (Lotus ``ParseResourceEnv``).

    Args:
        env: the worker's environment, usually ``os.environ``.

    Returns:
        A full table (every task type and proof of :data:`RESOURCE_TABLE`), as a worker reports it in
        ``Info().Resources.Resources``.  :data:`RESOURCE_TABLE` itself is never changed.

    Raises:
        InvalidResourceEnv: a set variable whose value is not of the field's type.
    """
    sdr_threads: int | None = None
    out: dict[TaskType, dict[RegisteredSealProof, Resources]] = {}
    for task, by_proof in RESOURCE_TABLE.items():
        out[task] = {}
        for proof, default in by_proof.items():
            changes: dict[str, int | float] = {}
            for field in _JSON_NAMES:
                sized, unsized = _env_keys(task, proof, field)
                key = sized if sized in env else unsized if unsized in env else None
                if key is not None:
                    changes[field] = _parse_env(key, env[key], field)
                elif field == "max_parallelism" and task in (TaskType.PRE_COMMIT_1, TaskType.UNSEAL):
                    if sdr_threads is None:
                        sdr_threads = _sdr_threads(env)
                    changes[field] = sdr_threads
            out[task][proof] = replace(default, **changes) if changes else default  # type: ignore[arg-type]
    return out


def default_resource_env() -> Iterator[tuple[str, str]]:
    """Every sized override variable with its default, sorted (``lotus-worker resources --default``).

    Values print as Go's ``fmt.Sprint`` does: ``2048``, ``-1``, ``1`` for a float 1.0, ``0.4``.
    """
    pairs = {}
    for task, by_proof in RESOURCE_TABLE.items():
        for proof, res in by_proof.items():
            for field in _JSON_NAMES:
                sized, _ = _env_keys(task, proof, field)
                value = getattr(res, field)
                pairs[sized] = f"{value:g}" if isinstance(value, float) else str(value)
    yield from sorted(pairs.items())


# ------------------------------------------------------------------------------------------------
# the table on the wire: {"seal/v0/precommit/1": {"5": {...}}}


def resource_table_to_json(table: ResourceTable) -> JsonObject:
    """Lotus's JSON of ``map[TaskType]map[RegisteredSealProof]Resources`` (proof ids as string keys)."""
    return {
        task.value: {str(int(proof)): res.to_json() for proof, res in by_proof.items()}
        for task, by_proof in table.items()
    }


def resource_table_from_json(value: JsonValue) -> dict[TaskType, dict[RegisteredSealProof, Resources]]:
    """Read a worker's table; task types and proofs pylotus does not schedule are skipped.

    A Lotus worker reports snap-deal and PoSt rows too: they are not errors, just never looked up.

    Raises:
        InvalidSchedValue: not a map of maps of resources.
    """
    if not isinstance(value, dict):
        raise InvalidSchedValue(f"resource table must be a json object, got {value!r:.60}")
    known = {task.value: task for task in TaskType}
    out: dict[TaskType, dict[RegisteredSealProof, Resources]] = {}
    for name, by_proof in value.items():
        if not isinstance(by_proof, dict):
            raise InvalidSchedValue(f"resource table row '{name}' must be a json object")
        task = known.get(name)
        if task is None:
            continue
        row = out.setdefault(task, {})
        for proof_id, res in by_proof.items():
            if not proof_id.isdigit() or int(proof_id) >= len(RegisteredSealProof):
                continue
            row[RegisteredSealProof(int(proof_id))] = Resources.from_json(res)
    return out
