"""The `ballast` command: version, demo, and a tiny benchmark run."""

from typer.testing import CliRunner

from ballast import __version__, cli
from ballast.cli import app
from ballast.engine import EngineStatus, engine_status

runner = CliRunner()


def test_version_prints_the_package_version_and_the_engine_build():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"ballast {__version__} (Drift engine {engine_status().describe()})"


def test_a_stale_compiled_engine_is_warned_about(monkeypatch):
    monkeypatch.setattr(cli, "engine_status", lambda: EngineStatus(True, ("ballast/fixed.py",)))
    result = runner.invoke(app, ["bench", "fills", "--users", "2", "--fills", "5", "--runs", "1"])
    assert result.exit_code == 0
    assert "STALE: ballast/fixed.py" in result.stderr
    assert "make build" in result.stderr


def test_demo_runs_and_ends_balanced():
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.stdout
    assert "balanced=True" in result.stdout


def test_bench_fills_reports_a_row_per_user_count():
    result = runner.invoke(app, ["bench", "fills", "--users", "2,3", "--fills", "50", "--runs", "1"])
    assert result.exit_code == 0, result.stdout
    first_cells = [line.split("│")[1].strip() for line in result.stdout.splitlines() if line.count("│") >= 4]
    assert first_cells == ["2", "3"]


def test_bench_rejects_malformed_user_counts():
    result = runner.invoke(app, ["bench", "fills", "--users", "ten"])
    assert result.exit_code != 0
    assert "ten" in result.output


def _rows(stdout: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in stdout.splitlines()
        if line.count("│") >= 4
    ]


def test_bench_fills_reports_a_row_per_provider_count():
    result = runner.invoke(app, ["bench", "fills", "--lps", "1,2", "--fills", "50", "--runs", "1"])
    assert result.exit_code == 0, result.stdout
    assert [(row[0], row[1]) for row in _rows(result.stdout)] == [("10", "1"), ("10", "2")]


def test_bench_fills_runs_every_user_and_provider_combination():
    result = runner.invoke(
        app, ["bench", "fills", "--users", "2,3", "--lps", "1", "--fills", "20", "--runs", "1"]
    )
    assert result.exit_code == 0, result.stdout
    assert [(row[0], row[1]) for row in _rows(result.stdout)] == [("2", "1"), ("3", "1")]


def test_bench_fills_result_names_its_provider_count():
    from ballast.bench import bench_fills

    result = bench_fills(2, 20, lps=3)
    assert (result.lps, result.fills) == (3, 20)


def test_bench_curie_reports_each_layer_and_crossing_count():
    result = runner.invoke(app, ["bench", "curie", "--swaps", "20", "--positions", "4", "--runs", "1"])
    assert result.exit_code == 0, result.stdout
    assert [(row[0], row[1]) for row in _rows(result.stdout)] == [
        ("pool", "0"), ("pool", "1"), ("pool", "10"),
        ("clearing_house", "0"), ("clearing_house", "1"), ("clearing_house", "10"),
    ]
    assert "machine:" in result.stdout


def test_bench_curie_ranges_reports_each_count_and_max_over_min():
    result = runner.invoke(app, ["bench", "curie", "--ranges", "4,12", "--positions", "4", "--runs", "1"])
    assert result.exit_code == 0, result.stdout
    assert [row[0] for row in _rows(result.stdout)] == ["4", "12"]
    assert "max/min across 4,12 ranges" in result.stdout


def test_bench_backtest_reports_engine_events_per_second(tmp_path):
    import tomli_w

    scenario = {
        "name": "tiny",
        "seed": 3,
        "duration_days": 0.05,
        "step_seconds": 60,
        "markets": [{"name": "SOL-PERP", "oracle": {"kind": "gbm", "start_price_usd": 100.0}}],
        "agents": [{"kind": "noise_taker", "name": "noise", "collateral_usd": 100_000}],
    }
    path = tmp_path / "tiny.toml"
    path.write_text(tomli_w.dumps(scenario))
    result = runner.invoke(app, ["bench", "backtest", str(path)])
    assert result.exit_code == 0, result.output
    assert "events/s" in result.output
    assert "72" in result.output  # 0.05 days of 60 s steps


