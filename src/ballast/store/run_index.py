"""Many run folders at once: `list_runs(DIR)` (what `ballast runs` shows) and `query_runs(DIR, sql)`
(what `ballast query` runs: DuckDB over the Parquet files of one run folder, or of every complete
run folder under DIR).

Only complete run folders count (run_folder.load_run's rule: a manifest naming every data file,
each with its recorded SHA-256); any other folder is skipped, and counted.

The date of a run: run folders hold no wall clock (equal inputs give equal bytes, manifest
included), so the date shown is the modification time of the folder's manifest.json (UTC), that
is when the run was written.
"""

from __future__ import annotations

import datetime as _dt
import json
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from ballast.store.run_folder import (
    MANIFEST_FILE,
    SCENARIO_FILE,
    SUMMARY_FILE,
    IncompleteRun,
    _complete_manifest,
)

__all__ = ["HEADLINE_FIGURES", "RunEntry", "RunQueryError", "is_run_folder", "list_runs", "query_runs",
           "run_folders"]

SHORT_ID_LENGTH = 8
# The figures of summary.json `ballast runs` shows (top level: the first venue's, run-wide).
HEADLINE_FIGURES = ("lp_apr_pct", "lp_pnl_usd", "total_fees_usd", "liquidations", "insurance_fund_end_usd")


class RunQueryError(RuntimeError):
    """A query that cannot run as asked (no run there, bad SQL); the message says why."""


@dataclass(frozen=True)
class RunEntry:
    """One complete run folder, as `ballast runs` lists it."""

    run_id: str
    path: str
    scenario: str
    date: str  # manifest.json's modification time, ISO 8601 UTC to the second
    seed: Any
    duration_days: float | None
    figures: dict[str, Any]  # HEADLINE_FIGURES (None when the run has no such figure)
    warnings: int

    @property
    def short_id(self) -> str:
        return self.run_id[:SHORT_ID_LENGTH]

    def row(self) -> dict[str, Any]:
        """A flat record: run_id, short_id, path, scenario, date, seed, duration_days, the
        headline figures, warnings."""
        data = asdict(self)
        figures = data.pop("figures")
        warnings = data.pop("warnings")
        return {"short_id": self.short_id, **data, **figures, "warnings": warnings}


def is_run_folder(folder: str | Path) -> bool:
    """True when `folder` holds a manifest.json (complete or not): a run folder, not a folder of them."""
    return (Path(folder) / MANIFEST_FILE).is_file()


def _entry(folder: Path) -> RunEntry:
    manifest = _complete_manifest(folder)  # IncompleteRun
    try:
        summary = json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8"))
        scenario = tomllib.loads((folder / SCENARIO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IncompleteRun(f"{folder} is not a complete run folder: {error}") from None
    if not isinstance(summary, dict):
        summary = {}
    written = (folder / MANIFEST_FILE).stat().st_mtime
    date = _dt.datetime.fromtimestamp(written, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    duration = summary.get("duration_days", scenario.get("duration_days"))
    warnings = summary.get("warnings")
    return RunEntry(
        run_id=str(manifest.get("run_id", folder.name)),
        path=str(folder),
        scenario=str(summary.get("scenario") or scenario.get("name") or ""),
        date=date,
        seed=manifest.get("seed", summary.get("seed")),
        duration_days=float(duration) if isinstance(duration, (int, float)) else None,
        figures={name: summary.get(name) for name in HEADLINE_FIGURES},
        warnings=len(warnings) if isinstance(warnings, list) else 0,
    )


def run_folders(folder: str | Path) -> tuple[list[Path], list[Path]]:
    """(the complete run folders directly under `folder`, the other folders there), each sorted
    by name. FileNotFoundError when `folder` is not a folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder at {folder}")
    runs, skipped = [], []
    for child in sorted(p for p in folder.iterdir() if p.is_dir()):
        try:
            _complete_manifest(child)
        except IncompleteRun:
            skipped.append(child)
        else:
            runs.append(child)
    return runs, skipped


def list_runs(folder: str | Path) -> tuple[list[RunEntry], list[Path]]:
    """(the complete runs directly under `folder`, sorted by scenario, then by when they were
    written (the manifest's modification time, to the nanosecond: `date` shows it to the
    second), then id; the folders skipped as not complete runs)."""
    runs, skipped = run_folders(folder)
    entries = []
    for path in runs:
        try:
            entries.append(_entry(path))
        except IncompleteRun:
            skipped.append(path)
    entries.sort(key=lambda e: (e.scenario, (Path(e.path) / MANIFEST_FILE).stat().st_mtime_ns, e.run_id))
    return entries, sorted(skipped)


# --- DuckDB -----------------------------------------------------------------------------------


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise RunQueryError("querying runs needs DuckDB: pip install 'ballast[sweep]'") from None
    return duckdb


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sql_name(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _parquet_tables(run: Path) -> dict[str, Path]:
    """{table name: file} of a run folder's Parquet files (timeseries, agents, events, ...)."""
    return {path.stem: path for path in sorted(run.glob("*.parquet")) if path.is_file()}


def connect(folder: str | Path) -> Any:
    """A DuckDB connection with one view per Parquet file of the run folder `folder`, named after
    the file; or, when `folder` holds run folders, one view per file name over every complete run
    under it, with a leading `run_id` column (the union by column name)."""
    duckdb = _duckdb()
    folder = Path(folder)
    if not folder.is_dir():
        raise RunQueryError(f"no folder at {folder}")
    con = duckdb.connect()
    if is_run_folder(folder):
        try:
            _complete_manifest(folder)
        except IncompleteRun as error:
            raise RunQueryError(str(error)) from None
        for name, path in _parquet_tables(folder).items():
            con.execute(f"CREATE VIEW {_sql_name(name)} AS SELECT * FROM read_parquet({_sql_text(str(path))})")
        return con
    runs, _skipped = run_folders(folder)
    if not runs:
        raise RunQueryError(f"{folder} is neither a complete run folder nor a folder holding any")
    by_table: dict[str, list[str]] = {}
    for run in runs:
        identifier = _run_id_of(run)
        for name, path in _parquet_tables(run).items():
            by_table.setdefault(name, []).append(
                f"SELECT {_sql_text(identifier)} AS run_id, * FROM read_parquet({_sql_text(str(path))})")
    for name, selects in by_table.items():
        con.execute(f"CREATE VIEW {_sql_name(name)} AS " + " UNION ALL BY NAME ".join(selects))
    return con


def _run_id_of(run: Path) -> str:
    try:
        return str(json.loads((run / MANIFEST_FILE).read_text(encoding="utf-8")).get("run_id") or run.name)
    except (OSError, ValueError, AttributeError):
        return run.name


def query_runs(folder: str | Path, sql: str) -> pa.Table:
    """Run `sql` over the views of `connect(folder)`; RunQueryError with DuckDB's message when the
    statement fails."""
    duckdb = _duckdb()
    try:
        con = connect(folder)
        relation = con.sql(sql)
        return relation.to_arrow_table() if relation is not None else pa.table({})
    except duckdb.Error as error:
        raise RunQueryError(f"query failed: {error}") from None
