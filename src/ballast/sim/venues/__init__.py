"""Venues a backtest runs on. A venue wraps one engine; agents and keepers act through it.

Two protocols:

* `TradingVenue` is everything an agent may call: market orders (`market_order` returns an
  `OrderResult`), positions, the oracle and the venue's quotes, the taker fee and order step,
  an `arbitrage_target` read, NAV and its fee / funding parts, the clock. Agents (built-in
  takers and user-written ones, see ballast.sim.agents.Agent) use only these, never the engine
  behind them, so one agent runs unchanged on every venue kind.
* `Venue` adds what the runner drives: `setup(scenario, first_prices)` builds the engine's
  accounts, `step(ts, prices)` advances the clock and publishes the oracle readings (1e6) of
  every market, then the event books, the audit and the state digest.

Units everywhere: prices and quote 1e6, base 1e9 (signed: > 0 long / buy).

"drift" is Drift v2 with BAL (venues/drift.py); "curie" is Perpetual Protocol v2 Curie with
range makers (venues/curie.py). Venue-specific providers (BAL providers, insurance stakers,
Curie makers) also call named methods of their own venue kind.
"""

from __future__ import annotations

from ballast.sim.scenario import ScenarioError, VenueConfig
from ballast.sim.venues.base import (
    ArbitrageTarget,
    OrderResult,
    OrderStats,
    OrderStatus,
    TradingVenue,
    Venue,
    arbitrage_side,
    usd,
)

__all__ = [
    "ArbitrageTarget",
    "OrderResult",
    "OrderStats",
    "OrderStatus",
    "TradingVenue",
    "Venue",
    "make_venue",
    "arbitrage_side",
    "usd",
]


def make_venue(config: VenueConfig) -> Venue:
    """The venue for a config (dispatch on `kind`); ScenarioError for unknown kinds."""
    if config.kind == "drift":
        from ballast.sim.venues.drift import DriftVenue

        return DriftVenue(config)
    if config.kind == "curie":
        from ballast.sim.venues.curie import CurieVenue

        return CurieVenue(config)
    raise ScenarioError(f"venues.{config.name}.kind = {config.kind!r}: unknown venue kind")
