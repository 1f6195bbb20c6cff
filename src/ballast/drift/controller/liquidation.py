"""Perp liquidation: a keeper takes over part of an under-margined user's position at the oracle.

The user pays the liquidator a fee and the insurance fund an IF fee out of its position quote;
`amm.total_liquidation_fee` records the IF fee (it reaches the revenue pool via the fee pool).
The AMM is not a counterparty. A user left with only liabilities is flagged bankrupt; resolving
the bankruptcy is a separate instruction.

Units: base 1e9, quote 1e6, prices 1e6, fees 1e6, margin ratios 1e4.

Source: programs/drift/src/controller/liquidation.rs::liquidate_perp
"""

from __future__ import annotations

from ballast.drift.constants import (
    FIFTY_QUOTE,
    LIQUIDATION_FEE_PRECISION,
    LIQUIDATION_PCT_PRECISION,
)
from ballast.drift.controller.funding import settle_funding_payment
from ballast.drift.controller.lp import burn_lp_shares
from ballast.drift.controller.orders import (
    cancel_orders,
    update_maker_volume_30d,
    update_taker_volume_30d,
)
from ballast.drift.controller.position import (
    force_get_perp_position,
    update_position_and_market,
    update_quote_asset_and_break_even_amount,
)
from ballast.drift.controller.repeg import _update_amm
from ballast.drift.controller.user import (
    enter_bankruptcy,
    enter_liquidation,
    exit_liquidation,
    increment_margin_freed,
)
from ballast.drift.errors import (
    InsufficientCollateral,
    InvalidBaseAssetAmountForLiquidatePerp,
    InvalidLiquidation,
    InvalidOracle,
    InvalidPerpPosition,
    LiquidationDoesntSatisfyLimitPrice,
    PerpMarketNotFound,
    PositionDoesntHaveOpenPositionOrOrders,
    PriceBandsBreached,
    SufficientCollateral,
    UserBankrupt,
    UserCantLiquidateThemself,
    UserHasNoPositionInMarket,
)
from ballast.drift.events import (
    LiquidationRecord,
    LiquidationType,
    LPAction,
    LPRecord,
    OrderAction,
    OrderActionExplanation,
    OrderActionRecord,
    OrderRecord,
)
from ballast.drift.math.bankruptcy import is_user_bankrupt
from ballast.drift.math.liquidation import (
    calculate_base_asset_amount_to_cover_margin_shortage,
    calculate_liquidation_transfer_price,
    calculate_max_pct_to_liquidate,
    calculate_perp_if_fee,
    get_liquidation_fee,
    get_max_liquidation_fee,
)
from ballast.drift.math.margin import (
    calculate_margin_requirement_and_total_collateral_and_liability_info,
    get_margin_ratio,
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
from ballast.drift.math.position import (
    calculate_base_asset_value_with_oracle_price,
    get_position_delta_for_fill,
)
from ballast.drift.state.margin_calculation import (
    MarginCalculation,
    MarginContext,
    MarginRequirementType,
)
from ballast.drift.state.oracle import DriftAction
from ballast.drift.state.oracle_map import OracleMap
from ballast.drift.state.perp_market import MarketStatus, PerpMarket, PerpOperation
from ballast.drift.state.spot_market import SpotMarket
from ballast.drift.state.state import State
from ballast.drift.state.user import (
    MarketType,
    OrderType,
    PerpPosition,
    PositionDirection,
    User,
    UserStats,
)
from ballast.fixed import cast_u64, div_floor

# Floor of the oracle vs 5-min twap divergence guard for liquidations (1e6): 50%.
# Source: programs/drift/src/state/state.rs::OracleGuardRails::max_oracle_twap_5min_percent_divergence
_MIN_ORACLE_TWAP_5MIN_PERCENT_DIVERGENCE = 500_000

__all__ = ["liquidate_perp"]


def _liquidation_margin_calculation(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    liquidation_margin_buffer_ratio: int,
    market_index: int | None,
) -> MarginCalculation:
    context = MarginContext.liquidation(liquidation_margin_buffer_ratio)
    if market_index is not None:
        context = context.track_market_margin_requirement(MarketType.Perp, market_index)
    return calculate_margin_requirement_and_total_collateral_and_liability_info(
        user, perp_market_map, spot_market_map, oracle_map, context
    )


def _position_direction(position: PerpPosition) -> PositionDirection:
    return PositionDirection.Long if position.base_asset_amount >= 0 else PositionDirection.Short


def _settle_funding(user: User, market: PerpMarket, now: int, events: list) -> None:
    record = settle_funding_payment(user, market, now)
    if record is not None:
        events.append(record)


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
    if user is liquidator:
        raise UserCantLiquidateThemself(f"user {user.key} cannot liquidate itself")
    if user.is_bankrupt():
        raise UserBankrupt(f"user {user.key} is bankrupt")
    if liquidator.is_bankrupt():
        raise UserBankrupt(f"liquidator {liquidator.key} is bankrupt")
    market = perp_market_map.get(market_index)
    if market is None:
        raise PerpMarketNotFound(f"perp market {market_index} not found")
    if market.is_operation_paused(PerpOperation.Liquidation):
        raise InvalidLiquidation(f"liquidation is paused for market {market_index}")

    _settle_funding(user, market, now, events)
    _settle_funding(liquidator, market, now, events)

    margin_calculation = _liquidation_margin_calculation(
        user, perp_market_map, spot_market_map, oracle_map, buffer_ratio, market_index
    )
    if not user.is_being_liquidated() and margin_calculation.meets_margin_requirement():
        raise SufficientCollateral(
            f"user {user.key} meets maintenance margin: collateral "
            f"{margin_calculation.total_collateral} >= requirement "
            f"{margin_calculation.margin_requirement}"
        )
    if user.is_being_liquidated() and margin_calculation.can_exit_liquidation():
        exit_liquidation(user)
        return None

    user_position = user.get_perp_position(market_index)
    if user_position is None:
        raise UserHasNoPositionInMarket(f"user {user.key} has no position in market {market_index}")
    liquidator_position = force_get_perp_position(liquidator, market_index)

    liquidation_id = enter_liquidation(user, slot)
    margin_freed = 0
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

    canceled_order_ids = cancel_orders(
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
        raise InvalidOracle(
            f"oracle of market {market_index} is {validity.name}: cannot liquidate"
        )
    oracle_price = (
        market.expiry_price if market.status is MarketStatus.Settlement else oracle_price_data.price
    )
    # BAL (drift_bal.md section 13): an account's LP shares go first, at no penalty.
    lp_shares = user_position.lp_shares
    if lp_shares > 0:
        lp_delta, lp_pnl = burn_lp_shares(user_position, market, lp_shares, oracle_price)
        events.append(
            LPRecord(
                ts=now,
                user=user.key,
                action=LPAction.RemoveLiquidity,
                n_shares=lp_shares,
                market_index=market_index,
                delta_base_asset_amount=lp_delta.base_asset_amount,
                delta_quote_asset_amount=lp_delta.quote_asset_amount,
                pnl=lp_pnl,
            )
        )

    if canceled_order_ids or lp_shares > 0:
        intermediate_margin_calculation = _liquidation_margin_calculation(
            user, perp_market_map, spot_market_map, oracle_map, buffer_ratio, market_index
        )
        margin_freed = cast_u64(
            max(
                margin_calculation.margin_shortage()
                - intermediate_margin_calculation.margin_shortage(),
                0,
            )
        )
        increment_margin_freed(user, margin_freed)
        if intermediate_margin_calculation.can_exit_liquidation():
            record = LiquidationRecord(
                ts=now,
                liquidation_type=LiquidationType.LiquidatePerp,
                user=user.key,
                liquidator=liquidator.key,
                market_index=market_index,
                margin_requirement=margin_calculation.margin_requirement,
                total_collateral=margin_calculation.total_collateral,
                margin_freed=margin_freed,
                liquidation_id=liquidation_id,
                bankrupt=user.is_bankrupt(),
                canceled_order_ids=tuple(canceled_order_ids),
                oracle_price=oracle_price,
                lp_shares=lp_shares,
            )
            events.append(record)
            exit_liquidation(user)
            return record
    else:
        intermediate_margin_calculation = margin_calculation

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
        max_divergence = max(
            state.oracle_guard_rails.price_divergence.oracle_twap_5min_percent_divergence,
            _MIN_ORACLE_TWAP_5MIN_PERCENT_DIVERGENCE,
        )
        twap_5min = market.amm.historical_oracle_data.last_oracle_price_twap_5min
        if is_oracle_too_divergent_with_twap_5min(oracle_price, twap_5min, max_divergence):
            raise PriceBandsBreached(
                f"oracle {oracle_price} too far from 5min twap {twap_5min} to liquidate in "
                f"market {market_index}"
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

    base_asset_value = calculate_base_asset_value_with_oracle_price(
        base_asset_amount, oracle_price
    )
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

    margin_calculation_after = _liquidation_margin_calculation(
        user, perp_market_map, spot_market_map, oracle_map, buffer_ratio, None
    )
    margin_freed_for_perp_position = cast_u64(
        max(margin_shortage - margin_calculation_after.margin_shortage(), 0)
    )
    margin_freed += margin_freed_for_perp_position
    increment_margin_freed(user, margin_freed_for_perp_position)

    if base_asset_amount >= base_asset_amount_to_cover_margin_shortage:
        exit_liquidation(user)
    elif is_user_bankrupt(user):
        enter_bankruptcy(user)

    liquidator_margin = calculate_margin_requirement_and_total_collateral_and_liability_info(
        liquidator,
        perp_market_map,
        spot_market_map,
        oracle_map,
        MarginContext.standard(MarginRequirementType.Initial),
    )
    if not liquidator_margin.meets_margin_requirement():
        raise InsufficientCollateral(
            f"liquidator {liquidator.key} lacks initial margin to take over the position: "
            f"collateral {liquidator_margin.total_collateral} < requirement "
            f"{liquidator_margin.margin_requirement}"
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
    record = LiquidationRecord(
        ts=now,
        liquidation_type=LiquidationType.LiquidatePerp,
        user=user.key,
        liquidator=liquidator.key,
        market_index=market_index,
        margin_requirement=margin_calculation.margin_requirement,
        total_collateral=margin_calculation.total_collateral,
        margin_freed=margin_freed,
        liquidation_id=liquidation_id,
        bankrupt=user.is_bankrupt(),
        canceled_order_ids=tuple(canceled_order_ids),
        lp_shares=lp_shares,
        oracle_price=oracle_price,
        base_asset_amount=user_position_delta.base_asset_amount,
        quote_asset_amount=user_position_delta.quote_asset_amount,
        liquidator_fee=liquidator_fee_amount,
        if_fee=if_fee_amount,
    )
    events.append(record)
    return record
