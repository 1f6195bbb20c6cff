"""Swap math: which margin requirement a swap must meet, and its price bands.

Reference vectors: programs/drift/src/math/spot_swap/tests.rs (each case names its test), over
SpotMarket::default_quote_market (USDC) and default_base_market (SOL, weights 8000/9000/
12000/11000), HistoricalOracleData::default_price.
"""

from __future__ import annotations

import pytest

from ballast.drift.constants import PERCENTAGE_PRECISION, PRICE_PRECISION
from ballast.drift.errors import PriceBandsBreached
from ballast.drift.math.spot_balance import StrictOraclePrice
from ballast.drift.math.spot_swap import (
    calculate_swap_price,
    select_margin_type_for_swap,
    validate_price_bands_for_swap,
)
from ballast.drift.state.margin_calculation import MarginRequirementType
from ballast.drift.state.perp_market import HistoricalOracleData
from tests.drift.spot_factories import default_base_market, default_quote_market

PRICE = PRICE_PRECISION
USDC = 10**6
SOL = 10**9
Initial, Maintenance = MarginRequirementType.Initial, MarginRequirementType.Maintenance


@pytest.mark.parametrize(
    ("case", "usdc_before", "sol_before", "usdc_after", "sol_after", "expected"),
    [
        ("sell_usdc_buy_sol_decrease_health", 100 * USDC, 0, -100 * USDC, 2 * SOL, Initial),
        ("sell_usdc_buy_sol_increase_health", 200 * USDC, -SOL, 100 * USDC, 0, Maintenance),
        ("buy_usdc_sell_sol_decrease_health", 0, SOL, 200 * USDC, -SOL, Initial),
        ("buy_usdc_sell_sol_increase_health", -100 * USDC, 2 * SOL, 0, SOL, Maintenance),
    ],
)
def test_swap_that_raises_weighted_collateral_needs_only_maintenance(
    case, usdc_before, sol_before, usdc_after, sol_after, expected
):
    # math/spot_swap/tests.rs::test::<case>: USDC at $1, SOL at $100, no twap
    margin_type, risk_increasing = select_margin_type_for_swap(
        default_quote_market(), default_base_market(), StrictOraclePrice(PRICE), StrictOraclePrice(100 * PRICE),
        usdc_before, sol_before, usdc_after, sol_after, Initial,
    )
    assert margin_type is expected
    assert risk_increasing is (expected is Initial)


def _priced(market, price):
    market.historical_oracle_data = HistoricalOracleData(
        last_oracle_price=price, last_oracle_delay=10, last_oracle_price_twap=price,
        last_oracle_price_twap_5min=price,
    )
    return market


HALF = PERCENTAGE_PRECISION // 2


@pytest.mark.parametrize(
    ("case", "in_market", "out_market", "amount_in", "amount_out", "in_price", "out_price", "ok"),
    [
        # validate_price_bands_for_swap::sol_in_usdc_out
        ("sol_in_usdc_out", (1, 100), (0, 1), SOL, 100 * USDC, 100 * PRICE, PRICE, True),
        ("sol_in_usdc_out: oracle band", (1, 100), (0, 1), SOL, 79 * USDC, 100 * PRICE, PRICE, False),
        ("sol_in_usdc_out: twap band", (1, 100), (0, 1), SOL, 49 * USDC, 49 * PRICE, PRICE, False),
        # validate_price_bands_for_swap::usdc_in_sol_out
        ("usdc_in_sol_out", (0, 1), (1, 100), 100 * USDC, SOL, PRICE, 100 * PRICE, True),
        ("usdc_in_sol_out: oracle band", (0, 1), (1, 100), 100 * USDC, 79 * SOL // 100, PRICE, 100 * PRICE, False),
        ("usdc_in_sol_out: twap band", (0, 1), (1, 100), 100 * USDC, 49 * SOL // 100, PRICE, 200 * PRICE, False),
        # validate_price_bands_for_swap::sol_in_btc_out (BTC: a 6-decimal base market at $20k)
        ("sol_in_btc_out", (1, 100), (3, 20000), SOL, USDC // 200, 100 * PRICE, 20000 * PRICE, True),
        ("sol_in_btc_out: oracle band", (1, 100), (3, 20000), SOL, 79 * USDC // 20000, 100 * PRICE, 20000 * PRICE, False),
        ("sol_in_btc_out: twap band", (1, 100), (3, 20000), SOL, 49 * USDC // 20000, 49 * PRICE, 20000 * PRICE, False),
    ],
)
def test_swap_price_bands(case, in_market, out_market, amount_in, amount_out, in_price, out_price, ok):
    def market(spec):
        index, dollars = spec
        if index == 0:
            return _priced(default_quote_market(), dollars * PRICE)
        if index == 3:
            return _priced(default_base_market(market_index=3, decimals=6), dollars * PRICE)
        return _priced(default_base_market(), dollars * PRICE)

    args = (market(in_market), market(out_market), amount_in, amount_out, in_price, out_price, HALF)
    if ok:
        validate_price_bands_for_swap(*args)
    else:
        with pytest.raises(PriceBandsBreached):
            validate_price_bands_for_swap(*args)


def test_swap_price_is_out_tokens_per_in_token():
    # 100 USDC for 1 SOL: 100 USDC per SOL, 0.01 SOL per USDC (1e6 precision)
    assert calculate_swap_price(100 * USDC, SOL, 6, 9) == 100 * PRICE
    assert calculate_swap_price(SOL, 100 * USDC, 9, 6) == PRICE // 100
