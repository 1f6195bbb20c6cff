"""The Trade page, `/trade?market=SOL-PERP` (public; the forms when signed in): a minimal Drift
taker view so users can create flow.

* the market selector (one tab per market);
* the AMM's quote: oracle, mark (the AMM's reserve price), bid and ask (`markets_view`), the last
  funding rate and the open interest;
* a price chart: the oracle and the mark over the recent past (World.price_history: every tick,
  the last day of one-minute steps);
* for a signed-in user: a market or limit order (`drift.order`: side, size in base, limit
  price), a USDC deposit (`drift.deposit`, trading needs collateral), the position in the
  market and the open orders with Cancel (`drift.cancel`).

Forms answer the page (htmx swaps `#main`): a bad field next to the field (nothing is sent), an
engine refusal as an alert (nothing changed). Sizes are in base with the market's order step
(e.g. 0.1 SOL): a size that is not a multiple of it is refused next to the field.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ballast.service import views
from ballast.service.world import World
from ballast.web.app import FormState, Web, run_form
from ballast.web.format import base as fmt_base
from ballast.web.format import price as fmt_price
from ballast.web.format import symbol, usd
from ballast.web.forms import FieldError, parse_choice, parse_int, parse_units

__all__ = ["register", "trade_context", "size_decimals", "funding_rate_pct"]


def size_decimals(order_step: int) -> int:
    """Decimals a size in base may have for an order step (base 1e9): 1 for 0.1 (1e8)."""
    decimals = 9
    while decimals > 0 and order_step % 10 == 0:
        order_step //= 10
        decimals -= 1
    return decimals


def funding_rate_pct(rate: int, oracle: int) -> str:
    """The last funding rate (quote per base, 1e9 precision x price) as a percentage of the
    oracle per period: rate / 1e9 / (oracle / 1e6) x 100, with 4 decimals."""
    if not oracle:
        return "–"
    return f"{rate * 100 / 1e3 / oracle:+.4f}%"


def trade_context(world: World, username: str | None, market: str, sub: int) -> dict[str, Any]:
    """The page's numbers (KeyError for an unknown market)."""
    view = views.market_view(world, market)
    history = list(world.price_history.get(market, []))
    chart = {
        "x": [ts for ts, _, _ in history],
        "series": [
            {"label": "Oracle", "values": [o / 1e6 for _, o, _ in history], "unit": "USD"},
            {"label": "Mark (AMM reserve price)", "values": [m / 1e6 for _, _, m in history], "unit": "USD"},
        ],
        "kind": "line",
        "yLabel": "USD",
    }
    subaccount = None
    subaccounts: list[int] = []
    has_account = False
    if username:
        try:
            account = views.account_view(world, username)
            has_account = True
        except KeyError:
            account = None
        if account is not None:
            subaccounts = [s["sub_account_id"] for s in account["drift"]]
            subaccount = next((s for s in account["drift"] if s["sub_account_id"] == sub), None)
    position = None
    orders: list[dict[str, Any]] = []
    if subaccount is not None:
        position = next((p for p in subaccount["positions"] if p["market"] == market), None)
        orders = subaccount["orders"]
    return {
        "market": market, "symbol": symbol(market), "view": view, "markets": list(world.markets),
        "price_chart": chart, "has_account": has_account, "subaccount": subaccount, "subaccounts": subaccounts,
        "sub": sub, "position": position, "orders": orders, "now": world.ts,
        "step": view["order_step_size"], "decimals": size_decimals(view["order_step_size"]),
    }


def _order_args(form: dict[str, str], market: str, step: int) -> dict[str, Any]:
    side = parse_choice(form, "side", ("long", "short"))
    kind = parse_choice(form, "order_type", ("market", "limit"))
    decimals = size_decimals(step)
    scale = 10 ** (9 - decimals)
    size = parse_units(form, "size", decimals, label=symbol(market), maximum=(2**64 - 1) // scale)
    assert size is not None
    size *= scale  # base 1e9
    if size % step:
        raise FieldError("size", f"must be a multiple of the order step, {fmt_base(step, size_decimals(step))} {symbol(market)}")
    args: dict[str, Any] = {"sub_account_id": parse_int(form, "sub_account_id", minimum=0, maximum=65_535,
                                                        label="the subaccount"),
                            "market": market, "side": side, "base": size, "type": kind}
    if kind == "limit":
        args["price"] = parse_units(form, "limit_price", 6, label="USD", maximum=2**63 - 1)
    return args


def register(router: APIRouter, web: Web) -> None:
    async def page(request: Request, market: str | None, sub: int = 0, state: FormState | None = None) -> Response:
        who = web.user(request)

        def build(world: World) -> dict[str, Any] | None:
            name = market or world.markets[0]
            if name not in world.markets:
                return None
            return trade_context(world, who.username, name, sub)

        context = await asyncio.to_thread(web.service.read, build)
        if context is None:
            return web.render(request, "trade_missing.html", who, status_code=404, market=market)
        return web.render(request, "trade.html", who, state=state or FormState(), funding_rate_pct=funding_rate_pct,
                          **context)

    @router.get("/trade")
    async def trade_page(request: Request, market: str | None = None, sub: int = 0) -> Response:
        return await page(request, market, max(0, min(sub, 65_535)))

    def _sub(form: dict[str, str]) -> int:
        try:
            return max(0, min(int(form.get("sub_account_id", "0")), 65_535))
        except ValueError:
            return 0

    @router.post("/trade/order")
    async def order(request: Request) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)
        market = form.get("market", "")

        async def action() -> str:
            step = await asyncio.to_thread(web.service.read, lambda world: views.market_view(world, market)["order_step_size"])
            args = _order_args(form, market, step)
            result = await web.act("drift.order", who.username or "", args)
            what = f"{args['side']} {fmt_base(args['base'], size_decimals(step))} {symbol(market)}"
            if args["type"] == "limit":
                return f"Limit order #{result['order_id']} placed: {what} at {fmt_price(args['price'])}."
            filled = abs(result.get("filled_base") or 0)
            reason = f" ({result['reason'].replace('_', ' ')})" if result.get("reason") else ""
            return f"Market order {what}: {result['status']}, {fmt_base(filled)} {symbol(market)} filled{reason}."

        try:
            state = await run_form("order", form, action)
        except KeyError:
            return await page(request, None, _sub(form))
        return await page(request, market, _sub(form), state)

    @router.post("/trade/cancel")
    async def cancel(request: Request) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)

        async def action() -> str:
            order_id = parse_int(form, "order_id", minimum=1, maximum=2**32 - 1, label="the order id")
            sub = parse_int(form, "sub_account_id", minimum=0, maximum=65_535, label="the subaccount")
            await web.act("drift.cancel", who.username or "", {"sub_account_id": sub, "order_id": order_id})
            return f"Cancelled order #{order_id}."

        return await page(request, form.get("market") or None, _sub(form), await run_form("cancel", form, action))

    @router.post("/trade/deposit")
    async def deposit(request: Request) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)

        async def action() -> str:
            amount = parse_units(form, "trade_deposit", 6, label="USDC")
            sub = parse_int(form, "sub_account_id", minimum=0, maximum=65_535, label="the subaccount")
            await web.act("drift.deposit", who.username or "", {"sub_account_id": sub, "amount": amount})
            return f"Deposited {usd(amount)} into subaccount {sub}."

        return await page(request, form.get("market") or None, _sub(form), await run_form("trade_deposit", form, action))

