"""k changes: new reserves, their cost and the budgeted k scale (math/cp_curve.rs)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballast.drift.constants import AMM_RESERVE_PRECISION, MAX_SQRT_K
from ballast.drift.errors import InvalidUpdateK
from ballast.drift.math.cp_curve import (
    UpdateKResult,
    _calculate_budgeted_k_scale,
    adjust_k_cost,
    calculate_budgeted_k_scale,
    can_lower_k,
    get_lower_bound_sqrt_k,
    get_update_k_result,
)
from ballast.drift.state.perp_market import AMM, MarketStatus, PerpMarket

R = AMM_RESERVE_PRECISION


def _net_short_market() -> PerpMarket:
    # the market of math/cp_curve/tests.rs::calculate_k_tests and controller/amm/tests.rs
    return PerpMarket(
        amm=AMM(
            base_asset_reserve=512_295_081_967,
            quote_asset_reserve=488 * R,
            sqrt_k=500 * R,
            peg_multiplier=50_000_000,
            concentration_coef=1_414_200,
            base_asset_amount_with_amm=-12_295_081_967,
        )
    )


def test_get_update_k_result_increase_keeps_price():
    # Arrange: cp_curve/tests.rs::calculate_k_tests (k up by 0.2%)
    market = _net_short_market()

    # Act
    result = get_update_k_result(market, 501 * R, True)

    # Assert
    assert result == UpdateKResult(501 * R, 513_319_672_130, 488_976_000_001)


def test_get_update_k_result_bounded_rejects_more_than_halving():
    # Arrange: cp_curve/tests.rs::k_update_results_bound_flag
    market = PerpMarket(amm=AMM(sqrt_k=100 * R, base_asset_reserve=100 * R, quote_asset_reserve=100 * R))

    # Act / Assert
    with pytest.raises(InvalidUpdateK):
        get_update_k_result(market, R, True)


def test_get_update_k_result_unbounded_allows_more_than_halving():
    # Arrange: cp_curve/tests.rs::k_update_results_bound_flag
    market = PerpMarket(amm=AMM(sqrt_k=100 * R, base_asset_reserve=100 * R, quote_asset_reserve=100 * R))

    # Act
    result = get_update_k_result(market, R, False)

    # Assert
    assert result.sqrt_k == R


def test_get_update_k_result_rejects_increase_past_max_sqrt_k():
    # Arrange: cp_curve.rs rule "cannot increase sqrt_k past MAX_SQRT_K"
    market = PerpMarket(amm=AMM(sqrt_k=MAX_SQRT_K, base_asset_reserve=MAX_SQRT_K, quote_asset_reserve=MAX_SQRT_K))

    # Act / Assert
    with pytest.raises(InvalidUpdateK):
        get_update_k_result(market, MAX_SQRT_K + 1, False)


def test_get_update_k_result_rejects_decrease_below_net_position():
    # Arrange: cp_curve.rs rule "new_sqrt_k too small relative to market imbalance"
    market = PerpMarket(
        amm=AMM(
            sqrt_k=100 * R,
            base_asset_reserve=100 * R,
            quote_asset_reserve=100 * R,
            base_asset_amount_with_amm=-60 * R,
        )
    )

    # Act / Assert
    with pytest.raises(InvalidUpdateK):
        get_update_k_result(market, 59 * R, False)


def test_get_update_k_result_allows_decrease_below_net_position_when_reduce_only():
    # Arrange
    market = PerpMarket(
        status=MarketStatus.ReduceOnly,
        amm=AMM(
            sqrt_k=100 * R,
            base_asset_reserve=100 * R,
            quote_asset_reserve=100 * R,
            base_asset_amount_with_amm=-60 * R,
        ),
    )

    # Act
    result = get_update_k_result(market, 59 * R, False)

    # Assert
    assert result.sqrt_k == 59 * R


@given(
    sqrt_k=st.integers(min_value=10**9, max_value=10**15),
    skew_bps=st.integers(min_value=-5000, max_value=5000),
    scale_bps=st.integers(min_value=5001, max_value=50_000),
)
def test_get_update_k_result_quote_reserve_is_invariant_over_base_rounded_down(
    sqrt_k, skew_bps, scale_bps
):
    # Arrange
    base = sqrt_k * (10_000 + skew_bps) // 10_000
    market = PerpMarket(amm=AMM(sqrt_k=sqrt_k, base_asset_reserve=base, quote_asset_reserve=sqrt_k * sqrt_k // base))
    new_sqrt_k = sqrt_k * scale_bps // 10_000

    # Act
    result = get_update_k_result(market, new_sqrt_k, True)

    # Assert
    k = result.sqrt_k**2
    assert result.base_asset_reserve * result.quote_asset_reserve <= k
    assert result.base_asset_reserve * (result.quote_asset_reserve + 1) > k


def test_adjust_k_cost_increase_with_net_short_users_costs_protocol():
    # Arrange: cp_curve/tests.rs::calculate_k_tests (adjust_k_cost_and_update gives the same cost)
    market = _net_short_market()
    result = get_update_k_result(market, 501 * R, True)

    # Act
    cost = adjust_k_cost(market, result)

    # Assert
    assert cost == 29_448


def test_adjust_k_cost_5x_increase():
    # Arrange: controller/amm/tests.rs::concentration_coef_tests (vector update_k_5x_cost)
    market = _net_short_market()
    result = get_update_k_result(market, 5 * 500 * R, False)

    # Act
    cost = adjust_k_cost(market, result)

    # Assert
    assert cost == 11_575_563


def test_adjust_k_cost_does_not_mutate_market():
    # Arrange
    market = _net_short_market()
    before = repr(market)
    result = get_update_k_result(market, 5 * 500 * R, False)

    # Act
    adjust_k_cost(market, result)

    # Assert
    assert repr(market) == before


def test_adjust_k_cost_with_rounding_stays_within_budget():
    # Arrange: cp_curve/tests.rs::calculate_k_with_rounding
    market = PerpMarket(
        amm=AMM(
            base_asset_reserve=9_942_017_440_883_516_352,
            quote_asset_reserve=10_058_320_717_561_858_267,
            concentration_coef=1_414_200,
            sqrt_k=10_000_000_000_000_000_000,
            peg_multiplier=1103,
            base_asset_amount_with_amm=57_982_559_000_000_000,
        )
    )
    new_sqrt_k = market.amm.sqrt_k * 373_175 // 340_980
    result = get_update_k_result(market, new_sqrt_k, True)

    # Act
    cost = adjust_k_cost(market, result)

    # Assert
    assert cost == 32_195_097


_UPPER = 1_000_000 + 1000 * 100 // 100  # curve_update_intensity 100
_LOWER = 1_000_000 - 22_000 * 100 // 100


# cp_curve/tests.rs::calculate_k_tests and ::calculate_k_with_rounding
@pytest.mark.parametrize(
    ("x", "y", "budget", "q", "d", "upper", "lower", "expected"),
    [
        (55_414 * R, 55_530 * R, 2_000, 36_365_000, 66 * R, _UPPER, _LOWER, (1_000_700, 1_000_000)),
        (55_414 * R, 55_530 * R, -20_000, 36_365_000, 66 * R, _UPPER, _LOWER, (993_050, 1_000_000)),
        (55_414 * R, 55_530 * R, -40_000, 36_365_000, 66 * R, _UPPER, _LOWER, (986_196, 1_000_000)),
        (
            500_000_000_049_750_000_004_950,
            499_999_999_950_250_000_000_000,
            114_638,
            40_000_000,
            49_750_000_004_950,
            _UPPER,
            _LOWER,
            (1_001_000, 1_000_000),
        ),
        (
            500_000_000_049_750_000_004_950,
            499_999_999_950_250_000_000_000,
            -114_638,
            40_000_000,
            49_750_000_004_950,
            _UPPER,
            _LOWER,
            (978_000, 1_000_000),
        ),
        (
            9_942_017_440_883_516_352,
            10_058_320_717_561_858_267,
            32_195_176,
            1103,
            57_982_559_000_000_000,
            100_000_000,
            1_000_000,
            (1_094_419, 1_000_000),
        ),
    ],
)
def test_calculate_budgeted_k_scale_reference_cases(x, y, budget, q, d, upper, lower, expected):
    # Arrange / Act
    scale = _calculate_budgeted_k_scale(x, y, budget, q, d, upper, lower)

    # Assert
    assert scale == expected


def test_calculate_budgeted_k_scale_reads_market():
    # Arrange: cp_curve/tests.rs::calculate_k_tests_wrapper_fcn
    market = PerpMarket(
        amm=AMM(
            base_asset_reserve=55_414 * R,
            quote_asset_reserve=55_530 * R,
            sqrt_k=500 * R,
            peg_multiplier=36_365_000,
            base_asset_amount_with_amm=66 * R,
        )
    )

    # Act
    scale = calculate_budgeted_k_scale(market, 2_000, 1_100_000, 1_000_000 - 22_000)

    # Assert
    assert scale == (1_000_700, 1_000_000)


@pytest.mark.parametrize(("upper", "lower"), [(999_999, 1_000_000), (1_001_000, 977_999), (1_001_000, 1_000_001)])
def test_calculate_budgeted_k_scale_rejects_bounds_outside_limits(upper, lower):
    # Arrange
    market = _net_short_market()

    # Act / Assert
    with pytest.raises(InvalidUpdateK):
        calculate_budgeted_k_scale(market, 1_000, upper, lower)


@given(budget=st.integers(min_value=-(10**9), max_value=10**9).filter(lambda b: b != 0))
def test_calculate_budgeted_k_scale_stays_within_bounds(budget):
    # Arrange
    x, y, q, d = 55_414 * R, 55_530 * R, 36_365_000, 66 * R

    # Act
    numerator, denominator = _calculate_budgeted_k_scale(x, y, budget, q, d, _UPPER, _LOWER)

    # Assert: spending grows k, recovering shrinks it, both within the bounds
    assert denominator == 1_000_000
    assert _LOWER <= numerator <= _UPPER
    assert (numerator >= denominator) == (budget > 0)


def test_get_lower_bound_sqrt_k_is_net_position_when_larger_than_min_order():
    # Arrange: min(sqrt_k, max(lp + lp/1000, min_order_size, |net|))
    amm = AMM(sqrt_k=100 * R, min_order_size=5, base_asset_amount_with_amm=-7 * R)

    # Act / Assert
    assert get_lower_bound_sqrt_k(amm) == 7 * R


def test_get_lower_bound_sqrt_k_never_exceeds_sqrt_k():
    # Arrange
    amm = AMM(sqrt_k=10 * R, base_asset_amount_with_amm=11 * R)

    # Act / Assert
    assert get_lower_bound_sqrt_k(amm) == 10 * R


@pytest.mark.parametrize(
    ("net", "expected"),
    [(-12 * R, True), (-20 * R, False)],
)
def test_can_lower_k_requires_net_position_below_liquidity_of_each_side(net, expected):
    # Arrange: bar 100, min 80 (20 of bids), max 130 (30 of asks)
    amm = AMM(
        sqrt_k=100 * R,
        base_asset_reserve=100 * R,
        min_base_asset_reserve=80 * R,
        max_base_asset_reserve=130 * R,
        base_asset_amount_with_amm=net,
        min_order_size=1,
    )

    # Act / Assert
    assert can_lower_k(amm) is expected
