"""validation/order.py: the placement rules for perp market/limit/trigger/oracle orders."""

from __future__ import annotations

import pytest

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
from ballast.drift.state.perp_market import AMM, PerpMarket
from ballast.drift.state.user import Order, OrderTriggerCondition, OrderType, PositionDirection
from ballast.drift.validation.order import validate_order

LONG, SHORT = PositionDirection.Long, PositionDirection.Short
P = 10**6
B = 10**9
STEP = B // 10


def _market() -> PerpMarket:
    reserve = 100 * B
    return PerpMarket(
        amm=AMM(
            base_asset_reserve=reserve,
            quote_asset_reserve=reserve,
            sqrt_k=reserve,
            peg_multiplier=100 * P,
            ask_base_asset_reserve=reserve,
            ask_quote_asset_reserve=reserve,
            bid_base_asset_reserve=reserve,
            bid_quote_asset_reserve=reserve,
            min_base_asset_reserve=50 * reserve // 100,
            max_base_asset_reserve=2 * reserve,
            order_step_size=STEP,
            order_tick_size=1,
            min_order_size=STEP,
        )
    )


def _market_order(**fields) -> Order:
    base = dict(order_type=OrderType.Market, direction=LONG, base_asset_amount=B, auction_start_price=100 * P, auction_end_price=101 * P, auction_duration=10)
    base.update(fields)
    return Order(**base)


def test_valid_market_order_passes():
    assert validate_order(_market_order(), _market(), 100 * P, 0) is None


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"base_asset_amount": 0}, InvalidOrderSizeTooSmall),
        ({"base_asset_amount": B + 1}, InvalidOrderNotStepSizeMultiple),
        ({"auction_start_price": 0}, InvalidOrderAuction),
        ({"auction_start_price": 102 * P}, InvalidOrderAuction),
        ({"price": 100_500_000}, InvalidOrderAuction),
        ({"trigger_price": P}, InvalidOrderTrigger),
        ({"post_only": True}, InvalidOrderPostOnly),
        ({"oracle_price_offset": 1}, InvalidOrderOracleOffset),
        ({"immediate_or_cancel": True}, InvalidOrderIOC),
    ],
)
def test_market_order_rules(fields, error):
    with pytest.raises(error):
        validate_order(_market_order(**fields), _market(), 100 * P, 0)


def test_min_order_size_waived_for_reduce_only():
    market = _market()
    market.amm.min_order_size = 2 * B
    with pytest.raises(InvalidOrderMinOrderSize):
        validate_order(_market_order(), market, 100 * P, 0)
    assert validate_order(_market_order(reduce_only=True), market, 100 * P, 0) is None


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"price": 0}, InvalidOrderLimitPrice),
        ({"oracle_price_offset": P}, InvalidOrderLimitPrice),
        ({"trigger_price": P}, InvalidOrderTrigger),
        ({"auction_start_price": 99 * P}, InvalidOrder),
        ({"post_only": True, "auction_duration": 5, "auction_start_price": 98 * P, "auction_end_price": 99 * P}, InvalidOrder),
    ],
)
def test_limit_order_rules(fields, error):
    base = dict(order_type=OrderType.Limit, direction=LONG, base_asset_amount=B, price=99 * P)
    base.update(fields)
    with pytest.raises(error):
        validate_order(Order(**base), _market(), 100 * P, 0)


def test_post_only_bid_through_amm_ask_is_rejected():
    order = Order(order_type=OrderType.Limit, direction=LONG, base_asset_amount=B, price=101 * P, post_only=True)
    with pytest.raises(PlacePostOnlyLimitFailure):
        validate_order(order, _market(), 100 * P, 0)


def test_post_only_bid_below_oracle_is_allowed_even_if_amm_would_fill():
    order = Order(order_type=OrderType.Limit, direction=LONG, base_asset_amount=B, price=101 * P, post_only=True)
    assert validate_order(order, _market(), 101 * P + 1, 0) is None


def test_post_only_bid_below_amm_ask_passes():
    order = Order(order_type=OrderType.Limit, direction=LONG, base_asset_amount=B, price=99 * P, post_only=True)
    assert validate_order(order, _market(), 100 * P, 0) is None


@pytest.mark.parametrize(
    ("order_type", "fields", "error"),
    [
        (OrderType.TriggerMarket, {"trigger_condition": OrderTriggerCondition.TriggeredAbove}, InvalidTriggerOrderCondition),
        (OrderType.TriggerMarket, {"price": P}, InvalidOrderLimitPrice),
        (OrderType.TriggerMarket, {"trigger_price": 0}, InvalidOrderTrigger),
        (OrderType.TriggerLimit, {"price": 0}, InvalidOrderLimitPrice),
        (OrderType.TriggerLimit, {"price": P, "post_only": True}, InvalidOrderPostOnly),
        (OrderType.TriggerLimit, {"price": P, "oracle_price_offset": 5}, InvalidOrderOracleOffset),
    ],
)
def test_trigger_order_rules(order_type, fields, error):
    base = dict(order_type=order_type, base_asset_amount=B, trigger_price=100 * P)
    base.update(fields)
    with pytest.raises(error):
        validate_order(Order(**base), _market(), 100 * P, 0)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"direction": LONG, "auction_start_price": 2, "auction_end_price": 1}, InvalidOrderAuction),
        ({"direction": LONG, "auction_end_price": 10, "oracle_price_offset": 5}, InvalidOrderAuction),
        ({"direction": SHORT, "auction_start_price": -2, "auction_end_price": -1}, InvalidOrderAuction),
        ({"price": P}, InvalidOrderLimitPrice),
        ({"immediate_or_cancel": True}, InvalidOrderIOC),
    ],
)
def test_oracle_order_rules(fields, error):
    base = dict(order_type=OrderType.Oracle, base_asset_amount=B)
    base.update(fields)
    with pytest.raises(error):
        validate_order(Order(**base), _market(), 100 * P, 0)
