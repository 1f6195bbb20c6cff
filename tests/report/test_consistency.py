"""No figure disagrees: for every example scenario (shortened to 2 days), every scalar figure of
summary.json appears with the same value, formatted the same way (metrics.format_value), in the
report's Summary, Provider outcomes, De-risk and liquidation and loss waterfall tables and in the
terminal's tables, venue by venue."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rich.console import Console

from ballast.cli import _print_bad_debt, _print_summary
from ballast.report import save_run
from ballast.report.metrics import (
    BAD_DEBT_FIGURES,
    PROVIDER_COLUMNS,
    PROVIDER_RISK_COLUMNS,
    RUN_FACTS,
    format_value,
    summary_providers,
)
from ballast.sim import Backtest, load_scenario

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
DAYS = 2  # short enough to stay fast; every window figure is then n/a, which is checked too


class _Tables(HTMLParser):
    """Every table of an HTML fragment as rows of cell texts (th and td alike)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _section_tables(page: str, title: str) -> list[list[list[str]]]:
    body = page.split(f"<h2>{html.escape(title)}</h2>", 1)[1].split("</section>", 1)[0]
    parser = _Tables()
    parser.feed(body)
    return parser.tables


def _terminal_tables(output: str) -> list[list[list[str]]]:
    """rich's box tables as rows of cell texts (header rows included)."""
    tables: list[list[list[str]]] = []
    inside = False
    for line in output.splitlines():
        if line.startswith("┏"):
            tables.append([])
            inside = True
        elif line.startswith(("└", "┗")):
            inside = False
        elif inside and line[:1] in ("│", "┃"):
            tables[-1].append([c.strip() for c in re.split("[│┃]", line)[1:-1]])
    return tables


def _by_label(rows: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in rows}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    made = {}
    for path in EXAMPLES:
        scenario = load_scenario(path).model_copy(update={"duration_days": DAYS})
        result = Backtest(scenario, progress=False).run()
        report = save_run(result, out)
        console = Console(record=True, width=400, color_system=None)
        _print_summary(console, f"backtest {path.name}", result.summary)
        _print_bad_debt(console, result.summary)
        made[path.stem] = (
            json.loads((report.parent / "summary.json").read_text()),
            report.read_text(encoding="utf-8"),
            console.export_text(),
            [v.name for v in scenario.venues],
        )
    return made


@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_summary_json_report_and_terminal_show_the_same_figures(runs, example):
    summary, page, terminal, venues = runs[example]

    # the report's Summary: run facts, then one column per venue in the scenario's order
    facts, figures = _section_tables(page, "Summary")
    facts, header, figures = _by_label(facts[1:]), figures[0], _by_label(figures[1:])
    assert header[1:-1] == venues
    # the terminal: the summary table (one column per venue, every venue) and its caption
    terminal_tables = _terminal_tables(terminal)
    summary_rows = terminal_tables[0]
    assert summary_rows[0][1:] == venues, "the terminal summarises every venue"
    terminal_figures = _by_label(summary_rows[1:])

    for name in RUN_FACTS:
        shown = format_value(name, summary[name])
        assert facts[name][0] == shown, name
        assert f"{name} {shown}" in terminal, name
    checked = 0
    for column, venue in enumerate(venues):
        stats = summary["venues"][venue]
        for name, value in stats.items():
            if isinstance(value, (dict, list)):
                continue  # tables (agents, bad debt, warnings) have sections of their own
            shown = format_value(name, value)
            assert figures[name][column] == shown, f"report {venue} {name}"
            if name == "state_digest":
                assert f"state_digest {venue}: {value}" in terminal
            else:
                assert terminal_figures[name][column] == shown, f"terminal {venue} {name}"
            checked += 1
    assert checked >= 10 * len(venues)
    # the top level repeats the first venue's figures
    for name, value in summary.items():
        if name not in RUN_FACTS and not isinstance(value, (dict, list)):
            assert value == summary["venues"][venues[0]][name], name

    # providers: the report's table and the terminal's read summary.json's figures
    providers = summary_providers(summary, venues)
    assert providers, "every example has liquidity providers"
    (report_rows,) = _section_tables(page, "Provider outcomes")
    assert report_rows[0] == ["venue", "provider", *PROVIDER_COLUMNS]
    report_providers = {(row[0], row[1]): row[2:] for row in report_rows[1:]}
    terminal_providers = terminal_tables[1]
    assert terminal_providers[0][1:] == [f"{v} {a}" for v, a, _ in providers]
    terminal_columns = _by_label(terminal_providers[1:])
    for index, (venue, agent, own) in enumerate(providers):
        for column, name in enumerate(PROVIDER_COLUMNS):
            shown = format_value(name, own.get(name))
            assert report_providers[(venue, agent)][column] == shown, f"report {venue} {agent} {name}"
            assert terminal_columns[name][index] == shown, f"terminal {venue} {agent} {name}"


@pytest.mark.parametrize("example", [p.stem for p in EXAMPLES])
def test_de_risk_liquidation_and_waterfall_figures_agree(runs, example):
    summary, page, terminal, venues = runs[example]
    terminal_tables = _terminal_tables(terminal)

    # per provider: the report's De-risk and liquidation table and the terminal's third table
    providers = summary_providers(summary, venues)
    report_rows = _section_tables(page, "De-risk and liquidation")[0]
    assert report_rows[0] == ["venue", "provider", *PROVIDER_RISK_COLUMNS]
    report_providers = {(row[0], row[1]): row[2:] for row in report_rows[1:]}
    terminal_risk = terminal_tables[2]
    assert terminal_risk[0][1:] == [f"{v} {a}" for v, a, _ in providers]
    terminal_columns = _by_label(terminal_risk[1:])
    for index, (venue, agent, own) in enumerate(providers):
        for column, name in enumerate(PROVIDER_RISK_COLUMNS):
            shown = format_value(name, own.get(name))
            assert report_providers[(venue, agent)][column] == shown, f"report {venue} {agent} {name}"
            assert terminal_columns[name][index] == shown, f"terminal {venue} {agent} {name}"

    # the loss waterfall of every Drift venue; the terminal prints it when there was bad debt
    ledgers = {v: summary["venues"][v]["bad_debt"] for v in venues if "bad_debt" in summary["venues"][v]}
    if not ledgers:
        assert "No Drift venue in this run." in page
        return
    waterfall = _section_tables(page, "Bad debt and the loss waterfall")[0]
    assert waterfall[0][1:-1] == [f"{v} (USD / count)" for v in ledgers]
    report_figures = _by_label(waterfall[1:])
    printed = [t for t in terminal_tables if len(t) > 1 and t[1][0] == "bad_debt_usd"]
    assert bool(printed) == any(ledger["bad_debt_usd"] or ledger["pnl_deficit_insurance_usd"]
                                for ledger in ledgers.values())
    for column, ledger in enumerate(ledgers.values()):
        for name in BAD_DEBT_FIGURES:
            shown = format_value(name, ledger[name])
            assert report_figures[name][column] == shown, f"report {name}"
            if printed:
                assert _by_label(printed[0][1:])[name][column] == shown, f"terminal {name}"


def test_short_runs_show_window_figures_as_not_available(runs):
    summary, page, _terminal, _venues = runs["sol_bal_30d"]
    for name in ("bal_return_7d_pct", "bal_return_30d_pct", "bal_apr_30d_pct", "lp_apr_pct"):
        assert summary[name] is None
    assert re.search(r'<td title="[^"]*30 days[^"]*">bal_return_30d_pct</td><td class="n">n/a</td>', page)
