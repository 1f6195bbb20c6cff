"""The Curie ClearingHouse facade: one method per instruction, each atomic.

A `ClearingHouse` holds the protocol configuration, every market (a virtual Uniswap v3 pool
plus Curie's accumulators), every account (the insurance fund is the account
`INSURANCE_FUND`), the vault's USDC ledger, the index prices (inputs) and the clock. Each
instruction validates its inputs, settles funding, runs the controllers, appends typed events to
`events`, and either applies completely or raises a `CurieError` leaving every account and pool
exactly as it was.

Units: virtual tokens (base, quote, pnl, fees) 18 decimals; USDC 6 decimals; prices 18
decimals (quote per base); ratios 1e6; sqrt prices X96; timestamps unix seconds.

Mark price (spec 2.11), explicit: `update_mark_price(market, price)` sets it as an input (the
reference's unit tests mock it); with no input (or after `update_mark_price(market, None)`) it
is the v2.8 formula median(marketTwap(15 s), marketTwap(1800 s), index + (marketTwap(900 s) -
indexTwap(900 s))). Index prices are inputs (`update_index_price`); an index TWAP is the
time-weighted mean of the recorded prices. `add_pool` records the pool's initial price as the
first index price.

Liquidation (two stages: `cancel_all_excess_orders` / `liquidate_maker`, then `liquidate`),
bad debt and the insurance fund's wallet (`controller.liquidation`) and Pool Party rewards
(`controller.rewards`: every swap, mint and burn also updates the volume accumulators) are in
the "liquidation, insurance fund and rewards" section.

Source: contracts/ClearingHouse.sol, contracts/Exchange.sol, contracts/OrderBook.sol,
contracts/AccountBalance.sol, contracts/Vault.sol, contracts/MarketRegistry.sol
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ballast.atomic import restore, snapshot
from ballast.curie.controller import account_balance as ab_controller
from ballast.curie.controller import exchange as ex_controller
from ballast.curie.controller import funding as funding_controller
from ballast.curie.controller import liquidation as liquidation_controller
from ballast.curie.controller import order_book as ob_controller
from ballast.curie.controller import rewards as rewards_controller
from ballast.curie.controller import vault as vault_controller
from ballast.curie.events import (
    BadDebtSettled,
    Deposited,
    FundingPaymentSettled,
    FundingUpdated,
    InsuranceFundRepaid,
    LiquidityChanged,
    PositionChanged,
    PositionLiquidated,
    RewardBudgetSet,
    RewardsClaimed,
    Withdrawn,
)
from ballast.curie.market_errors import (
    GreaterThanSettlementTokenBalanceCap,
    IndexPriceNotSet,
    InvalidAmount,
    MarketAlreadyExists,
    MarketNotFound,
    NonExistentOpenOrder,
    NotEnoughFreeCollateral,
    NotEnoughFreeCollateralByImRatio,
    NotEnoughFreeCollateralByMmRatio,
    NotExcessOrders,
    OrderNotBelongToMaker,
    OverMaxPriceSpread,
    PositionSizeIsZero,
    TooLittleReceivedLong,
    TooLittleReceivedShort,
    TooMuchRequestedLong,
    TooMuchRequestedShort,
)
from ballast.curie.math import account_balance as ab_math
from ballast.curie.math import funding as funding_math
from ballast.curie.math import liquidation as liquidation_math
from ballast.curie.math import order_book as ob_math
from ballast.curie.math import rewards as rewards_math
from ballast.curie.math import vault as vault_math
from ballast.curie.math.exchange import is_reducing_position
from ballast.curie.math.perp_math import (
    ONE_HUNDRED_PERCENT_RATIO,
    format_sqrt_price_x96_to_price_x10_18,
    mul_div,
    parse_settlement_token,
)
from ballast.curie.state import (
    Account,
    ClearingHouseConfig,
    FundingGrowth,
    MarketInfo,
    MarketState,
    VaultState,
)
from ballast.curie.state.insurance_fund import InsuranceFundState
from ballast.curie.state.rewards import MarketRewards, RewardsState
from ballast.curie.undo import UndoLog, restore_records, snapshot_records
from ballast.curie.univ3 import pool as univ3_pool
from ballast.curie.univ3 import tick_math

__all__ = ["ClearingHouse", "CurieAuditReport", "INSURANCE_FUND", "FEE_TIER_TICK_SPACING"]

INSURANCE_FUND = "insurance_fund"
SETTLEMENT_TOKEN = "USDC"
FEE_TIER_TICK_SPACING = {500: 10, 3000: 60, 10000: 200}  # Uniswap v3 factory 1.0.0
OBSERVATION_CARDINALITY_NEXT = 256  # oracle ring per pool (the deploy scripts raise it)
MARK_PRICE_SHORT_TWAP_INTERVAL = 15

T = TypeVar("T")


def _check_int(name: str, value: Any, minimum: int | None = None, maximum: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidAmount(f"{name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise InvalidAmount(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise InvalidAmount(f"{name} must be <= {maximum}, got {value}")
    return value


def _check_name(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidAmount(f"{name} must be a non-empty string, got {value!r}")
    return value


@dataclass(slots=True, frozen=True)
class CurieAuditReport:
    """Conservation of the vault's USDC and of every virtual token.

    Identities (each difference must be 0):

    * quote / USDC, over the whole system, 18 decimals (`quote_difference`):
      Σ_accounts balance·1e12 - vault·1e12 + Σ_accounts owedRealizedPnl
      + Σ_markets [pool quote balance + Σ takerOpenNotional - Σ quoteDebt + dust_quote
                   + (maker_fee_charged - maker_fee_realized) + funding_paid
                   - pool_fee_quote - exact_output_residue_quote]
      + vault.withdraw_rounding = 0.
      Every USDC in the vault is some account's balance or a claim through owed realized pnl,
      open notional, maker fees not yet realized, or an explicit ledger line (what the pool kept
      as Uniswap fee, exact-output residues, deleted dust, net funding, withdrawal rounding).
    * base, per market, 18 decimals (`base_difference[m]`):
      pool base balance + Σ takerPositionSize - Σ baseDebt + dust_base - pool_fee_base
      - exact_output_residue_base = 0.

    Inequalities (a violation is listed in `mismatches`): each pool's token balances cover the
    tokens every order holds at the current price (Σ baseInPool, Σ quoteInPool); the makers'
    pending fees do not exceed the fees charged for them and not yet realized (the
    difference is fee-growth rounding kept by the system); the vault balance equals deposits
    less withdrawals; the insurance fund's wallet is not negative; Pool Party, per market and
    epoch: the makers' volumes (checkpointed + pending) sum exactly to the epoch's total, each
    budget >= paid + still claimable, paid == Σ makers' paid, and Σ reward balances == Σ paid.

    `insurance_fund` (informational, not summed): the fund's vault balance (6 dec), owed pnl
    (18 dec), wallet (6 dec), capacity (6 dec), penalties received (18 dec), bad debt settled
    and repaid (6 dec).
    """

    quote_difference: int
    base_difference: dict[str, int]
    lines: dict[str, int]
    mismatches: tuple[str, ...] = ()
    insurance_fund: dict[str, int] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        """Every identity holds and no inequality is violated."""
        return (
            self.quote_difference == 0
            and all(d == 0 for d in self.base_difference.values())
            and not self.mismatches
        )


@dataclass
class ClearingHouse:
    """Every Curie account, market and the clock; instructions are its methods."""

    config: ClearingHouseConfig = field(default_factory=ClearingHouseConfig)
    now: int = 0
    markets: dict[str, MarketState] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    vault: VaultState = field(default_factory=VaultState)
    index_prices: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    index_pruned_before: dict[str, int] = field(default_factory=dict)
    mark_prices: dict[str, int] = field(default_factory=dict)
    events: list = field(default_factory=list)
    insurance_fund: str = INSURANCE_FUND
    insurance_fund_state: InsuranceFundState = field(default_factory=InsuranceFundState)
    rewards: RewardsState = field(default_factory=RewardsState)

    # --- plumbing ---------------------------------------------------------------------

    def __post_init__(self) -> None:
        self.account(self.insurance_fund)

    def _atomic(
        self,
        touched: Iterable[Any],
        action: Callable[[], T],
        accounts_before: int | None = None,
        records: Iterable[Any] = (),
        undo: UndoLog | None = None,
    ) -> T:
        """Run `action`; on any error restore the touched objects, drop accounts and markets
        created since `accounts_before` (default: now) and the events appended, and re-raise.

        `touched` are snapshotted whole (`ballast.atomic.snapshot`: everything reachable);
        `records` only through their scalar records (`ballast.curie.undo.snapshot_records`:
        a market's own fields, its ledger, info and pool scalars, not its tick collections),
        for an action whose writers log every collection entry they write into `undo`
        (rolled back first on error). The cost of a taker instruction then follows what it
        writes, not the number of ticks and orders in the market."""
        snapshots = [snapshot(obj) for obj in touched]
        record_snapshots = [snapshot_records(obj) for obj in records]
        if accounts_before is None:
            accounts_before = len(self.accounts)
        markets_before = len(self.markets)
        events_before = len(self.events)
        try:
            return action()
        except BaseException:
            if undo is not None:
                undo.rollback()
            for snap in snapshots:
                restore(snap)
            for entries in record_snapshots:
                restore_records(entries)
            for key in list(self.accounts)[accounts_before:]:
                del self.accounts[key]
            for key in list(self.markets)[markets_before:]:
                del self.markets[key]
            del self.events[events_before:]
            raise

    def account(self, trader: str) -> Account:
        """The trader's account, created empty on first use (any address may call Curie)."""
        _check_name("trader", trader)
        account = self.accounts.get(trader)
        if account is None:
            account = Account(trader=trader)
            self.accounts[trader] = account
        return account

    def market(self, market: str) -> MarketState:
        """The market, or MarketNotFound ("MR_PNE") naming it."""
        state = self.markets.get(market)
        if state is None:
            raise MarketNotFound(f"no market {market!r}")
        return state

    def _if_account(self) -> Account:
        account = self.accounts.get(self.insurance_fund)
        return account if account is not None else self.account(self.insurance_fund)

    def _touched(self, account: Account, *markets: MarketState) -> list[Any]:
        touched: list[Any] = [account, self._if_account(), self.vault, self.insurance_fund_state]
        for market in markets:
            touched.append(market)
            touched.append(self._market_rewards(market.base_token))
        return touched

    def _taker_touched(self, accounts: Iterable[Account], market: MarketState) -> tuple[list[Any], list[Any]]:
        """(touched, records) for `_atomic` of a taker instruction in `market`: the accounts,
        the insurance fund's account, the vault and the fund's state whole; the market and its
        Pool Party records through their scalar records only. Sound for an instruction whose
        writes to the market's and Pool Party's collections all go through an undo log (the
        swap's writers and the epoch roll in open/close position) or that writes none of
        them (liquidate: funding settlement and realization write only scalars and ledger)."""
        touched: list[Any] = [*accounts, self._if_account(), self.vault, self.insurance_fund_state]
        return touched, [market, self._market_rewards(market.base_token)]

    def _market_rewards(self, market: str) -> MarketRewards:
        rewards = self.rewards.markets.get(market)
        if rewards is None:
            rewards = MarketRewards()
            self.rewards.markets[market] = rewards
        return rewards

    def _roll_rewards(self, state: MarketState, undo: UndoLog | None = None) -> MarketRewards:
        """The market's Pool Party records, rolled to the epoch of `now` (checkpointing every
        order of the market when a new epoch starts; logged into `undo` when given)."""
        rewards = self._market_rewards(state.base_token)
        rewards_controller.roll_epoch(
            rewards, state.base_token, self.accounts.values(), state.pool.tick, self.now, undo
        )
        return rewards

    # --- clock, index and mark prices -------------------------------------------------

    def update_clock(self, now: int) -> None:
        """Advance engine time to `now` (unix seconds, never backwards)."""
        self.now = _check_int("now", now, minimum=self.now)

    def update_index_price(self, market: str, price: int, now: int | None = None) -> None:
        """Record the market's index price (18 dec) observed at `now` (default: engine time).

        Records are kept in time order; a record at the same time replaces the previous one.
        """
        self.market(market)
        _check_int("index price", price, minimum=1)
        ts = self.now if now is None else _check_int("now", now, minimum=0)
        history = self.index_prices.setdefault(market, [])
        if history and ts < history[-1][0]:
            raise InvalidAmount(f"index price time {ts} precedes the last record {history[-1][0]}")
        if history and history[-1][0] == ts:
            history[-1] = (ts, price)
        else:
            history.append((ts, price))
        self._prune_index_history(market, history)

    def index_price_horizon(self) -> int:
        """Seconds of index history any engine read needs: the longest index TWAP interval the
        configuration uses (funding and price-spread `twap_interval`, the mark price's premium
        interval; the mark price's market-TWAP interval too, to be safe)."""
        config = self.config
        return max(config.twap_interval, config.mark_price_premium_interval, config.mark_price_market_twap_interval)

    def _prune_index_history(self, market: str, history: list[tuple[int, int]]) -> None:
        """Drop index records no TWAP over at most `index_price_horizon()` seconds ending now
        or later can see: keep the last record at or before `now - horizon` (its price holds
        from then) and every later one. Each record is dropped once, so recording stays O(1)
        amortised and the history (hence `get_index_twap`) stays bounded by the horizon.
        Results are unchanged: a record before the kept one only weighs time before the
        cutoff. `index_pruned_before[market]` remembers the cutoff; a longer TWAP reaching
        before it raises IndexPriceNotSet rather than answer from a truncated history."""
        cutoff = self.now - self.index_price_horizon()
        keep = 0
        last = len(history) - 1
        while keep < last and history[keep + 1][0] <= cutoff:
            keep += 1
        if keep:
            del history[:keep]
            self.index_pruned_before[market] = cutoff

    def update_mark_price(self, market: str, price: int | None) -> None:
        """Set the market's mark price (18 dec) as an input, or None to use the 2.11 formula."""
        self.market(market)
        if price is None:
            self.mark_prices.pop(market, None)
        else:
            self.mark_prices[market] = _check_int("mark price", price, minimum=0)

    def _index_twap(self, market: str, interval: int) -> int:
        history = self.index_prices.get(market)
        if not history:
            raise IndexPriceNotSet(f"no index price recorded for {market!r}")
        pruned = self.index_pruned_before.get(market)
        if pruned is not None and interval > 0 and self.now - interval < pruned:
            raise IndexPriceNotSet(
                f"index TWAP over {interval} s for {market!r} reaches before {pruned}, where the "
                f"history was pruned (kept: {self.index_price_horizon()} s)"
            )
        return funding_math.get_index_twap(history, self.now, interval)

    def _market_twap(self, market: MarketState, interval: int) -> int:
        sqrt_twap = funding_math.get_sqrt_market_twap_x96(market.pool, self.now, interval)
        return format_sqrt_price_x96_to_price_x10_18(sqrt_twap)

    def get_index_price(self, market: str, interval: int = 0) -> int:
        """Index TWAP over `interval` seconds ending now (0: latest), 18 dec."""
        self.market(market)
        return self._index_twap(market, interval)

    def get_market_price(self, market: str, interval: int = 0) -> int:
        """The pool's price TWAP (spot when interval < 10 s), 18 dec, floored."""
        return self._market_twap(self.market(market), interval)

    def get_mark_price(self, market: str) -> int:
        """Mark price (18 dec): the input set by update_mark_price, else the spec 2.11 formula
        median(marketTwap(15), marketTwap(1800), index(0) + marketTwap(900) - indexTwap(900)).

        Source: contracts/AccountBalance.sol::_getMarkPrice (v2.8)
        """
        state = self.market(market)
        if market in self.mark_prices:
            return self.mark_prices[market]
        config = self.config
        short, long, premium_twap = (
            format_sqrt_price_x96_to_price_x10_18(sqrt_twap)
            for sqrt_twap in funding_math.get_sqrt_market_twaps_x96(
                state.pool,
                self.now,
                (
                    MARK_PRICE_SHORT_TWAP_INTERVAL,
                    config.mark_price_market_twap_interval,
                    config.mark_price_premium_interval,
                ),
            )
        )
        premium = premium_twap - self._index_twap(market, config.mark_price_premium_interval)
        with_premium = self._index_twap(market, 0) + premium
        return sorted((short, long, with_premium))[1]

    # --- funding ----------------------------------------------------------------------

    def _funding_growth_and_twaps(self, market: MarketState) -> tuple[FundingGrowth, int, int]:
        """(global funding growth at now, market TWAP, index TWAP), 18-dec TWAPs.

        Source: contracts/Exchange.sol::_getFundingGrowthGlobalAndTwaps
        """
        interval = funding_math.get_funding_twap_interval(
            self.now, market.first_traded_timestamp, self.config.twap_interval
        )
        sqrt_twap = funding_math.get_sqrt_market_twap_x96(market.pool, self.now, interval)
        index_twap = self._index_twap(market.base_token, interval)
        growth = funding_math.calc_funding_growth_global(
            market.funding_growth_global,
            market.last_settled_timestamp,
            self.now,
            sqrt_twap,
            index_twap,
            market.pool.sqrt_price_x96,
            self.config.max_funding_rate,
        )
        return growth, format_sqrt_price_x96_to_price_x10_18(sqrt_twap), index_twap

    def _funding_growth(self, market: MarketState) -> FundingGrowth:
        """`_funding_growth_and_twaps(market)[0]`: once the growth is stored at `now` it is the
        stored value, which calc_funding_growth_global returns without reading the TWAPs, so
        they are not computed again (the margin check after a settlement at `now`; the TWAPs
        read at that settlement could not fail and cannot now).

        Source: contracts/Exchange.sol::_getFundingGrowthGlobalAndTwaps
        """
        if market.last_settled_timestamp == self.now:
            return market.funding_growth_global
        return self._funding_growth_and_twaps(market)[0]

    def _settle_funding(self, account: Account, market: MarketState) -> FundingGrowth:
        if market.last_settled_timestamp == self.now:  # stored at now: nothing to store again
            growth, market_twap, index_twap = market.funding_growth_global, 0, 0
        else:
            growth, market_twap, index_twap = self._funding_growth_and_twaps(market)
        payment, stored = funding_controller.settle_funding(account, market, growth, self.now)
        if stored:
            self.events.append(FundingUpdated(self.now, market.base_token, market_twap, index_twap))
        if payment != 0:
            self.events.append(FundingPaymentSettled(self.now, account.trader, market.base_token, payment))
        return growth

    def _valuation(self, account: Account) -> tuple[dict[str, MarketState], dict[str, FundingGrowth], dict[str, int]]:
        """Markets, current funding growths and mark prices of the account's registered markets."""
        markets = {name: self.markets[name] for name in account.markets}
        growths = {name: self._funding_growth(m) for name, m in markets.items()}
        marks = {name: self.get_mark_price(name) for name in markets}
        return markets, growths, marks

    def _free_collateral_by_ratio(self, account: Account, ratio: int) -> int:
        return vault_math.get_free_collateral_by_ratio_6(account, *self._valuation(account), ratio)

    def _require_enough_free_collateral(self, account: Account) -> None:
        """CH_NEFCI unless free collateral by imRatio >= 0 (the insurance fund is exempt).

        Source: contracts/ClearingHouse.sol::_requireEnoughFreeCollateral
        """
        if account.trader == self.insurance_fund:
            return
        free = self._free_collateral_by_ratio(account, self.config.im_ratio)
        if free < 0:
            raise NotEnoughFreeCollateralByImRatio(
                f"{account.trader!r}: free collateral by imRatio would be {free} (USDC 6 dec)"
            )

    # --- markets ----------------------------------------------------------------------

    def add_pool(
        self,
        market: str,
        sqrt_price_x96: int,
        fee: int,
        exchange_fee_ratio: int | None = None,
        insurance_fund_fee_ratio: int = 0,
        max_price_spread_ratio: int = 100_000,
    ) -> MarketState:
        """Create the market's vBASE/vUSD pool at `sqrt_price_x96` with Uniswap fee tier `fee`
        (pips; 500/3000/10000), Curie's `exchange_fee_ratio` (default: the pool fee) and the
        insurance fund's share `insurance_fund_fee_ratio` (1e6). Records the initial price as
        the first index price.

        Source: contracts/MarketRegistry.sol::addPool; contracts/UniswapV3Factory.sol::createPool;
        contracts/UniswapV3Pool.sol::initialize
        """
        _check_name("market", market)
        _check_int("fee", fee)
        if fee not in FEE_TIER_TICK_SPACING:
            raise InvalidAmount(f"fee tier {fee} is not one of {sorted(FEE_TIER_TICK_SPACING)}")
        if exchange_fee_ratio is None:
            exchange_fee_ratio = fee
        for name, ratio in (
            ("exchange_fee_ratio", exchange_fee_ratio),
            ("insurance_fund_fee_ratio", insurance_fund_fee_ratio),
            ("max_price_spread_ratio", max_price_spread_ratio),
        ):
            _check_int(name, ratio, minimum=0, maximum=ONE_HUNDRED_PERCENT_RATIO - 1)
        _check_int(
            "sqrt_price_x96", sqrt_price_x96, minimum=tick_math.MIN_SQRT_RATIO, maximum=tick_math.MAX_SQRT_RATIO - 1
        )
        if market in self.markets:
            raise MarketAlreadyExists(f"market {market!r} already exists")

        def action() -> MarketState:
            pool = univ3_pool.UniswapV3Pool(fee=fee, tick_spacing=FEE_TIER_TICK_SPACING[fee])
            univ3_pool.initialize(pool, sqrt_price_x96, self.now)
            univ3_pool.increase_observation_cardinality_next(pool, OBSERVATION_CARDINALITY_NEXT)
            state = MarketState(
                base_token=market,
                info=MarketInfo(
                    pool=pool,
                    exchange_fee_ratio=exchange_fee_ratio,
                    insurance_fund_fee_ratio=insurance_fund_fee_ratio,
                    uniswap_fee_ratio=fee,
                    max_price_spread_ratio=max_price_spread_ratio,
                ),
            )
            self.markets[market] = state
            self._market_rewards(market)
            if not self.index_prices.get(market):
                self.index_prices[market] = [(self.now, format_sqrt_price_x96_to_price_x10_18(sqrt_price_x96))]
            return state

        return self._atomic([self.index_prices, self.rewards.markets], action)

    # --- vault ------------------------------------------------------------------------

    def deposit(self, trader: str, amount: int) -> None:
        """Deposit `amount` USDC (6 dec). Source: contracts/Vault.sol::deposit"""
        _check_int("amount", amount, minimum=1)
        cap = self.config.settlement_token_balance_cap

        def action() -> None:
            account = self.account(trader)
            if cap is not None and self.vault.balance + amount > cap:
                raise GreaterThanSettlementTokenBalanceCap(
                    f"vault balance {self.vault.balance} + {amount} exceeds cap {cap}"
                )
            vault_controller.deposit(self.vault, account, amount)
            self.events.append(Deposited(self.now, SETTLEMENT_TOKEN, trader, amount))

        self._atomic([self.vault, *self._existing(trader)], action)

    def withdraw(self, trader: str, amount: int) -> None:
        """Withdraw `amount` USDC (6 dec): settle funding in every registered market, move owed
        realized pnl into the balance (floored to 6 dec), require free collateral >= amount
        ("V_NEFC"), pay out.

        Source: contracts/Vault.sol::withdraw, _settleAndDecreaseBalance
        """
        _check_int("amount", amount, minimum=1)
        n = len(self.accounts)
        account = self.account(trader)
        markets = [self.markets[name] for name in account.markets]

        def action() -> None:
            for market in markets:
                self._settle_funding(account, market)
            vault_controller.realize_owed_pnl_into_balance(self.vault, account)
            free = vault_math.get_free_collateral_6(account, *self._valuation(account), self.config.im_ratio)
            if free < amount:
                raise NotEnoughFreeCollateral(f"{trader!r}: withdraw {amount} > free collateral {free}")
            vault_controller.withdraw(self.vault, account, amount)
            self.events.append(Withdrawn(self.now, SETTLEMENT_TOKEN, trader, amount))

        self._atomic([account, self.vault], action, n, markets)

    def _existing(self, trader: str) -> list[Account]:
        account = self.accounts.get(trader)
        return [account] if account is not None else []

    # --- makers -----------------------------------------------------------------------

    def _check_price_spread(self, market: MarketState) -> None:
        """CH_OMPS when |spot price - index TWAP(twapInterval)| / index > maxPriceSpreadRatio.

        Source: contracts/Exchange.sol::isOverPriceSpread, _getPriceSpreadRatio
        """
        spot = self._market_twap(market, 0)
        index = self._index_twap(market.base_token, self.config.twap_interval)
        spread = mul_div(spot - index, ONE_HUNDRED_PERCENT_RATIO, index)
        if abs(spread) > market.info.max_price_spread_ratio:
            raise OverMaxPriceSpread(
                f"{market.base_token!r}: market {spot} vs index {index} spread {spread} "
                f"> {market.info.max_price_spread_ratio}"
            )

    def add_liquidity(
        self, maker: str, market: str, base: int, quote: int, lower_tick: int, upper_tick: int
    ) -> tuple[int, int, int, int]:
        """Add `base`/`quote` (18 dec) as liquidity on [lower_tick, upper_tick) ->
        (added base, added quote, realized fee, liquidity).

        Source: contracts/ClearingHouse.sol::addLiquidity (spec 2.3)
        """
        _check_int("base", base, minimum=0)
        _check_int("quote", quote, minimum=0)
        _check_int("lower_tick", lower_tick)
        _check_int("upper_tick", upper_tick)
        state = self.market(market)
        n = len(self.accounts)
        account = self.account(maker)

        def action() -> tuple[int, int, int, int]:
            self._check_price_spread(state)
            ab_controller.register_base_token(account, market, self.config.max_markets_per_account)
            growth = self._settle_funding(account, state)
            rewards = self._roll_rewards(state)
            rewards_controller.before_order_change(rewards, account, market, lower_tick, upper_tick, state.pool.tick)
            added_base, added_quote, fee, liquidity = ob_controller.add_liquidity(
                account,
                state,
                base,
                quote,
                lower_tick,
                upper_tick,
                growth,
                self.now,
                self.config.max_orders_per_market,
            )
            rewards_controller.after_order_change(rewards, account, market, state.pool, lower_tick, upper_tick)
            self.events.append(
                LiquidityChanged(
                    self.now, maker, market, lower_tick, upper_tick, added_base, added_quote, liquidity, fee
                )
            )
            self._require_enough_free_collateral(account)
            return added_base, added_quote, fee, liquidity

        return self._atomic(self._touched(account, state), action, n)

    def _remove_and_realize(
        self, account: Account, state: MarketState, ranges: list[tuple[int, int, int]]
    ) -> tuple[int, int, int]:
        """Remove liquidity from each (lower, upper, liquidity), summing base, quote, fee and the
        taker slices, then realize the sum once (one PositionChanged) -> (base, quote, fee).

        Source: contracts/ClearingHouse.sol::removeLiquidity, _cancelExcessOrders;
        contracts/OrderBook.sol::removeLiquidity
        """
        total_base = total_quote = total_fee = taker_base = taker_quote = 0
        rewards = self._roll_rewards(state)
        name = state.base_token
        for lower, upper, liquidity in ranges:
            rewards_controller.before_order_change(rewards, account, name, lower, upper, state.pool.tick)
            base, quote, fee, t_base, t_quote = ob_controller.remove_liquidity(
                account, state, lower, upper, liquidity, self.now
            )
            rewards_controller.after_order_change(rewards, account, name, state.pool, lower, upper)
            self.events.append(
                LiquidityChanged(self.now, account.trader, state.base_token, lower, upper, -base, -quote, -liquidity, fee)
            )
            total_base += base
            total_quote += quote
            total_fee += fee
            taker_base += t_base
            taker_quote += t_quote
        pnl = ex_controller.realize_maker_position(account, state, taker_base, taker_quote, total_fee)
        if taker_base != 0:
            info = account.markets.get(state.base_token)
            self.events.append(
                PositionChanged(
                    self.now,
                    account.trader,
                    state.base_token,
                    taker_base,
                    taker_quote,
                    0,
                    info.taker_open_notional if info else 0,
                    pnl,
                    state.pool.sqrt_price_x96,
                )
            )
        return total_base, total_quote, total_fee

    def remove_liquidity(
        self, maker: str, market: str, lower_tick: int, upper_tick: int, liquidity: int
    ) -> tuple[int, int, int]:
        """Remove `liquidity` (0 collects the pending fee) from the maker's order ->
        (base, quote, fee). The removed share of the impermanent position becomes a taker
        position (realizing pnl against an opposite one). No margin check.

        Source: contracts/ClearingHouse.sol::removeLiquidity (spec 2.5)
        """
        _check_int("liquidity", liquidity, minimum=0)
        state = self.market(market)
        n = len(self.accounts)
        account = self.account(maker)

        def action() -> tuple[int, int, int]:
            if account.get_order(market, lower_tick, upper_tick) is None:
                raise NonExistentOpenOrder(f"{maker!r} has no order [{lower_tick}, {upper_tick}) in {market!r}")
            self._settle_funding(account, state)
            return self._remove_and_realize(account, state, [(lower_tick, upper_tick, liquidity)])

        return self._atomic(self._touched(account, state), action, n)

    def collect_pending_fee(self, maker: str, market: str) -> int:
        """Realize every order's pending fee in `market` (removeLiquidity of 0 on each) -> fee.

        Source: contracts/ClearingHouse.sol::removeLiquidity (with liquidity 0)
        """
        state = self.market(market)
        n = len(self.accounts)
        account = self.account(maker)

        def action() -> int:
            orders = list(account.orders.get(market, ()))
            if not orders:
                return 0
            self._settle_funding(account, state)
            return self._remove_and_realize(account, state, [(o.lower_tick, o.upper_tick, 0) for o in orders])[2]

        return self._atomic(self._touched(account, state), action, n)

    def cancel_excess_orders(self, maker: str, market: str, order_ids: Iterable[tuple[int, int]]) -> None:
        """Anyone may cancel a maker's orders (ids `(lower, upper)`) when its free collateral by
        mmRatio is negative or it is liquidatable ("CH_NEXO" otherwise); the removed positions
        are realized together. The keeper gets nothing.

        Source: contracts/ClearingHouse.sol::cancelExcessOrders (spec 2.5)
        """
        state = self.market(market)
        n = len(self.accounts)
        account = self.account(maker)
        ids = list(order_ids)

        def action() -> None:
            if not ids:
                return
            orders = []
            for order_id in ids:
                order = account.get_order(market, *order_id) if isinstance(order_id, tuple) and len(order_id) == 2 else None
                if order is None:
                    raise OrderNotBelongToMaker(f"order {order_id!r} is not {maker!r}'s in {market!r}")
                orders.append(order)
            markets, growths, marks = self._valuation(account)
            free = vault_math.get_free_collateral_by_ratio_6(account, markets, growths, marks, self.config.mm_ratio)
            if free >= 0 and not vault_math.is_liquidatable(account, markets, growths, marks, self.config.mm_ratio):
                raise NotExcessOrders(f"{maker!r}: free collateral by mmRatio {free} >= 0 and not liquidatable")
            self._settle_funding(account, state)
            self._remove_and_realize(
                account, state, [(o.lower_tick, o.upper_tick, o.liquidity) for o in orders]
            )

        self._atomic(self._touched(account, state), action, n)

    def cancel_all_excess_orders(self, maker: str, market: str) -> None:
        """cancel_excess_orders with every order of the maker in `market`.

        Source: contracts/ClearingHouse.sol::cancelAllExcessOrders
        """
        self.market(market)
        account = self.accounts.get(maker)
        ids = [o.order_id for o in account.orders.get(market, ())] if account else []
        self.cancel_excess_orders(maker, market, ids)

    # --- takers -----------------------------------------------------------------------

    def open_position(
        self,
        trader: str,
        market: str,
        is_base_to_quote: bool,
        is_exact_input: bool,
        amount: int,
        opposite_amount_bound: int = 0,
        sqrt_price_limit_x96: int = 0,
    ) -> tuple[int, int]:
        """Trade `amount` (18 dec; base if base-to-quote exact input or quote-to-base exact
        output, else quote) through the pool -> (|Δbase|, |Δquote|).

        Source: contracts/ClearingHouse.sol::openPosition (spec 2.4)
        """
        if not isinstance(is_base_to_quote, bool) or not isinstance(is_exact_input, bool):
            raise InvalidAmount("is_base_to_quote and is_exact_input must be booleans")
        _check_int("amount", amount, minimum=1)
        _check_int("opposite_amount_bound", opposite_amount_bound, minimum=0)
        _check_int("sqrt_price_limit_x96", sqrt_price_limit_x96, minimum=0)
        state = self.market(market)
        n = len(self.accounts)
        account = self.account(trader)

        undo = UndoLog()

        def action() -> tuple[int, int]:
            return self._open_position(
                account,
                state,
                is_base_to_quote,
                is_exact_input,
                amount,
                opposite_amount_bound,
                sqrt_price_limit_x96,
                undo,
            )

        touched, records = self._taker_touched((account,), state)
        return self._atomic(touched, action, n, records, undo)

    def _open_position(
        self,
        account: Account,
        state: MarketState,
        is_base_to_quote: bool,
        is_exact_input: bool,
        amount: int,
        opposite_amount_bound: int,
        sqrt_price_limit_x96: int,
        undo: UndoLog,
    ) -> tuple[int, int]:
        """The body of open_position / close_position; the collection entries it writes in the
        market go to `undo` (see `_atomic`)."""
        ab_controller.register_base_token(account, state.base_token, self.config.max_markets_per_account)
        growth = self._settle_funding(account, state)
        rewards = self._roll_rewards(state, undo)
        pool = state.pool
        sqrt_before, tick_before, liquidity_before = pool.sqrt_price_x96, pool.tick, pool.liquidity
        result = ex_controller.open_position(
            account,
            self._if_account(),
            state,
            is_base_to_quote,
            is_exact_input,
            amount,
            sqrt_price_limit_x96,
            growth,
            self.now,
            undo,
        )
        rewards_controller.record_swap(rewards, pool, sqrt_before, tick_before, liquidity_before, undo)
        self.events.append(
            PositionChanged(
                self.now,
                account.trader,
                state.base_token,
                result.swap.exchanged_position_size,
                result.swap.exchanged_position_notional,
                result.fee,
                result.open_notional,
                result.realized_pnl,
                result.swap.sqrt_price_after_x96,
            )
        )
        before, after = result.position_size_before, result.position_size_after
        if is_reducing_position(before, is_base_to_quote) and not before * after < 0:
            free = self._free_collateral_by_ratio(account, self.config.mm_ratio)
            if free < 0:
                raise NotEnoughFreeCollateralByMmRatio(
                    f"{account.trader!r}: free collateral by mmRatio would be {free} (USDC 6 dec)"
                )
        else:
            self._require_enough_free_collateral(account)
        _check_slippage(is_base_to_quote, is_exact_input, result.base, result.quote, opposite_amount_bound)
        return result.base, result.quote

    def close_position(
        self, trader: str, market: str, opposite_amount_bound: int = 0, sqrt_price_limit_x96: int = 0
    ) -> tuple[int, int]:
        """Close the taker position: a long sells |size| base (exact input), a short buys back
        |size| base (exact output) -> (|Δbase|, |Δquote|). The reference's per-block price band
        is not modelled: the limit handed to the pool is the user's, else the extreme price
        (so exact-output amounts are those the pool returned). CH_PSZ without a position.

        Source: contracts/ClearingHouse.sol::closePosition (spec 2.4)
        """
        _check_int("opposite_amount_bound", opposite_amount_bound, minimum=0)
        _check_int("sqrt_price_limit_x96", sqrt_price_limit_x96, minimum=0)
        state = self.market(market)
        n = len(self.accounts)
        account = self.account(trader)

        def action() -> tuple[int, int]:
            ab_controller.register_base_token(account, market, self.config.max_markets_per_account)
            self._settle_funding(account, state)
            size = ab_math.get_taker_position_size(account, market)
            if size == 0:
                raise PositionSizeIsZero(f"{trader!r} has no taker position in {market!r}")
            is_base_to_quote = size > 0
            limit = sqrt_price_limit_x96 or (
                tick_math.MIN_SQRT_RATIO + 1 if is_base_to_quote else tick_math.MAX_SQRT_RATIO - 1
            )
            return self._open_position(
                account, state, is_base_to_quote, is_base_to_quote, abs(size), opposite_amount_bound, limit, undo
            )

        undo = UndoLog()
        touched, records = self._taker_touched((account,), state)
        return self._atomic(touched, action, n, records, undo)

    # --- liquidation, insurance fund and rewards ----------------------------------------

    def _liquidation_context(self) -> liquidation_controller.LiquidationContext:
        return liquidation_controller.LiquidationContext(
            config=self.config,
            valuation=self._valuation,
            settle_funding=self._settle_funding,
            insurance_fund=self._if_account(),
            insurance_fund_state=self.insurance_fund_state,
        )

    def liquidate(
        self, liquidator: str, trader: str, market: str, position_size: int = 0
    ) -> liquidation_controller.LiquidationResult:
        """Take over (part of) a liquidatable trader's position in `market` at the mark price
        (stage 2; `position_size` 0 = as much as allowed, else at most that, same sign).

        CH_CLWTISO while the trader has orders (cancel them first: `cancel_all_excess_orders`
        or `liquidate_maker`), CH_EAV if not liquidatable, CH_PSZ without a position, CH_WLD on
        a wrong sign, CH_IIC beyond the insurance fund's capacity, CH_NEFCI if the liquidator
        lacks free collateral. The penalty (2.5 % of |notional|) goes half to the liquidator
        and half to the insurance fund (all to the liquidator when the trader's account value
        was negative); bad debt left is settled onto the insurance fund.

        Source: contracts/ClearingHouse.sol::liquidate (spec 2.8 stage 2, 2.9)
        """
        _check_int("position_size", position_size)
        state = self.market(market)
        n = len(self.accounts)
        trader_account = self.account(trader)
        liquidator_account = self.account(liquidator)

        def action() -> liquidation_controller.LiquidationResult:
            result = liquidation_controller.liquidate(
                self._liquidation_context(), trader_account, liquidator_account, state, position_size
            )
            sqrt_price = state.pool.sqrt_price_x96
            for account, size, notional, fee, pnl in (
                (trader_account, -result.position_size, result.position_notional, result.penalty,
                 result.trader_realized_pnl),
                (liquidator_account, result.position_size, -result.position_notional + result.to_liquidator, 0,
                 result.liquidator_realized_pnl),
            ):
                info = account.markets.get(market)
                self.events.append(
                    PositionChanged(
                        self.now, account.trader, market, size, notional, fee,
                        info.taker_open_notional if info else 0, pnl, sqrt_price,
                    )
                )
            self.events.append(
                PositionLiquidated(
                    self.now, trader, market, abs(result.position_notional), abs(result.position_size),
                    result.penalty, liquidator,
                )
            )
            if result.bad_debt:
                self.events.append(BadDebtSettled(self.now, trader, result.bad_debt))
            return result

        touched, records = self._taker_touched((trader_account, liquidator_account), state)
        return self._atomic(touched, action, n, records)

    def liquidate_maker(self, keeper: str, trader: str, max_liquidations: int = 64) -> list:
        """Keeper helper for the two-stage maker liquidation -> the LiquidationResults.

        Stage 1: `cancel_all_excess_orders` in every market where the trader has orders
        (realizing the impermanent positions into taker positions). Stage 2: while the trader
        is liquidatable, `liquidate` (keeper as liquidator) the position of largest
        |value| at the mark price, at most `max_liquidations` times. Each step is its own atomic
        instruction, as a keeper's separate transactions: a failing step raises and leaves the
        earlier ones applied.

        Source: contracts/ClearingHouse.sol::cancelAllExcessOrders, liquidate (docs "More on LPing": 2-stage liquidation)
        """
        _check_int("max_liquidations", max_liquidations, minimum=1)
        account = self.accounts.get(trader)
        if account is None:
            return []
        for market in [name for name, orders in account.orders.items() if orders]:
            self.cancel_all_excess_orders(trader, market)
        results: list[liquidation_controller.LiquidationResult] = []
        while len(results) < max_liquidations and self.is_liquidatable(trader):
            markets, _, marks = self._valuation(account)
            order = liquidation_math.liquidation_order(account, markets, marks)
            if not order:
                break
            result = self.liquidate(keeper, trader, order[0])
            results.append(result)
            if result.position_size == 0:
                break
        return results

    def get_liquidatable_position_size(self, trader: str, market: str) -> int:
        """Largest size a liquidator may take over now (18 dec, signed), given the trader's
        ClearingHouse account value. Source: contracts/AccountBalance.sol::getLiquidatablePositionSize"""
        self.market(market)
        account = self.accounts.get(trader) or Account(trader=trader)
        markets, growths, marks = self._valuation(account)
        value = vault_math.get_clearing_house_account_value(account, markets, growths, marks)
        return liquidation_math.get_liquidatable_position_size(
            account, markets, marks, market, value, self.config.mm_ratio
        )

    def settle_bad_debt(self, trader: str) -> int:
        """Move a trader's negative settlement value (no registered market left) onto the
        insurance fund -> USDC settled (6 dec). Source: contracts/Vault.sol::settleBadDebt"""
        account = self.accounts.get(trader)
        if account is None:
            return 0

        def action() -> int:
            amount = liquidation_controller.settle_bad_debt(
                account, self._if_account(), self.insurance_fund_state
            )
            if amount:
                self.events.append(BadDebtSettled(self.now, trader, amount))
            return amount

        return self._atomic([account, self._if_account(), self.insurance_fund_state], action)

    def fund_insurance_fund_wallet(self, amount: int) -> None:
        """Send `amount` USDC (6 dec) to the InsuranceFund contract's own wallet (outside the
        vault; it counts toward the fund's capacity). Source: contracts/InsuranceFund.sol (token balance)"""
        _check_int("amount", amount, minimum=1)
        self.insurance_fund_state.wallet += amount

    def repay_insurance_fund(self) -> int:
        """Deposit wallet USDC to cover a negative insurance-fund vault value -> USDC moved
        (IF_RWNN if not negative, IF_NEB with an empty wallet). Source: contracts/InsuranceFund.sol::repay"""
        insurance_fund = self._if_account()

        def action() -> int:
            amount = liquidation_controller.repay(insurance_fund, self.insurance_fund_state)
            vault_controller.deposit(self.vault, insurance_fund, amount)
            self.events.append(Deposited(self.now, SETTLEMENT_TOKEN, self.insurance_fund, amount))
            self.events.append(InsuranceFundRepaid(self.now, amount, self.insurance_fund_state.wallet))
            return amount

        return self._atomic([insurance_fund, self.vault, self.insurance_fund_state], action)

    def get_insurance_fund_capacity(self) -> int:
        """The fund's vault settlement-token value plus its wallet (USDC 6 dec, signed).

        Source: contracts/InsuranceFund.sol::getInsuranceFundCapacity
        """
        return liquidation_controller.get_insurance_fund_capacity(self._if_account(), self.insurance_fund_state)

    def get_insurance_fund_account(self) -> Account:
        """The insurance fund's account (vault balance, owed realized pnl). Read only."""
        return self._if_account()

    def set_reward_budget(self, market: str, epoch_start: int, amount: int) -> None:
        """Admin: the Pool Party budget of `market` for the weekly epoch starting `epoch_start`
        (a Monday 06:00 UTC, unix s; InvalidEpoch otherwise), in reward-token units. Once
        claims were paid from it the budget may only grow (BudgetBelowPaid).

        Source: docs "More on LPing" (Pool Party rewards, by market)
        """
        self.market(market)
        _check_int("epoch_start", epoch_start)
        _check_int("amount", amount, minimum=0)
        rewards = self._market_rewards(market)

        def action() -> None:
            rewards_controller.set_budget(self.rewards, rewards, epoch_start, amount)
            self.events.append(RewardBudgetSet(self.now, market, epoch_start, amount))

        self._atomic([self.rewards], action)

    def get_claimable_rewards(self, maker: str, market: str) -> int:
        """Rewards the maker can claim now in `market`: Σ over closed epochs of
        floor(budget·makerVolume/totalVolume) less what was paid (reward-token units).

        Source: docs "More on LPing" (Pool Party), Ballast's proportional rule
        """
        state = self.market(market)
        rewards = self._market_rewards(market)
        account = self.accounts.get(maker)
        orders = account.orders.get(market, ()) if account else ()
        pending = rewards_math.get_pending_maker_volume_x96(rewards, maker, orders, state.pool.tick)
        return rewards_math.get_claimable(rewards, maker, pending, self.now)

    def get_epoch_rewards(self, maker: str, market: str) -> rewards_math.EpochRewards:
        """The maker's standing in the running epoch of `market` (volumes so far, accrued share).

        Source: docs "More on LPing" (estimated rewards)
        """
        state = self.market(market)
        rewards = self._market_rewards(market)
        current = rewards_math.get_epoch_start(self.now)
        maker_volume = total = 0
        if rewards.epoch_start == current:
            account = self.accounts.get(maker)
            orders = account.orders.get(market, ()) if account else ()
            maker_volume = rewards.maker_volume_x96.get(maker, {}).get(current, 0)
            maker_volume += rewards_math.get_pending_maker_volume_x96(rewards, maker, orders, state.pool.tick)
            total = rewards.total_volume_x96.get(current, 0)
        return rewards_math.EpochRewards(current, rewards.budgets.get(current, 0), maker_volume, total)

    def claim_rewards(self, maker: str, market: str) -> int:
        """Pay the maker's claimable rewards of `market` into its reward balance -> amount.

        Source: docs "More on LPing" (claimable rewards), Ballast's proportional rule
        """
        state = self.market(market)
        account = self.accounts.get(maker)

        def action() -> int:
            rewards = self._roll_rewards(state)
            orders = account.orders.get(market, ()) if account else ()
            amount = rewards_controller.claim(self.rewards, rewards, maker, orders, state.pool.tick, self.now)
            if amount:
                self.events.append(RewardsClaimed(self.now, maker, market, amount))
            return amount

        return self._atomic([self.rewards], action)

    def get_reward_balance(self, maker: str) -> int:
        """The maker's claimed Pool Party rewards (reward-token units)."""
        return self.rewards.balances.get(maker, 0)

    # --- reads ------------------------------------------------------------------------

    def get_account_value(self, trader: str) -> int:
        """Account value as the ClearingHouse sees it: 18 dec, truncated to 6 decimals (floor).

        Source: contracts/ClearingHouse.sol::getAccountValue
        """
        account = self.accounts.get(trader) or Account(trader=trader)
        return vault_math.get_clearing_house_account_value(account, *self._valuation(account))

    def get_free_collateral(self, trader: str) -> int:
        """max(free collateral by imRatio, 0), USDC 6 dec. Source: contracts/Vault.sol::getFreeCollateral"""
        account = self.accounts.get(trader) or Account(trader=trader)
        return vault_math.get_free_collateral_6(account, *self._valuation(account), self.config.im_ratio)

    def get_free_collateral_by_ratio(self, trader: str, ratio: int) -> int:
        """Free collateral by `ratio` (1e6), USDC 6 dec, may be negative.

        Source: contracts/Vault.sol::getFreeCollateralByRatio
        """
        account = self.accounts.get(trader) or Account(trader=trader)
        return self._free_collateral_by_ratio(account, ratio)

    def get_margin_requirement_for_liquidation(self, trader: str) -> int:
        """floor(Σ|position value|·mmRatio/1e6), 18 dec.

        Source: contracts/AccountBalance.sol::getMarginRequirementForLiquidation
        """
        account = self.accounts.get(trader) or Account(trader=trader)
        markets, _, marks = self._valuation(account)
        return vault_math.get_margin_requirement_for_liquidation(account, markets, marks, self.config.mm_ratio)

    def is_liquidatable(self, trader: str) -> bool:
        """Account value (6-dec truncated) < margin requirement. Source: contracts/Vault.sol::isLiquidatable"""
        account = self.accounts.get(trader) or Account(trader=trader)
        return vault_math.is_liquidatable(account, *self._valuation(account), self.config.mm_ratio)

    def get_total_position_size(self, trader: str, market: str) -> int:
        """Taker + impermanent position (18 dec), 0 below 10 wei.

        Source: contracts/AccountBalance.sol::getTotalPositionSize
        """
        state = self.market(market)
        account = self.accounts.get(trader) or Account(trader=trader)
        return ab_math.get_total_position_size(account, state)

    def get_taker_position_size(self, trader: str, market: str) -> int:
        """Taker position (18 dec), 0 below 10 wei. Source: contracts/AccountBalance.sol::getTakerPositionSize"""
        self.market(market)
        account = self.accounts.get(trader) or Account(trader=trader)
        return ab_math.get_taker_position_size(account, market)

    def get_impermanent_position(self, trader: str, market: str) -> int:
        """The maker's impermanent position Σ baseInPool - Σ baseDebt (18 dec, signed).

        Source: contracts/AccountBalance.sol::getTotalPositionSize (maker part)
        """
        state = self.market(market)
        account = self.accounts.get(trader) or Account(trader=trader)
        return ab_math.get_impermanent_position(account, state)

    def get_total_open_notional(self, trader: str, market: str) -> int:
        """Σ quoteInPool + takerOpenNotional - Σ quoteDebt (18 dec).

        Source: contracts/AccountBalance.sol::getTotalOpenNotional
        """
        state = self.market(market)
        account = self.accounts.get(trader) or Account(trader=trader)
        return ab_math.get_total_open_notional(account, state)

    def get_pending_fee(self, trader: str, market: str) -> int:
        """Σ pending maker fees of the trader's orders in `market` (quote, 18 dec).

        Source: contracts/OrderBook.sol::getPendingFee (summed over orders)
        """
        state = self.market(market)
        account = self.accounts.get(trader) or Account(trader=trader)
        return ab_math.get_maker_balance_and_pending_fee(account, state, False)[1]

    def get_pending_funding_payment(self, trader: str, market: str) -> int:
        """Pending funding payment (18 dec, positive = pays) at the current time.

        Source: contracts/Exchange.sol::getPendingFundingPayment
        """
        state = self.market(market)
        account = self.accounts.get(trader) or Account(trader=trader)
        growth = self._funding_growth_and_twaps(state)[0]
        return funding_math.get_pending_funding_payment(account, state, growth)

    def get_open_order(self, trader: str, market: str, lower_tick: int, upper_tick: int):
        """The order on [lower, upper), or None. Source: contracts/OrderBook.sol::getOpenOrder"""
        account = self.accounts.get(trader)
        return account.get_order(market, lower_tick, upper_tick) if account else None

    # --- audit and digest -------------------------------------------------------------

    def audit(self) -> CurieAuditReport:
        """Check that nothing was lost (identities documented on CurieAuditReport)."""
        lines: dict[str, int] = {
            "vault_balance": -parse_settlement_token(self.vault.balance),
            "account_balances": sum(parse_settlement_token(a.balance) for a in self.accounts.values()),
            "owed_realized_pnl": sum(a.owed_realized_pnl for a in self.accounts.values()),
            "withdraw_rounding": self.vault.withdraw_rounding,
        }
        mismatches: list[str] = []
        base_difference: dict[str, int] = {}
        for name, market in self.markets.items():
            pool, ledger = market.pool, market.ledger
            taker_size = taker_notional = base_debt = quote_debt = 0
            in_pool_base = in_pool_quote = pending = 0
            for account in self.accounts.values():
                info = account.markets.get(name)
                if info is not None:
                    taker_size += info.taker_position_size
                    taker_notional += info.taker_open_notional
                for order in account.orders.get(name, ()):
                    base_debt += order.base_debt
                    quote_debt += order.quote_debt
                    b, q = ob_math.get_order_token_amounts_in_pool(order, pool.sqrt_price_x96)
                    in_pool_base += b
                    in_pool_quote += q
                    pending += ob_math.get_pending_fee_and_fee_growth_inside_x128(
                        order, market.tick_infos, pool.tick, market.fee_growth_global_x128
                    )[0]
                    if order.liquidity <= 0:
                        mismatches.append(f"{name}: {account.trader!r} holds an order with liquidity {order.liquidity}")
            outstanding = ledger.maker_fee_charged - ledger.maker_fee_realized
            market_lines = {
                "pool_quote": pool.balance1,
                "taker_open_notional": taker_notional,
                "quote_debt": -quote_debt,
                "dust_quote": ledger.dust_quote,
                "maker_fee_outstanding": outstanding,
                "funding_paid": ledger.funding_paid,
                "pool_fee_quote": -ledger.pool_fee_quote,
                "exact_output_residue_quote": -ledger.exact_output_residue_quote,
            }
            for key, value in market_lines.items():
                lines[f"{name}.{key}"] = value
            base_difference[name] = (
                pool.balance0 + taker_size - base_debt + ledger.dust_base
                - ledger.pool_fee_base - ledger.exact_output_residue_base
            )
            if pool.balance0 < in_pool_base or pool.balance1 < in_pool_quote:
                mismatches.append(
                    f"{name}: pool balances ({pool.balance0}, {pool.balance1}) below the orders' "
                    f"holdings ({in_pool_base}, {in_pool_quote})"
                )
            if pending > outstanding:
                mismatches.append(f"{name}: pending maker fees {pending} exceed unrealized fees charged {outstanding}")
        if self.vault.balance != self.vault.total_deposited - self.vault.total_withdrawn:
            mismatches.append(
                f"vault balance {self.vault.balance} != deposits {self.vault.total_deposited} "
                f"- withdrawals {self.vault.total_withdrawn}"
            )
        mismatches.extend(self._audit_rewards())
        fund, fund_state = self._if_account(), self.insurance_fund_state
        if fund_state.wallet < 0:
            mismatches.append(f"insurance fund wallet {fund_state.wallet} < 0")
        insurance_fund = {
            "balance_6": fund.balance,
            "owed_realized_pnl": fund.owed_realized_pnl,
            "wallet_6": fund_state.wallet,
            "capacity_6": self.get_insurance_fund_capacity(),
            "penalty_received": fund_state.penalty_received,
            "bad_debt_settled_6": fund_state.bad_debt_settled,
            "repaid_6": fund_state.repaid,
        }
        return CurieAuditReport(sum(lines.values()), base_difference, lines, tuple(mismatches), insurance_fund)

    def _audit_rewards(self) -> list[str]:
        """Pool Party identities (see CurieAuditReport)."""
        mismatches: list[str] = []
        total_budget = total_paid = 0
        for name, rewards in self.rewards.markets.items():
            state = self.markets.get(name)
            tick = state.pool.tick if state is not None else 0
            makers: dict[str, dict[int, int]] = {m: dict(v) for m, v in rewards.maker_volume_x96.items()}
            for account in self.accounts.values():
                orders = account.orders.get(name, ())
                pending = rewards_math.get_pending_maker_volume_x96(rewards, account.trader, orders, tick)
                if pending:
                    by_epoch = makers.setdefault(account.trader, {})
                    by_epoch[rewards.epoch_start] = by_epoch.get(rewards.epoch_start, 0) + pending
            epochs = set(rewards.total_volume_x96) | set(rewards.budgets) | set(rewards.paid)
            for by_epoch in makers.values():
                epochs |= set(by_epoch)
            for epoch in sorted(epochs):
                volume = sum(by_epoch.get(epoch, 0) for by_epoch in makers.values())
                total = rewards.total_volume_x96.get(epoch, 0)
                if volume != total:
                    mismatches.append(f"{name} epoch {epoch}: makers' volume {volume} != total {total}")
                budget = rewards.budgets.get(epoch, 0)
                paid = rewards.paid.get(epoch, 0)
                makers_paid = sum(p.get(epoch, 0) for p in rewards.maker_paid.values())
                if paid != makers_paid:
                    mismatches.append(f"{name} epoch {epoch}: paid {paid} != makers' paid {makers_paid}")
                owed = sum(
                    rewards_math.calc_reward_share(budget, by_epoch.get(epoch, 0), total)
                    - rewards.maker_paid.get(maker, {}).get(epoch, 0)
                    for maker, by_epoch in makers.items()
                )
                if budget < paid + owed:
                    mismatches.append(f"{name} epoch {epoch}: budget {budget} < paid {paid} + claimable {owed}")
                total_budget += budget
                total_paid += paid
        if total_budget != self.rewards.total_budget:
            mismatches.append(f"reward budgets {total_budget} != recorded total {self.rewards.total_budget}")
        balances = sum(self.rewards.balances.values())
        if not total_paid == self.rewards.total_paid == balances:
            mismatches.append(
                f"rewards paid {total_paid} / recorded {self.rewards.total_paid} / balances {balances} differ"
            )
        return mismatches

    def state_digest(self) -> str:
        """SHA-256 of every account, market, price input, the vault and the clock."""
        payload = repr(
            (
                self.now,
                self.config,
                sorted(self.markets.items()),
                sorted(self.accounts.items()),
                self.vault,
                sorted(self.index_prices.items()),
                sorted(self.mark_prices.items()),
                self.insurance_fund_state,
                self.rewards,
            )
        )
        return hashlib.sha256(payload.encode()).hexdigest()


def _check_slippage(
    is_base_to_quote: bool, is_exact_input: bool, base: int, quote: int, opposite_amount_bound: int
) -> None:
    """Slippage bound (0 disables): B2Q in quote >= bound; B2Q out base <= bound; Q2B in base
    >= bound; Q2B out quote <= bound.

    Source: contracts/ClearingHouse.sol::_checkSlippage
    """
    if opposite_amount_bound == 0:
        return
    if is_base_to_quote:
        if is_exact_input and quote < opposite_amount_bound:
            raise TooLittleReceivedShort(f"received quote {quote} < bound {opposite_amount_bound}")
        if not is_exact_input and base > opposite_amount_bound:
            raise TooMuchRequestedShort(f"spent base {base} > bound {opposite_amount_bound}")
    else:
        if is_exact_input and base < opposite_amount_bound:
            raise TooLittleReceivedLong(f"received base {base} < bound {opposite_amount_bound}")
        if not is_exact_input and quote > opposite_amount_bound:
            raise TooMuchRequestedLong(f"spent quote {quote} > bound {opposite_amount_bound}")

