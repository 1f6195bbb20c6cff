"""Validation of a spot market's risk, interest and fee parameters.

Weights in SPOT_WEIGHT_PRECISION (1e4), rates and utilization in 1e6 (100%), fees in
LIQUIDATION_FEE_PRECISION (1e6), IF factors in IF_FACTOR_PRECISION (1e6). The reference runs
these checks in its admin handlers (initialize and the per-parameter setters) with the error
codes kept here.

Source: programs/drift/src/validation/spot_market.rs, programs/drift/src/validation/margin.rs,
programs/drift/src/instructions/admin.rs
"""

from __future__ import annotations

from ballast.drift.constants import (
    IF_FACTOR_PRECISION,
    LIQUIDATION_FEE_PRECISION,
    QUOTE_SPOT_MARKET_INDEX,
    SPOT_IMF_PRECISION,
    SPOT_UTILIZATION_PRECISION,
    SPOT_WEIGHT_PRECISION,
)
from ballast.drift.errors import DefaultError, InvalidSpotMarketInitialization
from ballast.drift.math.spot_balance import get_min_borrow_rate
from ballast.drift.state.spot_market import SpotMarket
from ballast.fixed import div_floor

__all__ = [
    "validate_borrow_rate",
    "validate_margin_weights",
    "validate_if_factors",
    "validate_liquidation_fees",
    "validate_revenue_settle_period",
    "validate_spot_market",
]

# the interest index scale 10^(19 - decimals) needs decimals <= 19
_MAX_SPOT_DECIMALS = 19


def validate_borrow_rate(
    optimal_utilization: int, optimal_borrow_rate: int, max_borrow_rate: int, min_borrow_rate: int
) -> None:
    """Require optimal_utilization <= 1e6 and min_borrow_rate <= optimal_borrow_rate <=
    max_borrow_rate (rates 1e6; `min_borrow_rate` already in 1e6, i.e. the market field * 5000).
    Raises InvalidSpotMarketInitialization.

    Source: programs/drift/src/validation/spot_market.rs::validate_borrow_rate
    """
    if optimal_utilization > SPOT_UTILIZATION_PRECISION:
        raise InvalidSpotMarketInitialization(
            f"optimal_utilization {optimal_utilization} > {SPOT_UTILIZATION_PRECISION}"
        )
    if optimal_borrow_rate > max_borrow_rate:
        raise InvalidSpotMarketInitialization(
            f"optimal_borrow_rate {optimal_borrow_rate} > max_borrow_rate {max_borrow_rate}"
        )
    if optimal_borrow_rate < min_borrow_rate:
        raise InvalidSpotMarketInitialization(
            f"optimal_borrow_rate {optimal_borrow_rate} < min_borrow_rate {min_borrow_rate}"
        )


def validate_margin_weights(
    spot_market_index: int,
    initial_asset_weight: int,
    maintenance_asset_weight: int,
    initial_liability_weight: int,
    maintenance_liability_weight: int,
    imf_factor: int,
) -> None:
    """Quote market (index 0): all four weights exactly 1e4. Other markets:
    initial_asset_weight <= maintenance_asset_weight <= 1e4 with maintenance > 0, and
    initial_liability_weight >= maintenance_liability_weight >= 1e4. Always imf_factor < 1e6.
    Raises InvalidSpotMarketInitialization.

    Source: programs/drift/src/validation/margin.rs::validate_margin_weights
    """
    if spot_market_index == QUOTE_SPOT_MARKET_INDEX:
        weights = {
            "initial_asset_weight": initial_asset_weight,
            "maintenance_asset_weight": maintenance_asset_weight,
            "initial_liability_weight": initial_liability_weight,
            "maintenance_liability_weight": maintenance_liability_weight,
        }
        for name, weight in weights.items():
            if weight != SPOT_WEIGHT_PRECISION:
                raise InvalidSpotMarketInitialization(
                    f"quote spot market {name} {weight} != {SPOT_WEIGHT_PRECISION}"
                )
    else:
        if initial_asset_weight > SPOT_WEIGHT_PRECISION:
            raise InvalidSpotMarketInitialization(
                f"spot market {spot_market_index} initial_asset_weight {initial_asset_weight} "
                f"> {SPOT_WEIGHT_PRECISION}"
            )
        if not (
            initial_asset_weight <= maintenance_asset_weight
            and 0 < maintenance_asset_weight <= SPOT_WEIGHT_PRECISION
        ):
            raise InvalidSpotMarketInitialization(
                f"spot market {spot_market_index} maintenance_asset_weight "
                f"{maintenance_asset_weight} not in [max(initial_asset_weight "
                f"{initial_asset_weight}, 1), {SPOT_WEIGHT_PRECISION}]"
            )
        if initial_liability_weight < SPOT_WEIGHT_PRECISION:
            raise InvalidSpotMarketInitialization(
                f"spot market {spot_market_index} initial_liability_weight "
                f"{initial_liability_weight} < {SPOT_WEIGHT_PRECISION}"
            )
        if not (SPOT_WEIGHT_PRECISION <= maintenance_liability_weight <= initial_liability_weight):
            raise InvalidSpotMarketInitialization(
                f"spot market {spot_market_index} maintenance_liability_weight "
                f"{maintenance_liability_weight} not in [{SPOT_WEIGHT_PRECISION}, "
                f"initial_liability_weight {initial_liability_weight}]"
            )
    if imf_factor >= SPOT_IMF_PRECISION:
        raise InvalidSpotMarketInitialization(
            f"spot market {spot_market_index} imf_factor {imf_factor} >= {SPOT_IMF_PRECISION}"
        )


