"""Validation of a spot order about to be placed, and of orders in a reduce-only spot market.

Prices PRICE_PRECISION (1e6), base amounts in the base token's decimals.

Source: programs/drift/src/validation/order.rs
"""

from __future__ import annotations

from ballast.drift.errors import (
    InvalidOrder,
    InvalidOrderAuction,
    InvalidOrderLimitPrice,
    InvalidOrderNotRiskReducing,
    InvalidOrderOracleOffset,
    InvalidOrderTrigger,
)
from ballast.drift.state.user import Order, OrderType, PositionDirection
from ballast.drift.validation.order import (
    _validate_auction_params,
    _validate_base_asset_amount,
    _validate_market_order,
    _validate_oracle_order,
    _validate_trigger_order,
)

__all__ = ["validate_spot_order", "validate_order_for_force_reduce_only"]


def validate_spot_order(order: Order, step_size: int, min_order_size: int) -> None:
    """Raise the reference's error for the first rule the spot order breaks.

    Market, trigger and oracle orders follow the perp rules; a limit order needs a price
    (or an oracle offset, not both), no trigger price, no auction when post-only, and valid
    auction parameters when it has an auction.

    Source: programs/drift/src/validation/order.rs::validate_spot_order
    """
    order_type = order.order_type
    if order_type is OrderType.Market:
        _validate_market_order(order, step_size, min_order_size)
    elif order_type is OrderType.Limit:
        _validate_spot_limit_order(order, step_size, min_order_size)
    elif order_type is OrderType.TriggerMarket:
        _validate_trigger_order(order, step_size, min_order_size, is_limit=False)
    elif order_type is OrderType.TriggerLimit:
        _validate_trigger_order(order, step_size, min_order_size, is_limit=True)
    else:
        _validate_oracle_order(order, step_size, min_order_size)


def _validate_spot_limit_order(order: Order, step_size: int, min_order_size: int) -> None:
    """Source: programs/drift/src/validation/order.rs::validate_spot_limit_order"""
    _validate_base_asset_amount(order, step_size, min_order_size)
    has_offset = order.oracle_price_offset != 0
    if order.price == 0 and not has_offset:
        raise InvalidOrderLimitPrice("limit order price is 0")
    if has_offset and order.price != 0:
        raise InvalidOrderOracleOffset(f"oracle offset limit order must have price 0, got {order.price}")
    if order.trigger_price > 0:
        raise InvalidOrderTrigger(f"limit order has trigger price {order.trigger_price}")
    if order.post_only and order.auction_duration != 0:
        raise InvalidOrder(f"post only limit order has auction duration {order.auction_duration}")
    _validate_limit_order_auction_params(order)


def _validate_limit_order_auction_params(order: Order) -> None:
    """Source: programs/drift/src/validation/order.rs::validate_limit_order_auction_params"""
    if order.auction_duration != 0:
        if order.oracle_price_offset != 0:
            _validate_oracle_auction_params(order)
        else:
            _validate_auction_params(order)
        return
    if order.auction_start_price != 0:
        raise InvalidOrder(f"limit order without auction has auction start price {order.auction_start_price}")
    if order.auction_end_price != 0:
        raise InvalidOrder(f"limit order without auction has auction end price {order.auction_end_price}")


def _validate_oracle_auction_params(order: Order) -> None:
    """Source: programs/drift/src/validation/order.rs::validate_oracle_auction_params"""
    start, end, offset = order.auction_start_price, order.auction_end_price, order.oracle_price_offset
    if order.direction is PositionDirection.Long:
        if start > end:
            raise InvalidOrderAuction(f"long auction start offset {start} > end offset {end}")
        if offset != 0 and end > offset:
            raise InvalidOrderAuction(f"long auction end offset {end} > oracle price offset {offset}")
    else:
        if start < end:
            raise InvalidOrderAuction(f"short auction start offset {start} < end offset {end}")
        if offset != 0 and end < offset:
            raise InvalidOrderAuction(f"short auction end offset {end} < oracle price offset {offset}")


def validate_order_for_force_reduce_only(order: Order, existing_position: int) -> None:
    """In a reduce-only market an order must be reduce-only, against an existing position, on
    the opposite side (InvalidOrderNotRiskReducing).

    Source: programs/drift/src/validation/order.rs::validate_order_for_force_reduce_only
    """
    if not order.reduce_only:
        raise InvalidOrderNotRiskReducing(f"order {order.order_id} must be reduce only")
    if existing_position == 0:
        raise InvalidOrderNotRiskReducing(f"order {order.order_id}: no position to reduce")
    existing_direction = PositionDirection.Long if existing_position > 0 else PositionDirection.Short
    if order.direction is existing_direction:
        raise InvalidOrderNotRiskReducing(
            f"order {order.order_id} must be opposite to the existing {existing_direction.name} position"
        )
