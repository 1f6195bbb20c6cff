"""Mutations of the vAMM: swaps, spreads and spread reserves, concentration, TWAPs, volume.

Every function here validates and computes first and writes the AMM last, so a raised error
leaves the market unchanged. Units: reserves 1e9, prices 1e6, quote 1e6, spreads 1e6, time in
seconds, slots as given.

Source: programs/drift/src/controller/amm.rs, programs/drift/src/math/amm.rs (TWAP updaters)
"""

from __future__ import annotations

from ballast.drift.constants import (
    CONCENTRATION_PRECISION,
    FIVE_MINUTE,
    MAX_CONCENTRATION_COEFFICIENT,
    ONE_HOUR,
    ONE_MINUTE,
    TWENTY_FOUR_HOUR,
)
from ballast.drift.errors import (
    InvalidAmmDetected,
    InvalidAmmForFillDetected,
    InvalidConcentrationCoef,
    InvalidMarkTwapUpdateDetected,
)
from ballast.drift.math.amm import (
    TwapPeriod,
    _calculate_market_open_bids_asks,
    calculate_base_swap_output_with_spread,
    calculate_bid_ask_bounds,
    calculate_new_oracle_price_twap,
    calculate_oracle_reserve_price_spread_pct,
    calculate_terminal_price_and_reserves,
    estimate_best_bid_ask_price,
    get_new_oracle_conf_pct,
    normalise_oracle_price,
    reserve_price,
    sanitize_new_price,
)
from ballast.drift.math.amm_spread import (
    calculate_inventory_liquidity_ratio,
    calculate_reference_price_offset,
    calculate_spread,
    calculate_spread_reserves,
    get_max_reference_price_offset,
)
from ballast.drift.math.stats import (
    calculate_new_twap,
    calculate_rolling_sum,
    calculate_weighted_average,
)
from ballast.drift.state.oracle import OraclePriceData
from ballast.drift.state.perp_market import AMM, PerpMarket, SwapDirection
from ballast.drift.state.user import PositionDirection
from ballast.fixed import (
    U32_MAX,
    cast_i32,
    cast_i64,
    cast_u32,
    div_ceil,
    div_floor,
    div_trunc,
    sign,
)

__all__ = [
    "swap_base_asset",
    "update_spread_reserves",
    "update_spreads",
    "update_concentration_coef",
    "update_oracle_price_twap",
    "update_mark_twap",
    "update_mark_twap_from_estimates",
    "update_volume_24h",
]


def swap_base_asset(
    market: PerpMarket, base_asset_swap_amount: int, direction: SwapDirection
) -> tuple[int, int]:
    """Fill a user's base swap against the AMM; returns (quote_asset_amount, surplus), 1e6.

    Prices the swap on the side's spread reserves and moves the curve without spread
    (`calculate_base_swap_output_with_spread`), refuses a fill that takes the base reserve
    below its minimum (Remove, user long) or above its maximum (Add, user short) with
    InvalidAmmForFillDetected, stores the new reserves and refreshes the spread reserves with
    the current spreads. Raises TradeSizeTooLarge for a removal past the reserve.

    Source: programs/drift/src/controller/amm.rs::swap_base_asset
    """
    amm = market.amm
    new_base, new_quote, quote_asset_amount, surplus = calculate_base_swap_output_with_spread(
        amm, base_asset_swap_amount, direction
    )
    if direction is SwapDirection.Remove:
        if new_base < amm.min_base_asset_reserve:
            raise InvalidAmmForFillDetected(
                f"base_asset_reserve {new_base} below min_base_asset_reserve "
                f"{amm.min_base_asset_reserve} after removing {base_asset_swap_amount}"
            )
    elif new_base > amm.max_base_asset_reserve:
        raise InvalidAmmForFillDetected(
            f"base_asset_reserve {new_base} above max_base_asset_reserve "
            f"{amm.max_base_asset_reserve} after adding {base_asset_swap_amount}"
        )
    amm.base_asset_reserve = new_base
    amm.quote_asset_reserve = new_quote
    update_spread_reserves(market)
    return quote_asset_amount, cast_i64(surplus)


