"""Changing the constant-product invariant: new reserves, cost, budgeted scale.

Reserves and sqrt_k in AMM_RESERVE_PRECISION (1e9), peg 1e6, quote (cost, budget) 1e6,
k scales in K_BPS_UPDATE_SCALE (1e6). Pure: nothing here mutates its arguments; the
controller (`controller/repeg.py::update_k`) stores a result.

Source: programs/drift/src/math/cp_curve.rs
"""

from __future__ import annotations

from dataclasses import dataclass

from ballast.drift.constants import (
    AMM_RESERVE_PRECISION,
    AMM_TO_QUOTE_PRECISION_RATIO,
    K_BPS_UPDATE_SCALE,
    MAX_K_BPS_DECREASE,
    MAX_SQRT_K,
    PEG_PRECISION,
    PERCENTAGE_PRECISION,
    QUOTE_PRECISION,
)
from ballast.drift.errors import InvalidUpdateK
from ballast.drift.math.amm import calculate_market_open_bids_asks
from ballast.drift.math.position import calculate_base_asset_value_and_pnl
from ballast.drift.state.perp_market import AMM, MarketStatus, PerpMarket
from ballast.fixed import MathError, cast_i128, cast_u128, div_floor, div_trunc
from ballast.value_copy import copy_by_constructor

__all__ = [
    "UpdateKResult",
    "get_update_k_result",
    "adjust_k_cost",
    "calculate_budgeted_k_scale",
    "_calculate_budgeted_k_scale",
    "can_lower_k",
    "get_lower_bound_sqrt_k",
]

_HALF_RATIO = 500_000_000  # 0.5 in 1e9: a bounded update may at most halve sqrt_k


@dataclass(slots=True, frozen=True)
class UpdateKResult:
    """New curve after a k change (all AMM_RESERVE_PRECISION).

    Source: programs/drift/src/math/cp_curve.rs::UpdateKResult
    """

    sqrt_k: int
    base_asset_reserve: int
    quote_asset_reserve: int


def get_update_k_result(market: PerpMarket, new_sqrt_k: int, bound_update: bool) -> UpdateKResult:
    """Reserves for `new_sqrt_k` keeping the reserve price (up to rounding).

    `ratio = floor(new_sqrt_k * 1e9 / sqrt_k)`, plus 1 when below 1e9 (decreases round the base
    reserve up); `base = floor(base * ratio / 1e9)`, `quote = floor(new_sqrt_k^2 / base)`.
    Raises InvalidUpdateK when `bound_update` and the ratio is below 0.5, when increasing past
    MAX_SQRT_K, or when decreasing below |base_asset_amount_with_amm| outside ReduceOnly.

    Source: programs/drift/src/math/cp_curve.rs::get_update_k_result
    """
    amm = market.amm
    sqrt_k_ratio = div_floor(new_sqrt_k * AMM_RESERVE_PRECISION, amm.sqrt_k)
    if bound_update and sqrt_k_ratio < _HALF_RATIO:
        raise InvalidUpdateK(
            f"sqrt_k {amm.sqrt_k} -> {new_sqrt_k} (ratio {sqrt_k_ratio}) decreases k more than "
            "50% in one update"
        )
    if sqrt_k_ratio < AMM_RESERVE_PRECISION:
        sqrt_k_ratio += 1
    sqrt_k = cast_u128(new_sqrt_k)
    if sqrt_k_ratio >= AMM_RESERVE_PRECISION and sqrt_k > MAX_SQRT_K:
        raise InvalidUpdateK(f"cannot increase sqrt_k={sqrt_k} past MAX_SQRT_K={MAX_SQRT_K}")
    if (
        market.status is not MarketStatus.ReduceOnly
        and new_sqrt_k < amm.sqrt_k
        and abs(amm.base_asset_amount_with_amm) > sqrt_k
    ):
        raise InvalidUpdateK(
            f"new_sqrt_k {sqrt_k} too small relative to market imbalance "
            f"base_asset_amount_with_amm={amm.base_asset_amount_with_amm}"
        )
    base_asset_reserve = cast_u128(
        div_floor(amm.base_asset_reserve * sqrt_k_ratio, AMM_RESERVE_PRECISION)
    )
    quote_asset_reserve = cast_u128(div_floor(sqrt_k * sqrt_k, base_asset_reserve))
    return UpdateKResult(sqrt_k, base_asset_reserve, quote_asset_reserve)


