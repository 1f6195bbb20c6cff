"""Backstop AMM Liquidity (BAL, "LP shares"): the controllers that mutate markets and positions.

Splitting AMM fills with the LPs (per-LP accumulators), settling an LP's accrued slice into its
perp position, minting and burning shares (which move sqrt_k without charging any k cost), the
per-LP exponent rebase, and the funding-then-LP settle used before anything reads a position.

Units: base and shares 1e9, quote 1e6, prices 1e6. These functions mutate in place and can
raise part-way (like the reference, whose transaction would roll back): call them inside the
exchange's atomic block. Spec: drift_bal.md sections 5-10.

Source: programs/drift/src/controller/lp.rs, programs/drift/src/controller/position.rs
"""

from __future__ import annotations

from ballast.drift.constants import MAX_BASE_ASSET_AMOUNT_WITH_AMM
from ballast.drift.controller.funding import settle_funding_payment
from ballast.drift.controller.position import update_position_and_market
from ballast.drift.controller.repeg import update_k
from ballast.drift.errors import InvalidAmmDetected, InvalidPerpPositionDetected
from ballast.drift.events import FundingPaymentRecord, LPAction, LPRecord
from ballast.drift.math.amm import calculate_bid_ask_bounds, calculate_terminal_reserves
from ballast.drift.math.cp_curve import get_update_k_result
from ballast.drift.math.lp import (
    calculate_per_lp_delta,
    calculate_settle_lp_metrics,
    get_rebased_position_snapshots,
    rebase_per_lp_amount,
)
from ballast.drift.math.orders import is_multiple_of_step_size
from ballast.drift.math.position import PositionDelta, calculate_base_asset_value_with_oracle_price
from ballast.drift.state.perp_market import AMMLiquiditySplit, PerpMarket
from ballast.drift.state.user import PerpPosition, User
from ballast.fixed import MathError, cast_i32, cast_i64, cast_i128, cast_u64, cast_u128

__all__ = [
    "update_lp_market_position",
    "update_terminal_reserves_and_bid_ask_bounds",
    "apply_lp_rebase_to_perp_market",
    "apply_lp_rebase_to_perp_position",
    "settle_lp_position",
    "settle_lp",
    "settle_funding_payment_then_lp",
    "mint_lp_shares",
    "burn_lp_shares",
    "burn_lp_shares_with_record",
]


# --- validation (the LP-relevant part of validate_perp_market / validate_perp_position) --------


def _validate_lp_market(market: PerpMarket) -> None:
    amm = market.amm
    if amm.sqrt_k < amm.user_lp_shares:
        raise InvalidAmmDetected(
            f"market {market.market_index}: sqrt_k {amm.sqrt_k} < user_lp_shares "
            f"{amm.user_lp_shares}"
        )
    if amm.base_asset_amount_per_lp > MAX_BASE_ASSET_AMOUNT_WITH_AMM:
        raise InvalidAmmDetected(
            f"market {market.market_index}: base_asset_amount_per_lp "
            f"{amm.base_asset_amount_per_lp} > {MAX_BASE_ASSET_AMOUNT_WITH_AMM}"
        )
    if amm.quote_asset_amount_per_lp > MAX_BASE_ASSET_AMOUNT_WITH_AMM:
        raise InvalidAmmDetected(
            f"market {market.market_index}: quote_asset_amount_per_lp "
            f"{amm.quote_asset_amount_per_lp} > {MAX_BASE_ASSET_AMOUNT_WITH_AMM}"
        )
    net_open_interest = amm.base_asset_amount_long + amm.base_asset_amount_short
    net_counterparty = amm.base_asset_amount_with_amm + amm.base_asset_amount_with_unsettled_lp
    if net_open_interest != net_counterparty:
        raise InvalidAmmDetected(
            f"market {market.market_index}: base_asset_amount_long {amm.base_asset_amount_long} "
            f"+ short {amm.base_asset_amount_short} != with_amm "
            f"{amm.base_asset_amount_with_amm} + with_unsettled_lp "
            f"{amm.base_asset_amount_with_unsettled_lp}"
        )


