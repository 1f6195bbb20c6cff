"""Curie liquidation: liquidatable size, penalty split, two-stage maker liquidation, bad debt.

Vectors: perp-curie-contract test/clearingHouse/ClearingHouse.liquidate.maker.ts ("force fail,
maker still has liquidity", "bob long, maker (alice) should be liquidated"); the rest are
hand-derived from spec perp_curie.md 2.8-2.9.
"""

import pytest

from ballast.curie.clearing_house import INSURANCE_FUND, ClearingHouse
from ballast.curie.errors import SafeCastOverflow
from ballast.curie.events import BadDebtSettled, LiquidityChanged, PositionLiquidated
from ballast.curie.market_errors import (
    CannotLiquidateWhenThereIsStillOrder,
    EnoughAccountValue,
    InsufficientInsuranceFundCapacity,
    WrongLiquidationDirection,
)
from ballast.curie.math.liquidation import (
    calc_liquidatable_position_size,
    calc_liquidation_penalty,
    split_liquidation_penalty,
)
from tests.curie.test_clearing_house import encode_price_sqrt

E18 = 10**18
USDC = 10**6
T0 = 1_000_000
MIN_TICK, MAX_TICK = -887200, 887200


# --- pure math -----------------------------------------------------------------------------


def test_penalty_is_floored_and_split_half_to_the_insurance_fund():
    penalty = calc_liquidation_penalty(-572110552763819095660, 25_000)
    assert penalty == 14302763819095477391
    assert split_liquidation_penalty(15, 0) == (7, 8)


def test_negative_account_value_gives_the_whole_penalty_to_the_liquidator():
    assert split_liquidation_penalty(15, -1) == (15, 0)


def test_position_worth_at_most_100_usd_is_liquidated_whole():
    # even with margin ratio above half maintenance, a <= 100 USD position goes whole
    assert (
        calc_liquidatable_position_size(60 * E18, 62 * E18, 3 * E18, 100 * E18, 1_000 * E18)
        == 3 * E18
    )


def test_margin_ratio_above_half_maintenance_allows_half_of_a_single_market():
    # total 1000, requirement 62.5, av 40 >= 31.25 -> ratio min(1, 1000/(2*1000)) = 0.5
    assert (
        calc_liquidatable_position_size(
            40 * E18, 62_500 * 10**15, -10 * E18, -1_000 * E18, 1_000 * E18
        )
        == -5 * E18
    )


def test_margin_ratio_below_half_maintenance_allows_the_whole_position():
    assert (
        calc_liquidatable_position_size(
            31 * E18, 62_500 * 10**15, 10 * E18, 1_000 * E18, 1_000 * E18
        )
        == 10 * E18
    )


def test_partial_ratio_uses_the_total_value_over_twice_the_market_value():
    # two markets, 1000 + 500: ratio = 1500/(2*1000) = 0.75
    size = calc_liquidatable_position_size(
        80 * E18, 93_750 * 10**15, 7 * E18, 1_000 * E18, 1_500 * E18
    )
    assert size == 7 * E18 * 750_000 // 1_000_000


def test_half_threshold_uses_truncated_signed_division():
    # requirement 201 wei -> threshold 100 (not 100.5): av 100 takes the partial branch
    assert calc_liquidatable_position_size(100, 201, 10**21, 400 * E18, 1_600 * E18) == 10**21
    assert calc_liquidatable_position_size(99, 201, 10**21, 400 * E18, 400 * E18) == 10**21
    assert calc_liquidatable_position_size(100, 201, 10**21, 400 * E18, 400 * E18) == 5 * 10**20


def test_uint24_cast_quirk_reverts_for_a_small_market_among_large_ones():
    # quotient 10000e18*1e6/(2*200e18) = 25e6 > 2^24 - 1: SafeCast reverts before the min
    with pytest.raises(SafeCastOverflow):
        calc_liquidatable_position_size(500 * E18, 625 * E18, E18, 200 * E18, 10_000 * E18)


def test_healthy_account_has_nothing_liquidatable():
    assert calc_liquidatable_position_size(63 * E18, 62 * E18, E18, 1_000 * E18, 1_000 * E18) == 0


# --- reference vector: maker liquidated in two stages -------------------------------------


def _maker_house() -> ClearingHouse:
    ch = ClearingHouse()
    ch.update_clock(T0)
    ch.add_pool("ETH", encode_price_sqrt("10"), 10000, 10000, 0)
    ch.deposit("alice", 200 * USDC)
    ch.add_liquidity("alice", "ETH", 10 * E18, 100 * E18, MIN_TICK, MAX_TICK)
    ch.deposit("carol", 1_000 * USDC)
    ch.add_liquidity("carol", "ETH", 90 * E18, 900 * E18, MIN_TICK, MAX_TICK)
    ch.deposit("davis", 100_000 * USDC)
    ch.fund_insurance_fund_wallet(1_000_000 * USDC)
    ch.deposit("bob", 10_000_000 * USDC)
    ch.update_index_price("ETH", 40 * E18)
    ch.open_position("bob", "ETH", False, True, 1_000 * E18)
    ch.update_mark_price("ETH", 115 * E18)
    return ch


