"""Oracle validity, permitted actions and divergence guards (math/oracle.rs)."""

from __future__ import annotations

import pytest

from ballast.drift.math.oracle import (
    block_operation,
    get_max_confidence_interval_multiplier,
    get_oracle_status,
    is_oracle_too_divergent_with_twap_5min,
    is_oracle_valid_for_action,
    oracle_validity,
)
from ballast.drift.state.oracle import DriftAction, OraclePriceData, OracleSource, OracleValidity
from ballast.drift.state.perp_market import (
    AMM,
    ContractTier,
    HistoricalOracleData,
    PerpMarket,
    PerpOperation,
)
from ballast.drift.state.state import (
    OracleGuardRails,
    PriceDivergenceGuardRails,
    ValidityGuardRails,
)
from ballast.drift.state.user import MarketType

P = 10**6
R = 10**9
RAILS = ValidityGuardRails(
    slots_before_stale_for_amm=10,
    slots_before_stale_for_margin=120,
    confidence_interval_max_size=20000,
    too_volatile_ratio=5,
)


@pytest.mark.parametrize(
    ("price", "twap", "conf", "delay", "sufficient", "source", "expected"),
    [
        (0, 34 * P, 0, 0, True, OracleSource.Pyth, OracleValidity.NonPositive),
        (-1, 34 * P, 0, 0, True, OracleSource.Pyth, OracleValidity.NonPositive),
        # 34e6 / 5e6 = 6 > 5
        (34 * P, 5 * P, 0, 0, True, OracleSource.Pyth, OracleValidity.TooVolatile),
        # 35e6 / 7e6 = 5, not above 5
        (35 * P, 7 * P, 0, 0, True, OracleSource.Pyth, OracleValidity.Valid),
        # conf 1e6 / 34e6 = 29_411 > 20_000 (tier multiplier 1)
        (34 * P, 34 * P, P, 0, True, OracleSource.Pyth, OracleValidity.TooUncertain),
        (34 * P, 34 * P, 0, 121, True, OracleSource.Pyth, OracleValidity.StaleForMargin),
        # stablecoin feeds get 3 x 120 slots
        (34 * P, 34 * P, 0, 121, True, OracleSource.PythStableCoin, OracleValidity.StaleForAMM),
        (34 * P, 34 * P, 0, 1, False, OracleSource.Pyth, OracleValidity.InsufficientDataPoints),
        (34 * P, 34 * P, 0, 11, True, OracleSource.Pyth, OracleValidity.StaleForAMM),
        (34 * P, 34 * P, 0, 10, True, OracleSource.Pyth, OracleValidity.Valid),
    ],
)
def test_oracle_validity_first_match_wins(price, twap, conf, delay, sufficient, source, expected):
    data = OraclePriceData(
        price=price, confidence=conf, delay=delay, has_sufficient_number_of_data_points=sufficient
    )

    assert oracle_validity(MarketType.Perp, 0, twap, data, RAILS, 1, source) is expected


def test_oracle_validity_scales_confidence_limit_by_multiplier():
    # 29_411 <= 20_000 * 2
    data = OraclePriceData(price=34 * P, confidence=P)

    assert oracle_validity(MarketType.Perp, 0, 34 * P, data, RAILS, 2) is OracleValidity.Valid


V = OracleValidity
A = DriftAction
ALL = list(OracleValidity)
PERMITTED = {
    # drift_core.md 14.2
    A.FillOrderAmm: {V.Valid},
    A.UpdateFunding: {V.Valid, V.StaleForAMM, V.InsufficientDataPoints, V.StaleForMargin},
    A.SettlePnl: {V.Valid, V.StaleForAMM, V.InsufficientDataPoints, V.StaleForMargin},
    A.OracleOrderPrice: {V.Valid, V.StaleForAMM, V.InsufficientDataPoints},
    A.MarginCalc: {V.InsufficientDataPoints, V.StaleForAMM, V.Valid},
    A.FillOrderMatch: {V.StaleForMargin, V.InsufficientDataPoints, V.StaleForAMM, V.Valid},
    A.Liquidate: {V.TooUncertain, V.StaleForMargin, V.InsufficientDataPoints, V.StaleForAMM, V.Valid},
    A.TriggerOrder: {V.TooUncertain, V.StaleForMargin, V.InsufficientDataPoints, V.StaleForAMM, V.Valid},
    A.UpdateTwap: set(ALL) - {V.NonPositive},
    A.UpdateAMMCurve: set(ALL) - {V.NonPositive},
    None: {V.Valid},
}


