"""What a BAL (Backstop AMM Liquidity) provider sees: read-only views over an `Exchange`.

* `get_perp_position_with_lp_settle`: the Positions table's BAL row — a position as if its LP
  shares settled now, with the shares' slice of the AMM depth shown as open bids/asks.
* The Add dialog's conversions: `lp_shares_for_margin` (USDC -> shares),
  `lp_shares_for_leverage` (a fraction of the subaccount's free collateral -> shares) and the
  reverse `lp_margin_for_shares` (shares -> USDC).
* `BalPerformance`: the BAL page's per-market performance index of one share and its 7-day and
  30-day returns.

Nothing here mutates the exchange: hypothetical mints run the engine's own controllers on deep
copies of the one market and subaccount involved, so every answer is what the instruction would
do. Units: shares and base 1e9 (one share = 1e9 share units, as `sqrt_k`), quote 1e6, prices
1e6, funding rates 1e9. Integers throughout; floats only in the reported percentages.

Source: sdk/src/user.ts::User::getPerpPositionWithLPSettle (the view),
programs/drift/src/state/user.rs::PerpPosition::simulate_settled_lp_position,
programs/drift/src/instructions/user.rs::handle_add_perp_lp_shares (what the conversions replay)
"""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass

from ballast.drift.constants import (
    AMM_RESERVE_PRECISION,
    AMM_TIMES_PEG_TO_QUOTE_PRECISION_RATIO,
    ONE_YEAR,
    PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO,
    TWENTY_FOUR_HOUR,
)
from ballast.drift.controller.funding import settle_funding_payment
from ballast.drift.controller.lp import mint_lp_shares
from ballast.drift.controller.position import force_get_perp_position
from ballast.drift.errors import DriftError, InvalidAmount
from ballast.drift.exchange import Exchange
from ballast.drift.math.funding import calculate_funding_payment_in_quote_precision
from ballast.drift.math.lp import (
    calculate_settle_lp_metrics,
    get_per_lp_base_unit,
    get_rebased_position_snapshots,
    simulate_settled_lp_position,
)
from ballast.drift.math.margin import (
    calculate_margin_requirement_and_total_collateral_and_liability_info,
)
from ballast.drift.math.orders import standardize_base_asset_amount
from ballast.drift.math.position import (
    PositionDelta,
    calculate_base_asset_value_with_oracle_price,
    calculate_position_new_quote_base_pnl,
    get_new_position_amounts,
    get_position_update_type,
)
from ballast.drift.state.margin_calculation import (
    MarginCalculation,
    MarginContext,
    MarginRequirementType,
)
from ballast.drift.state.perp_market import MarketStatus, PerpMarket, PerpOperation
from ballast.drift.state.user import PerpPosition, User
from ballast.fixed import MathError, div_floor, div_trunc, proportion_signed

__all__ = [
    "SEVEN_DAYS",
    "THIRTY_DAYS",
    "get_perp_position_with_lp_settle",
    "lp_shares_for_margin",
    "lp_shares_for_leverage",
    "lp_margin_for_shares",
    "BalSample",
    "BalPerformance",
]

SEVEN_DAYS = 7 * TWENTY_FOUR_HOUR
THIRTY_DAYS = 30 * TWENTY_FOUR_HOUR
ONE_SHARE = AMM_RESERVE_PRECISION  # 1e9 share units = one BAL share


# --- the position as if the LP settled now ------------------------------------------------


