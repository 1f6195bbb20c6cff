"""Market-health findings (ballast.sim.health): divergence spans, funding at its cap, unfilled
orders and unresolved bad debt."""

from __future__ import annotations

import pytest

from ballast.sim.health import (
    HealthWarning,
    bad_debt_warnings,
    divergence_warnings,
    funding_cap_warnings,
    unfilled_order_warnings,
)
from ballast.sim.waterfall import BadDebtLedger

STEP = 60


def _timeseries(rows):
    """Timeseries columns from (venue, market, ts, oracle, mark) rows."""
    columns = {"venue": [], "market": [], "ts": [], "oracle_price_usd": [], "mark_price_usd": []}
    for venue, market, ts, oracle, mark in rows:
        columns["venue"].append(venue)
        columns["market"].append(market)
        columns["ts"].append(ts)
        columns["oracle_price_usd"].append(oracle)
        columns["mark_price_usd"].append(mark)
    return columns


def _one_market(marks, oracle=100.0, venue="drift", market="SOL-PERP"):
    """One (venue, market) stepping every minute from ts 0 with the given marks."""
    return _timeseries((venue, market, i * STEP, oracle, mark) for i, mark in enumerate(marks))


# --- mark / oracle divergence -----------------------------------------------------------------


def test_divergence_shorter_than_the_minimum_is_not_reported():
    # 60 divergent rows span 59 minutes (first to last row), one short of 60
    ts_cols = _one_market([100.0] * 5 + [102.0] * 60 + [100.0] * 5)

    found = divergence_warnings(ts_cols, threshold_pct=1.0, min_minutes=60)

    assert found == []


def test_divergence_lasting_the_minimum_is_reported_with_its_start_and_end():
    # 61 divergent rows from row 5 to row 65: 60 minutes
    ts_cols = _one_market([100.0] * 5 + [102.0] * 61 + [100.0] * 5)

    found = divergence_warnings(ts_cols, threshold_pct=1.0, min_minutes=60)

    assert [(w.kind, w.venue, w.market, w.start_ts, w.end_ts) for w in found] == [
        ("mark_oracle_divergence", "drift", "SOL-PERP", 5 * STEP, 65 * STEP)
    ]


def test_divergence_worst_is_the_largest_divergence_in_percent():
    marks = [102.0] * 30 + [96.5] + [102.0] * 30  # 96.5 is 3.5% below the oracle
    ts_cols = _one_market(marks)

    found = divergence_warnings(ts_cols, threshold_pct=1.0, min_minutes=60)

    assert [w.worst for w in found] == [pytest.approx(3.5)]


def test_divergence_at_the_threshold_does_not_count():
    ts_cols = _one_market([101.0] * 120)  # exactly 1%

    found = divergence_warnings(ts_cols, threshold_pct=1.0, min_minutes=60)

    assert found == []


def test_divergence_broken_by_one_step_within_threshold_is_two_short_spans():
    ts_cols = _one_market([102.0] * 40 + [100.0] + [102.0] * 40)

    found = divergence_warnings(ts_cols, threshold_pct=1.0, min_minutes=60)

    assert found == []


def test_divergence_spans_are_kept_per_venue_and_market():
    # market A diverges for 2 h; its rows are interleaved with rows of B (same venue) and of A on
    # another venue that are on the oracle, which must not close A's span
    rows = []
    for i in range(121):
        ts = i * STEP
        rows.append(("drift", "A", ts, 100.0, 105.0))
        rows.append(("drift", "B", ts, 100.0, 100.0))
        rows.append(("curie", "A", ts, 100.0, 100.0))
    ts_cols = _timeseries(rows)

    found = divergence_warnings(ts_cols, threshold_pct=1.0, min_minutes=60)

    assert [(w.venue, w.market, w.start_ts, w.end_ts) for w in found] == [
        ("drift", "A", 0, 120 * STEP)
    ]


def test_divergence_spans_of_two_markets_each_keep_their_own_start():
    rows = []
    for i in range(200):
        ts = i * STEP
        rows.append(("drift", "A", ts, 100.0, 105.0 if i >= 10 else 100.0))
        rows.append(("drift", "B", ts, 100.0, 105.0 if i >= 50 else 100.0))
    ts_cols = _timeseries(rows)

    found = divergence_warnings(ts_cols, threshold_pct=1.0, min_minutes=60)

    assert sorted((w.market, w.start_ts) for w in found) == [("A", 10 * STEP), ("B", 50 * STEP)]


def test_divergence_still_open_at_the_end_is_reported_ending_at_the_last_row():
    ts_cols = _one_market([100.0] * 10 + [103.0] * 90)

    found = divergence_warnings(ts_cols, threshold_pct=1.0, min_minutes=60)

    assert [(w.start_ts, w.end_ts) for w in found] == [(10 * STEP, 99 * STEP)]


def test_divergence_with_a_non_positive_oracle_is_not_reported():
    ts_cols = _one_market([5.0] * 120, oracle=0.0)

    found = divergence_warnings(ts_cols, threshold_pct=1.0, min_minutes=60)

    assert found == []


# --- funding at its cap -----------------------------------------------------------------------


def _hourly(flags, market="SOL-PERP", start=0):
    return [(start + i * 3600, market, capped) for i, capped in enumerate(flags)]


def test_funding_capped_for_less_than_the_minimum_is_not_reported():
    samples = _hourly([False, True, True, True, True, False])  # 4 updates span 3 h

    found = funding_cap_warnings("drift", samples, min_hours=4.0)

    assert found == []


