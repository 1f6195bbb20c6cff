"""Agents of a backtest: small classes with a documented policy each.

Every agent gets its own `random.Random` seeded from the scenario seed and its name (never the
global generator), and draws the same numbers whatever venue it runs on, so side-by-side
venues see the same exogenous flow (arrival times, sizes, sides). Decisions that read the
venue (position caps, arbitrage sizes) may differ between venues.

Money is quote 1e6 and base 1e9 inside; the configs give dollars and base units.

PnL decomposition (`breakdown`, quote 1e6, since the agent's start; sums to NAV change):

* `fees`: for takers, minus the taker fees paid (OrderActionRecord fills); for a BAL provider,
  plus its slice of the fee part of the per-LP quote accumulator (see venues/drift.py) times
  the shares it held, accrued between share changes;
* `funding`: funding settled (FundingPaymentRecord) plus funding due on the stored position;
* `removal_fees`: the residual (dust) fees paid when removing shares, a cost (positive = paid;
  it enters with a minus sign): minus the LPRecord RemoveLiquidity pnl after a settle, i.e.
  `floor(|remainder| * oracle / 1e9) + 1`;
* `inventory`: the rest of the NAV change: the mark-to-oracle of the position the agent took
  on (for a BAL provider, the inventory the AMM handed over, and the quote it received for it)
  minus what it cost, including liquidation penalties and the per-LP accumulators' rounding.

On a Curie venue (venues/curie.py) the same parts come from the ClearingHouse: NAV is
`get_account_value`; `fees` are the maker fees realized (LiquidityChanged) plus pending
(`get_pending_fee`) minus the taker fees paid (PositionChanged); `funding` is settled
(FundingPaymentSettled) plus pending (`get_pending_funding_payment`); `removal_fees` are 0.
Takers' orders are the same on both venues (`Agent.order` counts each attempt in
`orders_attempted`); BAL providers and insurance stakers run on Drift venues only, Curie
makers on Curie venues only (Scenario.agents_on).
"""

from __future__ import annotations

import math
import random
from collections import deque

from ballast.drift.bal import lp_shares_for_leverage, lp_shares_for_margin
from ballast.drift.constants import BASE_PRECISION
from ballast.drift.events import LPAction, LPRecord
from ballast.drift.math.funding import calculate_funding_payment
from ballast.drift.math.lp import get_per_lp_base_unit
from ballast.fixed import div_trunc
from ballast.sim import scenario as sc
from ballast.sim.venues.curie import CurieVenue
from ballast.sim.venues.drift import DriftVenue, usd

__all__ = [
    "Agent",
    "Arbitrageur",
    "NoiseTaker",
    "TrendFollower",
    "BalProvider",
    "CurieMaker",
    "InsuranceStaker",
    "make_agent",
    "agent_rng",
]


def agent_rng(seed: int, name: str) -> random.Random:
    """The agent's own generator: `random.Random("<seed>/<name>")` (string seeds hash with
    SHA-512, the same on every run and platform)."""
    return random.Random(f"{seed}/{name}")


def _base(units: float) -> int:
    return round(units * BASE_PRECISION)


class Agent:
    """Common plumbing: funding the subaccount, NAV and the PnL decomposition."""

    role = "agent"

    def __init__(self, config, seed: int, step_seconds: int) -> None:
        self.config = config
        self.name = config.name
        self.market = config.market
        self.rng = agent_rng(seed, config.name)
        self.step_seconds = step_seconds
        self.initial = usd(config.collateral_usd)
        self.venue: DriftVenue | CurieVenue | None = None
        self.orders_attempted = 0

    def order(self, base: int, **kwargs) -> bool:
        """A market order through the venue, counted in `orders_attempted` whatever happens."""
        self.orders_attempted += 1
        return self.venue.market_order(self.name, self.market, base, **kwargs)

    def setup(self, venue: DriftVenue, start_ts: int) -> None:
        self.venue = venue
        self.start_ts = start_ts
        venue.fund(self.name, self.initial)

    def act(self, step: int, ts: int) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def users(self) -> list[str]:
        """Subaccounts (authorities) the keepers should watch."""
        return [self.name]

    def nav(self) -> int:
        if isinstance(self.venue, CurieVenue):
            return self.venue.nav(self.name)
        return self.venue.exchange.user_equity(self.name, 0)

    def unsettled_funding(self) -> int:
        venue = self.venue
        position = venue.position(self.name, self.market)
        if position is None or position.base_asset_amount == 0:
            return 0
        amm = venue.exchange.perp_markets[venue.markets[self.market]].amm
        rate = amm.cumulative_funding_rate_long if position.base_asset_amount > 0 else amm.cumulative_funding_rate_short
        return calculate_funding_payment(rate, position)

    def breakdown(self) -> dict[str, int]:
        nav = self.nav()
        if isinstance(self.venue, CurieVenue):
            fees, funding = self.venue.fees_and_funding(self.name, self.market)
        else:
            book = self.venue.books[self.name]
            fees = -book.fees_paid
            funding = book.funding_settled + self.unsettled_funding()
        return {
            "nav": nav,
            "fees": fees,
            "funding": funding,
            "removal_fees": 0,
            "inventory": nav - self.initial - fees - funding,
            "lp_shares": 0,
        }


