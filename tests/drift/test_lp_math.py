"""BAL (LP shares) pure math: math/lp.py.

Reference vectors are transcribed from programs/drift/src/math/lp/tests.rs and
controller/lp/tests.rs (each case names its Rust test); the other cases follow drift_bal.md and
are worked by hand in the comments. No expected value here is computed with the code under test.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from ballast.drift.errors import InvalidPerpPositionDetected
from ballast.drift.math.lp import (
    LPMetrics,
    calculate_lp_open_bids_asks,
    calculate_lp_shares_to_burn_for_risk_reduction,
    calculate_per_lp_delta,
    calculate_settle_lp_metrics,
    calculate_settled_lp_base_quote,
    get_per_lp_base_unit,
    get_rebased_position_snapshots,
    margin_requirement_for_lp_shares,
    rebase_per_lp_amount,
    simulate_settled_lp_position,
    worst_case_base_asset_amount,
)
from ballast.drift.math.position import PositionDelta
from ballast.drift.state.perp_market import AMM, AMMLiquiditySplit, PerpMarket
from ballast.drift.state.user import PerpPosition
from ballast.fixed import MathError

BASE = 10**9  # BASE_PRECISION = AMM_RESERVE_PRECISION
U64_MAX = 2**64 - 1


def amm_default_test(**fields) -> AMM:
    """The reference's AMM::default_test() (state/perp_market.rs), then `fields`."""
    amm = AMM(
        base_asset_reserve=100 * BASE,
        quote_asset_reserve=100 * BASE,
        sqrt_k=100 * BASE,
        concentration_coef=1_414_200,
        order_step_size=1,
        order_tick_size=1,
        max_base_asset_reserve=U64_MAX,
        min_base_asset_reserve=0,
        terminal_quote_asset_reserve=100 * BASE,
        peg_multiplier=10**6,
        max_fill_reserve_fraction=1,
        max_spread=1000,
        last_oracle_valid=True,
    )
    amm.historical_oracle_data.last_oracle_price = 10**6
    return replace(amm, **fields)


def market_default_test(**amm_fields) -> PerpMarket:
    """PerpMarket::default_test(): AMM::default_test, margin 1000/500."""
    return PerpMarket(
        amm=amm_default_test(**amm_fields), margin_ratio_initial=1000, margin_ratio_maintenance=500
    )


# --- get_per_lp_base_unit (drift_bal.md 3.3) -------------------------------------------------


@pytest.mark.parametrize(
    ("per_lp_base", "unit"),
    [(0, BASE), (1, 10 * BASE), (5, 10**14), (9, 10**18), (-1, 10**8), (-2, 10**7), (-9, 1)],
)
def test_per_lp_base_unit_scales_shares_by_power_of_ten(per_lp_base, unit):
    assert get_per_lp_base_unit(per_lp_base) == unit


@pytest.mark.parametrize("per_lp_base", [10, -10])
def test_per_lp_base_unit_rejects_exponent_beyond_nine(per_lp_base):
    with pytest.raises(MathError):
        get_per_lp_base_unit(per_lp_base)


# --- calculate_lp_open_bids_asks (math/lp/tests.rs::calculate_lp_open_bids_asks) -------------


@pytest.mark.parametrize(
    ("rust_test", "bar", "max_bar", "expected"),
    [
        # test_simple_lp_bid_ask: bids 10*100/200, asks -90*100/200
        ("test_simple_lp_bid_ask", 10, 100, (5, -45)),
        # test_max_ask: reserve at the minimum, no more bids
        ("test_max_ask", 0, 100, (0, -50)),
        # test_max_bid: reserve at the maximum, no more asks
        ("test_max_bid", 10, 10, (5, 0)),
    ],
)
def test_lp_open_bids_asks_is_share_of_amm_depth(rust_test, bar, max_bar, expected):
    position = PerpPosition(lp_shares=100)
    market = market_default_test(
        base_asset_reserve=bar, max_base_asset_reserve=max_bar, min_base_asset_reserve=0, sqrt_k=200
    )
    assert calculate_lp_open_bids_asks(position, market) == expected


# --- calculate_settled_lp_base_quote / calculate_settle_lp_metrics (math/lp/tests.rs) --------


