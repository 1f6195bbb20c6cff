"""The HTTP API under /api/v1 (FastAPI; the OpenAPI schema at /api/v1/openapi.json).

Who may do what:

* anonymous: health, clock, markets, performance, insurance fund, pools, market events and
  streams; sign up, log in;
* a user: everything above, plus their own account (`/accounts/{username}` with their own
  name): reads, every instruction, their stream and events; API keys and app settings;
* an admin: reads of any account; the clock, oracle prices, agents, market parameters,
  snapshots and the state digest. An admin acts on other users' accounts never.

A refusal is JSON `{"error": <name>, "message": <text>}`: 401 (no or bad credentials), 403
(not yours / not an admin / a missing CSRF token), 404 (no such market, subaccount, user),
400 (the engine refused: `error` is its typed error's class name, e.g.
InsufficientCollateral), 409 (username taken), 503 (the journal could not be written). A body
or query that does not match the schema is a 422 `{"detail": [{"loc", "msg", "type"}]}` naming
each offending field; bodies are read strictly as the schema types them (no 0/1 or "true" for a
boolean, no "5" or false for an integer). Every instruction is journaled before it is answered
(ballast.service.core).

Units as the engines keep them: quote 1e6 (USDC), base 1e9, prices 1e6, BAL shares 1e9 (one
share = 1e9), funding rates 1e9; Curie liquidity and sqrt prices as decimal strings.
"""

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from functools import cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from ballast.service import views
from ballast.service.auth import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    Principal,
    SessionSigner,
    check_password,
    csrf_matches,
    hash_password,
    key_hash,
    new_api_key,
    password_problem,
    username_problem,
)
from ballast.service.commands import COMMANDS, CommandRefused
from ballast.service.core import Service
from ballast.service.journal import Database
from ballast.service.stream import Hub

__all__ = ["create_app", "ApiError"]

log = logging.getLogger("ballast.service.http")
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


class ErrorBody(BaseModel):
    error: str
    message: str


class FieldProblem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    """The 422 body, exactly as the handler makes it (FastAPI's own schema would add `input` and
    `ctx`, which it does not send)."""

    model_config = ConfigDict(extra="forbid")
    detail: list[FieldProblem]


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in (
        (400, "refused by the engine or a bad value"), (401, "not signed in / bad credentials"),
        (403, "not allowed"), (404, "no such thing"), (409, "conflict"), (503, "journal unavailable"),
    )
} | {422: {"model": ValidationErrorBody, "description": "the request does not match the schema"}}


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class KeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: Annotated[str, Field(min_length=1, max_length=64)]


