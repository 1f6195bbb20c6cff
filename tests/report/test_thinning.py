"""What makes the report cheap on long runs keeps what it shows: lines downsampled by LTTB, the
bid/ask band covering every point, step lines cut to their changes, rows grouped through Arrow,
events converted through cached field lists."""

import json
import random

import pyarrow as pa
import pytest

from ballast.report.downsample import MAX_POINTS, lttb, minmax_band
from ballast.report.plots import line_series
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


def test_a_long_line_is_downsampled_to_points_of_its_own_in_time_order():
    # Arrange: 43,200 one-minute points (a month)
    ts, values = _walk(43_200)

    # Act
    keep = lttb(ts, values)

    # Assert
    assert len(keep) == MAX_POINTS
    assert keep == sorted(set(keep)) and keep[0] == 0 and keep[-1] == len(ts) - 1


def test_lttb_keeps_one_point_per_bucket_the_largest_triangle():
    # Arrange: a flat line with one spike and one dip, 10 points per bucket
    n = 1002
    xs = list(range(n))
    ys = [0.0] * n
    ys[437], ys[808] = 50.0, -30.0

    # Act
    keep = lttb(xs, ys, threshold=102)

    # Assert: every bucket gives one point, and the spike and the dip are among them
    assert len(keep) == 102
    assert 437 in keep and 808 in keep
    assert all(1 + 10 * b <= i < 11 + 10 * b for b, i in enumerate(keep[1:-1]))


def test_lttb_picks_the_point_making_the_largest_triangle_with_its_neighbours():
    # Arrange: 5 points to 4 (every = 1.5): buckets [1] and [2, 3], the last point after them
    xs, ys = [0, 1, 2, 3, 4], [0.0, 5.0, 1.0, -2.0, 0.0]

    # Act
    keep = lttb(xs, ys, threshold=4)

    # Assert: against (1, 5) and (4, 0), twice the areas are |3 (1 - 5) + 5| = 7 for (2, 1)
    # and |3 (-2 - 5) + 2 * 5| = 11 for (3, -2)
    assert keep == [0, 1, 3, 4]


def test_a_short_line_is_kept_whole():
    ts, values = _walk(MAX_POINTS)
    assert lttb(ts, values) == list(range(MAX_POINTS))
    assert lttb([0, 1, 2], [1.0, 2.0, 3.0], threshold=2) == [0, 1, 2]


def test_lttb_refuses_lines_of_different_lengths():
    with pytest.raises(ValueError, match="lttb"):
        lttb([0, 1, 2], [1.0, 2.0])


def test_the_band_covers_every_bid_and_ask():
    # Arrange
    ts, mids = _walk(10_000)
    bids, asks = [m - 0.5 for m in mids], [m + 0.5 for m in mids]

    # Act
    xs, lows, highs = minmax_band(ts, bids, asks)

    # Assert
    assert len(xs) <= MAX_POINTS // 2 and xs[0] == ts[0]
    assert min(lows) == min(bids) and max(highs) == max(asks)


def test_a_step_line_keeps_only_its_changes_before_lttb():
    # Arrange: an hourly funding rate sampled each minute for a day
    ts = list(range(0, 60 * 1440, 60))
    rates = [float(t // 3600 % 5) for t in ts]

    # Act
    line = line_series("funding", ts, rates, step=True)

    # Assert: 24 changes and the last point; each kept value is where it starts
    assert len(line["x"]) == 25
    assert line["x"][:3] == [0, 3600, 7200] and line["x"][-1] == ts[-1]
    assert line["y"][:3] == [0.0, 1.0, 2.0]


def test_a_line_drops_missing_values_and_has_at_most_max_points():
    ts, values = _walk(5_000)
    values[7] = None

    line = line_series("nav", ts, values)

    assert len(line["x"]) == MAX_POINTS and 7 * 60 not in line["x"]
    assert line_series("nav", [0, 60], [None, None]) is None


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
