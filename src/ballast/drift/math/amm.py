"""The vAMM curve: prices, swaps, terminal reserves, bounds and oracle/mark helpers.

Pure functions over integers and the `AMM` / `PerpMarket` state; nothing here mutates its
arguments. Units: reserves and sqrt_k AMM_RESERVE_PRECISION (1e9), peg PEG_PRECISION (1e6),
prices PRICE_PRECISION (1e6), quote QUOTE_PRECISION (1e6), pct BID_ASK_SPREAD_PRECISION (1e6).

Source: programs/drift/src/math/amm.rs
"""

from __future__ import annotations

from enum import Enum

from ballast.drift.constants import (
    AMM_TIMES_PEG_TO_QUOTE_PRECISION_RATIO,
    BID_ASK_SPREAD_PRECISION,
    CONCENTRATION_PRECISION,
    DEFAULT_MAX_TWAP_UPDATE_PRICE_BAND_DENOMINATOR,
    FIVE_MINUTE,
    PERCENTAGE_PRECISION,
    PRICE_TO_PEG_PRECISION_RATIO,
)
from ballast.drift.errors import (
    InvalidConcentrationCoef,
    InvalidMarkTwapUpdateDetected,
    InvalidOracle,
    TradeSizeTooLarge,
)
from ballast.drift.math.stats import calculate_weighted_average
from ballast.drift.state.oracle import OraclePriceData
from ballast.drift.state.perp_market import AMM, ContractTier, PerpMarket, SwapDirection
from ballast.drift.state.state import PriceDivergenceGuardRails
from ballast.drift.state.user import PositionDirection
from ballast.fixed import (
    U64_MAX,
    MathError,
    cast_i64,
    cast_u64,
    div_floor,
    div_trunc,
    proportion,
)

__all__ = [
    "TwapPeriod",
    "calculate_price",
    "reserve_price",
    "bid_price",
    "ask_price",
    "bid_ask_price",
    "calculate_bid_ask_bounds",
    "calculate_market_open_bids_asks",
    "_calculate_market_open_bids_asks",
    "calculate_swap_output",
    "calculate_quote_asset_amount_swapped",
    "calculate_base_swap_output_with_spread",
    "calculate_terminal_reserves",
    "calculate_terminal_price_and_reserves",
    "calculate_terminal_price",
    "calculate_amm_available_liquidity",
    "normalise_oracle_price",
    "sanitize_new_price",
    "get_sanitize_clamp_denominator",
    "get_new_oracle_conf_pct",
    "calculate_new_oracle_price_twap",
    "estimate_best_bid_ask_price",
    "calculate_oracle_reserve_price_spread",
    "calculate_oracle_reserve_price_spread_pct",
    "calculate_oracle_twap_5min_price_spread_pct",
    "is_oracle_mark_too_divergent",
]


_MIN_MARK_ORACLE_DIVERGENCE = div_floor(PERCENTAGE_PRECISION, 10)  # 10%, 1e6


class TwapPeriod(Enum):
    """Which oracle TWAP to update. Source: programs/drift/src/math/amm.rs::TwapPeriod"""

    FundingPeriod = 0
    FiveMin = 1


def calculate_price(quote_asset_reserve: int, base_asset_reserve: int, peg_multiplier: int) -> int:
    """Curve price ``floor(qar * peg * PRICE_TO_PEG / bar)`` in PRICE_PRECISION (u64).

    Source: programs/drift/src/math/amm.rs::calculate_price
    """
    return cast_u64(
        div_floor(
            quote_asset_reserve * peg_multiplier * PRICE_TO_PEG_PRECISION_RATIO, base_asset_reserve
        )
    )


def reserve_price(amm: AMM) -> int:
    """The AMM's reserve (mid) price, 1e6, rounded down.

    Source: programs/drift/src/state/perp_market.rs::AMM::reserve_price
    """
    return calculate_price(amm.quote_asset_reserve, amm.base_asset_reserve, amm.peg_multiplier)


