"""Order auctions: default auction prices, the price at a slot, completion, and the
exchange-side sanitisation of perp auction parameters.

Prices PRICE_PRECISION (1e6); for Oracle orders (and oracle-offset limits) the auction start/end
are signed offsets from the oracle. Durations in slots.

Source: programs/drift/src/math/auction.rs, programs/drift/src/state/order_params.rs
"""

from __future__ import annotations

from ballast.drift.constants import (
    AUCTION_DERIVE_PRICE_FRACTION,
    ONE_HUNDRED_THOUSAND_QUOTE,
    PERCENTAGE_PRECISION,
    PRICE_PRECISION,
)
from ballast.drift.errors import OracleNotFound
from ballast.drift.math import amm as amm_math
from ballast.drift.math.order_price import standardize_price
from ballast.drift.state.oracle import OraclePriceData
from ballast.drift.state.order_params import OrderParams, PostOnlyParam
from ballast.drift.state.perp_market import ContractTier, PerpMarket
from ballast.drift.state.user import Order, OrderType, PositionDirection
from ballast.fixed import MathError, cast_u64, div_ceil, div_floor, div_trunc

_LONG = PositionDirection.Long
_SHORT = PositionDirection.Short
_ONE_PERCENT = 10_000  # PERCENTAGE_PRECISION / 100
_TWENTY_FIVE_BPS = 2_500  # PERCENTAGE_PRECISION / 400: start buffer of derived market/oracle auctions

# (min, max) divisors of the oracle twap bounding the auction end buffer, per contract tier.
_AUCTION_END_MIN_MAX_DIVISORS = {
    ContractTier.A: (1000, 50),
    ContractTier.B: (1000, 20),
    ContractTier.C: (500, 20),
    ContractTier.Speculative: (100, 10),
    ContractTier.HighlySpeculative: (50, 5),
    ContractTier.Isolated: (50, 5),
}


def calculate_auction_prices(
    oracle_price_data: OraclePriceData, direction: PositionDirection, limit_price: int
) -> tuple[int, int]:
    """Default (auction_start_price, auction_end_price) (1e6) around the oracle O.

    f(x) = trunc(x / 200). No limit: (O, O + f(O)) Long, (O, O - f(O)) Short. Long with
    L < O: (min(L - f(L), O - f(O)), L); L >= O: (O, min(L, O + f(O))); Short mirrored.
    Source: programs/drift/src/math/auction.rs::calculate_auction_prices
    """
    oracle_price = oracle_price_data.price
    oracle_delta = div_trunc(oracle_price, AUCTION_DERIVE_PRICE_FRACTION)
    if limit_price > 0:
        limit_delta = div_trunc(limit_price, AUCTION_DERIVE_PRICE_FRACTION)
        if direction is _LONG:
            if limit_price < oracle_price:
                return min(limit_price - limit_delta, oracle_price - oracle_delta), limit_price
            return oracle_price, min(limit_price, oracle_price + oracle_delta)
        if limit_price > oracle_price:
            return max(limit_price + limit_delta, oracle_price + oracle_delta), limit_price
        return oracle_price, max(limit_price, oracle_price - oracle_delta)
    if direction is _LONG:
        return oracle_price, oracle_price + oracle_delta
    return oracle_price, oracle_price - oracle_delta


def _slots_elapsed(order_slot: int, slot: int) -> int:
    """slot - order_slot as the reference's u64 subtraction: MathError before the order's slot.

    Source: programs/drift/src/math/auction.rs (`slot.safe_sub(order.slot)?`)
    """
    if slot < order_slot:
        raise MathError(f"slot {slot} precedes the order's slot {order_slot}")
    return slot - order_slot


