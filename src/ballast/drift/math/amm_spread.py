"""AMM bid/ask spreads, spread reserves, the reference price offset and trade-to-price size.

Pure functions. Spreads and pcts in BID_ASK_SPREAD_PRECISION (1e6 = 100%), reserves 1e9,
prices 1e6, quote 1e6. u64 products the reference saturates are capped at U64_MAX; the ones it
checks raise MathError.

Source: programs/drift/src/math/amm_spread.rs
"""

from __future__ import annotations

from math import isqrt

from ballast.drift.constants import (
    AMM_TIMES_PEG_TO_QUOTE_PRECISION_RATIO,
    BID_ASK_SPREAD_PRECISION,
    DEFAULT_LARGE_BID_ASK_FACTOR,
    DEFAULT_REVENUE_SINCE_LAST_FUNDING_SPREAD_RETREAT,
    FUNDING_RATE_BUFFER,
    MAX_BID_ASK_INVENTORY_SKEW_FACTOR,
    PEG_PRECISION,
    PERCENTAGE_PRECISION,
    PRICE_PRECISION,
    PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO,
)
from ballast.drift.errors import InvalidAmmMaxSpreadDetected, InvalidOrderLimitPrice
from ballast.drift.math.amm import _calculate_market_open_bids_asks
from ballast.drift.state.perp_market import AMM
from ballast.drift.state.user import PositionDirection
from ballast.fixed import (
    U64_MAX,
    cast_i32,
    cast_i64,
    cast_u32,
    cast_u64,
    div_ceil,
    div_floor,
    div_trunc,
)

__all__ = [
    "calculate_base_asset_amount_to_trade_to_price",
    "cap_to_max_spread",
    "calculate_long_short_vol_spread",
    "calculate_inventory_liquidity_ratio",
    "calculate_spread_inventory_scale",
    "calculate_spread_leverage_scale",
    "calculate_spread_revenue_retreat_amount",
    "calculate_max_target_spread",
    "calculate_spread",
    "get_spread_reserves",
    "calculate_spread_reserves",
    "calculate_reference_price_offset",
    "get_max_reference_price_offset",
]

_CONF_FULL_VALUE_THRESHOLD = div_floor(PERCENTAGE_PRECISION, 400)  # 25 bps
_VOL_FACTOR_MIN = div_floor(PERCENTAGE_PRECISION, 100)  # 0.01
_VOL_FACTOR_MAX = PERCENTAGE_PRECISION  # 1.0
_ONE_BPS = div_floor(PERCENTAGE_PRECISION, 10_000)


def calculate_base_asset_amount_to_trade_to_price(
    amm: AMM, limit_price: int, direction: PositionDirection
) -> tuple[int, PositionDirection]:
    """(base_asset_amount 1e9, direction) that moves the AMM to `limit_price` (1e6).

    The target base reserve is ``isqrt(floor(floor(k * 1e6 / limit_price) * peg / 1e6))``;
    it is compared with the side's spread base reserve (the curve's when base_spread is 0):
    a larger target means users sell (Short), a smaller one that they buy (Long). Amounts past
    u64 are capped at U64_MAX. Raises InvalidOrderLimitPrice for a non-positive price.

    Source: programs/drift/src/math/amm_spread.rs::calculate_base_asset_amount_to_trade_to_price
    """
    if limit_price <= 0:
        raise InvalidOrderLimitPrice(f"limit_price {limit_price} <= 0")
    invariant = amm.sqrt_k * amm.sqrt_k
    new_base_asset_reserve_squared = div_floor(
        div_floor(invariant * PRICE_PRECISION, limit_price) * amm.peg_multiplier, PEG_PRECISION
    )
    new_base_asset_reserve = isqrt(new_base_asset_reserve_squared)
    if amm.base_spread > 0:
        base_asset_reserve_before = (
            amm.ask_base_asset_reserve
            if direction is PositionDirection.Long
            else amm.bid_base_asset_reserve
        )
    else:
        base_asset_reserve_before = amm.base_asset_reserve
    if new_base_asset_reserve > base_asset_reserve_before:
        amount = min(new_base_asset_reserve - base_asset_reserve_before, U64_MAX)
        return amount, PositionDirection.Short
    amount = min(base_asset_reserve_before - new_base_asset_reserve, U64_MAX)
    return amount, PositionDirection.Long


