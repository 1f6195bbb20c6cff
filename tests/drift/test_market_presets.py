"""Real Drift market presets: complete, in the engine's ranges, and accepted by the engine."""

from __future__ import annotations

import dataclasses

import pytest

from ballast.drift.constants import (
    AMM_RESERVE_PRECISION,
    BASE_PRECISION,
    LIQUIDATION_FEE_TO_MARGIN_PRECISION_RATIO,
    MAX_MARGIN_RATIO,
    MIN_MARGIN_RATIO,
    PEG_PRECISION,
    PRICE_PRECISION,
    QUOTE_PRECISION,
    SPOT_WEIGHT_PRECISION,
)
from ballast.drift.exchange import Exchange
from ballast.drift.market_presets import (
    FEE_STRUCTURE_SOURCE,
    ORACLE_GUARD_RAILS_SOURCE,
    PERP_MARKET_EXTRAS,
    PERP_MARKET_PRESETS,
    PerpMarketExtras,
    PerpMarketPreset,
)
from ballast.drift.presets import fund_user, new_exchange
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.perp_market import ContractTier
from ballast.drift.state.state import FeeStructure, OracleGuardRails
from ballast.drift.state.user import OrderType, PositionDirection

NAMES = sorted(PERP_MARKET_PRESETS)


def _initialize(exchange: Exchange, preset: PerpMarketPreset) -> int:
    """Initialise `preset` as the next market, with every value initialize_perp_market takes."""
    market_index = exchange.state.number_of_markets
    reserves = preset.base_liquidity_base * AMM_RESERVE_PRECISION
    price = round(preset.start_price_usd * PRICE_PRECISION)
    exchange.initialize_perp_market(
        market_index=market_index,
        amm_base_asset_reserve=reserves,
        amm_quote_asset_reserve=reserves,
        amm_periodicity=preset.funding_period_seconds,
        amm_peg_multiplier=round(preset.start_price_usd * PEG_PRECISION),
        oracle_price=price,
        margin_ratio_initial=preset.margin_ratio_initial,
        margin_ratio_maintenance=preset.margin_ratio_maintenance,
        liquidator_fee=preset.liquidator_fee,
        if_liquidation_fee=preset.if_liquidation_fee,
        imf_factor=preset.imf_factor,
        base_spread=preset.base_spread,
        max_spread=preset.max_spread,
        max_open_interest=preset.max_open_interest_base * BASE_PRECISION,
        max_revenue_withdraw_per_period=round(preset.max_revenue_withdraw_per_period_usd * QUOTE_PRECISION),
        quote_max_insurance=round(preset.quote_max_insurance_usd * QUOTE_PRECISION),
        order_step_size=preset.order_step_size,
        order_tick_size=preset.order_tick_size,
        min_order_size=preset.min_order_size,
        concentration_coef_scale=PERP_MARKET_EXTRAS[preset.name].concentration_coef_scale,
        curve_update_intensity=preset.curve_update_intensity,
        amm_jit_intensity=preset.amm_jit_intensity,
        contract_tier=ContractTier[preset.contract_tier],
        oracle_confidence=price * preset.oracle_confidence_bps // 10_000,
        name=preset.name,
    )
    return market_index


def test_required_markets_present() -> None:
    assert {"SOL-PERP", "BTC-PERP", "ETH-PERP"} <= set(PERP_MARKET_PRESETS)
    assert {"WIF-PERP", "1MBONK-PERP"} <= set(PERP_MARKET_PRESETS)  # thin, high-volatility
    assert set(PERP_MARKET_EXTRAS) == set(PERP_MARKET_PRESETS)
    for name in NAMES:
        assert PERP_MARKET_PRESETS[name].name == name


@pytest.mark.parametrize("name", NAMES)
def test_every_field_has_a_value_of_its_type(name: str) -> None:
    for obj, cls in ((PERP_MARKET_PRESETS[name], PerpMarketPreset), (PERP_MARKET_EXTRAS[name], PerpMarketExtras)):
        for field in dataclasses.fields(cls):
            value = getattr(obj, field.name)
            expected = {"int": int, "float": float, "str": str}[str(field.type)]
            assert type(value) is expected, (name, field.name, value)


