"""`Backtest(scenario).run()`: drive every venue through the scenario and collect the results.

Per step (ts = start_ts + step * step_seconds), on each venue: advance the clock and publish the
oracle prices, let the agents act (insurance stakers, BAL providers / Curie makers, then takers
in scenario order), run the keepers, optionally audit, and record. Venues run one after the
other with their own agents, built from the same seeds (one generator per agent name), so they
see the same price path and the same exogenous taker flow. The venue kind picks the engine
(venues.make_venue), the keepers (Drift: keepers.Keepers; Curie: venues.curie.CurieKeepers)
and the providers that run on it (Scenario.agents_on: BAL providers and insurance stakers on
Drift, Curie makers on Curie; takers everywhere).

Recorded: `timeseries` one row per (step, venue, market), every step, held as Arrow chunks
while the run goes (ballast.sim.columns); `agents` one row per
(venue, agent) at step 0 before anyone acts (NAV = the starting capital, every PnL part 0) and
then every `outputs.agents_every_steps` steps (default every 15 simulated minutes), at every
step with a milestone (Venue.take_milestone) and at the last step, with a BAL provider's oracle
and de-risk / liquidation prices (ballast.sim.liquidation_price); `events` the engine's
typed records paired with their venue. Money in dollars (floats) at this edge only.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow as pa

from ballast.drift.bal import SEVEN_DAYS, THIRTY_DAYS
from ballast.drift.constants import BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION
from ballast.sim.agents import (
    Agent,
    BalProvider,
    CurieMaker,
    InsuranceStaker,
    make_agent,
    resolve_agent_classes,
)
from ballast.sim.columns import ColumnChunks
from ballast.sim.figures import MIN_7D_DAYS, MIN_30D_DAYS, MIN_ANNUALISE_DAYS, capital_weighted
from ballast.sim.health import (
    HealthWarning,
    bad_debt_warnings,
    divergence_warnings,
    funding_cap_warnings,
    refusal_warnings,
    unfilled_order_warnings,
)
from ballast.sim.keepers import Keepers
from ballast.sim.liquidation_price import RISK_COLUMNS, closest_distances, provider_risk
from ballast.sim.paths import PathError, gbm_path, load_price_csv, prices_at
from ballast.sim.scenario import CsvOracle, Scenario, ScenarioError
from ballast.sim.venues import make_venue
from ballast.sim.venues.curie import CurieKeepers, CurieVenue
from ballast.sim.waterfall import BadDebtLedger, depleted_ts

__all__ = ["Backtest", "BacktestResult", "AuditFailure", "ROLE_ORDER", "SimEvent", "price_paths"]

_Q = float(QUOTE_PRECISION)
_P = float(PRICE_PRECISION)
_B = float(BASE_PRECISION)


class AuditFailure(RuntimeError):
    """`--check`: the engine's audit failed; names the step, venue and mismatch."""


class SimEvent(NamedTuple):
    """An engine event (a typed record of ballast.drift.events) and the venue it came from."""

    venue: str
    event: Any


@dataclass
class BacktestResult:
    scenario: Scenario
    seed: int
    timeseries: pa.Table
    agents: pa.Table
    events: list[SimEvent]
    summary: dict[str, Any]
    state_digests: dict[str, str] = field(default_factory=dict)


