"""Without margin trading, spot orders may not lead to borrows; with it, no Isolated perp.

Reference vectors: programs/drift/src/math/margin/tests.rs, module validate_spot_margin_trading
(each case names its test): USDC and SOL ($100) spot markets.
"""

from __future__ import annotations

import pytest

from ballast.drift.constants import BASE_PRECISION, PRICE_PRECISION, SPOT_BALANCE_PRECISION
from ballast.drift.errors import IsolatedAssetTierViolation, MarginTradingDisabled
from ballast.drift.math.spot_orders import validate_spot_margin_trading
from ballast.drift.state.oracle_map import OracleMap
from ballast.drift.state.perp_market import ContractTier, PerpMarket
from ballast.drift.state.spot_market import SpotBalanceType
from ballast.drift.state.user import MarketType, PerpPosition, SpotPosition, User
from tests.drift.spot_factories import default_base_market, default_quote_market

SBP = SPOT_BALANCE_PRECISION
SOL = 10**9
Deposit, Borrow = SpotBalanceType.Deposit, SpotBalanceType.Borrow


def _oracle_map() -> OracleMap:
    oracle_map = OracleMap()
    oracle_map.publish(MarketType.Spot, 0, PRICE_PRECISION, 0)
    oracle_map.publish(MarketType.Spot, 1, 100 * PRICE_PRECISION, 0)
    return oracle_map


SPOT_MARKETS = {0: default_quote_market(), 1: default_base_market()}


@pytest.mark.parametrize(
    ("case", "usdc", "sol", "open_bids", "open_asks", "error"),
    [
        ("sol_ask_larger_than_deposit", (Deposit, 10_000 * SBP), (Deposit, SBP), 0, -100 * SOL, MarginTradingDisabled),
        ("sol_ask_smaller_than_deposit", (Deposit, 10_000 * SBP), (Deposit, 2 * SBP), 0, -SOL, None),
        ("sol_ask_with_borrow", (Deposit, 10_000 * SBP), (Borrow, 2 * SBP), 0, -SOL, MarginTradingDisabled),
        ("sol_bids_value_larger_than_usdc_deposit", (Deposit, 100 * SBP), (Deposit, 2 * SBP), 2 * SOL, 0,
         MarginTradingDisabled),
        ("sol_bids_value_smaller_than_usdc_deposit", (Deposit, 1000 * SBP), (Deposit, 2 * SBP), 2 * SOL, 0, None),
        ("sol_bids_with_usdc_borrow", (Borrow, 100 * SBP), (Deposit, 2 * SBP), 2 * SOL, 0, MarginTradingDisabled),
    ],
)
def test_open_orders_without_margin_trading_may_not_borrow(case, usdc, sol, open_bids, open_asks, error):
    user = User(spot_positions=[
        SpotPosition(market_index=0, balance_type=usdc[0], scaled_balance=usdc[1]),
        SpotPosition(market_index=1, balance_type=sol[0], scaled_balance=sol[1], open_bids=open_bids,
                     open_asks=open_asks),
    ])
    if error is None:
        validate_spot_margin_trading(user, {}, SPOT_MARKETS, _oracle_map())
    else:
        with pytest.raises(error):
            validate_spot_margin_trading(user, {}, SPOT_MARKETS, _oracle_map())


def test_margin_trading_is_refused_with_an_isolated_perp_position():
    # attempt_enable_margin_trading_with_isolated_perp
    user = User(
        spot_positions=[
            SpotPosition(market_index=0, balance_type=Deposit, scaled_balance=100 * SBP),
            SpotPosition(market_index=1, balance_type=Deposit, scaled_balance=2 * SBP, open_bids=2 * SOL),
        ],
        perp_positions=[PerpPosition(market_index=0, base_asset_amount=BASE_PRECISION, open_bids=BASE_PRECISION)],
        is_margin_trading_enabled=True,
    )
    perp_markets = {0: PerpMarket(market_index=0, contract_tier=ContractTier.Isolated)}
    with pytest.raises(IsolatedAssetTierViolation):
        validate_spot_margin_trading(user, perp_markets, SPOT_MARKETS, _oracle_map())
