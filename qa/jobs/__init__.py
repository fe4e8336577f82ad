"""Background ingest jobs: kept on disk (``jobs.sqlite3`` and each job's pending inputs) and
run one at a time by a worker thread of low CPU priority."""
