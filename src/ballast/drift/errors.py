"""Typed errors, one class per reference `ErrorCode` variant that Ballast can raise.

Every error carries a message naming the offending value. `MathError` (from
`ballast.fixed`) is the reference's `ErrorCode::MathError` and is re-exported here.

Source: programs/drift/src/error.rs::ErrorCode
"""

from __future__ import annotations

from ballast.fixed import MathError


class DriftError(Exception):
    """Base of every error an instruction can raise; the instruction left state unchanged."""

    @property
    def code(self) -> str:
        """The reference's ErrorCode variant name."""
        return type(self).__name__


class AMMNotUpdatedInSameSlot(DriftError):
    """ErrorCode::AMMNotUpdatedInSameSlot"""


class CantCancelPostOnlyOrder(DriftError):
    """ErrorCode::CantCancelPostOnlyOrder"""


class CantTransferBetweenSameUserAccount(DriftError):
    """ErrorCode::CantTransferBetweenSameUserAccount"""


class CantUpdatePoolBalanceType(DriftError):
    """ErrorCode::CantUpdatePoolBalanceType"""


class CouldNotFindSpotPosition(DriftError):
    """ErrorCode::CouldNotFindSpotPosition"""


class ExchangePaused(DriftError):
    """ErrorCode::ExchangePaused"""


class FillOrderDidNotUpdateState(DriftError):
    """ErrorCode::FillOrderDidNotUpdateState"""


class FundingWasNotUpdated(DriftError):
    """ErrorCode::FundingWasNotUpdated"""


class InsufficientCollateral(DriftError):
    """ErrorCode::InsufficientCollateral"""


class InsufficientCollateralForSettlingPNL(DriftError):
    """ErrorCode::InsufficientCollateralForSettlingPNL"""


class InsufficientDeposit(DriftError):
    """ErrorCode::InsufficientDeposit"""


class InsufficientLPTokens(DriftError):
    """ErrorCode::InsufficientLPTokens"""


class InvalidAmmDetected(DriftError):
    """ErrorCode::InvalidAmmDetected"""


class InvalidAmount(DriftError):
    """ErrorCode::InvalidAmount"""


class InvalidBaseAssetAmountForLiquidatePerp(DriftError):
    """ErrorCode::InvalidBaseAssetAmountForLiquidatePerp"""


class InvalidConcentrationCoef(DriftError):
    """ErrorCode::InvalidConcentrationCoef"""


class InvalidFundingProfitability(DriftError):
    """ErrorCode::InvalidFundingProfitability"""


class InvalidInitialPeg(DriftError):
    """ErrorCode::InvalidInitialPeg"""


class InvalidLiquidation(DriftError):
    """ErrorCode::InvalidLiquidation"""


class InvalidMarginCalculation(DriftError):
    """ErrorCode::InvalidMarginCalculation"""


class InvalidMarginRatio(DriftError):
    """ErrorCode::InvalidMarginRatio"""


class InvalidMarketParameter(DriftError):
    """ErrorCode::InvalidMarketParameter"""


class InvalidMarketStatusForFills(DriftError):
    """ErrorCode::InvalidMarketStatusForFills"""


class InvalidOracle(DriftError):
    """ErrorCode::InvalidOracle"""


class InvalidOrder(DriftError):
    """ErrorCode::InvalidOrder"""


class InvalidOrderAuction(DriftError):
    """ErrorCode::InvalidOrderAuction"""


class InvalidOrderBaseQuoteAsset(DriftError):
    """ErrorCode::InvalidOrderBaseQuoteAsset"""


class InvalidOrderFillPrice(DriftError):
    """ErrorCode::InvalidOrderFillPrice"""


class InvalidOrderForInitialMarginReq(DriftError):
    """ErrorCode::InvalidOrderForInitialMarginReq"""


class InvalidOrderIOC(DriftError):
    """ErrorCode::InvalidOrderIOC"""


