"""Insurance fund: settling revenue into it, staking, unstaking and lazy share rebasing.

Token movements are the caller's: every function here takes the current vault balances (token
decimals) as plain integers and only updates shares, stakes, user stats and the revenue pool.
After a call the caller moves exactly the tokens the function reports:

* `settle_revenue_to_insurance_fund` / `attempt_settle_revenue_to_insurance_fund` /
  `handle_settle_revenue_to_insurance_fund` return `A`: move `A` spot vault -> IF vault.
* `add_insurance_fund_stake` (amount `a`): move `a` staker -> IF vault.
  `handle_add_insurance_fund_stake` returns the revenue it settled first, `A`: move `A`
  spot vault -> IF vault, then `a` staker -> IF vault.
* `remove_insurance_fund_stake` / `handle_remove_insurance_fund_stake` /
  `admin_remove_insurance_fund_stake` return `w`: move `w` IF vault -> staker (admin).
* Requests and cancels move nothing.

Controller-level functions keep the reference's signatures and checks; the `handle_*`
functions add the instruction handler's own checks (those that need no exchange state) in the
handler's order. Errors raised after a mutation leave partial changes: run them atomically.

Source: programs/drift/src/controller/insurance.rs, programs/drift/src/instructions/if_staker.rs,
programs/drift/src/instructions/keeper.rs::handle_settle_revenue_to_insurance_fund
"""

from __future__ import annotations

from typing import NamedTuple

from ballast.drift.constants import (
    GOV_SPOT_MARKET_INDEX,
    MAX_APR_PER_REVENUE_SETTLE_TO_INSURANCE_FUND_VAULT,
    MAX_APR_PER_REVENUE_SETTLE_TO_INSURANCE_FUND_VAULT_GOV,
    ONE_YEAR,
    PERCENTAGE_PRECISION,
    QUOTE_SPOT_MARKET_INDEX,
    SHARE_OF_REVENUE_ALLOCATED_TO_INSURANCE_FUND_VAULT_DENOMINATOR,
    SHARE_OF_REVENUE_ALLOCATED_TO_INSURANCE_FUND_VAULT_NUMERATOR,
)
from ballast.drift.controller.spot_balance import (
    update_revenue_pool_balances,
    update_spot_market_cumulative_interest,
    validate_spot_balances,
    validate_spot_market_vault_amount,
)
from ballast.drift.errors import (
    IFWithdrawRequestInProgress,
    IFWithdrawRequestTooSmall,
    IncorrectSpotMarketAccountPassed,
    InsufficientDeposit,
    InsufficientIFShares,
    InvalidIFDetected,
    InvalidIFForNewStakes,
    InvalidIFRebase,
    InvalidIFUnstake,
    InvalidIFUnstakeCancel,
    InvalidInsuranceUnstakeSize,
    InvalidSpotMarketAccount,
    InvalidSpotMarketState,
    NoIFWithdrawRequestInProgress,
    NoRevenueToSettleToIF,
    RevenueSettingsCannotSettleToIF,
    SpotMarketInsufficientDeposits,
    TryingToRemoveLiquidityTooFast,
)
from ballast.drift.events import InsuranceFundRecord, InsuranceFundStakeRecord, StakeAction
from ballast.drift.math.helpers import on_the_hour_update
from ballast.drift.math.insurance import (
    calculate_if_shares_lost,
    calculate_rebase_info,
    checked_if_shares,
    if_shares_to_vault_amount,
    vault_amount_to_if_shares,
)
from ballast.drift.math.spot_balance import calculate_spot_market_utilization, get_token_amount
from ballast.drift.state.insurance_fund_stake import InsuranceFundStake
from ballast.drift.state.spot_market import SpotBalanceType, SpotMarket, SpotMarketStatus
from ballast.drift.state.user import UserStats
from ballast.fixed import (
    MathError,
    cast_i64,
    cast_u64,
    cast_u128,
    div_floor,
    proportion,
)

# utilization (1e6) above which unstaking is blocked: state/spot_market.rs::is_healthy_utilization
_UNHEALTHY_UTILIZATION = 900_000

__all__ = [
    "initialize_insurance_fund_stake",
    "update_user_stats_if_stake_amount",
    "add_insurance_fund_stake",
    "apply_rebase_to_insurance_fund",
    "apply_rebase_to_insurance_fund_stake",
    "request_remove_insurance_fund_stake",
    "cancel_request_remove_insurance_fund_stake",
    "remove_insurance_fund_stake",
    "admin_remove_insurance_fund_stake",
    "attempt_settle_revenue_to_insurance_fund",
    "settle_revenue_to_insurance_fund",
    "handle_settle_revenue_to_insurance_fund",
    "handle_add_insurance_fund_stake",
    "handle_request_remove_insurance_fund_stake",
    "handle_cancel_request_remove_insurance_fund_stake",
    "handle_remove_insurance_fund_stake",
]


