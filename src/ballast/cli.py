"""The `ballast` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from ballast import __version__
from ballast.engine import engine_status

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Ballast: exact perp-liquidity engines.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks (speed is measured here, not in tests).")
app.add_typer(bench_app, name="bench")
docs_app = typer.Typer(no_args_is_help=True, help="Generated documentation.")
app.add_typer(docs_app, name="docs")


class _SweepGroup(TyperGroup):
    """`ballast sweep SWEEP.toml ...` runs the sweep (the `run` command); `ballast sweep query`
    and `ballast sweep report` are the other commands."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().resolve_command(ctx, args)


sweep_app = typer.Typer(cls=_SweepGroup, no_args_is_help=True,
                        help="Sweeps: `ballast sweep SWEEP.toml` runs one; `query` and `report` read its folder.")
app.add_typer(sweep_app, name="sweep")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ballast {__version__} (Drift engine {engine_status().describe()})")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Ballast: exact, deterministic engines and backtests for perpetual-futures liquidity."""
    status = engine_status()
    if status.stale_sources:
        # the compiled extensions, not the edited sources, would run
        Console(stderr=True).print(
            f"[yellow]warning:[/] Drift engine {status.describe()}: run `make build`"
        )


@app.command()
def demo() -> None:
    """A short walk-through of a SOL-PERP market: trades, funding, settlement, balances."""
    from ballast.demo import run_demo

    run_demo(Console())


