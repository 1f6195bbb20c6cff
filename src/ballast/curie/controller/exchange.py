"""Exchange mutations: the taker swap (replay, real pool swap, EX_TKMM), the open-position
bookkeeping (realized pnl, insurance-fund fee, settlement) and the realization of a maker's
impermanent position.

Units: virtual tokens 18 decimals, ratios 1e6, sqrt prices X96.

Source: contracts/Exchange.sol (_swap, _openPosition, getPnlToBeRealized),
contracts/ClearingHouse.sol (_openPosition, _settleBalanceAndRealizePnl),
contracts/lib/UniswapV3Broker.sol::swap
"""

from __future__ import annotations

from dataclasses import dataclass

from ballast.curie.controller.account_balance import settle_balance_and_deregister
from ballast.curie.market_errors import ForbiddenZeroSwap, TickMismatch, UnmatchedOutputAmount
from ballast.curie.math.account_balance import get_taker_position_size
from ballast.curie.math.exchange import (
    calc_scaled_amount_for_swaps,
    default_sqrt_price_limit_x96,
    get_exchanged_position_size_and_notional,
    get_pnl_to_be_realized,
    is_reducing_position,
    replay_swap,
)
from ballast.curie.math.order_book import crossed_tick_info
from ballast.curie.math.perp_math import EXACT_OUTPUT_DUST
from ballast.curie.state.account import Account
from ballast.curie.state.market import FundingGrowth, MarketState, TickInfo
from ballast.curie.undo import UndoLog
from ballast.curie.univ3 import pool as univ3_pool

_NO_TICK_INFO = TickInfo()  # read only: the outside values of a tick Curie never crossed


@dataclass(slots=True, frozen=True)
class SwapResponse:
    """Result of Exchange._swap: reported pool amounts (`base`, `quote`, unsigned), the
    exchanged position size and notional (signed, before fee), the exchange fee and its
    insurance-fund share, the pool tick and sqrt price after.

    Source: contracts/interface/IExchange.sol::SwapResponse
    """

    base: int
    quote: int
    exchanged_position_size: int
    exchanged_position_notional: int
    fee: int
    insurance_fund_fee: int
    tick: int
    sqrt_price_after_x96: int


@dataclass(slots=True, frozen=True)
class OpenPositionResult:
    """What openPosition reports: |Δbase|, |Δquote|, fee, realized pnl, open notional after,
    the taker position before (dust-filtered) and after, and the swap response.

    Source: contracts/ClearingHouse.sol::_openPosition
    """

    base: int
    quote: int
    fee: int
    realized_pnl: int
    open_notional: int
    position_size_before: int
    position_size_after: int
    swap: SwapResponse


def swap(
    market: MarketState,
    is_base_to_quote: bool,
    is_exact_input: bool,
    amount: int,
    sqrt_price_limit_x96: int,
    funding_growth_global: FundingGrowth,
    now: int,
    undo: UndoLog | None = None,
) -> SwapResponse:
    """Swap `amount` (18 dec) through the market's pool with Curie's fees.

    1. Scale the amounts (the pool still charges its own fee u, Curie charges x).
    2. Replay on the current pool state: charges the fee, the IF share and the maker fee growth,
       crosses Curie's tick records with this transaction's funding growth, stores fee growth.
    3. Real pool swap with ±pool amount (limit 0 -> extreme price); CH_F0S if nothing moved;
       for exact output with a zero user limit, require |exact side - pool amount| < 10
       ("UB_UOA") and report the pool amount; EX_TKMM unless the pool tick equals the replay's.
    4. Exchanged size / notional; `first_traded_timestamp` set on the first swap. The market
       ledger books what the pool kept (`pool_fee_*`) and the exact-output residue.

    With `undo`, the tick records written (Curie's and the pool's) are logged before the write;
    the market's, ledger's and pool's scalar fields are the caller's to snapshot.

    Source: contracts/Exchange.sol::_swap, contracts/OrderBook.sol::replaySwap,
    contracts/lib/UniswapV3Broker.sol::swap
    """
    info = market.info
    pool = market.pool
    pool_amount, replay_amount = calc_scaled_amount_for_swaps(
        is_base_to_quote, is_exact_input, amount, info.exchange_fee_ratio, info.uniswap_fee_ratio
    )
    replay = replay_swap(
        pool,
        market.fee_growth_global_x128,
        is_base_to_quote,
        replay_amount,
        sqrt_price_limit_x96,
        info.exchange_fee_ratio,
        info.uniswap_fee_ratio,
        info.insurance_fund_fee_ratio,
    )
    tick_infos = market.tick_infos
    for tick, fee_growth in replay.crossed:
        if undo is not None:
            undo.set_key(tick_infos, tick)
        tick_infos[tick] = crossed_tick_info(tick_infos.get(tick, _NO_TICK_INFO), fee_growth, funding_growth_global)
    market.fee_growth_global_x128 = replay.fee_growth_global_x128
    market.ledger.maker_fee_charged += replay.maker_fee

    limit = default_sqrt_price_limit_x96(is_base_to_quote, sqrt_price_limit_x96)
    amount0, amount1 = univ3_pool.swap(
        pool, is_base_to_quote, pool_amount if is_exact_input else -pool_amount, limit, now, undo
    )
    if not ((amount0 > 0 and amount1 < 0) or (amount0 < 0 and amount1 > 0)):
        raise ForbiddenZeroSwap(f"swap of {amount} exchanged ({amount0}, {amount1})")
    base, quote = abs(amount0), abs(amount1)
    if not is_exact_input and sqrt_price_limit_x96 == 0:
        exact = quote if is_base_to_quote else base
        if abs(exact - pool_amount) >= EXACT_OUTPUT_DUST:
            raise UnmatchedOutputAmount(f"exact output {pool_amount} but the pool gave {exact}")
        if is_base_to_quote:
            quote = pool_amount
        else:
            base = pool_amount
    if pool.tick != replay.tick:
        raise TickMismatch(f"pool tick {pool.tick} after the swap, replay tick {replay.tick}")

    size, notional = get_exchanged_position_size_and_notional(
        is_base_to_quote, is_exact_input, amount, base, quote, pool_amount, replay.fee, info.uniswap_fee_ratio
    )
    ledger = market.ledger
    if is_base_to_quote:
        ledger.pool_fee_base += amount0 + size
        ledger.exact_output_residue_quote += quote - abs(amount1)
    else:
        ledger.exact_output_residue_base += base - abs(amount0)
        ledger.pool_fee_quote += amount1 + notional
    if market.first_traded_timestamp == 0:
        market.first_traded_timestamp = now
    return SwapResponse(
        base=base,
        quote=quote,
        exchanged_position_size=size,
        exchanged_position_notional=notional,
        fee=replay.fee,
        insurance_fund_fee=replay.insurance_fund_fee,
        tick=pool.tick,
        sqrt_price_after_x96=pool.sqrt_price_x96,
    )