def initialize_insurance_fund_stake(
    authority: str, market_index: int, now: int
) -> InsuranceFundStake:
    """A new, empty stake of `authority` in market `market_index`'s fund (base 0).

    Source: programs/drift/src/state/insurance_fund_stake.rs::InsuranceFundStake::new
    """
    return InsuranceFundStake(authority=authority, market_index=market_index, last_valid_ts=now)


class _SharesBefore(NamedTuple):
    """Share counts (in the fund's current base) before a stake change."""

    if_shares: int
    user_if_shares: int
    total_if_shares: int


def _rebase_fund_and_stake(
    insurance_vault_amount: int, insurance_fund_stake: InsuranceFundStake, spot_market: SpotMarket
) -> _SharesBefore:
    """Rebase the fund then the stake, and read the stake's (checked), the fund's user and total
    shares before the change.

    Source: programs/drift/src/controller/insurance.rs::add_insurance_fund_stake (the opening
    apply_rebase_* calls and *_shares_before reads shared by the stake instructions)
    """
    apply_rebase_to_insurance_fund(insurance_vault_amount, spot_market)
    apply_rebase_to_insurance_fund_stake(insurance_fund_stake, spot_market)
    insurance_fund = spot_market.insurance_fund
    if_shares_before = checked_if_shares(insurance_fund_stake, spot_market)
    return _SharesBefore(if_shares_before, insurance_fund.user_shares, insurance_fund.total_shares)


def _stake_record(
    action: StakeAction,
    amount: int,
    insurance_vault_amount: int,
    authority: str,
    spot_market: SpotMarket,
    before: _SharesBefore,
    if_shares_after: int,
    now: int,
) -> InsuranceFundStakeRecord:
    """The InsuranceFundStakeRecord of a stake change (amount in tokens; the fund's user and
    total shares after are read now).

    Source: programs/drift/src/controller/insurance.rs::add_insurance_fund_stake (its
    emit!(InsuranceFundStakeRecord { .. }))
    """
    insurance_fund = spot_market.insurance_fund
    return InsuranceFundStakeRecord(
        ts=now,
        user_authority=authority,
        action=action,
        amount=amount,
        market_index=spot_market.market_index,
        insurance_vault_amount_before=insurance_vault_amount,
        if_shares_before=before.if_shares,
        user_if_shares_before=before.user_if_shares,
        total_if_shares_before=before.total_if_shares,
        if_shares_after=if_shares_after,
        user_if_shares_after=insurance_fund.user_shares,
        total_if_shares_after=insurance_fund.total_shares,
    )


def _record_stake_change(
    events: list | None,
    action: StakeAction,
    amount: int,
    stake_delta: int,
    insurance_vault_amount: int,
    insurance_fund_stake: InsuranceFundStake,
    user_stats: UserStats,
    spot_market: SpotMarket,
    before: _SharesBefore,
    now: int,
) -> None:
    """update_user_stats_if_stake_amount by `stake_delta` (tokens), then the staker's
    InsuranceFundStakeRecord of `amount` tokens.

    Source: programs/drift/src/controller/insurance.rs::add_insurance_fund_stake (the closing
    steps shared by the stake instructions)
    """
    update_user_stats_if_stake_amount(
        stake_delta, insurance_vault_amount, insurance_fund_stake, user_stats, spot_market, now
    )
    authority, if_shares_after = user_stats.authority, insurance_fund_stake.if_shares
    record = _stake_record(
        action, amount, insurance_vault_amount, authority, spot_market, before, if_shares_after, now
    )
    _emit(events, record)


def _emit(events: list | None, record: object) -> None:
    if events is not None:
        events.append(record)


def update_user_stats_if_stake_amount(
    if_stake_amount_delta: int,
    insurance_vault_amount: int,
    insurance_fund_stake: InsuranceFundStake,
    user_stats: UserStats,
    spot_market: SpotMarket,
    now: int,
) -> None:
    """Record the staker's token value in the quote (market 0) or governance (market 15) fund.

    The value is that of the stake's shares at the vault balance moved by the delta the caller
    is about to transfer (`vault + delta`, token decimals, floored); other markets are ignored.
    Fuel bonuses are not modelled (`now` is kept for the reference's signature).

    Source: programs/drift/src/controller/insurance.rs::update_user_stats_if_stake_amount
    """
    market_index = spot_market.market_index
    if market_index not in (QUOTE_SPOT_MARKET_INDEX, GOV_SPOT_MARKET_INDEX):
        return
    vault_after = cast_u64(insurance_vault_amount + if_stake_amount_delta)
    if_stake_amount = if_shares_to_vault_amount(
        checked_if_shares(insurance_fund_stake, spot_market),
        spot_market.insurance_fund.total_shares,
        vault_after,
    )
    if market_index == QUOTE_SPOT_MARKET_INDEX:
        user_stats.if_staked_quote_asset_amount = if_stake_amount
    else:
        user_stats.if_staked_gov_token_amount = if_stake_amount


