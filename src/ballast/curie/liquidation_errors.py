"""Typed errors of Curie liquidation, bad debt, the insurance fund and Pool Party rewards, all
subclasses of `CurieError`, one class per reference revert string (`revert`; "" where the
behaviour is Ballast's own).

Source: contracts/ClearingHouse.sol::liquidate / _liquidate (require strings),
contracts/InsuranceFund.sol::repay
"""

from __future__ import annotations

from ballast.curie.errors import CurieError


class CannotLiquidateWhenThereIsStillOrder(CurieError):
    """'CH_CLWTISO': the trader still has an open order in an open market (stage 1 first)."""

    revert = "CH_CLWTISO"


class EnoughAccountValue(CurieError):
    """'CH_EAV': the trader's account value is not below the maintenance requirement."""

    revert = "CH_EAV"


class WrongLiquidationDirection(CurieError):
    """'CH_WLD': the requested size has the opposite sign of the trader's position."""

    revert = "CH_WLD"


class InsufficientInsuranceFundCapacity(CurieError):
    """'CH_IIC': the insurance fund cannot cover the negative account value left."""

    revert = "CH_IIC"


class InsuranceFundNoNeedToRepay(CurieError):
    """'IF_RWNN': repay while the insurance fund's vault value is not negative."""

    revert = "IF_RWNN"


class InsuranceFundNotEnoughBalance(CurieError):
    """'IF_NEB': repay with an empty insurance-fund wallet."""

    revert = "IF_NEB"


class InvalidEpoch(CurieError):
    """A reward epoch start that is not a Monday 06:00 UTC boundary (Ballast's own)."""


class BudgetBelowPaid(CurieError):
    """A reward budget set below what was already paid or owed for that epoch (Ballast's own)."""
