"""The `ballast` command: version, demo, and a tiny benchmark run."""

from typer.testing import CliRunner

from ballast import __version__
from ballast.cli import app

runner = CliRunner()


def test_version_prints_the_package_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"ballast {__version__}"


def test_demo_runs_and_ends_balanced():
    result = runner.invoke(app, ["demo"])
    assert result.exit_code == 0, result.stdout
    assert "balanced=True" in result.stdout


def test_bench_fills_reports_a_row_per_user_count():
    result = runner.invoke(app, ["bench", "fills", "--users", "2,3", "--fills", "50", "--runs", "1"])
    assert result.exit_code == 0, result.stdout
    first_cells = [line.split("│")[1].strip() for line in result.stdout.splitlines() if line.count("│") >= 4]
    assert first_cells == ["2", "3"]


def test_bench_rejects_malformed_user_counts():
    result = runner.invoke(app, ["bench", "fills", "--users", "ten"])
    assert result.exit_code != 0
    assert "ten" in result.output
