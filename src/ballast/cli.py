"""The `ballast` command."""

from __future__ import annotations

import platform

import typer
from rich.console import Console
from rich.table import Table

from ballast import __version__

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Ballast: exact perp-liquidity engines.")
bench_app = typer.Typer(no_args_is_help=True, help="Benchmarks (speed is measured here, not in tests).")
app.add_typer(bench_app, name="bench")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ballast {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Ballast: exact, deterministic engines and backtests for perpetual-futures liquidity."""


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
    from ballast.bench import bench_fills

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
    console.print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
