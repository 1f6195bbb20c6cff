"""Insurance fund share math: conversions, rebasing, forfeited gains, share price and yield.

The fund of a spot market holds `insurance_fund_vault_balance` tokens (the market's decimals)
against `total_if_shares` shares, of which `user_shares` belong to stakers and the rest to the
protocol. Both conversions floor, so every round trip favours the fund. Share counts are in the
fund's decimal base `shares_base`: a rebase divides them all by `10^k` and adds `k` to the base.

Source: programs/drift/src/math/insurance.rs
"""

from __future__ import annotations

from ballast.drift.constants import ONE_YEAR, PERCENTAGE_PRECISION, PRICE_PRECISION
from ballast.drift.errors import InvalidIFRebase, InvalidIFSharesDetected
from ballast.drift.state.insurance_fund_stake import InsuranceFundStake
from ballast.drift.state.spot_market import SpotMarket
from ballast.fixed import MathError, cast_u64, cast_u128, div_floor, div_trunc, proportion

__all__ = [
    "vault_amount_to_if_shares",
    "if_shares_to_vault_amount",
    "log10_iter",
    "calculate_rebase_info",
    "calculate_if_shares_lost",
    "calculate_share_price",
    "checked_if_shares",
    "calculate_rebased_if_shares",
    "calculate_if_stake_value",
    "calculate_if_unstake_amount",
    "calculate_if_unstake_available_ts",
    "calculate_insurance_fund_apr",
]


def vault_amount_to_if_shares(
    amount: int, total_if_shares: int, insurance_fund_vault_balance: int
) -> int:
    """Shares worth `amount` tokens: floor(amount * total_if_shares / vault balance).

    Exactly `amount` when the shares equal the balance. An empty vault converts 1:1, but only
    while no shares are outstanding (else InvalidIFSharesDetected: they would claim the deposit).

    Source: programs/drift/src/math/insurance.rs::vault_amount_to_if_shares
    """
    amount = cast_u64(amount)
    if insurance_fund_vault_balance > 0:
        return proportion(amount, total_if_shares, cast_u64(insurance_fund_vault_balance))
    if total_if_shares != 0:
        raise InvalidIFSharesDetected(
            f"insurance fund vault balance {insurance_fund_vault_balance} is empty but "
            f"total_if_shares is {total_if_shares}"
        )
    return amount


def if_shares_to_vault_amount(
    n_shares: int, total_if_shares: int, insurance_fund_vault_balance: int
) -> int:
    """Tokens (u64) that `n_shares` claim: floor(vault balance * n_shares / total_if_shares).

    0 when no shares exist; `n_shares > total_if_shares` raises InvalidIFSharesDetected.

    Source: programs/drift/src/math/insurance.rs::if_shares_to_vault_amount
    """
    if n_shares > total_if_shares:
        raise InvalidIFSharesDetected(f"n_shares {n_shares} > total_if_shares {total_if_shares}")
    if total_if_shares == 0:
        return 0
    return cast_u64(proportion(cast_u64(insurance_fund_vault_balance), n_shares, total_if_shares))


def log10_iter(value: int) -> int:
    """How many times `value` can be divided by 10 while it is >= 10 (0 for 0..9).

    Source: programs/drift/src/math/helpers.rs::log10_iter
    """
    exponent = 0
    while value >= 10:
        value = div_floor(value, 10)
        exponent += 1
    return exponent


def calculate_rebase_info(
    total_if_shares: int, insurance_fund_vault_balance: int
) -> tuple[int, int]:
    """`(expo_diff, rebase_divisor)` with divisor `10^expo_diff` that brings the shares back
    near the vault balance: `expo_diff = log10_iter(floor(floor(shares / 10) / balance))`.

    So `expo_diff >= 1` exactly when shares >= 100 x balance. A zero balance raises MathError.

    Source: programs/drift/src/math/insurance.rs::calculate_rebase_info
    """
    rebase_divisor_full = div_floor(
        div_floor(cast_u128(total_if_shares), 10), cast_u64(insurance_fund_vault_balance)
    )
    expo_diff = log10_iter(rebase_divisor_full)
    return expo_diff, 10**expo_diff


def calculate_if_shares_lost(
    insurance_fund_stake: InsuranceFundStake,
    spot_market: SpotMarket,
    insurance_fund_vault_balance: int,
) -> int:
    """Shares a staker forfeits on cancelling an unstake request: the gains since the request.

    With `n` requested shares now worth `a` and locked value `v`: if `a > v`, the shares the
    others would hold had the request been paid at `v` are
    `n' = vault_amount_to_if_shares(v, total - n, balance - v)` and `n - n'` are lost (floors
    favour the fund); otherwise nothing is lost (losses are not compensated).
    Raises InvalidIFSharesDetected if `n' > n`, MathError if `v` exceeds the balance.

    Source: programs/drift/src/math/insurance.rs::calculate_if_shares_lost
    """
    n_shares = insurance_fund_stake.last_withdraw_request_shares
    total_shares = spot_market.insurance_fund.total_shares
    request_value = insurance_fund_stake.last_withdraw_request_value
    amount = if_shares_to_vault_amount(n_shares, total_shares, insurance_fund_vault_balance)
    if amount <= request_value:
        return 0
    if request_value > insurance_fund_vault_balance:
        raise MathError(
            f"last_withdraw_request_value {request_value} > insurance fund vault balance "
            f"{insurance_fund_vault_balance}"
        )
    new_n_shares = vault_amount_to_if_shares(
        request_value, total_shares - n_shares, insurance_fund_vault_balance - request_value
    )
    if new_n_shares > n_shares:
        raise InvalidIFSharesDetected(
            f"shares after cancelling the request {new_n_shares} > requested shares {n_shares}"
        )
    return n_shares - new_n_shares


