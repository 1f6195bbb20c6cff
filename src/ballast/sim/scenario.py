"""A backtest scenario: pydantic v2 models read from TOML.

Every model forbids unknown keys and is frozen. `load_scenario(path)` turns a
`pydantic.ValidationError` into a `ScenarioError` whose message names each offending key path
(e.g. `agents.2.arrivals_per_hour`) and the bad value. `dump_scenario` writes the resolved
scenario (defaults filled in) back to TOML.

Units are in the key names where not obvious: `_usd` dollars, `_base` base units (SOL),
`_pct` percent, `_day` / `_days` days since the start, `_seconds`, `_minutes`. Engine
parameters (spreads, fees, margin ratios) are the engine's integers (1e6 for spreads and fees,
1e4 for margin ratios) and keep the engine's names.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from ballast.curie.market_presets import CURIE_MARKET_PRESETS
from ballast.drift.market_presets import PERP_MARKET_EXTRAS, PERP_MARKET_PRESETS, PerpMarketPreset

__all__ = [
    "ScenarioError",
    "describe_validation_error",
    "Scenario",
    "MarketConfig",
    "MarketOverrides",
    "VenueConfig",
    "CurieParams",
    "InsuranceFundConfig",
    "GbmOracle",
    "CsvOracle",
    "VolRegime",
    "ScheduledMove",
    "Arbitrageur",
    "NoiseTaker",
    "TrendFollower",
    "BalProvider",
    "CurieMaker",
    "InsuranceStaker",
    "SpotMaker",
    "SpotTaker",
    "PythonAgent",
    "KeepersConfig",
    "HealthConfig",
    "OutputsConfig",
]


class ScenarioError(ValueError):
    """A scenario that cannot run; the message names the key path and the bad value."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


PositiveFloat = Annotated[float, Field(gt=0)]
# An account's dollars: positive and at most a trillion, far above any real account and within
# what the engine's u64 token amounts (quote 1e6: $18.4 trillion) hold with everyone else's.
MAX_ACCOUNT_USD = 1e12
AccountUsd = Annotated[float, Field(gt=0, le=MAX_ACCOUNT_USD)]
NonNegFloat = Annotated[float, Field(ge=0)]


# --- oracle paths -----------------------------------------------------------------------------


class VolRegime(_Model):
    """From `start_day` on (until the next regime), annualised volatility `vol_annual_pct`."""

    start_day: NonNegFloat = 0.0
    vol_annual_pct: NonNegFloat = 80.0


class ScheduledMove(_Model):
    """A deterministic move of `change_pct` (e.g. -90) spread evenly (in log) over
    `over_minutes`, starting at `at_day`: a crash or a squeeze on a known date."""

    at_day: NonNegFloat
    change_pct: Annotated[float, Field(gt=-100)]
    over_minutes: Annotated[int, Field(ge=1)] = 1


class GbmOracle(_Model):
    """Seeded geometric Brownian motion with Poisson jumps, volatility regimes and scheduled
    moves (see `ballast.sim.paths.gbm_path`)."""

    kind: Literal["gbm"] = "gbm"
    start_price_usd: PositiveFloat = 100.0
    drift_annual_pct: float = 0.0
    regimes: tuple[VolRegime, ...] = (VolRegime(),)
    jumps_per_day: NonNegFloat = 0.0
    jump_mean_pct: float = 0.0
    jump_std_pct: NonNegFloat = 5.0
    scheduled_moves: tuple[ScheduledMove, ...] = ()

    @field_validator("regimes")
    @classmethod
    def _regimes_sorted(cls, regimes: tuple[VolRegime, ...]) -> tuple[VolRegime, ...]:
        if not regimes:
            raise ValueError("at least one volatility regime is needed")
        if regimes[0].start_day != 0:
            raise ValueError(f"the first regime must start at day 0, got {regimes[0].start_day}")
        for a, b in zip(regimes, regimes[1:], strict=False):
            if b.start_day <= a.start_day:
                raise ValueError(f"regimes must have increasing start_day, got {a.start_day} then {b.start_day}")
        return regimes


class CsvOracle(_Model):
    """Prices from a CSV file of `timestamp,price` rows (unix seconds, dollars), sorted,
    positive, with no gap above `max_gap_seconds`. A relative path is taken from the scenario
    file's folder. The price at a step is the last row at or before it."""

    kind: Literal["csv"] = "csv"
    path: str
    max_gap_seconds: Annotated[int, Field(ge=1)] = 300


