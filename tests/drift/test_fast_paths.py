"""Fast paths on the fill path agree with the general code they stand in for.

Each hot-path shortcut is compared with the plain construction it replaces on random inputs:
`OrderParams.with_auction` with `dataclasses.replace`, the margin calculation's validity set
with `is_oracle_valid_for_action`, and the flat snapshot/restore with a deep copy of the state.
"""

from __future__ import annotations

import copy
import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from ballast.atomic import restore, snapshot
from ballast.drift.math.margin import _VALID_FOR_MARGIN_CALC
from ballast.drift.math.oracle import is_oracle_valid_for_action
from ballast.drift.state.oracle import DriftAction, OracleValidity
from ballast.drift.state.order_params import OrderParams, PostOnlyParam
from ballast.drift.state.perp_market import PerpMarket
from ballast.drift.state.user import (
    MarketType,
    Order,
    OrderTriggerCondition,
    OrderType,
    PerpPosition,
    PositionDirection,
    SpotPosition,
    User,
    UserStats,
)

_optional_int = st.none() | st.integers(-(10**12), 10**12)

order_params = st.builds(
    OrderParams,
    order_type=st.sampled_from(OrderType),
    market_type=st.sampled_from(MarketType),
    direction=st.sampled_from(PositionDirection),
    user_order_id=st.integers(0, 255),
    base_asset_amount=st.integers(0, 10**15),
    price=st.integers(0, 10**10),
    market_index=st.integers(0, 10),
    reduce_only=st.booleans(),
    post_only=st.sampled_from(PostOnlyParam),
    immediate_or_cancel=st.booleans(),
    max_ts=_optional_int,
    trigger_price=_optional_int,
    trigger_condition=st.sampled_from(OrderTriggerCondition),
    oracle_price_offset=_optional_int,
    auction_duration=_optional_int,
    auction_start_price=_optional_int,
    auction_end_price=_optional_int,
)


@given(order_params, _optional_int, _optional_int, _optional_int)
def test_with_auction_equals_dataclasses_replace(params, start, end, duration):
    fast = params.with_auction(start, end, duration)
    slow = dataclasses.replace(
        params, auction_start_price=start, auction_end_price=end, auction_duration=duration
    )
    assert fast == slow
    assert repr(fast) == repr(slow)


def test_margin_calc_validity_set_matches_the_rule():
    for validity in OracleValidity:
        assert (validity in _VALID_FOR_MARGIN_CALC) == is_oracle_valid_for_action(
            validity, DriftAction.MarginCalc
        )


_small = st.integers(-(10**6), 10**6)


def _mutate(data, user: User, stats: UserStats, market: PerpMarket, markets: dict) -> None:
    """Random in-place changes of the kinds an instruction makes."""
    for _ in range(data.draw(st.integers(0, 12))):
        kind = data.draw(st.integers(0, 10))
        if kind == 0:
            market.amm.sqrt_k += data.draw(_small)
        elif kind == 1:
            market.amm.fee_pool.scaled_balance += data.draw(_small)
        elif kind == 2:
            market.amm.historical_oracle_data.last_oracle_price_twap = data.draw(_small)
        elif kind == 3:
            user.orders.append(Order(order_id=data.draw(st.integers(1, 99))))
        elif kind == 4 and user.orders:
            user.orders[0].base_asset_amount_filled += data.draw(_small)
        elif kind == 5 and user.orders:
            user.orders.pop()
        elif kind == 6:
            user.perp_positions.append(PerpPosition(market_index=data.draw(st.integers(0, 5))))
        elif kind == 7 and user.perp_positions:
            user.perp_positions[0].quote_asset_amount += data.draw(_small)
        elif kind == 8:
            stats.fees.total_fee_paid += data.draw(_small)
            stats.taker_volume_30d += data.draw(_small)
        elif kind == 9:
            markets[data.draw(st.integers(0, 5))] = PerpMarket(market_index=7)
        elif kind == 10 and user.spot_positions:
            user.spot_positions[0] = SpotPosition(market_index=3, scaled_balance=data.draw(_small))
        user.next_order_id += 1


@settings(max_examples=200)
@given(st.data())
def test_snapshot_restore_returns_every_object_to_its_state_and_identity(data):
    user = User(
        authority="a",
        spot_positions=[SpotPosition(market_index=0, scaled_balance=5)],
        perp_positions=[PerpPosition(market_index=0, base_asset_amount=data.draw(_small))],
        orders=[Order(order_id=1, base_asset_amount=data.draw(_small))],
    )
    stats = UserStats(authority="a")
    market = PerpMarket(market_index=0)
    markets = {0: market, 1: PerpMarket(market_index=1)}
    _mutate(data, user, stats, market, markets)  # a random starting state
    before = copy.deepcopy((user, stats, market, markets))
    inner = (
        market.amm,
        market.amm.fee_pool,
        list(user.orders),
        list(user.perp_positions),
        list(user.spot_positions),
        stats.fees,
        dict(markets),
    )
    snaps = [snapshot(obj) for obj in (user, stats, market, markets)]
    _mutate(data, user, stats, market, markets)
    for snap in snaps:
        restore(snap)
    assert (user, stats, market, markets) == before
    assert market.amm is inner[0] and market.amm.fee_pool is inner[1]
    assert all(a is b for a, b in zip(user.orders, inner[2], strict=True))
    assert all(a is b for a, b in zip(user.perp_positions, inner[3], strict=True))
    assert all(a is b for a, b in zip(user.spot_positions, inner[4], strict=True))
    assert stats.fees is inner[5]
    assert list(markets) == list(inner[6]) and all(markets[k] is inner[6][k] for k in markets)


def test_snapshot_of_immutable_values_is_none():
    assert snapshot(3) is None
    assert snapshot(OrderParams()) is None
    restore(None)
