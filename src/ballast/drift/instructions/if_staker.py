"""Insurance fund staking instructions.

Methods of `ballast.drift.exchange.Exchange` (a mixin): each validates its inputs and runs the
controllers inside `Exchange._atomic`, so it applies completely or raises leaving state unchanged.

Source: programs/drift/src/instructions/if_staker.rs
"""

from __future__ import annotations

from ballast.drift.controller.insurance import (
    handle_add_insurance_fund_stake,
    handle_cancel_request_remove_insurance_fund_stake,
    handle_remove_insurance_fund_stake,
    handle_request_remove_insurance_fund_stake,
    initialize_insurance_fund_stake,
)
from ballast.drift.errors import (
    UserAlreadyExists,
    UserNotFound,
)
from ballast.drift.instructions.inputs import check_int
from ballast.drift.state.insurance_fund_stake import InsuranceFundStake

# cumulative token flows through each insurance fund vault, booked by the Exchange for its audit
INSURANCE_FLOWS = ("staked", "unstaked", "revenue_settled", "paid_out")


class IfStakerInstructions:
    """Insurance fund staking instructions."""

    def _stake(self, authority: str, market_index: int) -> InsuranceFundStake:
        stake = self.insurance_fund_stakes.get(f"{authority}/{market_index}")
        if stake is None:
            raise UserNotFound(f"{authority!r} has no insurance fund stake in market {market_index}")
        return stake

    def initialize_insurance_fund_stake(self, authority: str, market_index: int) -> None:
        """Open an insurance-fund stake account for `authority` in a spot market.

        Source: programs/drift/src/instructions/if_staker.rs::handle_initialize_insurance_fund_stake
        """
        self.spot_market(market_index)
        self.stats(authority)
        key = f"{authority}/{market_index}"
        if key in self.insurance_fund_stakes:
            raise UserAlreadyExists(f"insurance fund stake {key} already exists")
        self.insurance_fund_stakes[key] = initialize_insurance_fund_stake(authority, market_index, self.now)

    def add_insurance_fund_stake(self, authority: str, market_index: int, amount: int) -> None:
        """Stake `amount` tokens (brought from outside Drift) into the market's insurance fund,
        after settling any due revenue into it.

        Source: programs/drift/src/instructions/if_staker.rs::handle_add_insurance_fund_stake
        """
        check_int("amount", amount, minimum=1)
        spot_market = self.spot_market(market_index)
        stake = self._stake(authority, market_index)
        stats = self.stats(authority)

        def action() -> None:
            settled = handle_add_insurance_fund_stake(
                amount, spot_market.vault_amount, spot_market.insurance_fund.vault_amount, stake,
                stats, spot_market, self.now, self.events,
            )
            if settled > 0:
                self._move_to_insurance_fund(spot_market, settled)
            spot_market.insurance_fund.vault_amount += amount
            self._insurance_flow(market_index, "staked", amount)

        self._atomic((spot_market, stake, stats, self._insurance_ledger), action)

    def request_remove_insurance_fund_stake(
        self, authority: str, market_index: int, amount: int
    ) -> None:
        """Ask to unstake `amount` tokens' worth of shares; the cooldown starts now.

        Source: programs/drift/src/instructions/if_staker.rs::handle_request_remove_insurance_fund_stake
        """
        check_int("amount", amount, minimum=1)
        spot_market = self.spot_market(market_index)
        stake = self._stake(authority, market_index)
        stats = self.stats(authority)
        self._atomic(
            (spot_market, stake, stats),
            lambda: handle_request_remove_insurance_fund_stake(
                amount, spot_market.insurance_fund.vault_amount, stake, stats, spot_market,
                self.now, self.events,
            ),
        )

    def cancel_request_remove_insurance_fund_stake(self, authority: str, market_index: int) -> None:
        """Withdraw an unstake request, forfeiting gains accrued since it; the cooldown restarts.

        Source: programs/drift/src/instructions/if_staker.rs::handle_cancel_request_remove_insurance_fund_stake
        """
        spot_market = self.spot_market(market_index)
        stake = self._stake(authority, market_index)
        stats = self.stats(authority)
        self._atomic(
            (spot_market, stake, stats),
            lambda: handle_cancel_request_remove_insurance_fund_stake(
                spot_market.insurance_fund.vault_amount, stake, stats, spot_market, self.now,
                self.events,
            ),
        )

    def remove_insurance_fund_stake(self, authority: str, market_index: int) -> int:
        """Complete an unstake after `unstaking_period`: pays the lower of the value at request
        and now (tokens leave Drift). Returns the amount paid.

        Source: programs/drift/src/instructions/if_staker.rs::handle_remove_insurance_fund_stake
        """
        spot_market = self.spot_market(market_index)
        stake = self._stake(authority, market_index)
        stats = self.stats(authority)

        def action() -> int:
            self._accrue_interest(spot_market)
            paid = handle_remove_insurance_fund_stake(
                spot_market.insurance_fund.vault_amount, stake, stats, spot_market, self.now,
                self.events,
            )
            spot_market.insurance_fund.vault_amount -= paid
            self._insurance_flow(market_index, "unstaked", paid)
            return paid

        return self._atomic((spot_market, stake, stats, self._insurance_ledger), action)
