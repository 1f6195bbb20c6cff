"""docs/metrics.md is generated from ballast.report.metrics and kept up to date; the figures
follow its rules (capital-weighted, active window, n/a under 7 days, 30-day figures need 30 days)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ballast.report.metrics import (
    METRICS,
    PROVIDER_COLUMNS,
    capital_weighted,
    format_value,
    hover,
    render,
)
from ballast.sim import Backtest, parse_scenario

ROOT = Path(__file__).resolve().parents[2]


def test_committed_metrics_reference_is_up_to_date():
    committed = (ROOT / "docs" / "metrics.md").read_text()
    assert committed == render(), "docs/metrics.md is out of date: run `ballast docs metrics > docs/metrics.md`"


def test_every_figure_has_a_definition_shown_on_hover():
    for name in METRICS:
        assert f"| `{name}` |" in render()
        assert hover(name).startswith(METRICS[name].definition)
    for name in PROVIDER_COLUMNS:
        assert hover(name, "provider"), name
    assert "worst provider" in hover("max_drawdown_pct") and "worst" not in hover("max_drawdown_pct", "provider")


@pytest.mark.parametrize(
    "name, value, shown",
    [("lp_pnl_usd", -674.4070340001, "-674.41"), ("lp_apr_pct", None, "n/a"), ("bal_return_7d_pct", -0.0001, "0.00"),
     ("liquidations", 1234, "1,234"), ("sharpe_ratio", 1.23456, "1.23"), ("state_digest", "ab12", "ab12")],
)
def test_one_format_for_report_and_terminal(name, value, shown):
    assert format_value(name, value) == shown


def test_capital_weighted_skips_figures_that_are_not_defined():
    assert capital_weighted([(10.0, 300.0), (-20.0, 100.0), (None, 1e9)]) == pytest.approx(2.5)
    assert capital_weighted([(None, 100.0)]) is None


BASE = {
    "name": "late-lp",
    "seed": 3,
    "duration_days": 9,
    "step_seconds": 600,
    "markets": [{"name": "SOL-PERP", "base_liquidity_base": 50_000,
                 "oracle": {"kind": "gbm", "start_price_usd": 100.0,
                            "regimes": [{"start_day": 0, "vol_annual_pct": 60}]}}],
    "agents": [
        {"kind": "bal_provider", "name": "lp-early", "collateral_usd": 300_000, "amount_usd": 100_000},
        {"kind": "bal_provider", "name": "lp-late", "collateral_usd": 100_000, "enter_at_day": 4,
         "amount_usd": 50_000},
        {"kind": "noise_taker", "name": "noise", "collateral_usd": 100_000, "arrivals_per_hour": 6},
    ],
}


@pytest.fixture(scope="module")
def nine_days():
    return Backtest(parse_scenario(BASE), progress=False).run().summary


def test_a_late_provider_is_measured_over_its_active_window(nine_days):
    agents = nine_days["venues"]["drift"]["agents"]
    early, late = agents["lp-early"], agents["lp-late"]
    assert early["active_days"] == pytest.approx(9) and early["apr_pct"] is not None
    assert late["active_days"] == pytest.approx(5)  # under 7 days: not annualised
    assert late["apr_pct"] is None and late["sharpe_ratio"] is None
    assert late["return_pct"] == pytest.approx(100 * late["pnl_usd"] / late["capital_usd"])


def test_lp_apr_is_capital_weighted_over_providers_that_have_one(nine_days):
    venue = nine_days["venues"]["drift"]
    agents = venue["agents"]
    assert venue["lp_apr_pct"] == pytest.approx(agents["lp-early"]["apr_pct"])  # the late one has none
    assert venue["lp_capital_usd"] == pytest.approx(400_000)
    assert venue["lp_pnl_usd"] == pytest.approx(agents["lp-early"]["pnl_usd"] + agents["lp-late"]["pnl_usd"])


def test_window_figures_need_their_window(nine_days):
    assert nine_days["bal_return_7d_pct"] is not None
    assert nine_days["bal_return_30d_pct"] is None and nine_days["bal_apr_30d_pct"] is None
    short = Backtest(parse_scenario(dict(BASE, duration_days=2, agents=BASE["agents"][::2])), progress=False).run().summary
    assert short["bal_return_7d_pct"] is None and short["lp_apr_pct"] is None


def test_docs_metrics_command_prints_the_reference():
    from typer.testing import CliRunner

    from ballast.cli import app

    result = CliRunner().invoke(app, ["docs", "metrics"])
    assert result.exit_code == 0 and result.output == render()
