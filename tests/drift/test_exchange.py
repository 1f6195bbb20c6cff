"""The Exchange facade: each instruction's effect, its typed errors, and its atomicity.

Expected numbers are derived by hand from the spec (/work/shared/spec/drift_core.md) with the
arithmetic written next to them; elsewhere tests assert relations (deltas, signs, equalities).
Every error test checks that the state digest and the event log are exactly as before.
"""

from __future__ import annotations

from contextlib import contextmanager
from math import isqrt

import pytest

from ballast.drift.errors import (
    CantTransferBetweenSameUserAccount,
    InsufficientCollateral,
    InsufficientDeposit,
    InvalidAmount,
    InvalidInitialPeg,
    InvalidMarginRatio,
    InvalidOrderIOC,
    InvalidUserSubAccountId,
    OrderAmountTooSmall,
    OrderDoesNotExist,
    PerpMarketNotFound,
    SpotMarketInsufficientDeposits,
    SpotMarketNotFound,
    SpotMarketVaultInvariantViolated,
    SufficientCollateral,
    UserAlreadyExists,
    UserCantLiquidateThemself,
    UserNotFound,
)
from ballast.drift.events import (
    DepositDirection,
    DepositExplanation,
    DepositRecord,
    FundingPaymentRecord,
    FundingRateRecord,
    LiquidationRecord,
    NewUserRecord,
    OrderAction,
    OrderActionExplanation,
    SettlePnlRecord,
)
from ballast.drift.exchange import Exchange
from ballast.drift.presets import GENESIS_TS, add_perp_market, fund_user, new_exchange
from ballast.drift.state.order_params import OrderParams, PostOnlyParam
from ballast.drift.state.user import OrderType, PositionDirection, UserStatus

BASE = 10**9  # BASE_PRECISION = AMM_RESERVE_PRECISION
USDC = 10**6  # QUOTE_PRECISION
PRICE = 10**6  # PRICE_PRECISION
LONG = PositionDirection.Long
SHORT = PositionDirection.Short

# The preset market (add_perp_market(ex, 100)): sqrt_k = 100_000 base, peg $100, base spread
# 1000 (so long_spread = short_spread = 500 in simple mode), step 0.01 base, tick 100.
SQRT_K = 100_000 * BASE
K = SQRT_K * SQRT_K
PEG = 100 * PRICE
STEP = BASE // 100


# --- helpers ---------------------------------------------------------------------------


def _exchange(*funded: tuple[str, int]) -> Exchange:
    """USDC + the $100 SOL-PERP preset; each (name, dollars) gets a funded subaccount 0."""
    ex = new_exchange()
    add_perp_market(ex, 100)
    for name, dollars in funded or (("alice", 10_000), ("bob", 10_000)):
        fund_user(ex, name, dollars)
    return ex


def _tick(ex: Exchange, seconds: int = 1, price: int = 100 * PRICE) -> None:
    """Advance the clock and publish a fresh perp oracle reading (the AMM needs one)."""
    ex.update_clock(ex.now + seconds)
    ex.update_oracle_price(0, price)


def _market(direction: PositionDirection, base: int) -> OrderParams:
    return OrderParams(order_type=OrderType.Market, direction=direction, base_asset_amount=base)


def _limit(
    direction: PositionDirection,
    base: int,
    price: int,
    post_only: PostOnlyParam = PostOnlyParam.None_,
    immediate_or_cancel: bool = False,
) -> OrderParams:
    return OrderParams(
        order_type=OrderType.Limit,
        direction=direction,
        base_asset_amount=base,
        price=price,
        post_only=post_only,
        immediate_or_cancel=immediate_or_cancel,
    )


@contextmanager
def _unchanged(ex: Exchange):
    """Assert the block leaves the state digest and the event log exactly as they were."""
    digest, n_events = ex.state_digest(), len(ex.events)
    yield
    assert ex.state_digest() == digest
    assert len(ex.events) == n_events


def _pools(ex: Exchange) -> tuple[int, int]:
    """(pnl pool, fee pool) tokens of the single perp market, as the audit sees them."""
    claims = ex.audit().claims[0]
    return claims["perp_pnl_pools"], claims["perp_fee_pools"]


def _carol_long_70_at_100(ex: Exchange) -> None:
    """carol ($1,000) buys 70 SOL (7x) from the AMM with an IOC limit at $101."""
    fund_user(ex, "carol", 1_000)
    ex.place_and_take_perp_order("carol", 0, _limit(LONG, 70 * BASE, 101 * PRICE, immediate_or_cancel=True))
    assert ex.user("carol").get_perp_position(0).base_asset_amount == 70 * BASE


# --- clock, oracle, admin, users ---------------------------------------------------------


def test_update_clock_derives_slot_from_timestamp():
    ex = new_exchange()

    ex.update_clock(GENESIS_TS + 11)

    assert ex.now == GENESIS_TS + 11
    assert ex.slot == (GENESIS_TS + 11) * 5 // 2  # 400 ms slots: 4_250_000_027


