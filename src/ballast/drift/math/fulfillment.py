"""Which liquidity a perp order is filled against, and in what order.

Prices PRICE_PRECISION (1e6).

Source: programs/drift/src/math/fulfillment.rs, programs/drift/src/state/fulfillment.rs
"""

from __future__ import annotations

from dataclasses import dataclass

from ballast.drift.errors import UnableToGetLimitPrice
from ballast.drift.math import amm as amm_math
from ballast.drift.math.auction import is_amm_available_liquidity_source
from ballast.drift.math.matching import do_orders_cross
from ballast.drift.state.perp_market import AMM
from ballast.drift.state.user import Order, PositionDirection
from ballast.value_copy import copy_by_constructor

_MAX_FULFILLMENT_METHODS_BEFORE_STOP = 6


@dataclass(slots=True, init=False)
class FulfillmentMethod:
    """One step of a fill: the AMM (optionally capped at `price`) or a match with a maker order.

    Build with `FulfillmentMethod.AMM(price)` or `FulfillmentMethod.Match(key, index, price)`.
    Source: programs/drift/src/state/fulfillment.rs::PerpFulfillmentMethod
    """

    is_amm: bool
    price: int | None = None  # AMM: fill price cap (None = taker's limit); Match: maker price
    maker_key: str | None = None
    maker_order_index: int | None = None

    # written out (not dataclass-generated) so that mypyc compiles it; a value: never
    # mutated after construction (not `frozen`, whose __init__ mypyc cannot compile)
    def __init__(
        self,
        is_amm: bool,
        price: int | None = None,
        maker_key: str | None = None,
        maker_order_index: int | None = None,
    ) -> None:
        self.is_amm = is_amm
        self.price = price
        self.maker_key = maker_key
        self.maker_order_index = maker_order_index

    @staticmethod
    def AMM(price: int | None = None) -> FulfillmentMethod:  # noqa: N802 - mirrors the Rust variant
        """PerpFulfillmentMethod::AMM(Option<price>)."""
        return FulfillmentMethod(True, price)

    @staticmethod
    def Match(maker_key: str, maker_order_index: int, maker_price: int) -> FulfillmentMethod:  # noqa: N802
        """PerpFulfillmentMethod::Match(maker, order index, maker price)."""
        return FulfillmentMethod(False, maker_price, maker_key, maker_order_index)


def determine_perp_fulfillment_methods(
    taker_order: Order,
    maker_orders_info: list[tuple[str, int, int]],
    amm: AMM,
    amm_reserve_price: int,
    valid_oracle_price: int | None,
    limit_price: int | None,
    amm_is_available: bool,
    slot: int,
    min_auction_duration: int,
    is_liquidation: bool = False,
) -> list[FulfillmentMethod]:
    """Fill plan for `taker_order` against makers sorted best price first and the AMM.

    The AMM is usable if `amm_is_available`, an oracle price is valid and the order is past
    `min_auction_duration` (always for liquidations). Walking makers while the taker crosses
    them: before a maker priced worse than the current AMM quote insert AMM(maker_price);
    stop after more than 6 methods; finally AMM(None) if the taker crosses the AMM quote.
    A post-only order only ever gets AMM(None), when its price crosses the AMM.
    Source: programs/drift/src/math/fulfillment.rs::determine_perp_fulfillment_methods
    """
    can_fill_with_amm = (
        amm_is_available
        and valid_oracle_price is not None
        and is_amm_available_liquidity_source(taker_order, min_auction_duration, slot, is_liquidation)
    )
    if taker_order.post_only:
        if not can_fill_with_amm:
            return []
        maker_direction = taker_order.direction
        if limit_price is None:
            raise UnableToGetLimitPrice(f"post-only order {taker_order.order_id} has no limit price")
        if maker_direction is PositionDirection.Long:
            amm_price = amm_math.ask_price(amm, amm_reserve_price)
        else:
            amm_price = amm_math.bid_price(amm, amm_reserve_price)
        return [FulfillmentMethod.AMM(None)] if do_orders_cross(maker_direction, limit_price, amm_price) else []

    methods: list[FulfillmentMethod] = []
    maker_direction = taker_order.direction.opposite()
    taker_is_long = taker_order.direction is PositionDirection.Long
    if maker_direction is PositionDirection.Long:
        amm_price = amm_math.bid_price(amm, amm_reserve_price)
    else:
        amm_price = amm_math.ask_price(amm, amm_reserve_price)

    for maker_key, maker_order_index, maker_price in maker_orders_info:
        if limit_price is not None and not do_orders_cross(maker_direction, maker_price, limit_price):
            break
        if can_fill_with_amm:
            maker_better_than_amm = maker_price <= amm_price if taker_is_long else maker_price >= amm_price
            if not maker_better_than_amm:
                methods.append(FulfillmentMethod.AMM(maker_price))
                amm_price = maker_price
        methods.append(FulfillmentMethod.Match(maker_key, maker_order_index, maker_price))
        if len(methods) > _MAX_FULFILLMENT_METHODS_BEFORE_STOP:
            break

    if can_fill_with_amm and (limit_price is None or do_orders_cross(maker_direction, amm_price, limit_price)):
        methods.append(FulfillmentMethod.AMM(None))
    return methods


copy_by_constructor(FulfillmentMethod)
