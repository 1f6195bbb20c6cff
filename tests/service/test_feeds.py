"""The service's oracle feeds: the scenario's path, then endless GBM segments, or a CSV file
replayed and held at its last price (the health endpoint says so)."""

from __future__ import annotations

from ballast.service.feeds import PriceFeed
from ballast.sim.loading import parse_scenario
from ballast.sim.runner import price_paths

START = 1_767_225_600


def _scenario(oracle: dict, base_dir: str = ".") -> object:
    """One hour of one-minute steps (60 steps a segment)."""
    return parse_scenario({"name": "feed", "start_ts": START, "duration_days": 1 / 24, "step_seconds": 60,
                           "markets": [{"name": "SOL-PERP", "oracle": oracle}],
                           "agents": [{"kind": "noise_taker", "name": "noise"}]}, base_dir)


def test_a_gbm_feed_is_the_scenario_path_then_continues_from_its_last_price():
    scenario = _scenario({"kind": "gbm", "start_price_usd": 150, "regimes": [{"vol_annual_pct": 80}]})
    feed = PriceFeed(scenario)
    path = price_paths(scenario)["SOL-PERP"]
    assert [feed.price("SOL-PERP", step) for step in range(61)] == path
    later = [feed.price("SOL-PERP", step) for step in range(61, 300)]
    assert all(price > 0 for price in later) and len(set(later)) > 100  # it keeps moving
    assert abs(later[0] - path[-1]) < path[-1] // 20  # one minute on from the last price
    again = PriceFeed(scenario)
    assert [again.price("SOL-PERP", step) for step in range(299, 60, -1)] == later[::-1]  # deterministic, any order
    assert not feed.ended("SOL-PERP", 10_000)


def test_a_csv_feed_is_replayed_then_held_and_said_to_have_ended(tmp_path):
    rows = "\n".join(f"{START + 60 * i},{100 + i}.5" for i in range(61))
    (tmp_path / "prices.csv").write_text("timestamp,price\n" + rows + "\n")
    scenario = _scenario({"kind": "csv", "path": "prices.csv"}, base_dir=str(tmp_path))
    feed = PriceFeed(scenario)
    assert feed.price("SOL-PERP", 0) == 100_500_000
    assert feed.price("SOL-PERP", 60) == 160_500_000
    assert not feed.ended("SOL-PERP", 60)
    assert feed.price("SOL-PERP", 61) == feed.price("SOL-PERP", 5_000) == 160_500_000
    assert feed.ended("SOL-PERP", 61)
