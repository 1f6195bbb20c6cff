"""Validation of a perp market's AMM and of a position against its market: the invariants the
reference checks before a fill, after an LP settle or mint/burn, after a pnl settlement and
after admin changes. Each breach is InvalidAmmDetected / InvalidPositionDelta /
InvalidPerpPositionDetected naming the market and the values.

Base 1e9, reserves and sqrt_k 1e9, spreads 1e6 (BID_ASK_SPREAD_PRECISION), ratios 1e4.

Source: programs/drift/src/validation/perp_market.rs, programs/drift/src/validation/position.rs
"""

from __future__ import annotations

from ballast.drift.constants import BID_ASK_SPREAD_PRECISION, MAX_BASE_ASSET_AMOUNT_WITH_AMM
from ballast.drift.errors import (
    InvalidAmmDetected,
    InvalidPerpPositionDetected,
    InvalidPositionDelta,
)
from ballast.drift.math.orders import (
    is_multiple_of_step_size,
    standardize_base_asset_amount_with_remainder_i128,
)
from ballast.drift.state.perp_market import MarketStatus, PerpMarket
from ballast.drift.state.user import PerpPosition
from ballast.fixed import MathError, div_floor

__all__ = ["validate_perp_market", "validate_perp_position_with_perp_market"]

# the reference's tolerance on k^2 / base_asset_reserve against quote_asset_reserve
MAX_RESERVE_ROUNDING_DIFF = 15
_U192_MAX = (1 << 192) - 1


