"""One meaning per number: every headline figure of a run, defined once.

`METRICS` names each figure as summary.json does and gives its unit, definition, window,
aggregation and when it is n/a. The runner computes the figures (ballast.sim.runner: `_summary`,
`nav_statistics`), the report (ballast.report.html) and the terminal (`ballast backtest`) read
them from summary.json and show them with `format_value`, the report with the definition on
hover (`hover`). docs/metrics.md is generated from here (`ballast docs metrics`; `render`), and a
test keeps it equal.

Conventions: money in USD, rates in %; APRs are simple (return x 365 / days, as the BAL page's);
nothing is annualised from under MIN_ANNUALISE_DAYS days (n/a); a 7-day figure needs a run of 7
days or more, a 30-day figure one of 30 days or more (n/a otherwise); per provider, figures run
over the provider's active window (from its entry to the end of the run) on its starting capital;
venue figures that aggregate providers weight each by its starting capital.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ballast.sim.figures import MIN_7D_DAYS, MIN_30D_DAYS, MIN_ANNUALISE_DAYS, capital_weighted

__all__ = [
    "METRICS",
    "MIN_30D_DAYS",
    "MIN_7D_DAYS",
    "MIN_ANNUALISE_DAYS",
    "PROVIDER_COLUMNS",
    "RUN_FACTS",
    "VENUE_FIGURES",
    "Metric",
    "capital_weighted",
    "format_value",
    "hover",
    "is_provider",
    "render",
    "summary_providers",
    "summary_venues",
]



@dataclass(frozen=True)
class Metric:
    name: str  # as in summary.json
    unit: str  # USD, %, ratio, days, count, s, text
    definition: str
    window: str
    aggregation: str
    na_when: str = "never"
    scope: str = "venue"  # run | venue | provider


_RUN = "the whole run"
_ACTIVE = "the provider's active window: from its entry (the start, or enter_at_day) to the end of the run"
_PER_VENUE = "one value per venue"
_PER_PROVIDER = "one value per agent"
_SHORT = f"the window is shorter than {MIN_ANNUALISE_DAYS} days (never annualised from under {MIN_ANNUALISE_DAYS} days)"
_BAL_ONLY = "missing on a venue without BAL (Perpetual Protocol / Curie)"

_ALL: tuple[Metric, ...] = (
    # --- the run -------------------------------------------------------------------------------
    Metric("scenario", "text", "The scenario's name.", _RUN, "one per run", scope="run"),
    Metric("seed", "count", "The random seed the run used (the scenario's, or --seed).", _RUN, "one per run", scope="run"),
    Metric("steps", "count", "Number of simulated steps.", _RUN, "one per run", scope="run"),
    Metric("step_seconds", "s", "Simulated seconds per step.", _RUN, "one per run", scope="run"),
    Metric("duration_days", "days", "Simulated length of the run: steps x step_seconds / 86,400.", _RUN,
           "one per run", scope="run"),
    # --- per venue -----------------------------------------------------------------------------
    Metric("total_fees_usd", "USD", "Exchange fees paid by takers on every perp market of the venue "
           "(Drift: amm.total_exchange_fee; Curie: taker fees).", _RUN, _PER_VENUE),
    Metric("liquidations", "count", "Liquidations the venue's keepers carried out.", _RUN, _PER_VENUE),
    Metric("insurance_fund_end_usd", "USD", "The insurance fund at the end of the run (Drift: the USDC spot "
           "market's insurance fund vault; Curie: the insurance fund account's value).", "the last step", _PER_VENUE),
    Metric("pnl_pool_end_usd", "USD", "The first perp market's pnl pool at the end (settled PnL owed to "
           "winners). 0 on a Curie venue, which has none.", "the last step", _PER_VENUE),
    Metric("fee_pool_end_usd", "USD", "The first perp market's AMM fee pool at the end (Curie: makers' fees "
           "not yet realised).", "the last step", _PER_VENUE),
    Metric("revenue_pool_end_usd", "USD", "The USDC spot market's revenue pool at the end. 0 on a Curie "
           "venue, which has none.", "the last step", _PER_VENUE),
    Metric("bal_return_7d_pct", "%", "Return of ONE BAL share of the first perp market over the last 7 days: "
           "the share index's change over the value of the liquidity the share represented at the window "
           "start (the BAL page's 7D figure; BalState.lp_performance).", "the last 7 days of the run",
           _PER_VENUE, f"the run is shorter than {MIN_7D_DAYS} days; {_BAL_ONLY}"),
    Metric("bal_return_30d_pct", "%", "As bal_return_7d_pct over the last 30 days (the BAL page's 30D figure).",
           "the last 30 days of the run", _PER_VENUE, f"the run is shorter than {MIN_30D_DAYS} days; {_BAL_ONLY}"),
    Metric("bal_apr_30d_pct", "%", "bal_return_30d_pct x 365 / 30 (simple; the BAL page's 30D APR).",
           "the last 30 days of the run", _PER_VENUE, f"the run is shorter than {MIN_30D_DAYS} days; {_BAL_ONLY}"),
    Metric("lp_capital_usd", "USD", "Starting capital (collateral) of the venue's liquidity providers "
           "(BAL providers, Curie makers) that entered, summed.", _RUN, f"{_PER_VENUE}: sum over providers"),
    Metric("lp_apr_pct", "%", "The providers' APR: each provider's apr_pct weighted by its starting capital, "
           "over the providers that have one.", _ACTIVE,
           f"{_PER_VENUE}: capital-weighted mean over providers",
           f"no provider has an APR (every active window is shorter than {MIN_ANNUALISE_DAYS} days)"),
    Metric("lp_pnl_usd", "USD", "The providers' PnL: end NAV minus starting capital, summed over providers.",
           _ACTIVE, f"{_PER_VENUE}: sum over providers"),
    Metric("lp_fees_usd", "USD", "Fees the providers earned (their fees_usd), summed.", _ACTIVE,
           f"{_PER_VENUE}: sum over providers"),
    Metric("max_drawdown_pct", "%", "The worst provider's max_drawdown_pct (largest fall of its NAV from a "
           "running peak, in % of that peak).", _ACTIVE, f"{_PER_VENUE}: maximum over providers"),
    Metric("state_digest", "text", "SHA-256 of the venue's engine state at the end (equal digests: equal "
           "final states).", "the last step", _PER_VENUE),
    # --- per agent (summary.json venues.<venue>.agents.<agent>) --------------------------------
    Metric("capital_usd", "USD", "The agent's starting capital (its collateral).", _ACTIVE, _PER_PROVIDER,
           scope="provider"),
    Metric("active_days", "days", "Length of the agent's active window.", _ACTIVE, _PER_PROVIDER,
           scope="provider"),
    Metric("nav_end_usd", "USD", "The agent's net asset value at the end: collateral plus unrealised PnL, "
           "valued at the oracle.", "the last step", _PER_PROVIDER, scope="provider"),
    Metric("pnl_usd", "USD", "nav_end_usd minus capital_usd.", _ACTIVE, _PER_PROVIDER, scope="provider"),
    Metric("return_pct", "%", "100 x (nav_end_usd / capital_usd - 1).", _ACTIVE, _PER_PROVIDER, scope="provider"),
    Metric("apr_pct", "%", "return_pct x 365 / active_days (simple).", _ACTIVE, _PER_PROVIDER, _SHORT,
           scope="provider"),
    Metric("sharpe_ratio", "ratio", "Mean over sample standard deviation of the daily returns of the NAV "
           "(the last value of each day) x sqrt(365), risk-free rate 0; 0 without variation.", _ACTIVE,
           _PER_PROVIDER, _SHORT, scope="provider"),
    Metric("fees_usd", "USD", "Fees earned, cumulative.", _ACTIVE, _PER_PROVIDER, scope="provider"),
    Metric("funding_usd", "USD", "Funding received (negative: paid), cumulative.", _ACTIVE, _PER_PROVIDER,
           scope="provider"),
    Metric("inventory_pnl_usd", "USD", "PnL of the position the liquidity took on, at the oracle.", _ACTIVE,
           _PER_PROVIDER, scope="provider"),
    Metric("removal_fees_usd", "USD", "Fees paid on removing liquidity (residual burn), a cost: positive = paid.",
           _ACTIVE, _PER_PROVIDER, scope="provider"),
    Metric("residual_usd", "USD", "pnl_usd minus (fees + funding + inventory - removal fees): what the parts "
           "do not explain.", _ACTIVE, _PER_PROVIDER, scope="provider"),
)

METRICS: dict[str, Metric] = {m.name: m for m in _ALL}
# the provider's own max drawdown (the venue's figure is the worst of them): same name, one meaning per scope
PROVIDER_DRAWDOWN = Metric(
    "max_drawdown_pct", "%", "Largest fall of the provider's NAV from a running peak, in % of that peak.",
    _ACTIVE, _PER_PROVIDER, scope="provider",
)

RUN_FACTS = tuple(m.name for m in _ALL if m.scope == "run")
VENUE_FIGURES = tuple(m.name for m in _ALL if m.scope == "venue")
# the provider table of the report and the terminal, in this order
PROVIDER_COLUMNS = (
    "capital_usd", "active_days", "nav_end_usd", "pnl_usd", "return_pct", "apr_pct", "max_drawdown_pct",
    "sharpe_ratio", "fees_usd", "funding_usd", "inventory_pnl_usd", "removal_fees_usd", "residual_usd",
)

_DECIMALS = {"USD": 2, "%": 2, "ratio": 2, "days": 2, "s": 0}


def metric(name: str, scope: str = "venue") -> Metric | None:
    """The definition of a figure; `scope` "provider" for a provider's own figures."""
    if scope == "provider" and name == "max_drawdown_pct":
        return PROVIDER_DRAWDOWN
    return METRICS.get(name)


