"""Repeg: target peg, costs, budget, adjust_amm (math/repeg.rs) and the AMM update before fills
(controller/repeg.rs)."""

from __future__ import annotations

import pytest

from ballast.drift.constants import AMM_RESERVE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION
from ballast.drift.controller.repeg import (
    _update_amm,
    apply_cost_to_market,
    formulaic_update_k,
    update_k,
)
from ballast.drift.math.amm import (
    calculate_bid_ask_bounds,
    calculate_swap_output,
    calculate_terminal_reserves,
    reserve_price,
)
from ballast.drift.math.cp_curve import get_update_k_result
from ballast.drift.math.repeg import (
    adjust_amm,
    calculate_fee_pool,
    calculate_optimal_peg_and_budget,
    calculate_peg_from_target_price,
    calculate_per_peg_cost,
    calculate_repeg_cost,
    get_total_fee_lower_bound,
)
from ballast.drift.state.oracle import OraclePriceData
from ballast.drift.state.perp_market import (
    AMM,
    ContractTier,
    HistoricalOracleData,
    MarketStatus,
    PerpMarket,
    SwapDirection,
)
from ballast.drift.state.state import (
    OracleGuardRails,
    PriceDivergenceGuardRails,
    State,
    ValidityGuardRails,
)
from ballast.fixed import MathError

R = AMM_RESERVE_PRECISION
_PX = 19_401_125_456


