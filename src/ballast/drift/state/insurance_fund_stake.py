"""A staker's position in one spot market's insurance fund.

Shares are counted in the fund's current decimal base: `if_shares` is only meaningful while
`if_base == spot_market.insurance_fund.shares_base` (a fund rebase divides every share count by
`10^k`; a stake catches up lazily). Read and change `if_shares` through
`ballast.drift.math.insurance.checked_if_shares` and the controller, which enforce that.

Source: programs/drift/src/state/insurance_fund_stake.rs
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["InsuranceFundStake"]


@dataclass(slots=True)
class InsuranceFundStake:
    """An insurance fund stake. `last_withdraw_request_value` is in the token's decimals (u64);
    `cost_basis` is the net token amount staked (i64, may go negative after withdrawing gains);
    timestamps in seconds. `last_withdraw_request_shares == 0` means no unstake request is pending.

    Source: programs/drift/src/state/insurance_fund_stake.rs::InsuranceFundStake
    """

    authority: str = ""
    market_index: int = 0
    if_shares: int = 0
    if_base: int = 0
    last_withdraw_request_shares: int = 0
    last_withdraw_request_value: int = 0
    last_withdraw_request_ts: int = 0
    cost_basis: int = 0
    last_valid_ts: int = 0
