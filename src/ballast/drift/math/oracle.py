"""Oracle guard rails: validity classes, what each action permits, divergence checks.

Pure functions. Prices 1e6, confidence 1e6, delays in slots, pcts PERCENTAGE_PRECISION (1e6).

Source: programs/drift/src/math/oracle.rs
"""

from __future__ import annotations

from dataclasses import dataclass

from ballast.drift.constants import BID_ASK_SPREAD_PRECISION, PERCENTAGE_PRECISION
from ballast.drift.math.amm import (
    calculate_oracle_twap_5min_price_spread_pct,
    is_oracle_mark_too_divergent,
)
from ballast.drift.state.oracle import DriftAction, OraclePriceData, OracleSource, OracleValidity
from ballast.drift.state.oracle_map import OracleMap
from ballast.drift.state.perp_market import ContractTier, PerpMarket, PerpOperation
from ballast.drift.state.state import OracleGuardRails, ValidityGuardRails
from ballast.drift.state.user import MarketType
from ballast.fixed import div_floor, div_trunc
from ballast.value_copy import copy_by_constructor

__all__ = [
    "OracleStatus",
    "oracle_validity",
    "is_oracle_valid_for_action",
    "get_max_confidence_interval_multiplier",
    "is_oracle_too_divergent_with_twap_5min",
    "get_oracle_status",
    "block_operation",
]

_V = OracleValidity
_UPDATE_FUNDING_OK = frozenset(
    {_V.Valid, _V.StaleForAMM, _V.InsufficientDataPoints, _V.StaleForMargin}
)
_ORACLE_ORDER_PRICE_OK = frozenset({_V.Valid, _V.StaleForAMM, _V.InsufficientDataPoints})
_MARGIN_CALC_BAD = frozenset({_V.NonPositive, _V.TooVolatile, _V.TooUncertain, _V.StaleForMargin})
_FILL_MATCH_BAD = frozenset({_V.NonPositive, _V.TooVolatile, _V.TooUncertain})
_LIQUIDATE_BAD = frozenset({_V.NonPositive, _V.TooVolatile})

_CONFIDENCE_MULTIPLIER = {
    ContractTier.A: 1,
    ContractTier.B: 1,
    ContractTier.C: 2,
    ContractTier.Speculative: 10,
    ContractTier.HighlySpeculative: 50,
    ContractTier.Isolated: 50,
}


@dataclass(slots=True, frozen=True)
class OracleStatus:
    """An oracle reading with its validity and the mark/oracle divergence check.

    Source: programs/drift/src/math/oracle.rs::OracleStatus
    """

    price_data: OraclePriceData
    oracle_reserve_price_spread_pct: int  # 1e6
    mark_too_divergent: bool
    oracle_validity: OracleValidity


def oracle_validity(
    market_type: MarketType,
    market_index: int,
    last_oracle_twap: int,
    oracle_price_data: OraclePriceData,
    valid_oracle_guard_rails: ValidityGuardRails,
    max_confidence_interval_multiplier: int,
    oracle_source: OracleSource = OracleSource.Pyth,
) -> OracleValidity:
    """Classify an oracle reading; the first failing check wins.

    NonPositive (price <= 0); TooVolatile (``max(price, twap) / max(min(twap, price), 1)`` >
    too_volatile_ratio, rounded down); TooUncertain (``conf * 1e6 / price`` > max size x tier
    multiplier); StaleForMargin (delay > slots_before_stale_for_margin, x3 for stablecoin
    feeds); InsufficientDataPoints; StaleForAMM (delay > slots_before_stale_for_amm); Valid.
    `market_type` and `market_index` only label the reference's logs.

    Source: programs/drift/src/math/oracle.rs::oracle_validity
    """
    oracle_price = oracle_price_data.price
    if oracle_price <= 0:
        return OracleValidity.NonPositive
    volatility_ratio = div_trunc(
        max(oracle_price, last_oracle_twap), max(min(last_oracle_twap, oracle_price), 1)
    )
    if volatility_ratio > valid_oracle_guard_rails.too_volatile_ratio:
        return OracleValidity.TooVolatile
    conf_pct_of_price = div_floor(
        oracle_price_data.confidence * BID_ASK_SPREAD_PRECISION, oracle_price
    )
    max_conf = (
        valid_oracle_guard_rails.confidence_interval_max_size * max_confidence_interval_multiplier
    )
    if conf_pct_of_price > max_conf:
        return OracleValidity.TooUncertain
    delay = oracle_price_data.delay
    stale_for_margin_slots = valid_oracle_guard_rails.slots_before_stale_for_margin
    if oracle_source is OracleSource.PythStableCoin:
        stale_for_margin_slots *= 3
    if delay > stale_for_margin_slots:
        return OracleValidity.StaleForMargin
    if not oracle_price_data.has_sufficient_number_of_data_points:
        return OracleValidity.InsufficientDataPoints
    if delay > valid_oracle_guard_rails.slots_before_stale_for_amm:
        return OracleValidity.StaleForAMM
    return OracleValidity.Valid