def validate_perp_market(market: PerpMarket) -> None:
    """The AMM's invariants: open interest on the order step and equal to the AMM's and the
    unsettled LPs' side; |net base with the AMM| below its cap and below sqrt_k (unless
    ReduceOnly); sqrt_k at least one reserve and the LP shares; k^2 / base reserve within 15
    of the quote reserve (floor, 192-bit); bid/ask reserves on their side of the curve (with a
    base spread, by the sign of the reference price offset); spreads summing to at least the
    base spread (without negative adjustments) and at most 100 %; the terminal quote reserve on
    the side of the AMM's net position; max spread above the base spread and below 100x the
    initial margin ratio (with a base spread); revenue withdrawn within its period cap; the
    per-LP accumulators below the cap.

    Source: programs/drift/src/validation/perp_market.rs::validate_perp_market
    """
    amm = market.amm
    index = market.market_index
    _, remainder_long = standardize_base_asset_amount_with_remainder_i128(
        amm.base_asset_amount_long, amm.order_step_size
    )
    _, remainder_short = standardize_base_asset_amount_with_remainder_i128(
        amm.base_asset_amount_short, amm.order_step_size
    )
    if remainder_long != 0 or remainder_short != 0:
        raise InvalidPositionDelta(
            f"market {index} invalid base_asset_amount_long/short vs order_step_size, "
            f"remainder={remainder_long}/{remainder_short}, order_step_size={amm.order_step_size}"
        )
    if (
        amm.base_asset_amount_long + amm.base_asset_amount_short
        != amm.base_asset_amount_with_amm + amm.base_asset_amount_with_unsettled_lp
    ):
        raise InvalidAmmDetected(
            f"market {index} net base: long {amm.base_asset_amount_long} + short "
            f"{amm.base_asset_amount_short} != with_amm {amm.base_asset_amount_with_amm} + "
            f"with_unsettled_lp {amm.base_asset_amount_with_unsettled_lp}"
        )
    if amm.base_asset_amount_with_amm > MAX_BASE_ASSET_AMOUNT_WITH_AMM:
        raise InvalidAmmDetected(
            f"market {index} base_asset_amount_with_amm={amm.base_asset_amount_with_amm} is too large"
        )
    if amm.peg_multiplier <= 0:
        raise InvalidAmmDetected(f"market {index} peg_multiplier={amm.peg_multiplier} out of wack")
    if market.status is not MarketStatus.ReduceOnly and amm.sqrt_k <= abs(amm.base_asset_amount_with_amm):
        raise InvalidAmmDetected(
            f"market {index} k out of wack: k={amm.sqrt_k}, net_baa={amm.base_asset_amount_with_amm}"
        )
    if amm.sqrt_k < amm.base_asset_reserve and amm.sqrt_k < amm.quote_asset_reserve:
        raise InvalidAmmDetected(
            f"market {index} k out of wack: k={amm.sqrt_k}, bar={amm.base_asset_reserve}, "
            f"qar={amm.quote_asset_reserve}"
        )
    if amm.sqrt_k < amm.user_lp_shares:
        raise InvalidAmmDetected(
            f"market {index} sqrt_k < user_lp_shares: {amm.sqrt_k} < {amm.user_lp_shares}"
        )
    invariant = amm.sqrt_k * amm.sqrt_k  # U192, checked as the reference's safe_mul / safe_div
    if invariant > _U192_MAX or amm.base_asset_reserve == 0:
        raise MathError(
            f"market {index} k^2 / base reserve overflows or divides by 0: k={amm.sqrt_k}, "
            f"bar={amm.base_asset_reserve}"
        )
    implied_quote_reserve = div_floor(invariant, amm.base_asset_reserve)
    rounding_diff = abs(implied_quote_reserve - amm.quote_asset_reserve)
    if rounding_diff > MAX_RESERVE_ROUNDING_DIFF:
        raise InvalidAmmDetected(
            f"market {index} amm qar/bar/k invalid: k^2={invariant}, bar={amm.base_asset_reserve}, "
            f"qar={amm.quote_asset_reserve}, qar'={implied_quote_reserve} (rounding: {rounding_diff})"
        )
    if amm.base_spread > 0:
        if amm.reference_price_offset <= 0 and not (
            amm.bid_base_asset_reserve >= amm.base_asset_reserve
            and amm.bid_quote_asset_reserve <= amm.quote_asset_reserve
        ):
            raise InvalidAmmDetected(
                f"market {index} amm bid reserves invalid: {amm.bid_base_asset_reserve} -> "
                f"{amm.base_asset_reserve}, quote: {amm.bid_quote_asset_reserve} -> {amm.quote_asset_reserve}"
            )
        if amm.reference_price_offset >= 0 and not (
            amm.ask_base_asset_reserve <= amm.base_asset_reserve
            and amm.ask_quote_asset_reserve >= amm.quote_asset_reserve
        ):
            raise InvalidAmmDetected(
                f"market {index} amm ask reserves invalid: {amm.ask_base_asset_reserve} -> "
                f"{amm.base_asset_reserve}, quote: {amm.ask_quote_asset_reserve} -> {amm.quote_asset_reserve}"
            )
    if (
        amm.amm_spread_adjustment >= 0
        and amm.amm_inventory_spread_adjustment >= 0
        and amm.long_spread + amm.short_spread < amm.base_spread
    ):
        raise InvalidAmmDetected(
            f"market {index} amm long_spread + short_spread < base_spread: {amm.long_spread} + "
            f"{amm.short_spread} < {amm.base_spread}"
        )
    if amm.long_spread + amm.short_spread > BID_ASK_SPREAD_PRECISION:
        raise InvalidAmmDetected(
            f"market {index} amm long_spread {amm.long_spread} + short_spread {amm.short_spread} > "
            f"max bid-ask spread precision (max spread = {amm.max_spread})"
        )
    if amm.base_asset_amount_with_amm > 0:
        terminal_ok = amm.terminal_quote_asset_reserve <= amm.quote_asset_reserve
    elif amm.base_asset_amount_with_amm < 0:
        terminal_ok = amm.terminal_quote_asset_reserve >= amm.quote_asset_reserve
    else:
        terminal_ok = amm.terminal_quote_asset_reserve == amm.quote_asset_reserve
    if not terminal_ok:
        raise InvalidAmmDetected(
            f"market {index} terminal_quote_asset_reserve out of wack: "
            f"{amm.terminal_quote_asset_reserve} vs quote_asset_reserve {amm.quote_asset_reserve} "
            f"with base_asset_amount_with_amm {amm.base_asset_amount_with_amm}"
        )
    if amm.base_spread > 0 and not (
        amm.base_spread < amm.max_spread < market.margin_ratio_initial * 100
    ):
        raise InvalidAmmDetected(
            f"market {index} amm invalid max_spread {amm.max_spread} (base_spread {amm.base_spread}, "
            f"margin_ratio_initial {market.margin_ratio_initial})"
        )
    claim = market.insurance_claim
    if claim.max_revenue_withdraw_per_period < abs(claim.revenue_withdraw_since_last_settle):
        raise InvalidAmmDetected(
            f"market {index} max_revenue_withdraw_per_period={claim.max_revenue_withdraw_per_period} < "
            f"|revenue_withdraw_since_last_settle|={abs(claim.revenue_withdraw_since_last_settle)}"
        )
    if amm.base_asset_amount_per_lp >= MAX_BASE_ASSET_AMOUNT_WITH_AMM:
        raise InvalidAmmDetected(
            f"market {index} base_asset_amount_per_lp too large: {amm.base_asset_amount_per_lp}"
        )
    if amm.quote_asset_amount_per_lp >= MAX_BASE_ASSET_AMOUNT_WITH_AMM:
        raise InvalidAmmDetected(
            f"market {index} quote_asset_amount_per_lp too large: {amm.quote_asset_amount_per_lp}"
        )


def validate_perp_position_with_perp_market(position: PerpPosition, market: PerpMarket) -> None:
    """A position agrees with its market: the same per_lp_base when it holds LP shares, the same
    market index, a base amount on the order step.

    Source: programs/drift/src/validation/position.rs::validate_perp_position_with_perp_market
    """
    amm = market.amm
    if position.lp_shares != 0 and position.per_lp_base != amm.per_lp_base:
        raise InvalidPerpPositionDetected(
            f"position/market per_lp_base unequal in market {market.market_index}: "
            f"{position.per_lp_base} != {amm.per_lp_base}"
        )
    if position.market_index != market.market_index:
        raise InvalidPerpPositionDetected(
            f"position/market market_index unequal: {position.market_index} != {market.market_index}"
        )
    if not is_multiple_of_step_size(abs(position.base_asset_amount), amm.order_step_size):
        raise InvalidPerpPositionDetected(
            f"position in market {market.market_index}: base_asset_amount {position.base_asset_amount} "
            f"is not a multiple of order_step_size {amm.order_step_size}"
        )
