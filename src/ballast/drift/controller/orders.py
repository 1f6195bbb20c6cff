"""Placing, cancelling and filling perp orders against resting makers and the AMM.

A fill walks the fulfillment methods (AMM and maker matches, best price first), charges fees,
then checks the taker's and each maker's margin, the fill-price bands and open interest, and
finally tries a funding update. Prices 1e6, base 1e9, quote 1e6.

Source: programs/drift/src/controller/orders.rs
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from ballast.drift.constants import (
    BASE_PRECISION,
    DEFAULT_REVENUE_SINCE_LAST_FUNDING_SPREAD_RETREAT,
    MARGIN_PRECISION,
    MAX_OPEN_ORDERS,
    PERCENTAGE_PRECISION,
    PERP_DECIMALS,
    THIRTY_DAY,
)
from ballast.drift.controller.amm import update_mark_twap_from_estimates, update_volume_24h
from ballast.drift.controller.funding import settle_funding_payment, update_funding_rate
from ballast.drift.controller.lp import (
    update_lp_market_position,
    update_terminal_reserves_and_bid_ask_bounds,
)
from ballast.drift.controller.position import (
    decrease_open_bids_and_asks,
    force_get_perp_position,
    get_perp_position,
    increase_open_bids_and_asks,
    update_position_and_market,
    update_position_with_base_asset_amount,
    update_quote_asset_amount,
    update_quote_asset_and_break_even_amount,
)
from ballast.drift.controller.spot_position import decrease_spot_open_bids_and_asks
from ballast.drift.controller.user import (
    update_last_active_slot,
    validate_user_not_being_liquidated,
)
from ballast.drift.errors import (
    CouldNotFindSpotPosition,
    InsufficientCollateral,
    InvalidMarketStatusForFills,
    InvalidOracle,
    InvalidOrder,
    InvalidOrderAuction,
    InvalidOrderMarketType,
    InvalidOrderNotRiskReducing,
    InvalidOrderTrigger,
    MarketDelisted,
    MaxNumberOfOrders,
    OrderAmountTooSmall,
    OrderDoesNotExist,
    OrderNotOpen,
    PlacePostOnlyLimitFailure,
    UserBankrupt,
    UserIsBeingLiquidated,
    UserOrderIdAlreadyInUse,
    UserReduceOnly,
)
from ballast.drift.events import OrderAction, OrderActionExplanation, OrderActionRecord, OrderRecord
from ballast.drift.math.amm import (
    ask_price,
    bid_price,
    calculate_amm_available_liquidity,
    get_sanitize_clamp_denominator,
    reserve_price,
)
from ballast.drift.math.amm_jit import (
    amm_lp_allowed_to_jit_make,
    amm_wants_to_jit_make,
    calculate_amm_jit_liquidity,
)
from ballast.drift.math.auction import (
    calculate_auction_price,
    calculate_auction_prices,
    update_perp_auction_params,
)
from ballast.drift.math.fees import (
    calculate_fee_for_fulfillment_with_amm,
    calculate_fee_for_fulfillment_with_match,
    calculate_filler_multiplier_for_matched_orders,
    determine_user_fee_tier,
)
from ballast.drift.math.fulfillment import determine_perp_fulfillment_methods
from ballast.drift.math.margin import (
    calculate_margin_requirement_and_total_collateral_and_liability_info,
    meets_place_order_margin_requirement,
)
from ballast.drift.math.matching import (
    are_orders_same_market_but_different_sides,
    calculate_fill_for_matched_orders,
    do_orders_cross,
    is_maker_for_taker,
)
from ballast.drift.math.oracle import (
    get_max_confidence_interval_multiplier,
    get_price_data_and_validity,
    is_oracle_too_divergent_with_twap_5min,
    is_oracle_valid_for_action,
)
from ballast.drift.math.orders import (
    calculate_base_asset_amount_for_amm_to_fulfill,
    calculate_fill_price,
    get_base_asset_amount_unfilled,
    get_fallback_price,
    get_limit_price,
    get_price_for_perp_order,
    has_limit_price,
    is_new_order_risk_increasing,
    is_order_position_reducing,
    is_resting_limit_order,
    limit_price_breaches_maker_oracle_price_bands,
    must_be_triggered,
    should_cancel_reduce_only_order,
    should_expire_order,
    standardize_base_asset_amount,
    standardize_price,
    triggered,
    validate_fill_price,
    validate_fill_price_within_price_bands,
)
from ballast.drift.math.position import get_position_delta_for_fill
from ballast.drift.math.stats import calculate_rolling_sum
from ballast.drift.state.margin_calculation import MarginContext, MarginRequirementType
from ballast.drift.state.oracle import DriftAction
from ballast.drift.state.order_params import OrderParams, PostOnlyParam
from ballast.drift.state.perp_market import (
    AMMLiquiditySplit,
    ContractTier,
    MarketStatus,
    PerpMarket,
    PerpOperation,
)
from ballast.drift.state.state import State
from ballast.drift.state.user import (
    MarketType,
    Order,
    OrderStatus,
    OrderType,
    PositionDirection,
    User,
    UserStats,
    UserStatus,
)
from ballast.drift.validation.order import validate_order
from ballast.fixed import div_floor, div_trunc

__all__ = [
    "FillMode",
    "remove_closed_orders",
    "select_margin_type_for_perp_maker",
    "place_perp_order",
    "cancel_order",
    "cancel_order_by_order_id",
    "cancel_orders",
    "expire_orders",
    "fill_perp_order",
    "fulfill_perp_order_with_amm",
    "fulfill_perp_order_with_match",
    "meets_place_order_margin_requirement",
]


class FillMode(Enum):
    """How a fill was initiated. Source: programs/drift/src/state/fill_mode.rs::FillMode"""

    Fill = 0
    PlaceAndMake = 1
    PlaceAndTake = 2
    Liquidation = 3


# --- small order/user helpers (methods of Order/User/UserStats in the reference) ------------


def _update_open_bids_and_asks(order: Order) -> bool:
    """Source: programs/drift/src/state/user.rs::Order::update_open_bids_and_asks"""
    return not must_be_triggered(order) or triggered(order)


def _update_volume_30d(volume: int, last_ts: int, quote_asset_amount: int, now: int) -> int:
    since_last = max(1, now - last_ts)
    return calculate_rolling_sum(volume, quote_asset_amount, since_last, THIRTY_DAY)


def update_taker_volume_30d(user_stats: UserStats, quote_asset_amount: int, now: int) -> None:
    """Rolling 30-day taker volume (1e6). Source: programs/drift/src/state/user.rs::UserStats::update_taker_volume_30d"""
    user_stats.taker_volume_30d = _update_volume_30d(
        user_stats.taker_volume_30d, user_stats.last_taker_volume_30d_ts, quote_asset_amount, now
    )
    user_stats.last_taker_volume_30d_ts = now


def update_maker_volume_30d(user_stats: UserStats, quote_asset_amount: int, now: int) -> None:
    """Rolling 30-day maker volume (1e6). Source: programs/drift/src/state/user.rs::UserStats::update_maker_volume_30d"""
    user_stats.maker_volume_30d = _update_volume_30d(
        user_stats.maker_volume_30d, user_stats.last_maker_volume_30d_ts, quote_asset_amount, now
    )
    user_stats.last_maker_volume_30d_ts = now


def update_filler_volume(user_stats: UserStats, quote_asset_amount: int, now: int) -> None:
    """Rolling 30-day filler volume (1e6). Source: programs/drift/src/state/user.rs::UserStats::update_filler_volume"""
    user_stats.filler_volume_30d = _update_volume_30d(
        user_stats.filler_volume_30d, user_stats.last_filler_volume_30d_ts, quote_asset_amount, now
    )
    user_stats.last_filler_volume_30d_ts = now


def select_margin_type_for_perp_maker(
    maker: User, base_asset_amount_filled: int, market_index: int
) -> tuple[MarginRequirementType, bool]:
    """A maker whose position shrank or closed needs maintenance margin, otherwise fill margin.

    Returns (margin type, risk increasing). `base_asset_amount_filled` is signed (1e9).
    Source: programs/drift/src/math/orders.rs::select_margin_type_for_perp_maker
    """
    after = get_perp_position(maker, market_index).base_asset_amount
    before = after - base_asset_amount_filled
    if after == 0 or ((after > 0) == (before > 0) and before != 0 and abs(after) < abs(before)):
        return MarginRequirementType.Maintenance, False
    return MarginRequirementType.Fill, True


def _order_index(user: User, order_id: int) -> int:
    for index, order in enumerate(user.orders):
        if order.order_id == order_id and order.status is OrderStatus.Open:
            return index
    raise OrderDoesNotExist(f"user {user.key} has no open order {order_id}")


def remove_closed_orders(user: User) -> None:
    """Free the slots of filled and cancelled orders (the reference marks them available).

    Called by the exchange once an instruction is done, so order indexes stay stable within it.
    """
    user.orders[:] = [order for order in user.orders if order.status is OrderStatus.Open]


def _order_action_record(
    now: int,
    action: OrderAction,
    explanation: OrderActionExplanation,
    market: PerpMarket,
    user_key: str,
    order: Order,
    oracle_price: int,
    **fill: Any,
) -> OrderActionRecord:
    # a post-only order is the maker side of the record, any other the taker side
    if order.post_only:
        return OrderActionRecord(
            ts=now,
            action=action,
            action_explanation=explanation,
            market_index=market.market_index,
            oracle_price=oracle_price,
            maker=user_key,
            maker_order_id=order.order_id,
            maker_order_direction=order.direction.name,
            **fill,
        )
    return OrderActionRecord(
        ts=now,
        action=action,
        action_explanation=explanation,
        market_index=market.market_index,
        oracle_price=oracle_price,
        taker=user_key,
        taker_order_id=order.order_id,
        taker_order_direction=order.direction.name,
        **fill,
    )


# --- place / cancel -----------------------------------------------------------------------


def _get_auction_params(
    params: OrderParams, oracle_price_data, tick_size: int, min_auction_duration: int
) -> tuple[int, int, int]:
    """(auction_start_price, auction_end_price, auction_duration) of a new order.

    Source: programs/drift/src/controller/orders.rs::get_auction_params
    """
    if params.order_type is OrderType.Limit:
        if (
            params.auction_start_price is None
            or params.auction_end_price is None
            or params.auction_duration is None
        ):
            return 0, 0, 0
        duration = params.auction_duration
        if duration != 0:
            duration = max(duration, min_auction_duration)
        return (
            standardize_price(params.auction_start_price, tick_size, params.direction),
            standardize_price(params.auction_end_price, tick_size, params.direction),
            duration,
        )
    if params.order_type is not OrderType.Market and params.order_type is not OrderType.Oracle:
        return 0, 0, 0
    duration = max(params.auction_duration or 0, min_auction_duration)
    if params.auction_start_price is not None and params.auction_end_price is not None:
        start, end = params.auction_start_price, params.auction_end_price
    elif params.order_type is OrderType.Oracle:
        raise InvalidOrderAuction("oracle order must give auction start and end price offsets")
    else:
        start, end = calculate_auction_prices(oracle_price_data, params.direction, params.price)
    return (
        standardize_price(start, tick_size, params.direction),
        standardize_price(end, tick_size, params.direction),
        duration,
    )


def place_perp_order(
    state: State,
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict,
    oracle_map,
    now: int,
    slot: int,
    params: OrderParams,
    events: list,
    explanation: OrderActionExplanation = OrderActionExplanation.Nil,
    is_liquidation: bool = False,
    enforce_margin_check: bool = True,
) -> Order | None:
    """Place a perp order; return it, or None when it is silently skipped.

    Skipped (no error) when its max_ts has passed or a TryPostOnly order would cross. Checks the
    user is not bankrupt or being liquidated, the order slots, the user order id, market status,
    step size; sanitises auction parameters; validates the order; books open bids/asks; checks
    margin (initial if risk increasing, else maintenance) and max open interest.

    Source: programs/drift/src/controller/orders.rs::place_perp_order
    """
    if not is_liquidation:
        validate_user_not_being_liquidated(
            user, perp_market_map, spot_market_map, oracle_map, state.liquidation_margin_buffer_ratio
        )
    if user.is_bankrupt():
        raise UserBankrupt(f"user {user.key} is bankrupt")
    expire_orders(user, perp_market_map, oracle_map, now, slot, events)
    if user.status & UserStatus.ReduceOnly and not params.reduce_only:
        raise UserReduceOnly(f"user {user.key} is reduce-only: order must be reduce_only")
    if sum(order.status is OrderStatus.Open for order in user.orders) >= MAX_OPEN_ORDERS:
        raise MaxNumberOfOrders(f"user {user.key} already has {MAX_OPEN_ORDERS} open orders")
    if params.user_order_id > 0 and any(
        order.user_order_id == params.user_order_id and order.status is OrderStatus.Open
        for order in user.orders
    ):
        raise UserOrderIdAlreadyInUse(f"user_order_id {params.user_order_id} is already in use")
    if params.market_type is not MarketType.Perp:
        raise InvalidOrderMarketType(f"market_type {params.market_type.name}: must be Perp")

    market = perp_market_map[params.market_index]
    amm = market.amm
    if market.status is MarketStatus.Initialized:
        raise MarketDelisted(f"perp market {market.market_index} is still being initialized")
    if market.status is MarketStatus.Settlement or market.status is MarketStatus.Delisted:
        raise MarketDelisted(f"perp market {market.market_index} is in settlement")
    force_reduce_only = market.status is MarketStatus.ReduceOnly

    position = force_get_perp_position(user, params.market_index)
    if params.base_asset_amount < amm.order_step_size:
        raise OrderAmountTooSmall(
            f"base_asset_amount {params.base_asset_amount} is below order_step_size {amm.order_step_size}"
        )
    order_base_asset_amount = standardize_base_asset_amount(
        params.base_asset_amount, amm.order_step_size
    )
    existing_position_direction = (
        PositionDirection.Long if position.base_asset_amount >= 0 else PositionDirection.Short
    )
    oracle_price_data = oracle_map.get_perp(params.market_index)
    if not is_liquidation:
        params = update_perp_auction_params(params, market, oracle_price_data.price)
    auction_start_price, auction_end_price, auction_duration = _get_auction_params(
        params, oracle_price_data, amm.order_tick_size, state.min_perp_auction_duration
    )
    if params.max_ts is not None:
        max_ts = params.max_ts
    elif params.order_type is OrderType.Market or params.order_type is OrderType.Oracle:
        max_ts = now + max(30, div_floor(auction_duration, 2) + 10)
    else:
        max_ts = 0
    if max_ts != 0 and max_ts < now:
        return None

    new_order = Order(
        order_id=user.next_order_id,
        user_order_id=params.user_order_id,
        market_index=params.market_index,
        market_type=MarketType.Perp,
        status=OrderStatus.Open,
        order_type=params.order_type,
        direction=params.direction,
        slot=slot,
        price=get_price_for_perp_order(params.price, params.direction, params.post_only, amm),
        base_asset_amount=order_base_asset_amount,
        reduce_only=params.reduce_only or force_reduce_only,
        post_only=params.post_only is not PostOnlyParam.None_,
        immediate_or_cancel=params.immediate_or_cancel,
        trigger_price=standardize_price(params.trigger_price or 0, amm.order_tick_size, params.direction),
        trigger_condition=params.trigger_condition,
        oracle_price_offset=params.oracle_price_offset or 0,
        auction_start_price=auction_start_price,
        auction_end_price=auction_end_price,
        auction_duration=auction_duration,
        max_ts=max_ts,
        existing_position_direction=existing_position_direction,
    )
    try:
        validate_order(new_order, market, oracle_price_data.price, slot)
    except PlacePostOnlyLimitFailure:
        if params.post_only is PostOnlyParam.TryPostOnly:
            return None
        raise

    risk_increasing = is_new_order_risk_increasing(
        new_order, position.base_asset_amount, position.open_bids, position.open_asks
    )
    user.next_order_id += 1
    user.orders.append(new_order)
    user.open_orders += 1
    position.open_orders += 1
    if _update_open_bids_and_asks(new_order):
        increase_open_bids_and_asks(position, params.direction, order_base_asset_amount)

    if enforce_margin_check and not is_liquidation:
        meets_place_order_margin_requirement(
            user, perp_market_map, spot_market_map, oracle_map, risk_increasing
        )
    if force_reduce_only and risk_increasing:
        raise InvalidOrderNotRiskReducing(
            f"perp market {market.market_index} is reduce-only: order must reduce the position"
        )
    if amm.max_open_interest != 0 and risk_increasing:
        if params.direction is PositionDirection.Long:
            oi_plus_order = abs(amm.base_asset_amount_long + order_base_asset_amount)
        else:
            oi_plus_order = abs(amm.base_asset_amount_short - order_base_asset_amount)
        if oi_plus_order > amm.max_open_interest:
            raise InvalidOrder(
                f"order of {order_base_asset_amount} could breach max open interest "
                f"{amm.max_open_interest} of perp market {market.market_index}"
            )

    events.append(
        _order_action_record(
            now, OrderAction.Place, explanation, market, user.key, new_order, oracle_price_data.price
        )
    )
    events.append(
        OrderRecord(
            ts=now,
            user=user.key,
            order_id=new_order.order_id,
            market_index=new_order.market_index,
            direction=new_order.direction.name,
            order_type=new_order.order_type.name,
            base_asset_amount=new_order.base_asset_amount,
            price=new_order.price,
        )
    )
    update_last_active_slot(user, slot)
    return new_order


def cancel_order(
    order_index: int,
    user: User,
    perp_market_map: dict[int, PerpMarket],
    oracle_map,
    now: int,
    slot: int,
    explanation: OrderActionExplanation,
    events: list,
    filler_reward: int = 0,
) -> None:
    """Cancel an open order: release its open bids/asks and the position's order count.

    The order's slot is freed once the instruction finishes (`remove_closed_orders`).

    Source: programs/drift/src/controller/orders.rs::cancel_order
    """
    order = user.orders[order_index]
    if order.status is not OrderStatus.Open:
        raise OrderNotOpen(f"order {order.order_id} of user {user.key} is not open")
    if order.market_type is MarketType.Spot:
        _cancel_spot_order(order, user, oracle_map, now, explanation, events)
        return
    market = perp_market_map[order.market_index]
    events.append(
        _order_action_record(
            now,
            OrderAction.Cancel,
            explanation,
            market,
            user.key,
            order,
            oracle_map.get_perp(order.market_index).price,
        )
    )
    user.open_orders -= 1
    position = get_perp_position(user, order.market_index)
    if _update_open_bids_and_asks(order):
        decrease_open_bids_and_asks(
            position, order.direction, order.get_base_asset_amount_unfilled()
        )
    position.open_orders -= 1
    order.status = OrderStatus.Canceled


def _spot_order_action_record(
    now: int,
    action: OrderAction,
    explanation: OrderActionExplanation,
    user_key: str,
    order: Order,
    oracle_price: int,
) -> OrderActionRecord:
    """A spot order's place/cancel record: a post-only order is the maker side, any other the
    taker side.

    Source: programs/drift/src/controller/orders.rs::get_taker_and_maker_for_order_record
    """
    if order.post_only:
        return OrderActionRecord(
            ts=now,
            action=action,
            action_explanation=explanation,
            market_index=order.market_index,
            oracle_price=oracle_price,
            maker=user_key,
            maker_order_id=order.order_id,
            maker_order_direction=order.direction.name,
            market_type="Spot",
        )
    return OrderActionRecord(
        ts=now,
        action=action,
        action_explanation=explanation,
        market_index=order.market_index,
        oracle_price=oracle_price,
        taker=user_key,
        taker_order_id=order.order_id,
        taker_order_direction=order.direction.name,
        market_type="Spot",
    )


def _cancel_spot_order(
    order: Order, user: User, oracle_map, now: int, explanation: OrderActionExplanation, events: list
) -> None:
    """The spot branch of cancel_order: release the spot position's open bids/asks and count.

    Source: programs/drift/src/controller/orders.rs::cancel_order
    """
    events.append(
        _spot_order_action_record(
            now, OrderAction.Cancel, explanation, user.key, order,
            oracle_map.get_spot(order.market_index).price,
        )
    )
    user.open_orders -= 1
    position = user.get_spot_position(order.market_index)
    if position is None:
        raise CouldNotFindSpotPosition(f"user {user.key} has no spot position {order.market_index}")
    decrease_spot_open_bids_and_asks(
        position, order.direction, order.get_base_asset_amount_unfilled(), _update_open_bids_and_asks(order)
    )
    position.open_orders -= 1
    order.status = OrderStatus.Canceled


def cancel_order_by_order_id(
    order_id: int,
    user: User,
    perp_market_map: dict[int, PerpMarket],
    oracle_map,
    now: int,
    slot: int,
    events: list,
) -> None:
    """Cancel one of the user's open orders by id (OrderDoesNotExist if there is none).

    Source: programs/drift/src/controller/orders.rs::cancel_order_by_order_id
    """
    index = _order_index(user, order_id)
    cancel_order(
        index, user, perp_market_map, oracle_map, now, slot, OrderActionExplanation.Nil, events
    )
    update_last_active_slot(user, slot)


def cancel_orders(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict,
    oracle_map,
    state: State,
    now: int,
    slot: int,
    explanation: OrderActionExplanation,
    events: list,
    market_type: MarketType | None = None,
    market_index: int | None = None,
    direction: PositionDirection | None = None,
) -> list[int]:
    """Cancel every open order matching the optional market and direction filters.

    Returns the cancelled order ids in slot order.

    Source: programs/drift/src/controller/orders.rs::cancel_orders
    """
    canceled: list[int] = []
    for index, order in enumerate(user.orders):
        if order.status is not OrderStatus.Open:
            continue
        if market_type is not None and market_index is not None:
            if order.market_type is not market_type or order.market_index != market_index:
                continue
        if direction is not None and order.direction is not direction:
            continue
        canceled.append(order.order_id)
        cancel_order(index, user, perp_market_map, oracle_map, now, slot, explanation, events)
    update_last_active_slot(user, slot)
    return canceled


def expire_orders(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    oracle_map,
    now: int,
    slot: int,
    events: list,
) -> None:
    """Cancel the user's orders whose max_ts has passed.

    Source: programs/drift/src/controller/orders.rs::expire_orders
    """
    for index in range(len(user.orders)):
        if user.orders[index].status is OrderStatus.Open and should_expire_order(user, index, now):
            cancel_order(
                index,
                user,
                perp_market_map,
                oracle_map,
                now,
                slot,
                OrderActionExplanation.OrderExpired,
                events,
            )


def _pay_keeper_flat_reward(
    user: User, filler: User | None, market: PerpMarket, filler_reward: int, slot: int
) -> int:
    """A distinct filler is paid the flat fee from the user's position quote.

    Source: programs/drift/src/controller/orders.rs::pay_keeper_flat_reward_for_perps
    """
    if filler is None or filler_reward == 0:
        return 0
    user_position = user.get_perp_position(market.market_index)
    if user_position is None:
        return 0
    update_quote_asset_and_break_even_amount(user_position, market, -filler_reward)
    filler_position = force_get_perp_position(filler, market.market_index)
    update_quote_asset_amount(filler_position, market, filler_reward)
    update_last_active_slot(filler, slot)
    return filler_reward


# --- fill ---------------------------------------------------------------------------------


def _amm_is_available(
    state: State,
    market: PerpMarket,
    oracle_is_valid_for_amm: bool,
    lp_allowed_to_jit_make: bool,
) -> tuple[bool, int]:
    """Whether the AMM may fill this order, and how many slots the order must have waited.

    Unavailable when AMM fills are paused, the oracle is not Valid or the market has drawn down
    too much; immediately (0 slots) when the AMM can skip the auction (it is profitable since
    the last funding and its inventory allows JIT making); otherwise once the order has waited
    `min_perp_auction_duration` slots.

    Source: programs/drift/src/controller/orders.rs::fill_perp_order (AMM availability),
    programs/drift/src/state/perp_market.rs::PerpMarket::can_skip_auction_duration,
    PerpMarket::has_too_much_drawdown
    """
    min_duration = state.min_perp_auction_duration
    if market.is_operation_paused(PerpOperation.AmmFill) or market.status is MarketStatus.AmmPaused:
        return False, min_duration
    if not oracle_is_valid_for_amm or _has_too_much_drawdown(market):
        return False, min_duration
    amm = market.amm
    can_skip = (
        amm.net_revenue_since_last_funding >= DEFAULT_REVENUE_SINCE_LAST_FUNDING_SPREAD_RETREAT
        and lp_allowed_to_jit_make
    )
    return True, 0 if can_skip else min_duration


_DRAWDOWN_LIMIT_DIVISORS = {ContractTier.A: 50, ContractTier.B: 33, ContractTier.C: 25}


def _has_too_much_drawdown(market: PerpMarket) -> bool:
    """Source: programs/drift/src/state/perp_market.rs::PerpMarket::has_too_much_drawdown"""
    amm = market.amm
    tier = market.contract_tier
    multiple = 400 if tier is ContractTier.A or tier is ContractTier.B else 200
    if amm.net_revenue_since_last_funding > DEFAULT_REVENUE_SINCE_LAST_FUNDING_SPREAD_RETREAT * multiple:
        return False
    percent = div_trunc(
        amm.net_revenue_since_last_funding * PERCENTAGE_PRECISION, max(amm.total_fee_minus_distributions, 1)
    )
    limit = _DRAWDOWN_LIMIT_DIVISORS.get(tier, 20)
    return percent <= -div_trunc(PERCENTAGE_PRECISION, limit)


def fill_perp_order(
    order_id: int,
    state: State,
    user: User,
    user_stats: UserStats,
    spot_market_map: dict,
    perp_market_map: dict[int, PerpMarket],
    oracle_map,
    filler: User | None,
    filler_stats: UserStats | None,
    makers: dict[str, tuple[User, UserStats]],
    now: int,
    slot: int,
    events: list,
    fill_mode: FillMode = FillMode.Fill,
) -> tuple[int, int]:
    """Fill a user's open perp order against resting makers and the AMM.

    `makers` maps user keys to (maker, maker stats) candidates; `filler` is the keeper (None
    when the taker fills its own order). Returns (base_asset_amount, quote_asset_amount) filled.
    Expired and reduce-only-violating orders are cancelled (the filler earns the flat fee)
    and fill nothing; a fill that leaves the taker or a maker short of margin raises
    InsufficientCollateral.

    Source: programs/drift/src/controller/orders.rs::fill_perp_order
    """
    order_index = _order_index(user, order_id)
    order = user.orders[order_index]
    if order.market_type is not MarketType.Perp:
        raise InvalidOrderMarketType(f"order {order_id} is not a perp order")
    market_index = order.market_index
    market = perp_market_map[market_index]
    funding_record = settle_funding_payment(user, market, now)
    if funding_record is not None:
        events.append(funding_record)
    if market.status is not MarketStatus.Active and market.status is not MarketStatus.ReduceOnly:
        raise InvalidMarketStatusForFills(
            f"perp market {market_index} is {market.status.name}: fills need Active or ReduceOnly"
        )
    if market.is_operation_paused(PerpOperation.Fill):
        raise InvalidMarketStatusForFills(f"fills are paused in perp market {market_index}")
    if must_be_triggered(order) and not triggered(order):
        raise InvalidOrderTrigger(f"order {order_id} must be triggered first")
    if user.is_bankrupt():
        return 0, 0
    if fill_mode is not FillMode.Liquidation:
        try:
            validate_user_not_being_liquidated(
                user, perp_market_map, spot_market_map, oracle_map, state.liquidation_margin_buffer_ratio
            )
        except UserIsBeingLiquidated:
            return 0, 0

    amm = market.amm
    oracle_price_data, validity = get_price_data_and_validity(
        oracle_map,
        MarketType.Perp,
        market_index,
        amm.historical_oracle_data.last_oracle_price_twap,
        get_max_confidence_interval_multiplier(market.contract_tier),
    )
    oracle_stale_for_margin = (
        oracle_price_data.delay > state.oracle_guard_rails.validity.slots_before_stale_for_margin
    )
    reserve_price_before = reserve_price(amm)
    oracle_price = oracle_price_data.price
    oracle_twap_5min = amm.historical_oracle_data.last_oracle_price_twap_5min
    lp_allowed_to_jit_make = amm_lp_allowed_to_jit_make(
        amm, amm_wants_to_jit_make(amm, order.direction)
    )
    amm_is_available, min_auction_duration = _amm_is_available(
        state,
        market,
        is_oracle_valid_for_action(validity, DriftAction.FillOrderAmm),
        lp_allowed_to_jit_make,
    )
    valid_oracle_price = (
        oracle_price if is_oracle_valid_for_action(validity, DriftAction.OracleOrderPrice) else None
    )
    if filler is not None and filler.authority == user.authority:
        filler, filler_stats = None, None

    maker_orders_info = _get_maker_orders_info(
        perp_market_map, oracle_map, makers, user.key, order, filler, state, oracle_price, now, slot, events
    )

    if is_oracle_too_divergent_with_twap_5min(
        oracle_price,
        oracle_twap_5min,
        state.oracle_guard_rails.price_divergence.oracle_twap_5min_percent_divergence,
    ):
        if filler is not None:
            update_last_active_slot(filler, slot)
        return 0, 0

    position = get_perp_position(user, market_index)
    if should_expire_order(user, order_index, now) or should_cancel_reduce_only_order(
        order, position.base_asset_amount, amm.order_step_size
    ):
        explanation = (
            OrderActionExplanation.OrderExpired
            if should_expire_order(user, order_index, now)
            else OrderActionExplanation.ReduceOnlyOrderIncreasedPosition
        )
        reward = _pay_keeper_flat_reward(
            user, filler, market, state.perp_fee_structure.flat_filler_fee, slot
        )
        cancel_order(
            order_index, user, perp_market_map, oracle_map, now, slot, explanation, events, reward
        )
        return 0, 0

    base_asset_amount, quote_asset_amount = _fulfill_perp_order(
        user,
        order_index,
        user_stats,
        makers,
        maker_orders_info,
        filler,
        filler_stats,
        spot_market_map,
        perp_market_map,
        oracle_map,
        state,
        reserve_price_before,
        valid_oracle_price,
        now,
        slot,
        amm_is_available,
        min_auction_duration,
        lp_allowed_to_jit_make,
        fill_mode,
        oracle_stale_for_margin,
        events,
    )

    if base_asset_amount != 0:
        fill_price = calculate_fill_price(quote_asset_amount, base_asset_amount, BASE_PRECISION)
        validate_fill_price_within_price_bands(
            fill_price,
            oracle_price,
            oracle_twap_5min,
            market.margin_ratio_initial,
            state.oracle_guard_rails.price_divergence.oracle_twap_5min_percent_divergence,
        )

    base_after = position.base_asset_amount
    if order.status is OrderStatus.Open and should_cancel_reduce_only_order(
        order, base_after, amm.order_step_size
    ):
        reward = _pay_keeper_flat_reward(
            user, filler, market, state.perp_fee_structure.flat_filler_fee, slot
        )
        cancel_order(
            user.orders.index(order),
            user,
            perp_market_map,
            oracle_map,
            now,
            slot,
            OrderActionExplanation.ReduceOnlyOrderIncreasedPosition,
            events,
            reward,
        )

    if base_asset_amount == 0:
        return 0, 0

    open_interest = max(abs(amm.base_asset_amount_long), abs(amm.base_asset_amount_short))
    if amm.max_open_interest != 0 and open_interest > amm.max_open_interest:
        raise InvalidOrder(
            f"open interest {open_interest} exceeds max open interest {amm.max_open_interest}"
        )

    funding_paused = market.status is MarketStatus.FundingPaused or market.is_operation_paused(
        PerpOperation.UpdateFunding
    )
    record = update_funding_rate(
        market_index,
        market,
        oracle_price_data,
        now,
        slot,
        state.oracle_guard_rails,
        funding_paused,
        reserve_price_before,
    )
    if record is not None:
        events.append(record)
    update_last_active_slot(user, slot)
    return base_asset_amount, quote_asset_amount


def _find_maker_orders(
    maker: User,
    direction: PositionDirection,
    market_index: int,
    valid_oracle_price: int | None,
    slot: int,
    tick_size: int,
) -> list[tuple[int, int]]:
    """(order index, price) of the maker's resting limit orders on `direction` in a market.

    Source: programs/drift/src/math/orders.rs::find_maker_orders
    """
    found = []
    for index, order in enumerate(maker.orders):
        if (
            order.status is not OrderStatus.Open
            or order.market_index != market_index
            or order.market_type is not MarketType.Perp
            or order.direction is not direction
            or must_be_triggered(order)
            or not is_resting_limit_order(order, slot)
        ):
            continue
        price = get_limit_price(order, valid_oracle_price, None, slot, tick_size)
        if price is not None:
            found.append((index, price))
    return found


def _get_maker_orders_info(
    perp_market_map: dict[int, PerpMarket],
    oracle_map,
    makers: dict[str, tuple[User, UserStats]],
    taker_key: str,
    taker_order: Order,
    filler: User | None,
    state: State,
    oracle_price: int,
    now: int,
    slot: int,
    events: list,
) -> list[tuple[str, int, int]]:
    """Makers' crossing candidates sorted best price first; stale ones are cancelled.

    Source: programs/drift/src/controller/orders.rs::get_maker_orders_info
    """
    maker_direction = taker_order.direction.opposite()
    market = perp_market_map[taker_order.market_index]
    info: list[tuple[str, int, int]] = []
    for maker_key, (maker, _maker_stats) in makers.items():
        if maker_key == taker_key or maker.is_being_liquidated():
            continue
        candidates = _find_maker_orders(
            maker,
            maker_direction,
            taker_order.market_index,
            oracle_price,
            slot,
            market.amm.order_tick_size,
        )
        if not candidates:
            continue
        update_last_active_slot(maker, slot)
        funding_record = settle_funding_payment(maker, market, now)
        if funding_record is not None:
            events.append(funding_record)
        for maker_order_index, maker_price in candidates:
            maker_order = maker.orders[maker_order_index]
            if not is_maker_for_taker(maker_order, taker_order, slot):
                continue
            if not are_orders_same_market_but_different_sides(maker_order, taker_order):
                continue
            breaches = limit_price_breaches_maker_oracle_price_bands(
                maker_price, maker_order.direction, oracle_price, market.margin_ratio_initial
            )
            expired = should_expire_order(maker, maker_order_index, now)
            position = get_perp_position(maker, taker_order.market_index)
            reduce_only_violation = should_cancel_reduce_only_order(
                maker_order, position.base_asset_amount, market.amm.order_step_size
            )
            if breaches or expired or reduce_only_violation:
                reward = _pay_keeper_flat_reward(
                    maker, filler, market, state.perp_fee_structure.flat_filler_fee, slot
                )
                if breaches:
                    explanation = OrderActionExplanation.OraclePriceBreachedLimitPrice
                elif expired:
                    explanation = OrderActionExplanation.OrderExpired
                else:
                    explanation = OrderActionExplanation.ReduceOnlyOrderIncreasedPosition
                cancel_order(
                    maker_order_index,
                    maker,
                    perp_market_map,
                    oracle_map,
                    now,
                    slot,
                    explanation,
                    events,
                    reward,
                )
                continue
            info.append((maker_key, maker_order_index, maker_price))
    if maker_direction is PositionDirection.Long:
        info.sort(key=lambda item: -item[2])
    else:
        info.sort(key=lambda item: item[2])
    return info


def _fulfill_perp_order(
    user: User,
    order_index: int,
    user_stats: UserStats,
    makers: dict[str, tuple[User, UserStats]],
    maker_orders_info: list[tuple[str, int, int]],
    filler: User | None,
    filler_stats: UserStats | None,
    spot_market_map: dict,
    perp_market_map: dict[int, PerpMarket],
    oracle_map,
    state: State,
    reserve_price_before: int,
    valid_oracle_price: int | None,
    now: int,
    slot: int,
    amm_is_available: bool,
    min_auction_duration: int,
    lp_allowed_to_jit_make: bool,
    fill_mode: FillMode,
    oracle_stale_for_margin: bool,
    events: list,
) -> tuple[int, int]:
    """Run the fulfillment methods in order, then the taker's and makers' margin checks.

    Source: programs/drift/src/controller/orders.rs::fulfill_perp_order
    """
    order = user.orders[order_index]
    market_index = order.market_index
    market = perp_market_map[market_index]
    amm = market.amm
    position = get_perp_position(user, market_index)
    position_decreasing = is_order_position_reducing(
        order.direction,
        get_base_asset_amount_unfilled(order, position.base_asset_amount),
        position.base_asset_amount,
    )
    limit_price: int | None
    if fill_mode is FillMode.PlaceAndTake and order.auction_duration != 0:
        limit_price = calculate_auction_price(
            order, order.slot + order.auction_duration, amm.order_tick_size, valid_oracle_price
        )
    else:
        limit_price = get_limit_price(order, valid_oracle_price, None, slot, amm.order_tick_size)
    open_interest_before = max(abs(amm.base_asset_amount_long), abs(amm.base_asset_amount_short))

    methods = determine_perp_fulfillment_methods(
        order, maker_orders_info, amm, reserve_price_before, valid_oracle_price, limit_price,
        amm_is_available, slot, min_auction_duration, fill_mode is FillMode.Liquidation,
    )
    if not methods:
        return 0, 0

    base_asset_amount = 0
    quote_asset_amount = 0
    maker_fills: dict[str, int] = {}
    maker_direction = order.direction.opposite()
    for method in methods:
        if order.status is not OrderStatus.Open:
            break
        if method.is_amm:
            fill_base, fill_quote = fulfill_perp_order_with_amm(
                user, user_stats, order_index, market, oracle_map, reserve_price_before, now, slot,
                filler, filler_stats, state, limit_price, None, method.price,
                fill_mode is FillMode.Liquidation, events,
            )
        else:
            maker_key = method.maker_key
            maker_order_index = method.maker_order_index
            maker_price = method.price
            # a Match method always names its maker order and price
            assert maker_key is not None and maker_order_index is not None
            assert maker_price is not None
            maker, stats = makers[maker_key]
            maker_stats = None if maker.authority == user.authority else stats
            fill_base, fill_quote, maker_fill = fulfill_perp_order_with_match(
                market, user, user_stats, order_index, maker, maker_stats, maker_order_index,
                filler, filler_stats, state, oracle_map, reserve_price_before,
                valid_oracle_price, limit_price, maker_price, now, slot,
                fill_mode is FillMode.Liquidation, lp_allowed_to_jit_make, events,
            )
            if maker_fill != 0:
                signed = maker_fill if maker_direction is PositionDirection.Long else -maker_fill
                maker_fills[maker_key] = maker_fills.get(maker_key, 0) + signed
        base_asset_amount += fill_base
        quote_asset_amount += fill_quote
        update_volume_24h(amm, fill_quote, order.direction, now)

    if fill_mode is not FillMode.Liquidation:
        margin_type = (
            MarginRequirementType.Maintenance if position_decreasing else MarginRequirementType.Fill
        )
        context = MarginContext.standard(margin_type)
        if oracle_stale_for_margin and not position_decreasing:
            context = context.with_margin_ratio_override(MARGIN_PRECISION)
        calculation = calculate_margin_requirement_and_total_collateral_and_liability_info(
            user, perp_market_map, spot_market_map, oracle_map, context
        )
        if not calculation.meets_margin_requirement():
            raise InsufficientCollateral(
                f"taker {user.key} breached fill requirements: margin requirement "
                f"{calculation.margin_requirement} > total collateral {calculation.total_collateral}"
            )

    for maker_key, maker_base_filled in sorted(maker_fills.items()):
        maker, _ = makers[maker_key]
        margin_type, maker_risk_increasing = select_margin_type_for_perp_maker(
            maker, maker_base_filled, market_index
        )
        context = MarginContext.standard(margin_type)
        if oracle_stale_for_margin:
            if not (position_decreasing or not maker_risk_increasing):
                raise InvalidOracle(
                    "taker or maker must be reducing position if oracle stale for margin"
                )
            if maker_risk_increasing:
                context = context.with_margin_ratio_override(MARGIN_PRECISION)
        calculation = calculate_margin_requirement_and_total_collateral_and_liability_info(
            maker, perp_market_map, spot_market_map, oracle_map, context
        )
        if not calculation.meets_margin_requirement():
            raise InsufficientCollateral(
                f"maker {maker_key} breached fill requirements: margin requirement "
                f"{calculation.margin_requirement} > total collateral {calculation.total_collateral}"
            )

    if oracle_stale_for_margin:
        open_interest_after = max(abs(amm.base_asset_amount_long), abs(amm.base_asset_amount_short))
        if open_interest_after > open_interest_before:
            raise InvalidOracle("oracle stale for margin but open interest increased")
    return base_asset_amount, quote_asset_amount


def _update_order_after_fill(order: Order, base_asset_amount: int, quote_asset_amount: int) -> bool:
    """Source: programs/drift/src/controller/orders.rs::update_order_after_fill"""
    order.base_asset_amount_filled += base_asset_amount
    order.quote_asset_amount_filled += quote_asset_amount
    filled = order.base_asset_amount_filled == order.base_asset_amount
    if filled:
        order.status = OrderStatus.Filled
    return filled


def _credit_filler(
    filler: User | None,
    filler_stats: UserStats | None,
    market: PerpMarket,
    filler_reward: int,
    quote_asset_amount: int,
    now: int,
    slot: int,
) -> None:
    """Source: programs/drift/src/controller/orders.rs::credit_filler_perp_pnl"""
    if filler is None:
        return
    if filler_reward > 0:
        update_quote_asset_amount(
            force_get_perp_position(filler, market.market_index), market, filler_reward
        )
        if filler_stats is not None:
            update_filler_volume(filler_stats, quote_asset_amount, now)
    update_last_active_slot(filler, slot)


_JIT_EXPLANATIONS = {
    AMMLiquiditySplit.ProtocolOwned: OrderActionExplanation.OrderFilledWithAMMJit,
    AMMLiquiditySplit.LPOwned: OrderActionExplanation.OrderFilledWithLPJit,
    AMMLiquiditySplit.Shared: OrderActionExplanation.OrderFilledWithAMMJitLPSplit,
}


def fulfill_perp_order_with_amm(
    user: User,
    user_stats: UserStats,
    order_index: int,
    market: PerpMarket,
    oracle_map,
    reserve_price_before: int,
    now: int,
    slot: int,
    filler: User | None,
    filler_stats: UserStats | None,
    state: State,
    limit_price: int | None,
    override_base_asset_amount: int | None,
    override_fill_price: int | None,
    is_liquidation: bool,
    events: list,
    liquidity_split: AMMLiquiditySplit = AMMLiquiditySplit.Shared,
) -> tuple[int, int]:
    """Fill (part of) a user order against the AMM; return (base, quote) filled.

    Order of effects: mark TWAP (with the AMM's side price before the fill), the swap and
    position update, the limit-price check, fees, the BAL providers' share of the fill
    (`liquidity_split`: Shared for ordinary fills, the JIT split otherwise) and the terminal
    reserves, the protocol's fee totals, the taker fee or maker rebate, filler reward, the order's
    filled amounts and open bids/asks, the fill record.

    Source: programs/drift/src/controller/orders.rs::fulfill_perp_order_with_amm
    """
    order = user.orders[order_index]
    amm = market.amm
    position = get_perp_position(user, market.market_index)
    existing_base_asset_amount = position.base_asset_amount
    fee_structure = state.perp_fee_structure
    if override_base_asset_amount is not None:
        base_asset_amount, fill_price = override_base_asset_amount, override_fill_price
    else:
        fee_tier = determine_user_fee_tier(user_stats, fee_structure, MarketType.Perp, False)
        base_asset_amount, limit_price = calculate_base_asset_amount_for_amm_to_fulfill(
            order, market, limit_price, override_fill_price, existing_base_asset_amount, fee_tier
        )
        fill_price = limit_price if order.post_only else None

    if not order.reduce_only and abs(existing_base_asset_amount) > amm.min_order_size:
        amm_size_threshold = amm.min_order_size
    else:
        amm_size_threshold = amm.order_step_size
    if base_asset_amount < amm_size_threshold:
        return 0, 0

    direction = order.direction
    if direction is PositionDirection.Long:
        market_side_price = ask_price(amm, reserve_price_before)
    else:
        market_side_price = bid_price(amm, reserve_price_before)
    update_mark_twap_from_estimates(
        amm, now, market_side_price, direction, get_sanitize_clamp_denominator(market)
    )
    quote_asset_amount, surplus, _ = update_position_with_base_asset_amount(
        base_asset_amount, direction, market, position, fill_price
    )
    if limit_price is not None:
        validate_fill_price(
            quote_asset_amount,
            base_asset_amount,
            BASE_PRECISION,
            direction,
            limit_price,
            not order.post_only,
        )

    fees = calculate_fee_for_fulfillment_with_amm(
        user_stats,
        quote_asset_amount,
        fee_structure,
        order.slot,
        slot,
        filler is not None,
        False,
        None,
        surplus,
        order.post_only,
        market.fee_adjustment,
        False,
    )
    if amm.user_lp_shares > 0:
        if liquidity_split is not AMMLiquiditySplit.ProtocolOwned:
            update_lp_market_position(
                market,
                get_position_delta_for_fill(base_asset_amount, quote_asset_amount, direction),
                fees.fee_to_market_for_lp,
                liquidity_split,
            )
        update_terminal_reserves_and_bid_ask_bounds(market)
    amm.total_fee += fees.fee_to_market
    amm.total_exchange_fee += fees.user_fee
    amm.total_mm_fee += surplus
    amm.total_fee_minus_distributions += fees.fee_to_market
    amm.net_revenue_since_last_funding += fees.fee_to_market
    user_stats.fees.total_fee_paid += fees.user_fee
    user_stats.fees.total_fee_rebate += fees.maker_rebate
    user_stats.fees.total_referee_discount += fees.referee_discount
    if fees.user_fee != 0:
        update_quote_asset_and_break_even_amount(position, market, -fees.user_fee)
    if fees.maker_rebate != 0:
        update_quote_asset_and_break_even_amount(position, market, fees.maker_rebate)
    if order.post_only:
        update_maker_volume_30d(user_stats, quote_asset_amount, now)
    else:
        update_taker_volume_30d(user_stats, quote_asset_amount, now)
    _credit_filler(filler, filler_stats, market, fees.filler_reward, quote_asset_amount, now, slot)

    _update_order_after_fill(order, base_asset_amount, quote_asset_amount)
    if _update_open_bids_and_asks(order):
        decrease_open_bids_and_asks(position, direction, base_asset_amount)

    if is_liquidation:
        explanation = OrderActionExplanation.Liquidation
    elif override_base_asset_amount is not None and override_fill_price is not None:
        explanation = _JIT_EXPLANATIONS[liquidity_split]
    else:
        explanation = OrderActionExplanation.OrderFilledWithAMM
    events.append(
        _order_action_record(
            now,
            OrderAction.Fill,
            explanation,
            market,
            user.key,
            order,
            oracle_map.get_perp(market.market_index).price,
            fill_record_id=market.next_fill_record_id,
            base_asset_amount_filled=base_asset_amount,
            quote_asset_amount_filled=quote_asset_amount,
            taker_fee=fees.user_fee,
            maker_fee=-fees.maker_rebate if fees.maker_rebate else None,
            quote_asset_amount_surplus=surplus,
        )
    )
    market.next_fill_record_id += 1
    if order.status is OrderStatus.Filled:
        user.open_orders -= 1
        position.open_orders -= 1
    return base_asset_amount, quote_asset_amount


def fulfill_perp_order_with_match(
    market: PerpMarket,
    taker: User,
    taker_stats: UserStats,
    taker_order_index: int,
    maker: User,
    maker_stats: UserStats | None,
    maker_order_index: int,
    filler: User | None,
    filler_stats: UserStats | None,
    state: State,
    oracle_map,
    reserve_price_before: int,
    valid_oracle_price: int | None,
    taker_limit_price: int | None,
    maker_price: int,
    now: int,
    slot: int,
    is_liquidation: bool,
    lp_allowed_to_jit_make: bool,
    events: list,
) -> tuple[int, int, int]:
    """Match a taker order with a resting maker order (the AMM may JIT part of it first).

    Returns (total base filled, total quote filled, base filled by the maker).

    Source: programs/drift/src/controller/orders.rs::fulfill_perp_order_with_match
    """
    taker_order = taker.orders[taker_order_index]
    maker_order = maker.orders[maker_order_index]
    if not are_orders_same_market_but_different_sides(maker_order, taker_order):
        return 0, 0, 0
    amm = market.amm
    oracle_price = oracle_map.get_perp(market.market_index).price
    taker_direction = taker_order.direction
    if taker_limit_price is not None:
        taker_price = taker_limit_price
    else:
        reserve = reserve_price(amm)
        taker_price = get_fallback_price(
            taker_direction,
            bid_price(amm, reserve),
            ask_price(amm, reserve),
            calculate_amm_available_liquidity(amm, taker_direction),
            oracle_price,
        )
    taker_position = get_perp_position(taker, market.market_index)
    maker_position = get_perp_position(maker, market.market_index)
    taker_base = get_base_asset_amount_unfilled(taker_order, taker_position.base_asset_amount)
    maker_direction = maker_order.direction
    maker_base = get_base_asset_amount_unfilled(maker_order, maker_position.base_asset_amount)
    if not do_orders_cross(maker_direction, maker_price, taker_price):
        return 0, 0, 0
    base_asset_amount, _ = calculate_fill_for_matched_orders(
        maker_base, maker_price, taker_base, PERP_DECIMALS, maker_direction
    )
    if base_asset_amount == 0:
        return 0, 0, 0

    update_mark_twap_from_estimates(
        amm, now, maker_price, taker_direction, get_sanitize_clamp_denominator(market)
    )
    total_base = 0
    total_quote = 0
    jit_base_asset_amount, jit_liquidity_split = calculate_amm_jit_liquidity(
        market,
        taker_direction,
        maker_price,
        valid_oracle_price,
        base_asset_amount,
        taker_base,
        maker_base,
        has_limit_price(taker_order, slot),
        lp_allowed_to_jit_make,
    )
    if jit_base_asset_amount > 0:
        total_base, total_quote = fulfill_perp_order_with_amm(
            taker, taker_stats, taker_order_index, market, oracle_map, reserve_price_before,
            now, slot, filler, filler_stats, state, taker_limit_price, jit_base_asset_amount,
            maker_price, is_liquidation, events, jit_liquidity_split,
        )

    taker_base = get_base_asset_amount_unfilled(taker_order, taker_position.base_asset_amount)
    maker_fill_base, quote_asset_amount = calculate_fill_for_matched_orders(
        maker_base, maker_price, taker_base, PERP_DECIMALS, maker_direction
    )
    validate_fill_price(
        quote_asset_amount, maker_fill_base, BASE_PRECISION, taker_direction, taker_price, True
    )
    validate_fill_price(
        quote_asset_amount, maker_fill_base, BASE_PRECISION, maker_direction, maker_price, False
    )
    total_base += maker_fill_base
    total_quote += quote_asset_amount

    maker_delta = get_position_delta_for_fill(maker_fill_base, quote_asset_amount, maker_direction)
    update_position_and_market(maker_position, market, maker_delta)
    update_maker_volume_30d(maker_stats or taker_stats, quote_asset_amount, now)
    taker_delta = get_position_delta_for_fill(maker_fill_base, quote_asset_amount, taker_direction)
    update_position_and_market(taker_position, market, taker_delta)
    update_taker_volume_30d(taker_stats, quote_asset_amount, now)

    filler_multiplier = (
        calculate_filler_multiplier_for_matched_orders(maker_price, maker_direction, oracle_price)
        if filler is not None
        else 0
    )
    fees = calculate_fee_for_fulfillment_with_match(
        taker_stats,
        maker_stats,
        quote_asset_amount,
        state.perp_fee_structure,
        taker_order.slot,
        slot,
        filler_multiplier,
        filler is not None,
        False,
        None,
        MarketType.Perp,
        market.fee_adjustment,
        False,
    )
    amm.total_fee += fees.fee_to_market
    amm.total_exchange_fee += fees.fee_to_market
    amm.total_fee_minus_distributions += fees.fee_to_market
    amm.net_revenue_since_last_funding += fees.fee_to_market
    update_quote_asset_and_break_even_amount(taker_position, market, -fees.user_fee)
    taker_stats.fees.total_fee_paid += fees.user_fee
    taker_stats.fees.total_referee_discount += fees.referee_discount
    update_quote_asset_and_break_even_amount(maker_position, market, fees.maker_rebate)
    (maker_stats or taker_stats).fees.total_fee_rebate += fees.maker_rebate
    _credit_filler(filler, filler_stats, market, fees.filler_reward, quote_asset_amount, now, slot)

    _update_order_after_fill(taker_order, maker_fill_base, quote_asset_amount)
    if _update_open_bids_and_asks(taker_order):
        decrease_open_bids_and_asks(taker_position, taker_direction, maker_fill_base)
    _update_order_after_fill(maker_order, maker_fill_base, quote_asset_amount)
    if _update_open_bids_and_asks(maker_order):
        decrease_open_bids_and_asks(maker_position, maker_direction, maker_fill_base)

    events.append(
        OrderActionRecord(
            ts=now,
            action=OrderAction.Fill,
            action_explanation=(
                OrderActionExplanation.Liquidation
                if is_liquidation
                else OrderActionExplanation.OrderFilledWithMatch
            ),
            market_index=market.market_index,
            fill_record_id=market.next_fill_record_id,
            base_asset_amount_filled=maker_fill_base,
            quote_asset_amount_filled=quote_asset_amount,
            taker_fee=fees.user_fee,
            maker_fee=-fees.maker_rebate,
            taker=taker.key,
            taker_order_id=taker_order.order_id,
            taker_order_direction=taker_direction.name,
            maker=maker.key,
            maker_order_id=maker_order.order_id,
            maker_order_direction=maker_direction.name,
            oracle_price=oracle_price,
        )
    )
    market.next_fill_record_id += 1
    if taker_order.status is OrderStatus.Filled:
        taker.open_orders -= 1
        taker_position.open_orders -= 1
    if maker_order.status is OrderStatus.Filled:
        maker.open_orders -= 1
        maker_position.open_orders -= 1
    return total_base, total_quote, maker_fill_base
