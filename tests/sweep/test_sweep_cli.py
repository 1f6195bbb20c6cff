"""`ballast sweep`: a sweep file runs as `ballast sweep FILE`, its folder is queried with SQL,
and bad input ends in one message, never a traceback."""

from typer.testing import CliRunner

from ballast.cli import app
from ballast.sweep import load_sweep, run_sweep

runner = CliRunner()


def test_query_prints_the_rows_of_the_sql(sweep_file, tmp_path):
    # Arrange
    run_sweep(load_sweep(sweep_file('name = "s"\nseeds = 2\n')), tmp_path / "out", workers=1)

    # Act
    result = runner.invoke(app, ["sweep", "query", str(tmp_path / "out"),
                                 "SELECT count(*) AS points, min(status) AS status FROM points", "--csv"])

    # Assert
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ['"points","status"', '2,"ok"']


def test_bad_sql_is_one_message(sweep_file, tmp_path):
    run_sweep(load_sweep(sweep_file('name = "s"\n')), tmp_path / "out", workers=1)
    result = runner.invoke(app, ["sweep", "query", str(tmp_path / "out"), "SELECT nope FROM points"])
    assert result.exit_code == 2
    assert "query failed" in result.output and "nope" in result.output and "Traceback" not in result.output


def test_a_folder_that_is_no_sweep_is_named(tmp_path):
    result = runner.invoke(app, ["sweep", "query", str(tmp_path), "SELECT 1"])
    assert result.exit_code == 2
    assert "is not a sweep folder" in result.output


def test_a_bad_sweep_file_is_one_message_naming_the_key(sweep_file):
    path = sweep_file('name = "s"\n[[axes]]\nkey = "agents.nobody.collateral_usd"\nvalues = [1]\n')
    result = runner.invoke(app, ["sweep", str(path)])
    assert result.exit_code == 2
    assert "no item 'nobody' in agents" in result.output and "Traceback" not in result.output


def test_scheduler_without_dask_is_refused(sweep_file):
    result = runner.invoke(app, ["sweep", str(sweep_file('name = "s"\n')), "--scheduler", "tcp://127.0.0.1:8786"])
    assert result.exit_code != 0
    assert "--scheduler needs --executor dask" in result.output
