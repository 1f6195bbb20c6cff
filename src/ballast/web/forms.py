"""Form fields in, engine integers out: every number a page takes is parsed here, exactly
(decimal text, never a float), into the engine's units, or refused with a message for the field.

A refusal is a FieldError naming the field; the page shows the message next to that field and
changes nothing (no instruction is sent).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

__all__ = ["FieldError", "parse_units", "parse_int", "parse_choice"]


class FieldError(ValueError):
    """A form value that cannot be used: `field` is the input's name, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_units(form: dict[str, str], field: str, decimals: int, *, label: str, minimum: int = 1,
                maximum: int = 2**64 - 1, required: bool = True) -> int | None:
    """A decimal number of `label` (e.g. "USDC") with at most `decimals` decimals, as an integer
    of 10**-decimals units (so "12.5" USDC with decimals 6 is 12_500_000); between `minimum`
    and `maximum` units. Empty: None when not `required`, else a FieldError."""
    text = (form.get(field) or "").strip().replace(",", "").replace("_", "")
    if not text:
        if required:
            raise FieldError(field, f"enter an amount of {label}")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise FieldError(field, f"{text!r} is not a number") from None
    if not value.is_finite():
        raise FieldError(field, f"{text!r} is not a number")
    scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise FieldError(field, f"{label} has at most {decimals} decimals")
    units = int(scaled)
    if units < minimum:
        smallest = Decimal(minimum).scaleb(-decimals)
        raise FieldError(field, "must be more than zero" if minimum == 1 and units <= 0
                         else f"must be at least {smallest.normalize():f} {label}")
    if units > maximum:
        raise FieldError(field, f"must be at most {Decimal(maximum).scaleb(-decimals).normalize():f} {label}")
    return units


def parse_int(form: dict[str, str], field: str, *, minimum: int, maximum: int, label: str) -> int:
    """A whole number between `minimum` and `maximum`."""
    text = (form.get(field) or "").strip()
    if not text:
        raise FieldError(field, f"enter {label}")
    try:
        value = int(text)
    except ValueError:
        raise FieldError(field, f"{text!r} is not a whole number") from None
    if not minimum <= value <= maximum:
        raise FieldError(field, f"{label} must be between {minimum} and {maximum}")
    return value


def parse_choice(form: dict[str, str], field: str, choices: tuple[str, ...]) -> str:
    value = (form.get(field) or "").strip()
    if value not in choices:
        raise FieldError(field, f"choose one of {', '.join(choices)}")
    return value
