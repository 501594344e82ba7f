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
//! Start at [`ops::Gamelake`]: it opens a warehouse from [`config::Settings`] and offers the
//! whole operations (ingest, etl, run, check, rollback, maintain, sql, tables, status, report), each taking the warehouse
//! lease itself when it writes and reporting progress to a [`progress::Progress`] observer.
//!
//! ```no_run
//! use gamelake::config::{Overrides, Settings};
//! use gamelake::etl::EtlOptions;
//! use gamelake::ingest::IngestOptions;
//! use gamelake::progress::NoProgress;
//! use gamelake::Gamelake;
//!
//! # async fn example() -> gamelake::Result<()> {
//! // Flags > environment > gamelake.toml > defaults, as the binary resolves them.
//! let settings = Settings::resolve(Overrides::default().read_env())?;
//! let lake = Gamelake::open(&settings).await?;
//! let pages = IngestOptions::new("../shared/data/rawg/games-released-2015");
//! let report = lake.run(&pages, &EtlOptions::default(), &mut NoProgress).await?;
//! println!("{} games kept", report.ingest.games_kept);
//! let rows = lake.sql("SELECT count(*) FROM rawg.fact_games").await?;
//! # let _ = rows;
//! # Ok(())
//! # }
//! ```
//!
//! Modules, in layers from the bottom up (a module imports only from layers below it):
//!
//! 1. definitions, pure: [`error`], [`secret`], [`ident`], [`raw`] (the raw landing's
//!    layout, and records of which of its files something covers), [`digest`], [`dims`]
//!    (the member dimensions), [`schema`] (the tables, from `schemas/`), [`progress`],
//!    `keyset`, `failpoint`, `task` (spawned tasks stopped with their step);
//! 2. storage and catalogs: [`storage`] (the warehouse root in object storage),
//!    [`catalog`] (embedded SQLite or an Iceberg REST catalog);
//! 3. the pipeline: [`ingest`], [`lakehouse`] (Iceberg tables), `etl`, `query`, [`lease`],
//!    [`checks`] (data checks from `schemas/`), [`runs`] (the `gamelake_runs` table),
//!    [`report`] (the market report page);
//! 4. operations: [`config`] (settings resolution) and [`ops`].

#![deny(missing_docs)]

pub mod catalog;
pub mod checks;
pub mod config;
pub mod digest;
pub mod dims;
pub mod error;
pub mod etl;
pub(crate) mod failpoint;
pub mod ident;
pub mod ingest;
pub(crate) mod kept;
pub(crate) mod keyset;
pub mod lakehouse;
pub mod lease;
pub mod ops;
pub mod progress;
pub mod query;
pub mod raw;
pub mod report;
pub mod runs;
pub mod schema;
pub mod secret;
pub mod storage;
pub(crate) mod task;

pub use error::{Error, ErrorKind, Result};
pub use ops::Gamelake;

/// A run id: UTC start time to the microsecond plus a random suffix, so ids sort by start.
pub fn new_run_id() -> String {
    format!(
        "{}-{:04x}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
        fastrand::u16(..)
    )
}

/// When the run `run_id` started (UTC), read back from the id; `None` for anything else.
pub fn run_id_time(run_id: &str) -> Option<chrono::NaiveDateTime> {
    let (time, _suffix) = run_id.split_once("Z-")?;
    chrono::NaiveDateTime::parse_from_str(time, "%Y%m%dT%H%M%S%.f").ok()
}
