"""Margin: ratios with size premiums, unrealized-pnl weights, and the account-wide calculation.

Values in QUOTE_PRECISION (1e6), prices 1e6, base 1e9, ratios and weights in MARGIN_PRECISION
(= SPOT_WEIGHT_PRECISION, 1e4), imf factors in SPOT_IMF_PRECISION (1e6).

Source: programs/drift/src/math/margin.rs, programs/drift/src/state/perp_market.rs,
programs/drift/src/state/spot_market.rs
"""

from __future__ import annotations

from ballast.drift.constants import (
    AMM_RESERVE_PRECISION,
    AMM_TO_QUOTE_PRECISION_RATIO,
    MARGIN_PRECISION,
    MAX_POSITIVE_UPNL_FOR_INITIAL_MARGIN,
    OPEN_ORDER_MARGIN_REQUIREMENT,
    PRICE_PRECISION,
    PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO,
    SPOT_WEIGHT_PRECISION,
)
from ballast.drift.errors import (
    InsufficientCollateral,
    InvalidMarginRatio,
    InvalidOracle,
    PerpMarketNotFound,
    SpotMarketNotFound,
)
from ballast.drift.math.funding import calculate_funding_payment
from ballast.drift.math.lp import margin_requirement_for_lp_shares, simulate_settled_lp_position
from ballast.drift.math.oracle import (
    get_max_confidence_interval_multiplier,
    get_price_data_and_validity,
    is_oracle_valid_for_action,
)
from ballast.drift.math.pnl import calculate_net_user_pnl
from ballast.drift.math.spot_balance import (
    StrictOraclePrice,
    get_signed_token_amount,
    get_strict_token_value,
    get_token_amount,
    get_token_value,
)
from ballast.drift.math.weights import (
    calculate_size_discount_asset_weight,
    calculate_size_premium_liability_weight,
    get_margin_ratio,
)
from ballast.drift.state.margin_calculation import (
    MarginCalculation,
    MarginContext,
    MarginRequirementType,
)
from ballast.drift.state.oracle import DriftAction, OraclePriceData, OracleValidity
from ballast.drift.state.oracle_map import OracleMap
from ballast.drift.state.perp_market import ContractTier, MarketStatus, PerpMarket
from ballast.drift.state.spot_market import AssetTier, SpotBalanceType, SpotMarket
from ballast.drift.state.user import MarketType, PerpPosition, SpotPosition, User
from ballast.fixed import cast_u32, div_floor, div_trunc

__all__ = [
    "HIGH_LEVERAGE_MARGIN_MODE",
    "calculate_size_premium_liability_weight",
    "calculate_size_discount_asset_weight",
    "get_margin_ratio",
    "get_unrealized_asset_weight",
    "get_scaled_initial_asset_weight",
    "get_asset_weight",
    "get_liability_weight",
    "calculate_perp_position_value_and_pnl",
    "calculate_margin_requirement_and_total_collateral_and_liability_info",
    "meets_initial_margin_requirement",
    "meets_maintenance_margin_requirement",
    "meets_place_order_margin_requirement",
    "meets_settle_pnl_maintenance_margin_requirement",
    "meets_withdraw_margin_requirement",
    "calculate_user_equity",
]

HIGH_LEVERAGE_MARGIN_MODE = 1  # User.margin_mode value of state/user.rs::MarginMode::HighLeverage

_Initial = MarginRequirementType.Initial
_Fill = MarginRequirementType.Fill
_Maintenance = MarginRequirementType.Maintenance
_Deposit = SpotBalanceType.Deposit

# the validity classes usable for a margin calculation, taken from is_oracle_valid_for_action
# itself so the rule lives in one place (a set test is cheaper than its chain of comparisons)
_VALID_FOR_MARGIN_CALC = frozenset(
    validity for validity in OracleValidity if is_oracle_valid_for_action(validity, DriftAction.MarginCalc)
)

_SPOT_CONFIDENCE_MULTIPLIER = {
    AssetTier.Collateral: 1,
    AssetTier.Protected: 1,
    AssetTier.Cross: 10,
    AssetTier.Isolated: 50,
    AssetTier.Unlisted: 50,
}


