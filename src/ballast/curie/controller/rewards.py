"""Pool Party mutations: epoch rollover, order checkpoints around liquidity changes, the
volume accumulators of each swap, budgets and claims.

Units: volumes X96 quote wei (see `ballast.curie.math.rewards`), rewards in the budget's units,
times unix seconds.

Source: Ballast (docs "More on LPing": Pool Party; the technique of contracts/libraries/Tick.sol::cross
and contracts/libraries/Position.sol::update)
"""

from __future__ import annotations

from collections.abc import Iterable

from ballast.curie.market_errors import BudgetBelowPaid, InvalidEpoch
from ballast.curie.math.rewards import (
    calc_reward_share,
    get_claimable,
    get_epoch_start,
    get_volume_growth_inside_x96,
    is_epoch_closed,
    is_epoch_start,
)
from ballast.curie.state.account import Account, OpenOrder
from ballast.curie.state.rewards import MarketRewards, RewardsState
from ballast.curie.undo import UndoLog
from ballast.curie.univ3 import tick_bitmap, tick_math


def _inside(rewards: MarketRewards, order: OpenOrder, tick: int) -> int:
    return get_volume_growth_inside_x96(
        rewards.volume_growth_outside_x96,
        order.lower_tick,
        order.upper_tick,
        tick,
        rewards.volume_growth_global_x96,
    )


def checkpoint_order(
    rewards: MarketRewards, maker: str, order: OpenOrder, tick: int, undo: UndoLog | None = None
) -> None:
    """Book L·(inside - last) of one order to the maker's volume in the running epoch and move
    its snapshot to the current inside growth (with `undo`, each entry is logged before it is
    written)."""
    key = (maker, order.lower_tick, order.upper_tick)
    inside = _inside(rewards, order, tick)
    last_inside = rewards.last_volume_growth_inside_x96
    last = last_inside.get(key, inside)
    volume = order.liquidity * (inside - last)
    if volume:
        makers = rewards.maker_volume_x96
        if undo is not None:
            undo.set_key(makers, maker)
        by_epoch = makers.setdefault(maker, {})
        if undo is not None:
            undo.set_key(by_epoch, rewards.epoch_start)
        by_epoch[rewards.epoch_start] = by_epoch.get(rewards.epoch_start, 0) + volume
    if undo is not None:
        undo.set_key(last_inside, key)
    last_inside[key] = inside


def roll_epoch(
    rewards: MarketRewards,
    market: str,
    accounts: Iterable[Account],
    tick: int,
    now: int,
    undo: UndoLog | None = None,
) -> None:
    """When `now` is in a later epoch than the accumulators run for, checkpoint every order of
    the market (their volume since the last checkpoint belongs to the old epoch: any swap in
    a later epoch rolls first) and start counting for the new epoch. O(orders), once a week
    per market. With `undo`, every accumulator entry is logged before it is written (the
    orders themselves are not written; `epoch_start` is the caller's to snapshot)."""
    current = get_epoch_start(now)
    if rewards.epoch_start == current:
        return
    if rewards.epoch_start >= 0:
        for account in accounts:
            for order in account.orders.get(market, ()):
                checkpoint_order(rewards, account.trader, order, tick, undo)
    rewards.epoch_start = current


def before_order_change(
    rewards: MarketRewards, account: Account, market: str, lower: int, upper: int, tick: int
) -> None:
    """Checkpoint the maker's order on [lower, upper) (if any) before its liquidity changes."""
    order = account.get_order(market, lower, upper)
    if order is not None:
        checkpoint_order(rewards, account.trader, order, tick)


def after_order_change(
    rewards: MarketRewards, account: Account, market: str, pool, lower: int, upper: int
) -> None:
    """After a mint or burn on [lower, upper): give newly initialized pool ticks their outside
    value (global if tick <= current tick, else 0), drop those left uninitialized, and move the
    order's snapshot to the current inside growth (or drop it with the order)."""
    outside = rewards.volume_growth_outside_x96
    for tick in (lower, upper):
        info = pool.ticks.get(tick)
        if info is not None and info.liquidity_gross > 0:
            if tick not in outside:
                outside[tick] = rewards.volume_growth_global_x96 if tick <= pool.tick else 0
        else:
            outside.pop(tick, None)
    key = (account.trader, lower, upper)
    order = account.get_order(market, lower, upper)
    if order is None:
        rewards.last_volume_growth_inside_x96.pop(key, None)
    else:
        rewards.last_volume_growth_inside_x96[key] = _inside(rewards, order, pool.tick)


