"""One sweep point, run where an executor puts it: a small task in, a small result out.

`PointTask` carries only the resolved scenario (JSON data), its folder and the point's axis
values, so it pickles for a process pool or a Dask worker; `run_point` runs the backtest
(simulation only: no run folder, no report) and returns a `PointResult`: one row of headline
figures and the point's compact series. A point that fails returns its error in the row and
never raises: one bad point never stops a sweep.

Headline figures (the first venue of the scenario; money in USD, from the run's summary,
whose definitions are in ballast.sim.runner and docs/metrics):
  total_fees_usd, liquidations, insurance_fund_end_usd, pnl_pool_end_usd, fee_pool_end_usd,
  revenue_pool_end_usd, lp_apr_pct, lp_pnl_usd, lp_fees_usd, max_drawdown_pct,
  bad_debt_usd, bad_debt_insurance_fund_usd, bad_debt_fee_pool_usd, socialised_loss_usd,
  insurance_fund_min_usd (lowest sampled balance), insurance_fund_depleted_day (the run's: the
  first step the fund held under $1 after holding more, in days from the start; null: never),
  warnings (count) and warning_kinds (sorted, comma-separated),
  agent.<name>.{return_pct, apr_pct, max_drawdown_pct, nav_end_usd, fees_usd, funding_usd,
  inventory_pnl_usd, removal_fees_usd, liquidations} for every agent,
plus status ("ok" / "error"), error, wall_seconds, cpu_seconds and state_digest.

Series (long format, every `series_every_minutes` of simulated time and at the last step):
run_id, ts, name, value for the first market's oracle_price_usd, mark_price_usd,
insurance_fund_usd, fee_pool_usd and pnl_pool_usd, and agent.<name>.nav_usd.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import pyarrow.compute as pc

from ballast.sim import Backtest, parse_scenario

__all__ = ["AGENT_FIGURES", "FIGURES", "HEADLINE", "PointResult", "PointTask", "figure_columns", "run_point"]

HEADLINE = (
    "total_fees_usd", "liquidations", "insurance_fund_end_usd", "pnl_pool_end_usd", "fee_pool_end_usd",
    "revenue_pool_end_usd", "lp_apr_pct", "lp_pnl_usd", "lp_fees_usd", "max_drawdown_pct",
)
AGENT_FIGURES = (
    "return_pct", "apr_pct", "max_drawdown_pct", "nav_end_usd", "fees_usd", "funding_usd",
    "inventory_pnl_usd", "removal_fees_usd", "liquidations",
)
# the numeric columns of a finished point's row besides HEADLINE, the agent figures and the axes
FIGURES = (
    "bad_debt_usd", "bad_debt_insurance_fund_usd", "bad_debt_fee_pool_usd", "socialised_loss_usd",
    "insurance_fund_min_usd", "insurance_fund_depleted_day", "warnings", "wall_seconds", "cpu_seconds",
)


def figure_columns(agent_names: list[str]) -> list[str]:
    """Every numeric figure a finished point's row holds for agents of these names."""
    return [*HEADLINE, *FIGURES, *(f"agent.{a}.{f}" for a in agent_names for f in AGENT_FIGURES)]


_MARKET_SERIES = ("oracle_price_usd", "mark_price_usd", "insurance_fund_usd", "fee_pool_usd", "pnl_pool_usd")


@dataclass(frozen=True)
class PointTask:
    """What travels to a worker: one point's resolved scenario and how to record it."""

    run_id: str
    scenario: dict[str, Any]  # the resolved scenario, JSON data
    base_dir: str  # the folder its relative paths (CSV oracles, python agents) start from
    values: dict[str, Any]  # axis key -> value
    seed: int
    draw: int
    series_every_minutes: int


@dataclass
class PointResult:
    """What comes back: the point's row of figures and its compact series (module docstring)."""

    row: dict[str, Any]
    series: dict[str, list] = field(default_factory=lambda: {"run_id": [], "ts": [], "name": [], "value": []})


