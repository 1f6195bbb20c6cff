"""Accounts: Vault balance, owed realized pnl, per-market taker info and maker orders.

Source: contracts/lib/AccountMarket.sol, contracts/lib/OpenOrder.sol, contracts/Vault.sol,
contracts/AccountBalance.sol, contracts/OrderBook.sol (storage)
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class OpenOrder:
    """A maker order: one slice of the ClearingHouse's pool position on [lower_tick, upper_tick).

    `liquidity` is Uniswap liquidity (uint128); `base_debt` / `quote_debt` are the 18-decimal
    virtual tokens the maker minted into the pool (rounded up by the pool's mint);
    `last_fee_growth_inside_x128` is Curie's quote-fee growth snapshot (uint256, wrapping);
    the three funding snapshots are X96 int256 range values (Tick.FundingGrowthRangeInfo).

    Source: contracts/lib/OpenOrder.sol::Info
    """

    lower_tick: int = 0
    upper_tick: int = 0
    liquidity: int = 0
    last_fee_growth_inside_x128: int = 0
    last_tw_premium_growth_inside_x96: int = 0
    last_tw_premium_growth_below_x96: int = 0
    last_tw_premium_div_by_sqrt_price_growth_inside_x96: int = 0
    base_debt: int = 0
    quote_debt: int = 0

    @property
    def order_id(self) -> tuple[int, int]:
        """The order's key within (maker, market): `(lower_tick, upper_tick)`.

        Source: contracts/lib/OpenOrder.sol::calcOrderKey (keccak of maker, base, lower, upper)
        """
        return (self.lower_tick, self.upper_tick)


@dataclass(slots=True)
class AccountMarketInfo:
    """A trader's taker balances in one market (18 decimals, signed).

    `taker_open_notional` is negative for longs; `last_tw_premium_growth_global_x96` is the
    global twPremiumX96 at the trader's last funding settlement.

    Source: contracts/lib/AccountMarket.sol::Info
    """

    taker_position_size: int = 0
    taker_open_notional: int = 0
    last_tw_premium_growth_global_x96: int = 0


@dataclass(slots=True)
class Account:
    """One trader (the insurance fund is an ordinary account too).

    `balance`: Vault USDC balance, 6 decimals, signed (bad debt may push it below 0).
    `owed_realized_pnl`: 18 decimals, signed.
    `markets`: registered markets (AccountBalance._baseTokensMap) with their taker info, in
    registration order. `orders`: per market, the open orders in the reference's id-array order
    (removal swaps the last id into the hole, as OrderBook._removeOrder does).

    Source: contracts/Vault.sol (_balance), contracts/AccountBalance.sol (_owedRealizedPnlMap,
    _baseTokensMap, _accountMarketMap), contracts/OrderBook.sol (_openOrderIdsMap, _openOrderMap)
    """

    trader: str = ""
    balance: int = 0
    owed_realized_pnl: int = 0
    markets: dict[str, AccountMarketInfo] = field(default_factory=dict)
    orders: dict[str, list[OpenOrder]] = field(default_factory=dict)

    def get_order(self, market: str, lower_tick: int, upper_tick: int) -> OpenOrder | None:
        """The open order on [lower_tick, upper_tick) in `market`, or None."""
        for order in self.orders.get(market, ()):
            if order.lower_tick == lower_tick and order.upper_tick == upper_tick:
                return order
        return None

    def has_order(self, market: str) -> bool:
        """Whether the account has an open order in `market`. Source: contracts/OrderBook.sol::hasOrder"""
        return bool(self.orders.get(market))
