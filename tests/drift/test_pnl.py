"""Pnl math and pool balancing: claimable pnl, net user pnl, update_pool_balances.

Vectors are transcribed from programs/drift/src/state/user/tests.rs (get_claimable_pnl) and
programs/drift/src/controller/amm/tests.rs (update_pool_balances_*). The reference tests use
`SpotMarket::default()`, whose decimals are 0 (1 token = 1e9 scaled at index 1.0).
"""

from __future__ import annotations

import pytest

from ballast.drift.constants import (
    AMM_RESERVE_PRECISION,
    FEE_POOL_TO_REVENUE_POOL_THRESHOLD,
    PRICE_PRECISION,
    QUOTE_PRECISION,
    SPOT_BALANCE_PRECISION,
    SPOT_CUMULATIVE_INTEREST_PRECISION,
)
from ballast.drift.controller.pnl import settle_pnl, update_pool_balances
from ballast.drift.controller.spot_balance import update_spot_balances
from ballast.drift.events import SettlePnlRecord
from ballast.drift.math.pnl import (
    calculate_max_pnl_pool_excess,
    calculate_net_user_pnl,
    get_claimable_pnl,
    get_unrealized_pnl,
)
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
from ballast.drift.state.spot_market import SpotBalanceType, SpotMarket
from ballast.drift.state.state import State
from ballast.drift.state.user import MarketType, PerpPosition, SpotPosition, User

NOW = 33_928_058


def _tokens(pool: PoolBalance, spot_market: SpotMarket) -> int:
    return get_token_amount(pool.scaled_balance, spot_market, SpotBalanceType.Deposit)


# --- claimable pnl: multiple_users_test_partially_claimable_from_pnl_pool_excess and
# multiple_users_test_fully_claimable_from_pnl_pool_excess (oracle, position, excess, upnl, claimable)
CLAIMABLE_CASES = [
    ("partial_short_flat", 150, (-1, 150, 100), 9_000_000, 0, 0),
    ("partial_long_realized_gain", 150, (1, -149, -150), 9_000_000, 1_000_000, 1_000_000),
    ("partial_long_capped_by_excess", 150, (1, -100, -100), 9_000_000, 50_000_000, 9_000_000),
    ("full_short_loss", 160, (-1, 150, 100), 940_000_000, -10_000_000, -10_000_000),
    ("full_long_gain", 160, (1, -150, -160), 940_000_000, 10_000_000, 10_000_000),
    ("full_long_gain_from_excess", 160, (1, -100, -100), 940_000_000, 60_000_000, 60_000_000),
    ("no_claimable_without_excess", 150, (1, -100, -100), 0, 50_000_000, 0),
]


@pytest.mark.parametrize(
    "oracle,position,excess,expected_upnl,expected_claimable",
    [case[1:] for case in CLAIMABLE_CASES],
    ids=[case[0] for case in CLAIMABLE_CASES],
)
def test_claimable_pnl_matches_reference(oracle, position, excess, expected_upnl, expected_claimable):
    # Arrange
    base, quote, entry = position
    perp_position = PerpPosition(
        base_asset_amount=base * AMM_RESERVE_PRECISION,
        quote_asset_amount=quote * QUOTE_PRECISION,
        quote_entry_amount=entry * QUOTE_PRECISION,
        quote_break_even_amount=entry * QUOTE_PRECISION,
    )
    oracle_price = oracle * PRICE_PRECISION
    # Act
    upnl = get_unrealized_pnl(perp_position, oracle_price)
    claimable = get_claimable_pnl(perp_position, oracle_price, excess)
    # Assert
    assert upnl == expected_upnl
    assert claimable == expected_claimable


# (amm quote, oracle, pnl pool tokens, net user pnl, excess) from the same reference tests
NET_USER_PNL_CASES = [
    ("no_claimable", -100, 150, 10_000_000, 50_000_000, 0),
    ("partially_claimable", -99, 150, 60_000_000, 51_000_000, 9_000_000),
    ("fully_claimable", -100, 160, 1_000_000_000, 60_000_000, 940_000_000),
]


