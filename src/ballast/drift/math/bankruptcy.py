"""Whether a user is bankrupt: liabilities left and nothing that could still cover them.

Source: programs/drift/src/math/bankruptcy.rs
"""

from __future__ import annotations

from ballast.drift.state.spot_market import SpotBalanceType
from ballast.drift.state.user import User

__all__ = ["is_user_bankrupt"]


def is_user_bankrupt(user: User) -> bool:
    """True iff the user has a liability and no asset or exposure.

    Any spot deposit, perp base, positive perp quote, open order (count, bids or asks) or LP
    shares means not bankrupt; a spot borrow or a negative perp quote is a liability. An empty
    user is not bankrupt.

    Source: programs/drift/src/math/bankruptcy.rs::is_user_bankrupt
    """
    has_liability = False
    for spot_position in user.spot_positions:
        if spot_position.scaled_balance > 0:
            if spot_position.balance_type is SpotBalanceType.Deposit:
                return False
            has_liability = True
    for perp_position in user.perp_positions:
        if (
            perp_position.base_asset_amount != 0
            or perp_position.quote_asset_amount > 0
            or perp_position.open_orders != 0
            or perp_position.open_bids != 0
            or perp_position.open_asks != 0
            or perp_position.lp_shares > 0
        ):
            return False
        if perp_position.quote_asset_amount < 0:
            has_liability = True
    return has_liability
