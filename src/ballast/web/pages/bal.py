"""The BAL page (`/bal`): total liquidity, featured and low-liquidity markets, the BAL markets
(table or cards, refreshed live), the FAQ; a market's performance (`/bal/{market}`); the Add
and Remove dialogs (htmx panels in a `<dialog>`, or whole pages without JavaScript) with their
live previews (`views.bal_add_preview` / `views.bal_remove_preview`).

Every number is the engine's integer formatted by ballast.web.format; every change is one
journaled instruction (`drift.bal.add`, `drift.bal.remove`, `drift.subaccount`). Bad input is
refused next to its field before anything is sent; an engine refusal is shown next to the form.

The helpers at the top (`read`, `account_of`, `panel`, `sub_choice`, ...) are shared with the
Positions and Settings pages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ballast.drift.bal import SEVEN_DAYS, THIRTY_DAYS
from ballast.service import views
from ballast.service.auth import Principal
from ballast.service.commands import CommandRefused
from ballast.web.app import Web, refusal_message
from ballast.web.format import symbol, usd
from ballast.web.forms import FieldError, parse_choice, parse_int, parse_units

VIEWS = ("table", "cards")
REFRESH_SECONDS = 30  # the fallback poll; the stream's clock drives the refresh


# --- shared helpers (Positions and Settings use them too) ---------------------------------------


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def read(web: Web, fn: Callable[[Any], Any]) -> Any:
    """A read of the world (the same views the API answers with)."""
    return web.service.read(fn)


def account_of(world: Any, who: Principal) -> dict[str, Any] | None:
    """The signed-in user's account view, or None (anonymous, or no exchange account: an admin)."""
    if who.username is None:
        return None
    try:
        return views.account_view(world, who.username)
    except KeyError:
        return None


def subaccount(account: dict[str, Any] | None, sub: int) -> dict[str, Any] | None:
    for entry in (account or {}).get("drift", []):
        if entry["sub_account_id"] == sub:
            return entry
    return None


def position_in(sub: dict[str, Any] | None, market: str) -> dict[str, Any] | None:
    for position in (sub or {}).get("positions", []):
        if position["market"] == market:
            return position
    return None


def sub_choice(form: dict[str, str], allowed: list[int], field: str = "sub_account_id") -> int:
    """The subaccount a form names, one of `allowed`."""
    text = (form.get(field) or "").strip()
    if not text.isdigit() or int(text) not in allowed:
        raise FieldError(field, "choose one of your subaccounts" if allowed else "no subaccount can do this")
    return int(text)


def plain_units(value: int, decimals: int) -> str:
    """An integer of 10**-decimals units as plain decimal text for an input ("8274.1")."""
    return f"{Decimal(value).scaleb(-decimals).normalize():f}"


def times(value: float | None) -> str:
    """A leverage (times) as "5x" / "2.5x" / "3x" (2 decimals, trailing zeros dropped)."""
    if value is None:
        return "–"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text}x"


def margin_pct(ratio: int) -> str:
    """A margin ratio (1e4 = 100%) as "20%" / "33.34%"."""
    text = f"{Decimal(ratio).scaleb(-2):.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def panel(web: Web, request: Request, who: Principal, template: str, title: str,
          status_code: int = 200, headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:
    """A dialog panel: the partial for htmx, else a whole page around it (works without JS)."""
    if is_htmx(request):
        response = web.render(request, template, who, **context)
    else:
        response = web.render(request, "bal_panel_page.html", who, status_code=status_code, inner=template,
                              page_title=title, standalone=True, **context)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def not_found(web: Web, request: Request, who: Principal, message: str) -> HTMLResponse:
    return web.render(request, "bal_missing.html", who, status_code=404, message=message)


# --- the BAL markets ----------------------------------------------------------------------------


def _markets_context(world: Any, who: Principal) -> dict[str, Any]:
    markets = views.markets_view(world)
    account = account_of(world, who)
    rows = []
    for market in markets:
        name = market["name"]
        holdings = []
        for sub in (account or {}).get("drift", []):
            position = position_in(sub, name)
            if position is not None and position["lp_shares"]:
                holdings.append({"sub_account_id": sub["sub_account_id"], "lp_shares": position["lp_shares"]})
        rows.append({**market, "symbol": symbol(name), "holdings": holdings,
                     "your_shares": sum(h["lp_shares"] for h in holdings)})
    featured = sorted((r for r in rows if r["bal"]["total_shares"] > 0),
                      key=lambda r: -r["bal"]["total_liquidity_quote"])
    return {
        "markets": rows,
        "featured": featured,
        "low": [r for r in rows if r["low_liquidity"]],
        "total_liquidity": sum(m["bal"]["total_liquidity_quote"] for m in markets),
        "signed_in": account is not None,
        "ts": world.ts,
    }


