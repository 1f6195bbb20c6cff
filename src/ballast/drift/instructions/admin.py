"""Admin instructions: markets and exchange-wide settings.

Methods of `ballast.drift.exchange.Exchange` (a mixin): each validates its inputs and runs the
controllers inside `Exchange._atomic`, so it applies completely or raises leaving state unchanged.

Source: programs/drift/src/instructions/admin.rs
"""

from __future__ import annotations

from ballast.drift.constants import (
    MAX_CONCENTRATION_COEFFICIENT,
    MAX_MARGIN_RATIO,
    MIN_MARGIN_RATIO,
    ONE_HOUR,
    PRICE_PRECISION,
    QUOTE_SPOT_MARKET_INDEX,
    SPOT_CUMULATIVE_INTEREST_PRECISION,
    SPOT_WEIGHT_PRECISION,
    THIRTEEN_DAY,
)
from ballast.drift.controller.amm import update_concentration_coef
from ballast.drift.controller.lp import (
    apply_lp_rebase_to_perp_market,
)
from ballast.drift.controller.spot_balance import update_spot_balances
from ballast.drift.errors import (
    DefaultError,
    InvalidInitialPeg,
    InvalidMarginRatio,
    InvalidMarketParameter,
    MarketIndexAlreadyInitialized,
    SpotMarketNotFound,
)
from ballast.drift.instructions.if_staker import INSURANCE_FLOWS
from ballast.drift.instructions.inputs import check_int
from ballast.drift.math.amm import calculate_bid_ask_bounds, calculate_price
from ballast.drift.state.oracle import OracleSource
from ballast.drift.state.perp_market import (
    AMM,
    ContractTier,
    HistoricalOracleData,
    InsuranceClaim,
    MarketStatus,
    PerpMarket,
)
from ballast.drift.state.spot_market import (
    AssetTier,
    InsuranceFund,
    SpotBalanceType,
    SpotMarket,
    SpotMarketStatus,
)
from ballast.drift.state.user import (
    MarketType,
)
from ballast.drift.validation.spot_market import validate_spot_market
from ballast.fixed import U64_MAX, div_floor