def test_backtest_command_writes_a_run_folder_and_names_bad_keys(tmp_path):
    import tomli_w

    good = {
        "name": "tiny",
        "seed": 3,
        "duration_days": 0.02,
        "step_seconds": 60,
        "markets": [{"name": "SOL-PERP", "oracle": {"kind": "gbm", "start_price_usd": 100.0}}],
        "agents": [{"kind": "noise_taker", "name": "noise", "collateral_usd": 100_000}],
    }
    path = tmp_path / "good.toml"
    path.write_text(tomli_w.dumps(good))
    result = runner.invoke(app, ["backtest", str(path), "--out", str(tmp_path / "runs"), "--check"])
    assert result.exit_code == 0, result.output
    reports = list((tmp_path / "runs").glob("*/report.html"))
    assert len(reports) == 1

    bad = dict(good, stepseconds=60)
    bad_path = tmp_path / "bad.toml"
    bad_path.write_text(tomli_w.dumps(bad))
    result = runner.invoke(app, ["backtest", str(bad_path)])
    assert result.exit_code == 2
    assert "stepseconds" in result.output


# --- failing well: one line naming the problem, a non-zero exit code, no traceback ---------------
# the list, case by case: report on a folder that is not a run, Ctrl-C, a 1e30 price in a
# CSV, collateral_usd = 1e30, maintenance above initial margin, --out at a file, --seed -1 on the
# command line as in TOML, CSV columns by header name (an OHLC file), millisecond timestamps


def _scenario_file(tmp_path, oracle_csv: str | None = None, collateral: str = "10000", extra: str = "",
                   days: float = 0.001):
    market = ""
    if oracle_csv is not None:
        (tmp_path / "p.csv").write_text(oracle_csv)
        market = '[[markets]]\nname = "SOL-PERP"\n[markets.oracle]\nkind = "csv"\npath = "p.csv"\n'
    path = tmp_path / "s.toml"
    path.write_text(f'{extra}duration_days = {days}\n{market}[[agents]]\nkind = "noise_taker"\nname = "n"\n'
                    f"collateral_usd = {collateral}\n")
    return path


