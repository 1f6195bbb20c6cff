"""Liquidity from token amounts and token amounts from liquidity (all rounding down).

Source: contracts/libraries/LiquidityAmounts.sol (Uniswap/v3-periphery 1.0.1)
"""

from __future__ import annotations

from ballast.curie.errors import MulDivOverflow, SafeCastOverflow
from ballast.curie.univ3.full_math import mul_div

__all__ = [
    "get_liquidity_for_amount0",
    "get_liquidity_for_amount1",
    "get_liquidity_for_amounts",
    "get_amount0_for_liquidity",
    "get_amount1_for_liquidity",
    "get_amounts_for_liquidity",
]

_Q96 = 1 << 96
_MAX_UINT128 = (1 << 128) - 1


def _to_uint128(x: int) -> int:
    if x > _MAX_UINT128:
        raise SafeCastOverflow(f"liquidity {x} overflows uint128")
    return x


def _sorted_range(a: int, b: int) -> tuple[int, int]:
    if a > b:
        a, b = b, a
    if a == b:
        raise MulDivOverflow(f"empty sqrt price range [{a}, {b}]")
    return a, b


def get_liquidity_for_amount0(sqrt_ratio_ax96: int, sqrt_ratio_bx96: int, amount0: int) -> int:
    """Liquidity (uint128) that ``amount0`` token0 wei buys over [A, B] (either order).

    ``floor(amount0 * floor(A*B/2^96) / (B - A))``; SafeCastOverflow past uint128.

    Source: contracts/libraries/LiquidityAmounts.sol::getLiquidityForAmount0
    """
    a, b = _sorted_range(sqrt_ratio_ax96, sqrt_ratio_bx96)
    intermediate = mul_div(a, b, _Q96)
    return _to_uint128(mul_div(amount0, intermediate, b - a))


def get_liquidity_for_amount1(sqrt_ratio_ax96: int, sqrt_ratio_bx96: int, amount1: int) -> int:
    """Liquidity (uint128) that ``amount1`` token1 wei buys over [A, B]: ``floor(amount1*2^96/(B-A))``.

    Source: contracts/libraries/LiquidityAmounts.sol::getLiquidityForAmount1
    """
    a, b = _sorted_range(sqrt_ratio_ax96, sqrt_ratio_bx96)
    return _to_uint128(mul_div(amount1, _Q96, b - a))


def get_liquidity_for_amounts(
    sqrt_ratio_x96: int, sqrt_ratio_ax96: int, sqrt_ratio_bx96: int, amount0: int, amount1: int
) -> int:
    """Largest liquidity both amounts can fund over [A, B] at price ``sqrt_ratio_x96`` (rounds down).

    Price at or below A (``<=``): token0 only; strictly inside: the smaller of the two;
    at or above B: token1 only.

    Source: contracts/libraries/LiquidityAmounts.sol::getLiquidityForAmounts
    """
    if sqrt_ratio_ax96 > sqrt_ratio_bx96:
        sqrt_ratio_ax96, sqrt_ratio_bx96 = sqrt_ratio_bx96, sqrt_ratio_ax96
    if sqrt_ratio_x96 <= sqrt_ratio_ax96:
        return get_liquidity_for_amount0(sqrt_ratio_ax96, sqrt_ratio_bx96, amount0)
    if sqrt_ratio_x96 < sqrt_ratio_bx96:
        liquidity0 = get_liquidity_for_amount0(sqrt_ratio_x96, sqrt_ratio_bx96, amount0)
        liquidity1 = get_liquidity_for_amount1(sqrt_ratio_ax96, sqrt_ratio_x96, amount1)
        return liquidity0 if liquidity0 < liquidity1 else liquidity1
    return get_liquidity_for_amount1(sqrt_ratio_ax96, sqrt_ratio_bx96, amount1)


def get_amount0_for_liquidity(sqrt_ratio_ax96: int, sqrt_ratio_bx96: int, liquidity: int) -> int:
    """Token0 wei held by ``liquidity`` over [A, B]: ``floor(floor(L*2^96*(B-A)/B)/A)``.

    Source: contracts/libraries/LiquidityAmounts.sol::getAmount0ForLiquidity
    """
    if sqrt_ratio_ax96 > sqrt_ratio_bx96:
        sqrt_ratio_ax96, sqrt_ratio_bx96 = sqrt_ratio_bx96, sqrt_ratio_ax96
    if sqrt_ratio_ax96 <= 0:
        raise MulDivOverflow(f"division by sqrt price {sqrt_ratio_ax96}")
    # mulDiv(L << 96, B - A, B) / A: both unsigned floors
    return (
        mul_div(liquidity << 96, sqrt_ratio_bx96 - sqrt_ratio_ax96, sqrt_ratio_bx96)
        // sqrt_ratio_ax96
    )


def get_amount1_for_liquidity(sqrt_ratio_ax96: int, sqrt_ratio_bx96: int, liquidity: int) -> int:
    """Token1 wei held by ``liquidity`` over [A, B]: ``floor(L*(B-A)/2^96)``.

    Source: contracts/libraries/LiquidityAmounts.sol::getAmount1ForLiquidity
    """
    if sqrt_ratio_ax96 > sqrt_ratio_bx96:
        sqrt_ratio_ax96, sqrt_ratio_bx96 = sqrt_ratio_bx96, sqrt_ratio_ax96
    return mul_div(liquidity, sqrt_ratio_bx96 - sqrt_ratio_ax96, _Q96)


def get_amounts_for_liquidity(
    sqrt_ratio_x96: int, sqrt_ratio_ax96: int, sqrt_ratio_bx96: int, liquidity: int
) -> tuple[int, int]:
    """``(amount0, amount1)`` token wei held by ``liquidity`` over [A, B] at ``sqrt_ratio_x96``
    (both rounded down; price comparisons as in get_liquidity_for_amounts).

    Source: contracts/libraries/LiquidityAmounts.sol::getAmountsForLiquidity
    """
    if sqrt_ratio_ax96 > sqrt_ratio_bx96:
        sqrt_ratio_ax96, sqrt_ratio_bx96 = sqrt_ratio_bx96, sqrt_ratio_ax96
    if sqrt_ratio_x96 <= sqrt_ratio_ax96:
        return get_amount0_for_liquidity(sqrt_ratio_ax96, sqrt_ratio_bx96, liquidity), 0
    if sqrt_ratio_x96 < sqrt_ratio_bx96:
        return (
            get_amount0_for_liquidity(sqrt_ratio_x96, sqrt_ratio_bx96, liquidity),
            get_amount1_for_liquidity(sqrt_ratio_ax96, sqrt_ratio_x96, liquidity),
        )
    return 0, get_amount1_for_liquidity(sqrt_ratio_ax96, sqrt_ratio_bx96, liquidity)
