"""The Perpetual Protocol v2 "Curie" venue: one `ClearingHouse` per venue, one virtual Uniswap v3
pool per scenario market, range makers instead of BAL.

Market setup (per scenario market, parameters from the venue's `[venues.curie]`, see
`scenario.CurieParams`): `add_pool` at the opening oracle price with the Uniswap fee tier, the
exchange fee ratio, the insurance fund's fee ratio and the max price spread; the protocol
ratios (im, mm, liquidation penalty, max funding rate, TWAP interval) go into the
ClearingHouseConfig.

Prices, every step: the oracle reading is published as the index price (`update_index_price`,
18 dec = oracle 1e6 x 1e12) and, with `mark_price = "oracle"` (the default), also as the
mark price (`update_mark_price`): accounts are valued and liquidated at the oracle, as Drift
values them. With `mark_price = "formula"` the engine's v2.8 median formula is used.

Units: the venue speaks the sim's units to agents (prices and quote 1e6, base 1e9) and
converts: base x 1e9 -> 18 dec, USDC 6 dec as is. Taker orders are rounded toward zero to
0.01 base (Drift's order step in the sim) so both venues receive the same order sizes.

Takers: a market order of base b becomes `open_position`: a buy is quote->base with exact
output b, a sell base->quote with exact input b; `market_order_quote` trades a quote amount
(buy: exact input, sell: exact output). Every order carries a sqrt price limit
`taker_price_band_pct` away from the oracle (or the caller's limit price): beyond it the order
fills partially (for a buy, exact output with a limit stops there).

Keepers (`CurieKeepers`): every `liquidation_check_every_minutes`, a watched account with
orders whose free collateral by mmRatio is negative or that is liquidatable goes through
`liquidate_maker` (stage 1 `cancel_all_excess_orders`, stage 2 `liquidate` by the keeper's
liquidator); a liquidatable account without orders is `liquidate`d market by market; the
liquidator then closes what it took over with a reduce-only order. Funding needs no keeper
(Curie settles it on every touch).

Books (read from `ClearingHouse.events` after each action, kept in 18 dec): taker fees paid
(PositionChanged of a trade: `fee`), funding settled (FundingPaymentSettled, positive =
received here), maker fees realized (LiquidityChanged `quote_fee`), liquidations
(PositionLiquidated; the PositionChanged pair of a liquidation carries the penalty as its fee,
which is left in inventory as on Drift).

Timeseries columns (same as the Drift venue; Curie meaning): `mark_price_usd` the pool's spot
price (where takers trade; the engine's mark price is the oracle by default),
`bid/ask_price_usd` spot x (1 -/+ exchange fee), `oi_long/short_base` the takers' long / short
taker positions (makers excluded), `amm_base` the makers' summed impermanent position,
`lp_unsettled_base` 0, `lp_shares_total` the pool's active liquidity / 1e18, `bal_*` null,
`funding_rate` the capped premium market TWAP - index TWAP over `twap_interval` per base per
hour (USD), `cumulative_funding_rate_long` the stored global twPremium / 86400 (USD per base),
`pnl_pool_usd` and `revenue_pool_usd` 0 (Curie has neither), `fee_pool_usd` the maker fees
charged but not yet realized, `insurance_fund_usd` the insurance fund account's value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ballast.curie.clearing_house import INSURANCE_FUND, ClearingHouse
from ballast.curie.errors import CurieError
from ballast.curie.events import (
    FundingPaymentSettled,
    LiquidityChanged,
    PositionChanged,
    PositionLiquidated,
)
from ballast.curie.math.perp_math import Q96
from ballast.curie.state import ClearingHouseConfig
from ballast.curie.univ3 import liquidity_amounts, tick_math
from ballast.fixed import MathError, div_trunc
from ballast.sim.scenario import KeepersConfig, Scenario, VenueConfig
from ballast.sim.venues.base import ArbitrageTarget, OrderResult, arbitrage_side

__all__ = ["CurieVenue", "CurieBook", "CurieKeepers", "LIQUIDATOR"]

LIQUIDATOR = "keeper-liquidator"
E18 = 10**18
PRICE_TO_18 = 10**12  # price 1e6 -> 18 dec
BASE_TO_18 = 10**9  # base 1e9 -> 18 dec
QUOTE_TO_18 = 10**12  # quote 1e6 -> 18 dec
ORDER_STEP = 10**7  # 0.01 base (1e9): the sim's Drift order step
_ERRORS = (CurieError, MathError)


def sqrt_price_x96(price: int) -> int:
    """Sqrt price X96 of a 1e6 price (both virtual tokens have 18 decimals), floored."""
    return math.isqrt(price * (1 << 192) // 10**6)


def price_from_sqrt(sqrt_x96: int) -> int:
    """1e6 price of a sqrt price X96, floored."""
    return sqrt_x96 * sqrt_x96 * 10**6 >> 192


@dataclass
class CurieBook:
    """Books of one agent on a Curie venue: 18-dec sums from the engine's events, and counts."""

    fees_paid_18: int = 0
    funding_settled_18: int = 0  # received (+) / paid (-)
    maker_fees_18: int = 0
    dust_fees: int = 0
    fills: int = 0
    rejected: int = 0  # refused instructions (`call`); market orders return an OrderResult
    liquidated: int = 0

    @property
    def fees_paid(self) -> int:
        return div_trunc(self.fees_paid_18, QUOTE_TO_18)

    @property
    def funding_settled(self) -> int:
        return div_trunc(self.funding_settled_18, QUOTE_TO_18)