def test_funding_capped_for_the_minimum_is_reported_with_its_span_and_count():
    samples = _hourly([False, True, True, True, True, True, False])  # 5 updates span 4 h

    found = funding_cap_warnings("drift", samples, min_hours=4.0)

    assert [(w.kind, w.venue, w.market, w.start_ts, w.end_ts, w.worst) for w in found] == [
        ("funding_at_cap", "drift", "SOL-PERP", 3600, 5 * 3600, 5.0)
    ]


def test_funding_cap_run_is_broken_by_an_uncapped_update():
    samples = _hourly([True, True, True, False, True, True, True])

    found = funding_cap_warnings("drift", samples, min_hours=4.0)

    assert found == []


def test_funding_cap_runs_are_kept_per_market():
    samples = []
    for i in range(6):
        samples.append((i * 3600, "A", True))
        samples.append((i * 3600, "B", False))

    found = funding_cap_warnings("drift", samples, min_hours=4.0)

    assert [(w.market, w.start_ts, w.end_ts) for w in found] == [("A", 0, 5 * 3600)]


def test_funding_capped_until_the_end_is_reported():
    samples = _hourly([False, True, True, True, True, True])

    found = funding_cap_warnings("drift", samples, min_hours=4.0)

    assert [(w.start_ts, w.end_ts) for w in found] == [(3600, 5 * 3600)]


# --- unfilled orders --------------------------------------------------------------------------


def _stats(attempted, unfilled=0, rejected=0):
    return {"orders_attempted": attempted, "orders_unfilled": unfilled, "orders_rejected": rejected}


def test_unfilled_share_at_the_threshold_is_not_reported():
    found = unfilled_order_warnings("drift", {"n": _stats(10, unfilled=1)}, 10.0, 0, 86_400)

    assert found == []


def test_unfilled_share_above_the_threshold_is_reported_with_the_share():
    found = unfilled_order_warnings("drift", {"n": _stats(10, unfilled=2)}, 10.0, 0, 86_400)

    assert [(w.kind, w.venue, w.market, w.start_ts, w.end_ts, w.worst) for w in found] == [
        ("unfilled_orders", "drift", "n", 0, 86_400, pytest.approx(20.0))
    ]


def test_rejected_orders_count_as_unfilled():
    found = unfilled_order_warnings(
        "drift", {"n": _stats(10, unfilled=1, rejected=1)}, 10.0, 0, 86_400
    )

    assert [w.worst for w in found] == [pytest.approx(20.0)]


def test_agent_without_orders_is_not_reported():
    found = unfilled_order_warnings("drift", {"n": _stats(0)}, 10.0, 0, 86_400)

    assert found == []


def test_only_agents_above_the_threshold_are_reported():
    agents = {"good": _stats(100, unfilled=5), "bad": _stats(100, unfilled=50)}

    found = unfilled_order_warnings("drift", agents, 10.0, 0, 86_400)

    assert [w.market for w in found] == ["bad"]


# --- unresolved bad debt ----------------------------------------------------------------------


def test_bad_debt_warning_for_a_user_overdue_names_its_span_and_rounds():
    ledger = BadDebtLedger()
    for ts in (60, 120, 180):
        ledger.observe("u1", -5_000_000, ts, limit_rounds=3)

    found = bad_debt_warnings("drift", ledger, limit_rounds=3, end_ts=600)

    assert [(w.kind, w.venue, w.market, w.start_ts, w.end_ts, w.worst) for w in found] == [
        ("unresolved_bad_debt", "drift", "u1", 60, 180, 3.0)
    ]


def test_bad_debt_warning_for_a_user_still_negative_at_the_end_runs_to_the_end():
    ledger = BadDebtLedger()
    ledger.observe("u2", -7_000_000, 300, limit_rounds=10)
    ledger.observe("u2", -9_000_000, 360, limit_rounds=10)

    found = bad_debt_warnings("drift", ledger, limit_rounds=10, end_ts=600)

    assert [(w.market, w.start_ts, w.end_ts, w.worst) for w in found] == [("u2", 300, 600, 2.0)]
    assert "-9.00 USD" in found[0].detail


def test_bad_debt_user_overdue_and_still_negative_is_reported_once():
    ledger = BadDebtLedger()
    for ts in (60, 120, 180, 240):
        ledger.observe("u1", -5_000_000, ts, limit_rounds=3)

    found = bad_debt_warnings("drift", ledger, limit_rounds=3, end_ts=600)

    assert [w.market for w in found] == ["u1"]


def test_bad_debt_user_resolved_before_the_end_is_not_reported():
    ledger = BadDebtLedger()
    ledger.observe("u1", -5_000_000, 60, limit_rounds=3)
    ledger.observe("u1", 0, 120, limit_rounds=3)

    found = bad_debt_warnings("drift", ledger, limit_rounds=3, end_ts=600)

    assert found == []


def test_health_warning_as_dict_keeps_every_field():
    warning = HealthWarning("funding_at_cap", "drift", "SOL-PERP", 1, 2, 3.0, "d")

    assert warning.as_dict() == {
        "kind": "funding_at_cap",
        "venue": "drift",
        "market": "SOL-PERP",
        "start_ts": 1,
        "end_ts": 2,
        "worst": 3.0,
        "detail": "d",
    }


def test_orders_stopped_at_their_own_limit_do_not_count_as_unfilled_flow():
    stats = {**_stats(10, unfilled=8), "orders_unfilled_at_limit": 7,
             "unfilled_reasons": {"limit_price": 7, "amm_liquidity": 1}}

    assert unfilled_order_warnings("drift", {"arb": stats}, 10.0, 0, 86_400) == []
    stats["orders_unfilled_at_limit"] = 6
    [warning] = unfilled_order_warnings("drift", {"arb": stats}, 10.0, 0, 86_400)
    assert warning.worst == pytest.approx(20.0) and "amm_liquidity 1" in warning.detail
