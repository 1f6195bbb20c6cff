"""AMM mutations (controller/amm.rs and the TWAP updaters of math/amm.rs)."""

from __future__ import annotations

import copy

import pytest

from ballast.drift.controller.amm import (
    swap_base_asset,
    update_concentration_coef,
    update_mark_twap,
    update_mark_twap_from_estimates,
    update_oracle_price_twap,
    update_spread_reserves,
    update_spreads,
    update_volume_24h,
)
from ballast.drift.errors import (
    InvalidAmmForFillDetected,
    InvalidConcentrationCoef,
    InvalidMarkTwapUpdateDetected,
    TradeSizeTooLarge,
)
from ballast.drift.math.amm import calculate_market_open_bids_asks
from ballast.drift.math.amm_spread import calculate_spread
from ballast.drift.state.oracle import OraclePriceData
from ballast.drift.state.perp_market import (
    AMM,
    HistoricalOracleData,
    PerpMarket,
    SwapDirection,
)
from ballast.drift.state.user import PositionDirection

P = 10**6
R = 10**9
Q = 10**6
MAX_COEF = 1_414_200


def _concentration_market() -> PerpMarket:
    # controller/amm/tests.rs::concentration_coef_tests
    return PerpMarket(
        amm=AMM(
            base_asset_reserve=512295081967,
            quote_asset_reserve=488 * R,
            terminal_quote_asset_reserve=500 * R,
            sqrt_k=500 * R,
            peg_multiplier=50000000,
            concentration_coef=MAX_COEF,
            base_asset_amount_with_amm=-12295081967,
            total_fee_minus_distributions=1000 * Q,
            curve_update_intensity=100,
        )
    )


def _balanced_market() -> PerpMarket:
    # PerpMarket::default_test: 100/100 curve, sqrt_k 1e11, no inventory
    return PerpMarket(
        amm=AMM(
            base_asset_reserve=100 * R,
            quote_asset_reserve=100 * R,
            sqrt_k=100 * R,
            terminal_quote_asset_reserve=100 * R,
            peg_multiplier=100 * P,
            concentration_coef=MAX_COEF,
            max_base_asset_reserve=2**64 - 1,
            order_step_size=1,
            order_tick_size=1,
        )
    )


@pytest.mark.parametrize(
    ("scale", "expected_min", "expected_max"),
    [
        # controller/amm/tests.rs::concentration_coef_tests
        (1, 353556781219, 707100000000),
        (2, 414215889321, 603550000000),
        (5, 461748734808, 541420000000),
    ],
)
def test_concentration_coef_sets_bounds_around_terminal_base(scale, expected_min, expected_max):
    market = _concentration_market()

    update_concentration_coef(market, scale)

    assert (market.amm.min_base_asset_reserve, market.amm.max_base_asset_reserve) == (
        expected_min,
        expected_max,
    )


def test_concentration_coef_scale_one_open_bids_asks():
    # concentration_coef_tests: orig_open_bids / orig_open_asks
    market = _concentration_market()

    update_concentration_coef(market, 1)

    assert calculate_market_open_bids_asks(market.amm) == (158738300748, -194804918033)


@pytest.mark.parametrize(
    ("scale", "expected_min", "expected_max"),
    [
        (20, 97971020172, 102071000000),  # concentration_coef_tests, market_balanced
        (140000, 99999800000, 100000200000),  # near limit, very little liquidity
    ],
)
def test_concentration_coef_on_balanced_market(scale, expected_min, expected_max):
    market = _balanced_market()

    update_concentration_coef(market, scale)

    assert (market.amm.min_base_asset_reserve, market.amm.max_base_asset_reserve) == (
        expected_min,
        expected_max,
    )


