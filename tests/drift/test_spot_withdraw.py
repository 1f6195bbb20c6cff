"""Spot withdraw / borrow limits, deposit and borrow caps, utilization health, and borrowing
beyond deposits through update_spot_balances.

Vectors from programs/drift/src/controller/spot_balance/tests.rs (test names cited) where they
do not depend on the twap borrow bands, and drift_insurance.md 7.4 for the bands (pool 0:
L/3, L/5, L/14; isolated: L/2, L/3, L/20 — the stored reference tests use an older L/6, L/10,
L/5 band and are not transcribed for those numbers).
"""

from __future__ import annotations

import pytest

from ballast.drift.constants import (
    QUOTE_PRECISION,
    SPOT_BALANCE_PRECISION,
    SPOT_CUMULATIVE_INTEREST_PRECISION,
)
from ballast.drift.controller.spot_balance import update_spot_balances
from ballast.drift.errors import (
    CouldNotFindSpotPosition,
    MaxBorrows,
    MaxDeposit,
    SpotMarketInsufficientDeposits,
)
from ballast.drift.math.spot_balance import get_token_amount
from ballast.drift.math.spot_withdraw import (
    calculate_max_borrow_token_amount,
    calculate_min_deposit_token_amount,
    calculate_token_utilization_limits,
    check_user_exception_to_withdraw_limits,
    check_withdraw_limits,
    get_max_withdraw_for_market_with_token_amount,
    is_healthy_utilization,
    validate_max_token_deposits_and_borrows,
)
from ballast.drift.state.spot_market import SpotBalanceType, SpotMarket
from ballast.drift.state.user import SpotPosition, User
from ballast.fixed import U128_MAX

Deposit = SpotBalanceType.Deposit
Borrow = SpotBalanceType.Borrow
CI = SPOT_CUMULATIVE_INTEREST_PRECISION


def _market(**overrides) -> SpotMarket:
    fields = dict(decimals=6, cumulative_deposit_interest=CI, cumulative_borrow_interest=CI)
    fields.update(overrides)
    return SpotMarket(**fields)


def _user(*positions: SpotPosition, total_deposits: int = 0, total_withdraws: int = 0) -> User:
    return User(
        spot_positions=list(positions),
        total_deposits=total_deposits,
        total_withdraws=total_withdraws,
    )


def _sol_market(borrow_balance: int, borrow_token_twap: int, utilization_twap: int) -> SpotMarket:
    # ..._below/above_optimal_utilization: 200k SOL deposited at index 1.020, borrows at 1.222
    return _market(
        market_index=1,
        decimals=9,
        cumulative_deposit_interest=1020 * CI // 1000,
        cumulative_borrow_interest=1222 * CI // 1000,
        optimal_utilization=700_000,
        optimal_borrow_rate=60_000,
        max_borrow_rate=1_000_000,
        deposit_balance=200_000 * SPOT_BALANCE_PRECISION,
        borrow_balance=borrow_balance,
        deposit_token_twap=204_000_000_000_000,
        borrow_token_twap=borrow_token_twap,
        utilization_twap=utilization_twap,
    )


# --- twap bands ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("twap", "guard", "expected"),
    [
        (QUOTE_PRECISION, 0, QUOTE_PRECISION - QUOTE_PRECISION // 4),  # test_check_withdraw_limits
        (204_000_000_000_000, 0, 153_000_000_000_000),  # ..._below_optimal_utilization
        (100, 40, 60),  # guard above a quarter: deposits may fall by the guard
        (100, 200, 0),  # guard above the twap: no minimum
        (7, 0, 6),  # floor(7 / 4) = 1
    ],
)
def test_min_deposit_is_three_quarters_of_twap_or_guard_below(twap, guard, expected):
    # Act / Assert
    assert calculate_min_deposit_token_amount(twap, guard) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # (deposits, deposit twap, borrow twap, guard, max_token_borrows, pool_id)
        ((10**6, 10**6, 500_000, 0, U128_MAX, 0), 700_000),  # borrow twap + L/5
        ((10**6, 10**6, 0, 0, U128_MAX, 0), 333_333),  # L/3
        ((10**6, 10**6, 10**6, 0, U128_MAX, 0), 928_572),  # ceiling L - L/14
        ((2 * 10**6, 10**6, 0, 0, U128_MAX, 0), 333_333),  # L = min(deposits, twap)
        ((10**6, 10**6, 500_000, 0, U128_MAX, 1), 833_333),  # isolated: borrow twap + L/3
        ((10**6, 10**6, 10**6, 0, U128_MAX, 1), 950_000),  # isolated ceiling L - L/20
        ((10**6, 10**6, 0, 0, U128_MAX, 1), 500_000),  # isolated L/2
        ((10**6, 10**6, 500_000, 900_000, U128_MAX, 0), 900_000),  # guard is a floor
        ((10**6, 10**6, 500_000, 900_000, 100, 0), 100),  # max_token_borrows caps all
        ((204 * 10**12, 204 * 10**12, 1222 * 10**11, 0, U128_MAX, 0), 163 * 10**12),
    ],
)
def test_max_borrow_band_follows_spec(args, expected):
    # drift_insurance.md 7.4
    # Act / Assert
    assert calculate_max_borrow_token_amount(*args) == expected