class AdminInstructions:
    """Admin instructions: markets and exchange-wide settings."""

    def initialize_spot_market(
        self,
        market_index: int = QUOTE_SPOT_MARKET_INDEX,
        decimals: int = 6,
        name: str = "USDC",
        initial_asset_weight: int = SPOT_WEIGHT_PRECISION,
        maintenance_asset_weight: int = SPOT_WEIGHT_PRECISION,
        initial_liability_weight: int = SPOT_WEIGHT_PRECISION,
        maintenance_liability_weight: int = SPOT_WEIGHT_PRECISION,
        oracle_price: int = PRICE_PRECISION,
        imf_factor: int = 0,
        optimal_utilization: int = 800_000,
        optimal_borrow_rate: int = 100_000,
        max_borrow_rate: int = 1_000_000,
        min_borrow_rate: int = 0,
        liquidator_fee: int = 0,
        if_liquidation_fee: int = 0,
        total_if_factor: int = 0,
        user_if_factor: int | None = None,
        withdraw_guard_threshold: int = 0,
        max_token_deposits: int = 0,
        unstaking_period: int = THIRTEEN_DAY,
        revenue_settle_period: int = ONE_HOUR,
        asset_tier: AssetTier = AssetTier.Collateral,
    ) -> SpotMarket:
        """Create a spot market; market 0 is the quote (USDC) market with a fixed $1 oracle.

        Weights 1e4, rates and factors 1e6 (optimal_borrow_rate 100_000 = 10% APR),
        min_borrow_rate in units of 0.5%. `user_if_factor` defaults to half of
        `total_if_factor`, as the reference sets it. Parameters are validated as the reference's
        admin instructions do (typed errors naming the value).

        Source: programs/drift/src/instructions/admin.rs::handle_initialize_spot_market
        """
        check_int("market_index", market_index, minimum=0)
        if market_index != self.state.number_of_spot_markets:
            raise MarketIndexAlreadyInitialized(
                f"spot market_index {market_index} != number_of_spot_markets {self.state.number_of_spot_markets}"
            )
        check_int("decimals", decimals, minimum=0, maximum=19)
        is_quote = market_index == QUOTE_SPOT_MARKET_INDEX
        market = SpotMarket(
            market_index=market_index,
            name=name,
            decimals=decimals,
            status=SpotMarketStatus.Active,
            cumulative_deposit_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
            cumulative_borrow_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
            initial_asset_weight=initial_asset_weight,
            maintenance_asset_weight=maintenance_asset_weight,
            initial_liability_weight=initial_liability_weight,
            maintenance_liability_weight=maintenance_liability_weight,
            imf_factor=imf_factor,
            optimal_utilization=optimal_utilization,
            optimal_borrow_rate=optimal_borrow_rate,
            max_borrow_rate=max_borrow_rate,
            min_borrow_rate=min_borrow_rate,
            liquidator_fee=liquidator_fee,
            if_liquidation_fee=if_liquidation_fee,
            withdraw_guard_threshold=withdraw_guard_threshold,
            max_token_deposits=max_token_deposits,
            asset_tier=asset_tier,
            insurance_fund=InsuranceFund(
                unstaking_period=unstaking_period,
                revenue_settle_period=revenue_settle_period,
                total_factor=total_if_factor,
                user_factor=div_floor(total_if_factor, 2) if user_if_factor is None else user_if_factor,
            ),
            last_interest_ts=self.now,
            last_twap_ts=self.now,
            historical_oracle_data=HistoricalOracleData(
                last_oracle_price=oracle_price,
                last_oracle_price_twap=oracle_price,
                last_oracle_price_twap_5min=oracle_price,
                last_oracle_price_twap_ts=self.now,
            ),
        )
        market.revenue_pool.market_index = market_index
        validate_spot_market(market)
        self.spot_markets[market_index] = market
        self._insurance_ledger[market_index] = dict.fromkeys(INSURANCE_FLOWS, 0)
        self.state.number_of_spot_markets += 1
        self.oracle_map.publish(
            MarketType.Spot,
            market_index,
            oracle_price,
            0,
            OracleSource.QuoteAsset if is_quote else OracleSource.Pyth,
        )
        return market

    def initialize_perp_market(
        self,
        market_index: int,
        amm_base_asset_reserve: int,
        amm_quote_asset_reserve: int,
        amm_periodicity: int,
        amm_peg_multiplier: int,
        oracle_price: int,
        margin_ratio_initial: int = 1000,
        margin_ratio_maintenance: int = 500,
        liquidator_fee: int = 0,
        if_liquidation_fee: int = 0,
        imf_factor: int = 0,
        base_spread: int = 0,
        max_spread: int = 0,
        max_open_interest: int = 0,
        max_revenue_withdraw_per_period: int = 0,
        quote_max_insurance: int = 0,
        order_step_size: int = 10_000_000,
        order_tick_size: int = 100,
        min_order_size: int = 10_000_000,
        concentration_coef_scale: int = 1,
        curve_update_intensity: int = 0,
        amm_jit_intensity: int = 0,
        contract_tier: ContractTier = ContractTier.HighlySpeculative,
        active_status: bool = True,
        lp_fee_slice: tuple[int, int] | None = None,
        oracle_confidence: int = 0,
        name: str = "",
    ) -> PerpMarket:
        """Create a perp market whose vAMM opens balanced at the peg (reserves equal).

        Validates the margin parameters as the reference's `validate_margin` does and publishes
        the opening oracle reading. `lp_fee_slice` (numerator, denominator) overrides the BAL
        providers' 8/10 fee slice (a Ballast option for comparing designs). Source: programs/drift/src/instructions/admin.rs::handle_initialize_perp_market
        """
        for arg_name, value in (
            ("market_index", market_index),
            ("amm_base_asset_reserve", amm_base_asset_reserve),
            ("amm_quote_asset_reserve", amm_quote_asset_reserve),
            ("amm_periodicity", amm_periodicity),
            ("amm_peg_multiplier", amm_peg_multiplier),
            ("oracle_price", oracle_price),
            ("order_step_size", order_step_size),
            ("order_tick_size", order_tick_size),
            ("min_order_size", min_order_size),
            ("concentration_coef_scale", concentration_coef_scale),
        ):
            check_int(arg_name, value, minimum=0)
        if market_index != self.state.number_of_markets:
            raise MarketIndexAlreadyInitialized(
                f"perp market_index {market_index} != number_of_markets {self.state.number_of_markets}"
            )
        if QUOTE_SPOT_MARKET_INDEX not in self.spot_markets:
            raise SpotMarketNotFound("initialize the quote spot market (0) before perp markets")
        if amm_base_asset_reserve != amm_quote_asset_reserve:
            raise InvalidInitialPeg(
                f"amm_base_asset_reserve {amm_base_asset_reserve} != amm_quote_asset_reserve {amm_quote_asset_reserve}"
            )
        if amm_base_asset_reserve == 0 or amm_peg_multiplier == 0 or order_step_size == 0:
            raise InvalidMarketParameter(
                "reserves, peg and order_step_size must be positive: "
                f"reserve={amm_base_asset_reserve} peg={amm_peg_multiplier} step={order_step_size}"
            )
        if not 0 <= curve_update_intensity <= 200:
            raise InvalidMarketParameter(f"curve_update_intensity {curve_update_intensity} not in 0..=200")
        if not 0 <= amm_jit_intensity <= 200:
            raise InvalidMarketParameter(f"amm_jit_intensity {amm_jit_intensity} not in 0..=200")
        init_reserve_price = calculate_price(
            amm_quote_asset_reserve, amm_base_asset_reserve, amm_peg_multiplier
        )
        _validate_margin(margin_ratio_initial, margin_ratio_maintenance, liquidator_fee, base_spread, max_spread)
        min_bar, max_bar = calculate_bid_ask_bounds(MAX_CONCENTRATION_COEFFICIENT, amm_base_asset_reserve)
        slice_numerator, slice_denominator = (0, 0) if lp_fee_slice is None else lp_fee_slice
        if lp_fee_slice is not None:
            _validate_lp_fee_slice(slice_numerator, slice_denominator)

        def action() -> PerpMarket:
            amm = AMM(
                base_asset_reserve=amm_base_asset_reserve,
                quote_asset_reserve=amm_quote_asset_reserve,
                terminal_quote_asset_reserve=amm_quote_asset_reserve,
                ask_base_asset_reserve=amm_base_asset_reserve,
                ask_quote_asset_reserve=amm_quote_asset_reserve,
                bid_base_asset_reserve=amm_base_asset_reserve,
                bid_quote_asset_reserve=amm_quote_asset_reserve,
                sqrt_k=amm_base_asset_reserve,
                peg_multiplier=amm_peg_multiplier,
                concentration_coef=MAX_CONCENTRATION_COEFFICIENT,
                min_base_asset_reserve=min_bar,
                max_base_asset_reserve=max_bar,
                last_funding_rate_ts=self.now,
                funding_period=amm_periodicity,
                last_mark_price_twap=init_reserve_price,
                last_mark_price_twap_5min=init_reserve_price,
                last_mark_price_twap_ts=self.now,
                last_bid_price_twap=init_reserve_price,
                last_ask_price_twap=init_reserve_price,
                historical_oracle_data=HistoricalOracleData(
                    last_oracle_price=oracle_price,
                    last_oracle_price_twap=oracle_price,
                    last_oracle_price_twap_5min=oracle_price,
                    last_oracle_price_twap_ts=self.now,
                ),
                last_oracle_normalised_price=oracle_price,
                order_step_size=order_step_size,
                order_tick_size=order_tick_size,
                min_order_size=min_order_size,
                max_slippage_ratio=50,
                max_fill_reserve_fraction=100,
                base_spread=base_spread,
                max_spread=max_spread,
                max_open_interest=max_open_interest,
                last_trade_ts=self.now,
                curve_update_intensity=curve_update_intensity,
                amm_jit_intensity=amm_jit_intensity,
                last_update_slot=self.slot,
                lp_fee_slice_numerator=slice_numerator,
                lp_fee_slice_denominator=slice_denominator,
            )
            market = PerpMarket(
                market_index=market_index,
                name=name,
                amm=amm,
                status=MarketStatus.Active if active_status else MarketStatus.Initialized,
                contract_tier=contract_tier,
                margin_ratio_initial=margin_ratio_initial,
                margin_ratio_maintenance=margin_ratio_maintenance,
                imf_factor=imf_factor,
                unrealized_pnl_initial_asset_weight=0,
                unrealized_pnl_maintenance_asset_weight=SPOT_WEIGHT_PRECISION,
                liquidator_fee=liquidator_fee,
                if_liquidation_fee=if_liquidation_fee,
                insurance_claim=InsuranceClaim(
                    max_revenue_withdraw_per_period=max_revenue_withdraw_per_period,
                    quote_max_insurance=quote_max_insurance,
                ),
                quote_spot_market_index=QUOTE_SPOT_MARKET_INDEX,
            )
            update_concentration_coef(market, concentration_coef_scale)
            self.perp_markets[market_index] = market
            self._order_holders[market_index] = {}
            self.state.number_of_markets += 1
            self.oracle_map.publish(MarketType.Perp, market_index, oracle_price, oracle_confidence)
            return market

        return self._atomic(
            (self.state, self.perp_markets, self.oracle_map, self._order_holders), action
        )

    def update_lp_cooldown_time(self, lp_cooldown_time: int) -> None:
        """Admin: seconds a provider must wait after adding (or a de-risk) before removing.

        Source: programs/drift/src/instructions/admin.rs::handle_update_lp_cooldown_time
        """
        self.state.lp_cooldown_time = check_int("lp_cooldown_time", lp_cooldown_time, minimum=0)

    def update_perp_market_lp_fee_slice(self, market_index: int, numerator: int, denominator: int) -> None:
        """Admin (Ballast option): the BAL providers' share of the fee attributable to their
        liquidity, numerator/denominator (the reference fixes it at 8/10)."""
        _validate_lp_fee_slice(numerator, denominator)
        amm = self.perp_market(market_index).amm
        amm.lp_fee_slice_numerator = numerator
        amm.lp_fee_slice_denominator = denominator

    def deposit_into_perp_market_fee_pool(self, market_index: int, amount: int) -> None:
        """Admin: pay `amount` quote tokens (1e6) from outside into a perp market's fee pool;
        the market's `total_fee_minus_distributions` (its budget for repegs and k changes)
        grows by as much.

        Source: programs/drift/src/instructions/admin.rs::handle_deposit_into_perp_market_fee_pool
        """
        check_int("amount", amount, minimum=1, maximum=U64_MAX)
        market = self.perp_market(market_index)
        quote = self.spot_market(market.quote_spot_market_index)

        def action() -> None:
            market.amm.total_fee_minus_distributions += amount
            update_spot_balances(amount, SpotBalanceType.Deposit, quote, market.amm.fee_pool, False)
            quote.vault_amount += amount

        self._atomic((market, quote), action)

    def update_perp_market_unrealized_asset_weight(
        self, market_index: int, unrealized_initial_asset_weight: int, unrealized_maintenance_asset_weight: int
    ) -> None:
        """Admin: the weights (1e4 = 100%) at which a position's unrealized profit counts as
        initial and maintenance collateral; initial <= maintenance <= 100%.

        Source: programs/drift/src/instructions/admin.rs::handle_update_perp_market_unrealized_asset_weight
        """
        check_int("unrealized_initial_asset_weight", unrealized_initial_asset_weight, minimum=0,
                  maximum=SPOT_WEIGHT_PRECISION)
        check_int("unrealized_maintenance_asset_weight", unrealized_maintenance_asset_weight, minimum=0,
                  maximum=SPOT_WEIGHT_PRECISION)
        if unrealized_initial_asset_weight > unrealized_maintenance_asset_weight:
            raise DefaultError(
                f"unrealized_initial_asset_weight {unrealized_initial_asset_weight} must not exceed "
                f"unrealized_maintenance_asset_weight {unrealized_maintenance_asset_weight}"
            )
        market = self.perp_market(market_index)
        market.unrealized_pnl_initial_asset_weight = unrealized_initial_asset_weight
        market.unrealized_pnl_maintenance_asset_weight = unrealized_maintenance_asset_weight

    def update_perp_market_per_lp_base(self, market_index: int, per_lp_base: int) -> None:
        """Admin: move the per-LP accumulators' decimal exponent by one (|per_lp_base| <= 9).

        Source: programs/drift/src/instructions/admin.rs::handle_update_perp_market_per_lp_base
        """
        check_int("per_lp_base", per_lp_base, minimum=-9, maximum=9)
        market = self.perp_market(market_index)
        expo_diff = per_lp_base - market.amm.per_lp_base
        if abs(expo_diff) != 1:
            raise InvalidMarketParameter(
                f"per_lp_base must move by exactly 1 from {market.amm.per_lp_base}, got {per_lp_base}"
            )
        self._atomic((market,), lambda: apply_lp_rebase_to_perp_market(market, expo_diff))

