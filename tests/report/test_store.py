"""The run folder: its id and the files written and read back."""

import json
from dataclasses import dataclass, field

import pyarrow as pa
import pytest

from ballast.drift.events import DepositDirection, DepositRecord, LiquidationRecord, LiquidationType
from ballast.store import REFERENCE_COMMITS, events_table, load_run, run_id, write_run

SCENARIO = {"name": "sol-month", "seed": 7, "venues": [{"kind": "drift", "lp_fee": 0.8}]}


@dataclass
class Result:
    scenario: dict
    seed: int
    timeseries: pa.Table
    agents: pa.Table
    events: list
    summary: dict
    data_digest: str = "abc123"
    extra: dict = field(default_factory=dict)


def _result() -> Result:
    timeseries = pa.table(
        {"ts": [0, 3600], "venue": ["drift", "drift"], "market": ["SOL", "SOL"], "oracle_price_usd": [100.0, 101.0]}
    )
    agents = pa.table(
        {"ts": [0, 3600], "venue": ["drift"] * 2, "agent": ["lp"] * 2, "kind": ["bal_lp"] * 2, "nav_usd": [10.0, 11.0]}
    )
    events = [
        ("drift", DepositRecord(0, "lp/0", DepositDirection.Deposit, 10_000_000, 0, 1_000_000)),
        ("drift", LiquidationRecord(3600, LiquidationType.LiquidatePerp, "a/0", "b/0", 0, 1, 2, 3, 1, False, (4, 5))),
    ]
    return Result(SCENARIO, 7, timeseries, agents, events, {"lp_apr_pct": 12.5, "nan_pct": float("nan")})


def test_run_id_is_stable_for_equal_inputs():
    assert run_id(dict(SCENARIO), "d1", "0.1.0") == run_id(json.loads(json.dumps(SCENARIO)), "d1", "0.1.0")


def test_run_id_ignores_key_order():
    reordered = {"venues": SCENARIO["venues"], "seed": 7, "name": "sol-month"}
    assert run_id(reordered, "d1", "0.1.0") == run_id(SCENARIO, "d1", "0.1.0")


@pytest.mark.parametrize(
    "scenario, digest, version",
    [
        ({**SCENARIO, "seed": 8}, "d1", "0.1.0"),
        ({**SCENARIO, "venues": [{"kind": "drift", "lp_fee": 0.9}]}, "d1", "0.1.0"),
        (SCENARIO, "d2", "0.1.0"),
        (SCENARIO, "d1", "0.1.1"),
    ],
)
def test_run_id_changes_with_any_input(scenario, digest, version):
    assert run_id(scenario, digest, version) != run_id(SCENARIO, "d1", "0.1.0")


def test_run_id_is_short_hex():
    identifier = run_id(SCENARIO, "d1", "0.1.0")
    assert len(identifier) == 16 and int(identifier, 16) >= 0


def test_events_are_flattened_with_enums_by_name():
    table = events_table(_result().events)
    rows = table.to_pylist()
    assert [r["type"] for r in rows] == ["DepositRecord", "LiquidationRecord"]
    assert [r["venue"] for r in rows] == ["drift", "drift"]
    assert rows[1]["ts"] == 3600
    fields = json.loads(rows[1]["fields"])
    assert fields["liquidation_type"] == "LiquidatePerp"
    assert fields["canceled_order_ids"] == [4, 5]


def test_write_run_writes_every_file_into_the_run_id_folder(tmp_path):
    result = _result()
    folder = write_run(result, tmp_path)
    assert folder.name == run_id(SCENARIO, "abc123")
    names = {p.name for p in folder.iterdir()}
    assert {
        "scenario.resolved.toml", "manifest.json", "timeseries.parquet", "agents.parquet",
        "events.parquet", "summary.json",
    } <= names


def test_written_run_reloads(tmp_path):
    result = _result()
    run = load_run(write_run(result, tmp_path))
    assert run.scenario == SCENARIO
    assert run.summary == {"lp_apr_pct": 12.5, "nan_pct": None}
    assert run.timeseries.equals(result.timeseries)
    assert run.agents.equals(result.agents)
    assert run.events.num_rows == 2
    assert run.event_records("LiquidationRecord")[0]["user"] == "a/0"


def test_manifest_names_versions_seed_digest_and_reference_commits(tmp_path):
    manifest = load_run(write_run(_result(), tmp_path)).manifest
    assert manifest["seed"] == 7
    assert manifest["data_digest"] == "abc123"
    assert manifest["reference_commits"] == REFERENCE_COMMITS
    assert manifest["reference_commits"]["drift"] == "7c265f81090e62b2cf176df030f421045373a85e"
    assert {"ballast", "python", "pyarrow"} <= set(manifest["versions"])


def test_writing_twice_gives_identical_files(tmp_path):
    first = write_run(_result(), tmp_path / "a")
    second = write_run(_result(), tmp_path / "b")
    for name in ("manifest.json", "scenario.resolved.toml", "timeseries.parquet", "events.parquet"):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_scenario_none_values_are_left_out_of_toml(tmp_path):
    result = _result()
    result.scenario = {"name": "x", "oracle_file": None}
    run = load_run(write_run(result, tmp_path))
    assert run.scenario == {"name": "x"}
