"""The Curie venue side by side with Drift: one price path, one taker flow, two kinds of LP."""

from pathlib import Path

import pytest

from ballast.report import save_run
from ballast.sim import Backtest, parse_scenario
from ballast.sim.loading import load_scenario
from ballast.sim.scenario import ScenarioError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

SIDE_BY_SIDE = {
    "name": "bal-vs-curie-1d",
    "seed": 1,
    "duration_days": 1.0,
    "step_seconds": 60,
    "venues": [{"name": "drift", "kind": "drift"}, {"name": "curie", "kind": "curie"}],
    "markets": [{"name": "SOL-PERP", "oracle": {"kind": "gbm", "start_price_usd": 100.0,
                                                "regimes": [{"start_day": 0, "vol_annual_pct": 100}]}}],
    "agents": [
        {"kind": "bal_provider", "name": "bal-lp", "collateral_usd": 200_000, "amount_usd": 150_000},
        {"kind": "curie_maker", "name": "range-fixed", "collateral_usd": 200_000, "amount_usd": 1_000_000,
         "width_ticks": 2000},
        {"kind": "curie_maker", "name": "range-recenter", "collateral_usd": 100_000, "amount_usd": 300_000,
         "width_ticks": 200, "policy": "recenter"},
        {"kind": "arbitrageur", "name": "arb", "collateral_usd": 2_000_000, "max_trade_base": 1000,
         "max_position_base": 20_000},
        {"kind": "noise_taker", "name": "noise", "collateral_usd": 200_000, "arrivals_per_hour": 30},
    ],
}


@pytest.fixture(scope="module")
def result():
    return Backtest(parse_scenario(SIDE_BY_SIDE), check=True).run()  # audits both venues every step


def test_side_by_side_runs_with_audit_every_step_on_both_venues(result):
    n = parse_scenario(SIDE_BY_SIDE).n_steps
    venues = result.timeseries.column("venue").to_pylist()
    assert venues.count("drift") == venues.count("curie") == n + 1
    assert result.summary["venues"]["curie"]["total_fees_usd"] > 0


def test_side_by_side_is_deterministic(result):
    again = Backtest(parse_scenario(SIDE_BY_SIDE)).run()
    assert again.state_digests == result.state_digests
    assert again.summary == result.summary


def test_recentring_maker_recentres_when_price_leaves_its_range(result):
    curie = result.summary["venues"]["curie"]["agents"]
    assert curie["range-recenter"]["recenters"] > 0
    assert curie["range-fixed"]["recenters"] == 0


def test_same_taker_flow_reaches_both_venues(result):
    venues = result.summary["venues"]
    drift, curie = venues["drift"]["agents"], venues["curie"]["agents"]
    assert drift["noise"]["orders_attempted"] == curie["noise"]["orders_attempted"] > 0


def test_providers_run_only_on_their_venue(result):
    venues = result.summary["venues"]
    assert set(venues["drift"]["agents"]) == {"bal-lp", "arb", "noise"}
    assert set(venues["curie"]["agents"]) == {"range-fixed", "range-recenter", "arb", "noise"}
    assert venues["curie"]["lp_fees_usd"] > 0


def test_curie_decomposition_sums_to_nav_change_to_the_cent(result):
    rows = [r for r in result.agents.to_pylist() if r["venue"] == "curie"]
    start = {r["agent"]: r["nav_usd"] for r in rows if r["step"] == 0}
    for r in rows:
        parts = r["fees_usd"] + r["funding_usd"] + r["inventory_pnl_usd"] - r["removal_fees_usd"]
        assert abs(r["nav_usd"] - start[r["agent"]] - parts) < 0.01


def test_report_provider_table_lists_bal_providers_and_curie_makers(result, tmp_path):
    from ballast.report.html import _provider_stats
    from ballast.store.run_folder import load_run

    report = save_run(result, tmp_path)
    html = report.read_text()
    providers = {(venue, agent) for venue, agent, _ in _provider_stats(load_run(report.parent))}
    assert providers == {("drift", "bal-lp"), ("curie", "range-fixed"), ("curie", "range-recenter")}
    for name in ("bal-lp", "range-fixed", "range-recenter"):
        assert name in html


def test_drift_keys_are_rejected_on_a_curie_venue():
    with pytest.raises(ScenarioError, match="lp_cooldown_seconds is a Drift venue key"):
        parse_scenario({"venues": [{"name": "c", "kind": "curie", "lp_cooldown_seconds": 5}]})


def test_curie_parameters_are_validated():
    with pytest.raises(ScenarioError, match=r"venues\.0\.curie\.uniswap_fee_tier"):
        parse_scenario({"venues": [{"name": "c", "kind": "curie", "curie": {"uniswap_fee_tier": 100}}]})
    with pytest.raises(ScenarioError, match=r"venues\.0\.curie\.bogus: unknown key"):
        parse_scenario({"venues": [{"name": "c", "kind": "curie", "curie": {"bogus": 1}}]})


def test_bal_vs_curie_example_loads_with_both_venue_kinds():
    scenario = load_scenario(EXAMPLES / "bal_vs_curie.toml")
    assert [v.kind for v in scenario.venues] == ["drift", "curie"]
    assert {a.policy for a in scenario.agents if a.kind == "curie_maker"} == {"fixed", "recenter"}


def test_an_unbalanced_curie_audit_is_reported_not_an_attribute_error(monkeypatch):
    from ballast.curie.clearing_house import CurieAuditReport
    from ballast.sim.scenario import VenueConfig
    from ballast.sim.venues.curie import CurieVenue

    venue = CurieVenue(VenueConfig(name="curie", kind="curie"))
    report = CurieAuditReport(quote_difference=7, base_difference={"SOL-PERP": -2}, lines={}, mismatches=("pool short",))
    monkeypatch.setattr(venue.house, "audit", lambda: report)
    assert venue.audit_error() == "quote difference 7; SOL-PERP base difference -2; pool short"
