"""TickMath: vectors from Uniswap/v3-core test/TickMath.spec.ts and spec/perp_curie.md 1.1-1.2."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballast.curie.errors import SqrtRatioOutOfRange, TickOutOfRange
from ballast.curie.univ3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)
from tests.curie import encode_price_sqrt

SQRT_RATIO_AT_TICK = [
    (MIN_TICK, 4295128739),  # TickMath.spec.ts 'min tick'
    (MIN_TICK + 1, 4295343490),  # 'min tick +1'
    (MAX_TICK - 1, 1461373636630004318706518188784493106690254656249),  # 'max tick - 1'
    (MAX_TICK, 1461446703485210103287273052203988822378723970342),  # 'max tick'
    (0, 79228162514264337593543950336),  # spec 1.1: S(0) = 2^96
    (50000, 965075977353221155028623082916),  # spec 1.1
    (50200, 974774664819573627708881414625),  # spec 1.1
]


@pytest.mark.parametrize(("tick", "expected"), SQRT_RATIO_AT_TICK)
def test_get_sqrt_ratio_at_tick_vectors(tick, expected):
    assert get_sqrt_ratio_at_tick(tick) == expected


def test_bounds_are_the_ratios_of_the_tick_bounds():
    assert get_sqrt_ratio_at_tick(MIN_TICK) == MIN_SQRT_RATIO
    assert get_sqrt_ratio_at_tick(MAX_TICK) == MAX_SQRT_RATIO
    # 'min tick ratio is less than js implementation' / 'max tick ratio is greater ...'
    assert MIN_SQRT_RATIO < encode_price_sqrt(1, 2**127)
    assert MAX_SQRT_RATIO > encode_price_sqrt(2**127, 1)


@pytest.mark.parametrize("tick", [MIN_TICK - 1, MAX_TICK + 1])
def test_get_sqrt_ratio_at_tick_rejects_out_of_range(tick):
    with pytest.raises(TickOutOfRange) as info:
        get_sqrt_ratio_at_tick(tick)
    assert info.value.code == "T"


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (MIN_SQRT_RATIO, MIN_TICK),  # 'ratio of min tick'
        (4295343490, MIN_TICK + 1),  # 'ratio of min tick + 1'
        (
            1461373636630004318706518188784493106690254656249,
            MAX_TICK - 1,
        ),  # 'ratio of max tick - 1'
        (MAX_SQRT_RATIO - 1, MAX_TICK - 1),  # 'ratio closest to max tick'
        (974774664819573627711176820911, 50200),  # spec 1.9
        (encode_price_sqrt("151.373306858723226651", 1), 50199),  # spec 1.9
        (encode_price_sqrt(1, 1), 0),
    ],
)
def test_get_tick_at_sqrt_ratio_vectors(ratio, expected):
    assert get_tick_at_sqrt_ratio(ratio) == expected


@pytest.mark.parametrize("ratio", [MIN_SQRT_RATIO - 1, MAX_SQRT_RATIO])
def test_get_tick_at_sqrt_ratio_rejects_out_of_range(ratio):
    with pytest.raises(SqrtRatioOutOfRange) as info:
        get_tick_at_sqrt_ratio(ratio)
    assert info.value.code == "R"


@pytest.mark.parametrize(
    "ratio",
    [
        encode_price_sqrt(10**12, 1),
        encode_price_sqrt(10**6, 1),
        encode_price_sqrt(1, 64),
        encode_price_sqrt(1, 8),
        encode_price_sqrt(1, 2),
        encode_price_sqrt(1, 1),
        encode_price_sqrt(2, 1),
        encode_price_sqrt(8, 1),
        encode_price_sqrt(64, 1),
        encode_price_sqrt(1, 10**6),
        encode_price_sqrt(1, 10**12),
    ],
)
def test_ratio_is_between_the_tick_and_tick_plus_one(ratio):
    # TickMath.spec.ts 'ratio is between the tick and tick+1'
    tick = get_tick_at_sqrt_ratio(ratio)
    assert get_sqrt_ratio_at_tick(tick) <= ratio < get_sqrt_ratio_at_tick(tick + 1)


def test_sqrt_ratio_is_strictly_increasing_on_a_stride_of_ticks():
    ticks = range(MIN_TICK, MAX_TICK + 1, 997)
    ratios = [get_sqrt_ratio_at_tick(t) for t in ticks]
    assert all(a < b for a, b in zip(ratios, ratios[1:], strict=False))


@settings(max_examples=400, deadline=None)
@given(st.integers(MIN_TICK, MAX_TICK))
def test_tick_round_trips_through_its_sqrt_ratio(tick):
    assert get_tick_at_sqrt_ratio(min(get_sqrt_ratio_at_tick(tick), MAX_SQRT_RATIO - 1)) == min(
        tick, MAX_TICK - 1
    )


@settings(max_examples=400, deadline=None)
@given(st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1))
def test_tick_at_sqrt_ratio_is_the_largest_tick_at_or_below(ratio):
    tick = get_tick_at_sqrt_ratio(ratio)
    assert get_sqrt_ratio_at_tick(tick) <= ratio < get_sqrt_ratio_at_tick(tick + 1)


@settings(max_examples=200, deadline=None)
@given(st.integers(MIN_TICK + 1, MAX_TICK - 1))
def test_ratio_just_below_a_tick_maps_to_the_tick_below(tick):
    assert get_tick_at_sqrt_ratio(get_sqrt_ratio_at_tick(tick) - 1) == tick - 1
