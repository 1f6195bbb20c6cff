"""The sweep report: `build_sweep_report(folder)` writes `folder/report.html` from a sweep folder
(ballast.store.sweep_folder): one self-contained page that loads nothing (inline CSS, interactive
charts drawn by the inline ECharts as the run report's, no src or href to a URL), every number
computed from the folder's `points` and `series`.

Sections: Sweep (name, points, finished and failed counts, seeds, axes; failed points with
their errors), Distributions (count, mean, std, quantiles, VaR and CVaR of each headline
figure, histograms of the main ones), Bad debt and the insurance fund (probabilities with 95%
Wilson intervals, time to depletion), Heatmaps (each pair of grid axes; only when the sweep
has two), Entry-day curve (only for an axis `...enter_at_day`), Worst points (with the command
that reruns each in full) and Insurance fund paths (the worst points against the median path).

Statistics are over the finished points (status "ok"); a failed point has no figures.
Quantiles interpolate linearly between order statistics (`quantile`); `distribution` gives
VaR and CVaR in the figure's own direction of loss (`higher_is_worse`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ballast.report.html import _chart, _esc, _plot, _table, page, unit_of
from ballast.report.plots import band_series, line_series, lines_chart, num, panel
from ballast.store.sweep_folder import FULL_DIR, REPORT_FILE, WORST_DIR, SweepFolder
from ballast.sweep.point import HEADLINE

__all__ = [
    "QUANTILES",
    "Z_95",
    "build_sweep_report",
    "distribution",
    "higher_is_worse",
    "quantile",
    "render_sweep_report",
    "wilson_interval",
]

Z_95 = 1.959963984540054  # the standard normal's 97.5% quantile: a two-sided 95% interval
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
RISK_FIGURES = ("bad_debt_usd", "socialised_loss_usd", "insurance_fund_min_usd")
_LOSS_FIGURES = frozenset({
    "bad_debt_usd", "socialised_loss_usd", "bad_debt_insurance_fund_usd", "bad_debt_fee_pool_usd",
    "liquidations", "warnings",
})
_MAX_PANELS = 9  # histograms in the distributions figure
_MAX_AGENT_PANELS = 5
_MAX_PAIRS = 6  # heatmaps
_MAX_LINES = 8  # entry-day curves
_MAX_FAILED_ROWS = 100
_DEFAULT_WORST = 5
_DAY = 86_400
_STAT_COLUMNS = ("count", "mean", "std", "min", *(f"p{round(100 * q)}" for q in QUANTILES), "max",
                 "var_95", "cvar_95", "var_99", "cvar_99")


# --- statistics -------------------------------------------------------------------------------


def higher_is_worse(name: str) -> bool:
    """Whether a larger value of the figure `name` is the bad outcome (a loss, a drawdown, a
    count of liquidations or warnings); otherwise the lower value is (returns, PnL, NAV, fund)."""
    return name in _LOSS_FIGURES or name.endswith("max_drawdown_pct") or name.endswith(".liquidations")


def quantile(sorted_values: Sequence[float] | np.ndarray, q: float) -> float:
    """The q quantile (0 <= q <= 1) of ascending values: linear interpolation between order
    statistics at position (n - 1) q counted from 0 (numpy's default, Hyndman-Fan type 7)."""
    n = len(sorted_values)
    if n == 0:
        raise ValueError("quantile of no values")
    position = round((n - 1) * q, 9)  # 19 x 0.05 is 0.95, not 0.9500000000000001
    low = math.floor(position)
    high = min(low + 1, n - 1)
    fraction = position - low
    return float(sorted_values[low] + fraction * (sorted_values[high] - sorted_values[low]))


def distribution(values: Iterable[float | None], higher_is_worse: bool = False) -> dict[str, Any]:
    """count, mean, std (sample, n - 1), min, p1 ... p99, max, and VaR / CVaR at 95% and 99%
    of the non-null, non-NaN values. Where lower is worse, VaR_q is the (1 - q) quantile and
    CVaR_q the mean of the values at or below it; where higher is worse, VaR_q is the q
    quantile and CVaR_q the mean of the values at or above it. Only count without values."""
    x = np.sort(np.array([float(v) for v in values if v is not None and not math.isnan(float(v))]))
    out: dict[str, Any] = {"count": len(x)}
    if len(x) == 0:
        return out
    out["mean"] = float(x.mean())
    out["std"] = float(x.std(ddof=1)) if len(x) > 1 else None
    out["min"] = float(x[0])
    for q in QUANTILES:
        out[f"p{round(100 * q)}"] = quantile(x, q)
    out["max"] = float(x[-1])
    for level in (95, 99):
        if higher_is_worse:
            var = quantile(x, level / 100)
            tail = x[x >= var]
        else:
            var = quantile(x, 1 - level / 100)
            tail = x[x <= var]
        out[f"var_{level}"] = var
        out[f"cvar_{level}"] = float(tail.mean())
    return out


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of a proportion successes / n (95% with the default z)."""
    if n <= 0 or not 0 <= successes <= n:
        raise ValueError(f"wilson_interval({successes}, {n})")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


# --- the folder -------------------------------------------------------------------------------


@dataclass
class _Sweep:
    folder: SweepFolder
    spec: dict[str, Any]
    points: pa.Table  # every point, deduped, by run id
    ok: pa.Table  # the finished ones
    con: Any  # DuckDB connection with the views points and series

    @property
    def axes(self) -> list[dict[str, Any]]:
        return [a for a in self.spec.get("axes") or [] if isinstance(a, dict) and a.get("key")]

    @property
    def grid_axes(self) -> list[dict[str, Any]]:
        return [a for a in self.axes if a.get("values") is not None and f"axis.{a['key']}" in self.points.column_names]

    def values(self, name: str, table: pa.Table | None = None) -> list[float]:
        """The column's non-null numbers (finished points by default); [] when it is missing."""
        table = self.ok if table is None else table
        if name not in table.column_names:
            return []
        out = []
        for v in table.column(name).to_pylist():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(float(v)):
                out.append(float(v))
        return out

    def agents(self) -> list[str]:
        """Agent names with a return_pct column, in column order."""
        return [c[len("agent."):-len(".return_pct")] for c in self.points.column_names
                if c.startswith("agent.") and c.endswith(".return_pct")]


def _load(folder: str | Path) -> _Sweep:
    sweep_folder = SweepFolder(folder)
    con = sweep_folder.connect()  # SweepFolderError when it is not a sweep folder
    spec = sweep_folder.spec()
    points = con.sql("SELECT * FROM points ORDER BY run_id").to_arrow_table()
    if "status" in points.column_names:
        mask = np.array([s == "ok" for s in points.column("status").to_pylist()], dtype=bool)
        ok = points.filter(pa.array(mask, type=pa.bool_()))
    else:
        ok = points.slice(0, 0)
    return _Sweep(sweep_folder, spec, points, ok, con)


def _value_text(value: Any) -> str:
    """An axis value, short: 0.05, 30, "a", or JSON for a table."""
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def _key(value: Any) -> Any:
    """A hashable stand-in for an axis value (equal numbers give equal keys: 1 and 1.0)."""
    try:
        hash(value)
        return value
    except TypeError:
        return json.dumps(value, sort_keys=True, default=str)


def _short(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def _note(text: str) -> str:
    return f'<p class="note">{_esc(text)}</p>'


def _pct(fraction: float) -> str:
    return f"{100 * fraction:.2f}"


# --- 1. the sweep -----------------------------------------------------------------------------


def _seeds_text(seeds: Any) -> str:
    if isinstance(seeds, int):
        return f"{seeds} (0 to {seeds - 1})" if seeds > 1 else "1 (seed 0)"
    if isinstance(seeds, list):
        return f"{len(seeds)} ({', '.join(str(s) for s in seeds)})"
    return "not recorded"


def _expected_points(spec: Mapping[str, Any]) -> int | None:
    seeds = spec.get("seeds", 1)
    count = seeds if isinstance(seeds, int) else len(seeds) if isinstance(seeds, list) else None
    if count is None:
        return None
    for axis in spec.get("axes") or []:
        if axis.get("values") is not None:
            count *= len(axis["values"])
    return count * max(int(spec.get("draws") or 0), 1)


def _sweep_section(sweep: _Sweep) -> str:
    spec = sweep.spec
    total, finished = sweep.points.num_rows, sweep.ok.num_rows
    expected = _expected_points(spec)
    keep = spec.get("keep_worst")
    facts = [
        ("points recorded", total),
        ("points in the sweep (grid x seeds x draws)", expected if expected is not None else "unknown"),
        ("finished", finished),
        ("failed", total - finished),
        ("seeds", _seeds_text(spec.get("seeds"))),
        ("draws per grid point and seed", int(spec.get("draws") or 0)),
        ("series every (minutes)", spec.get("series_every_minutes", "not recorded")),
        ("base scenario", spec.get("base", "not recorded")),
        ("keep_worst", f"{keep['n']} by {keep['metric']} ({'lowest' if keep.get('lowest', True) else 'highest'} is worst)"
         if isinstance(keep, dict) else "none"),
    ]
    parts = [_table(("", "value"), facts)]
    if expected is not None and total < expected:
        parts.append(_note(f"{expected - total} points of the sweep have no result yet (an interrupted sweep: "
                           "run it again to finish it)."))
    if sweep.axes:
        rows: list[tuple[Any, str, Any, str]] = []
        for axis in sweep.axes:
            if axis.get("values") is not None:
                rows.append((axis["key"], "grid", len(axis["values"]), ", ".join(_value_text(v) for v in axis["values"])))
            else:
                dist = {k: v for k, v in (axis.get("dist") or {}).items() if v is not None}
                rows.append((axis["key"], "random", "", json.dumps(dist, sort_keys=True)))
        parts.append("<h3>Axes</h3>" + _table(("key", "kind", "values_count", "values / distribution"), rows))
    else:
        parts.append(_note("No axes: every point is the base scenario with another seed."))
    parts.append(_failed_table(sweep))
    return "".join(parts)


def _failed_table(sweep: _Sweep) -> str:
    if "status" not in sweep.points.column_names or sweep.points.num_rows == sweep.ok.num_rows:
        return "<h3>Failed points</h3>" + _note("None.")
    columns = ["run_id", "seed", *(f"axis.{a['key']}" for a in sweep.axes), "error"]
    columns = [c for c in columns if c in sweep.points.column_names]
    failed = [r for r in sweep.points.select([*columns, "status"]).to_pylist() if r["status"] != "ok"]
    rows = [tuple(_value_text(r[c]) if c.startswith("axis.") else r[c] for c in columns)
            for r in failed[:_MAX_FAILED_ROWS]]
    more = _note(f"And {len(failed) - _MAX_FAILED_ROWS} more failed points (query the folder for all).") \
        if len(failed) > _MAX_FAILED_ROWS else ""
    return f"<h3>Failed points ({len(failed)})</h3>" + _table(columns, rows) + more


# --- 2. distributions -------------------------------------------------------------------------


def _headline_figures(sweep: _Sweep) -> list[str]:
    names = [*HEADLINE, *RISK_FIGURES, *(f"agent.{a}.return_pct" for a in sweep.agents())]
    return [n for n in dict.fromkeys(names) if n in sweep.points.column_names]


def _distributions_section(sweep: _Sweep) -> str:
    if sweep.ok.num_rows == 0:
        return _note("No finished points: nothing to summarise.")
    rows, empty, stats = [], [], {}
    for name in _headline_figures(sweep):
        worse = higher_is_worse(name)
        d = distribution(sweep.values(name), worse)
        if d["count"] == 0:
            empty.append(name)
            continue
        stats[name] = d
        rows.append((name, unit_of(name) or "count", "higher" if worse else "lower",
                     *("n/a" if d.get(c) is None else d[c] for c in _STAT_COLUMNS)))
    if not rows:
        return _note("None of the headline figures has a value in the finished points.")
    header = ("figure", "unit", "worse_is", *_STAT_COLUMNS)
    definitions = _note(
        f"Over the {sweep.ok.num_rows} finished points, each figure in its own unit (column unit). std is the "
        "sample standard deviation (n - 1). p1 ... p99 are quantiles by linear interpolation between the "
        "sorted values (position (n - 1) q). VaR and CVaR look at the bad tail: for a figure where lower is "
        "worse (returns, PnL, pools, the insurance fund), VaR_q is the (1 - q) quantile (VaR 95 = p5) and "
        "CVaR_q the mean of the values at or below it; for a figure where higher is worse (bad debt, "
        "socialised loss, drawdown, liquidations), VaR_q is the q quantile (VaR 95 = p95) and CVaR_q the "
        "mean of the values at or above it. Both are values of the figure, not losses from zero.")
    missing = _note(f"No values (null in every finished point): {', '.join(empty)}.") if empty else ""
    agents = [n for n in stats if n.startswith("agent.")][:_MAX_AGENT_PANELS]
    main = [*agents, *(n for n in ("bad_debt_usd", "socialised_loss_usd", "insurance_fund_min_usd",
                                   "max_drawdown_pct") if n in stats)][:_MAX_PANELS]
    varying = [name for name in main if stats[name]["min"] < stats[name]["max"]]
    figure = "".join(_chart(_plot(_histogram_chart, name, sweep.values(name), stats[name]), f"distribution of {name}")
                     for name in varying)
    figure = f'<div class="charts">{figure}</div>' if figure else ""
    caption = _note("Histograms of the main figures over the finished points: the solid line is the median, the "
                    "dashed line VaR 95 (in the figure's bad direction). A figure with one value in every point is not drawn.")
    return _table(header, rows) + definitions + missing + figure + caption


def _label(name: str) -> str:
    unit = unit_of(name)
    return f"{name} ({unit})" if unit else name


def _histogram_chart(name: str, values: list[float], stats: dict[str, Any]) -> dict[str, Any] | None:
    """A histogram of the values (sqrt(n) bins, 5 to 30) with the median and VaR 95 marked."""
    if not values:
        return None
    bins = min(30, max(5, math.ceil(math.sqrt(len(values)))))
    low, high = min(values), max(values)
    width = (high - low) / bins if high > low else 1.0
    counts = [0] * bins
    for v in values:
        counts[min(int((v - low) / width), bins - 1)] += 1
    centres = [num(low + (i + 0.5) * width) for i in range(bins)]
    marks = [{"x": num(stats["p50"]), "name": "median", "color": "#222"},
             {"x": num(stats["var_95"]), "name": "VaR 95", "color": "#c44e52", "dash": True}]
    series = {"name": "points", "hist": True, "x": centres, "y": counts, "width": num(width)}
    chart = lines_chart({"type": "value", "name": _label(name)}, [panel("points", [series], marks=marks)], height=150)
    return None if chart is None else {**chart, "slider": False}


# --- 3. bad debt and the insurance fund -------------------------------------------------------


def _probability_row(event: str, hits: int, n: int) -> tuple:
    low, high = wilson_interval(hits, n)
    return (event, n, hits, _pct(hits / n), _pct(low), _pct(high))


def _risk_section(sweep: _Sweep) -> str:
    n = sweep.ok.num_rows
    if n == 0:
        return _note("No finished points.")
    rows = []
    for name, event in (("bad_debt_usd", "bad debt (bad_debt_usd > 0)"),
                        ("socialised_loss_usd", "socialised loss (socialised_loss_usd > 0)")):
        values = sweep.values(name)
        if values:
            rows.append(_probability_row(event, sum(v > 0 for v in values), len(values)))
    depleted: list[float] = []
    if "insurance_fund_depleted_day" in sweep.ok.column_names:
        depleted = sweep.values("insurance_fund_depleted_day")
        rows.append(_probability_row("empty insurance fund (insurance_fund_depleted_day not null)", len(depleted), n))
    if not rows:
        return _note("The points carry no bad debt or insurance fund figures.")
    table = _table(("event", "points", "points_with_event", "probability (%)", "95% CI low (%)",
                    "95% CI high (%)"), rows)
    note = _note("Probability = share of the finished points where the event happened; the interval is the 95% "
                 f"Wilson score interval (z = {Z_95:.4f}), which stays inside 0 to 100% and is meaningful for "
                 "few points and for 0 or all hits.")
    if "insurance_fund_depleted_day" not in sweep.ok.column_names:
        return table + note + _note("No insurance_fund_depleted_day column: time to depletion unknown.")
    if not depleted:
        return table + note + "<h3>Time to insurance fund depletion</h3>" + _note(
            "The insurance fund was never emptied in a finished point.")
    d = distribution(depleted)
    keys = ("count", "mean", "min", "p5", "p25", "p50", "p75", "p95", "max")
    depletion = _table(("points_depleted", *(f"{k} (days)" for k in keys[1:])), [tuple(d.get(k) for k in keys)])
    every = sweep.spec.get("series_every_minutes")
    depletion_note = _note(
        "Days from the start of the run to the first sampled time the fund held under $1 after holding more, "
        "among the points where it emptied" + (f" (sampled every {every} minutes)." if every else "."))
    figure = _chart(_plot(_depletion_chart, depleted), "time to insurance fund depletion") if len(depleted) > 1 else ""
    return table + note + "<h3>Time to insurance fund depletion</h3>" + depletion + depletion_note + figure


def _depletion_chart(days: list[float]) -> dict[str, Any] | None:
    """The share of depleted points depleted by each day (their empirical distribution)."""
    ordered = sorted(days)
    line = line_series("share of depleted points", ordered, [(i + 1) / len(ordered) for i in range(len(ordered))],
                       step=True, color="#c44e52")
    return lines_chart({"type": "value", "name": "day of depletion (days from the start)"},
                       [panel("share of depleted points", [line])], height=180)


# --- 4. heatmaps ------------------------------------------------------------------------------


def _default_metric(sweep: _Sweep) -> str | None:
    """The keep_worst metric (what the sweep's author ranks points by), else bad_debt_usd when
    any finished point has bad debt, else the first agent's return_pct."""
    worst = (sweep.spec.get("keep_worst") or {}).get("metric")
    if worst and sweep.values(worst):
        return worst
    if any(v > 0 for v in sweep.values("bad_debt_usd")):
        return "bad_debt_usd"
    for agent in sweep.agents():
        if sweep.values(f"agent.{agent}.return_pct"):
            return f"agent.{agent}.return_pct"
    return "bad_debt_usd" if sweep.values("bad_debt_usd") else None


def _cell_means(sweep: _Sweep, a: dict, b: dict, metric: str) -> list[list[float | None]]:
    """Mean of `metric` per (value of a, value of b) over the finished points (None: no value)."""
    sums: dict[tuple, list[float]] = {}
    columns = sweep.ok.select([f"axis.{a['key']}", f"axis.{b['key']}", metric]).to_pylist()
    for row in columns:
        value = row[metric]
        if isinstance(value, (int, float)) and not math.isnan(float(value)):
            cell = sums.setdefault((_key(row[f"axis.{a['key']}"]), _key(row[f"axis.{b['key']}"])), [0.0, 0])
            cell[0] += float(value)
            cell[1] += 1
    grid = []
    for va in a["values"]:
        line: list[float | None] = []
        for vb in b["values"]:
            total = sums.get((_key(va), _key(vb)))
            line.append(total[0] / total[1] if total else None)
        grid.append(line)
    return grid


def _heatmaps_section(sweep: _Sweep, metric: str | None) -> str | None:
    grid_axes = sweep.grid_axes
    if len(grid_axes) < 2:
        return None
    chosen = metric or _default_metric(sweep)
    if chosen is None or chosen not in sweep.ok.column_names or not sweep.values(chosen):
        return _note(f"No values of {chosen or 'a metric'} in the finished points: no heatmap.")
    pairs = [(a, b) for i, a in enumerate(grid_axes) for b in grid_axes[i + 1:]]
    shown = pairs[:_MAX_PAIRS]
    maps = [(a, b, _cell_means(sweep, a, b, chosen)) for a, b in shown]
    figure = "".join(_chart(_plot(_heatmap_chart, a, b, grid, chosen), f"mean {chosen}: {a['key']} x {b['key']}")
                     for a, b, grid in maps)
    figure = f'<div class="charts two">{figure}</div>'
    tables = []
    for a, b, grid in maps:
        header = (f"{a['key']} \\ {b['key']}", *(_value_text(v) for v in b["values"]))
        rows = [(_value_text(va), *("n/a" if v is None else v for v in line)) for va, line in zip(a["values"], grid, strict=True)]
        tables.append(f"<h3>Mean {_esc(_label(chosen))}: {_esc(a['key'])} x {_esc(b['key'])}</h3>"
                      + _table(header, rows))
    note = _note(f"Each cell: the mean of {_label(chosen)} over the finished points with those two axis values "
                 "(every seed, draw and value of the other axes); n/a: no finished point in the cell. "
                 + ("The metric defaults to bad_debt_usd when a point has bad debt, else the first agent's return."
                    if metric is None else ""))
    more = _note(f"{len(pairs) - len(shown)} more axis pairs not drawn.") if len(pairs) > len(shown) else ""
    return figure + note + more + "".join(tables)


def _heatmap_chart(a: dict, b: dict, grid: list[list[float | None]], metric: str) -> dict[str, Any] | None:
    """The cell means of two grid axes (a down, b across), red at the bad end."""
    cells = [[j, i, num(v)] for i, line in enumerate(grid) for j, v in enumerate(line) if num(v) is not None]
    if not cells:
        return None
    values = [c[2] for c in cells]
    low, high = min(values), max(values)
    if low == high:
        low, high = low - 1, high + 1
    return {
        "kind": "heatmap",
        "title": f"mean {_label(metric)}",
        "x": {"name": _short(b["key"]), "categories": [_value_text(v) for v in b["values"]]},
        "y": {"name": _short(a["key"]), "categories": [_value_text(v) for v in a["values"]]},
        "value": _label(metric),
        "cells": cells,
        "missing": [[j, i] for i, line in enumerate(grid) for j, v in enumerate(line) if num(v) is None],
        "min": low,
        "max": high,
        "higher_is_worse": higher_is_worse(metric),
    }


# --- 5. the entry-day curve -------------------------------------------------------------------


def _entry_agent(sweep: _Sweep, key: str) -> str | None:
    """The agent an `agents.<name>.enter_at_day` key moves (by name, or by index in the base)."""
    parts = key.split(".")
    if len(parts) != 3 or parts[0] != "agents":
        return None
    if parts[1] in sweep.agents():
        return parts[1]
    if parts[1].isdigit():
        import tomllib

        try:
            base = tomllib.loads(Path(str(sweep.spec.get("base", ""))).read_text())
            return str(base["agents"][int(parts[1])]["name"])
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            return None
    return None


def _entry_section(sweep: _Sweep) -> str | None:
    entry_axes = [a for a in sweep.axes if a["key"].endswith("enter_at_day")]
    if not entry_axes:
        return None
    parts = []
    for axis in entry_axes:
        parts.append(f"<h3>{_esc(axis['key'])}</h3>" + _entry_curve(sweep, axis))
    return "".join(parts)


def _entry_curve(sweep: _Sweep, axis: dict) -> str:
    agent = _entry_agent(sweep, axis["key"])
    metric = f"agent.{agent}.return_pct" if agent else None
    column = f"axis.{axis['key']}"
    if metric is None or metric not in sweep.ok.column_names or column not in sweep.ok.column_names:
        return _note(f"No return_pct column for the agent of {axis['key']}: no curve.")
    others = [a for a in sweep.grid_axes if a["key"] != axis["key"]]
    names = [column, metric, *(f"axis.{a['key']}" for a in others)]
    groups: dict[tuple, dict[Any, list[float]]] = {}
    for row in sweep.ok.select(names).to_pylist():
        day, value = row[column], row[metric]
        if not isinstance(day, (int, float)) or not isinstance(value, (int, float)) or math.isnan(float(value)):
            continue
        label = tuple((a["key"], _key(row[f"axis.{a['key']}"])) for a in others)
        groups.setdefault(label, {}).setdefault(float(day), []).append(float(value))
    if not groups:
        return _note(f"No finished point has both {column} and {metric}.")
    if axis.get("values") is None:
        points = {_line_label(label): sorted((d, v) for d, vs in days.items() for v in vs)
                  for label, days in groups.items()}
        figure = _chart(_plot(_entry_scatter_chart, points, metric), "return by entry day")
        return figure + _note(f"{axis['key']} is a random axis: one dot per finished point ({_label(metric)}).")
    order = {a["key"]: {_key(v): i for i, v in enumerate(a["values"])} for a in others}
    rows, lines = [], {}
    for label in sorted(groups, key=lambda lab: tuple(order[k].get(v, len(order[k])) for k, v in lab)):
        days = groups[label]
        curve = []
        for day in sorted(days):
            values = sorted(days[day])
            p5, p50, p95 = (quantile(values, q) for q in (0.05, 0.5, 0.95))
            curve.append((day, p5, p50, p95))
            rows.append((*(_value_text(v) for _k, v in label), day, len(values), p50, p5, p95))
        lines[_line_label(label)] = curve
    shown = dict(list(lines.items())[:_MAX_LINES])
    figure = _chart(_plot(_entry_chart, shown, metric), "return by entry day")
    unit = unit_of(metric)
    header = (*(a["key"] for a in others), f"{axis['key']} (days)", "points",
              f"median {metric} ({unit})", f"p5 ({unit})", f"p95 ({unit})")
    more = _note(f"{len(lines) - len(shown)} more lines in the table only.") if len(lines) > len(shown) else ""
    note = _note(f"{_label(metric)} of agent {agent} by the day it enters: the median over the finished points "
                 "(seeds and draws) at each entry day, with the p5 to p95 band"
                 + (", one line per value of the other grid axes." if others else "."))
    return figure + note + more + _table(header, rows)


def _line_label(label: tuple) -> str:
    return ", ".join(f"{_short(k)}={_value_text(v)}" for k, v in label) or "all points"


_ENTRY_X = {"type": "value", "name": "entry day (days from the start)"}


def _entry_chart(lines: Mapping[str, list[tuple[float, float, float, float]]], metric: str) -> dict[str, Any] | None:
    """Per line, the median by entry day (dots) and its p5 to p95 band, toggled together."""
    series: list[dict[str, Any] | None] = []
    for label, curve in lines.items():
        days = [c[0] for c in curve]
        series.append(band_series(label, days, [c[1] for c in curve], [c[3] for c in curve], tip="p5 to p95"))
        series.append(line_series(label, days, [c[2] for c in curve], symbol=True, width=1.6, tip="median"))
    return lines_chart(_ENTRY_X, [panel(_label(metric), series)], height=260)


def _entry_scatter_chart(points: Mapping[str, list[tuple[float, float]]], metric: str) -> dict[str, Any] | None:
    """One dot per finished point: its entry day and its figure."""
    series = []
    for label, pairs in list(points.items())[:_MAX_LINES]:
        series.append({"name": label, "scatter": True, "x": [num(p[0]) for p in pairs], "y": [num(p[1]) for p in pairs]})
    return lines_chart(_ENTRY_X, [panel(_label(metric), series)], height=260)


# --- 6. the worst points ----------------------------------------------------------------------


def _worst_choice(sweep: _Sweep) -> tuple[str, bool, int, str] | None:
    """(metric, lowest is worst, how many, why) of the worst points."""
    keep = sweep.spec.get("keep_worst")
    if isinstance(keep, dict) and keep.get("metric"):
        return keep["metric"], bool(keep.get("lowest", True)), int(keep.get("n", _DEFAULT_WORST)), "the sweep's keep_worst"
    for agent in sweep.agents():
        if sweep.values(f"agent.{agent}.return_pct"):
            return f"agent.{agent}.return_pct", True, _DEFAULT_WORST, "no keep_worst: the first agent's return"
    return None


def _worst_rows(sweep: _Sweep, metric: str, lowest: bool, n: int) -> list[dict[str, Any]]:
    """The n finished points with the worst metric (ties by run id, as the sweep runner picks)."""
    if metric not in sweep.ok.column_names:
        return []
    names = ["run_id", "seed", "draw", metric, *(f"axis.{a['key']}" for a in sweep.axes)]
    rows = [r for r in sweep.ok.select([c for c in dict.fromkeys(names) if c in sweep.ok.column_names]).to_pylist()
            if isinstance(r[metric], (int, float)) and not math.isnan(float(r[metric]))]
    rows.sort(key=lambda r: (r[metric] if lowest else -r[metric], r["run_id"]))
    return rows[:n]


def _worst_section(sweep: _Sweep, worst: list[dict[str, Any]], choice: tuple[str, bool, int, str] | None) -> str:
    if choice is None:
        return _note("No keep_worst in the sweep and no agent return to rank the points by.")
    metric, lowest, n, why = choice
    if metric not in sweep.points.column_names:
        return _note(f"The ranking metric {metric} is not a column of the points.")
    if not worst:
        return _note(f"No finished point has a value of {metric}.")
    axes = [a["key"] for a in sweep.axes if f"axis.{a['key']}" in sweep.ok.column_names]
    draws = bool(sweep.spec.get("draws"))
    header = ("rank", "run_id", *axes, "seed", *(("draw",) if draws else ()), _label(metric), "reproduce")
    rows = []
    missing = 0
    for rank, row in enumerate(worst, 1):
        scenario = sweep.folder.path / WORST_DIR / f"{row['run_id']}.toml"
        if scenario.exists():
            command = f"ballast backtest {scenario}"
            full = sweep.folder.path / FULL_DIR / row["run_id"] / REPORT_FILE
            if full.exists():
                command += f" (its full run's report: {full})"
        else:
            command = "no scenario file (see below)"
            missing += 1
        rows.append((rank, row["run_id"], *(_value_text(row.get(f"axis.{k}")) for k in axes), row.get("seed"),
                     *((row.get("draw"),) if draws else ()), row[metric], command))
    note = _note(f"The {len(worst)} worst finished points by {metric} ({'lowest' if lowest else 'highest'} is worst; "
                 f"{why}). The command reruns a point alone as a full run (run folder, events and report) from "
                 "its resolved scenario; the result is the same as in the sweep.")
    if missing:
        note += _note(f"{missing} of these points have no {WORST_DIR}/<run_id>.toml: the sweep writes one only for its "
                      "keep_worst points. Set keep_worst (metric and n) and run the sweep again: finished points are "
                      "not recomputed, and the worst ones get their scenario file and full run.")
    return _table(header, rows) + note


# --- 7. insurance fund paths ------------------------------------------------------------------


_BAND_SQL = """
WITH fund AS (
    SELECT s.run_id, s.ts - min(s.ts) OVER (PARTITION BY s.run_id) AS t_seconds, s.value
    FROM series s JOIN points p ON p.run_id = s.run_id
    WHERE s.name = 'insurance_fund_usd' AND p.status = 'ok' AND s.value IS NOT NULL
)
SELECT t_seconds, quantile_cont(value, 0.05) AS p5, median(value) AS p50, quantile_cont(value, 0.95) AS p95,
       count(*) AS points
FROM fund GROUP BY t_seconds ORDER BY t_seconds
"""

_PATHS_SQL = """
SELECT run_id, ts - min(ts) OVER (PARTITION BY run_id) AS t_seconds, value
FROM series WHERE name = 'insurance_fund_usd' AND value IS NOT NULL AND list_contains(?, run_id)
ORDER BY run_id, t_seconds
"""


def _paths_section(sweep: _Sweep, worst: list[dict[str, Any]], metric: str | None) -> str:
    if sweep.ok.num_rows == 0:
        return _note("No finished points.")
    band = sweep.con.execute(_BAND_SQL).fetchall()
    if not band:
        return _note("The folder holds no insurance_fund_usd series for the finished points.")
    ids = [r["run_id"] for r in worst]
    paths: dict[str, tuple[list[float], list[float]]] = {}
    if ids:
        for run_id, t, value in sweep.con.execute(_PATHS_SQL, [ids]).fetchall():
            days, values = paths.setdefault(run_id, ([], []))
            days.append(t / _DAY)
            values.append(value)
    labels = {r["run_id"]: f"{r['run_id']} ({_short(metric or '')} {r[metric]:.4g})" if metric else r["run_id"]
              for r in worst}
    lines = {labels[run_id]: paths[run_id] for run_id in ids if run_id in paths}
    figure = _chart(_plot(_paths_chart, band, lines), "insurance fund paths")
    note = _note("Insurance fund balance (USD) by days from each run's start: the median over the finished points at "
                 "each sampled time (black), their p5 to p95 band (grey), and the worst points of the table above "
                 "(coloured). The median path is pointwise: no single point need follow it.")
    return figure + note


def _paths_chart(band: list[tuple], lines: Mapping[str, tuple[list[float], list[float]]]) -> dict[str, Any] | None:
    """The p5 to p95 band and the median of the fund over the finished points, and the worst
    points' own paths, by days from the start (steps)."""
    days = [row[0] / _DAY for row in band]
    series = [
        band_series("p5 to p95", days, [row[1] for row in band], [row[3] for row in band], step=True, color="#999999"),
        line_series("median", days, [row[2] for row in band], step=True, color="#222222", width=1.8),
        *(line_series(label, x, y, step=True) for label, (x, y) in lines.items()),
    ]
    return lines_chart({"type": "value", "name": "days from the start"}, [panel("insurance fund (USD)", series)],
                       height=260)


# --- the page ---------------------------------------------------------------------------------


def render_sweep_report(folder: str | Path, metric: str | None = None) -> str:
    """The sweep report page as a string; `metric` is the heatmaps' (default: module docstring).
    SweepFolderError when `folder` is not a sweep folder."""
    sweep = _load(folder)
    spec = sweep.spec
    choice = _worst_choice(sweep)
    worst = _worst_rows(sweep, choice[0], choice[1], choice[2]) if choice else []
    sections: list[tuple[str, str]] = [
        ("Sweep", _sweep_section(sweep)),
        ("Distributions", _distributions_section(sweep)),
        ("Bad debt and the insurance fund", _risk_section(sweep)),
    ]
    heatmaps = _heatmaps_section(sweep, metric)
    if heatmaps is not None:
        sections.append(("Heatmaps", heatmaps))
    entry = _entry_section(sweep)
    if entry is not None:
        sections.append(("Entry-day curve", entry))
    sections.append(("Worst points", _worst_section(sweep, worst, choice)))
    sections.append(("Insurance fund paths", _paths_section(sweep, worst, choice[0] if choice else None)))
    total, finished = sweep.points.num_rows, sweep.ok.num_rows
    title = f"Ballast sweep {spec.get('name', sweep.folder.path.name)}"
    description = spec.get("description") or ""
    lead = (f"{total} points: {finished} finished, {total - finished} failed; seeds {_seeds_text(spec.get('seeds'))}; "
            + ("axes " + "; ".join(
                f"{a['key']} = " + (", ".join(_value_text(v) for v in a["values"]) if a.get("values") is not None
                                    else "random") for a in sweep.axes) if sweep.axes else "no axes") + ".")
    lead = (description + " " if description else "") + lead
    return page(title, lead, f"Folder {sweep.folder.path}.", sections)


def build_sweep_report(folder: str | Path, metric: str | None = None) -> Path:
    """Write `folder/report.html` (render_sweep_report) and return its path."""
    path = Path(folder) / REPORT_FILE
    text = render_sweep_report(folder, metric)
    path.write_text(text, encoding="utf-8")
    return path
