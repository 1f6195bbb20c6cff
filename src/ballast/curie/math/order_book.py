"""Maker-order math: Curie's tick outside values, fee growth inside, pending maker fees, the
funding growth of a range and an order's liquidity coefficient in funding, and the tokens an
order holds in the pool.

Units: fee growth X128 (uint256, wrapping modulo 2^256), funding growth X96 (int256, no wrap),
token amounts 18 decimals, sqrt prices X96, liquidity uint128.

Source: contracts/lib/Tick.sol, contracts/OrderBook.sol, contracts/lib/Funding.sol
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ballast.curie.math.perp_math import Q96, Q128, div_trunc, mul_div, sub_mod_256
from ballast.curie.state.account import OpenOrder
from ballast.curie.state.market import FundingGrowth, FundingGrowthRangeInfo, TickInfo
from ballast.curie.univ3 import liquidity_amounts, tick_math

_ZERO = TickInfo()


def initial_tick_info(
    tick: int, current_tick: int, fee_growth_global_x128: int, funding_growth_global: FundingGrowth
) -> TickInfo:
    """Outside values of a newly initialized tick: the globals if `tick <= current_tick`
    (all growth so far is taken to have happened below it), else zeros.

    Source: contracts/lib/Tick.sol::initialize
    """
    if tick <= current_tick:
        return TickInfo(
            fee_x128=fee_growth_global_x128,
            tw_premium_x96=funding_growth_global.tw_premium_x96,
            tw_premium_div_by_sqrt_price_x96=funding_growth_global.tw_premium_div_by_sqrt_price_x96,
        )
    return TickInfo()


def crossed_tick_info(
    info: TickInfo, fee_growth_global_x128: int, funding_growth_global: FundingGrowth
) -> TickInfo:
    """Outside values after the price crosses the tick: global - outside, componentwise
    (fee modulo 2^256, funding plain signed).

    Source: contracts/lib/Tick.sol::cross
    """
    return TickInfo(
        fee_x128=sub_mod_256(fee_growth_global_x128, info.fee_x128),
        tw_premium_x96=funding_growth_global.tw_premium_x96 - info.tw_premium_x96,
        tw_premium_div_by_sqrt_price_x96=(
            funding_growth_global.tw_premium_div_by_sqrt_price_x96 - info.tw_premium_div_by_sqrt_price_x96
        ),
    )


def get_fee_growth_inside_x128(
    tick_infos: Mapping[int, TickInfo],
    lower_tick: int,
    upper_tick: int,
    current_tick: int,
    fee_growth_global_x128: int,
) -> int:
    """Quote fee growth inside [lower, upper) (X128, modulo 2^256).

    below = lo if current >= lower else G - lo; above = up if current < upper else G - up;
    inside = G - below - above. A missing tick reads as zeros.

    Source: contracts/lib/Tick.sol::getFeeGrowthInsideX128
    """
    lower = tick_infos.get(lower_tick, _ZERO).fee_x128
    upper = tick_infos.get(upper_tick, _ZERO).fee_x128
    below = lower if current_tick >= lower_tick else sub_mod_256(fee_growth_global_x128, lower)
    above = upper if current_tick < upper_tick else sub_mod_256(fee_growth_global_x128, upper)
    return sub_mod_256(sub_mod_256(fee_growth_global_x128, below), above)


def get_all_funding_growth(
    tick_infos: Mapping[int, TickInfo],
    lower_tick: int,
    upper_tick: int,
    current_tick: int,
    tw_premium_growth_global_x96: int,
    tw_premium_div_by_sqrt_price_growth_global_x96: int,
) -> FundingGrowthRangeInfo:
    """Funding growth inside and below a range (X96, int256), with the same inside/outside rule
    as fees but without wrapping.

    Source: contracts/lib/Tick.sol::getAllFundingGrowth
    """
    lower = tick_infos.get(lower_tick, _ZERO)
    upper = tick_infos.get(upper_tick, _ZERO)

    def split(global_value: int, lower_outside: int, upper_outside: int) -> tuple[int, int]:
        above = upper_outside if current_tick < upper_tick else global_value - upper_outside
        below = lower_outside if current_tick >= lower_tick else global_value - lower_outside
        return global_value - below - above, below

    inside, below = split(tw_premium_growth_global_x96, lower.tw_premium_x96, upper.tw_premium_x96)
    div_inside, _ = split(
        tw_premium_div_by_sqrt_price_growth_global_x96,
        lower.tw_premium_div_by_sqrt_price_x96,
        upper.tw_premium_div_by_sqrt_price_x96,
    )
    return FundingGrowthRangeInfo(
        tw_premium_growth_inside_x96=inside,
        tw_premium_growth_below_x96=below,
        tw_premium_div_by_sqrt_price_growth_inside_x96=div_inside,
    )


def get_pending_fee_and_fee_growth_inside_x128(
    order: OpenOrder,
    tick_infos: Mapping[int, TickInfo],
    current_tick: int,
    fee_growth_global_x128: int,
) -> tuple[int, int]:
    """(pending maker fee in quote wei, current fee growth inside X128) of an order.

    pending = floor(((inside - last) mod 2^256) · liquidity / Q128).

    Source: contracts/OrderBook.sol::_getPendingFeeAndFeeGrowthInsideX128ByOrder
    """
    inside = get_fee_growth_inside_x128(
        tick_infos, order.lower_tick, order.upper_tick, current_tick, fee_growth_global_x128
    )
    pending = sub_mod_256(inside, order.last_fee_growth_inside_x128) * order.liquidity // Q128
    return pending, inside


def calc_liquidity_coefficient_in_funding_payment_by_order(
    order: OpenOrder, range_info: FundingGrowthRangeInfo
) -> int:
    """An order's funding coefficient (18-decimal quote × funding period; positive = pays).

    baseBelow = amount0ForLiquidity(S(lower), S(upper), L) (floor);
    fundingBelowX96 = baseBelow · Δbelow;
    fundingInsideX96 = L · (ΔdivInside - mulDiv(Δinside, Q96, S(upper)));
    result = (fundingBelowX96 + fundingInsideX96) / Q96, truncated toward zero. Δ = current
    range value minus the order's snapshot. Divide the sum over orders (plus the balance part)
    by the funding period to get a payment.

    Source: contracts/lib/Funding.sol::calcLiquidityCoefficientInFundingPaymentByOrder
    """
    sqrt_price_upper = tick_math.get_sqrt_ratio_at_tick(order.upper_tick)
    base_amount_below = liquidity_amounts.get_amount0_for_liquidity(
        tick_math.get_sqrt_ratio_at_tick(order.lower_tick), sqrt_price_upper, order.liquidity
    )
    funding_below_x96 = base_amount_below * (
        range_info.tw_premium_growth_below_x96 - order.last_tw_premium_growth_below_x96
    )
    funding_inside_x96 = order.liquidity * (
        (
            range_info.tw_premium_div_by_sqrt_price_growth_inside_x96
            - order.last_tw_premium_div_by_sqrt_price_growth_inside_x96
        )
        - mul_div(
            range_info.tw_premium_growth_inside_x96 - order.last_tw_premium_growth_inside_x96,
            Q96,
            sqrt_price_upper,
        )
    )
    return div_trunc(funding_below_x96 + funding_inside_x96, Q96)


def get_order_token_amounts_in_pool(order: OpenOrder, sqrt_price_x96: int) -> tuple[int, int]:
    """(base, quote) the order's liquidity holds at the pool's sqrt price, both rounded down;
    sqrt-price comparisons; Uniswap pool fees excluded.

    base = amount0ForLiquidity(max(S, Sa), Sb, L) if S < Sb else 0;
    quote = amount1ForLiquidity(Sa, min(S, Sb), L) if S > Sa else 0.

    Source: contracts/OrderBook.sol::_getTotalTokenAmountInPool
    """
    sqrt_lower = tick_math.get_sqrt_ratio_at_tick(order.lower_tick)
    sqrt_upper = tick_math.get_sqrt_ratio_at_tick(order.upper_tick)
    base = quote = 0
    if sqrt_price_x96 < sqrt_upper:
        base = liquidity_amounts.get_amount0_for_liquidity(
            max(sqrt_price_x96, sqrt_lower), sqrt_upper, order.liquidity
        )
    if sqrt_price_x96 > sqrt_lower:
        quote = liquidity_amounts.get_amount1_for_liquidity(
            sqrt_lower, min(sqrt_price_x96, sqrt_upper), order.liquidity
        )
    return base, quote


def get_total_token_amount_in_pool_and_pending_fee(
    orders: Iterable[OpenOrder],
    sqrt_price_x96: int,
    current_tick: int,
    tick_infos: Mapping[int, TickInfo],
    fee_growth_global_x128: int,
    fetch_base: bool,
) -> tuple[int, int]:
    """(Σ base or Σ quote the orders hold in the pool, Σ pending fee) — the fee sum is only
    meaningful (non-zero) when fetching quote, as in the reference.

    Source: contracts/OrderBook.sol::_getTotalTokenAmountInPool
    """
    amount = pending = 0
    for order in orders:
        base, quote = get_order_token_amounts_in_pool(order, sqrt_price_x96)
        amount += base if fetch_base else quote
        if not fetch_base:
            pending += get_pending_fee_and_fee_growth_inside_x128(
                order, tick_infos, current_tick, fee_growth_global_x128
            )[0]
    return amount, pending


def get_total_order_debt(orders: Iterable[OpenOrder], fetch_base: bool) -> int:
    """Σ base_debt (fetch_base) or Σ quote_debt of the orders (18 decimals).

    Source: contracts/OrderBook.sol::getTotalOrderDebt
    """
    return sum(order.base_debt if fetch_base else order.quote_debt for order in orders)


def get_fee_growth_global_increment_x128(maker_fee: int, liquidity: int) -> int:
    """floor(makerFee·Q128/L): the fee growth a swap step adds (0 when L = 0).

    Source: contracts/OrderBook.sol::replaySwap (FullMath.mulDiv(stepMakerFee, Q128, liquidity))
    """
    return maker_fee * Q128 // liquidity if liquidity > 0 else 0
