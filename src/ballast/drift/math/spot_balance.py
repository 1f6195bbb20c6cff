"""Scaled spot balances and token values.

A spot balance is stored as a scaled balance (SPOT_BALANCE_PRECISION, 1e9) that grows with the
market's cumulative interest index (SPOT_CUMULATIVE_INTEREST_PRECISION, 1e10). Token amounts are
in the token's own decimals; values are in QUOTE_PRECISION (1e6) at a 1e6 price.

Source: programs/drift/src/math/spot_balance.rs
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ballast.drift.constants import (
    ONE_YEAR,
    PERCENTAGE_PRECISION,
    SPOT_RATE_PRECISION,
    SPOT_UTILIZATION_PRECISION,
)
from ballast.drift.errors import InvalidOracle
from ballast.drift.state.spot_market import AssetTier, SpotBalanceType, SpotMarket
from ballast.fixed import MathError, cast_u128, div_ceil, div_floor, div_trunc
from ballast.value_copy import copy_by_constructor

__all__ = [
    "StrictOraclePrice",
    "get_spot_balance",
    "get_token_amount",
    "get_signed_token_amount",
    "get_token_value",
    "get_strict_token_value",
    "get_interest_token_amount",
    "InterestAccumulated",
    "calculate_utilization",
    "calculate_spot_market_utilization",
    "get_min_borrow_rate",
    "calculate_borrow_rate",
    "calculate_accumulated_interest",
    "get_sanitize_clamp_denominator",
]


@dataclass(slots=True, init=False)
class StrictOraclePrice:
    """An oracle price (1e6) and, in strict contexts, its 5-minute twap (1e6).

    Strict valuation takes the less favourable of the two: the lower for assets, the higher for
    liabilities. Without a twap both bounds are the current price.

    Source: programs/drift/src/state/oracle.rs::StrictOraclePrice
    """

    current: int
    twap_5min: int | None = None

    # written out (not dataclass-generated) so that mypyc compiles it; a value: never
    # mutated after construction (not `frozen`, whose __init__ mypyc cannot compile)
    def __init__(
        self,
        current: int,
        twap_5min: int | None = None,
    ) -> None:
        self.current = current
        self.twap_5min = twap_5min

    @classmethod
    def new(cls, price: int, twap_5min: int, enabled: bool) -> StrictOraclePrice:
        """Keep the twap only when strict pricing is enabled.

        Source: programs/drift/src/state/oracle.rs::StrictOraclePrice::new
        """
        return cls(price, twap_5min if enabled else None)

    def max(self) -> int:
        """Higher of price and twap (1e6). Source: programs/drift/src/state/oracle.rs::StrictOraclePrice::max"""
        twap = self.twap_5min
        return self.current if twap is None or twap < self.current else twap

    def min(self) -> int:
        """Lower of price and twap (1e6). Source: programs/drift/src/state/oracle.rs::StrictOraclePrice::min"""
        twap = self.twap_5min
        return self.current if twap is None or twap > self.current else twap

    def validate(self) -> None:
        """Raise InvalidOracle unless the price (and the twap, when kept) is positive.

        Source: programs/drift/src/state/oracle.rs::StrictOraclePrice::validate
        """
        if self.current <= 0:
            raise InvalidOracle(f"oracle price {self.current} <= 0")
        if self.twap_5min is not None and self.twap_5min <= 0:
            raise InvalidOracle(f"oracle twap_5min {self.twap_5min} <= 0")


def _interest_precision(spot_market: SpotMarket) -> int:
    if spot_market.decimals > 19:
        raise MathError(
            f"spot market {spot_market.market_index} decimals {spot_market.decimals} > 19"
        )
    return 10 ** (19 - spot_market.decimals)


def get_spot_balance(
    token_amount: int, spot_market: SpotMarket, balance_type: SpotBalanceType, round_up: bool
) -> int:
    """Scaled balance (1e9) for a token amount: floor(token * 10^(19-decimals) / interest),
    plus one when `round_up` and the result is non-zero. The interest index is the deposit or
    borrow one by `balance_type`.

    Source: programs/drift/src/math/spot_balance.rs::get_spot_balance
    """
    cumulative_interest = (
        spot_market.cumulative_deposit_interest
        if balance_type is SpotBalanceType.Deposit
        else spot_market.cumulative_borrow_interest
    )
    balance = div_floor(token_amount * _interest_precision(spot_market), cumulative_interest)
    if round_up and balance != 0:
        balance += 1
    return balance


def get_token_amount(balance: int, spot_market: SpotMarket, balance_type: SpotBalanceType) -> int:
    """Token amount (token decimals) of a scaled balance: deposits round down, borrows round up.

    ``balance * cumulative_interest`` is checked in u128 (MathError past it) before dividing.

    Source: programs/drift/src/math/spot_balance.rs::get_token_amount
    """
    precision = _interest_precision(spot_market)
    if balance_type is SpotBalanceType.Deposit:
        return div_floor(cast_u128(balance * spot_market.cumulative_deposit_interest), precision)
    return div_ceil(cast_u128(balance * spot_market.cumulative_borrow_interest), precision)


def get_signed_token_amount(token_amount: int, balance_type: SpotBalanceType) -> int:
    """Deposits positive, borrows negative (token decimals).

    Source: programs/drift/src/math/spot_balance.rs::get_signed_token_amount
    """
    return token_amount if balance_type is SpotBalanceType.Deposit else -token_amount


def get_token_value(token_amount: int, spot_decimals: int, oracle_price: int) -> int:
    """Signed value (1e6) of a signed token amount at a 1e6 price: negative products round
    toward negative infinity, positive ones down.

    Source: programs/drift/src/math/spot_balance.rs::get_token_value
    """
    if token_amount == 0:
        return 0
    token_with_oracle = token_amount * oracle_price
    precision = 10**spot_decimals
    if token_with_oracle < 0:
        return div_floor(token_with_oracle, precision)
    return div_trunc(token_with_oracle, precision)


def get_strict_token_value(
    token_amount: int, spot_decimals: int, strict_price: StrictOraclePrice
) -> int:
    """Signed value (1e6) at the strict price: assets at the lower of price and twap, liabilities
    at the higher; rounding as in `get_token_value`.

    Source: programs/drift/src/math/spot_balance.rs::get_strict_token_value
    """
    if token_amount == 0:
        return 0
    price = strict_price.min() if token_amount > 0 else strict_price.max()
    return get_token_value(token_amount, spot_decimals, price)


def get_interest_token_amount(balance: int, spot_market: SpotMarket, interest: int) -> int:
    """Tokens (token decimals) earned by a scaled balance (1e9) over an interest-index increment
    (1e10): floor(balance * interest / 10^(19-decimals)).

    Source: programs/drift/src/math/spot_balance.rs::get_interest_token_amount
    """
    return div_floor(cast_u128(balance * interest), _interest_precision(spot_market))


class InterestAccumulated(NamedTuple):
    """Increments of the cumulative borrow / deposit interest indices (1e10).

    Source: programs/drift/src/math/spot_balance.rs::InterestAccumulated
    """

    borrow_interest: int
    deposit_interest: int


def calculate_utilization(deposit_token_amount: int, borrow_token_amount: int) -> int:
    """Utilization (SPOT_UTILIZATION_PRECISION, 1e6 = 100%): floor(borrows * 1e6 / deposits).

    With no deposits: 0 if there are no borrows either, else 1e6. Exceeds 1e6 when borrows
    exceed deposits.

    Source: programs/drift/src/math/spot_balance.rs::calculate_utilization
    """
    if deposit_token_amount == 0:
        return 0 if borrow_token_amount == 0 else SPOT_UTILIZATION_PRECISION
    return div_floor(
        cast_u128(borrow_token_amount * SPOT_UTILIZATION_PRECISION), deposit_token_amount
    )


def calculate_spot_market_utilization(spot_market: SpotMarket) -> int:
    """Utilization (1e6) of the market's total deposit and borrow token amounts.

    Source: programs/drift/src/math/spot_balance.rs::calculate_spot_market_utilization
    """
    deposit_token_amount = get_token_amount(
        spot_market.deposit_balance, spot_market, SpotBalanceType.Deposit
    )
    borrow_token_amount = get_token_amount(
        spot_market.borrow_balance, spot_market, SpotBalanceType.Borrow
    )
    return calculate_utilization(deposit_token_amount, borrow_token_amount)


_MIN_BORROW_RATE_STEP = div_floor(PERCENTAGE_PRECISION, 200)  # min_borrow_rate unit: 0.5%

# (utilization breakpoint 1e6, share of max_borrow_rate - optimal_borrow_rate in 1/1000)
_BORROW_RATE_SEGMENTS = (
    (850_000, 50),
    (900_000, 100),
    (950_000, 150),
    (990_000, 200),
    (995_000, 250),
    (1_000_000, 250),
)


def get_min_borrow_rate(spot_market: SpotMarket) -> int:
    """Borrow-rate floor (SPOT_RATE_PRECISION): min_borrow_rate (units of 0.5%) * 5_000.

    Source: programs/drift/src/state/spot_market.rs::SpotMarket::get_min_borrow_rate
    """
    return spot_market.min_borrow_rate * _MIN_BORROW_RATE_STEP


def calculate_borrow_rate(spot_market: SpotMarket, utilization: int) -> int:
    """Annual borrow rate (SPOT_RATE_PRECISION, 1e6 = 100%) at `utilization` (1e6).

    Up to optimal_utilization: linear, ``U * floor(optimal_borrow_rate * 1e6 / U*) / 1e6``
    (floors; MathError if U* = 0). Above it: optimal_borrow_rate plus, for each segment of
    `_BORROW_RATE_SEGMENTS` in order, ``seg = floor(E * weight / 1000)`` with
    ``E = max_borrow_rate - optimal_borrow_rate`` (MathError if negative) — the whole `seg` for
    segments passed, ``floor(seg * (U - start) / (end - start))`` for the one holding U. Each
    segment's range is computed before the comparison, so a U* above 850_000 makes any U > U*
    raise MathError, and U* = 850_000 adds the first segment whole just above U* (a jump).
    Past 100% utilization the sum of all segments applies. The result is floored at
    get_min_borrow_rate.

    Source: programs/drift/src/math/spot_balance.rs::calculate_borrow_rate
    """
    optimal_utilization = spot_market.optimal_utilization
    optimal_borrow_rate = spot_market.optimal_borrow_rate
    if utilization <= optimal_utilization:
        if optimal_utilization == 0:
            raise MathError(
                f"spot market {spot_market.market_index} optimal_utilization 0 "
                f"(utilization {utilization})"
            )
        slope = div_floor(optimal_borrow_rate * SPOT_UTILIZATION_PRECISION, optimal_utilization)
        borrow_rate = div_floor(utilization * slope, SPOT_UTILIZATION_PRECISION)
    else:
        total_extra_rate = spot_market.max_borrow_rate - optimal_borrow_rate
        if total_extra_rate < 0:
            raise MathError(
                f"spot market {spot_market.market_index} max_borrow_rate "
                f"{spot_market.max_borrow_rate} < optimal_borrow_rate {optimal_borrow_rate}"
            )
        borrow_rate = optimal_borrow_rate
        segment_start = optimal_utilization
        for segment_end, weight in _BORROW_RATE_SEGMENTS:
            segment_range = segment_end - segment_start
            if segment_range < 0:
                raise MathError(
                    f"spot market {spot_market.market_index} optimal_utilization "
                    f"{optimal_utilization} above rate breakpoint {segment_end} "
                    f"(utilization {utilization})"
                )
            segment_rate = div_floor(total_extra_rate * weight, 1000)
            if utilization <= segment_end:
                borrow_rate += div_floor(
                    segment_rate * (utilization - segment_start), segment_range
                )
                break
            borrow_rate += segment_rate
            segment_start = segment_end
    return max(borrow_rate, get_min_borrow_rate(spot_market))


def calculate_accumulated_interest(spot_market: SpotMarket, now: int) -> InterestAccumulated:
    """Index increments (1e10) for the time since last_interest_ts, at the current utilization.

    (0, 0) if `now` <= last_interest_ts or utilization is 0. Otherwise, with r the borrow rate
    and dt the elapsed seconds: borrow = floor(floor(CBI * r * dt / ONE_YEAR) / 1e6) + 1 and
    deposit = floor(floor(CDI * floor(r * dt * U / 1e6) / ONE_YEAR) / 1e6). Pure.

    Source: programs/drift/src/math/spot_balance.rs::calculate_accumulated_interest
    """
    if now <= spot_market.last_interest_ts:
        return InterestAccumulated(0, 0)
    utilization = calculate_spot_market_utilization(spot_market)
    if utilization == 0:
        return InterestAccumulated(0, 0)
    borrow_rate = calculate_borrow_rate(spot_market, utilization)
    time_since_last_update = now - spot_market.last_interest_ts
    modified_borrow_rate = borrow_rate * time_since_last_update
    modified_deposit_rate = div_floor(
        modified_borrow_rate * utilization, SPOT_UTILIZATION_PRECISION
    )
    borrow_interest = (
        div_floor(
            div_floor(
                cast_u128(spot_market.cumulative_borrow_interest * modified_borrow_rate), ONE_YEAR
            ),
            SPOT_RATE_PRECISION,
        )
        + 1
    )
    deposit_interest = div_floor(
        div_floor(
            cast_u128(spot_market.cumulative_deposit_interest * modified_deposit_rate), ONE_YEAR
        ),
        SPOT_RATE_PRECISION,
    )
    return InterestAccumulated(borrow_interest, deposit_interest)


def get_sanitize_clamp_denominator(spot_market: SpotMarket) -> int | None:
    """Oracle-twap input clamp denominator by asset tier: Collateral/Protected 10 (10%),
    Cross 5, Isolated 3, Unlisted None (the default band).

    Source: programs/drift/src/state/spot_market.rs::SpotMarket::get_sanitize_clamp_denominator
    """
    tier = spot_market.asset_tier
    if tier is AssetTier.Collateral or tier is AssetTier.Protected:
        return 10
    if tier is AssetTier.Cross:
        return 5
    if tier is AssetTier.Isolated:
        return 3
    return None


copy_by_constructor(StrictOraclePrice)
