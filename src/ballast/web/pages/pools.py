"""The Pools pages (Perpetual Protocol v2 "Curie" makers, seed 003): `/pools` (every vToken
pool) and `/pools/{market}` (one pool); public, personalised when signed in.

Every engine number comes from the service's views (`pool_liquidity_view`, `market_view`,
`account_view(...)["curie"]`) or from replaying the instruction on a copy of the clearing house
(a pickled copy taken under the service lock and replayed outside it, never the world's own): what a range would add (the Add range preview), what
removing a range would give. The curves over hypothetical prices are computed with Uniswap's
LiquidityAmounts (ballast.curie.univ3.liquidity_amounts) from each range's liquidity:

* **Impermanent position at a price P** (per range): the base the range's liquidity holds at P
  (`get_amounts_for_liquidity(sqrt(P), S(lower), S(upper), L)`) less the base the maker
  minted into it (the order's base debt). Positive = long: below the range the maker holds
  all of it in base; above it none.
* **Estimated liquidation prices** (`liquidation_estimate`): the nearest prices below and above
  the oracle at which the account would become liquidatable, found by a bounded search
  (geometric steps from 1/20 to 20 times the oracle, then bisection to $0.000001). At a
  hypothetical price P the pool is assumed to have moved to P together with the oracle (as
  arbitrage keeps it); the account value is the view's account value now plus the change in
  this market's position value (position x price) and in the quote the ranges hold; the
  maintenance requirement is mmRatio x (|position x P| + the other markets' |position value|
  now); liquidatable when value < requirement (Vault.isLiquidatable). Fees earned and funding
  on the way are left out, so it is an estimate, not a promise.

Forms (each answers the page, htmx swapping `#main`; a bad field shows next to the field and
nothing is sent; an engine refusal shows as an alert and nothing changed):
`/pools/deposit`, `/pools/withdraw` (Curie collateral), `/pools/{market}/ranges` (add a range),
`/pools/{market}/ranges/remove` (remove a whole range: its impermanent position becomes a taker
position), `/pools/{market}/claim` (Pool Party rewards). `/pools/{market}/preview` answers the
Add range preview partial (the snapped ticks, the tick spacing, the liquidity the amounts buy
and the amounts the exchange would take).
"""

from __future__ import annotations

import asyncio
import pickle
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from ballast.curie.errors import CurieError
from ballast.curie.univ3 import liquidity_amounts, tick_math
from ballast.fixed import MathError, div_trunc
from ballast.service import views
from ballast.service.commands import CommandRefused, snap_ticks
from ballast.service.world import World, authority_of
from ballast.sim.venues.curie import price_from_sqrt, sqrt_price_x96
from ballast.web.app import FormState, Web, refusal_message, run_form
from ballast.web.format import base as fmt_base
from ballast.web.format import price as fmt_price
from ballast.web.format import symbol, usd
from ballast.web.forms import FieldError, parse_int, parse_units

__all__ = [
    "register",
    "liquidity_text",
    "ratio_pct",
    "liquidity_chart",
    "impermanent_at",
    "liquidation_estimate",
    "SEARCH_FACTOR",
]

E9 = 10**9
E12 = 10**12
E18 = 10**18
SEARCH_FACTOR = 20  # the liquidation search looks from price / 20 to price x 20
_SEARCH_STEPS = 240
_CHART_BUCKETS = 60
_CHART_MAX_TICKS = 23_000  # the chart spans at most this many ticks either side of the pool's (about x10)
_ENGINE_ERRORS = (CurieError, MathError)


# --- formatting -------------------------------------------------------------------------------


def liquidity_text(value: int | str | None) -> str:
    """Uniswap liquidity (an integer, or the API's decimal string) with thousands separators."""
    return "–" if value is None else f"{int(value):,}"


def ratio_pct(value: float | None) -> str:
    """A percentage the views give as a float (e.g. margin_ratio_pct) with 2 decimals: "12.34%"."""
    return "–" if value is None else f"{value:,.2f}%"


def ratio_1e6(value: int) -> str:
    """A Curie ratio (1e6 = 100%) as a percentage: "6.25%"."""
    return f"{Decimal(value).scaleb(-4).normalize():f}%"


def _tick_price(tick: int) -> int:
    return price_from_sqrt(tick_math.get_sqrt_ratio_at_tick(tick))


