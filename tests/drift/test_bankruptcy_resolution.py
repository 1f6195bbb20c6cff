"""resolve_perp_bankruptcy, resolve_spot_bankruptcy and resolve_perp_pnl_deficit from dataclasses.

Reference vectors: programs/drift/src/controller/liquidation/tests.rs::resolve_perp_bankruptcy
(successful_resolve_perp_bankruptcy, successful_resolve_perp_bankruptcy_with_fee_pool) and
::resolve_spot_bankruptcy (successful_resolve_spot_bankruptcy); the waterfall rules of
drift_insurance.md section 9 and drift_core.md 10.7 (bankruptcy_funding_rate_delta).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballast.drift.constants import (
    AMM_RESERVE_PRECISION,
    BASE_PRECISION,
    FUNDING_RATE_PRECISION,
    LIQUIDATION_FEE_PRECISION,
    PEG_PRECISION,
    QUOTE_PRECISION,
    SPOT_BALANCE_PRECISION,
    SPOT_CUMULATIVE_INTEREST_PRECISION,
    SPOT_WEIGHT_PRECISION,
)
from ballast.drift.controller.funding import settle_funding_payment
from ballast.drift.controller.liquidation import (
    resolve_perp_bankruptcy,
    resolve_perp_pnl_deficit,
    resolve_spot_bankruptcy,
)
from ballast.drift.errors import (
    CantResolvePerpBankruptcy,
    MaxIFWithdrawReached,
    NoAmmPerpPnlDeficit,
    PerpPnlDeficitBelowThreshold,
    UserHasInvalidBorrow,
    UserIsBeingLiquidated,
    UserNotBankrupt,
)
from ballast.drift.events import InsuranceFundRecord, LiquidationRecord, LiquidationType
from ballast.drift.math.liquidation import calculate_funding_rate_deltas_to_resolve_bankruptcy
from ballast.drift.math.spot_balance import get_token_amount
from ballast.drift.state.oracle import OracleSource
from ballast.drift.state.oracle_map import OracleMap, OracleReading
from ballast.drift.state.perp_market import (
    AMM,
    HistoricalOracleData,
    InsuranceClaim,
    MarketStatus,
    PerpMarket,
    PoolBalance,
)
from ballast.drift.state.spot_market import InsuranceFund, SpotBalanceType, SpotMarket
from ballast.drift.state.user import (
    MarketType,
    Order,
    OrderStatus,
    OrderType,
    PerpPosition,
    SpotPosition,
    User,
    UserStatus,
)

FUNDING = FUNDING_RATE_PRECISION


def _oracle_map() -> OracleMap:
    return OracleMap(
        slot=0,
        readings={
            (MarketType.Perp, 0): OracleReading(price=100 * 10**6),
            (MarketType.Spot, 0): OracleReading(source=OracleSource.QuoteAsset),
        },
    )


def _market(fee_pool_scaled: int = 0, **claim: int) -> PerpMarket:
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
            base_asset_amount_long=5 * BASE_PRECISION,
            base_asset_amount_short=-5 * BASE_PRECISION,
            base_asset_amount_with_amm=BASE_PRECISION,
            cumulative_funding_rate_long=1000 * FUNDING,
            cumulative_funding_rate_short=-1000 * FUNDING,
            fee_pool=PoolBalance(scaled_balance=fee_pool_scaled),
            historical_oracle_data=HistoricalOracleData(
                last_oracle_price=100 * 10**6,
                last_oracle_price_twap=100 * 10**6,
                last_oracle_price_twap_5min=100 * 10**6,
            ),
        ),
        margin_ratio_initial=1000,
        margin_ratio_maintenance=500,
        status=MarketStatus.Initialized,
        liquidator_fee=LIQUIDATION_FEE_PRECISION // 100,
        number_of_users=1,
        insurance_claim=InsuranceClaim(**claim),
    )


def _quote_market(deposit_balance: int = 0, if_vault: int = 0, vault: int = 0) -> SpotMarket:
    return SpotMarket(
        market_index=0,
        cumulative_deposit_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
        cumulative_borrow_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
        decimals=6,
        initial_asset_weight=SPOT_WEIGHT_PRECISION,
        deposit_balance=deposit_balance,
        vault_amount=vault,
        insurance_fund=InsuranceFund(vault_amount=if_vault),
        historical_oracle_data=HistoricalOracleData(
            last_oracle_price=QUOTE_PRECISION,
            last_oracle_price_twap=QUOTE_PRECISION,
            last_oracle_price_twap_5min=QUOTE_PRECISION,
        ),
    )


def _bankrupt_perp_user(loss: int = 100 * QUOTE_PRECISION) -> User:
    return User(
        authority="user",
        orders=[
            Order(
                market_index=0,
                status=OrderStatus.Open,
                order_type=OrderType.Limit,
                base_asset_amount=BASE_PRECISION,
            )
        ],
        perp_positions=[
            PerpPosition(
                market_index=0,
                quote_asset_amount=-loss,
                quote_entry_amount=-loss,
                quote_break_even_amount=-loss,
                open_orders=1,
                open_bids=BASE_PRECISION,
            )
        ],
        status=UserStatus.Bankrupt,
        next_liquidation_id=2,
    )


def _liquidator() -> User:
    return User(
        authority="liquidator",
        spot_positions=[
            SpotPosition(
                market_index=0,
                balance_type=SpotBalanceType.Deposit,
                scaled_balance=50 * SPOT_BALANCE_PRECISION,
            )
        ],
    )


def _affected(base: int, quote: int, last_rate: int) -> User:
    return User(
        authority="affected",
        perp_positions=[
            PerpPosition(
                market_index=0,
                base_asset_amount=base,
                quote_asset_amount=quote,
                quote_entry_amount=quote,
                quote_break_even_amount=quote,
                last_cumulative_funding_rate=last_rate,
            )
        ],
    )


def _resolve_perp(market: PerpMarket, spot_market: SpotMarket, user: User | None = None):
    user = user or _bankrupt_perp_user()
    events: list = []
    if_payment = resolve_perp_bankruptcy(
        0, user, _liquidator(), {0: market}, {0: spot_market}, _oracle_map(), 0, events
    )
    return user, if_payment, events


def test_perp_bankruptcy_socialises_loss_on_both_sides():
    # Arrange: tests.rs::successful_resolve_perp_bankruptcy (no IF, empty fee pool)
    market, spot_market = _market(), _quote_market()
    # Act
    user, if_payment, events = _resolve_perp(market, spot_market)
    # Assert
    assert if_payment == 0
    assert user.status == 0
    assert user.perp_positions[0].quote_asset_amount == 0
    assert user.total_social_loss == 100_000_000
    assert market.amm.cumulative_funding_rate_long == 1010 * FUNDING
    assert market.amm.cumulative_funding_rate_short == -1010 * FUNDING
    assert market.amm.total_social_loss == 100_000_000
    assert market.amm.quote_asset_amount == -50 * QUOTE_PRECISION
    assert market.number_of_users == 0
    record = events[-1]
    assert isinstance(record, LiquidationRecord)
    assert record.liquidation_type is LiquidationType.PerpBankruptcy
    assert (record.liquidation_id, record.pnl, record.cumulative_funding_rate_delta) == (
        1,
        -100_000_000,
        10 * FUNDING,
    )


@pytest.mark.parametrize(
    "base,quote,last_rate,quote_after",
    [
        (5 * BASE_PRECISION, -500 * QUOTE_PRECISION, 1000 * FUNDING, -550 * QUOTE_PRECISION),
        (-5 * BASE_PRECISION, 500 * QUOTE_PRECISION, -1000 * FUNDING, 450 * QUOTE_PRECISION),
    ],
    ids=["long_pays_50", "short_pays_50"],
)
def test_socialised_loss_is_paid_at_next_funding_settlement(base, quote, last_rate, quote_after):
    # Arrange: tests.rs::successful_resolve_perp_bankruptcy, affected long and short users
    market = _market()
    _resolve_perp(market, _quote_market())
    affected = _affected(base, quote, last_rate)
    # Act
    settle_funding_payment(affected, market, 0)
    # Assert
    position = affected.perp_positions[0]
    assert position.quote_asset_amount == quote_after
    assert position.quote_break_even_amount == quote_after
    assert affected.cumulative_perp_funding == -50 * QUOTE_PRECISION
    assert position.last_cumulative_funding_rate == (1010 if base > 0 else -1010) * FUNDING


def test_perp_bankruptcy_fee_pool_pays_before_socialisation():
    # Arrange: tests.rs::successful_resolve_perp_bankruptcy_with_fee_pool
    market = _market(fee_pool_scaled=50 * SPOT_BALANCE_PRECISION)
    spot_market = _quote_market(deposit_balance=500 * SPOT_BALANCE_PRECISION)
    # Act
    user, _, _ = _resolve_perp(market, spot_market)
    # Assert
    assert user.total_social_loss == 100_000_000
    assert market.amm.cumulative_funding_rate_long == 1005 * FUNDING
    assert market.amm.cumulative_funding_rate_short == -1005 * FUNDING
    assert market.amm.total_social_loss == 50_000_000
    assert market.amm.fee_pool.scaled_balance == 0


def test_fee_pool_payment_is_booked_as_unallocated_surplus():
    # Arrange: the fee pool debit has no matching credit (drift_insurance.md 9.2 step 4)
    market = _market(fee_pool_scaled=50 * SPOT_BALANCE_PRECISION)
    spot_market = _quote_market(deposit_balance=500 * SPOT_BALANCE_PRECISION)
    # Act
    _resolve_perp(market, spot_market)
    # Assert
    assert market.bankruptcy_fee_pool_surplus == 50 * QUOTE_PRECISION
    assert market.pnl_pool.scaled_balance == 0
    assert spot_market.deposit_balance == 450 * SPOT_BALANCE_PRECISION


def test_insurance_fund_pays_up_to_remaining_max_insurance_into_pnl_pool():
    # Arrange: IF holds $1000 but only $30 of the market's claim is left
    market = _market(
        quote_max_insurance=40 * QUOTE_PRECISION, quote_settled_insurance=10 * QUOTE_PRECISION
    )
    spot_market = _quote_market(if_vault=1000 * QUOTE_PRECISION, vault=0)
    # Act
    _, if_payment, events = _resolve_perp(market, spot_market)
    # Assert
    assert if_payment == 30 * QUOTE_PRECISION
    assert market.insurance_claim.quote_settled_insurance == 40 * QUOTE_PRECISION
    assert get_token_amount(
        market.pnl_pool.scaled_balance, spot_market, SpotBalanceType.Deposit
    ) == (30 * QUOTE_PRECISION)
    assert spot_market.insurance_fund.vault_amount == 970 * QUOTE_PRECISION
    assert spot_market.vault_amount == 30 * QUOTE_PRECISION
    assert market.amm.total_social_loss == 70 * QUOTE_PRECISION
    assert events[-1].if_payment == 30 * QUOTE_PRECISION


def test_insurance_fund_keeps_one_token():
    # Arrange: IF vault of $20 against a $100 loss and ample insurance allowance
    market = _market(quote_max_insurance=1000 * QUOTE_PRECISION)
    spot_market = _quote_market(if_vault=20 * QUOTE_PRECISION)
    # Act
    _, if_payment, _ = _resolve_perp(market, spot_market)
    # Assert
    assert if_payment == 20 * QUOTE_PRECISION - 1
    assert spot_market.insurance_fund.vault_amount == 1


def test_zero_open_interest_errors_even_when_insurance_covers_the_loss():
    # Arrange
    market = _market(quote_max_insurance=1000 * QUOTE_PRECISION)
    market.amm.base_asset_amount_long = market.amm.base_asset_amount_short = 0
    spot_market = _quote_market(if_vault=1000 * QUOTE_PRECISION)
    # Act / Assert
    with pytest.raises(CantResolvePerpBankruptcy):
        _resolve_perp(market, spot_market)


def test_perp_bankruptcy_requires_a_bankrupt_user():
    # Arrange: a user with a deposit is not bankrupt
    user = _bankrupt_perp_user()
    user.status = 0
    user.spot_positions.append(SpotPosition(market_index=0, scaled_balance=SPOT_BALANCE_PRECISION))
    # Act / Assert
    with pytest.raises(UserNotBankrupt):
        _resolve_perp(_market(), _quote_market(deposit_balance=SPOT_BALANCE_PRECISION), user)


def test_liquidator_being_liquidated_cannot_resolve():
    # Arrange
    liquidator = _liquidator()
    liquidator.status = UserStatus.BeingLiquidated
    # Act / Assert
    with pytest.raises(UserIsBeingLiquidated):
        resolve_perp_bankruptcy(
            0,
            _bankrupt_perp_user(),
            liquidator,
            {0: _market()},
            {0: _quote_market()},
            _oracle_map(),
            0,
            [],
        )


@pytest.mark.parametrize(
    "loss,long,short,expected",
    [
        (-100 * QUOTE_PRECISION, 5 * BASE_PRECISION, -5 * BASE_PRECISION, 10 * FUNDING),
        (-1, 3 * BASE_PRECISION, 0, 1000),  # ceil(1e9 / 3e9) = 1, never 0
        (-7, 2, -1, 2_333_333_334 * 1000),
    ],
    ids=["tests_rs_vector", "ceil_small_loss", "ceil_tiny_oi"],
)
def test_bankruptcy_funding_rate_delta(loss, long, short, expected):
    # Arrange
    market = PerpMarket(amm=AMM(base_asset_amount_long=long, base_asset_amount_short=short))
    # Act / Assert
    assert calculate_funding_rate_deltas_to_resolve_bankruptcy(loss, market) == expected


@given(
    loss=st.integers(1, 10**12),
    if_vault=st.integers(0, 10**12),
    max_insurance=st.integers(0, 10**12),
    fee_pool=st.integers(0, 10**12),
    long=st.integers(1, 10**13),
    short=st.integers(0, 10**13),
)
def test_socialised_loss_is_loss_minus_insurance_and_fee_pool(
    loss, if_vault, max_insurance, fee_pool, long, short
):
    # Arrange
    market = _market(fee_pool_scaled=fee_pool * 1000, quote_max_insurance=max_insurance)
    market.amm.base_asset_amount_long, market.amm.base_asset_amount_short = long, -short
    spot_market = _quote_market(deposit_balance=fee_pool * 1000, if_vault=if_vault)
    rates = (market.amm.cumulative_funding_rate_long, market.amm.cumulative_funding_rate_short)
    # Act
    _, if_payment, events = _resolve_perp(market, spot_market, _bankrupt_perp_user(loss))
    # Assert
    fee_pool_payment = market.bankruptcy_fee_pool_surplus
    assert if_payment == min(loss, max(if_vault - 1, 0), max_insurance)
    assert fee_pool_payment == min(loss - if_payment, fee_pool)
    socialised = loss - if_payment - fee_pool_payment
    assert market.amm.total_social_loss == socialised
    delta = -(-socialised * AMM_RESERVE_PRECISION // (long + short)) * 1000
    assert events[-1].cumulative_funding_rate_delta == delta
    moved = delta if socialised > 0 else 0
    assert market.amm.cumulative_funding_rate_long == rates[0] + moved
    assert market.amm.cumulative_funding_rate_short == rates[1] - moved


def _spot_bankrupt_user() -> User:
    return User(
        authority="user",
        orders=[
            Order(
                market_index=0,
                status=OrderStatus.Open,
                order_type=OrderType.Limit,
                base_asset_amount=BASE_PRECISION,
            )
        ],
        spot_positions=[
            SpotPosition(
                market_index=0,
                scaled_balance=100 * SPOT_BALANCE_PRECISION,
                balance_type=SpotBalanceType.Borrow,
            )
        ],
        status=UserStatus.Bankrupt,
        next_liquidation_id=2,
    )


def _borrowed_quote_market(if_vault: int = 0) -> SpotMarket:
    spot_market = _quote_market(deposit_balance=1000 * SPOT_BALANCE_PRECISION, if_vault=if_vault)
    spot_market.borrow_balance = 100 * SPOT_BALANCE_PRECISION
    return spot_market


def _resolve_spot(spot_market: SpotMarket, user: User):
    events: list = []
    if_payment = resolve_spot_bankruptcy(
        0, user, _liquidator(), {0: _market()}, {0: spot_market}, _oracle_map(), 0, events
    )
    return if_payment, events


def test_spot_bankruptcy_cuts_deposit_interest():
    # Arrange: tests.rs::successful_resolve_spot_bankruptcy
    spot_market, user = _borrowed_quote_market(), _spot_bankrupt_user()
    # Act
    if_payment, events = _resolve_spot(spot_market, user)
    # Assert
    assert if_payment == 0
    assert user.status == 0
    assert user.spot_positions[0].scaled_balance == 0
    assert user.spot_positions[0].cumulative_deposits == 100 * QUOTE_PRECISION
    assert user.total_social_loss == 100_000_000
    assert spot_market.borrow_balance == 0
    assert spot_market.cumulative_deposit_interest == 9 * SPOT_CUMULATIVE_INTEREST_PRECISION // 10
    assert spot_market.total_social_loss == 100 * QUOTE_PRECISION
    assert spot_market.total_quote_social_loss == 100 * QUOTE_PRECISION
    assert get_token_amount(spot_market.deposit_balance, spot_market, SpotBalanceType.Deposit) == (
        900 * QUOTE_PRECISION
    )
    assert events[-1].liquidation_type is LiquidationType.SpotBankruptcy
    assert events[-1].borrow_amount == 100 * QUOTE_PRECISION


def test_spot_bankruptcy_insurance_fund_pays_first_without_cap():
    # Arrange: IF vault $40 -> pays $40 - 1 unit; the rest is socialised
    spot_market, user = _borrowed_quote_market(if_vault=40 * QUOTE_PRECISION), _spot_bankrupt_user()
    # Act
    if_payment, events = _resolve_spot(spot_market, user)
    # Assert
    assert if_payment == 40 * QUOTE_PRECISION - 1
    assert spot_market.insurance_fund.vault_amount == 1
    assert spot_market.vault_amount == 40 * QUOTE_PRECISION - 1
    socialised = 100 * QUOTE_PRECISION - if_payment
    expected_delta = -(-SPOT_CUMULATIVE_INTEREST_PRECISION * socialised // (1000 * QUOTE_PRECISION))
    assert events[-1].cumulative_deposit_interest_delta == expected_delta
    assert (
        spot_market.cumulative_deposit_interest
        == SPOT_CUMULATIVE_INTEREST_PRECISION - expected_delta
    )


def test_spot_bankruptcy_rejects_a_deposit():
    # Arrange
    user = _spot_bankrupt_user()
    user.spot_positions[0].balance_type = SpotBalanceType.Deposit
    user.perp_positions.append(PerpPosition(market_index=0, quote_asset_amount=-1))
    # Act / Assert
    with pytest.raises(UserHasInvalidBorrow):
        _resolve_spot(_borrowed_quote_market(), user)


def _deficit_market(**claim: int) -> PerpMarket:
    market = _market(**claim)
    market.amm.total_fee_minus_distributions = -10 * QUOTE_PRECISION
    market.unrealized_pnl_max_imbalance = 20 * QUOTE_PRECISION
    # users net winners: net user pnl = 1 base x $100 - $50 = $50 (> $20 imbalance)
    market.amm.base_asset_amount_with_amm = BASE_PRECISION
    market.amm.quote_asset_amount = -50 * QUOTE_PRECISION
    return market


def test_pnl_deficit_paid_by_insurance_within_limits():
    # Arrange: excess $30, period room $25, insurance room $100, IF vault $1000
    market = _deficit_market(
        max_revenue_withdraw_per_period=25 * QUOTE_PRECISION,
        quote_max_insurance=100 * QUOTE_PRECISION,
    )
    spot_market = _quote_market(if_vault=1000 * QUOTE_PRECISION)
    events: list = []
    # Act
    paid = resolve_perp_pnl_deficit(0, {0: market}, {0: spot_market}, 7, events)
    # Assert
    assert paid == 25 * QUOTE_PRECISION
    assert market.amm.total_fee_minus_distributions == 15 * QUOTE_PRECISION
    assert market.insurance_claim.revenue_withdraw_since_last_settle == 25 * QUOTE_PRECISION
    assert market.insurance_claim.quote_settled_insurance == 25 * QUOTE_PRECISION
    assert market.insurance_claim.last_revenue_withdraw_ts == 7
    assert market.pnl_pool.scaled_balance == 25 * SPOT_BALANCE_PRECISION
    assert spot_market.insurance_fund.vault_amount == 975 * QUOTE_PRECISION
    assert spot_market.vault_amount == 25 * QUOTE_PRECISION
    assert isinstance(events[-1], InsuranceFundRecord) and events[-1].amount == -paid
    assert market.amm.total_social_loss == 0


@pytest.mark.parametrize(
    "change,error",
    [
        ({"total_fee_minus_distributions": 0}, NoAmmPerpPnlDeficit),
        ({"unrealized_pnl_max_imbalance": 0}, PerpPnlDeficitBelowThreshold),
        ({"quote_settled_insurance": 100 * QUOTE_PRECISION}, MaxIFWithdrawReached),
    ],
    ids=["no_deficit", "imbalance_zero_never_usable", "insurance_exhausted"],
)
def test_pnl_deficit_guards(change, error):
    # Arrange
    market = _deficit_market(
        max_revenue_withdraw_per_period=25 * QUOTE_PRECISION,
        quote_max_insurance=100 * QUOTE_PRECISION,
    )
    for name, value in change.items():
        target = market.amm if hasattr(market.amm, name) else market
        target = market.insurance_claim if hasattr(market.insurance_claim, name) else target
        setattr(target, name, value)
    # Act / Assert
    with pytest.raises(error):
        resolve_perp_pnl_deficit(
            0, {0: market}, {0: _quote_market(if_vault=1000 * QUOTE_PRECISION)}, 0, []
        )