def get_perp_position_with_lp_settle(
    exchange: Exchange, authority: str, sub_account_id: int, market_index: int
) -> PerpPosition:
    """A NEW PerpPosition: the subaccount's position in the market as if its LP shares settled
    now, for display (the stored position is not touched). An empty position when there is none;
    an unchanged copy without LP shares.

    With LP shares, valued at the market's current oracle price (1e6):

    * base (1e9), remainder_base_asset_amount (1e9), quote_entry_amount and
      quote_break_even_amount (1e6) are exactly what `settle_lp` would leave: the accrued base
      stepped toward zero, its sub-step remainder added to the stored remainder and, when that
      reaches a step, folded into base (as the settle does — unlike the margin simulation, which
      drops the folded part);
    * quote_asset_amount (1e6) is the settled quote MINUS the burn dust fee
      `floor(|remainder| * oracle / 1e9) + 1` pre-charged on a non-zero remainder, as
      `simulate_settled_lp_position` does: the quote the provider would keep on removing;
    * open_bids / open_asks add the shares' `lp_shares / sqrt_k` slice of the AMM's depth to the
      position's own orders: the BAL share shown as resting bids/asks;
    * the per-LP snapshots are the market's current accumulators (nothing left to settle).

    Funding is not settled: last_cumulative_funding_rate is the stored position's, and the
    unrealized funding is the stored position's (calculate_funding_payment on it). So quote
    equals what `Exchange.settle_lp` produces only when no funding is due, less the dust fee.
    Do not feed the result back into margin functions (its bids/asks already hold the LP slice).

    Source: sdk/src/user.ts::User::getPerpPositionWithLPSettle (burnLpShares = true),
    programs/drift/src/state/user.rs::PerpPosition::simulate_settled_lp_position
    """
    user = exchange.user(authority, sub_account_id)
    market = exchange.perp_market(market_index)
    position = user.get_perp_position(market_index)
    if position is None:
        return PerpPosition(market_index=market_index)
    oracle_price = exchange.oracle_map.get_perp(market_index).price
    simulated = simulate_settled_lp_position(position, market, oracle_price)
    if position.lp_shares == 0:
        return simulated

    amm = market.amm
    last_base, last_quote, per_lp_base = get_rebased_position_snapshots(amm, position)
    rebased = position.clone()
    rebased.last_base_asset_amount_per_lp = last_base
    rebased.last_quote_asset_amount_per_lp = last_quote
    rebased.per_lp_base = per_lp_base
    metrics = calculate_settle_lp_metrics(amm, rebased)
    delta = PositionDelta(
        metrics.base_asset_amount, metrics.quote_asset_amount, metrics.remainder_base_asset_amount
    )
    if delta.base_asset_amount == 0 and delta.remainder_base_asset_amount == 0:
        base = rebased.base_asset_amount
        quote = rebased.quote_asset_amount + delta.quote_asset_amount
        remainder = rebased.remainder_base_asset_amount
        entry, break_even = rebased.quote_entry_amount, rebased.quote_break_even_amount
    else:
        update_type = get_position_update_type(rebased, delta)
        base, _settled, quote, remainder = get_new_position_amounts(
            rebased, delta, amm.order_step_size
        )
        entry, break_even, _pnl = calculate_position_new_quote_base_pnl(rebased, delta, update_type)
    if remainder != 0:
        quote -= calculate_base_asset_value_with_oracle_price(remainder, oracle_price) + 1
    rebased.base_asset_amount = base
    rebased.quote_asset_amount = quote
    rebased.remainder_base_asset_amount = remainder
    rebased.quote_entry_amount = entry
    rebased.quote_break_even_amount = break_even
    rebased.last_base_asset_amount_per_lp = amm.base_asset_amount_per_lp
    rebased.last_quote_asset_amount_per_lp = amm.quote_asset_amount_per_lp
    rebased.open_bids = simulated.open_bids
    rebased.open_asks = simulated.open_asks
    return rebased


# --- the Add dialog -------------------------------------------------------------------------