def apply_rebase_to_insurance_fund(
    insurance_fund_vault_balance: int, spot_market: SpotMarket
) -> None:
    """Rebase the fund's share counts when they have outgrown the vault, and hand an orphaned
    balance to the protocol.

    If `0 < balance < total_shares`: divide total and user shares by `10^k` (floored) from
    `calculate_rebase_info` and add `k` to `shares_base` (k is 0 until shares >= 100 x balance).
    Then, if the balance is non-zero but no shares exist, `total_shares = balance` (protocol
    shares: e.g. the 1-token dust the last unstaker leaves, or a pre-seeded vault).

    Source: programs/drift/src/controller/insurance.rs::apply_rebase_to_insurance_fund
    """
    insurance_fund = spot_market.insurance_fund
    if (
        insurance_fund_vault_balance != 0
        and insurance_fund_vault_balance < insurance_fund.total_shares
    ):
        expo_diff, rebase_divisor = calculate_rebase_info(
            insurance_fund.total_shares, insurance_fund_vault_balance
        )
        insurance_fund.total_shares = div_floor(insurance_fund.total_shares, rebase_divisor)
        insurance_fund.user_shares = div_floor(insurance_fund.user_shares, rebase_divisor)
        insurance_fund.shares_base += expo_diff
    if insurance_fund_vault_balance != 0 and insurance_fund.total_shares == 0:
        insurance_fund.total_shares = cast_u128(insurance_fund_vault_balance)


def apply_rebase_to_insurance_fund_stake(
    insurance_fund_stake: InsuranceFundStake, spot_market: SpotMarket
) -> None:
    """Bring a stake to the fund's share base: divide its shares and requested shares by
    `10^(fund base - stake base)` (floored). The per-stake floors can leave the sum of stakes
    below `user_shares`; that dust stays in `user_shares`.

    Raises InvalidIFRebase if the stake's base is ahead of the fund's.

    Source: programs/drift/src/controller/insurance.rs::apply_rebase_to_insurance_fund_stake
    """
    shares_base = spot_market.insurance_fund.shares_base
    if shares_base == insurance_fund_stake.if_base:
        return
    if shares_base < insurance_fund_stake.if_base:
        raise InvalidIFRebase(
            f"rebase expo out of bounds: stake base {insurance_fund_stake.if_base} > "
            f"spot market {spot_market.market_index} base {shares_base}"
        )
    rebase_divisor = 10 ** (shares_base - insurance_fund_stake.if_base)
    insurance_fund_stake.if_base = shares_base
    insurance_fund_stake.if_shares = div_floor(insurance_fund_stake.if_shares, rebase_divisor)
    insurance_fund_stake.last_withdraw_request_shares = div_floor(
        insurance_fund_stake.last_withdraw_request_shares, rebase_divisor
    )


def add_insurance_fund_stake(
    amount: int,
    insurance_vault_amount: int,
    insurance_fund_stake: InsuranceFundStake,
    user_stats: UserStats,
    spot_market: SpotMarket,
    now: int,
    events: list | None = None,
) -> None:
    """Mint user shares for `amount` tokens at the pre-deposit vault balance (floored).

    Rejects a drained fund with outstanding shares (InvalidIFForNewStakes: they would own the new
    money). Rebases fund and stake first; `cost_basis` restarts at `amount` when the stake held no
    shares, else grows by it. The caller then moves `amount` staker -> IF vault.

    Source: programs/drift/src/controller/insurance.rs::add_insurance_fund_stake
    """
    insurance_fund = spot_market.insurance_fund
    if insurance_vault_amount == 0 and insurance_fund.total_shares != 0:
        raise InvalidIFForNewStakes(
            f"insurance fund of spot market {spot_market.market_index} has balance 0 but "
            f"total_shares {insurance_fund.total_shares}; it must be non-zero for new stakers"
        )
    before = _rebase_fund_and_stake(insurance_vault_amount, insurance_fund_stake, spot_market)
    if_shares_before = before.if_shares

    n_shares = vault_amount_to_if_shares(
        amount, insurance_fund.total_shares, insurance_vault_amount
    )
    if if_shares_before == 0:
        insurance_fund_stake.cost_basis = cast_i64(amount)
    else:
        insurance_fund_stake.cost_basis = cast_i64(insurance_fund_stake.cost_basis + amount)
    insurance_fund_stake.if_shares = cast_u128(if_shares_before + n_shares)
    insurance_fund.total_shares = cast_u128(insurance_fund.total_shares + n_shares)
    insurance_fund.user_shares = cast_u128(insurance_fund.user_shares + n_shares)

    _record_stake_change(
        events,
        StakeAction.Stake,
        amount,
        amount,
        insurance_vault_amount,
        insurance_fund_stake,
        user_stats,
        spot_market,
        before,
        now,
    )


