"""The world the exchange service runs: one Drift venue (with BAL and the insurance fund) and
at most one Curie venue, built from a scenario exactly as a backtest builds them, plus the
scenario's agents and the keepers, on a step clock.

Time moves only by ticks (`tick(ts, prices)`): a tick is one backtest step, taken on every
venue: the clock and the oracle prices are published, the agents act when they are switched
on, the keepers run (funding, LP and pnl settlement, liquidations, bankruptcy resolution,
hourly revenue settlement), the venue folds its events; every BAL_SAMPLE_SECONDS the BAL
performance index of every market is sampled (DriftVenue.bal, the BAL page's 7D / 30D), and
so is every user subaccount's equity and net deposits (`user_samples`, its P&L since entry)
and every user's insurance-fund stake value (`stake_samples`); every tick records each
market's oracle and mark price (`price_history`, the last PRICE_HISTORY_LENGTH ticks). Between two ticks users act on the
state as it stands (World.drift / World.curie through ballast.service.commands).

Service users trade as authorities named `user:<username>` (Drift subaccounts by id, one
Curie account), watched by the keepers like agents (Keepers.watch). Engine events are moved
out of the engines after every command into `feed`, a bounded list of the most recent ones as
JSON data, numbered from 1 (`feed_seq`), which the service's event stream and events endpoint
read; the engines keep no event history in the service.

A world pickles whole (its venues, agents, keepers and random generators), which is what a
journal snapshot stores; `digest()` is the SHA-256 of the step, the clock, the switches and the
venues' state digests.
"""

from __future__ import annotations

import hashlib
from collections import deque
from typing import Any

from ballast.sim.agents import Agent, make_agent
from ballast.sim.keepers import Keepers
from ballast.sim.runner import ROLE_ORDER
from ballast.sim.scenario import Scenario
from ballast.sim.venues.curie import CurieKeepers, CurieVenue
from ballast.sim.venues.drift import DriftVenue
from ballast.store.run_folder import record_data

__all__ = ["World", "WorldError", "authority_of", "FEED_LENGTH"]

FEED_LENGTH = 5_000  # engine events kept in memory for the stream and the events endpoint
BAL_SAMPLE_SECONDS = 900  # the BAL performance index is sampled every 15 simulated minutes
PRICE_HISTORY_LENGTH = 1_440  # (ts, oracle, mark) kept per market: the last 1,440 ticks (a day of minutes)


class WorldError(ValueError):
    """A scenario the service cannot run (names what is missing or extra)."""


def authority_of(username: str) -> str:
    """The engine authority of a service user."""
    return f"user:{username}"


