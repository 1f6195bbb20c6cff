"""Scaled spot balances and token values.

A spot balance is stored as a scaled balance (SPOT_BALANCE_PRECISION, 1e9) that grows with the
market's cumulative interest index (SPOT_CUMULATIVE_INTEREST_PRECISION, 1e10). Token amounts are
in the token's own decimals; values are in QUOTE_PRECISION (1e6) at a 1e6 price.

Source: programs/drift/src/math/spot_balance.rs
"""

from __future__ import annotations

from dataclasses import dataclass

from ballast.drift.errors import InvalidOracle
from ballast.drift.state.spot_market import SpotBalanceType, SpotMarket
from ballast.fixed import MathError, div_ceil, div_floor, div_trunc

__all__ = [
    "StrictOraclePrice",
    "get_spot_balance",
    "get_token_amount",
    "get_signed_token_amount",
    "get_token_value",
    "get_strict_token_value",
]


@dataclass(slots=True, frozen=True)
class StrictOraclePrice:
    """An oracle price (1e6) and, in strict contexts, its 5-minute twap (1e6).

    Strict valuation takes the less favourable of the two: the lower for assets, the higher for
    liabilities. Without a twap both bounds are the current price.

    Source: programs/drift/src/state/oracle.rs::StrictOraclePrice
    """

    current: int
    twap_5min: int | None = None

    @classmethod
    def new(cls, price: int, twap_5min: int, enabled: bool) -> StrictOraclePrice:
        """Keep the twap only when strict pricing is enabled.

        Source: programs/drift/src/state/oracle.rs::StrictOraclePrice::new
        """
        return cls(price, twap_5min if enabled else None)

    def max(self) -> int:
        """Higher of price and twap (1e6). Source: state/oracle.rs::StrictOraclePrice::max"""
        twap = self.twap_5min
        return self.current if twap is None or twap < self.current else twap

    def min(self) -> int:
        """Lower of price and twap (1e6). Source: state/oracle.rs::StrictOraclePrice::min"""
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

    Source: programs/drift/src/math/spot_balance.rs::get_token_amount
    """
    precision = _interest_precision(spot_market)
    if balance_type is SpotBalanceType.Deposit:
        return div_floor(balance * spot_market.cumulative_deposit_interest, precision)
    return div_ceil(balance * spot_market.cumulative_borrow_interest, precision)


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