def record_swap(
    rewards: MarketRewards,
    pool,
    sqrt_price_before: int,
    tick_before: int,
    liquidity_before: int,
    undo: UndoLog | None = None,
) -> int:
    """Accrue the volume of the swap that just moved the pool from (`sqrt_price_before`,
    `tick_before`, active liquidity `liquidity_before`) to its current state -> Σ L·dS (X96).

    Walks the initialized ticks the swap crossed (zero-for-one: before >= T > after; else
    before < T <= after) through the bitmap, as the swap did: each segment adds dS to the
    global growth and L·dS to the epoch's total when L > 0; each crossed tick's outside
    becomes global - outside and L moves by its liquidityNet. Cost: O(words + ticks crossed).
    With `undo`, each accumulator entry is logged before it is written (`volume_growth_global_x96`
    is the caller's to snapshot).
    """
    sqrt_after, tick_after = pool.sqrt_price_x96, pool.tick
    if sqrt_after == sqrt_price_before and tick_after == tick_before:
        return 0
    zero_for_one = sqrt_after < sqrt_price_before or tick_after < tick_before
    outside = rewards.volume_growth_outside_x96
    ticks = pool.ticks
    spacing = pool.tick_spacing
    growth = rewards.volume_growth_global_x96
    liquidity = liquidity_before
    current = sqrt_price_before
    tick = tick_before
    volume = 0
    while True:
        next_tick, initialized = tick_bitmap.next_initialized_tick_within_one_word(
            pool.tick_bitmap, tick, spacing, zero_for_one
        )
        if (next_tick <= tick_after) if zero_for_one else (next_tick > tick_after):
            break
        if initialized:
            target = tick_math.get_sqrt_ratio_at_tick(next_tick)
            if liquidity > 0:
                delta = current - target if zero_for_one else target - current
                growth += delta
                volume += liquidity * delta
            current = target
            if undo is not None:
                undo.set_key(outside, next_tick)
            outside[next_tick] = growth - outside.get(next_tick, 0)
            net = ticks[next_tick].liquidity_net
            liquidity += -net if zero_for_one else net
        tick = next_tick - 1 if zero_for_one else next_tick
    if liquidity > 0:
        delta = current - sqrt_after if zero_for_one else sqrt_after - current
        growth += delta
        volume += liquidity * delta
    rewards.volume_growth_global_x96 = growth
    if volume:
        totals = rewards.total_volume_x96
        if undo is not None:
            undo.set_key(totals, rewards.epoch_start)
        totals[rewards.epoch_start] = totals.get(rewards.epoch_start, 0) + volume
    return volume


def set_budget(state: RewardsState, rewards: MarketRewards, epoch_start: int, amount: int) -> None:
    """Set the reward budget of the epoch starting `epoch_start` (a Monday 06:00 UTC,
    InvalidEpoch otherwise). Once anything was paid from it, it may only grow (BudgetBelowPaid)."""
    if not is_epoch_start(epoch_start):
        raise InvalidEpoch(f"{epoch_start} is not a Monday 06:00 UTC epoch start")
    old = rewards.budgets.get(epoch_start, 0)
    if rewards.paid.get(epoch_start, 0) > 0 and amount < old:
        raise BudgetBelowPaid(
            f"epoch {epoch_start}: budget {amount} below {old} after claims were paid"
        )
    rewards.budgets[epoch_start] = amount
    state.total_budget += amount - old


def claim(
    state: RewardsState,
    rewards: MarketRewards,
    maker: str,
    orders: Iterable[OpenOrder],
    tick: int,
    now: int,
) -> int:
    """Checkpoint the maker's orders, then pay every closed epoch's share not yet paid into the
    maker's reward balance -> amount paid."""
    for order in orders:
        checkpoint_order(rewards, maker, order, tick)
    amount = get_claimable(rewards, maker, 0, now)
    if amount <= 0:
        return 0
    paid = rewards.maker_paid.setdefault(maker, {})
    for epoch, volume in rewards.maker_volume_x96.get(maker, {}).items():
        if not is_epoch_closed(epoch, now):
            continue
        share = calc_reward_share(
            rewards.budgets.get(epoch, 0), volume, rewards.total_volume_x96.get(epoch, 0)
        )
        due = share - paid.get(epoch, 0)
        if due > 0:
            paid[epoch] = share
            rewards.paid[epoch] = rewards.paid.get(epoch, 0) + due
    state.balances[maker] = state.balances.get(maker, 0) + amount
    state.total_paid += amount
    return amount