class InvalidOrderIOCPostOnly(DriftError):
    """ErrorCode::InvalidOrderIOCPostOnly"""


class InvalidOrderMarketType(DriftError):
    """ErrorCode::InvalidOrderMarketType"""


class InvalidOrderMaxTs(DriftError):
    """ErrorCode::InvalidOrderMaxTs"""


class InvalidOrderMinOrderSize(DriftError):
    """ErrorCode::InvalidOrderMinOrderSize"""


class InvalidOrderNotRiskReducing(DriftError):
    """ErrorCode::InvalidOrderNotRiskReducing"""


class InvalidOrderNotStepSizeMultiple(DriftError):
    """ErrorCode::InvalidOrderNotStepSizeMultiple"""


class InvalidOrderOracleOffset(DriftError):
    """ErrorCode::InvalidOrderOracleOffset"""


class InvalidOrderPostOnly(DriftError):
    """ErrorCode::InvalidOrderPostOnly"""


class InvalidOrderSizeTooSmall(DriftError):
    """ErrorCode::InvalidOrderSizeTooSmall"""


class InvalidOrderTrigger(DriftError):
    """ErrorCode::InvalidOrderTrigger"""


class InvalidPerpPosition(DriftError):
    """ErrorCode::InvalidPerpPosition"""


class InvalidPerpPositionDetected(DriftError):
    """ErrorCode::InvalidPerpPositionDetected"""


class InvalidPerpPositionToLiquidate(DriftError):
    """ErrorCode::InvalidPerpPositionToLiquidate"""


class InvalidPositionDelta(DriftError):
    """ErrorCode::InvalidPositionDelta"""


class InvalidPositionLastFundingRate(DriftError):
    """ErrorCode::InvalidPositionLastFundingRate"""


class InvalidSpotMarketInitialization(DriftError):
    """ErrorCode::InvalidSpotMarketInitialization"""


class InvalidUpdateK(DriftError):
    """ErrorCode::InvalidUpdateK"""


class InvalidUserSubAccountId(DriftError):
    """ErrorCode::InvalidUserSubAccountId"""


class LiquidationsBlockedByOracle(DriftError):
    """ErrorCode::LiquidationsBlockedByOracle"""


class MakerCantFulfillOwnOrder(DriftError):
    """ErrorCode::MakerCantFulfillOwnOrder"""


class MakerNotFound(DriftError):
    """ErrorCode::MakerNotFound"""


class MakerOrderNotFound(DriftError):
    """ErrorCode::MakerOrderNotFound"""


class MarketDelisted(DriftError):
    """ErrorCode::MarketDelisted"""


class MarketIndexAlreadyInitialized(DriftError):
    """ErrorCode::MarketIndexAlreadyInitialized"""


class MarketStatusInvalidForNewLP(DriftError):
    """ErrorCode::MarketStatusInvalidForNewLP"""


class MaxNumberOfOrders(DriftError):
    """ErrorCode::MaxNumberOfOrders"""


class MaxNumberOfPositions(DriftError):
    """ErrorCode::MaxNumberOfPositions"""


class NewLPSizeTooSmall(DriftError):
    """ErrorCode::NewLPSizeTooSmall"""


class NoPositionsLiquidatable(DriftError):
    """ErrorCode::NoPositionsLiquidatable"""


class NoSpotPositionAvailable(DriftError):
    """ErrorCode::NoSpotPositionAvailable"""


class NoUnsettledPnl(DriftError):
    """ErrorCode::NoUnsettledPnl"""


class OracleInsufficientDataPoints(DriftError):
    """ErrorCode::OracleInsufficientDataPoints"""


class OracleNonPositive(DriftError):
    """ErrorCode::OracleNonPositive"""


class OracleNotFound(DriftError):
    """ErrorCode::OracleNotFound"""


class OracleStaleForAMM(DriftError):
    """ErrorCode::OracleStaleForAMM"""


class OracleStaleForMargin(DriftError):
    """ErrorCode::OracleStaleForMargin"""