def update_spread_reserves(market: PerpMarket) -> None:
    """Recompute the stored ask/bid spread reserves from the current spreads and curve.

    With no reference price offset the spread reserves are clamped so neither side quotes
    inside the curve (ask base <= bar, ask quote >= qar, bid base >= bar, bid quote <= qar).

    Source: programs/drift/src/controller/amm.rs::update_spread_reserves
    """
    amm = market.amm
    ask_base, ask_quote = calculate_spread_reserves(amm, PositionDirection.Long)
    bid_base, bid_quote = calculate_spread_reserves(amm, PositionDirection.Short)
    if amm.reference_price_offset == 0:
        bar, qar = amm.base_asset_reserve, amm.quote_asset_reserve
        ask_base = min(ask_base, bar)
        bid_base = max(bid_base, bar)
        ask_quote = max(ask_quote, qar)
        bid_quote = min(bid_quote, qar)
    amm.ask_base_asset_reserve = ask_base
    amm.ask_quote_asset_reserve = ask_quote
    amm.bid_base_asset_reserve = bid_base
    amm.bid_quote_asset_reserve = bid_quote


def _adjust_spread(spread: int, adjustment: int) -> int:
    if adjustment < 0:
        return max(spread - div_floor(min(spread * -adjustment, U32_MAX), 100), 1)
    return max(min(spread + div_ceil(min(spread * adjustment, U32_MAX), 100), U32_MAX), 1)


def update_spreads(
    market: PerpMarket, reserve_price: int, slot: int | None = None
) -> tuple[int, int]:
    """Recompute long/short spreads, the reference price offset and the spread reserves.

    Simple mode (curve_update_intensity == 0) gives each side base_spread / 2; otherwise the
    full `calculate_spread`. The amm_spread_adjustment percent then scales both sides (at
    least 1). When the new reference offset flips sign and intensity > 100 the stored offset
    steps toward it (by ``min(max(min(|delta|, slots * 1000) / 10, 10), |offset|)``) and the
    spreads widen by the step; otherwise the new offset is stored. Returns the (long, short)
    spreads before that widening, u32 1e6.

    Source: programs/drift/src/controller/amm.rs::update_spreads
    """
    amm = market.amm
    max_ref_offset = get_max_reference_price_offset(amm)
    if max_ref_offset > 0:
        liquidity_ratio = calculate_inventory_liquidity_ratio(
            amm.base_asset_amount_with_amm,
            amm.base_asset_reserve,
            amm.min_base_asset_reserve,
            amm.max_base_asset_reserve,
        )
        protocol_owned_position = cast_i64(
            amm.base_asset_amount_with_amm + amm.base_asset_amount_with_unsettled_lp
        )
        hod = amm.historical_oracle_data
        reference_price_offset = calculate_reference_price_offset(
            reserve_price,
            amm.last_24h_avg_funding_rate,
            liquidity_ratio * sign(protocol_owned_position),
            amm.min_order_size,
            hod.last_oracle_price_twap_5min,
            amm.last_mark_price_twap_5min,
            hod.last_oracle_price_twap,
            amm.last_mark_price_twap,
            max_ref_offset,
        )
    else:
        reference_price_offset = 0

    if amm.curve_update_intensity > 0:
        long_spread, short_spread = calculate_spread(
            amm.base_spread,
            amm.last_oracle_reserve_price_spread_pct,
            amm.last_oracle_conf_pct,
            amm.max_spread,
            amm.quote_asset_reserve,
            amm.terminal_quote_asset_reserve,
            amm.peg_multiplier,
            amm.base_asset_amount_with_amm,
            reserve_price,
            amm.total_fee_minus_distributions,
            amm.net_revenue_since_last_funding,
            amm.base_asset_reserve,
            amm.min_base_asset_reserve,
            amm.max_base_asset_reserve,
            amm.mark_std,
            amm.oracle_std,
            amm.long_intensity_volume,
            amm.short_intensity_volume,
            amm.volume_24h,
            amm.amm_inventory_spread_adjustment,
        )
    else:
        long_spread = short_spread = div_floor(amm.base_spread, 2)

    if amm.amm_spread_adjustment != 0:
        long_spread = _adjust_spread(long_spread, amm.amm_spread_adjustment)
        short_spread = _adjust_spread(short_spread, amm.amm_spread_adjustment)

    stored_offset = amm.reference_price_offset
    new_long_spread, new_short_spread = long_spread, short_spread
    if sign(reference_price_offset) != sign(stored_offset) and amm.curve_update_intensity > 100:
        slots_passed = 0 if slot is None else max(0, slot - amm.last_update_slot)
        full_offset_delta = reference_price_offset - stored_offset
        raw = cast_i32(div_trunc(min(abs(full_offset_delta), slots_passed * 1000), 10))
        step_cap = abs(stored_offset) if stored_offset != 0 else abs(reference_price_offset)
        reference_price_delta = sign(full_offset_delta) * min(max(raw, 10), step_cap)
        new_offset = cast_i32(stored_offset + reference_price_delta)
        if reference_price_delta < 0:
            new_long_spread = cast_u32(long_spread - reference_price_delta)
            new_short_spread = cast_u32(short_spread + abs(new_offset))
        else:
            new_short_spread = cast_u32(short_spread + reference_price_delta)
            new_long_spread = cast_u32(long_spread + abs(new_offset))
    else:
        new_offset = reference_price_offset

    amm.long_spread = new_long_spread
    amm.short_spread = new_short_spread
    amm.reference_price_offset = new_offset
    update_spread_reserves(market)
    return long_spread, short_spread


