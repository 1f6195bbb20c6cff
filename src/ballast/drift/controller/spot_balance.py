"""Moving tokens between scaled spot balances and keeping the market totals in step.

A balance is a user's `SpotPosition` (deposit or borrow) or a `PoolBalance` (revenue pool, fee
pool, pnl pool), which is always deposit-type and can never turn into a borrow. Every scaled
change to a balance is mirrored in the market's `deposit_balance` / `borrow_balance`.
Token amounts are in the token's decimals; scaled balances in SPOT_BALANCE_PRECISION (1e9).

Source: programs/drift/src/controller/spot_balance.rs
"""

from __future__ import annotations

from ballast.drift.errors import (
    CantUpdatePoolBalanceType,
    InvalidSpotMarketState,
    SpotMarketInsufficientDeposits,
    SpotMarketVaultInvariantViolated,
    UnequalMarketIndexForSpotTransfer,
)
from ballast.drift.math.spot_balance import get_spot_balance, get_token_amount
from ballast.drift.state.perp_market import PoolBalance
from ballast.drift.state.spot_market import SpotBalanceType, SpotMarket
from ballast.drift.state.user import SpotPosition
from ballast.fixed import MathError, cast_i64

__all__ = [
    "update_spot_balances",
    "transfer_spot_balances",
    "update_revenue_pool_balances",
    "validate_spot_balances",
    "validate_spot_market_vault_amount",
]

SpotBalance = SpotPosition | PoolBalance

_Deposit = SpotBalanceType.Deposit
_Borrow = SpotBalanceType.Borrow


def _balance_type(spot_balance: SpotBalance) -> SpotBalanceType:
    return spot_balance.balance_type if type(spot_balance) is SpotPosition else _Deposit


def _add_to_market(spot_market: SpotMarket, delta: int, balance_type: SpotBalanceType) -> None:
    if balance_type is _Deposit:
        spot_market.deposit_balance += delta
    else:
        spot_market.borrow_balance += delta


def _sub_from_market(spot_market: SpotMarket, delta: int, balance_type: SpotBalanceType) -> None:
    if balance_type is _Deposit:
        if delta > spot_market.deposit_balance:
            raise MathError(
                f"deposit_balance {spot_market.deposit_balance} < scaled decrease {delta}"
            )
        spot_market.deposit_balance -= delta
    else:
        if delta > spot_market.borrow_balance:
            raise MathError(
                f"borrow_balance {spot_market.borrow_balance} < scaled decrease {delta}"
            )
        spot_market.borrow_balance -= delta


def update_spot_balances(
    token_amount: int,
    update_direction: SpotBalanceType,
    spot_market: SpotMarket,
    spot_balance: SpotBalance,
    is_leaving_drift: bool,
) -> None:
    """Apply `token_amount` (>= 0, token decimals) in `update_direction` to a balance.

    Same direction as the balance: add floor(scaled) (rounded up for borrows). Opposite
    direction: first reduce the existing balance — by the scaled amount (rounded up when leaving
    Drift or for a borrow) if it holds more tokens than asked, else remove it whole — then put any
    remainder on the other side (a pool raises CantUpdatePoolBalanceType). Leaving Drift with a
    borrow requires market deposits >= borrows (SpotMarketInsufficientDeposits).

    Source: programs/drift/src/controller/spot_balance.rs::update_spot_balances
    """
    if token_amount < 0:
        raise MathError(f"update_spot_balances with negative token_amount {token_amount}")
    balance_type = _balance_type(spot_balance)
    if update_direction is balance_type:
        delta = get_spot_balance(
            token_amount, spot_market, update_direction, balance_type is _Borrow
        )
        spot_balance.scaled_balance += delta
        _add_to_market(spot_market, delta, update_direction)
    else:
        current_token_amount = get_token_amount(
            spot_balance.scaled_balance, spot_market, balance_type
        )
        if current_token_amount != 0:
            if current_token_amount > token_amount:
                delta = get_spot_balance(
                    token_amount,
                    spot_market,
                    balance_type,
                    is_leaving_drift or balance_type is _Borrow,
                )
                token_delta = token_amount
            else:
                delta = spot_balance.scaled_balance
                token_delta = current_token_amount
            if delta > spot_balance.scaled_balance:
                raise MathError(
                    f"scaled_balance {spot_balance.scaled_balance} < scaled decrease {delta}"
                )
            _sub_from_market(spot_market, delta, balance_type)
            spot_balance.scaled_balance -= delta
            token_amount -= token_delta

        if token_amount > 0:
            if type(spot_balance) is not SpotPosition:
                raise CantUpdatePoolBalanceType(
                    f"pool balance of market {spot_balance.market_index} cannot become "
                    f"{update_direction.name} for {token_amount} tokens"
                )
            spot_balance.balance_type = update_direction
            delta = get_spot_balance(
                token_amount, spot_market, update_direction, update_direction is _Borrow
            )
            spot_balance.scaled_balance += delta
            _add_to_market(spot_market, delta, update_direction)

    if is_leaving_drift and update_direction is _Borrow:
        deposit_token_amount = get_token_amount(spot_market.deposit_balance, spot_market, _Deposit)
        borrow_token_amount = get_token_amount(spot_market.borrow_balance, spot_market, _Borrow)
        if deposit_token_amount < borrow_token_amount:
            raise SpotMarketInsufficientDeposits(
                f"spot market {spot_market.market_index} deposits {deposit_token_amount} < "
                f"borrows {borrow_token_amount}"
            )


