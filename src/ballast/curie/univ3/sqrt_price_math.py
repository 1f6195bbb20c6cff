"""Token amounts between sqrt prices and the next sqrt price after an amount, with their rounding.

Sqrt prices are Q64.96 (uint160), liquidity is uint128, amounts are token wei (uint256).
Every quotient here is of non-negative integers, so a floor division is the reference's.

Source: contracts/libraries/SqrtPriceMath.sol, contracts/libraries/UnsafeMath.sol::divRoundingUp (Uniswap/v3-core v1.0.0)
"""

from __future__ import annotations

from ballast.curie.errors import (
    InsufficientReserves,
    MulDivOverflow,
    PriceOverflow,
    SafeCastOverflow,
    ZeroLiquidity,
    ZeroSqrtPrice,
)

__all__ = [
    "get_next_sqrt_price_from_amount0_rounding_up",
    "get_next_sqrt_price_from_amount1_rounding_down",
    "get_next_sqrt_price_from_input",
    "get_next_sqrt_price_from_output",
    "get_amount0_delta",
    "get_amount1_delta",
    "get_amount0_delta_signed",
    "get_amount1_delta_signed",
]

_Q96 = 1 << 96
_MAX_UINT160 = (1 << 160) - 1
_TWO_256 = 1 << 256
_MAX_INT256 = (1 << 255) - 1


def get_next_sqrt_price_from_amount0_rounding_up(
    sqrt_px96: int, liquidity: int, amount: int, add: bool
) -> int:
    """Sqrt price (Q64.96) after adding/removing ``amount`` token0 at ``liquidity``; rounds up.

    Uses ``ceil(L*2^96 * S / (L*2^96 +- amount*S))``; when adding and ``amount*S`` or the
    denominator would overflow 256 bits, falls back to ``ceil(L*2^96 / (L*2^96 // S + amount))``
    exactly as the reference does (that fallback rounds differently). Removing requires
    ``amount*S < 2^256`` and ``L*2^96 > amount*S`` (else InsufficientReserves) and a result that
    fits in uint160 (else PriceOverflow).

    Source: contracts/libraries/SqrtPriceMath.sol::getNextSqrtPriceFromAmount0RoundingUp
    """
    if amount == 0:
        return sqrt_px96
    numerator1 = liquidity << 96
    product = amount * sqrt_px96
    if add:
        if product < _TWO_256:
            denominator = numerator1 + product
            if denominator < _TWO_256:
                q, r = divmod(numerator1 * sqrt_px96, denominator)
                return q + 1 if r else q
        denominator1 = numerator1 // sqrt_px96 + amount
        if denominator1 >= _TWO_256:
            raise PriceOverflow(f"amount0 {amount} overflows the price denominator")
        q, r = divmod(numerator1, denominator1)
        return q + 1 if r else q
    if product >= _TWO_256 or numerator1 <= product:
        raise InsufficientReserves(
            f"removing amount0 {amount} at sqrt price {sqrt_px96} and liquidity {liquidity} "
            "exhausts the virtual reserves"
        )
    q, r = divmod(numerator1 * sqrt_px96, numerator1 - product)
    if r:
        q += 1
    if q >= _TWO_256:
        raise MulDivOverflow(f"next sqrt price {q} overflows uint256")
    if q > _MAX_UINT160:
        raise PriceOverflow(f"next sqrt price {q} overflows uint160")
    return q


def get_next_sqrt_price_from_amount1_rounding_down(
    sqrt_px96: int, liquidity: int, amount: int, add: bool
) -> int:
    """Sqrt price (Q64.96) after adding/removing ``amount`` token1 at ``liquidity``; rounds down.

    ``S + floor(amount*2^96 / L)`` when adding (must fit uint160, else PriceOverflow);
    ``S - ceil(amount*2^96 / L)`` when removing (requires ``S`` above the quotient, else
    InsufficientReserves). A quotient of 2^256 or more reverts in the reference's mulDiv.

    Source: contracts/libraries/SqrtPriceMath.sol::getNextSqrtPriceFromAmount1RoundingDown
    """
    if liquidity <= 0:
        raise MulDivOverflow(f"division by liquidity {liquidity}")
    if add:
        quotient = (amount << 96) // liquidity
        if quotient >= _TWO_256:
            raise MulDivOverflow(f"amount1 {amount} * 2^96 / {liquidity} overflows uint256")
        result = sqrt_px96 + quotient
        if result > _MAX_UINT160:
            raise PriceOverflow(f"next sqrt price {result} overflows uint160")
        return result
    quotient, r = divmod(amount << 96, liquidity)
    if r:
        quotient += 1
    if quotient >= _TWO_256:
        raise MulDivOverflow(f"amount1 {amount} * 2^96 / {liquidity} overflows uint256")
    if sqrt_px96 <= quotient:
        raise InsufficientReserves(
            f"removing amount1 {amount} at sqrt price {sqrt_px96} and liquidity {liquidity} "
            "exhausts the virtual reserves"
        )
    return sqrt_px96 - quotient