def test_token_utilization_limits_below_optimal_utilization():
    # controller/spot_balance/tests.rs::test_check_withdraw_limits_below_optimal_utilization
    # Arrange
    sol = _sol_market(100_000 * SPOT_BALANCE_PRECISION, 122_200_000_000_000, 100_000)
    deposits = get_token_amount(sol.deposit_balance, sol, Deposit)
    borrows = get_token_amount(sol.borrow_balance, sol, Borrow)
    # Act
    limits = calculate_token_utilization_limits(deposits, borrows, sol)
    # Assert
    assert (deposits, borrows) == (204_000_000_000_000, 122_200_000_000_000)
    assert limits == (174_571_428_571_428, 142_800_000_000_000)
    assert check_withdraw_limits(sol, None, None)


def test_withdraw_limits_fail_when_deposits_drop_toward_utilization_floor():
    # controller/spot_balance/tests.rs::test_check_withdraw_limits_below_optimal_utilization
    # Arrange
    sol = _sol_market(100_000 * SPOT_BALANCE_PRECISION, 122_200_000_000_000, 100_000)
    sol.deposit_balance = 174_571_428_571_428 // 1020 * 1000
    deposits = get_token_amount(sol.deposit_balance, sol, Deposit)
    borrows = get_token_amount(sol.borrow_balance, sol, Borrow)
    # Act
    limits = calculate_token_utilization_limits(deposits, borrows, sol)
    # Assert
    assert limits == (174_571_428_570_660, 122_199_999_999_462)
    assert not check_withdraw_limits(sol, None, None)


def test_token_utilization_limits_above_optimal_utilization():
    # controller/spot_balance/tests.rs::test_check_withdraw_limits_above_optimal_utilization:
    # 80% utilization twap -> 90% ceiling
    # Arrange
    sol = _sol_market(140_000 * SPOT_BALANCE_PRECISION, 192_200_000_000_000, 800_000)
    deposits = get_token_amount(sol.deposit_balance, sol, Deposit)
    borrows = get_token_amount(sol.borrow_balance, sol, Borrow)
    # Act
    limits = calculate_token_utilization_limits(deposits, borrows, sol)
    # Assert
    assert borrows == 171_080_000_000_000
    assert limits == (190_088_888_888_888, 183_600_000_000_000)


def test_depositor_is_only_held_to_the_deposit_bound():
    # controller/spot_balance/tests.rs::test_check_withdraw_limits_above_optimal_utilization
    # Arrange: with no borrow twap the band allows max(L/3, L/5) = 68k SOL < 171.08k borrowed;
    # a user left with a deposit is checked on deposits only, a borrower on both
    sol = _sol_market(140_000 * SPOT_BALANCE_PRECISION, 192_200_000_000_000, 800_000)
    sol.borrow_token_twap = 0  # band: max(L/3, 0 + L/5) = 68k SOL < borrows
    depositor = _user(SpotPosition(market_index=1, scaled_balance=SPOT_BALANCE_PRECISION))
    borrower = _user(SpotPosition(market_index=1, balance_type=Borrow, scaled_balance=1))
    # Act / Assert
    assert check_withdraw_limits(sol, depositor, None)
    assert not check_withdraw_limits(sol, borrower, None)
    assert not check_withdraw_limits(sol, None, None)


