"""Exchange-wide settings: fee structure, oracle guard rails, liquidation settings.

Source: programs/drift/src/state/state.rs
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ballast.drift.constants import (
    DEFAULT_LIQUIDATION_MARGIN_BUFFER_RATIO,
    FEE_DENOMINATOR,
    PERCENTAGE_PRECISION,
    QUOTE_PRECISION,
)
from ballast.value_copy import copy_by_constructor


@dataclass(slots=True, frozen=True)
class FeeTier:
    """Fractions as numerator/denominator. Source: programs/drift/src/state/state.rs::FeeTier"""

    fee_numerator: int = 0
    fee_denominator: int = FEE_DENOMINATOR
    maker_rebate_numerator: int = 0
    maker_rebate_denominator: int = FEE_DENOMINATOR
    referrer_reward_numerator: int = 0
    referrer_reward_denominator: int = 100
    referee_fee_numerator: int = 0
    referee_fee_denominator: int = 100


@dataclass(slots=True, frozen=True)
class OrderFillerRewardStructure:
    """Source: programs/drift/src/state/state.rs::OrderFillerRewardStructure"""

    reward_numerator: int = 10
    reward_denominator: int = 100
    time_based_reward_lower_bound: int = 10_000


def _perp_fee_tiers() -> tuple[FeeTier, ...]:
    return tuple(
        FeeTier(
            fee_numerator=numerator,
            maker_rebate_numerator=20,
            referrer_reward_numerator=15,
            referee_fee_numerator=5,
        )
        for numerator in (100, 90, 80, 70, 60, 50)
    )


@dataclass(slots=True, frozen=True)
class FeeStructure:
    """Perp fee schedule; defaults are the reference's `perps_default`.

    Source: programs/drift/src/state/state.rs::FeeStructure::perps_default
    """

    fee_tiers: tuple[FeeTier, ...] = field(default_factory=_perp_fee_tiers)
    filler_reward_structure: OrderFillerRewardStructure = field(
        default_factory=OrderFillerRewardStructure
    )
    referrer_reward_epoch_upper_bound: int = 150_000 * QUOTE_PRECISION
    flat_filler_fee: int = 10_000


def spot_default_fee_structure() -> FeeStructure:
    """The spot fee schedule: one tier, 10 bps taker fee, 2 bps maker rebate, no referral
    (the other nine tiers are zero, as in the reference's array).

    Source: programs/drift/src/state/state.rs::FeeStructure::spot_default
    """
    return FeeStructure(
        fee_tiers=(FeeTier(fee_numerator=100, maker_rebate_numerator=20),) + (FeeTier(),) * 9,
        filler_reward_structure=OrderFillerRewardStructure(),
        referrer_reward_epoch_upper_bound=150_000 * QUOTE_PRECISION,  # MAX_REFERRER_REWARD_EPOCH_UPPER_BOUND
        flat_filler_fee=10_000,
    )


@dataclass(slots=True, frozen=True)
class PriceDivergenceGuardRails:
    """Source: programs/drift/src/state/state.rs::PriceDivergenceGuardRails (pct 1e6)."""

    mark_oracle_percent_divergence: int = PERCENTAGE_PRECISION // 10
    oracle_twap_5min_percent_divergence: int = PERCENTAGE_PRECISION // 2


@dataclass(slots=True, frozen=True)
class ValidityGuardRails:
    """Source: programs/drift/src/state/state.rs::ValidityGuardRails (slots; conf 1e6; ratio plain)."""

    slots_before_stale_for_amm: int = 10
    slots_before_stale_for_margin: int = 120
    confidence_interval_max_size: int = 20_000
    too_volatile_ratio: int = 5


@dataclass(slots=True, frozen=True)
class OracleGuardRails:
    """Source: programs/drift/src/state/state.rs::OracleGuardRails"""

    price_divergence: PriceDivergenceGuardRails = field(default_factory=PriceDivergenceGuardRails)
    validity: ValidityGuardRails = field(default_factory=ValidityGuardRails)


@dataclass(slots=True)
class State:
    """Exchange-wide settings. Source: programs/drift/src/state/state.rs::State"""

    perp_fee_structure: FeeStructure = field(default_factory=FeeStructure)
    oracle_guard_rails: OracleGuardRails = field(default_factory=OracleGuardRails)
    liquidation_margin_buffer_ratio: int = DEFAULT_LIQUIDATION_MARGIN_BUFFER_RATIO
    initial_pct_to_liquidate: int = 0
    liquidation_duration: int = 0
    min_perp_auction_duration: int = 10
    default_market_order_time_in_force: int = 60
    lp_cooldown_time: int = 0
    settlement_duration: int = 0
    number_of_markets: int = 0
    number_of_spot_markets: int = 0
    number_of_authorities: int = 0
    number_of_sub_accounts: int = 0
    max_number_of_sub_accounts: int = 0
    # Spot trading; left out of repr (Exchange.state_digest adds them once changed, see
    # SpotMarket.orders_enabled).
    spot_fee_structure: FeeStructure = field(default_factory=spot_default_fee_structure, repr=False)
    default_spot_auction_duration: int = field(default=10, repr=False)  # slots
    # Ballast option, not in the reference: at the pinned commit a spot fill's fee_to_market
    # stays in the base market's spot_fee_pool (no instruction moves it on). True books it to
    # the quote market's revenue pool instead, the inflow the revenue pool's seed describes, so
    # the hourly settle carries it to the insurance fund.
    spot_fee_to_revenue_pool: bool = field(default=False, repr=False)


copy_by_constructor(
    FeeTier,
    OrderFillerRewardStructure,
    FeeStructure,
    PriceDivergenceGuardRails,
    ValidityGuardRails,
    OracleGuardRails,
)