def _validate_lp_position(position: PerpPosition, market: PerpMarket) -> None:
    amm = market.amm
    if position.lp_shares > 0 and position.per_lp_base != amm.per_lp_base:
        raise InvalidPerpPositionDetected(
            f"position in market {market.market_index}: per_lp_base {position.per_lp_base} != "
            f"market per_lp_base {amm.per_lp_base}"
        )
    if not is_multiple_of_step_size(abs(position.base_asset_amount), amm.order_step_size):
        raise InvalidPerpPositionDetected(
            f"position in market {market.market_index}: base_asset_amount "
            f"{position.base_asset_amount} is not a multiple of order_step_size "
            f"{amm.order_step_size}"
        )


# --- fills ----------------------------------------------------------------------------------


def update_lp_market_position(
    market: PerpMarket,
    delta: PositionDelta,
    fee_to_market_for_lp: int,
    liquidity_split: AMMLiquiditySplit,
) -> int:
    """Give the LPs their part of one AMM fill; return the aggregate LP base (1e9, user sign).

    `delta` is the taker's delta (base 1e9, quote 1e6) already applied to the curve, the taker
    and `base_asset_amount_with_amm`; `fee_to_market_for_lp` (quote 1e6) is the exchange fee net
    of filler/referrer rewards, excluding spread surplus (0 for post-only fills). No-op (0) when
    there are no LP shares or the split is ProtocolOwned. Otherwise (see
    `math.lp.calculate_per_lp_delta` for the rounding): the per-LP accumulators move against the
    user (+80% of the fee slice on quote), the LP part of the base moves from
    `base_asset_amount_with_amm` to `base_asset_amount_with_unsettled_lp`, and the LP quote is
    added to `quote_asset_amount_with_unsettled_lp`. Afterwards the caller recomputes the terminal
    reserves (`update_terminal_reserves_and_bid_ask_bounds`). Raises MathError on casts.

    Source: programs/drift/src/controller/position.rs::update_lp_market_position
    """
    amm = market.amm
    if amm.user_lp_shares == 0 or liquidity_split is AMMLiquiditySplit.ProtocolOwned:
        return 0
    per_lp_delta_base, per_lp_delta_quote, lp_delta_base, lp_delta_quote = calculate_per_lp_delta(
        delta, fee_to_market_for_lp, liquidity_split, market
    )
    amm.base_asset_amount_per_lp = cast_i128(amm.base_asset_amount_per_lp - per_lp_delta_base)
    amm.quote_asset_amount_per_lp = cast_i128(amm.quote_asset_amount_per_lp - per_lp_delta_quote)
    amm.base_asset_amount_with_amm = cast_i128(amm.base_asset_amount_with_amm - lp_delta_base)
    amm.base_asset_amount_with_unsettled_lp = cast_i128(
        amm.base_asset_amount_with_unsettled_lp + lp_delta_base
    )
    amm.quote_asset_amount_with_unsettled_lp = cast_i64(
        amm.quote_asset_amount_with_unsettled_lp + lp_delta_quote
    )
    return lp_delta_base


def update_terminal_reserves_and_bid_ask_bounds(market: PerpMarket) -> None:
    """After an AMM fill in a market with LP shares: re-derive terminal_quote_asset_reserve and
    the min/max base reserves (concentration_coef around the terminal base reserve) from the new
    `base_asset_amount_with_amm` (the protocol's own inventory). No-op without LP shares.

    The reference inlines this in the AMM fill (after update_lp_market_position, for any split);
    the name joins the two functions it calls.

    Source: programs/drift/src/controller/orders.rs::fulfill_perp_order_with_amm (the
    `user_lp_shares > 0` block: programs/drift/src/math/amm.rs::calculate_terminal_reserves,
    calculate_bid_ask_bounds)
    """
    amm = market.amm
    if amm.user_lp_shares == 0:
        return
    terminal_quote_reserve, terminal_base_reserve = calculate_terminal_reserves(amm)
    amm.terminal_quote_asset_reserve = terminal_quote_reserve
    amm.min_base_asset_reserve, amm.max_base_asset_reserve = calculate_bid_ask_bounds(
        amm.concentration_coef, terminal_base_reserve
    )