def update_concentration_coef(market: PerpMarket, scale: int) -> None:
    """Set ``concentration_coef = 1e6 + (1_414_200 - 1e6) / scale`` (rounded down) and the
    min/max base reserves around the terminal base reserve, then refresh the spreads.

    Raises InvalidConcentrationCoef for scale <= 0, a coefficient outside (1e6, 1_414_200], or
    bounds that would leave the AMM unable to unwind base_asset_amount_with_amm;
    InvalidAmmDetected if the stored terminal quote reserve is stale.

    Source: programs/drift/src/controller/amm.rs::update_concentration_coef
    """
    if scale <= 0:
        raise InvalidConcentrationCoef(f"invalid scale {scale}")
    new_concentration_coef = CONCENTRATION_PRECISION + div_floor(
        MAX_CONCENTRATION_COEFFICIENT - CONCENTRATION_PRECISION, scale
    )
    if not CONCENTRATION_PRECISION < new_concentration_coef <= MAX_CONCENTRATION_COEFFICIENT:
        raise InvalidConcentrationCoef(
            f"invalid new_concentration_coef {new_concentration_coef} for scale {scale}"
        )
    amm = market.amm
    _, terminal_quote_reserves, terminal_base_reserves = calculate_terminal_price_and_reserves(amm)
    if terminal_quote_reserves != amm.terminal_quote_asset_reserve:
        raise InvalidAmmDetected(
            f"invalid terminal_quote_reserves {terminal_quote_reserves} != "
            f"terminal_quote_asset_reserve {amm.terminal_quote_asset_reserve}"
        )
    min_base, max_base = calculate_bid_ask_bounds(new_concentration_coef, terminal_base_reserves)
    max_bids, max_asks = _calculate_market_open_bids_asks(
        amm.base_asset_reserve, min_base, max_base
    )
    net = amm.base_asset_amount_with_amm
    if not (max_bids > net and max_asks < net):
        raise InvalidConcentrationCoef(
            f"base_asset_amount_with_amm {net} exceeds the liquidity left by scale {scale}: "
            f"max_bids {max_bids}, max_asks {max_asks}"
        )
    amm.concentration_coef = new_concentration_coef
    amm.max_base_asset_reserve = max_base
    amm.min_base_asset_reserve = min_base
    update_spreads(market, reserve_price(amm))


