"""Liquidation sizing: liquidator fee ramp, insurance-fund fees, sizes to cover a shortage, the
asset/liability exchange of spot and pnl liquidations, and the bankruptcy socialisation deltas.

Units: margin ratios and spot weights in MARGIN_PRECISION (1e4), fees and liquidation multipliers
in LIQUIDATION_FEE_PRECISION (1e6), prices in PRICE_PRECISION (1e6), base in BASE_PRECISION (1e9),
quote and shortages in QUOTE_PRECISION (1e6), token amounts in their market's decimals,
liquidation percentages in LIQUIDATION_PCT_PRECISION (1e4), funding rates in 1e9, interest
indices in 1e10. All operands are unsigned in the reference, so divisions floor unless a
docstring says ceil.

Source: programs/drift/src/math/liquidation.rs
"""

from __future__ import annotations

from ballast.drift.constants import (
    AMM_RESERVE_PRECISION,
    BASE_PRECISION,
    FIFTY_QUOTE,
    FUNDING_RATE_TO_QUOTE_PRECISION_PRECISION_RATIO,
    LIQUIDATION_FEE_ADJUST_GRACE_PERIOD_SLOTS,
    LIQUIDATION_FEE_INCREASE_PER_SLOT,
    LIQUIDATION_FEE_PRECISION,
    LIQUIDATION_FEE_TO_MARGIN_PRECISION_RATIO,
    LIQUIDATION_PCT_PRECISION,
    MAX_LIQUIDATION_MULTIPLIER,
    PRICE_PRECISION,
    PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO,
    QUOTE_PRECISION,
    SPOT_WEIGHT_PRECISION,
)
from ballast.drift.errors import CantResolvePerpBankruptcy, LiquidationDoesntSatisfyLimitPrice
from ballast.drift.math.margin import (
    calculate_margin_requirement_and_total_collateral_and_liability_info,
)
from ballast.drift.math.spot_balance import get_token_amount
from ballast.drift.state.margin_calculation import MarginContext
from ballast.drift.state.oracle_map import OracleMap
from ballast.drift.state.perp_market import ContractTier, PerpMarket
from ballast.drift.state.spot_market import AssetTier, SpotBalanceType, SpotMarket
from ballast.drift.state.user import User
from ballast.fixed import U32_MAX, U64_MAX, U128_MAX, MathError, cast_u64, div_ceil, div_floor

__all__ = [
    "get_max_liquidation_fee",
    "get_liquidation_fee",
    "calculate_perp_if_fee",
    "calculate_base_asset_amount_to_cover_margin_shortage",
    "calculate_max_pct_to_liquidate",
    "calculate_liquidation_transfer_price",
    "is_user_being_liquidated",
    "calculate_liquidation_multiplier",
    "calculate_spot_if_fee",
    "calculate_liability_transfer_to_cover_margin_shortage",
    "calculate_liability_transfer_implied_by_asset_amount",
    "calculate_asset_transfer_for_liability_transfer",
    "calculate_swap_price",
    "validate_transfer_satisfies_limit_price",
    "calculate_user_safest_position_tiers",
    "is_contract_tier_as_safe_as",
    "calculate_funding_rate_deltas_to_resolve_bankruptcy",
    "calculate_cumulative_deposit_interest_delta_to_resolve_bankruptcy",
]


def get_max_liquidation_fee(market: PerpMarket) -> int:
    """Ceiling of the liquidator fee ramp (1e6): min(3 x liquidator_fee, maintenance ratio x 100).

    Source: programs/drift/src/state/perp_market.rs::PerpMarket::get_max_liquidation_fee
    """
    return min(
        market.liquidator_fee * MAX_LIQUIDATION_MULTIPLIER,
        market.margin_ratio_maintenance * LIQUIDATION_FEE_TO_MARGIN_PRECISION_RATIO,
    )


