"""The Backtests page, `/backtests` (public): the run folders and sweep folders the service can
see, their headline figures and reports, and a side-by-side comparison of runs.

Where it looks (read on every request, so a new run shows without a restart):

* run folders (ballast.store.run_folder: `ballast run` / `ballast.report.save_run`) directly
  under `BALLAST_RUNS_DIR` (default `./runs`, relative to the service's working directory);
* sweep folders (ballast.store.sweep_folder: `ballast sweep`) directly under
  `BALLAST_SWEEPS_DIR` (default `./sweeps`).

A run is listed from its `manifest.json`, `summary.json` and `scenario.resolved.toml` (the
files `write_run` writes last and whole): its name, description, seed, the scenario's start
date, the folder's date (the manifest's modification time) and headline figures. The digests of
the data files are not checked here (that reads every Parquet file; `ballast.store.load_run`
does it when a run is loaded), only that the files the manifest lists are there; hidden
`.<id>.partial` folders of runs being written are skipped.

`/backtests/compare?run=<id>&run=<id>...` shows the selected runs' top-level summary figures
(numbers; the per-venue and per-agent tables stay in each report) side by side, one row per
figure name. `/backtests/files/{runs|sweeps}/<path>/report.html` serves a report: only a file
named `report.html` inside one of the two roots (after resolving symbolic links and `..`);
anything else is a 404.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from ballast.report import REPORT_FILE
from ballast.store.run_folder import MANIFEST_FILE, SCENARIO_FILE, SUMMARY_FILE
from ballast.store.sweep_folder import SweepFolder
from ballast.web.app import Web

__all__ = ["register", "roots", "list_runs", "list_sweeps", "figure", "compare_rows", "HEADLINE",
           "RUNS_ENV", "SWEEPS_ENV"]

RUNS_ENV = "BALLAST_RUNS_DIR"
SWEEPS_ENV = "BALLAST_SWEEPS_DIR"

# (summary name, column title) of the figures the list shows for every run
HEADLINE = (
    ("total_fees_usd", "Fees"),
    ("lp_pnl_usd", "LP pnl"),
    ("lp_apr_pct", "LP APR"),
    ("max_drawdown_pct", "Max drawdown"),
    ("liquidations", "Liquidations"),
    ("insurance_fund_end_usd", "Insurance fund (end)"),
)


def roots() -> dict[str, Path]:
    """The folders the page reads: {"runs": ..., "sweeps": ...}, absolute."""
    return {"runs": Path(os.environ.get(RUNS_ENV) or "runs").resolve(),
            "sweeps": Path(os.environ.get(SWEEPS_ENV) or "sweeps").resolve()}


def figure(name: str, value: Any) -> str:
    """A summary figure as text, by its name's unit: `_usd` as dollars with cents, `_pct` with 4
    decimals and "%" (3 significant digits in scientific notation under 0.01%), whole numbers with thousands separators, other numbers with 4 decimals;
    "–" for a missing one."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not (isinstance(value, float) and not math.isfinite(value)):
        if name.endswith("_usd"):
            return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"
        if name.endswith("_pct"):
            return f"{value:.2e}%" if value and abs(value) < 0.01 else f"{value:,.4f}%"
        if isinstance(value, int) or float(value).is_integer():
            return f"{int(value):,}"
        return f"{value:,.4f}"
    return str(value)


def _date(ts: float | int | None) -> str:
    return "–" if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


