"""Typed errors of the Curie twin, one class per reference revert.

Each class carries ``revert``, the reference's revert string ("" where the reference reverts
with a bare ``require`` or a SafeMath/SafeCast check), and every raise names the offending value.
An operation that raises has left every pool and account exactly as it was.

Mapping (class -> revert string -> where):

===========================  =======  ====================================================
TickOutOfRange               "T"      TickMath.getSqrtRatioAtTick: |tick| > 887272
SqrtRatioOutOfRange          "R"      TickMath.getTickAtSqrtRatio: S outside [MIN, MAX)
MulDivOverflow               ""       FullMath.mulDiv / mulDivRoundingUp: d == 0 or result >= 2^256
ZeroSqrtPrice                ""       SqrtPriceMath.getNextSqrtPriceFrom{Input,Output}: S == 0;
                                      getAmount0Delta: lower sqrt ratio == 0
ZeroLiquidity                ""       SqrtPriceMath.getNextSqrtPriceFrom{Input,Output}: L == 0
PriceOverflow                ""       SqrtPriceMath: next sqrt price does not fit uint160
                                      (toUint160 / checked add)
InsufficientReserves         ""       SqrtPriceMath: output >= virtual reserves
                                      (numerator1 > product / sqrtP > quotient)
SafeCastOverflow             ""       SafeCast.toUint128/toInt128/toInt256 (and uint256 bounds)
LiquiditySub                 "LS"     LiquidityMath.addDelta: result below 0
LiquidityAdd                 "LA"     LiquidityMath.addDelta: result above 2^128 - 1
LiquidityOverflow            "LO"     Tick.update: liquidityGross > maxLiquidityPerTick
TickNotSpaced                ""       TickBitmap.flipTick: tick % tickSpacing != 0
TickLowerUpper               "TLU"    UniswapV3Pool.checkTicks: lower >= upper
TickLowerMin                 "TLM"    UniswapV3Pool.checkTicks: lower < MIN_TICK
TickUpperMax                 "TUM"    UniswapV3Pool.checkTicks: upper > MAX_TICK
NoPosition                   "NP"     Position.update: poke (burn 0) of a position with 0 liquidity
ZeroMintAmount               ""       UniswapV3Pool.mint: amount == 0
AlreadyInitialized           "AI"     UniswapV3Pool.initialize: pool already initialized
Locked                       "LOK"    UniswapV3Pool lock modifier (here: pool not initialized)
AmountSpecified              "AS"     UniswapV3Pool.swap: amountSpecified == 0
SqrtPriceLimit               "SPL"    UniswapV3Pool.swap: limit not strictly between the
                                      current price and MIN/MAX_SQRT_RATIO in the swap direction
OracleUninitialized          "I"      Oracle.observe / grow: cardinality == 0
OracleTooOld                 "OLD"    Oracle.observeSingle: target older than the oldest observation
===========================  =======  ====================================================

Arithmetic reverts without a string also subclass :class:`ballast.fixed.MathError`.

Source: contracts/UniswapV3Pool.sol (and the v3-core libraries it calls)
"""

from __future__ import annotations

from ballast.fixed import MathError


class CurieError(Exception):
    """Base of every error the Curie twin raises; the operation left state unchanged."""

    revert: str = ""

    @property
    def code(self) -> str:
        """The reference's revert string ("" for a bare require)."""
        return self.revert


class CurieMathError(CurieError, MathError):
    """An arithmetic revert without a revert string (overflow, bad cast, division by zero)."""


class TickOutOfRange(CurieError):
    """'T': tick outside [MIN_TICK, MAX_TICK]."""

    revert = "T"


class SqrtRatioOutOfRange(CurieError):
    """'R': sqrt price outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)."""

    revert = "R"


class MulDivOverflow(CurieMathError):
    """FullMath bare require: zero denominator or a result of 2^256 or more."""


class ZeroSqrtPrice(CurieMathError):
    """SqrtPriceMath bare require: sqrt price is 0."""


class ZeroLiquidity(CurieMathError):
    """SqrtPriceMath bare require: liquidity is 0."""


class PriceOverflow(CurieMathError):
    """SqrtPriceMath: the next sqrt price does not fit in uint160."""


class InsufficientReserves(CurieMathError):
    """SqrtPriceMath bare require: the requested output reaches the virtual reserves."""


class SafeCastOverflow(CurieMathError):
    """SafeCast bare require: value outside the target integer type."""


class LiquiditySub(CurieError):
    """'LS': liquidity would go below zero."""

    revert = "LS"


class LiquidityAdd(CurieError):
    """'LA': liquidity would exceed 2^128 - 1."""

    revert = "LA"


class LiquidityOverflow(CurieError):
    """'LO': a tick's gross liquidity would exceed maxLiquidityPerTick."""

    revert = "LO"


class TickNotSpaced(CurieError):
    """TickBitmap.flipTick bare require: tick is not a multiple of tickSpacing."""


class TickLowerUpper(CurieError):
    """'TLU': tickLower must be below tickUpper."""

    revert = "TLU"


class TickLowerMin(CurieError):
    """'TLM': tickLower below MIN_TICK."""

    revert = "TLM"


class TickUpperMax(CurieError):
    """'TUM': tickUpper above MAX_TICK."""

    revert = "TUM"


class NoPosition(CurieError):
    """'NP': poking (0 liquidity change) a position that has no liquidity."""

    revert = "NP"


class ZeroMintAmount(CurieError):
    """UniswapV3Pool.mint bare require: amount must be positive."""


class AlreadyInitialized(CurieError):
    """'AI': the pool already has a price."""

    revert = "AI"


class Locked(CurieError):
    """'LOK': the pool is locked (never initialized)."""

    revert = "LOK"


class AmountSpecified(CurieError):
    """'AS': swap amount is zero."""

    revert = "AS"


class SqrtPriceLimit(CurieError):
    """'SPL': the price limit is on the wrong side of the price or outside the ratio bounds."""

    revert = "SPL"


class OracleUninitialized(CurieError):
    """'I': the oracle has no observations (cardinality 0)."""

    revert = "I"


class OracleTooOld(CurieError):
    """'OLD': the requested time is older than the oldest observation."""

    revert = "OLD"
