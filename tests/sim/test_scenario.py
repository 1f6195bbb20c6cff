from pathlib import Path

import pytest

from ballast.sim.loading import dump_scenario, load_scenario, parse_scenario
from ballast.sim.paths import PathError, load_price_csv
from ballast.sim.scenario import ScenarioError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_unknown_key_error_names_the_key_path():
    with pytest.raises(ScenarioError, match=r"markets\.0\.base_spred: unknown key"):
        parse_scenario({"markets": [{"name": "SOL-PERP", "base_spred": 5}]})


def test_bad_value_error_names_the_key_and_value():
    data = {"agents": [{"kind": "noise_taker", "name": "n", "arrivals_per_hour": -3}]}
    with pytest.raises(ScenarioError, match=r"agents\.0\.noise_taker\.arrivals_per_hour = -3"):
        parse_scenario(data)


def test_unknown_venue_kind_is_rejected_naming_it():
    with pytest.raises(ScenarioError, match="gmx"):
        parse_scenario({"venues": [{"name": "c", "kind": "gmx"}]})


def test_agent_on_unknown_market_is_rejected():
    with pytest.raises(ScenarioError, match="unknown market 'ETH-PERP'"):
        parse_scenario({"agents": [{"kind": "arbitrageur", "name": "a", "market": "ETH-PERP"}]})


@pytest.mark.parametrize(
    "name", ["sol_bal_30d", "crash", "quiet_month", "side_by_side", "bal_vs_curie", "spot_flow"]
)
def test_examples_load_and_round_trip_through_toml(name, tmp_path):
    scenario = load_scenario(EXAMPLES / f"{name}.toml")
    path = tmp_path / "resolved.toml"
    path.write_text(dump_scenario(scenario))
    assert load_scenario(path) == scenario.model_copy(update={"base_dir": str(tmp_path)})


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("ts,price\n100,1.5\n160,-2\n", "row 3: price -2 must be positive"),
        ("ts,price\n100,1.5\n90,2\n", "row 3: timestamp 90 is not after"),
        ("ts,price\n100,1.5\n160,2\n1000,2\n", "row 4: gap of 840 s"),
        ("ts,price\n100,abc\n", "row 2: price 'abc' is not a number"),
    ],
)
def test_csv_validation_errors_name_the_row(tmp_path, rows, message):
    path = tmp_path / "prices.csv"
    path.write_text(rows)
    with pytest.raises(PathError, match=message):
        load_price_csv(path, max_gap_seconds=300)


def test_csv_oracle_errors_surface_as_scenario_errors(tmp_path):
    from ballast.sim import Backtest

    (tmp_path / "p.csv").write_text("ts,price\n1700000000,100\n1700000060,101\n")
    scenario = parse_scenario(
        {"duration_days": 0.01, "agents": [{"kind": "noise_taker", "name": "n"}],
             "markets": [{"name": "SOL-PERP", "oracle": {"kind": "csv", "path": "p.csv", "max_gap_seconds": 120}}]},
        tmp_path,
    )
    with pytest.raises(ScenarioError, match="after the last price row"):
        Backtest(scenario).run()
