"""Withdraw and borrow limits of a spot market, and its deposit / borrow caps.

The limits compare the market's deposit and borrow token amounts (token decimals) after a
withdrawal with bounds derived from their 24h twaps (deposit_token_twap, borrow_token_twap) and
the utilization twap (1e6): deposits may fall at most a quarter (or withdraw_guard_threshold)
below their twap per day, borrows may rise only in steps above theirs. Markets whose deposits
are below withdraw_guard_threshold are never blocked.

Source: programs/drift/src/math/spot_withdraw.rs
"""

from __future__ import annotations

from ballast.drift.constants import SPOT_UTILIZATION_PRECISION
from ballast.drift.errors import CouldNotFindSpotPosition, MaxBorrows, MaxDeposit
from ballast.drift.math.spot_balance import calculate_utilization, get_token_amount
from ballast.drift.state.spot_market import SpotBalanceType, SpotMarket
from ballast.drift.state.user import SpotPosition, User
from ballast.fixed import U128_MAX, div_floor

__all__ = [
    "calculate_min_deposit_token_amount",
    "calculate_max_borrow_token_amount",
    "check_user_exception_to_withdraw_limits",
    "calculate_token_utilization_limits",
    "check_withdraw_limits",
    "get_max_withdraw_for_market_with_token_amount",
    "validate_max_token_deposits_and_borrows",
    "is_healthy_utilization",
]

_Deposit = SpotBalanceType.Deposit
_Borrow = SpotBalanceType.Borrow

# utilization (1e6) above which staking withdrawals are refused (is_healthy_utilization)
_UNHEALTHY_UTILIZATION = 900_000
# max_token_borrows_fraction is in 1/10_000 of max_token_deposits
_MAX_TOKEN_BORROWS_FRACTION_PRECISION = 10_000


def _deposits_and_borrows(spot_market: SpotMarket) -> tuple[int, int]:
    return (
        get_token_amount(spot_market.deposit_balance, spot_market, _Deposit),
        get_token_amount(spot_market.borrow_balance, spot_market, _Borrow),
    )


def _max_token_borrows(spot_market: SpotMarket) -> int:
    """Absolute borrow cap in tokens: max_token_deposits * fraction / 1e4, or u128::MAX when
    the fraction is 0 (no cap)."""
    if spot_market.max_token_borrows_fraction > 0:
        return div_floor(
            spot_market.max_token_deposits * spot_market.max_token_borrows_fraction,
            _MAX_TOKEN_BORROWS_FRACTION_PRECISION,
        )
    return U128_MAX


def calculate_min_deposit_token_amount(
    deposit_token_twap: int, withdraw_guard_threshold: int
) -> int:
    """Lowest deposit token amount allowed after a withdrawal (token decimals):
    ``twap - max(floor(twap / 4), min(withdraw_guard_threshold, twap))``, i.e. 75% of the
    deposit twap, or lower when the guard threshold is larger (0 once it reaches the twap).

    Source: programs/drift/src/math/spot_withdraw.rs::calculate_min_deposit_token_amount
    """
    return deposit_token_twap - max(
        div_floor(deposit_token_twap, 4), min(withdraw_guard_threshold, deposit_token_twap)
    )


def calculate_max_borrow_token_amount(
    deposit_token_amount: int,
    deposit_token_twap: int,
    borrow_token_twap: int,
    withdraw_guard_threshold: int,
    max_token_borrows: int,
    pool_id: int,
) -> int:
    """Highest borrow token amount allowed after a withdrawal (token decimals).

    With L = min(deposits, deposit twap): main pool (pool_id 0)
    ``max(guard, min(max(floor(L/3), borrow_twap + floor(L/5)), L - floor(L/14)))``; isolated
    pools use L/2, L/3 and L/20. The result is capped at `max_token_borrows`.

    Source: programs/drift/src/math/spot_withdraw.rs::calculate_max_borrow_token_amount
    """
    lesser_deposit_amount = min(deposit_token_amount, deposit_token_twap)
    if pool_id == 0:
        floor_div, step_div, ceiling_div = 3, 5, 14
    else:
        floor_div, step_div, ceiling_div = 2, 3, 20
    twap_band = min(
        max(
            div_floor(lesser_deposit_amount, floor_div),
            borrow_token_twap + div_floor(lesser_deposit_amount, step_div),
        ),
        lesser_deposit_amount - div_floor(lesser_deposit_amount, ceiling_div),
    )
    return min(max(withdraw_guard_threshold, twap_band), max_token_borrows)


