"""Funding settlement of one trader in one market.

Units: 18-decimal quote payments (positive = the trader pays), X96 growth values.

Source: contracts/ClearingHouse.sol::_settleFunding, contracts/Exchange.sol::settleFunding,
contracts/OrderBook.sol::updateFundingGrowthAndLiquidityCoefficientInFundingPayment
"""

from __future__ import annotations

from ballast.curie.math.account_balance import get_base
from ballast.curie.math.funding import (
    calc_pending_funding_payment_with_liquidity_coefficient,
    get_liquidity_coefficient_in_funding_payment,
)
from ballast.curie.state.account import Account
from ballast.curie.state.market import FundingGrowth, MarketState


def update_funding_growth_global(market: MarketState, funding_growth_global: FundingGrowth, now: int) -> bool:
    """Store the global funding growth and `last_settled_timestamp = now` once per timestamp;
    True when stored (the reference then emits FundingUpdated).

    Source: contracts/Exchange.sol::settleFunding
    """
    if now == market.last_settled_timestamp:
        return False
    market.last_settled_timestamp = now
    market.funding_growth_global = funding_growth_global
    return True


def settle_funding(
    account: Account, market: MarketState, funding_growth_global: FundingGrowth, now: int
) -> tuple[int, bool]:
    """Settle the account's funding in `market` at `now` -> (payment, global stored).

    Payment = (Σ order coefficients + balance part) / 86400 with the orders' snapshots then
    moved to the current range values; the global growth is stored (once per timestamp);
    owedRealizedPnl -= payment; lastTwPremiumGrowthGlobalX96 = twPremiumX96 (when the market is
    registered for the account). The payment is booked to the market ledger's `funding_paid`.

    Source: contracts/ClearingHouse.sol::_settleFunding, contracts/Exchange.sol::settleFunding
    """
    name = market.base_token
    info = account.markets.get(name)
    last = info.last_tw_premium_growth_global_x96 if info else 0
    coefficient, ranges = get_liquidity_coefficient_in_funding_payment(account, market, funding_growth_global)
    payment = calc_pending_funding_payment_with_liquidity_coefficient(
        get_base(account, name), last, funding_growth_global, coefficient
    )
    for order, range_info in zip(account.orders.get(name, ()), ranges, strict=True):
        order.last_tw_premium_growth_inside_x96 = range_info.tw_premium_growth_inside_x96
        order.last_tw_premium_growth_below_x96 = range_info.tw_premium_growth_below_x96
        order.last_tw_premium_div_by_sqrt_price_growth_inside_x96 = (
            range_info.tw_premium_div_by_sqrt_price_growth_inside_x96
        )
    stored = update_funding_growth_global(market, funding_growth_global, now)
    account.owed_realized_pnl -= payment
    market.ledger.funding_paid += payment
    if info is not None:
        info.last_tw_premium_growth_global_x96 = funding_growth_global.tw_premium_x96
    return payment, stored
