"""liquidate_perp end to end, built from state dataclasses.

The main vector is controller/liquidation/tests.rs::successful_liquidation_to_cover_margin_shortage.
"""

from __future__ import annotations

import pytest

from ballast.drift.constants import (
    AMM_RESERVE_PRECISION,
    BASE_PRECISION,
    LIQUIDATION_FEE_PRECISION,
    LIQUIDATION_PCT_PRECISION,
    MARGIN_PRECISION,
    ONE_HOUR,
    PEG_PRECISION,
    PRICE_PRECISION,
    QUOTE_PRECISION,
    SPOT_BALANCE_PRECISION,
    SPOT_CUMULATIVE_INTEREST_PRECISION,
    SPOT_WEIGHT_PRECISION,
)
from ballast.drift.controller.liquidation import liquidate_perp
from ballast.drift.errors import SufficientCollateral, UserBankrupt
from ballast.drift.events import LiquidationRecord
from ballast.drift.state.oracle import OracleSource
from ballast.drift.state.oracle_map import OracleMap, OracleReading
from ballast.drift.state.perp_market import AMM, HistoricalOracleData, MarketStatus, PerpMarket
from ballast.drift.state.spot_market import SpotBalanceType, SpotMarket
from ballast.drift.state.state import State
from ballast.drift.state.user import (
    MarketType,
    Order,
    OrderStatus,
    OrderType,
    PerpPosition,
    PositionDirection,
    SpotPosition,
    User,
    UserStats,
    UserStatus,
)


def _oracle_map(price: int) -> OracleMap:
    return OracleMap(
        slot=0,
        readings={
            (MarketType.Perp, 0): OracleReading(price=price),
            (MarketType.Spot, 0): OracleReading(source=OracleSource.QuoteAsset),
        },
    )


def _market(oracle_price: int) -> PerpMarket:
    return PerpMarket(
        amm=AMM(
            base_asset_reserve=100 * AMM_RESERVE_PRECISION,
            quote_asset_reserve=100 * AMM_RESERVE_PRECISION,
            bid_base_asset_reserve=101 * AMM_RESERVE_PRECISION,
            bid_quote_asset_reserve=99 * AMM_RESERVE_PRECISION,
            ask_base_asset_reserve=99 * AMM_RESERVE_PRECISION,
            ask_quote_asset_reserve=101 * AMM_RESERVE_PRECISION,
            sqrt_k=100 * AMM_RESERVE_PRECISION,
            peg_multiplier=100 * PEG_PRECISION,
            max_slippage_ratio=50,
            max_fill_reserve_fraction=100,
            order_step_size=10_000_000,
            quote_asset_amount=-150 * QUOTE_PRECISION,
            base_asset_amount_with_amm=BASE_PRECISION,
            historical_oracle_data=HistoricalOracleData(
                last_oracle_price=oracle_price,
                last_oracle_price_twap=oracle_price,
                last_oracle_price_twap_5min=oracle_price,
            ),
            funding_period=ONE_HOUR,
        ),
        margin_ratio_initial=1000,
        margin_ratio_maintenance=500,
        number_of_users_with_base=1,
        status=MarketStatus.Initialized,
        liquidator_fee=LIQUIDATION_FEE_PRECISION // 100,
        if_liquidation_fee=LIQUIDATION_FEE_PRECISION // 100,
    )


def _quote_market() -> SpotMarket:
    return SpotMarket(
        market_index=0,
        cumulative_deposit_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
        cumulative_borrow_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
        decimals=6,
        initial_asset_weight=SPOT_WEIGHT_PRECISION,
        maintenance_asset_weight=SPOT_WEIGHT_PRECISION,
        historical_oracle_data=HistoricalOracleData(
            last_oracle_price=PRICE_PRECISION,
            last_oracle_price_twap=PRICE_PRECISION,
            last_oracle_price_twap_5min=PRICE_PRECISION,
        ),
    )


def _deposit(quote: int) -> SpotPosition:
    return SpotPosition(
        market_index=0,
        balance_type=SpotBalanceType.Deposit,
        scaled_balance=quote * SPOT_BALANCE_PRECISION,
    )


