//! gamelake: an embedded Iceberg lakehouse ETL for RAWG video-game market data.
//!
//! The crate is a library with a thin command-line binary on top. Data flows one way:
//!
//! ```text
//! ingest (HTTP or archived pages) ──► raw parquet in object storage ──► etl (Polars)
//!        change data capture                                          │
//!                                                                     ▼
//!                 query (DataFusion) ◄── Iceberg v2 tables in a catalog (lakehouse)
//! ```
//!
//! - [`ingest`]: fetch RAWG list pages, keep new or changed games, land them as raw parquet.
//! - [`storage`]: the warehouse root (a local folder by default) through `object_store`.
//! - [`schema`]: the star-schema table definitions read from `schemas/`, the single source of truth.
//! - [`catalog`]: the embedded SQLite Iceberg catalog (pyiceberg/JDBC layout).
//! - [`lakehouse`]: Iceberg table access: create, read, replace contents with conflict retry.
//! - [`etl`]: raw parquet to the star schema with stable surrogate keys.
//! - [`query`]: SQL over the tables with DataFusion.

pub mod catalog;
pub mod config;
pub mod error;
pub mod etl;
pub mod failpoint;
pub mod generate;
pub mod ingest;
pub mod keyset;
pub mod lakehouse;
pub mod lease;
pub mod progress;
pub mod query;
pub mod schema;
pub mod storage;

pub use error::{Error, Result};

/// A run id: UTC start time to the microsecond plus a random suffix, so ids sort by start.
pub fn new_run_id() -> String {
    format!(
        "{}-{:04x}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
        fastrand::u16(..)
    )
}