def _auction_progress(order: Order, slot: int, start: int, end: int) -> int:
    """start moved toward end by trunc(|end - start| * elapsed / duration) in the order's direction."""
    elapsed = min(slot - order.slot, order.auction_duration)
    if order.direction is _LONG:
        return start + div_trunc((end - start) * elapsed, order.auction_duration)
    return start - div_trunc((start - end) * elapsed, order.auction_duration)


def calculate_auction_price(
    order: Order, slot: int, tick_size: int, valid_oracle_price: int | None
) -> int:
    """The order's auction price (1e6) at `slot`, standardized to tick (Long down, Short up).

    Fixed auctions (Market, Trigger*, Limit without offset) interpolate start→end linearly over
    auction_duration; Oracle orders and oracle-offset limits interpolate the offsets and add the
    oracle price (floored at one tick). Duration 0 gives the end price. MathError for a slot
    before the order's.
    Source: programs/drift/src/math/auction.rs::calculate_auction_price
    """
    if order.order_type is OrderType.Oracle or (
        order.order_type is OrderType.Limit and order.oracle_price_offset != 0
    ):
        if valid_oracle_price is None:
            raise OracleNotFound(f"order {order.order_id}: oracle offset auction needs an oracle price")
        _slots_elapsed(order.slot, slot)
        if order.auction_duration == 0:
            offset = order.auction_end_price
        else:
            offset = _auction_progress(order, slot, order.auction_start_price, order.auction_end_price)
        price = max(valid_oracle_price + offset, tick_size)
        return standardize_price(price, tick_size, order.direction)
    return _calculate_auction_price_for_fixed_auction(order, slot, tick_size)


def _calculate_auction_price_for_fixed_auction(order: Order, slot: int, tick_size: int) -> int:
    """Fixed auction price (1e6) at `slot`: start and end are u64 prices (MathError if
    negative), and the u64 price delta underflows (MathError) when the auction is inverted
    (a Long whose end is below its start, a Short whose end is above it).

    Source: programs/drift/src/math/auction.rs::calculate_auction_price_for_fixed_auction
    """
    _slots_elapsed(order.slot, slot)
    start = cast_u64(order.auction_start_price)
    end = cast_u64(order.auction_end_price)
    if order.auction_duration == 0:
        return standardize_price(end, tick_size, order.direction)
    if (end < start) if order.direction is _LONG else (start < end):
        raise MathError(
            f"order {order.order_id}: inverted {order.direction.name} fixed auction "
            f"start {start} end {end}"
        )
    price = _auction_progress(order, slot, start, end)
    return standardize_price(price, tick_size, order.direction)


def is_auction_complete(order_slot: int, auction_duration: int, slot: int) -> bool:
    """True when duration is 0 or more than `auction_duration` slots have elapsed (MathError
    for a slot before the order's).

    Source: programs/drift/src/math/auction.rs::is_auction_complete
    """
    return auction_duration == 0 or _slots_elapsed(order_slot, slot) > auction_duration


def is_amm_available_liquidity_source(
    order: Order, min_auction_duration: int, slot: int, is_liquidation: bool = False
) -> bool:
    """The AMM may fill once `min_auction_duration` slots have passed (always for liquidations).

    `is_liquidation` stands for the reference's `fill_mode.is_liquidation()`.
    Source: programs/drift/src/math/auction.rs::is_amm_available_liquidity_source
    """
    return is_auction_complete(order.slot, min_auction_duration, slot) or is_liquidation


# --- exchange-side sanitisation of perp auction params (state/order_params.rs) ---------------


def _is_as_safe_as_b(tier: ContractTier) -> bool:
    return tier is ContractTier.A or tier is ContractTier.B


def get_auction_duration(price_diff: int, price: int, contract_tier: ContractTier) -> int:
    """Slots for an auction spanning price_diff: ceil(pct_diff * slots_per_bp / 1e4), clamped to [10, 180].

    slots_per_bp is 100 for tiers A/B, 60 otherwise (1% ≈ 60 slots).
    Source: programs/drift/src/state/order_params.rs::get_auction_duration
    """
    percent_diff = div_floor(price_diff * PERCENTAGE_PRECISION, price)
    slots_per_bp = 100 if _is_as_safe_as_b(contract_tier) else 60
    return min(max(div_ceil(percent_diff * slots_per_bp, _ONE_PERCENT), 10), 180)


