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
//!    Details (developers, publishers, the texts of `dim_game`) are read and built beside
//!    the list results, from their own landing and processed-files list.
//! 4. `commit`: dimensions, bridges, `dim_game`, then `fact_games`, each landing's list of
//!    raw files covered committed with the last table it feeds;
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

/// Table property: the raw files the table's contents were built from (on `fact_games` the
/// list landing's, on `dim_game` the detail landing's).
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
        raw_files: plan.games.all.len() + plan.details.all.len(),
        new_raw_files: plan.games.to_read.len() + plan.details.to_read.len(),
        incremental: plan.incremental,
        nothing_new: plan.nothing_new,
        ..Default::default()
    };
    if plan.nothing_new {
        tracing::info!("every raw file was processed already: nothing to do");
        return Ok(report);
    }

    tracing::info!(
        files = plan.games.to_read.len(),
        detail_files = plan.details.to_read.len(),
        incremental = plan.incremental,
        "reading raw"
    );
    // An incremental run with new details only reads no list file.
    let games = if plan.incremental && plan.games.to_read.is_empty() {
        None
    } else {
        Some(read::read_games(wh, &plan.games.to_read).await?)
    };
    let details = read::read_details(wh, &plan.details.to_read).await?;
    report.games = games.as_ref().map_or(0, |g| g.latest.height());
    tracing::info!(games = report.games, "reading existing keys");
    let ids_of = |frame: &polars::prelude::DataFrame| -> Result<KeySet> {
        let ids = frame.column("id")?.as_materialized_series().i64()?;
        Ok(KeySet::new(ids.iter().flatten()))
    };
    let (rebuilt, detailed) = if plan.incremental {
        (
            games.as_ref().map(|g| ids_of(&g.latest)).transpose()?,
            details.latest.as_ref().map(ids_of).transpose()?,
        )
    } else {
        (None, None)
    };
    let rebuilt = match (plan.incremental, rebuilt) {
        // Nothing of the list part is rebuilt: no game's dates are left out.
        (true, None) => Some(KeySet::new([])),
        (_, r) => r,
    };
    // Tables written by an earlier release gain this release's columns before they are
    // read back, so stored rows and new rows have one shape.
    lake.upgrade().await?;
    let existing = stored::load(lake, rebuilt.as_ref(), detailed.as_ref()).await?;

    tracing::info!("building the star schema");
    let star =
        tokio::task::spawn_blocking(move || star::build(games, details, &existing)).await??;

    progress.begin("tables", Some(star.len() as u64));
    let commit = commit::Commit {
        lake,
        run_id: &run_id,
        game_files_json: plan.games.json()?,
        detail_files_json: plan.details.json()?,
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
