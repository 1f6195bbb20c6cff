"""Funding: the periodic rate update of a market and the settlement of users' payments.

Funding rates in FUNDING_RATE_PRECISION (1e9 quote per 1 base), prices 1e6, quote 1e6.

Source: programs/drift/src/controller/funding.rs
"""

from __future__ import annotations

from ballast.drift.constants import (
    FUNDING_RATE_BUFFER,
    FUNDING_RATE_OFFSET_DENOMINATOR,
    ONE_HOUR,
    TWENTY_FOUR_HOUR,
)
from ballast.drift.controller.amm import update_mark_twap_from_estimates, update_oracle_price_twap
from ballast.drift.controller.position import update_quote_asset_and_break_even_amount
from ballast.drift.controller.repeg import formulaic_update_k
from ballast.drift.errors import PerpMarketNotFound
from ballast.drift.events import FundingPaymentRecord, FundingRateRecord
from ballast.drift.math.amm import (
    ask_price,
    bid_price,
    get_sanitize_clamp_denominator,
    reserve_price,
)
from ballast.drift.math.funding import (
    calculate_funding_payment,
    calculate_funding_rate_long_short,
    get_max_price_divergence_for_funding_rate,
)
from ballast.drift.math.helpers import on_the_hour_update
from ballast.drift.math.oracle import block_operation
from ballast.drift.math.stats import calculate_new_twap
from ballast.drift.state.oracle import OraclePriceData
from ballast.drift.state.perp_market import PerpMarket
from ballast.drift.state.state import OracleGuardRails
from ballast.drift.state.user import PerpPosition, PositionDirection, User
from ballast.fixed import cast_i64, div_trunc

__all__ = ["update_funding_rate", "settle_funding_payment", "settle_funding_payments"]


def update_funding_rate(
    market_index: int,
    market: PerpMarket,
    oracle_price_data: OraclePriceData,
    now: int,
    slot: int,
    guard_rails: OracleGuardRails,
    funding_paused: bool,
    precomputed_reserve_price: int | None,
) -> FundingRateRecord | None:
    """Apply the periodic funding rate when it is due; None when not due, paused or blocked by
    the oracle guard rails (block_operation).

    The oracle twap is updated at the reserve price; the mark twap from the execution-premium
    price (ask when long_spread > short_spread, bid when smaller, else the reserve price).
    `rate = trunc(clamp(mark_twap - oracle_twap + trunc(|oracle_twap| / 5000), +-max_div) * 1e3
    / trunc(86400 / max(3600, funding_period)))` (1e9), split by
    calculate_funding_rate_long_short (tfmd and nrslf updated); with curve_update_intensity > 0
    formulaic_update_k runs on the imbalance cost. Then the cumulative rates, last rates, the
    24h average (against the previous funding timestamp), net_unsettled_funding_pnl, the
    timestamp and record id advance, and nrslf restarts at 0. Raises InvalidFundingProfitability
    (and whatever formulaic_update_k raises) after the twaps were updated: the instruction must
    roll the market back.

    Source: programs/drift/src/controller/funding.rs::update_funding_rate
    """
    amm = market.amm
    if precomputed_reserve_price is None:
        precomputed_reserve_price = reserve_price(amm)
    if funding_paused:
        return None
    if on_the_hour_update(now, amm.last_funding_rate_ts, amm.funding_period) != 0:
        return None
    if block_operation(market, oracle_price_data, guard_rails, precomputed_reserve_price, slot):
        return None

    sanitize_clamp_denominator = get_sanitize_clamp_denominator(market)
    oracle_price_twap = update_oracle_price_twap(
        amm, now, oracle_price_data, precomputed_reserve_price, sanitize_clamp_denominator
    )
    if amm.long_spread > amm.short_spread:
        execution_premium_price = ask_price(amm, precomputed_reserve_price)
        execution_premium_direction = PositionDirection.Long
    elif amm.long_spread < amm.short_spread:
        execution_premium_price = bid_price(amm, precomputed_reserve_price)
        execution_premium_direction = PositionDirection.Short
    else:
        execution_premium_price = precomputed_reserve_price
        execution_premium_direction = None
    mid_price_twap = update_mark_twap_from_estimates(
        amm, now, execution_premium_price, execution_premium_direction, sanitize_clamp_denominator
    )

    period_adjustment = div_trunc(TWENTY_FOUR_HOUR, max(ONE_HOUR, amm.funding_period))
    price_spread_with_offset = (
        mid_price_twap
        - oracle_price_twap
        + div_trunc(abs(oracle_price_twap), FUNDING_RATE_OFFSET_DENOMINATOR)
    )
    max_price_spread = get_max_price_divergence_for_funding_rate(market, oracle_price_twap)
    clamped_price_spread = max(-max_price_spread, min(price_spread_with_offset, max_price_spread))
    funding_rate = cast_i64(
        div_trunc(clamped_price_spread * FUNDING_RATE_BUFFER, period_adjustment)
    )

    (
        funding_rate_long,
        funding_rate_short,
        funding_imbalance_revenue,
        amm.total_fee_minus_distributions,
        amm.net_revenue_since_last_funding,
    ) = calculate_funding_rate_long_short(market, funding_rate)

    if amm.curve_update_intensity > 0:
        formulaic_update_k(market, oracle_price_data, -funding_imbalance_revenue, now)

    amm.cumulative_funding_rate_long += funding_rate_long
    amm.cumulative_funding_rate_short += funding_rate_short
    amm.last_funding_rate = funding_rate
    amm.last_funding_rate_long = cast_i64(funding_rate_long)
    amm.last_funding_rate_short = cast_i64(funding_rate_short)
    amm.last_funding_oracle_twap = oracle_price_twap
    amm.last_24h_avg_funding_rate = calculate_new_twap(
        funding_rate, now, amm.last_24h_avg_funding_rate, amm.last_funding_rate_ts, TWENTY_FOUR_HOUR
    )
    amm.net_unsettled_funding_pnl = cast_i64(
        amm.net_unsettled_funding_pnl - funding_imbalance_revenue
    )
    amm.last_funding_rate_ts = now

    record_id = market.next_funding_rate_record_id
    market.next_funding_rate_record_id = record_id + 1
    record = FundingRateRecord(
        ts=now,
        record_id=record_id,
        market_index=market_index,
        funding_rate=funding_rate,
        funding_rate_long=funding_rate_long,
        funding_rate_short=funding_rate_short,
        cumulative_funding_rate_long=amm.cumulative_funding_rate_long,
        cumulative_funding_rate_short=amm.cumulative_funding_rate_short,
        oracle_price_twap=oracle_price_twap,
        mark_price_twap=mid_price_twap,
        period_revenue=amm.net_revenue_since_last_funding,
        base_asset_amount_with_amm=amm.base_asset_amount_with_amm,
        base_asset_amount_with_unsettled_lp=amm.base_asset_amount_with_unsettled_lp,
    )
    amm.net_revenue_since_last_funding = 0
    return record


