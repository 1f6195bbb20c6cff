"""The service's read side: pure functions over a `World` that return JSON-able data for the
HTTP API, the pages and the live stream. None of them changes the world (its `digest()` is the
same before and after): hypothetical instructions run on deep copies of the accounts they touch.

Units — integers in the engines' precisions, as the commands take them:

* Drift: quote amounts 1e6 (USDC), base 1e9, prices 1e6, BAL shares 1e9 (one share = 1e9),
  funding rates 1e9, margin ratios 1e4 (MARGIN_PRECISION), insurance factors and APRs 1e6
  (PERCENTAGE_PRECISION = 100%), timestamps unix seconds.
* Curie amounts are given in the same API units: the engine's 18-decimal virtual tokens become
  base 1e9 and quote 1e6 (truncated toward zero, as `CurieVenue` does), USDC is 6 decimals,
  prices 1e6, ratios 1e6; Uniswap liquidity and X96 sqrt prices (past 2**53) are decimal
  strings.
* Floats only where no money is: percentages (names ending `_pct`) and a leverage cap
  (`max_leverage`, times, the `drift.settings` command's unit).

Errors: an unknown market, user or subaccount raises KeyError (naming it); a bad argument or a
combination the engine cannot evaluate raises ValueError.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from ballast.curie.math import account_balance as curie_balance
from ballast.curie.univ3 import tick_math
from ballast.drift import insurance_views
from ballast.drift.bal import (
    SEVEN_DAYS,
    THIRTY_DAYS,
    get_perp_position_with_lp_settle,
    lp_margin_for_shares,
    lp_shares_for_leverage,
    lp_shares_for_margin,
)
from ballast.drift.constants import (
    AMM_TIMES_PEG_TO_QUOTE_PRECISION_RATIO,
    GOV_SPOT_MARKET_INDEX,
    MARGIN_PRECISION,
    MAX_APR_PER_REVENUE_SETTLE_TO_INSURANCE_FUND_VAULT,
    MAX_APR_PER_REVENUE_SETTLE_TO_INSURANCE_FUND_VAULT_GOV,
    ONE_YEAR,
    PERCENTAGE_PRECISION,
    PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO,
    QUOTE_SPOT_MARKET_INDEX,
)
from ballast.drift.controller.funding import settle_funding_payment
from ballast.drift.controller.insurance import settle_revenue_to_insurance_fund
from ballast.drift.controller.lp import burn_lp_shares, settle_lp_position
from ballast.drift.errors import DriftError, InvalidAmount
from ballast.drift.exchange import Exchange
from ballast.drift.math.funding import calculate_funding_payment
from ballast.drift.math.helpers import on_the_hour_update
from ballast.drift.math.insurance import (
    calculate_if_unstake_amount,
    calculate_insurance_fund_apr,
    calculate_rebased_if_shares,
)
from ballast.drift.math.lp import calculate_lp_open_bids_asks, get_lp_fee_slice
from ballast.drift.math.orders import standardize_base_asset_amount
from ballast.drift.math.pnl import get_unrealized_pnl
from ballast.drift.math.position import calculate_break_even_price, calculate_entry_price
from ballast.drift.math.spot_balance import get_token_amount
from ballast.drift.state.margin_calculation import MarginRequirementType
from ballast.drift.state.perp_market import PerpMarket
from ballast.drift.state.spot_market import SpotBalanceType
from ballast.drift.state.user import OrderStatus, PerpPosition, PositionDirection, User
from ballast.fixed import MathError, div_ceil, div_floor, div_trunc
from ballast.service.world import World, authority_of
from ballast.sim.venues.curie import BASE_TO_18, QUOTE_TO_18, price_from_sqrt

__all__ = [
    "LOW_LIQUIDITY_BAL_SHARE_BPS",
    "bal_total_liquidity_quote",
    "markets_view",
    "market_view",
    "bal_performance_series",
    "account_view",
    "bal_add_preview",
    "bal_remove_preview",
    "insurance_view",
    "events_view",
    "event_matches",
    "pool_liquidity_view",
    "account_performance",
]

# A market is "low liquidity" when its BAL shares are less than this part of the AMM's sqrt_k
# (1e4 = 100%): a new provider would then be a large share of the BAL there.
LOW_LIQUIDITY_BAL_SHARE_BPS = 1_000

# Drift records whose `market_index` is no perp market (the events filter skips them): a spot
# market's, or 0 in the spot liquidation records (LiquidationRecord's liquidation_type)
_SPOT_INDEXED_RECORDS = frozenset({"DepositRecord", "InsuranceFundStakeRecord", "SpotInterestRecord"})
_SPOT_LIQUIDATIONS = frozenset({"LiquidateSpot", "SpotBankruptcy"})
_ENGINE_ERRORS = (DriftError, MathError)


# --- lookups ------------------------------------------------------------------------------------


def _market_index(world: World, market: str) -> int:
    index = world.drift.markets.get(market)
    if index is None:
        raise KeyError(f"no market {market!r}; the markets are {world.markets}")
    return index


def _authority(world: World, username: str) -> str:
    """The user's engine authority; KeyError when they never opened an account."""
    authority = authority_of(username)
    if authority not in world.drift.exchange.user_stats:
        raise KeyError(f"user {username!r} has no account; open one first (account.open)")
    return authority


def _subaccount(world: World, username: str, sub_account_id: int) -> tuple[str, User]:
    authority = _authority(world, username)
    user = world.drift.exchange.users.get(f"{authority}/{sub_account_id}")
    if user is None:
        raise KeyError(f"user {username!r} has no subaccount {sub_account_id!r}")
    return authority, user


