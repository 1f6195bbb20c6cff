"""Ready-made exchanges for the demo, the benchmarks and tests: USDC collateral and a SOL-PERP.

Prices are given in dollars for readability and converted to PRICE_PRECISION (1e6) here.
"""

from __future__ import annotations

from ballast.drift.constants import (
    AMM_RESERVE_PRECISION,
    BASE_PRECISION,
    ONE_HOUR,
    PEG_PRECISION,
    PRICE_PRECISION,
    QUOTE_PRECISION,
)
from ballast.drift.exchange import Exchange
from ballast.drift.state.perp_market import ContractTier

__all__ = ["GENESIS_TS", "new_exchange", "add_perp_market", "fund_user"]

GENESIS_TS = 1_700_000_000  # 2023-11-14T22:13:20Z, an arbitrary deterministic start


def new_exchange(now: int = GENESIS_TS) -> Exchange:
    """An exchange at `now` with the USDC quote spot market (index 0) initialised."""
    exchange = Exchange()
    exchange.update_clock(now)
    exchange.initialize_spot_market()
    return exchange


def add_perp_market(
    exchange: Exchange,
    price_dollars: int,
    base_liquidity: int = 100_000,
    name: str = "SOL-PERP",
    base_spread: int = 1000,
    max_spread: int = 50_000,
    curve_update_intensity: int = 0,
    margin_ratio_initial: int = 1000,
    margin_ratio_maintenance: int = 500,
    liquidator_fee: int = 10_000,
    if_liquidation_fee: int = 10_000,
) -> int:
    """Add a perp market whose vAMM holds `base_liquidity` base units (sqrt_k) at the peg.

    Defaults: 10x initial / 20x maintenance, 0.1% base spread, 5% max spread, 1% liquidator and
    1% insurance-fund liquidation fees, hourly funding, step 0.01 base, tick $0.0001.
    Returns the market index.
    """
    market_index = exchange.state.number_of_markets
    reserves = base_liquidity * AMM_RESERVE_PRECISION
    exchange.initialize_perp_market(
        market_index=market_index,
        amm_base_asset_reserve=reserves,
        amm_quote_asset_reserve=reserves,
        amm_periodicity=ONE_HOUR,
        amm_peg_multiplier=price_dollars * PEG_PRECISION,
        oracle_price=price_dollars * PRICE_PRECISION,
        margin_ratio_initial=margin_ratio_initial,
        margin_ratio_maintenance=margin_ratio_maintenance,
        liquidator_fee=liquidator_fee,
        if_liquidation_fee=if_liquidation_fee,
        base_spread=base_spread,
        max_spread=max_spread,
        order_step_size=BASE_PRECISION // 100,
        order_tick_size=100,
        min_order_size=BASE_PRECISION // 100,
        concentration_coef_scale=1,
        curve_update_intensity=curve_update_intensity,
        contract_tier=ContractTier.B,
        name=name,
    )
    return market_index


def fund_user(exchange: Exchange, authority: str, usdc_dollars: int, sub_account_id: int = 0) -> None:
    """Create the subaccount if needed and deposit `usdc_dollars` of USDC into it."""
    if f"{authority}/{sub_account_id}" not in exchange.users:
        exchange.initialize_user(authority, sub_account_id)
    exchange.deposit(authority, sub_account_id, 0, usdc_dollars * QUOTE_PRECISION)
