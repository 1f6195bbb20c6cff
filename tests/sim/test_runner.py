import pytest

from ballast.sim import Backtest, parse_scenario

BASE = {
    "name": "test",
    "seed": 1,
    "duration_days": 0.5,
    "step_seconds": 60,
    "markets": [{"name": "SOL-PERP", "base_liquidity_base": 50_000,
                 "oracle": {"kind": "gbm", "start_price_usd": 100.0, "jumps_per_day": 2.0,
                            "regimes": [{"start_day": 0, "vol_annual_pct": 100}]}}],
    "agents": [
        {"kind": "bal_provider", "name": "lp-early", "collateral_usd": 100_000, "amount_usd": 50_000},
        {"kind": "bal_provider", "name": "lp-late", "collateral_usd": 100_000, "enter_at_day": 0.25,
         "add_by": "leverage", "leverage_pct": 50, "exit_at_day": 0.45},
        {"kind": "arbitrageur", "name": "arb", "collateral_usd": 300_000},
        {"kind": "noise_taker", "name": "noise", "collateral_usd": 100_000, "arrivals_per_hour": 30},
        {"kind": "trend_follower", "name": "trend", "collateral_usd": 10_000, "leverage": 8,
         "lookback_minutes": 60, "check_every_minutes": 30, "threshold_pct": 0.5},
    ],
}


@pytest.fixture(scope="module")
def result():
    return Backtest(parse_scenario(BASE), check=True).run()


def test_small_scenario_runs_with_audit_every_step(result):
    n = parse_scenario(BASE).n_steps
    assert result.timeseries.num_rows == n + 1
    assert result.summary["total_fees_usd"] > 0
    assert result.events


def test_same_seed_gives_same_summary_and_digest(result):
    again = Backtest(parse_scenario(BASE), check=False).run()
    assert again.summary == result.summary
    assert again.state_digests == result.state_digests


def test_agents_are_sampled_every_15_minutes_and_at_milestones(result):
    # Arrange: lp-late exits at day 0.45 = step 648, off the 15-step grid
    n = parse_scenario(BASE).n_steps
    exit_step = round(0.45 * 86_400 / 60)

    # Act
    steps = sorted({r["step"] for r in result.agents.to_pylist()})

    # Assert
    assert [s for s in steps if s % 15 and s != n] == [exit_step]  # the one milestone off the grid, at its step
    assert set(range(0, n + 1, 15)) | {n} <= set(steps)
    assert len(steps) < n // 5


def test_agents_every_steps_1_records_every_step():
    # Arrange
    scenario = parse_scenario(dict(BASE, duration_days=0.05, agents=BASE["agents"][2:], outputs={"agents_every_steps": 1}))

    # Act
    rows = Backtest(scenario).run().agents.to_pylist()

    # Assert
    assert sorted({r["step"] for r in rows}) == list(range(scenario.n_steps + 1))


def test_other_seed_gives_other_run(result):
    other = Backtest(parse_scenario(BASE), seed=2).run()
    assert other.state_digests != result.state_digests


def test_late_entrant_performance_differs_from_early(result):
    agents = result.summary["venues"]["drift"]["agents"]
    assert agents["lp-late"]["return_pct"] != agents["lp-early"]["return_pct"]
    assert agents["lp-late"]["removal_fees_usd"] > 0  # it removed and paid the residual fee


def test_decomposition_sums_to_nav_change_to_the_cent(result):
    rows = result.agents.to_pylist()
    start = {r["agent"]: r["nav_usd"] for r in rows if r["step"] == 0}
    for r in rows:
        parts = r["fees_usd"] + r["funding_usd"] + r["inventory_pnl_usd"] - r["removal_fees_usd"]
        assert abs(r["nav_usd"] - start[r["agent"]] - parts) < 0.01


def test_fee_part_is_what_a_different_fee_slice_changes():
    data = dict(BASE, duration_days=0.2, venues=[
        {"name": "s80", "market_overrides": {"SOL-PERP": {"lp_fee_slice": [8, 10]}}},
        {"name": "s40", "market_overrides": {"SOL-PERP": {"lp_fee_slice": [4, 10]}}},
    ])
    data["agents"] = [a for a in BASE["agents"] if a["name"] != "lp-late"]
    venues = Backtest(parse_scenario(data)).run().summary["venues"]
    a, b = venues["s80"]["agents"]["lp-early"], venues["s40"]["agents"]["lp-early"]
    assert a["fees_usd"] > b["fees_usd"] > 0
    assert abs((a["nav_end_usd"] - b["nav_end_usd"]) - (a["fees_usd"] - b["fees_usd"])) < 0.01
    assert abs(a["inventory_pnl_usd"] - b["inventory_pnl_usd"]) < 0.01


def test_a_provider_add_that_buys_no_share_is_a_warning_not_a_silent_no_op():
    from ballast.sim import Backtest, parse_scenario

    scenario = parse_scenario({
        "duration_days": 0.05,
        "agents": [{"kind": "bal_provider", "name": "tiny", "collateral_usd": 100, "amount_usd": 0.01},
                   {"kind": "noise_taker", "name": "n"}],
    })
    warnings = Backtest(scenario, progress=False).run().summary["warnings"]
    refused = [w for w in warnings if w["kind"] == "refused_instruction"]
    assert [(w["market"], w["worst"]) for w in refused] == [("tiny", 1.0)]
    assert "add_perp_lp_shares" in refused[0]["detail"] and "less than one share step" in refused[0]["detail"]


def test_a_nav_series_shorter_than_a_week_is_not_annualised():
    from ballast.sim.runner import nav_statistics

    day = 86_400
    assert nav_statistics([0, 4 * day], [100.0, 110.0])["apr_pct"] is None
    assert nav_statistics([0, 4 * day], [100.0, 110.0])["return_pct"] == 10.0
    assert nav_statistics([0, 73 * day], [100.0, 110.0])["apr_pct"] == 50.0