def _chart(series: list[dict[str, Any]], market: str) -> dict[str, Any]:
    """The share index over the window as % of one share's value at the window start (the
    return figure's own definition), split into fees & inventory and funding."""
    if not series:
        return {"x": [], "series": []}
    first = series[0]
    value = first["share_value_quote"]

    def pct(key: str) -> list[float]:
        return [round(100.0 * (s[key] - first[key]) / value, 6) if value > 0 else 0.0 for s in series]

    return {
        "x": [s["ts"] for s in series],
        "kind": "line",
        "yLabel": "% of one share's value",
        "series": [
            {"label": f"{market} BAL return", "values": pct("index_quote"), "unit": "%"},
            {"label": "fees and inventory", "values": pct("fees_and_inventory_quote"), "unit": "%"},
            {"label": "funding", "values": pct("funding_quote"), "unit": "%"},
        ],
    }


# --- the Add dialog -----------------------------------------------------------------------------


def _parse_add(form: dict[str, str], subs: list[int]) -> tuple[int, str, int]:
    """(subaccount, "amount" | "leverage", the size: quote 1e6 or percent); FieldError."""
    sub = sub_choice(form, subs)
    mode = parse_choice(form, "mode", ("amount", "leverage"))
    if mode == "amount":
        amount = parse_units(form, "amount", 6, label="USDC")
        assert amount is not None
        return sub, mode, amount
    return sub, mode, parse_int(form, "leverage_pct", minimum=1, maximum=100, label="leverage (%)")


def _add_preview(world: Any, who: Principal, market: str, sub: int, mode: str, size: int) -> dict[str, Any]:
    field = "amount" if mode == "amount" else "leverage_pct"
    try:
        preview = views.bal_add_preview(world, who.username, sub, market, **{field: size})
    except ValueError as error:  # the engine cannot size it (e.g. the market takes no new shares)
        raise FieldError(field, str(error)) from None
    if mode == "amount" and size > preview["free_collateral"]:
        free = preview["free_collateral"]
        raise FieldError("amount", "deposit USDC into this subaccount first: it has no free collateral" if free <= 0
                         else f"more than the subaccount's free collateral ({usd(free)})")
    return preview


def _add_context(world: Any, who: Principal, market: str, form: dict[str, str]) -> dict[str, Any]:
    view = views.market_view(world, market)
    account = account_of(world, who)
    subs = (account or {}).get("drift", [])
    values = {"mode": "amount", **{k: v for k, v in form.items() if k != "csrf_token"}}
    if "sub_account_id" not in values and subs:
        values["sub_account_id"] = str(subs[0]["sub_account_id"])
    return {"market": view, "symbol": symbol(market), "subs": subs, "values": values}


def _remove_context(world: Any, who: Principal, market: str, form: dict[str, str]) -> dict[str, Any]:
    view = views.market_view(world, market)
    account = account_of(world, who)
    holders = []
    for sub in (account or {}).get("drift", []):
        position = position_in(sub, market)
        if position is not None and position["lp_shares"]:
            holders.append({**sub, "lp_shares": position["lp_shares"]})
    values = {k: v for k, v in form.items() if k != "csrf_token"}
    if "sub_account_id" not in values and holders:
        values["sub_account_id"] = str(holders[0]["sub_account_id"])
    chosen = next((h for h in holders if str(h["sub_account_id"]) == values.get("sub_account_id")), None)
    return {"market": view, "symbol": symbol(market), "holders": holders, "values": values, "chosen": chosen,
            "max_shares": plain_units(chosen["lp_shares"], 9) if chosen else ""}


def _parse_remove(form: dict[str, str], holders: list[dict[str, Any]]) -> tuple[int, int]:
    sub = sub_choice(form, [h["sub_account_id"] for h in holders])
    held = next(h["lp_shares"] for h in holders if h["sub_account_id"] == sub)
    shares = parse_units(form, "shares", 9, label="shares", maximum=held)
    assert shares is not None
    return sub, shares