@dataclass
class CurieVenue:
    config: VenueConfig
    name: str = ""
    house: ClearingHouse = field(default_factory=ClearingHouse)
    markets: dict[str, str] = field(default_factory=dict)  # scenario market -> base token (same name)
    books: dict[str, CurieBook] = field(default_factory=dict)
    oracles: dict[str, int] = field(default_factory=dict)
    liquidations: int = 0
    taker_fees_18: int = 0
    events: list = field(default_factory=list)
    keep_events: bool = True
    _seen: int = 0
    _milestone: bool = False
    _liquidating: bool = False

    def __post_init__(self) -> None:
        self.name = self.config.name
        self.params = self.config.curie_params

    # --- setup ---------------------------------------------------------------------------

    def setup(self, scenario: Scenario, first_prices: dict[str, int]) -> None:
        p = self.params
        self.house = ClearingHouse(
            config=ClearingHouseConfig(
                im_ratio=p.im_ratio,
                mm_ratio=p.mm_ratio,
                liquidation_penalty_ratio=p.liquidation_penalty_ratio,
                max_funding_rate=p.max_funding_rate,
                twap_interval=p.twap_interval,
            )
        )
        house = self.house
        house.update_clock(scenario.start_ts)
        self.keep_events = scenario.outputs.keep_events
        for market in scenario.markets:
            price = first_prices[market.name]
            house.add_pool(
                market.name,
                sqrt_price_x96(price),
                p.uniswap_fee_tier,
                p.exchange_fee_ratio,
                p.insurance_fund_fee_ratio,
                p.max_price_spread_ratio,
            )
            self.markets[market.name] = market.name
            self._publish(market.name, price)
        if scenario.keepers.liquidations:
            self.fund(LIQUIDATOR, round(scenario.keepers.liquidator_collateral_usd * 10**6))
        self.process_events()

    def fund(self, authority: str, amount: int) -> None:
        """Open `authority`'s book and deposit `amount` USDC (6 dec)."""
        self.books.setdefault(authority, CurieBook())
        if amount > 0:
            self.house.deposit(authority, amount)

    # --- time ----------------------------------------------------------------------------

    def _publish(self, market: str, price: int) -> None:
        self.oracles[market] = price
        self.house.update_index_price(market, price * PRICE_TO_18)
        if self.params.mark_price == "oracle":
            self.house.update_mark_price(market, price * PRICE_TO_18)

    def step(self, ts: int, prices: dict[str, int]) -> None:
        self.house.update_clock(ts)
        for name in self.markets:
            self._publish(name, prices[name])

    # --- actions ---------------------------------------------------------------------------

    def _limit(self, market: str, buy: bool, limit_price: int | None) -> int:
        if limit_price is None:
            band = round(self.params.taker_price_band_pct * 10_000)
            oracle = self.oracles[market]
            limit_price = oracle * (1_000_000 + band) // 1_000_000 if buy else oracle * (1_000_000 - band) // 1_000_000
        limit = sqrt_price_x96(max(1, limit_price))
        return min(max(limit, tick_math.MIN_SQRT_RATIO + 1), tick_math.MAX_SQRT_RATIO - 1)

    def _open(self, authority: str, market: str, is_base_to_quote: bool, is_exact_input: bool, amount: int,
              limit: int) -> tuple[int, int] | str:
        """`open_position` -> (|base|, |quote|) traded (18 dec), or the engine error's class name."""
        try:
            traded = self.house.open_position(authority, market, is_base_to_quote, is_exact_input, amount, 0, limit)
        except _ERRORS as error:
            return type(error).__name__
        self.process_events()
        return traded

    def market_order(self, authority: str, market: str, base: int, reduce_only: bool = False,
                     limit_price: int | None = None) -> OrderResult:
        """A market order of `base` (1e9, signed: > 0 buys) rounded toward zero to 0.01 base;
        `reduce_only` caps it at the taker position and requires the opposite side;
        `limit_price` (1e6) replaces the default price band. Returns an OrderResult (see
        ballast.sim.venues): "rejected" with the engine error's class name (e.g.
        "SqrtPriceLimit": the pool is already past the limit), "below_order_step" or
        "reduce_only_nothing_to_reduce"; "partial" / "unfilled" with reason "limit_price"
        (the price band or the caller's limit stopped it)."""
        size = abs(base) // ORDER_STEP * ORDER_STEP
        if reduce_only:
            position = self.taker_position(authority, market)
            if position == 0 or (position > 0) == (base > 0):
                return OrderResult(base, 0, "rejected", "reduce_only_nothing_to_reduce")
            size = min(size, abs(position))
        if size == 0:
            return OrderResult(base, 0, "rejected", "below_order_step")
        sell = base < 0
        traded = self._open(authority, market, sell, sell, size * BASE_TO_18, self._limit(market, not sell, limit_price))
        if isinstance(traded, str):
            return OrderResult(base, 0, "rejected", traded)
        filled = div_trunc(traded[0], BASE_TO_18)
        signed = -filled if sell else filled
        if filled >= size:
            return OrderResult(base, signed, "filled")
        return OrderResult(base, signed, "partial" if filled else "unfilled", "limit_price")

    def market_order_quote(self, authority: str, market: str, quote: int, limit_price: int | None = None) -> bool:
        """A market order for `quote` (1e6, signed: > 0 buys base for that much quote, exact
        input; < 0 sells base for that much quote, exact output); whether anything traded."""
        if quote == 0:
            return False
        buy = quote > 0
        traded = self._open(authority, market, not buy, buy, abs(quote) * QUOTE_TO_18, self._limit(market, buy, limit_price))
        return not isinstance(traded, str) and traded[0] > 0

    def call(self, authority: str, fn, *args):
        """Run an instruction; count a refusal in `authority`'s book and return None."""
        try:
            result = fn(*args)
        except _ERRORS:
            if authority in self.books:
                self.books[authority].rejected += 1
            return None
        self.process_events()
        return result

    # --- makers ----------------------------------------------------------------------------

    def tick(self, market: str) -> int:
        return self.house.markets[market].pool.tick

    def tick_spacing(self, market: str) -> int:
        return self.house.markets[market].pool.tick_spacing

    def range_around(self, market: str, width_ticks: int) -> tuple[int, int]:
        """[lower, upper) about `width_ticks` wide (rounded up to whole tick spacings, at least
        one) centred on the pool's current tick, both on the tick spacing."""
        spacing = self.tick_spacing(market)
        n = max(1, -(-width_ticks // spacing))
        tick = self.tick(market)
        lower = (tick - n * spacing // 2) // spacing * spacing
        if lower + n * spacing <= tick:
            lower += spacing
        lower = max(lower, -(tick_math.MAX_TICK // spacing) * spacing)
        upper = min(lower + n * spacing, tick_math.MAX_TICK // spacing * spacing)
        return lower, upper

    def add_range(self, maker: str, market: str, lower: int, upper: int, amount: int) -> int | None:
        """Add liquidity worth `amount` USDC (6 dec) at the pool price on [lower, upper):
        liquidity L = value x Q96 / ((S - Sa) + S (Sb - S) / Sb) (X96 sqrt prices: the quote
        value of L at S), then the base and quote L needs (rounded down). Returns the liquidity added,
        or None when the engine refused (counted)."""
        pool = self.house.markets[market].pool
        sp = pool.sqrt_price_x96
        sa, sb = tick_math.get_sqrt_ratio_at_tick(lower), tick_math.get_sqrt_ratio_at_tick(upper)
        if not sa <= sp < sb:
            return None  # the policy only adds ranges around the price
        per_liquidity = (sp - sa) + sp * (sb - sp) // sb  # quote value (x Q96) of one unit of L
        liquidity = amount * QUOTE_TO_18 * Q96 // per_liquidity
        base, quote = liquidity_amounts.get_amounts_for_liquidity(sp, sa, sb, liquidity)
        result = self.call(maker, self.house.add_liquidity, maker, market, base, quote, lower, upper)
        return None if result is None else result[3]

    def remove_range(self, maker: str, market: str, lower: int, upper: int) -> bool:
        """Remove the maker's whole order on [lower, upper) (fees realized, the impermanent
        position becomes a taker position)."""
        order = self.house.get_open_order(maker, market, lower, upper)
        if order is None:
            return False
        return self.call(maker, self.house.remove_liquidity, maker, market, lower, upper, order.liquidity) is not None

    def order_liquidity(self, maker: str, market: str) -> int:
        account = self.house.accounts.get(maker)
        return sum(o.liquidity for o in account.orders.get(market, ())) if account else 0

    # --- reads -------------------------------------------------------------------------------

    def oracle(self, market: str) -> int:
        return self.oracles[market]

    def pool_price(self, market: str) -> int:
        """The pool's spot price, 1e6."""
        return price_from_sqrt(self.house.markets[market].pool.sqrt_price_x96)

    def now(self) -> int:
        return self.house.now

    def order_step(self, market: str) -> int:
        return ORDER_STEP

    def arbitrage_target(self, market: str, min_edge_bps: float, close_fraction_pct: float) -> ArbitrageTarget | None:
        """Buy when the pool's spot price is below the oracle by more than the taker fee plus
        `min_edge_bps` (rounded to whole bps), sell when above by as much; no size, the
        limit price `spot + close_fraction_pct x (oracle - spot)` (the order stops there, so
        the ranges' liquidity sizes it)."""
        oracle = self.oracle(market)
        mid = self.pool_price(market)
        side, _hurdle = arbitrage_side(oracle, mid, mid, self.taker_fee(market), min_edge_bps)
        if side == 0:
            return None
        return ArbitrageTarget(side, None, mid + (oracle - mid) * round(close_fraction_pct * 100) // 10_000)

    def taker_fee(self, market: str) -> tuple[int, int]:
        """(numerator, denominator) of the taker fee."""
        return self.house.markets[market].info.exchange_fee_ratio, 1_000_000

    def quotes(self, market: str) -> tuple[int, int, int]:
        """(spot price, spot x (1 - fee), spot x (1 + fee)), 1e6."""
        mid = self.pool_price(market)
        fee, den = self.taker_fee(market)
        return mid, mid * (den - fee) // den, mid * (den + fee) // den

    def base_position(self, authority: str, market: str) -> int:
        """Taker + impermanent position, base 1e9 (truncated)."""
        return div_trunc(self.house.get_total_position_size(authority, market), BASE_TO_18)

    def taker_position(self, authority: str, market: str) -> int:
        return div_trunc(self.house.get_taker_position_size(authority, market), BASE_TO_18)

    def nav(self, authority: str) -> int:
        """Account value, USDC 6 dec (the engine's value is truncated to 6 decimals)."""
        return div_trunc(self.house.get_account_value(authority), QUOTE_TO_18)

    def fees_and_funding(self, authority: str, market: str) -> tuple[int, int]:
        """(fees, funding) since the start, quote 1e6, truncated: fees = maker fees realized +
        pending - taker fees paid; funding = settled + pending (received positive)."""
        book = self.books[authority]
        house = self.house
        account = house.accounts.get(authority)
        pending_fee = pending_funding = 0
        if account is not None and market in account.markets:
            if account.orders.get(market):
                pending_fee = house.get_pending_fee(authority, market)
            pending_funding = house.get_pending_funding_payment(authority, market)
        fees = book.maker_fees_18 + pending_fee - book.fees_paid_18
        funding = book.funding_settled_18 - pending_funding
        return div_trunc(fees, QUOTE_TO_18), div_trunc(funding, QUOTE_TO_18)

    def audit_error(self) -> str | None:
        report = self.house.audit()
        if report.balanced:
            return None
        parts = [f"quote difference {report.quote_difference}"]
        parts += [f"{m} base difference {d}" for m, d in report.base_difference.items() if d]
        return "; ".join(parts + list(report.mismatches))

    def state_digest(self) -> str:
        return self.house.state_digest()

    def market_rows(self, step: int, ts: int) -> list[dict]:
        """One timeseries row per market (see the module docstring for the columns' meaning)."""
        house = self.house
        rows = []
        twap = house.config.twap_interval
        for name in self.markets:
            state = house.markets[name]
            pool = state.pool
            mid, bid, ask = self.quotes(name)
            longs = shorts = makers = 0
            for account in house.accounts.values():
                info = account.markets.get(name)
                if info is None:
                    continue
                size = info.taker_position_size
                if account.orders.get(name):
                    makers += house.get_impermanent_position(account.trader, name)
                elif size > 0:
                    longs += size
                else:
                    shorts += size
            index_twap = house.get_index_price(name, twap)
            premium = house.get_market_price(name, twap) - index_twap
            cap = index_twap * house.config.max_funding_rate // 1_000_000
            premium = max(-cap, min(cap, premium))
            ledger = state.ledger
            rows.append({
                "step": step,
                "ts": ts,
                "venue": self.name,
                "market": name,
                "oracle_price_usd": self.oracles[name] / 1e6,
                "mark_price_usd": mid / 1e6,
                "bid_price_usd": bid / 1e6,
                "ask_price_usd": ask / 1e6,
                "oi_long_base": longs / 1e18,
                "oi_short_base": -shorts / 1e18,
                "amm_base": makers / 1e18,
                "lp_unsettled_base": 0.0,
                "lp_shares_total": pool.liquidity / 1e18,
                "bal_index_quote": None,
                "bal_share_value_quote": None,
                "funding_rate": premium / 1e18 / 24,
                "cumulative_funding_rate_long": state.funding_growth_global.tw_premium_x96 / Q96 / 86_400 / 1e18,
                "pnl_pool_usd": 0.0,
                "fee_pool_usd": (ledger.maker_fee_charged - ledger.maker_fee_realized) / 1e18,
                "revenue_pool_usd": 0.0,
                "insurance_fund_usd": house.get_account_value(INSURANCE_FUND) / 1e18,
            })
        return rows

    def summary_stats(self) -> dict:
        """Venue statistics for the run summary (the Drift venue's names where they apply)."""
        house = self.house
        fee_pool = sum(m.ledger.maker_fee_charged - m.ledger.maker_fee_realized for m in house.markets.values())
        return {
            "total_fees_usd": self.taker_fees_18 / 1e18,
            "liquidations": self.liquidations,
            "insurance_fund_end_usd": house.get_account_value(INSURANCE_FUND) / 1e18,
            "pnl_pool_end_usd": 0.0,
            "fee_pool_end_usd": fee_pool / 1e18,
            "revenue_pool_end_usd": 0.0,
        }

    # --- liquidations ------------------------------------------------------------------------

    def liquidate_maker(self, trader: str) -> None:
        """Stage 1 and 2 for a maker (ClearingHouse.liquidate_maker, keeper = LIQUIDATOR)."""
        self._liquidating = True
        try:
            self.house.liquidate_maker(LIQUIDATOR, trader)
        except _ERRORS:
            self.books[LIQUIDATOR].rejected += 1
        finally:
            self.process_events()
            self._liquidating = False

    def liquidate(self, trader: str, market: str) -> None:
        self._liquidating = True
        try:
            self.house.liquidate(LIQUIDATOR, trader, market)
        except _ERRORS:
            self.books[LIQUIDATOR].rejected += 1
        finally:
            self.process_events()
            self._liquidating = False

    # --- event books ---------------------------------------------------------------------------

    def _book(self, trader: str) -> CurieBook | None:
        return self.books.get(trader)

    def take_milestone(self) -> bool:
        milestone, self._milestone = self._milestone, False
        return milestone

    def take_new_events(self) -> list:
        """Fold the engine's new events into the books, then hand every event the engine holds
        to the caller and clear its list (a long-running service keeps no event history in
        the engine)."""
        self.process_events()
        events = list(self.house.events)
        del self.house.events[:]
        self._seen = 0
        return events

    def process_events(self) -> None:
        """Fold the engine's new events into the books (and keep them when asked), noting a
        milestone (Venue.take_milestone)."""
        events = self.house.events
        new = events[self._seen :]
        if not new:
            return
        self._seen = len(events)
        if self.keep_events:
            self.events.extend(new)
        for event in new:
            kind = type(event)
            if kind is PositionChanged:
                if self._liquidating or event.fee == 0:
                    continue  # a maker's realized position, or a liquidation (penalty in `fee`)
                self.taker_fees_18 += event.fee
                book = self._book(event.trader)
                if book is not None:
                    book.fees_paid_18 += event.fee
                    book.fills += 1
            elif kind is FundingPaymentSettled:
                book = self._book(event.trader)
                if book is not None:
                    book.funding_settled_18 -= event.funding_payment
            elif kind is LiquidityChanged:
                if event.liquidity != 0:
                    self._milestone = True
                book = self._book(event.maker)
                if book is not None:
                    book.maker_fees_18 += event.quote_fee
            elif kind is PositionLiquidated:
                self._milestone = True
                self.liquidations += 1
                book = self._book(event.trader)
                if book is not None:
                    book.liquidated += 1


class CurieKeepers:
    """Liquidation keeper of a Curie venue (see the module docstring)."""

    def __init__(self, config: KeepersConfig, venue: CurieVenue, users: list[str], step_seconds: int) -> None:
        self.config = config
        self.venue = venue
        self.users = users
        self.every = max(1, config.liquidation_check_every_minutes * 60 // step_seconds)

    def run(self, step: int, ts: int) -> None:
        if self.config.liquidations and step % self.every == 0:
            self.liquidate()

    def liquidate(self) -> None:
        venue = self.venue
        house = venue.house
        mm = house.config.mm_ratio
        for user in self.users:
            account = house.accounts.get(user)
            if account is None or not account.markets:
                continue
            has_orders = any(account.orders.values())
            liquidatable = house.is_liquidatable(user)
            if has_orders and (liquidatable or house.get_free_collateral_by_ratio(user, mm) < 0):
                venue.liquidate_maker(user)
            elif liquidatable:
                for market in list(account.markets):
                    if house.get_taker_position_size(user, market) != 0:
                        venue.liquidate(user, market)
            else:
                continue
            for market in venue.markets:
                taken = venue.taker_position(LIQUIDATOR, market)
                if taken:
                    venue.market_order(LIQUIDATOR, market, -taken, reduce_only=True)
