"""One self-contained HTML page for a run that works offline and loads nothing: inline CSS,
interactive charts (charts.py: each chart's data in its own div, Apache ECharts and the drawing
script inlined once), no src or href to a URL. Apart from the ECharts library (unchanged, whose
text names a few URLs in its licence header and as XML namespaces), the letters "http" never
appear: text that holds them is written with a character reference, which the browser shows
unchanged.

Sections: Summary (statistics with units), Market health warnings, Provider outcomes (one row
per provider: PnL, APR, drawdown, Sharpe and the PnL parts), De-risk and liquidation (per
provider: counts, closest distances, its events, and its de-risk / liquidation prices beside
the oracle over time), Price and mark, Provider NAV and drawdown, PnL decomposition, BAL
performance (7D / 30D), Funding rates, Liquidations, Bad debt and the loss waterfall (with the
time the insurance fund ran dry), Pools and insurance fund, Side by side (when the run has
several venues), Run (manifest and scenario).

Columns are read by name; a section whose columns are missing says so instead of failing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ballast.report import charts, plots
from ballast.report.metrics import (
    BAD_DEBT_FIGURES,
    PROVIDER_COLUMNS,
    PROVIDER_RISK_COLUMNS,
    RISK_SERIES,
    RUN_FACTS,
    format_value,
    hover,
    summary_providers,
    summary_venues,
)
from ballast.report.stats import (
    SECONDS_PER_DAY,
    column,
    drawdown_pct,
    group_rows,
    nav_stats,
    pnl_decomposition,
    provider_rows,
    ts_seconds,
)
from ballast.store.run_folder import RunData

__all__ = ["SECTION_TITLES", "render_report", "unit_of"]

SECTION_TITLES = (
    "Summary",
    "Market health warnings",
    "Provider outcomes",
    "De-risk and liquidation",
    "Price and mark",
    "Provider NAV and drawdown",
    "PnL decomposition",
    "BAL performance (7D / 30D)",
    "Funding rates",
    "Liquidations",
    "Bad debt and the loss waterfall",
    "Pools and insurance fund",
    "Side by side",
    "Run",
)

_UNITS = (
    ("_pct", "%"),
    ("_usd", "USD"),
    ("_quote", "quote (1e6)"),
    ("_base", "base"),
    ("_days", "days"),
    ("_seconds", "s"),
    ("_hours", "h"),
    ("_count", "count"),
    ("_ratio", "ratio"),
    ("_bps", "bp"),
    ("_shares", "shares"),
)

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1000px;padding:0 16px;color:#222}
h1{font-size:22px} h2{font-size:17px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;font-size:13px;margin:8px 0} td,th{border:1px solid #ddd;padding:3px 8px}
th{background:#f4f4f4;text-align:left} td.n{text-align:right;font-variant-numeric:tabular-nums}
.chart{width:100%;margin:8px 0 4px;min-width:0} .wide{overflow-x:auto;max-width:100%}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:4px 12px}
.charts.two{grid-template-columns:repeat(auto-fill,minmax(440px,1fr))}
.note{color:#777;font-size:13px} pre{background:#f7f7f7;padding:8px;font-size:12px;overflow:auto}
"""


def unit_of(name: str) -> str:
    """The unit a statistic's name carries (its suffix), or "" when it names none."""
    for suffix, unit in _UNITS:
        if name.endswith(suffix):
            return unit
    if name.endswith("sharpe") or "sharpe" in name or "sortino" in name:
        return "ratio"
    return ""


def _esc(text: Any) -> str:
    """HTML-escaped text in which "http" (any case) is written with a character reference."""
    return charts.escape(str(text))


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return _esc(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return _esc(value)
        if value != 0 and (abs(value) >= 1e9 or abs(value) < 1e-4):
            return f"{value:.4e}"
        return f"{value:,.4f}"
    return _esc(value)


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{_fmt(c)}</td>' if isinstance(c, (int, float)) and not isinstance(c, bool)
            else f"<td>{_fmt(c)}</td>"
            for c in row
        )
        body.append(f"<tr>{cells}</tr>")
    return f'<div class="wide"><table><tr>{head}</tr>{"".join(body)}</table></div>'


def _plot(function, *args) -> dict | None | Exception:
    """Run a chart function (a spec, or None); an exception is returned (the page shows it)
    rather than raised."""
    try:
        return function(*args)
    except Exception as error:  # noqa: BLE001 - a figure must never sink the report
        return error


