"""Signed liquidity deltas applied to uint128 liquidity.

Source: contracts/libraries/LiquidityMath.sol (Uniswap/v3-core)
"""

from __future__ import annotations

from ballast.curie.errors import LiquidityAdd, LiquiditySub

__all__ = ["MAX_UINT128", "add_delta"]

MAX_UINT128 = (1 << 128) - 1


def add_delta(x: int, y: int) -> int:
    """``x + y`` for uint128 liquidity ``x`` and int128 delta ``y`` (liquidity units, exact).

    Raises LiquiditySub ("LS") below 0 and LiquidityAdd ("LA") above 2^128 - 1.

    Source: contracts/libraries/LiquidityMath.sol::addDelta
    """
    z = x + y
    if z < 0:
        raise LiquiditySub(f"liquidity {x} + delta {y} is negative")
    if z > MAX_UINT128:
        raise LiquidityAdd(f"liquidity {x} + delta {y} overflows uint128")
    return z
