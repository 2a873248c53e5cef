"""The default ``config.toml`` of each repo kind, as nested dicts that mirror Lotus's sections.

Lotus counterpart: ``node/config/def.go`` (``DefaultFullNode``, ``DefaultStorageMiner``, the
empty worker struct) at L05/L12.  Section and key names keep Lotus's spelling so that an operator's
Lotus config reads the same here; values are the ones Lotus encodes into TOML (durations as Go
``time.Duration`` strings such as ``"6h0m0s"``, FIL amounts as ``"0.025 FIL"``).

Only the sections pylotus reads or that a Lotus operator expects to find are kept; pubsub,
metrics and markets tuning that pylotus has no use for are left out rather than shown and ignored.

Each function returns a fresh dict, so callers may change what they get without touching anyone
else's defaults (no mutable globals).
"""

from __future__ import annotations

from typing import TypeAlias

__all__ = [
    "ConfigDict",
    "ConfigValue",
    "full_node_config",
    "storage_miner_config",
    "worker_config",
    "NOTES",
]

ConfigValue: TypeAlias = "str | int | float | bool | list[ConfigValue] | dict[str, ConfigValue]"
"""A TOML value as pylotus keeps it: plain Python types, tables as dicts."""

ConfigDict: TypeAlias = "dict[str, ConfigValue]"
"""A parsed config file: section name → table."""

NOTES: tuple[tuple[str, str, str], ...] = (
    (
        "Chain",
        "BlockDelay",
        "BlockDelay is a pylotus devnet setting, not a Lotus one: the time between devnet blocks",
    ),
)
"""(section, key, comment) for defaults that need a word in the written ``config.toml``."""


def _api(listen_address: str) -> ConfigDict:
    # Lotus defCommon: Timeout = Duration(30 * time.Second); RemoteListenAddress is empty
    # unless the operator sets where remote workers reach this API.
    return {"ListenAddress": listen_address, "RemoteListenAddress": "", "Timeout": "30s"}


def _libp2p() -> ConfigDict:
    # Lotus defCommon, without the IPv6 wildcard: pylotus devnets are IPv4 on loopback.
    return {
        "ListenAddresses": ["/ip4/0.0.0.0/tcp/0"],
        "AnnounceAddresses": [],
        "NoAnnounceAddresses": [],
        "ConnMgrLow": 150,
        "ConnMgrHigh": 180,
        "ConnMgrGrace": "20s",
    }


def full_node_config() -> ConfigDict:
    """``pylotus daemon``: Lotus ``DefaultFullNode`` plus the devnet's ``[Chain]`` section."""
    return {
        "API": _api("/ip4/127.0.0.1/tcp/1234/http"),
        "Libp2p": _libp2p(),
        # Not in Lotus, whose block time is a build constant (builtin.EpochDurationSeconds);
        # the pylotus devnet makes it a setting so tests can run fast chains.
        "Chain": {"BlockDelay": "4s"},
        "Wallet": {"RemoteBackend": "", "EnableLedger": False, "DisableLocal": False},
    }


def storage_miner_config() -> ConfigDict:
    """``pylotus-miner``: Lotus ``DefaultStorageMiner`` (L05/L12)."""
    return {
        "API": _api("/ip4/127.0.0.1/tcp/2345/http"),
        "Libp2p": _libp2p(),
        "Dealmaking": {
            "ConsiderOnlineStorageDeals": True,
            "ConsiderOfflineStorageDeals": True,
            "ConsiderOnlineRetrievalDeals": True,
            "ConsiderOfflineRetrievalDeals": True,
            "PieceCidBlocklist": [],
            "ExpectedSealDuration": "24h0m0s",
        },
        "Sealing": {
            "MaxWaitDealsSectors": 2,  # Lotus: "64G with 32G sectors"
            "MaxSealingSectors": 0,  # 0 = no limit
            "MaxSealingSectorsForDeals": 0,
            "WaitDealsDelay": "6h0m0s",
        },
        "Storage": {
            "ParallelFetchLimit": 10,
            "AllowAddPiece": True,
            "AllowPreCommit1": True,
            "AllowPreCommit2": True,
            "AllowCommit": True,
            "AllowUnseal": True,
        },
        "Fees": {
            "MaxPreCommitGasFee": "0.025 FIL",
            "MaxCommitGasFee": "0.05 FIL",
            "MaxWindowPoStGasFee": "5 FIL",
        },
        "Addresses": {"PreCommitControl": [], "CommitControl": []},
    }


def worker_config() -> ConfigDict:
    """``pylotus-seal-worker``: empty, as Lotus's worker repo writes an empty struct."""
    return {}