def _sqrt_at(price: int) -> int:
    """The X96 sqrt price of a 1e6 price, kept inside Uniswap's bounds."""
    return min(max(sqrt_price_x96(max(price, 1)), tick_math.MIN_SQRT_RATIO), tick_math.MAX_SQRT_RATIO - 1)


# --- the liquidity chart -------------------------------------------------------------------------


def liquidity_chart(pool: dict[str, Any]) -> dict[str, Any]:
    """The chart spec (macros.html `chart`, kind "bars", a price axis) of a pool's liquidity by
    price from `pool_liquidity_view`: the ticks around the ranges split into at most
    _CHART_BUCKETS equal buckets (whole tick spacings), each drawn at its lower price with the
    largest liquidity active in it (so a narrow range still shows), in units of 1e18;
    `markX` marks the bucket of the pool's price."""
    bars = pool["bars"]
    spacing = pool["tick_spacing"]
    tick = pool["tick"]
    spec: dict[str, Any] = {"x": [], "series": [{"label": "Liquidity", "values": [], "unit": "×10¹⁸"}],
                            "kind": "bars", "time": False, "xLabel": "price (USD)", "yLabel": "liquidity"}
    if not bars:
        return spec
    lo = min(min(b["lower_tick"] for b in bars), tick)
    hi = max(max(b["upper_tick"] for b in bars), tick)
    pad = max((hi - lo) // 4, 2 * spacing)
    lo, hi = max(lo - pad, tick - _CHART_MAX_TICKS), min(hi + pad, tick + _CHART_MAX_TICKS)
    start = lo // spacing * spacing
    end = -(-hi // spacing) * spacing
    group = max(1, -(-((end - start) // spacing) // _CHART_BUCKETS))
    step = group * spacing
    for t in range(start, end, step):
        active = [int(b["liquidity"]) for b in bars if b["lower_tick"] < t + step and b["upper_tick"] > t]
        label = fmt_price(_tick_price(t))
        spec["x"].append(label)
        spec["series"][0]["values"].append(round(max(active, default=0) / E18, 6))
        if t <= tick < t + step:
            spec["markX"] = label
            spec["markLabel"] = f"pool {fmt_price(pool['price'])}"
    return spec


# --- ranges over prices ----------------------------------------------------------------------------


def range_amounts(liquidity: int, lower_tick: int, upper_tick: int, sqrt_price: int) -> tuple[int, int]:
    """(base, quote) 18-dec tokens `liquidity` holds on [lower, upper) at `sqrt_price` (X96)."""
    return liquidity_amounts.get_amounts_for_liquidity(
        sqrt_price, tick_math.get_sqrt_ratio_at_tick(lower_tick), tick_math.get_sqrt_ratio_at_tick(upper_tick), liquidity)


def impermanent_at(order: dict[str, Any], price: int) -> dict[str, int]:
    """A range's impermanent position at a hypothetical `price` (1e6): its base in the pool at
    that price less its base debt (base 1e9, truncated toward zero like the views), and the base
    and quote it holds there (1e9 / 1e6, floored). `order`: liquidity, lower_tick, upper_tick,
    base_debt (18 dec)."""
    base18, quote18 = range_amounts(order["liquidity"], order["lower_tick"], order["upper_tick"], _sqrt_at(price))
    return {"price": price, "position": div_trunc(base18 - order["base_debt"], E9),
            "base": base18 // E9, "quote": quote18 // E12}


def price_grid(order: dict[str, Any], pool_price: int) -> list[dict[str, Any]]:
    """The impermanent position of a range at a few prices across it: 10% below its lower
    price, its lower price, a quarter, half and three quarters of the way, its upper price, 10%
    above it, and the pool's price now (flagged `now`), in price order."""
    lower, upper = order["lower_price"], order["upper_price"]
    prices = {lower * 9 // 10, lower, upper, upper * 11 // 10}
    prices.update(lower + (upper - lower) * k // 4 for k in (1, 2, 3))
    prices.discard(pool_price)
    rows = [dict(impermanent_at(order, p), now=False) for p in sorted(prices)]
    rows.append(dict(impermanent_at(order, pool_price), now=True))
    rows.sort(key=lambda r: r["price"])
    for row in rows:
        row["where"] = "below" if row["price"] < lower else ("above" if row["price"] >= upper else "in range")
    return rows


def liquidation_estimate(*, account_value: int, mm_ratio: int, mark: int, position: int, other_abs_value: int,
                         orders: list[dict[str, Any]], pool_sqrt: int) -> dict[str, Any]:
    """Estimated liquidation prices (see the module docstring). Inputs, in the views' units:
    `account_value` (quote 1e6), `mm_ratio` (1e6), `mark` (the market's price now, 1e6),
    `position` (this market's total position now, base 1e9), `other_abs_value` (the other
    markets' |position value|, quote 1e6), `orders` (liquidity, lower_tick, upper_tick),
    `pool_sqrt` (the pool's X96 sqrt price now). Answers `below` / `above` (1e6 prices, None
    when none within the searched band), `now` (liquidatable at the current price) and the
    band searched (`low`, `high`)."""
    now_amounts = [range_amounts(o["liquidity"], o["lower_tick"], o["upper_tick"], pool_sqrt) for o in orders]
    position18 = position * E9
    value18 = account_value * E12
    other18 = other_abs_value * E12

    def liquidatable(price: int) -> bool:
        s = _sqrt_at(price)
        d_base = d_quote = 0
        for order, (b0, q0) in zip(orders, now_amounts, strict=True):
            b, q = range_amounts(order["liquidity"], order["lower_tick"], order["upper_tick"], s)
            d_base += b - b0
            d_quote += q - q0
        pos = position18 + d_base
        value = value18 + div_trunc(pos * price, 10**6) - div_trunc(position18 * mark, 10**6) + d_quote
        requirement = (abs(div_trunc(pos * price, 10**6)) + other18) * mm_ratio // 10**6
        return value < requirement

    low, high = max(1, mark // SEARCH_FACTOR), mark * SEARCH_FACTOR
    out: dict[str, Any] = {"below": None, "above": None, "now": liquidatable(mark), "low": low, "high": high}
    if out["now"]:
        return out
    for side, target in (("below", low), ("above", high)):
        previous = mark
        for k in range(1, _SEARCH_STEPS + 1):
            probe = round(mark * (target / mark) ** (k / _SEARCH_STEPS))
            if liquidatable(probe):
                healthy, unhealthy = previous, probe
                while abs(healthy - unhealthy) > 1:
                    middle = (healthy + unhealthy) // 2
                    if liquidatable(middle):
                        unhealthy = middle
                    else:
                        healthy = middle
                out[side] = unhealthy
                break
            previous = probe
    return out


# --- reading the world ----------------------------------------------------------------------------


def _orders(world: World, authority: str, market: str) -> list[dict[str, Any]]:
    """The maker's orders in `market` with their debts (18 dec), in the account's order."""
    account = world.curie.house.accounts.get(authority) if world.curie else None
    if account is None:
        return []
    return [{"lower_tick": o.lower_tick, "upper_tick": o.upper_tick, "liquidity": o.liquidity,
             "base_debt": o.base_debt, "quote_debt": o.quote_debt,
             "lower_price": _tick_price(o.lower_tick), "upper_price": _tick_price(o.upper_tick)}
            for o in account.orders.get(market, [])]


def _curie_account(world: World, username: str | None) -> tuple[bool, dict[str, Any] | None]:
    """(the user has an exchange account, their Curie account view or None)."""
    if not username:
        return False, None
    try:
        return True, views.account_view(world, username)["curie"]
    except KeyError:
        return False, None


def overview_context(world: World, username: str | None) -> dict[str, Any]:
    has_account, account = _curie_account(world, username)
    pools = []
    for market in views.markets_view(world):
        if market["curie"] is None:
            continue
        pool = views.pool_liquidity_view(world, market["name"])
        mine = None
        if account is not None:
            mine = next((p for p in account["positions"] if p["market"] == market["name"]), None)
        pools.append({"market": market["name"], "symbol": symbol(market["name"]), "pool": pool,
                      "oracle": market["oracle_price"], "chart": liquidity_chart(pool), "mine": mine})
    return {"pools": pools, "account": account, "has_account": has_account, "now": world.ts,
            "curie": world.curie is not None}


def pool_context(world: World, username: str | None, market: str) -> dict[str, Any]:
    """One pool's page (KeyError for a market without a Curie pool)."""
    pool = views.pool_liquidity_view(world, market)
    view = views.market_view(world, market)
    has_account, account = _curie_account(world, username)
    mine = None
    orders: list[dict[str, Any]] = []
    house: bytes | None = None
    other_abs = 0
    if account is not None and username:
        authority = authority_of(username)
        mine = next((p for p in account["positions"] if p["market"] == market), None)
        orders = _orders(world, authority, market)
        marks = {m: world.curie.house.get_mark_price(m) for m in world.curie.markets}
        for p in account["positions"]:
            if p["market"] != market:
                other_abs += abs(div_trunc(p["total_position"] * (marks[p["market"]] // E12), E9))
        if orders:
            house = _house_copy(world)
    return {
        "market": market, "symbol": symbol(market), "pool": pool, "view": view, "liq_chart": liquidity_chart(pool),
        "account": account, "has_account": has_account, "mine": mine, "orders": orders, "house": house,
        "other_abs_value": other_abs, "mark": world.curie.house.get_mark_price(market) // E12, "now": world.ts,
        "markets": [m for m in world.markets if world.curie and m in world.curie.markets],
    }


def _house_copy(world: World) -> bytes:
    """The Curie clearing house pickled (under the service lock, a few ms): what-ifs replay on
    copies loaded from it outside the lock."""
    return pickle.dumps(world.curie.house, protocol=pickle.HIGHEST_PROTOCOL)


def removal_preview(house_copy: bytes, authority: str, market: str, order: dict[str, Any]) -> dict[str, Any] | None:
    """`remove_liquidity` of the whole order replayed on a copy of the clearing house: the base
    and quote it returns, the fee it collects (1e9 / 1e6, as the command answers them) and the
    taker position after (base 1e9); None when the engine would refuse."""
    house = pickle.loads(house_copy)
    try:
        base, quote, fee = house.remove_liquidity(authority, market, order["lower_tick"], order["upper_tick"],
                                                  order["liquidity"])
    except _ENGINE_ERRORS:
        return None
    return {"base": base // E9, "quote": quote // E12, "fee": fee // E12,
            "taker_after": div_trunc(house.get_taker_position_size(authority, market), E9)}


def _add_range_args(form: dict[str, str], market: str) -> dict[str, Any]:
    """The curie.range.add arguments of the Add range form, or a FieldError."""
    lower = parse_units(form, "lower_price", 6, label="USD")
    upper = parse_units(form, "upper_price", 6, label="USD")
    assert lower is not None and upper is not None
    if upper <= lower:
        raise FieldError("upper_price", "must be above the lower price")
    base = parse_units(form, "base_amount", 9, label=symbol(market), minimum=0, required=False) or 0
    quote = parse_units(form, "quote_amount", 6, label="USDC", minimum=0, required=False) or 0
    if base == 0 and quote == 0:
        raise FieldError("base_amount", f"enter an amount of {symbol(market)} or USDC (or both)")
    return {"market": market, "lower_price": lower, "upper_price": upper, "base": base, "quote": quote}


def range_preview(world: World, username: str | None, market: str, form: dict[str, str]) -> dict[str, Any]:
    """The Add range preview: the snapped ticks and their prices, the tick spacing, the pool
    price; with amounts, the liquidity they buy at the pool price (LiquidityAmounts, as the
    engine computes it), what the exchange would take and the free collateral after
    (`add_liquidity` replayed on a deep copy of the clearing house, for a signed-in user), or
    the engine's refusal; and the amounts that pair with each other in the range."""
    pool = views.pool_liquidity_view(world, market)
    out: dict[str, Any] = {"market": market, "symbol": symbol(market), "pool": pool, "problem": None}
    try:
        lower = parse_units(form, "lower_price", 6, label="USD")
        upper = parse_units(form, "upper_price", 6, label="USD")
    except FieldError as error:
        out["problem"] = "Enter the lower and upper prices to see the range's ticks." if "enter" in error.message \
            else f"{'Lower' if error.field == 'lower_price' else 'Upper'} price: {error.message}."
        return out
    assert lower is not None and upper is not None
    if upper <= lower:
        out["problem"] = "Upper price: must be above the lower price."
        return out
    lower_tick, upper_tick = snap_ticks(world, market, lower, upper)
    out.update(lower_tick=lower_tick, upper_tick=upper_tick, lower_price=_tick_price(lower_tick),
               upper_price=_tick_price(upper_tick))
    s, sa, sb = int(pool["sqrt_price_x96"]), tick_math.get_sqrt_ratio_at_tick(lower_tick), \
        tick_math.get_sqrt_ratio_at_tick(upper_tick)
    out["where"] = "below" if s <= sa else ("above" if s >= sb else "in range")
    if out["where"] == "in range":
        one_base = liquidity_amounts.get_liquidity_for_amount0(s, sb, E18)
        one_usdc = liquidity_amounts.get_liquidity_for_amount1(sa, s, E18)
        out["quote_per_base"] = liquidity_amounts.get_amount1_for_liquidity(sa, s, one_base) // E12
        out["base_per_usdc"] = liquidity_amounts.get_amount0_for_liquidity(s, sb, one_usdc) // E9
    try:
        base = parse_units(form, "base_amount", 9, label=symbol(market), minimum=0, required=False) or 0
        quote = parse_units(form, "quote_amount", 6, label="USDC", minimum=0, required=False) or 0
    except FieldError as error:
        out["amount_problem"] = f"{'Base' if error.field == 'base_amount' else 'Quote'} amount: {error.message}."
        return out
    if base == 0 and quote == 0:
        return out
    liquidity = liquidity_amounts.get_liquidity_for_amounts(s, sa, sb, base * E9, quote * E12)
    out["liquidity"] = liquidity
    if liquidity and username:
        has_account, account = _curie_account(world, username)
        if has_account:
            out["replay"] = {"house": _house_copy(world), "authority": authority_of(username), "base": base * E9,
                             "quote": quote * E12, "free_now": account["free_collateral"] if account else 0}
    return out


def replay_add(preview: dict[str, Any]) -> dict[str, Any]:
    """The preview's `add_liquidity` replayed on its copy of the clearing house (outside the
    service lock): what the pool would take, the liquidity minted and the free collateral after,
    or the engine's refusal."""
    replay = preview.pop("replay", None)
    if replay is None:
        return preview
    house = pickle.loads(replay["house"])
    authority = replay["authority"]
    try:
        added_base, added_quote, _fee, minted = house.add_liquidity(
            authority, preview["market"], replay["base"], replay["quote"], preview["lower_tick"], preview["upper_tick"])
    except _ENGINE_ERRORS as error:
        preview["refusal"] = refusal_message(CommandRefused(type(error).__name__, str(error)))
    else:
        preview.update(added_base=added_base // E9, added_quote=added_quote // E12, minted=minted,
                       free_after=house.get_free_collateral(authority), free_now=replay["free_now"])
    return preview


# --- routes ---------------------------------------------------------------------------------------


def register(router: APIRouter, web: Web) -> None:
    def fmt() -> dict[str, Any]:
        return {"liquidity_text": liquidity_text, "ratio_pct": ratio_pct, "ratio_1e6": ratio_1e6,
                "SEARCH_FACTOR": SEARCH_FACTOR}

    async def read(fn: Any) -> Any:
        return await asyncio.to_thread(web.service.read, fn)

    async def overview(request: Request, state: FormState | None = None) -> Response:
        who = web.user(request)
        context = await read(lambda world: overview_context(world, who.username))
        return web.render(request, "pools.html", who, state=state or FormState(), **fmt(), **context)

    async def one_pool(request: Request, market: str, state: FormState | None = None) -> Response:
        who = web.user(request)
        try:
            context = await read(lambda world: pool_context(world, who.username, market))
        except KeyError:
            return web.render(request, "pools_missing.html", who, status_code=404, market=market)
        estimate = None
        mine = context["mine"]
        if context["account"] is not None and mine is not None and (mine["total_position"] or context["orders"]):
            estimate = liquidation_estimate(
                account_value=context["account"]["account_value"], mm_ratio=context["account"]["mm_ratio"],
                mark=context["mark"], position=mine["total_position"], other_abs_value=context["other_abs_value"],
                orders=context["orders"], pool_sqrt=int(context["pool"]["sqrt_price_x96"]))
        grids = [price_grid(order, context["pool"]["price"]) for order in context["orders"]]
        house = context.pop("house")
        authority = authority_of(who.username) if who.username else ""
        context["removals"] = await asyncio.to_thread(
            lambda: [removal_preview(house, authority, market, order) for order in context["orders"]] if house else [])
        return web.render(request, "pools_market.html", who, state=state or FormState(), estimate=estimate,
                          grids=grids, **fmt(), **context)

    async def back(request: Request, form: dict[str, str], state: FormState) -> Response:
        market = form.get("market") or ""
        return await (one_pool(request, market, state) if market else overview(request, state))

    @router.get("/pools")
    async def pools_page(request: Request) -> Response:
        return await overview(request)

    @router.get("/pools/{market}")
    async def pool_page(request: Request, market: str) -> Response:
        return await one_pool(request, market)

    @router.get("/pools/{market}/preview")
    async def preview(request: Request, market: str) -> Response:
        who = web.user(request)
        form = {k: v for k, v in request.query_params.items()}
        try:
            context = await read(lambda world: range_preview(world, who.username, market, form))
            context = await asyncio.to_thread(replay_add, context)
        except (KeyError, CommandRefused):
            return HTMLResponse("<p class='muted'>No Curie pool for this market.</p>", status_code=404)
        return web.render(request, "pools_preview.html", who, p=context, **fmt())

    @router.post("/pools/deposit")
    async def deposit(request: Request) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)

        async def action() -> str:
            amount = parse_units(form, "curie_deposit", 6, label="USDC")
            await web.act("curie.deposit", who.username or "", {"amount": amount})
            return f"Deposited {usd(amount)} as Curie collateral."

        return await back(request, form, await run_form("curie_deposit", form, action))

    @router.post("/pools/withdraw")
    async def withdraw(request: Request) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)

        async def action() -> str:
            _has, account = await read(lambda world: _curie_account(world, who.username))
            free = account["free_collateral"] if account else 0
            if free <= 0:
                raise FieldError("curie_withdraw", "you have no free collateral to withdraw")
            amount = parse_units(form, "curie_withdraw", 6, label="USDC", maximum=free)
            await web.act("curie.withdraw", who.username or "", {"amount": amount})
            return f"Withdrew {usd(amount)} of Curie collateral."

        return await back(request, form, await run_form("curie_withdraw", form, action))

    @router.post("/pools/{market}/ranges")
    async def add_range(request: Request, market: str) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)

        async def action() -> str:
            args = _add_range_args(form, market)
            result = await web.act("curie.range.add", who.username or "", args)
            return (f"Added liquidity {liquidity_text(result['liquidity'])} on ticks [{result['lower_tick']}, "
                    f"{result['upper_tick']}) ({fmt_price(_tick_price(result['lower_tick']))} – "
                    f"{fmt_price(_tick_price(result['upper_tick']))}): the pool took "
                    f"{fmt_base(result['base'])} {symbol(market)} and {usd(result['quote'])}.")

        return await one_pool(request, market, await run_form("add_range", form, action))

    @router.post("/pools/{market}/ranges/remove")
    async def remove_range(request: Request, market: str) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)

        async def action() -> str:
            lower = parse_int(form, "lower_tick", minimum=tick_math.MIN_TICK, maximum=tick_math.MAX_TICK,
                              label="the lower tick")
            upper = parse_int(form, "upper_tick", minimum=tick_math.MIN_TICK, maximum=tick_math.MAX_TICK,
                              label="the upper tick")
            result = await web.act("curie.range.remove", who.username or "",
                                   {"market": market, "lower_tick": lower, "upper_tick": upper})
            return (f"Removed the range [{lower}, {upper}): {fmt_base(result['base'])} {symbol(market)} and "
                    f"{usd(result['quote'])} left the pool and {usd(result['fee'])} of fees was collected; its "
                    "impermanent position is now part of your taker position.")

        return await one_pool(request, market, await run_form(f"remove_{form.get('lower_tick')}_{form.get('upper_tick')}",
                                                              form, action))

    @router.post("/pools/{market}/claim")
    async def claim(request: Request, market: str) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)

        async def action() -> str:
            result = await web.act("curie.rewards.claim", who.username or "", {"market": market})
            amount = result.get("amount", 0)
            return f"Claimed {amount:,} reward units." if amount else "Nothing to claim yet: no closed epoch paid you."

        return await one_pool(request, market, await run_form("claim", form, action))
