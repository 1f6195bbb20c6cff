"""Per-fill fees: taker fee, maker rebate, referral split, filler reward and fee tiers.

Quote amounts in QUOTE_PRECISION (1e6); fee tiers are numerator/denominator fractions;
`fee_adjustment` is a market's percentage tweak in [-100, 100].

Source: programs/drift/src/math/fees.rs
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ballast.drift.constants import (
    BID_ASK_SPREAD_PRECISION,
    FEE_ADJUSTMENT_MAX,
    QUOTE_PRECISION,
    TEN_BPS,
)
from ballast.drift.state.state import FeeStructure, FeeTier, OrderFillerRewardStructure
from ballast.drift.state.user import MarketType, PositionDirection, UserStats
from ballast.fixed import (
    MathError,
    cast_i64,
    cast_u64,
    div_ceil,
    div_floor,
    div_trunc,
    iroot4,
    proportion,
)
from ballast.value_copy import copy_by_constructor

__all__ = [
    "FillFees",
    "calculate_fee_for_fulfillment_with_amm",
    "calculate_fee_for_fulfillment_with_match",
    "calculate_taker_fee",
    "calculate_maker_rebate",
    "calculate_referee_fee_and_referrer_reward",
    "calculate_filler_reward",
    "calculate_filler_multiplier_for_matched_orders",
    "determine_user_fee_tier",
]

# 30-day volume (taker + maker) at which each perp fee tier starts (quote 1e6)
_VOLUME_THRESHOLDS = (
    2_000_000 * QUOTE_PRECISION,
    10_000_000 * QUOTE_PRECISION,
    20_000_000 * QUOTE_PRECISION,
    80_000_000 * QUOTE_PRECISION,
    200_000_000 * QUOTE_PRECISION,
)
# gov tokens staked in the insurance fund (1e6) at which each stake benefit starts
_STAKE_THRESHOLDS = (
    1_000 * QUOTE_PRECISION - QUOTE_PRECISION,
    10_000 * QUOTE_PRECISION - QUOTE_PRECISION,
    50_000 * QUOTE_PRECISION - QUOTE_PRECISION,
    100_000 * QUOTE_PRECISION - QUOTE_PRECISION,
    250_000 * QUOTE_PRECISION - 5 * QUOTE_PRECISION,
)
_STAKE_BENEFIT_PCT = (0, 5, 10, 20, 30, 40)
_STAKE_BENEFIT_DIVISOR = {5: 20, 10: 10, 20: 5}


@dataclass(slots=True, init=False)
class FillFees:
    """Fee components of one fill (quote 1e6).

    Source: programs/drift/src/math/fees.rs::FillFees
    """

    user_fee: int
    maker_rebate: int
    fee_to_market: int
    fee_to_market_for_lp: int
    filler_reward: int
    referrer_reward: int
    referee_discount: int

    # written out (not dataclass-generated) so that mypyc compiles it; a value: never
    # mutated after construction (not `frozen`, whose __init__ mypyc cannot compile)
    def __init__(
        self,
        user_fee: int,
        maker_rebate: int,
        fee_to_market: int,
        fee_to_market_for_lp: int,
        filler_reward: int,
        referrer_reward: int,
        referee_discount: int,
    ) -> None:
        self.user_fee = user_fee
        self.maker_rebate = maker_rebate
        self.fee_to_market = fee_to_market
        self.fee_to_market_for_lp = fee_to_market_for_lp
        self.filler_reward = filler_reward
        self.referrer_reward = referrer_reward
        self.referee_discount = referee_discount


def calculate_taker_fee(quote_asset_amount: int, fee_tier: FeeTier, fee_adjustment: int) -> int:
    """ceil(quote·fee_num/fee_den), then a negative adjustment removes floor(fee·|a|/100)
    (saturating at 0) and a positive one adds ceil(fee·a/100) (quote 1e6).

    Source: programs/drift/src/math/fees.rs::calculate_taker_fee
    """
    fee = cast_u64(div_ceil(quote_asset_amount * fee_tier.fee_numerator, fee_tier.fee_denominator))
    if fee_adjustment < 0:
        fee = max(0, fee - div_floor(fee * -fee_adjustment, FEE_ADJUSTMENT_MAX))
    elif fee_adjustment > 0:
        fee += div_ceil(fee * fee_adjustment, FEE_ADJUSTMENT_MAX)
    return fee


def calculate_maker_rebate(quote_asset_amount: int, fee_tier: FeeTier, fee_adjustment: int) -> int:
    """floor(quote·rebate_num/rebate_den), then a negative adjustment removes
    ceil(rebate·|a|/100) (saturating at 0) and a positive one adds floor(rebate·a/100) (1e6).

    Source: programs/drift/src/math/fees.rs::calculate_maker_rebate
    """
    rebate = cast_u64(
        div_floor(
            quote_asset_amount * fee_tier.maker_rebate_numerator,
            fee_tier.maker_rebate_denominator,
        )
    )
    if fee_adjustment < 0:
        rebate = max(0, rebate - div_ceil(rebate * -fee_adjustment, FEE_ADJUSTMENT_MAX))
    elif fee_adjustment > 0:
        rebate += div_floor(rebate * fee_adjustment, FEE_ADJUSTMENT_MAX)
    return rebate


def calculate_referee_fee_and_referrer_reward(
    fee: int,
    fee_tier: FeeTier,
    referrer_reward_epoch_upper_bound: int,
    referrer_stats: UserStats | None,
) -> tuple[int, int, int]:
    """(fee after the referee discount, referee discount, referrer reward), all floored
    proportions of `fee` (1e6); the reward is capped by what the referrer may still earn this
    epoch when its stats are given.

    Source: programs/drift/src/math/fees.rs::calculate_referee_fee_and_referrer_reward
    """
    referee_discount = proportion(
        fee, fee_tier.referee_fee_numerator, fee_tier.referee_fee_denominator
    )
    referrer_reward = proportion(
        fee, fee_tier.referrer_reward_numerator, fee_tier.referrer_reward_denominator
    )
    if referrer_stats is not None:
        epoch_room = max(
            0, referrer_reward_epoch_upper_bound - referrer_stats.fees.current_epoch_referrer_reward
        )
        referrer_reward = min(referrer_reward, epoch_room)
    return fee - referee_discount, referee_discount, referrer_reward


def calculate_filler_reward(
    fee: int,
    order_slot: int,
    clock_slot: int,
    multiplier: int,
    filler_reward_structure: OrderFillerRewardStructure,
) -> int:
    """Lesser of a size reward fee·num/den and a time reward that grows with the fourth root
    of the order's age in slots, scaled by `multiplier` clamped to [1000, 100_000] per 1000
    (quote 1e6, floors).

    Source: programs/drift/src/math/fees.rs::calculate_filler_reward
    """
    size_reward = div_floor(
        fee * filler_reward_structure.reward_numerator, filler_reward_structure.reward_denominator
    )
    clamped = min(max(multiplier, TEN_BPS), TEN_BPS * 100)
    min_time_reward = div_floor(
        filler_reward_structure.time_based_reward_lower_bound * clamped, TEN_BPS
    )
    slots_since_order = clock_slot - order_slot
    if slots_since_order < 0:
        raise MathError(f"clock_slot {clock_slot} before order_slot {order_slot}")
    time_reward = cast_u64(
        div_floor(iroot4(max(1, slots_since_order) * 100_000_000) * min_time_reward, 100)
    )
    return min(size_reward, time_reward)


def calculate_fee_for_fulfillment_with_amm(
    user_stats: UserStats,
    quote_asset_amount: int,
    fee_structure: FeeStructure,
    order_slot: int,
    clock_slot: int,
    reward_filler: bool,
    reward_referrer: bool,
    referrer_stats: UserStats | None,
    quote_asset_amount_surplus: int,
    order_post_only: bool,
    fee_adjustment: int,
    user_high_leverage_mode: bool,
) -> FillFees:
    """Fees of a fill against the AMM (quote 1e6).

    Taker: fee (doubled in high-leverage mode) less referral discount; fee_to_market =
    fee - filler - referrer + surplus. Post-only user filled by the AMM: maker rebate, and
    fee = surplus - rebate (MathError if negative) goes to the market less the filler reward.

    Source: programs/drift/src/math/fees.rs::calculate_fee_for_fulfillment_with_amm
    """
    fee_tier = determine_user_fee_tier(
        user_stats, fee_structure, MarketType.Perp, user_high_leverage_mode
    )
    if order_post_only:
        maker_rebate = calculate_maker_rebate(quote_asset_amount, fee_tier, fee_adjustment)
        fee = quote_asset_amount_surplus - maker_rebate
        if quote_asset_amount_surplus < 0 or fee < 0:
            raise MathError(
                f"quote_asset_amount_surplus {quote_asset_amount_surplus} below maker_rebate "
                f"{maker_rebate} for quote_asset_amount {quote_asset_amount}"
            )
        filler_reward = (
            calculate_filler_reward(
                fee, order_slot, clock_slot, 0, fee_structure.filler_reward_structure
            )
            if reward_filler
            else 0
        )
        return FillFees(
            user_fee=0,
            maker_rebate=maker_rebate,
            fee_to_market=cast_i64(fee - filler_reward),
            fee_to_market_for_lp=0,
            filler_reward=filler_reward,
            referrer_reward=0,
            referee_discount=0,
        )

    fee = calculate_taker_fee(quote_asset_amount, fee_tier, fee_adjustment)
    if user_high_leverage_mode:
        fee *= 2
    if reward_referrer:
        fee, referee_discount, referrer_reward = calculate_referee_fee_and_referrer_reward(
            fee, fee_tier, fee_structure.referrer_reward_epoch_upper_bound, referrer_stats
        )
    else:
        referee_discount = referrer_reward = 0
    filler_reward = (
        calculate_filler_reward(
            fee, order_slot, clock_slot, 0, fee_structure.filler_reward_structure
        )
        if reward_filler
        else 0
    )
    fee_to_market_for_lp = fee - filler_reward - referrer_reward
    if fee_to_market_for_lp < 0:
        raise MathError(
            f"fee {fee} below filler_reward {filler_reward} + referrer_reward {referrer_reward}"
        )
    return FillFees(
        user_fee=fee,
        maker_rebate=0,
        fee_to_market=cast_i64(fee_to_market_for_lp + quote_asset_amount_surplus),
        fee_to_market_for_lp=fee_to_market_for_lp,
        filler_reward=filler_reward,
        referrer_reward=referrer_reward,
        referee_discount=referee_discount,
    )


def calculate_fee_for_fulfillment_with_match(
    taker_stats: UserStats,
    maker_stats: UserStats | None,
    quote_asset_amount: int,
    fee_structure: FeeStructure,
    order_slot: int,
    clock_slot: int,
    filler_multiplier: int,
    reward_filler: bool,
    reward_referrer: bool,
    referrer_stats: UserStats | None,
    market_type: MarketType,
    fee_adjustment: int,
    user_high_leverage_mode: bool,
) -> FillFees:
    """Fees of a taker/maker match (quote 1e6).

    The taker pays its tier's fee (doubled in high-leverage mode) less any referral discount;
    the maker earns its own tier's rebate (the taker's tier when no maker stats are given); a
    filler is paid only when `reward_filler` and `filler_multiplier` > 0. fee_to_market =
    taker fee - filler - referrer - rebate (MathError if negative).

    Source: programs/drift/src/math/fees.rs::calculate_fee_for_fulfillment_with_match
    """
    taker_fee_tier = determine_user_fee_tier(
        taker_stats, fee_structure, market_type, user_high_leverage_mode
    )
    maker_fee_tier = determine_user_fee_tier(
        maker_stats if maker_stats is not None else taker_stats, fee_structure, market_type, False
    )
    taker_fee = calculate_taker_fee(quote_asset_amount, taker_fee_tier, fee_adjustment)
    if user_high_leverage_mode:
        taker_fee *= 2
    if reward_referrer:
        taker_fee, referee_discount, referrer_reward = calculate_referee_fee_and_referrer_reward(
            taker_fee,
            taker_fee_tier,
            fee_structure.referrer_reward_epoch_upper_bound,
            referrer_stats,
        )
    else:
        referee_discount = referrer_reward = 0
    maker_rebate = calculate_maker_rebate(quote_asset_amount, maker_fee_tier, fee_adjustment)
    filler_reward = (
        calculate_filler_reward(
            taker_fee,
            order_slot,
            clock_slot,
            filler_multiplier,
            fee_structure.filler_reward_structure,
        )
        if reward_filler and filler_multiplier != 0
        else 0
    )
    fee_to_market = taker_fee - filler_reward - referrer_reward - maker_rebate
    if fee_to_market < 0:
        raise MathError(
            f"taker_fee {taker_fee} below filler_reward {filler_reward} + referrer_reward "
            f"{referrer_reward} + maker_rebate {maker_rebate}"
        )
    return FillFees(
        user_fee=taker_fee,
        maker_rebate=maker_rebate,
        fee_to_market=cast_i64(fee_to_market),
        fee_to_market_for_lp=0,
        filler_reward=filler_reward,
        referrer_reward=referrer_reward,
        referee_discount=referee_discount,
    )


def calculate_filler_multiplier_for_matched_orders(
    maker_price: int, maker_direction: PositionDirection, oracle_price: int
) -> int:
    """Filler multiplier (1000 = 1x, clamped to [1000, 100_000]) from the maker's price
    improvement: d = trunc((oracle - maker_price)·1e6 / oracle); a long maker gets 2000 - d,
    a short maker 2000 + d.

    Source: programs/drift/src/math/matching.rs::calculate_filler_multiplier_for_matched_orders
    """
    price_pct_diff = cast_i64(
        div_trunc((oracle_price - maker_price) * BID_ASK_SPREAD_PRECISION, oracle_price)
    )
    if maker_direction is PositionDirection.Long:
        multiplier = 2 * TEN_BPS - price_pct_diff
    else:
        multiplier = 2 * TEN_BPS + price_pct_diff
    return min(max(multiplier, TEN_BPS), TEN_BPS * 100)


def determine_user_fee_tier(
    user_stats: UserStats,
    fee_structure: FeeStructure,
    market_type: MarketType,
    user_high_leverage_mode: bool,
) -> FeeTier:
    """The fee tier that applies to a user.

    Spot and high-leverage-mode perp users get tier 0. Other perp users get the tier of their
    30-day taker + maker volume (thresholds 2M/10M/20M/80M/200M), improved by the stake benefit
    of their gov tokens staked in the insurance fund: 5/10/20% take ceil(fee/d) off the fee and
    add floor(rebate/d) (d = 20/10/5); 30/40% scale fee by (100-b)% rounding up and rebate by
    (100+b)% rounding down.

    Source: programs/drift/src/math/fees.rs::determine_user_fee_tier
    """
    if market_type is not MarketType.Perp or user_high_leverage_mode:
        return fee_structure.fee_tiers[0]
    total_30d_volume = user_stats.taker_volume_30d + user_stats.maker_volume_30d
    tier_index = _first_below(total_30d_volume, _VOLUME_THRESHOLDS)
    tier = fee_structure.fee_tiers[tier_index]
    stake_benefit = _STAKE_BENEFIT_PCT[
        _first_below(user_stats.if_staked_gov_token_amount, _STAKE_THRESHOLDS)
    ]
    if stake_benefit == 0:
        return tier
    divisor = _STAKE_BENEFIT_DIVISOR.get(stake_benefit)
    if divisor is not None:
        fee_numerator = max(0, tier.fee_numerator - div_ceil(tier.fee_numerator, divisor))
        maker_rebate_numerator = tier.maker_rebate_numerator + div_floor(
            tier.maker_rebate_numerator, divisor
        )
    else:
        fee_numerator = div_ceil(tier.fee_numerator * (100 - stake_benefit), 100)
        maker_rebate_numerator = div_floor(tier.maker_rebate_numerator * (100 + stake_benefit), 100)
    return replace(tier, fee_numerator=fee_numerator, maker_rebate_numerator=maker_rebate_numerator)


def _first_below(amount: int, thresholds: tuple[int, ...]) -> int:
    for index, threshold in enumerate(thresholds):
        if amount < threshold:
            return index
    return len(thresholds)


copy_by_constructor(FillFees)