def cap_to_max_spread(long_spread: int, short_spread: int, max_spread: int) -> tuple[int, int]:
    """(long, short) with their sum capped at `max_spread` (1e6).

    The larger side (short on ties) becomes ``ceil(side * max / total)`` (u64 saturating
    product) and the other side gets the remainder. Raises InvalidAmmMaxSpreadDetected if the
    result still exceeds the cap.

    Source: programs/drift/src/math/amm_spread.rs::cap_to_max_spread
    """
    total_spread = long_spread + short_spread
    if total_spread > max_spread:
        if long_spread > short_spread:
            long_spread = div_ceil(min(long_spread * max_spread, U64_MAX), total_spread)
            short_spread = cast_u64(max_spread - long_spread)
        else:
            short_spread = div_ceil(min(short_spread * max_spread, U64_MAX), total_spread)
            long_spread = cast_u64(max_spread - short_spread)
    new_total_spread = long_spread + short_spread
    if new_total_spread > max_spread:
        raise InvalidAmmMaxSpreadDetected(
            f"new_total_spread({new_total_spread}) > max_spread({max_spread})"
        )
    return long_spread, short_spread


def calculate_long_short_vol_spread(
    last_oracle_conf_pct: int,
    reserve_price: int,
    mark_std: int,
    oracle_std: int,
    long_intensity_volume: int,
    short_intensity_volume: int,
    volume_24h: int,
) -> tuple[int, int]:
    """(long_vol_spread, short_vol_spread), 1e6.

    ``vol = max(conf_pct, ((oracle_std + mark_std) * 1e6 / reserve / 2) / 4)`` scaled by each
    side's share of 24h volume clamped to [1%, 100%]; each side is at least the confidence
    component (conf_pct if above 25 bps, else conf_pct / 20). Divisions round down; the std sum
    is checked in u64 (MathError past it).

    Source: programs/drift/src/math/amm_spread.rs::calculate_long_short_vol_spread
    """
    market_avg_std_pct = div_floor(
        div_floor(cast_u64(oracle_std + mark_std) * PERCENTAGE_PRECISION, reserve_price), 2
    )
    vol_spread = max(last_oracle_conf_pct, div_floor(market_avg_std_pct, 4))
    volume = max(volume_24h, 1)
    long_factor = min(
        max(div_floor(long_intensity_volume * PERCENTAGE_PRECISION, volume), _VOL_FACTOR_MIN),
        _VOL_FACTOR_MAX,
    )
    short_factor = min(
        max(div_floor(short_intensity_volume * PERCENTAGE_PRECISION, volume), _VOL_FACTOR_MIN),
        _VOL_FACTOR_MAX,
    )
    if last_oracle_conf_pct > _CONF_FULL_VALUE_THRESHOLD:
        conf_component = last_oracle_conf_pct
    else:
        conf_component = div_floor(last_oracle_conf_pct, 20)
    return (
        max(conf_component, cast_u64(div_floor(vol_spread * long_factor, PERCENTAGE_PRECISION))),
        max(conf_component, cast_u64(div_floor(vol_spread * short_factor, PERCENTAGE_PRECISION))),
    )


