"""Spot flow in a backtest: the spot maker and taker trade on the SOL spot market, their fees
reach the USDC revenue pool (with the venue's spot_fee_to_revenue_pool) and, at the hourly
settle, the insurance fund under the 1000% APR cap (examples/spot_flow.toml, one day)."""

from pathlib import Path

import pytest

from ballast.drift.constants import (
    MAX_APR_PER_REVENUE_SETTLE_TO_INSURANCE_FUND_VAULT,
    ONE_YEAR,
    PERCENTAGE_PRECISION,
)
from ballast.drift.events import InsuranceFundRecord, OrderAction, OrderActionRecord
from ballast.sim import Backtest, ScenarioError, load_scenario, parse_scenario
from ballast.sim.scenario import VenueConfig

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "spot_flow.toml"
HOUR = 3600


def _run(spot_fee_to_revenue_pool: bool):
    scenario = load_scenario(EXAMPLE)
    venue = scenario.venues[0].model_copy(update={"spot_fee_to_revenue_pool": spot_fee_to_revenue_pool})
    scenario = scenario.model_copy(update={"duration_days": 1.0, "venues": (venue,)})
    return Backtest(scenario, check=True, progress=False).run()  # check: the audit balances every step


@pytest.fixture(scope="module")
def to_revenue_pool():
    return _run(True)


@pytest.fixture(scope="module")
def to_spot_fee_pool():
    return _run(False)


def _spot_fills(result):
    return [e.event for e in result.events if type(e.event) is OrderActionRecord
            and e.event.action is OrderAction.Fill and e.event.market_type == "Spot"]


def _settles(result):
    return [e.event for e in result.events if type(e.event) is InsuranceFundRecord and e.event.amount > 0]


def test_the_spot_taker_fills_against_the_spot_makers_quotes(to_revenue_pool):
    fills = _spot_fills(to_revenue_pool)
    assert fills
    assert {f.taker for f in fills} == {"spot-flow/0"}
    assert {f.maker for f in fills} == {"spot-mm/0"}
    assert not to_revenue_pool.summary["warnings"]


def test_spot_fees_arrive_in_the_revenue_pool_before_the_first_settle(to_revenue_pool, to_spot_fee_pool):
    # the same flow both runs; only where fee_to_market goes differs. Up to the first hourly
    # settle the revenue pools differ by exactly the spot fees booked (taker fee less maker
    # rebate: place-and-take fills have no filler).
    start = to_revenue_pool.scenario.start_ts
    first_settle = min(s.ts for s in _settles(to_revenue_pool))
    ts = to_revenue_pool.timeseries.column("ts").to_pylist()
    with_option = to_revenue_pool.timeseries.column("revenue_pool_usd").to_pylist()
    without = to_spot_fee_pool.timeseries.column("revenue_pool_usd").to_pylist()
    step = max(i for i, t in enumerate(ts) if t < first_settle)
    fees = sum(f.taker_fee + f.maker_fee for f in _spot_fills(to_revenue_pool) if f.ts <= ts[step])
    assert fees > 0 and start < first_settle
    assert round((with_option[step] - without[step]) * 10**6) == fees


def test_settles_carry_spot_fees_into_the_insurance_fund_under_the_apr_cap(to_revenue_pool, to_spot_fee_pool):
    settles = _settles(to_revenue_pool)
    per_year = ONE_YEAR // HOUR
    for record in settles:  # a staker holds shares from day 0: every settle is capped
        cap = record.insurance_vault_amount_before * MAX_APR_PER_REVENUE_SETTLE_TO_INSURANCE_FUND_VAULT
        assert record.amount <= cap // PERCENTAGE_PRECISION // per_year
    assert sum(r.amount for r in settles) > sum(r.amount for r in _settles(to_spot_fee_pool))


def test_spot_agents_run_only_on_drift_venues():
    scenario = {
        "venues": [{"name": "curie", "kind": "curie"}],
        "agents": [{"kind": "spot_maker", "name": "mm"}],
    }
    with pytest.raises(ScenarioError, match="runs on no venue"):
        parse_scenario(scenario)


def test_spot_fee_to_revenue_pool_is_a_drift_venue_key():
    with pytest.raises(ValueError, match="spot_fee_to_revenue_pool is a Drift venue key"):
        VenueConfig(kind="curie", spot_fee_to_revenue_pool=True)
