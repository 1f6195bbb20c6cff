"""The margin watch (drift.math.margin_watch): whenever it says a user's maintenance margin is
certainly met, a full calculation finds it met, over random oracle moves, trades that move the
LP accumulators, funding, resting orders, LP shares and positions levered to the initial
margin's edge (so that users fall below maintenance); it
skips most rounds of a user nothing happens to; anything it does not cover gives no watch."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ballast.drift.constants import BASE_PRECISION
from ballast.drift.errors import DriftError
from ballast.drift.exchange import Exchange
from ballast.drift.math.margin_watch import margin_certainly_met, margin_watch
from ballast.drift.presets import add_perp_market, fund_user, new_exchange
from ballast.drift.state.margin_calculation import MarginRequirementType
from ballast.drift.state.order_params import OrderParams, PostOnlyParam
from ballast.drift.state.user import OrderType, PositionDirection
from ballast.fixed import MathError

USERS = ("taker", "lp", "maker", "flow")
MARKETS = (0, 1)  # SOL-PERP at $100, ETH-PERP at $2000
TICK = 100
LOT = {0: BASE_PRECISION // 10, 1: BASE_PRECISION // 100}
_Maintenance = MarginRequirementType.Maintenance


def build_exchange() -> Exchange:
    exchange = new_exchange()
    add_perp_market(exchange, 100, base_liquidity=20_000, name="SOL-PERP")
    add_perp_market(exchange, 2_000, base_liquidity=2_000, name="ETH-PERP")
    for user, dollars in zip(USERS, (2_000, 3_000, 5_000, 100_000), strict=True):
        fund_user(exchange, user, dollars)
    exchange.add_perp_lp_shares("lp", 0, 0, 200 * BASE_PRECISION)
    return exchange


def _market_order(exchange: Exchange, user: str, market: int, lots: int) -> None:
    direction = PositionDirection.Long if lots > 0 else PositionDirection.Short
    params = OrderParams(order_type=OrderType.Market, direction=direction, market_index=market,
                         base_asset_amount=abs(lots) * LOT[market])
    exchange.place_and_take_perp_order(user, 0, params)


def apply_step(exchange: Exchange, step: tuple) -> None:
    kind = step[0]
    if kind == "oracle":
        _, seconds, market, bps = step
        exchange.update_clock(exchange.now + seconds)
        for index in MARKETS:
            price = exchange.oracle_map.get_perp(index).price
            if index == market:
                price = max(TICK, price * (10_000 + bps) // 10_000)
            exchange.update_oracle_price(index, price, confidence=price // 5_000)
    elif kind == "trade":
        _, user, market, lots = step
        _market_order(exchange, USERS[user], market, lots)
    elif kind == "order":
        _, market, long, bps = step
        price = exchange.oracle_map.get_perp(market).price * (10_000 + bps) // 10_000
        params = OrderParams(order_type=OrderType.Limit, market_index=market,
                             direction=PositionDirection.Long if long else PositionDirection.Short,
                             base_asset_amount=5 * LOT[market], price=max(TICK, price - price % TICK),
                             post_only=PostOnlyParam.TryPostOnly)
        exchange.place_perp_order("maker", 0, params)
    elif kind == "funding":
        for index in MARKETS:
            exchange.update_amm(index)
            exchange.update_funding_rate(index)
    elif kind == "lp":
        _, shares = step
        if shares > 0:
            exchange.add_perp_lp_shares("lp", 0, 0, shares * BASE_PRECISION)
        else:
            exchange.settle_lp("lp", 0, 0)
    elif kind == "lever":  # a position, then a withdrawal to near the initial margin
        _, user, market, lots, pct = step
        try:
            _market_order(exchange, USERS[user], market, lots)
        finally:
            amount = exchange.free_collateral(USERS[user]) * pct // 100 - 1
            exchange.withdraw(USERS[user], 0, 0, max(1, amount))


steps = st.lists(
    st.one_of(
        st.tuples(st.just("oracle"), st.integers(1, 600), st.sampled_from(MARKETS),
                  st.one_of(st.integers(-60, 60), st.integers(-1_500, 1_500))),
        st.tuples(st.just("oracle"), st.integers(1, 60), st.sampled_from(MARKETS), st.integers(-5, 5)),
        st.tuples(st.just("trade"), st.integers(0, len(USERS) - 1), st.sampled_from(MARKETS),
                  st.integers(-400, 400).filter(bool)),
        st.tuples(st.just("order"), st.sampled_from(MARKETS), st.booleans(), st.integers(-300, 300)),
        st.tuples(st.just("funding")),
        st.tuples(st.just("lp"), st.integers(-1, 50)),
        st.tuples(st.just("lever"), st.integers(0, len(USERS) - 1), st.sampled_from(MARKETS),
                  st.integers(-200, 200).filter(bool), st.integers(50, 100)),
        st.tuples(st.just("oracle"), st.integers(1, 60), st.sampled_from(MARKETS),
                  st.sampled_from((-1_500, -700, -300, 300, 700, 1_500))),
    ),
    min_size=5,
    max_size=60,
)


def _check_round(exchange: Exchange, watches: dict) -> int:
    """One keeper round over every user, as sim.keepers does it; asserts that a watch's
    `certainly met` is never wrong. Returns the number of rounds skipped."""
    skipped = 0
    for name in USERS:
        user = exchange.user(name)
        calculation = exchange.margin_calculation(user, _Maintenance)
        watch = watches.get(name)
        if watch is not None and margin_certainly_met(
            watch, user, exchange.perp_markets, exchange.spot_markets, exchange.oracle_map
        ):
            assert calculation.meets_margin_requirement(), (name, watch, calculation)
            skipped += 1
            continue
        watches.pop(name, None)
        if calculation.meets_margin_requirement() and not user.is_being_liquidated():
            watch = margin_watch(user, exchange.perp_markets, exchange.spot_markets,
                                 exchange.oracle_map, calculation)
            if watch is not None:
                watches[name] = watch
    return skipped


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
# a user pushed below maintenance by the oracle; a levered LP whose accumulators trades move
@example([("lever", 0, 1, 127, 99), ("funding",), ("oracle", 1, 1, -599), ("oracle", 1, 1, 2)])
@example([("lp", 40), ("lever", 1, 0, 200, 100), ("trade", 3, 0, -400), ("oracle", 60, 0, -1_500),
          ("trade", 3, 0, 400), ("oracle", 60, 0, 50)])
def test_certainly_met_is_never_wrong(sequence):
    exchange = build_exchange()
    watches: dict = {}
    _check_round(exchange, watches)
    for step in sequence:
        try:
            apply_step(exchange, step)
        except (DriftError, MathError):
            pass
        _check_round(exchange, watches)


def test_a_quiet_user_is_skipped_until_the_oracle_has_moved_enough():
    exchange = build_exchange()
    apply_step(exchange, ("lever", 0, 0, 150, 95))  # ~15 SOL on ~$240: ~5% above initial margin
    watches: dict = {}
    assert _check_round(exchange, watches) == 0
    assert set(watches) == set(USERS)
    # small moves: every user skipped; each move is checked against the watch's bound
    for bps in (3, -4, 5, -2):
        apply_step(exchange, ("oracle", 60, 0, bps))
        assert _check_round(exchange, watches) == len(USERS)
    # a 15% fall costs the taker more than its excess: recalculated, and below maintenance
    apply_step(exchange, ("oracle", 60, 0, -1_500))
    assert _check_round(exchange, watches) < len(USERS)
    assert "taker" not in watches


def test_the_users_own_trade_or_funding_ends_the_watch():
    exchange = build_exchange()
    _market_order(exchange, "taker", 0, 10)
    watches: dict = {}
    _check_round(exchange, watches)
    before = watches["taker"]
    _market_order(exchange, "taker", 0, 10)
    assert not margin_certainly_met(before, exchange.user("taker"), exchange.perp_markets,
                                    exchange.spot_markets, exchange.oracle_map)
    _check_round(exchange, watches)
    exchange.update_clock(exchange.now + 3_600)
    exchange.update_oracle_price(0, 101 * 10**6, confidence=101 * 10**6 // 5_000)
    exchange.update_funding_rate(0)
    assert exchange.perp_markets[0].amm.cumulative_funding_rate_long != 0
    assert not margin_certainly_met(watches["taker"], exchange.user("taker"), exchange.perp_markets,
                                    exchange.spot_markets, exchange.oracle_map)


def test_no_watch_for_what_the_bound_does_not_cover():
    exchange = build_exchange()
    exchange.initialize_spot_market(1, decimals=9, name="SOL", oracle_price=20 * 10**6,
                                    initial_asset_weight=8_000, maintenance_asset_weight=9_000,
                                    initial_liability_weight=12_000, maintenance_liability_weight=11_000)
    fund_user(exchange, "holder", 1_000)
    exchange.deposit("holder", 0, 1, 2 * 10**9)
    user = exchange.user("holder")
    calculation = exchange.margin_calculation(user, _Maintenance)
    assert calculation.meets_margin_requirement()
    assert margin_watch(user, exchange.perp_markets, exchange.spot_markets, exchange.oracle_map,
                        calculation) is None
    initial = exchange.margin_calculation(exchange.user("taker"), MarginRequirementType.Initial)
    assert margin_watch(exchange.user("taker"), exchange.perp_markets, exchange.spot_markets,
                        exchange.oracle_map, initial) is None