def calculate_inventory_liquidity_ratio(
    base_asset_amount_with_amm: int,
    base_asset_reserve: int,
    min_base_asset_reserve: int,
    max_base_asset_reserve: int,
) -> int:
    """|base_asset_amount_with_amm| as a fraction (1e6, capped at 100%) of the smaller side's
    room to its min/max base reserve; 100% once the inventory reaches it. Rounds down.

    Source: programs/drift/src/math/amm_spread.rs::calculate_inventory_liquidity_ratio
    """
    max_bids, max_asks = _calculate_market_open_bids_asks(
        base_asset_reserve, min_base_asset_reserve, max_base_asset_reserve
    )
    min_side_liquidity = min(max_bids, -max_asks)
    inventory = abs(base_asset_amount_with_amm)
    if inventory < min_side_liquidity:
        return min(
            div_floor(inventory * PERCENTAGE_PRECISION, max(min_side_liquidity, 1)),
            PERCENTAGE_PRECISION,
        )
    return PERCENTAGE_PRECISION


def calculate_spread_inventory_scale(
    base_asset_amount_with_amm: int,
    base_asset_reserve: int,
    min_base_asset_reserve: int,
    max_base_asset_reserve: int,
    directional_spread: int,
    max_spread: int,
) -> int:
    """Multiplier (1e6) applied to the exposed side's spread for the AMM's inventory.

    ``S = max(10x, max_spread * 1e6 / max(directional_spread, 1))`` and the scale is
    ``min(S, 1e6 + S * inventory_ratio / 1e6)`` (u64 saturating); 1e6 with no inventory.

    Source: programs/drift/src/math/amm_spread.rs::calculate_spread_inventory_scale
    """
    if base_asset_amount_with_amm == 0:
        return BID_ASK_SPREAD_PRECISION
    amm_inventory_pct = calculate_inventory_liquidity_ratio(
        base_asset_amount_with_amm,
        base_asset_reserve,
        min_base_asset_reserve,
        max_base_asset_reserve,
    )
    inventory_scale_max = max(
        MAX_BID_ASK_INVENTORY_SKEW_FACTOR,
        div_floor(cast_u64(max_spread * BID_ASK_SPREAD_PRECISION), max(directional_spread, 1)),
    )
    scaled = div_floor(min(inventory_scale_max * amm_inventory_pct, U64_MAX), PERCENTAGE_PRECISION)
    return min(inventory_scale_max, min(BID_ASK_SPREAD_PRECISION + scaled, U64_MAX))


def calculate_spread_leverage_scale(
    quote_asset_reserve: int,
    terminal_quote_asset_reserve: int,
    peg_multiplier: int,
    base_asset_amount_with_amm: int,
    reserve_price: int,
    total_fee_minus_distributions: int,
) -> int:
    """Multiplier (1e6, at most 10x) from the AMM's effective leverage against its fee pool.

    ``net = (qar - terminal_qar) * peg / 1e9`` and ``local = base_with_amm * reserve / 1e9``
    (both truncated); scale ``= min(10e6, 1e6 + max(0, local - net) * 1e6 / (max(0, tfmd) + 1)
    + 1)``.

    Source: programs/drift/src/math/amm_spread.rs::calculate_spread_leverage_scale
    """
    net_base_asset_value = div_trunc(
        (quote_asset_reserve - terminal_quote_asset_reserve) * peg_multiplier,
        AMM_TIMES_PEG_TO_QUOTE_PRECISION_RATIO,
    )
    local_base_asset_value = div_trunc(
        base_asset_amount_with_amm * reserve_price, PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO
    )
    effective_leverage = div_trunc(
        max(0, local_base_asset_value - net_base_asset_value) * BID_ASK_SPREAD_PRECISION,
        max(0, total_fee_minus_distributions) + 1,
    )
    return min(
        MAX_BID_ASK_INVENTORY_SKEW_FACTOR,
        BID_ASK_SPREAD_PRECISION + cast_u64(effective_leverage) + 1,
    )


