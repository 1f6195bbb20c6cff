"""Keepers: the reference's permissionless instructions, run on a schedule, as Drift's keeper bots do.

* update_amm: `update_amm` for every market every `update_amm_every_minutes` (Drift's AMM
  updater bot): refreshes the oracle TWAPs, spreads and, with `curve_update_intensity > 0`,
  repegs the curve toward the oracle. Without it a market nobody trades keeps a stale oracle
  TWAP, and the oracle-validity checks (TooVolatile) then refuse liquidations for hours;
* funding: `update_funding_rate` for every market when its period has elapsed;
* settle_lp: every `settle_lp_every_minutes`, for every provider holding shares;
* settle_pnl (TrySettle): every `settle_pnl_every_minutes`, for every watched user with a
  position and for the keeper's liquidator, losers first (their payments fill the pnl pool the
  winners draw on);
* liquidations: every `liquidation_check_every_minutes` (with liquidations off, the users'
  equity is still watched for unresolved negative equity), for each watched user below
  maintenance margin, in the reference's order: `liquidate_perp` for the whole position (BAL
  shares are burned first by the engine), the liquidator closing what it took over with a
  reduce-only market order; then `liquidate_perp_pnl_for_deposit` (the negative pnl against
  the user's USDC) and `liquidate_borrow_for_perp_pnl` (a USDC borrow against positive pnl);
  a user left bankrupt is resolved (`resolve_perp_bankruptcy` per market, then
  `resolve_spot_bankruptcy`), each resolution booked in the bad-debt ledger
  (ballast.sim.waterfall) with its insurance-fund, fee-pool and socialised parts. A watched
  user whose equity stays negative is tracked; `max_unresolved_rounds` rounds in a row make
  it overdue (a warning, and an error under `--check`). A user whose last calculation met
  its requirement is not recalculated while `drift.math.margin_watch` proves it still met
  (nothing but the oracle moved, and by less than its margin can absorb): the same users are
  liquidated at the same steps;
* revenue: `settle_revenue_to_insurance_fund` on the period boundary when the venue has an
  insurance fund, then `resolve_perp_pnl_deficit` for every market (the engine refuses it
  unless the market's pnl pool is empty and users are net winners beyond its imbalance limit).
"""

from __future__ import annotations

from ballast.drift.controller.pnl import SettlePnlMode
from ballast.drift.events import LiquidationRecord, LiquidationType
from ballast.drift.math.bankruptcy import is_user_bankrupt
from ballast.drift.math.margin_watch import MarginWatch, margin_certainly_met, margin_watch
from ballast.drift.math.pnl import get_unrealized_pnl
from ballast.drift.state.margin_calculation import MarginRequirementType
from ballast.drift.state.spot_market import SpotBalanceType
from ballast.sim.agents import Agent, BalProvider
from ballast.sim.scenario import KeepersConfig
from ballast.sim.venues.drift import LIQUIDATOR, DriftVenue
from ballast.sim.waterfall import BadDebtLedger, Resolution

__all__ = ["Keepers"]

_QUOTE = 0  # the USDC spot market


