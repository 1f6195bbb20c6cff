"""The Drift exchange facade: one method per instruction, each atomic.

An `Exchange` holds every account (state, markets, users, user stats, oracle readings) and the
clock. Each instruction validates its inputs, runs the controllers, appends typed events to
`events`, and either applies completely or raises a `DriftError` leaving every account exactly as
it was. Time and prices are inputs (`update_clock`, `update_oracle_price`).

Amounts follow the reference: token amounts in the token's decimals (USDC 1e6), base 1e9,
prices 1e6, margin ratios 1e4, fees and spreads 1e6.

Source: programs/drift/src/instructions/{admin,user,keeper}.rs
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ballast.drift.atomic import restore, snapshot
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
from ballast.drift.controller.funding import (
    settle_funding_payment,
    settle_funding_payments,
    update_funding_rate,
)
from ballast.drift.controller.insurance import (
    attempt_settle_revenue_to_insurance_fund,
    handle_add_insurance_fund_stake,
    handle_cancel_request_remove_insurance_fund_stake,
    handle_remove_insurance_fund_stake,
    handle_request_remove_insurance_fund_stake,
    handle_settle_revenue_to_insurance_fund,
    initialize_insurance_fund_stake,
)
from ballast.drift.controller.liquidation import (
    liquidate_borrow_for_perp_pnl,
    liquidate_perp,
    liquidate_perp_pnl_for_deposit,
    liquidate_spot,
    resolve_perp_bankruptcy,
    resolve_perp_pnl_deficit,
    resolve_spot_bankruptcy,
)
from ballast.drift.controller.lp import (
    apply_lp_rebase_to_perp_market,
    burn_lp_shares,
    mint_lp_shares,
    settle_funding_payment_then_lp,
)
from ballast.drift.controller.orders import (
    FillMode,
    cancel_order_by_order_id,
    fill_perp_order,
    place_perp_order,
    remove_closed_orders,
)
from ballast.drift.controller.pnl import SettlePnlMode, settle_pnl
from ballast.drift.controller.position import force_get_perp_position
from ballast.drift.controller.repeg import _update_amm
from ballast.drift.controller.spot_balance import (
    update_spot_balances,
    update_spot_market_cumulative_interest,
)
from ballast.drift.controller.user import (
    exit_liquidation,
    try_exit_liquidation,
    update_last_active_slot,
    validate_user_not_being_liquidated,
)
from ballast.drift.errors import (
    CantTransferBetweenSameUserAccount,
    DailyWithdrawLimit,
    InsufficientCollateral,
    InsufficientDeposit,
    InsufficientLPTokens,
    InvalidAmount,
    InvalidInitialPeg,
    InvalidMarginRatio,
    InvalidMarketParameter,
    InvalidOrderIOC,
    InvalidUserSubAccountId,
    MarketIndexAlreadyInitialized,
    MarketStatusInvalidForNewLP,
    NewLPSizeTooSmall,
    OrderDoesNotExist,
    PerpMarketNotFound,
    SpotMarketInsufficientDeposits,
    SpotMarketNotFound,
    TryingToRemoveLiquidityTooFast,
    UserAlreadyExists,
    UserBankrupt,
    UserCantLiquidateThemself,
    UserHasNoPositionInMarket,
    UserNotFound,
)
from ballast.drift.events import (
    DepositDirection,
    DepositExplanation,
    DepositRecord,
    LPAction,
    LPRecord,
    NewUserRecord,
    SpotInterestRecord,
)
from ballast.drift.math.amm import calculate_bid_ask_bounds, calculate_price, reserve_price
from ballast.drift.math.insurance import (
    calculate_if_stake_value,
    calculate_if_unstake_available_ts,
)
from ballast.drift.math.margin import (
    calculate_margin_requirement_and_total_collateral_and_liability_info,
    calculate_user_equity,
    meets_place_order_margin_requirement,
    meets_withdraw_margin_requirement,
)
from ballast.drift.math.orders import standardize_base_asset_amount
from ballast.drift.math.spot_balance import get_token_amount
from ballast.drift.math.spot_withdraw import (
    check_withdraw_limits,
    validate_max_token_deposits_and_borrows,
)
from ballast.drift.state.insurance_fund_stake import InsuranceFundStake
from ballast.drift.state.margin_calculation import (
    MarginCalculation,
    MarginContext,
    MarginRequirementType,
)
from ballast.drift.state.oracle import OracleSource
from ballast.drift.state.oracle_map import OracleMap
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.perp_market import (
    AMM,
    ContractTier,
    HistoricalOracleData,
    InsuranceClaim,
    MarketStatus,
    PerpMarket,
    PerpOperation,
)
from ballast.drift.state.spot_market import (
    AssetTier,
    InsuranceFund,
    SpotBalanceType,
    SpotMarket,
    SpotMarketStatus,
)
from ballast.drift.state.state import State
from ballast.drift.state.user import (
    MarketType,
    OrderStatus,
    SpotPosition,
    User,
    UserStats,
    UserStatus,
)
from ballast.drift.validation.spot_market import validate_spot_market
from ballast.fixed import div_floor

_INSURANCE_FLOWS = ("staked", "unstaked", "revenue_settled", "paid_out")

__all__ = ["Exchange", "AuditReport", "SLOTS_PER_SECOND_NUMERATOR", "SLOTS_PER_SECOND_DENOMINATOR"]

# Solana produces a slot every ~400 ms: when a caller gives only a timestamp, slot = ts * 5 / 2.
SLOTS_PER_SECOND_NUMERATOR = 5
SLOTS_PER_SECOND_DENOMINATOR = 2

T = TypeVar("T")


def _check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidAmount(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise InvalidAmount(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise InvalidAmount(f"{name} must be <= {maximum}, got {value}")
    return value


@dataclass(slots=True, frozen=True)
class AuditReport:
    """Claims on each spot market's vault against the vault, and the perp aggregate identities.

    `claims[i]` lists every claim on spot market i's vault in tokens: user deposits less borrows,
    the perp pnl and fee pools, the revenue pool, the per-holder rounding dust (each holder's
    token amount is rounded on its own) and the rounding surplus the vault keeps beyond the
    market's total deposits. `vault_difference[i]` is the vault minus those claims. `mismatches`
    lists every aggregate (spot deposit/borrow balances, perp open interest, user quote) that
    differs from the sum over the accounts it aggregates, and dust outside its bounds.
    """

    vault_difference: dict[int, int]
    claims: dict[int, dict[str, int]]
    mismatches: tuple[str, ...] = ()

    @property
    def balanced(self) -> bool:
        """Every vault equals its claims, no rounding surplus is negative, perp sums agree."""
        return (
            not self.mismatches
            and all(d == 0 for d in self.vault_difference.values())
            and all(lines["rounding_surplus"] >= 0 for lines in self.claims.values())
        )


@dataclass
class Exchange:
    """Every Drift account and the clock; instructions are its methods."""

    state: State = field(default_factory=State)
    now: int = 0
    slot: int = 0
    perp_markets: dict[int, PerpMarket] = field(default_factory=dict)
    spot_markets: dict[int, SpotMarket] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    user_stats: dict[str, UserStats] = field(default_factory=dict)
    oracle_map: OracleMap = field(default_factory=OracleMap)
    events: list = field(default_factory=list)
    insurance_fund_stakes: dict[str, InsuranceFundStake] = field(default_factory=dict)
    # users with open orders per perp market: the maker candidates of a fill
    _order_holders: dict[int, dict[str, User]] = field(default_factory=dict, repr=False)
    # cumulative token flows through each insurance fund vault, for the audit
    _insurance_ledger: dict[int, dict[str, int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.oracle_map.oracle_guard_rails = self.state.oracle_guard_rails

    # --- plumbing ---------------------------------------------------------------------

    def _atomic(self, touched: Iterable[Any], action: Callable[[], T]) -> T:
        snapshots = [snapshot(obj) for obj in touched]
        events_before = len(self.events)
        try:
            return action()
        except BaseException:
            for snap in snapshots:
                restore(snap)
            del self.events[events_before:]
            raise

    def user(self, authority: str, sub_account_id: int = 0) -> User:
        """The subaccount, or UserNotFound naming it."""
        user = self.users.get(f"{authority}/{sub_account_id}")
        if user is None:
            raise UserNotFound(f"no user {authority!r} with sub_account_id {sub_account_id!r}")
        return user

    def stats(self, authority: str) -> UserStats:
        """The authority's statistics (created with its first subaccount)."""
        stats = self.user_stats.get(authority)
        if stats is None:
            raise UserNotFound(f"no user stats for authority {authority!r}")
        return stats

    def perp_market(self, market_index: int) -> PerpMarket:
        """The perp market, or PerpMarketNotFound naming the index."""
        market = self.perp_markets.get(market_index)
        if market is None:
            raise PerpMarketNotFound(f"no perp market {market_index!r}")
        return market

    def spot_market(self, market_index: int) -> SpotMarket:
        """The spot market, or SpotMarketNotFound naming the index."""
        market = self.spot_markets.get(market_index)
        if market is None:
            raise SpotMarketNotFound(f"no spot market {market_index!r}")
        return market

    def _track_orders(self, user: User) -> None:
        remove_closed_orders(user)
        markets = {order.market_index for order in user.orders if order.status is OrderStatus.Open}
        for market_index, holders in self._order_holders.items():
            if market_index in markets:
                holders[user.key] = user
            else:
                holders.pop(user.key, None)

    def _makers(self, market_index: int, taker: User) -> dict[str, tuple[User, UserStats]]:
        return {
            key: (maker, self.user_stats[maker.authority])
            for key, maker in self._order_holders.get(market_index, {}).items()
            if key != taker.key
        }

    # --- clock and oracles ------------------------------------------------------------

    def update_clock(self, now: int, slot: int | None = None) -> None:
        """Advance time to `now` (unix seconds); slot defaults to now x 5 / 2 (400 ms slots)."""
        _check_int("now", now, minimum=self.now)
        if slot is None:
            slot = max(self.slot, div_floor(now * SLOTS_PER_SECOND_NUMERATOR, SLOTS_PER_SECOND_DENOMINATOR))
        _check_int("slot", slot, minimum=self.slot)
        self.now = now
        self.slot = slot
        self.oracle_map.slot = slot

    def update_oracle_price(
        self,
        market_index: int,
        price: int,
        confidence: int = 0,
        market_type: MarketType = MarketType.Perp,
    ) -> None:
        """Publish an oracle reading (price and confidence 1e6) in the current slot."""
        _check_int("price", price)
        _check_int("confidence", confidence, minimum=0)
        if market_type is MarketType.Perp:
            self.perp_market(market_index)
        else:
            self.spot_market(market_index)
        self.oracle_map.publish(market_type, market_index, price, confidence)

    # --- admin ------------------------------------------------------------------------

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
        _check_int("market_index", market_index, minimum=0)
        if market_index != self.state.number_of_spot_markets:
            raise MarketIndexAlreadyInitialized(
                f"spot market_index {market_index} != number_of_spot_markets {self.state.number_of_spot_markets}"
            )
        _check_int("decimals", decimals, minimum=0, maximum=19)
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
        self._insurance_ledger[market_index] = dict.fromkeys(_INSURANCE_FLOWS, 0)
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
            _check_int(arg_name, value, minimum=0)
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

    # --- users and collateral ---------------------------------------------------------

    def initialize_user(self, authority: str, sub_account_id: int = 0, name: str = "") -> User:
        """Create subaccount `sub_account_id` of `authority` (ids are given out in order).

        Source: programs/drift/src/instructions/user.rs::handle_initialize_user
        """
        if not isinstance(authority, str) or not authority or "/" in authority:
            raise InvalidAmount(f"authority must be a non-empty string without '/', got {authority!r}")
        _check_int("sub_account_id", sub_account_id, minimum=0)
        key = f"{authority}/{sub_account_id}"
        if key in self.users:
            raise UserAlreadyExists(f"user {key} already exists")
        stats = self.user_stats.get(authority)
        created = stats.number_of_sub_accounts_created if stats is not None else 0
        if sub_account_id != created:
            raise InvalidUserSubAccountId(
                f"sub_account_id {sub_account_id} must be the next id {created} for authority {authority!r}"
            )
        if stats is None:
            stats = UserStats(authority=authority)
            self.user_stats[authority] = stats
        stats.number_of_sub_accounts += 1
        stats.number_of_sub_accounts_created += 1
        user = User(authority=authority, sub_account_id=sub_account_id, name=name, last_active_slot=self.slot)
        self.users[key] = user
        self.state.number_of_sub_accounts += 1
        if created == 0:
            self.state.number_of_authorities += 1
        self.events.append(NewUserRecord(ts=self.now, user=key, sub_account_id=sub_account_id))
        return user

    def _spot_position(self, user: User, market_index: int) -> SpotPosition:
        position = user.get_spot_position(market_index)
        if position is None:
            position = SpotPosition(market_index=market_index)
            user.spot_positions.append(position)
        return position

    def deposit(self, authority: str, sub_account_id: int, market_index: int, amount: int) -> None:
        """Deposit `amount` tokens (the market's decimals) into a subaccount.

        Source: programs/drift/src/instructions/user.rs::handle_deposit
        """
        _check_int("amount", amount, minimum=1)
        user = self.user(authority, sub_account_id)
        spot_market = self.spot_market(market_index)

        def action() -> None:
            if user.is_bankrupt():
                raise UserBankrupt(f"user {user.key} is bankrupt")
            self._accrue_interest(spot_market)
            position = self._spot_position(user, market_index)
            update_spot_balances(amount, SpotBalanceType.Deposit, spot_market, position, False)
            position.cumulative_deposits += amount
            user.total_deposits += amount
            spot_market.vault_amount += amount
            validate_max_token_deposits_and_borrows(spot_market)
            try_exit_liquidation(
                user, self.perp_markets, self.spot_markets, self.oracle_map,
                self.state.liquidation_margin_buffer_ratio,
            )
            update_last_active_slot(user, self.slot)
            self.events.append(
                DepositRecord(
                    ts=self.now,
                    user=user.key,
                    direction=DepositDirection.Deposit,
                    amount=amount,
                    market_index=market_index,
                    oracle_price=self.oracle_map.get_spot(market_index).price,
                )
            )

        self._atomic((user, spot_market), action)

    def _accrue_interest(self, spot_market: SpotMarket) -> None:
        update_spot_market_cumulative_interest(
            spot_market, self.oracle_map.get_spot(spot_market.market_index), self.now
        )

    def _withdraw_from(
        self, user: User, spot_market: SpotMarket, amount: int, allow_borrow: bool
    ) -> None:
        """Debit `amount` tokens from the user's balance (beyond the deposit it becomes a
        borrow when `allow_borrow`), check the market's withdraw limits and the user's initial
        margin. Source: programs/drift/src/instructions/user.rs::handle_withdraw"""
        position = self._spot_position(user, spot_market.market_index)
        if not allow_borrow:
            available = 0
            if position.balance_type is SpotBalanceType.Deposit:
                available = get_token_amount(position.scaled_balance, spot_market, SpotBalanceType.Deposit)
            if amount > available:
                raise InsufficientDeposit(
                    f"user {user.key} moves {amount} of spot market {spot_market.market_index} "
                    f"but holds {available}"
                )
        try:
            update_spot_balances(amount, SpotBalanceType.Borrow, spot_market, position, True)
        except SpotMarketInsufficientDeposits as error:
            raise SpotMarketInsufficientDeposits(f"withdrawal of {amount}: {error}") from None
        position.cumulative_deposits -= amount
        if not check_withdraw_limits(spot_market, user, amount):
            raise DailyWithdrawLimit(
                f"withdrawal of {amount} from spot market {spot_market.market_index} breaches "
                "its daily withdraw limits"
            )
        validate_max_token_deposits_and_borrows(spot_market)
        try:
            meets_withdraw_margin_requirement(
                user, self.perp_markets, self.spot_markets, self.oracle_map,
                MarginRequirementType.Initial,
            )
        except InsufficientCollateral as error:
            raise InsufficientCollateral(f"withdrawal of {amount}: {error}") from None
        if user.is_being_liquidated():
            exit_liquidation(user)
        update_last_active_slot(user, self.slot)

    def withdraw(
        self,
        authority: str,
        sub_account_id: int,
        market_index: int,
        amount: int,
        reduce_only: bool = False,
    ) -> int:
        """Withdraw tokens; beyond the deposit this borrows, as long as the subaccount keeps its
        initial margin (free collateral checked) and the market's withdraw limits hold.
        `reduce_only` caps the amount at the deposit. Returns the amount withdrawn.

        Source: programs/drift/src/instructions/user.rs::handle_withdraw
        """
        _check_int("amount", amount, minimum=1)
        user = self.user(authority, sub_account_id)
        spot_market = self.spot_market(market_index)

        def action() -> int:
            nonlocal amount
            self.events.extend(settle_funding_payments(user, self.perp_markets, self.now))
            self._accrue_interest(spot_market)
            if reduce_only:
                amount = min(amount, max(self.token_amount(authority, sub_account_id, market_index), 0))
                if amount == 0:
                    return 0
            self._withdraw_from(user, spot_market, amount, allow_borrow=True)
            user.total_withdraws += amount
            spot_market.vault_amount -= amount
            self.events.append(
                DepositRecord(
                    ts=self.now,
                    user=user.key,
                    direction=DepositDirection.Withdraw,
                    amount=amount,
                    market_index=market_index,
                    oracle_price=self.oracle_map.get_spot(market_index).price,
                )
            )
            return amount

        return self._atomic((user, spot_market, self.perp_markets), action)

    def transfer_deposit(
        self,
        authority: str,
        from_sub_account_id: int,
        to_sub_account_id: int,
        market_index: int,
        amount: int,
    ) -> None:
        """Move deposits between two subaccounts of one authority; the sender keeps initial margin.

        Source: programs/drift/src/instructions/user.rs::handle_transfer_deposit
        """
        _check_int("amount", amount, minimum=1)
        if from_sub_account_id == to_sub_account_id:
            raise CantTransferBetweenSameUserAccount(
                f"from and to sub_account_id are both {from_sub_account_id}"
            )
        sender = self.user(authority, from_sub_account_id)
        receiver = self.user(authority, to_sub_account_id)
        spot_market = self.spot_market(market_index)

        def action() -> None:
            self.events.extend(settle_funding_payments(sender, self.perp_markets, self.now))
            self._accrue_interest(spot_market)
            self._withdraw_from(sender, spot_market, amount, allow_borrow=False)
            position = self._spot_position(receiver, market_index)
            update_spot_balances(amount, SpotBalanceType.Deposit, spot_market, position, False)
            position.cumulative_deposits += amount
            price = self.oracle_map.get_spot(market_index).price
            for user, direction, other in (
                (sender, DepositDirection.Withdraw, receiver),
                (receiver, DepositDirection.Deposit, sender),
            ):
                self.events.append(
                    DepositRecord(
                        ts=self.now,
                        user=user.key,
                        direction=direction,
                        amount=amount,
                        market_index=market_index,
                        oracle_price=price,
                        explanation=DepositExplanation.Transfer,
                        transfer_user=other.key,
                    )
                )

        self._atomic((sender, receiver, spot_market, self.perp_markets), action)

    def update_user_custom_margin_ratio(
        self, authority: str, sub_account_id: int, margin_ratio: int
    ) -> None:
        """Set the subaccount's own initial margin floor (1e4; 2000 = 5x max leverage, 0 = none).

        Source: programs/drift/src/instructions/user.rs::handle_update_user_custom_margin_ratio
        """
        _check_int("margin_ratio", margin_ratio, minimum=0, maximum=MAX_MARGIN_RATIO)
        user = self.user(authority, sub_account_id)
        user.max_margin_ratio = margin_ratio

    # --- orders -----------------------------------------------------------------------

    def _validate_order_params(self, params: OrderParams) -> PerpMarket:
        if not isinstance(params, OrderParams):
            raise InvalidAmount(f"params must be OrderParams, got {type(params).__name__}")
        _check_int("base_asset_amount", params.base_asset_amount, minimum=1)
        _check_int("price", params.price, minimum=0)
        return self.perp_market(params.market_index)

    def place_perp_order(self, authority: str, sub_account_id: int, params: OrderParams) -> int | None:
        """Place an order; return its id (None if it was skipped, e.g. TryPostOnly crossing).

        Source: programs/drift/src/instructions/user.rs::handle_place_perp_order
        """
        market = self._validate_order_params(params)
        if params.immediate_or_cancel:
            raise InvalidOrderIOC(
                f"immediate_or_cancel order for market {params.market_index}: "
                "use place_and_take_perp_order"
            )
        user = self.user(authority, sub_account_id)

        def action() -> int | None:
            self._settle_lp_before_trading(user, market)
            order = place_perp_order(
                self.state, user, self.perp_markets, self.spot_markets, self.oracle_map,
                self.now, self.slot, params, self.events,
            )
            self._track_orders(user)
            return None if order is None else order.order_id

        return self._atomic((user, self.stats(authority), market, self._order_holders), action)

    def cancel_order(self, authority: str, sub_account_id: int, order_id: int) -> None:
        """Cancel one open order. Source: programs/drift/src/instructions/user.rs::handle_cancel_order"""
        _check_int("order_id", order_id, minimum=1)
        user = self.user(authority, sub_account_id)

        def action() -> None:
            cancel_order_by_order_id(
                order_id, user, self.perp_markets, self.oracle_map, self.now, self.slot, self.events
            )
            self._track_orders(user)

        self._atomic((user, self._order_holders), action)

    def update_amm(self, market_index: int) -> int:
        """Keeper: refresh the AMM's oracle TWAP, spreads (and curve, if enabled); return the cost.

        Source: programs/drift/src/controller/repeg.rs::update_amm
        """
        market = self.perp_market(market_index)
        return self._atomic((market,), lambda: self._update_amm(market))

    def _update_amm(self, market: PerpMarket) -> int:
        if market.status is MarketStatus.Settlement or market.status is MarketStatus.Delisted:
            return 0
        return _update_amm(
            market, self.oracle_map.get_perp(market.market_index), self.state, self.now, self.slot
        )

    def _fill_touched(self, user: User, market: PerpMarket, extra: Iterable[Any] = ()) -> list:
        # `_order_holders` changes only in `_track_orders`, the last step of an instruction
        touched: list[Any] = [user, self.user_stats[user.authority], market, *extra]
        for maker, maker_stats in self._makers(market.market_index, user).values():
            touched.append(maker)
            touched.append(maker_stats)
        return touched

    def fill_perp_order(
        self,
        filler_authority: str,
        filler_sub_account_id: int,
        authority: str,
        sub_account_id: int,
        order_id: int,
    ) -> tuple[int, int]:
        """Keeper: fill a user's order against makers and the AMM; return (base, quote) filled.

        Source: programs/drift/src/instructions/keeper.rs::handle_fill_perp_order
        """
        _check_int("order_id", order_id, minimum=1)
        user = self.user(authority, sub_account_id)
        filler = self.user(filler_authority, filler_sub_account_id)
        order = user.get_order(order_id)
        if order is None:
            raise OrderDoesNotExist(f"user {user.key} has no open order {order_id}")
        market = self.perp_market(order.market_index)
        filler_is_user = filler is user

        def action() -> tuple[int, int]:
            self._update_amm(market)
            makers = self._makers(market.market_index, user)
            result = fill_perp_order(
                order_id, self.state, user, self.user_stats[user.authority], self.spot_markets,
                self.perp_markets, self.oracle_map,
                None if filler_is_user else filler,
                None if filler_is_user else self.user_stats[filler.authority],
                makers, self.now, self.slot, self.events, FillMode.Fill,
            )
            self._track_orders(user)
            for maker, _ in makers.values():
                self._track_orders(maker)
            return result

        extra = () if filler_is_user else (filler, self.user_stats[filler.authority])
        return self._atomic(self._fill_touched(user, market, extra), action)

    def place_and_take_perp_order(
        self, authority: str, sub_account_id: int, params: OrderParams
    ) -> tuple[int, int]:
        """Place an order and fill it at once against makers and the AMM (IOC cancels the rest).

        Returns (base, quote) filled. Source: programs/drift/src/instructions/user.rs::handle_place_and_take_perp_order
        """
        market = self._validate_order_params(params)
        user = self.user(authority, sub_account_id)
        stats = self.stats(authority)

        def action() -> tuple[int, int]:
            self._update_amm(market)
            self._settle_lp_before_trading(user, market)
            order = place_perp_order(
                self.state, user, self.perp_markets, self.spot_markets, self.oracle_map,
                self.now, self.slot, params, self.events,
            )
            if order is None:
                return 0, 0
            makers = self._makers(market.market_index, user)
            result = fill_perp_order(
                order.order_id, self.state, user, stats, self.spot_markets, self.perp_markets,
                self.oracle_map, None, None, makers, self.now, self.slot, self.events,
                FillMode.PlaceAndTake,
            )
            if params.immediate_or_cancel and order.status is OrderStatus.Open:
                cancel_order_by_order_id(
                    order.order_id, user, self.perp_markets, self.oracle_map, self.now, self.slot,
                    self.events,
                )
            self._track_orders(user)
            for maker, _ in makers.values():
                self._track_orders(maker)
            return result

        return self._atomic(self._fill_touched(user, market), action)

    def _settle_lp_before_trading(self, user: User, market: PerpMarket) -> None:
        position = user.get_perp_position(market.market_index)
        if position is not None and position.lp_shares > 0:
            self.events.extend(settle_funding_payment_then_lp(user, market, self.now))

    # --- Backstop AMM Liquidity (BAL) -------------------------------------------------

    def add_perp_lp_shares(
        self, authority: str, sub_account_id: int, market_index: int, n_shares: int
    ) -> int:
        """Provide liquidity: mint `n_shares` (1e9 = one share; floored to the step) in a market,
        raising its sqrt_k by exactly that; the subaccount must then meet initial margin (strict)
        counting the shares' open bids/asks. Returns the shares minted.

        At the pinned commit the reference refuses new shares outside its test build; Ballast
        lets users add them, as the BAL pages describe.
        Source: programs/drift/src/instructions/user.rs::handle_add_perp_lp_shares
        """
        _check_int("n_shares", n_shares, minimum=1)
        user = self.user(authority, sub_account_id)
        market = self.perp_market(market_index)

        def action() -> int:
            if user.is_bankrupt():
                raise UserBankrupt(f"user {user.key} is bankrupt")
            validate_user_not_being_liquidated(
                user, self.perp_markets, self.spot_markets, self.oracle_map,
                self.state.liquidation_margin_buffer_ratio,
            )
            if market.status is not MarketStatus.Active or market.is_operation_paused(
                PerpOperation.AmmFill
            ):
                raise MarketStatusInvalidForNewLP(
                    f"perp market {market_index} is {market.status.name}: new LP shares need an "
                    "Active market with AMM fills"
                )
            step = market.amm.order_step_size
            if n_shares < step:
                raise NewLPSizeTooSmall(f"n_shares {n_shares} is below order_step_size {step}")
            record = settle_funding_payment(user, market, self.now)
            if record is not None:
                self.events.append(record)
            minted = standardize_base_asset_amount(n_shares, step)
            mint_lp_shares(force_get_perp_position(user, market_index), market, minted)
            user.last_add_perp_lp_shares_ts = self.now
            meets_place_order_margin_requirement(
                user, self.perp_markets, self.spot_markets, self.oracle_map, True
            )
            self.events.append(
                LPRecord(self.now, user.key, LPAction.AddLiquidity, n_shares, market_index, 0, 0, 0)
            )
            return minted

        return self._atomic((user, market), action)

    def remove_perp_lp_shares(
        self,
        authority: str,
        sub_account_id: int,
        market_index: int,
        n_shares: int | None = None,
    ) -> int:
        """Remove liquidity: burn `n_shares` (all when None; otherwise floored to the step unless
        it is the whole balance) after settling; the residual below the step passes to the AMM
        for a fee of floor(|residual| x oracle / 1e9) + 1. Refused inside the LP cooldown.
        Returns the shares burned (0 when flooring left nothing).

        Source: programs/drift/src/controller/lp.rs::remove_perp_lp_shares
        """
        user = self.user(authority, sub_account_id)
        market = self.perp_market(market_index)
        return self._atomic((user, market), lambda: self._remove_lp_shares(user, market, n_shares))

    def remove_perp_lp_shares_in_expiring_market(
        self, authority: str, sub_account_id: int, market_index: int, n_shares: int | None = None
    ) -> int:
        """Anyone may remove a user's shares once the market is reduce-only (expiring).

        Source: programs/drift/src/instructions/keeper.rs::handle_remove_perp_lp_shares_in_expiring_market
        """
        user = self.user(authority, sub_account_id)
        market = self.perp_market(market_index)
        if market.status is not MarketStatus.ReduceOnly:
            raise MarketStatusInvalidForNewLP(
                f"perp market {market_index} is {market.status.name}, not ReduceOnly (expiring)"
            )
        return self._atomic((user, market), lambda: self._remove_lp_shares(user, market, n_shares))

    def _remove_lp_shares(self, user: User, market: PerpMarket, n_shares: int | None) -> int:
        position = user.get_perp_position(market.market_index)
        if position is None:
            raise UserHasNoPositionInMarket(
                f"user {user.key} has no position in perp market {market.market_index}"
            )
        if n_shares is None:
            n_shares = position.lp_shares
        _check_int("n_shares", n_shares, minimum=0)
        to_burn = (
            n_shares
            if n_shares == position.lp_shares
            else standardize_base_asset_amount(n_shares, market.amm.order_step_size)
        )
        if to_burn == 0:
            return 0
        waited = self.now - user.last_add_perp_lp_shares_ts
        if waited < self.state.lp_cooldown_time:
            raise TryingToRemoveLiquidityTooFast(
                f"user {user.key} added liquidity {waited}s ago; lp_cooldown_time is "
                f"{self.state.lp_cooldown_time}s"
            )
        record = settle_funding_payment(user, market, self.now)
        if record is not None:
            self.events.append(record)
        if position.lp_shares < to_burn:
            raise InsufficientLPTokens(
                f"user {user.key} holds {position.lp_shares} lp shares, cannot remove {to_burn}"
            )
        oracle_price = self.oracle_map.get_perp(market.market_index).price
        delta, pnl = burn_lp_shares(position, market, to_burn, oracle_price)
        self.events.append(
            LPRecord(
                self.now, user.key, LPAction.RemoveLiquidity, to_burn, market.market_index,
                delta.base_asset_amount, delta.quote_asset_amount, pnl,
            )
        )
        return to_burn

    def settle_lp(self, authority: str, sub_account_id: int, market_index: int) -> None:
        """Keeper: move a provider's accrued share of the AMM position into its perp position
        (funding settled first). Source: programs/drift/src/instructions/keeper.rs::handle_settle_lp
        """
        user = self.user(authority, sub_account_id)
        market = self.perp_market(market_index)

        def action() -> None:
            if market.status is MarketStatus.AmmPaused or market.is_operation_paused(
                PerpOperation.AmmFill
            ):
                raise MarketStatusInvalidForNewLP(f"AMM of perp market {market_index} is paused")
            self.events.extend(settle_funding_payment_then_lp(user, market, self.now))

        self._atomic((user, market), action)

    def update_user_advanced_lp(self, authority: str, sub_account_id: int, advanced_lp: bool) -> None:
        """Opt a subaccount out of (True) or back into (False) automatic BAL de-risking.

        Source: programs/drift/src/instructions/user.rs::handle_update_user_advanced_lp
        """
        if not isinstance(advanced_lp, bool):
            raise InvalidAmount(f"advanced_lp must be a bool, got {advanced_lp!r}")
        user = self.user(authority, sub_account_id)
        if advanced_lp:
            user.status |= UserStatus.AdvancedLp
        else:
            user.status &= ~UserStatus.AdvancedLp

    def update_lp_cooldown_time(self, lp_cooldown_time: int) -> None:
        """Admin: seconds a provider must wait after adding (or a de-risk) before removing.

        Source: programs/drift/src/instructions/admin.rs::handle_update_lp_cooldown_time
        """
        self.state.lp_cooldown_time = _check_int("lp_cooldown_time", lp_cooldown_time, minimum=0)

    def update_perp_market_lp_fee_slice(self, market_index: int, numerator: int, denominator: int) -> None:
        """Admin (Ballast option): the BAL providers' share of the fee attributable to their
        liquidity, numerator/denominator (the reference fixes it at 8/10)."""
        _validate_lp_fee_slice(numerator, denominator)
        amm = self.perp_market(market_index).amm
        amm.lp_fee_slice_numerator = numerator
        amm.lp_fee_slice_denominator = denominator

    def update_perp_market_per_lp_base(self, market_index: int, per_lp_base: int) -> None:
        """Admin: move the per-LP accumulators' decimal exponent by one (|per_lp_base| <= 9).

        Source: programs/drift/src/instructions/admin.rs::handle_update_perp_market_per_lp_base
        """
        _check_int("per_lp_base", per_lp_base, minimum=-9, maximum=9)
        market = self.perp_market(market_index)
        expo_diff = per_lp_base - market.amm.per_lp_base
        if abs(expo_diff) != 1:
            raise InvalidMarketParameter(
                f"per_lp_base must move by exactly 1 from {market.amm.per_lp_base}, got {per_lp_base}"
            )
        self._atomic((market,), lambda: apply_lp_rebase_to_perp_market(market, expo_diff))

    # --- keepers: funding, pnl, liquidation -------------------------------------------

    def update_funding_rate(self, market_index: int) -> bool:
        """Keeper: update the funding rate when due; return whether it was updated.

        Source: programs/drift/src/instructions/keeper.rs::handle_update_funding_rate
        """
        market = self.perp_market(market_index)

        def action() -> bool:
            self._update_amm(market)
            paused = market.status is MarketStatus.FundingPaused or market.is_operation_paused(
                PerpOperation.UpdateFunding
            )
            record = update_funding_rate(
                market_index, market, self.oracle_map.get_perp(market_index), self.now, self.slot,
                self.state.oracle_guard_rails, paused, reserve_price(market.amm),
            )
            if record is None:
                return False
            self.events.append(record)
            return True

        return self._atomic((market,), action)

    def settle_funding_payment(self, authority: str, sub_account_id: int) -> None:
        """Settle the subaccount's funding in every market.

        Source: programs/drift/src/instructions/user.rs::handle_settle_funding_payment
        """
        user = self.user(authority, sub_account_id)

        def action() -> None:
            self.events.extend(settle_funding_payments(user, self.perp_markets, self.now))

        self._atomic((user, self.perp_markets), action)

    def settle_pnl(
        self,
        authority: str,
        sub_account_id: int,
        market_index: int,
        mode: SettlePnlMode = SettlePnlMode.MustSettle,
    ) -> None:
        """Keeper: settle a position's pnl with the market's pnl pool (TrySettle: no error when
        nothing can be settled).

        Source: programs/drift/src/instructions/keeper.rs::handle_settle_pnl
        """
        user = self.user(authority, sub_account_id)
        market = self.perp_market(market_index)
        quote_market = self.spot_market(QUOTE_SPOT_MARKET_INDEX)

        def action() -> None:
            settle_pnl(
                market_index, user, self.perp_markets, self.spot_markets, self.oracle_map,
                self.state, self.now, self.slot, self.events, mode=mode,
            )

        self._atomic((user, market, quote_market, self.perp_markets), action)

    def liquidate_perp(
        self,
        liquidator_authority: str,
        liquidator_sub_account_id: int,
        authority: str,
        sub_account_id: int,
        market_index: int,
        liquidator_max_base_asset_amount: int,
        limit_price: int | None = None,
    ) -> None:
        """Keeper: take over part of an under-margined user's position at the oracle price.

        Source: programs/drift/src/instructions/keeper.rs::handle_liquidate_perp
        """
        _check_int("liquidator_max_base_asset_amount", liquidator_max_base_asset_amount, minimum=1)
        if limit_price is not None:
            _check_int("limit_price", limit_price, minimum=1)
        user = self.user(authority, sub_account_id)
        liquidator = self.user(liquidator_authority, liquidator_sub_account_id)
        if user is liquidator:
            raise UserCantLiquidateThemself(f"user {user.key} cannot liquidate itself")
        market = self.perp_market(market_index)

        def action() -> None:
            liquidate_perp(
                market_index, liquidator_max_base_asset_amount, limit_price, user,
                self.user_stats[user.authority], liquidator,
                self.user_stats[liquidator.authority], self.perp_markets, self.spot_markets,
                self.oracle_map, self.slot, self.now, self.state, self.events,
            )
            self._track_orders(user)

        touched = (
            user, liquidator, self.user_stats[user.authority],
            self.user_stats[liquidator.authority], market, self.perp_markets, self._order_holders,
        )
        self._atomic(touched, action)

    # --- spot lending, insurance fund, full liquidations, bankruptcy -------------------

    def update_spot_market_cumulative_interest(self, market_index: int) -> None:
        """Keeper: accrue a spot market's borrow/deposit interest (the insurance-fund cut goes to
        its revenue pool) and refresh its TWAPs.

        Source: programs/drift/src/instructions/keeper.rs::handle_update_spot_market_cumulative_interest
        """
        spot_market = self.spot_market(market_index)

        def action() -> None:
            self._accrue_interest(spot_market)
            self.events.append(
                SpotInterestRecord(
                    ts=self.now,
                    market_index=market_index,
                    deposit_balance=spot_market.deposit_balance,
                    cumulative_deposit_interest=spot_market.cumulative_deposit_interest,
                    borrow_balance=spot_market.borrow_balance,
                    cumulative_borrow_interest=spot_market.cumulative_borrow_interest,
                    optimal_utilization=spot_market.optimal_utilization,
                    optimal_borrow_rate=spot_market.optimal_borrow_rate,
                    max_borrow_rate=spot_market.max_borrow_rate,
                )
            )

        self._atomic((spot_market,), action)

    def _insurance_flow(self, market_index: int, flow: str, amount: int) -> None:
        self._insurance_ledger[market_index][flow] += amount

    def _move_to_insurance_fund(self, spot_market: SpotMarket, amount: int) -> None:
        spot_market.vault_amount -= amount
        spot_market.insurance_fund.vault_amount += amount
        self._insurance_flow(spot_market.market_index, "revenue_settled", amount)

    def settle_revenue_to_insurance_fund(self, spot_market_index: int) -> int:
        """Keeper: move the revenue pool's allowed slice into the insurance fund, on the hour
        (at most a tenth of the pool and, with stakers, a 1000% APR on the fund). Returns it.

        Source: programs/drift/src/instructions/keeper.rs::handle_settle_revenue_to_insurance_fund
        """
        spot_market = self.spot_market(spot_market_index)

        def action() -> int:
            amount = handle_settle_revenue_to_insurance_fund(
                spot_market_index, spot_market.vault_amount,
                spot_market.insurance_fund.vault_amount, spot_market, self.now, self.events,
            )
            self._move_to_insurance_fund(spot_market, amount)
            return amount

        return self._atomic((spot_market, self._insurance_ledger), action)

    def _attempt_settle_revenue(self, spot_market: SpotMarket) -> None:
        amount = attempt_settle_revenue_to_insurance_fund(
            spot_market.vault_amount, spot_market.insurance_fund.vault_amount, spot_market,
            self.now, self.events,
        )
        if amount > 0:
            self._move_to_insurance_fund(spot_market, amount)

    def _stake(self, authority: str, market_index: int) -> InsuranceFundStake:
        stake = self.insurance_fund_stakes.get(f"{authority}/{market_index}")
        if stake is None:
            raise UserNotFound(f"{authority!r} has no insurance fund stake in market {market_index}")
        return stake

    def initialize_insurance_fund_stake(self, authority: str, market_index: int) -> None:
        """Open an insurance-fund stake account for `authority` in a spot market.

        Source: programs/drift/src/instructions/if_staker.rs::handle_initialize_insurance_fund_stake
        """
        self.spot_market(market_index)
        self.stats(authority)
        key = f"{authority}/{market_index}"
        if key in self.insurance_fund_stakes:
            raise UserAlreadyExists(f"insurance fund stake {key} already exists")
        self.insurance_fund_stakes[key] = initialize_insurance_fund_stake(authority, market_index, self.now)

    def add_insurance_fund_stake(self, authority: str, market_index: int, amount: int) -> None:
        """Stake `amount` tokens (brought from outside Drift) into the market's insurance fund,
        after settling any due revenue into it.

        Source: programs/drift/src/instructions/if_staker.rs::handle_add_insurance_fund_stake
        """
        _check_int("amount", amount, minimum=1)
        spot_market = self.spot_market(market_index)
        stake = self._stake(authority, market_index)
        stats = self.stats(authority)

        def action() -> None:
            settled = handle_add_insurance_fund_stake(
                amount, spot_market.vault_amount, spot_market.insurance_fund.vault_amount, stake,
                stats, spot_market, self.now, self.events,
            )
            if settled > 0:
                self._move_to_insurance_fund(spot_market, settled)
            spot_market.insurance_fund.vault_amount += amount
            self._insurance_flow(market_index, "staked", amount)

        self._atomic((spot_market, stake, stats, self._insurance_ledger), action)

    def request_remove_insurance_fund_stake(
        self, authority: str, market_index: int, amount: int
    ) -> None:
        """Ask to unstake `amount` tokens' worth of shares; the cooldown starts now.

        Source: programs/drift/src/instructions/if_staker.rs::handle_request_remove_insurance_fund_stake
        """
        _check_int("amount", amount, minimum=1)
        spot_market = self.spot_market(market_index)
        stake = self._stake(authority, market_index)
        stats = self.stats(authority)
        self._atomic(
            (spot_market, stake, stats),
            lambda: handle_request_remove_insurance_fund_stake(
                amount, spot_market.insurance_fund.vault_amount, stake, stats, spot_market,
                self.now, self.events,
            ),
        )

    def cancel_request_remove_insurance_fund_stake(self, authority: str, market_index: int) -> None:
        """Withdraw an unstake request, forfeiting gains accrued since it; the cooldown restarts.

        Source: programs/drift/src/instructions/if_staker.rs::handle_cancel_request_remove_insurance_fund_stake
        """
        spot_market = self.spot_market(market_index)
        stake = self._stake(authority, market_index)
        stats = self.stats(authority)
        self._atomic(
            (spot_market, stake, stats),
            lambda: handle_cancel_request_remove_insurance_fund_stake(
                spot_market.insurance_fund.vault_amount, stake, stats, spot_market, self.now,
                self.events,
            ),
        )

    def remove_insurance_fund_stake(self, authority: str, market_index: int) -> int:
        """Complete an unstake after `unstaking_period`: pays the lower of the value at request
        and now (tokens leave Drift). Returns the amount paid.

        Source: programs/drift/src/instructions/if_staker.rs::handle_remove_insurance_fund_stake
        """
        spot_market = self.spot_market(market_index)
        stake = self._stake(authority, market_index)
        stats = self.stats(authority)

        def action() -> int:
            self._accrue_interest(spot_market)
            paid = handle_remove_insurance_fund_stake(
                spot_market.insurance_fund.vault_amount, stake, stats, spot_market, self.now,
                self.events,
            )
            spot_market.insurance_fund.vault_amount -= paid
            self._insurance_flow(market_index, "unstaked", paid)
            return paid

        return self._atomic((spot_market, stake, stats, self._insurance_ledger), action)

    def _liquidation_accounts(
        self, liquidator_authority: str, liquidator_sub_account_id: int, authority: str, sub_account_id: int
    ) -> tuple[User, User]:
        user = self.user(authority, sub_account_id)
        liquidator = self.user(liquidator_authority, liquidator_sub_account_id)
        if user is liquidator:
            raise UserCantLiquidateThemself(f"user {user.key} cannot liquidate itself")
        return user, liquidator

    def _run_liquidation(self, user: User, liquidator: User, controller: Callable[[], T]) -> T:
        def action() -> T:
            for spot_market in self.spot_markets.values():
                self._accrue_interest(spot_market)
            result = controller()
            self._track_orders(user)
            return result

        touched = (
            user, liquidator, self.perp_markets, self.spot_markets, self._order_holders,
            self._insurance_ledger,
        )
        return self._atomic(touched, action)

    def liquidate_spot(
        self,
        liquidator_authority: str,
        liquidator_sub_account_id: int,
        authority: str,
        sub_account_id: int,
        asset_market_index: int,
        liability_market_index: int,
        liquidator_max_liability_transfer: int,
        limit_price: int | None = None,
    ) -> None:
        """Keeper: take over part of a user's borrow in exchange for its deposit, at the oracle
        plus the liquidator's and insurance fund's fees.

        Source: programs/drift/src/instructions/keeper.rs::handle_liquidate_spot
        """
        _check_int("liquidator_max_liability_transfer", liquidator_max_liability_transfer, minimum=1)
        user, liquidator = self._liquidation_accounts(
            liquidator_authority, liquidator_sub_account_id, authority, sub_account_id
        )
        self.spot_market(asset_market_index)
        self.spot_market(liability_market_index)
        self._run_liquidation(
            user, liquidator,
            lambda: liquidate_spot(
                asset_market_index, liability_market_index, liquidator_max_liability_transfer,
                limit_price, user, liquidator, self.perp_markets, self.spot_markets,
                self.oracle_map, self.now, self.slot, self.state, self.events,
            ),
        )

    def liquidate_borrow_for_perp_pnl(
        self,
        liquidator_authority: str,
        liquidator_sub_account_id: int,
        authority: str,
        sub_account_id: int,
        perp_market_index: int,
        liability_market_index: int,
        liquidator_max_liability_transfer: int,
        limit_price: int | None = None,
    ) -> None:
        """Keeper: take over a user's borrow in exchange for its positive unsettled perp pnl.

        Source: programs/drift/src/instructions/keeper.rs::handle_liquidate_borrow_for_perp_pnl
        """
        _check_int("liquidator_max_liability_transfer", liquidator_max_liability_transfer, minimum=1)
        user, liquidator = self._liquidation_accounts(
            liquidator_authority, liquidator_sub_account_id, authority, sub_account_id
        )
        self.perp_market(perp_market_index)
        self.spot_market(liability_market_index)
        self._run_liquidation(
            user, liquidator,
            lambda: liquidate_borrow_for_perp_pnl(
                perp_market_index, liability_market_index, liquidator_max_liability_transfer,
                limit_price, user, liquidator, self.perp_markets, self.spot_markets,
                self.oracle_map, self.now, self.slot, self.state, self.events,
            ),
        )

    def liquidate_perp_pnl_for_deposit(
        self,
        liquidator_authority: str,
        liquidator_sub_account_id: int,
        authority: str,
        sub_account_id: int,
        perp_market_index: int,
        asset_market_index: int,
        liquidator_max_pnl_transfer: int,
        limit_price: int | None = None,
    ) -> None:
        """Keeper: take over a user's negative unsettled perp pnl in exchange for its deposit.

        Source: programs/drift/src/instructions/keeper.rs::handle_liquidate_perp_pnl_for_deposit
        """
        _check_int("liquidator_max_pnl_transfer", liquidator_max_pnl_transfer, minimum=1)
        user, liquidator = self._liquidation_accounts(
            liquidator_authority, liquidator_sub_account_id, authority, sub_account_id
        )
        self.perp_market(perp_market_index)
        self.spot_market(asset_market_index)
        self._run_liquidation(
            user, liquidator,
            lambda: liquidate_perp_pnl_for_deposit(
                perp_market_index, asset_market_index, liquidator_max_pnl_transfer, limit_price,
                user, liquidator, self.perp_markets, self.spot_markets, self.oracle_map,
                self.now, self.slot, self.state, self.events,
            ),
        )

    def _resolve(self, spot_market_index: int, controller: Callable[[], int]) -> int:
        quote_market = self.spot_market(spot_market_index)
        self._attempt_settle_revenue(quote_market)
        paid = controller()
        self._insurance_flow(spot_market_index, "paid_out", paid)
        return paid

    def resolve_perp_bankruptcy(
        self,
        liquidator_authority: str,
        liquidator_sub_account_id: int,
        authority: str,
        sub_account_id: int,
        market_index: int,
    ) -> int:
        """Keeper: clear a bankrupt user's perp loss: the insurance fund (up to the market's
        remaining quote_max_insurance), then the fee pool, then socialised on the market's
        longs and shorts through the cumulative funding rates. Returns the fund's payment.

        Source: programs/drift/src/instructions/keeper.rs::handle_resolve_perp_bankruptcy
        """
        user, liquidator = self._liquidation_accounts(
            liquidator_authority, liquidator_sub_account_id, authority, sub_account_id
        )
        market = self.perp_market(market_index)
        return self._run_liquidation(
            user, liquidator,
            lambda: self._resolve(
                market.quote_spot_market_index,
                lambda: resolve_perp_bankruptcy(
                    market_index, user, liquidator, self.perp_markets, self.spot_markets,
                    self.oracle_map, self.now, self.events,
                ),
            ),
        )

    def resolve_spot_bankruptcy(
        self,
        liquidator_authority: str,
        liquidator_sub_account_id: int,
        authority: str,
        sub_account_id: int,
        market_index: int,
    ) -> int:
        """Keeper: clear a bankrupt user's borrow: the insurance fund, then the depositors
        through the cumulative deposit interest. Returns the fund's payment.

        Source: programs/drift/src/instructions/keeper.rs::handle_resolve_spot_bankruptcy
        """
        user, liquidator = self._liquidation_accounts(
            liquidator_authority, liquidator_sub_account_id, authority, sub_account_id
        )
        self.spot_market(market_index)
        return self._run_liquidation(
            user, liquidator,
            lambda: self._resolve(
                market_index,
                lambda: resolve_spot_bankruptcy(
                    market_index, user, liquidator, self.perp_markets, self.spot_markets,
                    self.oracle_map, self.now, self.events,
                ),
            ),
        )

    def resolve_perp_pnl_deficit(self, market_index: int) -> int:
        """Keeper: top up a perp market's pnl pool from the insurance fund when users' pnl
        exceeds it (within the market's limits; never socialised). Returns the payment.

        Source: programs/drift/src/instructions/keeper.rs::handle_resolve_perp_pnl_deficit
        """
        market = self.perp_market(market_index)

        def action() -> int:
            quote_market = self.spot_market(market.quote_spot_market_index)
            self._accrue_interest(quote_market)
            return self._resolve(
                market.quote_spot_market_index,
                lambda: resolve_perp_pnl_deficit(
                    market_index, self.perp_markets, self.spot_markets, self.now, self.events
                ),
            )

        return self._atomic((self.perp_markets, self.spot_markets, self._insurance_ledger), action)

    # --- reads ------------------------------------------------------------------------

    def insurance_fund(self, market_index: int) -> dict[str, int]:
        """The fund of a spot market: vault balance (token decimals), total, user and protocol
        shares, the shares' decimal base, and the unstaking period (s)."""
        fund = self.spot_market(market_index).insurance_fund
        return {
            "vault_amount": fund.vault_amount,
            "total_shares": fund.total_shares,
            "user_shares": fund.user_shares,
            "protocol_shares": fund.total_shares - fund.user_shares,
            "shares_base": fund.shares_base,
            "unstaking_period": fund.unstaking_period,
        }

    def insurance_fund_stake_value(self, authority: str, market_index: int) -> int:
        """What the stake is worth now (token decimals, floored)."""
        spot_market = self.spot_market(market_index)
        return calculate_if_stake_value(
            self._stake(authority, market_index), spot_market, spot_market.insurance_fund.vault_amount
        )

    def insurance_fund_unstake_available_ts(self, authority: str, market_index: int) -> int | None:
        """When a pending unstake request may be completed (unix s), or None without one."""
        return calculate_if_unstake_available_ts(
            self._stake(authority, market_index), self.spot_market(market_index)
        )

    def margin_calculation(
        self,
        user: User,
        margin_type: MarginRequirementType = MarginRequirementType.Initial,
        strict: bool = False,
    ) -> MarginCalculation:
        """The user's margin requirement and total collateral (quote 1e6)."""
        return calculate_margin_requirement_and_total_collateral_and_liability_info(
            user,
            self.perp_markets,
            self.spot_markets,
            self.oracle_map,
            MarginContext.standard(margin_type).with_strict(strict),
        )

    def user_equity(self, authority: str, sub_account_id: int = 0) -> int:
        """Net value of the subaccount (quote 1e6): balances plus unrealized pnl and funding."""
        net_usd_value, _all_oracles_valid = calculate_user_equity(
            self.user(authority, sub_account_id), self.perp_markets, self.spot_markets, self.oracle_map
        )
        return net_usd_value

    def free_collateral(self, authority: str, sub_account_id: int = 0) -> int:
        """Total collateral above the initial margin requirement (quote 1e6, >= 0)."""
        return self.margin_calculation(self.user(authority, sub_account_id)).get_free_collateral()

    def token_amount(self, authority: str, sub_account_id: int, market_index: int) -> int:
        """Signed token balance of a subaccount in a spot market (deposits > 0, borrows < 0)."""
        user = self.user(authority, sub_account_id)
        spot_market = self.spot_market(market_index)
        position = user.get_spot_position(market_index)
        if position is None:
            return 0
        amount = get_token_amount(position.scaled_balance, spot_market, position.balance_type)
        return amount if position.balance_type is SpotBalanceType.Deposit else -amount

    def audit(self) -> AuditReport:
        """Check that nothing was lost: every claim on each vault against the vault, and every
        spot and perp market aggregate against the sum over the accounts it aggregates."""
        vault_difference: dict[int, int] = {}
        claims: dict[int, dict[str, int]] = {}
        mismatches: list[str] = []
        deposit, borrow = SpotBalanceType.Deposit, SpotBalanceType.Borrow
        for index, spot_market in self.spot_markets.items():
            user_deposits = user_borrows = 0
            deposit_scaled = borrow_scaled = deposit_holders = borrow_holders = 0
            for user in self.users.values():
                position = user.get_spot_position(index)
                if position is None or position.scaled_balance == 0:
                    continue
                amount = get_token_amount(position.scaled_balance, spot_market, position.balance_type)
                if position.balance_type is deposit:
                    user_deposits += amount
                    deposit_scaled += position.scaled_balance
                    deposit_holders += 1
                else:
                    user_borrows += amount
                    borrow_scaled += position.scaled_balance
                    borrow_holders += 1
            pool_balances = {"perp_pnl_pools": [], "perp_fee_pools": [], "revenue_pool": []}
            bankruptcy_fee_pool_surplus = 0
            for market in self.perp_markets.values():
                if market.quote_spot_market_index == index:
                    pool_balances["perp_pnl_pools"].append(market.pnl_pool.scaled_balance)
                    pool_balances["perp_fee_pools"].append(market.amm.fee_pool.scaled_balance)
                    bankruptcy_fee_pool_surplus += market.bankruptcy_fee_pool_surplus
            pool_balances["revenue_pool"].append(spot_market.revenue_pool.scaled_balance)
            pools = {}
            for name, balances in pool_balances.items():
                pools[name] = sum(get_token_amount(b, spot_market, deposit) for b in balances)
                deposit_scaled += sum(balances)
                deposit_holders += sum(1 for b in balances if b)
            if deposit_scaled != spot_market.deposit_balance:
                mismatches.append(
                    f"spot market {index}: deposit_balance is {spot_market.deposit_balance}, "
                    f"holders sum to {deposit_scaled}"
                )
            if borrow_scaled != spot_market.borrow_balance:
                mismatches.append(
                    f"spot market {index}: borrow_balance is {spot_market.borrow_balance}, "
                    f"holders sum to {borrow_scaled}"
                )
            depositors_claim = get_token_amount(
                spot_market.deposit_balance, spot_market, deposit
            ) - get_token_amount(spot_market.borrow_balance, spot_market, borrow)
            holders_claim = user_deposits - user_borrows + sum(pools.values())
            # Token amounts are floored (deposits) or ceiled (borrows) one holder at a time, so
            # the holders' claims fall short of the market totals by less than a unit each.
            holder_rounding_dust = depositors_claim - holders_claim
            if not 0 <= holder_rounding_dust < max(1, deposit_holders + borrow_holders):
                mismatches.append(
                    f"spot market {index}: holder rounding dust {holder_rounding_dust} outside "
                    f"[0, {deposit_holders + borrow_holders})"
                )
            lines = {
                "user_deposits": user_deposits,
                "user_borrows": -user_borrows,
                **pools,
                "holder_rounding_dust": holder_rounding_dust,
                # resolve_perp_bankruptcy debits the fee pool without crediting anyone (the
                # reference's quirk): those tokens stay in the vault, claimed by no account
                "perp_bankruptcy_fee_pool_surplus": bankruptcy_fee_pool_surplus,
                # Withdrawals round the scaled debit up (the reference's rounding): the vault
                # keeps that dust beyond the market's total deposits, as protocol surplus.
                "rounding_surplus": spot_market.vault_amount
                - depositors_claim
                - bankruptcy_fee_pool_surplus,
            }
            claims[index] = lines
            vault_difference[index] = spot_market.vault_amount - sum(lines.values())
        mismatches.extend(self._insurance_mismatches())
        mismatches.extend(self._perp_mismatches())
        return AuditReport(vault_difference, claims, tuple(mismatches))

    def _insurance_mismatches(self) -> list[str]:
        mismatches = []
        for index, spot_market in self.spot_markets.items():
            fund = spot_market.insurance_fund
            flows = self._insurance_ledger[index]
            expected = (
                flows["staked"] + flows["revenue_settled"] - flows["unstaked"] - flows["paid_out"]
            )
            if fund.vault_amount != expected:
                mismatches.append(
                    f"insurance fund {index}: vault {fund.vault_amount}, flows give {expected}"
                )
            staked_shares = sum(
                stake.if_shares
                for stake in self.insurance_fund_stakes.values()
                if stake.market_index == index and stake.if_base == fund.shares_base
            )
            if not staked_shares <= fund.user_shares <= fund.total_shares:
                mismatches.append(
                    f"insurance fund {index}: stakes {staked_shares} <= user shares "
                    f"{fund.user_shares} <= total shares {fund.total_shares} fails"
                )
        return mismatches

    def _perp_mismatches(self) -> list[str]:
        mismatches = []
        for index, market in self.perp_markets.items():
            amm = market.amm
            quote = long = short = 0
            for user in self.users.values():
                position = user.get_perp_position(index)
                if position is None:
                    continue
                quote += position.quote_asset_amount
                if position.base_asset_amount > 0:
                    long += position.base_asset_amount
                else:
                    short += position.base_asset_amount
            checks = (
                ("quote_asset_amount", amm.quote_asset_amount, quote),
                ("base_asset_amount_long", amm.base_asset_amount_long, long),
                ("base_asset_amount_short", amm.base_asset_amount_short, short),
                (
                    "base_asset_amount_with_amm + with_unsettled_lp",
                    amm.base_asset_amount_with_amm + amm.base_asset_amount_with_unsettled_lp,
                    long + short,
                ),
            )
            for name, stored, summed in checks:
                if stored != summed:
                    mismatches.append(f"perp market {index}: {name} is {stored}, positions sum to {summed}")
        return mismatches

    def state_digest(self) -> str:
        """SHA-256 of every account and the clock: equal inputs give equal digests."""
        payload = repr(
            (
                self.now,
                self.slot,
                self.state,
                sorted(self.perp_markets.items()),
                sorted(self.spot_markets.items()),
                sorted(self.users.items()),
                sorted(self.user_stats.items()),
                sorted(self.oracle_map.readings.items(), key=lambda item: (item[0][0].value, item[0][1])),
            )
        )
        return hashlib.sha256(payload.encode()).hexdigest()


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
        _check_int(name, value, minimum=0)
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
    _check_int("lp fee slice numerator", numerator, minimum=0)
    _check_int("lp fee slice denominator", denominator, minimum=1)
    if numerator > denominator:
        raise InvalidMarketParameter(
            f"lp fee slice {numerator}/{denominator} must not exceed 1"
        )