def _price_with_spread(reserve_price: int, adjusted_spread: int) -> int:
    multiplier = BID_ASK_SPREAD_PRECISION + adjusted_spread
    if multiplier < 0:
        raise MathError(
            f"negative spread multiplier {multiplier} (adjusted spread {adjusted_spread})"
        )
    return cast_u64(div_floor(reserve_price * multiplier, BID_ASK_SPREAD_PRECISION))


def bid_price(amm: AMM, reserve_price: int) -> int:
    """``floor(reserve_price * (1e6 - short_spread + reference_price_offset) / 1e6)``, 1e6.

    Source: programs/drift/src/state/perp_market.rs::AMM::bid_price
    """
    return _price_with_spread(reserve_price, amm.reference_price_offset - amm.short_spread)


def ask_price(amm: AMM, reserve_price: int) -> int:
    """``floor(reserve_price * (1e6 + long_spread + reference_price_offset) / 1e6)``, 1e6.

    Source: programs/drift/src/state/perp_market.rs::AMM::ask_price
    """
    return _price_with_spread(reserve_price, amm.long_spread + amm.reference_price_offset)


def bid_ask_price(amm: AMM, reserve_price: int) -> tuple[int, int]:
    """(bid_price, ask_price) quoted around `reserve_price`, both 1e6 and rounded down.

    Source: programs/drift/src/state/perp_market.rs::AMM::bid_ask_price
    """
    return bid_price(amm, reserve_price), ask_price(amm, reserve_price)


def calculate_bid_ask_bounds(concentration_coef: int, sqrt_k: int) -> tuple[int, int]:
    """(min_base_asset_reserve, max_base_asset_reserve) for a concentration (1e6) around
    `sqrt_k` (1e9): ``floor(sqrt_k * 1e6 / coef)`` and ``floor(sqrt_k * coef / 1e6)``.

    Raises InvalidConcentrationCoef unless coef > CONCENTRATION_PRECISION.

    Source: programs/drift/src/math/amm.rs::calculate_bid_ask_bounds
    """
    if concentration_coef <= CONCENTRATION_PRECISION:
        raise InvalidConcentrationCoef(
            f"concentration_coef={concentration_coef} <= CONCENTRATION_PRECISION={CONCENTRATION_PRECISION}"
        )
    ask_bounded_base = proportion(sqrt_k, concentration_coef, CONCENTRATION_PRECISION)
    bid_bounded_base = proportion(sqrt_k, CONCENTRATION_PRECISION, concentration_coef)
    return bid_bounded_base, ask_bounded_base


def _calculate_market_open_bids_asks(
    base_asset_reserve: int, min_base_asset_reserve: int, max_base_asset_reserve: int
) -> tuple[int, int]:
    """(max_bids >= 0, max_asks <= 0) in base (1e9): how far the reserve may fall to the min
    reserve (users buying) and rise to the max reserve (users selling, negated).

    Source: programs/drift/src/math/amm.rs::_calculate_market_open_bids_asks
    """
    max_asks = (
        base_asset_reserve - max_base_asset_reserve
        if base_asset_reserve < max_base_asset_reserve
        else 0
    )
    max_bids = (
        base_asset_reserve - min_base_asset_reserve
        if base_asset_reserve > min_base_asset_reserve
        else 0
    )
    return max_bids, max_asks


def calculate_market_open_bids_asks(amm: AMM) -> tuple[int, int]:
    """(max_bids, max_asks) of the AMM's reserves against its min/max base reserve (1e9).

    Source: programs/drift/src/math/amm.rs::calculate_market_open_bids_asks
    """
    return _calculate_market_open_bids_asks(
        amm.base_asset_reserve, amm.min_base_asset_reserve, amm.max_base_asset_reserve
    )


def calculate_swap_output(
    swap_amount: int,
    input_asset_reserve: int,
    direction: SwapDirection,
    invariant_sqrt: int,
) -> tuple[int, int]:
    """(new_output_asset_reserve, new_input_asset_reserve) after swapping `swap_amount` into
    (Add) or out of (Remove) the input reserve on the curve ``x * y = invariant_sqrt**2``.

    The output reserve is rounded down. Raises TradeSizeTooLarge when removing more than
    the reserve holds.

    Source: programs/drift/src/math/amm.rs::calculate_swap_output
    """
    if direction is SwapDirection.Add:
        new_input_asset_reserve = input_asset_reserve + swap_amount
    else:
        if swap_amount > input_asset_reserve:
            raise TradeSizeTooLarge(
                f"swap_amount {swap_amount} > input_asset_reserve {input_asset_reserve}"
            )
        new_input_asset_reserve = input_asset_reserve - swap_amount
    new_output_asset_reserve = div_floor(invariant_sqrt * invariant_sqrt, new_input_asset_reserve)
    return new_output_asset_reserve, new_input_asset_reserve