# math/repeg/tests.rs::calc_peg_tests
@pytest.mark.parametrize(
    ("qar", "bar", "price", "expected"),
    [
        (R, R, _PX, 19_401_125_456),
        (R - 10_000, R + 10_000, _PX, 19_401_513_482),
        (R + 10_000, R - 10_000, _PX, 19_400_737_437),
        (R // 2, R * 2, _PX, 77_604_501_824),
        (R, R, 1_000_500, 1_000_500),
        (R, R, 1_000_499, 1_000_499),
    ],
)
def test_calculate_peg_from_target_price_reference_cases(qar, bar, price, expected):
    # Arrange / Act
    peg = calculate_peg_from_target_price(qar, bar, price)

    # Assert
    assert peg == expected


def test_calculate_peg_from_target_price_is_at_least_one():
    # Arrange / Act
    peg = calculate_peg_from_target_price(10 * R, R, 1)

    # Assert
    assert peg == 1


# spec 13.2: ceil((qar - terminal_qar) / 1000), then one more unit away from zero
@pytest.mark.parametrize(
    ("qar", "terminal_qar", "expected"),
    [(10_000_001_500, 10_000_000_000, 3), (10_000_000_000, 10_000_001_500, -2), (5 * R, 5 * R, 0)],
)
def test_calculate_per_peg_cost_rounds_magnitude_up(qar, terminal_qar, expected):
    # Arrange / Act
    per_peg_cost = calculate_per_peg_cost(qar, terminal_qar)

    # Assert
    assert per_peg_cost == expected


def test_calculate_repeg_cost_truncates_toward_zero():
    # Arrange: spec 13.2, trunc((qar - tqar) * (new_peg - peg) / 1e9) = trunc(-1.5) = -1
    amm = AMM(quote_asset_reserve=R + 1_500, terminal_quote_asset_reserve=R, peg_multiplier=1_000_000)

    # Act
    cost = calculate_repeg_cost(amm, 1_000_000 - 1_000_000)

    # Assert
    assert cost == -1


def _btc_like_market(base_asset_amount_with_amm: int) -> PerpMarket:
    # math/repeg/tests.rs::calculate_optimal_peg_and_budget_test
    return PerpMarket(
        margin_ratio_initial=500,
        amm=AMM(
            base_asset_reserve=65 * R,
            quote_asset_reserve=63_015_384_615,
            terminal_quote_asset_reserve=64 * R,
            sqrt_k=64 * R,
            peg_multiplier=19_400_000_000,
            base_asset_amount_with_amm=base_asset_amount_with_amm,
            mark_std=PRICE_PRECISION,
            base_spread=250,
            curve_update_intensity=100,
            max_spread=500 * 100,
            total_exchange_fee=QUOTE_PRECISION,
            total_fee_minus_distributions=40 * QUOTE_PRECISION,
        ),
    )


# math/repeg/tests.rs::calculate_optimal_peg_and_budget_test (users net short)
@pytest.mark.parametrize(
    ("oracle_price", "expected"),
    [
        (12_400, (13_110_290_527, 6_192_944_714, False)),
        (18_901, (19_496_270_752, 39_500_000, True)),
        (18_601, (19_186_822_509, 39_500_000, True)),
        (20_400, (21_042_480_468, 39_500_000, True)),
        (42_400, (43_735_351_562, 39_500_000, True)),
    ],
)
def test_calculate_optimal_peg_and_budget_net_short(oracle_price, expected):
    # Arrange
    market = _btc_like_market(-R)
    oracle = OraclePriceData(price=oracle_price * PRICE_PRECISION, confidence=167, delay=21)

    # Act
    result = calculate_optimal_peg_and_budget(market, oracle)

    # Assert
    assert result == expected


def test_calculate_optimal_peg_and_budget_targets_half_spread_when_budget_short():
    # Arrange: calculate_optimal_peg_and_budget_test, last case (users net long, not in AMM's favour)
    market = _btc_like_market(R)
    terminal_quote, _ = calculate_swap_output(R, market.amm.base_asset_reserve, SwapDirection.Add, market.amm.sqrt_k)
    market.amm.terminal_quote_asset_reserve = terminal_quote
    oracle = OraclePriceData(price=42_400 * PRICE_PRECISION, delay=2)

    # Act
    result = calculate_optimal_peg_and_budget(market, oracle)

    # Assert
    assert result == (42_641_967_773, 22_190_932_405, False)


def _negative_tfmd_market() -> PerpMarket:
    # math/repeg/tests.rs::calculate_optimal_peg_and_budget_2_test
    market = PerpMarket(
        margin_ratio_initial=500,
        amm=AMM(
            base_asset_reserve=2_270_516_211_133,
            quote_asset_reserve=2_270_925_669_621,
            terminal_quote_asset_reserve=2_270_688_451_627,
            sqrt_k=2_270_720_931_148,
            peg_multiplier=17_723_081_263,
            base_asset_amount_with_amm=237_200_000,
            mark_std=43_112_524,
            base_spread=250,
            curve_update_intensity=100,
            max_spread=500 * 100,
            total_exchange_fee=298_628_987,
            total_fee_minus_distributions=-242_668_966,
            total_fee_withdrawn=124_247_717,
            concentration_coef=1_020_710,
            min_order_size=1,
            historical_oracle_data=HistoricalOracleData(
                last_oracle_price_twap=17_765_940_050, last_oracle_price_twap_5min=17_763_317_077
            ),
        ),
    )
    terminal_quote, terminal_base = calculate_terminal_reserves(market.amm)
    market.amm.terminal_quote_asset_reserve = terminal_quote
    market.amm.min_base_asset_reserve, market.amm.max_base_asset_reserve = calculate_bid_ask_bounds(
        market.amm.concentration_coef, terminal_base
    )
    return market


def test_calculate_optimal_peg_and_budget_with_empty_fee_pool_skips_lower_bound():
    # Arrange
    market = _negative_tfmd_market()
    oracle = OraclePriceData(price=17_800 * PRICE_PRECISION, confidence=10_233, delay=2)

    # Act
    result = calculate_optimal_peg_and_budget(market, oracle)

    # Assert
    assert result == (17_796_790_576, 0, False)


def test_calculate_fee_pool_is_tfmd_above_retained_fees():
    # Arrange: tfmd 40, retained half of exchange fee 1 (calculate_optimal_peg_and_budget_test)
    market = _btc_like_market(-R)

    # Act / Assert
    assert get_total_fee_lower_bound(market) == 500_000
    assert calculate_fee_pool(market) == 39_500_000


def test_calculate_fee_pool_rejects_withdrawals_beyond_retained_fees():
    # Arrange: the reference's unsigned subtraction underflows
    market = PerpMarket(amm=AMM(total_exchange_fee=2, total_fee_withdrawn=2))

    # Act / Assert
    with pytest.raises(MathError):
        calculate_fee_pool(market)


def test_adjust_amm_repeg_in_favour_uses_optimal_peg():
    # Arrange: math/repeg/tests.rs::calc_adjust_amm_tests_repeg_in_favour
    market = PerpMarket(
        amm=AMM(
            base_asset_reserve=65 * R,
            quote_asset_reserve=63_015_384_615,
            terminal_quote_asset_reserve=64 * R,
            sqrt_k=64 * R,
            peg_multiplier=19_400_000_000,
            base_asset_amount_with_amm=R,
            mark_std=PRICE_PRECISION,
            curve_update_intensity=100,
        )
    )
    prev_price = reserve_price(market.amm)
    optimal_peg = calculate_peg_from_target_price(
        market.amm.quote_asset_reserve, market.amm.base_asset_reserve, 20_401_125_456
    )

    # Act
    repegged, cost = adjust_amm(market, optimal_peg, 0, True)

    # Assert
    assert cost == -1_618_354_580
    assert repegged.amm.peg_multiplier == optimal_peg
    assert reserve_price(repegged.amm) - prev_price == 1_593_456_817
    assert market.amm.peg_multiplier == 19_400_000_000


def test_adjust_amm_insufficient_fee_lowers_k_and_spends_budget():
    # Arrange: math/repeg/tests.rs::calc_adjust_amm_tests_sufficent_fee_for_repeg
    market = PerpMarket(
        margin_ratio_initial=1000,
        margin_ratio_maintenance=500,
        next_fill_record_id=4,
        amm=AMM(
            order_step_size=1000,
            base_asset_reserve=60_437_939_720_095,
            quote_asset_reserve=60_440_212_459_368,
            terminal_quote_asset_reserve=60_439_072_663_003,
            sqrt_k=60_439_076_079_049,
            peg_multiplier=34_353_000,
            base_asset_amount_with_amm=R,
            last_mark_price_twap=34_128_370,
            last_mark_price_twap_ts=165_705,
            curve_update_intensity=100,
            base_spread=1000,
            total_fee_minus_distributions=304_289,
            total_fee=607_476,
            funding_period=3600,
            concentration_coef=1_414_200,
            min_order_size=1,
        ),
    )
    terminal_quote, terminal_base = calculate_terminal_reserves(market.amm)
    market.amm.terminal_quote_asset_reserve = terminal_quote
    market.amm.min_base_asset_reserve, market.amm.max_base_asset_reserve = calculate_bid_ask_bounds(
        market.amm.concentration_coef, terminal_base
    )
    optimal_peg = calculate_peg_from_target_price(
        market.amm.quote_asset_reserve, market.amm.base_asset_reserve, 35_768 * PRICE_PRECISION // 1000
    )
    fee_budget = calculate_fee_pool(market)

    # Act
    repegged, cost = adjust_amm(market, optimal_peg, fee_budget, True)

    # Assert
    assert optimal_peg > market.amm.peg_multiplier
    assert repegged.amm.peg_multiplier == 34_657_283
    assert cost == 304_289
    assert repegged.amm.sqrt_k < market.amm.sqrt_k
    assert market.amm.peg_multiplier == 34_353_000


def test_adjust_amm_returns_market_unchanged_when_peg_already_optimal():
    # Arrange
    market = _btc_like_market(-R)

    # Act
    repegged, cost = adjust_amm(market, market.amm.peg_multiplier, 10, True)

    # Assert
    assert repegged is market
    assert cost == 0


# ---------------------------------------------------------------- controller/repeg.py


def _net_short_market() -> PerpMarket:
    # controller/amm/tests.rs::formualic_k_tests and math/cp_curve/tests.rs::calculate_k_tests
    market = PerpMarket(
        amm=AMM(
            base_asset_reserve=512_295_081_967,
            quote_asset_reserve=488 * R,
            sqrt_k=500 * R,
            peg_multiplier=50_000_000,
            concentration_coef=1_414_200,
            base_asset_amount_with_amm=-12_295_081_967,
            total_fee_minus_distributions=1000 * QUOTE_PRECISION,
            curve_update_intensity=100,
            min_order_size=1,
        )
    )
    terminal_quote, terminal_base = calculate_terminal_reserves(market.amm)
    market.amm.terminal_quote_asset_reserve = terminal_quote
    market.amm.min_base_asset_reserve, market.amm.max_base_asset_reserve = calculate_bid_ask_bounds(
        market.amm.concentration_coef, terminal_base
    )
    return market


def test_update_k_recomputes_terminal_quote_reserve():
    # Arrange: math/cp_curve/tests.rs::calculate_k_tests
    market = _net_short_market()
    result = get_update_k_result(market, 501 * R, True)

    # Act
    update_k(market, result)

    # Assert
    assert (market.amm.sqrt_k, market.amm.base_asset_reserve, market.amm.quote_asset_reserve) == (
        501 * R,
        513_319_672_130,
        488_976_000_001,
    )
    assert market.amm.terminal_quote_asset_reserve == 500_975_411_043


def test_update_k_recomputes_reserve_bounds_around_terminal_base():
    # Arrange
    market = _net_short_market()
    result = get_update_k_result(market, 501 * R, True)

    # Act
    update_k(market, result)

    # Assert: bounds = terminal base 501_024_590_163 (calculate_k_tests) scaled by the coef
    assert market.amm.min_base_asset_reserve == 501_024_590_163 * 1_000_000 // 1_414_200
    assert market.amm.max_base_asset_reserve == 501_024_590_163 * 1_414_200 // 1_000_000


def test_update_k_keeps_bid_reserves_outside_curve():
    # Arrange: math/cp_curve/tests.rs::calculate_k_tests_with_spread
    market = _net_short_market()
    market.amm.curve_update_intensity = 0
    market.amm.base_spread = 10
    result = get_update_k_result(market, 501 * R, True)

    # Act
    update_k(market, result)

    # Assert
    amm = market.amm
    assert amm.bid_base_asset_reserve >= amm.base_asset_reserve
    assert amm.bid_quote_asset_reserve <= amm.quote_asset_reserve


# spec 13.4 (controller/repeg.rs::apply_cost_to_market); fees reserved = 1 (exchange 2 / 2)
@pytest.mark.parametrize(
    ("cost", "check", "applied", "tfmd", "nrslf"),
    [
        (9, True, True, 1, -9),
        (10, True, False, 10, 0),
        (10, False, True, 0, -10),
        (-5, True, True, 15, 5),
    ],
)
def test_apply_cost_to_market(cost, check, applied, tfmd, nrslf):
    # Arrange
    market = PerpMarket(amm=AMM(total_fee_minus_distributions=10, total_exchange_fee=2))

    # Act
    result = apply_cost_to_market(market, cost, check)

    # Assert
    assert result is applied
    assert (market.amm.total_fee_minus_distributions, market.amm.net_revenue_since_last_funding) == (
        tfmd,
        nrslf,
    )


_ORACLE_50 = OraclePriceData(price=50 * PRICE_PRECISION, confidence=0, delay=2)


def test_formulaic_update_k_sequence():
    # Arrange: controller/amm/tests.rs::formualic_k_tests (vector formulaic_update_k_sequence)
    market = _net_short_market()
    prev_sqrt_k = market.amm.sqrt_k

    # Act / Assert: zero cost changes nothing
    formulaic_update_k(market, _ORACLE_50, 0, 10_000)
    assert market.amm.sqrt_k == prev_sqrt_k
    assert market.amm.total_fee_minus_distributions == 1000 * QUOTE_PRECISION

    # the AMM paid $500 of funding: max k decrease (0.1%), slippage revenue
    formulaic_update_k(market, _ORACLE_50, 500 * QUOTE_PRECISION, 10_000)
    assert market.amm.sqrt_k == 499_500_000_000
    assert market.amm.total_fee_minus_distributions == 1_000_014_768

    # the AMM received $500: max k increase (0.1%)
    formulaic_update_k(market, _ORACLE_50, -500 * QUOTE_PRECISION, 10_000)
    assert market.amm.sqrt_k == 499_999_500_000
    assert market.amm.total_fee_minus_distributions == 1_000_000_013

    # the AMM received $0.001: a tiny increase
    formulaic_update_k(market, _ORACLE_50, -(QUOTE_PRECISION // 1000), 10_000)
    assert market.amm.sqrt_k == 500_015_999_983
    assert market.amm.total_fee_minus_distributions - 1_000_000_013 == -486


def test_formulaic_update_k_skips_increase_when_spreads_exceed_base_spread():
    # Arrange: revenue is given back only when max(long, short) <= base_spread
    market = _net_short_market()
    market.amm.long_spread = 1
    prev = (market.amm.sqrt_k, market.amm.total_fee_minus_distributions)

    # Act
    formulaic_update_k(market, _ORACLE_50, -500 * QUOTE_PRECISION, 10_000)

    # Assert
    assert (market.amm.sqrt_k, market.amm.total_fee_minus_distributions) == prev


def test_formulaic_update_k_iterated_within_bounds():
    # Arrange: controller/amm/tests.rs::iterative_bounds_formualic_k_tests (no min/max set)
    market = PerpMarket(
        amm=AMM(
            base_asset_reserve=512_295_081_967,
            quote_asset_reserve=488 * R,
            sqrt_k=500 * R,
            peg_multiplier=50_000_000,
            concentration_coef=1_414_200,
            base_asset_amount_with_amm=-12_295_081_967,
            total_fee_minus_distributions=1000 * QUOTE_PRECISION,
            curve_update_intensity=100,
            min_order_size=1,
        )
    )
    count, prev_k, new_k = 0, market.amm.sqrt_k, 0

    # Act
    while prev_k != new_k and count < 10_000:
        prev_k = market.amm.sqrt_k
        formulaic_update_k(market, _ORACLE_50, -QUOTE_PRECISION, 10_000)
        new_k = market.amm.sqrt_k
        count += 1

    # Assert
    assert market.amm.base_asset_amount_with_amm == -12_295_081_967
    assert market.amm.sqrt_k == 10_958_340_658_498_292
    assert market.amm.total_fee_minus_distributions == 985_612_320


_STRICT_STATE = State(
    oracle_guard_rails=OracleGuardRails(
        price_divergence=PriceDivergenceGuardRails(
            mark_oracle_percent_divergence=1, oracle_twap_5min_percent_divergence=10
        ),
        validity=ValidityGuardRails(
            slots_before_stale_for_amm=10,
            slots_before_stale_for_margin=120,
            confidence_interval_max_size=1000,
            too_volatile_ratio=5,
        ),
    )
)


def test_update_amm_repegs_with_fee_pool_below_lower_bound():
    # Arrange: math/repeg/tests.rs::calculate_optimal_peg_and_budget_2_test
    market = _negative_tfmd_market()
    oracle = OraclePriceData(price=17_800 * PRICE_PRECISION, confidence=10_233, delay=2)

    # Act
    cost = _update_amm(market, oracle, _STRICT_STATE, 1, 1337)

    # Assert
    assert cost == 442
    assert market.amm.last_update_slot == 1337
    assert market.amm.last_oracle_valid


def test_update_amm_repegs_toward_distant_oracle():
    # Arrange: controller/repeg/tests.rs::update_amm_test
    market = PerpMarket(
        status=MarketStatus.Initialized,
        contract_tier=ContractTier.B,
        margin_ratio_initial=555,
        amm=AMM(
            base_asset_reserve=65 * R,
            quote_asset_reserve=63_015_384_615,
            terminal_quote_asset_reserve=64 * R,
            sqrt_k=64 * R,
            peg_multiplier=19_400 * 1_000_000,
            base_asset_amount_with_amm=-R,
            mark_std=PRICE_PRECISION,
            historical_oracle_data=HistoricalOracleData(
                last_oracle_price_twap=19_400 * PRICE_PRECISION,
                last_oracle_price_twap_5min=18_907_668_639,
                last_oracle_price_twap_ts=10_000 - (167 + 6),
            ),
            base_spread=250,
            curve_update_intensity=100,
            max_spread=55_500,
            concentration_coef=31_020_710,
            min_order_size=1,
        ),
    )
    _, terminal_base = calculate_terminal_reserves(market.amm)
    market.amm.min_base_asset_reserve, market.amm.max_base_asset_reserve = calculate_bid_ask_bounds(
        market.amm.concentration_coef, terminal_base
    )
    oracle = OraclePriceData(price=12_400 * PRICE_PRECISION, confidence=0, delay=2)

    # Act
    cost = _update_amm(market, oracle, _STRICT_STATE, 10_000, 81_680_085)

    # Assert
    amm = market.amm
    assert amm.sqrt_k == 63_936_000_000
    assert reserve_price(amm) == 12_743_902_015
    assert amm.peg_multiplier == 13_145_260_284
    assert amm.total_fee_minus_distributions == -6_158_609_264 == -cost
    assert amm.historical_oracle_data.last_oracle_price_twap == 15_520_000_000
    assert amm.historical_oracle_data.last_oracle_price_twap_5min == 16_954_113_056
    assert amm.long_spread + amm.short_spread == 453_312


def test_update_amm_with_stale_oracle_marks_oracle_invalid():
    # Arrange: controller/repeg/tests.rs::update_amm_test_bad_oracle
    market = PerpMarket(
        margin_ratio_initial=555,
        amm=AMM(
            base_asset_reserve=65 * R,
            quote_asset_reserve=630_153_846_154_000,
            terminal_quote_asset_reserve=64 * R,
            sqrt_k=64 * R,
            peg_multiplier=19_400_000,
            base_asset_amount_with_amm=-R,
            mark_std=PRICE_PRECISION,
            concentration_coef=1_020_710,
            historical_oracle_data=HistoricalOracleData(last_oracle_price_twap=19_400 * PRICE_PRECISION),
            base_spread=250,
            curve_update_intensity=100,
            max_spread=55_500,
            min_order_size=1,
        ),
    )
    state = State(
        oracle_guard_rails=OracleGuardRails(
            price_divergence=PriceDivergenceGuardRails(
                mark_oracle_percent_divergence=1, oracle_twap_5min_percent_divergence=10
            ),
            validity=ValidityGuardRails(confidence_interval_max_size=20_000),
        )
    )
    oracle = OraclePriceData(price=12_400 * PRICE_PRECISION, confidence=0, delay=12)

    # Act
    _update_amm(market, oracle, state, 10_000, 81_680_085)

    # Assert
    assert not market.amm.last_oracle_valid
    assert market.amm.last_update_slot == 0


def test_update_amm_leaves_settlement_market_alone():
    # Arrange
    market = _net_short_market()
    market.status = MarketStatus.Settlement
    before = repr(market)

    # Act
    cost = _update_amm(market, _ORACLE_50, _STRICT_STATE, 1, 1)

    # Assert
    assert cost == 0
    assert repr(market) == before
