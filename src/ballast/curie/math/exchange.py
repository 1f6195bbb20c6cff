"""Taker swap math: the scaled amounts handed to the pool and to the replay, Curie's replay of a
swap (its own exchange fee, insurance-fund share and maker fee growth), the exchanged position
size and notional, and realized pnl.

Units: virtual tokens 18 decimals, ratios 1e6 (`x` = exchange fee ratio, `u` = Uniswap fee
ratio), sqrt prices X96, fee growth X128 (uint256, wrapping).

Source: contracts/lib/SwapMath.sol (Curie), contracts/OrderBook.sol::replaySwap,
contracts/Exchange.sol (_swap, _getPnlToBeRealized)
"""

from __future__ import annotations

from dataclasses import dataclass

from ballast.curie.math.order_book import get_fee_growth_global_increment_x128
from ballast.curie.math.perp_math import (
    FULLY_CLOSED_RATIO,
    ONE_HUNDRED_PERCENT_RATIO,
    add_mod_256,
    mul_div,
    mul_div_rounding_up,
)
from ballast.curie.univ3 import liquidity_math, swap_math, tick_bitmap, tick_math
from ballast.curie.univ3.pool import check_sqrt_price_limit


def calc_amount_scaled_by_fee_ratio(amount: int, fee_ratio: int, is_scaled_up: bool) -> int:
    """Scaled up: ceil(amount·1e6/(1e6 - r)); scaled down: floor(amount·(1e6 - r)/1e6).

    Source: contracts/lib/SwapMath.sol::calcAmountScaledByFeeRatio
    """
    one_sub = ONE_HUNDRED_PERCENT_RATIO - fee_ratio
    if is_scaled_up:
        return mul_div_rounding_up(amount, ONE_HUNDRED_PERCENT_RATIO, one_sub)
    return amount * one_sub // ONE_HUNDRED_PERCENT_RATIO


def calc_amount_with_fee_ratio_replaced(
    amount: int, old_fee_ratio: int, new_fee_ratio: int, is_scaled_up: bool
) -> int:
    """ceil (scaled up) or floor of amount·(1e6 - new)/(1e6 - old).

    Source: contracts/lib/SwapMath.sol::calcAmountWithFeeRatioReplaced
    """
    numerator = ONE_HUNDRED_PERCENT_RATIO - new_fee_ratio
    denominator = ONE_HUNDRED_PERCENT_RATIO - old_fee_ratio
    if is_scaled_up:
        return mul_div_rounding_up(amount, numerator, denominator)
    return amount * numerator // denominator


def calc_scaled_amount_for_swaps(
    is_base_to_quote: bool,
    is_exact_input: bool,
    amount: int,
    exchange_fee_ratio: int,
    uniswap_fee_ratio: int,
) -> tuple[int, int]:
    """(amount for the pool swap (unsigned), signed amount for the replay swap).

    Pool: B2Q in ceil(a·1e6/(1e6-u)); B2Q out ceil(a·1e6/(1e6-x)); Q2B in
    ceil(a·(1e6-x)/(1e6-u)); Q2B out a. Replay: the pool amount for B2Q, `amount` for Q2B;
    negated for exact output.

    Source: contracts/lib/SwapMath.sol::calcScaledAmountForSwaps
    """
    if is_base_to_quote:
        fee_ratio = uniswap_fee_ratio if is_exact_input else exchange_fee_ratio
        pool_amount = calc_amount_scaled_by_fee_ratio(amount, fee_ratio, True)
    elif is_exact_input:
        pool_amount = calc_amount_with_fee_ratio_replaced(amount, uniswap_fee_ratio, exchange_fee_ratio, True)
    else:
        pool_amount = amount
    replay = pool_amount if is_base_to_quote else amount
    return pool_amount, replay if is_exact_input else -replay


