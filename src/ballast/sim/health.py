"""Market health: when a run leaves the realm of a real market, the run says so.

A real Drift or Curie market keeps its mark price within a few basis points of the oracle
(arbitrageurs and, on Drift, the AMM's repeg see to it), pays funding below its cap, fills the
orders sent to it and resolves bad debt as it appears. A backtest whose configuration breaks
that (no repeg, too little arbitrage capital, a gap crash) produces numbers no market would;
this module finds the spans where that happened. Each finding is a `HealthWarning` with its
kind, venue, market, time span and worst value; the summary lists them and the terminal shows
them.

Kinds and definitions (thresholds in `HealthConfig`):

* `mark_oracle_divergence`: |mark - oracle| / oracle above `mark_oracle_divergence_pct` at
  every step of a span lasting at least `divergence_minutes` (mark: the AMM's reserve price on
  Drift, the pool price on Curie, as recorded in the timeseries); worst = the largest
  divergence in percent;
* `funding_at_cap`: consecutive funding updates whose mark/oracle TWAP spread reached the
  contract tier's clamp (Drift: `get_max_price_divergence_for_funding_rate`) for at least
  `funding_capped_hours`; worst = the number of capped updates;
* `unfilled_orders`: an agent whose market orders filled nothing in more than
  `unfilled_orders_pct` percent of its attempts (whole run), not counting orders that stopped
  at the agent's own limit price (an arbitrageur's order that finds no edge left is its
  choice, not the market failing it); worst = that percentage;
* `unresolved_bad_debt`: a user whose equity stayed negative for `keepers.max_unresolved_rounds`
  liquidation rounds in a row (or is still negative at the end); worst = rounds;
* `refused_instruction`: an agent's own instruction other than an order (adding or removing
  BAL shares, staking) that the engine refused or that could not be sent; one warning per
  agent and instruction, with the first reason; worst = the number of refusals.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["HealthWarning", "divergence_warnings", "funding_cap_warnings", "unfilled_order_warnings",
           "bad_debt_warnings", "refusal_warnings"]


@dataclass(frozen=True)
class HealthWarning:
    """One finding: `kind` (see the module docstring), where (`venue`; `market` is the market's
    name, or the agent's or user's name for the agent-level kinds unfilled_orders,
    unresolved_bad_debt and refused_instruction), its span (unix seconds), its worst value and
    a sentence for people."""

    kind: str
    venue: str
    market: str
    start_ts: int
    end_ts: int
    worst: float
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _hours(seconds: int) -> str:
    return f"{seconds / 3600:.1f} h"


def _spans(samples, min_seconds: float) -> list[tuple[Any, int, int, float, int]]:
    """Maximal runs of consecutive flagged samples per key, lasting at least `min_seconds`.

    `samples` yields (key, ts, flagged, value) in time order per key; returns (key, first ts,
    last ts, largest value, number of samples) for each run, in the order the runs end."""
    open_runs: dict[Any, list] = {}
    found = []
    for key, ts, flagged, value in samples:
        run = open_runs.get(key)
        if flagged:
            if run is None:
                open_runs[key] = [ts, ts, value, 1]
            else:
                run[1], run[2], run[3] = ts, max(run[2], value), run[3] + 1
        elif run is not None:
            found.append((key, *open_runs.pop(key)))
    found.extend((key, *run) for key, run in open_runs.items())
    return [span for span in found if span[2] - span[1] >= min_seconds]


def divergence_warnings(ts_cols: dict[str, list], threshold_pct: float, min_minutes: int) -> list[HealthWarning]:
    """Spans where the recorded mark stayed more than `threshold_pct` from the oracle for at
    least `min_minutes` (rows of one (venue, market) are in step order in the timeseries)."""

    def samples():
        columns = zip(ts_cols["venue"], ts_cols["market"], ts_cols["ts"], ts_cols["oracle_price_usd"],
                      ts_cols["mark_price_usd"], strict=True)
        for venue, market, ts, oracle, mark in columns:
            divergence = 100.0 * abs(mark - oracle) / oracle if oracle > 0 else 0.0
            yield (venue, market), ts, divergence > threshold_pct, divergence

    return [HealthWarning("mark_oracle_divergence", venue, market, start, end, worst,
                          f"mark more than {threshold_pct:g}% from the oracle for {_hours(end - start)} "
                          f"(worst {worst:.2f}%)")
            for (venue, market), start, end, worst, _n in _spans(samples(), min_minutes * 60)]


def funding_cap_warnings(venue: str, samples: list[tuple[int, str, bool]], min_hours: float) -> list[HealthWarning]:
    """Runs of consecutive capped funding updates (`samples`: (ts, market, capped) in time
    order) lasting at least `min_hours`."""
    flagged = ((market, ts, capped, 0.0) for ts, market, capped in samples)
    return [HealthWarning("funding_at_cap", venue, market, start, end, float(count),
                          f"funding at its cap for {count} updates in a row ({_hours(end - start)})")
            for market, start, end, _worst, count in _spans(flagged, min_hours * 3600)]


def unfilled_order_warnings(venue: str, agents: dict[str, dict[str, Any]], threshold_pct: float,
                            start_ts: int, end_ts: int) -> list[HealthWarning]:
    """Agents whose orders filled nothing in more than `threshold_pct` percent of attempts."""
    found = []
    for name, stats in agents.items():
        attempted = stats.get("orders_attempted", 0)
        reasons = stats.get("unfilled_reasons", {})
        unfilled = (stats.get("orders_unfilled", 0) + stats.get("orders_rejected", 0)
                    - stats.get("orders_unfilled_at_limit", 0))
        if attempted and 100.0 * unfilled / attempted > threshold_pct:
            share = 100.0 * unfilled / attempted
            shown = ", ".join(f"{reason} {count}" for reason, count in sorted(reasons.items()) if reason != "limit_price")
            found.append(HealthWarning(
                "unfilled_orders", venue, name, start_ts, end_ts, share,
                f"agent {name}: {unfilled} of {attempted} orders filled nothing ({share:.1f}%; {shown})"))
    return found


def bad_debt_warnings(venue: str, ledger, limit_rounds: int, end_ts: int) -> list[HealthWarning]:
    """Users whose negative equity stayed unresolved for `limit_rounds` rounds, and users still
    negative at the end of the run (ballast.sim.waterfall.BadDebtLedger)."""
    found = [HealthWarning("unresolved_bad_debt", venue, user, first, last, float(rounds),
                           f"user {user}: negative equity unresolved for {rounds} keeper rounds")
             for user, first, last, rounds in ledger.overdue]
    overdue = {user for user, *_ in ledger.overdue}
    for user, span in sorted(ledger.unresolved.items()):
        if user not in overdue:
            found.append(HealthWarning(
                "unresolved_bad_debt", venue, user, span.first_ts, end_ts, float(span.rounds),
                f"user {user}: equity {span.worst_equity / 1e6:,.2f} USD still negative at the end "
                f"({span.rounds} rounds, below the {limit_rounds}-round limit)"))
    return found


def refusal_warnings(venue: str, refusals: list[tuple[int, str, str, str]]) -> list[HealthWarning]:
    """One warning per (agent, instruction) among `refusals` (ts, agent, instruction, reason):
    its first and last time, count and first reason."""
    grouped: dict[tuple[str, str], list] = {}
    for ts, agent, instruction, reason in refusals:
        entry = grouped.setdefault((agent, instruction), [ts, ts, 0, reason])
        entry[1] = ts
        entry[2] += 1
    return [HealthWarning("refused_instruction", venue, agent, first, last, float(count),
                          f"agent {agent}: {instruction} refused {count} time(s), first because {reason}")
            for (agent, instruction), (first, last, count, reason) in grouped.items()]
