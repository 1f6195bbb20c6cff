"""Spot market state: a collateral token with scaled balances, pools and its insurance fund.

Source: programs/drift/src/state/spot_market.rs
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from ballast.drift.state.perp_market import HistoricalOracleData, PoolBalance


class SpotBalanceType(Enum):
    """Source: programs/drift/src/state/spot_market.rs::SpotBalanceType"""

    __hash__ = object.__hash__  # singleton members: identity hash, no Python-level call

    Deposit = 0
    Borrow = 1


class AssetTier(Enum):
    """Source: programs/drift/src/state/spot_market.rs::AssetTier"""

    __hash__ = object.__hash__  # singleton members: identity hash, no Python-level call

    Collateral = 0
    Protected = 1
    Cross = 2
    Isolated = 3
    Unlisted = 4


class SpotMarketStatus(Enum):
    """Source: programs/drift/src/state/perp_market.rs::MarketStatus (shared by spot markets)"""

    __hash__ = object.__hash__  # singleton members: identity hash, no Python-level call

    Initialized = 0
    Active = 1
    ReduceOnly = 6


@dataclass(slots=True)
class InsuranceFund:
    """Source: programs/drift/src/state/spot_market.rs::InsuranceFund (token amounts in the market's decimals)."""

    vault_amount: int = 0
    total_shares: int = 0
    user_shares: int = 0
    shares_base: int = 0
    unstaking_period: int = 0
    last_revenue_settle_ts: int = 0
    revenue_settle_period: int = 0
    total_factor: int = 0
    user_factor: int = 0


@dataclass(slots=True)
class SpotMarket:
    """A spot market. `vault_amount` stands for the token balance of the market's vault account.

    Source: programs/drift/src/state/spot_market.rs::SpotMarket
    """

    market_index: int = 0
    name: str = ""
    decimals: int = 6
    status: SpotMarketStatus = SpotMarketStatus.Initialized
    asset_tier: AssetTier = AssetTier.Collateral
    vault_amount: int = 0
    deposit_balance: int = 0
    borrow_balance: int = 0
    cumulative_deposit_interest: int = 0
    cumulative_borrow_interest: int = 0
    revenue_pool: PoolBalance = field(default_factory=PoolBalance)
    spot_fee_pool: PoolBalance = field(default_factory=PoolBalance)
    insurance_fund: InsuranceFund = field(default_factory=InsuranceFund)
    historical_oracle_data: HistoricalOracleData = field(default_factory=HistoricalOracleData)
    initial_asset_weight: int = 0
    maintenance_asset_weight: int = 0
    initial_liability_weight: int = 0
    maintenance_liability_weight: int = 0
    imf_factor: int = 0
    scale_initial_asset_weight_start: int = 0  # deposit value (1e6) where initial weight starts to scale
    liquidator_fee: int = 0
    if_liquidation_fee: int = 0
    optimal_utilization: int = 0
    optimal_borrow_rate: int = 0
    max_borrow_rate: int = 0
    min_borrow_rate: int = 0
    last_interest_ts: int = 0
    last_twap_ts: int = 0
    deposit_token_twap: int = 0
    borrow_token_twap: int = 0
    utilization_twap: int = 0
    total_social_loss: int = 0
    total_quote_social_loss: int = 0
    withdraw_guard_threshold: int = 0
    max_token_deposits: int = 0
    max_token_borrows_fraction: int = 0  # share of max_token_deposits borrowable, 1e4 (0 = no cap)
    order_step_size: int = 0
    order_tick_size: int = 0
    min_order_size: int = 0
    pool_id: int = 0  # 0 = main pool; isolated pools get looser borrow limits (math/spot_withdraw)
    paused_operations: int = 0  # SPOT_OPERATION_* bit flags (constants.py)
    # Spot trading (orders between users, swaps). Left out of repr: Exchange.state_digest adds
    # them once they leave these initial values, so the digest of every run without spot
    # trading is what it was before they existed. Ballast's markets start with orders disabled
    # (update_spot_market_orders_enabled turns them on once step and tick sizes are set).
    orders_enabled: bool = field(default=False, repr=False)
    fee_adjustment: int = field(default=0, repr=False)  # % of the tier fee added (-100..), i16
    total_spot_fee: int = field(default=0, repr=False)  # quote 1e6 booked from spot fills
    next_fill_record_id: int = field(default=1, repr=False)
    flash_loan_amount: int = field(default=0, repr=False)  # tokens out of the vault in a swap
    flash_loan_initial_token_amount: int = field(default=0, repr=False)
    total_swap_fee: int = field(default=0, repr=False)


def spot_trading_fields(spot_market: SpotMarket) -> tuple[bool, int, int, int, int, int, int]:
    """The spot-trading fields of a market, in declaration order (the digest's extension)."""
    return (
        spot_market.orders_enabled,
        spot_market.fee_adjustment,
        spot_market.total_spot_fee,
        spot_market.next_fill_record_id,
        spot_market.flash_loan_amount,
        spot_market.flash_loan_initial_token_amount,
        spot_market.total_swap_fee,
    )


INITIAL_SPOT_TRADING_FIELDS = (False, 0, 0, 1, 0, 0, 0)
