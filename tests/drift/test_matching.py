"""math/matching.py: who makes, whether prices cross, matched fill size and quote."""

from __future__ import annotations

import pytest

from ballast.drift.math.matching import (
    are_orders_same_market_but_different_sides,
    calculate_fill_for_matched_orders,
    do_orders_cross,
    is_maker_for_taker,
)
from ballast.drift.state.user import MarketType, Order, OrderType, PositionDirection

LONG, SHORT = PositionDirection.Long, PositionDirection.Short
P = 10**6
B = 10**9


@pytest.mark.parametrize(
    ("maker_direction", "maker_price", "taker_price", "cross"),
    [(SHORT, 110, 112, True), (SHORT, 113, 112, False), (LONG, 112, 110, True), (LONG, 109, 110, False), (LONG, 110, 110, True)],
)
def test_do_orders_cross(maker_direction, maker_price, taker_price, cross):
    assert do_orders_cross(maker_direction, maker_price, taker_price) is cross


def test_resting_limit_makes_for_market_taker():
    maker = Order(order_type=OrderType.Limit, slot=0, price=P)
    taker = Order(order_type=OrderType.Market, slot=5, auction_duration=10)
    assert is_maker_for_taker(maker, taker, 6) and not is_maker_for_taker(taker, maker, 6)


def test_orders_placed_in_current_slot_do_not_match_unless_jit_maker():
    maker = Order(order_type=OrderType.Limit, slot=5, post_only=True, price=P)
    jit_maker = Order(order_type=OrderType.Limit, slot=5, post_only=True, immediate_or_cancel=True, price=P)
    taker = Order(order_type=OrderType.Market, slot=5)
    assert (is_maker_for_taker(maker, taker, 5), is_maker_for_taker(jit_maker, taker, 5)) == (False, True)


def test_post_only_taker_never_takes():
    maker = Order(order_type=OrderType.Limit, slot=0, post_only=True, price=P)
    taker = Order(order_type=OrderType.Limit, slot=1, post_only=True, price=P)
    assert is_maker_for_taker(maker, taker, 3) is False


def test_between_two_resting_limits_the_earlier_auction_end_makes():
    older = Order(order_type=OrderType.Limit, slot=0, auction_duration=10, price=P)
    newer = Order(order_type=OrderType.Limit, slot=5, auction_duration=10, price=P)
    assert (is_maker_for_taker(older, newer, 20), is_maker_for_taker(newer, older, 20)) == (True, False)


def test_same_market_different_sides():
    a = Order(market_index=1, direction=LONG)
    assert (
        are_orders_same_market_but_different_sides(a, Order(market_index=1, direction=SHORT)),
        are_orders_same_market_but_different_sides(a, Order(market_index=1, direction=LONG)),
        are_orders_same_market_but_different_sides(a, Order(market_index=1, direction=SHORT, market_type=MarketType.Spot)),
    ) == (True, False, False)


def test_matched_fill_takes_smaller_size_and_rounds_quote_against_taker():
    # 1/3 base at 100.000001: long maker pays floor, short maker receives ceil.
    base = B // 3
    assert (
        calculate_fill_for_matched_orders(base, 100 * P + 1, B, 9, LONG),
        calculate_fill_for_matched_orders(B, 100 * P + 1, base, 9, SHORT),
    ) == ((base, 33_333_333), (base, 33_333_334))
