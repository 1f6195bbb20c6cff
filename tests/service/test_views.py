"""The service's read views: their numbers are the engines' own, and reading changes nothing."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from ballast.drift.bal import THIRTY_DAYS, get_perp_position_with_lp_settle
from ballast.drift.errors import RevenueSettingsCannotSettleToIF
from ballast.drift.math.insurance import calculate_insurance_fund_apr
from ballast.drift.math.position import calculate_base_asset_value_with_oracle_price
from ballast.drift.state.margin_calculation import MarginRequirementType
from ballast.service import views
from ballast.service.commands import apply_command
from ballast.service.config import DEFAULT_WORLD
from ballast.service.feeds import PriceFeed
from ballast.service.world import World
from ballast.sim.loading import load_scenario

SCENARIO = load_scenario(DEFAULT_WORLD)
FEED = PriceFeed(SCENARIO)
USD = 1_000_000
SOL, BTC = "SOL-PERP", "BTC-PERP"
ALICE = "user:alice"
FLOAT_KEYS = {"max_leverage", "market_max_leverage"}  # leverage caps (times); else only *_pct


def _world() -> World:
    return World(SCENARIO, {m.name: FEED.price(m.name, 0) for m in SCENARIO.markets})


def _tick(world: World, steps: int) -> None:
    for _ in range(steps):
        step = world.step + 1
        apply_command(world, "tick", "system", {"ts": world.ts + SCENARIO.step_seconds,
                                                "prices": {m: FEED.price(m, step) for m in world.markets}})


def _cmd(world: World, name: str, args: dict[str, Any], user: str = "alice") -> dict[str, Any]:
    return apply_command(world, name, user, args)


def _read(world: World, fn, *args, **kwargs):
    """Call a view and check that it left the world's digest as it was."""
    before = world.digest()
    result = fn(world, *args, **kwargs)
    assert world.digest() == before, f"{fn.__name__} changed the world"
    return result


def _active_world() -> World:
    """Alice with 20k USDC, BAL shares in SOL, agents trading for two hours."""
    world = _world()
    _cmd(world, "account.open", {})
    _cmd(world, "drift.deposit", {"amount": 20_000 * USD})
    _cmd(world, "drift.bal.add", {"market": SOL, "amount": 5_000 * USD})
    _cmd(world, "admin.agents", {"on": True}, "admin")
    _tick(world, 120)
    return world


@pytest.fixture(scope="module")
def rich() -> World:
    """Read-only: alice also trades, stakes (with an unstake request) and makes a Curie range."""
    world = _active_world()
    _cmd(world, "drift.order", {"market": BTC, "side": "long", "base": 10**7})
    _cmd(world, "drift.order", {"market": SOL, "side": "short", "base": 10**9, "type": "limit",
                                "price": world.prices[SOL] * 2})
    _cmd(world, "drift.withdraw", {"amount": 1_000 * USD})
    _cmd(world, "insurance.stake", {"amount": 1_000 * USD})
    _cmd(world, "insurance.unstake_request", {"amount": 400 * USD})
    _cmd(world, "curie.deposit", {"amount": 2_000 * USD})
    price = world.prices[SOL]
    _cmd(world, "curie.range.add", {"market": SOL, "lower_price": price * 9 // 10, "upper_price": price * 11 // 10,
                                    "base": 2 * 10**9, "quote": 300 * USD})
    _cmd(world, "curie.order", {"market": SOL, "side": "long", "base": 10**9})
    _cmd(world, "account.open", {}, "alice2")
    _tick(world, 30)
    return world


def _floats_only_where_allowed(value: Any, key: str = "") -> None:
    if isinstance(value, float):
        assert key.endswith("_pct") or key in FLOAT_KEYS, f"float under {key!r}"
    elif isinstance(value, dict):
        for k, v in value.items():
            _floats_only_where_allowed(v, k)
    elif isinstance(value, list):
        for v in value:
            _floats_only_where_allowed(v, key)


# --- every view -----------------------------------------------------------------------------


