"""Order math: step/tick standardisation, limit prices, AMM fill sizes, fill-price checks.

Also holds the reference's `Order` methods that carry logic (limit price, resting-limit test,
unfilled size against a reduce-only position), as pure functions of an `Order`.
Prices PRICE_PRECISION (1e6), base BASE_PRECISION (1e9), quote QUOTE_PRECISION (1e6).

Source: programs/drift/src/math/orders.rs, programs/drift/src/state/user.rs (impl Order)
"""

from __future__ import annotations

from ballast.drift.constants import (
    FEE_ADJUSTMENT_MAX,
    MARGIN_PRECISION,
    PERCENTAGE_PRECISION,
)
from ballast.drift.errors import (
    InvalidAmmLimitPriceOverride,
    InvalidOrderFillPrice,
    InvalidTriggerOrderCondition,
    OracleNotFound,
    PriceBandsBreached,
    UnableToGetLimitPrice,
)
from ballast.drift.math import amm as amm_math
from ballast.drift.math import amm_spread, auction
from ballast.drift.math.order_price import standardize_price
from ballast.drift.state.order_params import PostOnlyParam
from ballast.drift.state.perp_market import AMM, PerpMarket
from ballast.drift.state.state import FeeTier
from ballast.drift.state.user import (
    Order,
    OrderStatus,
    OrderTriggerCondition,
    OrderType,
    PositionDirection,
    User,
)
from ballast.fixed import MathError, div_ceil, div_floor, div_trunc

_LONG = PositionDirection.Long
_SHORT = PositionDirection.Short
_FIFTY_PERCENT = 500_000  # PERCENTAGE_PRECISION / 2, floor of the 5-min twap divergence band


# --- Order methods (state/user.rs impl Order) -------------------------------------------------


def is_market_order(order: Order) -> bool:
    """Market, TriggerMarket and Oracle orders. Source: programs/drift/src/state/user.rs::Order::is_market_order"""
    return order.order_type in (OrderType.Market, OrderType.TriggerMarket, OrderType.Oracle)


def is_limit_order(order: Order) -> bool:
    """Limit and TriggerLimit orders. Source: programs/drift/src/state/user.rs::Order::is_limit_order"""
    return order.order_type is OrderType.Limit or order.order_type is OrderType.TriggerLimit


def must_be_triggered(order: Order) -> bool:
    """Source: programs/drift/src/state/user.rs::Order::must_be_triggered"""
    return order.order_type is OrderType.TriggerMarket or order.order_type is OrderType.TriggerLimit


def triggered(order: Order) -> bool:
    """Source: programs/drift/src/state/user.rs::Order::triggered"""
    return order.trigger_condition in (
        OrderTriggerCondition.TriggeredAbove,
        OrderTriggerCondition.TriggeredBelow,
    )


def is_jit_maker(order: Order) -> bool:
    """A post-only IOC order placed to make against one taker. Source: programs/drift/src/state/user.rs::Order::is_jit_maker"""
    return order.post_only and order.immediate_or_cancel


def get_base_asset_amount_unfilled(order: Order, existing_position: int | None) -> int:
    """Unfilled base (1e9); with a position given, a reduce-only order is capped to reduce it.

    Returns 0 for a reduce-only order whose side would grow (or open) the position.
    Source: programs/drift/src/state/user.rs::Order::get_base_asset_amount_unfilled
    """
    unfilled = order.base_asset_amount - order.base_asset_amount_filled
    if unfilled < 0:
        raise MathError(f"order {order.order_id} filled {order.base_asset_amount_filled} > size {order.base_asset_amount}")
    if existing_position is None or not order.reduce_only:
        return unfilled
    if existing_position == 0:
        return 0
    if (order.direction is _LONG) == (existing_position > 0):
        return 0
    return min(unfilled, abs(existing_position))


def get_limit_price(
    order: Order,
    valid_oracle_price: int | None,
    fallback_price: int | None,
    slot: int,
    tick_size: int,
) -> int | None:
    """The order's limit price now (1e6), or None for a market order past its auction.

    During an auction: the auction price; oracle-offset orders: max(oracle + offset, tick)
    standardized to tick; price 0: the fallback standardized to tick (or None); else `price`.
    Source: programs/drift/src/state/user.rs::Order::get_limit_price
    """
    if (
        (order.auction_start_price != 0 or order.auction_end_price != 0)
        and not auction.is_auction_complete(order.slot, order.auction_duration, slot)
    ):
        return auction.calculate_auction_price(order, slot, tick_size, valid_oracle_price)
    if order.oracle_price_offset != 0:
        if valid_oracle_price is None:
            raise OracleNotFound(f"order {order.order_id}: oracle offset limit price needs an oracle price")
        limit_price = max(valid_oracle_price + order.oracle_price_offset, tick_size)
        return standardize_price(limit_price, tick_size, order.direction)
    if order.price == 0:
        if fallback_price is None:
            return None
        return standardize_price(fallback_price, tick_size, order.direction)
    return order.price