def get_liquidation_fee(
    base_liquidator_fee: int,
    max_liquidator_fee: int,
    last_active_user_slot: int,
    current_slot: int,
) -> int:
    """Liquidator fee (1e6) after the slot ramp.

    Within LIQUIDATION_FEE_ADJUST_GRACE_PERIOD_SLOTS of the user's last active slot the base fee
    applies; afterwards base + elapsed x LIQUIDATION_FEE_INCREASE_PER_SLOT (the whole elapsed
    count, not elapsed minus grace; saturating at u32), capped at `max_liquidator_fee`.
    Raises MathError when `current_slot` precedes `last_active_user_slot`.

    Source: programs/drift/src/math/liquidation.rs::get_liquidation_fee
    """
    slots_elapsed = current_slot - last_active_user_slot
    if slots_elapsed < 0:
        raise MathError(
            f"current slot {current_slot} precedes user last_active_slot {last_active_user_slot}"
        )
    if slots_elapsed < LIQUIDATION_FEE_ADJUST_GRACE_PERIOD_SLOTS:
        return base_liquidator_fee
    increase = min(slots_elapsed * LIQUIDATION_FEE_INCREASE_PER_SLOT, U32_MAX)
    return min(min(base_liquidator_fee + increase, U32_MAX), max_liquidator_fee)


def calculate_perp_if_fee(
    margin_shortage: int,
    user_base_asset_amount: int,
    margin_ratio: int,
    liquidator_fee: int,
    oracle_price: int,
    quote_oracle_price: int,
    max_if_liquidation_fee: int,
) -> int:
    """Insurance-fund fee rate (1e6) charged on a perp liquidation.

    With m = margin_ratio x 100 (margin ratio incl. buffer, 1e4 -> 1e6): 0 when the oracle or
    quote price is 0, m <= liquidator_fee or the base is 0. Otherwise the shortage per unit of
    position value x = floor(floor(shortage x 1e9 / base) x 1e6 / (oracle x quote / 1e6)), capped
    at u32, and implied = floor(sat(sat(m - liquidator_fee) - x) x 19 / 20); returns
    min(max_if_liquidation_fee, implied). All divisions floor.

    Source: programs/drift/src/math/liquidation.rs::calculate_perp_if_fee
    """
    margin_ratio = margin_ratio * LIQUIDATION_FEE_TO_MARGIN_PRECISION_RATIO
    if (
        oracle_price == 0
        or quote_oracle_price == 0
        or margin_ratio <= liquidator_fee
        or user_base_asset_amount == 0
    ):
        return 0
    price = div_floor(oracle_price * quote_oracle_price, PRICE_PRECISION)
    shortage_per_value = div_floor(
        div_floor(margin_shortage * BASE_PRECISION, user_base_asset_amount) * PRICE_PRECISION,
        price,
    )
    shortage_per_value = min(shortage_per_value, U32_MAX)
    implied_if_fee = max(max(margin_ratio - liquidator_fee, 0) - shortage_per_value, 0)
    implied_if_fee = div_floor(implied_if_fee * 19, 20)
    return min(max_if_liquidation_fee, implied_if_fee)


def calculate_base_asset_amount_to_cover_margin_shortage(
    margin_shortage: int,
    margin_ratio: int,
    liquidator_fee: int,
    if_liquidation_fee: int,
    oracle_price: int,
    quote_oracle_price: int,
) -> int:
    """Base (1e9) whose transfer at the oracle frees `margin_shortage` (1e6) of margin.

    Each unit of base frees price x (m - liquidator_fee) and costs price x if_fee, with
    m = margin_ratio x 100 and price = oracle x quote / 1e6:
    floor(shortage x 1e9 / (floor(floor(price x (m - lf)) / 1e6) - floor(oracle x if_fee / 1e6))).
    Returns u64::MAX when the oracle is 0 or m <= liquidator_fee. The caller rounds the result up
    to the order step. Raises MathError when the denominator is not positive.

    Source: programs/drift/src/math/liquidation.rs::calculate_base_asset_amount_to_cover_margin_shortage
    """
    margin_ratio = margin_ratio * LIQUIDATION_FEE_TO_MARGIN_PRECISION_RATIO
    if oracle_price == 0 or margin_ratio <= liquidator_fee:
        return U64_MAX
    price = div_floor(oracle_price * quote_oracle_price, PRICE_PRECISION)
    freed_per_base = div_floor(price * (margin_ratio - liquidator_fee), LIQUIDATION_FEE_PRECISION)
    if_fee_per_base = div_floor(oracle_price * if_liquidation_fee, LIQUIDATION_FEE_PRECISION)
    denominator = freed_per_base - if_fee_per_base
    if denominator < 0:
        raise MathError(
            f"if fee per base {if_fee_per_base} exceeds margin freed per base {freed_per_base}"
        )
    return cast_u64(
        div_floor(margin_shortage * PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO, denominator)
    )