def get_next_sqrt_price_from_input(
    sqrt_px96: int, liquidity: int, amount_in: int, zero_for_one: bool
) -> int:
    """Sqrt price (Q64.96) after ``amount_in`` of token0 (zero_for_one) or token1 is added.

    Rounds so the target is never passed (token0: up, token1: down). Raises ZeroSqrtPrice /
    ZeroLiquidity for a zero price or liquidity.

    Source: contracts/libraries/SqrtPriceMath.sol::getNextSqrtPriceFromInput
    """
    if sqrt_px96 <= 0:
        raise ZeroSqrtPrice(f"sqrt price {sqrt_px96} must be positive")
    if liquidity <= 0:
        raise ZeroLiquidity(f"liquidity {liquidity} must be positive")
    if zero_for_one:
        return get_next_sqrt_price_from_amount0_rounding_up(sqrt_px96, liquidity, amount_in, True)
    return get_next_sqrt_price_from_amount1_rounding_down(sqrt_px96, liquidity, amount_in, True)


def get_next_sqrt_price_from_output(
    sqrt_px96: int, liquidity: int, amount_out: int, zero_for_one: bool
) -> int:
    """Sqrt price (Q64.96) after ``amount_out`` of token1 (zero_for_one) or token0 is removed.

    Rounds so the target is at least reached (token1 removal: down, token0 removal: up).
    Raises ZeroSqrtPrice / ZeroLiquidity for a zero price or liquidity.

    Source: contracts/libraries/SqrtPriceMath.sol::getNextSqrtPriceFromOutput
    """
    if sqrt_px96 <= 0:
        raise ZeroSqrtPrice(f"sqrt price {sqrt_px96} must be positive")
    if liquidity <= 0:
        raise ZeroLiquidity(f"liquidity {liquidity} must be positive")
    if zero_for_one:
        return get_next_sqrt_price_from_amount1_rounding_down(
            sqrt_px96, liquidity, amount_out, False
        )
    return get_next_sqrt_price_from_amount0_rounding_up(sqrt_px96, liquidity, amount_out, False)


def get_amount0_delta(
    sqrt_ratio_ax96: int, sqrt_ratio_bx96: int, liquidity: int, round_up: bool
) -> int:
    """Token0 wei for ``liquidity`` between two sqrt prices (either order; uint256).

    ``L*2^96*(B-A)/B/A`` as two divisions: up = ``ceil(ceil(L*2^96*(B-A)/B)/A)``,
    down = ``floor(floor(L*2^96*(B-A)/B)/A)``. Raises ZeroSqrtPrice when the lower price is 0.

    Source: contracts/libraries/SqrtPriceMath.sol::getAmount0Delta
    """
    if sqrt_ratio_ax96 > sqrt_ratio_bx96:
        sqrt_ratio_ax96, sqrt_ratio_bx96 = sqrt_ratio_bx96, sqrt_ratio_ax96
    if sqrt_ratio_ax96 <= 0:
        raise ZeroSqrtPrice(f"sqrt price {sqrt_ratio_ax96} must be positive")
    product = (liquidity << 96) * (sqrt_ratio_bx96 - sqrt_ratio_ax96)
    if round_up:
        q, r = divmod(product, sqrt_ratio_bx96)
        if r:
            q += 1
        q, r = divmod(q, sqrt_ratio_ax96)
        return q + 1 if r else q
    return product // sqrt_ratio_bx96 // sqrt_ratio_ax96


def get_amount1_delta(
    sqrt_ratio_ax96: int, sqrt_ratio_bx96: int, liquidity: int, round_up: bool
) -> int:
    """Token1 wei for ``liquidity`` between two sqrt prices (either order; uint256).

    ``L*(B-A)/2^96`` rounded up (``round_up``) or down.

    Source: contracts/libraries/SqrtPriceMath.sol::getAmount1Delta
    """
    if sqrt_ratio_ax96 > sqrt_ratio_bx96:
        sqrt_ratio_ax96, sqrt_ratio_bx96 = sqrt_ratio_bx96, sqrt_ratio_ax96
    product = liquidity * (sqrt_ratio_bx96 - sqrt_ratio_ax96)
    if round_up:
        return (product >> 96) + (1 if product & (_Q96 - 1) else 0)
    return product >> 96


def get_amount0_delta_signed(sqrt_ratio_ax96: int, sqrt_ratio_bx96: int, liquidity: int) -> int:
    """Signed token0 wei for a liquidity *delta* (int128): rounded up when adding, and minus the
    rounded-down amount of ``|liquidity|`` when removing (int256).

    Source: contracts/libraries/SqrtPriceMath.sol::getAmount0Delta (int128 overload)
    """
    if liquidity < 0:
        amount = get_amount0_delta(sqrt_ratio_ax96, sqrt_ratio_bx96, -liquidity, False)
        sign = -1
    else:
        amount = get_amount0_delta(sqrt_ratio_ax96, sqrt_ratio_bx96, liquidity, True)
        sign = 1
    if amount > _MAX_INT256:
        raise SafeCastOverflow(f"amount0 {amount} overflows int256")
    return sign * amount


def get_amount1_delta_signed(sqrt_ratio_ax96: int, sqrt_ratio_bx96: int, liquidity: int) -> int:
    """Signed token1 wei for a liquidity *delta* (int128): rounded up when adding, and minus the
    rounded-down amount of ``|liquidity|`` when removing (int256).

    Source: contracts/libraries/SqrtPriceMath.sol::getAmount1Delta (int128 overload)
    """
    if liquidity < 0:
        amount = get_amount1_delta(sqrt_ratio_ax96, sqrt_ratio_bx96, -liquidity, False)
        sign = -1
    else:
        amount = get_amount1_delta(sqrt_ratio_ax96, sqrt_ratio_bx96, liquidity, True)
        sign = 1
    if amount > _MAX_INT256:
        raise SafeCastOverflow(f"amount1 {amount} overflows int256")
    return sign * amount
