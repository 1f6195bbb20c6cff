"""Typed event records of the Curie market model, one per reference event Ballast emits.

Fields follow the reference events (snake_case), with the engine time `ts` first. Units:
virtual tokens 18 decimals (signed as in the reference), USDC 6 decimals, prices 18 decimals,
sqrt prices X96, Pool Party reward tokens in the budget's own units. Markets are named by their
base token string, traders by their key.

Source: contracts/interface/IClearingHouse.sol, contracts/interface/IExchange.sol,
contracts/interface/IOrderBook.sol, contracts/interface/IVault.sol,
contracts/interface/IInsuranceFund.sol::Repaid (the Pool Party events are Ballast's own)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class PositionChanged:
    """A taker trade or a realized maker position (removeLiquidity / cancelExcessOrders).

    Source: contracts/interface/IClearingHouse.sol::PositionChanged
    """

    ts: int
    trader: str
    base_token: str
    exchanged_position_size: int
    exchanged_position_notional: int
    fee: int
    open_notional: int
    realized_pnl: int
    sqrt_price_after_x96: int


@dataclass(slots=True, frozen=True)
class LiquidityChanged:
    """Liquidity added (positive amounts) or removed (negative). `quote_fee` is the maker fee
    realized by the change.

    Source: contracts/interface/IClearingHouse.sol::LiquidityChanged
    """

    ts: int
    maker: str
    base_token: str
    lower_tick: int
    upper_tick: int
    base: int
    quote: int
    liquidity: int
    quote_fee: int


@dataclass(slots=True, frozen=True)
class FundingUpdated:
    """Global funding settled at a new timestamp: market TWAP and index TWAP (18 dec).

    Source: contracts/interface/IExchange.sol::FundingUpdated
    """

    ts: int
    base_token: str
    mark_twap: int
    index_twap: int


@dataclass(slots=True, frozen=True)
class FundingPaymentSettled:
    """A trader's funding payment in a market (18 dec, positive = the trader paid).

    Source: contracts/interface/IClearingHouse.sol::FundingPaymentSettled
    """

    ts: int
    trader: str
    base_token: str
    funding_payment: int


@dataclass(slots=True, frozen=True)
class Deposited:
    """USDC (6 dec) credited to a trader's vault balance. Source: contracts/interface/IVault.sol::Deposited"""

    ts: int
    collateral_token: str
    trader: str
    amount: int


@dataclass(slots=True, frozen=True)
class Withdrawn:
    """USDC (6 dec) paid out of a trader's vault balance. Source: contracts/interface/IVault.sol::Withdrawn"""

    ts: int
    collateral_token: str
    trader: str
    amount: int


@dataclass(slots=True, frozen=True)
class PositionLiquidated:
    """A liquidation (emitted by the liquidation module, not by this market model).

    Source: contracts/interface/IClearingHouse.sol::PositionLiquidated
    """

    ts: int
    trader: str
    base_token: str
    position_notional: int
    position_size: int
    liquidation_fee: int
    liquidator: str


@dataclass(slots=True, frozen=True)
class BadDebtSettled:
    """A bankrupt trader's negative settlement value (USDC 6 dec, > 0) moved onto the insurance
    fund's vault balance. Source: contracts/interface/IVault.sol::BadDebtSettled"""

    ts: int
    trader: str
    amount: int


@dataclass(slots=True, frozen=True)
class InsuranceFundRepaid:
    """USDC (6 dec) moved from the insurance fund's wallet into its vault balance.

    Source: contracts/interface/IInsuranceFund.sol::Repaid
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
