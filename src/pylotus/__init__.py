"""pylotus: the Lotus storage-provider daemons (miner, seal worker, devnet node) in Python.

The package map and the import rules live in DESIGN.md: ``abi`` and ``proofs`` are the ground
floor, ``miner`` is the top, and a package imports only packages below it.
"""

from __future__ import annotations

__version__ = "0.1.0"