def price_paths(scenario: Scenario) -> dict[str, list[int]]:
    """Oracle price (1e6) of every market at every step (n_steps + 1 points)."""
    n = scenario.n_steps
    step_ts = [scenario.start_ts + i * scenario.step_seconds for i in range(n + 1)]
    out = {}
    for market in scenario.markets:
        oracle = market.oracle
        if isinstance(oracle, CsvOracle):
            path = Path(oracle.path)
            if not path.is_absolute():
                path = Path(scenario.base_dir) / path
            try:
                out[market.name] = prices_at(load_price_csv(path, oracle.max_gap_seconds), step_ts, oracle.max_gap_seconds)
            except PathError as error:
                raise ScenarioError(f"markets.{market.name}.oracle.path: {error}") from None
        else:
            try:
                path = gbm_path(
                    f"{scenario.seed}/oracle/{market.name}",
                    oracle.start_price_usd,
                    scenario.start_ts,
                    scenario.step_seconds,
                    n,
                    drift_annual=oracle.drift_annual_pct / 100,
                    vol_regimes=[(r.start_day, r.vol_annual_pct / 100) for r in oracle.regimes],
                    jumps_per_day=oracle.jumps_per_day,
                    jump_mean=oracle.jump_mean_pct / 100,
                    jump_std=oracle.jump_std_pct / 100,
                    scheduled_moves=[(m.at_day, m.change_pct / 100, m.over_minutes) for m in oracle.scheduled_moves],
                )
            except OverflowError:
                raise ScenarioError(f"markets.{market.name}.oracle: the GBM path overflows a float; "
                                    "lower its volatility, drift or jumps") from None
            if 1 in path:
                day = path.index(1) * scenario.step_seconds / 86_400
                raise ScenarioError(f"markets.{market.name}.oracle: the GBM path falls to the $0.000001 floor on day "
                                    f"{day:.2f}; lower its volatility, drift or jumps")
            out[market.name] = path
    return out


_TS_COLUMNS = (
    "step", "ts", "venue", "market", "oracle_price_usd", "mark_price_usd", "bid_price_usd", "ask_price_usd",
    "oi_long_base", "oi_short_base", "amm_base", "lp_unsettled_base", "lp_shares_total",
    "bal_index_quote", "bal_share_value_quote", "funding_rate", "cumulative_funding_rate_long",
    "pnl_pool_usd", "fee_pool_usd", "revenue_pool_usd", "insurance_fund_usd",
)
# what the summary and the health checks read of the market table
_SUMMARY_TS_COLUMNS = ("venue", "market", "ts", "oracle_price_usd", "mark_price_usd", "insurance_fund_usd")
_AGENT_COLUMNS = (
    "step", "ts", "venue", "agent", "kind", "nav_usd", "fees_usd", "funding_usd", "inventory_pnl_usd",
    "removal_fees_usd", "base_position", "lp_shares", *RISK_COLUMNS,
)


