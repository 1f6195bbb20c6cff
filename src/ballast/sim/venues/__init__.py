"""Venues a backtest runs on. A venue wraps one engine; agents and keepers act through it.

The `Venue` protocol: `setup(scenario, first_prices)` builds the engine's accounts, `step(ts, prices)`
advances the clock and publishes the oracle readings (1e6) of every market, and the trading
methods (`market_order`, `base_position`, `oracle`, `quotes`, ...) are what agents call.
"drift" is Drift v2 with BAL (venues/drift.py); "curie" is Perpetual Protocol v2 Curie with
range makers (venues/curie.py).
"""

from __future__ import annotations

from typing import Protocol

from ballast.sim.scenario import Scenario, ScenarioError, VenueConfig

__all__ = ["Venue", "make_venue"]


class Venue(Protocol):
    name: str

    def setup(self, scenario: Scenario, first_prices: dict[str, int]) -> None: ...

    def step(self, ts: int, prices: dict[str, int]) -> None: ...

    def market_order(self, authority: str, market: str, base: int, reduce_only: bool = False) -> bool: ...

    def base_position(self, authority: str, market: str) -> int: ...

    def oracle(self, market: str) -> int: ...

    def process_events(self) -> None: ...

    def audit_error(self) -> str | None: ...

    def state_digest(self) -> str: ...


def make_venue(config: VenueConfig) -> Venue:
    """The venue for a config (dispatch on `kind`); ScenarioError for unknown kinds."""
    if config.kind == "drift":
        from ballast.sim.venues.drift import DriftVenue

        return DriftVenue(config)
    if config.kind == "curie":
        from ballast.sim.venues.curie import CurieVenue

        return CurieVenue(config)
    raise ScenarioError(f"venues.{config.name}.kind = {config.kind!r}: unknown venue kind")
