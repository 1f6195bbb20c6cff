"""What a sweep leaves on disk, and how it is read back: Parquet parts queried with DuckDB.

    DIR/sweep.json            the spec of the latest run and its points' run ids
    DIR/points/part-*.parquet one row per finished point (ballast.sweep.point: the columns)
    DIR/series/part-*.parquet the points' compact series (run_id, ts, name, value)
    DIR/full/<run_id>/        run folders of the points kept in full (report included)
    DIR/worst/<run_id>.toml   the resolved scenario of each worst point, to rerun it alone
    DIR/report.html           the sweep report

Parts are written whole or not at all (a temporary file renamed into place), series before
points, so a sweep killed at any moment leaves only complete parts, and a point with a row
always has its series. Reading dedupes: per run id the newest "ok" row wins (else the newest
error), and series rows are distinct, so a point recomputed after a crash counts once; only
the points of the latest spec are shown.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["SweepFolder", "SweepFolderError"]

SPEC_FILE = "sweep.json"
POINTS_DIR = "points"
SERIES_DIR = "series"
FULL_DIR = "full"
WORST_DIR = "worst"
REPORT_FILE = "report.html"


class SweepFolderError(RuntimeError):
    """A sweep folder that cannot be used as asked; the message says why."""


class SweepFolder:
    """One sweep's folder (module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._seq = 0

    # --- writing ------------------------------------------------------------------------------

    def prepare(self, spec: Mapping[str, Any], run_ids: Sequence[str]) -> None:
        """Create the folder for `spec` (JSON data with a `name`) whose points are `run_ids`, or
        take over the folder of an earlier run of the same sweep: its finished points are kept,
        and the views show only the points of this spec (a spec changed in between, say with
        more seeds, reuses the points the two share). A folder of a sweep of another name is
        refused."""
        if self.path.exists() and not self.path.is_dir():
            raise SweepFolderError(f"--out {self.path}: exists and is not a folder")
        spec_file = self.path / SPEC_FILE
        if spec_file.exists():
            earlier = json.loads(spec_file.read_text()).get("name")
            if earlier != spec.get("name"):
                raise SweepFolderError(
                    f"{self.path} holds the sweep {earlier!r}, not {spec.get('name')!r}: choose another --out")
        (self.path / POINTS_DIR).mkdir(parents=True, exist_ok=True)
        (self.path / SERIES_DIR).mkdir(exist_ok=True)
        text = json.dumps({**spec, "run_ids": list(run_ids)}, sort_keys=True, indent=1) + "\n"
        _write_atomic(spec_file, text.encode())
        self._seq = len(list((self.path / POINTS_DIR).glob("part-*.parquet")))

    def spec(self) -> dict[str, Any]:
        """The spec of the sweep's latest run, with its `run_ids`."""
        spec_file = self.path / SPEC_FILE
        if not spec_file.exists():
            raise SweepFolderError(f"{self.path} is not a sweep folder (no {SPEC_FILE})")
        return json.loads(spec_file.read_text())

    def append(self, rows: Sequence[Mapping[str, Any]], series: Sequence[Mapping[str, list]]) -> None:
        """Add finished points: their series first, then their rows (one part each)."""
        if not rows:
            return
        name = f"part-{self._seq:06d}-{os.getpid()}.parquet"
        self._seq += 1
        columns: dict[str, list] = {"run_id": [], "ts": [], "name": [], "value": []}
        for part in series:
            for key in columns:
                columns[key].extend(part[key])
        if columns["run_id"]:
            schema = pa.schema([("run_id", pa.string()), ("ts", pa.int64()), ("name", pa.string()),
                                ("value", pa.float64())])
            _write_table(pa.table(columns, schema=schema), self.path / SERIES_DIR / name)
        columns_of_rows = dict.fromkeys(key for row in rows for key in row)  # a failed point has fewer
        table = pa.Table.from_pylist([{key: row.get(key) for key in columns_of_rows} for row in rows])
        _write_table(table, self.path / POINTS_DIR / name)

    # --- reading ------------------------------------------------------------------------------

    def connect(self) -> Any:
        """A DuckDB connection with the views `points` and `series` (deduped, module docstring)."""
        duckdb = _duckdb()
        run_ids = self.spec()["run_ids"]
        con = duckdb.connect()
        con.register("current_points", pa.table({"run_id": pa.array(run_ids, pa.string())}))
        points = self.path / POINTS_DIR
        if any(points.glob("part-*.parquet")):
            glob = _sql_text(str(points / "part-*.parquet"))
            con.execute(
                "CREATE VIEW points AS SELECT * EXCLUDE (filename, _rank) FROM ("
                " SELECT *, row_number() OVER (PARTITION BY run_id ORDER BY (status = 'ok') DESC,"
                f" filename DESC) AS _rank FROM read_parquet({glob}, union_by_name = true, filename = true)"
                " WHERE run_id IN (SELECT run_id FROM current_points)) WHERE _rank = 1")
        else:
            con.execute("CREATE VIEW points AS SELECT NULL::VARCHAR AS run_id, NULL::VARCHAR AS status WHERE false")
        series = self.path / SERIES_DIR
        if any(series.glob("part-*.parquet")):
            glob = _sql_text(str(series / "part-*.parquet"))
            con.execute(f"CREATE VIEW series AS SELECT DISTINCT run_id, ts, name, value FROM read_parquet({glob}) "
                        "WHERE run_id IN (SELECT run_id FROM current_points)")
        else:
            con.execute("CREATE VIEW series AS SELECT NULL::VARCHAR AS run_id, NULL::BIGINT AS ts, "
                        "NULL::VARCHAR AS name, NULL::DOUBLE AS value WHERE false")
        return con

    def points(self) -> pa.Table:
        """Every point's latest row (deduped), ordered by run id."""
        return self.connect().sql("SELECT * FROM points ORDER BY run_id").to_arrow_table()

    def finished(self) -> set[str]:
        """Run ids of the points that finished without error."""
        rows = self.connect().execute("SELECT run_id FROM points WHERE status = 'ok'").fetchall()
        return {row[0] for row in rows}

    def query(self, sql: str) -> pa.Table:
        """Run `sql` over the views `points` and `series`; SweepFolderError for bad SQL."""
        duckdb = _duckdb()
        try:
            return self.connect().sql(sql).to_arrow_table()
        except duckdb.Error as error:
            raise SweepFolderError(f"query failed: {error}") from None


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise SweepFolderError("reading a sweep needs DuckDB: pip install 'ballast[sweep]'") from None
    return duckdb


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _write_table(table: pa.Table, path: Path) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, temporary)
    _sync_rename(temporary, path)


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    _sync_rename(temporary, path)


def _sync_rename(temporary: Path, path: Path) -> None:
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
