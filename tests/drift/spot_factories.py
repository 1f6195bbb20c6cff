"""Spot market factories of the reference's tests, shared by the spot test modules.

Source: programs/drift/src/state/spot_market.rs::SpotMarket::{default_base_market, default_quote_market}
"""

from __future__ import annotations

from ballast.drift.constants import PRICE_PRECISION, SPOT_CUMULATIVE_INTEREST_PRECISION
from ballast.drift.state.perp_market import HistoricalOracleData
from ballast.drift.state.spot_market import SpotMarket, SpotMarketStatus

CI = SPOT_CUMULATIVE_INTEREST_PRECISION
PRICE = PRICE_PRECISION


def default_base_market(**overrides) -> SpotMarket:
    """SpotMarket::default_base_market"""
    fields = dict(
        market_index=1,
        cumulative_deposit_interest=CI,
        cumulative_borrow_interest=CI,
        initial_liability_weight=12000,
        maintenance_liability_weight=11000,
        initial_asset_weight=8000,
        maintenance_asset_weight=9000,
        decimals=9,
        order_step_size=1,
        order_tick_size=1,
        status=SpotMarketStatus.Active,
    )
    fields.update(overrides)
    return SpotMarket(**fields)


def default_quote_market(**overrides) -> SpotMarket:
    """SpotMarket::default_quote_market"""
    fields = dict(
        cumulative_deposit_interest=CI,
        cumulative_borrow_interest=CI,
        decimals=6,
        initial_liability_weight=10000,
        maintenance_liability_weight=10000,
        initial_asset_weight=10000,
        maintenance_asset_weight=10000,
        order_tick_size=1,
        status=SpotMarketStatus.Active,
        historical_oracle_data=HistoricalOracleData(
            last_oracle_price_twap=PRICE, last_oracle_price_twap_5min=PRICE
        ),
    )
    fields.update(overrides)
    return SpotMarket(**fields)
