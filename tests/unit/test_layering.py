"""DESIGN.md's import map, enforced: a package imports only packages listed above it.

The order is DESIGN.md's table (abi and proofs are the ground floor, miner is the top).  The few
top-level modules sit where their imports put them: ``errors`` and ``log_setup`` below
everything, ``cli_group`` (click plumbing over ``repo``) just under ``jsonrpc``, ``bench`` on top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pylotus

SRC = Path(pylotus.__file__).parent

RANK = {
    "errors": 0,
    "log_setup": 0,
    "durable": 0,
    "abi": 1,
    "proofs": 2,
    "repo": 3,
    "cli_group": 3.5,
    "jsonrpc": 4,
    "chain": 5,
    "stores": 6,
    "worker": 7,
    "sched": 8,
    "sealing": 9,
    "market": 10,
    "miner": 11,
    "bench": 12,
    "devnet": 12,
    "__init__": 0,
}


def _unit(module: Path) -> str:
    rel = module.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imported_units(module: Path) -> set[str]:
    tree = ast.parse(module.read_text(), str(module))
    package_parts = module.relative_to(SRC).parts[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package_parts[: len(package_parts) - node.level + 1])
                target = base + (node.module.split(".") if node.module else [])
                if not target:  # "from .. import x" at the top: x is a unit
                    found.update(alias.name for alias in node.names)
                else:
                    found.add(target[0])
            elif node.module and node.module.startswith("pylotus."):
                found.add(node.module.split(".")[1])
            elif node.module == "pylotus":
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("pylotus."):
                    found.add(alias.name.split(".")[1])
    return found


def test_every_unit_has_a_rank() -> None:
    units = {_unit(p) for p in SRC.rglob("*.py")}
    assert units <= set(RANK), f"add {sorted(units - set(RANK))} to RANK (and to DESIGN.md)"


def test_no_upward_imports() -> None:
    upward = []
    for module in sorted(SRC.rglob("*.py")):
        unit = _unit(module)
        for target in _imported_units(module):
            if target in ("__version__",) or target == unit:
                continue
            if RANK.get(target, 0) > RANK[unit]:
                upward.append(f"{module.relative_to(SRC)} imports {target}")
    assert not upward, "imports against DESIGN.md's order:\n" + "\n".join(upward)