def _chart(spec: dict | None | Exception, alt: str) -> str:
    """The chart's container (charts.chart_div), or a note when it is None or failed."""
    if isinstance(spec, Exception):
        return f'<p class="note">{_esc(alt)}: could not be drawn ({_esc(type(spec).__name__)}: {_esc(spec)}).</p>'
    if spec is None:
        return f'<p class="note">{_esc(alt)}: nothing to plot.</p>'
    try:
        return charts.chart_div(spec, alt)
    except (TypeError, ValueError) as error:  # not JSON
        return _chart(error, alt)


def _missing(names: Iterable[str]) -> str:
    return f'<p class="note">Not available in this run (missing columns: {_esc(", ".join(names))}).</p>'


def _section(title: str, body: str) -> str:
    anchor = title.lower().replace(" ", "-").replace("(", "").replace(")", "").replace("/", "")
    return f'<section id="{_esc(anchor)}"><h2>{_esc(title)}</h2>{body}</section>'


# --- data extraction --------------------------------------------------------------------------


def _markets(timeseries: pa.Table) -> dict[str, dict[str, list]]:
    """Timeseries rows grouped by venue/market, labelled "venue market"."""
    groups = group_rows(timeseries, ("venue", "market"))
    return {" ".join(str(k) for k in key if k != "").strip() or "market": rows for key, rows in groups.items()}


def _funding_unit(run: RunData) -> str:
    """The funding rate's unit: USD per base unit per funding period, the period named in hours
    when every market of the scenario has the same one (Drift's default and Perpetual Protocol's
    rate: 1 hour)."""
    periods = {m.get("funding_period_seconds") for m in run.scenario.get("markets") or () if isinstance(m, dict)}
    periods.discard(None)
    if not periods:
        return "USD per base per hour"
    if len(periods) > 1:
        return "USD per base per funding period"
    (seconds,) = periods
    return "USD per base per hour" if seconds == 3600 else f"USD per base per {seconds / 3600:g} h"


def _series(rows: Mapping[str, list], name: str) -> tuple[list, list] | None:
    values = rows.get(name)
    ts = rows.get("ts")
    if values is None or ts is None or all(v is None for v in values):
        return None
    return ts, values


def _span(run: RunData) -> tuple[int, int]:
    """The first and last time of the timeseries (else of the agents table), unix seconds."""
    for table in (run.timeseries, run.agents):
        if "ts" in table.column_names and table.num_rows:
            ends = pc.min_max(table.column("ts")).as_py()
            if ends["min"] is not None:
                first, last = ts_seconds([ends["min"], ends["max"]])
                return first, last
    return 0, 0


def _is_integer_column(table: pa.Table, name: str) -> bool:
    return name in table.column_names and pa.types.is_integer(table.schema.field(name).type)


def _trailing_performance(
    ts: Sequence[int], index: Sequence[float], value: Sequence[float] | None, window: int
) -> list[float | None]:
    """At each sample: index change since the latest sample at or before ts - window (the first
    sample when the history is shorter), in % of the share value at that start when `value` is
    given, else in the index's own unit (the BAL page's 7D/30D figure, BalPerformance)."""
    out: list[float | None] = []
    start = 0
    for i, t in enumerate(ts):
        while start + 1 <= i and ts[start + 1] <= t - window:
            start += 1
        if index[i] is None or index[start] is None:
            out.append(None)
            continue
        change = float(index[i]) - float(index[start])
        if value is None:
            out.append(change)
        else:
            base = value[start]
            out.append(100.0 * change / float(base) if base else None)
    return out


# --- sections ---------------------------------------------------------------------------------


_OWN_SECTIONS = {"warnings", "bad_debt"}  # summary keys the report shows in sections of their own


def _warnings_section(run: RunData) -> str:
    """Every market-health warning (ballast.sim.health), with its span in days from the start."""
    warnings = run.summary.get("warnings") or []
    if not warnings:
        return ('<p class="note">None: the mark stayed near the oracle, funding below its cap, orders '
                'filled, bad debt was resolved and every instruction went through.</p>')
    start, _end = _span(run)
    rows = [(w["venue"], w["market"], w["kind"], (w["start_ts"] - start) / SECONDS_PER_DAY,
             (w["end_ts"] - start) / SECONDS_PER_DAY, w["detail"]) for w in warnings]
    return _table(("venue", "market_or_agent", "warning", "from_day", "to_day", "detail"), rows)