class Backtest:
    """`Backtest(scenario, seed=None, check=False).run()`; `seed` overrides the scenario's and
    `check` runs the engine's audit after every step (AuditFailure names the step). `agents`
    maps the name of a `kind = "python"` agent of the scenario to its class (an
    `ballast.sim.agents.Agent` subclass), instead of or over its `path`; ScenarioError when a
    python agent has no class or a bad one."""

    def __init__(self, scenario: Scenario, seed: int | None = None, check: bool = False,
                 progress: bool | None = None, agents: dict[str, type[Agent]] | None = None) -> None:
        if seed is not None:
            scenario = scenario.model_copy(update={"seed": seed})
        self.agent_classes = resolve_agent_classes(scenario, agents)
        self.scenario = scenario
        self.seed = scenario.seed
        self.check = check
        self.progress = sys.stdout.isatty() if progress is None else progress

    def run(self) -> BacktestResult:
        scenario = self.scenario
        paths = price_paths(scenario)
        market_table = ColumnChunks(_TS_COLUMNS)
        ts_cols = market_table.columns  # the open chunk, appended to every step
        ag_cols: dict[str, list] = {name: [] for name in _AGENT_COLUMNS}
        events: list[SimEvent] = []
        per_venue: dict[str, dict[str, Any]] = {}
        digests: dict[str, str] = {}
        n = scenario.n_steps
        total = n * len(scenario.venues)
        bar = _Progress(total, scenario.name) if self.progress else None
        for venue_config in scenario.venues:
            venue = make_venue(venue_config)
            venue.setup(scenario, {name: path[0] for name, path in paths.items()})
            agents = [make_agent(a, scenario.seed, scenario.step_seconds, self.agent_classes.get(a.name))
                      for a in scenario.agents_on(venue_config)]
            order = sorted(range(len(agents)), key=lambda i: ROLE_ORDER.get(agents[i].role, 9))
            agents = [agents[i] for i in order]
            for agent in agents:
                agent.setup(venue, scenario.start_ts)
            if isinstance(venue, CurieVenue):
                keepers = CurieKeepers(scenario.keepers, venue, [u for a in agents for u in a.users()],
                                       scenario.step_seconds)
            else:
                keepers = Keepers(scenario.keepers, venue, agents, scenario.step_seconds,
                                  venue_config.insurance_fund is not None)
            self._record_agents(ag_cols, venue, agents, 0, scenario.start_ts)
            every = scenario.outputs.agent_sample_steps(scenario.step_seconds)
            for step in range(n + 1):
                ts = scenario.start_ts + step * scenario.step_seconds
                venue.step(ts, {name: path[step] for name, path in paths.items()})
                for agent in agents:
                    agent.act(step, ts)
                keepers.run(step, ts)
                venue.process_events()
                if self.check:
                    error = venue.audit_error() or _ledger_error(keepers)
                    if error is not None:
                        raise AuditFailure(f"check failed at step {step} (ts {ts}) on venue {venue.name!r}: {error}")
                self._record_markets(ts_cols, venue, step, ts)
                market_table.flush_if_full()
                milestone = venue.take_milestone()  # taken every step, so it marks this step only
                if step > 0 and (step % every == 0 or step == n or milestone):
                    self._record_agents(ag_cols, venue, agents, step, ts)
                if bar is not None and step % 500 == 0:
                    bar.advance(min(500, n - step + 1))
            events.extend(SimEvent(venue.name, e) for e in venue.events)
            digests[venue.name] = venue.state_digest()
            per_venue[venue.name] = {"venue": venue, "agents": agents, "keepers": keepers}
        if bar is not None:
            bar.close()
        timeseries = market_table.table()
        agents_table = pa.table(ag_cols)
        summary_cols = {name: timeseries.column(name).to_pylist() for name in _SUMMARY_TS_COLUMNS}
        summary = _summary(scenario, per_venue, summary_cols, ag_cols, digests)
        return BacktestResult(scenario, scenario.seed, timeseries, agents_table, events, summary, digests)

    @staticmethod
    def _record_markets(cols: dict[str, list], venue, step: int, ts: int) -> None:
        if isinstance(venue, CurieVenue):
            for row in venue.market_rows(step, ts):
                for name in _TS_COLUMNS:
                    cols[name].append(row[name])
            return
        ex = venue.exchange
        for name, index in venue.markets.items():
            market = ex.perp_markets[index]
            amm = market.amm
            sample = venue.bal.record(ex, index)
            mid, bid, ask = venue.quotes(name)
            pnl_pool, fee_pool, revenue_pool, fund = venue.pools(index)
            cols["step"].append(step)
            cols["ts"].append(ts)
            cols["venue"].append(venue.name)
            cols["market"].append(name)
            cols["oracle_price_usd"].append(sample.oracle_price / _P)
            cols["mark_price_usd"].append(mid / _P)
            cols["bid_price_usd"].append(bid / _P)
            cols["ask_price_usd"].append(ask / _P)
            cols["oi_long_base"].append(amm.base_asset_amount_long / _B)
            cols["oi_short_base"].append(amm.base_asset_amount_short / _B)
            cols["amm_base"].append(amm.base_asset_amount_with_amm / _B)
            cols["lp_unsettled_base"].append(amm.base_asset_amount_with_unsettled_lp / _B)
            cols["lp_shares_total"].append(amm.user_lp_shares / _B)
            cols["bal_index_quote"].append(sample.index_quote / _Q)
            cols["bal_share_value_quote"].append(sample.share_value_quote / _Q)
            cols["funding_rate"].append(amm.last_funding_rate / 1e9)
            cols["cumulative_funding_rate_long"].append(amm.cumulative_funding_rate_long / 1e9)
            cols["pnl_pool_usd"].append(pnl_pool / _Q)
            cols["fee_pool_usd"].append(fee_pool / _Q)
            cols["revenue_pool_usd"].append(revenue_pool / _Q)
            cols["insurance_fund_usd"].append(fund / _Q)

    @staticmethod
    def _record_agents(cols: dict[str, list], venue, agents: list[Agent], step: int, ts: int) -> None:
        for agent in agents:
            parts = agent.breakdown()
            cols["step"].append(step)
            cols["ts"].append(ts)
            cols["venue"].append(venue.name)
            cols["agent"].append(agent.name)
            cols["kind"].append(agent.role)
            cols["nav_usd"].append(parts["nav"] / _Q)
            cols["fees_usd"].append(parts["fees"] / _Q)
            cols["funding_usd"].append(parts["funding"] / _Q)
            cols["inventory_pnl_usd"].append(parts["inventory"] / _Q)
            cols["removal_fees_usd"].append(parts["removal_fees"] / _Q)
            base = 0 if isinstance(agent, InsuranceStaker) else venue.base_position(agent.name, agent.market)
            cols["base_position"].append(base / _B)
            cols["lp_shares"].append(parts["lp_shares"] / _B)
            for name, value in zip(RISK_COLUMNS, provider_risk(venue, agent), strict=True):
                cols[name].append(value)


