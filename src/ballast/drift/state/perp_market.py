"""Perp market state: the vAMM, its pools and the market's risk parameters.

Plain data with the reference's field names; units are in the field comments
(base/reserves 1e9, price/peg 1e6, quote 1e6, funding 1e9, margin 1e4, pct 1e6).

Source: programs/drift/src/state/perp_market.rs
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from ballast.drift.state.oracle import OracleSource


class MarketStatus(Enum):
    """Source: programs/drift/src/state/perp_market.rs::MarketStatus"""

    __hash__ = object.__hash__  # singleton members: identity hash, no Python-level call

    Initialized = 0
    Active = 1
    FundingPaused = 2
    AmmPaused = 3
    FillPaused = 4
    WithdrawPaused = 5
    ReduceOnly = 6
    Settlement = 7
    Delisted = 8


class ContractTier(Enum):
    """Source: programs/drift/src/state/perp_market.rs::ContractTier"""

    __hash__ = object.__hash__  # singleton members: identity hash, no Python-level call

    A = 0
    B = 1
    C = 2
    Speculative = 3
    HighlySpeculative = 4
    Isolated = 5


class ContractType(Enum):
    """Source: programs/drift/src/state/perp_market.rs::ContractType"""

    __hash__ = object.__hash__  # singleton members: identity hash, no Python-level call

    Perpetual = 0
    Future = 1


class SwapDirection(Enum):
    """Add: base enters the pool (user sells); Remove: base leaves it (user buys).

    Source: programs/drift/src/controller/amm.rs::SwapDirection
    """

    __hash__ = object.__hash__  # singleton members: identity hash, no Python-level call

    Add = 0
    Remove = 1


class AMMLiquiditySplit(Enum):
    """Who takes the AMM's side of a fill. Source: programs/drift/src/state/perp_market.rs::AMMLiquiditySplit"""

    __hash__ = object.__hash__  # singleton members: identity hash, no Python-level call

    ProtocolOwned = 0
    LPOwned = 1
    Shared = 2


class PerpOperation:
    """Bit flags of `PerpMarket.paused_operations`. Source: programs/drift/src/state/paused_operations.rs::PerpOperation"""

    UpdateFunding: Final = 0b0000_0001
    AmmFill: Final = 0b0000_0010
    Fill: Final = 0b0000_0100
    SettlePnl: Final = 0b0000_1000
    SettlePnlWithPosition: Final = 0b0001_0000
    Liquidation: Final = 0b0010_0000
    AmmImmediateFill: Final = 0b0100_0000


@dataclass(slots=True)
class PoolBalance:
    """A deposit-type scaled balance held by a pool (SPOT_BALANCE_PRECISION units).

    Source: programs/drift/src/state/perp_market.rs::PoolBalance
    """

    scaled_balance: int = 0
    market_index: int = 0


@dataclass(slots=True)
class HistoricalOracleData:
    """Source: programs/drift/src/state/oracle.rs::HistoricalOracleData (prices 1e6, ts seconds)."""

    last_oracle_price: int = 0
    last_oracle_conf: int = 0
    last_oracle_delay: int = 0
    last_oracle_price_twap: int = 0
    last_oracle_price_twap_5min: int = 0
    last_oracle_price_twap_ts: int = 0


@dataclass(slots=True)
class InsuranceClaim:
    """Source: programs/drift/src/state/perp_market.rs::InsuranceClaim (quote 1e6)."""

    revenue_withdraw_since_last_settle: int = 0
    max_revenue_withdraw_per_period: int = 0
    quote_max_insurance: int = 0
    quote_settled_insurance: int = 0
    last_revenue_withdraw_ts: int = 0


