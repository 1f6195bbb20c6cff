"""512-bit multiply-then-divide with the reference's overflow revert.

Python integers are exact, so the 512-bit product is simply ``a * b``; what must be kept is the
revert when the denominator is 0 or the quotient does not fit in uint256. Operands are uint256
(non-negative); a floor division of non-negative integers is exactly the reference's result.

Source: contracts/libraries/FullMath.sol (Uniswap/v3-core)
"""

from __future__ import annotations

from ballast.curie.errors import MulDivOverflow

__all__ = ["MAX_UINT256", "mul_div", "mul_div_rounding_up"]

MAX_UINT256 = (1 << 256) - 1


def mul_div(a: int, b: int, denominator: int) -> int:
    """``floor(a * b / denominator)`` for uint256 operands (unitless; rounds down).

    Raises MulDivOverflow when ``denominator`` is 0 or the result exceeds 2^256 - 1.

    Source: contracts/libraries/FullMath.sol::mulDiv
    """
    if denominator <= 0:
        raise MulDivOverflow(f"mulDiv: denominator {denominator} must be positive")
    result = a * b // denominator  # non-negative operands: floor == the reference's truncation
    if result > MAX_UINT256:
        raise MulDivOverflow(f"mulDiv: {a} * {b} / {denominator} overflows uint256")
    return result


def mul_div_rounding_up(a: int, b: int, denominator: int) -> int:
    """``ceil(a * b / denominator)`` for uint256 operands (unitless; rounds up).

    Raises MulDivOverflow when ``denominator`` is 0 or the rounded-up result exceeds 2^256 - 1
    (the reference checks ``result < type(uint256).max`` before adding the carry).

    Source: contracts/libraries/FullMath.sol::mulDivRoundingUp
    """
    if denominator <= 0:
        raise MulDivOverflow(f"mulDivRoundingUp: denominator {denominator} must be positive")
    result, remainder = divmod(a * b, denominator)
    if remainder:
        result += 1
    if result > MAX_UINT256:
        raise MulDivOverflow(f"mulDivRoundingUp: {a} * {b} / {denominator} overflows uint256")
    return result
