"""Benchmarks behind `ballast bench`: measured by the project itself, never by timed tests.

`fills`: market orders placed and taken against the AMM (`place_and_take_perp_order`) by users
picked round-robin, with the oracle moving and funding due every hour of simulated time, so every
fill runs the AMM update, the swap, fees, the taker's margin check and the funding check.
With `lps` BAL providers in the market every fill is also split with them (per-LP accumulators);
the providers are never iterated in the fill path, so the per-fill cost must not grow with them.

`backtest`: one whole backtest (optionally with its run folder and report), each measured run in
a fresh process so its peak resident memory is its own.

Every benchmark result gives `row()`, a flat record whose field names carry their units, and
`machine_info()` the facts about the machine; `bench_document` puts them in the one JSON
document `ballast bench ... --json` prints.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from ballast.drift.constants import BASE_PRECISION, PRICE_PRECISION
from ballast.drift.presets import add_perp_market, fund_user, new_exchange
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.user import OrderType, PositionDirection
from ballast.engine import engine_status
from ballast.fixed import div_floor

__all__ = [
    "BENCH_LP_SHARE_PCT",
    "FILL_SIZES",
    "BacktestBenchResult",
    "FillBenchResult",
    "MachineInfo",
    "bench_backtest",
    "bench_document",
    "bench_fills",
    "fill_cycles",
    "machine_info",
]

# BAL providers hold this percentage of the market's liquidity (sqrt_k) between them, whatever
# their number, so runs with different provider counts trade against the same curve depth.
BENCH_LP_SHARE_PCT = 10

# Order sizes (base, 1e9) of each trader's cycle in `fills`: 0.1 .. 1.0 SOL, each opened then closed.
FILL_SIZES = tuple(BASE_PRECISION // 10 * k for k in range(1, 11))


@dataclass(frozen=True)
class MachineInfo:
    """The machine a benchmark ran on, as `ballast bench` prints it (table footer and JSON)."""

    cpu_model: str
    logical_cores: int | None
    python_implementation: str
    python_version: str
    system: str
    machine_arch: str
    engine_build: str  # ballast.engine.EngineStatus.describe(): "compiled (mypyc)", "interpreted ..."

    def describe(self) -> str:
        return (
            f"{self.cpu_model}, {self.logical_cores} logical cores, {self.python_implementation} "
            f"{self.python_version} on {self.system} {self.machine_arch}; Drift engine {self.engine_build}"
        )

    def __str__(self) -> str:
        return self.describe()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def machine_info() -> MachineInfo:
    """CPU model (from /proc/cpuinfo where there is one), logical cores, Python implementation
    and version, operating system and architecture, and whether the Drift engine runs compiled
    (mypyc) or interpreted."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return MachineInfo(
        cpu_model=model,
        logical_cores=os.cpu_count(),
        python_implementation=platform.python_implementation(),
        python_version=platform.python_version(),
        system=platform.system(),
        machine_arch=platform.machine(),
        engine_build=engine_status().describe(),
    )


