"""CommP throughput against the machine's SHA-256 limit: ``python bench/commp.py --size 64MiB``.

A thin entry point for running from a checkout; the benchmark itself is
:mod:`pylotus.bench.commp`, also installed as ``pylotus-bench commp``.
"""

from __future__ import annotations

from pylotus.bench.commp import commp_command

if __name__ == "__main__":
    commp_command(prog_name="commp")
