"""Curve changes that mutate a market: storing a new k, charging their cost to the fee pool,
the AMM update before fills (repeg + k, oracle twap, spreads) and the formulaic k update at
funding time.

Reserves 1e9, peg and prices 1e6, costs quote 1e6 (positive: the protocol pays).

Source: programs/drift/src/controller/repeg.rs, programs/drift/src/controller/amm.rs
"""

from __future__ import annotations

from ballast.drift.constants import K_BPS_UPDATE_SCALE, MAX_K_BPS_INCREASE, MAX_SQRT_K
from ballast.drift.controller.amm import update_oracle_price_twap, update_spreads
from ballast.drift.math.amm import (
    calculate_bid_ask_bounds,
    calculate_terminal_reserves,
    get_sanitize_clamp_denominator,
    reserve_price,
)
from ballast.drift.math.cp_curve import (
    UpdateKResult,
    adjust_k_cost,
    calculate_budgeted_k_scale,
    can_lower_k,
    get_update_k_result,
)
from ballast.drift.math.oracle import (
    get_max_confidence_interval_multiplier,
    is_oracle_valid_for_action,
    oracle_validity,
)
from ballast.drift.math.repeg import (
    adjust_amm,
    calculate_optimal_peg_and_budget,
    get_total_fee_lower_bound,
)
from ballast.drift.state.oracle import DriftAction, OraclePriceData
from ballast.drift.state.perp_market import MarketStatus, PerpMarket
from ballast.drift.state.state import State
from ballast.drift.state.user import MarketType
from ballast.fixed import MathError, cast_i64, div_floor, div_trunc

__all__ = ["update_k", "apply_cost_to_market", "_update_amm", "formulaic_update_k"]


def update_k(market: PerpMarket, update_k_result: UpdateKResult) -> None:
    """Store a new curve: reserves and sqrt_k, then the terminal quote reserve, the min/max base
    reserves around the terminal base reserve (concentration_coef) and the spreads at the new
    reserve price.

    Source: programs/drift/src/math/cp_curve.rs::update_k
    """
    amm = market.amm
    amm.base_asset_reserve = update_k_result.base_asset_reserve
    amm.quote_asset_reserve = update_k_result.quote_asset_reserve
    amm.sqrt_k = update_k_result.sqrt_k
    terminal_quote_reserve, terminal_base_reserve = calculate_terminal_reserves(amm)
    amm.terminal_quote_asset_reserve = terminal_quote_reserve
    amm.min_base_asset_reserve, amm.max_base_asset_reserve = calculate_bid_ask_bounds(
        amm.concentration_coef, terminal_base_reserve
    )
    update_spreads(market, reserve_price(amm))


def apply_cost_to_market(market: PerpMarket, cost: int, check_lower_bound: bool) -> bool:
    """Charge `cost` (quote 1e6; negative = revenue) to total_fee_minus_distributions and
    net_revenue_since_last_funding. With `check_lower_bound`, a positive cost that would take tfmd
    below the fees reserved for the protocol (half the exchange fees + liquidation fees -
    withdrawn) is refused: nothing changes and False is returned.

    Source: programs/drift/src/controller/repeg.rs::apply_cost_to_market
    """
    amm = market.amm
    if cost > 0:
        new_total_fee_minus_distributions = amm.total_fee_minus_distributions - cost
        fee_reserved_for_protocol = (
            get_total_fee_lower_bound(market) + amm.total_liquidation_fee - amm.total_fee_withdrawn
        )
        if fee_reserved_for_protocol < 0:
            raise MathError(
                f"total_fee_withdrawn {amm.total_fee_withdrawn} exceeds the fees reserved for "
                f"the protocol in market {market.market_index}"
            )
        if check_lower_bound and new_total_fee_minus_distributions < fee_reserved_for_protocol:
            return False
        amm.total_fee_minus_distributions = new_total_fee_minus_distributions
    else:
        amm.total_fee_minus_distributions -= cost
    amm.net_revenue_since_last_funding = cast_i64(amm.net_revenue_since_last_funding - cost)
    return True


