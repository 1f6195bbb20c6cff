"""Parameters of a new order as a user submits them (before sanitisation and placement).

`None` in an optional field means "not given" (the reference's `Option::None`).

Source: programs/drift/src/state/order_params.rs
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum
from operator import attrgetter

from ballast.drift.state.user import (
    MarketType,
    OrderTriggerCondition,
    OrderType,
    PositionDirection,
)


class PostOnlyParam(Enum):
    """How a post-only request behaves when the order would cross. Source: programs/drift/src/state/order_params.rs::PostOnlyParam"""

    None_ = 0  # not post-only
    MustPostOnly = 1  # instruction fails if the order would take
    TryPostOnly = 2  # order silently not placed if it would take
    Slide = 3  # price moved one tick inside the AMM quote


@dataclass(slots=True, frozen=True)
class OrderParams:
    """Source: programs/drift/src/state/order_params.rs::OrderParams (price 1e6, base 1e9, slots, seconds)."""

    order_type: OrderType = OrderType.Market
    market_type: MarketType = MarketType.Perp
    direction: PositionDirection = PositionDirection.Long
    user_order_id: int = 0
    base_asset_amount: int = 0  # BASE_PRECISION
    price: int = 0  # PRICE_PRECISION, 0 = no limit
    market_index: int = 0
    reduce_only: bool = False
    post_only: PostOnlyParam = PostOnlyParam.None_
    immediate_or_cancel: bool = False
    max_ts: int | None = None  # unix seconds
    trigger_price: int | None = None  # PRICE_PRECISION
    trigger_condition: OrderTriggerCondition = OrderTriggerCondition.Above
    oracle_price_offset: int | None = None  # PRICE_PRECISION, signed
    auction_duration: int | None = None  # slots
    auction_start_price: int | None = None  # price, or oracle offset for Oracle orders
    auction_end_price: int | None = None  # price, or oracle offset for Oracle orders

    def with_auction(self, start_price: int | None, end_price: int | None, duration: int | None) -> OrderParams:
        """A copy with the three auction fields replaced: `dataclasses.replace(self,
        auction_start_price=..., auction_end_price=..., auction_duration=...)` without its
        per-call walk over the fields (hot path: every market order is sanitised)."""
        # positional: every other field in declaration order, then the three auction fields
        return OrderParams(  # type: ignore[call-arg]
            *_fields_before_auction(self), duration, start_price, end_price
        )


# every field but the last three, which are the auction fields in this order (checked below)
_FIELD_NAMES = tuple(f.name for f in fields(OrderParams))
if _FIELD_NAMES[-3:] != ("auction_duration", "auction_start_price", "auction_end_price"):
    raise ImportError("OrderParams.with_auction expects the auction fields last")
_fields_before_auction = attrgetter(*_FIELD_NAMES[:-3])