# --- per-LP exponent ------------------------------------------------------------------------


def apply_lp_rebase_to_perp_market(market: PerpMarket, expo_diff: int) -> None:
    """Move the market's per-LP exponent by `expo_diff` (any non-zero step; the admin path allows
    +-1 and |per_lp_base| <= 9): both accumulators scale by 10**e (e > 0) or truncate toward zero
    by 10**|e| (e < 0). `target_base_asset_amount_per_lp` is deliberately not rescaled (it is
    scaled on read). Positions follow lazily. No-op for 0. Raises MathError when per_lp_base leaves
    i8 or an accumulator i128, InvalidAmmDetected from the market validation.

    Source: programs/drift/src/controller/lp.rs::apply_lp_rebase_to_perp_market
    """
    if expo_diff == 0:
        return
    amm = market.amm
    new_per_lp_base = amm.per_lp_base + expo_diff
    if not -128 <= new_per_lp_base <= 127:
        raise MathError(f"per_lp_base {amm.per_lp_base} + {expo_diff} leaves i8")
    amm.base_asset_amount_per_lp = cast_i128(
        rebase_per_lp_amount(amm.base_asset_amount_per_lp, expo_diff)
    )
    amm.quote_asset_amount_per_lp = cast_i128(
        rebase_per_lp_amount(amm.quote_asset_amount_per_lp, expo_diff)
    )
    amm.per_lp_base = new_per_lp_base
    _validate_lp_market(market)


def apply_lp_rebase_to_perp_position(market: PerpMarket, position: PerpPosition) -> None:
    """Bring a position's per-LP snapshots to the market's exponent (x 10**e, or truncate toward
    zero for e < 0) and set its per_lp_base. Raises MathError when a snapshot leaves i64.

    Source: programs/drift/src/controller/lp.rs::apply_lp_rebase_to_perp_position
    """
    last_base, last_quote, per_lp_base = get_rebased_position_snapshots(market.amm, position)
    position.last_base_asset_amount_per_lp = last_base
    position.last_quote_asset_amount_per_lp = last_quote
    position.per_lp_base = per_lp_base


# --- settle ---------------------------------------------------------------------------------


def _snapshot_accumulators(position: PerpPosition, market: PerpMarket) -> None:
    position.last_base_asset_amount_per_lp = cast_i64(market.amm.base_asset_amount_per_lp)
    position.last_quote_asset_amount_per_lp = cast_i64(market.amm.quote_asset_amount_per_lp)


def settle_lp_position(position: PerpPosition, market: PerpMarket) -> tuple[PositionDelta, int]:
    """Materialise an LP's accrued slice into its own position; return (delta, pnl 1e6).

    Precondition: the position's funding is settled (`settle_funding_payment` first); a long
    (short) position whose last_cumulative_funding_rate differs from the market's long (short)
    index raises InvalidPerpPositionDetected. Then: lazy rebase, metrics (base stepped toward
    zero, quote, signed sub-step remainder), the delta
    `PositionDelta(base, quote, remainder)` through `update_position_and_market` (which folds a
    combined remainder of at least one step into base and books the settled base against
    `base_asset_amount_with_unsettled_lp`; InvalidPositionDelta if the remainder leaves i32),
    then snapshots <- market accumulators and validation (InvalidAmmDetected /
    InvalidPerpPositionDetected). The returned delta's base excludes remainder conversions.

    Source: programs/drift/src/controller/lp.rs::settle_lp_position
    """
    amm = market.amm
    base = position.base_asset_amount
    if base > 0 and position.last_cumulative_funding_rate != amm.cumulative_funding_rate_long:
        raise InvalidPerpPositionDetected(
            f"settle lp in market {market.market_index}: long position funding "
            f"{position.last_cumulative_funding_rate} != cumulative_funding_rate_long "
            f"{amm.cumulative_funding_rate_long}; settle funding first"
        )
    if base < 0 and position.last_cumulative_funding_rate != amm.cumulative_funding_rate_short:
        raise InvalidPerpPositionDetected(
            f"settle lp in market {market.market_index}: short position funding "
            f"{position.last_cumulative_funding_rate} != cumulative_funding_rate_short "
            f"{amm.cumulative_funding_rate_short}; settle funding first"
        )
    apply_lp_rebase_to_perp_position(market, position)
    metrics = calculate_settle_lp_metrics(amm, position)
    delta = PositionDelta(
        cast_i64(metrics.base_asset_amount),
        cast_i64(metrics.quote_asset_amount),
        metrics.remainder_base_asset_amount,
    )
    pnl = update_position_and_market(position, market, delta)
    _snapshot_accumulators(position, market)
    _validate_lp_market(market)
    _validate_lp_position(position, market)
    return delta, pnl


