"""Position accounting: update_position_and_market and its helpers
(controller/position.rs, math/position.rs).

Vectors for update_position_and_market are copied from the reference's
programs/drift/src/controller/position/tests.rs (each row names its Rust test); the remainder
cases follow drift_bal.md 6.3 and are worked by hand in the comments. No expected value here is
computed with the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballast.drift.constants import MAX_PERP_POSITIONS
from ballast.drift.controller.position import (
    decrease_open_bids_and_asks,
    force_get_perp_position,
    increase_open_bids_and_asks,
    update_position_and_market,
    update_quote_asset_amount,
    update_quote_asset_and_break_even_amount,
)
from ballast.drift.errors import (
    InvalidPerpPositionDetected,
    InvalidPositionDelta,
    InvalidPositionLastFundingRate,
    MaxNumberOfPositions,
)
from ballast.drift.math.position import (
    PositionDelta,
    PositionUpdateType,
    calculate_break_even_price,
    calculate_cost_basis,
    calculate_entry_price,
    get_new_position_amounts,
    get_position_delta_for_fill,
    get_position_update_type,
)
from ballast.drift.state.perp_market import AMM, PerpMarket
from ballast.drift.state.user import PerpPosition, PositionDirection, User
from ballast.fixed import MathError

BASE = 1_000_000_000  # BASE_PRECISION

# ---------------------------------------------------------------------------------------------
# Reference vectors: programs/drift/src/controller/position/tests.rs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vector:
    rust_test: str
    # position before: base, quote, entry, break-even, last_cumulative_funding_rate
    position: tuple[int, int, int, int, int]
    delta: tuple[int, int]  # base, quote
    amm: dict[str, int]  # AMM fields the Rust test sets (AMM::default_test has order_step_size 1)
    users_with_base: int
    # position after: base, quote, entry, break-even, last_cumulative_funding_rate
    expected_position: tuple[int, int, int, int, int]
    expected_pnl: int
    # market after: number_of_users_with_base, base_asset_amount_long, base_asset_amount_short,
    # quote_asset_amount, quote_entry_amount_long, quote_entry_amount_short,
    # quote_break_even_amount_long, quote_break_even_amount_short
    expected_market: tuple[int, int, int, int, int, int, int, int]


_FLIP_LONG_AMM = {
    "base_asset_amount_with_amm": 10,
    "base_asset_amount_long": 10,
    "quote_asset_amount": -10,
    "quote_break_even_amount_long": -12,
    "quote_entry_amount_long": -10,
    "cumulative_funding_rate_short": 2,
    "cumulative_funding_rate_long": 1,
}
_SHORT_10_AMM = {
    "base_asset_amount_short": -10,
    "quote_asset_amount": 100,
    "quote_entry_amount_short": 100,
    "quote_break_even_amount_short": 200,
    "cumulative_funding_rate_short": 1,
}
_FLIP_SHORT_AMM = {
    "base_asset_amount_with_amm": -10,
    "base_asset_amount_short": -10,
    "quote_asset_amount": 100,
    "quote_entry_amount_short": 100,
    "quote_break_even_amount_short": 200,
    "cumulative_funding_rate_long": 2,
    "cumulative_funding_rate_short": 1,
}
_CLOSE_LONG_AMM = {
    "base_asset_amount_with_amm": 11,
    "base_asset_amount_long": 11,
    "quote_asset_amount": -11,
    "quote_entry_amount_long": -11,
    "quote_break_even_amount_long": -13,
    "cumulative_funding_rate_long": 1,
}
_CLOSE_SHORT_AMM = {
    "base_asset_amount_short": -11,
    "quote_asset_amount": 11,
    "quote_entry_amount_short": 11,
    "quote_break_even_amount_short": 13,
    "cumulative_funding_rate_short": 1,
}

VECTORS = [
    Vector(
        "increase_long_from_no_position",
        (0, 0, 0, 0, 0), (1, -1), {"cumulative_funding_rate_long": 1}, 0,
        (1, -1, -1, -1, 1), 0, (1, 1, 0, -1, -1, 0, -1, 0),
    ),
    Vector(
        "increase_short_from_no_position",
        (0, 0, 0, 0, 0), (-1, 1), {"cumulative_funding_rate_short": 1}, 0,
        (-1, 1, 1, 1, 1), 0, (1, 0, -1, 1, 0, 1, 0, 1),
    ),
    Vector(
        "increase_long",
        (1, -1, -1, -2, 1), (1, -1),
        {
            "base_asset_amount_with_amm": 1,
            "base_asset_amount_long": 1,
            "quote_asset_amount": -1,
            "quote_break_even_amount_long": -2,
            "quote_entry_amount_long": -1,
            "cumulative_funding_rate_long": 1,
        },
        1,
        (2, -2, -2, -3, 1), 0, (1, 2, 0, -2, -2, 0, -3, 0),
    ),
    Vector(
        "increase_short",
        (-1, 1, 1, 2, 1), (-1, 1),
        {
            "base_asset_amount_short": -1,
            "quote_asset_amount": 1,
            "quote_entry_amount_short": 1,
            "quote_break_even_amount_short": 2,
            "cumulative_funding_rate_short": 1,
        },
        1,
        (-2, 2, 2, 3, 1), 0, (1, 0, -2, 2, 0, 2, 0, 3),
    ),
    Vector(
        "reduce_long_profitable",
        (10, -10, -10, -12, 1), (-1, 5),
        {
            "base_asset_amount_with_amm": 10,
            "base_asset_amount_long": 10,
            "quote_asset_amount": -10,
            "quote_entry_amount_long": -10,
            "quote_break_even_amount_long": -12,
            "cumulative_funding_rate_long": 1,
        },
        1,
        (9, -5, -9, -11, 1), 4, (1, 9, 0, -5, -9, 0, -11, 0),
    ),
    Vector(
        "reduce_long_unprofitable",
        (10, -100, -100, -200, 1), (-1, 5),
        {
            "base_asset_amount_with_amm": 10,
            "base_asset_amount_long": 10,
            "quote_asset_amount": -100,
            "quote_entry_amount_long": -100,
            "quote_break_even_amount_long": -200,
            "cumulative_funding_rate_long": 1,
        },
        1,
        (9, -95, -90, -180, 1), -5, (1, 9, 0, -95, -90, 0, -180, 0),
    ),
    Vector(
        "flip_long_to_short_profitable",
        (10, -10, -10, -12, 1), (-11, 22), _FLIP_LONG_AMM, 1,
        (-1, 12, 2, 2, 2), 10, (1, 0, -1, 12, 0, 2, 0, 2),
    ),
    Vector(
        "flip_long_to_short_unprofitable",
        (10, -10, -10, -12, 1), (-11, 10), _FLIP_LONG_AMM, 1,
        (-1, 0, 1, 1, 2), -1, (1, 0, -1, 0, 0, 1, 0, 1),
    ),
    Vector(
        "reduce_short_profitable",
        (-10, 100, 100, 200, 1), (1, -5), _SHORT_10_AMM, 1,
        (-9, 95, 90, 180, 1), 5, (1, 0, -9, 95, 0, 90, 0, 180),
    ),
    Vector(
        "decrease_short_unprofitable",
        (-10, 100, 100, 200, 1), (1, -15), _SHORT_10_AMM, 1,
        (-9, 85, 90, 180, 1), -5, (1, 0, -9, 85, 0, 90, 0, 180),
    ),
    Vector(
        "flip_short_to_long_profitable",
        (-10, 100, 100, 200, 1), (11, -60), _FLIP_SHORT_AMM, 1,
        (1, 40, -6, -6, 2), 46, (1, 1, 0, 40, -6, 0, -6, 0),
    ),
    Vector(
        "flip_short_to_long_unprofitable",
        (-10, 100, 100, 200, 1), (11, -120), _FLIP_SHORT_AMM, 1,
        (1, -20, -11, -11, 2), -9, (1, 1, 0, -20, -11, 0, -11, 0),
    ),
    Vector(
        "close_long_profitable",
        (10, -10, -10, -12, 1), (-10, 15), _CLOSE_LONG_AMM, 2,
        (0, 5, 0, 0, 0), 5, (1, 1, 0, 4, -1, 0, -1, 0),
    ),
    Vector(
        "close_long_unprofitable",
        (10, -10, -10, -12, 1), (-10, 5), _CLOSE_LONG_AMM, 2,
        (0, -5, 0, 0, 0), -5, (1, 1, 0, -6, -1, 0, -1, 0),
    ),
    Vector(
        "close_short_profitable",
        (-10, 10, 10, 12, 1), (10, -5), _CLOSE_SHORT_AMM, 2,
        (0, 5, 0, 0, 0), 5, (1, 0, -1, 6, 0, 1, 0, 1),
    ),
    Vector(
        "close_short_unprofitable",
        (-10, 10, 10, 12, 1), (10, -15), _CLOSE_SHORT_AMM, 2,
        (0, -5, 0, 0, 0), -5, (1, 0, -1, -4, 0, 1, 0, 1),
    ),
    Vector(
        "close_long_with_quote_break_even_amount_less_than_quote_asset_amount",
        (10, -10, -8, -9, 1), (-10, 5),
        {
            "base_asset_amount_with_amm": 11,
            "base_asset_amount_long": 11,
            "quote_asset_amount": -11,
            "quote_entry_amount_long": -8,
            "quote_break_even_amount_long": -9,
            "cumulative_funding_rate_long": 1,
        },
        2,
        (0, -5, 0, 0, 0), -3, (1, 1, 0, -6, 0, 0, 0, 0),
    ),
    Vector(
        "close_short_with_quote_break_even_amount_more_than_quote_asset_amount",
        (-10, 10, 15, 17, 1), (10, -15),
        {
            "base_asset_amount_short": -11,
            "quote_asset_amount": 11,
            "quote_entry_amount_short": 15,
            "quote_break_even_amount_short": 17,
            "cumulative_funding_rate_short": 1,
        },
        2,
        (0, -5, 0, 0, 0), 0, (1, 0, -1, -4, 0, 0, 0, 0),
    ),
]


def _position(values: tuple[int, int, int, int, int], **extra: int) -> PerpPosition:
    base, quote, entry, break_even, funding = values
    return PerpPosition(
        base_asset_amount=base,
        quote_asset_amount=quote,
        quote_entry_amount=entry,
        quote_break_even_amount=break_even,
        last_cumulative_funding_rate=funding,
        **extra,
    )


def _market(amm_fields: dict[str, int], users_with_base: int, users: int | None = None) -> PerpMarket:
    fields = {"order_step_size": 1, **amm_fields}
    return PerpMarket(
        amm=AMM(**fields),
        number_of_users_with_base=users_with_base,
        number_of_users=users_with_base if users is None else users,
    )


def _run(vector: Vector) -> tuple[PerpPosition, PerpMarket, int]:
    position = _position(vector.position)
    market = _market(vector.amm, vector.users_with_base)
    pnl = update_position_and_market(position, market, PositionDelta(*vector.delta))
    return position, market, pnl


def _position_tuple(position: PerpPosition) -> tuple[int, int, int, int, int]:
    return (
        position.base_asset_amount,
        position.quote_asset_amount,
        position.quote_entry_amount,
        position.quote_break_even_amount,
        position.last_cumulative_funding_rate,
    )


def _market_tuple(market: PerpMarket) -> tuple[int, int, int, int, int, int, int, int]:
    amm = market.amm
    return (
        market.number_of_users_with_base,
        amm.base_asset_amount_long,
        amm.base_asset_amount_short,
        amm.quote_asset_amount,
        amm.quote_entry_amount_long,
        amm.quote_entry_amount_short,
        amm.quote_break_even_amount_long,
        amm.quote_break_even_amount_short,
    )


_ids = [v.rust_test for v in VECTORS]


@pytest.mark.parametrize("vector", VECTORS, ids=_ids)
def test_update_position_and_market_sets_position_fields(vector: Vector) -> None:
    position, _, _ = _run(vector)
    assert _position_tuple(position) == vector.expected_position


@pytest.mark.parametrize("vector", VECTORS, ids=_ids)
def test_update_position_and_market_returns_realised_pnl(vector: Vector) -> None:
    _, _, pnl = _run(vector)
    assert pnl == vector.expected_pnl


@pytest.mark.parametrize("vector", VECTORS, ids=_ids)
def test_update_position_and_market_updates_market_aggregates(vector: Vector) -> None:
    _, market, _ = _run(vector)
    assert _market_tuple(market) == vector.expected_market


@pytest.mark.parametrize("vector", VECTORS, ids=_ids)
def test_update_position_and_market_leaves_base_asset_amount_with_amm_alone(vector: Vector) -> None:
    # increase_long asserts base_asset_amount_with_amm stays 1: only the AMM-fill caller moves it.
    _, market, _ = _run(vector)
    assert market.amm.base_asset_amount_with_amm == vector.amm.get("base_asset_amount_with_amm", 0)


# number_of_users is not asserted by the Rust vectors; expected values follow drift_core.md 7.2:
# +1 on Open of a position holding no base and no quote, -1 on Close leaving base and quote 0.
@pytest.mark.parametrize(
    ("position", "delta", "users_before", "users_after"),
    [
        pytest.param((0, 0, 0, 0, 0), (1, -1), 0, 1, id="open_from_empty_counts_user"),
        pytest.param((0, -3, 0, 0, 0), (1, -1), 1, 1, id="open_with_quote_already_counted"),
        pytest.param((10, -10, -10, -10, 0), (-10, 10), 1, 0, id="close_to_flat_uncounts_user"),
        pytest.param((10, -10, -10, -10, 0), (-10, 15), 1, 1, id="close_with_quote_left_keeps_user"),
        pytest.param((10, -10, -10, -10, 0), (-5, 5), 1, 1, id="reduce_keeps_user"),
        pytest.param((10, -10, -10, -10, 0), (-15, 15), 1, 1, id="flip_keeps_user"),
    ],
)
def test_update_position_and_market_counts_users(
    position: tuple[int, int, int, int, int],
    delta: tuple[int, int],
    users_before: int,
    users_after: int,
) -> None:
    pos = _position(position)
    amm = {"base_asset_amount_long": pos.base_asset_amount,
           "quote_entry_amount_long": pos.quote_entry_amount,
           "quote_break_even_amount_long": pos.quote_break_even_amount,
           "quote_asset_amount": pos.quote_asset_amount}
    market = _market(amm, 1 if pos.base_asset_amount else 0, users_before)
    update_position_and_market(pos, market, PositionDelta(*delta))
    assert market.number_of_users == users_after


# ---------------------------------------------------------------------------------------------
# Funding snapshot and step-size guards
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "delta_base", "amm_fields"),
    [
        pytest.param(10, 5, {"cumulative_funding_rate_long": 2}, id="long_increase"),
        pytest.param(10, -5, {"cumulative_funding_rate_long": 2}, id="long_reduce"),
        pytest.param(-10, -5, {"cumulative_funding_rate_short": 2}, id="short_increase"),
        pytest.param(-10, 15, {"cumulative_funding_rate_short": 2}, id="short_flip"),
    ],
)
def test_stale_funding_snapshot_raises_invalid_position_last_funding_rate(
    base: int, delta_base: int, amm_fields: dict[str, int]
) -> None:
    # The position's last_cumulative_funding_rate is 1, its side's market rate is 2.
    position = _position((base, -base, -base, -base, 1))
    market = _market(amm_fields, 1)
    with pytest.raises(InvalidPositionLastFundingRate):
        update_position_and_market(position, market, PositionDelta(delta_base, -delta_base))


def test_funding_check_uses_the_old_sides_rate() -> None:
    # A long whose snapshot equals cum_long passes even though cum_short differs.
    position = _position((10, -10, -10, -10, 7))
    market = _market({"cumulative_funding_rate_long": 7, "cumulative_funding_rate_short": 9}, 1)
    update_position_and_market(position, market, PositionDelta(-15, 15))
    assert position.last_cumulative_funding_rate == 9


def test_flat_position_skips_funding_check() -> None:
    position = _position((0, 0, 0, 0, 123))
    market = _market({"cumulative_funding_rate_long": 5}, 0)
    update_position_and_market(position, market, PositionDelta(1, -1))
    assert position.last_cumulative_funding_rate == 5


def test_old_base_not_on_step_raises_invalid_perp_position_detected() -> None:
    position = _position((15, -15, -15, -15, 0))
    market = _market({"order_step_size": 10, "base_asset_amount_long": 15}, 1)
    with pytest.raises(InvalidPerpPositionDetected):
        update_position_and_market(position, market, PositionDelta(10, -10))


def test_zero_order_step_size_raises_math_error() -> None:
    """The step check divides by order_step_size: a zero step is a MathError, not a
    ZeroDivisionError.

    Source: programs/drift/src/controller/position.rs::update_position_and_market
    (`is_multiple_of_step_size(...)?`, i.e. math/orders.rs `checked_rem_euclid(step_size)` -> MathError)
    """
    # Arrange
    position = _position((10, -10, -10, -10, 0))
    market = _market({"order_step_size": 0, "base_asset_amount_long": 10}, 1)
    # Act / Assert
    with pytest.raises(MathError):
        update_position_and_market(position, market, PositionDelta(10, -10))


def test_quote_only_delta_moves_quote_and_returns_it() -> None:
    position = _position((10, -10, -10, -12, 0))
    market = _market({"base_asset_amount_long": 10, "quote_asset_amount": -10,
                      "quote_entry_amount_long": -10, "quote_break_even_amount_long": -12}, 1)
    pnl = update_position_and_market(position, market, PositionDelta(0, 7))
    assert (pnl, _position_tuple(position), market.amm.quote_asset_amount) == (
        7, (10, -3, -10, -12, 0), -3,
    )


# ---------------------------------------------------------------------------------------------
# Remainders (drift_bal.md 6.3), worked by hand
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemainderCase:
    name: str
    step: int
    # position: base, remainder, quote, entry, break-even (last funding matches its side)
    position: tuple[int, int, int, int, int]
    delta: tuple[int, int, int | None]  # base, quote, remainder
    cum_long: int
    cum_short: int
    market_before: dict[str, int]
    # position after: base, remainder, quote, entry, break-even, last funding rate
    expected_position: tuple[int, int, int, int, int, int]
    expected_pnl: int
    expected_market: dict[str, int]


REMAINDER_CASES = [
    # Open with remainder only (step 10, d = (0, -5, rem 7)): |0+7| < 10, no fold; new base 0 so
    # entry/BE go to the *short* sums (rule: new_base > 0 ? long : short); funding: base+rem = 7 > 0
    # -> cum_long = 3. Counterparty: with_unsettled_lp += settled 0, quote_with_unsettled_lp -5.
    RemainderCase(
        "remainder_only_open_books_short_side_sums",
        10, (0, 0, 0, 0, 0), (0, -5, 7), 3, 4, {},
        (0, 7, -5, -5, -5, 3), 0,
        {"base_asset_amount_long": 0, "base_asset_amount_short": 0,
         "quote_entry_amount_short": -5, "quote_break_even_amount_short": -5,
         "quote_entry_amount_long": 0, "quote_asset_amount": -5,
         "base_asset_amount_with_unsettled_lp": 0, "quote_asset_amount_with_unsettled_lp": -5,
         "number_of_users": 1, "number_of_users_with_base": 1},
    ),
    # Increase that folds: P = 20+6 = 26, D = 10+7 = 17 -> Increase. rem 6+7 = 13 >= 10:
    # stepped = trunc(13/10)*10 = 10 -> base 20+10+10 = 40, settled 10+10 = 20, rem 3.
    # quote/entry/BE -20-10 = -30. Long OI 20+20 = 40; with_unsettled_lp +20; quote_wul -10.
    RemainderCase(
        "increase_folds_remainder_step_into_base",
        10, (20, 6, -20, -20, -20), (10, -10, 7), 0, 0,
        {"base_asset_amount_long": 20, "quote_entry_amount_long": -20,
         "quote_break_even_amount_long": -20, "quote_asset_amount": -20},
        (40, 3, -30, -30, -30, 0), 0,
        {"base_asset_amount_long": 40, "quote_entry_amount_long": -30,
         "quote_break_even_amount_long": -30, "quote_asset_amount": -30,
         "base_asset_amount_with_unsettled_lp": 20, "quote_asset_amount_with_unsettled_lp": -10},
    ),
    # Negative fold truncates toward zero: P = -26, D = 0-17 = -17 -> Increase. rem -6-17 = -23:
    # stepped = trunc(-23/10)*10 = -20 (floor would give -30), rem -3; base -20-20 = -40,
    # settled -20. quote/entry/BE 20+3 = 23. Short OI -40; with_unsettled_lp -20; quote_wul +3.
    RemainderCase(
        "negative_remainder_folds_toward_zero",
        10, (-20, -6, 20, 20, 20), (0, 3, -17), 0, 0,
        {"base_asset_amount_short": -20, "quote_entry_amount_short": 20,
         "quote_break_even_amount_short": 20, "quote_asset_amount": 20},
        (-40, -3, 23, 23, 23, 0), 0,
        {"base_asset_amount_short": -40, "quote_entry_amount_short": 23,
         "quote_break_even_amount_short": 23, "quote_asset_amount": 23,
         "base_asset_amount_with_unsettled_lp": -20, "quote_asset_amount_with_unsettled_lp": 3},
    ),
    # Reduce measured with remainders: cur = |30+5| = 35, dd = |-10-4| = 14 -> Reduce.
    # rem 5-4 = 1 (no fold), base 20, settled -10, quote -35+20 = -15.
    # entry' = -35 - trunc(-35*14/35) = -35+14 = -21; BE' = -42 - trunc(-588/35 = -16.8) = -26;
    # pnl = -35 - (-21) + 20 = 6. Long OI 30-10 = 20; long entry -35+14 = -21; long BE -42+16.
    RemainderCase(
        "reduce_prorates_entry_over_base_plus_remainder",
        10, (30, 5, -35, -35, -42), (-10, 20, -4), 0, 0,
        {"base_asset_amount_long": 30, "quote_entry_amount_long": -35,
         "quote_break_even_amount_long": -42, "quote_asset_amount": -35},
        (20, 1, -15, -21, -26, 0), 6,
        {"base_asset_amount_long": 20, "quote_entry_amount_long": -21,
         "quote_break_even_amount_long": -26, "quote_asset_amount": -15,
         "base_asset_amount_with_unsettled_lp": -10, "quote_asset_amount_with_unsettled_lp": 20},
    ),
    # Flip with remainders: cur = 13, dd = |-20-1| = 21 -> Flip. rem 3-1 = 2, base -10, settled -20.
    # entry' = BE' = 42 - trunc(42*13/21 = 26) = 16; pnl = -13 + 42 - 16 = 13.
    # Long side loses old base 10 / entry -13 / BE -13; short side gains -10 / 16 / 16.
    # Funding: new base + rem = -8 < 0 -> cum_short = 5.
    RemainderCase(
        "flip_moves_old_side_and_opens_new_side",
        10, (10, 3, -13, -13, -13), (-20, 42, -1), 0, 5,
        {"base_asset_amount_long": 10, "quote_entry_amount_long": -13,
         "quote_break_even_amount_long": -13, "quote_asset_amount": -13},
        (-10, 2, 29, 16, 16, 5), 13,
        {"base_asset_amount_long": 0, "quote_entry_amount_long": 0,
         "quote_break_even_amount_long": 0, "base_asset_amount_short": -10,
         "quote_entry_amount_short": 16, "quote_break_even_amount_short": 16,
         "quote_asset_amount": 29,
         "base_asset_amount_with_unsettled_lp": -20, "quote_asset_amount_with_unsettled_lp": 42},
    ),
    # Close of a remainder-only position: P = 5, D = 0-5 -> Close. rem 0, base 0, quote -5+6 = 1.
    # entry' = -5 - trunc(-25/5) = 0; pnl = -5 - 0 + 6 = 1. Old base 0 is not > 0, so the short
    # sums (where the open booked it) release -5. users_with_base 1 -> 0; quote 1 != 0 keeps user.
    RemainderCase(
        "remainder_only_close_releases_short_side_sums",
        10, (0, 5, -5, -5, -5), (0, 6, -5), 0, 0,
        {"quote_entry_amount_short": -5, "quote_break_even_amount_short": -5,
         "quote_asset_amount": -5, "number_of_users": 1, "number_of_users_with_base": 1},
        (0, 0, 1, 0, 0, 0), 1,
        {"quote_entry_amount_short": 0, "quote_break_even_amount_short": 0,
         "quote_asset_amount": 1, "number_of_users": 1, "number_of_users_with_base": 0},
    ),
    # A delta without remainder (None) never folds the stored remainder even when |rem| >= step:
    # base 10+10 = 20, rem stays 15, counterparty sums untouched.
    RemainderCase(
        "fill_without_remainder_does_not_fold",
        10, (10, 15, -25, -25, -25), (10, -10, None), 0, 0,
        {"base_asset_amount_long": 10, "quote_entry_amount_long": -25,
         "quote_break_even_amount_long": -25, "quote_asset_amount": -25},
        (20, 15, -35, -35, -35, 0), 0,
        {"base_asset_amount_long": 20, "quote_entry_amount_long": -35,
         "quote_asset_amount": -35, "base_asset_amount_with_unsettled_lp": 0,
         "quote_asset_amount_with_unsettled_lp": 0},
    ),
]

_MARKET_LEVEL = ("number_of_users", "number_of_users_with_base")


def _run_remainder(case: RemainderCase) -> tuple[PerpPosition, PerpMarket, int]:
    base, rem, quote, entry, break_even = case.position
    side_rate = case.cum_long if base > 0 else case.cum_short if base < 0 else 0
    position = PerpPosition(
        base_asset_amount=base,
        remainder_base_asset_amount=rem,
        quote_asset_amount=quote,
        quote_entry_amount=entry,
        quote_break_even_amount=break_even,
        last_cumulative_funding_rate=side_rate,
    )
    amm_fields = {k: v for k, v in case.market_before.items() if k not in _MARKET_LEVEL}
    market = PerpMarket(
        amm=AMM(
            order_step_size=case.step,
            cumulative_funding_rate_long=case.cum_long,
            cumulative_funding_rate_short=case.cum_short,
            **amm_fields,
        ),
        number_of_users=case.market_before.get("number_of_users", 0),
        number_of_users_with_base=case.market_before.get("number_of_users_with_base", 0),
    )
    d_base, d_quote, d_rem = case.delta
    pnl = update_position_and_market(position, market, PositionDelta(d_base, d_quote, d_rem))
    return position, market, pnl


_rids = [c.name for c in REMAINDER_CASES]


@pytest.mark.parametrize("case", REMAINDER_CASES, ids=_rids)
def test_remainder_update_sets_position_fields(case: RemainderCase) -> None:
    position, _, _ = _run_remainder(case)
    assert (
        position.base_asset_amount,
        position.remainder_base_asset_amount,
        position.quote_asset_amount,
        position.quote_entry_amount,
        position.quote_break_even_amount,
        position.last_cumulative_funding_rate,
    ) == case.expected_position


@pytest.mark.parametrize("case", REMAINDER_CASES, ids=_rids)
def test_remainder_update_returns_realised_pnl(case: RemainderCase) -> None:
    _, _, pnl = _run_remainder(case)
    assert pnl == case.expected_pnl


@pytest.mark.parametrize("case", REMAINDER_CASES, ids=_rids)
def test_remainder_update_updates_market_aggregates(case: RemainderCase) -> None:
    _, market, _ = _run_remainder(case)
    actual = {
        key: getattr(market if key in _MARKET_LEVEL else market.amm, key)
        for key in case.expected_market
    }
    assert actual == case.expected_market


@pytest.mark.parametrize(
    ("remainder", "raises"),
    [pytest.param((1 << 31) - 1, False, id="i32_max_fits"), pytest.param(1 << 31, True, id="over")],
)
def test_remainder_outside_i32_raises_invalid_position_delta(remainder: int, raises: bool) -> None:
    # step 2^40 > |remainder|, so nothing folds and the whole remainder must fit i32.
    position = PerpPosition()
    delta = PositionDelta(0, 0, remainder)
    if raises:
        with pytest.raises(InvalidPositionDelta):
            get_new_position_amounts(position, delta, 1 << 40)
    else:
        assert get_new_position_amounts(position, delta, 1 << 40) == (0, 0, 0, remainder)


def test_zero_remainder_delta_without_base_takes_quote_only_path() -> None:
    # delta (0, 7, rem 0): (d.rem or 0) == 0 -> quote-only shortcut, no counterparty bookkeeping.
    position = _position((10, -10, -10, -10, 0))
    market = _market({"base_asset_amount_long": 10, "quote_asset_amount": -10}, 1)
    pnl = update_position_and_market(position, market, PositionDelta(0, 7, 0))
    assert (pnl, position.quote_asset_amount, position.quote_entry_amount,
            market.amm.quote_asset_amount_with_unsettled_lp) == (7, -3, -10, 0)


@pytest.mark.parametrize(
    ("base", "rem", "delta", "expected"),
    [
        pytest.param(0, 0, PositionDelta(5, -5), PositionUpdateType.Open, id="open"),
        pytest.param(10, 0, PositionDelta(5, -5), PositionUpdateType.Increase, id="increase"),
        pytest.param(10, 0, PositionDelta(-5, 5), PositionUpdateType.Reduce, id="reduce"),
        pytest.param(10, 0, PositionDelta(-10, 5), PositionUpdateType.Close, id="close"),
        pytest.param(10, 0, PositionDelta(-15, 5), PositionUpdateType.Flip, id="flip"),
        pytest.param(-10, 0, PositionDelta(15, -5), PositionUpdateType.Flip, id="flip_short"),
        pytest.param(0, 3, PositionDelta(-3, 1), PositionUpdateType.Close, id="remainder_only_not_open"),
        pytest.param(10, 5, PositionDelta(-10, 5, -5), PositionUpdateType.Close, id="close_with_rems"),
        pytest.param(10, 5, PositionDelta(-12, 5), PositionUpdateType.Reduce, id="reduce_counts_rem"),
    ],
)
def test_get_position_update_type_classifies_base_plus_remainder(
    base: int, rem: int, delta: PositionDelta, expected: PositionUpdateType
) -> None:
    position = PerpPosition(base_asset_amount=base, remainder_base_asset_amount=rem)
    assert get_position_update_type(position, delta) is expected


# ---------------------------------------------------------------------------------------------
# Entry / break-even / cost basis
# ---------------------------------------------------------------------------------------------


def test_position_entry_sim_sequence() -> None:
    # Rust: test_position_entry_sim (step 0.1 base, cum_long 1). Open 0.5 @ 99.345, reduce 0.2
    # @ 99.245 (pnl -0.02), flip with -1 @ 99.345 (pnl 0); entry and break-even stay 99.345.
    position = PerpPosition()
    market = PerpMarket(amm=AMM(cumulative_funding_rate_long=1, sqrt_k=1,
                                order_step_size=BASE // 10))
    observed = []
    for delta in (
        PositionDelta(BASE // 2, -99_345_000 // 2),
        PositionDelta(-BASE // 5, 99_245_000 // 5),
        PositionDelta(-BASE, 99_345_000),
    ):
        pnl = update_position_and_market(position, market, delta)
        observed.append((pnl, position.base_asset_amount, calculate_entry_price(position),
                         calculate_break_even_price(position)))
    assert observed == [
        (0, 500_000_000, 99_345_000, 99_345_000),
        (-20_000, 300_000_000, 99_345_000, 99_345_000),
        (0, -700_000_000, 99_345_000, 99_345_000),
    ]


@pytest.mark.parametrize(
    ("position", "entry", "break_even", "cost_basis"),
    [
        pytest.param(PerpPosition(), 0, 0, 0, id="flat_is_zero"),
        # -(-15)*1e9/15 = 1e9 (remainder counts); cost basis -(-15)*1e9/10 = 1.5e9 (base only)
        pytest.param(
            PerpPosition(base_asset_amount=10, remainder_base_asset_amount=5,
                         quote_asset_amount=-15, quote_entry_amount=-15,
                         quote_break_even_amount=-30),
            1_000_000_000, 2_000_000_000, 1_500_000_000, id="remainder_in_entry_not_cost_basis",
        ),
        # -(1)*1e9/3 = -333333333.3 -> truncates to -333333333 (floor would be -333333334)
        pytest.param(
            PerpPosition(base_asset_amount=3, quote_asset_amount=1, quote_entry_amount=1,
                         quote_break_even_amount=1),
            -333_333_333, -333_333_333, -333_333_333, id="truncates_toward_zero",
        ),
        # short: -(7)*1e9/(-3) = 2333333333.3 -> 2333333333
        pytest.param(
            PerpPosition(base_asset_amount=-3, quote_asset_amount=7, quote_entry_amount=7,
                         quote_break_even_amount=8),
            2_333_333_333, 2_666_666_666, 2_333_333_333, id="short",
        ),
    ],
)
def test_entry_break_even_and_cost_basis_prices(
    position: PerpPosition, entry: int, break_even: int, cost_basis: int
) -> None:
    assert (
        calculate_entry_price(position),
        calculate_break_even_price(position),
        calculate_cost_basis(position),
    ) == (entry, break_even, cost_basis)


# ---------------------------------------------------------------------------------------------
# Quote / break-even helpers, slots, open orders, fill deltas
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "expected_long", "expected_short"),
    [
        pytest.param(10, -2, 0, id="long_moves_long_break_even_sum"),
        pytest.param(-10, 0, -2, id="short_moves_short_break_even_sum"),
        pytest.param(0, 0, 0, id="flat_moves_no_break_even"),
    ],
)
def test_update_quote_asset_and_break_even_amount_moves_side_sum(
    base: int, expected_long: int, expected_short: int
) -> None:
    position = PerpPosition(base_asset_amount=base, quote_asset_amount=5)
    market = _market({}, 0, 1)
    update_quote_asset_and_break_even_amount(position, market, -2)
    assert (
        position.quote_asset_amount,
        position.quote_break_even_amount,
        market.amm.quote_asset_amount,
        market.amm.quote_break_even_amount_long,
        market.amm.quote_break_even_amount_short,
    ) == (3, -2 if base else 0, -2, expected_long, expected_short)


@pytest.mark.parametrize(
    ("quote", "delta", "users_before", "users_after"),
    [
        pytest.param(0, 5, 0, 1, id="first_quote_counts_user"),
        pytest.param(-5, 5, 1, 0, id="quote_back_to_zero_uncounts_user"),
        pytest.param(-5, 2, 1, 1, id="partial_keeps_user"),
        pytest.param(0, 0, 0, 0, id="zero_delta_noop"),
    ],
)
def test_update_quote_asset_amount_counts_users(
    quote: int, delta: int, users_before: int, users_after: int
) -> None:
    position = PerpPosition(quote_asset_amount=quote)
    market = _market({}, 0, users_before)
    update_quote_asset_amount(position, market, delta)
    assert (position.quote_asset_amount, market.number_of_users) == (quote + delta, users_after)


def test_force_get_perp_position_returns_existing() -> None:
    existing = PerpPosition(market_index=3, base_asset_amount=1)
    user = User(perp_positions=[PerpPosition(market_index=1, base_asset_amount=1), existing])
    assert force_get_perp_position(user, 3) is existing


def test_force_get_perp_position_appends_new_empty_position() -> None:
    user = User(perp_positions=[PerpPosition(market_index=1, base_asset_amount=1)])
    position = force_get_perp_position(user, 4)
    assert (len(user.perp_positions), user.perp_positions[1] is position,
            position.market_index, position.base_asset_amount) == (2, True, 4, 0)


def test_force_get_perp_position_reuses_available_slot_when_full() -> None:
    slots = [PerpPosition(market_index=i, base_asset_amount=1) for i in range(MAX_PERP_POSITIONS)]
    slots[5] = PerpPosition(market_index=5)  # empty, available
    user = User(perp_positions=slots)
    position = force_get_perp_position(user, 42)
    assert (len(user.perp_positions), user.perp_positions[5] is position,
            position.market_index) == (MAX_PERP_POSITIONS, True, 42)


def test_force_get_perp_position_raises_when_all_slots_used() -> None:
    slots = [PerpPosition(market_index=i, base_asset_amount=1) for i in range(MAX_PERP_POSITIONS)]
    with pytest.raises(MaxNumberOfPositions):
        force_get_perp_position(User(perp_positions=slots), 42)


@pytest.mark.parametrize(
    ("direction", "expected_bids", "expected_asks"),
    [(PositionDirection.Long, 105, -100), (PositionDirection.Short, 100, -105)],
)
def test_increase_open_bids_and_asks(
    direction: PositionDirection, expected_bids: int, expected_asks: int
) -> None:
    position = PerpPosition(open_bids=100, open_asks=-100)
    increase_open_bids_and_asks(position, direction, 5)
    assert (position.open_bids, position.open_asks) == (expected_bids, expected_asks)


@pytest.mark.parametrize(
    ("direction", "expected_bids", "expected_asks"),
    [(PositionDirection.Long, 95, -100), (PositionDirection.Short, 100, -95)],
)
def test_decrease_open_bids_and_asks(
    direction: PositionDirection, expected_bids: int, expected_asks: int
) -> None:
    position = PerpPosition(open_bids=100, open_asks=-100)
    decrease_open_bids_and_asks(position, direction, 5)
    assert (position.open_bids, position.open_asks) == (expected_bids, expected_asks)


@pytest.mark.parametrize(
    ("direction", "expected"),
    [(PositionDirection.Long, PositionDelta(5, -7)), (PositionDirection.Short, PositionDelta(-5, 7))],
)
def test_get_position_delta_for_fill_signs(direction: PositionDirection, expected: PositionDelta) -> None:
    assert get_position_delta_for_fill(5, 7, direction) == expected


# ---------------------------------------------------------------------------------------------
# Property: market aggregates equal sums over positions
# ---------------------------------------------------------------------------------------------

N_POSITIONS = 4

fills = st.lists(
    st.tuples(
        st.integers(0, N_POSITIONS - 1),
        st.integers(-20, 20),
        st.integers(-1_000, 1_000),
    ),
    max_size=40,
)


def _replay(ops: list[tuple[int, int, int]]) -> tuple[list[PerpPosition], PerpMarket]:
    # Funding rates are all 0 and every snapshot is 0, so the funding check always passes.
    positions = [PerpPosition(last_cumulative_funding_rate=0) for _ in range(N_POSITIONS)]
    market = PerpMarket(amm=AMM(order_step_size=1))
    for index, base, quote in ops:
        update_position_and_market(positions[index], market, PositionDelta(base, quote))
    return positions, market


@given(fills)
def test_property_amm_quote_equals_sum_of_position_quotes(ops: list[tuple[int, int, int]]) -> None:
    positions, market = _replay(ops)
    assert market.amm.quote_asset_amount == sum(p.quote_asset_amount for p in positions)


@given(fills)
def test_property_open_interest_equals_sums_of_bases_by_side(ops: list[tuple[int, int, int]]) -> None:
    positions, market = _replay(ops)
    assert (market.amm.base_asset_amount_long, market.amm.base_asset_amount_short) == (
        sum(p.base_asset_amount for p in positions if p.base_asset_amount > 0),
        sum(p.base_asset_amount for p in positions if p.base_asset_amount < 0),
    )


@given(fills)
def test_property_entry_sums_equal_position_entries_by_side(ops: list[tuple[int, int, int]]) -> None:
    positions, market = _replay(ops)
    assert (market.amm.quote_entry_amount_long, market.amm.quote_entry_amount_short) == (
        sum(p.quote_entry_amount for p in positions if p.base_asset_amount > 0),
        sum(p.quote_entry_amount for p in positions if p.base_asset_amount < 0),
    )


@given(fills)
def test_property_break_even_sums_equal_position_break_evens_by_side(
    ops: list[tuple[int, int, int]],
) -> None:
    positions, market = _replay(ops)
    assert (market.amm.quote_break_even_amount_long, market.amm.quote_break_even_amount_short) == (
        sum(p.quote_break_even_amount for p in positions if p.base_asset_amount > 0),
        sum(p.quote_break_even_amount for p in positions if p.base_asset_amount < 0),
    )


@given(fills)
def test_property_user_counts_match_positions(ops: list[tuple[int, int, int]]) -> None:
    positions, market = _replay(ops)
    assert (market.number_of_users, market.number_of_users_with_base) == (
        sum(1 for p in positions if p.base_asset_amount != 0 or p.quote_asset_amount != 0),
        sum(1 for p in positions if p.base_asset_amount != 0),
    )


@given(fills)
def test_property_flat_positions_hold_no_entry(ops: list[tuple[int, int, int]]) -> None:
    positions, _ = _replay(ops)
    assert all(
        (p.quote_entry_amount, p.quote_break_even_amount) == (0, 0)
        for p in positions
        if p.base_asset_amount == 0
    )