@pytest.mark.parametrize(
    ("factory", "scale"),
    [
        (_concentration_market, 0),  # invalid scale
        (_balanced_market, R),  # coef rounds to 1e6: too large a scale
        (_concentration_market, 100),  # bounds would trap base_asset_amount_with_amm
    ],
)
def test_concentration_coef_rejects_and_leaves_market_unchanged(factory, scale):
    market = factory()
    before = copy.deepcopy(market)

    with pytest.raises(InvalidConcentrationCoef):
        update_concentration_coef(market, scale)

    assert market == before


def _fill_market() -> PerpMarket:
    # spec vector amm_fill_long_with_spread: 100/100 at $100 with ask reserves 99/101
    return PerpMarket(
        amm=AMM(
            base_asset_reserve=100 * R,
            quote_asset_reserve=100 * R,
            sqrt_k=100 * R,
            peg_multiplier=100 * P,
            ask_base_asset_reserve=99 * R,
            ask_quote_asset_reserve=101 * R,
            bid_base_asset_reserve=101 * R,
            bid_quote_asset_reserve=99 * R,
            max_base_asset_reserve=200 * R,
        )
    )


def test_swap_base_asset_fills_long_with_spread():
    # spec amm_fill_long_with_spread: quote 104_081_633, surplus 3_071_531
    market = _fill_market()

    result = swap_base_asset(market, R, SwapDirection.Remove)

    assert result == (104_081_633, 3_071_531)
    assert (market.amm.base_asset_reserve, market.amm.quote_asset_reserve) == (99 * R, 101_010_101_010)


def test_swap_base_asset_refreshes_spread_reserves_with_current_spreads():
    # spreads are 0, so after the swap both sides sit on the new curve
    market = _fill_market()

    swap_base_asset(market, R, SwapDirection.Remove)

    amm = market.amm
    assert (amm.ask_base_asset_reserve, amm.ask_quote_asset_reserve) == (99 * R, 101_010_101_010)
    assert (amm.bid_base_asset_reserve, amm.bid_quote_asset_reserve) == (99 * R, 101_010_101_010)


