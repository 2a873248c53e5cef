"""Errors of the miner daemon and its commands; each says what to do about it."""

from __future__ import annotations

from ..errors import PylotusError

__all__ = ["FullNodeMismatch", "MinerError", "MinerInitError", "MinerNotInitialized"]


class MinerError(PylotusError):
    """Root of the miner's errors."""


class MinerInitError(MinerError):
    """``init`` cannot go on; the half-made repo has been removed."""


class MinerNotInitialized(MinerError):
    """``run`` on a repo that ``init`` never made (Lotus's message)."""


class FullNodeMismatch(MinerError):
    """The full node is not one this miner can work with (API version, network, sync)."""
