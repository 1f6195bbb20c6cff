"""Plain state dataclasses of the Curie engine, named as in the reference's storage contracts.

Every dataclass is constructible from keyword arguments with zero/empty defaults. Units: virtual
tokens 18 decimals ("wei"), USDC 6 decimals, ratios 1e6, growth values X96 / X128.
"""

from ballast.curie.state.account import Account, AccountMarketInfo, OpenOrder
from ballast.curie.state.config import ClearingHouseConfig
from ballast.curie.state.market import (
    FundingGrowth,
    FundingGrowthRangeInfo,
    MarketInfo,
    MarketLedger,
    MarketState,
    TickInfo,
)
from ballast.curie.state.vault import VaultState

__all__ = [
    "Account",
    "AccountMarketInfo",
    "ClearingHouseConfig",
    "FundingGrowth",
    "FundingGrowthRangeInfo",
    "MarketInfo",
    "MarketLedger",
    "MarketState",
    "OpenOrder",
    "TickInfo",
    "VaultState",
]
