"""Tests of the Curie twin. Shared helper: ``encode_price_sqrt`` (v3-core test/shared/utilities.ts)."""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal

_CTX = Context(prec=250)
_DP40 = Decimal(1).scaleb(-40)


def encode_price_sqrt(reserve1: int | str, reserve0: int | str) -> int:
    """bignumber.js (40 decimal places, half-up) ``sqrt(reserve1 / reserve0) * 2^96``, floored.

    Source: Uniswap/v3-core test/shared/utilities.ts::encodePriceSqrt; spec/perp_curie.md 1.9
    """
    ratio = _CTX.divide(Decimal(str(reserve1)), Decimal(str(reserve0)))
    ratio = ratio.quantize(_DP40, rounding=ROUND_HALF_UP, context=_CTX)
    root = _CTX.sqrt(ratio).quantize(_DP40, rounding=ROUND_HALF_UP, context=_CTX)
    return int(_CTX.multiply(root, Decimal(2**96)).to_integral_value(rounding=ROUND_FLOOR))
