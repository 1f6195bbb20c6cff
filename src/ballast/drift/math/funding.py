"""Funding: the long/short split with the protocol's capped share, and funding payments.

Funding rates and cumulative rates in FUNDING_RATE_PRECISION (1e9 = 1 quote per 1 base),
base 1e9, quote 1e6, prices 1e6. Pure: the reference's `calculate_funding_rate_long_short`
writes total_fee_minus_distributions and net_revenue_since_last_funding; here it returns their
new values for the controller to store.

Source: programs/drift/src/math/funding.rs
"""

from __future__ import annotations

from ballast.drift.constants import (
    AMM_TO_QUOTE_PRECISION_RATIO,
    FUNDING_RATE_PRECISION,
    QUOTE_TO_BASE_AMT_FUNDING_PRECISION,
)
from ballast.drift.errors import InvalidFundingProfitability
from ballast.drift.math.repeg import calculate_fee_pool, get_total_fee_lower_bound
from ballast.drift.state.perp_market import ContractTier, PerpMarket
from ballast.drift.state.user import PerpPosition
from ballast.fixed import cast_i64, div_floor, div_trunc

__all__ = [
    "calculate_funding_rate_long_short",
    "calculate_capped_funding_rate",
    "calculate_funding_rate_from_pnl_limit",
    "calculate_funding_payment",
    "calculate_funding_payment_in_quote_precision",
    "_calculate_funding_payment",
    "get_max_price_divergence_for_funding_rate",
]

_SAFEST_TIERS = (ContractTier.A, ContractTier.B)


def calculate_funding_rate_long_short(
    market: PerpMarket, funding_rate: int
) -> tuple[int, int, int, int, int]:
    """Split `funding_rate` (1e9) into the rates longs and shorts accrue.

    The protocol holds the other side of the users' net position, counted as
    base_asset_amount_with_amm + base_asset_amount_with_unsettled_lp (it carries the unsettled LP
    inventory). `uncapped_funding_pnl = -payment_in_quote(rate, net)` is what it would receive.
    Receiving (>= 0): both sides get `funding_rate` and tfmd / nrslf grow by it. Paying: it pays
    at most a third of the fee pool (calculate_capped_funding_rate); the paying side keeps
    `funding_rate`, the receiving side gets the capped rate, tfmd grows by the (negative) capped
    pnl and nrslf shrinks by its magnitude. Raises InvalidFundingProfitability when a non-zero
    capped pnl would take tfmd below the retained half of exchange fees.

    Returns (funding_rate_long, funding_rate_short, uncapped_funding_pnl (quote 1e6),
    new total_fee_minus_distributions, new net_revenue_since_last_funding).

    Source: programs/drift/src/math/funding.rs::calculate_funding_rate_long_short
    """
    amm = market.amm
    settled_net_market_position = (
        amm.base_asset_amount_with_amm + amm.base_asset_amount_with_unsettled_lp
    )
    uncapped_funding_pnl = -calculate_funding_payment_in_quote_precision(
        funding_rate, settled_net_market_position
    )
    if uncapped_funding_pnl >= 0:
        return (
            funding_rate,
            funding_rate,
            uncapped_funding_pnl,
            amm.total_fee_minus_distributions + uncapped_funding_pnl,
            cast_i64(amm.net_revenue_since_last_funding + uncapped_funding_pnl),
        )

    capped_funding_rate, capped_funding_pnl = calculate_capped_funding_rate(
        market, uncapped_funding_pnl, funding_rate
    )
    new_total_fee_minus_distributions = amm.total_fee_minus_distributions + capped_funding_pnl
    if capped_funding_pnl != 0:
        lower_bound = get_total_fee_lower_bound(market)
        if new_total_fee_minus_distributions < lower_bound:
            raise InvalidFundingProfitability(
                f"new total_fee_minus_distributions={new_total_fee_minus_distributions} < "
                f"total_fee_minus_distributions_lower_bound={lower_bound} "
                f"(funding_rate={funding_rate}, capped_funding_pnl={capped_funding_pnl})"
            )
    new_net_revenue = cast_i64(amm.net_revenue_since_last_funding - abs(capped_funding_pnl))
    funding_rate_long = capped_funding_rate if funding_rate < 0 else funding_rate
    funding_rate_short = capped_funding_rate if funding_rate > 0 else funding_rate
    return (
        funding_rate_long,
        funding_rate_short,
        uncapped_funding_pnl,
        new_total_fee_minus_distributions,
        new_net_revenue,
    )


