"""Settling perp pnl into the quote collateral balance through the market's pnl and fee pools.

Token amounts are quote tokens (QUOTE_PRECISION, 1e6); pools are deposit-type scaled balances
of the quote spot market. A settlement moves cash between the user's quote balance and the pnl
pool (1% of a loss to the fee pool while the fee pool is below its target), after rebalancing the
fee pool against the pnl pool and the quote market's revenue pool.

Source: programs/drift/src/controller/pnl.rs::settle_pnl,
programs/drift/src/controller/amm.rs::update_pool_balances, calculate_revenue_pool_transfer
"""

from __future__ import annotations

from enum import Enum

from ballast.drift.constants import (
    FEE_POOL_TO_REVENUE_POOL_THRESHOLD,
    MAX_OPEN_ORDERS,
    PERCENTAGE_PRECISION,
    QUOTE_SPOT_MARKET_INDEX,
)
from ballast.drift.controller.lp import burn_lp_shares_with_record, settle_funding_payment_then_lp
from ballast.drift.controller.orders import place_perp_order
from ballast.drift.controller.position import update_quote_asset_amount, update_settled_pnl
from ballast.drift.controller.spot_balance import (
    transfer_spot_balances,
    update_revenue_pool_balances,
    update_spot_balances,
    validate_spot_balances,
)
from ballast.drift.errors import (
    AMMNotUpdatedInSameSlot,
    BlockchainClockInconsistency,
    InsufficientCollateralForSettlingPNL,
    InsufficientPerpPnlPool,
    InvalidMarketStatusToSettlePnl,
    NoUnsettledPnl,
    OracleInsufficientDataPoints,
    OracleNonPositive,
    OracleStaleForAMM,
    OracleStaleForMargin,
    OracleTooUncertain,
    OracleTooVolatile,
    PerpMarketNotFound,
    PnlPoolCantSettleUser,
    PriceBandsBreached,
    SpotMarketNotFound,
    UserBankrupt,
    UserHasNoPositionInMarket,
    UserMustSettleTheirOwnPositiveUnsettledPNL,
)
from ballast.drift.events import LPAction, OrderActionExplanation, SettlePnlRecord
from ballast.drift.math.amm import (
    calculate_oracle_twap_5min_price_spread_pct,
    is_oracle_mark_too_divergent,
    reserve_price,
)
from ballast.drift.math.auction import get_perp_baseline_start_end_price_offset
from ballast.drift.math.lp import calculate_lp_shares_to_burn_for_risk_reduction
from ballast.drift.math.margin import (
    calculate_margin_requirement_and_total_collateral_and_liability_info,
    meets_settle_pnl_maintenance_margin_requirement,
)
from ballast.drift.math.oracle import (
    get_max_confidence_interval_multiplier,
    is_oracle_valid_for_action,
    oracle_validity,
)
from ballast.drift.math.pnl import (
    calculate_max_pnl_pool_excess,
    calculate_net_user_pnl,
    get_claimable_pnl,
    get_max_withdraw_for_market_with_token_amount,
    get_unrealized_pnl,
)
from ballast.drift.math.repeg import get_total_fee_lower_bound
from ballast.drift.math.spot_balance import get_signed_token_amount, get_token_amount
from ballast.drift.state.margin_calculation import (
    MarginCalculation,
    MarginContext,
    MarginRequirementType,
)
from ballast.drift.state.oracle import DriftAction, OracleValidity
from ballast.drift.state.oracle_map import OracleMap
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.perp_market import ContractTier, MarketStatus, PerpMarket, PerpOperation
from ballast.drift.state.spot_market import SpotBalanceType, SpotMarket
from ballast.drift.state.state import State
from ballast.drift.state.user import (
    MarketType,
    OrderStatus,
    OrderType,
    PositionDirection,
    SpotPosition,
    User,
)
from ballast.fixed import div_trunc

__all__ = [
    "calculate_revenue_pool_transfer",
    "update_pool_balances",
    "validate_market_within_price_band",
    "is_price_divergence_ok_for_settle_pnl",
    "settle_pnl",
]

