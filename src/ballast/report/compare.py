"""Runs side by side: `build_compare(run_dirs, out)` writes one self-contained page (the run
report's shell, ballast.report.html.page, with ECharts inlined once) comparing two or more
complete run folders:

* Headline figures: every scalar figure at the top level of summary.json (and the number of
  warnings), one column per run, then one "difference" column per later run (its value minus
  the first run's). USD figures to the cent, % figures to 2 places, counts as integers.
* Price and mark: per venue/market, every run's oracle and mark price on one panel.
* Provider NAV: every run's provider NAV lines on one panel.

Every series is labelled with its run's short id.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from ballast.report import charts, plots
from ballast.report.html import page, unit_of
from ballast.report.stats import group_rows, provider_rows
from ballast.store.run_folder import IncompleteRun, RunData, load_run

__all__ = ["COMPARE_FILE", "CompareError", "build_compare", "figure_rows", "format_difference", "format_value",
           "render_compare"]

COMPARE_FILE = "compare.html"
SHORT_ID_LENGTH = 8
WARNINGS_FIGURE = "warnings_count"


class CompareError(ValueError):
    """Runs that cannot be compared (fewer than two, or a folder that is not a complete run)."""


def short_id(run: RunData) -> str:
    return run.run_id[:SHORT_ID_LENGTH]


def _scenario_name(run: RunData) -> str:
    return str(run.summary.get("scenario") or run.scenario.get("name") or "run")


# --- figures ----------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def figures(run: RunData) -> dict[str, Any]:
    """The run's scalar top-level figures of summary.json, in its order, and the number of warnings."""
    out = {name: value for name, value in run.summary.items() if _is_scalar(value)}
    warnings = run.summary.get("warnings")
    if isinstance(warnings, list):
        out[WARNINGS_FIGURE] = len(warnings)
    return out


def format_value(name: str, value: Any, signed: bool = False) -> str:
    """A figure as the comparison shows it: USD (`_usd`) to the cent, % (`_pct`) to 2 places,
    integers whole, other numbers to 4 places (scientific beyond 1e9 or below 1e-4), with
    thousands separators; a leading sign when `signed`; "n/a" for None or a non-finite number."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if not _is_number(value):
        return str(value)
    sign = "+" if signed else ""
    if name.endswith(("_usd", "_pct")):
        return f"{value:{sign},.2f}"
    if isinstance(value, int):
        return f"{value:{sign},}"
    if value != 0 and (abs(value) >= 1e9 or abs(value) < 1e-4):
        return f"{value:{sign}.4e}"
    return f"{value:{sign},.4f}"


def format_difference(name: str, first: Any, other: Any) -> str:
    """`other - first` formatted as the figure (signed); for text, "same" or "differs"; "n/a"
    when either is missing."""
    if first is None or other is None:
        return "n/a"
    if _is_number(first) and _is_number(other):
        return format_value(name, other - first, signed=True)
    return "same" if first == other else "differs"


def figure_rows(runs: Sequence[RunData]) -> list[tuple[str, str, list[str], list[str]]]:
    """(figure, unit, the formatted value of each run, the formatted difference of each later run
    vs the first) for every figure any run has, in the first run's order then the others'."""
    values = [figures(run) for run in runs]
    names = list(dict.fromkeys(name for figures_of in values for name in figures_of))
    rows = []
    for name in names:
        cells = [format_value(name, figures_of.get(name)) for figures_of in values]
        first = values[0].get(name)
        differences = [format_difference(name, first, figures_of.get(name)) for figures_of in values[1:]]
        rows.append((name, unit_of(name), cells, differences))
    return rows


def _figures_table(runs: Sequence[RunData]) -> str:
    first = short_id(runs[0])
    header = ["figure", *(f"{short_id(run)} ({_scenario_name(run)})" for run in runs),
              *(f"difference {short_id(run)} - {first}" for run in runs[1:]), "unit"]
    head = "".join(f"<th>{charts.escape(h)}</th>" for h in header)
    body = []
    for name, unit, cells, differences in figure_rows(runs):
        numbers = "".join(f'<td class="n">{charts.escape(c)}</td>' for c in (*cells, *differences))
        body.append(f"<tr><td>{charts.escape(name)}</td>{numbers}<td>{charts.escape(unit)}</td></tr>")
    return f'<div class="wide"><table><tr>{head}</tr>{"".join(body)}</table></div>'


def _runs_table(runs: Sequence[RunData]) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("run", "scenario", "seed", "folder"))
    body = "".join(
        f"<tr><td>{charts.escape(run.run_id)}</td><td>{charts.escape(_scenario_name(run))}</td>"
        f'<td class="n">{charts.escape(str(run.manifest.get("seed")))}</td><td>{charts.escape(str(run.run_dir))}</td></tr>'
        for run in runs
    )
    return f'<div class="wide"><table><tr>{head}</tr>{body}</table></div>'


# --- charts -----------------------------------------------------------------------------------


def _columns(table: pa.Table, names: Sequence[str]) -> pa.Table:
    return table.select([name for name in names if name in table.column_names])


def _points(ts: list | None, values: list | None) -> tuple[list[int], list[float]] | None:
    if ts is None or values is None:
        return None
    pairs = [(t, float(v)) for t, v in zip(ts, values, strict=True) if v is not None]
    return ([t for t, _ in pairs], [v for _, v in pairs]) if pairs else None


def price_chart(runs: Sequence[RunData]) -> dict[str, Any] | None:
    """One panel per venue/market: each run's oracle and mark price (steps, USD)."""
    markets: dict[str, list[tuple[str, tuple[list[int], list[float]]]]] = {}
    for run in runs:
        table = _columns(run.timeseries, ("ts", "venue", "market", "oracle_price_usd", "mark_price_usd"))
        for key, rows in group_rows(table, ("venue", "market")).items():
            label = " ".join(str(k) for k in key if k != "").strip() or "market"
            for line, name in (("oracle", "oracle_price_usd"), ("mark", "mark_price_usd")):
                if (series := _points(rows.get("ts"), rows.get(name))) is not None:
                    markets.setdefault(label, []).append((f"{short_id(run)} {line}", series))
    if not markets:
        return None
    x, at = plots.time_axis(t for lines in markets.values() for _n, (ts, _v) in lines for t in (ts[0], ts[-1]))
    panels = [plots.panel("price (USD)", [plots.line_series(name, at(ts), values, step=True)
                                          for name, (ts, values) in lines], title=label)
              for label, lines in markets.items()]
    return plots.lines_chart(x, panels, height=260)


