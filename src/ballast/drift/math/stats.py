"""Time-weighted averages and rolling sums used by the AMM's TWAPs and statistics.

Prices in PRICE_PRECISION (1e6), timestamps and weights in seconds. Signed divisions
truncate toward zero as Rust's do.

Source: programs/drift/src/math/stats.rs
"""

from __future__ import annotations

from ballast.fixed import cast_i64, cast_u64, div_floor, div_trunc

__all__ = ["calculate_rolling_sum", "calculate_weighted_average", "calculate_new_twap"]


def calculate_rolling_sum(data1: int, data2: int, weight1_numer: int, weight1_denom: int) -> int:
    """Decay `data1` by the fraction of the window that elapsed, then add `data2`.

    Returns ``floor(data1 * max(0, weight1_denom - weight1_numer) / weight1_denom) + data2``
    (u64; missing time counts as zeros). Units are those of the data.

    Source: programs/drift/src/math/stats.rs::calculate_rolling_sum
    """
    kept = div_floor(data1 * max(0, weight1_denom - weight1_numer), weight1_denom)
    return cast_u64(cast_u64(kept) + data2)


def calculate_weighted_average(
    data1: int, data2: int, weight1: int, weight2: int, bias: int | None = None
) -> int:
    """Weighted mean of `data1` (weight1) and `data2` (weight2) plus a one-unit bias.

    If either weight is zero the other datum is returned unchanged. The mean truncates toward
    zero; unless `bias` is given it is -1 / +1 / 0 as ``data2*weight2`` is below / above /
    equal to ``data1*weight1`` when ``weight2 > 1`` (else 0). A zero mean with a negative bias
    stays 0. Returns i64.

    Source: programs/drift/src/math/stats.rs::calculate_weighted_average
    """
    if weight1 == 0:
        return data2
    if weight2 == 0:
        return data1
    prev_twap_99 = data1 * weight1
    latest_price_01 = data2 * weight2
    if bias is None:
        if weight2 > 1:
            bias = (latest_price_01 > prev_twap_99) - (latest_price_01 < prev_twap_99)
        else:
            bias = 0
    twap = cast_i64(div_trunc(prev_twap_99 + latest_price_01, weight1 + weight2))
    if twap == 0 and bias < 0:
        return twap
    return cast_i64(twap + bias)


def calculate_new_twap(
    current_price: int, current_ts: int, last_twap: int, last_ts: int, period: int
) -> int:
    """TWAP over `period` seconds after observing `current_price` at `current_ts`.

    Weights the new price by the time since `last_ts` (>= 0) and the old TWAP by the rest of
    the period (>= 1); see `calculate_weighted_average` for rounding. Returns i64 (1e6).

    Source: programs/drift/src/math/stats.rs::calculate_new_twap
    """
    since_last = max(0, current_ts - last_ts)
    from_start = max(1, period - since_last)
    return calculate_weighted_average(current_price, last_twap, since_last, from_start)
