"""All-or-nothing instructions: snapshot the accounts an instruction may touch, restore on error.

Solana rolls a failed transaction back; Ballast does the same by recording every field of the
touched state objects (recursively, keeping object identity) and writing them back if the
instruction raises. Frozen dataclasses, enums and ints are values and are kept as they are.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from operator import attrgetter
from typing import Any

__all__ = ["Snapshot", "snapshot", "restore"]

# per class: (getter of all field values, field names, indexes of fields holding nested state)
_LAYOUTS: dict[type, tuple[attrgetter, tuple[str, ...], tuple[int, ...]]] = {}

Snapshot = tuple


_MUTABLE: dict[type, bool] = {}


def _is_mutable_state(value: Any) -> bool:
    cls = type(value)
    mutable = _MUTABLE.get(cls)
    if mutable is None:
        mutable = is_dataclass(cls) and not cls.__dataclass_params__.frozen
        _MUTABLE[cls] = mutable
    return mutable


def _layout(cls: type) -> tuple[attrgetter, tuple[str, ...], tuple[int, ...]]:
    layout = _LAYOUTS.get(cls)
    if layout is None:
        names = tuple(f.name for f in fields(cls))
        default = cls()
        nested = tuple(
            i
            for i, name in enumerate(names)
            if _is_mutable_state(getattr(default, name))
            or isinstance(getattr(default, name), list | dict)
        )
        getter = attrgetter(*names) if len(names) > 1 else (lambda o, n=names[0]: (getattr(o, n),))
        layout = (getter, names, nested)
        _LAYOUTS[cls] = layout
    return layout


def snapshot(obj: Any) -> Snapshot | None:
    """Record `obj`'s fields (and nested state objects, lists and dicts) for `restore`.

    Immutable values (ints, strings, enums, frozen dataclasses) need no snapshot: None.
    """
    if isinstance(obj, list):
        if not obj or not _is_mutable_state(obj[0]):
            return (obj, list(obj), None)  # immutable items (a state list is homogeneous)
        return (obj, [(item, snapshot(item)) for item in obj])
    if isinstance(obj, dict):
        return (obj, [(key, item, snapshot(item)) for key, item in obj.items()])
    if not _is_mutable_state(obj):
        return None
    getter, _names, nested = _layout(type(obj))
    values = getter(obj)
    if nested:
        values = list(values)
        for index in nested:
            values[index] = (values[index], snapshot(values[index]))
    return (obj, values)


def restore(snap: Snapshot | None) -> None:
    """Write a snapshot back into the same objects it was taken from."""
    if snap is None:
        return
    if len(snap) == 3:
        obj, items, _ = snap
        obj[:] = items
        return
    obj, values = snap
    if isinstance(obj, list):
        obj[:] = [item for item, _ in values]
        for _item, item_snap in values:
            restore(item_snap)
        return
    if isinstance(obj, dict):
        obj.clear()
        for key, item, item_snap in values:
            obj[key] = item
            restore(item_snap)
        return
    _getter, names, nested = _layout(type(obj))
    for index, name in enumerate(names):
        value = values[index]
        if index in nested:
            original, inner = value
            restore(inner)
            value = original
        setattr(obj, name, value)