def bench_document(command: str, parameters: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The JSON document of `ballast bench <command> --json`: the command, its parameters, the
    machine (`MachineInfo` fields) and one record per table row."""
    return {
        "command": command,
        "parameters": parameters,
        "machine": machine_info().as_dict(),
        "rows": rows,
    }


@dataclass(frozen=True)
class FillBenchResult:
    """One `fills` run: `wall_seconds` (perf_counter) and `cpu_seconds` (process_time) of the
    fill loop alone; the rates are per wall second, as the table has always shown them."""

    users: int
    fills: int
    wall_seconds: float
    funding_updates: int
    lps: int = 0
    cpu_seconds: float = 0.0

    @property
    def fills_per_second(self) -> float:
        return self.fills / self.wall_seconds

    @property
    def microseconds_per_fill(self) -> float:
        return self.wall_seconds / self.fills * 1e6

    def row(self) -> dict[str, Any]:
        return {
            "users": self.users,
            "bal_providers": self.lps,
            "fills": self.fills,
            "wall_seconds": self.wall_seconds,
            "cpu_seconds": self.cpu_seconds,
            "fills_per_second": self.fills_per_second,
            "microseconds_per_fill": self.microseconds_per_fill,
            "funding_updates": self.funding_updates,
        }


def fill_cycles(market_index: int) -> tuple[tuple[OrderParams, ...], tuple[OrderParams, ...]]:
    """The two 20-order cycles of `fills`, for even- and odd-numbered traders.

    A trader's n-th own fill is cycle[n % 20]: sizes FILL_SIZES[n // 2 % 10] (0.1, 0.1, 0.2, 0.2,
    ..., 1.0, 1.0 SOL) with the direction flipping every fill, so it opens a position and closes
    it with its next fill: its base position is always 0 or one order (at most 1 SOL), whatever
    the number of users and fills. Even-numbered traders open long, odd-numbered short, so in each
    round over the users the AMM's net position also stays within one order.
    Rationale: directions alternating by global fill index gave every trader of an even user
    count the same direction forever, until it ran out of collateral (issue 12).
    """

    def order(size: int, long: bool) -> OrderParams:
        return OrderParams(
            order_type=OrderType.Market,
            direction=PositionDirection.Long if long else PositionDirection.Short,
            base_asset_amount=size,
            market_index=market_index,
        )

    even = tuple(order(FILL_SIZES[n // 2 % 10], n % 2 == 0) for n in range(20))
    odd = tuple(order(FILL_SIZES[n // 2 % 10], n % 2 == 1) for n in range(20))
    return even, odd


def bench_fills(users: int, fills: int, seconds_per_fill: int = 3, lps: int = 0) -> FillBenchResult:
    """Time `fills` place-and-take market orders of 0.1-1 SOL spread round-robin over `users`
    subaccounts.

    Each fill happens `seconds_per_fill` simulated seconds after the previous one, with a fresh
    oracle reading that drifts +/- $0.01; each trader alternates its own direction (fill_cycles),
    so every trader's inventory, and the AMM's, stays within one order for any user count.
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
    cycles = fill_cycles(market_index)
    events_before = len(exchange.events)
    cpu_started = time.process_time()
    started = time.perf_counter()
    for i in range(fills):
        fill_round, trader = divmod(i, users)  # the trader's own fill count, and the trader
        exchange.update_clock(start_ts + (i + 1) * seconds_per_fill)
        price += 10_000 if (i // 7) % 2 == 0 else -10_000
        exchange.update_oracle_price(market_index, price, confidence=price // 10_000)
        exchange.place_and_take_perp_order(names[trader], 0, cycles[trader & 1][fill_round % 20])
    wall_seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    funding_updates = sum(
        1 for event in exchange.events[events_before:] if type(event).__name__ == "FundingRateRecord"
    )
    if not exchange.audit().balanced:
        raise AssertionError("benchmark run left the exchange unbalanced")
    return FillBenchResult(users, fills, wall_seconds, funding_updates, lps, cpu_seconds)


@dataclass(frozen=True)
class BacktestBenchResult:
    """One measured backtest: CPU seconds (time.process_time of the measuring process, all its
    threads) and wall seconds (perf_counter) of the simulation and, when measured, of writing
    the run folder and report; the rates are per simulation CPU second; peak RSS in MiB."""

    scenario: str
    steps: int
    engine_events: int
    simulation_cpu_seconds: float
    simulation_wall_seconds: float
    peak_rss_mib: float
    report_cpu_seconds: float | None = None  # None: the report was not measured
    report_wall_seconds: float | None = None

    @property
    def total_cpu_seconds(self) -> float:
        return self.simulation_cpu_seconds + (self.report_cpu_seconds or 0.0)

    @property
    def total_wall_seconds(self) -> float:
        return self.simulation_wall_seconds + (self.report_wall_seconds or 0.0)

    @property
    def events_per_cpu_second(self) -> float:
        return self.engine_events / self.simulation_cpu_seconds

    @property
    def steps_per_cpu_second(self) -> float:
        return self.steps / self.simulation_cpu_seconds

    def row(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "steps": self.steps,
            "engine_events": self.engine_events,
            "simulation_cpu_seconds": self.simulation_cpu_seconds,
            "simulation_wall_seconds": self.simulation_wall_seconds,
            "report_cpu_seconds": self.report_cpu_seconds,
            "report_wall_seconds": self.report_wall_seconds,
            "total_cpu_seconds": self.total_cpu_seconds,
            "total_wall_seconds": self.total_wall_seconds,
            "events_per_cpu_second": self.events_per_cpu_second,
            "steps_per_cpu_second": self.steps_per_cpu_second,
            "peak_rss_mib": self.peak_rss_mib,
        }


def _peak_rss_mib() -> float:
    """This process's resident-memory high-water mark (getrusage ru_maxrss) in MiB: Linux
    reports KiB, macOS bytes."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _measure_backtest(scenario_path: str, report: bool) -> BacktestBenchResult:
    """One backtest measured in the calling process (bench_backtest runs it in a fresh one)."""
    from ballast.report import save_run
    from ballast.sim import Backtest, load_scenario

    scenario = load_scenario(scenario_path)
    cpu_started, started = time.process_time(), time.perf_counter()
    result = Backtest(scenario, progress=False).run()
    simulation_wall = time.perf_counter() - started
    simulation_cpu = time.process_time() - cpu_started
    report_cpu = report_wall = None
    if report:
        with tempfile.TemporaryDirectory(prefix="ballast-bench-") as out:
            cpu_started, started = time.process_time(), time.perf_counter()
            save_run(result, out)
            report_wall = time.perf_counter() - started
            report_cpu = time.process_time() - cpu_started
    return BacktestBenchResult(
        scenario_path, scenario.n_steps, len(result.events), simulation_cpu, simulation_wall,
        _peak_rss_mib(), report_cpu, report_wall,
    )


def _fresh_process_context() -> multiprocessing.context.BaseContext:
    """forkserver where the platform has it, else spawn (see bench_backtest on why not fork or
    spawn on Linux)."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def bench_backtest(scenario_path: str, report: bool = False) -> BacktestBenchResult:
    """Time one backtest of the scenario file in a fresh process: the simulation
    (`Backtest(scenario, progress=False).run()`, loading the scenario not included) and, with
    `report`, writing its run folder and HTML report (`ballast.report.save_run(result, dir)` into a temporary
    directory, removed afterwards), in CPU and wall seconds, and count the engine events.

    Peak RSS (MiB) is the measuring process's ru_maxrss at the end. ru_maxrss is a process-wide
    high-water mark that never goes down, so measuring in this process would report the largest
    of all runs so far (and of whatever this process did before); each run therefore gets a new
    worker process. It comes from the "forkserver" start method (a fork of a small server
    process), not "spawn" or a subprocess of the same Python: on Linux those fork (vfork) this
    process and exec, and exec keeps the replaced memory's high-water mark in the child's
    ru_maxrss (measured: after an 811 MiB parent, a spawned child reported 813 MiB and a
    forkserver child 12 MiB). The figure includes the worker's interpreter and imports (a
    14-step scenario peaks near 90 MiB), and with `report` the report's peak too.
    Source: getrusage(2) (ru_maxrss); Linux fs/exec.c (the old mm's hiwater_rss kept in signal->maxrss).
    """
    with ProcessPoolExecutor(max_workers=1, mp_context=_fresh_process_context()) as pool:
        return pool.submit(_measure_backtest, scenario_path, report).result()