def calculate_spread_revenue_retreat_amount(
    base_spread: int, max_spread: int, net_revenue_since_last_funding: int
) -> int:
    """Extra spread (1e6) once revenue since the last funding is below -$25.

    ``min(max_spread / 10, base_spread * |revenue| / $25)``, or ``max_spread / 10`` once the
    loss exceeds $25,000; 0 otherwise. Rounds down; ``base_spread * |revenue|`` is checked in
    u64 (MathError past it).

    Source: programs/drift/src/math/amm_spread.rs::calculate_spread_revenue_retreat_amount
    """
    threshold = DEFAULT_REVENUE_SINCE_LAST_FUNDING_SPREAD_RETREAT
    if net_revenue_since_last_funding >= threshold:
        return 0
    max_retreat = div_floor(max_spread, 10)
    if net_revenue_since_last_funding >= threshold * 1000:
        return min(
            max_retreat,
            div_floor(cast_u64(base_spread * -net_revenue_since_last_funding), -threshold),
        )
    return max_retreat


def calculate_max_target_spread(
    reserve_price: int,
    last_oracle_reserve_price_spread_pct: int,
    last_oracle_conf_pct: int,
    mark_std: int,
    oracle_std: int,
    max_spread: int,
) -> int:
    """Spread cap (1e6): max of `max_spread` and the volatility baseline
    ``max(|oracle_reserve_spread_pct|, min(max(2 * conf_pct, max(mark_std, oracle_std) * 1e6
    / reserve), 100%))``. ``2 * conf_pct`` and ``max std * 1e6`` are checked in u64 (MathError
    past it) before the cap.

    Source: programs/drift/src/math/amm_spread.rs::calculate_max_target_spread
    """
    std_pct = div_floor(cast_u64(max(mark_std, oracle_std) * PERCENTAGE_PRECISION), reserve_price)
    max_spread_baseline = max(
        abs(last_oracle_reserve_price_spread_pct),
        min(max(cast_u64(last_oracle_conf_pct * 2), std_pct), BID_ASK_SPREAD_PRECISION),
    )
    return max(max_spread, max_spread_baseline)


def _clamp(value: int, bound: int) -> int:
    return min(max(value, -bound), bound)


def _scale(spread: int, scale: int) -> int:
    return div_floor(cast_u64(spread * scale), BID_ASK_SPREAD_PRECISION)


def _adjust_for_inventory(spread: int, floor_spread: int, adjustment: int) -> int:
    if adjustment < 0:
        adjusted = max(spread - div_floor(min(spread * -adjustment, U64_MAX), 100), 1)
    else:
        adjusted = max(min(spread + div_ceil(min(spread * adjustment, U64_MAX), 100), U64_MAX), 1)
    return max(floor_spread, adjusted)