def _ledger_error(keepers) -> str | None:
    """`--check` on the bad-debt ledger: a user's negative equity left unresolved for the
    configured number of keeper rounds, or a resolution whose stages do not sum."""
    ledger = getattr(keepers, "ledger", None)
    if ledger is None:
        return None
    if ledger.overdue:
        user, first, last, rounds = ledger.overdue[0]
        return (f"user {user!r} has had negative equity since ts {first}, unresolved for {rounds} keeper rounds "
                f"(keepers.max_unresolved_rounds)")
    bad = ledger.mismatches()
    if bad:
        return f"bankruptcy of {bad[0].user!r} at ts {bad[0].ts}: stages do not sum to the bad debt ({bad[0]})"
    return None


# the order agents act in within a step (insurance stakers, providers, then takers)
ROLE_ORDER = {"insurance_staker": 0, "bal_provider": 1, "curie_maker": 1, "arbitrageur": 2, "noise_taker": 3,
          "trend_follower": 4}


class _Progress:
    def __init__(self, total: int, name: str) -> None:
        from rich.progress import Progress

        self._progress = Progress(transient=True)
        self._progress.start()
        self._task = self._progress.add_task(f"backtest {name}", total=total)

    def advance(self, n: int) -> None:
        self._progress.advance(self._task, n)

    def close(self) -> None:
        self._progress.stop()


# --- summary ------------------------------------------------------------------------------------


def _daily(ts: list[int], nav: list[float]) -> list[float]:
    """Last NAV of each day (UTC day boundaries from the first sample)."""
    out: list[float] = []
    day_of_last = None
    for t, v in zip(ts, nav, strict=True):
        day = (t - ts[0]) // 86_400
        if day == day_of_last:
            out[-1] = v
        else:
            out.append(v)
            day_of_last = day
    return out




def nav_statistics(ts: list[int], nav: list[float], start_value: float | None = None) -> dict[str, float | None]:
    """Return, simple APR (365 days), max drawdown, and a Sharpe ratio on daily returns
    (annualised with sqrt(365), zero risk-free rate) of a NAV series, with the days it covers.
    The APR and the Sharpe ratio are None for a series shorter than MIN_ANNUALISE_DAYS: a crash
    week's windfall annualised is no rate anyone earns (ballast.report.metrics defines each)."""
    if not nav:
        return {}
    start = start_value if start_value else nav[0]
    days = (ts[-1] - ts[0]) / 86_400
    ret = 100.0 * (nav[-1] - start) / start if start else 0.0
    peak, drawdown = -math.inf, 0.0
    for v in nav:
        peak = max(peak, v)
        if peak > 0:
            drawdown = max(drawdown, 100.0 * (peak - v) / peak)
    daily = _daily(ts, nav)
    rets = [(b - a) / a for a, b in zip(daily, daily[1:], strict=False) if a]
    sharpe: float | None = 0.0
    if days < MIN_ANNUALISE_DAYS:
        sharpe = None
    elif len(rets) >= 2:
        mean = sum(rets) / len(rets)
        var = sum((r - mean) ** 2 for r in rets) / (len(rets) - 1)
        sharpe = mean / math.sqrt(var) * math.sqrt(365) if var > 0 else 0.0
    return {
        "active_days": days,
        "return_pct": ret,
        "apr_pct": ret * 365 / days if days >= MIN_ANNUALISE_DAYS else None,
        "max_drawdown_pct": drawdown,
        "sharpe_ratio": sharpe,
    }


