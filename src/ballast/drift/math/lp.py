"""Backstop AMM Liquidity (BAL, "LP shares"): the pure arithmetic.

LP shares are counted in sqrt_k units (AMM_RESERVE_PRECISION, 1e9 = one share). The market keeps
two cumulative per-LP accumulators (`base_asset_amount_per_lp` in base 1e9, `quote_asset_amount_per_lp`
in quote 1e6, both per `per_lp_base_unit` shares); an LP is owed
`(accumulator - its snapshot) * lp_shares / per_lp_base_unit` of each. Nothing here mutates its
arguments; `controller/lp.py` applies the results.

Rounding follows the reference: signed divisions truncate toward zero, proportions are
`sign(v) * floor(|v| * n / d)`, unsigned divisions floor. Spec: drift_bal.md sections 3, 5, 6, 9, 11, 12.

Source: programs/drift/src/math/lp.rs
"""

from __future__ import annotations

from dataclasses import dataclass

from ballast.drift.constants import (
    AMM_RESERVE_PRECISION,
    LP_FEE_SLICE_DENOMINATOR,
    LP_FEE_SLICE_NUMERATOR,
    MARGIN_PRECISION,
    PRICE_PRECISION,
    PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO,
    QUOTE_PRECISION,
)
from ballast.drift.errors import InvalidPerpPositionDetected
from ballast.drift.math.amm import calculate_market_open_bids_asks
from ballast.drift.math.orders import (
    standardize_base_asset_amount,
    standardize_base_asset_amount_ceil,
    standardize_base_asset_amount_with_remainder_i128,
)
from ballast.drift.math.position import PositionDelta, calculate_base_asset_value_with_oracle_price
from ballast.drift.math.weights import get_margin_ratio
from ballast.drift.state.margin_calculation import MarginRequirementType
from ballast.drift.state.perp_market import AMM, AMMLiquiditySplit, PerpMarket
from ballast.drift.state.user import PerpPosition
from ballast.fixed import (
    MathError,
    cast_i64,
    cast_i128,
    cast_u64,
    cast_u128,
    div_ceil,
    div_floor,
    div_trunc,
    proportion_signed,
)
from ballast.value_copy import copy_by_constructor

__all__ = [
    "LPMetrics",
    "get_per_lp_base_unit",
    "rebase_per_lp_amount",
    "get_rebased_position_snapshots",
    "calculate_settled_lp_base_quote",
    "calculate_settle_lp_metrics",
    "calculate_lp_open_bids_asks",
    "calculate_per_lp_delta",
    "simulate_settled_lp_position",
    "worst_case_base_asset_amount",
    "margin_requirement_for_lp_shares",
    "calculate_lp_shares_to_burn_for_risk_reduction",
]

MAX_PER_LP_BASE_EXPONENT = 9  # |per_lp_base| <= 9 (admin bound; 10**9 is the base unit itself)


@dataclass(slots=True, frozen=True)
class LPMetrics:
    """What settling an LP would apply to its position: stepped base (1e9, truncated toward zero
    to a multiple of order_step_size), quote (1e6, not stepped) and the signed sub-step base
    remainder (1e9).

    Source: programs/drift/src/math/lp.rs::LPMetrics
    """

    base_asset_amount: int
    quote_asset_amount: int
    remainder_base_asset_amount: int


def get_per_lp_base_unit(per_lp_base: int) -> int:
    """Number of shares (1e9 units) the per-LP accumulators are expressed per:
    `1e9 * 10**p` for p > 0, `1e9 // 10**|p|` for p < 0 (exact for |p| <= 9), 1e9 for p == 0.

    Raises MathError when |p| > 9 (the unit would vanish or overflow the reference's i128 use).

    Source: programs/drift/src/state/perp_market.rs::AMM::get_per_lp_base_unit
    """
    if abs(per_lp_base) > MAX_PER_LP_BASE_EXPONENT:
        raise MathError(f"per_lp_base {per_lp_base} outside [-9, 9]")
    scalar = 10 ** abs(per_lp_base)
    if per_lp_base > 0:
        return AMM_RESERVE_PRECISION * scalar
    if per_lp_base < 0:
        return div_floor(AMM_RESERVE_PRECISION, scalar)
    return AMM_RESERVE_PRECISION


