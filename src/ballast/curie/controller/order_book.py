"""OrderBook mutations: adding and removing maker liquidity, with Curie's tick bookkeeping
(initialize / clear) and the orders' fee, funding and debt records.

Units: liquidity uint128, virtual tokens 18 decimals, fee growth X128 (wrapping).

Source: contracts/OrderBook.sol, contracts/lib/UniswapV3Broker.sol, contracts/lib/Tick.sol
"""

from __future__ import annotations

from ballast.curie.market_errors import (
    NonExistentOpenOrder,
    NotEnoughLiquidity,
    OrdersNumberExceeded,
    ZeroLiquidityAdded,
)
from ballast.curie.math.order_book import (
    get_all_funding_growth,
    get_pending_fee_and_fee_growth_inside_x128,
    initial_tick_info,
)
from ballast.curie.state.account import Account, OpenOrder
from ballast.curie.state.market import FundingGrowth, MarketState
from ballast.curie.univ3 import liquidity_amounts, tick_math
from ballast.curie.univ3 import pool as univ3_pool

CLEARING_HOUSE = "clearing_house"  # owner of every pool position (the only LP of each pool)


def is_tick_initialized(pool, tick: int) -> bool:
    """Whether the pool tick is initialized (liquidityGross > 0).

    Source: contracts/lib/UniswapV3Broker.sol::getIsTickInitialized
    """
    info = pool.ticks.get(tick)
    return info is not None and info.liquidity_gross > 0


def add_liquidity(
    account: Account,
    market: MarketState,
    base: int,
    quote: int,
    lower_tick: int,
    upper_tick: int,
    funding_growth_global: FundingGrowth,
    now: int,
    max_orders_per_market: int,
) -> tuple[int, int, int, int]:
    """Mint liquidity for `base`/`quote` (18 dec) on [lower, upper) into the maker's order
    -> (added_base, added_quote, fee, liquidity).

    L = liquidityForAmounts(S, S(lower), S(upper), base, quote) (ZeroLiquidityAdded "UB_ZL" if
    0); the pool charges the rounded-up amounts, which become the order's debts; newly
    initialized ticks get outside values (Tick.initialize, read at the pool tick after the
    mint); a new order snapshots the range's funding growth; the order's pending fee is
    realized into owedRealizedPnl (and booked as realized maker fee).

    Source: contracts/OrderBook.sol::addLiquidity, _addLiquidityToOrder;
    contracts/ClearingHouse.sol::addLiquidity (fee realization)
    """
    pool = market.pool
    liquidity = liquidity_amounts.get_liquidity_for_amounts(
        pool.sqrt_price_x96,
        tick_math.get_sqrt_ratio_at_tick(lower_tick),
        tick_math.get_sqrt_ratio_at_tick(upper_tick),
        base,
        quote,
    )
    if liquidity == 0:
        raise ZeroLiquidityAdded(
            f"base {base} and quote {quote} buy zero liquidity on [{lower_tick}, {upper_tick})"
        )
    initialized_before_lower = is_tick_initialized(pool, lower_tick)
    initialized_before_upper = is_tick_initialized(pool, upper_tick)
    added_base, added_quote = univ3_pool.mint(pool, CLEARING_HOUSE, lower_tick, upper_tick, liquidity, now)
    current_tick = pool.tick
    for tick, before in ((lower_tick, initialized_before_lower), (upper_tick, initialized_before_upper)):
        if not before and is_tick_initialized(pool, tick):
            market.tick_infos[tick] = initial_tick_info(
                tick, current_tick, market.fee_growth_global_x128, funding_growth_global
            )

    name = market.base_token
    order = account.get_order(name, lower_tick, upper_tick)
    if order is None:
        orders = account.orders.setdefault(name, [])
        if len(orders) >= max_orders_per_market:
            raise OrdersNumberExceeded(
                f"{account.trader!r} has {len(orders)} orders in {name!r}, max {max_orders_per_market}"
            )
        range_info = get_all_funding_growth(
            market.tick_infos,
            lower_tick,
            upper_tick,
            current_tick,
            funding_growth_global.tw_premium_x96,
            funding_growth_global.tw_premium_div_by_sqrt_price_x96,
        )
        order = OpenOrder(
            lower_tick=lower_tick,
            upper_tick=upper_tick,
            last_tw_premium_growth_inside_x96=range_info.tw_premium_growth_inside_x96,
            last_tw_premium_growth_below_x96=range_info.tw_premium_growth_below_x96,
            last_tw_premium_div_by_sqrt_price_growth_inside_x96=(
                range_info.tw_premium_div_by_sqrt_price_growth_inside_x96
            ),
        )
        orders.append(order)
    fee, fee_growth_inside = get_pending_fee_and_fee_growth_inside_x128(
        order, market.tick_infos, current_tick, market.fee_growth_global_x128
    )
    order.liquidity += liquidity
    order.last_fee_growth_inside_x128 = fee_growth_inside
    order.base_debt += added_base
    order.quote_debt += added_quote
    account.owed_realized_pnl += fee
    market.ledger.maker_fee_realized += fee
    return added_base, added_quote, fee, liquidity


