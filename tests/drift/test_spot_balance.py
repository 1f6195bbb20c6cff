"""Scaled spot balances, token values and the balance controller.

Vectors from programs/drift/src/math/spot_balance/tests.rs (cited) and drift_insurance.md
section 2 (rounding rules).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballast.drift.constants import SPOT_BALANCE_PRECISION, SPOT_CUMULATIVE_INTEREST_PRECISION
from ballast.drift.controller.spot_balance import (
    transfer_spot_balances,
    update_revenue_pool_balances,
    update_spot_balances,
    validate_spot_balances,
    validate_spot_market_vault_amount,
)
from ballast.drift.errors import (
    CantUpdatePoolBalanceType,
    InvalidOracle,
    SpotMarketInsufficientDeposits,
    SpotMarketVaultInvariantViolated,
    UnequalMarketIndexForSpotTransfer,
)
from ballast.drift.math.spot_balance import (
    StrictOraclePrice,
    get_spot_balance,
    get_strict_token_value,
    get_token_amount,
    get_token_value,
)
from ballast.drift.state.perp_market import PoolBalance
from ballast.drift.state.spot_market import SpotBalanceType, SpotMarket
from ballast.drift.state.user import SpotPosition
from ballast.fixed import U128_MAX, MathError

Deposit = SpotBalanceType.Deposit
Borrow = SpotBalanceType.Borrow
CI = SPOT_CUMULATIVE_INTEREST_PRECISION


def _usdc(**overrides) -> SpotMarket:
    fields = dict(
        decimals=6,
        cumulative_deposit_interest=CI,
        cumulative_borrow_interest=CI,
    )
    fields.update(overrides)
    return SpotMarket(**fields)


def test_bonk_round_trips_one_token():
    # math/spot_balance/tests.rs::bonk
    # Arrange
    spot_market = _usdc(decimals=5)
    one_bonk = 10**5
    # Act
    balance = get_spot_balance(one_bonk, spot_market, Deposit, False)
    # Assert
    assert get_token_amount(balance, spot_market, Deposit) == one_bonk


@pytest.mark.parametrize(
    ("balance_type", "expected"),
    [
        # drift_insurance.md 2: deposits floor, borrows ceil; 1 scaled unit at index 1.5
        (Deposit, 0),
        (Borrow, 1),
    ],
)
def test_token_amount_rounds_deposits_down_and_borrows_up(balance_type, expected):
    # Arrange
    spot_market = _usdc(
        cumulative_deposit_interest=CI * 3 // 2, cumulative_borrow_interest=CI * 3 // 2
    )
    # Act
    amount = get_token_amount(1, spot_market, balance_type)
    # Assert
    assert amount == expected


@pytest.mark.parametrize("balance_type", [Deposit, Borrow])
def test_token_amount_product_past_u128_raises_math_error(balance_type):
    """balance * cumulative_interest is a checked u128 product, taken before the division:
    it errors even when the quotient would fit.

    Source: programs/drift/src/math/spot_balance.rs::get_token_amount
    (`balance.safe_mul(cumulative_interest)?` on u128)
    """
    # Arrange
    spot_market = _usdc()
    balance = U128_MAX // CI + 1
    # Act / Assert
    with pytest.raises(MathError):
        get_token_amount(balance, spot_market, balance_type)


@pytest.mark.parametrize(
    ("round_up", "expected"),
    [(False, 666666666), (True, 666666667)],
)
def test_spot_balance_floors_then_optionally_adds_one(round_up, expected):
    # 1 USDC at index 1.5 => 1e6·1e13/1.5e10 = 666_666_666.67 scaled
    # Arrange
    spot_market = _usdc(cumulative_deposit_interest=CI * 3 // 2)
    # Act
    balance = get_spot_balance(10**6, spot_market, Deposit, round_up)
    # Assert
    assert balance == expected


@pytest.mark.parametrize(
    ("token_amount", "price", "expected"),
    [
        (10**9, 100 * 10**6, 100 * 10**6),
        (-1, 1_500_000, -1),  # floor for negatives: -1.5e6 / 1e9 -> -1
        (1, 1_500_000, 0),
        (0, 1_500_000, 0),
    ],
)
def test_token_value_floors_negative_values(token_amount, price, expected):
    # Act / Assert
    assert get_token_value(token_amount, 9, price) == expected


@pytest.mark.parametrize(
    ("token_amount", "expected"),
    [(10**6, 990_000), (-(10**6), -1_010_000)],
)
def test_strict_token_value_prices_assets_low_and_liabilities_high(token_amount, expected):
    # Arrange
    strict = StrictOraclePrice.new(1_010_000, 990_000, True)
    # Act / Assert
    assert get_strict_token_value(token_amount, 6, strict) == expected


def test_strict_price_rejects_non_positive_twap():
    # Act / Assert
    with pytest.raises(InvalidOracle, match="twap"):
        StrictOraclePrice.new(10**6, 0, True).validate()


def test_deposit_credits_position_and_market():
    # Arrange
    spot_market = _usdc()
    position = SpotPosition()
    # Act
    update_spot_balances(100 * 10**6, Deposit, spot_market, position, False)
    # Assert
    assert position.scaled_balance == 100 * SPOT_BALANCE_PRECISION
    assert spot_market.deposit_balance == 100 * SPOT_BALANCE_PRECISION


def test_withdraw_beyond_deposit_flips_position_to_borrow():
    # Arrange
    spot_market = _usdc()
    position = SpotPosition()
    update_spot_balances(100 * 10**6, Deposit, spot_market, position, False)
    # Act
    update_spot_balances(30 * 10**6, Deposit, spot_market, PoolBalance(), False)
    update_spot_balances(120 * 10**6, Borrow, spot_market, position, True)
    # Assert
    assert position.balance_type is Borrow
    assert position.scaled_balance == 20 * SPOT_BALANCE_PRECISION + 1  # borrows round up
    assert spot_market.deposit_balance == 30 * SPOT_BALANCE_PRECISION
    assert spot_market.borrow_balance == 20 * SPOT_BALANCE_PRECISION + 1


def test_borrow_leaving_drift_needs_market_deposits():
    # Arrange
    spot_market = _usdc()
    position = SpotPosition()
    # Act / Assert
    with pytest.raises(SpotMarketInsufficientDeposits):
        update_spot_balances(10**6, Borrow, spot_market, position, True)


def test_pool_balance_cannot_turn_into_borrow():
    # Arrange
    spot_market = _usdc()
    pool = PoolBalance()
    update_spot_balances(10**6, Deposit, spot_market, pool, False)
    # Act / Assert
    with pytest.raises(CantUpdatePoolBalanceType):
        update_spot_balances(2 * 10**6, Borrow, spot_market, pool, False)


def test_debiting_pool_by_less_than_balance_leaves_floor_dust():
    # drift_insurance.md 2: a partial debit floors the scaled decrease
    # Arrange
    spot_market = _usdc(cumulative_deposit_interest=CI * 3 // 2)
    pool = PoolBalance()
    update_spot_balances(10**6, Deposit, spot_market, pool, False)
    before = pool.scaled_balance
    # Act
    update_spot_balances(1, Borrow, spot_market, pool, False)
    # Assert
    assert before - pool.scaled_balance == 666
    assert spot_market.deposit_balance == pool.scaled_balance


def test_transfer_moves_tokens_between_balances():
    # Arrange
    spot_market = _usdc()
    source = PoolBalance()
    target = SpotPosition()
    update_spot_balances(50 * 10**6, Deposit, spot_market, source, False)
    # Act
    transfer_spot_balances(20 * 10**6, spot_market, source, target)
    # Assert
    assert get_token_amount(source.scaled_balance, spot_market, Deposit) == 30 * 10**6
    assert get_token_amount(target.scaled_balance, spot_market, Deposit) == 20 * 10**6
    assert spot_market.deposit_balance == 50 * SPOT_BALANCE_PRECISION


def test_transfer_between_markets_is_rejected():
    # Act / Assert
    with pytest.raises(UnequalMarketIndexForSpotTransfer):
        transfer_spot_balances(
            1, _usdc(), PoolBalance(market_index=0), SpotPosition(market_index=1)
        )


def test_revenue_pool_above_deposits_violates_vault_invariant():
    # Arrange
    spot_market = _usdc()
    update_revenue_pool_balances(10 * 10**6, Deposit, spot_market)
    spot_market.deposit_balance = 0
    # Act / Assert
    with pytest.raises(SpotMarketVaultInvariantViolated):
        validate_spot_balances(spot_market)


def test_depositors_claim_is_deposits_minus_borrows_and_vault_must_cover_it():
    # Arrange
    spot_market = _usdc(
        deposit_balance=100 * SPOT_BALANCE_PRECISION, borrow_balance=40 * SPOT_BALANCE_PRECISION
    )
    # Act
    claim = validate_spot_balances(spot_market)
    # Assert
    assert claim == 60 * 10**6
    with pytest.raises(SpotMarketVaultInvariantViolated):
        validate_spot_market_vault_amount(spot_market, 60 * 10**6 - 1)


@given(
    token_amount=st.integers(min_value=0, max_value=10**15),
    deposit_index=st.integers(min_value=CI, max_value=5 * CI),
    borrow_index=st.integers(min_value=CI, max_value=5 * CI),
)
def test_scaled_round_trip_never_favours_the_user(token_amount, deposit_index, borrow_index):
    # Arrange
    spot_market = _usdc(
        cumulative_deposit_interest=deposit_index, cumulative_borrow_interest=borrow_index
    )
    # Act
    deposited = get_token_amount(
        get_spot_balance(token_amount, spot_market, Deposit, False), spot_market, Deposit
    )
    owed = get_token_amount(
        get_spot_balance(token_amount, spot_market, Borrow, True), spot_market, Borrow
    )
    # Assert
    assert deposited <= token_amount
    assert owed >= token_amount


@given(
    amounts=st.lists(st.integers(min_value=-(10**9), max_value=10**9), min_size=1, max_size=20),
    index=st.integers(min_value=CI, max_value=3 * CI),
)
def test_transfers_keep_market_deposits_equal_to_sum_of_balances(amounts, index):
    # Arrange
    spot_market = _usdc(cumulative_deposit_interest=index, cumulative_borrow_interest=index)
    left = SpotPosition()
    right = SpotPosition()
    update_spot_balances(10**10, Deposit, spot_market, left, False)
    update_spot_balances(10**10, Deposit, spot_market, right, False)
    # Act
    for amount in amounts:
        transfer_spot_balances(amount, spot_market, left, right)
    # Assert
    deposits = sum(p.scaled_balance for p in (left, right) if p.balance_type is Deposit)
    borrows = sum(p.scaled_balance for p in (left, right) if p.balance_type is Borrow)
    assert spot_market.deposit_balance == deposits
    assert spot_market.borrow_balance == borrows