class Arbitrageur(Agent):
    """Every `check_every_minutes`: if the AMM's ask is below the oracle by more than the taker
    fee plus `min_edge_bps`, buy; if its bid is above the oracle by as much, sell. The size is
    `close_fraction_pct` of the base that would move the AMM's reserve price to the oracle
    (constant product, integer square root), capped by `max_trade_base` and by keeping the
    position within `max_position_base`. Uses no randomness.

    On a Curie venue: if the pool's spot price is below the oracle by more than the taker fee
    plus `min_edge_bps`, buy, above by as much, sell; the order carries the limit price
    `spot + close_fraction_pct x (oracle - spot)` (it stops there, so it is sized by the
    ranges' liquidity) and at most `max_trade_base` within `max_position_base`."""

    role = "arbitrageur"

    def act(self, step: int, ts: int) -> None:
        cfg = self.config
        if step % max(1, cfg.check_every_minutes * 60 // self.step_seconds):
            return
        venue = self.venue
        if isinstance(venue, CurieVenue):
            self._act_curie(venue)
            return
        oracle = venue.oracle(self.market)
        _mid, bid, ask = venue.quotes(self.market)
        tier = venue.exchange.state.perp_fee_structure.fee_tiers[0]
        hurdle = oracle * (tier.fee_numerator * 10_000 + round(cfg.min_edge_bps) * tier.fee_denominator) // (
            tier.fee_denominator * 10_000
        )
        if ask < oracle - hurdle:
            side = 1
        elif bid > oracle + hurdle:
            side = -1
        else:
            return
        amm = venue.exchange.perp_markets[venue.markets[self.market]].amm
        k = amm.base_asset_reserve * amm.quote_asset_reserve
        target_base_reserve = math.isqrt(k * amm.peg_multiplier // max(1, oracle))
        distance = abs(amm.base_asset_reserve - target_base_reserve)
        size = min(distance * round(cfg.close_fraction_pct * 100) // 10_000, _base(cfg.max_trade_base))
        position = venue.base_position(self.name, self.market)
        room = _base(cfg.max_position_base) - side * position
        size = min(size, max(0, room))
        if size > 0:
            self.order(side * size)

    def _act_curie(self, venue: CurieVenue) -> None:
        cfg = self.config
        oracle = venue.oracle(self.market)
        mid = venue.pool_price(self.market)
        fee_numerator, fee_denominator = venue.taker_fee(self.market)
        hurdle = oracle * (fee_numerator * 10_000 + round(cfg.min_edge_bps) * fee_denominator) // (
            fee_denominator * 10_000
        )
        if mid < oracle - hurdle:
            side = 1
        elif mid > oracle + hurdle:
            side = -1
        else:
            return
        target = mid + (oracle - mid) * round(cfg.close_fraction_pct * 100) // 10_000
        position = venue.base_position(self.name, self.market)
        room = _base(cfg.max_position_base) - side * position
        size = min(_base(cfg.max_trade_base), max(0, room))
        if size > 0:
            self.order(side * size, limit_price=target)


class NoiseTaker(Agent):
    """Market orders at Poisson arrivals (`arrivals_per_hour`); each draws a side (fair coin)
    and a Pareto size `min_size_base * paretovariate(pareto_alpha)` capped at `max_size_base`.
    The side flips when the order would take the position beyond `max_position_base`. Three
    draws per arrival (gap, side, size) whatever happens, so the flow is the same on every
    venue."""

    role = "noise_taker"

    def setup(self, venue: DriftVenue, start_ts: int) -> None:
        super().setup(venue, start_ts)
        self.rate = self.config.arrivals_per_hour / 3600.0
        self.next_arrival = start_ts + self.rng.expovariate(self.rate)

    def act(self, step: int, ts: int) -> None:
        cfg = self.config
        while self.next_arrival <= ts:
            self.next_arrival += self.rng.expovariate(self.rate)
            side = 1 if self.rng.random() < 0.5 else -1
            size = _base(min(cfg.min_size_base * self.rng.paretovariate(cfg.pareto_alpha), cfg.max_size_base))
            position = self.venue.base_position(self.name, self.market)
            if abs(position + side * size) > _base(cfg.max_position_base):
                side = -side
            self.order(side * size)


class TrendFollower(Agent):
    """Mode "trend": every `check_every_minutes`, compares the oracle with its value
    `lookback_minutes` ago; above by `threshold_pct` it targets a long of `leverage` x its
    equity, below by as much a short, otherwise it holds. It trades to the target when the
    side changes or the size is off by more than a quarter. Modes "long"/"short": build that
    side up to `leverage` x collateral (topping up at each check while below three quarters
    of it, as partial AMM fills allow) and hold; once liquidated or flat it stays out. It never cuts leverage on losses, so it can be liquidated.
    Uses no randomness."""

    role = "trend_follower"

    def setup(self, venue: DriftVenue, start_ts: int) -> None:
        super().setup(venue, start_ts)
        self.opened = False
        self.history: deque[int] = deque(maxlen=max(1, self.config.lookback_minutes * 60 // self.step_seconds) + 1)

    def _target(self, side: int, equity: int, oracle: int) -> int:
        return side * int(equity * self.config.leverage) * BASE_PRECISION // oracle if oracle > 0 else 0

    def act(self, step: int, ts: int) -> None:
        cfg = self.config
        venue = self.venue
        oracle = venue.oracle(self.market)
        self.history.append(oracle)
        if step % max(1, cfg.check_every_minutes * 60 // self.step_seconds):
            return
        position = venue.base_position(self.name, self.market)
        equity = self.nav()
        if equity <= self.initial // 10:
            return
        if cfg.mode != "trend":
            if self.opened and position == 0:
                return  # liquidated or closed: stays out
            target = self._target(1 if cfg.mode == "long" else -1, self.initial, oracle)
            if abs(position) * 4 < abs(target) * 3:
                if self.order(target - position):
                    self.opened = True
            return
        if len(self.history) < self.history.maxlen:
            return
        past = self.history[0]
        change_bp = (oracle - past) * 10_000 // past
        threshold_bp = round(cfg.threshold_pct * 100)
        if change_bp > threshold_bp:
            target = self._target(1, equity, oracle)
        elif change_bp < -threshold_bp:
            target = self._target(-1, equity, oracle)
        else:
            return
        if (target > 0) != (position > 0) or position == 0 or abs(target - position) * 4 > abs(target):
            self.order(target - position)


class BalProvider(Agent):
    """Deposits `collateral_usd`; at `enter_at_day` adds BAL shares in its market, by amount
    (`lp_shares_for_margin(amount_usd)`: the shares that much margin supports) or by leverage
    (`lp_shares_for_leverage(leverage_pct)`: that percent of its free collateral), as the Add
    dialog offers; at `exit_at_day` (if set) removes them all, paying the residual fee; never
    trades otherwise. Keepers settle its LP position and pnl. Uses no randomness.

    Its fee income is tracked exactly as the per-LP fee accumulator it held times its shares;
    `sync()` accrues it before every share change and every record."""

    role = "bal_provider"

    def setup(self, venue: DriftVenue, start_ts: int) -> None:
        super().setup(venue, start_ts)
        self.enter_ts = start_ts + round(self.config.enter_at_day * 86_400)
        self.exit_ts = None if self.config.exit_at_day is None else start_ts + round(self.config.exit_at_day * 86_400)
        self.entered = False
        self.exited = False
        self.index = venue.markets[self.market]
        self.fee_numerator = 0  # per-LP fee units x shares; / per_lp_base_unit -> quote 1e6
        self.fee_mark = venue.fee_per_lp[self.index]
        self.shares_held = 0
        self.entry_nav: int | None = None

    def shares(self) -> int:
        position = self.venue.position(self.name, self.market)
        return 0 if position is None else position.lp_shares

    def sync(self) -> None:
        """Accrue the fee accumulator since the last sync on the shares held then."""
        venue = self.venue
        venue.process_events()
        mark = venue.fee_per_lp[self.index]
        self.fee_numerator += (mark - self.fee_mark) * self.shares_held
        self.fee_mark = mark
        self.shares_held = self.shares()

    def act(self, step: int, ts: int) -> None:
        venue = self.venue
        if not self.entered and ts >= self.enter_ts:
            self.entered = True
            ex = venue.exchange
            if self.config.add_by == "amount":
                n = lp_shares_for_margin(ex, self.index, usd(self.config.amount_usd))
            else:
                n = lp_shares_for_leverage(ex, self.name, 0, self.index, self.config.leverage_pct)
            if n > 0:
                self.sync()
                self.entry_nav = self.nav()
                venue.call(self.name, ex.add_perp_lp_shares, self.name, 0, self.index, n)
                self.sync()
        if self.entered and not self.exited and self.exit_ts is not None and ts >= self.exit_ts:
            self.exited = True
            if self.shares() > 0:
                self.remove_all()

    def remove_all(self) -> None:
        venue = self.venue
        ex = venue.exchange
        self.sync()
        venue.call(self.name, ex.settle_lp, self.name, 0, self.index)
        before = len(ex.events)
        if venue.call(self.name, ex.remove_perp_lp_shares, self.name, 0, self.index, None):
            for event in ex.events[before:]:
                if isinstance(event, LPRecord) and event.action is LPAction.RemoveLiquidity:
                    venue.books[self.name].dust_fees += -event.pnl
        self.sync()

    def breakdown(self) -> dict[str, int]:
        self.sync()
        out = super().breakdown()
        unit = get_per_lp_base_unit(self.venue.exchange.perp_markets[self.index].amm.per_lp_base)
        fees = div_trunc(self.fee_numerator, unit)
        removal = self.venue.books[self.name].dust_fees
        out["fees"] = fees
        out["removal_fees"] = removal
        out["inventory"] = out["nav"] - self.initial - fees - out["funding"] + removal
        out["lp_shares"] = self.shares_held
        return out


class CurieMaker(Agent):
    """A range maker on a Curie venue. Deposits `collateral_usd`; at `enter_at_day` adds
    liquidity worth `amount_usd` (USDC, valued at the pool price; the base and quote it needs
    are borrowed virtual tokens, so margin, not cash, limits it) on a range `width_ticks` wide
    centred on the pool's tick, aligned to the tick spacing (CurieVenue.range_around).

    Policy "fixed": the range stays where it was put, earning only while the price is inside.
    Policy "recenter": every `check_every_minutes`, when the pool's tick has left the range
    (tick < lower or tick >= upper), it removes the whole order (fees realized; the impermanent
    position becomes a taker position it keeps, unhedged) and adds a new range of the same
    width and `amount_usd` around the current tick; `recenters` counts these. A refused add
    (margin, price spread) is counted and retried at the next check.

    At `exit_at_day` (if set) it removes its order and stays out; after a liquidation (its
    orders cancelled by the keeper) it stays out too. Never trades otherwise. Uses no
    randomness."""

    role = "curie_maker"

    def setup(self, venue: CurieVenue, start_ts: int) -> None:
        super().setup(venue, start_ts)
        cfg = self.config
        self.enter_ts = start_ts + round(cfg.enter_at_day * 86_400)
        self.exit_ts = None if cfg.exit_at_day is None else start_ts + round(cfg.exit_at_day * 86_400)
        self.every = max(1, cfg.check_every_minutes * 60 // self.step_seconds)
        self.range: tuple[int, int] | None = None
        self.entered = False
        self.exited = False
        self.recenters = 0
        self.entry_nav: int | None = None

    def _add(self) -> None:
        venue = self.venue
        lower, upper = venue.range_around(self.market, self.config.width_ticks)
        if venue.add_range(self.name, self.market, lower, upper, usd(self.config.amount_usd)) is not None:
            self.range = (lower, upper)

    def act(self, step: int, ts: int) -> None:
        venue = self.venue
        if self.exited:
            return
        if self.exit_ts is not None and ts >= self.exit_ts and self.entered:
            self.exited = True
            if self.range is not None:
                venue.remove_range(self.name, self.market, *self.range)
                self.range = None
            return
        if not self.entered:
            if ts < self.enter_ts:
                return
            self.entered = True
            self.entry_nav = self.nav()
            self._add()
            return
        if self.range is not None and venue.order_liquidity(self.name, self.market) == 0:
            self.range = None  # cancelled by a liquidation: stays out
            self.exited = True
            return
        if self.config.policy != "recenter" or step % self.every:
            return
        if self.range is None:
            self._add()  # an earlier add was refused
            return
        tick = venue.tick(self.market)
        lower, upper = self.range
        if lower <= tick < upper:
            return
        if venue.remove_range(self.name, self.market, lower, upper):
            self.range = None
            self.recenters += 1
            self._add()

    def breakdown(self) -> dict[str, int]:
        out = super().breakdown()
        out["lp_shares"] = self.venue.order_liquidity(self.name, self.market) // 10**9  # liquidity / 1e18 after / 1e9
        return out


class InsuranceStaker(Agent):
    """Brings `stake_usd` from outside and stakes it in the quote insurance fund at
    `stake_at_day`; at `request_unstake_at_day` (if set) asks to unstake everything and
    completes the unstake as soon as the unstaking period allows. NAV is the stake's value
    plus what was paid out; the change is reported as fees (the fund's revenue share, less any
    loss the fund paid). Uses no randomness."""

    role = "insurance_staker"

    def setup(self, venue: DriftVenue, start_ts: int) -> None:
        self.venue = venue
        self.start_ts = start_ts
        self.initial = usd(self.config.stake_usd)
        venue.fund(self.name, 0)
        venue.exchange.initialize_insurance_fund_stake(self.name, 0)
        self.stake_ts = start_ts + round(self.config.stake_at_day * 86_400)
        request = self.config.request_unstake_at_day
        self.request_ts = None if request is None else start_ts + round(request * 86_400)
        self.staked = False
        self.requested = False
        self.paid_out = 0

    def users(self) -> list[str]:
        return []

    def act(self, step: int, ts: int) -> None:
        venue = self.venue
        ex = venue.exchange
        if not self.staked and ts >= self.stake_ts:
            self.staked = True
            venue.call(self.name, ex.add_insurance_fund_stake, self.name, 0, self.initial)
        if self.staked and self.request_ts is not None and ts >= self.request_ts:
            if not self.requested:
                self.requested = True
                value = ex.insurance_fund_stake_value(self.name, 0)
                if value > 0:
                    venue.call(self.name, ex.request_remove_insurance_fund_stake, self.name, 0, value)
            else:
                available = ex.insurance_fund_unstake_available_ts(self.name, 0)
                if available is not None and ts >= available:
                    paid = venue.call(self.name, ex.remove_insurance_fund_stake, self.name, 0)
                    if paid:
                        self.paid_out += paid

    def nav(self) -> int:
        if not self.staked:
            return self.initial
        return self.venue.exchange.insurance_fund_stake_value(self.name, 0) + self.paid_out

    def breakdown(self) -> dict[str, int]:
        nav = self.nav()
        return {"nav": nav, "fees": nav - self.initial, "funding": 0, "removal_fees": 0, "inventory": 0, "lp_shares": 0}


_CLASSES = {
    sc.Arbitrageur: Arbitrageur,
    sc.NoiseTaker: NoiseTaker,
    sc.TrendFollower: TrendFollower,
    sc.BalProvider: BalProvider,
    sc.CurieMaker: CurieMaker,
    sc.InsuranceStaker: InsuranceStaker,
}


def make_agent(config, seed: int, step_seconds: int) -> Agent:
    return _CLASSES[type(config)](config, seed, step_seconds)