def _health(scenario: Scenario, venue_name: str, data: dict[str, Any], ts_cols: dict[str, list],
            agent_stats: dict[str, dict[str, Any]]) -> list[HealthWarning]:
    """Every market-health warning of one venue (ballast.sim.health has the definitions)."""
    config = scenario.health
    rows = [i for i, v in enumerate(ts_cols["venue"]) if v == venue_name]
    venue_cols = {k: [ts_cols[k][i] for i in rows] for k in ("venue", "market", "ts", "oracle_price_usd", "mark_price_usd")}
    end_ts = scenario.start_ts + scenario.n_steps * scenario.step_seconds
    found = divergence_warnings(venue_cols, config.mark_oracle_divergence_pct, config.divergence_minutes)
    venue = data["venue"]
    if not isinstance(venue, CurieVenue):
        found += funding_cap_warnings(venue_name, venue.funding_samples, config.funding_capped_hours)
        found += bad_debt_warnings(venue_name, data["keepers"].ledger, scenario.keepers.max_unresolved_rounds, end_ts)
        found += refusal_warnings(venue_name, venue.refusals)
    found += unfilled_order_warnings(venue_name, agent_stats, config.unfilled_orders_pct, scenario.start_ts, end_ts)
    return found


def _bad_debt_summary(ledger: BadDebtLedger) -> dict[str, Any]:
    """The bad-debt ledger in dollars (ballast.sim.waterfall has the definitions)."""
    out: dict[str, Any] = {f"{k}_usd": v / _Q for k, v in ledger.totals().items()}
    out["resolutions"] = len(ledger.resolutions)
    out["stages_mismatch"] = len(ledger.mismatches())
    out["unresolved_users"] = sorted(ledger.unresolved)
    out["overdue"] = [{"user": u, "from_ts": a, "to_ts": b, "rounds": n} for u, a, b, n in ledger.overdue]
    out["waterfall"] = [r.usd() for r in ledger.resolutions]
    return out


_NEVER_ENTERED = {"active_days": 0.0, "return_pct": 0.0, "apr_pct": None, "max_drawdown_pct": 0.0, "sharpe_ratio": None}


