"""The service core: one writer thread owns the world; every instruction is journaled before it
is applied and answered.

Requests queue to the writer (`submit`), which takes whatever has queued, numbers the entries,
commits them to the journal in one transaction, then applies them in order under the world lock
and resolves each request's future with its result or its CommandRefused. So an acknowledged
instruction is always in the journal; one that was journaled but not yet answered when the
process died is applied on restart (its client never saw an answer, and may see it in its
account). Reads (`read`) run under the same lock, between batches.

The clock: in "stepped" mode only an admin's `step` request moves it; in "realtime" mode the
writer adds a tick whenever the simulated time (the world clock at the last mode change, plus
wall seconds times the speed) has passed the next step, at most MAX_CATCH_UP ticks per batch.
A tick's prices are the admin's override or the feed's (ballast.service.feeds), fixed in its
journal entry. Downtime is not simulated time: after a restart the clock resumes from the last
journaled tick.

Start: the latest snapshot (or the world built from the scenario stored at the first start),
then every journal entry after it, replayed through the same `apply_command`. Snapshots: every
`snapshot_every` instructions and on a clean stop.
"""

from __future__ import annotations

import logging
import pickle
import queue
import secrets
import threading
import time
import zlib
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ballast.service.commands import COMMANDS, CommandRefused, apply_command
from ballast.service.feeds import PriceFeed
from ballast.service.journal import Database, JournalEntry
from ballast.service.world import World
from ballast.sim.scenario import Scenario

__all__ = ["Service", "StartupError", "MAX_CATCH_UP", "apply_entry", "genesis_world", "load_snapshot",
           "world_from_journal"]

log = logging.getLogger("ballast.service")

MAX_CATCH_UP = 200  # ticks the realtime clock adds per batch when it is behind
MAX_BATCH = 500  # requests journaled in one transaction
T = TypeVar("T")


class StartupError(RuntimeError):
    """The database cannot be served (another world's journal, a snapshot that does not load)."""


@dataclass
class _Request:
    command: str
    actor: str
    args: dict[str, Any]
    future: Future = field(default_factory=Future)


@dataclass
class _StepRequest:
    steps: int
    actor: str
    future: Future = field(default_factory=Future)


def _groups(items: list[_Request | _StepRequest]) -> list[list[_Request | _StepRequest]]:
    """Split a batch after every oracle override: a tick's prices are fixed when it is journaled,
    so the ticks after an `admin.oracle` must be journaled after it is applied."""
    groups: list[list[_Request | _StepRequest]] = [[]]
    for item in items:
        groups[-1].append(item)
        if isinstance(item, _Request) and item.command == "admin.oracle":
            groups.append([])
    return [g for g in groups if g] or [[]]


def genesis_world(scenario: Scenario, feed: PriceFeed | None = None) -> World:
    """The world before the first journal entry: built from the scenario at the feed's first prices."""
    feed = feed or PriceFeed(scenario)
    return World(scenario, {m.name: feed.price(m.name, 0) for m in scenario.markets})


def apply_entry(world: World, entry: JournalEntry) -> dict[str, Any] | CommandRefused:
    """Apply a journal entry; a refusal is returned, an unexpected error logged and returned as
    an InternalError refusal (the same entry fails the same way on every replay)."""
    try:
        return apply_command(world, entry.command, entry.actor, entry.args)
    except CommandRefused as refusal:
        return refusal
    except Exception as error:  # a bug: keep serving, say which entry
        log.exception("journal entry %s (%s) raised", entry.seq, entry.command)
        return CommandRefused("InternalError", f"{type(error).__name__}: {error}", 500)


def world_from_journal(db: Database, scenario: Scenario, upto: int | None = None,
                       use_snapshots: bool = True) -> tuple[World, int]:
    """The world after journal entry `upto` (default: the last): from the latest snapshot at or
    before it (or from the scenario), replaying the entries after it. Returns (world, seq)."""
    feed = PriceFeed(scenario)
    world, seq = None, 0
    if use_snapshots:
        for snap_seq, digest in reversed(db.snapshot_seqs()):
            if upto is None or snap_seq <= upto:
                world = load_snapshot(db, snap_seq, digest)
                seq = snap_seq
                break
    if world is None:
        world = genesis_world(scenario, feed)
    for entry in db.entries(after=seq):
        if upto is not None and entry.seq > upto:
            break
        apply_entry(world, entry)
        seq = entry.seq
    return world, seq


