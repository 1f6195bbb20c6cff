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
from ballast.sim.liquidation_price import MAX_MULTIPLE, TOLERANCE_BPS
from ballast.sim.waterfall import EMPTY_FUND_USD

__all__ = [
    "BAD_DEBT_FIGURES",
    "METRICS",
    "MIN_30D_DAYS",
    "MIN_7D_DAYS",
    "MIN_ANNUALISE_DAYS",
    "PROVIDER_COLUMNS",
    "PROVIDER_RISK_COLUMNS",
    "RISK_SERIES",
    "RUN_FACTS",
    "VENUE_FIGURES",
    "Metric",
    "capital_weighted",
    "format_value",
    "hover",
    "metric",
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
    scope: str = "venue"  # run | venue | provider | bad_debt | series
    none_text: str = "n/a"  # what a figure that has no value shows


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
    Metric("insurance_fund_depleted_day", "days", "When the insurance fund ran dry: the first step at which the "
           f"USDC spot market's insurance fund vault held under ${EMPTY_FUND_USD:,.2f} after holding that much or "
           "more, in days from the start (the reference pays out at most the vault less $0.000001).", _RUN,
           _PER_VENUE, f"the fund never ran dry (shown as never); {_BAL_ONLY}", none_text="never"),
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
    Metric("derisks", "count", "Times settle_pnl de-risked the provider: BAL shares burned because the subaccount "
           "failed the initial margin check with the liquidation buffer (LPRecord RemoveLiquidityDerisk).", _RUN,
           _PER_PROVIDER, "a Perpetual Protocol (Curie) venue, which has no de-risking", scope="provider"),
    Metric("min_derisk_distance_pct", "%", "The closest the oracle came to a de-risk price: the smallest "
           "distance, over the agents table's samples, from the oracle to the nearer of derisk_price_below_usd "
           "and derisk_price_above_usd, in % of the oracle (0: a sample already past it).", _RUN, _PER_PROVIDER,
           f"no sample had a de-risk price within range (no BAL shares, or none from $0.000001 to {MAX_MULTIPLE} "
           "times the oracle); agents other than BAL providers", scope="provider"),
    Metric("min_liquidation_distance_pct", "%", "As min_derisk_distance_pct for the liquidation prices "
           "(liquidation_price_below_usd, liquidation_price_above_usd).", _RUN, _PER_PROVIDER,
           f"no sample had a liquidation price within range (from $0.000001 to {MAX_MULTIPLE} times the oracle); "
           "agents other than BAL providers", scope="provider"),
)

_PER_RESOLUTION = ("summed over the venue's bankruptcy resolutions; a waterfall row: that one resolution")
# summary.json venues.<venue>.bad_debt (the bad-debt ledger, ballast.sim.waterfall); a waterfall row
# (bad_debt.waterfall[i]: ts, user, kind, market) has the four amounts of one resolution
_BAD_DEBT: tuple[Metric, ...] = (
    Metric("bad_debt_usd", "USD", "Bad debt: the negative quote a perp bankruptcy clears from the bankrupt "
           "user's position (resolve_perp_bankruptcy) or the USDC borrow a spot bankruptcy clears "
           "(resolve_spot_bankruptcy).", _RUN, _PER_RESOLUTION, scope="bad_debt"),
    Metric("insurance_fund_usd", "USD", "The waterfall's first stage: what the insurance fund paid of the bad "
           "debt (if_payment; capped by the market's quote_max_insurance less what it already paid, and by the "
           "fund's vault less $0.000001).", _RUN, _PER_RESOLUTION, scope="bad_debt"),
    Metric("fee_pool_usd", "USD", "The second stage: what the perp market's fee pool gave up (its balance before "
           "minus after).", _RUN, _PER_RESOLUTION, scope="bad_debt"),
    Metric("socialised_usd", "USD", "The last stage: the rest, charged to every open position through the "
           "cumulative funding rates (perp) or to every depositor through the deposit interest (spot). The "
           "three stages sum to bad_debt_usd.", _RUN, _PER_RESOLUTION, scope="bad_debt"),
    Metric("perp_bad_debt_usd", "USD", "bad_debt_usd of perp bankruptcies.", _RUN, _PER_RESOLUTION,
           scope="bad_debt"),
    Metric("spot_bad_debt_usd", "USD", "bad_debt_usd of spot bankruptcies.", _RUN, _PER_RESOLUTION,
           scope="bad_debt"),
    Metric("pnl_deficit_insurance_usd", "USD", "Insurance money paid into a pnl pool when users are net winners "
           "beyond it, without a bankrupt user (resolve_perp_pnl_deficit); not part of the waterfall.", _RUN,
           "summed over the run", scope="bad_debt"),
    Metric("resolutions", "count", "Bankruptcy resolutions (rows of the waterfall).", _RUN, "one per venue",
           scope="bad_debt"),
    Metric("stages_mismatch", "count", "Resolutions whose three stages do not sum to their bad debt (none is "
           "expected).", _RUN, "one per venue", scope="bad_debt"),
)
_SAMPLE = "each row of the agents table (every 15 simulated minutes by default, and at every liquidity change)"
# the agents table's (agents.parquet) provider risk columns (ballast.sim.liquidation_price)
_RISK_SERIES: tuple[Metric, ...] = (
    Metric("oracle_price_usd", "USD", "The oracle price of the provider's market at the sample.", _SAMPLE,
           _PER_PROVIDER, "agents other than BAL providers on a Drift venue", scope="series"),
    Metric("derisk_price_below_usd", "USD", "The highest oracle price at or below the oracle at which the "
           "provider's subaccount, as it stands, would fail the check settle_pnl de-risks on (initial margin "
           "with the liquidation buffer), found with the engine's own margin calculation; within "
           f"{TOLERANCE_BPS} bp of the oracle (the price shown fails, one that much nearer the oracle passes).",
           _SAMPLE, _PER_PROVIDER, "no price from $0.000001 up to the oracle fails; no BAL shares; an advanced "
           "LP (opted out); agents other than BAL providers on a Drift venue", scope="series"),
    Metric("derisk_price_above_usd", "USD", "As derisk_price_below_usd: the lowest oracle price at or above "
           "the oracle that fails the de-risk check.", _SAMPLE, _PER_PROVIDER,
           f"no price from the oracle up to {MAX_MULTIPLE} times it fails; as derisk_price_below_usd",
           scope="series"),
    Metric("liquidation_price_below_usd", "USD", "The highest oracle price at or below the oracle at which the "
           "provider's subaccount, as it stands, would fall below its maintenance margin requirement (the "
           f"liquidation keeper's check), within {TOLERANCE_BPS} bp of the oracle.", _SAMPLE, _PER_PROVIDER,
           "no price from $0.000001 up to the oracle fails; nothing in the market (no base, BAL shares or "
           "orders); agents other than BAL providers on a Drift venue", scope="series"),
    Metric("liquidation_price_above_usd", "USD", "As liquidation_price_below_usd: the lowest oracle price at or "
           "above the oracle that fails the maintenance check.", _SAMPLE, _PER_PROVIDER,
           f"no price from the oracle up to {MAX_MULTIPLE} times it fails; as liquidation_price_below_usd",
           scope="series"),
)