def calculate_spread(
    base_spread: int,
    last_oracle_reserve_price_spread_pct: int,
    last_oracle_conf_pct: int,
    max_spread: int,
    quote_asset_reserve: int,
    terminal_quote_asset_reserve: int,
    peg_multiplier: int,
    base_asset_amount_with_amm: int,
    reserve_price: int,
    total_fee_minus_distributions: int,
    net_revenue_since_last_funding: int,
    base_asset_reserve: int,
    min_base_asset_reserve: int,
    max_base_asset_reserve: int,
    mark_std: int,
    oracle_std: int,
    long_intensity_volume: int,
    short_intensity_volume: int,
    volume_24h: int,
    amm_inventory_spread_adjustment: int = 0,
) -> tuple[int, int]:
    """(long_spread, short_spread), u32 in 1e6, for a curve_update_intensity > 0 market.

    In order: half base spread vs volatility spreads; oracle retreat on the side the reserve
    price lags; inventory scale on the exposed side; x10 both sides when the fee pool
    (total_fee_minus_distributions) is not positive, else the leverage scale on the exposed
    side; revenue retreat; inventory spread adjustment (percent); cap to the max target
    spread. All divisions round down except the noted ceilings.

    Source: programs/drift/src/math/amm_spread.rs::calculate_spread
    """
    long_vol_spread, short_vol_spread = calculate_long_short_vol_spread(
        last_oracle_conf_pct,
        reserve_price,
        mark_std,
        oracle_std,
        long_intensity_volume,
        short_intensity_volume,
        volume_24h,
    )
    half_base_spread = div_floor(base_spread, 2)
    long_spread = max(half_base_spread, long_vol_spread)
    short_spread = max(half_base_spread, short_vol_spread)

    max_target_spread = calculate_max_target_spread(
        reserve_price,
        last_oracle_reserve_price_spread_pct,
        last_oracle_conf_pct,
        mark_std,
        oracle_std,
        max_spread,
    )

    # oracle retreat: the side trading toward the oracle pays the gap
    if last_oracle_reserve_price_spread_pct < 0:
        long_spread = max(long_spread, -last_oracle_reserve_price_spread_pct + long_vol_spread)
    elif last_oracle_reserve_price_spread_pct > 0:
        short_spread = max(short_spread, last_oracle_reserve_price_spread_pct + short_vol_spread)

    inventory_scale_capped = calculate_spread_inventory_scale(
        base_asset_amount_with_amm,
        base_asset_reserve,
        min_base_asset_reserve,
        max_base_asset_reserve,
        long_spread if base_asset_amount_with_amm > 0 else short_spread,
        max_target_spread,
    )
    if base_asset_amount_with_amm > 0:
        long_spread = _scale(long_spread, inventory_scale_capped)
    elif base_asset_amount_with_amm < 0:
        short_spread = _scale(short_spread, inventory_scale_capped)

    if total_fee_minus_distributions <= 0:
        long_spread = div_floor(
            min(long_spread * DEFAULT_LARGE_BID_ASK_FACTOR, U64_MAX), BID_ASK_SPREAD_PRECISION
        )
        short_spread = div_floor(
            min(short_spread * DEFAULT_LARGE_BID_ASK_FACTOR, U64_MAX), BID_ASK_SPREAD_PRECISION
        )
    else:
        effective_leverage_capped = calculate_spread_leverage_scale(
            quote_asset_reserve,
            terminal_quote_asset_reserve,
            peg_multiplier,
            base_asset_amount_with_amm,
            reserve_price,
            total_fee_minus_distributions,
        )
        if base_asset_amount_with_amm > 0:
            long_spread = _scale(long_spread, effective_leverage_capped)
        elif base_asset_amount_with_amm < 0:
            short_spread = _scale(short_spread, effective_leverage_capped)

    revenue_retreat_amount = calculate_spread_revenue_retreat_amount(
        base_spread, max_target_spread, net_revenue_since_last_funding
    )
    if revenue_retreat_amount != 0:
        half_retreat = div_floor(revenue_retreat_amount, 2)
        if base_asset_amount_with_amm > 0:
            long_spread += revenue_retreat_amount
            short_spread += half_retreat
        elif base_asset_amount_with_amm < 0:
            long_spread += half_retreat
            short_spread += revenue_retreat_amount
        else:
            long_spread += half_retreat
            short_spread += half_retreat

    if amm_inventory_spread_adjustment != 0:
        long_spread = _adjust_for_inventory(
            long_spread, max(half_base_spread, long_vol_spread), amm_inventory_spread_adjustment
        )
        short_spread = _adjust_for_inventory(
            short_spread, max(half_base_spread, short_vol_spread), amm_inventory_spread_adjustment
        )

    long_spread, short_spread = cap_to_max_spread(long_spread, short_spread, max_target_spread)
    return cast_u32(long_spread), cast_u32(short_spread)


def get_spread_reserves(amm: AMM, direction: PositionDirection) -> tuple[int, int]:
    """The stored (base, quote) spread reserves (1e9): ask side for Long, bid side for Short.

    Source: programs/drift/src/math/amm_spread.rs::get_spread_reserves
    """
    if direction is PositionDirection.Long:
        return amm.ask_base_asset_reserve, amm.ask_quote_asset_reserve
    return amm.bid_base_asset_reserve, amm.bid_quote_asset_reserve