def rebase_per_lp_amount(amount: int, expo_diff: int) -> int:
    """One per-LP value (accumulator or snapshot) re-expressed after the per-LP exponent moves by
    `expo_diff`: `amount * 10**e` for e > 0, `trunc(amount / 10**|e|)` for e < 0 (toward zero, so
    a downscale can lose up to one unit), unchanged for e == 0. Bounds are the caller's (casts).

    Source: programs/drift/src/controller/lp.rs::apply_lp_rebase_to_perp_market (rebase step)
    """
    if expo_diff > 0:
        return amount * 10**expo_diff
    if expo_diff < 0:
        return div_trunc(amount, 10 ** (-expo_diff))
    return amount


def get_rebased_position_snapshots(amm: AMM, position: PerpPosition) -> tuple[int, int, int]:
    """(last_base_asset_amount_per_lp, last_quote_asset_amount_per_lp, per_lp_base) of a
    position brought to the market's exponent (lazy rebase). The snapshots are i64: MathError if
    an upscale leaves i64.

    Source: programs/drift/src/controller/lp.rs::apply_lp_rebase_to_perp_position
    """
    expo_diff = amm.per_lp_base - position.per_lp_base
    if expo_diff == 0:
        return (
            position.last_base_asset_amount_per_lp,
            position.last_quote_asset_amount_per_lp,
            position.per_lp_base,
        )
    return (
        cast_i64(rebase_per_lp_amount(position.last_base_asset_amount_per_lp, expo_diff)),
        cast_i64(rebase_per_lp_amount(position.last_quote_asset_amount_per_lp, expo_diff)),
        position.per_lp_base + expo_diff,
    )


def calculate_settled_lp_base_quote(amm: AMM, position: PerpPosition) -> tuple[int, int]:
    """(base 1e9, quote 1e6) an LP has accrued since its snapshots:
    `trunc((acc - snapshot) * lp_shares / per_lp_base_unit)` for each accumulator.

    Requires the position already rebased to the market's exponent; raises
    InvalidPerpPositionDetected when `position.per_lp_base != amm.per_lp_base`.

    Source: programs/drift/src/math/lp.rs::calculate_settled_lp_base_quote
    """
    if amm.per_lp_base != position.per_lp_base:
        raise InvalidPerpPositionDetected(
            f"position/market per_lp_base unequal: {position.per_lp_base} != {amm.per_lp_base}"
        )
    unit = get_per_lp_base_unit(amm.per_lp_base)
    shares = position.lp_shares
    base = div_trunc(
        (amm.base_asset_amount_per_lp - position.last_base_asset_amount_per_lp) * shares, unit
    )
    quote = div_trunc(
        (amm.quote_asset_amount_per_lp - position.last_quote_asset_amount_per_lp) * shares, unit
    )
    return cast_i128(base), cast_i128(quote)


def calculate_settle_lp_metrics(amm: AMM, position: PerpPosition) -> LPMetrics:
    """Settlement metrics: the accrued base split into a multiple of order_step_size (toward
    zero) and a signed remainder; quote as accrued. Same precondition/errors as
    `calculate_settled_lp_base_quote`.

    Source: programs/drift/src/math/lp.rs::calculate_settle_lp_metrics
    """
    base, quote = calculate_settled_lp_base_quote(amm, position)
    standardized, remainder = standardize_base_asset_amount_with_remainder_i128(
        base, amm.order_step_size
    )
    return LPMetrics(standardized, quote, remainder)