def request_remove_insurance_fund_stake(
    n_shares: int,
    insurance_vault_amount: int,
    insurance_fund_stake: InsuranceFundStake,
    user_stats: UserStats,
    spot_market: SpotMarket,
    now: int,
    events: list | None = None,
) -> None:
    """Start the cooldown for `n_shares` (in the stake's base before any rebase) and lock their
    current value: `min(value of the shares, balance - 1)` tokens, floored.

    The request is recorded before rebasing, so a rebase here divides it too. The shares stay in
    the stake and in `total_shares`/`user_shares` until removal. Raises
    InvalidInsuranceUnstakeSize if the request exceeds the stake's shares.

    Source: programs/drift/src/controller/insurance.rs::request_remove_insurance_fund_stake
    """
    insurance_fund = spot_market.insurance_fund
    insurance_fund_stake.last_withdraw_request_shares = cast_u128(n_shares)
    before = _rebase_fund_and_stake(insurance_vault_amount, insurance_fund_stake, spot_market)
    if_shares_before = before.if_shares

    request_shares = insurance_fund_stake.last_withdraw_request_shares
    if request_shares > if_shares_before:
        raise InvalidInsuranceUnstakeSize(
            f"last_withdraw_request_shares {request_shares} exceeds if_shares {if_shares_before}"
        )
    # capped below the balance, so the reference's InvalidIFUnstakeSize check cannot fire
    request_value = min(
        if_shares_to_vault_amount(
            request_shares, insurance_fund.total_shares, insurance_vault_amount
        ),
        max(insurance_vault_amount - 1, 0),
    )
    insurance_fund_stake.last_withdraw_request_value = request_value

    _record_stake_change(
        events,
        StakeAction.UnstakeRequest,
        request_value,
        0,
        insurance_vault_amount,
        insurance_fund_stake,
        user_stats,
        spot_market,
        before,
        now,
    )
    insurance_fund_stake.last_withdraw_request_ts = now


def cancel_request_remove_insurance_fund_stake(
    insurance_vault_amount: int,
    insurance_fund_stake: InsuranceFundStake,
    user_stats: UserStats,
    spot_market: SpotMarket,
    now: int,
    events: list | None = None,
) -> None:
    """Cancel the pending request, burning the shares that represent gains since the request
    (`calculate_if_shares_lost`; their value stays in the vault for the other holders), and
    restart the cooldown clock (`last_withdraw_request_ts = now`).

    Raises InvalidIFUnstakeCancel when no request is pending.

    Source: programs/drift/src/controller/insurance.rs::cancel_request_remove_insurance_fund_stake
    """
    before = _rebase_fund_and_stake(insurance_vault_amount, insurance_fund_stake, spot_market)
    if_shares_before = before.if_shares

    if insurance_fund_stake.last_withdraw_request_shares == 0:
        raise InvalidIFUnstakeCancel(
            f"no withdraw request in progress for {insurance_fund_stake.authority!r} in "
            f"spot market {spot_market.market_index}"
        )
    if_shares_lost = calculate_if_shares_lost(
        insurance_fund_stake, spot_market, insurance_vault_amount
    )
    _decrease_shares(insurance_fund_stake, spot_market, if_shares_before, if_shares_lost)

    _record_stake_change(
        events,
        StakeAction.UnstakeCancelRequest,
        0,
        0,
        insurance_vault_amount,
        insurance_fund_stake,
        user_stats,
        spot_market,
        before,
        now,
    )
    insurance_fund_stake.last_withdraw_request_shares = 0
    insurance_fund_stake.last_withdraw_request_value = 0
    insurance_fund_stake.last_withdraw_request_ts = now


def _decrease_shares(
    insurance_fund_stake: InsuranceFundStake,
    spot_market: SpotMarket,
    if_shares_before: int,
    n_shares: int,
) -> None:
    """Burn `n_shares` from the stake, `total_shares` and `user_shares` (MathError below 0)."""
    insurance_fund = spot_market.insurance_fund
    for name, held in (
        ("stake if_shares", if_shares_before),
        ("total_shares", insurance_fund.total_shares),
        ("user_shares", insurance_fund.user_shares),
    ):
        if n_shares > held:
            raise MathError(f"{name} {held} < shares to burn {n_shares}")
    insurance_fund_stake.if_shares = if_shares_before - n_shares
    insurance_fund.total_shares -= n_shares
    insurance_fund.user_shares -= n_shares


