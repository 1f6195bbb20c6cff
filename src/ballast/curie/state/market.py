"""Per-market state: the virtual Uniswap v3 pool, Curie's own fee and funding accumulators, the
outside values of every initialized tick, and the audit ledger.

Source: contracts/MarketRegistry.sol (MarketInfo), contracts/OrderBook.sol
(_feeGrowthGlobalX128Map, _growthOutsideTickMap), contracts/Exchange.sol
(_globalFundingGrowthX96Map, _lastSettledTimestampMap, _firstTradedTimestampMap),
contracts/lib/Tick.sol, contracts/lib/Funding.sol
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ballast.curie.univ3.pool import UniswapV3Pool


@dataclass(slots=True)
class MarketInfo:
    """A market's pool and fee parameters (ratios in 1e6).

    `uniswap_fee_ratio` is the pool's fee tier; `exchange_fee_ratio` is the fee Curie charges
    takers instead; `insurance_fund_fee_ratio` is the insurance fund's share of that fee;
    `max_price_spread_ratio` bounds |market - index| / index when adding liquidity (CH_OMPS).

    Source: contracts/interface/IMarketRegistry.sol::MarketInfo
    """

    pool: UniswapV3Pool = field(default_factory=UniswapV3Pool)
    exchange_fee_ratio: int = 0
    insurance_fund_fee_ratio: int = 0
    uniswap_fee_ratio: int = 0
    max_price_spread_ratio: int = 100_000


@dataclass(slots=True)
class TickInfo:
    """Curie's outside values of one initialized pool tick (Tick.GrowthInfo).

    `fee_x128`: quote fee growth outside (uint256, wrapping); `tw_premium_x96` and
    `tw_premium_div_by_sqrt_price_x96`: funding growth outside (int256, no wrapping).

    Source: contracts/lib/Tick.sol::GrowthInfo
    """

    fee_x128: int = 0
    tw_premium_x96: int = 0
    tw_premium_div_by_sqrt_price_x96: int = 0


@dataclass(slots=True, frozen=True)
class FundingGrowth:
    """Global funding growth: Σ premium·Δt (X96) and Σ premium·Δt / sqrtPrice (X96), int256.

    Source: contracts/lib/Funding.sol::Growth
    """

    tw_premium_x96: int = 0
    tw_premium_div_by_sqrt_price_x96: int = 0


@dataclass(slots=True, frozen=True)
class FundingGrowthRangeInfo:
    """Funding growth of a tick range (X96, int256).

    Source: contracts/lib/Tick.sol::FundingGrowthRangeInfo
    """

    tw_premium_growth_inside_x96: int = 0
    tw_premium_growth_below_x96: int = 0
    tw_premium_div_by_sqrt_price_growth_inside_x96: int = 0


@dataclass(slots=True)
class MarketLedger:
    """Explicit ledger lines that let `ClearingHouse.audit()` balance every virtual token.

    Not reference state: each line books a value the reference moves implicitly (all 18 dec).
    * `pool_fee_base` / `pool_fee_quote`: what the pool kept beyond the trader's booked amount on
      each swap (the Uniswap fee the exchanged amounts are rescaled by, and its rounding).
    * `exact_output_residue_base` / `_quote`: exact-side amount reported minus the pool's actual
      amount for exact-output swaps (|.| < 10 per swap; UniswapV3Broker `_DUST`).
    * `dust_base` / `dust_quote`: taker balances (|x| < 10 wei) deleted at deregistration.
    * `maker_fee_charged` / `maker_fee_realized`: the makers' share of exchange fees put into
      fee growth, and the part already moved to owed realized pnl.
    * `funding_paid`: Σ funding payments settled (positive: accounts paid more than received).
    """

    pool_fee_base: int = 0
    pool_fee_quote: int = 0
    exact_output_residue_base: int = 0
    exact_output_residue_quote: int = 0
    dust_base: int = 0
    dust_quote: int = 0
    maker_fee_charged: int = 0
    maker_fee_realized: int = 0
    funding_paid: int = 0


@dataclass(slots=True)
class MarketState:
    """One market (one base token): pool, parameters, Curie accumulators, tick outside values.

    `fee_growth_global_x128`: makers' quote fee per unit liquidity (uint256, wrapping).
    `funding_growth_global`: stored at most once per timestamp; `last_settled_timestamp` and
    `first_traded_timestamp` are unix seconds (0 = never).

    Source: contracts/OrderBook.sol, contracts/Exchange.sol (storage), contracts/interface/IMarketRegistry.sol::MarketInfo
    """

    base_token: str = ""
    info: MarketInfo = field(default_factory=MarketInfo)
    fee_growth_global_x128: int = 0
    funding_growth_global: FundingGrowth = field(default_factory=FundingGrowth)
    last_settled_timestamp: int = 0
    first_traded_timestamp: int = 0
    tick_infos: dict[int, TickInfo] = field(default_factory=dict)
    ledger: MarketLedger = field(default_factory=MarketLedger)

    @property
    def pool(self) -> UniswapV3Pool:
        """The market's virtual vBASE/vUSD pool (base = token0, quote = token1)."""
        return self.info.pool
