"""Property tests of the Exchange facade: random instruction sequences over two perp markets.

Each generated step is a plain tuple interpreted against a fresh exchange (SOL-PERP at $100 and
ETH-PERP at $2000, five subaccounts of four authorities). After every step:

* (a) the conservation audit holds: no perp aggregate mismatch, a non-negative rounding surplus
  and a USDC vault difference that is only per-holder flooring dust (exactly 0 is an xfail: the
  audit does not book that dust yet, see the end of the file);
* (c) a step rejected with a DriftError or MathError left the state digest and the event count
  exactly as they were (any other exception type is a bug and fails the test);
* (d) every user's order counters (user.open_orders, position open_orders / open_bids /
  open_asks) equal the values recomputed from its open orders.

And (b) replaying the same sequence on a fresh exchange gives the same state digest, the same
events and the same outcomes.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballast.drift.constants import BASE_PRECISION, QUOTE_PRECISION
from ballast.drift.controller.pnl import SettlePnlMode
from ballast.drift.errors import DriftError
from ballast.drift.exchange import Exchange
from ballast.drift.presets import add_perp_market, fund_user, new_exchange
from ballast.drift.state.margin_calculation import MarginRequirementType
from ballast.drift.state.order_params import OrderParams, PostOnlyParam
from ballast.drift.state.user import OrderStatus, OrderType, PositionDirection
from ballast.fixed import MathError

# (authority, sub_account_id); alice has two subaccounts so transfer_deposit has somewhere to go
USERS = (("alice", 0), ("alice", 1), ("bob", 0), ("carol", 0), ("dave", 0))
INITIAL_USDC = {
    ("alice", 0): 3_000,
    ("alice", 1): 1_000,
    ("bob", 0): 5_000,
    ("carol", 0): 2_000,
    ("dave", 0): 20_000,
}
MARKETS = (0, 1)  # SOL-PERP, ETH-PERP
LOT = {0: BASE_PRECISION // 10, 1: BASE_PRECISION // 100}  # 0.1 SOL ($10), 0.01 ETH ($20)
TICK = 100
MAX_STEPS = 60

ALLOWED_REJECTIONS = (DriftError, MathError)
# Set True once audit() books the per-holder flooring dust (see the xfail test at the end).
EXACT_AUDIT = True


def build_exchange() -> Exchange:
    exchange = new_exchange()
    add_perp_market(exchange, 100, base_liquidity=100_000, name="SOL-PERP")
    add_perp_market(exchange, 2_000, base_liquidity=10_000, name="ETH-PERP")
    for (authority, sub_account_id), dollars in INITIAL_USDC.items():
        fund_user(exchange, authority, dollars, sub_account_id)
    return exchange


# --- step strategies --------------------------------------------------------------------

user_ix = st.integers(0, len(USERS) - 1)
market_ix = st.sampled_from(MARKETS)
direction = st.sampled_from((PositionDirection.Long, PositionDirection.Short))
lots = st.one_of(st.integers(1, 20), st.integers(1, 400), st.integers(1, 2_000))
offset_bps = st.integers(-300, 300)
money = st.one_of(
    st.integers(1, 2_000 * QUOTE_PRECISION), st.integers(1, 100).map(lambda d: d * QUOTE_PRECISION)
)

clock_step = st.tuples(
    st.just("clock"), st.integers(1, 1_800), st.integers(-1_000, 1_000), st.integers(-1_000, 1_000)
)
deposit_step = st.tuples(st.just("deposit"), user_ix, money)
withdraw_step = st.tuples(st.just("withdraw"), user_ix, money)
# a user with a position withdraws a share (percent) of its free collateral: it levers up
withdraw_free_step = st.tuples(st.just("withdraw_free"), st.integers(0, 15), st.integers(1, 100))
transfer_step = st.tuples(st.just("transfer"), st.booleans(), money)
place_step = st.tuples(
    st.just("place"),
    user_ix,
    market_ix,
    st.sampled_from(("limit", "post_only", "try_post_only", "market")),
    direction,
    lots,
    offset_bps,
)
cancel_step = st.tuples(st.just("cancel"), st.integers(0, 15))
take_step = st.tuples(
    st.just("take"),
    user_ix,
    market_ix,
    st.sampled_from(("market", "limit")),
    direction,
    lots,
    offset_bps,
    st.booleans(),
)
fill_step = st.tuples(st.just("fill"), user_ix, st.integers(0, 15))
funding_step = st.tuples(st.just("funding"), market_ix)
settle_funding_step = st.tuples(st.just("settle_funding"), user_ix)
settle_pnl_step = st.tuples(
    st.just("settle_pnl"),
    user_ix,
    market_ix,
    st.sampled_from((SettlePnlMode.MustSettle, SettlePnlMode.TrySettle)),
)
liquidate_step = st.tuples(st.just("liquidate"), user_ix, st.integers(0, 15), st.integers(1, 1_000))

step = st.one_of(
    clock_step,
    clock_step,
    deposit_step,
    withdraw_step,
    withdraw_free_step,
    transfer_step,
    place_step,
    place_step,
    cancel_step,
    take_step,
    take_step,
    take_step,
    fill_step,
    funding_step,
    settle_funding_step,
    settle_pnl_step,
    liquidate_step,
    liquidate_step,
)
steps = st.lists(step, min_size=10, max_size=MAX_STEPS)

# A leverage-heavy alphabet: positions, then withdrawals down to the initial margin, big oracle
# moves and liquidation attempts, so that liquidations (and losses past the collateral) happen.
stress_step = st.one_of(
    take_step,
    st.tuples(st.just("withdraw_free"), st.integers(0, 15), st.integers(80, 100)),
    st.tuples(
        st.just("clock"),
        st.integers(1, 1_800),
        st.sampled_from((-1_000, -700, 700, 1_000)),
        st.integers(-1_000, 1_000),
    ),
    liquidate_step,
    liquidate_step,
    settle_pnl_step,
    funding_step,
    place_step,
    fill_step,
)
stress_steps = st.lists(stress_step, min_size=10, max_size=MAX_STEPS)


# --- interpreter ------------------------------------------------------------------------


def _limit_price(exchange: Exchange, market_index: int, bps: int) -> int:
    oracle = exchange.oracle_map.get_perp(market_index).price
    price = oracle * (10_000 + bps) // 10_000
    return max(TICK, price - price % TICK)


def _pick_order(exchange: Exchange, pick: int) -> tuple[tuple[str, int], int]:
    """One open order of any user (owner, order_id); alice/0's order 1 when there is none."""
    orders = [
        (user, order.order_id)
        for user in USERS
        for order in exchange.user(*user).orders
        if order.status is OrderStatus.Open
    ]
    if not orders:
        return USERS[0], 1  # no open order: the instruction must reject it
    return orders[pick % len(orders)]


