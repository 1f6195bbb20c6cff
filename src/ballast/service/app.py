"""`ballast serve`, `ballast serve --check` and `ballast export`: open the database, start the
service, serve it with uvicorn on loopback; check a journal; write it to Parquet.

Logs are JSON lines on stderr (`ts`, `level`, `logger`, `message` and the record's fields).
On first start an admin user `admin` is created and its one-time password printed once (it
is never stored in clear; change it by creating another admin in a later release, or keep it).
"""

from __future__ import annotations

import json
import logging
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ballast.service.auth import hash_password
from ballast.service.config import ServiceConfig
from ballast.service.core import Service, StartupError, apply_entry, genesis_world, load_snapshot
from ballast.service.journal import Database, default_url
from ballast.sim.loading import load_scenario
from ballast.sim.scenario import Scenario

__all__ = ["open_database", "serve", "check", "export_journal", "CheckReport", "ensure_admin", "setup_logging"]


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {"ts": round(record.created, 3), "level": record.levelname.lower(),
                                "logger": record.name, "message": record.getMessage()}
        data.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            data["error"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def setup_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonFormatter())
    for name in ("ballast", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True  # the app logs every request itself


def open_database(config: ServiceConfig) -> Database:
    """The configured database, migrated to the latest schema (SQLite in data_dir by default)."""
    if config.db:
        url = config.db
    else:
        config.data_path().mkdir(parents=True, exist_ok=True)
        url = default_url(config.data_path())
    db = Database(url)
    db.migrate()
    return db


def ensure_admin(db: Database) -> str | None:
    """Create the `admin` user when the database has no user; its one-time password (else None)."""
    if db.user_count() > 0:
        return None
    password = secrets.token_urlsafe(12)
    db.add_user("admin", hash_password(password), "admin")
    return password


def _scenario(config: ServiceConfig) -> Scenario:
    return load_scenario(config.scenario_path())


def serve(config: ServiceConfig, extend: Callable[[Any, Service, Database], None] | None = None) -> None:
    """Run the service until interrupted (SIGINT/SIGTERM stop it cleanly, with a snapshot).
    `extend(app, service, db)` adds to the app before it serves (the web pages do)."""
    import uvicorn

    from ballast.service.api import create_app

    setup_logging()
    db = open_database(config)
    service = Service(db, _scenario(config), config.snapshot_every, config.max_steps_per_request)
    service.start()
    password = ensure_admin(db)
    if password is not None:
        print(f"admin account created: username 'admin', password {password!r} (shown once)", flush=True)
    app = create_app(service, db)
    if extend is not None:
        extend(app, service, db)
    try:
        # open event streams never end by themselves: a stop waits at most 5 s for them
        uvicorn.run(app, host=config.host, port=config.port, log_config=None, access_log=False,
                    timeout_graceful_shutdown=5)
    finally:
        service.stop()
        db.close()


@dataclass
class CheckReport:
    entries: int
    snapshots: int
    problems: list[str]
    digest: str

    @property
    def ok(self) -> bool:
        return not self.problems


def check(config: ServiceConfig) -> CheckReport:
    """Verify the journal and snapshots: the entries are numbered 1..n without a gap, every
    snapshot loads and matches its stored digest, and replaying the journal from the scenario
    reaches each snapshot's digest at its seq. The final digest is the replay's."""
    db = open_database(config)
    scenario = _scenario(config)
    problems: list[str] = []
    stored = db.get_meta("scenario")
    if stored is not None and stored != scenario.model_dump_json():
        problems.append("the database's world was built from another scenario than the configured one")
    snaps = db.snapshot_seqs()
    for seq, digest in snaps:
        try:
            load_snapshot(db, seq, digest)
        except StartupError as error:
            problems.append(str(error))
    snapshot_digests = dict(snaps)
    world = genesis_world(scenario)
    entries = 0
    for entry in db.entries():
        if entry.seq != entries + 1:
            problems.append(f"journal gap: entry {entry.seq} follows {entries}")
        entries = entry.seq
        apply_entry(world, entry)
        expected = snapshot_digests.get(entry.seq)
        if expected is not None and world.digest() != expected:
            problems.append(f"snapshot {entry.seq}: the journal replays to digest {world.digest()[:16]}, "
                            f"the snapshot has {expected[:16]}")
    db.close()
    return CheckReport(entries, len(snaps), problems, world.digest())


def export_journal(config: ServiceConfig, out: Path) -> int:
    """Write the journal to a Parquet file (seq, command, actor, args as JSON text, ts as
    decimal text: exact at any size); the number of entries."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    db = open_database(config)
    columns: dict[str, list[Any]] = {"seq": [], "command": [], "actor": [], "args": [], "ts": []}
    for entry in db.entries():
        columns["seq"].append(entry.seq)
        columns["command"].append(entry.command)
        columns["actor"].append(entry.actor)
        columns["args"].append(json.dumps(entry.args, sort_keys=True, separators=(",", ":")))
        columns["ts"].append(str(entry.ts))
    db.close()
    schema = pa.schema([("seq", pa.int64()), ("command", pa.string()), ("actor", pa.string()),
                        ("args", pa.string()), ("ts", pa.string())])
    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns, schema=schema), out)
    return len(columns["seq"])

