"""Former home of the liquidation, bad-debt, insurance-fund and Pool Party events, now defined in
`ballast.curie.events`; re-exported here only until ballast.curie.clearing_house imports them
from there, then this module is to be deleted.

Source: contracts/interface/IVault.sol (BadDebtSettled), IInsuranceFund.sol (Repaid)
"""

from __future__ import annotations

from ballast.curie.events import (
    BadDebtSettled,
    InsuranceFundRepaid,
    RewardBudgetSet,
    RewardsClaimed,
)

__all__ = ["BadDebtSettled", "InsuranceFundRepaid", "RewardBudgetSet", "RewardsClaimed"]
