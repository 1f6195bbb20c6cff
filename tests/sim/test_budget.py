"""Run cost estimates (ballast.sim.budget): time and memory grow with the run, warnings name
what is over."""

from __future__ import annotations

from ballast.sim.budget import MAX_SECONDS, RunEstimate, estimate_run
from ballast.sim.loading import parse_scenario

GIB = 2**30


def _scenario(duration_days=1.0, n_agents=1, agents_every_steps=1):
    return parse_scenario(
        {
            "duration_days": duration_days,
            "agents": [{"kind": "noise_taker", "name": f"n{i}"} for i in range(n_agents)],
            "outputs": {"agents_every_steps": agents_every_steps},
        }
    )


def test_estimate_grows_with_duration():
    short, long = (
        estimate_run(_scenario(duration_days=1.0)),
        estimate_run(_scenario(duration_days=2.0)),
    )

    assert (long.seconds > short.seconds, long.bytes > short.bytes) == (True, True)


def test_estimate_grows_with_agents():
    few, many = estimate_run(_scenario(n_agents=1)), estimate_run(_scenario(n_agents=4))

    assert (many.seconds > few.seconds, many.bytes > few.bytes) == (True, True)


def test_estimate_grows_with_venues():
    one = estimate_run(_scenario())
    two = estimate_run(
        parse_scenario(
            {
                "venues": [{"name": "a"}, {"name": "b", "kind": "curie"}],
                "agents": [{"kind": "noise_taker", "name": "n"}],
            }
        )
    )

    assert (two.seconds > one.seconds, two.bytes > one.bytes) == (True, True)


def test_recording_agents_less_often_lowers_memory():
    every, sparse = (
        estimate_run(_scenario(n_agents=3)),
        estimate_run(_scenario(n_agents=3, agents_every_steps=10)),
    )

    assert sparse.bytes < every.bytes


def test_recording_agents_less_often_keeps_the_time_estimate():
    every, sparse = (
        estimate_run(_scenario(n_agents=3)),
        estimate_run(_scenario(n_agents=3, agents_every_steps=10)),
    )

    assert sparse.seconds == every.seconds


def test_small_run_has_no_warnings():
    estimate = estimate_run(_scenario())

    assert estimate.warnings() == []


def test_run_within_both_thresholds_has_no_warnings():
    estimate = RunEstimate(seconds=MAX_SECONDS, bytes=4 * GIB, machine_bytes=8 * GIB)

    assert estimate.warnings() == []


def test_run_over_the_time_threshold_warns_about_time_only():
    estimate = RunEstimate(seconds=2 * MAX_SECONDS, bytes=GIB, machine_bytes=8 * GIB)

    warnings = estimate.warnings()

    assert len(warnings) == 1
    assert "h of CPU" in warnings[0]


def test_run_over_half_the_memory_warns_about_memory_only():
    estimate = RunEstimate(seconds=1.0, bytes=4 * GIB + 1, machine_bytes=8 * GIB)

    warnings = estimate.warnings()

    assert len(warnings) == 1
    assert "memory" in warnings[0]
    assert "8.0 GiB" in warnings[0]


def test_run_over_both_thresholds_warns_twice():
    estimate = RunEstimate(seconds=2 * MAX_SECONDS, bytes=6 * GIB, machine_bytes=8 * GIB)

    assert len(estimate.warnings()) == 2


def test_unknown_machine_memory_gives_no_memory_warning():
    estimate = RunEstimate(seconds=1.0, bytes=100 * GIB, machine_bytes=None)

    assert estimate.warnings() == []
