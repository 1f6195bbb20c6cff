"""The oracle readings an instruction sees, keyed by market.

Prices are inputs: the exchange records each published reading with the slot it was
published in, and `get_price_data` reports its `delay` against the current slot.

Source: programs/drift/src/state/oracle_map.rs
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ballast.drift.errors import OracleNotFound
from ballast.drift.state.oracle import OraclePriceData, OracleSource
from ballast.drift.state.state import OracleGuardRails
from ballast.drift.state.user import MarketType


@dataclass(slots=True, init=False)
class OracleReading:
    """A published price (1e6), its confidence (1e6) and the slot it was published in."""

    price: int = 0
    confidence: int = 0
    publish_slot: int = 0
    source: OracleSource = OracleSource.Pyth

    # written out (not dataclass-generated) so that mypyc compiles it
    def __init__(
        self,
        price: int = 0,
        confidence: int = 0,
        publish_slot: int = 0,
        source: OracleSource = OracleSource.Pyth,
    ) -> None:
        self.price = price
        self.confidence = confidence
        self.publish_slot = publish_slot
        self.source = source


@dataclass(slots=True)
class OracleMap:
    """Latest reading per (market type, market index) and the current slot."""

    slot: int = 0
    readings: dict[tuple[MarketType, int], OracleReading] = field(default_factory=dict)
    oracle_guard_rails: OracleGuardRails = field(default_factory=OracleGuardRails)  # validity thresholds
    # memo of price data (and validity, filled by math.oracle) for the current slot and readings;
    # `publish` clears it, and its keys carry the slot, so it never serves a stale value
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    def publish(
        self,
        market_type: MarketType,
        market_index: int,
        price: int,
        confidence: int,
        source: OracleSource | None = None,
    ) -> None:
        """Record a reading published in the current slot (source kept if not given)."""
        key = (market_type, market_index)
        if source is None:
            previous = self.readings.get(key)
            source = previous.source if previous is not None else OracleSource.Pyth
        self.readings[key] = OracleReading(price, confidence, self.slot, source)
        self.cache.clear()

    def get_price_data(self, market_type: MarketType, market_index: int) -> OraclePriceData:
        """The reading for a market with its delay in slots; the quote asset is always $1.

        Source: programs/drift/src/state/oracle_map.rs::OracleMap::get_price_data
        """
        cache_key = (market_type, market_index, self.slot)
        price_data = self.cache.get(cache_key)
        if price_data is not None:
            return price_data
        reading = self.readings.get((market_type, market_index))
        if reading is None:
            raise OracleNotFound(f"no oracle reading for {market_type.name} market {market_index}")
        if reading.source is OracleSource.QuoteAsset:
            price_data = OraclePriceData(price=1_000_000, confidence=1, delay=0)
        else:
            price_data = OraclePriceData(
                price=reading.price,
                confidence=reading.confidence,
                delay=self.slot - reading.publish_slot,
            )
        if len(self.cache) > 256:
            self.cache.clear()
        self.cache[cache_key] = price_data
        return price_data

    def get_perp(self, market_index: int) -> OraclePriceData:
        """Shorthand for a perp market's reading."""
        return self.get_price_data(MarketType.Perp, market_index)

    def get_spot(self, market_index: int) -> OraclePriceData:
        """Shorthand for a spot market's reading."""
        return self.get_price_data(MarketType.Spot, market_index)