# --- weights and ratios ------------------------------------------------------------------


def get_unrealized_asset_weight(
    market: PerpMarket, unrealized_pnl: int, margin_type: MarginRequirementType
) -> int:
    """Weight (1e4) of a position's unrealized pnl (1e6) as collateral.

    Losses count fully (1e4). Gains: maintenance weight for Maintenance; for Initial/Fill the
    initial weight (0 => gains count nothing), cut pro rata when users' net pnl at the last
    oracle price exceeds `unrealized_pnl_max_imbalance`, then the imf size discount on pnl·1e3.

    Source: programs/drift/src/state/perp_market.rs::PerpMarket::get_unrealized_asset_weight
    """
    if margin_type is _Maintenance:
        return (
            market.unrealized_pnl_maintenance_asset_weight
            if unrealized_pnl > 0
            else SPOT_WEIGHT_PRECISION
        )
    asset_weight = market.unrealized_pnl_initial_asset_weight
    max_imbalance = market.unrealized_pnl_max_imbalance
    if asset_weight > 0 and max_imbalance > 0:
        # the reference checks the imbalance before the sign of the pnl
        net_unsettled_pnl = calculate_net_user_pnl(
            market.amm, market.amm.historical_oracle_data.last_oracle_price
        )
        if net_unsettled_pnl > max_imbalance:
            asset_weight = cast_u32(div_floor(asset_weight * max_imbalance, abs(net_unsettled_pnl)))
    if unrealized_pnl <= 0:
        return SPOT_WEIGHT_PRECISION
    if asset_weight == 0:
        return 0
    return calculate_size_discount_asset_weight(
        unrealized_pnl * AMM_TO_QUOTE_PRECISION_RATIO,
        market.unrealized_pnl_imf_factor,
        asset_weight,
    )


def _size_in_amm_reserve_precision(size: int, decimals: int) -> int:
    size_precision = 10**decimals
    if size_precision > AMM_RESERVE_PRECISION:
        return div_floor(size, div_floor(size_precision, AMM_RESERVE_PRECISION))
    return div_floor(size * AMM_RESERVE_PRECISION, size_precision)


def get_scaled_initial_asset_weight(spot_market: SpotMarket, oracle_price: int) -> int:
    """Initial asset weight (1e4), scaled down by start / deposit value once the market's total
    deposits are worth at least `scale_initial_asset_weight_start` (1e6); floors.

    Source: programs/drift/src/state/spot_market.rs::SpotMarket::get_scaled_initial_asset_weight
    """
    start = spot_market.scale_initial_asset_weight_start
    if start == 0:
        return spot_market.initial_asset_weight
    deposits = get_token_amount(spot_market.deposit_balance, spot_market, _Deposit)
    deposit_value = get_token_value(deposits, spot_market.decimals, oracle_price)
    if deposit_value < start:
        return spot_market.initial_asset_weight
    return cast_u32(div_floor(spot_market.initial_asset_weight * start, deposit_value))


def get_asset_weight(
    spot_market: SpotMarket, size: int, oracle_price: int, margin_type: MarginRequirementType
) -> int:
    """Asset weight (1e4) of `size` tokens: scaled initial / mean of scaled initial and
    maintenance / maintenance weight by type, cut by the imf size discount.

    Source: programs/drift/src/state/spot_market.rs::SpotMarket::get_asset_weight
    """
    if margin_type is _Initial:
        default_weight = get_scaled_initial_asset_weight(spot_market, oracle_price)
    elif margin_type is _Fill:
        default_weight = div_floor(
            get_scaled_initial_asset_weight(spot_market, oracle_price)
            + spot_market.maintenance_asset_weight,
            2,
        )
    else:
        default_weight = spot_market.maintenance_asset_weight
    return calculate_size_discount_asset_weight(
        _size_in_amm_reserve_precision(size, spot_market.decimals),
        spot_market.imf_factor,
        default_weight,
    )


