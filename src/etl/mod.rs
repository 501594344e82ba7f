//! ETL: raw parquet to the star schema in Iceberg.
//!
//! The first run (and `--full-refresh`) reads every raw file ([`raw`]), reads back the keys the
//! warehouse already assigned ([`keys`]), builds every table in Polars ([`star`]) and writes
//! each table whose contents changed, whole, in one snapshot. Later runs are incremental: they
//! read only the raw files no run has processed, rebuild the small dimensions with the stored
//! keys, and replace the changed games' rows in the bridges and `fact_games` by merge-on-read
//! ([`crate::lakehouse::deletes`]). Commit order is dimensions, bridges, then `fact_games`,
//! which carries the list of raw files covered (`gamelake.raw-files`) in the same commit as its
//! data: a run that dies before that commit is redone by the next one, and since every step is
//! idempotent the redo converges to what an uninterrupted run leaves.
//!
//! Must never: move a surrogate key, write a table whose contents did not change (no new
//! snapshot on a rerun with nothing new), or leave a required column null.

pub mod interop;
pub mod keys;
pub mod members;
pub mod raw;
pub mod star;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{Array, Int32Array, Int64Array, RecordBatch};
use polars::prelude::DataFrame;

use crate::keyset::KeySet;
use crate::lakehouse::{Lakehouse, Staged};
use crate::progress::Progress;
use crate::schema::TableDef;
use crate::storage::Warehouse;
use crate::{Error, Result};

use self::keys::KeyMap;
use self::star::{DIMS, Existing};

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
pub use crate::lakehouse::deletes::ROWS_REMOVED_PROPERTY;

