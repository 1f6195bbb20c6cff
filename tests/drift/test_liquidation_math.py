"""Pure liquidation math: fee ramp, IF fee, base to cover a shortage, max pct to liquidate.

Expected numbers are transcribed from programs/drift/src/math/liquidation/tests.rs.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballast.drift.constants import (
    BASE_PRECISION,
    LIQUIDATION_FEE_PRECISION,
    LIQUIDATION_PCT_PRECISION,
    MARGIN_PRECISION,
    PRICE_PRECISION,
    QUOTE_PRECISION,
)
from ballast.drift.math.liquidation import (
    calculate_base_asset_amount_to_cover_margin_shortage,
    calculate_liquidation_transfer_price,
    calculate_max_pct_to_liquidate,
    calculate_perp_if_fee,
    get_liquidation_fee,
    get_max_liquidation_fee,
)
from ballast.drift.state.perp_market import PerpMarket
from ballast.drift.state.user import User
from ballast.fixed import U64_MAX, MathError

# (test name, shortage, margin_ratio, liquidator_fee, if_fee, oracle, quote_oracle, expected)
# calculate_base_asset_amount_to_cover_margin_shortage::{zero_percent_liquidation_fee,
# one_percent_liquidation_fee, one_percent_liquidation_fee_and_one_percent_if_liquidation_fee,
# usdc_not_one}
BASE_TO_COVER_CASES = [
    ("zero_fee", 10 * QUOTE_PRECISION, MARGIN_PRECISION // 10, 0, 0, 100 * PRICE_PRECISION,
     PRICE_PRECISION, BASE_PRECISION),
    ("one_pct_fee", 10 * QUOTE_PRECISION, MARGIN_PRECISION // 10, LIQUIDATION_FEE_PRECISION // 100,
     0, 100 * PRICE_PRECISION, PRICE_PRECISION, BASE_PRECISION * 10 // 9),
    ("one_pct_fee_one_pct_if", 10 * QUOTE_PRECISION, MARGIN_PRECISION // 10,
     LIQUIDATION_FEE_PRECISION // 100, LIQUIDATION_FEE_PRECISION // 100, 100 * PRICE_PRECISION,
     PRICE_PRECISION, 1_250_000_000),
    ("usdc_below_one", 10 * QUOTE_PRECISION, MARGIN_PRECISION // 10, 0, 0, 100 * PRICE_PRECISION,
     99 * 10_000, 1_010_101_010),
    ("usdc_above_one", 10 * QUOTE_PRECISION, MARGIN_PRECISION // 10, 0, 0, 100 * PRICE_PRECISION,
     101 * 10_000, 990_099_009),
]


@pytest.mark.parametrize(
    "shortage,margin_ratio,liquidator_fee,if_fee,oracle,quote_oracle,expected",
    [case[1:] for case in BASE_TO_COVER_CASES],
    ids=[case[0] for case in BASE_TO_COVER_CASES],
)
def test_base_to_cover_margin_shortage_matches_reference(
    shortage, margin_ratio, liquidator_fee, if_fee, oracle, quote_oracle, expected
):
    # Arrange: inputs from the reference test table above
    # Act
    base = calculate_base_asset_amount_to_cover_margin_shortage(
        shortage, margin_ratio, liquidator_fee, if_fee, oracle, quote_oracle
    )
    # Assert
    assert base == expected


def test_base_to_cover_is_unbounded_when_fee_exceeds_margin_ratio():
    # Arrange: margin ratio 5% (50_000 in fee precision) below a 10% liquidator fee
    # Act
    base = calculate_base_asset_amount_to_cover_margin_shortage(
        QUOTE_PRECISION, 500, LIQUIDATION_FEE_PRECISION // 10, 0, 100 * PRICE_PRECISION,
        PRICE_PRECISION,
    )
    # Assert
    assert base == U64_MAX


# calculate_perp_if_fee::test (shortage, base, liquidator fee, oracle, quote price -> fee)
PERP_IF_FEE_CASES = [
    ("two_pct_times_95", 20 * QUOTE_PRECISION, 10 * BASE_PRECISION, LIQUIDATION_FEE_PRECISION // 100,
     100 * PRICE_PRECISION, PRICE_PRECISION, 19_000),
    ("tiny_shortage", QUOTE_PRECISION, 10 * BASE_PRECISION, LIQUIDATION_FEE_PRECISION // 100,
     100 * PRICE_PRECISION, PRICE_PRECISION, 37_050),
    ("huge_shortage", 1000 * QUOTE_PRECISION, 10 * BASE_PRECISION, LIQUIDATION_FEE_PRECISION // 100,
     100 * PRICE_PRECISION, PRICE_PRECISION, 0),
    ("large_liquidator_fee", 20 * QUOTE_PRECISION, 10 * BASE_PRECISION,
     LIQUIDATION_FEE_PRECISION // 10, 100 * PRICE_PRECISION, PRICE_PRECISION, 0),
    ("zero_oracle_price", 20 * QUOTE_PRECISION, 10 * BASE_PRECISION,
     LIQUIDATION_FEE_PRECISION // 100, 0, PRICE_PRECISION, 0),
    ("zero_quote_price", 20 * QUOTE_PRECISION, 10 * BASE_PRECISION,
     LIQUIDATION_FEE_PRECISION // 100, 100 * PRICE_PRECISION, 0, 0),
    ("zero_base", 20 * QUOTE_PRECISION, 0, LIQUIDATION_FEE_PRECISION // 100,
     100 * PRICE_PRECISION, PRICE_PRECISION, 0),
]


@pytest.mark.parametrize(
    "shortage,base,liquidator_fee,oracle,quote_price,expected",
    [case[1:] for case in PERP_IF_FEE_CASES],
    ids=[case[0] for case in PERP_IF_FEE_CASES],
)
def test_perp_if_fee_cases_match_reference(shortage, base, liquidator_fee, oracle, quote_price, expected):
    # Arrange: margin ratio 5%, max IF fee 5% as in the reference test
    margin_ratio = MARGIN_PRECISION // 20
    max_if_fee = LIQUIDATION_FEE_PRECISION // 20
    # Act
    fee = calculate_perp_if_fee(
        shortage, base, margin_ratio, liquidator_fee, oracle, quote_price, max_if_fee
    )
    # Assert
    assert fee == expected


@given(
    shortage=st.integers(0, 10**15),
    base=st.integers(1, 10**15),
    margin_ratio=st.integers(0, MARGIN_PRECISION),
    liquidator_fee=st.integers(0, LIQUIDATION_FEE_PRECISION),
    oracle=st.integers(1, 10**12),
    max_if_fee=st.integers(0, LIQUIDATION_FEE_PRECISION),
)
def test_perp_if_fee_never_exceeds_cap_or_95pct_of_headroom(
    shortage, base, margin_ratio, liquidator_fee, oracle, max_if_fee
):
    # Act
    fee = calculate_perp_if_fee(
        shortage, base, margin_ratio, liquidator_fee, oracle, PRICE_PRECISION, max_if_fee
    )
    # Assert
    headroom = max(margin_ratio * 100 - liquidator_fee, 0)
    assert 0 <= fee <= max_if_fee
    assert fee * 20 <= headroom * 19


# get_liquidation_fee::test: base 2%, max 5%, user slot 0
LIQUIDATION_FEE_RAMP_CASES = [
    ("huge_slot_difference_hits_max", 100_000, 5 * LIQUIDATION_FEE_PRECISION // 100),
    ("within_grace_period_is_base", 10, 2 * LIQUIDATION_FEE_PRECISION // 100),
    ("ramps_by_elapsed_slots", 10_000, 3 * LIQUIDATION_FEE_PRECISION // 100),
]


@pytest.mark.parametrize(
    "current_slot,expected",
    [case[1:] for case in LIQUIDATION_FEE_RAMP_CASES],
    ids=[case[0] for case in LIQUIDATION_FEE_RAMP_CASES],
)
def test_liquidation_fee_ramp_matches_reference(current_slot, expected):
    # Arrange
    base_fee = 2 * LIQUIDATION_FEE_PRECISION // 100
    max_fee = 5 * LIQUIDATION_FEE_PRECISION // 100
    # Act
    fee = get_liquidation_fee(base_fee, max_fee, 0, current_slot)
    # Assert
    assert fee == expected


def test_liquidation_fee_rejects_slot_before_last_active_slot():
    with pytest.raises(MathError):
        get_liquidation_fee(10_000, 30_000, 100, 99)


def test_max_liquidation_fee_is_min_of_triple_fee_and_maintenance_ratio():
    # Arrange: 1% fee (x3 = 3%) against a 2% maintenance ratio (20_000 in fee precision)
    market = PerpMarket(liquidator_fee=10_000, margin_ratio_maintenance=200)
    # Act / Assert
    assert get_max_liquidation_fee(market) == 20_000


def test_max_pct_to_liquidate_small_shortage_is_full():
    # calculate_max_pct_to_liquidate::test: $49 shortage, slot 1, initial 10%, duration 10
    # Arrange
    user = User()
    # Act
    pct = calculate_max_pct_to_liquidate(
        user, 49 * QUOTE_PRECISION, 1, LIQUIDATION_PCT_PRECISION // 10, 10
    )
    # Assert
    assert pct == LIQUIDATION_PCT_PRECISION


@given(
    shortage=st.integers(50 * QUOTE_PRECISION, 10**14),
    freed=st.integers(0, 10**14),
    elapsed=st.integers(0, 10**6),
    initial_pct=st.integers(0, LIQUIDATION_PCT_PRECISION),
    duration=st.integers(0, 10**4),
)
def test_max_pct_to_liquidate_stays_within_full_share(shortage, freed, elapsed, initial_pct, duration):
    # Arrange
    user = User(last_active_slot=0, liquidation_margin_freed=freed)
    # Act
    pct = calculate_max_pct_to_liquidate(user, shortage, elapsed, initial_pct, duration)
    # Assert: never more than the whole shortage plus what was already freed, never negative
    assert pct >= 0
    assert pct * shortage <= (shortage + freed) * LIQUIDATION_PCT_PRECISION


def test_transfer_price_discounts_long_and_premiums_short():
    # Arrange: oracle $100, 1% fee
    oracle = 100 * PRICE_PRECISION
    # Act / Assert
    assert calculate_liquidation_transfer_price(oracle, 10_000, True) == 99 * PRICE_PRECISION
    assert calculate_liquidation_transfer_price(oracle, 10_000, False) == 101 * PRICE_PRECISION
