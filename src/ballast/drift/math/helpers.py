"""Time helpers shared by funding and insurance updates.

`get_proportion_u128` / `get_proportion_i128` live in `ballast.fixed` as `proportion` /
`proportion_signed`.

Source: programs/drift/src/math/helpers.rs
"""

from __future__ import annotations

from ballast.fixed import div_trunc

__all__ = ["on_the_hour_update"]


def on_the_hour_update(now: int, last_update_ts: int, update_period: int) -> int:
    """Seconds (>= 0) until the next periodic update is allowed; 0 means it is due now.

    Updates are aligned to multiples of `update_period`: with `delay = last_update_ts mod period`
    (Euclidean), the wait is the full period when the period is <= 1 s or the last update was on
    the boundary; otherwise the rest of the current period (`period - delay`), or, when the last
    update came more than a third of a period late (`delay > trunc(period / 3)`), the rest of the
    following one (`2 * period - delay`). The result is `max(0, wait - (now - last_update_ts))`.

    Source: programs/drift/src/math/helpers.rs::on_the_hour_update
    """
    time_since_last_update = now - last_update_ts
    next_update_wait = update_period
    if update_period > 1:
        last_update_delay = last_update_ts % update_period
        if last_update_delay != 0:
            two_periods = update_period * 2
            if last_update_delay > div_trunc(update_period, 3):
                next_update_wait = two_periods - last_update_delay
            else:
                next_update_wait = update_period - last_update_delay
            if next_update_wait > two_periods:
                next_update_wait -= update_period
    return max(0, next_update_wait - time_since_last_update)