@dataclass(slots=True)
class AMM:
    """The virtual AMM of one perp market. Source: programs/drift/src/state/perp_market.rs::AMM"""

    # curve (1e9 reserves, 1e6 peg)
    base_asset_reserve: int = 0
    quote_asset_reserve: int = 0
    sqrt_k: int = 0
    peg_multiplier: int = 0
    terminal_quote_asset_reserve: int = 0
    concentration_coef: int = 0
    min_base_asset_reserve: int = 0
    max_base_asset_reserve: int = 0
    # spread reserves and spreads (1e6 pct)
    ask_base_asset_reserve: int = 0
    ask_quote_asset_reserve: int = 0
    bid_base_asset_reserve: int = 0
    bid_quote_asset_reserve: int = 0
    base_spread: int = 0
    max_spread: int = 0
    long_spread: int = 0
    short_spread: int = 0
    reference_price_offset: int = 0
    amm_spread_adjustment: int = 0
    amm_inventory_spread_adjustment: int = 0
    curve_update_intensity: int = 0
    amm_jit_intensity: int = 0
    # inventory (base 1e9, quote 1e6)
    base_asset_amount_with_amm: int = 0
    base_asset_amount_long: int = 0
    base_asset_amount_short: int = 0
    base_asset_amount_with_unsettled_lp: int = 0
    quote_asset_amount: int = 0
    quote_entry_amount_long: int = 0
    quote_entry_amount_short: int = 0
    quote_break_even_amount_long: int = 0
    quote_break_even_amount_short: int = 0
    quote_asset_amount_with_unsettled_lp: int = 0
    max_open_interest: int = 0
    max_position_size: int = 0
    # LP (BAL) accumulators
    user_lp_shares: int = 0
    base_asset_amount_per_lp: int = 0
    quote_asset_amount_per_lp: int = 0
    per_lp_base: int = 0
    target_base_asset_amount_per_lp: int = 0
    # Ballast option, not in the reference: the LPs' fee slice as numerator/denominator;
    # a zero denominator means the reference's LP_FEE_SLICE_NUMERATOR/DENOMINATOR (8/10)
    lp_fee_slice_numerator: int = 0
    lp_fee_slice_denominator: int = 0
    # fees (quote 1e6)
    total_fee: int = 0
    total_mm_fee: int = 0
    total_exchange_fee: int = 0
    total_fee_minus_distributions: int = 0
    total_fee_withdrawn: int = 0
    total_liquidation_fee: int = 0
    net_revenue_since_last_funding: int = 0
    total_social_loss: int = 0
    fee_pool: PoolBalance = field(default_factory=PoolBalance)
    # funding (1e9)
    cumulative_funding_rate_long: int = 0
    cumulative_funding_rate_short: int = 0
    last_funding_rate: int = 0
    last_funding_rate_long: int = 0
    last_funding_rate_short: int = 0
    last_24h_avg_funding_rate: int = 0
    last_funding_rate_ts: int = 0
    funding_period: int = 0
    last_funding_oracle_twap: int = 0
    net_unsettled_funding_pnl: int = 0
    # oracle and mark statistics (1e6)
    historical_oracle_data: HistoricalOracleData = field(default_factory=HistoricalOracleData)
    last_oracle_normalised_price: int = 0
    last_oracle_conf_pct: int = 0
    last_oracle_reserve_price_spread_pct: int = 0
    last_oracle_valid: bool = False
    oracle_source: OracleSource = OracleSource.Pyth  # which oracle feed (stablecoin feeds get 3x margin staleness)
    last_bid_price_twap: int = 0
    last_ask_price_twap: int = 0
    last_mark_price_twap: int = 0
    last_mark_price_twap_5min: int = 0
    last_mark_price_twap_ts: int = 0
    mark_std: int = 0
    oracle_std: int = 0
    volume_24h: int = 0
    long_intensity_volume: int = 0
    short_intensity_volume: int = 0
    last_trade_ts: int = 0
    last_update_slot: int = 0
    # order parameters
    order_step_size: int = 0
    order_tick_size: int = 0
    min_order_size: int = 0
    max_fill_reserve_fraction: int = 0
    max_slippage_ratio: int = 0

    def clone(self) -> AMM:
        """A shallow copy, every field by name (nested records shared), for what-if
        calculations: the reference copies the struct (`*x`). A test keeps it complete.
        Compiled, an empty instance filled field by field costs ~0.5 us; the dataclass
        constructor ~10-35 us and dataclasses.replace ~30 us for the AMM."""
        copy = AMM.__new__(AMM)
        copy.base_asset_reserve = self.base_asset_reserve
        copy.quote_asset_reserve = self.quote_asset_reserve
        copy.sqrt_k = self.sqrt_k
        copy.peg_multiplier = self.peg_multiplier
        copy.terminal_quote_asset_reserve = self.terminal_quote_asset_reserve
        copy.concentration_coef = self.concentration_coef
        copy.min_base_asset_reserve = self.min_base_asset_reserve
        copy.max_base_asset_reserve = self.max_base_asset_reserve
        copy.ask_base_asset_reserve = self.ask_base_asset_reserve
        copy.ask_quote_asset_reserve = self.ask_quote_asset_reserve
        copy.bid_base_asset_reserve = self.bid_base_asset_reserve
        copy.bid_quote_asset_reserve = self.bid_quote_asset_reserve
        copy.base_spread = self.base_spread
        copy.max_spread = self.max_spread
        copy.long_spread = self.long_spread
        copy.short_spread = self.short_spread
        copy.reference_price_offset = self.reference_price_offset
        copy.amm_spread_adjustment = self.amm_spread_adjustment
        copy.amm_inventory_spread_adjustment = self.amm_inventory_spread_adjustment
        copy.curve_update_intensity = self.curve_update_intensity
        copy.amm_jit_intensity = self.amm_jit_intensity
        copy.base_asset_amount_with_amm = self.base_asset_amount_with_amm
        copy.base_asset_amount_long = self.base_asset_amount_long
        copy.base_asset_amount_short = self.base_asset_amount_short
        copy.base_asset_amount_with_unsettled_lp = self.base_asset_amount_with_unsettled_lp
        copy.quote_asset_amount = self.quote_asset_amount
        copy.quote_entry_amount_long = self.quote_entry_amount_long
        copy.quote_entry_amount_short = self.quote_entry_amount_short
        copy.quote_break_even_amount_long = self.quote_break_even_amount_long
        copy.quote_break_even_amount_short = self.quote_break_even_amount_short
        copy.quote_asset_amount_with_unsettled_lp = self.quote_asset_amount_with_unsettled_lp
        copy.max_open_interest = self.max_open_interest
        copy.max_position_size = self.max_position_size
        copy.user_lp_shares = self.user_lp_shares
        copy.base_asset_amount_per_lp = self.base_asset_amount_per_lp
        copy.quote_asset_amount_per_lp = self.quote_asset_amount_per_lp
        copy.per_lp_base = self.per_lp_base
        copy.target_base_asset_amount_per_lp = self.target_base_asset_amount_per_lp
        copy.lp_fee_slice_numerator = self.lp_fee_slice_numerator
        copy.lp_fee_slice_denominator = self.lp_fee_slice_denominator
        copy.total_fee = self.total_fee
        copy.total_mm_fee = self.total_mm_fee
        copy.total_exchange_fee = self.total_exchange_fee
        copy.total_fee_minus_distributions = self.total_fee_minus_distributions
        copy.total_fee_withdrawn = self.total_fee_withdrawn
        copy.total_liquidation_fee = self.total_liquidation_fee
        copy.net_revenue_since_last_funding = self.net_revenue_since_last_funding
        copy.total_social_loss = self.total_social_loss
        copy.fee_pool = self.fee_pool
        copy.cumulative_funding_rate_long = self.cumulative_funding_rate_long
        copy.cumulative_funding_rate_short = self.cumulative_funding_rate_short
        copy.last_funding_rate = self.last_funding_rate
        copy.last_funding_rate_long = self.last_funding_rate_long
        copy.last_funding_rate_short = self.last_funding_rate_short
        copy.last_24h_avg_funding_rate = self.last_24h_avg_funding_rate
        copy.last_funding_rate_ts = self.last_funding_rate_ts
        copy.funding_period = self.funding_period
        copy.last_funding_oracle_twap = self.last_funding_oracle_twap
        copy.net_unsettled_funding_pnl = self.net_unsettled_funding_pnl
        copy.historical_oracle_data = self.historical_oracle_data
        copy.last_oracle_normalised_price = self.last_oracle_normalised_price
        copy.last_oracle_conf_pct = self.last_oracle_conf_pct
        copy.last_oracle_reserve_price_spread_pct = self.last_oracle_reserve_price_spread_pct
        copy.last_oracle_valid = self.last_oracle_valid
        copy.oracle_source = self.oracle_source
        copy.last_bid_price_twap = self.last_bid_price_twap
        copy.last_ask_price_twap = self.last_ask_price_twap
        copy.last_mark_price_twap = self.last_mark_price_twap
        copy.last_mark_price_twap_5min = self.last_mark_price_twap_5min
        copy.last_mark_price_twap_ts = self.last_mark_price_twap_ts
        copy.mark_std = self.mark_std
        copy.oracle_std = self.oracle_std
        copy.volume_24h = self.volume_24h
        copy.long_intensity_volume = self.long_intensity_volume
        copy.short_intensity_volume = self.short_intensity_volume
        copy.last_trade_ts = self.last_trade_ts
        copy.last_update_slot = self.last_update_slot
        copy.order_step_size = self.order_step_size
        copy.order_tick_size = self.order_tick_size
        copy.min_order_size = self.min_order_size
        copy.max_fill_reserve_fraction = self.max_fill_reserve_fraction
        copy.max_slippage_ratio = self.max_slippage_ratio
        return copy


