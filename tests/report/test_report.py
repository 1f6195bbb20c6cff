"""The report: a self-contained page from a small synthetic run, and the statistics on
hand-made series."""

import html
import json
import math
import re
from dataclasses import dataclass

import pyarrow as pa
import pytest

from ballast.drift.events import LiquidationRecord, LiquidationType
from ballast.report import build_report
from ballast.report.charts import chart_div, echarts_source
from ballast.report.downsample import MAX_POINTS
from ballast.report.html import _esc, unit_of
from ballast.report.metrics import hover
from ballast.report.stats import (
    annualised_return_pct,
    annualised_volatility_pct,
    apr_pct,
    daily_resample,
    max_drawdown_pct,
    nav_stats,
    pnl_decomposition,
    sharpe_ratio,
)
from ballast.store import write_run

DAY = 86_400
T0 = 1_700_000_000 - 1_700_000_000 % DAY


@dataclass
class Result:
    scenario: dict
    seed: int
    timeseries: pa.Table
    agents: pa.Table
    events: list
    summary: dict


def _result(venues=("drift",)) -> Result:
    ts_rows, agent_rows = [], []
    for venue in venues:
        for i in range(24 * 10):  # ten days, hourly
            t = T0 + 3600 * i
            price = 100 + 5 * math.sin(i / 24)
            ts_rows.append(
                {
                    "ts": t, "venue": venue, "market": "SOL-PERP", "oracle_price_usd": price,
                    "mark_price_usd": price * 1.001, "bid_price_usd": price * 0.999,
                    "ask_price_usd": price * 1.002, "funding_rate": 1e-4 * math.cos(i / 12),
                    "bal_index_quote": 500 * i, "pnl_pool_usd": 100.0 + i, "fee_pool_usd": 10.0 + i / 4,
                    "revenue_pool_usd": 5.0, "insurance_fund_usd": 1000.0,
                }
            )
            for agent, kind in (("alice", "bal_lp"), ("bob", "taker")):
                agent_rows.append(
                    {
                        "ts": t, "venue": venue, "agent": agent, "kind": kind,
                        "nav_usd": 10_000 + i + 20 * math.sin(i / 10), "fees_usd": i * 0.6,
                        "funding_usd": i * 0.1, "inventory_pnl_usd": 20 * math.sin(i / 10),
                        "removal_fees_usd": 0.0,
                    }
                )
    events = [
        (venues[0], LiquidationRecord(T0 + 3 * DAY, LiquidationType.LiquidatePerp, "bob/0", "liq/0", 0, 1, 2, 3, 1, False)),
    ]
    return Result(
        {"name": "synthetic", "source": "https://example.org/prices.csv"}, 1,
        pa.Table.from_pylist(ts_rows), pa.Table.from_pylist(agent_rows), events,
        {"lp_apr_pct": 36.5, "max_drawdown_pct": 1.2},
    )


@pytest.fixture(scope="module")
def report_html(tmp_path_factory):
    folder = write_run(_result(), tmp_path_factory.mktemp("runs"))
    return build_report(folder).read_text(encoding="utf-8")


def _charts(page: str) -> dict[str, dict]:
    """Each chart's spec by its label."""
    return {html.unescape(label): json.loads(html.unescape(spec))
            for label, spec in re.findall(r'<div class="chart" role="img" aria-label="([^"]*)" data-chart="([^"]*)"', page)}


def _series(spec: dict) -> dict[str, dict]:
    return {f"{panel['title']} {s['name']}".strip(): s for panel in spec["panels"] for s in panel["series"]}


def test_report_loads_no_external_resource(report_html):
    # Arrange: ECharts is inlined unchanged (its licence header and XML namespaces name URLs)
    library = echarts_source()
    assert report_html.count(library) == 1

    # Act
    own = report_html.replace(library, "")

    # Assert: nothing else names a URL, and no element or style loads anything
    assert "http" not in own.lower()
    assert not re.search(r"\b(src|href|srcset|action|poster|data)\s*=", own.replace("data-chart=", ""), re.I)
    assert "url(" not in own.lower() and "@import" not in own.lower()
    assert "<link" not in own.lower() and "<iframe" not in own.lower()


