"""The run folder: `runs/<run_id>/` and the id that names it.

The id is the first 16 hex digits of a SHA-256 over the canonical JSON of the resolved scenario,
the input data digest and the package version, so the same inputs always land in the same
folder and any change of one of them gives a new folder.

Files (every one deterministic for equal inputs: no wall clock anywhere):

* `scenario.resolved.toml` — the resolved scenario (TOML has no null: `None` values are left out);
* `manifest.json` — run id, ballast / python / pyarrow versions, seed, data
  digest, the reference commits the engines follow, and the SHA-256 of every data file;
* `timeseries.parquet` — one row per (step, venue, market), as the simulation produced it;
* `agents.parquet` — one row per (step, venue, agent);
* `events.parquet` — every engine event, flattened: `seq` (order of emission), `venue`, `type`
  (the record's class name), `ts` (unix seconds, null when the record has none) and `fields`
  (the record's fields as JSON text: enums by name, tuples as lists);
* `summary.json` — statistics, name -> number, units in the names;
* `report.html` — written by `ballast.report.build_report` (see there).

A run folder is written whole or not at all: every file goes into a hidden sibling folder
(`.<run_id>.partial`) that is renamed into place once complete and removed when writing fails
or is interrupted, so an interrupted run leaves no `<run_id>/` behind (only a kill -9 can leave
a `.partial` folder, which nothing reads). `load_run` accepts only complete folders: a manifest naming every data
file, each present with the SHA-256 the manifest records (IncompleteRun otherwise).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
import platform
import shutil
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import tomli_w

from ballast import __version__

__all__ = [
    "IncompleteRun",
    "REFERENCE_COMMITS",
    "RUN_ID_LENGTH",
    "RunData",
    "data_digest_of_files",
    "data_digest_of_table",
    "events_table",
    "record_data",
    "load_run",
    "run_id",
    "write_run",
]

REFERENCE_COMMITS: dict[str, str] = {
    "drift": "7c265f81090e62b2cf176df030f421045373a85e",  # drift-labs/protocol-v2
    "curie": "d520bd8e",  # Perpetual Protocol v2 (curie)
}
RUN_ID_LENGTH = 16


class IncompleteRun(ValueError):
    """A folder that is not a complete run folder; the message says what is missing."""

SCENARIO_FILE = "scenario.resolved.toml"
MANIFEST_FILE = "manifest.json"
TIMESERIES_FILE = "timeseries.parquet"
AGENTS_FILE = "agents.parquet"
EVENTS_FILE = "events.parquet"
SUMMARY_FILE = "summary.json"
_DATA_FILES = (SCENARIO_FILE, TIMESERIES_FILE, AGENTS_FILE, EVENTS_FILE, SUMMARY_FILE)

EVENTS_SCHEMA = pa.schema(
    [
        ("seq", pa.int64()),
        ("venue", pa.string()),
        ("type", pa.string()),
        ("ts", pa.int64()),
        ("fields", pa.string()),
    ]
)


# --- the id -----------------------------------------------------------------------------------


def _canonical_json(value: Any) -> str:
    return json.dumps(
        _jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    )


def run_id(resolved_scenario: Mapping[str, Any], data_digest: str, version: str = __version__) -> str:
    """Short hex id (16 digits) of a run: SHA-256 of the canonical JSON (sorted keys, no
    whitespace) of `{"scenario", "data_digest", "version"}`."""
    payload = _canonical_json(
        {"scenario": dict(resolved_scenario), "data_digest": str(data_digest), "version": str(version)}
    )
    return hashlib.sha256(payload.encode("ascii")).hexdigest()[:RUN_ID_LENGTH]


def data_digest_of_files(paths: Iterable[str | Path]) -> str:
    """SHA-256 over the bytes of the given files, in the given order (each prefixed by its
    length so that moving bytes between files changes the digest)."""
    digest = hashlib.sha256()
    for path in paths:
        data = Path(path).read_bytes()
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def data_digest_of_table(table: pa.Table | None, columns: Sequence[str] | None = None) -> str:
    """SHA-256 of the given columns of a table (all when None) as canonical JSON rows; the
    fallback input digest when a result does not carry its own."""
    digest = hashlib.sha256()
    if table is not None:
        names = [name for name in (columns or table.column_names) if name in table.column_names]
        digest.update(_canonical_json(names).encode("ascii"))
        for name in names:
            digest.update(_canonical_json(table.column(name).to_pylist()).encode("ascii"))
    return digest.hexdigest()


# --- JSON / TOML conversion -------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """Plain JSON data: enums by name, dataclasses as dicts, tuples/sets as lists, NaN/inf as
    None, bytes as hex, pydantic models by `model_dump(mode="json")`, anything else by str."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, enum.Enum):
        return value.name
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_jsonable(item) for item in value), key=repr)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if hasattr(value, "model_dump"):
        return _jsonable(value.model_dump(mode="json"))
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _jsonable(value.item())
    return str(value)


