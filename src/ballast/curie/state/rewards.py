"""Pool Party liquidity-mining state: weekly epochs, per-market reward budgets and the
volume-facilitated accumulators.

Volume is kept in exact "liquidity x sqrt price" units (X96): a swap segment that moves the
sqrt price by dS with in-range liquidity L trades L*dS/2^96 quote wei through the curve, and
each unit of liquidity in range facilitated dS/2^96 of it. So `volume_growth_global_x96`
accumulates dS (per unit liquidity, like feeGrowthGlobal) and every volume below is
quote wei * 2^96 (divide by 2^96 for 18-dec quote).

Not reference state: Perpetual Protocol's Pool Party distribution runs off-chain and its formula
is private ("Update to Calculation Method"); Ballast implements the documented proportional rule.

Source: Ballast (docs "More on LPing": Pool Party)
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class MarketRewards:
    """One market's Pool Party records.

    `epoch_start`: start (unix s) of the epoch the accumulators currently count toward (-1:
    none yet). `volume_growth_global_x96`: Σ dS over swap segments with in-range liquidity
    (X96, never wraps). `volume_growth_outside_x96`: per initialized pool tick, the growth on
    the other side (Tick.cross technique). `last_volume_growth_inside_x96`: per order
    `(maker, lower, upper)`, the inside growth at its last checkpoint.
    `total_volume_x96[epoch]`: Σ L·dS of the epoch. `maker_volume_x96[maker][epoch]`: the
    maker's checkpointed volume. `budgets[epoch]`: reward budget. `paid[epoch]`: rewards
    already claimed from that budget; `maker_paid[maker][epoch]`: the maker's part of it.
    """

    epoch_start: int = -1
    volume_growth_global_x96: int = 0
    volume_growth_outside_x96: dict[int, int] = field(default_factory=dict)
    last_volume_growth_inside_x96: dict[tuple[str, int, int], int] = field(default_factory=dict)
    total_volume_x96: dict[int, int] = field(default_factory=dict)
    maker_volume_x96: dict[str, dict[int, int]] = field(default_factory=dict)
    budgets: dict[int, int] = field(default_factory=dict)
    paid: dict[int, int] = field(default_factory=dict)
    maker_paid: dict[str, dict[int, int]] = field(default_factory=dict)


@dataclass(slots=True)
class RewardsState:
    """Every market's Pool Party records and the makers' reward-token balances (claimed,
    in the budget's units). `total_budget` / `total_paid` are the sums over markets."""

    markets: dict[str, MarketRewards] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=dict)
    total_budget: int = 0
    total_paid: int = 0