_Deposit = SpotBalanceType.Deposit
_Borrow = SpotBalanceType.Borrow

_ORACLE_VALIDITY_ERRORS = {
    OracleValidity.NonPositive: OracleNonPositive,
    OracleValidity.TooVolatile: OracleTooVolatile,
    OracleValidity.TooUncertain: OracleTooUncertain,
    OracleValidity.StaleForMargin: OracleStaleForMargin,
    OracleValidity.InsufficientDataPoints: OracleInsufficientDataPoints,
    OracleValidity.StaleForAMM: OracleStaleForAMM,
}

# Oracle vs 5-min twap divergence (1e6) beyond which settle_pnl needs a fresh AMM update.
_SETTLE_PNL_DIVERGENCE_LIMIT = {
    ContractTier.A: 5_000,  # 0.5%
    ContractTier.B: 5_000,  # 0.5%
    ContractTier.C: 10_000,  # 1%
    ContractTier.Speculative: 25_000,  # 2.5%
    ContractTier.HighlySpeculative: 25_000,  # 2.5%
    ContractTier.Isolated: 25_000,  # 2.5%
}


def calculate_revenue_pool_transfer(
    market: PerpMarket,
    spot_market: SpotMarket,
    amm_fee_pool_token_amount_after: int,
    terminal_state_surplus: int,
) -> int:
    """Tokens (1e6) to move fee pool -> revenue pool (> 0) or revenue pool -> fee pool (< 0).

    With budget = surplus - $250: a positive budget sends
    min(max(fee lower bound + min(total_liquidation_fee, quote_settled + quote_max insurance)
    - total_fee_withdrawn, 0), max(fee pool - ($250 + total_social_loss), 0),
    max(min(revenue_withdraw_since_last_settle + max_revenue_withdraw_per_period,
    net_revenue_since_last_funding), 0)); a negative budget pulls
    min(|budget|, max_per_period - withdrawn_since_settle, revenue pool, max_per_period) if that
    allowance is positive. Zero when max_revenue_withdraw_per_period is 0.

    Source: programs/drift/src/controller/amm.rs::calculate_revenue_pool_transfer
    """
    claim = market.insurance_claim
    amm = market.amm
    amm_budget_surplus = terminal_state_surplus - FEE_POOL_TO_REVENUE_POOL_THRESHOLD
    if amm_budget_surplus > 0:
        fee_pool_threshold = max(
            amm_fee_pool_token_amount_after
            - (FEE_POOL_TO_REVENUE_POOL_THRESHOLD + amm.total_social_loss),
            0,
        )
        total_liq_fees_for_revenue_pool = min(
            amm.total_liquidation_fee,
            claim.quote_settled_insurance + claim.quote_max_insurance,
        )
        max_revenue_to_settle = max(
            min(
                claim.revenue_withdraw_since_last_settle + claim.max_revenue_withdraw_per_period,
                amm.net_revenue_since_last_funding,
            ),
            0,
        )
        revenue_pool_transfer = min(
            max(
                get_total_fee_lower_bound(market)
                + total_liq_fees_for_revenue_pool
                - amm.total_fee_withdrawn,
                0,
            ),
            fee_pool_threshold,
            max_revenue_to_settle,
        )
        if revenue_pool_transfer < 0:
            raise InsufficientPerpPnlPool(
                f"market {market.market_index} revenue_pool_transfer negative "
                f"({revenue_pool_transfer})"
            )
        return revenue_pool_transfer
    if amm_budget_surplus < 0:
        allowance = claim.max_revenue_withdraw_per_period - claim.revenue_withdraw_since_last_settle
        if allowance < 0:
            raise InsufficientPerpPnlPool(
                f"market {market.market_index} revenue_withdraw_since_last_settle "
                f"{claim.revenue_withdraw_since_last_settle} exceeds max_revenue_withdraw_per_period "
                f"{claim.max_revenue_withdraw_per_period}"
            )
        max_revenue_withdraw_allowed = min(
            allowance,
            get_token_amount(spot_market.revenue_pool.scaled_balance, spot_market, _Deposit),
            claim.max_revenue_withdraw_per_period,
        )
        if max_revenue_withdraw_allowed > 0:
            return -min(-amm_budget_surplus, max_revenue_withdraw_allowed)
    return 0


