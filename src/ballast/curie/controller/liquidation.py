"""Liquidation (stage 2: one market's position taken over by a liquidator at the mark price)
and the settlement of bad debt onto the insurance fund.

The funding settlement and valuation (funding growth, mark prices) belong to the facade; they
are passed in as `LiquidationContext` callables so this module only mutates state.

Units: virtual tokens and pnl 18 decimals, USDC 6 decimals, prices 18 dec, ratios 1e6.

Source: contracts/ClearingHouse.sol::liquidate / _liquidate, contracts/Vault.sol::settleBadDebt,
contracts/InsuranceFund.sol::getInsuranceFundCapacity
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ballast.curie.controller.account_balance import register_base_token
from ballast.curie.controller.exchange import realize_maker_position
from ballast.curie.market_errors import (
    CannotLiquidateWhenThereIsStillOrder,
    EnoughAccountValue,
    InsufficientInsuranceFundCapacity,
    InsuranceFundNoNeedToRepay,
    InsuranceFundNotEnoughBalance,
    NotEnoughFreeCollateralByImRatio,
    PositionSizeIsZero,
    WrongLiquidationDirection,
)
from ballast.curie.math import vault as vault_math
from ballast.curie.math.account_balance import get_taker_position_size
from ballast.curie.math.liquidation import (
    calc_liquidated_position_notional,
    calc_liquidation_penalty,
    get_liquidatable_position_size,
    split_liquidation_penalty,
)
from ballast.curie.math.perp_math import format_settlement_token, parse_settlement_token
from ballast.curie.state.account import Account
from ballast.curie.state.config import ClearingHouseConfig
from ballast.curie.state.insurance_fund import InsuranceFundState
from ballast.curie.state.market import FundingGrowth, MarketState

Valuation = tuple[Mapping[str, MarketState], Mapping[str, FundingGrowth], Mapping[str, int]]


@dataclass(slots=True, frozen=True)
class LiquidationContext:
    """What liquidation needs from the facade: the protocol config, `valuation(account)` ->
    (markets, current funding growths, mark prices) of its registered markets,
    `settle_funding(account, market)`, and the insurance fund's account and wallet state."""

    config: ClearingHouseConfig
    valuation: Callable[[Account], Valuation]
    settle_funding: Callable[[Account, MarketState], object]
    insurance_fund: Account
    insurance_fund_state: InsuranceFundState


@dataclass(slots=True, frozen=True)
class LiquidationResult:
    """One liquidation: `position_size` taken over (signed like the trader's position),
    `position_notional` = mulDiv(size, mark, 1e18) (signed), the `penalty` and its split,
    the pnl realized by the trader and by the liquidator, the mark price used, and the bad
    debt settled onto the insurance fund afterwards (USDC 6 dec, >= 0)."""

    position_size: int
    position_notional: int
    penalty: int
    to_liquidator: int
    to_insurance_fund: int
    trader_realized_pnl: int
    liquidator_realized_pnl: int
    mark_price: int
    bad_debt: int


def get_insurance_fund_capacity(insurance_fund: Account, state: InsuranceFundState) -> int:
    """The fund's vault settlement-token value (floor6(USDC·1e12 + owedRealizedPnl); the fund
    holds no positions) plus its own wallet, USDC 6 dec (signed).

    Source: contracts/InsuranceFund.sol::getInsuranceFundCapacity,
    contracts/Vault.sol::getSettlementTokenValue
    """
    vault_value = format_settlement_token(
        parse_settlement_token(insurance_fund.balance) + insurance_fund.owed_realized_pnl
    )
    return vault_value + state.wallet


def has_order_in_any_market(account: Account) -> bool:
    """Whether the account has an open order anywhere (every market here is open).

    Source: contracts/AccountBalance.sol::hasOrder (OrderBook.hasOrder over base tokens)
    """
    return any(orders for orders in account.orders.values())


