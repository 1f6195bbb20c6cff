"""What BAL providers see (ballast.drift.bal): the position with its LP settled, the Add dialog's
conversions, and the per-share performance index.

Expected numbers are derived by hand from the spec (/work/shared/spec/drift_bal.md sections 5.3,
6, 7.3, 10 and 11) with the arithmetic written next to them; the fill's base, quote and fee are
read from its OrderActionRecord.
"""

from __future__ import annotations

import pytest

from ballast.drift.bal import (
    SEVEN_DAYS,
    THIRTY_DAYS,
    BalPerformance,
    get_perp_position_with_lp_settle,
    lp_margin_for_shares,
    lp_shares_for_leverage,
    lp_shares_for_margin,
)
from ballast.drift.errors import InsufficientCollateral, InvalidAmount
from ballast.drift.events import OrderActionRecord
from ballast.drift.exchange import Exchange
from ballast.drift.math.lp import simulate_settled_lp_position
from ballast.drift.presets import add_perp_market, fund_user, new_exchange
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.perp_market import MarketStatus
from ballast.drift.state.user import OrderType, PositionDirection

BASE = 10**9  # BASE_PRECISION = AMM_RESERVE_PRECISION = one share
USDC = 10**6  # QUOTE_PRECISION
PRICE = 10**6  # PRICE_PRECISION
LONG = PositionDirection.Long
SHORT = PositionDirection.Short

# The preset market (add_perp_market(ex, 100)): sqrt_k = reserves = 100_000 base at peg $100,
# step 0.01 base, concentration_coef = 1e6 + (1_414_200 - 1e6) / 1 = 1_414_200, initial margin
# ratio 1000 (10%), imf_factor 0.
SQRT_K = 100_000 * BASE
STEP = BASE // 100
COEF = 1_414_200
LP_SHARES = 1_000 * BASE  # the provider's shares in the scenarios: sqrt_k becomes 101_000 base


# --- helpers ---------------------------------------------------------------------------


def _exchange(*funded: tuple[str, int]) -> Exchange:
    ex = new_exchange()
    add_perp_market(ex, 100)
    for name, dollars in funded:
        fund_user(ex, name, dollars)
    return ex


def _tick(ex: Exchange, seconds: int = 1, price: int = 100 * PRICE) -> None:
    ex.update_clock(ex.now + seconds)
    ex.update_oracle_price(0, price)


def _take(ex: Exchange, name: str, direction: PositionDirection, base: int) -> OrderActionRecord:
    """A market order against the AMM; returns its fill record."""
    params = OrderParams(order_type=OrderType.Market, direction=direction, base_asset_amount=base)
    ex.place_and_take_perp_order(name, 0, params)
    fills = [
        e for e in ex.events if isinstance(e, OrderActionRecord) and e.base_asset_amount_filled
    ]
    return fills[-1]


def _lp_market() -> Exchange:
    """lp ($100,000) holds LP_SHARES; alice ($100,000) trades."""
    ex = _exchange(("lp", 100_000), ("alice", 100_000))
    ex.add_perp_lp_shares("lp", 0, 0, LP_SHARES)
    return ex


