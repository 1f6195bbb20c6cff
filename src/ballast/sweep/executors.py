"""Where sweep points run: a local process pool (the default) or a Dask distributed cluster.

Both take the same `PointTask`s and yield the same `PointResult`s as the points finish (in any
order); only the tasks travel to the workers and only the small results come back. Nothing
depends on a shared disk. A worker that dies costs only the points it was running: they are
run again (at most MAX_ATTEMPTS times in all, after which the point is recorded as an error).

* `local_results(tasks, workers)`: a `ProcessPoolExecutor` with `workers` processes (default:
  every core), started by the "forkserver" method (a clean process, no inherited threads or
  memory high-water mark). A dead worker breaks the pool: the points not yet returned then run
  one per worker process, so a death is charged to the point that caused it.
* `dask_results(tasks, scheduler, workers)`: an existing cluster at `scheduler`, or, without
  one, a `LocalCluster` of `workers` single-threaded worker processes bound to 127.0.0.1 with
  no dashboard, closed at the end. Dask itself moves a dead worker's tasks to the others
  (`retries` = MAX_ATTEMPTS - 1 for errors a task raises; a task whose workers keep dying is
  recorded as an error).

Source: concurrent.futures (standard library); dask.distributed Client / LocalCluster / as_completed.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ballast.sweep.point import PointResult, PointTask, run_point

__all__ = ["MAX_ATTEMPTS", "dask_results", "failed", "local_results"]

MAX_ATTEMPTS = 3


def failed(task: PointTask, error: str) -> PointResult:
    """The result of a point whose worker never returned it."""
    row = {"run_id": task.run_id, "seed": task.seed, "draw": task.draw, "status": "error", "error": error,
           "wall_seconds": None, "cpu_seconds": None}
    row.update({f"axis.{key}": value for key, value in task.values.items()})
    return PointResult(row)


def local_results(tasks: Sequence[PointTask], workers: int | None = None) -> Iterator[PointResult]:
    """Run `tasks` on a local process pool (module docstring). When a worker dies the pool is
    broken and every point it still held fails with it: those points then run each in a
    worker of its own (`workers` at a time), where a death is the point's own and counts
    against its attempts."""
    workers = workers or os.cpu_count() or 1
    context = multiprocessing.get_context("forkserver")
    casualties: list[PointTask] = []
    pool = ProcessPoolExecutor(max_workers=max(1, min(workers, len(tasks))), mp_context=context)
    try:
        futures = {pool.submit(run_point, task): task for task in tasks}
        while futures:
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            for future in done:
                task = futures.pop(future)
                try:
                    yield future.result()
                except BrokenProcessPool:
                    casualties.append(task)
    finally:
        # interrupted (Ctrl-C): the points not started are dropped at once, not run to the end
        pool.shutdown(wait=False, cancel_futures=True)
    yield from _isolated(casualties, workers, context)


def _isolated(tasks: Sequence[PointTask], workers: int, context: Any) -> Iterator[PointResult]:
    """Run each task in a one-worker pool of its own, `workers` pools at a time; a task whose
    worker dies is retried until it has been attempted MAX_ATTEMPTS times in all."""
    queue = list(reversed(tasks))
    attempts = {task.run_id: 1 for task in tasks}  # the shared pool's attempt
    running: dict[Any, tuple[PointTask, ProcessPoolExecutor]] = {}
    try:
        while queue or running:
            while queue and len(running) < workers:
                task = queue.pop()
                attempts[task.run_id] += 1
                pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
                running[pool.submit(run_point, task)] = (task, pool)
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                task, pool = running.pop(future)
                pool.shutdown(wait=True)
                try:
                    yield future.result()
                except BrokenProcessPool:
                    if attempts[task.run_id] >= MAX_ATTEMPTS:
                        yield failed(task, f"the worker process died {MAX_ATTEMPTS} times running this point")
                    else:
                        queue.append(task)
    finally:
        for _task, pool in running.values():
            pool.shutdown(wait=False, cancel_futures=True)


def dask_results(tasks: Sequence[PointTask], scheduler: str | None = None,
                 workers: int | None = None) -> Iterator[PointResult]:
    """Run `tasks` on a Dask cluster (module docstring)."""
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None, protocol="tcp")
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        futures = client.map(run_point, list(tasks), key=[f"point-{t.run_id}" for t in tasks], pure=False,
                             retries=MAX_ATTEMPTS - 1)
        by_key = {future.key: task for future, task in zip(futures, tasks, strict=True)}
        for future in as_completed(futures):
            task = by_key[future.key]
            try:
                yield future.result()
            except Exception as error:  # noqa: BLE001 - e.g. KilledWorker: the point is an error, the sweep goes on
                yield failed(task, f"{type(error).__name__}: {error}")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