def _tomlable(value: Any) -> Any:
    """JSON data made TOML-safe: None dropped from tables and arrays (TOML has no null)."""
    if isinstance(value, Mapping):
        return {key: _tomlable(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_tomlable(item) for item in value if item is not None]
    return value


def scenario_dict(scenario: Any) -> dict[str, Any]:
    """The resolved scenario as plain JSON data (a pydantic model, a mapping or None)."""
    if scenario is None:
        return {}
    if hasattr(scenario, "model_dump"):
        return _jsonable(scenario.model_dump(mode="json"))
    if isinstance(scenario, Mapping):
        return _jsonable(scenario)
    if dataclasses.is_dataclass(scenario) and not isinstance(scenario, type):
        return _jsonable(scenario)
    raise TypeError(f"cannot serialise scenario of type {type(scenario).__name__}")


# --- events -----------------------------------------------------------------------------------


def _event_pair(item: Any) -> tuple[str, Any]:
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        return item[0], item[1]
    return "", item


_PLAIN = frozenset({int, str, bool, type(None)})  # JSON as they are (an IntEnum is not among them)
_RECORD_FIELDS: dict[type, tuple[str, ...]] = {}


def record_data(record: Any) -> Any:
    """_jsonable(record), with the field names of each record class looked up once and plain
    values (ints, strings, bools, None) taken as they are: the events table converts every
    engine event of a run (hot path)."""
    cls = type(record)
    names = _RECORD_FIELDS.get(cls)
    if names is None:
        if not dataclasses.is_dataclass(cls):
            return _jsonable(record)
        names = _RECORD_FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    data = {}
    for name in names:
        value = getattr(record, name)
        data[name] = value if type(value) in _PLAIN else _jsonable(value)
    return data


def events_table(events: Iterable[Any] | None) -> pa.Table:
    """Flatten (venue, record) pairs (or bare records) into the events table (EVENTS_SCHEMA)."""
    seqs: list[int] = []
    venues: list[str] = []
    types: list[str] = []
    tss: list[int | None] = []
    fields_json: list[str] = []
    for seq, item in enumerate(events or ()):
        venue, record = _event_pair(item)
        data = record_data(record)
        if not isinstance(data, dict):
            data = {"value": data}
        ts = data.get("ts")
        seqs.append(seq)
        venues.append(venue)
        types.append(type(record).__name__)
        tss.append(ts if isinstance(ts, int) and not isinstance(ts, bool) else None)
        fields_json.append(json.dumps(data, sort_keys=True, separators=(",", ":")))
    return pa.table(
        {"seq": seqs, "venue": venues, "type": types, "ts": tss, "fields": fields_json},
        schema=EVENTS_SCHEMA,
    )


# --- writing and loading ----------------------------------------------------------------------


def _versions() -> dict[str, str]:
    return {
        "ballast": __version__,
        "python": platform.python_version(),
        "pyarrow": pa.__version__,
    }


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _as_table(value: Any) -> pa.Table:
    if value is None:
        return pa.table({})
    if isinstance(value, pa.Table):
        return value
    if isinstance(value, Mapping):
        return pa.table(dict(value))
    if isinstance(value, list):
        return pa.Table.from_pylist(value)
    raise TypeError(f"expected a pyarrow.Table, got {type(value).__name__}")


def _write_parquet(table: pa.Table, path: Path) -> None:
    # Fixed writer options so equal tables give equal bytes.
    pq.write_table(table, path, compression="zstd", write_statistics=False)


def write_run(
    result: Any,
    out_dir: str | Path,
    *,
    data_digest: str | None = None,
    version: str = __version__,
    finish: Callable[[Path], Any] | None = None,
    manifest_extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write `result` (a BacktestResult or anything with the same fields: scenario, seed,
    timeseries, agents, events, summary) to `out_dir/<run_id>/` and return that folder.

    The data digest is, in order of preference: the argument, `result.data_digest`, or the
    digest of the timeseries' ts/venue/market/oracle price columns. Extra manifest entries come
    from the argument or `result.manifest_extra`. `finish(folder)` runs on the complete folder
    before it is put in place (the caller builds the report there: ballast.report.build_report).
    An existing folder of the same id is overwritten (same inputs, same files).
    """
    scenario = scenario_dict(getattr(result, "scenario", None))
    timeseries = _as_table(getattr(result, "timeseries", None))
    agents = _as_table(getattr(result, "agents", None))
    if data_digest is None:
        data_digest = getattr(result, "data_digest", None)
    if data_digest is None:
        data_digest = data_digest_of_table(
            timeseries, ["ts", "venue", "market", "oracle_price_usd"]
        )
    identifier = run_id(scenario, data_digest, version)
    final = Path(out_dir) / identifier
    folder = Path(out_dir) / f".{identifier}.partial"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    try:
        _write_files(folder, result, scenario, timeseries, agents, identifier, data_digest, version, finish,
                     manifest_extra)
    except BaseException:  # Ctrl-C or a failure half-way: leave nothing behind
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if final.exists():
        shutil.rmtree(final)
    folder.rename(final)
    return final


def _write_files(folder: Path, result: Any, scenario: dict[str, Any], timeseries: pa.Table, agents: pa.Table,
                 identifier: str, data_digest: str, version: str, finish: Callable[[Path], Any] | None,
                 manifest_extra: Mapping[str, Any] | None) -> None:
    """Every file of a run folder into `folder` (write_run's hidden .partial folder), then `finish`."""
    (folder / SCENARIO_FILE).write_text(tomli_w.dumps(_tomlable(scenario)), encoding="utf-8")
    _write_parquet(timeseries, folder / TIMESERIES_FILE)
    _write_parquet(agents, folder / AGENTS_FILE)
    _write_parquet(events_table(getattr(result, "events", None)), folder / EVENTS_FILE)
    summary = _jsonable(dict(getattr(result, "summary", None) or {}))
    (folder / SUMMARY_FILE).write_text(
        json.dumps(summary, sort_keys=True, indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )

    seed = getattr(result, "seed", None)
    manifest: dict[str, Any] = {
        "run_id": identifier,
        "versions": _versions() | {"ballast": version},
        "seed": seed if isinstance(seed, int) else _jsonable(seed),
        "data_digest": data_digest,
        "reference_commits": dict(REFERENCE_COMMITS),
        "files": {
            name: _sha256_file(folder / name)
            for name in _DATA_FILES
        },
    }
    extra = manifest_extra if manifest_extra is not None else getattr(result, "manifest_extra", None)
    if extra:
        manifest.update(_jsonable(dict(extra)))
    (folder / MANIFEST_FILE).write_text(
        json.dumps(manifest, sort_keys=True, indent=2, allow_nan=False) + "\n", encoding="utf-8"
    )

    if finish is not None:
        finish(folder)


@dataclass
class RunData:
    """A run folder read back: what the report needs."""

    run_dir: Path
    run_id: str
    scenario: dict[str, Any]
    manifest: dict[str, Any]
    timeseries: pa.Table
    agents: pa.Table
    events: pa.Table
    summary: dict[str, Any] = field(default_factory=dict)

    def event_records(self, type_name: str | None = None) -> list[dict[str, Any]]:
        """Events as dicts (venue, type, ts and the record's fields), optionally of one type."""
        rows: list[dict[str, Any]] = []
        events = self.events
        if type_name is not None and events.num_rows:
            events = events.filter(pc.equal(events.column("type"), type_name))
        if events.num_rows == 0:
            return rows
        for venue, kind, ts, fields_json in zip(
            events.column("venue").to_pylist(),
            events.column("type").to_pylist(),
            events.column("ts").to_pylist(),
            events.column("fields").to_pylist(),
            strict=True,
        ):
            row = json.loads(fields_json) if fields_json else {}
            row.update({"venue": venue, "type": kind, "ts": ts})
            rows.append(row)
        return rows


def _read_parquet(path: Path, empty: pa.Schema | None = None) -> pa.Table:
    if path.exists():
        return pq.read_table(path)
    return (empty or pa.schema([])).empty_table()


def _complete_manifest(folder: Path) -> dict[str, Any]:
    """The folder's manifest, once every file it lists is there with its recorded SHA-256."""
    manifest_path = folder / MANIFEST_FILE
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise IncompleteRun(f"{folder} is not a complete run folder: no readable {MANIFEST_FILE}") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or set(files) != set(_DATA_FILES):
        raise IncompleteRun(f"{folder} is not a complete run folder: its {MANIFEST_FILE} does not list the run's files")
    for name, digest in files.items():
        path = folder / name
        if not path.is_file():
            raise IncompleteRun(f"{folder} is not a complete run folder: {name} is missing")
        if _sha256_file(path) != digest:
            raise IncompleteRun(f"{folder} is not a complete run folder: {name} differs from its manifest digest")
    return manifest


def load_run(run_dir: str | Path) -> RunData:
    """Read a complete run folder written by `write_run`: FileNotFoundError when there is no
    folder, IncompleteRun when it is not a whole run (see the module docstring)."""
    folder = Path(run_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"no run folder at {folder}")
    manifest = _complete_manifest(folder)
    scenario = tomllib.loads((folder / SCENARIO_FILE).read_text(encoding="utf-8"))
    summary = json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8"))
    return RunData(
        run_dir=folder,
        run_id=str(manifest.get("run_id", folder.name)),
        scenario=scenario,
        manifest=manifest,
        timeseries=_read_parquet(folder / TIMESERIES_FILE),
        agents=_read_parquet(folder / AGENTS_FILE),
        events=_read_parquet(folder / EVENTS_FILE, EVENTS_SCHEMA),
        summary=summary,
    )