def calculate_lp_open_bids_asks(
    market_position: PerpPosition, market: PerpMarket
) -> tuple[int, int]:
    """(lp_bids >= 0, lp_asks <= 0), base 1e9: the LP's `lp_shares / sqrt_k` slice of the AMM's
    remaining depth to its min/max base reserve, each `proportion_signed` (toward zero).

    Source: programs/drift/src/math/lp.rs::calculate_lp_open_bids_asks
    """
    amm = market.amm
    max_bids, max_asks = calculate_market_open_bids_asks(amm)
    lp_shares = market_position.lp_shares
    open_bids = proportion_signed(max_bids, lp_shares, amm.sqrt_k)
    open_asks = proportion_signed(max_asks, lp_shares, amm.sqrt_k)
    return cast_i64(open_bids), cast_i64(open_asks)


def get_lp_fee_slice(amm: AMM) -> tuple[int, int]:
    """(numerator, denominator) of the fee share the LPs receive: the market's own slice when
    set (a Ballast option for comparing fee designs), else the reference's 8/10.

    Source: programs/drift/src/math/constants.rs::LP_FEE_SLICE_NUMERATOR, LP_FEE_SLICE_DENOMINATOR
    """
    if amm.lp_fee_slice_denominator > 0:
        return amm.lp_fee_slice_numerator, amm.lp_fee_slice_denominator
    return LP_FEE_SLICE_NUMERATOR, LP_FEE_SLICE_DENOMINATOR


def calculate_per_lp_delta(
    delta: PositionDelta,
    fee_to_market_for_lp: int,
    liquidity_split: AMMLiquiditySplit,
    market: PerpMarket,
) -> tuple[int, int, int, int]:
    """How one AMM fill moves the per-LP accumulators and the aggregate LP inventory.

    `delta` is the taker's (user's) delta: base 1e9, quote 1e6. With `unit = per_lp_base_unit`
    and `N = user_lp_shares` (LPOwned) or `sqrt_k` (otherwise):
    `pb = proportion_signed(d_b, unit, N)`, `pq = proportion_signed(d_q, unit, N)` plus 1 when
    pb < 0 (rounding against the LP); `pfee = floor(floor(fee*8/10) * unit / N)` when fee > 0
    (8/10 or the market's `get_lp_fee_slice`),
    else 0; `lp_b = proportion_signed(pb, user_lp_shares, unit)`,
    `lp_q = proportion_signed(pq, user_lp_shares, unit)` (fee excluded).

    Returns (per_lp_delta_base, per_lp_delta_quote, lp_delta_base, lp_delta_quote), all in the
    user-side sign convention: the accumulators move by `-per_lp_delta_base` and
    `-per_lp_delta_quote`, where `per_lp_delta_quote = pq - pfee` (so the fee is included).
    The caller checks `user_lp_shares > 0` (N must not be 0).

    Source: programs/drift/src/state/perp_market.rs::AMM::calculate_per_lp_delta,
    AMM::calculate_lp_base_delta
    """
    amm = market.amm
    unit = get_per_lp_base_unit(amm.per_lp_base)
    total_lp_shares = (
        amm.user_lp_shares if liquidity_split is AMMLiquiditySplit.LPOwned else amm.sqrt_k
    )
    per_lp_delta_base = proportion_signed(delta.base_asset_amount, unit, total_lp_shares)
    per_lp_delta_quote = proportion_signed(delta.quote_asset_amount, unit, total_lp_shares)
    if per_lp_delta_base < 0:
        per_lp_delta_quote += 1
    if fee_to_market_for_lp > 0:
        slice_numerator, slice_denominator = get_lp_fee_slice(amm)
        lp_fee_slice = proportion_signed(fee_to_market_for_lp, slice_numerator, slice_denominator)
        per_lp_fee = div_trunc(lp_fee_slice * unit, total_lp_shares)
    else:
        per_lp_fee = 0
    lp_delta_base = proportion_signed(per_lp_delta_base, amm.user_lp_shares, unit)
    lp_delta_quote = proportion_signed(per_lp_delta_quote, amm.user_lp_shares, unit)
    return (
        cast_i128(per_lp_delta_base),
        cast_i128(per_lp_delta_quote - per_lp_fee),
        cast_i128(lp_delta_base),
        cast_i128(lp_delta_quote),
    )


