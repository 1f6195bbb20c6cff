"""Account balances: taker and maker (impermanent) positions, base/quote balances, open
notional, position values and debt.

Units: 18-decimal virtual tokens (signed), prices 18 decimals (quote per base).
An account's markets are its registered markets (`account.markets`); an unregistered market
reads as zero.

Source: contracts/AccountBalance.sol, contracts/OrderBook.sol
"""

from __future__ import annotations

from collections.abc import Mapping

from ballast.curie.math.order_book import (
    get_total_order_debt,
    get_total_token_amount_in_pool_and_pending_fee,
)
from ballast.curie.math.perp_math import DUST, ONE_E18, mul_div
from ballast.curie.state.account import Account
from ballast.curie.state.market import MarketState


def _taker(account: Account, market: str) -> tuple[int, int]:
    info = account.markets.get(market)
    return (info.taker_position_size, info.taker_open_notional) if info else (0, 0)


def get_base(account: Account, market: str) -> int:
    """takerPositionSize - Σ baseDebt (18 dec, signed). Source: contracts/AccountBalance.sol::getBase"""
    return _taker(account, market)[0] - get_total_order_debt(account.orders.get(market, ()), True)


def get_quote(account: Account, market: str) -> int:
    """takerOpenNotional - Σ quoteDebt (18 dec, signed). Source: contracts/AccountBalance.sol::getQuote"""
    return _taker(account, market)[1] - get_total_order_debt(account.orders.get(market, ()), False)


def get_maker_balance_and_pending_fee(
    account: Account, market: MarketState, fetch_base: bool
) -> tuple[int, int]:
    """(Σ token in pool - Σ debt, Σ pending fee) of the account's orders in `market`
    (18 dec; the fee is 0 when fetching base). Base: the impermanent position; quote: the
    maker's quote balance.

    Source: contracts/OrderBook.sol::_getMakerQuoteBalanceAndPendingFee / getTotalTokenAmountInPoolAndPendingFee
    """
    orders = account.orders.get(market.base_token, ())
    pool = market.pool
    in_pool, pending = get_total_token_amount_in_pool_and_pending_fee(
        orders, pool.sqrt_price_x96, pool.tick, market.tick_infos, market.fee_growth_global_x128, fetch_base
    )
    return in_pool - get_total_order_debt(orders, fetch_base), pending


def get_impermanent_position(account: Account, market: MarketState) -> int:
    """The maker's impermanent position: Σ baseInPool - Σ baseDebt (18 dec, signed, no dust rule).

    Source: contracts/AccountBalance.sol::getTotalPositionSize (maker part)
    """
    return get_maker_balance_and_pending_fee(account, market, True)[0]


def get_taker_position_size(account: Account, market: str) -> int:
    """Stored taker position size, reported 0 when |size| < 10 wei.

    Source: contracts/AccountBalance.sol::getTakerPositionSize
    """
    size = _taker(account, market)[0]
    return 0 if abs(size) < DUST else size


def get_total_position_size(account: Account, market: MarketState) -> int:
    """takerPositionSize + impermanent position, reported 0 when |sum| < 10 wei (18 dec).

    Source: contracts/AccountBalance.sol::getTotalPositionSize
    """
    total = _taker(account, market.base_token)[0] + get_impermanent_position(account, market)
    return 0 if abs(total) < DUST else total


def get_total_open_notional(account: Account, market: MarketState) -> int:
    """Σ quoteInPool + takerOpenNotional - Σ quoteDebt (18 dec, signed; pending fees excluded).

    Source: contracts/AccountBalance.sol::getTotalOpenNotional
    """
    maker_quote, _ = get_maker_balance_and_pending_fee(account, market, False)
    return _taker(account, market.base_token)[1] + maker_quote


def get_net_quote_balance_and_pending_fee(
    account: Account, markets: Mapping[str, MarketState]
) -> tuple[int, int]:
    """(Σ_markets takerOpenNotional + Σ quoteInPool - Σ quoteDebt, Σ pending maker fees).

    Source: contracts/AccountBalance.sol::_getNetQuoteBalanceAndPendingFee
    """
    net_quote = pending = 0
    for name in account.markets:
        maker_quote, fee = get_maker_balance_and_pending_fee(account, markets[name], False)
        net_quote += _taker(account, name)[1] + maker_quote
        pending += fee
    return net_quote, pending


def get_total_position_value(account: Account, market: MarketState, mark_price: int) -> int:
    """totalPositionSize · price / 1e18, truncated toward zero (18 dec, signed).

    Source: contracts/AccountBalance.sol::getTotalPositionValue
    """
    return mul_div(get_total_position_size(account, market), mark_price, ONE_E18)


def get_total_abs_position_value(
    account: Account, markets: Mapping[str, MarketState], mark_prices: Mapping[str, int]
) -> int:
    """Σ_markets |position value| (18 dec). Source: contracts/AccountBalance.sol::getTotalAbsPositionValue"""
    return sum(
        abs(get_total_position_value(account, markets[name], mark_prices[name]))
        for name in account.markets
    )


def get_total_debt_value(
    account: Account, markets: Mapping[str, MarketState], mark_prices: Mapping[str, int]
) -> int:
    """|min(Σ quote balance, 0) + Σ (base balance < 0 ? mulDiv(base, price, 1e18) : 0)| (18 dec).

    Source: contracts/AccountBalance.sol::getTotalDebtValue
    """
    total_quote = total_base_debt_value = 0
    for name in account.markets:
        base = get_base(account, name)
        if base < 0:
            total_base_debt_value += mul_div(base, mark_prices[name], ONE_E18)
        total_quote += get_quote(account, name)
    return abs(min(total_quote, 0) + total_base_debt_value)


def get_pnl_and_pending_fee(
    account: Account, markets: Mapping[str, MarketState], mark_prices: Mapping[str, int]
) -> tuple[int, int, int]:
    """(owedRealizedPnl, unrealizedPnl, pendingFee), 18 dec; unrealized =
    Σ position values + net quote balance.

    Source: contracts/AccountBalance.sol::getPnlAndPendingFee
    """
    position_value = sum(
        get_total_position_value(account, markets[name], mark_prices[name]) for name in account.markets
    )
    net_quote, pending = get_net_quote_balance_and_pending_fee(account, markets)
    return account.owed_realized_pnl, position_value + net_quote, pending
