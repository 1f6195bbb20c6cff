"""The server-sent event streams through a real uvicorn server on 127.0.0.1: a market's stream
carries the clock and that market's engine events only; an account's stream carries its own
user's events only and is refused to others; and the hub's rule for a subscriber that falls
behind (ballast.service.stream), without a server. Every wait is bounded."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from ballast.service.api import create_app
from ballast.service.app import ensure_admin
from ballast.service.config import DEFAULT_WORLD
from ballast.service.core import Service
from ballast.service.journal import Database
from ballast.service.stream import QUEUE_LENGTH, Hub
from ballast.sim.loading import load_scenario

USD = 1_000_000
PASSWORD = "correct horse battery"
TIMEOUT = httpx.Timeout(10.0)  # every connect and every read of a stream
SOL, BTC, ETH = 0, 1, 2  # the default world's perp market indexes

Message = tuple[str, Any]  # (event, data)


@dataclass
class Exchange:
    url: str
    hub: Hub
    keys: dict[str, dict[str, str]]  # username -> its Authorization header

    @contextmanager
    def http(self) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.url, timeout=TIMEOUT) as client:
            yield client


def _key(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    login = http.post("/api/v1/auth/login", json={"username": username, "password": password})
    created = http.post("/api/v1/me/api-keys", json={"name": "stream"},
                        headers={"X-CSRF-Token": login.json()["csrf_token"]})
    assert created.status_code == 201, created.text
    http.cookies.clear()
    return {"Authorization": f"Bearer {created.json()['key']}"}


@pytest.fixture(scope="module")
def exchange(tmp_path_factory):
    """The service behind uvicorn on a free port of 127.0.0.1, users alice and bob with
    collateral, and the admin; each with an API key."""
    folder = tmp_path_factory.mktemp("stream")
    db = Database(f"sqlite:///{folder / 'service.db'}")
    db.migrate()
    service = Service(db, load_scenario(DEFAULT_WORLD))
    service.start()
    admin_password = ensure_admin(db)
    app = create_app(service, db)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                           timeout_graceful_shutdown=5))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        exchange = Exchange(f"http://127.0.0.1:{port}", app.state.hub, {})
        with exchange.http() as http:
            for name in ("alice", "bob"):
                signup = http.post("/api/v1/auth/signup", json={"username": name, "password": PASSWORD})
                assert signup.status_code == 201, signup.text
                exchange.keys[name] = _key(http, name, PASSWORD)
                deposit = http.post(f"/api/v1/accounts/{name}/drift/deposit", json={"amount": 10_000 * USD},
                                    headers=exchange.keys[name])
                assert deposit.status_code == 200, deposit.text
            exchange.keys["admin"] = _key(http, "admin", admin_password)
        yield exchange
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        service.stop()
        db.close()
    assert not thread.is_alive(), "uvicorn did not stop"


# --- server-sent events ---------------------------------------------------------------------------


def _messages(lines: Iterator[str]) -> Iterator[Message]:
    """The (event, data) messages of an event stream's lines (comments skipped)."""
    kind, data = "message", []
    for line in lines:
        if not line:
            if data:
                yield kind, json.loads("\n".join(data))
            kind, data = "message", []
        elif not line.startswith(":"):
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                kind = value
            elif field == "data":
                data.append(value)


def _read_until(messages: Iterator[Message], done: Callable[[str, Any], bool],
                seconds: float = 20) -> list[Message]:
    """The messages up to the first one `done` accepts (each read bounded by TIMEOUT)."""
    deadline = time.monotonic() + seconds
    received: list[Message] = []
    for kind, data in messages:
        received.append((kind, data))
        if done(kind, data):
            return received
        assert time.monotonic() < deadline, f"no end of the wait in {seconds}s: {received[-5:]}"
    raise AssertionError(f"the stream ended: {received[-5:]}")


def _step(http: httpx.Client, exchange: Exchange) -> int:
    stepped = http.post("/api/v1/admin/clock/step", json={"steps": 1}, headers=exchange.keys["admin"])
    assert stepped.status_code == 200, stepped.text
    return stepped.json()["step"]


def _order(http: httpx.Client, exchange: Exchange, username: str, market: str, side: str, base: int) -> None:
    placed = http.post(f"/api/v1/accounts/{username}/drift/orders",
                       json={"market": market, "side": side, "base": base}, headers=exchange.keys[username])
    assert placed.status_code == 200 and placed.json()["status"] == "filled", placed.text


