"""Property test of spot trading through the Exchange: random sequences of spot orders, fills,
cancels, swaps and clock/price moves over USDC and SOL spot markets (three traders, one keeper).

After every step: the conservation audit balances exactly (spot fee pools and the revenue pool
included); a step refused with a DriftError or MathError left the state digest and the event
count as they were; every user's spot order counters (open orders, open bids/asks) equal the
values recomputed from its open orders.
"""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ballast.drift.errors import DriftError
from ballast.drift.events import OrderAction, OrderActionRecord
from ballast.drift.exchange import Exchange
from ballast.drift.presets import GENESIS_TS, fund_user
from ballast.drift.state.order_params import OrderParams, PostOnlyParam
from ballast.drift.state.user import MarketType, OrderStatus, OrderType, PositionDirection
from ballast.fixed import MathError

USDC, SOL, PRICE = 10**6, 10**9, 10**6
TRADERS = ("alice", "bob", "carol")
STEP = SOL // 1000


def _exchange(fee_to_revenue_pool: bool) -> Exchange:
    ex = Exchange()
    ex.update_clock(GENESIS_TS)
    ex.initialize_spot_market(total_if_factor=100_000, withdraw_guard_threshold=10**12)
    ex.initialize_spot_market(
        1, decimals=9, name="SOL", initial_asset_weight=8000, maintenance_asset_weight=9000,
        initial_liability_weight=12000, maintenance_liability_weight=11000,
        oracle_price=100 * PRICE, withdraw_guard_threshold=10**15,
    )
    ex.update_spot_market_step_size_and_tick_size(1, STEP, 100)
    ex.update_spot_market_min_order_size(1, STEP)
    ex.update_spot_market_orders_enabled(1, True)
    ex.update_spot_fee_to_revenue_pool(fee_to_revenue_pool)
    for name in TRADERS:
        fund_user(ex, name, 5_000)
        ex.deposit(name, 0, 1, 30 * SOL)
    ex.initialize_user("keeper")
    ex.update_user_margin_trading_enabled("carol", 0, True)
    return ex


sizes = st.integers(1, 60_000).map(lambda lots: lots * STEP)  # up to 60 SOL (some beyond balances)
prices = st.integers(95_0000, 105_0000).map(lambda p: p * 100)  # $95 .. $105 on the tick
sides = st.sampled_from((PositionDirection.Long, PositionDirection.Short))
traders = st.sampled_from(TRADERS)
step = st.one_of(
    st.tuples(st.just("rest"), traders, sides, sizes, prices),
    st.tuples(st.just("take"), traders, sides, sizes),  # priced 10% through the oracle
    st.tuples(st.just("cross"), traders, traders, sides, sizes, prices),  # rest, a second, take
    st.tuples(st.just("place"), traders, sides, sizes, prices),
    st.tuples(st.just("fill"), traders, st.integers(0, 5)),
    st.tuples(st.just("cancel"), traders, st.integers(0, 5)),
    st.tuples(st.just("swap"), traders, st.booleans(), sizes, st.integers(-300, 300)),
    st.tuples(st.just("tick"), st.integers(1, 900), st.integers(-300, 300)),
    st.tuples(st.just("tick"), st.integers(1, 60), st.integers(-30, 30)),  # ticks often: orders rest a slot
)


def _limit(side, size, price, post_only=PostOnlyParam.None_, ioc=False) -> OrderParams:
    return OrderParams(order_type=OrderType.Limit, market_type=MarketType.Spot, direction=side,
                       base_asset_amount=size, price=price, market_index=1, post_only=post_only,
                       immediate_or_cancel=ioc)


def _take(ex: Exchange, who: str, side: PositionDirection, size: int) -> None:
    oracle = ex.oracle_map.get_spot(1).price
    price = (oracle * 11 // 10 if side is PositionDirection.Long else oracle * 9 // 10) // 100 * 100
    ex.place_and_take_spot_order(who, 0, _limit(side, size, price, ioc=True))


def _apply(ex: Exchange, action: tuple) -> None:
    kind = action[0]
    if kind == "rest":
        _, who, side, size, price = action
        ex.place_spot_order(who, 0, _limit(side, size, price, PostOnlyParam.MustPostOnly))
    elif kind == "take":
        _, who, side, size = action
        _take(ex, who, side, size)
    elif kind == "place":
        _, who, side, size, price = action
        ex.place_spot_order(who, 0, _limit(side, size, price))
    elif kind in ("fill", "cancel"):
        _, who, index = action
        orders = [o for o in ex.user(who, 0).orders if o.status is OrderStatus.Open]
        if not orders:
            return
        order_id = orders[index % len(orders)].order_id
        if kind == "fill":
            ex.fill_spot_order("keeper", 0, who, 0, order_id)
        else:
            ex.cancel_order(who, 0, order_id)
    elif kind == "swap":
        _, who, sell_sol, size, bps = action
        oracle = ex.oracle_map.get_spot(1).price
        if sell_sol:  # USDC per SOL, near the oracle
            ex.swap(who, 0, 1, 0, size, oracle * (10_000 + bps) // 10_000)
        else:  # SOL per USDC
            ex.swap(who, 0, 0, 1, size // 10, PRICE * PRICE * (10_000 + bps) // 10_000 // oracle)
    else:
        _, seconds, bps = action
        ex.update_clock(ex.now + seconds)
        oracle = ex.oracle_map.get_spot(1).price
        ex.update_oracle_price(1, oracle * (10_000 + bps) // 10_000, market_type=MarketType.Spot)


def _check_counters(ex: Exchange) -> None:
    for user in ex.users.values():
        open_orders = [o for o in user.orders if o.status is OrderStatus.Open]
        assert user.open_orders == len(open_orders)
        for position in user.spot_positions:
            mine = [o for o in open_orders if o.market_type is MarketType.Spot and o.market_index == position.market_index]
            bids = sum(o.base_asset_amount - o.base_asset_amount_filled for o in mine if o.direction is PositionDirection.Long)
            asks = sum(o.base_asset_amount - o.base_asset_amount_filled for o in mine if o.direction is PositionDirection.Short)
            assert (position.open_orders, position.open_bids, position.open_asks) == (len(mine), bids, -asks)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=40), st.booleans())
def test_random_spot_sequences_keep_the_audit_balanced_and_refusals_unchanged(actions, fee_to_revenue_pool):
    ex = _exchange(fee_to_revenue_pool)
    for step_action in actions:
        if step_action[0] == "cross":  # a resting order, a second, a take: three steps
            _, maker, taker, side, size, price = step_action
            todo = [("rest", maker, side.opposite(), size, price), ("tick", 1, 0), ("take", taker, side, size)]
        else:
            todo = [step_action]
        for action in todo:
            _step(ex, action)


def _step(ex: Exchange, action: tuple) -> None:
    before = (ex.state_digest(), len(ex.events))
    try:
        _apply(ex, action)
        event(f"{action[0]} applied")
    except (DriftError, MathError) as error:
        event(f"{action[0]} refused: {type(error).__name__}")
        assert (ex.state_digest(), len(ex.events)) == before, action
    if any(type(e) is OrderActionRecord and e.action is OrderAction.Fill for e in ex.events[before[1]:]):
        event("a spot fill")
    report = ex.audit()
    assert report.balanced, (action, report)
    _check_counters(ex)
