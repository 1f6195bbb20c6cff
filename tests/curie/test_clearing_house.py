"""The Curie ClearingHouse facade: the spec's worked flows, margin checks, atomicity, audit.

Vectors: spec perp_curie.md section 4 (transcribed from the reference's tests), and
perp-curie-contract test/clearingHouse/ClearingHouse.funding.test.ts ("with twap; two takers",
"one maker provides order in range and another maker provides order above current price").
"""

from decimal import ROUND_HALF_UP, Decimal, getcontext

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballast.curie.clearing_house import INSURANCE_FUND, ClearingHouse
from ballast.curie.market_errors import (
    NotEnoughFreeCollateralByImRatio,
    NotEnoughFreeCollateralByMmRatio,
    NotExcessOrders,
    PositionSizeIsZero,
)

E18 = 10**18
USDC = 10**6
T0 = 1_000_000


def encode_price_sqrt(r1: str, r0: str = "1") -> int:
    """The reference tests' encodePriceSqrt (bignumber.js, 40 dp half-up; spec 1.9)."""
    getcontext().prec = 120
    dp = Decimal(1).scaleb(-40)
    q = (Decimal(r1) / Decimal(r0)).quantize(dp, rounding=ROUND_HALF_UP)
    return int(q.sqrt().quantize(dp, rounding=ROUND_HALF_UP) * (1 << 96))


def make_house(price: str = "151.373306858723226652", insurance_fund_fee_ratio: int = 0) -> ClearingHouse:
    ch = ClearingHouse()
    ch.update_clock(T0)
    ch.add_pool("ETH", encode_price_sqrt(price), 10000, 10000, insurance_fund_fee_ratio)
    for trader in ("maker", "taker", "alice", "bob", "carol"):
        ch.deposit(trader, 100_000 * USDC)
    return ch


# --- spec section 4 vectors ---------------------------------------------------------------


def test_encode_price_sqrt_matches_the_reference_helper():
    assert encode_price_sqrt("151.373306858723226652") == 974774664819573627711176820911


def test_add_liquidity_vectors():
    ch = make_house()
    assert ch.add_liquidity("maker", "ETH", 0, 10_000 * E18, 50000, 50200) == (
        0, 10_000 * E18, 0, 81689571696303801037492,
    )
    base, quote, fee, liquidity = ch.add_liquidity("alice", "ETH", 100 * E18, 10_000 * E18, 50000, 50400)
    assert (base, quote, liquidity) == (66061845430469484023, 10_000 * E18, 81689571696303801018159)


def _maker_full_range(ch: ClearingHouse) -> None:
    _, _, _, liquidity = ch.add_liquidity("maker", "ETH", 65943787 * 10**12, 10_000 * E18, 0, 100000)
    assert liquidity == 884690658835870366575


def test_taker_long_exact_input_vector():
    ch = make_house()
    _maker_full_range(ch)
    assert ch.open_position("taker", "ETH", False, True, E18) == (6539527905092835, E18)
    event = ch.events[-1]
    assert (event.exchanged_position_notional, event.fee) == (-99 * 10**16, 10**16)
    assert event.sqrt_price_after_x96 == 974863323923301853330898562804


def test_taker_short_pays_fee_to_in_range_maker():
    ch = make_house()
    _maker_full_range(ch)
    ch.open_position("taker", "ETH", True, True, E18)
    event = ch.events[-1]
    assert event.exchanged_position_notional == 149297034185732877727
    assert event.fee == 1492970341857328778
    # the maker's pending fee is 1 wei less: fee growth rounds down per step
    assert ch.get_pending_fee("maker", "ETH") == 1492970341857328777
    assert ch.audit().balanced


