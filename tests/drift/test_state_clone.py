"""`clone()` of the state records the engine copies for what-if calculations (AMM, PerpMarket,
PerpPosition): every field carried over, nested records shared, the original untouched."""

from dataclasses import fields

import pytest

from ballast.drift.state.perp_market import AMM, PerpMarket
from ballast.drift.state.user import PerpPosition


def _distinct(cls):
    """An instance whose int fields all hold different values (other fields keep their defaults,
    nested records are fresh objects), so a field the clone forgets shows as a difference."""
    record = cls()
    for number, field in enumerate(fields(cls), start=1):
        if type(getattr(record, field.name)) is int:
            setattr(record, field.name, 1_000 + number)
    return record


@pytest.mark.parametrize("cls", [AMM, PerpMarket, PerpPosition])
def test_clone_copies_every_field_and_shares_nested_records(cls):
    # Arrange
    original = _distinct(cls)

    # Act
    copy = original.clone()

    # Assert
    assert copy is not original
    assert copy == original
    for field in fields(cls):
        value = getattr(original, field.name)
        if type(value) is not int:
            assert getattr(copy, field.name) is value, field.name


@pytest.mark.parametrize("cls", [AMM, PerpMarket, PerpPosition])
def test_writing_to_a_clone_leaves_the_original_alone(cls):
    # Arrange
    original = _distinct(cls)
    copy = original.clone()
    first_int = next(f.name for f in fields(cls) if type(getattr(original, f.name)) is int)

    # Act
    setattr(copy, first_int, -7)

    # Assert
    assert getattr(original, first_int) != -7
