"""Unrealized and claimable pnl of positions, and the users' net pnl against a market.

Quote amounts and pnl in QUOTE_PRECISION (1e6), base in BASE_PRECISION (1e9), prices in
PRICE_PRECISION (1e6). Signed divisions truncate toward zero as Rust's do.

Source: programs/drift/src/state/user.rs (PerpPosition pnl), programs/drift/src/math/amm.rs
(calculate_net_user_pnl), programs/drift/src/controller/pnl.rs (pnl pool excess)
"""

from __future__ import annotations

from ballast.drift.constants import PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO
from ballast.drift.errors import InvalidOracle
from ballast.drift.math.position import calculate_base_asset_value_with_oracle_price
from ballast.drift.math.spot_balance import get_token_amount
from ballast.drift.state.perp_market import AMM
from ballast.drift.state.spot_market import SpotBalanceType, SpotMarket
from ballast.drift.state.user import PerpPosition
from ballast.fixed import div_floor, div_trunc

__all__ = [
    "get_unrealized_pnl",
    "get_claimable_pnl",
    "calculate_net_user_pnl",
    "calculate_max_pnl_pool_excess",
    "get_max_withdraw_for_market_with_token_amount",
]


def get_unrealized_pnl(position: PerpPosition, oracle_price: int) -> int:
    """Unrealized pnl (1e6) at the oracle: quote +/- |base| x max(oracle, 0) / 1e9 (value floored).

    A flat position's pnl is its quote_asset_amount.

    Source: programs/drift/src/math/position.rs::calculate_base_asset_value_and_pnl_with_oracle_price
    """
    base = position.base_asset_amount
    if base == 0:
        return position.quote_asset_amount
    value = calculate_base_asset_value_with_oracle_price(base, oracle_price)
    return position.quote_asset_amount + value if base > 0 else position.quote_asset_amount - value


def get_claimable_pnl(position: PerpPosition, oracle_price: int, pnl_pool_excess: int) -> int:
    """Pnl (1e6) the position may settle now.

    Negative pnl is claimable in full. Positive pnl is capped at the part already realized by
    reducing or closing (max(quote - quote_entry, 0)) plus any positive pnl pool excess.

    Source: programs/drift/src/state/user.rs::PerpPosition::get_claimable_pnl
    """
    unrealized_pnl = get_unrealized_pnl(position, oracle_price)
    if unrealized_pnl <= 0:
        return unrealized_pnl
    max_positive_pnl = max(position.quote_asset_amount - position.quote_entry_amount, 0) + max(
        pnl_pool_excess, 0
    )
    return min(unrealized_pnl, max_positive_pnl)


def calculate_net_user_pnl(amm: AMM, oracle_price: int) -> int:
    """What all users would collectively withdraw at `oracle_price` (1e6; positive = users win).

    trunc((base_with_amm + base_with_unsettled_lp) x oracle / 1e9) + quote_asset_amount
    + quote_asset_amount_with_unsettled_lp + net_unsettled_funding_pnl.
    Raises InvalidOracle for a non-positive price.

    Source: programs/drift/src/math/amm.rs::calculate_net_user_pnl
    """
    if oracle_price <= 0:
        raise InvalidOracle(f"net user pnl needs a positive oracle price, got {oracle_price}")
    net_user_base_asset_value = div_trunc(
        (amm.base_asset_amount_with_amm + amm.base_asset_amount_with_unsettled_lp) * oracle_price,
        PRICE_TIMES_AMM_TO_QUOTE_PRECISION_RATIO,
    )
    return (
        net_user_base_asset_value
        + amm.quote_asset_amount
        + amm.quote_asset_amount_with_unsettled_lp
        + amm.net_unsettled_funding_pnl
    )


def calculate_max_pnl_pool_excess(
    pnl_pool_token_amount: int, fee_pool_token_amount: int, net_user_pnl: int
) -> int:
    """Pool money (1e6) beyond what users are collectively owed, usable for unrealized gains.

    available = pnl pool + floor(fee pool / 5); excess = available - max(net_user_pnl, 0) when
    net_user_pnl < available, else 0.

    Source: programs/drift/src/controller/pnl.rs::settle_pnl (max_pnl_pool_excess)
    """
    pnl_tokens_available = pnl_pool_token_amount + div_floor(fee_pool_token_amount, 5)
    if net_user_pnl < pnl_tokens_available:
        return pnl_tokens_available - max(net_user_pnl, 0)
    return 0


def get_max_withdraw_for_market_with_token_amount(spot_market: SpotMarket, token_amount: int) -> int:
    """Most tokens a balance of signed `token_amount` may lose without leaving Drift (token units).

    The balance's own deposit (if positive) plus the market's borrow headroom. With
    L = min(deposits, deposit_token_twap) the borrow cap is
    min(max(guard, min(max(L/3, borrow_token_twap + L/5), L - L/14)), max_token_borrows), where
    max_token_borrows = max_token_deposits x max_token_borrows_fraction / 1e4 (uncapped when the
    fraction is 0); headroom = min(max(cap - borrows, 0), max(deposits - borrows, 0)), further
    capped at max_token_borrows - borrows when the fraction is set. Floors throughout. This is the
    `is_leaving_drift = false` form used by settle_pnl (no utilization limits, main pool).

    Source: programs/drift/src/math/spot_withdraw.rs::get_max_withdraw_for_market_with_token_amount
    """
    deposit_token_amount = get_token_amount(
        spot_market.deposit_balance, spot_market, SpotBalanceType.Deposit
    )
    borrow_token_amount = get_token_amount(
        spot_market.borrow_balance, spot_market, SpotBalanceType.Borrow
    )
    max_withdraw_amount = max(token_amount, 0)
    guard = spot_market.withdraw_guard_threshold
    lesser_deposit_amount = min(deposit_token_amount, spot_market.deposit_token_twap)
    max_borrow_token = max(
        guard,
        min(
            max(
                div_floor(lesser_deposit_amount, 3),
                spot_market.borrow_token_twap + div_floor(lesser_deposit_amount, 5),
            ),
            lesser_deposit_amount - div_floor(lesser_deposit_amount, 14),
        ),
    )
    fraction = spot_market.max_token_borrows_fraction
    max_token_borrows = (
        div_floor(spot_market.max_token_deposits * fraction, 10_000) if fraction > 0 else None
    )
    if max_token_borrows is not None:
        max_borrow_token = min(max_borrow_token, max_token_borrows)
    borrow_limit = min(
        max(max_borrow_token - borrow_token_amount, 0),
        max(deposit_token_amount - borrow_token_amount, 0),
    )
    if max_token_borrows is not None:
        borrow_limit = min(borrow_limit, max(max_token_borrows - borrow_token_amount, 0))
    return max_withdraw_amount + borrow_limit
