"""`run_sweep(spec, out)`: every point of a sweep, resumable, on the chosen executor.

The points are expanded and validated first (nothing runs when one is bad). Points the folder
already holds as finished ("ok") are skipped; failed ones are run again. Results are written
as they arrive, in parts of up to FLUSH_POINTS points or every FLUSH_SECONDS, and whatever
arrived is written when the sweep is interrupted (Ctrl-C), so rerunning an interrupted sweep
(even after kill -9) computes only the points it lacks and ends with exactly the table an
uninterrupted sweep gives. At the end the points named in `keep_full` and the `keep_worst`
ones are run again locally as full runs (same inputs, same result) through `finish_full`, and
the worst points' scenarios are written to DIR/worst/<run_id>.toml.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ballast.sim.loading import dump_portable_scenario
from ballast.store.sweep_folder import FULL_DIR, WORST_DIR, SweepFolder
from ballast.sweep.executors import dask_results, local_results
from ballast.sweep.point import PointResult, PointTask, figure_columns
from ballast.sweep.spec import Point, SweepError, SweepSpec

__all__ = ["FLUSH_POINTS", "FLUSH_SECONDS", "SweepRun", "run_sweep"]

FLUSH_POINTS = 8
FLUSH_SECONDS = 5.0


@dataclass(frozen=True)
class SweepRun:
    """What one `run_sweep` call did: points in the sweep, skipped as already finished, run now,
    failed now; the run ids kept in full and the worst ones."""

    folder: Path
    points: int
    skipped: int
    ran: int
    failed: int
    kept: tuple[str, ...]
    worst: tuple[str, ...]


def run_sweep(
    spec: SweepSpec,
    out: str | Path,
    points: list[Point] | None = None,
    executor: Literal["local", "dask"] = "local",
    scheduler: str | None = None,
    workers: int | None = None,
    finish_full: Callable[[Any, Point, Path], Any] | None = None,
    on_result: Callable[[PointResult], None] | None = None,
) -> SweepRun:
    """Run the sweep into folder `out` (module docstring). `finish_full(result, point, dir)`
    writes a kept point's full run under `dir` (the CLI passes the run folder writer with
    the report); `on_result` sees every result as it arrives (progress). `points`: the spec's
    points when the caller has expanded them already (spec.points())."""
    points = spec.points() if points is None else points
    by_id = {p.run_id: p for p in points}
    unknown = [run_id for run_id in spec.keep_full if run_id not in by_id]
    if unknown:
        raise SweepError(f"keep_full: {', '.join(unknown)} is not a point of this sweep")
    if spec.keep_worst is not None and points:
        known = figure_columns([a.name for a in points[0].scenario.agents])
        if spec.keep_worst.metric not in known:
            raise SweepError(f"keep_worst.metric = {spec.keep_worst.metric!r}: not a figure of the points "
                             f"(one of {', '.join(known)})")
    folder = SweepFolder(out)
    folder.prepare(spec.model_dump(mode="json", exclude={"base_dir"}) | {"base": str(spec.base_path().resolve())},
                   [p.run_id for p in points])
    finished = folder.finished()
    todo = [p for p in points if p.run_id not in finished]
    tasks = [_task(p, spec.series_every_minutes) for p in todo]
    if executor == "local":
        results: Iterator[PointResult] = local_results(tasks, workers)
    elif executor == "dask":
        results = dask_results(tasks, scheduler, workers)
    else:
        raise SweepError(f"--executor {executor!r}: use local or dask")
    failures = 0
    buffer: list[PointResult] = []
    last_flush = time.monotonic()
    try:
        for result in results:
            failures += result.row.get("status") != "ok"
            buffer.append(result)
            if on_result is not None:
                on_result(result)
            if len(buffer) >= FLUSH_POINTS or time.monotonic() - last_flush >= FLUSH_SECONDS:
                _flush(folder, buffer)
                last_flush = time.monotonic()
    finally:
        _flush(folder, buffer)
    worst = _worst(spec, folder, set(by_id)) if spec.keep_worst is not None else []
    kept = list(dict.fromkeys([*spec.keep_full, *worst]))
    for run_id in worst:
        target = folder.path / WORST_DIR / f"{run_id}.toml"
        target.parent.mkdir(exist_ok=True)
        target.write_text(dump_portable_scenario(by_id[run_id].scenario))
    if finish_full is not None:
        from ballast.sim import Backtest

        for run_id in kept:
            if not (folder.path / FULL_DIR / run_id).exists():
                point = by_id[run_id]
                finish_full(Backtest(point.scenario, progress=False).run(), point, folder.path / FULL_DIR)
    return SweepRun(folder.path, len(points), len(points) - len(todo), len(todo), failures, tuple(kept), tuple(worst))


def _task(point: Point, series_every_minutes: int) -> PointTask:
    return PointTask(point.run_id, point.scenario.model_dump(mode="json"), point.scenario.base_dir, point.values,
                     point.seed, point.draw, series_every_minutes)


def _flush(folder: SweepFolder, buffer: list[PointResult]) -> None:
    if buffer:
        folder.append([r.row for r in buffer], [r.series for r in buffer])
        buffer.clear()


def _worst(spec: SweepSpec, folder: SweepFolder, ids: set[str]) -> list[str]:
    """Run ids of the keep_worst.n points of this sweep with the worst metric (finished ones;
    none when no finished point holds it, e.g. every point failed). The metric was checked
    against the points' figures before the sweep ran."""
    keep = spec.keep_worst
    assert keep is not None
    table = folder.points()
    if keep.metric not in table.column_names:
        return []
    rows = [r for r in table.select(["run_id", "status", keep.metric]).to_pylist()
            if r["run_id"] in ids and r["status"] == "ok" and r[keep.metric] is not None]
    rows.sort(key=lambda r: (r[keep.metric] if keep.lowest else -r[keep.metric], r["run_id"]))
    return [r["run_id"] for r in rows[: keep.n]]
