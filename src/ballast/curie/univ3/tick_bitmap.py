"""Packed initialized-tick bitmap: one 256-bit word per ``compressed_tick >> 8``.

The bitmap is a ``dict[int, int]`` from word position (int16) to word (uint256); words that
become zero are deleted so equal states compare equal.

Source: contracts/libraries/TickBitmap.sol (Uniswap/v3-core)
"""

from __future__ import annotations

from ballast.curie.errors import TickNotSpaced
from ballast.fixed import div_floor, div_trunc

__all__ = ["position", "flip_tick", "next_initialized_tick_within_one_word"]


def position(tick: int) -> tuple[int, int]:
    """``(word_pos, bit_pos)`` of a compressed tick: ``(tick >> 8, tick mod 256)`` (floor semantics,
    as the reference's arithmetic shift and ``uint8(tick % 256)`` give for negative ticks).

    Source: contracts/libraries/TickBitmap.sol::position
    """
    return tick >> 8, tick & 0xFF


def flip_tick(bitmap: dict[int, int], tick: int, tick_spacing: int) -> None:
    """Toggle the initialized bit of ``tick`` (must be a multiple of ``tick_spacing``, else
    TickNotSpaced).

    Source: contracts/libraries/TickBitmap.sol::flipTick
    """
    if tick % tick_spacing:
        raise TickNotSpaced(f"tick {tick} is not a multiple of tick spacing {tick_spacing}")
    word_pos, bit_pos = position(div_trunc(tick, tick_spacing))  # exact: Solidity `/`
    word = bitmap.get(word_pos, 0) ^ (1 << bit_pos)
    if word:
        bitmap[word_pos] = word
    else:
        del bitmap[word_pos]


def next_initialized_tick_within_one_word(
    bitmap: dict[int, int], tick: int, tick_spacing: int, lte: bool
) -> tuple[int, bool]:
    """Next initialized tick at or left of ``tick`` (``lte``) or strictly right of it, searching only
    the 256-bit word that holds it -> ``(next_tick, initialized)``.

    With nothing initialized in that word, returns the word's edge tick (lowest for lte, highest
    otherwise) with ``initialized = False``; the swap loop therefore steps word by word.
    The compressed tick rounds toward negative infinity.

    Source: contracts/libraries/TickBitmap.sol::nextInitializedTickWithinOneWord
    """
    # the reference truncates, then steps down for negative non-multiples: a floor division
    compressed = div_floor(tick, tick_spacing)
    if lte:
        word_pos = compressed >> 8
        bit_pos = compressed & 0xFF
        masked = bitmap.get(word_pos, 0) & ((2 << bit_pos) - 1)
        if masked:
            return (compressed - bit_pos + masked.bit_length() - 1) * tick_spacing, True
        return (compressed - bit_pos) * tick_spacing, False
    compressed += 1
    word_pos = compressed >> 8
    bit_pos = compressed & 0xFF
    masked = (bitmap.get(word_pos, 0) >> bit_pos) << bit_pos
    if masked:
        lsb = (masked & -masked).bit_length() - 1
        return (compressed - bit_pos + lsb) * tick_spacing, True
    return (compressed + 255 - bit_pos) * tick_spacing, False