def force_get_limit_price(
    order: Order,
    valid_oracle_price: int | None,
    fallback_price: int | None,
    slot: int,
    tick_size: int,
) -> int:
    """`get_limit_price` that raises UnableToGetLimitPrice instead of returning None.

    Source: programs/drift/src/state/user.rs::Order::force_get_limit_price
    """
    price = get_limit_price(order, valid_oracle_price, fallback_price, slot, tick_size)
    if price is None:
        raise UnableToGetLimitPrice(f"order {order.order_id} has no limit price at slot {slot}")
    return price


def has_limit_price(order: Order, slot: int) -> bool:
    """True unless a price-0, no-offset order has finished its auction.

    Source: programs/drift/src/state/user.rs::Order::has_limit_price
    """
    return (
        order.price > 0
        or order.oracle_price_offset != 0
        or not auction.is_auction_complete(order.slot, order.auction_duration, slot)
    )


def is_resting_limit_order(order: Order, slot: int) -> bool:
    """A limit order that is post-only or past its auction (can be a maker).

    Source: programs/drift/src/state/user.rs::Order::is_resting_limit_order
    """
    return is_limit_order(order) and (
        order.post_only or auction.is_auction_complete(order.slot, order.auction_duration, slot)
    )


# --- standardisation ------------------------------------------------------------------------


def standardize_base_asset_amount(base_asset_amount: int, step_size: int) -> int:
    """Round a non-negative base amount down to a multiple of step_size (1e9 units).

    Source: programs/drift/src/math/orders.rs::standardize_base_asset_amount
    """
    if step_size <= 0:
        raise MathError(f"step size {step_size} must be positive")
    return base_asset_amount - base_asset_amount % step_size


def standardize_base_asset_amount_ceil(base_asset_amount: int, step_size: int) -> int:
    """Round a non-negative base amount up to a multiple of step_size (1e9 units).

    Source: programs/drift/src/math/orders.rs::standardize_base_asset_amount_ceil
    """
    if step_size <= 0:
        raise MathError(f"step size {step_size} must be positive")
    remainder = base_asset_amount % step_size
    return base_asset_amount if remainder == 0 else base_asset_amount + step_size - remainder


def standardize_base_asset_amount_with_remainder_i128(base_asset_amount: int, step_size: int) -> tuple[int, int]:
    """Split a signed base amount into (stepped toward zero, signed remainder).

    Source: programs/drift/src/math/orders.rs::standardize_base_asset_amount_with_remainder_i128
    """
    if step_size <= 0:
        raise MathError(f"step size {step_size} must be positive")
    remainder = abs(base_asset_amount) % step_size
    if base_asset_amount < 0:
        remainder = -remainder
    return base_asset_amount - remainder, remainder


def is_multiple_of_step_size(base_asset_amount: int, step_size: int) -> bool:
    """Source: programs/drift/src/math/orders.rs::is_multiple_of_step_size"""
    if step_size <= 0:
        raise MathError(f"step size {step_size} must be positive")
    return base_asset_amount % step_size == 0


# --- AMM fill size --------------------------------------------------------------------------


def calculate_limit_price_with_buffer(
    order: Order, limit_price: int | None, fee_tier: FeeTier, fee_adjustment: int
) -> int | None:
    """For post-only orders, move the limit inward by the maker rebate (± fee_adjustment %).

    buffer = floor(L * rebate_num / rebate_den), scaled by (100 ± |fee_adjustment|)/100 (each
    step floored, saturating at 0); Long: L - buffer, Short: L + buffer.
    Source: programs/drift/src/math/orders.rs::calculate_limit_price_with_buffer
    """
    if not order.post_only or limit_price is None:
        return limit_price
    buffer = div_floor(limit_price * fee_tier.maker_rebate_numerator, fee_tier.maker_rebate_denominator)
    if fee_adjustment < 0:
        buffer = max(buffer - div_floor(buffer * -fee_adjustment, FEE_ADJUSTMENT_MAX), 0)
    elif fee_adjustment > 0:
        buffer = buffer + div_floor(buffer * fee_adjustment, FEE_ADJUSTMENT_MAX)
    if order.direction is _LONG:
        if buffer > limit_price:
            raise MathError(f"limit price {limit_price} below maker rebate buffer {buffer}")
        return limit_price - buffer
    return limit_price + buffer


