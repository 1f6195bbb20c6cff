"""FullMath and SqrtPriceMath: vectors from Uniswap/v3-core test/FullMath.spec.ts and
test/SqrtPriceMath.spec.ts, plus the rounding properties stated in spec/perp_curie.md 1.3."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballast.curie.errors import (
    InsufficientReserves,
    MulDivOverflow,
    PriceOverflow,
    ZeroLiquidity,
    ZeroSqrtPrice,
)
from ballast.curie.univ3.full_math import MAX_UINT256, mul_div, mul_div_rounding_up
from ballast.curie.univ3.sqrt_price_math import (
    get_amount0_delta,
    get_amount0_delta_signed,
    get_amount1_delta,
    get_amount1_delta_signed,
    get_next_sqrt_price_from_amount0_rounding_up,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
)
from ballast.curie.univ3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from tests.curie import encode_price_sqrt

Q128 = 1 << 128
E18 = 10**18
P1 = encode_price_sqrt(1, 1)


# ---- FullMath.spec.ts ----


@pytest.mark.parametrize(
    ("a", "b", "d", "down", "up"),
    [
        (MAX_UINT256, MAX_UINT256, MAX_UINT256, MAX_UINT256, MAX_UINT256),  # 'all max inputs'
        (
            Q128,
            50 * Q128 // 100,
            150 * Q128 // 100,
            Q128 // 3,
            Q128 // 3 + 1,
        ),  # without phantom overflow
        (
            Q128,
            35 * Q128,
            8 * Q128,
            4375 * Q128 // 1000,
            4375 * Q128 // 1000,
        ),  # with phantom overflow
        (Q128, 1000 * Q128, 3000 * Q128, Q128 // 3, Q128 // 3 + 1),  # repeating decimal
    ],
)
def test_mul_div_vectors(a, b, d, down, up):
    assert mul_div(a, b, d) == down
    assert mul_div_rounding_up(a, b, d) == up


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [
        (Q128, 5, 0),
        (Q128, Q128, 0),
        (Q128, Q128, 1),
        (MAX_UINT256, MAX_UINT256, MAX_UINT256 - 1),
    ],
)
def test_mul_div_reverts(a, b, d):
    with pytest.raises(MulDivOverflow):
        mul_div(a, b, d)
    with pytest.raises(MulDivOverflow):
        mul_div_rounding_up(a, b, d)


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [
        (535006138814359, 432862656469423142931042426214547535783388063929571229938474969, 2),
        (
            115792089237316195423570985008687907853269984659341747863450311749907997002549,
            115792089237316195423570985008687907853269984659341747863450311749907997002550,
            115792089237316195423570985008687907853269984653042931687443039491902864365164,
        ),
    ],
)
def test_mul_div_rounding_up_reverts_when_the_carry_overflows(a, b, d):
    assert mul_div(a, b, d) == MAX_UINT256
    with pytest.raises(MulDivOverflow):
        mul_div_rounding_up(a, b, d)


# ---- SqrtPriceMath.spec.ts ----


def test_next_price_from_input_requires_price_and_liquidity():
    with pytest.raises(ZeroSqrtPrice):
        get_next_sqrt_price_from_input(0, 0, E18 // 10, False)
    with pytest.raises(ZeroLiquidity):
        get_next_sqrt_price_from_input(1, 0, E18 // 10, True)


def test_next_price_from_input_fails_if_input_overflows_the_price():
    with pytest.raises(PriceOverflow):
        get_next_sqrt_price_from_input(2**160 - 1, 1024, 1024, False)


@pytest.mark.parametrize(
    ("price", "liquidity", "amount", "zero_for_one", "expected"),
    [
        (1, 1, 2**255, True, 1),  # 'any input amount cannot underflow the price'
        (P1, E18 // 10, 0, True, P1),  # zero input returns the input price
        (P1, E18 // 10, 0, False, P1),
        (P1, E18, E18 // 10, False, 87150978765690771352898345369),  # 0.1 token1
        (P1, E18, E18 // 10, True, 72025602285694852357767227579),  # 0.1 token0
        (P1, 10 * E18, 2**100, True, 624999999995069620),  # amountIn > type(uint96).max
        (P1, 1, MAX_UINT256 // 2, True, 1),  # can return 1 with enough amountIn
        (  # 'sqrtP * sqrtQ overflows'
            1025574284609383690408304870162715216695788925244,
            50015962439936049619261659728067971248,
            406,
            True,
            1025574284609383582644711336373707553698163132913,
        ),
    ],
)
def test_next_price_from_input_vectors(price, liquidity, amount, zero_for_one, expected):
    assert get_next_sqrt_price_from_input(price, liquidity, amount, zero_for_one) == expected


def test_next_price_from_output_requires_price_and_liquidity():
    with pytest.raises(ZeroSqrtPrice):
        get_next_sqrt_price_from_output(0, 0, E18 // 10, False)
    with pytest.raises(ZeroLiquidity):
        get_next_sqrt_price_from_output(1, 0, E18 // 10, True)


@pytest.mark.parametrize(
    ("amount", "zero_for_one"),
    [
        (4, False),  # exactly the virtual reserves of token0
        (5, False),  # more than the virtual reserves of token0
        (262144, True),  # exactly the virtual reserves of token1 (v1.0.0: strict require)
        (262145, True),  # more than the virtual reserves of token1
    ],
)
def test_next_price_from_output_fails_beyond_virtual_reserves(amount, zero_for_one):
    with pytest.raises(InsufficientReserves):
        get_next_sqrt_price_from_output(
            20282409603651670423947251286016, 1024, amount, zero_for_one
        )


@pytest.mark.parametrize("zero_for_one", [True, False])
def test_next_price_from_output_reverts_for_impossible_amount(zero_for_one):
    with pytest.raises((InsufficientReserves, MulDivOverflow)):
        get_next_sqrt_price_from_output(P1, 1, MAX_UINT256, zero_for_one)


@pytest.mark.parametrize(
    ("price", "liquidity", "amount", "zero_for_one", "expected"),
    [
        (P1, E18 // 10, 0, True, P1),
        (P1, E18 // 10, 0, False, P1),
        (P1, E18, E18 // 10, False, 88031291682515930659493278152),  # 0.1 token0 out
        (P1, E18, E18 // 10, True, 71305346262837903834189555302),  # 0.1 token1 out
    ],
)
def test_next_price_from_output_vectors(price, liquidity, amount, zero_for_one, expected):
    assert get_next_sqrt_price_from_output(price, liquidity, amount, zero_for_one) == expected


def test_amount0_delta_vectors():
    assert get_amount0_delta(encode_price_sqrt(2, 1), P1, 0, True) == 0  # liquidity 0
    assert get_amount0_delta(P1, P1, 0, True) == 0  # equal prices
    up = get_amount0_delta(encode_price_sqrt(121, 100), P1, E18, True)
    assert up == 90909090909090910  # 'returns 0.1 amount1 for price of 1 to 1.21'
    assert get_amount0_delta(encode_price_sqrt(121, 100), P1, E18, False) == up - 1
    # 'works for prices that overflow'
    a, b = encode_price_sqrt(2**96, 1), encode_price_sqrt(2**90, 1)
    assert get_amount0_delta(a, b, E18, True) == get_amount0_delta(a, b, E18, False) + 1
    # 'sqrtP * sqrtQ overflows'
    p = 1025574284609383690408304870162715216695788925244
    q = 1025574284609383582644711336373707553698163132913
    assert get_amount0_delta(p, q, 50015962439936049619261659728067971248, True) == 406


def test_amount1_delta_vectors():
    assert get_amount1_delta(P1, encode_price_sqrt(2, 1), 0, True) == 0
    up = get_amount1_delta(P1, encode_price_sqrt(121, 100), E18, True)
    assert up == 10**17
    assert get_amount1_delta(P1, encode_price_sqrt(121, 100), E18, False) == up - 1


def test_amount0_delta_requires_a_positive_price():
    with pytest.raises(ZeroSqrtPrice):
        get_amount0_delta(0, P1, E18, True)


def test_amount0_fallback_when_the_product_overflows_rounds_as_the_reference():
    # amount * S >= 2^256: ceil(L*2^96 / (L*2^96 // S + amount))
    price, liquidity, amount = MAX_SQRT_RATIO - 1, 10**30, 2**200
    numerator = liquidity << 96
    expected = -(-numerator // (numerator // price + amount))
    assert get_next_sqrt_price_from_amount0_rounding_up(price, liquidity, amount, True) == expected


def test_signed_deltas_round_up_when_adding_and_down_when_removing():
    a, b = encode_price_sqrt(1, 1), encode_price_sqrt(121, 100)
    assert get_amount0_delta_signed(a, b, E18) == 90909090909090910
    assert get_amount0_delta_signed(a, b, -E18) == -90909090909090909
    assert get_amount1_delta_signed(a, b, E18) == 10**17
    assert get_amount1_delta_signed(a, b, -E18) == -(10**17 - 1)


prices = st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1)
liquidities = st.integers(1, 2**128 - 1)


@settings(max_examples=300, deadline=None)
@given(prices, liquidities, st.integers(0, 2**200), st.booleans())
def test_input_moves_the_price_no_further_than_the_amount_pays_for(
    price, liquidity, amount, zero_for_one
):
    try:
        nxt = get_next_sqrt_price_from_input(price, liquidity, amount, zero_for_one)
    except (PriceOverflow, MulDivOverflow):
        return
    if zero_for_one:
        assert nxt <= price
        assert get_amount0_delta(nxt, price, liquidity, True) <= amount or nxt == 0
    else:
        assert nxt >= price
        assert get_amount1_delta(price, nxt, liquidity, True) <= amount


@settings(max_examples=300, deadline=None)
@given(prices, liquidities, st.integers(0, 2**128), st.booleans())
def test_output_moves_the_price_far_enough_to_pay_the_amount(
    price, liquidity, amount, zero_for_one
):
    try:
        nxt = get_next_sqrt_price_from_output(price, liquidity, amount, zero_for_one)
    except (InsufficientReserves, PriceOverflow, MulDivOverflow):
        return
    if zero_for_one:
        assert nxt <= price
        assert get_amount1_delta(nxt, price, liquidity, False) >= amount
    else:
        assert nxt >= price
        assert get_amount0_delta(price, nxt, liquidity, False) >= amount


@settings(max_examples=300, deadline=None)
@given(prices, prices, liquidities)
def test_round_up_exceeds_round_down_by_at_most_one(a, b, liquidity):
    for delta in (get_amount0_delta, get_amount1_delta):
        up, down = delta(a, b, liquidity, True), delta(a, b, liquidity, False)
        assert 0 <= up - down <= 1
        assert delta(a, b, liquidity, True) == delta(b, a, liquidity, True)
