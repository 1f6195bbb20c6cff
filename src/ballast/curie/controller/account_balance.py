"""AccountBalance mutations: market registration, owed realized pnl, taker balances and
deregistration (with the dust rule).

Units: 18-decimal virtual tokens and pnl.

Source: contracts/AccountBalance.sol
"""

from __future__ import annotations

from ballast.curie.market_errors import MarketNumberExceeded
from ballast.curie.math.perp_math import DUST
from ballast.curie.state.account import Account, AccountMarketInfo
from ballast.curie.state.market import MarketState


def register_base_token(account: Account, market: str, max_markets_per_account: int) -> AccountMarketInfo:
    """Register `market` for the account (no-op if registered) and return its taker info;
    MarketNumberExceeded ("AB_MNE") past `max_markets_per_account`.

    Source: contracts/AccountBalance.sol::registerBaseToken
    """
    info = account.markets.get(market)
    if info is not None:
        return info
    if len(account.markets) + 1 > max_markets_per_account:
        raise MarketNumberExceeded(
            f"{account.trader!r} would hold {len(account.markets) + 1} markets, max {max_markets_per_account}"
        )
    info = AccountMarketInfo()
    account.markets[market] = info
    return info


def modify_owed_realized_pnl(account: Account, amount: int) -> None:
    """owedRealizedPnl += amount (18 dec, signed). Source: contracts/AccountBalance.sol::_modifyOwedRealizedPnl"""
    account.owed_realized_pnl += amount


def settle_owed_realized_pnl(account: Account) -> int:
    """Zero the owed realized pnl and return it (18 dec). Source: contracts/AccountBalance.sol::settleOwedRealizedPnl"""
    owed = account.owed_realized_pnl
    account.owed_realized_pnl = 0
    return owed


def deregister_base_token(account: Account, market: MarketState) -> None:
    """Delete the account's record in `market` when |takerPositionSize| < 10, |takerOpenNotional|
    < 10 and it has no order there. The deleted dust is booked to the market ledger
    (`dust_base`, `dust_quote`) so the virtual-token audit still balances.

    Source: contracts/AccountBalance.sol::_deregisterBaseToken
    """
    name = market.base_token
    info = account.markets.get(name)
    if info is None:
        return
    if abs(info.taker_position_size) >= DUST or abs(info.taker_open_notional) >= DUST:
        return
    if account.orders.get(name):
        return
    market.ledger.dust_base += info.taker_position_size
    market.ledger.dust_quote += info.taker_open_notional
    del account.markets[name]
    account.orders.pop(name, None)


def settle_balance_and_deregister(
    account: Account,
    market: MarketState,
    taker_base: int,
    taker_quote: int,
    realized_pnl: int,
    maker_fee: int,
) -> None:
    """Apply a trade or realization, in the reference's order: takerPositionSize += base,
    takerOpenNotional += quote; owedRealizedPnl += makerFee; takerOpenNotional -= pnl,
    owedRealizedPnl += pnl; then deregister if only dust is left. `maker_fee` is booked as
    realized in the market ledger.

    Source: contracts/AccountBalance.sol::settleBalanceAndDeregister
    """
    info = account.markets.get(market.base_token)
    if info is None:  # the reference's mapping reads as zeros; the record is created on write
        info = AccountMarketInfo()
        account.markets[market.base_token] = info
    info.taker_position_size += taker_base
    info.taker_open_notional += taker_quote
    account.owed_realized_pnl += maker_fee
    market.ledger.maker_fee_realized += maker_fee
    info.taker_open_notional -= realized_pnl
    account.owed_realized_pnl += realized_pnl
    deregister_base_token(account, market)
