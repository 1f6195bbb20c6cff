"""Swap math: the swap's price, which margin requirement a swap must meet, its price bands.

Amounts in each token's decimals, prices PRICE_PRECISION (1e6), weights 1e4.

Source: programs/drift/src/math/spot_swap.rs
"""

from __future__ import annotations

from ballast.drift.constants import PRICE_PRECISION, SPOT_WEIGHT_PRECISION
from ballast.drift.errors import DefaultError
from ballast.drift.math.margin import get_asset_weight, get_liability_weight
from ballast.drift.math.orders import calculate_fill_price, validate_fill_price_within_price_bands
from ballast.drift.math.spot_balance import (
    StrictOraclePrice,
    get_strict_token_value,
    get_token_value,
)
from ballast.drift.state.margin_calculation import MarginRequirementType
from ballast.drift.state.spot_market import SpotMarket
from ballast.drift.state.user import PositionDirection
from ballast.fixed import div_floor, div_trunc

__all__ = [
    "calculate_swap_price",
    "get_spot_margin_ratio",
    "select_margin_type_for_swap",
    "validate_price_bands_for_swap",
]


def calculate_swap_price(amount_out: int, amount_in: int, out_decimals: int, in_decimals: int) -> int:
    """Out tokens per in token (1e6): floor(floor(amount_out * 1e6 / 10^out) * 10^in / amount_in).

    Source: programs/drift/src/math/spot_swap.rs::calculate_swap_price
    """
    return div_floor(div_floor(amount_out * PRICE_PRECISION, 10**out_decimals) * 10**in_decimals, amount_in)


def get_spot_margin_ratio(spot_market: SpotMarket, margin_type: MarginRequirementType) -> int:
    """The market's margin ratio (1e4): its liability weight less 1 (Fill has none).

    Source: programs/drift/src/state/spot_market.rs::SpotMarket::get_margin_ratio
    """
    if margin_type is MarginRequirementType.Initial:
        return spot_market.initial_liability_weight - SPOT_WEIGHT_PRECISION
    if margin_type is MarginRequirementType.Maintenance:
        return spot_market.maintenance_liability_weight - SPOT_WEIGHT_PRECISION
    raise DefaultError(f"spot market {spot_market.market_index} has no Fill margin ratio")


def _free_collateral_contribution(
    market: SpotMarket, strict_oracle_price: StrictOraclePrice, token_amount: int
) -> int:
    """Strict value times the initial asset (or liability) weight, truncated (quote 1e6).

    Source: programs/drift/src/math/spot_swap.rs::select_margin_type_for_swap (calculate_free_collateral_contribution)
    """
    token_value = get_strict_token_value(token_amount, market.decimals, strict_oracle_price)
    if token_amount >= 0:
        weight = get_asset_weight(
            market, token_amount, strict_oracle_price.current, MarginRequirementType.Initial
        )
    else:
        weight = get_liability_weight(market, -token_amount, MarginRequirementType.Initial)
    return div_trunc(token_value * weight, SPOT_WEIGHT_PRECISION)


def select_margin_type_for_swap(
    in_market: SpotMarket,
    out_market: SpotMarket,
    in_strict_price: StrictOraclePrice,
    out_strict_price: StrictOraclePrice,
    in_token_amount_before: int,
    out_token_amount_before: int,
    in_token_amount_after: int,
    out_token_amount_after: int,
    strict_margin_type: MarginRequirementType,
) -> tuple[MarginRequirementType, bool]:
    """(margin type, risk increasing) of a trade that sells `in` for `out`: Maintenance when
    the two balances' initial-weighted value (strict prices, truncated) went up, otherwise
    `strict_margin_type`. Token amounts signed (deposit > 0, borrow < 0).

    Source: programs/drift/src/math/spot_swap.rs::select_margin_type_for_swap
    """
    before = _free_collateral_contribution(
        in_market, in_strict_price, in_token_amount_before
    ) + _free_collateral_contribution(out_market, out_strict_price, out_token_amount_before)
    after = _free_collateral_contribution(
        in_market, in_strict_price, in_token_amount_after
    ) + _free_collateral_contribution(out_market, out_strict_price, out_token_amount_after)
    if after > before:
        return MarginRequirementType.Maintenance, False
    return strict_margin_type, True


def validate_price_bands_for_swap(
    in_market: SpotMarket,
    out_market: SpotMarket,
    amount_in: int,
    amount_out: int,
    in_price: int,
    out_price: int,
    oracle_twap_5min_percent_divergence: int,
) -> None:
    """PriceBandsBreached unless the swap's price is within the bands of the riskier side: a
    sale of the in token (its margin ratio non-zero) priced in quote against the in oracle,
    otherwise a purchase of the out token against the out oracle.

    Source: programs/drift/src/math/spot_swap.rs::validate_price_bands_for_swap
    """
    in_market_margin_ratio = get_spot_margin_ratio(in_market, MarginRequirementType.Initial)
    if in_market_margin_ratio != 0:
        out_value = get_token_value(amount_out, out_market.decimals, out_price)
        fill_price = calculate_fill_price(out_value, amount_in, 10**in_market.decimals)
        direction = PositionDirection.Short
        oracle_price = in_price
        oracle_twap_5min = in_market.historical_oracle_data.last_oracle_price_twap_5min
        margin_ratio = in_market_margin_ratio
    else:
        fill_price = calculate_fill_price(amount_in, amount_out, 10**out_market.decimals)
        direction = PositionDirection.Long
        oracle_price = out_price
        oracle_twap_5min = out_market.historical_oracle_data.last_oracle_price_twap_5min
        margin_ratio = get_spot_margin_ratio(out_market, MarginRequirementType.Initial)
    validate_fill_price_within_price_bands(
        fill_price,
        oracle_price,
        oracle_twap_5min,
        margin_ratio,
        oracle_twap_5min_percent_divergence,
        direction,
    )
