"""Backstop AMM Liquidity (BAL, "LP shares") through the Exchange facade.

Expected numbers are derived by hand from /work/shared/spec/drift_bal.md (section numbers in the
comments), with the arithmetic written next to them and the fill's quote and taker fee read from
its OrderActionRecord; the LP functions themselves are never called to compute an expectation.
Error tests check that the state digest and the event log are exactly as before.

The standard setup is the seeds' example: a $100 SOL-PERP with 90_000 base of protocol liquidity
(sqrt_k = 9e13) and a provider adding 10_000 shares (1e13), so after the add sqrt_k = 1e14 and the
provider owns exactly 10% of the curve. Step size 0.01 base (1e7).
"""

from __future__ import annotations

import copy
from contextlib import contextmanager

import pytest

from ballast.drift.controller.pnl import SettlePnlMode
from ballast.drift.errors import (
    InsufficientCollateral,
    InsufficientLPTokens,
    InvalidAmount,
    InvalidMarketParameter,
    MarketStatusInvalidForNewLP,
    NewLPSizeTooSmall,
    TryingToRemoveLiquidityTooFast,
)
from ballast.drift.events import (
    FundingPaymentRecord,
    LiquidationRecord,
    LPAction,
    LPRecord,
    OrderAction,
    OrderActionExplanation,
    OrderActionRecord,
)
from ballast.drift.exchange import Exchange
from ballast.drift.math.amm import reserve_price
from ballast.drift.presets import add_perp_market, fund_user, new_exchange
from ballast.drift.state.margin_calculation import MarginRequirementType
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.perp_market import MarketStatus
from ballast.drift.state.user import OrderType, PositionDirection, UserStatus

BASE = 10**9  # BASE_PRECISION = AMM_RESERVE_PRECISION = one share
USDC = 10**6  # QUOTE_PRECISION
PRICE = 10**6  # PRICE_PRECISION
LONG = PositionDirection.Long
SHORT = PositionDirection.Short
STEP = BASE // 100  # preset order_step_size
PROTOCOL_SQRT_K = 90_000 * BASE
LP_SHARES = 10_000 * BASE  # 10% of sqrt_k after the add
SQRT_K = PROTOCOL_SQRT_K + LP_SHARES  # 1e14
UNIT = BASE  # per_lp_base_unit for per_lp_base = 0 (3.3)


# --- helpers ---------------------------------------------------------------------------


def _exchange(lp_dollars: int = 100_000, maintenance: int = 500, **extra: int) -> Exchange:
    """USDC + the $100 SOL-PERP (90_000 base protocol liquidity); funded 'lp' and 'taker'."""
    ex = new_exchange()
    add_perp_market(ex, 100, base_liquidity=90_000, margin_ratio_maintenance=maintenance)
    fund_user(ex, "lp", lp_dollars)
    fund_user(ex, "taker", 100_000)
    for name, dollars in extra.items():
        fund_user(ex, name, dollars)
    return ex


def _provider(lp_dollars: int = 100_000, maintenance: int = 500, **extra: int) -> Exchange:
    """`_exchange` with 'lp' holding 10_000 shares (10% of sqrt_k), one second later."""
    ex = _exchange(lp_dollars, maintenance, **extra)
    ex.add_perp_lp_shares("lp", 0, 0, LP_SHARES)
    _tick(ex)
    return ex


def _tick(ex: Exchange, seconds: int = 1, price: int = 100 * PRICE) -> None:
    """Advance the clock and publish a fresh perp oracle reading (AMM fills need one)."""
    ex.update_clock(ex.now + seconds)
    ex.update_oracle_price(0, price)


def _market(direction: PositionDirection, base: int) -> OrderParams:
    return OrderParams(order_type=OrderType.Market, direction=direction, base_asset_amount=base)


def _ioc(direction: PositionDirection, base: int, price: int) -> OrderParams:
    return OrderParams(
        order_type=OrderType.Limit,
        direction=direction,
        base_asset_amount=base,
        price=price,
        immediate_or_cancel=True,
    )


