"""The authorisation matrix: every endpoint x {anonymous, user A, user B, admin} against A's
resources; and the session cookie's CSRF rule."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ballast.service.api import create_app
from ballast.service.app import ensure_admin
from ballast.service.config import DEFAULT_WORLD
from ballast.service.core import Service
from ballast.service.journal import Database
from ballast.sim.loading import load_scenario

USD = 1_000_000
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    folder = tmp_path_factory.mktemp("access")
    db = Database(f"sqlite:///{folder / 'service.db'}")
    db.migrate()
    service = Service(db, load_scenario(DEFAULT_WORLD))
    service.start()
    admin_password = ensure_admin(db)
    app = create_app(service, db)
    client = TestClient(app)
    keys = {}
    for name in ("alice", "bob"):
        assert client.post("/api/v1/auth/signup", json={"username": name, "password": PASSWORD}).status_code == 201
    for name, password in (("alice", PASSWORD), ("bob", PASSWORD), ("admin", admin_password)):
        login = client.post("/api/v1/auth/login", json={"username": name, "password": password})
        assert login.status_code == 200
        created = client.post("/api/v1/me/api-keys", json={"name": "test"},
                              headers={"X-CSRF-Token": login.json()["csrf_token"]})
        assert created.status_code == 201, created.text
        keys[name] = created.json()
        client.cookies.clear()
    alice = {"Authorization": f"Bearer {keys['alice']['key']}"}
    assert client.post("/api/v1/accounts/alice/drift/deposit", json={"amount": 50_000 * USD}, headers=alice).status_code == 200
    yield client, keys, app
    client.close()
    service.stop()
    db.close()


def _body(path: str) -> dict | None:
    """A valid body for each POST/PUT endpoint (so authorisation, not validation, decides)."""
    bodies = {
        "/drift/subaccounts": {"name": "second"},
        "/drift/deposit": {"amount": 10 * USD},
        "/drift/withdraw": {"amount": 1 * USD},
        "/drift/orders": {"market": "SOL-PERP", "side": "long", "base": 10**8},
        "/drift/orders/cancel": {"order_id": 1},
        "/drift/bal/add": {"market": "SOL-PERP", "amount": 100 * USD},
        "/drift/bal/remove": {"market": "SOL-PERP"},
        "/drift/settle": {"market": "SOL-PERP"},
        "/drift/settings": {"derisk_opt_out": False},
        "/insurance/stake": {"amount": 10 * USD},
        "/insurance/unstake-request": {"amount": 1},
        "/curie/deposit": {"amount": 100 * USD},
        "/curie/withdraw": {"amount": 1},
        "/curie/ranges": {"market": "SOL-PERP", "lower_price": 100 * USD, "upper_price": 200 * USD, "quote": 10 * USD},
        "/curie/ranges/remove": {"market": "SOL-PERP", "lower_tick": 0, "upper_tick": 60},
        "/curie/orders": {"market": "SOL-PERP", "side": "long", "base": 10**8},
        "/curie/rewards/claim": {"market": "SOL-PERP"},
        "/admin/clock": {"mode": "stepped", "speed": 1.0},
        "/admin/clock/step": {"steps": 1},
        "/admin/oracle": {"market": "SOL-PERP", "price": None},
        "/admin/agents": {"on": False},
        "/admin/market": {"market": "SOL-PERP", "fee_pool_deposit": 1 * USD},
        "/admin/rewards": {"market": "SOL-PERP", "epoch_start": 1_767_592_800, "amount": 10**18},  # Mon 06:00 UTC
        "/me/settings": {"theme": "light"},
        "/me/api-keys": {"name": "another"},
        "/auth/login": {"username": "alice", "password": PASSWORD},
    }
    for suffix, body in bodies.items():
        if path.endswith(suffix):
            return body
    return None


def _kind(path: str, method: str) -> str:
    """Which rule an endpoint follows (every endpoint must have one)."""
    if path.startswith("/api/v1/admin/"):
        return "admin"
    if path.startswith("/api/v1/accounts/{username}"):
        return "account-read" if method == "GET" else "account-act"
    if path.startswith("/api/v1/me"):
        return "signed-in"
    if path in ("/api/v1/auth/signup", "/api/v1/auth/login", "/api/v1/auth/logout") or method == "GET":
        return "public"
    raise AssertionError(f"{method} {path} follows no rule of the matrix")


# who -> status class expected, by rule ("ok": neither 401 nor 403)
EXPECTED = {
    "public": {"anonymous": "ok", "alice": "ok", "bob": "ok", "admin": "ok"},
    "signed-in": {"anonymous": 401, "alice": "ok", "bob": "ok", "admin": "ok"},
    "account-read": {"anonymous": 401, "alice": "ok", "bob": 403, "admin": "ok"},
    "account-act": {"anonymous": 401, "alice": "ok", "bob": 403, "admin": 403},
    "admin": {"anonymous": 401, "alice": 403, "bob": 403, "admin": "ok"},
}


def _routes(app) -> list[tuple[str, str]]:
    """Every (path, method) of the OpenAPI schema but the endless event streams."""
    return sorted((path, method.upper()) for path, operations in app.openapi()["paths"].items()
                  for method in operations if not path.endswith("/stream"))


def test_every_endpoint_for_every_kind_of_caller(api):
    client, keys, app = api
    routes = _routes(app)
    assert len(routes) > 40
    signups = 0
    for path, method in routes:
        kind = _kind(path, method)
        for who in ("anonymous", "alice", "bob", "admin"):
            headers = {} if who == "anonymous" else {"Authorization": f"Bearer {keys[who]['key']}"}
            key_id = 1
            if "{key_id}" in path and who != "anonymous":  # a throwaway key: keep the caller's own
                key_id = client.post("/api/v1/me/api-keys", json={"name": "throwaway"}, headers=headers).json()["id"]
            url = (path.replace("{username}", "alice").replace("{market}", "SOL-PERP")
                   .replace("{key_id}", str(key_id)))
            params = {"market": "SOL-PERP"} if method == "GET" else None
            body = _body(path)
            if path.endswith("/auth/signup"):
                signups += 1
                body = {"username": f"new-{signups}-{who}", "password": PASSWORD}
            response = client.request(method, url, json=body, params=params, headers=headers)
            expected = EXPECTED[kind][who]
            label = f"{method} {url} as {who}: {response.status_code} {response.text[:200]}"
            assert response.status_code < 500, label
            if expected == "ok":
                assert response.status_code not in (401, 403), label
            else:
                assert response.status_code == expected, label
                assert set(response.json()) == {"error", "message"}, label


def test_the_session_cookie_needs_the_csrf_token_to_change_anything(api):
    client, _keys, _app = api
    login = client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    token = login.json()["csrf_token"]
    try:
        assert client.get("/api/v1/accounts/alice").status_code == 200  # reads need no token
        refused = client.post("/api/v1/accounts/alice/drift/deposit", json={"amount": USD})
        assert refused.status_code == 403 and refused.json()["error"] == "CsrfTokenMissing"
        wrong = client.post("/api/v1/accounts/alice/drift/deposit", json={"amount": USD},
                            headers={"X-CSRF-Token": token + "x"})
        assert wrong.status_code == 403
        accepted = client.post("/api/v1/accounts/alice/drift/deposit", json={"amount": USD},
                               headers={"X-CSRF-Token": token})
        assert accepted.status_code == 200, accepted.text
    finally:
        client.cookies.clear()


def test_a_revoked_or_forged_key_is_refused(api):
    client, _keys, _app = api
    login = client.post("/api/v1/auth/login", json={"username": "bob", "password": PASSWORD})
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
    created = client.post("/api/v1/me/api-keys", json={"name": "temporary"}, headers=csrf).json()
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {created['key']}"}
    assert client.get("/api/v1/me", headers=bearer).json()["username"] == "bob"
    assert client.delete(f"/api/v1/me/api-keys/{created['id']}", headers=bearer).status_code == 200
    revoked = client.get("/api/v1/me", headers=bearer)
    assert revoked.status_code == 401 and revoked.json()["error"] == "InvalidApiKey"
    forged = client.get("/api/v1/me", headers={"Authorization": "Bearer blst_forged"})
    assert forged.status_code == 401
    malformed = client.get("/api/v1/me", headers={"Authorization": "Basic Ym9iOnB3"})
    assert malformed.status_code == 401 and malformed.json()["error"] == "BadAuthorization"


def test_bad_credentials_and_bad_signups_get_clear_refusals(api):
    client, _keys, _app = api
    wrong = client.post("/api/v1/auth/login", json={"username": "alice", "password": "not the password"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "BadCredentials"
    taken = client.post("/api/v1/auth/signup", json={"username": "alice", "password": PASSWORD})
    assert taken.status_code == 409 and "alice" in taken.json()["message"]
    short = client.post("/api/v1/auth/signup", json={"username": "dave", "password": "short"})
    assert short.status_code == 400 and short.json()["error"] == "InvalidPassword"
    bad_name = client.post("/api/v1/auth/signup", json={"username": "Dave Smith", "password": PASSWORD})
    assert bad_name.status_code == 400 and "'Dave Smith'" in bad_name.json()["message"]