def calculate_share_price(total_if_shares: int, insurance_fund_vault_balance: int) -> int:
    """Tokens per share in PRICE_PRECISION (1e6), floored; 0 when there are no shares.

    Source: programs/drift/src/math/insurance.rs::calculate_share_price
    """
    if total_if_shares == 0:
        return 0
    return cast_u64(div_floor(insurance_fund_vault_balance * PRICE_PRECISION, total_if_shares))


def checked_if_shares(insurance_fund_stake: InsuranceFundStake, spot_market: SpotMarket) -> int:
    """The stake's shares, which must be in the fund's current base (else InvalidIFRebase).

    Source: programs/drift/src/state/insurance_fund_stake.rs::InsuranceFundStake::checked_if_shares
    """
    if insurance_fund_stake.if_base != spot_market.insurance_fund.shares_base:
        raise InvalidIFRebase(
            f"if stake bases mismatch: stake base {insurance_fund_stake.if_base}, "
            f"spot market {spot_market.market_index} base {spot_market.insurance_fund.shares_base}"
        )
    return insurance_fund_stake.if_shares


def _rebase_divisor(insurance_fund_stake: InsuranceFundStake, spot_market: SpotMarket) -> int:
    shares_base = spot_market.insurance_fund.shares_base
    if shares_base < insurance_fund_stake.if_base:
        raise InvalidIFRebase(
            f"stake base {insurance_fund_stake.if_base} > spot market "
            f"{spot_market.market_index} base {shares_base}"
        )
    return 10 ** (shares_base - insurance_fund_stake.if_base)


def calculate_rebased_if_shares(
    insurance_fund_stake: InsuranceFundStake, spot_market: SpotMarket
) -> tuple[int, int]:
    """`(if_shares, last_withdraw_request_shares)` of the stake expressed in the fund's current
    base, floored, without touching the stake (a read of what the lazy rebase will write).

    Raises InvalidIFRebase if the stake's base is ahead of the fund's.

    Source: programs/drift/src/controller/insurance.rs::apply_rebase_to_insurance_fund_stake
    """
    divisor = _rebase_divisor(insurance_fund_stake, spot_market)
    return (
        div_floor(insurance_fund_stake.if_shares, divisor),
        div_floor(insurance_fund_stake.last_withdraw_request_shares, divisor),
    )


def calculate_if_stake_value(
    insurance_fund_stake: InsuranceFundStake,
    spot_market: SpotMarket,
    insurance_fund_vault_balance: int,
) -> int:
    """Tokens the stake's shares claim at the current vault balance (floored).

    Source: programs/drift/src/math/insurance.rs::if_shares_to_vault_amount
    """
    if_shares, _ = calculate_rebased_if_shares(insurance_fund_stake, spot_market)
    return if_shares_to_vault_amount(
        if_shares, spot_market.insurance_fund.total_shares, insurance_fund_vault_balance
    )


def calculate_if_unstake_amount(
    insurance_fund_stake: InsuranceFundStake,
    spot_market: SpotMarket,
    insurance_fund_vault_balance: int,
) -> int:
    """Tokens the pending unstake request would pay now: the lower of the requested shares'
    current value and the value locked at the request (0 without a request).

    Source: programs/drift/src/controller/insurance.rs::remove_insurance_fund_stake
    """
    _, request_shares = calculate_rebased_if_shares(insurance_fund_stake, spot_market)
    if request_shares == 0:
        return 0
    amount = if_shares_to_vault_amount(
        request_shares, spot_market.insurance_fund.total_shares, insurance_fund_vault_balance
    )
    return min(amount, insurance_fund_stake.last_withdraw_request_value)


def calculate_if_unstake_available_ts(
    insurance_fund_stake: InsuranceFundStake, spot_market: SpotMarket
) -> int | None:
    """Earliest unix time (s) the pending unstake request can be executed; None without one.

    Source: programs/drift/src/controller/insurance.rs::remove_insurance_fund_stake
    """
    if insurance_fund_stake.last_withdraw_request_shares == 0:
        return None
    return (
        insurance_fund_stake.last_withdraw_request_ts + spot_market.insurance_fund.unstaking_period
    )


def calculate_insurance_fund_apr(
    insurance_fund_vault_balance_start: int,
    total_if_shares_start: int,
    shares_base_start: int,
    insurance_fund_vault_balance_end: int,
    total_if_shares_end: int,
    shares_base_end: int,
    window_seconds: int,
) -> int:
    """Simple annualised growth of one share's value over a window, PERCENTAGE_PRECISION (1e6 =
    100% a year, 365-day year), truncated toward zero.

    A share's value is `balance / (shares * 10^shares_base)`, so rebases inside the window do
    not register as growth. What a share earns is what a staker earns: protocol shares minted at
    settlement dilute it, payouts from the fund reduce it. 0 when a share's value is undefined
    at either end (no shares) or zero at the start; `window_seconds <= 0` raises MathError.

    Source: Ballast (derived from programs/drift/src/math/insurance.rs::calculate_share_price)
    """
    if window_seconds <= 0:
        raise MathError(f"insurance fund apr over a window of {window_seconds} s")
    if (
        total_if_shares_start == 0
        or total_if_shares_end == 0
        or insurance_fund_vault_balance_start == 0
    ):
        return 0
    value_end = insurance_fund_vault_balance_end * total_if_shares_start * 10**shares_base_start
    value_start = insurance_fund_vault_balance_start * total_if_shares_end * 10**shares_base_end
    return div_trunc(
        (value_end - value_start) * ONE_YEAR * PERCENTAGE_PRECISION, value_start * window_seconds
    )
