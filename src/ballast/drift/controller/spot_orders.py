"""Placing and filling spot orders: a taker matched against users' resting maker orders.

A spot order buys (Long) or sells (Short) the base token of a spot market for the quote token
(USDC, spot market 0). A fill moves both tokens between the taker's and the maker's spot
balances through the spot balance controller, charges the taker the spot fee tier's fee, pays
the maker its rebate and a distinct filler its reward, and books the rest (fee_to_market) to
the base market's spot_fee_pool (or, with Ballast's `State.spot_fee_to_revenue_pool` option,
the quote market's revenue pool). Both sides must then meet their margin requirement (Fill
when risk increasing, else Maintenance). External fulfillment (Serum, Phoenix, OpenBook) is
out of Ballast's reach: only user matching.

Prices 1e6, base amounts in the base token's decimals, quote amounts in USDC (1e6).

Source: programs/drift/src/controller/orders.rs
"""

from __future__ import annotations

from ballast.drift.constants import (
    MARGIN_PRECISION,
    MAX_OPEN_ORDERS,
    QUOTE_SPOT_MARKET_INDEX,
)
from ballast.drift.controller.orders import (
    _get_auction_params,
    _order_index,
    _spot_order_action_record,
    _update_open_bids_and_asks,
    _update_order_after_fill,
    cancel_order,
    expire_orders,
    update_filler_volume,
    update_maker_volume_30d,
    update_taker_volume_30d,
)
from ballast.drift.controller.spot_balance import (
    update_revenue_pool_balances,
    update_spot_balances,
    update_spot_market_cumulative_interest,
)
from ballast.drift.controller.spot_position import (
    decrease_spot_open_bids_and_asks,
    force_get_spot_position,
    increase_spot_open_bids_and_asks,
    update_spot_balances_and_cumulative_deposits,
)
from ballast.drift.controller.user import (
    update_last_active_slot,
    validate_user_not_being_liquidated,
)
from ballast.drift.errors import (
    CouldNotFindSpotPosition,
    DefaultError,
    InsufficientCollateral,
    InvalidOracle,
    InvalidOrderBaseQuoteAsset,
    InvalidOrderMarketType,
    InvalidOrderNotStepSizeMultiple,
    InvalidOrderSizeTooSmall,
    MarketBeingInitialized,
    MarketFillOrderPaused,
    MaxNumberOfOrders,
    OrderMustBeTriggeredFirst,
    OrderNotOpen,
    SpotOrdersDisabled,
    UserBankrupt,
    UserIsBeingLiquidated,
    UserOrderIdAlreadyInUse,
    UserReduceOnly,
)
from ballast.drift.events import OrderAction, OrderActionExplanation, OrderActionRecord, OrderRecord
from ballast.drift.math.fees import (
    calculate_fee_for_fulfillment_with_match,
    calculate_filler_multiplier_for_matched_orders,
)
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
from ballast.drift.math.order_price import standardize_price
from ballast.drift.math.orders import (
    calculate_fill_price,
    force_get_limit_price,
    get_limit_price,
    is_multiple_of_step_size,
    is_new_order_risk_increasing,
    is_oracle_too_divergent_with_twap_5min,
    limit_price_breaches_maker_oracle_price_bands,
    must_be_triggered,
    should_cancel_reduce_only_order,
    should_expire_order,
    standardize_base_asset_amount,
    triggered,
    validate_fill_price,
    validate_fill_price_within_price_bands,
)
from ballast.drift.math.spot_balance import StrictOraclePrice
from ballast.drift.math.spot_orders import (
    AssetType,
    determine_spot_fulfillment_methods,
    fills_enabled,
    find_maker_orders,
    get_max_fill_amounts,
    get_signed_spot_token_amount,
    get_spot_position_update_direction,
    get_standardized_base_asset_amount_unfilled,
    validate_spot_margin_trading,
)
from ballast.drift.math.spot_swap import get_spot_margin_ratio, select_margin_type_for_swap
from ballast.drift.math.spot_withdraw import validate_max_token_deposits_and_borrows
from ballast.drift.state.margin_calculation import MarginContext, MarginRequirementType
from ballast.drift.state.order_params import OrderParams, PostOnlyParam
from ballast.drift.state.perp_market import PerpMarket
from ballast.drift.state.spot_market import SpotBalanceType, SpotMarket, SpotMarketStatus
from ballast.drift.state.state import FeeStructure, State
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
from ballast.drift.validation.spot_order import (
    validate_order_for_force_reduce_only,
    validate_spot_order,
)
from ballast.fixed import div_floor

__all__ = [
    "fill_spot_order",
    "fulfill_spot_order_with_match",
    "pay_keeper_flat_reward_for_spot",
    "place_spot_order",
]

