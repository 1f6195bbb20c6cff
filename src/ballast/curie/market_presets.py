"""Real Perpetual Protocol v2 ("Curie") market configurations on Optimism, each value sourced.

Field names match the scenario keys of `ballast.sim.scenario.CurieParams`, so a preset can be
spread into one (`CurieParams(**preset.curie_params())`). Units: `uniswap_fee_tier` in pips
(1e6 = 100%; 3000 = 0.3%); every `*_ratio` and `max_funding_rate` in millionths (1e6 = 100%);
`twap_interval` seconds; `max_tick_crossed_within_block` Uniswap ticks (1 tick = 1 bp of price);
`start_price_usd` USD.

Sources:

- METADATA: npm package @perp/curie-deployments 2023.4.12-1681295833590, file
  optimism/core/metadata.json (chainId 10): the vETH/vBTC/vSOL pools' addresses, base and quote
  (vUSD) token addresses and the UniswapV3Factory 0x1F98431c8aD98523631AE4a59f267346ea31F984.
  The fee tier is not listed; it is recovered by recomputing each pool's CREATE2 address
  keccak256(0xff ++ factory ++ keccak256(abi.encode(token0, token1, fee)) ++ POOL_INIT_CODE_HASH)
  for fee in {100, 500, 3000, 10000}: every one of the 20 Optimism pools matches fee 3000 only.
- CH_CONFIG: perp-curie-contract d520bd8e contracts/ClearingHouseConfig.sol::initialize (the
  deployment defaults), MarketRegistry.sol `_DEFAULT_MAX_MARKET_PRICE_SPREAD_RATIO`.
- Perp support docs: support.perp.com/trading-on-perp-v2/trading-fees-and-gas-fees ("0.10% on
  all trades ... makers earn 80% of fees while the rest goes towards the insurance fund"),
  support.perp.com/hc/en-us/articles/8019923856665-Insurance-Fund ("liquidated when the margin
  ratio is below 6.25%", "20% of the trading fees accrue to the insurance fund (passed via this
  governance vote)"), docs.perp.fi/trading-on-perp-v2/managing-risk ("allows up to 10x
  leverage"), v2docs.perp.fi/perp-v2-specs (price change limit "250 ticks (roughly 2.5%) per
  timestamp (15 seconds)" when reducing or closing).

The engine has no `max_tick_crossed_within_block` (the reference's per-block tick limit); the
field is carried for completeness.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["CurieMarketPreset", "CURIE_MARKET_PRESETS"]

_CURIE_PARAM_FIELDS = (
    "uniswap_fee_tier",
    "exchange_fee_ratio",
    "insurance_fund_fee_ratio",
    "max_price_spread_ratio",
    "im_ratio",
    "mm_ratio",
    "liquidation_penalty_ratio",
    "max_funding_rate",
    "twap_interval",
)


@dataclass(frozen=True)
class CurieMarketPreset:
    """One Curie market as deployed on Optimism.

    Units: `uniswap_fee_tier` pips (1e6 = 100%); `exchange_fee_ratio`,
    `insurance_fund_fee_ratio`, `max_price_spread_ratio`, `im_ratio`, `mm_ratio`,
    `liquidation_penalty_ratio`, `max_funding_rate` millionths (1e6 = 100%); `twap_interval`
    seconds; `max_tick_crossed_within_block` ticks; `start_price_usd` USD.
    """

    name: str
    uniswap_fee_tier: int
    exchange_fee_ratio: int
    insurance_fund_fee_ratio: int
    max_price_spread_ratio: int
    im_ratio: int
    mm_ratio: int
    liquidation_penalty_ratio: int
    max_funding_rate: int
    twap_interval: int
    max_tick_crossed_within_block: int
    start_price_usd: float

    def curie_params(self) -> dict[str, int]:
        """The values that are `CurieParams` scenario keys."""
        values = asdict(self)
        return {key: values[key] for key in _CURIE_PARAM_FIELDS}


def _optimism(name: str, start_price_usd: float) -> CurieMarketPreset:
    # Curie's risk parameters are protocol-wide (ClearingHouseConfig) and its fee settings were set
    # alike for every market, so the Optimism markets share all values but the price.
    return CurieMarketPreset(
        name=name,
        uniswap_fee_tier=3000,  # Source: METADATA pool address = CREATE2(factory, base, vUSD, fee 3000) for vETH/vBTC/vSOL (and all 20 pools)
        exchange_fee_ratio=1000,  # Source: support.perp.com trading-fees-and-gas-fees "Taker Fees 0.10% on all trades"
        insurance_fund_fee_ratio=200_000,  # Source: support.perp.com Insurance-Fund "20% of the trading fees accrue to the insurance fund"; trading-fees page "makers earn 80%"
        max_price_spread_ratio=100_000,  # Source: MarketRegistry.sol _DEFAULT_MAX_MARKET_PRICE_SPREAD_RATIO 0.1e6 (CHANGELOG 2.4.5 "defaulting to the index price +/- 10%"). Assumption: no per-market override on Optimism found
        im_ratio=100_000,  # Source: docs.perp.fi managing-risk "allows up to 10x leverage"; CH_CONFIG initialize _imRatio 0.1e6
        mm_ratio=62_500,  # Source: support.perp.com Insurance-Fund "liquidated when the margin ratio is below 6.25%"; CH_CONFIG _mmRatio 0.0625e6
        liquidation_penalty_ratio=25_000,  # Source: CH_CONFIG initialize _liquidationPenaltyRatio 0.025e6. Assumption: no later setLiquidationPenaltyRatio on Optimism found in a stored source
        max_funding_rate=100_000,  # Source: CH_CONFIG initialize _maxFundingRate 0.1e6 (10%/day). Assumption: not changed on Optimism (no stored source)
        twap_interval=900,  # Source: CH_CONFIG initialize _twapInterval 15 minutes. Assumption: unchanged on Optimism (v2docs perp-v2-specs quotes a 7-minute TWAP for the index price used in account value; it does not say whether that is this interval)
        max_tick_crossed_within_block=250,  # Source: v2docs.perp.fi/perp-v2-specs "250 ticks (roughly 2.5%) per timestamp (15 seconds)" (Exchange._maxTickCrossedWithinBlockMap)
        start_price_usd=start_price_usd,
    )


CURIE_MARKET_PRESETS: dict[str, CurieMarketPreset] = {
    # Assumption (start prices): no stored Optimism price snapshot; each uses the oracle reading of
    # the matching Drift preset (ballast/drift/market_presets.py) so side-by-side runs start level.
    "vETH": _optimism("vETH", 4296.661678),  # Source: Drift ETH-PERP mainnet account (2025-08-11) last_oracle_price
    "vBTC": _optimism("vBTC", 120_003.893646),  # Source: Drift BTC-PERP mainnet account (2025-07-14) last_oracle_price
    "vSOL": _optimism("vSOL", 143.7982025),  # Source: Drift SOL PythLazer oracle account (2025-06-24) in math/orders/tests.rs
}
