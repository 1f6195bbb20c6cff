"""Venues a backtest runs on. A venue wraps one engine; agents and keepers act through it.

The `Venue` protocol: `setup(scenario, first_prices)` builds the engine's accounts, `step(ts, prices)`
advances the clock and publishes the oracle readings (1e6) of every market, and the trading
methods (`market_order`, `add_lp`, `remove_lp`, ...) are what agents call. Only Drift (with
BAL) exists; "curie" is rejected until that engine lands.
"""

from __future__ import annotations

from typing import Protocol

from ballast.sim.scenario import Scenario, ScenarioError, VenueConfig

__all__ = ["Venue", "make_venue"]


class Venue(Protocol):
    name: str

    def setup(self, scenario: Scenario, first_prices: dict[str, int]) -> None: ...

    def step(self, ts: int, prices: dict[str, int]) -> None: ...

    def audit_error(self) -> str | None: ...

    def state_digest(self) -> str: ...


def make_venue(config: VenueConfig) -> Venue:
    """The venue for a config; ScenarioError for kinds that are not supported."""
    if config.kind == "drift":
        from ballast.sim.venues.drift import DriftVenue

        return DriftVenue(config)
    if config.kind == "curie":
        raise ScenarioError(f"venues.{config.name}.kind = 'curie': not yet supported (the Curie engine has not landed)")
    raise ScenarioError(f"venues.{config.name}.kind = {config.kind!r}: unknown venue kind")
