"""Replaying a drift-sim events.csv into a run folder; malformed files name the bad row."""

import json

import pytest
from typer.testing import CliRunner

from ballast.cli import app
from ballast.replay import ReplayError, read_events, read_oracle, replay
from ballast.store import load_run

HEADER = "event_name,timestamp,parameters\n"


def _row(name: str, ts, **params) -> str:
    text = json.dumps(params).replace('"', '""')
    return f'{name},{ts},"{text}"\n'


EVENTS = (
    HEADER
    + _row("deposit_collateral", 0, deposit_amount=100_000_000_000, user_index=0, username="LP")
    + _row("deposit_collateral", 1, deposit_amount=10_000_000_000, user_index=1, username="openclose")
    + _row("oracle_price", 10, conf=0, market_index=0, price=62.85716, slot=0)
    + _row("add_liquidity", 10, market_index=0, token_amount=1_000_000_000_000, user_index=0)
    + _row("oracle_price", 3600, conf=0, market_index=0, price=63.1, slot=0)
    + _row("open_position", 3600.0, direction="long", market_index=0, quote_amount=5_000_000_000, user_index=1)
    + _row("settle_lp", 7200, market_index=0, user_index=0)
    + _row("oracle_price", 90000, conf=0, market_index=0, price=61.0, slot=0)
    + _row("settle_pnl", 90000, market_index=0, user_index=1)
    + _row("mid_sim_deposit", 90001, deposit_amount=1_000_000, user_index=1, spot_market_index=0, reduce_only=False)
    + _row("close_position", 90002, market_index=0, user_index=1)
    + _row("remove_liquidity", 200000, lp_token_amount=-1, market_index=0, user_index=0)
    + _row("null", 200001)
)


@pytest.fixture()
def events_csv(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(EVENTS)
    return path


@pytest.fixture(scope="module")
def replayed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("replay")
    path = folder / "events.csv"
    path.write_text(EVENTS)
    return load_run(replay(path, out_dir=folder / "runs"))


def test_replay_writes_a_run_folder_with_a_report(replayed):
    names = {p.name for p in replayed.run_dir.iterdir()}
    assert {"manifest.json", "events.parquet", "timeseries.parquet", "summary.json", "report.html"} <= names


def test_replay_executes_every_row_without_failures(replayed):
    assert replayed.summary["rows_count"] == 13
    assert replayed.summary["failed_events_count"] == 0


def test_replay_records_the_engine_events(replayed):
    types = set(replayed.events.column("type").to_pylist())
    assert {"NewUserRecord", "DepositRecord", "LPRecord", "OrderActionRecord", "SettlePnlRecord"} <= types
    actions = [r["action"] for r in replayed.event_records("LPRecord")]
    assert actions[0] == "AddLiquidity" and "RemoveLiquidity" in actions


def test_replay_samples_prices_at_the_oracle_readings(replayed):
    prices = replayed.timeseries.column("oracle_price_usd").to_pylist()
    assert 62.85716 in prices and prices[-1] == 61.0


def test_replay_marks_the_provider(replayed):
    kinds = dict(zip(replayed.agents.column("agent").to_pylist(), replayed.agents.column("kind").to_pylist(), strict=True))
    assert kinds["user0/0"] == "bal_lp" and kinds["user1/0"] == "trader"


def test_replay_is_deterministic(events_csv, tmp_path, replayed):
    again = replay(events_csv, out_dir=tmp_path / "again", report=False)
    assert again.name == replayed.run_dir.name
    assert (again / "events.parquet").read_bytes() == (replayed.run_dir / "events.parquet").read_bytes()


def test_engine_refusal_is_recorded_and_the_replay_goes_on(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        HEADER
        + _row("deposit_collateral", 0, deposit_amount=1_000_000, user_index=0)
        + _row("oracle_price", 5, market_index=0, price=100)
        + _row("add_liquidity", 5, market_index=0, token_amount=10**15, user_index=0)
        + _row("oracle_price", 6, market_index=0, price=101)
    )
    run = load_run(replay(path, out_dir=tmp_path / "runs", report=False))
    (note,) = run.event_records("ReplayNote")
    assert note["row"] == 3 and note["outcome"] == "failed" and note["event_name"] == "add_liquidity"
    assert run.timeseries.column("oracle_price_usd").to_pylist()[-1] == 101.0


def test_oracle_file_is_published_as_the_clock_passes(tmp_path):
    events = tmp_path / "events.csv"
    events.write_text(
        HEADER
        + _row("deposit_collateral", 0, deposit_amount=1_000_000_000, user_index=0)
        + _row("settle_pnl", 120, market_index=0, user_index=0)
    )
    oracle = tmp_path / "oracle.csv"
    oracle.write_text("blockchainTimestamp,oraclePrice\n1652069091,61.5\n1652069151,62.25\n1652069300,63\n")
    assert read_oracle(oracle)[1] == (1652069151, 0, 62_250_000)
    run = load_run(replay(events, oracle, out_dir=tmp_path / "runs", report=False))
    prices = run.timeseries.column("oracle_price_usd").to_pylist()
    assert prices == [61.5, 62.25, 63.0]


def test_unknown_event_name_is_an_error_naming_the_row(events_csv):
    events_csv.write_text(EVENTS + _row("teleport", 300000, user_index=0))
    with pytest.raises(ReplayError, match=r"row 14 \(line 15\): unknown event name 'teleport'"):
        read_events(events_csv)


def test_malformed_json_is_an_error_naming_the_row(events_csv):
    events_csv.write_text(HEADER + _row("null", 0) + 'settle_lp,5,"{""market_index"": 0, "\n')
    with pytest.raises(ReplayError, match=r"row 2 \(line 3\), event 'settle_lp': parameters are not valid JSON"):
        read_events(events_csv)


def test_missing_parameter_is_an_error_naming_the_row(events_csv):
    events_csv.write_text(HEADER + _row("open_position", 0, direction="long", market_index=0, user_index=1))
    with pytest.raises(ReplayError, match=r"row 1 \(line 2\).*missing parameter 'quote_amount'"):
        read_events(events_csv)


def test_bad_timestamp_is_an_error_naming_the_row(events_csv):
    events_csv.write_text(HEADER + _row("null", "soon"))
    with pytest.raises(ReplayError, match=r"row 1 \(line 2\).*timestamp 'soon'"):
        read_events(events_csv)


def test_cli_replay_reports_a_malformed_row(events_csv, tmp_path):
    events_csv.write_text(HEADER + _row("teleport", 0))
    result = CliRunner().invoke(app, ["replay", str(events_csv), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2
    assert "row 1" in result.output and "teleport" in result.output


def test_cli_report_rebuilds_the_report_with_csv(replayed):
    (replayed.run_dir / "report.html").unlink()
    result = CliRunner().invoke(app, ["report", str(replayed.run_dir), "--csv"])
    assert result.exit_code == 0, result.output
    assert (replayed.run_dir / "report.html").exists() and (replayed.run_dir / "events.csv").exists()