def load_snapshot(db: Database, seq: int, digest: str) -> World:
    try:
        world = pickle.loads(zlib.decompress(db.load_snapshot(seq)))
    except Exception as error:
        raise StartupError(f"snapshot {seq} does not load: {type(error).__name__}: {error}") from None
    if world.digest() != digest:
        raise StartupError(f"snapshot {seq}: its world's digest {world.digest()[:16]} is not the stored {digest[:16]}")
    return world


class Service:
    """See the module docstring. `start()` loads the world and starts the writer; `stop()` ends
    it (a final snapshot)."""

    def __init__(self, db: Database, scenario: Scenario, snapshot_every: int = 1000,
                 max_steps_per_request: int = 10_000) -> None:
        self.db = db
        self.scenario = scenario
        self.snapshot_every = snapshot_every
        self.max_steps_per_request = max_steps_per_request
        self.feed = PriceFeed(scenario)
        self.lock = threading.RLock()
        self.world: World | None = None
        self.seq = 0
        self.snapshot_seq = 0
        self._queue: queue.Queue[_Request | _StepRequest | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._anchor: tuple[int, float] = (0, 0.0)  # (world ts, monotonic wall) of the realtime clock
        self.listeners: list[Callable[[list[dict[str, Any]], dict[str, Any]], None]] = []
        self.started_at = time.time()

    # --- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        stored = self.db.get_meta("scenario")
        mine = self.scenario.model_dump_json()
        if stored is None:
            self.db.set_meta("scenario", mine)
        elif stored != mine:
            raise StartupError("the database holds the journal of a world built from another scenario; "
                               "serve it with that scenario, or start a new data folder or database")
        if self.db.get_meta("session_secret") is None:
            self.db.set_meta("session_secret", secrets.token_urlsafe(32))
        self.world, self.seq = world_from_journal(self.db, self.scenario)
        snaps = self.db.snapshot_seqs()
        self.snapshot_seq = snaps[-1][0] if snaps else 0
        self._reset_anchor()
        self._thread = threading.Thread(target=self._run, name="ballast-writer", daemon=True)
        self._thread.start()
        log.info("service started at journal seq %s, step %s", self.seq, self.world.step)

    def stop(self) -> None:
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout=30)
        self._thread = None
        if self.seq > self.snapshot_seq:
            self._snapshot()

    # --- requests ---------------------------------------------------------------------------------

    def submit(self, command: str, actor: str, args: dict[str, Any]) -> Future:
        """Queue an instruction; its future gives the handler's result or raises CommandRefused.
        Arguments are validated here first (pydantic ValidationError), so nothing invalid is
        journaled."""
        spec = COMMANDS[command]
        clean = spec.args.model_validate(args).model_dump(mode="json")
        request = _Request(command, actor, clean)
        self._queue.put(request)
        return request.future

    def step(self, steps: int, actor: str) -> Future:
        """Queue `steps` ticks of the clock; the future gives {"step", "ts"} after the last."""
        if not 1 <= steps <= self.max_steps_per_request:
            raise CommandRefused("InvalidSteps", f"steps must be 1..{self.max_steps_per_request}, got {steps}")
        request = _StepRequest(steps, actor)
        self._queue.put(request)
        return request.future

    def read(self, fn: Callable[[World], T]) -> T:
        """Run a read-only function on the world between batches."""
        with self.lock:
            assert self.world is not None
            return fn(self.world)

    def digest(self) -> str:
        return self.read(lambda world: world.digest())

    # --- the writer -------------------------------------------------------------------------------

    def _reset_anchor(self) -> None:
        assert self.world is not None
        self._anchor = (self.world.ts, time.monotonic())

    def _due_ticks(self) -> int:
        world = self.world
        assert world is not None
        if world.clock_mode != "realtime":
            return 0
        anchor_ts, anchor_wall = self._anchor
        sim_now = anchor_ts + (time.monotonic() - anchor_wall) * world.clock_speed
        due = int((sim_now - world.ts) // self.scenario.step_seconds)
        return max(0, min(due, MAX_CATCH_UP))

    def _wait_seconds(self) -> float:
        world = self.world
        assert world is not None
        if world.clock_mode != "realtime":
            return 0.5
        anchor_ts, anchor_wall = self._anchor
        next_wall = anchor_wall + (world.ts + self.scenario.step_seconds - anchor_ts) / world.clock_speed
        return min(0.5, max(0.0, next_wall - time.monotonic()))

    def _run(self) -> None:
        stopping = False
        while not stopping:
            try:
                first = self._queue.get(timeout=self._wait_seconds())
                items = [first]
            except queue.Empty:
                items = []
            while len(items) < MAX_BATCH:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if None in items:
                stopping = True
                items = [i for i in items if i is not None]
            for group in _groups(items):
                try:
                    self._batch(group)
                except Exception:  # keep the writer alive; the batch's futures already hold the error
                    log.exception("writer batch failed")

    def _batch(self, items: list[_Request | _StepRequest]) -> None:
        """Journal the due ticks and `items` in one transaction, then apply them in order and
        answer each request (see the module docstring)."""
        world = self.world
        assert world is not None
        entries: list[JournalEntry] = []
        owners: list[tuple[_Request | _StepRequest, int]] = []  # request, index of its first entry
        step, ts = world.step, world.ts
        seq = self.seq

        def tick(actor: str) -> None:
            nonlocal step, ts, seq
            step += 1
            ts += self.scenario.step_seconds
            seq += 1
            prices = {m: world.oracle_override.get(m) or self.feed.price(m, step) for m in world.markets}
            entries.append(JournalEntry(seq, "tick", actor, {"ts": ts, "prices": prices}, ts))

        for _ in range(self._due_ticks()):
            tick("system")
        for item in items:
            start = len(entries)
            if isinstance(item, _StepRequest):
                for _ in range(item.steps):
                    tick(item.actor)
            else:
                seq += 1
                entries.append(JournalEntry(seq, item.command, item.actor, item.args, ts))
            owners.append((item, start))
        if not entries:
            return
        try:
            self.db.append(entries)
        except Exception as error:
            log.exception("journal append failed")
            refusal = CommandRefused("JournalUnavailable", f"the journal could not be written: {type(error).__name__}", 503)
            for item, _first in owners:
                item.future.set_exception(refusal)
            return
        results: list[dict[str, Any] | CommandRefused] = []
        clock_changed = False
        with self.lock:
            feed_before = world.feed_seq
            for entry in entries:
                results.append(apply_entry(world, entry))
                clock_changed |= entry.command == "admin.clock"
                self.seq = entry.seq
            new_events = [e for e in world.feed if e["id"] > feed_before]
            status = {"seq": self.seq, "step": world.step, "ts": world.ts, "prices": dict(world.prices)}
        if clock_changed:
            self._reset_anchor()
        for item, first in owners:
            if isinstance(item, _StepRequest):
                item.future.set_result({"step": status["step"], "ts": status["ts"]})
                continue
            outcome = results[first]
            if isinstance(outcome, CommandRefused):
                item.future.set_exception(outcome)
            else:
                item.future.set_result(outcome)
        for listener in list(self.listeners):
            try:
                listener(new_events, status)
            except Exception:
                log.exception("listener failed")
        if self.seq - self.snapshot_seq >= self.snapshot_every:
            self._snapshot()

    def snapshot_now(self) -> int:
        """Take a snapshot of the world as it stands (between batches); its journal seq."""
        self._snapshot()
        return self.snapshot_seq

    def _snapshot(self) -> None:
        with self.lock:
            assert self.world is not None
            seq = self.seq
            if seq == self.snapshot_seq:
                return
            data = zlib.compress(pickle.dumps(self.world, protocol=pickle.HIGHEST_PROTOCOL), 1)
            digest = self.world.digest()
        try:
            self.db.save_snapshot(seq, digest, data)
            self.snapshot_seq = seq
        except Exception:
            log.exception("snapshot at seq %s failed", seq)

