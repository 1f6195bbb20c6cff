"""Validation of a fee schedule an admin sets (tier fees, rebates, referral and filler shares).

Fees and rebates as numerator/denominator (FEE_DENOMINATOR = 1e5: 100 = 10 bps), percentages
over FEE_PERCENTAGE_DENOMINATOR (100).

Source: programs/drift/src/validation/fee_structure.rs
"""

from __future__ import annotations

from ballast.drift.constants import (
    FEE_DENOMINATOR,
    FEE_PERCENTAGE_DENOMINATOR,
    OPEN_ORDER_MARGIN_REQUIREMENT,
)
from ballast.drift.errors import InvalidFeeStructure
from ballast.drift.state.state import FeeStructure, FeeTier
from ballast.fixed import div_floor

__all__ = ["validate_fee_structure", "validate_fee_tier"]


def validate_fee_structure(fee_structure: FeeStructure) -> None:
    """InvalidFeeStructure unless every tier is valid, the filler reward is at most 20% (over
    100) and the flat filler fee is below half the open-order margin requirement.

    Source: programs/drift/src/validation/fee_structure.rs::validate_fee_structure
    """
    reward = fee_structure.filler_reward_structure
    for index, tier in enumerate(fee_structure.fee_tiers):
        validate_fee_tier(index, tier, reward.reward_numerator)
    if not (reward.reward_numerator <= 20 and reward.reward_denominator == FEE_PERCENTAGE_DENOMINATOR):
        raise InvalidFeeStructure(
            f"invalid filler reward numerator ({reward.reward_numerator}) or denominator "
            f"({reward.reward_denominator})"
        )
    if not fee_structure.flat_filler_fee < div_floor(OPEN_ORDER_MARGIN_REQUIREMENT, 2):
        raise InvalidFeeStructure(f"invalid flat filler fee {fee_structure.flat_filler_fee}")


def validate_fee_tier(fee_tier_index: int, fee_tier: FeeTier, filler_reward_numerator: int) -> None:
    """A tier's fee is at most 30 bps, its rebate at most 3 bps, its referral shares at most
    100%, and its fee to the market (after referee discount, rebate, referrer and filler
    shares, in u32 arithmetic: a negative one fails) at most the fee.

    Source: programs/drift/src/validation/fee_structure.rs::validate_fee_tier
    """
    if not (fee_tier.fee_numerator <= 300 and fee_tier.fee_denominator >= FEE_DENOMINATOR):
        raise InvalidFeeStructure(
            f"invalid fee numerator ({fee_tier.fee_numerator}) or denominator ({fee_tier.fee_denominator})"
        )
    if not (fee_tier.maker_rebate_numerator <= 30 and fee_tier.maker_rebate_denominator >= FEE_DENOMINATOR):
        raise InvalidFeeStructure(
            f"invalid maker rebate numerator ({fee_tier.maker_rebate_numerator}) or denominator "
            f"({fee_tier.maker_rebate_denominator})"
        )
    if not (
        fee_tier.referee_fee_numerator <= FEE_PERCENTAGE_DENOMINATOR
        and fee_tier.referee_fee_denominator == FEE_PERCENTAGE_DENOMINATOR
    ):
        raise InvalidFeeStructure(
            f"invalid referee discount numerator ({fee_tier.referee_fee_numerator}) or denominator "
            f"({fee_tier.referee_fee_denominator})"
        )
    if not (
        fee_tier.referrer_reward_numerator <= FEE_PERCENTAGE_DENOMINATOR
        and fee_tier.referrer_reward_denominator == FEE_PERCENTAGE_DENOMINATOR
    ):
        raise InvalidFeeStructure(
            f"invalid referrer reward numerator ({fee_tier.referrer_reward_numerator}) or denominator "
            f"({fee_tier.referrer_reward_denominator})"
        )
    taker_fee = div_floor(fee_tier.fee_numerator * (100 - fee_tier.referee_fee_numerator), 100)
    fee_to_market = (
        taker_fee
        - fee_tier.maker_rebate_numerator
        - div_floor(taker_fee * (fee_tier.referrer_reward_numerator + filler_reward_numerator), 100)
    )
    if not 0 <= fee_to_market <= fee_tier.fee_numerator:
        raise InvalidFeeStructure(f"invalid fee to market ({fee_to_market}) for index ({fee_tier_index})")
