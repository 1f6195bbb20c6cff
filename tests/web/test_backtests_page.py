"""The Backtests page in a real browser: run folders made here (two tiny backtests saved with
their reports into a temporary BALLAST_RUNS_DIR) and a sweep folder are listed with their
figures, a report opens, only reports inside the roots are served, and two runs compare side by
side."""

from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import Page, expect

from ballast.report import save_run
from ballast.sim import Backtest, parse_scenario
from ballast.store.sweep_folder import SweepFolder
from ballast.web.pages.backtests import HEADLINE, figure

TINY = {"name": "tiny_day", "description": "One quiet day of SOL-PERP BAL for the page tests", "duration_days": 1,
        "agents": [{"kind": "bal_provider", "name": "lp", "collateral_usd": 100_000, "amount_usd": 50_000},
                   {"kind": "noise_taker", "name": "noise", "collateral_usd": 100_000, "arrivals_per_hour": 20}]}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A runs folder with two runs (seeds 3 and 4) and a sweeps folder with one sweep."""
    root = tmp_path_factory.mktemp("backtests")
    runs = []
    for seed in (3, 4):
        result = Backtest(parse_scenario(TINY), seed=seed, progress=False).run()
        runs.append(save_run(result, root / "runs").parent)
    (root / "runs" / "not-a-run").mkdir()
    sweep = SweepFolder(root / "sweeps" / "mini")
    sweep.prepare({"name": "mini", "description": "seeds of the tiny day", "axes": [{"key": "seed", "values": [3, 4]}]},
                  [run.name for run in runs])
    sweep.append([{"run_id": runs[0].name, "status": "ok"}], [])
    return root, runs


@pytest.fixture
def roots(folders, monkeypatch):
    root, runs = folders
    monkeypatch.setenv("BALLAST_RUNS_DIR", str(root / "runs"))
    monkeypatch.setenv("BALLAST_SWEEPS_DIR", str(root / "sweeps"))
    return root, runs


def _cell(page: Page, run: str, testid: str) -> str:
    return page.locator(f"[data-run='{run}'] [data-testid='{testid}']").inner_text().strip()


def test_runs_and_sweeps_are_listed_with_their_figures_and_reports(site, page, shots, roots):
    root, runs = roots
    page.goto(f"{site.url}/backtests")
    expect(page.get_by_test_id("run-row")).to_have_count(2)
    for run in runs:
        summary = json.loads((run / "summary.json").read_text())
        assert _cell(page, run.name, "run-seed") == str(summary["seed"])
        for key, _title in HEADLINE:
            assert _cell(page, run.name, f"run-{key}") == figure(key, summary.get(key))
    expect(page.get_by_text("1 folder skipped")).to_be_visible()
    sweep = page.locator("[data-sweep='mini']")
    expect(sweep).to_contain_text("seeds of the tiny day")
    expect(sweep.locator("td").nth(2)).to_have_text("2")  # points
    expect(sweep.locator("td").nth(3)).to_have_text("1")  # finished
    shots(page, "listed")

    # a run's report opens
    page.get_by_role("link", name=f"Report of tiny_day {runs[0].name}").click()
    expect(page).to_have_url(f"{site.url}/backtests/files/runs/{runs[0].name}/report.html")
    assert "tiny_day" in page.content()
    shots(page, "report")

    # only report.html files inside the roots are served
    (root / "secret.html").write_text("not for you")
    with httpx.Client(base_url=site.url, follow_redirects=True) as http:
        assert http.get(f"/backtests/files/runs/{runs[0].name}/report.html").status_code == 200
        for path in (f"/backtests/files/runs/{runs[0].name}/summary.json", "/backtests/files/runs/..%2Fsecret.html",
                     "/backtests/files/runs/%2E%2E/%2E%2E/etc/passwd", "/backtests/files/elsewhere/report.html",
                     "/backtests/files/runs/%2Fetc%2Fpasswd", "/backtests/files/sweeps/mini/../../secret.html",
                     "/backtests/files/runs/nothing/report.html"):
            answer = http.get(path)
            assert answer.status_code == 404, path
            assert "not for you" not in answer.text and "root:" not in answer.text


def test_two_runs_compare_side_by_side(site, page, shots, roots):
    _root, runs = roots
    page.goto(f"{site.url}/backtests")

    # one run is not a comparison: the message next to the choices
    page.locator(f"#run-{runs[0].name}").check()
    page.get_by_role("button", name="Compare selected").click()
    expect(page.locator("[data-error-for=run]")).to_have_text("select two or more runs to compare")
    expect(page.get_by_test_id("comparison")).to_have_count(0)
    shots(page, "one-run-refused")

    page.locator(f"#run-{runs[1].name}").check()
    page.get_by_role("button", name="Compare selected").click()
    expect(page.get_by_test_id("comparison")).to_be_visible()
    expect(page.get_by_test_id("compare-run")).to_have_count(2)
    columns = [th.get_attribute("data-run") for th in page.get_by_test_id("compare-run").all()]
    assert sorted(columns) == sorted(run.name for run in runs)
    summaries = [json.loads((runs[0].parent / column / "summary.json").read_text()) for column in columns]
    names = sorted({k for s in summaries for k, v in s.items() if isinstance(v, int | float) and not isinstance(v, bool)})
    rows = page.get_by_test_id("compare-row")
    expect(rows).to_have_count(len(names))
    for i, name in enumerate(names):
        row = rows.nth(i)
        assert row.get_attribute("data-figure") == name
        cells = row.locator("td").all_inner_texts()
        assert cells == [figure(name, s.get(name)) for s in summaries], name
    assert "seed" in names and "total_fees_usd" in names
    shots(page, "compared")

    # an unknown run id says so
    page.goto(f"{site.url}/backtests/compare?run={runs[0].name}&run=ffffffffffffffff")
    expect(page.locator("[data-error-for=run]")).to_contain_text("no run folder ffffffffffffffff")
