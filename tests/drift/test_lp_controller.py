"""BAL (LP shares) controllers: controller/lp.py.

Reference vectors are transcribed from programs/drift/src/controller/lp/tests.rs and the LP cases
of controller/position/tests.rs (each test names its Rust test); the other cases follow
drift_bal.md and are worked by hand in the comments. No expected value here is computed with the
code under test.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballast.drift.controller.lp import (
    apply_lp_rebase_to_perp_market,
    apply_lp_rebase_to_perp_position,
    burn_lp_shares,
    mint_lp_shares,
    settle_funding_payment_then_lp,
    settle_lp,
    settle_lp_position,
    update_lp_market_position,
    update_terminal_reserves_and_bid_ask_bounds,
)
from ballast.drift.controller.position import update_position_and_market
from ballast.drift.errors import (
    InvalidAmmDetected,
    InvalidPerpPositionDetected,
    InvalidPositionDelta,
    InvalidUpdateK,
)
from ballast.drift.events import FundingPaymentRecord, LPAction, LPRecord
from ballast.drift.math.position import PositionDelta
from ballast.drift.state.perp_market import AMM, AMMLiquiditySplit, PerpMarket
from ballast.drift.state.user import PerpPosition, User
from ballast.fixed import MathError

from .test_lp_math import BASE, market_default_test

# ---------------------------------------------------------------------------------------------
# update_lp_market_position (controller/position/tests.rs)
# ---------------------------------------------------------------------------------------------

_USER_BUYS_10 = PositionDelta(10 * BASE, -10 * BASE)


def test_full_amm_split_leaves_lp_inventory_untouched():
    # full_amm_split: no LP shares -> nothing moves
    market = market_default_test(user_lp_shares=0, base_asset_amount_with_amm=10 * BASE)
    assert update_lp_market_position(market, _USER_BUYS_10, 0, AMMLiquiditySplit.Shared) == 0
    assert market.amm.base_asset_amount_with_unsettled_lp == 0
    assert market.amm.base_asset_amount_with_amm == 10 * BASE


def test_full_lp_split_moves_all_inventory_to_lps():
    # full_lp_split
    market = market_default_test(
        user_lp_shares=100 * BASE, sqrt_k=100 * BASE, base_asset_amount_with_amm=10 * BASE
    )
    assert (
        update_lp_market_position(market, _USER_BUYS_10, 0, AMMLiquiditySplit.Shared) == 10 * BASE
    )
    assert market.amm.base_asset_amount_per_lp == -10 * BASE // 100
    assert market.amm.quote_asset_amount_per_lp == 10 * BASE // 100
    assert market.amm.base_asset_amount_with_amm == 0
    assert market.amm.base_asset_amount_with_unsettled_lp == 10 * BASE
    # drift_bal.md 5.3 step 7: LP quote (user sign) joins quote_asset_amount_with_unsettled_lp
    assert market.amm.quote_asset_amount_with_unsettled_lp == -10 * BASE


def test_half_half_amm_lp_split():
    # half_half_amm_lp_split
    market = market_default_test(
        user_lp_shares=100 * BASE, sqrt_k=200 * BASE, base_asset_amount_with_amm=10 * BASE
    )
    update_lp_market_position(market, _USER_BUYS_10, 0, AMMLiquiditySplit.Shared)
    assert market.amm.base_asset_amount_with_amm == 5 * BASE
    assert market.amm.base_asset_amount_with_unsettled_lp == 5 * BASE


def test_protocol_owned_split_gives_lps_nothing():
    market = market_default_test(
        user_lp_shares=100 * BASE, sqrt_k=200 * BASE, base_asset_amount_with_amm=10 * BASE
    )
    before = replace(market.amm)
    assert (
        update_lp_market_position(market, _USER_BUYS_10, 10**6, AMMLiquiditySplit.ProtocolOwned)
        == 0
    )
    assert market.amm == before


def test_lp_fee_is_credited_to_quote_accumulator():
    # $1 fee, half of k: floor(1e6*0.8) * 1e9 / 200e9 = 4000 per share unit on top of 5e7
    market = market_default_test(user_lp_shares=100 * BASE, sqrt_k=200 * BASE)
    update_lp_market_position(market, _USER_BUYS_10, 10**6, AMMLiquiditySplit.Shared)
    assert market.amm.quote_asset_amount_per_lp == 5 * 10**7 + 4000
    assert market.amm.base_asset_amount_per_lp == -5 * 10**7


# amm_split_large_k / amm_split_large_k_with_rebase decode a live SOL-PERP account; the fields
# these tests read, decoded from that base64 string (AMM layout of the time):
_LARGE_K_AMM = {
    "base_asset_amount_per_lp": -574_054_756,
    "quote_asset_amount_per_lp": 12_535_655,
    "sqrt_k": 34_765_725_006_847_590,
    "user_lp_shares": 33_538_939_700_000_000,
    "base_asset_amount_long": 121_646_400_000_000,
    "base_asset_amount_short": -121_139_000_000_000,
    "base_asset_amount_with_amm": 9_064_786_707,
    "base_asset_amount_with_unsettled_lp": 498_335_213_293,
    "order_step_size": 10**8,
    "base_asset_reserve": 27_844_200_971_023_477,
    "quote_asset_reserve": 43_407_804_609_281_304,
    "peg_multiplier": 14_967_050,
}
_OG_BAAPL = -574_054_756
_OG_QAAPL = 12_535_655


def _large_k_market() -> PerpMarket:
    return PerpMarket(
        amm=AMM(**_LARGE_K_AMM), margin_ratio_initial=1000, margin_ratio_maintenance=500
    )


def _shared(market: PerpMarket, base: int, quote: int) -> None:
    update_lp_market_position(market, PositionDelta(base, quote), 0, AMMLiquiditySplit.Shared)


def test_amm_split_large_k():
    # controller/position/tests.rs::amm_split_large_k
    market = _large_k_market()
    amm = market.amm
    _shared(market, BASE // 10, -2_300_000)  # min long order for $2.3
    assert (amm.base_asset_amount_per_lp, amm.quote_asset_amount_per_lp) == (
        -574_054_758,
        12_535_655,
    )
    _shared(market, -BASE // 10, 2_300_000)  # min short order for $2.3
    assert (amm.base_asset_amount_per_lp, amm.quote_asset_amount_per_lp) == (
        -574_054_756,
        12_535_654,
    )

    position = PerpPosition(
        lp_shares=amm.user_lp_shares,
        last_base_asset_amount_per_lp=_OG_BAAPL,
        last_quote_asset_amount_per_lp=_OG_QAAPL,
    )
    settle_lp_position(position, market)
    assert position.base_asset_amount == 0
    assert position.remainder_base_asset_amount == 0
    assert position.quote_asset_amount == -33_538_939  # out of favor rounding
    assert position.per_lp_base == amm.per_lp_base

    _shared(market, 10 * BASE, -230_000_000)  # long order for $230
    assert (amm.base_asset_amount_per_lp, amm.quote_asset_amount_per_lp) == (
        -574_055_043,
        12_535_660,
    )
    # sqrt_k * 287 / 1e9 and sqrt_k * -5 / 1e6, -6 / 1e6 (i128 division truncates)
    assert amm.sqrt_k * (_OG_BAAPL - amm.base_asset_amount_per_lp) // BASE == 9_977_763_076
    assert -(amm.sqrt_k * (amm.quote_asset_amount_per_lp - _OG_QAAPL) // 10**6) == -173_828_625_034
    assert (
        -(amm.sqrt_k * (amm.quote_asset_amount_per_lp - _OG_QAAPL + 1) // 10**6) == -208_594_350_041
    )

    og_baapl, og_qaapl = amm.base_asset_amount_per_lp, amm.quote_asset_amount_per_lp
    _shared(market, -10 * BASE, 230_000_000)  # short order for $230
    assert (amm.base_asset_amount_per_lp, amm.quote_asset_amount_per_lp) == (
        -574_054_756,
        12_535_653,
    )
    assert -(amm.sqrt_k * (amm.base_asset_amount_per_lp - og_baapl) // BASE) == -9_977_763_076
    assert amm.sqrt_k * (og_qaapl - amm.quote_asset_amount_per_lp) // 10**6 == 243_360_075_047


def test_amm_split_large_k_with_rebase():
    # controller/position/tests.rs::amm_split_large_k_with_rebase (the newer stored version: it
    # asserts with_amm 8100106185 / unsettled 499299893815; an older one had the LP base moved
    # at unit 1e9 instead of the rebased 1e12)
    market = _large_k_market()
    amm = market.amm
    apply_lp_rebase_to_perp_market(market, 5)
    _shared(market, 0, 0)  # noop delta
    assert amm.quote_asset_amount_per_lp == _OG_QAAPL * 100_000
    assert amm.base_asset_amount_per_lp == _OG_BAAPL * 100_000

    _shared(market, BASE // 10, -2_300_000)  # min long order for $2.3
    assert (amm.base_asset_amount_per_lp, amm.quote_asset_amount_per_lp) == (
        -57_405_475_887_639,
        1_253_565_506_615,
    )
    num = amm.quote_asset_amount_per_lp - _OG_QAAPL * 100_000
    denom = amm.base_asset_amount_per_lp - _OG_BAAPL * 100_000
    assert num * 1_000_000 // -denom == 22_997  # $22.997 cost basis for short (vs $23 actual)

    _shared(market, -BASE // 10, 2_300_000)  # min short order for $2.3
    assert (amm.base_asset_amount_per_lp, amm.quote_asset_amount_per_lp) == (
        -57_405_475_600_000,
        1_253_565_499_999,
    )
    assert _OG_QAAPL * 100_000 - amm.quote_asset_amount_per_lp == 1

    position = PerpPosition(
        lp_shares=amm.user_lp_shares,
        last_base_asset_amount_per_lp=_OG_BAAPL,
        last_quote_asset_amount_per_lp=_OG_QAAPL,
        per_lp_base=0,
    )
    settle_lp_position(position, market)
    assert position.base_asset_amount == 0
    assert position.remainder_base_asset_amount == 0
    assert position.quote_asset_amount == -335  # out of favor rounding
    assert position.per_lp_base == amm.per_lp_base == 5

    apply_lp_rebase_to_perp_market(market, -2)  # update base back
    _shared(market, 0, 0)
    assert amm.quote_asset_amount_per_lp == _OG_QAAPL * 1000 - 1  # down only rounding
    assert amm.base_asset_amount_per_lp == _OG_BAAPL * 1000

    _shared(market, BASE, -23_000_000)  # 1 long order for $23 before lp position rebases
    # The Rust test runs _update_amm (repeg/twap) here, which leaves all of these as asserted:
    assert amm.quote_asset_amount_per_lp == 12_535_655_660
    assert amm.base_asset_amount_per_lp == -574_054_784_763
    assert position.last_base_asset_amount_per_lp == -57_405_475_600_000
    assert position.per_lp_base == 5 != amm.per_lp_base
    assert amm.base_asset_amount_long == 121_646_400_000_000
    assert amm.base_asset_amount_short == -121_139_000_000_000
    assert amm.base_asset_amount_with_amm == 8_100_106_185
    assert amm.base_asset_amount_with_unsettled_lp == 499_299_893_815

    settle_lp_position(position, market)
    assert amm.base_asset_amount_long == 121_646_400_000_000
    assert amm.base_asset_amount_short == -121_139_900_000_000
    assert amm.base_asset_amount_with_amm == 8_100_106_185
    assert amm.base_asset_amount_with_unsettled_lp == 498_399_893_815
    assert amm.user_lp_shares == 33_538_939_700_000_000
    assert amm.sqrt_k == 34_765_725_006_847_590
    assert position.per_lp_base == amm.per_lp_base
    assert position.base_asset_amount == -900_000_000
    assert position.remainder_base_asset_amount == -64_680_522
    assert position.quote_asset_amount == 22_168_904  # out of favor rounding
    assert position.last_base_asset_amount_per_lp == amm.base_asset_amount_per_lp
    assert position.last_quote_asset_amount_per_lp == amm.quote_asset_amount_per_lp


def test_terminal_reserves_and_bounds_follow_protocol_inventory():
    # users long 10e9 from a 100e9 curve: terminal base 90e9 + 10e9 = 100e9, quote 1e22/100e9;
    # bounds at coef 1.4142: floor(100e9 * 1e6 / 1414200), floor(100e9 * 1414200 / 1e6)
    market = market_default_test(
        user_lp_shares=BASE, base_asset_reserve=90 * BASE, base_asset_amount_with_amm=10 * BASE
    )
    update_terminal_reserves_and_bid_ask_bounds(market)
    assert market.amm.terminal_quote_asset_reserve == 100 * BASE
    assert market.amm.min_base_asset_reserve == 100 * BASE * 10**6 // 1_414_200
    assert market.amm.max_base_asset_reserve == 141_420_000_000


def test_terminal_reserves_untouched_without_lp_shares():
    market = market_default_test(base_asset_reserve=90 * BASE, base_asset_amount_with_amm=10 * BASE)
    before = replace(market.amm)
    update_terminal_reserves_and_bid_ask_bounds(market)
    assert market.amm == before


# ---------------------------------------------------------------------------------------------
# rebase (drift_bal.md 9)
# ---------------------------------------------------------------------------------------------


def test_rebase_market_keeps_target_and_validates():
    market = market_default_test(
        base_asset_amount_per_lp=-15,
        quote_asset_amount_per_lp=15,
        target_base_asset_amount_per_lp=7,
    )
    apply_lp_rebase_to_perp_market(market, -1)
    assert (market.amm.base_asset_amount_per_lp, market.amm.quote_asset_amount_per_lp) == (-1, 1)
    assert market.amm.per_lp_base == -1
    assert market.amm.target_base_asset_amount_per_lp == 7


def test_rebase_market_past_accumulator_bound_raises():
    market = market_default_test(base_asset_amount_per_lp=10**13)
    with pytest.raises(InvalidAmmDetected):
        apply_lp_rebase_to_perp_market(market, 5)


def test_rebase_position_catches_up_with_market():
    market = market_default_test(per_lp_base=-2)
    position = PerpPosition(
        lp_shares=1,
        last_base_asset_amount_per_lp=-1234,
        last_quote_asset_amount_per_lp=99,
        per_lp_base=0,
    )
    apply_lp_rebase_to_perp_position(market, position)
    assert (
        position.last_base_asset_amount_per_lp,
        position.last_quote_asset_amount_per_lp,
        position.per_lp_base,
    ) == (-12, 0, -2)


# ---------------------------------------------------------------------------------------------
# settle / mint / burn (controller/lp/tests.rs)
# ---------------------------------------------------------------------------------------------


def _accrue(market: PerpMarket, base_per_lp: int, quote_per_lp: int, **amm_fields) -> None:
    market.amm.base_asset_amount_per_lp = base_per_lp
    market.amm.quote_asset_amount_per_lp = quote_per_lp
    for name, value in amm_fields.items():
        setattr(market.amm, name, value)


def test_lp_wont_collect_improper_funding():
    # test_lp_wont_collect_improper_funding
    position = PerpPosition(base_asset_amount=1)
    market = market_default_test(order_step_size=1)
    mint_lp_shares(position, market, BASE)
    _accrue(
        market,
        10,
        -10,
        base_asset_amount_with_unsettled_lp=-10,
        base_asset_amount_short=-10,
        cumulative_funding_rate_long=-10,
    )
    with pytest.raises(InvalidPerpPositionDetected):
        settle_lp_position(position, market)


def test_mint_with_zero_order_step_size_raises_math_error():
    """The position's step check divides by order_step_size: a zero step is a MathError, not a
    ZeroDivisionError.

    Source: programs/drift/src/validation/position.rs::validate_perp_position_with_perp_market
    (`is_multiple_of_step_size(...)?`, i.e. math/orders.rs `checked_rem_euclid(step_size)` -> MathError)
    """
    # Arrange
    position = PerpPosition()
    market = market_default_test(order_step_size=0)
    # Act / Assert
    with pytest.raises(MathError):
        mint_lp_shares(position, market, BASE)


def test_full_long_settle():
    # test_full_long_settle
    position = PerpPosition()
    market = market_default_test(order_step_size=1)
    og_amm = replace(market.amm)
    mint_lp_shares(position, market, BASE)
    _accrue(market, 10, -10, base_asset_amount_with_unsettled_lp=-10, base_asset_amount_short=-10)

    settle_lp_position(position, market)
    assert (position.last_base_asset_amount_per_lp, position.last_quote_asset_amount_per_lp) == (
        10,
        -10,
    )
    assert (position.base_asset_amount, position.quote_asset_amount) == (10, -10)
    assert market.amm.base_asset_amount_with_unsettled_lp == 0
    assert market.amm.base_asset_amount_with_amm == og_amm.base_asset_amount_with_amm

    burn_lp_shares(position, market, position.lp_shares, 0)
    assert position.lp_shares == 0
    assert market.amm.sqrt_k == og_amm.sqrt_k


def test_full_short_settle():
    # test_full_short_settle
    position = PerpPosition()
    market = market_default_test(peg_multiplier=1, user_lp_shares=100 * BASE, order_step_size=1)
    mint_lp_shares(position, market, 100 * BASE)
    _accrue(market, -10, 10)
    settle_lp_position(position, market)
    assert (position.last_base_asset_amount_per_lp, position.last_quote_asset_amount_per_lp) == (
        -10,
        10,
    )
    assert (position.base_asset_amount, position.quote_asset_amount) == (-10 * 100, 10 * 100)


def test_partial_short_settle():
    # test_partial_short_settle
    position = PerpPosition()
    market = market_default_test(order_step_size=3)
    mint_lp_shares(position, market, BASE)
    _accrue(market, -10, 10, base_asset_amount_with_unsettled_lp=10, base_asset_amount_long=10)

    settle_lp_position(position, market)
    assert (position.base_asset_amount, position.quote_asset_amount) == (-9, 10)
    assert position.remainder_base_asset_amount == -1
    assert (position.last_base_asset_amount_per_lp, position.last_quote_asset_amount_per_lp) == (
        -10,
        10,
    )

    burn_lp_shares(position, market, position.lp_shares, 0)
    assert position.lp_shares == 0


def test_partial_long_settle():
    # test_partial_long_settle (position holds shares the market does not count)
    position = PerpPosition(lp_shares=BASE)
    market = market_default_test(
        base_asset_amount_per_lp=-10, quote_asset_amount_per_lp=10, order_step_size=3
    )
    settle_lp_position(position, market)
    assert (position.base_asset_amount, position.quote_asset_amount) == (-9, 10)
    assert position.remainder_base_asset_amount == -1
    assert (position.last_base_asset_amount_per_lp, position.last_quote_asset_amount_per_lp) == (
        -10,
        10,
    )


def test_remainder_long_settle_too_large_order_step_size():
    # test_remainder_long_settle_too_large_order_step_size
    position = PerpPosition()
    market = market_default_test(order_step_size=5 * BASE)
    og_amm = replace(market.amm)
    mint_lp_shares(position, market, BASE)
    _accrue(market, 10, -10, base_asset_amount_with_unsettled_lp=-10, base_asset_amount_short=-10)

    settle_lp_position(position, market)
    assert (position.last_base_asset_amount_per_lp, position.last_quote_asset_amount_per_lp) == (
        10,
        -10,
    )
    assert (position.base_asset_amount, position.quote_asset_amount) == (0, -10)
    assert position.remainder_base_asset_amount == 10
    assert market.amm.base_asset_amount_with_unsettled_lp == -10
    assert market.amm.base_asset_amount_with_amm == og_amm.base_asset_amount_with_amm

    assert position.lp_shares == BASE
    # burn at $0.000022: dust fee floor(10 * 22 / 1e9) + 1 = 1
    burn_lp_shares(position, market, position.lp_shares, 22)
    assert position.lp_shares == 0
    assert market.amm.sqrt_k == og_amm.sqrt_k
    assert (position.quote_asset_amount, position.base_asset_amount) == (-11, 0)
    assert position.remainder_base_asset_amount == 0


def test_remainder_overflows_too_large_order_step_size():
    # test_remainder_overflows_too_large_order_step_size
    position = PerpPosition()
    market = market_default_test(order_step_size=5 * BASE)
    og_amm = replace(market.amm)
    mint_lp_shares(position, market, BASE)
    _accrue(market, 10, -10, base_asset_amount_with_unsettled_lp=-10, base_asset_amount_short=-10)
    settle_lp_position(position, market)
    assert (position.base_asset_amount, position.quote_asset_amount) == (0, -10)
    assert position.remainder_base_asset_amount == 10
    assert market.amm.base_asset_amount_with_unsettled_lp == -10

    _accrue(
        market,
        BASE + 1,
        -16_900_000_000,
        base_asset_amount_with_unsettled_lp=-(BASE + 1),
        base_asset_amount_short=-(BASE + 1),
    )
    settle_lp_position(position, market)
    assert (position.last_base_asset_amount_per_lp, position.last_quote_asset_amount_per_lp) == (
        1_000_000_001,
        -16_900_000_000,
    )
    assert (position.quote_asset_amount, position.base_asset_amount) == (-16_900_000_000, 0)
    assert position.remainder_base_asset_amount == 1_000_000_001

    # might break i32 limit: not allowed to settle when remainder is above i32 but below step
    _accrue(
        market,
        3 * BASE + 1,
        -(3 * 16_900_000_000),
        base_asset_amount_with_unsettled_lp=-(3 * BASE + 1),
        base_asset_amount_short=-(3 * BASE + 1),
    )
    with pytest.raises(InvalidPositionDelta):
        settle_lp_position(position, market)
    assert (position.last_base_asset_amount_per_lp, position.last_quote_asset_amount_per_lp) == (
        1_000_000_001,
        -16_900_000_000,
    )
    assert (position.quote_asset_amount, position.base_asset_amount) == (-16_900_000_000, 0)
    assert position.remainder_base_asset_amount == 1_000_000_001

    # past order_step_size on market
    _accrue(
        market,
        5 * BASE + 1,
        -116_900_000_000,
        base_asset_amount_with_unsettled_lp=-(5 * BASE + 1),
        base_asset_amount_short=-(5 * BASE + 1),
    )
    settle_lp_position(position, market)
    assert (position.last_base_asset_amount_per_lp, position.last_quote_asset_amount_per_lp) == (
        5_000_000_001,
        -116_900_000_000,
    )
    assert (position.quote_asset_amount, position.base_asset_amount) == (-116_900_000_000, 5 * BASE)
    assert position.remainder_base_asset_amount == 1

    assert position.lp_shares == BASE
    burn_lp_shares(position, market, position.lp_shares, 22)
    assert position.lp_shares == 0
    assert market.amm.sqrt_k == og_amm.sqrt_k
    assert (position.quote_asset_amount, position.base_asset_amount) == (-116_900_000_001, 5 * BASE)
    assert position.remainder_base_asset_amount == 0


def test_remainder_burn_large_order_step_size():
    # test_remainder_burn_large_order_step_size
    position = PerpPosition()
    market = market_default_test(order_step_size=2 * BASE)
    og_amm = replace(market.amm)
    mint_lp_shares(position, market, BASE)
    _accrue(market, 10, -10, base_asset_amount_with_unsettled_lp=-10, base_asset_amount_short=-10)
    settle_lp_position(position, market)
    assert (position.base_asset_amount, position.quote_asset_amount) == (0, -10)
    assert position.remainder_base_asset_amount == 10
    assert market.amm.base_asset_amount_with_unsettled_lp == -10
    assert market.amm.base_asset_amount_with_amm == og_amm.base_asset_amount_with_amm

    _accrue(
        market,
        BASE + 1,
        -16_900_000_000,
        base_asset_amount_with_unsettled_lp=-(BASE + 1),
        base_asset_amount_short=-(BASE + 1),
    )
    settle_lp_position(position, market)
    assert (position.quote_asset_amount, position.base_asset_amount) == (-16_900_000_000, 0)
    assert position.remainder_base_asset_amount == 1_000_000_001

    # burn with overflowed remainder: fee floor(1000000001 * 22 / 1e9) + 1 = 23
    burn_lp_shares(position, market, position.lp_shares, 22)
    assert position.lp_shares == 0
    assert market.amm.sqrt_k == og_amm.sqrt_k
    assert (position.quote_asset_amount, position.base_asset_amount) == (-16_900_000_023, 0)
    assert position.remainder_base_asset_amount == 0


def test_lp_margin_calc_settle_starts_at_current_funding():
    # test_lp_margin_calc, up to the settle: market of test_lp_settle_pnl/test_lp_margin_calc
    position = PerpPosition(last_cumulative_funding_rate=1337)
    market = PerpMarket(
        amm=AMM(
            base_asset_reserve=100 * BASE,
            quote_asset_reserve=100 * BASE,
            sqrt_k=100 * BASE,
            peg_multiplier=100 * 10**6,
            order_step_size=2 * BASE // 100,
            quote_asset_amount=-150 * 10**6,
            base_asset_amount_with_amm=BASE,
            base_asset_amount_long=BASE,
            concentration_coef=1_000_001,
        ),
        margin_ratio_initial=1000,
        margin_ratio_maintenance=500,
    )
    mint_lp_shares(position, market, BASE)
    _accrue(
        market,
        100 * BASE,
        -BASE,
        base_asset_amount_with_unsettled_lp=-100 * BASE,
        base_asset_amount_short=-100 * BASE,
        cumulative_funding_rate_long=169 * 10**8,
        cumulative_funding_rate_short=169 * 10**8,
    )
    settle_lp_position(position, market)
    assert position.lp_shares == BASE
    assert (position.base_asset_amount, position.quote_asset_amount) == (100 * BASE, -BASE)
    assert (position.last_base_asset_amount_per_lp, position.last_quote_asset_amount_per_lp) == (
        100 * BASE,
        -BASE,
    )
    assert position.last_cumulative_funding_rate == 16_900_000_000


def test_burn_reports_dust_fee_in_delta_and_pnl():
    # step 3, accrued base 10 for 1e9 shares: stepped 9, remainder 1; burn at $5000:
    # fee floor(1 * 5000e6 / 1e9) + 1 = 6 -> delta quote -10 - 6, pnl: Open (0) then dust -6
    position = PerpPosition()
    market = market_default_test(order_step_size=3)
    mint_lp_shares(position, market, BASE)
    _accrue(market, 10, -10, base_asset_amount_with_unsettled_lp=-10, base_asset_amount_short=-10)
    delta, pnl = burn_lp_shares(position, market, BASE, 5000 * 10**6)
    assert delta == PositionDelta(9, -16, 1)
    assert pnl == -6
    # the AMM takes the remainder: with_amm -1, unsettled -10 + 9 + 1 = 0
    assert market.amm.base_asset_amount_with_amm == -1
    assert market.amm.base_asset_amount_with_unsettled_lp == 0
    assert (position.base_asset_amount, position.remainder_base_asset_amount) == (9, 0)


def _two_lp_market() -> tuple[PerpMarket, PerpPosition]:
    # one LP position with remainder -3 and no base; market residual LP inventory 5
    # (long+short 0 == with_amm -5 + unsettled 5)
    market = market_default_test(
        user_lp_shares=2 * BASE,
        sqrt_k=102 * BASE,
        base_asset_reserve=102 * BASE,
        quote_asset_reserve=102 * BASE,
        base_asset_amount_with_amm=-5,
        base_asset_amount_with_unsettled_lp=5,
    )
    position = PerpPosition(lp_shares=BASE, remainder_base_asset_amount=-3, quote_asset_amount=-50)
    return market, position


def test_partial_burn_burns_only_own_remainder():
    # not the last LP: r = -3 -> with_amm -5 + 3 = -2, unsettled 5 - 3 = 2;
    # fee floor(3 * 100e6 / 1e9) + 1 = 1
    market, position = _two_lp_market()
    burn_lp_shares(position, market, BASE, 100 * 10**6)
    assert market.amm.base_asset_amount_with_amm == -2
    assert market.amm.base_asset_amount_with_unsettled_lp == 2
    assert position.quote_asset_amount == -51
    assert (position.lp_shares, market.amm.user_lp_shares, market.amm.sqrt_k) == (
        0,
        BASE,
        101 * BASE,
    )


def test_last_lp_burn_absorbs_all_residual_lp_inventory():
    # last LP (1e9 of 1e9): u = 5 + (-3) = 2 -> remainder -5 = -with_unsettled_lp;
    # with_amm -5 + 5 = 0, unsettled 0; fee floor(5 * 100e6 / 1e9) + 1 = 1
    market, position = _two_lp_market()
    market.amm.user_lp_shares = BASE
    burn_lp_shares(position, market, BASE, 100 * 10**6)
    assert market.amm.base_asset_amount_with_amm == 0
    assert market.amm.base_asset_amount_with_unsettled_lp == 0
    assert position.quote_asset_amount == -51
    assert position.remainder_base_asset_amount == 0
    assert market.amm.user_lp_shares == 0


def test_burn_more_than_held_raises():
    market, position = _two_lp_market()
    with pytest.raises(MathError):
        burn_lp_shares(position, market, 2 * BASE, 100 * 10**6)


def test_burn_blocked_by_large_imbalance():
    # new sqrt_k 100e9 < |with_amm| 101e9 outside ReduceOnly: InvalidUpdateK
    position = PerpPosition(lp_shares=BASE)
    market = market_default_test(
        user_lp_shares=BASE,
        sqrt_k=101 * BASE,
        base_asset_reserve=101 * BASE,
        quote_asset_reserve=101 * BASE,
        base_asset_amount_with_amm=-101 * BASE,
        base_asset_amount_short=-101 * BASE,
        base_asset_amount_with_unsettled_lp=0,
    )
    with pytest.raises(InvalidUpdateK):
        burn_lp_shares(position, market, BASE, 10**6)


def test_mint_new_lp_snapshots_market_accumulators_and_exponent():
    position = PerpPosition()
    market = market_default_test(
        base_asset_amount_per_lp=-70, quote_asset_amount_per_lp=33, per_lp_base=2
    )
    mint_lp_shares(position, market, 3 * BASE)
    assert (position.last_base_asset_amount_per_lp, position.last_quote_asset_amount_per_lp) == (
        -70,
        33,
    )
    assert position.per_lp_base == 2
    assert (position.lp_shares, market.amm.user_lp_shares, market.amm.sqrt_k) == (
        3 * BASE,
        3 * BASE,
        103 * BASE,
    )
    # ratio 1.03: reserves 103e9 each (price kept)
    assert (market.amm.base_asset_reserve, market.amm.quote_asset_reserve) == (
        103 * BASE,
        103 * BASE,
    )


# ---------------------------------------------------------------------------------------------
# settle_lp / settle_funding_payment_then_lp (drift_bal.md 6.2, 10)
# ---------------------------------------------------------------------------------------------


def _funded_lp_user() -> tuple[User, PerpMarket]:
    # long 1e9 with lp shares; funding moved since; LPs accrued 10 base / -10 quote per share
    position = PerpPosition(
        base_asset_amount=BASE,
        quote_asset_amount=-BASE,
        quote_entry_amount=-BASE,
        quote_break_even_amount=-BASE,
        lp_shares=BASE,
    )
    market = market_default_test(
        user_lp_shares=BASE,
        base_asset_amount_per_lp=10,
        quote_asset_amount_per_lp=-10,
        base_asset_amount_long=BASE,
        base_asset_amount_with_amm=BASE,
        base_asset_amount_short=-10,
        base_asset_amount_with_unsettled_lp=-10,
        quote_asset_amount=-BASE,
        quote_entry_amount_long=-BASE,
        quote_break_even_amount_long=-BASE,
        cumulative_funding_rate_long=10**9,
        cumulative_funding_rate_short=10**9,
    )
    user = User(authority="lp", perp_positions=[position])
    return user, market


def test_settle_lp_before_funding_is_refused():
    user, market = _funded_lp_user()
    with pytest.raises(InvalidPerpPositionDetected):
        settle_lp(user, market, 100)


def test_settle_funding_then_lp_settles_both_in_order():
    user, market = _funded_lp_user()
    records = settle_funding_payment_then_lp(user, market, 100)
    assert [type(r) for r in records] == [FundingPaymentRecord, LPRecord]
    lp_record = records[1]
    assert (lp_record.action, lp_record.n_shares, lp_record.ts, lp_record.user) == (
        LPAction.SettleLiquidity,
        0,
        100,
        "lp/0",
    )
    assert (lp_record.delta_base_asset_amount, lp_record.delta_quote_asset_amount) == (10, -10)
    assert user.perp_positions[0].base_asset_amount == BASE + 10


def test_settle_lp_without_change_emits_nothing():
    user = User(perp_positions=[PerpPosition(lp_shares=BASE)])
    assert settle_lp(user, market_default_test(), 5) is None
    assert settle_lp(User(), market_default_test(), 5) is None


# ---------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    sqrt_k=st.integers(10 * BASE, 10**13),
    price_ratio_bps=st.integers(5_000, 20_000),
    existing_lp=st.integers(0, 10 * BASE),
    n_shares=st.integers(1, 10**13),
    step=st.sampled_from([1, 1000, 10**7]),
)
def test_mint_then_burn_restores_sqrt_k(sqrt_k, price_ratio_bps, existing_lp, n_shares, step):
    base_reserve = sqrt_k * 10_000 // price_ratio_bps
    market = market_default_test(
        sqrt_k=sqrt_k + existing_lp,
        user_lp_shares=existing_lp,
        base_asset_reserve=base_reserve,
        quote_asset_reserve=(sqrt_k + existing_lp) ** 2 // base_reserve,
        order_step_size=step,
    )
    position = PerpPosition()
    k_before = market.amm.sqrt_k
    mint_lp_shares(position, market, n_shares)
    burn_lp_shares(position, market, n_shares, 10**6)
    assert market.amm.sqrt_k == k_before
    assert market.amm.user_lp_shares == existing_lp
    assert position.lp_shares == 0


@settings(max_examples=100, deadline=None)
@given(
    base_per_lp=st.integers(-(10**12), 10**12),
    quote_per_lp=st.integers(-(10**12), 10**12),
    lp_shares=st.integers(1, 10**12),
    step=st.sampled_from([1, 3, 10**6, 10**8]),
    remainder=st.integers(-(10**5), 10**5),
)
def test_settling_twice_changes_nothing_the_second_time(
    base_per_lp, quote_per_lp, lp_shares, step, remainder
):
    market = market_default_test(
        order_step_size=step,
        base_asset_amount_per_lp=base_per_lp,
        quote_asset_amount_per_lp=quote_per_lp,
        user_lp_shares=lp_shares,
        sqrt_k=10**13,
    )
    position = PerpPosition(lp_shares=lp_shares, remainder_base_asset_amount=remainder % step)
    # the position's remainder is LP inventory the market still counts as unsettled
    market.amm.base_asset_amount_with_unsettled_lp = -position.remainder_base_asset_amount
    market.amm.base_asset_amount_with_amm = position.remainder_base_asset_amount
    settle_lp_position(position, market)
    position_after, amm_after = replace(position), replace(market.amm)
    delta, pnl = settle_lp_position(position, market)
    assert (delta.base_asset_amount, delta.quote_asset_amount, pnl) == (0, 0, 0)
    assert position == position_after
    assert market.amm == amm_after


_fill = st.tuples(
    st.integers(-500, 500),  # base in steps (sign = user direction)
    st.integers(1, 10**9),  # |quote| paid/received
    st.integers(0, 10**6),  # fee_to_market_for_lp
    st.sampled_from([AMMLiquiditySplit.Shared, AMMLiquiditySplit.LPOwned]),
)


@settings(max_examples=60, deadline=None)
@given(
    lp_shares=st.lists(st.integers(10**6, 10**12), min_size=1, max_size=4),
    step=st.sampled_from([1, 1000, 10**6]),
    ops=st.lists(st.one_of(_fill, st.integers(0, 3)), max_size=25),
)
def test_fills_split_with_lps_keep_open_interest_identity(lp_shares, step, ops):
    market = market_default_test(
        sqrt_k=10**13, base_asset_reserve=10**13, quote_asset_reserve=10**13, order_step_size=step
    )
    lps = [PerpPosition() for _ in lp_shares]
    for position, shares in zip(lps, lp_shares, strict=True):
        mint_lp_shares(position, market, shares)
    taker = PerpPosition()
    amm = market.amm
    for op in ops:
        if isinstance(op, int):  # settle one LP mid-sequence
            settle_lp_position(lps[op % len(lps)], market)
            continue
        steps, quote, fee, split = op
        base = steps * step
        delta = PositionDelta(base, -quote if base > 0 else quote)
        update_position_and_market(taker, market, delta)
        amm.base_asset_amount_with_amm += base
        update_lp_market_position(market, delta, fee, split)
    for position in lps:
        settle_lp_position(position, market)
    assert (
        amm.base_asset_amount_long + amm.base_asset_amount_short
        == amm.base_asset_amount_with_amm + amm.base_asset_amount_with_unsettled_lp
    )
    # every settled position base is a step multiple; the sub-step rest sits in remainders
    assert all(p.base_asset_amount % step == 0 for p in [*lps, taker])
    assert all(abs(p.remainder_base_asset_amount) < step or step == 1 for p in lps)
