"""What every venue shares: the protocols agents and the runner use (TradingVenue, Venue), an
order's outcome (OrderResult, OrderStats), the arbitrage read and the dollar helper. The
venue kinds (venues/drift.py, venues/curie.py) build on this module; ballast.sim.venues
re-exports it with `make_venue` (see its docstring for the protocols).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from ballast.drift.constants import QUOTE_PRECISION
from ballast.sim.scenario import Scenario

__all__ = [
    "ArbitrageTarget",
    "OrderResult",
    "OrderStats",
    "OrderStatus",
    "TradingVenue",
    "Venue",
    "arbitrage_side",
    "usd",
]

OrderStatus = Literal["filled", "partial", "unfilled", "rejected"]


@dataclass(frozen=True, slots=True)
class OrderResult:
    """What became of one market order.

    * `intended_base`: the order as asked (base 1e9, signed: > 0 buys), before the venue rounds
      it toward zero to its order step;
    * `filled_base`: what traded (signed, 1e9);
    * `status`: "filled" (the whole rounded order traded), "partial" (some of it),
      "unfilled" (the venue accepted it and nothing traded), "rejected" (refused: a typed
      engine error, or nothing left after rounding to the order step);
    * `reason`: why not all of it traded (None when filled). For "rejected" the engine
      error's class name (e.g. "InsufficientCollateral", "SqrtPriceLimit") or
      "below_order_step"; for "unfilled" / "partial" the venue's code (DriftVenue.market_order
      and CurieVenue.market_order list theirs).

    Truthy when something traded (`filled_base != 0`).
    """

    intended_base: int
    filled_base: int
    status: OrderStatus
    reason: str | None = None

    @property
    def filled(self) -> bool:
        """Whether anything traded."""
        return self.filled_base != 0

    def __bool__(self) -> bool:
        return self.filled_base != 0


@dataclass
class OrderStats:
    """One agent's tally of its market orders (Agent.order records every result here).

    Counts by status, the base asked and traded (sums of |base|, 1e9) and `reasons`: how many
    partial, unfilled or rejected orders gave each reason."""

    attempted: int = 0
    filled: int = 0
    partial: int = 0
    unfilled: int = 0
    rejected: int = 0
    unfilled_at_limit: int = 0  # unfilled orders whose reason is the order's own limit price
    base_intended: int = 0
    base_filled: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    def record(self, result: OrderResult) -> None:
        self.attempted += 1
        setattr(self, result.status, getattr(self, result.status) + 1)
        self.base_intended += abs(result.intended_base)
        self.base_filled += abs(result.filled_base)
        if result.reason is not None:
            self.reasons[result.reason] = self.reasons.get(result.reason, 0) + 1
        if result.status == "unfilled" and result.reason == "limit_price":
            self.unfilled_at_limit += 1

    def summary(self) -> dict[str, object]:
        """The agent's summary keys: `orders_attempted`, `orders_filled`, `orders_partial`,
        `orders_unfilled`, `orders_rejected`, `orders_unfilled_at_limit` (counts),
        `base_intended`, `base_filled` (base units) and `unfilled_reasons` (reason -> count,
        sorted by reason)."""
        return {
            "orders_attempted": self.attempted,
            "orders_filled": self.filled,
            "orders_partial": self.partial,
            "orders_unfilled": self.unfilled,
            "orders_rejected": self.rejected,
            "orders_unfilled_at_limit": self.unfilled_at_limit,
            "base_intended": self.base_intended / 1e9,
            "base_filled": self.base_filled / 1e9,
            "unfilled_reasons": dict(sorted(self.reasons.items())),
        }


def usd(dollars: float) -> int:
    """Dollars -> quote 1e6 (rounded): the one conversion at the sim's dollar edge."""
    return round(dollars * QUOTE_PRECISION)


def arbitrage_side(oracle: int, bid: int, ask: int, fee: tuple[int, int], min_edge_bps: float) -> tuple[int, int]:
    """(side, hurdle): +1 when `ask` is below the oracle by more than the hurdle, -1 when `bid`
    is above it by as much, else 0. The hurdle (1e6, floored) is the taker fee
    (numerator, denominator) of the oracle plus `min_edge_bps` (rounded to whole bps)."""
    numerator, denominator = fee
    hurdle = oracle * (numerator * 10_000 + round(min_edge_bps) * denominator) // (denominator * 10_000)
    if ask < oracle - hurdle:
        return 1, hurdle
    if bid > oracle + hurdle:
        return -1, hurdle
    return 0, hurdle


@dataclass(frozen=True, slots=True)
class ArbitrageTarget:
    """Which way an arbitrageur should trade to move the venue's price toward the oracle.

    `side` +1 buys, -1 sells; `base` (1e9) is the size that closes the asked fraction of the
    gap, or None when the venue sizes the order by `limit_price` (1e6) instead (the order
    stops there)."""

    side: int
    base: int | None
    limit_price: int | None = None


class TradingVenue(Protocol):
    """What an agent may call (see the module docstring). `authority` is the agent's name;
    `market` a scenario market name."""

    name: str

    def now(self) -> int:
        """The venue's clock, unix seconds."""
        ...

    def fund(self, authority: str, amount: int) -> None:
        """Open `authority`'s account and deposit `amount` USDC (1e6)."""
        ...

    def market_order(self, authority: str, market: str, base: int, reduce_only: bool = False,
                     limit_price: int | None = None) -> OrderResult:
        """Trade `base` (1e9, signed) now; `limit_price` (1e6) is the worst price accepted."""
        ...

    def base_position(self, authority: str, market: str) -> int:
        """The position, base 1e9 (signed)."""
        ...

    def oracle(self, market: str) -> int:
        """The oracle price, 1e6."""
        ...

    def quotes(self, market: str) -> tuple[int, int, int]:
        """(mid, bid, ask), 1e6: Drift the AMM's reserve price and its bid/ask (spread in, taker
        fee not); Curie the pool price and that price less / plus the exchange fee."""
        ...

    def taker_fee(self, market: str) -> tuple[int, int]:
        """(numerator, denominator) of the taker fee."""
        ...

    def order_step(self, market: str) -> int:
        """Orders are rounded toward zero to this many base units (1e9)."""
        ...

    def arbitrage_target(self, market: str, min_edge_bps: float, close_fraction_pct: float) -> ArbitrageTarget | None:
        """Where a taker earns more than the taker fee plus `min_edge_bps` by trading the venue's
        price toward the oracle, the side and size (or limit) that close `close_fraction_pct`
        of the gap; None when there is no such edge."""
        ...

    def nav(self, authority: str) -> int:
        """The account's value (equity), quote 1e6."""
        ...

    def fees_and_funding(self, authority: str, market: str) -> tuple[int, int]:
        """(fees, funding) since the start, quote 1e6, as the PnL decomposition counts them
        (see ballast.sim.agents): fees received minus paid, funding received minus paid."""
        ...


class Venue(TradingVenue, Protocol):
    """A venue as the runner drives it."""

    def setup(self, scenario: Scenario, first_prices: dict[str, int]) -> None: ...

    def step(self, ts: int, prices: dict[str, int]) -> None: ...

    def process_events(self) -> None: ...

    def take_milestone(self) -> bool:
        """Whether the events folded since the last call hold a milestone the agents table
        records exactly: a liquidation, liquidity added or removed (BAL shares, Curie ranges),
        an insurance-fund stake changed."""
        ...

    def audit_error(self) -> str | None: ...

    def state_digest(self) -> str: ...