def calculate_capped_funding_rate(
    market: PerpMarket, uncapped_funding_pnl: int, funding_rate: int
) -> tuple[int, int]:
    """(capped_funding_rate 1e9, capped_funding_pnl quote 1e6) when the protocol would pay.

    The protocol spends at most `limit = -trunc(fee_pool / 3)`; capped pnl =
    max(uncapped, limit). When the cap binds, the receiving side's rate is what the paying
    side's payment plus that limit can fund: limit2 = limit - |payment of the paying side|,
    spread over the receiving side's base (calculate_funding_rate_from_pnl_limit); otherwise the
    rate is unchanged.

    Source: programs/drift/src/math/funding.rs::calculate_capped_funding_rate
    """
    amm = market.amm
    funding_rate_pnl_limit = -div_trunc(calculate_fee_pool(market), 3)
    capped_funding_pnl = max(uncapped_funding_pnl, funding_rate_pnl_limit)
    if uncapped_funding_pnl < funding_rate_pnl_limit:
        funding_payment_from_users = calculate_funding_payment_in_quote_precision(
            funding_rate,
            amm.base_asset_amount_long if funding_rate > 0 else amm.base_asset_amount_short,
        )
        funding_rate_pnl_limit -= abs(funding_payment_from_users)
        capped_funding_rate = calculate_funding_rate_from_pnl_limit(
            funding_rate_pnl_limit,
            amm.base_asset_amount_long if funding_rate < 0 else amm.base_asset_amount_short,
        )
    else:
        capped_funding_rate = funding_rate
    return capped_funding_rate, capped_funding_pnl


def calculate_funding_rate_from_pnl_limit(pnl_limit: int, base_asset_amount: int) -> int:
    """Rate (1e9) paying `pnl_limit` (quote 1e6) over `base_asset_amount` (1e9):
    trunc(pnl_limit' * 1e12 / base), with a negative limit first moved 1 toward zero; 0 for
    no base.

    Source: programs/drift/src/math/funding.rs::calculate_funding_rate_from_pnl_limit
    """
    if base_asset_amount == 0:
        return 0
    pnl_limit_biased = pnl_limit + 1 if pnl_limit < 0 else pnl_limit
    return div_trunc(pnl_limit_biased * QUOTE_TO_BASE_AMT_FUNDING_PRECISION, base_asset_amount)


def calculate_funding_payment(amm_cumulative_funding_rate: int, market_position: PerpPosition) -> int:
    """Funding (quote 1e6) owed to (+) or by (-) a position since its last settlement: the
    payment of the rate change for its base, truncated from 1e9 to 1e6. Hot path.

    Source: programs/drift/src/math/funding.rs::calculate_funding_payment
    """
    funding_rate_delta = amm_cumulative_funding_rate - market_position.last_cumulative_funding_rate
    if funding_rate_delta == 0:
        return 0
    return cast_i64(
        div_trunc(
            _calculate_funding_payment(funding_rate_delta, market_position.base_asset_amount),
            AMM_TO_QUOTE_PRECISION_RATIO,
        )
    )


def calculate_funding_payment_in_quote_precision(
    funding_rate_delta: int, base_asset_amount: int
) -> int:
    """Funding payment (quote 1e6) for `base_asset_amount` (1e9) over a rate change (1e9):
    `_calculate_funding_payment` truncated by 1e3.

    Source: programs/drift/src/math/funding.rs::calculate_funding_payment_in_quote_precision
    """
    return div_trunc(
        _calculate_funding_payment(funding_rate_delta, base_asset_amount),
        AMM_TO_QUOTE_PRECISION_RATIO,
    )


def _calculate_funding_payment(funding_rate_delta: int, base_asset_amount: int) -> int:
    """Payment in 1e9 quote: floor(|delta| * |base| / 1e6 / 1e3) (one floor by 1e9 is the same),
    negative for longs when the rate rose (longs pay), sign flipped when it fell (a zero delta
    counts as a fall).

    Source: programs/drift/src/math/funding.rs::_calculate_funding_payment
    """
    magnitude = div_floor(abs(funding_rate_delta) * abs(base_asset_amount), FUNDING_RATE_PRECISION)
    if (base_asset_amount > 0) == (funding_rate_delta > 0):
        return -magnitude
    return magnitude


def get_max_price_divergence_for_funding_rate(market: PerpMarket, oracle_price_twap: int) -> int:
    """Largest |mark twap - oracle twap| (1e6) funding may use: trunc(oracle_twap / 33) for tier
    A and B, / 20 for C, / 10 otherwise.

    Source: programs/drift/src/state/perp_market.rs::PerpMarket::get_max_price_divergence_for_funding_rate
    """
    tier = market.contract_tier
    if tier in _SAFEST_TIERS:
        return div_trunc(oracle_price_twap, 33)
    if tier is ContractTier.C:
        return div_trunc(oracle_price_twap, 20)
    return div_trunc(oracle_price_twap, 10)