def remove_insurance_fund_stake(
    insurance_vault_amount: int,
    insurance_fund_stake: InsuranceFundStake,
    user_stats: UserStats,
    spot_market: SpotMarket,
    now: int,
    events: list | None = None,
) -> int:
    """Execute the pending request after the cooldown; return the tokens to pay out.

    Pays `min(current value of the requested shares, value locked at the request)`: losses
    during the cooldown hit the unstaker, gains stay in the vault. Burns the requested shares,
    lowers `cost_basis` by the payout (may go negative) and clears the request. Raises
    TryingToRemoveLiquidityTooFast before `last_withdraw_request_ts + unstaking_period`,
    InvalidIFUnstake without a request, InsufficientIFShares if the stake holds fewer shares.
    The caller moves the returned amount IF vault -> staker.

    Source: programs/drift/src/controller/insurance.rs::remove_insurance_fund_stake
    """
    insurance_fund = spot_market.insurance_fund
    time_since_withdraw_request = now - insurance_fund_stake.last_withdraw_request_ts
    if time_since_withdraw_request < insurance_fund.unstaking_period:
        raise TryingToRemoveLiquidityTooFast(
            f"{time_since_withdraw_request} s since the withdraw request at "
            f"{insurance_fund_stake.last_withdraw_request_ts} < unstaking_period "
            f"{insurance_fund.unstaking_period} s"
        )
    before = _rebase_fund_and_stake(insurance_vault_amount, insurance_fund_stake, spot_market)
    if_shares_before = before.if_shares

    n_shares = insurance_fund_stake.last_withdraw_request_shares
    if n_shares == 0:
        raise InvalidIFUnstake(
            f"no withdraw request for {insurance_fund_stake.authority!r} in spot market "
            f"{spot_market.market_index}: request and wait the unstaking period first"
        )
    if if_shares_before < n_shares:
        raise InsufficientIFShares(f"if_shares {if_shares_before} < requested shares {n_shares}")

    amount = if_shares_to_vault_amount(
        n_shares, insurance_fund.total_shares, insurance_vault_amount
    )
    calculate_if_shares_lost(insurance_fund_stake, spot_market, insurance_vault_amount)
    withdraw_amount = min(amount, insurance_fund_stake.last_withdraw_request_value)

    _decrease_shares(insurance_fund_stake, spot_market, if_shares_before, n_shares)
    insurance_fund_stake.cost_basis = cast_i64(insurance_fund_stake.cost_basis - withdraw_amount)
    insurance_fund_stake.last_withdraw_request_shares = 0
    insurance_fund_stake.last_withdraw_request_value = 0
    insurance_fund_stake.last_withdraw_request_ts = now

    _record_stake_change(
        events,
        StakeAction.Unstake,
        withdraw_amount,
        -withdraw_amount,
        insurance_vault_amount,
        insurance_fund_stake,
        user_stats,
        spot_market,
        before,
        now,
    )
    return withdraw_amount


def admin_remove_insurance_fund_stake(
    insurance_vault_amount: int,
    n_shares: int,
    spot_market: SpotMarket,
    now: int,
    admin_authority: str,
    events: list | None = None,
) -> int:
    """Burn `n_shares` protocol-owned shares and return their value (floored) for the admin.

    Raises InsufficientIFShares beyond `total_shares - user_shares`. The caller moves the
    returned amount IF vault -> admin.

    Source: programs/drift/src/controller/insurance.rs::admin_remove_insurance_fund_stake
    """
    insurance_fund = spot_market.insurance_fund
    apply_rebase_to_insurance_fund(insurance_vault_amount, spot_market)
    total_if_shares_before = insurance_fund.total_shares
    user_if_shares_before = insurance_fund.user_shares
    if_shares_before = total_if_shares_before - user_if_shares_before
    if if_shares_before < n_shares:
        raise InsufficientIFShares(f"protocol if_shares {if_shares_before} < n_shares {n_shares}")
    withdraw_amount = if_shares_to_vault_amount(
        n_shares, insurance_fund.total_shares, insurance_vault_amount
    )
    insurance_fund.total_shares -= n_shares
    _emit(
        events,
        _stake_record(
            StakeAction.Unstake,
            withdraw_amount,
            insurance_vault_amount,
            admin_authority,
            spot_market,
            _SharesBefore(if_shares_before, user_if_shares_before, total_if_shares_before),
            insurance_fund.total_shares - user_if_shares_before,
            now,
        ),
    )
    return withdraw_amount


