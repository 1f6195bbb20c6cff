"""The Drift v2 venue (with BAL): one `Exchange` per venue, markets from the scenario.

Besides wrapping instructions for the agents, the venue keeps the books the PnL decomposition
needs, by reading the engine's typed events after each action:

* per agent: taker fees paid (OrderActionRecord fills, `taker_fee`), funding settled
  (FundingPaymentRecord), residual (dust) fees paid on removal (LPRecord RemoveLiquidity);
* per market: `fee_per_lp`, the fee part of the per-LP quote accumulator: for every AMM fill
  while the market has LP shares, `trunc(slice(taker_fee) * per_lp_unit / sqrt_k)` — the
  term `calculate_per_lp_delta` adds for the fee (the fill's `fee_to_market_for_lp` is the
  taker fee: place-and-take has no filler or referrer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ballast.drift.bal import BalPerformance
from ballast.drift.constants import (
    BASE_PRECISION,
    ONE_HOUR,
    PEG_PRECISION,
    PRICE_PRECISION,
    QUOTE_PRECISION,
)
from ballast.drift.errors import DriftError
from ballast.drift.events import (
    FundingPaymentRecord,
    LiquidationRecord,
    LPAction,
    LPRecord,
    OrderAction,
    OrderActionRecord,
)
from ballast.drift.exchange import Exchange
from ballast.drift.math.amm import bid_ask_price, reserve_price
from ballast.drift.math.lp import get_lp_fee_slice, get_per_lp_base_unit
from ballast.drift.math.spot_balance import get_token_amount
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.perp_market import ContractTier
from ballast.drift.state.spot_market import SpotBalanceType
from ballast.drift.state.user import OrderType, PositionDirection
from ballast.fixed import MathError, div_trunc, proportion_signed
from ballast.sim.scenario import Scenario, VenueConfig

__all__ = ["DriftVenue", "AgentBook", "LIQUIDATOR", "usd"]

LIQUIDATOR = "keeper-liquidator"
_DEPOSIT = SpotBalanceType.Deposit


def usd(dollars: float) -> int:
    """Dollars -> quote 1e6 (rounded)."""
    return round(dollars * QUOTE_PRECISION)


@dataclass
class AgentBook:
    """Integer books (quote 1e6) of one agent on one venue, filled from engine events."""

    fees_paid: int = 0
    funding_settled: int = 0
    dust_fees: int = 0
    fills: int = 0
    rejected: int = 0
    liquidated: int = 0


@dataclass
class DriftVenue:
    config: VenueConfig
    name: str = ""
    exchange: Exchange = field(default_factory=Exchange)
    markets: dict[str, int] = field(default_factory=dict)
    market_names: dict[int, str] = field(default_factory=dict)
    books: dict[str, AgentBook] = field(default_factory=dict)
    fee_per_lp: dict[int, int] = field(default_factory=dict)
    bal: BalPerformance = field(default_factory=BalPerformance)
    liquidations: int = 0
    events: list = field(default_factory=list)
    keep_events: bool = True
    _seen: int = 0

    def __post_init__(self) -> None:
        self.name = self.config.name

    # --- setup ---------------------------------------------------------------------------

    def setup(self, scenario: Scenario, first_prices: dict[str, int]) -> None:
        ex = self.exchange
        ex.update_clock(scenario.start_ts)
        fund = self.config.insurance_fund
        if fund is None:
            ex.initialize_spot_market()
        else:
            ex.initialize_spot_market(
                total_if_factor=fund.total_if_factor,
                user_if_factor=fund.user_if_factor,
                unstaking_period=round(fund.unstaking_period_days * 86_400),
                revenue_settle_period=fund.revenue_settle_period_seconds,
            )
        ex.update_lp_cooldown_time(self.config.lp_cooldown_seconds)
        self.keep_events = scenario.outputs.keep_events
        for base_market in scenario.markets:
            m = scenario.market_for(self.config, base_market)
            index = ex.state.number_of_markets
            price = first_prices[m.name]
            reserves = m.base_liquidity_base * BASE_PRECISION
            ex.initialize_perp_market(
                market_index=index,
                amm_base_asset_reserve=reserves,
                amm_quote_asset_reserve=reserves,
                amm_periodicity=ONE_HOUR,
                amm_peg_multiplier=max(1, price * PEG_PRECISION // PRICE_PRECISION),
                oracle_price=price,
                margin_ratio_initial=m.margin_ratio_initial,
                margin_ratio_maintenance=m.margin_ratio_maintenance,
                liquidator_fee=m.liquidator_fee,
                if_liquidation_fee=m.if_liquidation_fee,
                base_spread=m.base_spread,
                max_spread=m.max_spread,
                max_revenue_withdraw_per_period=usd(m.max_revenue_withdraw_per_period_usd),
                quote_max_insurance=usd(m.quote_max_insurance_usd),
                order_step_size=BASE_PRECISION // 100,
                order_tick_size=100,
                min_order_size=BASE_PRECISION // 100,
                curve_update_intensity=m.curve_update_intensity,
                contract_tier=ContractTier.B,
                lp_fee_slice=m.lp_fee_slice,
                name=m.name,
            )
            self.markets[m.name] = index
            self.market_names[index] = m.name
            self.fee_per_lp[index] = 0
        if scenario.keepers.liquidations:
            self.fund(LIQUIDATOR, usd(scenario.keepers.liquidator_collateral_usd))

    def fund(self, authority: str, amount: int) -> None:
        """Create the subaccount `authority/0` and deposit `amount` USDC (1e6)."""
        self.exchange.initialize_user(authority, 0)
        self.books.setdefault(authority, AgentBook())
        if amount > 0:
            self.exchange.deposit(authority, 0, 0, amount)

    # --- time ----------------------------------------------------------------------------

    def step(self, ts: int, prices: dict[str, int]) -> None:
        ex = self.exchange
        ex.update_clock(ts)
        for name, index in self.markets.items():
            price = prices[name]
            ex.update_oracle_price(index, price, confidence=price // 10_000)

    # --- actions ---------------------------------------------------------------------------

    def market_order(self, authority: str, market: str, base: int, reduce_only: bool = False) -> bool:
        """A market order of `base` (1e9, signed: > 0 buys) rounded toward zero to the step;
        returns whether it filled. Engine refusals are counted in the agent's book."""
        index = self.markets[market]
        step = self.exchange.perp_markets[index].amm.order_step_size
        size = abs(base) // step * step
        if size == 0:
            return False
        params = OrderParams(
            order_type=OrderType.Market,
            direction=PositionDirection.Long if base > 0 else PositionDirection.Short,
            base_asset_amount=size,
            market_index=index,
            reduce_only=reduce_only,
        )
        try:
            self.exchange.place_and_take_perp_order(authority, 0, params)
        except (DriftError, MathError):
            self.books[authority].rejected += 1
            return False
        self.process_events()
        return True

    def call(self, authority: str, fn, *args):
        """Run an instruction; count a refusal in `authority`'s book and return None."""
        try:
            result = fn(*args)
        except (DriftError, MathError):
            if authority in self.books:
                self.books[authority].rejected += 1
            return None
        self.process_events()
        return result

    # --- reads -------------------------------------------------------------------------------

    def position(self, authority: str, market: str):
        return self.exchange.user(authority, 0).get_perp_position(self.markets[market])

    def base_position(self, authority: str, market: str) -> int:
        position = self.position(authority, market)
        return 0 if position is None else position.base_asset_amount

    def oracle(self, market: str) -> int:
        return self.exchange.oracle_map.get_perp(self.markets[market]).price

    def quotes(self, market: str) -> tuple[int, int, int]:
        """(reserve price, bid, ask), 1e6."""
        amm = self.exchange.perp_markets[self.markets[market]].amm
        mid = reserve_price(amm)
        bid, ask = bid_ask_price(amm, mid)
        return mid, bid, ask

    def pools(self, index: int) -> tuple[int, int, int, int]:
        """(pnl pool, fee pool, revenue pool, insurance fund vault), quote 1e6."""
        ex = self.exchange
        market = ex.perp_markets[index]
        quote = ex.spot_markets[0]
        return (
            get_token_amount(market.pnl_pool.scaled_balance, quote, _DEPOSIT),
            get_token_amount(market.amm.fee_pool.scaled_balance, quote, _DEPOSIT),
            get_token_amount(quote.revenue_pool.scaled_balance, quote, _DEPOSIT),
            quote.insurance_fund.vault_amount,
        )

    def audit_error(self) -> str | None:
        report = self.exchange.audit()
        if report.balanced:
            return None
        parts = [f"vault difference {report.vault_difference}"] + list(report.mismatches)
        return "; ".join(parts)

    def state_digest(self) -> str:
        return self.exchange.state_digest()

    # --- event books ---------------------------------------------------------------------------

    def process_events(self) -> None:
        """Fold the engine's new events into the books (and keep them when asked)."""
        events = self.exchange.events
        new = events[self._seen :]
        if not new:
            return
        self._seen = len(events)
        if self.keep_events:
            self.events.extend(new)
        for event in new:
            kind = type(event)
            if kind is OrderActionRecord:
                if event.action is not OrderAction.Fill:
                    continue
                book = self.books.get(_authority(event.taker))
                if book is not None:
                    book.fees_paid += event.taker_fee or 0
                    book.fills += 1
                if event.maker is None and event.taker_fee:
                    self._credit_lp_fee(event.market_index, event.taker_fee)
            elif kind is FundingPaymentRecord:
                book = self.books.get(_authority(event.user))
                if book is not None:
                    book.funding_settled += event.funding_payment
            elif kind is LPRecord and event.action is LPAction.RemoveLiquidity:
                pass  # the provider reads its dust fee off the record itself
            elif kind is LiquidationRecord:
                self.liquidations += 1
                book = self.books.get(_authority(event.user))
                if book is not None:
                    book.liquidated += 1

    def _credit_lp_fee(self, index: int, fee: int) -> None:
        amm = self.exchange.perp_markets[index].amm
        if amm.user_lp_shares == 0:
            return
        numerator, denominator = get_lp_fee_slice(amm)
        unit = get_per_lp_base_unit(amm.per_lp_base)
        self.fee_per_lp[index] += div_trunc(proportion_signed(fee, numerator, denominator) * unit, amm.sqrt_k)


def _authority(key: str | None) -> str | None:
    return None if key is None else key.rsplit("/", 1)[0]
