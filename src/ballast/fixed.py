"""Integer helpers with the references' rounding, shared by both engines.

Python's ``//`` floors; Rust's signed ``/`` and Solidity's ``mulDiv`` truncate toward zero.
Every division in an engine goes through one of these helpers, whose name says how it rounds.
Checked casts raise :class:`MathError` past the reference's integer bounds, as the
reference's ``safe_*`` / ``cast_to_*`` helpers do.

Source: programs/drift/src/math/safe_math.rs, programs/drift/src/math/ceil_div.rs,
programs/drift/src/math/floor_div.rs, programs/drift/src/math/casting.rs, programs/drift/src/math/helpers.rs
"""

from __future__ import annotations

from math import isqrt

from ballast.math_error import MathError

__all__ = [
    "MathError",
    "div_trunc",
    "div_floor",
    "div_ceil",
    "mul_div_floor",
    "mul_div_ceil",
    "proportion",
    "proportion_signed",
    "isqrt",
    "iroot4",
    "sign",
    "cast_u32",
    "cast_i32",
    "cast_u64",
    "cast_i64",
    "cast_u128",
    "cast_i128",
    "U32_MAX",
    "U64_MAX",
    "I64_MAX",
    "I64_MIN",
    "U128_MAX",
    "I128_MAX",
    "I128_MIN",
]


U32_MAX = (1 << 32) - 1
I32_MAX = (1 << 31) - 1
I32_MIN = -(1 << 31)
U64_MAX = (1 << 64) - 1
I64_MAX = (1 << 63) - 1
I64_MIN = -(1 << 63)
U128_MAX = (1 << 128) - 1
I128_MAX = (1 << 127) - 1
I128_MIN = -(1 << 127)


def div_trunc(a: int, b: int) -> int:
    """``a / b`` rounded toward zero (Rust signed integer division).

    Source: programs/drift/src/math/safe_math.rs::SafeMath::safe_div (Rust's i128 division)
    """
    try:
        q = a // b
    except ZeroDivisionError:
        raise MathError(f"division by zero: {a} / 0") from None
    if q < 0 and q * b != a:
        q += 1  # floor went one below the truncated quotient
    return q


def div_floor(a: int, b: int) -> int:
    """``a / b`` rounded toward negative infinity.

    Source: programs/drift/src/math/floor_div.rs::CheckedFloorDiv::checked_floor_div
    """
    try:
        return a // b
    except ZeroDivisionError:
        raise MathError(f"division by zero: {a} / 0") from None


def div_ceil(a: int, b: int) -> int:
    """``a / b`` rounded toward positive infinity (Rust ``checked_ceil_div`` for b > 0).

    Rust adds one to the truncated quotient when the remainder is positive, which for a
    positive divisor is the mathematical ceiling for any sign of ``a``.

    Source: programs/drift/src/math/ceil_div.rs::CheckedCeilDiv
    """
    if b == 0:
        raise MathError(f"division by zero: {a} / 0")
    if b < 0:
        a, b = -a, -b
    return -((-a) // b)


def mul_div_floor(a: int, b: int, d: int) -> int:
    """``floor(a * b / d)`` with an exact intermediate.

    Source: contracts/libraries/FullMath.sol::mulDiv (non-negative operands)
    """
    if d == 0:
        raise MathError(f"division by zero: {a} * {b} / 0")
    return (a * b) // d


def mul_div_ceil(a: int, b: int, d: int) -> int:
    """``ceil(a * b / d)`` with an exact intermediate.

    Source: contracts/libraries/FullMath.sol::mulDivRoundingUp (non-negative operands)
    """
    if d == 0:
        raise MathError(f"division by zero: {a} * {b} / 0")
    return -((-(a * b)) // d)


def proportion(value: int, numerator: int, denominator: int) -> int:
    """``floor(value * numerator / denominator)`` for non-negative inputs.

    The reference returns ``value`` unchanged when numerator == denominator (so a zero
    denominator is tolerated there); every other branch equals the floor.

    Source: programs/drift/src/math/helpers.rs::get_proportion_u128
    """
    if numerator == denominator:
        return value
    if value < 0 or numerator < 0:
        raise MathError(f"proportion of negative value {value} * {numerator}")
    if denominator <= 0:
        raise MathError(f"proportion with denominator {denominator}")
    result = value * numerator // denominator
    if result > U128_MAX:
        raise MathError(f"proportion overflows u128: {result}")
    return result


def proportion_signed(value: int, numerator: int, denominator: int) -> int:
    """``sign(value) * floor(|value| * numerator / denominator)`` (truncates toward zero).

    Source: programs/drift/src/math/helpers.rs::get_proportion_i128
    """
    p = proportion(abs(value), numerator, denominator)
    return -p if value < 0 else p


def iroot4(value: int) -> int:
    """Floor of the fourth root of a non-negative integer.

    Source: programs/drift/src/math/bn.rs (nth_root(4) on u128)
    """
    if value < 0:
        raise MathError(f"fourth root of negative value {value}")
    return isqrt(isqrt(value))


def sign(value: int) -> int:
    """-1, 0 or 1."""
    return (value > 0) - (value < 0)


def _out_of_range(value: int, name: str) -> MathError:
    return MathError(f"cast of {value} to {name} out of range")


def cast_u32(value: int) -> int:
    """Checked cast to u32. Source: programs/drift/src/math/casting.rs::Cast"""
    if 0 <= value <= U32_MAX:
        return value
    raise _out_of_range(value, "u32")


def cast_i32(value: int) -> int:
    """Checked cast to i32. Source: programs/drift/src/math/casting.rs::Cast"""
    if I32_MIN <= value <= I32_MAX:
        return value
    raise _out_of_range(value, "i32")


def cast_u64(value: int) -> int:
    """Checked cast to u64. Source: programs/drift/src/math/casting.rs::Cast"""
    if 0 <= value <= U64_MAX:
        return value
    raise _out_of_range(value, "u64")


def cast_i64(value: int) -> int:
    """Checked cast to i64. Source: programs/drift/src/math/casting.rs::Cast"""
    if I64_MIN <= value <= I64_MAX:
        return value
    raise _out_of_range(value, "i64")


def cast_u128(value: int) -> int:
    """Checked cast to u128. Source: programs/drift/src/math/casting.rs::Cast"""
    if 0 <= value <= U128_MAX:
        return value
    raise _out_of_range(value, "u128")


def cast_i128(value: int) -> int:
    """Checked cast to i128. Source: programs/drift/src/math/casting.rs::Cast"""
    if I128_MIN <= value <= I128_MAX:
        return value
    raise _out_of_range(value, "i128")