def _per_lp_after_long(fill: OrderActionRecord, sqrt_k: int) -> tuple[int, int]:
    """Spec 5.3 for a taker buying b base for q quote (delta b, -q), fee_to_market_for_lp = the
    taker fee (no filler, no referrer), unit 1e9, N = sqrt_k:
    pb = floor(b * 1e9 / N); pq = -floor(q * 1e9 / N) (pb > 0: no +1);
    pfee = floor(floor(fee * 8 / 10) * 1e9 / N); base_per_lp = -pb; quote_per_lp = -pq + pfee."""
    b, q, fee = fill.base_asset_amount_filled, fill.quote_asset_amount_filled, fill.taker_fee
    pb = b * BASE // sqrt_k
    pq = -(q * BASE // sqrt_k)
    pfee = (fee * 8 // 10) * BASE // sqrt_k
    return -pb, -pq + pfee


# --- the performance index ---------------------------------------------------------------


def test_market_without_trades_has_index_zero_and_return_zero():
    ex = _lp_market()
    perf = BalPerformance()
    perf.record(ex, 0)
    _tick(ex, 3600)
    sample = perf.record(ex, 0)
    assert (sample.fees_and_inventory_quote, sample.funding_quote, sample.index_quote) == (0, 0, 0)
    result = perf.lp_performance_7d(0)
    assert result["return_pct"] == 0.0
    assert result["apr_pct"] == 0.0
    assert result["index_change_quote"] == 0


def test_share_value_is_one_share_of_both_reserves_at_the_oracle():
    # After the mint the balanced curve holds bar = qar = sqrt_k = 101_000 base at peg $100:
    # (bar * 100e6 + qar * 100e6) / sqrt_k = 200e6, i.e. $200 per share (1 base + $100).
    ex = _lp_market()
    assert BalPerformance().record(ex, 0).share_value_quote == 200 * USDC


def test_taker_buy_moves_one_shares_index_by_the_per_lp_accumulators():
    ex = _lp_market()
    perf = BalPerformance()
    perf.record(ex, 0)
    _tick(ex)
    fill = _take(ex, "alice", LONG, 10 * BASE)
    base_per_lp, quote_per_lp = _per_lp_after_long(fill, SQRT_K + LP_SHARES)
    # b = 10 base over N = 101_000 base: pb = floor(1e19 / 1.01e14) = 99_009
    assert base_per_lp == -99_009

    sample = perf.record(ex, 0)

    assert sample.base_asset_amount_per_share == base_per_lp
    assert sample.quote_asset_amount_per_share == quote_per_lp
    # per_lp_base 0: unit = 1e9 = one share;
    # value = quote + sign(base) * floor(|base| * oracle / 1e9) = quote - 9_900
    expected = quote_per_lp + -((-base_per_lp) * 100 * PRICE // BASE)
    assert sample.fees_and_inventory_quote == expected
    assert sample.index_quote == expected
    result = perf.lp_performance_7d(0)
    assert result["index_change_quote"] == expected
    assert result["return_pct"] == pytest.approx(100 * expected / (200 * USDC))
    assert result["covered_seconds"] == 1
    assert result["apr_pct"] == pytest.approx(result["return_pct"] * 365 * 86_400)


def test_index_rescales_the_accumulators_from_the_per_lp_unit():
    ex = _lp_market()
    _tick(ex)
    _take(ex, "alice", LONG, 10 * BASE)
    before = BalPerformance().record(ex, 0)
    ex.update_perp_market_per_lp_base(0, 1)  # accumulators x 10, unit 1e10 shares
    after = BalPerformance().record(ex, 0)
    assert ex.perp_market(0).amm.base_asset_amount_per_lp == 10 * before.base_asset_amount_per_share
    assert after.base_asset_amount_per_share == before.base_asset_amount_per_share
    assert after.quote_asset_amount_per_share == before.quote_asset_amount_per_share
    assert after.fees_and_inventory_quote == before.fees_and_inventory_quote


def test_funding_accrues_on_the_previous_samples_inventory_at_the_side_rate():
    ex = _lp_market()
    _tick(ex)
    _take(ex, "alice", LONG, 10 * BASE)  # one share is short 99_009 (1e9)
    perf = BalPerformance()
    first = perf.record(ex, 0)
    amm = ex.perp_market(0).amm
    # The short side's index rises by 1e12 (1e9 precision: $1,000 per base); the long index
    # moves too but a short inventory reads the short rate.
    amm.cumulative_funding_rate_short += 10**12
    amm.cumulative_funding_rate_long += 3 * 10**12
    _tick(ex)

    second = perf.record(ex, 0)

    # Spec 10: a short receives when the rate rises: floor(1e12 * 99_009 / 1e9) = 99_009_000
    # (1e9 quote), truncated by 1e3 -> +99_009.
    assert second.funding_quote == first.funding_quote + 99_009
    assert second.index_quote == second.fees_and_inventory_quote + second.funding_quote
    result = perf.lp_performance(0, 1)
    assert result["funding_change_quote"] == 99_009
    assert result["fees_and_inventory_pct"] + result["funding_pct"] == pytest.approx(
        result["return_pct"]
    )


def test_funding_follows_the_markets_funding_updates():
    ex = _lp_market()
    _tick(ex)
    _take(ex, "alice", LONG, 1_000 * BASE)
    perf = BalPerformance()
    first = perf.record(ex, 0)
    _tick(ex, 3600, price=99 * PRICE)  # mark above oracle: longs pay shorts
    assert ex.update_funding_rate(0)

    second = perf.record(ex, 0)

    amm = ex.perp_market(0).amm
    held = first.base_asset_amount_per_share
    assert held < 0
    delta = amm.cumulative_funding_rate_short - first.cumulative_funding_rate_short
    assert delta > 0
    assert second.funding_quote == (delta * -held // 10**9) // 1_000 > 0


def test_recording_twice_at_one_timestamp_replaces_the_sample():
    ex = _lp_market()
    perf = BalPerformance()
    perf.record(ex, 0)
    _tick(ex)
    perf.record(ex, 0)
    _take(ex, "alice", LONG, 10 * BASE)
    last = perf.record(ex, 0)
    assert [s.ts for s in perf.samples(0)] == [ex.now - 1, ex.now]
    assert perf.samples(0)[-1] == last
    assert last.index_quote != 0


def test_window_starts_at_the_last_sample_before_it():
    ex = _lp_market()
    perf = BalPerformance()
    start_ts = ex.now
    for day in range(40):
        if day:
            _tick(ex, 86_400)
        perf.record(ex, 0)
    week, month = perf.lp_performance_7d(0), perf.lp_performance_30d(0)
    assert (week["start_ts"], week["window_seconds"]) == (start_ts + 32 * 86_400, SEVEN_DAYS)
    assert (month["start_ts"], month["window_seconds"]) == (start_ts + 9 * 86_400, THIRTY_DAYS)
    assert week["covered_seconds"] == SEVEN_DAYS
    short = BalPerformance()
    short.record(ex, 0)
    assert short.lp_performance_30d(0)["covered_seconds"] == 0


def test_performance_errors_name_the_problem():
    ex = _lp_market()
    perf = BalPerformance()
    with pytest.raises(InvalidAmount, match="market 0"):
        perf.lp_performance_7d(0)
    perf.record(ex, 0)
    ex.now -= 1  # a clock that went backwards (the exchange itself refuses this)
    with pytest.raises(InvalidAmount, match="precedes"):
        perf.record(ex, 0)


# --- the position with its LP settled ----------------------------------------------------


def test_position_with_lp_settle_matches_settle_lp_less_the_dust_fee():
    ex = _lp_market()
    _tick(ex)
    _take(ex, "alice", LONG, 10 * BASE)
    digest = ex.state_digest()

    view = get_perp_position_with_lp_settle(ex, "lp", 0, 0)

    assert ex.state_digest() == digest  # read-only
    # LP accrued trunc(-99_009 * 1000e9 / 1e9) = -99_009_000 base: stepped to -90_000_000,
    # remainder -9_009_000; dust fee floor(9_009_000 * 100e6 / 1e9) + 1 = 900_901.
    assert view.base_asset_amount == -90_000_000
    assert view.remainder_base_asset_amount == -9_009_000
    ex.settle_lp("lp", 0, 0)
    settled = ex.user("lp", 0).get_perp_position(0)
    assert view.base_asset_amount == settled.base_asset_amount
    assert view.remainder_base_asset_amount == settled.remainder_base_asset_amount
    assert view.quote_asset_amount == settled.quote_asset_amount - 900_901
    assert view.quote_entry_amount == settled.quote_entry_amount
    assert view.quote_break_even_amount == settled.quote_break_even_amount


def test_position_with_lp_settle_shows_the_shares_as_open_bids_and_asks():
    ex = _lp_market()
    amm = ex.perp_market(0).amm
    view = get_perp_position_with_lp_settle(ex, "lp", 0, 0)
    # Spec 11: (bar - min_bar) and (max_bar - bar) times lp_shares / sqrt_k, toward zero.
    bar, k = amm.base_asset_reserve, amm.sqrt_k
    assert view.open_bids == (bar - amm.min_base_asset_reserve) * LP_SHARES // k
    assert view.open_asks == -((amm.max_base_asset_reserve - bar) * LP_SHARES // k)
    assert view.open_bids > 0 > view.open_asks
    assert (view.base_asset_amount, view.quote_asset_amount) == (0, 0)


def test_position_with_lp_settle_folds_a_remainder_that_reaches_a_step():
    ex = _lp_market()
    _tick(ex)
    _take(ex, "alice", LONG, 10 * BASE)
    ex.settle_lp("lp", 0, 0)  # remainder -9_009_000 kept
    _tick(ex)
    _take(ex, "alice", LONG, 10 * BASE)  # another -99_009_000: -90_000_000 + -9_009_000
    position = ex.user("lp", 0).get_perp_position(0)

    view = get_perp_position_with_lp_settle(ex, "lp", 0, 0)
    margin_view = simulate_settled_lp_position(position, ex.perp_market(0), 100 * PRICE)

    # combined remainder -18_018_000 >= one step: -10_000_000 folds into base, -8_018_000 stays
    assert view.base_asset_amount == -90_000_000 - 90_000_000 - 10_000_000
    assert view.remainder_base_asset_amount == -8_018_000
    assert margin_view.base_asset_amount == -180_000_000  # the margin simulation drops the fold
    ex.settle_lp("lp", 0, 0)
    settled = ex.user("lp", 0).get_perp_position(0)
    assert view.base_asset_amount == settled.base_asset_amount
    # dust fee floor(8_018_000 * 100e6 / 1e9) + 1 = 801_801
    assert view.quote_asset_amount == settled.quote_asset_amount - 801_801


def test_position_with_lp_settle_without_shares_or_position():
    ex = _exchange(("alice", 10_000))
    assert get_perp_position_with_lp_settle(ex, "alice", 0, 0).base_asset_amount == 0
    _tick(ex)
    _take(ex, "alice", LONG, BASE)
    stored = ex.user("alice", 0).get_perp_position(0)
    view = get_perp_position_with_lp_settle(ex, "alice", 0, 0)
    assert view == stored and view is not stored


# --- the Add dialog ----------------------------------------------------------------------


def test_lp_margin_for_shares_by_hand():
    ex = _exchange()
    n = 100 * BASE
    # Spec 7.3: K1 = 100_100 base, ratio = floor(K1 * 1e9 / K0) = 1_001_000_000,
    # bar' = floor(1e14 * ratio / 1e9) = K1; with_amm = 0 so the terminal base is bar'.
    k1 = SQRT_K + n
    bar = SQRT_K * (k1 * BASE // SQRT_K) // BASE
    min_bar, max_bar = bar * 10**6 // COEF, bar * COEF // 10**6
    # Spec 11: the LP's slice of both sides; the asks side is the larger liability.
    lp_bids = (bar - min_bar) * n // k1
    lp_asks = (max_bar - bar) * n // k1
    assert lp_asks > lp_bids
    liability = lp_asks * 100 * PRICE // BASE
    buffer = max(USDC, STEP * 100 * PRICE // BASE)  # max($1, $1) = $1
    assert lp_margin_for_shares(ex, 0, n) == liability * 1000 // 10_000 + buffer
    assert lp_margin_for_shares(ex, 0, n + STEP - 1) == lp_margin_for_shares(ex, 0, n)
    assert lp_margin_for_shares(ex, 0, STEP - 1) == 0


@pytest.mark.parametrize("imf_factor", [0, 50_000])
@pytest.mark.parametrize("dollars", [2, 1_000, 250_000])
def test_shares_for_margin_are_accepted_and_one_step_more_is_refused(imf_factor, dollars):
    ex = _exchange(("lp", dollars))
    ex.perp_market(0).imf_factor = imf_factor
    collateral = dollars * USDC

    n = lp_shares_for_margin(ex, 0, collateral)

    assert n > 0 and n % STEP == 0
    assert lp_margin_for_shares(ex, 0, n) <= collateral < lp_margin_for_shares(ex, 0, n + STEP)
    digest = ex.state_digest()
    with pytest.raises(InsufficientCollateral):
        ex.add_perp_lp_shares("lp", 0, 0, n + STEP)
    assert ex.state_digest() == digest
    assert ex.add_perp_lp_shares("lp", 0, 0, n) == n


def test_imf_premium_lowers_the_shares_a_collateral_supports():
    ex = _exchange()
    plain = lp_shares_for_margin(ex, 0, 250_000 * USDC)
    ex.perp_market(0).imf_factor = 50_000
    assert lp_shares_for_margin(ex, 0, 250_000 * USDC) < plain


def test_shares_for_margin_is_zero_below_one_step_or_when_the_market_takes_no_lp():
    ex = _exchange()
    # one step (0.01 share) needs the $1 LP buffer plus a few cents of margin
    assert lp_shares_for_margin(ex, 0, USDC) == 0
    assert lp_shares_for_margin(ex, 0, 0) == 0
    ex.perp_market(0).status = MarketStatus.ReduceOnly
    assert lp_shares_for_margin(ex, 0, 10_000 * USDC) == 0
    with pytest.raises(InvalidAmount, match="collateral"):
        lp_shares_for_margin(ex, 0, -1)


def test_leverage_100_is_all_free_collateral_and_50_is_half():
    ex = _exchange(("lp", 1_000))
    assert lp_shares_for_leverage(ex, "lp", 0, 0, 100) == lp_shares_for_margin(ex, 0, 1_000 * USDC)
    assert lp_shares_for_leverage(ex, "lp", 0, 0, 50) == lp_shares_for_margin(ex, 0, 500 * USDC)
    assert lp_shares_for_leverage(ex, "lp", 0, 0, 0) == 0


def test_leverage_100_with_an_open_position_is_the_most_add_accepts():
    ex = _exchange(("lp", 5_000))
    _tick(ex)
    _take(ex, "lp", SHORT, 20 * BASE)
    ex.add_perp_lp_shares("lp", 0, 0, 10 * BASE)

    n = lp_shares_for_leverage(ex, "lp", 0, 0, 100)

    assert n > 0
    digest = ex.state_digest()
    with pytest.raises(InsufficientCollateral):
        ex.add_perp_lp_shares("lp", 0, 0, n + STEP)
    assert ex.state_digest() == digest
    ex.add_perp_lp_shares("lp", 0, 0, n)
    assert ex.free_collateral("lp", 0) >= 0


def test_leverage_must_be_a_percentage():
    ex = _exchange(("lp", 1_000))
    with pytest.raises(InvalidAmount, match="leverage_pct"):
        lp_shares_for_leverage(ex, "lp", 0, 0, 101)


def test_add_dialog_conversions_do_not_touch_the_exchange():
    ex = _lp_market()
    _tick(ex)
    _take(ex, "alice", LONG, 10 * BASE)
    digest, n_events = ex.state_digest(), len(ex.events)
    lp_shares_for_margin(ex, 0, 1_000 * USDC)
    lp_shares_for_leverage(ex, "lp", 0, 0, 100)
    lp_margin_for_shares(ex, 0, LP_SHARES)
    get_perp_position_with_lp_settle(ex, "lp", 0, 0)
    BalPerformance().record(ex, 0)
    assert (ex.state_digest(), len(ex.events)) == (digest, n_events)
