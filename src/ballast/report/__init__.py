"""The run report: `build_report(run_dir)` writes `run_dir/report.html` (self-contained, works
offline) from the files of a run folder; with `csv=True` it also writes CSV copies of the
timeseries, agents, events, summary and provider statistics next to them. `save_run(result)`
writes a backtest's run folder with its report."""

from __future__ import annotations

import csv as _csv
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv

__all__ = ["REPORT_FILE", "build_report", "save_run"]

REPORT_FILE = "report.html"


def _write_csvs(run) -> list[Path]:
    from ballast.report.html import _provider_figures
    from ballast.report.metrics import PROVIDER_COLUMNS

    folder = run.run_dir
    written = []
    for name, table in (("timeseries", run.timeseries), ("agents", run.agents), ("events", run.events)):
        path = folder / f"{name}.csv"
        pacsv.write_csv(table, path)
        written.append(path)

    path = folder / "summary.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = _csv.writer(handle)
        writer.writerow(["statistic", "value"])
        for key in sorted(run.summary):
            writer.writerow([key, run.summary[key]])
    written.append(path)

    path = folder / "providers.csv"  # the report's provider table: summary.json's figures (docs/metrics.md)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = _csv.writer(handle)
        writer.writerow(["venue", "provider", *PROVIDER_COLUMNS])
        for venue, agent, figures in _provider_figures(run):
            writer.writerow([venue, agent, *(figures.get(name) for name in PROVIDER_COLUMNS)])
    written.append(path)
    return written


def build_report(run_dir: str | Path, csv: bool = False) -> Path:
    """Rebuild `run_dir/report.html` from the run folder; return its path. With `csv`, also
    write timeseries.csv, agents.csv, events.csv, summary.csv and providers.csv."""
    from ballast.report.html import render_report
    from ballast.store.run_folder import load_run

    run = load_run(run_dir)
    path = run.run_dir / REPORT_FILE
    path.write_text(render_report(run), encoding="utf-8")
    if csv:
        _write_csvs(run)
    return path


def save_run(result: Any, out_dir: str | Path = "runs") -> Path:
    """Write a BacktestResult's run folder under `out_dir` (ballast.store.write_run) with its
    HTML report built inside before the folder is put in place; return the report's path."""
    from ballast.store.run_folder import write_run

    return Path(write_run(result, out_dir, finish=build_report)) / REPORT_FILE
