"""math/amm_jit.py: JIT size, wash-trade guard, and the ProtocolOwned/Shared/LPOwned split."""

from __future__ import annotations

import pytest

from ballast.drift.math.amm_jit import (
    amm_lp_allowed_to_jit_make,
    amm_lp_wants_to_jit_make,
    amm_wants_to_jit_make,
    calculate_amm_jit_liquidity,
    calculate_clamped_jit_base_asset_amount,
    calculate_jit_base_asset_amount,
    imbalanced_base_asset_amount_with_lp,
)
from ballast.drift.state.perp_market import AMM, AMMLiquiditySplit, PerpMarket
from ballast.drift.state.user import PositionDirection

LONG, SHORT = PositionDirection.Long, PositionDirection.Short
P = 10**6
B = 10**9
SPLIT = AMMLiquiditySplit


# math/amm_jit/tests.rs::{balanced_market_zero_jit, balanced_market_zero_intensity,
# balanced_market_full_intensity, balanced_market_half_intensity}
@pytest.mark.parametrize(("with_amm", "intensity", "expected"), [(0, 100, 0), (100, 0, 0), (100, 100, 100), (100, 50, 50)])
def test_clamped_jit_applies_intensity_and_inventory_cap(with_amm, intensity, expected):
    market = PerpMarket(amm=AMM(base_asset_amount_with_amm=with_amm, amm_jit_intensity=intensity))
    assert calculate_clamped_jit_base_asset_amount(market, SPLIT.ProtocolOwned, 100) == expected


def _market(with_amm: int, intensity: int = 100, **amm_fields) -> PerpMarket:
    # symmetric curve: 100 base reserve within [50, 150] -> open bids == |open asks| (balanced).
    fields = dict(
        base_asset_reserve=100 * B,
        quote_asset_reserve=100 * B,
        sqrt_k=100 * B,
        peg_multiplier=100 * P,
        min_base_asset_reserve=50 * B,
        max_base_asset_reserve=150 * B,
        order_step_size=B // 1000,
        short_spread=1000,
        long_spread=1000,
        base_asset_amount_with_amm=with_amm,
        amm_jit_intensity=intensity,
    )
    fields.update(amm_fields)
    return PerpMarket(amm=AMM(**fields))


@pytest.mark.parametrize(
    ("with_amm", "taker", "intensity", "wants"),
    [(-10 * B, LONG, 100, True), (-10 * B, SHORT, 100, False), (10 * B, SHORT, 100, True), (-10 * B, LONG, 0, False)],
)
def test_amm_wants_to_jit_when_taker_unwinds_inventory(with_amm, taker, intensity, wants):
    assert amm_wants_to_jit_make(_market(with_amm, intensity).amm, taker) is wants


def test_balanced_amm_takes_quarter_of_maker_size():
    # maker price at the oracle: no wash reduction; cap = 5, quarter = 2.5.
    assert calculate_jit_base_asset_amount(_market(-10 * B), 10 * B, 100 * P, 100 * P, LONG, SPLIT.ProtocolOwned) == 2_500_000_000


def test_imbalanced_amm_takes_up_to_half_of_maker_size():
    market = _market(-10 * B, base_asset_reserve=60 * B)  # bids 10 vs asks 90: imbalanced
    assert calculate_jit_base_asset_amount(market, 10 * B, 100 * P, 100 * P, LONG, SPLIT.ProtocolOwned) == 5 * B


def test_maker_price_through_oracle_shrinks_jit_cap():
    # taker long at 99.95 (5 bps below oracle 100 minus 1e-6): opposite spread price 0.1,
    # cap scaled by (0.1 - 0.050001)/0.1 of 5 -> 2.49995 < quarter 2.5, stepped to 2.499.
    amount = calculate_jit_base_asset_amount(_market(-10 * B), 10 * B, 99_949_999, 100 * P, LONG, SPLIT.ProtocolOwned)
    assert amount == 2_499_000_000


def test_no_jit_without_valid_oracle():
    assert calculate_jit_base_asset_amount(_market(-10 * B), 10 * B, 100 * P, None, LONG, SPLIT.ProtocolOwned) == 0


def test_limitless_taker_larger_than_maker_gets_no_jit():
    result = calculate_amm_jit_liquidity(_market(-10 * B), LONG, 100 * P, 100 * P, B, 2 * B, B, False, True)
    assert result == (0, SPLIT.ProtocolOwned)


def test_protocol_only_jit_when_intensity_at_most_100():
    market = _market(-10 * B, user_lp_shares=10 * B, base_asset_amount_per_lp=5)
    amount, split = calculate_amm_jit_liquidity(market, LONG, 100 * P, 100 * P, 4 * B, 4 * B, 4 * B, True, True)
    assert (amount, split) == (B, SPLIT.ProtocolOwned)


def test_shared_split_when_lps_want_and_are_allowed():
    market = _market(-10 * B, intensity=200, user_lp_shares=10 * B, base_asset_amount_per_lp=5)
    assert calculate_amm_jit_liquidity(market, LONG, 100 * P, 100 * P, 4 * B, 4 * B, 4 * B, True, True)[1] is SPLIT.Shared


def test_lp_owned_split_capped_by_lp_imbalance():
    # protocol flat; LPs long 0.5 base per LP unit over 10 units -> imbalance 5 base; quarter of 4 = 1.
    market = _market(0, intensity=200, user_lp_shares=10 * B, base_asset_amount_per_lp=B // 2)
    assert calculate_amm_jit_liquidity(market, LONG, 100 * P, 100 * P, 4 * B, 4 * B, 4 * B, True, True) == (B, SPLIT.LPOwned)


def test_lp_imbalance_uses_target_and_per_lp_unit():
    amm = AMM(user_lp_shares=3 * B, base_asset_amount_per_lp=-7, target_base_asset_amount_per_lp=-2)
    assert imbalanced_base_asset_amount_with_lp(amm) == -15


def test_lp_wants_only_with_shares_and_intensity_above_100():
    assert (
        amm_lp_wants_to_jit_make(_market(0, 200, user_lp_shares=B, base_asset_amount_per_lp=1).amm, LONG),
        amm_lp_wants_to_jit_make(_market(0, 100, user_lp_shares=B, base_asset_amount_per_lp=1).amm, LONG),
        amm_lp_wants_to_jit_make(_market(0, 200, base_asset_amount_per_lp=1).amm, LONG),
    ) == (True, False, False)


def test_lp_allowed_only_below_tenth_of_protocol_owned_depth():
    # open bids/asks 50 base each; protocol owns 90% -> 45; 10% of that = 4.5 base.
    amm_small = _market(-4 * B, user_lp_shares=10 * B).amm
    amm_large = _market(-5 * B, user_lp_shares=10 * B).amm
    assert (amm_lp_allowed_to_jit_make(amm_small, True), amm_lp_allowed_to_jit_make(amm_large, True)) == (True, False)