class OracleTooUncertain(DriftError):
    """ErrorCode::OracleTooUncertain"""


class OracleTooVolatile(DriftError):
    """ErrorCode::OracleTooVolatile"""


class OracleUpdatesNotMonotonic(DriftError):
    """ErrorCode::OracleUpdatesNotMonotonic"""


class OrderAmountTooSmall(DriftError):
    """ErrorCode::OrderAmountTooSmall"""


class OrderBreachesOraclePriceLimits(DriftError):
    """ErrorCode::OrderBreachesOraclePriceLimits"""


class OrderDoesNotExist(DriftError):
    """ErrorCode::OrderDoesNotExist"""


class OrderNotOpen(DriftError):
    """ErrorCode::OrderNotOpen"""


class OrderSizeTooSmall(DriftError):
    """ErrorCode::OrderSizeTooSmall"""


class PerpMarketNotFound(DriftError):
    """ErrorCode::PerpMarketNotFound"""


class PlacePostOnlyLimitFailure(DriftError):
    """ErrorCode::PlacePostOnlyLimitFailure"""


class PnlPoolCantSettleUser(DriftError):
    """ErrorCode::PnlPoolCantSettleUser"""


class PositionDoesntHaveOpenPositionOrOrders(DriftError):
    """ErrorCode::PositionDoesntHaveOpenPositionOrOrders"""


class PriceBandsBreached(DriftError):
    """ErrorCode::PriceBandsBreached"""


class ReduceOnlyOrderIncreasedRisk(DriftError):
    """ErrorCode::ReduceOnlyOrderIncreasedRisk"""


class SlippageOutsideLimit(DriftError):
    """ErrorCode::SlippageOutsideLimit"""


class SpotMarketBalanceInvariantViolated(DriftError):
    """ErrorCode::SpotMarketBalanceInvariantViolated"""


class SpotMarketInsufficientDeposits(DriftError):
    """ErrorCode::SpotMarketInsufficientDeposits"""


class SpotMarketNotFound(DriftError):
    """ErrorCode::SpotMarketNotFound"""


class SpotMarketVaultInvariantViolated(DriftError):
    """ErrorCode::SpotMarketVaultInvariantViolated"""


class SufficientCollateral(DriftError):
    """ErrorCode::SufficientCollateral"""


class TradeSizeTooLarge(DriftError):
    """ErrorCode::TradeSizeTooLarge"""


class TryingToRemoveLiquidityTooFast(DriftError):
    """ErrorCode::TryingToRemoveLiquidityTooFast"""


class UnableToBurnLPTokens(DriftError):
    """ErrorCode::UnableToBurnLPTokens"""


class UnableToGetLimitPrice(DriftError):
    """ErrorCode::UnableToGetLimitPrice"""


class UserAlreadyExists(DriftError):
    """ErrorCode::UserAlreadyExists"""


class UserBankrupt(DriftError):
    """ErrorCode::UserBankrupt"""


class UserCantLiquidateThemself(DriftError):
    """ErrorCode::UserCantLiquidateThemself"""


class UserHasNoOrder(DriftError):
    """ErrorCode::UserHasNoOrder"""


class UserHasNoPositionInMarket(DriftError):
    """ErrorCode::UserHasNoPositionInMarket"""


class UserIsBeingLiquidated(DriftError):
    """ErrorCode::UserIsBeingLiquidated"""


class UserNotBankrupt(DriftError):
    """ErrorCode::UserNotBankrupt"""


class UserNotFound(DriftError):
    """ErrorCode::UserNotFound"""


class UserOrderIdAlreadyInUse(DriftError):
    """ErrorCode::UserOrderIdAlreadyInUse"""


class UserReduceOnly(DriftError):
    """ErrorCode::UserReduceOnly"""


class WrongSpotBalanceType(DriftError):
    """ErrorCode::WrongSpotBalanceType"""



class DailyWithdrawLimit(DriftError):
    """ErrorCode::DailyWithdrawLimit"""