def calculate_max_pct_to_liquidate(
    user: User,
    margin_shortage: int,
    slot: int,
    initial_pct_to_liquidate: int,
    liquidation_duration: int,
) -> int:
    """Share (1e4) of the current shortage this liquidation may free.

    100% when the shortage is under $50. Otherwise the freeable share ramps linearly over
    `liquidation_duration` slots since the user's last_active_slot (100% when the duration is 0)
    on top of `initial_pct_to_liquidate`, capped at 100%; it applies to the shortage plus the
    margin already freed in this liquidation, less what was freed, over the current shortage.
    Floors throughout. Raises MathError when `slot` precedes last_active_slot.

    Source: programs/drift/src/math/liquidation.rs::calculate_max_pct_to_liquidate
    """
    if margin_shortage < FIFTY_QUOTE:
        return LIQUIDATION_PCT_PRECISION
    slots_elapsed = slot - user.last_active_slot
    if slots_elapsed < 0:
        raise MathError(f"slot {slot} precedes user last_active_slot {user.last_active_slot}")
    if liquidation_duration == 0:
        pct_freeable = LIQUIDATION_PCT_PRECISION
    else:
        pct_freeable = div_floor(slots_elapsed * LIQUIDATION_PCT_PRECISION, liquidation_duration)
    pct_freeable = min(pct_freeable + initial_pct_to_liquidate, LIQUIDATION_PCT_PRECISION)
    total_margin_shortage = margin_shortage + user.liquidation_margin_freed
    max_margin_freed = div_floor(total_margin_shortage * pct_freeable, LIQUIDATION_PCT_PRECISION)
    margin_freeable = max(max_margin_freed - user.liquidation_margin_freed, 0)
    return div_floor(margin_freeable * LIQUIDATION_PCT_PRECISION, margin_shortage)


def calculate_liquidation_transfer_price(
    oracle_price: int, liquidator_fee: int, user_is_long: bool
) -> int:
    """Price (1e6) the liquidator effectively pays per base: oracle -/+ floor(|oracle| x fee / 1e6).

    A long user's position is bought below the oracle, a short user's sold above it; the
    liquidator's limit price is checked against this.

    Source: programs/drift/src/controller/liquidation.rs::liquidate_perp (limit price check)
    """
    oracle = abs(oracle_price)
    fee = div_floor(oracle * liquidator_fee, LIQUIDATION_FEE_PRECISION)
    return oracle - fee if user_is_long else oracle + fee


def is_user_being_liquidated(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    liquidation_margin_buffer_ratio: int,
) -> bool:
    """True while the user cannot exit liquidation: collateral plus its buffer is below the
    maintenance requirement plus the liquidation buffer (`liquidation_margin_buffer_ratio`, 1e4).

    Source: programs/drift/src/math/liquidation.rs::is_user_being_liquidated
    """
    margin_calculation = calculate_margin_requirement_and_total_collateral_and_liability_info(
        user,
        perp_market_map,
        spot_market_map,
        oracle_map,
        MarginContext.liquidation(liquidation_margin_buffer_ratio),
    )
    return not margin_calculation.can_exit_liquidation()


def calculate_liquidation_multiplier(liquidation_fee: int, premium: bool) -> int:
    """Value multiplier (1e6) of a liquidated side: 1e6 + fee for the asset the liquidator
    receives (Premium), 1e6 - fee for the liability it takes on (Discount). Raises MathError if
    the discount goes below zero.

    Source: programs/drift/src/math/liquidation.rs::calculate_liquidation_multiplier
    """
    if premium:
        return LIQUIDATION_FEE_PRECISION + liquidation_fee
    if liquidation_fee > LIQUIDATION_FEE_PRECISION:
        raise MathError(f"liquidation fee {liquidation_fee} above 100% for a discount multiplier")
    return LIQUIDATION_FEE_PRECISION - liquidation_fee


