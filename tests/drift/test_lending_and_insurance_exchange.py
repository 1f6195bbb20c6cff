"""Spot lending, revenue settlement, insurance-fund staking and the full liquidations through
the Exchange facade.

Numbers are derived by hand from /work/shared/spec/drift_insurance.md (sections named next to
them). Every rejected instruction leaves the state digest (plus the stakes) and the event log
exactly as they were, and the audit balances after every instruction.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from ballast.drift.constants import ONE_HOUR, ONE_YEAR
from ballast.drift.errors import (
    InsufficientCollateral,
    InvalidAmount,
    RevenueSettingsCannotSettleToIF,
    SufficientCollateral,
    TryingToRemoveLiquidityTooFast,
    UserNotBankrupt,
)
from ballast.drift.events import LiquidationRecord, LiquidationType
from ballast.drift.exchange import Exchange
from ballast.drift.presets import GENESIS_TS, add_perp_market, fund_user
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.user import MarketType, OrderType, PositionDirection

USDC = 10**6
SOL = 10**9  # SOL token (decimals 9) and perp base
PRICE = 10**6
LONG = PositionDirection.Long
SHORT = PositionDirection.Short


def _exchange() -> Exchange:
    """USDC (total_if_factor 10%) and SOL spot markets; lender deposits $10,000 USDC, borrower
    deposits 10 SOL at $100."""
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
    )
    fund_user(ex, "lender", 10_000)
    ex.initialize_user("borrower")
    ex.deposit("borrower", 0, 1, 10 * SOL)
    return ex


def _tick(ex: Exchange, seconds: int, sol_price: int = 100 * PRICE) -> None:
    ex.update_clock(ex.now + seconds)
    ex.update_oracle_price(1, sol_price, market_type=MarketType.Spot)
    if ex.perp_markets:
        ex.update_oracle_price(0, sol_price)


def _digest(ex: Exchange) -> tuple:
    stakes = sorted((k, repr(v)) for k, v in ex.insurance_fund_stakes.items())
    return ex.state_digest(), repr(stakes), len(ex.events)


@contextmanager
def _unchanged(ex: Exchange):
    before = _digest(ex)
    yield
    assert _digest(ex) == before


def _balanced(ex: Exchange) -> None:
    report = ex.audit()
    assert report.balanced, report


def _revenue_pool(ex: Exchange, market_index: int = 0) -> int:
    return ex.audit().claims[market_index]["revenue_pool"]


def _borrowed(ex: Exchange, amount: int = 500 * USDC) -> Exchange:
    ex.withdraw("borrower", 0, 0, amount)
    return ex


# --- borrowing -------------------------------------------------------------------------------


def test_withdraw_beyond_deposit_borrows_rounded_up():
    ex = _exchange()
    vault = ex.spot_market(0).vault_amount

    ex.withdraw("borrower", 0, 0, 500 * USDC)

    # 2: scaled = floor(500e6 x 1e13 / 1e10) + 1 (round up for a borrow) = 500e9 + 1;
    # tokens = ceil((500e9 + 1) x 1e10 / 1e13) = 500_000_001
    market = ex.spot_market(0)
    assert market.borrow_balance == 500 * 10**9 + 1
    assert ex.token_amount("borrower", 0, 0) == -500_000_001
    assert market.vault_amount == vault - 500 * USDC
    assert ex.token_amount("lender", 0, 0) == 10_000 * USDC
    _balanced(ex)


def test_borrow_breaching_initial_margin_is_rejected_unchanged():
    ex = _exchange()
    # collateral 10 SOL x $100 x 0.8 = $800: a $801 borrow (weight 1) breaches it
    with _unchanged(ex), pytest.raises(InsufficientCollateral, match="801000000"):
        ex.withdraw("borrower", 0, 0, 801 * USDC)
    _balanced(ex)


def test_interest_accrues_per_the_spec_over_a_month():
    ex = _borrowed(_exchange())
    dt = ONE_YEAR // 12  # 2_628_000 s
    _tick(ex, dt)

    ex.update_spot_market_cumulative_interest(0)

    market = ex.spot_market(0)
    # 3.1: U = floor(500_000_001 x 1e6 / 10_000e6) = 50_000
    # 3.2: slope = floor(100_000 x 1e6 / 800_000) = 125_000; r = floor(50_000 x 125_000 / 1e6) = 6_250
    # 3.3: mbr = 6_250 x dt = 16_425_000_000; mdr = floor(mbr x 50_000 / 1e6) = 821_250_000
    #      bi = floor(floor(1e10 x mbr / ONE_YEAR) / 1e6) + 1 = 5_208_333 + 1
    #      di = floor(floor(1e10 x mdr / ONE_YEAR) / 1e6) = 260_416
    # 3.4: di_if = floor(260_416 x 100_000 / 1e6) = 26_041; di_lend = 234_375
    assert market.cumulative_borrow_interest == 10**10 + 5_208_334
    assert market.cumulative_deposit_interest == 10**10 + 234_375
    # borrower: ceil((500e9 + 1) x 10_005_208_334 / 1e13) = 500_260_417 (debt grows)
    assert ex.token_amount("borrower", 0, 0) == -500_260_417
    # lender: floor(1e13 x 10_000_234_375 / 1e13) = 10_000_234_375 (deposit grows)
    assert ex.token_amount("lender", 0, 0) == 10_000_234_375
    # IF cut: tok = floor(deposit_balance 1e13 x 26_041 / 1e13) = 26_041, credited at the new
    # CDI: scaled floor(26_041 x 1e13 / 10_000_234_375) = 26_040_389 -> 26_040 tokens
    assert market.revenue_pool.scaled_balance == 26_040_389
    assert _revenue_pool(ex) == 26_040
    assert market.last_interest_ts == ex.now
    _balanced(ex)


# --- revenue settlement -------------------------------------------------------------------


def _with_revenue(ex: Exchange) -> Exchange:
    _borrowed(ex)
    _tick(ex, ONE_YEAR // 12)
    ex.update_spot_market_cumulative_interest(0)
    return ex


def test_settle_without_stakers_moves_the_whole_pool_and_mints_protocol_shares():
    ex = _with_revenue(_exchange())
    pool = _revenue_pool(ex)

    settled = ex.settle_revenue_to_insurance_fund(0)

    # 5.2: no user shares -> no caps: A = the pool (26_040); protocol slice
    # floor(A x 50_000 / 100_000) = 13_020 shares into an empty fund (1:1)
    assert settled == pool == 26_040
    fund = ex.insurance_fund(0)
    assert fund["vault_amount"] == 26_040
    assert (fund["total_shares"], fund["user_shares"]) == (13_020, 0)
    assert _revenue_pool(ex) == 0
    _balanced(ex)


def test_settle_early_is_rejected_unchanged_then_allowed_on_the_hour():
    ex = _with_revenue(_exchange())
    ex.settle_revenue_to_insurance_fund(0)
    last = ex.spot_market(0).insurance_fund.last_revenue_settle_ts
    next_hour = last - last % ONE_HOUR + ONE_HOUR  # 5.1: delay <= period/3 -> the next boundary
    assert last % ONE_HOUR <= ONE_HOUR // 3
    _tick(ex, next_hour - 1 - ex.now)

    with _unchanged(ex), pytest.raises(RevenueSettingsCannotSettleToIF, match="must wait 1 s"):
        ex.settle_revenue_to_insurance_fund(0)

    _tick(ex, 1)
    assert ex.settle_revenue_to_insurance_fund(0) > 0
    _balanced(ex)


def test_settle_with_stakers_is_capped_at_a_tenth_and_the_apr():
    ex = _exchange()
    fund_user(ex, "staker", 1)
    ex.initialize_insurance_fund_stake("staker", 0)
    ex.add_insurance_fund_stake("staker", 0, 1_000 * USDC)
    _with_revenue(ex)
    pool = _revenue_pool(ex)

    settled = ex.settle_revenue_to_insurance_fund(0)

    # 5.2 step 7: V = 1_000e6, apr cap = floor(floor(V x 1e7 / 1e6) / 8_760) = 1_141_552;
    # a tenth of the pool (26_035: the staker's $1 deposit shifted utilization) is the smaller
    assert pool == 26_035
    assert settled == 2_603
    assert _revenue_pool(ex) == pool - 2_603
    _balanced(ex)

    ex2 = _exchange()
    fund_user(ex2, "staker", 1)
    ex2.initialize_insurance_fund_stake("staker", 0)
    ex2.add_insurance_fund_stake("staker", 0, USDC)  # V = 1e6: cap floor(1e7 / 8_760) = 1_141
    _with_revenue(ex2)

    assert ex2.settle_revenue_to_insurance_fund(0) == 1_141
    _balanced(ex2)


# --- staking through the cooldown ---------------------------------------------------------


def _crash_borrower_into_bankruptcy(ex: Exchange) -> None:
    """SOL falls to $50: the liquidator takes all 10 SOL, the rest of the $700 borrow is bad."""
    fund_user(ex, "liquidator", 100_000)
    ex.withdraw("borrower", 0, 0, 200 * USDC)  # $700 borrowed in all
    _tick(ex, 60, 50 * PRICE)
    ex.liquidate_spot("liquidator", 0, "borrower", 0, 1, 0, 10**12)
    assert ex.user("borrower").is_bankrupt()


def _staked() -> Exchange:
    ex = _with_revenue(_exchange())
    for name in ("alice", "bob"):
        fund_user(ex, name, 1)
        ex.initialize_insurance_fund_stake(name, 0)
        ex.add_insurance_fund_stake(name, 0, 1_000 * USDC)  # settles the due revenue first
    _balanced(ex)
    return ex


def test_unstake_after_gain_then_bankruptcy_loss_pays_the_lower_value_now():
    ex = _staked()
    ex.request_remove_insurance_fund_stake("alice", 0, 500 * USDC)
    locked = ex.insurance_fund_stakes["alice/0"].last_withdraw_request_value
    assert ex.insurance_fund_unstake_available_ts("alice", 0) == ex.now + 13 * 86_400
    # the fund gains: an hour later revenue settles into it
    _tick(ex, ONE_HOUR)
    assert ex.settle_revenue_to_insurance_fund(0) > 0
    # the fund loses: a spot bankruptcy is paid from it
    _crash_borrower_into_bankruptcy(ex)
    vault = ex.insurance_fund(0)["vault_amount"]
    paid = ex.resolve_spot_bankruptcy("liquidator", 0, "borrower", 0, 0)
    assert paid > 0
    assert ex.insurance_fund(0)["vault_amount"] == vault - paid
    _balanced(ex)
    _tick(ex, 13 * 86_400, 50 * PRICE)
    fund = ex.spot_market(0).insurance_fund
    stake = ex.insurance_fund_stakes["alice/0"]
    value_now = stake.last_withdraw_request_shares * fund.vault_amount // fund.total_shares
    assert value_now < locked

    received = ex.remove_insurance_fund_stake("alice", 0)

    assert received == value_now  # 6.6 step 4: min(value now, value at request)
    _balanced(ex)


def test_unstake_after_gains_pays_the_value_at_request():
    ex = _staked()
    ex.request_remove_insurance_fund_stake("alice", 0, 500 * USDC)
    locked = ex.insurance_fund_stakes["alice/0"].last_withdraw_request_value
    for _ in range(3):
        _tick(ex, ONE_HOUR)
        ex.settle_revenue_to_insurance_fund(0)
    _tick(ex, 13 * 86_400)

    assert ex.remove_insurance_fund_stake("alice", 0) == locked
    _balanced(ex)


def test_cancel_forfeits_the_gains_since_the_request():
    ex = _staked()
    ex.request_remove_insurance_fund_stake("alice", 0, 500 * USDC)
    shares_before = ex.insurance_fund_stakes["alice/0"].if_shares
    _tick(ex, 12 * 86_400)  # twelve days of interest, then a tenth of the pool settles
    assert ex.settle_revenue_to_insurance_fund(0) > 0
    bob_before = ex.insurance_fund_stake_value("bob", 0)

    ex.cancel_request_remove_insurance_fund_stake("alice", 0)

    assert ex.insurance_fund_stakes["alice/0"].if_shares < shares_before
    assert ex.insurance_fund_unstake_available_ts("alice", 0) is None
    assert ex.insurance_fund_stake_value("bob", 0) >= bob_before  # the others keep the gain
    _balanced(ex)


# --- bad inputs ---------------------------------------------------------------------------


def test_staking_zero_is_rejected_unchanged():
    ex = _staked()
    with _unchanged(ex), pytest.raises(InvalidAmount, match="got 0"):
        ex.add_insurance_fund_stake("alice", 0, 0)


def test_unstaking_before_the_cooldown_is_rejected_unchanged():
    ex = _staked()
    ex.request_remove_insurance_fund_stake("alice", 0, 500 * USDC)
    _tick(ex, 13 * 86_400 - 1)
    with _unchanged(ex), pytest.raises(TryingToRemoveLiquidityTooFast):
        ex.remove_insurance_fund_stake("alice", 0)


def test_resolving_a_solvent_account_is_rejected_unchanged():
    ex = _borrowed(_exchange())
    fund_user(ex, "liquidator", 100_000)
    with _unchanged(ex), pytest.raises(UserNotBankrupt, match="borrower/0"):
        ex.resolve_spot_bankruptcy("liquidator", 0, "borrower", 0, 0)


def test_liquidating_a_healthy_account_is_rejected_unchanged():
    ex = _borrowed(_exchange())
    fund_user(ex, "liquidator", 100_000)
    with _unchanged(ex), pytest.raises(SufficientCollateral, match="borrower/0"):
        ex.liquidate_spot("liquidator", 0, "borrower", 0, 1, 0, 10**12)


# --- liquidations -------------------------------------------------------------------------


def test_liquidate_spot_swaps_sol_for_the_usdc_borrow():
    ex = _borrowed(_exchange(), 700 * USDC)
    fund_user(ex, "liquidator", 100_000)
    _tick(ex, 60, 75 * PRICE)  # collateral 10 x 75 x 0.9 = 675 < 700

    ex.liquidate_spot("liquidator", 0, "borrower", 0, 1, 0, 10**12)

    record = ex.events[-1]
    assert isinstance(record, LiquidationRecord)
    assert record.liquidation_type is LiquidationType.LiquidateSpot
    # the borrow is reduced by the transfer (the scaled debit floors: within a unit)
    assert abs(ex.token_amount("borrower", 0, 0) - (-700_000_001 + record.liability_transfer)) <= 1
    assert ex.token_amount("borrower", 0, 1) == 10 * SOL - record.asset_transfer
    assert ex.token_amount("liquidator", 0, 1) == record.asset_transfer
    assert not ex.user("borrower").is_bankrupt()
    _balanced(ex)


def _ioc(direction: PositionDirection, base: int, price: int) -> OrderParams:
    return OrderParams(
        order_type=OrderType.Limit,
        direction=direction,
        base_asset_amount=base,
        price=price,
        immediate_or_cancel=True,
    )


def test_liquidate_perp_pnl_for_deposit_takes_sol_for_the_negative_pnl():
    ex = _exchange()
    add_perp_market(ex, 100)
    fund_user(ex, "liquidator", 100_000)
    ex.initialize_user("trader")
    ex.deposit("trader", 0, 1, SOL)
    ex.place_and_take_perp_order("trader", 0, _ioc(LONG, 5 * SOL, 102 * PRICE))
    _tick(ex, 1, 60 * PRICE)
    ex.update_oracle_price(0, 86 * PRICE)
    ex.liquidate_perp("liquidator", 0, "trader", 0, 0, 5 * SOL)
    quote = ex.user("trader").get_perp_position(0).quote_asset_amount
    assert ex.user("trader").get_perp_position(0).base_asset_amount == 0 and quote < 0

    ex.liquidate_perp_pnl_for_deposit("liquidator", 0, "trader", 0, 0, 1, 10**12)

    record = ex.events[-1]
    assert record.liquidation_type is LiquidationType.LiquidatePerpPnlForDeposit
    assert record.asset_transfer == SOL  # the whole deposit
    assert ex.user("trader").get_perp_position(0).quote_asset_amount == quote + record.pnl_transfer
    assert ex.user("trader").is_bankrupt()  # the rest is for resolve_perp_bankruptcy
    _balanced(ex)


def test_liquidate_borrow_for_perp_pnl_takes_the_sol_borrow_for_positive_pnl():
    ex = _exchange()
    add_perp_market(ex, 100, curve_update_intensity=0)
    fund_user(ex, "liquidator", 100_000)
    fund_user(ex, "whale", 1_000_000)
    fund_user(ex, "winner", 100)
    ex.place_and_take_perp_order("winner", 0, _ioc(LONG, 5 * SOL, 102 * PRICE))
    _tick(ex, 1, 100 * PRICE)
    ex.update_oracle_price(0, 108 * PRICE)
    for _ in range(3):  # the whale lifts the AMM price
        ex.place_and_take_perp_order("whale", 0, _ioc(LONG, 1_000 * SOL, 108 * PRICE))
    _tick(ex, 1, 100 * PRICE)
    ex.update_oracle_price(0, 108 * PRICE)
    ex.place_and_take_perp_order("winner", 0, _ioc(SHORT, 5 * SOL, 100 * PRICE))
    pnl = ex.user("winner").get_perp_position(0).quote_asset_amount
    assert pnl > 0
    ex.withdraw("winner", 0, 1, SOL // 2)  # borrows 0.5 SOL
    _tick(ex, 1, 300 * PRICE)  # SOL triples: 0.5 x 300 x 1.1 = 165 > 100 + pnl
    ex.update_oracle_price(0, 108 * PRICE)

    ex.liquidate_borrow_for_perp_pnl("liquidator", 0, "winner", 0, 0, 1, 10**12)

    record = ex.events[-1]
    assert record.liquidation_type is LiquidationType.LiquidateBorrowForPerpPnl
    assert record.pnl_transfer == pnl
    assert ex.user("winner").get_perp_position(0).quote_asset_amount == 0
    repaid = -(SOL // 2 + 1) + record.liability_transfer
    assert abs(ex.token_amount("winner", 0, 1) - repaid) <= 1
    _balanced(ex)


def test_resolve_spot_bankruptcy_pays_from_the_fund_and_socialises_the_rest():
    ex = _staked()
    _crash_borrower_into_bankruptcy(ex)
    borrow = -ex.token_amount("borrower", 0, 0)
    cdi = ex.spot_market(0).cumulative_deposit_interest
    vault = ex.insurance_fund(0)["vault_amount"]

    paid = ex.resolve_spot_bankruptcy("liquidator", 0, "borrower", 0, 0)

    assert paid == min(borrow, vault - 1)  # 9.3: no per-market cap for spot
    assert ex.token_amount("borrower", 0, 0) == 0
    assert not ex.user("borrower").is_bankrupt()
    if paid == borrow:
        assert ex.spot_market(0).cumulative_deposit_interest == cdi
    _balanced(ex)


# --- engine bugs --------------------------------------------------------------------------


def test_state_digest_covers_insurance_fund_stakes():
    ex = _staked()
    digest = ex.state_digest()
    ex.insurance_fund_stakes["alice/0"].cost_basis += 1  # any change to a stake account

    assert ex.state_digest() != digest
