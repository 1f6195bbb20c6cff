"""Spot interest: utilization, the segmented borrow-rate curve, accrual, the IF cut booked to the
revenue pool, deposit/borrow/oracle twaps, and spot market parameter validation.

Vectors from programs/drift/src/controller/spot_balance/tests.rs (test names cited; only those
whose utilization stays at or below optimal_utilization, or whose rates are all zero, since the
stored tests predate the segmented curve) and drift_insurance.md sections 3.1-3.4 (curve
numbers derived from the spec's formulas).
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballast.drift.constants import (
    SPOT_BALANCE_PRECISION,
    SPOT_CUMULATIVE_INTEREST_PRECISION,
    SPOT_OPERATION_UPDATE_CUMULATIVE_INTEREST,
    SPOT_RATE_PRECISION,
    SPOT_UTILIZATION_PRECISION,
    SPOT_WEIGHT_PRECISION,
)
from ballast.drift.controller.spot_balance import (
    update_revenue_pool_balances,
    update_spot_balances,
    update_spot_market_cumulative_interest,
    update_spot_market_twap_stats,
)
from ballast.drift.errors import (
    DefaultError,
    InvalidSpotMarketInitialization,
    SpotMarketInsufficientDeposits,
)
from ballast.drift.math.spot_balance import (
    calculate_accumulated_interest,
    calculate_borrow_rate,
    calculate_spot_market_utilization,
    calculate_utilization,
    get_interest_token_amount,
    get_token_amount,
)
from ballast.drift.state.oracle import OraclePriceData
from ballast.drift.state.perp_market import HistoricalOracleData
from ballast.drift.state.spot_market import AssetTier, SpotBalanceType, SpotMarket
from ballast.drift.state.user import SpotPosition
from ballast.drift.validation.spot_market import (
    validate_borrow_rate,
    validate_if_factors,
    validate_liquidation_fees,
    validate_margin_weights,
    validate_revenue_settle_period,
    validate_spot_market,
)
from ballast.fixed import MathError

Deposit = SpotBalanceType.Deposit
Borrow = SpotBalanceType.Borrow
CI = SPOT_CUMULATIVE_INTEREST_PRECISION
ONE_YEAR = 60 * 60 * 24 * 365


def _market(**overrides) -> SpotMarket:
    fields = dict(decimals=6, cumulative_deposit_interest=CI, cumulative_borrow_interest=CI)
    fields.update(overrides)
    return SpotMarket(**fields)


def _tokens(spot_market: SpotMarket) -> tuple[int, int]:
    return (
        get_token_amount(spot_market.deposit_balance, spot_market, Deposit),
        get_token_amount(spot_market.borrow_balance, spot_market, Borrow),
    )


# --- 3.1 utilization ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deposits", "borrows", "expected"),
    [
        (0, 0, 0),  # empty market
        (0, 5, SPOT_UTILIZATION_PRECISION),  # borrows without deposits: maximum
        (100, 50, 500_000),
        (3, 1, 333_333),  # floors
        (100, 200, 2_000_000),  # borrows above deposits exceed 100%
    ],
)
def test_calculate_utilization_floors_and_handles_empty_deposits(deposits, borrows, expected):
    # Act / Assert
    assert calculate_utilization(deposits, borrows) == expected


@pytest.mark.parametrize(
    ("borrow_balance", "expected"),
    [
        (100_000 * SPOT_BALANCE_PRECISION, 599_019),  # ..._below_optimal_utilization
        (140_000 * SPOT_BALANCE_PRECISION, 838_627),  # ..._above_optimal_utilization
    ],
)
def test_spot_market_utilization_uses_interest_adjusted_tokens(borrow_balance, expected):
    # controller/spot_balance/tests.rs::test_check_withdraw_limits_below/above_optimal_utilization
    # Arrange
    sol = _market(
        decimals=9,
        cumulative_deposit_interest=1020 * CI // 1000,
        cumulative_borrow_interest=1222 * CI // 1000,
        deposit_balance=200_000 * SPOT_BALANCE_PRECISION,
        borrow_balance=borrow_balance,
    )
    # Act / Assert
    assert calculate_spot_market_utilization(sol) == expected


# --- 3.2 borrow rate --------------------------------------------------------------------------

# U* = 80%, R* = 10%, Rmax = 100% -> E = 900_000; segment shares 50,100,150,200,250,250 / 1000
CURVE = dict(optimal_utilization=800_000, optimal_borrow_rate=100_000, max_borrow_rate=1_000_000)


@pytest.mark.parametrize(
    ("utilization", "expected"),
    [
        (0, 0),
        (400_000, 50_000),  # slope floor(100_000 * 1e6 / 800_000) = 125_000
        (800_000, 100_000),  # optimal
        (825_000, 122_500),  # half of segment 1 (45_000)
        (850_000, 145_000),  # end of segment 1
        (875_000, 190_000),  # + half of segment 2 (90_000)
        (990_000, 100_000 + 45_000 + 90_000 + 135_000 + 180_000),
        (1_000_000, 1_000_000),  # every segment: R* + E
        (1_500_000, 1_000_000),  # borrows above deposits: capped at the full curve
    ],
)
def test_borrow_rate_follows_the_segmented_curve(utilization, expected):
    # drift_insurance.md 3.2
    # Arrange
    spot_market = _market(**CURVE)
    # Act / Assert
    assert calculate_borrow_rate(spot_market, utilization) == expected


def test_borrow_rate_at_full_utilization_sums_floored_segments():
    # drift_insurance.md 3.2: at U = 1e6 the rate is R* + sum(floor(E * w / 1000)) (< Rmax here)
    # Arrange: E = 1001 -> 50 + 100 + 150 + 200 + 250 + 250 = 1000
    spot_market = _market(optimal_utilization=500_000, optimal_borrow_rate=0, max_borrow_rate=1001)
    # Act / Assert
    assert calculate_borrow_rate(spot_market, SPOT_UTILIZATION_PRECISION) == 1000


def test_borrow_rate_jumps_a_whole_segment_above_optimal_850k():
    # drift_insurance.md 3.2 / gotcha 14: first segment has zero range and is added whole
    # Arrange
    spot_market = _market(
        optimal_utilization=850_000, optimal_borrow_rate=100_000, max_borrow_rate=1_100_000
    )
    # Act
    at_optimal = calculate_borrow_rate(spot_market, 850_000)
    just_above = calculate_borrow_rate(spot_market, 850_001)
    # Assert: below, the floored slope 117_647 gives 99_999; above, R* + 50_000 (5% of E, whole)
    # + floor(100_000 * 1 / 50_000)
    assert (at_optimal, just_above) == (99_999, 100_000 + 50_000 + 2)


def test_borrow_rate_is_floored_at_min_borrow_rate():
    # Arrange: min_borrow_rate 10 -> 5%
    spot_market = _market(**CURVE, min_borrow_rate=10)
    # Act / Assert
    assert calculate_borrow_rate(spot_market, 100_000) == 50_000


@pytest.mark.parametrize(
    ("fields", "utilization"),
    [
        (dict(optimal_utilization=0, optimal_borrow_rate=0, max_borrow_rate=0), 0),  # / U* = 0
        (dict(optimal_utilization=900_000, optimal_borrow_rate=0, max_borrow_rate=10), 950_000),
        (dict(optimal_utilization=1_000_000, optimal_borrow_rate=0, max_borrow_rate=10), 1_000_001),
        (dict(optimal_utilization=500_000, optimal_borrow_rate=20, max_borrow_rate=10), 600_000),
    ],
    ids=["zero-optimal", "optimal-above-850k", "optimal-at-100pct", "max-below-optimal-rate"],
)
def test_borrow_rate_raises_where_the_reference_errors(fields, utilization):
    # drift_insurance.md 3.2 error cases
    # Arrange
    spot_market = _market(**fields)
    # Act / Assert
    with pytest.raises(MathError):
        calculate_borrow_rate(spot_market, utilization)


# --- 3.3 accrual ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("min_borrow_rate", "borrow_share", "elapsed", "expected"),
    [
        (0, 0, 10_000, (0, 0)),
        (1, 0, 10_000, (0, 0)),  # no borrows: utilization 0, no interest even with a floor
        (1, 100, 10_000, (15_903, 159)),
        (10, 100, 10_000, (159_025, 1_590)),
        (10, 100, 1_000_000, (15_855_372, 158_553)),
        (200, 100, 1_000_000, (317_107_433, 3_171_074)),
    ],
)
def test_accumulated_interest_with_min_borrow_rate(
    min_borrow_rate, borrow_share, elapsed, expected
):
    # controller/spot_balance/tests.rs::check_spot_market_min_borrow_rate (now = 30)
    # Arrange
    deposit_balance = 100_000_000 * SPOT_BALANCE_PRECISION
    spot_market = _market(
        deposit_balance=deposit_balance,
        borrow_balance=deposit_balance // borrow_share if borrow_share else 0,
        min_borrow_rate=min_borrow_rate,
    )
    # Act
    accumulated = calculate_accumulated_interest(spot_market, 30 + elapsed)
    # Assert
    assert tuple(accumulated) == expected


def test_accumulated_interest_is_zero_when_time_does_not_advance():
    # Arrange
    spot_market = _market(
        **CURVE, deposit_balance=10**9, borrow_balance=5 * 10**8, last_interest_ts=50
    )
    # Act / Assert
    assert tuple(calculate_accumulated_interest(spot_market, 50)) == (0, 0)


# --- 3.4 update_spot_market_cumulative_interest --------------------------------------------


def _fee_collection_market() -> SpotMarket:
    # controller/spot_balance/tests.rs::check_fee_collection: USDC, U* 50%, R* 2000%, Rmax 5000%,
    # $1 deposited, $0.125 borrowed, total_if_factor 0.1%
    spot_market = _market(
        deposit_balance=SPOT_BALANCE_PRECISION,
        deposit_token_twap=10**6,
        optimal_utilization=SPOT_UTILIZATION_PRECISION // 2,
        optimal_borrow_rate=SPOT_RATE_PRECISION * 20,
        max_borrow_rate=SPOT_RATE_PRECISION * 50,
    )
    spot_market.insurance_fund.user_factor = 900
    spot_market.insurance_fund.total_factor = 1000
    update_spot_balances(125_000, Borrow, spot_market, SpotPosition(), True)
    return spot_market


def test_fee_collection_interest_indices_and_twaps():
    # controller/spot_balance/tests.rs::check_fee_collection, up to the first settle
    # Arrange
    spot_market = _fee_collection_market()
    assert spot_market.borrow_balance == 125_000_001
    checkpoints = [
        # now, CDI, CBI, revenue pool scaled, utilization_twap, deposit tokens, borrow tokens
        (100, 10_000_019_799, 10_000_158_551, 0, 143, 1_000_001, 125_002),
        (7_500, 10_001_484_937, 10_011_891_454, 0, 10_846, 1_000_148, 125_149),
        (750 + ONE_YEAR, 16_257_818_378, 60_112_684_636, 385_045, 462_004, 1_626_407, 751_409),
    ]
    for now, cdi, cbi, pool, utilization_twap, deposits, borrows in checkpoints:
        # Act
        update_spot_market_cumulative_interest(spot_market, None, now)
        # Assert
        assert spot_market.cumulative_deposit_interest == cdi
        assert spot_market.cumulative_borrow_interest == cbi
        assert spot_market.revenue_pool.scaled_balance == pool
        assert spot_market.utilization_twap == utilization_twap
        assert (spot_market.last_interest_ts, spot_market.last_twap_ts) == (now, now)
        assert _tokens(spot_market) == (deposits, borrows)
    # the reference reads the pool with the borrow index here
    assert get_token_amount(spot_market.revenue_pool.scaled_balance, spot_market, Borrow) == 2315


def test_fee_collection_after_settle_twaps_and_long_horizon():
    # controller/spot_balance/tests.rs::check_fee_collection, after settle_revenue_to_insurance_fund
    # (its effect on the spot market: an interest update at now + 60, then 626 tokens debited
    # from the revenue pool, drift_insurance.md 5.2 steps 1 and 11)
    # Arrange
    spot_market = _fee_collection_market()
    now = 750 + ONE_YEAR
    for ts in (100, 7_500, now):
        update_spot_market_cumulative_interest(spot_market, None, ts)
    update_spot_market_cumulative_interest(spot_market, None, now + 60)
    update_revenue_pool_balances(626, Borrow, spot_market)
    # Assert after settle
    deposits, borrows = _tokens(spot_market)
    assert spot_market.revenue_pool.scaled_balance == 0
    assert spot_market.utilization_twap == 462_005
    assert (spot_market.borrow_token_twap, spot_market.deposit_token_twap) == (751_409, 1_626_407)
    assert deposits - borrows == 874_373
    # Act: one day later
    update_spot_market_cumulative_interest(spot_market, None, now + 60 + 86_400)
    # Assert
    deposits, borrows = _tokens(spot_market)
    assert deposits - borrows == 874_373
    assert (spot_market.borrow_token_twap, spot_market.deposit_token_twap) == (789_495, 1_663_868)
    assert spot_market.utilization_twap == 474_493
    # Act: 150 years later
    update_spot_market_cumulative_interest(spot_market, None, now + ONE_YEAR * 150)
    # Assert
    deposits, borrows = _tokens(spot_market)
    assert (deposits, borrows) == (2_249_289_191, 2_248_415_015)
    assert (spot_market.deposit_token_twap, spot_market.borrow_token_twap) == (
        2_249_289_190,
        2_248_415_014,
    )


def test_if_cut_credits_revenue_pool_from_total_deposit_balance():
    # drift_insurance.md 3.4 / gotcha 11: tokens = floor(deposit_balance * di_if / 10^(19-dec))
    # Arrange
    spot_market = _market(
        **CURVE,
        deposit_balance=1_000 * SPOT_BALANCE_PRECISION,
        borrow_balance=600 * SPOT_BALANCE_PRECISION,
    )
    spot_market.insurance_fund.total_factor = 100_000
    _, deposit_interest = calculate_accumulated_interest(spot_market, 86_400)
    di_if = deposit_interest * 100_000 // 1_000_000
    expected_tokens = get_interest_token_amount(spot_market.deposit_balance, spot_market, di_if)
    # Act
    update_spot_market_cumulative_interest(spot_market, None, 86_400)
    # Assert
    assert spot_market.cumulative_deposit_interest == CI + deposit_interest - di_if
    assert expected_tokens > 0
    assert get_token_amount(spot_market.revenue_pool.scaled_balance, spot_market, Deposit) in (
        expected_tokens - 1,
        expected_tokens,
    )


def test_full_if_factor_books_nothing_and_keeps_last_interest_ts():
    # drift_insurance.md 3.4 / gotcha 12: total_factor = 1e6 -> di_lend = 0
    # Arrange
    spot_market = _market(**CURVE, deposit_balance=10**12, borrow_balance=5 * 10**11)
    spot_market.insurance_fund.total_factor = 1_000_000
    # Act
    update_spot_market_cumulative_interest(spot_market, None, 86_400)
    # Assert
    assert (spot_market.cumulative_deposit_interest, spot_market.cumulative_borrow_interest) == (
        CI,
        CI,
    )
    assert (spot_market.last_interest_ts, spot_market.revenue_pool.scaled_balance) == (0, 0)
    assert spot_market.last_twap_ts == 86_400


def test_paused_interest_only_updates_twaps():
    # drift_insurance.md 3.4 step 1
    # Arrange
    spot_market = _market(
        **CURVE,
        deposit_balance=10**12,
        borrow_balance=5 * 10**11,
        paused_operations=SPOT_OPERATION_UPDATE_CUMULATIVE_INTEREST,
    )
    # Act
    update_spot_market_cumulative_interest(spot_market, None, 3_600)
    # Assert
    assert spot_market.cumulative_borrow_interest == CI
    assert spot_market.last_interest_ts == 0
    # floor(50% * 3600 / 86400) = 20_833, then the -1 bias toward the (zero) old twap
    assert (spot_market.last_twap_ts, spot_market.utilization_twap) == (3_600, 20_832)


# --- twap stats -------------------------------------------------------------------------------


def test_deposit_token_twap_vectors():
    # controller/spot_balance/tests.rs::test_daily_withdraw_limits (USDC market twap updates)
    # Arrange: $0.375001998 deposited, twap $0.50
    spot_market = _market(deposit_balance=375_001_998, deposit_token_twap=500_000)
    expected = [(3_600, 494_792), (3_600 * 24, 379_991), (3_600 * 48 + 100, 375_001)]
    for now, twap in expected:
        # Act
        update_spot_market_cumulative_interest(spot_market, None, now)
        # Assert
        assert spot_market.deposit_token_twap == twap
    # Arrange: a $100k deposit, clocks reset to 0
    spot_market.deposit_balance = 100_000_375_001_998
    spot_market.last_interest_ts = spot_market.last_twap_ts = 0
    for now, twap in [(3_600, 4_167_041_666), (3_600 * 44, 99_999_755_926)]:
        update_spot_market_cumulative_interest(spot_market, None, now)
        assert spot_market.deposit_token_twap == twap


def test_oracle_twaps_vectors():
    # controller/spot_balance/tests.rs::check_usdc_spot_market_twap
    # Arrange: SpotMarket::default() tier (Unlisted), default_quote_oracle history
    spot_market = _market(
        asset_tier=AssetTier.Unlisted,
        deposit_balance=100_000_000 * SPOT_BALANCE_PRECISION,
        deposit_token_twap=500_000,
        historical_oracle_data=HistoricalOracleData(
            last_oracle_price=10**6, last_oracle_price_twap=10**6, last_oracle_price_twap_5min=10**6
        ),
    )
    oracle = OraclePriceData(price=10**6, confidence=1, delay=0)
    history = spot_market.historical_oracle_data
    now = 30
    # Act / Assert
    update_spot_market_twap_stats(spot_market, oracle, now)
    assert history.last_oracle_delay == 0
    assert (history.last_oracle_price_twap, history.last_oracle_price_twap_5min) == (
        1_000_001,
        1_000_001,
    )
    cur_time = 1_679_940_002
    now += cur_time
    update_spot_market_twap_stats(spot_market, oracle, now)
    assert history.last_oracle_price_twap_5min == 1_000_000
    while now < cur_time + 1000:
        now += 1
        update_spot_market_twap_stats(spot_market, oracle, now)
        update_spot_market_twap_stats(spot_market, oracle, now)
    # twap gets distorted by repeated updates at one timestamp
    assert (history.last_oracle_price_twap_5min, history.last_oracle_price_twap) == (
        1_000_001,
        1_000_001,
    )


# --- properties ---------------------------------------------------------------------------------

_actions = st.lists(
    st.tuples(
        st.sampled_from(["deposit", "borrow", "repay", "withdraw"]),
        st.integers(min_value=10**6, max_value=10**13),
        st.integers(min_value=0, max_value=30 * 86_400),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(
    actions=_actions,
    optimal_utilization=st.integers(min_value=1, max_value=850_000),
    optimal_borrow_rate=st.integers(min_value=0, max_value=5_000_000),
    extra_rate=st.integers(min_value=0, max_value=50_000_000),
    total_factor=st.integers(min_value=0, max_value=1_000_000),
    decimals=st.sampled_from([6, 9]),
)
def test_interest_accrual_invariants(
    actions, optimal_utilization, optimal_borrow_rate, extra_rate, total_factor, decimals
):
    """Indices never fall, CDI <= CBI, the revenue pool only grows, depositors (revenue pool
    included) can always be paid from the vault plus what borrowers owe (plus the debt that
    partial repays forgive by the reference's rounding)."""
    # Arrange
    spot_market = _market(
        decimals=decimals,
        optimal_utilization=optimal_utilization,
        optimal_borrow_rate=optimal_borrow_rate,
        max_borrow_rate=optimal_borrow_rate + extra_rate,
    )
    spot_market.insurance_fund.total_factor = total_factor
    depositor = SpotPosition()
    borrower = SpotPosition(balance_type=Borrow)
    vault = 0
    now = 0
    # A partial repay lowers the scaled borrow by floor + 1 (the reference's round_up for a
    # Borrow balance): up to one scaled unit of debt, ceil(cbi / 10^(19-decimals)) tokens, is
    # forgiven each time. Faithful rounding dust the solvency check allows for.
    forgiven = 0
    for action, amount, elapsed in actions:
        snapshot = copy.deepcopy((spot_market, depositor, borrower, vault))
        try:
            if action == "deposit":
                update_spot_balances(amount, Deposit, spot_market, depositor, False)
                vault += amount
            elif action == "borrow":
                update_spot_balances(amount, Borrow, spot_market, borrower, True)
                vault -= amount
            elif action == "repay":
                owed = get_token_amount(borrower.scaled_balance, spot_market, Borrow)
                amount = min(amount, owed)
                update_spot_balances(amount, Deposit, spot_market, borrower, False)
                vault += amount
                if amount < owed:
                    scaled_unit = spot_market.cumulative_borrow_interest
                    forgiven += -(-scaled_unit // 10 ** (19 - decimals))
            else:
                held = get_token_amount(depositor.scaled_balance, spot_market, Deposit)
                amount = min(amount, held)
                update_spot_balances(amount, Borrow, spot_market, depositor, True)
                vault -= amount
        except SpotMarketInsufficientDeposits:  # the instruction is rolled back
            spot_market, depositor, borrower, vault = snapshot
        assert vault >= 0
        before = (
            spot_market.cumulative_deposit_interest,
            spot_market.cumulative_borrow_interest,
            spot_market.revenue_pool.scaled_balance,
        )
        pool_tokens_before = get_token_amount(before[2], spot_market, Deposit)
        now += elapsed
        # Act
        update_spot_market_cumulative_interest(spot_market, None, now)
        # Assert
        cdi = spot_market.cumulative_deposit_interest
        cbi = spot_market.cumulative_borrow_interest
        pool = spot_market.revenue_pool.scaled_balance
        assert cdi >= before[0] and cbi >= before[1]
        assert cdi - before[0] <= cbi - before[1]
        assert cdi <= cbi
        assert pool >= before[2]
        assert get_token_amount(pool, spot_market, Deposit) >= pool_tokens_before
        deposits, borrows = _tokens(spot_market)
        assert deposits <= vault + borrows + forgiven


@settings(max_examples=200, deadline=None)
@given(
    deposits=st.integers(min_value=1, max_value=10**15),
    borrow_share=st.integers(min_value=0, max_value=1_000_000),
    cdi_extra=st.integers(min_value=0, max_value=10 * CI),
    cbi_over_cdi=st.integers(min_value=0, max_value=10 * CI),
    elapsed=st.integers(min_value=1, max_value=5 * ONE_YEAR),
    optimal_utilization=st.integers(min_value=1, max_value=850_000),
    extra_rate=st.integers(min_value=0, max_value=10**8),
)
def test_deposit_interest_never_exceeds_borrow_interest(
    deposits, borrow_share, cdi_extra, cbi_over_cdi, elapsed, optimal_utilization, extra_rate
):
    # Arrange: borrows <= deposits, CDI <= CBI
    cdi = CI + cdi_extra
    spot_market = _market(
        cumulative_deposit_interest=cdi,
        cumulative_borrow_interest=cdi + cbi_over_cdi,
        optimal_utilization=optimal_utilization,
        optimal_borrow_rate=100_000,
        max_borrow_rate=100_000 + extra_rate,
    )
    spot_market.deposit_balance = deposits
    deposit_tokens, _ = _tokens(spot_market)
    borrow_tokens = deposit_tokens * borrow_share // 1_000_000
    spot_market.borrow_balance = borrow_tokens * 10**13 // spot_market.cumulative_borrow_interest
    # Act
    borrow_interest, deposit_interest = calculate_accumulated_interest(spot_market, elapsed)
    # Assert
    assert deposit_interest <= borrow_interest


# --- validation -------------------------------------------------------------------------------


def _sol(**overrides) -> SpotMarket:
    fields = dict(
        market_index=1,
        decimals=9,
        initial_asset_weight=8_000,
        maintenance_asset_weight=9_000,
        initial_liability_weight=12_000,
        maintenance_liability_weight=11_000,
        optimal_utilization=700_000,
        optimal_borrow_rate=60_000,
        max_borrow_rate=1_000_000,
        liquidator_fee=10_000,
        if_liquidation_fee=10_000,
    )
    fields.update(overrides)
    spot_market = SpotMarket(**fields)
    spot_market.insurance_fund.total_factor = 100_000
    spot_market.insurance_fund.user_factor = 50_000
    return spot_market


def test_validate_spot_market_accepts_reference_sol_and_usdc():
    # Arrange
    usdc = _market(
        initial_asset_weight=SPOT_WEIGHT_PRECISION,
        maintenance_asset_weight=SPOT_WEIGHT_PRECISION,
        initial_liability_weight=SPOT_WEIGHT_PRECISION,
        maintenance_liability_weight=SPOT_WEIGHT_PRECISION,
        optimal_utilization=SPOT_UTILIZATION_PRECISION // 2,
        optimal_borrow_rate=SPOT_RATE_PRECISION * 20,
        max_borrow_rate=SPOT_RATE_PRECISION * 50,
    )
    # Act / Assert (no error)
    validate_spot_market(usdc)
    validate_spot_market(_sol())


@pytest.mark.parametrize(
    ("overrides", "error", "named"),
    [
        (dict(decimals=20), InvalidSpotMarketInitialization, "decimals 20"),
        (dict(initial_asset_weight=9_500), InvalidSpotMarketInitialization, "9500"),
        (
            dict(maintenance_asset_weight=0, initial_asset_weight=0),
            InvalidSpotMarketInitialization,
            "maintenance_asset_weight 0",
        ),
        (
            dict(initial_asset_weight=10_001, maintenance_asset_weight=10_001),
            InvalidSpotMarketInitialization,
            "10001",
        ),
        (dict(initial_liability_weight=9_999), InvalidSpotMarketInitialization, "9999"),
        (dict(maintenance_liability_weight=12_500), InvalidSpotMarketInitialization, "12500"),
        (dict(imf_factor=1_000_000), InvalidSpotMarketInitialization, "1000000"),
        (dict(optimal_utilization=1_000_001), InvalidSpotMarketInitialization, "1000001"),
        (dict(optimal_borrow_rate=1_000_001), InvalidSpotMarketInitialization, "1000001"),
        (dict(min_borrow_rate=13), InvalidSpotMarketInitialization, "65000"),
        (dict(liquidator_fee=950_000, if_liquidation_fee=50_000), DefaultError, "950000"),
        (dict(if_liquidation_fee=100_001), DefaultError, "100001"),
    ],
)
def test_validate_spot_market_rejects_bad_parameters(overrides, error, named):
    # Arrange
    spot_market = _sol(**overrides)
    # Act / Assert
    with pytest.raises(error, match=named):
        validate_spot_market(spot_market)


def test_quote_market_weights_must_be_one():
    # Act / Assert
    with pytest.raises(InvalidSpotMarketInitialization, match="maintenance_liability_weight 11000"):
        validate_margin_weights(0, 10_000, 10_000, 10_000, 11_000, 0)


def test_weights_at_the_bounds_are_accepted():
    # Arrange / Act / Assert: initial == maintenance == 1e4 allowed for non-quote markets
    validate_margin_weights(2, 10_000, 10_000, 10_000, 10_000, 0)


@pytest.mark.parametrize(
    ("user_if_factor", "total_if_factor", "named"),
    [(600_000, 500_000, "user_if_factor 600000"), (0, 1_000_001, "total_if_factor 1000001")],
)
def test_if_factors_are_validated(user_if_factor, total_if_factor, named):
    # Act / Assert
    with pytest.raises(DefaultError, match=named):
        validate_if_factors(user_if_factor, total_if_factor)


def test_if_factor_bounds_are_inclusive():
    # Act / Assert (no error)
    validate_if_factors(1_000_000, 1_000_000)
    validate_liquidation_fees(899_999, 100_000)
    validate_borrow_rate(1_000_000, 5_000, 5_000, 5_000)


def test_revenue_settle_period_must_be_positive():
    # Act / Assert
    with pytest.raises(DefaultError, match="revenue_settle_period 0"):
        validate_revenue_settle_period(0)
