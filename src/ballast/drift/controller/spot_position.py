"""Spot positions: open bids/asks of spot orders and balance updates that keep the position's
cumulative deposits.

Token amounts in the token's decimals.

Source: programs/drift/src/controller/spot_position.rs
"""

from __future__ import annotations

from ballast.drift.constants import SPOT_OPERATION_WITHDRAW
from ballast.drift.controller.spot_balance import update_spot_balances
from ballast.drift.errors import (
    DailyWithdrawLimit,
    MarketWithdrawPaused,
    ProtectedAssetTierViolation,
)
from ballast.drift.math.spot_withdraw import check_withdraw_limits
from ballast.drift.state.spot_market import AssetTier, SpotBalanceType, SpotMarket, SpotMarketStatus
from ballast.drift.state.user import PositionDirection, SpotPosition, User

__all__ = [
    "decrease_spot_open_bids_and_asks",
    "force_get_spot_position",
    "increase_spot_open_bids_and_asks",
    "update_spot_balances_and_cumulative_deposits",
    "update_spot_balances_and_cumulative_deposits_with_limits",
]


def force_get_spot_position(user: User, market_index: int) -> SpotPosition:
    """The user's position in a spot market, added (as an empty deposit) if it has none.

    Source: programs/drift/src/state/user.rs::User::force_get_spot_position_mut
    """
    position = user.get_spot_position(market_index)
    if position is None:
        position = SpotPosition(market_index=market_index)
        user.spot_positions.append(position)
    return position


def increase_spot_open_bids_and_asks(
    spot_position: SpotPosition,
    direction: PositionDirection,
    base_asset_amount_unfilled: int,
    update: bool,
) -> None:
    """Book a new order's size: bids up for a buy, asks down (negative) for a sell.

    Source: programs/drift/src/controller/spot_position.rs::increase_spot_open_bids_and_asks
    """
    if not update:
        return
    if direction is PositionDirection.Long:
        spot_position.open_bids += base_asset_amount_unfilled
    else:
        spot_position.open_asks -= base_asset_amount_unfilled


def decrease_spot_open_bids_and_asks(
    spot_position: SpotPosition,
    direction: PositionDirection,
    base_asset_amount_unfilled: int,
    update: bool,
) -> None:
    """Release filled or cancelled size: bids floored at 0, asks capped at 0.

    Source: programs/drift/src/controller/spot_position.rs::decrease_spot_open_bids_and_asks
    """
    if not update:
        return
    if direction is PositionDirection.Long:
        spot_position.open_bids = max(spot_position.open_bids - base_asset_amount_unfilled, 0)
    else:
        spot_position.open_asks = min(spot_position.open_asks + base_asset_amount_unfilled, 0)


def update_spot_balances_and_cumulative_deposits(
    token_amount: int,
    update_direction: SpotBalanceType,
    spot_market: SpotMarket,
    spot_position: SpotPosition,
    is_leaving_drift: bool,
    cumulative_deposit_delta: int | None,
) -> None:
    """update_spot_balances, then cumulative deposits up (deposit) or down (borrow) by
    `cumulative_deposit_delta` (default: the token amount).

    Source: programs/drift/src/controller/spot_position.rs::update_spot_balances_and_cumulative_deposits
    """
    update_spot_balances(token_amount, update_direction, spot_market, spot_position, is_leaving_drift)
    delta = token_amount if cumulative_deposit_delta is None else cumulative_deposit_delta
    if update_direction is SpotBalanceType.Deposit:
        spot_position.cumulative_deposits += delta
    else:
        spot_position.cumulative_deposits -= delta


def update_spot_balances_and_cumulative_deposits_with_limits(
    token_amount: int,
    update_direction: SpotBalanceType,
    spot_market: SpotMarket,
    user: User,
) -> None:
    """A balance update that leaves Drift (a swap's outgoing leg): the market's withdraw limits
    (DailyWithdrawLimit), its status and paused withdrawals (MarketWithdrawPaused), and no
    borrow of a Protected asset (ProtectedAssetTierViolation).

    Source: programs/drift/src/controller/spot_position.rs::update_spot_balances_and_cumulative_deposits_with_limits
    """
    position = force_get_spot_position(user, spot_market.market_index)
    update_spot_balances_and_cumulative_deposits(
        token_amount, update_direction, spot_market, position, True, None
    )
    if not check_withdraw_limits(spot_market, user, token_amount):
        raise DailyWithdrawLimit(
            f"spot market {spot_market.market_index} hit its daily withdraw limit: {token_amount} "
            f"by {user.key}"
        )
    if spot_market.status is not SpotMarketStatus.Active and spot_market.status is not SpotMarketStatus.ReduceOnly:
        raise MarketWithdrawPaused(
            f"spot market {spot_market.market_index} is {spot_market.status.name}: withdraws paused"
        )
    if spot_market.paused_operations & SPOT_OPERATION_WITHDRAW:
        raise MarketWithdrawPaused(f"spot market {spot_market.market_index} withdraws are paused")
    if spot_market.asset_tier is AssetTier.Protected and position.balance_type is SpotBalanceType.Borrow:
        raise ProtectedAssetTierViolation(
            f"spot market {spot_market.market_index} is Protected and cannot be borrowed"
        )
