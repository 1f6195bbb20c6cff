"""Margin ratios, unrealized-pnl weights, per-position and account-wide margin.

Expected numbers are transcribed from programs/drift/src/math/margin/tests.rs (test names cited
per case) or follow drift_core.md section 9.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballast.drift.constants import (
    AMM_RESERVE_PRECISION,
    BASE_PRECISION,
    MARGIN_PRECISION,
    PRICE_PRECISION,
    QUOTE_PRECISION,
    SPOT_BALANCE_PRECISION,
    SPOT_CUMULATIVE_INTEREST_PRECISION,
    SPOT_IMF_PRECISION,
    SPOT_WEIGHT_PRECISION,
)
from ballast.drift.errors import InvalidMarginCalculation
from ballast.drift.math.margin import (
    calculate_margin_requirement_and_total_collateral_and_liability_info,
    calculate_perp_position_value_and_pnl,
    calculate_size_discount_asset_weight,
    calculate_size_premium_liability_weight,
    get_asset_weight,
    get_liability_weight,
    get_margin_ratio,
    get_unrealized_asset_weight,
    meets_initial_margin_requirement,
    meets_maintenance_margin_requirement,
)
from ballast.drift.state.margin_calculation import (
    MarginCalculation,
    MarginContext,
    MarginRequirementType,
)
from ballast.drift.state.oracle import OraclePriceData, OracleSource
from ballast.drift.state.oracle_map import OracleMap, OracleReading
from ballast.drift.state.perp_market import AMM, HistoricalOracleData, MarketStatus, PerpMarket
from ballast.drift.state.spot_market import SpotBalanceType, SpotMarket
from ballast.drift.state.user import MarketType, PerpPosition, SpotPosition, User

Initial = MarginRequirementType.Initial
Fill = MarginRequirementType.Fill
Maintenance = MarginRequirementType.Maintenance


# --- size premium / discount ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("imf_factor", "size_tokens", "margin_type", "expected"),
    [
        # math/margin/tests.rs::spot_market_asset_weight
        (0, 1000 * QUOTE_PRECISION, Initial, 9000),
        (10, 1000 * QUOTE_PRECISION, Initial, 9000),
        (10, 1000 * QUOTE_PRECISION * 1_000_000, Initial, 8357),
        (10000, 1000 * QUOTE_PRECISION, Initial, 8357),
        (SPOT_IMF_PRECISION // 10, 1000 * QUOTE_PRECISION, Initial, 2642),
    ],
)
def test_spot_asset_weight_applies_imf_size_discount(
    imf_factor, size_tokens, margin_type, expected
):
    # Arrange
    spot_market = SpotMarket(
        initial_asset_weight=9000, initial_liability_weight=11000, decimals=6, imf_factor=imf_factor
    )
    # Act
    weight = get_asset_weight(spot_market, size_tokens, QUOTE_PRECISION, margin_type)
    # Assert
    assert weight == expected


@pytest.mark.parametrize(
    ("imf_factor", "margin_type", "expected"),
    [
        # math/margin/tests.rs::spot_market_asset_weight
        (0, Initial, 11000),
        (10, Initial, 11000),
        (10000, Initial, 11962),
        (SPOT_IMF_PRECISION // 10, Initial, 40422),
        (SPOT_IMF_PRECISION // 10, Maintenance, 31622),
    ],
)
def test_spot_liability_weight_applies_imf_size_premium(imf_factor, margin_type, expected):
    # Arrange
    spot_market = SpotMarket(
        initial_asset_weight=9000, initial_liability_weight=11000, decimals=6, imf_factor=imf_factor
    )
    # Act
    weight = get_liability_weight(spot_market, 1000 * QUOTE_PRECISION, margin_type)
    # Assert
    assert weight == expected


@pytest.mark.parametrize(
    ("imf_factor", "margin_type", "expected"),
    [
        # math/margin/tests.rs::spot_market_asset_weight (spot_market2)
        (0, Initial, 1500),
        (0, Fill, 4500),
        (0, Maintenance, 7500),
        (SPOT_IMF_PRECISION // 10, Initial, 337),
        (SPOT_IMF_PRECISION // 10, Fill, 337),
        (SPOT_IMF_PRECISION // 10, Maintenance, 337),
    ],
)
def test_spot_asset_weight_by_margin_type(imf_factor, margin_type, expected):
    # Arrange
    spot_market = SpotMarket(
        initial_asset_weight=1500,
        maintenance_asset_weight=7500,
        initial_liability_weight=15000,
        maintenance_liability_weight=12500,
        decimals=6,
        imf_factor=imf_factor,
    )
    # Act
    weight = get_asset_weight(
        spot_market, 100_000 * QUOTE_PRECISION, PRICE_PRECISION // 2, margin_type
    )
    # Assert
    assert weight == expected


@given(
    size=st.integers(min_value=0, max_value=10**20),
    imf=st.integers(min_value=0, max_value=SPOT_IMF_PRECISION),
    weight=st.integers(min_value=0, max_value=5 * MARGIN_PRECISION),
)
def test_size_premium_never_lowers_and_discount_never_raises_weight(size, imf, weight):
    # Act
    premium = calculate_size_premium_liability_weight(size, imf, weight, MARGIN_PRECISION)
    discount = calculate_size_discount_asset_weight(size, imf, weight)
    # Assert
    assert premium >= weight
    assert discount <= weight


# --- perp market ratio and unrealized weight -----------------------------------------------


def _market(**overrides) -> PerpMarket:
    fields = dict(margin_ratio_initial=1000, margin_ratio_maintenance=500)
    fields.update(overrides)
    return PerpMarket(**fields)


@pytest.mark.parametrize(
    ("margin_type", "hlm", "expected"),
    [
        (Initial, False, 1000),
        (Fill, False, 750),
        (Maintenance, False, 500),
        (Initial, True, 200),
        (Fill, True, 150),
        (Maintenance, True, 100),
    ],
)
def test_margin_ratio_by_type_and_high_leverage_mode(margin_type, hlm, expected):
    # drift_core.md 9.1 (Fill = mean of initial and maintenance; HLM ratios when both set)
    # Arrange
    market = _market(
        high_leverage_margin_ratio_initial=200, high_leverage_margin_ratio_maintenance=100
    )
    # Act
    ratio = get_margin_ratio(market, BASE_PRECISION, margin_type, hlm)
    # Assert
    assert ratio == expected


def test_margin_ratio_ignores_high_leverage_mode_without_both_market_ratios():
    # Arrange
    market = _market(high_leverage_margin_ratio_initial=200)
    # Act
    ratio = get_margin_ratio(market, BASE_PRECISION, Initial, True)
    # Assert
    assert ratio == 1000


def test_margin_ratio_is_zero_in_settlement():
    # Arrange
    market = _market(status=MarketStatus.Settlement)
    # Act
    ratio = get_margin_ratio(market, BASE_PRECISION, Initial)
    # Assert
    assert ratio == 0


def test_margin_ratio_adds_imf_size_premium_for_large_positions():
    # premium = 1000 - 200 + isqrt(1e6·1e9·10 + 1)·1000 / 1e7 = 800 + 1e8·1e3/1e7 = 10800
    # Arrange
    market = _market(imf_factor=1000)
    # Act
    ratio = get_margin_ratio(market, 1_000_000 * BASE_PRECISION, Initial)
    # Assert
    assert ratio == 10800


def _btc_market() -> PerpMarket:
    # math/margin/tests.rs::calculate_user_equity_value_tests
    return PerpMarket(
        market_index=0,
        amm=AMM(
            base_asset_reserve=512295081967,
            quote_asset_reserve=488 * AMM_RESERVE_PRECISION,
            sqrt_k=500 * AMM_RESERVE_PRECISION,
            peg_multiplier=22_100_000_000,
            base_asset_amount_with_amm=-12295081967,
            max_spread=1000,
        ),
        margin_ratio_initial=1000,
        margin_ratio_maintenance=500,
        imf_factor=1000,
        unrealized_pnl_initial_asset_weight=10000,
        unrealized_pnl_maintenance_asset_weight=10000,
        unrealized_pnl_imf_factor=1000,
    )


@pytest.mark.parametrize(
    ("unrealized_pnl", "expected"),
    [
        # math/margin/tests.rs::calculate_user_equity_value_tests
        (22699050905, 9559),
        (24282786896, 9516),
        (24282786896 * 10, 7368),
        (24282786896 * 100, 4299),
        (24282786896 * 1000, 1855),
        (24282786896 * 10000, 663),
        (24282786896 * 800000, 78),
    ],
)
def test_unrealized_asset_weight_discounts_large_gains(unrealized_pnl, expected):
    # Arrange
    market = _btc_market()
    # Act
    weight = get_unrealized_asset_weight(market, unrealized_pnl, Initial)
    # Assert
    assert weight == expected


@pytest.mark.parametrize(
    ("unrealized_pnl", "margin_type", "expected"),
    [
        (-1, Initial, SPOT_WEIGHT_PRECISION),
        (-1, Maintenance, SPOT_WEIGHT_PRECISION),
        (1, Maintenance, 10000),
        (1, Initial, 0),
    ],
)
def test_unrealized_asset_weight_counts_losses_fully_and_market_init_gains_at_zero(
    unrealized_pnl, margin_type, expected
):
    # drift_core.md 9.2 step 5 (market init: initial weight 0, maintenance 10_000)
    # Arrange
    market = _market(unrealized_pnl_maintenance_asset_weight=10000)
    # Act
    weight = get_unrealized_asset_weight(market, unrealized_pnl, margin_type)
    # Assert
    assert weight == expected


@pytest.mark.parametrize(
    ("oracle_price", "expected_requirement"),
    [
        # math/margin/tests.rs::calculate_user_equity_value_tests
        (22050 * PRICE_PRECISION, 13555327867),
        (21050 * PRICE_PRECISION, 12940573769),
    ],
)
def test_perp_margin_requirement_initial(oracle_price, expected_requirement):
    # Arrange
    market = _btc_market()
    position = PerpPosition(
        market_index=0, base_asset_amount=-(12295081967 // 2), quote_asset_amount=153688524588
    )
    oracle = OraclePriceData(price=oracle_price, delay=2)
    # Act
    requirement, weighted_pnl, _, _ = calculate_perp_position_value_and_pnl(
        position, market, oracle, PRICE_PRECISION, Initial, 0, False
    )
    # Assert
    assert requirement == expected_requirement
    assert weighted_pnl == 100 * QUOTE_PRECISION  # capped at $100 for Initial


def test_perp_position_includes_unsettled_funding_in_pnl():
    # A long of 1 base owes 1 quote when the long cumulative rate rose by 1e9 (drift_core.md 8.5)
    # Arrange
    market = _market(amm=AMM(cumulative_funding_rate_long=10**9))
    position = PerpPosition(
        base_asset_amount=BASE_PRECISION, quote_asset_amount=-100 * QUOTE_PRECISION
    )
    oracle = OraclePriceData(price=100 * PRICE_PRECISION)
    # Act
    _, weighted_pnl, _, base_value = calculate_perp_position_value_and_pnl(
        position, market, oracle, PRICE_PRECISION, Maintenance
    )
    # Assert
    assert base_value == 100 * QUOTE_PRECISION
    assert weighted_pnl == -1 * QUOTE_PRECISION


def test_perp_position_worst_case_uses_larger_open_order_side_and_charges_open_orders():
    # Arrange
    market = _market()
    position = PerpPosition(
        base_asset_amount=BASE_PRECISION,
        quote_asset_amount=-100 * QUOTE_PRECISION,
        open_orders=2,
        open_bids=2 * BASE_PRECISION,
        open_asks=-5 * BASE_PRECISION,
    )
    oracle = OraclePriceData(price=100 * PRICE_PRECISION)
    # Act
    requirement, _, liability, _ = calculate_perp_position_value_and_pnl(
        position, market, oracle, PRICE_PRECISION, Initial
    )
    # Assert: asks side |1 - 5| = 4 base beats bids side 3 base
    assert liability == 400 * QUOTE_PRECISION
    assert requirement == 40 * QUOTE_PRECISION + 2 * 10_000


def test_perp_position_strict_quote_price_raises_liability_and_lowers_gains():
    # drift_core.md 9.2 steps 3 and 6
    # Arrange
    market = _market(unrealized_pnl_maintenance_asset_weight=10000)
    position = PerpPosition(
        base_asset_amount=BASE_PRECISION, quote_asset_amount=-90 * QUOTE_PRECISION
    )
    oracle = OraclePriceData(price=100 * PRICE_PRECISION)
    # Act
    _, weighted_pnl, liability, _ = calculate_perp_position_value_and_pnl(
        position, market, oracle, 1_000_000, Maintenance, 0, False, True, 1_010_000
    )
    # Assert
    assert liability == 101 * QUOTE_PRECISION
    assert weighted_pnl == 10 * QUOTE_PRECISION  # min(oracle, twap) = 1.00


def _usdc_market() -> SpotMarket:
    return SpotMarket(
        market_index=0,
        cumulative_deposit_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
        cumulative_borrow_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
        decimals=6,
        initial_asset_weight=SPOT_WEIGHT_PRECISION,
        maintenance_asset_weight=SPOT_WEIGHT_PRECISION,
        initial_liability_weight=SPOT_WEIGHT_PRECISION,
        maintenance_liability_weight=SPOT_WEIGHT_PRECISION,
        deposit_balance=10000 * SPOT_BALANCE_PRECISION,
        historical_oracle_data=HistoricalOracleData(
            last_oracle_price=PRICE_PRECISION,
            last_oracle_price_twap=PRICE_PRECISION,
            last_oracle_price_twap_5min=PRICE_PRECISION,
        ),
    )


def _sol_market(**overrides) -> SpotMarket:
    fields = dict(
        market_index=1,
        cumulative_deposit_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
        cumulative_borrow_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
        decimals=9,
        initial_asset_weight=8 * SPOT_WEIGHT_PRECISION // 10,
        maintenance_asset_weight=9 * SPOT_WEIGHT_PRECISION // 10,
        initial_liability_weight=12 * SPOT_WEIGHT_PRECISION // 10,
        maintenance_liability_weight=11 * SPOT_WEIGHT_PRECISION // 10,
    )
    fields.update(overrides)
    return SpotMarket(**fields)


def _oracle_map() -> OracleMap:
    return OracleMap(
        slot=0,
        readings={
            (MarketType.Spot, 0): OracleReading(source=OracleSource.QuoteAsset),
            (MarketType.Spot, 1): OracleReading(price=100 * PRICE_PRECISION),
            (MarketType.Perp, 0): OracleReading(price=100 * PRICE_PRECISION),
        },
    )


def _sol_perp() -> PerpMarket:
    history = HistoricalOracleData(last_oracle_price_twap=100 * PRICE_PRECISION)
    return PerpMarket(
        amm=AMM(historical_oracle_data=history),
        margin_ratio_initial=1000,
        margin_ratio_maintenance=500,
    )


@pytest.mark.parametrize(
    ("sol_position", "sol_overrides", "usdc_scaled", "expected_requirement", "expected_collateral"),
    [
        # math/margin/tests.rs::usdc_deposit_and_5x_sol_bid
        (
            SpotPosition(market_index=1, open_orders=1, open_bids=500 * 10**9),
            {},
            10000 * SPOT_BALANCE_PRECISION,
            50000010000,
            50000000000,
        ),
        # math/margin/tests.rs::usdc_deposit_and_5x_sol_ask
        (
            SpotPosition(market_index=1, open_orders=1, open_asks=-500 * 10**9),
            {},
            10000 * SPOT_BALANCE_PRECISION,
            60000010000,
            60000000000,
        ),
        # math/margin/tests.rs::sol_deposit_and_5x_sol_ask
        (
            SpotPosition(
                market_index=1,
                scaled_balance=500 * SPOT_BALANCE_PRECISION,
                open_orders=1,
                open_asks=-3000 * 10**9,
            ),
            {"deposit_balance": 10000 * SPOT_BALANCE_PRECISION},
            0,
            300000010000,
            300000000000,
        ),
    ],
)
def test_spot_open_orders_margin_uses_worst_case_fill(
    sol_position, sol_overrides, usdc_scaled, expected_requirement, expected_collateral
):
    # Arrange
    spot_markets = {0: _usdc_market(), 1: _sol_market(**sol_overrides)}
    user = User(
        spot_positions=[SpotPosition(market_index=0, scaled_balance=usdc_scaled), sol_position]
    )
    # Act
    calc = calculate_margin_requirement_and_total_collateral_and_liability_info(
        user, {}, spot_markets, _oracle_map(), MarginContext.standard(Initial)
    )
    # Assert
    assert calc.margin_requirement == expected_requirement
    assert calc.total_collateral == expected_collateral


def _custom_ratio_user(max_margin_ratio: int = 0) -> User:
    return User(
        spot_positions=[
            SpotPosition(market_index=0, scaled_balance=100 * SPOT_BALANCE_PRECISION),
            SpotPosition(
                market_index=1,
                scaled_balance=100 * SPOT_BALANCE_PRECISION,
                balance_type=SpotBalanceType.Borrow,
            ),
        ],
        perp_positions=[PerpPosition(market_index=0, base_asset_amount=100 * BASE_PRECISION)],
        max_margin_ratio=max_margin_ratio,
    )


@pytest.mark.parametrize(
    ("max_margin_ratio", "margin_type", "expected"),
    [
        # math/margin/tests.rs::user_custom_margin_ratio
        (2 * MARGIN_PRECISION, Initial, 50000000000),
        (MARGIN_PRECISION, Initial, 30000000000),
        (MARGIN_PRECISION // 2, Initial, 20000000000),
        (10 * MARGIN_PRECISION, Maintenance, 11500000000),
    ],
)
def test_user_custom_margin_ratio_floors_initial_requirement(
    max_margin_ratio, margin_type, expected
):
    # Arrange
    user = _custom_ratio_user(max_margin_ratio)
    # Act
    calc = calculate_margin_requirement_and_total_collateral_and_liability_info(
        user,
        {0: _sol_perp()},
        {0: _usdc_market(), 1: _sol_market()},
        _oracle_map(),
        MarginContext.standard(margin_type),
    )
    # Assert
    assert calc.margin_requirement == expected


@pytest.mark.parametrize(
    ("override", "margin_type", "expected"),
    [
        # math/margin/tests.rs::margin_ratio_override
        (2 * MARGIN_PRECISION, Initial, 50000000000),
        (MARGIN_PRECISION, Initial, 30000000000),
        (MARGIN_PRECISION // 2, Initial, 20000000000),
        (10 * MARGIN_PRECISION, Maintenance, 210000000000),
    ],
)
def test_margin_ratio_override_floors_every_margin_type(override, margin_type, expected):
    # Arrange
    user = _custom_ratio_user()
    # Act
    calc = calculate_margin_requirement_and_total_collateral_and_liability_info(
        user,
        {0: _sol_perp()},
        {0: _usdc_market(), 1: _sol_market()},
        _oracle_map(),
        MarginContext.standard(margin_type).with_margin_ratio_override(override),
    )
    # Assert
    assert calc.margin_requirement == expected


def test_user_custom_margin_ratio_caps_spot_asset_weight():
    # math/margin/tests.rs::user_custom_margin_ratio (100 SOL deposit at 2x => weight 0.5)
    # Arrange
    user = User(
        spot_positions=[SpotPosition(market_index=1, scaled_balance=100 * SPOT_BALANCE_PRECISION)],
        max_margin_ratio=MARGIN_PRECISION // 2,
    )
    # Act
    calc = calculate_margin_requirement_and_total_collateral_and_liability_info(
        user,
        {},
        {0: _usdc_market(), 1: _sol_market()},
        _oracle_map(),
        MarginContext.standard(Initial),
    )
    # Assert
    assert calc.total_collateral == 5000000000


def _quote_and_long_user(quote_asset_amount: int) -> User:
    return User(
        spot_positions=[SpotPosition(market_index=0, scaled_balance=1000 * SPOT_BALANCE_PRECISION)],
        perp_positions=[
            PerpPosition(
                market_index=0,
                base_asset_amount=100 * BASE_PRECISION,
                quote_asset_amount=quote_asset_amount,
            )
        ],
    )


def test_margin_calculation_counts_quote_deposit_and_perp_pnl():
    # $1000 deposit, 100 SOL long bought at $110 now at $100: pnl -$1000
    # Arrange
    user = _quote_and_long_user(-11000 * QUOTE_PRECISION)
    # Act
    calc = calculate_margin_requirement_and_total_collateral_and_liability_info(
        user,
        {0: _sol_perp()},
        {0: _usdc_market()},
        _oracle_map(),
        MarginContext.standard(Maintenance),
    )
    # Assert
    assert calc.total_collateral == 0
    assert calc.margin_requirement == 500 * QUOTE_PRECISION
    assert calc.num_perp_liabilities == 1
    assert calc.total_perp_liability_value == 10000 * QUOTE_PRECISION
    assert calc.all_oracles_valid


def test_liquidation_buffer_adds_to_requirement_and_negative_collateral():
    # drift_core.md 9.3: buffer 2% on the $10000 liability and on the -$1000 pnl
    # Arrange
    user = _quote_and_long_user(-11000 * QUOTE_PRECISION)
    # Act
    calc = calculate_margin_requirement_and_total_collateral_and_liability_info(
        user, {0: _sol_perp()}, {0: _usdc_market()}, _oracle_map(), MarginContext.liquidation(200)
    )
    # Assert
    assert calc.margin_requirement_plus_buffer == 700 * QUOTE_PRECISION
    assert calc.total_collateral_buffer == -20 * QUOTE_PRECISION
    assert calc.margin_shortage() == 720 * QUOTE_PRECISION
    assert not calc.can_exit_liquidation()


def test_meets_margin_requirement_helpers_compare_collateral_with_requirement():
    # $1000 deposit, 100 SOL long bought at $100: initial $1000 met, maintenance $500 met
    # Arrange
    user = _quote_and_long_user(-10000 * QUOTE_PRECISION)
    args = (user, {0: _sol_perp()}, {0: _usdc_market()}, _oracle_map())
    # Act / Assert
    assert meets_initial_margin_requirement(*args)
    assert meets_maintenance_margin_requirement(*args)
    user.perp_positions[0].quote_asset_amount -= 1
    assert not meets_initial_margin_requirement(*args)


def test_tracked_market_margin_shortage_is_pro_rata():
    # Arrange
    context = MarginContext.liquidation(100).track_market_margin_requirement(MarketType.Perp, 0)
    calc = MarginCalculation(context)
    calc.add_margin_requirement(300, 0, MarketType.Perp, 0)
    calc.add_margin_requirement(700, 0, MarketType.Perp, 1)
    # Act
    share = calc.tracked_market_margin_shortage(100)
    # Assert
    assert calc.tracked_market_margin_requirement == 300
    assert share == 30


def test_tracking_a_market_outside_liquidation_mode_is_rejected():
    # Act / Assert
    with pytest.raises(InvalidMarginCalculation):
        MarginContext.standard(Initial).track_market_margin_requirement(MarketType.Perp, 0)


def test_free_collateral_is_clamped_at_zero():
    # Arrange
    calc = MarginCalculation(
        MarginContext.standard(Initial), total_collateral=5, margin_requirement=9
    )
    # Act / Assert
    assert calc.get_free_collateral() == 0
