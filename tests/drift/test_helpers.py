"""on_the_hour_update: when the next periodic (funding / IF) update is allowed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballast.drift.math.helpers import on_the_hour_update

_NOW = 1_683_576_852
_LAST = 1_683_576_000
_TOO_LATE = _LAST - (3600 // 3 + 1)


# SDK test "time remaining updates" (sdk/tests/insurance/test.ts) exercises the same rule as
# math/helpers.rs; the last two rows are from math/funding/tests.rs::unsettled_funding_pnl.
@pytest.mark.parametrize(
    ("now", "last_update_ts", "period", "expected"),
    [
        (_NOW, _LAST, 3600, 2748),
        (_NOW, _LAST - 3600, 3600, 0),
        (_TOO_LATE + 1, _TOO_LATE, 3600, 4800),
        (_NOW, _LAST + 1, 3600, 2748),
        (_NOW, _LAST - 1, 3600, 2748),
        (0, 0, 3600, 3600),
        (3600, 0, 3600, 0),
    ],
)
def test_on_the_hour_update_reference_cases(now, last_update_ts, period, expected):
    # Arrange / Act
    remaining = on_the_hour_update(now, last_update_ts, period)

    # Assert
    assert remaining == expected


def test_on_the_hour_update_period_of_one_second_waits_one_period():
    # Arrange: spec 8.1, wait = P when P <= 1
    now, last_update_ts = 10, 10

    # Act
    remaining = on_the_hour_update(now, last_update_ts, 1)

    # Assert
    assert remaining == 1


@given(
    last_update_ts=st.integers(min_value=0, max_value=10**10),
    period=st.integers(min_value=2, max_value=86_400),
    elapsed=st.integers(min_value=0, max_value=3 * 86_400),
)
def test_on_the_hour_update_counts_down_one_second_per_second(last_update_ts, period, elapsed):
    # Arrange
    start = on_the_hour_update(last_update_ts, last_update_ts, period)

    # Act
    later = on_the_hour_update(last_update_ts + elapsed, last_update_ts, period)

    # Assert: never more than two periods away; counts down and stops at zero
    assert 0 < start <= 2 * period
    assert later == max(0, start - elapsed)


@given(
    last_update_ts=st.integers(min_value=0, max_value=10**10),
    period=st.integers(min_value=2, max_value=86_400),
)
def test_on_the_hour_update_next_update_lands_on_a_period_boundary(last_update_ts, period):
    # Arrange
    wait = on_the_hour_update(last_update_ts, last_update_ts, period)

    # Act
    next_update_ts = last_update_ts + wait

    # Assert
    assert next_update_ts % period == 0