def _margin_after_mint(
    exchange: Exchange, user: User, market: PerpMarket, n_shares: int
) -> MarginCalculation:
    """Initial margin (strict prices, as add_perp_lp_shares checks it) of `user` after minting
    `n_shares` in `market`, replayed on deep copies: funding settled, then mint_lp_shares."""
    user_copy = deepcopy(user)
    market_copy = deepcopy(market)
    perp_markets = dict(exchange.perp_markets)
    perp_markets[market.market_index] = market_copy
    settle_funding_payment(user_copy, market_copy, exchange.now)
    mint_lp_shares(force_get_perp_position(user_copy, market.market_index), market_copy, n_shares)
    return calculate_margin_requirement_and_total_collateral_and_liability_info(
        user_copy,
        perp_markets,
        exchange.spot_markets,
        exchange.oracle_map,
        MarginContext.standard(MarginRequirementType.Initial).with_strict(True),
    )


def _largest_accepted_shares(step: int, accepted: Callable[[int], bool]) -> int:
    """The largest multiple of `step` (>= step) that `accepted` takes, or 0 when it refuses one
    step. Doubling finds a refused upper bound, then bisection over whole steps; a probe that
    raises (k past MAX_SQRT_K, u64 shares) counts as refused. Assumes refusal is monotone in the
    size; the answer always satisfies accepted(n) and not accepted(n + step)."""

    def ok(steps: int) -> bool:
        try:
            return accepted(steps * step)
        except (DriftError, MathError):
            return False

    if not ok(1):
        return 0
    low, high = 1, 2
    while ok(high):
        low, high = high, high * 2
    while high - low > 1:
        middle = div_floor(low + high, 2)
        if ok(middle):
            low = middle
        else:
            high = middle
    return low * step


def _new_lp_allowed(market: PerpMarket) -> bool:
    return market.status is MarketStatus.Active and not market.is_operation_paused(
        PerpOperation.AmmFill
    )


def lp_margin_for_shares(exchange: Exchange, market_index: int, n_shares: int) -> int:
    """Initial margin (quote 1e6) that minting `n_shares` (1e9 = one share; floored to the
    market's order_step_size, as add_perp_lp_shares does) in the market requires of a subaccount
    holding nothing else: the shares' `n / (sqrt_k + n)` slice of the AMM's max bids/asks AFTER
    the mint (minting raises sqrt_k by n and rescales the reserves), valued at the oracle, times
    the market's initial margin ratio at that size (imf size premium included), plus the LP
    buffer `max($1, order_step_size * oracle / 1e9)`; strict quote price. 0 when flooring leaves
    no shares. For display: `lp_shares_for_margin` is its inverse.

    Source: programs/drift/src/math/margin.rs::calculate_perp_position_value_and_pnl (section 11,
    replayed after programs/drift/src/controller/lp.rs::mint_lp_shares)
    """
    if not isinstance(n_shares, int) or isinstance(n_shares, bool) or n_shares < 0:
        raise InvalidAmount(f"n_shares must be a non-negative integer, got {n_shares!r}")
    market = exchange.perp_market(market_index)
    minted = standardize_base_asset_amount(n_shares, market.amm.order_step_size)
    if minted == 0:
        return 0
    calculation = _margin_after_mint(exchange, User(), market, minted)
    return calculation.margin_requirement - calculation.total_collateral


def lp_shares_for_margin(exchange: Exchange, market_index: int, collateral: int) -> int:
    """Shares (1e9 = one share, a multiple of order_step_size) that `collateral` (quote 1e6 of
    total collateral, e.g. that many USDC units at $1) supports in the market: the largest n with
    `lp_margin_for_shares(n) <= collateral`, found exactly by doubling then bisection over whole
    steps with the same mint and margin functions add_perp_lp_shares runs. So a subaccount
    holding exactly `collateral` USDC and nothing else can add the result, and one step more is
    refused with InsufficientCollateral. 0 when one step needs more, or when the market takes no
    new LP shares (not Active, or AMM fills paused).

    Source: Ballast (inverts programs/drift/src/instructions/user.rs::handle_add_perp_lp_shares)
    """
    if not isinstance(collateral, int) or isinstance(collateral, bool) or collateral < 0:
        raise InvalidAmount(f"collateral must be a non-negative integer, got {collateral!r}")
    market = exchange.perp_market(market_index)
    if not _new_lp_allowed(market):
        return 0

    def accepted(n: int) -> bool:
        calculation = _margin_after_mint(exchange, User(), market, n)
        return collateral + calculation.total_collateral >= calculation.margin_requirement

    return _largest_accepted_shares(market.amm.order_step_size, accepted)


