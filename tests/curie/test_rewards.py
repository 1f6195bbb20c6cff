"""Pool Party liquidity mining: weekly epochs (Mondays 06:00 UTC), volume facilitated by each
maker's liquidity, proportional split of a market's budget, claims. Hand-derived."""

import pytest

from ballast.curie.clearing_house import ClearingHouse
from ballast.curie.events import RewardsClaimed
from ballast.curie.market_errors import BudgetBelowPaid, InvalidEpoch
from ballast.curie.math.rewards import EPOCH_ORIGIN, WEEK, get_epoch_start, is_epoch_start
from tests.curie.test_clearing_house import encode_price_sqrt

E18 = 10**18
USDC = 10**6
MONDAY_2024 = 1_704_088_800  # 2024-01-01 06:00:00 UTC, a Monday
T0 = MONDAY_2024 + 3_600


def test_epoch_origin_is_monday_1970_01_05_at_0600_utc():
    assert EPOCH_ORIGIN == 367_200
    assert get_epoch_start(EPOCH_ORIGIN) == EPOCH_ORIGIN
    assert get_epoch_start(EPOCH_ORIGIN - 1) == EPOCH_ORIGIN - WEEK


def test_epoch_starts_on_monday_0600_utc():
    assert is_epoch_start(MONDAY_2024)
    assert get_epoch_start(MONDAY_2024 + WEEK - 1) == MONDAY_2024
    assert get_epoch_start(MONDAY_2024 - 1) == MONDAY_2024 - WEEK  # Monday 05:59:59 is last week
    assert not is_epoch_start(MONDAY_2024 - 6 * 3_600)  # Monday 00:00


def _house() -> ClearingHouse:
    ch = ClearingHouse()
    ch.update_clock(T0)
    ch.add_pool("ETH", encode_price_sqrt("100"), 3000, 1000, 0)
    for trader in ("alice", "bob", "carol", "taker"):
        ch.deposit(trader, 1_000_000 * USDC)
    return ch


def test_budget_needs_an_epoch_boundary():
    ch = _house()
    with pytest.raises(InvalidEpoch):
        ch.set_reward_budget("ETH", MONDAY_2024 + 1, 100)


def test_overlapping_makers_split_volume_by_liquidity_and_out_of_range_earns_nothing():
    ch = _house()
    *_, wide = ch.add_liquidity("alice", "ETH", 100 * E18, 10_000 * E18, 42000, 50040)
    *_, narrow = ch.add_liquidity("bob", "ETH", 100 * E18, 10_000 * E18, 45660, 46500)
    ch.add_liquidity("carol", "ETH", 0, 10_000 * E18, 40020, 42000)  # below the price, untouched
    ch.open_position("taker", "ETH", True, True, 2 * E18)  # stays inside bob's range
    ch.open_position("taker", "ETH", False, True, 100 * E18)
    a = ch.get_epoch_rewards("alice", "ETH").maker_volume_x96
    b = ch.get_epoch_rewards("bob", "ETH").maker_volume_x96
    total = ch.get_epoch_rewards("alice", "ETH").total_volume_x96
    assert a * narrow == b * wide  # same price path, volume ∝ liquidity, exactly
    assert a + b == total > 0
    assert ch.get_epoch_rewards("carol", "ETH").maker_volume_x96 == 0
    # quote volume is close to the traded notional (2 ETH at ~100 each way plus 100 quote)
    assert 290 * E18 < total >> 96 < 310 * E18
    assert ch.audit().balanced


def test_maker_leaving_its_range_stops_earning():
    ch = _house()
    ch.add_liquidity("alice", "ETH", 100 * E18, 10_000 * E18, 42000, 50040)
    ch.add_liquidity("bob", "ETH", 1 * E18, 100 * E18, 45660, 46200)
    ch.open_position("taker", "ETH", False, True, 2_000 * E18)  # above bob's upper tick
    assert ch.markets["ETH"].pool.tick >= 46200
    bob_before = ch.get_epoch_rewards("bob", "ETH").maker_volume_x96
    assert bob_before > 0
    ch.open_position("taker", "ETH", False, True, 500 * E18)  # above bob: only alice
    assert ch.get_epoch_rewards("bob", "ETH").maker_volume_x96 == bob_before
    rewards = ch.get_epoch_rewards("alice", "ETH")
    assert rewards.maker_volume_x96 + bob_before == rewards.total_volume_x96
    assert ch.audit().balanced