def _take(
    ex: Exchange, direction: PositionDirection, base: int, who: str = "taker"
) -> OrderActionRecord:
    """A taker fill of exactly `base` against the AMM; returns its fill record."""
    limit = 110 * PRICE if direction is LONG else 90 * PRICE
    filled, _ = ex.place_and_take_perp_order(who, 0, _ioc(direction, base, limit))
    assert filled == base
    fill = _events(ex, OrderActionRecord)[-1]
    assert fill.action is OrderAction.Fill
    assert fill.action_explanation is OrderActionExplanation.OrderFilledWithAMM
    return fill


def _events(ex: Exchange, kind: type) -> list:
    return [event for event in ex.events if isinstance(event, kind)]


def _lp_records(ex: Exchange, action: LPAction) -> list[LPRecord]:
    return [event for event in _events(ex, LPRecord) if event.action is action]


@contextmanager
def _unchanged(ex: Exchange):
    """Assert the block leaves the state digest and the event log exactly as they were."""
    digest, n_events = ex.state_digest(), len(ex.events)
    yield
    assert ex.state_digest() == digest
    assert len(ex.events) == n_events


def _position(ex: Exchange, who: str = "lp"):
    return ex.user(who).get_perp_position(0)


# --- the seeds' worked example ----------------------------------------------------------


