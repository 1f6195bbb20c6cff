"""The de-risk and liquidation prices: at the price returned the engine's own check fails once the
oracle is really published there, a tolerance nearer the oracle it passes; computing them leaves
the exchange untouched."""

from __future__ import annotations

import pytest

from ballast.drift.math.margin import (
    calculate_margin_requirement_and_total_collateral_and_liability_info,
)
from ballast.drift.presets import add_perp_market, fund_user, new_exchange
from ballast.drift.state.margin_calculation import MarginContext, MarginRequirementType
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.user import OrderType, PositionDirection
from ballast.sim.liquidation_price import TOLERANCE_BPS, breach_prices, closest_distance_pct

PRICE = 100 * 10**6


def _exchange_with_taker(direction: PositionDirection, base: int = 10 * 10**9, dollars: int = 200):
    ex = new_exchange()
    market = add_perp_market(ex, price_dollars=100)
    fund_user(ex, "t", dollars)
    ex.place_and_take_perp_order("t", 0, OrderParams(order_type=OrderType.Market, direction=direction,
                                                     base_asset_amount=base, market_index=market))
    return ex, market


def _exchange_with_provider():
    from ballast.drift.bal import lp_shares_for_leverage

    ex = new_exchange()
    market = add_perp_market(ex, price_dollars=100)
    fund_user(ex, "lp", 1_000)
    ex.add_perp_lp_shares("lp", 0, market, lp_shares_for_leverage(ex, "lp", 0, market, 60))
    fund_user(ex, "t", 100_000)
    ex.place_and_take_perp_order("t", 0, OrderParams(order_type=OrderType.Market, direction=PositionDirection.Long,
                                                     base_asset_amount=50 * 10**9, market_index=market))
    return ex, market


def _passes(ex, authority: str, market: int, price: int, context: MarginContext, buffered: bool) -> bool:
    """Publish `price` through the exchange, then run the engine's margin calculation on the user."""
    ex.update_oracle_price(market, price)
    result = calculate_margin_requirement_and_total_collateral_and_liability_info(
        ex.user(authority, 0), ex.perp_markets, ex.spot_markets, ex.oracle_map, context)
    return result.meets_margin_requirement_with_buffer() if buffered else result.meets_margin_requirement()


def _tolerance(oracle: int) -> int:
    return max(1, oracle * TOLERANCE_BPS // 10_000)


MAINTENANCE = MarginContext.standard(MarginRequirementType.Maintenance)


def test_a_long_is_liquidated_at_its_price_below_and_not_a_tolerance_above_it():
    ex, market = _exchange_with_taker(PositionDirection.Long)
    prices = breach_prices(ex, "t", 0, market)
    assert prices.derisk_below is None and prices.derisk_above is None  # no BAL shares
    assert prices.liquidation_above is None  # a long is not liquidated by a rise
    below = prices.liquidation_below
    assert below is not None and 0 < below < PRICE
    assert not _passes(ex, "t", market, below, MAINTENANCE, buffered=False)
    assert _passes(ex, "t", market, below + _tolerance(PRICE), MAINTENANCE, buffered=False)


def test_a_long_liquidation_price_matches_the_closed_form():
    # maintenance 5%: collateral + base x p + quote = 5% x base x p  =>  p = -(collateral + quote) / (0.95 base)
    ex, market = _exchange_with_taker(PositionDirection.Long)
    position = ex.user("t", 0).get_perp_position(market)
    expected = -(200 * 10**6 + position.quote_asset_amount) / (0.95 * position.base_asset_amount / 10**9)
    assert breach_prices(ex, "t", 0, market).liquidation_below == pytest.approx(expected, abs=_tolerance(PRICE) + 1)


def test_a_short_is_liquidated_at_its_price_above():
    ex, market = _exchange_with_taker(PositionDirection.Short)
    prices = breach_prices(ex, "t", 0, market)
    above = prices.liquidation_above
    assert prices.liquidation_below is None and above is not None and above > PRICE
    assert not _passes(ex, "t", market, above, MAINTENANCE, buffered=False)
    assert _passes(ex, "t", market, above - _tolerance(PRICE), MAINTENANCE, buffered=False)


def test_a_provider_is_de_risked_nearer_the_oracle_than_it_is_liquidated():
    ex, market = _exchange_with_provider()
    prices = breach_prices(ex, "lp", 0, market)
    oracle = ex.oracle_map.get_perp(market).price
    side = "above" if prices.derisk_above is not None else "below"
    derisk, liquidation = getattr(prices, f"derisk_{side}"), getattr(prices, f"liquidation_{side}")
    assert derisk is not None and liquidation is not None and derisk != oracle  # not breached yet
    assert abs(derisk - oracle) < abs(liquidation - oracle)
    towards = -1 if side == "above" else 1  # a tolerance nearer the oracle
    buffered = MarginContext(MarginRequirementType.Initial, margin_buffer=ex.state.liquidation_margin_buffer_ratio)
    assert not _passes(ex, "lp", market, derisk, buffered, buffered=True)
    assert _passes(ex, "lp", market, derisk + towards * _tolerance(oracle), buffered, buffered=True)


def test_computing_the_prices_leaves_the_exchange_as_it_was():
    ex, market = _exchange_with_provider()
    before = ex.state_digest()
    breach_prices(ex, "lp", 0, market)
    assert ex.state_digest() == before
    assert ex.oracle_map.get_perp(market).price == PRICE


def test_a_subaccount_with_nothing_in_the_market_has_no_prices():
    ex = new_exchange()
    market = add_perp_market(ex, price_dollars=100)
    fund_user(ex, "idle", 1_000)
    assert breach_prices(ex, "idle", 0, market) == (None, None, None, None)


def test_an_account_already_under_maintenance_is_at_the_oracle_on_both_sides():
    ex, market = _exchange_with_taker(PositionDirection.Long)
    ex.update_oracle_price(market, 50 * 10**6)  # far below the ~$84 liquidation price
    prices = breach_prices(ex, "t", 0, market)
    assert prices.liquidation_below == prices.liquidation_above == 50 * 10**6


def test_closest_distance_is_the_nearest_breach_over_the_samples_in_pct_of_the_oracle():
    oracle = [100.0, 100.0, 50.0]
    below = [80.0, None, 49.0]
    above = [None, 130.0, None]
    assert closest_distance_pct(oracle, below, above) == pytest.approx(2.0)
    assert closest_distance_pct([100.0], [None], [None]) is None
