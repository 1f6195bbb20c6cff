"""One swap step within a single tick range.

Source: contracts/libraries/SwapMath.sol (Uniswap/v3-core)
"""

from __future__ import annotations

from ballast.curie.univ3.sqrt_price_math import (
    get_amount0_delta,
    get_amount1_delta,
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
)

__all__ = ["compute_swap_step"]

_PIPS = 1_000_000


def compute_swap_step(
    sqrt_ratio_current_x96: int,
    sqrt_ratio_target_x96: int,
    liquidity: int,
    amount_remaining: int,
    fee_pips: int,
) -> tuple[int, int, int, int]:
    """Swap within one range toward a target price -> ``(sqrt_ratio_next_x96, amount_in,
    amount_out, fee_amount)``.

    Direction is zero-for-one when current >= target; ``amount_remaining`` > = 0 is exact input,
    < 0 exact output (token wei). Fees are in pips (1e6 = 100 %). Exact input spends at most
    ``floor(rem * (1e6 - fee) / 1e6)`` before fees; amounts in round up, amounts out round down;
    exact output is capped at ``-amount_remaining``. The fee is the unspent remainder when an
    exact-input step stops short of the target, else ``ceil(amount_in * fee / (1e6 - fee))``.

    Source: contracts/libraries/SwapMath.sol::computeSwapStep
    """
    zero_for_one = sqrt_ratio_current_x96 >= sqrt_ratio_target_x96
    exact_in = amount_remaining >= 0

    if exact_in:
        amount_remaining_less_fee = amount_remaining * (_PIPS - fee_pips) // _PIPS
        if zero_for_one:
            amount_in = get_amount0_delta(
                sqrt_ratio_target_x96, sqrt_ratio_current_x96, liquidity, True
            )
        else:
            amount_in = get_amount1_delta(
                sqrt_ratio_current_x96, sqrt_ratio_target_x96, liquidity, True
            )
        if amount_remaining_less_fee >= amount_in:
            sqrt_ratio_next_x96 = sqrt_ratio_target_x96
        else:
            sqrt_ratio_next_x96 = get_next_sqrt_price_from_input(
                sqrt_ratio_current_x96, liquidity, amount_remaining_less_fee, zero_for_one
            )
        amount_out = 0
    else:
        if zero_for_one:
            amount_out = get_amount1_delta(
                sqrt_ratio_target_x96, sqrt_ratio_current_x96, liquidity, False
            )
        else:
            amount_out = get_amount0_delta(
                sqrt_ratio_current_x96, sqrt_ratio_target_x96, liquidity, False
            )
        if -amount_remaining >= amount_out:
            sqrt_ratio_next_x96 = sqrt_ratio_target_x96
        else:
            sqrt_ratio_next_x96 = get_next_sqrt_price_from_output(
                sqrt_ratio_current_x96, liquidity, -amount_remaining, zero_for_one
            )
        amount_in = 0

    reached_target = sqrt_ratio_target_x96 == sqrt_ratio_next_x96

    if zero_for_one:
        if not (reached_target and exact_in):
            amount_in = get_amount0_delta(
                sqrt_ratio_next_x96, sqrt_ratio_current_x96, liquidity, True
            )
        if not (reached_target and not exact_in):
            amount_out = get_amount1_delta(
                sqrt_ratio_next_x96, sqrt_ratio_current_x96, liquidity, False
            )
    else:
        if not (reached_target and exact_in):
            amount_in = get_amount1_delta(
                sqrt_ratio_current_x96, sqrt_ratio_next_x96, liquidity, True
            )
        if not (reached_target and not exact_in):
            amount_out = get_amount0_delta(
                sqrt_ratio_current_x96, sqrt_ratio_next_x96, liquidity, False
            )

    if not exact_in and amount_out > -amount_remaining:
        amount_out = -amount_remaining

    if exact_in and not reached_target:
        fee_amount = amount_remaining - amount_in
    else:
        q, r = divmod(amount_in * fee_pips, _PIPS - fee_pips)
        fee_amount = q + 1 if r else q
    return sqrt_ratio_next_x96, amount_in, amount_out, fee_amount
