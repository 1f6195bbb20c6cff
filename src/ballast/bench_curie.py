"""`ballast bench curie`: swaps per second on the Curie engine, measured by the project itself.

A pool at fee tier 0.3 % (tick spacing 60) holds one wide range plus 40 (`ranges`) adjacent
ranges of one tick spacing each, so ticks -1200 .. 1200 are initialized every 60 (with n ranges:
-60·(n//2) .. 60·(n - n//2)). Swaps alternate direction
between two sqrt-price limits (a huge exact input stopped by the limit), so the price stays
bounded and every swap crosses exactly 0 (ticks 10 <-> 50), 1 (30 <-> 90) or 10 (30 <-> 630)
initialized ticks. Two layers are timed:

* `pool`: the virtual Uniswap v3 pool alone (`univ3.pool.swap`);
* `clearing_house`: `ClearingHouse.open_position` by one taker against the same ranges added
  by one maker: funding settlement, Curie's replay (fees, insurance-fund share, tick records),
  the pool swap, Pool Party volume accumulators, pnl realization, margin check and the atomic
  snapshot. The clock advances one second per swap; the mark price is the 2.11 formula.

`bench_curie_ranges` times `open_position` crossing 0 ticks with each number of maker ranges in
the market: a trade's cost should not depend on it (issue 12: max/min <= 1.15).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ballast.curie.clearing_house import ClearingHouse
from ballast.curie.univ3 import pool as univ3_pool
from ballast.curie.univ3 import tick_math

__all__ = ["CurieBenchResult", "CROSSINGS", "MAX_RANGES", "RANGES", "bench_curie", "bench_curie_ranges", "ranges_ratio"]

SPACING = 60
RANGES = 40  # adjacent ranges [60k, 60(k+1)) for k = -20 .. 19
MAX_RANGES = 1998  # all inside the wide range [-60000, 60000)
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
    ranges: int = RANGES

    @property
    def swaps_per_second(self) -> float:
        return self.swaps / self.wall_seconds

    @property
    def microseconds_per_swap(self) -> float:
        return self.wall_seconds / self.swaps * 1e6

    @property
    def swaps_per_cpu_second(self) -> float:
        return self.swaps / self.cpu_seconds if self.cpu_seconds > 0 else float("inf")

    def row(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "ticks_crossed": self.ticks_crossed,
            "ranges": self.ranges,
            "swaps": self.swaps,
            "wall_seconds": self.wall_seconds,
            "cpu_seconds": self.cpu_seconds,
            "swaps_per_second": self.swaps_per_second,
            "microseconds_per_swap": self.microseconds_per_swap,
            "swaps_per_cpu_second": self.swaps_per_cpu_second,
        }


def _ranges(count: int = RANGES) -> list[tuple[int, int]]:
    half = count // 2
    return [(SPACING * k, SPACING * (k + 1)) for k in range(-half, count - half)]


def _limits(ticks_crossed: int) -> tuple[int, int]:
    low, high = CROSSINGS[ticks_crossed]
    return tick_math.get_sqrt_ratio_at_tick(low), tick_math.get_sqrt_ratio_at_tick(high)


def _bench_pool(ticks_crossed: int, swaps: int, ranges: int = RANGES) -> CurieBenchResult:
    low, high = _limits(ticks_crossed)
    pool = univ3_pool.UniswapV3Pool(fee=3000, tick_spacing=SPACING)
    univ3_pool.initialize(pool, low, T0)
    univ3_pool.mint(pool, "lp", -60_000, 60_000, WIDE_LIQUIDITY, T0)
    for lower, upper in _ranges(ranges):
        univ3_pool.mint(pool, "lp", lower, upper, LIQUIDITY, T0)
    swap = univ3_pool.swap
    cpu_start, start = time.process_time(), time.perf_counter()
    for i in range(swaps):
        if i & 1:
            swap(pool, True, HUGE, low, T0 + i)
        else:
            swap(pool, False, HUGE, high, T0 + i)
    wall = time.perf_counter() - start
    return CurieBenchResult("pool", ticks_crossed, swaps, wall, time.process_time() - cpu_start, ranges)


def _bench_clearing_house(ticks_crossed: int, swaps: int, ranges: int = RANGES) -> CurieBenchResult:
    low, high = _limits(ticks_crossed)
    ch = ClearingHouse()
    ch.update_clock(T0)
    ch.add_pool("ETH", low, 3000, 1000, 100_000)
    ch.deposit("maker", 10**15)
    ch.deposit("taker", 10**15)
    ch.add_liquidity("maker", "ETH", 10**24, 10**24, -60_000, 60_000)
    for lower, upper in _ranges(ranges):
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
    return CurieBenchResult("clearing_house", ticks_crossed, swaps, wall, time.process_time() - cpu_start, ranges)


def bench_curie(layer: str, ticks_crossed: int, swaps: int, ranges: int = RANGES) -> CurieBenchResult:
    """Time `swaps` alternating swaps crossing `ticks_crossed` (0, 1 or 10) initialized ticks
    on `layer` ("pool" or "clearing_house") with `ranges` maker ranges in the pool (the 1 and
    10 crossing counts hold from 22 ranges up)."""
    if ticks_crossed not in CROSSINGS:
        raise ValueError(f"ticks_crossed must be one of {sorted(CROSSINGS)}, got {ticks_crossed}")
    if not 1 <= ranges <= MAX_RANGES:
        raise ValueError(f"ranges must be in [1, {MAX_RANGES}], got {ranges}")
    if layer == "pool":
        return _bench_pool(ticks_crossed, swaps, ranges)
    if layer == "clearing_house":
        return _bench_clearing_house(ticks_crossed, swaps, ranges)
    raise ValueError(f"layer must be 'pool' or 'clearing_house', got {layer!r}")


def bench_curie_ranges(range_counts: list[int], positions: int, runs: int) -> list[CurieBenchResult]:
    """`open_position` crossing 0 ticks with each number of maker ranges: the best (lowest wall
    time) of `runs` runs per count. Runs are interleaved across the counts (count a, b, a, b,
    ...) so a change in the machine's load weighs on every count alike."""
    best: dict[int, CurieBenchResult] = {}
    for _ in range(runs):
        for count in range_counts:
            result = bench_curie("clearing_house", 0, positions, count)
            if count not in best or result.wall_seconds < best[count].wall_seconds:
                best[count] = result
    return [best[count] for count in range_counts]


def ranges_ratio(results: list[CurieBenchResult], cpu: bool = False) -> float:
    """max/min of the rates (per wall second, or per CPU second with `cpu`) across results:
    1.0 when a trade costs the same whatever the number of ranges."""
    rates = [r.swaps_per_cpu_second if cpu else r.swaps_per_second for r in results]
    return max(rates) / min(rates)