# OracleGuardRails::max_oracle_twap_5min_percent_divergence: never below 50% (1e6)
_MIN_ORACLE_TWAP_5MIN_PERCENT_DIVERGENCE = 500_000


def _max_oracle_twap_5min_percent_divergence(state: State) -> int:
    """Source: programs/drift/src/state/state.rs::OracleGuardRails::max_oracle_twap_5min_percent_divergence"""
    return max(
        state.oracle_guard_rails.price_divergence.oracle_twap_5min_percent_divergence,
        _MIN_ORACLE_TWAP_5MIN_PERCENT_DIVERGENCE,
    )


def _update_cumulative_spot_fees(user: User, amount: int) -> None:
    """Source: programs/drift/src/state/user.rs::User::update_cumulative_spot_fees"""
    user.cumulative_spot_fees += amount


def pay_keeper_flat_reward_for_spot(
    user: User,
    filler: User | None,
    quote_market: SpotMarket,
    filler_reward: int,
    slot: int,
) -> int:
    """A distinct filler is paid the flat fee (quote 1e6) out of the user's quote balance.

    Returns the reward paid (0 without a filler).
    Source: programs/drift/src/controller/orders.rs::pay_keeper_flat_reward_for_spot
    """
    if filler is None:
        return 0
    update_spot_balances(
        filler_reward,
        SpotBalanceType.Deposit,
        quote_market,
        force_get_spot_position(filler, QUOTE_SPOT_MARKET_INDEX),
        False,
    )
    update_last_active_slot(filler, slot)
    _update_cumulative_spot_fees(filler, filler_reward)
    update_spot_balances(
        filler_reward,
        SpotBalanceType.Borrow,
        quote_market,
        force_get_spot_position(user, QUOTE_SPOT_MARKET_INDEX),
        False,
    )
    _update_cumulative_spot_fees(user, -filler_reward)
    return filler_reward


# --- place ----------------------------------------------------------------------------------


