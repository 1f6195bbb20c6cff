"""Applying deltas to perp positions and to their market's aggregates.

Every change of a position's base or quote goes through here, so the market's open interest,
entry/break-even sums and `amm.quote_asset_amount` always equal the sums over positions.

Source: programs/drift/src/controller/position.rs
"""

from __future__ import annotations

from ballast.drift.constants import MAX_PERP_POSITIONS, PERP_DECIMALS
from ballast.drift.controller.amm import swap_base_asset
from ballast.drift.errors import (
    InvalidPerpPositionDetected,
    InvalidPositionLastFundingRate,
    MaxNumberOfPositions,
    UserHasNoPositionInMarket,
)
from ballast.drift.math.orders import (
    calculate_quote_asset_amount_for_maker_order,
    is_multiple_of_step_size,
)
from ballast.drift.math.position import (
    PositionDelta,
    PositionUpdateType,
    calculate_position_new_quote_base_pnl,
    get_new_position_amounts,
    get_position_delta_for_fill,
    get_position_update_type,
)
from ballast.drift.state.perp_market import PerpMarket, SwapDirection
from ballast.drift.state.user import PerpPosition, PositionDirection, User

__all__ = [
    "force_get_perp_position",
    "update_position_and_market",
    "update_quote_asset_amount",
    "update_quote_break_even_amount",
    "update_quote_asset_and_break_even_amount",
    "update_settled_pnl",
    "increase_open_bids_and_asks",
    "decrease_open_bids_and_asks",
    "update_position_with_base_asset_amount",
]


def get_perp_position(user: User, market_index: int) -> PerpPosition:
    """The user's live position in a market; UserHasNoPositionInMarket when there is none.

    Source: programs/drift/src/state/user.rs::User::get_perp_position
    """
    position = user.get_perp_position(market_index)
    if position is None:
        raise UserHasNoPositionInMarket(f"user {user.key} has no position in market {market_index}")
    return position


def force_get_perp_position(user: User, market_index: int) -> PerpPosition:
    """The user's position in a market, opening an empty one (reusing an available slot) if absent.

    Raises MaxNumberOfPositions when all MAX_PERP_POSITIONS slots are in use.

    Source: programs/drift/src/state/user.rs::User::force_get_perp_position_mut
    """
    positions = user.perp_positions
    for position in positions:
        if position.market_index == market_index:
            return position
    new_position = PerpPosition(market_index=market_index)
    if len(positions) < MAX_PERP_POSITIONS:
        positions.append(new_position)
        return new_position
    for index, position in enumerate(positions):
        if position.is_available():
            positions[index] = new_position
            return new_position
    raise MaxNumberOfPositions(
        f"user {user.key} already holds {MAX_PERP_POSITIONS} perp positions; "
        f"cannot open market {market_index}"
    )


def update_quote_asset_amount(position: PerpPosition, market: PerpMarket, delta: int) -> None:
    """Add `delta` (1e6) to the position's quote and the market's sum of user quote.

    Source: programs/drift/src/controller/position.rs::update_quote_asset_amount
    """
    if delta == 0:
        return
    if position.quote_asset_amount == 0 and position.base_asset_amount == 0:
        market.number_of_users += 1
    position.quote_asset_amount += delta
    market.amm.quote_asset_amount += delta
    if position.quote_asset_amount == 0 and position.base_asset_amount == 0:
        market.number_of_users -= 1


def update_quote_break_even_amount(position: PerpPosition, market: PerpMarket, delta: int) -> None:
    """Add `delta` (1e6) to an open position's break-even amount and its side's market sum.

    Source: programs/drift/src/controller/position.rs::update_quote_break_even_amount
    """
    if delta == 0 or position.base_asset_amount == 0:
        return
    position.quote_break_even_amount += delta
    if position.base_asset_amount > 0:
        market.amm.quote_break_even_amount_long += delta
    else:
        market.amm.quote_break_even_amount_short += delta