@pytest.mark.parametrize(
    "title",
    [
        "Summary", "Provider outcomes", "Price and mark", "Provider NAV and drawdown",
        "PnL decomposition", "BAL performance (7D / 30D)", "Funding rates", "Liquidations",
        "Pools and insurance fund",
    ],
)
def test_report_has_section(report_html, title):
    assert f"<h2>{title}</h2>" in report_html


def test_report_charts_are_inline_with_their_data(report_html):
    # Act
    charts = _charts(report_html)

    # Assert: one container per chart, ECharts and the drawing script once each, no picture
    assert set(charts) >= {"price and mark", "provider NAV and drawdown", "PnL decomposition", "BAL performance",
                           "funding rates", "liquidations", "pools and insurance fund"}
    assert report_html.count("<script>") == 2 and "<img" not in report_html.replace(echarts_source(), "")
    price = _series(charts["price and mark"])
    assert set(price) == {"drift SOL-PERP bid/ask", "drift SOL-PERP oracle", "drift SOL-PERP mark"}
    oracle = price["drift SOL-PERP oracle"]
    assert charts["price and mark"]["x"] == {"type": "time", "t0": T0, "name": "time (UTC)"}
    assert oracle["x"][:2] == [0, 3600] and oracle["y"][0] == pytest.approx(100.0) and len(oracle["x"]) == 240
    band = price["drift SOL-PERP bid/ask"]
    assert band["lo"][0] == pytest.approx(99.9) and band["hi"][0] == pytest.approx(100.2)
    bars = charts["PnL decomposition"]
    assert bars["categories"] == ["drift alice"]  # the providers (bob is a taker)
    assert [s["name"] for s in bars["series"]] == ["fees", "funding", "inventory_pnl", "removal_fees", "residual"]


def test_drawdown_is_drawn_downward_in_pct_of_the_peak(report_html):
    nav, drawdown = _charts(report_html)["provider NAV and drawdown"]["panels"]
    assert nav["y"] == "NAV (USD)" and drawdown["y"] == "drawdown (% of peak)"
    assert all(v <= 0 for s in drawdown["series"] for v in s["y"]) and min(drawdown["series"][0]["y"]) < 0


def test_funding_and_pools_say_their_units_and_owners(report_html):
    charts = _charts(report_html)
    (funding,) = charts["funding rates"]["panels"]
    assert funding["y"] == "funding rate (USD per base per hour)"
    pools = _series(charts["pools and insurance fund"])
    assert set(pools) == {"perp market pools drift SOL-PERP pnl pool", "perp market pools drift SOL-PERP fee pool",
                          "quote (USDC) insurance fund and revenue pool drift USDC spot market revenue pool",
                          "quote (USDC) insurance fund and revenue pool drift USDC spot market insurance fund"}


def test_a_long_run_is_drawn_with_at_most_max_points_per_line(tmp_path):
    # Arrange: the synthetic run sampled every minute for ten days (14,400 points per line)
    result = _result()
    rows = result.timeseries.to_pylist()
    minute = []
    for row in rows:
        for k in range(60):
            minute.append({**row, "ts": row["ts"] + 60 * k, "oracle_price_usd": row["oracle_price_usd"] + k / 100})
    result.timeseries = pa.Table.from_pylist(minute)

    # Act
    charts = _charts(build_report(write_run(result, tmp_path)).read_text())

    # Assert
    oracle = _series(charts["price and mark"])["drift SOL-PERP oracle"]
    assert len(oracle["x"]) == MAX_POINTS and oracle["x"][-1] == 14_399 * 60
    assert max(oracle["y"]) == pytest.approx(max(r["oracle_price_usd"] for r in minute), abs=0.01)  # LTTB: near
    assert len(_series(charts["price and mark"])["drift SOL-PERP bid/ask"]["x"]) == MAX_POINTS // 2


