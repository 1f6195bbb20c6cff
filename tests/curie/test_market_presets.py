"""Real Curie (Optimism) market presets: complete, in the engine's ranges, accepted by the engine."""

from __future__ import annotations

import dataclasses

import pytest

from ballast.curie.clearing_house import FEE_TIER_TICK_SPACING, ClearingHouse
from ballast.curie.market_presets import CURIE_MARKET_PRESETS, CurieMarketPreset
from ballast.curie.state.config import ClearingHouseConfig
from ballast.curie.univ3 import tick_math
from ballast.sim.scenario import CurieParams
from ballast.sim.venues.curie import sqrt_price_x96

E18 = 10**18
USDC = 10**6
T0 = 1_700_000_000
NAMES = sorted(CURIE_MARKET_PRESETS)


def test_required_markets_present() -> None:
    assert {"vETH", "vBTC"} <= set(CURIE_MARKET_PRESETS)
    for name in NAMES:
        assert CURIE_MARKET_PRESETS[name].name == name


@pytest.mark.parametrize("name", NAMES)
def test_every_field_has_a_value_of_its_type(name: str) -> None:
    preset = CURIE_MARKET_PRESETS[name]
    for field in dataclasses.fields(CurieMarketPreset):
        value = getattr(preset, field.name)
        expected = {"int": int, "float": float, "str": str}[str(field.type)]
        assert type(value) is expected, (name, field.name, value)


def test_field_names_are_the_scenario_keys() -> None:
    preset_fields = {f.name for f in dataclasses.fields(CurieMarketPreset)}
    scenario_keys = set(CurieParams.model_fields) - {"preset", "mark_price", "taker_price_band_pct"}
    assert scenario_keys <= preset_fields
    assert set(CURIE_MARKET_PRESETS["vETH"].curie_params()) == scenario_keys


@pytest.mark.parametrize("name", NAMES)
def test_values_in_engine_ranges(name: str) -> None:
    p = CURIE_MARKET_PRESETS[name]
    assert p.uniswap_fee_tier in FEE_TIER_TICK_SPACING
    assert 0 < p.mm_ratio < p.im_ratio <= 1_000_000
    for ratio in (p.exchange_fee_ratio, p.insurance_fund_fee_ratio, p.max_price_spread_ratio,
                  p.liquidation_penalty_ratio):
        assert 0 <= ratio < 1_000_000
    assert 0 <= p.max_funding_rate <= 1_000_000
    assert p.liquidation_penalty_ratio < p.mm_ratio
    assert p.twap_interval >= 0 and p.max_tick_crossed_within_block > 0 and p.start_price_usd > 0
    CurieParams(**p.curie_params())  # the scenario model accepts it as is


@pytest.mark.parametrize("name", NAMES)
def test_preset_initialises_and_trades_on_the_engine(name: str) -> None:
    p = CURIE_MARKET_PRESETS[name]
    house = ClearingHouse(
        config=ClearingHouseConfig(
            im_ratio=p.im_ratio,
            mm_ratio=p.mm_ratio,
            liquidation_penalty_ratio=p.liquidation_penalty_ratio,
            max_funding_rate=p.max_funding_rate,
            twap_interval=p.twap_interval,
        )
    )
    house.update_clock(T0)
    price = round(p.start_price_usd * USDC)
    state = house.add_pool(
        name, sqrt_price_x96(price), p.uniswap_fee_tier, p.exchange_fee_ratio,
        p.insurance_fund_fee_ratio, p.max_price_spread_ratio,
    )
    assert (state.info.uniswap_fee_ratio, state.info.exchange_fee_ratio) == (p.uniswap_fee_tier, p.exchange_fee_ratio)
    assert state.info.insurance_fund_fee_ratio == p.insurance_fund_fee_ratio
    house.update_index_price(name, price * 10**12)
    # A maker quotes 20 tick spacings around the price and a taker buys $1,000 through it.
    spacing = FEE_TIER_TICK_SPACING[p.uniswap_fee_tier]
    tick = tick_math.get_tick_at_sqrt_ratio(state.pool.sqrt_price_x96)
    lower, upper = (tick // spacing - 10) * spacing, (tick // spacing + 10) * spacing
    house.deposit("maker", 1_000_000 * USDC)
    house.deposit("taker", 10_000 * USDC)
    quote = 200_000 * E18
    house.add_liquidity("maker", name, quote * USDC // price, quote, lower, upper)
    house.open_position("taker", name, False, True, 1_000 * E18)
    fee = house.events[-1].fee
    assert fee == 1_000 * E18 * p.exchange_fee_ratio // 1_000_000  # charged on the exact input
    assert house.audit().balanced
