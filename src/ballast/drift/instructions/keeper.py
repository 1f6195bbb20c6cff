"""Permissionless keeper instructions: fills, funding, settlement, liquidation, bankruptcy.

Methods of `ballast.drift.exchange.Exchange` (a mixin): each validates its inputs and runs the
controllers inside `Exchange._atomic`, so it applies completely or raises leaving state unchanged.

Source: programs/drift/src/instructions/keeper.rs
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ballast.drift.constants import (
    QUOTE_SPOT_MARKET_INDEX,
)
from ballast.drift.controller.funding import (
    settle_funding_payments,
    update_funding_rate,
)
from ballast.drift.controller.insurance import (
    handle_settle_revenue_to_insurance_fund,
)
from ballast.drift.controller.liquidation import (
    liquidate_borrow_for_perp_pnl,
    liquidate_perp,
    liquidate_perp_pnl_for_deposit,
    liquidate_spot,
    resolve_perp_bankruptcy,
    resolve_perp_pnl_deficit,
    resolve_spot_bankruptcy,
)
from ballast.drift.controller.lp import (
    settle_funding_payment_then_lp,
)
from ballast.drift.controller.orders import (
    FillMode,
    fill_perp_order,
)
from ballast.drift.controller.pnl import SettlePnlMode, settle_pnl
from ballast.drift.errors import (
    MarketStatusInvalidForNewLP,
    OrderDoesNotExist,
    UserCantLiquidateThemself,
)
from ballast.drift.events import (
    SpotInterestRecord,
)
from ballast.drift.instructions.inputs import check_enum, check_int
from ballast.drift.math.amm import reserve_price
from ballast.drift.state.perp_market import (
    MarketStatus,
    PerpOperation,
)
from ballast.drift.state.user import (
    User,
)

T = TypeVar("T")


class KeeperInstructions:
    """Permissionless keeper instructions: fills, funding, settlement, liquidation, bankruptcy."""

    def update_amm(self, market_index: int) -> int:
        """Keeper: refresh the AMM's oracle TWAP, spreads (and curve, if enabled); return the cost.

        Source: programs/drift/src/controller/repeg.rs::update_amm
        """
        market = self.perp_market(market_index)
        return self._atomic((market,), lambda: self._update_amm(market))

    def fill_perp_order(
        self,
        filler_authority: str,
        filler_sub_account_id: int,
        authority: str,
        sub_account_id: int,
        order_id: int,
    ) -> tuple[int, int]:
        """Keeper: fill a user's order against makers and the AMM; return (base, quote) filled.

        Source: programs/drift/src/instructions/keeper.rs::handle_fill_perp_order
        """
        check_int("order_id", order_id, minimum=1)
        user = self.user(authority, sub_account_id)
        filler = self.user(filler_authority, filler_sub_account_id)
        order = user.get_order(order_id)
        if order is None:
            raise OrderDoesNotExist(f"user {user.key} has no open order {order_id}")
        market = self.perp_market(order.market_index)
        filler_is_user = filler is user

        def action() -> tuple[int, int]:
            self._update_amm(market)
            makers = self._makers(market.market_index, user)
            result = fill_perp_order(
                order_id, self.state, user, self.user_stats[user.authority], self.spot_markets,
                self.perp_markets, self.oracle_map,
                None if filler_is_user else filler,
                None if filler_is_user else self.user_stats[filler.authority],
                makers, self.now, self.slot, self.events, FillMode.Fill,
            )
            self._track_orders(user)
            for maker, _ in makers.values():
                self._track_orders(maker)
            return result

        extra = () if filler_is_user else (filler, self.user_stats[filler.authority])
        return self._atomic(self._fill_touched(user, market, extra), action)

    def remove_perp_lp_shares_in_expiring_market(
        self, authority: str, sub_account_id: int, market_index: int, n_shares: int | None = None
    ) -> int:
        """Anyone may remove a user's shares once the market is reduce-only (expiring).

        Source: programs/drift/src/instructions/user.rs::handle_remove_perp_lp_shares_in_expiring_market
        """
        user = self.user(authority, sub_account_id)
        market = self.perp_market(market_index)
        if market.status is not MarketStatus.ReduceOnly:
            raise MarketStatusInvalidForNewLP(
                f"perp market {market_index} is {market.status.name}, not ReduceOnly (expiring)"
            )
        return self._atomic((user, market), lambda: self._remove_lp_shares(user, market, n_shares))

    def settle_lp(self, authority: str, sub_account_id: int, market_index: int) -> None:
        """Keeper: move a provider's accrued share of the AMM position into its perp position
        (funding settled first). Source: programs/drift/src/instructions/keeper.rs::handle_settle_lp
        """
        user = self.user(authority, sub_account_id)
        market = self.perp_market(market_index)

        def action() -> None:
            if market.status is MarketStatus.AmmPaused or market.is_operation_paused(
                PerpOperation.AmmFill
            ):
                raise MarketStatusInvalidForNewLP(f"AMM of perp market {market_index} is paused")
            self.events.extend(settle_funding_payment_then_lp(user, market, self.now))

        self._atomic((user, market), action)

    def update_funding_rate(self, market_index: int) -> bool:
        """Keeper: update the funding rate when due; return whether it was updated.

        Source: programs/drift/src/instructions/keeper.rs::handle_update_funding_rate
        """
        market = self.perp_market(market_index)

        def action() -> bool:
            self._update_amm(market)
            paused = market.status is MarketStatus.FundingPaused or market.is_operation_paused(
                PerpOperation.UpdateFunding
            )
            record = update_funding_rate(
                market_index, market, self.oracle_map.get_perp(market_index), self.now, self.slot,
                self.state.oracle_guard_rails, paused, reserve_price(market.amm),
            )
            if record is None:
                return False
            self.events.append(record)
            return True

        return self._atomic((market,), action)

    def settle_funding_payment(self, authority: str, sub_account_id: int) -> None:
        """Settle the subaccount's funding in every market.

        Source: programs/drift/src/instructions/keeper.rs::handle_settle_funding_payment
        """
        user = self.user(authority, sub_account_id)

        def action() -> None:
            self.events.extend(settle_funding_payments(user, self.perp_markets, self.now))

        self._atomic((user, self.perp_markets), action)

    def settle_pnl(
        self,
        authority: str,
        sub_account_id: int,
        market_index: int,
        mode: SettlePnlMode = SettlePnlMode.MustSettle,
    ) -> None:
        """Keeper: settle a position's pnl with the market's pnl pool (TrySettle: no error when
        nothing can be settled).

        Source: programs/drift/src/instructions/keeper.rs::handle_settle_pnl
        """
        check_enum("mode", mode, SettlePnlMode)
        user = self.user(authority, sub_account_id)
        market = self.perp_market(market_index)
        quote_market = self.spot_market(QUOTE_SPOT_MARKET_INDEX)

        def action() -> None:
            settle_pnl(
                market_index, user, self.perp_markets, self.spot_markets, self.oracle_map,
                self.state, self.now, self.slot, self.events, mode=mode,
            )

        self._atomic((user, market, quote_market, self.perp_markets), action)

    def liquidate_perp(
        self,
        liquidator_authority: str,
        liquidator_sub_account_id: int,
        authority: str,
        sub_account_id: int,
        market_index: int,
        liquidator_max_base_asset_amount: int,
        limit_price: int | None = None,
    ) -> None:
        """Keeper: take over part of an under-margined user's position at the oracle price.

        Source: programs/drift/src/instructions/keeper.rs::handle_liquidate_perp
        """
        check_int("liquidator_max_base_asset_amount", liquidator_max_base_asset_amount, minimum=1)
        if limit_price is not None:
            check_int("limit_price", limit_price, minimum=1)
        user = self.user(authority, sub_account_id)
        liquidator = self.user(liquidator_authority, liquidator_sub_account_id)
        if user is liquidator:
            raise UserCantLiquidateThemself(f"user {user.key} cannot liquidate itself")
        market = self.perp_market(market_index)

        def action() -> None:
            liquidate_perp(
                market_index, liquidator_max_base_asset_amount, limit_price, user,
                self.user_stats[user.authority], liquidator,
                self.user_stats[liquidator.authority], self.perp_markets, self.spot_markets,
                self.oracle_map, self.slot, self.now, self.state, self.events,
            )
            self._track_orders(user)

        touched = (
            user, liquidator, self.user_stats[user.authority],
            self.user_stats[liquidator.authority], market, self.perp_markets, self._order_holders,
        )
        self._atomic(touched, action)

    def update_spot_market_cumulative_interest(self, market_index: int) -> None:
        """Keeper: accrue a spot market's borrow/deposit interest (the insurance-fund cut goes to
        its revenue pool) and refresh its TWAPs.

        Source: programs/drift/src/instructions/keeper.rs::handle_update_spot_market_cumulative_interest
        """
        spot_market = self.spot_market(market_index)

        def action() -> None:
            self._accrue_interest(spot_market)
            self.events.append(
                SpotInterestRecord(
                    ts=self.now,
                    market_index=market_index,
                    deposit_balance=spot_market.deposit_balance,
                    cumulative_deposit_interest=spot_market.cumulative_deposit_interest,
                    borrow_balance=spot_market.borrow_balance,
                    cumulative_borrow_interest=spot_market.cumulative_borrow_interest,
                    optimal_utilization=spot_market.optimal_utilization,
                    optimal_borrow_rate=spot_market.optimal_borrow_rate,
                    max_borrow_rate=spot_market.max_borrow_rate,
                )
            )

        self._atomic((spot_market,), action)

    def settle_revenue_to_insurance_fund(self, spot_market_index: int) -> int:
        """Keeper: move the revenue pool's allowed slice into the insurance fund, on the hour
        (at most a tenth of the pool and, with stakers, a 1000% APR on the fund). Returns it.

        Source: programs/drift/src/instructions/keeper.rs::handle_settle_revenue_to_insurance_fund
        """
        spot_market = self.spot_market(spot_market_index)

        def action() -> int:
            amount = handle_settle_revenue_to_insurance_fund(
                spot_market_index, spot_market.vault_amount,
                spot_market.insurance_fund.vault_amount, spot_market, self.now, self.events,
            )
            self._move_to_insurance_fund(spot_market, amount)
            return amount

        return self._atomic((spot_market, self._insurance_ledger), action)

    def _liquidation_accounts(
        self, liquidator_authority: str, liquidator_sub_account_id: int, authority: str, sub_account_id: int
    ) -> tuple[User, User]:
        user = self.user(authority, sub_account_id)
        liquidator = self.user(liquidator_authority, liquidator_sub_account_id)
        if user is liquidator:
            raise UserCantLiquidateThemself(f"user {user.key} cannot liquidate itself")
        return user, liquidator

    def _run_liquidation(self, user: User, liquidator: User, controller: Callable[[], T]) -> T:
        def action() -> T:
            for spot_market in self.spot_markets.values():
                self._accrue_interest(spot_market)
            result = controller()
            self._track_orders(user)
            return result

        touched = (
            user, liquidator, self.perp_markets, self.spot_markets, self._order_holders,
            self._insurance_ledger,
        )
        return self._atomic(touched, action)

    def liquidate_spot(
        self,
        liquidator_authority: str,
        liquidator_sub_account_id: int,
        authority: str,
        sub_account_id: int,
        asset_market_index: int,
        liability_market_index: int,
        liquidator_max_liability_transfer: int,
        limit_price: int | None = None,
    ) -> None:
        """Keeper: take over part of a user's borrow in exchange for its deposit, at the oracle
        plus the liquidator's and insurance fund's fees.

        Source: programs/drift/src/instructions/keeper.rs::handle_liquidate_spot
        """
        check_int("liquidator_max_liability_transfer", liquidator_max_liability_transfer, minimum=1)
        user, liquidator = self._liquidation_accounts(
            liquidator_authority, liquidator_sub_account_id, authority, sub_account_id
        )
        self.spot_market(asset_market_index)
        self.spot_market(liability_market_index)
        self._run_liquidation(
            user, liquidator,
            lambda: liquidate_spot(
                asset_market_index, liability_market_index, liquidator_max_liability_transfer,
                limit_price, user, liquidator, self.perp_markets, self.spot_markets,
                self.oracle_map, self.now, self.slot, self.state, self.events,
            ),
        )

    def liquidate_borrow_for_perp_pnl(
        self,
        liquidator_authority: str,
        liquidator_sub_account_id: int,
        authority: str,
        sub_account_id: int,
        perp_market_index: int,
        liability_market_index: int,
        liquidator_max_liability_transfer: int,
        limit_price: int | None = None,
    ) -> None:
        """Keeper: take over a user's borrow in exchange for its positive unsettled perp pnl.

        Source: programs/drift/src/instructions/keeper.rs::handle_liquidate_borrow_for_perp_pnl
        """
        check_int("liquidator_max_liability_transfer", liquidator_max_liability_transfer, minimum=1)
        user, liquidator = self._liquidation_accounts(
            liquidator_authority, liquidator_sub_account_id, authority, sub_account_id
        )
        self.perp_market(perp_market_index)
        self.spot_market(liability_market_index)
        self._run_liquidation(
            user, liquidator,
            lambda: liquidate_borrow_for_perp_pnl(
                perp_market_index, liability_market_index, liquidator_max_liability_transfer,
                limit_price, user, liquidator, self.perp_markets, self.spot_markets,
                self.oracle_map, self.now, self.slot, self.state, self.events,
            ),
        )

    def liquidate_perp_pnl_for_deposit(
        self,
        liquidator_authority: str,
        liquidator_sub_account_id: int,
        authority: str,
        sub_account_id: int,
        perp_market_index: int,
        asset_market_index: int,
        liquidator_max_pnl_transfer: int,
        limit_price: int | None = None,
    ) -> None:
        """Keeper: take over a user's negative unsettled perp pnl in exchange for its deposit.

        Source: programs/drift/src/instructions/keeper.rs::handle_liquidate_perp_pnl_for_deposit
        """
        check_int("liquidator_max_pnl_transfer", liquidator_max_pnl_transfer, minimum=1)
        user, liquidator = self._liquidation_accounts(
            liquidator_authority, liquidator_sub_account_id, authority, sub_account_id
        )
        self.perp_market(perp_market_index)
        self.spot_market(asset_market_index)
        self._run_liquidation(
            user, liquidator,
            lambda: liquidate_perp_pnl_for_deposit(
                perp_market_index, asset_market_index, liquidator_max_pnl_transfer, limit_price,
                user, liquidator, self.perp_markets, self.spot_markets, self.oracle_map,
                self.now, self.slot, self.state, self.events,
            ),
        )

    def _resolve(self, spot_market_index: int, controller: Callable[[], int]) -> int:
        quote_market = self.spot_market(spot_market_index)
        self._attempt_settle_revenue(quote_market)
        paid = controller()
        self._insurance_flow(spot_market_index, "paid_out", paid)
        return paid

    def resolve_perp_bankruptcy(
        self,
        liquidator_authority: str,
        liquidator_sub_account_id: int,
        authority: str,
        sub_account_id: int,
        market_index: int,
    ) -> int:
        """Keeper: clear a bankrupt user's perp loss: the insurance fund (up to the market's
        remaining quote_max_insurance), then the fee pool, then socialised on the market's
        longs and shorts through the cumulative funding rates. Returns the fund's payment.

        Source: programs/drift/src/instructions/keeper.rs::handle_resolve_perp_bankruptcy
        """
        user, liquidator = self._liquidation_accounts(
            liquidator_authority, liquidator_sub_account_id, authority, sub_account_id
        )
        market = self.perp_market(market_index)
        return self._run_liquidation(
            user, liquidator,
            lambda: self._resolve(
                market.quote_spot_market_index,
                lambda: resolve_perp_bankruptcy(
                    market_index, user, liquidator, self.perp_markets, self.spot_markets,
                    self.oracle_map, self.now, self.events,
                ),
            ),
        )

    def resolve_spot_bankruptcy(
        self,
        liquidator_authority: str,
        liquidator_sub_account_id: int,
        authority: str,
        sub_account_id: int,
        market_index: int,
    ) -> int:
        """Keeper: clear a bankrupt user's borrow: the insurance fund, then the depositors
        through the cumulative deposit interest. Returns the fund's payment.

        Source: programs/drift/src/instructions/keeper.rs::handle_resolve_spot_bankruptcy
        """
        user, liquidator = self._liquidation_accounts(
            liquidator_authority, liquidator_sub_account_id, authority, sub_account_id
        )
        self.spot_market(market_index)
        return self._run_liquidation(
            user, liquidator,
            lambda: self._resolve(
                market_index,
                lambda: resolve_spot_bankruptcy(
                    market_index, user, liquidator, self.perp_markets, self.spot_markets,
                    self.oracle_map, self.now, self.events,
                ),
            ),
        )

    def resolve_perp_pnl_deficit(self, market_index: int) -> int:
        """Keeper: top up a perp market's pnl pool from the insurance fund when users' pnl
        exceeds it (within the market's limits; never socialised). Returns the payment.

        Source: programs/drift/src/instructions/keeper.rs::handle_resolve_perp_pnl_deficit
        """
        market = self.perp_market(market_index)

        def action() -> int:
            quote_market = self.spot_market(market.quote_spot_market_index)
            self._accrue_interest(quote_market)
            return self._resolve(
                market.quote_spot_market_index,
                lambda: resolve_perp_pnl_deficit(
                    market_index, self.perp_markets, self.spot_markets, self.now, self.events
                ),
            )

        return self._atomic((self.perp_markets, self.spot_markets, self._insurance_ledger), action)
