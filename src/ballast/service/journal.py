"""The service's database: the instruction journal, world snapshots, users and API keys
(SQLAlchemy 2; SQLite by default, PostgreSQL through psycopg 3; the schema is made and moved
by the Alembic migrations in ballast/service/migrations).

* `journal`: one row per accepted instruction, numbered by `seq` from 1 without gaps, with its
  command name, actor (a username, or "system" for the clock), its arguments as JSON text
  (integers of any size stay exact in JSON text) and the world clock it was accepted at. A row
  is committed before its instruction is applied and answered (ballast.service.core).
* `snapshots`: the pickled world (zlib) after instruction `seq`, with its state digest.
* `users`, `api_keys` (only a SHA-256 of each key is stored), `meta` (the world's scenario,
  fixed at the first start; the session-signing secret).

`ExactInt` is the column type for integers that may pass 64 bits: decimal text, so SQLite's
NUMERIC affinity (which rounds 2**100 + 7 to a float) and PostgreSQL's BIGINT (which refuses
it) both keep every digit. The column is VARCHAR(100): an integer whose decimal text is longer
(above 10**100 - 1 or below -(10**99 - 1)) is refused with ValueError on every database (PostgreSQL would refuse it, SQLite
would silently keep it).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

__all__ = ["Database", "ExactInt", "JournalEntry", "metadata", "default_url"]


class ExactInt(TypeDecorator):
    """An integer stored as decimal text, up to 100 characters (see the module docstring)."""

    impl = String(100)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        if type(value) is not int:
            raise TypeError(f"ExactInt takes an int, got {type(value).__name__}")
        digits = str(value)
        if len(digits) > self.impl.length:
            raise ValueError(f"ExactInt holds at most {self.impl.length} characters of decimal text, "
                             f"got an int of {len(digits)}")
        return digits

    def process_result_value(self, value: Any, dialect: Any) -> int | None:
        return None if value is None else int(value)


metadata = MetaData()

meta_table = Table(
    "meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

journal_table = Table(
    "journal", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("command", String(64), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("args", Text, nullable=False),
    Column("ts", ExactInt, nullable=False),
    Column("accepted_at", Float, nullable=False),
)

snapshots_table = Table(
    "snapshots", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("digest", String(64), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

users_table = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(32), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("settings", Text, nullable=False, default="{}"),
)

api_keys_table = Table(
    "api_keys", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("prefix", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    command: str
    actor: str
    args: dict[str, Any]
    ts: int


def default_url(data_dir: Path) -> str:
    """The SQLite database in the data folder."""
    return f"sqlite:///{(data_dir / 'ballast.db').resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # a commit survives a power cut, not just kill -9
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """The service's tables on one SQLAlchemy engine; `migrate()` brings the schema to the
    latest Alembic revision."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)

    def migrate(self) -> None:
        """Create or upgrade the schema (Alembic `upgrade head`)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def close(self) -> None:
        self.engine.dispose()

    # --- meta ---------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as c:
            return c.execute(select(meta_table.c.value).where(meta_table.c.key == key)).scalar_one_or_none()

    def set_meta(self, key: str, value: str) -> None:
        with self.engine.begin() as c:
            if c.execute(select(meta_table.c.key).where(meta_table.c.key == key)).first() is None:
                c.execute(insert(meta_table).values(key=key, value=value))
            else:
                c.execute(update(meta_table).where(meta_table.c.key == key).values(value=value))

    # --- journal ------------------------------------------------------------------------------

    def last_seq(self) -> int:
        with self.engine.connect() as c:
            return c.execute(select(func.max(journal_table.c.seq))).scalar() or 0

    def append(self, entries: list[JournalEntry]) -> None:
        """Commit `entries` (consecutive seqs) in one transaction."""
        if not entries:
            return
        now = time.time()
        rows = [{"seq": e.seq, "command": e.command, "actor": e.actor,
                 "args": json.dumps(e.args, sort_keys=True, separators=(",", ":")), "ts": e.ts,
                 "accepted_at": now} for e in entries]
        with self.engine.begin() as c:
            c.execute(insert(journal_table), rows)

    def entries(self, after: int = 0, batch: int = 5_000) -> Iterator[JournalEntry]:
        """Journal entries with seq > `after`, in order, read in batches."""
        last = after
        while True:
            with self.engine.connect() as c:
                rows = c.execute(
                    select(journal_table.c.seq, journal_table.c.command, journal_table.c.actor,
                           journal_table.c.args, journal_table.c.ts)
                    .where(journal_table.c.seq > last).order_by(journal_table.c.seq).limit(batch)
                ).all()
            if not rows:
                return
            for seq, command, actor, args, ts in rows:
                yield JournalEntry(seq, command, actor, json.loads(args), ts)
            last = rows[-1][0]

    # --- snapshots ----------------------------------------------------------------------------

    def save_snapshot(self, seq: int, digest: str, data: bytes) -> None:
        with self.engine.begin() as c:
            c.execute(insert(snapshots_table).values(seq=seq, digest=digest, created_at=time.time(), data=data))

    def snapshot_seqs(self) -> list[tuple[int, str]]:
        with self.engine.connect() as c:
            return [(r[0], r[1]) for r in c.execute(
                select(snapshots_table.c.seq, snapshots_table.c.digest).order_by(snapshots_table.c.seq))]

    def load_snapshot(self, seq: int) -> bytes:
        with self.engine.connect() as c:
            return c.execute(select(snapshots_table.c.data).where(snapshots_table.c.seq == seq)).scalar_one()

    # --- users and keys -----------------------------------------------------------------------

    def user_count(self) -> int:
        with self.engine.connect() as c:
            return c.execute(select(func.count()).select_from(users_table)).scalar_one()

    def add_user(self, username: str, password_hash: str, role: str) -> int:
        with self.engine.begin() as c:
            result = c.execute(insert(users_table).values(
                username=username, password_hash=password_hash, role=role, created_at=time.time(), settings="{}"))
            return int(result.inserted_primary_key[0])

    def user_by_name(self, username: str) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            row = c.execute(select(users_table).where(users_table.c.username == username)).mappings().first()
            return None if row is None else dict(row)

    def user_by_id(self, user_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            row = c.execute(select(users_table).where(users_table.c.id == user_id)).mappings().first()
            return None if row is None else dict(row)

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self.engine.begin() as c:
            c.execute(update(users_table).where(users_table.c.id == user_id).values(password_hash=password_hash))

    def set_settings(self, user_id: int, settings: dict[str, Any]) -> None:
        with self.engine.begin() as c:
            c.execute(update(users_table).where(users_table.c.id == user_id)
                      .values(settings=json.dumps(settings, sort_keys=True)))

    def add_api_key(self, user_id: int, name: str, key_hash: str, prefix: str) -> int:
        with self.engine.begin() as c:
            result = c.execute(insert(api_keys_table).values(
                user_id=user_id, name=name, key_hash=key_hash, prefix=prefix, created_at=time.time(), revoked=False))
            return int(result.inserted_primary_key[0])

    def api_keys(self, user_id: int) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            rows = c.execute(select(api_keys_table.c.id, api_keys_table.c.name, api_keys_table.c.prefix,
                                    api_keys_table.c.created_at, api_keys_table.c.revoked)
                             .where(api_keys_table.c.user_id == user_id).order_by(api_keys_table.c.id)).mappings()
            return [dict(r) for r in rows]

    def user_by_key_hash(self, key_hash: str) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            row = c.execute(select(users_table).join(api_keys_table, api_keys_table.c.user_id == users_table.c.id)
                            .where(api_keys_table.c.key_hash == key_hash, api_keys_table.c.revoked.is_(False))
                            ).mappings().first()
            return None if row is None else dict(row)

    def revoke_api_key(self, user_id: int, key_id: int) -> bool:
        with self.engine.begin() as c:
            result = c.execute(update(api_keys_table)
                               .where(api_keys_table.c.id == key_id, api_keys_table.c.user_id == user_id)
                               .values(revoked=True))
            return result.rowcount == 1
