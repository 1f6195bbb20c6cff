"""AMM JIT: how much of a maker/taker match the AMM (and the LPs) take at the maker's price.

Base BASE_PRECISION (1e9), prices PRICE_PRECISION (1e6), spreads 1e6. The LP helpers mirror the
reference's AMM methods (drift_bal 5.1): LPs join a JIT fill only with `amm_jit_intensity > 100`.

Source: programs/drift/src/math/amm_jit.rs, programs/drift/src/state/perp_market.rs (impl AMM)
"""

from __future__ import annotations

from ballast.drift.constants import AMM_RESERVE_PRECISION, PERCENTAGE_PRECISION
from ballast.drift.math.amm import calculate_market_open_bids_asks
from ballast.drift.math.orders import standardize_base_asset_amount
from ballast.drift.state.perp_market import AMM, AMMLiquiditySplit, PerpMarket
from ballast.drift.state.user import PositionDirection
from ballast.fixed import div_floor, div_trunc, proportion_signed

_LONG = PositionDirection.Long
_IMBALANCED_RATIO = 1_500_000_000  # 1.5 in AMM_RESERVE_PRECISION: max/min open side ratio


def amm_wants_to_jit_make(amm: AMM, taker_direction: PositionDirection) -> bool:
    """JIT is on and the taker reduces the AMM's inventory by more than one step.

    Taker Long: base_asset_amount_with_amm < -step; Short: > step.
    Source: programs/drift/src/state/perp_market.rs::AMM::amm_wants_to_jit_make
    """
    if taker_direction is _LONG:
        wants = amm.base_asset_amount_with_amm < -amm.order_step_size
    else:
        wants = amm.base_asset_amount_with_amm > amm.order_step_size
    return wants and amm.amm_jit_intensity > 0


def get_target_base_asset_amount_per_lp(amm: AMM) -> int:
    """Target LP inventory per LP base unit: target * 10^p, or trunc(target / 10^|p|) for p < 0.

    Source: programs/drift/src/state/perp_market.rs::AMM::get_target_base_asset_amount_per_lp
    """
    if amm.per_lp_base > 0:
        return amm.target_base_asset_amount_per_lp * 10**amm.per_lp_base
    if amm.per_lp_base < 0:
        return div_trunc(amm.target_base_asset_amount_per_lp, 10 ** -amm.per_lp_base)
    return amm.target_base_asset_amount_per_lp


def imbalanced_base_asset_amount_with_lp(amm: AMM) -> int:
    """Aggregate LP distance from target in base (1e9): (per_lp - target) * user_lp_shares / unit, truncated.

    Source: programs/drift/src/state/perp_market.rs::AMM::imbalanced_base_asset_amount_with_lp
    """
    if amm.per_lp_base > 0:
        per_lp_base_unit = AMM_RESERVE_PRECISION * 10**amm.per_lp_base
    else:
        per_lp_base_unit = div_floor(AMM_RESERVE_PRECISION, 10 ** -amm.per_lp_base)
    return proportion_signed(
        amm.base_asset_amount_per_lp - get_target_base_asset_amount_per_lp(amm),
        amm.user_lp_shares,
        per_lp_base_unit,
    )


def amm_lp_wants_to_jit_make(amm: AMM, taker_direction: PositionDirection) -> bool:
    """LPs exist, LP JIT is on (intensity > 100) and the taker moves LP inventory toward target.

    Taker Long: base_asset_amount_per_lp > target; Short: < target.
    Source: programs/drift/src/state/perp_market.rs::AMM::amm_lp_wants_to_jit_make
    """
    if amm.user_lp_shares == 0:
        return False
    target = get_target_base_asset_amount_per_lp(amm)
    if taker_direction is _LONG:
        wants = amm.base_asset_amount_per_lp > target
    else:
        wants = amm.base_asset_amount_per_lp < target
    return wants and amm.amm_jit_intensity > 100


def amm_lp_allowed_to_jit_make(amm: AMM, amm_wants_to_jit_make: bool) -> bool:
    """If the protocol wants to JIT, LPs may join only while |base_asset_amount_with_amm| is
    below 10% of the protocol-owned share of the thinner AMM side; otherwise always.

    Source: programs/drift/src/state/perp_market.rs::AMM::amm_lp_allowed_to_jit_make
    """
    if not amm_wants_to_jit_make:
        return True
    max_bids, max_asks = calculate_market_open_bids_asks(amm)
    min_side_liquidity = min(max_bids, abs(max_asks))
    protocol_owned_min_side_liquidity = proportion_signed(
        min_side_liquidity, amm.sqrt_k - amm.user_lp_shares, amm.sqrt_k
    )
    return abs(amm.base_asset_amount_with_amm) < div_trunc(protocol_owned_min_side_liquidity, 10)


