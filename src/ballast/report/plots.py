"""The run report's charts as JSON-able specs that the page draws with ECharts (charts.py).

Every `*_chart` function takes plain lists and returns a spec (a dict of lists, strings and
numbers) or None when there is nothing to draw; equal data give equal specs. Lines are cut to at
most MAX_POINTS points each by LTTB and bands to MAX_POINTS / 2 buckets of their extremes
(downsample.py), so a spec's size does not grow with the run's length.

A "lines" spec: {"kind": "lines", "x": X, "panels": [PANEL, ...], "height": px per panel}, the
panels stacked with one x axis zoom. X is {"type": "time", "t0": seconds, "name": ...} (each
series' x are seconds after t0, shown as UTC times) or {"type": "value", "name": ...} (x as
given: days from the start when times lie outside the calendar). A PANEL is {"title", "y" (the
y axis label with its unit), "zero" (draw y = 0), "log" (a logarithmic y axis), "series":
[SERIES, ...], "marks": [{"x", "name", "color", "dash"}]}; a SERIES is {"name", "x", "y"} with optional "step" (a step line,
each value held until the next), "symbol", "color", "width", "dash"; or a band {"name", "band":
true, "x", "lo", "hi"}; or {"scatter": true} or {"hist": true, "width": bin width} points.

A "bars" spec (stacked signed bars per category, a dot at each total): {"kind": "bars",
"categories", "y", "series": [{"name", "y"}], "total": {"name", "y"}}. A "heatmap" spec:
{"kind": "heatmap", "title", "x": {"name", "categories"}, "y": {"name", "categories"},
"value", "cells": [[x index, y index, value]], "missing": [[x index, y index]], "min", "max",
"higher_is_worse"}.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ballast.report.downsample import MAX_POINTS, lttb, minmax_band

__all__ = [
    "MAX_POINTS",
    "Series",
    "band_series",
    "bal_performance_chart",
    "funding_chart",
    "line_series",
    "liquidations_chart",
    "lines_chart",
    "nav_drawdown_chart",
    "num",
    "panel",
    "pnl_decomposition_chart",
    "pools_chart",
    "price_mark_chart",
    "risk_chart",
    "time_axis",
]

Series = tuple[Sequence[int], Sequence[float | None]]  # (ts seconds, values)

_MAX_DATE_TS = 253_402_300_799  # 9999-12-31T23:59:59Z: beyond it a time cannot be a date
_DAY = 86_400


def num(value: Any) -> float | None:
    """A number for a chart: 8 significant digits (more than a chart or its tooltip shows),
    None for a missing or non-finite value."""
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    return float(f"{value:.8g}") + 0.0  # + 0.0: -0.0 reads 0


def time_axis(ts: Iterable[int]) -> tuple[dict[str, Any], Callable[[Sequence[int]], list[float]]]:
    """(the x axis of a chart of these times, the function giving the x of a list of times):
    seconds after the first time on a UTC time axis, or days from the first time on a value
    axis when a time lies outside the calendar."""
    ts = list(ts)
    start, end = (int(min(ts)), int(max(ts))) if ts else (0, 0)
    if 0 <= start and end <= _MAX_DATE_TS:
        return {"type": "time", "t0": start, "name": "time (UTC)"}, lambda times: [int(t) - start for t in times]
    return ({"type": "value", "name": "days from the start"},
            lambda times: [round((int(t) - start) / _DAY, 9) for t in times])


def line_series(
    name: str, xs: Sequence[float], ys: Sequence[float | None], **style: Any
) -> dict[str, Any] | None:
    """A line of the points with a value (None values dropped), at most MAX_POINTS by LTTB;
    a step line first keeps only its first and last points and those where its value changes
    (drawn the same). None when no point has a value. `style`: step, symbol, color, width,
    dash, tip (a word the tooltip adds to the name)."""
    if len(xs) != len(ys):
        raise ValueError(f"line {name!r}: {len(xs)} x values but {len(ys)} y values")
    valid = [i for i, y in enumerate(ys) if y is not None and math.isfinite(y)]
    if not valid:
        return None
    px, py = (list(xs), list(ys)) if len(valid) == len(ys) else ([xs[i] for i in valid], [ys[i] for i in valid])
    if style.get("step"):  # a step line is drawn the same from the points where its value changes
        last = len(py) - 1
        changes = [i for i in range(len(py)) if i == 0 or i == last or py[i] != py[i - 1]]
        if len(changes) < len(px):
            px, py = [px[i] for i in changes], [py[i] for i in changes]
    keep = lttb(px, py)
    if len(keep) < len(px):
        px, py = [px[i] for i in keep], [py[i] for i in keep]
    return {"name": name, "x": px, "y": [num(y) for y in py], **{k: v for k, v in style.items() if v is not None}}


def band_series(
    name: str, xs: Sequence[float], lows: Sequence[float | None], highs: Sequence[float | None], **style: Any
) -> dict[str, Any] | None:
    """A band between two lines sampled at the same xs, at most MAX_POINTS / 2 buckets of its
    lowest low and highest high (covering every point); None when a value is missing."""
    if not xs or any(v is None for v in lows) or any(v is None for v in highs):
        return None
    bx, lo, hi = minmax_band(xs, lows, highs)
    return {"name": name, "band": True, "x": bx, "lo": [num(v) for v in lo], "hi": [num(v) for v in hi],
            **{k: v for k, v in style.items() if v is not None}}


def panel(y: str, series: Iterable[dict[str, Any] | None], title: str = "", zero: bool = False,
          marks: Sequence[dict[str, Any]] = (), log: bool = False) -> dict[str, Any] | None:
    """A panel of the series that are not None; None when there is none."""
    drawn = [s for s in series if s is not None]
    if not drawn:
        return None
    out: dict[str, Any] = {"title": title, "y": y, "zero": zero, "series": drawn}
    if marks:
        out["marks"] = list(marks)
    if log:
        out["log"] = True
    return out


def lines_chart(x: dict[str, Any], panels: Iterable[dict[str, Any] | None], height: int = 220) -> dict[str, Any] | None:
    """A "lines" spec of the panels that are not None; None when there is none."""
    drawn = [p for p in panels if p is not None]
    if not drawn:
        return None
    return {"kind": "lines", "x": x, "panels": drawn, "height": height}


def _all_ts(groups: Iterable[Iterable[Series]]) -> list[int]:
    out: list[int] = []
    for group in groups:
        for ts, _values in group:
            if ts:
                out.extend((min(ts), max(ts)))
    return out


def _same_times(a: Series, b: Series) -> bool:
    return len(a[0]) == len(b[0]) and list(a[0]) == list(b[0])


def price_mark_chart(markets: Mapping[str, Mapping[str, Series]]) -> dict[str, Any] | None:
    """One panel per market: oracle and mark price (steps), the bid/ask band when given (USD)."""
    markets = {name: lines for name, lines in markets.items() if lines}
    if not markets:
        return None
    x, at = time_axis(_all_ts(lines.values() for lines in markets.values()))
    panels = []
    for name, lines in markets.items():
        series: list[dict[str, Any] | None] = []
        if "bid" in lines and "ask" in lines and _same_times(lines["bid"], lines["ask"]):
            ts, bids = lines["bid"]
            series.append(band_series("bid/ask", at(ts), bids, lines["ask"][1], step=True))
        for label in ("oracle", "mark"):
            if label in lines:
                ts, values = lines[label]
                series.append(line_series(label, at(ts), values, step=True))
        panels.append(panel("price (USD)", series, title=name))
    return lines_chart(x, panels, height=240)


def nav_drawdown_chart(navs: Mapping[str, Series], drawdowns: Mapping[str, Series]) -> dict[str, Any] | None:
    """Provider NAV (USD) above, drawdown (% of the running peak, drawn downward) below."""
    if not navs:
        return None
    x, at = time_axis(_all_ts([navs.values(), drawdowns.values()]))
    top = panel("NAV (USD)", [line_series(label, at(ts), values) for label, (ts, values) in navs.items()])
    bottom = panel(
        "drawdown (% of peak)",
        [line_series(label, at(ts), [None if v is None else -v for v in values])
         for label, (ts, values) in drawdowns.items()],
        zero=True,
    )
    return lines_chart(x, [top, bottom], height=220)


def pnl_decomposition_chart(rows: Mapping[str, Mapping[str, float]]) -> dict[str, Any] | None:
    """Stacked bars per provider: signed contributions (USD) to its PnL; a dot at the total."""
    if not rows:
        return None
    labels = list(rows)
    parts = list(next(iter(rows.values())))
    return {
        "kind": "bars",
        "categories": labels,
        "y": "USD",
        "series": [{"name": part.removesuffix("_usd"), "y": [num(rows[label].get(part, 0.0)) for label in labels]}
                   for part in parts],
        "total": {"name": "PnL", "y": [num(sum(rows[label].values())) for label in labels]},
    }


def bal_performance_chart(markets: Mapping[str, Mapping[str, Series]], unit: str) -> dict[str, Any] | None:
    """Per market, the trailing 7D and 30D performance of one BAL share over time (`unit`:
    "% of share value" at the window start, or "USD per share")."""
    markets = {name: lines for name, lines in markets.items() if lines}
    if not markets:
        return None
    x, at = time_axis(_all_ts(lines.values() for lines in markets.values()))
    panels = [
        panel(f"performance ({unit})",
              [line_series(label, at(ts), values) for label, (ts, values) in lines.items()],
              title=name, zero=True)
        for name, lines in markets.items()
    ]
    return lines_chart(x, panels, height=200)


def funding_chart(markets: Mapping[str, Series], unit: str) -> dict[str, Any] | None:
    """The last funding rate per market over time (steps: it holds until the next update)."""
    if not markets:
        return None
    x, at = time_axis(_all_ts([markets.values()]))
    series = [line_series(label, at(ts), values, step=True) for label, (ts, values) in markets.items()]
    return lines_chart(x, [panel(f"funding rate ({unit})", series, zero=True)], height=240)


def liquidations_chart(times: Mapping[str, Sequence[int]], span: tuple[int, int]) -> dict[str, Any] | None:
    """Liquidations over time: the cumulative count per venue/market (steps)."""
    if not any(times.values()):
        return None
    start, end = span
    ordered = {label: sorted(int(t) for t in ts) for label, ts in times.items()}
    x, at = time_axis([start, end, *(t for ts in ordered.values() for t in ts[:1] + ts[-1:])])
    series = []
    for label, ts in ordered.items():
        xs = [start, *ts, max(end, ts[-1] if ts else end)]
        ys = [0, *range(1, len(ts) + 1), len(ts)]
        series.append(line_series(label, at(xs), ys, step=True))
    return lines_chart(x, [panel("liquidations (cumulative count)", series)], height=220)


def pools_chart(panels: Mapping[str, Mapping[str, Series]],
                marks: Mapping[str, Sequence[tuple[int, str]]] | None = None) -> dict[str, Any] | None:
    """One panel per group of pools ({panel title: {line label: series}}), in USD (steps);
    `marks` {panel title: [(ts, label)]} draws a labelled vertical line at each time."""
    panels = {title: lines for title, lines in panels.items() if lines}
    if not panels:
        return None
    x, at = time_axis(_all_ts(lines.values() for lines in panels.values()))
    marks = marks or {}
    return lines_chart(
        x,
        [panel("USD", [line_series(label, at(ts), values, step=True) for label, (ts, values) in lines.items()],
               title=title, marks=[{"x": at([t])[0], "name": name, "color": "#c0392b", "dash": True}
                                   for t, name in marks.get(title, ())])
         for title, lines in panels.items()],
        height=220,
    )


# the de-risk and liquidation lines of risk_chart: (label, colour, dashed)
_RISK_LINES = (
    ("oracle", "#222222", False),
    ("de-risk below", "#e67e22", True), ("de-risk above", "#e67e22", True),
    ("liquidation below", "#c0392b", False), ("liquidation above", "#c0392b", False),
)


def risk_chart(providers: Mapping[str, Mapping[str, Series]],
               events: Mapping[str, Sequence[tuple[int, str]]]) -> dict[str, Any] | None:
    """One panel per provider: the oracle and the de-risk / liquidation prices below and above
    it (USD, logarithmic axis: a price 30 times the oracle and one near zero both stay readable;
    samples without a price in range are left out of its line), and a vertical line at each of its
    events ({provider: [(ts, label)]})."""
    providers = {name: lines for name, lines in providers.items() if lines}
    if not providers:
        return None
    x, at = time_axis(_all_ts(lines.values() for lines in providers.values()))
    panels = []
    for name, lines in providers.items():
        series = [line_series(label, at(lines[label][0]), lines[label][1], color=color, dash=dash or None)
                  for label, color, dash in _RISK_LINES if label in lines]
        marks = [{"x": at([t])[0], "name": label, "color": "#7f8c8d", "dash": True} for t, label in events.get(name, ())]
        panels.append(panel("price (USD, log scale)", series, title=name, marks=marks, log=True))
    return lines_chart(x, panels, height=240)
