"""Typed event records of Curie liquidation, bad debt, the insurance fund and Pool Party.

Fields follow the reference events (snake_case) with the engine time `ts` first. Units:
virtual tokens 18 decimals, USDC 6 decimals, reward tokens in the budget's own units.
`PositionLiquidated` lives in `ballast.curie.events` and is re-exported here.

Source: contracts/interface/IClearingHouse.sol (PositionLiquidated), IVault.sol
(BadDebtSettled), IInsuranceFund.sol (Repaid); Pool Party events are Ballast's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from ballast.curie.events import PositionLiquidated

__all__ = [
    "BadDebtSettled",
    "InsuranceFundRepaid",
    "PositionLiquidated",
    "RewardBudgetSet",
    "RewardsClaimed",
]


@dataclass(slots=True, frozen=True)
class BadDebtSettled:
    """A bankrupt trader's negative settlement value (USDC 6 dec, > 0) moved onto the insurance
    fund's vault balance. Source: IVault.sol::BadDebtSettled"""

    ts: int
    trader: str
    amount: int


@dataclass(slots=True, frozen=True)
class InsuranceFundRepaid:
    """USDC (6 dec) moved from the insurance fund's wallet into its vault balance.

    Source: IInsuranceFund.sol::Repaid
    """

    ts: int
    repaid_amount: int
    token_balance_after: int


@dataclass(slots=True, frozen=True)
class RewardBudgetSet:
    """Pool Party budget of one market for the weekly epoch starting `epoch_start` (unix s)."""

    ts: int
    base_token: str
    epoch_start: int
    amount: int


@dataclass(slots=True, frozen=True)
class RewardsClaimed:
    """Pool Party rewards paid to a maker for every closed epoch of one market."""

    ts: int
    maker: str
    base_token: str
    amount: int
