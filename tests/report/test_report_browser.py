"""The reports in a real browser: a one-day run's report.html (and a small sweep's) opened from
disk in headless Chromium (the Debian package, driven by Playwright) at 1400 px wide. Every
chart is drawn by the inlined ECharts, hovering shows values, the legend toggles series, the
page fits the window and asks for nothing over the network. Screenshots go to
test-output/report/ (BALLAST_TEST_OUTPUT overrides the folder)."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pytest

from ballast.report import save_run
from ballast.report.sweep import build_sweep_report
from ballast.sim import Backtest, parse_scenario
from tests.report.test_sweep_report import _folder, _fund, _row, _spec

OUTPUT = Path(os.environ.get("BALLAST_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output")) / "report"
WIDTH = 1400
DRAWN = """() => [...document.querySelectorAll('div.chart')].every(el => echarts.getInstanceByDom(el))"""


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    scenario = parse_scenario({
        "name": "browser_day", "duration_days": 1,
        "markets": [{"name": "SOL-PERP", "oracle": {"kind": "gbm", "regimes": [{"vol_annual_pct": 150}]}}],
        "agents": [
            {"kind": "bal_provider", "name": "lp", "collateral_usd": 100_000, "amount_usd": 50_000},
            {"kind": "bal_provider", "name": "lp-late", "collateral_usd": 100_000, "amount_usd": 50_000,
             "enter_at_day": 0.5},
            {"kind": "noise_taker", "name": "noise", "collateral_usd": 100_000, "arrivals_per_hour": 60},
        ],
    })
    return save_run(Backtest(scenario, progress=False).run(), tmp_path_factory.mktemp("runs"))


def _open(browser, path: Path):
    """(context, page, the URLs it requested, its script errors) once the page's charts are drawn."""
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    page.wait_for_function(DRAWN)
    return context, page, requests, errors


@pytest.fixture(scope="module")
def opened(browser, report):
    """(page, the URLs it requested, its script errors) of the run report, its charts drawn."""
    context, page, requests, errors = _open(browser, report)
    yield page, requests, errors
    context.close()


def _charts(page) -> dict[str, object]:
    return {el.get_attribute("aria-label"): el for el in page.query_selector_all("div.chart")}


def _hover(page, chart, dy: float = 120) -> str:
    """Move the mouse into the chart's first panel; the text of its visible tooltip."""
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + dy)
    tip = chart.wait_for_selector(".ballast-tip", state="visible")
    return tip.inner_text()


def test_every_chart_is_drawn_by_echarts(opened, report):
    page, _requests, errors = opened

    charts = _charts(page)

    assert set(charts) >= {"price and mark", "de-risk and liquidation prices", "provider NAV and drawdown",
                           "PnL decomposition", "BAL performance", "funding rates", "pools and insurance fund"}
    for label, chart in charts.items():
        assert chart.query_selector("canvas") is not None, label
        size = chart.evaluate("el => { const c = echarts.getInstanceByDom(el); return [c.getWidth(), c.getHeight()]; }")
        assert size[0] > 600 and size[1] > 200, label
    assert errors == []
    assert "Chart error" not in page.inner_text("body")


def test_hovering_a_chart_shows_the_values_there(opened):
    page, _requests, _errors = opened
    charts = _charts(page)

    price = _hover(page, charts["price and mark"])
    nav = _hover(page, charts["provider NAV and drawdown"])
    bars = _hover(page, charts["PnL decomposition"], dy=200)

    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", price)
    assert re.search(r"oracle: [\d,]+\.\d+", price) and re.search(r"mark: [\d,]+\.\d+", price)
    assert re.search(r"bid/ask: [\d,.]+ to [\d,.]+", price)
    assert re.search(r"drift lp: [\d,]+", nav) and "drawdown (% of peak)" in nav
    assert re.search(r"fees\s+[-\d,.]+", bars)


def test_the_risk_chart_shows_the_prices_beside_the_oracle_on_a_log_axis(opened):
    page, _requests, _errors = opened
    chart = _charts(page)["de-risk and liquidation prices"]

    axis = chart.evaluate("el => echarts.getInstanceByDom(el).getOption().yAxis[0].type")
    tip = _hover(page, chart)

    assert axis == "log"
    assert re.search(r"oracle: [\d,]+\.\d+", tip) and re.search(r"liquidation above: [\d,]+\.\d+", tip)


