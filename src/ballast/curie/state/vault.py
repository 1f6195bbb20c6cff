"""The vault's own USDC ledger.

Source: contracts/Vault.sol
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class VaultState:
    """The vault's USDC (6 dec) and Ballast's ledger of value the vault keeps.

    `balance`: USDC held (Σ deposits - Σ withdrawals). `withdraw_rounding`: 18-dec owed pnl
    dropped when it was formatted to 6 decimals (rounded toward -inf) at withdrawal.

    Source: contracts/Vault.sol (the token balance of the vault)
    """

    balance: int = 0
    total_deposited: int = 0
    total_withdrawn: int = 0
    withdraw_rounding: int = 0