def _remove_order(account: Account, market: str, order: OpenOrder) -> None:
    """Delete an order: the last id moves into its slot. Source: contracts/OrderBook.sol::_removeOrder"""
    orders = account.orders[market]
    index = next(i for i, o in enumerate(orders) if o is order)
    last = orders.pop()
    if last is not order:
        orders[index] = last


def remove_liquidity(
    account: Account, market: MarketState, lower_tick: int, upper_tick: int, liquidity: int, now: int
) -> tuple[int, int, int, int, int]:
    """Burn `liquidity` from the maker's order -> (base, quote, fee, taker_base, taker_quote).

    The pool burns (amounts rounded down) and pays exactly the burned amounts back (Uniswap
    fees stay in the pool); the order's pending fee is computed; for L != 0 the debts shrink by
    floor(debt·L/orderL); an emptied order is deleted, else its fee snapshot moves; Curie tick
    records of ticks left uninitialized are cleared. taker_base = base - baseDebt removed and
    taker_quote = quote - quoteDebt removed are the realized slice of the impermanent position
    (booked by the caller, together with the fee).

    Source: contracts/OrderBook.sol::removeLiquidity, _removeLiquidity, _removeLiquidityFromOrder
    """
    name = market.base_token
    order = account.get_order(name, lower_tick, upper_tick)
    if order is None or order.liquidity == 0:
        raise NonExistentOpenOrder(f"{account.trader!r} has no order [{lower_tick}, {upper_tick}) in {name!r}")
    if liquidity > order.liquidity:
        raise NotEnoughLiquidity(f"removing {liquidity} from an order of liquidity {order.liquidity}")
    pool = market.pool
    base, quote = univ3_pool.burn(pool, CLEARING_HOUSE, lower_tick, upper_tick, liquidity, now)
    univ3_pool.collect(pool, CLEARING_HOUSE, lower_tick, upper_tick, base, quote)

    fee, fee_growth_inside = get_pending_fee_and_fee_growth_inside_x128(
        order, market.tick_infos, pool.tick, market.fee_growth_global_x128
    )
    base_debt = quote_debt = 0
    if liquidity != 0:
        if order.base_debt != 0:
            base_debt = order.base_debt * liquidity // order.liquidity
            order.base_debt -= base_debt
        if order.quote_debt != 0:
            quote_debt = order.quote_debt * liquidity // order.liquidity
            order.quote_debt -= quote_debt
        order.liquidity -= liquidity
    if order.liquidity == 0:
        _remove_order(account, name, order)
    else:
        order.last_fee_growth_inside_x128 = fee_growth_inside
    for tick in (lower_tick, upper_tick):
        if not is_tick_initialized(pool, tick):
            market.tick_infos.pop(tick, None)
    return base, quote, fee, base - base_debt, quote - quote_debt