def calculate_clamped_jit_base_asset_amount(
    market: PerpMarket, liquidity_split: AMMLiquiditySplit, jit_base_asset_amount: int
) -> int:
    """Scale by min(intensity, 100)/100 (floor), then cap by the inventory being unwound:
    |base_asset_amount_with_amm| (ProtocolOwned/Shared) or |LP imbalance| (LPOwned).

    Source: programs/drift/src/math/amm_jit.rs::calculate_clamped_jit_base_asset_amount
    """
    market_amm = market.amm
    jit_base_asset_amount = div_floor(jit_base_asset_amount * min(market_amm.amm_jit_intensity, 100), 100)
    if liquidity_split is AMMLiquiditySplit.LPOwned:
        max_amm_base_asset_amount = abs(imbalanced_base_asset_amount_with_lp(market_amm))
    else:
        max_amm_base_asset_amount = abs(market_amm.base_asset_amount_with_amm)
    return min(jit_base_asset_amount, max_amm_base_asset_amount)


def calculate_jit_base_asset_amount(
    market: PerpMarket,
    maker_base_asset_amount: int,
    auction_price: int,
    valid_oracle_price: int | None,
    taker_direction: PositionDirection,
    liquidity_split: AMMLiquiditySplit,
) -> int:
    """Base (1e9, stepped down) the AMM takes from a maker's fill.

    Cap = maker/2, scaled by (opp_spread_price - |price - oracle|)/opp_spread_price when the
    maker price is more than 5 bps through the oracle (0 without a valid oracle). Size = whole
    maker amount if the AMM is imbalanced (max/min open side >= 1.5, or a side is 0), else
    maker/4; then intensity and inventory clamps, the cap, and the step.
    Source: programs/drift/src/math/amm_jit.rs::calculate_jit_base_asset_amount
    """
    market_amm = market.amm
    max_jit_amount = div_floor(maker_base_asset_amount, 2)
    if valid_oracle_price is None:
        return 0
    five_bps_of_oracle = div_floor(valid_oracle_price, 2000)
    if (taker_direction is _LONG and auction_price < valid_oracle_price - five_bps_of_oracle) or (
        taker_direction is not _LONG and auction_price > valid_oracle_price + five_bps_of_oracle
    ):
        opposite_spread = market_amm.short_spread if taker_direction is _LONG else market_amm.long_spread
        opposite_spread_price = div_floor(opposite_spread * valid_oracle_price, PERCENTAGE_PRECISION)
        scale_numerator = max(opposite_spread_price - abs(auction_price - valid_oracle_price), 0)
        max_jit_amount = div_floor(max_jit_amount * scale_numerator, max(opposite_spread_price, 1))
    if max_jit_amount == 0:
        return 0

    max_bids, max_asks = calculate_market_open_bids_asks(market_amm)
    max_bids, max_asks = abs(max_bids), abs(max_asks)
    denominator = min(max_bids, max_asks)
    amm_is_imbalanced = (
        denominator == 0 or div_floor(max(max_bids, max_asks) * AMM_RESERVE_PRECISION, denominator) >= _IMBALANCED_RATIO
    )
    jit_base_asset_amount = maker_base_asset_amount if amm_is_imbalanced else div_floor(maker_base_asset_amount, 4)
    if jit_base_asset_amount == 0:
        return 0
    jit_base_asset_amount = calculate_clamped_jit_base_asset_amount(market, liquidity_split, jit_base_asset_amount)
    return standardize_base_asset_amount(min(jit_base_asset_amount, max_jit_amount), market_amm.order_step_size)


def calculate_amm_jit_liquidity(
    market: PerpMarket,
    taker_direction: PositionDirection,
    maker_price: int,
    valid_oracle_price: int | None,
    base_asset_amount: int,
    taker_base_asset_amount: int,
    maker_base_asset_amount: int,
    taker_has_limit_price: bool,
    amm_lp_allowed_to_jit_make: bool,
) -> tuple[int, AMMLiquiditySplit]:
    """(jit_base_asset_amount, liquidity split) for a maker/taker match of `base_asset_amount`.

    (0, ProtocolOwned) when a limit-less taker outsizes the maker (the AMM fills it next round).
    If the protocol wants to JIT: Shared when LPs are allowed and want to, else ProtocolOwned;
    otherwise LPOwned when LPs are allowed and want to; else (0, ProtocolOwned).
    `amm_lp_allowed_to_jit_make` is precomputed by the caller (see `amm_lp_allowed_to_jit_make`).
    Source: programs/drift/src/math/amm_jit.rs::calculate_amm_jit_liquidity
    """
    if not taker_has_limit_price and maker_base_asset_amount < taker_base_asset_amount:
        return 0, AMMLiquiditySplit.ProtocolOwned
    market_amm = market.amm
    wants_to_jit_make = amm_wants_to_jit_make(market_amm, taker_direction)
    split_with_lps = amm_lp_allowed_to_jit_make and amm_lp_wants_to_jit_make(market_amm, taker_direction)
    if wants_to_jit_make:
        liquidity_split = AMMLiquiditySplit.Shared if split_with_lps else AMMLiquiditySplit.ProtocolOwned
    elif split_with_lps:
        liquidity_split = AMMLiquiditySplit.LPOwned
    else:
        return 0, AMMLiquiditySplit.ProtocolOwned
    jit_base_asset_amount = calculate_jit_base_asset_amount(
        market, base_asset_amount, maker_price, valid_oracle_price, taker_direction, liquidity_split
    )
    return jit_base_asset_amount, liquidity_split
