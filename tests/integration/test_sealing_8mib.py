"""An 8MiB sector sealed, proven and unsealed by the real command, over worker processes.

8MiB is the smallest published size with a deep tree (6 levels of arity 8) and the first where
PreCommit2 spreads over processes, so it exercises what 2KiB cannot.  About a minute on 2 cores.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def test_8mib_seal_prove_verify_unseal(tmp_path: Path) -> None:
    command = [
        str(Path(sys.executable).parent / "pylotus-bench"),
        "sealing",
        "--sector-size",
        "8MiB",
        "--ticket",
        "11" * 32,
        "--parent-cache",
        str(tmp_path / "parents"),
        "--workers",
        "2",
        "--skip-post",
        "--json",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["Proof"] == "StackedDrg8MiBV1_1"
    # CommD of an all-zero 8MiB sector (the zero commitment table, reference/proofs.md §2.2).
    assert result["CommD"] == "baga6ea4seaqgl4u6lwmnerwdrm4iz7ag3mpwwaqtapc2fciabpooqmvjypweeha"
    assert result["CommR"].startswith("bagboea4b5abc")
    assert result["ProofBytes"] == 46216
    assert result["UnsealMatches"] is True
    assert [p["name"] for p in result["Phases"]] == [
        "AddPiece",
        "PreCommit1",
        "PreCommit2",
        "Commit1",
        "Commit2",
        "Verify",
        "Unseal",
    ]