def settle_lp(user: User, market: PerpMarket, now: int) -> LPRecord | None:
    """Settle the user's LP position in `market` if it has lp_shares; the SettleLiquidity record
    (n_shares 0) when the settlement moved base or quote, else None. Same preconditions and
    errors as `settle_lp_position`; `now` (unix seconds) only stamps the record.

    Source: programs/drift/src/controller/lp.rs::settle_lp
    """
    position = user.get_perp_position(market.market_index)
    if position is None or position.lp_shares == 0:
        return None
    delta, pnl = settle_lp_position(position, market)
    if delta.base_asset_amount == 0 and delta.quote_asset_amount == 0:
        return None
    return _lp_record(now, user, LPAction.SettleLiquidity, 0, market, delta, pnl)


def _lp_record(
    now: int, user: User, action: LPAction, n_shares: int, market: PerpMarket, delta: PositionDelta, pnl: int
) -> LPRecord:
    return LPRecord(
        ts=now,
        user=user.key,
        action=action,
        n_shares=n_shares,
        market_index=market.market_index,
        delta_base_asset_amount=delta.base_asset_amount,
        delta_quote_asset_amount=delta.quote_asset_amount,
        pnl=pnl,
    )


def settle_funding_payment_then_lp(
    user: User, market: PerpMarket, now: int
) -> list[FundingPaymentRecord | LPRecord]:
    """Funding first, then the LP settle (settling the LP may open inventory, which must start
    at the current funding index). Returns the records emitted, in order (funding payment,
    SettleLiquidity), each only if it happened.

    Source: programs/drift/src/controller/lp.rs::settle_funding_payment_then_lp
    """
    records: list[FundingPaymentRecord | LPRecord] = []
    funding_record = settle_funding_payment(user, market, now)
    if funding_record is not None:
        records.append(funding_record)
    lp_record = settle_lp(user, market, now)
    if lp_record is not None:
        records.append(lp_record)
    return records


# --- mint / burn ----------------------------------------------------------------------------


def mint_lp_shares(position: PerpPosition, market: PerpMarket, n_shares: int) -> None:
    """Add `n_shares` (1e9) of liquidity: sqrt_k += n_shares at an unchanged reserve price, with
    no k-adjustment cost charged to anyone.

    Preconditions (the instruction's): funding settled, n_shares already floored to the step and
    >= order_step_size, market Active, margin checked afterwards. An existing LP is settled first
    (no record); a new one snapshots the accumulators and the market's per_lp_base. Then
    lp_shares and user_lp_shares grow, and `get_update_k_result(bound_update=True)` + `update_k`
    rescale the curve (InvalidUpdateK past MAX_SQRT_K). Raises whatever settle raises, MathError
    on casts, InvalidAmmDetected / InvalidPerpPositionDetected from validation.

    Source: programs/drift/src/controller/lp.rs::mint_lp_shares
    """
    amm = market.amm
    sqrt_k = amm.sqrt_k
    if position.lp_shares > 0:
        settle_lp_position(position, market)
    else:
        _snapshot_accumulators(position, market)
        position.per_lp_base = amm.per_lp_base
    position.lp_shares = cast_u64(position.lp_shares + n_shares)
    update_k(market, get_update_k_result(market, sqrt_k + n_shares, True))
    amm.user_lp_shares = cast_u128(amm.user_lp_shares + n_shares)
    _validate_lp_market(market)
    _validate_lp_position(position, market)