@pytest.mark.parametrize(
    ("field", "value", "direction", "error"),
    [
        ("min_base_asset_reserve", 99_500_000_000, SwapDirection.Remove, InvalidAmmForFillDetected),
        ("max_base_asset_reserve", 100_500_000_000, SwapDirection.Add, InvalidAmmForFillDetected),
        ("ask_base_asset_reserve", R // 2, SwapDirection.Remove, TradeSizeTooLarge),
    ],
)
def test_swap_base_asset_rejects_and_leaves_market_unchanged(field, value, direction, error):
    market = _fill_market()
    setattr(market.amm, field, value)
    before = copy.deepcopy(market)

    with pytest.raises(error):
        swap_base_asset(market, R, direction)

    assert market == before


def _spread_market(offset: int = 0) -> PerpMarket:
    # math/amm_spread/tests.rs::calculate_spread_tests curve with spreads 27270 / 500
    return PerpMarket(
        amm=AMM(
            base_asset_reserve=2 * R,
            quote_asset_reserve=2 * R,
            sqrt_k=2 * R,
            peg_multiplier=P,
            long_spread=27270,
            short_spread=500,
            reference_price_offset=offset,
        )
    )


@pytest.mark.parametrize(
    ("offset", "ask", "bid"),
    [
        # calculate_spread_tests spread reserves, stored as computed
        (0, (1972972973, 2027397260), (2000500125, 1999500000)),
        (1000, (1971830986, 2028571428), (1999500124, 2000500000)),  # offset: unclamped
    ],
)
def test_update_spread_reserves_stores_both_sides(offset, ask, bid):
    market = _spread_market(offset)

    update_spread_reserves(market)

    amm = market.amm
    assert (amm.ask_base_asset_reserve, amm.ask_quote_asset_reserve) == ask
    assert (amm.bid_base_asset_reserve, amm.bid_quote_asset_reserve) == bid


def test_update_spread_reserves_clamps_to_curve_without_offset():
    # sqrt_k above the reserves: (2e9 + 10)^2 / 2e9 = 2e9 + 20 would quote the ask inside the curve
    market = PerpMarket(amm=AMM(base_asset_reserve=2 * R, quote_asset_reserve=2 * R, sqrt_k=2 * R + 10))

    update_spread_reserves(market)

    assert market.amm.ask_base_asset_reserve == 2 * R
    assert market.amm.bid_base_asset_reserve == 2 * R + 20


@pytest.mark.parametrize(
    ("adjustment", "expected"),
    [
        (0, (500, 500)),  # simple mode: base_spread / 2 each side
        (10, (550, 550)),  # 500 + ceil(500 * 10 / 100)
        (-10, (450, 450)),  # 500 - 500 * 10 / 100
        (-100, (1, 1)),  # never below 1
    ],
)
def test_update_spreads_simple_mode_with_spread_adjustment(adjustment, expected):
    market = _spread_market()
    market.amm.base_spread = 1000
    market.amm.amm_spread_adjustment = adjustment

    result = update_spreads(market, P)

    assert result == expected
    assert (market.amm.long_spread, market.amm.short_spread) == expected


def test_update_spreads_refreshes_spread_reserves():
    # 1000 base spread -> 500 each side: ask qar 2e9 + 2e9 / (1e6 / 250) = 2_000_500_000
    market = _spread_market()
    market.amm.base_spread = 1000

    update_spreads(market, P)

    assert market.amm.ask_quote_asset_reserve == 2_000_500_000
    assert market.amm.bid_quote_asset_reserve == 1_999_500_000


def _full_mode_market() -> PerpMarket:
    # calculate_spread_tests first case as AMM state: 0 fee pool -> 10x half base spread
    return PerpMarket(
        amm=AMM(
            base_asset_reserve=10 * R,
            quote_asset_reserve=10 * R,
            sqrt_k=10 * R,
            terminal_quote_asset_reserve=10 * R,
            peg_multiplier=34000000,
            base_spread=1000,
            max_spread=200000,
            min_base_asset_reserve=0,
            max_base_asset_reserve=100000 * R,
            curve_update_intensity=100,
        )
    )


def test_update_spreads_full_mode_uses_calculate_spread():
    # calculate_spread_tests: "at 0 fee be max spread" -> (5000, 5000)
    market = _full_mode_market()

    result = update_spreads(market, 34562304)

    assert result == (5000, 5000)
    assert market.amm.reference_price_offset == 0


def _offset_market(stored_offset: int) -> PerpMarket:
    # intensity 200 -> max offset max(1000 / 2, 100 bps) = 10_000; 1-cent premium at $42.16,
    # 24h funding 1, inventory 0.3e9 of a 3e9 smaller side (10%):
    # premium pct (10_000 + 10_000 + 0) / 3 * 1e6 / 42.16e6 = 158, inventory 10% * 10_000 = 1000
    # -> new offset 1158
    return PerpMarket(
        amm=AMM(
            base_asset_reserve=11 * R,
            quote_asset_reserve=10 * R,
            sqrt_k=10 * R,
            terminal_quote_asset_reserve=10 * R,
            peg_multiplier=34_000_000,
            min_base_asset_reserve=7 * R,
            max_base_asset_reserve=14 * R,
            base_spread=1000,
            max_spread=1000,
            curve_update_intensity=200,
            base_asset_amount_with_amm=3 * R // 10,
            total_fee_minus_distributions=1000 * Q,
            last_24h_avg_funding_rate=1,
            last_mark_price_twap=42_170_000,
            last_mark_price_twap_5min=42_170_000,
            reference_price_offset=stored_offset,
            historical_oracle_data=HistoricalOracleData(
                last_oracle_price_twap=42_160_000, last_oracle_price_twap_5min=42_160_000
            ),
        )
    )


def _spreads_of(amm: AMM, reserve: int) -> tuple[int, int]:
    return calculate_spread(
        amm.base_spread, amm.last_oracle_reserve_price_spread_pct, amm.last_oracle_conf_pct,
        amm.max_spread, amm.quote_asset_reserve, amm.terminal_quote_asset_reserve,
        amm.peg_multiplier, amm.base_asset_amount_with_amm, reserve,
        amm.total_fee_minus_distributions, amm.net_revenue_since_last_funding,
        amm.base_asset_reserve, amm.min_base_asset_reserve, amm.max_base_asset_reserve,
        amm.mark_std, amm.oracle_std, amm.long_intensity_volume, amm.short_intensity_volume,
        amm.volume_24h, amm.amm_inventory_spread_adjustment,
    )


def test_update_spreads_stores_offset_without_sign_change():
    market = _offset_market(500)

    update_spreads(market, 42_160_000, 5)

    assert market.amm.reference_price_offset == 1158


def test_update_spreads_smooths_offset_sign_change_and_widens_spreads():
    # stored 0 -> new 1158: step = min(max(min(1158, 5 slots * 1000) / 10, 10), 1158) = 115;
    # offset 115, short += 115 (the step), long += 115 (|new offset|)
    market = _offset_market(0)
    long_spread, short_spread = _spreads_of(market.amm, 42_160_000)

    result = update_spreads(market, 42_160_000, 5)

    assert result == (long_spread, short_spread)
    assert market.amm.reference_price_offset == 115
    assert (market.amm.long_spread, market.amm.short_spread) == (long_spread + 115, short_spread + 115)


def _twap_amm() -> AMM:
    # math/amm/tests.rs::calc_oracle_twap_tests
    return AMM(
        base_asset_reserve=2 * R,
        quote_asset_reserve=2 * R,
        peg_multiplier=P,
        historical_oracle_data=HistoricalOracleData(
            last_oracle_price_twap=32 * P, last_oracle_price_twap_ts=1656682258
        ),
        mark_std=P,
        last_mark_price_twap_ts=1656682258,
        funding_period=3600,
    )


def test_oracle_twap_sequence():
    # math/amm/tests.rs::calc_oracle_twap_tests (twap values; that revision's oracle_std used the
    # new twaps, the pinned one uses the old twaps, drift_core.md 5.3)
    now = 1656682258 + 3600
    amm = _twap_amm()
    hod = amm.historical_oracle_data

    update_oracle_price_twap(amm, now, OraclePriceData(price=34 * P, confidence=P // 100, delay=1))
    first = hod.last_oracle_price_twap
    amm.last_mark_price_twap_ts = now - 60
    hod.last_oracle_price_twap_ts = now - 60
    update_oracle_price_twap(amm, now, OraclePriceData(price=31 * P, delay=2))
    second = (hod.last_oracle_price_twap, hod.last_oracle_price_twap_5min)
    update_oracle_price_twap(amm, now + 300, OraclePriceData(price=31 * P, delay=2))
    third = (hod.last_oracle_price_twap, hod.last_oracle_price_twap_5min)
    update_oracle_price_twap(amm, now + 360, OraclePriceData(price=32 * P, delay=2))

    assert first == 34 * P - P // 100
    assert second == (33940167, 33392001)
    assert third == (33695154, 31 * P)
    assert hod.last_oracle_price_twap_5min == 31200001


def test_oracle_twap_update_records_oracle_statistics():
    # first update of calc_oracle_twap_tests: normalised 33.99, oracle_std = max change vs the
    # old twaps (|33.99 - 32| vs |33.99 - 0|), conf 0.01 * 1e6 / reserve 1.0 = 10_000,
    # spread pct (1 - 34) * 1e6 / 1 = -33_000_000
    now = 1656682258 + 3600
    amm = _twap_amm()

    result = update_oracle_price_twap(amm, now, OraclePriceData(price=34 * P, confidence=P // 100, delay=1))

    hod = amm.historical_oracle_data
    assert result == 33_990_000
    assert amm.last_oracle_normalised_price == 33_990_000
    assert hod.last_oracle_price == 34 * P
    assert hod.last_oracle_delay == 1
    assert hod.last_oracle_price_twap_ts == now
    assert amm.oracle_std == 33_990_000
    assert amm.last_oracle_conf_pct == 10_000
    assert amm.last_oracle_reserve_price_spread_pct == -33_000_000


def test_oracle_twap_ignores_non_positive_oracle():
    amm = _twap_amm()
    before = copy.deepcopy(amm)

    result = update_oracle_price_twap(amm, 1656682258 + 10, OraclePriceData(price=0))

    assert result == 32 * P
    assert amm == before


def test_oracle_twap_clamped_10x_jump():
    # math/amm/tests.rs::calc_oracle_twap_clamp_update_tests (spec oracle_twap_clamped_10x_jump)
    prev = 1667387000
    amm = AMM(
        quote_asset_reserve=200 * R,
        base_asset_reserve=200 * R,
        peg_multiplier=13 * P,
        last_mark_price_twap=13 * P,
        last_bid_price_twap=13 * P,
        last_ask_price_twap=13 * P,
        last_mark_price_twap_ts=prev,
        funding_period=3600,
        historical_oracle_data=HistoricalOracleData(
            last_oracle_price=13 * P,
            last_oracle_price_twap=13 * P,
            last_oracle_price_twap_5min=13 * P,
            last_oracle_price_twap_ts=prev,
        ),
    )
    oracle = OraclePriceData(price=130 * P + 873, confidence=P // 10, delay=1)
    hod = amm.historical_oracle_data
    checkpoints = []

    now = prev + 1
    for end in (prev + 3600, prev + 3600 * 2, prev + 3600 * 10):
        while now < end:
            update_oracle_price_twap(amm, now, oracle)
            now += 1
        checkpoints.append(
            (hod.last_oracle_price_twap, hod.last_oracle_price_twap_5min, amm.last_oracle_normalised_price)
        )

    assert checkpoints == [
        (18_143_130, 23_536_961, 24_188_600),
        (25_322_529, 32_850_803, 33_760_245),
        (129_282_724, 129_900_874, 129_900_873),
    ]


def _mark_amm() -> AMM:
    # math/amm/tests.rs::update_mark_twap_tests: $40 everything
    return AMM(
        quote_asset_reserve=2 * R,
        base_asset_reserve=2 * R,
        peg_multiplier=40 * P,
        last_mark_price_twap=40 * P,
        last_bid_price_twap=40 * P,
        last_ask_price_twap=40 * P,
        funding_period=3600,
        historical_oracle_data=HistoricalOracleData(
            last_oracle_price=40 * P, last_oracle_price_twap=40 * P
        ),
    )


def test_mark_twap_first_long_fill():
    # update_mark_twap_tests: ask 40000015, bid 40000006, mark 40000010
    amm = _mark_amm()
    update_oracle_price_twap(amm, 1, OraclePriceData(price=40_021_280, confidence=P // 100, delay=1))

    mark = update_mark_twap_from_estimates(amm, 1, 40_051_280, PositionDirection.Long, None)

    assert (amm.last_ask_price_twap, amm.last_bid_price_twap, mark) == (40000015, 40000006, 40000010)


def test_mark_twap_long_for_an_hour():
    # update_mark_twap_tests after an hour of longs at 40.05128 (spec mark_twap_long_then_short,
    # long leg): oracle twap 40008161, bid 40014548, mark 40024054, ask 40033561, mark_std 27229
    amm = _mark_amm()
    oracle = OraclePriceData(price=40_021_280, confidence=P // 100, delay=1)
    update_oracle_price_twap(amm, 1, oracle)
    update_mark_twap_from_estimates(amm, 1, 40_051_280, PositionDirection.Long, None)

    for now in range(2, 3601):
        update_oracle_price_twap(amm, now, oracle)
        update_mark_twap_from_estimates(amm, now, 40_051_280, PositionDirection.Long, None)

    assert amm.historical_oracle_data.last_oracle_price_twap == 40008161
    assert (amm.last_bid_price_twap, amm.last_mark_price_twap, amm.last_ask_price_twap) == (
        40014548,
        40024054,
        40033561,
    )
    assert amm.mark_std == 27229


def test_mark_twap_with_oracle_updates_every_second():
    # math/amm/tests.rs::update_twaps_funding_test: mark twap 20159903
    amm = AMM(
        quote_asset_reserve=20 * R,
        base_asset_reserve=20 * R,
        peg_multiplier=22 * P,
        base_spread=500,
        long_spread=5000,
        short_spread=500,
        last_mark_price_twap=20_080_000,
        last_bid_price_twap=20_060_000,
        last_ask_price_twap=20_100_000,
        funding_period=3600,
        historical_oracle_data=HistoricalOracleData(
            last_oracle_price=22 * P, last_oracle_price_twap=20_190_000
        ),
    )
    price = 22_021_280
    now = 1
    count = 0
    while count < 30:
        now += 1
        oracle = OraclePriceData(price=price, confidence=P // 100, delay=1)
        update_oracle_price_twap(amm, now, oracle)
        if now % 5 == 0:
            update_oracle_price_twap(amm, now, oracle)
            update_mark_twap_from_estimates(amm, now, 22_051_280, PositionDirection.Long, None)
            count += 1
            price += 10

    assert amm.last_mark_price_twap == 20159903


def test_mark_twap_after_stale_period_shrinks_toward_oracle_twap():
    # oracle twap ran 120 s ahead (> 60): bid/ask twaps first become
    # (100e6 * 120 + 90e6 * 3480) / 3600 + 1 = 90_333_334; then at now = 180 with price
    # 90_333_334: (90_333_334 * 180 + 90_333_334 * 3420) / 3600 + 1 (bias) = 90_333_335
    amm = AMM(
        funding_period=3600,
        last_bid_price_twap=90 * P,
        last_ask_price_twap=90 * P,
        last_mark_price_twap=90 * P,
        last_mark_price_twap_5min=90 * P,
        historical_oracle_data=HistoricalOracleData(
            last_oracle_price_twap=100 * P, last_oracle_price_twap_ts=120
        ),
    )

    mark = update_mark_twap(amm, 180, 90_333_334, 90_333_334, None, None)

    assert (amm.last_bid_price_twap, amm.last_ask_price_twap, mark) == (90_333_335, 90_333_335, 90_333_335)
    assert amm.last_mark_price_twap_ts == 180


def test_mark_twap_rejects_crossed_bid_ask_and_leaves_amm_unchanged():
    amm = _mark_amm()
    before = copy.deepcopy(amm)

    with pytest.raises(InvalidMarkTwapUpdateDetected):
        update_mark_twap(amm, 10, 41 * P, 39 * P, None, None)

    assert amm == before


def test_mark_std_is_change_against_old_mark_twaps():
    # math/amm/tests.rs::calc_mark_std_tests first step: price 23, old mark twaps 0 -> 23e6
    amm = AMM(funding_period=3600)

    update_mark_twap(amm, 60, 23 * P, 23 * P, 23 * P, None)

    assert amm.mark_std == 23 * P


def test_volume_24h_decays_and_adds_fill():
    # 1800 s later: long 1000 * 1800 / 3600 + 500 = 1000; short 0;
    # 24h 1000 * 84600 / 86400 = 979 + 500 = 1479
    amm = AMM(long_intensity_volume=1000, short_intensity_volume=0, volume_24h=1000, last_trade_ts=0)

    update_volume_24h(amm, 500, PositionDirection.Long, 1800)

    assert (amm.long_intensity_volume, amm.short_intensity_volume, amm.volume_24h) == (1000, 0, 1479)
    assert amm.last_trade_ts == 1800


def test_volume_24h_same_second_counts_one_second():
    # since = max(1, 0): short 3600 * 3599 / 3600 + 100 = 3699
    amm = AMM(short_intensity_volume=3600, last_trade_ts=50)

    update_volume_24h(amm, 100, PositionDirection.Short, 50)

    assert amm.short_intensity_volume == 3699