def validate_if_factors(user_if_factor: int, total_if_factor: int) -> None:
    """Require user_if_factor <= total_if_factor <= 1e6 (100%). Raises DefaultError, as the
    reference's setter does.

    Source: programs/drift/src/instructions/admin.rs::handle_update_spot_market_if_factor
    """
    if user_if_factor > total_if_factor:
        raise DefaultError(f"user_if_factor {user_if_factor} > total_if_factor {total_if_factor}")
    if total_if_factor > IF_FACTOR_PRECISION:
        raise DefaultError(f"total_if_factor {total_if_factor} > {IF_FACTOR_PRECISION}")


def validate_liquidation_fees(liquidator_fee: int, if_liquidation_fee: int) -> None:
    """Require liquidator_fee + if_liquidation_fee < 1e6 and if_liquidation_fee <= 1e5 (10%).
    Raises DefaultError, as the reference's setter does.

    Source: programs/drift/src/instructions/admin.rs::handle_update_spot_market_liquidation_fee
    """
    if liquidator_fee + if_liquidation_fee >= LIQUIDATION_FEE_PRECISION:
        raise DefaultError(
            f"liquidator_fee {liquidator_fee} + if_liquidation_fee {if_liquidation_fee} "
            f">= {LIQUIDATION_FEE_PRECISION}"
        )
    max_if_liquidation_fee = div_floor(LIQUIDATION_FEE_PRECISION, 10)
    if if_liquidation_fee > max_if_liquidation_fee:
        raise DefaultError(f"if_liquidation_fee {if_liquidation_fee} > {max_if_liquidation_fee}")


def validate_revenue_settle_period(revenue_settle_period: int) -> None:
    """Require a positive revenue settle period (seconds). Raises DefaultError.

    Source: programs/drift/src/instructions/admin.rs::handle_update_spot_market_revenue_settle_period
    """
    if revenue_settle_period <= 0:
        raise DefaultError(f"revenue_settle_period {revenue_settle_period} <= 0")


def validate_spot_market(spot_market: SpotMarket) -> None:
    """Run every parameter check on a market: decimals <= 19, margin weights, borrow-rate curve
    (with its min_borrow_rate floor), IF factors and liquidation fees. The first failure raises
    its error; decimals raise InvalidSpotMarketInitialization (the reference would fail with
    MathError at the first balance conversion instead). revenue_settle_period is a setter-only
    check (validate_revenue_settle_period): initialisation sets it to one hour.

    Source: programs/drift/src/instructions/admin.rs::handle_initialize_spot_market
    """
    if spot_market.decimals > _MAX_SPOT_DECIMALS:
        raise InvalidSpotMarketInitialization(
            f"spot market {spot_market.market_index} decimals {spot_market.decimals} "
            f"> {_MAX_SPOT_DECIMALS}"
        )
    validate_margin_weights(
        spot_market.market_index,
        spot_market.initial_asset_weight,
        spot_market.maintenance_asset_weight,
        spot_market.initial_liability_weight,
        spot_market.maintenance_liability_weight,
        spot_market.imf_factor,
    )
    validate_borrow_rate(
        spot_market.optimal_utilization,
        spot_market.optimal_borrow_rate,
        spot_market.max_borrow_rate,
        get_min_borrow_rate(spot_market),
    )
    validate_if_factors(
        spot_market.insurance_fund.user_factor, spot_market.insurance_fund.total_factor
    )
    validate_liquidation_fees(spot_market.liquidator_fee, spot_market.if_liquidation_fee)
