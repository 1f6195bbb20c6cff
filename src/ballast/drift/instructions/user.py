"""Instructions a user signs: accounts, collateral, orders and BAL shares.

Methods of `ballast.drift.exchange.Exchange` (a mixin): each validates its inputs and runs the
controllers inside `Exchange._atomic`, so it applies completely or raises leaving state unchanged.

Source: programs/drift/src/instructions/user.rs
"""

from __future__ import annotations

from ballast.drift.constants import (
    MAX_MARGIN_RATIO,
)
from ballast.drift.controller.funding import (
    settle_funding_payment,
    settle_funding_payments,
)
from ballast.drift.controller.lp import (
    burn_lp_shares_with_record,
    mint_lp_shares,
)
from ballast.drift.controller.orders import (
    FillMode,
    cancel_order_by_order_id,
    fill_perp_order,
    place_perp_order,
)
from ballast.drift.controller.position import force_get_perp_position
from ballast.drift.controller.spot_balance import (
    update_spot_balances,
    validate_spot_market_vault_amount,
)
from ballast.drift.controller.user import (
    try_exit_liquidation,
    update_last_active_slot,
    validate_user_not_being_liquidated,
)
from ballast.drift.errors import (
    CantTransferBetweenSameUserAccount,
    InsufficientLPTokens,
    InvalidAmount,
    InvalidOrderIOC,
    InvalidUserSubAccountId,
    MarketStatusInvalidForNewLP,
    NewLPSizeTooSmall,
    TryingToRemoveLiquidityTooFast,
    UserAlreadyExists,
    UserBankrupt,
    UserHasNoPositionInMarket,
)
from ballast.drift.events import (
    DepositDirection,
    DepositExplanation,
    DepositRecord,
    LPAction,
    LPRecord,
    NewUserRecord,
)
from ballast.drift.instructions.inputs import check_int, check_order_param_types
from ballast.drift.math.margin import (
    meets_place_order_margin_requirement,
)
from ballast.drift.math.orders import standardize_base_asset_amount
from ballast.drift.math.spot_balance import get_token_amount
from ballast.drift.math.spot_withdraw import (
    validate_max_token_deposits_and_borrows,
)
from ballast.drift.state.order_params import OrderParams
from ballast.drift.state.perp_market import (
    MarketStatus,
    PerpMarket,
    PerpOperation,
)
from ballast.drift.state.spot_market import (
    SpotBalanceType,
)
from ballast.drift.state.user import (
    OrderStatus,
    User,
    UserStats,
    UserStatus,
)
from ballast.fixed import I64_MAX, U64_MAX