def test_summary_table_shows_units_and_definitions_on_hover(report_html):
    # % to 2 places as the terminal shows it; the name carries its definition (docs/metrics.md)
    tip = html.escape(hover("lp_apr_pct"), quote=True)
    assert f'<td title="{tip}">lp_apr_pct</td><td class="n">36.50</td><td>%</td>' in report_html


def test_title_names_the_scenario_and_its_description(tmp_path):
    # Arrange
    result = _result()
    result.scenario = {"name": "sol_bal_30d", "description": "SOL-PERP BAL providers over a month"}

    # Act
    page = build_report(write_run(result, tmp_path)).read_text()

    # Assert
    assert "<h1>Ballast: sol_bal_30d - SOL-PERP BAL providers over a month</h1>" in page


def test_summary_shows_one_column_per_venue_and_no_raw_tables(tmp_path):
    # Arrange: summary.json's shape, a venue table per venue with nested agent tables
    result = _result(("drift", "curie"))
    result.scenario = {"name": "synthetic", "venues": [{"name": "drift"}, {"name": "curie"}]}
    result.summary = {
        "scenario": "synthetic", "seed": 1, "lp_apr_pct": 10.0, "bad_debt": {"bad_debt_usd": 0.0},
        "venues": {"drift": {"lp_apr_pct": 10.0, "agents": {"alice": {"nav_end_usd": 1.0}}},
                   "curie": {"lp_apr_pct": 7.5, "agents": {}}},
    }

    # Act
    page = build_report(write_run(result, tmp_path)).read_text()

    # Assert
    summary = page.split("<h2>Summary</h2>")[1].split("</section>")[0]
    assert "\">figure</th><th>drift</th><th>curie</th><th>unit</th>" in summary
    assert '">lp_apr_pct</td><td class="n">10.00</td><td class="n">7.50</td><td>%</td>' in summary
    assert "{" not in summary and "nav_end_usd" not in summary


def test_side_by_side_appears_only_with_several_venues(tmp_path):
    single = build_report(write_run(_result(), tmp_path / "one")).read_text()
    double = build_report(write_run(_result(("drift", "curie")), tmp_path / "two")).read_text()
    assert "<h2>Side by side</h2>" not in single
    assert "<h2>Side by side</h2>" in double


def test_report_survives_missing_columns(tmp_path):
    result = _result()
    result.timeseries = result.timeseries.select(["ts", "venue", "market"])
    result.agents = pa.table({})
    html = build_report(write_run(result, tmp_path)).read_text()
    assert "missing columns" in html


def test_csv_option_writes_csv_files(tmp_path):
    folder = write_run(_result(), tmp_path)
    build_report(folder, csv=True)
    for name in ("timeseries.csv", "agents.csv", "events.csv", "summary.csv", "providers.csv"):
        assert (folder / name).stat().st_size > 0


def test_escaped_text_hides_http_but_reads_the_same():
    assert "http" not in _esc("see HTTPS://x and http://y").lower()


@pytest.mark.parametrize(
    "name, unit", [("lp_apr_pct", "%"), ("pnl_usd", "USD"), ("duration_days", "days"), ("sharpe_ratio", "ratio")]
)
def test_unit_comes_from_the_name(name, unit):
    assert unit_of(name) == unit


# --- statistics on hand-made series -------------------------------------------------------


def test_max_drawdown_is_the_largest_fall_from_a_peak_in_pct():
    assert max_drawdown_pct([100, 120, 90, 130, 117]) == pytest.approx(25.0)


def test_max_drawdown_of_a_rising_series_is_zero():
    assert max_drawdown_pct([1, 2, 3]) == 0.0


def test_apr_is_simple_on_365_days():
    assert apr_pct(100.0, 101.0, 36.5) == pytest.approx(10.0)


def test_annualised_return_compounds_on_365_days():
    assert annualised_return_pct(100.0, 121.0, 730) == pytest.approx(10.0)


