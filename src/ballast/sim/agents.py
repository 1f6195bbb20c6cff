"""Agents of a backtest: small classes with a documented policy each, and the `Agent` base
class a user subclasses to write their own (see `Agent`).

Every agent gets its own `random.Random` seeded from the scenario seed and its name (never the
global generator), and draws the same numbers whatever venue it runs on, so side-by-side
venues see the same exogenous flow (arrival times, sizes, sides). Decisions that read the
venue (position caps, arbitrage sizes) may differ between venues.

Takers (Arbitrageur, NoiseTaker, TrendFollower) and user-written agents act only through the
venue's `TradingVenue` protocol (ballast.sim.venues), so they run unchanged on every venue
kind. BAL providers, insurance stakers and the spot agents (SpotMaker, SpotTaker: the spot
market of their market's token, sim/venues/drift_spot.py) run on Drift venues only, Curie makers
on Curie venues only (Scenario.agents_on), and call named methods of their venue.

Money is quote 1e6 and base 1e9 inside; the configs give dollars and base units.

Orders: `Agent.order` sends a market order and records its `OrderResult` in the agent's
`order_stats` (attempted, filled, partial, unfilled, rejected, base asked and traded, reasons);
the run summary reports them per agent (`orders_attempted`, `orders_filled`, ...,
`unfilled_reasons`).

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
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import random
import sys
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ballast.drift.constants import BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION
from ballast.fixed import div_trunc
from ballast.sim import scenario as sc
from ballast.sim.scenario import ScenarioError
from ballast.sim.venues import OrderResult, OrderStats, TradingVenue, usd

__all__ = [
    "Agent",
    "Arbitrageur",
    "NoiseTaker",
    "TrendFollower",
    "BalProvider",
    "CurieMaker",
    "InsuranceStaker",
    "SpotMaker",
    "SpotTaker",
    "BASE",
    "PRICE",
    "QUOTE",
    "make_agent",
    "agent_rng",
    "agent_parameters",
    "load_agent_class",
    "resolve_agent_classes",
]

BASE = BASE_PRECISION  # 1 base unit (e.g. 1 SOL) = 1e9
PRICE = PRICE_PRECISION  # $1 of price = 1e6
QUOTE = QUOTE_PRECISION  # $1 = 1e6


def agent_rng(seed: int, name: str) -> random.Random:
    """The agent's own generator: `random.Random("<seed>/<name>")` (string seeds hash with
    SHA-512, the same on every run and platform)."""
    return random.Random(f"{seed}/{name}")


def _base(units: float) -> int:
    return round(units * BASE_PRECISION)


class Agent:
    """An agent of a backtest. Subclass it to write your own, as backtesting.py's `Strategy`:

        from ballast.sim.agents import BASE, Agent

        class Momentum(Agent):
            lookback_minutes = 60      # parameters: public class attributes; a scenario's
            size_base = 5.0            # `params = {...}` overrides them (unknown names fail)

            def init(self):            # once, after the agent's account is funded
                self.prices = []

            def act(self, step, ts):   # every step (ts = unix seconds), after the venue's
                self.prices.append(self.oracle())   # clock and oracle moved
                ...
                result = self.order(round(self.size_base * BASE))   # > 0 buys, < 0 sells
                if result.filled: ...

    Name it in a scenario (`kind = "python"`, `path = "my_agent.py:Momentum"` relative to the
    scenario file's folder, optional `params`, plus the usual `name`, `market`,
    `collateral_usd`), or pass the class from Python: `Backtest(scenario, agents={"name":
    Momentum})` for a `kind = "python"` entry of that name (its `path` may then be left out).

    What an agent has: `self.name`, `self.market` (its market's name), `self.venue` (a
    `ballast.sim.venues.TradingVenue`: the only way to act), `self.rng` (its own seeded
    `random.Random`; never use the global one), `self.initial` (its starting collateral, quote
    1e6), `self.params` (the scenario's `params`), `self.step_seconds`, `self.start_ts`, and
    the helpers below. Units: base 1e9 (`BASE`), prices 1e6 (`PRICE`), quote 1e6 (`QUOTE`).

    * `order(base, *, reduce_only=False, limit_price=None) -> OrderResult`: a market order,
      counted in `order_stats`; `result.filled_base` is what traded, `result.status` one of
      "filled", "partial", "unfilled", "rejected" and `result.reason` why not all traded;
    * `position()` (base 1e9), `oracle()`, `quotes()` -> (mid, bid, ask) (1e6), `nav()` (quote
      1e6);
    * anything else through `self.venue` (see TradingVenue): e.g. `taker_fee`, `order_step`,
      `arbitrage_target`.

    The same agent runs on every venue of the scenario (a fresh instance per venue, with the
    same random stream); each step it acts after the built-in agents. Do not override
    `__init__` (use `init`). Override `users()` if the agent trades for other accounts, and
    `breakdown()` only if its PnL has parts the default (taker fees, funding, inventory)
    misses.
    """

    role = "python"  # the `kind` shown in the tables; the built-in agents name theirs

    def __init__(self, config, seed: int, step_seconds: int) -> None:
        self.config = config
        self.name = config.name
        self.market = config.market
        self.rng = agent_rng(seed, config.name)
        self.step_seconds = step_seconds
        self.initial = usd(config.collateral_usd)
        self.params: dict[str, Any] = dict(getattr(config, "params", None) or {})
        self.venue: TradingVenue | Any = None
        self.start_ts = 0
        self.order_stats = OrderStats()

    # --- to override -----------------------------------------------------------------------

    def init(self) -> None:
        """Called once, after the agent's account is funded and before the first step."""

    def act(self, step: int, ts: int) -> None:  # pragma: no cover - overridden
        """Called every step (ts = start_ts + step x step_seconds)."""
        raise NotImplementedError

    def users(self) -> list[str]:
        """Subaccounts (authorities) the keepers should watch."""
        return [self.name]

    # --- helpers ---------------------------------------------------------------------------

    def order(self, base: int, *, reduce_only: bool = False, limit_price: int | None = None) -> OrderResult:
        """A market order of `base` (1e9, signed: > 0 buys) in the agent's market through the
        venue; its result is recorded in `order_stats` whatever happens."""
        result = self.venue.market_order(self.name, self.market, base, reduce_only=reduce_only,
                                         limit_price=limit_price)
        self.order_stats.record(result)
        return result

    @property
    def orders_attempted(self) -> int:
        return self.order_stats.attempted

    def position(self) -> int:
        """The agent's position in its market, base 1e9 (signed)."""
        return self.venue.base_position(self.name, self.market)

    def oracle(self) -> int:
        """The oracle price of the agent's market, 1e6."""
        return self.venue.oracle(self.market)

    def quotes(self) -> tuple[int, int, int]:
        """(mid, bid, ask) of the agent's market, 1e6 (see TradingVenue.quotes)."""
        return self.venue.quotes(self.market)

    def nav(self) -> int:
        """The agent's account value, quote 1e6."""
        return self.venue.nav(self.name)

    # --- plumbing (the runner calls these) ------------------------------------------------------

    def setup(self, venue: TradingVenue, start_ts: int) -> None:
        """Fund the agent's account with its collateral, then `init()`."""
        self.venue = venue
        self.start_ts = start_ts
        venue.fund(self.name, self.initial)
        self.init()

    def breakdown(self) -> dict[str, int]:
        nav = self.nav()
        fees, funding = self.venue.fees_and_funding(self.name, self.market)
        return {
            "nav": nav,
            "fees": fees,
            "funding": funding,
            "removal_fees": 0,
            "inventory": nav - self.initial - fees - funding,
            "lp_shares": 0,
        }


class Arbitrageur(Agent):
    """Every `check_every_minutes`, asks the venue for an arbitrage (TradingVenue.arbitrage_target)
    beating the taker fee plus `min_edge_bps`, and takes it: on Drift, buy when the AMM's ask is
    below the oracle (sell when its bid is above), sized `close_fraction_pct` of the base that
    would move the AMM's reserve price to the oracle; on Curie, buy when the pool price is below
    the oracle (sell above) with the limit price `spot + close_fraction_pct x (oracle - spot)`.
    Each order is at most `max_trade_base`, and, when `max_position_base` is set, keeps the
    position within it (None, the default: no cap but its margin: a refused order is counted as
    rejected). Orders below the venue's order step are not sent. Uses no randomness."""

    role = "arbitrageur"

    def act(self, step: int, ts: int) -> None:
        cfg = self.config
        if step % max(1, cfg.check_every_minutes * 60 // self.step_seconds):
            return
        venue = self.venue
        target = venue.arbitrage_target(self.market, cfg.min_edge_bps, cfg.close_fraction_pct)
        if target is None:
            return
        size = _base(cfg.max_trade_base)
        if target.base is not None:
            size = min(size, target.base)
        if cfg.max_position_base is not None:
            room = _base(cfg.max_position_base) - target.side * self.position()
            size = min(size, max(0, room))
        if size >= venue.order_step(self.market):
            self.order(target.side * size, limit_price=target.limit_price)


class NoiseTaker(Agent):
    """Market orders at Poisson arrivals (`arrivals_per_hour`); each draws a side (fair coin)
    and a Pareto size `min_size_base * paretovariate(pareto_alpha)` capped at `max_size_base`.
    The side flips when the order would take the position beyond `max_position_base`. Three
    draws per arrival (gap, side, size) whatever happens, so the flow is the same on every
    venue."""

    role = "noise_taker"

    def init(self) -> None:
        self.rate = self.config.arrivals_per_hour / 3600.0
        self.next_arrival = self.start_ts + self.rng.expovariate(self.rate)

    def act(self, step: int, ts: int) -> None:
        cfg = self.config
        while self.next_arrival <= ts:
            self.next_arrival += self.rng.expovariate(self.rate)
            side = 1 if self.rng.random() < 0.5 else -1
            size = _base(min(cfg.min_size_base * self.rng.paretovariate(cfg.pareto_alpha), cfg.max_size_base))
            position = self.position()
            if abs(position + side * size) > _base(cfg.max_position_base):
                side = -side
            self.order(side * size)


class TrendFollower(Agent):
    """Mode "trend": every `check_every_minutes`, compares the oracle with its value
    `lookback_minutes` ago; above by `threshold_pct` it targets a long of `leverage` x its
    equity, below by as much a short, otherwise it holds. It trades to the target when the
    side changes or the size is off by more than a quarter. Modes "long"/"short": build that
    side up to `leverage` x collateral (at each check while below three quarters of it, as
    partial or unfilled orders allow) and hold; it counts as in the market once an order has
    filled something, and once liquidated or closed after that it stays out. It never cuts
    leverage on losses, so it can be liquidated. Uses no randomness."""

    role = "trend_follower"

    def init(self) -> None:
        self.opened = False
        self.history: deque[int] = deque(maxlen=max(1, self.config.lookback_minutes * 60 // self.step_seconds) + 1)

    def _target(self, side: int, equity: int, oracle: int) -> int:
        return side * int(equity * self.config.leverage) * BASE_PRECISION // oracle if oracle > 0 else 0

    def act(self, step: int, ts: int) -> None:
        cfg = self.config
        oracle = self.oracle()
        self.history.append(oracle)
        if step % max(1, cfg.check_every_minutes * 60 // self.step_seconds):
            return
        position = self.position()
        equity = self.nav()
        if equity <= self.initial // 10:
            return
        if cfg.mode != "trend":
            if self.opened and position == 0:
                return  # liquidated or closed: stays out
            target = self._target(1 if cfg.mode == "long" else -1, self.initial, oracle)
            if abs(position) * 4 < abs(target) * 3 and self.order(target - position).filled:
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
    trades otherwise. Keepers settle its LP position and pnl. Uses no randomness. Drift only.

    Its fee income is tracked exactly as the per-LP fee accumulator it held times its shares;
    `sync()` accrues it before every share change and every record."""

    role = "bal_provider"

    def setup(self, venue, start_ts: int) -> None:
        super().setup(venue, start_ts)
        self.enter_ts = start_ts + round(self.config.enter_at_day * 86_400)
        self.exit_ts = None if self.config.exit_at_day is None else start_ts + round(self.config.exit_at_day * 86_400)
        self.entered = False
        self.exited = False
        self.index = venue.markets[self.market]  # the engine's market index (keepers settle by it)
        self.fee_numerator = 0  # per-LP fee units x shares; / per_lp_base_unit -> quote 1e6
        self.fee_mark = venue.lp_fee_accumulator(self.market)
        self.shares_held = 0
        self.entry_nav: int | None = None

    def shares(self) -> int:
        return self.venue.lp_shares(self.name, self.market)

    def sync(self) -> None:
        """Accrue the fee accumulator since the last sync on the shares held then."""
        venue = self.venue
        venue.process_events()
        mark = venue.lp_fee_accumulator(self.market)
        self.fee_numerator += (mark - self.fee_mark) * self.shares_held
        self.fee_mark = mark
        self.shares_held = self.shares()

    def act(self, step: int, ts: int) -> None:
        venue = self.venue
        if not self.entered and ts >= self.enter_ts:
            self.entered = True
            if self.config.add_by == "amount":
                n = venue.lp_shares_for_margin(self.market, usd(self.config.amount_usd))
            else:
                n = venue.lp_shares_for_leverage(self.name, self.market, self.config.leverage_pct)
            if n > 0:
                self.sync()
                self.entry_nav = self.nav()
                venue.add_lp_shares(self.name, self.market, n)
                self.sync()
            else:
                venue.note_refusal(self.name, "add_perp_lp_shares",
                                   "the margin or leverage asked for buys less than one share step")
        if self.entered and not self.exited and self.exit_ts is not None and ts >= self.exit_ts:
            self.exited = True
            if self.shares() > 0:
                self.remove_all()

    def remove_all(self) -> None:
        self.sync()
        self.venue.remove_lp_shares(self.name, self.market)
        self.sync()

    def breakdown(self) -> dict[str, int]:
        self.sync()
        out = super().breakdown()
        fees = div_trunc(self.fee_numerator, self.venue.lp_fee_unit(self.market))
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

    def setup(self, venue, start_ts: int) -> None:
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
    loss the fund paid). Uses no randomness. Drift only."""

    role = "insurance_staker"

    def setup(self, venue, start_ts: int) -> None:
        self.venue = venue
        self.start_ts = start_ts
        self.initial = usd(self.config.stake_usd)
        venue.fund(self.name, 0)
        venue.open_insurance_stake(self.name)
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
        if not self.staked and ts >= self.stake_ts:
            self.staked = True
            venue.add_insurance_stake(self.name, self.initial)
        if self.staked and self.request_ts is not None and ts >= self.request_ts:
            if not self.requested:
                self.requested = True
                value = venue.insurance_stake_value(self.name)
                if value > 0:
                    venue.request_insurance_unstake(self.name, value)
            else:
                available = venue.insurance_unstake_available_ts(self.name)
                if available is not None and ts >= available:
                    paid = venue.remove_insurance_stake(self.name)
                    if paid:
                        self.paid_out += paid

    def nav(self) -> int:
        if not self.staked:
            return self.initial
        return self.venue.insurance_stake_value(self.name) + self.paid_out

    def breakdown(self) -> dict[str, int]:
        nav = self.nav()
        return {"nav": nav, "fees": nav - self.initial, "funding": 0, "removal_fees": 0, "inventory": 0, "lp_shares": 0}


class _SpotAgent(Agent):
    """A spot agent's account: `collateral_usd` of USDC plus `base_inventory` tokens of its
    market's token deposited from outside; its initial value is the account's value then."""

    def setup(self, venue, start_ts: int) -> None:
        self.venue = venue
        self.start_ts = start_ts
        venue.fund(self.name, self.initial)
        venue.deposit_spot(self.name, self.market, _base(self.config.base_inventory))
        self.initial = venue.nav(self.name)
        self.init()


class SpotMaker(_SpotAgent):
    """Makes the spot market of its market's token (Drift venues only): every `refresh_minutes`
    it cancels its resting orders and rests a post-only bid at the oracle less `half_spread_bps`
    and an ask at the oracle plus it, each `size_base` tokens or as much as its USDC (valued at
    the oracle) and its tokens cover: it never borrows (margin trading stays off). Its PnL
    (rebates included) is reported as inventory. Uses no randomness."""

    role = "spot_maker"

    def act(self, step: int, ts: int) -> None:
        cfg = self.config
        if step % max(1, cfg.refresh_minutes * 60 // self.step_seconds):
            return
        venue = self.venue
        venue.cancel_spot_orders(self.name, self.market)
        oracle = venue.spot_oracle(self.market)
        half_spread = round(cfg.half_spread_bps * 100)  # 1e6 = 100%
        size = _base(cfg.size_base)
        tokens, usdc = venue.spot_balances(self.name, self.market)
        bid_size = min(size, max(0, usdc) * BASE_PRECISION // max(1, oracle))
        ask_size = min(size, max(0, tokens))
        venue.spot_limit_order(self.name, self.market, bid_size, oracle * (1_000_000 - half_spread) // 1_000_000)
        venue.spot_limit_order(self.name, self.market, -ask_size, oracle * (1_000_000 + half_spread) // 1_000_000)


class SpotTaker(_SpotAgent):
    """Takes spot liquidity (Drift venues only): at Poisson arrivals (`arrivals_per_hour`) an
    immediate-or-cancel order of a uniform size in [`min_size_base`, `max_size_base`] tokens on
    a fair coin's side, at worst the oracle moved `slippage_bps` against it, filled by the
    resting spot makers; it pays the spot taker fee. An order its balances cannot cover (it
    never borrows) is refused and counted as rejected. Three draws per arrival (gap, side,
    size) whatever happens."""

    role = "spot_taker"

    def init(self) -> None:
        self.rate = self.config.arrivals_per_hour / 3600.0
        self.next_arrival = self.start_ts + self.rng.expovariate(self.rate)

    def act(self, step: int, ts: int) -> None:
        cfg = self.config
        while self.next_arrival <= ts:
            self.next_arrival += self.rng.expovariate(self.rate)
            side = 1 if self.rng.random() < 0.5 else -1
            size = _base(self.rng.uniform(cfg.min_size_base, cfg.max_size_base))
            oracle = self.venue.spot_oracle(self.market)
            slippage = round(cfg.slippage_bps * 100)  # 1e6 = 100%
            limit = oracle * (1_000_000 + side * slippage) // 1_000_000
            self.order_stats.record(self.venue.spot_order(self.name, self.market, side * size, limit))


_CLASSES = {
    sc.Arbitrageur: Arbitrageur,
    sc.NoiseTaker: NoiseTaker,
    sc.TrendFollower: TrendFollower,
    sc.BalProvider: BalProvider,
    sc.CurieMaker: CurieMaker,
    sc.InsuranceStaker: InsuranceStaker,
    sc.SpotMaker: SpotMaker,
    sc.SpotTaker: SpotTaker,
}


# --- user-written agents -------------------------------------------------------------------


class AgentLoadError(ValueError):
    """Why a user agent's class cannot be used (the caller adds the scenario key)."""


def load_agent_class(spec: str, base_dir: str | Path = ".") -> type[Agent]:
    """The class named by `"file.py:ClassName"` (a relative file is taken from `base_dir`, the
    scenario file's folder). The file is run as a fresh module each time. AgentLoadError says
    what is wrong: the form, a missing file, a syntax or import error in it, a missing class,
    a class that is not an `Agent` subclass or defines no `act`."""
    file, sep, class_name = spec.rpartition(":")
    if not sep or not file.strip() or not class_name.strip():
        raise AgentLoadError("expected 'file.py:ClassName'")
    path = Path(file)
    if not path.is_absolute():
        path = Path(base_dir) / path
    if not path.is_file():
        raise AgentLoadError(f"no file {str(path)!r}")
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    module_name = f"_ballast_agent_{path.stem}_{digest}"
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:  # pragma: no cover - a .py file always has one
        raise AgentLoadError(f"cannot load {str(path)!r} as Python")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module  # dataclasses and pickling look the module up
    try:
        module_spec.loader.exec_module(module)
    except SyntaxError as error:
        sys.modules.pop(module_name, None)
        raise AgentLoadError(f"syntax error in {path.name}, line {error.lineno}: {error.msg}") from None
    except Exception as error:
        sys.modules.pop(module_name, None)
        raise AgentLoadError(f"{path.name} failed to import: {type(error).__name__}: {error}") from None
    cls = getattr(module, class_name.strip(), None)
    if cls is None:
        raise AgentLoadError(f"{path.name} defines no {class_name.strip()!r}")
    check_agent_class(cls)
    return cls


def check_agent_class(cls: Any) -> None:
    """AgentLoadError unless `cls` is an Agent subclass that defines `act`."""
    if not (inspect.isclass(cls) and issubclass(cls, Agent)):
        raise AgentLoadError(f"{getattr(cls, '__name__', cls)!r} is not a subclass of ballast.sim.agents.Agent")
    if cls.act is Agent.act:
        raise AgentLoadError(f"{cls.__name__} does not define act(self, step, ts)")


def agent_parameters(cls: type[Agent]) -> dict[str, Any]:
    """A user agent's parameters: its public, non-callable class attributes (and its bases'
    below Agent) with their defaults."""
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass is object or klass is Agent or not issubclass(klass, Agent):
            continue
        for key, value in vars(klass).items():
            if key.startswith("_") or key == "role" or callable(value) or isinstance(value, property | classmethod | staticmethod):
                continue
            out[key] = value
    return out


def _checked_params(cls: type[Agent], params: Mapping[str, Any]) -> dict[str, Any]:
    """`params` checked against the class's parameters (AgentLoadError names the key):
    unknown names fail; an int is accepted for a float parameter; otherwise the type of a
    default other than None must match."""
    known = agent_parameters(cls)
    out = {}
    for key, value in params.items():
        if key not in known:
            names = ", ".join(sorted(known)) or "none"
            raise AgentLoadError(f"params.{key}: {cls.__name__} has no parameter {key!r} (its parameters: {names})")
        default = known[key]
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif default is not None and type(value) is not type(default):
            raise AgentLoadError(f"params.{key} = {value!r}: {cls.__name__}.{key} is a {type(default).__name__}")
        out[key] = value
    return out


def resolve_agent_classes(scenario: sc.Scenario, classes: Mapping[str, type[Agent]] | None = None,
                          require_all: bool = True) -> dict[str, type[Agent]]:
    """The class of every `kind = "python"` agent of `scenario`: the one `classes` gives for its
    name, else the one its `path` names; its `params` are checked against the class. With
    `require_all`, a python agent with neither is an error. ScenarioError names the key
    (`agents.N.path`, `agents.N.params.KEY`) and the reason."""
    classes = dict(classes or {})
    python = {a.name: i for i, a in enumerate(scenario.agents) if isinstance(a, sc.PythonAgent)}
    for name in classes:
        if name not in python:
            known = ", ".join(repr(n) for n in python) or "none"
            raise ScenarioError(f"invalid scenario: agents: no kind = 'python' agent named {name!r} to take the class "
                                f"given for it (python agents: {known})")
    out: dict[str, type[Agent]] = {}
    for name, i in python.items():
        config = scenario.agents[i]
        key = f"agents.{i}"
        try:
            if name in classes:
                cls = classes[name]
                check_agent_class(cls)
            elif config.path is not None:
                cls = load_agent_class(config.path, scenario.base_dir)
            elif require_all:
                raise AgentLoadError(f"no class for agent {name!r}: give path = 'my_agent.py:MyAgent' or pass the "
                                     f"class, Backtest(scenario, agents={{{name!r}: MyAgent}})")
            else:
                continue
        except AgentLoadError as error:
            where = f"{key}.path = {config.path!r}" if name not in classes and config.path is not None else f"{key}.path"
            raise ScenarioError(f"invalid scenario: {where}: {error}") from None
        try:
            _checked_params(cls, config.params)
        except AgentLoadError as error:
            raise ScenarioError(f"invalid scenario: {key}.{error}") from None
        out[name] = cls
    return out


def make_agent(config, seed: int, step_seconds: int, cls: type[Agent] | None = None) -> Agent:
    """The agent for a config; a `kind = "python"` one is an instance of `cls` (default: the
    class its `path` names, see resolve_agent_classes) with its `params` set as attributes."""
    if not isinstance(config, sc.PythonAgent):
        return _CLASSES[type(config)](config, seed, step_seconds)
    if cls is None:
        try:
            cls = load_agent_class(config.path or "", ".")
        except AgentLoadError as error:
            raise ScenarioError(f"invalid scenario: agent {config.name!r} path = {config.path!r}: {error}") from None
    try:
        params = _checked_params(cls, config.params)
    except AgentLoadError as error:
        raise ScenarioError(f"invalid scenario: agent {config.name!r} {error}") from None
    agent = cls(config, seed, step_seconds)
    for key, value in params.items():
        setattr(agent, key, value)
    return agent