def test_insurance_fund_share_is_rounded_up_and_makers_get_the_rest():
    ch = make_house(insurance_fund_fee_ratio=100_000)
    _maker_full_range(ch)
    ch.open_position("taker", "ETH", True, True, E18)
    fee = ch.events[-1].fee
    if_fee = ch.accounts[INSURANCE_FUND].owed_realized_pnl
    assert if_fee == -(-fee // 10)  # single step: ceil(fee · 10 %)
    pending = ch.get_pending_fee("maker", "ETH")
    assert 0 <= fee - if_fee - pending <= 1
    assert ch.collect_pending_fee("maker", "ETH") == pending
    assert ch.accounts["maker"].owed_realized_pnl == pending
    assert ch.audit().balanced


def test_out_of_range_maker_earns_no_fee():
    ch = make_house()
    _maker_full_range(ch)
    ch.add_liquidity("alice", "ETH", 0, 1_000 * E18, 40000, 40200)  # far below the price
    ch.open_position("taker", "ETH", True, True, E18)
    assert ch.get_pending_fee("alice", "ETH") == 0


# --- add / remove, impermanent position ----------------------------------------------------


def test_add_then_remove_without_trade_returns_what_was_put_in():
    ch = make_house()
    base, quote, _, liquidity = ch.add_liquidity("maker", "ETH", 10 * E18, 2_000 * E18, 49000, 51000)
    burned = ch.remove_liquidity("maker", "ETH", 49000, 51000, liquidity)
    assert 0 <= base - burned[0] <= 1 and 0 <= quote - burned[1] <= 1
    maker = ch.accounts["maker"]
    # the -1 wei slices are dust: deregistered, nothing owed
    assert maker.markets == {} and maker.owed_realized_pnl == 0
    assert ch.get_total_position_size("maker", "ETH") == 0
    assert ch.audit().balanced


def test_impermanent_position_after_a_swap_is_realized_on_removal():
    ch = make_house()
    _maker_full_range(ch)
    size, _ = ch.open_position("taker", "ETH", False, True, 100 * E18)  # taker long
    impermanent = ch.get_impermanent_position("maker", "ETH")
    assert impermanent < 0 and abs(impermanent + size) <= 2  # the maker is short what the taker bought
    assert ch.get_total_position_size("maker", "ETH") == impermanent
    open_notional = ch.get_total_open_notional("maker", "ETH")
    order = ch.get_open_order("maker", "ETH", 0, 100000)
    ch.remove_liquidity("maker", "ETH", 0, 100000, order.liquidity)
    info = ch.accounts["maker"].markets["ETH"]
    # the whole impermanent position became a taker position; no pnl (no prior position)
    assert abs(info.taker_position_size - impermanent) <= 1
    assert abs(info.taker_open_notional - open_notional) <= 1
    assert ch.get_impermanent_position("maker", "ETH") == 0
    assert ch.events[-1].realized_pnl == 0
    assert ch.audit().balanced


def test_opposite_impermanent_position_realizes_pnl_against_taker_position():
    ch = make_house()
    _maker_full_range(ch)
    ch.add_liquidity("alice", "ETH", 10 * E18, 1_500 * E18, 0, 100000)
    ch.open_position("alice", "ETH", False, True, 200 * E18)  # alice long as a taker
    ch.open_position("taker", "ETH", True, True, 3 * E18)  # takers sell: alice's liquidity buys
    order = ch.get_open_order("alice", "ETH", 0, 100000)
    long_before = ch.accounts["alice"].markets["ETH"].taker_position_size
    ch.open_position("taker", "ETH", False, True, 1_000 * E18)  # price up: alice's range sells base
    assert ch.get_impermanent_position("alice", "ETH") < 0
    ch.remove_liquidity("alice", "ETH", 0, 100000, order.liquidity)
    event = ch.events[-1]
    assert event.exchanged_position_size < 0 and event.realized_pnl != 0
    assert ch.accounts["alice"].markets["ETH"].taker_position_size < long_before
    assert ch.audit().balanced


# --- funding ------------------------------------------------------------------------------


def _funding_house() -> ClearingHouse:
    ch = make_house("154.4310961")
    ch.update_index_price("ETH", 154 * E18)
    ch.update_index_price("ETH", 150953124 * 10**12)
    return ch


def test_funding_taker_and_maker_vector():
    # ClearingHouse.funding.test.ts "with twap; two takers; positive, negative then positive"
    ch = _funding_house()
    ch.add_liquidity("alice", "ETH", 0, 100 * E18, 50200, 50400)
    updated = [e for e in ch.events if type(e).__name__ == "FundingUpdated"][-1]
    assert (updated.mark_twap, updated.index_twap) == (154431096099999999999, 150953124 * 10**12)
    ch.open_position("bob", "ETH", True, True, 99 * 10**15)
    ch.update_clock(T0 + 300)
    assert ch.get_pending_funding_payment("bob", "ETH") == -1031250281599379
    assert ch.get_pending_funding_payment("alice", "ETH") == 1031250281599379
    owed = ch.accounts["bob"].owed_realized_pnl
    ch.close_position("bob", "ETH")  # settles funding first
    settled = [e for e in ch.events if type(e).__name__ == "FundingPaymentSettled"]
    assert settled[-1].funding_payment == -1031250281599379
    assert ch.accounts["bob"].owed_realized_pnl != owed
    assert ch.audit().balanced


def test_funding_range_fully_above_the_price_pays_zero():
    # ClearingHouse.funding.test.ts "trader short, no funding payment for the maker providing
    # the order above current price"
    ch = _funding_house()
    ch.add_liquidity("alice", "ETH", 10 * E18, 10_000 * E18, 50200, 50600)
    ch.update_clock(T0 + 1)
    _, _, _, liquidity = ch.add_liquidity("carol", "ETH", 10 * E18, 0, 51000, 51200)
    assert liquidity == 12870245414941510880707
    ch.update_clock(T0 + 2)
    ch.open_position("bob", "ETH", True, True, E18)
    ch.update_clock(T0 + 362)
    assert ch.get_pending_funding_payment("carol", "ETH") == 0
    assert ch.get_pending_funding_payment("bob", "ETH") < 0 < ch.get_pending_funding_payment("alice", "ETH")
    ch.remove_liquidity("carol", "ETH", 51000, 51200, liquidity)
    assert ch.accounts["carol"].owed_realized_pnl == 0
    assert ch.get_pending_funding_payment("carol", "ETH") == 0
    assert ch.audit().balanced


# --- margin ---------------------------------------------------------------------------------


def test_opening_beyond_initial_margin_reverts_with_state_unchanged():
    ch = make_house()
    _maker_full_range(ch)
    ch.deposit("poor", 10 * USDC)
    digest = ch.state_digest()
    with pytest.raises(NotEnoughFreeCollateralByImRatio) as err:
        ch.open_position("poor", "ETH", False, True, 200 * E18)  # 20x on 10 USDC
    assert err.value.code == "CH_NEFCI"
    assert ch.state_digest() == digest
    ch.open_position("poor", "ETH", False, True, 50 * E18)  # 5x is fine


def test_adding_liquidity_beyond_initial_margin_reverts():
    ch = make_house()
    ch.deposit("poor", 10 * USDC)
    digest = ch.state_digest()
    with pytest.raises(NotEnoughFreeCollateralByImRatio):
        ch.add_liquidity("poor", "ETH", 0, 1_000 * E18, 49000, 50000)  # quote debt 1000 · 10 % > 10
    assert ch.state_digest() == digest


def test_reducing_an_underwater_position_needs_maintenance_margin():
    ch = make_house()
    _maker_full_range(ch)
    ch.deposit("lev", 150 * USDC)
    ch.open_position("lev", "ETH", False, True, 1_400 * E18)  # ~9.3x long
    ch.update_mark_price("ETH", 120 * E18)  # mark input far below entry: deeply underwater
    digest = ch.state_digest()
    with pytest.raises(NotEnoughFreeCollateralByMmRatio) as err:
        ch.open_position("lev", "ETH", True, True, E18)
    assert err.value.code == "CH_NEFCM"
    assert ch.state_digest() == digest
    # opening more (increasing) is checked by the initial margin instead
    with pytest.raises(NotEnoughFreeCollateralByImRatio):
        ch.open_position("lev", "ETH", False, True, E18)


def test_cancel_excess_orders_needs_insufficient_margin():
    ch = make_house()
    ch.deposit("m", 200 * USDC)
    ch.add_liquidity("m", "ETH", 0, 1_900 * E18, 49000, 50200)
    with pytest.raises(NotExcessOrders):
        ch.cancel_all_excess_orders("m", "ETH")
    _maker_full_range(ch)
    ch.open_position("taker", "ETH", True, True, 10 * E18)  # price falls: m buys base
    ch.update_mark_price("ETH", 50 * E18)
    ch.cancel_all_excess_orders("m", "ETH")
    assert not ch.accounts["m"].orders.get("ETH")
    assert ch.accounts["m"].markets["ETH"].taker_position_size > 0
    assert ch.audit().balanced


def test_close_without_position_and_withdraw_round_trip():
    ch = make_house()
    _maker_full_range(ch)
    with pytest.raises(PositionSizeIsZero):
        ch.close_position("taker", "ETH")
    ch.open_position("taker", "ETH", False, True, 100 * E18)
    ch.close_position("taker", "ETH")
    assert ch.get_taker_position_size("taker", "ETH") == 0
    free = ch.get_free_collateral("taker")
    ch.withdraw("taker", free)
    assert ch.accounts["taker"].owed_realized_pnl == 0
    assert ch.audit().balanced


def test_short_close_is_exact_output():
    ch = make_house()
    _maker_full_range(ch)
    ch.open_position("taker", "ETH", True, True, E18)
    ch.close_position("taker", "ETH")
    assert ch.get_taker_position_size("taker", "ETH") == 0
    assert ch.audit().balanced


# --- properties -----------------------------------------------------------------------------

TICKS = st.sampled_from([(48000, 50000), (49800, 50600), (50400, 52000), (0, 100000), (45000, 55000)])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TICKS, st.integers(0, 50 * E18), st.integers(0, 10_000 * E18))
def test_add_then_remove_with_no_trade_returns_the_amounts(ticks, base, quote):
    ch = make_house()
    lower, upper = ticks
    try:
        added_base, added_quote, _, liquidity = ch.add_liquidity("maker", "ETH", base, quote, lower, upper)
    except Exception as err:  # zero liquidity for these amounts
        assert getattr(err, "code", None) == "UB_ZL"
        return
    assert added_base <= base and added_quote <= quote
    removed_base, removed_quote, fee = ch.remove_liquidity("maker", "ETH", lower, upper, liquidity)
    # mint rounds up, burn rounds down: at most 1 wei short on each token
    assert 0 <= added_base - removed_base <= 1 and 0 <= added_quote - removed_quote <= 1
    assert fee == 0 and ch.accounts["maker"].owed_realized_pnl == 0
    assert ch.get_total_position_size("maker", "ETH") == 0
    assert ch.audit().balanced


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["add", "remove", "long", "short", "close", "collect", "wait", "withdraw"]),
        st.sampled_from(["maker", "alice", "bob"]),
        st.integers(1, 1000),
        TICKS,
    ),
    min_size=1,
    max_size=15,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS)
