"""The keepers drive a gap crash through the whole loss waterfall (examples/gap_crash.toml).

One run of the shipped example with the audit checked after every step (`check=True`, which
also fails on negative equity left unresolved for `keepers.max_unresolved_rounds` rounds).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ballast.drift.events import LiquidationRecord, LiquidationType
from ballast.report import save_run
from ballast.report.metrics import format_value
from ballast.sim import AuditFailure, Backtest, load_scenario, parse_scenario

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gap_crash.toml"
USD = 1e6


@pytest.fixture(scope="module")
def gap_crash():
    return Backtest(load_scenario(EXAMPLE), check=True, progress=False).run()


def test_gap_crash_bad_debt_is_split_into_stages_that_sum_to_it(gap_crash):
    ledger = gap_crash.summary["venues"]["drift"]["bad_debt"]
    assert ledger["bad_debt_usd"] > 0
    stages = ledger["insurance_fund_usd"] + ledger["fee_pool_usd"] + ledger["socialised_usd"]
    assert stages == pytest.approx(ledger["bad_debt_usd"], abs=1e-6)
    assert ledger["stages_mismatch"] == 0


def test_gap_crash_uses_every_stage_and_the_fund_stops_at_its_cap(gap_crash):
    ledger = gap_crash.summary["venues"]["drift"]["bad_debt"]
    cap = gap_crash.scenario.markets[0].quote_max_insurance_usd
    assert ledger["insurance_fund_usd"] == pytest.approx(cap)
    assert ledger["fee_pool_usd"] > 0
    assert ledger["socialised_usd"] > 0


def test_gap_crash_bankruptcy_records_match_the_ledger(gap_crash):
    records = [e.event for e in gap_crash.events
               if type(e.event) is LiquidationRecord and e.event.liquidation_type is LiquidationType.PerpBankruptcy]
    ledger = gap_crash.summary["venues"]["drift"]["bad_debt"]
    assert len(records) == ledger["resolutions"]
    assert sum(-r.pnl for r in records) / USD == pytest.approx(ledger["bad_debt_usd"], abs=1e-6)
    assert sum(r.if_payment for r in records) / USD == pytest.approx(ledger["insurance_fund_usd"], abs=1e-6)


def test_gap_crash_leaves_no_negative_equity_unresolved(gap_crash):
    ledger = gap_crash.summary["venues"]["drift"]["bad_debt"]
    assert ledger["unresolved_users"] == [] and ledger["overdue"] == []
    assert not [w for w in gap_crash.summary["warnings"] if w["kind"] == "unresolved_bad_debt"]


def test_check_fails_a_run_whose_bad_debt_is_never_resolved():
    # without liquidations nobody resolves the crashed long: --check names the user
    scenario = parse_scenario({
        "duration_days": 0.5, "keepers": {"liquidations": False, "max_unresolved_rounds": 5},
        "markets": [{"name": "SOL-PERP", "oracle": {"kind": "gbm", "regimes": [{"vol_annual_pct": 1}],
                                                     "scheduled_moves": [{"at_day": 0.1, "change_pct": -50}]}}],
        "agents": [{"kind": "trend_follower", "name": "long", "mode": "long", "leverage": 8,
                    "check_every_minutes": 1, "collateral_usd": 10_000},
                   {"kind": "arbitrageur", "name": "arb"}],
    })
    with pytest.raises(AuditFailure, match="'long' has had negative equity"):
        Backtest(scenario, check=True, progress=False).run()


def test_gap_crash_report_shows_the_waterfall_stages(gap_crash, tmp_path):
    html = save_run(gap_crash, tmp_path).read_text()
    section = html[html.index("Bad debt and the loss waterfall</h2>"):]
    ledger = gap_crash.summary["venues"]["drift"]["bad_debt"]
    for key in ("bad_debt_usd", "insurance_fund_usd", "fee_pool_usd", "socialised_usd"):
        assert f">{format_value(key, ledger[key])}<" in section
    assert ledger["waterfall"], "the gap leaves bankruptcies"
    for row in ledger["waterfall"]:  # one table row per resolution, its four amounts
        assert all(f">{format_value(k, row[k])}<" in section for k in ("bad_debt_usd", "socialised_usd"))


def test_a_luna_like_slide_keeps_the_market_running_and_resolves_every_loss():
    # drift-sim's lunaCrash shape: -98% over 2.6 days ($61.5 -> $1.1); crash.toml-like agents
    scenario = parse_scenario({
        "duration_days": 3, "seed": 4,
        "venues": [{"name": "drift", "insurance_fund": {}}],
        "markets": [{"name": "SOL-PERP", "oracle": {"kind": "gbm", "start_price_usd": 61.5,
                                                     "regimes": [{"vol_annual_pct": 80}],
                                                     "scheduled_moves": [{"at_day": 0.2, "change_pct": -98,
                                                                          "over_minutes": 3744}]}}],
        "agents": [
            {"kind": "insurance_staker", "name": "staker", "stake_usd": 200_000},
            {"kind": "bal_provider", "name": "lp", "collateral_usd": 200_000, "amount_usd": 100_000},
            {"kind": "trend_follower", "name": "long-5x", "mode": "long", "leverage": 5, "collateral_usd": 100_000,
             "check_every_minutes": 10},
            {"kind": "noise_taker", "name": "noise", "collateral_usd": 200_000, "min_size_base": 5,
             "max_size_base": 500, "max_position_base": 5000},
            {"kind": "arbitrageur", "name": "arb"},
        ],
    })
    result = Backtest(scenario, check=True, progress=False).run()
    funding = sorted(e.event.ts for e in result.events if type(e.event).__name__ == "FundingRateRecord")
    fills = sorted(e.event.ts for e in result.events
                   if type(e.event).__name__ == "OrderActionRecord" and e.event.action.name == "Fill")
    end = scenario.start_ts + 3 * 86_400
    assert max(b - a for a, b in zip([scenario.start_ts, *funding], [*funding, end], strict=True)) <= 2 * 3600
    assert max(b - a for a, b in zip([scenario.start_ts, *fills], [*fills, end], strict=True)) <= 3 * 3600
    assert result.summary["venues"]["drift"]["agents"]["long-5x"]["liquidations"] >= 1
    assert result.summary["venues"]["drift"]["bad_debt"]["unresolved_users"] == []
    assert not [w for w in result.summary["warnings"] if w["kind"] == "mark_oracle_divergence"]


@pytest.mark.parametrize("example", ["gap_crash.toml", "crash.toml"])
def test_the_margin_watch_changes_no_liquidation(example, monkeypatch):
    """The keeper's shortcut (drift.math.margin_watch) skips recalculations only: with it off
    (every user recalculated every round) the same liquidations happen at the same steps and the
    run ends in the same state."""
    scenario = load_scenario(EXAMPLE.parent / example)

    def run():
        result = Backtest(scenario, progress=False).run()
        liquidations = [(e.event.ts, e.event.user, e.event.liquidation_type) for e in result.events
                        if isinstance(e.event, LiquidationRecord)]
        return result.state_digests, liquidations, result.summary["venues"]["drift"]["bad_debt"]

    with_watch = run()
    monkeypatch.setattr("ballast.sim.keepers.margin_certainly_met", lambda *args: False)
    assert run() == with_watch
    assert with_watch[1]  # the examples do liquidate
