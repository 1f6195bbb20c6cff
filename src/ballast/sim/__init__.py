"""Backtests: scenario files, price paths, agents, keepers and venues.

    from ballast.sim import Backtest, load_scenario
    result = Backtest(load_scenario("examples/sol_bal_30d.toml")).run()
    result.summary, result.timeseries, result.agents, result.events
    ballast.report.save_run(result)      # runs/<run_id>/ with report.html
"""

from ballast.sim.agents import Agent
from ballast.sim.loading import dump_scenario, load_scenario, parse_scenario
from ballast.sim.runner import AuditFailure, Backtest, BacktestResult, SimEvent
from ballast.sim.scenario import Scenario, ScenarioError
from ballast.sim.venues import OrderResult

__all__ = [
    "Agent",
    "AuditFailure",
    "Backtest",
    "BacktestResult",
    "OrderResult",
    "Scenario",
    "ScenarioError",
    "SimEvent",
    "dump_scenario",
    "load_scenario",
    "parse_scenario",
]