def _validate_margin(
    margin_ratio_initial: int,
    margin_ratio_maintenance: int,
    liquidator_fee: int,
    base_spread: int,
    max_spread: int,
) -> None:
    """Source: programs/drift/src/validation/margin.rs::validate_margin"""
    for name, value in (
        ("margin_ratio_initial", margin_ratio_initial),
        ("margin_ratio_maintenance", margin_ratio_maintenance),
        ("liquidator_fee", liquidator_fee),
        ("base_spread", base_spread),
        ("max_spread", max_spread),
    ):
        check_int(name, value, minimum=0)
    if not MIN_MARGIN_RATIO <= margin_ratio_maintenance < margin_ratio_initial <= MAX_MARGIN_RATIO:
        raise InvalidMarginRatio(
            f"need {MIN_MARGIN_RATIO} <= margin_ratio_maintenance ({margin_ratio_maintenance}) < "
            f"margin_ratio_initial ({margin_ratio_initial}) <= {MAX_MARGIN_RATIO}"
        )
    if margin_ratio_maintenance * 100 <= liquidator_fee:
        raise InvalidMarginRatio(
            f"margin_ratio_maintenance {margin_ratio_maintenance} x 100 must exceed liquidator_fee {liquidator_fee}"
        )
    if margin_ratio_initial * 100 <= max_spread:
        raise InvalidMarginRatio(
            f"margin_ratio_initial {margin_ratio_initial} x 100 must exceed max_spread {max_spread}"
        )
    if base_spread > 0 and not base_spread < max_spread:
        raise InvalidMarginRatio(f"base_spread {base_spread} must be below max_spread {max_spread}")


def _validate_lp_fee_slice(numerator: int, denominator: int) -> None:
    check_int("lp fee slice numerator", numerator, minimum=0)
    check_int("lp fee slice denominator", denominator, minimum=1)
    if numerator > denominator:
        raise InvalidMarketParameter(
            f"lp fee slice {numerator}/{denominator} must not exceed 1"
        )