def calculate_spot_if_fee(
    margin_shortage: int,
    token_amount: int,
    asset_weight: int,
    asset_liquidation_multiplier: int,
    liability_weight: int,
    liability_liquidation_multiplier: int,
    liability_decimals: int,
    liability_price: int,
    max_if_fee: int,
) -> int:
    """Insurance-fund fee rate (1e6) on the liability transferred in a spot liquidation.

    0 when the asset weight >= the liability weight (the latter includes the liquidation buffer),
    the price, token amount or liability multiplier is 0. With lw, aw the weights x 100 (1e6):
    implied = sat(lw - floor(aw x asset_mult / liab_mult)), less the shortage per token value
    floor(floor(shortage x 1e6 x 10^decimals / token_amount) / price) (saturating), then
    floor(implied x 1e6 / lw) capped at u32; returns min(max_if_fee, implied).

    Source: programs/drift/src/math/liquidation.rs::calculate_spot_if_fee
    """
    if (
        asset_weight >= liability_weight
        or liability_price == 0
        or token_amount == 0
        or liability_liquidation_multiplier == 0
    ):
        return 0
    ratio = LIQUIDATION_FEE_PRECISION // SPOT_WEIGHT_PRECISION
    liability_weight = liability_weight * ratio
    asset_weight = asset_weight * ratio
    implied_if_fee = max(
        liability_weight
        - div_floor(asset_weight * asset_liquidation_multiplier, liability_liquidation_multiplier),
        0,
    )
    shortage_per_value = div_floor(
        div_floor(
            margin_shortage * LIQUIDATION_FEE_PRECISION * 10**liability_decimals, token_amount
        ),
        liability_price,
    )
    implied_if_fee = max(implied_if_fee - shortage_per_value, 0)
    implied_if_fee = min(
        div_floor(implied_if_fee * LIQUIDATION_FEE_PRECISION, liability_weight), U32_MAX
    )
    return min(max_if_fee, implied_if_fee)


def calculate_liability_transfer_to_cover_margin_shortage(
    margin_shortage: int,
    asset_weight: int,
    asset_liquidation_multiplier: int,
    liability_weight: int,
    liability_liquidation_multiplier: int,
    liability_decimals: int,
    liability_price: int,
    if_liquidation_fee: int,
) -> int:
    """Liability tokens whose exchange for the asset frees `margin_shortage` (1e6) of margin.

    Each liability token frees price x (lw - aw x asset_mult / liab_mult) and costs the IF fee
    on its value at the liability weight; weights carry an extra x10 for precision:
    floor(floor(shortage x 10^max(dec-6,0) x 1e11 / (price x (10 lw - floor(10 aw x asset_mult /
    liab_mult)) - floor(price x if_fee / 1e6) x lw x 10)) / 10^max(6-dec,0)).
    Returns u128::MAX when the weights are equal (a pnl asset against quote). Raises MathError
    when the denominator is not positive.

    Source: programs/drift/src/math/liquidation.rs::calculate_liability_transfer_to_cover_margin_shortage
    """
    if asset_weight == liability_weight:
        return U128_MAX
    if liability_decimals > 6:
        numerator_scale, denominator_scale = 10 ** (liability_decimals - 6), 1
    else:
        numerator_scale, denominator_scale = 1, 10 ** (6 - liability_decimals)
    weight_spread = liability_weight * 10 - div_floor(
        asset_weight * 10 * asset_liquidation_multiplier, liability_liquidation_multiplier
    )
    if weight_spread < 0:
        raise MathError(
            f"asset weight {asset_weight} x multiplier exceeds liability weight {liability_weight}"
        )
    if_fee_cost = (
        div_floor(liability_price * if_liquidation_fee, LIQUIDATION_FEE_PRECISION)
        * liability_weight
        * 10
    )
    denominator = liability_price * weight_spread - if_fee_cost
    if denominator < 0:
        raise MathError(f"if fee cost {if_fee_cost} exceeds margin freed per token")
    transfer = div_floor(
        margin_shortage * numerator_scale * PRICE_PRECISION * SPOT_WEIGHT_PRECISION * 10,
        denominator,
    )
    return div_floor(transfer, denominator_scale)


