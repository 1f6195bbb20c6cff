"""Rollback proportional to what a taker instruction writes (ballast.curie.undo): the undo log and
scalar-record snapshots themselves, then the ClearingHouse's taker instructions forced to fail
after their swap crossed ticks (and after a Pool Party epoch roll checkpointed every order):
the state digest is unchanged, and the house continues exactly as a twin that never tried."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ballast.curie.clearing_house import ClearingHouse
from ballast.curie.controller import rewards as rewards_controller
from ballast.curie.market_errors import (
    NotEnoughFreeCollateralByImRatio,
    TooLittleReceivedLong,
    TooLittleReceivedShort,
    TooMuchRequestedLong,
)
from ballast.curie.math.rewards import WEEK
from ballast.curie.state import MarketInfo, MarketState
from ballast.curie.undo import UndoLog, restore_records, snapshot_records
from tests.curie.test_clearing_house import encode_price_sqrt

E18 = 10**18
USDC = 10**6
MONDAY_2024 = 1_704_088_800  # 2024-01-01 06:00:00 UTC, a Monday
T0 = MONDAY_2024 + 3_600
SPACING = 60
HUGE = 10**40

# --- the log and the records ----------------------------------------------------------------


def test_rollback_deletes_a_key_that_did_not_exist_and_restores_one_that_did():
    mapping = {1: "a"}
    undo = UndoLog()
    undo.set_key(mapping, 1)
    mapping[1] = "b"
    undo.set_key(mapping, 2)
    mapping[2] = "c"
    undo.rollback()
    assert mapping == {1: "a"}


def test_an_entry_written_twice_gets_its_oldest_value_back():
    mapping = {1: "a"}
    items = ["x", "y"]
    undo = UndoLog()
    for value in ("b", "c"):
        undo.set_key(mapping, 1)
        mapping[1] = value
        undo.set_index(items, 1)
        items[1] = value
    undo.rollback()
    assert mapping == {1: "a"} and items == ["x", "y"]
    assert undo.entries == []


def test_fields_written_in_place_are_written_back():
    from operator import attrgetter

    from ballast.curie.univ3.pool import TickInfo

    info = TickInfo(liquidity_gross=5, fee_growth_outside0_x128=1, seconds_outside=2)
    undo = UndoLog()
    names = ("fee_growth_outside0_x128", "seconds_outside")
    undo.set_fields(info, names, attrgetter(*names))
    info.fee_growth_outside0_x128, info.seconds_outside = 10, 20
    undo.rollback()
    assert info == TickInfo(liquidity_gross=5, fee_growth_outside0_x128=1, seconds_outside=2)


def test_records_restore_nested_scalars_but_leave_collections_to_the_log():
    market = MarketState(base_token="ETH")
    market.pool.tick_spacing = SPACING
    entries = snapshot_records(market)
    market.fee_growth_global_x128 = 7
    market.ledger.dust_base = 3
    market.info.pool.sqrt_price_x96 = 11
    market.info.exchange_fee_ratio = 1000
    market.tick_infos[60] = None  # a collection entry: not a record
    info = market.info
    market.info = MarketInfo()
    restore_records(entries)
    assert market.info is info
    assert (market.fee_growth_global_x128, market.ledger.dust_base, market.pool.sqrt_price_x96) == (0, 0, 0)
    assert market.info.exchange_fee_ratio == 0 and market.pool.tick_spacing == SPACING
    assert market.tick_infos == {60: None}


# --- taker instructions forced to fail ------------------------------------------------------


def _house(insurance_fund_fee_ratio: int = 100_000) -> ClearingHouse:
    """Price 100 (tick ~46054), fee tier 0.3 % (spacing 60): alice wide, the maker 20 adjacent
    ranges of one spacing around the price, so a few ETH cross several initialized ticks."""
    ch = ClearingHouse()
    ch.update_clock(T0)
    ch.add_pool("ETH", encode_price_sqrt("100"), 3000, 1000, insurance_fund_fee_ratio)
    for trader in ("alice", "maker", "taker", "bob"):
        ch.deposit(trader, 1_000_000 * USDC)
    ch.deposit("poor", 20 * USDC)
    ch.add_liquidity("alice", "ETH", 100 * E18, 10_000 * E18, 42000, 50040)
    for lower in range(45420, 46620, SPACING):
        ch.add_liquidity("maker", "ETH", E18 // 10, 10 * E18, lower, lower + SPACING)
    return ch


def _ticks_crossed(ch: ClearingHouse, action) -> int:
    before = ch.markets["ETH"].pool.tick
    action()
    after = ch.markets["ETH"].pool.tick
    low, high = sorted((before, after))
    return sum(1 for t in ch.markets["ETH"].pool.ticks if low < t <= high)


def _fails_unchanged(ch: ClearingHouse, error: type[BaseException], action) -> None:
    digest = ch.state_digest()
    events = len(ch.events)
    with pytest.raises(error):
        action()
    assert ch.state_digest() == digest
    assert len(ch.events) == events
    assert ch.audit().balanced


def _short(ch: ClearingHouse, **kwargs):
    return lambda: ch.open_position("taker", "ETH", True, True, 20 * E18, **kwargs)


def test_a_short_failing_its_slippage_bound_after_crossing_ticks_changes_nothing():
    ch, twin = _house(), _house()
    _fails_unchanged(ch, TooLittleReceivedShort, _short(ch, opposite_amount_bound=HUGE))
    assert _ticks_crossed(ch, _short(ch)) >= 5  # the failed trade did cross ticks
    _short(twin)()
    assert ch.state_digest() == twin.state_digest()


def test_a_long_beyond_initial_margin_after_crossing_ticks_changes_nothing():
    ch = _house()
    trade = lambda: ch.open_position("poor", "ETH", False, True, 3_000 * E18)  # noqa: E731
    _fails_unchanged(ch, NotEnoughFreeCollateralByImRatio, trade)
    rich = lambda: ch.open_position("bob", "ETH", False, True, 3_000 * E18)  # noqa: E731
    assert _ticks_crossed(ch, rich) >= 5


def test_a_failing_trade_that_rolls_the_rewards_epoch_changes_nothing():
    ch, twin = _house(), _house()
    for house in (ch, twin):
        _short(house)()  # the maker's orders earn volume in the first epoch
        house.open_position("bob", "ETH", False, True, 1_000 * E18)
        house.add_liquidity("maker", "ETH", E18 // 10, 10 * E18, 45420, 45480)  # a checkpoint
        house.update_clock(MONDAY_2024 + WEEK + 60)
    rewards = ch.rewards.markets["ETH"]
    assert rewards.epoch_start == MONDAY_2024 and rewards.maker_volume_x96["maker"]
    long = lambda: ch.open_position("taker", "ETH", False, True, 3_000 * E18, opposite_amount_bound=HUGE)  # noqa: E731
    _fails_unchanged(ch, TooLittleReceivedLong, long)
    assert rewards.epoch_start == MONDAY_2024
    for house in (ch, twin):
        assert _ticks_crossed(house, lambda h=house: h.open_position("taker", "ETH", False, True, 3_000 * E18)) >= 5
        assert house.rewards.markets["ETH"].epoch_start == MONDAY_2024 + WEEK
    assert ch.state_digest() == twin.state_digest()


def test_a_close_failing_its_bound_after_crossing_ticks_changes_nothing():
    ch = _house()
    _short(ch)()
    close = lambda: ch.close_position("taker", "ETH", opposite_amount_bound=1)  # noqa: E731
    _fails_unchanged(ch, TooMuchRequestedLong, close)
    assert _ticks_crossed(ch, lambda: ch.close_position("taker", "ETH")) >= 5


def test_an_unexpected_error_after_the_volume_is_recorded_changes_nothing(monkeypatch):
    ch = _house()
    record_swap = rewards_controller.record_swap

    def record_then_fail(*args, **kwargs):
        assert record_swap(*args, **kwargs) > 0
        raise RuntimeError("injected after record_swap")

    monkeypatch.setattr(rewards_controller, "record_swap", record_then_fail)
    _fails_unchanged(ch, RuntimeError, _short(ch))
    _fails_unchanged(ch, RuntimeError, lambda: ch.open_position("newcomer", "ETH", False, True, E18))
    assert "newcomer" not in ch.accounts


STEPS = st.lists(
    st.tuples(
        st.sampled_from(["long", "short", "fail_long", "fail_short", "close", "wait", "add"]),
        st.integers(1, 400),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS)
def test_failed_trades_leave_no_trace_in_any_sequence(steps):
    ch, twin = _house(), _house()
    for kind, size in steps:
        for house in (ch, twin) if not kind.startswith("fail") else (ch,):
            digest = house.state_digest()
            try:
                if kind == "long":
                    house.open_position("taker", "ETH", False, True, size * E18)
                elif kind == "short":
                    house.open_position("taker", "ETH", True, False, size * E18)  # exact output quote
                elif kind == "fail_long":
                    house.open_position("taker", "ETH", False, True, size * E18, opposite_amount_bound=HUGE)
                elif kind == "fail_short":
                    house.open_position("taker", "ETH", True, True, size * E18 // 100, opposite_amount_bound=HUGE)
                elif kind == "close":
                    house.close_position("taker", "ETH")
                elif kind == "wait":
                    house.update_clock(house.now + size * 3_000)  # up to ~2 weeks: epoch rolls
                else:
                    lower = 45000 + SPACING * (size % 30)
                    house.add_liquidity("bob", "ETH", E18, 100 * E18, lower, lower + 2 * SPACING)
            except Exception as err:
                assert hasattr(err, "code") or isinstance(err, ArithmeticError), err
                assert house.state_digest() == digest
    assert ch.state_digest() == twin.state_digest()
    assert ch.audit().balanced


def test_a_withdraw_refused_after_settling_funding_changes_nothing():
    from ballast.curie.market_errors import NotEnoughFreeCollateral

    ch = _house()
    _short(ch)()
    ch.update_clock(ch.now + 3_600)
    ch.update_index_price("ETH", 90 * E18)  # the market trades above the index: funding moves
    market = ch.markets["ETH"]
    last_settled = market.last_settled_timestamp
    _fails_unchanged(ch, NotEnoughFreeCollateral, lambda: ch.withdraw("taker", 1_000_000 * USDC))
    assert market.last_settled_timestamp == last_settled
    ch.withdraw("taker", USDC)
    assert market.last_settled_timestamp == ch.now and market.ledger.funding_paid != 0