@pytest.mark.parametrize(
    "amm_quote,oracle,pnl_pool,expected_net,expected_excess",
    [case[1:] for case in NET_USER_PNL_CASES],
    ids=[case[0] for case in NET_USER_PNL_CASES],
)
def test_net_user_pnl_and_pool_excess_match_reference(
    amm_quote, oracle, pnl_pool, expected_net, expected_excess
):
    # Arrange: users net long 1 base against the AMM
    amm = AMM(
        base_asset_amount_with_amm=AMM_RESERVE_PRECISION, quote_asset_amount=amm_quote * QUOTE_PRECISION
    )
    # Act
    net_user_pnl = calculate_net_user_pnl(amm, oracle * PRICE_PRECISION)
    excess = calculate_max_pnl_pool_excess(pnl_pool, 0, net_user_pnl)
    # Assert
    assert net_user_pnl == expected_net
    assert excess == expected_excess


def test_net_user_pnl_counts_unsettled_lp_and_funding_terms():
    # Arrange: spec 7.5 terms; short 2 base with AMM and 1 base unsettled LP at $10
    amm = AMM(
        base_asset_amount_with_amm=-2 * AMM_RESERVE_PRECISION,
        base_asset_amount_with_unsettled_lp=AMM_RESERVE_PRECISION,
        quote_asset_amount=25 * QUOTE_PRECISION,
        quote_asset_amount_with_unsettled_lp=-3 * QUOTE_PRECISION,
        net_unsettled_funding_pnl=-1 * QUOTE_PRECISION,
    )
    # Act
    net_user_pnl = calculate_net_user_pnl(amm, 10 * PRICE_PRECISION)
    # Assert: -10 + 25 - 3 - 1
    assert net_user_pnl == 11 * QUOTE_PRECISION


def test_fee_pool_fifth_counts_towards_pool_excess():
    # Arrange / Act: 100 pnl pool + floor(9 / 5) fee pool, users owed 50
    excess = calculate_max_pnl_pool_excess(100, 9, 50)
    # Assert
    assert excess == 51


# --- update_pool_balances


def _pool_test_market(**amm_fields) -> PerpMarket:
    return PerpMarket(
        amm=AMM(
            base_asset_reserve=5_122_950_819_670_000,
            quote_asset_reserve=488 * AMM_RESERVE_PRECISION,
            sqrt_k=500 * AMM_RESERVE_PRECISION,
            peg_multiplier=50_000,
            base_asset_amount_with_amm=-122_950_819_670_000,
            curve_update_intensity=100,
            **amm_fields,
        )
    )


def _spot_market(**fields) -> SpotMarket:
    return SpotMarket(
        decimals=0,
        cumulative_deposit_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
        cumulative_borrow_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
        **fields,
    )


