"""Position arithmetic: deltas, update classification, entry/break-even and realised pnl.

Base amounts in BASE_PRECISION (1e9), quote amounts in QUOTE_PRECISION (1e6), prices 1e6.
Signed divisions truncate toward zero as Rust does.

Source: programs/drift/src/math/position.rs, programs/drift/src/controller/position.rs
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ballast.drift.constants import AMM_RESERVE_PRECISION, PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO
from ballast.drift.errors import InvalidPositionDelta
from ballast.drift.math.amm import calculate_quote_asset_amount_swapped, calculate_swap_output
from ballast.drift.state.perp_market import AMM, SwapDirection
from ballast.drift.state.user import PerpPosition, PositionDirection
from ballast.fixed import I32_MAX, div_floor, div_trunc, proportion, sign
from ballast.value_copy import copy_by_constructor

__all__ = [
    "PositionDelta",
    "PositionUpdateType",
    "get_position_delta_for_fill",
    "swap_direction_to_close_position",
    "get_position_update_type",
    "get_new_position_amounts",
    "calculate_position_new_quote_base_pnl",
    "calculate_base_asset_value",
    "calculate_base_asset_value_and_pnl",
    "calculate_pnl",
    "calculate_base_asset_value_with_oracle_price",
    "calculate_entry_price",
    "calculate_break_even_price",
    "calculate_cost_basis",
]


@dataclass(slots=True, init=False)
class PositionDelta:
    """A change to a perp position: base (1e9), quote (1e6) and, for LP settlements, a sub-step
    base remainder (1e9) that is tracked apart from `base_asset_amount`.

    Source: programs/drift/src/controller/position.rs::PositionDelta
    """

    base_asset_amount: int
    quote_asset_amount: int
    remainder_base_asset_amount: int | None = None

    # written out (not dataclass-generated) so that mypyc compiles it; a value: never
    # mutated after construction (not `frozen`, whose __init__ mypyc cannot compile)
    def __init__(
        self,
        base_asset_amount: int,
        quote_asset_amount: int,
        remainder_base_asset_amount: int | None = None,
    ) -> None:
        self.base_asset_amount = base_asset_amount
        self.quote_asset_amount = quote_asset_amount
        self.remainder_base_asset_amount = remainder_base_asset_amount


class PositionUpdateType(Enum):
    """Source: programs/drift/src/math/position.rs::PositionUpdateType"""

    Open = 0
    Increase = 1
    Reduce = 2
    Close = 3
    Flip = 4


def get_position_delta_for_fill(
    base_asset_amount: int, quote_asset_amount: int, direction: PositionDirection
) -> PositionDelta:
    """The taker-side delta of a fill: a long receives base and pays quote, a short the reverse.

    Source: programs/drift/src/math/orders.rs::get_position_delta_for_fill
    """
    if direction is PositionDirection.Long:
        return PositionDelta(base_asset_amount, -quote_asset_amount)
    return PositionDelta(-base_asset_amount, quote_asset_amount)


def swap_direction_to_close_position(base_asset_amount: int) -> SwapDirection:
    """Closing a long adds base to the pool; closing a short removes it.

    Source: programs/drift/src/math/position.rs::swap_direction_to_close_position
    """
    return SwapDirection.Add if base_asset_amount >= 0 else SwapDirection.Remove


def get_position_update_type(position: PerpPosition, delta: PositionDelta) -> PositionUpdateType:
    """Classify a delta against a position, counting LP remainders as part of both.

    Open when the position holds neither base nor remainder; otherwise compare the signs and
    sizes of (base + remainder) and (delta base + delta remainder): same sign (both zero included)
    increases, a smaller delta reduces, an equal one closes, a larger one flips.

    Source: programs/drift/src/math/position.rs::get_position_update_type
    """
    remainder = position.remainder_base_asset_amount
    if position.base_asset_amount == 0 and remainder == 0:
        return PositionUpdateType.Open
    position_base = position.base_asset_amount + remainder
    delta_base = delta.base_asset_amount + (delta.remainder_base_asset_amount or 0)
    if sign(position_base) == sign(delta_base):
        return PositionUpdateType.Increase
    if abs(position_base) > abs(delta_base):
        return PositionUpdateType.Reduce
    if abs(position_base) == abs(delta_base):
        return PositionUpdateType.Close
    return PositionUpdateType.Flip


def get_new_position_amounts(
    position: PerpPosition, delta: PositionDelta, order_step_size: int
) -> tuple[int, int, int, int]:
    """New (base, quote, remainder) of a position after a delta, and the base actually settled.

    When the delta carries a remainder and the combined remainder reaches a step, the stepped part
    (truncated toward zero) moves into base. Returns
    (new_base_asset_amount, new_settled_base_asset_amount, new_quote_asset_amount,
    new_remainder_base_asset_amount). Raises InvalidPositionDelta when the remainder leaves i32.

    Source: programs/drift/src/math/position.rs::get_new_position_amounts
    """
    new_quote = position.quote_asset_amount + delta.quote_asset_amount
    new_base = position.base_asset_amount + delta.base_asset_amount
    settled = delta.base_asset_amount
    new_remainder = position.remainder_base_asset_amount
    if delta.remainder_base_asset_amount is not None:
        new_remainder += delta.remainder_base_asset_amount
        if abs(new_remainder) >= order_step_size:
            stepped = div_trunc(new_remainder, order_step_size) * order_step_size
            new_base += stepped
            settled += stepped
            new_remainder -= stepped
        if abs(new_remainder) > I32_MAX:
            raise InvalidPositionDelta(
                f"remainder_base_asset_amount {new_remainder} does not fit i32"
            )
    return new_base, settled, new_quote, new_remainder


def calculate_position_new_quote_base_pnl(
    position: PerpPosition, delta: PositionDelta, update_type: PositionUpdateType
) -> tuple[int, int, int]:
    """New quote_entry_amount and quote_break_even_amount (1e6) and the realised pnl (1e6).

    Reduce/Close release entry and break-even pro rata to the closed size (truncating); Flip
    opens the new side at the part of the delta quote beyond the old size.

    Source: programs/drift/src/controller/position.rs::update_position_and_market (entry/pnl step)
    """
    entry = position.quote_entry_amount
    break_even = position.quote_break_even_amount
    delta_quote = delta.quote_asset_amount
    if update_type is PositionUpdateType.Open or update_type is PositionUpdateType.Increase:
        return entry + delta_quote, break_even + delta_quote, 0
    current = abs(position.base_asset_amount + position.remainder_base_asset_amount)
    delta_base = abs(delta.base_asset_amount + (delta.remainder_base_asset_amount or 0))
    if update_type is PositionUpdateType.Flip:
        new_entry = delta_quote - div_trunc(delta_quote * current, delta_base)
        return new_entry, new_entry, entry + delta_quote - new_entry
    new_entry = entry - div_trunc(entry * delta_base, current)
    new_break_even = break_even - div_trunc(break_even * delta_base, current)
    return new_entry, new_break_even, entry - new_entry + delta_quote


def calculate_base_asset_value(base_asset_amount: int, amm: AMM) -> int:
    """Quote (1e6) received/paid to close `base_asset_amount` against the protocol-owned curve.

    With LP shares the reserves and invariant are first scaled to the protocol-owned fraction
    (sqrt_k - user_lp_shares) / sqrt_k (floor); with none this is the identity.

    Source: programs/drift/src/math/position.rs::calculate_base_asset_value
    """
    if base_asset_amount == 0:
        return 0
    direction = swap_direction_to_close_position(base_asset_amount)
    base_reserve, quote_reserve, sqrt_k = (
        amm.base_asset_reserve,
        amm.quote_asset_reserve,
        amm.sqrt_k,
    )
    if amm.user_lp_shares > 0:
        protocol_owned = amm.sqrt_k - amm.user_lp_shares
        base_reserve = proportion(base_reserve, protocol_owned, amm.sqrt_k)
        quote_reserve = proportion(quote_reserve, protocol_owned, amm.sqrt_k)
        sqrt_k = protocol_owned
    new_quote_reserve, _ = calculate_swap_output(
        abs(base_asset_amount), base_reserve, direction, sqrt_k
    )
    return calculate_quote_asset_amount_swapped(
        quote_reserve, new_quote_reserve, direction, amm.peg_multiplier
    )


def calculate_pnl(exit_value: int, entry_value: int, swap_direction_to_close: SwapDirection) -> int:
    """Longs (closed by Add) gain exit - entry; shorts (closed by Remove) gain entry - exit.

    Source: programs/drift/src/math/pnl.rs::calculate_pnl
    """
    if swap_direction_to_close is SwapDirection.Add:
        return exit_value - entry_value
    return entry_value - exit_value


def calculate_base_asset_value_and_pnl(
    base_asset_amount: int, quote_asset_amount: int, amm: AMM
) -> tuple[int, int]:
    """(close-out value, pnl against `quote_asset_amount` as entry), both 1e6.

    Source: programs/drift/src/math/position.rs::calculate_base_asset_value_and_pnl
    """
    if base_asset_amount == 0:
        return 0, 0
    value = calculate_base_asset_value(base_asset_amount, amm)
    return value, calculate_pnl(
        value, quote_asset_amount, swap_direction_to_close_position(base_asset_amount)
    )


def calculate_base_asset_value_with_oracle_price(base_asset_amount: int, oracle_price: int) -> int:
    """|base| x max(oracle, 0) / 1e9, floored (quote 1e6).

    Source: programs/drift/src/math/position.rs::calculate_base_asset_value_with_oracle_price
    """
    if base_asset_amount == 0 or oracle_price <= 0:
        return 0
    return div_floor(abs(base_asset_amount) * oracle_price, PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO)


def _price_from(quote: int, base: int) -> int:
    if base == 0:
        return 0
    return div_trunc(-quote * AMM_RESERVE_PRECISION, base)


def calculate_entry_price(position: PerpPosition) -> int:
    """Average entry price (1e6): -quote_entry_amount / (base + remainder), truncated; 0 if flat.

    Source: programs/drift/src/state/user.rs::PerpPosition::get_entry_price
    """
    return _price_from(
        position.quote_entry_amount,
        position.base_asset_amount + position.remainder_base_asset_amount,
    )


def calculate_break_even_price(position: PerpPosition) -> int:
    """Break-even price (1e6) including fees and funding; 0 if flat.

    Source: programs/drift/src/state/user.rs::PerpPosition::get_breakeven_price
    """
    return _price_from(
        position.quote_break_even_amount,
        position.base_asset_amount + position.remainder_base_asset_amount,
    )


def calculate_cost_basis(position: PerpPosition) -> int:
    """Cost basis (1e6): -quote_asset_amount / base, truncated; 0 if flat.

    Source: programs/drift/src/state/user.rs::PerpPosition::get_cost_basis
    """
    return _price_from(position.quote_asset_amount, position.base_asset_amount)


copy_by_constructor(PositionDelta)