__all__ = ["DriftError", "MathError", "DailyWithdrawLimit", "AMMNotUpdatedInSameSlot", "CantCancelPostOnlyOrder", "CantTransferBetweenSameUserAccount", "CantUpdatePoolBalanceType", "CouldNotFindSpotPosition", "ExchangePaused", "FillOrderDidNotUpdateState", "FundingWasNotUpdated", "InsufficientCollateral", "InsufficientCollateralForSettlingPNL", "InsufficientDeposit", "InsufficientLPTokens", "InvalidAmmDetected", "InvalidAmount", "InvalidBaseAssetAmountForLiquidatePerp", "InvalidConcentrationCoef", "InvalidFundingProfitability", "InvalidInitialPeg", "InvalidLiquidation", "InvalidMarginCalculation", "InvalidMarginRatio", "InvalidMarketParameter", "InvalidMarketStatusForFills", "InvalidOracle", "InvalidOrder", "InvalidOrderAuction", "InvalidOrderBaseQuoteAsset", "InvalidOrderFillPrice", "InvalidOrderForInitialMarginReq", "InvalidOrderIOC", "InvalidOrderIOCPostOnly", "InvalidOrderMarketType", "InvalidOrderMaxTs", "InvalidOrderMinOrderSize", "InvalidOrderNotRiskReducing", "InvalidOrderNotStepSizeMultiple", "InvalidOrderOracleOffset", "InvalidOrderPostOnly", "InvalidOrderSizeTooSmall", "InvalidOrderTrigger", "InvalidPerpPosition", "InvalidPerpPositionDetected", "InvalidPerpPositionToLiquidate", "InvalidPositionDelta", "InvalidPositionLastFundingRate", "InvalidSpotMarketInitialization", "InvalidUpdateK", "InvalidUserSubAccountId", "LiquidationsBlockedByOracle", "MakerCantFulfillOwnOrder", "MakerNotFound", "MakerOrderNotFound", "MarketDelisted", "MarketIndexAlreadyInitialized", "MarketStatusInvalidForNewLP", "MaxNumberOfOrders", "MaxNumberOfPositions", "NewLPSizeTooSmall", "NoPositionsLiquidatable", "NoSpotPositionAvailable", "NoUnsettledPnl", "OracleInsufficientDataPoints", "OracleNonPositive", "OracleNotFound", "OracleStaleForAMM", "OracleStaleForMargin", "OracleTooUncertain", "OracleTooVolatile", "OracleUpdatesNotMonotonic", "OrderAmountTooSmall", "OrderBreachesOraclePriceLimits", "OrderDoesNotExist", "OrderNotOpen", "OrderSizeTooSmall", "PerpMarketNotFound", "PlacePostOnlyLimitFailure", "PnlPoolCantSettleUser", "PositionDoesntHaveOpenPositionOrOrders", "PriceBandsBreached", "ReduceOnlyOrderIncreasedRisk", "SlippageOutsideLimit", "SpotMarketBalanceInvariantViolated", "SpotMarketInsufficientDeposits", "SpotMarketNotFound", "SpotMarketVaultInvariantViolated", "SufficientCollateral", "TradeSizeTooLarge", "TryingToRemoveLiquidityTooFast", "UnableToBurnLPTokens", "UnableToGetLimitPrice", "UserAlreadyExists", "UserBankrupt", "UserCantLiquidateThemself", "UserHasNoOrder", "UserHasNoPositionInMarket", "UserIsBeingLiquidated", "UserNotBankrupt", "UserNotFound", "UserOrderIdAlreadyInUse", "UserReduceOnly", "WrongSpotBalanceType", "InvalidOrderLimitPrice", "InvalidTriggerOrderCondition", "InvalidAmmLimitPriceOverride", "InvalidOracleOffset", "UnequalMarketIndexForSpotTransfer", "InvalidSpotMarketState", "InvalidMarkTwapUpdateDetected", "InvalidAmmMaxSpreadDetected", "InvalidAmmForFillDetected", "InvalidMarketStatusToSettlePnl", "UserMustSettleTheirOwnPositiveUnsettledPNL", "BlockchainClockInconsistency", "InsufficientPerpPnlPool", "LiquidationDoesntSatisfyLimitPrice", "DefaultError", "InvalidIFForNewStakes", "IFWithdrawRequestInProgress", "IFWithdrawRequestTooSmall", "InvalidIFRebase", "InvalidIFUnstakeCancel", "InvalidIFUnstake", "NoRevenueToSettleToIF", "RevenueSettingsCannotSettleToIF", "InvalidIFSharesDetected", "InsufficientIFShares", "InvalidInsuranceUnstakeSize", "InvalidIFUnstakeSize", "InvalidIFDetected", "NoIFWithdrawRequestInProgress", "IncorrectSpotMarketAccountPassed", "InvalidSpotMarketAccount", "CantResolvePerpBankruptcy", "UserHasInvalidBorrow", "InvalidSpotPosition", "TierViolationLiquidatingPerpPnl", "NoAmmPerpPnlDeficit", "SufficientPerpPnlPool", "PerpPnlDeficitBelowThreshold", "MaxDeposit", "MaxBorrows", "MaxRevenueWithdrawPerPeriodReached", "MaxIFWithdrawReached", "NoIFWithdrawAvailable"]


