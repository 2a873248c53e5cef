"""The on-disk repo of a pylotus program: layout, exclusive lock, keystore, LevelDB datastore, config.

Lotus counterpart: ``node/repo/`` (``fsrepo.go``, ``fsrepo_ds.go``) and ``node/config/``;
the layout is reference/lotus-miner.md §2.1.  Typical use::

    repo = FsRepo(default_repo_path(RepoType.STORAGE_MINER), RepoType.STORAGE_MINER)
    repo.init()                       # once, by `pylotus-miner init`
    with repo.lock() as locked:       # RepoLocked if another process has it
        ds = locked.datastore()       # <repo>/datastore/metadata
        ds.put("/miner-address", addr_bytes)
        locked.set_api_endpoint("/ip4/127.0.0.1/tcp/2345/http")

Other packages import from here only, never from the modules.
"""

from __future__ import annotations

from .config import ConfigDict as ConfigDict
from .config import ConfigValue as ConfigValue
from .config import load_config as load_config
from .config import render_default_config as render_default_config
from .config import set_config_values as set_config_values
from .datastore import Batch as Batch
from .datastore import Datastore as Datastore
from .datastore import Namespace as Namespace
from .errors import DatastoreError as DatastoreError
from .errors import InvalidConfig as InvalidConfig
from .errors import KeyExists as KeyExists
from .errors import KeyNotFound as KeyNotFound
from .errors import KeyPermissionsTooRelaxed as KeyPermissionsTooRelaxed
from .errors import KeystoreError as KeystoreError
from .errors import RepoAlreadyInitialized as RepoAlreadyInitialized
from .errors import RepoError as RepoError
from .errors import RepoLocked as RepoLocked
from .errors import RepoNotInitialized as RepoNotInitialized
from .files import write_atomic as write_atomic
from .fsrepo import FsRepo as FsRepo
from .fsrepo import LockedRepo as LockedRepo
from .fsrepo import read_api_info as read_api_info
from .hostkey import HOST_KEY_NAME as HOST_KEY_NAME
from .hostkey import ensure_host_key as ensure_host_key
from .hostkey import peer_id_of_host_key as peer_id_of_host_key
from .hostkey import peer_id_of_seed as peer_id_of_seed
from .hostkey import peer_id_text as peer_id_text
from .keystore import KeyInfo as KeyInfo
from .keystore import Keystore as Keystore
from .keystore import key_file_name as key_file_name
from .kind import RepoType as RepoType
from .kind import default_repo_path as default_repo_path
from .lock import LockHolder as LockHolder
from .lock import RepoLock as RepoLock
from .lock import acquire_repo_lock as acquire_repo_lock
from .lock import raise_on_sigterm as raise_on_sigterm

__all__ = [
    "Batch",
    "ConfigDict",
    "ConfigValue",
    "Datastore",
    "DatastoreError",
    "FsRepo",
    "HOST_KEY_NAME",
    "InvalidConfig",
    "KeyExists",
    "KeyInfo",
    "KeyNotFound",
    "KeyPermissionsTooRelaxed",
    "KeystoreError",
    "Keystore",
    "LockHolder",
    "LockedRepo",
    "Namespace",
    "RepoAlreadyInitialized",
    "RepoError",
    "RepoLocked",
    "RepoLock",
    "RepoNotInitialized",
    "RepoType",
    "acquire_repo_lock",
    "default_repo_path",
    "ensure_host_key",
    "key_file_name",
    "load_config",
    "peer_id_of_host_key",
    "peer_id_of_seed",
    "peer_id_text",
    "raise_on_sigterm",
    "read_api_info",
    "write_atomic",
    "render_default_config",
    "set_config_values",
]
