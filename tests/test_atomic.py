"""Snapshots restore every touched account in place, keeping object identity."""

from ballast.atomic import restore, snapshot
from ballast.drift.state import PerpMarket, PerpPosition, User


def test_restore_undoes_field_changes_and_keeps_identity():
    market = PerpMarket(market_index=3)
    amm = market.amm
    snap = snapshot(market)
    market.amm.sqrt_k = 99
    market.amm.fee_pool.scaled_balance = 7
    market.market_index = 4
    restore(snap)
    assert market.amm is amm
    assert (market.amm.sqrt_k, market.amm.fee_pool.scaled_balance, market.market_index) == (0, 0, 3)


def test_restore_undoes_list_appends_replacements_and_element_changes():
    position = PerpPosition(market_index=1, base_asset_amount=5)
    user = User(authority="a", perp_positions=[position])
    snap = snapshot(user)
    position.base_asset_amount = 9
    user.perp_positions.append(PerpPosition(market_index=2))
    user.perp_positions[0] = PerpPosition(market_index=7)
    restore(snap)
    assert user.perp_positions == [PerpPosition(market_index=1, base_asset_amount=5)]
    assert user.perp_positions[0] is position


def test_restore_undoes_dict_inserts_and_removals():
    markets = {0: PerpMarket(market_index=0)}
    snap = snapshot(markets)
    markets[1] = PerpMarket(market_index=1)
    del markets[0]
    restore(snap)
    assert list(markets) == [0]