def get_liability_weight(
    spot_market: SpotMarket, size: int, margin_type: MarginRequirementType
) -> int:
    """Liability weight (1e4) of `size` tokens: initial / mean / maintenance weight by type,
    raised by the imf size premium.

    Source: programs/drift/src/state/spot_market.rs::SpotMarket::get_liability_weight
    """
    if margin_type is _Initial:
        default_weight = spot_market.initial_liability_weight
    elif margin_type is _Fill:
        default_weight = div_floor(
            spot_market.initial_liability_weight + spot_market.maintenance_liability_weight, 2
        )
    else:
        default_weight = spot_market.maintenance_liability_weight
    return calculate_size_premium_liability_weight(
        _size_in_amm_reserve_precision(size, spot_market.decimals),
        spot_market.imf_factor,
        default_weight,
        SPOT_WEIGHT_PRECISION,
    )


# --- per position --------------------------------------------------------------------------


def calculate_perp_position_value_and_pnl(
    market_position: PerpPosition,
    market: PerpMarket,
    oracle_price_data: OraclePriceData,
    quote_oracle_price: int,
    margin_requirement_type: MarginRequirementType,
    user_custom_margin_ratio: int = 0,
    user_high_leverage_mode: bool = False,
    strict: bool = False,
    quote_oracle_twap_5min: int | None = None,
) -> tuple[int, int, int, int]:
    """(margin_requirement, weighted_unrealized_pnl, worst_case_liability_value,
    base_asset_value) of one perp position, all quote 1e6.

    Pnl is valued at the oracle (expiry price in Settlement) and includes unsettled funding.
    The liability is the larger of |base + open_bids| and |base + open_asks| (asks on ties) at
    the live oracle, times the quote price (the higher of quote oracle and its 5-min twap when
    `strict`); the requirement is liability · max(user_custom_margin_ratio, market ratio) / 1e4
    (0 in Settlement) plus $0.01 per open order. Gains are weighted by the unrealized asset
    weight and the quote price (lower of oracle/twap when strict), capped at $100 for Initial.
    Divisions floor on magnitudes, signed ones truncate. Hot path.

    Source: programs/drift/src/math/margin.rs::calculate_perp_position_value_and_pnl
    """
    oracle_price = oracle_price_data.price
    valuation_price = (
        market.expiry_price if market.status is MarketStatus.Settlement else oracle_price
    )
    base = market_position.base_asset_amount
    amm = market.amm
    unrealized_funding = calculate_funding_payment(
        amm.cumulative_funding_rate_long if base > 0 else amm.cumulative_funding_rate_short,
        market_position,
    )

    lp_buffer = 0
    if market_position.lp_shares > 0:
        # BAL (drift_bal.md section 11): margin the position as if its LP shares were settled
        # now (dust fee pre-charged, the LP's slice of the AMM depth as open orders), plus a flat
        # LP buffer; funding above stays on the unsettled position.
        lp_buffer = margin_requirement_for_lp_shares(
            market_position, amm.order_step_size, valuation_price
        )
        market_position = simulate_settled_lp_position(market_position, market, valuation_price)
        base = market_position.base_asset_amount

    base_asset_value = (
        div_floor(abs(base) * valuation_price, AMM_RESERVE_PRECISION) if valuation_price > 0 else 0
    )
    unrealized_pnl = (
        base_asset_value if base > 0 else -base_asset_value
    ) + market_position.quote_asset_amount
    total_unrealized_pnl = unrealized_pnl + unrealized_funding

    bids_base = base + market_position.open_bids
    asks_base = base + market_position.open_asks
    if oracle_price > 0:
        bids_value = div_floor(
            abs(bids_base) * oracle_price, PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO
        )
        asks_value = div_floor(
            abs(asks_base) * oracle_price, PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO
        )
    else:
        bids_value = asks_value = 0
    if asks_value >= bids_value:
        worst_case_base_asset_amount, worst_case_liability_value = asks_base, asks_value
    else:
        worst_case_base_asset_amount, worst_case_liability_value = bids_base, bids_value

    if strict and quote_oracle_twap_5min is not None:
        quote_price_max = max(quote_oracle_price, quote_oracle_twap_5min)
        quote_price_min = min(quote_oracle_price, quote_oracle_twap_5min)
    else:
        quote_price_max = quote_price_min = quote_oracle_price
    if quote_price_max != PRICE_PRECISION:
        worst_case_liability_value = div_floor(
            worst_case_liability_value * quote_price_max, PRICE_PRECISION
        )

    if market.status is MarketStatus.Settlement:
        margin_requirement = 0
    else:
        margin_ratio = get_margin_ratio(
            market,
            abs(worst_case_base_asset_amount),
            margin_requirement_type,
            user_high_leverage_mode,
        )
        if user_custom_margin_ratio > margin_ratio:
            margin_ratio = user_custom_margin_ratio
        margin_requirement = div_floor(worst_case_liability_value * margin_ratio, MARGIN_PRECISION)
    margin_requirement += market_position.open_orders * OPEN_ORDER_MARGIN_REQUIREMENT + lp_buffer

    weighted_unrealized_pnl = total_unrealized_pnl
    if total_unrealized_pnl != 0:
        asset_weight = get_unrealized_asset_weight(
            market, total_unrealized_pnl, margin_requirement_type
        )
        if asset_weight != SPOT_WEIGHT_PRECISION:
            weighted_unrealized_pnl = div_trunc(
                weighted_unrealized_pnl * asset_weight, SPOT_WEIGHT_PRECISION
            )
        quote_price = quote_price_min if total_unrealized_pnl > 0 else quote_price_max
        if quote_price != PRICE_PRECISION:
            weighted_unrealized_pnl = div_trunc(
                weighted_unrealized_pnl * quote_price, PRICE_PRECISION
            )
    if (
        margin_requirement_type is _Initial
        and weighted_unrealized_pnl > MAX_POSITIVE_UPNL_FOR_INITIAL_MARGIN
    ):
        weighted_unrealized_pnl = MAX_POSITIVE_UPNL_FOR_INITIAL_MARGIN

    return (
        margin_requirement,
        weighted_unrealized_pnl,
        worst_case_liability_value,
        base_asset_value,
    )


