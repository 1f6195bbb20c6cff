"""SwapMath.computeSwapStep: vectors from Uniswap/v3-core test/SwapMath.spec.ts, plus properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballast.curie.errors import CurieError
from ballast.curie.univ3.sqrt_price_math import (
    get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
)
from ballast.curie.univ3.swap_math import compute_swap_step
from ballast.curie.univ3.tick_math import MAX_SQRT_RATIO, MIN_SQRT_RATIO
from tests.curie import encode_price_sqrt

E18 = 10**18
P1 = encode_price_sqrt(1, 1)
P_SMALL = 20282409603651670423947251286016

# (name, current, target, liquidity, remaining, fee pips) -> (sqrt next, in, out, fee)
VECTORS = [
    ("exact in capped at target, one for zero", P1, encode_price_sqrt(101, 100), 2 * E18, E18, 600,
     (encode_price_sqrt(101, 100), 9975124224178055, 9925619580021728, 5988667735148)),
    ("exact out capped at target, one for zero", P1, encode_price_sqrt(101, 100), 2 * E18, -E18, 600,
     (encode_price_sqrt(101, 100), 9975124224178055, 9925619580021728, 5988667735148)),
    ("exact in fully spent, one for zero", P1, encode_price_sqrt(1000, 100), 2 * E18, E18, 600,
     (get_next_sqrt_price_from_input(P1, 2 * E18, E18 - 600000000000000, False),
      999400000000000000, 666399946655997866, 600000000000000)),
    ("exact out fully received, one for zero", P1, encode_price_sqrt(10000, 100), 2 * E18, -E18, 600,
     (get_next_sqrt_price_from_output(P1, 2 * E18, E18, False), 2 * E18, E18, 1200720432259356)),
    ("amount out is capped at the desired amount out", 417332158212080721273783715441582,
     1452870262520218020823638996, 159344665391607089467575320103, -1, 1,
     (417332158212080721273783715441581, 1, 1, 1)),
    ("target price of 1 uses partial input amount", 2, 1, 1, 3915081100057732413702495386755767, 1,
     (1, 39614081257132168796771975168, 0, 39614120871253040049813)),
    ("entire input amount taken as fee", 2413, 79887613182836312, 1985041575832132834610021537970, 10, 1872,
     (2413, 0, 0, 10)),
    ("intermediate insufficient liquidity, zero for one exact output", P_SMALL, P_SMALL * 11 // 10, 1024, -4, 3000,
     (P_SMALL * 11 // 10, 26215, 0, 79)),
    ("intermediate insufficient liquidity, one for zero exact output", P_SMALL, P_SMALL * 9 // 10, 1024, -263000, 3000,
     (P_SMALL * 9 // 10, 1, 26214, 1)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "current", "target", "liquidity", "remaining", "fee", "expected"), VECTORS
)
def test_compute_swap_step_vectors(name, current, target, liquidity, remaining, fee, expected):
    assert compute_swap_step(current, target, liquidity, remaining, fee) == expected


def test_exact_in_capped_step_uses_less_than_the_whole_amount():
    nxt, amount_in, _, fee = compute_swap_step(P1, encode_price_sqrt(101, 100), 2 * E18, E18, 600)
    assert amount_in + fee < E18
    assert nxt < get_next_sqrt_price_from_input(P1, 2 * E18, E18, False)


def test_zero_liquidity_jumps_to_the_target():
    assert compute_swap_step(P1, encode_price_sqrt(1, 2), 0, E18, 3000) == (
        encode_price_sqrt(1, 2),
        0,
        0,
        0,
    )


prices = st.integers(MIN_SQRT_RATIO, MAX_SQRT_RATIO - 1)


@settings(max_examples=400, deadline=None)
@given(
    prices,
    prices,
    st.integers(1, 2**128 - 1),
    st.integers(-(2**200), 2**200).filter(lambda x: x != 0),
    st.integers(0, 999_999),
)
def test_step_never_overspends_or_overshoots(current, target, liquidity, remaining, fee):
    try:
        nxt, amount_in, amount_out, fee_amount = compute_swap_step(
            current, target, liquidity, remaining, fee
        )
    except CurieError:
        return
    assert min(current, target) <= nxt <= max(current, target)
    if remaining > 0:
        assert amount_in + fee_amount <= remaining
    else:
        assert amount_out <= -remaining
    if nxt != target and remaining > 0:
        assert amount_in + fee_amount == remaining
