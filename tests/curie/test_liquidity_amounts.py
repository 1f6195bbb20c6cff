"""LiquidityAmounts (periphery 1.0.1) and LiquidityMath.

Vectors: Uniswap/v3-periphery test/LiquidityAmounts.spec.ts, Uniswap/v3-core
test/LiquidityMath.spec.ts, spec/perp_curie.md 1.5 and 4.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballast.curie.errors import LiquidityAdd, LiquiditySub, MulDivOverflow, SafeCastOverflow
from ballast.curie.univ3.liquidity_amounts import (
    get_amount0_for_liquidity,
    get_amount1_for_liquidity,
    get_amounts_for_liquidity,
    get_liquidity_for_amount0,
    get_liquidity_for_amount1,
    get_liquidity_for_amounts,
)
from ballast.curie.univ3.liquidity_math import add_delta
from ballast.curie.univ3.sqrt_price_math import get_amount0_delta, get_amount1_delta
from ballast.curie.univ3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO, get_sqrt_ratio_at_tick
from tests.curie import encode_price_sqrt

A = encode_price_sqrt(100, 110)
B = encode_price_sqrt(110, 100)


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        (encode_price_sqrt(1, 1), 2148),  # 'amounts for price inside'
        (encode_price_sqrt(111, 100), 2097),  # 'amounts for price above'
    ],
)
def test_get_liquidity_for_amounts_vectors(price, expected):
    assert get_liquidity_for_amounts(price, A, B, 100, 200) == expected


def test_price_below_range_uses_token0_only():
    # 'amounts for price below' uses encodePriceSqrt(99, 100), which is inside [100/110, 110/100]
    assert get_liquidity_for_amounts(encode_price_sqrt(99, 100), A, B, 100, 200) == 1938
    assert get_liquidity_for_amounts(A - 1, A, B, 100, 200) == get_liquidity_for_amount0(A, B, 100)


def test_price_at_the_lower_bound_counts_as_below():
    # spec 1.5: `S <= A` (a `<` would divide by zero)
    assert get_liquidity_for_amounts(A, A, B, 100, 200) == get_liquidity_for_amount0(A, B, 100)
    assert get_liquidity_for_amounts(B, A, B, 100, 200) == get_liquidity_for_amount1(A, B, 200)


def test_curie_liquidity_vectors():
    # spec 4: addLiquidity in Curie's 1 % test pool
    s = 974774664819573627711176820911
    s50000, s50200, s50400 = (get_sqrt_ratio_at_tick(t) for t in (50000, 50200, 50400))
    assert get_liquidity_for_amounts(s, s50000, s50200, 0, 10**22) == 81689571696303801037492
    assert (
        get_liquidity_for_amounts(s, s50000, s50400, 100 * 10**18, 10**22)
        == 81689571696303801018159
    )
    assert (
        get_liquidity_for_amounts(
            s, get_sqrt_ratio_at_tick(0), get_sqrt_ratio_at_tick(100000), 65943787 * 10**12, 10**22
        )
        == 884690658835870366575
    )


def test_liquidity_for_amount0_overflowing_uint128_reverts():
    with pytest.raises(SafeCastOverflow):
        get_liquidity_for_amount0(MIN_SQRT_RATIO, MAX_SQRT_RATIO, 2**200)


def test_amounts_for_liquidity_by_price_region():
    liquidity = 10**20
    assert get_amounts_for_liquidity(A - 1, A, B, liquidity) == (
        get_amount0_for_liquidity(A, B, liquidity),
        0,
    )
    assert get_amounts_for_liquidity(B, A, B, liquidity) == (
        0,
        get_amount1_for_liquidity(A, B, liquidity),
    )
    p = encode_price_sqrt(1, 1)
    assert get_amounts_for_liquidity(p, B, A, liquidity) == (
        get_amount0_for_liquidity(p, B, liquidity),
        get_amount1_for_liquidity(A, p, liquidity),
    )


@pytest.mark.parametrize(
    ("x", "y", "expected"),
    [(1, 0, 1), (1, -1, 0), (1, 1, 2)],  # LiquidityMath.spec.ts
)
def test_add_delta_vectors(x, y, expected):
    assert add_delta(x, y) == expected


def test_add_delta_reverts():
    with pytest.raises(LiquidityAdd) as info:
        add_delta(2**128 - 15, 15)  # '2**128-15 + 15 overflows'
    assert info.value.code == "LA"
    with pytest.raises(LiquiditySub):
        add_delta(0, -1)  # '0 + -1 underflows'
    with pytest.raises(LiquiditySub) as info:
        add_delta(3, -4)  # '3 + -4 underflows'
    assert info.value.code == "LS"


prices = st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1)


def test_liquidity_for_amount0_over_a_one_wei_range_at_the_top_reverts_like_full_math():
    # a * b / (b - a) with b - a == 1 near MAX_SQRT_RATIO exceeds 2^256: FullMath.mulDiv reverts, so must we
    a = 1_461_446_703_371_421_562_070_309_362_012_016_470_409_165_183_988
    with pytest.raises(MulDivOverflow):
        get_liquidity_for_amounts(MIN_SQRT_RATIO, a, a + 1, 4_295_290_187, 0)


@settings(max_examples=300, deadline=None)
@given(prices, prices, prices, st.integers(0, 10**30), st.integers(0, 10**30))
def test_liquidity_from_amounts_never_needs_more_than_the_amounts(price, a, b, amount0, amount1):
    if a == b:
        return
    try:
        liquidity = get_liquidity_for_amounts(price, a, b, amount0, amount1)
    except (SafeCastOverflow, MulDivOverflow):
        return  # the reference reverts too: uint128 cast or FullMath.mulDiv past 2^256 (tiny range at extreme prices)
    lo, hi = min(a, b), max(a, b)
    need0 = get_amount0_delta(max(price, lo), hi, liquidity, True) if price < hi else 0
    need1 = get_amount1_delta(lo, min(price, hi), liquidity, True) if price > lo else 0
    assert need0 <= amount0 + 1 and need1 <= amount1 + 1
