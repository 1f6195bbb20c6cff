"""The context and running totals of one margin calculation.

Values are in QUOTE_PRECISION (1e6); ratios and buffers in MARGIN_PRECISION (1e4).

Source: programs/drift/src/state/margin_calculation.rs, programs/drift/src/math/margin.rs
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ballast.drift.constants import MARGIN_PRECISION
from ballast.drift.errors import InvalidMarginCalculation, InvalidMarginRatio
from ballast.drift.state.user import MarketType
from ballast.fixed import div_floor, div_trunc
from ballast.value_copy import copy_by_constructor

__all__ = [
    "MarginRequirementType",
    "MarginCalculationMode",
    "MarginContext",
    "MarginCalculation",
]


class MarginRequirementType(Enum):
    """Initial (opening risk), Fill (midway, after fills), Maintenance (liquidation).

    Source: programs/drift/src/math/margin.rs::MarginRequirementType
    """

    __hash__ = object.__hash__  # singleton members: identity hash, no Python-level call

    Initial = 0
    Fill = 1
    Maintenance = 2


class MarginCalculationMode(Enum):
    """Source: programs/drift/src/state/margin_calculation.rs::MarginCalculationMode"""

    __hash__ = object.__hash__  # singleton members: identity hash, no Python-level call

    Standard = 0
    Liquidation = 1


@dataclass(slots=True, init=False)
class MarginContext:
    """How to run a margin calculation.

    `margin_buffer` (1e4) adds a buffer on liabilities and negative collateral;
    `margin_ratio_override` (1e4) floors every margin ratio; `market_to_track` is a
    (MarketType, market_index) whose share of the requirement is tracked (liquidation mode only).

    Source: programs/drift/src/state/margin_calculation.rs::MarginContext
    """

    margin_type: MarginRequirementType
    mode: MarginCalculationMode = MarginCalculationMode.Standard
    strict: bool = False
    margin_buffer: int = 0
    margin_ratio_override: int | None = None
    market_to_track: tuple[MarketType, int] | None = None

    # written out (not dataclass-generated) so that mypyc compiles it; a value: never
    # mutated after construction (not `frozen`, whose __init__ mypyc cannot compile)
    def __init__(
        self,
        margin_type: MarginRequirementType,
        mode: MarginCalculationMode = MarginCalculationMode.Standard,
        strict: bool = False,
        margin_buffer: int = 0,
        margin_ratio_override: int | None = None,
        market_to_track: tuple[MarketType, int] | None = None,
    ) -> None:
        self.margin_type = margin_type
        self.mode = mode
        self.strict = strict
        self.margin_buffer = margin_buffer
        self.margin_ratio_override = margin_ratio_override
        self.market_to_track = market_to_track

    @classmethod
    def standard(cls, margin_type: MarginRequirementType) -> MarginContext:
        """Source: programs/drift/src/state/margin_calculation.rs::MarginContext::standard"""
        return cls(margin_type)

    @classmethod
    def liquidation(cls, margin_buffer: int) -> MarginContext:
        """Maintenance margin with a liquidation buffer (1e4).

        Source: programs/drift/src/state/margin_calculation.rs::MarginContext::liquidation
        """
        return cls(
            MarginRequirementType.Maintenance,
            MarginCalculationMode.Liquidation,
            margin_buffer=margin_buffer,
        )

    def with_strict(self, strict: bool) -> MarginContext:
        """Source: programs/drift/src/state/margin_calculation.rs::MarginContext::strict"""
        return MarginContext(
            self.margin_type,
            self.mode,
            strict,
            self.margin_buffer,
            self.margin_ratio_override,
            self.market_to_track,
        )

    def with_margin_ratio_override(self, margin_ratio_override: int) -> MarginContext:
        """Source: programs/drift/src/state/margin_calculation.rs::MarginContext::margin_ratio_override"""
        return MarginContext(
            self.margin_type,
            self.mode,
            self.strict,
            self.margin_buffer,
            margin_ratio_override,
            self.market_to_track,
        )

    def track_market_margin_requirement(
        self, market_type: MarketType, market_index: int
    ) -> MarginContext:
        """Track one market's share of the requirement; only in liquidation mode.

        Source: programs/drift/src/state/margin_calculation.rs::MarginContext::track_market_margin_requirement
        """
        if self.mode is not MarginCalculationMode.Liquidation:
            raise InvalidMarginCalculation(
                f"cannot track {market_type.name} market {market_index} outside liquidation mode"
            )
        return MarginContext(
            self.margin_type,
            self.mode,
            self.strict,
            self.margin_buffer,
            self.margin_ratio_override,
            (market_type, market_index),
        )


@dataclass(slots=True, init=False)
class MarginCalculation:
    """Running totals of a margin calculation (quote 1e6).

    Source: programs/drift/src/state/margin_calculation.rs::MarginCalculation
    """

    context: MarginContext
    total_collateral: int = 0
    total_collateral_buffer: int = 0
    margin_requirement: int = 0
    margin_requirement_plus_buffer: int = 0
    num_spot_liabilities: int = 0
    num_perp_liabilities: int = 0
    all_oracles_valid: bool = True
    with_perp_isolated_liability: bool = False
    with_spot_isolated_liability: bool = False
    total_spot_asset_value: int = 0
    total_spot_liability_value: int = 0
    total_perp_liability_value: int = 0
    total_perp_pnl: int = 0
    tracked_market_margin_requirement: int = 0

    # written out (not dataclass-generated) so that mypyc compiles it
    def __init__(
        self,
        context: MarginContext,
        total_collateral: int = 0,
        total_collateral_buffer: int = 0,
        margin_requirement: int = 0,
        margin_requirement_plus_buffer: int = 0,
        num_spot_liabilities: int = 0,
        num_perp_liabilities: int = 0,
        all_oracles_valid: bool = True,
        with_perp_isolated_liability: bool = False,
        with_spot_isolated_liability: bool = False,
        total_spot_asset_value: int = 0,
        total_spot_liability_value: int = 0,
        total_perp_liability_value: int = 0,
        total_perp_pnl: int = 0,
        tracked_market_margin_requirement: int = 0,
    ) -> None:
        self.context = context
        self.total_collateral = total_collateral
        self.total_collateral_buffer = total_collateral_buffer
        self.margin_requirement = margin_requirement
        self.margin_requirement_plus_buffer = margin_requirement_plus_buffer
        self.num_spot_liabilities = num_spot_liabilities
        self.num_perp_liabilities = num_perp_liabilities
        self.all_oracles_valid = all_oracles_valid
        self.with_perp_isolated_liability = with_perp_isolated_liability
        self.with_spot_isolated_liability = with_spot_isolated_liability
        self.total_spot_asset_value = total_spot_asset_value
        self.total_spot_liability_value = total_spot_liability_value
        self.total_perp_liability_value = total_perp_liability_value
        self.total_perp_pnl = total_perp_pnl
        self.tracked_market_margin_requirement = tracked_market_margin_requirement

    def add_total_collateral(self, total_collateral: int) -> None:
        """Add collateral; with a buffer, a negative amount also adds amount·buffer/1e4
        (truncated toward zero) to `total_collateral_buffer`.

        Source: programs/drift/src/state/margin_calculation.rs::MarginCalculation::add_total_collateral
        """
        self.total_collateral += total_collateral
        buffer = self.context.margin_buffer
        if buffer > 0 and total_collateral < 0:
            self.total_collateral_buffer += div_trunc(total_collateral * buffer, MARGIN_PRECISION)

    def add_margin_requirement(
        self,
        margin_requirement: int,
        liability_value: int,
        market_type: MarketType,
        market_index: int,
    ) -> None:
        """Add a requirement; with a buffer, also requirement + liability·buffer/1e4 (floor) to
        `margin_requirement_plus_buffer`; count it for the tracked market.

        Source: programs/drift/src/state/margin_calculation.rs::MarginCalculation::add_margin_requirement
        """
        self.margin_requirement += margin_requirement
        buffer = self.context.margin_buffer
        if buffer > 0:
            self.margin_requirement_plus_buffer += margin_requirement + div_floor(
                liability_value * buffer, MARGIN_PRECISION
            )
        tracked = self.context.market_to_track
        if tracked is not None and tracked[0] is market_type and tracked[1] == market_index:
            self.tracked_market_margin_requirement += margin_requirement

    def add_spot_liability(self) -> None:
        """Source: programs/drift/src/state/margin_calculation.rs::MarginCalculation::add_spot_liability"""
        self.num_spot_liabilities += 1

    def add_perp_liability(self) -> None:
        """Source: programs/drift/src/state/margin_calculation.rs::MarginCalculation::add_perp_liability"""
        self.num_perp_liabilities += 1

    def update_all_oracles_valid(self, valid: bool) -> None:
        """One flag for deposits and liabilities.

        Source: programs/drift/src/state/margin_calculation.rs::MarginCalculation::update_all_deposit_oracles_valid,
        MarginCalculation::update_all_liability_oracles_valid
        """
        self.all_oracles_valid = self.all_oracles_valid and valid

    def validate_num_spot_liabilities(self) -> None:
        """A spot liability must carry a margin requirement (InvalidMarginRatio otherwise).

        Source: programs/drift/src/state/margin_calculation.rs::MarginCalculation::validate_num_spot_liabilities
        """
        if self.num_spot_liabilities > 0 and self.margin_requirement == 0:
            raise InvalidMarginRatio(
                f"num_spot_liabilities={self.num_spot_liabilities} but margin_requirement=0"
            )

    def get_num_of_liabilities(self) -> int:
        """Source: programs/drift/src/state/margin_calculation.rs::MarginCalculation::get_num_of_liabilities"""
        return self.num_spot_liabilities + self.num_perp_liabilities

    def get_total_collateral_plus_buffer(self) -> int:
        """Source: programs/drift/src/state/margin_calculation.rs::MarginCalculation::get_total_collateral_plus_buffer"""
        return self.total_collateral + self.total_collateral_buffer

    def meets_margin_requirement(self) -> bool:
        """total_collateral >= margin_requirement.

        Source: programs/drift/src/state/margin_calculation.rs::MarginCalculation::meets_margin_requirement
        """
        return self.total_collateral >= self.margin_requirement

    def meets_margin_requirement_with_buffer(self) -> bool:
        """total_collateral + collateral buffer >= margin_requirement_plus_buffer.

        Source: programs/drift/src/state/margin_calculation.rs::MarginCalculation::meets_margin_requirement_with_buffer
        """
        return self.get_total_collateral_plus_buffer() >= self.margin_requirement_plus_buffer

    def can_exit_liquidation(self) -> bool:
        """Buffered check; only meaningful (and allowed) in liquidation mode.

        Source: programs/drift/src/state/margin_calculation.rs::MarginCalculation::can_exit_liquidation
        """
        if self.context.mode is not MarginCalculationMode.Liquidation:
            raise InvalidMarginCalculation(f"can_exit_liquidation in {self.context.mode.name} mode")
        return self.meets_margin_requirement_with_buffer()

    def margin_shortage(self) -> int:
        """|margin_requirement_plus_buffer - (total_collateral + buffer)| (1e6); needs a buffer.

        Source: programs/drift/src/state/margin_calculation.rs::MarginCalculation::margin_shortage
        """
        if self.context.margin_buffer == 0:
            raise InvalidMarginCalculation("margin_shortage needs margin_buffer > 0, got 0")
        return abs(self.margin_requirement_plus_buffer - self.get_total_collateral_plus_buffer())

    def tracked_market_margin_shortage(self, margin_shortage: int) -> int:
        """The tracked market's pro-rata share of `margin_shortage`, floored (1e6).

        Source: programs/drift/src/state/margin_calculation.rs::MarginCalculation::tracked_market_margin_shortage
        """
        if self.context.market_to_track is None:
            raise InvalidMarginCalculation(
                "tracked_market_margin_shortage without a tracked market"
            )
        if self.margin_requirement == 0:
            return 0
        return div_floor(
            margin_shortage * self.tracked_market_margin_requirement, self.margin_requirement
        )

    def get_free_collateral(self) -> int:
        """max(0, total_collateral - margin_requirement) (1e6).

        Source: programs/drift/src/state/margin_calculation.rs::MarginCalculation::get_free_collateral
        """
        free = self.total_collateral - self.margin_requirement
        return free if free > 0 else 0


copy_by_constructor(MarginContext, MarginCalculation)
