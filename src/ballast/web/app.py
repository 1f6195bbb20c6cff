"""The web app's shared part: server-rendered pages (Jinja2) with htmx for partial updates and ECharts charts,
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
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from ballast.service.auth import SESSION_COOKIE, Principal, SessionSigner, csrf_matches
from ballast.service.commands import CommandRefused
from ballast.service.core import Service
from ballast.service.journal import Database
from ballast.web.forms import FieldError

__all__ = ["BadCsrf", "FormState", "HERE", "NotSignedIn", "Web", "refusal_message", "run_form"]

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
        """Run an instruction for `username`; CommandRefused (with the engine's message) when
        refused, or when its arguments do not validate (error "InvalidValue", naming the field)."""
        try:
            future = self.service.submit(command, username, args)
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or command
            raise CommandRefused("InvalidValue", f"{field}: {first['msg']}") from None
        return await asyncio.wrap_future(future)

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
    parts = re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+", refusal.error) or [refusal.error]
    words = " ".join(p if p.isupper() and len(p) > 1 else p.lower() for p in parts)
    return f"{words[:1].upper()}{words[1:]}: {refusal.message}"


@dataclass
class FormState:
    """The outcome of one posted form, for the page that answers it: `form` names it, `errors`
    are field -> message, `values` the text sent (kept when refused), `notice` a success
    sentence, `refusal` the exchange's refusal as a sentence."""

    form: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    notice: str | None = None
    refusal: str | None = None


async def run_form(name: str, form: dict[str, str], action: Callable[[], Awaitable[str]]) -> FormState:
    """Run a form's `action` (parse the fields, then one instruction; it returns the success
    sentence): a FieldError becomes the field's message, a CommandRefused the refusal (with
    `refusal_message`); either way nothing was changed and the values sent are kept."""
    values = {k: v for k, v in form.items() if k != "csrf_token"}
    try:
        notice = await action()
    except FieldError as error:
        return FormState(name, {error.field: error.message}, values)
    except CommandRefused as refusal:  # Web.act turns arguments that do not validate into one too
        return FormState(name, {}, values, refusal=refusal_message(refusal))
    return FormState(name, notice=notice)
