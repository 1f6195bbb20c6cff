"""Running sweeps: one row per point, resumable after Ctrl-C or kill -9 without computing a
finished point again, the same table on a process pool and on Dask, a failing or dying point
costing only itself."""

import os
import signal
import subprocess
import sys
import time

import pytest

from ballast.store.sweep_folder import SweepFolder
from ballast.sweep import PointTask, load_sweep, run_sweep
from ballast.sweep.executors import local_results

_TIMING = ("wall_seconds", "cpu_seconds")


def _table(folder):
    """The points table without the timing columns, as sorted rows."""
    table = SweepFolder(folder).points()
    keep = [c for c in table.column_names if c not in _TIMING]
    return sorted(table.select(keep).to_pylist(), key=lambda r: r["run_id"])


def test_every_point_gets_one_row_and_a_series(sweep_file, tmp_path):
    # Arrange
    spec = load_sweep(sweep_file('name = "s"\nseeds = 2\n[[axes]]\nkey = "agents.lp.enter_at_day"\nvalues = [0.01, 0.02]\n'))

    # Act
    done = run_sweep(spec, tmp_path / "out", workers=2)

    # Assert
    rows = _table(tmp_path / "out")
    assert done.ran == 4 and done.failed == 0
    assert [r["run_id"] for r in rows] == sorted(p.run_id for p in spec.points())
    assert all(r["status"] == "ok" and r["agent.lp.nav_end_usd"] > 0 for r in rows)
    series = SweepFolder(tmp_path / "out").query("SELECT count(DISTINCT run_id) AS n FROM series "
                                                 "WHERE name = 'agent.lp.nav_usd'").to_pylist()
    assert series == [{"n": 4}]


def test_a_rerun_skips_finished_points(sweep_file, tmp_path):
    # Arrange
    spec = load_sweep(sweep_file('name = "s"\nseeds = 3\n'))
    run_sweep(spec, tmp_path / "out", workers=2)

    # Act
    again = run_sweep(spec, tmp_path / "out", workers=2)

    # Assert
    assert (again.skipped, again.ran) == (3, 0)


def test_a_folder_of_another_sweep_is_refused(sweep_file, tmp_path):
    from ballast.store.sweep_folder import SweepFolderError

    run_sweep(load_sweep(sweep_file('name = "s"\nseeds = 1\n')), tmp_path / "out", workers=1)
    with pytest.raises(SweepFolderError, match="holds the sweep 's', not 't'"):
        run_sweep(load_sweep(sweep_file('name = "t"\nseeds = 2\n', "other.toml")), tmp_path / "out", workers=1)


def test_keep_full_naming_no_point_is_refused_before_anything_runs(sweep_file, tmp_path):
    from ballast.sweep import SweepError

    spec = load_sweep(sweep_file('name = "s"\nkeep_full = ["0123456789abcdef"]\n'))
    with pytest.raises(SweepError, match="keep_full: 0123456789abcdef is not a point"):
        run_sweep(spec, tmp_path / "out", workers=1)
    assert not (tmp_path / "out").exists()


def test_keep_worst_metric_that_is_no_figure_is_refused_before_anything_runs(sweep_file, tmp_path):
    from ballast.sweep import SweepError

    spec = load_sweep(sweep_file('name = "s"\nkeep_worst = { n = 1, metric = "agent.lp.retrun_pct" }\n'))
    with pytest.raises(SweepError, match="keep_worst.metric = 'agent.lp.retrun_pct': not a figure"):
        run_sweep(spec, tmp_path / "out", workers=1)
    assert not (tmp_path / "out").exists()


def test_a_sweep_whose_points_all_fail_ends_with_no_worst_points(sweep_file, tmp_path):
    # Arrange: an agent that raises on its first step, in every point
    (tmp_path / "broken.py").write_text("from ballast.sim.agents import Agent\n\n\nclass Broken(Agent):\n"
                                        "    def act(self, step, ts):\n        raise RuntimeError('broken agent')\n")
    base = (tmp_path / "base.toml").read_text()
    (tmp_path / "base.toml").write_text(base + '\n[[agents]]\nkind = "python"\nname = "broken"\npath = "broken.py:Broken"\n')
    spec = load_sweep(sweep_file('name = "s"\nseeds = 2\nkeep_worst = { n = 1, metric = "agent.lp.return_pct" }\n'))

    # Act
    done = run_sweep(spec, tmp_path / "out", workers=1)

    # Assert
    assert (done.failed, done.worst) == (2, ())
    assert all("broken agent" in r["error"] for r in _table(tmp_path / "out"))


def test_a_sweep_given_more_seeds_runs_only_the_new_points_and_shows_only_its_own(sweep_file, tmp_path):
    # Arrange: seeds 0-1 and then 1-2 in one folder
    run_sweep(load_sweep(sweep_file('name = "s"\nseeds = [0, 1]\n')), tmp_path / "out", workers=1)
    spec = load_sweep(sweep_file('name = "s"\nseeds = [1, 2]\n', "more.toml"))

    # Act
    done = run_sweep(spec, tmp_path / "out", workers=1)

    # Assert
    assert (done.skipped, done.ran) == (1, 1)
    assert sorted(r["seed"] for r in _table(tmp_path / "out")) == [1, 2]