def get_perp_baseline_start_price_offset(perp_market: PerpMarket, direction: PositionDirection) -> int:
    """Baseline auction start offset (1e6) from the oracle, from bid/ask/mark twaps and spreads.

    With stale twaps (|oracle twap ts - mark twap ts| >= 60 s) or volume_24h <= $100k:
    Long trunc(bid_twap / d), Short -trunc(ask_twap / d), d = 500 for tiers A/B else 100.
    Source: programs/drift/src/state/order_params.rs::OrderParams::get_perp_baseline_start_price_offset
    """
    market_amm = perp_market.amm
    oracle_data = market_amm.historical_oracle_data
    if (
        abs(oracle_data.last_oracle_price_twap_ts - market_amm.last_mark_price_twap_ts) >= 60
        or market_amm.volume_24h <= ONE_HUNDRED_THOUSAND_QUOTE
    ):
        price_divisor = 500 if _is_as_safe_as_b(perp_market.contract_tier) else 100
        if direction is _LONG:
            return div_trunc(market_amm.last_bid_price_twap, price_divisor)
        return -div_trunc(market_amm.last_ask_price_twap, price_divisor)
    mark_twap_slow = market_amm.last_bid_price_twap if direction is _LONG else market_amm.last_ask_price_twap
    offset_slow = mark_twap_slow - oracle_data.last_oracle_price_twap
    offset_fast = market_amm.last_mark_price_twap_5min - oracle_data.last_oracle_price_twap_5min
    long_spread_price = div_trunc(market_amm.long_spread * mark_twap_slow, PRICE_PRECISION * 10)
    short_spread_price = div_trunc(market_amm.short_spread * mark_twap_slow, PRICE_PRECISION * 10)
    if direction is _LONG:
        return min(offset_slow + long_spread_price, offset_fast - short_spread_price)
    return max(offset_slow - short_spread_price, offset_fast + long_spread_price)


def get_perp_baseline_start_end_price_offset(
    perp_market: PerpMarket, direction: PositionDirection, end_buffer_scalar: int
) -> tuple[int, int]:
    """(start offset, end offset) (1e6) of a baseline auction relative to the oracle twap.

    End buffer = max(mark_std, oracle_std, side_spread * oracle_twap / 1e6) * scalar, clamped to
    [twap / min_divisor, twap / max_divisor] by contract tier; the end is the bid twap - buffer
    (Short) or ask twap + buffer (Long) minus the oracle twap, never inside the start.
    Source: programs/drift/src/state/order_params.rs::OrderParams::get_perp_baseline_start_end_price_offset
    """
    market_amm = perp_market.amm
    oracle_twap = abs(market_amm.historical_oracle_data.last_oracle_price_twap)
    start_offset = get_perp_baseline_start_price_offset(perp_market, direction)
    min_divisor, max_divisor = _AUCTION_END_MIN_MAX_DIVISORS[perp_market.contract_tier]
    side_spread = market_amm.short_spread if direction is _SHORT else market_amm.long_spread
    end_buffer = max(
        market_amm.mark_std,
        market_amm.oracle_std,
        div_floor(side_spread * oracle_twap, PERCENTAGE_PRECISION),
    )
    if end_buffer_scalar >= 1:
        end_buffer *= end_buffer_scalar
    end_buffer = min(max(end_buffer, div_floor(oracle_twap, min_divisor)), div_floor(oracle_twap, max_divisor))
    last_oracle_price_twap = market_amm.historical_oracle_data.last_oracle_price_twap
    if direction is _SHORT:
        return start_offset, min(market_amm.last_bid_price_twap - end_buffer - last_oracle_price_twap, start_offset)
    return start_offset, max(market_amm.last_ask_price_twap + end_buffer - last_oracle_price_twap, start_offset)