def settle_revenue_to_insurance_fund(
    spot_market_vault_amount: int,
    insurance_vault_amount: int,
    spot_market: SpotMarket,
    now: int,
    check_invariants: bool,
    events: list | None = None,
) -> int:
    """Take this period's slice of the revenue pool for the insurance fund; return it (tokens).

    Accrues interest first. With `revenue_settle_period == 0` nothing else happens (returns 0).
    The slice `A` is the revenue pool's tokens, or half the depositors' claim when that is
    smaller; while users are staked, at most a tenth of it and at most what the APR cap
    (1000%, 4.5454% for the governance market) pays on the fund's balance for one period:
    `floor(floor(balance * apr / 1e6) / max(floor(ONE_YEAR / period), 1))`. The protocol's
    `(total_factor - user_factor) / total_factor` slice is minted as protocol shares at the
    pre-settle price; the rest raises every holder's share price. The revenue pool is debited
    `A`; the caller moves `A` spot vault -> IF vault. Raises RevenueSettingsCannotSettleToIF if
    `user_factor > total_factor`, NoRevenueToSettleToIF for `A == 0` when `check_invariants`.

    Source: programs/drift/src/controller/insurance.rs::settle_revenue_to_insurance_fund
    """
    update_spot_market_cumulative_interest(spot_market, None, now)
    insurance_fund = spot_market.insurance_fund
    if insurance_fund.revenue_settle_period == 0:
        return 0
    if insurance_fund.user_factor > insurance_fund.total_factor:
        raise RevenueSettingsCannotSettleToIF(
            f"spot market {spot_market.market_index} user_factor {insurance_fund.user_factor} > "
            f"total_factor {insurance_fund.total_factor}"
        )
    depositors_claim = validate_spot_market_vault_amount(spot_market, spot_market_vault_amount)
    revenue_pool_token_amount = get_token_amount(
        spot_market.revenue_pool.scaled_balance, spot_market, SpotBalanceType.Deposit
    )
    token_amount = revenue_pool_token_amount
    if depositors_claim < token_amount:
        # only half of what depositors could withdraw when utilization is high
        token_amount = div_floor(max(depositors_claim, 0), 2)

    if insurance_fund.user_shares > 0:
        max_apr = (
            MAX_APR_PER_REVENUE_SETTLE_TO_INSURANCE_FUND_VAULT_GOV
            if spot_market.market_index == GOV_SPOT_MARKET_INDEX
            else MAX_APR_PER_REVENUE_SETTLE_TO_INSURANCE_FUND_VAULT
        )
        settles_per_year = max(div_floor(ONE_YEAR, insurance_fund.revenue_settle_period), 1)
        capped_apr_amount = div_floor(
            div_floor(cast_u64(insurance_vault_amount) * max_apr, PERCENTAGE_PRECISION),
            settles_per_year,
        )
        token_amount = min(div_floor(token_amount, 10), capped_apr_amount)

    insurance_fund_token_amount = cast_u64(
        proportion(
            token_amount,
            SHARE_OF_REVENUE_ALLOCATED_TO_INSURANCE_FUND_VAULT_NUMERATOR,
            SHARE_OF_REVENUE_ALLOCATED_TO_INSURANCE_FUND_VAULT_DENOMINATOR,
        )
    )
    if check_invariants and insurance_fund_token_amount == 0:
        raise NoRevenueToSettleToIF(
            f"no revenue to settle to the insurance fund of spot market {spot_market.market_index} "
            f"(revenue pool {revenue_pool_token_amount}, depositors_claim {depositors_claim}, "
            f"insurance vault {insurance_vault_amount}, user_shares {insurance_fund.user_shares})"
        )
    insurance_fund.last_revenue_settle_ts = now

    protocol_if_factor = insurance_fund.total_factor - insurance_fund.user_factor
    if protocol_if_factor > 0:
        n_shares = vault_amount_to_if_shares(
            div_floor(
                insurance_fund_token_amount * protocol_if_factor, insurance_fund.total_factor
            ),
            insurance_fund.total_shares,
            insurance_vault_amount,
        )
        insurance_fund.total_shares = cast_u128(insurance_fund.total_shares + n_shares)

    total_if_shares_before = insurance_fund.total_shares  # the reference reads it after the mint
    update_revenue_pool_balances(insurance_fund_token_amount, SpotBalanceType.Borrow, spot_market)
    _emit(
        events,
        InsuranceFundRecord(
            ts=now,
            spot_market_index=spot_market.market_index,
            perp_market_index=0,
            user_if_factor=insurance_fund.user_factor,
            total_if_factor=insurance_fund.total_factor,
            vault_amount_before=spot_market_vault_amount,
            insurance_vault_amount_before=insurance_vault_amount,
            total_if_shares_before=total_if_shares_before,
            total_if_shares_after=insurance_fund.total_shares,
            amount=cast_i64(insurance_fund_token_amount),
        ),
    )
    return insurance_fund_token_amount


def attempt_settle_revenue_to_insurance_fund(
    spot_market_vault_amount: int,
    insurance_fund_vault_amount: int,
    spot_market: SpotMarket,
    now: int,
    events: list | None = None,
) -> int:
    """Settle revenue to the fund if a settlement is due now, without requiring any; return the
    amount the caller moves spot vault -> IF vault (0 when nothing was due or settled).

    Due means `revenue_settle_period > 0` and `on_the_hour_update(...) == 0`; then
    `last_revenue_settle_ts = now` even if the amount is 0.

    Source: programs/drift/src/controller/insurance.rs::attempt_settle_revenue_to_insurance_fund
    """
    insurance_fund = spot_market.insurance_fund
    if insurance_fund.revenue_settle_period <= 0:
        return 0
    time_until_next_update = on_the_hour_update(
        now, insurance_fund.last_revenue_settle_ts, insurance_fund.revenue_settle_period
    )
    if time_until_next_update != 0:
        return 0
    token_amount = settle_revenue_to_insurance_fund(
        spot_market_vault_amount, insurance_fund_vault_amount, spot_market, now, False, events
    )
    insurance_fund.last_revenue_settle_ts = now
    return token_amount


