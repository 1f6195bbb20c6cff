"""Spot order math: unfilled sizes on the step, balance directions, fill limits from the
markets' borrow room, maker candidates, fulfillment methods and the margin-trading rule.

Prices PRICE_PRECISION (1e6), base amounts in the base token's decimals, quote in the quote
token's (USDC 1e6).

Source: programs/drift/src/math/orders.rs, programs/drift/src/math/fulfillment.rs,
programs/drift/src/math/margin.rs, programs/drift/src/state/user.rs (impl Order, SpotPosition)
"""

from __future__ import annotations

from enum import Enum

from ballast.drift.constants import QUOTE_SPOT_MARKET_INDEX, SPOT_OPERATION_FILL
from ballast.drift.errors import IsolatedAssetTierViolation, MarginTradingDisabled
from ballast.drift.math.matching import do_orders_cross
from ballast.drift.math.orders import (
    force_get_limit_price,
    get_base_asset_amount_unfilled,
    is_limit_order,
    must_be_triggered,
    standardize_base_asset_amount,
    triggered,
)
from ballast.drift.math.spot_balance import (
    get_signed_token_amount,
    get_token_amount,
    get_token_value,
)
from ballast.drift.math.spot_withdraw import get_max_withdraw_for_market_with_token_amount
from ballast.drift.state.perp_market import ContractTier, PerpMarket
from ballast.drift.state.spot_market import SpotBalanceType, SpotMarket, SpotMarketStatus
from ballast.drift.state.user import (
    MarketType,
    Order,
    OrderStatus,
    PositionDirection,
    SpotPosition,
    User,
)

__all__ = [
    "AssetType",
    "determine_spot_fulfillment_methods",
    "fills_enabled",
    "find_maker_orders",
    "get_max_fill_amounts",
    "get_signed_spot_token_amount",
    "get_spot_position_update_direction",
    "get_standardized_base_asset_amount_unfilled",
    "validate_spot_margin_trading",
]


class AssetType(Enum):
    """Which leg of a spot order. Source: programs/drift/src/state/user.rs::AssetType"""

    __hash__ = object.__hash__  # singleton members: identity hash, no Python-level call

    Base = 0
    Quote = 1


def fills_enabled(spot_market: SpotMarket) -> bool:
    """Active or ReduceOnly and fills not paused.

    Source: programs/drift/src/state/spot_market.rs::SpotMarket::fills_enabled
    """
    return (
        spot_market.status is SpotMarketStatus.Active or spot_market.status is SpotMarketStatus.ReduceOnly
    ) and not spot_market.paused_operations & SPOT_OPERATION_FILL


def get_signed_spot_token_amount(position: SpotPosition | None, spot_market: SpotMarket) -> int:
    """Tokens held (deposit > 0, borrow < 0; 0 without a position).

    Source: programs/drift/src/state/user.rs::SpotPosition::get_signed_token_amount
    """
    if position is None:
        return 0
    amount = get_token_amount(position.scaled_balance, spot_market, position.balance_type)
    return get_signed_token_amount(amount, position.balance_type)


def get_standardized_base_asset_amount_unfilled(
    order: Order, existing_position: int | None, step_size: int
) -> int:
    """The unfilled size (capped for reduce-only orders) floored to the step.

    Source: programs/drift/src/state/user.rs::Order::get_standardized_base_asset_amount_unfilled
    """
    return standardize_base_asset_amount(
        get_base_asset_amount_unfilled(order, existing_position), step_size
    )


def get_spot_position_update_direction(order: Order, asset_type: AssetType) -> SpotBalanceType:
    """A buy deposits base and borrows (spends) quote; a sell the other way round.

    Source: programs/drift/src/state/user.rs::Order::get_spot_position_update_direction
    """
    is_long = order.direction is PositionDirection.Long
    if asset_type is AssetType.Base:
        return SpotBalanceType.Deposit if is_long else SpotBalanceType.Borrow
    return SpotBalanceType.Borrow if is_long else SpotBalanceType.Deposit


def _get_max_fill_amounts_for_market(user: User, market: SpotMarket, is_leaving_drift: bool) -> int:
    """Source: programs/drift/src/math/orders.rs::get_max_fill_amounts_for_market"""
    token_amount = get_signed_spot_token_amount(user.get_spot_position(market.market_index), market)
    return get_max_withdraw_for_market_with_token_amount(market, token_amount, is_leaving_drift)


