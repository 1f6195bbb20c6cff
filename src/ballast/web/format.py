"""How pages show engine integers: exact decimal text from the integers (no float rounding on
the way), with the unit. Registered as Jinja filters by ballast.web.app."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

__all__ = ["FILTERS", "usd", "units", "pct", "utc", "symbol"]


def units(value: int | str | None, decimals: int, places: int) -> str:
    """`value` (an integer of 10**-decimals units) with `places` decimals, thousands separated,
    rounded half away from zero; "–" for None."""
    if value is None:
        return "–"
    amount = Decimal(int(value)).scaleb(-decimals)
    return f"{amount.quantize(Decimal(1).scaleb(-places), rounding='ROUND_HALF_UP'):,.{places}f}"


def usd(value: int | None, places: int = 2) -> str:
    """Quote 1e6 as dollars: "$1,234.56" ("-$3.20" when negative)."""
    if value is None:
        return "–"
    text = units(abs(int(value)), 6, places)
    return f"-${text}" if int(value) < 0 else f"${text}"


def price(value: int | None) -> str:
    """A price (1e6) in dollars with 2 to 4 decimals (4 below $10)."""
    if value is None:
        return "–"
    return usd(value, 4 if abs(int(value)) < 10_000_000 else 2)


def base(value: int | None, places: int = 4) -> str:
    """Base 1e9 (or BAL shares 1e9) with `places` decimals."""
    return units(value, 9, places)


def pct(value: float | None, places: int = 2) -> str:
    return "–" if value is None else f"{value:+,.{places}f}%"


def utc(ts: int | None) -> str:
    """Unix seconds as "2026-01-01 00:00 UTC"."""
    return "–" if ts is None else datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%d %H:%M UTC")


def duration(seconds: int | None) -> str:
    """Seconds as "2d 03h 15m" (or "0m")."""
    if seconds is None:
        return "–"
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    return (f"{days}d " if days else "") + (f"{hours:02d}h " if days or hours else "") + f"{minutes:02d}m"


def symbol(market: str) -> str:
    """The base token's symbol of a market name: "SOL" for "SOL-PERP"."""
    return market.split("-")[0]


FILTERS = {"usd": usd, "price": price, "base": base, "units": units, "pct": pct, "utc": utc, "duration": duration}