def transfer_spot_balances(
    token_amount: int,
    spot_market: SpotMarket,
    from_spot_balance: SpotBalance,
    to_spot_balance: SpotBalance,
) -> None:
    """Move a signed token amount from one balance to another in the same market.

    Positive: `from` is reduced (Borrow direction) and `to` credited (Deposit direction);
    negative reverses both; zero does nothing. A deposit-type `from` must not hold more scaled
    balance than the market's total deposits (InvalidSpotMarketState).

    Source: programs/drift/src/controller/spot_balance.rs::transfer_spot_balances
    """
    if from_spot_balance.market_index != to_spot_balance.market_index:
        raise UnequalMarketIndexForSpotTransfer(
            f"transfer from market {from_spot_balance.market_index} "
            f"to market {to_spot_balance.market_index}"
        )
    if token_amount == 0:
        return
    if (
        _balance_type(from_spot_balance) is _Deposit
        and spot_market.deposit_balance < from_spot_balance.scaled_balance
    ):
        raise InvalidSpotMarketState(
            f"spot_market.deposit_balance {spot_market.deposit_balance} lower than "
            f"individual spot balance {from_spot_balance.scaled_balance}"
        )
    amount = abs(token_amount)
    from_direction, to_direction = (_Borrow, _Deposit) if token_amount > 0 else (_Deposit, _Borrow)
    update_spot_balances(amount, from_direction, spot_market, from_spot_balance, False)
    update_spot_balances(amount, to_direction, spot_market, to_spot_balance, False)


def update_revenue_pool_balances(
    token_amount: int, update_direction: SpotBalanceType, spot_market: SpotMarket
) -> None:
    """Credit (Deposit) or debit (Borrow) the market's revenue pool by `token_amount` tokens.

    Source: programs/drift/src/controller/spot_balance.rs::update_revenue_pool_balances
    """
    update_spot_balances(
        token_amount, update_direction, spot_market, spot_market.revenue_pool, False
    )


def validate_spot_balances(spot_market: SpotMarket) -> int:
    """Depositors' claim on the vault, deposit tokens - borrow tokens (token decimals, i64).

    Raises SpotMarketVaultInvariantViolated if the revenue pool holds more tokens than all
    deposits together.

    Source: programs/drift/src/math/spot_withdraw.rs::validate_spot_balances
    """
    depositors_amount = get_token_amount(spot_market.deposit_balance, spot_market, _Deposit)
    borrowers_amount = get_token_amount(spot_market.borrow_balance, spot_market, _Borrow)
    revenue_amount = get_token_amount(
        spot_market.revenue_pool.scaled_balance, spot_market, _Deposit
    )
    depositors_claim = cast_i64(depositors_amount - borrowers_amount)
    if revenue_amount > depositors_amount:
        raise SpotMarketVaultInvariantViolated(
            f"revenue_amount {revenue_amount} greater than depositors_amount {depositors_amount} "
            f"(depositors_claim {depositors_claim}, deposit_balance {spot_market.deposit_balance})"
        )
    return depositors_claim


def validate_spot_market_vault_amount(spot_market: SpotMarket, vault_amount: int) -> int:
    """Check the vault holds at least the depositors' claim; return that claim (token decimals).

    Source: programs/drift/src/math/spot_withdraw.rs::validate_spot_market_vault_amount
    """
    depositors_claim = validate_spot_balances(spot_market)
    if vault_amount < depositors_claim:
        raise SpotMarketVaultInvariantViolated(
            f"spot market {spot_market.market_index} vault_amount {vault_amount} < "
            f"depositors_claim {depositors_claim}"
        )
    return depositors_claim