METRICS: dict[str, Metric] = {m.name: m for m in _ALL}
# the provider's own max drawdown and liquidations (the venue's figures are the worst and the sum):
# same name, one meaning per scope
PROVIDER_DRAWDOWN = Metric(
    "max_drawdown_pct", "%", "Largest fall of the provider's NAV from a running peak, in % of that peak.",
    _ACTIVE, _PER_PROVIDER, scope="provider",
)
PROVIDER_LIQUIDATIONS = Metric(
    "liquidations", "count", "Liquidations of the agent's subaccount (LiquidationRecord of any type naming it).",
    _RUN, _PER_PROVIDER, scope="provider",
)
_PROVIDER_OWN = {m.name: m for m in (PROVIDER_DRAWDOWN, PROVIDER_LIQUIDATIONS)}
_OTHER_SCOPES = {"bad_debt": {m.name: m for m in _BAD_DEBT}, "series": {m.name: m for m in _RISK_SERIES}}
BAD_DEBT_FIGURES = tuple(m.name for m in _BAD_DEBT)
RISK_SERIES = tuple(m.name for m in _RISK_SERIES)

RUN_FACTS = tuple(m.name for m in _ALL if m.scope == "run")
VENUE_FIGURES = tuple(m.name for m in _ALL if m.scope == "venue")
# the provider table of the report and the terminal, in this order
PROVIDER_COLUMNS = (
    "capital_usd", "active_days", "nav_end_usd", "pnl_usd", "return_pct", "apr_pct", "max_drawdown_pct",
    "sharpe_ratio", "fees_usd", "funding_usd", "inventory_pnl_usd", "removal_fees_usd", "residual_usd",
)
# the de-risk and liquidation table of the report and the terminal, in this order
PROVIDER_RISK_COLUMNS = ("derisks", "liquidations", "min_derisk_distance_pct", "min_liquidation_distance_pct")

_DECIMALS = {"USD": 2, "%": 2, "ratio": 2, "days": 2, "s": 0}


def metric(name: str, scope: str = "venue") -> Metric | None:
    """The definition of a figure; `scope` "provider" for a provider's own figures, "bad_debt"
    for the bad-debt ledger's, "series" for the agents table's risk columns."""
    if scope in _OTHER_SCOPES:
        return _OTHER_SCOPES[scope].get(name)
    if scope == "provider" and name in _PROVIDER_OWN:
        return _PROVIDER_OWN[name]
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
    """A figure as the report and the terminal both show it: None as n/a (or the figure's
    none_text), USD to cents, % and ratios to 2 places, counts with thousands separators."""
    if value is None:
        m = METRICS.get(name)
        return m.none_text if m else "n/a"
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
        ("Bad debt and the loss waterfall", "bad_debt", "`venues.<venue>.bad_debt` of a Drift venue (the bad-debt "
         "ledger, ballast/sim/waterfall.py); its `waterfall` list has one row per bankruptcy resolution (ts, "
         "user, kind, market and the four amounts)"),
        ("De-risk and liquidation prices over time", "series", "columns of `agents.parquet`, one value per row of "
         "a BAL provider (ballast/sim/liquidation_price.py); the report draws them beside the oracle"),
    )
    for title, scope, where in sections:
        lines += ["", f"## {title}", "", f"Where: {where}.", "",
                  "| figure | unit | definition | window | aggregation | n/a when |",
                  "|---|---|---|---|---|---|"]
        shown = [m for m in (*_ALL, *_BAD_DEBT, *_RISK_SERIES) if m.scope == scope]
        if scope == "provider":
            shown.insert(6, PROVIDER_DRAWDOWN)
            shown.insert(13, PROVIDER_LIQUIDATIONS)
        for m in shown:
            lines.append(f"| `{m.name}` | {m.unit} | {m.definition} | {m.window} | {m.aggregation} | {m.na_when} |")
    return "\n".join(lines) + "\n"
