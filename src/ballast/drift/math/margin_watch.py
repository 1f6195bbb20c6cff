"""A user's maintenance margin proved still met without recalculating it (Ballast's own).

A liquidation keeper that checks every user every minute spends most of its time recalculating
margins that cannot have failed. After a full maintenance calculation that the user met,
`margin_watch` keeps:

* `key`: every input that calculation read except the perp oracle prices (the user's status,
  margin mode and positions; each position's market parameters, cumulative funding and, for
  LP shares, the AMM fields the simulated settle reads; the quote spot market's interest
  indices and oracle price);
* `excess`: total_collateral - margin_requirement (quote 1e6, >= 0);
* per perp market: the oracle price it saw and the coefficient of a bound on how fast the
  excess can fall as that price moves.

`margin_certainly_met` is True only when the key is unchanged and, summed over the markets,
the bound on the fall is at most the excess: the full calculation would then find the
requirement met. Anything the bound does not cover (spot balances other than the quote market,
a market in Settlement, a quote market other than 0, a maintenance pnl weight above 1,
non-positive prices) gives no watch, and the caller recalculates every time.

The bound, per perp position after the simulated LP settle (base b, worst-case base w at margin
ratio m (1e4) of |w|; with LP shares s = the order step, else 0), for an oracle move d (1e6) and
quote price q = max(quote oracle, 1e6): the pnl moves by at most |b|·d/1e9, and the dust fee on
the settle's sub-step remainder (|r| < s) by s·d/1e9, weighted by at most 1 and scaled by
q/1e6; the liability by |w|·d/1e9, scaled by q/1e6 and m/1e4; the flat LP buffer by s·d/1e9.
So the fall is at most `ceil(d · q · ((|b| + 2s)·1e4 + |w|·m) / 1e19) + 16` (16: the floors
and truncations of two evaluations). The worst-case side (bids or asks) must be the same at both prices: it is
when both sides have the same size, or when their sizes differ by at least 1e9 / price.

Source: Ballast (bounds programs/drift/src/math/margin.rs::calculate_perp_position_value_and_pnl
and calculate_margin_requirement_and_total_collateral_and_liability_info for Maintenance)
"""

from __future__ import annotations

from dataclasses import dataclass

from ballast.drift.constants import MARGIN_PRECISION, PRICE_PRECISION, SPOT_WEIGHT_PRECISION
from ballast.drift.math.lp import simulate_settled_lp_position
from ballast.drift.math.margin import HIGH_LEVERAGE_MARGIN_MODE
from ballast.drift.math.weights import get_margin_ratio
from ballast.drift.state.margin_calculation import MarginCalculation, MarginRequirementType
from ballast.drift.state.oracle_map import OracleMap
from ballast.drift.state.perp_market import MarketStatus, PerpMarket
from ballast.drift.state.spot_market import SpotMarket
from ballast.drift.state.user import MarketType, User
from ballast.fixed import div_ceil
from ballast.value_copy import copy_by_constructor

__all__ = ["MarginWatch", "margin_certainly_met", "margin_watch"]

_Perp = MarketType.Perp
_Spot = MarketType.Spot
_Settlement = MarketStatus.Settlement
_Maintenance = MarginRequirementType.Maintenance
# floors and truncations of the two evaluations compared, per position (quote 1e6)
_ROUNDING_SLACK = 16
# base 1e9 x price 1e6 x quote price 1e6 x ratio 1e4 -> quote 1e6
_BOUND_DENOMINATOR = 10**9 * PRICE_PRECISION * MARGIN_PRECISION


@dataclass(frozen=True, slots=True)
class MarginWatch:
    """What a met maintenance calculation saw (see the module docstring): `key`, `excess`
    (quote 1e6) and per perp market (market_index, oracle_price 1e6, bound coefficient,
    minimum side difference (base 1e9; 0 when the sides have the same size))."""

    key: tuple
    excess: int
    quote_price: int
    markets: tuple[tuple[int, int, int, int], ...]