def update_oracle_price_twap(
    amm: AMM,
    now: int,
    oracle_price_data: OraclePriceData,
    precomputed_reserve_price: int | None = None,
    sanitize_clamp: int | None = None,
) -> int:
    """Fold an oracle reading into the funding-period and 5-minute oracle TWAPs (1e6).

    The price is normalised toward the reserve price and clamped against the TWAP by
    `sanitize_clamp`; if both are positive the TWAPs, normalised price, last oracle price,
    delay, confidence pct (decayed lower bound), oracle/reserve spread pct and oracle_std are
    updated and the TWAP timestamp set to `now`. Returns the funding-period oracle TWAP.

    Source: programs/drift/src/math/amm.rs::update_oracle_price_twap
    """
    price = reserve_price(amm) if precomputed_reserve_price is None else precomputed_reserve_price
    oracle_price = normalise_oracle_price(amm, oracle_price_data, price)
    hod = amm.historical_oracle_data
    capped_oracle_update_price = sanitize_new_price(
        oracle_price, hod.last_oracle_price_twap, sanitize_clamp
    )
    if capped_oracle_update_price <= 0 or oracle_price <= 0:
        return hod.last_oracle_price_twap

    oracle_price_twap = calculate_new_oracle_price_twap(
        amm, now, capped_oracle_update_price, TwapPeriod.FundingPeriod
    )
    oracle_price_twap_5min = calculate_new_oracle_price_twap(
        amm, now, capped_oracle_update_price, TwapPeriod.FiveMin
    )
    conf_pct = get_new_oracle_conf_pct(amm, oracle_price_data.confidence, price, now)
    spread_pct = calculate_oracle_reserve_price_spread_pct(amm, oracle_price_data, price)
    since_last = max(ONE_HOUR, max(1, now - hod.last_oracle_price_twap_ts))
    price_change_abs = max(
        abs(oracle_price - hod.last_oracle_price_twap),
        abs(oracle_price - hod.last_oracle_price_twap_5min),
    )
    oracle_std = calculate_rolling_sum(amm.oracle_std, price_change_abs, since_last, ONE_HOUR)

    amm.last_oracle_normalised_price = capped_oracle_update_price
    hod.last_oracle_price = oracle_price_data.price
    amm.last_oracle_conf_pct = conf_pct
    hod.last_oracle_delay = oracle_price_data.delay
    amm.last_oracle_reserve_price_spread_pct = spread_pct
    amm.oracle_std = oracle_std
    hod.last_oracle_price_twap_5min = oracle_price_twap_5min
    hod.last_oracle_price_twap = oracle_price_twap
    hod.last_oracle_price_twap_ts = now
    return oracle_price_twap


def _shrink_toward_oracle_twap(oracle_twap: int, side_twap: int, gap: int, from_start: int) -> int:
    return calculate_weighted_average(
        oracle_twap, side_twap, gap, from_start, sign(oracle_twap - side_twap)
    )