# --- account-wide --------------------------------------------------------------------------


def _price_data_and_validity(
    oracle_map: OracleMap,
    market_type: MarketType,
    market_index: int,
    last_oracle_price_twap: int,
    max_confidence_interval_multiplier: int,
) -> tuple[OraclePriceData, bool]:
    price_data, validity = get_price_data_and_validity(
        oracle_map, market_type, market_index, last_oracle_price_twap, max_confidence_interval_multiplier
    )
    return price_data, validity in _VALID_FOR_MARGIN_CALC


def _weighted_spot_token_value(
    spot_market: SpotMarket,
    token_amount: int,
    token_value: int,
    oracle_price: int,
    margin_type: MarginRequirementType,
) -> int:
    if token_value > 0:
        weight = get_asset_weight(spot_market, abs(token_amount), oracle_price, margin_type)
    elif token_value < 0:
        weight = get_liability_weight(spot_market, abs(token_amount), margin_type)
    else:
        return 0
    return div_trunc(token_value * weight, SPOT_WEIGHT_PRECISION)


def _spot_worst_case_fill(
    spot_position: SpotPosition,
    spot_market: SpotMarket,
    strict_oracle_price: StrictOraclePrice,
    token_amount: int,
    margin_type: MarginRequirementType,
    user_custom_margin_ratio: int,
) -> tuple[int, int, int, int]:
    """(token_amount, orders_value, token_value, weighted_token_value) of the riskier side of
    a spot position's open orders filling, with the user's custom margin ratio applied.

    Source: programs/drift/src/state/user.rs::SpotPosition::get_worst_case_fill_simulation,
    OrderFillSimulation::apply_user_custom_margin_ratio
    """
    decimals = spot_market.decimals
    oracle_price = strict_oracle_price.current
    token_value = get_strict_token_value(token_amount, decimals, strict_oracle_price)
    if spot_position.open_bids == 0 and spot_position.open_asks == 0:
        worst = (
            token_amount,
            0,
            token_value,
            _weighted_spot_token_value(
                spot_market, token_amount, token_value, oracle_price, margin_type
            ),
        )
    else:
        sides = []
        for open_orders in (spot_position.open_bids, spot_position.open_asks):
            orders_value = get_token_value(-open_orders, decimals, strict_oracle_price.max())
            amount_after = token_amount + open_orders
            value_after = token_value - orders_value
            weighted_after = _weighted_spot_token_value(
                spot_market, amount_after, value_after, oracle_price, margin_type
            )
            sides.append((amount_after, orders_value, value_after, weighted_after))
        bid, ask = sides
        # the ask side wins ties
        worst = ask if ask[3] + ask[1] <= bid[3] + bid[1] else bid
    if user_custom_margin_ratio == 0:
        return worst
    amount, orders_value, value, weighted = worst
    if weighted < 0:
        weight = max(
            get_liability_weight(spot_market, abs(amount), _Initial),
            user_custom_margin_ratio + SPOT_WEIGHT_PRECISION,
        )
        weighted = div_trunc(value * weight, SPOT_WEIGHT_PRECISION)
    elif weighted > 0:
        weight = min(
            get_asset_weight(spot_market, abs(amount), oracle_price, _Initial),
            max(0, SPOT_WEIGHT_PRECISION - user_custom_margin_ratio),
        )
        weighted = div_trunc(value * weight, SPOT_WEIGHT_PRECISION)
    return amount, orders_value, value, weighted


