"""The Drift exchange facade: one method per instruction, each atomic.

An `Exchange` holds every account (state, markets, users, user stats, oracle readings) and the
clock. Each instruction validates its inputs, runs the controllers, appends typed events to
`events`, and either applies completely or raises a `DriftError` leaving every account exactly as
it was. Time and prices are inputs (`update_clock`, `update_oracle_price`).

Amounts follow the reference: token amounts in the token's decimals (USDC 1e6), base 1e9,
prices 1e6, margin ratios 1e4, fees and spreads 1e6.

The instructions live in `ballast.drift.instructions` (admin, user, keeper, if_staker), as in the
reference; this module holds the accounts, the atomic-execution plumbing and the reads.

Source: programs/drift/src/instructions/admin.rs, programs/drift/src/instructions/user.rs,
programs/drift/src/instructions/keeper.rs, programs/drift/src/instructions/if_staker.rs
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ballast.atomic import restore, snapshot
from ballast.drift.controller.insurance import (
    attempt_settle_revenue_to_insurance_fund,
)
from ballast.drift.controller.lp import (
    settle_funding_payment_then_lp,
)
from ballast.drift.controller.orders import (
    remove_closed_orders,
)
from ballast.drift.controller.repeg import _update_amm
from ballast.drift.controller.spot_balance import (
    update_spot_balances,
    update_spot_market_cumulative_interest,
)
from ballast.drift.controller.user import (
    exit_liquidation,
    update_last_active_slot,
)
from ballast.drift.errors import (
    DailyWithdrawLimit,
    InsufficientCollateral,
    InsufficientDeposit,
    InvalidAmount,
    PerpMarketNotFound,
    SpotMarketInsufficientDeposits,
    SpotMarketNotFound,
    UserNotFound,
)
from ballast.drift.instructions.admin import AdminInstructions
from ballast.drift.instructions.if_staker import IfStakerInstructions
from ballast.drift.instructions.inputs import check_enum, check_int
from ballast.drift.instructions.keeper import KeeperInstructions
from ballast.drift.instructions.spot import SpotInstructions
from ballast.drift.instructions.user import UserInstructions
from ballast.drift.math.insurance import (
    calculate_if_stake_value,
    calculate_if_unstake_available_ts,
)
from ballast.drift.math.margin import (
    calculate_margin_requirement_and_total_collateral_and_liability_info,
    calculate_user_equity,
    meets_withdraw_margin_requirement,
)
from ballast.drift.math.spot_balance import get_token_amount
from ballast.drift.math.spot_withdraw import (
    check_withdraw_limits,
    validate_max_token_deposits_and_borrows,
)
from ballast.drift.state.insurance_fund_stake import InsuranceFundStake
from ballast.drift.state.margin_calculation import (
    MarginCalculation,
    MarginContext,
    MarginRequirementType,
)
from ballast.drift.state.oracle_map import OracleMap
from ballast.drift.state.perp_market import (
    MarketStatus,
    PerpMarket,
)
from ballast.drift.state.spot_market import (
    INITIAL_SPOT_TRADING_FIELDS,
    SpotBalanceType,
    SpotMarket,
    spot_trading_fields,
)
from ballast.drift.state.state import State, spot_default_fee_structure
from ballast.drift.state.user import (
    MarketType,
    OrderStatus,
    SpotPosition,
    User,
    UserStats,
)
from ballast.fixed import I64_MAX, I64_MIN, U64_MAX, div_floor

__all__ = ["Exchange", "AuditReport", "SLOTS_PER_SECOND_NUMERATOR", "SLOTS_PER_SECOND_DENOMINATOR"]

# Solana produces a slot every ~400 ms: when a caller gives only a timestamp, slot = ts * 5 / 2.
SLOTS_PER_SECOND_NUMERATOR = 5
SLOTS_PER_SECOND_DENOMINATOR = 2

T = TypeVar("T")


@dataclass(slots=True, frozen=True)
class AuditReport:
    """Claims on each spot market's vault against the vault, and the perp aggregate identities.

    `claims[i]` lists every claim on spot market i's vault in tokens: user deposits less borrows,
    the perp pnl and fee pools, the revenue pool, the per-holder rounding dust (each holder's
    token amount is rounded on its own) and the rounding surplus the vault keeps beyond the
    market's total deposits. `vault_difference[i]` is the vault minus those claims. `mismatches`
    lists every aggregate (spot deposit/borrow balances, perp open interest, user quote) that
    differs from the sum over the accounts it aggregates, and dust outside its bounds.
    """

    vault_difference: dict[int, int]
    claims: dict[int, dict[str, int]]
    mismatches: tuple[str, ...] = ()

    @property
    def balanced(self) -> bool:
        """Every vault equals its claims, no rounding surplus is negative, perp sums agree."""
        return (
            not self.mismatches
            and all(d == 0 for d in self.vault_difference.values())
            and all(lines["rounding_surplus"] >= 0 for lines in self.claims.values())
        )


@dataclass
class Exchange(
    AdminInstructions, UserInstructions, KeeperInstructions, IfStakerInstructions, SpotInstructions
):
    """Every Drift account and the clock; instructions are its methods."""

    state: State = field(default_factory=State)
    now: int = 0
    slot: int = 0
    perp_markets: dict[int, PerpMarket] = field(default_factory=dict)
    spot_markets: dict[int, SpotMarket] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    user_stats: dict[str, UserStats] = field(default_factory=dict)
    oracle_map: OracleMap = field(default_factory=OracleMap)
    events: list = field(default_factory=list)
    insurance_fund_stakes: dict[str, InsuranceFundStake] = field(default_factory=dict)
    # users with open orders per perp market: the maker candidates of a fill
    _order_holders: dict[int, dict[str, User]] = field(default_factory=dict, repr=False)
    # the same for spot markets with orders enabled
    _spot_order_holders: dict[int, dict[str, User]] = field(default_factory=dict, repr=False)
    # cumulative token flows through each insurance fund vault, for the audit
    _insurance_ledger: dict[int, dict[str, int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.oracle_map.oracle_guard_rails = self.state.oracle_guard_rails

    def _atomic(self, touched: Iterable[Any], action: Callable[[], T]) -> T:
        snapshots = [snapshot(obj) for obj in touched]
        events_before = len(self.events)
        try:
            return action()
        except BaseException:
            for snap in snapshots:
                restore(snap)
            del self.events[events_before:]
            raise

    def user(self, authority: str, sub_account_id: int = 0) -> User:
        """The subaccount, or UserNotFound naming it."""
        user = self.users.get(f"{authority}/{sub_account_id}")
        if user is None:
            raise UserNotFound(f"no user {authority!r} with sub_account_id {sub_account_id!r}")
        return user

    def stats(self, authority: str) -> UserStats:
        """The authority's statistics (created with its first subaccount)."""
        stats = self.user_stats.get(authority)
        if stats is None:
            raise UserNotFound(f"no user stats for authority {authority!r}")
        return stats

    def perp_market(self, market_index: int) -> PerpMarket:
        """The perp market, or PerpMarketNotFound naming the index (InvalidAmount for an index
        that is no int: a bool would find market 0 or 1)."""
        if type(market_index) is not int:
            raise InvalidAmount(f"market_index must be an integer, got {market_index!r}")
        market = self.perp_markets.get(market_index)
        if market is None:
            raise PerpMarketNotFound(f"no perp market {market_index!r}")
        return market

    def spot_market(self, market_index: int) -> SpotMarket:
        """The spot market, or SpotMarketNotFound naming the index (InvalidAmount for an index
        that is no int)."""
        if type(market_index) is not int:
            raise InvalidAmount(f"market_index must be an integer, got {market_index!r}")
        market = self.spot_markets.get(market_index)
        if market is None:
            raise SpotMarketNotFound(f"no spot market {market_index!r}")
        return market

    def _track_orders(self, user: User) -> None:
        remove_closed_orders(user)
        markets = {
            order.market_index
            for order in user.orders
            if order.status is OrderStatus.Open and order.market_type is MarketType.Perp
        }
        for market_index, holders in self._order_holders.items():
            if market_index in markets:
                holders[user.key] = user
            else:
                holders.pop(user.key, None)
        if self._spot_order_holders:
            spot_markets = {
                order.market_index
                for order in user.orders
                if order.status is OrderStatus.Open and order.market_type is MarketType.Spot
            }
            for market_index, holders in self._spot_order_holders.items():
                if market_index in spot_markets:
                    holders[user.key] = user
                else:
                    holders.pop(user.key, None)

    def _makers(self, market_index: int, taker: User) -> dict[str, tuple[User, UserStats]]:
        return {
            key: (maker, self.user_stats[maker.authority])
            for key, maker in self._order_holders.get(market_index, {}).items()
            if key != taker.key
        }

    def update_clock(self, now: int, slot: int | None = None) -> None:
        """Advance time to `now` (unix seconds, an i64 as the reference's clock); slot (u64)
        defaults to now x 5 / 2 (400 ms slots)."""
        check_int("now", now, minimum=self.now, maximum=I64_MAX)
        if slot is None:
            slot = max(self.slot, div_floor(now * SLOTS_PER_SECOND_NUMERATOR, SLOTS_PER_SECOND_DENOMINATOR))
        check_int("slot", slot, minimum=self.slot, maximum=U64_MAX)
        self.now = now
        self.slot = slot
        self.oracle_map.slot = slot

    def update_oracle_price(
        self,
        market_index: int,
        price: int,
        confidence: int = 0,
        market_type: MarketType = MarketType.Perp,
    ) -> None:
        """Publish an oracle reading (price 1e6, an i64 as the oracle's: zero or negative is
        a reading the validity checks flag, as on chain; confidence 1e6, u64) in the current
        slot."""
        check_int("price", price, minimum=I64_MIN, maximum=I64_MAX)
        check_int("confidence", confidence, minimum=0, maximum=U64_MAX)
        check_enum("market_type", market_type, MarketType)
        if market_type is MarketType.Perp:
            self.perp_market(market_index)
        else:
            self.spot_market(market_index)
        self.oracle_map.publish(market_type, market_index, price, confidence)

    def _spot_position(self, user: User, market_index: int) -> SpotPosition:
        position = user.get_spot_position(market_index)
        if position is None:
            position = SpotPosition(market_index=market_index)
            user.spot_positions.append(position)
        return position

    def _accrue_interest(self, spot_market: SpotMarket) -> None:
        update_spot_market_cumulative_interest(
            spot_market, self.oracle_map.get_spot(spot_market.market_index), self.now
        )

    def _withdraw_from(
        self, user: User, spot_market: SpotMarket, amount: int, allow_borrow: bool
    ) -> None:
        """Debit `amount` tokens from the user's balance (beyond the deposit it becomes a
        borrow when `allow_borrow`), check the market's withdraw limits and the user's initial
        margin. Source: programs/drift/src/instructions/user.rs::handle_withdraw"""
        position = self._spot_position(user, spot_market.market_index)
        if not allow_borrow:
            available = 0
            if position.balance_type is SpotBalanceType.Deposit:
                available = get_token_amount(position.scaled_balance, spot_market, SpotBalanceType.Deposit)
            if amount > available:
                raise InsufficientDeposit(
                    f"user {user.key} moves {amount} of spot market {spot_market.market_index} "
                    f"but holds {available}"
                )
        try:
            update_spot_balances(amount, SpotBalanceType.Borrow, spot_market, position, True)
        except SpotMarketInsufficientDeposits as error:
            raise SpotMarketInsufficientDeposits(f"withdrawal of {amount}: {error}") from None
        position.cumulative_deposits -= amount
        if not check_withdraw_limits(spot_market, user, amount):
            raise DailyWithdrawLimit(
                f"withdrawal of {amount} from spot market {spot_market.market_index} breaches "
                "its daily withdraw limits"
            )
        validate_max_token_deposits_and_borrows(spot_market)
        try:
            meets_withdraw_margin_requirement(
                user, self.perp_markets, self.spot_markets, self.oracle_map,
                MarginRequirementType.Initial,
            )
        except InsufficientCollateral as error:
            raise InsufficientCollateral(f"withdrawal of {amount}: {error}") from None
        if user.is_being_liquidated():
            exit_liquidation(user)
        update_last_active_slot(user, self.slot)

    def _update_amm(self, market: PerpMarket) -> int:
        if market.status is MarketStatus.Settlement or market.status is MarketStatus.Delisted:
            return 0
        return _update_amm(
            market, self.oracle_map.get_perp(market.market_index), self.state, self.now, self.slot
        )

    def _fill_touched(self, user: User, market: PerpMarket, extra: Iterable[Any] = ()) -> list:
        # `_order_holders` changes only in `_track_orders`, the last step of an instruction
        touched: list[Any] = [user, self.user_stats[user.authority], market, *extra]
        for maker, maker_stats in self._makers(market.market_index, user).values():
            touched.append(maker)
            touched.append(maker_stats)
        return touched

    def _settle_lp_before_trading(self, user: User, market: PerpMarket) -> None:
        position = user.get_perp_position(market.market_index)
        if position is not None and position.lp_shares > 0:
            self.events.extend(settle_funding_payment_then_lp(user, market, self.now))

    def _insurance_flow(self, market_index: int, flow: str, amount: int) -> None:
        self._insurance_ledger[market_index][flow] += amount

    def _move_to_insurance_fund(self, spot_market: SpotMarket, amount: int) -> None:
        spot_market.vault_amount -= amount
        spot_market.insurance_fund.vault_amount += amount
        self._insurance_flow(spot_market.market_index, "revenue_settled", amount)

    def _attempt_settle_revenue(self, spot_market: SpotMarket) -> None:
        amount = attempt_settle_revenue_to_insurance_fund(
            spot_market.vault_amount, spot_market.insurance_fund.vault_amount, spot_market,
            self.now, self.events,
        )
        if amount > 0:
            self._move_to_insurance_fund(spot_market, amount)

    def insurance_fund(self, market_index: int) -> dict[str, int]:
        """The fund of a spot market: vault balance (token decimals), total, user and protocol
        shares, the shares' decimal base, and the unstaking period (s)."""
        fund = self.spot_market(market_index).insurance_fund
        return {
            "vault_amount": fund.vault_amount,
            "total_shares": fund.total_shares,
            "user_shares": fund.user_shares,
            "protocol_shares": fund.total_shares - fund.user_shares,
            "shares_base": fund.shares_base,
            "unstaking_period": fund.unstaking_period,
        }

    def insurance_fund_stake_value(self, authority: str, market_index: int) -> int:
        """What the stake is worth now (token decimals, floored)."""
        spot_market = self.spot_market(market_index)
        return calculate_if_stake_value(
            self._stake(authority, market_index), spot_market, spot_market.insurance_fund.vault_amount
        )

    def insurance_fund_unstake_available_ts(self, authority: str, market_index: int) -> int | None:
        """When a pending unstake request may be completed (unix s), or None without one."""
        return calculate_if_unstake_available_ts(
            self._stake(authority, market_index), self.spot_market(market_index)
        )

    def margin_calculation(
        self,
        user: User,
        margin_type: MarginRequirementType = MarginRequirementType.Initial,
        strict: bool = False,
    ) -> MarginCalculation:
        """The user's margin requirement and total collateral (quote 1e6)."""
        return calculate_margin_requirement_and_total_collateral_and_liability_info(
            user,
            self.perp_markets,
            self.spot_markets,
            self.oracle_map,
            MarginContext.standard(margin_type).with_strict(strict),
        )

    def user_equity(self, authority: str, sub_account_id: int = 0) -> int:
        """Net value of the subaccount (quote 1e6): balances plus unrealized pnl and funding."""
        net_usd_value, _all_oracles_valid = calculate_user_equity(
            self.user(authority, sub_account_id), self.perp_markets, self.spot_markets, self.oracle_map
        )
        return net_usd_value

    def free_collateral(self, authority: str, sub_account_id: int = 0) -> int:
        """Total collateral above the initial margin requirement (quote 1e6, >= 0)."""
        return self.margin_calculation(self.user(authority, sub_account_id)).get_free_collateral()

    def token_amount(self, authority: str, sub_account_id: int, market_index: int) -> int:
        """Signed token balance of a subaccount in a spot market (deposits > 0, borrows < 0)."""
        user = self.user(authority, sub_account_id)
        spot_market = self.spot_market(market_index)
        position = user.get_spot_position(market_index)
        if position is None:
            return 0
        amount = get_token_amount(position.scaled_balance, spot_market, position.balance_type)
        return amount if position.balance_type is SpotBalanceType.Deposit else -amount

    def audit(self) -> AuditReport:
        """Check that nothing was lost: every claim on each vault against the vault, and every
        spot and perp market aggregate against the sum over the accounts it aggregates."""
        vault_difference: dict[int, int] = {}
        claims: dict[int, dict[str, int]] = {}
        mismatches: list[str] = []
        deposit, borrow = SpotBalanceType.Deposit, SpotBalanceType.Borrow
        for index, spot_market in self.spot_markets.items():
            user_deposits = user_borrows = 0
            deposit_scaled = borrow_scaled = deposit_holders = borrow_holders = 0
            for user in self.users.values():
                position = user.get_spot_position(index)
                if position is None or position.scaled_balance == 0:
                    continue
                amount = get_token_amount(position.scaled_balance, spot_market, position.balance_type)
                if position.balance_type is deposit:
                    user_deposits += amount
                    deposit_scaled += position.scaled_balance
                    deposit_holders += 1
                else:
                    user_borrows += amount
                    borrow_scaled += position.scaled_balance
                    borrow_holders += 1
            pool_balances = {"perp_pnl_pools": [], "perp_fee_pools": [], "revenue_pool": []}
            bankruptcy_fee_pool_surplus = 0
            for market in self.perp_markets.values():
                if market.quote_spot_market_index == index:
                    pool_balances["perp_pnl_pools"].append(market.pnl_pool.scaled_balance)
                    pool_balances["perp_fee_pools"].append(market.amm.fee_pool.scaled_balance)
                    bankruptcy_fee_pool_surplus += market.bankruptcy_fee_pool_surplus
            pool_balances["revenue_pool"].append(spot_market.revenue_pool.scaled_balance)
            # every spot market's fee pool is a deposit in the quote market
            pool_balances["spot_fee_pools"] = [
                market.spot_fee_pool.scaled_balance
                for market in self.spot_markets.values()
                if market.spot_fee_pool.market_index == index
            ]
            pools = {}
            for name, balances in pool_balances.items():
                pools[name] = sum(get_token_amount(b, spot_market, deposit) for b in balances)
                deposit_scaled += sum(balances)
                deposit_holders += sum(1 for b in balances if b)
            if deposit_scaled != spot_market.deposit_balance:
                mismatches.append(
                    f"spot market {index}: deposit_balance is {spot_market.deposit_balance}, "
                    f"holders sum to {deposit_scaled}"
                )
            if borrow_scaled != spot_market.borrow_balance:
                mismatches.append(
                    f"spot market {index}: borrow_balance is {spot_market.borrow_balance}, "
                    f"holders sum to {borrow_scaled}"
                )
            depositors_claim = get_token_amount(
                spot_market.deposit_balance, spot_market, deposit
            ) - get_token_amount(spot_market.borrow_balance, spot_market, borrow)
            holders_claim = user_deposits - user_borrows + sum(pools.values())
            # Token amounts are floored (deposits) or ceiled (borrows) one holder at a time, so
            # the holders' claims fall short of the market totals by less than a unit each.
            holder_rounding_dust = depositors_claim - holders_claim
            if not 0 <= holder_rounding_dust < max(1, deposit_holders + borrow_holders):
                mismatches.append(
                    f"spot market {index}: holder rounding dust {holder_rounding_dust} outside "
                    f"[0, {deposit_holders + borrow_holders})"
                )
            lines = {
                "user_deposits": user_deposits,
                "user_borrows": -user_borrows,
                **pools,
                "holder_rounding_dust": holder_rounding_dust,
                # resolve_perp_bankruptcy debits the fee pool without crediting anyone (the
                # reference's quirk): those tokens stay in the vault, claimed by no account
                "perp_bankruptcy_fee_pool_surplus": bankruptcy_fee_pool_surplus,
                # Withdrawals round the scaled debit up (the reference's rounding): the vault
                # keeps that dust beyond the market's total deposits, as protocol surplus.
                "rounding_surplus": spot_market.vault_amount
                - depositors_claim
                - bankruptcy_fee_pool_surplus,
            }
            claims[index] = lines
            vault_difference[index] = spot_market.vault_amount - sum(lines.values())
        mismatches.extend(self._insurance_mismatches())
        mismatches.extend(self._perp_mismatches())
        return AuditReport(vault_difference, claims, tuple(mismatches))

    def _insurance_mismatches(self) -> list[str]:
        mismatches = []
        for index, spot_market in self.spot_markets.items():
            fund = spot_market.insurance_fund
            flows = self._insurance_ledger[index]
            expected = (
                flows["staked"] + flows["revenue_settled"] - flows["unstaked"] - flows["paid_out"]
            )
            if fund.vault_amount != expected:
                mismatches.append(
                    f"insurance fund {index}: vault {fund.vault_amount}, flows give {expected}"
                )
            staked_shares = sum(
                stake.if_shares
                for stake in self.insurance_fund_stakes.values()
                if stake.market_index == index and stake.if_base == fund.shares_base
            )
            if not staked_shares <= fund.user_shares <= fund.total_shares:
                mismatches.append(
                    f"insurance fund {index}: stakes {staked_shares} <= user shares "
                    f"{fund.user_shares} <= total shares {fund.total_shares} fails"
                )
        return mismatches

    def _perp_mismatches(self) -> list[str]:
        mismatches = []
        for index, market in self.perp_markets.items():
            amm = market.amm
            quote = long = short = 0
            for user in self.users.values():
                position = user.get_perp_position(index)
                if position is None:
                    continue
                quote += position.quote_asset_amount
                if position.base_asset_amount > 0:
                    long += position.base_asset_amount
                else:
                    short += position.base_asset_amount
            checks = (
                ("quote_asset_amount", amm.quote_asset_amount, quote),
                ("base_asset_amount_long", amm.base_asset_amount_long, long),
                ("base_asset_amount_short", amm.base_asset_amount_short, short),
                (
                    "base_asset_amount_with_amm + with_unsettled_lp",
                    amm.base_asset_amount_with_amm + amm.base_asset_amount_with_unsettled_lp,
                    long + short,
                ),
            )
            for name, stored, summed in checks:
                if stored != summed:
                    mismatches.append(f"perp market {index}: {name} is {stored}, positions sum to {summed}")
        return mismatches

    def state_digest(self) -> str:
        """SHA-256 of every account and the clock: equal inputs give equal digests."""
        payload = repr(
            (
                self.now,
                self.slot,
                self.state,
                sorted(self.perp_markets.items()),
                sorted(self.spot_markets.items()),
                sorted(self.users.items()),
                sorted(self.user_stats.items()),
                sorted(self.oracle_map.readings.items(), key=lambda item: (item[0][0].value, item[0][1])),
                sorted(self.insurance_fund_stakes.items()),
                sorted(self._insurance_ledger.items()),
            )
        )
        spot_trading = self._spot_trading_digest()
        if spot_trading:
            payload += repr(spot_trading)
        return hashlib.sha256(payload.encode()).hexdigest()

    def _spot_trading_digest(self) -> tuple:
        """The spot-trading fields that left their initial values (the State's spot settings,
        each market's orders/fees/flash-loan fields, users with margin trading): empty for an
        exchange that never traded spot, so its digest is what it was before these fields."""
        state = self.state
        settings = (
            state.spot_fee_structure,
            state.default_spot_auction_duration,
            state.spot_fee_to_revenue_pool,
        )
        changed: list[tuple] = []
        if settings != (spot_default_fee_structure(), 10, False):
            changed.append(("state", settings))
        for index, spot_market in sorted(self.spot_markets.items()):
            fields = spot_trading_fields(spot_market)
            if fields != INITIAL_SPOT_TRADING_FIELDS:
                changed.append((index, fields))
        margin_traders = sorted(key for key, user in self.users.items() if user.is_margin_trading_enabled)
        if margin_traders:
            changed.append(("is_margin_trading_enabled", tuple(margin_traders)))
        return tuple(changed)