def simulate_settled_lp_position(
    position: PerpPosition, market: PerpMarket, valuation_price: int
) -> PerpPosition:
    """A NEW PerpPosition as if the LP settled now (for margin); `position` is not touched.

    Without lp_shares: an unchanged copy. Otherwise on a copy: lazy rebase of the snapshots;
    base += stepped metrics base; quote += metrics quote; the combined remainder
    `rem + metrics.rem`, if at least one step, keeps only its sub-step part (the stepped part is
    dropped, as in the reference); a non-zero remainder pre-charges the burn dust fee
    `floor(|rem| * max(valuation_price, 0) / 1e9) + 1` to quote; the LP's slice of the AMM depth
    is added to open_bids/open_asks. The copy's remainder_base_asset_amount and funding snapshot
    are left as they were. Prices 1e6, base 1e9, quote 1e6.

    Source: programs/drift/src/state/user.rs::PerpPosition::simulate_settled_lp_position
    """
    if position.lp_shares == 0:
        return position.clone()
    amm = market.amm
    last_base, last_quote, per_lp_base = get_rebased_position_snapshots(amm, position)
    settled = position.clone()
    settled.last_base_asset_amount_per_lp = last_base
    settled.last_quote_asset_amount_per_lp = last_quote
    settled.per_lp_base = per_lp_base
    metrics = calculate_settle_lp_metrics(amm, settled)
    base = cast_i64(settled.base_asset_amount + metrics.base_asset_amount)
    quote = cast_i64(settled.quote_asset_amount + metrics.quote_asset_amount)
    new_remainder = cast_i64(
        settled.remainder_base_asset_amount + metrics.remainder_base_asset_amount
    )
    if abs(new_remainder) >= amm.order_step_size:
        _dropped, new_remainder = standardize_base_asset_amount_with_remainder_i128(
            new_remainder, amm.order_step_size
        )
    if new_remainder != 0:
        dust_fee = calculate_base_asset_value_with_oracle_price(new_remainder, valuation_price) + 1
        quote = cast_i64(quote - dust_fee)
    lp_bids, lp_asks = calculate_lp_open_bids_asks(settled, market)
    settled.base_asset_amount = base
    settled.quote_asset_amount = quote
    settled.open_bids = cast_i64(settled.open_bids + lp_bids)
    settled.open_asks = cast_i64(settled.open_asks + lp_asks)
    return settled


def worst_case_base_asset_amount(position: PerpPosition, oracle_price: int) -> int:
    """Base (1e9) if all bids or all asks fill, whichever is the larger liability
    `|base| * max(price, 0) / 1e9` (floor); asks on ties.

    Source: programs/drift/src/state/user.rs::PerpPosition::worst_case_base_asset_amount
    """
    all_bids = position.base_asset_amount + position.open_bids
    all_asks = position.base_asset_amount + position.open_asks
    bids_value = calculate_base_asset_value_with_oracle_price(all_bids, oracle_price)
    asks_value = calculate_base_asset_value_with_oracle_price(all_asks, oracle_price)
    return all_asks if asks_value >= bids_value else all_bids


def margin_requirement_for_lp_shares(
    position: PerpPosition, order_step_size: int, valuation_price: int
) -> int:
    """The flat LP margin buffer (quote 1e6): 0 without lp_shares, else
    `max(1e6, floor(order_step_size * valuation_price / 1e9))`, once per position.

    Source: programs/drift/src/state/user.rs::PerpPosition::margin_requirement_for_lp_shares
    """
    if position.lp_shares == 0:
        return 0
    step_value = div_floor(
        order_step_size * cast_u128(valuation_price), PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO
    )
    return max(QUOTE_PRECISION, step_value)


