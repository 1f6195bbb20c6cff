"""Vault valuation: settlement balance, account value, free collateral, margin requirement.

Units: 18 decimals unless a name ends in `_6` (USDC, 6 decimals); ratios 1e6; prices 18 dec.
Inputs per market: the market state, its current global funding growth (for pending funding)
and its reference (mark) price.

Source: contracts/Vault.sol, contracts/AccountBalance.sol, contracts/ClearingHouse.sol
"""

from __future__ import annotations

from collections.abc import Mapping

from ballast.curie.math.account_balance import (
    get_pnl_and_pending_fee,
    get_total_abs_position_value,
    get_total_debt_value,
)
from ballast.curie.math.funding import get_pending_funding_payment
from ballast.curie.math.perp_math import (
    format_settlement_token,
    mul_ratio,
    parse_settlement_token,
)
from ballast.curie.state.account import Account
from ballast.curie.state.market import FundingGrowth, MarketState


def get_all_pending_funding_payment(
    account: Account, markets: Mapping[str, MarketState], funding_growths: Mapping[str, FundingGrowth]
) -> int:
    """Σ pending funding payments over the account's registered markets (18 dec, + = pays).

    Source: contracts/AccountBalance.sol / contracts/Exchange.sol::getAllPendingFundingPayment
    """
    return sum(
        get_pending_funding_payment(account, markets[name], funding_growths[name]) for name in account.markets
    )


def get_settlement_token_balance_and_unrealized_pnl(
    account: Account,
    markets: Mapping[str, MarketState],
    funding_growths: Mapping[str, FundingGrowth],
    mark_prices: Mapping[str, int],
) -> tuple[int, int]:
    """(USDC·1e12 + pendingFee - pendingFunding + owedRealizedPnl, unrealizedPnl), 18 dec.

    Source: contracts/Vault.sol::_getSettlementTokenBalanceAndUnrealizedPnl
    """
    owed, unrealized, pending_fee = get_pnl_and_pending_fee(account, markets, mark_prices)
    pending_funding = get_all_pending_funding_payment(account, markets, funding_growths)
    balance = parse_settlement_token(account.balance) + pending_fee - pending_funding + owed
    return balance, unrealized


def get_account_value_and_total_collateral_value(
    account: Account,
    markets: Mapping[str, MarketState],
    funding_growths: Mapping[str, FundingGrowth],
    mark_prices: Mapping[str, int],
) -> tuple[int, int]:
    """(accountValue, totalCollateralValue), 18 dec, unrounded. USDC is the only collateral:
    totalCollateralValue = settlement balance; accountValue = that + unrealized pnl.

    Source: contracts/Vault.sol::_getAccountValueAndTotalCollateralValue
    """
    collateral, unrealized = get_settlement_token_balance_and_unrealized_pnl(
        account, markets, funding_growths, mark_prices
    )
    return collateral + unrealized, collateral


def get_account_value_6(
    account: Account,
    markets: Mapping[str, MarketState],
    funding_growths: Mapping[str, FundingGrowth],
    mark_prices: Mapping[str, int],
) -> int:
    """Account value in USDC (6 dec), rounded toward -inf. Source: contracts/Vault.sol::getAccountValue"""
    value, _ = get_account_value_and_total_collateral_value(account, markets, funding_growths, mark_prices)
    return format_settlement_token(value)


def get_clearing_house_account_value(
    account: Account,
    markets: Mapping[str, MarketState],
    funding_growths: Mapping[str, FundingGrowth],
    mark_prices: Mapping[str, int],
) -> int:
    """Account value as the ClearingHouse sees it: the 6-dec floored value times 1e12 (18 dec).

    Source: contracts/ClearingHouse.sol::getAccountValue
    """
    return parse_settlement_token(get_account_value_6(account, markets, funding_growths, mark_prices))


def get_free_collateral_by_ratio_6(
    account: Account,
    markets: Mapping[str, MarketState],
    funding_growths: Mapping[str, FundingGrowth],
    mark_prices: Mapping[str, int],
    ratio: int,
) -> int:
    """floor6(min(totalCollateralValue, accountValue) - floor(totalDebtValue·ratio/1e6)), USDC
    6 dec, may be negative (the "conservative" collateral model).

    Source: contracts/Vault.sol::getFreeCollateralByRatio
    """
    value, collateral = get_account_value_and_total_collateral_value(
        account, markets, funding_growths, mark_prices
    )
    requirement = mul_ratio(get_total_debt_value(account, markets, mark_prices), ratio)
    return format_settlement_token(min(collateral, value) - requirement)


def get_free_collateral_6(
    account: Account,
    markets: Mapping[str, MarketState],
    funding_growths: Mapping[str, FundingGrowth],
    mark_prices: Mapping[str, int],
    im_ratio: int,
) -> int:
    """max(free collateral by imRatio, 0), USDC 6 dec. Source: contracts/Vault.sol::getFreeCollateral"""
    return max(get_free_collateral_by_ratio_6(account, markets, funding_growths, mark_prices, im_ratio), 0)


def get_margin_requirement_for_liquidation(
    account: Account, markets: Mapping[str, MarketState], mark_prices: Mapping[str, int], mm_ratio: int
) -> int:
    """floor(Σ |position value| · mmRatio / 1e6), 18 dec (makers' impermanent positions count).

    Source: contracts/AccountBalance.sol::getMarginRequirementForLiquidation
    """
    return mul_ratio(get_total_abs_position_value(account, markets, mark_prices), mm_ratio)


def is_liquidatable(
    account: Account,
    markets: Mapping[str, MarketState],
    funding_growths: Mapping[str, FundingGrowth],
    mark_prices: Mapping[str, int],
    mm_ratio: int,
) -> bool:
    """ClearingHouse account value (6-dec truncated, 18 dec) < margin requirement for liquidation.

    Source: contracts/Vault.sol::isLiquidatable
    """
    value = get_clearing_house_account_value(account, markets, funding_growths, mark_prices)
    return value < get_margin_requirement_for_liquidation(account, markets, mark_prices, mm_ratio)
