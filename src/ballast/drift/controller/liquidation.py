"""Liquidations and the bankruptcy waterfall.

liquidate_perp: a keeper takes over part of an under-margined user's position at the oracle
(LP shares are burned first); the user pays the liquidator fee and an IF fee booked in
`amm.total_liquidation_fee`. liquidate_spot / liquidate_borrow_for_perp_pnl /
liquidate_perp_pnl_for_deposit exchange a liability (borrow or negative pnl) for an asset
(deposit or positive pnl) at the liquidation multipliers; liquidate_spot credits its IF fee to
the liability market's revenue pool. A user left with only liabilities is flagged bankrupt.
resolve_perp_bankruptcy, resolve_spot_bankruptcy and resolve_perp_pnl_deficit pay from the
insurance fund: they move tokens from `spot_market.insurance_fund.vault_amount` into
`spot_market.vault_amount` themselves and credit pools through the spot-balance controller.

Units: base 1e9, quote 1e6, prices 1e6, fees 1e6, margin ratios and weights 1e4, token amounts
in their market's decimals.

Source: programs/drift/src/controller/liquidation.rs
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ballast.drift.constants import (
    FIFTY_QUOTE,
    LIQUIDATION_FEE_PRECISION,
    LIQUIDATION_PCT_PRECISION,
    MAX_SPOT_POSITIONS,
    QUOTE_SPOT_MARKET_INDEX,
    SPOT_WEIGHT_PRECISION,
    TEN_QUOTE,
)
from ballast.drift.controller.funding import settle_funding_payment
from ballast.drift.controller.lp import burn_lp_shares_with_record
from ballast.drift.controller.orders import (
    cancel_orders,
    update_maker_volume_30d,
    update_taker_volume_30d,
)
from ballast.drift.controller.position import (
    force_get_perp_position,
    get_perp_position,
    update_position_and_market,
    update_quote_asset_amount,
    update_quote_asset_and_break_even_amount,
)
from ballast.drift.controller.repeg import _update_amm
from ballast.drift.controller.spot_balance import update_revenue_pool_balances, update_spot_balances
from ballast.drift.controller.user import (
    enter_bankruptcy,
    enter_liquidation,
    exit_liquidation,
    increment_margin_freed,
)
from ballast.drift.errors import (
    CouldNotFindSpotPosition,
    InsufficientCollateral,
    InvalidBaseAssetAmountForLiquidatePerp,
    InvalidLiquidation,
    InvalidOracle,
    InvalidPerpPosition,
    InvalidPerpPositionToLiquidate,
    InvalidSpotPosition,
    LiquidationDoesntSatisfyLimitPrice,
    MathError,
    MaxIFWithdrawReached,
    MaxNumberOfPositions,
    MaxRevenueWithdrawPerPeriodReached,
    NoAmmPerpPnlDeficit,
    NoIFWithdrawAvailable,
    PerpMarketNotFound,
    PerpPnlDeficitBelowThreshold,
    PositionDoesntHaveOpenPositionOrOrders,
    PriceBandsBreached,
    SpotMarketNotFound,
    SufficientCollateral,
    SufficientPerpPnlPool,
    TierViolationLiquidatingPerpPnl,
    UserBankrupt,
    UserCantLiquidateThemself,
    UserHasInvalidBorrow,
    UserIsBeingLiquidated,
    UserNotBankrupt,
    WrongSpotBalanceType,
)
from ballast.drift.events import (
    InsuranceFundRecord,
    LiquidationRecord,
    LiquidationType,
    LPAction,
    OrderAction,
    OrderActionExplanation,
    OrderActionRecord,
    OrderRecord,
)
from ballast.drift.math.bankruptcy import is_user_bankrupt
from ballast.drift.math.liquidation import (
    calculate_asset_transfer_for_liability_transfer,
    calculate_base_asset_amount_to_cover_margin_shortage,
    calculate_cumulative_deposit_interest_delta_to_resolve_bankruptcy,
    calculate_funding_rate_deltas_to_resolve_bankruptcy,
    calculate_liability_transfer_implied_by_asset_amount,
    calculate_liability_transfer_to_cover_margin_shortage,
    calculate_liquidation_multiplier,
    calculate_liquidation_transfer_price,
    calculate_max_pct_to_liquidate,
    calculate_perp_if_fee,
    calculate_spot_if_fee,
    calculate_user_safest_position_tiers,
    get_liquidation_fee,
    get_max_liquidation_fee,
    is_contract_tier_as_safe_as,
    validate_transfer_satisfies_limit_price,
)
from ballast.drift.math.margin import (
    calculate_margin_requirement_and_total_collateral_and_liability_info,
    get_margin_ratio,
    get_unrealized_asset_weight,
)
from ballast.drift.math.oracle import (
    get_max_confidence_interval_multiplier,
    is_oracle_too_divergent_with_twap_5min,
    is_oracle_valid_for_action,
    oracle_validity,
)
from ballast.drift.math.orders import (
    is_multiple_of_step_size,
    standardize_base_asset_amount,
    standardize_base_asset_amount_ceil,
)
from ballast.drift.math.pnl import calculate_net_user_pnl
from ballast.drift.math.position import (
    calculate_base_asset_value_with_oracle_price,
    get_position_delta_for_fill,
)
from ballast.drift.math.spot_balance import get_token_amount, get_token_value
from ballast.drift.state.margin_calculation import (
    MarginCalculation,
    MarginContext,
    MarginRequirementType,
)
from ballast.drift.state.oracle import DriftAction
from ballast.drift.state.oracle_map import OracleMap
from ballast.drift.state.perp_market import MarketStatus, PerpMarket, PerpOperation
from ballast.drift.state.spot_market import AssetTier, SpotBalanceType, SpotMarket
from ballast.drift.state.state import State
from ballast.drift.state.user import (
    MarketType,
    OrderType,
    PerpPosition,
    PositionDirection,
    SpotPosition,
    User,
    UserStats,
)
from ballast.fixed import U128_MAX, cast_u64, div_floor
from ballast.value_copy import copy_by_constructor

# Floor of the oracle vs 5-min twap divergence guard for liquidations (1e6): 50%.
# Source: programs/drift/src/state/state.rs::OracleGuardRails::max_oracle_twap_5min_percent_divergence
_MIN_ORACLE_TWAP_5MIN_PERCENT_DIVERGENCE = 500_000

__all__ = [
    "liquidate_perp",
    "liquidate_spot",
    "liquidate_borrow_for_perp_pnl",
    "liquidate_perp_pnl_for_deposit",
    "resolve_perp_bankruptcy",
    "resolve_spot_bankruptcy",
    "resolve_perp_pnl_deficit",
]


# --- phases shared by the four liquidate_* functions -------------------------------------------


def _liquidation_margin_calculation(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    liquidation_margin_buffer_ratio: int,
    tracked_market: tuple[MarketType, int] | None,
) -> MarginCalculation:
    """Liquidation-mode margin calculation (maintenance plus the 1e4 buffer ratio; amounts 1e6),
    tracking the margin requirement of `tracked_market` when one is given.

    Source: programs/drift/src/controller/liquidation.rs::liquidate_perp (the
    MarginContext::liquidation(..).track_market_margin_requirement(..) calculation)
    """
    context = MarginContext.liquidation(liquidation_margin_buffer_ratio)
    if tracked_market is not None:
        context = context.track_market_margin_requirement(*tracked_market)
    return calculate_margin_requirement_and_total_collateral_and_liability_info(
        user, perp_market_map, spot_market_map, oracle_map, context
    )


def _exit_if_recovered(margin_calculation: MarginCalculation, user: User) -> bool:
    """The margin gate: SufficientCollateral for a user not yet flagged who meets the
    liquidation requirement; True (after exit_liquidation) for a flagged user who can leave
    liquidation; else False (the liquidation goes on).

    Source: programs/drift/src/controller/liquidation.rs::liquidate_perp (the
    SufficientCollateral / can_exit_liquidation checks before enter_liquidation)
    """
    if not user.is_being_liquidated() and margin_calculation.meets_margin_requirement():
        raise SufficientCollateral(
            f"user {user.key} meets maintenance margin: collateral "
            f"{margin_calculation.total_collateral} >= requirement "
            f"{margin_calculation.margin_requirement}"
        )
    if user.is_being_liquidated() and margin_calculation.can_exit_liquidation():
        exit_liquidation(user)
        return True
    return False


def _begin_liquidation(margin_calculation: MarginCalculation, user: User, slot: int) -> int | None:
    """The margin gate (_exit_if_recovered) then enter_liquidation: the liquidation id, or None
    when the user has just left liquidation.

    Source: programs/drift/src/controller/liquidation.rs::liquidate_spot
    """
    if _exit_if_recovered(margin_calculation, user):
        return None
    return enter_liquidation(user, slot)


def _cancel_orders_for_liquidation(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    state: State,
    now: int,
    slot: int,
    events: list,
) -> list[int]:
    """Cancel every open order of the user (explanation Liquidation); returns their ids.

    Source: programs/drift/src/controller/liquidation.rs::liquidate_perp (its cancel_orders call)
    """
    return cancel_orders(
        user,
        perp_market_map,
        spot_market_map,
        oracle_map,
        state,
        now,
        slot,
        OrderActionExplanation.Liquidation,
        events,
    )


def _free_margin(
    user: User, initial_margin_shortage: int, margin_calculation_after: MarginCalculation
) -> int:
    """The shortage removed since `initial_margin_shortage` (1e6, saturating at 0, u64),
    credited to the user's margin_freed; returns it.

    Source: programs/drift/src/controller/liquidation.rs::calculate_margin_freed (and the
    user.increment_margin_freed that follows it)
    """
    margin_freed = cast_u64(
        max(initial_margin_shortage - margin_calculation_after.margin_shortage(), 0)
    )
    increment_margin_freed(user, margin_freed)
    return margin_freed


def _margin_after_cancels(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    liquidation_margin_buffer_ratio: int,
    tracked_market: tuple[MarketType, int] | None,
    margin_calculation: MarginCalculation,
) -> tuple[MarginCalculation, int]:
    """The intermediate margin calculation once cancelled orders (and burned LP shares) have
    freed margin, and the margin freed (1e6) since `margin_calculation`, credited to the user.

    Source: programs/drift/src/controller/liquidation.rs::liquidate_perp (the
    intermediate_margin_calculation block)
    """
    intermediate_margin_calculation = _liquidation_margin_calculation(
        user,
        perp_market_map,
        spot_market_map,
        oracle_map,
        liquidation_margin_buffer_ratio,
        tracked_market,
    )
    margin_freed = _free_margin(
        user, margin_calculation.margin_shortage(), intermediate_margin_calculation
    )
    return intermediate_margin_calculation, margin_freed


def _max_transfer_allowed(
    user: User,
    transfer_to_cover_margin_shortage: int,
    margin_shortage: int,
    slot: int,
    state: State,
) -> int:
    """The cover amount scaled by the max pct to liquidate (1e4 precision), rounded down and
    capped at u128 before the division (token or quote units, as the cover amount).

    Source: programs/drift/src/controller/liquidation.rs::liquidate_spot
    (max_liability_allowed_to_be_transferred)
    """
    max_pct_allowed = calculate_max_pct_to_liquidate(
        user, margin_shortage, slot, state.initial_pct_to_liquidate, state.liquidation_duration
    )
    return div_floor(
        min(transfer_to_cover_margin_shortage * max_pct_allowed, U128_MAX),
        LIQUIDATION_PCT_PRECISION,
    )


def _liability_transfer(
    liquidator_max_transfer: int,
    liability_amount: int,
    liability_value: int,
    max_allowed: int,
    implied_by_asset: int,
) -> int:
    """min(liquidator max, liability, max(max allowed, whole liability if worth <= $10),
    liability implied by the whole asset), so no dust is left behind (token or quote units).

    Source: programs/drift/src/controller/liquidation.rs::liquidate_spot (liability_transfer)
    """
    minimum_transfer = 0 if liability_value > TEN_QUOTE else liability_amount
    return min(
        liquidator_max_transfer,
        liability_amount,
        max(max_allowed, minimum_transfer),
        implied_by_asset,
    )


def _calculate_margin_freed(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    liquidation_margin_buffer_ratio: int,
    initial_margin_shortage: int,
) -> int:
    """After the transfer: the shortage removed since `initial_margin_shortage` (1e6,
    saturating at 0) by a fresh liquidation-mode calculation, credited to the user.

    Source: programs/drift/src/controller/liquidation.rs::calculate_margin_freed
    """
    margin_calculation_after = _liquidation_margin_calculation(
        user, perp_market_map, spot_market_map, oracle_map, liquidation_margin_buffer_ratio, None
    )
    return _free_margin(user, initial_margin_shortage, margin_calculation_after)


def _finish_liquidation(user: User, transfer: int, transfer_to_cover_margin_shortage: int) -> None:
    """Exit liquidation if the transfer reached the cover amount, else flag bankruptcy if the
    user is bankrupt.

    Source: programs/drift/src/controller/liquidation.rs::liquidate_perp
    """
    if transfer >= transfer_to_cover_margin_shortage:
        exit_liquidation(user)
    elif is_user_bankrupt(user):
        enter_bankruptcy(user)


def _require_liquidator_initial_margin(
    liquidator: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    what: str,
) -> None:
    """InsufficientCollateral unless the liquidator meets initial margin after taking over
    `what` (collateral and requirement 1e6).

    Source: programs/drift/src/controller/liquidation.rs::liquidate_perp
    """
    liquidator_margin = calculate_margin_requirement_and_total_collateral_and_liability_info(
        liquidator,
        perp_market_map,
        spot_market_map,
        oracle_map,
        MarginContext.standard(MarginRequirementType.Initial),
    )
    if not liquidator_margin.meets_margin_requirement():
        raise InsufficientCollateral(
            f"liquidator {liquidator.key} lacks initial margin to take over the {what}: "
            f"collateral {liquidator_margin.total_collateral} < requirement "
            f"{liquidator_margin.margin_requirement}"
        )


@dataclass(frozen=True, slots=True)
class _LiquidationRecordHeader:
    """The LiquidationRecord fields a liquidate_* call fixes once it has entered liquidation:
    margin requirement and total collateral (1e6) come from the calculation before any cancel;
    `fields` holds the type's own markets and prices.

    Source: programs/drift/src/controller/liquidation.rs (the emit!(LiquidationRecord { .. }) of
    each liquidate_*)
    """

    ts: int
    liquidation_type: LiquidationType
    market_index: int
    user: User
    liquidator: User
    margin_calculation: MarginCalculation
    liquidation_id: int
    fields: dict[str, Any]

    def emit(self, events: list, margin_freed: int, **fields: Any) -> LiquidationRecord:
        """Append and return the record with `margin_freed` (1e6), the user's bankrupt flag as
        it stands now and the outcome `fields`."""
        record = LiquidationRecord(
            ts=self.ts,
            liquidation_type=self.liquidation_type,
            user=self.user.key,
            liquidator=self.liquidator.key,
            market_index=self.market_index,
            margin_requirement=self.margin_calculation.margin_requirement,
            total_collateral=self.margin_calculation.total_collateral,
            margin_freed=margin_freed,
            liquidation_id=self.liquidation_id,
            bankrupt=self.user.is_bankrupt(),
            **self.fields,
            **fields,
        )
        events.append(record)
        return record


# --- lookups and validations ---------------------------------------------------------------------


def _get_spot_market(spot_market_map: dict[int, SpotMarket], market_index: int) -> SpotMarket:
    spot_market = spot_market_map.get(market_index)
    if spot_market is None:
        raise SpotMarketNotFound(f"spot market {market_index} not found")
    return spot_market


def _get_perp_market(perp_market_map: dict[int, PerpMarket], market_index: int) -> PerpMarket:
    market = perp_market_map.get(market_index)
    if market is None:
        raise PerpMarketNotFound(f"perp market {market_index} not found")
    return market


def _check_perp_liquidation_not_paused(market: PerpMarket) -> None:
    if market.is_operation_paused(PerpOperation.Liquidation):
        raise InvalidLiquidation(f"liquidation is paused for market {market.market_index}")


def _validate_not_bankrupt(user: User, liquidator: User) -> None:
    if user is liquidator:
        raise UserCantLiquidateThemself(f"user {user.key} cannot liquidate itself")
    if user.is_bankrupt():
        raise UserBankrupt(f"user {user.key} is bankrupt")
    if liquidator.is_bankrupt():
        raise UserBankrupt(f"liquidator {liquidator.key} is bankrupt")


def _settle_funding(market: PerpMarket, now: int, events: list, *users: User) -> None:
    for user in users:
        record = settle_funding_payment(user, market, now)
        if record is not None:
            events.append(record)


def _position_direction(position: PerpPosition) -> PositionDirection:
    return PositionDirection.Long if position.base_asset_amount >= 0 else PositionDirection.Short


def _check_oracle_not_divergent(price: int, twap_5min: int, state: State, where: str) -> None:
    """PriceBandsBreached when the oracle (1e6) is too far from its 5-min twap: the guard rail's
    divergence, floored at 50%.

    Source: programs/drift/src/controller/liquidation.rs::liquidate_perp (the
    is_oracle_too_divergent_with_twap_5min check)
    """
    max_divergence = max(
        state.oracle_guard_rails.price_divergence.oracle_twap_5min_percent_divergence,
        _MIN_ORACLE_TWAP_5MIN_PERCENT_DIVERGENCE,
    )
    if is_oracle_too_divergent_with_twap_5min(price, twap_5min, max_divergence):
        raise PriceBandsBreached(
            f"oracle {price} too far from 5min twap {twap_5min} to liquidate in {where}"
        )


# Oracle confidence multiplier of a spot market by asset tier.
# Source: programs/drift/src/state/spot_market.rs::SpotMarket::get_max_confidence_interval_multiplier
_SPOT_CONFIDENCE_MULTIPLIER = {
    AssetTier.Collateral: 1,
    AssetTier.Protected: 1,
    AssetTier.Cross: 5,
    AssetTier.Isolated: 50,
    AssetTier.Unlisted: 50,
}


def _force_get_spot_position(user: User, market_index: int) -> SpotPosition:
    """The user's spot position in a market, opening an empty deposit (reusing an available
    slot) if absent; MaxNumberOfPositions when all MAX_SPOT_POSITIONS slots are in use.

    Source: programs/drift/src/state/user.rs::User::force_get_spot_position_mut
    """
    position = user.get_spot_position(market_index)
    if position is not None:
        return position
    new_position = SpotPosition(market_index=market_index)
    if len(user.spot_positions) < MAX_SPOT_POSITIONS:
        user.spot_positions.append(new_position)
        return new_position
    for index, existing in enumerate(user.spot_positions):
        if existing.is_available():
            user.spot_positions[index] = new_position
            return new_position
    raise MaxNumberOfPositions(
        f"user {user.key} already holds {MAX_SPOT_POSITIONS} spot positions; cannot open "
        f"market {market_index}"
    )


def _user_spot_position(user: User, market_index: int, role: str) -> SpotPosition:
    position = user.get_spot_position(market_index)
    if position is None:
        raise CouldNotFindSpotPosition(
            f"user {user.key} has no spot balance for {role} market {market_index}"
        )
    return position


def _update_spot_balances_and_cumulative_deposits(
    token_amount: int,
    update_direction: SpotBalanceType,
    spot_market: SpotMarket,
    spot_position: SpotPosition,
) -> None:
    """update_spot_balances (not leaving Drift), then cumulative_deposits moves by the same
    token amount: up for a Deposit, down for a Borrow.

    Source: programs/drift/src/controller/spot_position.rs::update_spot_balances_and_cumulative_deposits
    """
    update_spot_balances(token_amount, update_direction, spot_market, spot_position, False)
    if update_direction is SpotBalanceType.Deposit:
        spot_position.cumulative_deposits += token_amount
    else:
        spot_position.cumulative_deposits -= token_amount


def _spot_oracle_price_for_liquidation(
    spot_market: SpotMarket, oracle_map: OracleMap, state: State
) -> int:
    """The spot market's oracle price (1e6), which must be valid for Liquidate (InvalidOracle).

    Source: programs/drift/src/controller/spot_balance.rs::update_spot_market_and_check_validity
    (the validity half; twap and interest updates belong to the spot-balance controller)
    """
    price_data = oracle_map.get_spot(spot_market.market_index)
    validity = oracle_validity(
        MarketType.Spot,
        spot_market.market_index,
        spot_market.historical_oracle_data.last_oracle_price_twap,
        price_data,
        state.oracle_guard_rails.validity,
        _SPOT_CONFIDENCE_MULTIPLIER[spot_market.asset_tier],
    )
    if not is_oracle_valid_for_action(validity, DriftAction.Liquidate):
        raise InvalidOracle(
            f"oracle of spot market {spot_market.market_index} is {validity.name}: cannot liquidate"
        )
    return price_data.price


def _spot_token_amount(
    user: User,
    spot_market: SpotMarket,
    balance_type: SpotBalanceType,
    role: str,
) -> int:
    position = _user_spot_position(user, spot_market.market_index, role)
    if position.balance_type is not balance_type:
        raise WrongSpotBalanceType(
            f"user {user.key} holds a {position.balance_type.name} in {role} market "
            f"{spot_market.market_index}, expected {balance_type.name}"
        )
    token_amount = get_token_amount(position.scaled_balance, spot_market, balance_type)
    if token_amount == 0:
        raise InvalidSpotPosition(
            f"{role} token amount is zero for user {user.key} in market {spot_market.market_index}"
        )
    return token_amount


def _check_spot_oracle_not_divergent(price: int, spot_market: SpotMarket, state: State) -> None:
    """_check_oracle_not_divergent against the spot market's 5-min twap (prices 1e6).

    Source: programs/drift/src/controller/liquidation.rs::liquidate_spot
    """
    _check_oracle_not_divergent(
        price,
        spot_market.historical_oracle_data.last_oracle_price_twap_5min,
        state,
        f"spot market {spot_market.market_index}",
    )


def liquidate_perp(
    market_index: int,
    liquidator_max_base_asset_amount: int,
    limit_price: int | None,
    user: User,
    user_stats: UserStats,
    liquidator: User,
    liquidator_stats: UserStats,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    slot: int,
    now: int,
    state: State,
    events: list,
) -> LiquidationRecord | None:
    """Transfer (part of) an under-margined user's perp position to the liquidator at the oracle.

    Steps (drift_core.md 10.2): settle funding of both; liquidation-mode margin (buffer
    state.liquidation_margin_buffer_ratio) - SufficientCollateral if not flagged and meeting
    maintenance, exit if flagged and able to; enter liquidation; cancel all the user's orders;
    update the AMM (oracle must be valid for Liquidate, InvalidOracle); exit if the cancels
    freed enough; size = min(|base|, liquidator max (standardized down to the step, > 0),
    max(cover amount x max pct, whole position if worth <= $50)) rounded up to the step, where the
    cover amount is rounded up to the step; optional limit price against oracle -/+ liquidator
    fee (LiquidationDoesntSatisfyLimitPrice); transfer at the oracle value with the liquidator
    fee (user -> liquidator) and IF fee (user -> total_liquidation_fee) on quote and break-even;
    exit liquidation if the cover amount was reached, else flag bankruptcy if the user is
    bankrupt; the liquidator must then meet initial margin (InsufficientCollateral).
    Appends OrderRecords, the fill OrderActionRecord and the LiquidationRecord to `events`
    (order cancellations come from cancel_orders) and returns the LiquidationRecord, or None
    when nothing was transferred and the user stays in liquidation.

    Source: programs/drift/src/controller/liquidation.rs::liquidate_perp
    """
    buffer_ratio = state.liquidation_margin_buffer_ratio
    tracked_market = (MarketType.Perp, market_index)
    _validate_not_bankrupt(user, liquidator)
    market = _get_perp_market(perp_market_map, market_index)
    _check_perp_liquidation_not_paused(market)
    _settle_funding(market, now, events, user, liquidator)

    margin_calculation = _liquidation_margin_calculation(
        user, perp_market_map, spot_market_map, oracle_map, buffer_ratio, tracked_market
    )
    if _exit_if_recovered(margin_calculation, user):
        return None
    user_position = get_perp_position(user, market_index)
    liquidator_position = force_get_perp_position(liquidator, market_index)
    liquidation_id = enter_liquidation(user, slot)
    if not (
        user_position.base_asset_amount != 0
        or user_position.open_orders != 0
        or user_position.open_bids != 0
        or user_position.open_asks != 0
        or user_position.lp_shares > 0
    ):
        raise PositionDoesntHaveOpenPositionOrOrders(
            f"user {user.key} has neither a position nor orders in market {market_index}"
        )

    canceled_order_ids = _cancel_orders_for_liquidation(
        user, perp_market_map, spot_market_map, oracle_map, state, now, slot, events
    )

    oracle_price_data = oracle_map.get_perp(market_index)
    _update_amm(market, oracle_price_data, state, now, slot)
    validity = oracle_validity(
        MarketType.Perp,
        market_index,
        market.amm.historical_oracle_data.last_oracle_price_twap,
        oracle_price_data,
        state.oracle_guard_rails.validity,
        get_max_confidence_interval_multiplier(market.contract_tier),
    )
    if not is_oracle_valid_for_action(validity, DriftAction.Liquidate):
        raise InvalidOracle(f"oracle of market {market_index} is {validity.name}: cannot liquidate")
    oracle_price = (
        market.expiry_price if market.status is MarketStatus.Settlement else oracle_price_data.price
    )
    # BAL (drift_bal.md section 13): an account's LP shares go first, at no penalty.
    lp_shares = user_position.lp_shares
    if lp_shares > 0:
        events.append(
            burn_lp_shares_with_record(
                user, user_position, market, lp_shares, oracle_price, LPAction.RemoveLiquidity, now
            )
        )

    record_header = _LiquidationRecordHeader(
        now,
        LiquidationType.LiquidatePerp,
        market_index,
        user,
        liquidator,
        margin_calculation,
        liquidation_id,
        {
            "canceled_order_ids": tuple(canceled_order_ids),
            "oracle_price": oracle_price,
            "lp_shares": lp_shares,
        },
    )
    intermediate_margin_calculation, margin_freed = margin_calculation, 0
    if canceled_order_ids or lp_shares > 0:
        intermediate_margin_calculation, margin_freed = _margin_after_cancels(
            user,
            perp_market_map,
            spot_market_map,
            oracle_map,
            buffer_ratio,
            tracked_market,
            margin_calculation,
        )
        if intermediate_margin_calculation.can_exit_liquidation():
            record = record_header.emit(events, margin_freed)
            exit_liquidation(user)
            return record

    if user_position.base_asset_amount == 0:
        return None

    step_size = market.amm.order_step_size
    liquidator_max_base_asset_amount = standardize_base_asset_amount(
        liquidator_max_base_asset_amount, step_size
    )
    if liquidator_max_base_asset_amount == 0:
        raise InvalidBaseAssetAmountForLiquidatePerp(
            f"liquidator_max_base_asset_amount must be at least the step size {step_size}"
        )
    if market.status is not MarketStatus.Settlement:
        _check_oracle_not_divergent(
            oracle_price,
            market.amm.historical_oracle_data.last_oracle_price_twap_5min,
            state,
            f"market {market_index}",
        )

    user_base_asset_amount = abs(user_position.base_asset_amount)
    margin_ratio = get_margin_ratio(
        market, user_base_asset_amount, MarginRequirementType.Maintenance
    )
    margin_ratio_with_buffer = margin_ratio + buffer_ratio
    margin_shortage = intermediate_margin_calculation.margin_shortage()

    quote_oracle_price = oracle_map.get_spot(market.quote_spot_market_index).price
    liquidator_fee = get_liquidation_fee(
        market.liquidator_fee, get_max_liquidation_fee(market), user.last_active_slot, slot
    )
    if_liquidation_fee = calculate_perp_if_fee(
        intermediate_margin_calculation.tracked_market_margin_shortage(margin_shortage),
        user_base_asset_amount,
        margin_ratio_with_buffer,
        liquidator_fee,
        oracle_price,
        quote_oracle_price,
        market.if_liquidation_fee,
    )
    base_asset_amount_to_cover_margin_shortage = standardize_base_asset_amount_ceil(
        calculate_base_asset_amount_to_cover_margin_shortage(
            margin_shortage,
            margin_ratio_with_buffer,
            liquidator_fee,
            if_liquidation_fee,
            oracle_price,
            quote_oracle_price,
        ),
        step_size,
    )

    max_pct_allowed = calculate_max_pct_to_liquidate(
        user,
        margin_shortage,
        slot,
        state.initial_pct_to_liquidate,
        state.liquidation_duration,
    )
    max_base_asset_amount_allowed_to_be_transferred = cast_u64(
        div_floor(
            base_asset_amount_to_cover_margin_shortage * max_pct_allowed, LIQUIDATION_PCT_PRECISION
        )
    )
    if max_base_asset_amount_allowed_to_be_transferred == 0:
        return None

    position_value = calculate_base_asset_value_with_oracle_price(
        user_base_asset_amount, oracle_price
    )
    min_base_asset_amount = 0 if position_value > FIFTY_QUOTE else user_base_asset_amount
    base_asset_amount = standardize_base_asset_amount_ceil(
        min(
            user_base_asset_amount,
            liquidator_max_base_asset_amount,
            max(max_base_asset_amount_allowed_to_be_transferred, min_base_asset_amount),
        ),
        step_size,
    )

    user_existing_direction = _position_direction(user_position)
    user_direction_to_close = user_existing_direction.opposite()
    user_is_long = user_existing_direction is PositionDirection.Long
    if limit_price is not None:
        transfer_price = calculate_liquidation_transfer_price(
            oracle_price, liquidator_fee, user_is_long
        )
        if (user_is_long and transfer_price > limit_price) or (
            not user_is_long and transfer_price < limit_price
        ):
            raise LiquidationDoesntSatisfyLimitPrice(
                f"transfer price {transfer_price} vs liquidator limit price {limit_price} "
                f"({'long' if user_is_long else 'short'} user)"
            )

    base_asset_value = calculate_base_asset_value_with_oracle_price(base_asset_amount, oracle_price)
    liquidator_fee_amount = div_floor(base_asset_value * liquidator_fee, LIQUIDATION_FEE_PRECISION)
    if_fee_amount = div_floor(base_asset_value * if_liquidation_fee, LIQUIDATION_FEE_PRECISION)

    update_taker_volume_30d(user_stats, base_asset_value, now)
    update_maker_volume_30d(liquidator_stats, base_asset_value, now)

    user_position_delta = get_position_delta_for_fill(
        base_asset_amount, base_asset_value, user_direction_to_close
    )
    liquidator_position_delta = get_position_delta_for_fill(
        base_asset_amount, base_asset_value, user_existing_direction
    )

    update_position_and_market(user_position, market, user_position_delta)
    update_quote_asset_and_break_even_amount(user_position, market, -liquidator_fee_amount)
    update_quote_asset_and_break_even_amount(user_position, market, -if_fee_amount)
    if not is_multiple_of_step_size(abs(user_position.base_asset_amount), step_size):
        raise InvalidPerpPosition(
            f"user base {user_position.base_asset_amount} is not a multiple of step {step_size}"
        )
    update_position_and_market(liquidator_position, market, liquidator_position_delta)
    update_quote_asset_and_break_even_amount(liquidator_position, market, liquidator_fee_amount)
    if not is_multiple_of_step_size(abs(liquidator_position.base_asset_amount), step_size):
        raise InvalidPerpPosition(
            f"liquidator base {liquidator_position.base_asset_amount} is not a multiple of "
            f"step {step_size}"
        )
    market.amm.total_liquidation_fee += if_fee_amount

    margin_freed += _calculate_margin_freed(
        user, perp_market_map, spot_market_map, oracle_map, buffer_ratio, margin_shortage
    )
    _finish_liquidation(user, base_asset_amount, base_asset_amount_to_cover_margin_shortage)
    _require_liquidator_initial_margin(
        liquidator, perp_market_map, spot_market_map, oracle_map, "position"
    )

    user_order_id = user.next_order_id
    user.next_order_id += 1
    liquidator_order_id = liquidator.next_order_id
    liquidator.next_order_id += 1
    fill_record_id = market.next_fill_record_id
    market.next_fill_record_id += 1
    events.append(
        OrderRecord(
            ts=now,
            user=user.key,
            order_id=user_order_id,
            market_index=market_index,
            direction=user_direction_to_close.name,
            order_type=OrderType.Market.name,
            base_asset_amount=base_asset_amount,
            price=0,
        )
    )
    events.append(
        OrderRecord(
            ts=now,
            user=liquidator.key,
            order_id=liquidator_order_id,
            market_index=market_index,
            direction=user_existing_direction.name,
            order_type=(OrderType.Market if limit_price is None else OrderType.Limit).name,
            base_asset_amount=base_asset_amount,
            price=limit_price or 0,
        )
    )
    events.append(
        OrderActionRecord(
            ts=now,
            action=OrderAction.Fill,
            action_explanation=OrderActionExplanation.Liquidation,
            market_index=market_index,
            fill_record_id=fill_record_id,
            base_asset_amount_filled=base_asset_amount,
            quote_asset_amount_filled=base_asset_value,
            taker_fee=liquidator_fee_amount + if_fee_amount,
            maker_fee=-liquidator_fee_amount,
            taker=user.key,
            taker_order_id=user_order_id,
            taker_order_direction=user_direction_to_close.name,
            maker=liquidator.key,
            maker_order_id=liquidator_order_id,
            maker_order_direction=user_existing_direction.name,
            oracle_price=oracle_price,
        )
    )
    return record_header.emit(
        events,
        margin_freed,
        base_asset_amount=user_position_delta.base_asset_amount,
        quote_asset_amount=user_position_delta.quote_asset_amount,
        liquidator_fee=liquidator_fee_amount,
        if_fee=if_fee_amount,
    )


def liquidate_spot(
    asset_market_index: int,
    liability_market_index: int,
    liquidator_max_liability_transfer: int,
    limit_price: int | None,
    user: User,
    liquidator: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    now: int,
    slot: int,
    state: State,
    events: list,
) -> LiquidationRecord | None:
    """The liquidator repays part of a user's borrow and takes user deposits at a premium.

    Multipliers (1e6): asset 1e6 + asset market liquidator_fee, liability 1e6 - liability market
    liquidator_fee. After the margin gate (SufficientCollateral / exit if recovered), entering
    liquidation and cancelling all orders (exit if that sufficed), the IF fee rate
    (calculate_spot_if_fee on the tracked shortage, liability weight + buffer) and the liability
    that covers the shortage are computed; the transfer is min(liquidator max, borrow,
    max(cover x max pct, whole borrow if worth <= $10), borrow implied by the whole deposit)
    and the asset transfer follows at the multipliers (InvalidLiquidation if either is 0).
    Both oracles must be near their 5-min twaps (PriceBandsBreached); the liquidator's limit
    price is checked on asset per liability. Token moves (liability market): the user's borrow
    is repaid by transfer - if_fee, the revenue pool gets if_fee = floor(transfer x if_rate /
    1e6), the liquidator borrows the whole transfer; (asset market) the deposit moves from user
    to liquidator. cumulative_deposits follow. Exit liquidation if the cover amount was reached,
    else flag bankruptcy if bankrupt; the liquidator must meet initial margin.
    Returns the LiquidationRecord (also appended), or None when nothing moved.

    Not modelled: fuel bonuses, spot paused operations, and the twap/interest refresh of
    update_spot_market_and_check_validity (only its oracle-validity check runs here).

    Source: programs/drift/src/controller/liquidation.rs::liquidate_spot
    """
    buffer_ratio = state.liquidation_margin_buffer_ratio
    _validate_not_bankrupt(user, liquidator)
    asset_market = _get_spot_market(spot_market_map, asset_market_index)
    liability_market = _get_spot_market(spot_market_map, liability_market_index)
    _user_spot_position(user, asset_market_index, "asset")
    _user_spot_position(user, liability_market_index, "liability")
    _force_get_spot_position(liquidator, asset_market_index)
    liquidator_liability_position = _force_get_spot_position(liquidator, liability_market_index)

    asset_price = _spot_oracle_price_for_liquidation(asset_market, oracle_map, state)
    asset_amount = _spot_token_amount(user, asset_market, SpotBalanceType.Deposit, "asset")
    asset_decimals = asset_market.decimals
    asset_weight = asset_market.maintenance_asset_weight
    asset_liquidation_multiplier = calculate_liquidation_multiplier(
        asset_market.liquidator_fee, premium=True
    )
    liability_price = _spot_oracle_price_for_liquidation(liability_market, oracle_map, state)
    liability_amount = _spot_token_amount(
        user, liability_market, SpotBalanceType.Borrow, "liability"
    )
    liability_decimals = liability_market.decimals
    liability_liquidation_multiplier = calculate_liquidation_multiplier(
        liability_market.liquidator_fee, premium=False
    )

    tracked_market = (MarketType.Spot, liability_market_index)
    margin_calculation = _liquidation_margin_calculation(
        user, perp_market_map, spot_market_map, oracle_map, buffer_ratio, tracked_market
    )
    liquidation_id = _begin_liquidation(margin_calculation, user, slot)
    if liquidation_id is None:
        return None
    canceled_order_ids = _cancel_orders_for_liquidation(
        user, perp_market_map, spot_market_map, oracle_map, state, now, slot, events
    )
    record_header = _LiquidationRecordHeader(
        now,
        LiquidationType.LiquidateSpot,
        0,
        user,
        liquidator,
        margin_calculation,
        liquidation_id,
        {
            "asset_market_index": asset_market_index,
            "asset_price": asset_price,
            "liability_market_index": liability_market_index,
            "liability_price": liability_price,
        },
    )
    intermediate_margin_calculation, margin_freed = margin_calculation, 0
    if canceled_order_ids:
        intermediate_margin_calculation, margin_freed = _margin_after_cancels(
            user,
            perp_market_map,
            spot_market_map,
            oracle_map,
            buffer_ratio,
            tracked_market,
            margin_calculation,
        )
        if intermediate_margin_calculation.can_exit_liquidation():
            record = record_header.emit(
                events, margin_freed, canceled_order_ids=tuple(canceled_order_ids)
            )
            exit_liquidation(user)
            return record

    margin_shortage = intermediate_margin_calculation.margin_shortage()
    liability_weight_with_buffer = liability_market.maintenance_liability_weight + buffer_ratio
    liquidation_if_fee = calculate_spot_if_fee(
        intermediate_margin_calculation.tracked_market_margin_shortage(margin_shortage),
        liability_amount,
        asset_weight,
        asset_liquidation_multiplier,
        liability_weight_with_buffer,
        liability_liquidation_multiplier,
        liability_decimals,
        liability_price,
        liability_market.if_liquidation_fee,
    )
    liability_transfer_to_cover_margin_shortage = (
        calculate_liability_transfer_to_cover_margin_shortage(
            margin_shortage,
            asset_weight,
            asset_liquidation_multiplier,
            liability_weight_with_buffer,
            liability_liquidation_multiplier,
            liability_decimals,
            liability_price,
            liquidation_if_fee,
        )
    )
    max_liability_allowed_to_be_transferred = _max_transfer_allowed(
        user, liability_transfer_to_cover_margin_shortage, margin_shortage, slot, state
    )
    if max_liability_allowed_to_be_transferred == 0:
        return None

    liability_transfer = _liability_transfer(
        liquidator_max_liability_transfer,
        liability_amount,
        get_token_value(liability_amount, liability_decimals, liability_price),
        max_liability_allowed_to_be_transferred,
        calculate_liability_transfer_implied_by_asset_amount(
            asset_amount,
            asset_liquidation_multiplier,
            asset_decimals,
            asset_price,
            liability_liquidation_multiplier,
            liability_decimals,
            liability_price,
        ),
    )
    asset_transfer = calculate_asset_transfer_for_liability_transfer(
        asset_amount,
        asset_liquidation_multiplier,
        asset_decimals,
        asset_price,
        liability_transfer,
        liability_liquidation_multiplier,
        liability_decimals,
        liability_price,
    )
    if asset_transfer == 0 or liability_transfer == 0:
        raise InvalidLiquidation(
            f"asset_transfer {asset_transfer} / liability_transfer {liability_transfer} is zero "
            f"(asset market {asset_market_index}, liability market {liability_market_index})"
        )
    _check_spot_oracle_not_divergent(liability_price, liability_market, state)
    _check_spot_oracle_not_divergent(asset_price, asset_market, state)
    validate_transfer_satisfies_limit_price(
        asset_transfer, liability_transfer, asset_decimals, liability_decimals, limit_price
    )

    if_fee = div_floor(liability_transfer * liquidation_if_fee, LIQUIDATION_FEE_PRECISION)
    _update_spot_balances_and_cumulative_deposits(
        liability_transfer - if_fee,
        SpotBalanceType.Deposit,
        liability_market,
        _user_spot_position(user, liability_market_index, "liability"),
    )
    update_revenue_pool_balances(if_fee, SpotBalanceType.Deposit, liability_market)
    _update_spot_balances_and_cumulative_deposits(
        liability_transfer, SpotBalanceType.Borrow, liability_market, liquidator_liability_position
    )
    _update_spot_balances_and_cumulative_deposits(
        asset_transfer,
        SpotBalanceType.Deposit,
        asset_market,
        _force_get_spot_position(liquidator, asset_market_index),
    )
    _update_spot_balances_and_cumulative_deposits(
        asset_transfer,
        SpotBalanceType.Borrow,
        asset_market,
        _force_get_spot_position(user, asset_market_index),
    )

    margin_freed += _calculate_margin_freed(
        user, perp_market_map, spot_market_map, oracle_map, buffer_ratio, margin_shortage
    )
    _finish_liquidation(user, liability_transfer, liability_transfer_to_cover_margin_shortage)
    _require_liquidator_initial_margin(
        liquidator, perp_market_map, spot_market_map, oracle_map, "borrow"
    )

    return record_header.emit(
        events,
        margin_freed,
        asset_transfer=asset_transfer,
        liability_transfer=liability_transfer,
        if_fee=if_fee,
    )


def _perp_position_without_base(user: User, market_index: int) -> PerpPosition:
    position = get_perp_position(user, market_index)
    if position.base_asset_amount != 0:
        raise InvalidPerpPositionToLiquidate(
            f"user {user.key} still has an open perp position (base_asset_amount "
            f"{position.base_asset_amount}) in market {market_index}"
        )
    if position.lp_shares > 0:
        raise InvalidPerpPositionToLiquidate(
            f"user {user.key} is an lp ({position.lp_shares} shares) in market {market_index}: "
            f"liquidate_perp must burn them first"
        )
    return position


def liquidate_borrow_for_perp_pnl(
    perp_market_index: int,
    liability_market_index: int,
    liquidator_max_liability_transfer: int,
    limit_price: int | None,
    user: User,
    liquidator: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    now: int,
    slot: int,
    state: State,
    events: list,
) -> LiquidationRecord | None:
    """The liquidator repays part of a user's borrow and takes the user's positive unsettled
    perp pnl (a position with no base) at a premium.

    The pnl (quote 1e6, 6 decimals, quote oracle price) is the asset: weight = the market's
    maintenance unrealized-pnl asset weight, multiplier 1e6 + perp liquidator_fee; the liability
    multiplier is 1e6 - liability market liquidator_fee. No IF fee. Sizing as liquidate_spot
    (cover amount, max pct, $10 dust rule, liability implied by the whole pnl). Moves: the user's
    borrow is repaid (Deposit) and the liquidator borrows the same tokens; the pnl moves from
    the user's perp quote to the liquidator's. Errors: InvalidPerpPositionToLiquidate (open
    base, LP shares, pnl <= 0), WrongSpotBalanceType, InvalidSpotPosition, SufficientCollateral,
    InvalidLiquidation (zero transfer), LiquidationDoesntSatisfyLimitPrice,
    InsufficientCollateral (liquidator initial margin). `state` supplies the liquidation
    buffer, initial pct and duration (separate arguments in the reference).

    Source: programs/drift/src/controller/liquidation.rs::liquidate_borrow_for_perp_pnl
    """
    buffer_ratio = state.liquidation_margin_buffer_ratio
    _validate_not_bankrupt(user, liquidator)
    market = _get_perp_market(perp_market_map, perp_market_index)
    _check_perp_liquidation_not_paused(market)
    liability_market = _get_spot_market(spot_market_map, liability_market_index)
    get_perp_position(user, perp_market_index)
    _user_spot_position(user, liability_market_index, "liability")
    liquidator_position = force_get_perp_position(liquidator, perp_market_index)
    liquidator_liability_position = _force_get_spot_position(liquidator, liability_market_index)
    _settle_funding(market, now, events, user, liquidator)

    user_position = _perp_position_without_base(user, perp_market_index)
    pnl = user_position.quote_asset_amount
    if pnl <= 0:
        raise InvalidPerpPositionToLiquidate(
            f"user {user.key} perp pnl {pnl} in market {perp_market_index} is not positive"
        )
    quote_price = oracle_map.get_spot(market.quote_spot_market_index).price
    quote_decimals = 6
    pnl_asset_weight = get_unrealized_asset_weight(market, pnl, MarginRequirementType.Maintenance)
    pnl_liquidation_multiplier = calculate_liquidation_multiplier(market.liquidator_fee, True)

    liability_price = _spot_oracle_price_for_liquidation(liability_market, oracle_map, state)
    liability_amount = _spot_token_amount(
        user, liability_market, SpotBalanceType.Borrow, "liability"
    )
    liability_decimals = liability_market.decimals
    liability_liquidation_multiplier = calculate_liquidation_multiplier(
        liability_market.liquidator_fee, False
    )

    margin_calculation = _liquidation_margin_calculation(
        user, perp_market_map, spot_market_map, oracle_map, buffer_ratio, None
    )
    liquidation_id = _begin_liquidation(margin_calculation, user, slot)
    if liquidation_id is None:
        return None
    canceled_order_ids = _cancel_orders_for_liquidation(
        user, perp_market_map, spot_market_map, oracle_map, state, now, slot, events
    )
    record_header = _LiquidationRecordHeader(
        now,
        LiquidationType.LiquidateBorrowForPerpPnl,
        perp_market_index,
        user,
        liquidator,
        margin_calculation,
        liquidation_id,
        {
            "oracle_price": oracle_map.get_perp(perp_market_index).price,
            "liability_market_index": liability_market_index,
            "liability_price": liability_price,
        },
    )
    intermediate_margin_calculation, margin_freed = margin_calculation, 0
    if canceled_order_ids:
        intermediate_margin_calculation, margin_freed = _margin_after_cancels(
            user,
            perp_market_map,
            spot_market_map,
            oracle_map,
            buffer_ratio,
            None,
            margin_calculation,
        )
        if intermediate_margin_calculation.can_exit_liquidation():
            record = record_header.emit(
                events, margin_freed, canceled_order_ids=tuple(canceled_order_ids)
            )
            exit_liquidation(user)
            return record

    margin_shortage = intermediate_margin_calculation.margin_shortage()
    liability_transfer_to_cover_margin_shortage = (
        calculate_liability_transfer_to_cover_margin_shortage(
            margin_shortage,
            pnl_asset_weight,
            pnl_liquidation_multiplier,
            liability_market.maintenance_liability_weight + buffer_ratio,
            liability_liquidation_multiplier,
            liability_decimals,
            liability_price,
            0,
        )
    )
    max_liability_allowed_to_be_transferred = _max_transfer_allowed(
        user, liability_transfer_to_cover_margin_shortage, margin_shortage, slot, state
    )
    if max_liability_allowed_to_be_transferred == 0:
        return None

    liability_transfer = _liability_transfer(
        liquidator_max_liability_transfer,
        liability_amount,
        get_token_value(liability_amount, liability_decimals, liability_price),
        max_liability_allowed_to_be_transferred,
        calculate_liability_transfer_implied_by_asset_amount(
            pnl,
            pnl_liquidation_multiplier,
            quote_decimals,
            quote_price,
            liability_liquidation_multiplier,
            liability_decimals,
            liability_price,
        ),
    )
    pnl_transfer = calculate_asset_transfer_for_liability_transfer(
        pnl,
        pnl_liquidation_multiplier,
        quote_decimals,
        quote_price,
        liability_transfer,
        liability_liquidation_multiplier,
        liability_decimals,
        liability_price,
    )
    if liability_transfer == 0 or pnl_transfer == 0:
        raise InvalidLiquidation(
            f"liability_transfer {liability_transfer} / pnl_transfer {pnl_transfer} is zero "
            f"(perp market {perp_market_index}, liability market {liability_market_index})"
        )
    validate_transfer_satisfies_limit_price(
        pnl_transfer, liability_transfer, quote_decimals, liability_decimals, limit_price
    )

    _update_spot_balances_and_cumulative_deposits(
        liability_transfer,
        SpotBalanceType.Deposit,
        liability_market,
        _force_get_spot_position(user, liability_market_index),
    )
    _update_spot_balances_and_cumulative_deposits(
        liability_transfer, SpotBalanceType.Borrow, liability_market, liquidator_liability_position
    )
    update_quote_asset_amount(liquidator_position, market, pnl_transfer)
    update_quote_asset_amount(user_position, market, -pnl_transfer)

    margin_freed += _calculate_margin_freed(
        user, perp_market_map, spot_market_map, oracle_map, buffer_ratio, margin_shortage
    )
    _finish_liquidation(user, liability_transfer, liability_transfer_to_cover_margin_shortage)
    _require_liquidator_initial_margin(
        liquidator, perp_market_map, spot_market_map, oracle_map, "borrow"
    )

    return record_header.emit(
        events, margin_freed, pnl_transfer=pnl_transfer, liability_transfer=liability_transfer
    )


def liquidate_perp_pnl_for_deposit(
    perp_market_index: int,
    asset_market_index: int,
    liquidator_max_pnl_transfer: int,
    limit_price: int | None,
    user: User,
    liquidator: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    now: int,
    slot: int,
    state: State,
    events: list,
) -> LiquidationRecord | None:
    """The liquidator takes over a user's negative unsettled perp pnl (a position with no base)
    in exchange for user deposits at a premium.

    The pnl is the liability: weight 1e4 (SPOT_WEIGHT_PRECISION), 6 decimals at the quote
    oracle price, multiplier 1e6 - perp liquidator_fee; the asset multiplier is 1e6 + asset
    market liquidator_fee. No IF fee. After cancelling orders the contract tier of the market
    must be as safe as the user's safest perp and spot liabilities: otherwise the call returns
    early (record, no transfer) if orders were cancelled, else TierViolationLiquidatingPerpPnl.
    Sizing as liquidate_spot, with a pnl of at most $10 transferable whole. Moves: the deposit
    goes from user to liquidator (asset market balances); the liquidator's perp quote is
    debited and the user's credited by the pnl transfer. Errors as liquidate_borrow_for_perp_pnl
    with pnl >= 0 rejected. `state` supplies the buffer, initial pct and duration.

    Source: programs/drift/src/controller/liquidation.rs::liquidate_perp_pnl_for_deposit
    """
    buffer_ratio = state.liquidation_margin_buffer_ratio
    _validate_not_bankrupt(user, liquidator)
    asset_market = _get_spot_market(spot_market_map, asset_market_index)
    market = _get_perp_market(perp_market_map, perp_market_index)
    _check_perp_liquidation_not_paused(market)
    get_perp_position(user, perp_market_index)
    _user_spot_position(user, asset_market_index, "asset")
    liquidator_position = force_get_perp_position(liquidator, perp_market_index)
    liquidator_asset_position = _force_get_spot_position(liquidator, asset_market_index)
    _settle_funding(market, now, events, user, liquidator)

    asset_price = _spot_oracle_price_for_liquidation(asset_market, oracle_map, state)
    asset_amount = _spot_token_amount(user, asset_market, SpotBalanceType.Deposit, "asset")
    asset_decimals = asset_market.decimals
    asset_weight = asset_market.maintenance_asset_weight
    asset_liquidation_multiplier = calculate_liquidation_multiplier(
        asset_market.liquidator_fee, True
    )

    user_position = _perp_position_without_base(user, perp_market_index)
    if user_position.quote_asset_amount >= 0:
        raise InvalidPerpPositionToLiquidate(
            f"user {user.key} perp pnl {user_position.quote_asset_amount} in market "
            f"{perp_market_index} is not negative"
        )
    unsettled_pnl = -user_position.quote_asset_amount
    quote_price = oracle_map.get_spot(market.quote_spot_market_index).price
    quote_decimals = 6
    pnl_liquidation_multiplier = calculate_liquidation_multiplier(market.liquidator_fee, False)

    margin_calculation = _liquidation_margin_calculation(
        user, perp_market_map, spot_market_map, oracle_map, buffer_ratio, None
    )
    liquidation_id = _begin_liquidation(margin_calculation, user, slot)
    if liquidation_id is None:
        return None
    canceled_order_ids = _cancel_orders_for_liquidation(
        user, perp_market_map, spot_market_map, oracle_map, state, now, slot, events
    )
    safest_tier_spot_liability, safest_tier_perp_liability = calculate_user_safest_position_tiers(
        user, perp_market_map, spot_market_map
    )
    is_contract_tier_violation = not is_contract_tier_as_safe_as(
        market.contract_tier, safest_tier_perp_liability, safest_tier_spot_liability
    )
    record_header = _LiquidationRecordHeader(
        now,
        LiquidationType.LiquidatePerpPnlForDeposit,
        perp_market_index,
        user,
        liquidator,
        margin_calculation,
        liquidation_id,
        {
            "oracle_price": oracle_map.get_perp(perp_market_index).price,
            "asset_market_index": asset_market_index,
            "asset_price": asset_price,
        },
    )
    intermediate_margin_calculation, margin_freed = margin_calculation, 0
    if canceled_order_ids:
        intermediate_margin_calculation, margin_freed = _margin_after_cancels(
            user,
            perp_market_map,
            spot_market_map,
            oracle_map,
            buffer_ratio,
            None,
            margin_calculation,
        )
        exiting_liquidation = intermediate_margin_calculation.can_exit_liquidation()
        if exiting_liquidation or is_contract_tier_violation:
            record = record_header.emit(
                events, margin_freed, canceled_order_ids=tuple(canceled_order_ids)
            )
            if exiting_liquidation:
                exit_liquidation(user)
            return record

    if is_contract_tier_violation:
        raise TierViolationLiquidatingPerpPnl(
            f"contract tier {market.contract_tier.name} of market {perp_market_index} is riskier "
            f"than the user's safest liabilities (perp {safest_tier_perp_liability.name}, spot "
            f"{safest_tier_spot_liability.name})"
        )

    margin_shortage = intermediate_margin_calculation.margin_shortage()
    pnl_transfer_to_cover_margin_shortage = calculate_liability_transfer_to_cover_margin_shortage(
        margin_shortage,
        asset_weight,
        asset_liquidation_multiplier,
        SPOT_WEIGHT_PRECISION,
        pnl_liquidation_multiplier,
        quote_decimals,
        quote_price,
        0,
    )
    max_pnl_allowed_to_be_transferred = _max_transfer_allowed(
        user, pnl_transfer_to_cover_margin_shortage, margin_shortage, slot, state
    )
    if max_pnl_allowed_to_be_transferred == 0:
        return None

    pnl_transfer = _liability_transfer(
        liquidator_max_pnl_transfer,
        unsettled_pnl,
        unsettled_pnl,
        max_pnl_allowed_to_be_transferred,
        calculate_liability_transfer_implied_by_asset_amount(
            asset_amount,
            asset_liquidation_multiplier,
            asset_decimals,
            asset_price,
            pnl_liquidation_multiplier,
            quote_decimals,
            quote_price,
        ),
    )
    asset_transfer = calculate_asset_transfer_for_liability_transfer(
        asset_amount,
        asset_liquidation_multiplier,
        asset_decimals,
        asset_price,
        pnl_transfer,
        pnl_liquidation_multiplier,
        quote_decimals,
        quote_price,
    )
    if asset_transfer == 0 or pnl_transfer == 0:
        raise InvalidLiquidation(
            f"asset_transfer {asset_transfer} / pnl_transfer {pnl_transfer} is zero "
            f"(asset market {asset_market_index}, perp market {perp_market_index})"
        )
    validate_transfer_satisfies_limit_price(
        asset_transfer, pnl_transfer, asset_decimals, quote_decimals, limit_price
    )

    _update_spot_balances_and_cumulative_deposits(
        asset_transfer, SpotBalanceType.Deposit, asset_market, liquidator_asset_position
    )
    _update_spot_balances_and_cumulative_deposits(
        asset_transfer,
        SpotBalanceType.Borrow,
        asset_market,
        _user_spot_position(user, asset_market_index, "asset"),
    )
    update_quote_asset_amount(liquidator_position, market, -pnl_transfer)
    update_quote_asset_amount(user_position, market, pnl_transfer)

    margin_freed += _calculate_margin_freed(
        user, perp_market_map, spot_market_map, oracle_map, buffer_ratio, margin_shortage
    )
    _finish_liquidation(user, pnl_transfer, pnl_transfer_to_cover_margin_shortage)
    _require_liquidator_initial_margin(
        liquidator, perp_market_map, spot_market_map, oracle_map, "pnl"
    )

    return record_header.emit(
        events, margin_freed, pnl_transfer=pnl_transfer, asset_transfer=asset_transfer
    )


def _validate_bankrupt_user_and_liquidator(user: User, liquidator: User) -> None:
    if user is liquidator:
        raise UserCantLiquidateThemself(f"user {user.key} cannot resolve its own bankruptcy")
    if not user.is_bankrupt() and is_user_bankrupt(user):
        enter_bankruptcy(user)
    if not user.is_bankrupt():
        raise UserNotBankrupt(f"user {user.key} is not bankrupt")
    if liquidator.is_being_liquidated():
        raise UserIsBeingLiquidated(f"liquidator {liquidator.key} is being liquidated")


def _pay_from_insurance_fund(spot_market: SpotMarket, if_payment: int) -> None:
    """Move IF vault tokens into the spot market vault (no balance is credited here)."""
    spot_market.insurance_fund.vault_amount -= if_payment
    spot_market.vault_amount += if_payment


def resolve_perp_bankruptcy(
    market_index: int,
    user: User,
    liquidator: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    now: int,
    events: list,
) -> int:
    """Clear a bankrupt user's negative perp quote (1e6): insurance fund, then fee pool, then
    every open position through the cumulative funding rates. Returns the IF payment.

    1. Flags the user bankrupt if is_user_bankrupt; UserNotBankrupt otherwise;
       UserIsBeingLiquidated if the liquidator is flagged; InvalidLiquidation if paused;
       InvalidPerpPositionToLiquidate unless the quote is negative.
    2. IF: if_payment = min(|loss|, V -sat 1, quote_max_insurance - quote_settled_insurance)
       with V = the quote market's insurance_fund.vault_amount; quote_settled_insurance grows;
       the pnl pool is credited (Deposit) and the tokens move from the IF vault into the quote
       spot vault (insurance_fund.vault_amount -= p, spot_market.vault_amount += p).
    3. Fee pool: min(remaining, fee pool tokens) is debited from the fee pool (Borrow) with no
       matching credit — the reference's quirk; the tokens stay in the vault unallocated and
       are booked on `market.bankruptcy_fee_pool_surplus`.
    4. The rest is socialised: delta = calculate_funding_rate_deltas_to_resolve_bankruptcy
       (raises CantResolvePerpBankruptcy without open interest even when nothing is left);
       if anything is left, amm.total_social_loss += it, cumulative_funding_rate_long += delta,
       cumulative_funding_rate_short -= delta (both sides pay at their next funding settle).
    5. The position's quote is zeroed (market sums follow); user.total_social_loss += the whole
       loss; bankruptcy is lifted if the user is no longer bankrupt; a PerpBankruptcy
       LiquidationRecord (if_payment, pnl, delta) is appended.

    The quote market's interest accrual before the pnl pool credit is the caller's (the
    spot-balance controller's) step.

    Source: programs/drift/src/controller/liquidation.rs::resolve_perp_bankruptcy (and the token
    transfer of programs/drift/src/instructions/keeper.rs::handle_resolve_perp_bankruptcy)
    """
    _validate_bankrupt_user_and_liquidator(user, liquidator)
    market = _get_perp_market(perp_market_map, market_index)
    _check_perp_liquidation_not_paused(market)
    position = get_perp_position(user, market_index)
    loss = position.quote_asset_amount
    if loss >= 0:
        raise InvalidPerpPositionToLiquidate(
            f"user {user.key} quote {loss} in market {market_index} is not a loss"
        )
    margin_calculation = calculate_margin_requirement_and_total_collateral_and_liability_info(
        user,
        perp_market_map,
        spot_market_map,
        oracle_map,
        MarginContext.standard(MarginRequirementType.Maintenance),
    )

    quote_spot_market = _get_spot_market(spot_market_map, QUOTE_SPOT_MARKET_INDEX)
    claim = market.insurance_claim
    max_insurance_withdraw = claim.quote_max_insurance - claim.quote_settled_insurance
    if max_insurance_withdraw < 0:
        raise MathError(
            f"quote_settled_insurance {claim.quote_settled_insurance} exceeds "
            f"quote_max_insurance {claim.quote_max_insurance} in market {market_index}"
        )
    insurance_fund_vault_balance = quote_spot_market.insurance_fund.vault_amount
    if_payment = min(-loss, max(insurance_fund_vault_balance - 1, 0), max_insurance_withdraw)
    claim.quote_settled_insurance += if_payment
    update_spot_balances(
        if_payment, SpotBalanceType.Deposit, quote_spot_market, market.pnl_pool, False
    )

    losses_remaining = loss + if_payment
    fee_pool_payment = 0
    if losses_remaining < 0:
        fee_pool_tokens = get_token_amount(
            market.amm.fee_pool.scaled_balance, quote_spot_market, SpotBalanceType.Deposit
        )
        fee_pool_payment = min(-losses_remaining, fee_pool_tokens)
    if fee_pool_payment > 0:
        update_spot_balances(
            fee_pool_payment, SpotBalanceType.Borrow, quote_spot_market, market.amm.fee_pool, False
        )
        market.bankruptcy_fee_pool_surplus += fee_pool_payment

    loss_to_socialize = losses_remaining + fee_pool_payment
    cumulative_funding_rate_delta = calculate_funding_rate_deltas_to_resolve_bankruptcy(
        loss_to_socialize, market
    )
    if loss_to_socialize < 0:
        market.amm.total_social_loss += -loss_to_socialize
        market.amm.cumulative_funding_rate_long += cumulative_funding_rate_delta
        market.amm.cumulative_funding_rate_short -= cumulative_funding_rate_delta

    update_quote_asset_amount(position, market, -loss)
    user.total_social_loss += -loss
    if not is_user_bankrupt(user):
        exit_liquidation(user)

    events.append(
        LiquidationRecord(
            ts=now,
            liquidation_type=LiquidationType.PerpBankruptcy,
            user=user.key,
            liquidator=liquidator.key,
            market_index=market_index,
            margin_requirement=margin_calculation.margin_requirement,
            total_collateral=margin_calculation.total_collateral,
            margin_freed=0,
            liquidation_id=user.next_liquidation_id - 1,
            bankrupt=True,
            if_payment=if_payment,
            pnl=loss,
            cumulative_funding_rate_delta=cumulative_funding_rate_delta,
        )
    )
    _pay_from_insurance_fund(quote_spot_market, if_payment)
    return if_payment


def resolve_spot_bankruptcy(
    market_index: int,
    user: User,
    liquidator: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    now: int,
    events: list,
) -> int:
    """Clear a bankrupt user's borrow (token decimals): the market's insurance fund pays what it
    can, the depositors absorb the rest through a cut of the cumulative deposit interest.
    Returns the IF payment.

    1. Bankruptcy/liquidator checks as resolve_perp_bankruptcy; CouldNotFindSpotPosition
       without a position; UserHasInvalidBorrow unless it is a borrow with scaled balance > 0.
    2. borrow = its token amount (rounded up); if_payment = min(borrow, V -sat 1) with V the
       market's insurance_fund.vault_amount (no per-market cap for spot).
    3. delta = ceil(cumulative_deposit_interest x (borrow - if_payment) / deposit tokens)
       (0 without deposits), computed before the borrow is cleared.
    4. user.total_social_loss += |floor(-borrow x oracle / 10^decimals)| (quote 1e6); the
       position is credited a Deposit of `borrow` (clearing it; cumulative_deposits += borrow);
       cumulative_deposit_interest -= delta; market total_social_loss += borrow and
       total_quote_social_loss += the quote loss.
    5. Bankruptcy lifted if possible; a SpotBankruptcy LiquidationRecord is appended; the IF
       payment moves from the IF vault into the spot vault without crediting any balance: it
       backs the repaid borrow, so depositors lose only the socialised part.

    Interest accrual of the market is the caller's (the spot-balance controller's) step.

    Source: programs/drift/src/controller/liquidation.rs::resolve_spot_bankruptcy (and the token
    transfer of programs/drift/src/instructions/keeper.rs::handle_resolve_spot_bankruptcy)
    """
    _validate_bankrupt_user_and_liquidator(user, liquidator)
    spot_market = _get_spot_market(spot_market_map, market_index)
    spot_position = _user_spot_position(user, market_index, "bankrupt")
    margin_calculation = calculate_margin_requirement_and_total_collateral_and_liability_info(
        user,
        perp_market_map,
        spot_market_map,
        oracle_map,
        MarginContext.standard(MarginRequirementType.Maintenance),
    )
    if (
        spot_position.balance_type is not SpotBalanceType.Borrow
        or spot_position.scaled_balance <= 0
    ):
        raise UserHasInvalidBorrow(
            f"user {user.key} holds a {spot_position.balance_type.name} of scaled balance "
            f"{spot_position.scaled_balance} in spot market {market_index}"
        )
    borrow_amount = get_token_amount(
        spot_position.scaled_balance, spot_market, SpotBalanceType.Borrow
    )
    insurance_fund_vault_balance = spot_market.insurance_fund.vault_amount
    if_payment = min(borrow_amount, max(insurance_fund_vault_balance - 1, 0))
    loss_to_socialize = borrow_amount - if_payment
    cumulative_deposit_interest_delta = (
        calculate_cumulative_deposit_interest_delta_to_resolve_bankruptcy(
            loss_to_socialize, spot_market
        )
    )

    oracle_price = oracle_map.get_spot(market_index).price
    quote_social_loss = -get_token_value(-borrow_amount, spot_market.decimals, oracle_price)
    user.total_social_loss += quote_social_loss
    _update_spot_balances_and_cumulative_deposits(
        borrow_amount, SpotBalanceType.Deposit, spot_market, spot_position
    )
    if cumulative_deposit_interest_delta > spot_market.cumulative_deposit_interest:
        raise MathError(
            f"deposit interest delta {cumulative_deposit_interest_delta} exceeds "
            f"cumulative_deposit_interest {spot_market.cumulative_deposit_interest}"
        )
    spot_market.cumulative_deposit_interest -= cumulative_deposit_interest_delta
    spot_market.total_social_loss += borrow_amount
    spot_market.total_quote_social_loss += quote_social_loss

    if not is_user_bankrupt(user):
        exit_liquidation(user)
    events.append(
        LiquidationRecord(
            ts=now,
            liquidation_type=LiquidationType.SpotBankruptcy,
            user=user.key,
            liquidator=liquidator.key,
            market_index=market_index,
            margin_requirement=margin_calculation.margin_requirement,
            total_collateral=margin_calculation.total_collateral,
            margin_freed=0,
            liquidation_id=user.next_liquidation_id - 1,
            bankrupt=True,
            borrow_amount=borrow_amount,
            if_payment=if_payment,
            cumulative_deposit_interest_delta=cumulative_deposit_interest_delta,
        )
    )
    _pay_from_insurance_fund(spot_market, if_payment)
    return if_payment


def resolve_perp_pnl_deficit(
    market_index: int,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    now: int,
    events: list,
) -> int:
    """Pay insurance-fund money into the pnl pool of a perp market whose AMM is in deficit
    while users are net winners beyond its unrealized_pnl_max_imbalance. Never socialised.
    Returns the amount (quote 1e6).

    Requires total_fee_minus_distributions < 0 (NoAmmPerpPnlDeficit) and an empty pnl pool
    (SufficientPerpPnlPool). excess = net user pnl at the last oracle price - max imbalance
    (0 when the imbalance is 0) must be > 0 (PerpPnlDeficitBelowThreshold); the room left in
    the revenue withdraw period (MaxRevenueWithdrawPerPeriodReached) and in quote_max_insurance
    (MaxIFWithdrawReached) must be > 0; w = min(excess, both rooms, V -sat 1) > 0
    (NoIFWithdrawAvailable), V = the quote market's insurance_fund.vault_amount. Then
    tfmd += w, revenue_withdraw_since_last_settle += w, quote_settled_insurance += w,
    last_revenue_withdraw_ts = now, pnl pool += w (Deposit), and the tokens move from the IF
    vault into the quote spot vault. Appends an InsuranceFundRecord with amount -w.

    The handler's AMM update, oracle and price-band checks and the interest accrual of the
    quote market are the caller's.

    Source: programs/drift/src/controller/insurance.rs::resolve_perp_pnl_deficit (and the token
    transfer of programs/drift/src/instructions/keeper.rs::handle_resolve_perp_pnl_deficit)
    """
    market = _get_perp_market(perp_market_map, market_index)
    spot_market = _get_spot_market(spot_market_map, market.quote_spot_market_index)
    amm = market.amm
    claim = market.insurance_claim
    if amm.total_fee_minus_distributions >= 0:
        raise NoAmmPerpPnlDeficit(
            f"market {market_index} total_fee_minus_distributions "
            f"{amm.total_fee_minus_distributions} must be negative"
        )
    pnl_pool_token_amount = get_token_amount(
        market.pnl_pool.scaled_balance, spot_market, SpotBalanceType.Deposit
    )
    if pnl_pool_token_amount != 0:
        raise SufficientPerpPnlPool(
            f"market {market_index} pnl pool still holds {pnl_pool_token_amount}"
        )
    excess_user_pnl_imbalance = 0
    if market.unrealized_pnl_max_imbalance > 0:
        excess_user_pnl_imbalance = (
            calculate_net_user_pnl(amm, amm.historical_oracle_data.last_oracle_price)
            - market.unrealized_pnl_max_imbalance
        )
    if excess_user_pnl_imbalance <= 0:
        raise PerpPnlDeficitBelowThreshold(
            f"market {market_index} has no excess user pnl imbalance ({excess_user_pnl_imbalance})"
        )
    max_revenue_withdraw = (
        claim.max_revenue_withdraw_per_period - claim.revenue_withdraw_since_last_settle
    )
    if max_revenue_withdraw <= 0:
        raise MaxRevenueWithdrawPerPeriodReached(
            f"market {market_index} revenue withdrawn {claim.revenue_withdraw_since_last_settle} "
            f"of {claim.max_revenue_withdraw_per_period} this period"
        )
    max_insurance_withdraw = claim.quote_max_insurance - claim.quote_settled_insurance
    if max_insurance_withdraw <= 0:
        raise MaxIFWithdrawReached(
            f"market {market_index} settled insurance {claim.quote_settled_insurance} of "
            f"{claim.quote_max_insurance}"
        )
    insurance_vault_amount = spot_market.insurance_fund.vault_amount
    insurance_withdraw = min(
        excess_user_pnl_imbalance,
        max_revenue_withdraw,
        max_insurance_withdraw,
        max(insurance_vault_amount - 1, 0),
    )
    if insurance_withdraw <= 0:
        raise NoIFWithdrawAvailable(
            f"insurance vault {insurance_vault_amount} cannot pay market {market_index}'s excess "
            f"user pnl {excess_user_pnl_imbalance}"
        )
    vault_amount_before = spot_market.vault_amount
    amm.total_fee_minus_distributions += insurance_withdraw
    claim.revenue_withdraw_since_last_settle += insurance_withdraw
    claim.quote_settled_insurance += insurance_withdraw
    claim.last_revenue_withdraw_ts = now
    update_spot_balances(
        insurance_withdraw, SpotBalanceType.Deposit, spot_market, market.pnl_pool, False
    )
    total_if_shares = spot_market.insurance_fund.total_shares
    events.append(
        InsuranceFundRecord(
            ts=now,
            spot_market_index=spot_market.market_index,
            perp_market_index=market_index,
            user_if_factor=spot_market.insurance_fund.user_factor,
            total_if_factor=spot_market.insurance_fund.total_factor,
            vault_amount_before=vault_amount_before,
            insurance_vault_amount_before=insurance_vault_amount,
            total_if_shares_before=total_if_shares,
            total_if_shares_after=total_if_shares,
            amount=-insurance_withdraw,
        )
    )
    _pay_from_insurance_fund(spot_market, insurance_withdraw)
    return insurance_withdraw


copy_by_constructor(_LiquidationRecordHeader)
