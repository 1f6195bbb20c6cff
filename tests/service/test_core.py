"""The service core: journal before apply, replay equal to live, snapshots, the clock."""

from __future__ import annotations

import time

import pytest
from pydantic import ValidationError

from ballast.service.commands import CommandRefused
from ballast.service.config import DEFAULT_WORLD
from ballast.service.core import Service, StartupError, world_from_journal
from ballast.service.journal import Database
from ballast.sim.loading import load_scenario

SCENARIO = load_scenario(DEFAULT_WORLD)
USD = 1_000_000


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'service.db'}")
    database.migrate()
    yield database
    database.close()


def _service(db, **kwargs) -> Service:
    service = Service(db, SCENARIO, **kwargs)
    service.start()
    return service


def _activity(service: Service) -> None:
    """A user who deposits, adds BAL shares, trades, stakes and makes a Curie range, with the
    agents on for 120 steps."""
    service.submit("account.open", "alice", {}).result()
    service.submit("drift.deposit", "alice", {"amount": 20_000 * USD}).result()
    service.submit("drift.bal.add", "alice", {"market": "SOL-PERP", "amount": 5_000 * USD}).result()
    service.submit("admin.agents", "admin", {"on": True}).result()
    service.step(120, "admin").result()
    service.submit("drift.order", "alice", {"market": "SOL-PERP", "side": "short", "base": 2 * 10**9}).result()
    service.submit("insurance.stake", "alice", {"amount": 1_000 * USD}).result()
    service.submit("curie.deposit", "alice", {"amount": 2_000 * USD}).result()
    price = service.read(lambda w: w.prices["SOL-PERP"])
    service.submit("curie.range.add", "alice", {"market": "SOL-PERP", "lower_price": price * 9 // 10,
                                                "upper_price": price * 11 // 10, "quote": 500 * USD,
                                                "base": 3 * 10**9}).result()
    service.step(60, "admin").result()


def test_restart_and_replay_reach_the_live_digest(db):
    service = _service(db, snapshot_every=100)
    _activity(service)
    live, seq = service.digest(), service.seq
    service.stop()
    assert db.last_seq() == seq
    assert len(db.snapshot_seqs()) >= 2  # periodic ones and the one at the clean stop
    replayed, replayed_seq = world_from_journal(db, SCENARIO, use_snapshots=False)
    assert (replayed.digest(), replayed_seq) == (live, seq)
    again = _service(db)
    assert again.digest() == live
    again.stop()


def test_a_refused_instruction_is_journaled_answered_and_changes_nothing(db):
    service = _service(db)
    service.submit("account.open", "bob", {}).result()
    before, seq = service.digest(), service.seq
    with pytest.raises(CommandRefused) as refused:
        service.submit("drift.bal.add", "bob", {"market": "SOL-PERP", "shares": 10**12}).result()
    assert (refused.value.error, refused.value.status) == ("InsufficientCollateral", 400)
    assert service.digest() == before
    assert service.seq == seq + 1  # journaled: a replay refuses it the same way
    service.stop()
    assert world_from_journal(db, SCENARIO, use_snapshots=False)[0].digest() == before


def test_invalid_arguments_are_refused_before_the_journal(db):
    service = _service(db)
    with pytest.raises(ValidationError):
        service.submit("drift.deposit", "bob", {"amount": -1})
    with pytest.raises(ValidationError):
        service.submit("drift.bal.add", "bob", {"market": "SOL-PERP", "amount": 5, "shares": 5})
    assert service.seq == 0 and db.last_seq() == 0
    service.stop()


def test_a_journal_that_cannot_be_written_refuses_and_applies_nothing(db, monkeypatch):
    service = _service(db)
    service.submit("account.open", "carol", {}).result()
    before = service.digest()

    def broken(_entries):
        raise OSError("disk full")

    monkeypatch.setattr(db, "append", broken)
    with pytest.raises(CommandRefused) as refused:
        service.submit("drift.deposit", "carol", {"amount": 10 * USD}).result(timeout=10)
    assert (refused.value.error, refused.value.status) == ("JournalUnavailable", 503)
    assert service.digest() == before
    monkeypatch.undo()
    service.submit("drift.deposit", "carol", {"amount": 10 * USD}).result(timeout=10)
    assert service.digest() != before
    service.stop()


def test_realtime_clock_ticks_by_itself_and_stepped_does_not(db):
    service = _service(db)
    step0 = service.read(lambda w: w.step)
    time.sleep(0.3)
    assert service.read(lambda w: w.step) == step0  # stepped by default
    service.submit("admin.clock", "admin", {"mode": "realtime", "speed": 6000.0}).result()  # 100 steps/s
    deadline = time.monotonic() + 10
    while service.read(lambda w: w.step) < step0 + 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.read(lambda w: w.step) >= step0 + 20
    service.submit("admin.clock", "admin", {"mode": "stepped", "speed": 1.0}).result()
    held = service.read(lambda w: w.step)
    time.sleep(0.3)
    assert service.read(lambda w: w.step) == held
    service.stop()


def test_an_oracle_override_sets_the_next_ticks_price(db):
    service = _service(db)
    service.submit("admin.oracle", "admin", {"market": "BTC-PERP", "price": 90_000 * USD}).result()
    service.step(2, "admin").result()
    assert service.read(lambda w: w.prices["BTC-PERP"]) == 90_000 * USD
    assert service.read(lambda w: w.drift.oracle("BTC-PERP")) == 90_000 * USD
    service.submit("admin.oracle", "admin", {"market": "BTC-PERP", "price": None}).result()
    service.step(1, "admin").result()
    assert service.read(lambda w: w.prices["BTC-PERP"]) == service.feed.price("BTC-PERP", service.read(lambda w: w.step))
    service.stop()


def test_another_scenarios_journal_is_refused(db):
    service = _service(db)
    service.stop()
    other = SCENARIO.model_copy(update={"seed": SCENARIO.seed + 1})
    with pytest.raises(StartupError, match="another scenario"):
        Service(db, other).start()


def test_step_requests_are_bounded(db):
    service = _service(db, max_steps_per_request=10)
    with pytest.raises(CommandRefused, match="steps must be 1..10"):
        service.step(11, "admin")
    service.stop()


def test_ticks_queued_right_after_an_oracle_override_take_its_price(db):
    service = _service(db)
    for price in (70_000, 80_000, 90_000):  # queued together: often one batch for the writer
        service.submit("admin.oracle", "admin", {"market": "BTC-PERP", "price": price * USD})
        service.step(1, "admin").result()
        assert service.read(lambda w: w.prices["BTC-PERP"]) == price * USD
    service.stop()


def test_a_batch_is_split_after_every_oracle_override():
    from ballast.service.core import _groups, _Request, _StepRequest

    oracle = _Request("admin.oracle", "admin", {})
    deposit = _Request("drift.deposit", "alice", {})
    step = _StepRequest(1, "admin")
    assert _groups([deposit, oracle, step, oracle, deposit]) == [[deposit, oracle], [step, oracle], [deposit]]
    assert _groups([step]) == [[step]]
