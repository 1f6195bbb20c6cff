"""The `ballast` command."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ballast import __version__
from ballast.engine import engine_status

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Ballast: exact perp-liquidity engines.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks (speed is measured here, not in tests).")
app.add_typer(bench_app, name="bench")
docs_app = typer.Typer(no_args_is_help=True, help="Generated documentation.")
app.add_typer(docs_app, name="docs")


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
    runs: int = typer.Option(3, min=1, help="Runs per row; the best is reported."),
) -> None:
    """Market orders filled against the AMM with funding and margin on (and BAL providers)."""
    from ballast.bench import bench_fills, machine_info

    if users is None:
        user_counts = [10] if lps is not None else [10, 100, 1000, 10000]
    else:
        user_counts = _parse_counts(users)
    lp_counts = [0] if lps is None else _parse_counts(lps)
    console = Console()
    table = Table(title=f"bench fills: {fills} fills, best of {runs} runs")
    for column in ("users", "BAL providers", "fills/s", "us/fill", "funding updates"):
        table.add_column(column, justify="right")
    for user_count in user_counts:
        for lp_count in lp_counts:
            best = min(
                (bench_fills(user_count, fills, lps=lp_count) for _ in range(runs)),
                key=lambda r: r.seconds,
            )
            table.add_row(
                str(user_count),
                str(lp_count),
                f"{best.fills_per_second:,.0f}",
                f"{best.microseconds_per_fill:,.1f}",
                str(best.funding_updates),
            )
    console.print(table)
    console.print(f"machine: {machine_info()}")


@bench_app.command("backtest")
def bench_backtest_command(
    scenario: str = typer.Argument("examples/sol_bal_30d.toml", help="Scenario to time."),
    runs: int = typer.Option(1, min=1, help="Runs; the best is reported."),
) -> None:
    """Engine events per second of a whole backtest (simulation only, no report)."""
    from ballast.bench import bench_backtest, machine_info

    best = min((bench_backtest(scenario) for _ in range(runs)), key=lambda r: r.seconds)
    console = Console()
    table = Table(title=f"bench backtest: {scenario}, best of {runs} runs")
    for column in ("steps", "engine events", "seconds", "events/s", "steps/s", "peak RSS (MiB)"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{best.steps:,}",
        f"{best.engine_events:,}",
        f"{best.seconds:,.1f}",
        f"{best.events_per_second:,.0f}",
        f"{best.steps_per_second:,.0f}",
        f"{best.peak_rss_mib:,.0f}",
    )
    console.print(table)
    console.print(f"machine: {machine_info()}")


@bench_app.command("curie")
def bench_curie_command(
    swaps: int = typer.Option(20_000, min=1, help="Pool swaps per run."),
    positions: int = typer.Option(2_000, min=1, help="ClearingHouse.open_position calls per run."),
    runs: int = typer.Option(3, min=1, help="Runs per row; the best is reported."),
) -> None:
    """Curie swaps per second crossing 0, 1 and 10 initialized ticks: the virtual Uniswap v3
    pool alone, then ClearingHouse.open_position (funding, replay, margin, rewards)."""
    from ballast.bench import machine_info
    from ballast.bench_curie import CROSSINGS, bench_curie

    console = Console()
    table = Table(title=f"bench curie: best of {runs} runs, alternating direction")
    for column in ("layer", "ticks crossed", "swaps", "swaps/s", "us/swap"):
        table.add_column(column, justify="right")
    for layer, count in (("pool", swaps), ("clearing_house", positions)):
        for ticks_crossed in CROSSINGS:
            best = min((bench_curie(layer, ticks_crossed, count) for _ in range(runs)), key=lambda r: r.seconds)
            table.add_row(
                layer,
                str(ticks_crossed),
                str(count),
                f"{best.swaps_per_second:,.0f}",
                f"{best.microseconds_per_swap:,.1f}",
            )
    console.print(table)
    console.print(f"machine: {machine_info()}")


@app.command("backtest")
def backtest_command(
    scenario: str = typer.Argument(..., help="A scenario TOML file (see examples/)."),
    out: str = typer.Option("runs", "--out", help="Folder that receives runs/<run_id>/."),
    seed: int | None = typer.Option(None, "--seed", min=0, help="Override the scenario's seed (>= 0, as in TOML)."),
    check: bool = typer.Option(False, "--check", help="Run the engine's audit() every step."),
) -> None:
    """Run a backtest: simulate the scenario, write its run folder and report, print a summary."""
    from ballast.curie.errors import CurieError
    from ballast.drift.errors import DriftError
    from ballast.fixed import MathError
    from ballast.sim import AuditFailure, Backtest, ScenarioError, load_scenario
    from ballast.sim.budget import estimate_run

    try:
        Path(out).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        typer.echo(f"error: cannot write run folders under {out!r}: {error.strerror or error}", err=True)
        raise typer.Exit(code=2) from None
    try:
        loaded = load_scenario(scenario)
        for warning in estimate_run(loaded).warnings():
            typer.echo(f"warning: {warning}", err=True)
        result = Backtest(loaded, seed=seed, check=check).run()
    except (ScenarioError, AuditFailure, FileNotFoundError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    except (DriftError, CurieError, MathError) as error:
        typer.echo(f"error: the engine refused the scenario's set-up: {type(error).__name__}: {error}", err=True)
        raise typer.Exit(code=2) from None
    try:
        report_path = result.report(out)
    except OSError as error:
        typer.echo(f"error: cannot write the run folder under {out!r}: {error.strerror or error}", err=True)
        raise typer.Exit(code=2) from None
    console = Console()
    console.print(_summary_table(f"backtest {scenario}", result.summary))
    _print_bad_debt(console, result.summary)
    for warning in result.summary["warnings"]:
        console.print(f"[yellow]warning[/yellow] {warning['venue']} {warning['market']} {warning['kind']}: {warning['detail']}")
    console.print(f"run: {report_path.parent}")
    console.print(f"report: {report_path}")


def _summary_table(title: str, summary: dict) -> Table:
    """The run's numeric statistics, one column per venue (the run-wide ones first)."""
    venues = summary.get("venues") or {}

    def numeric(stats: dict) -> dict:
        return {k: v for k, v in stats.items() if isinstance(v, int | float) and not isinstance(v, bool)}

    def shown(value) -> str:
        if value is None:
            return "n/a"
        return f"{value:,.4f}" if isinstance(value, float) else f"{value:,}"

    run_wide = {k: v for k, v in numeric(summary).items() if not any(k in stats for stats in venues.values())}
    caption = ", ".join(f"{name} {shown(value)}" for name, value in run_wide.items())
    table = Table(title=title, caption=caption)
    table.add_column("statistic")
    for column in list(venues) or ["value"]:
        table.add_column(column, justify="right")
    names = [name for stats in venues.values() for name in stats if name not in run_wide]
    for name in dict.fromkeys(names):
        values = [stats.get(name) for stats in venues.values()]
        if all(v is None or (isinstance(v, int | float) and not isinstance(v, bool)) for v in values):
            table.add_row(name, *(shown(v) for v in values))
    return table


