"""math/auction.py: default auction prices, price at a slot, completion, param sanitisation."""

from __future__ import annotations

import pytest

from ballast.drift.errors import OracleNotFound
from ballast.drift.math.auction import (
    calculate_auction_price,
    calculate_auction_prices,
    get_auction_duration,
    is_amm_available_liquidity_source,
    is_auction_complete,
    update_perp_auction_params,
)
from ballast.drift.state.oracle import OraclePriceData
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.perp_market import ContractTier, PerpMarket
from ballast.drift.state.user import Order, OrderType, PositionDirection
from ballast.fixed import MathError

LONG, SHORT = PositionDirection.Long, PositionDirection.Short
P = 10**6


# math/auction/tests.rs::calculate_auction_prices::* (oracle 100)
@pytest.mark.parametrize(
    ("direction", "limit_price", "expected"),
    [
        (LONG, 0, (100_000_000, 100_500_000)),  # no_limit_price_long
        (SHORT, 0, (100_000_000, 99_500_000)),  # no_limit_price_short
        (LONG, 90_000_000, (89_550_000, 90_000_000)),  # limit_price_much_better_than_oracle_long
        (LONG, 99_999_999, (99_500_000, 99_999_999)),  # limit_price_slightly_better_than_oracle_long
        (LONG, 110_000_000, (100_000_000, 100_500_000)),  # limit_price_much_worse_than_oracle_long
        (LONG, 100_400_000, (100_000_000, 100_400_000)),  # limit_price_slightly_worse_than_oracle_long
        (SHORT, 110_000_000, (110_550_000, 110_000_000)),  # limit_price_much_better_than_oracle_short
        (SHORT, 100_000_001, (100_500_001, 100_000_001)),  # limit_price_slightly_better_than_oracle_short
        (SHORT, 90_000_000, (100_000_000, 99_500_000)),  # limit_price_much_worse_than_oracle_short
        (SHORT, 99_999_999, (100_000_000, 99_999_999)),  # limit_price_slightly_worse_than_oracle_short
    ],
)
def test_calculate_auction_prices(direction, limit_price, expected):
    assert calculate_auction_prices(OraclePriceData(price=100 * P), direction, limit_price) == expected


