"""Benchmarks behind `ballast bench`: measured by the project itself, never by timed tests.

`fills`: market orders placed and taken against the AMM (`place_and_take_perp_order`) by users
picked round-robin, with the oracle moving and funding due every hour of simulated time, so every
fill runs the AMM update, the swap, fees, the taker's margin check and the funding check.
With `lps` BAL providers in the market every fill is also split with them (per-LP accumulators);
the providers are never iterated in the fill path, so the per-fill cost must not grow with them.
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass

from ballast.drift.constants import BASE_PRECISION, PRICE_PRECISION
from ballast.drift.presets import add_perp_market, fund_user, new_exchange
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.user import OrderType, PositionDirection
from ballast.engine import engine_status
from ballast.fixed import div_floor

__all__ = ["FillBenchResult", "bench_fills", "BENCH_LP_SHARE_PCT"]

# BAL providers hold this percentage of the market's liquidity (sqrt_k) between them, whatever
# their number, so runs with different provider counts trade against the same curve depth.
BENCH_LP_SHARE_PCT = 10


@dataclass(frozen=True)
class FillBenchResult:
    users: int
    fills: int
    seconds: float
    funding_updates: int
    lps: int = 0

    @property
    def fills_per_second(self) -> float:
        return self.fills / self.seconds

    @property
    def microseconds_per_fill(self) -> float:
        return self.seconds / self.fills * 1e6


def bench_fills(users: int, fills: int, seconds_per_fill: int = 3, lps: int = 0) -> FillBenchResult:
    """Time `fills` place-and-take market orders of 0.1-1 SOL spread over `users` subaccounts.

    Each fill happens `seconds_per_fill` simulated seconds after the previous one, with a fresh
    oracle reading that drifts +/- $0.01; directions alternate so inventory stays bounded.
    Before timing, `lps` BAL providers each add an equal part of BENCH_LP_SHARE_PCT% of the
    market's sqrt_k once (floored to the step), so every fill is split with them.
    """
    exchange = new_exchange()
    base_liquidity = 1_000_000
    market_index = add_perp_market(exchange, price_dollars=100, base_liquidity=base_liquidity)
    names = [f"trader{i}" for i in range(users)]
    for name in names:
        fund_user(exchange, name, 100_000)
    if lps > 0:
        step = exchange.perp_market(market_index).amm.order_step_size
        total_shares = div_floor(base_liquidity * BASE_PRECISION * BENCH_LP_SHARE_PCT, 100)
        shares = max(step, div_floor(div_floor(total_shares, lps), step) * step)
        # about $4.2 of initial margin per share at $100 (10% of the asks slice): fund $20
        dollars = 1_000 + div_floor(shares * 20, BASE_PRECISION)
        for i in range(lps):
            provider = f"lp{i}"
            fund_user(exchange, provider, dollars)
            exchange.add_perp_lp_shares(provider, 0, market_index, shares)
    price = 100 * PRICE_PRECISION
    start_ts = exchange.now
    orders = [
        OrderParams(
            order_type=OrderType.Market,
            direction=PositionDirection.Long if i % 2 == 0 else PositionDirection.Short,
            base_asset_amount=BASE_PRECISION // 10 * (1 + i % 10),
            market_index=market_index,
        )
        for i in range(20)
    ]
    events_before = len(exchange.events)
    started = time.perf_counter()
    for i in range(fills):
        exchange.update_clock(start_ts + (i + 1) * seconds_per_fill)
        price += 10_000 if (i // 7) % 2 == 0 else -10_000
        exchange.update_oracle_price(market_index, price, confidence=price // 10_000)
        exchange.place_and_take_perp_order(names[i % users], 0, orders[i % 20])
    seconds = time.perf_counter() - started
    funding_updates = sum(
        1 for event in exchange.events[events_before:] if type(event).__name__ == "FundingRateRecord"
    )
    if not exchange.audit().balanced:
        raise AssertionError("benchmark run left the exchange unbalanced")
    return FillBenchResult(users, fills, seconds, funding_updates, lps)


@dataclass(frozen=True)
class BacktestBenchResult:
    scenario: str
    steps: int
    engine_events: int
    seconds: float
    peak_rss_mib: float

    @property
    def events_per_second(self) -> float:
        return self.engine_events / self.seconds

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds


def bench_backtest(scenario_path: str) -> BacktestBenchResult:
    """Time one backtest (simulation only: no run folder or report) and count the engine events
    it produced; peak resident memory of this process so far (MiB, from getrusage)."""
    import resource

    from ballast.sim import Backtest, load_scenario

    scenario = load_scenario(scenario_path)
    started = time.perf_counter()
    result = Backtest(scenario).run()
    seconds = time.perf_counter() - started
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return BacktestBenchResult(
        scenario_path, scenario.n_steps, len(result.events), seconds, peak_rss_mib
    )


def machine_info() -> str:
    """CPU model, logical cores, Python implementation and version, and whether the Drift
    engine runs compiled (mypyc) or interpreted."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{model}, {os.cpu_count()} logical cores, {platform.python_implementation()} "
        f"{platform.python_version()} on {platform.system()} {platform.machine()}; "
        f"Drift engine {engine_status().describe()}"
    )