def test_update_pool_balances_sequence():
    # update_pool_balances_test. The 100k loss step depends on the borrow cap of spec 7.4
    # (pool 0: L/3, twap + L/5, L - L/14): with L = 10_000_000_002 tokens the cap is
    # 3_333_333_334, of which 1% (33_333_333) goes to the fee pool. The reference's earlier
    # revision (cap L/6) asserts 1_650_000_003 / 16_666_666 / 665_678_880 and its later one (no
    # 1% cut) 3_333_333_334 / 2_332_345_545 for the same steps.
    # Arrange
    market = _pool_test_market(total_fee_minus_distributions=1000 * QUOTE_PRECISION)
    spot_market = _spot_market(deposit_balance=10**19, deposit_token_twap=10**16)
    spot_position = SpotPosition()

    # Act / Assert: empty pnl pool cannot pay a gain
    assert update_pool_balances(market, spot_market, spot_position, 100, NOW) == 0
    # a loss: 1% to the fee pool, 99% to the pnl pool
    assert update_pool_balances(market, spot_market, spot_position, -100, NOW) == -100
    assert (_tokens(market.pnl_pool, spot_market), _tokens(market.amm.fee_pool, spot_market)) == (99, 1)
    # the gain is paid up to the pnl pool
    assert update_pool_balances(market, spot_market, spot_position, 100, NOW) == 99
    assert (_tokens(market.pnl_pool, spot_market), _tokens(market.amm.fee_pool, spot_market)) == (0, 1)
    # tfmd 0: fee pool excess flows to the pnl pool and the AMM takes no cut
    market.amm.total_fee_minus_distributions = 0
    update_pool_balances(market, spot_market, spot_position, -1, NOW)
    assert (_tokens(market.pnl_pool, spot_market), _tokens(market.amm.fee_pool, spot_market)) == (2, 0)
    # a loss larger than the borrow cap settles only the cap
    market.amm.total_fee_minus_distributions = 90_000 * QUOTE_PRECISION
    settled = update_pool_balances(
        market, spot_market, spot_position, -100_000 * QUOTE_PRECISION, NOW
    )
    assert settled == -3_333_333_334
    assert _tokens(market.pnl_pool, spot_market) == 3_300_000_003
    assert _tokens(market.amm.fee_pool, spot_market) == 33_333_333
    # negative fee budget: the whole fee pool goes to the pnl pool before paying the user
    market.amm.total_fee_minus_distributions = -8_008_123_456
    update_pool_balances(market, spot_market, spot_position, 1_000_987_789, NOW)
    assert _tokens(market.pnl_pool, spot_market) == 2_332_345_547
    assert _tokens(market.amm.fee_pool, spot_market) == 0


def test_update_pool_balances_caps_losses_at_borrow_headroom():
    # update_pool_balances_test_high_util_borrow
    # Arrange: 100% utilization
    market = _pool_test_market(total_fee_minus_distributions=1000 * QUOTE_PRECISION)
    spot_market = _spot_market(
        deposit_balance=10**19, borrow_balance=10**19, deposit_token_twap=10**16
    )
    spot_position = SpotPosition()
    # Act / Assert: a loss would be a borrow
    assert update_pool_balances(market, spot_market, spot_position, -100, NOW) == 0
    # low utilization: the loss settles
    spot_market.borrow_balance = 0
    assert update_pool_balances(market, spot_market, spot_position, -100, NOW) == -100
    # high utilization, 50 deposited: settles what is deposited
    spot_market.borrow_balance = 10**19
    update_spot_balances(50, SpotBalanceType.Deposit, spot_market, spot_position, False)
    assert update_pool_balances(market, spot_market, spot_position, -100, NOW) == -50
    # 550 deposited: settles in full
    update_spot_balances(500, SpotBalanceType.Deposit, spot_market, spot_position, False)
    assert update_pool_balances(market, spot_market, spot_position, -100, NOW) == -100


def _revenue_test_market(net_revenue_since_last_funding: int) -> PerpMarket:
    market = _pool_test_market(
        total_exchange_fee=10 * QUOTE_PRECISION,
        total_fee=10 * QUOTE_PRECISION,
        total_mm_fee=990 * QUOTE_PRECISION,
        total_fee_minus_distributions=1000 * QUOTE_PRECISION,
        total_liquidation_fee=QUOTE_PRECISION,
        net_revenue_since_last_funding=net_revenue_since_last_funding,
        fee_pool=PoolBalance(scaled_balance=50 * QUOTE_PRECISION * SPOT_BALANCE_PRECISION),
    )
    market.pnl_pool = PoolBalance(scaled_balance=50 * QUOTE_PRECISION * SPOT_BALANCE_PRECISION)
    market.insurance_claim = InsuranceClaim(
        quote_max_insurance=0, max_revenue_withdraw_per_period=1000 * QUOTE_PRECISION
    )
    return market