def lp_shares_for_leverage(
    exchange: Exchange,
    authority: str,
    sub_account_id: int,
    market_index: int,
    leverage_pct: int,
) -> int:
    """Shares (1e9, a multiple of order_step_size) that use `leverage_pct` percent of the
    subaccount's free collateral: "leverage" 1.0 = 100 uses all of it, 0.5 = 50 half.

    Free collateral is total collateral minus initial margin requirement (quote 1e6) at strict
    prices, as add_perp_lp_shares checks it; the budget is `floor(free * leverage_pct / 100)`.
    The answer is the largest n whose mint consumes at most the budget — the free collateral
    after `settle funding + mint_lp_shares(n)` (replayed on copies of the subaccount and market,
    so existing positions, orders and LP shares in any market count) is at least
    `free - budget` — found by doubling then bisection over steps. At 100 it is exactly the most
    add_perp_lp_shares accepts. leverage_pct must be an integer in [0, 100]; 0 shares when the
    budget does not cover one step or the market takes no new LP shares.

    Source: Ballast (inverts programs/drift/src/instructions/user.rs::handle_add_perp_lp_shares)
    """
    if (
        not isinstance(leverage_pct, int)
        or isinstance(leverage_pct, bool)
        or not 0 <= leverage_pct <= 100
    ):
        raise InvalidAmount(f"leverage_pct must be an integer in [0, 100], got {leverage_pct!r}")
    user = exchange.user(authority, sub_account_id)
    market = exchange.perp_market(market_index)
    if not _new_lp_allowed(market):
        return 0
    before = exchange.margin_calculation(user, MarginRequirementType.Initial, strict=True)
    free = max(before.total_collateral - before.margin_requirement, 0)
    floor_after = free - div_floor(free * leverage_pct, 100)

    def accepted(n: int) -> bool:
        after = _margin_after_mint(exchange, user, market, n)
        return after.total_collateral - after.margin_requirement >= floor_after

    return _largest_accepted_shares(market.amm.order_step_size, accepted)


# --- BAL performance ------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class BalSample:
    """One sample of a market's BAL share index at `ts` (unix seconds).

    Per ONE share (1e9 share units): base_asset_amount_per_share (1e9) and
    quote_asset_amount_per_share (1e6) are the per-LP accumulators rescaled from the per-LP unit
    (each truncated toward zero); fees_and_inventory_quote is their value at the oracle;
    funding_quote the funding accrued since the first sample; index_quote their sum;
    share_value_quote the liquidity one share represents (the return denominator). The
    cumulative funding rates (1e9) seen at `ts` carry the funding to the next sample.
    """

    ts: int
    oracle_price: int
    base_asset_amount_per_share: int
    quote_asset_amount_per_share: int
    fees_and_inventory_quote: int
    funding_quote: int
    index_quote: int
    share_value_quote: int
    cumulative_funding_rate_long: int
    cumulative_funding_rate_short: int


def _share_value(market: PerpMarket, oracle_price: int) -> int:
    """Quote (1e6) of one share's slice of both reserves at the oracle:
    floor((base_asset_reserve * oracle + quote_asset_reserve * peg) / sqrt_k)."""
    amm = market.amm
    price = max(oracle_price, 0)
    base_side = amm.base_asset_reserve * price * ONE_SHARE
    quote_side = amm.quote_asset_reserve * amm.peg_multiplier * ONE_SHARE
    return div_floor(
        div_floor(base_side, PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO)
        + div_floor(quote_side, AMM_TIMES_PEG_TO_QUOTE_PRECISION_RATIO),
        amm.sqrt_k,
    )


