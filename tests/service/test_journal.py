"""The service database (ballast.service.journal) on SQLite and on PostgreSQL (`db_url`)."""

from __future__ import annotations

import random
import sqlite3

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError, StatementError

from ballast.service.journal import Database, ExactInt, JournalEntry

BIG = 2**100 + 7
NEGATIVE = -(2**127)


@pytest.fixture
def db(db_url):
    database = Database(db_url)
    database.migrate()
    yield database
    database.close()


def _entry(seq: int, **args) -> JournalEntry:
    return JournalEntry(seq, "step", "system", {"seq": seq, **args}, 1_700_000_000 + seq)


def _seqs(db: Database, **kwargs) -> list[int]:
    return [entry.seq for entry in db.entries(**kwargs)]


def test_migrate_twice_is_idempotent_and_keeps_the_data(db_url):
    database = Database(db_url)
    try:
        database.migrate()
        database.append([_entry(1)])
        database.set_meta("scenario", "abc")
        database.migrate()
        tables = set(inspect(database.engine).get_table_names())
        assert {"meta", "journal", "snapshots", "users", "api_keys", "alembic_version"} <= tables
        with database.engine.connect() as c:
            assert c.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == ["0001"]
        assert _seqs(database) == [1]
        assert database.get_meta("scenario") == "abc"
    finally:
        database.close()


def test_exact_int_keeps_every_digit_in_ts_and_in_json_args(db):
    values = [BIG, NEGATIVE, 0]
    db.append([JournalEntry(i + 1, "set", "alice", {"value": v, "nested": [v, {"v": v}]}, v)
               for i, v in enumerate(values)])
    entries = list(db.entries())
    assert [e.ts for e in entries] == values
    assert all(type(e.ts) is int for e in entries)
    assert [e.args for e in entries] == [{"value": v, "nested": [v, {"v": v}]} for v in values]
    with db.engine.connect() as c:  # stored as the decimal text itself
        raw = c.execute(text("SELECT ts FROM journal ORDER BY seq")).scalars().all()
    assert raw == [str(v) for v in values]


def test_exact_int_refuses_more_than_100_characters_on_every_database(db):
    """The column is VARCHAR(100): PostgreSQL would refuse a longer int, SQLite keep it;
    ExactInt refuses it on both, before the database sees it."""
    widest = [10**100 - 1, -(10**99 - 1)]  # 100 characters each
    db.append([_entry(1)])
    db.append([JournalEntry(2 + i, "set", "alice", {}, v) for i, v in enumerate(widest)])
    assert [e.ts for e in db.entries(after=1)] == widest
    for too_long in (10**100, -(10**99)):
        with pytest.raises(StatementError) as refused:
            db.append([JournalEntry(4, "set", "alice", {}, too_long)])
        assert isinstance(refused.value.orig, ValueError)
    assert db.last_seq() == 3


def test_a_plain_sqlite_numeric_column_would_round_a_big_int(tmp_path):
    """Why ExactInt exists: SQLite's NUMERIC affinity turns 2**100 + 7 into a float (and the
    sqlite3 module cannot even bind an int past 64 bits)."""
    connection = sqlite3.connect(tmp_path / "plain.db")
    try:
        connection.execute("CREATE TABLE t (x NUMERIC)")
        with pytest.raises(OverflowError):
            connection.execute("INSERT INTO t VALUES (?)", (BIG,))
        connection.execute("INSERT INTO t VALUES (?)", (str(BIG),))
        (stored,) = connection.execute("SELECT x FROM t").fetchone()
    finally:
        connection.close()
    assert isinstance(stored, float)
    assert stored != BIG and int(stored) != BIG


def test_exact_int_takes_only_ints():
    column = ExactInt()
    assert column.process_bind_param(BIG, None) == str(BIG)
    assert column.process_bind_param(None, None) is None
    for wrong in (1.0, True, "7"):
        with pytest.raises(TypeError):
            column.process_bind_param(wrong, None)


def test_entries_come_in_order_once_each_across_batches(db):
    assert db.last_seq() == 0
    assert list(db.entries()) == []
    db.append([])  # nothing to commit
    db.append([_entry(seq) for seq in range(1, 11)])
    db.append([_entry(seq) for seq in range(11, 24)])
    assert db.last_seq() == 23
    assert _seqs(db, batch=4) == list(range(1, 24))
    assert _seqs(db, after=10, batch=3) == list(range(11, 24))
    assert _seqs(db, after=22, batch=1) == [23]
    assert _seqs(db, after=23, batch=2) == []
    entry = next(db.entries(after=4, batch=2))
    assert entry == _entry(5)


def test_a_duplicate_seq_rolls_back_the_whole_append(db):
    db.append([_entry(seq) for seq in (1, 2, 3)])
    with pytest.raises(IntegrityError):
        db.append([_entry(4), _entry(5), _entry(3)])
    assert _seqs(db) == [1, 2, 3]
    assert db.last_seq() == 3
    db.append([_entry(4), _entry(5)])  # the database is still usable
    assert _seqs(db, batch=2) == [1, 2, 3, 4, 5]


def test_users_and_api_keys(db):
    alice = db.add_user("alice", "hash-a", "admin")
    bob = db.add_user("bob", "hash-b", "trader")
    with pytest.raises(IntegrityError):
        db.add_user("alice", "other", "trader")
    assert db.user_count() == 2
    assert db.user_by_name("alice")["id"] == alice
    assert db.user_by_id(bob)["username"] == "bob"
    assert db.user_by_name("carol") is None

    alice_key = db.add_api_key(alice, "laptop", "a" * 64, "bk_aaaa")
    bob_key = db.add_api_key(bob, "bot", "b" * 64, "bk_bbbb")
    with pytest.raises(IntegrityError):  # a key hash belongs to one key
        db.add_api_key(bob, "copy", "a" * 64, "bk_aaaa")
    assert db.user_by_key_hash("a" * 64)["username"] == "alice"
    assert db.user_by_key_hash("b" * 64)["id"] == bob
    assert db.user_by_key_hash("c" * 64) is None

    assert db.revoke_api_key(bob, alice_key) is False  # not bob's key
    assert db.user_by_key_hash("a" * 64)["username"] == "alice"
    assert db.revoke_api_key(alice, alice_key) is True
    assert db.user_by_key_hash("a" * 64) is None
    assert db.user_by_key_hash("b" * 64)["id"] == bob
    assert [(k["id"], k["name"], k["revoked"]) for k in db.api_keys(alice)] == [(alice_key, "laptop", True)]
    assert [(k["id"], k["revoked"]) for k in db.api_keys(bob)] == [(bob_key, False)]


def test_snapshots_keep_their_bytes(db):
    small = bytes(range(256)) + b"\x00" * 3
    blob = random.Random(7).randbytes(3 * 1024 * 1024)
    db.save_snapshot(20, "d" * 64, blob)
    db.save_snapshot(10, "c" * 64, small)
    assert db.snapshot_seqs() == [(10, "c" * 64), (20, "d" * 64)]
    assert db.load_snapshot(10) == small
    loaded = db.load_snapshot(20)
    assert type(loaded) is bytes and loaded == blob
    with pytest.raises(IntegrityError):
        db.save_snapshot(10, "e" * 64, b"again")
    assert db.load_snapshot(10) == small


def test_meta_set_get_and_overwrite(db):
    assert db.get_meta("scenario") is None
    db.set_meta("scenario", "first")
    db.set_meta("secret", "s" * 64)
    assert db.get_meta("scenario") == "first"
    db.set_meta("scenario", "second")
    assert db.get_meta("scenario") == "second"
    assert db.get_meta("secret") == "s" * 64
