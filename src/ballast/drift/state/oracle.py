"""Oracle readings and their validity classes.

Source: programs/drift/src/state/oracle.rs, programs/drift/src/math/oracle.rs
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class OracleValidity(Enum):
    """Source: programs/drift/src/math/oracle.rs::OracleValidity (first match wins, in this order)."""

    __hash__ = object.__hash__  # singleton members: identity hash, no Python-level call

    NonPositive = 0
    TooVolatile = 1
    TooUncertain = 2
    StaleForMargin = 3
    InsufficientDataPoints = 4
    StaleForAMM = 5
    Valid = 6


class DriftAction(Enum):
    """Actions whose oracle requirements differ. Source: programs/drift/src/math/oracle.rs::DriftAction"""

    __hash__ = object.__hash__  # singleton members: identity hash, no Python-level call

    UpdateFunding = 0
    SettlePnl = 1
    TriggerOrder = 2
    FillOrderMatch = 3
    FillOrderAmm = 4
    Liquidate = 5
    MarginCalc = 6
    UpdateTwap = 7
    UpdateAMMCurve = 8
    OracleOrderPrice = 9


class OracleSource(Enum):
    """Source: programs/drift/src/state/oracle.rs::OracleSource (only the distinction that matters here)."""

    __hash__ = object.__hash__  # singleton members: identity hash, no Python-level call

    Pyth = 0
    QuoteAsset = 1
    PythStableCoin = 2


@dataclass(slots=True, init=False)
class OraclePriceData:
    """One oracle reading. price and confidence 1e6; delay in slots since publication.

    Source: programs/drift/src/state/oracle.rs::OraclePriceData
    """

    price: int = 0
    confidence: int = 0
    delay: int = 0
    has_sufficient_number_of_data_points: bool = True

    # written out (not dataclass-generated) so that mypyc compiles it; a value: never
    # mutated after construction (not `frozen`, whose __init__ mypyc cannot compile)
    def __init__(
        self,
        price: int = 0,
        confidence: int = 0,
        delay: int = 0,
        has_sufficient_number_of_data_points: bool = True,
    ) -> None:
        self.price = price
        self.confidence = confidence
        self.delay = delay
        self.has_sufficient_number_of_data_points = has_sufficient_number_of_data_points
