"""The bad-debt ledger (ballast.sim.waterfall.BadDebtLedger): unresolved spans, totals,
mismatches."""

from __future__ import annotations

from ballast.sim.waterfall import BadDebtLedger, Resolution, Unresolved, depleted_ts


def _resolution(kind="perp", bad_debt=100, insurance_fund=60, fee_pool=30, socialised=10, user="u"):
    return Resolution(
        ts=0,
        user=user,
        kind=kind,
        market="SOL-PERP",
        bad_debt=bad_debt,
        insurance_fund=insurance_fund,
        fee_pool=fee_pool,
        socialised=socialised,
    )


# --- observe ----------------------------------------------------------------------------------


def test_observe_negative_equity_opens_a_span():
    ledger = BadDebtLedger()

    ledger.observe("u", -5, 100, limit_rounds=10)

    assert ledger.unresolved == {"u": Unresolved(first_ts=100, rounds=1, worst_equity=-5)}


def test_observe_again_extends_the_span_keeping_its_start_and_worst_equity():
    ledger = BadDebtLedger()
    ledger.observe("u", -5, 100, limit_rounds=10)

    ledger.observe("u", -9, 160, limit_rounds=10)
    ledger.observe("u", -2, 220, limit_rounds=10)

    assert ledger.unresolved == {"u": Unresolved(first_ts=100, rounds=3, worst_equity=-9)}


def test_observe_zero_equity_clears_the_span():
    ledger = BadDebtLedger()
    ledger.observe("u", -5, 100, limit_rounds=10)

    ledger.observe("u", 0, 160, limit_rounds=10)

    assert ledger.unresolved == {}


def test_observe_positive_equity_of_an_unknown_user_records_nothing():
    ledger = BadDebtLedger()

    ledger.observe("u", 7, 100, limit_rounds=10)

    assert (ledger.unresolved, ledger.overdue) == ({}, [])


def test_observe_after_clearing_opens_a_new_span():
    ledger = BadDebtLedger()
    ledger.observe("u", -5, 100, limit_rounds=10)
    ledger.observe("u", 1, 160, limit_rounds=10)

    ledger.observe("u", -3, 220, limit_rounds=10)

    assert ledger.unresolved == {"u": Unresolved(first_ts=220, rounds=1, worst_equity=-3)}


def test_observe_keeps_users_apart():
    ledger = BadDebtLedger()

    ledger.observe("a", -5, 100, limit_rounds=10)
    ledger.observe("b", -7, 160, limit_rounds=10)
    ledger.observe("a", 0, 220, limit_rounds=10)

    assert ledger.unresolved == {"b": Unresolved(first_ts=160, rounds=1, worst_equity=-7)}


def test_overdue_is_empty_before_the_limit():
    ledger = BadDebtLedger()

    for ts in (100, 160):
        ledger.observe("u", -5, ts, limit_rounds=3)

    assert ledger.overdue == []


def test_overdue_is_recorded_when_the_limit_is_reached():
    ledger = BadDebtLedger()

    for ts in (100, 160, 220):
        ledger.observe("u", -5, ts, limit_rounds=3)

    assert ledger.overdue == [("u", 100, 220, 3)]


def test_overdue_is_recorded_once_while_the_span_goes_on():
    ledger = BadDebtLedger()

    for ts in (100, 160, 220, 280, 340):
        ledger.observe("u", -5, ts, limit_rounds=3)

    assert ledger.overdue == [("u", 100, 220, 3)]


# --- totals and mismatches --------------------------------------------------------------------


def test_totals_of_an_empty_ledger_are_zero():
    totals = BadDebtLedger().totals()

    assert totals == {
        "bad_debt": 0,
        "perp_bad_debt": 0,
        "spot_bad_debt": 0,
        "insurance_fund": 0,
        "fee_pool": 0,
        "socialised": 0,
        "pnl_deficit_insurance": 0,
    }


def test_totals_sum_each_stage_and_split_bad_debt_by_kind():
    ledger = BadDebtLedger(pnl_deficit_insurance=7)
    ledger.record(_resolution("perp", bad_debt=100, insurance_fund=60, fee_pool=30, socialised=10))
    ledger.record(_resolution("spot", bad_debt=50, insurance_fund=20, fee_pool=0, socialised=30))
    ledger.record(_resolution("perp", bad_debt=5, insurance_fund=0, fee_pool=5, socialised=0))

    totals = ledger.totals()

    assert totals == {
        "bad_debt": 155,
        "perp_bad_debt": 105,
        "spot_bad_debt": 50,
        "insurance_fund": 80,
        "fee_pool": 35,
        "socialised": 40,
        "pnl_deficit_insurance": 7,
    }


def test_mismatches_lists_only_resolutions_whose_stages_do_not_sum_to_the_bad_debt():
    ledger = BadDebtLedger()
    good = _resolution(bad_debt=100, insurance_fund=60, fee_pool=30, socialised=10, user="good")
    short = _resolution(bad_debt=100, insurance_fund=60, fee_pool=30, socialised=9, user="short")
    over = _resolution(bad_debt=100, insurance_fund=61, fee_pool=30, socialised=10, user="over")
    for r in (good, short, over):
        ledger.record(r)

    mismatched = ledger.mismatches()

    assert mismatched == [short, over]


def test_the_fund_ran_dry_the_first_time_it_held_under_a_dollar_after_holding_one():
    assert depleted_ts([10, 20, 30, 40], [5_000.0, 1.0, 0.000001, 0.0]) == 30


def test_a_fund_that_never_held_a_dollar_never_ran_dry():
    assert depleted_ts([10, 20], [0.0, 0.5]) is None
    assert depleted_ts([10, 20], [0.0, 2.0]) is None


def test_a_resolution_row_is_in_dollars():
    row = Resolution(ts=5, user="u", kind="perp", market="SOL-PERP", bad_debt=3_000_000, insurance_fund=1_000_000,
                     fee_pool=500_000, socialised=1_500_000).usd()
    assert row == {"ts": 5, "user": "u", "kind": "perp", "market": "SOL-PERP", "bad_debt_usd": 3.0,
                   "insurance_fund_usd": 1.0, "fee_pool_usd": 0.5, "socialised_usd": 1.5}
