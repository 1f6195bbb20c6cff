"""Weighted averages, TWAPs and rolling sums (math/stats.rs).

The reference has no tests.rs for stats; expected values are worked by hand from the spec
(drift_core.md 5.1), with the arithmetic in each case's comment.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballast.drift.math.stats import (
    calculate_new_twap,
    calculate_rolling_sum,
    calculate_weighted_average,
)
from ballast.fixed import MathError


@pytest.mark.parametrize(
    ("data1", "data2", "weight1", "weight2", "expected"),
    [
        (100, 50, 0, 3, 50),  # weight1 == 0 -> data2
        (100, 50, 3, 0, 100),  # weight2 == 0 -> data1
    ],
)
def test_weighted_average_returns_other_datum_when_a_weight_is_zero(
    data1, data2, weight1, weight2, expected
):
    assert calculate_weighted_average(data1, data2, weight1, weight2) == expected


@pytest.mark.parametrize(
    ("data1", "data2", "weight1", "weight2", "expected"),
    [
        # (100*1 + 50*3) / 4 = 62 (62.5 truncated); 150 > 100 -> bias +1
        (100, 50, 1, 3, 63),
        # (100*3 + 50*1) / 4 = 87; weight2 == 1 -> no bias
        (100, 50, 3, 1, 87),
        # (100*1 + 10*3) / 4 = 32 (32.5); 30 < 100 -> bias -1
        (100, 10, 1, 3, 31),
        # (50*2 + 50*2) / 4 = 50; equal products -> bias 0
        (50, 50, 2, 2, 50),
    ],
)
def test_weighted_average_adds_default_bias_toward_heavier_product(
    data1, data2, weight1, weight2, expected
):
    assert calculate_weighted_average(data1, data2, weight1, weight2) == expected


def test_weighted_average_truncates_negative_mean_toward_zero():
    # (-7*1 + 0*1) / 2 = -3.5 -> -3 (Rust truncation; floor would give -4); weight2 == 1 -> no bias
    assert calculate_weighted_average(-7, 0, 1, 1) == -3


def test_weighted_average_keeps_zero_mean_when_bias_is_negative():
    # (1*1 + 0*2) / 3 = 0; 0 < 1 -> bias -1, but a zero twap is returned unbiased
    assert calculate_weighted_average(1, 0, 1, 2) == 0


def test_weighted_average_uses_explicit_bias():
    # (100*1 + 50*3) / 4 = 62; explicit bias -1 replaces the default +1
    assert calculate_weighted_average(100, 50, 1, 3, -1) == 61


@pytest.mark.parametrize(
    ("current_price", "current_ts", "last_twap", "last_ts", "period", "expected"),
    [
        # since = 3600, from_start = max(1, 0) = 1: (34e6*3600 + 32e6) / 3601 = 33_999_444.59
        # -> 33_999_444; weight2 == 1 -> no bias
        (34_000_000, 3600, 32_000_000, 0, 3600, 33_999_444),
        # since = 0 -> weight1 == 0 -> last twap
        (34_000_000, 100, 32_000_000, 100, 3600, 32_000_000),
        # clock went backwards: since = max(0, -5) = 0 -> last twap
        (34_000_000, 95, 32_000_000, 100, 3600, 32_000_000),
        # since = 60, from_start = 3540: (40e6*60 + 30e6*3540) / 3600 = 30_166_666.67 -> 30_166_666, bias +1
        (40_000_000, 60, 30_000_000, 0, 3600, 30_166_667),
    ],
)
def test_new_twap_weights_price_by_elapsed_time(
    current_price, current_ts, last_twap, last_ts, period, expected
):
    assert calculate_new_twap(current_price, current_ts, last_twap, last_ts, period) == expected


@pytest.mark.parametrize(
    ("data1", "data2", "numer", "denom", "expected"),
    [
        (100, 5, 1800, 3600, 55),  # 100 * 1800 / 3600 + 5
        (100, 5, 7200, 3600, 5),  # window fully elapsed -> only the new datum
        (7, 0, 1, 3, 4),  # 7 * 2 / 3 = 4.67 -> 4
    ],
)
def test_rolling_sum_decays_old_value_by_elapsed_fraction(data1, data2, numer, denom, expected):
    assert calculate_rolling_sum(data1, data2, numer, denom) == expected


def test_rolling_sum_rejects_result_past_u64():
    with pytest.raises(MathError):
        calculate_rolling_sum(0, 2**64, 1, 1)


@given(
    st.integers(1, 10**12),
    st.integers(1, 10**12),
    st.integers(1, 10**6),
    st.integers(2, 10**6),
)
def test_weighted_average_stays_within_one_unit_of_the_data_range(d1, d2, w1, w2):
    result = calculate_weighted_average(d1, d2, w1, w2)

    assert min(d1, d2) - 1 <= result <= max(d1, d2) + 1


@given(st.integers(0, 10**15), st.integers(0, 10**15), st.integers(1, 10**6), st.integers(1, 10**6))
def test_rolling_sum_is_at_least_the_new_datum_and_at_most_the_sum(d1, d2, numer, denom):
    result = calculate_rolling_sum(d1, d2, numer, denom)

    assert d2 <= result <= d1 + d2
