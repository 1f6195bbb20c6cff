"""Property tests: random sequences of lending, trading, liquidation, bankruptcy and staking
instructions keep every vault balanced, rejected instructions change nothing, and a replay gives
the same state."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballast.drift.constants import ONE_HOUR
from ballast.drift.errors import DriftError
from ballast.drift.exchange import Exchange
from ballast.drift.presets import GENESIS_TS, add_perp_market, fund_user
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.user import MarketType, OrderType, PositionDirection
from ballast.fixed import MathError

USDC = 10**6
SOL = 10**9
PRICE = 10**6
USERS = ("alice", "bob", "carol")
KEEPER = "keeper"


def _exchange() -> Exchange:
    ex = Exchange()
    ex.update_clock(GENESIS_TS)
    ex.initialize_spot_market(total_if_factor=100_000, withdraw_guard_threshold=10**12)
    ex.initialize_spot_market(
        1,
        decimals=9,
        name="SOL",
        initial_asset_weight=8000,
        maintenance_asset_weight=9000,
        initial_liability_weight=12000,
        maintenance_liability_weight=11000,
        oracle_price=100 * PRICE,
        total_if_factor=100_000,
        withdraw_guard_threshold=10**15,
        liquidator_fee=10_000,
        if_liquidation_fee=10_000,
        unstaking_period=2 * ONE_HOUR,
    )
    add_perp_market(ex, 100)
    ex.perp_market(0).insurance_claim.quote_max_insurance = 500 * USDC
    fund_user(ex, KEEPER, 1_000_000)
    for name in USERS:
        fund_user(ex, name, 1_000)
        ex.initialize_insurance_fund_stake(name, 0)
    # a starting book: alice 7x long, bob borrows $700 of USDC against 10 SOL, carol stakes,
    # the keeper is short
    for op in (
        ("trade", "alice", True, 700),
        ("deposit", "bob", 1, 1_000),
        ("withdraw", "bob", 0, 1_700),
        ("stake", "carol", 500),
        ("trade", KEEPER, False, 100),
    ):
        _apply(ex, op)
    return ex


def _price(ex: Exchange) -> int:
    return ex.oracle_map.get_spot(1).price


def _apply(ex: Exchange, op: tuple) -> None:
    kind, *args = op
    if kind == "deposit":
        user, market, amount = args
        ex.deposit(user, 0, market, amount * (USDC if market == 0 else SOL // 100))
    elif kind == "withdraw":
        user, market, amount = args
        ex.withdraw(user, 0, market, amount * (USDC if market == 0 else SOL // 100))
    elif kind == "tick":
        seconds, move_pct = args
        price = max(PRICE, _price(ex) * (100 + move_pct) // 100)
        ex.update_clock(ex.now + seconds)
        ex.update_oracle_price(0, price)
        ex.update_oracle_price(1, price, market_type=MarketType.Spot)
    elif kind == "interest":
        ex.update_spot_market_cumulative_interest(args[0])
    elif kind == "trade":
        user, long, size = args
        direction = PositionDirection.Long if long else PositionDirection.Short
        limit = _price(ex) * (103 if long else 97) // 100
        ex.place_and_take_perp_order(
            user,
            0,
            OrderParams(
                order_type=OrderType.Limit,
                direction=direction,
                base_asset_amount=size * SOL // 10,
                price=limit,
                immediate_or_cancel=True,
            ),
        )
    elif kind == "liquidate_perp":
        ex.liquidate_perp(KEEPER, 0, args[0], 0, 0, 10**15)
    elif kind == "liquidate_spot":
        ex.liquidate_spot(KEEPER, 0, args[0], 0, args[1], 1 - args[1], 10**15)
    elif kind == "pnl_for_deposit":
        ex.liquidate_perp_pnl_for_deposit(KEEPER, 0, args[0], 0, 0, args[1], 10**15)
    elif kind == "resolve_perp":
        ex.resolve_perp_bankruptcy(KEEPER, 0, args[0], 0, 0)
    elif kind == "resolve_spot":
        ex.resolve_spot_bankruptcy(KEEPER, 0, args[0], 0, args[1])
    elif kind == "stake":
        ex.add_insurance_fund_stake(args[0], 0, args[1] * USDC)
    elif kind == "request":
        ex.request_remove_insurance_fund_stake(args[0], 0, args[1] * USDC)
    elif kind == "cancel":
        ex.cancel_request_remove_insurance_fund_stake(args[0], 0)
    elif kind == "remove":
        ex.remove_insurance_fund_stake(args[0], 0)
    elif kind == "settle_revenue":
        ex.settle_revenue_to_insurance_fund(args[0])
    elif kind == "settle_pnl":
        ex.settle_pnl(args[0], 0, 0)
    else:  # pragma: no cover
        raise AssertionError(kind)


def _expand(op: tuple) -> list[tuple]:
    """A keeper round tries every liquidation and resolution on one user, one at a time."""
    if op[0] != "keeper_round":
        return [op]
    user = op[1]
    return [
        ("liquidate_perp", user),
        ("pnl_for_deposit", user, 0),
        ("pnl_for_deposit", user, 1),
        ("liquidate_spot", user, 1),
        ("liquidate_spot", user, 0),
        ("resolve_perp", user),
        ("resolve_spot", user, 0),
        ("resolve_spot", user, 1),
    ]


def _digest(ex: Exchange) -> tuple:
    stakes = sorted((key, repr(stake)) for key, stake in ex.insurance_fund_stakes.items())
    return ex.state_digest(), repr(stakes), len(ex.events)


users = st.sampled_from(USERS)
markets = st.sampled_from((0, 1))
operations = st.one_of(
    st.tuples(st.just("deposit"), users, markets, st.integers(1, 500)),
    st.tuples(st.just("withdraw"), users, markets, st.integers(1, 1_500)),
    st.tuples(
        st.just("tick"), st.sampled_from((1, 60, 600, ONE_HOUR, 6 * ONE_HOUR)), st.integers(-30, 20)
    ),
    st.tuples(st.just("tick"), st.just(60), st.integers(-60, -10)),
    st.tuples(st.just("keeper_round"), users),
    st.tuples(st.just("keeper_round"), users),
    st.tuples(st.just("interest"), markets),
    st.tuples(st.just("trade"), users, st.booleans(), st.integers(1, 150)),
    st.tuples(st.just("liquidate_perp"), users),
    st.tuples(st.just("liquidate_spot"), users, markets),
    st.tuples(st.just("pnl_for_deposit"), users, markets),
    st.tuples(st.just("resolve_perp"), users),
    st.tuples(st.just("resolve_spot"), users, markets),
    st.tuples(st.just("stake"), users, st.integers(0, 300)),
    st.tuples(st.just("request"), users, st.integers(1, 300)),
    st.tuples(st.just("cancel"), users),
    st.tuples(st.just("remove"), users),
    st.tuples(st.just("settle_revenue"), markets),
    st.tuples(st.just("settle_pnl"), users),
)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(operations, min_size=5, max_size=30))
def test_audit_balances_rejections_change_nothing_and_replay_matches(ops):
    ex = _exchange()
    applied = []
    for op in (sub for step in ops for sub in _expand(step)):
        before = _digest(ex)
        try:
            _apply(ex, op)
        except (DriftError, MathError):
            assert _digest(ex) == before, op
        else:
            applied.append(op)
        report = ex.audit()
        assert report.balanced, (op, report)

    replay = _exchange()
    for op in (sub for step in ops for sub in _expand(step)):
        try:
            _apply(replay, op)
        except (DriftError, MathError):
            pass
    assert _digest(replay) == _digest(ex)
