"""Series cut down to what a chart can show: a line to at most MAX_POINTS points by LTTB, a band
between two lines to MAX_POINTS / 2 buckets of its lowest low and highest high.

A report chart is at most about 1000 CSS pixels wide, so a line of more points than twice that
looks the same downsampled, and the report stays the same size for a year as for a month.
Both functions are pure (lists in, lists out) and keep the first and last points.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MAX_POINTS", "lttb", "minmax_band"]

MAX_POINTS = 2_000


def lttb(xs: Sequence[float], ys: Sequence[float], threshold: int = MAX_POINTS) -> list[int]:
    """Indices (ascending) of at most `threshold` points of the line (xs ascending) chosen by
    Largest-Triangle-Three-Buckets: the first and last points are kept; the others are cut into
    threshold - 2 buckets of equal count, and from each bucket the point kept is the one making
    the largest triangle with the point kept from the bucket before and the mean point of the
    bucket after. Every index when the line has at most `threshold` points (or threshold < 3).

    Source: Sveinn Steinarsson, "Downsampling Time Series for Visual Representation", MSc
    thesis, University of Iceland, 2013, section 4.2 (Largest-Triangle-Three-Buckets).
    """
    n = len(xs)
    if n != len(ys):
        raise ValueError(f"lttb: {n} x values but {len(ys)} y values")
    if threshold >= n or threshold < 3:
        return list(range(n))
    every = (n - 2) / (threshold - 2)
    keep = [0]
    a = 0
    for bucket in range(threshold - 2):
        start = int(bucket * every) + 1
        end = int((bucket + 1) * every) + 1
        next_start, next_end = end, min(int((bucket + 2) * every) + 1, n)  # the last: the last point
        count = next_end - next_start
        mean_x = sum(xs[next_start:next_end]) / count
        mean_y = sum(ys[next_start:next_end]) / count
        ax, ay = xs[a], ys[a]
        dx, dy = mean_x - ax, mean_y - ay
        best, best_area = start, -1.0
        for i in range(start, end):
            area = abs(dx * (ys[i] - ay) - (xs[i] - ax) * dy)  # twice the triangle's area
            if area > best_area:
                best, best_area = i, area
        keep.append(best)
        a = best
    keep.append(n - 1)
    return keep


def minmax_band(
    xs: Sequence[float], lows: Sequence[float], highs: Sequence[float], buckets: int = MAX_POINTS // 2
) -> tuple[list, list[float], list[float]]:
    """(xs, lows, highs) of a band between two lines sampled at the same xs, in at most `buckets`
    runs of equal count, each drawn from its first x with its lowest low and highest high, so
    the band covers every point (the whole band when it has at most `buckets` points)."""
    n = len(xs)
    if not n == len(lows) == len(highs):
        raise ValueError("minmax_band: xs, lows and highs differ in length")
    if n <= buckets:
        return list(xs), [float(v) for v in lows], [float(v) for v in highs]
    out_x, bottom, top = [], [], []
    for run in range(buckets):
        lo, hi = run * n // buckets, (run + 1) * n // buckets
        out_x.append(xs[lo])
        bottom.append(float(min(lows[lo:hi])))
        top.append(float(max(highs[lo:hi])))
    return out_x, bottom, top