def _fails_well(result, *needles: str, code: int = 2) -> str:
    """The one line the command printed, after checking the exit code, that it is one line
    with no traceback, and that it holds every needle."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


def _runs(tmp_path):
    return str(tmp_path / "runs")


def test_report_refuses_a_folder_that_is_not_a_complete_run(tmp_path):
    _fails_well(runner.invoke(app, ["report", str(tmp_path)]), str(tmp_path), "not a complete run folder")
    assert not (tmp_path / "report.html").exists()


def test_report_of_a_missing_folder_names_it(tmp_path):
    _fails_well(runner.invoke(app, ["report", str(tmp_path / "nope")]), "no run folder at", "nope")


def test_report_refuses_a_run_folder_with_a_file_missing(tmp_path):
    result = runner.invoke(app, ["backtest", str(_scenario_file(tmp_path)), "--out", _runs(tmp_path)])
    assert result.exit_code == 0, result.output
    [folder] = list((tmp_path / "runs").iterdir())
    (folder / "events.parquet").unlink()
    _fails_well(runner.invoke(app, ["report", str(folder)]), "events.parquet is missing")


def test_ctrl_c_while_writing_the_run_folder_leaves_nothing(tmp_path, monkeypatch):
    from ballast.report import html

    def interrupted(run):
        raise KeyboardInterrupt

    monkeypatch.setattr(html, "render_report", interrupted)
    result = runner.invoke(app, ["backtest", str(_scenario_file(tmp_path)), "--out", _runs(tmp_path)])
    _fails_well(result, "interrupted (Ctrl-C): no run folder was written", code=130)
    assert list((tmp_path / "runs").iterdir()) == []  # not even the hidden .partial folder


def test_ctrl_c_during_the_simulation_exits_at_once_with_one_line(tmp_path):
    # a real SIGINT to a real process: it must be handled outside the compiled engine, whose
    # runtime would otherwise abort with "fatal: out of memory"
    import os
    import signal
    import subprocess
    import sys
    import time

    scenario = _scenario_file(tmp_path, days=20)
    ballast = os.path.join(os.path.dirname(sys.executable), "ballast")
    process = subprocess.Popen([ballast, "backtest", str(scenario), "--out", _runs(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / "runs").exists() and time.monotonic() < deadline:  # made before the simulation
        time.sleep(0.05)
    time.sleep(1.0)  # well inside the simulation (20 days take far longer)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, (out, err)
    assert err.strip() == "error: interrupted (Ctrl-C): no run folder was written"
    assert list((tmp_path / "runs").iterdir()) == []


def test_backtest_with_an_absurd_csv_price_names_the_row_and_the_value(tmp_path):
    scenario = _scenario_file(tmp_path, "timestamp,price\n1700000000,1e30\n1700000060,1e30\n")
    _fails_well(runner.invoke(app, ["backtest", str(scenario), "--out", _runs(tmp_path)]),
                "p.csv row 2", "price 1e30", "above 1,000,000,000 dollars")


def test_backtest_with_absurd_collateral_names_the_key_and_the_value(tmp_path):
    scenario = _scenario_file(tmp_path, collateral="1e30")
    _fails_well(runner.invoke(app, ["backtest", str(scenario), "--out", _runs(tmp_path)]),
                "collateral_usd = 1e+30", "less than or equal to")


def test_backtest_with_maintenance_above_initial_margin_names_both(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text('duration_days = 0.001\n[[markets]]\nname = "SOL-PERP"\nmargin_ratio_initial = 500\n'
                    'margin_ratio_maintenance = 1000\n[markets.oracle]\nkind = "gbm"\n'
                    '[[agents]]\nkind = "noise_taker"\nname = "n"\n')
    _fails_well(runner.invoke(app, ["backtest", str(path), "--out", _runs(tmp_path)]),
                "margin_ratio_maintenance 1000 must be below margin_ratio_initial 500")


def test_backtest_with_out_pointing_at_a_file_fails_before_running(tmp_path):
    (tmp_path / "afile").write_text("")
    _fails_well(runner.invoke(app, ["backtest", str(_scenario_file(tmp_path)), "--out", str(tmp_path / "afile")]),
                "cannot write run folders under", "afile")


def test_a_negative_seed_is_refused_alike_on_the_command_line_and_in_toml(tmp_path):
    cli_line = _fails_well(runner.invoke(app, ["backtest", str(_scenario_file(tmp_path)), "--seed", "-1",
                                               "--out", _runs(tmp_path)]), "--seed -1")
    toml_line = _fails_well(runner.invoke(app, ["backtest", str(_scenario_file(tmp_path, extra="seed = -1\n")),
                                                "--out", _runs(tmp_path)]), "seed = -1")
    reason = "Input should be greater than or equal to 0"
    assert reason in cli_line and reason in toml_line
    assert not (tmp_path / "runs").exists() or list((tmp_path / "runs").iterdir()) == []


def test_an_ohlc_csv_is_read_by_its_header_names_using_close(tmp_path):
    from ballast.store import load_run

    scenario = _scenario_file(tmp_path, "time,open,high,low,close\n1700000000,100,102,99,101\n"
                                        "1700000060,101,103,100,102\n")
    result = runner.invoke(app, ["backtest", str(scenario), "--out", _runs(tmp_path)])
    assert result.exit_code == 0, result.output
    [folder] = list((tmp_path / "runs").iterdir())
    assert load_run(folder).timeseries.column("oracle_price_usd").to_pylist()[0] == 101.0  # close, not open


def test_a_csv_without_a_price_column_names_its_header(tmp_path):
    scenario = _scenario_file(tmp_path, "time,value\n1700000000,100\n1700000060,101\n")
    _fails_well(runner.invoke(app, ["backtest", str(scenario), "--out", _runs(tmp_path)]),
                "header ['time', 'value']", "no price column (named one of price, close)")


def test_backtest_with_millisecond_timestamps_says_so(tmp_path):
    scenario = _scenario_file(tmp_path, "timestamp,price\n1700000000000,100\n1700000060000,101\n")
    _fails_well(runner.invoke(app, ["backtest", str(scenario), "--out", _runs(tmp_path)]),
                "timestamp 1700000000000 looks like milliseconds")


def test_backtest_terminal_summarises_every_venue(tmp_path):
    path = tmp_path / "two.toml"
    path.write_text('duration_days = 0.01\n[[venues]]\nname = "slice-80"\n[[venues]]\nname = "slice-50"\n'
                    '[venues.market_overrides.SOL-PERP]\nlp_fee_slice = [5, 10]\n'
                    '[[agents]]\nkind = "noise_taker"\nname = "n"\n')
    result = runner.invoke(app, ["backtest", str(path), "--out", str(tmp_path / "runs")], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    header = next(line for line in result.output.splitlines() if "statistic" in line)
    assert "slice-80" in header and "slice-50" in header