def _check_stake_market(insurance_fund_stake: InsuranceFundStake, spot_market: SpotMarket) -> None:
    if insurance_fund_stake.market_index != spot_market.market_index:
        raise IncorrectSpotMarketAccountPassed(
            f"insurance_fund_stake market_index {insurance_fund_stake.market_index} does not "
            f"match spot market {spot_market.market_index}"
        )


def handle_settle_revenue_to_insurance_fund(
    spot_market_index: int,
    spot_market_vault_amount: int,
    insurance_vault_amount: int,
    spot_market: SpotMarket,
    now: int,
    events: list | None = None,
) -> int:
    """The permissionless keeper instruction: settle the revenue pool's slice on the hour.

    Raises InvalidSpotMarketAccount for another market, RevenueSettingsCannotSettleToIF when
    `revenue_settle_period == 0` or the next on-the-hour slot is still ahead (naming the wait),
    NoRevenueToSettleToIF when nothing would move, SpotMarketVaultInvariantViolated if the spot
    vault would fall below the depositors' claim. Returns `A`; the caller moves it
    spot vault -> IF vault. (Withdraw-pause checks are the exchange's.)

    Source: programs/drift/src/instructions/keeper.rs::handle_settle_revenue_to_insurance_fund
    """
    if spot_market_index != spot_market.market_index:
        raise InvalidSpotMarketAccount(
            f"spot_market_index {spot_market_index} != spot market {spot_market.market_index}"
        )
    insurance_fund = spot_market.insurance_fund
    if insurance_fund.revenue_settle_period <= 0:
        raise RevenueSettingsCannotSettleToIF(
            f"spot market {spot_market_index} revenue_settle_period "
            f"{insurance_fund.revenue_settle_period} must be > 0"
        )
    time_until_next_update = on_the_hour_update(
        now, insurance_fund.last_revenue_settle_ts, insurance_fund.revenue_settle_period
    )
    if time_until_next_update != 0:
        raise RevenueSettingsCannotSettleToIF(
            f"must wait {time_until_next_update} s until the next settlement of spot market "
            f"{spot_market_index} (last at {insurance_fund.last_revenue_settle_ts}, now {now})"
        )
    token_amount = settle_revenue_to_insurance_fund(
        spot_market_vault_amount, insurance_vault_amount, spot_market, now, True, events
    )
    insurance_fund.last_revenue_settle_ts = now
    validate_spot_market_vault_amount(spot_market, spot_market_vault_amount - token_amount)
    return token_amount


def handle_add_insurance_fund_stake(
    amount: int,
    spot_market_vault_amount: int,
    insurance_vault_amount: int,
    insurance_fund_stake: InsuranceFundStake,
    user_stats: UserStats,
    spot_market: SpotMarket,
    now: int,
    events: list | None = None,
) -> int:
    """The stake instruction: checks, a due revenue settlement, then `add_insurance_fund_stake`
    at the settled vault balance.

    Raises InsufficientDeposit for `amount <= 0`, IncorrectSpotMarketAccountPassed for a stake
    of another market, InvalidSpotMarketState for a market still Initialized,
    IFWithdrawRequestInProgress while an unstake request is pending. Returns the settled revenue
    `A`: the caller moves `A` spot vault -> IF vault, then `amount` staker -> IF vault.

    Source: programs/drift/src/instructions/if_staker.rs::handle_add_insurance_fund_stake
    """
    if amount <= 0:
        raise InsufficientDeposit(f"insurance fund stake amount {amount} must be > 0")
    _check_stake_market(insurance_fund_stake, spot_market)
    if spot_market.status is SpotMarketStatus.Initialized:
        raise InvalidSpotMarketState(
            f"spot market {spot_market.market_index} is {spot_market.status.name}, not active "
            f"for insurance_fund_stake"
        )
    if (
        insurance_fund_stake.last_withdraw_request_shares != 0
        or insurance_fund_stake.last_withdraw_request_value != 0
    ):
        raise IFWithdrawRequestInProgress(
            f"withdraw request in progress: {insurance_fund_stake.last_withdraw_request_shares} "
            f"shares worth {insurance_fund_stake.last_withdraw_request_value}"
        )
    settled = attempt_settle_revenue_to_insurance_fund(
        spot_market_vault_amount, insurance_vault_amount, spot_market, now, events
    )
    validate_spot_market_vault_amount(spot_market, spot_market_vault_amount - settled)
    add_insurance_fund_stake(
        amount,
        insurance_vault_amount + settled,
        insurance_fund_stake,
        user_stats,
        spot_market,
        now,
        events,
    )
    return settled