def test_maker_with_orders_cannot_be_liquidated():
    ch = _maker_house()
    digest = ch.state_digest()
    with pytest.raises(CannotLiquidateWhenThereIsStillOrder):
        ch.liquidate("davis", "alice", "ETH")
    assert ch.state_digest() == digest


def test_maker_two_stage_vector():
    ch = _maker_house()
    liquidity = ch.get_open_order("alice", "ETH", MIN_TICK, MAX_TICK).liquidity
    ch.cancel_all_excess_orders("alice", "ETH")
    changed = [e for e in ch.events if isinstance(e, LiquidityChanged)][-1]
    assert (changed.base, changed.quote, changed.liquidity, changed.quote_fee) == (
        -5025125628140703515,
        -198999999999999999997,
        -liquidity,
        999999999999999999,
    )
    assert ch.get_account_value("alice") == -272110553 * 10**12
    davis_owed_before = ch.accounts["davis"].owed_realized_pnl
    result = ch.liquidate("davis", "alice", "ETH", 0)
    event = [e for e in ch.events if isinstance(e, PositionLiquidated)][-1]
    assert (
        event.position_notional,
        event.position_size,
        event.liquidation_fee,
        event.liquidator,
    ) == (
        572110552763819095660,
        4974874371859296484,
        14302763819095477391,
        "davis",
    )
    # account value < 0: the whole penalty to the liquidator, nothing to the insurance fund
    assert (result.to_liquidator, result.to_insurance_fund) == (14302763819095477391, 0)
    assert ch.accounts[INSURANCE_FUND].owed_realized_pnl == 0
    assert ch.get_taker_position_size("davis", "ETH") == -4974874371859296484
    assert ch.accounts["davis"].owed_realized_pnl == davis_owed_before
    assert ch.audit().balanced


def test_bad_debt_left_by_the_maker_is_settled_onto_the_insurance_fund():
    ch = _maker_house()
    ch.cancel_all_excess_orders("alice", "ETH")
    result = ch.liquidate("davis", "alice", "ETH")
    alice = ch.accounts["alice"]
    assert alice.markets == {}
    bad_debt = [e for e in ch.events if isinstance(e, BadDebtSettled)][-1]
    assert bad_debt.trader == "alice" and bad_debt.amount == result.bad_debt > 0
    assert ch.accounts[INSURANCE_FUND].balance == -result.bad_debt
    # alice is brought to zero (up to the sub-micro-USDC remainder of her owed pnl)
    assert 0 <= alice.balance * 10**12 + alice.owed_realized_pnl < 10**12
    assert ch.get_insurance_fund_capacity() == 1_000_000 * USDC - result.bad_debt
    assert ch.repay_insurance_fund() == result.bad_debt
    assert ch.accounts[INSURANCE_FUND].balance == 0
    report = ch.audit()
    assert report.balanced, report
    assert report.insurance_fund["bad_debt_settled_6"] == result.bad_debt


def test_liquidation_beyond_insurance_fund_capacity_reverts():
    ch = _maker_house()
    ch.insurance_fund_state.wallet = 0
    ch.cancel_all_excess_orders("alice", "ETH")
    digest = ch.state_digest()
    with pytest.raises(InsufficientInsuranceFundCapacity):
        ch.liquidate("davis", "alice", "ETH")
    assert ch.state_digest() == digest


def test_liquidation_beyond_capacity_after_settling_funding_reverts_the_market_too():
    ch = _maker_house()
    ch.insurance_fund_state.wallet = 0
    ch.cancel_all_excess_orders("alice", "ETH")
    ch.update_clock(ch.now + 600)  # the liquidation settles funding (market fields) before it fails
    market = ch.markets["ETH"]
    last_settled = market.last_settled_timestamp
    digest = ch.state_digest()
    with pytest.raises(InsufficientInsuranceFundCapacity):
        ch.liquidate("davis", "alice", "ETH")
    assert ch.state_digest() == digest
    assert market.last_settled_timestamp == last_settled < ch.now


# --- taker liquidation, hand-derived --------------------------------------------------------


def _taker_house() -> ClearingHouse:
    ch = ClearingHouse()
    ch.update_clock(T0)
    ch.add_pool("ETH", encode_price_sqrt("100"), 10000, 1000, 0)
    ch.deposit("maker", 10_000_000 * USDC)
    ch.add_liquidity("maker", "ETH", 10_000 * E18, 1_000_000 * E18, MIN_TICK, MAX_TICK)
    ch.deposit("taker", 1_000 * USDC)
    ch.deposit("keeper", 100_000 * USDC)
    ch.open_position("taker", "ETH", True, True, 50 * E18)  # short 50 ETH, ~5000 notional
    return ch