def calculate_liability_transfer_implied_by_asset_amount(
    asset_amount: int,
    asset_liquidation_multiplier: int,
    asset_decimals: int,
    asset_price: int,
    liability_liquidation_multiplier: int,
    liability_decimals: int,
    liability_price: int,
) -> int:
    """Liability tokens the whole `asset_amount` pays for at the liquidation multipliers:
    ceil(ceil(asset x 10^max(ld-ad,0) x asset_price x liab_mult / (liability_price x asset_mult))
    / 10^max(ad-ld,0)) — both divisions round up.

    Source: programs/drift/src/math/liquidation.rs::calculate_liability_transfer_implied_by_asset_amount
    """
    if liability_decimals > asset_decimals:
        numerator_scale, denominator_scale = 10 ** (liability_decimals - asset_decimals), 1
    else:
        numerator_scale, denominator_scale = 1, 10 ** (asset_decimals - liability_decimals)
    implied = div_ceil(
        asset_amount * numerator_scale * asset_price * liability_liquidation_multiplier,
        liability_price * asset_liquidation_multiplier,
    )
    return div_ceil(implied, denominator_scale)


def calculate_asset_transfer_for_liability_transfer(
    asset_amount: int,
    asset_liquidation_multiplier: int,
    asset_decimals: int,
    asset_price: int,
    liability_amount: int,
    liability_liquidation_multiplier: int,
    liability_decimals: int,
    liability_price: int,
) -> int:
    """Asset tokens the liquidator receives for `liability_amount` liability tokens:
    floor(floor(liability x 10^max(ad-ld,0) x liability_price x asset_mult / (asset_price x
    liab_mult)) / 10^max(ld-ad,0)); snapped to the whole `asset_amount` when it differs from it
    by less than $1 of value (floor(|delta| x price / 1e6) x 10^(ad-6)).

    The reference scales that value with 10^(asset_decimals - 6) in u32, which overflows for
    assets with fewer than 6 decimals: MathError here too.

    Source: programs/drift/src/math/liquidation.rs::calculate_asset_transfer_for_liability_transfer
    """
    if asset_decimals > liability_decimals:
        numerator_scale, denominator_scale = 10 ** (asset_decimals - liability_decimals), 1
    else:
        numerator_scale, denominator_scale = 1, 10 ** (liability_decimals - asset_decimals)
    asset_transfer = div_floor(
        div_floor(
            liability_amount * numerator_scale * liability_price * asset_liquidation_multiplier,
            asset_price * liability_liquidation_multiplier,
        ),
        denominator_scale,
    )
    if asset_decimals < 6:
        raise MathError(f"asset decimals {asset_decimals} < 6 overflow the value scale")
    asset_value_delta = div_floor(abs(asset_transfer - asset_amount) * asset_price, PRICE_PRECISION)
    asset_value_delta *= 10 ** (asset_decimals - 6)
    if asset_value_delta < QUOTE_PRECISION:
        return asset_amount
    return asset_transfer


def calculate_swap_price(
    asset_amount: int, liability_amount: int, asset_decimals: int, liability_decimals: int
) -> int:
    """Price (1e6) of the liability in asset terms:
    floor(floor(asset x 1e6 / 10^asset_decimals) x 10^liability_decimals / liability).

    Source: programs/drift/src/math/spot_swap.rs::calculate_swap_price
    """
    asset_per_unit = div_floor(asset_amount * PRICE_PRECISION, 10**asset_decimals)
    return div_floor(asset_per_unit * 10**liability_decimals, liability_amount)


def validate_transfer_satisfies_limit_price(
    asset_transfer: int,
    liability_transfer: int,
    asset_decimals: int,
    liability_decimals: int,
    limit_price: int | None,
) -> None:
    """Raise LiquidationDoesntSatisfyLimitPrice when the liquidator's swap price (asset per
    liability, 1e6) is below its `limit_price`; no limit, no check.

    Source: programs/drift/src/math/liquidation.rs::validate_transfer_satisfies_limit_price
    """
    if limit_price is None:
        return
    swap_price = calculate_swap_price(
        asset_transfer, liability_transfer, asset_decimals, liability_decimals
    )
    if swap_price < limit_price:
        raise LiquidationDoesntSatisfyLimitPrice(
            f"transfer price {swap_price} < limit price {limit_price} (1e6, asset "
            f"{asset_transfer} for liability {liability_transfer})"
        )


