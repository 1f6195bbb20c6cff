"""Rollback proportional to what a Curie instruction writes (issue 12).

`ballast.atomic.snapshot` copies everything reachable from an object: for a market that is every
tick, every tick record and the whole oracle ring, on every trade. A trade writes a handful of
scalar records and, per tick it crosses, a few entries of the market's tick collections. So a
taker instruction is made atomic in two parts:

* `snapshot_records` / `restore_records`: the immutable-valued fields of a state record and of
  the state records nested in it through fields (MarketState -> MarketInfo -> UniswapV3Pool,
  MarketState -> MarketLedger), stopping at every dict and list. Fixed cost per market.
* `UndoLog`: the writers of collection entries (a crossed tick's Curie record and pool record,
  the oracle slot, the Pool Party accumulators of crossed ticks and of checkpointed orders)
  record the entry's previous value just before they write it, when the caller hands them a
  log. `rollback` writes them back newest first, so an entry written twice gets its oldest
  value and a dict key that did not exist is deleted again.

A caller that uses both must make sure every collection the instruction can write is either
covered by a full `ballast.atomic.snapshot` (the taker's account) or has all its writes logged;
the ClearingHouse's digest tests force errors after each kind of write to prove it.
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from operator import attrgetter
from typing import Any, cast

__all__ = ["UndoLog", "snapshot_records", "restore_records"]

_MISSING: Any = object()

_KEY = 0
_INDEX = 1
_FIELDS = 2


class UndoLog:
    """Previous values of the collection entries and object fields an instruction wrote."""

    __slots__ = ("entries",)

    def __init__(self) -> None:
        self.entries: list[tuple[int, Any, Any, Any]] = []

    def set_key(self, mapping: dict, key: Any) -> None:
        """Before `mapping[key]` is written or deleted: remember its value (or its absence)."""
        self.entries.append((_KEY, mapping, key, mapping.get(key, _MISSING)))

    def set_index(self, sequence: list, index: int) -> None:
        """Before `sequence[index]` is replaced: remember the item."""
        self.entries.append((_INDEX, sequence, index, sequence[index]))

    def set_fields(self, obj: Any, names: tuple[str, ...], getter: Any) -> None:
        """Before fields `names` of `obj` are written in place: remember them (`getter` is
        `attrgetter(*names)`, names >= 2)."""
        self.entries.append((_FIELDS, obj, names, getter(obj)))

    def rollback(self) -> None:
        """Write every remembered value back, newest first, and forget them."""
        for kind, target, key, old in reversed(self.entries):
            if kind == _KEY:
                if old is _MISSING:
                    target.pop(key, None)
                else:
                    target[key] = old
            elif kind == _INDEX:
                target[key] = old
            else:
                for name, value in zip(key, old, strict=True):
                    setattr(target, name, value)
        self.entries.clear()


# per class: (dotted names of the fields recorded, in restore order; getter of them all), or
# None for a class that is not a mutable dataclass
_PLANS: dict[type, Any] = {}


def _is_record_class(cls: type) -> bool:
    return is_dataclass(cls) and not cls.__dataclass_params__.frozen  # type: ignore[attr-defined]


def _dotted_names(cls: type, prefix: str) -> list[str]:
    """The fields of `cls` that are not collections, with `prefix`; then, for each field that
    holds a mutable state record (by the class's defaults), that record's own, recursively.
    A parent's field (the reference to the nested record) comes before the nested fields, so
    writing them back in order restores the nested record's identity before its contents."""
    default = cls()
    own: list[str] = []
    nested: list[tuple[str, type]] = []
    for f in fields(cast(Any, cls)):
        value = getattr(default, f.name)
        if isinstance(value, list | dict | set):
            continue
        own.append(prefix + f.name)
        if _is_record_class(type(value)):
            nested.append((prefix + f.name + ".", type(value)))
    for nested_prefix, nested_cls in nested:
        own.extend(_dotted_names(nested_cls, nested_prefix))
    return own


def _plan(cls: type) -> Any:
    if cls not in _PLANS:
        if not _is_record_class(cls):
            _PLANS[cls] = None
        else:
            names = tuple(_dotted_names(cls, ""))
            getter = attrgetter(*names) if len(names) > 1 else (lambda obj, n=names[0]: (getattr(obj, n),))
            _PLANS[cls] = (names, getter) if names else None
    return _PLANS[cls]


def snapshot_records(obj: Any) -> tuple[Any, tuple] | None:
    """The fields of `obj` that are not collections (lists, dicts, sets), and those of the
    mutable state records nested in it through such fields, recursively (MarketState: its own
    scalars, `info` and its scalars, `info.pool` and its scalars, `ledger` and its fields):
    one C-level read of every dotted name. None for an object that is not a state record."""
    cls = type(obj)
    plan = _PLANS[cls] if cls in _PLANS else _plan(cls)
    if plan is None:
        return None
    return obj, plan[1](obj)


def restore_records(entry: tuple[Any, tuple] | None) -> None:
    """Write a `snapshot_records` back into the same record (and the nested records, whose
    identity in their parent's field is restored first)."""
    if entry is None:
        return
    obj, values = entry
    for name, value in zip(_PLANS[type(obj)][0], values, strict=True):
        *path, leaf = name.split(".")
        target = obj
        for step in path:
            target = getattr(target, step)
        setattr(target, leaf, value)
