"""``pylotus devnet``: the node, the genesis miner and seal workers, supervised in one command."""

from __future__ import annotations

from .supervisor import DevnetConfig as DevnetConfig
from .supervisor import DevnetError as DevnetError
from .supervisor import run_devnet as run_devnet

__all__ = ["DevnetConfig", "DevnetError", "run_devnet"]