def get_max_fill_amounts(
    user: User,
    user_order_index: int,
    base_market: SpotMarket,
    quote_market: SpotMarket,
    is_leaving_drift: bool,
) -> tuple[int | None, int | None]:
    """(max base, max quote) the order may take out of the markets: a buy is bounded by the
    quote it can spend (its deposit plus the quote market's borrow room), a sell by the base
    (floored to the step).

    Source: programs/drift/src/math/orders.rs::get_max_fill_amounts
    """
    if user.orders[user_order_index].direction is PositionDirection.Long:
        return None, _get_max_fill_amounts_for_market(user, quote_market, is_leaving_drift)
    max_base = standardize_base_asset_amount(
        _get_max_fill_amounts_for_market(user, base_market, is_leaving_drift),
        base_market.order_step_size,
    )
    return max_base, None


def find_maker_orders(
    user: User,
    direction: PositionDirection,
    market_type: MarketType,
    market_index: int,
    valid_oracle_price: int | None,
    slot: int,
    tick_size: int,
) -> list[tuple[int, int]]:
    """(order index, limit price) of the user's open limit orders on `direction` in a market
    (trigger orders only once triggered).

    Source: programs/drift/src/math/orders.rs::find_maker_orders
    """
    found = []
    for order_index, order in enumerate(user.orders):
        if order.status is not OrderStatus.Open:
            continue
        if (
            order.direction is not direction
            or order.market_type is not market_type
            or order.market_index != market_index
        ):
            continue
        if not is_limit_order(order) or (must_be_triggered(order) and not triggered(order)):
            continue
        found.append(
            (order_index, force_get_limit_price(order, valid_oracle_price, None, slot, tick_size))
        )
    return found


def determine_spot_fulfillment_methods(
    order: Order,
    maker_orders_info: list[tuple[str, int, int]],
    limit_price: int | None,
) -> list[tuple[str, int]]:
    """The makers (key, order index) to match, best price first, while they cross the taker's
    limit price; at most 7. External markets (Serum, Phoenix, OpenBook) are out of Ballast's
    reach: only user matching.

    Source: programs/drift/src/math/fulfillment.rs::determine_spot_fulfillment_methods
    """
    methods: list[tuple[str, int]] = []
    maker_direction = order.direction.opposite()
    for maker_key, maker_order_index, maker_price in maker_orders_info:
        if limit_price is None or not do_orders_cross(maker_direction, maker_price, limit_price):
            break
        methods.append((maker_key, maker_order_index))
        if len(methods) > 6:
            break
    return methods


def validate_spot_margin_trading(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map,
) -> None:
    """Without margin trading a user's open asks may not exceed what it holds (no borrow) and
    its open bids may not cost more than its quote; with it, no position in an Isolated perp
    market. MarginTradingDisabled / IsolatedAssetTierViolation naming the market.

    Source: programs/drift/src/math/margin.rs::validate_spot_margin_trading
    """
    if user.is_margin_trading_enabled:
        for perp_position in user.perp_positions:
            if perp_position.is_available():
                continue
            perp_market = perp_market_map[perp_position.market_index]
            if perp_market.contract_tier is ContractTier.Isolated:
                raise IsolatedAssetTierViolation(
                    f"isolated perp market {perp_market.market_index} does not allow margin trading"
                )
        return
    total_open_bids_value = 0
    for spot_position in user.spot_positions:
        asks = spot_position.open_asks
        if asks < 0:
            spot_market = spot_market_map[spot_position.market_index]
            signed_token_amount = get_signed_spot_token_amount(spot_position, spot_market)
            if signed_token_amount + asks < 0:
                raise MarginTradingDisabled(
                    f"user {user.key}: open asks {asks} against {signed_token_amount} held can "
                    f"lead to a borrow in spot market {spot_position.market_index}"
                )
        bids = spot_position.open_bids
        if bids > 0:
            spot_market = spot_market_map[spot_position.market_index]
            price = oracle_map.get_spot(spot_position.market_index).price
            total_open_bids_value += get_token_value(-bids, spot_market.decimals, price)
    quote_token_amount = 0
    quote_position = user.get_spot_position(QUOTE_SPOT_MARKET_INDEX)
    if quote_position is not None and not quote_position.is_available():
        quote_token_amount = get_signed_spot_token_amount(
            quote_position, spot_market_map[QUOTE_SPOT_MARKET_INDEX]
        )
    if total_open_bids_value != 0 and quote_token_amount + total_open_bids_value < 0:
        raise MarginTradingDisabled(
            f"user {user.key}: open bids worth {-total_open_bids_value} exceed its quote "
            f"{quote_token_amount}"
        )
