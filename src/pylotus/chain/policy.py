"""Chain policy of the devnet: the epochs and amounts the power and miner actors check against.

Counterparts: builtin-actors ``runtime/src/runtime/policy.rs`` and ``actors/miner/src/policy.rs``
(specs-actors ``builtin/miner/policy.go``), with Lotus's 2k devnet overrides from
``build/buildconstants/params_2k.go``.  Each constant names its source; the two pylotus inventions
(the deposit and pledge formulas) are marked as such.

**WindowPoSt geometry of the devnet**: Lotus's interop/2k builds call
``policy.SetWPoStChallengeWindow(5)``, which also sets the proving period to 48 × 5 = 240 epochs (the
number of deadlines stays 48; the challenge lookback stays 20 and the fault declaration cutoff
lookback + 50 = 70, as policy).  pylotus adopts it, so on a 1 s devnet a sector's Window PoSt comes
round every 4 minutes and a deadline closes every 5 s; mainnet's is 60-epoch deadlines and a
2880-epoch (one day) period.  ``EPOCHS_IN_DAY`` stays the actors' 2880 (30 s epochs): sector
lifetimes and the prove-commit window are counted in it whatever the devnet's block delay.

**Block reward**: a fixed :data:`BLOCK_REWARD` a block, all of it available at once (see
:mod:`pylotus.chain.actor_reward`).
"""

from __future__ import annotations

from typing import Final

from pylotus.abi import SectorSize

from .bigint import TokenAmount

__all__ = [
    "BLOCK_REWARD",
    "CHAIN_FINALITY",
    "CONSENSUS_MINER_MIN_POWER",
    "EPOCHS_IN_DAY",
    "EPOCHS_IN_HOUR",
    "EXPIRED_PRE_COMMIT_CLEAN_UP_DELAY",
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

EPOCHS_IN_HOUR: Final = 120  # builtin.EpochsInHour: 60 min of 30 s epochs
EPOCHS_IN_DAY: Final = 24 * EPOCHS_IN_HOUR  # builtin.EpochsInDay: 2880
CHAIN_FINALITY: Final = 900  # policy.ChainFinality

PRE_COMMIT_CHALLENGE_DELAY: Final = 10  # Lotus params_2k.go SetPreCommitChallengeDelay(10); mainnet 150
MAX_PRE_COMMIT_RANDOMNESS_LOOKBACK: Final = EPOCHS_IN_DAY + CHAIN_FINALITY  # miner policy
# builtin-actors max_prove_commit_duration for the V1_1 seal proofs: 30 days + the challenge delay
MAX_PROVE_COMMIT_DURATION: Final = 30 * EPOCHS_IN_DAY + PRE_COMMIT_CHALLENGE_DELAY
# policy EXPIRED_PRE_COMMIT_CLEAN_UP_DELAY: an expired pre-commit stays (and can still be proven by a
# late aggregate) this long before deadline cron burns its deposit
EXPIRED_PRE_COMMIT_CLEAN_UP_DELAY: Final = 8 * EPOCHS_IN_HOUR
MIN_SECTOR_EXPIRATION: Final = 180 * EPOCHS_IN_DAY  # miner policy MinSectorExpiration
# policy MAX_SECTOR_EXPIRATION_EXTENSION: 1278 days since FIP-0052 (nv21; it was 540 days before)
MAX_SECTOR_EXPIRATION_EXTENSION: Final = 1278 * EPOCHS_IN_DAY

WPOST_CHALLENGE_WINDOW: Final = 5  # Lotus 2k/interop SetWPoStChallengeWindow(5); mainnet 60
WPOST_PERIOD_DEADLINES: Final = 48  # miner policy WPoStPeriodDeadlines
WPOST_PROVING_PERIOD: Final = WPOST_PERIOD_DEADLINES * WPOST_CHALLENGE_WINDOW  # 240, as Lotus scales it
WPOST_CHALLENGE_LOOKBACK: Final = 20  # miner policy WPoStChallengeLookback
FAULT_DECLARATION_CUTOFF: Final = WPOST_CHALLENGE_LOOKBACK + 50  # miner policy FaultDeclarationCutoff

CONSENSUS_MINER_MIN_POWER: Final = 2048  # Lotus params_2k.go SetConsensusMinerMinPower(2048)

# pylotus invention: Lotus's reward actor pays a block its share of the epoch's reward (baseline +
# simple minting, about 20 FIL a win at mainnet launch, decaying).  The devnet pays a fixed figure
# of that order, so a miner's balance visibly grows by a round number per block it wins.
BLOCK_REWARD: Final = TokenAmount.from_fil(20)

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
