"""Funding: market and index TWAPs, the global funding growth and pending funding payments.

Units: prices 18 decimals, `*X96` values are price·2^96 (int256, never wrapping), timestamps
unix seconds, payments 18-decimal quote (positive = the trader pays).

Source: contracts/Exchange.sol::_getFundingGrowthGlobalAndTwaps, _getDeltaTwapX96,
contracts/lib/Funding.sol, contracts/lib/UniswapV3Broker.sol::getSqrtMarketTwapX96From
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from operator import itemgetter

from ballast.curie.math.account_balance import get_base
from ballast.curie.math.order_book import (
    calc_liquidity_coefficient_in_funding_payment_by_order,
    get_all_funding_growth,
)
from ballast.curie.math.perp_math import (
    DEFAULT_FUNDING_PERIOD,
    Q96,
    format_sqrt_price_x96_to_price_x96,
    format_x10_18_to_x96,
    mul_div,
    mul_ratio,
)
from ballast.curie.state.account import Account
from ballast.curie.state.market import FundingGrowth, FundingGrowthRangeInfo, MarketState
from ballast.curie.univ3 import pool as univ3_pool
from ballast.curie.univ3 import tick_math
from ballast.fixed import MathError, div_trunc

MIN_TWAP_INTERVAL = 10  # below this the "TWAP" is the current price

_TIMESTAMP = itemgetter(0)  # of a (timestamp, price) index record


def sqrt_price_from_tick_cumulatives(tick_cumulative_start: int, tick_cumulative_end: int, interval: int) -> int:
    """Sqrt price X96 of the mean tick (cumEnd - cumStart) / interval, truncated toward zero
    (Curie does not round toward -inf as Uniswap's OracleLibrary does).

    Source: contracts/lib/UniswapV3Broker.sol::getSqrtMarketTwapX96From
    """
    tick = div_trunc(tick_cumulative_end - tick_cumulative_start, interval)
    return tick_math.get_sqrt_ratio_at_tick(tick)




def get_sqrt_market_twap_x96(pool, now: int, twap_interval: int) -> int:
    """The pool's sqrt-price TWAP over `twap_interval` seconds ending `now` (X96); the current
    sqrt price when the interval is below 10 s.

    Deviation (documented): where the reference's observe() would revert "OLD" because the
    oracle ring holds less history than the interval, the interval is shortened to the history
    kept (reference deployments size the ring so that this never happens).

    Source: contracts/lib/UniswapV3Broker.sol::getSqrtMarketTwapX96From
    """
    twap_interval = min(twap_interval, now - univ3_pool.oldest_observation(pool).block_timestamp)
    if twap_interval < MIN_TWAP_INTERVAL:
        return pool.sqrt_price_x96
    cumulatives = univ3_pool.observe(pool, now, [twap_interval, 0])
    return sqrt_price_from_tick_cumulatives(cumulatives[0], cumulatives[1], twap_interval)


def get_sqrt_market_twaps_x96(pool, now: int, twap_intervals: Sequence[int]) -> list[int]:
    """`get_sqrt_market_twap_x96` for each interval, equal value by value, with one oldest-
    observation lookup and one `observe` of every interval's start (and of now) between them.

    Source: contracts/lib/UniswapV3Broker.sol::getSqrtMarketTwapX96From (per interval)
    """
    age = now - univ3_pool.oldest_observation(pool).block_timestamp
    intervals = [min(interval, age) for interval in twap_intervals]
    observed = [interval for interval in intervals if interval >= MIN_TWAP_INTERVAL]
    if not observed:
        return [pool.sqrt_price_x96] * len(intervals)
    cumulatives = univ3_pool.observe(pool, now, [*observed, 0])
    end = cumulatives[-1]
    starts = iter(cumulatives)
    return [
        sqrt_price_from_tick_cumulatives(next(starts), end, interval)
        if interval >= MIN_TWAP_INTERVAL
        else pool.sqrt_price_x96
        for interval in intervals
    ]


def get_index_twap(history: Sequence[tuple[int, int]], now: int, interval: int) -> int:
    """Time-weighted mean (18 decimals, floored) of the index price over [now - interval, now].

    `history` holds (timestamp, price) records in time order; each price holds until the next
    record, the first also before itself. `interval` 0 gives the latest price at `now`.
    Ballast's stand-in for the reference's oracle TWAP (IIndexPrice.getIndexPrice(interval)),
    which is an input there too (mocked in the reference's unit tests). Binary search finds the
    records in the window, so the cost grows with the records inside it, not the history kept.

    Source: contracts/interface/IIndexPrice.sol::getIndexPrice (modelled)
    """
    if not history:
        raise MathError("no index price recorded")
    # records at or before now; with none, the first record holds before itself
    end = max(bisect_right(history, now, key=_TIMESTAMP), 1)
    if interval <= 0:
        return history[end - 1][1]
    start = now - interval
    # the record in force at `start`: the last one at or before it, else the first
    first = max(bisect_right(history, start, lo=0, hi=end, key=_TIMESTAMP) - 1, 0)
    total = 0
    for i in range(first, end):
        segment_start = start if i == first else history[i][0]  # later records begin after start
        segment_end = history[i + 1][0] if i + 1 < end else now
        if segment_end > segment_start:
            total += history[i][1] * (segment_end - segment_start)
    return total // interval


def get_delta_tw_premium_x96(
    market_twap_x96: int, index_twap_x96: int, time_delta: int, max_funding_rate: int
) -> int:
    """(market - index) premium X96, capped at ±floor(index·maxFundingRate/1e6), times Δt.

    Source: contracts/Exchange.sol::_getDeltaTwapX96
    """
    cap = mul_ratio(index_twap_x96, max_funding_rate)
    if market_twap_x96 > index_twap_x96:
        delta = min(market_twap_x96 - index_twap_x96, cap)
    else:
        delta = -min(index_twap_x96 - market_twap_x96, cap)
    return delta * time_delta


def calc_funding_growth_global(
    stored: FundingGrowth,
    last_settled_timestamp: int,
    now: int,
    sqrt_market_twap_x96: int,
    index_twap: int,
    sqrt_price_x96: int,
    max_funding_rate: int,
) -> FundingGrowth:
    """The global funding growth at `now`.

    Stored values if `last_settled_timestamp` is 0 or equals `now`; otherwise, with
    marketTwapX96 = floor(S_twap²/Q96) and indexTwapX96 = floor(indexTwap·Q96/1e18),
    Δ = capped premium·(now - last): twPremiumX96 += Δ and
    twPremiumDivBySqrtPriceX96 += mulDiv(Δ, Q96, S_spot) (truncated toward zero, S_spot the
    pool's current sqrt price).

    Source: contracts/Exchange.sol::_getFundingGrowthGlobalAndTwaps
    """
    if last_settled_timestamp == 0 or now == last_settled_timestamp:
        return stored
    market_twap_x96 = format_sqrt_price_x96_to_price_x96(sqrt_market_twap_x96)
    index_twap_x96 = format_x10_18_to_x96(index_twap)
    delta = get_delta_tw_premium_x96(
        market_twap_x96, index_twap_x96, now - last_settled_timestamp, max_funding_rate
    )
    return FundingGrowth(
        tw_premium_x96=stored.tw_premium_x96 + delta,
        tw_premium_div_by_sqrt_price_x96=(
            stored.tw_premium_div_by_sqrt_price_x96 + mul_div(delta, Q96, sqrt_price_x96)
        ),
    )


def get_funding_twap_interval(now: int, first_traded_timestamp: int, twap_interval: int) -> int:
    """min(twapInterval, now - firstTradedTimestamp) once the market has traded, else 0.

    Source: contracts/Exchange.sol::_getFundingGrowthGlobalAndTwaps
    """
    if first_traded_timestamp == 0:
        return 0
    return min(twap_interval, now - first_traded_timestamp)


def calc_balance_coefficient_in_funding_payment(
    base_balance: int, last_tw_premium_growth_global_x96: int, funding_growth_global: FundingGrowth
) -> int:
    """mulDiv(baseBalance, twPremiumX96 - lastTwPremiumGrowthGlobalX96, Q96), truncated toward
    zero (18-decimal quote × funding period). baseBalance = takerPositionSize - Σ baseDebt.

    Source: contracts/lib/Funding.sol::calcPendingFundingPaymentWithLiquidityCoefficient
    """
    return mul_div(
        base_balance, funding_growth_global.tw_premium_x96 - last_tw_premium_growth_global_x96, Q96
    )


def calc_pending_funding_payment_with_liquidity_coefficient(
    base_balance: int,
    last_tw_premium_growth_global_x96: int,
    funding_growth_global: FundingGrowth,
    liquidity_coefficient_in_funding_payment: int,
) -> int:
    """Pending funding payment (18-decimal quote; positive = the trader pays):
    (Σ order coefficients + balance coefficient) / 86400, truncated toward zero.

    Source: contracts/lib/Funding.sol::calcPendingFundingPaymentWithLiquidityCoefficient
    """
    balance = calc_balance_coefficient_in_funding_payment(
        base_balance, last_tw_premium_growth_global_x96, funding_growth_global
    )
    return div_trunc(liquidity_coefficient_in_funding_payment + balance, DEFAULT_FUNDING_PERIOD)


def get_liquidity_coefficient_in_funding_payment(
    account: Account, market: MarketState, funding_growth_global: FundingGrowth
) -> tuple[int, list[FundingGrowthRangeInfo]]:
    """(Σ order coefficients, each order's current range values) of the account's orders in
    `market`, at the pool's current tick. The settling variant writes the range values into the
    orders' snapshots afterwards.

    Source: contracts/OrderBook.sol::getLiquidityCoefficientInFundingPayment /
    updateFundingGrowthAndLiquidityCoefficientInFundingPayment
    """
    total = 0
    ranges = []
    for order in account.orders.get(market.base_token, ()):
        range_info = get_all_funding_growth(
            market.tick_infos,
            order.lower_tick,
            order.upper_tick,
            market.pool.tick,
            funding_growth_global.tw_premium_x96,
            funding_growth_global.tw_premium_div_by_sqrt_price_x96,
        )
        total += calc_liquidity_coefficient_in_funding_payment_by_order(order, range_info)
        ranges.append(range_info)
    return total, ranges


def get_pending_funding_payment(
    account: Account, market: MarketState, funding_growth_global: FundingGrowth
) -> int:
    """The account's pending funding payment in `market` (18-decimal quote, positive = pays),
    given the market's current global funding growth.

    Source: contracts/Exchange.sol::getPendingFundingPayment
    """
    info = account.markets.get(market.base_token)
    last = info.last_tw_premium_growth_global_x96 if info else 0
    coefficient, _ = get_liquidity_coefficient_in_funding_payment(account, market, funding_growth_global)
    return calc_pending_funding_payment_with_liquidity_coefficient(
        get_base(account, market.base_token), last, funding_growth_global, coefficient
    )