class BalPerformance:
    """The BAL page's performance of each market: samples of the value of ONE BAL share (1e9
    share units) held since the market's inception, in quote 1e6.

    `index_quote = fees_and_inventory_quote + funding_quote` where

    * `fees_and_inventory_quote = trunc(quote_asset_amount_per_lp * 1e9 / unit)
      + sign(b) * floor(|b| * oracle / unit)` with `b = base_asset_amount_per_lp` and
      `unit = per_lp_base_unit` (`get_per_lp_base_unit`): the per-LP accumulators (fees, spread
      and the quote of the inventory handed over, plus that inventory marked at the oracle)
      rescaled from the per-LP unit to one share; each term rounds toward zero, as a position's
      unrealized pnl does (quote + signed base value), so with unit = 1e9 it is exactly the
      unrealized pnl of a position holding one share's accumulators. The
      accumulators start at 0 and only move while the market has LP shares, so a market without
      LP-split fills stays at 0.
    * `funding_quote`: accumulated by `record` from the first sample on: at each sample, the
      funding that one share's inventory at the PREVIOUS sample (`base_asset_amount_per_share`)
      pays (-) or receives (+) over the change of the market's cumulative funding rate since
      then — the long rate for a long inventory, the short rate for a short one; longs pay
      positive rates (`calculate_funding_payment_in_quote_precision`). This is a share that
      settles at every sample; record after each funding update to follow the rate closely.

    Samples are keyed by `exchange.now`: recording twice at one timestamp replaces the sample;
    time may not go backwards. The index is integer; floats appear only in `lp_performance`.
    """

    def __init__(self) -> None:
        self._samples: dict[int, list[BalSample]] = {}

    def record(self, exchange: Exchange, market_index: int) -> BalSample:
        """Sample the market's share index at `exchange.now` (see the class docstring)."""
        market = exchange.perp_market(market_index)
        amm = market.amm
        samples = self._samples.setdefault(market_index, [])
        now = exchange.now
        if samples and now < samples[-1].ts:
            raise InvalidAmount(
                f"BAL sample at {now} precedes the last sample of market {market_index} "
                f"at {samples[-1].ts}"
            )
        if samples and samples[-1].ts == now:
            samples.pop()
        previous = samples[-1] if samples else None

        oracle_price = exchange.oracle_map.get_perp(market_index).price
        unit = get_per_lp_base_unit(amm.per_lp_base)
        base_per_share = proportion_signed(amm.base_asset_amount_per_lp, ONE_SHARE, unit)
        quote_per_share = proportion_signed(amm.quote_asset_amount_per_lp, ONE_SHARE, unit)
        base_value = div_floor(abs(amm.base_asset_amount_per_lp) * max(oracle_price, 0), unit)
        fees_and_inventory = div_trunc(amm.quote_asset_amount_per_lp * ONE_SHARE, unit) + (
            base_value if amm.base_asset_amount_per_lp > 0 else -base_value
        )
        funding = 0
        if previous is not None:
            held = previous.base_asset_amount_per_share
            if held > 0:
                rate_delta = (
                    amm.cumulative_funding_rate_long - previous.cumulative_funding_rate_long
                )
            else:
                rate_delta = (
                    amm.cumulative_funding_rate_short - previous.cumulative_funding_rate_short
                )
            funding = previous.funding_quote
            if held != 0 and rate_delta != 0:
                funding += calculate_funding_payment_in_quote_precision(rate_delta, held)
        sample = BalSample(
            ts=now,
            oracle_price=oracle_price,
            base_asset_amount_per_share=base_per_share,
            quote_asset_amount_per_share=quote_per_share,
            fees_and_inventory_quote=fees_and_inventory,
            funding_quote=funding,
            index_quote=fees_and_inventory + funding,
            share_value_quote=_share_value(market, oracle_price),
            cumulative_funding_rate_long=amm.cumulative_funding_rate_long,
            cumulative_funding_rate_short=amm.cumulative_funding_rate_short,
        )
        samples.append(sample)
        return sample

    def record_all(self, exchange: Exchange) -> list[BalSample]:
        """`record` every perp market, in market-index order."""
        return [self.record(exchange, index) for index in sorted(exchange.perp_markets)]

    def samples(self, market_index: int) -> tuple[BalSample, ...]:
        """The market's samples, oldest first (the performance chart's points)."""
        return tuple(self._samples.get(market_index, ()))

    def lp_performance(self, market_index: int, window_seconds: int) -> dict:
        """Performance of one share over the last `window_seconds` up to the latest sample.

        The window starts at the latest sample at or before `latest.ts - window_seconds` (the
        first sample when the history is shorter; `covered_seconds` says what was covered).
        `return_pct = 100 * (index_end - index_start) / share_value_start`, where
        `share_value_start` is the value of the liquidity one share represents at the window
        start: its slice of both reserves at the oracle,
        `(base_asset_reserve * oracle + quote_asset_reserve * peg) / 1e9 / sqrt_k` per 1e9 share
        units (quote 1e6). `apr_pct = return_pct * 365 days / covered_seconds` (simple, not
        compounded; 0 over an empty span). The same split for the components:
        `fees_and_inventory_pct` and `funding_pct` sum to `return_pct`.

        Returns a dict: market_index, window_seconds, start_ts, end_ts, covered_seconds,
        index_start_quote, index_end_quote, index_change_quote, fees_and_inventory_change_quote,
        funding_change_quote, share_value_start_quote (integers, quote 1e6) and return_pct,
        apr_pct, fees_and_inventory_pct, funding_pct (floats). Raises InvalidAmount for a
        negative window or a market without samples.
        """
        if not isinstance(window_seconds, int) or window_seconds < 0:
            raise InvalidAmount(
                f"window_seconds must be a non-negative integer, got {window_seconds!r}"
            )
        samples = self._samples.get(market_index)
        if not samples:
            raise InvalidAmount(f"no BAL samples recorded for perp market {market_index}")
        end = samples[-1]
        start = samples[0]
        for sample in reversed(samples):
            if sample.ts <= end.ts - window_seconds:
                start = sample
                break
        covered = end.ts - start.ts
        index_change = end.index_quote - start.index_quote
        fai_change = end.fees_and_inventory_quote - start.fees_and_inventory_quote
        funding_change = end.funding_quote - start.funding_quote
        value = start.share_value_quote

        def pct(amount: int) -> float:
            return 100.0 * amount / value if value > 0 else 0.0

        return_pct = pct(index_change)
        return {
            "market_index": market_index,
            "window_seconds": window_seconds,
            "start_ts": start.ts,
            "end_ts": end.ts,
            "covered_seconds": covered,
            "index_start_quote": start.index_quote,
            "index_end_quote": end.index_quote,
            "index_change_quote": index_change,
            "fees_and_inventory_change_quote": fai_change,
            "funding_change_quote": funding_change,
            "share_value_start_quote": value,
            "return_pct": return_pct,
            "apr_pct": return_pct * ONE_YEAR / covered if covered > 0 else 0.0,
            "fees_and_inventory_pct": pct(fai_change),
            "funding_pct": pct(funding_change),
        }

    def lp_performance_7d(self, market_index: int) -> dict:
        """`lp_performance` over 7 days: the page's 7D figure."""
        return self.lp_performance(market_index, SEVEN_DAYS)

    def lp_performance_30d(self, market_index: int) -> dict:
        """`lp_performance` over 30 days: the page's 30D figure (the BAL markets table)."""
        return self.lp_performance(market_index, THIRTY_DAYS)
