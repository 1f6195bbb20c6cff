"""Operations: `ballast serve --check` verifies the journal and snapshots, `ballast export`
writes the journal to Parquet, a bad configuration is refused by name."""

from __future__ import annotations

import pyarrow.parquet as pq
from sqlalchemy import update
from typer.testing import CliRunner

from ballast.cli import app
from ballast.service.config import DEFAULT_WORLD
from ballast.service.core import Service
from ballast.service.journal import Database, default_url, snapshots_table
from ballast.sim.loading import load_scenario

USD = 1_000_000
runner = CliRunner()


def _served(data_dir) -> str:
    """A data folder whose journal has a user's instructions, ticks and two snapshots; the digest."""
    db = Database(default_url(data_dir))
    db.migrate()
    service = Service(db, load_scenario(DEFAULT_WORLD), snapshot_every=40)
    service.start()
    service.submit("account.open", "alice", {}).result()
    service.submit("drift.deposit", "alice", {"amount": 1_000 * USD}).result()
    for _ in range(5):  # a snapshot follows the batch that passes 40 entries, another the stop
        service.step(10, "admin").result()
    digest = service.digest()
    service.stop()
    db.close()
    return digest


def test_check_replays_the_journal_to_the_served_digest(tmp_path):
    digest = _served(tmp_path)
    result = runner.invoke(app, ["serve", "--check", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "52 entries, 2 snapshots" in result.output
    assert digest in result.output


def test_check_finds_a_snapshot_that_disagrees_with_the_journal(tmp_path):
    _served(tmp_path)
    db = Database(default_url(tmp_path))
    first = db.snapshot_seqs()[0][0]
    with db.engine.begin() as connection:
        connection.execute(update(snapshots_table).where(snapshots_table.c.seq == first).values(digest="0" * 64))
    db.close()
    result = runner.invoke(app, ["serve", "--check", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"snapshot {first}" in result.output


def test_export_writes_every_journal_entry_exactly(tmp_path):
    _served(tmp_path)
    out = tmp_path / "journal.parquet"
    result = runner.invoke(app, ["export", "--data-dir", str(tmp_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pq.read_table(out).to_pylist()
    assert [row["seq"] for row in table] == list(range(1, 53))
    assert table[1]["command"] == "drift.deposit" and '"amount":1000000000' in table[1]["args"]
    assert all(int(row["ts"]) >= 1_767_225_600 for row in table)


def test_a_non_loopback_host_or_a_bad_key_is_refused_by_name(tmp_path):
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--check", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "0.0.0.0" in result.output and "loopback" in result.output
    config = tmp_path / "serve.toml"
    config.write_text("snapshot_evry = 5\n")
    result = runner.invoke(app, ["serve", str(config), "--check"])
    assert result.exit_code == 2 and "snapshot_evry" in result.output