def calculate_spread_reserves(amm: AMM, direction: PositionDirection) -> tuple[int, int]:
    """(base_asset_reserve, quote_asset_reserve), 1e9, of the side's quote curve.

    With ``x = +long_spread + offset`` (Long) or ``-short_spread + offset`` (Short), the quote
    reserve moves by ``qar / (1e6 / (x / 2))`` (each division truncated toward zero) when
    |x| > 1, and the base reserve is ``floor(sqrt_k**2 / quote)``.

    Source: programs/drift/src/math/amm_spread.rs::calculate_spread_reserves
    """
    offset = amm.reference_price_offset
    if direction is PositionDirection.Long:
        spread_with_offset = cast_i32(amm.long_spread + offset)
    else:
        spread_with_offset = cast_i32(offset - amm.short_spread)
    quote_asset_reserve = amm.quote_asset_reserve
    if spread_with_offset > 1 or spread_with_offset < -1:
        quote_reserve_divisor = div_trunc(
            BID_ASK_SPREAD_PRECISION, div_trunc(spread_with_offset, 2)
        )
        quote_asset_reserve += div_trunc(quote_asset_reserve, quote_reserve_divisor)
    base_asset_reserve = div_floor(amm.sqrt_k * amm.sqrt_k, quote_asset_reserve)
    return base_asset_reserve, quote_asset_reserve


def calculate_reference_price_offset(
    reserve_price: int,
    last_24h_avg_funding_rate: int,
    liquidity_fraction: int,
    _min_order_size: int,
    oracle_twap_fast: int,
    mark_twap_fast: int,
    oracle_twap_slow: int,
    mark_twap_slow: int,
    max_offset_pct: int,
) -> int:
    """Reference price offset (i32, 1e6 pct) from recent premiums and the AMM's inventory.

    0 when the 24h funding rate is 0. Premiums (5-min and funding-period mark minus oracle
    TWAP, and the 24h funding rate / 1000 * 24) are clamped to the max offset in price, then
    averaged; that pct plus ``liquidity_fraction * max_offset / 1e6`` applies only when both
    have the same sign. Result clamped to +/- `max_offset_pct`; divisions truncate.
    `_min_order_size` is unused, as in the reference.

    Source: programs/drift/src/math/amm_spread.rs::calculate_reference_price_offset
    """
    if last_24h_avg_funding_rate == 0:
        return 0
    bound = div_trunc(max_offset_pct * reserve_price, PERCENTAGE_PRECISION)
    mark_premium_minute = _clamp(mark_twap_fast - oracle_twap_fast, bound)
    mark_premium_hour = _clamp(mark_twap_slow - oracle_twap_slow, bound)
    mark_premium_day = _clamp(div_trunc(last_24h_avg_funding_rate, FUNDING_RATE_BUFFER) * 24, bound)
    mark_premium_avg = div_trunc(mark_premium_minute + mark_premium_hour + mark_premium_day, 3)
    mark_premium_avg_pct = div_trunc(mark_premium_avg * PRICE_PRECISION, reserve_price)

    inventory_pct = div_trunc(cast_i64(liquidity_fraction) * max_offset_pct, PERCENTAGE_PRECISION)
    inventory_pct = _clamp(inventory_pct, max_offset_pct)

    if (mark_premium_avg_pct >= 0 and inventory_pct >= 0) or (
        mark_premium_avg_pct <= 0 and inventory_pct <= 0
    ):
        offset_pct = mark_premium_avg_pct + inventory_pct
    else:
        offset_pct = 0
    return cast_i32(_clamp(offset_pct, max_offset_pct))


def get_max_reference_price_offset(amm: AMM) -> int:
    """Largest reference price offset (1e6): 0 unless curve_update_intensity > 100, then
    ``max(max_spread / 2, 1 bps * (intensity - 100))``.

    Source: programs/drift/src/state/perp_market.rs::AMM::get_max_reference_price_offset
    """
    if amm.curve_update_intensity <= 100:
        return 0
    lower_bound = _ONE_BPS * (amm.curve_update_intensity - 100)
    return max(div_floor(amm.max_spread, 2), lower_bound)