class World:
    """See the module docstring. Built from a validated scenario; raises WorldError when the
    scenario has no Drift venue or more than one venue of a kind."""

    def __init__(self, scenario: Scenario, first_prices: dict[str, int]) -> None:
        drift_configs = [v for v in scenario.venues if v.kind == "drift"]
        curie_configs = [v for v in scenario.venues if v.kind == "curie"]
        if len(drift_configs) != 1 or len(curie_configs) > 1:
            raise WorldError(f"the service runs one drift venue and at most one curie venue; the scenario has "
                             f"{len(drift_configs)} drift and {len(curie_configs)} curie venues")
        self.scenario = scenario
        self.step = 0
        self.ts = scenario.start_ts
        self.prices = dict(first_prices)
        self.agents_on = False
        self.clock_mode = "stepped"  # or "realtime": ticks follow the wall clock times clock_speed
        self.clock_speed = 1.0  # simulated seconds per wall second in realtime mode
        self.oracle_override: dict[str, int] = {}
        self.feed: deque[dict[str, Any]] = deque(maxlen=FEED_LENGTH)
        self.feed_seq = 0
        self.drift = DriftVenue(drift_configs[0])
        self.curie: CurieVenue | None = CurieVenue(curie_configs[0]) if curie_configs else None
        self.user_samples: dict[str, list[tuple[int, int, int]]] = {}  # "authority/sub" -> (ts, equity, net deposits)
        self.stake_samples: dict[str, list[tuple[int, int]]] = {}  # authority -> (ts, USDC insurance stake value)
        self.price_history: dict[str, deque[tuple[int, int, int]]] = {}  # market -> (ts, oracle, mark), recent
        self.agents: dict[str, list[Agent]] = {}
        self.keepers: dict[str, Any] = {}
        for venue in self.venues():
            venue.keep_events = False
            venue.setup(scenario, first_prices)
            venue.keep_events = False
            agents = [make_agent(a, scenario.seed, scenario.step_seconds) for a in scenario.agents_on(venue.config)]
            agents.sort(key=lambda agent: ROLE_ORDER.get(agent.role, 9))
            for agent in agents:
                agent.setup(venue, scenario.start_ts)
            self.agents[venue.name] = agents
            if isinstance(venue, CurieVenue):
                self.keepers[venue.name] = CurieKeepers(scenario.keepers, venue, [u for a in agents for u in a.users()],
                                                        scenario.step_seconds)
            else:
                self.keepers[venue.name] = Keepers(scenario.keepers, venue, agents, scenario.step_seconds,
                                                   venue.config.insurance_fund is not None)
        self.drift.bal.record_all(self.drift.exchange)
        self._sample_prices()
        self.drain()

    # --- structure --------------------------------------------------------------------------

    def venues(self) -> list[Any]:
        """The venues, Drift first."""
        return [self.drift] if self.curie is None else [self.drift, self.curie]

    @property
    def markets(self) -> list[str]:
        """The scenario's market names, in its order."""
        return [m.name for m in self.scenario.markets]

    def watch(self, authority: str, sub_account_id: int) -> None:
        """Have the Drift keepers watch a user's subaccount, and sample its P&L from now on."""
        self.keepers[self.drift.name].watch(authority, sub_account_id)
        self.user_samples.setdefault(f"{authority}/{sub_account_id}", [])
        self._sample_user(f"{authority}/{sub_account_id}")

    def _sample_user(self, key: str) -> None:
        """Record a user subaccount's (ts, equity, net deposits) (quote 1e6): equity is
        `Exchange.user_equity`, net deposits the User's total_deposits - total_withdraws; one
        sample per timestamp (a later one replaces it)."""
        user = self.drift.exchange.users[key]
        authority, sub = key.rsplit("/", 1)
        sample = (self.ts, self.drift.exchange.user_equity(authority, int(sub)),
                  user.total_deposits - user.total_withdraws)
        samples = self.user_samples[key]
        if samples and samples[-1][0] == self.ts:
            samples[-1] = sample
        else:
            samples.append(sample)

    def watch_curie(self, authority: str) -> None:
        """Have the Curie keepers watch a user's account."""
        if self.curie is not None:
            users = self.keepers[self.curie.name].users
            if authority not in users:
                users.append(authority)

    # --- time -------------------------------------------------------------------------------

    def tick(self, ts: int, prices: dict[str, int]) -> None:
        """Take one step at `ts` (unix seconds, after the current clock) with the oracle `prices`
        (market -> 1e6) on every venue (see the module docstring)."""
        self.step += 1
        self.ts = ts
        self.prices = dict(prices)
        for venue in self.venues():
            venue.step(ts, prices)
            if self.agents_on:
                for agent in self.agents[venue.name]:
                    agent.act(self.step, ts)
            self.keepers[venue.name].run(self.step, ts)
            venue.process_events()
        self._sample_prices()
        if ts % BAL_SAMPLE_SECONDS < self.scenario.step_seconds:
            self.drift.bal.record_all(self.drift.exchange)
            for key in self.user_samples:
                self._sample_user(key)
            self._sample_stakes()
        self.drain()

    def _sample_prices(self) -> None:
        """Record every market's (ts, oracle, mark) (1e6; the mark is the Drift AMM's reserve
        price) in `price_history`, the last PRICE_HISTORY_LENGTH ticks (the Trade page's chart)."""
        for name in self.markets:
            series = self.price_history.setdefault(name, deque(maxlen=PRICE_HISTORY_LENGTH))
            sample = (self.ts, self.drift.oracle(name), self.drift.quotes(name)[0])
            if series and series[-1][0] == self.ts:
                series[-1] = sample
            else:
                series.append(sample)

    def _sample_stakes(self) -> None:
        """Record every service user's USDC insurance-fund stake value (quote 1e6,
        `Exchange.insurance_fund_stake_value`) in `stake_samples`, every BAL_SAMPLE_SECONDS
        (the Insurance page's "your stake over time"); one sample per timestamp."""
        exchange = self.drift.exchange
        for key in exchange.insurance_fund_stakes:
            authority, market_index = key.rsplit("/", 1)
            if market_index != "0" or not authority.startswith("user:"):
                continue
            sample = (self.ts, exchange.insurance_fund_stake_value(authority, 0))
            series = self.stake_samples.setdefault(authority, [])
            if series and series[-1][0] == self.ts:
                series[-1] = sample
            else:
                series.append(sample)

    # --- events -----------------------------------------------------------------------------

    def drain(self) -> list[dict[str, Any]]:
        """Move the engines' new events into the feed (and out of the engines, after the venues
        have folded them into their books); the new feed entries."""
        new: list[dict[str, Any]] = []
        for venue in self.venues():
            for record in venue.take_new_events():
                self.feed_seq += 1
                entry = {"id": self.feed_seq, "venue": venue.name, "type": type(record).__name__,
                         "data": record_data(record)}
                self.feed.append(entry)
                new.append(entry)
        return new

    # --- digest -----------------------------------------------------------------------------

    def digest(self) -> str:
        """SHA-256 of the step, clock, prices, switches and every venue's state digest."""
        parts = [str(self.step), str(self.ts), repr(sorted(self.prices.items())), str(self.agents_on),
                 repr(sorted(self.oracle_override.items())), self.clock_mode, repr(self.clock_speed)]
        parts += [f"{venue.name}={venue.state_digest()}" for venue in self.venues()]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()