def test_volatility_annualises_daily_returns_with_sqrt_365():
    returns = [0.01, -0.01, 0.01, -0.01]
    stdev = math.sqrt(sum(r * r for r in returns) / 3)
    assert annualised_volatility_pct(returns) == pytest.approx(100 * stdev * math.sqrt(365))


def test_sharpe_is_mean_over_stdev_times_sqrt_365():
    returns = [0.02, 0.0, 0.01]
    assert sharpe_ratio(returns) == pytest.approx(0.01 / 0.01 * math.sqrt(365))


def test_daily_resample_keeps_the_last_value_of_each_day():
    ts = [T0, T0 + 3600, T0 + DAY + 5, T0 + 2 * DAY - 1, T0 + 3 * DAY]
    assert daily_resample(ts, [1, 2, 3, 4, 5]) == ([T0, T0 + DAY, T0 + 3 * DAY], [2.0, 4.0, 5.0])


def test_nav_stats_risk_ratios_use_the_daily_resample():
    hourly_ts = [T0 + 3600 * h for h in range(24 * 8)]  # 8 days: long enough to annualise
    nav = [100.0 + (h % 2) * 50 for h in range(len(hourly_ts))]  # noisy within days
    stats = nav_stats(hourly_ts, nav)
    daily = [100.0] + [150.0] * 8  # the start, then each day's last value
    expected = [b / a - 1 for a, b in zip(daily, daily[1:], strict=False)]
    assert stats["sharpe_ratio"] == pytest.approx(sharpe_ratio(expected))
    assert stats["max_drawdown_pct"] == pytest.approx(100 * 50 / 150)


def test_nav_stats_annualise_nothing_under_seven_days():
    ts = [T0 + DAY * d for d in range(7)]  # six days
    stats = nav_stats(ts, [100.0 + d for d in range(7)])
    assert stats["total_return_pct"] == pytest.approx(6.0)
    for name in ("apr_pct", "annualised_return_pct", "annualised_volatility_pct", "sharpe_ratio"):
        assert stats[name] is None, name


def test_pnl_decomposition_residual_closes_the_nav_change():
    agents = pa.table(
        {
            "ts": [0, DAY], "venue": ["d", "d"], "agent": ["a", "a"], "kind": ["bal_lp"] * 2,
            "nav_usd": [1000.0, 1010.0], "fees_usd": [0.0, 8.0], "funding_usd": [0.0, 3.0],
            "inventory_pnl_usd": [0.0, -2.0], "removal_fees_usd": [0.0, 0.5],
        }
    )
    (row,) = pnl_decomposition(agents)
    assert row.pnl_usd == pytest.approx(10.0)
    assert row.residual_usd == pytest.approx(10.0 - (8 + 3 - 2 - 0.5))
    assert sum(row.contributions().values()) == pytest.approx(10.0)


def test_report_draws_times_beyond_the_calendar(tmp_path):
    result = _result()
    far = [t + 10**13 for t in result.timeseries.column("ts").to_pylist()]
    result.timeseries = result.timeseries.set_column(0, "ts", pa.array(far))
    page = build_report(write_run(result, tmp_path)).read_text()
    assert "could not be drawn" not in page
    price = _charts(page)["price and mark"]
    assert price["x"] == {"type": "value", "name": "days from the start"}
    assert _series(price)["drift SOL-PERP oracle"]["x"][:2] == [0, pytest.approx(1 / 24)]


def test_a_chart_spec_naming_a_url_reads_back_unchanged_from_its_attribute():
    # Arrange: a series name from the user's scenario
    spec = {"kind": "lines", "panels": [{"series": [{"name": 'feed HTTPS://x "a" <b> & c', "x": [0], "y": [1.5]}]}]}

    # Act
    div = chart_div(spec, "prices from http://y")

    # Assert
    assert "http" not in div.lower()
    (attribute,) = re.findall(r'data-chart="([^"]*)"', div)
    assert json.loads(html.unescape(attribute)) == spec
