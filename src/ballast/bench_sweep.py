"""`ballast bench sweep`: sweep points per minute on one worker and on every core.

The workload is a seeds-only sweep of a scenario (default: the 3-day gap crash, ~2 s of CPU
a point), run twice into temporary folders: once with one worker process, once with
`workers` (default: every core). The scaling ratio is the second rate over the first; on a
machine with N cores it cannot exceed N. Both runs compute the same points (same run ids),
so the ratio compares equal work.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ballast.sweep import load_sweep, run_sweep

__all__ = ["SweepBenchResult", "bench_sweep"]


@dataclass(frozen=True)
class SweepBenchResult:
    workers: int
    points: int
    wall_seconds: float

    @property
    def points_per_minute(self) -> float:
        return self.points / self.wall_seconds * 60

    def row(self) -> dict[str, Any]:
        return asdict(self) | {"points_per_minute": self.points_per_minute}


def bench_sweep(scenario: str, points: int, workers: int | None = None) -> list[SweepBenchResult]:
    """Time a `points`-seed sweep of `scenario` on 1 worker, then on `workers` (default: every
    core); one result each (wall seconds: the sweep's elapsed time). SweepError for a bad
    scenario."""
    workers = workers or os.cpu_count() or 1
    out = []
    with tempfile.TemporaryDirectory() as folder:
        spec_path = Path(folder) / "bench_sweep.toml"
        spec_path.write_text(f'name = "bench_sweep"\nbase = {str(Path(scenario).resolve())!r}\nseeds = {points}\n')
        spec = load_sweep(spec_path)
        for count in (1, workers):
            started = time.perf_counter()
            done = run_sweep(spec, Path(folder) / f"workers-{count}", workers=count)
            out.append(SweepBenchResult(count, done.ran, time.perf_counter() - started))
    return out