def test_claims_pay_the_proportional_share_of_closed_epochs():
    ch = _house()
    *_, la = ch.add_liquidity("alice", "ETH", 100 * E18, 10_000 * E18, 42000, 50040)
    *_, lb = ch.add_liquidity("bob", "ETH", 100 * E18, 10_000 * E18, 42000, 50040)
    ch.set_reward_budget("ETH", MONDAY_2024, 1_000_000)
    ch.open_position("taker", "ETH", True, True, 3 * E18)
    running = ch.get_epoch_rewards("alice", "ETH")
    assert running.epoch_start == MONDAY_2024 and running.budget == 1_000_000
    assert running.accrued == 1_000_000 * running.maker_volume_x96 // running.total_volume_x96
    assert ch.get_claimable_rewards("alice", "ETH") == 0  # epoch still running
    assert ch.claim_rewards("alice", "ETH") == 0

    ch.update_clock(MONDAY_2024 + WEEK)  # epoch closed, nothing touched the market since
    expected_a = 1_000_000 * la // (la + lb)
    expected_b = 1_000_000 * lb // (la + lb)
    assert ch.get_claimable_rewards("alice", "ETH") == expected_a
    assert ch.get_claimable_rewards("bob", "ETH") == expected_b
    assert ch.get_epoch_rewards("alice", "ETH").maker_volume_x96 == 0  # a new epoch
    assert ch.claim_rewards("alice", "ETH") == expected_a
    assert isinstance(ch.events[-1], RewardsClaimed)
    assert ch.claim_rewards("alice", "ETH") == 0
    assert ch.get_reward_balance("alice") == expected_a
    assert ch.audit().balanced
    with pytest.raises(BudgetBelowPaid):
        ch.set_reward_budget("ETH", MONDAY_2024, 10)
    ch.set_reward_budget("ETH", MONDAY_2024, 2_000_000)  # raising it pays the difference later
    assert ch.get_claimable_rewards("alice", "ETH") == 2_000_000 * la // (la + lb) - expected_a
    assert ch.claim_rewards("bob", "ETH") == 2_000_000 * lb // (la + lb)
    assert ch.audit().balanced


def test_volume_is_booked_to_the_epoch_it_happened_in():
    ch = _house()
    ch.add_liquidity("alice", "ETH", 100 * E18, 10_000 * E18, 42000, 50040)
    ch.open_position("taker", "ETH", True, True, E18)
    first = ch.get_epoch_rewards("alice", "ETH").total_volume_x96
    ch.update_clock(MONDAY_2024 + WEEK + 10)
    ch.open_position("taker", "ETH", False, True, 50 * E18)
    market = ch.rewards.markets["ETH"]
    assert market.total_volume_x96[MONDAY_2024] == first
    assert market.maker_volume_x96["alice"][MONDAY_2024] == first
    assert (
        ch.get_epoch_rewards("alice", "ETH").maker_volume_x96
        == market.total_volume_x96[MONDAY_2024 + WEEK]
    )
    assert ch.audit().balanced


def test_removing_liquidity_keeps_the_volume_earned():
    ch = _house()
    *_, liquidity = ch.add_liquidity("alice", "ETH", 100 * E18, 10_000 * E18, 42000, 50040)
    ch.add_liquidity("bob", "ETH", 100 * E18, 10_000 * E18, 42000, 50040)
    ch.open_position("taker", "ETH", True, True, E18)
    earned = ch.get_epoch_rewards("alice", "ETH").maker_volume_x96
    ch.remove_liquidity("alice", "ETH", 42000, 50040, liquidity)
    ch.open_position("taker", "ETH", True, True, E18)
    assert ch.get_epoch_rewards("alice", "ETH").maker_volume_x96 == earned
    assert ch.audit().balanced
