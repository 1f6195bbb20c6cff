"""The compiled engine (mypyc, `make build`) is a faithful build of its source.

Run in a subprocess on each build, the demo walk-through and the crash backtest (liquidations,
BAL providers, bankruptcies and the insurance fund) end in the same state digests; a build whose
sources changed is reported stale; compiled values copy and pickle.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

import ballast
from ballast.demo import run_demo
from ballast.drift.events import OrderAction, OrderActionExplanation, OrderActionRecord
from ballast.drift.state.margin_calculation import MarginContext, MarginRequirementType
from ballast.drift.state.state import FeeTier
from ballast.engine import EngineStatus, engine_status, stale_sources

ROOT = Path(__file__).resolve().parents[1]

_DIGESTS = """
import io, json, sys
from rich.console import Console
from ballast.demo import run_demo
from ballast.engine import engine_status
from ballast.sim import Backtest, load_scenario

demo = run_demo(Console(file=io.StringIO()))
crash = Backtest(load_scenario(sys.argv[1])).run()
print(json.dumps({
    "compiled": engine_status().compiled,
    "demo": demo.state_digest(),
    "crash": crash.state_digests,
    "crash_events": len(crash.events),
}))
"""


def _digests(pythonpath: Path | None) -> dict:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    done = subprocess.run(
        [sys.executable, "-c", _DIGESTS, str(ROOT / "examples" / "crash.toml")],
        env=env, capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not engine_status().compiled, reason="needs the compiled engine: make build")
def test_compiled_and_interpreted_engines_end_in_the_same_state(tmp_path):
    pure = tmp_path / "src"
    shutil.copytree(
        Path(ballast.__file__).parent,
        pure / "ballast",
        ignore=shutil.ignore_patterns("*.so", "_engine_manifest.json", "__pycache__"),
    )

    compiled = _digests(None)
    interpreted = _digests(pure)

    assert compiled.pop("compiled") is True
    assert interpreted.pop("compiled") is False
    assert compiled["crash_events"] > 1000  # the crash really ran: liquidations and all
    assert compiled == interpreted


def test_a_build_is_stale_once_a_compiled_source_changes(tmp_path):
    source = tmp_path / "ballast" / "fixed.py"
    source.parent.mkdir()
    source.write_text("X = 1\n")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps({"ballast/fixed.py": hashlib.sha256(source.read_bytes()).hexdigest()})
    )
    assert stale_sources(manifest, tmp_path) == ()

    source.write_text("X = 2\n")
    assert stale_sources(manifest, tmp_path) == ("ballast/fixed.py",)
    assert "STALE: ballast/fixed.py" in EngineStatus(True, ("ballast/fixed.py",)).describe()

    source.unlink()
    assert stale_sources(manifest, tmp_path) == ("ballast/fixed.py",)


def test_this_test_run_is_on_a_build_that_matches_its_sources():
    assert engine_status().stale_sources == ()


def test_values_events_and_a_whole_exchange_copy_and_pickle():
    record = OrderActionRecord(
        ts=1, action=OrderAction.Fill, action_explanation=OrderActionExplanation.OrderFilledWithAMM,
        market_index=0, base_asset_amount_filled=5, taker="alice/0", oracle_price=100,
    )
    tier = FeeTier(fee_numerator=35, fee_denominator=100_000)
    context = MarginContext.standard(MarginRequirementType.Initial).with_strict(True)
    for value in (record, tier, context):
        assert copy.deepcopy(value) == value
        assert pickle.loads(pickle.dumps(value)) == value

    exchange = run_demo(Console(file=io.StringIO()))  # trades, funding, settlements: many events
    for clone in (copy.deepcopy(exchange), pickle.loads(pickle.dumps(exchange))):
        assert clone.state_digest() == exchange.state_digest()
        assert clone.events == exchange.events


def test_every_compiled_dataclass_that_needs_it_copies_by_constructor():
    """A compiled dataclass that is frozen or has required arguments cannot be copied or
    pickled by the default protocol: each must be registered with copy_by_constructor."""
    import copyreg
    import dataclasses
    import importlib
    import runpy

    setup = runpy.run_path(str(ROOT / "setup.py"), run_name="not_main")
    unregistered = []
    for path in setup["engine_sources"]():
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        for name, cls in vars(module).items():
            if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
                continue
            if cls.__module__ != module.__name__ or cls in copyreg.dispatch_table:
                continue
            try:
                cls()
                needs_constructor = cls.__dataclass_params__.frozen
            except TypeError:
                needs_constructor = True
            if needs_constructor:
                unregistered.append(f"{module.__name__}.{name}")
    assert unregistered == []


def test_written_out_inits_match_their_dataclass_fields():
    """Each dataclass with a written-out __init__ (init=False, for mypyc) takes its fields in
    declaration order with the declared defaults, and stores each one under its own name."""
    import ast
    import runpy

    setup = runpy.run_path(str(ROOT / "setup.py"), run_name="not_main")
    checked = 0
    for path in setup["engine_sources"]():
        tree = ast.parse((ROOT / "src" / path).read_text())
        for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
            decorators = [ast.unparse(d) for d in cls.decorator_list]
            if not any("dataclass" in d and "init=False" in d for d in decorators):
                continue
            fields = [
                (n.target.id, ast.unparse(n.annotation), n.value and ast.unparse(n.value))
                for n in cls.body
                if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
            ]
            init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
            args = init.args.args[1:]
            defaults = [None] * (len(args) - len(init.args.defaults)) + [
                ast.unparse(d) for d in init.args.defaults
            ]
            params = [(a.arg, ast.unparse(a.annotation), d) for a, d in zip(args, defaults, strict=True)]
            stores = [ast.unparse(statement) for statement in init.body]
            assert params == fields, cls.name
            assert stores == [f"self.{name} = {name}" for name, _, _ in fields], cls.name
            checked += 1
    assert checked >= 10
