"""liquidate_spot, liquidate_borrow_for_perp_pnl and liquidate_perp_pnl_for_deposit from dataclasses.

Reference vectors: programs/drift/src/controller/liquidation/tests.rs::liquidate_spot
(successful_liquidation_liability_transfer_implied_by_asset_amount,
successful_liquidation_liquidator_max_liability_transfer); the pnl variants are checked against
hand-computed 1:1 transfers and the guards of the reference functions.
"""

from __future__ import annotations

import pytest

from ballast.drift.constants import (
    LIQUIDATION_FEE_PRECISION,
    LIQUIDATION_PCT_PRECISION,
    QUOTE_PRECISION,
    SPOT_BALANCE_PRECISION,
    SPOT_CUMULATIVE_INTEREST_PRECISION,
    SPOT_WEIGHT_PRECISION,
)
from ballast.drift.controller.liquidation import (
    liquidate_borrow_for_perp_pnl,
    liquidate_perp_pnl_for_deposit,
    liquidate_spot,
)
from ballast.drift.errors import (
    InvalidPerpPositionToLiquidate,
    LiquidationDoesntSatisfyLimitPrice,
    PriceBandsBreached,
    SufficientCollateral,
    TierViolationLiquidatingPerpPnl,
)
from ballast.drift.events import LiquidationType
from ballast.drift.math.liquidation import (
    calculate_asset_transfer_for_liability_transfer,
    calculate_liability_transfer_implied_by_asset_amount,
    calculate_spot_if_fee,
)
from ballast.drift.state.oracle import OracleSource
from ballast.drift.state.oracle_map import OracleMap, OracleReading
from ballast.drift.state.perp_market import AMM, ContractTier, HistoricalOracleData, PerpMarket
from ballast.drift.state.spot_market import AssetTier, SpotBalanceType, SpotMarket
from ballast.drift.state.state import State
from ballast.drift.state.user import MarketType, PerpPosition, SpotPosition, User

SOL_PRICE = 100 * 10**6


def _oracle_map() -> OracleMap:
    return OracleMap(
        slot=0,
        readings={
            (MarketType.Spot, 0): OracleReading(source=OracleSource.QuoteAsset),
            (MarketType.Spot, 1): OracleReading(price=SOL_PRICE),
            (MarketType.Perp, 0): OracleReading(price=SOL_PRICE),
        },
    )


def _history(
    price: int, twap: int | None = None, twap_5min: int | None = None
) -> HistoricalOracleData:
    return HistoricalOracleData(
        last_oracle_price=price,
        last_oracle_price_twap=price if twap is None else twap,
        last_oracle_price_twap_5min=price if twap_5min is None else twap_5min,
    )


def _usdc_market(deposit_balance: int = 200 * SPOT_BALANCE_PRECISION) -> SpotMarket:
    return SpotMarket(
        market_index=0,
        cumulative_deposit_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
        cumulative_borrow_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
        decimals=6,
        initial_asset_weight=SPOT_WEIGHT_PRECISION,
        maintenance_asset_weight=SPOT_WEIGHT_PRECISION,
        deposit_balance=deposit_balance,
        historical_oracle_data=_history(QUOTE_PRECISION),
    )


def _sol_market(
    twap: int = SOL_PRICE * 99 // 100, twap_5min: int = SOL_PRICE * 99 // 100
) -> SpotMarket:
    return SpotMarket(
        market_index=1,
        cumulative_deposit_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
        cumulative_borrow_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
        decimals=6,
        initial_asset_weight=8 * SPOT_WEIGHT_PRECISION // 10,
        maintenance_asset_weight=9 * SPOT_WEIGHT_PRECISION // 10,
        initial_liability_weight=12 * SPOT_WEIGHT_PRECISION // 10,
        maintenance_liability_weight=11 * SPOT_WEIGHT_PRECISION // 10,
        deposit_balance=SPOT_BALANCE_PRECISION,
        borrow_balance=SPOT_BALANCE_PRECISION,
        liquidator_fee=LIQUIDATION_FEE_PRECISION // 1000,
        historical_oracle_data=_history(SOL_PRICE, twap, twap_5min),
    )


def _state() -> State:
    return State(
        liquidation_margin_buffer_ratio=10,
        initial_pct_to_liquidate=LIQUIDATION_PCT_PRECISION,
        liquidation_duration=150,
    )


