"""docs/scenario.md is generated from the scenario models and kept up to date."""

from __future__ import annotations

from pathlib import Path

from ballast.sim import scenario as sc
from ballast.sim.scenario_reference import SECTIONS, render

ROOT = Path(__file__).resolve().parents[2]


def test_committed_scenario_reference_is_up_to_date():
    committed = (ROOT / "docs" / "scenario.md").read_text()
    assert committed == render(), "docs/scenario.md is out of date: run `ballast docs scenario > docs/scenario.md`"


def test_every_scenario_model_and_key_is_documented():
    page = render()
    models = {m for _h, _w, m in SECTIONS}
    for name in sc.__all__:
        model = getattr(sc, name)
        if isinstance(model, type) and issubclass(model, sc.BaseModel) and model is not sc.MarketOverrides:
            assert model in models, f"{name} has no section"
            for key, field in model.model_fields.items():
                if not field.exclude:
                    assert f"| `{key}` |" in page, f"{name}.{key} is not documented"


def test_every_shipped_example_is_listed():
    page = render()
    for path in (ROOT / "examples").glob("*.toml"):
        assert f"`examples/{path.name}`" in page
