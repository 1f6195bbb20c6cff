"""Reading and writing scenario files: validated scenarios from TOML or a mapping (user
agents loaded and checked on the way), and the resolved scenario as TOML. Apart from the
models (ballast.sim.scenario) because checking a python agent needs the Agent class
(ballast.sim.agents), which itself reads the models.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from ballast.sim.agents import resolve_agent_classes
from ballast.sim.scenario import (
    CsvOracle,
    PythonAgent,
    Scenario,
    ScenarioError,
    describe_validation_error,
)

__all__ = ["dump_portable_scenario", "dump_scenario", "load_scenario", "parse_scenario"]


def parse_scenario(data: dict[str, Any], base_dir: str | Path = ".") -> Scenario:
    """Validate a scenario mapping (as read from TOML); ScenarioError names the bad keys."""
    try:
        scenario = Scenario.model_validate({**data, "base_dir": str(base_dir)})
    except ValidationError as error:
        raise ScenarioError(f"invalid scenario: {describe_validation_error(error)}") from None
    if any(isinstance(a, PythonAgent) and a.path is not None for a in scenario.agents):
        resolve_agent_classes(scenario, require_all=False)  # loads each user agent: a bad path fails here
    return scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    path = Path(path)
    try:
        text = path.read_text()
        data = tomllib.loads(text)
    except OSError as error:
        raise ScenarioError(f"cannot read scenario {path}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"scenario {path} is not valid TOML: {error}") from None
    if not data:
        raise ScenarioError(f"scenario {path} is empty: it needs at least [[agents]] (see examples/)")
    if "base_dir" in data:
        raise ScenarioError("invalid scenario: base_dir: unknown key")
    return parse_scenario(data, path.resolve().parent)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_drop_none(v) for v in value]
    return value


def dump_scenario(scenario: Scenario) -> str:
    """The resolved scenario (defaults included) as TOML text; None values are omitted."""
    return tomli_w.dumps(_drop_none(scenario.model_dump(mode="json")))


def dump_portable_scenario(scenario: Scenario) -> str:
    """The resolved scenario as a TOML file `ballast backtest` runs from any folder: file paths
    (CSV oracles, python agents) made absolute."""
    base = Path(scenario.base_dir)

    def absolute(path: str) -> str:
        return str(Path(path) if Path(path).is_absolute() else (base / path).resolve())

    markets = tuple(
        m.model_copy(update={"oracle": m.oracle.model_copy(update={"path": absolute(m.oracle.path)})})
        if isinstance(m.oracle, CsvOracle) else m
        for m in scenario.markets
    )
    agents = tuple(
        a.model_copy(update={"path": absolute(a.path)}) if isinstance(a, PythonAgent) and a.path else a
        for a in scenario.agents
    )
    data = scenario.model_copy(update={"markets": markets, "agents": agents}).model_dump(mode="json")
    return tomli_w.dumps(_drop_none(data))