def _apply_start_buffer(start_price: int, oracle_price: int, start_buffer: int, direction: PositionDirection) -> int:
    buffer_price = div_trunc(oracle_price * start_buffer, PERCENTAGE_PRECISION)
    return start_price - buffer_price if direction is _LONG else start_price + buffer_price


def derive_market_order_auction_params(
    perp_market: PerpMarket, direction: PositionDirection, oracle_price: int, limit_price: int, start_buffer: int
) -> tuple[int, int, int]:
    """(auction_start_price, auction_end_price, auction_duration) for a market order.

    With a limit: baseline offsets with end scalar 2 added to the oracle, both capped by the
    limit (Long min, Short max); without: scalar 1. The start is pushed start_buffer (1e6 pct of
    oracle) away from the end. Source: programs/drift/src/state/order_params.rs::OrderParams::derive_market_order_auction_params
    """
    if limit_price != 0:
        start_offset, end_offset = get_perp_baseline_start_end_price_offset(perp_market, direction, 2)
        start, end = oracle_price + start_offset, oracle_price + end_offset
        if direction is _LONG:
            start, end = min(start, limit_price), min(end, limit_price)
        else:
            start, end = max(start, limit_price), max(end, limit_price)
    else:
        start_offset, end_offset = get_perp_baseline_start_end_price_offset(perp_market, direction, 1)
        start, end = oracle_price + start_offset, oracle_price + end_offset
    if start_buffer != 0:
        start = _apply_start_buffer(start, oracle_price, start_buffer, direction)
    duration = get_auction_duration(abs(end - start), abs(oracle_price), perp_market.contract_tier)
    return start, end, duration


def derive_oracle_order_auction_params(
    perp_market: PerpMarket,
    direction: PositionDirection,
    oracle_price: int,
    oracle_price_offset: int | None,
    start_buffer: int,
) -> tuple[int, int, int]:
    """(start offset, end offset, duration) for an Oracle order.

    With an oracle_price_offset the end is that offset and the start the baseline start capped by
    it; without, the baseline start/end (scalar 1). Start pushed by start_buffer as for market orders.
    Source: programs/drift/src/state/order_params.rs::OrderParams::derive_oracle_order_auction_params
    """
    if oracle_price_offset is not None:
        start = get_perp_baseline_start_price_offset(perp_market, direction)
        start = min(start, oracle_price_offset) if direction is _LONG else max(start, oracle_price_offset)
        end = oracle_price_offset
    else:
        start, end = get_perp_baseline_start_end_price_offset(perp_market, direction, 1)
    if start_buffer != 0:
        start = _apply_start_buffer(start, oracle_price, start_buffer, direction)
    duration = get_auction_duration(abs(end - start), abs(oracle_price), perp_market.contract_tier)
    return start, end, duration