def adjust_k_cost(market: PerpMarket, update_k_result: UpdateKResult) -> int:
    """Cost (quote 1e6) to the protocol of moving to `update_k_result`: the change in the
    close-out value of the users' net position `base_asset_amount_with_amm` against the curve
    (value_after - value_before for net long users, value_before - value_after for net short;
    0 when flat). Positive: users gain, the protocol pays. The close-out value reads only the
    reserves, sqrt_k and peg, so the market is not copied.

    Source: programs/drift/src/math/cp_curve.rs::adjust_k_cost
    """
    amm = market.amm
    base_asset_amount = amm.base_asset_amount_with_amm
    current_value, _ = calculate_base_asset_value_and_pnl(base_asset_amount, 0, amm)
    amm_after = amm.clone()
    amm_after.sqrt_k = update_k_result.sqrt_k
    amm_after.base_asset_reserve = update_k_result.base_asset_reserve
    amm_after.quote_asset_reserve = update_k_result.quote_asset_reserve
    _, cost = calculate_base_asset_value_and_pnl(base_asset_amount, current_value, amm_after)
    return cost


def calculate_budgeted_k_scale(
    market: PerpMarket, budget: int, k_pct_upper_bound: int, k_pct_lower_bound: int
) -> tuple[int, int]:
    """(numerator, denominator) of the sqrt_k scale whose cost is about `budget` (quote 1e6;
    positive: the protocol may spend, negative: it wants to recover), bounded to
    [k_pct_lower_bound, k_pct_upper_bound] / 1e6. Raises InvalidUpdateK unless
    upper >= 1e6 and 1e6 - MAX_K_BPS_DECREASE <= lower <= 1e6.

    Source: programs/drift/src/math/cp_curve.rs::calculate_budgeted_k_scale
    """
    if k_pct_upper_bound < K_BPS_UPDATE_SCALE:
        raise InvalidUpdateK(
            f"invalid k_pct_upper_bound={k_pct_upper_bound} < {K_BPS_UPDATE_SCALE}"
        )
    if not K_BPS_UPDATE_SCALE - MAX_K_BPS_DECREASE <= k_pct_lower_bound <= K_BPS_UPDATE_SCALE:
        raise InvalidUpdateK(
            f"invalid k_pct_lower_bound={k_pct_lower_bound} outside "
            f"[{K_BPS_UPDATE_SCALE - MAX_K_BPS_DECREASE}, {K_BPS_UPDATE_SCALE}]"
        )
    amm = market.amm
    return _calculate_budgeted_k_scale(
        amm.base_asset_reserve,
        amm.quote_asset_reserve,
        budget,
        amm.peg_multiplier,
        amm.base_asset_amount_with_amm,
        k_pct_upper_bound,
        k_pct_lower_bound,
    )


