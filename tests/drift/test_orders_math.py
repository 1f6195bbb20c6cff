"""math/orders.py: standardisation, limit prices, fill-price checks, risk, expiry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballast.drift.errors import (
    InvalidAmmLimitPriceOverride,
    InvalidOrderFillPrice,
    PriceBandsBreached,
)
from ballast.drift.math.orders import (
    calculate_base_asset_amount_for_amm_to_fulfill,
    calculate_fill_price,
    calculate_limit_price_with_buffer,
    calculate_quote_asset_amount_for_maker_order,
    get_base_asset_amount_unfilled,
    get_fallback_price,
    get_limit_price,
    has_limit_price,
    is_multiple_of_step_size,
    is_new_order_risk_increasing,
    is_order_position_reducing,
    is_resting_limit_order,
    order_breaches_maker_oracle_price_bands,
    should_cancel_reduce_only_order,
    should_expire_order,
    standardize_base_asset_amount,
    standardize_base_asset_amount_ceil,
    standardize_base_asset_amount_with_remainder_i128,
    standardize_price,
    validate_fill_price,
    validate_fill_price_within_price_bands,
)
from ballast.drift.state.perp_market import PerpMarket
from ballast.drift.state.state import FeeTier
from ballast.drift.state.user import Order, OrderStatus, OrderType, PositionDirection, User

LONG, SHORT = PositionDirection.Long, PositionDirection.Short
P = 10**6  # PRICE_PRECISION
B = 10**9  # BASE_PRECISION


# math/orders/tests.rs::standardize_base_asset_amount_with_remainder_i128::*
@pytest.mark.parametrize(
    ("baa", "step", "expected"),
    [(-90, 50, (-50, -40)), (-20, 50, (0, -20)), (90, 50, (50, 40)), (20, 50, (0, 20)), (100, 50, (100, 0))],
)
def test_standardize_with_remainder_steps_toward_zero_and_keeps_signed_remainder(baa, step, expected):
    assert standardize_base_asset_amount_with_remainder_i128(baa, step) == expected


# math/orders/tests.rs::standardize_base_asset_amount::{remainder_less_than_half_minimum_size,
# remainder_more_than_half_minimum_size, zero}
@pytest.mark.parametrize(("baa", "step", "expected"), [(200001, 100000, 200000), (250001, 100000, 200000), (0, 100000, 0)])
def test_standardize_base_asset_amount_rounds_down(baa, step, expected):
    assert standardize_base_asset_amount(baa, step) == expected


def test_standardize_base_asset_amount_ceil_rounds_up_only_with_remainder():
    assert (standardize_base_asset_amount_ceil(200001, 100000), standardize_base_asset_amount_ceil(200000, 100000)) == (
        300000,
        200000,
    )


# math/orders/tests.rs::is_multiple_of_step_size::reduce_step_size
def test_is_multiple_of_step_size_holds_for_smaller_step():
    assert is_multiple_of_step_size(200000, 100000) and is_multiple_of_step_size(200000, 10000)


@given(st.integers(0, 10**18), st.integers(1, 10**12))
def test_standardize_floor_and_ceil_bracket_amount_within_one_step(baa, step):
    low, high = standardize_base_asset_amount(baa, step), standardize_base_asset_amount_ceil(baa, step)
    assert low % step == 0 and high % step == 0 and low <= baa <= high and high - low in (0, step)


@given(st.integers(-(10**18), 10**18), st.integers(1, 10**12))
def test_standardize_with_remainder_recomposes_amount(baa, step):
    standardized, remainder = standardize_base_asset_amount_with_remainder_i128(baa, step)
    assert standardized + remainder == baa and abs(remainder) < step and standardized % step == 0


@pytest.mark.parametrize(
    ("price", "tick", "direction", "expected"),
    [(100_000_123, 100, LONG, 100_000_100), (100_000_123, 100, SHORT, 100_000_200), (0, 100, SHORT, 0), (500, 100, LONG, 500)],
)
def test_standardize_price_rounds_long_down_short_up(price, tick, direction, expected):
    assert standardize_price(price, tick, direction) == expected


# math/orders/tests.rs::order_breaches_oracle_price_limits::*  (margin_ratio_initial = 500)
@pytest.mark.parametrize(
    ("direction", "price", "breaches"),
    [
        (LONG, 101 * P, False),
        (LONG, 105 * P - 1, False),
        (LONG, 105 * P, True),
        (SHORT, 99 * P, False),
        (SHORT, 95 * P + 1, False),
        (SHORT, 95 * P, True),
    ],
)
def test_order_breaches_maker_oracle_price_bands(direction, price, breaches):
    order = Order(order_type=OrderType.Limit, direction=direction, price=price)
    assert order_breaches_maker_oracle_price_bands(order, 100 * P, 0, 1, 500) is breaches


# math/orders/tests.rs::should_expire_order::*
@pytest.mark.parametrize(
    ("status", "order_type", "max_ts", "expired"),
    [
        (OrderStatus.Open, OrderType.Limit, 0, False),
        (OrderStatus.Open, OrderType.Limit, 101, False),
        (OrderStatus.Open, OrderType.Limit, 99, True),
        (OrderStatus.Init, OrderType.Limit, 99, False),
        (OrderStatus.Open, OrderType.TriggerMarket, 99, False),
        (OrderStatus.Open, OrderType.TriggerLimit, 99, False),
    ],
)
def test_should_expire_order(status, order_type, max_ts, expired):
    user = User(orders=[Order(status=status, order_type=order_type, max_ts=max_ts)])
    assert should_expire_order(user, 0, 100) is expired


def test_calculate_fill_price_floors():
    assert calculate_fill_price(100 * P + 1, 3 * B, B) == 33_333_333


def test_maker_quote_floors_for_long_and_ceils_for_short():
    assert (
        calculate_quote_asset_amount_for_maker_order(3, 33_333_333, 9, LONG),
        calculate_quote_asset_amount_for_maker_order(3, 33_333_333, 9, SHORT),
    ) == (0, 1)


def test_validate_fill_price_taker_tolerates_one_quote_unit():
    # quote 100_000_001 for 1 base is 100.000001 > limit 100, but a taker gets the 1-unit nudge.
    assert validate_fill_price(100 * P + 1, B, B, LONG, 100 * P, True) is None


def test_validate_fill_price_rejects_maker_fill_past_limit():
    with pytest.raises(InvalidOrderFillPrice):
        validate_fill_price(100 * P + 1, B, B, LONG, 100 * P, False)


def test_validate_fill_price_rejects_short_below_limit():
    with pytest.raises(InvalidOrderFillPrice):
        validate_fill_price(99 * P, B, B, SHORT, 100 * P, True)


def test_price_bands_reject_fill_at_margin_ratio_from_oracle():
    # 10% away with margin_ratio_initial 1000 (10%): percent_diff == max breaches.
    with pytest.raises(PriceBandsBreached):
        validate_fill_price_within_price_bands(110 * P, 100 * P, 100 * P, 1000, 500_000)


def test_price_bands_accept_fill_just_inside_margin_ratio():
    assert validate_fill_price_within_price_bands(110 * P - 1, 100 * P, 100 * P, 1000, 500_000) is None


def test_price_bands_without_direction_check_both_sides():
    with pytest.raises(PriceBandsBreached):
        validate_fill_price_within_price_bands(90 * P, 100 * P, 100 * P, 1000, 500_000)


def test_price_bands_exempt_long_filling_below_oracle_and_twap():
    assert validate_fill_price_within_price_bands(50 * P, 100 * P, 100 * P, 1000, 500_000, LONG) is None


def test_price_bands_floor_twap_divergence_at_fifty_percent():
    # twap divergence configured at 10% is floored to 50%: a 40% gap from the twap passes.
    assert validate_fill_price_within_price_bands(140 * P, 140 * P, 100 * P, 1000, 100_000) is None


@pytest.mark.parametrize(
    ("direction", "size", "position", "bids", "asks", "increasing"),
    [
        (LONG, B, 0, 0, 0, True),
        (LONG, B, -2 * B, 0, 0, False),
        (LONG, B, -2 * B, 2 * B, 0, True),
        (SHORT, B, 2 * B, 0, 0, False),
        (SHORT, B, 2 * B, 0, -2 * B, True),
        (SHORT, B, -B, 0, 0, True),
    ],
)
def test_is_new_order_risk_increasing(direction, size, position, bids, asks, increasing):
    order = Order(direction=direction, base_asset_amount=size)
    assert is_new_order_risk_increasing(order, position, bids, asks) is increasing


def test_reduce_only_new_order_is_never_risk_increasing():
    assert is_new_order_risk_increasing(Order(base_asset_amount=B, reduce_only=True), B, 0, 0) is False


@pytest.mark.parametrize(
    ("direction", "size", "position", "reducing"),
    [(LONG, B, -B, True), (LONG, 3 * B // 2, -B, False), (LONG, 2 * B, -B, False), (LONG, B, B, False)],
)
def test_position_reducing_up_to_the_position_on_the_opposite_side(direction, size, position, reducing):
    assert is_order_position_reducing(direction, size, position) is reducing


def test_reduce_only_unfilled_capped_by_position_and_zero_on_wrong_side():
    order = Order(direction=SHORT, base_asset_amount=5 * B, reduce_only=True)
    assert (get_base_asset_amount_unfilled(order, 2 * B), get_base_asset_amount_unfilled(order, -2 * B)) == (2 * B, 0)


def test_should_cancel_reduce_only_order_below_one_step():
    order = Order(status=OrderStatus.Open, direction=SHORT, base_asset_amount=5 * B, reduce_only=True)
    assert should_cancel_reduce_only_order(order, 10, 1000) and not should_cancel_reduce_only_order(order, B, 1000)


def test_market_order_has_no_limit_price_after_auction():
    order = Order(order_type=OrderType.Market, slot=0, auction_duration=10, auction_start_price=100 * P, auction_end_price=101 * P)
    assert (has_limit_price(order, 10), has_limit_price(order, 11), get_limit_price(order, None, None, 11, 1)) == (True, False, None)


def test_limit_price_uses_standardized_fallback_when_price_zero():
    order = Order(order_type=OrderType.Market, direction=SHORT)
    assert get_limit_price(order, None, 100_000_050, 0, 100) == 100_000_100


def test_oracle_offset_limit_price_floors_at_one_tick():
    order = Order(order_type=OrderType.Limit, direction=LONG, oracle_price_offset=-200 * P)
    assert get_limit_price(order, 100 * P, None, 0, 10) == 10


def test_limit_order_rests_after_auction_or_when_post_only():
    order = Order(order_type=OrderType.Limit, slot=0, auction_duration=10, price=P)
    post_only = Order(order_type=OrderType.Limit, slot=0, auction_duration=10, price=P, post_only=True)
    assert (is_resting_limit_order(order, 10), is_resting_limit_order(order, 11), is_resting_limit_order(post_only, 0)) == (
        False,
        True,
        True,
    )


@pytest.mark.parametrize(
    ("direction", "liquidity", "expected"),
    [(LONG, 1, 100_500_000), (LONG, 0, 105_000_000), (SHORT, 1, 99_500_000), (SHORT, 0, 95_000_000)],
)
def test_fallback_price_is_amm_quote_or_oracle_buffer(direction, liquidity, expected):
    assert get_fallback_price(direction, 100 * P, 100 * P, liquidity, 100 * P) == expected


@pytest.mark.parametrize(("fee_adjustment", "expected"), [(0, 99_980_000), (-50, 99_990_000), (100, 99_960_000)])
def test_post_only_limit_moved_inward_by_maker_rebate(fee_adjustment, expected):
    # default maker rebate 20/100_000 = 2 bps of 100 = 0.02; fee_adjustment scales it by (100 ± adj)%.
    order = Order(direction=LONG, post_only=True)
    assert calculate_limit_price_with_buffer(order, 100 * P, FeeTier(maker_rebate_numerator=20), fee_adjustment) == expected


def test_override_fill_price_worse_than_limit_is_rejected():
    order = Order(order_type=OrderType.Limit, direction=LONG, base_asset_amount=B, price=100 * P)
    with pytest.raises(InvalidAmmLimitPriceOverride):
        calculate_base_asset_amount_for_amm_to_fulfill(order, PerpMarket(), 100 * P, 101 * P, 0, FeeTier())


def test_untriggered_trigger_order_gets_no_amm_fill():
    order = Order(order_type=OrderType.TriggerMarket, base_asset_amount=B)
    assert calculate_base_asset_amount_for_amm_to_fulfill(order, PerpMarket(), 100 * P, None, 0, FeeTier()) == (0, 100 * P)