def test_ten_percent_provider_is_one_sol_short_after_a_ten_sol_taker_long():
    ex = _provider()
    amm = ex.perp_market(0).amm
    assert (amm.sqrt_k, amm.user_lp_shares) == (SQRT_K, LP_SHARES)

    fill = _take(ex, LONG, 10 * BASE)
    ex.settle_lp("lp", 0, 0)

    q, fee = fill.quote_asset_amount_filled, fill.taker_fee  # 1_000_600_148 and 1_000_601
    # 5.3 with user_delta = (+10e9, -q), N = sqrt_k = 1e14, unit = 1e9, fee_to_market_for_lp =
    # taker fee (no filler, no referrer):
    pb = 10 * BASE * UNIT // SQRT_K  # 100_000
    pq = -(q * UNIT // SQRT_K)  # truncated toward zero: -10_006; no +1 (the user bought)
    pfee = (fee * 8 // 10) * UNIT // SQRT_K  # floor(800_480) * 1e9 / 1e14 = 8
    # accumulators: base_per_lp = -pb, quote_per_lp = -pq + pfee; 6.1: x lp_shares / unit
    expected_base = -pb * LP_SHARES // UNIT  # -1_000_000_000: exactly 1 SOL short
    expected_quote = (-pq + pfee) * LP_SHARES // UNIT  # 10_014 * 1e4 = 100_140_000
    assert (pb, pq, pfee) == (100_000, -10_006, 8)
    position = _position(ex)
    assert position.base_asset_amount == expected_base == -BASE
    assert position.remainder_base_asset_amount == 0
    assert position.quote_asset_amount == expected_quote == 100_140_000
    # that is its 10% of the taker's quote (q/10 = 100_060_014, truncated per LP unit) plus 80%
    # of its 10% of the fee (80_048, truncated per LP unit)
    assert expected_quote == (q // 100_000) * 10_000 + (fee * 8 // 10 // 100_000) * 10_000
    assert amm.base_asset_amount_with_unsettled_lp == 0
    assert amm.base_asset_amount_with_amm == 9 * BASE  # the protocol keeps the other 90%
    assert ex.audit().balanced


def test_ten_percent_provider_pays_one_extra_unit_per_unit_share_on_a_taker_sell():
    ex = _provider()

    fill = _take(ex, SHORT, 10 * BASE)
    ex.settle_lp("lp", 0, 0)

    q, fee = fill.quote_asset_amount_filled, fill.taker_fee
    # 5.3 with user_delta = (-10e9, +q): pb = -100_000 < 0, so pq gets +1 (against the LP)
    pb = -(10 * BASE * UNIT // SQRT_K)
    pq = q * UNIT // SQRT_K + 1
    pfee = (fee * 8 // 10) * UNIT // SQRT_K
    quote_per_lp = -pq + pfee  # negative: the LP paid for its long
    expected_quote = -(-quote_per_lp * LP_SHARES // UNIT)  # trunc toward zero (exact here)
    position = _position(ex)
    assert position.base_asset_amount == -pb * LP_SHARES // UNIT == BASE
    assert position.quote_asset_amount == expected_quote
    assert expected_quote == -((q // 100_000 + 1) - fee * 8 // 10 // 100_000) * 10_000
    assert ex.audit().balanced


# --- add liquidity ------------------------------------------------------------------------


def test_add_raises_sqrt_k_by_exactly_the_minted_shares_at_an_unchanged_price():
    ex = _exchange()
    amm = ex.perp_market(0).amm
    price_before = reserve_price(amm)

    minted = ex.add_perp_lp_shares("lp", 0, 0, LP_SHARES)

    assert minted == LP_SHARES
    assert amm.sqrt_k == PROTOCOL_SQRT_K + LP_SHARES
    assert amm.user_lp_shares == LP_SHARES == _position(ex).lp_shares
    assert abs(reserve_price(amm) - price_before) <= 1
    assert ex.audit().balanced


def test_add_below_the_step_is_rejected():
    ex = _exchange()

    with _unchanged(ex), pytest.raises(NewLPSizeTooSmall, match=str(STEP - 1)):
        ex.add_perp_lp_shares("lp", 0, 0, STEP - 1)


def test_add_floors_the_shares_to_the_step():
    ex = _exchange()

    minted = ex.add_perp_lp_shares("lp", 0, 0, LP_SHARES + STEP - 1)

    assert minted == LP_SHARES
    assert _position(ex).lp_shares == LP_SHARES
    assert ex.perp_market(0).amm.sqrt_k == SQRT_K
    assert ex.audit().balanced


def test_add_liquidity_record_logs_the_requested_amount():
    ex = _exchange()

    ex.add_perp_lp_shares("lp", 0, 0, LP_SHARES + STEP - 1)

    record = ex.events[-1]
    assert isinstance(record, LPRecord)
    assert record.action is LPAction.AddLiquidity
    assert record.n_shares == LP_SHARES + STEP - 1  # 7.1 step 7: requested, not stepped
    assert (record.delta_base_asset_amount, record.delta_quote_asset_amount, record.pnl) == (
        0,
        0,
        0,
    )
    assert ex.audit().balanced


def test_add_beyond_the_initial_margin_is_rejected():
    ex = _exchange(lp_dollars=1_000)  # 10_000 shares need about $41_421 (see the margin test)

    with _unchanged(ex), pytest.raises(InsufficientCollateral):
        ex.add_perp_lp_shares("lp", 0, 0, LP_SHARES)


@pytest.mark.parametrize("status", [MarketStatus.ReduceOnly, MarketStatus.Initialized])
def test_add_in_a_market_that_is_not_active_is_rejected(status):
    ex = _exchange()
    ex.perp_market(0).status = status  # arrange: no admin status instruction exists

    with _unchanged(ex), pytest.raises(MarketStatusInvalidForNewLP, match=status.name):
        ex.add_perp_lp_shares("lp", 0, 0, LP_SHARES)


def test_adding_to_an_existing_position_settles_it_first_without_a_record():
    ex = _provider()
    _take(ex, LONG, 10 * BASE)
    n_events = len(ex.events)

    ex.add_perp_lp_shares("lp", 0, 0, LP_SHARES)

    position = _position(ex)
    assert position.base_asset_amount == -BASE  # 7.2 step 2: the 10% slice materialised
    assert position.lp_shares == 2 * LP_SHARES
    assert ex.perp_market(0).amm.base_asset_amount_with_unsettled_lp == 0
    assert [type(event) for event in ex.events[n_events:]] == [LPRecord]
    assert ex.events[-1].action is LPAction.AddLiquidity
    assert ex.audit().balanced


@pytest.mark.parametrize("n_shares", [0, -STEP, 1.5])
def test_add_rejects_a_bad_share_count(n_shares):
    ex = _exchange()

    with _unchanged(ex), pytest.raises(InvalidAmount):
        ex.add_perp_lp_shares("lp", 0, 0, n_shares)


# --- remove liquidity ---------------------------------------------------------------------


def test_remove_without_an_amount_burns_all_shares():
    ex = _provider()

    burned = ex.remove_perp_lp_shares("lp", 0, 0)

    amm = ex.perp_market(0).amm
    assert burned == LP_SHARES
    assert _position(ex).lp_shares == 0
    assert (amm.sqrt_k, amm.user_lp_shares) == (PROTOCOL_SQRT_K, 0)
    record = ex.events[-1]
    assert (record.action, record.n_shares) == (LPAction.RemoveLiquidity, LP_SHARES)
    assert ex.audit().balanced


def test_partial_remove_is_floored_to_the_step():
    ex = _provider()

    burned = ex.remove_perp_lp_shares("lp", 0, 0, 1_000 * BASE + STEP - 1)

    assert burned == 1_000 * BASE
    assert _position(ex).lp_shares == 9_000 * BASE
    assert ex.perp_market(0).amm.sqrt_k == SQRT_K - 1_000 * BASE
    assert ex.audit().balanced


def test_remove_below_one_step_is_a_silent_no_op():
    ex = _provider()

    with _unchanged(ex):
        assert ex.remove_perp_lp_shares("lp", 0, 0, STEP - 1) == 0


def test_remove_inside_the_cooldown_is_rejected():
    ex = _exchange()
    ex.update_lp_cooldown_time(60)
    ex.add_perp_lp_shares("lp", 0, 0, LP_SHARES)
    _tick(ex, 59)

    with _unchanged(ex), pytest.raises(TryingToRemoveLiquidityTooFast, match="59s"):
        ex.remove_perp_lp_shares("lp", 0, 0)


def test_remove_once_the_cooldown_has_passed_is_allowed():
    ex = _exchange()
    ex.update_lp_cooldown_time(60)
    ex.add_perp_lp_shares("lp", 0, 0, LP_SHARES)
    _tick(ex, 60)

    assert ex.remove_perp_lp_shares("lp", 0, 0) == LP_SHARES
    assert ex.audit().balanced


def test_removing_more_shares_than_held_is_rejected():
    ex = _provider()

    with _unchanged(ex), pytest.raises(InsufficientLPTokens):
        ex.remove_perp_lp_shares("lp", 0, 0, 2 * LP_SHARES)


def test_remove_passes_the_sub_step_residual_to_the_amm_for_a_fee():
    ex = _provider()
    _take(ex, LONG, 10 * BASE + 5 * STEP)  # 10.05 SOL: the 10% slice is 1.005, not a step multiple
    ex.settle_lp("lp", 0, 0)
    amm = ex.perp_market(0).amm
    position = _position(ex)
    # 5.3: pb = 10.05e9 * 1e9 / 1e14 = 100_500 -> LP base -1_005_000_000; 6.1 step split: -1.00
    # settled, remainder r = -5_000_000 (sign of the base)
    assert position.base_asset_amount == -BASE
    assert position.remainder_base_asset_amount == -5 * STEP // 10
    r = -5_000_000
    with_amm, quote = amm.base_asset_amount_with_amm, position.quote_asset_amount

    ex.remove_perp_lp_shares("lp", 0, 0)

    fee = abs(r) * 100 * PRICE // BASE + 1  # 8.2 step 3: floor(5e6 * 100e6 / 1e9) + 1 = 500_001
    assert fee == 500_001
    assert amm.base_asset_amount_with_amm - with_amm == -r  # the AMM takes the residual
    assert amm.base_asset_amount_with_unsettled_lp == 0
    assert position.remainder_base_asset_amount == 0
    assert position.base_asset_amount == -BASE
    assert position.quote_asset_amount - quote == -fee
    record = ex.events[-1]
    assert (record.action, record.delta_quote_asset_amount, record.pnl) == (
        LPAction.RemoveLiquidity,
        -fee,
        -fee,
    )
    assert ex.audit().balanced


def test_expiring_market_removal_needs_a_reduce_only_market():
    ex = _provider()

    with _unchanged(ex), pytest.raises(MarketStatusInvalidForNewLP, match="ReduceOnly"):
        ex.remove_perp_lp_shares_in_expiring_market("lp", 0, 0)


def test_expiring_market_removal_burns_all_shares_of_a_reduce_only_market():
    ex = _provider()
    _take(ex, LONG, 10 * BASE)
    ex.perp_market(0).status = MarketStatus.ReduceOnly  # arrange: the market is expiring

    burned = ex.remove_perp_lp_shares_in_expiring_market("lp", 0, 0)

    amm = ex.perp_market(0).amm
    assert burned == LP_SHARES
    assert (amm.user_lp_shares, amm.sqrt_k) == (0, PROTOCOL_SQRT_K)
    assert _position(ex).base_asset_amount == -BASE  # settled on the way out
    assert ex.audit().balanced


# --- margin: the open bids/asks view ------------------------------------------------------


def test_shares_cost_the_initial_margin_of_their_slice_of_amm_depth_plus_the_lp_buffer():
    ex = _exchange()
    free_before = ex.free_collateral("lp")

    ex.add_perp_lp_shares("lp", 0, 0, LP_SHARES)

    amm = ex.perp_market(0).amm
    # 11 step 3: lp_asks = -(max_bar - bar) * lp_shares / sqrt_k (toward zero), lp_bids likewise
    lp_asks = (amm.max_base_asset_reserve - amm.base_asset_reserve) * LP_SHARES // amm.sqrt_k
    lp_bids = (amm.base_asset_reserve - amm.min_base_asset_reserve) * LP_SHARES // amm.sqrt_k
    assert lp_asks > lp_bids  # the asks side is the worst case
    liability = lp_asks * 100 * PRICE // BASE
    buffer = max(USDC, STEP * 100 * PRICE // BASE)  # 11 step 6: max($1, $1) = $1
    expected = liability * 1000 // 10_000 + buffer  # initial margin ratio 10%
    assert expected == 41_420_999_995  # about 4_142 SOL of asks x $100 x 10% + $1
    assert free_before - ex.free_collateral("lp") == expected


def test_a_provider_can_hold_shares_and_a_taker_position_in_one_subaccount():
    ex = _provider()
    _take(ex, LONG, 10 * BASE)  # the provider gets 1 SOL short, unsettled

    _take(ex, LONG, 5 * BASE, who="lp")  # trading settles the LP first, then fills

    position = _position(ex)
    assert position.lp_shares == LP_SHARES
    # -1 (settled LP inventory) + 5 (own buy); its 10% slice of its own buy is still unsettled
    assert position.base_asset_amount == 4 * BASE
    ex.settle_lp("lp", 0, 0)
    assert position.base_asset_amount == 4 * BASE - BASE // 2
    assert ex.audit().balanced


# --- settle -------------------------------------------------------------------------------


def test_second_settle_changes_nothing():
    ex = _provider()
    _take(ex, LONG, 10 * BASE)
    ex.settle_lp("lp", 0, 0)

    with _unchanged(ex):
        ex.settle_lp("lp", 0, 0)
    assert ex.audit().balanced


def test_settle_lp_is_a_keeper_instruction_for_any_user():
    ex = _provider(lp2=100_000)
    ex.add_perp_lp_shares("lp2", 0, 0, LP_SHARES)
    _tick(ex)
    _take(ex, LONG, 10 * BASE)

    # no signer argument: a keeper settles every provider, and a non-provider is a no-op
    for who in ("lp", "lp2", "taker"):
        ex.settle_lp(who, 0, 0)

    assert _position(ex, "lp").base_asset_amount < 0
    assert _position(ex, "lp2").base_asset_amount < 0
    assert ex.perp_market(0).amm.base_asset_amount_with_unsettled_lp != 0  # sub-step remainders
    assert ex.audit().balanced


def test_settle_lp_without_shares_emits_nothing():
    ex = _exchange()

    with _unchanged(ex):
        ex.settle_lp("lp", 0, 0)


# --- funding --------------------------------------------------------------------------------


def _to_next_funding(ex: Exchange, first: bool) -> None:
    # the first update is due 2_800 s after genesis (8.1 alignment), then every 3_600 s
    amm = ex.perp_market(0).amm
    _tick(ex, amm.last_funding_rate_ts + (2_800 if first else 3_600) - ex.now)
    assert ex.update_funding_rate(0)


def test_unsettled_lp_inventory_earns_no_funding():
    ex = _provider()
    _take(ex, LONG, 10 * BASE)  # the provider's 1 SOL short sits unsettled
    _to_next_funding(ex, first=True)
    amm = ex.perp_market(0).amm
    assert amm.cumulative_funding_rate_short != 0
    quote_per_lp = amm.quote_asset_amount_per_lp

    ex.settle_lp("lp", 0, 0)

    position = _position(ex)
    assert position.base_asset_amount == -BASE
    assert position.last_cumulative_funding_rate == amm.cumulative_funding_rate_short
    assert not [r for r in _events(ex, FundingPaymentRecord) if r.user == "lp/0"]
    assert position.quote_asset_amount == quote_per_lp * LP_SHARES // UNIT  # no funding in it
    assert ex.audit().balanced


def test_settled_lp_inventory_pays_funding():
    ex = _provider()
    _take(ex, LONG, 10 * BASE)
    _to_next_funding(ex, first=True)
    ex.settle_lp("lp", 0, 0)
    position = _position(ex)
    start = position.last_cumulative_funding_rate
    _to_next_funding(ex, first=False)
    delta = ex.perp_market(0).amm.cumulative_funding_rate_short - start
    assert delta != 0
    quote = position.quote_asset_amount

    ex.settle_funding_payment("lp", 0)

    # 10: short base -1e9: payment = sign(delta) * floor(floor(|delta| * 1e9 / 1e6 / 1e3) / 1e3)
    magnitude = abs(delta) * BASE // PRICE // 1_000 // 1_000
    payment = magnitude if delta > 0 else -magnitude
    assert position.quote_asset_amount - quote == payment
    assert isinstance(ex.events[-1], FundingPaymentRecord)
    assert ex.audit().balanced


# --- de-risking at settle_pnl ---------------------------------------------------------------


def _thin_provider(**extra: int) -> Exchange:
    """'lp' with $45_000 adds 10_000 shares: initial margin $41_421 is met, but not with the 2%
    liquidation buffer (about $8_284 more); then a taker buys 100 SOL from the AMM."""
    ex = _provider(lp_dollars=45_000, **extra)
    _take(ex, LONG, 100 * BASE)
    return ex


def test_provider_below_initial_margin_with_buffer_is_derisked_at_settle_pnl():
    ex = _thin_provider()

    ex.settle_pnl("lp", 0, 0, SettlePnlMode.TrySettle)

    position = _position(ex)
    (derisk,) = _lp_records(ex, LPAction.RemoveLiquidityDerisk)
    assert 0 < derisk.n_shares < LP_SHARES and derisk.n_shares % STEP == 0
    assert position.lp_shares == LP_SHARES - derisk.n_shares
    assert ex.perp_market(0).amm.user_lp_shares == position.lp_shares
    assert ex.user("lp").last_add_perp_lp_shares_ts == ex.now
    assert ex.audit().balanced


def test_derisk_places_a_reduce_only_oracle_order_closing_the_settled_base():
    ex = _thin_provider()

    ex.settle_pnl("lp", 0, 0, SettlePnlMode.TrySettle)

    position = _position(ex)
    assert position.base_asset_amount == -10 * BASE
    (order,) = ex.user("lp").orders
    assert order.order_type is OrderType.Oracle
    assert order.reduce_only
    assert order.direction is LONG  # closes the short
    assert order.base_asset_amount >= STEP
    assert order.base_asset_amount <= abs(position.base_asset_amount)
    assert order.auction_duration == 80
    assert order.oracle_price_offset == order.auction_end_price
    placed = [r for r in _events(ex, OrderActionRecord) if r.action is OrderAction.Place]
    assert placed[-1].action_explanation is OrderActionExplanation.DeriskLp
    assert ex.audit().balanced


def test_derisk_without_settled_base_places_no_order():
    ex = _provider(lp_dollars=45_000)  # under-margined with buffer, but no inventory at all

    ex.settle_pnl("lp", 0, 0, SettlePnlMode.TrySettle)

    assert _lp_records(ex, LPAction.RemoveLiquidityDerisk)
    assert ex.user("lp").orders == []
    assert ex.audit().balanced


def test_well_margined_provider_is_not_derisked():
    ex = _provider()  # $100_000
    _take(ex, LONG, 100 * BASE)

    ex.settle_pnl("lp", 0, 0, SettlePnlMode.TrySettle)

    assert not _lp_records(ex, LPAction.RemoveLiquidityDerisk)
    assert _position(ex).lp_shares == LP_SHARES
    assert ex.audit().balanced


def test_advanced_lp_is_not_derisked():
    ex = _thin_provider()
    ex.update_user_advanced_lp("lp", 0, True)
    assert ex.user("lp").status & UserStatus.AdvancedLp

    ex.settle_pnl("lp", 0, 0, SettlePnlMode.TrySettle)

    assert not _lp_records(ex, LPAction.RemoveLiquidityDerisk)
    assert _position(ex).lp_shares == LP_SHARES
    assert ex.user("lp").orders == []
    assert ex.audit().balanced


def test_advanced_lp_opt_out_can_be_reverted():
    ex = _thin_provider()
    ex.update_user_advanced_lp("lp", 0, True)
    ex.update_user_advanced_lp("lp", 0, False)

    ex.settle_pnl("lp", 0, 0, SettlePnlMode.TrySettle)

    assert _lp_records(ex, LPAction.RemoveLiquidityDerisk)
    assert ex.audit().balanced


def test_derisk_waits_for_the_lp_cooldown():
    ex = _exchange(lp_dollars=45_000)
    ex.update_lp_cooldown_time(3_600)
    ex.add_perp_lp_shares("lp", 0, 0, LP_SHARES)
    _tick(ex, 60)
    _take(ex, LONG, 100 * BASE)

    ex.settle_pnl("lp", 0, 0, SettlePnlMode.TrySettle)

    assert not _lp_records(ex, LPAction.RemoveLiquidityDerisk)
    assert _position(ex).lp_shares == LP_SHARES
    assert ex.audit().balanced


def test_derisk_restarts_the_lp_cooldown():
    ex = _exchange(lp_dollars=45_000)
    ex.update_lp_cooldown_time(3_600)
    ex.add_perp_lp_shares("lp", 0, 0, LP_SHARES)
    _tick(ex, 3_600)
    _take(ex, LONG, 100 * BASE)
    ex.settle_pnl("lp", 0, 0, SettlePnlMode.TrySettle)
    assert _lp_records(ex, LPAction.RemoveLiquidityDerisk)
    assert ex.user("lp").last_add_perp_lp_shares_ts == ex.now
    _tick(ex, 3_599)

    with _unchanged(ex), pytest.raises(TryingToRemoveLiquidityTooFast):
        ex.remove_perp_lp_shares("lp", 0, 0)


def test_provider_in_liquidation_territory_settle_pnl_returns_without_error():
    ex = _underwater_provider()
    ex.update_lp_cooldown_time(3_600)  # the de-risk attempt is skipped (added 2 s ago)
    digest = ex.state_digest()

    ex.settle_pnl("lp", 0, 0)  # MustSettle, the default

    # reference: settle_funding_payment_then_lp committed, burn skipped, pnl not settled
    assert ex.state_digest() != digest
    assert _position(ex).base_asset_amount == -10 * BASE
    assert _position(ex).lp_shares == LP_SHARES


def test_provider_in_liquidation_territory_try_settle_keeps_the_lp_settle():
    ex = _underwater_provider()
    ex.update_lp_cooldown_time(3_600)

    ex.settle_pnl("lp", 0, 0, SettlePnlMode.TrySettle)

    assert _position(ex).base_asset_amount == -10 * BASE
    assert _position(ex).lp_shares == LP_SHARES
    assert ex.audit().balanced


# --- liquidation ----------------------------------------------------------------------------


def _underwater_provider() -> Exchange:
    """Maintenance 9.99% (just under the 10% initial): 'lp' with $41_500 adds 10_000 shares
    (initial $41_421 met), a taker buys 100 SOL (the provider is 10 SOL short, unsettled), then
    the oracle rises to $103: the provider's asks slice and its short put it below maintenance."""
    ex = _provider(lp_dollars=41_500, maintenance=999, liquidator=100_000)
    _take(ex, LONG, 100 * BASE)
    _tick(ex, 1, 103 * PRICE)
    calculation = ex.margin_calculation(ex.user("lp"), MarginRequirementType.Maintenance)
    assert calculation.total_collateral < calculation.margin_requirement
    return ex


def test_liquidation_burns_all_of_a_providers_shares_first():
    ex = _underwater_provider()

    ex.liquidate_perp("liquidator", 0, "lp", 0, 0, 100 * BASE)

    amm = ex.perp_market(0).amm
    assert _position(ex).lp_shares == 0
    assert (amm.user_lp_shares, amm.sqrt_k) == (0, PROTOCOL_SQRT_K)
    (removed,) = _lp_records(ex, LPAction.RemoveLiquidity)
    assert removed.n_shares == LP_SHARES
    assert removed.delta_base_asset_amount == -10 * BASE  # settled on the way out
    record = _events(ex, LiquidationRecord)[-1]
    assert record.lp_shares == LP_SHARES
    assert ex.audit().balanced


def test_liquidation_restored_by_the_burn_liquidates_nothing_else():
    ex = _underwater_provider()

    ex.liquidate_perp("liquidator", 0, "lp", 0, 0, 100 * BASE)

    record = _events(ex, LiquidationRecord)[-1]
    assert (record.base_asset_amount, record.quote_asset_amount) == (0, 0)
    assert _position(ex).base_asset_amount == -10 * BASE  # its own settled inventory stays
    assert _position(ex, "liquidator").base_asset_amount == 0
    assert not ex.user("lp").is_being_liquidated()
    assert ex.audit().balanced


# --- per_lp_base admin ------------------------------------------------------------------------


@pytest.mark.parametrize("new", [0, 2, -2])
def test_per_lp_base_moves_by_exactly_one(new):
    ex = _provider()

    with _unchanged(ex), pytest.raises(InvalidMarketParameter):
        ex.update_perp_market_per_lp_base(0, new)


def test_per_lp_base_stays_within_nine():
    ex = _provider()
    for exponent in range(1, 10):
        ex.update_perp_market_per_lp_base(0, exponent)

    with _unchanged(ex), pytest.raises(InvalidAmount):
        ex.update_perp_market_per_lp_base(0, 10)


def _rebased_and_plain(exponent: int, fill_after: bool) -> tuple[Exchange, Exchange]:
    ex = _provider()
    _take(ex, LONG, 10 * BASE + 3 * STEP)
    _take(ex, SHORT, 4 * BASE + 1 * STEP)
    rebased = copy.deepcopy(ex)
    rebased.update_perp_market_per_lp_base(0, exponent)
    for each in (ex, rebased):
        if fill_after:
            _take(each, LONG, 7 * BASE + 7 * STEP)
        each.settle_lp("lp", 0, 0)
    return ex, rebased


def _claim(ex: Exchange) -> tuple[int, int, int]:
    position = _position(ex)
    return (
        position.base_asset_amount,
        position.remainder_base_asset_amount,
        position.quote_asset_amount,
    )


def test_upward_rebase_leaves_the_providers_claim_unchanged():
    plain, rebased = _rebased_and_plain(1, fill_after=False)

    # 9: accumulators x 10 and the unit x 10: the same claim exactly (the snapshot is rebased
    # lazily at settle)
    assert rebased.perp_market(0).amm.per_lp_base == _position(rebased).per_lp_base == 1
    assert _claim(rebased) == _claim(plain)
    assert rebased.audit().balanced


def test_downward_rebase_leaves_the_claim_unchanged_up_to_truncation():
    plain, rebased = _rebased_and_plain(-1, fill_after=False)

    (base_a, rem_a, quote_a), (base_b, rem_b, quote_b) = _claim(plain), _claim(rebased)
    assert _position(rebased).per_lp_base == -1
    # the base per LP moved in multiples of 10 here (pb = d_b * 1e9 / 1e14, d_b a step multiple)
    assert (base_b, rem_b) == (base_a, rem_a)
    # 9: the quote accumulator truncates toward zero on the downscale: less than one new unit,
    # worth lp_shares / new unit = 1e13 / 1e8 = 1e5 quote
    assert abs(quote_b - quote_a) < LP_SHARES // (UNIT // 10)
    assert rebased.audit().balanced


@pytest.mark.parametrize("exponent", [1, -1])
def test_fills_after_a_rebase_give_the_same_base(exponent):
    plain, rebased = _rebased_and_plain(exponent, fill_after=True)

    (base_a, rem_a, quote_a), (base_b, rem_b, quote_b) = _claim(plain), _claim(rebased)
    assert base_b + rem_b == base_a + rem_a
    # only the per-LP quote truncation differs (per fill < one unit of the coarser exponent)
    coarse_unit = UNIT // 10 if exponent < 0 else UNIT
    assert abs(quote_b - quote_a) < 4 * LP_SHARES // coarse_unit
    assert rebased.audit().balanced