def place_spot_order(
    state: State,
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map,
    now: int,
    slot: int,
    params: OrderParams,
    events: list,
) -> Order | None:
    """Place a spot order; return it, or None when skipped because its max_ts has passed.

    Checks the user (not being liquidated, not bankrupt, reduce-only), the order slots and user
    order id, the market (initialised, orders enabled, not the quote market), the size against
    the step size, the order's own rules (validate_spot_order); books the open bids/asks; then
    the place-order margin requirement (initial when risk increasing), the margin-trading rule
    and, in a reduce-only market, that the order reduces the position.

    Source: programs/drift/src/controller/orders.rs::place_spot_order
    """
    validate_user_not_being_liquidated(
        user, perp_market_map, spot_market_map, oracle_map, state.liquidation_margin_buffer_ratio
    )
    if user.is_bankrupt():
        raise UserBankrupt(f"user {user.key} is bankrupt")
    expire_orders(user, perp_market_map, oracle_map, now, slot, events)
    if user.status & UserStatus.ReduceOnly and not params.reduce_only:
        raise UserReduceOnly(f"user {user.key} is reduce-only: order must be reduce_only")
    if params.max_ts is not None:
        max_ts = params.max_ts
    elif params.order_type is OrderType.Market or params.order_type is OrderType.Oracle:
        max_ts = now + 30
    else:
        max_ts = 0
    if max_ts != 0 and max_ts < now:
        return None
    if sum(order.status is OrderStatus.Open for order in user.orders) >= MAX_OPEN_ORDERS:
        raise MaxNumberOfOrders(f"user {user.key} already has {MAX_OPEN_ORDERS} open orders")
    if params.user_order_id > 0 and any(
        order.user_order_id == params.user_order_id and order.status is OrderStatus.Open
        for order in user.orders
    ):
        raise UserOrderIdAlreadyInUse(f"user_order_id {params.user_order_id} is already in use")

    market_index = params.market_index
    spot_market = spot_market_map[market_index]
    force_reduce_only = spot_market.status is SpotMarketStatus.ReduceOnly
    step_size = spot_market.order_step_size
    if spot_market.status is SpotMarketStatus.Initialized:
        raise MarketBeingInitialized(f"spot market {market_index} is being initialized")
    position = force_get_spot_position(user, market_index)
    signed_token_amount = get_signed_spot_token_amount(position, spot_market)
    oracle_price_data = oracle_map.get_spot(market_index)

    if params.base_asset_amount < step_size:
        raise InvalidOrderSizeTooSmall(
            f"base_asset_amount {params.base_asset_amount} is below spot market {market_index}'s "
            f"order_step_size {step_size}"
        )
    order_base_asset_amount = standardize_base_asset_amount(params.base_asset_amount, step_size)
    if not is_multiple_of_step_size(order_base_asset_amount, step_size):
        raise InvalidOrderNotStepSizeMultiple(
            f"base_asset_amount {order_base_asset_amount} is not a multiple of step size {step_size}"
        )
    existing_position_direction = (
        PositionDirection.Long if signed_token_amount >= 0 else PositionDirection.Short
    )
    auction_start_price, auction_end_price, auction_duration = _get_auction_params(
        params, oracle_price_data, spot_market.order_tick_size, state.default_spot_auction_duration
    )
    if not spot_market.orders_enabled:
        raise SpotOrdersDisabled(f"spot market {market_index} has orders disabled")
    if market_index == QUOTE_SPOT_MARKET_INDEX:
        raise InvalidOrderBaseQuoteAsset(f"can not place an order for the quote asset (market {market_index})")
    if params.market_type is not MarketType.Spot:
        raise InvalidOrderMarketType(f"market_type {params.market_type.name}: must be Spot")

    tick_size = spot_market.order_tick_size
    new_order = Order(
        order_id=user.next_order_id,
        user_order_id=params.user_order_id,
        market_index=market_index,
        market_type=MarketType.Spot,
        status=OrderStatus.Open,
        order_type=params.order_type,
        direction=params.direction,
        slot=slot,
        price=standardize_price(params.price, tick_size, params.direction),
        base_asset_amount=order_base_asset_amount,
        reduce_only=params.reduce_only or force_reduce_only,
        post_only=params.post_only is not PostOnlyParam.None_,
        immediate_or_cancel=params.immediate_or_cancel,
        trigger_price=standardize_price(params.trigger_price or 0, tick_size, params.direction),
        trigger_condition=params.trigger_condition,
        oracle_price_offset=params.oracle_price_offset or 0,
        auction_start_price=auction_start_price,
        auction_end_price=auction_end_price,
        auction_duration=auction_duration,
        max_ts=max_ts,
        existing_position_direction=existing_position_direction,
    )
    validate_spot_order(new_order, spot_market.order_step_size, spot_market.min_order_size)
    risk_increasing = is_new_order_risk_increasing(
        new_order, signed_token_amount, position.open_bids, position.open_asks
    )
    user.next_order_id += 1
    user.orders.append(new_order)
    user.open_orders += 1
    position.open_orders += 1
    increase_spot_open_bids_and_asks(
        position, params.direction, order_base_asset_amount, _update_open_bids_and_asks(new_order)
    )
    meets_place_order_margin_requirement(
        user, perp_market_map, spot_market_map, oracle_map, risk_increasing
    )
    validate_spot_margin_trading(user, perp_market_map, spot_market_map, oracle_map)
    if force_reduce_only:
        validate_order_for_force_reduce_only(new_order, signed_token_amount)

    events.append(
        _spot_order_action_record(
            now, OrderAction.Place, OrderActionExplanation.Nil, user.key, new_order,
            oracle_price_data.price,
        )
    )
    events.append(
        OrderRecord(
            ts=now,
            user=user.key,
            order_id=new_order.order_id,
            market_index=market_index,
            direction=new_order.direction.name,
            order_type=new_order.order_type.name,
            base_asset_amount=new_order.base_asset_amount,
            price=new_order.price,
        )
    )
    update_last_active_slot(user, slot)
    return new_order


# --- fill -----------------------------------------------------------------------------------


def _should_cancel_reduce_only(user: User, order_index: int, spot_market: SpotMarket) -> bool:
    """A reduce-only order with less than a step left to reduce (signed token amount).

    Source: programs/drift/src/controller/orders.rs::fill_spot_order (should_cancel_reduce_only)
    """
    order = user.orders[order_index]
    if not order.reduce_only:
        return False
    signed_token_amount = get_signed_spot_token_amount(
        user.get_spot_position(order.market_index), spot_market
    )
    return should_cancel_reduce_only_order(order, signed_token_amount, spot_market.order_step_size)


