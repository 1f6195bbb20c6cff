"""Sweep specs: axes by dotted key (list items by name), seeds, random draws, validation before
anything runs."""

import pytest

from ballast.sweep import SweepError, load_sweep
from ballast.sweep.spec import set_key


def test_points_are_the_product_of_grid_axes_and_seeds(sweep_file):
    # Arrange
    path = sweep_file('name = "s"\nseeds = 3\n[[axes]]\nkey = "agents.lp.enter_at_day"\nvalues = [0.01, 0.02]\n'
                      '[[axes]]\nkey = "agents.noise.arrivals_per_hour"\nvalues = [10, 20]\n')

    # Act
    points = load_sweep(path).points()

    # Assert
    assert len(points) == 2 * 2 * 3
    assert len({p.run_id for p in points}) == 12
    first = points[0]
    assert first.scenario.seed == 0
    assert next(a for a in first.scenario.agents if a.name == "lp").enter_at_day == 0.01
    assert next(a for a in first.scenario.agents if a.name == "noise").arrivals_per_hour == 10


def test_the_same_spec_gives_the_same_run_ids(sweep_file):
    path = sweep_file('name = "s"\nseeds = [4, 9]\n')
    assert [p.run_id for p in load_sweep(path).points()] == [p.run_id for p in load_sweep(path).points()]


def test_random_draws_are_reproducible_and_within_their_distribution(sweep_file):
    # Arrange
    path = sweep_file('name = "s"\ndraws = 5\n[[axes]]\nkey = "agents.noise.arrivals_per_hour"\n'
                      'dist = { kind = "uniform", low = 10, high = 40 }\n')

    # Act
    first = [p.values["agents.noise.arrivals_per_hour"] for p in load_sweep(path).points()]
    again = [p.values["agents.noise.arrivals_per_hour"] for p in load_sweep(path).points()]

    # Assert
    assert first == again and len(set(first)) == 5
    assert all(10 <= v <= 40 for v in first)


def test_an_axis_naming_an_unknown_agent_is_refused_with_the_known_names(sweep_file):
    path = sweep_file('name = "s"\n[[axes]]\nkey = "agents.lp-late.enter_at_day"\nvalues = [1]\n')
    with pytest.raises(SweepError, match=r"no item 'lp-late' in agents \(names: lp, noise\)"):
        load_sweep(path).points()


def test_an_axis_with_an_unknown_scenario_key_is_refused_before_anything_runs(sweep_file):
    path = sweep_file('name = "s"\n[[axes]]\nkey = "agents.lp.entry_day"\nvalues = [1]\n')
    with pytest.raises(SweepError, match="entry_day"):
        load_sweep(path).points()


def test_an_axis_value_the_scenario_rejects_names_the_point(sweep_file):
    path = sweep_file('name = "s"\n[[axes]]\nkey = "duration_days"\nvalues = [0.05, -1]\n')
    with pytest.raises(SweepError, match=r"point duration_days = -1"):
        load_sweep(path).points()


def test_a_random_axis_without_draws_is_refused(sweep_file):
    path = sweep_file('name = "s"\n[[axes]]\nkey = "seed"\ndist = { kind = "choice", values = [1, 2] }\n')
    with pytest.raises(SweepError, match="draws"):
        load_sweep(path)


def test_set_key_finds_list_items_by_name_or_index():
    # Arrange
    data = {"markets": [{"name": "SOL-PERP", "oracle": {"regimes": [{"vol_annual_pct": 60}]}}]}

    # Act
    set_key(data, "markets.SOL-PERP.oracle.regimes.0.vol_annual_pct", 90)
    set_key(data, "keepers.liquidations", False)

    # Assert
    assert data["markets"][0]["oracle"]["regimes"][0]["vol_annual_pct"] == 90
    assert data["keepers"] == {"liquidations": False}
