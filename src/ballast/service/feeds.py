"""Oracle feeds of the live service: the price of every market at any step, endless.

The scenario's own paths (`ballast.sim.runner.price_paths`: a seeded GBM or a CSV file
replayed) cover its `duration_days`. Past that a GBM market goes on in segments of the same
length, segment k seeded `"{seed}/oracle/{market}/{k}"`, starting at the last price of segment
k - 1, with the volatility of the scenario's last regime, its drift and jumps and no scheduled
moves (those belong to the scenario's dates); a CSV market holds its last price, and
`ended(market, step)` says so (the service's health endpoint shows it). An admin may set a
market's price instead (World.oracle_override), which takes precedence over the feed.

The feed is only read to make the next tick live; a replayed tick takes the prices its journal
entry recorded, so a feed never has to be reproduced after a restart except for steps not yet
taken. Prices are 1e6 integers (PRICE_PRECISION).
"""

from __future__ import annotations

from ballast.sim.paths import gbm_path
from ballast.sim.runner import price_paths
from ballast.sim.scenario import CsvOracle, Scenario

__all__ = ["PriceFeed"]


class PriceFeed:
    """`price(market, step)` for every scenario market and every step >= 0."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.length = scenario.n_steps  # steps per segment
        first = price_paths(scenario)
        self._segments: dict[str, list[list[int]]] = {name: [path] for name, path in first.items()}
        self._oracles = {m.name: m.oracle for m in scenario.markets}

    def ended(self, market: str, step: int) -> bool:
        """Whether `step` lies past a CSV market's file (its last price is held)."""
        return isinstance(self._oracles[market], CsvOracle) and step > self.length

    def price(self, market: str, step: int) -> int:
        """The feed's price of `market` at `step` (1e6)."""
        if step <= self.length:
            return self._segments[market][0][step]
        oracle = self._oracles[market]
        if isinstance(oracle, CsvOracle):
            return self._segments[market][0][-1]
        k, offset = divmod(step - 1, self.length)  # segment k covers steps k*L + 1 .. (k+1)*L
        segments = self._segments[market]
        while len(segments) <= k:
            segments.append(self._next_segment(market, len(segments), segments[-1][-1]))
        return segments[k][offset + 1]

    def _next_segment(self, market: str, k: int, start_price: int) -> list[int]:
        scenario = self.scenario
        oracle = self._oracles[market]
        start_ts = scenario.start_ts + k * self.length * scenario.step_seconds
        return gbm_path(
            f"{scenario.seed}/oracle/{market}/{k}",
            start_price / 1e6,
            start_ts,
            scenario.step_seconds,
            self.length,
            drift_annual=oracle.drift_annual_pct / 100,
            vol_regimes=[(0.0, oracle.regimes[-1].vol_annual_pct / 100)],
            jumps_per_day=oracle.jumps_per_day,
            jump_mean=oracle.jump_mean_pct / 100,
            jump_std=oracle.jump_std_pct / 100,
        )
