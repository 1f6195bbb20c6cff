"""Repegging: the peg that meets a target price, its cost, the fee budget, the adjusted AMM.

Reserves 1e9, peg and prices 1e6, costs and budgets quote 1e6 (positive cost: the protocol
pays). Pure: `adjust_amm` returns a modified copy and leaves its argument untouched.

Source: programs/drift/src/math/repeg.rs
"""

from __future__ import annotations

from ballast.drift.constants import (
    AMM_RESERVE_PRECISION,
    BID_ASK_SPREAD_PRECISION,
    PEG_PRECISION,
    PRICE_TO_PEG_PRECISION_RATIO,
    SHARE_OF_FEES_ALLOCATED_TO_DRIFT_DENOMINATOR,
    SHARE_OF_FEES_ALLOCATED_TO_DRIFT_NUMERATOR,
)
from ballast.drift.math.amm import (
    calculate_bid_ask_bounds,
    calculate_terminal_reserves,
    reserve_price,
)
from ballast.drift.math.cp_curve import (
    adjust_k_cost,
    can_lower_k,
    get_lower_bound_sqrt_k,
    get_update_k_result,
)
from ballast.drift.state.oracle import OraclePriceData
from ballast.drift.state.perp_market import AMM, PerpMarket
from ballast.fixed import MathError, cast_i64, cast_u64, cast_u128, div_ceil, div_floor, div_trunc

__all__ = [
    "calculate_peg_from_target_price",
    "calculate_repeg_cost",
    "calculate_per_peg_cost",
    "adjust_amm",
    "calculate_optimal_peg_and_budget",
    "calculate_fee_pool",
    "get_total_fee_lower_bound",
]

_HALF_PRICE_TO_PEG = div_floor(PRICE_TO_PEG_PRECISION_RATIO, 2)  # rounding term, 0 for 1e6/1e6
_RESERVE_PER_PEG = div_floor(AMM_RESERVE_PRECISION, PEG_PRECISION)  # 1e3


def calculate_peg_from_target_price(
    quote_asset_reserve: int, base_asset_reserve: int, target_price: int
) -> int:
    """Peg (1e6) putting the reserve price at `target_price` (1e6): floor(price * base /
    quote), rounded to the nearest PRICE_TO_PEG unit, at least 1.

    Source: programs/drift/src/math/repeg.rs::calculate_peg_from_target_price
    """
    new_peg = div_floor(
        div_floor(target_price * base_asset_reserve, quote_asset_reserve)
        + _HALF_PRICE_TO_PEG,
        PRICE_TO_PEG_PRECISION_RATIO,
    )
    return max(cast_u128(new_peg), 1)


def calculate_repeg_cost(amm: AMM, new_peg: int) -> int:
    """Cost (quote 1e6) of moving the peg to `new_peg`: trunc((quote_reserve -
    terminal_quote_reserve) * (new_peg - peg) / 1e9). Positive: the protocol pays.

    Source: programs/drift/src/math/repeg.rs::calculate_repeg_cost
    """
    return div_trunc(
        (amm.quote_asset_reserve - amm.terminal_quote_asset_reserve)
        * (new_peg - amm.peg_multiplier),
        AMM_RESERVE_PRECISION,
    )


def calculate_per_peg_cost(quote_asset_reserve: int, terminal_quote_asset_reserve: int) -> int:
    """Signed cost (quote 1e6) per unit of peg (1e6) moved up: ceil((quote - terminal) / 1000),
    then one more unit away from zero (0 when quote == terminal).

    Source: programs/drift/src/math/repeg.rs::calculate_per_peg_cost
    """
    if quote_asset_reserve == terminal_quote_asset_reserve:
        return 0
    per_peg_cost = div_ceil(
        quote_asset_reserve - terminal_quote_asset_reserve, _RESERVE_PER_PEG
    )
    if per_peg_cost > 0:
        return per_peg_cost + 1
    if per_peg_cost < 0:
        return per_peg_cost - 1
    return 0


