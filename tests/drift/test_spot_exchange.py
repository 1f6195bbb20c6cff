"""Spot orders between users and swaps through the Exchange facade.

Markets: USDC (0) and SOL (1, 9 decimals, weights 8000/9000/12000/11000, $100), SOL orders with a
0.001 SOL step and a $0.0001 tick; the spot fee schedule is the reference's spot_default (10 bps
taker, 2 bps maker rebate). Expected amounts are derived in each test from those numbers. Every
refused instruction leaves the state digest and the event log as they were, and the audit
balances after every instruction.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace

import pytest

from ballast.drift.constants import ONE_HOUR
from ballast.drift.errors import (
    InsufficientCollateral,
    InvalidAmount,
    InvalidFeeStructure,
    InvalidOrderBaseQuoteAsset,
    InvalidOrderIOC,
    InvalidOrderPostOnly,
    InvalidSwap,
    MarginOrdersOpen,
    MarginTradingDisabled,
    PriceBandsBreached,
    SpotMarketNotFound,
    SpotOrdersDisabled,
    SwapLimitPriceBreached,
    UserNotFound,
)
from ballast.drift.events import OrderAction, OrderActionRecord, SwapRecord
from ballast.drift.exchange import Exchange
from ballast.drift.instructions.spot import SwapReduceOnly
from ballast.drift.presets import GENESIS_TS, fund_user
from ballast.drift.state.order_params import OrderParams, PostOnlyParam
from ballast.drift.state.state import FeeTier, spot_default_fee_structure
from ballast.drift.state.user import MarketType, OrderType, PositionDirection

USDC = 10**6
SOL = 10**9
PRICE = 10**6
LONG, SHORT = PositionDirection.Long, PositionDirection.Short
STEP = SOL // 1000
TAKER_FEE_BPS, MAKER_REBATE_BPS = 10, 2  # FeeStructure::spot_default


def _exchange() -> Exchange:
    """USDC and SOL spot markets with SOL orders enabled; the maker holds 10 SOL, the taker
    $1,000, a lender $10,000 and 100 SOL (so both markets have depth to borrow)."""
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
    fund_user(ex, "lender", 10_000)
    ex.deposit("lender", 0, 1, 100 * SOL)
    ex.initialize_user("maker")
    ex.deposit("maker", 0, 1, 10 * SOL)
    fund_user(ex, "taker", 1_000)
    ex.initialize_user("keeper")
    return ex


def _tick(ex: Exchange, seconds: int = 1) -> None:
    ex.update_clock(ex.now + seconds)
    ex.update_oracle_price(1, 100 * PRICE, market_type=MarketType.Spot)


def _limit(direction, base, price, post_only=PostOnlyParam.None_, ioc=False, market_index=1) -> OrderParams:
    return OrderParams(
        order_type=OrderType.Limit, market_type=MarketType.Spot, direction=direction,
        base_asset_amount=base, price=price, market_index=market_index, post_only=post_only,
        immediate_or_cancel=ioc,
    )


def _ask(ex: Exchange, base: int = SOL, price: int = 100 * PRICE) -> int:
    order_id = ex.place_spot_order("maker", 0, _limit(SHORT, base, price, PostOnlyParam.MustPostOnly))
    assert order_id is not None
    return order_id


def _digest(ex: Exchange) -> tuple:
    return ex.state_digest(), len(ex.events)


@contextmanager
def _unchanged(ex: Exchange):
    before = _digest(ex)
    yield
    assert _digest(ex) == before


def _balanced(ex: Exchange) -> None:
    report = ex.audit()
    assert report.balanced, report


def _fees(quote: int) -> tuple[int, int]:
    return quote * TAKER_FEE_BPS // 10_000, quote * MAKER_REBATE_BPS // 10_000


# --- a fill between two users -------------------------------------------------------------


def test_place_and_take_buys_from_the_resting_ask_and_books_the_fee():
    # Arrange
    ex = _exchange()
    _ask(ex)
    _tick(ex)
    quote = 100 * USDC  # one SOL at the maker's $100
    taker_fee, maker_rebate = _fees(quote)
    # Act
    base = ex.place_and_take_spot_order("taker", 0, _limit(LONG, SOL, 101 * PRICE, ioc=True))
    # Assert
    assert base == SOL
    assert ex.token_amount("taker", 0, 1) == SOL
    assert ex.token_amount("taker", 0, 0) == 1_000 * USDC - quote - taker_fee
    assert ex.token_amount("maker", 0, 1) == 9 * SOL
    assert ex.token_amount("maker", 0, 0) == quote + maker_rebate
    sol = ex.spot_market(1)
    assert sol.total_spot_fee == taker_fee - maker_rebate
    assert ex.audit().claims[0]["spot_fee_pools"] == taker_fee - maker_rebate
    assert ex.stats("taker").fees.total_fee_paid == taker_fee
    assert ex.stats("maker").fees.total_fee_rebate == maker_rebate
    assert ex.user("taker").cumulative_spot_fees == -taker_fee
    fill = [e for e in ex.events if type(e) is OrderActionRecord and e.action is OrderAction.Fill]
    assert [(f.market_type, f.base_asset_amount_filled, f.taker_fee, f.maker_fee) for f in fill] == [
        ("Spot", SOL, taker_fee, -maker_rebate)
    ]
    assert not ex.user("maker").orders and not ex.user("taker").orders
    _balanced(ex)


def test_spot_fee_to_revenue_pool_option_books_the_fee_to_the_quote_revenue_pool():
    # Arrange
    ex = _exchange()
    ex.update_spot_fee_to_revenue_pool(True)
    _ask(ex)
    _tick(ex)
    taker_fee, maker_rebate = _fees(100 * USDC)
    revenue_before = ex.audit().claims[0]["revenue_pool"]
    # Act
    ex.place_and_take_spot_order("taker", 0, _limit(LONG, SOL, 101 * PRICE, ioc=True))
    # Assert
    claims = ex.audit().claims[0]
    assert claims["revenue_pool"] - revenue_before == taker_fee - maker_rebate
    assert claims["spot_fee_pools"] == 0
    _balanced(ex)


def test_spot_fees_in_the_revenue_pool_reach_the_insurance_fund_on_the_hourly_settle():
    # Arrange
    ex = _exchange()
    ex.update_spot_fee_to_revenue_pool(True)
    _ask(ex)
    _tick(ex)
    ex.place_and_take_spot_order("taker", 0, _limit(LONG, SOL, 101 * PRICE, ioc=True))
    pool = ex.audit().claims[0]["revenue_pool"]
    _tick(ex, ONE_HOUR)
    # Act
    settled = ex.settle_revenue_to_insurance_fund(0)
    # Assert: no stakers, so the whole pool moves (interest accrued this hour included)
    assert settled >= pool > 0
    assert ex.insurance_fund(0)["vault_amount"] == settled
    assert ex.audit().claims[0]["revenue_pool"] == 0
    _balanced(ex)


def test_keeper_fill_pays_the_filler_its_reward_out_of_the_taker_fee():
    # Arrange
    ex = _exchange()
    _ask(ex)
    order_id = ex.place_spot_order("taker", 0, _limit(LONG, SOL, 101 * PRICE))
    _tick(ex)
    taker_fee, maker_rebate = _fees(100 * USDC)
    # Act
    base = ex.fill_spot_order("keeper", 0, "taker", 0, order_id)
    # Assert
    assert base == SOL
    filler_reward = ex.token_amount("keeper", 0, 0)
    assert filler_reward > 0
    assert ex.spot_market(1).total_spot_fee == taker_fee - maker_rebate - filler_reward
    assert ex.stats("keeper").filler_volume_30d == 100 * USDC
    _balanced(ex)


def test_resting_bid_is_cancelled_and_releases_its_open_bids():
    ex = _exchange()
    order_id = ex.place_spot_order("taker", 0, _limit(LONG, SOL, 90 * PRICE))
    assert ex.user("taker").get_spot_position(1).open_bids == SOL
    ex.cancel_order("taker", 0, order_id)
    position = ex.user("taker").get_spot_position(1)
    assert (position.open_bids, position.open_orders, ex.user("taker").orders) == (0, 0, [])
    _balanced(ex)


def test_ioc_remainder_is_cancelled_after_a_partial_fill():
    ex = _exchange()
    _ask(ex, base=SOL // 2)
    _tick(ex)
    base = ex.place_and_take_spot_order("taker", 0, _limit(LONG, SOL, 101 * PRICE, ioc=True))
    assert base == SOL // 2
    assert ex.user("taker").orders == []
    assert ex.user("taker").get_spot_position(1).open_bids == 0
    _balanced(ex)


# --- refused spot orders ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "error"),
    [
        (_limit(LONG, 0, 100 * PRICE), InvalidAmount),  # zero size
        (_limit(LONG, -SOL, 100 * PRICE), InvalidAmount),  # negative size
        (_limit(LONG, SOL, -1), InvalidAmount),  # negative price
        (_limit(LONG, SOL, 100 * PRICE, market_index=7), SpotMarketNotFound),
        (_limit(LONG, SOL, 100 * PRICE, ioc=True), InvalidOrderIOC),
        ("not params", InvalidAmount),
    ],
)
def test_bad_spot_order_is_refused_with_state_unchanged(params, error):
    ex = _exchange()
    with _unchanged(ex), pytest.raises(error):
        ex.place_spot_order("taker", 0, params)


def test_order_in_a_market_without_spot_orders_is_refused():
    ex = _exchange()
    ex.initialize_spot_market(2, decimals=9, name="ETH", oracle_price=2000 * PRICE)
    with _unchanged(ex), pytest.raises(SpotOrdersDisabled):
        ex.place_spot_order("taker", 0, _limit(LONG, SOL, 100 * PRICE, market_index=2))


def test_order_for_the_quote_asset_is_refused():
    ex = _exchange()
    ex.update_spot_market_step_size_and_tick_size(0, 1, 1)
    ex.update_spot_market_orders_enabled(0, True)
    with _unchanged(ex), pytest.raises(InvalidOrderBaseQuoteAsset):
        ex.place_spot_order("taker", 0, _limit(LONG, USDC, PRICE, market_index=0))


def test_unknown_user_is_refused():
    ex = _exchange()
    with _unchanged(ex), pytest.raises(UserNotFound):
        ex.place_spot_order("nobody", 0, _limit(LONG, SOL, 100 * PRICE))


def test_post_only_place_and_take_is_refused():
    ex = _exchange()
    with _unchanged(ex), pytest.raises(InvalidOrderPostOnly):
        ex.place_and_take_spot_order("taker", 0, _limit(LONG, SOL, 100 * PRICE, PostOnlyParam.MustPostOnly))


def test_bid_beyond_the_quote_held_needs_margin_trading():
    ex = _exchange()
    with _unchanged(ex), pytest.raises(MarginTradingDisabled):
        ex.place_spot_order("taker", 0, _limit(LONG, 20 * SOL, 100 * PRICE))


def test_bid_beyond_initial_margin_is_refused_with_margin_trading():
    # $1,000 buys at most ~$5,000 of SOL at its 0.8 initial asset weight
    ex = _exchange()
    ex.update_user_margin_trading_enabled("taker", 0, True)
    with _unchanged(ex), pytest.raises(InsufficientCollateral):
        ex.place_spot_order("taker", 0, _limit(LONG, 60 * SOL, 100 * PRICE))


def test_margin_trading_cannot_be_disabled_while_orders_need_it():
    ex = _exchange()
    ex.update_user_margin_trading_enabled("taker", 0, True)
    ex.place_spot_order("taker", 0, _limit(LONG, 20 * SOL, 100 * PRICE))
    with _unchanged(ex), pytest.raises(MarginOrdersOpen):
        ex.update_user_margin_trading_enabled("taker", 0, False)


def test_fill_that_leaves_the_taker_short_of_margin_is_refused():
    # the taker bids for 45 SOL on $1,000 (initial margin holds at $100), then SOL falls to $80
    # before the fill: 45 SOL x $80 x 0.85 (fill weight) < the $4,504.5 borrowed
    ex = _exchange()
    ex.update_user_margin_trading_enabled("taker", 0, True)
    ex.place_spot_order("taker", 0, _limit(LONG, 45 * SOL, 100 * PRICE))
    ex.update_user_margin_trading_enabled("maker", 0, True)
    fund_user(ex, "maker", 5_000)
    ex.place_spot_order("maker", 0, _limit(SHORT, 45 * SOL, 100 * PRICE, PostOnlyParam.MustPostOnly))
    ex.update_clock(ex.now + 1)
    ex.update_oracle_price(1, 80 * PRICE, market_type=MarketType.Spot)
    order_id = ex.user("taker").orders[0].order_id
    with _unchanged(ex), pytest.raises(InsufficientCollateral):
        ex.fill_spot_order("keeper", 0, "taker", 0, order_id)


# --- swaps ----------------------------------------------------------------------------------


def test_swap_sells_sol_for_usdc_at_the_callers_price():
    # Arrange
    ex = _exchange()
    sol_vault, usdc_vault = ex.spot_market(1).vault_amount, ex.spot_market(0).vault_amount
    # Act: 1 SOL at 100 USDC per SOL
    amount_out = ex.swap("maker", 0, 1, 0, SOL, 100 * PRICE)
    # Assert
    assert amount_out == 100 * USDC
    # leaving Drift rounds the scaled debit up by one unit (the reference's get_spot_balance,
    # as for withdraw): one lamport of the deposit stays in the vault as rounding surplus
    assert ex.token_amount("maker", 0, 1) == 9 * SOL - 1
    assert ex.token_amount("maker", 0, 0) == 100 * USDC
    assert ex.spot_market(1).vault_amount == sol_vault - SOL
    assert ex.spot_market(0).vault_amount == usdc_vault + 100 * USDC
    record = ex.events[-1]
    assert type(record) is SwapRecord
    assert (record.amount_in, record.amount_out, record.fee) == (SOL, 100 * USDC, 0)
    assert (ex.spot_market(1).flash_loan_amount, ex.spot_market(0).total_swap_fee) == (0, 0)
    _balanced(ex)


def test_swap_buys_sol_with_usdc():
    ex = _exchange()
    amount_out = ex.swap("taker", 0, 0, 1, 100 * USDC, PRICE // 100)  # 0.01 SOL per USDC
    assert amount_out == SOL
    # one unit less: the debit leaving Drift is rounded up (see the SOL sale above)
    assert (ex.token_amount("taker", 0, 0), ex.token_amount("taker", 0, 1)) == (900 * USDC - 1, SOL)
    _balanced(ex)


def test_swap_into_a_borrow_with_margin_trading():
    ex = _exchange()
    ex.update_user_margin_trading_enabled("taker", 0, True)
    ex.swap("taker", 0, 0, 1, 2_000 * USDC, PRICE // 100)
    # the borrow leaving Drift is rounded up by one scaled unit: one token more owed
    assert ex.token_amount("taker", 0, 0) == -1_000 * USDC - 1
    assert ex.token_amount("taker", 0, 1) == 20 * SOL
    _balanced(ex)


@pytest.mark.parametrize(
    ("args", "kwargs", "error"),
    [
        ((1, 0, 0, 100 * PRICE), {}, InvalidSwap),  # zero amount in
        ((1, 0, -SOL, 100 * PRICE), {}, InvalidAmount),  # negative amount in
        ((1, 0, SOL, -1), {}, InvalidAmount),  # negative price
        ((1, 0, SOL, 0), {}, InvalidSwap),  # nothing out
        ((1, 1, SOL, PRICE), {}, InvalidSwap),  # same market
        ((1, 9, SOL, 100 * PRICE), {}, SpotMarketNotFound),
        ((1, 0, SOL, 100 * PRICE), {"limit_price": 101 * PRICE}, SwapLimitPriceBreached),
        ((1, 0, SOL, 70 * PRICE), {}, PriceBandsBreached),  # 30% below the oracle
        ((1, 0, 11 * SOL, 100 * PRICE), {}, MarginTradingDisabled),  # more SOL than held
        ((1, 0, 11 * SOL, 100 * PRICE), {"reduce_only": SwapReduceOnly.In}, InvalidSwap),
        ((1, 0, SOL, 100 * PRICE), {"reduce_only": "In"}, InvalidAmount),
        ((1, 0, SOL, 100 * PRICE), {"limit_price": -1}, InvalidAmount),
    ],
)
def test_bad_swap_is_refused_with_state_unchanged(args, kwargs, error):
    ex = _exchange()
    with _unchanged(ex), pytest.raises(error):
        ex.swap("maker", 0, *args, **kwargs)


def test_swap_beyond_initial_margin_is_refused_with_margin_trading():
    ex = _exchange()
    ex.update_user_margin_trading_enabled("taker", 0, True)
    with _unchanged(ex), pytest.raises(InsufficientCollateral):
        ex.swap("taker", 0, 0, 1, 6_000 * USDC, PRICE // 100)


def test_swap_out_reduce_only_refuses_a_new_deposit():
    ex = _exchange()
    with _unchanged(ex), pytest.raises(InvalidSwap):
        ex.swap("maker", 0, 1, 0, SOL, 100 * PRICE, reduce_only=SwapReduceOnly.Out)


# --- the digest ------------------------------------------------------------------------------


def test_state_digest_covers_the_spot_trading_fields():
    ex = _exchange()
    before = ex.state_digest()
    ex.update_spot_market_orders_enabled(1, False)
    assert ex.state_digest() != before
    ex.update_spot_market_orders_enabled(1, True)
    assert ex.state_digest() == before
    ex.update_user_margin_trading_enabled("taker", 0, True)
    assert ex.state_digest() != before



# --- admin ------------------------------------------------------------------------------------


def test_spot_fee_structure_update_takes_effect_on_the_next_fill():
    ex = _exchange()
    tiers = (FeeTier(fee_numerator=50, maker_rebate_numerator=10),) + (FeeTier(),) * 9
    # a flat filler fee below half the open-order margin, as validation asks (see below)
    ex.update_spot_fee_structure(replace(spot_default_fee_structure(), fee_tiers=tiers, flat_filler_fee=3333))
    _ask(ex)
    _tick(ex)
    ex.place_and_take_spot_order("taker", 0, _limit(LONG, SOL, 101 * PRICE, ioc=True))
    quote = 100 * USDC
    assert ex.stats("taker").fees.total_fee_paid == quote * 50 // 100_000
    assert ex.stats("maker").fees.total_fee_rebate == quote * 10 // 100_000


@pytest.mark.parametrize(
    "tier",
    [
        FeeTier(fee_numerator=301),  # above 30 bps
        FeeTier(fee_numerator=100, maker_rebate_numerator=31),  # rebate above 3 bps
        FeeTier(fee_numerator=10, maker_rebate_numerator=20),  # rebate above the fee
        FeeTier(fee_numerator=5, fee_denominator=10_000),  # denominator below FEE_DENOMINATOR
    ],
)
def test_invalid_spot_fee_structure_is_refused_unchanged(tier):
    ex = _exchange()
    with _unchanged(ex), pytest.raises(InvalidFeeStructure):
        ex.update_spot_fee_structure(replace(spot_default_fee_structure(), fee_tiers=(tier,), flat_filler_fee=3333))


def test_default_spot_fee_structure_validates_with_a_smaller_flat_filler_fee():
    # validation/fee_structure/tests.rs::default_fee_structures: spot_default's flat filler fee
    # ($0.01) is not below half the open-order margin ($0.005); with 3333 it validates
    ex = _exchange()
    with _unchanged(ex), pytest.raises(InvalidFeeStructure, match="flat filler fee 10000"):
        ex.update_spot_fee_structure(spot_default_fee_structure())
    ex.update_spot_fee_structure(replace(spot_default_fee_structure(), flat_filler_fee=3333))
    assert ex.state.spot_fee_structure.flat_filler_fee == 3333


def test_orders_cannot_be_enabled_without_step_and_tick_sizes():
    ex = _exchange()
    ex.initialize_spot_market(2, decimals=9, name="ETH", oracle_price=2000 * PRICE)
    with _unchanged(ex), pytest.raises(SpotOrdersDisabled):
        ex.update_spot_market_orders_enabled(2, True)