def test_update_oracle_price_reading_ages_with_the_slot():
    ex = _exchange()

    ex.update_oracle_price(0, 101 * PRICE)
    fresh = ex.oracle_map.get_perp(0)
    ex.update_clock(ex.now + 4)
    aged = ex.oracle_map.get_perp(0)

    assert (fresh.price, fresh.delay) == (101 * PRICE, 0)
    assert (aged.price, aged.delay) == (101 * PRICE, 10)  # 4 s x 5/2 = 10 slots


def test_initialize_perp_market_opens_balanced_at_the_peg():
    ex = new_exchange()

    index = add_perp_market(ex, 100)

    amm = ex.perp_market(index).amm
    assert index == 0 and ex.state.number_of_markets == 1
    assert amm.base_asset_reserve == amm.quote_asset_reserve == amm.sqrt_k == SQRT_K
    # reserve price = qar * peg / bar = peg when the reserves are equal (3.1, 3.6)
    assert amm.quote_asset_reserve * amm.peg_multiplier // amm.base_asset_reserve == PEG
    assert amm.base_asset_amount_with_amm == 0
    assert ex.audit().balanced


def test_initialize_user_creates_subaccounts_in_order():
    ex = new_exchange()

    ex.initialize_user("alice", 0)
    ex.initialize_user("alice", 1)

    assert ex.user("alice", 1).sub_account_id == 1
    assert ex.stats("alice").number_of_sub_accounts_created == 2
    assert ex.state.number_of_authorities == 1 and ex.state.number_of_sub_accounts == 2
    assert [e.user for e in ex.events if isinstance(e, NewUserRecord)] == ["alice/0", "alice/1"]
    assert ex.audit().balanced


@pytest.mark.parametrize("name", [5, None, "x" * 33])
def test_initialize_user_with_a_bad_name_changes_nothing_and_keeps_the_subaccount_id(name):
    ex = new_exchange()
    digest = ex.state_digest()

    with pytest.raises(InvalidAmount, match="name"):
        ex.initialize_user("alice", 0, name=name)

    assert ex.state_digest() == digest
    assert ex.initialize_user("alice", 0).sub_account_id == 0


# --- collateral --------------------------------------------------------------------------


def test_deposit_raises_token_balance_and_vault():
    ex = new_exchange()
    ex.initialize_user("alice")
    vault_before = ex.spot_market(0).vault_amount

    ex.deposit("alice", 0, 0, 1_234 * USDC)

    assert ex.token_amount("alice", 0, 0) == 1_234 * USDC
    assert ex.spot_market(0).vault_amount - vault_before == 1_234 * USDC
    record = ex.events[-1]
    assert isinstance(record, DepositRecord)
    assert (record.direction, record.amount) == (DepositDirection.Deposit, 1_234 * USDC)
    assert ex.audit().balanced


def test_withdraw_lowers_token_balance_and_vault():
    ex = _exchange(("alice", 1_000))
    vault_before = ex.spot_market(0).vault_amount

    ex.withdraw("alice", 0, 0, 400 * USDC)

    # scaled = token * 10^(19-6) / 1e10 = token * 1000; a withdrawal rounds the scaled decrement
    # "up" by adding 1 (get_spot_balance): 1e12 - (4e11 + 1) = 599_999_999_999 -> floor / 1000
    assert ex.token_amount("alice", 0, 0) == 599_999_999
    assert vault_before - ex.spot_market(0).vault_amount == 400 * USDC
    assert ex.events[-1].direction is DepositDirection.Withdraw


def test_transfer_deposit_moves_tokens_between_subaccounts_without_touching_the_vault():
    ex = _exchange(("alice", 1_000))
    ex.initialize_user("alice", 1)
    vault_before = ex.spot_market(0).vault_amount

    ex.transfer_deposit("alice", 0, 1, 0, 250 * USDC)

    # the sender's scaled decrement is rounded up by 1 (see the withdraw test): 749_999_999
    assert ex.token_amount("alice", 0, 0) == 749_999_999
    assert ex.token_amount("alice", 1, 0) == 250 * USDC
    assert ex.spot_market(0).vault_amount == vault_before
    records = ex.events[-2:]
    assert [(r.user, r.direction) for r in records] == [
        ("alice/0", DepositDirection.Withdraw),
        ("alice/1", DepositDirection.Deposit),
    ]
    assert all(r.explanation is DepositExplanation.Transfer for r in records)


def test_audit_balances_after_withdraw():
    ex = _exchange(("alice", 1_000))

    ex.withdraw("alice", 0, 0, 400 * USDC)

    assert ex.audit().balanced


def test_audit_balances_after_transfer_deposit():
    ex = _exchange(("alice", 1_000))
    ex.initialize_user("alice", 1)

    ex.transfer_deposit("alice", 0, 1, 0, 250 * USDC)

    assert ex.audit().balanced


# --- orders and fills --------------------------------------------------------------------