def handle_request_remove_insurance_fund_stake(
    amount: int,
    insurance_vault_amount: int,
    insurance_fund_stake: InsuranceFundStake,
    user_stats: UserStats,
    spot_market: SpotMarket,
    now: int,
    events: list | None = None,
) -> None:
    """The unstake-request instruction for `amount` tokens' worth of the stake.

    Converts the amount to shares at the current (pre-rebase) share count, floored. Raises
    IncorrectSpotMarketAccountPassed, IFWithdrawRequestInProgress for a second request,
    IFWithdrawRequestTooSmall when the amount buys no share, InvalidIFRebase for a stake not yet
    rebased, InsufficientIFShares beyond the stake.

    Source: programs/drift/src/instructions/if_staker.rs::handle_request_remove_insurance_fund_stake
    """
    _check_stake_market(insurance_fund_stake, spot_market)
    if insurance_fund_stake.last_withdraw_request_shares != 0:
        raise IFWithdrawRequestInProgress(
            f"withdraw request already in progress: "
            f"{insurance_fund_stake.last_withdraw_request_shares} shares"
        )
    n_shares = vault_amount_to_if_shares(
        amount, spot_market.insurance_fund.total_shares, insurance_vault_amount
    )
    if n_shares == 0:
        raise IFWithdrawRequestTooSmall(
            f"unstake request of {amount} tokens is worth 0 shares (total_shares "
            f"{spot_market.insurance_fund.total_shares}, vault {insurance_vault_amount})"
        )
    user_if_shares = checked_if_shares(insurance_fund_stake, spot_market)
    if user_if_shares < n_shares:
        raise InsufficientIFShares(f"if_shares {user_if_shares} < requested shares {n_shares}")
    request_remove_insurance_fund_stake(
        n_shares, insurance_vault_amount, insurance_fund_stake, user_stats, spot_market, now, events
    )


def handle_cancel_request_remove_insurance_fund_stake(
    insurance_vault_amount: int,
    insurance_fund_stake: InsuranceFundStake,
    user_stats: UserStats,
    spot_market: SpotMarket,
    now: int,
    events: list | None = None,
) -> None:
    """The cancel instruction. Raises IncorrectSpotMarketAccountPassed and
    NoIFWithdrawRequestInProgress without a pending request.

    Source: programs/drift/src/instructions/if_staker.rs::handle_cancel_request_remove_insurance_fund_stake
    """
    _check_stake_market(insurance_fund_stake, spot_market)
    if insurance_fund_stake.last_withdraw_request_shares == 0:
        raise NoIFWithdrawRequestInProgress(
            f"no withdraw request in progress for {insurance_fund_stake.authority!r}"
        )
    cancel_request_remove_insurance_fund_stake(
        insurance_vault_amount, insurance_fund_stake, user_stats, spot_market, now, events
    )


def handle_remove_insurance_fund_stake(
    insurance_vault_amount: int,
    insurance_fund_stake: InsuranceFundStake,
    user_stats: UserStats,
    spot_market: SpotMarket,
    now: int,
    events: list | None = None,
) -> int:
    """The unstake instruction: `remove_insurance_fund_stake`, then the fund must keep a
    non-zero balance (InvalidIFDetected) and the spot balances must validate.

    Raises SpotMarketInsufficientDeposits first unless the market's utilization and its twap
    are both <= 90% (`is_healthy_utilization`). Returns the payout; the caller moves it
    IF vault -> staker. Withdraw-pause checks are the exchange's.

    Source: programs/drift/src/instructions/if_staker.rs::handle_remove_insurance_fund_stake
    """
    _check_stake_market(insurance_fund_stake, spot_market)
    utilization = calculate_spot_market_utilization(spot_market)
    if (
        utilization > _UNHEALTHY_UTILIZATION
        or spot_market.utilization_twap > _UNHEALTHY_UTILIZATION
    ):
        raise SpotMarketInsufficientDeposits(
            f"spot market {spot_market.market_index} utilization {utilization} or twap "
            f"{spot_market.utilization_twap} above health threshold {_UNHEALTHY_UTILIZATION}"
        )
    amount = remove_insurance_fund_stake(
        insurance_vault_amount, insurance_fund_stake, user_stats, spot_market, now, events
    )
    if insurance_vault_amount - amount <= 0:
        raise InvalidIFDetected(
            f"insurance fund vault of spot market {spot_market.market_index} would hold "
            f"{insurance_vault_amount - amount} after paying {amount}; it must remain > 0"
        )
    validate_spot_balances(spot_market)
    return amount
