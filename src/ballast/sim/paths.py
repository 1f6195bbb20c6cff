"""Oracle price paths: a validated CSV file or a seeded synthetic generator.

Prices come out as PRICE_PRECISION (1e6) integers. The generator uses floats internally
(`math.exp`, `random.Random.gauss`) and one `random.Random(seed)`, never the global generator,
so a seed gives the same path on the same platform.
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from ballast.drift.constants import PRICE_PRECISION

__all__ = ["PathError", "PricePoints", "MAX_PRICE_USD", "load_price_csv", "prices_at", "gbm_path"]

SECONDS_PER_YEAR = 365 * 86_400


class PathError(ValueError):
    """A price path that cannot be used; the message names the file and row."""


@dataclass(frozen=True, slots=True)
class PricePoints:
    """Sorted timestamps (unix s) and prices (1e6) of a CSV path."""

    timestamps: tuple[int, ...]
    prices: tuple[int, ...]


MAX_PRICE_USD = 10**9  # above any market's price; the engine's products of prices and sizes stay in range
_TIMESTAMP_NAMES = ("timestamp", "ts", "time")
_PRICE_NAMES = ("price", "close")
_MILLISECONDS = 10**11  # a unix time in seconds past this is beyond the year 5000: milliseconds


def _columns(header: list[str], path: Path) -> tuple[int, int]:
    """(timestamp, price) column indexes of a header row, by name: `timestamp` (or `ts`,
    `time`) and `price` (or `close`), case-insensitive."""
    names = [cell.strip().lower() for cell in header]

    def find(candidates: tuple[str, ...], what: str) -> int:
        for name in candidates:
            if name in names:
                return names.index(name)
        raise PathError(f"{path} header {header!r}: no {what} column (named one of {', '.join(candidates)})")

    return find(_TIMESTAMP_NAMES, "timestamp"), find(_PRICE_NAMES, "price")


def load_price_csv(path: str | Path, max_gap_seconds: int) -> PricePoints:
    """Read rows of a timestamp and a price. With a header row, the columns are found by name
    (`timestamp`/`ts`/`time` and `price`/`close`, so an OHLC file uses its close); without one
    they are the first two. Timestamps are unix seconds (integers; millisecond timestamps are
    refused with a message saying so), prices dollars (decimal text up to MAX_PRICE_USD,
    converted exactly to 1e6 with rounding half up). Raises PathError naming the row (1-based,
    header included) when a row is malformed, a price is not positive or too large, timestamps
    are not strictly increasing, or two rows are more than `max_gap_seconds` apart."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise PathError(f"cannot read price file {path}: {error}") from None
    timestamps: list[int] = []
    prices: list[int] = []
    ts_column, price_column = 0, 1
    for row_number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or all(not cell.strip() for cell in row):
            continue
        if row_number == 1 and not row[0].strip().lstrip("-").isdigit():
            ts_column, price_column = _columns(row, path)
            continue
        if len(row) <= max(ts_column, price_column):
            raise PathError(f"{path} row {row_number}: expected a timestamp and a price, got {row!r}")
        ts_text, price_text = row[ts_column].strip(), row[price_column].strip()
        try:
            ts = int(ts_text)
        except ValueError:
            raise PathError(f"{path} row {row_number}: timestamp {ts_text!r} is not an integer") from None
        if ts >= _MILLISECONDS:
            raise PathError(f"{path} row {row_number}: timestamp {ts} looks like milliseconds; "
                            "give unix seconds (divide by 1000)")
        dollars = _decimal(price_text)
        if dollars is None:
            raise PathError(f"{path} row {row_number}: price {price_text!r} is not a number")
        if dollars > MAX_PRICE_USD:
            raise PathError(f"{path} row {row_number}: price {price_text} is above {MAX_PRICE_USD:,} dollars")
        price = int((dollars * PRICE_PRECISION).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if price <= 0:
            raise PathError(f"{path} row {row_number}: price {price_text} must be positive")
        if timestamps:
            if ts <= timestamps[-1]:
                raise PathError(
                    f"{path} row {row_number}: timestamp {ts} is not after the previous {timestamps[-1]} (rows must be sorted)"
                )
            if ts - timestamps[-1] > max_gap_seconds:
                raise PathError(
                    f"{path} row {row_number}: gap of {ts - timestamps[-1]} s after {timestamps[-1]} "
                    f"exceeds max_gap_seconds {max_gap_seconds}"
                )
        timestamps.append(ts)
        prices.append(price)
    if not timestamps:
        raise PathError(f"{path}: no price rows")
    return PricePoints(tuple(timestamps), tuple(prices))


def _decimal(text: str) -> Decimal | None:
    """The finite decimal number `text` spells, or None."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def prices_at(points: PricePoints, step_timestamps: Sequence[int], max_gap_seconds: int) -> list[int]:
    """The price at each step: the last row at or before it. Raises PathError when a step falls
    before the first row or more than `max_gap_seconds` after the last."""
    out: list[int] = []
    timestamps, prices = points.timestamps, points.prices
    i = 0
    for ts in step_timestamps:
        if ts < timestamps[0]:
            raise PathError(f"step at {ts} is before the first price row at {timestamps[0]}")
        while i + 1 < len(timestamps) and timestamps[i + 1] <= ts:
            i += 1
        if ts - timestamps[i] > max_gap_seconds:
            raise PathError(
                f"step at {ts} is {ts - timestamps[i]} s after the last price row at {timestamps[i]} "
                f"(max_gap_seconds {max_gap_seconds})"
            )
        out.append(prices[i])
    return out


def gbm_path(
    seed: int | str,
    start_price: float,
    start_ts: int,
    step_seconds: int,
    n_steps: int,
    drift_annual: float = 0.0,
    vol_regimes: Sequence[tuple[float, float]] = ((0.0, 0.8),),
    jumps_per_day: float = 0.0,
    jump_mean: float = 0.0,
    jump_std: float = 0.05,
    scheduled_moves: Sequence[tuple[float, float, int]] = (),
) -> list[int]:
    """Prices (1e6 ints) at `start_ts + i * step_seconds` for i in 0..n_steps (n_steps + 1
    points; the first is `start_price`).

    Log-price steps: `(mu - sigma^2/2) dt + sigma sqrt(dt) Z` with `sigma` the regime in force
    (`vol_regimes`: (start_day, annual vol as a fraction), sorted, first at day 0), `mu =
    drift_annual`; plus, with probability `jumps_per_day * dt_days` per step, a jump
    `N(jump_mean, jump_std)` in log; plus each scheduled move (at_day, change as a fraction,
    over_minutes) spread evenly in log over its minutes. Draws: one gauss and one random per
    step, and one gauss per jump, from `random.Random(seed)`. Prices floor at 1e-6 dollars.
    """
    rng = random.Random(seed)
    dt = step_seconds / SECONDS_PER_YEAR
    dt_days = step_seconds / 86_400
    jump_p = jumps_per_day * dt_days
    regimes = sorted(vol_regimes)
    moves = [
        (int(at_day * 86_400), math.log1p(change) / max(1, math.ceil(over_minutes * 60 / step_seconds)), over_minutes * 60)
        for at_day, change, over_minutes in scheduled_moves
    ]
    log_price = math.log(start_price)
    out = [max(1, round(start_price * PRICE_PRECISION))]
    regime_index = 0
    for i in range(1, n_steps + 1):
        elapsed = i * step_seconds
        while regime_index + 1 < len(regimes) and elapsed >= regimes[regime_index + 1][0] * 86_400:
            regime_index += 1
        sigma = regimes[regime_index][1]
        z = rng.gauss(0.0, 1.0)
        u = rng.random()
        step = (drift_annual - 0.5 * sigma * sigma) * dt + sigma * math.sqrt(dt) * z
        if u < jump_p:
            step += rng.gauss(jump_mean, jump_std)
        for start, per_step, length in moves:
            if start < elapsed <= start + length:
                step += per_step
        log_price += step
        out.append(max(1, round(math.exp(log_price) * PRICE_PRECISION)))
    del start_ts  # the path is defined on step offsets; kept for a self-describing signature
    return out