def calculate_lp_shares_to_burn_for_risk_reduction(
    perp_position: PerpPosition,
    market: PerpMarket,
    oracle_price: int,
    quote_oracle_price: int,
    margin_shortage: int,
    user_custom_margin_ratio: int,
    user_high_leverage_mode: bool = False,
) -> tuple[int, int]:
    """(lp_shares_to_burn 1e9, base_asset_amount_to_close 1e9) for an automatic derisk.

    On the simulated settled position (valued at `oracle_price`, 1e6): worst-case base `wc`;
    LP-only open orders `wc - (sim.base + own open_bids)` (wc >= 0) or
    `wc - (sim.base + own open_asks)`; ratio = max(Initial margin ratio at |wc|, custom ratio)
    (1e4); base to cover = `floor(shortage * 1e9 / floor(floor(price * quote_price / 1e6) *
    ratio / 1e4))` (shortage quote 1e6). If that is below |sim.base|: burn
    max(floor_to_step(lp_shares / 10), step) and close min(ceil_to_step(cover), |sim.base|).
    Else burn `ceil(lp_shares * ceil((cover - |sim.base|) * 100 / |lp_orders|) / 100)` rounded up
    to a step and clamped to [step, lp_shares], closing |sim.base|.

    Raises MathError for a negative price, a zero divisor (no LP open orders, zero price or
    ratio) and when step > lp_shares (the reference's clamp panics).

    Source: programs/drift/src/math/lp.rs::calculate_lp_shares_to_burn_for_risk_reduction
    """
    amm = market.amm
    step = amm.order_step_size
    settled = simulate_settled_lp_position(perp_position, market, oracle_price)
    worst_case = worst_case_base_asset_amount(settled, oracle_price)
    if worst_case >= 0:
        open_orders_from_lp_shares = worst_case - (
            settled.base_asset_amount + perp_position.open_bids
        )
    else:
        open_orders_from_lp_shares = worst_case - (
            settled.base_asset_amount + perp_position.open_asks
        )

    margin_ratio = max(
        get_margin_ratio(
            market, abs(worst_case), MarginRequirementType.Initial, user_high_leverage_mode
        ),
        user_custom_margin_ratio,
    )
    price_times_ratio = div_floor(
        div_floor(cast_u128(oracle_price) * cast_u128(quote_oracle_price), PRICE_PRECISION)
        * margin_ratio,
        MARGIN_PRECISION,
    )
    base_asset_amount_to_cover = cast_u64(
        div_floor(margin_shortage * PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO, price_times_ratio)
    )
    current_base_asset_amount = abs(settled.base_asset_amount)

    if base_asset_amount_to_cover < current_base_asset_amount:
        base_asset_amount_to_close = min(
            standardize_base_asset_amount_ceil(base_asset_amount_to_cover, step),
            current_base_asset_amount,
        )
        lp_shares_to_burn = max(
            standardize_base_asset_amount(div_floor(settled.lp_shares, 10), step), step
        )
        return lp_shares_to_burn, base_asset_amount_to_close

    base_left_to_cover = base_asset_amount_to_cover - current_base_asset_amount
    percent_to_burn = div_ceil(base_left_to_cover * 100, abs(open_orders_from_lp_shares))
    lp_shares_to_burn = cast_u64(div_ceil(settled.lp_shares * percent_to_burn, 100))
    if step > settled.lp_shares:
        raise MathError(
            f"cannot clamp lp shares to burn to [{step}, {settled.lp_shares}]: "
            "order_step_size exceeds lp_shares"
        )
    standardized = standardize_base_asset_amount_ceil(lp_shares_to_burn, step)
    return min(max(standardized, step), settled.lp_shares), current_base_asset_amount


copy_by_constructor(LPMetrics)
