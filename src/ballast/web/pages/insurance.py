"""The Insurance fund page, `/insurance` (public; personalised when signed in).

What it shows (seed 002, "Revenue Pool" / "Insurance Fund"), every number from
`views.insurance_view` and the user's `views.account_view(...)["insurance"]`:

* the USDC fund: its balance, total / user / protocol shares, the unstaking period;
* how it earns: the revenue pool, the split of each settlement between stakers and the protocol
  (`user_if_factor / total_if_factor`), what the next hourly settlement would move and the
  1000% APR cap it is held to (`apr_cap_per_settle`), and the projected APR (the view's
  definition: the simple annualised growth of one share's value if that settlement recurred
  every period);
* for a signed-in user: their stake (shares, value, cost basis), the Stake and Request unstake
  forms, a pending request with its cooldown (`available_ts` against the world clock: the date
  and the time left), Cancel request, and Unstake once the cooldown is over; their stake value
  over time (World.stake_samples, every 15 simulated minutes, plus the value now).

Forms post to `/insurance/stake`, `/insurance/unstake-request`, `/insurance/unstake-cancel` and
`/insurance/unstake`; each answers the whole page (htmx swaps `#main`) with the message of the
form that was sent: a bad field next to the field (nothing is sent to the exchange), an engine
refusal as an alert (the exchange changed nothing).

`run_form` is the forms' shared runner (the Pools and Trade pages use it too).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ballast.drift.constants import ONE_YEAR
from ballast.service import views
from ballast.service.world import World, authority_of
from ballast.web.app import FormState, Web, run_form
from ballast.web.format import duration, units, usd, utc
from ballast.web.forms import FieldError, parse_units

__all__ = ["insurance_context", "factor_pct", "shares", "every", "register"]


def factor_pct(value: int, places: int = 2) -> str:
    """A 1e6 factor (PERCENTAGE_PRECISION = 100%) as a percentage: "50.00%" (2 places)."""
    return f"{units(value, 4, places)}%"


def every(seconds: int) -> str:
    """A period in words: "hour" for 3600 s, else the duration ("every 2d 00h 00m")."""
    return {3600: "hour", 86_400: "day"}.get(seconds, duration(seconds))


def shares(value: int, places: int = 6) -> str:
    """Insurance-fund shares, in the token's 6 decimals (a first stake of $1 mints 1e6 shares)."""
    return units(value, 6, places)


def insurance_context(world: World, username: str | None) -> dict[str, Any]:
    """Everything the page shows, read under the service lock (see the module docstring)."""
    fund = views.insurance_view(world)
    period = fund["revenue_settle_period"]
    settles_per_year = max(ONE_YEAR // period, 1) if period > 0 else None
    tenth = fund["revenue_pool"] // 10
    capped = bool(fund["apr_cap_applies"] and fund["next_settle_amount"] is not None
                  and tenth > fund["apr_cap_per_settle"])
    stake = None
    series: list[tuple[int, int]] = []
    has_account = False
    if username:
        try:
            stake = views.account_view(world, username)["insurance"]
            has_account = True
        except KeyError:
            stake = None
        series = list(world.stake_samples.get(authority_of(username), []))
        if stake is not None and (not series or series[-1][0] < world.ts):
            series.append((world.ts, stake["value"]))
    chart = {
        "x": [ts for ts, _ in series],
        "series": [{"label": "Stake value", "values": [value / 1e6 for _, value in series], "unit": "USD"}],
        "kind": "line",
        "yLabel": "USD",
    }
    return {
        "fund": fund,
        "stake": stake,
        "has_account": has_account,
        "now": world.ts,
        "settles_per_year": settles_per_year,
        "pool_tenth": tenth,
        "held_to_cap": capped,
        "stake_chart": chart,
    }


def register(router: APIRouter, web: Web) -> None:
    async def page(request: Request, state: FormState | None = None) -> Response:
        who = web.user(request)
        context = await asyncio.to_thread(web.service.read, lambda world: insurance_context(world, who.username))
        return web.render(request, "insurance.html", who, state=state or FormState(), factor_pct=factor_pct,
                          shares=shares, every=every, **context)

    @router.get("/insurance")
    async def insurance_page(request: Request) -> Response:
        return await page(request)

    @router.post("/insurance/stake")
    async def stake(request: Request) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)

        async def action() -> str:
            amount = parse_units(form, "stake_amount", 6, label="USDC")
            await web.act("insurance.stake", who.username or "", {"amount": amount})
            return f"Staked {usd(amount)} in the insurance fund."

        return await page(request, await run_form("stake", form, action))

    @router.post("/insurance/unstake-request")
    async def unstake_request(request: Request) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)

        async def action() -> str:
            value = await asyncio.to_thread(web.service.read, lambda w: _stake_value(w, who.username or ""))
            if value == 0:
                raise FieldError("unstake_amount", "you have no stake to unstake")
            amount = parse_units(form, "unstake_amount", 6, label="USDC", maximum=value)
            result = await web.act("insurance.unstake_request", who.username or "", {"amount": amount})
            return (f"Requested to unstake {usd(amount)}; it can be withdrawn after the cooldown "
                    f"(from {utc(result.get('available_ts'))}).")

        return await page(request, await run_form("unstake_request", form, action))

    @router.post("/insurance/unstake-cancel")
    async def unstake_cancel(request: Request) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)

        async def action() -> str:
            await web.act("insurance.unstake_cancel", who.username or "", {})
            return "Cancelled the unstake request; the shares earn again."

        return await page(request, await run_form("unstake_cancel", form, action))

    @router.post("/insurance/unstake")
    async def unstake(request: Request) -> Response:
        who = web.require_user(request)
        form = await web.form(request, who)

        async def action() -> str:
            result = await web.act("insurance.unstake", who.username or "", {})
            return f"Unstaked: {usd(result.get('amount'))} paid to your wallet."

        return await page(request, await run_form("unstake", form, action))


def _stake_value(world: World, username: str) -> int:
    try:
        stake = views.account_view(world, username)["insurance"]
    except KeyError:
        return 0
    return 0 if stake is None else stake["value"]
