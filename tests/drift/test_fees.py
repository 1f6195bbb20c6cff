"""Fee tiers, taker/maker fees, referral and filler rewards.

Expected numbers are transcribed from programs/drift/src/math/fees/tests.rs (test names cited
per case); `FeeStructure::test_default` is tier 0 = 10 bps fee, 6 bps rebate, 10%/10% referral.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballast.drift.constants import (
    FEE_DENOMINATOR,
    FEE_PERCENTAGE_DENOMINATOR,
    PRICE_PRECISION,
    QUOTE_PRECISION,
)
from ballast.drift.math.fees import (
    calculate_fee_for_fulfillment_with_amm,
    calculate_fee_for_fulfillment_with_match,
    calculate_filler_multiplier_for_matched_orders,
    calculate_taker_fee,
    determine_user_fee_tier,
)
from ballast.drift.state.state import FeeStructure, FeeTier, OrderFillerRewardStructure
from ballast.drift.state.user import MarketType, PositionDirection, UserFees, UserStats

Q100 = 100 * QUOTE_PRECISION


def _test_default(**filler) -> FeeStructure:
    tier0 = FeeTier(
        fee_numerator=100,
        maker_rebate_numerator=60,
        referrer_reward_numerator=10,
        referee_fee_numerator=10,
    )
    return FeeStructure(
        fee_tiers=(tier0,) + (FeeTier(),) * 9,
        filler_reward_structure=OrderFillerRewardStructure(**filler),
    )


def _fees_tuple(fees):
    return (
        fees.user_fee,
        fees.maker_rebate,
        fees.fee_to_market,
        fees.filler_reward,
        fees.referrer_reward,
        fees.referee_discount,
    )


@pytest.mark.parametrize(
    ("filler", "clock_slot", "multiplier", "reward_referrer", "fee_adjustment", "hlm", "expected"),
    [
        # fees/tests.rs::calculate_fee_for_taker_and_maker::no_filler
        ({}, 0, 0, False, 0, False, (100000, 60000, 40000, 0, 0, 0)),
        # ::filler_size_reward
        (
            {"time_based_reward_lower_bound": 10**16},
            0,
            1,
            False,
            0,
            False,
            (100000, 60000, 30000, 10000, 0, 0),
        ),
        # ::time_reward_no_time_passed
        (
            {"reward_numerator": 1, "reward_denominator": 1},
            0,
            1,
            False,
            0,
            False,
            (100000, 60000, 30000, 10000, 0, 0),
        ),
        # ::time_reward_time_passed
        (
            {"reward_numerator": 1, "reward_denominator": 1},
            60,
            1,
            False,
            0,
            False,
            (100000, 60000, 12200, 27800, 0, 0),
        ),
        # ::referrer
        ({}, 0, 0, True, 0, False, (90000, 60000, 20000, 0, 10000, 10000)),
        # ::fee_adjustment
        ({}, 0, 0, False, -50, False, (50000, 30000, 20000, 0, 0, 0)),
        ({}, 0, 0, False, 50, False, (150000, 90000, 60000, 0, 0, 0)),
        ({}, 0, 0, True, -50, False, (45000, 30000, 10000, 0, 5000, 5000)),
        ({}, 0, 1, True, -50, False, (45000, 30000, 5500, 4500, 5000, 5000)),
        # ::fee_adjustment_free
        ({}, 0, 0, False, -100, False, (0, 0, 0, 0, 0, 0)),
        ({}, 0, 0, False, -100, True, (0, 0, 0, 0, 0, 0)),
        ({}, 0, 1, True, -100, False, (0, 0, 0, 0, 0, 0)),
        # ::high_leverage_mode
        ({}, 0, 1, False, -50, True, (100000, 30000, 60000, 10000, 0, 0)),
    ],
)
def test_fees_match_cases(
    filler, clock_slot, multiplier, reward_referrer, fee_adjustment, hlm, expected
):
    # Arrange
    fee_structure = _test_default(**filler)
    # Act
    fees = calculate_fee_for_fulfillment_with_match(
        UserStats(),
        UserStats(),
        Q100,
        fee_structure,
        0,
        clock_slot,
        multiplier,
        True,
        reward_referrer,
        None,
        MarketType.Perp,
        fee_adjustment,
        hlm,
    )
    # Assert
    assert _fees_tuple(fees) == expected


def test_match_pays_no_filler_when_filler_not_rewarded():
    # Act
    fees = calculate_fee_for_fulfillment_with_match(
        UserStats(),
        None,
        Q100,
        _test_default(),
        0,
        0,
        1,
        False,
        False,
        None,
        MarketType.Perp,
        0,
        False,
    )
    # Assert
    assert fees.filler_reward == 0
    assert fees.fee_to_market == 40000


@pytest.mark.parametrize(
    ("reward_filler", "reward_referrer", "fee_adjustment", "hlm", "expected"),
    [
        # fees/tests.rs::calculate_fee_for_order_fulfill_against_amm::referrer
        (False, True, 0, False, (90000, 0, 80000, 0, 10000, 10000)),
        # ::fee_adjustment
        (False, False, -50, False, (50000, 0, 50000, 0, 0, 0)),
        (False, False, 50, False, (150000, 0, 150000, 0, 0, 0)),
        (False, True, -50, False, (45000, 0, 40000, 0, 5000, 5000)),
        (True, True, -50, False, (45000, 0, 35500, 4500, 5000, 5000)),
        # ::high_leverage_mode
        (False, False, -50, True, (100000, 0, 100000, 0, 0, 0)),
    ],
)
def test_fees_amm_referrer(reward_filler, reward_referrer, fee_adjustment, hlm, expected):
    # Act
    fees = calculate_fee_for_fulfillment_with_amm(
        UserStats(),
        Q100,
        _test_default(),
        0,
        60,
        reward_filler,
        reward_referrer,
        None,
        0,
        False,
        fee_adjustment,
        hlm,
    )
    # Assert
    assert _fees_tuple(fees) == expected


def test_amm_fee_to_market_adds_surplus_but_lp_share_excludes_it():
    # drift_core.md 6.3
    # Act
    fees = calculate_fee_for_fulfillment_with_amm(
        UserStats(), Q100, _test_default(), 0, 0, False, False, None, 7000, False, 0, False
    )
    # Assert
    assert fees.fee_to_market == 107000
    assert fees.fee_to_market_for_lp == 100000


def test_amm_post_only_maker_gets_rebate_out_of_surplus():
    # drift_core.md 6.3: fee = surplus - rebate; user pays nothing
    # Act
    fees = calculate_fee_for_fulfillment_with_amm(
        UserStats(), Q100, _test_default(), 0, 0, False, False, None, 100000, True, 0, False
    )
    # Assert
    assert (fees.user_fee, fees.maker_rebate, fees.fee_to_market) == (0, 60000, 40000)


def test_referrer_reward_is_capped_by_epoch_room():
    # Arrange
    referrer = UserStats(
        fees=UserFees(current_epoch_referrer_reward=150_000 * QUOTE_PRECISION - 4000)
    )
    # Act
    fees = calculate_fee_for_fulfillment_with_amm(
        UserStats(), Q100, _test_default(), 0, 0, False, True, referrer, 0, False, 0, False
    )
    # Assert
    assert fees.referrer_reward == 4000
    assert fees.fee_to_market == 86000


def _tier(fee_numerator: int, fee_denominator: int = FEE_DENOMINATOR) -> FeeTier:
    return FeeTier(
        fee_numerator=fee_numerator,
        fee_denominator=fee_denominator,
        maker_rebate_numerator=25,
        maker_rebate_denominator=FEE_DENOMINATOR * 10,
        referrer_reward_numerator=10,
        referrer_reward_denominator=FEE_PERCENTAGE_DENOMINATOR,
        referee_fee_numerator=5,
        referee_fee_denominator=FEE_PERCENTAGE_DENOMINATOR,
    )


TIER_STRUCTURE = FeeStructure(
    fee_tiers=(
        _tier(35),
        _tier(30),
        _tier(275, FEE_DENOMINATOR * 10),
        _tier(25),
        _tier(225, FEE_DENOMINATOR * 10),
        _tier(20),
    )
    + (FeeTier(),) * 4
)


@pytest.mark.parametrize(
    ("taker_volume", "staked", "hlm", "expected"),
    [
        # fees/tests.rs::calcuate_fee_tiers::test_calc_taker_tiers
        (0, 0, False, (35, 100000, 25, 1000000)),
        (70_000_000 * QUOTE_PRECISION, 0, False, (25, 100000, 25, 1000000)),
        (
            70_000_000 * QUOTE_PRECISION,
            50_000 * QUOTE_PRECISION - 8970,
            False,
            (20, 100000, 30, 1000000),
        ),
        (
            70_000_000 * QUOTE_PRECISION,
            150_000 * QUOTE_PRECISION - 8970,
            False,
            (18, 100000, 32, 1000000),
        ),
        (70_000_000 * QUOTE_PRECISION, 800_000 * QUOTE_PRECISION, False, (15, 100000, 35, 1000000)),
        (
            280_000_000 * QUOTE_PRECISION,
            800_000 * QUOTE_PRECISION,
            False,
            (12, 100000, 35, 1000000),
        ),
        (280_000_000 * QUOTE_PRECISION, 800_000 * QUOTE_PRECISION, True, (35, 100000, 25, 1000000)),
    ],
)
def test_perp_fee_tier_selection(taker_volume, staked, hlm, expected):
    # Arrange
    stats = UserStats(taker_volume_30d=taker_volume, if_staked_gov_token_amount=staked)
    # Act
    tier = determine_user_fee_tier(stats, TIER_STRUCTURE, MarketType.Perp, hlm)
    # Assert
    assert (
        tier.fee_numerator,
        tier.fee_denominator,
        tier.maker_rebate_numerator,
        tier.maker_rebate_denominator,
    ) == expected


def test_spot_fee_tier_is_always_tier_zero():
    # Arrange
    stats = UserStats(taker_volume_30d=10**18)
    # Act
    tier = determine_user_fee_tier(stats, TIER_STRUCTURE, MarketType.Spot, False)
    # Assert
    assert tier.fee_numerator == 35


@pytest.mark.parametrize(
    ("maker_price", "direction", "expected"),
    [
        # drift_core.md 6.2: d = tdiv((oracle - maker)·1e6, oracle); long 2000 - d, short 2000 + d
        (100 * PRICE_PRECISION, PositionDirection.Long, 2000),
        (99_900_000, PositionDirection.Long, 1000),
        (100_100_000, PositionDirection.Long, 3000),
        (100_100_000, PositionDirection.Short, 1000),
        (99_900_000, PositionDirection.Short, 3000),
        (50 * PRICE_PRECISION, PositionDirection.Short, 100_000),
    ],
)
def test_filler_multiplier_rewards_maker_price_improvement(maker_price, direction, expected):
    # Act
    multiplier = calculate_filler_multiplier_for_matched_orders(
        maker_price, direction, 100 * PRICE_PRECISION
    )
    # Assert
    assert multiplier == expected


@given(
    quote=st.integers(min_value=0, max_value=10**15),
    adjustment=st.integers(min_value=-100, max_value=100),
)
def test_taker_fee_moves_with_fee_adjustment_sign(quote, adjustment):
    # Arrange
    tier = FeeTier(fee_numerator=100)
    base_fee = calculate_taker_fee(quote, tier, 0)
    # Act
    fee = calculate_taker_fee(quote, tier, adjustment)
    # Assert
    assert 0 <= fee <= 2 * base_fee
    assert (fee <= base_fee) if adjustment <= 0 else (fee >= base_fee)