def is_oracle_valid_for_action(validity: OracleValidity, action: DriftAction | None) -> bool:
    """Whether an oracle of this validity may be used for `action` (None: only Valid).

    FillOrderAmm needs Valid; UpdateFunding and SettlePnl tolerate StaleForAMM,
    InsufficientDataPoints and StaleForMargin; OracleOrderPrice tolerates StaleForAMM and
    InsufficientDataPoints; MarginCalc rejects NonPositive/TooVolatile/TooUncertain/
    StaleForMargin; FillOrderMatch rejects NonPositive/TooVolatile/TooUncertain; Liquidate and
    TriggerOrder reject NonPositive/TooVolatile; UpdateTwap and UpdateAMMCurve reject NonPositive.

    Source: programs/drift/src/math/oracle.rs::is_oracle_valid_for_action
    """
    if action is None or action is DriftAction.FillOrderAmm:
        return validity is OracleValidity.Valid
    if action is DriftAction.UpdateFunding or action is DriftAction.SettlePnl:
        return validity in _UPDATE_FUNDING_OK
    if action is DriftAction.OracleOrderPrice:
        return validity in _ORACLE_ORDER_PRICE_OK
    if action is DriftAction.MarginCalc:
        return validity not in _MARGIN_CALC_BAD
    if action is DriftAction.FillOrderMatch:
        return validity not in _FILL_MATCH_BAD
    if action is DriftAction.Liquidate or action is DriftAction.TriggerOrder:
        return validity not in _LIQUIDATE_BAD
    return validity is not OracleValidity.NonPositive  # UpdateTwap, UpdateAMMCurve


def get_max_confidence_interval_multiplier(contract_tier: ContractTier) -> int:
    """Multiplier of the confidence guard rail by tier: A/B 1, C 2, Speculative 10,
    HighlySpeculative/Isolated 50.

    Source: programs/drift/src/state/perp_market.rs::PerpMarket::get_max_confidence_interval_multiplier
    """
    return _CONFIDENCE_MULTIPLIER[contract_tier]


def is_oracle_too_divergent_with_twap_5min(
    oracle_price: int, oracle_twap_5min: int, max_divergence: int
) -> bool:
    """True when ``|oracle - twap5| * 1e6 / |twap5|`` (truncated) >= `max_divergence` (1e6).

    Source: programs/drift/src/math/orders.rs::is_oracle_too_divergent_with_twap_5min
    """
    percent_diff = div_trunc(
        abs(oracle_price - oracle_twap_5min) * PERCENTAGE_PRECISION, abs(oracle_twap_5min)
    )
    return percent_diff >= max_divergence


def get_oracle_status(
    market: PerpMarket,
    oracle_price_data: OraclePriceData,
    guard_rails: OracleGuardRails,
    reserve_price: int,
) -> OracleStatus:
    """Validity of the reading plus the reserve price's divergence from the 5-min oracle TWAP.

    Source: programs/drift/src/math/oracle.rs::get_oracle_status
    """
    amm = market.amm
    validity = oracle_validity(
        MarketType.Perp,
        market.market_index,
        amm.historical_oracle_data.last_oracle_price_twap,
        oracle_price_data,
        guard_rails.validity,
        get_max_confidence_interval_multiplier(market.contract_tier),
        amm.oracle_source,
    )
    spread_pct = calculate_oracle_twap_5min_price_spread_pct(amm, reserve_price)
    return OracleStatus(
        price_data=oracle_price_data,
        oracle_reserve_price_spread_pct=spread_pct,
        mark_too_divergent=is_oracle_mark_too_divergent(spread_pct, guard_rails.price_divergence),
        oracle_validity=validity,
    )


def block_operation(
    market: PerpMarket,
    oracle_price_data: OraclePriceData,
    guard_rails: OracleGuardRails,
    reserve_price: int,
    slot: int,
) -> bool:
    """True when a funding update must be skipped: the AMM was last updated more than
    funding_period slots ago, the oracle is not valid for UpdateFunding, the reserve price is
    too far from the 5-min oracle TWAP, or funding is paused on the market.

    Source: programs/drift/src/math/oracle.rs::block_operation
    """
    status = get_oracle_status(market, oracle_price_data, guard_rails, reserve_price)
    slots_since_amm_update = max(0, slot - market.amm.last_update_slot)
    return (
        slots_since_amm_update > market.amm.funding_period
        or not is_oracle_valid_for_action(status.oracle_validity, DriftAction.UpdateFunding)
        or status.mark_too_divergent
        or market.is_operation_paused(PerpOperation.UpdateFunding)
    )


def get_price_data_and_validity(
    oracle_map: OracleMap,
    market_type: MarketType,
    market_index: int,
    last_oracle_price_twap: int,
    max_confidence_interval_multiplier: int,
) -> tuple[OraclePriceData, OracleValidity]:
    """A market's oracle reading and its validity class, memoised for the current slot.

    The memo lives in `oracle_map.cache` (cleared whenever a reading is published) and is keyed
    by everything the classification reads, so it returns exactly what `oracle_validity` would.

    Source: programs/drift/src/state/oracle_map.rs::OracleMap::get_price_data_and_validity
    """
    key = (market_type, market_index, oracle_map.slot, last_oracle_price_twap, max_confidence_interval_multiplier)
    cached = oracle_map.cache.get(key)
    if cached is not None:
        return cached
    price_data = oracle_map.get_price_data(market_type, market_index)
    validity = oracle_validity(
        market_type,
        market_index,
        last_oracle_price_twap,
        price_data,
        oracle_map.oracle_guard_rails.validity,
        max_confidence_interval_multiplier,
        oracle_map.readings[(market_type, market_index)].source,
    )
    oracle_map.cache[key] = (price_data, validity)
    return price_data, validity


copy_by_constructor(OracleStatus)