def calculate_quote_asset_amount_swapped(
    quote_asset_reserve_before: int,
    quote_asset_reserve_after: int,
    swap_direction: SwapDirection,
    peg_multiplier: int,
) -> int:
    """Quote (1e6) exchanged for a quote-reserve move: ``floor(dq * peg / 1e9)``.

    For Remove (user buys base) one reserve unit is added to dq and one quote unit to the
    result, so longs pay slightly more.

    Source: programs/drift/src/math/amm.rs::calculate_quote_asset_amount_swapped
    """
    if swap_direction is SwapDirection.Add:
        change = quote_asset_reserve_before - quote_asset_reserve_after
    else:
        change = quote_asset_reserve_after - quote_asset_reserve_before + 1
    if change < 0:
        raise MathError(
            f"quote reserve moved the wrong way for {swap_direction.name}: "
            f"{quote_asset_reserve_before} -> {quote_asset_reserve_after}"
        )
    quote_asset_amount = div_floor(change * peg_multiplier, AMM_TIMES_PEG_TO_QUOTE_PRECISION_RATIO)
    if swap_direction is SwapDirection.Remove:
        quote_asset_amount += 1
    return quote_asset_amount


def calculate_base_swap_output_with_spread(
    amm: AMM, base_asset_swap_amount: int, direction: SwapDirection
) -> tuple[int, int, int, int]:
    """Price a user's base swap on the side's spread reserves, move the curve without spread.

    Returns (new_base_asset_reserve, new_quote_asset_reserve, quote_asset_amount,
    quote_asset_amount_surplus): the new curve reserves (1e9), the quote the user pays or
    receives (1e6, `calculate_quote_asset_amount_swapped` rounding) and the AMM's spread
    revenue ``|floor(|dq_curve| * peg / 1e9) (+1 for Remove) - quote_asset_amount|`` (1e6).

    Source: programs/drift/src/controller/amm.rs::calculate_base_swap_output_with_spread
    """
    if direction is SwapDirection.Remove:
        spread_base, spread_quote = amm.ask_base_asset_reserve, amm.ask_quote_asset_reserve
    else:
        spread_base, spread_quote = amm.bid_base_asset_reserve, amm.bid_quote_asset_reserve
    sqrt_k = amm.sqrt_k
    peg = amm.peg_multiplier

    new_quote_with_spread, _ = calculate_swap_output(
        base_asset_swap_amount, spread_base, direction, sqrt_k
    )
    quote_asset_amount = calculate_quote_asset_amount_swapped(
        spread_quote, new_quote_with_spread, direction, peg
    )
    new_quote_asset_reserve, new_base_asset_reserve = calculate_swap_output(
        base_asset_swap_amount, amm.base_asset_reserve, direction, sqrt_k
    )

    # the curve's own quote move, in the opposite swap sense, rounded like the user's side
    if direction is SwapDirection.Remove:
        reserve_change = new_quote_asset_reserve - amm.quote_asset_reserve
    else:
        reserve_change = amm.quote_asset_reserve - new_quote_asset_reserve
    if reserve_change < 0:
        raise MathError(
            f"curve quote reserve moved the wrong way: {amm.quote_asset_reserve} -> "
            f"{new_quote_asset_reserve}"
        )
    actual_quote_asset_amount = div_floor(
        reserve_change * peg, AMM_TIMES_PEG_TO_QUOTE_PRECISION_RATIO
    )
    if direction is SwapDirection.Remove:
        actual_quote_asset_amount += 1
    quote_asset_amount_surplus = abs(actual_quote_asset_amount - quote_asset_amount)

    return (
        new_base_asset_reserve,
        new_quote_asset_reserve,
        cast_u64(quote_asset_amount),
        cast_u64(quote_asset_amount_surplus),
    )


