"""Admin instruction update_perp_market_unrealized_asset_weight: sets both weights; refuses bad
values with a typed error and leaves the exchange unchanged.

Source: programs/drift/src/instructions/admin.rs::handle_update_perp_market_unrealized_asset_weight
"""

from __future__ import annotations

import pytest

from ballast.drift.errors import DriftError, PerpMarketNotFound
from ballast.drift.presets import add_perp_market, new_exchange


@pytest.fixture
def exchange_and_market():
    ex = new_exchange()
    market_index = add_perp_market(ex, 100)
    return ex, market_index


def test_update_sets_both_unrealized_asset_weights(exchange_and_market):
    ex, market_index = exchange_and_market

    ex.update_perp_market_unrealized_asset_weight(market_index, 4_000, 8_000)

    market = ex.perp_market(market_index)
    assert (
        market.unrealized_pnl_initial_asset_weight,
        market.unrealized_pnl_maintenance_asset_weight,
    ) == (4_000, 8_000)


def test_update_accepts_equal_weights_at_one_hundred_percent(exchange_and_market):
    ex, market_index = exchange_and_market

    ex.update_perp_market_unrealized_asset_weight(market_index, 10_000, 10_000)

    market = ex.perp_market(market_index)
    assert (
        market.unrealized_pnl_initial_asset_weight,
        market.unrealized_pnl_maintenance_asset_weight,
    ) == (10_000, 10_000)


@pytest.mark.parametrize(
    ("initial", "maintenance", "shown"),
    [
        (6_000, 5_000, r"6000.*5000"),
        (10_001, 10_001, r"10001"),
        (0, 10_001, r"10001"),
        (-1, 5_000, r"-1"),
        (0, -1, r"-1"),
        (0.5, 5_000, r"0\.5"),
        (0, 5_000.0, r"5000\.0"),
        (True, 5_000, r"True"),
        ("0", 5_000, r"'0'"),
    ],
    ids=[
        "initial_above_maintenance",
        "both_above_100pct",
        "maintenance_above_100pct",
        "negative_initial",
        "negative_maintenance",
        "float_initial",
        "float_maintenance",
        "bool_initial",
        "str_initial",
    ],
)
def test_bad_weights_are_a_drift_error_naming_the_value(
    exchange_and_market, initial, maintenance, shown
):
    ex, market_index = exchange_and_market

    with pytest.raises(DriftError, match=shown):
        ex.update_perp_market_unrealized_asset_weight(market_index, initial, maintenance)


@pytest.mark.parametrize(
    ("initial", "maintenance"),
    [(6_000, 5_000), (10_001, 10_001), (-1, 5_000), (0.5, 5_000), (0, 5_000.0)],
    ids=[
        "initial_above_maintenance",
        "above_100pct",
        "negative",
        "float_initial",
        "float_maintenance",
    ],
)
def test_bad_weights_leave_the_state_unchanged(exchange_and_market, initial, maintenance):
    ex, market_index = exchange_and_market
    before = ex.state_digest()

    with pytest.raises(DriftError):
        ex.update_perp_market_unrealized_asset_weight(market_index, initial, maintenance)

    assert ex.state_digest() == before


def test_initial_above_maintenance_keeps_the_previous_weights(exchange_and_market):
    ex, market_index = exchange_and_market
    ex.update_perp_market_unrealized_asset_weight(market_index, 1_000, 9_000)

    with pytest.raises(DriftError):
        ex.update_perp_market_unrealized_asset_weight(market_index, 9_500, 9_000)

    market = ex.perp_market(market_index)
    assert (
        market.unrealized_pnl_initial_asset_weight,
        market.unrealized_pnl_maintenance_asset_weight,
    ) == (1_000, 9_000)


def test_unknown_market_is_perp_market_not_found(exchange_and_market):
    ex, market_index = exchange_and_market
    before = ex.state_digest()

    with pytest.raises(PerpMarketNotFound, match=str(market_index + 1)):
        ex.update_perp_market_unrealized_asset_weight(market_index + 1, 0, 10_000)

    assert ex.state_digest() == before
