"""`ballast bench serve`: instructions per second and latency of the exchange service over HTTP.

Starts `ballast serve` in a child process on a free loopback port with a temporary data folder
(SQLite, the default world, stepped clock), signs up one user per client (API keys), funds
them, then for each workload runs `clients` threads that each send `requests` instructions
with keep-alive HTTP connections, stopping early at `max_seconds`:

* fills: market orders of 0.1 SOL-PERP, alternating long and short, against the AMM;
* bal: BAL adds of 0.1 share (1e8 share units, a multiple of the order step) in SOL-PERP.

Every request's latency is measured from send to response (milliseconds); the rate counts
acknowledged instructions (2xx) over the workload's wall time. The child is stopped at the end
(SIGTERM, then SIGKILL after 10 s). Bounded by `requests` and `max_seconds`.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["ServeBenchResult", "api_key", "bench_serve", "running_service"]

USD = 1_000_000
PASSWORD = "bench-password-123"


@dataclass(frozen=True)
class ServeBenchResult:
    workload: str
    clients: int
    requests: int  # sent
    acknowledged: int  # 2xx answers
    refused: int  # 4xx answers (engine refusals)
    failed: int  # 5xx answers or transport errors
    wall_seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.acknowledged / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def row(self) -> dict[str, Any]:
        return asdict(self) | {"instructions_per_second": self.per_second}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class running_service:
    """Context manager: `ballast serve` in a child process on loopback; `.url`, `.admin_password`."""

    def __init__(self, data_dir: Path, extra_config: str = "", start_timeout: float = 60.0) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = data_dir / "serve.toml"
        self.config.write_text(f'port = {self.port}\ndata_dir = "{data_dir / "data"}"\n{extra_config}')
        self.start_timeout = start_timeout
        self.admin_password: str | None = None
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> running_service:
        import httpx

        out_path = self.data_dir / "serve.out"
        with open(self.data_dir / "serve.log", "ab") as log, open(out_path, "ab") as out:
            command = [sys.executable, "-c", "from ballast.cli import app; app()", "serve", str(self.config)]
            self.process = subprocess.Popen(command, stdout=out, stderr=log)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ballast serve exited with {self.process.returncode}; see {self.data_dir / 'serve.log'}")
            match = re.search(r"password '([^']+)'", out_path.read_text())
            if match:
                self.admin_password = match.group(1)
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError(f"ballast serve did not answer within {self.start_timeout} s")

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def __exit__(self, *_exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def api_key(client: Any, url: str, name: str, password: str = PASSWORD, signup: bool = True) -> str:
    """Sign `name` up (unless `signup` is False), log in and create an API key; the key."""
    if signup:
        client.post(f"{url}/api/v1/auth/signup", json={"username": name, "password": password}).raise_for_status()
    login = client.post(f"{url}/api/v1/auth/login", json={"username": name, "password": password})
    login.raise_for_status()
    created = client.post(f"{url}/api/v1/me/api-keys", json={"name": "bench"},
                          headers={"X-CSRF-Token": login.json()["csrf_token"]})
    created.raise_for_status()
    client.cookies.clear()
    return created.json()["key"]


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def _workload(url: str, keys: list[str], workload: str, requests: int, max_seconds: float) -> ServeBenchResult:
    import httpx

    latencies: list[list[float]] = [[] for _ in keys]
    counts = [[0, 0, 0] for _ in keys]  # acknowledged, refused, failed
    deadline = time.monotonic() + max_seconds

    def client_loop(i: int, key: str) -> None:
        with httpx.Client(headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
            name = f"bench{i}"
            for j in range(requests):
                if time.monotonic() > deadline:
                    return
                if workload == "fills":
                    path = f"{url}/api/v1/accounts/{name}/drift/orders"
                    body = {"market": "SOL-PERP", "side": "long" if j % 2 == 0 else "short", "base": 10**8}
                else:
                    path = f"{url}/api/v1/accounts/{name}/drift/bal/add"
                    body = {"market": "SOL-PERP", "shares": 10**8}
                started = time.perf_counter()
                try:
                    status = http.post(path, json=body).status_code
                except httpx.HTTPError:
                    status = 599
                latencies[i].append(1000 * (time.perf_counter() - started))
                counts[i][0 if status < 400 else 1 if status < 500 else 2] += 1

    threads = [threading.Thread(target=client_loop, args=(i, key)) for i, key in enumerate(keys)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    every = [v for values in latencies for v in values]
    return ServeBenchResult(workload, len(keys), len(every), sum(c[0] for c in counts), sum(c[1] for c in counts),
                            sum(c[2] for c in counts), wall, _percentile(every, 50), _percentile(every, 99))


def bench_serve(clients: int, requests: int, workloads: tuple[str, ...] = ("fills", "bal"),
                max_seconds: float = 60.0) -> list[ServeBenchResult]:
    """Run the workloads (see the module docstring); one result each."""
    import httpx

    with tempfile.TemporaryDirectory(prefix="ballast-bench-serve-") as folder:
        with running_service(Path(folder)) as service:
            keys = []
            with httpx.Client(timeout=30) as http:
                for i in range(clients):
                    key = api_key(http, service.url, f"bench{i}")
                    http.post(f"{service.url}/api/v1/accounts/bench{i}/drift/deposit", json={"amount": 1_000_000 * USD},
                              headers={"Authorization": f"Bearer {key}"}).raise_for_status()
                    keys.append(key)
            return [_workload(service.url, keys, workload, requests, max_seconds) for workload in workloads]