def test_every_view_is_json_with_floats_only_for_percentages_and_leaves_the_digest(rich):
    results = [
        _read(rich, views.markets_view),
        _read(rich, views.market_view, SOL),
        _read(rich, views.bal_performance_series, SOL, 3600),
        _read(rich, views.account_view, "alice"),
        _read(rich, views.bal_add_preview, "alice", 0, SOL, amount=1_000 * USD),
        _read(rich, views.bal_add_preview, "alice", 0, BTC, leverage_pct=50),
        _read(rich, views.bal_add_preview, "alice", 0, SOL, shares=10**15),
        _read(rich, views.bal_remove_preview, "alice", 0, SOL),
        _read(rich, views.insurance_view),
        _read(rich, views.events_view, market=SOL, username="alice"),
    ]
    for result in results:
        json.dumps(result)
        _floats_only_where_allowed(result)


# --- markets --------------------------------------------------------------------------------


def test_markets_view_reads_the_engine_in_scenario_order(rich):
    ex = rich.drift.exchange
    rows = _read(rich, views.markets_view)
    assert [row["name"] for row in rows] == rich.markets
    for row in rows:
        index = rich.drift.markets[row["name"]]
        amm = ex.perp_markets[index].amm
        assert row["market_index"] == index
        assert row["oracle_price"] == ex.oracle_map.get_perp(index).price
        assert (row["mark_price"], row["bid_price"], row["ask_price"]) == rich.drift.quotes(row["name"])
        assert (row["last_funding_rate"], row["funding_period"]) == (amm.last_funding_rate, amm.funding_period)
        assert row["base_asset_amount_long"] == amm.base_asset_amount_long
        assert row["base_asset_amount_short"] == amm.base_asset_amount_short
        assert row["bal"]["total_shares"] == amm.user_lp_shares
        assert row["bal"]["perf_30d"] == rich.drift.bal.lp_performance(index, THIRTY_DAYS)
        pnl_pool, fee_pool, _revenue, _vault = rich.drift.pools(index)
        assert (row["pools"]["pnl_pool"], row["pools"]["fee_pool"]) == (pnl_pool, fee_pool)
        pool = rich.curie.house.markets[row["name"]].pool
        assert row["curie"]["tick"] == pool.tick
        assert row["curie"]["liquidity"] == str(pool.liquidity)