def calculate_base_asset_amount_to_fill_up_to_limit_price(
    order: Order,
    market: PerpMarket,
    limit_price: int | None,
    existing_base_asset_amount: int | None,
) -> int:
    """Base (1e9) the AMM can trade before its price passes one tick inside limit_price.

    Standardized down to order_step_size; 0 if the curve is already past the limit.
    Source: programs/drift/src/math/orders.rs::calculate_base_asset_amount_to_fill_up_to_limit_price
    """
    unfilled = get_base_asset_amount_unfilled(order, existing_base_asset_amount)
    direction = order.direction
    if limit_price is None:
        max_trade = unfilled
    else:
        tick = market.amm.order_tick_size
        adjusted = limit_price - tick if direction is _LONG else limit_price + tick
        if adjusted < 0:
            raise MathError(f"limit price {limit_price} below tick size {tick}")
        max_trade, max_direction = amm_spread.calculate_base_asset_amount_to_trade_to_price(
            market.amm, adjusted, direction
        )
        if max_direction is not direction:
            return 0
    if max_trade == 0:
        return 0
    return standardize_base_asset_amount(min(unfilled, max_trade), market.amm.order_step_size)


def calculate_base_asset_amount_for_amm_to_fulfill(
    order: Order,
    market: PerpMarket,
    limit_price: int | None,
    override_fill_price: int | None,
    existing_base_asset_amount: int,
    fee_tier: FeeTier,
) -> tuple[int, int | None]:
    """(base the AMM fills now (1e9), the limit/fill price to use (1e6) or None).

    An override fill price (JIT / maker price) must not be worse than the order's limit
    (InvalidAmmLimitPriceOverride). Untriggered trigger orders get 0. Post-only orders trade
    only up to the limit moved by the maker-rebate buffer. Capped by the AMM's available
    liquidity on the order's side.
    Source: programs/drift/src/math/orders.rs::calculate_base_asset_amount_for_amm_to_fulfill
    """
    if override_fill_price is not None:
        if limit_price is not None and not (
            (order.direction is _LONG and limit_price >= override_fill_price)
            or (order.direction is _SHORT and limit_price <= override_fill_price)
        ):
            raise InvalidAmmLimitPriceOverride(
                f"override_fill_price={override_fill_price} not better than order limit_price={limit_price}"
            )
        limit_price = override_fill_price
    if must_be_triggered(order) and not triggered(order):
        return 0, limit_price
    limit_price_with_buffer = calculate_limit_price_with_buffer(
        order, limit_price, fee_tier, market.fee_adjustment
    )
    base_asset_amount = calculate_base_asset_amount_to_fill_up_to_limit_price(
        order, market, limit_price_with_buffer, existing_base_asset_amount
    )
    max_base_asset_amount = amm_math.calculate_amm_available_liquidity(market.amm, order.direction)
    return min(base_asset_amount, max_base_asset_amount), limit_price


def calculate_quote_asset_amount_for_maker_order(
    base_asset_amount: int, fill_price: int, base_decimals: int, position_direction: PositionDirection
) -> int:
    """Quote (1e6) for base at fill_price: floor for a Long maker, ceil for a Short maker.

    Source: programs/drift/src/math/orders.rs::calculate_quote_asset_amount_for_maker_order
    """
    notional = fill_price * base_asset_amount
    precision = 10**base_decimals
    if position_direction is _LONG:
        return div_floor(notional, precision)
    return div_ceil(notional, precision)


def get_price_for_perp_order(price: int, direction: PositionDirection, post_only: PostOnlyParam, amm: AMM) -> int:
    """Tick-standardized limit price; a Slide post-only order is moved one tick inside the AMM quote.

    A bid at or above the AMM ask becomes ask - tick; an ask at or below the AMM bid becomes
    bid + tick. Source: programs/drift/src/math/orders.rs::get_price_for_perp_order
    """
    tick = amm.order_tick_size
    limit_price = standardize_price(price, tick, direction)
    if post_only is PostOnlyParam.Slide:
        reserve_price = amm_math.reserve_price(amm)
        if direction is _LONG:
            amm_ask = amm_math.ask_price(amm, reserve_price)
            if limit_price >= amm_ask:
                limit_price = amm_ask - tick
        else:
            amm_bid = amm_math.bid_price(amm, reserve_price)
            if limit_price <= amm_bid:
                limit_price = amm_bid + tick
    return limit_price


# --- fill price -----------------------------------------------------------------------------