def _when(ts: int, start: int) -> str:
    """A time as "day D.DD (YYYY-MM-DD HH:MM UTC)" (days from the start of the run; the date
    left out for a time outside the calendar)."""
    day = f"day {(ts - start) / SECONDS_PER_DAY:,.2f}"
    try:
        return f"{day} ({datetime.fromtimestamp(ts, UTC):%Y-%m-%d %H:%M} UTC)"
    except (OverflowError, OSError, ValueError):
        return day


_STAGES = {  # what each of the bad-debt ledger's figures is (metrics.BAD_DEBT_FIGURES: the waterfall's order)
    "bad_debt_usd": "the loss to cover (= 1 + 2 + 3)",
    "insurance_fund_usd": "1. paid by the insurance fund",
    "fee_pool_usd": "2. paid by the perp market's fee pool",
    "socialised_usd": "3. socialised: charged to open positions (perp) or depositors (spot)",
    "perp_bad_debt_usd": "of which from perp bankruptcies",
    "spot_bad_debt_usd": "of which from spot bankruptcies",
    "pnl_deficit_insurance_usd": "insurance fund paid into a pnl pool without a bankruptcy (not in the waterfall)",
    "resolutions": "bankruptcy resolutions",
    "stages_mismatch": "resolutions whose stages do not sum (none expected)",
}
_WATERFALL_ROWS_SHOWN = 100


def _bad_debt_section(run: RunData) -> str:
    """Each Drift venue's loss waterfall (bad debt -> insurance fund -> fee pool -> socialised)
    from summary.json's bad-debt ledger, the time the insurance fund ran dry, and one row per
    bankruptcy resolution (ballast.sim.waterfall; metrics.py defines every figure)."""
    venues = {name: stats for name, stats in summary_venues(run.summary, _venue_order(run)).items()
              if isinstance(stats.get("bad_debt"), dict)}
    if not venues:
        return '<p class="note">No Drift venue in this run.</p>'
    start, _end = _span(run)
    header = (("figure", "hover over a figure's name for its definition (docs/metrics.md)"),
              *((f"{venue} (USD / count)", "") for venue in venues), ("stage", ""))
    rows = [(name, *(stats["bad_debt"].get(name, _ABSENT) for stats in venues.values()), _STAGES[name])
            for name in BAD_DEBT_FIGURES]
    out = [_figure_table(header, rows, scope="bad_debt")]
    for venue, stats in venues.items():
        day = stats.get("insurance_fund_depleted_day")
        dry = ("never ran dry" if day is None else
               f"ran dry on {_when(start + round(day * SECONDS_PER_DAY), start)}")
        out.append(f'<p><span title="{_esc(hover("insurance_fund_depleted_day"))}">{_esc(venue)}: the '
                   f'insurance fund {_esc(dry)}</span>.</p>')
    resolutions = [(venue, row) for venue, stats in venues.items() for row in stats["bad_debt"].get("waterfall") or ()]
    if resolutions:
        amounts = ("bad_debt_usd", "insurance_fund_usd", "fee_pool_usd", "socialised_usd")
        table_rows = [(venue, _when(int(r["ts"]), start), r["user"], r["kind"], r["market"],
                       *(r[name] for name in amounts)) for venue, r in resolutions[:_WATERFALL_ROWS_SHOWN]]
        head = (("venue", ""), ("when", ""), ("user", ""), ("kind", ""), ("market", ""),
                *((name, hover(name, "bad_debt")) for name in amounts))
        out.append("<h3>Each bankruptcy resolution</h3>"
                   + _figure_table(head, table_rows, scope="provider", labels=5))
        if len(resolutions) > _WATERFALL_ROWS_SHOWN:
            out.append(f'<p class="note">The first {_WATERFALL_ROWS_SHOWN} of {len(resolutions):,} resolutions; '
                       "summary.json lists them all (venues.&lt;venue&gt;.bad_debt.waterfall).</p>")
    out.append('<p class="note">Every dollar of bad debt is paid, in this order, by the insurance fund (up to '
               "the market's quote_max_insurance), then the perp fee pool, and the rest is socialised; the "
               "three stages sum to the bad debt.</p>")
    return "".join(out)


