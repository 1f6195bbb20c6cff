"""Admin `deposit_into_perp_market_fee_pool`: outside money into a perp market's fee pool."""

from __future__ import annotations

import pytest

from ballast.drift.errors import DriftError, PerpMarketNotFound
from ballast.drift.insurance_views import pools
from ballast.drift.presets import add_perp_market, new_exchange

USDC = 10**6


@pytest.fixture
def exchange():
    ex = new_exchange()
    add_perp_market(ex, 100)
    return ex


def test_deposit_grows_the_fee_pool_the_budget_and_the_vault_alike(exchange):
    amm = exchange.perp_markets[0].amm
    vault_before = exchange.spot_markets[0].vault_amount
    exchange.deposit_into_perp_market_fee_pool(0, 5_000 * USDC)
    assert amm.total_fee_minus_distributions == 5_000 * USDC
    assert pools(exchange, 0)["fee_pool"] == 5_000 * USDC
    assert exchange.spot_markets[0].vault_amount - vault_before == 5_000 * USDC
    assert exchange.audit().balanced


@pytest.mark.parametrize("amount", [0, -1, 2**64, 1.5, True])
def test_bad_amount_is_refused_and_changes_nothing(exchange, amount):
    digest = exchange.state_digest()
    with pytest.raises(DriftError, match="amount"):
        exchange.deposit_into_perp_market_fee_pool(0, amount)
    assert exchange.state_digest() == digest


def test_unknown_market_is_refused(exchange):
    with pytest.raises(PerpMarketNotFound):
        exchange.deposit_into_perp_market_fee_pool(7, USDC)