def _spot_user(usdc_scaled: int = 100 * SPOT_BALANCE_PRECISION) -> User:
    return User(
        authority="user",
        spot_positions=[
            SpotPosition(
                market_index=0, balance_type=SpotBalanceType.Deposit, scaled_balance=usdc_scaled
            ),
            SpotPosition(
                market_index=1,
                balance_type=SpotBalanceType.Borrow,
                scaled_balance=SPOT_BALANCE_PRECISION,
            ),
        ],
    )


def _liquidator(usdc_scaled: int = 100 * SPOT_BALANCE_PRECISION) -> User:
    return User(
        authority="liquidator",
        spot_positions=[
            SpotPosition(
                market_index=0, balance_type=SpotBalanceType.Deposit, scaled_balance=usdc_scaled
            )
        ],
    )


def test_liquidate_spot_liability_transfer_implied_by_asset_amount():
    # Arrange: tests.rs::liquidate_spot::successful_liquidation_liability_transfer_implied_by_asset_amount
    user, liquidator = _spot_user(), _liquidator()
    spot_markets = {0: _usdc_market(), 1: _sol_market()}
    events: list = []
    # Act
    record = liquidate_spot(
        0, 1, 10**6, None, user, liquidator, {}, spot_markets, _oracle_map(), 0, 0, _state(), events
    )
    # Assert
    assert user.spot_positions[0].scaled_balance == 0
    assert user.spot_positions[1].scaled_balance == 999_999
    assert liquidator.spot_positions[0].balance_type is SpotBalanceType.Deposit
    assert liquidator.spot_positions[0].scaled_balance == 200_000_000_000
    assert liquidator.spot_positions[1].balance_type is SpotBalanceType.Borrow
    assert liquidator.spot_positions[1].scaled_balance == 999_000_001
    assert record is events[-1] and record.liquidation_type is LiquidationType.LiquidateSpot
    assert (record.asset_transfer, record.liability_transfer) == (100 * QUOTE_PRECISION, 999_000)


