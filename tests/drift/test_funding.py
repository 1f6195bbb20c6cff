"""Funding: long/short split with the protocol's capped share, payments, the keeper update and
user settlement (math/funding.rs, controller/funding.rs)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballast.drift.constants import AMM_RESERVE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION
from ballast.drift.controller.funding import (
    settle_funding_payment,
    settle_funding_payments,
    update_funding_rate,
)
from ballast.drift.controller.repeg import _update_amm
from ballast.drift.errors import PerpMarketNotFound
from ballast.drift.events import FundingPaymentRecord
from ballast.drift.math.amm import reserve_price
from ballast.drift.math.funding import (
    _calculate_funding_payment,
    calculate_funding_payment,
    calculate_funding_payment_in_quote_precision,
    calculate_funding_rate_long_short,
    get_max_price_divergence_for_funding_rate,
)
from ballast.drift.math.oracle import block_operation
from ballast.drift.state.oracle import OraclePriceData
from ballast.drift.state.perp_market import AMM, ContractTier, HistoricalOracleData, PerpMarket
from ballast.drift.state.state import OracleGuardRails, State, ValidityGuardRails
from ballast.drift.state.user import PerpPosition, User

R = AMM_RESERVE_PRECISION


def _imbalanced_market(
    base_asset_amount_with_amm: int,
    base_asset_amount_long: int,
    base_asset_amount_short: int,
    total_fee_minus_distributions: int,
    base_asset_amount_with_unsettled_lp: int = 0,
) -> PerpMarket:
    # the market of math/funding/tests.rs (capped_sym_funding_test, funding_unsettled_lps_*)
    return PerpMarket(
        amm=AMM(
            base_asset_reserve=512_295_081_967,
            quote_asset_reserve=488 * R,
            sqrt_k=500 * R,
            peg_multiplier=50_000_000,
            base_asset_amount_with_amm=base_asset_amount_with_amm,
            base_asset_amount_long=base_asset_amount_long,
            base_asset_amount_short=base_asset_amount_short,
            base_asset_amount_with_unsettled_lp=base_asset_amount_with_unsettled_lp,
            total_exchange_fee=QUOTE_PRECISION // 2,
            total_fee_minus_distributions=total_fee_minus_distributions,
            last_mark_price_twap=50 * PRICE_PRECISION,
            historical_oracle_data=HistoricalOracleData(last_oracle_price_twap=49 * PRICE_PRECISION),
            funding_period=3600,
        )
    )


_N = 12_295_081_967
_RATE = 41_666_666  # funding rate of mark 50 vs oracle 49, hourly (the tests' helper)


# math/funding/tests.rs::balanced_funding_test (both loop iterations)
@pytest.mark.parametrize(
    ("sqrt_k", "px", "base", "count", "rate"),
    [
        (100 * R + 8_793_888_383, 32_513_929, 12_295_081_967, 0, -2_709_458),
        (100 * R + 8_793_888_383 + 1, 32_513_929 + 1, 12_295_081_967, 1, -2_709_458),
        (55 * R + 48_383, 19_902_513_929, 7_845_926_098_328, 0, 22_314_939_833),
        (55 * R + 48_383 + 1, 19_902_513_929 + 1, 7_845_926_098_328, 1, 22_314_939_833),
    ],
)
def test_funding_balanced_market_pays_both_sides_the_rate(sqrt_k, px, base, count, rate):
    # Arrange
    market = PerpMarket(
        amm=AMM(
            base_asset_reserve=sqrt_k,
            quote_asset_reserve=sqrt_k,
            sqrt_k=sqrt_k,
            peg_multiplier=px,
            base_asset_amount_long=base,
            base_asset_amount_short=-base,
            total_exchange_fee=count * 1_000_000_783 // 2888,
            total_fee_minus_distributions=count * 1_000_000_783,
            funding_period=3600,
        )
    )

    # Act
    long_rate, short_rate, uncapped, tfmd, _ = calculate_funding_rate_long_short(market, rate)

    # Assert
    assert (long_rate, short_rate, uncapped) == (rate, rate, 0)
    assert tfmd == count * 1_000_000_783


def test_funding_capped_protocol_pays_at_most_a_third_of_fee_pool():
    # Arrange: funding/tests.rs::capped_sym_funding_test (more shorts, positive funding)
    market = _imbalanced_market(-_N, _N, -2 * _N, QUOTE_PRECISION // 2)

    # Act
    long_rate, short_rate, _, tfmd, nrslf = calculate_funding_rate_long_short(market, _RATE)

    # Assert
    assert long_rate == _RATE
    assert short_rate == 24_222_164
    assert tfmd == 416_667
    assert nrslf == -(500_000 - 416_667)


def test_funding_amm_earns_when_users_net_long_pay():
    # Arrange: funding/tests.rs::capped_sym_funding_test (more longs, positive funding)
    market = _imbalanced_market(_N, 2 * _N, -_N, QUOTE_PRECISION // 2)

    # Act
    long_rate, short_rate, uncapped, tfmd, nrslf = calculate_funding_rate_long_short(market, _RATE)

    # Assert
    assert (long_rate, short_rate) == (_RATE, _RATE)
    assert tfmd == 1_012_295
    assert nrslf == uncapped == 1_012_295 - 500_000


# funding/tests.rs::funding_unsettled_lps_amm_win_test and ::funding_unsettled_lps_amm_lose_test
@pytest.mark.parametrize(
    ("with_amm", "long", "short", "unsettled_lp", "tfmd", "expected"),
    [
        (-_N, _N, -2 * _N, 500 * R, 500_000, (_RATE, _RATE, 20_321_037, 20_821_037)),
        (_N, 2 * _N, -_N, 500 * R, 500_000, (_RATE, _RATE, 21_345_628, 21_845_628)),
        (-_N, _N, -2 * _N, -500 * R, 99_999 * QUOTE_PRECISION, (_RATE, _RATE, -21_345_628, 99_977_654_372)),
        (_N, 2 * _N, -_N, -500 * R, 500_000, (_RATE, 90_110_989, -20_321_037, 416_667)),
    ],
    ids=["win_net_short", "win_net_long", "lose_uncapped", "lose_capped"],
)
def test_funding_unsettled_lp_inventory_is_funded_by_protocol(
    with_amm, long, short, unsettled_lp, tfmd, expected
):
    # Arrange
    market = _imbalanced_market(with_amm, long, short, tfmd, unsettled_lp)

    # Act
    long_rate, short_rate, uncapped, new_tfmd, _ = calculate_funding_rate_long_short(market, _RATE)

    # Assert
    assert (long_rate, short_rate, uncapped, new_tfmd) == expected


def test_calculate_funding_rate_long_short_does_not_mutate_market():
    # Arrange
    market = _imbalanced_market(-_N, _N, -2 * _N, QUOTE_PRECISION // 2)
    before = repr(market)

    # Act
    calculate_funding_rate_long_short(market, _RATE)

    # Assert
    assert repr(market) == before


# funding/tests.rs::funding_unsettled_lps_amm_win_test / _lose_test (drift_bal.md section 10)
@pytest.mark.parametrize(
    ("rate", "base", "expected"),
    [(_RATE, 487_704_918_033, -20_321_037), (_RATE, -512_295_081_967, 21_345_628)],
)
def test_funding_payment_in_quote(rate, base, expected):
    # Arrange / Act
    payment = calculate_funding_payment_in_quote_precision(rate, base)

    # Assert
    assert payment == expected


def test_calculate_funding_payment_long_pays_rate_rise():
    # Arrange: spec 8.5, 1 base long, cumulative rate up 0.5 quote per base (5e8) plus 1 unit:
    # floor(500_000_001 * 1e9 / 1e9) = 500_000_001 (1e9 quote), negative for a long, /1e3 truncated
    position = PerpPosition(base_asset_amount=R, last_cumulative_funding_rate=1_000)

    # Act
    payment = calculate_funding_payment(1_000 + 500_000_001, position)

    # Assert
    assert payment == -500_000


def test_calculate_funding_payment_is_zero_when_rate_unchanged():
    # Arrange
    position = PerpPosition(base_asset_amount=-R, last_cumulative_funding_rate=123)

    # Act / Assert
    assert calculate_funding_payment(123, position) == 0


@given(
    delta=st.integers(min_value=-(10**12), max_value=10**12).filter(lambda v: v != 0),
    base=st.integers(min_value=1, max_value=10**15),
)
def test_funding_payment_is_antisymmetric_between_long_and_short(delta, base):
    # Arrange / Act
    long_payment = _calculate_funding_payment(delta, base)
    short_payment = _calculate_funding_payment(delta, -base)

    # Assert: equal and opposite; longs pay when the rate rises and receive when it falls
    assert long_payment == -short_payment
    assert long_payment <= 0 if delta > 0 else long_payment >= 0


@pytest.mark.parametrize(
    ("tier", "expected"),
    [(ContractTier.HighlySpeculative, 4_900_000), (ContractTier.B, 1_484_848)],
)
def test_max_price_divergence_for_funding_rate_by_tier(tier, expected):
    # Arrange: funding/tests.rs::max_funding_rates (oracle twap 49)
    market = PerpMarket(contract_tier=tier)

    # Act / Assert
    assert get_max_price_divergence_for_funding_rate(market, 49 * PRICE_PRECISION) == expected


# ---------------------------------------------------------------- controller/funding.py

_STATE = State(
    oracle_guard_rails=OracleGuardRails(
        validity=ValidityGuardRails(
            slots_before_stale_for_amm=10,
            slots_before_stale_for_margin=120,
            confidence_interval_max_size=1000,
            too_volatile_ratio=5,
        )
    )
)
_ORACLE_51 = OraclePriceData(price=51 * PRICE_PRECISION, confidence=0, delay=0)


def _unsettled_lp_market() -> PerpMarket:
    # math/funding/tests.rs::unsettled_funding_pnl / ::max_funding_rates
    return _imbalanced_market(-_N, _N, -2 * _N, 99_999 * QUOTE_PRECISION, -500 * R)


def test_update_funding_rate_not_due_returns_none():
    # Arrange: funding/tests.rs::max_funding_rates (now 0, last update 0: an hour to go)
    market = _unsettled_lp_market()
    market.contract_tier = ContractTier.B
    before = repr(market)

    # Act
    record = update_funding_rate(0, market, _ORACLE_51, 0, 0, _STATE.oracle_guard_rails, False, None)

    # Assert
    assert record is None
    assert repr(market) == before


def test_update_funding_rate_blocked_until_amm_updated():
    # Arrange: funding/tests.rs::unsettled_funding_pnl (AMM last updated 7200 slots ago)
    market = _unsettled_lp_market()

    # Act
    record = update_funding_rate(
        0, market, _ORACLE_51, 3600, 7200, _STATE.oracle_guard_rails, False, None
    )

    # Assert
    assert block_operation(market, _ORACLE_51, _STATE.oracle_guard_rails, reserve_price(market.amm), 7200)
    assert record is None


def test_update_funding_rate_paused_returns_none():
    # Arrange
    market = _unsettled_lp_market()
    _update_amm(market, _ORACLE_51, _STATE, 3600, 7200)

    # Act
    record = update_funding_rate(0, market, _ORACLE_51, 3600, 7200, _STATE.oracle_guard_rails, True, None)

    # Assert
    assert record is None
    assert market.amm.last_funding_rate_ts == 0


def test_update_funding_rate_full_update():
    # Arrange: math/funding/tests.rs::unsettled_funding_pnl (vector funding_full_update)
    market = _unsettled_lp_market()
    now, slot = 3600, 7200
    assert reserve_price(market.amm) == 47_628_800
    cost = _update_amm(market, _ORACLE_51, _STATE, now, slot)
    assert cost == 0
    assert market.amm.last_update_slot == slot
    assert market.amm.last_mark_price_twap == 50_000_000
    assert market.amm.historical_oracle_data.last_oracle_price_twap == 51_000_000

    # Act
    record = update_funding_rate(0, market, _ORACLE_51, now, slot, _STATE.oracle_guard_rails, False, None)

    # Assert
    amm = market.amm
    assert record is not None
    assert amm.last_mark_price_twap == 47_629_736
    assert amm.historical_oracle_data.last_oracle_price_twap == 51_000_000
    assert amm.cumulative_funding_rate_long == -140_002_666
    assert amm.cumulative_funding_rate_short == -140_002_666
    assert amm.last_funding_rate == -140_002_666
    assert amm.last_24h_avg_funding_rate == -5_833_443  # -140002666 / 24 + 1 (Rust truncation)
    assert amm.last_funding_rate_ts == now
    assert amm.net_revenue_since_last_funding == 0
    assert amm.total_fee_minus_distributions == 100_070_722_677
    assert amm.total_fee == 0
    assert amm.net_unsettled_funding_pnl == -71_722_677


def test_update_funding_rate_record_carries_period_revenue_and_next_id():
    # Arrange: same update as test_update_funding_rate_full_update
    market = _unsettled_lp_market()
    market.next_funding_rate_record_id = 7
    _update_amm(market, _ORACLE_51, _STATE, 3600, 7200)

    # Act
    record = update_funding_rate(0, market, _ORACLE_51, 3600, 7200, _STATE.oracle_guard_rails, False, None)

    # Assert: the protocol earned 71.722677 of funding on its net short (period revenue)
    assert record.record_id == 7
    assert market.next_funding_rate_record_id == 8
    assert record.period_revenue == 71_722_677
    assert record.funding_rate == record.funding_rate_long == record.funding_rate_short == -140_002_666
    assert record.oracle_price_twap == 51_000_000
    assert record.mark_price_twap == 47_629_736
    assert record.base_asset_amount_with_unsettled_lp == -500 * R
    assert market.amm.last_funding_oracle_twap == 51_000_000


def _user_with_position(base: int, last_rate: int, market_index: int = 0) -> User:
    return User(
        authority="alice",
        perp_positions=[
            PerpPosition(
                market_index=market_index,
                base_asset_amount=base,
                quote_asset_amount=-50 * QUOTE_PRECISION,
                quote_break_even_amount=-50 * QUOTE_PRECISION,
                last_cumulative_funding_rate=last_rate,
            )
        ],
    )


def test_settle_funding_payment_moves_payment_into_position_and_market():
    # Arrange: long 1 base, long cumulative rate up 500_000_001 (0.5 quote per base):
    # payment -500_000 (see test_calculate_funding_payment_long_pays_rate_rise)
    market = PerpMarket(amm=AMM(cumulative_funding_rate_long=500_001_001, cumulative_funding_rate_short=7))
    user = _user_with_position(R, 1_000)

    # Act
    record = settle_funding_payment(user, market, 99)

    # Assert
    position = user.perp_positions[0]
    assert record == FundingPaymentRecord(
        ts=99,
        user="alice/0",
        market_index=0,
        funding_payment=-500_000,
        base_asset_amount=R,
        user_last_cumulative_funding=1_000,
        amm_cumulative_funding_long=500_001_001,
        amm_cumulative_funding_short=7,
    )
    assert position.last_cumulative_funding_rate == 500_001_001
    assert position.quote_asset_amount == -50_500_000
    assert position.quote_break_even_amount == -50_500_000
    assert user.cumulative_perp_funding == -500_000
    assert market.amm.quote_asset_amount == -500_000
    assert market.amm.net_unsettled_funding_pnl == 500_000


def test_settle_funding_payment_short_uses_short_rate():
    # Arrange
    market = PerpMarket(amm=AMM(cumulative_funding_rate_long=999, cumulative_funding_rate_short=500_001_000))
    user = _user_with_position(-R, 1_000)

    # Act
    record = settle_funding_payment(user, market, 1)

    # Assert: shorts receive when the rate rises
    assert record.funding_payment == 500_000
    assert user.perp_positions[0].last_cumulative_funding_rate == 500_001_000


@pytest.mark.parametrize(("base", "last_rate"), [(0, 0), (R, 500_001_001)])
def test_settle_funding_payment_is_noop_without_base_or_rate_change(base, last_rate):
    # Arrange
    market = PerpMarket(amm=AMM(cumulative_funding_rate_long=500_001_001))
    user = _user_with_position(base, last_rate)
    before = (repr(user), repr(market))

    # Act
    record = settle_funding_payment(user, market, 1)

    # Assert
    assert record is None
    assert (repr(user), repr(market)) == before


def test_settle_funding_payment_without_position_is_noop():
    # Arrange
    market = PerpMarket(market_index=3, amm=AMM(cumulative_funding_rate_long=5))
    user = _user_with_position(R, 0, market_index=0)

    # Act / Assert
    assert settle_funding_payment(user, market, 1) is None


def test_settle_funding_payments_settles_every_open_position():
    # Arrange
    markets = {
        0: PerpMarket(market_index=0, amm=AMM(cumulative_funding_rate_long=500_001_000)),
        1: PerpMarket(market_index=1, amm=AMM(cumulative_funding_rate_short=500_001_000)),
    }
    user = _user_with_position(R, 1_000)
    user.perp_positions.append(
        PerpPosition(market_index=1, base_asset_amount=-R, last_cumulative_funding_rate=1_000)
    )

    # Act
    records = settle_funding_payments(user, markets, 5)

    # Assert
    assert [r.funding_payment for r in records] == [-500_000, 500_000]
    assert user.cumulative_perp_funding == 0


def test_settle_funding_payments_rejects_unknown_market():
    # Arrange
    user = _user_with_position(R, 0, market_index=4)

    # Act / Assert
    with pytest.raises(PerpMarketNotFound):
        settle_funding_payments(user, {}, 1)