def _update_perp_auction_params_limit_orders(
    params: OrderParams, perp_market: PerpMarket, oracle_price: int
) -> OrderParams:
    if params.post_only is not PostOnlyParam.None_:
        return params
    oracle_price_offset = params.oracle_price_offset or 0
    is_oracle_offset = oracle_price_offset != 0
    if not is_oracle_offset and params.price == 0:
        return params
    start_offset = get_perp_baseline_start_price_offset(perp_market, params.direction)
    new_start = oracle_price + start_offset
    start = params.auction_start_price
    end = params.auction_end_price
    if (params.auction_duration or 0) == 0:
        reserve_price = amm_math.reserve_price(perp_market.amm)
        last_oracle_price = perp_market.amm.historical_oracle_data.last_oracle_price
        if params.direction is _LONG:
            est_ask = oracle_price + amm_math.ask_price(perp_market.amm, reserve_price) - last_oracle_price
            crosses = oracle_price_offset > est_ask - oracle_price if is_oracle_offset else params.price > est_ask
            capped_start = min(new_start, est_ask)
        else:
            est_bid = oracle_price - (last_oracle_price - amm_math.bid_price(perp_market.amm, reserve_price))
            crosses = oracle_price_offset < est_bid - oracle_price if is_oracle_offset else params.price < est_bid
            capped_start = max(new_start, est_bid)
        if not crosses:
            return params
        if is_oracle_offset:
            start, end = capped_start - oracle_price, oracle_price_offset
        else:
            start, end = capped_start, params.price
    else:
        if (
            start is None
            or (params.direction is _LONG and new_start < start)
            or (params.direction is _SHORT and new_start > start)
        ):
            start = start_offset if is_oracle_offset else new_start
        if end is None:
            end = oracle_price_offset if is_oracle_offset else params.price
    new_duration = get_auction_duration(abs(end - start), abs(oracle_price), perp_market.contract_tier)
    return params.with_auction(start, end, max(params.auction_duration or 0, new_duration))


def _get_auction_price_offset(params: OrderParams, price: int | None, oracle_price: int) -> int:
    if params.order_type is OrderType.Oracle:
        return price or 0
    return 0 if price is None else price - oracle_price


def _update_perp_auction_params_market_and_oracle_orders(
    params: OrderParams, perp_market: PerpMarket, oracle_price: int, is_market_order: bool
) -> OrderParams:
    if params.auction_duration is None or params.auction_start_price is None or params.auction_end_price is None:
        if is_market_order:
            start, end, duration = derive_market_order_auction_params(
                perp_market, params.direction, oracle_price, params.price, _TWENTY_FIVE_BPS
            )
        else:
            start, end, duration = derive_oracle_order_auction_params(
                perp_market, params.direction, oracle_price, params.oracle_price_offset, _TWENTY_FIVE_BPS
            )
        return params.with_auction(start, end, duration)
    new_start_offset, new_end_offset = get_perp_baseline_start_end_price_offset(perp_market, params.direction, 2)
    current_start_offset = _get_auction_price_offset(params, params.auction_start_price, oracle_price)
    current_end_offset = _get_auction_price_offset(params, params.auction_end_price, oracle_price)
    base = oracle_price if is_market_order else 0
    start, end = params.auction_start_price, params.auction_end_price
    if params.direction is _LONG:
        if current_start_offset > new_start_offset:
            start = new_start_offset + base
        if current_end_offset > new_end_offset:
            end = new_end_offset + base
    else:
        if current_start_offset < new_start_offset:
            start = new_start_offset + base
        if current_end_offset < new_end_offset:
            end = new_end_offset + base
    new_duration = get_auction_duration(abs(end - start), abs(oracle_price), perp_market.contract_tier)
    return params.with_auction(start, end, max(params.auction_duration, new_duration))


def update_perp_auction_params(params: OrderParams, perp_market: PerpMarket, oracle_price: int) -> OrderParams:
    """Sanitised copy of `params` (the reference mutates in place; `params` is left unchanged).

    Limit orders that would cross the AMM now get an auction from a baseline start to their
    limit; market/oracle orders get derived params if any are missing, else their start/end
    are pulled back to the baseline (scalar 2) when more aggressive; durations never shrink.
    Oracle sources here have no Prelaunch kind, so sanitisation always applies.
    Source: programs/drift/src/state/order_params.rs::OrderParams::update_perp_auction_params
    """
    if params.order_type is OrderType.Limit:
        return _update_perp_auction_params_limit_orders(params, perp_market, oracle_price)
    if params.order_type is OrderType.Market or params.order_type is OrderType.Oracle:
        return _update_perp_auction_params_market_and_oracle_orders(
            params, perp_market, oracle_price, params.order_type is OrderType.Market
        )
    return params