def fill_spot_order(
    order_id: int,
    state: State,
    user: User,
    user_stats: UserStats,
    spot_market_map: dict[int, SpotMarket],
    perp_market_map: dict[int, PerpMarket],
    oracle_map,
    filler: User | None,
    filler_stats: UserStats | None,
    makers: dict[str, tuple[User, UserStats]],
    now: int,
    slot: int,
    events: list,
) -> int:
    """Fill a user's open spot order against resting maker orders; return the base filled.

    `makers` maps user keys to (maker, maker stats) candidates; `filler` is the keeper (None
    when the taker fills its own order, or the filler is a maker or shares the taker's
    authority). Nothing fills (0) for a bankrupt or liquidated user or when the oracle is too far
    from its 5-minute twap; an expired or reduce-only-violating order is cancelled (the filler
    earns the flat fee). After the fill the price must be within the oracle bands; an order left
    open that can no longer fill (reduce-only or no borrow liquidity) is cancelled.

    Source: programs/drift/src/controller/orders.rs::fill_spot_order
    """
    order_index = _order_index(user, order_id)
    order = user.orders[order_index]
    market_index = order.market_index
    base_market = spot_market_map[market_index]
    if not fills_enabled(base_market):
        raise MarketFillOrderPaused(f"spot market {market_index} is unavailable for fills")
    if order.market_type is not MarketType.Spot:
        raise InvalidOrderMarketType(f"order {order_id} of user {user.key} is not a spot order")
    if order.status is not OrderStatus.Open:
        raise OrderNotOpen(f"order {order_id} of user {user.key} is not open")
    if must_be_triggered(order) and not triggered(order):
        raise OrderMustBeTriggeredFirst(f"order {order_id} must be triggered first")
    if user.is_bankrupt():
        return 0
    try:
        validate_user_not_being_liquidated(
            user, perp_market_map, spot_market_map, oracle_map, state.liquidation_margin_buffer_ratio
        )
    except UserIsBeingLiquidated:
        return 0
    if filler is not None and (filler.authority == user.authority or filler.key in makers):
        filler, filler_stats = None, None

    quote_market = spot_market_map[QUOTE_SPOT_MARKET_INDEX]
    oracle_price = oracle_map.get_spot(market_index).price
    maker_orders_info = _get_spot_maker_orders_info(
        perp_market_map, spot_market_map, oracle_map, makers, user.key, order, filler,
        state.spot_fee_structure.flat_filler_fee, oracle_price, now, slot, events,
    )

    update_spot_market_cumulative_interest(
        quote_market, oracle_map.get_spot(QUOTE_SPOT_MARKET_INDEX), now
    )
    base_oracle_price_data = oracle_map.get_spot(market_index)
    update_spot_market_cumulative_interest(base_market, base_oracle_price_data, now)
    oracle_stale_for_margin = (
        base_oracle_price_data.delay > state.oracle_guard_rails.validity.slots_before_stale_for_margin
    )
    if is_oracle_too_divergent_with_twap_5min(
        base_oracle_price_data.price,
        base_market.historical_oracle_data.last_oracle_price_twap_5min,
        _max_oracle_twap_5min_percent_divergence(state),
    ):
        if filler is not None:
            update_last_active_slot(filler, slot)
        return 0

    expired = should_expire_order(user, order_index, now)
    if expired or _should_cancel_reduce_only(user, order_index, base_market):
        reward = pay_keeper_flat_reward_for_spot(
            user, filler, quote_market, state.spot_fee_structure.flat_filler_fee, slot
        )
        explanation = (
            OrderActionExplanation.OrderExpired
            if expired
            else OrderActionExplanation.ReduceOnlyOrderIncreasedPosition
        )
        cancel_order(order_index, user, perp_market_map, oracle_map, now, slot, explanation, events, reward)
        return 0

    base_asset_amount, quote_asset_amount = _fulfill_spot_order(
        user, order_index, user_stats, makers, maker_orders_info, filler, filler_stats,
        spot_market_map, perp_market_map, oracle_map, now, slot, state, oracle_stale_for_margin,
        events,
    )

    if base_asset_amount != 0:
        fill_price = calculate_fill_price(
            quote_asset_amount, base_asset_amount, 10**base_market.decimals
        )
        validate_fill_price_within_price_bands(
            fill_price,
            oracle_map.get_spot(market_index).price,
            base_market.historical_oracle_data.last_oracle_price_twap_5min,
            get_spot_margin_ratio(base_market, MarginRequirementType.Initial),
            _max_oracle_twap_5min_percent_divergence(state),
        )

    if order.status is OrderStatus.Open:
        cancel_reduce_only = _should_cancel_reduce_only(user, order_index, base_market)
        max_base, max_quote = get_max_fill_amounts(user, order_index, base_market, quote_market, False)
        if cancel_reduce_only or max_base == 0 or max_quote == 0:
            reward = pay_keeper_flat_reward_for_spot(
                user, filler, quote_market, state.spot_fee_structure.flat_filler_fee, slot
            )
            explanation = (
                OrderActionExplanation.ReduceOnlyOrderIncreasedPosition
                if cancel_reduce_only
                else OrderActionExplanation.NoBorrowLiquidity
            )
            cancel_order(
                order_index, user, perp_market_map, oracle_map, now, slot, explanation, events, reward
            )

    validate_max_token_deposits_and_borrows(base_market)
    update_last_active_slot(user, slot)
    return base_asset_amount