def _get_spot_position(user: User, market_index: int) -> SpotPosition:
    spot_position = user.get_spot_position(market_index)
    if spot_position is None:
        raise CouldNotFindSpotPosition(
            f"user {user.key} has no spot position in market {market_index}"
        )
    return spot_position


def check_user_exception_to_withdraw_limits(
    spot_market: SpotMarket, user: User | None, token_amount_withdrawn: int | None
) -> bool:
    """Whether a small depositor may withdraw despite the market limits.

    True only for a user with net deposits >= withdraws overall, non-negative
    cumulative_deposits and a deposit in this market, whose remaining deposit plus
    `token_amount_withdrawn` is below withdraw_guard_threshold / 10 (token decimals).
    Raises CouldNotFindSpotPosition if the user has no position in the market.

    Source: programs/drift/src/math/spot_withdraw.rs::check_user_exception_to_withdraw_limits
    """
    if user is None:
        return False
    spot_position = _get_spot_position(user, spot_market.market_index)
    net_deposits = user.total_deposits - user.total_withdraws
    if (
        net_deposits < 0
        or spot_position.cumulative_deposits < 0
        or spot_position.balance_type is not _Deposit
        or token_amount_withdrawn is None
    ):
        return False
    user_deposit_token_amount = get_token_amount(
        spot_position.scaled_balance, spot_market, spot_position.balance_type
    )
    return user_deposit_token_amount + token_amount_withdrawn < div_floor(
        spot_market.withdraw_guard_threshold, 10
    )


def calculate_token_utilization_limits(
    deposit_token_amount: int, borrow_token_amount: int, spot_market: SpotMarket
) -> tuple[int, int]:
    """(min deposit tokens, max borrow tokens) allowed by utilization after a withdrawal.

    The utilization ceiling is max(optimal_utilization, twap + (1e6 -sat twap) / 2) with
    twap = utilization_twap; min deposits = floor(borrows * 1e6 / ceiling), but never more
    than deposits -sat withdraw_guard_threshold; max borrows = floor(ceiling * deposits / 1e6),
    but never less than withdraw_guard_threshold. Token decimals.

    Source: programs/drift/src/math/spot_withdraw.rs::calculate_token_utilization_limits
    """
    utilization_twap = spot_market.utilization_twap
    max_withdraw_utilization = max(
        spot_market.optimal_utilization,
        utilization_twap + div_floor(max(SPOT_UTILIZATION_PRECISION - utilization_twap, 0), 2),
    )
    guard = spot_market.withdraw_guard_threshold
    min_deposit_tokens_for_utilization = min(
        div_floor(borrow_token_amount * SPOT_UTILIZATION_PRECISION, max_withdraw_utilization),
        max(deposit_token_amount - guard, 0),
    )
    max_borrow_tokens_for_utilization = max(
        div_floor(max_withdraw_utilization * deposit_token_amount, SPOT_UTILIZATION_PRECISION),
        guard,
    )
    return min_deposit_tokens_for_utilization, max_borrow_tokens_for_utilization


def check_withdraw_limits(
    spot_market: SpotMarket, user: User | None, token_amount_withdrawn: int | None
) -> bool:
    """Whether the market's current (post-withdrawal) deposits and borrows are within limits.

    Call after the balance update of a withdrawal or borrow. Bounds: deposits >=
    max(twap minimum, utilization minimum) and borrows <= min(twap maximum, utilization
    maximum). Given a user, a user left with a deposit (or nothing) is only held to the deposit
    bound, a borrower to both; without a user both apply. When the bounds fail the small-user
    exception (check_user_exception_to_withdraw_limits) may still allow it. False means the
    instruction must fail (the reference's DailyWithdrawLimit).

    Source: programs/drift/src/math/spot_withdraw.rs::check_withdraw_limits
    """
    deposit_token_amount, borrow_token_amount = _deposits_and_borrows(spot_market)
    guard = spot_market.withdraw_guard_threshold
    max_borrow_token_for_twap = calculate_max_borrow_token_amount(
        deposit_token_amount,
        spot_market.deposit_token_twap,
        spot_market.borrow_token_twap,
        guard,
        _max_token_borrows(spot_market),
        spot_market.pool_id,
    )
    min_deposit_token_for_utilization, max_borrow_token_for_utilization = (
        calculate_token_utilization_limits(deposit_token_amount, borrow_token_amount, spot_market)
    )
    max_borrow_token = min(max_borrow_token_for_twap, max_borrow_token_for_utilization)
    min_deposit_token = max(
        calculate_min_deposit_token_amount(spot_market.deposit_token_twap, guard),
        min_deposit_token_for_utilization,
    )
    deposits_ok = deposit_token_amount >= min_deposit_token
    borrows_ok = borrow_token_amount <= max_borrow_token
    if user is not None:
        spot_position = _get_spot_position(user, spot_market.market_index)
        valid = deposits_ok and (borrows_ok or spot_position.balance_type is not _Borrow)
    else:
        valid = deposits_ok and borrows_ok
    if valid:
        return True
    return check_user_exception_to_withdraw_limits(spot_market, user, token_amount_withdrawn)