def test_clicking_a_legend_entry_toggles_its_series(opened):
    page, _requests, _errors = opened
    chart = _charts(page)["price and mark"]
    chart.scroll_into_view_if_needed()
    # where ECharts drew the legend's "oracle" label (zrender's display list, in chart pixels)
    where = chart.evaluate("""el => {
        const boxes = echarts.getInstanceByDom(el).getZr().storage.getDisplayList()
            .filter(e => e.style && e.style.text === 'oracle')
            .map(e => { const r = e.getBoundingRect().clone(); r.applyTransform(e.getComputedTransform()); return r; });
        const r = boxes.sort((a, b) => a.y - b.y)[0];  // the legend is above the panels
        return [r.x + r.width / 2, r.y + r.height / 2];
    }""")
    box = chart.bounding_box()
    selected = "el => echarts.getInstanceByDom(el).getOption().legend[0].selected"

    page.mouse.click(box["x"] + where[0], box["y"] + where[1])
    hidden = chart.evaluate(selected)
    tip = _hover(page, chart)
    page.mouse.click(box["x"] + where[0], box["y"] + where[1])
    shown = chart.evaluate(selected)

    assert hidden["oracle"] is False and hidden["mark"] is True
    assert "oracle:" not in tip and "mark:" in tip
    assert shown["oracle"] is True


def test_the_page_fits_the_window_and_loads_nothing(opened, report):
    page, requests, _errors = opened

    width = page.evaluate("document.scrollingElement.scrollWidth")
    resources = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(OUTPUT / "run-report.png"), full_page=True)

    assert width <= WIDTH
    assert requests == [report.as_uri()]
    assert resources == []


def test_the_sweep_report_draws_its_histograms_heatmap_curve_and_paths(browser, tmp_path):
    # Arrange: two grid axes (a heatmap), an entry-day axis (the curve), fund series (the paths)
    axes = [("agents.lp.enter_at_day", [1, 2, 5]), ("agents.noise.arrivals_per_hour", [10, 20])]
    rows = [_row(i, {axes[0][0]: (1, 2, 5)[i % 3], axes[1][0]: 10 * (1 + i // 3 % 2)},
                 **{"agent.lp.return_pct": math.sin(i) * 3 + i / 10, "bad_debt_usd": float(i % 3) * 100,
                    "insurance_fund_min_usd": 1000.0 - 37 * i})
            for i in range(24)]
    series = [_fund(r["run_id"], [1000 - 3 * j * (i % 5) for j in range(48)]) for i, r in enumerate(rows)]
    keep = {"n": 2, "metric": "agent.lp.return_pct", "lowest": True}
    report = build_sweep_report(_folder(tmp_path, _spec(axes=axes, seeds=4, keep_worst=keep), rows, series))

    # Act
    context, page, requests, errors = _open(browser, report)
    try:
        charts = _charts(page)
        drawn = {label: chart.query_selector("canvas") is not None for label, chart in charts.items()}
        heatmap = next(chart for label, chart in charts.items() if label.startswith("mean "))
        heatmap.scroll_into_view_if_needed()
        box = heatmap.bounding_box()
        page.mouse.move(box["x"] + 110 + (box["width"] - 260) / 4, box["y"] + box["height"] / 2)
        tip = heatmap.wait_for_selector(".ballast-tip", state="visible").inner_text()
        paths = _hover(page, charts["insurance fund paths"])
        width = page.evaluate("document.scrollingElement.scrollWidth")
        OUTPUT.mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(OUTPUT / "sweep-report.png"), full_page=True)
    finally:
        context.close()

    # Assert
    assert {"return by entry day", "insurance fund paths", "distribution of agent.lp.return_pct"} <= set(drawn)
    assert all(drawn.values())
    assert errors == [] and width <= WIDTH and requests == [report.as_uri()]
    assert re.search(r"enter_at_day = \d+\narrivals_per_hour = \d+\nagent.lp.return_pct \(%\): -?[\d.]+", tip)
    assert re.search(r"median: [\d,.]+", paths) and re.search(r"p5 to p95: [\d,.]+ to [\d,.]+", paths)
