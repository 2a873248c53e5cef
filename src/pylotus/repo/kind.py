"""The three kinds of repo (full node, storage miner, seal worker) and where each lives by default.

Lotus counterpart: ``node/repo/fsrepo.go`` (``RepoType``: ``FullNode``, ``StorageMiner``,
``Worker``, and ``defConfForType``) and the ``--repo``/``--miner-repo``/``--worker-repo`` flags of
the Lotus binaries (reference/lotus-miner.md §1.1).  pylotus renames the directories and
variables (``~/.pylotusminer``, ``PYLOTUS_MINER_PATH``) so that it never opens a real Lotus repo by
accident; the table in DESIGN.md "Programs" is the source of these names.

A kind knows everything the repo code needs to talk about it: its default path and environment
variable, the program that owns it (for "is another … running?"), the command that creates it
(for "is not initialized, …") and its default config.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Final

from .config_defaults import ConfigDict, full_node_config, storage_miner_config, worker_config

__all__ = ["RepoType", "default_repo_path"]


class RepoType(enum.Enum):
    """A kind of repo; the value is Lotus's name for it."""

    FULL_NODE = "FullNode"
    STORAGE_MINER = "StorageMiner"
    WORKER = "Worker"

    @property
    def default_path(self) -> Path:
        """Where the repo lives when neither flag nor environment says otherwise, ``~`` expanded."""
        return Path(_KIND_INFO[self].default_path).expanduser()

    @property
    def env_var(self) -> str:
        """The environment variable that overrides :attr:`default_path`."""
        return _KIND_INFO[self].env_var

    @property
    def program(self) -> str:
        """The program that opens this repo, as messages name it (``pylotus-miner``)."""
        return _KIND_INFO[self].program

    @property
    def init_hint(self) -> str:
        """What to run when the repo is missing (``run 'pylotus-miner init' to set it up``)."""
        return _KIND_INFO[self].init_hint

    def default_config(self) -> ConfigDict:
        """A fresh copy of this kind's default ``config.toml`` content."""
        return _KIND_INFO[self].default_config()


@dataclass(frozen=True)
class _KindInfo:
    default_path: str
    env_var: str
    program: str
    init_hint: str
    default_config: Callable[[], ConfigDict]


_KIND_INFO: Final = MappingProxyType(
    {
        RepoType.FULL_NODE: _KindInfo(
            default_path="~/.pylotus",
            env_var="PYLOTUS_PATH",
            program="pylotus daemon",
            # The node creates its repo on first start, as `lotus daemon` does.
            init_hint="run 'pylotus daemon' to create it",
            default_config=full_node_config,
        ),
        RepoType.STORAGE_MINER: _KindInfo(
            default_path="~/.pylotusminer",
            env_var="PYLOTUS_MINER_PATH",
            program="pylotus-miner",
            init_hint="run 'pylotus-miner init' to set it up",
            default_config=storage_miner_config,
        ),
        RepoType.WORKER: _KindInfo(
            default_path="~/.pylotusworker",
            env_var="PYLOTUS_WORKER_PATH",
            program="pylotus-seal-worker",
            # `lotus-worker run` initializes a missing worker repo itself (§1.8 step 6).
            init_hint="run 'pylotus-seal-worker run' to create it",
            default_config=worker_config,
        ),
    }
)


def default_repo_path(kind: RepoType) -> Path:
    """The repo path for ``kind``: its environment variable if set and non-empty, else the default.

    ``~`` is expanded in both, as Lotus does with ``homedir.Expand``.  Command-line flags win over
    both; that choice belongs to the CLI, which passes its path to :class:`FsRepo` directly.
    """
    from_env = os.environ.get(kind.env_var, "")
    if from_env:
        return Path(from_env).expanduser()
    return kind.default_path
