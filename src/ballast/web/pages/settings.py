"""Settings (`/settings`, signed in): per subaccount its max leverage (with the initial margin it
implies, 1 / leverage) and the de-risking opt-out, both `drift.settings` (engine state); the app
settings the seeds list — trade mode, trade layout, notifications, theme — stored in the user's
row (`Database.set_settings`). Everything persists across a service restart.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ballast.drift.constants import MARGIN_PRECISION
from ballast.service.auth import Principal
from ballast.service.commands import CommandRefused
from ballast.web.app import Web, refusal_message
from ballast.web.forms import FieldError, parse_choice, parse_units
from ballast.web.pages.bal import (
    account_of,
    is_htmx,
    margin_pct,
    read,
    sub_choice,
    subaccount,
    times,
)

MAX_LEVERAGE = 20  # the most a subaccount cap may be (x); the markets allow less
APP_CHOICES: dict[str, tuple[str, ...]] = {
    "trade_mode": ("lite", "pro"),
    "trade_layout": ("left", "right"),
    "notifications": ("on", "off"),
    "theme": ("light", "dark"),
}


def implied(max_leverage_hundredths: int) -> dict[str, Any]:
    """What a cap of `max_leverage` (in hundredths of x: 500 = 5x) sets, as drift.settings does:
    the custom margin ratio ceil(1e4 / leverage) (1e4 = 100%)."""
    ratio = -(-MARGIN_PRECISION * 100 // max_leverage_hundredths)
    return {"ratio": ratio, "text": f"{times(max_leverage_hundredths / 100)} = {margin_pct(ratio)} initial margin"}


def _cap_text(sub: dict[str, Any]) -> str:
    ratio = sub["custom_margin_ratio"]
    if not ratio:
        return "no cap of its own (each market's limit applies)"
    return f"{times(sub['max_leverage'])} = {margin_pct(ratio)} initial margin"


def _subs(world: Any, who: Principal) -> list[dict[str, Any]]:
    subs = []
    for sub in (account_of(world, who) or {}).get("drift", []):
        subs.append({**sub, "cap_text": _cap_text(sub)})
    return subs


def _parse_leverage(form: dict[str, str], field: str) -> int:
    """The leverage cap in hundredths of x (1x..MAX_LEVERAGE x, at most 2 decimals)."""
    try:
        value = parse_units(form, field, 2, label="leverage", minimum=100, maximum=MAX_LEVERAGE * 100)
    except FieldError as error:
        if error.message.startswith("must be"):
            raise FieldError(field, f"must be between 1x and {MAX_LEVERAGE}x") from None
        if error.message.startswith("enter"):
            raise FieldError(field, "enter a leverage, e.g. 5 for 5x") from None
        raise
    assert value is not None
    return value


def register(router: APIRouter, web: Web) -> None:
    def page(request: Request, who: Principal, status_code: int = 200, **extra: Any) -> HTMLResponse:
        subs = read(web, lambda world: _subs(world, who))
        app_values = web.settings(who)
        app_values = {**app_values, "notifications": "on" if app_values.get("notifications") else "off"}
        boxes = {s["sub_account_id"]: {"values": {}, "errors": {}} for s in subs}
        boxes.update(extra.pop("boxes", {}))
        app_box = {"values": app_values, "errors": {}, "saved": request.query_params.get("saved") == "app"}
        app_box.update(extra.pop("app_box", {}))
        shown = app_box["values"]
        if isinstance(shown.get("notifications"), bool):
            app_box["values"] = {**shown, "notifications": "on" if shown["notifications"] else "off"}
        return web.render(request, "settings.html", who, status_code=status_code, subs=subs, boxes=boxes,
                          app_box=app_box, choices=APP_CHOICES, max_leverage=MAX_LEVERAGE, **extra)

    @router.get("/settings")
    def settings_page(request: Request) -> Response:
        return page(request, web.require_user(request))

    @router.get("/settings/leverage-preview")
    def leverage_preview(request: Request, sub: int = 0) -> Response:
        """What the typed cap implies (the hint under the field)."""
        who = web.require_user(request)
        form = dict(request.query_params)
        try:
            text = implied(_parse_leverage(form, f"max_leverage_{sub}"))["text"]
        except FieldError as error:
            text = error.message
        return web.render(request, "settings_implied.html", who, text=text)

    @router.post("/settings/subaccount")
    async def subaccount_settings(request: Request) -> Response:
        """Max leverage (set or remove) or the de-risking opt-out of one subaccount."""
        who = web.require_user(request)
        form = await web.form(request, who)
        subs = await asyncio.to_thread(read, web, lambda world: _subs(world, who))
        action = form.get("action", "")
        errors: dict[str, str] = {}
        args: dict[str, Any] = {}
        sub_id = -1
        try:
            sub_id = sub_choice(form, [s["sub_account_id"] for s in subs])
            field = f"max_leverage_{sub_id}"
            if action == "leverage":
                hundredths = _parse_leverage(form, field)
                args = {"sub_account_id": sub_id, "max_leverage": float(Decimal(hundredths) / 100)}
            elif action == "remove-cap":
                args = {"sub_account_id": sub_id, "max_leverage": 0}
            elif action == "derisk":
                args = {"sub_account_id": sub_id, "derisk_opt_out": form.get("derisk_opt_out") == "on"}
            else:
                raise FieldError("action", "unknown change")
        except FieldError as error:
            errors[error.field] = error.message
        values = {k: v for k, v in form.items() if k != "csrf_token"}
        notice = refusal = None
        if not errors:
            try:
                await web.act("drift.settings", who.username or "", args)
            except CommandRefused as error:
                refusal = refusal_message(error)
            else:
                subs = await asyncio.to_thread(read, web, lambda world: _subs(world, who))
                now = subaccount({"drift": subs}, sub_id)
                assert now is not None
                notice = (f"Subaccount {sub_id}: max leverage {now['cap_text']}." if action != "derisk" else
                          f"Subaccount {sub_id}: automatic de-risking is "
                          f"{'off (you opted out)' if now['derisk_opt_out'] else 'on'}.")
                values = {}
        box = {"values": values, "errors": errors, "notice": notice, "refusal": refusal}
        if sub_id < 0 or not is_htmx(request):
            boxes = {sub_id: box} if sub_id >= 0 else {}
            return page(request, who, status_code=400 if errors or refusal else 200, boxes=boxes,
                        top_error=errors.get("sub_account_id") or errors.get("action"))
        sub = subaccount({"drift": subs}, sub_id)
        return web.render(request, "settings_sub.html", who, sub=sub, box=box, max_leverage=MAX_LEVERAGE)

    @router.post("/settings/app")
    async def app_settings(request: Request) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)
        errors: dict[str, str] = {}
        chosen: dict[str, str] = {}
        for name, choices in APP_CHOICES.items():
            try:
                chosen[name] = parse_choice(form, name, choices)
            except FieldError as error:
                errors[error.field] = error.message
        if errors:
            values = {**web.settings(who), **{k: v for k, v in form.items() if k in APP_CHOICES}}
            return page(request, who, status_code=400, app_box={"values": values, "errors": errors})
        stored = {**{k: v for k, v in chosen.items() if k != "notifications"},
                  "notifications": chosen["notifications"] == "on"}
        await asyncio.to_thread(web.db.set_settings, who.user_id or 0, stored)
        return RedirectResponse("/settings?saved=app#app-settings", status_code=303)