def test_withdraw_limits_fail_below_deposit_floor_after_drop():
    # controller/spot_balance/tests.rs::test_check_withdraw_limits_above_optimal_utilization
    # Arrange
    sol = _sol_market(140_000 * SPOT_BALANCE_PRECISION, 192_200_000_000_000, 800_000)
    sol.deposit_balance = 190_088_888_888_888 // 1020 * 1000
    # Act / Assert
    assert not check_withdraw_limits(sol, None, None)


def test_check_withdraw_limits_usdc_ok_and_sol_below_twap_floor():
    # controller/spot_balance/tests.rs::test_check_withdraw_limits
    # Arrange
    usdc = _market(deposit_balance=SPOT_BALANCE_PRECISION, deposit_token_twap=QUOTE_PRECISION // 2)
    sol = _market(
        market_index=1,
        decimals=10,
        deposit_balance=2 * SPOT_BALANCE_PRECISION,
        borrow_balance=SPOT_BALANCE_PRECISION,
        deposit_token_twap=28_000_000_000,
    )
    user = _user(
        SpotPosition(market_index=0, scaled_balance=SPOT_BALANCE_PRECISION),
        SpotPosition(market_index=1, scaled_balance=SPOT_BALANCE_PRECISION),
    )
    # Act / Assert
    assert check_withdraw_limits(usdc, user, 0)
    assert not check_withdraw_limits(sol, user, 10_000_000_000)
    assert not check_withdraw_limits(sol, None, None)


def test_small_depositor_exception_below_tenth_of_guard():
    # math/spot_withdraw.rs::check_user_exception_to_withdraw_limits
    # Arrange: $100 deposited vs a $75k floor (twap $100k), guard $5k -> exception below $500
    usdc = _market(
        deposit_balance=100 * SPOT_BALANCE_PRECISION,
        deposit_token_twap=100_000 * QUOTE_PRECISION,
        withdraw_guard_threshold=5_000 * QUOTE_PRECISION,
    )
    small = _user(SpotPosition(scaled_balance=SPOT_BALANCE_PRECISION), total_deposits=10**6)
    net_withdrawer = _user(SpotPosition(scaled_balance=SPOT_BALANCE_PRECISION), total_withdraws=1)
    # Act / Assert
    assert check_withdraw_limits(usdc, small, 498 * QUOTE_PRECISION)
    assert not check_withdraw_limits(usdc, small, 499 * QUOTE_PRECISION)  # 1 + 499 = $500
    assert not check_withdraw_limits(usdc, small, None)
    assert not check_user_exception_to_withdraw_limits(usdc, net_withdrawer, 0)
    assert not check_user_exception_to_withdraw_limits(usdc, None, 0)


def test_user_without_position_in_market_is_an_error():
    # Arrange
    usdc = _market(deposit_balance=SPOT_BALANCE_PRECISION)
    # Act / Assert
    with pytest.raises(CouldNotFindSpotPosition, match="market 0"):
        check_withdraw_limits(usdc, _user(SpotPosition(market_index=3)), 0)


# --- max withdraw (drift_insurance.md 7.4) ----------------------------------------------------

_THOUSAND = 1_000 * QUOTE_PRECISION


def _thousand_usdc(**overrides) -> SpotMarket:
    fields = dict(deposit_balance=1_000 * SPOT_BALANCE_PRECISION, deposit_token_twap=_THOUSAND)
    fields.update(overrides)
    return _market(**fields)


@pytest.mark.parametrize(
    ("overrides", "token_amount", "leaving", "expected"),
    [
        ({}, 100 * QUOTE_PRECISION, False, 100 * QUOTE_PRECISION + 333_333_333),  # own + L/3
        ({}, 0, False, 333_333_333),  # nothing of its own: borrow room only
        ({}, -50 * QUOTE_PRECISION, True, 333_333_333),  # a borrower: borrow room only
        ({}, 300 * QUOTE_PRECISION, True, 250 * QUOTE_PRECISION),  # capped at deposits - 75% twap
        (
            dict(max_token_deposits=_THOUSAND, max_token_borrows_fraction=1_000),
            0,
            False,
            100 * QUOTE_PRECISION,  # 10% of max_token_deposits
        ),
        (
            dict(
                borrow_balance=900 * SPOT_BALANCE_PRECISION, borrow_token_twap=900 * QUOTE_PRECISION
            ),
            0,
            False,
            28_571_429,  # band ceiling L - L/14 = 928_571_429 less 900 borrowed
        ),
    ],
)
def test_max_withdraw_for_market(overrides, token_amount, leaving, expected):
    # Arrange
    usdc = _thousand_usdc(**overrides)
    # Act / Assert
    assert get_max_withdraw_for_market_with_token_amount(usdc, token_amount, leaving) == expected


# --- caps and health ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_token_deposits", "borrow_divisor", "error"),
    [
        (0, None, None),
        (0, 1, None),  # no max_token_deposits: no borrow cap either
        (100_000_000 * QUOTE_PRECISION, 1, MaxBorrows),
        (100_000_000 * QUOTE_PRECISION, 100, MaxBorrows),
        (100_000_000 * QUOTE_PRECISION, 10_000 - 2, MaxBorrows),  # just above 1/10_000
        (100_000_000 * QUOTE_PRECISION, 10_000, None),  # exactly 1/10_000
        (100_000_000 * QUOTE_PRECISION, 10_000 + 1, None),
        (100_000_000 * QUOTE_PRECISION, 100_000, None),
        (100_000_000 * QUOTE_PRECISION - 1, None, MaxDeposit),
    ],
)
def test_max_token_deposits_and_borrows(max_token_deposits, borrow_divisor, error):
    # controller/spot_balance/tests.rs::check_spot_market_max_borrow_fraction (fraction 1/10_000)
    # Arrange
    deposit_balance = 100_000_000 * SPOT_BALANCE_PRECISION
    usdc = _market(
        deposit_balance=deposit_balance,
        borrow_balance=deposit_balance // borrow_divisor if borrow_divisor else 0,
        max_token_deposits=max_token_deposits,
        max_token_borrows_fraction=1,
    )
    # Act / Assert
    if error is None:
        validate_max_token_deposits_and_borrows(usdc)
    else:
        with pytest.raises(error):
            validate_max_token_deposits_and_borrows(usdc)


