"""`ballast bench report`: the time to build a run folder's report.html.

Each measured build is `ballast.report.build_report(run_dir)` as `ballast report` runs it:
reading the run folder back (load_run: the manifest digests checked, the Parquet tables read)
and rendering and writing the page, in wall seconds (perf_counter) and CPU seconds
(process_time), in this process. Without a run folder, the scenario is run once (not timed)
and its run folder written without a report into a temporary folder, removed afterwards.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["ReportBenchResult", "bench_report", "bench_report_of_scenario"]


@dataclass(frozen=True)
class ReportBenchResult:
    """`runs` builds of one run folder's report: best and median wall and CPU seconds, the
    report's size and the size of the tables it was built from."""

    scenario: str
    run_id: str
    runs: int
    wall_seconds: tuple[float, ...]
    cpu_seconds: tuple[float, ...]
    report_bytes: int
    timeseries_rows: int
    agents_rows: int
    events_rows: int

    def row(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "run_id": self.run_id,
            "runs": self.runs,
            "best_wall_seconds": min(self.wall_seconds),
            "median_wall_seconds": statistics.median(self.wall_seconds),
            "best_cpu_seconds": min(self.cpu_seconds),
            "median_cpu_seconds": statistics.median(self.cpu_seconds),
            "report_bytes": self.report_bytes,
            "report_mib": self.report_bytes / (1024 * 1024),
            "timeseries_rows": self.timeseries_rows,
            "agents_rows": self.agents_rows,
            "events_rows": self.events_rows,
        }


def bench_report(run_dir: str | Path, runs: int = 3, scenario: str | None = None) -> ReportBenchResult:
    """Build `run_dir/report.html` `runs` times (build_report), each timed."""
    import pyarrow.parquet as pq

    from ballast.report import build_report
    from ballast.store.run_folder import load_run

    if runs < 1:
        raise ValueError(f"runs must be >= 1, got {runs}")
    run = load_run(run_dir)  # IncompleteRun / FileNotFoundError before any timing
    walls, cpus = [], []
    path = None
    for _ in range(runs):
        cpu_started, started = time.process_time(), time.perf_counter()
        path = build_report(run_dir)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu_started)
    assert path is not None
    folder = Path(run_dir)

    def rows(name: str) -> int:
        file = folder / f"{name}.parquet"
        return pq.ParquetFile(file).metadata.num_rows if file.exists() else 0

    return ReportBenchResult(
        scenario=scenario or str(run.summary.get("scenario") or run.scenario.get("name") or ""),
        run_id=run.run_id,
        runs=runs,
        wall_seconds=tuple(walls),
        cpu_seconds=tuple(cpus),
        report_bytes=path.stat().st_size,
        timeseries_rows=rows("timeseries"),
        agents_rows=rows("agents"),
        events_rows=rows("events"),
    )


def bench_report_of_scenario(scenario_path: str, runs: int = 3) -> ReportBenchResult:
    """Run the scenario once (untimed) into a temporary run folder, then bench_report it."""
    from ballast.sim import Backtest, load_scenario
    from ballast.store.run_folder import write_run

    result = Backtest(load_scenario(scenario_path), progress=False).run()
    with tempfile.TemporaryDirectory(prefix="ballast-bench-report-") as out:
        folder = write_run(result, out)
        return bench_report(folder, runs, scenario=scenario_path)