#[derive(Debug, Clone, Default)]
pub struct EtlOptions {
    /// Rebuild and rewrite every table from all raw data (keys are kept).
    pub full_refresh: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableOutcome {
    pub name: String,
    /// Rows written: the whole table, or in an incremental run the changed games' rows.
    pub rows: usize,
    /// False when the contents were unchanged and nothing was written.
    pub written: bool,
    /// Rows replaced through position deletes (incremental runs).
    pub rows_removed: u64,
}

#[derive(Debug, Clone, Default)]
pub struct EtlReport {
    pub run_id: String,
    pub raw_files: usize,
    /// Raw files this run read (all of them in a full build, the new ones otherwise).
    pub new_raw_files: usize,
    /// Games processed: all games in a full build, the new or changed ones otherwise.
    pub games: usize,
    /// True when only new raw files were processed, merge-on-read.
    pub incremental: bool,
    /// True when every raw file had been processed already and nothing was done.
    pub nothing_new: bool,
    pub tables: Vec<TableOutcome>,
}

/// Runs the ETL over the warehouse's raw landing.
///
/// The first run (and `--full-refresh`) builds every table from all raw files. Later runs are
/// incremental: only the raw files no run has processed are read; the games in them replace
/// their rows in the bridges and `fact_games` (merge-on-read, position deletes), dimensions
/// take in new members and type-1 changes.
pub async fn run(
    wh: &Warehouse,
    lake: &Lakehouse,
    opts: &EtlOptions,
    progress: &mut Progress,
) -> Result<EtlReport> {
    let run_id = crate::new_run_id();
    let files = raw::raw_files(wh).await?;
    let processed = processed_files(lake).await?;
    let new_files: Vec<String> = files
        .iter()
        .filter(|f| !processed.contains(*f))
        .cloned()
        .collect();
    let mut report = EtlReport {
        run_id: run_id.clone(),
        raw_files: files.len(),
        ..Default::default()
    };
    if !opts.full_refresh && !files.is_empty() && new_files.is_empty() {
        tracing::info!("every raw file was processed already: nothing to do");
        report.nothing_new = true;
        return Ok(report);
    }
    report.incremental = !opts.full_refresh && !processed.is_empty();
    let to_read = if report.incremental {
        &new_files
    } else {
        &files
    };
    report.new_raw_files = to_read.len();

    tracing::info!(
        files = to_read.len(),
        incremental = report.incremental,
        "reading raw"
    );
    let games = raw::read_games(wh, to_read).await?;
    report.games = games.latest.height();
    tracing::info!(games = report.games, "reading existing keys");
    let rebuilt = if report.incremental {
        Some(KeySet::new(
            games
                .latest
                .column("id")?
                .as_materialized_series()
                .i64()?
                .iter()
                .flatten(),
        ))
    } else {
        None
    };
    let existing = load_existing(lake, rebuilt.as_ref()).await?;
    tracing::info!("building the star schema");
    let star = tokio::task::spawn_blocking(move || star::build(games, &existing)).await??;

    let files_json =
        serde_json::to_string(&files).map_err(|e| Error::Schema(format!("raw file list: {e}")))?;
    let mut tables = star.tables;
    let fact = match tables.pop() {
        Some((def, frame)) if def.name == "fact_games" => (def, frame),
        _ => return Err(Error::Schema("the star build has no fact_games".into())),
    };
    let bridges_at = tables
        .iter()
        .position(|(def, _)| def.name.starts_with("bridge_"))
        .unwrap_or(tables.len());
    let bridges = tables.split_off(bridges_at);
    let dims = tables;
    let done = |report: &mut EtlReport, progress: &mut Progress, outcome: TableOutcome| {
        tracing::info!(
            table = outcome.name,
            rows = outcome.rows,
            removed = outcome.rows_removed,
            written = outcome.written,
            "table done"
        );
        crate::failpoint::hit(&format!("etl.committed.{}", outcome.name));
        progress.inc(1, &outcome.name);
        report.tables.push(outcome);
    };

    if report.incremental {
        // Dimensions whole, then the changed games' rows of the bridges (all at once: they
        // are independent tables) and last of the fact, merge-on-read.
        let changed_games: Arc<HashSet<i64>> = Arc::new(
            fact.1
                .column("game_key")?
                .as_materialized_series()
                .i64()?
                .iter()
                .flatten()
                .collect(),
        );
        for (def, frame) in dims {
            let whole = prepare_whole(lake, def, frame, opts.full_refresh).await?;
            let outcome = commit_whole(lake, whole, &files_json, &run_id).await?;
            done(&mut report, progress, outcome);
        }
        let upserts: Vec<_> = bridges
            .into_iter()
            .map(|(def, frame)| {
                let (lake, changed) = (lake.clone(), changed_games.clone());
                let props = per_game_properties(&run_id, None);
                AbortOnDrop(tokio::spawn(async move {
                    upsert_changed(&lake, def, frame, &changed, props).await
                }))
            })
            .collect();
        for mut task in upserts {
            let outcome = (&mut task.0).await??;
            done(&mut report, progress, outcome);
        }
        let props = per_game_properties(&run_id, Some(&files_json));
        let outcome = upsert_changed(lake, fact.0, fact.1, &changed_games, props).await?;
        done(&mut report, progress, outcome);
    } else {
        // The fact, the largest table, is shaped, fingerprinted and its data files written
        // on its own task while the other tables are written; it is still committed last.
        let (lake_for_fact, full_refresh) = (lake.clone(), opts.full_refresh);
        let mut fact_task = AbortOnDrop(tokio::spawn(async move {
            prepare_whole(&lake_for_fact, fact.0, fact.1, full_refresh).await
        }));
        for (def, frame) in dims.into_iter().chain(bridges) {
            let whole = prepare_whole(lake, def, frame, opts.full_refresh).await?;
            let outcome = commit_whole(lake, whole, &files_json, &run_id).await?;
            done(&mut report, progress, outcome);
        }
        let whole = (&mut fact_task.0).await??;
        let outcome = commit_whole(lake, whole, &files_json, &run_id).await?;
        done(&mut report, progress, outcome);
    }
    progress.finish();
    Ok(report)
}

/// A task that stops when the run stops waiting for it (an earlier table failed).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A whole table ready to commit: shaped, fingerprinted, and its data files staged unless
/// its contents are unchanged.
struct Whole {
    def: &'static TableDef,
    rows: usize,
    fingerprint: String,
    /// `None`: the contents equal the stored ones (and no full refresh was asked for).
    staged: Option<Staged>,
}

async fn prepare_whole(
    lake: &Lakehouse,
    def: &'static TableDef,
    frame: DataFrame,
    full_refresh: bool,
) -> Result<Whole> {
    let (batch, fingerprint) = tokio::task::spawn_blocking(move || {
        let batch = interop::frame_to_batch(&frame, def)?;
        drop(frame);
        let fingerprint = interop::fingerprint(&batch)?;
        Ok::<_, Error>((batch, fingerprint))
    })
    .await??;
    let rows = batch.num_rows();
    let unchanged = lake
        .property(&def.name, FINGERPRINT_PROPERTY)
        .await?
        .as_deref()
        == Some(fingerprint.as_str());
    let staged = if unchanged && !full_refresh {
        None
    } else {
        Some(lake.stage(def, batch).await?)
    };
    Ok(Whole {
        def,
        rows,
        fingerprint,
        staged,
    })
}

/// Commits a prepared whole table; an unchanged fact still records the raw files covered.
async fn commit_whole(
    lake: &Lakehouse,
    whole: Whole,
    files_json: &str,
    run_id: &str,
) -> Result<TableOutcome> {
    let Whole {
        def,
        rows,
        fingerprint,
        staged,
    } = whole;
    let is_fact = def.name == "fact_games";
    let mut props = vec![(FINGERPRINT_PROPERTY.to_string(), fingerprint)];
    if is_fact {
        props.push((RAW_FILES_PROPERTY.to_string(), files_json.to_string()));
    }
    let written = staged.is_some();
    match staged {
        Some(staged) => {
            let summary = HashMap::from([
                (RUN_ID_SUMMARY.to_string(), run_id.to_string()),
                ("gamelake.rows".to_string(), rows.to_string()),
            ]);
            props.extend([
                (RUN_ID_SUMMARY.to_string(), run_id.to_string()),
                (ROWS_ADDED_PROPERTY.to_string(), rows.to_string()),
                (ROWS_REMOVED_PROPERTY.to_string(), "all".to_string()),
            ]);
            lake.commit_staged(staged, props, summary).await?;
        }
        // The data is the same but the processed-files list moves on.
        None if is_fact => lake.set_properties(def, props).await?,
        None => {}
    }
    Ok(TableOutcome {
        name: def.name.clone(),
        rows,
        written,
        rows_removed: 0,
    })
}

/// The properties of a merge-on-read write; the fact's also carry the raw files covered.
fn per_game_properties(run_id: &str, raw_files_json: Option<&str>) -> Vec<(String, String)> {
    let mut props = vec![
        (
            FINGERPRINT_PROPERTY.to_string(),
            format!("incremental:{run_id}"),
        ),
        (RUN_ID_SUMMARY.to_string(), run_id.to_string()),
    ];
    if let Some(files) = raw_files_json {
        props.push((RAW_FILES_PROPERTY.to_string(), files.to_string()));
    }
    props
}

/// Replaces the changed games' rows of a bridge or the fact with `frame`, merge-on-read;
/// the upsert adds the rows it removed to the same commit.
async fn upsert_changed(
    lake: &Lakehouse,
    def: &'static TableDef,
    frame: DataFrame,
    changed_games: &HashSet<i64>,
    mut props: Vec<(String, String)>,
) -> Result<TableOutcome> {
    let batch = interop::frame_to_batch(&frame, def)?;
    drop(frame);
    let rows = batch.num_rows();
    props.push((ROWS_ADDED_PROPERTY.to_string(), rows.to_string()));
    let change = lake
        .upsert(def, "game_key", changed_games, Some(batch), props)
        .await?;
    Ok(TableOutcome {
        name: def.name.clone(),
        rows,
        written: change.rows_added + change.rows_removed > 0,
        rows_removed: change.rows_removed,
    })
}

async fn processed_files(lake: &Lakehouse) -> Result<BTreeSet<String>> {
    let Some(json) = lake.property("fact_games", RAW_FILES_PROPERTY).await? else {
        return Ok(BTreeSet::new());
    };
    match serde_json::from_str(&json) {
        Ok(files) => Ok(files),
        Err(e) => {
            tracing::warn!(
                "fact_games property {RAW_FILES_PROPERTY} is unreadable ({e}); rebuilding"
            );
            Ok(BTreeSet::new())
        }
    }
}

/// Reads back what keys and members the warehouse already has. `rebuilt`: in an incremental
/// run, the ids of the games being rebuilt; only their game keys are kept, and the other
/// games' date keys.
async fn load_existing(lake: &Lakehouse, rebuilt: Option<&KeySet>) -> Result<Existing> {
    let mut existing = Existing::default();

    // The tables are read at once: a read is mostly catalog, metadata and small files.
    let dims = futures::future::try_join_all(DIMS.iter().map(|spec| async move {
        Ok::<_, Error>((spec, read_whole(lake, &spec.dim_table()).await?))
    }));
    let fact = lake.read(
        "fact_games",
        Some(&[
            "game_id",
            "game_key",
            "released_date_key",
            "updated_date_key",
        ]),
    );
    let (dims, fact) = futures::try_join!(dims, fact)?;
    for (spec, batch) in dims {
        if let Some(batch) = batch {
            let keys = KeyMap::from_pairs(pairs(
                &batch,
                &format!("{}_id", spec.member),
                &format!("{}_key", spec.member),
            )?);
            let frame = interop::batch_to_frame(&batch)?;
            existing.dims.insert(spec.member, (keys, Some(frame)));
        }
    }
    let Some(batches) = fact else {
        return Ok(existing);
    };
    match rebuilt {
        None => {
            if let Some(batch) = interop::concat(&batches)? {
                existing.games = KeyMap::from_pairs(pairs(&batch, "game_id", "game_key")?);
            }
        }
        Some(ids) => {
            (existing.games, existing.other_fact_dates) = split_stored_facts(&batches, ids)?;
        }
    }
    Ok(existing)
}

async fn read_whole(lake: &Lakehouse, table: &str) -> Result<Option<RecordBatch>> {
    match lake.read(table, None).await? {
        Some(batches) => interop::concat(&batches),
        None => Ok(None),
    }
}

/// One pass over the stored facts of an incremental run: the key map of the `rebuilt`
/// games (new keys going above every stored key), and the distinct date keys (released,
/// updated) of the other games.
fn split_stored_facts(batches: &[RecordBatch], rebuilt: &KeySet) -> Result<(KeyMap, Vec<i32>)> {
    let mut games = Vec::with_capacity(rebuilt.len());
    let mut max_key = 0;
    let mut dates = Vec::new();
    for batch in batches {
        let (ids, keys) = (
            stored_column::<Int64Array>(batch, "game_id", "BIGINT")?,
            stored_column::<Int64Array>(batch, "game_key", "BIGINT")?,
        );
        let (released, updated) = (
            stored_column::<Int32Array>(batch, "released_date_key", "INT")?,
            stored_column::<Int32Array>(batch, "updated_date_key", "INT")?,
        );
        dates.reserve(2 * batch.num_rows());
        for i in 0..batch.num_rows() {
            let key = (!keys.is_null(i)).then(|| keys.value(i));
            if let Some(key) = key {
                max_key = max_key.max(key);
            }
            if !ids.is_null(i) && rebuilt.contains(ids.value(i)) {
                if let Some(key) = key {
                    games.push((ids.value(i), key));
                }
            } else {
                dates.extend([released.value(i), updated.value(i)].map(i64::from));
            }
        }
    }
    let dates = KeySet::new(dates)
        .sorted()
        .into_iter()
        .map(|d| i32::try_from(d).map_err(|_| Error::Schema(format!("date key {d}"))))
        .collect::<Result<_>>()?;
    Ok((KeyMap::from_pairs(games).above(max_key), dates))
}

/// A column of a stored table, as the arrow type gamelake writes for its SQL type `kind`.
fn stored_column<'a, T: Array + 'static>(
    batch: &'a RecordBatch,
    name: &str,
    kind: &str,
) -> Result<&'a T> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| Error::Schema(format!("stored table lacks {kind} column {name}")))
}

/// (natural, key) pairs of a stored table; rows with a null natural key are skipped.
fn pairs(batch: &RecordBatch, natural: &str, key: &str) -> Result<Vec<(i64, i64)>> {
    let (n, k) = (
        stored_column::<Int64Array>(batch, natural, "BIGINT")?,
        stored_column::<Int64Array>(batch, key, "BIGINT")?,
    );
    Ok((0..batch.num_rows())
        .filter(|&i| !n.is_null(i) && !k.is_null(i))
        .map(|i| (n.value(i), k.value(i)))
        .collect())
}
