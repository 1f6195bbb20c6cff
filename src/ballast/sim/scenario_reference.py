"""docs/scenario.md, generated from the scenario models: every key, its type, default and bounds.

`render()` builds the page from the pydantic models of ballast.sim.scenario (each model's
docstring, then one row per key: type, default, bounds from its JSON schema), the market
presets (one column per preset: the values a market takes when the scenario gives none) and the
shipped examples (name, file, description). `ballast docs scenario` prints it; a test keeps the
committed page equal to it.
"""

from __future__ import annotations

import inspect
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ballast.drift.market_presets import PERP_MARKET_PRESETS
from ballast.sim import scenario as sc

__all__ = ["render", "SECTIONS"]

# (heading, TOML location, model) in the order a scenario file reads
SECTIONS: tuple[tuple[str, str, type[BaseModel]], ...] = (
    ("The scenario", "top level", sc.Scenario),
    ("Venues", "[[venues]]", sc.VenueConfig),
    ("Insurance fund", "[venues.insurance_fund]", sc.InsuranceFundConfig),
    ("Curie parameters", "[venues.curie]", sc.CurieParams),
    ("Markets", "[[markets]]", sc.MarketConfig),
    ("GBM oracle", '[markets.oracle] kind = "gbm"', sc.GbmOracle),
    ("Volatility regime", "regimes = [{...}]", sc.VolRegime),
    ("Scheduled move", "scheduled_moves = [{...}]", sc.ScheduledMove),
    ("CSV oracle", '[markets.oracle] kind = "csv"', sc.CsvOracle),
    ("Arbitrageur", '[[agents]] kind = "arbitrageur"', sc.Arbitrageur),
    ("Noise taker", '[[agents]] kind = "noise_taker"', sc.NoiseTaker),
    ("Trend follower", '[[agents]] kind = "trend_follower"', sc.TrendFollower),
    ("BAL provider", '[[agents]] kind = "bal_provider"', sc.BalProvider),
    ("Curie maker", '[[agents]] kind = "curie_maker"', sc.CurieMaker),
    ("Insurance staker", '[[agents]] kind = "insurance_staker"', sc.InsuranceStaker),
    ("Spot maker", '[[agents]] kind = "spot_maker"', sc.SpotMaker),
    ("Spot taker", '[[agents]] kind = "spot_taker"', sc.SpotTaker),
    ("Your own agent", '[[agents]] kind = "python"', sc.PythonAgent),
    ("Keepers", "[keepers]", sc.KeepersConfig),
    ("Market health", "[health]", sc.HealthConfig),
    ("Outputs", "[outputs]", sc.OutputsConfig),
)

_BOUNDS = (("minimum", ">= {}"), ("exclusiveMinimum", "> {}"), ("maximum", "<= {}"), ("exclusiveMaximum", "< {}"))


def _type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " or ".join(repr(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    if "anyOf" in schema:
        return " or ".join(_type(s) for s in schema["anyOf"])
    if "oneOf" in schema:
        return "agent table (one of the kinds below)"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "any")
    if kind == "array":
        items = schema.get("prefixItems") or [schema.get("items", {})]
        return f"list of {', '.join(_type(s) for s in items)}"
    if kind == "object":
        return "table"
    return {"integer": "int", "number": "float", "string": "str", "boolean": "bool", "null": "none"}.get(kind, kind)


def _bounds(schema: dict[str, Any]) -> str:
    parts = [text.format(schema[key]) for key, text in _BOUNDS if key in schema]
    for sub in schema.get("anyOf", []):
        parts += [text.format(sub[key]) for key, text in _BOUNDS if key in sub]
    return ", ".join(parts)


def _default(model: type[BaseModel], name: str) -> str:
    field = model.model_fields[name]
    if field.is_required():
        return "from the preset" if model is sc.MarketConfig else "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "its defaults"
    if isinstance(value, tuple) and value and isinstance(value[0], BaseModel):
        return "one, with its defaults"
    return "none" if value is None else f"`{value!r}`"


def _section(heading: str, where: str, model: type[BaseModel]) -> list[str]:
    schema = model.model_json_schema()
    lines = [f"## {heading}", "", f"`{where}`", "", inspect.cleandoc(model.__doc__ or ""), "",
             "| key | type | default | bounds |", "|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        if name in model.model_fields and not model.model_fields[name].exclude:
            lines.append(f"| `{name}` | {_type(prop)} | {_default(model, name)} | {_bounds(prop)} |")
    return lines + [""]


def _presets() -> list[str]:
    names = list(PERP_MARKET_PRESETS)
    lines = ["## Market presets", "",
             "The values a `[[markets]]` table takes for every key it does not give (units as in the "
             "Markets table; sources in `src/ballast/drift/market_presets.py`).", "",
             "| key | " + " | ".join(f"drift/{n}" for n in names) + " | drift/bootstrap |",
             "|---|" + "---|" * (len(names) + 1)]
    resolved = [sc.MarketConfig(name=n) for n in names] + [sc.MarketConfig(name="bootstrap", preset="drift/bootstrap")]
    for key in sc.MarketConfig.model_fields:
        if key in ("name", "preset", "oracle", "lp_fee_slice"):
            continue
        lines.append(f"| `{key}` | " + " | ".join(f"{getattr(m, key)!r}" for m in resolved) + " |")
    return lines + [""]


def _examples(folder: Path) -> list[str]:
    lines = ["## The shipped examples", "", "| file | name | description |", "|---|---|---|"]
    for path in sorted(folder.glob("*.toml")):
        data = tomllib.loads(path.read_text())
        lines.append(f"| `examples/{path.name}` | {data.get('name', '')} | {data.get('description', '')} |")
    return lines + [""]


def render(examples: Path | None = None) -> str:
    """The whole page (Markdown); `examples` is the folder of the shipped example scenarios."""
    folder = examples if examples is not None else Path(__file__).resolve().parents[3] / "examples"
    lines = ["# Scenario reference", "",
             "Generated from the scenario models (`ballast docs scenario`; `src/ballast/sim/scenario_reference.py`): "
             "every key a scenario file may give, its type, default and bounds. Units are in the key names "
             "(`_usd` dollars, `_base` base units, `_pct` percent, `_day(s)` days since the start, `_seconds`, "
             "`_minutes`); engine parameters keep the engine's integers and names. An unknown key or a value "
             "out of bounds fails with a message naming it.", ""]
    for heading, where, model in SECTIONS:
        lines += _section(heading, where, model)
    lines += _presets()
    lines += _examples(folder)
    return "\n".join(lines).rstrip() + "\n"
