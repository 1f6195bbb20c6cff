"""Pure Curie market math: tick bookkeeping, fees, funding, exchange scaling, pnl, valuation.

Expectations are derived by hand from the spec formulas (docs/spec perp_curie.md sections 2.2,
2.4, 2.6, 2.7) unless a Curie test file is cited.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from ballast.curie.math import account_balance as ab
from ballast.curie.math import exchange as ex
from ballast.curie.math import funding as fd
from ballast.curie.math import order_book as ob
from ballast.curie.math import vault
from ballast.curie.math.perp_math import (
    Q96,
    Q128,
    U256,
    format_settlement_token,
    mul_div,
)
from ballast.curie.state import (
    Account,
    AccountMarketInfo,
    FundingGrowth,
    MarketState,
    OpenOrder,
    TickInfo,
)

E18 = 10**18


def test_initial_tick_info_takes_globals_at_or_below_current_tick_only():
    growth = FundingGrowth(5, 7)
    assert ob.initial_tick_info(100, 100, 3, growth) == TickInfo(3, 5, 7)
    assert ob.initial_tick_info(101, 100, 3, growth) == TickInfo()


def test_cross_flips_outside_values_with_modular_fee():
    crossed = ob.crossed_tick_info(TickInfo(10, 4, -6), 3, FundingGrowth(9, 2))
    assert crossed == TickInfo((3 - 10) % U256, 5, 8)


def test_fee_growth_inside_in_range_below_and_above():
    ticks = {0: TickInfo(fee_x128=10), 100: TickInfo(fee_x128=30)}
    # in range: below = lo = 10, above = up = 30 -> 100 - 10 - 30
    assert ob.get_fee_growth_inside_x128(ticks, 0, 100, 50, 100) == 60
    # price below the range: below = G - lo, above = up -> G - (G - 10) - 30 = -20 mod 2^256
    assert ob.get_fee_growth_inside_x128(ticks, 0, 100, -5, 100) == (10 - 30) % U256
    # price above the range: below = lo, above = G - up -> 30 - 10
    assert ob.get_fee_growth_inside_x128(ticks, 0, 100, 100, 100) == 20


def test_pending_fee_wraps_and_floors():
    order = OpenOrder(lower_tick=0, upper_tick=100, liquidity=3, last_fee_growth_inside_x128=U256 - Q128)
    fee, inside = ob.get_pending_fee_and_fee_growth_inside_x128(order, {}, 50, Q128 + 1)
    assert inside == Q128 + 1
    # (Q128 + 1 - (2^256 - Q128)) mod 2^256 = 2·Q128 + 1 -> floor((2·Q128 + 1)·3 / Q128) = 6
    assert fee == 6


def test_all_funding_growth_splits_inside_and_below():
    ticks = {0: TickInfo(tw_premium_x96=4, tw_premium_div_by_sqrt_price_x96=1), 100: TickInfo()}
    info = ob.get_all_funding_growth(ticks, 0, 100, 50, 10, 3)
    assert (info.tw_premium_growth_below_x96, info.tw_premium_growth_inside_x96) == (4, 6)
    assert info.tw_premium_div_by_sqrt_price_growth_inside_x96 == 2
    below = ob.get_all_funding_growth(ticks, 0, 100, -1, 10, 3)
    assert (below.tw_premium_growth_below_x96, below.tw_premium_growth_inside_x96) == (6, 4 - 0)


def test_scaled_amounts_cancel_the_pool_fee():
    u, x = 10_000, 1_000
    # B2Q exact input: ceil(1e18·1e6/990000)
    assert ex.calc_scaled_amount_for_swaps(True, True, E18, x, u) == (1010101010101010102, 1010101010101010102)
    # B2Q exact output: ceil(1e18·1e6/999000), replay negated
    assert ex.calc_scaled_amount_for_swaps(True, False, E18, x, u) == (1001001001001001002, -1001001001001001002)
    # Q2B exact input: ceil(1e18·999000/990000), replay = amount
    assert ex.calc_scaled_amount_for_swaps(False, True, E18, x, u) == (1009090909090909091, E18)
    assert ex.calc_scaled_amount_for_swaps(False, False, E18, x, u) == (E18, -E18)


def test_exchanged_amounts():
    assert ex.get_exchanged_position_size_and_notional(True, True, 0, 100, 50, 0, 0, 10_000) == (-99, 50)
    # Q2B exact input fully filled: notional = -(amount - fee)
    assert ex.get_exchanged_position_size_and_notional(False, True, 1000, 7, 1010, 1010, 10, 10_000) == (7, -990)
    # partially filled: -floor(quote·0.99)
    assert ex.get_exchanged_position_size_and_notional(False, True, 1000, 7, 1001, 1010, 10, 10_000) == (7, -990)


def test_realized_pnl_reduce_and_reverse():
    assert ex.get_pnl_to_be_realized(2 * E18, -200 * E18, -E18, 110 * E18) == 10 * E18
    # reversal: 3x the position -> openNotional + quote/3
    assert ex.get_pnl_to_be_realized(E18, -100 * E18, -3 * E18, 330 * E18) == 10 * E18
    # signed division truncates toward zero
    assert ex.get_pnl_to_be_realized(3, -10, -1, 0) == -3
    assert ex.is_reducing_position(-5, False) and not ex.is_reducing_position(-5, True)
    assert not ex.is_reducing_position(0, True)


def test_delta_premium_is_capped_both_ways():
    assert fd.get_delta_tw_premium_x96(150, 100, 2, 100_000) == 20
    assert fd.get_delta_tw_premium_x96(50, 100, 2, 100_000) == -20
    assert fd.get_delta_tw_premium_x96(103, 100, 2, 100_000) == 6


def test_funding_growth_unchanged_at_first_settlement_and_same_timestamp():
    stored = FundingGrowth(1, 2)
    assert fd.calc_funding_growth_global(stored, 0, 50, Q96, E18, Q96, 100_000) is stored
    assert fd.calc_funding_growth_global(stored, 50, 50, Q96, E18, Q96, 100_000) is stored


def test_funding_growth_accumulates_premium_and_premium_over_sqrt_price():
    # market price 1 (S = Q96), index 0.95 -> premium 0.05·Q96 (floored), 10 s
    growth = fd.calc_funding_growth_global(FundingGrowth(), 10, 20, Q96, 95 * 10**16, 2 * Q96, 100_000)
    index_x96 = 95 * 10**16 * Q96 // E18
    delta = (Q96 - index_x96) * 10
    assert growth == FundingGrowth(delta, delta * Q96 // (2 * Q96))


def test_pending_funding_payment_truncates_toward_zero():
    # balance -1, Δ = Q96 -> balance part -1 -> -1 / 86400 = 0 (not -1)
    assert fd.calc_pending_funding_payment_with_liquidity_coefficient(-1, 0, FundingGrowth(Q96, 0), 0) == 0
    assert fd.calc_pending_funding_payment_with_liquidity_coefficient(-86_401, 0, FundingGrowth(Q96, 0), 0) == -1


def test_index_twap_is_time_weighted():
    history = [(0, 100), (10, 200)]
    assert fd.get_index_twap(history, 20, 0) == 200
    assert fd.get_index_twap(history, 20, 20) == 150
    assert fd.get_index_twap(history, 20, 15) == (100 * 5 + 200 * 10) // 15


def _index_twap_by_definition(history, now, interval):
    """The TWAP straight from its definition: the price in force at every second of the window
    (the first record also before itself), summed and floored."""
    in_force = [record for record in history if record[0] <= now] or history[:1]
    if interval <= 0:
        return in_force[-1][1]

    def price_at(t):
        earlier = [price for ts, price in in_force if ts <= t]
        return earlier[-1] if earlier else in_force[0][1]

    return sum(price_at(t) for t in range(now - interval, now)) // interval


@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(1, 10**20)), min_size=1, max_size=8),
    st.integers(0, 80),
    st.integers(0, 70),
)
def test_index_twap_matches_its_definition(records, now, interval):
    history = sorted(records, key=lambda record: record[0])  # time order, ties kept in order
    assert fd.get_index_twap(history, now, interval) == _index_twap_by_definition(
        history, now, interval
    )


def test_format_settlement_token_floors():
    assert format_settlement_token(-1) == -1
    assert format_settlement_token(10**12 - 1) == 0
    assert mul_div(-7, 1, 2) == -3


def _taker_market(size: int, notional: int) -> tuple[Account, dict[str, MarketState]]:
    account = Account(trader="t", balance=100 * 10**6)
    account.markets["ETH"] = AccountMarketInfo(taker_position_size=size, taker_open_notional=notional)
    return account, {"ETH": MarketState(base_token="ETH")}


def test_free_collateral_uses_the_conservative_min_and_debt():
    account, markets = _taker_market(E18, -100 * E18)
    growths, marks = {"ETH": FundingGrowth()}, {"ETH": 90 * E18}
    # account value 100 + (90 - 100) = 90; collateral 100; debt |-100| · 10 % = 10 -> 80 USDC
    assert vault.get_free_collateral_by_ratio_6(account, markets, growths, marks, 100_000) == 80 * 10**6
    assert vault.get_margin_requirement_for_liquidation(account, markets, marks, 62_500) == 5_625 * 10**15
    assert not vault.is_liquidatable(account, markets, growths, marks, 62_500)


def test_liquidatable_below_maintenance_margin():
    account, markets = _taker_market(10 * E18, -1000 * E18)
    growths = {"ETH": FundingGrowth()}
    # at 96: value 100 - 40 = 60 >= 960·6.25 % = 60 -> not liquidatable; at 95.9: 59 < 59.9375
    assert not vault.is_liquidatable(account, markets, growths, {"ETH": 96 * E18}, 62_500)
    assert vault.is_liquidatable(account, markets, growths, {"ETH": 959 * 10**17}, 62_500)
    assert vault.get_account_value_6(account, markets, growths, {"ETH": 959 * 10**17}) == 59 * 10**6


def test_position_size_dust_rule():
    account, markets = _taker_market(9, 0)
    assert ab.get_taker_position_size(account, "ETH") == 0
    assert ab.get_total_position_size(account, markets["ETH"]) == 0
    account.markets["ETH"].taker_position_size = -10
    assert ab.get_total_position_size(account, markets["ETH"]) == -10


def test_total_debt_value_counts_negative_base_and_net_negative_quote():
    account, markets = _taker_market(-2 * E18, 300 * E18)
    # base -2 at 100 -> -200; quote +300 is not debt
    assert ab.get_total_debt_value(account, markets, {"ETH": 100 * E18}) == 200 * E18


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 400), min_size=1, max_size=12), st.lists(st.integers(0, 4000), min_size=1, max_size=5))
def test_market_twaps_in_one_observe_equal_each_twap_alone(waits, intervals):
    from ballast.curie.clearing_house import ClearingHouse
    from ballast.curie.math.funding import get_sqrt_market_twap_x96, get_sqrt_market_twaps_x96
    from ballast.curie.univ3 import tick_math

    ch = ClearingHouse()
    ch.update_clock(1_000_000)
    ch.add_pool("ETH", tick_math.get_sqrt_ratio_at_tick(46000), 3000)
    ch.deposit("maker", 10**12)
    ch.deposit("taker", 10**12)
    ch.add_liquidity("maker", "ETH", 10**21, 10**23, 42000, 50040)
    for i, wait in enumerate(waits):
        ch.update_clock(ch.now + wait)
        ch.open_position("taker", "ETH", i % 2 == 0, True, 10**18 * (1 + wait % 7))
    pool = ch.markets["ETH"].pool
    assert get_sqrt_market_twaps_x96(pool, ch.now, intervals) == [
        get_sqrt_market_twap_x96(pool, ch.now, interval) for interval in intervals
    ]
