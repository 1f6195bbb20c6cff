"""Crash safety: concurrent clients over loopback, `kill -9` mid-load, restart; every
acknowledged instruction is in the journal exactly once and the restarted service's digest
equals an uninterrupted replay of that journal. On SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
import pytest

from ballast.bench_serve import api_key, running_service
from ballast.service.config import DEFAULT_WORLD
from ballast.service.core import world_from_journal
from ballast.service.journal import Database, default_url
from ballast.sim.loading import load_scenario

USD = 1_000_000
PASSWORD = "crash-test-password"
CLIENTS = 4


def _load(url: str, keys: list[str], stop: threading.Event):
    """Each client sends deposits of amounts no other request uses, with a market order every
    fifth request, until `stop`; returns (each client's acknowledged (user, amount) deposits,
    filled as they are answered; the client threads)."""
    acknowledged: list[list[tuple[str, int]]] = [[] for _ in keys]

    def client(i: int, key: str) -> None:
        name = f"user{i}"
        with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=5) as http:
            j = 0
            while not stop.is_set():
                j += 1
                try:
                    if j % 5 == 0:
                        http.post(f"{url}/api/v1/accounts/{name}/drift/orders",
                                  json={"market": "SOL-PERP", "side": "long" if j % 2 else "short", "base": 10**8})
                        continue
                    amount = USD + i * 1_000_000 + j
                    response = http.post(f"{url}/api/v1/accounts/{name}/drift/deposit", json={"amount": amount})
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code == 200:
                    acknowledged[i].append((name, amount))

    threads = [threading.Thread(target=client, args=(i, key)) for i, key in enumerate(keys)]
    for thread in threads:
        thread.start()
    return acknowledged, threads


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_kill_9_mid_load_loses_no_acknowledged_instruction(database, tmp_path, request):
    scenario = load_scenario(DEFAULT_WORLD)
    if database == "postgresql":
        from tests.service.postgres import fresh_database

        url = fresh_database(request.getfixturevalue("pg_url"), "crash")
        extra = f'db = "{url}"\nsnapshot_every = 150\n'
    else:
        url = default_url(tmp_path / "data")
        extra = "snapshot_every = 150\n"
    with running_service(tmp_path, extra) as service:
        with httpx.Client(timeout=10) as http:
            admin_key = api_key(http, service.url, "admin", service.admin_password, signup=False)
            admin = {"Authorization": f"Bearer {admin_key}"}
            http.post(f"{service.url}/api/v1/admin/agents", json={"on": True}, headers=admin).raise_for_status()
            http.post(f"{service.url}/api/v1/admin/clock", json={"mode": "realtime", "speed": 600.0},
                      headers=admin).raise_for_status()  # 10 ticks a second under the load
            keys = [api_key(http, service.url, f"user{i}", PASSWORD) for i in range(CLIENTS)]
        stop = threading.Event()
        acknowledged, threads = _load(service.url, keys, stop)
        deadline = time.monotonic() + 30
        while sum(map(len, acknowledged)) < 300 and time.monotonic() < deadline:
            time.sleep(0.02)
        service.kill()  # SIGKILL while the clients are still sending
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    acked = [item for per_client in acknowledged for item in per_client]
    assert len(acked) >= 300

    db = Database(url)
    journal = list(db.entries())
    assert [e.seq for e in journal] == list(range(1, len(journal) + 1))
    deposits = Counter((e.actor, e.args["amount"]) for e in journal if e.command == "drift.deposit")
    assert all(deposits[item] == 1 for item in acked), "an acknowledged deposit is missing or doubled"
    assert any(e.command == "tick" for e in journal) and db.snapshot_seqs()
    seq = db.last_seq()
    db.close()

    with running_service(tmp_path, extra) as restarted, httpx.Client(timeout=10) as http:
        assert http.get(f"{restarted.url}/api/v1/admin/digest", headers=admin).json()["seq"] >= seq
        http.post(f"{restarted.url}/api/v1/admin/clock", json={"mode": "stepped", "speed": 1.0}, headers=admin)
        final = http.get(f"{restarted.url}/api/v1/admin/digest", headers=admin).json()
    db = Database(url)
    again, again_seq = world_from_journal(db, scenario, use_snapshots=False)
    db.close()
    # the restarted service (snapshot + journal, then more ticks) equals a replay from scratch
    assert (final["seq"], final["digest"]) == (again_seq, again.digest())