def update_pool_balances(
    market: PerpMarket,
    spot_market: SpotMarket,
    user_quote_position: SpotPosition,
    unsettled_pnl: int,
    now: int,
) -> int:
    """Rebalance the fee/pnl/revenue pools, then book the user's settlement; return the amount
    settled with the user (1e6, positive = paid to the user).

    1. If tfmd + total_liquidation_fee - total_fee_withdrawn (target max) <= fee pool, the excess
       over max(target, 0) moves to the pnl pool and the AMM takes no cut of losses.
    2. If the fee pool is below fee lower bound + total_liquidation_fee - total_fee_withdrawn,
       the pnl pool tops it up (as far as it can).
    3. Revenue pool sweep (calculate_revenue_pool_transfer); the per-period counter resets once
       the quote market settled revenue since the last withdraw.
    4. Positive pnl is paid up to the pnl pool; a loss is taken up to what the user's quote
       balance may withdraw. 1% (truncated) of a loss goes to the fee pool unless step 1 fired;
       the rest moves the pnl pool.

    Source: programs/drift/src/controller/amm.rs::update_pool_balances
    """
    amm = market.amm
    claim = market.insurance_claim
    amm_fee_pool_token_amount = get_token_amount(amm.fee_pool.scaled_balance, spot_market, _Deposit)
    fraction_for_amm = 100

    amm_target_max_fee_pool_token_amount = (
        amm.total_fee_minus_distributions + amm.total_liquidation_fee - amm.total_fee_withdrawn
    )
    if amm_target_max_fee_pool_token_amount <= amm_fee_pool_token_amount:
        pnl_pool_addition = max(0, amm_target_max_fee_pool_token_amount) - amm_fee_pool_token_amount
        if pnl_pool_addition < 0:
            transfer_spot_balances(
                -pnl_pool_addition, spot_market, amm.fee_pool, market.pnl_pool
            )
        fraction_for_amm = 0

    amm_target_min_fee_pool_token_amount = (
        get_total_fee_lower_bound(market) + amm.total_liquidation_fee - amm.total_fee_withdrawn
    )
    if amm_target_min_fee_pool_token_amount < 0:
        raise InsufficientPerpPnlPool(
            f"market {market.market_index} total_fee_withdrawn {amm.total_fee_withdrawn} exceeds "
            f"fee lower bound + liquidation fees"
        )
    amm_fee_pool_token_amount = get_token_amount(amm.fee_pool.scaled_balance, spot_market, _Deposit)
    if amm_fee_pool_token_amount < amm_target_min_fee_pool_token_amount:
        pnl_pool_token_amount = get_token_amount(market.pnl_pool.scaled_balance, spot_market, _Deposit)
        pnl_pool_removal = min(
            amm_target_min_fee_pool_token_amount - amm_fee_pool_token_amount, pnl_pool_token_amount
        )
        if pnl_pool_removal > 0:
            transfer_spot_balances(pnl_pool_removal, spot_market, market.pnl_pool, amm.fee_pool)

    amm_fee_pool_token_amount_after = get_token_amount(
        amm.fee_pool.scaled_balance, spot_market, _Deposit
    )
    terminal_state_surplus = amm.total_fee_minus_distributions - amm.total_fee_withdrawn

    last_revenue_settle_ts = spot_market.insurance_fund.last_revenue_settle_ts
    if last_revenue_settle_ts > claim.last_revenue_withdraw_ts:
        if now < claim.last_revenue_withdraw_ts or now < last_revenue_settle_ts:
            raise BlockchainClockInconsistency(
                f"now {now} < last_revenue_withdraw_ts {claim.last_revenue_withdraw_ts} or "
                f"last_revenue_settle_ts {last_revenue_settle_ts}"
            )
        claim.revenue_withdraw_since_last_settle = 0

    revenue_pool_transfer = calculate_revenue_pool_transfer(
        market, spot_market, amm_fee_pool_token_amount_after, terminal_state_surplus
    )
    if revenue_pool_transfer > 0:
        update_revenue_pool_balances(revenue_pool_transfer, _Deposit, spot_market)
        update_spot_balances(revenue_pool_transfer, _Borrow, spot_market, amm.fee_pool, False)
        amm.total_fee_withdrawn += revenue_pool_transfer
    elif revenue_pool_transfer < 0:
        update_revenue_pool_balances(-revenue_pool_transfer, _Borrow, spot_market)
        update_spot_balances(-revenue_pool_transfer, _Deposit, spot_market, amm.fee_pool, False)
    if revenue_pool_transfer != 0:
        amm.total_fee_minus_distributions -= revenue_pool_transfer
        claim.revenue_withdraw_since_last_settle -= revenue_pool_transfer
        claim.last_revenue_withdraw_ts = now

    if unsettled_pnl > 0:
        pnl_pool_token_amount = get_token_amount(market.pnl_pool.scaled_balance, spot_market, _Deposit)
        pnl_to_settle_with_user = min(unsettled_pnl, pnl_pool_token_amount)
    else:
        user_quote_token_amount = get_signed_token_amount(
            get_token_amount(
                user_quote_position.scaled_balance, spot_market, user_quote_position.balance_type
            ),
            user_quote_position.balance_type,
        )
        pnl_to_settle_with_user = max(
            -get_max_withdraw_for_market_with_token_amount(spot_market, user_quote_token_amount),
            unsettled_pnl,
        )

    pnl_fraction_for_amm = 0
    if fraction_for_amm > 0 and pnl_to_settle_with_user < 0:
        pnl_fraction_for_amm = div_trunc(pnl_to_settle_with_user, fraction_for_amm)
        update_spot_balances(-pnl_fraction_for_amm, _Deposit, spot_market, amm.fee_pool, False)

    pnl_to_settle_with_market = -(pnl_to_settle_with_user - pnl_fraction_for_amm)
    update_spot_balances(
        abs(pnl_to_settle_with_market),
        _Deposit if pnl_to_settle_with_market >= 0 else _Borrow,
        spot_market,
        market.pnl_pool,
        False,
    )
    validate_spot_balances(spot_market)
    return pnl_to_settle_with_user


