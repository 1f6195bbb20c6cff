"""The integer helpers round exactly as their names say, like Rust and Solidity do."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballast.fixed import (
    I64_MAX,
    MathError,
    cast_i32,
    cast_i64,
    cast_u64,
    div_ceil,
    div_floor,
    div_trunc,
    iroot4,
    mul_div_ceil,
    mul_div_floor,
    proportion,
    proportion_signed,
)

ints = st.integers(min_value=-(10**30), max_value=10**30)
nonzero = ints.filter(lambda x: x != 0)


@pytest.mark.parametrize(
    ("a", "b", "trunc", "floor", "ceil"),
    [
        (7, 2, 3, 3, 4),
        (-7, 2, -3, -4, -3),
        (7, -2, -3, -4, -3),
        (-7, -2, 3, 3, 4),
        (6, 3, 2, 2, 2),
        (-6, 3, -2, -2, -2),
        (0, 5, 0, 0, 0),
    ],
)
def test_divisions_round_as_named(a, b, trunc, floor, ceil):
    assert (div_trunc(a, b), div_floor(a, b), div_ceil(a, b)) == (trunc, floor, ceil)


@pytest.mark.parametrize("helper", [div_trunc, div_floor, div_ceil])
def test_division_by_zero_raises_math_error_naming_the_numerator(helper):
    with pytest.raises(MathError, match="12345"):
        helper(12345, 0)


@given(ints, nonzero)
def test_div_trunc_rounds_toward_zero(a, b):
    q = div_trunc(a, b)
    assert abs(q * b) <= abs(a) < abs((q + (1 if (a >= 0) == (b > 0) else -1)) * b)


@given(ints, nonzero)
def test_floor_and_ceil_bracket_the_quotient(a, b):
    assert div_floor(a, b) * b <= a if b > 0 else div_floor(a, b) * b >= a
    assert div_ceil(a, b) - div_floor(a, b) == (0 if a % b == 0 else 1)


def test_mul_div_rounding():
    assert mul_div_floor(10, 10, 3) == 33
    assert mul_div_ceil(10, 10, 3) == 34
    assert mul_div_ceil(9, 1, 3) == 3


@pytest.mark.parametrize(
    ("value", "numerator", "denominator", "expected"),
    [
        (100, 1, 3, 33),  # floor(33.3)
        (100, 2, 3, 66),  # the reference's "complement" branch (d/2 < n < d) is still the floor
        (7, 5, 5, 7),  # numerator == denominator returns the value untouched
        (7, 0, 0, 7),  # ... even with a zero denominator
        (10**30, 10**20, 10**20 + 1, 10**30 * 10**20 // (10**20 + 1)),  # wide intermediate
    ],
)
def test_proportion_is_the_floor_of_value_times_ratio(value, numerator, denominator, expected):
    assert proportion(value, numerator, denominator) == expected


def test_proportion_signed_truncates_toward_zero():
    assert proportion_signed(-100, 2, 3) == -66
    assert proportion_signed(100, 2, 3) == 66


def test_iroot4_is_the_floor_fourth_root():
    assert [iroot4(x) for x in (0, 1, 15, 16, 80, 81, 10**8)] == [0, 1, 1, 2, 2, 3, 100]


@pytest.mark.parametrize(
    ("cast", "bad"),
    [(cast_u64, -1), (cast_u64, 2**64), (cast_i64, I64_MAX + 1), (cast_i32, 2**31)],
)
def test_checked_casts_reject_out_of_range_values_by_name(cast, bad):
    with pytest.raises(MathError, match=str(bad)):
        cast(bad)
