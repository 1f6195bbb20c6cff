"""Sweeps and Monte Carlo: one base scenario, its axes and seeds, every point run on a local
process pool or a Dask cluster, results as Parquet queried with DuckDB (ballast.store)."""

from ballast.sweep.point import HEADLINE, PointResult, PointTask, run_point
from ballast.sweep.runner import SweepRun, run_sweep
from ballast.sweep.spec import Point, SweepError, SweepSpec, load_sweep

__all__ = [
    "HEADLINE",
    "Point",
    "PointResult",
    "PointTask",
    "SweepError",
    "SweepRun",
    "SweepSpec",
    "load_sweep",
    "run_point",
    "run_sweep",
]