def calculate_fill_price(quote_asset_amount: int, base_asset_amount: int, base_precision: int) -> int:
    """floor(quote * base_precision / base): the average price (1e6) of a fill.

    Source: programs/drift/src/math/orders.rs::calculate_fill_price
    """
    if base_asset_amount == 0:
        raise MathError(f"fill price of quote {quote_asset_amount} for zero base")
    return div_floor(quote_asset_amount * base_precision, base_asset_amount)


def validate_fill_price(
    quote_asset_amount: int,
    base_asset_amount: int,
    base_precision: int,
    order_direction: PositionDirection,
    order_limit_price: int,
    is_taker: bool,
) -> None:
    """Raise InvalidOrderFillPrice if the fill is worse than the limit.

    A taker's quote is first nudged one unit in its favour (Long -1 saturating at 0, Short +1).
    Source: programs/drift/src/math/orders.rs::validate_fill_price
    """
    rounded = quote_asset_amount
    if is_taker:
        rounded = max(quote_asset_amount - 1, 0) if order_direction is _LONG else quote_asset_amount + 1
    fill_price = calculate_fill_price(rounded, base_asset_amount, base_precision)
    if order_direction is _LONG and fill_price > order_limit_price:
        raise InvalidOrderFillPrice(
            f"long fill price {fill_price} (= {quote_asset_amount}/{base_asset_amount}) > limit {order_limit_price} is_taker={is_taker}"
        )
    if order_direction is _SHORT and fill_price < order_limit_price:
        raise InvalidOrderFillPrice(
            f"short fill price {fill_price} (= {quote_asset_amount}/{base_asset_amount}) < limit {order_limit_price} is_taker={is_taker}"
        )


def validate_fill_price_within_price_bands(
    fill_price: int,
    oracle_price: int,
    oracle_twap_5min: int,
    margin_ratio_initial: int,
    oracle_twap_5min_percent_divergence: int,
    direction: PositionDirection | None = None,
) -> None:
    """Raise PriceBandsBreached if the fill (1e6) is too far from the oracle or its 5-min twap.

    Requires floor(|fill - oracle| * 1e4 / |oracle|) < margin_ratio_initial and
    floor(|fill - twap5| * 1e6 / |twap5|) < max(divergence, 50%). With a direction, a Long
    filling below both (Short above both) is exempt; `fill_perp_order` passes none.
    Source: programs/drift/src/math/orders.rs::validate_fill_price_within_price_bands
    """
    oracle_price = abs(oracle_price)
    oracle_twap_5min = abs(oracle_twap_5min)
    if direction is _LONG and fill_price < oracle_price and fill_price < oracle_twap_5min:
        return
    if direction is _SHORT and fill_price > oracle_price and fill_price > oracle_twap_5min:
        return
    if oracle_price == 0 or oracle_twap_5min == 0:
        raise MathError(f"price bands need positive oracle {oracle_price} and twap {oracle_twap_5min}")
    oracle_pct_diff = div_floor(abs(fill_price - oracle_price) * MARGIN_PRECISION, oracle_price)
    if oracle_pct_diff >= margin_ratio_initial:
        raise PriceBandsBreached(
            f"fill price {fill_price} is {oracle_pct_diff}/1e4 from oracle {oracle_price} (max {margin_ratio_initial})"
        )
    max_twap_diff = max(oracle_twap_5min_percent_divergence, _FIFTY_PERCENT)
    twap_pct_diff = div_floor(abs(fill_price - oracle_twap_5min) * PERCENTAGE_PRECISION, oracle_twap_5min)
    if twap_pct_diff >= max_twap_diff:
        raise PriceBandsBreached(
            f"fill price {fill_price} is {twap_pct_diff}/1e6 from 5min twap {oracle_twap_5min} (max {max_twap_diff})"
        )


def limit_price_breaches_maker_oracle_price_bands(
    order_limit_price: int, order_direction: PositionDirection, oracle_price: int, margin_ratio_initial: int
) -> bool:
    """True if a maker bid is >= margin_ratio_initial (1e4) above the oracle (ask: below).

    Source: programs/drift/src/math/orders.rs::limit_price_breaches_maker_oracle_price_bands
    """
    oracle_price = abs(oracle_price)
    if order_direction is _LONG:
        if order_limit_price <= oracle_price:
            return False
        diff = order_limit_price - oracle_price
    else:
        if order_limit_price >= oracle_price:
            return False
        diff = oracle_price - order_limit_price
    return div_floor(diff * MARGIN_PRECISION, oracle_price) >= margin_ratio_initial