def test_market_order_fills_against_amm_at_the_ask_spread_reserves():
    ex = _exchange()

    base, quote = ex.place_and_take_perp_order("alice", 0, _market(LONG, 10 * BASE))

    # 3.8 ask reserves (long_spread 500): divisor = 1e6 / (500/2) = 4000, ask_qar = qar + qar/4000,
    # ask_bar = k / ask_qar; 3.9/3.3 Remove 10 base: quote = (q' - ask_qar + 1) * peg / 1e9 + 1
    ask_qar = SQRT_K + SQRT_K // 4000  # 100_025_000_000_000
    ask_bar = K // ask_qar  # 99_975_006_248_437
    new_qar = K // (ask_bar - 10 * BASE)
    expected_quote = (new_qar - ask_qar + 1) * PEG // BASE + 1
    assert expected_quote == 1_000_600_148
    assert (base, quote) == (10 * BASE, expected_quote)
    assert ex.perp_market(0).amm.base_asset_amount_with_amm == 10 * BASE
    assert ex.audit().balanced


def test_market_order_fill_charges_the_taker_ten_bps():
    ex = _exchange()

    _, quote = ex.place_and_take_perp_order("alice", 0, _market(LONG, 10 * BASE))

    position = ex.user("alice").get_perp_position(0)
    fee = -(-quote * 100 // 100_000)  # 6.2: ceil(q * 100 / 100_000) = 1_000_601
    assert position.base_asset_amount == 10 * BASE
    assert position.quote_entry_amount == -quote
    assert position.quote_asset_amount == -quote - fee
    assert ex.audit().balanced


def test_market_sell_moves_base_with_amm_short_and_shifts_reserves():
    ex = _exchange()
    amm = ex.perp_market(0).amm

    ex.place_and_take_perp_order("bob", 0, _market(SHORT, 3 * BASE))

    # a short adds base to the pool: bar grows by exactly the base, qar = floor(k / bar)
    assert amm.base_asset_amount_with_amm == -3 * BASE
    assert amm.base_asset_reserve == SQRT_K + 3 * BASE
    assert amm.quote_asset_reserve == K // (SQRT_K + 3 * BASE)
    assert ex.audit().balanced


def test_resting_post_only_bid_from_earlier_slot_fills_before_the_amm():
    ex = _exchange(("maker", 10_000), ("bob", 10_000))
    ex.place_perp_order("maker", 0, _limit(LONG, 10 * BASE, 99_990_000, PostOnlyParam.MustPostOnly))
    _tick(ex)  # a later slot: the bid now rests
    amm = ex.perp_market(0).amm

    base, quote = ex.place_and_take_perp_order("bob", 0, _market(SHORT, 5 * BASE))

    # the maker's $99.99 beats the AMM bid ($100 x (1 - 0.05%) = $99.95): quote at the maker
    # price, maker Long rounds down: 99_990_000 * 5e9 / 1e9 = 499_950_000
    assert (base, quote) == (5 * BASE, 499_950_000)
    assert amm.base_asset_amount_with_amm == 0
    maker = ex.user("maker").get_perp_position(0)
    assert maker.base_asset_amount == 5 * BASE
    assert maker.open_bids == 5 * BASE
    fill = ex.events[-1]
    assert fill.action_explanation is OrderActionExplanation.OrderFilledWithMatch
    assert ex.audit().balanced


def test_taker_larger_than_resting_maker_takes_the_rest_from_the_amm():
    ex = _exchange(("maker", 10_000), ("bob", 10_000))
    ex.place_perp_order("maker", 0, _limit(LONG, 10 * BASE, 99_990_000, PostOnlyParam.MustPostOnly))
    _tick(ex)

    base, _ = ex.place_and_take_perp_order("bob", 0, _market(SHORT, 15 * BASE))

    assert base == 15 * BASE
    assert ex.user("maker").get_perp_position(0).base_asset_amount == 10 * BASE
    assert ex.user("maker").orders == []  # fully filled order closed
    assert ex.perp_market(0).amm.base_asset_amount_with_amm == -5 * BASE
    assert ex.audit().balanced


def test_place_perp_order_books_open_bids_and_an_order_record():
    ex = _exchange()

    order_id = ex.place_perp_order("alice", 0, _limit(LONG, 3 * BASE, 99 * PRICE))

    position = ex.user("alice").get_perp_position(0)
    assert order_id == 1
    assert (position.open_bids, position.open_asks, position.open_orders) == (3 * BASE, 0, 1)
    assert position.base_asset_amount == 0
    assert ex.audit().balanced


def test_cancel_order_releases_open_bids():
    ex = _exchange()
    order_id = ex.place_perp_order("alice", 0, _limit(LONG, 3 * BASE, 99 * PRICE))

    ex.cancel_order("alice", 0, order_id)

    user = ex.user("alice")
    position = user.get_perp_position(0)
    assert (position.open_bids, position.open_orders, user.open_orders) == (0, 0, 0)
    assert user.orders == []
    assert ex.events[-1].action is OrderAction.Cancel
    assert ex.audit().balanced


def test_cancel_order_releases_open_asks():
    ex = _exchange()
    order_id = ex.place_perp_order(
        "alice", 0, _limit(SHORT, 5 * BASE, 101 * PRICE, PostOnlyParam.MustPostOnly)
    )
    assert ex.user("alice").get_perp_position(0).open_asks == -5 * BASE

    ex.cancel_order("alice", 0, order_id)

    assert ex.user("alice").get_perp_position(0).open_asks == 0
    assert ex.audit().balanced


def test_ioc_limit_order_fills_up_to_its_limit_price():
    ex = _exchange()

    base, _ = ex.place_and_take_perp_order(
        "alice", 0, _limit(LONG, 50 * BASE, 100_060_000, immediate_or_cancel=True)
    )

    # 3.10: L' = L - tick = 100_059_900; nb = isqrt((k * 1e6 / L') * peg / 1e6);
    # Long of ask_bar - nb = 4_942_800_113, standardized down to the 0.01 step
    ask_bar = K // (SQRT_K + SQRT_K // 4000)
    nb = isqrt((K * PRICE // 100_059_900) * PEG // PRICE)
    expected = (ask_bar - nb) // STEP * STEP
    assert expected == 4_940_000_000
    assert base == expected
    assert ex.audit().balanced


def test_ioc_limit_order_remainder_is_cancelled():
    ex = _exchange()

    base, _ = ex.place_and_take_perp_order(
        "alice", 0, _limit(LONG, 50 * BASE, 100_060_000, immediate_or_cancel=True)
    )

    user = ex.user("alice")
    position = user.get_perp_position(0)
    assert 0 < base < 50 * BASE
    assert position.base_asset_amount == base
    assert (position.open_bids, position.open_orders, user.orders) == (0, 0, [])
    assert ex.events[-1].action is OrderAction.Cancel
    assert ex.audit().balanced


def test_fill_perp_order_keeper_fills_resting_limit_and_earns_filler_reward():
    ex = _exchange(("alice", 10_000), ("keeper", 10))
    order_id = ex.place_perp_order("alice", 0, _limit(LONG, 2 * BASE, 100_100_000))
    _tick(ex)  # 1 s later = 2 slots

    base, quote = ex.fill_perp_order("keeper", 0, "alice", 0, order_id)

    assert base == 2 * BASE and quote > 0
    assert ex.perp_market(0).amm.base_asset_amount_with_amm == 2 * BASE
    assert ex.user("alice").orders == []
    # 6.2 filler reward: min(fee/10, iroot4(2 slots * 1e8) * 10_000 / 100); iroot4(2e8) = 118
    # (118^4 = 193_877_776 <= 2e8 < 119^4), fee/10 = 20_010 -> 11_800
    assert ex.user("keeper").get_perp_position(0).quote_asset_amount == 11_800
    assert ex.audit().balanced


def test_update_amm_moves_oracle_twap_toward_the_new_price():
    ex = _exchange()
    _tick(ex, 60, 101 * PRICE)
    history = ex.perp_market(0).amm.historical_oracle_data
    twap_before = history.last_oracle_price_twap

    cost = ex.update_amm(0)

    assert cost == 0  # curve_update_intensity 0: no repeg
    assert twap_before < history.last_oracle_price_twap < 101 * PRICE
    assert history.last_oracle_price_twap_ts == ex.now
    assert ex.audit().balanced


def test_stale_oracle_prevents_amm_fill():
    ex = _exchange()
    amm = ex.perp_market(0).amm
    ex.update_clock(ex.now + 5)  # 12 slots since the last reading: StaleForAMM (> 10)

    result = ex.place_and_take_perp_order("alice", 0, _market(LONG, 10 * BASE))

    assert result == (0, 0)
    assert (amm.base_asset_reserve, amm.base_asset_amount_with_amm) == (SQRT_K, 0)
    assert ex.user("alice").get_perp_position(0).base_asset_amount == 0
    assert ex.audit().balanced


def test_custom_margin_ratio_limits_leverage():
    ex = _exchange(("carol", 1_000))
    ex.update_user_custom_margin_ratio("carol", 0, 2_000)  # at most 5x

    # 60 SOL bid at $100 oracle = $6,000 (6x): 6_000 x 20% + $0.01 open order = 1_200_010_000
    with _unchanged(ex), pytest.raises(InsufficientCollateral, match="1200010000"):
        ex.place_perp_order("carol", 0, _limit(LONG, 60 * BASE, 99 * PRICE))


def test_same_order_fits_the_market_margin_ratio_without_custom_ratio():
    ex = _exchange(("carol", 1_000))

    # 6_000 x 10% + 0.01 = $600.01 <= $1,000
    order_id = ex.place_perp_order("carol", 0, _limit(LONG, 60 * BASE, 99 * PRICE))

    assert order_id == 1
    assert ex.audit().balanced


# --- funding -----------------------------------------------------------------------------


def test_update_funding_rate_returns_false_before_the_hour():
    ex = _exchange()
    ex.place_and_take_perp_order("alice", 0, _market(LONG, 10 * BASE))
    start = ex.perp_market(0).amm.last_funding_rate_ts  # GENESIS_TS
    # 8.1: delay = 1_700_000_000 mod 3600 = 800 <= 3600/3, so the wait is 3600 - 800 = 2800 s
    _tick(ex, start + 2_799 - ex.now)

    assert ex.update_funding_rate(0) is False
    assert ex.perp_market(0).amm.last_funding_rate_ts == start
    assert not any(isinstance(e, FundingRateRecord) for e in ex.events)


def test_update_funding_rate_updates_on_the_hour_then_waits_again():
    ex = _exchange()
    ex.place_and_take_perp_order("alice", 0, _market(LONG, 10 * BASE))
    start = ex.perp_market(0).amm.last_funding_rate_ts
    _tick(ex, start + 2_800 - ex.now)

    updated = ex.update_funding_rate(0)
    _tick(ex, 3_599)
    again = ex.update_funding_rate(0)

    amm = ex.perp_market(0).amm
    assert (updated, again) == (True, False)
    assert amm.last_funding_rate_ts == start + 2_800
    assert amm.cumulative_funding_rate_long > 0  # mark above oracle plus the offset: longs pay
    assert isinstance(ex.events[-1], FundingRateRecord)
    assert ex.audit().balanced


def test_settle_funding_payment_charges_the_long_its_funding():
    ex = _exchange()
    ex.place_and_take_perp_order("alice", 0, _market(LONG, 10 * BASE))
    _tick(ex, ex.perp_market(0).amm.last_funding_rate_ts + 2_800 - ex.now)
    assert ex.update_funding_rate(0)
    rate = ex.perp_market(0).amm.cumulative_funding_rate_long
    position = ex.user("alice").get_perp_position(0)
    quote_before = position.quote_asset_amount

    ex.settle_funding_payment("alice", 0)

    # 8.5: long pays floor(rate * base / 1e6 / 1e3), then / 1000 (truncating) into quote
    payment = -((rate * 10 * BASE // PRICE // 1_000) // 1_000)
    assert payment < 0
    assert position.quote_asset_amount - quote_before == payment
    assert position.last_cumulative_funding_rate == rate
    assert isinstance(ex.events[-1], FundingPaymentRecord)
    assert ex.audit().balanced


# --- pnl settlement ----------------------------------------------------------------------


def _alice_long_bob_short_then_price_105() -> Exchange:
    ex = _exchange()
    ex.place_and_take_perp_order("alice", 0, _market(LONG, 10 * BASE))
    ex.place_and_take_perp_order("bob", 0, _market(SHORT, 10 * BASE))
    _tick(ex, 1, 105 * PRICE)
    return ex


def test_settle_pnl_moves_a_loss_from_user_balance_into_pnl_and_fee_pools():
    ex = _alice_long_bob_short_then_price_105()
    position = ex.user("bob").get_perp_position(0)
    balance_before = ex.token_amount("bob", 0, 0)
    loss = -10 * 105 * USDC + position.quote_asset_amount  # 7.3 upnl at the oracle, < 0

    ex.settle_pnl("bob", 0, 0)

    # 11.3 step 5: the fee pool takes tdiv(settled, 100), the pnl pool the rest
    to_fee_pool = -loss // 100  # loss < 0: trunc(|loss| / 100)
    assert ex.token_amount("bob", 0, 0) - balance_before == loss
    assert _pools(ex) == (-loss - to_fee_pool, to_fee_pool)
    assert position.quote_asset_amount == 10 * 105 * USDC  # base * oracle: upnl now 0
    assert position.settled_pnl == loss
    assert isinstance(ex.events[-1], SettlePnlRecord) and ex.events[-1].pnl == loss
    assert ex.audit().balanced


def test_settle_pnl_pays_a_winner_out_of_the_pools():
    ex = _alice_long_bob_short_then_price_105()
    ex.settle_pnl("bob", 0, 0)  # funds the pnl pool
    pnl_pool, fee_pool = _pools(ex)
    balance_before = ex.token_amount("alice", 0, 0)

    ex.settle_pnl("alice", 0, 0)

    gain = ex.token_amount("alice", 0, 0) - balance_before
    new_pnl_pool, new_fee_pool = _pools(ex)
    assert gain > 0
    assert (pnl_pool - new_pnl_pool) + (fee_pool - new_fee_pool) == gain
    assert ex.user("alice").get_perp_position(0).settled_pnl == gain
    assert ex.audit().balanced


# --- liquidation -------------------------------------------------------------------------


def test_liquidate_perp_shrinks_an_underwater_position():
    ex = _exchange(("liquidator", 100_000))
    _carol_long_70_at_100(ex)
    _tick(ex, 1, 90 * PRICE)  # upnl about -$700 + costs vs maintenance 70 x 90 x 5% = $315
    amm = ex.perp_market(0).amm
    fees_before = amm.total_liquidation_fee

    ex.liquidate_perp("liquidator", 0, "carol", 0, 0, 100 * BASE)

    carol = ex.user("carol").get_perp_position(0).base_asset_amount
    taken = ex.user("liquidator").get_perp_position(0).base_asset_amount
    assert 0 < carol < 70 * BASE
    assert taken == 70 * BASE - carol  # the liquidator receives the base carol lost
    assert amm.total_liquidation_fee > fees_before
    assert amm.base_asset_amount_with_amm == 70 * BASE  # the AMM is not involved
    assert isinstance(ex.events[-1], LiquidationRecord)
    assert ex.audit().balanced


def test_liquidator_takes_base_at_oracle_less_its_fee():
    ex = _exchange(("liquidator", 100_000))
    _carol_long_70_at_100(ex)
    _tick(ex, 1, 90 * PRICE)

    ex.liquidate_perp("liquidator", 0, "carol", 0, 0, 100 * BASE)

    position = ex.user("liquidator").get_perp_position(0)
    # 10.2 step 13: value = base * O / 1e9; liquidator quote = -value + value * 1% (liquidator_fee 10_000)
    value = position.base_asset_amount * 90 * PRICE // BASE
    assert position.quote_asset_amount == -value + value * 10_000 // 1_000_000
    record = ex.events[-1]
    assert (record.base_asset_amount, record.quote_asset_amount) == (-position.base_asset_amount, value)
    assert ex.audit().balanced


# --- typed errors leave state unchanged --------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "shown"),
    [(1.5, "1.5"), ("10", "'10'"), (True, "True"), (0, "got 0"), (-5, "-5")],
    ids=["float", "str", "bool", "zero", "negative"],
)
def test_deposit_rejects_bad_amount(amount, shown):
    ex = _exchange()

    with _unchanged(ex), pytest.raises(InvalidAmount, match=shown):
        ex.deposit("alice", 0, 0, amount)


def test_deposit_past_u64_is_rejected():
    ex = _exchange()

    with _unchanged(ex), pytest.raises(InvalidAmount, match="amount must be <= 18446744073709551615"):
        ex.deposit("alice", 0, 0, 2**64)


def test_deposit_taking_the_market_past_i64_is_rejected_and_the_market_keeps_working():
    # Arrange: the reference accepts 2**63 tokens and then fails every later update of the market
    ex = _exchange()

    # Act
    with _unchanged(ex), pytest.raises(InvalidAmount, match="past the i64 range"):
        ex.deposit("alice", 0, 0, 2**63)
    ex.update_clock(ex.now + 60)
    ex.withdraw("alice", 0, 0, 1)

    # Assert
    assert ex.audit().balanced


@pytest.mark.parametrize(
    ("call", "shown"),
    [
        (lambda ex: ex.update_oracle_price(0, 2**200), "price must be <= 9223372036854775807"),
        (lambda ex: ex.update_oracle_price(0, 100 * PRICE, confidence=2**64), "confidence must be <="),
        (lambda ex: ex.update_oracle_price(0, 100 * PRICE, market_type="Perp"), "market_type must be a MarketType"),
        (lambda ex: ex.update_clock(2**63), "now must be <= 9223372036854775807"),
        (lambda ex: ex.settle_pnl("alice", 0, 0, "TrySettle"), "mode must be a SettlePnlMode"),
        (lambda ex: ex.deposit("alice", 0, True, 5), "market_index must be an integer, got True"),
        (lambda ex: ex.deposit("alice", 0, [0], 5), r"market_index must be an integer, got \[0\]"),
        (lambda ex: ex.initialize_insurance_fund_stake("alice", True), "market_index must be an integer"),
    ],
    ids=["price-past-i64", "confidence-past-u64", "market-type-str", "clock-past-i64", "settle-mode-str",
         "market-bool", "market-list", "stake-market-bool"],
)
def test_bad_arguments_are_refused_by_name_and_change_nothing(call, shown):
    ex = _exchange()

    with _unchanged(ex), pytest.raises(InvalidAmount, match=shown):
        call(ex)


@pytest.mark.parametrize(("size", "shown"), [(0, "got 0"), (-10 * BASE, "-10000000000"), (2.5, "2.5")])
def test_order_rejects_bad_size(size, shown):
    ex = _exchange()

    with _unchanged(ex), pytest.raises(InvalidAmount, match=shown):
        ex.place_and_take_perp_order("alice", 0, _market(LONG, size))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("price", 99.5),
        ("market_index", "0"),
        ("user_order_id", True),
        ("max_ts", 1.0),
        ("trigger_price", "100"),
        ("oracle_price_offset", 0.5),
        ("auction_duration", 10.0),
        ("auction_start_price", 1.5),
        ("auction_end_price", "x"),
        ("order_type", "Market"),
        ("market_type", 0),
        ("direction", "Long"),
        ("post_only", False),
        ("trigger_condition", None),
        ("reduce_only", 0),
        ("immediate_or_cancel", "no"),
    ],
)
def test_order_rejects_a_badly_typed_field_naming_it(field, value):
    ex = _exchange()
    fields = {"order_type": OrderType.Market, "direction": LONG, "base_asset_amount": BASE}
    params = OrderParams(**{**fields, field: value})

    with _unchanged(ex), pytest.raises(InvalidAmount, match=field):
        ex.place_and_take_perp_order("alice", 0, params)
    with _unchanged(ex), pytest.raises(InvalidAmount, match=field):
        ex.place_perp_order("alice", 0, params)


def test_order_below_step_size_is_rejected():
    ex = _exchange()

    with _unchanged(ex), pytest.raises(OrderAmountTooSmall, match="5000000"):
        ex.place_perp_order("alice", 0, _limit(LONG, STEP // 2, 99 * PRICE))


def test_order_in_unknown_perp_market_is_rejected():
    ex = _exchange()
    params = OrderParams(direction=LONG, base_asset_amount=BASE, market_index=7)

    with _unchanged(ex), pytest.raises(PerpMarketNotFound, match="7"):
        ex.place_perp_order("alice", 0, params)


def test_deposit_into_unknown_spot_market_is_rejected():
    ex = _exchange()

    with _unchanged(ex), pytest.raises(SpotMarketNotFound, match="3"):
        ex.deposit("alice", 0, 3, USDC)


def test_oracle_update_for_unknown_perp_market_is_rejected():
    ex = _exchange()

    with _unchanged(ex), pytest.raises(PerpMarketNotFound, match="9"):
        ex.update_oracle_price(9, 100 * PRICE)


def test_unknown_user_is_rejected():
    ex = _exchange()

    with _unchanged(ex), pytest.raises(UserNotFound, match="mallory"):
        ex.deposit("mallory", 0, 0, USDC)


def test_unknown_sub_account_id_is_rejected():
    ex = _exchange()

    with _unchanged(ex), pytest.raises(UserNotFound, match="sub_account_id 4"):
        ex.withdraw("alice", 4, 0, USDC)


def test_out_of_order_sub_account_id_is_rejected():
    ex = _exchange()

    with _unchanged(ex), pytest.raises(InvalidUserSubAccountId, match="sub_account_id 2"):
        ex.initialize_user("alice", 2)


def test_duplicate_user_is_rejected():
    ex = _exchange()

    with _unchanged(ex), pytest.raises(UserAlreadyExists, match="alice/0"):
        ex.initialize_user("alice", 0)


def test_withdrawing_more_than_the_market_holds_is_rejected():
    # beyond her deposit alice would borrow, but nobody else deposited: the vault cannot lend
    ex = _exchange(("alice", 1_000))

    with _unchanged(ex), pytest.raises(SpotMarketInsufficientDeposits, match="1000000001"):
        ex.withdraw("alice", 0, 0, 1_000 * USDC + 1)


def test_transferring_more_than_deposited_is_rejected():
    ex = _exchange(("alice", 1_000))
    ex.initialize_user("alice", 1)

    with _unchanged(ex), pytest.raises(InsufficientDeposit, match="1000000001"):
        ex.transfer_deposit("alice", 0, 1, 0, 1_000 * USDC + 1)


def test_withdrawal_breaching_initial_margin_is_rejected():
    ex = _exchange(("alice", 1_000))
    ex.place_perp_order("alice", 0, _limit(LONG, 50 * BASE, 99 * PRICE))
    # initial requirement: 50 x $100 x 10% + $0.01 = $500.01, so $500 may not leave

    with _unchanged(ex), pytest.raises(InsufficientCollateral, match="500000000"):
        ex.withdraw("alice", 0, 0, 500 * USDC)


def test_order_too_large_for_collateral_is_rejected():
    ex = _exchange(("carol", 1_000))

    # 200 SOL bid valued at the $100 oracle: 20_000 x 10% + $0.01 = 2_000_010_000 > $1,000
    with _unchanged(ex), pytest.raises(InsufficientCollateral, match="2000010000"):
        ex.place_perp_order("carol", 0, _limit(LONG, 200 * BASE, 99 * PRICE))


@pytest.mark.parametrize(
    ("initial", "maintenance", "shown"),
    [(500, 500, r"\(500\) < margin_ratio_initial \(500\)"), (10_001, 500, "10001"), (1_000, 100, r"\(100\)")],
    ids=["maintenance-not-below-initial", "initial-above-max", "maintenance-below-min"],
)
def test_perp_market_with_bad_margin_ratios_is_rejected(initial, maintenance, shown):
    ex = new_exchange()

    with _unchanged(ex), pytest.raises(InvalidMarginRatio, match=shown):
        add_perp_market(ex, 100, margin_ratio_initial=initial, margin_ratio_maintenance=maintenance)
    assert ex.state.number_of_markets == 0


def test_perp_market_with_unequal_reserves_is_rejected():
    ex = new_exchange()

    with _unchanged(ex), pytest.raises(InvalidInitialPeg, match="12345"):
        ex.initialize_perp_market(0, SQRT_K, SQRT_K + 12_345, 3_600, PEG, 100 * PRICE)


def test_transfer_to_the_same_subaccount_is_rejected():
    ex = _exchange()
    ex.initialize_user("alice", 1)

    with _unchanged(ex), pytest.raises(CantTransferBetweenSameUserAccount, match="both 1"):
        ex.transfer_deposit("alice", 1, 1, 0, USDC)


def test_cancelling_an_unknown_order_is_rejected():
    ex = _exchange()

    with _unchanged(ex), pytest.raises(OrderDoesNotExist, match="12345"):
        ex.cancel_order("alice", 0, 12_345)


def test_user_cannot_liquidate_itself():
    ex = _exchange()
    ex.place_and_take_perp_order("alice", 0, _market(LONG, 10 * BASE))

    with _unchanged(ex), pytest.raises(UserCantLiquidateThemself, match="alice/0"):
        ex.liquidate_perp("alice", 0, "alice", 0, 0, BASE)


def test_healthy_user_cannot_be_liquidated():
    ex = _exchange()
    ex.place_and_take_perp_order("alice", 0, _market(LONG, 10 * BASE))
    _tick(ex)

    with _unchanged(ex), pytest.raises(SufficientCollateral, match="alice/0"):
        ex.liquidate_perp("bob", 0, "alice", 0, 0, BASE)


def test_clock_cannot_move_backwards():
    ex = _exchange()

    with _unchanged(ex), pytest.raises(InvalidAmount, match=str(GENESIS_TS - 1)):
        ex.update_clock(GENESIS_TS - 1)


# --- atomicity in the middle of an instruction -------------------------------------------


def test_fill_breaching_taker_margin_rolls_back_the_amm_swap():
    ex = _exchange(("alice", 100))
    ex.update_oracle_price(0, 97 * PRICE)  # AMM still quotes ~$100: a long loses ~3% at once
    amm = ex.perp_market(0).amm
    reserves = (amm.base_asset_reserve, amm.quote_asset_reserve, amm.ask_base_asset_reserve)
    # placement passes: 10 x $97 x 10% + $0.01 = $97.01 <= $100; after the fill the Fill margin
    # is 10 x 97 x 7.5% = 72_750_000 while collateral is 100 - (1_000_600_148 - 970e6) - fee.
    # That requirement exists only for the filled 10 SOL: the swap happened, then rolled back.
    with _unchanged(ex), pytest.raises(InsufficientCollateral, match="72750000"):
        ex.place_and_take_perp_order("alice", 0, _limit(LONG, 10 * BASE, 101 * PRICE))

    assert (amm.base_asset_reserve, amm.quote_asset_reserve, amm.ask_base_asset_reserve) == reserves
    assert amm.base_asset_amount_with_amm == 0
    assert ex.user("alice").get_perp_position(0) is None
    assert ex.user("alice").orders == []
    assert ex.audit().balanced

    # with more collateral the same order takes exactly those 10 SOL from the AMM's curve
    ex.deposit("alice", 0, 0, 100 * 10**6)
    ex.place_and_take_perp_order("alice", 0, _limit(LONG, 10 * BASE, 101 * PRICE))
    assert amm.base_asset_reserve == SQRT_K - 10 * BASE


# --- deviations from the reference -------------------------------------------------------


def test_place_perp_order_rejects_immediate_or_cancel():
    ex = _exchange()

    with _unchanged(ex), pytest.raises(InvalidOrderIOC):
        ex.place_perp_order("alice", 0, _limit(LONG, BASE, 99 * PRICE, immediate_or_cancel=True))


def test_deposit_lets_a_recovered_user_exit_liquidation():
    ex = _exchange(("liquidator", 100_000))
    _carol_long_70_at_100(ex)
    _tick(ex, 1, 90 * PRICE)
    ex.liquidate_perp("liquidator", 0, "carol", 0, 0, BASE)  # 1 SOL: not enough to exit
    assert ex.user("carol").status & UserStatus.BeingLiquidated

    ex.deposit("carol", 0, 0, 10_000 * USDC)

    assert not ex.user("carol").status & UserStatus.BeingLiquidated


def test_withdraw_meeting_initial_margin_exits_liquidation():
    ex = _exchange(("liquidator", 100_000))
    _carol_long_70_at_100(ex)
    _tick(ex, 1, 90 * PRICE)
    ex.liquidate_perp("liquidator", 0, "carol", 0, 0, BASE)
    _tick(ex, 1, 115 * PRICE)  # price recovers: carol is comfortably above initial margin
    assert ex.user("carol").status & UserStatus.BeingLiquidated

    ex.withdraw("carol", 0, 0, USDC)

    assert not ex.user("carol").status & UserStatus.BeingLiquidated


def test_deposit_updates_last_active_slot():
    ex = _exchange()
    ex.update_clock(ex.now + 100)

    ex.deposit("alice", 0, 0, USDC)

    assert ex.user("alice").last_active_slot == ex.slot


def test_a_withdrawal_that_rounds_to_no_borrow_cannot_take_tokens_from_the_vault():
    # 18 decimals: a scaled unit is 1e9 tokens, so 5e8 tokens round to a zero borrow
    ex = _exchange(("alice", 1_000), ("bob", 1_000))
    ex.initialize_spot_market(market_index=1, decimals=18, name="X", oracle_price=PRICE)
    ex.deposit("bob", 0, 1, 10**18)
    digest = ex.state_digest()

    with pytest.raises(SpotMarketVaultInvariantViolated):
        ex.withdraw("alice", 0, 1, 5 * 10**8)

    assert ex.state_digest() == digest
    assert ex.audit().balanced