def _parse_counts(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as error:
        raise typer.BadParameter(f"expected comma-separated integers, got {text!r}") from error
    if not counts or any(count < 1 for count in counts):
        raise typer.BadParameter(f"counts must be positive integers, got {text!r}")
    return counts


_JSON_HELP = "Print one JSON document (command, parameters, machine, rows) instead of the table."


def _print_bench_json(command: str, parameters: dict, rows: list[dict], summary: dict | None = None) -> None:
    """`--json`: the benchmark's one JSON document on stdout (ballast.bench.bench_document),
    with `summary` (figures across rows) when given."""
    import json

    from ballast.bench import bench_document

    document = bench_document(command, parameters, rows)
    if summary:
        document["summary"] = summary
    typer.echo(json.dumps(document, indent=2))


@bench_app.command("fills")
def bench_fills_command(
    users: str | None = typer.Option(
        None,
        help="Comma-separated numbers of users (default 10,100,1000,10000; 10 when --lps is given).",
    ),
    lps: str | None = typer.Option(
        None,
        help="Comma-separated numbers of BAL providers in the market (each adds shares once "
        "before timing); with --users, every combination is run.",
    ),
    fills: int = typer.Option(20_000, min=1, help="Fills per run."),
    runs: int = typer.Option(3, min=1, help="Runs per row; the best (lowest wall time) is reported."),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Market orders filled against the AMM with funding and margin on (and BAL providers)."""
    from ballast.bench import bench_fills, machine_info

    if users is None:
        user_counts = [10] if lps is not None else [10, 100, 1000, 10000]
    else:
        user_counts = _parse_counts(users)
    lp_counts = [0] if lps is None else _parse_counts(lps)
    results = [
        min(
            (bench_fills(user_count, fills, lps=lp_count) for _ in range(runs)),
            key=lambda r: r.wall_seconds,
        )
        for user_count in user_counts
        for lp_count in lp_counts
    ]
    if json_output:
        _print_bench_json("bench fills", {"fills": fills, "runs": runs}, [r.row() for r in results])
        return
    table = Table(title=f"bench fills: {fills} fills, best of {runs} runs")
    for column in ("users", "BAL providers", "fills/s", "us/fill", "wall s", "cpu s", "funding updates"):
        table.add_column(column, justify="right")
    for best in results:
        table.add_row(
            str(best.users),
            str(best.lps),
            f"{best.fills_per_second:,.0f}",
            f"{best.microseconds_per_fill:,.1f}",
            f"{best.wall_seconds:,.2f}",
            f"{best.cpu_seconds:,.2f}",
            str(best.funding_updates),
        )
    console = Console()
    console.print(table)
    console.print(f"machine: {machine_info().describe()}")


@bench_app.command("backtest")
def bench_backtest_command(
    scenario: str = typer.Argument("examples/sol_bal_30d.toml", help="Scenario to time."),
    runs: int = typer.Option(1, min=1, help="Runs, each in a fresh process; the best (lowest CPU time) is reported."),
    report: bool = typer.Option(
        False, "--report", help="Also time writing the run folder and report (into a temporary folder)."
    ),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """A whole backtest: CPU and wall seconds, engine events and steps per CPU second, peak RSS
    of the process that ran it (simulation only, or with --report the run folder and report too)."""
    from ballast.bench import bench_backtest, machine_info

    best = min((bench_backtest(scenario, report=report) for _ in range(runs)), key=lambda r: r.total_cpu_seconds)
    if json_output:
        _print_bench_json("bench backtest", {"scenario": scenario, "runs": runs, "report": report}, [best.row()])
        return
    what = "simulation and report" if report else "simulation only"
    # one record, one figure a line: every figure of --json fits 80 columns, --report or not
    table = Table(title=f"bench backtest: {scenario} ({what}), best of {runs} runs")
    table.add_column("figure")
    table.add_column("value", justify="right")
    figures = [
        ("steps", f"{best.steps:,}"),
        ("engine events", f"{best.engine_events:,}"),
        ("simulation cpu s", f"{best.simulation_cpu_seconds:,.2f}"),
        ("simulation wall s", f"{best.simulation_wall_seconds:,.2f}"),
    ]
    if report:
        figures += [
            ("report cpu s (run folder + report.html)", f"{best.report_cpu_seconds:,.2f}"),
            ("report wall s", f"{best.report_wall_seconds:,.2f}"),
            ("total cpu s", f"{best.total_cpu_seconds:,.2f}"),
            ("total wall s", f"{best.total_wall_seconds:,.2f}"),
        ]
    figures += [
        ("events/s (per simulation cpu s)", f"{best.events_per_cpu_second:,.0f}"),
        ("steps/s (per simulation cpu s)", f"{best.steps_per_cpu_second:,.0f}"),
        ("peak RSS MiB (of the fresh process that ran it)", f"{best.peak_rss_mib:,.0f}"),
    ]
    for figure in figures:
        table.add_row(*figure)
    console = Console()
    console.print(table)
    console.print(f"machine: {machine_info().describe()}")


@bench_app.command("sweep")
def bench_sweep_command(
    scenario: str = typer.Argument("examples/gap_crash.toml", help="Base scenario of the seeds-only sweep."),
    points: int = typer.Option(8, min=1, help="Points (seeds) in the sweep."),
    workers: int | None = typer.Option(None, min=1, help="Workers of the second run (default: every core)."),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Sweep points per minute on 1 worker and on every core, and the scaling ratio."""
    from ballast.bench import machine_info
    from ballast.bench_sweep import bench_sweep
    from ballast.sweep import SweepError

    try:
        one, many = bench_sweep(scenario, points, workers)
    except SweepError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    ratio = many.points_per_minute / one.points_per_minute
    if json_output:
        rows = [one.row(), many.row() | {"scaling_ratio": ratio}]
        _print_bench_json("bench sweep", {"scenario": scenario, "points": points}, rows)
        return
    table = Table(title=f"bench sweep: {points} seeds of {scenario}")
    for column in ("workers", "points", "wall s", "points/min", "scaling"):
        table.add_column(column, justify="right")
    table.add_row(str(one.workers), str(one.points), f"{one.wall_seconds:.1f}", f"{one.points_per_minute:.1f}", "1.00")
    table.add_row(str(many.workers), str(many.points), f"{many.wall_seconds:.1f}", f"{many.points_per_minute:.1f}",
                  f"{ratio:.2f}")
    console = Console()
    console.print(table)
    console.print(f"machine: {machine_info().describe()}")


@bench_app.command("curie")
def bench_curie_command(
    swaps: int = typer.Option(20_000, min=1, help="Pool swaps per run."),
    positions: int = typer.Option(2_000, min=1, help="ClearingHouse.open_position calls per run."),
    runs: int = typer.Option(3, min=1, help="Runs per row; the best (lowest wall time) is reported."),
    ranges: str | None = typer.Option(
        None,
        help="Comma-separated numbers of maker ranges in the market (e.g. 40,240): time only "
        "open_position crossing 0 ticks at each count (runs interleaved) and report max/min.",
    ),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Curie swaps per second crossing 0, 1 and 10 initialized ticks: the virtual Uniswap v3
    pool alone, then ClearingHouse.open_position (funding, replay, margin, rewards); with
    --ranges, open_position at each number of maker ranges."""
    from ballast.bench import machine_info
    from ballast.bench_curie import (
        CROSSINGS,
        MAX_RANGES,
        RANGES,
        bench_curie,
        bench_curie_ranges,
        ranges_ratio,
    )

    summary: dict[str, float] = {}
    if ranges is not None:
        range_counts = _parse_counts(ranges)
        if any(count > MAX_RANGES for count in range_counts):
            raise typer.BadParameter(f"at most {MAX_RANGES} ranges, got {ranges}")
        results = bench_curie_ranges(range_counts, positions, runs)
        summary = {
            "ranges_max_over_min": ranges_ratio(results),
            "ranges_max_over_min_cpu": ranges_ratio(results, cpu=True),
        }
    else:
        results = [
            min((bench_curie(layer, ticks_crossed, count) for _ in range(runs)), key=lambda r: r.wall_seconds)
            for layer, count in (("pool", swaps), ("clearing_house", positions))
            for ticks_crossed in CROSSINGS
        ]
    if json_output:
        parameters = {"swaps": swaps, "positions": positions, "runs": runs, "ranges": ranges}
        _print_bench_json("bench curie", parameters, [r.row() for r in results], summary)
        return
    console = Console()
    if summary:
        table = Table(
            title=f"bench curie --ranges: open_position crossing 0 ticks, best of {runs} interleaved runs"
        )
        for column in ("maker ranges", "positions", "positions/s", "us/position", "wall s", "cpu s", "per cpu s"):
            table.add_column(column, justify="right")
        for best in results:
            table.add_row(
                str(best.ranges),
                str(best.swaps),
                f"{best.swaps_per_second:,.0f}",
                f"{best.microseconds_per_swap:,.1f}",
                f"{best.wall_seconds:,.3f}",
                f"{best.cpu_seconds:,.3f}",
                f"{best.swaps_per_cpu_second:,.0f}",
            )
        console.print(table)
        console.print(
            f"positions/s max/min across {ranges} ranges: {summary['ranges_max_over_min']:.2f} "
            f"(per CPU second: {summary['ranges_max_over_min_cpu']:.2f})"
        )
    else:
        table = Table(title=f"bench curie: best of {runs} runs, alternating direction, {RANGES} maker ranges")
        for column in ("layer", "ticks crossed", "swaps", "swaps/s", "us/swap", "wall s", "cpu s"):
            table.add_column(column, justify="right")
        for best in results:
            table.add_row(
                best.layer,
                str(best.ticks_crossed),
                str(best.swaps),
                f"{best.swaps_per_second:,.0f}",
                f"{best.microseconds_per_swap:,.1f}",
                f"{best.wall_seconds:,.3f}",
                f"{best.cpu_seconds:,.3f}",
            )
        console.print(table)
    console.print(f"machine: {machine_info().describe()}")


@app.command("backtest")
def backtest_command(
    scenario: str = typer.Argument(..., help="A scenario TOML file (see examples/)."),
    out: str = typer.Option("runs", "--out", help="Folder that receives runs/<run_id>/."),
    seed: int | None = typer.Option(None, "--seed", help="Override the scenario's seed (the values TOML's seed takes)."),
    check: bool = typer.Option(False, "--check", help="Run the engine's audit() every step."),
) -> None:
    """Run a backtest: simulate the scenario, write its run folder and report, print a summary."""
    from ballast.curie.errors import CurieError
    from ballast.drift.errors import DriftError
    from ballast.fixed import MathError
    from ballast.report import save_run
    from ballast.sim import AuditFailure, Backtest, ScenarioError, load_scenario
    from ballast.sim.budget import estimate_run

    if seed is not None:
        _check_scenario_value("seed", seed, "--seed")
    try:
        Path(out).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        typer.echo(f"error: cannot write run folders under {out!r}: {error.strerror or error}", err=True)
        raise typer.Exit(code=2) from None
    try:
        loaded = load_scenario(scenario)
        for warning in estimate_run(loaded).warnings():
            typer.echo(f"warning: {warning}", err=True)
        result = _off_the_main_thread(Backtest(loaded, seed=seed, check=check).run)
    except (ScenarioError, AuditFailure, FileNotFoundError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    except (DriftError, CurieError, MathError) as error:
        typer.echo(f"error: the engine refused the scenario's set-up: {type(error).__name__}: {error}", err=True)
        raise typer.Exit(code=2) from None
    try:
        report_path = save_run(result, out)
    except OSError as error:
        typer.echo(f"error: cannot write the run folder under {out!r}: {error.strerror or error}", err=True)
        raise typer.Exit(code=2) from None
    except KeyboardInterrupt:
        typer.echo(_INTERRUPTED, err=True)
        raise typer.Exit(code=130) from None
    console = Console()
    _print_summary(console, f"backtest {scenario}", result.summary)
    _print_bad_debt(console, result.summary)
    for warning in result.summary["warnings"]:
        console.print(f"[yellow]warning[/yellow] {warning['venue']} {warning['market']} {warning['kind']}: {warning['detail']}")
    console.print(f"run: {report_path.parent}")
    console.print(f"report: {report_path}")


_INTERRUPTED = "error: interrupted (Ctrl-C): no run folder was written"


def _check_scenario_value(key: str, value: object, option: str) -> None:
    """Refuse a command-line value the scenario file's `key` would refuse (same model, same
    bounds): one line naming the option and the value, exit code 2."""
    from typing import Annotated

    from pydantic import TypeAdapter, ValidationError

    from ballast.sim.scenario import Scenario

    field = Scenario.model_fields[key]
    annotation = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    try:
        TypeAdapter(annotation).validate_python(value)
    except ValidationError as error:
        typer.echo(f"error: {option} {value}: {error.errors()[0]['msg']} (as the scenario's {key})", err=True)
        raise typer.Exit(code=2) from None


def _off_the_main_thread(work):
    """`work()` run in a worker thread while the main thread waits, so that Ctrl-C is handled in
    the main thread and never lands inside the compiled engine (a KeyboardInterrupt raised within
    one of its integer operations makes mypyc's runtime abort with "fatal: out of memory"). On
    Ctrl-C: one line and exit code 130 at once (the worker is abandoned; nothing was written)."""
    import os
    import sys
    import threading

    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["result"] = work()
        except BaseException as error:  # noqa: BLE001 - handed to the main thread as it is
            outcome["error"] = error

    worker = threading.Thread(target=target, name="ballast-work", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        typer.echo(_INTERRUPTED, err=True)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["result"]


def _summary_table(title: str, summary: dict) -> Table:
    """summary.json's scalar figures as the report's Summary table shows them (metrics.format_value):
    one column per venue, every venue (the run-wide facts are `_run_facts`). A figure a venue
    does not have is an empty cell; one it has but cannot define (a 30-day figure of a shorter
    run) is n/a. docs/metrics.md defines each."""
    from ballast.report.metrics import RUN_FACTS, format_value, summary_venues

    venues = summary_venues(summary, summary.get("venues") or ())
    table = Table(title=title)
    table.add_column("statistic")
    for column in list(venues) or ["value"]:
        table.add_column(column, justify="right")
    if not venues:
        venues = {"value": {k: v for k, v in summary.items() if k not in RUN_FACTS}}
    names = [name for stats in venues.values() for name, value in stats.items()
             if name not in RUN_FACTS and name != "state_digest" and _is_number(value)]
    for name in dict.fromkeys(names):
        values = [stats.get(name, _ABSENT) for stats in venues.values()]
        if all(v is _ABSENT or _is_number(v) for v in values):
            table.add_row(name, *("" if v is _ABSENT else format_value(name, v) for v in values))
    return table


_ABSENT = object()


def _is_number(value) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _run_facts(summary: dict) -> str:
    """The run-wide facts on one line: scenario, seed, steps, step_seconds, duration_days."""
    from ballast.report.metrics import RUN_FACTS, format_value

    return ", ".join(f"{name} {format_value(name, summary[name])}" for name in RUN_FACTS if name in summary)


def _provider_table(summary: dict, columns: tuple[str, ...] | None = None,
                    title: str = "providers (over each one's active window; docs/metrics.md)") -> Table | None:
    """Each liquidity provider's figures (`columns`, default metrics.PROVIDER_COLUMNS) from
    summary.json, every venue."""
    from ballast.report.metrics import PROVIDER_COLUMNS, format_value, summary_providers

    providers = summary_providers(summary, summary.get("venues") or ())
    if not providers:
        return None
    table = Table(title=title)
    table.add_column("figure")
    for venue, agent, _figures in providers:
        table.add_column(f"{venue} {agent}", justify="right")
    for name in columns or PROVIDER_COLUMNS:
        table.add_row(name, *(format_value(name, figures.get(name)) for _v, _a, figures in providers))
    return table


def _print_summary(console: Console, title: str, summary: dict) -> None:
    """What `ballast backtest` prints about a run: the summary table, the provider tables (outcomes,
    de-risk and liquidation) and each venue's state digest."""
    from ballast.report.metrics import PROVIDER_RISK_COLUMNS

    console.print(_run_facts(summary), soft_wrap=True)
    console.print(_summary_table(title, summary))
    for table in (_provider_table(summary),
                  _provider_table(summary, PROVIDER_RISK_COLUMNS, "providers: de-risk and liquidation (docs/metrics.md)")):
        if table is not None:
            console.print(table)
    for venue, stats in (summary.get("venues") or {}).items():
        if stats.get("state_digest"):
            console.print(f"state_digest {venue}: {stats['state_digest']}", soft_wrap=True)


def _print_bad_debt(console: Console, summary: dict) -> None:
    """Each Drift venue's loss waterfall (ballast.sim.waterfall; metrics.py defines each figure),
    formatted as the report shows it, when any venue had bad debt or a pnl deficit."""
    from ballast.report.metrics import BAD_DEBT_FIGURES, format_value

    ledgers = {venue: stats["bad_debt"] for venue, stats in (summary.get("venues") or {}).items()
               if isinstance(stats.get("bad_debt"), dict)}
    if not any(ledger["bad_debt_usd"] or ledger["pnl_deficit_insurance_usd"] for ledger in ledgers.values()):
        return
    table = Table(title="bad debt and the loss waterfall (USD; docs/metrics.md)")
    table.add_column("figure")
    for venue in ledgers:
        table.add_column(venue, justify="right")
    for name in BAD_DEBT_FIGURES:
        table.add_row(name, *(format_value(name, ledger.get(name)) for ledger in ledgers.values()))
    console.print(table)


@docs_app.command("scenario")
def docs_scenario_command() -> None:
    """Print the scenario reference (docs/scenario.md): every key, type, default and bound."""
    from ballast.sim.scenario_reference import render

    typer.echo(render(), nl=False)


@docs_app.command("metrics")
def docs_metrics_command() -> None:
    """Print the metrics reference (docs/metrics.md): every headline figure's unit and definition."""
    from ballast.report.metrics import render

    typer.echo(render(), nl=False)


@docs_app.command("reference")
def docs_reference_command() -> None:
    """Print the reference index (docs/reference/index.md): each cited function of the pinned references
    and the Ballast definitions that implement it, from the Source: lines."""
    from ballast.refindex import render_index

    typer.echo(render_index(), nl=False)


@app.command("report")
def report_command(
    run_dir: str = typer.Argument(..., help="A run folder (runs/<run_id>/)."),
    csv: bool = typer.Option(False, "--csv", help="Also write timeseries/agents/events/summary/providers CSV files."),
) -> None:
    """Rebuild a run folder's self-contained report.html (and CSV files with --csv)."""
    from pathlib import Path

    from ballast.report import build_report
    from ballast.store.run_folder import IncompleteRun

    folder = Path(run_dir)
    if not folder.is_dir():
        typer.echo(f"error: no run folder at {run_dir!r}", err=True)
        raise typer.Exit(code=2)
    try:
        path = build_report(folder, csv=csv)
    except IncompleteRun as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(f"report: {path}")


@app.command("replay")
def replay_command(
    events: str = typer.Argument(
        ..., help="A drift-sim experiment folder or its events.csv (event_name,timestamp,parameters)."
    ),
    oracle: str | None = typer.Option(None, "--oracle", help="Oracle CSV (blockchainTimestamp,oraclePrice)."),
    out: str = typer.Option("runs", "--out", help="Folder that receives the run folder."),
    base_liquidity: int = typer.Option(100_000, min=1, help="Each market's vAMM depth (base units of sqrt_k)."),
    price: str | None = typer.Option(
        None, "--price", help="Initial price (dollars) of markets the files give no price for."
    ),
) -> None:
    """Replay a drift-sim event file on the Drift engine into a run folder with its report."""
    from ballast.replay import ReplayError, replay, replay_outcome_lines

    try:
        folder = replay(events, oracle, out, base_liquidity=base_liquidity, initial_price=price)
    except (ReplayError, OSError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    for line in replay_outcome_lines(folder):
        typer.echo(line)
    typer.echo(f"run: {folder}")
    typer.echo(f"report: {folder / 'report.html'}")


# --- runs side by side --------------------------------------------------------------------------


def _shown(value, places: int = 2) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{places}f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


@app.command("runs")
def runs_command(
    folder: str = typer.Argument("runs", help="A folder of run folders."),
    json_output: bool = typer.Option(False, "--json", help="Print the list as JSON."),
) -> None:
    """List the complete run folders under FOLDER: id, scenario, date, seed, days, headline figures."""
    import json

    from ballast.store.run_index import HEADLINE_FIGURES, list_runs

    try:
        entries, skipped = list_runs(folder)
    except FileNotFoundError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    note = (f"{len(skipped)} folder{'s' if len(skipped) != 1 else ''} skipped: not complete runs"
            if skipped else "")
    if json_output:
        document = {"folder": folder, "runs": [entry.row() for entry in entries],
                    "skipped": [str(path) for path in skipped]}
        typer.echo(json.dumps(document, indent=2))
        if note:
            typer.echo(note, err=True)
        return
    table = Table(title=f"{len(entries)} run{'s' if len(entries) != 1 else ''} in {folder}")
    table.add_column("run", no_wrap=True)
    table.add_column("scenario")
    table.add_column("date (UTC)")
    for column in ("seed", "days", *HEADLINE_FIGURES, "warnings"):
        table.add_column(column, justify="right")
    for entry in entries:
        table.add_row(entry.short_id, entry.scenario, entry.date.replace("T", " ").removesuffix("Z"),
                      _shown(entry.seed), _shown(entry.duration_days, 1),
                      *(_shown(entry.figures[name]) for name in HEADLINE_FIGURES), _shown(entry.warnings))
    console = Console()
    console.print(table)
    if note:
        console.print(note)


@app.command("compare")
def compare_command(
    runs: Annotated[list[str], typer.Argument(help="Two or more run folders; differences are against the first.")],
    out: str = typer.Option("compare.html", "--out", help="The page to write."),
) -> None:
    """One self-contained page comparing runs: headline figures with differences, charts overlaid."""
    from ballast.report.compare import CompareError, build_compare

    try:
        path = build_compare(runs, out)
    except CompareError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    except OSError as error:
        typer.echo(f"error: cannot write {out!r}: {error.strerror or error}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(f"compare: {path}")


def _print_arrow(table, csv: bool) -> None:
    """A query's result: CSV on stdout, or a rich table."""
    if csv:
        import io

        import pyarrow.csv as pacsv

        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer)
        typer.echo(buffer.getvalue().decode(), nl=False)
        return
    out = Table(title=f"{table.num_rows} rows")
    for name in table.column_names:
        out.add_column(name, overflow="fold")
    for row in table.to_pylist():
        out.add_row(*("" if v is None else (f"{v:,.4g}" if isinstance(v, float) else str(v)) for v in row.values()))
    Console().print(out)


@app.command("query")
def query_command(
    folder: str = typer.Argument(..., help="A run folder, or a folder of run folders."),
    sql: str = typer.Argument(..., help="SQL over the views timeseries, agents, events (DuckDB); over a folder of "
                              "runs each view spans every complete run and has a run_id column."),
    csv: bool = typer.Option(False, "--csv", help="Print CSV instead of a table."),
) -> None:
    """Query run folders' Parquet tables with DuckDB SQL."""
    from ballast.store.run_index import RunQueryError, query_runs

    try:
        table = query_runs(folder, sql)
    except RunQueryError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    _print_arrow(table, csv)


@bench_app.command("report")
def bench_report_command(
    scenario: str = typer.Argument("examples/sol_bal_30d.toml", help="Scenario run once (untimed) into a "
                                   "temporary folder whose report is timed."),
    run_dir: str | None = typer.Option(None, "--run-dir", help="Time this existing run folder's report instead "
                                       "(report.html is rewritten)."),
    runs: int = typer.Option(3, min=1, help="Report builds; best and median are reported."),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """Building report.html (ballast report: read the run folder, render, write), wall and CPU seconds."""
    from ballast.bench import machine_info
    from ballast.bench_report import bench_report, bench_report_of_scenario
    from ballast.sim import ScenarioError
    from ballast.store.run_folder import IncompleteRun

    try:
        result = bench_report(run_dir, runs) if run_dir else bench_report_of_scenario(scenario, runs)
    except (IncompleteRun, FileNotFoundError, ScenarioError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    row = result.row()
    if json_output:
        _print_bench_json("bench report", {"scenario": None if run_dir else scenario, "run_dir": run_dir,
                                           "runs": runs}, [row])
        return
    table = Table(title=f"bench report: {run_dir or scenario} (run {result.run_id}), {runs} builds")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for figure in (
        ("best wall s", f"{row['best_wall_seconds']:,.3f}"),
        ("median wall s", f"{row['median_wall_seconds']:,.3f}"),
        ("best cpu s", f"{row['best_cpu_seconds']:,.3f}"),
        ("median cpu s", f"{row['median_cpu_seconds']:,.3f}"),
        ("report.html MiB", f"{row['report_mib']:,.2f}"),
        ("timeseries / agents / events rows",
         f"{row['timeseries_rows']:,} / {row['agents_rows']:,} / {row['events_rows']:,}"),
    ):
        table.add_row(*figure)
    console = Console()
    console.print(table)
    console.print(f"machine: {machine_info().describe()}")


# --- sweeps -------------------------------------------------------------------------------------


@sweep_app.command("run")
def sweep_run_command(
    sweep: str = typer.Argument(..., help="A sweep TOML file (see examples/sweeps/)."),
    out: str | None = typer.Option(None, "--out", help="The sweep folder (default: sweeps/<name>/)."),
    executor: str = typer.Option("local", "--executor", help="local (a process pool) or dask."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="A Dask scheduler address (with --executor dask); "
                                         "without it a LocalCluster on 127.0.0.1 runs the points."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Worker processes (default: every core)."),
) -> None:
    """Run every point of a sweep (resumable: finished points are skipped), then its report."""
    from rich.progress import Progress

    from ballast.report import REPORT_FILE, build_report
    from ballast.report.sweep import build_sweep_report
    from ballast.store.run_folder import write_run
    from ballast.store.sweep_folder import SweepFolderError
    from ballast.sweep import SweepError, load_sweep, run_sweep

    if executor not in ("local", "dask"):
        raise typer.BadParameter(f"{executor!r}: use local or dask", param_hint="--executor")
    if scheduler is not None and executor != "dask":
        raise typer.BadParameter("--scheduler needs --executor dask", param_hint="--scheduler")
    try:
        spec = load_sweep(sweep)
        points = spec.points()
    except SweepError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    folder = Path(out) if out is not None else Path("sweeps") / spec.name

    def full_run(result, point, directory: Path) -> None:
        write_run(result, directory, data_digest=point.data_digest, finish=build_report)

    interactive = Console().is_terminal
    with Progress(transient=True, disable=not interactive) as progress:
        task = progress.add_task(f"sweep {spec.name}", total=len(points))
        try:
            done = run_sweep(spec, folder, points, executor=executor, scheduler=scheduler, workers=workers,  # type: ignore[arg-type]
                             finish_full=full_run, on_result=lambda _r: progress.advance(task))
        except (SweepError, SweepFolderError) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(code=2) from None
    report = build_sweep_report(folder)
    console = Console()
    console.print(f"sweep {spec.name}: {done.points} points, {done.skipped} already finished, {done.ran} run now, "
                  f"{done.failed} failed")
    for run_id in done.kept:
        console.print(f"full run: {folder / 'full' / run_id / REPORT_FILE}")
    console.print(f"folder: {folder}")
    console.print(f"report: {report}")


@sweep_app.command("query")
def sweep_query_command(
    folder: str = typer.Argument(..., help="A sweep folder."),
    sql: str = typer.Argument(..., help="SQL over the views `points` and `series` (DuckDB)."),
    csv: bool = typer.Option(False, "--csv", help="Print CSV instead of a table."),
) -> None:
    """Query a sweep's results with DuckDB SQL."""
    from ballast.store.sweep_folder import SweepFolder, SweepFolderError

    try:
        table = SweepFolder(folder).query(sql)
    except SweepFolderError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    _print_arrow(table, csv)


@sweep_app.command("report")
def sweep_report_command(folder: str = typer.Argument(..., help="A sweep folder.")) -> None:
    """Rebuild a sweep folder's report.html."""
    from ballast.report.sweep import build_sweep_report
    from ballast.store.sweep_folder import SweepFolderError

    try:
        typer.echo(f"report: {build_sweep_report(folder)}")
    except SweepFolderError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None


# --- the exchange service -----------------------------------------------------------------------


def _service_config(config: str | None, **overrides: object):
    from ballast.service.config import ConfigError, load_config

    try:
        return load_config(Path(config) if config else None, **overrides)
    except ConfigError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None


@app.command("serve")
def serve_command(
    config: str | None = typer.Argument(None, help="A service TOML (ballast/service/config.py lists the keys)."),
    host: str | None = typer.Option(None, "--host", help="Loopback address to bind (default 127.0.0.1)."),
    port: int | None = typer.Option(None, "--port", min=0, max=65535, help="Port (default 8000)."),
    data_dir: str | None = typer.Option(None, "--data-dir", help="Folder of the SQLite database (default ./ballast-data)."),
    db: str | None = typer.Option(None, "--db", help="Database URL, e.g. postgresql+psycopg://user@/db?host=/tmp/pg."),
    scenario: str | None = typer.Option(None, "--scenario", help="The world: a scenario TOML (default: the built-in world)."),
    check: bool = typer.Option(False, "--check", help="Verify the journal and snapshots, print the digest, exit."),
) -> None:
    """Run the live exchange service (pages at /, HTTP API under /api/v1), or check its journal."""
    from ballast.service.core import StartupError

    settings = _service_config(config, host=host, port=port, data_dir=data_dir, db=db, scenario=scenario)
    try:
        if check:
            from ballast.service.app import check as check_journal

            report = check_journal(settings)
            typer.echo(f"journal: {report.entries} entries, {report.snapshots} snapshots; digest {report.digest}")
            for problem in report.problems:
                typer.echo(f"problem: {problem}", err=True)
            raise typer.Exit(code=0 if report.ok else 1)
        from ballast.service.app import serve
        from ballast.web import mount_web

        serve(settings, extend=mount_web)
    except StartupError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None


@app.command("export")
def export_command(
    config: str | None = typer.Argument(None, help="The service TOML (or the defaults)."),
    out: str = typer.Option("journal.parquet", "--out", help="Parquet file to write."),
    data_dir: str | None = typer.Option(None, "--data-dir", help="Folder of the SQLite database."),
    db: str | None = typer.Option(None, "--db", help="Database URL."),
) -> None:
    """Write the service's instruction journal to a Parquet file."""
    from ballast.service.app import export_journal

    settings = _service_config(config, data_dir=data_dir, db=db)
    count = export_journal(settings, Path(out))
    typer.echo(f"journal: {count} entries -> {out}")


@bench_app.command("serve")
def bench_serve_command(
    clients: str = typer.Option("1,4", help="Comma-separated numbers of concurrent HTTP clients."),
    requests: int = typer.Option(200, min=1, help="Instructions each client sends per workload."),
    max_seconds: float = typer.Option(60.0, min=1, help="Stop a workload after this many seconds."),
    workload: str = typer.Option("fills,bal", help="Comma-separated workloads: fills, bal."),
    json_output: bool = typer.Option(False, "--json", help=_JSON_HELP),
) -> None:
    """The exchange service over loopback HTTP: instructions/s and p50/p99 latency."""
    from ballast.bench import machine_info
    from ballast.bench_serve import bench_serve

    kinds = tuple(w.strip() for w in workload.split(",") if w.strip())
    unknown = sorted(set(kinds) - {"fills", "bal"})
    if unknown or not kinds:
        raise typer.BadParameter(f"unknown workload(s) {unknown}; use fills, bal", param_hint="--workload")
    results = [r for n in _parse_counts(clients) for r in bench_serve(n, requests, kinds, max_seconds)]
    if json_output:
        _print_bench_json("bench serve", {"requests": requests, "max_seconds": max_seconds}, [r.row() for r in results])
        return
    table = Table(title=f"bench serve: {requests} instructions per client per workload")
    for column in ("workload", "clients", "acknowledged", "refused", "failed", "instr/s", "p50 ms", "p99 ms"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(r.workload, str(r.clients), str(r.acknowledged), str(r.refused), str(r.failed),
                      f"{r.per_second:,.0f}", f"{r.p50_ms:,.1f}", f"{r.p99_ms:,.1f}")
    console = Console()
    console.print(table)
    console.print(f"machine: {machine_info().describe()}")