def validate_market_within_price_band(market: PerpMarket, state: State, oracle_price: int) -> None:
    """Raise PriceBandsBreached when whichever of the reserve price and the oracle is farther
    from the 5-min oracle twap diverges by more than max(mark_oracle_percent_divergence, 10%).

    Source: programs/drift/src/controller/orders.rs::validate_market_within_price_band
    """
    amm = market.amm
    reserve = reserve_price(amm)
    reserve_spread_pct = calculate_oracle_twap_5min_price_spread_pct(amm, reserve)
    oracle_spread_pct = calculate_oracle_twap_5min_price_spread_pct(amm, abs(oracle_price))
    guard_rails = state.oracle_guard_rails.price_divergence
    if abs(reserve_spread_pct) > abs(oracle_spread_pct):
        if is_oracle_mark_too_divergent(reserve_spread_pct, guard_rails):
            raise PriceBandsBreached(
                f"market {market.market_index} reserve price {reserve} is {reserve_spread_pct} "
                f"(1e6) from 5min oracle twap {amm.historical_oracle_data.last_oracle_price_twap_5min}"
            )
    elif is_oracle_mark_too_divergent(oracle_spread_pct, guard_rails):
        raise PriceBandsBreached(
            f"market {market.market_index} oracle price {oracle_price} is {oracle_spread_pct} "
            f"(1e6) from 5min oracle twap {amm.historical_oracle_data.last_oracle_price_twap_5min}"
        )


def is_price_divergence_ok_for_settle_pnl(market: PerpMarket, oracle_price: int) -> bool:
    """Whether |oracle - twap5| x 1e6 / min(twap5, oracle) (truncated) is below the contract
    tier's limit (A/B 0.5%, C 1%, speculative tiers 2.5%).

    Source: programs/drift/src/state/perp_market.rs::PerpMarket::is_price_divergence_ok_for_settle_pnl
    """
    twap_5min = market.amm.historical_oracle_data.last_oracle_price_twap_5min
    oracle_divergence = abs(
        div_trunc((oracle_price - twap_5min) * PERCENTAGE_PRECISION, min(twap_5min, oracle_price))
    )
    return oracle_divergence < _SETTLE_PNL_DIVERGENCE_LIMIT[market.contract_tier]