def read_run(folder: Path) -> dict[str, Any]:
    """One run folder's listing entry; ValueError (with the reason) when it is not a complete run."""
    try:
        manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        summary = json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8"))
        scenario = tomllib.loads((folder / SCENARIO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ValueError(f"{folder.name}: not a complete run folder ({type(error).__name__})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or any(not (folder / name).is_file() for name in files):
        raise ValueError(f"{folder.name}: a file its manifest lists is missing")
    start = scenario.get("start_ts")
    return {
        "id": folder.name,
        "run_id": manifest.get("run_id", folder.name),
        "name": summary.get("scenario") or scenario.get("name") or folder.name,
        "description": scenario.get("description", ""),
        "seed": summary.get("seed", manifest.get("seed")),
        "start_ts": start,
        "start": _date(start),
        "duration_days": summary.get("duration_days", scenario.get("duration_days")),
        "written_ts": (folder / MANIFEST_FILE).stat().st_mtime,
        "written": _date((folder / MANIFEST_FILE).stat().st_mtime),
        "summary": summary,
        "report": (folder / REPORT_FILE).is_file(),
    }


def list_runs(root: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """(the run folders directly under `root`, newest first; the reasons folders were skipped)."""
    runs, skipped = [], []
    if not root.is_dir():
        return runs, skipped
    for child in root.iterdir():
        if not child.is_dir() or child.name.startswith("."):
            continue
        try:
            runs.append(read_run(child))
        except ValueError as error:
            skipped.append(str(error))
    runs.sort(key=lambda r: (-r["written_ts"], r["id"]))
    return runs, sorted(skipped)


def list_sweeps(root: Path) -> list[dict[str, Any]]:
    """The sweep folders directly under `root` (those with a sweep.json), by name."""
    sweeps = []
    if not root.is_dir():
        return sweeps
    for child in sorted(root.iterdir()):
        if not child.is_dir() or child.name.startswith(".") or not (child / "sweep.json").is_file():
            continue
        folder = SweepFolder(child)
        try:
            spec = folder.spec()
        except (OSError, ValueError):
            continue
        try:
            finished: int | None = len(folder.finished())
        except Exception:  # no DuckDB, or parts it cannot read: the count is unknown
            finished = None
        full = sorted(p.parent.name for p in (child / "full").glob(f"*/{REPORT_FILE}")) if (child / "full").is_dir() else []
        sweeps.append({
            "id": child.name,
            "name": spec.get("name", child.name),
            "description": spec.get("description", ""),
            "axes": [(a.get("key", ""), a.get("values")) for a in spec.get("axes", []) if isinstance(a, dict)],
            "points": len(spec.get("run_ids", [])),
            "finished": finished,
            "written": _date((child / "sweep.json").stat().st_mtime),
            "report": (child / REPORT_FILE).is_file(),
            "full": full,
        })
    return sweeps


def compare_rows(runs: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """The selected runs' top-level numeric summary figures, one row per name (sorted), each
    run's value formatted with `figure` ("–" where a run has none)."""
    names = sorted({k for r in runs for k, v in r["summary"].items()
                    if isinstance(v, int | float) and not isinstance(v, bool)})
    return [(name, [figure(name, r["summary"].get(name)) for r in runs]) for name in names]


def _listing() -> dict[str, Any]:
    where = roots()
    runs, skipped = list_runs(where["runs"])
    return {"runs": runs, "skipped": skipped, "sweeps": list_sweeps(where["sweeps"]), "roots": where,
            "headline": HEADLINE, "RUNS_ENV": RUNS_ENV, "SWEEPS_ENV": SWEEPS_ENV}


def register(router: APIRouter, web: Web) -> None:
    @router.get("/backtests")
    async def backtests_page(request: Request) -> Response:
        context = await asyncio.to_thread(_listing)
        return web.render(request, "backtests.html", web.user(request), figure=figure, selected=[], errors={},
                          compared=None, rows=[], **context)

    @router.get("/backtests/compare")
    async def compare(request: Request) -> Response:
        chosen = list(dict.fromkeys(request.query_params.getlist("run")))
        context = await asyncio.to_thread(_listing)
        by_id = {r["id"]: r for r in context["runs"]}
        errors = {}
        unknown = [c for c in chosen if c not in by_id]
        if unknown:
            errors["run"] = f"no run folder {', '.join(unknown)} under {context['roots']['runs']}"
        elif len(chosen) < 2:
            errors["run"] = "select two or more runs to compare"
        compared = None if errors else [by_id[c] for c in chosen]
        return web.render(request, "backtests.html", web.user(request), figure=figure, selected=chosen,
                          errors=errors, compared=compared, rows=compare_rows(compared or []), **context)

    @router.get("/backtests/files/{root}/{path:path}")
    async def report_file(root: str, path: str) -> Response:
        base = roots().get(root)
        if base is not None:
            target = (base / path).resolve()
            if target.is_relative_to(base) and target.name == REPORT_FILE and target.is_file():
                return FileResponse(target, media_type="text/html")
        return HTMLResponse("<!doctype html><title>Not found</title><h1>No such report</h1>"
                            "<p><a href='/backtests'>Back to the backtests</a></p>", status_code=404)