def _user_long_two_with_open_bid() -> User:
    return User(
        authority="user",
        orders=[
            Order(
                order_id=1,
                market_index=0,
                status=OrderStatus.Open,
                order_type=OrderType.Limit,
                direction=PositionDirection.Long,
                base_asset_amount=BASE_PRECISION,
            )
        ],
        perp_positions=[
            PerpPosition(
                market_index=0,
                base_asset_amount=2 * BASE_PRECISION,
                quote_asset_amount=-200 * QUOTE_PRECISION,
                quote_entry_amount=-200 * QUOTE_PRECISION,
                quote_break_even_amount=-200 * QUOTE_PRECISION,
                open_orders=1,
                open_bids=BASE_PRECISION,
            )
        ],
        spot_positions=[_deposit(5)],
        next_order_id=2,
    )


def _run(user, liquidator, market, state, max_base=10 * BASE_PRECISION):
    events: list = []
    liquidate_perp(
        0,
        max_base,
        None,
        user,
        UserStats(),
        liquidator,
        UserStats(),
        {0: market},
        {0: _quote_market()},
        _oracle_map(100 * PRICE_PRECISION),
        0,
        0,
        state,
        events,
    )
    return events


def test_liquidate_perp_to_cover_margin_shortage():
    # successful_liquidation_to_cover_margin_shortage
    # Arrange
    market = _market(100 * PRICE_PRECISION)
    user = _user_long_two_with_open_bid()
    liquidator = User(authority="liquidator", spot_positions=[_deposit(50)])
    state = State(
        liquidation_margin_buffer_ratio=MARGIN_PRECISION // 50,
        initial_pct_to_liquidate=LIQUIDATION_PCT_PRECISION,
        liquidation_duration=150,
    )
    # Act
    events = _run(user, liquidator, market, state)
    # Assert
    position = user.perp_positions[0]
    assert position.base_asset_amount == 200_000_000
    assert position.quote_asset_amount == -23_600_000
    assert position.quote_entry_amount == -20_000_000
    assert position.quote_break_even_amount == -23_600_000
    assert position.open_orders == 0
    assert position.open_bids == 0
    liquidator_position = liquidator.perp_positions[0]
    assert liquidator_position.base_asset_amount == 1_800_000_000
    assert liquidator_position.quote_asset_amount == -178_200_000
    assert market.amm.total_liquidation_fee == 1_800_000
    # user out of liquidation territory (margin ratio 700 = 5% + 2% buffer)
    assert not user.is_being_liquidated()
    record = events[-1]
    assert isinstance(record, LiquidationRecord)
    assert (record.liquidator_fee, record.if_fee) == (1_800_000, 1_800_000)
    assert record.canceled_order_ids == (1,)
    assert record.bankrupt is False


def test_liquidate_perp_rejects_user_meeting_maintenance_margin():
    # Arrange: $100 of collateral against a $10 maintenance requirement
    market = _market(100 * PRICE_PRECISION)
    user = _user_long_two_with_open_bid()
    user.spot_positions = [_deposit(100)]
    liquidator = User(authority="liquidator", spot_positions=[_deposit(50)])
    # Act / Assert
    with pytest.raises(SufficientCollateral):
        _run(user, liquidator, market, State())


def test_liquidate_perp_flags_bankruptcy_when_only_losses_remain():
    # Arrange: long 1 at $150 with no collateral, oracle $100
    market = _market(100 * PRICE_PRECISION)
    user = User(
        authority="user",
        perp_positions=[
            PerpPosition(
                market_index=0,
                base_asset_amount=BASE_PRECISION,
                quote_asset_amount=-150 * QUOTE_PRECISION,
                quote_entry_amount=-150 * QUOTE_PRECISION,
                quote_break_even_amount=-150 * QUOTE_PRECISION,
            )
        ],
    )
    liquidator = User(authority="liquidator", spot_positions=[_deposit(500)])
    # Act
    _run(user, liquidator, market, State())
    # Assert
    assert user.perp_positions[0].base_asset_amount == 0
    assert user.perp_positions[0].quote_asset_amount < 0
    assert user.status & UserStatus.Bankrupt
    assert not user.status & UserStatus.BeingLiquidated


def test_liquidate_perp_rejects_bankrupt_user():
    # Arrange
    market = _market(100 * PRICE_PRECISION)
    user = _user_long_two_with_open_bid()
    user.status = UserStatus.Bankrupt
    liquidator = User(authority="liquidator", spot_positions=[_deposit(50)])
    # Act / Assert
    with pytest.raises(UserBankrupt):
        _run(user, liquidator, market, State())