def _figure_table(header: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]], scope: str = "venue",
                  labels: int = 1) -> str:
    """A table of summary.json figures: each header (text, hover) and, in the first `labels`
    cells of a row, the figure's name with its definition on hover (ballast.report.metrics);
    values formatted by metrics.format_value for the figure the row (scope venue) or the column
    (scope provider) names."""
    head = "".join(f'<th title="{_esc(tip)}">{_esc(text)}</th>' if tip else f"<th>{_esc(text)}</th>"
                   for text, tip in header)
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            if i < labels:
                tip = hover(str(value), scope) if scope in ("venue", "bad_debt") else ""
                cells.append(f'<td title="{_esc(tip)}">{_esc(value)}</td>' if tip else f"<td>{_esc(value)}</td>")
                continue
            name = str(row[0]) if scope in ("venue", "bad_debt") else header[i][0]
            if value is _ABSENT:
                cells.append("<td></td>")
            elif isinstance(value, (int, float)) and not isinstance(value, bool) or value is None:
                cells.append(f'<td class="n">{_esc(format_value(name, value))}</td>')
            else:
                cells.append(f"<td>{_esc(format_value(name, value))}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f'<div class="wide"><table><tr>{head}</tr>{"".join(body)}</table></div>'


_ABSENT = object()  # a figure a venue does not have (BAL figures on a Curie venue): an empty cell


def _venue_order(run: RunData) -> list[str]:
    return [v.get("name") for v in run.scenario.get("venues") or () if isinstance(v, dict)]  # summary.json sorts


def _summary_section(run: RunData) -> str:
    """summary.json's scalar figures, formatted as the terminal shows them, each name with its
    definition on hover: run-wide facts first, then one column per venue (the venue tables of
    summary.json, in the scenario's order; the first venue's figures are also its top level).
    Lists and tables (warnings, the bad-debt ledger, agents) have sections of their own."""
    if not run.summary:
        return '<p class="note">No summary statistics.</p>'
    facts = [(name, run.summary[name], unit_of(name)) for name in RUN_FACTS if name in run.summary]
    venues = summary_venues(run.summary, _venue_order(run))
    if not venues:
        venues = {"": {k: v for k, v in run.summary.items() if k not in RUN_FACTS}}
    names: list[str] = []
    for stats in venues.values():
        names += [k for k, v in stats.items() if k not in names and _is_scalar(v) and k not in RUN_FACTS]
    figures = [(name, *(stats.get(name, _ABSENT) for stats in venues.values()), unit_of(name)) for name in names]
    header = (("figure", "hover over a figure's name for its definition (docs/metrics.md)"),
              *((name or "value", "") for name in venues), ("unit", ""))
    return _figure_table((("run", ""), ("value", ""), ("unit", "")), facts) + _figure_table(header, figures)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def _provider_stats(run: RunData) -> list[tuple[str, str, dict[str, float]]]:
    """Statistics of each provider's NAV series in the agents table (providers.csv; the provider
    table of a run whose summary.json has no agent figures, such as a replay)."""
    out = []
    for (venue, agent), rows in provider_rows(run.agents).items():
        ts, nav = rows.get("ts"), rows.get("nav_usd")
        if ts is None or nav is None:
            continue
        out.append((venue, agent, nav_stats(ts, nav)))
    return out


def _provider_figures(run: RunData) -> list[tuple[str, str, dict[str, Any]]]:
    """Each provider's figures (metrics.PROVIDER_COLUMNS): summary.json's, computed by the run
    over the provider's active window; for a run without them, from the agents table."""
    found = summary_providers(run.summary, _venue_order(run))
    if found:
        return found
    parts = {(d.venue, d.agent): d for d in pnl_decomposition(run.agents)}
    out = []
    for venue, agent, s in _provider_stats(run):
        d = parts.get((venue, agent))
        out.append((venue, agent, {
            "capital_usd": s.get("start_nav_usd"), "active_days": s.get("duration_days"),
            "nav_end_usd": s.get("end_nav_usd"), "pnl_usd": s.get("pnl_usd"), "return_pct": s.get("total_return_pct"),
            "apr_pct": s.get("apr_pct"), "max_drawdown_pct": s.get("max_drawdown_pct"),
            "sharpe_ratio": s.get("sharpe_ratio"),
            **({name: getattr(d, name) for name in ("fees_usd", "funding_usd", "inventory_pnl_usd",
                                                    "removal_fees_usd", "residual_usd")} if d else {}),
        }))
    return out


def _providers_section(run: RunData) -> str:
    figures = _provider_figures(run)
    if not figures:
        return _missing(["agents: ts, nav_usd"])
    header = (("venue", ""), ("provider", ""), *((name, hover(name, "provider")) for name in PROVIDER_COLUMNS))
    rows = [(venue, agent, *(f.get(name) for name in PROVIDER_COLUMNS)) for venue, agent, f in figures]
    note = (
        '<p class="note">Each provider over its active window (from its entry to the end) on its starting '
        "capital, as in summary.json; hover over a column's name for its definition. APR simple on 365 "
        "days, n/a (like the Sharpe ratio) under 7 days. Removal fees are a cost (positive = paid).</p>"
    )
    return _figure_table(header, rows, scope="provider", labels=2) + note


_EVENT_ROWS_SHOWN = 200


def _provider_events(run: RunData, providers: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """The de-risk (LPRecord RemoveLiquidityDerisk) and liquidation (LiquidationRecord) events of
    the providers (venue, agent), in the order of the run, with their amounts in USD and base
    units; a de-risk's oracle is the agents table's at its time (a liquidity change is sampled)."""
    wanted = set(providers)
    out = []
    records = sorted(run.event_records("LPRecord") + run.event_records("LiquidationRecord"),
                     key=lambda r: int(r.get("ts") or 0))  # stable: the run's order within a time
    for record in records:
        key = (record["venue"], str(record.get("user") or "").rsplit("/", 1)[0])
        if key not in wanted:
            continue
        ts = int(record.get("ts") or 0)
        if record["type"] == "LPRecord":
            if record.get("action") != "RemoveLiquidityDerisk":
                continue
            out.append({"key": key, "ts": ts, "event": "de-risk: BAL shares burned",
                        "shares": record["n_shares"] / 1e9, "base": record["delta_base_asset_amount"] / 1e9,
                        "quote_usd": record["delta_quote_asset_amount"] / 1e6, "oracle_usd": None,
                        "detail": f"burn pnl {record['pnl'] / 1e6:,.2f} USD (the dust fee, negative = paid)"})
        else:
            out.append({"key": key, "ts": ts, "event": f"liquidation: {record.get('liquidation_type')}",
                        "shares": (record.get("lp_shares") or 0) / 1e9, "base": (record.get("base_asset_amount") or 0) / 1e9,
                        "quote_usd": (record.get("quote_asset_amount") or 0) / 1e6,
                        "oracle_usd": (record.get("oracle_price") or 0) / 1e6 or None,
                        "detail": f"margin requirement {record['margin_requirement'] / 1e6:,.2f} USD, total "
                                  f"collateral {record['total_collateral'] / 1e6:,.2f} USD, liquidator fee "
                                  f"{(record.get('liquidator_fee') or 0) / 1e6:,.2f} USD"
                                  + (", left bankrupt" if record.get("bankrupt") else "")})
    times = [e["ts"] for e in out if e["oracle_usd"] is None]
    if times and "oracle_price_usd" in run.agents.column_names:
        agents = run.agents.filter(pc.is_in(run.agents.column("ts"), pa.array(times, run.agents.schema.field("ts").type)))
        sampled = {(v, a, t): price for v, a, t, price in zip(
            *(agents.column(n).to_pylist() for n in ("venue", "agent", "ts", "oracle_price_usd")), strict=True)}
        for e in out:
            if e["oracle_usd"] is None:
                e["oracle_usd"] = sampled.get((*e["key"], e["ts"]))
    return out


def _risk_section(run: RunData, providers: Mapping[tuple[str, str], Mapping[str, list]]) -> str:
    """Per provider: its de-risk and liquidation counts and closest distances (summary.json), its
    events, and its de-risk / liquidation prices over time beside the oracle (the agents table's
    risk columns, ballast.sim.liquidation_price)."""
    figures = _provider_figures(run)
    if not figures:
        return _missing(["agents: ts, nav_usd"])
    start, _end = _span(run)
    header = (("venue", ""), ("provider", ""), *((name, hover(name, "provider")) for name in PROVIDER_RISK_COLUMNS))
    out = [_figure_table(header, [(venue, agent, *(f.get(name) for name in PROVIDER_RISK_COLUMNS))
                                  for venue, agent, f in figures], scope="provider", labels=2)]
    events = _provider_events(run, [(venue, agent) for venue, agent, _f in figures])
    if events:
        rows = [(*e["key"], _when(e["ts"], start), e["event"], f"{e['shares']:,.4f}", f"{e['base']:,.4f}",
                 f"{e['quote_usd']:,.2f}", "" if e["oracle_usd"] is None else f"{e['oracle_usd']:,.2f}", e["detail"])
                for e in events[:_EVENT_ROWS_SHOWN]]
        out.append(_table(("venue", "provider", "when", "event", "BAL shares", "base", "quote (USD)", "oracle (USD)",
                           "detail"), rows))
        if len(events) > _EVENT_ROWS_SHOWN:
            out.append(f'<p class="note">The first {_EVENT_ROWS_SHOWN} of {len(events):,} events; events.parquet '
                       "has them all.</p>")
    else:
        out.append('<p class="note">No provider was de-risked or liquidated.</p>')
    missing = [name for name in RISK_SERIES if name not in run.agents.column_names]
    if missing:
        return "".join(out) + _missing(missing)
    lines: dict[str, dict[str, tuple[list, list]]] = {}
    labels = dict(zip(RISK_SERIES, ("oracle", "de-risk below", "de-risk above", "liquidation below",
                                    "liquidation above"), strict=True))
    for (venue, agent), rows_of in providers.items():
        drawn = {labels[name]: series for name in RISK_SERIES if (series := _series(rows_of, name)) is not None}
        if len(drawn) > 1:  # more than the oracle
            lines[f"{venue} {agent}".strip()] = drawn
    marks: dict[str, list[tuple[int, str]]] = {}
    for e in events:
        marks.setdefault(" ".join(e["key"]).strip(), []).append((e["ts"], e["event"].split(":")[0]))
    note = ('<p class="note">The oracle price at which each provider\'s subaccount, as it stood at each sample, would '
            "be de-risked (its BAL shares burned at the next pnl settlement) or liquidated, below and above the "
            "oracle: the engine's own margin calculation solved for the price (docs/metrics.md defines them and "
            "their tolerance). The distance from the oracle to the nearer line is the room the provider had. "
            "Vertical lines: the provider's de-risk and liquidation events.</p>")
    if not lines:
        return "".join(out) + '<p class="note">No provider had a de-risk or liquidation price in range.</p>'
    return "".join(out) + _chart(_plot(plots.risk_chart, lines, marks), "de-risk and liquidation prices") + note


def _price_section(run: RunData, markets_rows: dict[str, dict[str, list]]) -> str:
    wanted = {"oracle": "oracle_price_usd", "mark": "mark_price_usd", "bid": "bid_price_usd", "ask": "ask_price_usd"}
    markets = {}
    for label, rows in markets_rows.items():
        lines = {key: s for key, name in wanted.items() if (s := _series(rows, name)) is not None}
        if lines:
            markets[label] = lines
    if not markets:
        return _missing(["ts", "oracle_price_usd", "mark_price_usd"])
    return _chart(_plot(plots.price_mark_chart, markets), "price and mark")


def _nav_section(providers: Mapping[tuple[str, str], Mapping[str, list]]) -> str:
    navs, drawdowns = {}, {}
    for (venue, agent), rows in providers.items():
        series = _series(rows, "nav_usd")
        if series is None:
            continue
        label = f"{venue} {agent}".strip()
        ts, nav = [], []
        for t, v in zip(*series, strict=True):
            if v is not None:
                ts.append(t)
                nav.append(float(v))
        navs[label] = (ts, nav)
        drawdowns[label] = (ts, drawdown_pct(nav))
    if not navs:
        return _missing(["agents: ts, nav_usd"])
    return _chart(_plot(plots.nav_drawdown_chart, navs, drawdowns), "provider NAV and drawdown")


def _pnl_section(run: RunData) -> str:
    parts = pnl_decomposition(run.agents)
    if not parts:
        return _missing(["agents: nav_usd, fees_usd, funding_usd, inventory_pnl_usd, removal_fees_usd"])
    rows = {f"{d.venue} {d.agent}".strip(): d.contributions() for d in parts}
    note = (
        '<p class="note">Signed contributions to each provider\'s PnL (USD): fees, funding, '
        "inventory, removal (residual-burn) fees as a cost, and the residual the parts do not "
        "explain. Parts missing from the run count as 0 and show in the residual.</p>"
    )
    return _chart(_plot(plots.pnl_decomposition_chart, rows), "PnL decomposition") + note


def _bal_section(run: RunData, markets_rows: dict[str, dict[str, list]]) -> str:
    index_name = "bal_index_quote"
    value_names = ("bal_share_value_quote", "share_value_quote")
    if index_name not in run.timeseries.column_names:
        return _missing([index_name])
    value_name = next((n for n in value_names if n in run.timeseries.column_names), None)
    scale = 1e6 if _is_integer_column(run.timeseries, index_name) else 1.0
    markets = {}
    for label, rows in markets_rows.items():
        ts, index = rows["ts"], rows[index_name]
        if all(v is None for v in index):
            continue
        value = rows.get(value_name) if value_name else None
        lines = {}
        for window_label, days in (("7D", 7), ("30D", 30)):
            perf = _trailing_performance(ts, index, value, days * SECONDS_PER_DAY)
            if value is None:
                perf = [p / scale if p is not None else None for p in perf]
            lines[window_label] = (ts, perf)
        markets[label] = lines
    unit = "% of share value" if value_name else "USD per share"
    note = (
        '<p class="note">Performance of ONE BAL share over the trailing 7 and 30 days at each '
        "sample, as the BAL page shows it: the change of the share index (fees and inventory at "
        "the oracle, plus funding) "
        + ("divided by the value of the liquidity the share represented at the window start."
           if value_name else "in USD per share (the run carries no share value column).")
        + "</p>"
    )
    return _chart(_plot(plots.bal_performance_chart, markets, unit), "BAL performance") + note


def _funding_section(run: RunData, markets_rows: dict[str, dict[str, list]]) -> str:
    markets = {
        label: s for label, rows in markets_rows.items()
        if (s := _series(rows, "funding_rate")) is not None
    }
    if not markets:
        return _missing(["funding_rate"])
    unit = _funding_unit(run)
    note = (
        '<p class="note">The last funding rate of each market, held until its next update: the '
        "payment per 1 base unit of position over one funding period, in USD (positive: longs "
        "pay shorts). Drift: amm.last_funding_rate (the clamped mark-oracle TWAP spread divided "
        "by the periods in 24 hours); Perpetual Protocol v2: the daily premium over 24.</p>"
    )
    return _chart(_plot(plots.funding_chart, markets, unit), "funding rates") + note


def _liquidations_section(run: RunData) -> str:
    records = run.event_records("LiquidationRecord")
    span = _span(run)
    if not records:
        return '<p class="note">No liquidations in this run.</p>'
    times: dict[str, list[int]] = {}
    bankrupt = 0
    by_type: dict[str, int] = {}
    for record in records:
        label = f"{record.get('venue', '')} market {record.get('market_index', '')}".strip()
        times.setdefault(label, []).append(int(record.get("ts") or span[0]))
        bankrupt += bool(record.get("bankrupt"))
        kind = str(record.get("liquidation_type", ""))
        by_type[kind] = by_type.get(kind, 0) + 1
    table = _table(
        ("liquidation type", "count"), sorted(by_type.items())
    ) + f'<p class="note">{len(records)} liquidations, {bankrupt} leaving the user bankrupt.</p>'
    return _chart(_plot(plots.liquidations_chart, times, span), "liquidations") + table


_PERP_POOLS = ("pnl_pool_usd", "fee_pool_usd")
_QUOTE_POOLS = ("revenue_pool_usd", "insurance_fund_usd")  # the venue's quote (USDC): one per venue
_CURIE_PLACEHOLDERS = {"pnl_pool_usd", "revenue_pool_usd"}  # recorded as 0 on a Perpetual Protocol venue


def _pools_section(run: RunData, markets_rows: dict[str, dict[str, list]]) -> str:
    kinds = {v.get("name"): v.get("kind", "drift") for v in run.scenario.get("venues") or () if isinstance(v, dict)}
    perp: dict[str, tuple[list, list]] = {}
    quote: dict[str, tuple[list, list]] = {}
    for rows in markets_rows.values():
        venue, market = (str((rows.get(key) or [""])[0]) for key in ("venue", "market"))
        curie = kinds.get(venue) == "curie"
        for name in (*_PERP_POOLS, *_QUOTE_POOLS):
            series = _series(rows, name)
            if series is None or (curie and name in _CURIE_PLACEHOLDERS):
                continue
            what = name.removesuffix("_usd").replace("_", " ")
            if name in _PERP_POOLS:
                perp[f"{venue} {market} {what}".strip()] = series
            else:  # every market of a venue repeats the quote's pools: the first is kept
                owner = "insurance fund account (USDC)" if curie else f"USDC spot market {what}"
                quote.setdefault(f"{venue} {owner}".strip(), series)
    if not perp and not quote:
        return _missing((*_PERP_POOLS, *_QUOTE_POOLS))
    quote_title = "quote (USDC) insurance fund and revenue pool"
    panels = {"perp market pools": perp, quote_title: quote}
    start, _end = _span(run)
    dry = [(start + round(day * SECONDS_PER_DAY), f"{venue} insurance fund dry")
           for venue, stats in summary_venues(run.summary, _venue_order(run)).items()
           if (day := stats.get("insurance_fund_depleted_day")) is not None]
    note = (
        '<p class="note">Per perp market: its pnl pool (settled PnL owed to winners) and its AMM '
        "fee pool. Per venue: the insurance fund and the revenue pool belong to the USDC spot "
        "market (Drift spot market 0, the quote of every perp market) and are shared by the "
        "venue's markets; on a Perpetual Protocol venue, the insurance fund account's value "
        "(USDC) and the makers' fees not yet realised as its fee pool. All in USD. A vertical line marks the "
        "time the insurance fund ran dry (insurance_fund_depleted_day).</p>"
    )
    return _chart(_plot(plots.pools_chart, panels, {quote_title: dry}), "pools and insurance fund") + note


def _side_by_side_section(run: RunData) -> str | None:
    venues = sorted({str(v) for v in (column(run.timeseries, "venue") or []) + (column(run.agents, "venue") or [])})
    if len(venues) < 2:
        return None
    table = ""
    tables = summary_venues(run.summary, _venue_order(run))
    if tables:  # summary.json's figures, as in the Summary table
        names = ("lp_capital_usd", "lp_pnl_usd", "lp_apr_pct", "max_drawdown_pct", "liquidations")
        table = _figure_table(
            (("venue", ""), *((name, hover(name)) for name in names)),
            [(venue, *(stats.get(name, _ABSENT) for name in names)) for venue, stats in tables.items()],
            scope="provider",
        )
    navs = {}
    for (venue, agent), group in provider_rows(run.agents).items():
        series = _series(group, "nav_usd")
        if series is not None:
            navs[f"{venue} {agent}"] = series
    drawdowns = {
        label: (ts, drawdown_pct([float(v) for v in values if v is not None]))
        for label, (ts, values) in navs.items()
        if all(v is not None for v in values)
    }
    note = '<p class="note">The same price path and flow on each venue; every provider on one chart.</p>'
    return table + note + _chart(_plot(plots.nav_drawdown_chart, navs, drawdowns) if navs else None, "providers side by side")


def _run_section(run: RunData) -> str:
    manifest = json.dumps(run.manifest, sort_keys=True, indent=2)
    scenario = json.dumps(run.scenario, sort_keys=True, indent=2)
    return f"<h3>manifest.json</h3><pre>{_esc(manifest)}</pre><h3>scenario (resolved)</h3><pre>{_esc(scenario)}</pre>"


def render_report(run: RunData) -> str:
    """The whole page as a string."""
    markets_rows = _markets(run.timeseries)
    providers = provider_rows(run.agents)  # every column of each provider's rows
    sections = [
        ("Summary", _summary_section(run)),
        ("Market health warnings", _warnings_section(run)),
        ("Provider outcomes", _providers_section(run)),
        ("De-risk and liquidation", _risk_section(run, providers)),
        ("Price and mark", _price_section(run, markets_rows)),
        ("Provider NAV and drawdown", _nav_section(providers)),
        ("PnL decomposition", _pnl_section(run)),
        ("BAL performance (7D / 30D)", _bal_section(run, markets_rows)),
        ("Funding rates", _funding_section(run, markets_rows)),
        ("Liquidations", _liquidations_section(run)),
        ("Bad debt and the loss waterfall", _bad_debt_section(run)),
        ("Pools and insurance fund", _pools_section(run, markets_rows)),
    ]
    side = _side_by_side_section(run)
    if side is not None:
        sections.append(("Side by side", side))
    sections.append(("Run", _run_section(run)))
    start, end = _span(run)
    days = (end - start) / SECONDS_PER_DAY
    name = run.scenario.get("name") or run.summary.get("scenario") or "run"
    description = run.scenario.get("description") or ""
    title = f"Ballast: {name}" + (f" - {description}" if description else "")
    return page(title, "", f"Run {run.run_id}, {_fmt(days)} days covered.", sections)


def page(title: str, lead: str, note: str, sections: Sequence[tuple[str, str]]) -> str:
    """A whole self-contained page: the title, an optional lead paragraph, a note that ends
    with the list of sections, then each section (title, HTML body), and when a body holds a
    chart, ECharts and the drawing script once at the end. Text is escaped here."""
    nav = " · ".join(_esc(t) for t, _ in sections)
    body = "".join(_section(t, b) for t, b in sections)
    drawn = f'<div class="{charts.CHART_CLASS}"' in body
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_esc(title)}</h1>" + (f"<p>{_esc(lead)}</p>" if lead else "")
        + f"<p class=\"note\">{_esc(note)} Sections: {nav}</p>"
        + ("<noscript><p class=\"note\">The charts need JavaScript; the tables do not.</p></noscript>" if drawn else "")
        + body + (charts.scripts() if drawn else "") + "</body></html>\n"
    )