def test_a_failing_point_is_recorded_and_the_others_finish():
    # Arrange: a point whose scenario the engine cannot even parse, beside a good one
    bad = PointTask("bad", {"duration_days": -1}, ".", {}, 0, 0, 60)
    trader = {"kind": "noise_taker", "name": "n", "collateral_usd": 1000}
    good = PointTask("good", {"duration_days": 0.01, "agents": [trader]}, ".", {}, 0, 0, 60)

    # Act
    rows = {r.row["run_id"]: r.row for r in local_results([bad, good], workers=2)}

    # Assert
    assert rows["bad"]["status"] == "error" and "duration_days" in rows["bad"]["error"]
    assert rows["good"]["status"] == "ok"


def test_a_part_that_starts_with_a_failed_point_keeps_the_figures_of_the_others(tmp_path):
    # Arrange
    folder = SweepFolder(tmp_path / "out")
    folder.prepare({"name": "s"}, ["a", "b"])
    failed = {"run_id": "a", "status": "error", "error": "boom"}
    finished = {"run_id": "b", "status": "ok", "error": None, "bad_debt_usd": 12.5}

    # Act
    folder.append([failed, finished], [])

    # Assert
    rows = {r["run_id"]: r for r in folder.points().to_pylist()}
    assert rows["b"]["bad_debt_usd"] == 12.5 and rows["a"]["bad_debt_usd"] is None


_CRASHER = """
import os
from ballast.sim.agents import Agent

class Crasher(Agent):
    crash = False

    def act(self, step, ts):
        if self.crash and step == 3:
            os._exit(3)  # the worker process dies, as an out-of-memory kill would
"""


def test_a_point_whose_worker_dies_is_retried_then_recorded_and_costs_only_itself(sweep_file, tmp_path):
    # Arrange
    (tmp_path / "crasher.py").write_text(_CRASHER)
    base = (tmp_path / "base.toml").read_text()
    (tmp_path / "base.toml").write_text(base + '\n[[agents]]\nkind = "python"\nname = "crasher"\n'
                                        'path = "crasher.py:Crasher"\n')
    spec = load_sweep(sweep_file('name = "s"\nseeds = 2\n[[axes]]\nkey = "agents.crasher.params.crash"\n'
                                 'values = [false, true]\n'))

    # Act
    done = run_sweep(spec, tmp_path / "out", workers=2)

    # Assert
    rows = _table(tmp_path / "out")
    crashed = [r for r in rows if r["axis.agents.crasher.params.crash"]]
    fine = [r for r in rows if not r["axis.agents.crasher.params.crash"]]
    assert done.failed == 2
    assert all(r["status"] == "error" and "died 3 times" in r["error"] for r in crashed)
    assert all(r["status"] == "ok" for r in fine) and len(fine) == 2


def _cli(*args):
    return [sys.executable, "-c", "from ballast.cli import app; app()", *args]


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_an_interrupted_sweep_resumed_equals_an_uninterrupted_one(sweep_file, tmp_path, how):
    # Arrange: 24 points of ~0.2 s on one worker; stop the sweep once its first part is written
    path = sweep_file('name = "s"\nseeds = 12\n[[axes]]\nkey = "agents.lp.enter_at_day"\nvalues = [0.01, 0.02]\n')
    whole, cut = tmp_path / "whole", tmp_path / "cut"
    run_sweep(load_sweep(path), whole, workers=1)
    # SIGINT's default action restored: a shell starting this suite in the background ignores it
    process = subprocess.Popen(_cli("sweep", str(path), "--out", str(cut), "--workers", "1"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not list((cut / "points").glob("part-*.parquet")) and time.monotonic() < deadline:
        assert process.poll() is None, "the sweep ended before it could be interrupted"
        time.sleep(0.05)
    os.killpg(process.pid, how)
    process.wait(timeout=60)
    before = {r["run_id"] for r in _table(cut)}

    # Act
    resumed = run_sweep(load_sweep(path), cut, workers=1)

    # Assert
    assert 0 < len(before) < 24
    assert resumed.skipped == len(before) and resumed.ran == 24 - len(before)
    assert _table(cut) == _table(whole)


def test_dask_and_the_process_pool_give_the_same_table(sweep_file, tmp_path):
    # Arrange
    spec = load_sweep(sweep_file('name = "s"\nseeds = 2\n[[axes]]\nkey = "agents.noise.arrivals_per_hour"\n'
                                 'values = [10, 40]\n'))

    # Act
    run_sweep(spec, tmp_path / "pool", workers=2)
    run_sweep(spec, tmp_path / "dask", executor="dask", workers=2)

    # Assert
    assert _table(tmp_path / "dask") == _table(tmp_path / "pool")
