"""A running exchange with its pages for the browser tests: the service on a SQLite file, the
API and the pages on uvicorn at 127.0.0.1 (a free port), in a thread; `restart()` stops
everything and starts it again on the same database (a service restart)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from ballast.service.api import create_app
from ballast.service.app import ensure_admin
from ballast.service.config import DEFAULT_WORLD
from ballast.service.core import Service
from ballast.service.journal import Database
from ballast.sim.loading import load_scenario
from ballast.web import mount_web

SCENARIO = load_scenario(DEFAULT_WORLD)
USD = 1_000_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Site:
    def __init__(self, folder: Path) -> None:
        self.db_url = f"sqlite:///{folder / 'service.db'}"
        self.admin_password: str | None = None
        self.admin_key: str | None = None
        self.start()

    def start(self) -> None:
        self.db = Database(self.db_url)
        self.db.migrate()
        self.service = Service(self.db, SCENARIO)
        self.service.start()
        self.admin_password = ensure_admin(self.db) or self.admin_password
        app = create_app(self.service, self.db)
        mount_web(app, self.service, self.db)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None,
                                                    access_log=False, timeout_graceful_shutdown=2))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 20 s")
            time.sleep(0.02)
        if self.admin_key is None:
            self.admin_key = self._key("admin", self.admin_password)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.service.stop()
        self.db.close()

    def restart(self) -> None:
        self.stop()
        self.start()

    def _key(self, username: str, password: str) -> str:
        with httpx.Client(base_url=self.url, timeout=10) as http:
            login = http.post("/api/v1/auth/login", json={"username": username, "password": password})
            login.raise_for_status()
            created = http.post("/api/v1/me/api-keys", json={"name": "test"},
                                headers={"X-CSRF-Token": login.json()["csrf_token"]})
            created.raise_for_status()
            return created.json()["key"]

    def api(self, key: str | None = None) -> httpx.Client:
        """An API client (as the admin unless another key is given)."""
        return httpx.Client(base_url=self.url, timeout=30,
                            headers={"Authorization": f"Bearer {key or self.admin_key}"})

    def user_key(self, username: str, password: str) -> str:
        return self._key(username, password)

    def step(self, steps: int) -> None:
        """Move the clock (as the admin)."""
        with self.api() as http:
            http.post("/api/v1/admin/clock/step", json={"steps": steps}).raise_for_status()
