"""A virtual Uniswap v3 pool: ticks, tick bitmap, positions, fee growth, oracle and the swap loop.

State lives in plain dataclasses; the functions below are the only writers. Every function
either applies completely or raises a typed :mod:`ballast.curie.errors` error with the pool
untouched (all checks run before the first write).

Differences from the contract, none of which moves value:
* no callbacks: ``mint`` returns what the caller owes, ``swap`` the signed amounts, and the pool
  books them to ``balance0``/``balance1`` (the ERC20 ``balanceOf(pool)``) as if paid;
* no protocol fee (``feeProtocol`` is 0 unless an owner sets it; Curie never does), no flash,
  no ``secondsPerLiquidity`` accumulators (Curie reads only tick cumulatives);
* ``Locked`` ("LOK") is raised only for a pool that was never initialized (no reentrancy here);
* timestamps are plain non-negative ints (the contract keeps ``uint32(block.timestamp)``).

Source: contracts/UniswapV3Pool.sol, contracts/libraries/Tick.sol, contracts/libraries/Position.sol,
contracts/libraries/Oracle.sol (Uniswap/v3-core v1.0.0)
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from operator import attrgetter

from ballast.curie.errors import (
    AlreadyInitialized,
    AmountSpecified,
    LiquidityOverflow,
    Locked,
    MulDivOverflow,
    NoPosition,
    OracleTooOld,
    OracleUninitialized,
    SafeCastOverflow,
    SqrtPriceLimit,
    TickLowerMin,
    TickLowerUpper,
    TickNotSpaced,
    TickUpperMax,
    ZeroMintAmount,
)
from ballast.curie.undo import UndoLog
from ballast.curie.univ3.liquidity_math import add_delta
from ballast.curie.univ3.sqrt_price_math import get_amount0_delta_signed, get_amount1_delta_signed
from ballast.curie.univ3.swap_math import compute_swap_step
from ballast.curie.univ3.tick_bitmap import flip_tick, next_initialized_tick_within_one_word
from ballast.curie.univ3.tick_math import (
    MAX_SQRT_RATIO,
    MAX_TICK,
    MIN_SQRT_RATIO,
    MIN_TICK,
    get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
)
from ballast.fixed import div_trunc

__all__ = [
    "TickInfo",
    "PositionInfo",
    "Observation",
    "UniswapV3Pool",
    "SwapStep",
    "tick_spacing_to_max_liquidity_per_tick",
    "get_fee_growth_inside",
    "initialize",
    "increase_observation_cardinality_next",
    "oldest_observation",
    "mint",
    "burn",
    "collect",
    "swap",
    "simulate_swap",
    "observe",
]

_MASK256 = (1 << 256) - 1
_MASK128 = (1 << 128) - 1
_MASK32 = (1 << 32) - 1
_MAX_INT128 = (1 << 127) - 1
_MAX_INT256 = (1 << 255) - 1
# the TickInfo fields a crossing writes (Tick.cross)
_CROSS_FIELDS = (
    "fee_growth_outside0_x128",
    "fee_growth_outside1_x128",
    "tick_cumulative_outside",
    "seconds_outside",
)
_cross_fields = attrgetter(*_CROSS_FIELDS)


# --------------------------------------------------------------------------------------------
# State
# --------------------------------------------------------------------------------------------


@dataclass
class TickInfo:
    """An initialized tick. ``liquidity_gross``: sum of |L| of positions using the tick (uint128);
    ``liquidity_net``: L added when crossed left to right (int128); ``fee_growth_outside*_x128``:
    fee growth per unit of liquidity on the other side of the tick from the current tick (Q128,
    mod 2^256); ``tick_cumulative_outside`` (int56) and ``seconds_outside`` (uint32): the oracle's
    counterparts.

    Source: contracts/libraries/Tick.sol::Info
    """

    liquidity_gross: int = 0
    liquidity_net: int = 0
    fee_growth_outside0_x128: int = 0
    fee_growth_outside1_x128: int = 0
    tick_cumulative_outside: int = 0
    seconds_outside: int = 0
    initialized: bool = False


@dataclass
class PositionInfo:
    """A position (owner, lower, upper): its liquidity (uint128), fee growth inside at its last
    update (Q128) and tokens owed (uint128 wei: burned principal plus fees, awaiting ``collect``).

    Source: contracts/libraries/Position.sol::Info
    """

    liquidity: int = 0
    fee_growth_inside0_last_x128: int = 0
    fee_growth_inside1_last_x128: int = 0
    tokens_owed0: int = 0
    tokens_owed1: int = 0


@dataclass(frozen=True)
class Observation:
    """An oracle observation: its timestamp (s), the tick cumulative ``sum(tick * dt)`` up to it,
    and whether the slot has been written.

    Source: contracts/libraries/Oracle.sol::Observation
    """

    block_timestamp: int = 0
    tick_cumulative: int = 0
    initialized: bool = False


@dataclass
class UniswapV3Pool:
    """Pool state: ``fee`` in pips, ``tick_spacing``, ``max_liquidity_per_tick`` (derived from
    the spacing when left 0), slot0 (``sqrt_price_x96`` Q64.96, ``tick``, oracle index and
    cardinalities), in-range ``liquidity``, fee growth globals (Q128, mod 2^256), ticks, bitmap,
    positions keyed ``(owner, tick_lower, tick_upper)``, the observation ring buffer, and the
    pool's token balances ``balance0``/``balance1`` (wei).

    Source: contracts/UniswapV3Pool.sol (state variables), contracts/UniswapV3PoolDeployer.sol::deploy (fee, spacing)
    """

    fee: int = 0
    tick_spacing: int = 0
    max_liquidity_per_tick: int = 0
    sqrt_price_x96: int = 0
    tick: int = 0
    liquidity: int = 0
    fee_growth_global0_x128: int = 0
    fee_growth_global1_x128: int = 0
    ticks: dict[int, TickInfo] = field(default_factory=dict)
    tick_bitmap: dict[int, int] = field(default_factory=dict)
    positions: dict[tuple[str, int, int], PositionInfo] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    observation_index: int = 0
    observation_cardinality: int = 0
    observation_cardinality_next: int = 0
    balance0: int = 0
    balance1: int = 0

    def __post_init__(self) -> None:
        if self.max_liquidity_per_tick == 0 and self.tick_spacing > 0:
            self.max_liquidity_per_tick = tick_spacing_to_max_liquidity_per_tick(self.tick_spacing)


@dataclass(frozen=True, slots=True)
class SwapStep:
    """One iteration of the swap loop.

    ``sqrt_price_start_x96``: price entering the step; ``tick_next``/``initialized``: the bitmap
    search result (clamped to the tick bounds); ``sqrt_price_next_x96``: price at ``tick_next``
    (the step's target unless the limit is nearer); ``amount_in``/``amount_out``/``fee_amount``:
    ``compute_swap_step``'s result (wei); ``liquidity``: in-range liquidity during the step
    (before any crossing at its end); ``crossed``: an initialized tick was crossed at the end;
    ``tick_after``: the loop's tick after the step; ``sqrt_price_after_x96``: price after it.

    Source: contracts/UniswapV3Pool.sol::StepComputations (+ the loop's state after the step)
    """

    sqrt_price_start_x96: int
    tick_next: int
    initialized: bool
    sqrt_price_next_x96: int
    amount_in: int
    amount_out: int
    fee_amount: int
    liquidity: int
    crossed: bool
    tick_after: int
    sqrt_price_after_x96: int = 0


_EMPTY_TICK = TickInfo()
_EMPTY_POSITION = PositionInfo()


# --------------------------------------------------------------------------------------------
# Tick / Position / Oracle helpers
# --------------------------------------------------------------------------------------------


def tick_spacing_to_max_liquidity_per_tick(tick_spacing: int) -> int:
    """Max gross liquidity per tick (uint128): ``(2^128 - 1) // number of usable ticks``, where
    the usable range is ``[trunc(MIN_TICK / s) * s, trunc(MAX_TICK / s) * s]``.

    Source: contracts/libraries/Tick.sol::tickSpacingToMaxLiquidityPerTick
    """
    min_tick = div_trunc(MIN_TICK, tick_spacing) * tick_spacing
    max_tick = div_trunc(MAX_TICK, tick_spacing) * tick_spacing
    num_ticks = div_trunc(max_tick - min_tick, tick_spacing) + 1
    return _MASK128 // num_ticks


def _fee_growth_inside(
    lower: TickInfo,
    upper: TickInfo,
    tick_lower: int,
    tick_upper: int,
    tick_current: int,
    fee_growth_global0_x128: int,
    fee_growth_global1_x128: int,
) -> tuple[int, int]:
    if tick_current >= tick_lower:
        below0, below1 = lower.fee_growth_outside0_x128, lower.fee_growth_outside1_x128
    else:
        below0 = fee_growth_global0_x128 - lower.fee_growth_outside0_x128
        below1 = fee_growth_global1_x128 - lower.fee_growth_outside1_x128
    if tick_current < tick_upper:
        above0, above1 = upper.fee_growth_outside0_x128, upper.fee_growth_outside1_x128
    else:
        above0 = fee_growth_global0_x128 - upper.fee_growth_outside0_x128
        above1 = fee_growth_global1_x128 - upper.fee_growth_outside1_x128
    return (
        (fee_growth_global0_x128 - below0 - above0) & _MASK256,
        (fee_growth_global1_x128 - below1 - above1) & _MASK256,
    )


def get_fee_growth_inside(pool: UniswapV3Pool, tick_lower: int, tick_upper: int) -> tuple[int, int]:
    """Fee growth per unit of liquidity inside [tick_lower, tick_upper) for token0 and token1
    (Q128, mod 2^256), from the ticks' outside values and the current tick.

    Source: contracts/libraries/Tick.sol::getFeeGrowthInside
    """
    ticks = pool.ticks
    return _fee_growth_inside(
        ticks.get(tick_lower, _EMPTY_TICK),
        ticks.get(tick_upper, _EMPTY_TICK),
        tick_lower,
        tick_upper,
        pool.tick,
        pool.fee_growth_global0_x128,
        pool.fee_growth_global1_x128,
    )


def _tick_cumulative_now(pool: UniswapV3Pool, now: int) -> int:
    """Tick cumulative at ``now`` from the latest observation and the current tick."""
    last = pool.observations[pool.observation_index]
    if last.block_timestamp == now:
        return last.tick_cumulative
    return last.tick_cumulative + pool.tick * (now - last.block_timestamp)


def _oracle_write(pool: UniswapV3Pool, now: int, tick: int, undo: UndoLog | None = None) -> None:
    """Append an observation accumulating ``tick`` (the tick in force before the change), at most
    one per timestamp; grows into ``observation_cardinality_next`` when the ring wraps. With
    ``undo``, the slot written is logged first (the index and cardinality are pool scalars).

    Source: contracts/libraries/Oracle.sol::write
    """
    index = pool.observation_index
    last = pool.observations[index]
    if last.block_timestamp == now:
        return
    cardinality = pool.observation_cardinality
    if pool.observation_cardinality_next > cardinality and index == cardinality - 1:
        cardinality = pool.observation_cardinality_next
    index = (index + 1) % cardinality
    if undo is not None:
        undo.set_index(pool.observations, index)
    pool.observations[index] = Observation(
        now, last.tick_cumulative + tick * (now - last.block_timestamp), True
    )
    pool.observation_index = index
    pool.observation_cardinality = cardinality


def _require_unlocked(pool: UniswapV3Pool) -> None:
    if pool.sqrt_price_x96 == 0:
        raise Locked("pool is not initialized (locked)")


def _check_ticks(tick_lower: int, tick_upper: int) -> None:
    if tick_lower >= tick_upper:
        raise TickLowerUpper(f"tick lower {tick_lower} must be below tick upper {tick_upper}")
    if tick_lower < MIN_TICK:
        raise TickLowerMin(f"tick lower {tick_lower} below {MIN_TICK}")
    if tick_upper > MAX_TICK:
        raise TickUpperMax(f"tick upper {tick_upper} above {MAX_TICK}")


def _updated_tick(
    pool: UniswapV3Pool,
    tick: int,
    liquidity_delta: int,
    tick_cumulative: int,
    now: int,
    upper: bool,
) -> tuple[TickInfo, bool]:
    """A new TickInfo for ``tick`` after a liquidity change, and whether it flipped.

    Source: contracts/libraries/Tick.sol::update
    """
    info = pool.ticks.get(tick, _EMPTY_TICK)
    gross_before = info.liquidity_gross
    gross_after = add_delta(gross_before, liquidity_delta)
    if gross_after > pool.max_liquidity_per_tick:
        raise LiquidityOverflow(
            f"tick {tick} gross liquidity {gross_after} above {pool.max_liquidity_per_tick}"
        )
    net = info.liquidity_net - liquidity_delta if upper else info.liquidity_net + liquidity_delta
    if not -_MAX_INT128 - 1 <= net <= _MAX_INT128:
        raise SafeCastOverflow(f"tick {tick} net liquidity {net} overflows int128")
    new = TickInfo(
        gross_after,
        net,
        info.fee_growth_outside0_x128,
        info.fee_growth_outside1_x128,
        info.tick_cumulative_outside,
        info.seconds_outside,
        info.initialized,
    )
    if gross_before == 0:
        # by convention all growth before initialization happened below the tick
        if tick <= pool.tick:
            new.fee_growth_outside0_x128 = pool.fee_growth_global0_x128
            new.fee_growth_outside1_x128 = pool.fee_growth_global1_x128
            new.tick_cumulative_outside = tick_cumulative
            new.seconds_outside = now & _MASK32
        new.initialized = True
    return new, (gross_after == 0) != (gross_before == 0)


def _updated_position(
    position: PositionInfo, liquidity_delta: int, inside0: int, inside1: int
) -> PositionInfo:
    """A new PositionInfo after a liquidity change, crediting fees earned since its last update.

    Owed fees are ``floor((inside - last) mod 2^256 * L / 2^128)`` truncated to uint128, and the
    uint128 owed balances wrap, as in the reference.

    Source: contracts/libraries/Position.sol::update
    """
    if liquidity_delta == 0:
        if position.liquidity <= 0:
            raise NoPosition("poke of a position with no liquidity")
        liquidity_next = position.liquidity
    else:
        liquidity_next = add_delta(position.liquidity, liquidity_delta)
    liquidity = position.liquidity
    owed0 = (
        (((inside0 - position.fee_growth_inside0_last_x128) & _MASK256) * liquidity) >> 128
    ) & _MASK128
    owed1 = (
        (((inside1 - position.fee_growth_inside1_last_x128) & _MASK256) * liquidity) >> 128
    ) & _MASK128
    return PositionInfo(
        liquidity_next,
        inside0,
        inside1,
        (position.tokens_owed0 + owed0) & _MASK128,
        (position.tokens_owed1 + owed1) & _MASK128,
    )


def _modify_position(
    pool: UniswapV3Pool,
    owner: str,
    tick_lower: int,
    tick_upper: int,
    liquidity_delta: int,
    now: int,
) -> tuple[int, int, PositionInfo]:
    """Apply a liquidity change to a position: ticks, bitmap, position fees, in-range liquidity,
    an oracle write when in range -> signed ``(amount0, amount1, position)`` (owed by the caller
    when positive: rounded up; owed to it when negative: rounded down). Writes only after every
    check passed.

    Source: contracts/UniswapV3Pool.sol::_modifyPosition, _updatePosition
    """
    _check_ticks(tick_lower, tick_upper)
    key = (owner, tick_lower, tick_upper)
    position = pool.positions.get(key, _EMPTY_POSITION)
    tick = pool.tick

    new_lower = new_upper = None
    flipped_lower = flipped_upper = False
    if liquidity_delta != 0:
        tick_cumulative = _tick_cumulative_now(pool, now)
        new_lower, flipped_lower = _updated_tick(
            pool, tick_lower, liquidity_delta, tick_cumulative, now, False
        )
        new_upper, flipped_upper = _updated_tick(
            pool, tick_upper, liquidity_delta, tick_cumulative, now, True
        )
        spacing = pool.tick_spacing
        if flipped_lower and tick_lower % spacing:
            raise TickNotSpaced(f"tick {tick_lower} is not a multiple of tick spacing {spacing}")
        if flipped_upper and tick_upper % spacing:
            raise TickNotSpaced(f"tick {tick_upper} is not a multiple of tick spacing {spacing}")
        lower_info, upper_info = new_lower, new_upper
    else:
        lower_info = pool.ticks.get(tick_lower, _EMPTY_TICK)
        upper_info = pool.ticks.get(tick_upper, _EMPTY_TICK)

    inside0, inside1 = _fee_growth_inside(
        lower_info,
        upper_info,
        tick_lower,
        tick_upper,
        tick,
        pool.fee_growth_global0_x128,
        pool.fee_growth_global1_x128,
    )
    new_position = _updated_position(position, liquidity_delta, inside0, inside1)

    amount0 = amount1 = 0
    new_liquidity = pool.liquidity
    in_range = False
    if liquidity_delta != 0:
        sqrt_lower = get_sqrt_ratio_at_tick(tick_lower)
        sqrt_upper = get_sqrt_ratio_at_tick(tick_upper)
        if tick < tick_lower:
            amount0 = get_amount0_delta_signed(sqrt_lower, sqrt_upper, liquidity_delta)
        elif tick < tick_upper:
            amount0 = get_amount0_delta_signed(pool.sqrt_price_x96, sqrt_upper, liquidity_delta)
            amount1 = get_amount1_delta_signed(sqrt_lower, pool.sqrt_price_x96, liquidity_delta)
            new_liquidity = add_delta(pool.liquidity, liquidity_delta)
            in_range = True
        else:
            amount1 = get_amount1_delta_signed(sqrt_lower, sqrt_upper, liquidity_delta)

    # ---- commit (no raise below) ----
    if new_lower is not None and new_upper is not None:  # liquidity_delta != 0
        ticks = pool.ticks
        ticks[tick_lower] = new_lower
        ticks[tick_upper] = new_upper
        if flipped_lower:
            flip_tick(pool.tick_bitmap, tick_lower, pool.tick_spacing)
        if flipped_upper:
            flip_tick(pool.tick_bitmap, tick_upper, pool.tick_spacing)
        if liquidity_delta < 0:  # a tick that flipped on removal is cleared
            if flipped_lower:
                del ticks[tick_lower]
            if flipped_upper:
                del ticks[tick_upper]
        if in_range:
            _oracle_write(pool, now, tick)
            pool.liquidity = new_liquidity
    pool.positions[key] = new_position
    return amount0, amount1, new_position


# --------------------------------------------------------------------------------------------
# Pool operations
# --------------------------------------------------------------------------------------------


def initialize(pool: UniswapV3Pool, sqrt_price_x96: int, now: int) -> None:
    """Set the first price (Q64.96) and tick, and the first oracle observation at ``now``.

    Raises AlreadyInitialized ("AI") on a priced pool, SqrtRatioOutOfRange ("R") for a price
    outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO).

    Source: contracts/UniswapV3Pool.sol::initialize, contracts/libraries/Oracle.sol::initialize
    """
    if pool.sqrt_price_x96 != 0:
        raise AlreadyInitialized(f"pool already initialized at sqrt price {pool.sqrt_price_x96}")
    tick = get_tick_at_sqrt_ratio(sqrt_price_x96)
    pool.sqrt_price_x96 = sqrt_price_x96
    pool.tick = tick
    pool.observations = [Observation(now, 0, True)]
    pool.observation_index = 0
    pool.observation_cardinality = 1
    pool.observation_cardinality_next = 1


def increase_observation_cardinality_next(
    pool: UniswapV3Pool, observation_cardinality_next: int
) -> None:
    """Grow the oracle ring buffer so it can hold ``observation_cardinality_next`` observations
    (new slots are written as the ring wraps). No-op when not larger than the current target.
    Raises Locked ("LOK") before initialize.

    Source: contracts/UniswapV3Pool.sol::increaseObservationCardinalityNext, contracts/libraries/Oracle.sol::grow
    """
    _require_unlocked(pool)
    current = pool.observation_cardinality_next
    if current <= 0:
        raise OracleUninitialized("oracle has no observations")
    if observation_cardinality_next <= current:
        return
    pool.observations.extend(
        Observation(1, 0, False)
        for _ in range(len(pool.observations), observation_cardinality_next)
    )
    pool.observation_cardinality_next = observation_cardinality_next


def mint(
    pool: UniswapV3Pool, owner: str, tick_lower: int, tick_upper: int, amount: int, now: int
) -> tuple[int, int]:
    """Add ``amount`` liquidity to ``owner``'s position -> ``(amount0, amount1)`` wei the caller
    pays (rounded up), booked to the pool's balances (no callback).

    Raises ZeroMintAmount for 0, SafeCastOverflow above int128, and the tick / liquidity errors
    of the position change (TLU, TLM, TUM, LO, LA, tick spacing).

    Source: contracts/UniswapV3Pool.sol::mint
    """
    _require_unlocked(pool)
    if amount <= 0:
        raise ZeroMintAmount(f"mint amount {amount} must be positive")
    if amount > _MAX_INT128:
        raise SafeCastOverflow(f"mint amount {amount} overflows int128")
    amount0, amount1, _ = _modify_position(pool, owner, tick_lower, tick_upper, amount, now)
    pool.balance0 += amount0
    pool.balance1 += amount1
    return amount0, amount1


def burn(
    pool: UniswapV3Pool, owner: str, tick_lower: int, tick_upper: int, amount: int, now: int
) -> tuple[int, int]:
    """Remove ``amount`` liquidity from ``owner``'s position -> ``(amount0, amount1)`` wei (rounded
    down), credited to the position's tokens owed together with its fees; ``collect`` pays them.
    ``amount`` 0 pokes the position (credits fees; NoPosition "NP" if it has no liquidity).

    Source: contracts/UniswapV3Pool.sol::burn
    """
    _require_unlocked(pool)
    if not 0 <= amount <= _MAX_INT128:
        raise SafeCastOverflow(f"burn amount {amount} outside [0, 2^127 - 1]")
    amount0, amount1, position = _modify_position(pool, owner, tick_lower, tick_upper, -amount, now)
    amount0, amount1 = -amount0, -amount1
    if amount0 > 0 or amount1 > 0:
        position.tokens_owed0 = (position.tokens_owed0 + amount0) & _MASK128
        position.tokens_owed1 = (position.tokens_owed1 + amount1) & _MASK128
    return amount0, amount1


def collect(
    pool: UniswapV3Pool,
    owner: str,
    tick_lower: int,
    tick_upper: int,
    amount0_requested: int,
    amount1_requested: int,
) -> tuple[int, int]:
    """Pay out up to the requested tokens owed to ``owner``'s position -> ``(amount0, amount1)`` wei
    paid (the pool's balances decrease). A missing position pays nothing.

    Source: contracts/UniswapV3Pool.sol::collect
    """
    _require_unlocked(pool)
    position = pool.positions.get((owner, tick_lower, tick_upper))
    if position is None:
        return 0, 0
    amount0 = min(amount0_requested, position.tokens_owed0)
    amount1 = min(amount1_requested, position.tokens_owed1)
    position.tokens_owed0 -= amount0
    position.tokens_owed1 -= amount1
    pool.balance0 -= amount0
    pool.balance1 -= amount1
    return amount0, amount1


def check_sqrt_price_limit(zero_for_one: bool, sqrt_price: int, limit: int) -> None:
    """A swap's price limit must lie strictly between the current sqrt price and the extreme
    ratio on the swap's side; SqrtPriceLimit ("SPL") otherwise.

    Source: contracts/UniswapV3Pool.sol::swap (require ... 'SPL')
    """
    if zero_for_one:
        if not MIN_SQRT_RATIO < limit < sqrt_price:
            raise SqrtPriceLimit(
                f"limit {limit} must be in ({MIN_SQRT_RATIO}, {sqrt_price}) for zero for one"
            )
    elif not sqrt_price < limit < MAX_SQRT_RATIO:
        raise SqrtPriceLimit(
            f"limit {limit} must be in ({sqrt_price}, {MAX_SQRT_RATIO}) for one for zero"
        )


def _swap_loop(
    pool: UniswapV3Pool,
    zero_for_one: bool,
    amount_specified: int,
    sqrt_price_limit_x96: int,
    fee_pips: int,
    steps: list[SwapStep] | None,
) -> tuple[int, int, int, int, int, int, list[tuple[int, int]]]:
    """The swap loop over the pool's current state, writing nothing.

    Returns ``(amount0, amount1, sqrt_price_x96, tick, liquidity, fee_growth_global_x128 of the
    input token, crossings)`` where ``crossings`` lists ``(tick, input-token fee growth global at
    the crossing)`` for every initialized tick crossed. Appends a SwapStep per step to ``steps``
    when given.

    Source: contracts/UniswapV3Pool.sol::swap (the while loop)
    """
    if amount_specified == 0:
        raise AmountSpecified("swap amount is zero")
    sqrt_price = pool.sqrt_price_x96
    if sqrt_price == 0:
        raise Locked("pool is not initialized")
    if not -_MAX_INT256 - 1 <= amount_specified <= _MAX_INT256:
        raise SafeCastOverflow(f"swap amount {amount_specified} overflows int256")
    limit = sqrt_price_limit_x96
    check_sqrt_price_limit(zero_for_one, sqrt_price, limit)

    exact_input = amount_specified > 0
    remaining = amount_specified
    calculated = 0
    tick = pool.tick
    liquidity = pool.liquidity
    fee_growth = pool.fee_growth_global0_x128 if zero_for_one else pool.fee_growth_global1_x128
    bitmap = pool.tick_bitmap
    spacing = pool.tick_spacing
    ticks = pool.ticks
    crossings: list[tuple[int, int]] = []

    while remaining != 0 and sqrt_price != limit:
        start = sqrt_price
        tick_next, initialized = next_initialized_tick_within_one_word(
            bitmap, tick, spacing, zero_for_one
        )
        if tick_next < MIN_TICK:
            tick_next = MIN_TICK
        elif tick_next > MAX_TICK:
            tick_next = MAX_TICK
        sqrt_next = get_sqrt_ratio_at_tick(tick_next)
        if zero_for_one:
            target = limit if sqrt_next < limit else sqrt_next
        else:
            target = limit if sqrt_next > limit else sqrt_next
        step_liquidity = liquidity
        sqrt_price, amount_in, amount_out, fee_amount = compute_swap_step(
            start, target, liquidity, remaining, fee_pips
        )
        if exact_input:
            remaining -= amount_in + fee_amount
            calculated -= amount_out
        else:
            remaining += amount_out
            calculated += amount_in + fee_amount
        if liquidity > 0:
            growth = (fee_amount << 128) // liquidity
            if growth > _MASK256:
                raise MulDivOverflow(
                    f"fee growth {fee_amount} * 2^128 / {liquidity} overflows uint256"
                )
            fee_growth = (fee_growth + growth) & _MASK256
        crossed = False
        if sqrt_price == sqrt_next:
            if initialized:
                crossings.append((tick_next, fee_growth))
                net = ticks[tick_next].liquidity_net
                liquidity = add_delta(liquidity, -net if zero_for_one else net)
                crossed = True
            tick = tick_next - 1 if zero_for_one else tick_next
        elif sqrt_price != start:
            tick = get_tick_at_sqrt_ratio(sqrt_price)
        if steps is not None:
            steps.append(
                SwapStep(
                    start,
                    tick_next,
                    initialized,
                    sqrt_next,
                    amount_in,
                    amount_out,
                    fee_amount,
                    step_liquidity,
                    crossed,
                    tick,
                    sqrt_price,
                )
            )

    if zero_for_one == exact_input:
        amount0, amount1 = amount_specified - remaining, calculated
    else:
        amount0, amount1 = calculated, amount_specified - remaining
    return amount0, amount1, sqrt_price, tick, liquidity, fee_growth, crossings


def swap(
    pool: UniswapV3Pool,
    zero_for_one: bool,
    amount_specified: int,
    sqrt_price_limit_x96: int,
    now: int,
    undo: UndoLog | None = None,
) -> tuple[int, int]:
    """Swap against the pool -> signed ``(amount0, amount1)`` wei (positive: paid into the pool,
    negative: paid out), booked to the pool's balances.

    ``amount_specified`` > 0 is exact input, < 0 exact output, of token0 when ``zero_for_one``
    equals exact input, else of token1. The loop steps to the next initialized tick *within one
    bitmap word* (or the limit), runs ``compute_swap_step`` with the pool fee, accrues
    ``floor(fee * 2^128 / L)`` to the input token's fee growth global, and crosses initialized
    ticks (flipping their fee growth / oracle outside values). After a zero-for-one step that
    ends exactly on tick T the tick is T - 1. The oracle records the pre-swap tick when the tick
    changed. Raises AmountSpecified ("AS"), Locked ("LOK"), SqrtPriceLimit ("SPL").

    With ``undo`` (a ``ballast.curie.undo.UndoLog``), every collection entry written (each
    crossed tick's outside values, the oracle slot) is logged before the write; the pool's
    scalar fields are the caller's to snapshot.

    Source: contracts/UniswapV3Pool.sol::swap, contracts/libraries/Tick.sol::cross
    """
    amount0, amount1, sqrt_price, tick, liquidity, fee_growth, crossings = _swap_loop(
        pool, zero_for_one, amount_specified, sqrt_price_limit_x96, pool.fee, None
    )
    if crossings:
        tick_cumulative = _tick_cumulative_now(pool, now)
        seconds = now & _MASK32
        ticks = pool.ticks
        for crossed_tick, growth in crossings:
            info = ticks[crossed_tick]
            if undo is not None:
                undo.set_fields(info, _CROSS_FIELDS, _cross_fields)
            if zero_for_one:
                info.fee_growth_outside0_x128 = (growth - info.fee_growth_outside0_x128) & _MASK256
                info.fee_growth_outside1_x128 = (
                    pool.fee_growth_global1_x128 - info.fee_growth_outside1_x128
                ) & _MASK256
            else:
                info.fee_growth_outside0_x128 = (
                    pool.fee_growth_global0_x128 - info.fee_growth_outside0_x128
                ) & _MASK256
                info.fee_growth_outside1_x128 = (growth - info.fee_growth_outside1_x128) & _MASK256
            info.tick_cumulative_outside = tick_cumulative - info.tick_cumulative_outside
            info.seconds_outside = (seconds - info.seconds_outside) & _MASK32
    if tick != pool.tick:
        _oracle_write(pool, now, pool.tick, undo)
        pool.tick = tick
    pool.sqrt_price_x96 = sqrt_price
    pool.liquidity = liquidity
    if zero_for_one:
        pool.fee_growth_global0_x128 = fee_growth
    else:
        pool.fee_growth_global1_x128 = fee_growth
    pool.balance0 += amount0
    pool.balance1 += amount1
    return amount0, amount1


def simulate_swap(
    pool: UniswapV3Pool,
    zero_for_one: bool,
    amount_specified: int,
    sqrt_price_limit_x96: int,
    fee_pips: int | None = None,
) -> tuple[int, int, list[SwapStep]]:
    """The swap loop of ``swap`` without writing anything -> ``(amount0, amount1, steps)``.

    Identical arithmetic and errors to ``swap`` (they share the loop). ``fee_pips`` overrides the
    pool fee for the steps (Curie's replay of a quote-to-base swap charges its own fee ratio);
    by default the pool fee is used and the result equals what ``swap`` would return.

    Source: contracts/UniswapV3Pool.sol::swap; contracts/OrderBook.sol::replaySwap
    """
    steps: list[SwapStep] = []
    amount0, amount1, *_ = _swap_loop(
        pool,
        zero_for_one,
        amount_specified,
        sqrt_price_limit_x96,
        pool.fee if fee_pips is None else fee_pips,
        steps,
    )
    return amount0, amount1, steps


def _chronological_ring(pool: UniswapV3Pool) -> tuple[int, int]:
    """(slot of the oldest observation, number of observations written) of the oracle ring.

    The slot after the latest is the oldest once the ring has wrapped; until then (that slot
    still unwritten after a growth) the written ones are slots 0..observation_index in order.
    Source: contracts/libraries/Oracle.sol::getSurroundingObservations (the oldest lookup)
    """
    cardinality = pool.observation_cardinality
    following = (pool.observation_index + 1) % cardinality
    if pool.observations[following].initialized:
        return following, cardinality
    return 0, pool.observation_index + 1


def oldest_observation(pool: UniswapV3Pool) -> Observation:
    """The oldest observation the oracle ring still holds (OracleUninitialized before any)."""
    if pool.observation_cardinality <= 0:
        raise OracleUninitialized("oracle has no observations")
    return pool.observations[_chronological_ring(pool)[0]]


def observe(pool: UniswapV3Pool, now: int, seconds_agos: list[int]) -> list[int]:
    """Tick cumulatives ``sum(tick * dt)`` at ``now - s`` for each ``s`` in ``seconds_agos``.

    Between two observations the cumulative is interpolated as
    ``before + trunc((after - before) / dt) * (target - before_time)`` (Solidity signed division:
    toward zero); after the latest observation it is extrapolated with the current tick.
    Raises OracleUninitialized ("I") before initialize, OracleTooOld ("OLD") for a target older
    than the oldest observation kept. A binary search over the ring, as the reference's.

    Source: contracts/libraries/Oracle.sol::observe, observeSingle, getSurroundingObservations,
    binarySearch
    """
    cardinality = pool.observation_cardinality
    if cardinality <= 0:
        raise OracleUninitialized("oracle has no observations")
    observations = pool.observations
    last = observations[pool.observation_index]
    oldest_slot, written = _chronological_ring(pool)

    def timestamp_at(k: int) -> int:  # k-th observation in time order
        return observations[(oldest_slot + k) % cardinality].block_timestamp

    result: list[int] = []
    for seconds_ago in seconds_agos:
        target = now - seconds_ago
        if target >= last.block_timestamp:
            if target == last.block_timestamp:
                result.append(last.tick_cumulative)
            else:
                result.append(last.tick_cumulative + pool.tick * (target - last.block_timestamp))
            continue
        oldest = observations[oldest_slot]
        if target < oldest.block_timestamp:
            raise OracleTooOld(
                f"target time {target} is before the oldest observation {oldest.block_timestamp}"
            )
        if target == oldest.block_timestamp:  # what the search below finds (k = 0), directly
            result.append(oldest.tick_cumulative)
            continue
        # before_or_at: the last observation at or before target
        k = bisect_right(range(written), target, key=timestamp_at) - 1
        before = observations[(oldest_slot + k) % cardinality]
        if before.block_timestamp == target:
            result.append(before.tick_cumulative)
            continue
        after = observations[(oldest_slot + k + 1) % cardinality]
        delta = div_trunc(
            after.tick_cumulative - before.tick_cumulative,
            after.block_timestamp - before.block_timestamp,
        )
        result.append(before.tick_cumulative + delta * (target - before.block_timestamp))
    return result