def _summary(scenario, per_venue, ts_cols, ag_cols, digests) -> dict[str, Any]:
    by_agent: dict[tuple[str, str], dict[str, list]] = {}
    for i, venue in enumerate(ag_cols["venue"]):
        rows = by_agent.setdefault((venue, ag_cols["agent"][i]), {"ts": [], "nav": [], "i": []})
        rows["ts"].append(ag_cols["ts"][i])
        rows["nav"].append(ag_cols["nav_usd"][i])
        rows["i"].append(i)
    venues: dict[str, dict[str, Any]] = {}
    run_days = scenario.n_steps * scenario.step_seconds / 86_400
    for venue_name, data in per_venue.items():
        venue, agents = data["venue"], data["agents"]
        stats: dict[str, Any] = {}
        if isinstance(venue, CurieVenue):
            stats.update(venue.summary_stats())
        else:
            ex = venue.exchange
            first_market = next(iter(venue.markets.values()))
            stats["total_fees_usd"] = sum(m.amm.total_exchange_fee for m in ex.perp_markets.values()) / _Q
            stats["liquidations"] = venue.liquidations
            stats["insurance_fund_end_usd"] = ex.spot_markets[0].insurance_fund.vault_amount / _Q
            fund_rows = [i for i, (v, m) in enumerate(zip(ts_cols["venue"], ts_cols["market"], strict=True))
                    if v == venue_name and m == venue.market_names[first_market]]
            dry = depleted_ts([ts_cols["ts"][i] for i in fund_rows], [ts_cols["insurance_fund_usd"][i] for i in fund_rows])
            stats["insurance_fund_depleted_day"] = None if dry is None else (dry - scenario.start_ts) / 86_400
            stats["pnl_pool_end_usd"], stats["fee_pool_end_usd"], stats["revenue_pool_end_usd"], _f = (
                v / _Q for v in venue.pools(first_market)
            )
            # the BAL page's 7D / 30D figures, only when the run covers the whole window
            week = venue.bal.lp_performance(first_market, SEVEN_DAYS)
            month = venue.bal.lp_performance(first_market, THIRTY_DAYS)
            stats["bal_return_7d_pct"] = week["return_pct"] if run_days >= MIN_7D_DAYS else None
            stats["bal_return_30d_pct"] = month["return_pct"] if run_days >= MIN_30D_DAYS else None
            stats["bal_apr_30d_pct"] = month["apr_pct"] if run_days >= MIN_30D_DAYS else None
            stats["bad_debt"] = _bad_debt_summary(data["keepers"].ledger)
        agent_stats = {}
        lp_capital = lp_pnl = lp_fees = 0.0
        worst_dd = 0.0
        lp_aprs: list[tuple[float | None, float]] = []
        for agent in agents:
            rows = by_agent[(venue_name, agent.name)]
            last = rows["i"][-1]
            ts_list, nav = rows["ts"], rows["nav"]
            if isinstance(agent, BalProvider | CurieMaker):
                # performance from entry: the late entrant's clock starts at its entry (one that
                # never entered has an empty window: no return, nothing annualised)
                keep = [k for k, t in enumerate(ts_list) if t >= agent.enter_ts] if agent.entry_nav is not None else []
                ts_list = [ts_list[k] for k in keep]
                nav = [nav[k] for k in keep]
            capital = agent.initial / _Q
            s = {"capital_usd": capital, **(nav_statistics(ts_list, nav, capital) or _NEVER_ENTERED)}
            s.update(
                nav_end_usd=ag_cols["nav_usd"][last],
                pnl_usd=ag_cols["nav_usd"][last] - capital,
                fees_usd=ag_cols["fees_usd"][last],
                funding_usd=ag_cols["funding_usd"][last],
                inventory_pnl_usd=ag_cols["inventory_pnl_usd"][last],
                removal_fees_usd=ag_cols["removal_fees_usd"][last],
                liquidations=venue.books[agent.name].liquidated,
                derisks=getattr(venue.books[agent.name], "derisked", None),  # Curie has no de-risking
                **closest_distances(ag_cols, rows["i"]),
                **agent.order_stats.summary(),
                instructions_rejected=venue.books[agent.name].rejected,
                kind=agent.role,
            )
            s["residual_usd"] = s["pnl_usd"] - (
                s["fees_usd"] + s["funding_usd"] + s["inventory_pnl_usd"] - s["removal_fees_usd"]
            )
            if isinstance(agent, CurieMaker):
                s["recenters"] = agent.recenters
            agent_stats[agent.name] = s
            if isinstance(agent, BalProvider | CurieMaker) and agent.entry_nav is not None:
                lp_capital += capital
                lp_pnl += s["pnl_usd"]
                lp_fees += s["fees_usd"]
                lp_aprs.append((s["apr_pct"], capital))
                worst_dd = max(worst_dd, s["max_drawdown_pct"])
        stats["lp_capital_usd"] = lp_capital
        stats["lp_apr_pct"] = capital_weighted(lp_aprs)
        stats["lp_pnl_usd"] = lp_pnl
        stats["lp_fees_usd"] = lp_fees
        stats["max_drawdown_pct"] = worst_dd
        stats["agents"] = agent_stats
        stats["warnings"] = [w.as_dict() for w in _health(scenario, venue_name, data, ts_cols, agent_stats)]
        stats["state_digest"] = digests[venue_name]
        venues[venue_name] = stats
    first = venues[scenario.venues[0].name]
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "steps": scenario.n_steps,
        "step_seconds": scenario.step_seconds,
        "duration_days": scenario.n_steps * scenario.step_seconds / 86_400,
    }
    summary.update({k: v for k, v in first.items() if k not in ("agents", "warnings")})
    summary["warnings"] = [w for stats in venues.values() for w in stats["warnings"]]
    summary["venues"] = venues
    return summary