def _validate_oracle_for_settle_pnl(
    market: PerpMarket, oracle_map: OracleMap, state: State, oracle_price: int, slot: int
) -> None:
    amm = market.amm
    if amm.last_update_slot == slot and amm.last_oracle_valid:
        return
    validity = oracle_validity(
        MarketType.Perp,
        market.market_index,
        amm.historical_oracle_data.last_oracle_price_twap,
        oracle_map.get_perp(market.market_index),
        state.oracle_guard_rails.validity,
        get_max_confidence_interval_multiplier(market.contract_tier),
    )
    if is_oracle_valid_for_action(
        validity, DriftAction.SettlePnl
    ) and is_price_divergence_ok_for_settle_pnl(market, oracle_price):
        return
    if not amm.last_oracle_valid:
        error = _ORACLE_VALIDITY_ERRORS.get(validity, OracleStaleForAMM)
        raise error(
            f"market {market.market_index} oracle {validity.name} and invalid at the last AMM update"
        )
    if slot != amm.last_update_slot:
        raise AMMNotUpdatedInSameSlot(
            f"market {market.market_index} AMM must be updated in this slot "
            f"(current {slot} != amm {amm.last_update_slot})"
        )


def burn_user_lp_shares_for_risk_reduction(
    state: State,
    user: User,
    market_index: int,
    margin_calculation: MarginCalculation,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    now: int,
    slot: int,
    events: list,
) -> None:
    """De-risk an under-margined BAL provider: burn the shares sized by
    `calculate_lp_shares_to_burn_for_risk_reduction` from the margin shortage (with buffer), then
    place a reduce-only oracle order (80-slot auction from the market's baseline offsets) closing
    the base it returned, when the user has a free order slot and the base is at least a step.

    Source: programs/drift/src/controller/orders.rs::burn_user_lp_shares_for_risk_reduction
    """
    position = user.get_perp_position(market_index)
    if position is None or position.lp_shares == 0:
        return
    market = perp_market_map[market_index]
    quote_oracle_price = oracle_map.get_spot(QUOTE_SPOT_MARKET_INDEX).price
    oracle_price = (
        market.expiry_price
        if market.status is MarketStatus.Settlement
        else oracle_map.get_perp(market_index).price
    )
    shares_to_burn, base_to_close = calculate_lp_shares_to_burn_for_risk_reduction(
        position,
        market,
        oracle_price,
        quote_oracle_price,
        margin_calculation.margin_shortage(),
        user.max_margin_ratio,
        False,
    )
    events.append(
        burn_lp_shares_with_record(
            user, position, market, shares_to_burn, oracle_price, LPAction.RemoveLiquidityDerisk, now
        )
    )
    open_orders = sum(order.status is OrderStatus.Open for order in user.orders)
    if base_to_close < market.amm.order_step_size or open_orders >= MAX_OPEN_ORDERS:
        return
    direction = (
        PositionDirection.Short if position.base_asset_amount >= 0 else PositionDirection.Long
    )
    auction_start, auction_end = get_perp_baseline_start_end_price_offset(market, direction, 1)
    params = OrderParams(
        order_type=OrderType.Oracle,
        direction=direction,
        base_asset_amount=base_to_close,
        market_index=market_index,
        reduce_only=True,
        auction_duration=80,
        auction_start_price=auction_start,
        auction_end_price=auction_end,
        oracle_price_offset=auction_end,
    )
    place_perp_order(
        state, user, perp_market_map, spot_market_map, oracle_map, now, slot, params, events,
        explanation=OrderActionExplanation.DeriskLp,
    )


