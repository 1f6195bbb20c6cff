"""Perp liquidation sizing: liquidator fee ramp, insurance-fund fee, size to cover a shortage.

Units: margin ratios in MARGIN_PRECISION (1e4), fees in LIQUIDATION_FEE_PRECISION (1e6), prices
in PRICE_PRECISION (1e6), base in BASE_PRECISION (1e9), quote and shortages in QUOTE_PRECISION
(1e6), liquidation percentages in LIQUIDATION_PCT_PRECISION (1e4). All operands are unsigned in
the reference, so every division here floors.

Source: programs/drift/src/math/liquidation.rs
"""

from __future__ import annotations

from ballast.drift.constants import (
    BASE_PRECISION,
    FIFTY_QUOTE,
    LIQUIDATION_FEE_ADJUST_GRACE_PERIOD_SLOTS,
    LIQUIDATION_FEE_INCREASE_PER_SLOT,
    LIQUIDATION_FEE_PRECISION,
    LIQUIDATION_FEE_TO_MARGIN_PRECISION_RATIO,
    LIQUIDATION_PCT_PRECISION,
    MAX_LIQUIDATION_MULTIPLIER,
    PRICE_PRECISION,
    PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO,
)
from ballast.drift.math.margin import (
    calculate_margin_requirement_and_total_collateral_and_liability_info,
)
from ballast.drift.state.margin_calculation import MarginContext
from ballast.drift.state.oracle_map import OracleMap
from ballast.drift.state.perp_market import PerpMarket
from ballast.drift.state.spot_market import SpotMarket
from ballast.drift.state.user import User
from ballast.fixed import U32_MAX, U64_MAX, MathError, cast_u64, div_floor

__all__ = [
    "get_max_liquidation_fee",
    "get_liquidation_fee",
    "calculate_perp_if_fee",
    "calculate_base_asset_amount_to_cover_margin_shortage",
    "calculate_max_pct_to_liquidate",
    "calculate_liquidation_transfer_price",
    "is_user_being_liquidated",
]


def get_max_liquidation_fee(market: PerpMarket) -> int:
    """Ceiling of the liquidator fee ramp (1e6): min(3 x liquidator_fee, maintenance ratio x 100).

    Source: programs/drift/src/state/perp_market.rs::PerpMarket::get_max_liquidation_fee
    """
    return min(
        market.liquidator_fee * MAX_LIQUIDATION_MULTIPLIER,
        market.margin_ratio_maintenance * LIQUIDATION_FEE_TO_MARGIN_PRECISION_RATIO,
    )


def get_liquidation_fee(
    base_liquidator_fee: int,
    max_liquidator_fee: int,
    last_active_user_slot: int,
    current_slot: int,
) -> int:
    """Liquidator fee (1e6) after the slot ramp.

    Within LIQUIDATION_FEE_ADJUST_GRACE_PERIOD_SLOTS of the user's last active slot the base fee
    applies; afterwards base + elapsed x LIQUIDATION_FEE_INCREASE_PER_SLOT (the whole elapsed
    count, not elapsed minus grace; saturating at u32), capped at `max_liquidator_fee`.
    Raises MathError when `current_slot` precedes `last_active_user_slot`.

    Source: programs/drift/src/math/liquidation.rs::get_liquidation_fee
    """
    slots_elapsed = current_slot - last_active_user_slot
    if slots_elapsed < 0:
        raise MathError(
            f"current slot {current_slot} precedes user last_active_slot {last_active_user_slot}"
        )
    if slots_elapsed < LIQUIDATION_FEE_ADJUST_GRACE_PERIOD_SLOTS:
        return base_liquidator_fee
    increase = min(slots_elapsed * LIQUIDATION_FEE_INCREASE_PER_SLOT, U32_MAX)
    return min(min(base_liquidator_fee + increase, U32_MAX), max_liquidator_fee)


def calculate_perp_if_fee(
    margin_shortage: int,
    user_base_asset_amount: int,
    margin_ratio: int,
    liquidator_fee: int,
    oracle_price: int,
    quote_oracle_price: int,
    max_if_liquidation_fee: int,
) -> int:
    """Insurance-fund fee rate (1e6) charged on a perp liquidation.

    With m = margin_ratio x 100 (margin ratio incl. buffer, 1e4 -> 1e6): 0 when the oracle or
    quote price is 0, m <= liquidator_fee or the base is 0. Otherwise the shortage per unit of
    position value x = floor(floor(shortage x 1e9 / base) x 1e6 / (oracle x quote / 1e6)), capped
    at u32, and implied = floor(sat(sat(m - liquidator_fee) - x) x 19 / 20); returns
    min(max_if_liquidation_fee, implied). All divisions floor.

    Source: programs/drift/src/math/liquidation.rs::calculate_perp_if_fee
    """
    margin_ratio = margin_ratio * LIQUIDATION_FEE_TO_MARGIN_PRECISION_RATIO
    if (
        oracle_price == 0
        or quote_oracle_price == 0
        or margin_ratio <= liquidator_fee
        or user_base_asset_amount == 0
    ):
        return 0
    price = div_floor(oracle_price * quote_oracle_price, PRICE_PRECISION)
    shortage_per_value = div_floor(
        div_floor(margin_shortage * BASE_PRECISION, user_base_asset_amount) * PRICE_PRECISION,
        price,
    )
    shortage_per_value = min(shortage_per_value, U32_MAX)
    implied_if_fee = max(max(margin_ratio - liquidator_fee, 0) - shortage_per_value, 0)
    implied_if_fee = div_floor(implied_if_fee * 19, 20)
    return min(max_if_liquidation_fee, implied_if_fee)