def _print_bad_debt(console: Console, summary: dict) -> None:
    """Each Drift venue's bad debt and where it went (ballast.sim.waterfall), when there was any."""
    for venue, stats in summary["venues"].items():
        ledger = stats.get("bad_debt")
        if not ledger or not (ledger["bad_debt_usd"] or ledger["pnl_deficit_insurance_usd"]):
            continue
        table = Table(title=f"bad debt on {venue} (USD)")
        for column in ("bad debt", "insurance fund", "fee pool", "socialised", "pnl deficit (IF)"):
            table.add_column(column, justify="right")
        table.add_row(*(f"{ledger[k]:,.2f}" for k in (
            "bad_debt_usd", "insurance_fund_usd", "fee_pool_usd", "socialised_usd", "pnl_deficit_insurance_usd")))
        console.print(table)


@docs_app.command("scenario")
def docs_scenario_command() -> None:
    """Print the scenario reference (docs/scenario.md): every key, type, default and bound."""
    from ballast.sim.scenario_reference import render

    typer.echo(render(), nl=False)


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
        raise typer.BadParameter(f"no run folder at {run_dir!r}", param_hint="RUN_DIR")
    try:
        path = build_report(folder, csv=csv)
    except IncompleteRun as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(f"report: {path}")


@app.command("replay")
def replay_command(
    events: str = typer.Argument(..., help="A drift-sim events.csv (event_name,timestamp,parameters)."),
    oracle: str | None = typer.Option(None, "--oracle", help="Oracle CSV (blockchainTimestamp,oraclePrice)."),
    out: str = typer.Option("runs", "--out", help="Folder that receives the run folder."),
    base_liquidity: int = typer.Option(100_000, min=1, help="Each market's vAMM depth (base units of sqrt_k)."),
    price: str | None = typer.Option(
        None, "--price", help="Initial price (dollars) of markets the files give no price for."
    ),
) -> None:
    """Replay a drift-sim event file on the Drift engine into a run folder with its report."""
    from ballast.replay import ReplayError, replay

    try:
        folder = replay(events, oracle, out, base_liquidity=base_liquidity, initial_price=price)
    except (ReplayError, FileNotFoundError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    typer.echo(f"run: {folder}")
    typer.echo(f"report: {folder / 'report.html'}")