def calculate_terminal_reserves(amm: AMM) -> tuple[int, int]:
    """(terminal_quote_asset_reserve, terminal_base_asset_reserve), 1e9: the curve after every
    user closed against the AMM (|base_asset_amount_with_amm| swapped back).

    Source: programs/drift/src/math/amm.rs::calculate_terminal_reserves
    """
    net = amm.base_asset_amount_with_amm
    direction = SwapDirection.Add if net > 0 else SwapDirection.Remove
    return calculate_swap_output(abs(net), amm.base_asset_reserve, direction, amm.sqrt_k)


def calculate_terminal_price_and_reserves(amm: AMM) -> tuple[int, int, int]:
    """(terminal_price 1e6, terminal_quote_asset_reserve, terminal_base_asset_reserve).

    Source: programs/drift/src/math/amm.rs::calculate_terminal_price_and_reserves
    """
    terminal_quote, terminal_base = calculate_terminal_reserves(amm)
    return (
        calculate_price(terminal_quote, terminal_base, amm.peg_multiplier),
        terminal_quote,
        terminal_base,
    )


def calculate_terminal_price(amm: AMM) -> int:
    """Reserve price (1e6, rounded down) of the terminal reserves.

    Source: programs/drift/src/math/amm.rs::calculate_terminal_price_and_reserves
    """
    return calculate_terminal_price_and_reserves(amm)[0]


def calculate_amm_available_liquidity(amm: AMM, order_direction: PositionDirection) -> int:
    """Most base (1e9) one fill may take from the AMM: min of
    ``bar / max_fill_reserve_fraction`` and half the side's room to its min (Long) / max
    (Short) base reserve, rounded down to `order_step_size`.

    Source: programs/drift/src/math/amm.rs::calculate_amm_available_liquidity
    """
    bar = amm.base_asset_reserve
    max_fill_size = min(div_floor(bar, amm.max_fill_reserve_fraction), U64_MAX)
    if order_direction is PositionDirection.Long:
        room = max(0, bar - amm.min_base_asset_reserve)
    else:
        room = max(0, amm.max_base_asset_reserve - bar)
    amount = min(max_fill_size, cast_u64(div_floor(room, 2)))
    step = amm.order_step_size
    if step <= 0:
        raise MathError(f"order_step_size {step} must be positive")
    return amount - amount % step


def normalise_oracle_price(
    amm: AMM, oracle_price_data: OraclePriceData, precomputed_reserve_price: int | None = None
) -> int:
    """Oracle price (1e6) shrunk toward the reserve price within the confidence interval.

    With ``b = reserve / 4000`` (2.5 bps): reserve above oracle gives
    ``min(max(reserve - b, oracle), oracle + conf)``, else ``max(min(reserve + b, oracle),
    oracle - conf)``.

    Source: programs/drift/src/math/amm.rs::normalise_oracle_price
    """
    oracle_price = oracle_price_data.price
    price = reserve_price(amm) if precomputed_reserve_price is None else precomputed_reserve_price
    reserve_price_2p5_bps = div_trunc(price, 4000)
    conf_int = oracle_price_data.confidence
    if price > oracle_price:
        return min(max(price - reserve_price_2p5_bps, oracle_price), oracle_price + conf_int)
    return max(min(price + reserve_price_2p5_bps, oracle_price), oracle_price - conf_int)


def sanitize_new_price(
    new_price: int, last_price_twap: int, sanitize_clamp_denominator: int | None = None
) -> int:
    """Clamp a TWAP input to ``last_price_twap +/- last_price_twap / denominator``.

    Unclamped when the TWAP is 0 or the denominator is 0; the default denominator is
    DEFAULT_MAX_TWAP_UPDATE_PRICE_BAND_DENOMINATOR (3). The band truncates toward zero. 1e6.

    Source: programs/drift/src/math/amm.rs::sanitize_new_price
    """
    if last_price_twap == 0:
        return new_price
    denominator = (
        DEFAULT_MAX_TWAP_UPDATE_PRICE_BAND_DENOMINATOR
        if sanitize_clamp_denominator is None
        else sanitize_clamp_denominator
    )
    if denominator == 0:
        return new_price
    band = div_trunc(last_price_twap, denominator)
    if abs(new_price - last_price_twap) > abs(band):
        return last_price_twap + band if new_price > last_price_twap else last_price_twap - band
    return new_price


