"""Runs side by side: `ballast runs` (listing), `ballast compare` (one page for several runs),
`ballast query` (DuckDB over run folders) and `ballast bench report`, on two one-day runs of the
same scenario with different seeds."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ballast.cli import app
from ballast.report import save_run
from ballast.report.compare import format_difference, format_value
from ballast.sim import Backtest, parse_scenario

pytest.importorskip("duckdb")

SCENARIO = {
    "name": "compare_day", "duration_days": 1,
    "markets": [{"name": "SOL-PERP", "oracle": {"kind": "gbm", "regimes": [{"vol_annual_pct": 150}]}}],
    "agents": [
        {"kind": "bal_provider", "name": "lp", "collateral_usd": 100_000, "amount_usd": 50_000},
        {"kind": "noise_taker", "name": "noise", "collateral_usd": 100_000, "arrivals_per_hour": 60},
    ],
}


@pytest.fixture(scope="module")
def runs_dir(tmp_path_factory) -> Path:
    """A folder with two complete runs (seeds 1 and 2), a folder that is not a run and an
    interrupted run (manifest listing a missing file)."""
    out = tmp_path_factory.mktemp("runs")
    scenario = parse_scenario(SCENARIO)
    for seed in (1, 2):
        save_run(Backtest(scenario, seed=seed, progress=False).run(), out)
    (out / "notes").mkdir()
    first = sorted(p for p in out.iterdir() if (p / "manifest.json").exists())[0]
    broken = out / "broken-run"
    shutil.copytree(first, broken)
    (broken / "events.parquet").unlink()
    return out


def _runs(runs_dir: Path) -> list[Path]:
    """The two complete runs, seed 1 first."""
    folders = [p for p in runs_dir.iterdir() if p.name not in ("notes", "broken-run")]
    return sorted(folders, key=lambda p: json.loads((p / "manifest.json").read_text())["seed"])


def _summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())


runner = CliRunner()


# --- ballast runs -------------------------------------------------------------------------------


def test_runs_lists_complete_runs_and_counts_the_skipped_folders(runs_dir):
    # Act
    result = runner.invoke(app, ["runs", str(runs_dir)], env={"COLUMNS": "200"})

    # Assert
    assert result.exit_code == 0, result.output
    first, second = _runs(runs_dir)
    assert first.name[:8] in result.output and second.name[:8] in result.output
    assert "compare_day" in result.output
    assert "2 folders skipped: not complete runs" in result.output


def test_runs_json_gives_ids_seeds_and_headline_figures(runs_dir):
    # Act
    result = runner.invoke(app, ["runs", str(runs_dir), "--json"])

    # Assert
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    first, second = _runs(runs_dir)
    assert [row["run_id"] for row in document["runs"]] == [first.name, second.name]  # same scenario: by date
    row = document["runs"][0]
    summary = _summary(first)
    assert row["short_id"] == first.name[:8]
    assert row["scenario"] == "compare_day"
    assert row["seed"] == 1
    assert row["duration_days"] == 1.0
    assert row["date"].endswith("Z")
    for name in ("lp_apr_pct", "lp_pnl_usd", "total_fees_usd", "liquidations", "insurance_fund_end_usd"):
        assert row[name] == summary.get(name)
    assert row["warnings"] == len(summary["warnings"])
    assert sorted(Path(p).name for p in document["skipped"]) == ["broken-run", "notes"]


def test_runs_of_a_missing_folder_exits_2(tmp_path):
    result = runner.invoke(app, ["runs", str(tmp_path / "nowhere")])

    assert result.exit_code == 2
    assert "nowhere" in result.output


# --- ballast compare ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compare_page(runs_dir, tmp_path_factory) -> str:
    first, second = _runs(runs_dir)
    out = tmp_path_factory.mktemp("compare") / "page.html"
    result = runner.invoke(app, ["compare", str(first), str(second), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.output
    return out.read_text(encoding="utf-8")


def _row_cells(page: str, figure: str) -> list[str]:
    """The text of the cells of the headline-figures row of `figure` (after its name)."""
    start = page.index(f"<tr><td>{figure}</td>")
    row = page[start:page.index("</tr>", start)]
    return [html.unescape(cell.split(">", 1)[1]) for cell in row.split("</td>")[1:-1]]


def test_compare_shows_each_figure_per_run_and_its_difference(runs_dir, compare_page):
    first, second = _runs(runs_dir)
    a, b = _summary(first), _summary(second)

    # USD to the cent, % to 2 places, counts whole; the difference is second - first
    for name in ("lp_pnl_usd", "total_fees_usd", "fee_pool_end_usd", "max_drawdown_pct", "liquidations", "steps"):
        assert _row_cells(compare_page, name)[:3] == [
            format_value(name, a[name]), format_value(name, b[name]), format_difference(name, a[name], b[name])]
    fees = _row_cells(compare_page, "total_fees_usd")
    assert fees == [f"{a['total_fees_usd']:,.2f}", f"{b['total_fees_usd']:,.2f}",
                    f"{b['total_fees_usd'] - a['total_fees_usd']:+,.2f}", "USD"]
    lp_pnl = _row_cells(compare_page, "lp_pnl_usd")
    assert lp_pnl[0] == f"{a['lp_pnl_usd']:,.2f}"
    assert lp_pnl[1] == f"{b['lp_pnl_usd']:,.2f}"
    assert lp_pnl[2] == f"{b['lp_pnl_usd'] - a['lp_pnl_usd']:+,.2f}"
    assert lp_pnl[3] == "USD"
    drawdown = _row_cells(compare_page, "max_drawdown_pct")
    assert drawdown == [f"{a['max_drawdown_pct']:,.2f}", f"{b['max_drawdown_pct']:,.2f}",
                        f"{b['max_drawdown_pct'] - a['max_drawdown_pct']:+,.2f}", "%"]
    assert _row_cells(compare_page, "seed") == ["1", "2", "+1", ""]
    assert _row_cells(compare_page, "scenario") == ["compare_day", "compare_day", "same", ""]
    assert _row_cells(compare_page, "warnings_count")[:3] == [
        str(len(a["warnings"])), str(len(b["warnings"])), f"{len(b['warnings']) - len(a['warnings']):+,}"]
    assert f"difference {second.name[:8]} - {first.name[:8]}" in compare_page


def test_compare_figures_are_every_top_level_scalar(runs_dir, compare_page):
    summary = _summary(_runs(runs_dir)[0])
    for name, value in summary.items():
        shown = f"<tr><td>{name}</td>" in compare_page
        assert shown == (value is None or isinstance(value, (bool, int, float, str))), name


def test_compare_overlays_the_charts_labelled_by_run(runs_dir, compare_page):
    first, second = _runs(runs_dir)
    assert compare_page.count('<div class="chart"') == 2
    assert 'aria-label="price and mark, every run"' in compare_page
    assert 'aria-label="provider NAV, every run"' in compare_page
    specs = [json.loads(html.unescape(part.split('"', 1)[0])) for part in compare_page.split('data-chart="')[1:]]
    price, nav = specs
    names = [s["name"] for panel in price["panels"] for s in panel["series"]]
    assert names == [f"{first.name[:8]} oracle", f"{first.name[:8]} mark",
                     f"{second.name[:8]} oracle", f"{second.name[:8]} mark"]
    nav_names = [s["name"] for s in nav["panels"][0]["series"]]
    assert nav_names == [f"{first.name[:8]} drift lp", f"{second.name[:8]} drift lp"]
    assert compare_page.count("<script>") == 2  # ECharts and the drawing script, once each


def test_compare_refuses_an_incomplete_run(runs_dir, tmp_path):
    first, _ = _runs(runs_dir)
    out = tmp_path / "c.html"

    result = runner.invoke(app, ["compare", str(first), str(runs_dir / "broken-run"), "--out", str(out)])

    assert result.exit_code == 2
    assert "broken-run is not a complete run folder" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_compare_refuses_a_folder_that_is_no_run(runs_dir, tmp_path):
    first, _ = _runs(runs_dir)

    result = runner.invoke(app, ["compare", str(first), str(runs_dir / "notes"), "--out", str(tmp_path / "c.html")])

    assert result.exit_code == 2
    assert "notes is not a complete run folder" in result.output


def test_compare_refuses_fewer_than_two_runs(runs_dir, tmp_path):
    first, _ = _runs(runs_dir)

    result = runner.invoke(app, ["compare", str(first), "--out", str(tmp_path / "c.html")])

    assert result.exit_code == 2
    assert "at least 2 runs" in result.output


def test_compare_writes_compare_html_in_the_working_folder_by_default(runs_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first, second = _runs(runs_dir)

    result = runner.invoke(app, ["compare", str(first), str(second)])

    assert result.exit_code == 0, result.output
    assert (tmp_path / "compare.html").is_file()


def test_format_value_rounds_usd_to_cents_and_pct_to_two_places():
    assert format_value("pnl_usd", 1234.5678) == "1,234.57"
    assert format_value("apr_pct", 15.866668) == "15.87"
    assert format_value("liquidations", 12) == "12"
    assert format_value("lp_apr_pct", None) == "n/a"
    assert format_difference("pnl_usd", 10.0, 7.5) == "-2.50"
    assert format_difference("steps", 10, 12) == "+2"
    assert format_difference("pnl_usd", None, 7.5) == "n/a"


# --- ballast query ------------------------------------------------------------------------------


def test_query_one_run(runs_dir):
    first, _ = _runs(runs_dir)

    result = runner.invoke(app, ["query", str(first), "SELECT count(*) AS n FROM timeseries", "--csv"])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ['"n"', str(_summary(first)["steps"] + 1)]


def test_query_one_run_sees_every_table(runs_dir):
    first, _ = _runs(runs_dir)
    sql = "SELECT (SELECT count(*) FROM agents) > 0 AS a, (SELECT count(*) FROM events) > 0 AS e"

    result = runner.invoke(app, ["query", str(first), sql, "--csv"])

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1] == "true,true"


def test_query_a_folder_of_runs_adds_run_id_and_skips_incomplete_runs(runs_dir):
    first, second = _runs(runs_dir)
    sql = "SELECT run_id, count(*) AS n FROM timeseries GROUP BY run_id ORDER BY run_id"

    result = runner.invoke(app, ["query", str(runs_dir), sql, "--csv"])

    assert result.exit_code == 0, result.output
    expected = sorted([(first.name, _summary(first)["steps"] + 1), (second.name, _summary(second)["steps"] + 1)])
    assert result.stdout.splitlines()[1:] == [f'"{run_id}",{n}' for run_id, n in expected]


def test_query_prints_a_table_by_default(runs_dir):
    result = runner.invoke(app, ["query", str(runs_dir), "SELECT DISTINCT run_id FROM agents"])

    assert result.exit_code == 0, result.output
    assert "2 rows" in result.output


def test_query_bad_sql_exits_2_with_duckdb_s_message(runs_dir):
    first, _ = _runs(runs_dir)

    result = runner.invoke(app, ["query", str(first), "SELECT nope FROM timeseries"])

    assert result.exit_code == 2
    assert "query failed" in result.output
    assert "nope" in result.output  # DuckDB's binder error names the column
    assert "Traceback" not in result.output


def test_query_an_incomplete_run_exits_2(runs_dir):
    result = runner.invoke(app, ["query", str(runs_dir / "broken-run"), "SELECT 1"])

    assert result.exit_code == 2
    assert "not a complete run folder" in result.output


# --- ballast bench report -----------------------------------------------------------------------


def test_bench_report_times_an_existing_run_folder(runs_dir, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(_runs(runs_dir)[0], folder)

    result = runner.invoke(app, ["bench", "report", "--run-dir", str(folder), "--runs", "1", "--json"])

    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["command"] == "bench report"
    assert document["parameters"] == {"scenario": None, "run_dir": str(folder), "runs": 1}
    assert "cpu_model" in document["machine"]
    (row,) = document["rows"]
    assert row["run_id"] == json.loads((folder / "manifest.json").read_text())["run_id"]
    assert row["runs"] == 1
    assert 0 < row["best_wall_seconds"] == row["median_wall_seconds"]
    assert 0 < row["best_cpu_seconds"]
    assert row["report_bytes"] == (folder / "report.html").stat().st_size
    assert row["timeseries_rows"] == _summary(folder)["steps"] + 1
