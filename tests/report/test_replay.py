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


# --- drift-sim's own experiments (../shared/drift-sim, copied into the repository's tests) ----------

from pathlib import Path  # noqa: E402

from ballast.drift.constants import AMM_RESERVE_PRECISION, PRICE_PRECISION  # noqa: E402
from ballast.replay import (  # noqa: E402
    read_markets,
    read_spot_markets,
    replay_outcome_lines,
    run_replay,
)

DRIFT_SIM = Path(__file__).resolve().parents[1] / "data" / "drift-sim"


def _experiment(name: str):
    folder = DRIFT_SIM / name
    spot = folder / "spot_markets_json.csv"
    return run_replay(
        read_events(folder / "events.csv"),
        markets=read_markets(folder / "markets_json.csv") or None,
        spot_prices=read_spot_markets(spot) if spot.is_file() else (),
    )


def test_every_drift_sim_experiment_reads_to_its_last_row():
    for name in ("simple", "if_stake", "multi_markets", "spot2"):
        result = _experiment(name)
        assert result.summary["rows_count"] == len(read_events(DRIFT_SIM / name / "events.csv")), name
        # the engine refuses at most one row (a price-band check on a 0.02 -> 115 oracle jump, a
        # trade of 34% price impact on drift-sim's 37-base AMM): nothing is left unread
        assert result.summary["failed_events_count"] <= 1, name


def test_drift_sim_markets_are_set_up_as_its_backtest_does():
    folder = DRIFT_SIM / "simple"
    (reserves, peg), = read_markets(folder / "markets_json.csv")
    entry = json.loads((folder / "markets_json.csv").read_text())[0]
    assert reserves == int(int(entry["base_asset_reserve"]) / 1e13 * AMM_RESERVE_PRECISION)
    assert peg == entry["peg_multiplier"]
    market = _experiment("simple").exchange.perp_market(0)
    assert (market.margin_ratio_initial, market.margin_ratio_maintenance) == (2_000, 1_800)
    assert (market.amm.order_step_size, market.amm.order_tick_size, market.amm.funding_period) == (10**5, 1, 1)
    assert market.amm.peg_multiplier == peg


def test_spot2_borrows_a_spot_token_and_follows_its_oracle():
    exchange = _experiment("spot2").exchange
    assert sorted(exchange.spot_markets) == [0, 1]
    # user0 withdrew 50 tokens of spot market 1 it never deposited (reduce_only false): a borrow,
    # its scaled balance rounded up against the borrower, so it owes one unit more
    assert exchange.token_amount("user0", 0, 1) == -50_000_001
    assert exchange.token_amount("user1", 0, 1) >= 100_000_000
    assert exchange.oracle_map.get_spot(1).price == 1 * PRICE_PRECISION  # the last spot_oracle_price


def test_if_stake_stakes_and_removes_whole_stakes():
    rows = read_events(DRIFT_SIM / "if_stake" / "events.csv")
    result = _experiment("if_stake")
    stakes = result.exchange.insurance_fund_stakes
    stakers = {f"user{r.parameters['user_index']}/0" for r in rows if r.event_name == "init_if_stake"}
    removed = {f"user{r.parameters['user_index']}/0" for r in rows if r.event_name == "remove_if_stake"}
    assert set(stakes) == stakers
    assert removed and all(stakes[key].if_shares == 0 for key in removed)
    assert all(stakes[key].if_shares > 0 for key in stakers - removed)
    assert result.exchange.spot_market(0).insurance_fund.total_shares == sum(s.if_shares for s in stakes.values())


def test_events_ballast_does_not_execute_are_noted_with_the_reason(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(HEADER + _row("oracle_price", 0, market_index=0, price=10.0)
                    + _row("update_k", 1, sqrt_k=10**12, market_index=0) + _row("liquidate", 2, user_index=0))
    notes = [e for _, e in run_replay(read_events(path)).events if type(e).__name__ == "ReplayNote"]
    assert [(n.event_name, n.outcome) for n in notes] == [("update_k", "skipped"), ("liquidate", "skipped")]
    assert "update_k" in notes[0].message


def test_replay_takes_an_experiment_folder_and_says_what_failed(tmp_path):
    result = CliRunner().invoke(app, ["replay", str(DRIFT_SIM / "multi_markets"), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "rows: 50, failed: 1" in result.output
    assert "failed: row 7 open_position: PriceBandsBreached" in result.output
    folder = next(tmp_path.iterdir())
    assert replay_outcome_lines(folder)[0] == result.output.splitlines()[0]
    missing = CliRunner().invoke(app, ["replay", str(tmp_path / "nowhere"), "--out", str(tmp_path)])
    assert missing.exit_code == 2 and "no events file" in missing.output