# math/auction/tests.rs::calculate_auction_price::{long_oracle_order, short_oracle_order}
@pytest.mark.parametrize(
    ("direction", "start", "end", "prices"),
    [
        (LONG, -P // 10, P // 10, (900_000, 1_000_000, 1_100_000)),
        (LONG, -P // 5, -P // 10, (800_000, 850_000, 900_000)),
        (LONG, P // 10, P // 5, (1_100_000, 1_150_000, 1_200_000)),
        (SHORT, P // 10, -P // 10, (1_100_000, 1_000_000, 900_000)),
        (SHORT, P // 5, P // 10, (1_200_000, 1_150_000, 1_100_000)),
        (SHORT, -P // 10, -P // 5, (900_000, 850_000, 800_000)),
    ],
)
def test_oracle_order_auction_price_interpolates_offsets(direction, start, end, prices):
    order = Order(order_type=OrderType.Oracle, direction=direction, auction_duration=10, auction_start_price=start, auction_end_price=end)
    assert tuple(calculate_auction_price(order, slot, 1, P) for slot in (0, 5, 10)) == prices


# math/auction/tests.rs::calculate_auction_price::same_auction_start_and_end
@pytest.mark.parametrize(
    ("order_type", "direction", "price", "oracle", "expected"),
    [
        (OrderType.Market, LONG, P, None, P),
        (OrderType.Market, SHORT, P, None, P),
        (OrderType.Oracle, LONG, P // 2, P, 3 * P // 2),
        (OrderType.Oracle, SHORT, P // 2, P, 3 * P // 2),
    ],
)
def test_same_auction_start_and_end(order_type, direction, price, oracle, expected):
    order = Order(order_type=order_type, direction=direction, auction_duration=10, auction_start_price=price, auction_end_price=price)
    assert calculate_auction_price(order, 5, 1, oracle) == expected


# math/auction/tests.rs::calculate_auction_price::{long,short}_order_with_auction_and_oracle_price_offset
@pytest.mark.parametrize(
    ("direction", "start", "end", "offset", "prices"),
    [
        (LONG, 5 * P, 10 * P, 20 * P, (105 * P, 107_500_000, 110 * P)),
        (SHORT, -5 * P, -10 * P, -20 * P, (95 * P, 92_500_000, 90 * P)),
    ],
)
def test_limit_order_with_oracle_offset_auction(direction, start, end, offset, prices):
    order = Order(
        order_type=OrderType.Limit,
        direction=direction,
        auction_duration=10,
        auction_start_price=start,
        auction_end_price=end,
        oracle_price_offset=offset,
    )
    assert tuple(calculate_auction_price(order, slot, 1, 100 * P) for slot in (0, 5, 10)) == prices


def test_fixed_auction_price_is_standardized_to_tick():
    order = Order(order_type=OrderType.Market, direction=SHORT, auction_duration=3, auction_start_price=100 * P, auction_end_price=99 * P)
    assert calculate_auction_price(order, 1, 1000, None) == 99_667_000


@pytest.mark.parametrize(
    ("direction", "start", "end"),
    [(LONG, 100 * P, 99 * P), (SHORT, 99 * P, 100 * P)],
)
def test_inverted_fixed_auction_raises_math_error(direction, start, end):
    """A fixed auction whose end is on the wrong side of its start (a Long falling, a Short
    rising) underflows the reference's u64 price delta.

    Source: programs/drift/src/math/auction.rs::calculate_auction_price_for_fixed_auction
    (Long `auction_end_price.safe_sub(auction_start_price)?`, Short
    `auction_start_price.safe_sub(auction_end_price)?`, both u64)
    """
    # Arrange
    order = Order(order_type=OrderType.Market, direction=direction, auction_duration=10, auction_start_price=start, auction_end_price=end)
    # Act / Assert
    with pytest.raises(MathError):
        calculate_auction_price(order, 5, 1, None)


def test_fixed_auction_negative_end_price_raises_math_error():
    """Fixed auction prices are cast to u64 before anything else, even with duration 0.

    Source: programs/drift/src/math/auction.rs::calculate_auction_price_for_fixed_auction
    (`order.auction_end_price.cast::<u64>()?`)
    """
    # Arrange
    order = Order(order_type=OrderType.Market, direction=SHORT, auction_duration=0, auction_start_price=P, auction_end_price=-P)
    # Act / Assert
    with pytest.raises(MathError):
        calculate_auction_price(order, 0, 1, None)


def test_oracle_auction_without_oracle_raises():
    with pytest.raises(OracleNotFound):
        calculate_auction_price(Order(order_type=OrderType.Oracle, auction_duration=10), 0, 1, None)


@pytest.mark.parametrize(("duration", "slot", "complete"), [(0, 0, True), (10, 10, False), (10, 11, True)])
def test_auction_complete_strictly_after_duration(duration, slot, complete):
    assert is_auction_complete(0, duration, slot) is complete


def test_amm_available_after_min_duration_or_for_liquidation():
    order = Order(slot=100)
    assert (
        is_amm_available_liquidity_source(order, 10, 105),
        is_amm_available_liquidity_source(order, 10, 105, is_liquidation=True),
        is_amm_available_liquidity_source(order, 10, 111),
    ) == (False, True, True)


@pytest.mark.parametrize(
    ("price_diff", "price", "tier", "expected"),
    [
        (P, 100 * P, ContractTier.A, 100),  # 1% at 100 slots per % (tiers A/B)
        (P, 100 * P, ContractTier.C, 60),  # 1% at 60 slots per %
        (5 * P, 100 * P, ContractTier.C, 180),  # 300 clamped to the 180 maximum
        (0, 100 * P, ContractTier.B, 10),  # clamped to the 10 minimum
    ],
)
def test_auction_duration_scales_with_price_span_and_clamps(price_diff, price, tier, expected):
    assert get_auction_duration(price_diff, price, tier) == expected


def test_update_perp_auction_params_returns_new_params_and_leaves_input():
    market = PerpMarket(contract_tier=ContractTier.C)
    market.amm.historical_oracle_data.last_oracle_price_twap = 100 * P
    market.amm.last_bid_price_twap = 100 * P
    market.amm.last_ask_price_twap = 100 * P
    params = OrderParams(order_type=OrderType.Market, direction=LONG, base_asset_amount=10**9)
    updated = update_perp_auction_params(params, market, 100 * P)
    # volume_24h <= $100k: start offset = bid_twap/100 = 1.0; end buffer clamped up to twap/500 = 0.2
    # so end offset = max(0.2, 1.0) = 1.0; start pulled 25 bps (0.25) back; 0.25% at 60 slots/% = 15.
    assert params.auction_duration is None
    assert (updated.auction_start_price, updated.auction_end_price, updated.auction_duration) == (100_750_000, 101_000_000, 15)


@pytest.mark.parametrize(
    ("order_type", "offset", "oracle"),
    [(OrderType.Market, 0, None), (OrderType.Oracle, 1_000, 100 * P)],
    ids=["fixed", "oracle-offset"],
)
def test_auction_price_before_the_orders_slot_raises_math_error(order_type, offset, oracle):
    """The reference subtracts the order's slot from the slot as u64, before anything else.

    Source: programs/drift/src/math/auction.rs::calculate_auction_price_for_fixed_auction and
    calculate_auction_price_for_oracle_offset_auction (`slot.safe_sub(order.slot)?`)
    """
    # Arrange
    order = Order(order_type=order_type, direction=LONG, slot=10, auction_duration=5,
                  auction_start_price=99 * P if offset == 0 else -offset, auction_end_price=100 * P if offset == 0 else offset)

    # Act / Assert
    with pytest.raises(MathError, match="slot 9 precedes the order's slot 10"):
        calculate_auction_price(order, 9, 1, oracle)


def test_auction_completion_before_the_orders_slot_raises_math_error():
    """Source: programs/drift/src/math/auction.rs::is_auction_complete (`slot.safe_sub(order_slot)?`)"""
    with pytest.raises(MathError):
        is_auction_complete(10, 5, 9)
    assert is_auction_complete(10, 0, 9)  # duration 0 returns before the subtraction