def test_liquidate_spot_liquidator_max_liability_transfer():
    # Arrange: tests.rs::liquidate_spot::successful_liquidation_liquidator_max_liability_transfer
    # (second call, after the 5-min twap check passes)
    user, liquidator = _spot_user(), _liquidator()
    sol = _sol_market(twap=SOL_PRICE * 6744 // 10000, twap_5min=SOL_PRICE * 999 // 1000)
    # Act
    liquidate_spot(
        0,
        1,
        10**6 // 10,
        None,
        user,
        liquidator,
        {},
        {0: _usdc_market(), 1: sol},
        _oracle_map(),
        0,
        0,
        _state(),
        [],
    )
    # Assert
    assert user.spot_positions[0].scaled_balance == 89_989_990_000
    assert user.spot_positions[1].scaled_balance == 899_999_999
    assert liquidator.spot_positions[0].scaled_balance == 110_010_010_000
    assert liquidator.spot_positions[1].balance_type is SpotBalanceType.Borrow
    assert liquidator.spot_positions[1].scaled_balance == 100_000_001


def test_liquidate_spot_rejects_oracle_far_from_5min_twap():
    # Arrange: 5-min twap at 40% of the oracle (>= 50% divergence)
    sol = _sol_market(twap_5min=SOL_PRICE * 4 // 10)
    # Act / Assert
    with pytest.raises(PriceBandsBreached):
        liquidate_spot(
            0,
            1,
            10**6,
            None,
            _spot_user(),
            _liquidator(),
            {},
            {0: _usdc_market(), 1: sol},
            _oracle_map(),
            0,
            0,
            _state(),
            [],
        )


def test_liquidate_spot_limit_price_on_asset_per_liability():
    # Arrange: the liquidator pays ~$100.1 of USDC per SOL; a limit of $101 is not met
    # Act / Assert
    with pytest.raises(LiquidationDoesntSatisfyLimitPrice):
        liquidate_spot(
            0,
            1,
            10**6,
            101 * 10**6,
            _spot_user(),
            _liquidator(),
            {},
            {0: _usdc_market(), 1: _sol_market()},
            _oracle_map(),
            0,
            0,
            _state(),
            [],
        )


def test_liquidate_spot_healthy_user_is_refused():
    # Arrange: $200 deposit against a 1 SOL borrow at $100 is well collateralised
    # Act / Assert
    with pytest.raises(SufficientCollateral):
        liquidate_spot(
            0,
            1,
            10**6,
            None,
            _spot_user(200 * SPOT_BALANCE_PRECISION),
            _liquidator(),
            {},
            {0: _usdc_market(), 1: _sol_market()},
            _oracle_map(),
            0,
            0,
            _state(),
            [],
        )


def test_liquidate_spot_if_fee_goes_to_revenue_pool_and_user_repays_net():
    # Arrange: 10% IF fee cap on SOL; margin shortage large enough for a positive implied fee
    sol = _sol_market()
    sol.if_liquidation_fee = LIQUIDATION_FEE_PRECISION // 10
    user, liquidator = _spot_user(105 * SPOT_BALANCE_PRECISION), _liquidator()
    borrow_before = sol.borrow_balance
    # Act
    record = liquidate_spot(
        0,
        1,
        10**6,
        None,
        user,
        liquidator,
        {},
        {0: _usdc_market(), 1: sol},
        _oracle_map(),
        0,
        0,
        _state(),
        [],
    )
    # Assert: the liquidator borrows the whole transfer, the user repays transfer - if_fee
    assert record.if_fee > 0
    assert sol.revenue_pool.scaled_balance == record.if_fee * 1000
    repaid = SPOT_BALANCE_PRECISION - user.spot_positions[1].scaled_balance
    assert repaid == (record.liability_transfer - record.if_fee) * 1000 + 1
    assert liquidator.spot_positions[1].scaled_balance == record.liability_transfer * 1000 + 1
    assert sol.borrow_balance == borrow_before - repaid + record.liability_transfer * 1000 + 1


@pytest.mark.parametrize(
    "args,expected",
    [
        ((100 * 10**6, 1_000_000, 6, 10**6, 999_000, 6, SOL_PRICE), 999_000),
        ((1, 1_000_000, 6, 10**6, 999_000, 6, 3 * 10**6), 1),  # rounds up
    ],
    ids=["usdc_for_sol", "ceil"],
)
def test_liability_transfer_implied_by_asset_amount(args, expected):
    # Act / Assert
    assert calculate_liability_transfer_implied_by_asset_amount(*args) == expected


def test_asset_transfer_snaps_to_whole_deposit_within_one_dollar():
    # Arrange: 999_999 tokens of liability are worth $99.9999 of a $100 deposit
    # Act
    asset_transfer = calculate_asset_transfer_for_liability_transfer(
        100 * 10**6, 10**6, 6, 10**6, 999_999, 10**6, 6, SOL_PRICE
    )
    # Assert
    assert asset_transfer == 100 * 10**6


def test_spot_if_fee_zero_when_asset_weight_not_below_liability_weight():
    # Act / Assert
    assert (
        calculate_spot_if_fee(10**6, 10**6, 11_000, 10**6, 11_000, 10**6, 6, SOL_PRICE, 10**5) == 0
    )


def _perp_market(tier: ContractTier = ContractTier.A) -> PerpMarket:
    return PerpMarket(
        amm=AMM(order_step_size=10**7, historical_oracle_data=_history(SOL_PRICE)),
        margin_ratio_initial=1000,
        margin_ratio_maintenance=500,
        unrealized_pnl_maintenance_asset_weight=SPOT_WEIGHT_PRECISION,
        contract_tier=tier,
        number_of_users=1,
    )


def test_liquidate_borrow_for_perp_pnl_swaps_borrow_for_positive_pnl():
    # Arrange: user owes 1 SOL ($100 x 1.1 weight) with $100 of unsettled pnl and nothing else
    market = _perp_market()
    user = User(
        authority="user",
        perp_positions=[PerpPosition(market_index=0, quote_asset_amount=100 * QUOTE_PRECISION)],
        spot_positions=[
            SpotPosition(
                market_index=1,
                balance_type=SpotBalanceType.Borrow,
                scaled_balance=SPOT_BALANCE_PRECISION,
            )
        ],
    )
    market.amm.quote_asset_amount = 100 * QUOTE_PRECISION
    liquidator = _liquidator()
    events: list = []
    # Act
    record = liquidate_borrow_for_perp_pnl(
        0,
        1,
        10**6 // 2,
        None,
        user,
        liquidator,
        {0: market},
        {0: _usdc_market(), 1: _sol_market()},
        _oracle_map(),
        0,
        0,
        _state(),
        events,
    )
    # Assert: half a SOL ($50) for $50 of pnl less the 0.1% liability discount
    assert record.liability_transfer == 500_000
    assert record.pnl_transfer == 50_050_050
    assert user.perp_positions[0].quote_asset_amount == 100 * QUOTE_PRECISION - 50_050_050
    assert liquidator.perp_positions[0].quote_asset_amount == 50_050_050
    assert user.spot_positions[0].scaled_balance == SPOT_BALANCE_PRECISION - 500_000_000 - 1
    assert liquidator.spot_positions[1].scaled_balance == 500_000_001
    assert market.amm.quote_asset_amount == 100 * QUOTE_PRECISION


def test_liquidate_borrow_for_perp_pnl_requires_closed_position():
    # Arrange
    user = User(
        authority="user",
        perp_positions=[
            PerpPosition(market_index=0, base_asset_amount=10**7, quote_asset_amount=1)
        ],
        spot_positions=[
            SpotPosition(
                market_index=1,
                balance_type=SpotBalanceType.Borrow,
                scaled_balance=SPOT_BALANCE_PRECISION,
            )
        ],
    )
    # Act / Assert
    with pytest.raises(InvalidPerpPositionToLiquidate):
        liquidate_borrow_for_perp_pnl(
            0,
            1,
            10**6,
            None,
            user,
            _liquidator(),
            {0: _perp_market()},
            {0: _usdc_market(), 1: _sol_market()},
            _oracle_map(),
            0,
            0,
            _state(),
            [],
        )


def _pnl_user(quote: int, usdc_scaled: int) -> User:
    return User(
        authority="user",
        perp_positions=[PerpPosition(market_index=0, quote_asset_amount=quote)],
        spot_positions=[
            SpotPosition(
                market_index=0, balance_type=SpotBalanceType.Deposit, scaled_balance=usdc_scaled
            )
        ],
    )


def test_liquidate_perp_pnl_for_deposit_swaps_deposit_for_negative_pnl():
    # Arrange: $100 of losses against $90 of USDC; fees 0 so the exchange is 1:1
    market = _perp_market()
    market.amm.quote_asset_amount = -100 * QUOTE_PRECISION
    user = _pnl_user(-100 * QUOTE_PRECISION, 90 * SPOT_BALANCE_PRECISION)
    liquidator = _liquidator()
    # Act
    record = liquidate_perp_pnl_for_deposit(
        0,
        0,
        50 * QUOTE_PRECISION,
        None,
        user,
        liquidator,
        {0: market},
        {0: _usdc_market()},
        _oracle_map(),
        0,
        0,
        _state(),
        [],
    )
    # Assert
    assert (record.pnl_transfer, record.asset_transfer) == (
        50 * QUOTE_PRECISION,
        50 * QUOTE_PRECISION,
    )
    assert user.perp_positions[0].quote_asset_amount == -50 * QUOTE_PRECISION
    assert user.spot_positions[0].scaled_balance == 40 * SPOT_BALANCE_PRECISION
    assert liquidator.perp_positions[0].quote_asset_amount == -50 * QUOTE_PRECISION
    assert liquidator.spot_positions[0].scaled_balance == 150 * SPOT_BALANCE_PRECISION
    assert market.amm.quote_asset_amount == -100 * QUOTE_PRECISION


def test_liquidate_perp_pnl_for_deposit_tier_violation():
    # Arrange: a Speculative market's pnl while the user owes a Collateral-tier borrow
    market = _perp_market(ContractTier.Speculative)
    user = _pnl_user(-100 * QUOTE_PRECISION, 90 * SPOT_BALANCE_PRECISION)
    user.spot_positions.append(
        SpotPosition(market_index=1, balance_type=SpotBalanceType.Borrow, scaled_balance=1000)
    )
    sol = _sol_market()
    sol.asset_tier = AssetTier.Collateral
    # Act / Assert
    with pytest.raises(TierViolationLiquidatingPerpPnl):
        liquidate_perp_pnl_for_deposit(
            0,
            0,
            50 * QUOTE_PRECISION,
            None,
            user,
            _liquidator(),
            {0: market},
            {0: _usdc_market(), 1: sol},
            _oracle_map(),
            0,
            0,
            _state(),
            [],
        )