def open_position(
    account: Account,
    insurance_fund: Account,
    market: MarketState,
    is_base_to_quote: bool,
    is_exact_input: bool,
    amount: int,
    sqrt_price_limit_x96: int,
    funding_growth_global: FundingGrowth,
    now: int,
    undo: UndoLog | None = None,
) -> OpenPositionResult:
    """Swap, realize pnl on the reduced part, and settle (funding is settled by the caller).

    Δbase = exchanged size, Δquote = exchanged notional - fee; pnl as in
    Exchange._getPnlToBeRealized when the (dust-filtered) position is reduced; then
    IF owedRealizedPnl += IF fee and settleBalanceAndDeregister(Δbase, Δquote, pnl, 0).

    Source: contracts/Exchange.sol::swap, contracts/ClearingHouse.sol::_openPosition
    """
    name = market.base_token
    position_before = get_taker_position_size(account, name)
    info = account.markets.get(name)
    open_notional_before = info.taker_open_notional if info else 0
    response = swap(
        market, is_base_to_quote, is_exact_input, amount, sqrt_price_limit_x96, funding_growth_global, now, undo
    )
    delta_base = response.exchanged_position_size
    delta_quote = response.exchanged_position_notional - response.fee
    pnl = 0
    if is_reducing_position(position_before, is_base_to_quote):
        pnl = get_pnl_to_be_realized(position_before, open_notional_before, delta_base, delta_quote)
    insurance_fund.owed_realized_pnl += response.insurance_fund_fee
    settle_balance_and_deregister(account, market, delta_base, delta_quote, pnl, 0)
    info = account.markets.get(name)
    return OpenPositionResult(
        base=abs(delta_base),
        quote=abs(delta_quote),
        fee=response.fee,
        realized_pnl=pnl,
        open_notional=info.taker_open_notional if info else 0,
        position_size_before=position_before,
        position_size_after=get_taker_position_size(account, name),
        swap=response,
    )


def realize_maker_position(
    account: Account, market: MarketState, taker_base: int, taker_quote: int, fee: int
) -> int:
    """Book the realized slice of an impermanent position as a fee-less trade -> realized pnl.

    pnl (only if taker_base != 0 and it reduces the raw stored taker position, with
    isBaseToQuote = taker_base < 0) as in Exchange._getPnlToBeRealized; then
    settleBalanceAndDeregister(taker_base, taker_quote, pnl, makerFee = fee).

    Source: contracts/ClearingHouse.sol::_modifyPositionAndRealizePnl,
    contracts/Exchange.sol::getPnlToBeRealized
    """
    info = account.markets.get(market.base_token)
    position = info.taker_position_size if info else 0
    open_notional = info.taker_open_notional if info else 0
    pnl = 0
    if taker_base != 0 and is_reducing_position(position, taker_base < 0):
        pnl = get_pnl_to_be_realized(position, open_notional, taker_base, taker_quote)
    settle_balance_and_deregister(account, market, taker_base, taker_quote, pnl, fee)
    return pnl