@pytest.mark.parametrize(
    ("action", "validity"),
    [(action, validity) for action in PERMITTED for validity in ALL],
)
def test_oracle_valid_for_action_table(action, validity):
    assert is_oracle_valid_for_action(validity, action) is (validity in PERMITTED[action])


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        (ContractTier.A, 1),
        (ContractTier.B, 1),
        (ContractTier.C, 2),
        (ContractTier.Speculative, 10),
        (ContractTier.HighlySpeculative, 50),
        (ContractTier.Isolated, 50),
    ],
)
def test_max_confidence_interval_multiplier_by_tier(tier, expected):
    assert get_max_confidence_interval_multiplier(tier) == expected


@pytest.mark.parametrize(
    ("oracle", "twap5", "max_divergence", "expected"),
    [
        (150 * P, 100 * P, 500_000, True),  # 50% >= 50%
        (149 * P, 100 * P, 500_000, False),  # 49%
        (50 * P, 100 * P, 500_000, True),  # |-50%|
        # 1e6 * 1e6 / 3e6 = 333_333.3 -> 333_333 < 333_334
        (4 * P, 3 * P, 333_334, False),
    ],
)
def test_oracle_too_divergent_with_twap_5min(oracle, twap5, max_divergence, expected):
    assert is_oracle_too_divergent_with_twap_5min(oracle, twap5, max_divergence) is expected


def _oracle_valid_market() -> PerpMarket:
    # math/oracle/tests.rs::calculate_oracle_valid (tier A: the reference default of that test)
    amm = AMM(
        base_asset_reserve=2 * R,
        quote_asset_reserve=2 * R,
        peg_multiplier=33 * P,
        historical_oracle_data=HistoricalOracleData(
            last_oracle_price_twap_5min=32 * P,
            last_oracle_price_twap=32 * P - 1000,
            last_oracle_price_twap_ts=1656682258,
        ),
        mark_std=P,
        last_mark_price_twap_ts=1656682258,
        funding_period=3600,
    )
    return PerpMarket(amm=amm, contract_tier=ContractTier.A)


GUARD_RAILS = OracleGuardRails(
    price_divergence=PriceDivergenceGuardRails(
        mark_oracle_percent_divergence=1, oracle_twap_5min_percent_divergence=10
    ),
    validity=RAILS,
)


@pytest.mark.parametrize(
    ("delay", "conf", "twap5", "validity", "spread_pct", "divergent"),
    [
        # math/oracle/tests.rs::calculate_oracle_valid
        (1, P // 100, 32 * P, OracleValidity.Valid, 30303, False),
        (11, P // 100, 32 * P, OracleValidity.StaleForAMM, 30303, False),
        (8, P // 100, 29 * P, OracleValidity.Valid, 121212, True),
        (8, P, 29 * P, OracleValidity.TooUncertain, 121212, True),
    ],
)
def test_oracle_status_cases(delay, conf, twap5, validity, spread_pct, divergent):
    market = _oracle_valid_market()
    market.amm.historical_oracle_data.last_oracle_price_twap_5min = twap5
    data = OraclePriceData(price=34 * P, confidence=conf, delay=delay)

    status = get_oracle_status(market, data, GUARD_RAILS, 33 * P)

    assert status.oracle_validity is validity
    assert status.oracle_reserve_price_spread_pct == spread_pct
    assert status.mark_too_divergent is divergent


@pytest.mark.parametrize(
    ("slot", "delay", "twap5", "paused", "expected"),
    [
        (100, 1, 32 * P, 0, False),
        (100 + 3601, 1, 32 * P, 0, True),  # amm not updated for more than funding_period slots
        (100, 121, 32 * P, 0, False),  # StaleForMargin still permits UpdateFunding
        (100, 1, 29 * P, 0, True),  # reserve too far from the 5-min oracle twap
        (100, 1, 32 * P, PerpOperation.UpdateFunding, True),  # funding paused
    ],
)
def test_block_operation_for_funding(slot, delay, twap5, paused, expected):
    market = _oracle_valid_market()
    market.amm.last_update_slot = 100
    market.amm.historical_oracle_data.last_oracle_price_twap_5min = twap5
    market.paused_operations = paused
    data = OraclePriceData(price=34 * P, confidence=P // 100, delay=delay)

    assert block_operation(market, data, GUARD_RAILS, 33 * P, slot) is expected