class Keepers:
    def __init__(self, config: KeepersConfig, venue: DriftVenue, agents: list[Agent], step_seconds: int,
                 has_insurance_fund: bool) -> None:
        self.config = config
        self.venue = venue
        self.agents = agents
        self.providers = [a for a in agents if isinstance(a, BalProvider)]
        self.watched: list[tuple[Agent | None, str, int]] = [(a, user, 0) for a in agents for user in a.users()]
        self.ledger = BadDebtLedger()
        # per watched user: its last met maintenance calculation (see drift.math.margin_watch)
        self._margin_watches: dict[str, MarginWatch] = {}

        def every(minutes: int | None) -> int | None:
            return None if minutes is None else max(1, minutes * 60 // step_seconds)

        self.update_amm_every = every(config.update_amm_every_minutes)
        self.settle_lp_every = every(config.settle_lp_every_minutes)
        self.settle_pnl_every = every(config.settle_pnl_every_minutes)
        self.liquidation_every = every(config.liquidation_check_every_minutes)
        self.revenue = config.revenue_settlement and has_insurance_fund
        self.step_seconds = step_seconds

    def run(self, step: int, ts: int) -> None:
        venue = self.venue
        ex = venue.exchange
        if self.update_amm_every and step % self.update_amm_every == 0:
            for index in venue.markets.values():
                venue.call("", ex.update_amm, index)
        if self.config.funding:
            for index in venue.markets.values():
                amm = ex.perp_markets[index].amm
                if ts - amm.last_funding_rate_ts >= amm.funding_period:
                    venue.call("", ex.update_funding_rate, index)
        if step % self.liquidation_every == 0:
            if self.config.liquidations:
                self.liquidate(ts)
            else:
                self.observe_equity(ts)
        if self.settle_lp_every and step % self.settle_lp_every == 0:
            for provider in self.providers:
                if provider.shares() > 0:
                    provider.sync()
                    venue.call("", ex.settle_lp, provider.name, 0, provider.index)
            for agent, user_name, sub in self.watched:
                if agent is None:
                    for position in ex.user(user_name, sub).perp_positions:
                        if position is not None and position.lp_shares > 0:
                            venue.call("", ex.settle_lp, user_name, sub, position.market_index)
        if self.settle_pnl_every and step % self.settle_pnl_every == 0:
            self.settle_pnl()
        if self.revenue:
            period = ex.spot_markets[_QUOTE].insurance_fund.revenue_settle_period
            if ts % period < self.step_seconds:  # once per period, on the period boundary
                venue.call("", ex.settle_revenue_to_insurance_fund, _QUOTE)
                for index in venue.markets.values():
                    paid = venue.call("", ex.resolve_perp_pnl_deficit, index)
                    if paid:
                        self.ledger.pnl_deficit_insurance += paid

    def watch(self, authority: str, sub_account_id: int) -> None:
        """Watch a subaccount that no agent owns (a service user's): the keepers settle its
        LP shares and pnl and liquidate it like an agent's; its ledger name is
        `authority/sub_account_id`."""
        entry = (None, authority, sub_account_id)
        if entry not in self.watched:
            self.watched.append(entry)

    def settle_pnl(self) -> None:
        venue = self.venue
        ex = venue.exchange
        todo = []
        users = list(self.watched)
        if self.config.liquidations:
            users.append((None, LIQUIDATOR, 0))
        for agent, user, sub in users:
            for _name, index in venue.markets.items():
                position = ex.user(user, sub).get_perp_position(index)
                if position is None or (position.base_asset_amount == 0 and position.quote_asset_amount == 0 and position.lp_shares == 0):
                    continue
                pnl = get_unrealized_pnl(position, ex.oracle_map.get_perp(index).price)
                todo.append((pnl, user, sub, index, agent))
        todo.sort(key=lambda item: (item[0], item[1], item[2], item[3]))
        for _pnl, user, sub, index, agent in todo:
            if isinstance(agent, BalProvider):
                agent.sync()
            venue.call("", ex.settle_pnl, user, sub, index, SettlePnlMode.TrySettle)
            if isinstance(agent, BalProvider):
                agent.sync()

    def liquidate(self, ts: int) -> None:
        venue = self.venue
        ex = venue.exchange
        watches = self._margin_watches
        perp_markets, spot_markets, oracle_map = ex.perp_markets, ex.spot_markets, ex.oracle_map
        for agent, user_name, sub in self.watched:
            user = ex.user(user_name, sub)
            name = _ledger_name(user_name, sub)
            watch = watches.get(name)
            if watch is not None and margin_certainly_met(watch, user, perp_markets, spot_markets, oracle_map):
                # as below, without recalculating: the last round ended any negative-equity span
                continue
            calc = ex.margin_calculation(user, MarginRequirementType.Maintenance)
            if calc.meets_margin_requirement() and not user.is_being_liquidated():
                # collateral >= requirement >= 0: the user's span of negative equity, if any, ends
                self.ledger.observe(name, calc.total_collateral, ts, self.config.max_unresolved_rounds)
                watch = margin_watch(user, perp_markets, spot_markets, oracle_map, calc)
                if watch is None:
                    watches.pop(name, None)
                else:
                    watches[name] = watch
                continue
            watches.pop(name, None)
            if not _has_liabilities_or_positions(user):
                self.ledger.unresolved.pop(name, None)
                continue
            if isinstance(agent, BalProvider):
                agent.sync()
            self._liquidate_user(user_name, sub)
            if isinstance(agent, BalProvider):
                agent.sync()
            self._resolve_bankruptcy(user_name, sub, ts)
            self.ledger.observe(name, ex.user_equity(user_name, sub), ts, self.config.max_unresolved_rounds)

    def observe_equity(self, ts: int) -> None:
        """With liquidations off: book each watched user's equity in the ledger, so negative
        equity nobody resolves is still reported."""
        ex = self.venue.exchange
        for _agent, user_name, sub in self.watched:
            name = _ledger_name(user_name, sub)
            if _has_liabilities_or_positions(ex.user(user_name, sub)):
                self.ledger.observe(name, ex.user_equity(user_name, sub), ts, self.config.max_unresolved_rounds)
            else:
                self.ledger.unresolved.pop(name, None)

    def _liquidate_user(self, user_name: str, sub: int) -> None:
        """liquidate_perp on every market with base or LP shares, then the pnl/deposit and
        borrow/pnl liquidations that leave a user with only a loss (or only a gain) behind."""
        venue = self.venue
        ex = venue.exchange
        user = ex.user(user_name, sub)
        for name, index in venue.markets.items():
            position = user.get_perp_position(index)
            if position is None or (position.base_asset_amount == 0 and position.lp_shares == 0):
                continue
            size = max(abs(position.base_asset_amount), ex.perp_markets[index].amm.order_step_size)
            size += abs(position.lp_shares)  # room for the base an LP settle may add
            venue.call("", ex.liquidate_perp, LIQUIDATOR, 0, user_name, sub, index, size)
            taken = venue.base_position(LIQUIDATOR, name)
            if taken:
                venue.market_order(LIQUIDATOR, name, -taken, reduce_only=True)
        for index in venue.markets.values():
            position = user.get_perp_position(index)
            if position is None or position.base_asset_amount != 0 or position.lp_shares != 0:
                continue
            deposit = _quote_balance(user, SpotBalanceType.Deposit)
            borrow = _quote_balance(user, SpotBalanceType.Borrow)
            if position.quote_asset_amount < 0 and deposit > 0:
                venue.call("", ex.liquidate_perp_pnl_for_deposit, LIQUIDATOR, 0, user_name, sub, index, _QUOTE,
                           -position.quote_asset_amount)
            elif position.quote_asset_amount > 0 and borrow > 0:
                venue.call("", ex.liquidate_borrow_for_perp_pnl, LIQUIDATOR, 0, user_name, sub, index, _QUOTE,
                           ex.perp_markets[index].amm.order_step_size)

    def _resolve_bankruptcy(self, user_name: str, sub: int, ts: int) -> None:
        """Resolve a bankrupt user's perp losses market by market, then its USDC borrow, booking
        each resolution's stages in the ledger."""
        venue = self.venue
        ex = venue.exchange
        user = ex.user(user_name, sub)
        ledger_name = _ledger_name(user_name, sub)
        if not is_user_bankrupt(user):
            return
        for name, index in venue.markets.items():
            position = user.get_perp_position(index)
            if position is None or position.quote_asset_amount >= 0:
                continue
            market = ex.perp_markets[index]
            fee_pool_before = venue.pools(index)[1]
            social_before = market.amm.total_social_loss
            mark = len(ex.events)
            if venue.call("", ex.resolve_perp_bankruptcy, LIQUIDATOR, 0, user_name, sub, index) is None:
                continue
            record = _bankruptcy_record(ex.events[mark:], LiquidationType.PerpBankruptcy)
            self.ledger.record(Resolution(
                ts=ts, user=ledger_name, kind="perp", market=name, bad_debt=-record.pnl,
                insurance_fund=record.if_payment,
                fee_pool=fee_pool_before - venue.pools(index)[1],
                socialised=market.amm.total_social_loss - social_before,
            ))
        if _quote_balance(user, SpotBalanceType.Borrow) > 0 and is_user_bankrupt(user):
            mark = len(ex.events)
            if venue.call("", ex.resolve_spot_bankruptcy, LIQUIDATOR, 0, user_name, sub, _QUOTE) is not None:
                record = _bankruptcy_record(ex.events[mark:], LiquidationType.SpotBankruptcy)
                self.ledger.record(Resolution(
                    ts=ts, user=ledger_name, kind="spot", market="USDC", bad_debt=record.borrow_amount,
                    insurance_fund=record.if_payment, fee_pool=0,
                    socialised=record.borrow_amount - record.if_payment,
                ))


def _ledger_name(authority: str, sub_account_id: int) -> str:
    """A watched subaccount's name in the bad-debt ledger: the authority for subaccount 0
    (every agent's), `authority/sub_account_id` otherwise."""
    return authority if sub_account_id == 0 else f"{authority}/{sub_account_id}"


def _quote_balance(user, balance_type: SpotBalanceType) -> int:
    """The user's USDC scaled balance of `balance_type` (0 when it has the other type)."""
    position = user.get_spot_position(_QUOTE)
    if position is None or position.balance_type is not balance_type:
        return 0
    return position.scaled_balance


def _has_liabilities_or_positions(user) -> bool:
    if _quote_balance(user, SpotBalanceType.Borrow) > 0:
        return True
    return any(p is not None and (p.base_asset_amount or p.lp_shares or p.quote_asset_amount < 0)
               for p in user.perp_positions)


def _bankruptcy_record(events: list, kind: LiquidationType) -> LiquidationRecord:
    for event in reversed(events):
        if type(event) is LiquidationRecord and event.liquidation_type is kind:
            return event
    raise RuntimeError(f"resolve succeeded without a {kind.name} record")  # pragma: no cover - engine contract
