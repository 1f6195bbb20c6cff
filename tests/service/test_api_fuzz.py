"""Property-based fuzzing of the HTTP API against its own OpenAPI schema (schemathesis).

Every operation but the two endless event streams is called with generated requests, valid and
invalid (schemathesis' examples, coverage and fuzzing phases): as a signed-in user with an API
key whose name goes into every `{username}` (so the calls reach the handlers and the engines,
not only the 403 of someone else's account); in smaller runs as anonymous, and the admin
operations as the admin. Every response must pass schemathesis' default checks: no 5xx, a
documented status code, content type and headers, a body valid against the declared response
schema (the 422 body included), invalid data refused with a 4xx, a 405 naming the allowed
methods. Left out: "valid data is accepted", as the engines refuse well-formed instructions for
their own reasons (400 InsufficientCollateral and the like). The bugs it found are pinned by
tests at the end.

Bounded: a few examples per operation, the coverage phase only for the user (and its
unexpected-method probes to OPTIONS and TRACE), so the file runs in well under a minute; under
CI the hypothesis profile of tests/conftest.py derandomizes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from types import SimpleNamespace

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from pydantic import TypeAdapter, ValidationError
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
MARKETS = ("SOL-PERP", "BTC-PERP", "ETH-PERP")
STREAMS = r"/stream$"
SIGNED_IN = ("/api/v1/me", "/api/v1/accounts/", "/api/v1/admin/")


def _examples(n: int) -> settings:
    return settings(max_examples=n, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@dataclass
class Exchange:
    app: object
    user: dict[str, str]  # the fuzzing user's Authorization header
    key_id: int  # and its key's id
    admin: dict[str, str]


def _key(client: TestClient, username: str, password: str) -> dict:
    login = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    created = client.post("/api/v1/me/api-keys", json={"name": "fuzz"},
                          headers={"X-CSRF-Token": login.json()["csrf_token"]})
    assert created.status_code == 201, created.text
    client.cookies.clear()
    return created.json()


@pytest.fixture(scope="module")
def exchange(tmp_path_factory):
    """A started service with the user `fuzzer` (an API key, collateral, a position, BAL shares,
    Curie funds) and the admin's API key."""
    folder = tmp_path_factory.mktemp("fuzz")
    db = Database(f"sqlite:///{folder / 'service.db'}")
    db.migrate()
    service = Service(db, load_scenario(DEFAULT_WORLD))
    service.start()
    admin_password = ensure_admin(db)
    app = create_app(service, db)
    with TestClient(app) as client:
        assert client.post("/api/v1/auth/signup", json={"username": USER, "password": PASSWORD}).status_code == 201
        user_key, admin_key = _key(client, USER, PASSWORD), _key(client, "admin", admin_password)
        user = {"Authorization": f"Bearer {user_key['key']}"}
        for path, body in (("/drift/deposit", {"amount": 100_000 * USD}),
                           ("/curie/deposit", {"amount": 100_000 * USD}),
                           ("/drift/orders", {"market": "SOL-PERP", "side": "long", "base": 10**9}),
                           ("/drift/bal/add", {"market": "SOL-PERP", "amount": 1_000 * USD})):
            response = client.post(f"/api/v1/accounts/{USER}{path}", json=body, headers=user)
            assert response.status_code == 200, (path, response.text)
    yield Exchange(app, user, user_key["id"], {"Authorization": f"Bearer {admin_key['key']}"})
    service.stop()
    db.close()


@cache
def _openapi_text() -> str:
    service = SimpleNamespace(listeners=[])
    db = SimpleNamespace(get_meta=lambda _key: "schema only")
    return json.dumps(create_app(service, db).openapi())  # type: ignore[arg-type]


def _openapi() -> dict:
    """The API's schema at import time (pytest collects one test per operation): from an app
    made over stand-ins, which making it does not use (test_the_schema_is_the_served_one)."""
    return json.loads(_openapi_text())


def _schema(coverage: bool):
    phases = {"coverage": {"unexpected-methods": ["OPTIONS", "TRACE"]} if coverage else {"enabled": False}}
    config = schemathesis.Config.from_dict({"phases": phases})
    return schemathesis.openapi.from_dict(_openapi(), config=config).exclude(path_regex=STREAMS)


full = _schema(coverage=True)
light = _schema(coverage=False)


