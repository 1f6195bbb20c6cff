"""The Drift venue builds its markets from the scenario's presets."""

from __future__ import annotations

from ballast.drift.market_presets import PERP_MARKET_EXTRAS, PERP_MARKET_PRESETS
from ballast.drift.state.perp_market import ContractTier
from ballast.sim import parse_scenario
from ballast.sim.venues.drift import DriftVenue, usd

P = 10**6


def _venue(market: dict) -> DriftVenue:
    scenario = parse_scenario({"markets": [market], "agents": [{"kind": "noise_taker", "name": "n",
                                                                "market": market["name"]}]})
    venue = DriftVenue(scenario.venues[0])
    venue.setup(scenario, {market["name"]: 100 * P})
    return venue


def test_preset_market_starts_with_its_mainnet_fee_pool_as_budget():
    venue = _venue({"name": "SOL-PERP"})
    expected = usd(PERP_MARKET_EXTRAS["SOL-PERP"].fee_pool_usd)
    amm = venue.exchange.perp_markets[0].amm
    assert venue.pools(0)[1] == expected
    assert amm.total_fee_minus_distributions == expected
    assert venue.exchange.audit().balanced


def test_bootstrap_market_starts_with_an_empty_fee_pool():
    venue = _venue({"name": "X", "preset": "drift/bootstrap"})
    assert venue.pools(0)[1] == 0


def test_preset_engine_parameters_reach_the_market():
    venue = _venue({"name": "BTC-PERP"})
    market = venue.exchange.perp_markets[0]
    preset = PERP_MARKET_PRESETS["BTC-PERP"]
    assert (market.margin_ratio_initial, market.imf_factor, market.contract_tier) == (
        preset.margin_ratio_initial, preset.imf_factor, ContractTier[preset.contract_tier])
    assert (market.amm.order_step_size, market.amm.amm_jit_intensity, market.amm.base_spread) == (
        preset.order_step_size, preset.amm_jit_intensity, preset.base_spread)
    assert market.amm.max_open_interest == preset.max_open_interest_base * 10**9


def test_preset_market_runs_its_mainnet_per_lp_base():
    assert _venue({"name": "SOL-PERP"}).exchange.perp_markets[0].amm.per_lp_base == PERP_MARKET_EXTRAS["SOL-PERP"].per_lp_base
    assert _venue({"name": "X", "preset": "drift/bootstrap", "per_lp_base": -2}).exchange.perp_markets[0].amm.per_lp_base == -2
