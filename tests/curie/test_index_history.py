"""The index-price history is pruned to what the TWAPs need, with identical results."""

import random

import pytest

from ballast.curie.clearing_house import ClearingHouse
from ballast.curie.market_errors import IndexPriceNotSet
from ballast.curie.math.funding import get_index_twap
from tests.curie.test_clearing_house import encode_price_sqrt

E18 = 10**18
T0 = 1_700_000_000


def test_long_run_index_twap_equals_the_unpruned_computation():
    rng = random.Random(4)
    ch = ClearingHouse()
    ch.update_clock(T0)
    ch.add_pool("SOL", encode_price_sqrt("100"), 500)
    full = list(ch.index_prices["SOL"])
    now = T0
    horizon = ch.index_price_horizon()
    for step in range(20_000):
        now += rng.choice((1, 7, 15, 60, 60, 60, 300))
        ch.update_clock(now)
        price = rng.randrange(90, 110) * E18 + rng.randrange(E18)
        ch.update_index_price("SOL", price)
        full.append((now, price))
        if step % 97 == 0 or step > 19_900:  # the unpruned computation is O(history)
            for interval in (0, 15, 900, 1800):
                assert ch.get_index_price("SOL", interval) == get_index_twap(full, now, interval)
        assert ch.index_prices["SOL"][0][0] <= now - horizon or ch.index_prices["SOL"][0] == full[0]
        assert len(ch.index_prices["SOL"]) <= horizon + 2
    assert len(ch.index_prices["SOL"]) < len(full) // 50


def test_twap_longer_than_the_kept_history_raises_instead_of_answering_wrongly():
    ch = ClearingHouse()
    ch.update_clock(T0)
    ch.add_pool("SOL", encode_price_sqrt("100"), 500)
    for i in range(1, 100):
        ch.update_clock(T0 + 60 * i)
        ch.update_index_price("SOL", 100 * E18 + i)
    with pytest.raises(IndexPriceNotSet, match="pruned"):
        ch.get_index_price("SOL", 3600)
