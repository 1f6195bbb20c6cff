"""Validation of instruction inputs: integers in range, or a typed error naming the value."""

from __future__ import annotations

from typing import Any

from ballast.drift.errors import InvalidAmount

__all__ = ["check_int"]


def check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    """`value` if it is an int (not a bool) within [minimum, maximum], else InvalidAmount."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidAmount(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise InvalidAmount(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise InvalidAmount(f"{name} must be <= {maximum}, got {value}")
    return value