@pytest.mark.parametrize(
    ("rust_test", "base_per_lp", "quote_per_lp", "expected"),
    [
        ("calculate_settled_lp_base_quote::test_long_settle", 10, -10, (1000, -1000)),
        ("calculate_settled_lp_base_quote::test_short_settle", -10, 10, (-1000, 1000)),
    ],
)
def test_settled_lp_base_quote_is_accumulator_times_shares(
    rust_test, base_per_lp, quote_per_lp, expected
):
    position = PerpPosition(lp_shares=100 * BASE)
    amm = amm_default_test(
        base_asset_amount_per_lp=base_per_lp, quote_asset_amount_per_lp=quote_per_lp
    )
    assert calculate_settled_lp_base_quote(amm, position) == expected


def test_settled_lp_base_quote_truncates_toward_zero():
    # 0.5 share: (-3 * 5e8) / 1e9 = -1.5 -> -1 ; (7 * 5e8) / 1e9 = 3.5 -> 3
    position = PerpPosition(lp_shares=BASE // 2)
    amm = amm_default_test(base_asset_amount_per_lp=-3, quote_asset_amount_per_lp=7)
    assert calculate_settled_lp_base_quote(amm, position) == (-1, 3)


def test_settled_lp_base_quote_rejects_unrebased_position():
    position = PerpPosition(lp_shares=BASE, per_lp_base=1)
    with pytest.raises(InvalidPerpPositionDetected):
        calculate_settled_lp_base_quote(amm_default_test(), position)


@pytest.mark.parametrize(
    ("rust_test", "lp_shares", "step", "expected"),
    [
        ("calculate_settle_lp_metrics::test_long_settle", 100 * BASE, 1, LPMetrics(1000, -1000, 0)),
        (
            "calculate_settle_lp_metrics::test_all_remainder",
            100 * BASE,
            5000,
            LPMetrics(0, -1000, 1000),
        ),
        ("calculate_settle_lp_metrics::test_portion_remainder", BASE, 3, LPMetrics(9, -10, 1)),
    ],
)
def test_settle_lp_metrics_steps_base_and_keeps_remainder(rust_test, lp_shares, step, expected):
    position = PerpPosition(lp_shares=lp_shares)
    amm = amm_default_test(
        base_asset_amount_per_lp=10, quote_asset_amount_per_lp=-10, order_step_size=step
    )
    assert calculate_settle_lp_metrics(amm, position) == expected


def test_settle_lp_metrics_short_remainder_is_negative():
    # base -10 with step 3: stepped toward zero -9, remainder -1 (controller/lp/tests.rs
    # test_partial_long_settle numbers)
    amm = amm_default_test(
        base_asset_amount_per_lp=-10, quote_asset_amount_per_lp=10, order_step_size=3
    )
    assert calculate_settle_lp_metrics(amm, PerpPosition(lp_shares=BASE)) == LPMetrics(-9, 10, -1)


# --- calculate_per_lp_delta (drift_bal.md 5.3; controller/position/tests.rs) -----------------


@pytest.mark.parametrize(
    ("case", "user_lp_shares", "sqrt_k", "split", "fee", "expected"),
    [
        # full_lp_split: 10 base bought for 10e9 quote, LPs own all of k:
        # pb = 10e9*1e9/100e9 = 1e8, pq = -1e8, lp_b = 1e8*100e9/1e9 = 10e9, lp_q = -10e9
        (
            "full_lp_split",
            100 * BASE,
            100 * BASE,
            AMMLiquiditySplit.Shared,
            0,
            (10**8, -(10**8), 10 * BASE, -10 * BASE),
        ),
        # half_half_amm_lp_split: sqrt_k 200: pb 5e7, lp_b 5e7*100e9/1e9 = 5e9
        (
            "half_half_amm_lp_split",
            100 * BASE,
            200 * BASE,
            AMMLiquiditySplit.Shared,
            0,
            (5 * 10**7, -5 * 10**7, 5 * BASE, -5 * BASE),
        ),
        # fee $1 on a Shared fill: floor(1e6*8/10) = 800000; 800000*1e9/200e9 = 4000 per unit,
        # credited to LPs: per-LP quote (user sign) = -5e7 - 4000; lp_q excludes the fee
        (
            "shared fee",
            100 * BASE,
            200 * BASE,
            AMMLiquiditySplit.Shared,
            10**6,
            (5 * 10**7, -5 * 10**7 - 4000, 5 * BASE, -5 * BASE),
        ),
        # LPOwned: the denominator is user_lp_shares (100e9): pb 1e8, fee 800000*1e9/100e9 = 8000
        (
            "lp owned fee",
            100 * BASE,
            200 * BASE,
            AMMLiquiditySplit.LPOwned,
            10**6,
            (10**8, -(10**8) - 8000, 10 * BASE, -10 * BASE),
        ),
        # negative fee is not passed to LPs
        (
            "negative fee",
            100 * BASE,
            200 * BASE,
            AMMLiquiditySplit.Shared,
            -(10**6),
            (5 * 10**7, -5 * 10**7, 5 * BASE, -5 * BASE),
        ),
        # fee 7: floor(7*8/10) = 5; 5*1e9/200e9 = 0.025 -> 0
        (
            "dust fee",
            100 * BASE,
            200 * BASE,
            AMMLiquiditySplit.Shared,
            7,
            (5 * 10**7, -5 * 10**7, 5 * BASE, -5 * BASE),
        ),
    ],
)
def test_per_lp_delta_is_pro_rata_with_fee_slice(
    case, user_lp_shares, sqrt_k, split, fee, expected
):
    market = market_default_test(user_lp_shares=user_lp_shares, sqrt_k=sqrt_k)
    delta = PositionDelta(10 * BASE, -10 * BASE)
    assert calculate_per_lp_delta(delta, fee, split, market) == expected


def test_per_lp_delta_user_short_rounds_quote_against_lp():
    # user sells 1e9 for 999_999_999 with sqrt_k 3e9, user_lp 1e9:
    # pb = -trunc(1e18/3e9) = -333333333; pq = trunc(999999999e9/3e9) = 333333333, +1 as pb < 0
    # lp_b = pb * 1e9 / 1e9 = pb; lp_q = 333333334
    market = market_default_test(user_lp_shares=BASE, sqrt_k=3 * BASE)
    delta = PositionDelta(-BASE, 999_999_999)
    assert calculate_per_lp_delta(delta, 0, AMMLiquiditySplit.Shared, market) == (
        -333_333_333,
        333_333_334,
        -333_333_333,
        333_333_334,
    )


def test_per_lp_delta_uses_rebased_unit():
    # per_lp_base 5 -> unit 1e14: amm_split_large_k_with_rebase's min long (1e8, -2.3e6) on
    # sqrt_k 34765725006847590: pb = trunc(1e22/3.4765725006847590e16) = 287639,
    # pq = -trunc(2.3e20/3.47657e16) = -6615
    market = market_default_test(
        sqrt_k=34765725006847590, user_lp_shares=33538939700000000, per_lp_base=5
    )
    pb, pq, _, _ = calculate_per_lp_delta(
        PositionDelta(BASE // 10, -2_300_000), 0, AMMLiquiditySplit.Shared, market
    )
    assert (pb, pq) == (287_639, -6_615)


# --- rebase (drift_bal.md 9; controller/position/tests.rs amm_split_large_k_with_rebase) ------


@pytest.mark.parametrize(
    ("amount", "expo_diff", "expected"),
    [
        (12_535_655, 5, 1_253_565_500_000),  # og_qaapl * 100000
        (-574_054_756, 5, -57_405_475_600_000),  # og_baapl * 100000
        (1_253_565_499_999, -2, 12_535_654_999),  # "down only rounding": og*1000 - 1
        (-57_405_475_600_000, -2, -574_054_756_000),
        (-15, -1, -1),  # toward zero, not floor
        (-7, -1, 0),
        (42, 0, 42),
    ],
)
def test_rebase_per_lp_amount_scales_and_truncates_toward_zero(amount, expo_diff, expected):
    assert rebase_per_lp_amount(amount, expo_diff) == expected


def test_rebased_position_snapshots_follow_market_exponent():
    # position at 5, market at 3: snapshots / 100 toward zero
    position = PerpPosition(
        lp_shares=1,
        last_base_asset_amount_per_lp=-57_405_475_600_000,
        last_quote_asset_amount_per_lp=1_253_565_499_999,
        per_lp_base=5,
    )
    assert get_rebased_position_snapshots(amm_default_test(per_lp_base=3), position) == (
        -574_054_756_000,
        12_535_654_999,
        3,
    )


def test_rebased_position_snapshot_overflowing_i64_raises():
    position = PerpPosition(lp_shares=1, last_base_asset_amount_per_lp=10**17)
    with pytest.raises(MathError):
        get_rebased_position_snapshots(amm_default_test(per_lp_base=5), position)


# --- simulate_settled_lp_position (drift_bal.md 11) ------------------------------------------


def _lp_margin_calc_market() -> PerpMarket:
    """controller/lp/tests.rs::test_lp_margin_calc market after its mint of 1e9 shares (sqrt_k
    100e9 -> 101e9: reserves 101e9/101e9; terminal base 101e9 + with_amm 1e9 = 102e9, bounds at
    coef 1000001) and the accumulators doubled (base) and x20 (quote)."""
    return PerpMarket(
        amm=AMM(
            base_asset_reserve=101 * BASE,
            quote_asset_reserve=101 * BASE,
            sqrt_k=101 * BASE,
            peg_multiplier=100 * 10**6,
            order_step_size=2 * BASE // 100,
            concentration_coef=1_000_001,
            min_base_asset_reserve=102 * BASE * 10**6 // 1_000_001,
            max_base_asset_reserve=102 * BASE * 1_000_001 // 10**6,
            user_lp_shares=BASE,
            base_asset_amount_per_lp=200 * BASE,
            quote_asset_amount_per_lp=-20 * BASE,
            cumulative_funding_rate_long=2 * 169 * 10**8,
            cumulative_funding_rate_short=2 * 169 * 10**8,
        ),
        margin_ratio_initial=1000,
        margin_ratio_maintenance=500,
    )


def test_simulated_lp_position_matches_lp_margin_calc():
    # controller/lp/tests.rs::test_lp_margin_calc: position settled at (100e9, -1e9) with base
    # overwritten to 1e9; sim base = 1e9 + (200e9-100e9) = 101e9, quote = -1e9 + (-20e9 + 1e9)
    position = PerpPosition(
        base_asset_amount=BASE,
        quote_asset_amount=-BASE,
        lp_shares=BASE,
        last_base_asset_amount_per_lp=100 * BASE,
        last_quote_asset_amount_per_lp=-BASE,
        last_cumulative_funding_rate=169 * 10**8,
    )
    market = _lp_margin_calc_market()
    before = replace(position)
    sim = simulate_settled_lp_position(position, market, 100 * 10**6)
    assert (sim.base_asset_amount, sim.quote_asset_amount) == (101 * BASE, -20 * BASE)
    # reserve 101e9 is below min_base_asset_reserve ~101.9999e9: no LP bids;
    # asks: -(102000102000 - 101e9) * 1e9 / 101e9 = -9902000
    assert (sim.open_bids, sim.open_asks) == (0, -9_902_000)
    assert position == before
    assert sim is not position
    # worst case is the bids side (101e9 at $100 = $10100 > asks side)
    assert worst_case_base_asset_amount(sim, 100 * 10**6) == 101 * BASE
    # LP buffer: max($1, 2e7 * 100e6 / 1e9 = $2) -> "$2 mr for lp_shares"
    assert (
        margin_requirement_for_lp_shares(sim, market.amm.order_step_size, 100 * 10**6) == 2 * 10**6
    )


def test_simulated_position_without_lp_shares_is_an_equal_copy():
    position = PerpPosition(base_asset_amount=5, quote_asset_amount=-7, open_bids=3)
    sim = simulate_settled_lp_position(position, market_default_test(), 10**6)
    assert sim == position and sim is not position


def test_simulated_position_drops_stepped_part_of_combined_remainder():
    # step 3, accrued base 10 -> stepped 9, remainder 1; existing remainder 2 -> combined 3 >= step:
    # the stepped 3 is dropped (not added to base), remaining remainder 0 -> no dust fee
    market = market_default_test(
        order_step_size=3,
        base_asset_amount_per_lp=10,
        quote_asset_amount_per_lp=-10,
        min_base_asset_reserve=100 * BASE,
        max_base_asset_reserve=100 * BASE,
    )
    position = PerpPosition(lp_shares=BASE, remainder_base_asset_amount=2)
    sim = simulate_settled_lp_position(position, market, 5000 * 10**6)
    assert (sim.base_asset_amount, sim.quote_asset_amount) == (9, -10)
    assert sim.remainder_base_asset_amount == 2  # the reference leaves the field as it was


def test_simulated_position_precharges_dust_fee():
    # step 3, accrued 10 -> 9 + remainder 1: fee floor(1 * 5000e6 / 1e9) + 1 = 5 + 1 = 6
    market = market_default_test(
        order_step_size=3,
        base_asset_amount_per_lp=10,
        quote_asset_amount_per_lp=-10,
        min_base_asset_reserve=100 * BASE,
        max_base_asset_reserve=100 * BASE,
    )
    sim = simulate_settled_lp_position(PerpPosition(lp_shares=BASE), market, 5000 * 10**6)
    assert (sim.base_asset_amount, sim.quote_asset_amount) == (9, -16)
    assert (sim.open_bids, sim.open_asks) == (0, 0)


def test_simulated_position_adds_lp_depth_to_own_orders():
    # default_test: bids 100e9 (reserve down to 0) -> 1e9 shares of 100e9: 1e9; asks to u64::MAX:
    # -(2**64 - 1 - 100e9) * 1e9 / 100e9 = -184467439737095516 (toward zero)
    position = PerpPosition(lp_shares=BASE, open_bids=7, open_asks=-5)
    sim = simulate_settled_lp_position(position, market_default_test(), 10**6)
    assert sim.open_bids == 7 + BASE
    assert sim.open_asks == -5 - 184_467_439_737_095_516


def test_simulated_position_rebases_lazily():
    # market at per_lp_base 1 (unit 1e10), position snapshots at 0: snapshots x10 first;
    # accrued (1000 - 10*90) * 1e9 / 1e10 = 10 base; quote (-500 - 10*(-40)) * 1e9 / 1e10 = -10
    market = market_default_test(
        per_lp_base=1,
        base_asset_amount_per_lp=1000,
        quote_asset_amount_per_lp=-500,
        min_base_asset_reserve=100 * BASE,
        max_base_asset_reserve=100 * BASE,
    )
    position = PerpPosition(
        lp_shares=BASE, last_base_asset_amount_per_lp=90, last_quote_asset_amount_per_lp=-40
    )
    sim = simulate_settled_lp_position(position, market, 10**6)
    assert (sim.base_asset_amount, sim.quote_asset_amount, sim.per_lp_base) == (10, -10, 1)
    assert position.per_lp_base == 0 and position.last_base_asset_amount_per_lp == 90


@pytest.mark.parametrize(
    ("base", "open_bids", "open_asks", "expected"),
    [
        (0, BASE, -BASE, -BASE),
        (10 * BASE, 5 * BASE, -5 * BASE, 15 * BASE),
        (-10 * BASE, 5 * BASE, -5 * BASE, -15 * BASE),
        (0, 0, 0, 0),
        # compared by floored $ value: 15 and 5 base units are both worth 0 at $1 -> asks
        (10, 5, -5, 5),
    ],
)
def test_worst_case_base_prefers_asks_on_ties(base, open_bids, open_asks, expected):
    position = PerpPosition(base_asset_amount=base, open_bids=open_bids, open_asks=open_asks)
    assert worst_case_base_asset_amount(position, 10**6) == expected


def test_lp_margin_buffer_floor_is_one_dollar():
    position = PerpPosition(lp_shares=1)
    assert margin_requirement_for_lp_shares(position, 2 * 10**7, 10**6) == 10**6
    assert margin_requirement_for_lp_shares(PerpPosition(), 2 * 10**7, 10**9) == 0


# --- calculate_lp_shares_to_burn_for_risk_reduction (drift_bal.md 12; worked by hand) ---------
# Market: sqrt_k 100e9, reserve 100e9 between 90e9 and 110e9, step 1e8, initial margin 10%.
# LP with 50e9 shares (half of k), nothing accrued: LP bids 10e9*50/100 = 5e9, asks -5e9.
# Long 10e9 at $100: worst case bids side 15e9, LP open orders 15e9 - 10e9 = 5e9.
# floor(floor(100e6 * 1e6 / 1e6) * 1000 / 1e4) = 10e6 per base unit of coverage.


def _derisk_market(**fields) -> PerpMarket:
    amm = AMM(
        base_asset_reserve=100 * BASE,
        quote_asset_reserve=100 * BASE,
        sqrt_k=100 * BASE,
        min_base_asset_reserve=90 * BASE,
        max_base_asset_reserve=110 * BASE,
        order_step_size=10**8,
        user_lp_shares=50 * BASE,
        peg_multiplier=10**6,
    )
    market = PerpMarket(amm=amm, margin_ratio_initial=1000, margin_ratio_maintenance=500)
    return replace(market, **fields)


def _derisk_position(base=10 * BASE, **fields) -> PerpPosition:
    return replace(PerpPosition(lp_shares=50 * BASE, base_asset_amount=base), **fields)


@pytest.mark.parametrize(
    ("case", "shortage", "custom_ratio", "position_fields", "expected"),
    [
        # cover 50e6*1e9/10e6 = 5e9 < 10e9: burn max(floor_step(5e9), 1e8) = 5e9, close 5e9
        ("small shortage", 50 * 10**6, 0, {}, (5 * BASE, 5 * BASE)),
        # cover 5000000100 -> close rounded up to the step: 5.1e9
        ("close rounds up to step", 50_000_001, 0, {}, (5 * BASE, 5_100_000_000)),
        # custom ratio 20%: 20e6 per unit, cover 120e6*1e9/20e6 = 6e9 < 10e9
        ("custom ratio", 120 * 10**6, 2000, {}, (5 * BASE, 6 * BASE)),
        # cover 12e9: left 2e9, pct ceil(2e9*100/5e9) = 40, burn ceil(50e9*40/100) = 20e9
        ("large shortage", 120 * 10**6, 0, {}, (20 * BASE, 10 * BASE)),
        # cover 12345678900: left 2345678900, pct ceil(46.91) = 47, burn 23.5e9
        ("pct rounds up", 123_456_789, 0, {}, (23_500_000_000, 10 * BASE)),
        # cover 100e9: pct 1800 -> 900e9 clamped to the 50e9 held
        ("clamped to shares", 1000 * 10**6, 0, {}, (50 * BASE, 10 * BASE)),
        # short: worst case asks side -15e9, LP orders |-15e9 - (-10e9)| = 5e9
        (
            "short position",
            120 * 10**6,
            0,
            {"base_asset_amount": -10 * BASE},
            (20 * BASE, 10 * BASE),
        ),
        # own bids 2e9 are excluded: worst case 17e9 - (10e9 + 2e9) = 5e9 LP orders
        ("own orders excluded", 120 * 10**6, 0, {"open_bids": 2 * BASE}, (20 * BASE, 10 * BASE)),
    ],
)
def test_lp_shares_to_burn_for_risk_reduction(
    case, shortage, custom_ratio, position_fields, expected
):
    position = _derisk_position(**position_fields)
    result = calculate_lp_shares_to_burn_for_risk_reduction(
        position, _derisk_market(), 100 * 10**6, 10**6, shortage, custom_ratio
    )
    assert result == expected


def test_lp_shares_to_burn_uses_high_leverage_ratio_when_flagged():
    # high-leverage initial 5%: 5e6 per unit; shortage 40e6 -> cover 8e9 < 10e9 (4e9 without)
    market = _derisk_market(
        high_leverage_margin_ratio_initial=500, high_leverage_margin_ratio_maintenance=300
    )
    args = (_derisk_position(), market, 100 * 10**6, 10**6, 40 * 10**6, 0)
    assert calculate_lp_shares_to_burn_for_risk_reduction(*args, True) == (5 * BASE, 8 * BASE)
    assert calculate_lp_shares_to_burn_for_risk_reduction(*args, False) == (5 * BASE, 4 * BASE)


def test_lp_shares_to_burn_without_lp_orders_divides_by_zero():
    market = _derisk_market()
    market.amm.min_base_asset_reserve = market.amm.max_base_asset_reserve = 100 * BASE
    with pytest.raises(MathError):
        calculate_lp_shares_to_burn_for_risk_reduction(
            _derisk_position(), market, 100 * 10**6, 10**6, 120 * 10**6, 0
        )


def test_lp_shares_to_burn_with_fewer_shares_than_step_raises():
    position = _derisk_position(lp_shares=5 * 10**7)
    with pytest.raises(MathError):
        calculate_lp_shares_to_burn_for_risk_reduction(
            position, _derisk_market(), 100 * 10**6, 10**6, 1000 * 10**6, 0
        )


def test_lp_shares_to_burn_rejects_negative_price():
    with pytest.raises(MathError):
        calculate_lp_shares_to_burn_for_risk_reduction(
            _derisk_position(), _derisk_market(), -1, 10**6, 120 * 10**6, 0
        )


def test_per_lp_delta_uses_the_markets_own_fee_slice_when_set():
    # slice 1/2 instead of 8/10: floor(1e6 * 1/2) = 500000; 500000 * 1e9 / 200e9 = 2500 per unit
    market = market_default_test(user_lp_shares=100 * BASE, sqrt_k=200 * BASE)
    market.amm.lp_fee_slice_numerator, market.amm.lp_fee_slice_denominator = 1, 2
    delta = PositionDelta(10 * BASE, -10 * BASE)
    assert calculate_per_lp_delta(delta, 10**6, AMMLiquiditySplit.Shared, market) == (
        5 * 10**7,
        -5 * 10**7 - 2500,
        5 * BASE,
        -5 * BASE,
    )