def update_quote_asset_and_break_even_amount(
    position: PerpPosition, market: PerpMarket, delta: int
) -> None:
    """Fees, funding and liquidation fees move both quote and break-even.

    Source: programs/drift/src/controller/position.rs::update_quote_asset_and_break_even_amount
    """
    update_quote_break_even_amount(position, market, delta)
    update_quote_asset_amount(position, market, delta)


def update_settled_pnl(user: User, position: PerpPosition, delta: int) -> None:
    """Record `delta` (1e6) of pnl settled into the user's collateral.

    Source: programs/drift/src/controller/position.rs::update_settled_pnl
    """
    position.settled_pnl += delta
    user.settled_perp_pnl += delta


def _validate_funding_is_settled(position: PerpPosition, market: PerpMarket) -> None:
    base = position.base_asset_amount
    if base > 0:
        expected = market.amm.cumulative_funding_rate_long
    elif base < 0:
        expected = market.amm.cumulative_funding_rate_short
    else:
        return
    if position.last_cumulative_funding_rate != expected:
        raise InvalidPositionLastFundingRate(
            f"position in market {position.market_index} has last_cumulative_funding_rate "
            f"{position.last_cumulative_funding_rate}, market rate is {expected}: settle funding first"
        )


def update_position_and_market(
    position: PerpPosition, market: PerpMarket, delta: PositionDelta
) -> int:
    """Apply a delta to a position and the market's aggregates; return the realised pnl (1e6).

    A quote-only delta just moves quote. Otherwise the update type decides how entry and
    break-even change (see `calculate_position_new_quote_base_pnl`), which side's open interest
    and sums move, and the position's funding snapshot (0 on close, the new side's cumulative
    rate on open/increase/flip). The position's funding must already be settled. LP remainders
    crossing a step fold into base and are booked against `base_asset_amount_with_unsettled_lp`.

    Source: programs/drift/src/controller/position.rs::update_position_and_market
    """
    delta_remainder = delta.remainder_base_asset_amount
    if delta.base_asset_amount == 0 and not delta_remainder:
        update_quote_asset_amount(position, market, delta.quote_asset_amount)
        return delta.quote_asset_amount

    amm = market.amm
    update_type = get_position_update_type(position, delta)
    new_base, settled_base, new_quote, new_remainder = get_new_position_amounts(
        position, delta, amm.order_step_size
    )
    new_entry, new_break_even, pnl = calculate_position_new_quote_base_pnl(
        position, delta, update_type
    )

    if delta_remainder is not None:
        amm.base_asset_amount_with_unsettled_lp += settled_base
        amm.quote_asset_amount_with_unsettled_lp += delta.quote_asset_amount

    old_base = position.base_asset_amount
    old_entry = position.quote_entry_amount
    old_break_even = position.quote_break_even_amount
    if update_type is PositionUpdateType.Open:
        if position.quote_asset_amount == 0 and old_base == 0:
            market.number_of_users += 1
        market.number_of_users_with_base += 1
    elif update_type is PositionUpdateType.Close:
        if new_base == 0 and new_quote == 0:
            market.number_of_users -= 1
        market.number_of_users_with_base -= 1

    amm.quote_asset_amount += delta.quote_asset_amount

    if update_type is PositionUpdateType.Open or update_type is PositionUpdateType.Increase:
        if new_base > 0:
            amm.base_asset_amount_long += settled_base
            amm.quote_entry_amount_long += delta.quote_asset_amount
            amm.quote_break_even_amount_long += delta.quote_asset_amount
        else:
            amm.base_asset_amount_short += settled_base
            amm.quote_entry_amount_short += delta.quote_asset_amount
            amm.quote_break_even_amount_short += delta.quote_asset_amount
    elif update_type is PositionUpdateType.Flip:
        if new_base > 0:
            amm.base_asset_amount_short -= old_base
            amm.quote_entry_amount_short -= old_entry
            amm.quote_break_even_amount_short -= old_break_even
            amm.base_asset_amount_long += new_base
            amm.quote_entry_amount_long += new_entry
            amm.quote_break_even_amount_long += new_break_even
        else:
            amm.base_asset_amount_long -= old_base
            amm.quote_entry_amount_long -= old_entry
            amm.quote_break_even_amount_long -= old_break_even
            amm.base_asset_amount_short += new_base
            amm.quote_entry_amount_short += new_entry
            amm.quote_break_even_amount_short += new_break_even
    elif old_base > 0:
        amm.base_asset_amount_long += settled_base
        amm.quote_entry_amount_long -= old_entry - new_entry
        amm.quote_break_even_amount_long -= old_break_even - new_break_even
    else:
        amm.base_asset_amount_short += settled_base
        amm.quote_entry_amount_short -= old_entry - new_entry
        amm.quote_break_even_amount_short -= old_break_even - new_break_even

    _validate_funding_is_settled(position, market)
    if update_type is PositionUpdateType.Close:
        position.last_cumulative_funding_rate = 0
    elif update_type is not PositionUpdateType.Reduce:
        position.last_cumulative_funding_rate = (
            amm.cumulative_funding_rate_long
            if new_base + new_remainder > 0
            else amm.cumulative_funding_rate_short
        )

    if not is_multiple_of_step_size(abs(old_base), amm.order_step_size):
        raise InvalidPerpPositionDetected(
            f"base_asset_amount {old_base} is not a multiple of order_step_size {amm.order_step_size}"
        )
    position.remainder_base_asset_amount = new_remainder
    position.base_asset_amount = new_base
    position.quote_asset_amount = new_quote
    position.quote_entry_amount = new_entry
    position.quote_break_even_amount = new_break_even
    return pnl