def _remove_preview(world: Any, who: Principal, market: str, sub: int, shares: int) -> dict[str, Any]:
    try:
        return views.bal_remove_preview(world, who.username, sub, market, shares)
    except ValueError as error:  # below one share step, nothing held
        raise FieldError("shares", str(error)) from None


# --- routes -------------------------------------------------------------------------------------


def register(router: APIRouter, web: Web) -> None:
    def known(market: str) -> bool:
        return read(web, lambda world: market in world.markets)

    @router.get("/bal")
    def bal_page(request: Request, view: str = "table") -> Response:
        who = web.user(request)
        view = view if view in VIEWS else "table"
        context = read(web, lambda world: _markets_context(world, who))
        return web.render(request, "bal.html", who, view=view, refresh=REFRESH_SECONDS, oob=False,
                          seven_days=SEVEN_DAYS, thirty_days=THIRTY_DAYS,
                          stream_market=web.service.scenario.markets[0].name, **context)

    @router.get("/bal/_markets")
    def bal_markets(request: Request, view: str = "table") -> Response:
        """The BAL markets (table or cards) for the live refresh, with the total liquidity."""
        who = web.user(request)
        view = view if view in VIEWS else "table"
        context = read(web, lambda world: _markets_context(world, who))
        return web.render(request, "bal_markets.html", who, view=view, refresh=REFRESH_SECONDS, oob=True,
                          **context)

    @router.get("/bal/{market}")
    def performance_page(request: Request, market: str, days: int = 30) -> Response:
        who = web.user(request)
        if not known(market):
            return not_found(web, request, who, f"There is no market {market!r}.")
        days = 7 if days == 7 else 30

        def build(world: Any) -> dict[str, Any]:
            view = views.market_view(world, market)
            series = views.bal_performance_series(world, market, days * 86_400)
            return {"market": view, "series": series, "account": account_of(world, who)}

        context = read(web, build)
        account = context.pop("account")
        your_shares = sum(p["lp_shares"] for sub in (account or {}).get("drift", [])
                          for p in sub["positions"] if p["market"] == market)
        return web.render(request, "bal_market.html", who, days=days, chart_data=_chart(context["series"], market),
                          symbol=symbol(market), your_shares=your_shares, signed_in=account is not None, **context)

    # --- add ------------------------------------------------------------------------------------

    @router.get("/bal/{market}/add")
    def add_panel(request: Request, market: str, sub: int | None = None) -> Response:
        who = web.require_user(request)
        if not known(market):
            return not_found(web, request, who, f"There is no market {market!r}.")
        form = {} if sub is None else {"sub_account_id": str(sub)}
        context = read(web, lambda world: _add_context(world, who, market, form))
        return panel(web, request, who, "bal_add.html", f"Add liquidity to {market}", errors={}, **context)

    @router.get("/bal/{market}/add/preview")
    def add_preview(request: Request, market: str) -> Response:
        who = web.require_user(request)
        form = dict(request.query_params)

        def build(world: Any) -> dict[str, Any]:
            context = _add_context(world, who, market, form)
            try:
                sub, mode, size = _parse_add(form, [s["sub_account_id"] for s in context["subs"]])
                context.update(preview=_add_preview(world, who, market, sub, mode, size), mode=mode, problem=None)
            except FieldError as error:
                context.update(preview=None, problem=error.message, problem_field=error.field)
            except (KeyError, ValueError) as error:
                context.update(preview=None, problem=str(error.args[0] if error.args else error))
            return context

        if not known(market):
            return not_found(web, request, who, f"There is no market {market!r}.")
        return web.render(request, "bal_add_preview.html", who, **read(web, build))

    @router.post("/bal/{market}/add")
    async def add(request: Request, market: str) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)
        if not known(market):
            return not_found(web, request, who, f"There is no market {market!r}.")
        title = f"Add liquidity to {market}"

        def check(world: Any) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, str]]:
            context = _add_context(world, who, market, form)
            try:
                sub, mode, size = _parse_add(form, [s["sub_account_id"] for s in context["subs"]])
                _add_preview(world, who, market, sub, mode, size)
            except FieldError as error:
                return context, None, {error.field: error.message}
            args = {"sub_account_id": sub, "market": market}
            args["amount" if mode == "amount" else "leverage_pct"] = size
            return context, args, {}

        context, args, errors = await asyncio.to_thread(read, web, check)
        if args is None:
            return panel(web, request, who, "bal_add.html", title, status_code=400, errors=errors, **context)
        try:
            result = await web.act("drift.bal.add", who.username or "", args)
        except CommandRefused as refusal:
            return panel(web, request, who, "bal_add.html", title, status_code=400, errors={},
                         refusal=refusal_message(refusal), **context)
        sub = args["sub_account_id"]

        def after(world: Any) -> dict[str, Any]:
            account = account_of(world, who)
            return {"sub": subaccount(account, sub), "position": position_in(subaccount(account, sub), market),
                    "market": views.market_view(world, market)}

        done = await asyncio.to_thread(read, web, after)
        return panel(web, request, who, "bal_added.html", title, minted=result["shares"], sub_id=sub,
                     symbol=symbol(market), headers={"HX-Trigger": "bal-changed, account-changed"}, **done)

    @router.post("/bal/{market}/subaccount")
    async def new_subaccount(request: Request, market: str) -> Response:
        """A separate subaccount for BAL (`drift.subaccount`), then the Add form with it chosen."""
        who = web.require_user(request)
        form = await web.form(request, who)
        if not known(market):
            return not_found(web, request, who, f"There is no market {market!r}.")
        title = f"Add liquidity to {market}"
        refusal = created = None
        try:
            result = await web.act("drift.subaccount", who.username or "", {"name": f"BAL {market}"[:32]})
            created = result["sub_account_id"]
            form["sub_account_id"] = str(created)
        except CommandRefused as error:
            refusal = refusal_message(error)
        context = await asyncio.to_thread(read, web, lambda world: _add_context(world, who, market, form))
        return panel(web, request, who, "bal_add.html", title, errors={}, refusal=refusal, created=created,
                     headers={"HX-Trigger": "account-changed"}, **context)

    # --- remove ---------------------------------------------------------------------------------

    @router.get("/bal/{market}/remove")
    def remove_panel(request: Request, market: str, sub: int | None = None) -> Response:
        who = web.require_user(request)
        if not known(market):
            return not_found(web, request, who, f"There is no market {market!r}.")
        form = {} if sub is None else {"sub_account_id": str(sub)}
        context = read(web, lambda world: _remove_context(world, who, market, form))
        return panel(web, request, who, "bal_remove.html", f"Remove liquidity from {market}", errors={}, **context)

    @router.get("/bal/{market}/remove/preview")
    def remove_preview(request: Request, market: str) -> Response:
        who = web.require_user(request)
        if not known(market):
            return not_found(web, request, who, f"There is no market {market!r}.")
        form = dict(request.query_params)

        def build(world: Any) -> dict[str, Any]:
            context = _remove_context(world, who, market, form)
            try:
                sub, shares = _parse_remove(form, context["holders"])
                context.update(preview=_remove_preview(world, who, market, sub, shares), problem=None)
            except FieldError as error:
                context.update(preview=None, problem=error.message)
            return context

        return web.render(request, "bal_remove_preview.html", who, **read(web, build))

    @router.post("/bal/{market}/remove")
    async def remove(request: Request, market: str) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)
        if not known(market):
            return not_found(web, request, who, f"There is no market {market!r}.")
        title = f"Remove liquidity from {market}"

        def check(world: Any) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None, dict[str, str]]:
            context = _remove_context(world, who, market, form)
            try:
                sub, shares = _parse_remove(form, context["holders"])
                preview = _remove_preview(world, who, market, sub, shares)
            except FieldError as error:
                return context, None, None, {error.field: error.message}
            return context, {"sub_account_id": sub, "market": market, "shares": shares}, preview, {}

        context, args, preview, errors = await asyncio.to_thread(read, web, check)
        if args is None:
            return panel(web, request, who, "bal_remove.html", title, status_code=400, errors=errors, **context)
        try:
            result = await web.act("drift.bal.remove", who.username or "", args)
        except CommandRefused as refusal:
            return panel(web, request, who, "bal_remove.html", title, status_code=400, errors={},
                         refusal=refusal_message(refusal), **context)
        sub = args["sub_account_id"]

        def after(world: Any) -> dict[str, Any]:
            account = account_of(world, who)
            return {"sub": subaccount(account, sub), "position": position_in(subaccount(account, sub), market)}

        done = await asyncio.to_thread(read, web, after)
        return panel(web, request, who, "bal_removed.html", title, burned=result["shares"], sub_id=sub,
                     preview=preview, market=context["market"], symbol=symbol(market),
                     headers={"HX-Trigger": "bal-changed, account-changed"}, **done)
