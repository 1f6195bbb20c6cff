"""All-or-nothing instructions, shared by both engines: snapshot the accounts an instruction may
touch, restore on error.

Solana rolls a failed transaction back; Ballast does the same by recording every field of the
touched state objects (recursively, keeping object identity) and writing them back if the
instruction raises. Frozen dataclasses, enums and ints are values and are kept as they are.

A snapshot is flat: one entry per mutable object reachable from the snapshotted one (state
objects through their nested-state, list and dict fields, and the items of those lists and
dicts), each holding the object and a shallow copy of its contents: the tuple of its field
values, or for a class with a `clone()` (a shallow copy written field by field, which compiled
costs a tenth of reading the fields one by one) that copy. Restoring writes every
entry back into its own object, so nested objects get back both their identity (the parent's
field holds the original object again) and their contents. The walk is one loop over a work
stack with a precomputed plan per class, as it runs on every instruction (hot path).
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from operator import attrgetter
from typing import Any, cast

__all__ = ["Snapshot", "snapshot", "restore"]

Snapshot = list

# entry kinds
_STATE = 0
_LIST = 1
_DICT = 2
_CLONE = 3

# per class: None (immutable value: nothing to record), _LIST, _DICT or
# (getter of all field values or None when the class copies itself, field names, getter of the
# nested-state/list/dict fields or None)
_PLANS: dict[type, Any] = {}

_MUTABLE: dict[type, bool] = {}


def _is_mutable_state_class(cls: type) -> bool:
    return is_dataclass(cls) and not cls.__dataclass_params__.frozen  # type: ignore[attr-defined]


def _is_mutable_state(value: Any) -> bool:
    cls = type(value)
    mutable = _MUTABLE.get(cls)
    if mutable is None:
        mutable = _is_mutable_state_class(cls)
        _MUTABLE[cls] = mutable
    return mutable


def _tuple_getter(names: tuple[str, ...]) -> Any:
    if len(names) == 1:
        name = names[0]
        return lambda obj: (getattr(obj, name),)
    return attrgetter(*names)


def _plan(cls: type) -> Any:
    if cls not in _PLANS:
        if issubclass(cls, list):
            _PLANS[cls] = _LIST
        elif issubclass(cls, dict):
            _PLANS[cls] = _DICT
        elif not _is_mutable_state_class(cls):
            _PLANS[cls] = None
        else:
            names = tuple(f.name for f in fields(cast(Any, cls)))
            default = cls()
            nested = tuple(
                name
                for name in names
                if _is_mutable_state(getattr(default, name))
                or isinstance(getattr(default, name), list | dict)
            )
            getter = None if callable(getattr(cls, "clone", None)) else _tuple_getter(names)
            _PLANS[cls] = (getter, names, _tuple_getter(nested) if nested else None)
    return _PLANS[cls]


def snapshot(obj: Any) -> Snapshot | None:
    """Record `obj`'s fields (and nested state objects, lists and dicts) for `restore`.

    Immutable values (ints, strings, enums, frozen dataclasses) need no snapshot: None.
    A list whose first item is immutable is copied without visiting its items (a state list
    is homogeneous).
    """
    entries: list = []
    append = entries.append
    plans = _PLANS
    stack = [obj]
    pop = stack.pop
    extend = stack.extend
    while stack:
        item = pop()
        cls = type(item)
        plan = plans[cls] if cls in plans else _plan(cls)
        if plan is None:
            continue
        if plan is _LIST:
            append((_LIST, item, list(item)))
            if item and _is_mutable_state(item[0]):
                extend(item)
            continue
        if plan is _DICT:
            append((_DICT, item, list(item.items())))
            extend(item.values())
            continue
        getter, _names, nested = plan
        if getter is None:
            append((_CLONE, item, item.clone()))
        else:
            append((_STATE, item, getter(item)))
        if nested is not None:
            extend(nested(item))
    return entries or None


def restore(snap: Snapshot | None) -> None:
    """Write a snapshot back into the same objects it was taken from."""
    if snap is None:
        return
    for kind, obj, values in snap:
        if kind == _STATE:
            for name, value in zip(_PLANS[type(obj)][1], values, strict=True):
                setattr(obj, name, value)
        elif kind == _CLONE:
            for name in _PLANS[type(obj)][1]:
                setattr(obj, name, getattr(values, name))
        elif kind == _LIST:
            obj[:] = values
        else:
            obj.clear()
            obj.update(values)
