"""Sweep specs: a base scenario, the axes to vary and the seeds, expanded into points.

A sweep TOML names its base scenario (a path relative to the sweep file) and varies it:

    name = "lp_entry"
    base = "../sol_bal_30d.toml"
    seeds = 8                      # seeds 0..7, or a list: seeds = [7, 11]
    draws = 0                      # random draws per grid point and seed (for `dist` axes)
    series_every_minutes = 60      # the compact series each point records
    keep_full = []                 # run ids kept as full run folders (report and events)
    keep_worst = { n = 5, metric = "agent.lp-late.return_pct", lowest = true }

    [[axes]]
    key = "agents.lp-late.enter_at_day"     # a dotted scenario key; list items by their name
    values = [1, 5, 10, 20]

    [[axes]]
    key = "markets.SOL-PERP.oracle.regimes.0.vol_annual_pct"
    dist = { kind = "uniform", low = 40, high = 120 }

Points are the product of the grid axes (`values`), the seeds and, when the sweep has `dist`
axes, `draws` draws of them (each from its own stream, derived from the sweep's name, the
point's grid index, the seed and the draw). Every point is validated against the scenario
models before anything runs: a bad key or value fails the whole spec with its path named.
A list item (agents, markets, venues) is addressed by its `name`; an index works too.

Source: Ballast's own design (DESIGN.md: sweep/); the distributions are Python's
`random.Random` (uniform, normal = gauss, lognormal, choice).
"""

from __future__ import annotations

import copy
import itertools
import random
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ballast.sim.loading import parse_scenario
from ballast.sim.scenario import CsvOracle, Scenario, ScenarioError
from ballast.store.run_folder import data_digest_of_files, run_id, scenario_dict

__all__ = ["Axis", "Distribution", "KeepWorst", "Point", "SweepError", "SweepSpec", "load_sweep",
           "point_data_digest", "set_key"]


class SweepError(ValueError):
    """A sweep spec that cannot run; the message names the key or value."""


class Distribution(BaseModel):
    """A random draw: `uniform` (low, high), `normal` (mean, std), `lognormal` (mean, std of
    the log), or `choice` (values, equally likely). `integer`: round the draw to an int."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["uniform", "normal", "lognormal", "choice"]
    low: float | None = None
    high: float | None = None
    mean: float | None = None
    std: Annotated[float, Field(ge=0)] | None = None
    values: tuple[Any, ...] | None = None
    integer: bool = False

    @model_validator(mode="after")
    def _parameters(self) -> Distribution:
        needed = {"uniform": ("low", "high"), "normal": ("mean", "std"), "lognormal": ("mean", "std"),
                  "choice": ("values",)}[self.kind]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} draw needs {', '.join(missing)}")
        if self.kind == "uniform" and self.low > self.high:  # type: ignore[operator]
            raise ValueError(f"uniform low {self.low} > high {self.high}")
        if self.kind == "choice" and not self.values:
            raise ValueError("a choice draw needs at least one value")
        return self

    def draw(self, rng: random.Random) -> Any:
        if self.kind == "choice":
            return rng.choice(list(self.values or ()))
        if self.kind == "uniform":
            value = rng.uniform(self.low or 0.0, self.high or 0.0)
        elif self.kind == "normal":
            value = rng.gauss(self.mean or 0.0, self.std or 0.0)
        else:
            value = rng.lognormvariate(self.mean or 0.0, self.std or 0.0)
        return round(value) if self.integer else value


class Axis(BaseModel):
    """One varied scenario key: a grid of `values`, or a random `dist`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    key: Annotated[str, Field(min_length=1)]
    values: tuple[Any, ...] | None = None
    dist: Distribution | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Axis:
        if (self.values is None) == (self.dist is None):
            raise ValueError(f"axis {self.key!r}: give either values = [...] or dist = {{...}}")
        if self.values is not None and not self.values:
            raise ValueError(f"axis {self.key!r}: values is empty")
        return self