def _update_amm(
    market: PerpMarket, oracle_price_data: OraclePriceData, state: State, now: int, slot: int
) -> int:
    """Bring the AMM up to date with the oracle before a fill, liquidation or funding update;
    returns the repeg/k cost charged (quote 1e6, positive: the protocol paid).

    Settlement/Delisted markets are left alone (0). When the oracle is usable for UpdateAMMCurve
    and curve_update_intensity > 0: optimal peg and budget, adjust_amm, charge the cost
    (apply_cost_to_market) and on success store the new k and peg. Then the oracle twap update
    (when usable for UpdateTwap) at the post-repeg reserve price, the spreads (with `slot`), and
    last_update_slot = slot (only if a repeg was not refused) / last_oracle_valid for a Valid
    oracle.

    Source: programs/drift/src/controller/repeg.rs::_update_amm
    """
    if market.status is MarketStatus.Settlement or market.status is MarketStatus.Delisted:
        return 0
    amm = market.amm
    validity = oracle_validity(
        MarketType.Perp,
        market.market_index,
        amm.historical_oracle_data.last_oracle_price_twap,
        oracle_price_data,
        state.oracle_guard_rails.validity,
        get_max_confidence_interval_multiplier(market.contract_tier),
        amm.oracle_source,
    )

    amm_update_cost = 0
    amm_not_successfully_updated = False
    if is_oracle_valid_for_action(validity, DriftAction.UpdateAMMCurve):
        curve_update_intensity = min(amm.curve_update_intensity, 100)
        if curve_update_intensity > 0:
            optimal_peg, fee_budget, check_lower_bound = calculate_optimal_peg_and_budget(
                market, oracle_price_data
            )
            repegged_market, repegged_cost = adjust_amm(
                market, optimal_peg, fee_budget, curve_update_intensity >= 100
            )
            if apply_cost_to_market(market, repegged_cost, check_lower_bound):
                repegged_amm = repegged_market.amm
                update_k(
                    market,
                    UpdateKResult(
                        repegged_amm.sqrt_k,
                        repegged_amm.base_asset_reserve,
                        repegged_amm.quote_asset_reserve,
                    ),
                )
                amm.peg_multiplier = repegged_amm.peg_multiplier
                amm_update_cost = repegged_cost
            else:
                amm_not_successfully_updated = True

    reserve_price_after = reserve_price(amm)
    if is_oracle_valid_for_action(validity, DriftAction.UpdateTwap):
        update_oracle_price_twap(
            amm,
            now,
            oracle_price_data,
            reserve_price_after,
            get_sanitize_clamp_denominator(market),
        )
    update_spreads(market, reserve_price_after, slot)
    if is_oracle_valid_for_action(validity, DriftAction.FillOrderAmm):
        if not amm_not_successfully_updated:
            amm.last_update_slot = slot
        amm.last_oracle_valid = True
    else:
        amm.last_oracle_valid = False
    return amm_update_cost


def formulaic_update_k(
    market: PerpMarket, oracle_price_data: OraclePriceData, funding_imbalance_cost: int, now: int
) -> None:
    """Scale k with the funding imbalance (quote 1e6; positive: the protocol paid funding).

    Budget: revenue (cost < 0) gives back half of it, trunc(|cost| / 2), when neither spread
    exceeds base_spread (else nothing); a cost beyond the period's net revenue takes back half the
    shortfall, trunc((max(0, nrslf) - cost) / 2) (negative); else 0. A positive budget below
    MAX_SQRT_K, or a negative one when can_lower_k, scales sqrt_k by calculate_budgeted_k_scale
    within 1e6 +- 1000 * intensity / 100 (floor, at least user_lp_shares + 1), bounded
    get_update_k_result; the cost is charged with the lower-bound check and the curve stored only
    if that succeeds. `oracle_price_data` and `now` are unused (the reference only logs them).

    Source: programs/drift/src/controller/amm.rs::formulaic_update_k
    """
    amm = market.amm
    funding_imbalance_cost_i64 = cast_i64(funding_imbalance_cost)
    if funding_imbalance_cost_i64 < 0:
        if max(amm.long_spread, amm.short_spread) <= amm.base_spread:
            budget = abs(div_trunc(funding_imbalance_cost_i64, 2))
        else:
            budget = 0
    elif amm.net_revenue_since_last_funding < funding_imbalance_cost_i64:
        budget = div_trunc(
            max(0, amm.net_revenue_since_last_funding) - funding_imbalance_cost_i64, 2
        )
    else:
        budget = 0

    if not ((budget > 0 and amm.sqrt_k < MAX_SQRT_K) or (budget < 0 and can_lower_k(amm))):
        return
    k_pct_step = div_trunc(MAX_K_BPS_INCREASE * amm.curve_update_intensity, 100)
    k_scale_numerator, k_scale_denominator = calculate_budgeted_k_scale(
        market, budget, K_BPS_UPDATE_SCALE + k_pct_step, K_BPS_UPDATE_SCALE - k_pct_step
    )
    new_sqrt_k = max(
        div_floor(amm.sqrt_k * k_scale_numerator, k_scale_denominator), amm.user_lp_shares + 1
    )
    update_k_result = get_update_k_result(market, new_sqrt_k, True)
    adjustment_cost = adjust_k_cost(market, update_k_result)
    if apply_cost_to_market(market, adjustment_cost, True):
        update_k(market, update_k_result)