def _get_spot_market(spot_market_map: dict[int, SpotMarket], market_index: int) -> SpotMarket:
    spot_market = spot_market_map.get(market_index)
    if spot_market is None:
        raise SpotMarketNotFound(f"spot market {market_index} not in the spot market map")
    return spot_market


def _get_perp_market(perp_market_map: dict[int, PerpMarket], market_index: int) -> PerpMarket:
    market = perp_market_map.get(market_index)
    if market is None:
        raise PerpMarketNotFound(f"perp market {market_index} not in the perp market map")
    return market


def calculate_margin_requirement_and_total_collateral_and_liability_info(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    context: MarginContext,
) -> MarginCalculation:
    """Total collateral, margin requirement and liability counts of a user (quote 1e6).

    Quote (market 0) deposits count at their strict token value, a quote borrow adds its value
    to the requirement; other spot balances count at their asset/liability weights (with imf
    and worst-case open-order fills); each perp position adds its requirement and weighted
    unrealized pnl (incl. unsettled funding). The context's buffer, strictness, ratio override
    and tracked market shape the totals. Oracle validity for MarginCalc is folded into
    `all_oracles_valid`. Hot path.

    Source: programs/drift/src/math/margin.rs::calculate_margin_requirement_and_total_collateral_and_liability_info
    """
    calculation = MarginCalculation(context)
    margin_type = context.margin_type
    strict = context.strict
    user_custom_margin_ratio = user.max_margin_ratio if margin_type is _Initial else 0
    if context.margin_ratio_override is not None:
        user_custom_margin_ratio = max(context.margin_ratio_override, user_custom_margin_ratio)
    user_high_leverage_mode = user.margin_mode == HIGH_LEVERAGE_MARGIN_MODE

    for spot_position in user.spot_positions:
        if spot_position.is_available():
            continue
        spot_market = _get_spot_market(spot_market_map, spot_position.market_index)
        historical = spot_market.historical_oracle_data
        oracle_price_data, oracle_valid = _price_data_and_validity(
            oracle_map,
            MarketType.Spot,
            spot_market.market_index,
            historical.last_oracle_price_twap,
            _SPOT_CONFIDENCE_MULTIPLIER[spot_market.asset_tier],
        )
        calculation.update_all_oracles_valid(oracle_valid)
        strict_oracle_price = StrictOraclePrice.new(
            oracle_price_data.price, historical.last_oracle_price_twap_5min, strict
        )
        strict_oracle_price.validate()
        balance_type = spot_position.balance_type
        token_amount = get_signed_token_amount(
            get_token_amount(spot_position.scaled_balance, spot_market, balance_type), balance_type
        )

        if spot_market.market_index == 0:
            if token_amount == 0 and spot_position.scaled_balance != 0:
                raise InvalidMarginRatio(
                    f"spot_position.scaled_balance={spot_position.scaled_balance} "
                    f"when token_amount=0"
                )
            token_value = get_strict_token_value(
                token_amount, spot_market.decimals, strict_oracle_price
            )
            if balance_type is _Deposit:
                calculation.add_total_collateral(token_value)
                calculation.total_spot_asset_value += token_value
            else:
                liability = -token_value
                if liability == 0:
                    raise InvalidMarginRatio(
                        f"token_value=0 for token_amount={token_amount} in spot market_index=0"
                    )
                calculation.add_margin_requirement(liability, liability, MarketType.Spot, 0)
                calculation.add_spot_liability()
                calculation.total_spot_liability_value += liability
            continue

        market_index = spot_market.market_index
        worst_amount, orders_value, worst_value, worst_weighted = _spot_worst_case_fill(
            spot_position,
            spot_market,
            strict_oracle_price,
            token_amount,
            margin_type,
            user_custom_margin_ratio,
        )
        if worst_amount == 0 and spot_position.scaled_balance != 0:
            raise InvalidMarginRatio(
                f"spot_position.scaled_balance={spot_position.scaled_balance} when "
                f"worst_case_token_amount=0 in spot market_index={market_index}"
            )
        calculation.add_margin_requirement(
            spot_position.open_orders * OPEN_ORDER_MARGIN_REQUIREMENT,
            0,
            MarketType.Spot,
            market_index,
        )
        is_isolated = spot_market.asset_tier is AssetTier.Isolated
        if worst_value > 0:
            calculation.add_total_collateral(worst_weighted)
            calculation.total_spot_asset_value += worst_value
        elif worst_value < 0:
            if abs(worst_weighted) < abs(worst_value):
                raise InvalidMarginRatio(
                    f"weighted_token_value {worst_weighted} < abs(worst_case_token_value "
                    f"{worst_value}) in spot market_index={market_index}"
                )
            if worst_weighted == 0:
                raise InvalidOracle(
                    f"weighted_token_value=0 for worst_case_token_amount={worst_amount} "
                    f"in spot market_index={market_index}"
                )
            calculation.add_margin_requirement(
                -worst_weighted, -worst_value, MarketType.Spot, market_index
            )
            calculation.add_spot_liability()
            calculation.with_spot_isolated_liability |= is_isolated
            calculation.total_spot_liability_value += -worst_value
        elif (
            spot_position.open_orders != 0
            or spot_position.open_bids != 0
            or spot_position.open_asks != 0
        ):
            calculation.add_spot_liability()
            calculation.with_spot_isolated_liability |= is_isolated
        if orders_value > 0:
            calculation.add_total_collateral(orders_value)
        elif orders_value < 0:
            calculation.add_margin_requirement(-orders_value, -orders_value, MarketType.Spot, 0)

    quote_index = -1
    quote_price = quote_twap = 0
    quote_valid = True
    for market_position in user.perp_positions:
        if market_position.is_available():
            continue
        market = _get_perp_market(perp_market_map, market_position.market_index)
        if market.quote_spot_market_index != quote_index:
            quote_index = market.quote_spot_market_index
            quote_spot_market = _get_spot_market(spot_market_map, quote_index)
            quote_historical = quote_spot_market.historical_oracle_data
            quote_price_data, quote_valid = _price_data_and_validity(
                oracle_map,
                MarketType.Spot,
                quote_index,
                quote_historical.last_oracle_price_twap,
                _SPOT_CONFIDENCE_MULTIPLIER[quote_spot_market.asset_tier],
            )
            quote_price = quote_price_data.price
            quote_twap = quote_historical.last_oracle_price_twap_5min
        oracle_price_data, oracle_valid = _price_data_and_validity(
            oracle_map,
            MarketType.Perp,
            market.market_index,
            market.amm.historical_oracle_data.last_oracle_price_twap,
            get_max_confidence_interval_multiplier(market.contract_tier),
        )
        margin_requirement, weighted_pnl, liability_value, _ = (
            calculate_perp_position_value_and_pnl(
                market_position,
                market,
                oracle_price_data,
                quote_price,
                margin_type,
                user_custom_margin_ratio,
                user_high_leverage_mode,
                strict,
                quote_twap,
            )
        )
        calculation.add_margin_requirement(
            margin_requirement, liability_value, MarketType.Perp, market.market_index
        )
        calculation.add_total_collateral(weighted_pnl)
        calculation.total_perp_liability_value += liability_value
        calculation.total_perp_pnl += weighted_pnl

        has_perp_liability = (
            market_position.base_asset_amount != 0
            or market_position.quote_asset_amount < 0
            or market_position.open_orders != 0
            or market_position.open_bids != 0
            or market_position.open_asks != 0
            or market_position.lp_shares > 0
        )
        if has_perp_liability:
            calculation.add_perp_liability()
            calculation.with_perp_isolated_liability |= (
                market.contract_tier is ContractTier.Isolated
            )
        if has_perp_liability or margin_type is not _Initial:
            calculation.update_all_oracles_valid(quote_valid and oracle_valid)

    calculation.validate_num_spot_liabilities()
    return calculation


