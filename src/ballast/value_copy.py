"""Copy and pickle support for dataclasses that mypyc compiles.

`copy`/`pickle` rebuild a compiled (native) object by calling its class with no arguments and
then setting its fields one by one: that fails for a class with required constructor arguments
(`__init__() missing required argument`) and for a frozen one (which refuses the field writes).
`copy_by_constructor` tells `copyreg` to rebuild such objects through their constructor instead,
so `copy.deepcopy` of an exchange, or pickling an event, works the same compiled or not.
"""

from __future__ import annotations

import copyreg
from dataclasses import fields
from typing import Any

__all__ = ["copy_by_constructor"]


def _rebuild_args(value: Any) -> tuple[type, tuple[Any, ...]]:
    cls = type(value)
    return cls, tuple([getattr(value, field.name) for field in fields(cls)])


def copy_by_constructor(*classes: type) -> None:
    """Copy and pickle each of `classes` (dataclasses whose fields are all constructor
    arguments, in order) by calling the class with its field values."""
    for cls in classes:
        copyreg.pickle(cls, _rebuild_args)
