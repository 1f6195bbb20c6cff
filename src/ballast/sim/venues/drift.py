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

import math
from dataclasses import dataclass, field

from ballast.drift.bal import BalPerformance, lp_shares_for_leverage, lp_shares_for_margin
from ballast.drift.constants import (
    BASE_PRECISION,
    FUNDING_RATE_OFFSET_DENOMINATOR,
    PEG_PRECISION,
    PRICE_PRECISION,
)
from ballast.drift.controller.orders import _has_too_much_drawdown
from ballast.drift.errors import DriftError
from ballast.drift.events import (
    FundingPaymentRecord,
    FundingRateRecord,
    InsuranceFundStakeRecord,
    LiquidationRecord,
    LPAction,
    LPRecord,
    OrderAction,
    OrderActionRecord,
)
from ballast.drift.exchange import Exchange
from ballast.drift.math.amm import bid_ask_price, calculate_amm_available_liquidity, reserve_price
from ballast.drift.math.fees import calculate_filler_reward
from ballast.drift.math.funding import (
    calculate_funding_payment,
    get_max_price_divergence_for_funding_rate,
)
from ballast.drift.math.lp import get_lp_fee_slice, get_per_lp_base_unit
from ballast.drift.math.oracle import is_oracle_too_divergent_with_twap_5min
from ballast.drift.math.spot_balance import get_token_amount
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.perp_market import ContractTier, MarketStatus, PerpOperation
from ballast.drift.state.spot_market import SpotBalanceType
from ballast.drift.state.user import OrderType, PositionDirection
from ballast.fixed import MathError, div_ceil, div_floor, div_trunc, proportion_signed
from ballast.sim.scenario import Scenario, VenueConfig
from ballast.sim.venues.base import ArbitrageTarget, OrderResult, arbitrage_side, usd
from ballast.sim.venues.drift_spot import DriftSpotVenue

__all__ = ["DriftVenue", "AgentBook", "LIQUIDATOR", "FILLER", "usd"]

LIQUIDATOR = "keeper-liquidator"
FILLER = "keeper-filler"
_DEPOSIT = SpotBalanceType.Deposit


@dataclass
class AgentBook:
    """Integer books (quote 1e6) of one agent on one venue, filled from engine events."""

    fees_paid: int = 0
    funding_settled: int = 0
    dust_fees: int = 0
    fills: int = 0
    rejected: int = 0  # refused instructions (`call`); market orders return an OrderResult
    liquidated: int = 0
    derisked: int = 0  # LPRecord RemoveLiquidityDerisk: BAL shares burned by settle_pnl's de-risk