# --- markets and venues -----------------------------------------------------------------------


ContractTierName = Literal["A", "B", "C", "Speculative", "HighlySpeculative", "Isolated"]

# Ballast's synthetic market (not a real one): a 100,000-base vAMM at $100 with the repeg,
# dynamic spreads and formulaic k switched off (curve_update_intensity 0, the mode a market is
# bootstrapped in). Only used when a scenario names it: `preset = "drift/bootstrap"`.
BOOTSTRAP_PRESET = PerpMarketPreset(
    name="bootstrap", start_price_usd=100.0, base_liquidity_base=100_000, base_spread=1000,
    max_spread=50_000, margin_ratio_initial=1000, margin_ratio_maintenance=500, imf_factor=0,
    unrealized_pnl_initial_asset_weight=0, unrealized_pnl_maintenance_asset_weight=10_000,
    liquidator_fee=10_000, if_liquidation_fee=10_000, curve_update_intensity=0, amm_jit_intensity=0,
    contract_tier="B", order_step_size=10_000_000, order_tick_size=100, min_order_size=10_000_000,
    funding_period_seconds=3600, max_open_interest_base=0, quote_max_insurance_usd=0.0,
    max_revenue_withdraw_per_period_usd=0.0, oracle_confidence_bps=1,
)


def drift_preset(name: str) -> tuple[PerpMarketPreset, dict[str, Any]]:
    """The preset named `drift/<market>` (or `drift/bootstrap`) and the scenario keys its
    account's further fields give (concentration scale, the fee pool it held);
    ValueError listing the known names otherwise."""
    if name == "drift/bootstrap":
        return BOOTSTRAP_PRESET, {"concentration_coef_scale": 1, "initial_fee_pool_usd": 0.0, "per_lp_base": 0}
    market = name.removeprefix("drift/")
    if not name.startswith("drift/") or market not in PERP_MARKET_PRESETS:
        known = ", ".join(["drift/bootstrap"] + [f"drift/{m}" for m in PERP_MARKET_PRESETS])
        raise ValueError(f"unknown market preset {name!r} (known: {known})")
    extras = PERP_MARKET_EXTRAS[market]
    return PERP_MARKET_PRESETS[market], {"concentration_coef_scale": extras.concentration_coef_scale,
                                         "initial_fee_pool_usd": extras.fee_pool_usd,
                                         "per_lp_base": extras.per_lp_base}


# the engine parameters a preset supplies (every PerpMarketPreset field but its name and price)
_PRESET_KEYS = tuple(f.name for f in fields(PerpMarketPreset) if f.name not in ("name", "start_price_usd"))