def default_sqrt_price_limit_x96(is_base_to_quote: bool, sqrt_price_limit_x96: int) -> int:
    """0 means no limit: MIN_SQRT_RATIO + 1 for base-to-quote, MAX_SQRT_RATIO - 1 otherwise.

    Source: contracts/OrderBook.sol::replaySwap, contracts/lib/UniswapV3Broker.sol::swap
    """
    if sqrt_price_limit_x96 != 0:
        return sqrt_price_limit_x96
    return tick_math.MIN_SQRT_RATIO + 1 if is_base_to_quote else tick_math.MAX_SQRT_RATIO - 1


@dataclass(slots=True, frozen=True)
class ReplaySwapResult:
    """Outcome of a replayed swap.

    `tick`: the pool tick the real swap must end on; `fee`: the exchange fee (quote wei);
    `insurance_fund_fee`: its insurance-fund share (rounded up per step);
    `fee_growth_global_x128`: the new global maker fee growth; `crossed`: each initialized tick
    crossed, with the running fee growth at the crossing (for Curie's Tick.cross);
    `maker_fee`: Σ (step fee - step IF fee), the makers' share put into fee growth.

    Source: contracts/interface/IOrderBook.sol::ReplaySwapResponse
    """

    tick: int
    fee: int
    insurance_fund_fee: int
    fee_growth_global_x128: int
    crossed: tuple[tuple[int, int], ...]
    maker_fee: int
    sqrt_price_x96: int


def replay_swap(
    pool,
    fee_growth_global_x128: int,
    is_base_to_quote: bool,
    amount: int,
    sqrt_price_limit_x96: int,
    exchange_fee_ratio: int,
    uniswap_fee_ratio: int,
    insurance_fund_fee_ratio: int,
) -> ReplaySwapResult:
    """Replay a swap on the pool's current state (read only) to charge Curie's fees.

    The loop of UniswapV3Pool.swap (steps bounded by one bitmap word), except that each step's
    fee pips are `u` for base-to-quote (mirroring the pool) and `x` for quote-to-base, and, when
    the step's liquidity is > 0: for base-to-quote the step fee becomes ceil(out·x/1e6) (fee
    on the quote received); IF fee = ceil(stepFee·ifRatio/1e6); fee growth +=
    floor((stepFee - ifFee)·Q128/L) modulo 2^256. `amount` > 0 is exact input, < 0 exact output;
    a zero limit means the extreme sqrt price.

    Source: contracts/OrderBook.sol::replaySwap
    """
    is_exact_input = amount > 0
    limit = default_sqrt_price_limit_x96(is_base_to_quote, sqrt_price_limit_x96)
    # the pool's own check, before the loop: a limit beyond the extreme ratio would never be
    # reached (the reference's replay runs out of gas; its pool swap refuses with "SPL")
    check_sqrt_price_limit(is_base_to_quote, pool.sqrt_price_x96, limit)
    remaining = amount
    sqrt_price = pool.sqrt_price_x96
    tick = pool.tick
    liquidity = pool.liquidity
    fee_growth = fee_growth_global_x128
    fee = insurance_fund_fee = maker_fee = 0
    crossed: list[tuple[int, int]] = []
    step_fee_pips = uniswap_fee_ratio if is_base_to_quote else exchange_fee_ratio
    while remaining != 0 and sqrt_price != limit:
        initial_sqrt_price = sqrt_price
        next_tick, initialized = tick_bitmap.next_initialized_tick_within_one_word(
            pool.tick_bitmap, tick, pool.tick_spacing, is_base_to_quote
        )
        next_tick = min(max(next_tick, tick_math.MIN_TICK), tick_math.MAX_TICK)
        next_sqrt_price = tick_math.get_sqrt_ratio_at_tick(next_tick)
        beyond = next_sqrt_price < limit if is_base_to_quote else next_sqrt_price > limit
        sqrt_price, amount_in, amount_out, step_fee = swap_math.compute_swap_step(
            sqrt_price, limit if beyond else next_sqrt_price, liquidity, remaining, step_fee_pips
        )
        if is_exact_input:
            remaining -= amount_in + step_fee
        else:
            remaining += amount_out
        if liquidity > 0:
            if is_base_to_quote:
                step_fee = mul_div_rounding_up(amount_out, exchange_fee_ratio, ONE_HUNDRED_PERCENT_RATIO)
            fee += step_fee
            step_insurance_fund_fee = mul_div_rounding_up(
                step_fee, insurance_fund_fee_ratio, ONE_HUNDRED_PERCENT_RATIO
            )
            insurance_fund_fee += step_insurance_fund_fee
            step_maker_fee = step_fee - step_insurance_fund_fee
            maker_fee += step_maker_fee
            fee_growth = add_mod_256(
                fee_growth, get_fee_growth_global_increment_x128(step_maker_fee, liquidity)
            )
        if sqrt_price == next_sqrt_price:
            if initialized:
                crossed.append((next_tick, fee_growth))
                liquidity_net = pool.ticks[next_tick].liquidity_net
                liquidity = liquidity_math.add_delta(
                    liquidity, -liquidity_net if is_base_to_quote else liquidity_net
                )
            tick = next_tick - 1 if is_base_to_quote else next_tick
        elif sqrt_price != initial_sqrt_price:
            tick = tick_math.get_tick_at_sqrt_ratio(sqrt_price)
    return ReplaySwapResult(
        tick=tick,
        fee=fee,
        insurance_fund_fee=insurance_fund_fee,
        fee_growth_global_x128=fee_growth,
        crossed=tuple(crossed),
        maker_fee=maker_fee,
        sqrt_price_x96=sqrt_price,
    )