def get_sanitize_clamp_denominator(market: PerpMarket) -> int | None:
    """TWAP-input clamp denominator by contract tier: A 10, B 5, C 2, otherwise None (default).

    Source: programs/drift/src/state/perp_market.rs::PerpMarket::get_sanitize_clamp_denominator
    """
    tier = market.contract_tier
    if tier is ContractTier.A:
        return 10
    if tier is ContractTier.B:
        return 5
    if tier is ContractTier.C:
        return 2
    return None


def get_new_oracle_conf_pct(amm: AMM, confidence: int, reserve_price: int, now: int) -> int:
    """New `last_oracle_conf_pct` (1e6): ``max(confidence * 1e6 / reserve_price, decayed)``.

    `decayed` is the stored pct less ``pct / max(21 - since, 5)`` where `since` is the seconds
    since the last oracle TWAP update (no decay when 0). Divisions round down.

    Source: programs/drift/src/state/perp_market.rs::AMM::get_new_oracle_conf_pct
    """
    last = amm.last_oracle_conf_pct
    since_last = max(0, now - amm.historical_oracle_data.last_oracle_price_twap_ts)
    if since_last > 0:
        lower_bound = last - div_floor(last, max(21 - since_last, 5))
    else:
        lower_bound = last
    return max(
        cast_u64(div_floor(confidence * BID_ASK_SPREAD_PRECISION, reserve_price)), lower_bound
    )


def calculate_new_oracle_price_twap(
    amm: AMM, now: int, oracle_price: int, twap_period: TwapPeriod
) -> int:
    """Next oracle TWAP (1e6) for the funding period or the 5-minute window.

    If the mark TWAP was updated after the oracle TWAP (oracle invalid meanwhile), the new
    price is first blended with the mark TWAP over that gap. Weights follow
    `calculate_weighted_average` (bias and truncation).

    Source: programs/drift/src/math/amm.rs::calculate_new_oracle_price_twap
    """
    hod = amm.historical_oracle_data
    if twap_period is TwapPeriod.FundingPeriod:
        last_mark_twap, last_oracle_twap = amm.last_mark_price_twap, hod.last_oracle_price_twap
        period = amm.funding_period
    else:
        last_mark_twap = amm.last_mark_price_twap_5min
        last_oracle_twap = hod.last_oracle_price_twap_5min
        period = FIVE_MINUTE

    since_last = max(1 if period == 0 else 0, now - hod.last_oracle_price_twap_ts)
    from_start = max(0, period - since_last)

    if amm.last_mark_price_twap_ts > hod.last_oracle_price_twap_ts:
        since_last_valid = amm.last_mark_price_twap_ts - hod.last_oracle_price_twap_ts
        from_start_valid = max(1, period - since_last_valid)
        interpolated_oracle_price = calculate_weighted_average(
            cast_i64(last_mark_twap), oracle_price, since_last_valid, from_start_valid
        )
    else:
        interpolated_oracle_price = oracle_price

    return calculate_weighted_average(
        interpolated_oracle_price, last_oracle_twap, since_last, from_start
    )


