"""Maker/taker matching rules and the size/quote of a matched fill.

Prices PRICE_PRECISION (1e6), base BASE_PRECISION (1e9), quote QUOTE_PRECISION (1e6).

Source: programs/drift/src/math/matching.rs
"""

from __future__ import annotations

from ballast.drift.math.orders import (
    calculate_quote_asset_amount_for_maker_order,
    is_jit_maker,
    is_resting_limit_order,
)
from ballast.drift.state.user import Order, PositionDirection


def is_maker_for_taker(maker_order: Order, taker_order: Order, slot: int) -> bool:
    """Whether `maker_order` may make against `taker_order` at `slot`.

    Not if both were placed this slot (unless the maker is a JIT maker); the taker must not be
    post-only and the maker must be a resting limit; a non-resting taker (or post-only maker)
    always matches; between two resting limits the one whose auction ended first makes.
    Source: programs/drift/src/math/matching.rs::is_maker_for_taker
    """
    if slot == maker_order.slot and slot == taker_order.slot and not is_jit_maker(maker_order):
        return False
    if taker_order.post_only or not is_resting_limit_order(maker_order, slot):
        return False
    if maker_order.post_only or not is_resting_limit_order(taker_order, slot):
        return True
    return maker_order.slot + maker_order.auction_duration <= taker_order.slot + taker_order.auction_duration


def are_orders_same_market_but_different_sides(maker_order: Order, taker_order: Order) -> bool:
    """Source: programs/drift/src/math/matching.rs::are_orders_same_market_but_different_sides"""
    return (
        maker_order.market_index == taker_order.market_index
        and maker_order.market_type is taker_order.market_type
        and maker_order.direction is not taker_order.direction
    )


def do_orders_cross(maker_direction: PositionDirection, maker_price: int, taker_price: int) -> bool:
    """Maker bid crosses a taker at or below it; maker ask a taker at or above it.

    Source: programs/drift/src/math/matching.rs::do_orders_cross
    """
    if maker_direction is PositionDirection.Long:
        return taker_price <= maker_price
    return taker_price >= maker_price


def calculate_fill_for_matched_orders(
    maker_base_asset_amount: int,
    maker_price: int,
    taker_base_asset_amount: int,
    base_decimals: int,
    maker_direction: PositionDirection,
) -> tuple[int, int]:
    """(base, quote) of a match: the smaller size, quoted at the maker price (Long floor, Short ceil).

    Source: programs/drift/src/math/matching.rs::calculate_fill_for_matched_orders
    """
    base_asset_amount = min(maker_base_asset_amount, taker_base_asset_amount)
    quote_asset_amount = calculate_quote_asset_amount_for_maker_order(
        base_asset_amount, maker_price, base_decimals, maker_direction
    )
    return base_asset_amount, quote_asset_amount
