"""Changes of a user's liquidation status and activity slot.

These are methods of `User` in the reference; as they mutate, they live among the controllers.

Source: programs/drift/src/state/user.rs, programs/drift/src/math/liquidation.rs
"""

from __future__ import annotations

from ballast.drift.errors import UserIsBeingLiquidated
from ballast.drift.math.liquidation import is_user_being_liquidated
from ballast.drift.state.oracle_map import OracleMap
from ballast.drift.state.perp_market import PerpMarket
from ballast.drift.state.spot_market import SpotMarket
from ballast.drift.state.user import User, UserStatus
from ballast.fixed import cast_u64

__all__ = [
    "enter_liquidation",
    "exit_liquidation",
    "enter_bankruptcy",
    "increment_margin_freed",
    "update_last_active_slot",
    "validate_user_not_being_liquidated",
    "try_exit_liquidation",
]


def update_last_active_slot(user: User, slot: int) -> None:
    """Frozen while the user is being liquidated (the fee and size ramps count from it).

    Source: programs/drift/src/state/user.rs::User::update_last_active_slot
    """
    if not user.is_being_liquidated():
        user.last_active_slot = slot


def enter_liquidation(user: User, slot: int) -> int:
    """Flag the user as being liquidated and return the liquidation id.

    On first entry: last_active_slot = slot (the fee and pct ramps count from here),
    liquidation_margin_freed = 0 and a new id is taken; a user already flagged keeps its id.

    Source: programs/drift/src/state/user.rs::User::enter_liquidation
    """
    if user.is_being_liquidated():
        return user.next_liquidation_id - 1
    user.status |= UserStatus.BeingLiquidated
    user.liquidation_margin_freed = 0
    user.last_active_slot = slot
    liquidation_id = user.next_liquidation_id
    user.next_liquidation_id += 1
    return liquidation_id


def exit_liquidation(user: User) -> None:
    """Clear BeingLiquidated and Bankrupt and reset liquidation_margin_freed.

    Source: programs/drift/src/state/user.rs::User::exit_liquidation
    """
    user.status &= ~(UserStatus.BeingLiquidated | UserStatus.Bankrupt)
    user.liquidation_margin_freed = 0


def enter_bankruptcy(user: User) -> None:
    """Replace BeingLiquidated by Bankrupt.

    Source: programs/drift/src/state/user.rs::User::enter_bankruptcy
    """
    user.status = (user.status & ~UserStatus.BeingLiquidated) | UserStatus.Bankrupt


def increment_margin_freed(user: User, margin_freed: int) -> None:
    """Add `margin_freed` (1e6) to the margin freed so far in this liquidation.

    Source: programs/drift/src/state/user.rs::User::increment_margin_freed
    """
    user.liquidation_margin_freed += cast_u64(margin_freed)


def validate_user_not_being_liquidated(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    liquidation_margin_buffer_ratio: int,
) -> None:
    """Raise UserIsBeingLiquidated for a flagged user still in liquidation territory.

    A flagged user who has recovered is taken out of liquidation (the reference does this from
    math/liquidation.rs; here it lives with the other user-status changes).

    Source: programs/drift/src/math/liquidation.rs::validate_user_not_being_liquidated
    """
    if not user.is_being_liquidated():
        return
    if is_user_being_liquidated(
        user, perp_market_map, spot_market_map, oracle_map, liquidation_margin_buffer_ratio
    ):
        raise UserIsBeingLiquidated(f"user {user.key} is still being liquidated")
    exit_liquidation(user)


def try_exit_liquidation(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    liquidation_margin_buffer_ratio: int,
) -> None:
    """Take a flagged user out of liquidation once it meets maintenance plus the buffer.

    Source: programs/drift/src/instructions/user.rs::handle_deposit (liquidation status update)
    """
    if user.is_being_liquidated() and not is_user_being_liquidated(
        user, perp_market_map, spot_market_map, oracle_map, liquidation_margin_buffer_ratio
    ):
        exit_liquidation(user)
