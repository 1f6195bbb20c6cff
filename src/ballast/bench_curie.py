"""`ballast bench curie`: swaps per second on the Curie engine, measured by the project itself.

A pool at fee tier 0.3 % (tick spacing 60) holds one wide range plus 40 adjacent ranges of one
tick spacing each, so ticks -1200 .. 1200 are initialized every 60. Swaps alternate direction
between two sqrt-price limits (a huge exact input stopped by the limit), so the price stays
bounded and every swap crosses exactly 0 (ticks 10 <-> 50), 1 (30 <-> 90) or 10 (30 <-> 630)
initialized ticks. Two layers are timed:

* `pool`: the virtual Uniswap v3 pool alone (`univ3.pool.swap`);
* `clearing_house`: `ClearingHouse.open_position` by one taker against the same ranges added
  by one maker: funding settlement, Curie's replay (fees, insurance-fund share, tick records),
  the pool swap, Pool Party volume accumulators, pnl realization, margin check and the atomic
  snapshot. The clock advances one second per swap; the mark price is the 2.11 formula.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ballast.curie.clearing_house import ClearingHouse
from ballast.curie.univ3 import pool as univ3_pool
from ballast.curie.univ3 import tick_math

__all__ = ["CurieBenchResult", "CROSSINGS", "bench_curie"]

SPACING = 60
RANGES = 40  # adjacent ranges [60k, 60(k+1)) for k = -20 .. 19
LIQUIDITY = 10**24
WIDE_LIQUIDITY = 10**23
# ticks crossed -> (low tick, high tick) the price alternates between
CROSSINGS = {0: (10, 50), 1: (30, 90), 10: (30, 630)}
HUGE = 10**40
T0 = 1_704_088_800
E18 = 10**18


@dataclass(frozen=True)
class CurieBenchResult:
    """One run: `wall_seconds` (perf_counter) and `cpu_seconds` (process_time) of the swap loop
    alone; the rates are per wall second, as the table has always shown them."""

    layer: str
    ticks_crossed: int
    swaps: int
    wall_seconds: float
    cpu_seconds: float = 0.0

    @property
    def swaps_per_second(self) -> float:
        return self.swaps / self.wall_seconds

    @property
    def microseconds_per_swap(self) -> float:
        return self.wall_seconds / self.swaps * 1e6

    def row(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "ticks_crossed": self.ticks_crossed,
            "swaps": self.swaps,
            "wall_seconds": self.wall_seconds,
            "cpu_seconds": self.cpu_seconds,
            "swaps_per_second": self.swaps_per_second,
            "microseconds_per_swap": self.microseconds_per_swap,
        }


def _ranges() -> list[tuple[int, int]]:
    half = RANGES // 2
    return [(SPACING * k, SPACING * (k + 1)) for k in range(-half, half)]


def _limits(ticks_crossed: int) -> tuple[int, int]:
    low, high = CROSSINGS[ticks_crossed]
    return tick_math.get_sqrt_ratio_at_tick(low), tick_math.get_sqrt_ratio_at_tick(high)


def _bench_pool(ticks_crossed: int, swaps: int) -> CurieBenchResult:
    low, high = _limits(ticks_crossed)
    pool = univ3_pool.UniswapV3Pool(fee=3000, tick_spacing=SPACING)
    univ3_pool.initialize(pool, low, T0)
    univ3_pool.mint(pool, "lp", -60_000, 60_000, WIDE_LIQUIDITY, T0)
    for lower, upper in _ranges():
        univ3_pool.mint(pool, "lp", lower, upper, LIQUIDITY, T0)
    swap = univ3_pool.swap
    cpu_start, start = time.process_time(), time.perf_counter()
    for i in range(swaps):
        if i & 1:
            swap(pool, True, HUGE, low, T0 + i)
        else:
            swap(pool, False, HUGE, high, T0 + i)
    wall = time.perf_counter() - start
    return CurieBenchResult("pool", ticks_crossed, swaps, wall, time.process_time() - cpu_start)


def _bench_clearing_house(ticks_crossed: int, swaps: int) -> CurieBenchResult:
    low, high = _limits(ticks_crossed)
    ch = ClearingHouse()
    ch.update_clock(T0)
    ch.add_pool("ETH", low, 3000, 1000, 100_000)
    ch.deposit("maker", 10**15)
    ch.deposit("taker", 10**15)
    ch.add_liquidity("maker", "ETH", 10**24, 10**24, -60_000, 60_000)
    for lower, upper in _ranges():
        ch.add_liquidity("maker", "ETH", 10**23, 10**23, lower, upper)
    open_position = ch.open_position
    cpu_start, start = time.process_time(), time.perf_counter()
    for i in range(swaps):
        ch.now = T0 + 1 + i  # update_clock without its validation, as a block timestamp
        if i & 1:
            open_position("taker", "ETH", True, True, 10**27, 0, low)
        else:
            open_position("taker", "ETH", False, True, 10**27, 0, high)
    wall = time.perf_counter() - start
    return CurieBenchResult("clearing_house", ticks_crossed, swaps, wall, time.process_time() - cpu_start)


def bench_curie(layer: str, ticks_crossed: int, swaps: int) -> CurieBenchResult:
    """Time `swaps` alternating swaps crossing `ticks_crossed` (0, 1 or 10) initialized ticks
    on `layer` ("pool" or "clearing_house")."""
    if ticks_crossed not in CROSSINGS:
        raise ValueError(f"ticks_crossed must be one of {sorted(CROSSINGS)}, got {ticks_crossed}")
    if layer == "pool":
        return _bench_pool(ticks_crossed, swaps)
    if layer == "clearing_house":
        return _bench_clearing_house(ticks_crossed, swaps)
    raise ValueError(f"layer must be 'pool' or 'clearing_house', got {layer!r}")