class KeepWorst(BaseModel):
    """Re-run the `n` worst points by `metric` (a results column) as full runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    n: Annotated[int, Field(ge=1, le=100)] = 5
    metric: str
    lowest: bool = True  # the worst is the lowest value (a return); false: the highest (a loss)


class SweepSpec(BaseModel):
    """A sweep (module docstring); `base_dir` is the folder of the sweep file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")]
    description: str = ""
    base: str
    seeds: Annotated[int, Field(ge=1, le=1_000_000)] | tuple[Annotated[int, Field(ge=0)], ...] = 1
    draws: Annotated[int, Field(ge=0, le=1_000_000)] = 0
    axes: tuple[Axis, ...] = ()
    series_every_minutes: Annotated[int, Field(ge=1, le=10_080)] = 60
    keep_full: tuple[str, ...] = ()
    keep_worst: KeepWorst | None = None
    base_dir: str = "."

    @model_validator(mode="after")
    def _draws_need_dists(self) -> SweepSpec:
        has_dist = any(axis.dist is not None for axis in self.axes)
        if has_dist and self.draws == 0:
            raise ValueError("the sweep has random (dist) axes: set draws >= 1")
        if self.draws and not has_dist:
            raise ValueError(f"draws = {self.draws} but no axis has a dist")
        keys = [axis.key for axis in self.axes]
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        if duplicated:
            raise ValueError(f"axes repeat key(s): {', '.join(duplicated)}")
        if isinstance(self.seeds, tuple) and not self.seeds:
            raise ValueError("seeds is an empty list")
        return self

    @property
    def seed_list(self) -> list[int]:
        return list(range(self.seeds)) if isinstance(self.seeds, int) else list(self.seeds)

    def base_path(self) -> Path:
        path = Path(self.base)
        return path if path.is_absolute() else Path(self.base_dir) / path

    def base_data(self) -> dict[str, Any]:
        """The base scenario as read from its TOML file."""
        path = self.base_path()
        try:
            return tomllib.loads(path.read_text())
        except OSError as error:
            raise SweepError(f"base = {self.base!r}: cannot read {path}: {error}") from None
        except tomllib.TOMLDecodeError as error:
            raise SweepError(f"base = {self.base!r}: {path} is not valid TOML: {error}") from None

    def points(self) -> list[Point]:
        """Every point, validated (SweepError names the first bad one), in a fixed order."""
        base = self.base_data()
        base_dir = self.base_path().resolve().parent
        grid_axes = [axis for axis in self.axes if axis.values is not None]
        dist_axes = [axis for axis in self.axes if axis.dist is not None]
        grid = list(itertools.product(*(axis.values or () for axis in grid_axes)))
        out = []
        for grid_index, combo in enumerate(grid):
            for seed in self.seed_list:
                for draw in range(self.draws or 1):
                    values = {axis.key: value for axis, value in zip(grid_axes, combo, strict=True)}
                    for axis in dist_axes:
                        rng = random.Random(f"{self.name}/{grid_index}/{seed}/{draw}/{axis.key}")
                        values[axis.key] = axis.dist.draw(rng)  # type: ignore[union-attr]
                    out.append(_point(base, base_dir, values, seed, draw))
        return out


@dataclass(frozen=True)
class Point:
    """One run of the sweep: its axis values, seed, draw, the resolved scenario and its run id
    (ballast.store.run_id of the resolved scenario and `data_digest`)."""

    run_id: str
    values: dict[str, Any]
    seed: int
    draw: int
    scenario: Scenario
    data_digest: str


def _point(base: dict[str, Any], base_dir: Path, values: dict[str, Any], seed: int, draw: int) -> Point:
    data = copy.deepcopy(base)
    for key, value in values.items():
        set_key(data, key, value)
    data["seed"] = seed
    try:
        scenario = parse_scenario(data, base_dir)
    except ScenarioError as error:
        where = ", ".join(f"{k} = {v!r}" for k, v in values.items()) or "the base scenario"
        raise SweepError(f"point {where}, seed {seed}: {error}") from None
    digest = point_data_digest(scenario)
    return Point(run_id(scenario_dict(scenario), digest), values, seed, draw, scenario, digest)


def point_data_digest(scenario: Scenario) -> str:
    """The digest of a point's input data: its CSV price files (ballast.store), or "gbm" when
    every oracle is a seeded path (the scenario and seed already fix it)."""
    files = []
    for market in scenario.markets:
        if isinstance(market.oracle, CsvOracle):
            path = Path(market.oracle.path)
            files.append(path if path.is_absolute() else Path(scenario.base_dir) / path)
    return data_digest_of_files(files) if files else "gbm"


def set_key(data: dict[str, Any], key: str, value: Any) -> None:
    """Set a dotted `key` in scenario data; a list item is found by its `name` or index.
    SweepError names the part of the key that does not exist."""
    parts = key.split(".")
    node: Any = data
    for depth, part in enumerate(parts[:-1]):
        node = _child(node, part, ".".join(parts[: depth + 1]), key)
    last = parts[-1]
    if isinstance(node, list):
        node[_index(node, last, key, key)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise SweepError(f"axis {key!r}: {'.'.join(parts[:-1])} is a value, not a table")


def _child(node: Any, part: str, path: str, key: str) -> Any:
    if isinstance(node, dict):
        if part not in node:
            node[part] = {}  # a table the base leaves at its defaults
        return node[part]
    if isinstance(node, list):
        return node[_index(node, part, path, key)]
    raise SweepError(f"axis {key!r}: {path} is a value, not a table")


def _index(items: list, part: str, path: str, key: str) -> int:
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == part:
            return i
    if part.isdigit() and int(part) < len(items):
        return int(part)
    names = [item.get("name") for item in items if isinstance(item, dict) and "name" in item]
    known = f" (names: {', '.join(map(str, names))})" if names else ""
    raise SweepError(f"axis {key!r}: no item {part!r} in {path.rsplit('.', 1)[0] or path}{known}")


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep TOML file (its base scenario and every point included)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as error:
        raise SweepError(f"cannot read sweep {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise SweepError(f"sweep {path} is not valid TOML: {error}") from None
    if "base_dir" in data:
        raise SweepError("invalid sweep: base_dir: unknown key")
    try:
        spec = SweepSpec.model_validate({**data, "base_dir": str(path.resolve().parent)})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(sweep)'}: {e['msg']}" for e in error.errors()
        )
        raise SweepError(f"invalid sweep {path}: {problems}") from None
    return spec
