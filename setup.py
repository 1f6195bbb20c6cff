"""Build hook: compile the Drift engine's typed modules to C extensions with mypyc.

The engine (integer helpers, Drift state, math, controllers, events, snapshots) is plain, typed
Python; mypyc compiles those modules to C extensions that import in place of the `.py` files
and run the same code about 3.4 times faster on the fill path (`ballast bench fills`).
Everything else (instructions, CLI, backtests, reports, the Curie engine) stays interpreted.
`BALLAST_COMPILE=0` builds a pure-Python package.

An in-place build (`python setup.py build_ext --inplace`, run by `make`) also writes
`src/ballast/_engine_manifest.json`: the hash of every compiled source, which
`ballast.engine.engine_status` checks so a stale build is never mistaken for the source.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

SRC = Path(__file__).parent / "src"
ENGINE_PATTERNS = (
    "ballast/fixed.py",
    "ballast/drift/constants.py",
    "ballast/atomic.py",
    "ballast/drift/events.py",
    "ballast/drift/validation/*.py",
    "ballast/drift/math/*.py",
    "ballast/drift/controller/*.py",
    "ballast/drift/state/*.py",
)
# user input: the instructions validate it field by field before it reaches compiled code
INTERPRETED = {"ballast/drift/state/order_params.py"}
MANIFEST = SRC / "ballast" / "_engine_manifest.json"


def engine_sources() -> list[str]:
    """Paths (relative to src/) of the modules mypyc compiles, sorted."""
    paths = {
        path.relative_to(SRC).as_posix()
        for pattern in ENGINE_PATTERNS
        for path in SRC.glob(pattern)
        if path.name != "__init__.py"
    }
    return sorted(paths - INTERPRETED)


class BuildEngine(build_ext):
    """build_ext that records the compiled sources' hashes after an in-place build."""

    def run(self) -> None:
        super().run()
        if self.inplace:
            digests = {
                path: hashlib.sha256((SRC / path).read_bytes()).hexdigest()
                for path in engine_sources()
            }
            MANIFEST.write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")


def ext_modules() -> list:
    if os.environ.get("BALLAST_COMPILE", "1") == "0":
        return []
    from mypyc.build import mypycify

    return mypycify(
        [f"src/{path}" for path in engine_sources()], opt_level="3", group_name="ballast_engine"
    )


if __name__ == "__main__":  # as pip's build backend and `python setup.py` run it
    setup(ext_modules=ext_modules(), cmdclass={"build_ext": BuildEngine})