def attempt_burn_user_lp_shares_for_risk_reduction(
    state: State,
    user: User,
    market_index: int,
    margin_calculation: MarginCalculation,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    now: int,
    slot: int,
    events: list,
) -> None:
    """De-risk only once the LP cooldown since the last add (or de-risk) has passed; restarts it.

    Source: programs/drift/src/controller/orders.rs::attempt_burn_user_lp_shares_for_risk_reduction
    """
    if now - user.last_add_perp_lp_shares_ts < state.lp_cooldown_time:
        return
    burn_user_lp_shares_for_risk_reduction(
        state, user, market_index, margin_calculation, perp_market_map, spot_market_map,
        oracle_map, now, slot, events,
    )
    user.last_add_perp_lp_shares_ts = now


class SettlePnlMode(Enum):
    """MustSettle raises when nothing can be settled; TrySettle returns quietly.

    Source: programs/drift/src/state/settle_pnl_mode.rs::SettlePnlMode
    """

    MustSettle = 0
    TrySettle = 1


def settle_pnl(
    market_index: int,
    user: User,
    perp_market_map: dict[int, PerpMarket],
    spot_market_map: dict[int, SpotMarket],
    oracle_map: OracleMap,
    state: State,
    now: int,
    slot: int,
    events: list,
    authority: str | None = None,
    mode: SettlePnlMode = SettlePnlMode.MustSettle,
) -> SettlePnlRecord | None:
    """Settle the user's claimable pnl in one market against its pools; return the record
    (also appended to `events`, after any funding payment record), or None when nothing could be
    settled in TrySettle mode.

    Preconditions, in the reference's order: user not bankrupt (UserBankrupt); market within its
    price band (PriceBandsBreached); funding settled; a position exists
    (UserHasNoPositionInMarket); negative unrealized pnl requires the strict maintenance margin
    (InsufficientCollateralForSettlingPNL); for curve_update_intensity > 0 a usable oracle or an
    AMM update this slot; SettlePnl not paused, and with a base position SettlePnlWithPosition not
    paused and the market Active, else Active or ReduceOnly (InvalidMarketStatusToSettlePnl).
    In MustSettle mode raises NoUnsettledPnl / PnlPoolCantSettleUser when nothing settles, and
    UserMustSettleTheirOwnPositiveUnsettledPNL when `authority` (None = the user's own) is not the
    user's and a gain is settled without pnl pool excess. Amounts 1e6; the user's quote balance
    changes by the settled amount and the position's quote by its negative.

    Source: programs/drift/src/controller/pnl.rs::settle_pnl
    """
    if user.is_bankrupt():
        raise UserBankrupt(f"user {user.key} is bankrupt")
    market = perp_market_map.get(market_index)
    if market is None:
        raise PerpMarketNotFound(f"perp market {market_index} not found")
    spot_market = spot_market_map.get(QUOTE_SPOT_MARKET_INDEX)
    if spot_market is None:
        raise SpotMarketNotFound(f"quote spot market {QUOTE_SPOT_MARKET_INDEX} not found")

    oracle_price = oracle_map.get_perp(market_index).price
    validate_market_within_price_band(market, state, oracle_price)

    events.extend(settle_funding_payment_then_lp(user, market, now))

    position = user.get_perp_position(market_index)
    if position is None:
        raise UserHasNoPositionInMarket(f"user {user.key} has no position in market {market_index}")
    unrealized_pnl = get_unrealized_pnl(position, oracle_price)
    lp_risk_reduced = False
    if position.lp_shares > 0 and not user.is_advanced_lp():
        lp_margin_calculation = calculate_margin_requirement_and_total_collateral_and_liability_info(
            user,
            perp_market_map,
            spot_market_map,
            oracle_map,
            MarginContext(
                MarginRequirementType.Initial, margin_buffer=state.liquidation_margin_buffer_ratio
            ),
        )
        if not lp_margin_calculation.meets_margin_requirement_with_buffer():
            lp_risk_reduced = True
            attempt_burn_user_lp_shares_for_risk_reduction(
                state, user, market_index, lp_margin_calculation, perp_market_map,
                spot_market_map, oracle_map, now, slot, events,
            )
    if unrealized_pnl < 0:
        if not meets_settle_pnl_maintenance_margin_requirement(
            user, perp_market_map, spot_market_map, oracle_map
        ):
            # after an LP de-risk attempt the reference keeps the burn and returns Ok
            if mode is SettlePnlMode.TrySettle or lp_risk_reduced:
                return None
            raise InsufficientCollateralForSettlingPNL(
                f"user {user.key} does not meet maintenance margin (strict) while settling a "
                f"loss of {unrealized_pnl} in market {market_index}"
            )

    if market.amm.curve_update_intensity > 0:
        _validate_oracle_for_settle_pnl(market, oracle_map, state, oracle_price, slot)

    if market.is_operation_paused(PerpOperation.SettlePnl):
        raise InvalidMarketStatusToSettlePnl(f"settle pnl is paused in market {market_index}")
    base_asset_amount = position.base_asset_amount
    if base_asset_amount != 0:
        if market.is_operation_paused(PerpOperation.SettlePnlWithPosition):
            raise InvalidMarketStatusToSettlePnl(
                f"settle pnl with a position is paused in market {market_index}"
            )
        if market.status is not MarketStatus.Active:
            raise InvalidMarketStatusToSettlePnl(
                f"cannot settle pnl with a position in market {market_index} with status "
                f"{market.status.name}"
            )
    elif market.status is not MarketStatus.Active and market.status is not MarketStatus.ReduceOnly:
        raise InvalidMarketStatusToSettlePnl(
            f"cannot settle pnl in market {market_index} with status {market.status.name}"
        )

    pnl_pool_token_amount = get_token_amount(market.pnl_pool.scaled_balance, spot_market, _Deposit)
    fee_pool_token_amount = get_token_amount(
        market.amm.fee_pool.scaled_balance, spot_market, _Deposit
    )
    net_user_pnl = calculate_net_user_pnl(market.amm, oracle_price)
    max_pnl_pool_excess = calculate_max_pnl_pool_excess(
        pnl_pool_token_amount, fee_pool_token_amount, net_user_pnl
    )
    user_unsettled_pnl = get_claimable_pnl(position, oracle_price, max_pnl_pool_excess)
    if user_unsettled_pnl == 0:
        if mode is SettlePnlMode.TrySettle:
            return None
        raise NoUnsettledPnl(f"user {user.key} has no unsettled pnl in market {market_index}")

    quote_spot_position = user.get_spot_position(QUOTE_SPOT_MARKET_INDEX)
    if quote_spot_position is None:
        quote_spot_position = SpotPosition(market_index=QUOTE_SPOT_MARKET_INDEX)
        user.spot_positions.append(quote_spot_position)
    pnl_to_settle_with_user = update_pool_balances(
        market, spot_market, quote_spot_position, user_unsettled_pnl, now
    )
    if pnl_to_settle_with_user == 0:
        if mode is SettlePnlMode.TrySettle:
            return None
        raise PnlPoolCantSettleUser(
            f"pnl pool of market {market_index} cannot settle {user_unsettled_pnl} with {user.key}"
        )
    if (
        pnl_to_settle_with_user >= 0
        and max_pnl_pool_excess <= 0
        and not (pnl_to_settle_with_user > 0 and base_asset_amount == 0 and user.is_being_liquidated())
        and authority is not None
        and authority != user.authority
    ):
        raise UserMustSettleTheirOwnPositiveUnsettledPNL(
            f"{authority} cannot settle {user.key}'s positive pnl {pnl_to_settle_with_user} in "
            f"market {market_index} while the pnl pool has no excess"
        )

    update_spot_balances(
        abs(pnl_to_settle_with_user),
        _Deposit if pnl_to_settle_with_user > 0 else _Borrow,
        spot_market,
        quote_spot_position,
        False,
    )
    update_quote_asset_amount(position, market, -pnl_to_settle_with_user)
    update_settled_pnl(user, position, pnl_to_settle_with_user)

    record = SettlePnlRecord(
        ts=now,
        user=user.key,
        market_index=market_index,
        pnl=pnl_to_settle_with_user,
        base_asset_amount=base_asset_amount,
        quote_asset_amount_after=position.quote_asset_amount,
        quote_entry_amount=position.quote_entry_amount,
        settle_price=oracle_price,
    )
    events.append(record)
    return record