@dataclass
class DriftVenue(DriftSpotVenue):
    config: VenueConfig
    name: str = ""
    exchange: Exchange = field(default_factory=Exchange)
    markets: dict[str, int] = field(default_factory=dict)
    spot_markets: dict[str, int] = field(default_factory=dict)  # spot market of a market's token (drift_spot)
    market_names: dict[int, str] = field(default_factory=dict)
    books: dict[str, AgentBook] = field(default_factory=dict)
    fee_per_lp: dict[int, int] = field(default_factory=dict)
    prices: dict[str, int] = field(default_factory=dict)  # the oracle readings of the current step
    slippage_bps: int = 100
    _filled_order_slot: int | None = None  # set while FILLER fills an order placed at that slot
    confidence_bps: dict[int, int] = field(default_factory=dict)  # the oracle's confidence interval per market
    bal: BalPerformance = field(default_factory=BalPerformance)
    liquidations: int = 0
    funding_samples: list[tuple[int, str, bool]] = field(default_factory=list)  # (ts, market, capped)
    refusals: list[tuple[int, str, str, str]] = field(default_factory=list)  # (ts, agent, instruction, reason)
    events: list = field(default_factory=list)
    keep_events: bool = True
    _seen: int = 0
    _milestone: bool = False

    def __post_init__(self) -> None:
        self.name = self.config.name

    # --- setup ---------------------------------------------------------------------------

    def setup(self, scenario: Scenario, first_prices: dict[str, int]) -> None:
        ex = self.exchange
        ex.update_clock(scenario.start_ts)
        self.prices = dict(first_prices)
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
                amm_periodicity=m.funding_period_seconds,
                amm_peg_multiplier=max(1, price * PEG_PRECISION // PRICE_PRECISION),
                oracle_price=price,
                margin_ratio_initial=m.margin_ratio_initial,
                margin_ratio_maintenance=m.margin_ratio_maintenance,
                liquidator_fee=m.liquidator_fee,
                if_liquidation_fee=m.if_liquidation_fee,
                imf_factor=m.imf_factor,
                base_spread=m.base_spread,
                max_spread=m.max_spread,
                max_open_interest=m.max_open_interest_base * BASE_PRECISION,
                max_revenue_withdraw_per_period=usd(m.max_revenue_withdraw_per_period_usd),
                quote_max_insurance=usd(m.quote_max_insurance_usd),
                order_step_size=m.order_step_size,
                order_tick_size=m.order_tick_size,
                min_order_size=m.min_order_size,
                concentration_coef_scale=m.concentration_coef_scale,
                curve_update_intensity=m.curve_update_intensity,
                amm_jit_intensity=m.amm_jit_intensity,
                contract_tier=ContractTier[m.contract_tier],
                lp_fee_slice=m.lp_fee_slice,
                oracle_confidence=price * m.oracle_confidence_bps // 10_000,
                name=m.name,
            )
            ex.update_perp_market_unrealized_asset_weight(
                index, m.unrealized_pnl_initial_asset_weight, m.unrealized_pnl_maintenance_asset_weight
            )
            for exponent in _steps_toward(m.per_lp_base):
                ex.update_perp_market_per_lp_base(index, exponent)
            if m.initial_fee_pool_usd > 0:
                ex.deposit_into_perp_market_fee_pool(index, usd(m.initial_fee_pool_usd))
            self.confidence_bps[index] = m.oracle_confidence_bps
            self.markets[m.name] = index
            self.market_names[index] = m.name
            self.fee_per_lp[index] = 0
        if scenario.keepers.liquidations:
            self.fund(LIQUIDATOR, usd(scenario.keepers.liquidator_collateral_usd))
        self.fund(FILLER, 0)
        self.slippage_bps = round(self.config.market_order_slippage_pct * 100)

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
        self.prices = prices
        for name, index in self.markets.items():
            price = prices[name]
            ex.update_oracle_price(index, price, confidence=price * self.confidence_bps[index] // 10_000)
        if self.spot_markets:
            self.step_spot_oracles()

    # --- actions ---------------------------------------------------------------------------

    def market_order(self, authority: str, market: str, base: int, reduce_only: bool = False,
                     limit_price: int | None = None, sub_account_id: int = 0) -> OrderResult:
        """A market order (`place_and_take_perp_order`) of `base` (1e9, signed: > 0 buys) by
        `authority`'s subaccount `sub_account_id`,
        rounded toward zero to the order step; `limit_price` (1e6) is the worst price it
        accepts (default: the oracle moved `market_order_slippage_pct` against the taker). What
        the AMM cannot take at once waits out the order's auction and is filled by the keeper
        filler (`_fill_after_auction`), as Drift's filler bots do; what is left after that is
        cancelled. Returns an OrderResult (see ballast.sim.venues); the reason of an
        "unfilled" or "partial" one:

        * the explanation of the engine's Cancel/Expire record for the order, in snake case
          (e.g. "reduce_only_order_increased_position");
        * else, as fill_perp_order checks them: "user_being_liquidated", "oracle_twap_divergence"
          (the oracle too far from its 5-minute TWAP), "amm_paused", "amm_drawdown" (the
          market lost too much since the last funding), "amm_liquidity" (the AMM's available
          base on that side, `calculate_amm_available_liquidity`, was the limit), "limit_price"
          (the AMM's price, after its update at the fill, is beyond the order's limit)."""
        index = self.markets[market]
        ex = self.exchange
        amm = ex.perp_markets[index].amm
        step = amm.order_step_size
        size = abs(base) // step * step
        if size == 0:
            return OrderResult(base, 0, "rejected", "below_order_step")
        direction = PositionDirection.Long if base > 0 else PositionDirection.Short
        params = OrderParams(
            order_type=OrderType.Market,
            direction=direction,
            base_asset_amount=size,
            market_index=index,
            reduce_only=reduce_only,
            price=limit_price if limit_price is not None else self._slippage_limit(market, direction),
        )
        user = ex.user(authority, sub_account_id)
        order_id = user.next_order_id
        order_slot = ex.slot
        available = calculate_amm_available_liquidity(amm, direction)
        mark = len(ex.events)
        try:
            filled, _quote = ex.place_and_take_perp_order(authority, sub_account_id, params)
        except (DriftError, MathError) as error:
            return OrderResult(base, 0, "rejected", type(error).__name__)
        self.process_events()
        if filled < size and user.get_order(order_id) is not None:
            filled += self._fill_after_auction(authority, order_id, order_slot, sub_account_id)
        signed = filled if base > 0 else -filled
        if filled == size:
            result = OrderResult(base, signed, "filled")
        else:
            reason = self._not_filled_reason(ex.events[mark:], user, index, order_id, direction, filled, available)
            result = OrderResult(base, signed, "partial" if filled else "unfilled", reason)
            if user.get_order(order_id) is not None:
                ex.cancel_order(authority, sub_account_id, order_id)
        self.process_events()
        return result

    def _slippage_limit(self, market: str, direction: PositionDirection) -> int:
        """The worst price a market order accepts: the oracle moved `slippage_bps` against the
        taker (1e6, on the order tick)."""
        oracle = self.oracle(market)
        tick = self.exchange.perp_markets[self.markets[market]].amm.order_tick_size
        if direction is PositionDirection.Long:
            return _on_tick(div_floor(oracle * (10_000 + self.slippage_bps), 10_000), tick, up=False)
        return _on_tick(div_floor(oracle * (10_000 - self.slippage_bps), 10_000), tick, up=True)

    def _fill_after_auction(self, authority: str, order_id: int, order_slot: int, sub_account_id: int = 0) -> int:
        """What a filler bot does with an order the AMM could not take at once: wait out the
        order's auction (its `auction_duration`, at least `min_perp_auction_duration` slots;
        the clock's seconds stay, the oracles are republished at the new slot) and
        `fill_perp_order` it against the AMM, which fills at its own price within the order's
        limit. The AMM fills at the same price at the first slot where the auction price
        crosses it, so only the filler's time-based reward sees the later slot.
        Returns the base filled (0 when the fill is refused or fills nothing)."""
        ex = self.exchange
        order = ex.user(authority, sub_account_id).get_order(order_id)
        wait = max(order.auction_duration, ex.state.min_perp_auction_duration) + 1
        ex.update_clock(ex.now, ex.slot + wait)
        self.step(ex.now, self.prices)
        self._filled_order_slot = order_slot
        try:
            filled, _quote = ex.fill_perp_order(FILLER, 0, authority, sub_account_id, order_id)
        except (DriftError, MathError):
            filled = 0
        self.process_events()
        self._filled_order_slot = None
        return filled

    def _not_filled_reason(self, events: list, user, index: int, order_id: int, direction: PositionDirection,
                           filled: int, available: int) -> str:
        """Why an order did not fill completely (see market_order), read after the fact from
        the engine's records and the market the fill saw."""
        for event in events:
            if (type(event) is OrderActionRecord and event.taker_order_id == order_id
                    and event.taker == user.key and event.action in (OrderAction.Cancel, OrderAction.Expire)):
                return _snake(event.action_explanation.name)
        market = self.exchange.perp_markets[index]
        amm = market.amm
        if filled:
            return "amm_liquidity" if filled >= available else "limit_price"
        if user.is_being_liquidated() or user.is_bankrupt():
            return "user_being_liquidated"
        state = self.exchange.state
        if is_oracle_too_divergent_with_twap_5min(
            self.oracle(self.market_names[index]), amm.historical_oracle_data.last_oracle_price_twap_5min,
            state.oracle_guard_rails.price_divergence.oracle_twap_5min_percent_divergence,
        ):
            return "oracle_twap_divergence"
        if market.is_operation_paused(PerpOperation.AmmFill) or market.status is MarketStatus.AmmPaused:
            return "amm_paused"
        if _has_too_much_drawdown(market):
            return "amm_drawdown"
        if calculate_amm_available_liquidity(amm, direction) == 0:
            return "amm_liquidity"
        return "limit_price"

    def call(self, authority: str, fn, *args):
        """Run an instruction; count a refusal in `authority`'s book and return None."""
        try:
            result = fn(*args)
        except (DriftError, MathError) as error:
            if authority in self.books:
                self.books[authority].rejected += 1
                self.note_refusal(authority, fn.__name__, f"{type(error).__name__}: {error}")
            return None
        self.process_events()
        return result

    def note_refusal(self, authority: str, instruction: str, reason: str) -> None:
        """Keep an agent's refused (or impossible) instruction for the run's warnings."""
        self.refusals.append((self.exchange.now, authority, instruction, reason))

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

    def now(self) -> int:
        return self.exchange.now

    def taker_fee(self, market: str) -> tuple[int, int]:
        """(numerator, denominator) of the taker fee: the first fee tier (every sim user's)."""
        tier = self.exchange.state.perp_fee_structure.fee_tiers[0]
        return tier.fee_numerator, tier.fee_denominator

    def order_step(self, market: str) -> int:
        return self.exchange.perp_markets[self.markets[market]].amm.order_step_size

    def arbitrage_target(self, market: str, min_edge_bps: float, close_fraction_pct: float) -> ArbitrageTarget | None:
        """Buy when the AMM's ask is below the oracle by more than the taker fee plus
        `min_edge_bps` (rounded to whole bps), sell when its bid is above it by as much; the
        size is `close_fraction_pct` of the base that would move the AMM's reserve price to the
        oracle (constant product, integer square root), and the order's limit price is the
        oracle less that hurdle (buys; plus it for sells, on the order tick), so every fill
        still beats the oracle by the fee and the edge asked however far the order moves the
        AMM."""
        oracle = self.oracle(market)
        _mid, bid, ask = self.quotes(market)
        side, hurdle = arbitrage_side(oracle, bid, ask, self.taker_fee(market), min_edge_bps)
        if side == 0:
            return None
        amm = self.exchange.perp_markets[self.markets[market]].amm
        k = amm.base_asset_reserve * amm.quote_asset_reserve
        target_base_reserve = math.isqrt(k * amm.peg_multiplier // max(1, oracle))
        distance = abs(amm.base_asset_reserve - target_base_reserve)
        tick = amm.order_tick_size
        limit = _on_tick(oracle - hurdle, tick, up=False) if side > 0 else _on_tick(oracle + hurdle, tick, up=True)
        return ArbitrageTarget(side, distance * round(close_fraction_pct * 100) // 10_000, limit)

    def nav(self, authority: str) -> int:
        """The subaccount's equity (`user_equity`), quote 1e6."""
        return self.exchange.user_equity(authority, 0)

    def fees_and_funding(self, authority: str, market: str) -> tuple[int, int]:
        """(minus the taker fees paid, funding settled plus funding due on the stored position),
        quote 1e6. A BAL provider's fee income is counted by the provider (agents.BalProvider)."""
        book = self.books[authority]
        return -book.fees_paid, book.funding_settled + self.unsettled_funding(authority, market)

    def unsettled_funding(self, authority: str, market: str) -> int:
        """Funding due on the stored position since its last settlement, quote 1e6."""
        position = self.position(authority, market)
        if position is None or position.base_asset_amount == 0:
            return 0
        amm = self.exchange.perp_markets[self.markets[market]].amm
        rate = amm.cumulative_funding_rate_long if position.base_asset_amount > 0 else amm.cumulative_funding_rate_short
        return calculate_funding_payment(rate, position)

    # --- BAL providers and insurance stakers (Drift-only agents) ------------------------------

    def lp_shares(self, authority: str, market: str) -> int:
        position = self.position(authority, market)
        return 0 if position is None else position.lp_shares

    def lp_fee_accumulator(self, market: str) -> int:
        """`fee_per_lp` of the market (see the module docstring), per-LP units."""
        return self.fee_per_lp[self.markets[market]]

    def lp_fee_unit(self, market: str) -> int:
        """The per-LP base unit: fee accumulator x shares / unit = quote 1e6."""
        return get_per_lp_base_unit(self.exchange.perp_markets[self.markets[market]].amm.per_lp_base)

    def lp_shares_for_margin(self, market: str, amount: int) -> int:
        """The shares `amount` (quote 1e6) of margin supports (the Add dialog)."""
        return lp_shares_for_margin(self.exchange, self.markets[market], amount)

    def lp_shares_for_leverage(self, authority: str, market: str, leverage_pct: int) -> int:
        """The shares that use `leverage_pct` percent of the free collateral (the Add dialog)."""
        return lp_shares_for_leverage(self.exchange, authority, 0, self.markets[market], leverage_pct)

    def add_lp_shares(self, authority: str, market: str, n_shares: int) -> int | None:
        """Add `n_shares` BAL shares; the shares minted, or None when refused (counted)."""
        ex = self.exchange
        return self.call(authority, ex.add_perp_lp_shares, authority, 0, self.markets[market], n_shares)

    def settle_lp(self, authority: str, market: str) -> bool:
        """Settle `authority`'s LP position (whoever calls it: it is permissionless)."""
        ex = self.exchange
        return self.call("", ex.settle_lp, authority, 0, self.markets[market]) is not None

    def remove_lp_shares(self, authority: str, market: str) -> int | None:
        """Settle, then remove all of `authority`'s shares; the residual (dust) fee paid (minus
        the LPRecord RemoveLiquidity pnl) goes to its book's `dust_fees`. The shares burned, or
        None when refused (counted)."""
        ex = self.exchange
        index = self.markets[market]
        self.call(authority, ex.settle_lp, authority, 0, index)
        before = len(ex.events)
        burned = self.call(authority, ex.remove_perp_lp_shares, authority, 0, index, None)
        if burned is not None:
            for event in ex.events[before:]:
                if isinstance(event, LPRecord) and event.action is LPAction.RemoveLiquidity:
                    self.books[authority].dust_fees += -event.pnl
        return burned

    def open_insurance_stake(self, authority: str) -> None:
        """Open `authority`'s stake account in the quote insurance fund."""
        self.exchange.initialize_insurance_fund_stake(authority, 0)

    def add_insurance_stake(self, authority: str, amount: int) -> bool:
        """Stake `amount` (quote 1e6) from the subaccount; False when refused (counted)."""
        return self.call(authority, self.exchange.add_insurance_fund_stake, authority, 0, amount) is not None

    def insurance_stake_value(self, authority: str) -> int:
        return self.exchange.insurance_fund_stake_value(authority, 0)

    def request_insurance_unstake(self, authority: str, amount: int) -> bool:
        ex = self.exchange
        return self.call(authority, ex.request_remove_insurance_fund_stake, authority, 0, amount) is not None

    def insurance_unstake_available_ts(self, authority: str) -> int | None:
        return self.exchange.insurance_fund_unstake_available_ts(authority, 0)

    def remove_insurance_stake(self, authority: str) -> int | None:
        """Complete the requested unstake; the amount paid out, or None when refused (counted)."""
        return self.call(authority, self.exchange.remove_insurance_fund_stake, authority, 0)

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

    def take_milestone(self) -> bool:
        milestone, self._milestone = self._milestone, False
        return milestone

    def take_new_events(self) -> list:
        """Fold the engine's new events into the books, then hand every event the engine holds
        to the caller and clear its list (a long-running service keeps no event history in
        the engine)."""
        self.process_events()
        events = list(self.exchange.events)
        del self.exchange.events[:]
        self._seen = 0
        return events

    def process_events(self) -> None:
        """Fold the engine's new events into the books (and keep them when asked), noting a
        milestone (Venue.take_milestone)."""
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
                    self._credit_lp_fee(event.market_index, event.taker_fee - self._filler_reward(event.taker_fee))
            elif kind is FundingRateRecord:
                self.funding_samples.append((event.ts, self.market_names[event.market_index], self._funding_capped(event)))
            elif kind is FundingPaymentRecord:
                book = self.books.get(_authority(event.user))
                if book is not None:
                    book.funding_settled += event.funding_payment
            elif kind is LPRecord:
                # the provider reads a removal's dust fee off the record itself
                if event.action is not LPAction.SettleLiquidity:
                    self._milestone = True
                    if event.action is LPAction.RemoveLiquidityDerisk:
                        book = self.books.get(_authority(event.user))
                        if book is not None:
                            book.derisked += 1
            elif kind is InsuranceFundStakeRecord:
                self._milestone = True
            elif kind is LiquidationRecord:
                self._milestone = True
                self.liquidations += 1
                book = self.books.get(_authority(event.user))
                if book is not None:
                    book.liquidated += 1

    def _funding_capped(self, record: FundingRateRecord) -> bool:
        """Whether the update's TWAP spread reached the contract tier's clamp (the spread with
        the reference's offset, as controller/funding.py computes it)."""
        market = self.exchange.perp_markets[record.market_index]
        oracle_twap = record.oracle_price_twap
        spread = record.mark_price_twap - oracle_twap + div_trunc(abs(oracle_twap), FUNDING_RATE_OFFSET_DENOMINATOR)
        return abs(spread) >= get_max_price_divergence_for_funding_rate(market, oracle_twap)

    def _filler_reward(self, taker_fee: int) -> int:
        """The filler's reward out of a fill's taker fee when FILLER filled it (0 for a
        place-and-take fill, which has no filler), as the engine computes it."""
        if self._filled_order_slot is None:
            return 0
        ex = self.exchange
        return calculate_filler_reward(taker_fee, self._filled_order_slot, ex.slot, 0,
                                       ex.state.perp_fee_structure.filler_reward_structure)

    def _credit_lp_fee(self, index: int, fee: int) -> None:
        amm = self.exchange.perp_markets[index].amm
        if amm.user_lp_shares == 0:
            return
        numerator, denominator = get_lp_fee_slice(amm)
        unit = get_per_lp_base_unit(amm.per_lp_base)
        self.fee_per_lp[index] += div_trunc(proportion_signed(fee, numerator, denominator) * unit, amm.sqrt_k)


def _on_tick(price: int, tick: int, up: bool) -> int:
    """`price` (1e6) on the order tick: rounded up (a sell's worst price) or down (a buy's), so
    a limit never accepts more than it was asked to."""
    return (div_ceil(price, tick) if up else div_floor(price, tick)) * tick


def _steps_toward(per_lp_base: int) -> range:
    """The exponents update_perp_market_per_lp_base must pass through from 0 (one step each)."""
    return range(1, per_lp_base + 1) if per_lp_base > 0 else range(-1, per_lp_base - 1, -1)


def _authority(key: str | None) -> str | None:
    return None if key is None else key.rsplit("/", 1)[0]


def _snake(name: str) -> str:
    """CamelCase -> snake_case (an engine enum name as a reason code)."""
    return "".join("_" + c.lower() if c.isupper() and i else c.lower() for i, c in enumerate(name))
