"""Validation of a perp order about to be placed (market, limit, trigger and oracle rules).

Prices PRICE_PRECISION (1e6; auction prices of Oracle orders are oracle offsets), base 1e9.

Source: programs/drift/src/validation/order.rs
"""

from __future__ import annotations

from ballast.drift.errors import (
    InvalidOrder,
    InvalidOrderAuction,
    InvalidOrderIOC,
    InvalidOrderLimitPrice,
    InvalidOrderMinOrderSize,
    InvalidOrderNotStepSizeMultiple,
    InvalidOrderOracleOffset,
    InvalidOrderPostOnly,
    InvalidOrderSizeTooSmall,
    InvalidOrderTrigger,
    InvalidTriggerOrderCondition,
    PlacePostOnlyLimitFailure,
)
from ballast.drift.math.orders import (
    calculate_base_asset_amount_to_fill_up_to_limit_price,
    force_get_limit_price,
    is_jit_maker,
    is_multiple_of_step_size,
)
from ballast.drift.state.perp_market import PerpMarket, PerpOperation
from ballast.drift.state.user import Order, OrderTriggerCondition, OrderType, PositionDirection

_LONG = PositionDirection.Long


def validate_order(order: Order, market: PerpMarket, valid_oracle_price: int | None, slot: int) -> None:
    """Raise the reference's error for the first rule the perp order breaks; return None if valid.

    Source: programs/drift/src/validation/order.rs::validate_order
    """
    step_size = market.amm.order_step_size
    min_order_size = market.amm.min_order_size
    order_type = order.order_type
    if order_type is OrderType.Market:
        _validate_market_order(order, step_size, min_order_size)
    elif order_type is OrderType.Limit:
        _validate_limit_order(order, market, valid_oracle_price, slot)
    elif order_type is OrderType.TriggerMarket:
        _validate_trigger_order(order, step_size, min_order_size, is_limit=False)
    elif order_type is OrderType.TriggerLimit:
        _validate_trigger_order(order, step_size, min_order_size, is_limit=True)
    else:
        _validate_oracle_order(order, step_size, min_order_size)


def _validate_base_asset_amount(order: Order, step_size: int, min_order_size: int) -> None:
    if order.base_asset_amount == 0:
        raise InvalidOrderSizeTooSmall(f"order {order.order_id} base_asset_amount is 0")
    if not is_multiple_of_step_size(order.base_asset_amount, step_size):
        raise InvalidOrderNotStepSizeMultiple(
            f"order base_asset_amount {order.base_asset_amount} not a multiple of step size {step_size}"
        )
    if not order.reduce_only and order.base_asset_amount < min_order_size:
        raise InvalidOrderMinOrderSize(
            f"order base_asset_amount {order.base_asset_amount} < min_order_size {min_order_size}"
        )


def _validate_auction_params(order: Order) -> None:
    start, end = order.auction_start_price, order.auction_end_price
    if start == 0 or end == 0:
        raise InvalidOrderAuction(f"auction start {start} / end {end} price is 0")
    if order.direction is _LONG:
        if start > end:
            raise InvalidOrderAuction(f"long auction start price {start} > end price {end}")
        if order.price != 0 and order.price < end:
            raise InvalidOrderAuction(f"long order price {order.price} < auction end price {end}")
    else:
        if start < end:
            raise InvalidOrderAuction(f"short auction start price {start} < end price {end}")
        if order.price != 0 and order.price > end:
            raise InvalidOrderAuction(f"short order price {order.price} > auction end price {end}")


def _validate_market_order(order: Order, step_size: int, min_order_size: int) -> None:
    _validate_base_asset_amount(order, step_size, min_order_size)
    if order.auction_start_price <= 0 or order.auction_end_price <= 0:
        raise InvalidOrderAuction(
            f"market order auction start {order.auction_start_price} / end {order.auction_end_price} must be > 0"
        )
    _validate_auction_params(order)
    if order.trigger_price > 0:
        raise InvalidOrderTrigger(f"market order has trigger price {order.trigger_price}")
    if order.post_only:
        raise InvalidOrderPostOnly("market order can not be post only")
    if order.oracle_price_offset != 0:
        raise InvalidOrderOracleOffset(f"market order has oracle offset {order.oracle_price_offset}")
    if order.immediate_or_cancel:
        raise InvalidOrderIOC("market order can not be immediate or cancel")