def _positive_int(name: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _replica(exchange: Exchange, user: User, market: PerpMarket) -> tuple[Exchange, User, PerpMarket]:
    """A what-if exchange: a shallow copy of `exchange` whose subaccount `user` and perp
    `market` are deep copies (the only accounts `add_perp_lp_shares` touches: it runs
    `_atomic((user, market), ...)`), with its own event list. Reading it, or running that
    instruction on it, leaves the world's exchange as it was."""
    user_copy = copy.deepcopy(user)
    market_copy = copy.deepcopy(market)
    replica = copy.copy(exchange)
    replica.users = {**exchange.users, user.key: user_copy}
    replica.perp_markets = {**exchange.perp_markets, market.market_index: market_copy}
    replica.events = []
    return replica, user_copy, market_copy


def _leverage(margin_ratio: int) -> float | None:
    """The leverage cap (times) a margin ratio (1e4 = 100%) implies; None for no ratio."""
    return MARGIN_PRECISION / margin_ratio if margin_ratio else None


# --- markets ------------------------------------------------------------------------------------


def bal_total_liquidity_quote(market: PerpMarket, oracle_price: int) -> int:
    """Quote (1e6) of the liquidity all BAL shares represent: the shares' slice
    `user_lp_shares / sqrt_k` of both AMM reserves valued at the oracle (1e6),
    `floor((floor(base_asset_reserve * oracle * S / 1e9) + floor(quote_asset_reserve * peg * S
    / 1e9)) / sqrt_k)` with S = user_lp_shares: the BAL sample's per-share value
    (`share_value_quote`) with S shares in place of one share (rounded once, not S / 1e9 times).

    Source: ballast.drift.bal._share_value (the BAL performance index's share value)
    """
    amm = market.amm
    shares = amm.user_lp_shares
    if shares == 0:
        return 0
    price = max(oracle_price, 0)
    base_side = div_floor(amm.base_asset_reserve * price * shares, PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO)
    quote_side = div_floor(
        amm.quote_asset_reserve * amm.peg_multiplier * shares, AMM_TIMES_PEG_TO_QUOTE_PRECISION_RATIO
    )
    return div_floor(base_side + quote_side, amm.sqrt_k)


def _performance(world: World, index: int, window_seconds: int) -> dict[str, Any] | None:
    try:
        return world.drift.bal.lp_performance(index, window_seconds)
    except InvalidAmount:  # no samples yet
        return None


def _curie_pool(world: World, market: str) -> dict[str, Any] | None:
    venue = world.curie
    if venue is None or market not in venue.markets:
        return None
    state = venue.house.markets[venue.markets[market]]
    pool = state.pool
    return {
        "price": price_from_sqrt(pool.sqrt_price_x96),
        "sqrt_price_x96": str(pool.sqrt_price_x96),
        "tick": pool.tick,
        "tick_spacing": pool.tick_spacing,
        "liquidity": str(pool.liquidity),
        "exchange_fee_ratio": state.info.exchange_fee_ratio,
        "uniswap_fee_ratio": state.info.uniswap_fee_ratio,
        "insurance_fund_fee_ratio": state.info.insurance_fund_fee_ratio,
    }


def _market(world: World, name: str, index: int) -> dict[str, Any]:
    exchange = world.drift.exchange
    market = exchange.perp_markets[index]
    amm = market.amm
    oracle = world.drift.oracle(name)
    mark, bid, ask = world.drift.quotes(name)
    shares = amm.user_lp_shares
    return {
        "name": name,
        "market_index": index,
        "status": market.status.name,
        "oracle_price": oracle,
        "mark_price": mark,
        "bid_price": bid,
        "ask_price": ask,
        "last_funding_rate": amm.last_funding_rate,
        "last_funding_rate_ts": amm.last_funding_rate_ts,
        "funding_period": amm.funding_period,
        "base_asset_amount_long": amm.base_asset_amount_long,
        "base_asset_amount_short": amm.base_asset_amount_short,
        "base_asset_amount_with_amm": amm.base_asset_amount_with_amm,
        "order_step_size": amm.order_step_size,
        "margin_ratio_initial": market.margin_ratio_initial,
        "margin_ratio_maintenance": market.margin_ratio_maintenance,
        "bal": {
            "total_shares": shares,
            "total_liquidity_quote": bal_total_liquidity_quote(market, oracle),
            "share_of_amm_pct": 100.0 * shares / amm.sqrt_k if amm.sqrt_k else 0.0,
            "lp_fee_slice": list(get_lp_fee_slice(amm)),
            "perf_7d": _performance(world, index, SEVEN_DAYS),
            "perf_30d": _performance(world, index, THIRTY_DAYS),
        },
        "low_liquidity": shares * 10_000 < amm.sqrt_k * LOW_LIQUIDITY_BAL_SHARE_BPS,
        "pools": insurance_views.pools(exchange, index),
        "curie": _curie_pool(world, name),
    }


def markets_view(world: World) -> list[dict[str, Any]]:
    """Every market, in `world.markets` order (see `market_view`)."""
    return [_market(world, name, _market_index(world, name)) for name in world.markets]


def market_view(world: World, market: str) -> dict[str, Any]:
    """One market: its Drift AMM (oracle, reserve (mark) price, bid/ask, last funding rate (1e9)
    and period (s), open interest long/short (base 1e9)), its BAL and money, and its Curie pool.

    * `bal.total_liquidity_quote`: see `bal_total_liquidity_quote` (the shares' slice of the
      reserves at the oracle); `bal.share_of_amm_pct`: 100 x user_lp_shares / sqrt_k;
      `bal.lp_fee_slice`: [numerator, denominator] of the taker fees the BAL receives
      (`get_lp_fee_slice`); `bal.perf_7d` / `bal.perf_30d`: `BalPerformance.lp_performance` over 7 / 30 days (None
      before the first sample).
    * `low_liquidity`: the BAL shares are under LOW_LIQUIDITY_BAL_SHARE_BPS (10%) of the AMM's
      sqrt_k (`user_lp_shares * 1e4 < sqrt_k * 1_000`), so a provider adding there may become a
      large share of the market's BAL (the BAL page's warning).
    * `pools`: `ballast.drift.insurance_views.pools` (pnl pool, fee pool, the insurance claim,
      the quote revenue pool and insurance fund vault; quote 1e6).
    * `curie`: the Curie pool (price 1e6, tick, tick_spacing, liquidity and sqrt price as
      strings, fee ratios 1e6) or None without a Curie venue for the market.

    Raises KeyError for an unknown market.
    """
    return _market(world, market, _market_index(world, market))


def bal_performance_series(world: World, market: str, window_seconds: int) -> list[dict[str, Any]]:
    """The market's BAL share-index samples over the window, oldest first: from the latest
    sample at or before `latest.ts - window_seconds` (the first sample when the history is
    shorter), as `BalPerformance.lp_performance` starts its window. Each: ts, index_quote,
    share_value_quote, fees_and_inventory_quote, funding_quote (quote 1e6 per share). Empty
    before the first sample. KeyError for an unknown market, ValueError for a negative window."""
    index = _market_index(world, market)
    if not isinstance(window_seconds, int) or isinstance(window_seconds, bool) or window_seconds < 0:
        raise ValueError(f"window_seconds must be a non-negative integer, got {window_seconds!r}")
    samples = world.drift.bal.samples(index)
    if not samples:
        return []
    cutoff = samples[-1].ts - window_seconds
    first = 0
    for position in range(len(samples) - 1, -1, -1):
        if samples[position].ts <= cutoff:
            first = position
            break
    return [
        {
            "ts": sample.ts,
            "index_quote": sample.index_quote,
            "share_value_quote": sample.share_value_quote,
            "fees_and_inventory_quote": sample.fees_and_inventory_quote,
            "funding_quote": sample.funding_quote,
        }
        for sample in samples[first:]
    ]


# --- accounts -----------------------------------------------------------------------------------


def _unsettled_funding(market: PerpMarket, position: PerpPosition) -> int:
    """Funding (quote 1e6) due to (+) or by (-) the stored position since it last settled."""
    if position.base_asset_amount == 0:
        return 0
    amm = market.amm
    rate = amm.cumulative_funding_rate_long if position.base_asset_amount > 0 else amm.cumulative_funding_rate_short
    return calculate_funding_payment(rate, position)


def _price_or_none(position: PerpPosition, price_of: Any) -> int | None:
    return price_of(position) if position.base_asset_amount + position.remainder_base_asset_amount else None


def _drift_position(world: World, user: User, position: PerpPosition) -> dict[str, Any]:
    exchange = world.drift.exchange
    index = position.market_index
    market = exchange.perp_markets[index]
    oracle = exchange.oracle_map.get_perp(index).price
    settled = get_perp_position_with_lp_settle(exchange, user.authority, user.sub_account_id, index)
    bal = None
    if position.lp_shares:
        bal = {
            "lp_shares": position.lp_shares,
            "base_asset_amount": settled.base_asset_amount,
            "quote_asset_amount": settled.quote_asset_amount,
            "remainder_base_asset_amount": settled.remainder_base_asset_amount,
            "open_bids": settled.open_bids,
            "open_asks": settled.open_asks,
        }
    return {
        "market": world.drift.market_names[index],
        "market_index": index,
        "base_asset_amount": position.base_asset_amount,
        "quote_asset_amount": position.quote_asset_amount,
        "quote_entry_amount": position.quote_entry_amount,
        "lp_shares": position.lp_shares,
        "open_orders": position.open_orders,
        "open_bids": position.open_bids,
        "open_asks": position.open_asks,
        "bal": bal,
        "unsettled_pnl": get_unrealized_pnl(settled, oracle),
        "unsettled_funding": _unsettled_funding(market, position),
        "entry_price": _price_or_none(settled, calculate_entry_price),
        "break_even_price": _price_or_none(settled, calculate_break_even_price),
    }


def _drift_orders(world: World, user: User) -> list[dict[str, Any]]:
    return [
        {
            "order_id": order.order_id,
            "market": world.drift.market_names.get(order.market_index, str(order.market_index)),
            "side": "long" if order.direction is PositionDirection.Long else "short",
            "base": order.base_asset_amount,
            "filled": order.base_asset_amount_filled,
            "price": order.price,
            "type": order.order_type.name.lower(),
            "reduce_only": order.reduce_only,
        }
        for order in user.orders
        if order.status is OrderStatus.Open
    ]


def _drift_subaccount(world: World, user: User) -> dict[str, Any]:
    exchange = world.drift.exchange
    initial = exchange.margin_calculation(user, MarginRequirementType.Initial)
    maintenance = exchange.margin_calculation(user, MarginRequirementType.Maintenance)
    equity = exchange.user_equity(user.authority, user.sub_account_id)
    net_deposits = user.total_deposits - user.total_withdraws
    return {
        "sub_account_id": user.sub_account_id,
        "name": user.name,
        "deposits": exchange.token_amount(user.authority, user.sub_account_id, QUOTE_SPOT_MARKET_INDEX),
        "total_collateral": initial.total_collateral,
        "free_collateral": initial.get_free_collateral(),
        "initial_margin_requirement": initial.margin_requirement,
        "maintenance_margin_requirement": maintenance.margin_requirement,
        "custom_margin_ratio": user.max_margin_ratio,
        "max_leverage": _leverage(user.max_margin_ratio),
        "derisk_opt_out": user.is_advanced_lp(),
        "being_liquidated": user.is_being_liquidated(),
        "equity": equity,
        "total_deposits": user.total_deposits,
        "total_withdraws": user.total_withdraws,
        "net_deposits": net_deposits,
        "pnl_since_entry": equity - net_deposits,
        "positions": [_drift_position(world, user, p) for p in user.perp_positions if not p.is_available()],
        "orders": _drift_orders(world, user),
    }


def _insurance_stake(world: World, authority: str) -> dict[str, Any] | None:
    exchange = world.drift.exchange
    stake = exchange.insurance_fund_stakes.get(f"{authority}/{QUOTE_SPOT_MARKET_INDEX}")
    if stake is None:
        return None
    spot_market = exchange.spot_markets[QUOTE_SPOT_MARKET_INDEX]
    if_shares, request_shares = calculate_rebased_if_shares(stake, spot_market)
    available_ts = exchange.insurance_fund_unstake_available_ts(authority, QUOTE_SPOT_MARKET_INDEX)
    return {
        "if_shares": if_shares,
        "value": exchange.insurance_fund_stake_value(authority, QUOTE_SPOT_MARKET_INDEX),
        "cost_basis": stake.cost_basis,
        "requested_shares": request_shares,
        "requested_amount": stake.last_withdraw_request_value,
        "unstake_amount_now": calculate_if_unstake_amount(
            stake, spot_market, spot_market.insurance_fund.vault_amount
        ),
        "requested_ts": stake.last_withdraw_request_ts if request_shares else None,
        "available_ts": available_ts,
        "cooldown_seconds_left": None if available_ts is None else max(0, available_ts - world.ts),
    }


def _to_base(amount_18: int) -> int:
    return div_trunc(amount_18, BASE_TO_18)


def _to_quote(amount_18: int) -> int:
    return div_trunc(amount_18, QUOTE_TO_18)


def _tick_price(tick: int) -> int:
    return price_from_sqrt(tick_math.get_sqrt_ratio_at_tick(tick))


def _curie_rewards(world: World, trader: str, market: str) -> dict[str, int]:
    """Pool Party rewards of the maker in `market`; zeros when the market has no reward records
    (the engine's reward getters would create them)."""
    house = world.curie.house
    if market not in house.rewards.markets:
        return {"claimable": 0, "epoch_start": 0, "epoch_budget": 0, "epoch_accrued": 0}
    epoch = house.get_epoch_rewards(trader, market)
    return {
        "claimable": house.get_claimable_rewards(trader, market),
        "epoch_start": epoch.epoch_start,
        "epoch_budget": epoch.budget,
        "epoch_accrued": epoch.accrued,
    }


def _curie_account(world: World, authority: str) -> dict[str, Any] | None:
    venue = world.curie
    if venue is None:
        return None
    house = venue.house
    account = house.accounts.get(authority)
    if account is None:
        return None
    marks = {name: house.get_mark_price(name) for name in account.markets}
    abs_value_18 = curie_balance.get_total_abs_position_value(account, house.markets, marks)
    account_value_18 = house.get_account_value(authority)
    positions = []
    for name in venue.markets:
        base_token = venue.markets[name]
        orders = account.orders.get(base_token, [])
        if base_token not in account.markets and not orders:
            continue
        positions.append({
            "market": name,
            "taker_position": _to_base(house.get_taker_position_size(authority, base_token)),
            "impermanent_position": _to_base(house.get_impermanent_position(authority, base_token)),
            "total_position": _to_base(house.get_total_position_size(authority, base_token)),
            "open_notional": _to_quote(house.get_total_open_notional(authority, base_token)),
            "pending_fee": _to_quote(house.get_pending_fee(authority, base_token)),
            "pending_funding": _to_quote(house.get_pending_funding_payment(authority, base_token)),
            "ranges": [
                {
                    "lower_tick": order.lower_tick,
                    "upper_tick": order.upper_tick,
                    "lower_price": _tick_price(order.lower_tick),
                    "upper_price": _tick_price(order.upper_tick),
                    "liquidity": str(order.liquidity),
                }
                for order in orders
            ],
            "rewards": _curie_rewards(world, authority, base_token),
        })
    return {
        "collateral": account.balance,
        "owed_realized_pnl": _to_quote(account.owed_realized_pnl),
        "account_value": _to_quote(account_value_18),
        "free_collateral": house.get_free_collateral(authority),
        "im_ratio": house.config.im_ratio,
        "mm_ratio": house.config.mm_ratio,
        "margin_requirement": div_ceil(house.get_margin_requirement_for_liquidation(authority), QUOTE_TO_18),
        "margin_ratio_pct": 100.0 * account_value_18 / abs_value_18 if abs_value_18 else None,
        "liquidatable": house.is_liquidatable(authority),
        "positions": positions,
    }


def account_view(world: World, username: str) -> dict[str, Any]:
    """A user's accounts on every venue.

    * `drift`: each subaccount (in id order): USDC `deposits` (token amount, negative for a
      borrow), `total_collateral`, `free_collateral` (initial), the `initial_` and
      `maintenance_margin_requirement`, `custom_margin_ratio` (1e4) and the `max_leverage`
      (times, float) it implies (None without one), `derisk_opt_out` (the advanced-LP flag),
      `equity` (`Exchange.user_equity`), `total_deposits` / `total_withdraws` (the User's own
      counters, token amounts), `net_deposits` = deposits - withdrawals and
      `pnl_since_entry = equity - net_deposits`; its `positions` (stored base/quote, lp_shares,
      open orders and bids/asks; `bal`: the `get_perp_position_with_lp_settle` view (base,
      quote less the removal dust fee, bids/asks with the LP slice) for a BAL position;
      `unsettled_pnl` at the oracle of that settled view; `unsettled_funding` due on the
      stored position (+ received); `entry_price` / `break_even_price` (1e6, None when flat))
      and its open `orders`.
    * `insurance`: the user's stake in the USDC insurance fund (shares in the fund's current
      base, `value` now, the pending request's shares and locked amount, what unstaking would
      pay now, `available_ts`, `cooldown_seconds_left` against the world clock) or None.
    * `curie`: None without a Curie venue or a Curie account; else `collateral` (USDC 6 dec),
      `account_value`, `free_collateral` (by imRatio), `margin_requirement` (by mmRatio, the
      liquidation threshold, rounded up so `liquidatable` iff account_value < it),
      `margin_ratio_pct` (account value / total |position value|; None when flat),
      `liquidatable` and per market the taker / impermanent / total positions (base 1e9), open
      notional, pending maker fee and pending funding (quote 1e6; funding + = pays), the ranges
      and Pool Party rewards.

    Raises KeyError when the user has no Drift account (`account.open` not run).
    """
    authority = _authority(world, username)
    exchange = world.drift.exchange
    stats = exchange.user_stats[authority]
    subaccounts = []
    for sub in range(stats.number_of_sub_accounts_created):
        user = exchange.users.get(f"{authority}/{sub}")
        if user is not None:
            subaccounts.append(_drift_subaccount(world, user))
    return {
        "username": username,
        "authority": authority,
        "drift": subaccounts,
        "insurance": _insurance_stake(world, authority),
        "curie": _curie_account(world, authority),
    }


# --- BAL previews -------------------------------------------------------------------------------


def _has_other_exposure(user: User, market_index: int) -> bool:
    """Whether the subaccount holds anything besides BAL in `market_index`: open orders, or a
    position in another market, or base in this one without LP shares (a trading position)."""
    if any(order.status is OrderStatus.Open for order in user.orders):
        return True
    for position in user.perp_positions:
        if position.is_available():
            continue
        if position.market_index != market_index:
            return True
        if position.lp_shares == 0 and position.base_asset_amount != 0:
            return True
    return False


def _shares_to_add(
    world: World, authority: str, sub_account_id: int, index: int,
    amount: int | None, leverage_pct: int | None, shares: int | None,
) -> tuple[str, int]:
    """(the size given, the shares drift.bal.add would mint for it: the same conversions)."""
    given = [name for name, value in (("amount", amount), ("leverage_pct", leverage_pct), ("shares", shares))
             if value is not None]
    if len(given) != 1:
        raise ValueError(f"give exactly one of amount, leverage_pct, shares (got {given or 'none'})")
    exchange = world.drift.exchange
    if amount is not None:
        return "amount", lp_shares_for_margin(exchange, index, _positive_int("amount", amount))
    if leverage_pct is not None:
        if _positive_int("leverage_pct", leverage_pct) > 100:
            raise ValueError(f"leverage_pct must be at most 100, got {leverage_pct}")
        return "leverage_pct", lp_shares_for_leverage(exchange, authority, sub_account_id, index, leverage_pct)
    step = exchange.perp_markets[index].amm.order_step_size
    return "shares", standardize_base_asset_amount(_positive_int("shares", shares), step)


def bal_add_preview(
    world: World,
    username: str,
    sub_account_id: int,
    market: str,
    *,
    amount: int | None = None,
    leverage_pct: int | None = None,
    shares: int | None = None,
) -> dict[str, Any]:
    """What `drift.bal.add` with exactly one of `amount` (margin, quote 1e6), `leverage_pct`
    (1..100 % of the free collateral) or `shares` (1e9, floored to the order step) would do.

    * `shares`: what the command mints (`lp_shares_for_margin` / `lp_shares_for_leverage` /
      the step floor, as the command and the instruction size it); `margin_required`:
      `lp_margin_for_shares` (the initial margin they need in a subaccount holding nothing else).
    * `accepted` / `refusal`: the instruction `add_perp_lp_shares` replayed on deep copies of the
      subaccount and market (`_replica`); a refusal is {error, message} (the engine's error, or
      BelowOneStep when the size gives no shares).
    * `position_after` (None when refused): the position as `get_perp_position_with_lp_settle`
      shows it after the mint (base, quote, lp_shares, open_bids/open_asks including the LP
      slice); `lp_open_bids` / `lp_open_asks`: the new shares' whole slice of the AMM depth
      (`calculate_lp_open_bids_asks`); `free_collateral_after` (strict initial, as the
      instruction checks).
    * `free_collateral` now (strict initial), the subaccount's `custom_margin_ratio` and
      `max_leverage` (None without a cap) and the market's `market_max_leverage` (times).
    * `separate_subaccount_suggested`: the subaccount holds other positions or open orders
      (anything besides BAL in this market), so a separate subaccount keeps the BAL's margin
      and liquidation apart.

    KeyError for an unknown user, subaccount or market; ValueError unless exactly one size is
    given as a positive integer (leverage_pct at most 100).
    """
    index = _market_index(world, market)
    authority, user = _subaccount(world, username, sub_account_id)
    exchange = world.drift.exchange
    perp_market = exchange.perp_markets[index]
    try:
        size_kind, n_shares = _shares_to_add(world, authority, sub_account_id, index, amount, leverage_pct, shares)
        margin_required = lp_margin_for_shares(exchange, index, n_shares)
    except _ENGINE_ERRORS as error:
        raise ValueError(f"{type(error).__name__}: {error}") from None
    free_now = exchange.margin_calculation(user, MarginRequirementType.Initial, strict=True).get_free_collateral()
    refusal: dict[str, str] | None = None
    position_after = None
    lp_bids = lp_asks = 0
    free_after = None
    if n_shares == 0:
        step = perp_market.amm.order_step_size
        refusal = {"error": "BelowOneStep", "message": f"the {size_kind} given does not cover one share step "
                                                       f"({step} share units)"}
    else:
        replica, user_copy, market_copy = _replica(exchange, user, perp_market)
        try:
            replica.add_perp_lp_shares(authority, sub_account_id, index, n_shares)
        except _ENGINE_ERRORS as error:
            refusal = {"error": type(error).__name__, "message": str(error)}
        else:
            after = get_perp_position_with_lp_settle(replica, authority, sub_account_id, index)
            position_after = {
                "base_asset_amount": after.base_asset_amount,
                "quote_asset_amount": after.quote_asset_amount,
                "lp_shares": after.lp_shares,
                "open_bids": after.open_bids,
                "open_asks": after.open_asks,
            }
            slice_of = PerpPosition(market_index=index, lp_shares=n_shares)
            lp_bids, lp_asks = calculate_lp_open_bids_asks(slice_of, market_copy)
            free_after = replica.margin_calculation(
                user_copy, MarginRequirementType.Initial, strict=True
            ).get_free_collateral()
    return {
        "market": market,
        "sub_account_id": sub_account_id,
        "size": size_kind,
        "shares": n_shares,
        "margin_required": margin_required,
        "accepted": refusal is None,
        "refusal": refusal,
        "position_after": position_after,
        "lp_open_bids": lp_bids,
        "lp_open_asks": lp_asks,
        "free_collateral": free_now,
        "free_collateral_after": free_after,
        "custom_margin_ratio": user.max_margin_ratio,
        "max_leverage": _leverage(user.max_margin_ratio),
        "market_max_leverage": _leverage(perp_market.margin_ratio_initial),
        "separate_subaccount_suggested": _has_other_exposure(user, index),
    }


def bal_remove_preview(
    world: World, username: str, sub_account_id: int, market: str, shares: int | None = None
) -> dict[str, Any]:
    """What `drift.bal.remove` of `shares` (1e9; None = all) would do, replayed on deep copies
    of the subaccount and market with the instruction's controllers: funding settled
    (`settle_funding_payment`), the LP position settled (`settle_lp_position`, the first step of
    the burn, done apart so its amounts show), then `burn_lp_shares` at the oracle.

    * `shares`: burned — the whole balance as given, else floored to the order step, as
      `remove_perp_lp_shares` does;
    * `settle_base` / `settle_quote` / `settle_pnl`: the LP settlement's delta (base 1e9,
      quote 1e6) and realised pnl;
    * `residual_base`: the sub-step remainder (base 1e9, signed) handed to the AMM — the change
      of the AMM's `base_asset_amount_with_amm` in the burn; `dust_fee`: what the burn charges
      for it (quote 1e6, the burn's quote delta: floor(|residual| x oracle / 1e9) + 1 when the
      residual is not 0, else 0);
    * `position_after`: the position that stays (base 1e9, quote 1e6, remainder, lp_shares
      left, entry price or None when flat);
    * `lp_cooldown_seconds_left`: until the instruction accepts a removal (0 = now).

    KeyError for an unknown user, subaccount or market; ValueError without BAL shares in the
    market, for a non-positive or too large `shares`, or a size that floors to no shares.
    """
    index = _market_index(world, market)
    authority, user = _subaccount(world, username, sub_account_id)
    exchange = world.drift.exchange
    perp_market = exchange.perp_markets[index]
    position = user.get_perp_position(index)
    if position is None or position.lp_shares == 0:
        raise ValueError(f"subaccount {sub_account_id} holds no BAL shares in {market}")
    held = position.lp_shares
    asked = held if shares is None else _positive_int("shares", shares)
    if asked > held:
        raise ValueError(f"subaccount {sub_account_id} holds {held} share units in {market}, not {asked}")
    to_burn = asked if asked == held else standardize_base_asset_amount(asked, perp_market.amm.order_step_size)
    if to_burn == 0:
        raise ValueError(f"{asked} share units is below one share step ({perp_market.amm.order_step_size}) "
                         "and not the whole balance: nothing would be burned")
    oracle = exchange.oracle_map.get_perp(index).price
    user_copy, market_copy = copy.deepcopy(user), copy.deepcopy(perp_market)
    try:
        settle_funding_payment(user_copy, market_copy, exchange.now)
        position_copy = user_copy.get_perp_position(index)
        settle_delta, settle_pnl = settle_lp_position(position_copy, market_copy)
        with_amm_before = market_copy.amm.base_asset_amount_with_amm
        burn_delta, _burn_pnl = burn_lp_shares(position_copy, market_copy, to_burn, oracle)
    except _ENGINE_ERRORS as error:
        raise ValueError(f"{type(error).__name__}: {error}") from None
    waited = exchange.now - user.last_add_perp_lp_shares_ts
    return {
        "market": market,
        "sub_account_id": sub_account_id,
        "shares": to_burn,
        "oracle_price": oracle,
        "settle_base": settle_delta.base_asset_amount,
        "settle_quote": settle_delta.quote_asset_amount,
        "settle_pnl": settle_pnl,
        "residual_base": with_amm_before - market_copy.amm.base_asset_amount_with_amm,
        "dust_fee": -burn_delta.quote_asset_amount,
        "position_after": {
            "base_asset_amount": position_copy.base_asset_amount,
            "quote_asset_amount": position_copy.quote_asset_amount,
            "remainder_base_asset_amount": position_copy.remainder_base_asset_amount,
            "lp_shares": position_copy.lp_shares,
            "entry_price": _price_or_none(position_copy, calculate_entry_price),
        },
        "lp_cooldown_seconds_left": max(0, exchange.state.lp_cooldown_time - waited),
    }


# --- insurance ----------------------------------------------------------------------------------


def _revenue_cap(vault_amount: int, period: int, market_index: int) -> tuple[int, int]:
    """(max APR 1e6, the most one settlement may move while users are staked: tokens), the
    reference's cap `floor(floor(vault * max_apr / 1e6) / max(floor(ONE_YEAR / period), 1))`.

    Source: programs/drift/src/controller/insurance.rs::settle_revenue_to_insurance_fund (the
    engine computes it inline, ballast.drift.controller.insurance.settle_revenue_to_insurance_fund)
    """
    max_apr = (
        MAX_APR_PER_REVENUE_SETTLE_TO_INSURANCE_FUND_VAULT_GOV
        if market_index == GOV_SPOT_MARKET_INDEX
        else MAX_APR_PER_REVENUE_SETTLE_TO_INSURANCE_FUND_VAULT
    )
    settles_per_year = max(div_floor(ONE_YEAR, period), 1) if period > 0 else 1
    return max_apr, div_floor(div_floor(vault_amount * max_apr, PERCENTAGE_PRECISION), settles_per_year)


def insurance_view(world: World) -> dict[str, Any]:
    """The USDC spot market's insurance fund and its revenue settlement.

    * the fund: `vault_amount` (USDC 1e6), `total_shares`, `user_shares`, `protocol_shares`,
      `shares_base`, `unstaking_period` (s) (`Exchange.insurance_fund`);
    * settlement: `revenue_settle_period` (s), `last_revenue_settle_ts`, `next_settle_ts` (the
      earliest time the engine settles again, `on_the_hour_update`; None without a period),
      `revenue_pool` (USDC, floored);
    * the cap: `max_apr` (1e6 = 100%: 1000% for USDC) and `apr_cap_per_settle` (tokens one
      settlement may move at the current vault and period; it applies while `user_shares > 0`);
    * the split: `total_if_factor` / `user_if_factor` (1e6) and `stakers_share_pct` = 100 x
      user / total: the stakers' part of a settlement (the rest is minted as protocol shares);
    * `next_settle_amount`: what a settlement now would move (USDC), the engine's
      `settle_revenue_to_insurance_fund` replayed on a copy of the spot market (0 when there is
      nothing or no period; None when the engine refuses);
    * `projected_apr` (1e6) / `projected_apr_pct`: the simple annualised growth of one share's
      value if that settlement recurred every period — `calculate_insurance_fund_apr` from the
      fund now to the fund after the replayed settlement over one period: a projection from
      the revenue pool as it stands (its tenth per period while users are staked), not a
      realised yield.
    """
    exchange = world.drift.exchange
    spot_market = exchange.spot_markets[QUOTE_SPOT_MARKET_INDEX]
    fund = spot_market.insurance_fund
    period = fund.revenue_settle_period
    max_apr, cap = _revenue_cap(fund.vault_amount, period, spot_market.market_index)
    next_settle_ts = None
    if period > 0:
        next_settle_ts = exchange.now + on_the_hour_update(exchange.now, fund.last_revenue_settle_ts, period)
    replayed = copy.deepcopy(spot_market)
    try:
        next_amount = settle_revenue_to_insurance_fund(
            replayed.vault_amount, fund.vault_amount, replayed, exchange.now, False
        )
    except _ENGINE_ERRORS:
        next_amount = None
    projected_apr = 0
    if next_amount and period > 0:
        after = replayed.insurance_fund
        projected_apr = calculate_insurance_fund_apr(
            fund.vault_amount, fund.total_shares, fund.shares_base,
            fund.vault_amount + next_amount, after.total_shares, after.shares_base, period,
        )
    return {
        **exchange.insurance_fund(QUOTE_SPOT_MARKET_INDEX),
        "spot_market_index": spot_market.market_index,
        "revenue_settle_period": period,
        "last_revenue_settle_ts": fund.last_revenue_settle_ts,
        "next_settle_ts": next_settle_ts,
        "revenue_pool": get_token_amount(spot_market.revenue_pool.scaled_balance, spot_market, SpotBalanceType.Deposit),
        "max_apr": max_apr,
        "apr_cap_per_settle": cap,
        "apr_cap_applies": fund.user_shares > 0,
        "total_if_factor": fund.total_factor,
        "user_if_factor": fund.user_factor,
        "stakers_share_pct": 100.0 * fund.user_factor / fund.total_factor if fund.total_factor else 0.0,
        "next_settle_amount": next_amount,
        "projected_apr": projected_apr,
        "projected_apr_pct": 100.0 * projected_apr / PERCENTAGE_PRECISION,
    }


# --- events -------------------------------------------------------------------------------------


def _names_authority(values: Iterable[Any], authority: str) -> bool:
    prefix = authority + "/"
    return any(isinstance(v, str) and (v == authority or v.startswith(prefix)) for v in values)


def _names_market(entry: dict[str, Any], world: World, market: str) -> bool:
    data = entry["data"]
    if entry["venue"] == world.drift.name:
        if entry["type"] in _SPOT_INDEXED_RECORDS or data.get("liquidation_type") in _SPOT_LIQUIDATIONS:
            return False
        return data.get("market_index") == _market_index(world, market)
    if world.curie is not None and entry["venue"] == world.curie.name:
        base_token = world.curie.markets.get(market)
        return base_token is not None and data.get("base_token") == base_token
    return False


def event_matches(entry: dict[str, Any], world: World, market: str | None = None,
                  username: str | None = None) -> bool:
    """Whether a feed entry ({"id", "venue", "type", "data"}) passes the filters (each optional):

    * `market`: a Drift event whose data's `market_index` is the market's perp index (records
      whose index is no perp market's never match: DepositRecord, InsuranceFundStakeRecord,
      SpotInterestRecord and the LiquidateSpot / SpotBankruptcy LiquidationRecords), or a
      Curie event whose data names the market's base token (`base_token`);
    * `username`: any top-level string in the data equal to the user's authority
      (`user:<name>`, a Curie trader or staker) or starting with it and "/" (a Drift subaccount).

    KeyError for an unknown market."""
    if market is not None and not _names_market(entry, world, market):
        return False
    return username is None or _names_authority(entry["data"].values(), authority_of(username))


def events_view(world: World, *, market: str | None = None, username: str | None = None,
                after: int = 0, limit: int = 200) -> list[dict[str, Any]]:
    """The feed entries with id > `after` that pass `event_matches`, oldest first, at most
    `limit` (page on by passing the last id seen as `after`). The feed keeps the last
    FEED_LENGTH engine events. KeyError for an unknown market; ValueError for a negative
    `after` or a `limit` below 1."""
    if market is not None:
        _market_index(world, market)
    if not isinstance(after, int) or after < 0:
        raise ValueError(f"after must be a non-negative integer, got {after!r}")
    if not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    out: list[dict[str, Any]] = []
    for entry in world.feed:
        if entry["id"] <= after or not event_matches(entry, world, market, username):
            continue
        out.append(entry)
        if len(out) == limit:
            break
    return out


# --- pools and P&L over time ----------------------------------------------------------------------


def pool_liquidity_view(world: World, market: str) -> dict[str, Any]:
    """The Curie pool of `market` as the Pools page draws it: its price and tick, and the
    liquidity by price: one bar per interval between two consecutive initialized ticks,
    `[lower_tick, upper_tick)` with its prices (1e6) and the liquidity active in it (the running
    sum of `liquidity_net` from the lowest tick, decimal string; Uniswap v3's in-range
    liquidity on that interval). KeyError without a Curie venue or for an unknown market.

    Source: contracts/libraries/Tick.sol::Info (its liquidityNet, summed as
    contracts/UniswapV3Pool.sol::swap crosses ticks left to right)
    """
    venue = world.curie
    if venue is None or market not in venue.markets:
        raise KeyError(f"no Curie pool for market {market!r}")
    pool = venue.house.markets[venue.markets[market]].pool
    bars = []
    active = 0
    ticks = sorted(pool.ticks)
    for lower, upper in zip(ticks, ticks[1:], strict=False):
        active += pool.ticks[lower].liquidity_net
        if active:
            bars.append({"lower_tick": lower, "upper_tick": upper, "lower_price": _tick_price(lower),
                         "upper_price": _tick_price(upper), "liquidity": str(active)})
    pool_info = _curie_pool(world, market)
    assert pool_info is not None
    return {"market": market, **pool_info, "bars": bars}


def account_performance(world: World, username: str, sub_account_id: int,
                        window_seconds: int | None = None) -> dict[str, Any]:
    """A subaccount's P&L over time: the samples the world takes every 15 simulated minutes
    (World.user_samples) in the window (all when None), each with `ts`, `equity`,
    `net_deposits` and `pnl = equity - net_deposits` (quote 1e6), and the P&L since entry now
    (the account view's `pnl_since_entry`). KeyError for an unknown user or subaccount."""
    authority, user = _subaccount(world, username, sub_account_id)
    samples = world.user_samples.get(f"{authority}/{sub_account_id}", [])
    if window_seconds is not None:
        samples = [s for s in samples if s[0] >= world.ts - window_seconds]
    equity = world.drift.exchange.user_equity(authority, sub_account_id)
    net = user.total_deposits - user.total_withdraws
    return {
        "username": username,
        "sub_account_id": sub_account_id,
        "pnl_since_entry": equity - net,
        "series": [{"ts": ts, "equity": e, "net_deposits": n, "pnl": e - n} for ts, e, n in samples],
    }