def _get_spot_maker_orders_info(
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map,
    makers: dict[str, tuple[User, UserStats]],
    taker_key: str,
    taker_order: Order,
    filler: User | None,
    filler_reward: int,
    oracle_price: int,
    now: int,
    slot: int,
    events: list,
) -> list[tuple[str, int, int]]:
    """Makers' orders that may fill the taker, best price first (ties in the makers' order);
    stale ones (breaching the oracle bands, expired, reduce-only violations) are cancelled,
    the filler earning the flat fee.

    Source: programs/drift/src/controller/orders.rs::get_spot_maker_orders_info
    """
    maker_direction = taker_order.direction.opposite()
    market = spot_market_map[taker_order.market_index]
    quote_market = spot_market_map[QUOTE_SPOT_MARKET_INDEX]
    info: list[tuple[str, int, int]] = []
    for maker_key, (maker, _maker_stats) in makers.items():
        if maker_key == taker_key or maker.is_being_liquidated() or maker.is_bankrupt():
            continue
        candidates = find_maker_orders(
            maker, maker_direction, MarketType.Spot, taker_order.market_index, oracle_price,
            slot, market.order_tick_size,
        )
        if not candidates:
            continue
        update_last_active_slot(maker, slot)
        initial_margin_ratio = get_spot_margin_ratio(market, MarginRequirementType.Initial)
        existing_base_asset_amount = get_signed_spot_token_amount(
            maker.get_spot_position(taker_order.market_index), market
        )
        for maker_order_index, maker_order_price in candidates:
            maker_order = maker.orders[maker_order_index]
            if not is_maker_for_taker(maker_order, taker_order, slot):
                continue
            if not are_orders_same_market_but_different_sides(maker_order, taker_order):
                continue
            breaches = limit_price_breaches_maker_oracle_price_bands(
                maker_order_price, maker_order.direction, oracle_price, initial_margin_ratio
            )
            expired = should_expire_order(maker, maker_order_index, now)
            reduce_only_violation = should_cancel_reduce_only_order(
                maker_order, existing_base_asset_amount, market.order_step_size
            )
            if breaches or expired or reduce_only_violation:
                reward = pay_keeper_flat_reward_for_spot(maker, filler, quote_market, filler_reward, slot)
                if breaches:
                    explanation = OrderActionExplanation.OraclePriceBreachedLimitPrice
                elif expired:
                    explanation = OrderActionExplanation.OrderExpired
                else:
                    explanation = OrderActionExplanation.ReduceOnlyOrderIncreasedPosition
                cancel_order(
                    maker_order_index, maker, perp_market_map, oracle_map, now, slot, explanation,
                    events, reward,
                )
                continue
            info.append((maker_key, maker_order_index, maker_order_price))
    if maker_direction is PositionDirection.Long:
        info.sort(key=lambda item: -item[2])
    else:
        info.sort(key=lambda item: item[2])
    return info


def _signed_amounts(user: User, base_market: SpotMarket, quote_market: SpotMarket) -> tuple[int, int]:
    """(base, quote) signed token amounts of the user.

    Source: programs/drift/src/controller/orders.rs::fulfill_spot_order (token amounts before/after)
    """
    return (
        get_signed_spot_token_amount(user.get_spot_position(base_market.market_index), base_market),
        get_signed_spot_token_amount(user.get_spot_position(QUOTE_SPOT_MARKET_INDEX), quote_market),
    )


def _spot_fill_margin_type(
    direction: PositionDirection,
    base_market: SpotMarket,
    quote_market: SpotMarket,
    strict_base_price: StrictOraclePrice,
    strict_quote_price: StrictOraclePrice,
    before: tuple[int, int],
    after: tuple[int, int],
) -> tuple[MarginRequirementType, bool]:
    """A buy sells quote for base, a sell base for quote: select_margin_type_for_swap with the
    sold token as `in`. `before`/`after` are (base, quote) signed token amounts.

    Source: programs/drift/src/controller/orders.rs::fulfill_spot_order
    """
    if direction is PositionDirection.Long:
        return select_margin_type_for_swap(
            quote_market, base_market, strict_quote_price, strict_base_price,
            before[1], before[0], after[1], after[0], MarginRequirementType.Fill,
        )
    return select_margin_type_for_swap(
        base_market, quote_market, strict_base_price, strict_quote_price,
        before[0], before[1], after[0], after[1], MarginRequirementType.Fill,
    )


