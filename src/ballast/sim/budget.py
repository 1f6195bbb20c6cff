"""What a backtest will cost before it runs: a coarse estimate of its time and peak memory.

The constants are measured on this project's 2-core machine (CPython 3.11, compiled engine)
with `ballast bench backtest`: about 0.5 ms of simulation per step plus ~0.1 ms per agent and
market per step (a 30-day, 1-minute run with six agents: about a minute), and about 1 KB of
memory per recorded agent row and per market row (tables, events and the report's copies), on
top of ~300 MB for the interpreter, the libraries and the report (a 1-year, 1-minute run with
eight agents measured 4.4 GB). They are estimates to warn with, not promises: a run whose
estimate exceeds `MAX_SECONDS` or half of the machine's memory is announced with its
figures before it starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ballast.sim.scenario import Scenario

__all__ = ["RunEstimate", "estimate_run", "MAX_SECONDS"]

MAX_SECONDS = 3600.0
_BASE_BYTES = 300 * 2**20
_ROW_BYTES = 1024
_STEP_SECONDS = 0.5e-3
_PER_ACTOR_SECONDS = 0.1e-3


@dataclass(frozen=True)
class RunEstimate:
    seconds: float
    bytes: int
    machine_bytes: int | None

    def warnings(self) -> list[str]:
        """Why this run may not fit the machine (empty when it fits)."""
        out = []
        if self.seconds > MAX_SECONDS:
            out.append(f"this run is estimated to take about {self.seconds / 3600:.1f} h of CPU")
        if self.machine_bytes is not None and self.bytes > self.machine_bytes // 2:
            out.append(f"this run is estimated to need about {self.bytes / 2**30:.1f} GiB of memory, more than "
                       f"half of this machine's {self.machine_bytes / 2**30:.1f} GiB; record agents less often "
                       "(outputs.agents_every_steps) or drop events (outputs.keep_events = false)")
        return out


def _machine_bytes() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def estimate_run(scenario: Scenario) -> RunEstimate:
    """Estimated CPU seconds and peak bytes of `Backtest(scenario).run()` and its report."""
    steps = (scenario.n_steps + 1) * len(scenario.venues)
    actors = len(scenario.agents) + len(scenario.markets)
    seconds = steps * (_STEP_SECONDS + _PER_ACTOR_SECONDS * actors)
    agent_rows = steps * len(scenario.agents) // scenario.outputs.agent_sample_steps(scenario.step_seconds)
    market_rows = steps * len(scenario.markets)
    return RunEstimate(seconds, _BASE_BYTES + _ROW_BYTES * (agent_rows + market_rows), _machine_bytes())
