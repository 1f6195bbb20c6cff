"""Agents: order outcomes, user-written agents, the built-in takers through the venue interface."""

import tomllib
from pathlib import Path

import pytest

from ballast.drift.events import OrderAction, OrderActionRecord
from ballast.drift.math.fees import calculate_filler_reward
from ballast.sim import Backtest, ScenarioError, dump_scenario, load_scenario, parse_scenario
from ballast.sim import scenario as sc
from ballast.sim.agents import BASE, Agent, TrendFollower, agent_parameters
from ballast.sim.scenario import VenueConfig
from ballast.sim.venues import OrderResult, OrderStats
from ballast.sim.venues.drift import FILLER, DriftVenue, usd

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
P = 10**6

SMALL = {
    "name": "agents",
    "seed": 3,
    "duration_days": 0.5,
    "markets": [{"name": "SOL-PERP", "curve_update_intensity": 100,
                 "oracle": {"kind": "gbm", "start_price_usd": 100.0,
                            "regimes": [{"start_day": 0, "vol_annual_pct": 100}]}}],
    "agents": [
        {"kind": "arbitrageur", "name": "arb"},
        {"kind": "noise_taker", "name": "noise", "collateral_usd": 200_000, "arrivals_per_hour": 30,
         "min_size_base": 0.5, "max_size_base": 200, "max_position_base": 1500},
    ],
}