def get_exchanged_position_size_and_notional(
    is_base_to_quote: bool,
    is_exact_input: bool,
    amount: int,
    base: int,
    quote: int,
    pool_amount: int,
    replay_fee: int,
    uniswap_fee_ratio: int,
) -> tuple[int, int]:
    """(exchangedPositionSize, exchangedPositionNotional) from the pool's (reported, unsigned)
    base and quote.

    B2Q: (-floor(base·(1e6-u)/1e6), quote). Q2B: (base, -(amount - fee)) if exact input and the
    pool took exactly the scaled amount, else (base, -floor(quote·(1e6-u)/1e6)).
    The trader's deltas are (size, notional - fee).

    Source: contracts/Exchange.sol::_swap
    """
    if is_base_to_quote:
        return -calc_amount_scaled_by_fee_ratio(base, uniswap_fee_ratio, False), quote
    if is_exact_input and quote == pool_amount:
        return base, -(amount - replay_fee)
    return base, -calc_amount_scaled_by_fee_ratio(quote, uniswap_fee_ratio, False)


def is_reducing_position(taker_position_size: int, is_base_to_quote: bool) -> bool:
    """A trade reduces (or reverses) a position iff the position is non-zero and the trade is
    in the opposite direction: (size < 0) != isBaseToQuote.

    Source: contracts/Exchange.sol::swap / contracts/ClearingHouse.sol::_openPosition
    """
    return taker_position_size != 0 and (taker_position_size < 0) != is_base_to_quote


def get_pnl_to_be_realized(
    taker_position_size: int, taker_open_notional: int, base: int, quote: int
) -> int:
    """Realized pnl of a reducing trade (18 dec, signed; caller checks it reduces).

    closedRatio = floor(|base|·1e18/|size|); if <= 1e18: quote + mulDiv(openNotional, ratio, 1e18);
    else (reversal): openNotional + mulDiv(quote, 1e18, ratio). Divisions truncate toward zero.

    Source: contracts/Exchange.sol::_getPnlToBeRealized
    """
    closed_ratio = abs(base) * FULLY_CLOSED_RATIO // abs(taker_position_size)
    if closed_ratio <= FULLY_CLOSED_RATIO:
        return quote + mul_div(taker_open_notional, closed_ratio, FULLY_CLOSED_RATIO)
    return taker_open_notional + mul_div(quote, FULLY_CLOSED_RATIO, closed_ratio)
