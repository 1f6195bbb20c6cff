"""math/fulfillment.py: the order in which makers and the AMM fill a taker."""

from __future__ import annotations

import pytest

from ballast.drift.math.amm import reserve_price
from ballast.drift.math.fulfillment import FulfillmentMethod, determine_perp_fulfillment_methods
from ballast.drift.state.perp_market import AMM
from ballast.drift.state.user import Order, PositionDirection

LONG, SHORT = PositionDirection.Long, PositionDirection.Short
P = 10**6
R = 100 * 10**9
KEY = "maker/0"
AMM_ = FulfillmentMethod.AMM


def _match(index, price):
    return FulfillmentMethod.Match(KEY, index, price)


def _amm() -> AMM:
    # math/fulfillment/tests.rs market: 100/100 reserves (all sides), peg 100 -> AMM quotes 100.
    return AMM(
        base_asset_reserve=R,
        quote_asset_reserve=R,
        bid_base_asset_reserve=R,
        bid_quote_asset_reserve=R,
        ask_base_asset_reserve=R,
        ask_quote_asset_reserve=R,
        sqrt_k=R,
        peg_multiplier=100 * P,
        max_slippage_ratio=50,
        max_fill_reserve_fraction=100,
        order_step_size=10_000_000,
        order_tick_size=1,
        base_spread=100,
        max_base_asset_reserve=2**128 - 1,
    )


# math/fulfillment/tests.rs::determine_perp_fulfillment_methods::*
@pytest.mark.parametrize(
    ("direction", "taker_price", "makers", "expected"),
    [
        (LONG, 102 * P, [(0, 103 * P)], [AMM_(None)]),  # amm_available_and_taker_doesnt_cross_maker
        (LONG, 102 * P, [(0, 99 * P)], [_match(0, 99 * P), AMM_(None)]),  # amm_available_and_maker_better_than_amm
        (LONG, 102 * P, [(0, 101 * P)], [AMM_(101 * P), _match(0, 101 * P), AMM_(None)]),  # amm_better_than_maker
        (
            LONG,
            102 * P,
            [(0, 99 * P), (1, 101 * P)],
            [_match(0, 99 * P), AMM_(101 * P), _match(1, 101 * P), AMM_(None)],
        ),  # maker_amm_maker_amm_maker_ask
        (
            LONG,
            102 * P,
            [(0, 99 * P), (1, 99_500_000)],
            [_match(0, 99 * P), _match(1, 99_500_000), AMM_(None)],
        ),  # maker_maker_amm_ask
        (
            LONG,
            105 * P,
            [(0, 102 * P), (1, 103 * P)],
            [AMM_(102 * P), _match(0, 102 * P), AMM_(103 * P), _match(1, 103 * P), AMM_(None)],
        ),  # amm_maker_amm_maker_amm_ask
        (
            SHORT,
            95 * P,
            [(0, 101 * P), (1, 99 * P)],
            [_match(0, 101 * P), AMM_(99 * P), _match(1, 99 * P), AMM_(None)],
        ),  # maker_amm_maker_amm_maker_bid
        (
            SHORT,
            95 * P,
            [(0, 102 * P), (1, 101 * P)],
            [_match(0, 102 * P), _match(1, 101 * P), AMM_(None)],
        ),  # maker_maker_amm_bid
        (
            SHORT,
            95 * P,
            [(0, 99 * P), (1, 98 * P)],
            [AMM_(99 * P), _match(0, 99 * P), AMM_(98 * P), _match(1, 98 * P), AMM_(None)],
        ),  # amm_maker_amm_maker_amm_bid
        (LONG, 99 * P, [(0, 101 * P), (1, 102 * P)], []),  # no_asks
        (SHORT, 105 * P, [(0, 99 * P), (1, 98 * P)], []),  # no_bids
    ],
)
def test_determine_perp_fulfillment_methods(direction, taker_price, makers, expected):
    amm = _amm()
    taker = Order(direction=direction, price=taker_price)
    makers_info = [(KEY, index, price) for index, price in makers]
    methods = determine_perp_fulfillment_methods(
        taker, makers_info, amm, reserve_price(amm), 100 * P, taker_price, True, 0, 0
    )
    assert methods == expected


# math/fulfillment/tests.rs::{amm_available_and_maker_crosses, amm_available_and_maker_doesnt_cross}
@pytest.mark.parametrize(("price", "expected"), [(102 * P, [AMM_(None)]), (99 * P, [])])
def test_post_only_order_fills_against_amm_only_when_crossing(price, expected):
    amm = _amm()
    order = Order(direction=LONG, price=price, post_only=True)
    assert determine_perp_fulfillment_methods(order, [], amm, reserve_price(amm), 100 * P, price, True, 0, 0) == expected


def test_amm_skipped_before_min_auction_duration():
    amm = _amm()
    taker = Order(direction=LONG, price=102 * P, slot=0)
    methods = determine_perp_fulfillment_methods(taker, [(KEY, 0, 101 * P)], amm, reserve_price(amm), 100 * P, 102 * P, True, 5, 10)
    assert methods == [_match(0, 101 * P)]


def test_amm_skipped_without_valid_oracle():
    amm = _amm()
    taker = Order(direction=LONG, price=102 * P)
    assert determine_perp_fulfillment_methods(taker, [], amm, reserve_price(amm), None, 102 * P, True, 0, 0) == []


def test_walk_stops_after_seven_methods():
    amm = _amm()
    taker = Order(direction=LONG, price=200 * P)
    makers = [(KEY, i, (101 + i) * P) for i in range(8)]
    methods = determine_perp_fulfillment_methods(taker, makers, amm, reserve_price(amm), 100 * P, None, True, 0, 0)
    # AMM, Match, AMM, Match, AMM, Match, AMM, Match then stop; final AMM(None) appended.
    assert len(methods) == 9 and methods[-1] == AMM_(None) and methods[-2] == _match(3, 104 * P)