def burn_lp_shares(
    position: PerpPosition, market: PerpMarket, shares_to_burn: int, oracle_price: int
) -> tuple[PositionDelta, int]:
    """Remove `shares_to_burn` (1e9) of liquidity; return (settle delta incl. dust fee, pnl 1e6).

    Preconditions (the callers'): funding settled; shares_to_burn <= position.lp_shares (else
    MathError here; the instruction raises InsufficientLPTokens first); cooldown checked by the
    instruction (not by liquidation). `oracle_price` (1e6) is the live oracle price.

    1. Full settle (`settle_lp_position`).
    2. Last LP out (shares_to_burn == user_lp_shares) with residual LP inventory:
       remainder -= with_unsettled_lp + remainder, i.e. it becomes -with_unsettled_lp.
    3. A non-zero remainder r (whole, any burn) passes to the protocol AMM:
       with_amm -= r, with_unsettled_lp += r, and the LP pays
       `fee = floor(|r| * max(oracle_price, 0) / 1e9) + 1` via
       `PositionDelta(0, -fee, -r)`; the fee is subtracted from the returned quote and pnl.
    4. Snapshots <- accumulators; lp_shares and user_lp_shares shrink.
    5. sqrt_k -= shares_to_burn via `get_update_k_result(bound_update=False)` + `update_k`
       (InvalidUpdateK when |with_amm| > new sqrt_k outside ReduceOnly). No k cost charged.

    Source: programs/drift/src/controller/lp.rs::burn_lp_shares
    """
    amm = market.amm
    if not 0 <= shares_to_burn <= position.lp_shares or shares_to_burn > amm.user_lp_shares:
        raise MathError(
            f"cannot burn {shares_to_burn} lp shares: position holds {position.lp_shares}, "
            f"market user_lp_shares {amm.user_lp_shares}"
        )
    delta, pnl = settle_lp_position(position, market)

    unsettled_remainder = (
        amm.base_asset_amount_with_unsettled_lp + position.remainder_base_asset_amount
    )
    if shares_to_burn == amm.user_lp_shares and unsettled_remainder != 0:
        position.remainder_base_asset_amount = cast_i32(
            position.remainder_base_asset_amount - unsettled_remainder
        )

    remainder = position.remainder_base_asset_amount
    if remainder != 0:
        amm.base_asset_amount_with_amm = cast_i128(amm.base_asset_amount_with_amm - remainder)
        amm.base_asset_amount_with_unsettled_lp = cast_i128(
            amm.base_asset_amount_with_unsettled_lp + remainder
        )
        dust_fee = calculate_base_asset_value_with_oracle_price(remainder, oracle_price) + 1
        update_position_and_market(position, market, PositionDelta(0, -dust_fee, -remainder))
        delta = PositionDelta(
            delta.base_asset_amount,
            cast_i64(delta.quote_asset_amount - dust_fee),
            delta.remainder_base_asset_amount,
        )
        pnl = cast_i64(pnl - dust_fee)

    _snapshot_accumulators(position, market)
    position.lp_shares -= shares_to_burn
    amm.user_lp_shares -= shares_to_burn
    update_k(market, get_update_k_result(market, amm.sqrt_k - shares_to_burn, False))
    _validate_lp_market(market)
    _validate_lp_position(position, market)
    return delta, pnl


def burn_lp_shares_with_record(
    user: User,
    position: PerpPosition,
    market: PerpMarket,
    shares_to_burn: int,
    oracle_price: int,
    action: LPAction,
    now: int,
) -> LPRecord:
    """`burn_lp_shares` and the LPRecord of the removal (`action`: RemoveLiquidity,
    RemoveLiquidityDerisk, ...; `now` in unix seconds stamps it). Same preconditions and errors.

    Source: programs/drift/src/controller/lp.rs::burn_lp_shares (and the emit!(LPRecord) at its callers)
    """
    delta, pnl = burn_lp_shares(position, market, shares_to_burn, oracle_price)
    return _lp_record(now, user, action, shares_to_burn, market, delta, pnl)
