"""The web app: server-rendered pages (Jinja2) with htmx for partial updates and ECharts charts,
mounted on the service's FastAPI app beside /api/v1.

Pages read the world through the same views as the API (ballast.service.views) and act through
the same instructions (ballast.service.commands via Service.submit), so every number on a page
is the engine's and every change is journaled. Sessions are the API's signed cookie; every form
that changes something carries the session's CSRF token (`csrf_token` field), checked here.

`Web` is what every page module gets: the service, the database, the templates and helpers to
know the user (`user`), require one (`require_user`), check a form (`form`) and run an
instruction (`act`). Page modules (ballast.web.pages.*) each add their routes with
`register(router, web)`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ballast.service.auth import SESSION_COOKIE, Principal, SessionSigner, csrf_matches
from ballast.service.commands import CommandRefused
from ballast.service.core import Service
from ballast.service.journal import Database
from ballast.web.format import FILTERS

__all__ = ["Web", "mount_web", "NotSignedIn"]

HERE = Path(__file__).parent


class NotSignedIn(Exception):
    """A page that needs a user was asked for without one (answered with a redirect to /login)."""


class BadCsrf(Exception):
    """A form without the session's CSRF token."""


@dataclass
class Web:
    service: Service
    db: Database
    templates: Jinja2Templates
    signer: SessionSigner

    def user(self, request: Request) -> Principal:
        """The signed-in user of the request (by session cookie), or an anonymous Principal."""
        cookie = request.cookies.get(SESSION_COOKIE)
        session = self.signer.read(cookie) if cookie else None
        if session is None:
            return Principal()
        row = self.db.user_by_id(session[0])
        if row is None:
            return Principal()
        return Principal(row["id"], row["username"], row["role"], "session", session[1])

    def require_user(self, request: Request) -> Principal:
        who = self.user(request)
        if who.user_id is None:
            raise NotSignedIn()
        return who

    async def form(self, request: Request, who: Principal) -> dict[str, str]:
        """The posted form as strings, after checking its CSRF token against the session's."""
        data = await request.form()
        fields = {k: v for k, v in data.items() if isinstance(v, str)}
        if not csrf_matches(who.csrf, fields.get("csrf_token")):
            raise BadCsrf()
        return fields

    async def act(self, command: str, username: str, args: dict[str, Any]) -> dict[str, Any]:
        """Run an instruction for `username`; CommandRefused (with the engine's message) when refused."""
        return await asyncio.wrap_future(self.service.submit(command, username, args))

    def settings(self, who: Principal) -> dict[str, Any]:
        """The user's app settings (theme, trade mode, layout, notifications), defaults filled."""
        defaults = {"theme": "dark", "trade_mode": "pro", "trade_layout": "right", "notifications": True}
        if who.user_id is None:
            return defaults
        row = self.db.user_by_id(who.user_id) or {}
        return defaults | json.loads(row.get("settings") or "{}")

    def render(self, request: Request, template: str, who: Principal, status_code: int = 200,
               **context: Any) -> HTMLResponse:
        """A page or a partial, with the user, their settings and the CSRF token in the context."""
        context.update(request=request, who=who, settings=self.settings(who), csrf_token=who.csrf or "")
        return self.templates.TemplateResponse(request, template, context, status_code=status_code)


def refusal_message(refusal: CommandRefused) -> str:
    """An engine refusal as a sentence for a page: the error's name in words, then its message."""
    words = "".join(" " + c.lower() if c.isupper() else c for c in refusal.error).strip()
    return f"{words[:1].upper()}{words[1:]}: {refusal.message}"


def mount_web(app: FastAPI, service: Service, db: Database) -> None:
    """Add the pages and their static files to the service's app."""
    from ballast.web.pages import PAGES

    secret = db.get_meta("session_secret")
    assert secret is not None, "start the service before mounting the pages"
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters.update(FILTERS)
    templates.env.globals["refusal_message"] = refusal_message
    web = Web(service, db, templates, SessionSigner(secret))
    app.state.web = web
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    @app.exception_handler(NotSignedIn)
    async def _to_login(request: Request, _error: NotSignedIn) -> Response:
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @app.exception_handler(BadCsrf)
    async def _bad_csrf(request: Request, _error: BadCsrf) -> Response:
        return HTMLResponse("<p class='error' role='alert'>This form has expired; reload the page.</p>",
                            status_code=403)

    router = APIRouter(include_in_schema=False)
    for page in PAGES:
        page.register(router, web)
    app.include_router(router)
