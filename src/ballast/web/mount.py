"""`mount_web(app, service, db)`: the pages and their static files on the service's app
(ballast.web.app has what the pages share; ballast.web.pages the pages)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ballast.service.auth import SessionSigner
from ballast.service.core import Service
from ballast.service.journal import Database
from ballast.web.app import HERE, BadCsrf, NotSignedIn, Web, refusal_message
from ballast.web.format import FILTERS
from ballast.web.pages import PAGES

__all__ = ["mount_web"]


def mount_web(app: FastAPI, service: Service, db: Database) -> None:
    """Add the pages and their static files to the service's app."""
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
        # after signing in, back to the page: this one when it was a GET, else the page it came from
        back = request.url.path if request.method == "GET" else urlsplit(request.headers.get("referer", "")).path
        target = f"/login?next={quote(back or '/bal')}"
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(BadCsrf)
    async def _bad_csrf(request: Request, _error: BadCsrf) -> Response:
        return HTMLResponse("<p class='error' role='alert'>This form has expired; reload the page.</p>",
                            status_code=403)

    router = APIRouter(include_in_schema=False)
    for page in PAGES:
        page.register(router, web)
    app.include_router(router)
