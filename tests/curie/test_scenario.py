"""Whole-scenario golden test: three makers in overlapping ranges, three takers pushing the price
through them (both directions, exact input and output, a reversal), with the clock moving.

Golden values were recorded once from this engine (acceptable for this whole-scenario test
only); the independent cross-checks below hold whatever the golden values: the audit balances,
the makers' fees add up to the maker share charged, the insurance fund got the rest, and the
makers' impermanent positions are minus the takers' net position up to rounding dust.
"""

from ballast.curie.clearing_house import INSURANCE_FUND, ClearingHouse
from ballast.curie.events import PositionChanged
from tests.curie.test_clearing_house import encode_price_sqrt

E18 = 10**18
USDC = 10**6
T0 = 1_704_088_800 + 3_600  # Monday 2024-01-01 07:00 UTC
MAKERS = {
    "alice": (100, 10_000, 42000, 50040),
    "bob": (50, 5_000, 45000, 47040),
    "carol": (20, 2_000, 45960, 46500),
}
# (taker, base to quote, exact input, amount in whole tokens)
TRADES = [
    ("t1", False, True, 3_000),
    ("t2", True, True, 40),
    ("t1", True, True, 10),
    ("t2", False, False, 15),
    ("t3", True, True, 25),
    ("t3", False, True, 1_200),
]
TAKERS = ("t1", "t2", "t3")


def run_scenario() -> ClearingHouse:
    ch = ClearingHouse()
    ch.update_clock(T0)
    ch.add_pool("ETH", encode_price_sqrt("100"), 3000, 1000, 100_000)
    for maker, (base, quote, lower, upper) in MAKERS.items():
        ch.deposit(maker, 100_000 * USDC)
        ch.add_liquidity(maker, "ETH", base * E18, quote * E18, lower, upper)
    for taker in TAKERS:
        ch.deposit(taker, 100_000 * USDC)
    for i, (taker, is_base_to_quote, is_exact_input, amount) in enumerate(TRADES):
        ch.update_clock(T0 + 60 * (i + 1))
        ch.open_position(taker, "ETH", is_base_to_quote, is_exact_input, amount * E18)
    return ch


def test_scenario_golden_values():
    ch = run_scenario()
    pool = ch.markets["ETH"].pool
    assert (pool.sqrt_price_x96, pool.tick) == (785139795603343967756282990538, 45872)
    trades = [
        (e.exchanged_position_size, e.fee) for e in ch.events if isinstance(e, PositionChanged)
    ]
    assert trades == [
        (29604283536708497066, 3000000000000000000),
        (-40000000000000000000, 4032136018906243908),
        (-10000000000000000000, 985499461360573787),
        (15000000000000000000, 1483744971636536900),
        (-25000000000000000000, 2455030710903263266),
        (12305073804899078443, 1200000000000000000),
    ]
    makers = {
        m: (ch.get_pending_fee(m, "ETH"), ch.get_impermanent_position(m, "ETH")) for m in MAKERS
    }
    assert makers == {
        "alice": (3242470874767513124, 4957930145149124622),
        "bob": (5794424941063322596, 8860019163984510749),
        "carol": (2803874230695120350, 4272693349258789111),
    }
    takers = {
        t: (
            ch.get_taker_position_size(t, "ETH"),
            ch.accounts[t].markets["ETH"].taker_open_notional,
            ch.accounts[t].owed_realized_pnl,
        )
        for t in TAKERS
    }
    assert takers == {
        "t1": (19604283536708497066, -1986633134938029309000, -28920193965138955607),
        "t2": (-25000000000000000000, 2517564926804586039959, 26811016985415266309),
        "t3": (-12694926195100921557, 1245410689917658057179, 7149779521245994876),
    }
    assert ch.accounts[INSURANCE_FUND].owed_realized_pnl == 1315641116280661790
    volumes = {m: ch.get_epoch_rewards(m, "ETH").maker_volume_x96 for m in MAKERS}
    assert volumes == {
        "alice": 285315581581467434366635123085793889988777870831008,
        "bob": 509870338344420814655272255501238129827277580375144,
        "carol": 246722049115133464812486388913146301989376186200064,
    }


def test_scenario_audit_balances():
    report = run_scenario().audit()
    assert report.balanced, report


def test_scenario_makers_fees_sum_to_the_maker_share_charged():
    ch = run_scenario()
    charged = ch.markets["ETH"].ledger.maker_fee_charged
    pending = sum(ch.get_pending_fee(m, "ETH") for m in MAKERS)
    # fee growth rounds down per step and per order: the makers get at most the charged share
    assert 0 <= charged - pending <= len(MAKERS) * len(TRADES) * 4
    taker_fees = sum(e.fee for e in ch.events if isinstance(e, PositionChanged))
    assert taker_fees == charged + ch.accounts[INSURANCE_FUND].owed_realized_pnl


def test_scenario_impermanent_positions_mirror_the_takers():
    ch = run_scenario()
    impermanent = sum(ch.get_impermanent_position(m, "ETH") for m in MAKERS)
    takers = sum(ch.accounts[t].markets["ETH"].taker_position_size for t in TAKERS)
    assert abs(impermanent + takers) <= 10 * len(MAKERS)


def test_scenario_reward_volumes_add_up_to_the_market_total():
    ch = run_scenario()
    total = ch.get_epoch_rewards("alice", "ETH").total_volume_x96
    assert sum(ch.get_epoch_rewards(m, "ETH").maker_volume_x96 for m in MAKERS) == total


def test_scenario_is_deterministic():
    assert run_scenario().state_digest() == run_scenario().state_digest()