def _meets_margin_requirement(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    context: MarginContext,
) -> bool:
    """Total collateral >= the margin requirement of `context` (both 1e6).

    Source: programs/drift/src/math/margin.rs::meets_initial_margin_requirement (the body
    shared by the meets_*_margin_requirement wrappers)
    """
    return calculate_margin_requirement_and_total_collateral_and_liability_info(
        user, perp_market_map, spot_market_map, oracle_map, context
    ).meets_margin_requirement()


def meets_initial_margin_requirement(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
) -> bool:
    """Total collateral >= initial margin requirement (non-strict prices).

    Source: programs/drift/src/math/margin.rs::meets_initial_margin_requirement
    """
    context = MarginContext.standard(_Initial)
    return _meets_margin_requirement(user, perp_market_map, spot_market_map, oracle_map, context)


def meets_maintenance_margin_requirement(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
) -> bool:
    """Total collateral >= maintenance margin requirement (non-strict prices).

    Source: programs/drift/src/math/margin.rs::meets_maintenance_margin_requirement
    """
    context = MarginContext.standard(_Maintenance)
    return _meets_margin_requirement(user, perp_market_map, spot_market_map, oracle_map, context)


def meets_settle_pnl_maintenance_margin_requirement(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
) -> bool:
    """Total collateral >= maintenance requirement at strict prices.

    Source: programs/drift/src/math/margin.rs::meets_settle_pnl_maintenance_margin_requirement
    """
    context = MarginContext.standard(_Maintenance).with_strict(True)
    return _meets_margin_requirement(user, perp_market_map, spot_market_map, oracle_map, context)