def _validate_oracle_order(order: Order, step_size: int, min_order_size: int) -> None:
    _validate_base_asset_amount(order, step_size, min_order_size)
    start, end, offset = order.auction_start_price, order.auction_end_price, order.oracle_price_offset
    if order.direction is _LONG:
        if start > end:
            raise InvalidOrderAuction(f"long oracle auction start offset {start} > end offset {end}")
        if offset != 0 and end > offset:
            raise InvalidOrderAuction(f"long oracle auction end offset {end} > oracle price offset {offset}")
    else:
        if start < end:
            raise InvalidOrderAuction(f"short oracle auction start offset {start} < end offset {end}")
        if offset != 0 and end < offset:
            raise InvalidOrderAuction(f"short oracle auction end offset {end} < oracle price offset {offset}")
    if order.trigger_price > 0:
        raise InvalidOrderTrigger(f"oracle order has trigger price {order.trigger_price}")
    if order.post_only:
        raise InvalidOrderPostOnly("oracle order can not be post only")
    if order.price > 0:
        raise InvalidOrderLimitPrice(f"oracle order has price {order.price}")
    if order.immediate_or_cancel:
        raise InvalidOrderIOC("oracle order can not be immediate or cancel")


def _validate_limit_order(order: Order, market: PerpMarket, valid_oracle_price: int | None, slot: int) -> None:
    _validate_base_asset_amount(order, market.amm.order_step_size, market.amm.min_order_size)
    has_offset = order.oracle_price_offset != 0
    if order.price == 0 and not has_offset:
        raise InvalidOrderLimitPrice("limit order price is 0")
    if has_offset and order.price != 0:
        raise InvalidOrderLimitPrice(f"oracle offset limit order must have price 0, got {order.price}")
    if order.trigger_price > 0:
        raise InvalidOrderTrigger(f"limit order has trigger price {order.trigger_price}")
    if order.post_only:
        if order.auction_duration != 0:
            raise InvalidOrder(f"post only limit order has auction duration {order.auction_duration}")
        _validate_post_only_order(order, market, valid_oracle_price, slot)
    if order.auction_duration != 0:
        if has_offset:
            raise InvalidOrder("limit order with auction can not have an oracle price offset")
        _validate_auction_params(order)
    elif order.auction_start_price != 0 or order.auction_end_price != 0:
        raise InvalidOrder(
            f"limit order without auction has auction prices {order.auction_start_price}/{order.auction_end_price}"
        )


def _validate_post_only_order(
    order: Order, market: PerpMarket, valid_oracle_price: int | None, slot: int
) -> None:
    if is_jit_maker(order) or market.is_operation_paused(PerpOperation.AmmFill):
        return
    limit_price = force_get_limit_price(order, valid_oracle_price, None, slot, market.amm.order_tick_size)
    fillable = calculate_base_asset_amount_to_fill_up_to_limit_price(order, market, limit_price, None)
    if fillable == 0:
        return
    if valid_oracle_price is not None and (
        (order.direction is _LONG and valid_oracle_price > limit_price)
        or (order.direction is not _LONG and valid_oracle_price < limit_price)
    ):
        return
    raise PlacePostOnlyLimitFailure(
        f"post-only order at {limit_price} could immediately fill {fillable} base against the AMM"
    )


def _validate_trigger_order(order: Order, step_size: int, min_order_size: int, is_limit: bool) -> None:
    _validate_base_asset_amount(order, step_size, min_order_size)
    if order.trigger_condition not in (OrderTriggerCondition.Above, OrderTriggerCondition.Below):
        raise InvalidTriggerOrderCondition(f"trigger condition {order.trigger_condition.name} must be Above or Below")
    if is_limit and order.price == 0:
        raise InvalidOrderLimitPrice("trigger limit order price is 0")
    if not is_limit and order.price > 0:
        raise InvalidOrderLimitPrice(f"trigger market order has price {order.price}")
    if order.trigger_price == 0:
        raise InvalidOrderTrigger("trigger price is 0")
    if order.post_only:
        raise InvalidOrderPostOnly("trigger order can not be post only")
    if order.oracle_price_offset != 0:
        raise InvalidOrderOracleOffset(f"trigger order has oracle offset {order.oracle_price_offset}")
