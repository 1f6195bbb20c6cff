"""Real Drift v2 perp market configurations, each value with its source.

Every value below was read from a mainnet `PerpMarket` account that the reference repository
stores as a base64 string in one of its Rust tests, decoded with the zero-copy layout of
`programs/drift/src/state/perp_market.rs` (8-byte Anchor discriminator, then the `repr(C)` fields;
1216 bytes in all), or from the Drift documentation. Where neither gives a value it is marked
`# Assumption: <why>`.

The accounts used (R = drift-labs/protocol-v2 at the pinned 7c265f81090e62b2cf176df030f421045373a85e
unless a commit is named):

- SOL_2024: R programs/drift/src/controller/position/tests.rs:1438, test `test_quote_unsettled_lp`,
  SOL-PERP (market 0), last_trade_ts 1713797195 (2024-04-22), the newest SOL-PERP account in R.
- BTC_2025: R programs/drift/src/controller/position/tests.rs:781, test
  `amm_ref_price_offset_decay_logic` ("sample btc market"), BTC-PERP (market 1), last_trade_ts
  1752524759 (2025-07-14).
- ETH_2025: drift-labs/protocol-v2 commit a515ff4e62e5db020e9b3a62d4dfc696e3452ff0 (branch
  bigz/expand-pool-test-suite, 2025-08-11), programs/drift/src/controller/pnl/tests.rs, test
  `user_settle_pnl_e`, ETH-PERP (market 2), last_trade_ts 1754938537 (2025-08-11). No ETH-PERP
  account exists in the pinned tree; this one is a month before the pin.
- WIF_2025: R programs/drift/src/controller/position/tests.rs:77, test
  `amm_pool_balance_liq_fees_example`, WIF-PERP (market 23), last_trade_ts 1741799029 (2025-03-12).
- BONK_2024: R programs/drift/src/math/lp/tests.rs:277, `mod test` fn `test`, 1MBONK-PERP
  (market 4), last_trade_ts 1706814903 (2024-02-01), status Active.
- SOL_LAZER: R programs/drift/src/math/orders/tests.rs:3024 (`swift_failure`), the SOL
  PythLazerOracle account 3m6i4RFWEDw2Ft4tFHPJtYgmpPe21k56M3FHeWYrgGBz: price 14379820250e-8,
  conf 1396121e-8, publish_time 2025-06-24.

Units (the reference's precisions): spreads 1e6 (PERCENTAGE_PRECISION, 1000 = 10 bps), margin
ratios 1e4 (MARGIN_PRECISION, 1000 = 10% = 10x), imf_factor 1e6, unrealized-PnL asset weights
1e4 (SPOT_WEIGHT_PRECISION), liquidation fees 1e6 (LIQUIDATOR_FEE_PRECISION), order step and
minimum size in base 1e9, tick size in price 1e6. `base_liquidity_base`, `max_open_interest_base`
are whole base units (sqrt_k and max_open_interest divided by 1e9, rounded down), dollar
amounts are floats in USD, `oracle_confidence_bps` is the confidence as basis points of the
price (the account's `amm.last_oracle_conf_pct`, 1e6 precision, divided by 100 and rounded).

`PERP_MARKET_EXTRAS` keeps further fields of the same accounts that `initialize_perp_market`
does not take (concentration scale, BAL state, per-market fee adjustment, ...);
`FEE_STRUCTURE_SOURCE` and `ORACLE_GUARD_RAILS_SOURCE` say how the engine's exchange-wide
defaults compare with the reference and with mainnet.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "PerpMarketPreset",
    "PerpMarketExtras",
    "PERP_MARKET_PRESETS",
    "PERP_MARKET_EXTRAS",
    "FEE_STRUCTURE_SOURCE",
    "ORACLE_GUARD_RAILS_SOURCE",
]


@dataclass(frozen=True)
class PerpMarketPreset:
    """One perp market's configuration as on Drift mainnet.

    Units: `start_price_usd` USD; `base_liquidity_base` whole base units of vAMM sqrt_k;
    `base_spread`, `max_spread`, `imf_factor`, `liquidator_fee`, `if_liquidation_fee` 1e6;
    `margin_ratio_*` 1e4 (MARGIN_PRECISION); `unrealized_pnl_*_asset_weight` 1e4
    (SPOT_WEIGHT_PRECISION); `curve_update_intensity`, `amm_jit_intensity` 0..=200;
    `contract_tier` a ContractTier member name; `order_step_size`, `min_order_size` base 1e9;
    `order_tick_size` price 1e6; `funding_period_seconds` seconds; `max_open_interest_base` whole
    base units (0 = no cap); `quote_max_insurance_usd`, `max_revenue_withdraw_per_period_usd`
    USD; `oracle_confidence_bps` basis points of the price.
    """

    name: str
    start_price_usd: float
    base_liquidity_base: int
    base_spread: int
    max_spread: int
    margin_ratio_initial: int
    margin_ratio_maintenance: int
    imf_factor: int
    unrealized_pnl_initial_asset_weight: int
    unrealized_pnl_maintenance_asset_weight: int
    liquidator_fee: int
    if_liquidation_fee: int
    curve_update_intensity: int
    amm_jit_intensity: int
    contract_tier: str
    order_step_size: int
    order_tick_size: int
    min_order_size: int
    funding_period_seconds: int
    max_open_interest_base: int
    quote_max_insurance_usd: float
    max_revenue_withdraw_per_period_usd: float
    oracle_confidence_bps: int


@dataclass(frozen=True)
class PerpMarketExtras:
    """Further fields of the same mainnet accounts (not parameters of `initialize_perp_market`
    except `concentration_coef_scale`).

    Units: `concentration_coef_scale` the admin scale s with concentration_coef =
    1e6 + (1_414_200 - 1e6) // s; `user_lp_shares_base` whole BAL shares (1e9 units / 1e9);
    `target_base_asset_amount_per_lp` base 1e9; `unrealized_pnl_imf_factor` 1e6;
    `unrealized_pnl_max_imbalance_usd` USD; `max_fill_reserve_fraction` divisor of the reserves;
    `fee_adjustment` percent added to every fee (-100 = fee-free); `high_leverage_margin_ratio_*`
    1e4 (0 = high-leverage mode off); `oracle_source` the OracleSource member name;
    `snapshot_ts` the account's `last_trade_ts`; `fee_pool_usd` USD, the USDC held by the AMM fee
    pool (`amm.fee_pool.scaled_balance`, SPOT_BALANCE_PRECISION 1e9, times the USDC spot market's
    `cumulative_deposit_interest` / 1e10, as `get_token_amount` in math/spot_balance.rs);
    `total_fee_minus_distributions_usd` USD, `amm.total_fee_minus_distributions` (quote 1e6).

    No USDC SpotMarket account is stored with any of these perp accounts, so the deposit interest
    is an estimate: USDC `cumulative_deposit_interest` from the USDC SpotMarket accounts that R's
    history does store (last_interest_ts 2023-06-28 1.0067482030 (state/user.rs, 6f44eb0af9),
    2024-08-13 1.0850749933 (controller/pnl/tests.rs, decc987b33), 2024-12-20 1.1235976377
    (controller/liquidation/tests.rs), 2025-06-24 1.1583068761 (math/orders/tests.rs `swift_failure`),
    2026-03-10 1.2010470919 (math/repeg/tests.rs, e2b7115587)), interpolated geometrically in time
    to the snapshot. The interest only grows, so the two bracketing points bound the true amount;
    each comment gives that range.
    """

    snapshot_ts: int
    concentration_coef_scale: int
    per_lp_base: int
    user_lp_shares_base: float
    target_base_asset_amount_per_lp: int
    unrealized_pnl_imf_factor: int
    unrealized_pnl_max_imbalance_usd: float
    max_fill_reserve_fraction: int
    fee_adjustment: int
    high_leverage_margin_ratio_initial: int
    high_leverage_margin_ratio_maintenance: int
    oracle_source: str
    fee_pool_usd: float
    total_fee_minus_distributions_usd: float


PERP_MARKET_PRESETS: dict[str, PerpMarketPreset] = {
    "SOL-PERP": PerpMarketPreset(
        name="SOL-PERP",  # Source: SOL_2024 name; sdk/src/constants/perpMarkets.ts MainnetPerpMarkets marketIndex 0
        start_price_usd=143.7982025,  # Source: SOL_LAZER price 14379820250e-8 (2025-06-24, the newest SOL price in the pinned tree; SOL_2024 itself read 153.762254)
        base_liquidity_base=4_722_349,  # Source: SOL_2024 amm.sqrt_k 4722349324853188
        base_spread=750,  # Source: SOL_2024 amm.base_spread
        max_spread=11_500,  # Source: SOL_2024 amm.max_spread
        margin_ratio_initial=1000,  # Source: SOL_2024 margin_ratio_initial (10x)
        margin_ratio_maintenance=500,  # Source: SOL_2024 margin_ratio_maintenance
        imf_factor=200,  # Source: SOL_2024 imf_factor
        unrealized_pnl_initial_asset_weight=0,  # Source: SOL_2024 unrealized_pnl_initial_asset_weight
        unrealized_pnl_maintenance_asset_weight=10_000,  # Source: SOL_2024 unrealized_pnl_maintenance_asset_weight
        liquidator_fee=7500,  # Source: SOL_2024 liquidator_fee
        if_liquidation_fee=12_500,  # Source: SOL_2024 if_liquidation_fee
        curve_update_intensity=100,  # Source: SOL_2024 amm.curve_update_intensity
        amm_jit_intensity=200,  # Source: SOL_2024 amm.amm_jit_intensity
        contract_tier="B",  # Source: SOL_2024 contract_tier (1 = B)
        order_step_size=100_000_000,  # Source: SOL_2024 amm.order_step_size (0.1 SOL)
        order_tick_size=100,  # Source: SOL_2024 amm.order_tick_size ($0.0001)
        min_order_size=100_000_000,  # Source: SOL_2024 amm.min_order_size
        funding_period_seconds=3600,  # Source: SOL_2024 amm.funding_period
        max_open_interest_base=850_000,  # Source: SOL_2024 amm.max_open_interest 850000000000000
        quote_max_insurance_usd=999_999.999999,  # Source: SOL_2024 insurance_claim.quote_max_insurance 999999999999
        max_revenue_withdraw_per_period_usd=500.0,  # Source: SOL_2024 insurance_claim.max_revenue_withdraw_per_period 500000000
        oracle_confidence_bps=1,  # Source: SOL_LAZER conf/price = 0.97 bps (SOL_2024's Pyth-push amm.last_oracle_conf_pct was 1887 = 19 bps)
    ),
    "BTC-PERP": PerpMarketPreset(
        name="BTC-PERP",  # Source: BTC_2025 name; sdk/src/constants/perpMarkets.ts marketIndex 1
        start_price_usd=120_003.893646,  # Source: BTC_2025 amm.historical_oracle_data.last_oracle_price 120003893646
        base_liquidity_base=89_443,  # Source: BTC_2025 amm.sqrt_k 89443066477761
        base_spread=20,  # Source: BTC_2025 amm.base_spread
        max_spread=1500,  # Source: BTC_2025 amm.max_spread
        margin_ratio_initial=500,  # Source: BTC_2025 margin_ratio_initial (20x)
        margin_ratio_maintenance=300,  # Source: BTC_2025 margin_ratio_maintenance
        imf_factor=1900,  # Source: BTC_2025 imf_factor
        unrealized_pnl_initial_asset_weight=0,  # Source: BTC_2025 unrealized_pnl_initial_asset_weight
        unrealized_pnl_maintenance_asset_weight=10_000,  # Source: BTC_2025 unrealized_pnl_maintenance_asset_weight
        liquidator_fee=5000,  # Source: BTC_2025 liquidator_fee
        if_liquidation_fee=7500,  # Source: BTC_2025 if_liquidation_fee
        curve_update_intensity=100,  # Source: BTC_2025 amm.curve_update_intensity
        amm_jit_intensity=100,  # Source: BTC_2025 amm.amm_jit_intensity
        contract_tier="A",  # Source: BTC_2025 contract_tier (0 = A)
        order_step_size=100_000,  # Source: BTC_2025 amm.order_step_size (0.0001 BTC)
        order_tick_size=100_000,  # Source: BTC_2025 amm.order_tick_size ($0.10)
        min_order_size=100_000,  # Source: BTC_2025 amm.min_order_size
        funding_period_seconds=3600,  # Source: BTC_2025 amm.funding_period
        max_open_interest_base=3500,  # Source: BTC_2025 amm.max_open_interest 3500000000000
        quote_max_insurance_usd=999_999.999999,  # Source: BTC_2025 insurance_claim.quote_max_insurance 999999999999
        max_revenue_withdraw_per_period_usd=100.0,  # Source: BTC_2025 insurance_claim.max_revenue_withdraw_per_period 100000000
        oracle_confidence_bps=1,  # Source: BTC_2025 amm.last_oracle_conf_pct 111 (1.11 bps)
    ),
    "ETH-PERP": PerpMarketPreset(
        name="ETH-PERP",  # Source: ETH_2025 name; sdk/src/constants/perpMarkets.ts marketIndex 2
        start_price_usd=4296.661678,  # Source: ETH_2025 amm.historical_oracle_data.last_oracle_price 4296661678
        base_liquidity_base=1_296_359,  # Source: ETH_2025 amm.sqrt_k 1296359298466352
        base_spread=175,  # Source: ETH_2025 amm.base_spread
        max_spread=1000,  # Source: ETH_2025 amm.max_spread
        margin_ratio_initial=500,  # Source: ETH_2025 margin_ratio_initial (20x)
        margin_ratio_maintenance=300,  # Source: ETH_2025 margin_ratio_maintenance
        imf_factor=250,  # Source: ETH_2025 imf_factor
        unrealized_pnl_initial_asset_weight=0,  # Source: ETH_2025 unrealized_pnl_initial_asset_weight
        unrealized_pnl_maintenance_asset_weight=10_000,  # Source: ETH_2025 unrealized_pnl_maintenance_asset_weight
        liquidator_fee=5000,  # Source: ETH_2025 liquidator_fee
        if_liquidation_fee=7500,  # Source: ETH_2025 if_liquidation_fee
        curve_update_intensity=100,  # Source: ETH_2025 amm.curve_update_intensity
        amm_jit_intensity=0,  # Source: ETH_2025 amm.amm_jit_intensity (the AMM does not JIT-make on ETH)
        contract_tier="B",  # Source: ETH_2025 contract_tier (1 = B)
        order_step_size=1_000_000,  # Source: ETH_2025 amm.order_step_size (0.001 ETH)
        order_tick_size=10_000,  # Source: ETH_2025 amm.order_tick_size ($0.01)
        min_order_size=1_000_000,  # Source: ETH_2025 amm.min_order_size
        funding_period_seconds=3600,  # Source: ETH_2025 amm.funding_period
        max_open_interest_base=50_000,  # Source: ETH_2025 amm.max_open_interest 50000000000000
        quote_max_insurance_usd=999_999.999999,  # Source: ETH_2025 insurance_claim.quote_max_insurance 999999999999
        max_revenue_withdraw_per_period_usd=100.0,  # Source: ETH_2025 insurance_claim.max_revenue_withdraw_per_period 100000000
        oracle_confidence_bps=2,  # Source: ETH_2025 amm.last_oracle_conf_pct 194 (1.94 bps)
    ),
    "WIF-PERP": PerpMarketPreset(
        name="WIF-PERP",  # Source: WIF_2025 name; sdk/src/constants/perpMarkets.ts marketIndex 23
        start_price_usd=0.456435,  # Source: WIF_2025 amm.historical_oracle_data.last_oracle_price 456435
        base_liquidity_base=5_868_870,  # Source: WIF_2025 amm.sqrt_k 5868870939254590
        base_spread=250,  # Source: WIF_2025 amm.base_spread
        max_spread=12_500,  # Source: WIF_2025 amm.max_spread
        margin_ratio_initial=2500,  # Source: WIF_2025 margin_ratio_initial (4x)
        margin_ratio_maintenance=1250,  # Source: WIF_2025 margin_ratio_maintenance
        imf_factor=100,  # Source: WIF_2025 imf_factor
        unrealized_pnl_initial_asset_weight=0,  # Source: WIF_2025 unrealized_pnl_initial_asset_weight
        unrealized_pnl_maintenance_asset_weight=10_000,  # Source: WIF_2025 unrealized_pnl_maintenance_asset_weight
        liquidator_fee=25_000,  # Source: WIF_2025 liquidator_fee
        if_liquidation_fee=50_000,  # Source: WIF_2025 if_liquidation_fee
        curve_update_intensity=100,  # Source: WIF_2025 amm.curve_update_intensity
        amm_jit_intensity=100,  # Source: WIF_2025 amm.amm_jit_intensity
        contract_tier="Speculative",  # Source: WIF_2025 contract_tier (3 = Speculative)
        order_step_size=1_000_000_000,  # Source: WIF_2025 amm.order_step_size (1 WIF)
        order_tick_size=100,  # Source: WIF_2025 amm.order_tick_size ($0.0001)
        min_order_size=5_000_000_000,  # Source: WIF_2025 amm.min_order_size (5 WIF)
        funding_period_seconds=3600,  # Source: WIF_2025 amm.funding_period
        max_open_interest_base=8_000_000,  # Source: WIF_2025 amm.max_open_interest 8000000000000000
        quote_max_insurance_usd=0.0,  # Source: WIF_2025 insurance_claim.quote_max_insurance 0 (Speculative: no insurance)
        max_revenue_withdraw_per_period_usd=0.0,  # Source: WIF_2025 insurance_claim.max_revenue_withdraw_per_period 0
        oracle_confidence_bps=6,  # Source: WIF_2025 amm.last_oracle_conf_pct 584 (5.84 bps)
    ),
    "1MBONK-PERP": PerpMarketPreset(
        name="1MBONK-PERP",  # Source: BONK_2024 name; sdk/src/constants/perpMarkets.ts marketIndex 4 (price of 1M BONK)
        start_price_usd=10.7104,  # Source: BONK_2024 amm.historical_oracle_data.last_oracle_price 10710400
        base_liquidity_base=1_608_633,  # Source: BONK_2024 amm.sqrt_k 1608633850343795
        base_spread=4500,  # Source: BONK_2024 amm.base_spread
        max_spread=100_000,  # Source: BONK_2024 amm.max_spread
        margin_ratio_initial=2500,  # Source: BONK_2024 margin_ratio_initial (4x)
        margin_ratio_maintenance=1500,  # Source: BONK_2024 margin_ratio_maintenance
        imf_factor=550,  # Source: BONK_2024 imf_factor
        unrealized_pnl_initial_asset_weight=0,  # Source: BONK_2024 unrealized_pnl_initial_asset_weight
        unrealized_pnl_maintenance_asset_weight=10_000,  # Source: BONK_2024 unrealized_pnl_maintenance_asset_weight
        liquidator_fee=25_000,  # Source: BONK_2024 liquidator_fee
        if_liquidation_fee=50_000,  # Source: BONK_2024 if_liquidation_fee
        curve_update_intensity=100,  # Source: BONK_2024 amm.curve_update_intensity
        amm_jit_intensity=200,  # Source: BONK_2024 amm.amm_jit_intensity
        contract_tier="Speculative",  # Source: BONK_2024 contract_tier (3 = Speculative)
        order_step_size=100_000_000,  # Source: BONK_2024 amm.order_step_size (0.1 unit)
        order_tick_size=100,  # Source: BONK_2024 amm.order_tick_size ($0.0001)
        min_order_size=500_000_000,  # Source: BONK_2024 amm.min_order_size
        funding_period_seconds=3600,  # Source: BONK_2024 amm.funding_period
        max_open_interest_base=500_000,  # Source: BONK_2024 amm.max_open_interest 500000000000000
        quote_max_insurance_usd=0.0,  # Source: BONK_2024 insurance_claim.quote_max_insurance 0 (Speculative: no insurance)
        max_revenue_withdraw_per_period_usd=0.0,  # Source: BONK_2024 insurance_claim.max_revenue_withdraw_per_period 0
        oracle_confidence_bps=18,  # Source: BONK_2024 amm.last_oracle_conf_pct 1829 (18.29 bps)
    ),
}


PERP_MARKET_EXTRAS: dict[str, PerpMarketExtras] = {
    "SOL-PERP": PerpMarketExtras(
        snapshot_ts=1_713_797_195,  # Source: SOL_2024 amm.last_trade_ts
        concentration_coef_scale=50,  # Source: SOL_2024 amm.concentration_coef 1008284 = 1e6 + 414200 // 50
        per_lp_base=3,  # Source: SOL_2024 amm.per_lp_base
        user_lp_shares_base=626_003.666666668,  # Source: SOL_2024 amm.user_lp_shares 626003666666668 (13% of sqrt_k)
        target_base_asset_amount_per_lp=-565_000_000,  # Source: SOL_2024 amm.target_base_asset_amount_per_lp
        unrealized_pnl_imf_factor=0,  # Source: SOL_2024 unrealized_pnl_imf_factor
        unrealized_pnl_max_imbalance_usd=100.0,  # Source: SOL_2024 unrealized_pnl_max_imbalance 100000000
        max_fill_reserve_fraction=2500,  # Source: SOL_2024 amm.max_fill_reserve_fraction
        fee_adjustment=0,  # Source: SOL_2024 fee_adjustment
        high_leverage_margin_ratio_initial=0,  # Source: SOL_2024 high_leverage_margin_ratio_initial
        high_leverage_margin_ratio_maintenance=0,  # Source: SOL_2024 high_leverage_margin_ratio_maintenance
        oracle_source="Pyth",  # Source: SOL_2024 amm.oracle_source 0
        fee_pool_usd=4_589_185.45,  # Source: SOL_2024 amm.fee_pool.scaled_balance 4317285936253716 x USDC deposit interest 1.06298 (Assumption: interpolated; bounds 1.00675-1.08507 give $4,346,420-$4,684,579)
        total_fee_minus_distributions_usd=6_225_991.766882,  # Source: SOL_2024 amm.total_fee_minus_distributions 6225991766882
    ),
    "BTC-PERP": PerpMarketExtras(
        snapshot_ts=1_752_524_759,  # Source: BTC_2025 amm.last_trade_ts
        concentration_coef_scale=500,  # Source: BTC_2025 amm.concentration_coef 1000828 = 1e6 + 414200 // 500
        per_lp_base=0,  # Source: BTC_2025 amm.per_lp_base
        user_lp_shares_base=72.5056,  # Source: BTC_2025 amm.user_lp_shares 72505600000 (0.08% of sqrt_k)
        target_base_asset_amount_per_lp=-450_000_000,  # Source: BTC_2025 amm.target_base_asset_amount_per_lp
        unrealized_pnl_imf_factor=0,  # Source: BTC_2025 unrealized_pnl_imf_factor
        unrealized_pnl_max_imbalance_usd=100.0,  # Source: BTC_2025 unrealized_pnl_max_imbalance 100000000
        max_fill_reserve_fraction=1500,  # Source: BTC_2025 amm.max_fill_reserve_fraction
        fee_adjustment=-100,  # Source: BTC_2025 fee_adjustment (fee-free at the snapshot)
        high_leverage_margin_ratio_initial=99,  # Source: BTC_2025 high_leverage_margin_ratio_initial
        high_leverage_margin_ratio_maintenance=66,  # Source: BTC_2025 high_leverage_margin_ratio_maintenance
        oracle_source="PythLazer",  # Source: BTC_2025 amm.oracle_source 12
        fee_pool_usd=2_287_148.69,  # Source: BTC_2025 amm.fee_pool.scaled_balance 1968963433990855 x USDC deposit interest 1.16160 (Assumption: interpolated; bounds 1.15831-1.20105 give $2,280,664-$2,364,818)
        total_fee_minus_distributions_usd=3_197_625.857233,  # Source: BTC_2025 amm.total_fee_minus_distributions 3197625857233
    ),
    "ETH-PERP": PerpMarketExtras(
        snapshot_ts=1_754_938_537,  # Source: ETH_2025 amm.last_trade_ts
        concentration_coef_scale=200,  # Source: ETH_2025 amm.concentration_coef 1002071 = 1e6 + 414200 // 200
        per_lp_base=0,  # Source: ETH_2025 amm.per_lp_base
        user_lp_shares_base=859.2,  # Source: ETH_2025 amm.user_lp_shares 859200000000 (0.07% of sqrt_k)
        target_base_asset_amount_per_lp=-125_000_000,  # Source: ETH_2025 amm.target_base_asset_amount_per_lp
        unrealized_pnl_imf_factor=0,  # Source: ETH_2025 unrealized_pnl_imf_factor
        unrealized_pnl_max_imbalance_usd=100.0,  # Source: ETH_2025 unrealized_pnl_max_imbalance 100000000
        max_fill_reserve_fraction=1500,  # Source: ETH_2025 amm.max_fill_reserve_fraction
        fee_adjustment=-100,  # Source: ETH_2025 fee_adjustment (fee-free at the snapshot)
        high_leverage_margin_ratio_initial=99,  # Source: ETH_2025 high_leverage_margin_ratio_initial
        high_leverage_margin_ratio_maintenance=66,  # Source: ETH_2025 high_leverage_margin_ratio_maintenance
        oracle_source="PythLazer",  # Source: ETH_2025 amm.oracle_source 12
        fee_pool_usd=1_822_261.12,  # Source: ETH_2025 amm.fee_pool.scaled_balance 1562628137786033 x USDC deposit interest 1.16615 (Assumption: interpolated; bounds 1.15831-1.20105 give $1,810,003-$1,876,790)
        total_fee_minus_distributions_usd=2_353_262.186853,  # Source: ETH_2025 amm.total_fee_minus_distributions 2353262186853
    ),
    "WIF-PERP": PerpMarketExtras(
        snapshot_ts=1_741_799_029,  # Source: WIF_2025 amm.last_trade_ts
        concentration_coef_scale=5,  # Source: WIF_2025 amm.concentration_coef 1082840 = 1e6 + 414200 // 5
        per_lp_base=3,  # Source: WIF_2025 amm.per_lp_base
        user_lp_shares_base=172_224.0,  # Source: WIF_2025 amm.user_lp_shares 172224000000000 (2.9% of sqrt_k)
        target_base_asset_amount_per_lp=0,  # Source: WIF_2025 amm.target_base_asset_amount_per_lp
        unrealized_pnl_imf_factor=100,  # Source: WIF_2025 unrealized_pnl_imf_factor
        unrealized_pnl_max_imbalance_usd=0.0,  # Source: WIF_2025 unrealized_pnl_max_imbalance 0
        max_fill_reserve_fraction=100,  # Source: WIF_2025 amm.max_fill_reserve_fraction
        fee_adjustment=0,  # Source: WIF_2025 fee_adjustment
        high_leverage_margin_ratio_initial=1000,  # Source: WIF_2025 high_leverage_margin_ratio_initial
        high_leverage_margin_ratio_maintenance=500,  # Source: WIF_2025 high_leverage_margin_ratio_maintenance
        oracle_source="PythLazer",  # Source: WIF_2025 amm.oracle_source 12
        fee_pool_usd=1_537_075.44,  # Source: WIF_2025 amm.fee_pool.scaled_balance 1349764971875250 x USDC deposit interest 1.13877 (Assumption: interpolated; bounds 1.12360-1.15831 give $1,516,593-$1,563,442)
        total_fee_minus_distributions_usd=1_276_488.25205,  # Source: WIF_2025 amm.total_fee_minus_distributions 1276488252050 (above total_fee: the field also moves with funding, repeg/k costs and insurance top-ups)
    ),
    "1MBONK-PERP": PerpMarketExtras(
        snapshot_ts=1_706_814_903,  # Source: BONK_2024 amm.last_trade_ts
        concentration_coef_scale=20,  # Source: BONK_2024 amm.concentration_coef 1020710 = 1e6 + 414200 // 20
        per_lp_base=4,  # Source: BONK_2024 amm.per_lp_base
        user_lp_shares_base=779_023.533333335,  # Source: BONK_2024 amm.user_lp_shares 779023533333335 (48% of sqrt_k)
        target_base_asset_amount_per_lp=0,  # Source: BONK_2024 amm.target_base_asset_amount_per_lp
        unrealized_pnl_imf_factor=750,  # Source: BONK_2024 unrealized_pnl_imf_factor
        unrealized_pnl_max_imbalance_usd=0.0,  # Source: BONK_2024 unrealized_pnl_max_imbalance 0
        max_fill_reserve_fraction=500,  # Source: BONK_2024 amm.max_fill_reserve_fraction
        fee_adjustment=0,  # Source: BONK_2024 fee_adjustment
        high_leverage_margin_ratio_initial=0,  # Source: BONK_2024 high_leverage_margin_ratio_initial
        high_leverage_margin_ratio_maintenance=0,  # Source: BONK_2024 high_leverage_margin_ratio_maintenance
        oracle_source="Pyth1M",  # Source: BONK_2024 amm.oracle_source 4
        fee_pool_usd=347_430.57,  # Source: BONK_2024 amm.fee_pool.scaled_balance 331685102453393 x USDC deposit interest 1.04747 (Assumption: interpolated; bounds 1.00675-1.08507 give $333,923-$359,903)
        total_fee_minus_distributions_usd=472_209.423659,  # Source: BONK_2024 amm.total_fee_minus_distributions 472209423659
    ),
}


FEE_STRUCTURE_SOURCE = (
    "Engine FeeStructure() (ballast/drift/state/state.py) equals the reference's "
    "FeeStructure::perps_default (programs/drift/src/state/state.rs:235): tiers 0-5 taker "
    "100/90/80/70/60/50 per 100_000 (10/9/8/7/6/5 bps; the reference's comments mislabel tiers 1, "
    "2 and 5 as 8, 6 and 3.5 bps), maker rebate 20/100_000 (2 bps), referrer reward 15%, referee "
    "discount 5%, filler reward 10% with a 10_000 (1 cent) time-based floor, flat_filler_fee "
    "10_000, referrer_reward_epoch_upper_bound 150_000 USDC. Only difference: the engine keeps 6 "
    "tiers, the reference 10 (tiers 6-9 all zero, never selected). perps_default is NOT the "
    "mainnet schedule: docs.drift.trade/trading/trading-fees (latest version) lists tier 0 "
    "taker 3.5 bps / maker -0.25 bps down to VIP 2.0 bps / -0.25 bps, with DRIFT-staking "
    "discounts; earlier versions list 10 bps / -2 bps (= perps_default) and then -1 bps makers. "
    "Mainnet accounts also carry per-market fee_adjustment (BTC-PERP and ETH-PERP -100 = fee-free "
    "in Jul/Aug 2025; see PERP_MARKET_EXTRAS). No mainnet State account is stored in the reference "
    "repository, so the exact on-chain tiers at the pinned commit are not available."
)

ORACLE_GUARD_RAILS_SOURCE = (
    "Engine OracleGuardRails() equals the reference's OracleGuardRails::default "
    "(programs/drift/src/state/state.rs:141): mark_oracle_percent_divergence 10% and "
    "oracle_twap_5min_percent_divergence 50% (1e6), slots_before_stale_for_amm 10, "
    "slots_before_stale_for_margin 120, confidence_interval_max_size 20_000 (2%), "
    "too_volatile_ratio 5. Mainnet: docs.drift.trade/oracles states stale 10/120 slots and a 5x "
    "too-volatile ratio, which match. Assumption: the mainnet confidence_interval_max_size and "
    "price-divergence values are not published in a stored source (the reference's own tests "
    "built from mainnet accounts use confidence_interval_max_size 1000 or 20_000); the default is "
    "kept."
)
