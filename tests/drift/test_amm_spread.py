"""Spreads, spread reserves, reference price offset (math/amm_spread.rs).

Vectors are transcribed from programs/drift/src/math/amm_spread/tests.rs. Where the
volatility-spread formula matters (conf/20, avg_std/4, intensity factor clamped at 100%, the
pinned formulas of drift_core.md 4.2) the values are those of the upstream test revision that
uses those formulas (`calculate_vol_spread_tests`, `calculate_spread_tests` btc case).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballast.drift.errors import InvalidOrderLimitPrice
from ballast.drift.math.amm import calculate_price
from ballast.drift.math.amm_spread import (
    calculate_base_asset_amount_to_trade_to_price,
    calculate_inventory_liquidity_ratio,
    calculate_long_short_vol_spread,
    calculate_max_target_spread,
    calculate_reference_price_offset,
    calculate_spread,
    calculate_spread_inventory_scale,
    calculate_spread_leverage_scale,
    calculate_spread_reserves,
    calculate_spread_revenue_retreat_amount,
    cap_to_max_spread,
    get_max_reference_price_offset,
    get_spread_reserves,
)
from ballast.drift.state.perp_market import AMM
from ballast.drift.state.user import PositionDirection
from ballast.fixed import U32_MAX, U64_MAX, MathError

P = 10**6
R = 10**9
Q = 10**6  # QUOTE_PRECISION


@pytest.mark.parametrize(
    ("long", "short", "max_spread", "expected"),
    [
        # amm_spread/tests.rs::max_spread_tests
        (3905832905, 3582930, 1000, (1000, 0)),
        (9999, 1, 1000, (1000, 0)),
        (999, 1, 1000, (999, 1)),
        (444, 222, 1000, (444, 222)),
        (150, 2221, 1000, (63, 1000 - 63)),
        (2500 - 10, 11, 2500, (2490, 10)),
        (2510, 110, 2500, (2396, 104)),
    ],
)
def test_cap_to_max_spread_cases(long, short, max_spread, expected):
    assert cap_to_max_spread(long, short, max_spread) == expected


REV_PRICE = 4216 * 10000
MAX_OFFSET = 2500


@pytest.mark.parametrize(
    ("funding", "liquidity_fraction", "twap_fast", "mark_fast", "twap_slow", "mark_slow", "max_offset", "expected"),
    [
        # amm_spread/tests.rs::calculate_reference_price_offset_tests
        (0, 0, 0, 0, 0, 0, MAX_OFFSET, 0),
        (1, 10, 4216 * 10000, 4217 * 10000, 4216 * 10000, 4217 * 10000, MAX_OFFSET, 158),
        (1, 10, 4216 * 10000, 4219 * 10000, 4216 * 10000, 4219 * 10000, MAX_OFFSET, 237 * 2),
        (-43_000_000, 10, 4216 * 10000, 4218 * 10000, 4216 * 10000, 4218 * 10000, MAX_OFFSET, -517),
        (-43_000_000, -10000, 4216 * 10000, 4218 * 10000, 4216 * 10000, 4218 * 10000, MAX_OFFSET, -542),
        (-43_000_000, -10, 4216 * 10000, 4214 * 10000, 4216 * 10000, 4214 * 10000, MAX_OFFSET, -1149),
        (1, 10, 4216 * 10000, 4223 * 10000, 4216 * 10000, 4223 * 10000, MAX_OFFSET, 1660 * 2 // 3),
        (10_000_000, 10, 4216 * 10000, 4233 * 10000, 4216 * 10000, 4233 * 10000, MAX_OFFSET, 2500),
        (-10_000_000, -10, 4216 * 10000, 4123 * 10000, 4216 * 10000, 4123 * 10000, MAX_OFFSET, -2500),
        (-10_000_000, -10, 4216 * 10000, 4123 * 10000, 6 * 10000, 4123 * 10000, 0, 0),
        (-1, 1, 4216 * 10000, 4123 * 10000, 4123 * 10000, 4216 * 10000, MAX_OFFSET, 0),
    ],
)
def test_reference_price_offset_cases(
    funding, liquidity_fraction, twap_fast, mark_fast, twap_slow, mark_slow, max_offset, expected
):
    result = calculate_reference_price_offset(
        REV_PRICE, funding, liquidity_fraction, 1, twap_fast, mark_fast, twap_slow, mark_slow, max_offset
    )

    assert result == expected


@pytest.mark.parametrize(
    ("intensity", "max_spread", "expected"),
    [
        (100, 1000, 0),  # calculate_spread_tests: intensity <= 100 -> 0
        (110, 1000, 1000),  # 10 bps floor
        (200, 1000, 10000),  # 100 bps floor
        # spec 4.1: max(max_spread / 2, 100 * (intensity - 100)) = max(50_000, 10_000)
        (200, 100_000, 50_000),
    ],
)
def test_max_reference_price_offset(intensity, max_spread, expected):
    amm = AMM(curve_update_intensity=intensity, max_spread=max_spread)

    assert get_max_reference_price_offset(amm) == expected


def _spread_amm(offset: int) -> AMM:
    # amm_spread/tests.rs::calculate_spread_tests: 2/2 curve at $1, spreads 27270 / 500
    return AMM(
        base_asset_reserve=2 * R,
        quote_asset_reserve=2 * R,
        sqrt_k=2 * R,
        peg_multiplier=P,
        long_spread=27270,
        short_spread=500,
        reference_price_offset=offset,
    )


@pytest.mark.parametrize(
    ("offset", "ask", "bid", "ask_price", "bid_price"),
    [
        # amm_spread/tests.rs::calculate_spread_tests (bar, qar) per side and their prices
        (0, (1972972973, 2027397260), (2000500125, 1999500000), 1027584, 999500),
        (1000, (1971830986, 2028571428), (1999500124, 2000500000), 1028775, 1000500),
        (-1000, (1974025974, 2026315789), (2001501501, 1998499625), 1026488, 998500),
    ],
)
def test_spread_reserves_cases(offset, ask, bid, ask_price, bid_price):
    amm = _spread_amm(offset)

    long_reserves = calculate_spread_reserves(amm, PositionDirection.Long)
    short_reserves = calculate_spread_reserves(amm, PositionDirection.Short)

    assert long_reserves == ask
    assert short_reserves == bid
    assert calculate_price(ask[1], ask[0], P) == ask_price
    assert calculate_price(bid[1], bid[0], P) == bid_price


def test_spread_reserves_unchanged_for_spread_of_one():
    # |x| <= 1 -> no quote move; base = 4e18 / 2e9
    amm = AMM(base_asset_reserve=2 * R, quote_asset_reserve=2 * R, sqrt_k=2 * R, long_spread=1)

    assert calculate_spread_reserves(amm, PositionDirection.Long) == (2 * R, 2 * R)


def test_get_spread_reserves_reads_stored_side():
    amm = AMM(
        ask_base_asset_reserve=1,
        ask_quote_asset_reserve=2,
        bid_base_asset_reserve=3,
        bid_quote_asset_reserve=4,
    )

    assert get_spread_reserves(amm, PositionDirection.Long) == (1, 2)
    assert get_spread_reserves(amm, PositionDirection.Short) == (3, 4)


# calculate_spread argument order: base_spread, oracle_reserve_pct, conf_pct, max_spread, qar,
# terminal_qar, peg, base_with_amm, reserve_price, tfmd, nrslf, bar, min_bar, max_bar,
# mark_std, oracle_std, long_intensity, short_intensity, volume_24h, inventory_adjustment
PEG = 34000000
RP = 34562304


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # calculate_spread_tests: at 0 fee be max spread
        ((1000, 0, 0, 200000, 10 * R, 10 * R, PEG, 0, RP, 0, 0, 10 * R, 0, 100000 * R, 0, 0, 0, 0, 0, 0), (5000, 5000)),
        # even at imbalance with 0 fee, be max spread
        ((1000, 0, 0, 20000, 10 * R, 9 * R, PEG, R, RP, 0, 0, 10 * R, 0, 100000 * R, 0, 0, 0, 0, 0, 0), (16667, 3333)),
        # oracle retreat * skew that increases long spread
        ((1000, 50000, 10000, 200000, 10 * R, 9 * R, PEG, R, RP, Q, 0, 10 * R, 0, 100000 * R, 0, 0, 0, 0, 0, 0), (46869, 60000)),
        ((1000, -1287, 1, 200000, 10 * R, 9 * R, PEG, R, RP, Q, 0, 10 * R, 0, 100000 * R, 0, 0, 0, 0, 0, 0), (33255, 500)),
        # increases to fee pool decrease long spread
        ((1000, -1287, 1, 200000, 10 * R, 9 * R, PEG, R, RP, 2 * Q, 0, 10 * R, 0, 100000 * R, 0, 0, 0, 0, 0, 0), (27270, 500)),
        # btc cases (upstream revision with conf/20)
        ((500, 62099, 411, 200000, 94280030695, 94472846843, 21966868000, -193160000, 21927763871, 50457675, 0, 10 * R, 0, 100000 * R, 0, 0, 0, 0, 0, 0), (250, 74117)),
        ((500, 70719, 0, 200000, 92113762421, 92306488219, 21754071000, -193060000, 21671071573, 4876326, 0, 10 * R, 0, 100000 * R, 0, 0, 0, 0, 0, 0), (211, 200000 - 211)),
    ],
)
def test_spread_cases(args, expected):
    assert calculate_spread(*args) == expected


@pytest.mark.parametrize(
    ("base_with_amm", "terminal_qar", "tfmd", "reserve_price", "min_bar", "max_bar", "expected"),
    [
        # amm_spread/tests.rs::calculate_spread_inventory_tests
        (-R, 10 * R, 10000 * Q, RP, 7 * R, 14 * R, (500, 67166)),
        (-2 * R, 10 * R, 10000 * Q, RP, 7 * R, 14 * R, (500, 133833)),
        (-2 * R, 11 * R, 5 * Q, RP * 9 // 10, 7 * R, 14 * R, (345, 199655)),
        (-2 * R, 11 * R, Q, RP * 9 // 10, 7 * R, 14 * R, (110, 199890)),
        (2 * R, 11 * R, Q, RP * 9 // 10, 7 * R, 14 * R, (199926, 200000 - 199926)),
        (10 * R, 11 * R, Q, RP * 9 // 10, 7 * R, 14 * R, (199951, 200000 - 199951)),
        (2 * R, 11 * R, Q, RP * 9 // 10, 7 * R // 2, 28 * R, (199815, 185)),
    ],
)
def test_spread_inventory_cases(base_with_amm, terminal_qar, tfmd, reserve_price, min_bar, max_bar, expected):
    result = calculate_spread(
        1000, 0, 0, 200000, 9 * R, terminal_qar, PEG, base_with_amm, reserve_price, tfmd, 0,
        11 * R, min_bar, max_bar, 0, 0, 0, 0, 0, 0,
    )

    assert result == expected


VOL_MARK_STD = 34000000 // 50
VOL_ORACLE_STD = 34000000 // 150
VOL_LONG = 10000 * Q
VOL_SHORT = 30000 * Q
VOL_24H = 40000 * Q


def test_long_short_vol_spread():
    # amm_spread/tests.rs::calculate_vol_spread_tests (upstream revision): 819 / 2459
    result = calculate_long_short_vol_spread(0, RP, VOL_MARK_STD, VOL_ORACLE_STD, VOL_LONG, VOL_SHORT, VOL_24H)

    assert result == (819, 2459)


def test_long_short_vol_spread_is_zero_without_data():
    # calculate_spread_inventory_tests: no volatility measured at all
    assert calculate_long_short_vol_spread(0, RP, 0, 0, 0, 0, 0) == (0, 0)


def test_vol_spread_std_sum_past_u64_raises_math_error():
    """oracle_std + mark_std is a checked u64 sum: one past U64_MAX errors, though the spread
    it would give (about 6.8e14 at a 1% intensity factor) fits u64.

    Source: programs/drift/src/math/amm_spread.rs::calculate_long_short_vol_spread
    (`oracle_std.safe_add(mark_std)?` on u64)
    """
    # Arrange
    oracle_std, mark_std = U64_MAX, 1
    # Act / Assert
    with pytest.raises(MathError):
        calculate_long_short_vol_spread(0, RP, mark_std, oracle_std, 0, 0, 0)


@pytest.mark.parametrize(
    ("tfmd", "base_with_amm", "adjustment", "expected"),
    [
        # amm_spread/tests.rs::calculate_vol_spread_tests (upstream revision)
        (0, 0, 0, (8190, 24590)),  # tfmd <= 0 -> 10x vol spread
        (0, 0, -50, (4095, 12295)),
        (0, 0, -100, (819, 2459)),  # floored at the vol spreads
        (1000, 0, 0, (819, 2459)),
        (1000, R, 0, (197666, 2334)),
        (1000, -R, 0, (819, 22458)),
    ],
)
def test_vol_spread_cases(tfmd, base_with_amm, adjustment, expected):
    result = calculate_spread(
        250, 0, 0, 200000, 10 * R, 10 * R, PEG, base_with_amm, RP, tfmd, 0,
        10 * R, 0, 100000 * R, VOL_MARK_STD, VOL_ORACLE_STD, VOL_LONG, VOL_SHORT, VOL_24H, adjustment,
    )

    assert result == expected


@pytest.mark.parametrize(
    ("tfmd", "base_with_amm", "expected"),
    [
        # amm_spread/tests.rs::calculate_vol_oracle_reserve_price_spread_pct_tests (upstream)
        (0, 0, (8190, 74590)),
        (1000, 0, (819, 7459)),
        (1000, R, (197814, 2186)),
    ],
)
def test_vol_oracle_reserve_price_spread_pct_cases(tfmd, base_with_amm, expected):
    result = calculate_spread(
        250, 5000, 250, 200000, 10 * R, 9 * R, PEG, base_with_amm, RP, tfmd, 0,
        10 * R, 7 * R, 13 * R, VOL_MARK_STD, VOL_ORACLE_STD, VOL_LONG, VOL_SHORT, VOL_24H, 0,
    )

    assert result == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # amm_spread/tests.rs::calculate_spread_inventory_scale_2_tests
        ((1, 10, 0, 20), 100_000),
        ((1000000000, 10000000000, 0, 20000000000), 100_000),
        ((-1000000000, 10000000000, 0, 20000000000), 100_000),
        ((-1000000000, 10000000000, 5000, 20000000000), 100_000),
        ((-1000000000, 10000000000, 5000000, 20000000000), 100050),
        ((-1000000000, 10000000000, 9000000000, 20000000000), 1000000),
        ((-1000000000, 10000000000, 11000000000, 20000000000), 1000000),
        ((941291801615, 443370320987941, 435296619793629, 453513306290427), 116587),
        ((450000000, R, R // 10, R * 19 // 10), 500000),
        ((450000000, R + 450000000, R // 10, R * 19 // 10), 1000000),
    ],
)
def test_inventory_liquidity_ratio_cases(args, expected):
    assert calculate_inventory_liquidity_ratio(*args) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # amm_spread/tests.rs::calculate_spread_inventory_scale_2_tests / calculate_spread_inventory_tests
        ((100000, R + 100000, R // 2, R * 3 // 2, 250, 30000), 1024000),
        ((30228000000000000, 2496788386034912600, 2443167585342470000, 2545411471321696000, 3500, 100000), 18762285),
        ((0, R, R // 10, R * 19 // 10, 250, 300000), 1_000_000),
        ((2 * R, 11 * R, 7 * R, 14 * R, 0, 200000), 133334200000),
    ],
)
def test_spread_inventory_scale_cases(args, expected):
    assert calculate_spread_inventory_scale(*args) == expected


@pytest.mark.parametrize(
    ("args", "scaled_base", "expected_scaled"),
    [
        # calculate_spread_inventory_scale_2_tests: 250 * scale / 1e6
        ((941291801615, 443370320987941, 435296619793629, 453513306290427, 250, 300000), 250, 35226),
        ((450000000, R, R // 10, R * 19 // 10, 250, 300_000), 250, 150250),
        ((450000000, R + 450000000, R // 10, R * 19 // 10, 250, 300_000), 250, 300000),
    ],
)
def test_spread_inventory_scale_applied_to_base(args, scaled_base, expected_scaled):
    scale = calculate_spread_inventory_scale(*args)

    assert scaled_base * scale // P == expected_scaled


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # amm_spread/tests.rs::calculate_spread_leverage_scales_tests
        ((R, R, 12 * P, R, 12_500_000, Q), 10000000),
        ((R, R, 12 * P, R, 12_500_000, 100 * Q), 1125000),
        ((R, R, 12 * P, R // 100, 12_500_000, Q), 1125000),
        ((R * 1000, R * 9999 // 10000, 12 * P, R, 12_100_000, Q), 1000001),
        ((455362349720024, 454386986330347, 11760127, 968409950546, 11869992, 7978239165), 1003087),
    ],
)
def test_spread_leverage_scale_cases(args, expected):
    assert calculate_spread_leverage_scale(*args) == expected


@pytest.mark.parametrize(
    ("base_spread", "max_spread", "revenue", "expected"),
    [
        # amm_spread/tests.rs::calculate_spread_leverage_scales_tests (revenue retreat part)
        (250, 30000, 15 * Q + 835, 0),
        (2150, 30000, 0, 0),
        (340, 30000, -1, 0),
        (250, 30000, -10 * Q, 0),
        (250, 30000, -91 * Q, 250 * 3 + 160),
        (250, 30000, -14000 * Q, 30000 // 10),
    ],
)
def test_revenue_retreat_cases(base_spread, max_spread, revenue, expected):
    assert calculate_spread_revenue_retreat_amount(base_spread, max_spread, revenue) == expected


def test_revenue_retreat_base_spread_times_revenue_past_u64_raises_math_error():
    """base_spread * |revenue| is a checked u64 product: u32::MAX * $25,000 (about 1.07e20)
    errors even though max_spread / 10 would cap the result.

    Source: programs/drift/src/math/amm_spread.rs::calculate_spread_revenue_retreat_amount
    (`base_spread.cast::<u64>()?.safe_mul(net_revenue_since_last_funding.unsigned_abs())?`)
    """
    # Arrange
    base_spread, max_spread, revenue = U32_MAX, 100_000, -25_000 * Q
    # Act / Assert
    with pytest.raises(MathError):
        calculate_spread_revenue_retreat_amount(base_spread, max_spread, revenue)


@pytest.mark.parametrize(
    ("spread_pct", "conf_pct", "mark_std", "expected"),
    [
        (0, 0, 0, 200000),  # max_spread wins
        (-250_000, 0, 0, 250_000),  # |oracle/reserve gap| above max_spread
        (0, 150_000, 0, 300_000),  # 2 x conf
        (0, 0, 34 * P, 1_000_000),  # std pct capped at 100%
    ],
)
def test_max_target_spread_baseline(spread_pct, conf_pct, mark_std, expected):
    assert calculate_max_target_spread(34 * P, spread_pct, conf_pct, mark_std, 0, 200000) == expected


def test_max_target_spread_double_conf_past_u64_raises_math_error():
    """2 * conf_pct is a checked u64 product, taken before the 100% cap: 2^63 * 2 errors.

    Source: programs/drift/src/math/amm_spread.rs::calculate_max_target_spread
    (`last_oracle_conf_pct.safe_mul(2)?` on u64)
    """
    # Arrange
    conf_pct = 1 << 63
    # Act / Assert
    with pytest.raises(MathError):
        calculate_max_target_spread(34 * P, 0, conf_pct, 0, 0, 200000)


@pytest.mark.parametrize(
    ("limit_price", "direction", "expected"),
    [
        # 1e11 curve at $100: target base = isqrt(1e22 * 1e6 / L * 100e6 / 1e6)
        (100 * P, PositionDirection.Long, (0, PositionDirection.Long)),  # at the price: nothing
        (25 * P, PositionDirection.Short, (100 * R, PositionDirection.Short)),  # 2e11 - 1e11
        (400 * P, PositionDirection.Long, (50 * R, PositionDirection.Long)),  # 1e11 - 5e10
    ],
)
def test_base_asset_amount_to_trade_to_price(limit_price, direction, expected):
    amm = AMM(base_asset_reserve=100 * R, quote_asset_reserve=100 * R, sqrt_k=100 * R, peg_multiplier=100 * P)

    assert calculate_base_asset_amount_to_trade_to_price(amm, limit_price, direction) == expected


def test_base_asset_amount_to_trade_to_price_uses_spread_reserve_with_base_spread():
    # target 5e10 measured from the ask base reserve 99e9 -> 49e9 Long
    amm = AMM(
        base_asset_reserve=100 * R, quote_asset_reserve=100 * R, sqrt_k=100 * R, peg_multiplier=100 * P,
        base_spread=1000, ask_base_asset_reserve=99 * R,
    )

    assert calculate_base_asset_amount_to_trade_to_price(amm, 400 * P, PositionDirection.Long) == (
        49 * R,
        PositionDirection.Long,
    )


def test_base_asset_amount_to_trade_to_price_rejects_zero_limit():
    with pytest.raises(InvalidOrderLimitPrice):
        calculate_base_asset_amount_to_trade_to_price(AMM(sqrt_k=R, peg_multiplier=P), 0, PositionDirection.Long)


@given(st.integers(0, 10**7), st.integers(0, 10**7), st.integers(1, 10**6))
def test_cap_to_max_spread_never_exceeds_cap(long, short, max_spread):
    capped_long, capped_short = cap_to_max_spread(long, short, max_spread)

    assert capped_long + capped_short <= max(max_spread, long + short)
    assert capped_long + capped_short <= max_spread or long + short <= max_spread


@given(
    st.integers(0, 5000),
    st.integers(-50_000, 50_000),
    st.integers(0, 20_000),
    st.integers(-5 * R, 5 * R),
    st.integers(-1000 * Q, 1000 * Q),
    st.integers(-100, 100),
)
def test_spread_sum_stays_within_max_target(base_spread, oracle_pct, conf, base_with_amm, tfmd, adjustment):
    long, short = calculate_spread(
        base_spread, oracle_pct, conf, 100_000, 10 * R, 10 * R, PEG, base_with_amm, RP, tfmd, 0,
        10 * R, 7 * R, 14 * R, 0, 0, 0, 0, 0, adjustment,
    )

    assert long + short <= calculate_max_target_spread(RP, oracle_pct, conf, 0, 0, 100_000)
