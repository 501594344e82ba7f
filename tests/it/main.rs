//! Integration tests: one binary (the dependency tree links once), a module per concern.
//! They use the recorded RAWG data in `../shared/data/rawg` and real components: the real
//! HTTP client against a replay server on 127.0.0.1, the embedded catalog on disk, and
//! pyiceberg (from `.venv`, see `scripts/setup-python.sh`) as an independent reader.

mod backfill;
mod bad_input;
mod catalog;
mod checks;
mod cli;
mod clickhouse;
mod concurrent;
mod crash;
mod daily;
mod engines;
mod evolve;
mod faults;
mod fuzz;
mod http_ingest;
mod incremental;
mod maintain;
mod merge_on_read;
mod nessie;
mod ops;
mod peers;
mod pipeline;
mod production;
mod publish;
mod pyiceberg;
mod report;
mod secrets;
mod support;
mod sync;
mod upstream;