class MarketConfig(_Model):
    """A perp market: the engine's parameters (ints in engine units) and its oracle path.

    `preset` names a real market configuration (ballast.drift.market_presets, each value with
    its source): "drift/SOL-PERP", "drift/BTC-PERP", "drift/ETH-PERP", "drift/WIF-PERP",
    "drift/1MBONK-PERP", or "drift/bootstrap" (Ballast's synthetic market with the repeg off).
    Without `preset`, the market's `name` picks it ("drift/<name>"); a name without a preset
    must name one. Every key given in the scenario overrides the preset's value; the resolved
    scenario (scenario.resolved.toml) shows every value used. A GBM oracle without
    `start_price_usd` starts at the preset's price.

    Units as in the engine: spreads, imf_factor and liquidation fees 1e6; margin ratios and
    unrealized-pnl asset weights 1e4; order_step_size and min_order_size base 1e9,
    order_tick_size price 1e6; `base_liquidity_base` the vAMM's sqrt_k in whole base units;
    `max_open_interest_base` whole base units (0 = no cap); `lp_fee_slice` the BAL fee slice
    (None = the reference's 8/10). `initial_fee_pool_usd` is paid into the market's fee pool at
    the start (`deposit_into_perp_market_fee_pool`): a preset starts with the fee pool its
    mainnet account held, the budget its repeg and k changes draw on; a new market (bootstrap)
    starts with none. `per_lp_base` is the decimal exponent of the BAL per-LP accumulators'
    unit (1e9 x 10^per_lp_base shares; mainnet SOL-PERP ran 3): with a deep vAMM, a small
    fill's fee per share would otherwise truncate to zero.
    """

    name: str = "SOL-PERP"
    preset: str = "drift/SOL-PERP"
    base_liquidity_base: Annotated[int, Field(ge=1)]
    base_spread: Annotated[int, Field(ge=0)]
    max_spread: Annotated[int, Field(ge=0)]
    margin_ratio_initial: Annotated[int, Field(ge=1)]
    margin_ratio_maintenance: Annotated[int, Field(ge=1)]
    imf_factor: Annotated[int, Field(ge=0, le=1_000_000)]
    unrealized_pnl_initial_asset_weight: Annotated[int, Field(ge=0, le=10_000)]
    unrealized_pnl_maintenance_asset_weight: Annotated[int, Field(ge=0, le=10_000)]
    liquidator_fee: Annotated[int, Field(ge=0)]
    if_liquidation_fee: Annotated[int, Field(ge=0)]
    curve_update_intensity: Annotated[int, Field(ge=0, le=200)]
    amm_jit_intensity: Annotated[int, Field(ge=0, le=200)]
    contract_tier: ContractTierName
    order_step_size: Annotated[int, Field(ge=1)]
    order_tick_size: Annotated[int, Field(ge=1)]
    min_order_size: Annotated[int, Field(ge=1)]
    funding_period_seconds: Annotated[int, Field(ge=60)]
    max_open_interest_base: Annotated[int, Field(ge=0)]
    quote_max_insurance_usd: NonNegFloat
    max_revenue_withdraw_per_period_usd: NonNegFloat
    oracle_confidence_bps: Annotated[int, Field(ge=0, le=10_000)]
    concentration_coef_scale: Annotated[int, Field(ge=1)]
    initial_fee_pool_usd: NonNegFloat
    per_lp_base: Annotated[int, Field(ge=-9, le=9)]
    lp_fee_slice: tuple[int, int] | None = None
    oracle: Annotated[GbmOracle | CsvOracle, Field(discriminator="kind")]

    @model_validator(mode="before")
    @classmethod
    def _fill_from_preset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        name = data.get("name", "SOL-PERP")
        preset_name = data.get("preset", f"drift/{name}")
        if not isinstance(preset_name, str):
            raise ValueError(f"preset must be a string such as 'drift/SOL-PERP', got {preset_name!r}")
        if "preset" not in data and f"drift/{name}" not in _known_presets():
            known = ", ".join(sorted(_known_presets()))
            raise ValueError(f"market {name!r} has no preset of its name: name one with preset = ... (known: {known})")
        preset, account_keys = drift_preset(preset_name)
        filled: dict[str, Any] = {key: getattr(preset, key) for key in _PRESET_KEYS}
        filled.update(account_keys)
        filled.update(data)
        filled["preset"] = preset_name
        oracle = filled.get("oracle", {"kind": "gbm"})
        if isinstance(oracle, dict) and oracle.get("kind", "gbm") == "gbm" and "start_price_usd" not in oracle:
            filled["oracle"] = {**oracle, "start_price_usd": preset.start_price_usd}
        return filled

    @field_validator("lp_fee_slice")
    @classmethod
    def _slice(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not (value[1] >= 1 and 0 <= value[0] <= value[1]):
            raise ValueError(f"lp_fee_slice must be [numerator, denominator] with 0 <= n <= d, d >= 1, got {list(value)}")
        return value

    @model_validator(mode="after")
    def _margins(self) -> MarketConfig:
        if self.margin_ratio_maintenance >= self.margin_ratio_initial:
            raise ValueError(f"margin_ratio_maintenance {self.margin_ratio_maintenance} must be below "
                             f"margin_ratio_initial {self.margin_ratio_initial}")
        if self.unrealized_pnl_initial_asset_weight > self.unrealized_pnl_maintenance_asset_weight:
            raise ValueError(f"unrealized_pnl_initial_asset_weight {self.unrealized_pnl_initial_asset_weight} must not "
                             f"exceed unrealized_pnl_maintenance_asset_weight {self.unrealized_pnl_maintenance_asset_weight}")
        if self.min_order_size < self.order_step_size:
            raise ValueError(f"min_order_size {self.min_order_size} must be at least order_step_size {self.order_step_size}")
        return self


def _known_presets() -> set[str]:
    return {"drift/bootstrap"} | {f"drift/{m}" for m in PERP_MARKET_PRESETS}


def _optional(name: str) -> tuple[Any, None]:
    info = MarketConfig.model_fields[name]
    if not info.metadata:
        return (info.annotation | None, None)
    return (Annotated[(info.annotation, *info.metadata)] | None, None)


# Per-venue changes to a market's engine parameters (the oracle path stays shared): every
# engine key of MarketConfig, optional.
MarketOverrides = create_model(
    "MarketOverrides",
    __base__=_Model,
    **{key: _optional(key) for key in (*_PRESET_KEYS, "concentration_coef_scale", "initial_fee_pool_usd",
                                       "per_lp_base", "lp_fee_slice")},
)


class InsuranceFundConfig(_Model):
    """The quote (USDC) market's insurance fund: revenue share factors (1e6 = 100%), the
    stakers' unstaking period and the revenue settlement period."""

    total_if_factor: Annotated[int, Field(ge=0, le=1_000_000)] = 1_000_000
    user_if_factor: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    unstaking_period_days: NonNegFloat = 13.0
    revenue_settle_period_seconds: Annotated[int, Field(ge=1)] = 3600


class CurieParams(_Model):
    """A Curie venue's market and protocol parameters (the same for every market).

    `preset` ("curie/vSOL" by default; "curie/vETH", "curie/vBTC") fills every key the
    scenario does not give with the values deployed on Optimism (ballast.curie.market_presets,
    each with its source): pool fee tier 3000, 10 bps taker fee, 20% of it to the insurance
    fund, 10x initial / 6.25% maintenance margin.

    Pool: `uniswap_fee_tier` (pips: 500, 3000 or 10000; sets the tick spacing 10, 60, 200),
    `exchange_fee_ratio` (the fee Curie charges takers, 1e6 = 100%; 1000 = 10 bps, Drift's
    default taker fee), `insurance_fund_fee_ratio` (the insurance fund's share of that fee,
    1e6), `max_price_spread_ratio` (CH_OMPS bound on adding liquidity, 1e6). Protocol
    (ClearingHouseConfig, 1e6 ratios, seconds): `im_ratio`, `mm_ratio`,
    `liquidation_penalty_ratio`, `max_funding_rate`, `twap_interval`.

    `mark_price`: "oracle" (default) sets the engine's mark price (`update_mark_price`) to the
    oracle every step, as the index; "formula" leaves it to the engine's v2.8 formula
    (median of market TWAPs and index plus premium). `taker_price_band_pct`: every taker
    order carries a price limit this far from the oracle (the reference's price band is not
    in the engine), so an order larger than the ranges can absorb fills partially instead of
    pushing the pool to its extreme price.
    """

    preset: str = "curie/vSOL"
    uniswap_fee_tier: Literal[500, 3000, 10000]
    exchange_fee_ratio: Annotated[int, Field(ge=0, lt=1_000_000)]
    insurance_fund_fee_ratio: Annotated[int, Field(ge=0, lt=1_000_000)]
    max_price_spread_ratio: Annotated[int, Field(ge=0, lt=1_000_000)]
    im_ratio: Annotated[int, Field(gt=0, le=1_000_000)]
    mm_ratio: Annotated[int, Field(gt=0, le=1_000_000)]
    liquidation_penalty_ratio: Annotated[int, Field(ge=0, lt=1_000_000)]
    max_funding_rate: Annotated[int, Field(ge=0, le=1_000_000)]
    twap_interval: Annotated[int, Field(ge=0)]
    mark_price: Literal["oracle", "formula"] = "oracle"
    taker_price_band_pct: Annotated[float, Field(gt=0, lt=100)] = 5.0

    @model_validator(mode="before")
    @classmethod
    def _fill_from_preset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        name = data.get("preset", "curie/vSOL")
        market = name.removeprefix("curie/") if isinstance(name, str) else None
        if not isinstance(name, str) or not name.startswith("curie/") or market not in CURIE_MARKET_PRESETS:
            known = ", ".join(f"curie/{m}" for m in CURIE_MARKET_PRESETS)
            raise ValueError(f"unknown Curie preset {name!r} (known: {known})")
        return {**CURIE_MARKET_PRESETS[market].curie_params(), **data, "preset": name}

    @model_validator(mode="after")
    def _ratios(self) -> CurieParams:
        if self.mm_ratio > self.im_ratio:
            raise ValueError(f"mm_ratio {self.mm_ratio} must not exceed im_ratio {self.im_ratio}")
        return self


_DRIFT_ONLY = ("lp_cooldown_seconds", "market_order_slippage_pct", "insurance_fund", "market_overrides",
               "spot_fee_to_revenue_pool")


class VenueConfig(_Model):
    """One venue the scenario runs on. `kind` "drift" is Drift v2 with BAL (its keys:
    `lp_cooldown_seconds`, `insurance_fund`, `market_overrides`, which maps a market name to
    parameter changes, and `market_order_slippage_pct`, the worst price a taker's market order
    accepts, as a percent of the oracle: 1% (Assumption: Drift's trade form lets the trader set
    this tolerance; 1% is a common setting), and `spot_fee_to_revenue_pool`: spot fills' fees go to
    the quote revenue pool (Ballast's option; the reference keeps them in the spot market's fee
    pool; see sim/venues/drift_spot.py)); "curie" is Perpetual Protocol v2 Curie with range makers (its key:
    `[venues.curie]`, see CurieParams; defaults apply when absent)."""

    name: str = "drift"
    kind: Literal["drift", "curie"] = "drift"
    lp_cooldown_seconds: Annotated[int, Field(ge=0)] = 0
    market_order_slippage_pct: Annotated[float, Field(gt=0, lt=100)] = 1.0
    insurance_fund: InsuranceFundConfig | None = None
    market_overrides: dict[str, MarketOverrides] = {}
    spot_fee_to_revenue_pool: bool = False
    curie: CurieParams | None = None

    @model_validator(mode="after")
    def _keys_of_kind(self) -> VenueConfig:
        if self.kind == "drift" and self.curie is not None:
            raise ValueError(f"venue {self.name!r}: [curie] parameters need kind = 'curie'")
        if self.kind == "curie":
            for key in _DRIFT_ONLY:
                if getattr(self, key) != type(self).model_fields[key].default:
                    raise ValueError(f"venue {self.name!r}: {key} is a Drift venue key, not valid with kind = 'curie'")
        return self

    @property
    def curie_params(self) -> CurieParams:
        """The Curie parameters (defaults when the venue gave none)."""
        return self.curie if self.curie is not None else CurieParams()


# --- agents -----------------------------------------------------------------------------------


class _Agent(_Model):
    name: str
    market: str = "SOL-PERP"
    collateral_usd: AccountUsd = 10_000.0


class Arbitrageur(_Agent):
    """Trades the mark toward the oracle when the edge beats fees; see agents.Arbitrageur.
    Every `check_every_minutes` it looks for an edge above the taker fee plus `min_edge_bps`
    and closes `close_fraction_pct` of the gap, at most `max_trade_base` per order.
    `max_position_base`: a cap on its position, a stated choice; None (the default) = no cap
    but its margin, so `collateral_usd` (default $1,000,000, enough for a few thousand base
    units at 10x) decides how much mispricing it can absorb; an order its margin refuses is
    counted as rejected ("InsufficientCollateral")."""

    kind: Literal["arbitrageur"] = "arbitrageur"
    collateral_usd: AccountUsd = 1_000_000.0
    check_every_minutes: Annotated[int, Field(ge=1)] = 5
    min_edge_bps: NonNegFloat = 5.0
    close_fraction_pct: Annotated[float, Field(gt=0, le=100)] = 50.0
    max_trade_base: PositiveFloat = 200.0
    max_position_base: PositiveFloat | None = None


class NoiseTaker(_Agent):
    """Poisson arrivals with Pareto sizes; see agents.NoiseTaker."""

    kind: Literal["noise_taker"] = "noise_taker"
    arrivals_per_hour: PositiveFloat = 20.0
    min_size_base: PositiveFloat = 0.1
    pareto_alpha: Annotated[float, Field(gt=1)] = 1.5
    max_size_base: PositiveFloat = 100.0
    max_position_base: PositiveFloat = 500.0


class TrendFollower(_Agent):
    """Leveraged trend follower (or a one-way leveraged holder); see agents.TrendFollower."""

    kind: Literal["trend_follower"] = "trend_follower"
    mode: Literal["trend", "long", "short"] = "trend"
    leverage: Annotated[float, Field(gt=0, le=20)] = 5.0
    lookback_minutes: Annotated[int, Field(ge=1)] = 240
    check_every_minutes: Annotated[int, Field(ge=1)] = 60
    threshold_pct: NonNegFloat = 1.0


class BalProvider(_Agent):
    """Adds BAL shares at `enter_at_day` and removes them at `exit_at_day`; see
    agents.BalProvider. `add_by` "amount": shares that `amount_usd` of margin supports;
    "leverage": shares using `leverage_pct` percent of free collateral."""

    kind: Literal["bal_provider"] = "bal_provider"
    enter_at_day: NonNegFloat = 0.0
    exit_at_day: NonNegFloat | None = None
    add_by: Literal["amount", "leverage"] = "amount"
    amount_usd: AccountUsd | None = None
    leverage_pct: Annotated[int, Field(ge=1, le=100)] | None = None

    @model_validator(mode="after")
    def _mode(self) -> BalProvider:
        if self.add_by == "amount" and self.amount_usd is None:
            raise ValueError("add_by = 'amount' needs amount_usd")
        if self.add_by == "leverage" and self.leverage_pct is None:
            raise ValueError("add_by = 'leverage' needs leverage_pct")
        if self.exit_at_day is not None and self.exit_at_day <= self.enter_at_day:
            raise ValueError(f"exit_at_day {self.exit_at_day} must be after enter_at_day {self.enter_at_day}")
        return self


class CurieMaker(_Agent):
    """A Curie maker (Curie venues only); see agents.CurieMaker. At `enter_at_day` it adds
    liquidity worth `amount_usd` on a range `width_ticks` wide around the pool price (aligned
    to the tick spacing); `policy` "fixed" keeps it, "recenter" removes it and adds a new one
    around the price when the price has left it (checked every `check_every_minutes`). At
    `exit_at_day` (if set) it removes its range."""

    kind: Literal["curie_maker"] = "curie_maker"
    enter_at_day: NonNegFloat = 0.0
    exit_at_day: NonNegFloat | None = None
    amount_usd: AccountUsd = 10_000.0
    width_ticks: Annotated[int, Field(ge=1, le=400_000)] = 2000
    policy: Literal["fixed", "recenter"] = "fixed"
    check_every_minutes: Annotated[int, Field(ge=1)] = 1

    @model_validator(mode="after")
    def _exit(self) -> CurieMaker:
        if self.exit_at_day is not None and self.exit_at_day <= self.enter_at_day:
            raise ValueError(f"exit_at_day {self.exit_at_day} must be after enter_at_day {self.enter_at_day}")
        return self


class InsuranceStaker(_Agent):
    """Stakes into the quote insurance fund; see agents.InsuranceStaker."""

    kind: Literal["insurance_staker"] = "insurance_staker"
    stake_usd: AccountUsd = 10_000.0
    stake_at_day: NonNegFloat = 0.0
    request_unstake_at_day: NonNegFloat | None = None


class SpotMaker(_Agent):
    """Rests post-only spot bids and asks around the oracle (Drift venues only); see
    agents.SpotMaker. It starts with `collateral_usd` in USDC plus `base_inventory` tokens of
    its market's token."""

    kind: Literal["spot_maker"] = "spot_maker"
    base_inventory: NonNegFloat = 100.0
    half_spread_bps: Annotated[float, Field(gt=0, lt=10_000)] = 10.0
    size_base: PositiveFloat = 5.0
    refresh_minutes: Annotated[int, Field(ge=1)] = 5


class SpotTaker(_Agent):
    """Takes spot liquidity at Poisson arrivals (Drift venues only); see agents.SpotTaker. It
    starts with `collateral_usd` in USDC plus `base_inventory` tokens."""

    kind: Literal["spot_taker"] = "spot_taker"
    base_inventory: NonNegFloat = 50.0
    arrivals_per_hour: PositiveFloat = 20.0
    min_size_base: PositiveFloat = 0.1
    max_size_base: PositiveFloat = 5.0
    slippage_bps: Annotated[float, Field(gt=0, lt=10_000)] = 50.0


class PythonAgent(_Agent):
    """A user-written agent: a subclass of `ballast.sim.agents.Agent` (its docstring is the
    guide). `path` names it as `"file.py:ClassName"`, the file relative to the scenario file's
    folder; it may be left out when the class is passed from Python, `Backtest(scenario,
    agents={name: cls})`. `params` (a table) sets the class's parameters, its public class
    attributes: an unknown name or a value of another type is an error (an int is accepted for
    a float). A bad `path` or `params` fails validation with the key (`agents.N.path`,
    `agents.N.params.KEY`) and the reason. Like the takers it runs on every venue, through the
    venue's TradingVenue protocol only."""

    kind: Literal["python"] = "python"
    path: str | None = None
    params: dict[str, Any] = {}


AgentConfig = Annotated[
    Arbitrageur | NoiseTaker | TrendFollower | BalProvider | CurieMaker | InsuranceStaker | SpotMaker | SpotTaker
    | PythonAgent,
    Field(discriminator="kind"),
]


# --- keepers and outputs ----------------------------------------------------------------------


class KeepersConfig(_Model):
    """Permissionless keepers (see ballast.sim.keepers): AMM updates (`update_amm`, as Drift's
    AMM updater bot; every `update_amm_every_minutes`, None = never), funding updates when due,
    settle_lp and settle_pnl (TrySettle) on schedule, liquidations of users below maintenance
    with bankruptcy resolution, hourly revenue settlement to the insurance fund when the venue
    has one. A user whose equity stays negative for `max_unresolved_rounds` liquidation rounds
    in a row is reported (a warning; `--check` fails the run)."""

    update_amm_every_minutes: Annotated[int, Field(ge=1)] | None = 1
    funding: bool = True
    settle_lp_every_minutes: Annotated[int, Field(ge=1)] | None = 60
    settle_pnl_every_minutes: Annotated[int, Field(ge=1)] | None = 60
    liquidations: bool = True
    liquidation_check_every_minutes: Annotated[int, Field(ge=1)] = 1
    liquidator_collateral_usd: AccountUsd = 1_000_000.0
    revenue_settlement: bool = True
    max_unresolved_rounds: Annotated[int, Field(ge=1)] = 60


class HealthConfig(_Model):
    """When a run is reported as leaving the realm of a real market (see ballast.sim.health):
    the mark more than `mark_oracle_divergence_pct` from the oracle for `divergence_minutes`,
    funding at its cap for `funding_capped_hours`, an agent whose orders fill nothing in more
    than `unfilled_orders_pct` percent of attempts."""

    mark_oracle_divergence_pct: PositiveFloat = 1.0
    divergence_minutes: Annotated[int, Field(ge=1)] = 60
    funding_capped_hours: PositiveFloat = 4.0
    unfilled_orders_pct: Annotated[float, Field(ge=0, le=100)] = 10.0


AGENTS_SAMPLE_SECONDS = 900  # the agents table's default sampling: every 15 simulated minutes


class OutputsConfig(_Model):
    """What the run records: the agents table every `agents_every_steps` steps (default: every
    15 simulated minutes, AGENTS_SAMPLE_SECONDS, and at least every step), at the first and
    last step and at every step with a milestone (a liquidation, liquidity added or removed, an
    insurance stake changed), so entries, exits and liquidations are exact; 1 records every
    step. The market timeseries is recorded every step. `keep_events`: keep the engine events."""

    agents_every_steps: Annotated[int, Field(ge=1)] | None = None
    keep_events: bool = True

    def agent_sample_steps(self, step_seconds: int) -> int:
        """Steps between two regular rows of the agents table."""
        if self.agents_every_steps is not None:
            return self.agents_every_steps
        return max(1, AGENTS_SAMPLE_SECONDS // step_seconds)


# --- the scenario -----------------------------------------------------------------------------


class Scenario(_Model):
    """A whole backtest: venues, markets with their oracle paths, agents, keepers, time."""

    name: str = "scenario"
    description: str = ""
    seed: Annotated[int, Field(ge=0)] = 0
    start_ts: Annotated[int, Field(ge=0)] = 1_700_000_000
    duration_days: PositiveFloat = 1.0
    step_seconds: Annotated[int, Field(ge=1, le=86_400)] = 60
    venues: tuple[VenueConfig, ...] = (VenueConfig(),)
    markets: tuple[MarketConfig, ...] = (MarketConfig(),)
    agents: tuple[AgentConfig, ...] = ()
    keepers: KeepersConfig = KeepersConfig()
    health: HealthConfig = HealthConfig()
    outputs: OutputsConfig = OutputsConfig()
    base_dir: str = Field(default=".", exclude=True)

    @property
    def n_steps(self) -> int:
        return int(round(self.duration_days * 86_400)) // self.step_seconds

    @model_validator(mode="after")
    def _cross_refs(self) -> Scenario:
        def unique(kind: str, names: list[str]) -> None:
            seen: set[str] = set()
            for name in names:
                if name in seen:
                    raise ValueError(f"duplicate {kind} name {name!r}")
                seen.add(name)

        unique("venue", [v.name for v in self.venues])
        unique("market", [m.name for m in self.markets])
        unique("agent", [a.name for a in self.agents])
        if not self.venues:
            raise ValueError("at least one venue is needed")
        if not self.markets:
            raise ValueError("at least one market is needed")
        markets = {m.name for m in self.markets}
        for agent in self.agents:
            if agent.market not in markets:
                raise ValueError(f"agent {agent.name!r} trades unknown market {agent.market!r}")
            if agent.name.startswith("keeper"):
                raise ValueError(f"agent name {agent.name!r} is reserved for keepers")
        for venue in self.venues:
            for market in venue.market_overrides:
                if market not in markets:
                    raise ValueError(f"venue {venue.name!r} overrides unknown market {market!r}")
            for market in self.markets:
                try:
                    self.market_for(venue, market)
                except ValidationError as error:
                    raise ValueError(f"venues.{venue.name}.market_overrides.{market.name}: {describe_validation_error(error)}") from None
            if (venue.kind == "drift" and venue.insurance_fund is None
                    and any(isinstance(a, InsuranceStaker) for a in self.agents)):
                raise ValueError(f"venue {venue.name!r} needs [insurance_fund] for insurance stakers")
        if self.n_steps < 1:
            raise ValueError(f"duration_days {self.duration_days} is shorter than one step of {self.step_seconds} s")
        if not self.agents:
            raise ValueError("agents: the scenario has no agents, so nothing would trade; add [[agents]] tables")
        for i, agent in enumerate(self.agents):
            self._check_agent(i, agent)
        for market in self.markets:
            oracle = market.oracle
            if isinstance(oracle, GbmOracle):
                for key, days in ([("regimes", r.start_day) for r in oracle.regimes]
                                  + [("scheduled_moves", m.at_day) for m in oracle.scheduled_moves]):
                    if days >= self.duration_days:
                        raise ValueError(f"markets.{market.name}.oracle.{key}: day {days:g} is not before the end of "
                                         f"the run (duration_days {self.duration_days:g}), so it would never happen")
        return self

    def _check_agent(self, i: int, agent: Any) -> None:
        """What an agent's config asks that the run could not do: a date after the end, a
        venue it cannot run on, more margin than its collateral, sizes out of order."""
        where = f"agents.{i} ({agent.name})"
        if not any(venue_runs_agent(v.kind, agent) for v in self.venues):
            kinds = ", ".join(sorted({v.kind for v in self.venues}))
            raise ValueError(f"{where}: a {agent.kind} runs on no venue of this scenario (venue kinds: {kinds})")
        for key in ("enter_at_day", "exit_at_day", "stake_at_day", "request_unstake_at_day"):
            days = getattr(agent, key, None)
            if days is not None and days >= self.duration_days:
                raise ValueError(f"{where}.{key} = {days:g}: not before the end of the run "
                                 f"(duration_days {self.duration_days:g}), so it would never happen")
        if isinstance(agent, BalProvider) and agent.amount_usd is not None and agent.amount_usd > agent.collateral_usd:
            raise ValueError(f"{where}.amount_usd = {agent.amount_usd:g}: more margin than its collateral_usd "
                             f"{agent.collateral_usd:g}")
        if isinstance(agent, NoiseTaker | SpotTaker) and agent.min_size_base > agent.max_size_base:
            raise ValueError(f"{where}.min_size_base = {agent.min_size_base:g}: above max_size_base {agent.max_size_base:g}")

    def agents_on(self, venue: VenueConfig) -> tuple:
        """The agents that run on `venue`: takers everywhere, BAL providers, insurance
        stakers and spot agents on Drift venues, Curie makers on Curie venues."""
        return tuple(a for a in self.agents if venue_runs_agent(venue.kind, a))

    def market_for(self, venue: VenueConfig, market: MarketConfig) -> MarketConfig:
        """The market's parameters on `venue` (its overrides applied)."""
        override = venue.market_overrides.get(market.name)
        if override is None:
            return market
        return MarketConfig.model_validate({**market.model_dump(), **override.model_dump(exclude_none=True)})


def describe_validation_error(error: ValidationError) -> str:
    """A pydantic ValidationError as one line per problem: the dotted key, the value, why."""
    lines = []
    for item in error.errors():
        loc = ".".join(str(part) for part in item["loc"]) or "(scenario)"
        value = item.get("input")
        if item["type"] == "extra_forbidden":
            lines.append(f"{loc}: unknown key (value {value!r})")
        else:
            shown = repr(value) if not isinstance(value, dict) else "{...}"
            lines.append(f"{loc} = {shown}: {item['msg']}")
    return "; ".join(lines)



def venue_runs_agent(kind: str, agent: Any) -> bool:
    """Whether an agent config runs on a venue of `kind` (see Scenario.agents_on)."""
    if isinstance(agent, BalProvider | InsuranceStaker | SpotMaker | SpotTaker):
        return kind == "drift"
    if isinstance(agent, CurieMaker):
        return kind == "curie"
    return True