def order_breaches_maker_oracle_price_bands(
    order: Order, oracle_price: int, slot: int, tick_size: int, margin_ratio_initial: int
) -> bool:
    """`limit_price_breaches_maker_oracle_price_bands` at the order's current limit price.

    Source: programs/drift/src/math/orders.rs::order_breaches_maker_oracle_price_bands
    """
    limit_price = force_get_limit_price(order, oracle_price, None, slot, tick_size)
    return limit_price_breaches_maker_oracle_price_bands(
        limit_price, order.direction, oracle_price, margin_ratio_initial
    )


def is_oracle_too_divergent_with_twap_5min(oracle_price: int, oracle_twap_5min: int, max_divergence: int) -> bool:
    """trunc(|oracle - twap5| * 1e6 / |twap5|) >= max_divergence (1e6 pct).

    Source: programs/drift/src/math/orders.rs::is_oracle_too_divergent_with_twap_5min
    """
    pct_diff = div_trunc(abs(oracle_price - oracle_twap_5min) * PERCENTAGE_PRECISION, abs(oracle_twap_5min))
    return pct_diff >= max_divergence


def order_satisfies_trigger_condition(order: Order, oracle_price: int) -> bool:
    """Above: oracle > trigger; Below: oracle < trigger (already-triggered orders raise).

    Source: programs/drift/src/math/orders.rs::order_satisfies_trigger_condition
    """
    if order.trigger_condition is OrderTriggerCondition.Above:
        return oracle_price > order.trigger_price
    if order.trigger_condition is OrderTriggerCondition.Below:
        return oracle_price < order.trigger_price
    raise InvalidTriggerOrderCondition(f"order {order.order_id} already {order.trigger_condition.name}")


# --- risk -----------------------------------------------------------------------------------


def is_new_order_risk_increasing(
    order: Order, position_base_asset_amount: int, position_bids: int, position_asks: int
) -> bool:
    """Whether placing the order can grow the position (reduce-only orders never do).

    Long: position >= 0, or open bids + size > |position|; Short: position <= 0, or
    |open asks - size| > position. Source: programs/drift/src/math/orders.rs::is_new_order_risk_increasing
    """
    if order.reduce_only:
        return False
    if order.direction is _LONG:
        if position_base_asset_amount >= 0:
            return True
        return position_bids + order.base_asset_amount > abs(position_base_asset_amount)
    if position_base_asset_amount <= 0:
        return True
    return abs(position_asks - order.base_asset_amount) > position_base_asset_amount


def is_order_position_reducing(
    order_direction: PositionDirection, order_base_asset_amount: int, position_base_asset_amount: int
) -> bool:
    """Opposite side and size <= |position|. Source: programs/drift/src/math/orders.rs::is_order_position_reducing"""
    if order_direction is _LONG and position_base_asset_amount < 0 or (
        order_direction is _SHORT and position_base_asset_amount > 0
    ):
        return order_base_asset_amount <= abs(position_base_asset_amount)
    return False


# --- expiry / cancellation ------------------------------------------------------------------


def should_expire_order(user: User, user_order_index: int, now: int) -> bool:
    """Open, non-trigger order with max_ts set and now > max_ts (seconds).

    Source: programs/drift/src/math/orders.rs::should_expire_order
    """
    order = user.orders[user_order_index]
    if order.status is not OrderStatus.Open or order.max_ts == 0 or must_be_triggered(order):
        return False
    return now > order.max_ts


def should_cancel_reduce_only_order(order: Order, existing_base_asset_amount: int, step_size: int) -> bool:
    """Open reduce-only order whose remaining reducing size is below one step.

    Source: programs/drift/src/math/orders.rs::should_cancel_reduce_only_order
    """
    return (
        order.status is OrderStatus.Open
        and order.reduce_only
        and get_base_asset_amount_unfilled(order, existing_base_asset_amount) < step_size
    )


def get_fallback_price(
    direction: PositionDirection,
    bid_price: int,
    ask_price: int,
    amm_available_liquidity: int,
    oracle_price: int,
) -> int:
    """Price (1e6) a limit-less taker is matched at: AMM quote ± 0.5%, or oracle ± 5% if the AMM is empty.

    Long: ask + floor(ask/200) (oracle + floor(oracle/20) without liquidity); Short mirrored.
    Source: programs/drift/src/state/perp_market.rs::AMM::get_fallback_price
    """
    oracle_price = abs(oracle_price)
    if direction is _LONG:
        if amm_available_liquidity > 0:
            return ask_price + div_floor(ask_price, 200)
        return oracle_price + div_floor(oracle_price, 20)
    if amm_available_liquidity > 0:
        return bid_price - div_floor(bid_price, 200)
    return oracle_price - div_floor(oracle_price, 20)
