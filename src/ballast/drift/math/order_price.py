"""Prices on the order tick. Apart from math/orders.py so that math/auction.py, which
orders.py uses, can snap its prices too (orders.py re-exports it).

Source: programs/drift/src/math/orders.rs::standardize_price
"""

from __future__ import annotations

from ballast.drift.state.user import PositionDirection
from ballast.fixed import MathError

__all__ = ["standardize_price"]

_LONG = PositionDirection.Long


def standardize_price(price: int, tick_size: int, direction: PositionDirection) -> int:
    """Snap a price (1e6) to tick: Long rounds down, Short rounds up; 0 stays 0.

    Source: programs/drift/src/math/orders.rs::standardize_price
    """
    if price == 0:
        return 0
    if tick_size <= 0:
        raise MathError(f"tick size {tick_size} must be positive")
    remainder = price % tick_size
    if remainder == 0:
        return price
    if direction is _LONG:
        return price - remainder
    return price + tick_size - remainder