def meets_place_order_margin_requirement(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    risk_increasing: bool,
) -> None:
    """Raise InsufficientCollateral unless the user meets the Initial (risk-increasing order)
    or Maintenance requirement at strict prices.

    Source: programs/drift/src/math/margin.rs::meets_place_order_margin_requirement
    """
    margin_type = _Initial if risk_increasing else _Maintenance
    calculation = calculate_margin_requirement_and_total_collateral_and_liability_info(
        user,
        perp_market_map,
        spot_market_map,
        oracle_map,
        MarginContext.standard(margin_type).with_strict(True),
    )
    if not calculation.meets_margin_requirement():
        raise InsufficientCollateral(
            f"user {user.key}: total_collateral {calculation.total_collateral} < "
            f"{margin_type.name} margin_requirement {calculation.margin_requirement}"
        )


def meets_withdraw_margin_requirement(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    margin_requirement_type: MarginRequirementType,
) -> bool:
    """True if a withdrawal leaves the user above `margin_requirement_type` (strict for
    Initial); raises InvalidOracle when the user has liabilities and an oracle is invalid, and
    InsufficientCollateral when the requirement is not met.

    Source: programs/drift/src/state/user.rs::User::meets_withdraw_margin_requirement_and_increment_fuel_bonus
    (without the fuel bonus)
    """
    context = MarginContext.standard(margin_requirement_type).with_strict(
        margin_requirement_type is _Initial
    )
    calculation = calculate_margin_requirement_and_total_collateral_and_liability_info(
        user, perp_market_map, spot_market_map, oracle_map, context
    )
    if (
        calculation.margin_requirement > 0 or calculation.get_num_of_liabilities() > 0
    ) and not calculation.all_oracles_valid:
        raise InvalidOracle(
            f"user {user.key} withdrawing with outstanding liabilities while an oracle is invalid"
        )
    if not calculation.meets_margin_requirement():
        raise InsufficientCollateral(
            f"user {user.key} withdrawing: total_collateral {calculation.total_collateral} < "
            f"{margin_requirement_type.name} margin_requirement {calculation.margin_requirement}"
        )
    return True


