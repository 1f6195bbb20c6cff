"""What makes the report cheap on long runs keeps what it shows: lines thinned to their
extremes, the bid/ask band covering every point, rows grouped through Arrow, events converted
through cached field lists."""

import json
import random

import pyarrow as pa

from ballast.report.plots import MAX_POINTS, _band, _thin
from ballast.report.stats import group_rows
from ballast.sim import Backtest, parse_scenario
from ballast.store.run_folder import _jsonable, record_data


def _walk(n, seed=3):
    rng = random.Random(seed)
    values, v = [], 100.0
    for _ in range(n):
        v += rng.gauss(0, 1)
        values.append(v)
    return list(range(0, 60 * n, 60)), values


def test_a_long_line_is_thinned_to_its_extremes_in_time_order():
    # Arrange: 43,200 one-minute points (a month)
    ts, values = _walk(43_200)

    # Act
    xs, ys = _thin(ts, values)

    # Assert
    assert len(xs) <= MAX_POINTS
    assert xs == sorted(xs) and xs[0] == ts[0] and xs[-1] == ts[-1]
    assert max(ys) == max(values) and min(ys) == min(values)
    assert all(values[t // 60] == y for t, y in zip(xs, ys, strict=True))


def test_a_short_line_is_drawn_whole():
    ts, values = _walk(MAX_POINTS)
    assert _thin(ts, values) == (ts, values)


def test_the_band_covers_every_bid_and_ask():
    # Arrange
    ts, mids = _walk(10_000)
    bids, asks = [m - 0.5 for m in mids], [m + 0.5 for m in mids]

    # Act
    dates, lows, highs = _band((ts, bids), (ts, asks))

    # Assert
    assert len(dates) <= MAX_POINTS // 2
    assert min(lows) == min(bids) and max(highs) == max(asks)


def test_a_band_of_lines_sampled_at_different_times_is_not_drawn():
    assert _band(([0, 60], [1.0, 1.0]), ([0, 120], [2.0, 2.0])) is None


def test_group_rows_keeps_each_groups_rows_in_table_order():
    # Arrange
    table = pa.table({"venue": ["a", "b", "a", "b", "a"], "agent": ["x", "x", "y", "x", "x"],
                      "ts": [1, 2, 3, 4, 5], "nav_usd": [1.0, 2.0, 3.0, 4.0, 5.0]})

    # Act
    groups = group_rows(table, ("venue", "agent"))

    # Assert
    assert list(groups) == [("a", "x"), ("b", "x"), ("a", "y")]
    assert groups[("a", "x")] == {"venue": ["a", "a"], "agent": ["x", "x"], "ts": [1, 5], "nav_usd": [1.0, 5.0]}
    assert groups[("b", "x")]["ts"] == [2, 4]


def test_event_fields_convert_as_the_generic_conversion_does():
    # Arrange: every kind of record a short run emits
    scenario = parse_scenario({"duration_days": 0.05, "agents": [
        {"kind": "bal_provider", "name": "lp", "collateral_usd": 100_000, "amount_usd": 50_000},
        {"kind": "noise_taker", "name": "noise", "collateral_usd": 100_000, "arrivals_per_hour": 60}]})
    records = [event for _venue, event in Backtest(scenario).run().events]

    # Act / Assert
    assert len({type(r) for r in records}) >= 4
    for record in records:
        assert json.dumps(record_data(record), sort_keys=True) == json.dumps(_jsonable(record), sort_keys=True)