def calculate_base_asset_amount_to_cover_margin_shortage(
    margin_shortage: int,
    margin_ratio: int,
    liquidator_fee: int,
    if_liquidation_fee: int,
    oracle_price: int,
    quote_oracle_price: int,
) -> int:
    """Base (1e9) whose transfer at the oracle frees `margin_shortage` (1e6) of margin.

    Each unit of base frees price x (m - liquidator_fee) and costs price x if_fee, with
    m = margin_ratio x 100 and price = oracle x quote / 1e6:
    floor(shortage x 1e9 / (floor(floor(price x (m - lf)) / 1e6) - floor(oracle x if_fee / 1e6))).
    Returns u64::MAX when the oracle is 0 or m <= liquidator_fee. The caller rounds the result up
    to the order step. Raises MathError when the denominator is not positive.

    Source: programs/drift/src/math/liquidation.rs::calculate_base_asset_amount_to_cover_margin_shortage
    """
    margin_ratio = margin_ratio * LIQUIDATION_FEE_TO_MARGIN_PRECISION_RATIO
    if oracle_price == 0 or margin_ratio <= liquidator_fee:
        return U64_MAX
    price = div_floor(oracle_price * quote_oracle_price, PRICE_PRECISION)
    freed_per_base = div_floor(price * (margin_ratio - liquidator_fee), LIQUIDATION_FEE_PRECISION)
    if_fee_per_base = div_floor(oracle_price * if_liquidation_fee, LIQUIDATION_FEE_PRECISION)
    denominator = freed_per_base - if_fee_per_base
    if denominator < 0:
        raise MathError(
            f"if fee per base {if_fee_per_base} exceeds margin freed per base {freed_per_base}"
        )
    return cast_u64(
        div_floor(margin_shortage * PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO, denominator)
    )


def calculate_max_pct_to_liquidate(
    user: User,
    margin_shortage: int,
    slot: int,
    initial_pct_to_liquidate: int,
    liquidation_duration: int,
) -> int:
    """Share (1e4) of the current shortage this liquidation may free.

    100% when the shortage is under $50. Otherwise the freeable share ramps linearly over
    `liquidation_duration` slots since the user's last_active_slot (100% when the duration is 0)
    on top of `initial_pct_to_liquidate`, capped at 100%; it applies to the shortage plus the
    margin already freed in this liquidation, less what was freed, over the current shortage.
    Floors throughout. Raises MathError when `slot` precedes last_active_slot.

    Source: programs/drift/src/math/liquidation.rs::calculate_max_pct_to_liquidate
    """
    if margin_shortage < FIFTY_QUOTE:
        return LIQUIDATION_PCT_PRECISION
    slots_elapsed = slot - user.last_active_slot
    if slots_elapsed < 0:
        raise MathError(f"slot {slot} precedes user last_active_slot {user.last_active_slot}")
    if liquidation_duration == 0:
        pct_freeable = LIQUIDATION_PCT_PRECISION
    else:
        pct_freeable = div_floor(slots_elapsed * LIQUIDATION_PCT_PRECISION, liquidation_duration)
    pct_freeable = min(pct_freeable + initial_pct_to_liquidate, LIQUIDATION_PCT_PRECISION)
    total_margin_shortage = margin_shortage + user.liquidation_margin_freed
    max_margin_freed = div_floor(total_margin_shortage * pct_freeable, LIQUIDATION_PCT_PRECISION)
    margin_freeable = max(max_margin_freed - user.liquidation_margin_freed, 0)
    return div_floor(margin_freeable * LIQUIDATION_PCT_PRECISION, margin_shortage)


def calculate_liquidation_transfer_price(
    oracle_price: int, liquidator_fee: int, user_is_long: bool
) -> int:
    """Price (1e6) the liquidator effectively pays per base: oracle -/+ floor(|oracle| x fee / 1e6).

    A long user's position is bought below the oracle, a short user's sold above it; the
    liquidator's limit price is checked against this.

    Source: programs/drift/src/controller/liquidation.rs::liquidate_perp (limit price check)
    """
    oracle = abs(oracle_price)
    fee = div_floor(oracle * liquidator_fee, LIQUIDATION_FEE_PRECISION)
    return oracle - fee if user_is_long else oracle + fee


def is_user_being_liquidated(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    liquidation_margin_buffer_ratio: int,
) -> bool:
    """True while the user cannot exit liquidation: collateral plus its buffer is below the
    maintenance requirement plus the liquidation buffer (`liquidation_margin_buffer_ratio`, 1e4).

    Source: programs/drift/src/math/liquidation.rs::is_user_being_liquidated
    """
    margin_calculation = calculate_margin_requirement_and_total_collateral_and_liability_info(
        user,
        perp_market_map,
        spot_market_map,
        oracle_map,
        MarginContext.liquidation(liquidation_margin_buffer_ratio),
    )
    return not margin_calculation.can_exit_liquidation()