def _events(received: list[Message]) -> list[dict[str, Any]]:
    return [data for kind, data in received if kind == "event"]


def _wait_for_no_subscribers(hub: Hub) -> None:
    deadline = time.monotonic() + 10
    while len(hub):
        assert time.monotonic() < deadline, f"{len(hub)} subscriptions left after their clients went away"
        time.sleep(0.05)


def test_a_market_stream_carries_the_clock_and_that_markets_events_only(exchange):
    with exchange.http() as http:
        last = http.get("/api/v1/health").json()["step"]
        btc_before = http.get("/api/v1/events", params={"market": "BTC-PERP", "limit": 1000}).json()
        btc_seen = max((e["id"] for e in btc_before), default=0)
        with http.stream("GET", "/api/v1/stream", params={"market": "SOL-PERP"}) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert stream.headers["cache-control"] == "no-store"
            messages = _messages(stream.iter_lines())
            _order(http, exchange, "alice", "BTC-PERP", "short", 10**7)
            _order(http, exchange, "bob", "SOL-PERP", "long", 10**9)
            deposit = http.post("/api/v1/accounts/alice/drift/deposit", json={"amount": USD},
                                headers=exchange.keys["alice"])
            assert deposit.status_code == 200
            first = _step(http, exchange)
            second = _step(http, exchange)
            received = _read_until(messages, lambda kind, data: kind == "clock" and data["step"] == second)
        btc_events = http.get("/api/v1/events", params={"market": "BTC-PERP", "after": btc_seen}).json()
    _wait_for_no_subscribers(exchange.hub)

    clocks = [data for kind, data in received if kind == "clock"]
    assert {"seq", "step", "ts", "prices"} <= set(clocks[-1])
    assert set(clocks[-1]["prices"]) == {"SOL-PERP", "BTC-PERP", "ETH-PERP"}
    steps = [clock["step"] for clock in clocks]
    assert steps == sorted(steps) and steps[0] == last and first in steps and steps[-1] == second == first + 1
    assert clocks[-1]["ts"] - clocks[steps.index(first)]["ts"] == 60  # one step of the default world
    events = _events(received)
    fills = [e for e in events if e["type"] == "OrderActionRecord" and e["data"]["action"] == "Fill"]
    assert [fill["data"]["taker"] for fill in fills] == ["user:bob/0"]
    assert {e["type"] for e in events} >= {"OrderRecord", "OrderActionRecord"}
    assert all(e["venue"] == "drift" and e["data"]["market_index"] == SOL for e in events), events
    assert not [e for e in events if e["type"] == "DepositRecord"]  # spot index 0 is not SOL-PERP's 0
    ids = [e["id"] for e in events]
    assert ids == sorted(set(ids))
    assert [e for e in btc_events if e["type"] == "OrderActionRecord" and e["data"]["taker"] == "user:alice/0"]
    assert not {e["id"] for e in btc_events} & set(ids)  # BTC-PERP's events meanwhile: none on the stream


def test_an_account_stream_carries_its_users_events_only(exchange):
    with exchange.http() as http:
        with http.stream("GET", "/api/v1/accounts/alice/stream", headers=exchange.keys["alice"]) as stream:
            assert stream.status_code == 200
            messages = _messages(stream.iter_lines())
            for username, market in (("bob", "SOL-PERP"), ("alice", "ETH-PERP")):
                deposit = http.post(f"/api/v1/accounts/{username}/drift/deposit", json={"amount": 2 * USD},
                                    headers=exchange.keys[username])
                assert deposit.status_code == 200
                _order(http, exchange, username, market, "long", 10**8 if market == "ETH-PERP" else 10**9)
            step = _step(http, exchange)
            received = _read_until(messages, lambda kind, data: kind == "clock" and data["step"] == step)
    _wait_for_no_subscribers(exchange.hub)

    events = _events(received)
    assert any(kind == "clock" for kind, _ in received)
    assert {e["type"] for e in events} >= {"DepositRecord", "OrderRecord", "OrderActionRecord"}
    deposits = [e for e in events if e["type"] == "DepositRecord"]
    assert [(d["data"]["user"], d["data"]["amount"]) for d in deposits] == [("user:alice/0", 2 * USD)]
    fills = [e for e in events if e["type"] == "OrderActionRecord" and e["data"]["action"] == "Fill"]
    assert [(f["data"]["taker"], f["data"]["market_index"]) for f in fills] == [("user:alice/0", ETH)]
    for event in events:
        names = [v for v in event["data"].values() if isinstance(v, str) and v.startswith("user:")]
        assert names and all(v == "user:alice" or v.startswith("user:alice/") for v in names), event