def test_update_pool_balances_sweeps_fee_pool_to_revenue_pool():
    # update_pool_balances_fee_to_revenue_test
    # Arrange
    market = _revenue_test_market(10_000 * QUOTE_PRECISION)
    spot_market = _spot_market(deposit_balance=100 * QUOTE_PRECISION * SPOT_BALANCE_PRECISION)
    spot_position = SpotPosition()
    # Act / Assert: fee pool under the $250 threshold, nothing moves
    update_pool_balances(market, spot_market, spot_position, 0, NOW)
    assert market.amm.fee_pool.scaled_balance == 50_000_000_000_000_000
    assert market.pnl_pool.scaled_balance == 50_000_000_000_000_000
    assert spot_market.revenue_pool.scaled_balance == 0
    assert market.amm.total_fee_withdrawn == 0
    # fee pool above the threshold: half the exchange fees are swept
    market.amm.fee_pool.scaled_balance = (
        FEE_POOL_TO_REVENUE_POOL_THRESHOLD + 50 * QUOTE_PRECISION
    ) * SPOT_BALANCE_PRECISION
    update_pool_balances(market, spot_market, spot_position, 0, NOW)
    assert market.pnl_pool.scaled_balance == 50_000_000_000_000_000
    assert market.amm.total_fee_withdrawn == 5_000_000
    assert spot_market.revenue_pool.scaled_balance == 5_000_000_000_000_000
    assert market.amm.fee_pool.scaled_balance == 295_000_000_000_000_000
    # liquidation fees follow up to the insurance allowance
    market.insurance_claim.quote_max_insurance = 1
    update_pool_balances(market, spot_market, spot_position, 0, NOW)
    assert market.amm.total_fee_withdrawn == 5_000_001
    assert spot_market.revenue_pool.scaled_balance == 5_000_001_000_000_000
    market.insurance_claim.quote_max_insurance = 100_000_000
    update_pool_balances(market, spot_market, spot_position, 0, NOW)
    assert market.amm.total_fee_withdrawn == 6_000_000
    assert spot_market.revenue_pool.scaled_balance == 6_000_000_000_000_000


def test_update_pool_balances_sweep_limited_by_period_revenue():
    # update_pool_balances_fee_to_revenue_low_amm_revenue_test
    # Arrange
    market = _revenue_test_market(QUOTE_PRECISION)
    spot_market = _spot_market(deposit_balance=100 * QUOTE_PRECISION * SPOT_BALANCE_PRECISION)
    spot_position = SpotPosition()
    market.amm.fee_pool.scaled_balance = (
        FEE_POOL_TO_REVENUE_POOL_THRESHOLD + 50 * QUOTE_PRECISION
    ) * SPOT_BALANCE_PRECISION
    # Act / Assert
    update_pool_balances(market, spot_market, spot_position, 0, NOW)
    assert market.amm.total_fee_withdrawn == 1_000_000
    assert spot_market.revenue_pool.scaled_balance == 1_000_000_000_000_000
    assert market.amm.fee_pool.scaled_balance == 299_000_000_000_000_000
    market.insurance_claim.quote_max_insurance = 1
    market.amm.net_revenue_since_last_funding = 1
    update_pool_balances(market, spot_market, spot_position, 0, NOW)
    assert market.amm.total_fee_withdrawn == 1_000_001
    assert spot_market.revenue_pool.scaled_balance == 1_000_001_000_000_000
    market.insurance_claim.quote_max_insurance = 100_000_000
    market.amm.net_revenue_since_last_funding = 100_000_000
    update_pool_balances(market, spot_market, spot_position, 0, NOW)
    assert market.amm.total_fee_withdrawn == 6_000_000
    assert spot_market.revenue_pool.scaled_balance == 6_000_000_000_000_000