def _pick_position(exchange: Exchange, pick: int) -> tuple[tuple[str, int], int]:
    """One open perp position of any user (owner, market_index); carol's SOL when there is none.

    An odd `pick` takes a position of the user with the least maintenance-margin excess, the
    one a liquidator would go for.
    """
    positions = [
        (user, position.market_index)
        for user in USERS
        for position in exchange.user(*user).perp_positions
        if position.base_asset_amount != 0
    ]
    if not positions:
        return USERS[3], 0
    if pick % 2:

        def excess(item: tuple[tuple[str, int], int]) -> int:
            calculation = exchange.margin_calculation(
                exchange.user(*item[0]), MarginRequirementType.Maintenance
            )
            return calculation.total_collateral - calculation.margin_requirement

        return min(positions, key=excess)
    return positions[pick % len(positions)]


def apply_step(exchange: Exchange, step: tuple) -> Any:
    """Run one generated step; return the instruction's result (raises what it raises)."""
    kind = step[0]
    if kind == "clock":
        _, dt, move_sol, move_eth = step
        exchange.update_clock(exchange.now + dt)
        for market_index, move in zip(MARKETS, (move_sol, move_eth), strict=True):
            price = exchange.oracle_map.get_perp(market_index).price
            new_price = max(TICK, price * (10_000 + move) // 10_000)
            exchange.update_oracle_price(market_index, new_price, confidence=new_price // 5_000)
        return None
    if kind == "deposit":
        _, u, amount = step
        return exchange.deposit(*USERS[u], 0, amount)
    if kind == "withdraw":
        _, u, amount = step
        return exchange.withdraw(*USERS[u], 0, amount)
    if kind == "withdraw_free":
        _, pick, pct = step
        owner, _ = _pick_position(exchange, pick)
        # less 1: the withdrawal rounds the scaled balance up, costing the user one more unit
        amount = max(1, exchange.free_collateral(*owner) * pct // 100 - 1)
        return exchange.withdraw(*owner, 0, amount)
    if kind == "transfer":
        _, zero_to_one, amount = step
        source, target = (0, 1) if zero_to_one else (1, 0)
        return exchange.transfer_deposit("alice", source, target, 0, amount)
    if kind == "place":
        _, u, m, order_kind, side, n_lots, bps = step
        if order_kind == "market":
            params = OrderParams(
                order_type=OrderType.Market,
                direction=side,
                base_asset_amount=n_lots * LOT[m],
                market_index=m,
            )
        else:
            post_only = {
                "limit": PostOnlyParam.None_,
                "post_only": PostOnlyParam.MustPostOnly,
                "try_post_only": PostOnlyParam.TryPostOnly,
            }[order_kind]
            params = OrderParams(
                order_type=OrderType.Limit,
                direction=side,
                base_asset_amount=n_lots * LOT[m],
                price=_limit_price(exchange, m, bps),
                market_index=m,
                post_only=post_only,
            )
        return exchange.place_perp_order(*USERS[u], params)
    if kind == "cancel":
        owner, order_id = _pick_order(exchange, step[1])
        return exchange.cancel_order(*owner, order_id)
    if kind == "take":
        _, u, m, order_kind, side, n_lots, bps, ioc = step
        params = OrderParams(
            order_type=OrderType.Market if order_kind == "market" else OrderType.Limit,
            direction=side,
            base_asset_amount=n_lots * LOT[m],
            price=0 if order_kind == "market" else _limit_price(exchange, m, bps),
            market_index=m,
            immediate_or_cancel=ioc and order_kind == "limit",
        )
        return exchange.place_and_take_perp_order(*USERS[u], params)
    if kind == "fill":
        _, keeper, pick = step
        owner, order_id = _pick_order(exchange, pick)
        return exchange.fill_perp_order(*USERS[keeper], *owner, order_id)
    if kind == "funding":
        return exchange.update_funding_rate(step[1])
    if kind == "settle_funding":
        return exchange.settle_funding_payment(*USERS[step[1]])
    if kind == "settle_pnl":
        _, u, m, mode = step
        return exchange.settle_pnl(*USERS[u], m, mode)
    if kind == "liquidate":
        _, liquidator, pick, n_lots = step
        owner, m = _pick_position(exchange, pick)
        return exchange.liquidate_perp(*USERS[liquidator], *owner, m, n_lots * LOT[m])
    raise AssertionError(f"unknown step {step!r}")


def run_checked(steps_: list[tuple]) -> tuple[Exchange, list]:
    """Apply the steps, checking (a), (c) and (d) after each; return the exchange and outcomes."""
    exchange = build_exchange()
    assert_balanced(exchange, "genesis")
    outcomes: list = []
    for index, step_ in enumerate(steps_):
        digest_before = exchange.state_digest()
        events_before = len(exchange.events)
        try:
            outcome = ("ok", apply_step(exchange, step_))
        except ALLOWED_REJECTIONS as error:
            outcome = ("rejected", type(error).__name__)
            where = f"step {index} {step_!r} rejected with {error!r}"
            assert exchange.state_digest() == digest_before, f"{where} changed the state"
            assert len(exchange.events) == events_before, f"{where} changed the event count"
        outcomes.append(outcome)
        assert_balanced(exchange, f"after step {index} {step_!r} -> {outcome}")
        assert_order_counters(exchange, f"after step {index} {step_!r} -> {outcome}")
    return exchange, outcomes


# --- invariants -------------------------------------------------------------------------


def assert_balanced(exchange: Exchange, where: str) -> None:
    """(a) the audit: no perp mismatch, a non-negative rounding surplus, and a vault difference
    that is only the flooring of each holder's claim.

    The exact `audit().balanced` (vault difference 0) fails as soon as two holders carry
    sub-unit dust: the audit's rounding_surplus line compares the vault with the market's floored
    total deposits, but the claims are floored one holder at a time (see the xfail test below).
    So here: 0 <= difference < number of holders, and, independently of the surplus line, the
    vault holds every floored claim plus at most rounding dust, never less.
    """
    report = exchange.audit()
    assert report.mismatches == (), f"{where}: {report.mismatches}"
    assert set(report.vault_difference) == {0}
    lines = report.claims[0]
    holders = len(exchange.users) + 2 * len(exchange.perp_markets) + 1
    assert lines["rounding_surplus"] >= 0, f"{where}: {lines}"
    difference = report.vault_difference[0]
    assert 0 <= difference < holders, f"{where}: vault difference {difference} ({lines})"
    if EXACT_AUDIT:
        assert report.balanced, f"{where}: {report.vault_difference} {lines}"
    floored_claims = sum(amount for name, amount in lines.items() if name != "rounding_surplus")
    dust = exchange.spot_market(0).vault_amount - floored_claims
    assert 0 <= dust <= holders + 1, f"{where}: vault exceeds the claims by {dust} ({lines})"


def assert_order_counters(exchange: Exchange, where: str) -> None:
    for key, user in exchange.users.items():
        open_orders = [o for o in user.orders if o.status is OrderStatus.Open]
        assert user.open_orders == len(open_orders), f"{where}: {key} open_orders"
        for position in user.perp_positions:
            mine = [o for o in open_orders if o.market_index == position.market_index]
            bids = sum(
                o.base_asset_amount - o.base_asset_amount_filled
                for o in mine
                if o.direction is PositionDirection.Long
            )
            asks = -sum(
                o.base_asset_amount - o.base_asset_amount_filled
                for o in mine
                if o.direction is PositionDirection.Short
            )
            label = f"{where}: {key} market {position.market_index}"
            assert position.open_orders == len(mine), f"{label} open_orders"
            assert position.open_bids == bids, f"{label} open_bids {position.open_bids} != {bids}"
            assert position.open_asks == asks, f"{label} open_asks {position.open_asks} != {asks}"
        markets_with_orders = {o.market_index for o in open_orders}
        markets_with_positions = {p.market_index for p in user.perp_positions}
        assert markets_with_orders <= markets_with_positions, (
            f"{where}: {key} orders without a position"
        )


# --- properties -------------------------------------------------------------------------

SETTINGS = settings(
    max_examples=1_500,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(steps)
def test_random_instructions_keep_audit_balanced_atomic_and_counters_consistent(
    steps_: list[tuple],
) -> None:
    run_checked(steps_)


@settings(max_examples=1_500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stress_steps)
def test_leveraged_sequences_with_liquidations_keep_the_invariants(steps_: list[tuple]) -> None:
    run_checked(steps_)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_replaying_a_sequence_gives_the_same_digest_events_and_outcomes(
    steps_: list[tuple],
) -> None:
    first, first_outcomes = run_checked(steps_)
    second = build_exchange()
    second_outcomes = []
    for step_ in steps_:
        try:
            second_outcomes.append(("ok", apply_step(second, step_)))
        except ALLOWED_REJECTIONS as error:
            second_outcomes.append(("rejected", type(error).__name__))
    assert second_outcomes == first_outcomes
    assert second.state_digest() == first.state_digest()
    assert second.events == first.events


def test_a_leveraged_long_is_liquidated_after_a_crash_and_the_audit_still_balances() -> None:
    """A fixed sequence that exercises a successful liquidation (random ones rarely get there)."""
    sequence = [
        ("take", 3, 0, "market", PositionDirection.Long, 700, 0, False),  # carol: 70 SOL
        ("withdraw", 3, 1_200 * QUOTE_PRECISION),  # leaves ~$800 against $7000 (8.7x)
        ("clock", 60, -1_000, 0),
        ("clock", 60, -0, 0),
        ("liquidate", 4, 1, 1_000),
    ]
    exchange, outcomes = run_checked(sequence)
    assert outcomes[0] == ("ok", (70 * BASE_PRECISION, 7_008_407_550)), outcomes
    assert outcomes[1] == ("ok", 1_200 * QUOTE_PRECISION), outcomes  # withdraw returns the amount
    assert outcomes[-1] == ("ok", None), outcomes
    assert exchange.user("carol").get_perp_position(0).base_asset_amount < 70 * BASE_PRECISION
    assert exchange.user("dave").get_perp_position(0).base_asset_amount > 0


def test_a_withdrawal_books_its_rounding_dust_so_the_audit_balances() -> None:
    """Regression: the round-up of a withdrawal's scaled debit left vault difference 1."""
    exchange = new_exchange()
    fund_user(exchange, "alice", 3_000)
    exchange.withdraw("alice", 0, 0, 1)
    report = exchange.audit()
    assert report.vault_difference == {0: 0}
    assert report.claims[0]["rounding_surplus"] == 1
    assert report.balanced


def test_two_users_withdrawing_leave_the_audit_exactly_balanced() -> None:
    exchange = new_exchange()
    fund_user(exchange, "alice", 3_000)
    fund_user(exchange, "bob", 3_000)
    exchange.withdraw("alice", 0, 0, 1)
    exchange.withdraw("bob", 0, 0, 1)
    assert exchange.audit().vault_difference == {0: 0}
    assert exchange.audit().balanced


def test_a_transfer_deposit_books_its_rounding_dust_so_the_audit_balances() -> None:
    exchange = new_exchange()
    fund_user(exchange, "alice", 3_000)
    exchange.initialize_user("alice", 1)
    exchange.transfer_deposit("alice", 0, 1, 0, 1_000_000)
    report = exchange.audit()
    assert report.claims[0]["rounding_surplus"] == 1
    assert report.balanced
