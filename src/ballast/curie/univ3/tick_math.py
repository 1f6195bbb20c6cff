"""Ticks <-> Q64.96 sqrt prices: ``sqrt(1.0001^tick) * 2^96``.

Source: contracts/libraries/TickMath.sol (Uniswap/v3-core)
"""

from __future__ import annotations

from functools import lru_cache
from math import floor, log

from ballast.curie.errors import SqrtRatioOutOfRange, TickOutOfRange

__all__ = [
    "MIN_TICK",
    "MAX_TICK",
    "MIN_SQRT_RATIO",
    "MAX_SQRT_RATIO",
    "get_sqrt_ratio_at_tick",
    "get_tick_at_sqrt_ratio",
]

MIN_TICK = -887272
MAX_TICK = 887272
MIN_SQRT_RATIO = 4295128739
MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342

_MAX_UINT256 = (1 << 256) - 1
_Q128 = 1 << 128

# Q128.128 values of 1/sqrt(1.0001)^(2^k) for k = 1..19, applied (each flooring) for every set bit
# of |tick|. Bit 0 seeds the product instead. These constants are the reference's (they *are* the
# rounding), stated in spec/perp_curie.md section 1.1.
_BIT0 = 0xFFFCB933BD6FAD37AA2D162D1A594001
_FACTORS = (
    (0x2, 0xFFF97272373D413259A46990580E213A),
    (0x4, 0xFFF2E50F5F656932EF12357CF3C7FDCC),
    (0x8, 0xFFE5CACA7E10E4E61C3624EAA0941CD0),
    (0x10, 0xFFCB9843D60F6159C9DB58835C926644),
    (0x20, 0xFF973B41FA98C081472E6896DFB254C0),
    (0x40, 0xFF2EA16466C96A3843EC78B326B52861),
    (0x80, 0xFE5DEE046A99A2A811C461F1969C3053),
    (0x100, 0xFCBE86C7900A88AEDCFFC83B479AA3A4),
    (0x200, 0xF987A7253AC413176F2B074CF7815E54),
    (0x400, 0xF3392B0822B70005940C7A398E4B70F3),
    (0x800, 0xE7159475A2C29B7443B29C7FA6E889D9),
    (0x1000, 0xD097F3BDFD2022B8845AD8F792AA5825),
    (0x2000, 0xA9F746462D870FDF8A65DC1F90E061E5),
    (0x4000, 0x70D869A156D2A1B890BB3DF62BAF32F7),
    (0x8000, 0x31BE135F97D08FD981231505542FCFA6),
    (0x10000, 0x9AA508B5B7A84E1C677DE54F3E99BC9),
    (0x20000, 0x5D6AF8DEDB81196699C329225EE604),
    (0x40000, 0x2216E584F5FA1EA926041BEDFE98),
    (0x80000, 0x48A170391F7DC42444E8FA2),
)

_LN_Q96 = 96 * log(2.0)
_HALF_LN_TICK_BASE = log(1.0001) / 2.0


@lru_cache(maxsize=1 << 16)
def get_sqrt_ratio_at_tick(tick: int) -> int:
    """Q64.96 sqrt price at ``tick`` (rounded up from the Q128.128 product; uint160).

    ``|tick|``'s bits select 1/sqrt(1.0001)^(2^k) factors multiplied in Q128.128 (each product
    floored); positive ticks invert with ``(2^256 - 1) // ratio``; the result is the Q128.128
    ratio divided by 2^32, rounded up. Raises TickOutOfRange ("T") outside [MIN_TICK, MAX_TICK].

    Source: contracts/libraries/TickMath.sol::getSqrtRatioAtTick
    """
    if not MIN_TICK <= tick <= MAX_TICK:
        raise TickOutOfRange(f"tick {tick} outside [{MIN_TICK}, {MAX_TICK}]")
    abs_tick = -tick if tick < 0 else tick
    ratio = _BIT0 if abs_tick & 1 else _Q128
    for bit, factor in _FACTORS:
        if abs_tick & bit:
            # unsigned Q128.128 product, floored as in the reference
            ratio = (ratio * factor) >> 128
    if tick > 0:
        ratio = _MAX_UINT256 // ratio
    return (ratio >> 32) + (1 if ratio & 0xFFFFFFFF else 0)


def get_tick_at_sqrt_ratio(sqrt_price_x96: int) -> int:
    """Greatest tick whose sqrt price (``get_sqrt_ratio_at_tick``) is <= ``sqrt_price_x96`` (Q64.96).

    The reference computes a fixed-point log2 and picks between two candidate ticks; it is
    proven to return exactly this tick. Here a double-precision log gives a candidate within one
    tick, which is then corrected with exact integer comparisons, so the result is exact.
    Raises SqrtRatioOutOfRange ("R") unless MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO.

    Source: contracts/libraries/TickMath.sol::getTickAtSqrtRatio
    """
    if not MIN_SQRT_RATIO <= sqrt_price_x96 < MAX_SQRT_RATIO:
        raise SqrtRatioOutOfRange(
            f"sqrt price {sqrt_price_x96} outside [{MIN_SQRT_RATIO}, {MAX_SQRT_RATIO})"
        )
    tick = floor((log(sqrt_price_x96) - _LN_Q96) / _HALF_LN_TICK_BASE)
    if tick > MAX_TICK - 1:
        tick = MAX_TICK - 1
    elif tick < MIN_TICK:
        tick = MIN_TICK
    while get_sqrt_ratio_at_tick(tick) > sqrt_price_x96:
        tick -= 1
    while get_sqrt_ratio_at_tick(tick + 1) <= sqrt_price_x96:
        tick += 1
    return tick