def _key(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
) -> tuple | None:
    """Every input of the maintenance calculation but the perp oracle prices; None when the
    user holds something the bound does not cover."""
    parts: list = [user.status, user.margin_mode]
    for spot_position in user.spot_positions:
        if spot_position.is_available():
            continue
        if spot_position.market_index != 0:
            return None
        parts.append(
            (spot_position.scaled_balance, spot_position.balance_type, spot_position.open_orders)
        )
    quote = spot_market_map[0]
    parts.append(
        (
            quote.cumulative_deposit_interest,
            quote.cumulative_borrow_interest,
            quote.decimals,
            oracle_map.get_price_data(_Spot, 0).price,
        )
    )
    for position in user.perp_positions:
        if position.is_available():
            continue
        market = perp_market_map[position.market_index]
        if market.status is _Settlement or market.quote_spot_market_index != 0:
            return None
        if market.unrealized_pnl_maintenance_asset_weight > SPOT_WEIGHT_PRECISION:
            return None
        amm = market.amm
        parts.append(
            (
                position.market_index,
                position.base_asset_amount,
                position.quote_asset_amount,
                position.open_bids,
                position.open_asks,
                position.open_orders,
                position.lp_shares,
                position.last_cumulative_funding_rate,
                position.last_base_asset_amount_per_lp,
                position.last_quote_asset_amount_per_lp,
                position.per_lp_base,
                position.remainder_base_asset_amount,
                market.status,
                market.margin_ratio_maintenance,
                market.high_leverage_margin_ratio_initial,
                market.high_leverage_margin_ratio_maintenance,
                market.imf_factor,
                market.unrealized_pnl_maintenance_asset_weight,
                amm.cumulative_funding_rate_long,
                amm.cumulative_funding_rate_short,
                amm.order_step_size,
            )
        )
        if position.lp_shares > 0:
            parts.append(
                (
                    amm.base_asset_amount_per_lp,
                    amm.quote_asset_amount_per_lp,
                    amm.per_lp_base,
                    amm.sqrt_k,
                    amm.base_asset_reserve,
                    amm.min_base_asset_reserve,
                    amm.max_base_asset_reserve,
                    amm.lp_fee_slice_numerator,
                    amm.lp_fee_slice_denominator,
                )
            )
    return tuple(parts)


def margin_watch(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    calculation: MarginCalculation,
) -> MarginWatch | None:
    """The watch of a user whose maintenance calculation `calculation` (just made, on the same
    state) met its requirement; None when the bound does not cover the user or a price is not
    positive.

    Source: Ballast (see the module docstring)
    """
    context = calculation.context
    if (
        context.margin_type is not _Maintenance
        or context.strict
        or context.margin_buffer != 0
        or context.margin_ratio_override is not None
    ):
        return None
    if not calculation.meets_margin_requirement():
        return None
    key = _key(user, perp_market_map, spot_market_map, oracle_map)
    if key is None:
        return None
    quote_price = max(oracle_map.get_price_data(_Spot, 0).price, PRICE_PRECISION)
    high_leverage = user.margin_mode == HIGH_LEVERAGE_MARGIN_MODE
    markets: list[tuple[int, int, int, int]] = []
    for position in user.perp_positions:
        if position.is_available():
            continue
        market = perp_market_map[position.market_index]
        price = oracle_map.get_price_data(_Perp, position.market_index).price
        if price <= 0:
            return None
        settled = simulate_settled_lp_position(position, market, price)
        base = settled.base_asset_amount
        bids = abs(base + settled.open_bids)
        asks = abs(base + settled.open_asks)
        worst = max(bids, asks)
        ratio = get_margin_ratio(market, worst, _Maintenance, high_leverage)
        step = market.amm.order_step_size if position.lp_shares > 0 else 0
        # the dust fee's remainder (sub-step) and the flat LP buffer: one step each
        coefficient = (abs(base) + 2 * step) * MARGIN_PRECISION + worst * ratio
        markets.append((position.market_index, price, coefficient, abs(bids - asks)))
    excess = calculation.total_collateral - calculation.margin_requirement
    return MarginWatch(key, excess, quote_price, tuple(markets))


def margin_certainly_met(
    watch: MarginWatch,
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
) -> bool:
    """True when a maintenance calculation now would find the requirement met: the key is
    unchanged and the bounded fall of the excess over the oracle moves is at most the excess
    (False means: recalculate).

    Source: Ballast (see the module docstring)
    """
    fall = 0
    for market_index, price_then, coefficient, side_difference in watch.markets:
        price = oracle_map.get_price_data(_Perp, market_index).price
        if price == price_then:
            continue
        if price <= 0:
            return False
        if side_difference and side_difference * min(price, price_then) < 10**9:
            return False
        fall += div_ceil(abs(price - price_then) * watch.quote_price * coefficient, _BOUND_DENOMINATOR)
        fall += _ROUNDING_SLACK
        if fall > watch.excess:
            return False
    return _key(user, perp_market_map, spot_market_map, oracle_map) == watch.key


copy_by_constructor(MarginWatch)