class Buyer(Agent):
    """Buys `size_base` every `every_minutes` until it holds `max_base`."""

    size_base = 1.0
    every_minutes = 30
    max_base = 20.0

    def act(self, step, ts):
        if step % (self.every_minutes * 60 // self.step_seconds) == 0 and self.position() < self.max_base * BASE:
            self.order(round(self.size_base * BASE))


def _venue() -> DriftVenue:
    venue = DriftVenue(VenueConfig())
    venue.setup(parse_scenario({"agents": [{"kind": "noise_taker", "name": "taker"}]}), {"SOL-PERP": 100 * P})
    venue.fund("taker", usd(10_000))
    return venue


# --- order outcomes -------------------------------------------------------------------------


def test_drift_order_that_fills_reports_the_base_filled():
    venue = _venue()
    result = venue.market_order("taker", "SOL-PERP", 2 * BASE, limit_price=101 * P)
    assert result == OrderResult(2 * BASE, 2 * BASE, "filled")
    assert venue.base_position("taker", "SOL-PERP") == 2 * BASE


def test_drift_order_the_amm_may_not_take_at_once_is_filled_after_its_auction_by_the_filler():
    venue = _venue()
    venue.exchange.perp_markets[0].amm.net_revenue_since_last_funding = -100 * P  # below the retreat threshold
    placed_slot = venue.exchange.slot
    result = venue.market_order("taker", "SOL-PERP", 2 * BASE, limit_price=101 * P)
    assert (result.status, result.filled_base) == ("filled", 2 * BASE)
    fill = [e for e in venue.exchange.events if type(e) is OrderActionRecord and e.action is OrderAction.Fill][-1]
    reward = calculate_filler_reward(fill.taker_fee, placed_slot, venue.exchange.slot, 0,
                                     venue.exchange.state.perp_fee_structure.filler_reward_structure)
    assert reward > 0
    assert venue.position(FILLER, "SOL-PERP").quote_asset_amount == reward
    assert venue.exchange.slot > placed_slot + venue.exchange.state.min_perp_auction_duration


def test_drift_order_whose_limit_the_amm_never_reaches_is_unfilled_and_cancelled():
    venue = _venue()
    result = venue.market_order("taker", "SOL-PERP", 2 * BASE, limit_price=99 * P)  # below the AMM's ask
    assert (result.status, result.reason, bool(result)) == ("unfilled", "limit_price", False)
    assert venue.exchange.user("taker", 0).get_order(1) is None


def test_drift_market_order_without_a_limit_fills_within_the_venue_slippage():
    result = _venue().market_order("taker", "SOL-PERP", 2 * BASE)  # limit: oracle + 1%
    assert (result.status, result.filled_base) == ("filled", 2 * BASE)


def test_drift_engine_refusal_is_rejected_with_the_error_class():
    result = _venue().market_order("taker", "SOL-PERP", 10_000 * BASE, limit_price=101 * P)
    assert (result.status, result.reason) == ("rejected", "InsufficientCollateral")


def test_order_below_the_step_is_rejected_without_reaching_the_engine():
    venue = _venue()
    events = len(venue.exchange.events)
    assert venue.market_order("taker", "SOL-PERP", BASE // 1000).reason == "below_order_step"
    assert len(venue.exchange.events) == events


def test_order_stats_count_statuses_volumes_and_reasons():
    stats = OrderStats()
    for result in (OrderResult(5, 5, "filled"), OrderResult(-4, -1, "partial", "limit_price"),
                   OrderResult(3, 0, "unfilled", "auction"), OrderResult(2, 0, "unfilled", "auction"),
                   OrderResult(9, 0, "rejected", "InsufficientCollateral")):
        stats.record(result)
    summary = stats.summary()
    assert (summary["orders_attempted"], summary["orders_filled"], summary["orders_partial"],
            summary["orders_unfilled"], summary["orders_rejected"]) == (5, 1, 1, 2, 1)
    assert (summary["base_intended"], summary["base_filled"]) == (23 / 1e9, 6 / 1e9)
    assert summary["unfilled_reasons"] == {"InsufficientCollateral": 1, "auction": 2, "limit_price": 1}


class _ScriptedVenue:
    """A TradingVenue whose orders fill as scripted (0 = nothing), to test an agent alone."""

    name = "scripted"

    def __init__(self, fills):
        self.fills = list(fills)
        self.held = 0

    def fund(self, authority, amount):
        pass

    def oracle(self, market):
        return 100 * P

    def base_position(self, authority, market):
        return self.held

    def nav(self, authority):
        return usd(10_000)

    def market_order(self, authority, market, base, reduce_only=False, limit_price=None):
        filled = base if self.fills.pop(0) else 0
        self.held += filled
        return OrderResult(base, filled, "filled" if filled else "unfilled", None if filled else "auction")


def test_one_way_trend_follower_keeps_trying_until_something_fills_then_holds():
    config = sc.TrendFollower(name="long", mode="long", leverage=2, check_every_minutes=1)
    agent = TrendFollower(config, seed=0, step_seconds=60)
    venue = _ScriptedVenue([0, 0, 1])
    agent.setup(venue, 0)
    for step in range(5):
        agent.act(step, step * 60)
    assert agent.order_stats.attempted == 3  # two unfilled orders, then one that filled, then it holds
    assert (agent.opened, venue.held) == (True, 200 * BASE)
    venue.held = 0  # liquidated
    agent.act(5, 300)
    assert agent.order_stats.attempted == 3  # once in and out, it stays out


def test_summary_reports_every_agents_order_outcomes():
    agents = Backtest(parse_scenario(SMALL)).run().summary["venues"]["drift"]["agents"]
    noise = agents["noise"]
    assert noise["orders_attempted"] == (noise["orders_filled"] + noise["orders_partial"] + noise["orders_unfilled"]
                                         + noise["orders_rejected"]) > 0
    assert noise["base_filled"] <= noise["base_intended"]
    assert sum(noise["unfilled_reasons"].values()) == noise["orders_attempted"] - noise["orders_filled"]
    assert "rejected_orders" not in noise


# --- the arbitrageur ------------------------------------------------------------------------


def _gaps(data) -> list[float]:
    ts = Backtest(parse_scenario(data)).run().timeseries.to_pydict()
    return [abs(m - o) / o for m, o in zip(ts["mark_price_usd"], ts["oracle_price_usd"], strict=True)]


def test_default_arbitrageur_keeps_the_mark_near_the_oracle_where_no_repeg_does():
    # the bootstrap market has the repeg off: only the arbitrageur moves the mark to the oracle
    bootstrap = dict(SMALL, markets=[{**SMALL["markets"][0], "preset": "drift/bootstrap", "curve_update_intensity": 0}])
    with_arb = _gaps(bootstrap)
    without = _gaps(dict(bootstrap, agents=SMALL["agents"][1:]))
    assert max(with_arb) < 0.01
    assert sum(with_arb) < 0.5 * sum(without)


def test_arbitrageur_position_cap_is_optional():
    assert sc.Arbitrageur(name="a").max_position_base is None
    assert sc.Arbitrageur(name="a", max_position_base=10).max_position_base == 10


# --- user-written agents --------------------------------------------------------------------


def test_custom_agent_example_runs_and_its_user_agent_trades():
    scenario = load_scenario(EXAMPLES / "custom_agent.toml")
    momentum = Backtest(scenario).run().summary["venues"]["drift"]["agents"]["momentum"]
    assert momentum["kind"] == "python"
    assert momentum["orders_filled"] > 0
    assert momentum["base_filled"] > 0


def test_agent_class_passed_from_python_trades_with_its_params():
    data = dict(SMALL, agents=[*SMALL["agents"], {"kind": "python", "name": "buyer", "params": {"max_base": 3}}])
    agents = Backtest(parse_scenario(data), agents={"buyer": Buyer}).run().summary["venues"]["drift"]["agents"]
    assert agents["buyer"]["orders_filled"] > 0
    assert agents["buyer"]["base_filled"] <= 3.0


def test_python_agent_keys_round_trip_through_toml():
    scenario = load_scenario(EXAMPLES / "custom_agent.toml")
    again = parse_scenario(tomllib.loads(dump_scenario(scenario)), EXAMPLES)
    assert again == scenario
    assert again.agents[-1].params["size_base"] == 25.0


def test_same_seed_same_digest_with_a_user_agent():
    scenario = load_scenario(EXAMPLES / "custom_agent.toml").model_copy(update={"duration_days": 0.2})
    assert Backtest(scenario).run().state_digests == Backtest(scenario).run().state_digests


def _write(folder, text):
    (folder / "mine.py").write_text(text)


@pytest.mark.parametrize(
    ("path", "source", "reason"),
    [
        ("absent.py:Buyer", None, r"no file '.*absent\.py'"),
        ("mine.py:Missing", "from ballast.sim.agents import Agent\n", r"mine\.py defines no 'Missing'"),
        ("mine.py:Plain", "class Plain:\n    pass\n", r"'Plain' is not a subclass of ballast\.sim\.agents\.Agent"),
        ("mine.py:Idle", "from ballast.sim.agents import Agent\nclass Idle(Agent):\n    pass\n",
         r"Idle does not define act"),
        ("mine.py:Broken", "class Broken(:\n", r"syntax error in mine\.py, line 1"),
        ("mine.py:Boom", "raise RuntimeError('no')\n", r"mine\.py failed to import: RuntimeError: no"),
        ("mine.py", None, r"expected 'file\.py:ClassName'"),
    ],
)
def test_bad_agent_path_fails_validation_naming_the_key_and_reason(tmp_path, path, source, reason):
    if source is not None:
        _write(tmp_path, source)
    data = dict(SMALL, agents=[SMALL["agents"][0], {"kind": "python", "name": "mine", "path": path}])
    with pytest.raises(ScenarioError, match=r"agents\.1\.path = .*: " + reason):
        parse_scenario(data, tmp_path)


def test_unknown_or_mistyped_agent_param_is_named(tmp_path):
    _write(tmp_path, "from ballast.sim.agents import Agent\nclass Mine(Agent):\n    size = 1.0\n"
                     "    def act(self, step, ts):\n        pass\n")
    agent = {"kind": "python", "name": "mine", "path": "mine.py:Mine"}
    with pytest.raises(ScenarioError, match=r"agents\.0\.params\.sise: Mine has no parameter 'sise' \(its parameters: size\)"):
        parse_scenario(dict(SMALL, agents=[dict(agent, params={"sise": 2.0})]), tmp_path)
    with pytest.raises(ScenarioError, match=r"agents\.0\.params\.size = 'big': Mine\.size is a float"):
        parse_scenario(dict(SMALL, agents=[dict(agent, params={"size": "big"})]), tmp_path)
    assert parse_scenario(dict(SMALL, agents=[dict(agent, params={"size": 2})]), tmp_path)  # int for a float


def test_python_agent_without_path_needs_a_class_from_python():
    scenario = parse_scenario(dict(SMALL, agents=[{"kind": "python", "name": "mine"}]))
    with pytest.raises(ScenarioError, match=r"agents\.0\.path: no class for agent 'mine'"):
        Backtest(scenario)
    with pytest.raises(ScenarioError, match=r"no kind = 'python' agent named 'other'"):
        Backtest(scenario, agents={"other": Buyer})
    with pytest.raises(ScenarioError, match=r"agents\.0\.path: 'dict' is not a subclass"):
        Backtest(scenario, agents={"mine": dict})


def test_agent_parameters_are_public_class_attributes():
    assert agent_parameters(Buyer) == {"size_base": 1.0, "every_minutes": 30, "max_base": 20.0}


def test_both_venue_kinds_offer_every_trading_method():
    from ballast.sim.venues import TradingVenue
    from ballast.sim.venues.curie import CurieVenue

    members = {name for name in vars(TradingVenue) if not name.startswith("_")} - {"name"}
    for venue in (DriftVenue, CurieVenue):
        assert {m for m in members if not callable(getattr(venue, m, None))} == set()
