"""`ballast bench`: the fills workload stays bounded, and `--json` is one machine-readable document.

Behaviour only: no timing is asserted (speed is measured by `ballast bench`, never in a test).
"""

import json

import pytest
from typer.testing import CliRunner

from ballast import bench
from ballast.cli import app

runner = CliRunner()


def _watch_positions(monkeypatch) -> dict[str, int]:
    """Make bench_fills' exchange record, after every fill, the largest |base position| each
    trader held so far and the largest |net position of the AMM|; returns that record."""
    peaks: dict[str, int] = {}
    new_exchange = bench.new_exchange

    def watched_exchange():
        exchange = new_exchange()
        place_and_take = exchange.place_and_take_perp_order

        def fill(authority, sub_account_id, params):
            place_and_take(authority, sub_account_id, params)
            for position in exchange.user(authority, sub_account_id).perp_positions:
                if position.market_index == params.market_index:
                    peaks[authority] = max(peaks.get(authority, 0), abs(position.base_asset_amount))
            amm_net = abs(exchange.perp_market(params.market_index).amm.base_asset_amount_with_amm)
            peaks["<amm>"] = max(peaks.get("<amm>", 0), amm_net)

        exchange.place_and_take_perp_order = fill
        return exchange

    monkeypatch.setattr(bench, "new_exchange", watched_exchange)
    return peaks


@pytest.mark.parametrize("users", [2, 3, 10])
def test_fills_keep_every_trader_within_one_order(monkeypatch, users):
    peaks = _watch_positions(monkeypatch)
    result = bench.bench_fills(users, 400)
    assert result.fills == 400
    traders = {name: peak for name, peak in peaks.items() if name.startswith("trader")}
    assert len(traders) == users
    largest_order = max(bench.FILL_SIZES)
    assert all(0 < peak <= largest_order for peak in traders.values()), traders
    # the traders offset each other: the AMM never holds more than one order either
    assert peaks["<amm>"] <= largest_order


def test_each_trader_alternates_its_own_direction():
    even, odd = bench.fill_cycles(market_index=0)
    for cycle in (even, odd):
        directions = [order.direction for order in cycle]
        assert all(a != b for a, b in zip(directions, directions[1:] + directions[:1], strict=True))
        # each opened order is closed by the next one, of the same size
        assert all(cycle[n].base_asset_amount == cycle[n + 1].base_asset_amount for n in range(0, 20, 2))
    assert [o.direction for o in even] != [o.direction for o in odd]


def test_fills_json_is_one_document_with_machine_and_named_row_fields():
    result = runner.invoke(app, ["bench", "fills", "--users", "2", "--fills", "50", "--runs", "1", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["command"] == "bench fills"
    machine = document["machine"]
    for field in ("cpu_model", "logical_cores", "python_implementation", "python_version", "system",
                  "machine_arch", "engine_build"):
        assert machine[field] not in (None, ""), field
    assert machine["engine_build"].startswith(("compiled (mypyc)", "interpreted"))
    [row] = document["rows"]
    assert (row["users"], row["bal_providers"], row["fills"]) == (2, 0, 50)
    for field in ("fills_per_second", "microseconds_per_fill", "wall_seconds", "cpu_seconds", "funding_updates"):
        assert isinstance(row[field], int | float), field


def test_machine_info_text_and_record_show_the_same_facts():
    info = bench.machine_info()
    text = info.describe()
    for value in info.as_dict().values():
        assert str(value) in text


def test_curie_json_has_a_row_per_layer_and_crossing_count():
    result = runner.invoke(app, ["bench", "curie", "--swaps", "10", "--positions", "2", "--runs", "1", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert [(r["layer"], r["ticks_crossed"]) for r in rows] == [
        ("pool", 0), ("pool", 1), ("pool", 10), ("clearing_house", 0), ("clearing_house", 1), ("clearing_house", 10),
    ]
    assert all(r["swaps_per_second"] > 0 and r["microseconds_per_swap"] > 0 for r in rows)


def test_curie_ranges_json_has_a_zero_crossing_row_per_range_count_and_the_ratio():
    result = runner.invoke(app, ["bench", "curie", "--ranges", "4,12", "--positions", "4", "--runs", "2", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    rows = document["rows"]
    assert [(r["layer"], r["ticks_crossed"], r["ranges"]) for r in rows] == [
        ("clearing_house", 0, 4), ("clearing_house", 0, 12),
    ]
    rates = [r["swaps_per_second"] for r in rows]
    assert document["summary"]["ranges_max_over_min"] == pytest.approx(max(rates) / min(rates))
    assert document["summary"]["ranges_max_over_min_cpu"] >= 1


def test_bench_curie_builds_the_asked_number_of_maker_ranges():
    from ballast.bench_curie import _ranges

    assert _ranges(40)[0] == (-1200, -1140) and _ranges(40)[-1] == (1140, 1200)
    assert len(_ranges(240)) == 240 and len(_ranges(7)) == 7
    assert all(upper == lower + 60 for lower, upper in _ranges(7))


def test_backtest_json_with_report_times_simulation_and_report_in_a_fresh_process(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text('duration_days = 0.01\nstep_seconds = 60\n[[agents]]\nkind = "noise_taker"\nname = "n"\n')
    result = runner.invoke(app, ["bench", "backtest", str(path), "--report", "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)["rows"]
    assert row["steps"] == 14  # 0.01 days of 60 s steps
    for field in ("simulation_cpu_seconds", "report_cpu_seconds", "simulation_wall_seconds", "report_wall_seconds"):
        assert row[field] > 0, field
    assert row["total_cpu_seconds"] == pytest.approx(row["simulation_cpu_seconds"] + row["report_cpu_seconds"])
    assert row["events_per_cpu_second"] > 0 and row["steps_per_cpu_second"] > 0
    assert 0 < row["peak_rss_mib"] < 4096
    assert list(tmp_path.iterdir()) == [path]  # the run folder went to a temporary directory