def test_healthy_trader_cannot_be_liquidated():
    ch = _taker_house()
    with pytest.raises(EnoughAccountValue):
        ch.liquidate("keeper", "taker", "ETH")


def test_wrong_direction_is_rejected():
    ch = _taker_house()
    ch.update_mark_price("ETH", 116 * E18)
    with pytest.raises(WrongLiquidationDirection):
        ch.liquidate("keeper", "taker", "ETH", E18)


def test_partial_liquidation_above_half_maintenance_splits_the_penalty():
    ch = _taker_house()
    size = ch.get_taker_position_size("taker", "ETH")
    open_notional = ch.get_total_open_notional("taker", "ETH")
    # pick the mark where margin ratio is ~5 %: between 3.125 % and 6.25 %
    mark = (1_000 * E18 + open_notional) * E18 // (-size * 105 // 100)
    ch.update_mark_price("ETH", mark)
    assert ch.is_liquidatable("taker")
    value = ch.get_account_value("taker")
    requirement = ch.get_margin_requirement_for_liquidation("taker")
    assert requirement // 2 <= value < requirement
    result = ch.liquidate("keeper", "taker", "ETH")
    assert result.position_size == size // 2 if size % 2 == 0 else -(-size // 2)
    notional = result.position_notional
    assert notional == size // 2 * mark // E18 or abs(notional - size * mark // (2 * E18)) <= 1
    penalty = abs(notional) * 25_000 // 10**6
    assert result.penalty == penalty
    assert (result.to_liquidator, result.to_insurance_fund) == (
        penalty // 2,
        penalty - penalty // 2,
    )
    assert ch.accounts[INSURANCE_FUND].owed_realized_pnl == penalty - penalty // 2
    assert ch.get_taker_position_size("keeper", "ETH") == result.position_size
    assert ch.get_taker_position_size("taker", "ETH") == size - result.position_size
    assert ch.audit().balanced


def test_requested_size_caps_the_liquidation():
    ch = _taker_house()
    ch.update_mark_price("ETH", 117 * E18)
    assert ch.get_account_value("taker") > 0
    result = ch.liquidate("keeper", "taker", "ETH", -E18)
    assert result.position_size == -E18
    assert result.position_notional == -117 * E18
    assert result.penalty == 117 * E18 * 25_000 // 10**6


# --- two-stage keeper flow across two markets -----------------------------------------------


def test_maker_in_two_markets_is_cancelled_then_liquidated_largest_first():
    ch = ClearingHouse()
    ch.update_clock(T0)
    ch.fund_insurance_fund_wallet(1_000_000 * USDC)
    for market, size in (("ETH", 10), ("BTC", 3)):
        ch.add_pool(market, encode_price_sqrt("10"), 10000, 10000, 0)
        ch.deposit("carol", 10_000 * USDC)
        ch.add_liquidity("carol", market, 90 * E18, 900 * E18, MIN_TICK, MAX_TICK)
        ch.deposit("alice", 150 * USDC)
        ch.add_liquidity("alice", market, size * E18, size * 10 * E18, MIN_TICK, MAX_TICK)
    ch.deposit("bob", 10_000_000 * USDC)
    ch.deposit("davis", 1_000_000 * USDC)
    ch.open_position("bob", "ETH", False, True, 1_000 * E18)
    ch.open_position("bob", "BTC", False, True, 1_000 * E18)
    ch.update_mark_price("ETH", 115 * E18)
    ch.update_mark_price("BTC", 115 * E18)
    assert ch.is_liquidatable("alice")
    with pytest.raises(CannotLiquidateWhenThereIsStillOrder):
        ch.liquidate("davis", "alice", "ETH")
    eth_value = abs(ch.get_total_position_size("alice", "ETH")) * 60
    btc_value = abs(ch.get_total_position_size("alice", "BTC")) * 60
    assert eth_value > btc_value

    results = ch.liquidate_maker("davis", "alice")

    alice = ch.accounts["alice"]
    assert not any(alice.orders.values())
    liquidated = [e.base_token for e in ch.events if isinstance(e, PositionLiquidated)]
    assert liquidated == ["ETH", "BTC"]
    assert len(results) == 2 and abs(results[0].position_notional) > abs(
        results[1].position_notional
    )
    assert alice.markets == {}
    assert results[-1].bad_debt > 0 and results[0].bad_debt == 0
    assert ch.accounts[INSURANCE_FUND].balance == -results[-1].bad_debt
    assert ch.audit().balanced