class UserInstructions:
    """Instructions a user signs: accounts, collateral, orders and BAL shares."""

    def initialize_user(self, authority: str, sub_account_id: int = 0, name: str = "") -> User:
        """Create subaccount `sub_account_id` of `authority` (ids are given out in order).

        Source: programs/drift/src/instructions/user.rs::handle_initialize_user
        """
        if not isinstance(authority, str) or not authority or "/" in authority:
            raise InvalidAmount(f"authority must be a non-empty string without '/', got {authority!r}")
        check_int("sub_account_id", sub_account_id, minimum=0)
        if not isinstance(name, str) or len(name.encode()) > 32:
            raise InvalidAmount(f"name must be a string of at most 32 bytes (the reference's [u8; 32]), got {name!r}")
        key = f"{authority}/{sub_account_id}"
        if key in self.users:
            raise UserAlreadyExists(f"user {key} already exists")
        stats = self.user_stats.get(authority)
        created = stats.number_of_sub_accounts_created if stats is not None else 0
        if sub_account_id != created:
            raise InvalidUserSubAccountId(
                f"sub_account_id {sub_account_id} must be the next id {created} for authority {authority!r}"
            )
        if stats is None:
            stats = UserStats(authority=authority)
            self.user_stats[authority] = stats
        stats.number_of_sub_accounts += 1
        stats.number_of_sub_accounts_created += 1
        user = User(authority=authority, sub_account_id=sub_account_id, name=name, last_active_slot=self.slot)
        self.users[key] = user
        self.state.number_of_sub_accounts += 1
        if created == 0:
            self.state.number_of_authorities += 1
        self.events.append(NewUserRecord(ts=self.now, user=key, sub_account_id=sub_account_id))
        return user

    def deposit(self, authority: str, sub_account_id: int, market_index: int, amount: int) -> None:
        """Deposit `amount` tokens (the market's decimals, at most u64) into a subaccount.

        Ballast's input boundary refuses (InvalidAmount) a deposit that would take the market's
        deposits past i64 tokens: the reference accepts it and then fails every later interest
        and TWAP update of the market for everyone (their i64 casts), a state no token supply
        can reach on chain.

        Source: programs/drift/src/instructions/user.rs::handle_deposit
        """
        check_int("amount", amount, minimum=1, maximum=U64_MAX)
        user = self.user(authority, sub_account_id)
        spot_market = self.spot_market(market_index)

        def action() -> None:
            if user.is_bankrupt():
                raise UserBankrupt(f"user {user.key} is bankrupt")
            self._accrue_interest(spot_market)
            position = self._spot_position(user, market_index)
            update_spot_balances(amount, SpotBalanceType.Deposit, spot_market, position, False)
            position.cumulative_deposits += amount
            user.total_deposits += amount
            spot_market.vault_amount += amount
            validate_max_token_deposits_and_borrows(spot_market)
            deposits = get_token_amount(spot_market.deposit_balance, spot_market, SpotBalanceType.Deposit)
            if deposits > I64_MAX:
                raise InvalidAmount(
                    f"deposit of {amount} would take spot market {market_index}'s deposits to {deposits} "
                    f"tokens, past the i64 range ({I64_MAX}) its interest and TWAP updates compute in"
                )
            try_exit_liquidation(
                user, self.perp_markets, self.spot_markets, self.oracle_map,
                self.state.liquidation_margin_buffer_ratio,
            )
            update_last_active_slot(user, self.slot)
            self.events.append(
                DepositRecord(
                    ts=self.now,
                    user=user.key,
                    direction=DepositDirection.Deposit,
                    amount=amount,
                    market_index=market_index,
                    oracle_price=self.oracle_map.get_spot(market_index).price,
                )
            )

        self._atomic((user, spot_market), action)

    def withdraw(
        self,
        authority: str,
        sub_account_id: int,
        market_index: int,
        amount: int,
        reduce_only: bool = False,
    ) -> int:
        """Withdraw tokens; beyond the deposit this borrows, as long as the subaccount keeps its
        initial margin (free collateral checked) and the market's withdraw limits hold.
        `reduce_only` caps the amount at the deposit. Returns the amount withdrawn.

        Source: programs/drift/src/instructions/user.rs::handle_withdraw
        """
        check_int("amount", amount, minimum=1)
        user = self.user(authority, sub_account_id)
        spot_market = self.spot_market(market_index)

        def action() -> int:
            nonlocal amount
            self.events.extend(settle_funding_payments(user, self.perp_markets, self.now))
            self._accrue_interest(spot_market)
            if reduce_only:
                amount = min(amount, max(self.token_amount(authority, sub_account_id, market_index), 0))
                if amount == 0:
                    return 0
            self._withdraw_from(user, spot_market, amount, allow_borrow=True)
            user.total_withdraws += amount
            spot_market.vault_amount -= amount
            validate_spot_market_vault_amount(spot_market, spot_market.vault_amount)
            self.events.append(
                DepositRecord(
                    ts=self.now,
                    user=user.key,
                    direction=DepositDirection.Withdraw,
                    amount=amount,
                    market_index=market_index,
                    oracle_price=self.oracle_map.get_spot(market_index).price,
                )
            )
            return amount

        return self._atomic((user, spot_market, self.perp_markets), action)

    def transfer_deposit(
        self,
        authority: str,
        from_sub_account_id: int,
        to_sub_account_id: int,
        market_index: int,
        amount: int,
    ) -> None:
        """Move deposits between two subaccounts of one authority; the sender keeps initial margin.

        Source: programs/drift/src/instructions/user.rs::handle_transfer_deposit
        """
        check_int("amount", amount, minimum=1)
        if from_sub_account_id == to_sub_account_id:
            raise CantTransferBetweenSameUserAccount(
                f"from and to sub_account_id are both {from_sub_account_id}"
            )
        sender = self.user(authority, from_sub_account_id)
        receiver = self.user(authority, to_sub_account_id)
        spot_market = self.spot_market(market_index)

        def action() -> None:
            self.events.extend(settle_funding_payments(sender, self.perp_markets, self.now))
            self._accrue_interest(spot_market)
            self._withdraw_from(sender, spot_market, amount, allow_borrow=False)
            position = self._spot_position(receiver, market_index)
            update_spot_balances(amount, SpotBalanceType.Deposit, spot_market, position, False)
            position.cumulative_deposits += amount
            price = self.oracle_map.get_spot(market_index).price
            for user, direction, other in (
                (sender, DepositDirection.Withdraw, receiver),
                (receiver, DepositDirection.Deposit, sender),
            ):
                self.events.append(
                    DepositRecord(
                        ts=self.now,
                        user=user.key,
                        direction=direction,
                        amount=amount,
                        market_index=market_index,
                        oracle_price=price,
                        explanation=DepositExplanation.Transfer,
                        transfer_user=other.key,
                    )
                )

        self._atomic((sender, receiver, spot_market, self.perp_markets), action)

    def update_user_custom_margin_ratio(
        self, authority: str, sub_account_id: int, margin_ratio: int
    ) -> None:
        """Set the subaccount's own initial margin floor (1e4; 2000 = 5x max leverage, 0 = none).

        Source: programs/drift/src/instructions/user.rs::handle_update_user_custom_margin_ratio
        """
        check_int("margin_ratio", margin_ratio, minimum=0, maximum=MAX_MARGIN_RATIO)
        user = self.user(authority, sub_account_id)
        user.max_margin_ratio = margin_ratio

    def _validate_order_params(self, params: OrderParams) -> PerpMarket:
        if not isinstance(params, OrderParams):
            raise InvalidAmount(f"params must be OrderParams, got {type(params).__name__}")
        check_int("base_asset_amount", params.base_asset_amount, minimum=1)
        check_int("price", params.price, minimum=0)
        check_order_param_types(params)
        return self.perp_market(params.market_index)

    def place_perp_order(self, authority: str, sub_account_id: int, params: OrderParams) -> int | None:
        """Place an order; return its id (None if it was skipped, e.g. TryPostOnly crossing).

        Source: programs/drift/src/instructions/user.rs::handle_place_perp_order
        """
        market = self._validate_order_params(params)
        if params.immediate_or_cancel:
            raise InvalidOrderIOC(
                f"immediate_or_cancel order for market {params.market_index}: "
                "use place_and_take_perp_order"
            )
        user = self.user(authority, sub_account_id)

        def action() -> int | None:
            self._settle_lp_before_trading(user, market)
            order = place_perp_order(
                self.state, user, self.perp_markets, self.spot_markets, self.oracle_map,
                self.now, self.slot, params, self.events,
            )
            self._track_orders(user)
            return None if order is None else order.order_id

        return self._atomic((user, self.stats(authority), market, self._order_holders), action)

    def cancel_order(self, authority: str, sub_account_id: int, order_id: int) -> None:
        """Cancel one open order. Source: programs/drift/src/instructions/user.rs::handle_cancel_order"""
        check_int("order_id", order_id, minimum=1)
        user = self.user(authority, sub_account_id)

        def action() -> None:
            cancel_order_by_order_id(
                order_id, user, self.perp_markets, self.oracle_map, self.now, self.slot, self.events
            )
            self._track_orders(user)

        self._atomic((user, self._order_holders), action)

    def place_and_take_perp_order(
        self, authority: str, sub_account_id: int, params: OrderParams
    ) -> tuple[int, int]:
        """Place an order and fill it at once against makers and the AMM (IOC cancels the rest).

        Returns (base, quote) filled. Source: programs/drift/src/instructions/user.rs::handle_place_and_take_perp_order
        """
        market = self._validate_order_params(params)
        user = self.user(authority, sub_account_id)
        stats = self.stats(authority)

        def action() -> tuple[int, int]:
            self._update_amm(market)
            self._settle_lp_before_trading(user, market)
            order = place_perp_order(
                self.state, user, self.perp_markets, self.spot_markets, self.oracle_map,
                self.now, self.slot, params, self.events,
            )
            if order is None:
                return 0, 0
            makers = self._makers(market.market_index, user)
            result = fill_perp_order(
                order.order_id, self.state, user, stats, self.spot_markets, self.perp_markets,
                self.oracle_map, None, None, makers, self.now, self.slot, self.events,
                FillMode.PlaceAndTake,
            )
            if params.immediate_or_cancel and order.status is OrderStatus.Open:
                cancel_order_by_order_id(
                    order.order_id, user, self.perp_markets, self.oracle_map, self.now, self.slot,
                    self.events,
                )
            self._track_orders(user)
            for maker, _ in makers.values():
                self._track_orders(maker)
            return result

        return self._atomic(self._fill_touched(user, market), action)

    def add_perp_lp_shares(
        self, authority: str, sub_account_id: int, market_index: int, n_shares: int
    ) -> int:
        """Provide liquidity: mint `n_shares` (1e9 = one share; floored to the step) in a market,
        raising its sqrt_k by exactly that; the subaccount must then meet initial margin (strict)
        counting the shares' open bids/asks. Returns the shares minted.

        At the pinned commit the reference refuses new shares outside its test build; Ballast
        lets users add them, as the BAL pages describe.
        Source: programs/drift/src/instructions/user.rs::handle_add_perp_lp_shares
        """
        check_int("n_shares", n_shares, minimum=1)
        user = self.user(authority, sub_account_id)
        market = self.perp_market(market_index)

        def action() -> int:
            if user.is_bankrupt():
                raise UserBankrupt(f"user {user.key} is bankrupt")
            validate_user_not_being_liquidated(
                user, self.perp_markets, self.spot_markets, self.oracle_map,
                self.state.liquidation_margin_buffer_ratio,
            )
            if market.status is not MarketStatus.Active or market.is_operation_paused(
                PerpOperation.AmmFill
            ):
                raise MarketStatusInvalidForNewLP(
                    f"perp market {market_index} is {market.status.name}: new LP shares need an "
                    "Active market with AMM fills"
                )
            step = market.amm.order_step_size
            if n_shares < step:
                raise NewLPSizeTooSmall(f"n_shares {n_shares} is below order_step_size {step}")
            record = settle_funding_payment(user, market, self.now)
            if record is not None:
                self.events.append(record)
            minted = standardize_base_asset_amount(n_shares, step)
            mint_lp_shares(force_get_perp_position(user, market_index), market, minted)
            user.last_add_perp_lp_shares_ts = self.now
            meets_place_order_margin_requirement(
                user, self.perp_markets, self.spot_markets, self.oracle_map, True
            )
            self.events.append(
                LPRecord(self.now, user.key, LPAction.AddLiquidity, n_shares, market_index, 0, 0, 0)
            )
            return minted

        return self._atomic((user, market), action)

    def remove_perp_lp_shares(
        self,
        authority: str,
        sub_account_id: int,
        market_index: int,
        n_shares: int | None = None,
    ) -> int:
        """Remove liquidity: burn `n_shares` (all when None; otherwise floored to the step unless
        it is the whole balance) after settling; the residual below the step passes to the AMM
        for a fee of floor(|residual| x oracle / 1e9) + 1. Refused inside the LP cooldown.
        Returns the shares burned (0 when flooring left nothing).

        Source: programs/drift/src/controller/lp.rs::remove_perp_lp_shares
        """
        user = self.user(authority, sub_account_id)
        market = self.perp_market(market_index)
        return self._atomic((user, market), lambda: self._remove_lp_shares(user, market, n_shares))

    def _remove_lp_shares(self, user: User, market: PerpMarket, n_shares: int | None) -> int:
        position = user.get_perp_position(market.market_index)
        if position is None:
            raise UserHasNoPositionInMarket(
                f"user {user.key} has no position in perp market {market.market_index}"
            )
        if n_shares is None:
            n_shares = position.lp_shares
        check_int("n_shares", n_shares, minimum=0)
        to_burn = (
            n_shares
            if n_shares == position.lp_shares
            else standardize_base_asset_amount(n_shares, market.amm.order_step_size)
        )
        if to_burn == 0:
            return 0
        waited = self.now - user.last_add_perp_lp_shares_ts
        if waited < self.state.lp_cooldown_time:
            raise TryingToRemoveLiquidityTooFast(
                f"user {user.key} added liquidity {waited}s ago; lp_cooldown_time is "
                f"{self.state.lp_cooldown_time}s"
            )
        record = settle_funding_payment(user, market, self.now)
        if record is not None:
            self.events.append(record)
        if position.lp_shares < to_burn:
            raise InsufficientLPTokens(
                f"user {user.key} holds {position.lp_shares} lp shares, cannot remove {to_burn}"
            )
        oracle_price = self.oracle_map.get_perp(market.market_index).price
        self.events.append(
            burn_lp_shares_with_record(
                user, position, market, to_burn, oracle_price, LPAction.RemoveLiquidity, self.now
            )
        )
        return to_burn

    def update_user_advanced_lp(self, authority: str, sub_account_id: int, advanced_lp: bool) -> None:
        """Opt a subaccount out of (True) or back into (False) automatic BAL de-risking.

        Source: programs/drift/src/instructions/user.rs::handle_update_user_advanced_lp
        """
        if not isinstance(advanced_lp, bool):
            raise InvalidAmount(f"advanced_lp must be a bool, got {advanced_lp!r}")
        user = self.user(authority, sub_account_id)
        if advanced_lp:
            user.status |= UserStatus.AdvancedLp
        else:
            user.status &= ~UserStatus.AdvancedLp