def get_max_withdraw_for_market_with_token_amount(
    spot_market: SpotMarket, token_amount: int, is_leaving_drift: bool
) -> int:
    """Most tokens (token decimals) a holder of `token_amount` (signed: deposit > 0, borrow < 0)
    can take out of the market now: its own deposit plus what may still be borrowed.

    Leaving Drift also applies the utilization limits, and a deposit at least as large as
    deposits -sat the minimum deposit is capped at that room. Otherwise the deposit counts whole
    and the borrow room is min(max borrows -sat borrows, deposits -sat borrows), and when a
    borrow cap fraction is set also <= cap -sat borrows.

    Source: programs/drift/src/math/spot_withdraw.rs::get_max_withdraw_for_market_with_token_amount
    """
    deposit_token_amount, borrow_token_amount = _deposits_and_borrows(spot_market)
    if is_leaving_drift:
        min_deposit_token_for_utilization, max_borrow_token_for_utilization = (
            calculate_token_utilization_limits(
                deposit_token_amount, borrow_token_amount, spot_market
            )
        )
    else:
        min_deposit_token_for_utilization, max_borrow_token_for_utilization = 0, U128_MAX

    guard = spot_market.withdraw_guard_threshold
    max_withdraw_amount = 0
    if token_amount > 0:
        min_deposit_token = max(
            calculate_min_deposit_token_amount(spot_market.deposit_token_twap, guard),
            min_deposit_token_for_utilization,
        )
        withdraw_limit = max(deposit_token_amount - min_deposit_token, 0)
        if withdraw_limit <= token_amount and is_leaving_drift:
            return withdraw_limit
        max_withdraw_amount = token_amount

    max_token_borrows = _max_token_borrows(spot_market)
    max_borrow_token = min(
        calculate_max_borrow_token_amount(
            deposit_token_amount,
            spot_market.deposit_token_twap,
            spot_market.borrow_token_twap,
            guard,
            max_token_borrows,
            spot_market.pool_id,
        ),
        max_borrow_token_for_utilization,
    )
    borrow_limit = min(
        max(max_borrow_token - borrow_token_amount, 0),
        max(deposit_token_amount - borrow_token_amount, 0),
    )
    if spot_market.max_token_borrows_fraction > 0:
        borrow_limit = min(borrow_limit, max(max_token_borrows - borrow_token_amount, 0))
    return max_withdraw_amount + borrow_limit


def validate_max_token_deposits_and_borrows(spot_market: SpotMarket) -> None:
    """Raise MaxDeposit if deposits exceed max_token_deposits (0 = unlimited), and MaxBorrows if
    a borrow fraction is set and borrows exceed max_token_deposits * fraction / 1e4. Tokens.

    Source: programs/drift/src/state/spot_market.rs::SpotMarket::validate_max_token_deposits_and_borrows
    """
    deposits, borrows = _deposits_and_borrows(spot_market)
    max_token_deposits = spot_market.max_token_deposits
    if max_token_deposits != 0 and deposits > max_token_deposits:
        raise MaxDeposit(
            f"spot market {spot_market.market_index} deposits {deposits} > "
            f"max_token_deposits {max_token_deposits}"
        )
    if spot_market.max_token_borrows_fraction > 0 and max_token_deposits > 0:
        max_token_borrows = _max_token_borrows(spot_market)
        if max_token_borrows != 0 and borrows > max_token_borrows:
            raise MaxBorrows(
                f"spot market {spot_market.market_index} borrows {borrows} > "
                f"max_token_borrows {max_token_borrows}"
            )


def is_healthy_utilization(spot_market: SpotMarket) -> bool:
    """Both the current utilization and utilization_twap are <= 90% (1e6 precision); the
    insurance fund refuses unstaking otherwise (SpotMarketInsufficientDeposits).

    Source: programs/drift/src/state/spot_market.rs::SpotMarket::is_healthy_utilization
    """
    deposit_token_amount, borrow_token_amount = _deposits_and_borrows(spot_market)
    utilization = calculate_utilization(deposit_token_amount, borrow_token_amount)
    return (
        spot_market.utilization_twap <= _UNHEALTHY_UTILIZATION
        and utilization <= _UNHEALTHY_UTILIZATION
    )