def hover(name: str, scope: str = "venue") -> str:
    """The text shown on hover over a figure's label: definition, window, aggregation, n/a."""
    m = metric(name, scope)
    if m is None:
        return ""
    text = f"{m.definition} Unit: {m.unit}. Window: {m.window}. Aggregation: {m.aggregation}."
    if m.na_when != "never":
        text += f" n/a when {m.na_when}."
    return text


def format_value(name: str, value: Any) -> str:
    """A figure as the report and the terminal both show it: None as n/a, USD to cents, % and
    ratios to 2 places, counts with thousands separators."""
    if value is None:
        return "n/a"
    if isinstance(value, bool) or isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        m = METRICS.get(name)
        decimals = _DECIMALS.get(m.unit if m else _unit_of_name(name), 4)
        text = f"{value:,.{decimals}f}"
        return "0.00" if text in ("-0.00",) else text
    return str(value)


def _unit_of_name(name: str) -> str:
    for suffix, unit in (("_usd", "USD"), ("_pct", "%"), ("_ratio", "ratio"), ("_days", "days")):
        if name.endswith(suffix):
            return unit
    return ""


PROVIDER_KINDS = ("lp", "bal", "provider", "maker", "range", "liquidity")


def is_provider(kind: Any) -> bool:
    """Whether an agent's kind names a liquidity provider (bal_provider, curie_maker, ...)."""
    text = str(kind or "").lower()
    return any(word in text for word in PROVIDER_KINDS)