def test_revenue_sweep_is_noop_without_per_period_allowance():
    # Arrange: fee pool far above the threshold but max_revenue_withdraw_per_period = 0
    market = _revenue_test_market(10_000 * QUOTE_PRECISION)
    market.insurance_claim.max_revenue_withdraw_per_period = 0
    market.amm.fee_pool.scaled_balance = (
        FEE_POOL_TO_REVENUE_POOL_THRESHOLD + 50 * QUOTE_PRECISION
    ) * SPOT_BALANCE_PRECISION
    spot_market = _spot_market(deposit_balance=100 * QUOTE_PRECISION * SPOT_BALANCE_PRECISION)
    # Act
    update_pool_balances(market, spot_market, SpotPosition(), 0, NOW)
    # Assert
    assert spot_market.revenue_pool.scaled_balance == 0
    assert market.amm.total_fee_withdrawn == 0
    assert market.insurance_claim.last_revenue_withdraw_ts == 0


# --- settle_pnl


def test_settle_pnl_moves_loss_from_deposit_to_pools():
    # Arrange: flat position holding a $50 realized loss, $100 deposited (spec 11.3 step 5:
    # 1% of the loss, truncated, to the fee pool, the rest to the pnl pool)
    oracle = 100 * PRICE_PRECISION
    market = PerpMarket(
        status=MarketStatus.Active,
        amm=AMM(
            base_asset_reserve=100 * AMM_RESERVE_PRECISION,
            quote_asset_reserve=100 * AMM_RESERVE_PRECISION,
            sqrt_k=100 * AMM_RESERVE_PRECISION,
            peg_multiplier=100 * 10**6,
            quote_asset_amount=-50 * QUOTE_PRECISION,
            total_fee_minus_distributions=100 * QUOTE_PRECISION,
            historical_oracle_data=HistoricalOracleData(
                last_oracle_price=oracle,
                last_oracle_price_twap=oracle,
                last_oracle_price_twap_5min=oracle,
            ),
        ),
        margin_ratio_initial=1000,
        margin_ratio_maintenance=500,
        number_of_users=1,
    )
    spot_market = SpotMarket(
        decimals=6,
        cumulative_deposit_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
        cumulative_borrow_interest=SPOT_CUMULATIVE_INTEREST_PRECISION,
        deposit_balance=100 * SPOT_BALANCE_PRECISION,
        initial_asset_weight=10_000,
        maintenance_asset_weight=10_000,
        historical_oracle_data=HistoricalOracleData(
            last_oracle_price=PRICE_PRECISION,
            last_oracle_price_twap=PRICE_PRECISION,
            last_oracle_price_twap_5min=PRICE_PRECISION,
        ),
    )
    user = User(
        authority="u",
        perp_positions=[PerpPosition(quote_asset_amount=-50 * QUOTE_PRECISION)],
        spot_positions=[SpotPosition(scaled_balance=100 * SPOT_BALANCE_PRECISION)],
    )
    oracle_map = OracleMap(
        readings={
            (MarketType.Perp, 0): OracleReading(price=oracle),
            (MarketType.Spot, 0): OracleReading(source=OracleSource.QuoteAsset),
        }
    )
    events: list = []
    # Act
    record = settle_pnl(0, user, {0: market}, {0: spot_market}, oracle_map, State(), 0, 0, events)
    # Assert
    assert isinstance(record, SettlePnlRecord) and events == [record]
    assert record.pnl == -50 * QUOTE_PRECISION
    assert user.perp_positions[0].quote_asset_amount == 0
    assert user.settled_perp_pnl == -50 * QUOTE_PRECISION
    deposit = user.spot_positions[0].scaled_balance
    assert get_token_amount(deposit, spot_market, SpotBalanceType.Deposit) == 50 * QUOTE_PRECISION
    assert _tokens(market.amm.fee_pool, spot_market) == 500_000
    assert _tokens(market.pnl_pool, spot_market) == 49_500_000
    assert market.amm.quote_asset_amount == 0
