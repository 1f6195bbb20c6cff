"""The answer-sheet sections on one crash run (gap_crash for 2 days with a small insurance fund and
no cap on what it pays): each provider's de-risk events and its de-risk / liquidation prices
beside the oracle, the loss waterfall per bankruptcy resolution and the time the fund ran dry."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pyarrow.compute as pc
import pytest

from ballast.report import save_run
from ballast.report.metrics import format_value
from ballast.sim import Backtest, load_scenario
from ballast.sim.waterfall import EMPTY_FUND_USD, depleted_ts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def crash(tmp_path_factory):
    scenario = load_scenario(ROOT / "examples" / "gap_crash.toml")
    markets = tuple(m.model_copy(update={"quote_max_insurance_usd": 10_000_000}) for m in scenario.markets)
    agents = tuple(a.model_copy(update={"stake_usd": 5_000}) if a.name == "if-staker" else a for a in scenario.agents)
    scenario = scenario.model_copy(update={"duration_days": 2, "markets": markets, "agents": agents})
    result = Backtest(scenario, progress=False).run()
    page = save_run(result, tmp_path_factory.mktemp("runs")).read_text(encoding="utf-8")
    return result, page


def _section(page: str, title: str) -> str:
    return page.split(f"<h2>{html.escape(title)}</h2>", 1)[1].split("</section>", 1)[0]


def test_the_summary_says_when_the_insurance_fund_ran_dry(crash):
    result, _page = crash
    drift = result.summary["venues"]["drift"]
    rows = result.timeseries.filter(pc.equal(result.timeseries["venue"], "drift")).to_pydict()
    expected = depleted_ts(rows["ts"], rows["insurance_fund_usd"])
    assert expected is not None, "the gap empties a $5,000 fund with no cap"
    assert drift["insurance_fund_depleted_day"] == (expected - result.scenario.start_ts) / 86_400
    assert 1.5 <= drift["insurance_fund_depleted_day"] < 2  # the gap is at day 1.5
    assert drift["insurance_fund_end_usd"] < EMPTY_FUND_USD


def test_the_waterfall_lists_each_resolution_and_when_the_fund_ran_dry(crash):
    result, page = crash
    ledger = result.summary["venues"]["drift"]["bad_debt"]
    section = _section(page, "Bad debt and the loss waterfall")
    assert ledger["resolutions"] == len(ledger["waterfall"]) > 0
    for row in ledger["waterfall"]:
        assert row["insurance_fund_usd"] + row["fee_pool_usd"] + row["socialised_usd"] == pytest.approx(row["bad_debt_usd"])
        cells = "".join(f'<td class="n">{format_value(k, row[k])}</td>'
                        for k in ("bad_debt_usd", "insurance_fund_usd", "fee_pool_usd", "socialised_usd"))
        assert f"<td>{row['user']}</td><td>{row['kind']}</td><td>{row['market']}</td>{cells}" in section
    day = result.summary["insurance_fund_depleted_day"]
    assert re.search(rf"the insurance fund ran dry on day {day:,.2f} \(\d{{4}}-\d\d-\d\d \d\d:\d\d UTC\)", section)
    assert "insurance fund dry" in html.unescape(_section(page, "Pools and insurance fund"))  # marked on the chart


def test_each_de_risk_event_is_listed_with_its_burned_shares(crash):
    result, page = crash
    derisks = [e.event for e in result.events
               if type(e.event).__name__ == "LPRecord" and e.event.action.name == "RemoveLiquidityDerisk"]
    assert derisks and result.summary["venues"]["drift"]["agents"]["lp"]["derisks"] == len(derisks)
    section = _section(page, "De-risk and liquidation")
    rows = re.findall(r"<td>drift</td><td>lp</td><td>(day [^<]+)</td><td>de-risk: BAL shares burned</td>"
                      r"<td[^>]*>([\d,.]+)</td>", section)
    assert [shares for _when, shares in rows] == [f"{e.n_shares / 1e9:,.4f}" for e in derisks]


def test_the_risk_chart_draws_each_providers_prices_beside_the_oracle_on_a_log_axis(crash):
    result, page = crash
    section = _section(page, "De-risk and liquidation")
    spec = json.loads(html.unescape(re.search(r'data-chart="([^"]+)"', section).group(1)))
    (panel,) = spec["panels"]  # one provider
    assert panel["title"] == "drift lp" and panel["log"] is True and "USD" in panel["y"]
    lines = {s["name"]: s for s in panel["series"]}
    assert {"oracle", "de-risk above", "liquidation above"} <= set(lines)
    agents = result.agents.filter(pc.equal(result.agents["agent"], "lp")).to_pydict()
    recorded = [v for v in agents["liquidation_price_above_usd"] if v is not None]
    assert max(lines["liquidation above"]["y"]) == pytest.approx(max(recorded), rel=1e-7)
    assert [m["name"] for m in panel["marks"]] == ["de-risk"] * result.summary["venues"]["drift"]["agents"]["lp"]["derisks"]