def calculate_user_equity(
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
) -> tuple[int, bool]:
    """(net USD value of the account, all oracles valid for MarginCalc): spot balances at the
    oracle plus each perp position's unrealized pnl incl. unsettled funding, times the quote
    price (quote 1e6, truncating).

    Source: programs/drift/src/math/margin.rs::calculate_user_equity
    """
    net_usd_value = 0
    all_oracles_valid = True
    for spot_position in user.spot_positions:
        if spot_position.is_available():
            continue
        spot_market = _get_spot_market(spot_market_map, spot_position.market_index)
        oracle_price_data, oracle_valid = _price_data_and_validity(
            oracle_map,
            MarketType.Spot,
            spot_market.market_index,
            spot_market.historical_oracle_data.last_oracle_price_twap,
            _SPOT_CONFIDENCE_MULTIPLIER[spot_market.asset_tier],
        )
        all_oracles_valid = all_oracles_valid and oracle_valid
        balance_type = spot_position.balance_type
        token_amount = get_signed_token_amount(
            get_token_amount(spot_position.scaled_balance, spot_market, balance_type), balance_type
        )
        net_usd_value += get_token_value(
            token_amount, spot_market.decimals, oracle_price_data.price
        )

    for market_position in user.perp_positions:
        if market_position.is_available():
            continue
        market = _get_perp_market(perp_market_map, market_position.market_index)
        quote_spot_market = _get_spot_market(spot_market_map, market.quote_spot_market_index)
        quote_price_data, quote_valid = _price_data_and_validity(
            oracle_map,
            MarketType.Spot,
            quote_spot_market.market_index,
            quote_spot_market.historical_oracle_data.last_oracle_price_twap,
            _SPOT_CONFIDENCE_MULTIPLIER[quote_spot_market.asset_tier],
        )
        oracle_price_data, oracle_valid = _price_data_and_validity(
            oracle_map,
            MarketType.Perp,
            market.market_index,
            market.amm.historical_oracle_data.last_oracle_price_twap,
            get_max_confidence_interval_multiplier(market.contract_tier),
        )
        all_oracles_valid = all_oracles_valid and quote_valid and oracle_valid
        valuation_price = (
            market.expiry_price
            if market.status is MarketStatus.Settlement
            else oracle_price_data.price
        )
        base = market_position.base_asset_amount
        unrealized_funding = calculate_funding_payment(
            market.amm.cumulative_funding_rate_long
            if base > 0
            else market.amm.cumulative_funding_rate_short,
            market_position,
        )
        if market_position.lp_shares > 0:
            market_position = simulate_settled_lp_position(
                market_position, market, valuation_price
            )
            base = market_position.base_asset_amount
        base_value = (
            div_floor(abs(base) * valuation_price, AMM_RESERVE_PRECISION)
            if valuation_price > 0
            else 0
        )
        pnl = (base_value if base > 0 else -base_value) + market_position.quote_asset_amount
        net_usd_value += div_trunc(
            (pnl + unrealized_funding) * quote_price_data.price, PRICE_PRECISION
        )
    return net_usd_value, all_oracles_valid
