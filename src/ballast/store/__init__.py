"""What a run leaves on disk: one folder per run, named by its id.

`write_run(result, out_dir)` writes `out_dir/<run_id>/` with scenario.resolved.toml,
manifest.json, timeseries.parquet, agents.parquet, events.parquet, summary.json (and the report);
`load_run(run_dir)` reads it back for the report.
"""

from ballast.store.run_folder import (
    REFERENCE_COMMITS,
    RunData,
    data_digest_of_files,
    data_digest_of_table,
    events_table,
    load_run,
    run_id,
    write_run,
)

__all__ = [
    "REFERENCE_COMMITS",
    "RunData",
    "data_digest_of_files",
    "data_digest_of_table",
    "events_table",
    "load_run",
    "run_id",
    "write_run",
]