class InvalidOrderLimitPrice(DriftError):
    """ErrorCode::InvalidOrderLimitPrice"""


class InvalidTriggerOrderCondition(DriftError):
    """ErrorCode::InvalidTriggerOrderCondition"""


class InvalidAmmLimitPriceOverride(DriftError):
    """ErrorCode::InvalidAmmLimitPriceOverride"""


class InvalidOracleOffset(DriftError):
    """ErrorCode::InvalidOracleOffset"""


class UnequalMarketIndexForSpotTransfer(DriftError):
    """ErrorCode::UnequalMarketIndexForSpotTransfer"""


class InvalidSpotMarketState(DriftError):
    """ErrorCode::InvalidSpotMarketState"""


class InvalidMarkTwapUpdateDetected(DriftError):
    """ErrorCode::InvalidMarkTwapUpdateDetected"""


class InvalidAmmMaxSpreadDetected(DriftError):
    """ErrorCode::InvalidAmmMaxSpreadDetected"""


class InvalidAmmForFillDetected(DriftError):
    """ErrorCode::InvalidAmmForFillDetected"""


class InvalidMarketStatusToSettlePnl(DriftError):
    """ErrorCode::InvalidMarketStatusToSettlePnl"""


class UserMustSettleTheirOwnPositiveUnsettledPNL(DriftError):
    """ErrorCode::UserMustSettleTheirOwnPositiveUnsettledPNL"""


class BlockchainClockInconsistency(DriftError):
    """ErrorCode::BlockchainClockInconsistency"""


class InsufficientPerpPnlPool(DriftError):
    """ErrorCode::InsufficientPerpPnlPool"""


class LiquidationDoesntSatisfyLimitPrice(DriftError):
    """ErrorCode::LiquidationDoesntSatisfyLimitPrice"""


class DefaultError(DriftError):
    """ErrorCode::DefaultError"""


class InvalidIFForNewStakes(DriftError):
    """ErrorCode::InvalidIFForNewStakes"""


class IFWithdrawRequestInProgress(DriftError):
    """ErrorCode::IFWithdrawRequestInProgress"""


class IFWithdrawRequestTooSmall(DriftError):
    """ErrorCode::IFWithdrawRequestTooSmall"""


class InvalidIFRebase(DriftError):
    """ErrorCode::InvalidIFRebase"""


class InvalidIFUnstakeCancel(DriftError):
    """ErrorCode::InvalidIFUnstakeCancel"""


class InvalidIFUnstake(DriftError):
    """ErrorCode::InvalidIFUnstake"""


class NoRevenueToSettleToIF(DriftError):
    """ErrorCode::NoRevenueToSettleToIF"""


