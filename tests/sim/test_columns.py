"""ColumnChunks: a table appended row by row, held as Arrow chunks, equals the table of all its
rows at once, whatever the chunk size; a backtest's market table is the same with tiny chunks."""

from pathlib import Path

import pyarrow as pa
import pytest

from ballast.sim import Backtest, load_scenario
from ballast.sim.columns import ColumnChunks

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _fill(chunks: ColumnChunks, rows: int) -> None:
    for i in range(rows):
        chunks.columns["step"].append(i)
        chunks.columns["venue"].append("drift" if i % 2 else "curie")
        chunks.columns["price_usd"].append(i / 3)
        chunks.flush_if_full()


@pytest.mark.parametrize("chunk_rows", [1, 3, 10, 1_000])
def test_chunks_equal_the_table_of_all_rows(chunk_rows):
    chunks = ColumnChunks(("step", "venue", "price_usd"), chunk_rows=chunk_rows)
    _fill(chunks, 10)
    expected = pa.table({"step": list(range(10)), "venue": ["curie", "drift"] * 5,
                         "price_usd": [i / 3 for i in range(10)]})
    table = chunks.table()
    assert table.equals(expected)
    assert len(chunks.columns["step"]) == 0  # nothing left as Python objects
    if chunk_rows < 10:
        assert table.column("step").num_chunks > 1


def test_an_empty_table_keeps_its_columns():
    assert ColumnChunks(("a", "b")).table().column_names == ["a", "b"]
    with pytest.raises(ValueError, match="chunk_rows"):
        ColumnChunks(("a",), chunk_rows=0)


def test_a_backtest_records_the_same_market_table_in_small_chunks(monkeypatch):
    scenario = load_scenario(EXAMPLES / "crash.toml").model_copy(update={"duration_days": 1})
    whole = Backtest(scenario, progress=False).run()
    monkeypatch.setattr(ColumnChunks.__init__, "__defaults__", (97,))
    chunked = Backtest(scenario, progress=False).run()
    assert chunked.timeseries.column("step").num_chunks > 1
    assert chunked.timeseries.equals(whole.timeseries)
    assert chunked.summary == whole.summary