def run_point(task: PointTask) -> PointResult:
    """Run one point (module docstring); errors are returned in the row, never raised."""
    row: dict[str, Any] = {"run_id": task.run_id, "seed": task.seed, "draw": task.draw}
    row.update({f"axis.{key}": value for key, value in task.values.items()})
    wall, cpu = time.perf_counter(), time.process_time()
    result = PointResult(row)
    try:
        scenario = parse_scenario(task.scenario, task.base_dir)
        run = Backtest(scenario, progress=False).run()
        row.update(_figures(run.summary))
        _series(result, task, run)
        row["status"], row["error"] = "ok", None
    except Exception as error:  # noqa: BLE001 - a failed point is recorded, the sweep goes on
        row["status"] = "error"
        row["error"] = f"{type(error).__name__}: {error}"
        last = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
        if last:
            row["error"] += f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})"
    row["wall_seconds"] = time.perf_counter() - wall
    row["cpu_seconds"] = time.process_time() - cpu
    return result


def _figures(summary: dict[str, Any]) -> dict[str, Any]:
    """The row's figures from a run's summary (its first venue; module docstring)."""
    out: dict[str, Any] = {name: summary.get(name) for name in HEADLINE}
    bad = summary.get("bad_debt") or {}
    out["bad_debt_usd"] = bad.get("bad_debt_usd", 0.0)
    out["bad_debt_insurance_fund_usd"] = bad.get("insurance_fund_usd", 0.0)
    out["bad_debt_fee_pool_usd"] = bad.get("fee_pool_usd", 0.0)
    out["socialised_loss_usd"] = bad.get("socialised_usd", 0.0)
    out["insurance_fund_depleted_day"] = summary.get("insurance_fund_depleted_day")
    warnings = summary.get("warnings") or []
    out["warnings"] = len(warnings)
    out["warning_kinds"] = ",".join(sorted({w.get("kind", "") for w in warnings}))
    first_venue: dict[str, Any] = next(iter(summary.get("venues", {}).values()), {})
    out["state_digest"] = first_venue.get("state_digest")
    for name, stats in (first_venue.get("agents") or {}).items():
        for figure in AGENT_FIGURES:
            out[f"agent.{name}.{figure}"] = stats.get(figure)
    return out


def _series(result: PointResult, task: PointTask, run: Any) -> None:
    """The compact series and the lowest sampled insurance-fund balance."""
    every = task.series_every_minutes * 60
    scenario = run.scenario
    first_venue = scenario.venues[0].name
    first_market = scenario.markets[0].name
    start, end = scenario.start_ts, scenario.start_ts + scenario.n_steps * scenario.step_seconds
    series = result.series

    def keep(ts: int) -> bool:
        return (ts - start) % every == 0 or ts == end

    markets = run.timeseries.filter(_and_equal(run.timeseries, first_venue, "market", first_market)).to_pydict()
    balances: list[float] = []
    for i, ts in enumerate(markets["ts"]):
        if not keep(ts):
            continue
        for name in _MARKET_SERIES:
            _append(series, task.run_id, ts, name, markets[name][i])
        balances.append(markets["insurance_fund_usd"][i])
    agents = run.agents.filter(_and_equal(run.agents, first_venue)).to_pydict()
    for i, ts in enumerate(agents["ts"]):
        if keep(ts):
            _append(series, task.run_id, ts, f"agent.{agents['agent'][i]}.nav_usd", agents["nav_usd"][i])
    result.row["insurance_fund_min_usd"] = min(balances) if balances else None


def _and_equal(table: Any, venue: str, column: str | None = None, value: str | None = None) -> Any:
    """The rows of `venue` (and, given a column, whose `column` equals `value`), as a mask."""
    mask = pc.equal(table.column("venue"), venue)
    if column is not None:
        mask = pc.and_(mask, pc.equal(table.column(column), value))
    return mask


def _append(series: dict[str, list], run_id: str, ts: int, name: str, value: Any) -> None:
    series["run_id"].append(run_id)
    series["ts"].append(ts)
    series["name"].append(name)
    series["value"].append(None if value is None else float(value))