def liquidate(
    ctx: LiquidationContext,
    trader: Account,
    liquidator: Account,
    market: MarketState,
    position_size: int,
) -> LiquidationResult:
    """Transfer (part of) the trader's position in `market` to the liquidator at the mark price.

    1. CH_CLWTISO if the trader has any order; CH_EAV unless liquidatable; CH_PSZ without a
       taker position; CH_WLD if `position_size` has the opposite sign.
    2. Register the market for the liquidator; settle funding for the trader, then the
       liquidator.
    3. av = the trader's ClearingHouse account value (6-dec floored, 18 dec).
    4-5. size = the liquidatable size, or `position_size` when nonzero and not larger.
    6. Trader: Δbase = -size, Δquote = notional = mulDiv(size, mark, 1e18) (truncated), pnl
       realized as a fee-less trade and settled.
    7. penalty = floor(|notional|·penaltyRatio/1e6) off the trader's owed pnl; half (floor) to
       the liquidator, the rest to the insurance fund — all to the liquidator if av < 0.
    8. CH_IIC if the trader's account value (6 dec, floor) is now negative beyond the
       insurance fund's capacity.
    9. Liquidator: Δbase = +size, Δquote = -notional + its penalty share, realized and settled;
       CH_NEFCI unless its free collateral by imRatio >= 0 (the insurance fund is exempt).
    10. settle_bad_debt(trader).

    Source: contracts/ClearingHouse.sol::_liquidate (spec 2.8 stage 2)
    """
    config = ctx.config
    name = market.base_token
    if has_order_in_any_market(trader):
        raise CannotLiquidateWhenThereIsStillOrder(f"{trader.trader!r} still has open orders")
    if not vault_math.is_liquidatable(trader, *ctx.valuation(trader), config.mm_ratio):
        raise EnoughAccountValue(f"{trader.trader!r} is not liquidatable")
    position = get_taker_position_size(trader, name)
    if position == 0:
        raise PositionSizeIsZero(f"{trader.trader!r} has no position in {name!r}")
    if position * position_size < 0:
        raise WrongLiquidationDirection(
            f"position {position} of {trader.trader!r} vs requested size {position_size}"
        )

    register_base_token(liquidator, name, config.max_markets_per_account)
    ctx.settle_funding(trader, market)
    ctx.settle_funding(liquidator, market)

    markets, growths, marks = ctx.valuation(trader)
    account_value = vault_math.get_clearing_house_account_value(trader, markets, growths, marks)
    max_size = get_liquidatable_position_size(
        trader, markets, marks, name, account_value, config.mm_ratio
    )
    size = max_size if position_size == 0 or abs(position_size) > abs(max_size) else position_size
    mark_price = marks[name]
    notional = calc_liquidated_position_notional(size, mark_price)

    trader_pnl = realize_maker_position(trader, market, -size, notional, 0)
    penalty = calc_liquidation_penalty(notional, config.liquidation_penalty_ratio)
    trader.owed_realized_pnl -= penalty
    to_liquidator, to_insurance_fund = split_liquidation_penalty(penalty, account_value)
    ctx.insurance_fund.owed_realized_pnl += to_insurance_fund
    ctx.insurance_fund_state.penalty_received += to_insurance_fund

    value_after = vault_math.get_account_value_6(trader, *ctx.valuation(trader))
    if value_after < 0:
        capacity = get_insurance_fund_capacity(ctx.insurance_fund, ctx.insurance_fund_state)
        if capacity < -value_after:
            raise InsufficientInsuranceFundCapacity(
                f"{trader.trader!r} account value {value_after} exceeds insurance fund capacity {capacity}"
            )

    liquidator_pnl = realize_maker_position(liquidator, market, size, -notional + to_liquidator, 0)
    if liquidator is not ctx.insurance_fund:
        free = vault_math.get_free_collateral_by_ratio_6(
            liquidator, *ctx.valuation(liquidator), config.im_ratio
        )
        if free < 0:
            raise NotEnoughFreeCollateralByImRatio(
                f"liquidator {liquidator.trader!r}: free collateral by imRatio would be {free} (USDC 6 dec)"
            )
    bad_debt = settle_bad_debt(trader, ctx.insurance_fund, ctx.insurance_fund_state)
    return LiquidationResult(
        position_size=size,
        position_notional=notional,
        penalty=penalty,
        to_liquidator=to_liquidator,
        to_insurance_fund=to_insurance_fund,
        trader_realized_pnl=trader_pnl,
        liquidator_realized_pnl=liquidator_pnl,
        mark_price=mark_price,
        bad_debt=bad_debt,
    )


def settle_bad_debt(trader: Account, insurance_fund: Account, state: InsuranceFundState) -> int:
    """Move a bankrupt trader's negative settlement value onto the insurance fund -> the bad
    debt settled (USDC 6 dec, >= 0).

    Skipped for the insurance fund itself and while the trader has any registered market.
    v = floor6(USDC·1e12 + owedRealizedPnl) (no markets: no pending fee or funding); if v < 0
    the fund's USDC balance += v and the trader's -= v (the trader's value is then in
    [0, 1e-6) USDC, its owed pnl untouched).

    Source: contracts/Vault.sol::settleBadDebt (spec 2.9)
    """
    if trader is insurance_fund or trader.markets:
        return 0
    value = format_settlement_token(
        parse_settlement_token(trader.balance) + trader.owed_realized_pnl
    )
    if value >= 0:
        return 0
    insurance_fund.balance += value
    trader.balance -= value
    state.bad_debt_settled -= value
    return -value


def repay(insurance_fund: Account, state: InsuranceFundState) -> int:
    """Cover a negative insurance-fund vault value from its wallet -> USDC moved (6 dec).

    amount = min(-vault value, wallet); IF_RWNN when the value is not negative, IF_NEB with an
    empty wallet. The caller deposits `amount` into the vault for the fund.

    Source: contracts/InsuranceFund.sol::repay
    """
    value = format_settlement_token(
        parse_settlement_token(insurance_fund.balance) + insurance_fund.owed_realized_pnl
    )
    if value >= 0:
        raise InsuranceFundNoNeedToRepay(f"insurance fund vault value {value} is not negative")
    if state.wallet <= 0:
        raise InsuranceFundNotEnoughBalance(f"insurance fund wallet {state.wallet}")
    amount = min(-value, state.wallet)
    state.wallet -= amount
    state.repaid += amount
    return amount
