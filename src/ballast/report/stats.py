"""Readable statistics of a run, with their unit in their name.

Conventions (DESIGN.md): annualise on 365 days; risk ratios (volatility, Sharpe) on a DAILY
resample of the NAV (the last value of each UTC day), never per step or per trade.

* `max_drawdown_pct` is positive: the largest fall from a running peak, in % of that peak.
* `total_return_pct` = 100 (end / start - 1).
* `apr_pct` = total_return_pct x 365 / days (simple, as the BAL page's APR).
* `annualised_return_pct` = 100 ((end / start)^(365 / days) - 1) (compounded).
* `annualised_volatility_pct` = sample standard deviation of daily returns x sqrt(365) x 100.
* `sharpe_ratio` = mean / standard deviation of daily returns x sqrt(365) (zero risk-free rate).

Nothing is annualised from under MIN_ANNUALISE_DAYS days (apr, annualised return, volatility and
Sharpe are None then; ballast.report.metrics defines the run's headline figures).

Timestamps are unix seconds. Floats only: these are for reading, not for checking the chain.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ballast.report.metrics import MIN_ANNUALISE_DAYS, is_provider

__all__ = [
    "DAYS_PER_YEAR",
    "SECONDS_PER_DAY",
    "PnlDecomposition",
    "annualised_return_pct",
    "annualised_volatility_pct",
    "apr_pct",
    "column",
    "daily_resample",
    "drawdown_pct",
    "group_rows",
    "max_drawdown_pct",
    "nav_stats",
    "pnl_decomposition",
    "provider_rows",
    "sharpe_ratio",
    "simple_returns",
    "ts_seconds",
]

DAYS_PER_YEAR = 365
SECONDS_PER_DAY = 86_400



# --- reading tables defensively ---------------------------------------------------------------


def ts_seconds(values: Sequence[Any]) -> list[int]:
    """Unix seconds from ints, floats or datetimes."""
    out = []
    for value in values:
        if value is None:
            out.append(0)
        elif hasattr(value, "timestamp"):
            out.append(int(value.timestamp()))
        else:
            out.append(int(value))
    return out


def column(table: pa.Table | None, name: str) -> list[Any] | None:
    """A column as a Python list, or None when the table lacks it."""
    if table is None or name not in table.column_names:
        return None
    values = table.column(name).to_pylist()
    if name == "ts":
        return ts_seconds(values)
    return values


def group_rows(table: pa.Table | None, keys: Sequence[str]) -> dict[tuple, dict[str, list]]:
    """Rows grouped by the given key columns (missing keys read as ""), each group a dict of
    column lists in table order. Only the key columns are read row by row; each group's rows
    are taken out of the table in one Arrow call and converted column by column."""
    groups: dict[tuple, dict[str, list]] = {}
    if table is None or table.num_rows == 0:
        return groups
    key_columns = [column(table, key) or [""] * table.num_rows for key in keys]
    rows_of: dict[tuple, list[int]] = {}
    for index, key in enumerate(zip(*key_columns, strict=True)):
        rows_of.setdefault(key, []).append(index)
    for key, indices in rows_of.items():
        part = table if len(indices) == table.num_rows else table.take(pa.array(indices, pa.int64()))
        groups[key] = {name: column(part, name) for name in table.column_names}
    return groups


# --- series -----------------------------------------------------------------------------------


def daily_resample(ts: Sequence[int], values: Sequence[float]) -> tuple[list[int], list[float]]:
    """The last non-null value of each UTC day, in day order: (day start ts, value)."""
    last: dict[int, float] = {}
    for t, value in zip(ts, values, strict=True):
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            continue
        last[int(t) // SECONDS_PER_DAY] = float(value)
    days = sorted(last)
    return [day * SECONDS_PER_DAY for day in days], [last[day] for day in days]


def simple_returns(values: Sequence[float]) -> list[float]:
    """v[i] / v[i-1] - 1 for consecutive values (pairs with a non-positive base are skipped)."""
    return [
        current / previous - 1.0
        for previous, current in zip(values, values[1:], strict=False)
        if previous > 0
    ]


def drawdown_pct(values: Sequence[float]) -> list[float]:
    """Fall from the running peak, in % of the peak (>= 0; 0 while the peak is not positive)."""
    out = []
    peak = -math.inf
    for value in values:
        peak = max(peak, value)
        out.append(100.0 * (peak - value) / peak if peak > 0 else 0.0)
    return out


def max_drawdown_pct(values: Sequence[float]) -> float:
    """The largest drawdown, in % of the peak it fell from (positive; 0 for no fall)."""
    return max(drawdown_pct(values), default=0.0)


def apr_pct(start_value: float, end_value: float, days: float) -> float:
    """Simple annual rate on 365 days: 100 (end/start - 1) x 365 / days (0 if undefined)."""
    if start_value <= 0 or days <= 0:
        return 0.0
    return 100.0 * (end_value / start_value - 1.0) * DAYS_PER_YEAR / days


def annualised_return_pct(start_value: float, end_value: float, days: float) -> float:
    """Compounded annual return on 365 days: 100 ((end/start)^(365/days) - 1)."""
    if start_value <= 0 or days <= 0:
        return 0.0
    ratio = end_value / start_value
    if ratio <= 0:
        return -100.0
    try:
        return 100.0 * (ratio ** (DAYS_PER_YEAR / days) - 1.0)
    except OverflowError:
        return math.inf


def _stdev(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def annualised_volatility_pct(daily_returns: Sequence[float]) -> float:
    """Sample standard deviation of daily returns x sqrt(365), in %."""
    return 100.0 * _stdev(daily_returns) * math.sqrt(DAYS_PER_YEAR)


def sharpe_ratio(daily_returns: Sequence[float]) -> float:
    """Mean over sample standard deviation of daily returns x sqrt(365) (risk-free rate 0);
    0 when undefined (fewer than two returns or no variation)."""
    deviation = _stdev(daily_returns)
    if deviation == 0:
        return 0.0
    return sum(daily_returns) / len(daily_returns) / deviation * math.sqrt(DAYS_PER_YEAR)


def nav_stats(ts: Sequence[int], nav: Sequence[float]) -> dict[str, float | None]:
    """Statistics of one NAV series (USD): start/end/pnl in USD, returns in %, days covered,
    drawdown on every sample, volatility and Sharpe on the daily resample. The annualised
    figures are None for a series shorter than MIN_ANNUALISE_DAYS."""
    points = [
        (int(t), float(v))
        for t, v in zip(ts, nav, strict=True)
        if v is not None and math.isfinite(float(v))
    ]
    if not points:
        return {}
    times = [t for t, _ in points]
    values = [v for _, v in points]
    days = (times[-1] - times[0]) / SECONDS_PER_DAY
    start, end = values[0], values[-1]
    _, daily = daily_resample(times, values)
    returns = simple_returns([start, *daily]) if daily and daily[0] != start else simple_returns(daily)
    long_enough = days >= MIN_ANNUALISE_DAYS
    return {
        "start_nav_usd": start,
        "end_nav_usd": end,
        "pnl_usd": end - start,
        "duration_days": days,
        "total_return_pct": 100.0 * (end / start - 1.0) if start > 0 else 0.0,
        "apr_pct": apr_pct(start, end, days) if long_enough else None,
        "annualised_return_pct": annualised_return_pct(start, end, days) if long_enough else None,
        "annualised_volatility_pct": annualised_volatility_pct(returns) if long_enough else None,
        "sharpe_ratio": sharpe_ratio(returns) if long_enough else None,
        "max_drawdown_pct": max_drawdown_pct(values),
    }


# --- providers --------------------------------------------------------------------------------


def provider_rows(agents: pa.Table | None) -> dict[tuple[str, str], dict[str, list]]:
    """The agents table grouped by (venue, agent), restricted to liquidity providers (kind
    naming lp/bal/provider/maker/range); every agent when no kind marks a provider."""
    groups = group_rows(agents, ("venue", "agent"))
    providers = {
        key: rows for key, rows in groups.items() if is_provider((rows.get("kind") or [""])[-1])
    }
    return {(str(k[0]), str(k[1])): v for k, v in (providers or groups).items()}


@dataclass(frozen=True)
class PnlDecomposition:
    """One provider's PnL (USD) and its parts. Component columns are read as cumulative since
    the start (their last value); removal fees are a cost (positive = paid), so they enter with
    a minus sign; the residual is what the parts do not explain (nav change - parts)."""

    venue: str
    agent: str
    pnl_usd: float
    fees_usd: float | None
    funding_usd: float | None
    inventory_pnl_usd: float | None
    removal_fees_usd: float | None
    residual_usd: float

    def contributions(self) -> dict[str, float]:
        """Signed contributions to the PnL (missing parts as 0), summing to pnl_usd."""
        return {
            "fees_usd": self.fees_usd or 0.0,
            "funding_usd": self.funding_usd or 0.0,
            "inventory_pnl_usd": self.inventory_pnl_usd or 0.0,
            "removal_fees_usd": -(self.removal_fees_usd or 0.0),
            "residual_usd": self.residual_usd,
        }


def _last_number(values: list | None) -> float | None:
    if not values:
        return None
    for value in reversed(values):
        if value is not None and math.isfinite(float(value)):
            return float(value)
    return None


def pnl_decomposition(agents: pa.Table | None) -> list[PnlDecomposition]:
    """Per provider: nav change split into fees, funding, inventory and removal fees."""
    out = []
    for (venue, agent), rows in provider_rows(agents).items():
        nav = [float(v) for v in rows.get("nav_usd", []) if v is not None]
        pnl = nav[-1] - nav[0] if nav else 0.0
        fees = _last_number(rows.get("fees_usd"))
        funding = _last_number(rows.get("funding_usd"))
        inventory = _last_number(rows.get("inventory_pnl_usd"))
        removal = _last_number(rows.get("removal_fees_usd"))
        explained = (fees or 0.0) + (funding or 0.0) + (inventory or 0.0) - (removal or 0.0)
        out.append(
            PnlDecomposition(venue, agent, pnl, fees, funding, inventory, removal, pnl - explained)
        )
    return out