@dataclass(slots=True)
class PerpMarket:
    """Source: programs/drift/src/state/perp_market.rs::PerpMarket"""

    market_index: int = 0
    name: str = ""
    amm: AMM = field(default_factory=AMM)
    pnl_pool: PoolBalance = field(default_factory=PoolBalance)
    status: MarketStatus = MarketStatus.Initialized
    contract_type: ContractType = ContractType.Perpetual
    contract_tier: ContractTier = ContractTier.HighlySpeculative
    paused_operations: int = 0
    quote_spot_market_index: int = 0
    # margin (1e4) and liquidation fees (1e6)
    margin_ratio_initial: int = 0
    margin_ratio_maintenance: int = 0
    high_leverage_margin_ratio_initial: int = 0
    high_leverage_margin_ratio_maintenance: int = 0
    imf_factor: int = 0
    unrealized_pnl_initial_asset_weight: int = 0
    unrealized_pnl_maintenance_asset_weight: int = 0
    unrealized_pnl_imf_factor: int = 0
    unrealized_pnl_max_imbalance: int = 0
    liquidator_fee: int = 0
    if_liquidation_fee: int = 0
    fee_adjustment: int = 0
    insurance_claim: InsuranceClaim = field(default_factory=InsuranceClaim)
    number_of_users: int = 0
    number_of_users_with_base: int = 0
    expiry_ts: int = 0
    expiry_price: int = 0
    next_fill_record_id: int = 1
    next_funding_rate_record_id: int = 1
    # quote tokens (1e6) taken from the fee pool by resolve_perp_bankruptcy without crediting any
    # balance (the reference's quirk): they stay in the quote vault as unallocated surplus
    bankruptcy_fee_pool_surplus: int = 0

    def clone(self) -> PerpMarket:
        """A shallow copy, every field by name (nested records shared), for what-if
        calculations: the reference copies the struct (`*x`). A test keeps it complete.
        Compiled, an empty instance filled field by field costs ~0.5 us; the dataclass
        constructor ~10-35 us and dataclasses.replace ~30 us for the AMM."""
        copy = PerpMarket.__new__(PerpMarket)
        copy.market_index = self.market_index
        copy.name = self.name
        copy.amm = self.amm
        copy.pnl_pool = self.pnl_pool
        copy.status = self.status
        copy.contract_type = self.contract_type
        copy.contract_tier = self.contract_tier
        copy.paused_operations = self.paused_operations
        copy.quote_spot_market_index = self.quote_spot_market_index
        copy.margin_ratio_initial = self.margin_ratio_initial
        copy.margin_ratio_maintenance = self.margin_ratio_maintenance
        copy.high_leverage_margin_ratio_initial = self.high_leverage_margin_ratio_initial
        copy.high_leverage_margin_ratio_maintenance = self.high_leverage_margin_ratio_maintenance
        copy.imf_factor = self.imf_factor
        copy.unrealized_pnl_initial_asset_weight = self.unrealized_pnl_initial_asset_weight
        copy.unrealized_pnl_maintenance_asset_weight = self.unrealized_pnl_maintenance_asset_weight
        copy.unrealized_pnl_imf_factor = self.unrealized_pnl_imf_factor
        copy.unrealized_pnl_max_imbalance = self.unrealized_pnl_max_imbalance
        copy.liquidator_fee = self.liquidator_fee
        copy.if_liquidation_fee = self.if_liquidation_fee
        copy.fee_adjustment = self.fee_adjustment
        copy.insurance_claim = self.insurance_claim
        copy.number_of_users = self.number_of_users
        copy.number_of_users_with_base = self.number_of_users_with_base
        copy.expiry_ts = self.expiry_ts
        copy.expiry_price = self.expiry_price
        copy.next_fill_record_id = self.next_fill_record_id
        copy.next_funding_rate_record_id = self.next_funding_rate_record_id
        copy.bankruptcy_fee_pool_surplus = self.bankruptcy_fee_pool_surplus
        return copy

    def is_operation_paused(self, operation: int) -> bool:
        """Source: programs/drift/src/state/perp_market.rs::PerpMarket::is_operation_paused"""
        return self.paused_operations & operation != 0