def _fulfill_spot_order(
    user: User,
    user_order_index: int,
    user_stats: UserStats,
    makers: dict[str, tuple[User, UserStats]],
    maker_orders_info: list[tuple[str, int, int]],
    filler: User | None,
    filler_stats: UserStats | None,
    spot_market_map: dict[int, SpotMarket],
    perp_market_map: dict[int, PerpMarket],
    oracle_map,
    now: int,
    slot: int,
    state: State,
    oracle_stale_for_margin: bool,
    events: list,
) -> tuple[int, int]:
    """Match the taker against the makers in price order, then check the taker's and each
    filled maker's margin (InsufficientCollateral). Returns (base, quote) filled.

    Source: programs/drift/src/controller/orders.rs::fulfill_spot_order
    """
    order = user.orders[user_order_index]
    base_market_index = order.market_index
    order_direction = order.direction
    quote_market = spot_market_map[QUOTE_SPOT_MARKET_INDEX]
    base_market = spot_market_map[base_market_index]
    force_get_spot_position(user, base_market_index)
    taker_before = _signed_amounts(user, base_market, quote_market)
    makers_before = {
        maker_key: _signed_amounts(makers[maker_key][0], base_market, quote_market)
        for maker_key, _, _ in maker_orders_info
    }
    oracle_price = oracle_map.get_spot(base_market_index).price
    limit_price = get_limit_price(order, oracle_price, None, slot, base_market.order_tick_size)
    fulfillment_methods = determine_spot_fulfillment_methods(order, maker_orders_info, limit_price)

    base_asset_amount = quote_asset_amount = 0
    maker_fills: dict[str, int] = {}
    for maker_key, maker_order_index in fulfillment_methods:
        if order.status is not OrderStatus.Open:
            break
        maker, maker_stats = makers[maker_key]
        base_filled, quote_filled = fulfill_spot_order_with_match(
            base_market, quote_market, user, user_stats, user_order_index, user.key, maker,
            None if maker.authority == user.authority else maker_stats, maker_order_index,
            maker_key, filler, filler_stats, now, slot, oracle_map, state.spot_fee_structure,
            events, state.spot_fee_to_revenue_pool,
        )
        if base_filled != 0:
            maker_fills[maker_key] = maker_fills.get(maker_key, 0) + base_filled
        base_asset_amount += base_filled
        quote_asset_amount += quote_filled
    if (base_asset_amount > 0) != (quote_asset_amount > 0):
        raise DefaultError(f"invalid fill base = {base_asset_amount} quote = {quote_asset_amount}")

    strict_quote_price = StrictOraclePrice.new(
        oracle_map.get_spot(QUOTE_SPOT_MARKET_INDEX).price,
        quote_market.historical_oracle_data.last_oracle_price_twap_5min,
        True,
    )
    strict_base_price = StrictOraclePrice.new(
        oracle_map.get_spot(base_market_index).price,
        base_market.historical_oracle_data.last_oracle_price_twap_5min,
        True,
    )
    margin_type, taker_risk_increasing = _spot_fill_margin_type(
        order_direction, base_market, quote_market, strict_base_price, strict_quote_price,
        taker_before, _signed_amounts(user, base_market, quote_market),
    )
    context = MarginContext.standard(margin_type)
    if oracle_stale_for_margin and taker_risk_increasing:
        context = context.with_margin_ratio_override(MARGIN_PRECISION)
    calculation = calculate_margin_requirement_and_total_collateral_and_liability_info(
        user, perp_market_map, spot_market_map, oracle_map, context
    )
    if not calculation.meets_margin_requirement():
        raise InsufficientCollateral(
            f"taker {user.key} breached its {margin_type.name} requirement: margin requirement "
            f"{calculation.margin_requirement}, total collateral {calculation.total_collateral}"
        )

    maker_direction = order_direction.opposite()
    for maker_key in sorted(maker_fills):
        maker = makers[maker_key][0]
        margin_type, maker_risk_increasing = _spot_fill_margin_type(
            maker_direction, base_market, quote_market, strict_base_price, strict_quote_price,
            makers_before[maker_key], _signed_amounts(maker, base_market, quote_market),
        )
        context = MarginContext.standard(margin_type)
        if oracle_stale_for_margin:
            if maker_risk_increasing and taker_risk_increasing:
                raise InvalidOracle(
                    "maker or taker must be reducing position if oracle stale for margin"
                )
            if maker_risk_increasing:
                context = context.with_margin_ratio_override(MARGIN_PRECISION)
        calculation = calculate_margin_requirement_and_total_collateral_and_liability_info(
            maker, perp_market_map, spot_market_map, oracle_map, context
        )
        if not calculation.meets_margin_requirement():
            raise InsufficientCollateral(
                f"maker {maker_key} breached its {margin_type.name} requirement: margin "
                f"requirement {calculation.margin_requirement}, total collateral "
                f"{calculation.total_collateral}"
            )
    return base_asset_amount, quote_asset_amount