class RevenueSettingsCannotSettleToIF(DriftError):
    """ErrorCode::RevenueSettingsCannotSettleToIF"""


class InvalidIFSharesDetected(DriftError):
    """ErrorCode::InvalidIFSharesDetected"""


class InsufficientIFShares(DriftError):
    """ErrorCode::InsufficientIFShares"""


class InvalidInsuranceUnstakeSize(DriftError):
    """ErrorCode::InvalidInsuranceUnstakeSize"""


class InvalidIFUnstakeSize(DriftError):
    """ErrorCode::InvalidIFUnstakeSize"""


class InvalidIFDetected(DriftError):
    """ErrorCode::InvalidIFDetected"""


class NoIFWithdrawRequestInProgress(DriftError):
    """ErrorCode::NoIFWithdrawRequestInProgress"""


class IncorrectSpotMarketAccountPassed(DriftError):
    """ErrorCode::IncorrectSpotMarketAccountPassed"""


class InvalidSpotMarketAccount(DriftError):
    """ErrorCode::InvalidSpotMarketAccount"""


class CantResolvePerpBankruptcy(DriftError):
    """ErrorCode::CantResolvePerpBankruptcy"""


class UserHasInvalidBorrow(DriftError):
    """ErrorCode::UserHasInvalidBorrow"""


class InvalidSpotPosition(DriftError):
    """ErrorCode::InvalidSpotPosition"""


class TierViolationLiquidatingPerpPnl(DriftError):
    """ErrorCode::TierViolationLiquidatingPerpPnl"""


class NoAmmPerpPnlDeficit(DriftError):
    """ErrorCode::NoAmmPerpPnlDeficit"""


class SufficientPerpPnlPool(DriftError):
    """ErrorCode::SufficientPerpPnlPool"""


class PerpPnlDeficitBelowThreshold(DriftError):
    """ErrorCode::PerpPnlDeficitBelowThreshold"""


class MaxDeposit(DriftError):
    """ErrorCode::MaxDeposit"""


class MaxBorrows(DriftError):
    """ErrorCode::MaxBorrows"""


class MaxRevenueWithdrawPerPeriodReached(DriftError):
    """ErrorCode::MaxRevenueWithdrawPerPeriodReached"""


class MaxIFWithdrawReached(DriftError):
    """ErrorCode::MaxIFWithdrawReached"""


class NoIFWithdrawAvailable(DriftError):
    """ErrorCode::NoIFWithdrawAvailable"""


# --- spot trading (orders between users and swaps) --------------------------------------------


class MarketFillOrderPaused(DriftError):
    """ErrorCode::MarketFillOrderPaused"""


class MarketWithdrawPaused(DriftError):
    """ErrorCode::MarketWithdrawPaused"""


class MarketBeingInitialized(DriftError):
    """ErrorCode::MarketBeingInitialized"""


class ProtectedAssetTierViolation(DriftError):
    """ErrorCode::ProtectedAssetTierViolation"""


class IsolatedAssetTierViolation(DriftError):
    """ErrorCode::IsolatedAssetTierViolation"""


class MarginTradingDisabled(DriftError):
    """ErrorCode::MarginTradingDisabled"""


class SpotOrdersDisabled(DriftError):
    """ErrorCode::SpotOrdersDisabled"""


class OrderMustBeTriggeredFirst(DriftError):
    """ErrorCode::OrderMustBeTriggeredFirst"""


class InvalidSwap(DriftError):
    """ErrorCode::InvalidSwap"""


class SwapLimitPriceBreached(DriftError):
    """ErrorCode::SwapLimitPriceBreached"""


class SpotMarketReduceOnly(DriftError):
    """ErrorCode::SpotMarketReduceOnly"""


class MarginOrdersOpen(DriftError):
    """ErrorCode::MarginOrdersOpen"""


class InvalidFeeStructure(DriftError):
    """ErrorCode::InvalidFeeStructure"""