@pytest.mark.parametrize("caller, status, error", [("bob", 403, "NotYourAccount"), (None, 401, "NotSignedIn")])
def test_an_account_stream_is_refused_to_others(exchange, caller, status, error):
    headers = exchange.keys[caller] if caller else {}
    with exchange.http() as http, http.stream("GET", "/api/v1/accounts/alice/stream", headers=headers) as stream:
        assert stream.status_code == status
        assert stream.headers["content-type"] == "application/json"
        body = json.loads(stream.read())
    assert body["error"] == error and set(body) == {"error", "message"}
    assert len(exchange.hub) == 0


def test_the_admin_may_read_an_account_stream(exchange):
    with exchange.http() as http:
        with http.stream("GET", "/api/v1/accounts/alice/stream", headers=exchange.keys["admin"]) as stream:
            assert stream.status_code == 200
            messages = _messages(stream.iter_lines())
            step = _step(http, exchange)
            _read_until(messages, lambda kind, data: kind == "clock" and data["step"] == step)
    _wait_for_no_subscribers(exchange.hub)


def test_an_unknown_or_missing_market_is_refused(exchange):
    with exchange.http() as http:
        with http.stream("GET", "/api/v1/stream", params={"market": "DOGE-PERP"}) as stream:
            assert stream.status_code == 404
            assert stream.headers["content-type"] == "application/json"
            body = json.loads(stream.read())
        assert body["error"] == "NotFound" and "DOGE-PERP" in body["message"]
        with http.stream("GET", "/api/v1/stream") as stream:
            assert stream.status_code == 422
            assert json.loads(stream.read())["detail"][0]["loc"] == ["query", "market"]
    assert len(exchange.hub) == 0


# --- the hub, without a server ------------------------------------------------------------------


def _drain(queue: asyncio.Queue) -> list[Message]:
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


def test_a_subscriber_that_falls_behind_gets_lagging_and_is_dropped():
    sol = {"id": 0, "market": "SOL"}
    btc = {"id": 0, "market": "BTC"}
    batches = QUEUE_LENGTH // 3 + 10  # three messages a batch for the subscriber taking everything

    async def scenario() -> None:
        hub = Hub()
        slow = hub.subscribe(lambda entry: True)  # never reads
        reader = hub.subscribe(lambda entry: entry["market"] == "SOL")  # reads after every batch
        read: list[Message] = []
        for step in range(batches):
            hub.publish([{**sol, "id": 2 * step}, {**btc, "id": 2 * step + 1}], {"step": step})
            await asyncio.sleep(0)  # the loop delivers
            read += _drain(reader.queue)
        await asyncio.to_thread(hub.publish, [{**sol, "id": -1}], {"step": batches})  # as the writer thread does
        for _ in range(100):
            await asyncio.sleep(0.01)
            read += _drain(reader.queue)
            if read and read[-1] == ("event", {**sol, "id": -1}):
                break

        # the reader got every clock and its market's events, in order, and stays subscribed
        expected = [m for step in range(batches)
                    for m in (("clock", {"step": step}), ("event", {**sol, "id": 2 * step}))]
        assert read == expected + [("clock", {"step": batches}), ("event", {**sol, "id": -1})]
        assert not reader.closed and len(hub) == 1
        # the slow one: its first QUEUE_LENGTH messages, then "lagging"; dropped, so no more
        kept = _drain(slow.queue)
        everything = [m for step in range(batches)
                      for m in (("clock", {"step": step}), ("event", {**sol, "id": 2 * step}),
                                ("event", {**btc, "id": 2 * step + 1}))]
        assert kept == everything[:QUEUE_LENGTH] + [("lagging", {"dropped": True})]
        assert slow.closed
        hub.publish([sol], {"step": batches + 1})
        await asyncio.sleep(0.01)
        assert slow.queue.empty() and len(hub) == 1
        hub.unsubscribe(reader)
        assert len(hub) == 0

    asyncio.run(asyncio.wait_for(scenario(), timeout=30))


def test_a_subscription_whose_event_loop_is_closed_is_dropped_at_the_next_publish():
    hub = Hub()

    async def subscribe() -> None:
        hub.subscribe(lambda entry: True)

    asyncio.run(subscribe())  # its loop is closed when run returns
    assert len(hub) == 1
    hub.publish([], {"step": 1})
    assert len(hub) == 0
