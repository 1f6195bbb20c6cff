"""Margin ratios and size-adjusted weights: the market's margin ratio for a position size and
the imf size premium / discount on liability and asset weights. Apart from math/margin.py so
that the LP math (math/lp.py), which margin.py uses, can read a margin ratio too.

Source: programs/drift/src/math/margin.rs (the weight helpers),
programs/drift/src/state/perp_market.rs::PerpMarket::get_margin_ratio
"""

from __future__ import annotations

from ballast.drift.constants import MARGIN_PRECISION, SPOT_IMF_PRECISION, SPOT_WEIGHT_PRECISION
from ballast.drift.state.margin_calculation import MarginRequirementType
from ballast.drift.state.perp_market import MarketStatus, PerpMarket
from ballast.fixed import cast_u32, div_floor, isqrt

__all__ = ["calculate_size_discount_asset_weight", "calculate_size_premium_liability_weight", "get_margin_ratio"]

_Initial = MarginRequirementType.Initial
_Fill = MarginRequirementType.Fill


def calculate_size_premium_liability_weight(
    size: int, imf_factor: int, liability_weight: int, precision: int
) -> int:
    """Liability weight raised for a large size (AMM_RESERVE_PRECISION):
    max(w, w - w/5 + isqrt(size·10 + 1)·imf / (100_000·1e6/precision)), floors; w if imf == 0.

    Source: programs/drift/src/math/margin.rs::calculate_size_premium_liability_weight
    """
    if imf_factor == 0:
        return liability_weight
    size_sqrt = isqrt(size * 10 + 1)
    premium = cast_u32(
        liability_weight
        - div_floor(liability_weight, 5)
        + div_floor(size_sqrt * imf_factor, div_floor(100_000 * SPOT_IMF_PRECISION, precision))
    )
    return premium if premium > liability_weight else liability_weight


def calculate_size_discount_asset_weight(size: int, imf_factor: int, asset_weight: int) -> int:
    """Asset weight cut for a large size (AMM_RESERVE_PRECISION):
    min(w, 1.1e6·1e4 / (1e6 + isqrt(size·10 + 1)·imf/100_000)), floors; w if imf == 0.

    Source: programs/drift/src/math/margin.rs::calculate_size_discount_asset_weight
    """
    if imf_factor == 0:
        return asset_weight
    size_sqrt = isqrt(size * 10 + 1)
    imf_numerator = SPOT_IMF_PRECISION + div_floor(SPOT_IMF_PRECISION, 10)
    discount = cast_u32(
        div_floor(
            imf_numerator * SPOT_WEIGHT_PRECISION,
            SPOT_IMF_PRECISION + div_floor(size_sqrt * imf_factor, 100_000),
        )
    )
    return discount if discount < asset_weight else asset_weight


def get_margin_ratio(
    market: PerpMarket,
    size: int,
    margin_type: MarginRequirementType,
    user_high_leverage_mode: bool = False,
) -> int:
    """Margin ratio (1e4) of a perp market for a position of `size` (1e9).

    0 in Settlement. Base ratio by type (Fill = floor of the initial/maintenance mean), from the
    high-leverage ratios when the user is in high-leverage mode and the market has both; then
    the imf size premium, keeping the larger.

    Source: programs/drift/src/state/perp_market.rs::PerpMarket::get_margin_ratio
    """
    if market.status is MarketStatus.Settlement:
        return 0
    if (
        user_high_leverage_mode
        and market.high_leverage_margin_ratio_initial > 0
        and market.high_leverage_margin_ratio_maintenance > 0
    ):
        ratio_initial = market.high_leverage_margin_ratio_initial
        ratio_maintenance = market.high_leverage_margin_ratio_maintenance
    else:
        ratio_initial = market.margin_ratio_initial
        ratio_maintenance = market.margin_ratio_maintenance
    if margin_type is _Initial:
        default_ratio = ratio_initial
    elif margin_type is _Fill:
        default_ratio = div_floor(ratio_initial + ratio_maintenance, 2)
    else:
        default_ratio = ratio_maintenance
    return calculate_size_premium_liability_weight(
        size, market.imf_factor, default_ratio, MARGIN_PRECISION
    )