def _own_key(value: object, exchange: Exchange) -> bool:
    """Whether the path's `key_id` reads as the fuzzing user's key, as the API parses it."""
    try:
        return TypeAdapter(int).validate_python(str(value)) == exchange.key_id
    except ValidationError:
        return False


def _prepare(case, exchange: Exchange) -> None:
    """Aim the generated call at things that exist: `{username}` is the fuzzing user, and a
    valid call's market (path, query or body) is one of the world's in most calls (random names
    only find the 404). The fuzzing user's own key is never revoked; the clock never gets more
    than a few steps at a time."""
    parameters = case.path_parameters or {}
    if "username" in parameters:
        parameters["username"] = USER
    if "key_id" in parameters and _own_key(parameters["key_id"], exchange):
        parameters["key_id"] = exchange.key_id + 1_000_000
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    for values in (parameters, case.query, case.body):
        if isinstance(values, dict) and isinstance(values.get("market"), str):
            choice = len(values["market"]) % (len(MARKETS) + 1)  # the last keeps the random name
            values["market"] = MARKETS[choice] if choice < len(MARKETS) else values["market"]
    if isinstance(case.body, dict) and isinstance(case.body.get("steps"), int):
        case.body["steps"] = 1 + case.body["steps"] % 5


def _call_and_validate(case, exchange: Exchange, headers: dict[str, str] | None = None):
    """`case.call_and_validate` (its checks but "valid data is accepted")."""
    response = case.call(app=exchange.app, headers=headers)
    transport = {"app": exchange.app} | ({"headers": dict(headers)} if headers else {})
    case.validate_response(response, headers=headers, transport_kwargs=transport,
                           excluded_checks=[positive_data_acceptance])
    return response


def test_the_schema_is_the_served_one(exchange):
    with TestClient(exchange.app) as client:
        assert client.get("/api/v1/openapi.json").json() == _openapi()


@full.parametrize()
@_examples(8)
def test_the_api_as_a_user_keeps_its_schema(case, exchange):
    _prepare(case, exchange)
    response = _call_and_validate(case, exchange, exchange.user)
    if case.operation.path != "/api/v1/auth/login":  # the key stays valid: no call is turned away as anonymous
        assert response.status_code != 401, response.text
    if "{username}" in case.operation.path:  # every call is on the user's own account
        assert response.status_code != 403, response.text


@light.parametrize()
@_examples(3)
def test_the_api_as_anonymous_keeps_its_schema(case, exchange):
    _prepare(case, exchange)
    response = _call_and_validate(case, exchange)
    if case.operation.path.startswith(SIGNED_IN):
        assert not 200 <= response.status_code < 300, response.text


@light.include(path_regex="^/api/v1/admin/").parametrize()
@_examples(5)
def test_the_admin_operations_keep_their_schema(case, exchange):
    _prepare(case, exchange)
    try:
        response = _call_and_validate(case, exchange, exchange.admin)
        assert response.status_code not in (401, 403), response.text
    finally:
        if case.operation.path == "/api/v1/admin/clock":  # a fast realtime clock would tick on and on
            with TestClient(exchange.app) as client:
                client.post("/api/v1/admin/clock", json={"mode": "stepped"}, headers=exchange.admin)


# Bugs the fuzzer found, pinned.


def test_a_max_leverage_below_one_is_refused_by_name(exchange):
    with TestClient(exchange.app) as client:
        response = client.post(f"/api/v1/accounts/{USER}/drift/settings", json={"max_leverage": 1e-7},
                               headers=exchange.user)
    assert response.status_code == 422 and "below 1x" in response.text, response.text


def test_the_admin_sets_a_markets_lp_fee_slice(exchange):
    with TestClient(exchange.app) as client:
        response = client.post("/api/v1/admin/market", json={"market": "SOL-PERP", "lp_fee_slice": 7_000},
                               headers=exchange.admin)
    assert response.status_code == 200, response.text
    amm = exchange.app.state.service.world.drift.exchange.perp_markets[0].amm
    assert (amm.lp_fee_slice_numerator, amm.lp_fee_slice_denominator) == (7_000, 10_000)


def test_a_username_with_a_trailing_newline_is_refused(exchange):
    with TestClient(exchange.app) as client:
        response = client.post("/api/v1/auth/signup", json={"username": "eve\n", "password": "long enough password"})
    assert response.status_code == 400 and response.json()["error"] == "InvalidUsername", response.text