def increase_open_bids_and_asks(
    position: PerpPosition, direction: PositionDirection, base_asset_amount: int
) -> None:
    """A new or triggered order adds its size (1e9) to the position's open bids (long) or asks.

    Source: programs/drift/src/controller/position.rs::increase_open_bids_and_asks
    """
    if direction is PositionDirection.Long:
        position.open_bids += base_asset_amount
    else:
        position.open_asks -= base_asset_amount


def decrease_open_bids_and_asks(
    position: PerpPosition, direction: PositionDirection, base_asset_amount: int
) -> None:
    """A fill or cancel removes size (1e9) from the position's open bids (long) or asks.

    Source: programs/drift/src/controller/position.rs::decrease_open_bids_and_asks
    """
    if direction is PositionDirection.Long:
        position.open_bids -= base_asset_amount
    else:
        position.open_asks += base_asset_amount


def update_position_with_base_asset_amount(
    base_asset_amount: int,
    direction: PositionDirection,
    market: PerpMarket,
    position: PerpPosition,
    fill_price: int | None,
) -> tuple[int, int, int]:
    """Fill `base_asset_amount` (1e9) of a user order against the AMM.

    The curve moves by the whole fill. Without an imposed price the user pays/receives the
    spread-side quote and the AMM keeps the spread as surplus; with one (post-only maker or AMM
    JIT) the user trades at `fill_price` and the surplus is the difference to the spread-side
    quote (signed). The user's base is booked against the AMM (`base_asset_amount_with_amm`).
    Returns (quote_asset_amount, quote_asset_amount_surplus, pnl), all 1e6.

    Source: programs/drift/src/controller/position.rs::update_position_with_base_asset_amount
    """
    if direction is PositionDirection.Long:
        swap_direction = SwapDirection.Remove
    else:
        swap_direction = SwapDirection.Add
    quote_swapped, surplus = swap_base_asset(market, base_asset_amount, swap_direction)
    if fill_price is not None:
        quote_asset_amount = calculate_quote_asset_amount_for_maker_order(
            base_asset_amount, fill_price, PERP_DECIMALS, direction
        )
        if direction is PositionDirection.Long:
            surplus = quote_asset_amount - quote_swapped
        else:
            surplus = quote_swapped - quote_asset_amount
    else:
        quote_asset_amount = quote_swapped
    delta = get_position_delta_for_fill(base_asset_amount, quote_asset_amount, direction)
    pnl = update_position_and_market(position, market, delta)
    market.amm.base_asset_amount_with_amm += delta.base_asset_amount
    return quote_asset_amount, surplus, pnl
