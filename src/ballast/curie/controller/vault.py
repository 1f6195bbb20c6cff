"""Vault mutations: USDC deposits and withdrawals (6 decimals).

Source: contracts/Vault.sol
"""

from __future__ import annotations

from ballast.curie.controller.account_balance import settle_owed_realized_pnl
from ballast.curie.math.perp_math import format_settlement_token, parse_settlement_token
from ballast.curie.state.account import Account
from ballast.curie.state.vault import VaultState


def deposit(vault: VaultState, account: Account, amount: int) -> None:
    """Credit `amount` USDC (6 dec) to the account and the vault.

    Source: contracts/Vault.sol::_deposit
    """
    account.balance += amount
    vault.balance += amount
    vault.total_deposited += amount


def realize_owed_pnl_into_balance(vault: VaultState, account: Account) -> int:
    """Move owed realized pnl into the USDC balance, floored to 6 decimals; the dropped
    remainder (0 .. 1e12-1 wei) is booked to `vault.withdraw_rounding`. Returns the USDC moved.

    Source: contracts/Vault.sol::_withdraw (settleOwedRealizedPnl, formatSettlementToken)
    """
    owed = settle_owed_realized_pnl(account)
    moved = format_settlement_token(owed)
    vault.withdraw_rounding += owed - parse_settlement_token(moved)
    account.balance += moved
    return moved


def withdraw(vault: VaultState, account: Account, amount: int) -> None:
    """Debit `amount` USDC (6 dec) from the account and pay it out of the vault.

    Source: contracts/Vault.sol::_withdraw
    """
    account.balance -= amount
    vault.balance -= amount
    vault.total_withdrawn += amount
