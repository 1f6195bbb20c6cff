"""A tiny base scenario (a few seconds of CPU for a dozen points) and sweep files around it."""

import pytest

BASE = """
name = "tiny"
duration_days = 0.05

[[markets]]
name = "SOL-PERP"

[markets.oracle]
kind = "gbm"
start_price_usd = 100.0

[[agents]]
kind = "bal_provider"
name = "lp"
collateral_usd = 100000
amount_usd = 50000
enter_at_day = 0.01

[[agents]]
kind = "noise_taker"
name = "noise"
collateral_usd = 100000
arrivals_per_hour = 30
"""


@pytest.fixture
def sweep_file(tmp_path):
    """Write base.toml and a sweep over it; returns a function (sweep TOML body) -> path."""
    (tmp_path / "base.toml").write_text(BASE)

    def write(body: str, name: str = "sweep.toml"):
        path = tmp_path / name
        path.write_text('base = "base.toml"\n' + body)
        return path

    return write