def update_mark_twap(
    amm: AMM,
    now: int,
    bid_price: int,
    ask_price: int,
    precomputed_trade_price: int | None,
    sanitize_clamp: int | None,
) -> int:
    """Fold a (bid, ask) observation into the bid/ask/mark TWAPs and mark_std; returns the
    new mark TWAP ``(bid_twap + ask_twap) / 2`` (1e6).

    Bid and ask are clamped against their TWAPs (InvalidMarkTwapUpdateDetected if that
    crosses them). When the oracle TWAP ran ahead of the mark TWAP by more than
    max(funding_period / 60, 60) s, the stale bid/ask TWAPs first shrink toward the oracle
    TWAP. mark_std uses the trade price (or the raw mid) against the old mark TWAPs.

    Source: programs/drift/src/math/amm.rs::update_mark_twap
    """
    last_bid_twap, last_ask_twap = amm.last_bid_price_twap, amm.last_ask_price_twap
    bid_capped = sanitize_new_price(bid_price, last_bid_twap, sanitize_clamp)
    ask_capped = sanitize_new_price(ask_price, last_ask_twap, sanitize_clamp)
    if bid_capped > ask_capped:
        raise InvalidMarkTwapUpdateDetected(
            f"bid_price_capped_update {bid_capped} not <= ask_price_capped_update {ask_capped}"
        )
    last_mark_ts = amm.last_mark_price_twap_ts
    funding_period = amm.funding_period
    oracle_twap = amm.historical_oracle_data.last_oracle_price_twap
    gap = amm.historical_oracle_data.last_oracle_price_twap_ts - last_mark_ts
    if gap > max(div_trunc(funding_period, 60), ONE_MINUTE):
        from_start_valid = max(0, funding_period - gap)
        last_bid_twap = _shrink_toward_oracle_twap(
            oracle_twap, last_bid_twap, gap, from_start_valid
        )
        last_ask_twap = _shrink_toward_oracle_twap(
            oracle_twap, last_ask_twap, gap, from_start_valid
        )

    bid_twap = calculate_new_twap(bid_capped, now, last_bid_twap, last_mark_ts, funding_period)
    ask_twap = calculate_new_twap(ask_capped, now, last_ask_twap, last_mark_ts, funding_period)
    mid_twap = div_trunc(bid_twap + ask_twap, 2)

    trade_price = (
        div_trunc(bid_price + ask_price, 2)
        if precomputed_trade_price is None
        else precomputed_trade_price
    )
    old_mark_twap, old_mark_twap_5min = amm.last_mark_price_twap, amm.last_mark_price_twap_5min
    price_change_abs = max(abs(trade_price - old_mark_twap), abs(trade_price - old_mark_twap_5min))
    since_last = max(ONE_HOUR, max(1, now - last_mark_ts))
    mark_std = calculate_rolling_sum(amm.mark_std, price_change_abs, since_last, ONE_HOUR)
    mark_twap_5min = calculate_new_twap(
        div_trunc(bid_capped + ask_capped, 2), now, old_mark_twap_5min, last_mark_ts, FIVE_MINUTE
    )

    amm.last_bid_price_twap = bid_twap
    amm.last_ask_price_twap = ask_twap
    amm.mark_std = mark_std
    amm.last_mark_price_twap = mid_twap
    amm.last_mark_price_twap_5min = mark_twap_5min
    amm.last_mark_price_twap_ts = now
    return mid_twap


def update_mark_twap_from_estimates(
    amm: AMM,
    now: int,
    precomputed_trade_price: int | None,
    direction: PositionDirection | None,
    sanitize_clamp: int | None,
) -> int:
    """Estimate the best bid/ask from a trade (`estimate_best_bid_ask_price`) and fold it into
    the mark TWAPs (`update_mark_twap`); returns the new mark TWAP (1e6).

    Source: programs/drift/src/math/amm.rs::update_mark_twap_from_estimates
    """
    bid_price, ask_price = estimate_best_bid_ask_price(amm, precomputed_trade_price, direction)
    return update_mark_twap(amm, now, bid_price, ask_price, precomputed_trade_price, sanitize_clamp)


def update_volume_24h(
    amm: AMM, quote_asset_amount: int, position_direction: PositionDirection, now: int
) -> None:
    """Add a fill's quote (1e6) to the hourly long/short intensity and the 24h volume rolling
    sums (older amounts decay by the seconds since the last trade, at least 1), then set
    last_trade_ts.

    Source: programs/drift/src/state/perp_market.rs::AMM::update_volume_24h
    (with programs/drift/src/math/amm.rs::update_amm_long_short_intensity)
    """
    since_last = max(1, now - amm.last_trade_ts)
    if position_direction is PositionDirection.Long:
        long_quote, short_quote = quote_asset_amount, 0
    else:
        long_quote, short_quote = 0, quote_asset_amount
    long_intensity = calculate_rolling_sum(
        amm.long_intensity_volume, long_quote, since_last, ONE_HOUR
    )
    short_intensity = calculate_rolling_sum(
        amm.short_intensity_volume, short_quote, since_last, ONE_HOUR
    )
    volume_24h = calculate_rolling_sum(
        amm.volume_24h, quote_asset_amount, since_last, TWENTY_FOUR_HOUR
    )
    amm.long_intensity_volume = long_intensity
    amm.short_intensity_volume = short_intensity
    amm.volume_24h = volume_24h
    amm.last_trade_ts = now
