"""ClearingHouseConfig: the protocol-wide risk parameters.

Ratios are in millionths (1e6 = 100 %), intervals in seconds.

Source: contracts/ClearingHouseConfig.sol (initialize defaults), contracts/MarketRegistry.sol
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class ClearingHouseConfig:
    """Protocol parameters with the reference's deployment defaults.

    `settlement_token_balance_cap` is the Vault's cap on its USDC balance (6 decimals). The
    reference initialises it to 0 and the owner raises it before any deposit; here `None`
    means "no cap" so that a default engine accepts deposits (set an int to enforce V_GTSTBC).

    Source: contracts/ClearingHouseConfig.sol::initialize, contracts/Vault.sol (cap)
    """

    im_ratio: int = 100_000  # initial margin, 10 %
    mm_ratio: int = 62_500  # maintenance margin, 6.25 %
    liquidation_penalty_ratio: int = 25_000  # 2.5 %
    max_funding_rate: int = 100_000  # 10 % per day
    twap_interval: int = 900  # funding and price-spread TWAP, seconds
    mark_price_market_twap_interval: int = 1800
    mark_price_premium_interval: int = 900
    max_markets_per_account: int = 255
    max_orders_per_market: int = 255  # MarketRegistry default
    settlement_token_balance_cap: int | None = None