@pytest.mark.parametrize("name", NAMES)
def test_values_in_engine_ranges(name: str) -> None:
    p = PERP_MARKET_PRESETS[name]
    assert MIN_MARGIN_RATIO <= p.margin_ratio_maintenance < p.margin_ratio_initial <= MAX_MARGIN_RATIO
    assert p.margin_ratio_maintenance * LIQUIDATION_FEE_TO_MARGIN_PRECISION_RATIO > p.liquidator_fee
    assert p.margin_ratio_initial * 100 > p.max_spread
    assert 0 < p.base_spread < p.max_spread
    assert 0 <= p.curve_update_intensity <= 200 and 0 <= p.amm_jit_intensity <= 200
    assert p.contract_tier in ContractTier.__members__
    assert 0 <= p.unrealized_pnl_initial_asset_weight <= p.unrealized_pnl_maintenance_asset_weight
    assert p.unrealized_pnl_maintenance_asset_weight <= SPOT_WEIGHT_PRECISION
    assert 0 < p.imf_factor <= 1_000_000 and 0 <= p.if_liquidation_fee < 1_000_000
    assert p.order_step_size > 0 and p.min_order_size % p.order_step_size == 0
    assert p.order_tick_size > 0 and p.funding_period_seconds > 0
    assert p.start_price_usd > 0 and p.base_liquidity_base > 0 and p.max_open_interest_base >= 0
    assert p.quote_max_insurance_usd >= 0 and p.max_revenue_withdraw_per_period_usd >= 0
    assert 0 <= p.oracle_confidence_bps < 200  # under the 2% guard rail x the tier multiplier
    assert -9 <= PERP_MARKET_EXTRAS[name].per_lp_base <= 9
    assert PERP_MARKET_EXTRAS[name].concentration_coef_scale > 0
    if p.contract_tier in ("Speculative", "HighlySpeculative", "Isolated"):
        assert p.quote_max_insurance_usd == 0  # no insurance below tier C on mainnet


@pytest.mark.parametrize("name", NAMES)
def test_preset_initialises_and_trades_on_a_fresh_exchange(name: str) -> None:
    preset = PERP_MARKET_PRESETS[name]
    exchange = new_exchange()
    market_index = _initialize(exchange, preset)
    market = exchange.perp_market(market_index)
    assert market.name == preset.name
    assert market.margin_ratio_initial == preset.margin_ratio_initial
    assert market.margin_ratio_maintenance == preset.margin_ratio_maintenance
    assert market.amm.sqrt_k == preset.base_liquidity_base * AMM_RESERVE_PRECISION
    assert market.amm.base_spread == preset.base_spread and market.amm.max_spread == preset.max_spread
    assert market.contract_tier is ContractTier[preset.contract_tier]
    # The engine hard-codes the unrealized-PnL weights; mainnet uses the same values.
    assert market.unrealized_pnl_initial_asset_weight == preset.unrealized_pnl_initial_asset_weight
    assert market.unrealized_pnl_maintenance_asset_weight == preset.unrealized_pnl_maintenance_asset_weight
    # A minimum-size market order fills against the vAMM and the books balance.
    fund_user(exchange, "alice", 1_000_000)
    base, _quote = exchange.place_and_take_perp_order(
        "alice",
        0,
        OrderParams(
            order_type=OrderType.Market,
            direction=PositionDirection.Long,
            base_asset_amount=preset.min_order_size,
            market_index=market_index,
        ),
    )
    if base == 0:
        # The AMM's ask is outside the auction's start price: the order rests in its auction (as
        # on mainnet) and a keeper fills it against the AMM once the auction has run.
        order = next(o for o in exchange.users["alice/0"].orders if o.base_asset_amount)
        exchange.update_clock(exchange.now + order.auction_duration * 2 // 5 + 1)
        price = round(preset.start_price_usd * PRICE_PRECISION)
        exchange.update_oracle_price(market_index, price, price * preset.oracle_confidence_bps // 10_000)
        exchange.initialize_user("filler", 0)
        base, _quote = exchange.fill_perp_order("filler", 0, "alice", 0, order.order_id)
    assert base == preset.min_order_size
    assert exchange.audit().balanced


def test_all_presets_on_one_exchange() -> None:
    exchange = new_exchange()
    for name in NAMES:
        _initialize(exchange, PERP_MARKET_PRESETS[name])
    assert exchange.state.number_of_markets == len(NAMES)


def test_engine_defaults_match_the_reference_defaults_as_reported() -> None:
    fees = FeeStructure()
    assert [t.fee_numerator for t in fees.fee_tiers] == [100, 90, 80, 70, 60, 50]
    assert {t.fee_denominator for t in fees.fee_tiers} == {100_000}
    assert {(t.maker_rebate_numerator, t.referrer_reward_numerator, t.referee_fee_numerator) for t in fees.fee_tiers} == {(20, 15, 5)}
    assert fees.flat_filler_fee == 10_000
    assert fees.filler_reward_structure.reward_numerator == 10
    assert fees.filler_reward_structure.time_based_reward_lower_bound == 10_000
    assert fees.referrer_reward_epoch_upper_bound == 150_000 * QUOTE_PRECISION
    rails = OracleGuardRails()
    assert (rails.price_divergence.mark_oracle_percent_divergence, rails.price_divergence.oracle_twap_5min_percent_divergence) == (100_000, 500_000)
    v = rails.validity
    assert (v.slots_before_stale_for_amm, v.slots_before_stale_for_margin, v.confidence_interval_max_size, v.too_volatile_ratio) == (10, 120, 20_000, 5)
    assert "perps_default" in FEE_STRUCTURE_SOURCE and "OracleGuardRails::default" in ORACLE_GUARD_RAILS_SOURCE
