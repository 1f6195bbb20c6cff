"""The insurance fund contract's own wallet and Ballast's ledger of its flows.

The insurance fund's vault balance and owed realized pnl live on its ordinary `Account`
(`ClearingHouse.insurance_fund`); this is what sits outside the vault.

Source: contracts/InsuranceFund.sol
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class InsuranceFundState:
    """`wallet`: USDC (6 dec) held by the InsuranceFund contract itself, outside the vault
    (counts toward its capacity; `repay` moves it into the vault).

    Ledger (not reference state): `penalty_received` liquidation penalties credited to the
    fund's owed realized pnl (18 dec); `bad_debt_settled` USDC (6 dec) of bad debt moved onto
    its vault balance; `repaid` USDC (6 dec) moved from the wallet into the vault.

    Source: contracts/InsuranceFund.sol (token balance), contracts/ClearingHouse.sol, contracts/Vault.sol
    """

    wallet: int = 0
    penalty_received: int = 0
    bad_debt_settled: int = 0
    repaid: int = 0