@pytest.mark.parametrize(
    ("borrows", "utilization_twap", "healthy"),
    [(900, 900_000, True), (901, 0, False), (0, 900_001, False), (0, 0, True)],
)
def test_is_healthy_utilization_at_ninety_percent(borrows, utilization_twap, healthy):
    # drift_insurance.md 6.6: current utilization and its twap both <= 900_000
    # Arrange
    usdc = _market(
        deposit_balance=1_000 * SPOT_BALANCE_PRECISION,
        borrow_balance=borrows * SPOT_BALANCE_PRECISION,
        utilization_twap=utilization_twap,
    )
    # Act / Assert
    assert is_healthy_utilization(usdc) is healthy


# --- borrowing through withdraw beyond deposits ---------------------------------------------


def test_withdraw_beyond_deposit_turns_position_into_borrow():
    # drift_insurance.md 2: reduce the deposit first, the remainder becomes a borrow (rounded up)
    # Arrange: market holds $1000 (the user's $100 included)
    usdc = _thousand_usdc()
    position = SpotPosition(scaled_balance=100 * SPOT_BALANCE_PRECISION)
    # Act
    update_spot_balances(150 * QUOTE_PRECISION, Borrow, usdc, position, True)
    # Assert
    assert position.balance_type is Borrow
    assert position.scaled_balance == 50 * SPOT_BALANCE_PRECISION + 1
    assert (usdc.deposit_balance, usdc.borrow_balance) == (
        900 * SPOT_BALANCE_PRECISION,
        50 * SPOT_BALANCE_PRECISION + 1,
    )


def test_leaving_drift_with_borrow_requires_deposits_cover_borrows():
    # drift_insurance.md 2 step 3 (the new borrow's scaled balance rounds up: 11.000001)
    # Arrange
    usdc = _market(deposit_balance=10 * SPOT_BALANCE_PRECISION)
    position = SpotPosition()
    # Act / Assert
    with pytest.raises(
        SpotMarketInsufficientDeposits, match="deposits 10000000 < borrows 11000001"
    ):
        update_spot_balances(11 * QUOTE_PRECISION, Borrow, usdc, position, True)


def test_borrow_inside_drift_may_exceed_deposits():
    # drift_insurance.md 2 step 3 applies only when tokens leave Drift
    # Arrange
    usdc = _market(deposit_balance=10 * SPOT_BALANCE_PRECISION)
    position = SpotPosition()
    # Act
    update_spot_balances(11 * QUOTE_PRECISION, Borrow, usdc, position, False)
    # Assert: rounded up against the borrower
    assert get_token_amount(usdc.borrow_balance, usdc, Borrow) == 11 * QUOTE_PRECISION + 1
