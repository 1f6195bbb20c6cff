"""Positions (`/positions`, signed in): per subaccount its collateral, free collateral, equity and
P&L since entry beside its BAL markets' 7D/30D figures; per market the BAL position as resting
bids/asks, the settled and the unsettled position (the LP-settle view), unsettled P&L and
funding, entry price, with Settle (`drift.settle`), Close (a reduce-only market order for the
whole position, `drift.order`) and Remove (the BAL Remove dialog); Deposit and Withdraw forms;
the P&L over time (`views.account_performance`). The numbers refresh themselves (htmx).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ballast.service import views
from ballast.service.auth import Principal
from ballast.service.commands import CommandRefused
from ballast.web.app import Web, refusal_message
from ballast.web.format import base, symbol, usd
from ballast.web.forms import FieldError, parse_units
from ballast.web.pages.bal import (
    REFRESH_SECONDS,
    account_of,
    is_htmx,
    position_in,
    read,
    sub_choice,
    subaccount,
    times,
)

MAX_DEPOSIT = 10_000_000 * 1_000_000  # $10M per deposit (the test wallet's limit)


def _pnl_chart(performance: dict[str, Any]) -> dict[str, Any]:
    series = performance["series"]
    return {
        "x": [s["ts"] for s in series],
        "kind": "line",
        "yLabel": "USD",
        "series": [{"label": "P&L since entry", "values": [s["pnl"] / 1_000_000 for s in series], "unit": "USD"}],
    }


def _live_context(world: Any, who: Principal) -> dict[str, Any]:
    account = account_of(world, who)
    markets = {m["name"]: m for m in views.markets_view(world)}
    subs = []
    for sub in (account or {}).get("drift", []):
        rows = []
        for position in sub["positions"]:
            bal = position["bal"]
            unsettled = bal["base_asset_amount"] if bal else position["base_asset_amount"]
            rows.append({**position, "symbol": symbol(position["market"]), "unsettled_base": unsettled,
                         "remainder": bal["remainder_base_asset_amount"] if bal else 0})
        bal_markets = [markets[p["market"]] for p in sub["positions"] if p["lp_shares"]]
        subs.append({**sub, "rows": rows, "bal_markets": bal_markets, "max_leverage_text": times(sub["max_leverage"])})
    return {"subs": subs, "ts": world.ts, "has_account": account is not None}


def _charts_context(world: Any, who: Principal) -> dict[str, Any]:
    account = account_of(world, who)
    charts = []
    for sub in (account or {}).get("drift", []):
        performance = views.account_performance(world, who.username, sub["sub_account_id"])
        charts.append({"sub_account_id": sub["sub_account_id"], "name": sub["name"],
                       "pnl_since_entry": performance["pnl_since_entry"], "chart": _pnl_chart(performance)})
    return {"charts": charts}


def _funds_context(world: Any, who: Principal) -> dict[str, Any]:
    account = account_of(world, who)
    return {"subs": (account or {}).get("drift", [])}


def register(router: APIRouter, web: Web) -> None:
    def page(request: Request, who: Principal, status_code: int = 200, **extra: Any) -> HTMLResponse:
        def build(world: Any) -> dict[str, Any]:
            return {**_live_context(world, who), **_charts_context(world, who)}

        context = read(web, build)
        sub = request.query_params.get("sub")
        first = str(context["subs"][0]["sub_account_id"]) if context["subs"] else ""
        chosen = sub if sub and sub.isdigit() else first
        forms = {"deposit": {"values": {"sub_account_id": chosen}, "errors": {}},
                 "withdraw": {"values": {"sub_account_id": chosen}, "errors": {}}}
        forms.update(extra.pop("forms", {}))
        created = request.query_params.get("created")
        if created and created.isdigit() and "notice" not in extra:
            extra["notice"] = {"ok": True, "text": f"Subaccount {created} created. Deposit USDC into it below."}
        return web.render(request, "positions.html", who, status_code=status_code, refresh=REFRESH_SECONDS,
                          forms=forms, **context, **extra)

    @router.get("/positions")
    def positions_page(request: Request) -> Response:
        who = web.require_user(request)
        return page(request, who)

    @router.get("/positions/_live")
    def positions_live(request: Request) -> Response:
        who = web.require_user(request)
        return web.render(request, "positions_live.html", who, refresh=REFRESH_SECONDS,
                          **read(web, lambda world: _live_context(world, who)))

    @router.get("/positions/_charts")
    def positions_charts(request: Request) -> Response:
        who = web.require_user(request)
        return web.render(request, "positions_charts.html", who, **read(web, lambda world: _charts_context(world, who)))

    # --- deposit / withdraw -----------------------------------------------------------------------

    async def funds(request: Request, kind: str) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)
        field = f"{kind}_amount"
        values = {k: v for k, v in form.items() if k != "csrf_token"}
        state = await asyncio.to_thread(read, web, lambda world: _funds_context(world, who))
        subs = state["subs"]
        errors: dict[str, str] = {}
        args: dict[str, Any] = {}
        try:
            sub_id = sub_choice(form, [s["sub_account_id"] for s in subs])
            chosen = subaccount({"drift": subs}, sub_id)
            assert chosen is not None
            if kind == "deposit":
                amount = parse_units(form, field, 6, label="USDC", maximum=MAX_DEPOSIT)
            else:
                held = max(chosen["deposits"], 0)
                if held == 0:
                    raise FieldError(field, "this subaccount holds no USDC to withdraw")
                amount = parse_units(form, field, 6, label="USDC", maximum=held)
            args = {"sub_account_id": sub_id, "amount": amount}
        except FieldError as error:
            errors[error.field] = error.message
        notice = refusal = None
        headers: dict[str, str] = {}
        if not errors:
            try:
                result = await web.act(f"drift.{kind}", who.username or "", args)
            except CommandRefused as error:
                refusal = refusal_message(error)
                headers["HX-Trigger"] = "account-changed"  # show the numbers the refusal was about
            else:
                after = await asyncio.to_thread(read, web, lambda world: _funds_context(world, who))
                sub = subaccount({"drift": after["subs"]}, args["sub_account_id"])
                notice = {"kind": kind, "amount": result["amount"], "sub": sub}
                values = {"sub_account_id": str(args["sub_account_id"])}
                subs = after["subs"]
                headers["HX-Trigger"] = "account-changed"
        box = {"values": values, "errors": errors, "notice": notice, "refusal": refusal}
        if not is_htmx(request):
            return page(request, who, status_code=400 if errors or refusal else 200, forms={kind: box})
        response = web.render(request, "positions_fund_form.html", who, kind=kind, subs=subs, box=box)
        response.headers.update(headers)
        return response

    @router.post("/positions/deposit")
    async def deposit(request: Request) -> Response:
        return await funds(request, "deposit")

    @router.post("/positions/withdraw")
    async def withdraw(request: Request) -> Response:
        return await funds(request, "withdraw")

    # --- settle / close / new subaccount ------------------------------------------------------------

    async def position_action(request: Request, action: str) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)
        market = form.get("market", "")
        account = await asyncio.to_thread(read, web, lambda world: account_of(world, who))
        notice: dict[str, Any] = {"ok": False, "text": ""}
        try:
            sub_id = sub_choice(form, [s["sub_account_id"] for s in (account or {}).get("drift", [])])
            position = position_in(subaccount(account, sub_id), market)
            if position is None:
                raise FieldError("market", f"subaccount {sub_id} has no position in {market or 'that market'}")
        except FieldError as error:
            notice["text"] = error.message[:1].upper() + error.message[1:] + "."
            return _notice(request, who, notice, page)
        try:
            if action == "settle":
                await web.act("drift.settle", who.username or "", {"sub_account_id": sub_id, "market": market})
            else:
                size = position["bal"]["base_asset_amount"] if position["bal"] else position["base_asset_amount"]
                if size == 0:
                    notice["text"] = f"Subaccount {sub_id} holds no {market} position to close."
                    return _notice(request, who, notice, page)
                result = await web.act("drift.order", who.username or "", {
                    "sub_account_id": sub_id, "market": market, "side": "short" if size > 0 else "long",
                    "base": abs(size), "type": "market", "reduce_only": True})
        except CommandRefused as error:
            notice["text"] = refusal_message(error)
            return _notice(request, who, notice, page)
        after = await asyncio.to_thread(read, web, lambda world: account_of(world, who))
        now = position_in(subaccount(after, sub_id), market)
        left = (now["bal"]["base_asset_amount"] if now["bal"] else now["base_asset_amount"]) if now else 0
        if action == "settle":
            notice["text"] = (f"Settled {market} in subaccount {sub_id}: the position is {base(left)} "
                              f"{symbol(market)}, unsettled P&L {usd(now['unsettled_pnl'] if now else 0)}.")
        else:
            notice["text"] = (f"Close order for {base(abs(size))} {symbol(market)} {result['status']}"
                              f"{' (' + result['reason'] + ')' if result.get('reason') else ''}: "
                              f"the position is now {base(left)} {symbol(market)}.")
        notice["ok"] = True
        notice["left"] = left
        return _notice(request, who, notice, page, changed=True)

    def _notice(request: Request, who: Principal, notice: dict[str, Any], page_fn: Any,
                changed: bool = False) -> Response:
        """The outcome of Settle / Close: the whole page without htmx; with htmx the live numbers
        (the buttons' own region, swapped once: no second request races the next click) and the
        notice out of band."""
        if not is_htmx(request):
            return page_fn(request, who, status_code=200 if notice["ok"] else 400, notice=notice)
        response = web.render(request, "positions_live.html", who, refresh=REFRESH_SECONDS, notice=notice,
                              notice_oob=True, **read(web, lambda world: _live_context(world, who)))
        if changed:
            response.headers["HX-Trigger"] = "pnl-changed, bal-changed"
        return response

    @router.post("/positions/settle")
    async def settle(request: Request) -> Response:
        return await position_action(request, "settle")

    @router.post("/positions/close")
    async def close(request: Request) -> Response:
        return await position_action(request, "close")

    @router.post("/positions/subaccount")
    async def new_subaccount(request: Request) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)
        name = (form.get("name") or "").strip()
        notice: dict[str, Any] = {"ok": False, "text": ""}
        if len(name) > 32:
            notice["text"] = "A subaccount name has at most 32 characters."
            return _notice(request, who, notice, page)
        try:
            result = await web.act("drift.subaccount", who.username or "", {"name": name})
        except CommandRefused as error:
            notice["text"] = refusal_message(error)
            return _notice(request, who, notice, page)
        created = result["sub_account_id"]
        return RedirectResponse(f"/positions?sub={created}&created={created}#funds", status_code=303)