def _settle_position_funding(
    user: User, position: PerpPosition, market: PerpMarket, now: int
) -> FundingPaymentRecord | None:
    base_asset_amount = position.base_asset_amount
    amm = market.amm
    amm_cumulative_funding_rate = (
        amm.cumulative_funding_rate_long if base_asset_amount > 0 else amm.cumulative_funding_rate_short
    )
    last_cumulative_funding_rate = position.last_cumulative_funding_rate
    if amm_cumulative_funding_rate == last_cumulative_funding_rate:
        return None
    funding_payment = calculate_funding_payment(amm_cumulative_funding_rate, position)
    user.cumulative_perp_funding += funding_payment
    position.last_cumulative_funding_rate = cast_i64(amm_cumulative_funding_rate)
    update_quote_asset_and_break_even_amount(position, market, funding_payment)
    amm.net_unsettled_funding_pnl -= funding_payment
    return FundingPaymentRecord(
        ts=now,
        user=user.key,
        market_index=position.market_index,
        funding_payment=funding_payment,
        base_asset_amount=base_asset_amount,
        user_last_cumulative_funding=last_cumulative_funding_rate,
        amm_cumulative_funding_long=amm.cumulative_funding_rate_long,
        amm_cumulative_funding_short=amm.cumulative_funding_rate_short,
    )


def settle_funding_payment(
    user: User, market: PerpMarket, now: int
) -> FundingPaymentRecord | None:
    """Settle the user's funding in `market`: the payment (quote 1e6, + received / - paid) of
    the side's cumulative rate since the position's last one moves into the position's quote and
    break-even amounts (and the market's sums), user.cumulative_perp_funding and, negated, the
    market's net_unsettled_funding_pnl; the position's last rate catches up. None (no change)
    without a position, with no base, or when the rate has not moved. Runs before every fill.

    Source: programs/drift/src/controller/funding.rs::settle_funding_payment
    """
    position = user.get_perp_position(market.market_index)
    if position is None or position.base_asset_amount == 0:
        return None
    return _settle_position_funding(user, position, market, now)


def settle_funding_payments(
    user: User, perp_market_map: dict[int, PerpMarket], now: int
) -> list[FundingPaymentRecord]:
    """settle_funding_payment for every open position of the user, in position order; the
    records of the payments made. Raises PerpMarketNotFound for a position whose market is not
    in the map.

    Source: programs/drift/src/controller/funding.rs::settle_funding_payments
    """
    records = []
    for position in user.perp_positions:
        if position.base_asset_amount == 0:
            continue
        market = perp_market_map.get(position.market_index)
        if market is None:
            raise PerpMarketNotFound(
                f"user {user.key} holds a position in perp market {position.market_index}, "
                "which is not in the market map"
            )
        record = _settle_position_funding(user, position, market, now)
        if record is not None:
            records.append(record)
    return records