def test_audit_balances_after_random_sequences(actions):
    ch = make_house()
    _maker_full_range(ch)
    for kind, who, size, (lower, upper) in actions:
        digest = ch.state_digest()
        try:
            if kind == "add":
                ch.add_liquidity(who, "ETH", size * E18 // 100, size * E18, lower, upper)
            elif kind == "remove":
                order = ch.get_open_order(who, "ETH", lower, upper)
                if order is not None:
                    ch.remove_liquidity(who, "ETH", lower, upper, order.liquidity * size // 1000)
            elif kind == "long":
                ch.open_position(who, "ETH", False, size % 2 == 0, size * E18 // 10)
            elif kind == "short":
                ch.open_position(who, "ETH", True, size % 2 == 0, size * E18 // 1000)
            elif kind == "close":
                ch.close_position(who, "ETH")
            elif kind == "collect":
                ch.collect_pending_fee(who, "ETH")
            elif kind == "wait":
                ch.update_clock(ch.now + size)
            else:
                ch.withdraw(who, size * USDC)
        except Exception as err:
            assert hasattr(err, "code") or isinstance(err, ArithmeticError), err
            assert ch.state_digest() == digest
        report = ch.audit()
        assert report.balanced, report


@pytest.mark.parametrize("is_base_to_quote", [False, True])
def test_a_price_limit_beyond_the_extreme_ratio_is_refused_not_a_hang(is_base_to_quote):
    from ballast.curie.errors import SqrtPriceLimit
    from ballast.curie.univ3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO

    ch = make_house()  # no liquidity in the pool: the replay would walk to the extreme ratio forever
    digest = ch.state_digest()
    beyond = MIN_SQRT_RATIO - 1 if is_base_to_quote else MAX_SQRT_RATIO + 1
    with pytest.raises(SqrtPriceLimit):
        ch.open_position("taker", "ETH", is_base_to_quote, True, E18, sqrt_price_limit_x96=beyond)
    assert ch.state_digest() == digest
