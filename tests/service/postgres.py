"""A throwaway PostgreSQL server for the service tests (a helper module, not a test file).

`postgres_server()` runs the installed server binaries (initdb, pg_ctl: PATH first, then the
highest version under /usr/lib/postgresql/*/bin) on a fresh cluster in a temporary folder:
trust authentication, fsync on, no TCP port at all (only a unix socket in that folder), so it
never meets another server on the machine. As root it runs them as the `postgres` OS user
(postgres refuses to run as root); as anyone else, as that user. `fresh_database()` makes one
database per test on it, so tests sharing the server stay isolated.

The Debian `postgresql` package provides the binaries and the `postgres` user; `make test`
installs it when it is missing (as root).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

__all__ = ["PostgresUnavailable", "find_binaries", "fresh_database", "postgres_server"]

SETUP_HINT = (
    "run the project setup: `make test` installs the Debian `postgresql` package as root "
    "(or: apt-get install -y --no-install-recommends postgresql)"
)
PORT = 5432  # only names the socket file (.s.PGSQL.5432) in our own folder: no TCP port is opened
SUPERUSER = "postgres"
STEP_TIMEOUT = 120.0  # seconds, for any one initdb / pg_ctl call
STOP_WAIT = 30  # seconds pg_ctl waits for a stop


class PostgresUnavailable(RuntimeError):
    """The server binaries (or, as root, the `postgres` OS user) are missing."""


def _version(bindir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))


def find_binaries() -> tuple[Path, Path]:
    """(initdb, pg_ctl): from PATH, else from the highest /usr/lib/postgresql/<version>/bin."""
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return Path(initdb), Path(pg_ctl)
    bindirs = sorted(
        (path for path in Path("/usr/lib/postgresql").glob("*/bin")
         if (path / "initdb").is_file() and (path / "pg_ctl").is_file()),
        key=_version, reverse=True,
    )
    if not bindirs:
        raise PostgresUnavailable(f"no PostgreSQL server binaries (initdb, pg_ctl) found: {SETUP_HINT}")
    return bindirs[0] / "initdb", bindirs[0] / "pg_ctl"


def _server_user() -> pwd.struct_passwd | None:
    """The OS user to run the server as: `postgres` when we are root, else None (ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable(
            f"running as root, and there is no `postgres` OS user to run the server as: {SETUP_HINT}"
        ) from None


def _as(user: pwd.struct_passwd | None, command: list[str]) -> list[str]:
    if user is None:
        return command
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", user.pw_name, "--", *command]
    return ["su", user.pw_name, "-s", "/bin/sh", "-c", shlex.join(command)]


def _run(user: pwd.struct_passwd | None, command: list[str], cwd: Path,
         timeout: float = STEP_TIMEOUT) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}  # no PGDATA, PGPORT, ...
    return subprocess.run(_as(user, command), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def _check(result: subprocess.CompletedProcess[str], what: str, log: Path | None = None) -> None:
    if result.returncode == 0:
        return
    detail = (result.stdout + result.stderr).strip()
    if log is not None and log.exists():
        detail += "\n--- server log ---\n" + log.read_text(errors="replace")[-4000:]
    raise RuntimeError(f"{what} failed (exit {result.returncode}):\n{detail}")


def _connect(host: str, port: int, dbname: str) -> psycopg.Connection:
    return psycopg.connect(host=host, port=port, user=SUPERUSER, dbname=dbname,
                           autocommit=True, connect_timeout=10)


def _create_database(host: str, port: int, name: str) -> None:
    with _connect(host, port, "postgres") as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _url(host: str, port: int, name: str) -> str:
    """`postgresql+psycopg://postgres@/<name>?host=<socket folder>&port=<port>`."""
    url = URL.create("postgresql+psycopg", username=SUPERUSER, database=name,
                     query={"host": host, "port": str(port)})
    return url.render_as_string(hide_password=False)


def fresh_database(pg_url: str, name: str) -> str:
    """Create database `name` on the server of `pg_url`; its SQLAlchemy URL."""
    url = make_url(pg_url)
    host, port = url.query["host"], int(url.query["port"])
    _create_database(host, port, name)
    return _url(host, port, name)


def _stop(user: pwd.struct_passwd | None, pg_ctl: Path, data: Path, cwd: Path) -> None:
    """pg_ctl stop -m fast, then -m immediate, then SIGKILL to the postmaster: each bounded."""
    for mode in ("fast", "immediate"):
        try:
            result = _run(user, [str(pg_ctl), "stop", "-D", str(data), "-m", mode, "-w",
                                 "-t", str(STOP_WAIT), "-s"], cwd, timeout=STOP_WAIT + 10)
        except subprocess.TimeoutExpired:
            continue
        if result.returncode == 0 or not (data / "postmaster.pid").exists():
            return
    with contextlib.suppress(OSError, ValueError, IndexError):
        os.kill(int((data / "postmaster.pid").read_text().split()[0]), signal.SIGKILL)


@contextlib.contextmanager
def postgres_server(tmp_path: Path | None = None, database: str = "ballast") -> Iterator[str]:
    """Start a throwaway server with database `database`; yields its SQLAlchemy URL and stops
    the server (and deletes its folder) on exit. The cluster lives in a short folder of the
    system temp dir, not in `tmp_path`: a unix socket path must stay under ~100 bytes, and as
    root pytest's own temp folders (mode 0700) are closed to the `postgres` user. The server
    log is copied to `tmp_path/postgres.log` at the end when `tmp_path` is given."""
    initdb, pg_ctl = find_binaries()
    user = _server_user()
    base = Path(tempfile.mkdtemp(prefix="ballast-pg-"))
    data, socket_dir, log = base / "data", base / "socket", base / "server.log"
    socket_dir.mkdir()
    if user is not None:
        for path in (base, socket_dir):
            os.chown(path, user.pw_uid, user.pw_gid)
    started = False
    try:
        _check(_run(user, [str(initdb), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                           "--encoding=UTF8", "--locale=C"], base), "initdb")
        settings = (f"\nlisten_addresses = ''\nunix_socket_directories = '{socket_dir}'\n"
                    f"port = {PORT}\nfsync = on\n")
        with open(data / "postgresql.conf", "a") as conf:  # as root the file stays postgres's
            conf.write(settings)
        started = True  # from here on, stop it even if pg_ctl start fails or times out
        _check(_run(user, [str(pg_ctl), "start", "-D", str(data), "-l", str(log), "-w",
                           "-t", "60", "-s"], base), "pg_ctl start", log)
        _create_database(str(socket_dir), PORT, database)
        yield _url(str(socket_dir), PORT, database)
    finally:
        try:
            if started:
                _stop(user, pg_ctl, data, base)
        finally:
            if tmp_path is not None and log.exists():
                with contextlib.suppress(OSError):
                    shutil.copyfile(log, Path(tmp_path) / "postgres.log")
            shutil.rmtree(base, ignore_errors=True)