def estimate_best_bid_ask_price(
    amm: AMM, precomputed_trade_price: int | None, direction: PositionDirection | None
) -> tuple[int, int]:
    """(bid, ask) estimate (1e6) for a mark-TWAP update from a trade price and taker side.

    The execution premium over the last oracle price bounds how far the unseen side sits
    from the oracle (at most base_spread and half the side's spread), then each side is
    bounded by the AMM's own bid/ask. Long: (best_bid, max(trade, best_bid)); Short:
    (min(trade, best_ask), best_ask); None: the trade clamped into the AMM quotes on both.
    Raises InvalidOracle for a zero last oracle price and InvalidMarkTwapUpdateDetected if
    bid > ask.

    Source: programs/drift/src/math/amm.rs::estimate_best_bid_ask_price
    """
    base_spread = amm.base_spread
    last_oracle_price = cast_u64(amm.historical_oracle_data.last_oracle_price)
    trade_price = last_oracle_price if precomputed_trade_price is None else precomputed_trade_price
    if last_oracle_price == 0:
        raise InvalidOracle(f"last_oracle_price {last_oracle_price} <= 0")
    trade_premium = trade_price - last_oracle_price

    price = reserve_price(amm)
    amm_bid_price, amm_ask_price = bid_ask_price(amm, price)

    if trade_premium > 0:
        discount = min(base_spread, div_floor(amm.short_spread, 2))
        best_bid_estimate = max(
            max(0, last_oracle_price - min(discount, trade_premium)), amm.order_tick_size
        )
    else:
        best_bid_estimate = trade_price
    best_bid_estimate = max(best_bid_estimate, amm_bid_price)

    if trade_premium < 0:
        premium = min(base_spread, div_floor(amm.long_spread, 2))
        best_ask_estimate = last_oracle_price + min(premium, -trade_premium)
    else:
        best_ask_estimate = trade_price
    best_ask_estimate = min(best_ask_estimate, amm_ask_price)

    if direction is PositionDirection.Long:
        bid, ask = best_bid_estimate, max(trade_price, best_bid_estimate)
    elif direction is PositionDirection.Short:
        bid, ask = min(trade_price, best_ask_estimate), best_ask_estimate
    else:
        bid = ask = min(max(trade_price, amm_bid_price), amm_ask_price)

    if bid > ask:
        raise InvalidMarkTwapUpdateDetected(
            f"bid_price({best_bid_estimate}, {bid}) not <= ask_price({ask}, {best_ask_estimate})"
        )
    return bid, ask


def calculate_oracle_reserve_price_spread(
    amm: AMM, oracle_price_data: OraclePriceData, precomputed_reserve_price: int | None = None
) -> tuple[int, int]:
    """(oracle_price, reserve_price - oracle_price), both 1e6.

    Source: programs/drift/src/math/amm.rs::calculate_oracle_reserve_price_spread
    """
    price = reserve_price(amm) if precomputed_reserve_price is None else precomputed_reserve_price
    oracle_price = oracle_price_data.price
    return oracle_price, price - oracle_price


def calculate_oracle_reserve_price_spread_pct(
    amm: AMM, oracle_price_data: OraclePriceData, precomputed_reserve_price: int | None = None
) -> int:
    """``(reserve - oracle) * 1e6 / reserve`` truncated toward zero (BID_ASK_SPREAD_PRECISION).

    Source: programs/drift/src/math/amm.rs::calculate_oracle_reserve_price_spread_pct
    """
    price = reserve_price(amm) if precomputed_reserve_price is None else precomputed_reserve_price
    _, price_spread = calculate_oracle_reserve_price_spread(amm, oracle_price_data, price)
    return cast_i64(div_trunc(price_spread * BID_ASK_SPREAD_PRECISION, price))


def calculate_oracle_twap_5min_price_spread_pct(amm: AMM, other_price: int) -> int:
    """``(other_price - oracle_twap_5min) * 1e6 / other_price`` truncated toward zero (1e6).

    Funding and the mark/oracle divergence guard call this with the reserve price.

    Source: programs/drift/src/math/amm.rs::calculate_oracle_twap_5min_price_spread_pct
    """
    price_spread = other_price - amm.historical_oracle_data.last_oracle_price_twap_5min
    return cast_i64(div_trunc(price_spread * BID_ASK_SPREAD_PRECISION, other_price))


def is_oracle_mark_too_divergent(
    price_spread_pct: int, oracle_guard_rails: PriceDivergenceGuardRails
) -> bool:
    """True when |price_spread_pct| (1e6) exceeds ``max(mark_oracle_percent_divergence, 10%)``.

    Source: programs/drift/src/math/amm.rs::is_oracle_mark_too_divergent
    """
    max_divergence = max(
        oracle_guard_rails.mark_oracle_percent_divergence, _MIN_MARK_ORACLE_DIVERGENCE
    )
    return abs(price_spread_pct) > max_divergence
