"""The windows and the aggregation every headline figure of a run obeys (their definitions are
in ballast.report.metrics and docs/metrics.md): never annualised from under 7 days, 7-day and
30-day figures only for runs that long, figures across providers weighted by capital."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["MIN_30D_DAYS", "MIN_7D_DAYS", "MIN_ANNUALISE_DAYS", "capital_weighted"]

MIN_ANNUALISE_DAYS = 7  # DESIGN: never annualised from under 7 days
MIN_7D_DAYS = 7  # a 7-day figure only for a run of 7 days or more
MIN_30D_DAYS = 30  # a 30-day figure only for a run of 30 days or more


def capital_weighted(pairs: Iterable[tuple[float | None, float]]) -> float | None:
    """Mean of the values weighted by capital, over the (value, capital) pairs whose value is
    not None; None when none has one (lp_apr_pct)."""
    total = weight = 0.0
    for value, capital in pairs:
        if value is not None and capital > 0:
            total += value * capital
            weight += capital
    return total / weight if weight else None