def _calculate_budgeted_k_scale(
    x: int,
    y: int,
    budget: int,
    q: int,
    d: int,
    k_pct_upper_bound: int,
    k_pct_lower_bound: int,
) -> tuple[int, int]:
    """Closed-form sqrt_k scale (numerator, 1e6) for a budget, given base reserve `x`, quote
    reserve `y` (1e9), peg `q` (1e6) and net user base `d` (1e9).

    With c = -budget: A = floor(floor(x(x+d)/1e9)|c|/1e6), B = floor(floor(|c||x+d|/1e6)|d|/1e9),
    C = floor(floor(floor(y|d|/1e9)|d|/1e9)q/1e6). Spending (c < 0) with A > C saturates at the
    upper bound. Otherwise num = trunc((C - B sign(c)sign(d))/1000), den = trunc((A sign(c) + C)
    /1000) (both negated if both negative; both must then be positive) and the scale is
    trunc(num 1e6 / den), clamped to the upper bound when growing, the lower bound when shrinking.
    Raises MathError when x + d < 0 or the result is not positive.

    Source: programs/drift/src/math/cp_curve.rs::_calculate_budgeted_k_scale
    """
    c = -budget
    c_sign = 1 if c > 0 else -1
    d_sign = 1 if d > 0 else -1
    x_d = x + d
    if x_d < 0:
        raise MathError(f"base reserve {x} + net base {d} is negative")
    abs_c = abs(c)
    abs_d = abs(d)

    x_times_x_d_c = cast_u128(
        div_floor(div_floor(x * x_d, AMM_RESERVE_PRECISION) * abs_c, QUOTE_PRECISION)
    )
    c_times_x_d_d = cast_u128(
        div_floor(div_floor(abs_c * x_d, QUOTE_PRECISION) * abs_d, AMM_RESERVE_PRECISION)
    )
    pegged_quote_times_dd = cast_i128(
        cast_u128(
            div_floor(
                div_floor(div_floor(y * abs_d, AMM_RESERVE_PRECISION) * abs_d, AMM_RESERVE_PRECISION)
                * q,
                PEG_PRECISION,
            )
        )
    )

    if c_sign < 0 and x_times_x_d_c > pegged_quote_times_dd:
        # spending more than the curve can absorb: the solution is unstable, take the cap
        return k_pct_upper_bound, K_BPS_UPDATE_SCALE

    numerator = div_trunc(
        pegged_quote_times_dd - c_times_x_d_d * c_sign * d_sign, AMM_TO_QUOTE_PRECISION_RATIO
    )
    denominator = div_trunc(
        x_times_x_d_c * c_sign + pegged_quote_times_dd, AMM_TO_QUOTE_PRECISION_RATIO
    )
    if numerator < 0 and denominator < 0:
        numerator, denominator = -numerator, -denominator
    if numerator <= 0 or denominator <= 0:
        raise MathError(
            f"budgeted k scale has non-positive terms {numerator}/{denominator} "
            f"(x={x}, y={y}, budget={budget}, q={q}, d={d})"
        )

    current_pct_change = div_trunc(numerator * PERCENTAGE_PRECISION, denominator)
    if numerator > denominator:
        maximum_pct_change = div_trunc(k_pct_upper_bound * PERCENTAGE_PRECISION, K_BPS_UPDATE_SCALE)
        if current_pct_change > maximum_pct_change:
            return cast_u128(k_pct_upper_bound), K_BPS_UPDATE_SCALE
    else:
        maximum_pct_change = div_trunc(k_pct_lower_bound * PERCENTAGE_PRECISION, K_BPS_UPDATE_SCALE)
        if current_pct_change < maximum_pct_change:
            return cast_u128(k_pct_lower_bound), K_BPS_UPDATE_SCALE
    return cast_u128(current_pct_change), K_BPS_UPDATE_SCALE


def can_lower_k(amm: AMM) -> bool:
    """Whether sqrt_k may shrink: the net user position is below the liquidity left on each
    side, the larger of it and min_order_size is below the protocol-owned sqrt_k, and
    min_order_size is below the liquidity on the larger side (all 1e9).

    Source: programs/drift/src/state/perp_market.rs::AMM::can_lower_k
    """
    max_bids, max_asks = calculate_market_open_bids_asks(amm)
    net = abs(amm.base_asset_amount_with_amm)
    min_order_size = amm.min_order_size
    return (
        net < min(max_bids, -max_asks)
        and max(net, min_order_size) < amm.sqrt_k - amm.user_lp_shares
        and min_order_size < max(max_bids, -max_asks)
    )


def get_lower_bound_sqrt_k(amm: AMM) -> int:
    """Smallest sqrt_k (1e9) a protocol k decrease may reach: min(sqrt_k, max(user_lp_shares
    plus 0.1% (truncated), min_order_size, |base_asset_amount_with_amm|)).

    Source: programs/drift/src/state/perp_market.rs::AMM::get_lower_bound_sqrt_k
    """
    lp_floor = amm.user_lp_shares + div_floor(amm.user_lp_shares, 1000)
    return min(
        amm.sqrt_k,
        max(lp_floor, amm.min_order_size, abs(amm.base_asset_amount_with_amm)),
    )


copy_by_constructor(UpdateKResult)