class AppSettings(BaseModel):
    """The app settings the seeds list (stored per user, not engine state)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    theme: Literal["light", "dark"] = "dark"
    trade_mode: Literal["lite", "pro"] = "pro"
    trade_layout: Literal["left", "right"] = "right"
    notifications: bool = True


class StepRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    steps: Annotated[int, Field(ge=1, le=1_000_000)] = 1


def create_app(service: Service, db: Database, hub: Hub | None = None) -> FastAPI:
    """The API app over a started service (the caller stops the service)."""
    secret = db.get_meta("session_secret")
    if secret is None:
        raise RuntimeError("the service must be started before the app is made (no session secret)")
    signer = SessionSigner(secret)
    hub = hub or Hub()
    service.listeners.append(hub.publish)
    app = FastAPI(title="Ballast exchange", version="1", openapi_url="/api/v1/openapi.json",
                  docs_url="/api/v1/docs", redoc_url=None)
    app.state.service, app.state.db, app.state.hub = service, db, hub

    # --- errors ---------------------------------------------------------------------------------

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse({"error": error.error, "message": error.message}, status_code=error.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        name = {404: "NotFound", 405: "MethodNotAllowed"}.get(error.status_code, "HttpError")
        headers = dict(error.headers or {})
        if error.status_code == 405:  # the methods of every route of the path, not the first's only
            headers["Allow"] = ", ".join(_allowed_methods(app, request))
        return JSONResponse({"error": name, "message": str(error.detail)}, status_code=error.status_code,
                            headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        body = ValidationErrorBody(detail=[FieldProblem(loc=list(e["loc"]), msg=e["msg"], type=e["type"])
                                           for e in error.errors()])
        return JSONResponse(body.model_dump(), status_code=422)

    @app.exception_handler(Exception)
    async def _internal(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse({"error": "InternalError", "message": type(error).__name__}, status_code=500)

    @app.middleware("http")
    async def _access_log(request: Request, call_next: Any) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        log.info("request", extra={"fields": {"method": request.method, "path": request.url.path,
                                              "status": response.status_code,
                                              "ms": round(1000 * (time.perf_counter() - started), 2)}})
        return response

    # --- who is asking --------------------------------------------------------------------------

    def principal(request: Request) -> Principal:
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise ApiError(401, "BadAuthorization", "use 'Authorization: Bearer <api key>'")
            user = db.user_by_key_hash(key_hash(token.strip()))
            if user is None:
                raise ApiError(401, "InvalidApiKey", "the API key is unknown or revoked")
            return Principal(user["id"], user["username"], user["role"], "key")
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            session = signer.read(cookie)
            user = db.user_by_id(session[0]) if session else None
            if user is not None:
                assert session is not None
                return Principal(user["id"], user["username"], user["role"], "session", session[1])
        return Principal()

    def signed_in(request: Request, who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.user_id is None:
            raise ApiError(401, "NotSignedIn", "sign in, or send an API key")
        if who.via == "session" and request.method in _UNSAFE and not csrf_matches(
                who.csrf, request.headers.get("x-csrf-token")):
            raise ApiError(403, "CsrfTokenMissing", "send the session's CSRF token in the X-CSRF-Token header")
        return who

    def admin(who: Annotated[Principal, Depends(signed_in)]) -> Principal:
        if not who.is_admin:
            raise ApiError(403, "AdminOnly", "this needs the admin role")
        return who

    def owner(username: str, who: Annotated[Principal, Depends(signed_in)]) -> Principal:
        """The account's own user (to act on it)."""
        if who.username != username:
            raise ApiError(403, "NotYourAccount", "you can act on your own account only")
        return who

    def reader(username: str, who: Annotated[Principal, Depends(signed_in)]) -> Principal:
        """The account's own user or an admin (to read it)."""
        if who.username != username and not who.is_admin:
            raise ApiError(403, "NotYourAccount", "you can read your own account only")
        return who

    async def run(command: str, actor: str, args: dict[str, Any]) -> dict[str, Any]:
        try:
            future = service.submit(command, actor, args)
            return await asyncio.wrap_future(future)
        except CommandRefused as refusal:
            raise ApiError(refusal.status, refusal.error, refusal.message) from None

    def read(fn: Any) -> Any:
        try:
            return service.read(fn)
        except CommandRefused as refusal:
            raise ApiError(refusal.status, refusal.error, refusal.message) from None
        except KeyError as error:
            raise ApiError(404, "NotFound", str(error.args[0]) if error.args else "not found") from None
        except ValueError as error:
            raise ApiError(400, "InvalidValue", str(error)) from None

    v1 = APIRouter(prefix="/api/v1", responses=_ERRORS)

    # --- auth -----------------------------------------------------------------------------------

    @v1.post("/auth/signup", status_code=201, tags=["auth"])
    async def signup(body: Credentials) -> dict[str, Any]:
        """Create a user and open their exchange account (Drift subaccount 0, a Curie account)."""
        problem = username_problem(body.username)
        if problem:
            raise ApiError(400, "InvalidUsername", f"username {body.username!r}: {problem}")
        problem = password_problem(body.password)
        if problem:
            raise ApiError(400, "InvalidPassword", f"password: {problem}")
        hashed = await asyncio.to_thread(hash_password, body.password)
        try:
            await asyncio.to_thread(db.add_user, body.username, hashed, "user")
        except Exception:
            if await asyncio.to_thread(db.user_by_name, body.username) is not None:
                raise ApiError(409, "UsernameTaken", f"username {body.username!r} is taken") from None
            raise
        await run("account.open", body.username, {})
        return {"username": body.username}

    @v1.post("/auth/login", tags=["auth"])
    async def login(body: Credentials, response: Response) -> dict[str, Any]:
        """Sign in: sets the session cookie; answers the CSRF token to send with changes."""
        user = await asyncio.to_thread(db.user_by_name, body.username)
        ok, rehash = (False, None) if user is None else await asyncio.to_thread(
            check_password, user["password_hash"], body.password)
        if user is None or not ok:
            raise ApiError(401, "BadCredentials", "unknown username or wrong password")
        if rehash:
            await asyncio.to_thread(db.set_password_hash, user["id"], rehash)
        cookie, csrf = signer.issue(user["id"])
        response.set_cookie(SESSION_COOKIE, cookie, max_age=SESSION_SECONDS, httponly=True, samesite="lax")
        return {"username": user["username"], "role": user["role"], "csrf_token": csrf}

    @v1.post("/auth/logout", tags=["auth"])
    def logout(response: Response) -> dict[str, Any]:
        response.delete_cookie(SESSION_COOKIE)
        return {}

    @v1.get("/me", tags=["auth"])
    def me(who: Annotated[Principal, Depends(signed_in)]) -> dict[str, Any]:
        user = db.user_by_id(who.user_id or 0) or {}
        return {"username": who.username, "role": who.role, "via": who.via, "csrf_token": who.csrf,
                "settings": AppSettings(**json.loads(user.get("settings") or "{}")).model_dump()}

    @v1.put("/me/settings", tags=["auth"])
    def put_settings(body: AppSettings, who: Annotated[Principal, Depends(signed_in)]) -> dict[str, Any]:
        db.set_settings(who.user_id or 0, body.model_dump())
        return body.model_dump()

    @v1.post("/me/api-keys", status_code=201, tags=["auth"])
    def create_key(body: KeyRequest, who: Annotated[Principal, Depends(signed_in)]) -> dict[str, Any]:
        """A new API key, shown this once."""
        key, hashed, prefix = new_api_key()
        key_id = db.add_api_key(who.user_id or 0, body.name, hashed, prefix)
        return {"id": key_id, "name": body.name, "key": key, "prefix": prefix}

    @v1.get("/me/api-keys", tags=["auth"])
    def list_keys(who: Annotated[Principal, Depends(signed_in)]) -> list[dict[str, Any]]:
        return db.api_keys(who.user_id or 0)

    @v1.delete("/me/api-keys/{key_id}", tags=["auth"])
    def revoke_key(key_id: Annotated[int, Path(ge=1, le=2**63 - 1)],  # a database integer
                   who: Annotated[Principal, Depends(signed_in)]) -> dict[str, Any]:
        if not db.revoke_api_key(who.user_id or 0, key_id):
            raise ApiError(404, "NoSuchKey", f"you have no API key {key_id}")
        return {"id": key_id, "revoked": True}

    # --- public reads ---------------------------------------------------------------------------

    @v1.get("/health", tags=["service"])
    def health() -> dict[str, Any]:
        def facts(world: Any) -> dict[str, Any]:
            ended = [m for m in world.markets if service.feed.ended(m, world.step + 1)
                     and m not in world.oracle_override]
            return {"status": "ok", "seq": service.seq, "step": world.step, "ts": world.ts,
                    "clock_mode": world.clock_mode, "clock_speed": world.clock_speed,
                    "agents_on": world.agents_on, "feeds_ended": ended,
                    "uptime_seconds": round(time.time() - service.started_at, 3)}
        return service.read(facts)

    @v1.get("/clock", tags=["service"])
    def clock() -> dict[str, Any]:
        return service.read(lambda w: {"step": w.step, "ts": w.ts, "mode": w.clock_mode, "speed": w.clock_speed,
                                       "step_seconds": service.scenario.step_seconds, "prices": dict(w.prices)})

    @v1.get("/markets", tags=["markets"])
    def markets() -> list[dict[str, Any]]:
        return read(views.markets_view)

    @v1.get("/markets/{market}", tags=["markets"])
    def market(market: str) -> dict[str, Any]:
        return read(lambda w: views.market_view(w, market))

    @v1.get("/markets/{market}/performance", tags=["markets"])
    def performance(market: str, window_days: Annotated[int, Query(ge=1, le=3650)] = 30) -> dict[str, Any]:
        """The BAL share index of the market over the window, and its return figure."""
        def build(world: Any) -> dict[str, Any]:
            view = views.market_view(world, market)
            series = views.bal_performance_series(world, market, window_days * 86_400)
            index = world.drift.markets[market]
            figure = world.drift.bal.lp_performance(index, window_days * 86_400) if series else None
            return {"market": view["name"], "window_days": window_days, "performance": figure, "series": series}
        return read(build)

    @v1.get("/pools/{market}", tags=["markets"])
    def pool(market: str) -> dict[str, Any]:
        """A Curie pool: its price, tick and the liquidity by price (one bar per interval between
        initialized ticks)."""
        return read(lambda w: views.pool_liquidity_view(w, market))

    @v1.get("/insurance", tags=["insurance"])
    def insurance() -> dict[str, Any]:
        return read(views.insurance_view)

    @v1.get("/events", tags=["markets"])
    def events(market: str, after: Annotated[int, Query(ge=0)] = 0,
               limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
        """A market's recent engine events (the service keeps the last few thousand)."""
        return read(lambda w: views.events_view(w, market=_known_market(w, market), after=after, limit=limit))

    @v1.get("/stream", tags=["markets"], response_class=StreamingResponse)
    async def market_stream(request: Request, market: str) -> StreamingResponse:
        """Server-sent events: `clock` after every batch, `event` for the market's engine events."""
        read(lambda w: _known_market(w, market))
        return _sse(request, hub, lambda entry: _matches(service, entry, market=market))

    # --- accounts -------------------------------------------------------------------------------

    @v1.get("/accounts/{username}", tags=["accounts"])
    def account(username: str, who: Annotated[Principal, Depends(reader)]) -> dict[str, Any]:
        return read(lambda w: views.account_view(w, username))

    @v1.get("/accounts/{username}/events", tags=["accounts"])
    def account_events(username: str, who: Annotated[Principal, Depends(reader)],
                       after: Annotated[int, Query(ge=0)] = 0,
                       limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
        return read(lambda w: views.events_view(w, username=username, after=after, limit=limit))

    @v1.get("/accounts/{username}/stream", tags=["accounts"], response_class=StreamingResponse)
    async def account_stream(request: Request, username: str,
                             who: Annotated[Principal, Depends(reader)]) -> StreamingResponse:
        """Server-sent events: `clock` after every batch, `event` for the user's engine events."""
        return _sse(request, hub, lambda entry: _matches(service, entry, username=username))

    @v1.get("/accounts/{username}/drift/bal/preview-add", tags=["bal"])
    def preview_add(username: str, who: Annotated[Principal, Depends(reader)], market: str,
                    sub_account_id: Annotated[int, Query(ge=0, le=65_535)] = 0,
                    amount: Annotated[int | None, Query(ge=1, le=2**64 - 1)] = None,
                    leverage_pct: Annotated[int | None, Query(ge=1, le=100)] = None,
                    shares: Annotated[int | None, Query(ge=1, le=2**64 - 1)] = None) -> dict[str, Any]:
        """What adding BAL shares by amount, leverage or shares would give (nothing changes)."""
        return read(lambda w: views.bal_add_preview(w, username, sub_account_id, market, amount=amount,
                                                    leverage_pct=leverage_pct, shares=shares))

    @v1.get("/accounts/{username}/drift/bal/preview-remove", tags=["bal"])
    def preview_remove(username: str, who: Annotated[Principal, Depends(reader)], market: str,
                       sub_account_id: Annotated[int, Query(ge=0, le=65_535)] = 0,
                       shares: Annotated[int | None, Query(ge=1, le=2**64 - 1)] = None) -> dict[str, Any]:
        """The residual a removal burns, its fee and the position that becomes permanent."""
        return read(lambda w: views.bal_remove_preview(w, username, sub_account_id, market, shares))

    for path, command, status in _ACCOUNT_COMMANDS:
        _account_route(v1, path, command, status, owner, run)

    # --- admin ----------------------------------------------------------------------------------

    for path, command in (("/admin/clock", "admin.clock"), ("/admin/oracle", "admin.oracle"),
                          ("/admin/agents", "admin.agents"), ("/admin/market", "admin.market"),
                          ("/admin/rewards", "admin.rewards")):
        _admin_route(v1, path, command, admin, run)

    @v1.post("/admin/clock/step", tags=["admin"])
    async def step(body: StepRequest, who: Annotated[Principal, Depends(admin)]) -> dict[str, Any]:
        """Move the clock `steps` steps (ticks: prices, agents when on, keepers)."""
        try:
            return await asyncio.wrap_future(service.step(body.steps, who.username or "admin"))
        except CommandRefused as refusal:
            raise ApiError(refusal.status, refusal.error, refusal.message) from None

    @v1.get("/admin/digest", tags=["admin"])
    def digest(who: Annotated[Principal, Depends(admin)]) -> dict[str, Any]:
        """The world's state digest and the journal position it reflects."""
        return service.read(lambda w: {"seq": service.seq, "digest": w.digest()})

    @v1.post("/admin/snapshot", tags=["admin"])
    async def snapshot(who: Annotated[Principal, Depends(admin)]) -> dict[str, Any]:
        seq = await asyncio.to_thread(service.snapshot_now)
        return {"seq": seq}

    app.include_router(v1)
    return app


# --- routes made from commands ------------------------------------------------------------------

# (path under /accounts/{username}, command, status)
_ACCOUNT_COMMANDS = (
    ("/drift/subaccounts", "drift.subaccount", 201),
    ("/drift/deposit", "drift.deposit", 200),
    ("/drift/withdraw", "drift.withdraw", 200),
    ("/drift/orders", "drift.order", 200),
    ("/drift/orders/cancel", "drift.cancel", 200),
    ("/drift/bal/add", "drift.bal.add", 200),
    ("/drift/bal/remove", "drift.bal.remove", 200),
    ("/drift/settle", "drift.settle", 200),
    ("/drift/settings", "drift.settings", 200),
    ("/insurance/stake", "insurance.stake", 200),
    ("/insurance/unstake-request", "insurance.unstake_request", 200),
    ("/insurance/unstake-cancel", "insurance.unstake_cancel", 200),
    ("/insurance/unstake", "insurance.unstake", 200),
    ("/curie/deposit", "curie.deposit", 200),
    ("/curie/withdraw", "curie.withdraw", 200),
    ("/curie/ranges", "curie.range.add", 200),
    ("/curie/ranges/remove", "curie.range.remove", 200),
    ("/curie/orders", "curie.order", 200),
    ("/curie/rewards/claim", "curie.rewards.claim", 200),
)


@cache
def _strict(model: type[BaseModel]) -> type[BaseModel]:
    """A command's arguments model as a request body: the same fields, validators and schema,
    validated strictly as the schema reads (pydantic's lax mode would take 0 or "yes" for a
    boolean, false or "5" for an integer). The journal gets the command model's own dump."""
    return type(model.__name__, (model,), {"model_config": ConfigDict(strict=True), "__doc__": model.__doc__,
                                           "__module__": model.__module__})


def _account_route(router: APIRouter, path: str, command: str, status: int, owner: Any, run: Any) -> None:
    model = _strict(COMMANDS[command].args)
    doc = f"`{command}`: " + (COMMANDS[command].apply.__doc__ or model.__doc__ or "").strip().split("\n\n")[0]
    tag = path.split("/")[1]
    if not model.model_fields:
        async def endpoint_plain(username: str, who: Annotated[Principal, Depends(owner)]) -> dict[str, Any]:
            return await run(command, username, {})
        endpoint = endpoint_plain
    else:
        async def endpoint_body(username: str, body: model,  # type: ignore[valid-type]
                                who: Annotated[Principal, Depends(owner)]) -> dict[str, Any]:
            return await run(command, username, body.model_dump(mode="json"))
        endpoint = endpoint_body
    endpoint.__name__ = command.replace(".", "_")
    router.add_api_route(f"/accounts/{{username}}{path}", endpoint, methods=["POST"], status_code=status,
                         tags=[tag], description=doc, name=command)


def _admin_route(router: APIRouter, path: str, command: str, admin: Any, run: Any) -> None:
    model = _strict(COMMANDS[command].args)

    async def endpoint(body: model, who: Annotated[Principal, Depends(admin)]) -> dict[str, Any]:  # type: ignore[valid-type]
        return await run(command, who.username or "admin", body.model_dump(mode="json"))

    endpoint.__name__ = command.replace(".", "_")
    router.add_api_route(path, endpoint, methods=["POST"], tags=["admin"], name=command,
                         description=f"`{command}`")


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    methods: set[str] = set()
    for route in app.router.routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] != Match.NONE:
            methods |= route.methods
    return sorted(methods)


def _known_market(world: Any, market: str) -> str:
    if market not in world.markets:
        raise KeyError(f"no market {market!r}; the markets are {world.markets}")
    return market


def _matches(service: Service, entry: dict[str, Any], market: str | None = None,
             username: str | None = None) -> bool:
    world = service.world
    return world is not None and views.event_matches(entry, world, market=market, username=username)


def _sse(request: Request, hub: Hub, accepts: Any) -> StreamingResponse:
    subscription = hub.subscribe(accepts)

    async def body() -> AsyncIterator[str]:
        try:
            yield ": connected\n\n"
            while True:
                try:
                    kind, data = await asyncio.wait_for(subscription.queue.get(), timeout=15)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield ": keep-alive\n\n"
                    continue
                yield f"event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"
                if kind == "lagging":
                    return
        finally:
            hub.unsubscribe(subscription)

    return StreamingResponse(body(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})