def summary_venues(summary: dict, order: Iterable[str] = ()) -> dict[str, dict]:
    """summary.json's venue tables, in `order` (the scenario's) first, then the rest sorted."""
    tables = {k: v for k, v in (summary.get("venues") or {}).items() if isinstance(v, dict)}
    return {name: tables[name] for name in dict.fromkeys([*order, *sorted(tables)]) if name in tables}


def summary_providers(summary: dict, order: Iterable[str] = ()) -> list[tuple[str, str, dict]]:
    """(venue, agent, figures) of every liquidity provider in summary.json, venue by venue."""
    return [
        (venue, agent, figures)
        for venue, stats in summary_venues(summary, order).items()
        for agent, figures in (stats.get("agents") or {}).items()
        if isinstance(figures, dict) and is_provider(figures.get("kind"))
    ]


def render() -> str:
    """docs/metrics.md (Markdown)."""
    lines = [
        "# Metrics reference",
        "",
        "Generated from `src/ballast/report/metrics.py` (`ballast docs metrics`). Every headline figure "
        "of a run, named as in summary.json. The report shows each definition on hover over the figure's "
        "name; the report and the terminal (`ballast backtest`) show the values of summary.json, formatted "
        "the same way (USD to cents, % and ratios to 2 places, n/a for a figure that is not defined).",
        "",
        "Rules:",
        "",
        f"- APRs are simple (return x 365 / days) and never annualised from under {MIN_ANNUALISE_DAYS} days "
        "(n/a); nor is the Sharpe ratio.",
        f"- 7-day figures need a run of {MIN_7D_DAYS} days or more, 30-day figures a run of {MIN_30D_DAYS} "
        "days or more (n/a otherwise).",
        "- Per provider, figures run over the provider's active window (from its entry to the end of the "
        "run) on its starting capital.",
        "- Venue figures that aggregate providers are sums, a maximum, or weighted by starting capital "
        "(lp_apr_pct); never a plain mean.",
        "- The top level of summary.json repeats the first venue's figures; `venues.<venue>` has every "
        "venue's, and `venues.<venue>.agents.<agent>` every agent's.",
    ]
    sections = (
        ("The run", "run", "summary.json top level"),
        ("Per venue", "venue", "`venues.<venue>` (the first venue's also at the top level)"),
        ("Per agent", "provider", "`venues.<venue>.agents.<agent>`; the report's and the terminal's provider tables"),
    )
    for title, scope, where in sections:
        lines += ["", f"## {title}", "", f"Where: {where}.", "",
                  "| figure | unit | definition | window | aggregation | n/a when |",
                  "|---|---|---|---|---|---|"]
        shown = [m for m in _ALL if m.scope == scope]
        if scope == "provider":
            shown.insert(6, PROVIDER_DRAWDOWN)
        for m in shown:
            lines.append(f"| `{m.name}` | {m.unit} | {m.definition} | {m.window} | {m.aggregation} | {m.na_when} |")
    return "\n".join(lines) + "\n"