def adjust_amm(
    market: PerpMarket, optimal_peg: int, budget: int, adjust_k: bool
) -> tuple[PerpMarket, int]:
    """(copy of the market with the new peg, and possibly a 0.1% smaller k; cost in quote 1e6).

    Moves to `optimal_peg` when that is free, earns money, or `budget` (quote 1e6) covers more
    than the whole move; otherwise spends the budget: when `adjust_k` and k can be lowered,
    sqrt_k first shrinks by trunc(sqrt_k / 1000) (not below get_lower_bound_sqrt_k), adding
    |its cost| to the budget, then the peg moves by trunc(budget * 1e6 / per_peg_cost) (at least
    1). The copy's reserves, sqrt_k, terminal quote reserve and min/max base reserves are those
    of the shrunk curve; its spreads are not refreshed (the controller applies only sqrt_k,
    reserves and peg through update_k). Nested records of the copy are shared with `market`:
    read-only. Returns (market, 0) unchanged when the peg is already optimal or
    curve_update_intensity is 0.

    Source: programs/drift/src/math/repeg.rs::adjust_amm
    """
    amm = market.amm
    if optimal_peg == amm.peg_multiplier or min(amm.curve_update_intensity, 100) == 0:
        return market, 0

    delta_peg = optimal_peg - amm.peg_multiplier
    per_peg_cost = calculate_per_peg_cost(amm.quote_asset_reserve, amm.terminal_quote_asset_reserve)
    budget_delta_peg_magnitude = 0
    if per_peg_cost != 0:
        budget_delta_peg_magnitude = abs(div_trunc(budget * PEG_PRECISION, per_peg_cost))

    use_optimal_peg = (
        per_peg_cost == 0
        or (per_peg_cost > 0 and delta_peg < 0)
        or (per_peg_cost < 0 and delta_peg > 0)
        or budget_delta_peg_magnitude > abs(delta_peg)
    )

    new_amm = amm
    if use_optimal_peg:
        new_peg = optimal_peg
    else:
        adjustment_cost = 0
        if adjust_k and can_lower_k(amm):
            new_sqrt_k = max(
                amm.sqrt_k - div_floor(amm.sqrt_k, 1000), get_lower_bound_sqrt_k(amm)
            )
            update_k_result = get_update_k_result(market, new_sqrt_k, True)
            adjustment_cost = adjust_k_cost(market, update_k_result)
            new_amm = amm.clone()
            new_amm.sqrt_k = update_k_result.sqrt_k
            new_amm.base_asset_reserve = update_k_result.base_asset_reserve
            new_amm.quote_asset_reserve = update_k_result.quote_asset_reserve
            terminal_quote_reserve, terminal_base_reserve = calculate_terminal_reserves(new_amm)
            min_base_reserve, max_base_reserve = calculate_bid_ask_bounds(
                new_amm.concentration_coef, terminal_base_reserve
            )
            new_amm.terminal_quote_asset_reserve = terminal_quote_reserve
            new_amm.min_base_asset_reserve = min_base_reserve
            new_amm.max_base_asset_reserve = max_base_reserve
            per_peg_cost = calculate_per_peg_cost(
                new_amm.quote_asset_reserve, new_amm.terminal_quote_asset_reserve
            )
        budget_delta_peg = div_trunc((budget + abs(adjustment_cost)) * PEG_PRECISION, per_peg_cost)
        magnitude = abs(budget_delta_peg)
        if budget_delta_peg > 0:
            new_peg = amm.peg_multiplier + magnitude
        elif amm.peg_multiplier > magnitude:
            new_peg = amm.peg_multiplier - magnitude
        else:
            new_peg = 1

    cost = calculate_repeg_cost(new_amm, new_peg)
    if new_amm is amm:
        new_amm = amm.clone()
    new_amm.peg_multiplier = new_peg
    new_market = market.clone()
    new_market.amm = new_amm
    return new_market, cost


def calculate_optimal_peg_and_budget(
    market: PerpMarket, oracle_price_data: OraclePriceData
) -> tuple[int, int, bool]:
    """(optimal_peg 1e6, fee_budget quote 1e6, check_lower_bound).

    The optimal peg puts the reserve price at the oracle price. When the fee pool cannot pay for
    it: if the reserve price is more than half of max_spread away from the oracle, the target
    becomes the oracle pushed back by that half spread and the budget is exactly the cost of its
    peg (no lower-bound check); else, with an empty fee pool, no lower-bound check either.
    Raises MathError on a negative oracle price or a negative cost of the half-spread peg.

    Source: programs/drift/src/math/repeg.rs::calculate_optimal_peg_and_budget
    """
    amm = market.amm
    reserve_price_before = reserve_price(amm)
    fee_budget = calculate_fee_pool(market)
    target_price_i64 = oracle_price_data.price
    target_price = cast_u64(target_price_i64)
    optimal_peg = calculate_peg_from_target_price(
        amm.quote_asset_reserve, amm.base_asset_reserve, target_price
    )
    optimal_peg_cost = calculate_repeg_cost(amm, optimal_peg)
    check_lower_bound = True

    if fee_budget < max(0, optimal_peg_cost):
        half_max_price_spread = cast_i64(
            div_floor(target_price * div_floor(amm.max_spread, 2), BID_ASK_SPREAD_PRECISION)
        )
        target_price_gap = reserve_price_before - target_price_i64
        if abs(target_price_gap) > half_max_price_spread:
            mark_adj = abs(target_price_gap) - half_max_price_spread
            if target_price_gap < 0:
                target_price = reserve_price_before + mark_adj
            else:
                target_price = cast_u64(reserve_price_before - mark_adj)
            optimal_peg = calculate_peg_from_target_price(
                amm.quote_asset_reserve, amm.base_asset_reserve, target_price
            )
            fee_budget = cast_u128(calculate_repeg_cost(amm, optimal_peg))
            check_lower_bound = False
        elif fee_budget == 0:
            check_lower_bound = False

    return optimal_peg, fee_budget, check_lower_bound


def get_total_fee_lower_bound(market: PerpMarket) -> int:
    """The share of exchange fees the market always retains (quote 1e6):
    floor(total_exchange_fee * 1 / 2).

    Source: programs/drift/src/math/repeg.rs::get_total_fee_lower_bound
    """
    return div_floor(
        market.amm.total_exchange_fee * SHARE_OF_FEES_ALLOCATED_TO_DRIFT_NUMERATOR,
        SHARE_OF_FEES_ALLOCATED_TO_DRIFT_DENOMINATOR,
    )


def calculate_fee_pool(market: PerpMarket) -> int:
    """Fees (quote 1e6) available to spend on repegs, k changes and funding imbalance:
    max(0, tfmd - (total_fee_lower_bound + total_liquidation_fee - total_fee_withdrawn)).
    Raises MathError when more was withdrawn than the lower bound plus liquidation fees
    (an unsigned underflow in the reference).

    Source: programs/drift/src/math/repeg.rs::calculate_fee_pool
    """
    amm = market.amm
    lower_bound = (
        get_total_fee_lower_bound(market) + amm.total_liquidation_fee - amm.total_fee_withdrawn
    )
    if lower_bound < 0:
        raise MathError(
            f"total_fee_withdrawn {amm.total_fee_withdrawn} exceeds the retained fees "
            f"{lower_bound + amm.total_fee_withdrawn}"
        )
    if amm.total_fee_minus_distributions > lower_bound:
        return amm.total_fee_minus_distributions - lower_bound
    return 0
