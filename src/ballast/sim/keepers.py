"""Keepers: the reference's permissionless instructions, run on a schedule.

* funding: `update_funding_rate` for every market when its period has elapsed;
* settle_lp: every `settle_lp_every_minutes`, for every provider holding shares;
* settle_pnl (TrySettle): every `settle_pnl_every_minutes`, for every watched user with a
  position, losers first (their payments fill the pnl pool the winners draw on);
* liquidations: every `liquidation_check_every_minutes`, each watched user below maintenance
  margin is liquidated by the keeper's liquidator (`liquidate_perp` for the whole position),
  who closes what it took over with a reduce-only market order; a user left bankrupt is
  resolved (`resolve_perp_bankruptcy`);
* revenue: `settle_revenue_to_insurance_fund` on the hour when the venue has an insurance fund.
"""

from __future__ import annotations

from ballast.drift.controller.pnl import SettlePnlMode
from ballast.drift.math.pnl import get_unrealized_pnl
from ballast.drift.state.margin_calculation import MarginRequirementType
from ballast.sim.agents import Agent, BalProvider
from ballast.sim.scenario import KeepersConfig
from ballast.sim.venues.drift import LIQUIDATOR, DriftVenue

__all__ = ["Keepers"]


class Keepers:
    def __init__(self, config: KeepersConfig, venue: DriftVenue, agents: list[Agent], step_seconds: int,
                 has_insurance_fund: bool) -> None:
        self.config = config
        self.venue = venue
        self.agents = agents
        self.providers = [a for a in agents if isinstance(a, BalProvider)]
        self.watched = [(a, user) for a in agents for user in a.users()]

        def every(minutes: int | None) -> int | None:
            return None if minutes is None else max(1, minutes * 60 // step_seconds)

        self.settle_lp_every = every(config.settle_lp_every_minutes)
        self.settle_pnl_every = every(config.settle_pnl_every_minutes)
        self.liquidation_every = every(config.liquidation_check_every_minutes)
        self.revenue = config.revenue_settlement and has_insurance_fund
        self.step_seconds = step_seconds

    def run(self, step: int, ts: int) -> None:
        venue = self.venue
        ex = venue.exchange
        if self.config.funding:
            for index in venue.markets.values():
                amm = ex.perp_markets[index].amm
                if ts - amm.last_funding_rate_ts >= amm.funding_period:
                    venue.call("", ex.update_funding_rate, index)
        if self.config.liquidations and step % self.liquidation_every == 0:
            self.liquidate()
        if self.settle_lp_every and step % self.settle_lp_every == 0:
            for provider in self.providers:
                if provider.shares() > 0:
                    provider.sync()
                    venue.call("", ex.settle_lp, provider.name, 0, provider.index)
        if self.settle_pnl_every and step % self.settle_pnl_every == 0:
            self.settle_pnl()
        if self.revenue:
            period = ex.spot_markets[0].insurance_fund.revenue_settle_period
            if ts % period < self.step_seconds:  # once per period, on the period boundary
                venue.call("", ex.settle_revenue_to_insurance_fund, 0)

    def settle_pnl(self) -> None:
        venue = self.venue
        ex = venue.exchange
        todo = []
        for agent, user in self.watched:
            for _name, index in venue.markets.items():
                position = ex.user(user, 0).get_perp_position(index)
                if position is None or (position.base_asset_amount == 0 and position.quote_asset_amount == 0 and position.lp_shares == 0):
                    continue
                pnl = get_unrealized_pnl(position, ex.oracle_map.get_perp(index).price)
                todo.append((pnl, user, index, agent))
        todo.sort(key=lambda item: (item[0], item[1], item[2]))
        for _pnl, user, index, agent in todo:
            if isinstance(agent, BalProvider):
                agent.sync()
            venue.call("", ex.settle_pnl, user, 0, index, SettlePnlMode.TrySettle)
            if isinstance(agent, BalProvider):
                agent.sync()

    def liquidate(self) -> None:
        venue = self.venue
        ex = venue.exchange
        for agent, user_name in self.watched:
            user = ex.user(user_name, 0)
            if not any(p.base_asset_amount or p.lp_shares for p in user.perp_positions if p is not None):
                continue
            calc = ex.margin_calculation(user, MarginRequirementType.Maintenance)
            if calc.meets_margin_requirement() and not user.is_being_liquidated():
                continue
            for name, index in venue.markets.items():
                position = user.get_perp_position(index)
                if position is None or (position.base_asset_amount == 0 and position.lp_shares == 0):
                    continue
                if isinstance(agent, BalProvider):
                    agent.sync()
                size = max(abs(position.base_asset_amount), ex.perp_markets[index].amm.order_step_size)
                size += abs(position.lp_shares)  # room for the base an LP settle may add
                venue.call("", ex.liquidate_perp, LIQUIDATOR, 0, user_name, 0, index, size)
                if isinstance(agent, BalProvider):
                    agent.sync()
                taken = venue.base_position(LIQUIDATOR, name)
                if taken:
                    venue.market_order(LIQUIDATOR, name, -taken, reduce_only=True)
                if ex.user(user_name, 0).is_bankrupt():
                    venue.call("", ex.resolve_perp_bankruptcy, LIQUIDATOR, 0, user_name, 0, index)
