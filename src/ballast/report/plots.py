"""The report's figures: matplotlib (Agg backend, no display), each returned as a PNG data URI.

Every function takes plain lists and returns a `data:image/png;base64,...` string, or None when
there is nothing to draw. PNGs carry no software/date metadata, so equal data give equal bytes.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import matplotlib

matplotlib.use("Agg", force=False)

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

__all__ = [
    "bal_performance_plot",
    "fig_to_data_uri",
    "funding_plot",
    "liquidations_plot",
    "nav_drawdown_plot",
    "pnl_decomposition_plot",
    "pools_plot",
    "price_mark_plot",
]

Series = tuple[Sequence[int], Sequence[float]]  # (ts seconds, values)

_DPI = 90
_WIDTH = 9.0


def fig_to_data_uri(fig: Figure) -> str:
    """PNG data URI of the figure (closed afterwards). The base64 text never contains the
    letters "http" in any case (a report must hold no URL, not even by chance): should it
    happen, a comment chunk is varied until it does not."""
    try:
        for attempt in range(64):
            buffer = io.BytesIO()
            metadata = {"Software": None}
            if attempt:
                metadata["Comment"] = str(attempt)
            fig.savefig(buffer, format="png", dpi=_DPI, metadata=metadata)
            text = base64.b64encode(buffer.getvalue()).decode("ascii")
            if "http" not in text.lower():
                return "data:image/png;base64," + text
        raise RuntimeError("could not encode a figure without the letters 'http'")
    finally:
        plt.close(fig)


_MAX_DATE_TS = 253_402_300_799  # 9999-12-31T23:59:59Z


def _dates(ts: Sequence[int]) -> list:
    """UTC datetimes; days since the epoch (floats) when a time lies outside the calendar."""
    if any(not 0 <= int(t) <= _MAX_DATE_TS for t in ts):
        return [int(t) / 86_400 for t in ts]
    return [datetime.fromtimestamp(int(t), tz=UTC) for t in ts]


# Points per drawn line: a figure is _WIDTH * _DPI = 810 px wide, so a line of more points than
# twice that (a low and a high per pixel column) looks the same thinned to its extremes.
MAX_POINTS = 2_000


def _thin(xs: list, ys: list[float]) -> tuple[list, list[float]]:
    """At most MAX_POINTS points of a line, in time order: the line cut into (MAX_POINTS - 2)
    / 2 equal runs, each kept as its lowest and highest point (one point when they coincide), and
    the first and last points, so the line spans the same time and every peak and trough is
    still drawn."""
    n = len(xs)
    if n <= MAX_POINTS:
        return xs, ys
    runs = (MAX_POINTS - 2) // 2
    keep: list[int] = [0]
    for run in range(runs):
        lo, hi = run * n // runs, (run + 1) * n // runs
        part = ys[lo:hi]
        low, high = lo + part.index(min(part)), lo + part.index(max(part))
        keep.extend(i for i in sorted({low, high}) if i != keep[-1])
    if keep[-1] != n - 1:
        keep.append(n - 1)
    return [xs[i] for i in keep], [ys[i] for i in keep]


def _clean(ts: Sequence[int], values: Sequence[float | None]) -> tuple[list, list]:
    """(dates, values) of the non-null points of a line, thinned to MAX_POINTS (_thin)."""
    xs, ys = [], []
    for t, v in zip(ts, values, strict=True):
        if v is not None:
            xs.append(t)
            ys.append(float(v))
    xs, ys = _thin(xs, ys)
    return _dates(xs), ys


def _band(low: Series, high: Series) -> tuple[list, list, list] | None:
    """(dates, lows, highs) of a band between two lines sampled at the same times (None when
    they are not), at most MAX_POINTS / 2 points: each run of equal length drawn from its
    first time with its lowest low and highest high, so the band covers every point."""
    ts, lows = low
    ts_high, highs = high
    if list(ts) != list(ts_high) or not ts or any(v is None for v in lows) or any(v is None for v in highs):
        return None
    n = len(ts)
    runs = min(n, MAX_POINTS // 2)
    xs, bottom, top = [], [], []
    for run in range(runs):
        lo, hi = run * n // runs, (run + 1) * n // runs
        xs.append(ts[lo])
        bottom.append(float(min(lows[lo:hi])))
        top.append(float(max(highs[lo:hi])))
    return _dates(xs), bottom, top


def _new(rows: int = 1, height: float = 3.6, sharex: bool = True):
    fig, axes = plt.subplots(rows, 1, figsize=(_WIDTH, height * rows), sharex=sharex, squeeze=False)
    return fig, [row[0] for row in axes]


def _finish(fig: Figure, axes) -> str:
    for ax in axes:
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="best")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig_to_data_uri(fig)


def price_mark_plot(markets: Mapping[str, Mapping[str, Series]]) -> str | None:
    """One panel per market: oracle and mark price, the bid/ask band when given (USD)."""
    markets = {name: lines for name, lines in markets.items() if lines}
    if not markets:
        return None
    fig, axes = _new(len(markets))
    for ax, (name, lines) in zip(axes, markets.items(), strict=True):
        band = _band(lines["bid"], lines["ask"]) if "bid" in lines and "ask" in lines else None
        if band is not None:
            ax.fill_between(*band, alpha=0.2, label="bid/ask", step="post")
        for label in ("oracle", "mark"):
            if label in lines:
                ax.plot(*_clean(*lines[label]), label=label, lw=1.2, drawstyle="steps-post")
        ax.set_title(name, fontsize=10)
        ax.set_ylabel("price (USD)")
    return _finish(fig, axes)


def nav_drawdown_plot(navs: Mapping[str, Series], drawdowns: Mapping[str, Series]) -> str | None:
    """Provider NAV (USD) above, drawdown (% of peak, drawn downward) below."""
    if not navs:
        return None
    fig, (top, bottom) = _new(2)
    for label, series in navs.items():
        top.plot(*_clean(*series), label=label, lw=1.2)
    for label, (ts, values) in drawdowns.items():
        bottom.plot(*_clean(ts, [-v for v in values]), label=label, lw=1.0)
    top.set_ylabel("NAV (USD)")
    bottom.set_ylabel("drawdown (%)")
    return _finish(fig, [top, bottom])


def pnl_decomposition_plot(rows: Mapping[str, Mapping[str, float]]) -> str | None:
    """Stacked bars per provider: signed contributions (USD) to its PnL; a dot at the total."""
    if not rows:
        return None
    labels = list(rows)
    parts = list(next(iter(rows.values())))
    fig, axes = plt.subplots(figsize=(_WIDTH, 4.2))
    positions = range(len(labels))
    pos_base = [0.0] * len(labels)
    neg_base = [0.0] * len(labels)
    for part in parts:
        values = [rows[label].get(part, 0.0) for label in labels]
        bottoms = [pos_base[i] if v >= 0 else neg_base[i] for i, v in enumerate(values)]
        axes.bar(positions, values, bottom=bottoms, label=part.removesuffix("_usd"))
        for i, v in enumerate(values):
            if v >= 0:
                pos_base[i] += v
            else:
                neg_base[i] += v
    totals = [sum(rows[label].values()) for label in labels]
    axes.plot(positions, totals, "k.", markersize=10, label="PnL")
    axes.axhline(0, color="black", lw=0.6)
    axes.set_xticks(list(positions), labels, rotation=20, ha="right", fontsize=8)
    axes.set_ylabel("USD")
    axes.grid(True, axis="y", alpha=0.3)
    axes.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig_to_data_uri(fig)


def bal_performance_plot(
    markets: Mapping[str, Mapping[str, Series]], unit: str
) -> str | None:
    """Per market, the trailing 7D and 30D performance of one BAL share over time (`unit`:
    "%" of the share's value at the window start, or "USD per share")."""
    markets = {name: lines for name, lines in markets.items() if lines}
    if not markets:
        return None
    fig, axes = _new(len(markets), height=3.0)
    for ax, (name, lines) in zip(axes, markets.items(), strict=True):
        for label, series in lines.items():
            ax.plot(*_clean(*series), label=label, lw=1.2)
        ax.axhline(0, color="black", lw=0.6)
        ax.set_title(name, fontsize=10)
        ax.set_ylabel(unit)
    return _finish(fig, axes)


def funding_plot(markets: Mapping[str, Series], unit: str) -> str | None:
    """Funding rate per market over time."""
    if not markets:
        return None
    fig, (ax,) = _new(1)
    for label, series in markets.items():
        ax.plot(*_clean(*series), label=label, lw=1.0, drawstyle="steps-post")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_ylabel(unit)
    return _finish(fig, [ax])


def liquidations_plot(times: Mapping[str, Sequence[int]], span: tuple[int, int]) -> str | None:
    """Liquidations over time: cumulative count per venue/market (steps)."""
    if not any(times.values()):
        return None
    fig, (ax,) = _new(1, height=3.0)
    start, end = span
    for label, ts in times.items():
        ordered = sorted(ts)
        xs = [start, *ordered, max(end, ordered[-1] if ordered else end)]
        ys = [0, *range(1, len(ordered) + 1), len(ordered)]
        ax.plot(_dates(xs), ys, label=label, drawstyle="steps-post")
    ax.set_ylabel("liquidations (cumulative count)")
    return _finish(fig, [ax])


def pools_plot(lines: Mapping[str, Series]) -> str | None:
    """The pnl, fee and revenue pools and the insurance fund (USD)."""
    if not lines:
        return None
    fig, (ax,) = _new(1)
    for label, series in lines.items():
        ax.plot(*_clean(*series), label=label, lw=1.2, drawstyle="steps-post")
    ax.set_ylabel("USD")
    return _finish(fig, [ax])
