"""Database fixtures of the service tests: `db_url` runs a test on SQLite and on PostgreSQL (one
throwaway server for the session, started only if a test asks for it; a fresh database per test)."""

import itertools
import re

import pytest

from tests.service.postgres import fresh_database, postgres_server

_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory):
    """The URL of database `ballast` on the session's PostgreSQL server."""
    with postgres_server(tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """An empty database of its own for the test: SQLite in tmp_path, or PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    name = f"t{next(_numbers)}_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50]
    return fresh_database(request.getfixturevalue("pg_url"), name)
