"""TickBitmap: vectors from Uniswap/v3-core test/TickBitmap.spec.ts (tick spacing 1)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballast.curie.errors import TickNotSpaced
from ballast.curie.univ3.tick_bitmap import (
    flip_tick,
    next_initialized_tick_within_one_word,
    position,
)


def is_initialized(bitmap: dict[int, int], tick: int) -> bool:
    word, bit = position(tick)
    return bool(bitmap.get(word, 0) >> bit & 1)


def bitmap_with(ticks: list[int], spacing: int = 1) -> dict[int, int]:
    bitmap: dict[int, int] = {}
    for tick in ticks:
        flip_tick(bitmap, tick, spacing)
    return bitmap


def test_position_floors_negative_ticks():
    assert position(-1) == (-1, 255)
    assert position(-256) == (-1, 0)
    assert position(-257) == (-2, 255)
    assert position(256) == (1, 0)


def test_flip_tick_flips_only_the_specified_tick():
    bitmap = bitmap_with([-230])
    assert is_initialized(bitmap, -230)
    assert not any(is_initialized(bitmap, t) for t in (-231, -229, -230 + 256, -230 - 256))
    flip_tick(bitmap, -230, 1)
    assert bitmap == {}


def test_flip_tick_reverts_only_itself():
    bitmap = bitmap_with([-230, -259, -229, 500, -259, -229, -259])
    assert is_initialized(bitmap, -259)
    assert not is_initialized(bitmap, -229)


def test_flip_tick_requires_spacing():
    with pytest.raises(TickNotSpaced):
        flip_tick({}, 61, 60)


INITIALIZED = [70, 78, 84, 139, 240, 535]

NEXT = [
    # (tick, lte, extra initialized ticks, expected next, expected initialized)
    (78, False, [], 84, True),  # 'returns tick to right if at initialized tick'
    (77, False, [], 78, True),  # 'returns the tick directly to the right'
    (
        255,
        False,
        [],
        511,
        False,
    ),  # 'returns the next words initialized tick if on the right boundary'
    (328, False, [340], 340, True),  # 'returns the next initialized tick from the next word'
    (508, False, [], 511, False),  # 'does not exceed boundary'
    (383, False, [], 511, False),  # 'skips half word'
    (78, True, [], 78, True),  # 'returns same tick if initialized'
    (
        79,
        True,
        [],
        78,
        True,
    ),  # 'returns tick directly to the left of input tick if not initialized'
    (258, True, [], 256, False),  # 'will not exceed the word boundary'
    (256, True, [], 256, False),  # 'at the word boundary'
    (72, True, [], 70, True),  # 'word boundary less 1 (next initialized tick in next word)'
    (-1, True, [], -256, False),  # 'word boundary'
    (1023, True, [], 768, False),  # 'entire empty word'
    (900, True, [], 768, False),  # 'halfway through empty word'
    (456, True, [329], 329, True),  # 'boundary is initialized'
]


@pytest.mark.parametrize(("tick", "lte", "extra", "expected", "initialized"), NEXT)
def test_next_initialized_tick_within_one_word_vectors(tick, lte, extra, expected, initialized):
    bitmap = bitmap_with(INITIALIZED + extra)
    assert next_initialized_tick_within_one_word(bitmap, tick, 1, lte) == (expected, initialized)


def test_next_tick_with_spacing_rounds_compressed_tick_toward_negative_infinity():
    bitmap = bitmap_with([-120, 60], spacing=60)
    assert next_initialized_tick_within_one_word(bitmap, -1, 60, True) == (-120, True)
    # -61 compresses to -2; searching right starts at -1, the last bit of word -1
    assert next_initialized_tick_within_one_word(bitmap, -61, 60, False) == (-60, False)
    assert next_initialized_tick_within_one_word(bitmap, -60, 60, False) == (60, True)
    assert next_initialized_tick_within_one_word(bitmap, -121, 60, True) == (-256 * 60, False)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-2000, 2000), max_size=30),
    st.integers(-2000, 2000),
    st.booleans(),
    st.sampled_from([1, 10, 60, 200]),
)
def test_next_tick_matches_a_linear_scan_within_the_word(ticks, tick, lte, spacing):
    ticks = [t * spacing for t in set(ticks)]
    bitmap = bitmap_with(ticks, spacing)
    nxt, initialized = next_initialized_tick_within_one_word(bitmap, tick, spacing, lte)
    compressed = tick // spacing
    if lte:
        word_start = (compressed >> 8) << 8
        candidates = [t for t in ticks if word_start * spacing <= t <= tick]
        assert (nxt, initialized) == (
            (max(candidates), True) if candidates else (word_start * spacing, False)
        )
    else:
        word_end = (((compressed + 1) >> 8) << 8) + 255
        candidates = [t for t in ticks if tick < t <= word_end * spacing]
        assert (nxt, initialized) == (
            (min(candidates), True) if candidates else (word_end * spacing, False)
        )