def nav_chart(runs: Sequence[RunData]) -> dict[str, Any] | None:
    """Every run's provider NAV (USD), one panel."""
    lines: list[tuple[str, tuple[list[int], list[float]]]] = []
    for run in runs:
        table = _columns(run.agents, ("ts", "venue", "agent", "kind", "nav_usd"))
        for (venue, agent), rows in provider_rows(table).items():
            if (series := _points(rows.get("ts"), rows.get("nav_usd"))) is not None:
                lines.append((" ".join(p for p in (short_id(run), venue, agent) if p), series))
    if not lines:
        return None
    x, at = plots.time_axis(t for _n, (ts, _v) in lines for t in (ts[0], ts[-1]))
    top = plots.panel("NAV (USD)", [plots.line_series(name, at(ts), values) for name, (ts, values) in lines])
    return plots.lines_chart(x, [top], height=300)


def _chart(spec: dict[str, Any] | None, label: str) -> str:
    if spec is None:
        return f'<p class="note">{charts.escape(label)}: nothing to plot in these runs.</p>'
    return charts.chart_div(spec, label)


# --- the page ---------------------------------------------------------------------------------


def render_compare(runs: Sequence[RunData]) -> str:
    """The whole comparison page as a string (two runs or more)."""
    if len(runs) < 2:
        raise CompareError(f"compare needs at least 2 runs, got {len(runs)}")
    sections = [
        ("Runs", _runs_table(runs)),
        ("Headline figures", _figures_table(runs)
         + f'<p class="note">Top-level figures of each run\'s summary.json ({WARNINGS_FIGURE}: its warnings); '
           f"each difference is that run's value minus the first run's ({short_id(runs[0])}).</p>"),
        ("Price and mark", _chart(price_chart(runs), "price and mark, every run")),
        ("Provider NAV", _chart(nav_chart(runs), "provider NAV, every run")),
    ]
    names = ", ".join(f"{short_id(run)} ({_scenario_name(run)})" for run in runs)
    return page(f"Ballast: {len(runs)} runs compared", "", f"Runs {names}; series labelled by run id.", sections)


def load_runs(run_dirs: Sequence[str | Path]) -> list[RunData]:
    """The complete runs in the given folders; CompareError naming the first folder that is not one."""
    if len(run_dirs) < 2:
        raise CompareError(f"compare needs at least 2 runs, got {len(run_dirs)}")
    runs = []
    for folder in run_dirs:
        try:
            runs.append(load_run(folder))
        except FileNotFoundError:
            raise CompareError(f"{folder} is not a complete run folder: no such folder") from None
        except IncompleteRun as error:
            raise CompareError(str(error)) from None
    return runs


def build_compare(run_dirs: Sequence[str | Path], out: str | Path = COMPARE_FILE) -> Path:
    """Write the comparison page of the run folders to `out`; return its path."""
    path = Path(out)
    text = render_compare(load_runs(run_dirs))
    path.write_text(text, encoding="utf-8")
    return path
