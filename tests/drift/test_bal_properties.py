"""Property tests of Backstop AMM Liquidity: random sequences of providers entering and leaving.

Each generated step is a plain tuple interpreted against a fresh exchange: a $100 SOL-PERP
(50_000 base of protocol liquidity, maintenance 9.5% so liquidations happen), 4-6 providers with
random collateral adding / removing / settling shares, 2 takers trading random sizes both ways,
oracle moves, funding updates, settle_pnl (TrySettle, which may de-risk a provider) and
liquidations. After every step:

* the conservation audit balances;
* the sum of the users' lp_shares equals amm.user_lp_shares, and sqrt_k >= user_lp_shares;
* a step rejected with a DriftError or MathError left the state digest and the event count
  exactly as they were (any other exception is a bug and fails the test).

Replaying the sequence gives the same digest; after every provider settles, the market's
open interest equals base_asset_amount_with_amm + base_asset_amount_with_unsettled_lp.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballast.drift.controller.pnl import SettlePnlMode
from ballast.drift.errors import DriftError
from ballast.drift.exchange import Exchange
from ballast.drift.presets import add_perp_market, fund_user, new_exchange
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.user import OrderType, PositionDirection
from ballast.fixed import MathError

BASE = 10**9
PRICE = 10**6
STEP = BASE // 100
TAKERS = ("t0", "t1")
MAX_STEPS = 40
ALLOWED_REJECTIONS = (DriftError, MathError)

provider_funds = st.sampled_from([20_000, 45_000, 200_000])

add_steps = st.integers(1, 1_000) | st.integers(100_000, 1_200_000)  # 0.01..10, 1k..12k shares
add = st.tuples(st.just("add"), st.integers(0, 5), add_steps)
remove = st.tuples(st.just("remove"), st.integers(0, 5), st.none() | st.integers(0, 1_500_000))
trade = st.tuples(st.just("trade"), st.integers(0, 1), st.booleans(), st.integers(1, 5_000))
oracle = st.tuples(st.just("oracle"), st.integers(-600, 1_000))  # bps move, drifting upward
shock = st.tuples(st.just("oracle"), st.sampled_from([-2_000, 2_500, 4_000]))  # for liquidations
step = st.one_of(
    add,
    add,
    remove,
    st.tuples(st.just("settle_lp"), st.integers(0, 5)),
    trade,
    trade,
    trade,
    oracle,
    oracle,
    shock,
    st.tuples(st.just("funding")),
    st.tuples(st.just("settle_pnl"), st.integers(0, 7)),
    st.tuples(st.just("liquidate"), st.integers(0, 7)),
)
scenario = st.tuples(
    st.lists(provider_funds, min_size=4, max_size=6),
    st.lists(step, min_size=10, max_size=MAX_STEPS),
)


def _providers(funds: list[int]) -> list[str]:
    return [f"p{i}" for i in range(len(funds))]


def build_exchange(funds: list[int]) -> Exchange:
    ex = new_exchange()
    add_perp_market(ex, 100, base_liquidity=50_000, margin_ratio_maintenance=950)
    for name, dollars in zip(_providers(funds), funds, strict=True):
        fund_user(ex, name, dollars)
    for name in TAKERS:
        fund_user(ex, name, 100_000)
    fund_user(ex, "liquidator", 1_000_000)
    return ex


def _price(ex: Exchange) -> int:
    return ex.oracle_map.get_perp(0).price


def _tick(ex: Exchange, seconds: int, price: int | None = None) -> None:
    ex.update_clock(ex.now + seconds)
    ex.update_oracle_price(0, _price(ex) if price is None else price)


def _pick(ex: Exchange, names: list[str], index: int, shares_only: bool) -> str:
    """The index-th (mod) of `names` holding shares (shares_only) or any position in the market,
    or of all `names` when none does: steps aim at accounts they can act on, deterministically."""
    holders = []
    for name in names:
        position = ex.user(name).get_perp_position(0)
        if position is not None and (position.lp_shares > 0 or not shares_only):
            holders.append(name)
    pool = holders or names
    return pool[index % len(pool)]


def _action(ex: Exchange, funds: list[int], op: tuple[Any, ...]):
    """Clock/oracle preparation (always applied), then the instruction as a thunk."""
    providers = _providers(funds)
    users = providers + list(TAKERS)
    kind = op[0]
    if kind == "oracle":
        moved = _price(ex) * (10_000 + op[1]) // 10_000
        _tick(ex, 1, min(max(moved, 60 * PRICE), 170 * PRICE))
        return lambda: ex.update_amm(0)
    if kind == "funding":
        amm = ex.perp_market(0).amm
        _tick(ex, max(amm.last_funding_rate_ts + 3_600 - ex.now, 1))
        return lambda: ex.update_funding_rate(0)
    _tick(ex, 1)
    if kind == "add":
        who = providers[op[1] % len(providers)]
        return lambda: ex.add_perp_lp_shares(who, 0, 0, op[2] * STEP)
    if kind == "remove":
        who = _pick(ex, providers, op[1], shares_only=True)
        shares = None if op[2] is None else op[2] * STEP
        return lambda: ex.remove_perp_lp_shares(who, 0, 0, shares)
    if kind == "settle_lp":
        who = _pick(ex, providers, op[1], shares_only=True)
        return lambda: ex.settle_lp(who, 0, 0)
    if kind == "trade":
        who = TAKERS[op[1]]
        direction = PositionDirection.Long if op[2] else PositionDirection.Short
        limit = _price(ex) * (110 if op[2] else 90) // 100
        params = OrderParams(
            order_type=OrderType.Limit,
            direction=direction,
            base_asset_amount=op[3] * STEP,
            price=limit - limit % 100,
            immediate_or_cancel=True,
        )
        return lambda: ex.place_and_take_perp_order(who, 0, params)
    who = _pick(ex, users, op[1], shares_only=False)
    if kind == "settle_pnl":
        return lambda: ex.settle_pnl(who, 0, 0, SettlePnlMode.TrySettle)
    assert kind == "liquidate"
    who = _pick(ex, providers, op[1], shares_only=True) if op[1] < 4 else who
    return lambda: ex.liquidate_perp("liquidator", 0, who, 0, 0, 1_000 * BASE)


def _check_invariants(ex: Exchange, funds: list[int], where: str) -> None:
    report = ex.audit()
    assert report.balanced, f"{where}: {report}"
    amm = ex.perp_market(0).amm
    held = 0
    for user in ex.users.values():
        position = user.get_perp_position(0)
        if position is not None:
            held += position.lp_shares
    assert held == amm.user_lp_shares, f"{where}: users hold {held} != {amm.user_lp_shares}"
    assert amm.sqrt_k >= amm.user_lp_shares, where


def run(funds: list[int], ops: list[tuple[Any, ...]], check: bool) -> tuple[Exchange, list[str]]:
    ex = build_exchange(funds)
    outcomes: list[str] = []
    for index, op in enumerate(ops):
        thunk = _action(ex, funds, op)
        digest, n_events = (ex.state_digest(), len(ex.events)) if check else (None, None)
        try:
            thunk()
            outcomes.append("ok")
        except ALLOWED_REJECTIONS as error:
            outcomes.append(type(error).__name__)
            if check:
                where = f"step {index} {op} rejected with {error!r}"
                assert ex.state_digest() == digest, where
                assert len(ex.events) == n_events, where
        if check:
            _check_invariants(ex, funds, f"after step {index} {op} ({outcomes[-1]})")
    return ex, outcomes


def _settle_all_providers(ex: Exchange, funds: list[int]) -> None:
    _tick(ex, 1)
    for who in _providers(funds):
        ex.settle_lp(who, 0, 0)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenario)
def test_random_bal_sequences_keep_the_books_and_replay_identically(case):
    funds, ops = case

    ex, outcomes = run(funds, ops, check=True)
    replay, replay_outcomes = run(funds, ops, check=False)

    assert replay_outcomes == outcomes
    assert replay.state_digest() == ex.state_digest()
    _settle_all_providers(ex, funds)
    amm = ex.perp_market(0).amm
    assert (
        amm.base_asset_amount_long + amm.base_asset_amount_short
        == amm.base_asset_amount_with_amm + amm.base_asset_amount_with_unsettled_lp
    )
    _check_invariants(ex, funds, "after every provider settled")
