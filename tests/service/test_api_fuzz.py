"""Property-based fuzzing of the HTTP API against its own OpenAPI schema (schemathesis).

Every operation but the two endless event streams is called with generated data (valid and
invalid: schemathesis' examples, coverage and fuzzing phases), as a signed-in user with an API
key whose name goes into every `{username}` (so the calls reach the handlers, not only the
403 of someone else's account), and, in a smaller run, as anonymous. Every response must pass
schemathesis' checks: no 5xx, a documented status code, content type and headers, a body valid
against the declared response schema, invalid data refused with a 4xx, a 405 naming the allowed
methods. "Valid data should be accepted" is left out: the engines refuse well-formed
instructions for their own reasons (400 InsufficientCollateral and the like).

Bounded: a few examples per operation and phase, so the file runs in well under a minute; under
CI the hypothesis profile of tests/conftest.py derandomizes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from ballast.service.api import create_app
from ballast.service.app import ensure_admin
from ballast.service.config import DEFAULT_WORLD
from ballast.service.core import Service
from ballast.service.journal import Database
from ballast.sim.loading import load_scenario

USD = 1_000_000
PASSWORD = "correct horse battery"
USER = "fuzzer"
STREAMS = r"/stream$"


@dataclass
class Exchange:
    app: object
    headers: dict[str, str]  # the fuzzing user's API key
    key_id: int


@pytest.fixture(scope="module")
def exchange(tmp_path_factory):
    """A started service with the user `fuzzer`: an API key, collateral, a position, BAL shares."""
    folder = tmp_path_factory.mktemp("fuzz")
    db = Database(f"sqlite:///{folder / 'service.db'}")
    db.migrate()
    service = Service(db, load_scenario(DEFAULT_WORLD))
    service.start()
    ensure_admin(db)
    app = create_app(service, db)
    with TestClient(app) as client:
        assert client.post("/api/v1/auth/signup", json={"username": USER, "password": PASSWORD}).status_code == 201
        login = client.post("/api/v1/auth/login", json={"username": USER, "password": PASSWORD})
        created = client.post("/api/v1/me/api-keys", json={"name": "fuzz"},
                              headers={"X-CSRF-Token": login.json()["csrf_token"]})
        assert created.status_code == 201, created.text
        client.cookies.clear()
        headers = {"Authorization": f"Bearer {created.json()['key']}"}
        account = f"/api/v1/accounts/{USER}"
        for path, body in (("/drift/deposit", {"amount": 100_000 * USD}),
                           ("/curie/deposit", {"amount": 100_000 * USD}),
                           ("/drift/orders", {"market": "SOL-PERP", "side": "long", "base": 10**9}),
                           ("/drift/bal/add", {"market": "SOL-PERP", "amount": 1_000 * USD})):
            response = client.post(account + path, json=body, headers=headers)
            assert response.status_code == 200, (path, response.text)
    yield Exchange(app, headers, created.json()["id"])
    service.stop()
    db.close()


def _openapi() -> dict:
    """The API's schema at import time (pytest collects one test per operation): from an app
    made over stand-ins, which making it does not use (test_the_schema_is_the_served_one)."""
    service = SimpleNamespace(listeners=[])
    db = SimpleNamespace(get_meta=lambda _key: "schema only")
    return create_app(service, db).openapi()  # type: ignore[arg-type]


schema = schemathesis.openapi.from_dict(_openapi()).exclude(path_regex=STREAMS)


def test_the_schema_is_the_served_one(exchange):
    with TestClient(exchange.app) as client:
        assert client.get("/api/v1/openapi.json").json() == _openapi()


def _as(case, user: str | None, exchange: Exchange):
    """Point `{username}` at the caller (or at the fuzzing user for anonymous calls)."""
    if case.path_parameters and "username" in case.path_parameters:
        case.path_parameters["username"] = user or USER
    if case.path_parameters and case.path_parameters.get("key_id") == exchange.key_id:
        case.path_parameters["key_id"] = exchange.key_id + 1_000_000  # never revoke the fuzzer's own key
    return case


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_as_a_user_keeps_its_schema(case, exchange):
    _as(case, USER, exchange)
    case.call_and_validate(app=exchange.app, headers=exchange.headers, excluded_checks=[positive_data_acceptance])


@schema.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_as_anonymous_keeps_its_schema(case, exchange):
    _as(case, None, exchange)
    case.call_and_validate(app=exchange.app, excluded_checks=[positive_data_acceptance])
