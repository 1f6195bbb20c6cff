"""Typed errors of the Curie market model (ClearingHouse, Exchange, OrderBook, Vault, broker,
liquidation, bad debt, the insurance fund and Pool Party rewards), one class per reference revert
string (`revert`; "" where the behaviour is Ballast's own), all subclasses of `CurieError`.

Source: contracts/ClearingHouse.sol, contracts/Exchange.sol, contracts/OrderBook.sol,
contracts/Vault.sol, contracts/AccountBalance.sol, contracts/MarketRegistry.sol,
contracts/InsuranceFund.sol, contracts/lib/UniswapV3Broker.sol (require strings)
"""

from __future__ import annotations

from ballast.curie.errors import CurieError


class InvalidAmount(CurieError):
    """Bad input: not an integer, negative or zero where the reference needs a positive amount."""


class MarketNotFound(CurieError):
    """'MR_PNE': no pool was added for this base token."""

    revert = "MR_PNE"


class MarketAlreadyExists(CurieError):
    """'MR_EP': a pool already exists for this base token."""

    revert = "MR_EP"


class NotEnoughFreeCollateralByImRatio(CurieError):
    """'CH_NEFCI': free collateral by the initial margin ratio would be negative."""

    revert = "CH_NEFCI"


class NotEnoughFreeCollateralByMmRatio(CurieError):
    """'CH_NEFCM': free collateral by the maintenance margin ratio would be negative."""

    revert = "CH_NEFCM"


class PositionSizeIsZero(CurieError):
    """'CH_PSZ': closePosition with no taker position."""

    revert = "CH_PSZ"


class NotExcessOrders(CurieError):
    """'CH_NEXO': cancelExcessOrders on a maker whose margin is sufficient."""

    revert = "CH_NEXO"


class OrderNotBelongToMaker(CurieError):
    """'CH_ONBM': an order id given to cancelExcessOrders is not the maker's in that market."""

    revert = "CH_ONBM"


class ForbiddenZeroSwap(CurieError):
    """'CH_F0S': the pool swap exchanged nothing (swap callback guard)."""

    revert = "CH_F0S"


class TooLittleReceivedShort(CurieError):
    """'CH_TLRS': base-to-quote exact input received less quote than the bound."""

    revert = "CH_TLRS"


class TooMuchRequestedShort(CurieError):
    """'CH_TMRS': base-to-quote exact output needed more base than the bound."""

    revert = "CH_TMRS"


class TooLittleReceivedLong(CurieError):
    """'CH_TLRL': quote-to-base exact input received less base than the bound."""

    revert = "CH_TLRL"


class TooMuchRequestedLong(CurieError):
    """'CH_TMRL': quote-to-base exact output needed more quote than the bound."""

    revert = "CH_TMRL"


class OverMaxPriceSpread(CurieError):
    """'CH_OMPS': market price deviates from the index TWAP by more than maxPriceSpreadRatio."""

    revert = "CH_OMPS"


class TickMismatch(CurieError):
    """'EX_TKMM': the real pool swap ended on a different tick than the replay."""

    revert = "EX_TKMM"


class NonExistentOpenOrder(CurieError):
    """'OB_NEO': removeLiquidity on an order that does not exist."""

    revert = "OB_NEO"


class NotEnoughLiquidity(CurieError):
    """'OB_NEL': removing more liquidity than the order holds."""

    revert = "OB_NEL"


class OrdersNumberExceeded(CurieError):
    """'OB_ONE': the maker already has maxOrdersPerMarket orders in the market."""

    revert = "OB_ONE"


class ZeroLiquidityAdded(CurieError):
    """'UB_ZL': the amounts given to addLiquidity buy zero liquidity."""

    revert = "UB_ZL"


class UnmatchedOutputAmount(CurieError):
    """'UB_UOA': an exact-output swap without price limit returned >= 10 wei off the request."""

    revert = "UB_UOA"


class MarketNumberExceeded(CurieError):
    """'AB_MNE': the account would exceed maxMarketsPerAccount registered markets."""

    revert = "AB_MNE"


class ZeroAmount(CurieError):
    """'V_ZA': deposit or withdraw of zero."""

    revert = "V_ZA"


class GreaterThanSettlementTokenBalanceCap(CurieError):
    """'V_GTSTBC': the deposit would lift the vault above settlementTokenBalanceCap."""

    revert = "V_GTSTBC"


class NotEnoughFreeCollateral(CurieError):
    """'V_NEFC': withdrawal larger than the free collateral."""

    revert = "V_NEFC"


class IndexPriceNotSet(CurieError):
    """No index price was recorded for the market (the oracle is an input of the engine)."""


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
