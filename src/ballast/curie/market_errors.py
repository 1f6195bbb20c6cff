"""Typed errors of the Curie market model (ClearingHouse, Exchange, OrderBook, Vault, broker),
one class per reference revert string (`revert`), all subclasses of `CurieError`.

Source: contracts/ClearingHouse.sol, contracts/Exchange.sol, contracts/OrderBook.sol,
contracts/Vault.sol, contracts/AccountBalance.sol, contracts/MarketRegistry.sol,
contracts/lib/UniswapV3Broker.sol (require strings)
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
