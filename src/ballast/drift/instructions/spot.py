"""Spot trading instructions: spot orders between users, swaps, and their admin settings.

Methods of `ballast.drift.exchange.Exchange` (a mixin): each validates its inputs and runs the
controllers inside `Exchange._atomic`, so it applies completely or raises leaving state unchanged.

Spot orders fill only against other users' resting orders (the reference's Match
fulfillment); the reference's external venues (Serum v3, Phoenix, OpenBook v2) are out of
reach offline. A swap's outside leg (the reference routes it through Jupiter or another
whitelisted program between begin_swap and end_swap) is priced by the caller: `swap` runs
begin_swap, converts the tokens at the caller's price, and end_swap, as one transaction.

Source: programs/drift/src/instructions/user.rs, programs/drift/src/instructions/keeper.rs,
programs/drift/src/instructions/admin.rs
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from ballast.drift.constants import (
    PRICE_PRECISION,
    QUOTE_SPOT_MARKET_INDEX,
    SPOT_OPERATION_DEPOSIT,
    SPOT_OPERATION_WITHDRAW,
)
from ballast.drift.controller.orders import cancel_order_by_order_id
from ballast.drift.controller.spot_balance import (
    update_revenue_pool_balances,
    validate_spot_market_vault_amount,
)
from ballast.drift.controller.spot_orders import fill_spot_order, place_spot_order
from ballast.drift.controller.spot_position import (
    force_get_spot_position,
    update_spot_balances_and_cumulative_deposits,
    update_spot_balances_and_cumulative_deposits_with_limits,
)
from ballast.drift.controller.user import (
    update_last_active_slot,
    validate_user_not_being_liquidated,
)
from ballast.drift.errors import (
    DefaultError,
    DriftError,
    InvalidAmount,
    InvalidOrder,
    InvalidOrderIOC,
    InvalidOrderPostOnly,
    InvalidSwap,
    MarginOrdersOpen,
    MarginTradingDisabled,
    MarketFillOrderPaused,
    OrderDoesNotExist,
    SpotMarketReduceOnly,
    SpotOrdersDisabled,
    SwapLimitPriceBreached,
    UserBankrupt,
    UserReduceOnly,
)
from ballast.drift.events import SwapRecord
from ballast.drift.instructions.inputs import check_enum, check_int, check_order_param_types
from ballast.drift.math.margin import meets_withdraw_margin_requirement
from ballast.drift.math.spot_balance import StrictOraclePrice, get_token_value
from ballast.drift.math.spot_orders import (
    fills_enabled,
    get_signed_spot_token_amount,
    validate_spot_margin_trading,
)
from ballast.drift.math.spot_swap import (
    calculate_swap_price,
    select_margin_type_for_swap,
    validate_price_bands_for_swap,
)
from ballast.drift.math.spot_withdraw import validate_max_token_deposits_and_borrows
from ballast.drift.state.margin_calculation import MarginRequirementType
from ballast.drift.state.order_params import OrderParams, PostOnlyParam
from ballast.drift.state.spot_market import SpotBalanceType, SpotMarket, SpotMarketStatus
from ballast.drift.state.state import FeeStructure
from ballast.drift.state.user import OrderStatus, User, UserStats, UserStatus
from ballast.drift.validation.fee_structure import validate_fee_structure
from ballast.fixed import U32_MAX, U64_MAX, div_floor

__all__ = ["SpotInstructions", "SwapReduceOnly"]

# OracleGuardRails::max_oracle_twap_5min_percent_divergence: never below 50% (1e6)
_MIN_ORACLE_TWAP_5MIN_PERCENT_DIVERGENCE = 500_000


class SwapReduceOnly(Enum):
    """Which side of a swap may only shrink a position.

    Source: programs/drift/src/instructions/user.rs::SwapReduceOnly
    """

    In = 0
    Out = 1


class SpotInstructions:
    """Spot orders, swaps and the spot trading settings."""

    # --- admin ------------------------------------------------------------------------------

    def update_spot_market_step_size_and_tick_size(
        self, market_index: int, step_size: int, tick_size: int
    ) -> None:
        """Set a spot market's order step size (base token units) and tick size (price 1e6);
        both must be positive except for the quote market.

        Source: programs/drift/src/instructions/admin.rs::handle_update_spot_market_step_size_and_tick_size
        """
        check_int("step_size", step_size, minimum=0, maximum=U64_MAX)
        check_int("tick_size", tick_size, minimum=0, maximum=U64_MAX)
        spot_market = self.spot_market(market_index)
        if market_index != QUOTE_SPOT_MARKET_INDEX and (step_size == 0 or tick_size == 0):
            raise DefaultError(
                f"spot market {market_index} needs step_size > 0 and tick_size > 0, got "
                f"{step_size} and {tick_size}"
            )
        spot_market.order_step_size = step_size
        spot_market.order_tick_size = tick_size

    def update_spot_market_min_order_size(self, market_index: int, order_size: int) -> None:
        """Set a spot market's minimum order size (base token units; > 0 except for quote).

        Source: programs/drift/src/instructions/admin.rs::handle_update_spot_market_min_order_size
        """
        check_int("order_size", order_size, minimum=0, maximum=U64_MAX)
        spot_market = self.spot_market(market_index)
        if market_index != QUOTE_SPOT_MARKET_INDEX and order_size == 0:
            raise DefaultError(f"spot market {market_index} needs min order size > 0")
        spot_market.min_order_size = order_size

    def update_spot_market_orders_enabled(self, market_index: int, orders_enabled: bool) -> None:
        """Turn spot orders on or off in a market. Ballast refuses (SpotOrdersDisabled) to turn
        them on before the market has a step and tick size: the reference sets those when it
        initialises a market, Ballast's initialize_spot_market does not.

        Source: programs/drift/src/instructions/admin.rs::handle_update_spot_market_orders_enabled
        """
        if not isinstance(orders_enabled, bool):
            raise InvalidAmount(f"orders_enabled must be a bool, got {orders_enabled!r}")
        spot_market = self.spot_market(market_index)
        if orders_enabled and (spot_market.order_step_size == 0 or spot_market.order_tick_size == 0):
            raise SpotOrdersDisabled(
                f"spot market {market_index} has no step/tick size (update_spot_market_step_size_"
                "and_tick_size first)"
            )
        spot_market.orders_enabled = orders_enabled
        if orders_enabled:
            self._spot_order_holders.setdefault(market_index, {})

    def update_spot_fee_structure(self, fee_structure: FeeStructure) -> None:
        """Replace the spot fee schedule (State.spot_fee_structure).

        Source: programs/drift/src/instructions/admin.rs::handle_update_spot_fee_structure
        """
        if not isinstance(fee_structure, FeeStructure) or not fee_structure.fee_tiers:
            raise InvalidAmount(f"fee_structure must be a FeeStructure with tiers, got {fee_structure!r}")
        for tier in fee_structure.fee_tiers:
            for name in ("fee_numerator", "fee_denominator", "maker_rebate_numerator",
                         "maker_rebate_denominator", "referrer_reward_numerator",
                         "referrer_reward_denominator", "referee_fee_numerator", "referee_fee_denominator"):
                check_int(name, getattr(tier, name), minimum=0, maximum=U32_MAX)
        validate_fee_structure(fee_structure)
        self.state.spot_fee_structure = fee_structure

    def update_spot_fee_to_revenue_pool(self, enabled: bool) -> None:
        """Ballast option (not in the reference): book spot fills' fee_to_market to the quote
        market's revenue pool instead of the base market's spot_fee_pool (State docs).

        Source: Ballast (an option; the reference's booking is
        programs/drift/src/controller/orders.rs::fulfill_spot_order_with_match)
        """
        if not isinstance(enabled, bool):
            raise InvalidAmount(f"enabled must be a bool, got {enabled!r}")
        self.state.spot_fee_to_revenue_pool = enabled

    # --- user ------------------------------------------------------------------------------

    def update_user_margin_trading_enabled(
        self, authority: str, sub_account_id: int, margin_trading_enabled: bool
    ) -> None:
        """Let a subaccount's spot orders and swaps borrow (or stop it: MarginOrdersOpen while
        its open orders still need it).

        Source: programs/drift/src/instructions/user.rs::handle_update_user_margin_trading_enabled
        """
        if not isinstance(margin_trading_enabled, bool):
            raise InvalidAmount(f"margin_trading_enabled must be a bool, got {margin_trading_enabled!r}")
        user = self.user(authority, sub_account_id)

        def action() -> None:
            user.is_margin_trading_enabled = margin_trading_enabled
            try:
                validate_spot_margin_trading(user, self.perp_markets, self.spot_markets, self.oracle_map)
            except DriftError as error:
                raise MarginOrdersOpen(f"user {user.key}: {error}") from None

        self._atomic((user,), action)

    def _validate_spot_order_params(self, params: OrderParams) -> SpotMarket:
        if not isinstance(params, OrderParams):
            raise InvalidAmount(f"params must be OrderParams, got {type(params).__name__}")
        check_int("base_asset_amount", params.base_asset_amount, minimum=1, maximum=U64_MAX - 1)
        check_int("price", params.price, minimum=0, maximum=U64_MAX)
        check_order_param_types(params)
        spot_market = self.spot_market(params.market_index)
        if not spot_market.orders_enabled:
            raise SpotOrdersDisabled(f"spot market {params.market_index} has orders disabled")
        return spot_market

    def _spot_makers(self, market_index: int, taker: User) -> dict[str, tuple[User, UserStats]]:
        return {
            key: (maker, self.user_stats[maker.authority])
            for key, maker in self._spot_order_holders.get(market_index, {}).items()
            if key != taker.key
        }

    def _spot_fill_touched(self, user: User, spot_market: SpotMarket, extra: tuple = ()) -> list:
        touched: list[Any] = [
            user, self.user_stats[user.authority], spot_market,
            self.spot_markets[QUOTE_SPOT_MARKET_INDEX], self._spot_order_holders, *extra,
        ]
        for maker, maker_stats in self._spot_makers(spot_market.market_index, user).values():
            touched.append(maker)
            touched.append(maker_stats)
        return touched

    def place_spot_order(self, authority: str, sub_account_id: int, params: OrderParams) -> int | None:
        """Place a spot order (market_type Spot); return its id (None if skipped: max_ts passed).

        `base_asset_amount` is in the base token's decimals; u64::MAX (the reference's "max
        order size") is refused here, Ballast has no max-size orders.
        Source: programs/drift/src/instructions/user.rs::handle_place_spot_order
        """
        self._validate_spot_order_params(params)
        if params.immediate_or_cancel:
            raise InvalidOrderIOC(
                f"immediate_or_cancel order for spot market {params.market_index}: "
                "use place_and_take_spot_order"
            )
        user = self.user(authority, sub_account_id)

        def action() -> int | None:
            order = place_spot_order(
                self.state, user, self.perp_markets, self.spot_markets, self.oracle_map,
                self.now, self.slot, params, self.events,
            )
            self._track_orders(user)
            return None if order is None else order.order_id

        return self._atomic((user, self.stats(authority), self._spot_order_holders), action)

    def place_and_take_spot_order(
        self, authority: str, sub_account_id: int, params: OrderParams
    ) -> int:
        """Place a spot order and fill it at once against resting maker orders (IOC cancels the
        rest); return the base filled (base token units).

        Source: programs/drift/src/instructions/user.rs::handle_place_and_take_spot_order
        """
        spot_market = self._validate_spot_order_params(params)
        if params.post_only is not PostOnlyParam.None_:
            raise InvalidOrderPostOnly("post_only cant be used in place_and_take_spot_order")
        user = self.user(authority, sub_account_id)
        stats = self.stats(authority)

        def action() -> int:
            order = place_spot_order(
                self.state, user, self.perp_markets, self.spot_markets, self.oracle_map,
                self.now, self.slot, params, self.events,
            )
            if order is None:
                raise InvalidOrder(f"new spot order of user {user.key} failed to be placed")
            makers = self._spot_makers(params.market_index, user)
            base = fill_spot_order(
                order.order_id, self.state, user, stats, self.spot_markets, self.perp_markets,
                self.oracle_map, None, None, makers, self.now, self.slot, self.events,
            )
            if params.immediate_or_cancel and order.status is OrderStatus.Open:
                cancel_order_by_order_id(
                    order.order_id, user, self.perp_markets, self.oracle_map, self.now, self.slot,
                    self.events,
                )
            self._track_orders(user)
            for maker, _ in makers.values():
                self._track_orders(maker)
            return base

        return self._atomic(self._spot_fill_touched(user, spot_market), action)

    def fill_spot_order(
        self,
        filler_authority: str,
        filler_sub_account_id: int,
        authority: str,
        sub_account_id: int,
        order_id: int,
    ) -> int:
        """Keeper: fill a user's spot order against resting maker orders; return the base filled.

        Source: programs/drift/src/instructions/keeper.rs::handle_fill_spot_order
        """
        check_int("order_id", order_id, minimum=1)
        user = self.user(authority, sub_account_id)
        filler = self.user(filler_authority, filler_sub_account_id)
        order = user.get_order(order_id)
        if order is None:
            raise OrderDoesNotExist(f"user {user.key} has no order {order_id}")
        spot_market = self.spot_market(order.market_index)
        filler_is_user = filler is user
        filler_stats = self.user_stats[filler.authority]

        def action() -> int:
            makers = self._spot_makers(spot_market.market_index, user)
            base = fill_spot_order(
                order_id, self.state, user, self.user_stats[user.authority], self.spot_markets,
                self.perp_markets, self.oracle_map,
                None if filler_is_user else filler,
                None if filler_is_user else filler_stats,
                makers, self.now, self.slot, self.events,
            )
            self._track_orders(user)
            for maker, _ in makers.values():
                self._track_orders(maker)
            return base

        extra = () if filler_is_user else (filler, filler_stats)
        return self._atomic(self._spot_fill_touched(user, spot_market, extra), action)

    # --- swaps ------------------------------------------------------------------------------

    def swap(
        self,
        authority: str,
        sub_account_id: int,
        in_market_index: int,
        out_market_index: int,
        amount_in: int,
        external_price: int,
        limit_price: int | None = None,
        reduce_only: SwapReduceOnly | None = None,
    ) -> int:
        """Swap `amount_in` tokens of the in market for tokens of the out market: begin_swap
        takes them out of the in vault (a borrow beyond the deposit, with margin trading), the
        outside route converts them at `external_price` (out tokens per in token, 1e6:
        amount_out = floor(amount_in * price * 10^out_decimals / (1e6 * 10^in_decimals))), and
        end_swap deposits the proceeds, checks the limit price (same unit as external_price),
        reduce-only, the market and margin rules and the price bands. Returns amount_out.

        Source: programs/drift/src/instructions/user.rs::handle_begin_swap, handle_end_swap
        """
        check_int("amount_in", amount_in, minimum=0, maximum=U64_MAX)
        check_int("external_price", external_price, minimum=0, maximum=U64_MAX)
        if limit_price is not None:
            check_int("limit_price", limit_price, minimum=0, maximum=U64_MAX)
        if reduce_only is not None:
            check_enum("reduce_only", reduce_only, SwapReduceOnly)
        user = self.user(authority, sub_account_id)
        stats = self.stats(authority)
        in_market = self.spot_market(in_market_index)
        out_market = self.spot_market(out_market_index)

        def action() -> int:
            self._begin_swap(user, in_market, out_market, amount_in)
            amount_out = div_floor(
                amount_in * external_price * 10**out_market.decimals,
                PRICE_PRECISION * 10**in_market.decimals,
            )
            return self._end_swap(user, stats, in_market, out_market, amount_out, limit_price, reduce_only)

        return self._atomic((user, stats, in_market, out_market), action)

    def _begin_swap(
        self, user: User, in_market: SpotMarket, out_market: SpotMarket, amount_in: int
    ) -> None:
        """Lend `amount_in` of the in token out of its vault for the outside route.

        Ballast has no token accounts: the user's in and out token accounts start empty.
        Source: programs/drift/src/instructions/user.rs::handle_begin_swap
        """
        if user.is_bankrupt():
            raise UserBankrupt(f"user {user.key} is bankrupt")
        validate_user_not_being_liquidated(
            user, self.perp_markets, self.spot_markets, self.oracle_map,
            self.state.liquidation_margin_buffer_ratio,
        )
        if in_market.market_index == out_market.market_index:
            raise InvalidSwap(f"in and out market are the same ({in_market.market_index})")
        for spot_market in (in_market, out_market):
            if not fills_enabled(spot_market):
                raise MarketFillOrderPaused(f"swaps disabled for spot market {spot_market.market_index}")
            if spot_market.flash_loan_initial_token_amount != 0 or spot_market.flash_loan_amount != 0:
                raise InvalidSwap(f"spot market {spot_market.market_index} is already in a swap")
            self._accrue_interest(spot_market)
        if amount_in == 0:
            raise InvalidSwap("amount_in cannot be zero")
        if amount_in > in_market.vault_amount:
            raise InvalidSwap(
                f"amount_in {amount_in} exceeds spot market {in_market.market_index}'s vault "
                f"{in_market.vault_amount} (the token transfer fails)"
            )
        in_market.flash_loan_amount = amount_in
        in_market.flash_loan_initial_token_amount = 0
        out_market.flash_loan_initial_token_amount = 0
        in_market.vault_amount -= amount_in

    def _end_swap(
        self,
        user: User,
        user_stats: UserStats,
        in_market: SpotMarket,
        out_market: SpotMarket,
        amount_out: int,
        limit_price: int | None,
        reduce_only: SwapReduceOnly | None,
    ) -> int:
        """Book the swap: borrow/withdraw the lent amount in the in market, deposit the proceeds
        in the out market, then the limit price, reduce-only, vault, margin and price-band
        checks; emit a SwapRecord. The fee is zero at the pinned commit.

        Source: programs/drift/src/instructions/user.rs::handle_end_swap
        """
        in_index, out_index = in_market.market_index, out_market.market_index
        if in_market.paused_operations & SPOT_OPERATION_WITHDRAW:
            raise MarketFillOrderPaused(f"withdraw from spot market {in_index} paused")
        if in_market.flash_loan_amount == 0:
            raise InvalidSwap(f"spot market {in_index} has no flash loan amount set")
        in_oracle_price = self.oracle_map.get_spot(in_index).price
        if out_market.paused_operations & SPOT_OPERATION_DEPOSIT:
            raise MarketFillOrderPaused(f"deposit to spot market {out_index} paused")
        out_oracle_price = self.oracle_map.get_spot(out_index).price

        amount_in = in_market.flash_loan_amount
        in_position = force_get_spot_position(user, in_index)
        in_before = get_signed_spot_token_amount(in_position, in_market)
        update_spot_balances_and_cumulative_deposits_with_limits(
            amount_in, SpotBalanceType.Borrow, in_market, user
        )
        in_after = get_signed_spot_token_amount(in_position, in_market)
        if not (in_before > 0 and in_before >= amount_in):
            if in_market.status is SpotMarketStatus.ReduceOnly:
                raise SpotMarketReduceOnly(
                    f"spot market {in_index} is reduce only but token amount before ({in_before}) "
                    f"< amount in ({amount_in})"
                )
            if reduce_only is SwapReduceOnly.In:
                raise InvalidSwap(
                    f"reduce only violated: in position before ({in_before}) < amount in ({amount_in})"
                )
            if not user.is_margin_trading_enabled:
                raise MarginTradingDisabled(
                    f"swap would increase user {user.key}'s liability in spot market {in_index}"
                )
            if user.status & UserStatus.ReduceOnly:
                raise UserReduceOnly(
                    f"swap would increase user {user.key}'s liability in spot market {in_index}"
                )
        validate_spot_market_vault_amount(in_market, in_market.vault_amount)
        in_market.flash_loan_initial_token_amount = 0
        in_market.flash_loan_amount = 0

        out_market.vault_amount += amount_out
        if limit_price is not None:
            swap_price = calculate_swap_price(amount_out, amount_in, out_market.decimals, in_market.decimals)
            if swap_price < limit_price:
                raise SwapLimitPriceBreached(f"swap_price ({swap_price}) < limit price ({limit_price})")
        fee = 0  # no fee at the pinned commit
        amount_out_after_fee = amount_out - fee
        out_market.total_swap_fee += fee
        fee_value = get_token_value(fee, out_market.decimals, out_oracle_price)
        user.cumulative_spot_fees -= fee_value
        user_stats.fees.total_fee_paid += fee_value
        if amount_out == 0:
            raise InvalidSwap("amount_out must be greater than 0")

        out_position = force_get_spot_position(user, out_index)
        out_before = get_signed_spot_token_amount(out_position, out_market)
        update_spot_balances_and_cumulative_deposits(
            amount_out_after_fee, SpotBalanceType.Deposit, out_market, out_position, False, amount_out
        )
        out_after = get_signed_spot_token_amount(out_position, out_market)
        update_revenue_pool_balances(fee, SpotBalanceType.Deposit, out_market)
        if not (out_before < 0 and -out_before >= amount_out_after_fee):
            if out_market.status is SpotMarketStatus.ReduceOnly:
                raise SpotMarketReduceOnly(
                    f"spot market {out_index} is reduce only but token amount before "
                    f"({out_before}) < amount out ({amount_out})"
                )
            if reduce_only is SwapReduceOnly.Out:
                raise InvalidSwap(
                    f"reduce only violated: out position before ({out_before}) < amount out ({amount_out})"
                )
            if user.status & UserStatus.ReduceOnly:
                raise UserReduceOnly(
                    f"swap would increase user {user.key}'s deposit in spot market {out_index}: "
                    "it can only pay off a borrow"
                )
        validate_spot_market_vault_amount(out_market, out_market.vault_amount)
        out_market.flash_loan_initial_token_amount = 0
        out_market.flash_loan_amount = 0
        validate_max_token_deposits_and_borrows(out_market)

        in_strict_price = StrictOraclePrice.new(
            in_oracle_price, in_market.historical_oracle_data.last_oracle_price_twap_5min, True
        )
        out_strict_price = StrictOraclePrice.new(
            out_oracle_price, out_market.historical_oracle_data.last_oracle_price_twap_5min, True
        )
        margin_type, _ = select_margin_type_for_swap(
            in_market, out_market, in_strict_price, out_strict_price, in_before, out_before,
            in_after, out_after, MarginRequirementType.Initial,
        )
        meets_withdraw_margin_requirement(
            user, self.perp_markets, self.spot_markets, self.oracle_map, margin_type
        )
        update_last_active_slot(user, self.slot)
        self.events.append(
            SwapRecord(
                ts=self.now,
                user=user.key,
                amount_out=amount_out,
                amount_in=amount_in,
                out_market_index=out_index,
                in_market_index=in_index,
                out_oracle_price=out_oracle_price,
                in_oracle_price=in_oracle_price,
                fee=fee,
            )
        )
        validate_price_bands_for_swap(
            in_market, out_market, amount_in, amount_out, in_oracle_price, out_oracle_price,
            max(
                self.state.oracle_guard_rails.price_divergence.oracle_twap_5min_percent_divergence,
                _MIN_ORACLE_TWAP_5MIN_PERCENT_DIVERGENCE,
            ),
        )
        return amount_out
