//! ETL: raw parquet to the star schema in Iceberg, in four steps:
//!
//! 1. `plan`: which raw files to read. The first run (and `--full-refresh`) reads every
//!    one; later runs read only those no run has processed (incremental), and a run with
//!    nothing new stops here.
//! 2. `read`: the latest version of each game as one flat frame, and the newest mention of
//!    every dimension member (`members`); then what the warehouse already holds
//!    (`stored`: keys, dimension rows).
//! 3. `star`: the tables, built in Polars with stable keys (`keys`), as a `star::Star`
//!    of named parts (dimensions, bridges, fact).
//! 4. `commit`: dimensions, bridges, then `fact_games` with the list of raw files covered;
//!    whole tables in a full build, the changed games' rows merge-on-read
//!    ([`crate::lakehouse::deletes`]) in an incremental one.
//!
//! Must never: move a surrogate key, write a table whose contents did not change (no new
//! snapshot on a rerun with nothing new), or leave a required column null. It takes no lease:
//! [`crate::ops`] does, around it.

pub(crate) mod commit;
pub(crate) mod interop;
pub(crate) mod keys;
pub(crate) mod members;
pub(crate) mod plan;
pub(crate) mod read;
pub(crate) mod star;
pub(crate) mod stored;

use crate::Result;
use crate::keyset::KeySet;
use crate::lakehouse::Lakehouse;
use crate::progress::Progress;
use crate::storage::Warehouse;

pub use crate::lakehouse::deletes::ROWS_REMOVED_PROPERTY;

/// Table property: the raw files the table's contents were built from (on `fact_games`).
pub const RAW_FILES_PROPERTY: &str = "gamelake.raw-files";
/// Table property: fingerprint of the table's contents, to skip unchanged tables.
pub const FINGERPRINT_PROPERTY: &str = "gamelake.fingerprint";
/// Snapshot summary key (full writes) and table property (every write): the ETL run that
/// wrote the table last.
pub const RUN_ID_SUMMARY: &str = "gamelake.run-id";
/// Table properties set in the same commit as each write: rows the last run added and
/// removed. They stand in for snapshot-summary fields because iceberg-rust 0.10's append
/// (which merge-on-read commits through) takes no caller summary.
pub const ROWS_ADDED_PROPERTY: &str = "gamelake.last-run.rows-added";

/// How an ETL run works.
#[derive(Debug, Clone, Default)]
pub struct EtlOptions {
    /// Rebuild and rewrite every table from all raw data (keys are kept).
    pub full_refresh: bool,
}

/// What happened to one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableOutcome {
    /// The table's name, without namespace.
    pub name: String,
    /// Rows written: the whole table, or in an incremental run the changed games' rows.
    pub rows: usize,
    /// False when the contents were unchanged and nothing was written.
    pub written: bool,
    /// Rows replaced through position deletes (incremental runs).
    pub rows_removed: u64,
}

/// What an ETL run did.
#[derive(Debug, Clone, Default)]
pub struct EtlReport {
    /// This run's id (also in the tables' `gamelake.run-id`).
    pub run_id: String,
    /// Raw files the warehouse holds.
    pub raw_files: usize,
    /// Raw files this run read (all of them in a full build, the new ones otherwise).
    pub new_raw_files: usize,
    /// Games processed: all games in a full build, the new or changed ones otherwise.
    pub games: usize,
    /// True when only new raw files were processed, merge-on-read.
    pub incremental: bool,
    /// True when every raw file had been processed already and nothing was done.
    pub nothing_new: bool,
    /// Per table, in commit order.
    pub tables: Vec<TableOutcome>,
}

/// Runs the ETL over the warehouse's raw landing (the caller holds the lease).
pub(crate) async fn run(
    wh: &Warehouse,
    lake: &Lakehouse,
    opts: &EtlOptions,
    progress: &mut dyn Progress,
) -> Result<EtlReport> {
    let run_id = crate::new_run_id();
    let plan = plan::Plan::make(wh, lake, opts.full_refresh).await?;
    let mut report = EtlReport {
        run_id: run_id.clone(),
        raw_files: plan.files.len(),
        new_raw_files: plan.to_read.len(),
        incremental: plan.incremental,
        nothing_new: plan.nothing_new,
        ..Default::default()
    };
    if plan.nothing_new {
        tracing::info!("every raw file was processed already: nothing to do");
        return Ok(report);
    }

    tracing::info!(
        files = plan.to_read.len(),
        incremental = plan.incremental,
        "reading raw"
    );
    let games = read::read_games(wh, &plan.to_read).await?;
    report.games = games.latest.height();
    tracing::info!(games = report.games, "reading existing keys");
    let rebuilt = if plan.incremental {
        let ids = games.latest.column("id")?.as_materialized_series().i64()?;
        Some(KeySet::new(ids.iter().flatten()))
    } else {
        None
    };
    let existing = stored::load(lake, rebuilt.as_ref()).await?;

    tracing::info!("building the star schema");
    let star = tokio::task::spawn_blocking(move || star::build(games, &existing)).await??;

    progress.begin("tables", Some(star.len() as u64));
    let commit = commit::Commit {
        lake,
        run_id: &run_id,
        files_json: plan.files_json()?,
        full_refresh: opts.full_refresh,
    };
    report.tables = if plan.incremental {
        commit.incremental(star, progress).await?
    } else {
        commit.whole(star, progress).await?
    };
    progress.finish();
    Ok(report)
}
