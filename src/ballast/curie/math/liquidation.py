"""Liquidation math (pure): the liquidatable position size, the penalty split, and the order in
which a keeper liquidates a trader's positions.

Units: virtual tokens and values 18 decimals (signed where noted), prices 18 dec, ratios 1e6.

Source: contracts/AccountBalance.sol::getLiquidatablePositionSize,
contracts/ClearingHouse.sol::_liquidate (docs "More on LPing": 2-stage liquidation)
"""

from __future__ import annotations

from collections.abc import Mapping

from ballast.curie.errors import SafeCastOverflow
from ballast.curie.math.account_balance import (
    get_total_abs_position_value,
    get_total_position_size,
    get_total_position_value,
)
from ballast.curie.math.perp_math import (
    MIN_PARTIAL_LIQUIDATE_POSITION_VALUE,
    ONE_HUNDRED_PERCENT_RATIO,
    mul_div,
    mul_ratio,
)
from ballast.curie.state.account import Account
from ballast.curie.state.market import MarketState
from ballast.fixed import div_trunc

UINT24_MAX = (1 << 24) - 1


def calc_liquidatable_position_size(
    account_value: int,
    margin_requirement: int,
    position_size: int,
    position_value: int,
    total_abs_position_value: int,
) -> int:
    """Largest size (18 dec, signed like `position_size`) a liquidator may take over.

    0 if account value >= margin requirement or no position; the whole position if
    |position value| <= 100 USD (100e18); else ratio = 1e6, and if the account value is at
    least half the requirement (signed division, truncated) ratio =
    min(1e6, floor(totalAbsPositionValue·1e6 / (2·|positionValue|))) — with the reference's
    quirk that the quotient is cast to uint24 *before* the min, so a quotient above 2^24 - 1
    (a market below ~1/33.5 of the account's total value) reverts (SafeCastOverflow).
    Result: mulRatio(position_size, ratio), truncated toward zero.

    Source: contracts/AccountBalance.sol::getLiquidatablePositionSize
    """
    if account_value >= margin_requirement or position_size == 0:
        return 0
    position_value_abs = abs(position_value)
    if position_value_abs <= MIN_PARTIAL_LIQUIDATE_POSITION_VALUE:
        return position_size
    ratio = ONE_HUNDRED_PERCENT_RATIO
    if account_value >= div_trunc(margin_requirement, 2):
        quotient = total_abs_position_value * ONE_HUNDRED_PERCENT_RATIO // (2 * position_value_abs)
        if quotient > UINT24_MAX:
            raise SafeCastOverflow(
                f"liquidation ratio {quotient} does not fit uint24 (total {total_abs_position_value}, "
                f"position value {position_value_abs})"
            )
        ratio = min(ONE_HUNDRED_PERCENT_RATIO, quotient)
    return mul_ratio(position_size, ratio)


def get_liquidatable_position_size(
    account: Account,
    markets: Mapping[str, MarketState],
    mark_prices: Mapping[str, int],
    base_token: str,
    account_value: int,
    mm_ratio: int,
) -> int:
    """`calc_liquidatable_position_size` over the account's state: the margin requirement is
    floor(Σ|position value|·mmRatio/1e6), the position its total size (taker + impermanent,
    dust-filtered), valued at the mark price.

    Source: contracts/AccountBalance.sol::getLiquidatablePositionSize
    """
    total_abs = get_total_abs_position_value(account, markets, mark_prices)
    if base_token not in account.markets:
        return 0
    market = markets[base_token]
    return calc_liquidatable_position_size(
        account_value,
        mul_ratio(total_abs, mm_ratio),
        get_total_position_size(account, market),
        get_total_position_value(account, market, mark_prices[base_token]),
        total_abs,
    )


def calc_liquidated_position_notional(position_size: int, mark_price: int) -> int:
    """Notional of the liquidated size at the mark price: mulDiv(size, price, 1e18), truncated
    toward zero, signed like the size (18 dec).

    Source: contracts/ClearingHouse.sol::_liquidate (liquidatedPositionNotional)
    """
    return mul_div(position_size, mark_price, 10**18)


def calc_liquidation_penalty(position_notional: int, liquidation_penalty_ratio: int) -> int:
    """floor(|notional|·liquidationPenaltyRatio/1e6) (18 dec, >= 0).

    Source: contracts/ClearingHouse.sol::_liquidate (liquidationPenalty)
    """
    return abs(position_notional) * liquidation_penalty_ratio // ONE_HUNDRED_PERCENT_RATIO


def split_liquidation_penalty(penalty: int, account_value: int) -> tuple[int, int]:
    """(to liquidator, to insurance fund) of the penalty (18 dec).

    Half (floor) to the liquidator and the rest to the insurance fund; everything to the
    liquidator when the liquidated account value (before the transfer) is negative, as the
    fund would only pay itself out of the bad debt it covers.

    Source: contracts/ClearingHouse.sol::_liquidate (liquidationFeeToLiquidator / ToIF)
    """
    if account_value < 0:
        return penalty, 0
    to_liquidator = penalty // 2
    return to_liquidator, penalty - to_liquidator


def liquidation_order(
    account: Account, markets: Mapping[str, MarketState], mark_prices: Mapping[str, int]
) -> list[str]:
    """The account's markets with a position, largest |position value| first (ties: the
    registration order), as a keeper picks them to collect the most penalty per call.

    Source: docs "More on LPing" (2-stage liquidation: "will generally chose the largest")
    """
    values = []
    for index, name in enumerate(account.markets):
        if get_total_position_size(account, markets[name]) == 0:
            continue
        value = abs(get_total_position_value(account, markets[name], mark_prices[name]))
        values.append((-value, index, name))
    return [name for _, _, name in sorted(values)]
