"""Sign up, log in, log out, the theme switch, and `/` (the BAL page)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from ballast.service.auth import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    check_password,
    hash_password,
    password_problem,
    username_problem,
)
from ballast.service.commands import CommandRefused
from ballast.web.app import Web


def _next(path: str | None) -> str:
    """Only a local path is followed after signing in."""
    return path if path and path.startswith("/") and not path.startswith("//") else "/bal"


def register(router: APIRouter, web: Web) -> None:
    @router.get("/")
    def home() -> Response:
        return RedirectResponse("/bal", status_code=303)

    @router.get("/login")
    def login_page(request: Request, next: str | None = None) -> Response:
        return web.render(request, "login.html", web.user(request), next=_next(next), errors={}, values={})

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        username, password = form.get("username", "").strip(), form.get("password", "")
        row = await asyncio.to_thread(web.db.user_by_name, username) if username else None
        ok, rehash = (False, None) if row is None else await asyncio.to_thread(check_password, row["password_hash"], password)
        if not ok or row is None:
            return web.render(request, "login.html", web.user(request), status_code=200, next=_next(form.get("next")),
                              errors={"password": "unknown username or wrong password"}, values={"username": username})
        if rehash:
            await asyncio.to_thread(web.db.set_password_hash, row["id"], rehash)
        cookie, _csrf = web.signer.issue(row["id"])
        response = RedirectResponse(_next(form.get("next")), status_code=303)
        response.set_cookie(SESSION_COOKIE, cookie, max_age=SESSION_SECONDS, httponly=True, samesite="lax")
        return response

    @router.get("/signup")
    def signup_page(request: Request) -> Response:
        return web.render(request, "signup.html", web.user(request), errors={}, values={})

    @router.post("/signup")
    async def signup(request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        username, password = form.get("username", "").strip(), form.get("password", "")
        errors = {}
        problem = username_problem(username)
        if problem:
            errors["username"] = problem
        problem = password_problem(password)
        if problem:
            errors["password"] = problem
        if not errors and await asyncio.to_thread(web.db.user_by_name, username) is not None:
            errors["username"] = f"{username!r} is taken"
        if errors:
            return web.render(request, "signup.html", web.user(request), errors=errors, values={"username": username})
        user_id = await asyncio.to_thread(web.db.add_user, username, await asyncio.to_thread(hash_password, password), "user")
        try:
            await web.act("account.open", username, {})
        except CommandRefused as refusal:
            return web.render(request, "signup.html", web.user(request), values={"username": username},
                              errors={"username": f"the exchange refused to open the account: {refusal.message}"})
        cookie, _csrf = web.signer.issue(user_id)
        response = RedirectResponse("/bal", status_code=303)
        response.set_cookie(SESSION_COOKIE, cookie, max_age=SESSION_SECONDS, httponly=True, samesite="lax")
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        response = RedirectResponse("/bal", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    @router.post("/theme")
    async def theme(request: Request) -> Response:
        """Switch light/dark; remembered in the user's settings (and the browser's storage)."""
        who = web.user(request)
        if who.user_id is not None:
            form = await web.form(request, who)
            settings = web.settings(who)
            settings["theme"] = "light" if form.get("theme") == "light" else "dark"
            await asyncio.to_thread(web.db.set_settings, who.user_id, settings)
        return Response(status_code=204)
