"""Pool Party math (pure): weekly epochs and the volume each maker's liquidity facilitated.

Epochs start on Mondays at 06:00 UTC: epoch boundaries are EPOCH_ORIGIN + k·WEEK with
EPOCH_ORIGIN = 1970-01-05 06:00 UTC (1970-01-05 was a Monday) = 367 200 s.

Volume facilitated: a swap segment moving the sqrt price by dS with in-range liquidity L moves
L·dS/2^96 quote wei across the curve (SqrtPriceMath.getAmount1Delta before rounding), and each
unit of in-range liquidity facilitated dS/2^96 of it. The per-liquidity accumulator
`volume_growth_global_x96` (Σ dS over segments with L > 0) is split inside / outside ticks
exactly like Uniswap's feeGrowth, so a maker's volume is L_order·(inside - last inside) in
exact X96 units, and the makers' volumes sum exactly to the market's Σ L·dS.

Distribution: the reference's formula is private ("Update to Calculation Method": "not public
in order to slow attempts to game the system"); Ballast implements the documented rule, rewards
"proportional to the volume facilitated": floor(budget·makerVolume/totalVolume) per epoch.

Source: Ballast (docs "More on LPing": Pool Party; the technique of
contracts/libraries/Tick.sol::getFeeGrowthInside)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ballast.curie.state.account import OpenOrder
from ballast.curie.state.rewards import MarketRewards

DAY = 86_400
WEEK = 7 * DAY
EPOCH_ORIGIN = 4 * DAY + 6 * 3_600  # 1970-01-05 (a Monday) 06:00 UTC


def get_epoch_start(ts: int) -> int:
    """Start (unix s) of the weekly epoch holding `ts`: the last Monday 06:00 UTC at or
    before it (floor).

    Source: docs "More on LPing" (Pool Party: weekly, Mondays 06:00 UTC)
    """
    return EPOCH_ORIGIN + (ts - EPOCH_ORIGIN) // WEEK * WEEK


def is_epoch_start(ts: int) -> bool:
    """Whether `ts` (unix s) is a Monday 06:00 UTC boundary. Source: ballast.curie.math.rewards.get_epoch_start"""
    return (ts - EPOCH_ORIGIN) % WEEK == 0


def is_epoch_closed(epoch_start: int, now: int) -> bool:
    """An epoch is closed (claimable) once `now` >= its start + one week."""
    return now >= epoch_start + WEEK


def get_volume_growth_inside_x96(
    outside: Mapping[int, int], lower_tick: int, upper_tick: int, tick: int, global_x96: int
) -> int:
    """Volume growth (X96, per unit liquidity) inside [lower, upper) at the current pool tick:
    below = outside(lower) if tick >= lower else global - outside(lower); above =
    outside(upper) if tick < upper else global - outside(upper); inside = global - below - above
    (plain integers, never wrapping).

    Source: Ballast (the technique of contracts/libraries/Tick.sol::getFeeGrowthInside)
    """
    lower = outside.get(lower_tick, 0)
    upper = outside.get(upper_tick, 0)
    below = lower if tick >= lower_tick else global_x96 - lower
    above = upper if tick < upper_tick else global_x96 - upper
    return global_x96 - below - above


def get_pending_maker_volume_x96(
    rewards: MarketRewards, maker: str, orders: Iterable[OpenOrder], tick: int
) -> int:
    """Σ over the maker's orders of L·(inside now - inside at last checkpoint), X96 quote wei:
    volume facilitated since the last checkpoint, not yet booked to an epoch.

    Source: Ballast (the technique of Uniswap's fee accounting, contracts/libraries/Position.sol::update)
    """
    total = 0
    last = rewards.last_volume_growth_inside_x96
    for order in orders:
        inside = get_volume_growth_inside_x96(
            rewards.volume_growth_outside_x96,
            order.lower_tick,
            order.upper_tick,
            tick,
            rewards.volume_growth_global_x96,
        )
        total += order.liquidity * (
            inside - last.get((maker, order.lower_tick, order.upper_tick), inside)
        )
    return total


def calc_reward_share(budget: int, maker_volume_x96: int, total_volume_x96: int) -> int:
    """floor(budget·makerVolume/totalVolume); 0 when the epoch saw no volume.

    Source: docs "More on LPing" (rewards proportional to the volume facilitated)
    """
    if total_volume_x96 <= 0 or maker_volume_x96 <= 0:
        return 0
    return budget * maker_volume_x96 // total_volume_x96


def get_epoch_volumes_x96(
    rewards: MarketRewards, maker: str, pending_x96: int
) -> tuple[dict[int, int], dict[int, int]]:
    """(maker volume by epoch, total volume by epoch), X96, with the maker's `pending_x96`
    (volume not yet checkpointed) counted in the epoch the accumulators run for."""
    maker_volumes = dict(rewards.maker_volume_x96.get(maker, {}))
    if pending_x96:
        maker_volumes[rewards.epoch_start] = maker_volumes.get(rewards.epoch_start, 0) + pending_x96
    return maker_volumes, rewards.total_volume_x96


def get_claimable(rewards: MarketRewards, maker: str, pending_x96: int, now: int) -> int:
    """Σ over closed epochs of floor(budget·makerVolume/totalVolume) - what the maker was
    already paid for that epoch (reward-token units).

    Source: docs "More on LPing" (Pool Party), Ballast's proportional rule
    """
    maker_volumes, totals = get_epoch_volumes_x96(rewards, maker, pending_x96)
    paid = rewards.maker_paid.get(maker, {})
    claimable = 0
    for epoch, volume in maker_volumes.items():
        if not is_epoch_closed(epoch, now):
            continue
        share = calc_reward_share(rewards.budgets.get(epoch, 0), volume, totals.get(epoch, 0))
        claimable += share - paid.get(epoch, 0)
    return claimable


class EpochRewards:
    """A maker's running-epoch standing in one market: the epoch start (unix s), its budget,
    the maker's and the market's volume so far (X96 quote wei; `maker_volume` / `total_volume`
    give 18-dec quote, floored) and the share accrued so far, floor(budget·maker/total),
    which moves as others trade until the epoch closes."""

    __slots__ = ("epoch_start", "budget", "maker_volume_x96", "total_volume_x96", "accrued")

    def __init__(
        self, epoch_start: int, budget: int, maker_volume_x96: int, total_volume_x96: int
    ) -> None:
        self.epoch_start = epoch_start
        self.budget = budget
        self.maker_volume_x96 = maker_volume_x96
        self.total_volume_x96 = total_volume_x96
        self.accrued = calc_reward_share(budget, maker_volume_x96, total_volume_x96)

    @property
    def maker_volume(self) -> int:
        """The maker's volume facilitated, 18-dec quote (floor)."""
        return self.maker_volume_x96 >> 96

    @property
    def total_volume(self) -> int:
        """The market's volume, 18-dec quote (floor)."""
        return self.total_volume_x96 >> 96

    def __repr__(self) -> str:
        return (
            f"EpochRewards(epoch_start={self.epoch_start}, budget={self.budget}, "
            f"maker_volume_x96={self.maker_volume_x96}, total_volume_x96={self.total_volume_x96}, "
            f"accrued={self.accrued})"
        )
