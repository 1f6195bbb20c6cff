"""The oracle price at which a Drift subaccount would be de-risked or liquidated.

Definitions (prices 1e6, the engine's oracle precision; every other input as it stands at the
moment of the sample: balances, positions, BAL shares, the AMM, funding, the other oracles):

* **liquidation price**: an oracle price of one perp market at which the subaccount's total
  collateral falls below its maintenance margin requirement (`meets_margin_requirement` of the
  engine's margin calculation under `MarginContext.standard(Maintenance)`): the check the
  liquidation keeper makes before `liquidate_perp` (ballast.sim.keepers.Keepers.liquidate).
* **de-risk price**: an oracle price at which the subaccount fails the check `settle_pnl`
  makes before burning a BAL provider's shares: the initial margin requirement with the state's
  `liquidation_margin_buffer_ratio` (`meets_margin_requirement_with_buffer`; controller/pnl.py
  settle_pnl). Only for a subaccount with BAL shares that has not opted out of de-risking
  (advanced LP); the engine de-risks at the next pnl settlement once the LP cooldown passed.

Each has a side **below** the oracle (the highest price at or below it that fails the check)
and a side **above** (the lowest at or above it); None where no price from MIN_PRICE up to the
oracle, or from the oracle up to MAX_MULTIPLE times it, fails. A subaccount that already fails
has both sides at the oracle.

How: the engine's own margin calculation evaluated at trial prices on a copy of the oracle map
(the exchange, its accounts and its oracle map are never touched, so a run's state digest is
the same with or without these prices). With the position held, the margin surplus (total
collateral minus requirement) is concave in one market's oracle price: the unrealised PnL is
linear in it (its asset weight and the initial margin's cap on gains only bend it down), the
requirement and the BAL dust fee are proportional to it, the rest does not depend on it. So
each side has at most one crossing, the check at the far end of a side says whether there is
one, and the Illinois variant of false position finds it. Tolerance: the returned price fails
the check and the price TOLERANCE_BPS of the oracle (at least 1e-6 USD) nearer to the oracle
passes it.

Source: programs/drift/src/math/margin.rs::calculate_margin_requirement_and_total_collateral_and_liability_info,
programs/drift/src/controller/pnl.rs::settle_pnl (the de-risk check)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from ballast.drift.exchange import Exchange
from ballast.drift.math.margin import (
    calculate_margin_requirement_and_total_collateral_and_liability_info,
)
from ballast.drift.state.margin_calculation import MarginContext, MarginRequirementType
from ballast.drift.state.oracle_map import OracleMap, OracleReading
from ballast.drift.state.user import MarketType, User
from ballast.sim.agents import Agent, BalProvider
from ballast.sim.venues.drift import DriftVenue

__all__ = [
    "MAX_MULTIPLE",
    "MIN_PRICE",
    "RISK_COLUMNS",
    "TOLERANCE_BPS",
    "BreachPrices",
    "breach_prices",
    "closest_distance_pct",
    "closest_distances",
    "provider_risk",
]

MIN_PRICE = 1  # 1e-6 USD: the lowest oracle price tried
MAX_MULTIPLE = 100  # the highest oracle price tried: 100 times the oracle
TOLERANCE_BPS = 1  # 0.01% of the oracle

# the agents table's columns (ballast.sim.runner), USD: a BAL provider's oracle at the sample and
# its de-risk and liquidation prices below and above it (None: none in range, or another agent)
RISK_COLUMNS = (
    "oracle_price_usd", "derisk_price_below_usd", "derisk_price_above_usd", "liquidation_price_below_usd",
    "liquidation_price_above_usd",
)
_NO_RISK: tuple[float | None, ...] = (None,) * len(RISK_COLUMNS)


class BreachPrices(NamedTuple):
    """The de-risk and liquidation prices below and above the oracle (1e6; None: none in range)."""

    derisk_below: int | None = None
    derisk_above: int | None = None
    liquidation_below: int | None = None
    liquidation_above: int | None = None


def breach_prices(exchange: Exchange, authority: str, sub_account_id: int, market_index: int) -> BreachPrices:
    """The de-risk and liquidation prices of `authority`'s subaccount for the oracle of
    `market_index` (see the module docstring). All None when the subaccount holds nothing in the
    market whose value depends on its price (no base, no BAL shares, no open orders); the de-risk
    prices None without BAL shares or for an advanced LP."""
    user = exchange.user(authority, sub_account_id)
    position = user.get_perp_position(market_index)
    if position is None or (position.base_asset_amount == 0 and position.lp_shares == 0
                            and position.open_bids == 0 and position.open_asks == 0):
        return BreachPrices()
    oracle = exchange.oracle_map.get_perp(market_index).price
    trial = _TrialOracle(exchange, user, market_index)
    maintenance = MarginContext.standard(MarginRequirementType.Maintenance)
    liquidation = _sides(lambda p: trial.surplus(p, maintenance, buffered=False), oracle)
    if position.lp_shares == 0 or user.is_advanced_lp():
        return BreachPrices(None, None, *liquidation)
    derisk_context = MarginContext(MarginRequirementType.Initial,
                                   margin_buffer=exchange.state.liquidation_margin_buffer_ratio)
    derisk = _sides(lambda p: trial.surplus(p, derisk_context, buffered=True), oracle)
    return BreachPrices(*derisk, *liquidation)


class _TrialOracle:
    """The engine's margin calculation of one user with one perp market's oracle at a trial
    price, on a copy of the oracle map (the exchange's is not touched)."""

    def __init__(self, exchange: Exchange, user: User, market_index: int) -> None:
        live = exchange.oracle_map
        self.exchange = exchange
        self.user = user
        self.key = (MarketType.Perp, market_index)
        self.reading = live.readings[self.key]
        self.oracles = OracleMap(slot=live.slot, readings=dict(live.readings),
                                 oracle_guard_rails=live.oracle_guard_rails)

    def surplus(self, price: int, context: MarginContext, buffered: bool) -> int:
        """Total collateral minus the margin requirement (quote 1e6) at oracle `price`; with
        `buffered`, both with the context's buffer (the de-risk check)."""
        reading = self.reading
        self.oracles.readings[self.key] = OracleReading(price, reading.confidence, reading.publish_slot, reading.source)
        self.oracles.cache.clear()
        ex = self.exchange
        calc = calculate_margin_requirement_and_total_collateral_and_liability_info(
            self.user, ex.perp_markets, ex.spot_markets, self.oracles, context
        )
        if buffered:
            return calc.get_total_collateral_plus_buffer() - calc.margin_requirement_plus_buffer
        return calc.total_collateral - calc.margin_requirement


def _sides(surplus: Callable[[int], int], oracle: int) -> tuple[int | None, int | None]:
    """(below, above): the crossing of `surplus` below zero nearest to `oracle` on each side."""
    at_oracle = surplus(oracle)
    if at_oracle < 0:
        return oracle, oracle
    tolerance = max(1, oracle * TOLERANCE_BPS // 10_000)
    out: list[int | None] = []
    for far in (MIN_PRICE, oracle * MAX_MULTIPLE):
        at_far = surplus(far) if far != oracle else at_oracle
        out.append(None if at_far >= 0 else _crossing(surplus, oracle, at_oracle, far, at_far, tolerance))
    return out[0], out[1]


def _crossing(surplus: Callable[[int], int], inside: int, at_inside: int, outside: int, at_outside: int,
              tolerance: int) -> int:
    """A price that fails (surplus < 0) within `tolerance` of one that passes, between `inside`
    (passes) and `outside` (fails): Illinois false position, a trial within the tolerance of the
    passing end moved to the tolerance itself."""
    direction = 1 if outside > inside else -1
    replaced = ""  # the end the last trial replaced: "in" or "out"
    weight_in, weight_out = float(at_inside), float(at_outside)
    while abs(outside - inside) > tolerance:
        trial = inside + round((outside - inside) * weight_in / (weight_in - weight_out))
        if abs(trial - inside) < tolerance:
            trial = inside + direction * tolerance
        if (trial - outside) * direction >= 0:
            trial = outside - direction
        value = surplus(trial)
        if value >= 0:
            inside, weight_in = trial, float(value)
            if replaced == "in":  # the failing end kept twice: halve its weight (Illinois)
                weight_out /= 2
            replaced = "in"
        else:
            outside, weight_out = trial, float(value)
            if replaced == "out":
                weight_in /= 2
            replaced = "out"
    return outside


def closest_distance_pct(oracle: Sequence[float | None], below: Sequence[float | None],
                         above: Sequence[float | None]) -> float | None:
    """The smallest distance over the samples from the oracle to the nearer of two breach
    prices, in % of the oracle (0 when a sample is already breached); None when no sample has
    a breach price (min_liquidation_distance_pct, min_derisk_distance_pct)."""
    closest: float | None = None
    for price, low, high in zip(oracle, below, above, strict=True):
        if not price:
            continue
        for level in (low, high):
            if level is not None:
                distance = 100.0 * abs(price - level) / price
                closest = distance if closest is None else min(closest, distance)
    return closest


def provider_risk(venue: Any, agent: Agent) -> tuple[float | None, ...]:
    """One agents-table row's RISK_COLUMNS (USD): for a BAL provider on a Drift venue, the oracle
    of its market and its `breach_prices` (subaccount 0); None for other agents and venues."""
    if not (isinstance(agent, BalProvider) and isinstance(venue, DriftVenue)):
        return _NO_RISK
    index = venue.markets[agent.market]
    exchange = venue.exchange
    prices = breach_prices(exchange, agent.name, 0, index)
    oracle = exchange.oracle_map.get_perp(index).price
    return (oracle / 1e6, *(None if price is None else price / 1e6 for price in prices))


def closest_distances(cols: Mapping[str, Sequence[Any]], rows: Sequence[int]) -> dict[str, float | None]:
    """An agent's min_derisk_distance_pct and min_liquidation_distance_pct over its rows of
    the agents table (`cols` by column, `rows` its row numbers): closest_distance_pct of each."""
    def values(name: str) -> list[Any]:
        return [cols[name][i] for i in rows]

    oracle = values("oracle_price_usd")
    return {
        f"min_{what}_distance_pct": closest_distance_pct(oracle, values(f"{what}_price_below_usd"),
                                                         values(f"{what}_price_above_usd"))
        for what in ("derisk", "liquidation")
    }
