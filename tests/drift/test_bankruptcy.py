"""is_user_bankrupt, transcribed from programs/drift/src/math/bankruptcy/tests.rs."""

from __future__ import annotations

import pytest

from ballast.drift.math.bankruptcy import is_user_bankrupt
from ballast.drift.state.spot_market import SpotBalanceType
from ballast.drift.state.user import PerpPosition, SpotPosition, User

CASES = [
    ("user_has_position_with_base", User(perp_positions=[PerpPosition(base_asset_amount=1)]), False),
    ("user_has_position_with_positive_quote",
     User(perp_positions=[PerpPosition(quote_asset_amount=1)]), False),
    ("user_with_deposit",
     User(spot_positions=[SpotPosition(balance_type=SpotBalanceType.Deposit, scaled_balance=1)]),
     False),
    ("user_has_position_with_negative_quote",
     User(perp_positions=[PerpPosition(quote_asset_amount=-1)]), True),
    ("user_with_borrow",
     User(spot_positions=[SpotPosition(balance_type=SpotBalanceType.Borrow, scaled_balance=1)]),
     True),
    ("user_with_empty_position_and_balances", User(), False),
    ("negative_quote_with_open_order",
     User(perp_positions=[PerpPosition(quote_asset_amount=-1, open_orders=1)]), False),
]


@pytest.mark.parametrize("user,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_is_user_bankrupt_matches_reference(user, expected):
    # Act / Assert
    assert is_user_bankrupt(user) is expected