def test_total_liquidity_is_the_bal_share_value_times_the_shares(rich):
    index = rich.drift.markets[SOL]
    shares = rich.drift.exchange.perp_markets[index].amm.user_lp_shares
    sample = copy.deepcopy(rich.drift.bal).record(rich.drift.exchange, index)  # the per-share value now
    total = _read(rich, views.market_view, SOL)["bal"]["total_liquidity_quote"]
    assert shares > 0
    assert abs(total - sample.share_value_quote * shares // 10**9) <= shares // 10**9 + 1


def test_low_liquidity_flags_markets_whose_bal_is_a_small_part_of_the_amm(rich):
    rows = {row["name"]: row for row in _read(rich, views.markets_view)}
    assert rows[SOL]["bal"]["share_of_amm_pct"] > 10  # the BAL provider agent and alice
    assert rows[SOL]["low_liquidity"] is False
    assert rows[BTC]["bal"]["total_shares"] == 0
    assert rows[BTC]["low_liquidity"] is True


def test_market_view_of_an_unknown_market_raises_key_error(rich):
    with pytest.raises(KeyError, match="DOGE-PERP"):
        views.market_view(rich, "DOGE-PERP")
    with pytest.raises(KeyError):
        views.bal_performance_series(rich, "DOGE-PERP", 3600)


def test_performance_series_spans_the_window_lp_performance_measures(rich):
    index = rich.drift.markets[SOL]
    series = _read(rich, views.bal_performance_series, SOL, 3600)
    figure = rich.drift.bal.lp_performance(index, 3600)
    assert series[0]["ts"] == figure["start_ts"]
    assert series[-1]["ts"] == figure["end_ts"]
    assert series[-1]["index_quote"] - series[0]["index_quote"] == figure["index_change_quote"]
    assert [s["ts"] for s in series] == sorted(s["ts"] for s in series)
    with pytest.raises(ValueError):
        views.bal_performance_series(rich, SOL, -1)


# --- accounts -------------------------------------------------------------------------------


def test_account_view_positions_and_margin_equal_the_engine(rich):
    ex = rich.drift.exchange
    user = ex.user(ALICE, 0)
    sub = _read(rich, views.account_view, "alice")["drift"][0]
    initial = ex.margin_calculation(user, MarginRequirementType.Initial)
    maintenance = ex.margin_calculation(user, MarginRequirementType.Maintenance)
    assert sub["total_collateral"] == initial.total_collateral
    assert sub["free_collateral"] == initial.get_free_collateral()
    assert sub["initial_margin_requirement"] == initial.margin_requirement
    assert sub["maintenance_margin_requirement"] == maintenance.margin_requirement
    assert sub["deposits"] == ex.token_amount(ALICE, 0, 0)
    positions = {p["market"]: p for p in sub["positions"]}
    for name, position in positions.items():
        stored = user.get_perp_position(rich.drift.markets[name])
        assert (position["base_asset_amount"], position["quote_asset_amount"], position["lp_shares"]) == (
            stored.base_asset_amount, stored.quote_asset_amount, stored.lp_shares)
    settled = get_perp_position_with_lp_settle(ex, ALICE, 0, rich.drift.markets[SOL])
    bal = positions[SOL]["bal"]
    assert (bal["base_asset_amount"], bal["quote_asset_amount"]) == (settled.base_asset_amount,
                                                                     settled.quote_asset_amount)
    assert (bal["open_bids"], bal["open_asks"]) == (settled.open_bids, settled.open_asks)
    assert positions[BTC]["bal"] is None
    assert positions[BTC]["base_asset_amount"] == 10**7


def test_pnl_since_entry_is_equity_less_net_deposits(rich):
    sub = _read(rich, views.account_view, "alice")["drift"][0]
    assert sub["equity"] == rich.drift.exchange.user_equity(ALICE, 0)
    assert sub["net_deposits"] == 19_000 * USD  # 20k deposited, 1k withdrawn
    assert sub["pnl_since_entry"] == sub["equity"] - 19_000 * USD


def test_account_view_lists_open_orders(rich):
    orders = _read(rich, views.account_view, "alice")["drift"][0]["orders"]
    (order,) = orders
    engine = rich.drift.exchange.user(ALICE, 0).get_order(order["order_id"])
    assert (order["market"], order["side"], order["type"]) == (SOL, "short", "limit")
    assert (order["base"], order["filled"], order["price"]) == (10**9, 0, engine.price)


def test_account_view_shows_the_stake_and_its_cooldown(rich):
    ex = rich.drift.exchange
    stake = _read(rich, views.account_view, "alice")["insurance"]
    available = ex.insurance_fund_unstake_available_ts(ALICE, 0)
    assert stake["value"] == ex.insurance_fund_stake_value(ALICE, 0)
    assert stake["requested_amount"] == ex.insurance_fund_stakes[f"{ALICE}/0"].last_withdraw_request_value
    assert 0 < 400 * USD - stake["requested_amount"] <= 1  # the requested shares' value, floored
    assert stake["available_ts"] == available
    assert stake["cooldown_seconds_left"] == available - rich.ts > 0


def test_account_view_curie_matches_the_clearing_house(rich):
    house = rich.curie.house
    curie = _read(rich, views.account_view, "alice")["curie"]
    (position,) = curie["positions"]
    (order,) = house.accounts[ALICE].orders[SOL]
    assert curie["collateral"] == house.accounts[ALICE].balance == 2_000 * USD
    assert curie["free_collateral"] == house.get_free_collateral(ALICE)
    assert curie["liquidatable"] is house.is_liquidatable(ALICE)
    assert position["taker_position"] == house.get_taker_position_size(ALICE, SOL) // 10**9 == 10**9
    (range_,) = position["ranges"]
    assert (range_["lower_tick"], range_["upper_tick"], range_["liquidity"]) == (
        order.lower_tick, order.upper_tick, str(order.liquidity))
    assert range_["lower_price"] < rich.prices[SOL] < range_["upper_price"]


def test_account_view_without_a_curie_account_or_drift_account(rich):
    assert _read(rich, views.account_view, "alice2")["curie"] is None
    with pytest.raises(KeyError, match="bob"):
        views.account_view(rich, "bob")


# --- BAL add preview --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [{"amount": 2_000 * USD}, {"leverage_pct": 40}, {"shares": 3 * 10**13 + 7}])
def test_add_preview_is_what_the_add_command_then_mints(size):
    world = _active_world()
    ex = world.drift.exchange
    held = ex.user(ALICE, 0).get_perp_position(world.drift.markets[SOL]).lp_shares
    preview = _read(world, views.bal_add_preview, "alice", 0, SOL, **size)
    _cmd(world, "drift.bal.add", {"market": SOL, **size})
    after = get_perp_position_with_lp_settle(ex, ALICE, 0, world.drift.markets[SOL])
    assert preview["accepted"] and preview["shares"] == after.lp_shares - held > 0
    assert preview["position_after"] == {
        "base_asset_amount": after.base_asset_amount, "quote_asset_amount": after.quote_asset_amount,
        "lp_shares": after.lp_shares, "open_bids": after.open_bids, "open_asks": after.open_asks}
    strict = ex.margin_calculation(ex.user(ALICE, 0), MarginRequirementType.Initial, strict=True)
    assert preview["free_collateral_after"] == strict.get_free_collateral()


def test_add_preview_by_shares_floors_to_the_step_and_gives_the_slice():
    world = _active_world()
    step = world.drift.exchange.perp_markets[world.drift.markets[BTC]].amm.order_step_size
    preview = _read(world, views.bal_add_preview, "alice", 0, BTC, shares=5 * step + 1)
    assert preview["shares"] == 5 * step
    assert preview["lp_open_bids"] > 0 > preview["lp_open_asks"]
    assert preview["position_after"]["open_bids"] == preview["lp_open_bids"]  # nothing else in BTC


def test_add_preview_reports_the_engine_refusal():
    world = _active_world()
    too_many = _read(world, views.bal_add_preview, "alice", 0, BTC, shares=10**16)
    assert not too_many["accepted"] and too_many["refusal"]["error"] == "InsufficientCollateral"
    assert too_many["position_after"] is None
    too_little = _read(world, views.bal_add_preview, "alice", 0, SOL, amount=1)
    assert (too_little["shares"], too_little["refusal"]["error"]) == (0, "BelowOneStep")


@pytest.mark.parametrize("sizes", [{}, {"amount": USD, "shares": 10**9}, {"leverage_pct": 101}, {"amount": 0},
                                   {"shares": True}])
def test_add_preview_refuses_a_bad_size(rich, sizes):
    with pytest.raises(ValueError):
        views.bal_add_preview(rich, "alice", 0, SOL, **sizes)


def test_add_preview_of_unknown_names_raises_key_error(rich):
    for args in (("bob", 0, SOL), ("alice", 7, SOL), ("alice", 0, "DOGE-PERP")):
        with pytest.raises(KeyError):
            views.bal_add_preview(rich, *args, amount=USD)


def test_add_preview_suggests_a_separate_subaccount_beside_other_positions(rich):
    assert _read(rich, views.bal_add_preview, "alice", 0, SOL, amount=USD)["separate_subaccount_suggested"]
    world = _active_world()  # alice holds only BAL in SOL
    assert not _read(world, views.bal_add_preview, "alice", 0, SOL, amount=USD)["separate_subaccount_suggested"]


# --- BAL remove preview -----------------------------------------------------------------------


def _removal_record(world: World, after_id: int) -> dict[str, Any]:
    (record,) = [e["data"] for e in world.feed if e["id"] > after_id and e["type"] == "LPRecord"
                 and e["data"]["action"] == "RemoveLiquidity"]
    return record


def test_remove_preview_fee_and_position_are_what_the_removal_does():
    world = _active_world()
    preview = _read(world, views.bal_remove_preview, "alice", 0, SOL)
    oracle = world.drift.oracle(SOL)
    last_id = world.feed_seq
    _cmd(world, "drift.bal.remove", {"market": SOL})
    record = _removal_record(world, last_id)
    position = world.drift.exchange.user(ALICE, 0).get_perp_position(world.drift.markets[SOL])
    assert preview["residual_base"] != 0
    assert preview["dust_fee"] == calculate_base_asset_value_with_oracle_price(preview["residual_base"], oracle) + 1
    assert record["pnl"] == preview["settle_pnl"] - preview["dust_fee"]
    assert record["delta_quote_asset_amount"] == preview["settle_quote"] - preview["dust_fee"]
    assert record["n_shares"] == preview["shares"]
    assert preview["position_after"]["base_asset_amount"] == position.base_asset_amount
    assert preview["position_after"]["quote_asset_amount"] == position.quote_asset_amount
    assert preview["position_after"]["lp_shares"] == position.lp_shares == 0


def test_remove_preview_floors_a_partial_size_to_the_step(rich):
    held = rich.drift.exchange.user(ALICE, 0).get_perp_position(rich.drift.markets[SOL]).lp_shares
    step = rich.drift.exchange.perp_markets[rich.drift.markets[SOL]].amm.order_step_size
    preview = _read(rich, views.bal_remove_preview, "alice", 0, SOL, held - 1)
    assert preview["shares"] == (held - 1) // step * step
    assert preview["position_after"]["lp_shares"] == held - preview["shares"]
    for bad in (held + 1, 0, step - 1):
        with pytest.raises(ValueError):
            views.bal_remove_preview(rich, "alice", 0, SOL, bad)
    with pytest.raises(ValueError, match="no BAL shares"):
        views.bal_remove_preview(rich, "alice", 0, BTC)


def test_remove_preview_counts_down_the_lp_cooldown():
    world = _active_world()
    world.drift.exchange.update_lp_cooldown_time(3_600)
    _cmd(world, "drift.bal.add", {"market": SOL, "amount": 1_000 * USD})
    assert _read(world, views.bal_remove_preview, "alice", 0, SOL)["lp_cooldown_seconds_left"] == 3_600
    _tick(world, 1)
    left = 3_600 - SCENARIO.step_seconds
    assert _read(world, views.bal_remove_preview, "alice", 0, SOL)["lp_cooldown_seconds_left"] == left


# --- insurance ------------------------------------------------------------------------------


def test_insurance_view_reads_the_fund_and_its_cap(rich):
    fund = rich.drift.exchange.spot_markets[0].insurance_fund
    view = _read(rich, views.insurance_view)
    assert (view["vault_amount"], view["total_shares"], view["user_shares"]) == (
        fund.vault_amount, fund.total_shares, fund.user_shares)
    assert (view["total_if_factor"], view["user_if_factor"]) == (fund.total_factor, fund.user_factor)
    assert view["max_apr"] == 10_000_000  # 1000%
    assert view["apr_cap_per_settle"] == fund.vault_amount * 10 // (365 * 24)  # hourly settlements
    assert view["apr_cap_applies"] is True


def test_next_settlement_is_what_the_engine_settles_at_next_settle_ts(rich):
    view = _read(rich, views.insurance_view)
    exchange = copy.deepcopy(rich.drift.exchange)
    exchange.update_clock(view["next_settle_ts"] - 1)
    with pytest.raises(RevenueSettingsCannotSettleToIF):
        exchange.settle_revenue_to_insurance_fund(0)
    exchange.update_clock(view["next_settle_ts"])
    amount = exchange.settle_revenue_to_insurance_fund(0)
    before, after = rich.drift.exchange.spot_markets[0].insurance_fund, exchange.spot_markets[0].insurance_fund
    assert amount == view["next_settle_amount"] > 0
    assert view["projected_apr"] == calculate_insurance_fund_apr(
        before.vault_amount, before.total_shares, before.shares_base,
        after.vault_amount, after.total_shares, after.shares_base, view["revenue_settle_period"]) > 0


# --- events ---------------------------------------------------------------------------------


def test_events_by_market_name_its_index_or_base_token(rich):
    index = rich.drift.markets[SOL]
    entries = _read(rich, views.events_view, market=SOL, limit=5_000)
    assert {e["venue"] for e in entries} == {"drift", "curie"}
    for entry in entries:
        if entry["venue"] == "drift":
            assert entry["data"]["market_index"] == index and entry["type"] != "DepositRecord"
        else:
            assert entry["data"]["base_token"] == SOL
    skipped = [e for e in rich.feed if e not in entries and e["data"].get("market_index") == index]
    assert skipped and all(e["type"] in ("DepositRecord", "SpotInterestRecord", "InsuranceFundStakeRecord")
                           for e in skipped)


def test_events_by_user_name_their_authority_and_not_a_longer_name(rich):
    entries = _read(rich, views.events_view, username="alice", limit=5_000)
    types = {e["type"] for e in entries}
    assert {"NewUserRecord", "LPRecord", "InsuranceFundStakeRecord", "LiquidityChanged"} <= types
    for entry in entries:
        strings = [v for v in entry["data"].values() if isinstance(v, str)]
        assert ALICE in strings or any(v.startswith(ALICE + "/") for v in strings)
    alice2 = _read(rich, views.events_view, username="alice2")
    assert alice2 and not {e["id"] for e in alice2} & {e["id"] for e in entries}


def test_events_page_after_an_id_up_to_a_limit(rich):
    everything = _read(rich, views.events_view, market=SOL, username="alice", limit=5_000)
    page = _read(rich, views.events_view, market=SOL, username="alice", after=everything[0]["id"], limit=2)
    assert page == everything[1:3]
    assert all(views.event_matches(e, rich, market=SOL, username="alice") for e in everything)
    assert not views.event_matches(everything[0], rich, market=BTC)


def test_events_refuse_an_unknown_market_or_a_bad_page(rich):
    with pytest.raises(KeyError):
        views.events_view(rich, market="DOGE-PERP")
    with pytest.raises(ValueError):
        views.events_view(rich, limit=0)
    with pytest.raises(ValueError):
        views.events_view(rich, after=-1)


def test_pool_liquidity_bars_sum_the_ranges_in_them(rich):
    pool = _read(rich, views.pool_liquidity_view, SOL)
    house = rich.curie.house
    orders = [o for account in house.accounts.values() for o in account.orders.get(SOL, [])]
    assert orders and pool["bars"]
    for bar in pool["bars"]:
        covering = sum(o.liquidity for o in orders if o.lower_tick <= bar["lower_tick"] and bar["upper_tick"] <= o.upper_tick)
        assert int(bar["liquidity"]) == covering
    in_range = [b for b in pool["bars"] if b["lower_tick"] <= pool["tick"] < b["upper_tick"]]
    assert [int(b["liquidity"]) for b in in_range] == [house.markets[SOL].pool.liquidity]
    with pytest.raises(KeyError):
        views.pool_liquidity_view(rich, "DOGE-PERP")


def test_account_performance_samples_equity_less_deposits_every_15_minutes(rich):
    performance = _read(rich, views.account_performance, "alice", 0)
    series = performance["series"]
    assert len(series) >= 120 // 15  # two hours of agents, sampled every 15 minutes
    assert all(b["ts"] - a["ts"] <= 900 for a, b in zip(series, series[1:], strict=False))
    assert all(p["pnl"] == p["equity"] - p["net_deposits"] for p in series)
    account = views.account_view(rich, "alice")["drift"][0]
    assert performance["pnl_since_entry"] == account["pnl_since_entry"]
    last_hour = views.account_performance(rich, "alice", 0, window_seconds=3600)["series"]
    assert last_hour and all(p["ts"] >= rich.ts - 3600 for p in last_hour)
    with pytest.raises(KeyError):
        views.account_performance(rich, "alice", 7)
