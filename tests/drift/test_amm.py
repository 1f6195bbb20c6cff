"""vAMM curve math (math/amm.rs): prices, swaps, bounds, oracle normalisation, estimates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballast.drift.errors import (
    InvalidConcentrationCoef,
    InvalidOracle,
    TradeSizeTooLarge,
)
from ballast.drift.math.amm import (
    TwapPeriod,
    _calculate_market_open_bids_asks,
    ask_price,
    bid_ask_price,
    bid_price,
    calculate_amm_available_liquidity,
    calculate_base_swap_output_with_spread,
    calculate_bid_ask_bounds,
    calculate_market_open_bids_asks,
    calculate_new_oracle_price_twap,
    calculate_oracle_reserve_price_spread_pct,
    calculate_oracle_twap_5min_price_spread_pct,
    calculate_price,
    calculate_quote_asset_amount_swapped,
    calculate_swap_output,
    calculate_terminal_price,
    calculate_terminal_price_and_reserves,
    calculate_terminal_reserves,
    estimate_best_bid_ask_price,
    get_new_oracle_conf_pct,
    get_sanitize_clamp_denominator,
    is_oracle_mark_too_divergent,
    normalise_oracle_price,
    reserve_price,
    sanitize_new_price,
)
from ballast.drift.state.oracle import OraclePriceData
from ballast.drift.state.perp_market import (
    AMM,
    ContractTier,
    HistoricalOracleData,
    PerpMarket,
    SwapDirection,
)
from ballast.drift.state.state import PriceDivergenceGuardRails
from ballast.drift.state.user import PositionDirection

P = 10**6  # PRICE_PRECISION
R = 10**9  # AMM_RESERVE_PRECISION


def _btc_amm(base_asset_amount_with_amm: int) -> AMM:
    # math/amm/tests.rs::calculate_expiry_price_test (and the long-imbalance variants)
    return AMM(
        base_asset_reserve=512295081967,
        quote_asset_reserve=488 * R,
        sqrt_k=500 * R,
        peg_multiplier=22_100_000_000,
        base_asset_amount_with_amm=base_asset_amount_with_amm,
        max_spread=1000,
    )


def _fill_amm() -> AMM:
    # spec vector amm_fill_long_with_spread: 100/100 curve at $100, ask reserves 99/101
    return AMM(
        base_asset_reserve=100 * R,
        quote_asset_reserve=100 * R,
        sqrt_k=100 * R,
        peg_multiplier=100 * P,
        ask_base_asset_reserve=99 * R,
        ask_quote_asset_reserve=101 * R,
        bid_base_asset_reserve=101 * R,
        bid_quote_asset_reserve=99 * R,
    )


def test_reserve_price_of_btc_curve():
    # math/amm/tests.rs::calculate_expiry_price_test: reserve_price == 21051929600
    amm = _btc_amm(-12295081967)

    assert reserve_price(amm) == 21051929600


def test_calculate_price_rounds_down():
    # 2e9 * 1e6 / 3e9 = 666_666.67 -> 666_666
    assert calculate_price(2 * R, 3 * R, P) == 666_666


@pytest.mark.parametrize(
    ("base_asset_amount_with_amm", "expected_terminal_price"),
    [
        (-12295081967, 22100000000),  # calculate_expiry_price_test (spec terminal_price_net_short)
        (12295081967, 20076684570),  # calculate_expiry_price_long_imbalance_test (net_long)
    ],
)
def test_terminal_price_closes_net_user_position(base_asset_amount_with_amm, expected_terminal_price):
    amm = _btc_amm(base_asset_amount_with_amm)

    assert calculate_terminal_price(amm) == expected_terminal_price


def test_terminal_reserves_of_net_short_are_balanced():
    # users net short 12295081967 -> removing it gives bar = 500e9 = sqrt_k and qar = 500e9
    amm = _btc_amm(-12295081967)

    assert calculate_terminal_reserves(amm) == (500 * R, 500 * R)
    assert calculate_terminal_price_and_reserves(amm) == (22100000000, 500 * R, 500 * R)


def test_swap_output_rounds_output_reserve_down():
    # k = 1e22; removing 1e9 from 99e9 -> 1e22 / 98e9 = 102_040_816_326.5 -> 102_040_816_326
    assert calculate_swap_output(R, 99 * R, SwapDirection.Remove, 100 * R) == (102_040_816_326, 98 * R)


def test_swap_output_adds_base_for_add():
    # 1e22 / 101e9 = 99_009_900_990.1 -> 99_009_900_990
    assert calculate_swap_output(R, 100 * R, SwapDirection.Add, 100 * R) == (99_009_900_990, 101 * R)


def test_swap_output_rejects_removing_more_than_reserve():
    with pytest.raises(TradeSizeTooLarge, match="101"):
        calculate_swap_output(101, 100, SwapDirection.Remove, 100)


@pytest.mark.parametrize(
    ("before", "after", "direction", "expected"),
    [
        # spec amm_fill_long_with_spread: (102_040_816_326 - 101e9 + 1) * 100e6 / 1e9 = 104_081_632.7 -> +1
        (101 * R, 102_040_816_326, SwapDirection.Remove, 104_081_633),
        # Add: (100e9 - 99_009_900_990) * 100e6 / 1e9 = 99_009_901 (no +1)
        (100 * R, 99_009_900_990, SwapDirection.Add, 99_009_901),
    ],
)
def test_quote_asset_amount_swapped_charges_longs_one_more_unit(before, after, direction, expected):
    assert calculate_quote_asset_amount_swapped(before, after, direction, 100 * P) == expected


def test_base_swap_with_spread_fills_long_on_ask_reserves():
    # spec vector amm_fill_long_with_spread: quote 104_081_633, surplus 3_071_531;
    # curve moves without spread to bar 99e9, qar 1e22 / 99e9 = 101_010_101_010
    amm = _fill_amm()

    result = calculate_base_swap_output_with_spread(amm, R, SwapDirection.Remove)

    assert result == (99 * R, 101_010_101_010, 104_081_633, 3_071_531)


def test_base_swap_with_spread_does_not_mutate_amm():
    amm = _fill_amm()

    calculate_base_swap_output_with_spread(amm, R, SwapDirection.Add)

    assert amm == _fill_amm()


def test_base_swap_with_spread_fills_short_on_bid_reserves():
    # bid: 1e22 / (101e9 + 1e9) = 98_039_215_686; quote = (99e9 - 98_039_215_686) * 100e6 / 1e9
    # = 96_078_431.4 -> 96_078_431. curve: 1e22 / 101e9 = 99_009_900_990,
    # actual = (100e9 - 99_009_900_990) * 100e6 / 1e9 = 99_009_901 -> surplus 2_931_470
    amm = _fill_amm()

    result = calculate_base_swap_output_with_spread(amm, R, SwapDirection.Add)

    assert result == (101 * R, 99_009_900_990, 96_078_431, 2_931_470)


def test_bid_ask_bounds_from_max_concentration():
    # controller/amm/tests.rs::concentration_coef_tests (scale 1, terminal base 500e9)
    assert calculate_bid_ask_bounds(1_414_200, 500 * R) == (353556781219, 707100000000)


def test_bid_ask_bounds_reject_coef_at_precision():
    with pytest.raises(InvalidConcentrationCoef, match="1000000"):
        calculate_bid_ask_bounds(1_000_000, 500 * R)


@pytest.mark.parametrize(
    ("bar", "min_bar", "max_bar", "expected"),
    [
        (11 * R, 7 * R, 14 * R, (4 * R, -3 * R)),  # amm_spread tests calculate_spread_inventory_tests
        (10 * R, 0, 100000 * R, (10 * R, -99990000000000)),  # calculate_vol_spread_tests
        (5 * R, 7 * R, 14 * R, (0, -9 * R)),  # below min: no bids
        (15 * R, 7 * R, 14 * R, (8 * R, 0)),  # above max: no asks
    ],
)
def test_open_bids_asks_measure_room_to_bounds(bar, min_bar, max_bar, expected):
    assert _calculate_market_open_bids_asks(bar, min_bar, max_bar) == expected


def test_market_open_bids_asks_reads_amm_bounds():
    # controller/amm/tests.rs::concentration_coef_tests after scale 1
    amm = AMM(
        base_asset_reserve=512295081967,
        min_base_asset_reserve=353556781219,
        max_base_asset_reserve=707100000000,
    )

    assert calculate_market_open_bids_asks(amm) == (158738300748, -194804918033)


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        # min(100e9 / 100 = 1e9, (100e9 - 90e9) / 2 = 5e9) = 1e9, step 3e8 -> 9e8
        (PositionDirection.Long, 900_000_000),
        # min(1e9, (100.5e9 - 100e9) / 2 = 2.5e8) = 2.5e8, below one 3e8 step -> 0
        (PositionDirection.Short, 0),
    ],
)
def test_available_liquidity_is_half_the_side_room_on_step(direction, expected):
    amm = AMM(
        base_asset_reserve=100 * R,
        min_base_asset_reserve=90 * R,
        max_base_asset_reserve=100_500_000_000,
        max_fill_reserve_fraction=100,
        order_step_size=300_000_000,
    )

    assert calculate_amm_available_liquidity(amm, direction) == expected


def test_prices_apply_spreads_and_offset():
    # reserve 1e6: ask 1e6 * (1e6 + 27270 + 1000) / 1e6, bid 1e6 * (1e6 - 500 + 1000) / 1e6
    amm = AMM(long_spread=27270, short_spread=500, reference_price_offset=1000)

    assert ask_price(amm, P) == 1_028_270
    assert bid_price(amm, P) == 1_000_500
    assert bid_ask_price(amm, P) == (1_000_500, 1_028_270)


def test_bid_price_rounds_down():
    # 10% short spread: 33_333_333 * 900_000 / 1e6 = 29_999_999.7 -> 29_999_999
    amm = AMM(short_spread=100_000)

    assert bid_price(amm, 33_333_333) == 29_999_999


@pytest.mark.parametrize(
    ("reserve", "oracle", "conf", "expected"),
    [
        # math/oracle/tests.rs::calculate_oracle_valid: reserve 33 < oracle 34, conf 0.01 -> 33.99
        (33 * P, 34 * P, P // 100, 33_990_000),
        # reserve above oracle: min(max(40e6 - 10_000, 39e6), 39e6 + 5e5) = 39.5e6
        (40 * P, 39 * P, 500_000, 39_500_000),
        # within 2.5 bps: min(max(40e6 - 10_000, 39_995_000), 40e6) = 39_995_000
        (40 * P, 39_995_000, P, 39_995_000),
    ],
)
def test_normalise_oracle_price_shrinks_toward_reserve_within_confidence(
    reserve, oracle, conf, expected
):
    amm = AMM()

    result = normalise_oracle_price(amm, OraclePriceData(price=oracle, confidence=conf), reserve)

    assert result == expected


@pytest.mark.parametrize(
    ("new_price", "last_twap", "denominator", "expected"),
    [
        (130 * P, 13 * P, None, 17_333_333),  # calc_oracle_twap_clamp_update_tests jump: 13e6 / 3
        (1 * P, 13 * P, None, 8_666_667),  # downward clamp: 13e6 - 4_333_333
        (14 * P, 13 * P, None, 14 * P),  # within band
        (130 * P, 0, None, 130 * P),  # no twap yet
        (130 * P, 13 * P, 0, 130 * P),  # denominator 0 disables
        (130 * P, 13 * P, 10, 14_300_000),  # tier A: 10% band
    ],
)
def test_sanitize_new_price_clamps_to_twap_band(new_price, last_twap, denominator, expected):
    assert sanitize_new_price(new_price, last_twap, denominator) == expected


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        (ContractTier.A, 10),
        (ContractTier.B, 5),
        (ContractTier.C, 2),
        (ContractTier.Speculative, None),
        (ContractTier.HighlySpeculative, None),
        (ContractTier.Isolated, None),
    ],
)
def test_sanitize_clamp_denominator_by_contract_tier(tier, expected):
    assert get_sanitize_clamp_denominator(PerpMarket(contract_tier=tier)) == expected


@pytest.mark.parametrize(
    ("last_pct", "since", "conf", "expected"),
    [
        (10_000, 0, 0, 10_000),  # no time passed: no decay
        (10_000, 1, 0, 9_500),  # 10_000 - 10_000 / 20
        (10_000, 100, 0, 8_000),  # divisor floors at 5
        (10_000, 1, 340_000, 10_000),  # 340_000 * 1e6 / 34e6 = 10_000 >= 9_500
    ],
)
def test_new_oracle_conf_pct_decays_previous_value(last_pct, since, conf, expected):
    amm = AMM(
        last_oracle_conf_pct=last_pct,
        historical_oracle_data=HistoricalOracleData(last_oracle_price_twap_ts=1000),
    )

    assert get_new_oracle_conf_pct(amm, conf, 34 * P, 1000 + since) == expected


def test_new_oracle_twap_blends_mark_twap_after_oracle_gap():
    # calc_oracle_twap_tests second update: twap 33_990_000 (5-min 33_990_000), mark twap 0 and
    # both timestamps at now - 60; oracle 31e6 -> funding twap 33_940_167, 5-min 33_392_001
    amm = AMM(
        funding_period=3600,
        last_mark_price_twap_ts=1000 - 60,
        historical_oracle_data=HistoricalOracleData(
            last_oracle_price_twap=33_990_000,
            last_oracle_price_twap_5min=33_990_000,
            last_oracle_price_twap_ts=1000 - 60,
        ),
    )

    funding = calculate_new_oracle_price_twap(amm, 1000, 31 * P, TwapPeriod.FundingPeriod)
    five_min = calculate_new_oracle_price_twap(amm, 1000, 31 * P, TwapPeriod.FiveMin)

    assert (funding, five_min) == (33_940_167, 33_392_001)


def _estimate_amm() -> AMM:
    # reserve price 100e6; ask 101e6 (long_spread 1%), bid 99e6 (short_spread 1%)
    return AMM(
        base_asset_reserve=100 * R,
        quote_asset_reserve=100 * R,
        peg_multiplier=100 * P,
        base_spread=2_000,
        long_spread=10_000,
        short_spread=10_000,
        order_tick_size=1,
        historical_oracle_data=HistoricalOracleData(last_oracle_price=100 * P),
    )


@pytest.mark.parametrize(
    ("trade_price", "direction", "expected"),
    [
        # premium 500_000 > 0: bid = max(100e6 - min(min(2000, 5000), 500_000), 99e6) = 99_998_000
        (100_500_000, PositionDirection.Long, (99_998_000, 100_500_000)),
        # premium -500_000: ask = min(100e6 + min(2000, 500_000), 101e6) = 100_002_000
        (99_500_000, PositionDirection.Short, (99_500_000, 100_002_000)),
        # no direction: trade clamped into [99e6, 101e6]
        (102_000_000, None, (101_000_000, 101_000_000)),
    ],
)
def test_estimate_best_bid_ask_uses_execution_premium(trade_price, direction, expected):
    amm = _estimate_amm()

    assert estimate_best_bid_ask_price(amm, trade_price, direction) == expected


def test_estimate_best_bid_ask_requires_oracle_price():
    amm = _estimate_amm()
    amm.historical_oracle_data.last_oracle_price = 0

    with pytest.raises(InvalidOracle):
        estimate_best_bid_ask_price(amm, 100 * P, PositionDirection.Long)


def test_oracle_reserve_price_spread_pct_truncates_toward_zero():
    # (33e6 - 34e6) * 1e6 / 33e6 = -30_303.03 -> -30_303 (floor would give -30_304)
    amm = AMM()

    assert calculate_oracle_reserve_price_spread_pct(amm, OraclePriceData(price=34 * P), 33 * P) == -30_303


def test_twap_5min_spread_pct_of_reserve_price():
    # math/oracle/tests.rs::calculate_oracle_valid: (33e6 - 32e6) * 1e6 / 33e6 -> 30303
    amm = AMM(historical_oracle_data=HistoricalOracleData(last_oracle_price_twap_5min=32 * P))

    assert calculate_oracle_twap_5min_price_spread_pct(amm, 33 * P) == 30303


@pytest.mark.parametrize(
    ("spread_pct", "expected"),
    [
        (30303, False),  # calculate_oracle_valid: guard 1 is floored at 10%
        (-121_212, True),  # calculate_oracle_valid with twap5 29: (33 - 29) / 33
        (100_000, False),  # exactly 10% is not above
    ],
)
def test_mark_oracle_divergence_floors_guard_at_ten_percent(spread_pct, expected):
    rails = PriceDivergenceGuardRails(mark_oracle_percent_divergence=1)

    assert is_oracle_mark_too_divergent(spread_pct, rails) is expected


@given(
    st.integers(10 * R + 1, 10**6 * R),
    st.integers(1, 10 * R),
    st.sampled_from([SwapDirection.Add, SwapDirection.Remove]),
)
def test_swap_output_never_increases_invariant(reserve, amount, direction):
    sqrt_k = reserve

    new_output, new_input = calculate_swap_output(amount, reserve, direction, sqrt_k)

    assert new_output * new_input <= sqrt_k * sqrt_k
