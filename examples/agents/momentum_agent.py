"""A user-written agent for Ballast backtests: time-series momentum.

Every `check_every_minutes` it compares the oracle price with its value `lookback_minutes`
ago. Up by more than `threshold_pct`: it goes long `size_base`; down by as much: short;
otherwise it keeps its position. It acts only through the venue interface (`self.order`,
`self.oracle`, `self.position`), so it runs on Drift and Curie venues alike.

Named in a scenario (see examples/custom_agent.toml):

    [[agents]]
    kind = "python"
    name = "momentum"
    path = "agents/momentum_agent.py:Momentum"    # relative to the scenario file
    params = { lookback_minutes = 60, size_base = 25.0 }

or passed from Python: `Backtest(scenario, agents={"momentum": Momentum})`.
"""

from collections import deque

from ballast.sim.agents import BASE, Agent


class Momentum(Agent):
    # parameters: a scenario's `params` table overrides these
    lookback_minutes = 120
    check_every_minutes = 15
    threshold_pct = 0.5
    size_base = 10.0

    def init(self):
        steps_back = max(1, self.lookback_minutes * 60 // self.step_seconds)
        self.prices = deque(maxlen=steps_back + 1)  # oracle prices (1e6), oldest first
        self.every = max(1, self.check_every_minutes * 60 // self.step_seconds)

    def act(self, step, ts):
        self.prices.append(self.oracle())
        if step % self.every or len(self.prices) < self.prices.maxlen:
            return
        change_pct = 100 * (self.prices[-1] - self.prices[0]) / self.prices[0]
        if change_pct > self.threshold_pct:
            target = round(self.size_base * BASE)
        elif change_pct < -self.threshold_pct:
            target = -round(self.size_base * BASE)
        else:
            return
        trade = target - self.position()
        if abs(trade) >= self.venue.order_step(self.market):
            self.order(trade)  # an OrderResult: .status, .filled_base, .reason