def calculate_user_safest_position_tiers(
    user: User, perp_market_map: dict[int, PerpMarket], spot_market_map: dict[int, SpotMarket]
) -> tuple[AssetTier, ContractTier]:
    """Safest tier among the user's spot borrows (Unlisted if none) and among its live perp
    positions (HighlySpeculative if none); lower enum values are safer.

    Source: programs/drift/src/math/margin.rs::calculate_user_safest_position_tiers
    """
    safest_spot = AssetTier.Unlisted
    for spot_position in user.spot_positions:
        if spot_position.is_available() or spot_position.balance_type is SpotBalanceType.Deposit:
            continue
        asset_tier = spot_market_map[spot_position.market_index].asset_tier
        if asset_tier.value < safest_spot.value:
            safest_spot = asset_tier
    safest_perp = ContractTier.HighlySpeculative
    for perp_position in user.perp_positions:
        if perp_position.is_available():
            continue
        tier = perp_market_map[perp_position.market_index].contract_tier
        if tier.value < safest_perp.value:
            safest_perp = tier
    return safest_spot, safest_perp


def is_contract_tier_as_safe_as(
    contract_tier: ContractTier, best_contract: ContractTier, best_asset: AssetTier
) -> bool:
    """A contract is as safe as the user's safest liabilities when it is no riskier than the
    safest perp tier and either there is no spot liability (Unlisted) or the contract is A-C and
    the safest spot liability is Cross or riskier.

    Source: programs/drift/src/state/perp_market.rs::ContractTier::is_as_safe_as
    """
    if contract_tier.value > best_contract.value:
        return False
    if best_asset is AssetTier.Unlisted:
        return True
    return best_asset.value >= AssetTier.Cross.value and contract_tier.value <= ContractTier.C.value


def calculate_funding_rate_deltas_to_resolve_bankruptcy(loss: int, market: PerpMarket) -> int:
    """Cumulative funding rate delta (1e9) that charges `|loss|` (quote 1e6) to all open
    interest: ceil(|loss| x 1e9 / (|base_long| + |base_short|)) x 1000. Added to the long rate
    and subtracted from the short rate, it makes every position pay about |base| x delta / 1e12.
    Raises CantResolvePerpBankruptcy when the market has no open interest (even for a zero loss).

    Source: programs/drift/src/math/liquidation.rs::calculate_funding_rate_deltas_to_resolve_bankruptcy
    """
    total_base_asset_amount = abs(market.amm.base_asset_amount_long) + abs(
        market.amm.base_asset_amount_short
    )
    if total_base_asset_amount == 0:
        raise CantResolvePerpBankruptcy(
            f"perp market {market.market_index} has no open interest to socialise a loss of {loss}"
        )
    return (
        div_ceil(abs(loss) * AMM_RESERVE_PRECISION, total_base_asset_amount)
        * FUNDING_RATE_TO_QUOTE_PRECISION_PRECISION_RATIO
    )


def calculate_cumulative_deposit_interest_delta_to_resolve_bankruptcy(
    borrow: int, spot_market: SpotMarket
) -> int:
    """Cut (1e10) of the cumulative deposit interest that spreads `borrow` tokens over all
    deposits: ceil(cumulative_deposit_interest x borrow / deposit tokens); 0 when the market has
    no deposits (the reference turns the division error into 0).

    Source: programs/drift/src/math/liquidation.rs::calculate_cumulative_deposit_interest_delta_to_resolve_bankruptcy
    """
    total_deposits = get_token_amount(
        spot_market.deposit_balance, spot_market, SpotBalanceType.Deposit
    )
    if total_deposits == 0:
        return 0
    return div_ceil(spot_market.cumulative_deposit_interest * borrow, total_deposits)
