"""Chain policy of the devnet: the epochs and amounts the power and miner actors check against.

Counterparts: builtin-actors ``runtime/src/runtime/policy.rs`` and ``actors/miner/src/policy.rs``
(specs-actors ``builtin/miner/policy.go``), with Lotus's 2k devnet overrides from
``build/buildconstants/params_2k.go``.  Each constant names its source; the two pylotus inventions
(the deposit and pledge formulas) are marked as such.

The WindowPoSt geometry is mainnet's (a proving period of one day of 30 s epochs, 48 deadlines of 60
epochs): Lotus's 2k build keeps it too, only the epoch is shorter (4 s blocks, so a period is 3.2 h).
"""

from __future__ import annotations

from typing import Final

from pylotus.abi import SectorSize

from .bigint import TokenAmount

__all__ = [
    "CHAIN_FINALITY",
    "CONSENSUS_MINER_MIN_POWER",
    "EPOCHS_IN_DAY",
    "FAULT_DECLARATION_CUTOFF",
    "INITIAL_PLEDGE_PER_BYTE",
    "MAX_PRE_COMMIT_RANDOMNESS_LOOKBACK",
    "MAX_PROVE_COMMIT_DURATION",
    "MAX_SECTOR_EXPIRATION_EXTENSION",
    "MIN_SECTOR_EXPIRATION",
    "PRE_COMMIT_CHALLENGE_DELAY",
    "PRE_COMMIT_DEPOSIT_PER_BYTE",
    "WPOST_CHALLENGE_LOOKBACK",
    "WPOST_CHALLENGE_WINDOW",
    "WPOST_PERIOD_DEADLINES",
    "WPOST_PROVING_PERIOD",
    "initial_pledge",
    "pre_commit_deposit",
]

EPOCHS_IN_DAY: Final = 2880  # builtin.EpochsInDay: 24 h of 30 s epochs
CHAIN_FINALITY: Final = 900  # policy.ChainFinality

PRE_COMMIT_CHALLENGE_DELAY: Final = 10  # Lotus params_2k.go SetPreCommitChallengeDelay(10); mainnet 150
MAX_PRE_COMMIT_RANDOMNESS_LOOKBACK: Final = EPOCHS_IN_DAY + CHAIN_FINALITY  # miner policy
MAX_PROVE_COMMIT_DURATION: Final = 30 * EPOCHS_IN_DAY + PRE_COMMIT_CHALLENGE_DELAY  # builtin-actors v9+
MIN_SECTOR_EXPIRATION: Final = 180 * EPOCHS_IN_DAY  # miner policy MinSectorExpiration
MAX_SECTOR_EXPIRATION_EXTENSION: Final = 540 * EPOCHS_IN_DAY  # miner policy MaxSectorExpirationExtension

WPOST_PROVING_PERIOD: Final = EPOCHS_IN_DAY  # miner policy WPoStProvingPeriod
WPOST_CHALLENGE_WINDOW: Final = 60  # miner policy WPoStChallengeWindow: 30 minutes
WPOST_PERIOD_DEADLINES: Final = 48  # miner policy WPoStPeriodDeadlines
WPOST_CHALLENGE_LOOKBACK: Final = 20  # miner policy WPoStChallengeLookback
FAULT_DECLARATION_CUTOFF: Final = WPOST_CHALLENGE_LOOKBACK + 50  # miner policy FaultDeclarationCutoff

CONSENSUS_MINER_MIN_POWER: Final = 2048  # Lotus params_2k.go SetConsensusMinerMinPower(2048)

# pylotus inventions: Lotus derives both from the reward actor's expected block reward per byte of
# power (20 days of it for the deposit, 20 days plus a share of circulating supply for the pledge).
# The devnet has no reward actor yet, so both are a fixed price per byte of sector, small enough
# that a default devnet wallet can pledge thousands of 2KiB sectors.
PRE_COMMIT_DEPOSIT_PER_BYTE: Final = TokenAmount(10**9)  # 1 nanoFIL a byte: 2.048 µFIL for 2KiB
INITIAL_PLEDGE_PER_BYTE: Final = TokenAmount(2 * 10**9)  # 2 nanoFIL a byte


def pre_commit_deposit(sector_size: SectorSize | int) -> TokenAmount:
    """The deposit a PreCommitSector locks (Lotus ``PreCommitDepositForPower``; formula above)."""
    return PRE_COMMIT_DEPOSIT_PER_BYTE * int(sector_size)


def initial_pledge(sector_size: SectorSize | int) -> TokenAmount:
    """The pledge a ProveCommitSector locks (Lotus ``InitialPledgeForPower``; formula above)."""
    return INITIAL_PLEDGE_PER_BYTE * int(sector_size)
