"""Validation of instruction inputs: integers in range and typed order parameters, or a typed
error naming the value."""

from __future__ import annotations

from enum import Enum
from typing import Any

from ballast.drift.errors import InvalidAmount
from ballast.drift.state.order_params import OrderParams, PostOnlyParam
from ballast.drift.state.user import (
    MarketType,
    OrderTriggerCondition,
    OrderType,
    PositionDirection,
)

__all__ = ["check_enum", "check_int", "check_order_param_types"]


def check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """`value` if it is an int (not a bool) within [minimum, maximum], else InvalidAmount."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidAmount(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise InvalidAmount(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise InvalidAmount(f"{name} must be <= {maximum}, got {value}")
    return value


def check_enum(name: str, value: Any, kind: type[Enum]) -> Any:
    """`value` if it is a member of `kind`, else InvalidAmount naming the argument and value."""
    if not isinstance(value, kind):
        raise InvalidAmount(f"{name} must be a {kind.__name__} ({', '.join(m.name for m in kind)}), got {value!r}")
    return value


def check_order_param_types(params: OrderParams) -> None:
    """InvalidAmount naming the field unless each OrderParams field other than
    base_asset_amount and price (which the caller checks, with their ranges, by check_int) has its
    declared type (ints not bools, optional ints None or int, enums of their class, bools): the
    engine below the instructions is typed, and compiled code would otherwise fail with a bare
    TypeError. Ranges are the order validation's job. Hot path: straight-line checks."""
    if type(params.market_index) is not int:
        raise InvalidAmount(f"market_index must be an integer, got {params.market_index!r}")
    if type(params.user_order_id) is not int:
        raise InvalidAmount(f"user_order_id must be an integer, got {params.user_order_id!r}")
    for name, value in (
        ("max_ts", params.max_ts),
        ("trigger_price", params.trigger_price),
        ("oracle_price_offset", params.oracle_price_offset),
        ("auction_duration", params.auction_duration),
        ("auction_start_price", params.auction_start_price),
        ("auction_end_price", params.auction_end_price),
    ):
        if value is not None and type(value) is not int:
            raise InvalidAmount(f"{name} must be an integer or None, got {value!r}")
    for name, value, kind in (
        ("order_type", params.order_type, OrderType),
        ("market_type", params.market_type, MarketType),
        ("direction", params.direction, PositionDirection),
        ("post_only", params.post_only, PostOnlyParam),
        ("trigger_condition", params.trigger_condition, OrderTriggerCondition),
        ("reduce_only", params.reduce_only, bool),
        ("immediate_or_cancel", params.immediate_or_cancel, bool),
    ):
        if type(value) is not kind:
            raise InvalidAmount(f"{name} must be a {kind.__name__}, got {value!r}")