def _capped_base(
    base_asset_amount: int, max_base: int | None, max_quote: int | None, base_market: SpotMarket,
    maker_price: int,
) -> int:
    """An order's base (token decimals) capped by what its user can fill (get_max_fill_amounts):
    by the base a quote budget buys at the maker's price, floored to the step, else by the base
    limit, else unchanged.

    Source: programs/drift/src/controller/orders.rs::fulfill_spot_order_with_match (implied max base)
    """
    if max_quote is not None:
        return min(
            base_asset_amount,
            standardize_base_asset_amount(
                div_floor(max_quote * 10**base_market.decimals, maker_price), base_market.order_step_size
            ),
        )
    if max_base is not None:
        return min(base_asset_amount, max_base)
    return base_asset_amount


def fulfill_spot_order_with_match(
    base_market: SpotMarket,
    quote_market: SpotMarket,
    taker: User,
    taker_stats: UserStats,
    taker_order_index: int,
    taker_key: str,
    maker: User,
    maker_stats: UserStats | None,
    maker_order_index: int,
    maker_key: str,
    filler: User | None,
    filler_stats: UserStats | None,
    now: int,
    slot: int,
    oracle_map,
    fee_structure: FeeStructure,
    events: list,
    spot_fee_to_revenue_pool: bool = False,
) -> tuple[int, int]:
    """Match a taker order with one maker order at the maker's price; return (base, quote).

    Nothing fills (0, 0) when the orders are not opposite sides of one market, the taker has
    no limit price, the prices do not cross, or the size rounds to zero. Each side's size is
    capped by what it may take out of the markets (get_max_fill_amounts). The taker pays
    quote + fee (a buy) or receives quote - fee (a sell); the maker the other way with its
    rebate; a filler (when given) gets its reward; fee_to_market goes to the base market's
    spot_fee_pool (the quote market's revenue pool when `spot_fee_to_revenue_pool`, Ballast's
    option) and total_spot_fee. maker_stats None means the maker shares the taker's authority
    (the taker's stats take the maker's volume and rebate).

    Source: programs/drift/src/controller/orders.rs::fulfill_spot_order_with_match
    """
    taker_order = taker.orders[taker_order_index]
    maker_order = maker.orders[maker_order_index]
    if not are_orders_same_market_but_different_sides(maker_order, taker_order):
        return 0, 0
    market_index = taker_order.market_index
    oracle_price = oracle_map.get_spot(base_market.market_index).price
    taker_price = get_limit_price(taker_order, oracle_price, None, slot, base_market.order_tick_size)
    if taker_price is None:
        return 0, 0
    taker_position = taker.get_spot_position(market_index)
    if taker_position is None:
        raise CouldNotFindSpotPosition(f"taker {taker_key} has no spot position {market_index}")
    taker_base_asset_amount = get_standardized_base_asset_amount_unfilled(
        taker_order,
        get_signed_spot_token_amount(taker_position, base_market),
        base_market.order_step_size,
    )
    taker_direction = taker_order.direction
    maker_price = force_get_limit_price(maker_order, oracle_price, None, slot, base_market.order_tick_size)
    maker_direction = maker_order.direction
    maker_position = maker.get_spot_position(market_index)
    if maker_position is None:
        raise CouldNotFindSpotPosition(f"maker {maker_key} has no spot position {market_index}")
    maker_base_asset_amount = get_standardized_base_asset_amount_unfilled(
        maker_order,
        get_signed_spot_token_amount(maker_position, base_market),
        base_market.order_step_size,
    )
    if not do_orders_cross(maker_direction, maker_price, taker_price):
        return 0, 0

    taker_max_base, taker_max_quote = get_max_fill_amounts(
        taker, taker_order_index, base_market, quote_market, False
    )
    taker_base_asset_amount = _capped_base(
        taker_base_asset_amount, taker_max_base, taker_max_quote, base_market, maker_price
    )
    maker_max_base, maker_max_quote = get_max_fill_amounts(
        maker, maker_order_index, base_market, quote_market, False
    )
    maker_base_asset_amount = _capped_base(
        maker_base_asset_amount, maker_max_base, maker_max_quote, base_market, maker_price
    )

    base_asset_amount, quote_asset_amount = calculate_fill_for_matched_orders(
        maker_base_asset_amount, maker_price, taker_base_asset_amount, base_market.decimals,
        maker_direction,
    )
    if base_asset_amount == 0:
        return 0, 0
    base_precision = 10**base_market.decimals
    validate_fill_price(
        quote_asset_amount, base_asset_amount, base_precision, taker_direction, taker_price, True
    )
    validate_fill_price(
        quote_asset_amount, base_asset_amount, base_precision, maker_direction, maker_price, False
    )
    filler_multiplier = (
        calculate_filler_multiplier_for_matched_orders(maker_price, maker_direction, oracle_price)
        if filler is not None
        else 0
    )
    fees = calculate_fee_for_fulfillment_with_match(
        taker_stats,
        maker_stats,
        quote_asset_amount,
        fee_structure,
        taker_order.slot,
        slot,
        filler_multiplier,
        filler is not None,
        False,
        None,
        MarketType.Spot,
        base_market.fee_adjustment,
        False,
    )
    taker_fee = fees.user_fee
    maker_rebate = fees.maker_rebate
    filler_reward = fees.filler_reward
    fee_to_market = fees.fee_to_market

    # taker
    update_spot_balances_and_cumulative_deposits(
        base_asset_amount,
        get_spot_position_update_direction(taker_order, AssetType.Base),
        base_market,
        taker_position,
        False,
        None,
    )
    taker_quote_delta = (
        quote_asset_amount + taker_fee
        if taker_direction is PositionDirection.Long
        else quote_asset_amount - taker_fee
    )
    update_spot_balances_and_cumulative_deposits(
        taker_quote_delta,
        get_spot_position_update_direction(taker_order, AssetType.Quote),
        quote_market,
        force_get_spot_position(taker, QUOTE_SPOT_MARKET_INDEX),
        False,
        quote_asset_amount,
    )
    _update_cumulative_spot_fees(taker, -taker_fee)
    _update_order_after_fill(taker_order, base_asset_amount, quote_asset_amount)
    decrease_spot_open_bids_and_asks(
        taker_position, taker_direction, base_asset_amount, _update_open_bids_and_asks(taker_order)
    )
    update_taker_volume_30d(taker_stats, quote_asset_amount, now)
    taker_stats.fees.total_fee_paid += taker_fee

    # maker
    update_spot_balances_and_cumulative_deposits(
        base_asset_amount,
        get_spot_position_update_direction(maker_order, AssetType.Base),
        base_market,
        maker_position,
        False,
        None,
    )
    maker_quote_delta = (
        quote_asset_amount - maker_rebate
        if maker_direction is PositionDirection.Long
        else quote_asset_amount + maker_rebate
    )
    update_spot_balances_and_cumulative_deposits(
        maker_quote_delta,
        get_spot_position_update_direction(maker_order, AssetType.Quote),
        quote_market,
        force_get_spot_position(maker, QUOTE_SPOT_MARKET_INDEX),
        False,
        quote_asset_amount,
    )
    _update_cumulative_spot_fees(maker, maker_rebate)
    _update_order_after_fill(maker_order, base_asset_amount, quote_asset_amount)
    decrease_spot_open_bids_and_asks(
        maker_position, maker_direction, base_asset_amount, _update_open_bids_and_asks(maker_order)
    )
    rebate_stats = maker_stats if maker_stats is not None else taker_stats
    update_maker_volume_30d(rebate_stats, quote_asset_amount, now)
    rebate_stats.fees.total_fee_rebate += maker_rebate

    # filler
    if filler is not None and filler_stats is not None:
        if filler_reward > 0:
            update_spot_balances(
                filler_reward,
                SpotBalanceType.Deposit,
                quote_market,
                force_get_spot_position(filler, QUOTE_SPOT_MARKET_INDEX),
                False,
            )
            _update_cumulative_spot_fees(filler, filler_reward)
        update_last_active_slot(filler, slot)
        update_filler_volume(filler_stats, quote_asset_amount, now)

    # base market
    base_market.total_spot_fee += fee_to_market
    if spot_fee_to_revenue_pool:
        update_revenue_pool_balances(fee_to_market, SpotBalanceType.Deposit, quote_market)
    else:
        update_spot_balances(
            fee_to_market, SpotBalanceType.Deposit, quote_market, base_market.spot_fee_pool, False
        )
    fill_record_id = base_market.next_fill_record_id
    base_market.next_fill_record_id += 1
    events.append(
        OrderActionRecord(
            ts=now,
            action=OrderAction.Fill,
            action_explanation=OrderActionExplanation.OrderFilledWithMatch,
            market_index=market_index,
            fill_record_id=fill_record_id,
            base_asset_amount_filled=base_asset_amount,
            quote_asset_amount_filled=quote_asset_amount,
            taker_fee=taker_fee,
            maker_fee=-maker_rebate,
            taker=taker_key,
            taker_order_id=taker_order.order_id,
            taker_order_direction=taker_direction.name,
            maker=maker_key,
            maker_order_id=maker_order.order_id,
            maker_order_direction=maker_direction.name,
            oracle_price=oracle_price,
            market_type="Spot",
        )
    )

    # clear filled orders (the slot is freed once the instruction finishes)
    if taker_order.get_base_asset_amount_unfilled() == 0:
        taker.open_orders -= 1
        taker_order.status = OrderStatus.Filled
        taker_position.open_orders -= 1
    if maker_order.get_base_asset_amount_unfilled() == 0:
        maker.open_orders -= 1
        maker_order.status = OrderStatus.Filled
        maker_position.open_orders -= 1
    return base_asset_amount, quote_asset_amount
