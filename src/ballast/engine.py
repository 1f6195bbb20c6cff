"""Which build of the Drift engine is running: compiled by mypyc, or interpreted.

`setup.py` compiles the engine's typed modules (see its ENGINE_PATTERNS) to C extensions, which
Python imports in place of the `.py` files. An in-place build (`make build`) leaves
`_engine_manifest.json` beside this module with the hash of every source it compiled; a source
edited since then makes the build stale (the extension, not the edited file, would run), which
`engine_status` reports and the test suite refuses to run on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import ballast.fixed

__all__ = ["EngineStatus", "engine_status", "stale_sources"]

_PACKAGE_ROOT = Path(ballast.fixed.__file__).parent
_MANIFEST = _PACKAGE_ROOT / "_engine_manifest.json"


@dataclass(frozen=True)
class EngineStatus:
    """Which build of the engine is imported, and what a compiled in-place build missed."""

    compiled: bool
    stale_sources: tuple[str, ...] = ()  # compiled sources edited since the build (src-relative)

    def describe(self) -> str:
        if not self.compiled:
            return "interpreted (pure Python)"
        if self.stale_sources:
            return f"compiled (mypyc), STALE: {', '.join(self.stale_sources)} changed since the build"
        return "compiled (mypyc)"


def stale_sources(manifest: Path, src: Path) -> tuple[str, ...]:
    """The sources listed in a build manifest ({src-relative path: sha256}) that are missing
    under `src` or whose content no longer hashes as recorded."""
    built = json.loads(manifest.read_text())
    return tuple(
        path
        for path, digest in built.items()
        if not (src / path).exists()
        or hashlib.sha256((src / path).read_bytes()).hexdigest() != digest
    )


def engine_status() -> EngineStatus:
    """Whether `ballast.fixed` (and with it the engine) was imported from a compiled extension,
    and which compiled sources no longer match the in-place build's manifest."""
    compiled = ballast.fixed.__file__.endswith(tuple(EXTENSION_SUFFIXES))
    if not compiled or not _MANIFEST.exists():
        return EngineStatus(compiled)
    return EngineStatus(compiled, stale_sources(_MANIFEST, _PACKAGE_ROOT.parent))
