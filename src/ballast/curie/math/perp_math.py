"""Fixed-point helpers and constants of Curie (PerpMath, PerpFixedPoint96, SettlementTokenMath).

Signed divisions truncate toward zero (Solidity), via `ballast.fixed.div_trunc`.

Source: contracts/lib/PerpMath.sol, contracts/lib/PerpFixedPoint96.sol,
contracts/lib/SettlementTokenMath.sol, contracts/lib/Funding.sol (period)
"""

from __future__ import annotations

from ballast.fixed import MathError, div_floor, div_trunc

Q96 = 1 << 96
Q128 = 1 << 128
Q192 = 1 << 192
U256 = 1 << 256
ONE_HUNDRED_PERCENT_RATIO = 1_000_000  # ratios are uint24 in millionths
ONE_E18 = 10**18
SETTLEMENT_DECIMALS = 6
SETTLEMENT_SCALE = 10**12  # 18 - 6 decimals
DEFAULT_FUNDING_PERIOD = 86_400  # Funding._DEFAULT_FUNDING_PERIOD, seconds
DUST = 10  # AccountBalance._DUST, wei
EXACT_OUTPUT_DUST = 10  # UniswapV3Broker._DUST, wei
FULLY_CLOSED_RATIO = ONE_E18  # Exchange._FULLY_CLOSED_RATIO
MIN_PARTIAL_LIQUIDATE_POSITION_VALUE = 100 * ONE_E18


def mul_div(a: int, b: int, d: int) -> int:
    """Signed `a·b/d` truncated toward zero: floor(|a|·|b|/|d|) with the sign of a·b/d.

    Source: contracts/lib/PerpMath.sol::mulDiv(int256, int256, uint256)
    """
    if d == 0:
        raise MathError(f"division by zero: {a} * {b} / 0")
    return div_trunc(a * b, d)


def mul_ratio(value: int, ratio: int) -> int:
    """`value · ratio / 1e6`: floor for unsigned values, truncation toward zero for signed.

    Source: contracts/lib/PerpMath.sol::mulRatio
    """
    return div_trunc(value * ratio, ONE_HUNDRED_PERCENT_RATIO)


def mul_div_rounding_up(a: int, b: int, d: int) -> int:
    """ceil(a·b/d) for non-negative operands. Source: contracts/libraries/FullMath.sol::mulDivRoundingUp"""
    if d == 0:
        raise MathError(f"division by zero: {a} * {b} / 0")
    return -((-(a * b)) // d)


def format_sqrt_price_x96_to_price_x96(sqrt_price_x96: int) -> int:
    """priceX96 = floor(S·S/Q96). Source: contracts/lib/PerpMath.sol::formatSqrtPriceX96ToPriceX96"""
    return sqrt_price_x96 * sqrt_price_x96 // Q96


def format_x96_to_x10_18(value_x96: int) -> int:
    """floor(v·1e18/Q96) (non-negative v). Source: contracts/lib/PerpMath.sol::formatX96ToX10_18"""
    return value_x96 * ONE_E18 // Q96


def format_x10_18_to_x96(value: int) -> int:
    """floor(v·Q96/1e18) (non-negative v). Source: contracts/lib/PerpMath.sol::formatX10_18ToX96"""
    return value * Q96 // ONE_E18


def format_sqrt_price_x96_to_price_x10_18(sqrt_price_x96: int) -> int:
    """Price (quote per base, 18 decimals) of a sqrt price, both steps floored.

    Source: contracts/lib/PerpMath.sol::formatSqrtPriceX96ToPriceX96, formatX96ToX10_18 (in that order)
    """
    return format_x96_to_x10_18(format_sqrt_price_x96_to_price_x96(sqrt_price_x96))


def parse_settlement_token(amount: int) -> int:
    """USDC (6 decimals) to 18 decimals: amount·1e12.

    Source: contracts/lib/SettlementTokenMath.sol::parseSettlementToken
    """
    return amount * SETTLEMENT_SCALE


def format_settlement_token(amount: int) -> int:
    """18 decimals to USDC (6 decimals), rounded toward -inf (the reference subtracts one from
    the truncated quotient of a negative non-multiple).

    Source: contracts/lib/SettlementTokenMath.sol::formatSettlementToken(int256, uint8)
    """
    return div_floor(amount, SETTLEMENT_SCALE)


def add_mod_256(a: int, b: int) -> int:
    """(a + b) mod 2^256: uint256 arithmetic of fee growth values (unchecked)."""
    return (a + b) % U256


def sub_mod_256(a: int, b: int) -> int:
    """(a - b) mod 2^256: uint256 arithmetic of fee growth values (unchecked)."""
    return (a - b) % U256
