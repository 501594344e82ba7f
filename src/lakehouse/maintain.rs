//! Table maintenance: compaction of position deletes, snapshot expiry, orphan file removal.
//!
//! - **Compaction.** When the share of deleted rows in a table passes a threshold, the data
//!   files that carry deletes are rewritten without the deleted rows and the table is
//!   committed as: untouched data files (listed again, not rewritten) + the rewritten files, no
//!   delete files. One snapshot; the table reads the same before and after.
//! - **Expiry.** Snapshots older than the retention window are expired; the current snapshot
//!   always stays.
//! - **Orphans.** Files under the table's location that no retained snapshot references (data,
//!   delete, manifest and manifest-list files, and metadata files older than the retention
//!   window other than the current one) are deleted once they are older than a grace period,
//!   so a write still in flight in another process is never touched. (iceberg-rust 0.10's
//!   `expire_snapshots` ignores its orphan-file flag, hence this.)
//!
//! On Nessie only compaction runs ([`History::InCatalog`]).
//!
//! Must never: delete a file a retained snapshot or the current metadata references, or change
//! what the table reads; on Nessie, delete any file at all.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use datafusion::prelude::SessionContext;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use iceberg_rust::spec::manifest_list::{Content as ManifestContent, ManifestListEntry};
use iceberg_rust::spec::util::strip_prefix;
use iceberg_rust::table::Table;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use super::rewrite;
use super::scan::{IcebergScan, LiveFile, TableFiles};
use crate::{Error, Result};

/// Maintenance policy.
#[derive(Debug, Clone)]
pub struct MaintainOptions {
    /// Compact when deleted rows exceed this share of the table's rows (0.10 = 10%).
    pub delete_threshold: f64,
    /// Keep snapshots (and metadata files) this much younger than now.
    pub retain: Duration,
    /// Only delete unreferenced files older than this (writes in flight are younger).
    pub orphan_grace: Duration,
}

impl MaintainOptions {
    /// The policy from its user-facing units, checked: a share in 0..=1, days and minutes
    /// that are finite and not negative.
    pub fn new(delete_threshold: f64, keep_days: f64, orphan_grace_minutes: f64) -> Result<Self> {
        let duration = |v: f64, what: &str| {
            if v.is_finite() && v >= 0.0 {
                Ok(Duration::from_secs_f64(v))
            } else {
                Err(Error::Config(format!(
                    "{what} must be a number >= 0, got {v}"
                )))
            }
        };
        if !(0.0..=1.0).contains(&delete_threshold) {
            return Err(Error::Config(format!(
                "--delete-threshold must be between 0 and 1, got {delete_threshold}"
            )));
        }
        Ok(Self {
            delete_threshold,
            retain: duration(keep_days * 86_400.0, "--keep-days")?,
            orphan_grace: duration(orphan_grace_minutes * 60.0, "--orphan-grace-minutes")?,
        })
    }
}

impl Default for MaintainOptions {
    fn default() -> Self {
        Self {
            delete_threshold: 0.10,
            retain: Duration::from_secs(7 * 24 * 3600),
            orphan_grace: Duration::from_secs(3600),
        }
    }
}

/// What maintenance did to one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaintainReport {
    /// The table's name.
    pub table: String,
    /// Data files rewritten without their deleted rows (0: no compaction).
    pub files_compacted: usize,
    /// Deleted rows dropped by compaction.
    pub rows_dropped: u64,
    /// Snapshots expired.
    pub snapshots_expired: usize,
    /// Unreferenced files removed.
    pub files_removed: usize,
}

/// Who owns a table's history, and so its expiry and the removal of files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum History {
    /// The table's metadata (embedded catalog, most REST catalogs): gamelake expires
    /// snapshots and removes files no retained snapshot references.
    InMetadata,
    /// The catalog's commit log (Nessie): a file the current metadata no longer references
    /// may still be read at an earlier commit or on another branch, and tables are created
    /// with `gc.enabled=false`. Only compaction runs; expiry and file removal are left to the
    /// catalog's own garbage collector.
    InCatalog,
}

/// Runs the policy on one table, all but the orphans: compaction, then expiry (not on
/// Nessie). The caller removes orphans with [`remove_orphans`], given the files the table's
/// retained snapshots reference (`foreign::referenced_files`, which counts the entries
/// iceberg-rust cannot parse, another engine's delete files among them).
pub async fn maintain(
    table: &mut Table,
    opts: &MaintainOptions,
    history: History,
) -> Result<MaintainReport> {
    let mut report = MaintainReport {
        table: table.identifier().name().to_string(),
        ..Default::default()
    };
    compact(table, opts.delete_threshold, &mut report).await?;
    if history == History::InCatalog {
        return Ok(report);
    }

    report.snapshots_expired = expire(table, cutoff(opts.retain)).await?;
    Ok(report)
}

/// The time (ms since the epoch) before which snapshots older than `retain` were taken.
pub(crate) fn cutoff(retain: Duration) -> i64 {
    chrono::Utc::now().timestamp_millis() - retain.as_millis() as i64
}

/// Snapshots of `table` taken before `cutoff` (ms), the current one never counted.
pub(crate) fn expirable(table: &Table, cutoff: i64) -> usize {
    let meta = table.metadata();
    meta.snapshots
        .values()
        .filter(|s| {
            *s.timestamp_ms() < cutoff && Some(*s.snapshot_id()) != meta.current_snapshot_id
        })
        .count()
}

/// Expires the snapshots taken before `cutoff` (ms), the current one always kept; returns how
/// many went.
pub(crate) async fn expire(table: &mut Table, cutoff: i64) -> Result<usize> {
    let before = table.metadata().snapshots.len();
    table
        .new_transaction(None)
        .expire_snapshots(Some(cutoff), Some(1), false, true, false)
        .commit()
        .await?;
    Ok(before.saturating_sub(table.metadata().snapshots.len()))
}

/// Deletes `paths` (object-store paths under `table`'s store), best effort: returns how many
/// went; one that did not is logged and left as an orphan for `maintain`. Through the
/// store's batch delete ([`ObjectStore::delete_stream`]): on S3 a thousand files a request
/// (`DeleteObjects`), not one each; on a local disk a few at once.
pub(crate) async fn delete_files(table: &Table, paths: &[String]) -> usize {
    let mut deleted = 0;
    let locations = paths.iter().map(|path| path.as_str().into());
    let mut outcomes = delete_each(&table.object_store(), locations);
    while let Some(outcome) = outcomes.next().await {
        match outcome {
            Ok(_) => deleted += 1,
            Err(e) => tracing::warn!("freed file left for maintain: {e}"),
        }
    }
    deleted
}

/// Deletes `locations` through `store`'s batch delete; yields each location deleted, or an
/// error (which names its location, or says which batch request failed).
fn delete_each(
    store: &Arc<dyn ObjectStore>,
    locations: impl IntoIterator<Item = Path>,
) -> BoxStream<'static, object_store::Result<Path>> {
    let locations: Vec<object_store::Result<Path>> = locations.into_iter().map(Ok).collect();
    store.delete_stream(futures::stream::iter(locations).boxed())
}

async fn compact(table: &mut Table, threshold: f64, report: &mut MaintainReport) -> Result<()> {
    let files = TableFiles::load(table).await?;
    let total: u64 = files.files.iter().map(|f| f.record_count).sum();
    let deleted: u64 = files.files.iter().map(|f| f.deleted.len() as u64).sum();
    if files.delete_files.is_empty() || total == 0 || (deleted as f64 / total as f64) <= threshold {
        return Ok(());
    }
    let relisted = relist(table, files, "compaction").await?;
    report.files_compacted = relisted.files_rewritten;
    report.rows_dropped = relisted.rows_dropped;
    Ok(())
}

/// When a run tidies a table in its own publish (see [`tidy`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TidyPolicy {
    /// Due when the table has more position delete files than this.
    pub max_delete_files: usize,
    /// Due when it has more data files than this.
    pub max_data_files: usize,
    /// Due when deleted rows exceed this share of its rows; and a tidy copies a data file
    /// once more than this share of its own rows is deleted ([`tidy`]).
    pub delete_threshold: f64,
}

impl Default for TidyPolicy {
    /// Tidies a table once it holds a few days of changes. A run tidies at most one table
    /// (the most overdue), and a daily run adds a delete file and a data file to every table
    /// whose rows it replaces: with a low bound nearly every run tidies one, and each table
    /// holds about as many days of small files as there are such tables, where a higher
    /// bound lets them pile up between tidies. Every upsert, listing and check of a table
    /// reads each of its files, every day, so holding fewer costs less than the more
    /// frequent tidies (the daily-runs benchmark, docs/benchmarks.md).
    fn default() -> Self {
        Self {
            max_delete_files: 3,
            max_data_files: 16,
            delete_threshold: MaintainOptions::default().delete_threshold,
        }
    }
}

/// Data files the runs table is tidied at: it gains one every run, and every run reads it
/// whole before anything else (which rows to check), a footer (on S3 a request) a file.
pub const RUNS_TABLE_FILES: usize = 4;

impl TidyPolicy {
    /// The policy of the runs table: this one, with at most [`RUNS_TABLE_FILES`] data files.
    pub fn for_runs_table(&self) -> Self {
        Self {
            max_data_files: self.max_data_files.min(RUNS_TABLE_FILES),
            ..*self
        }
    }
}

impl TidyPolicy {
    /// How far past the policy a snapshot is (its delete files plus data files), `None`
    /// within it; from its manifest list's counts alone, so no manifest is read.
    pub fn overdue(&self, manifests: &[ManifestListEntry]) -> Option<usize> {
        let live = |m: &ManifestListEntry| {
            let files = m.added_files_count.unwrap_or(0) + m.existing_files_count.unwrap_or(0);
            let rows = m.added_rows_count.unwrap_or(0) + m.existing_rows_count.unwrap_or(0);
            (files.max(0) as usize, rows.max(0) as u64)
        };
        let (mut data_files, mut delete_files, mut rows, mut deleted) = (0, 0, 0, 0);
        for m in manifests {
            let (files, n) = live(m);
            match m.content {
                ManifestContent::Data => (data_files, rows) = (data_files + files, rows + n),
                ManifestContent::Deletes => {
                    (delete_files, deleted) = (delete_files + files, deleted + n)
                }
            }
        }
        let due = delete_files > self.max_delete_files
            || data_files > self.max_data_files
            || (rows > 0 && deleted as f64 / rows as f64 > self.delete_threshold);
        due.then_some(delete_files + data_files)
    }
}

/// [`smallest_tier`] takes a larger file once the smaller ones hold this fraction of its rows
/// (1/4): of the shares tried on ten years of daily one-row files at [`RUNS_TABLE_FILES`]
/// (1/1 to 1/16), the one that copies fewest rows.
const TIER_SHARE: u64 = 4;

/// Tidies a table a run is due to tidy, in one snapshot that reads the same: its smallest
/// files ([`smallest_tier`]) and every file more than `delete_threshold` of whose rows are
/// deleted are rewritten together without their deleted rows; the other files are listed
/// again as they are, and the positions deleted from them gathered into one fresh delete
/// file. A run does this inside its own publish (`etl`), so a daily job keeps its tables'
/// files bounded without a separate maintenance job, and its large files are copied only
/// when their deletes or the files merged beside them make it worth it, not at every tidy.
pub(crate) async fn tidy(
    table: &mut Table,
    files: TableFiles,
    delete_threshold: f64,
) -> Result<Relisted> {
    let tier: HashSet<String> =
        smallest_tier(files.files.iter().map(|f| (f.path.as_str(), f.live_rows())))
            .into_iter()
            .map(str::to_string)
            .collect();
    let rewrite = |f: &LiveFile| {
        tier.contains(&f.path) || f.deleted.len() as f64 > delete_threshold * f.record_count as f64
    };
    relist_where(table, files, rewrite, "tidy").await
}

/// The files a tiered tidy merges, given each file's key and rows: the two smallest, then
/// each next larger one while those taken hold at least a [`TIER_SHARE`]th of its rows. A
/// large file is copied again only once the smaller ones have grown to a share of it, so a
/// table of one-row files tidied at [`RUNS_TABLE_FILES`] copies a dozen rows a day over ten
/// years, where copying every small file at each tidy copies the whole table every few days
/// (the unit test below measures both).
fn smallest_tier<K>(files: impl IntoIterator<Item = (K, u64)>) -> Vec<K> {
    let mut files: Vec<(K, u64)> = files.into_iter().collect();
    files.sort_by_key(|(_, rows)| *rows);
    let (mut tier, mut rows) = (Vec::new(), 0u64);
    for (key, n) in files {
        if tier.len() >= 2 && rows.saturating_mul(TIER_SHARE) < n {
            break;
        }
        rows += n;
        tier.push(key);
    }
    tier
}

/// A table a run tidied ([`tidy`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tidied {
    /// The table.
    pub table: String,
    /// Data files rewritten into fresh ones.
    pub files_rewritten: usize,
    /// Deleted rows dropped from them, with their delete files.
    pub rows_dropped: u64,
}

/// A table whose old snapshots a run expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired {
    /// The table.
    pub table: String,
    /// Snapshots expired.
    pub snapshots: usize,
    /// Files only the expired snapshots referenced (manifest lists, manifests, data and
    /// delete files), as object-store paths: free to delete once the expiry is published.
    pub freed: Vec<String>,
}

/// What [`relist`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relisted {
    /// Data files rewritten without their deleted rows.
    pub files_rewritten: usize,
    /// Rows the position deletes had removed, now gone from the files.
    pub rows_dropped: u64,
}

/// Commits the table's live contents as its whole contents, in one snapshot of fresh
/// manifests ([`rewrite::commit`]): the data files that carry position deletes are rewritten
/// without the deleted rows, the others listed again unchanged, no delete files. The table
/// reads the same before and after. `why` goes in the snapshot summary
/// (`gamelake.maintenance`).
pub(crate) async fn relist(table: &mut Table, files: TableFiles, why: &str) -> Result<Relisted> {
    relist_where(table, files, |f| !f.deleted.is_empty(), why).await
}

/// [`relist`], rewriting the data files `rewrite` picks; the others are listed again, and
/// the positions deleted from them written to one fresh delete file.
async fn relist_where(
    table: &mut Table,
    files: TableFiles,
    rewrite: impl Fn(&LiveFile) -> bool,
    why: &str,
) -> Result<Relisted> {
    let (affected, untouched): (Vec<_>, Vec<_>) =
        files.files.iter().cloned().partition(|f| rewrite(f));
    let mut new_files = Vec::new();
    if !affected.is_empty() {
        let rewritten = files.with_files(affected.clone());
        let ctx = SessionContext::new();
        let stream = ctx
            .read_table(Arc::new(IcebergScan::of_files(rewritten)))?
            .execute_stream()
            .await?
            .map_err(|e| arrow::error::ArrowError::ExternalError(Box::new(e)));
        new_files = super::data_files::write(table, stream).await?;
        // The rewrite must keep every live row: checked before anything is committed.
        let live: u64 = affected.iter().map(LiveFile::live_rows).sum();
        let written: u64 = new_files.iter().map(|f| *f.record_count() as u64).sum();
        if written != live {
            return Err(Error::Internal(format!(
                "{}: rewriting {} files gave {written} rows, not the {live} they hold, so \
                 nothing was committed and the table is as it was. This is a gamelake bug: \
                 report it with this line; `gamelake check` shows whether the table is sound",
                table.identifier(),
                affected.len()
            )));
        }
    }
    // The positions deleted from the files listed again stay deleted, in one fresh file.
    let kept_deletes: Vec<(String, Vec<i64>)> =
        untouched.iter().filter_map(LiveFile::deletions).collect();
    let mut deletes = Vec::new();
    if !kept_deletes.is_empty() {
        deletes.push(super::deletes::write_position_deletes(table, &kept_deletes).await?);
    }
    new_files.extend(untouched.into_iter().map(|f| f.data_file));
    let contents = rewrite::Contents {
        data: new_files,
        deletes,
    };
    let summary = HashMap::from([("gamelake.maintenance".to_string(), why.to_string())]);
    rewrite::commit(table, contents, summary).await?;
    Ok(Relisted {
        files_rewritten: affected.len(),
        rows_dropped: affected.iter().map(|f| f.deleted.len() as u64).sum(),
    })
}

/// Whether the metadata file at `location` is the table's current metadata (same
/// `last-updated-ms`). Unreadable files count as current: they are kept, never guessed away.
async fn is_current_metadata(
    store: &Arc<dyn ObjectStore>,
    location: &object_store::path::Path,
    last_updated_ms: i64,
) -> bool {
    let Ok(got) = store.get(location).await else {
        return true;
    };
    let Ok(bytes) = got.bytes().await else {
        return true;
    };
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("last-updated-ms").and_then(serde_json::Value::as_i64))
        .is_none_or(|ms| ms == last_updated_ms)
}

/// Deletes files under the table location that are neither in `referenced` (what its
/// retained snapshots reference) nor in its metadata log, once older than `opts`' grace
/// period; metadata files within the retention window stay.
pub(crate) async fn remove_orphans(
    table: &Table,
    mut referenced: HashSet<String>,
    opts: &MaintainOptions,
) -> Result<usize> {
    let (metadata_cutoff_ms, grace) = (cutoff(opts.retain), opts.orphan_grace);
    let metadata = table.metadata();
    // The metadata log's files are the table's own history: never orphans.
    referenced.extend(
        metadata
            .metadata_log
            .iter()
            .map(|e| strip_prefix(&e.metadata_file)),
    );
    let store = table.object_store();
    let root = strip_prefix(&metadata.location);
    let now = chrono::Utc::now();
    let grace = chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX);
    let listed: Vec<_> = store
        .list(Some(&root.as_str().into()))
        .try_collect()
        .await?;
    let (mut orphans, mut removed) = (Vec::new(), 0);
    for meta in listed {
        let path = format!("/{}", meta.location);
        if meta.last_modified > now - grace || referenced.contains(&path) {
            continue;
        }
        if path.ends_with(".metadata.json") {
            // Metadata files are the history other engines time-travel through: keep those
            // inside the retention window, and always the current one. iceberg-rust 0.10
            // does not say which file that is, and the newest file need not be it (a commit
            // that lost a race leaves a newer one): it is the one whose contents were last
            // updated when the loaded metadata was.
            if meta.last_modified.timestamp_millis() >= metadata_cutoff_ms
                || is_current_metadata(&store, &meta.location, metadata.last_updated_ms).await
            {
                continue;
            }
        } else if path.ends_with("version-hint.text") {
            continue;
        }
        orphans.push(meta.location);
    }
    let mut gone = delete_each(&store, orphans);
    while let Some(outcome) = gone.next().await {
        outcome?;
        removed += 1;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten years of a runs table: a one-row file a day, tidied past [`RUNS_TABLE_FILES`]. The
    /// files stay bounded, every row stays, and the rows copied stay a small multiple of the
    /// days, where copying every small file at each tidy copies the whole table each time
    /// (about days² / 8 rows).
    #[test]
    fn a_tiered_tidy_keeps_files_bounded_and_copies_a_row_a_few_times() {
        let days = 3_650u64;
        let mut files: Vec<u64> = vec![1];
        let mut copied = 0u64;
        for _ in 0..days {
            files.push(1);
            if files.len() <= RUNS_TABLE_FILES {
                continue;
            }
            let tier = smallest_tier(files.iter().copied().enumerate());
            assert!(tier.len() >= 2, "a tidy merges at least two files");
            let merged: u64 = tier.iter().map(|&i| files[i]).sum();
            copied += merged;
            files = files
                .iter()
                .enumerate()
                .filter(|(i, _)| !tier.contains(i))
                .map(|(_, &rows)| rows)
                .chain([merged])
                .collect();
            assert!(files.len() < RUNS_TABLE_FILES + 1, "{files:?}");
        }
        assert_eq!(files.iter().sum::<u64>(), days + 1);
        assert!(copied <= days * 16, "{copied} rows copied in {days} days");
    }

    /// The tier: the two smallest, and larger ones only while the taken ones hold a quarter
    /// of their rows.
    #[test]
    fn the_smallest_tier_takes_a_larger_file_only_once_it_is_matched() {
        let tier = |rows: &[u64]| {
            let mut t = smallest_tier(rows.iter().copied().enumerate());
            t.sort_unstable();
            t
        };
        assert_eq!(tier(&[360, 1, 1, 1, 1]), vec![1, 2, 3, 4]);
        assert_eq!(tier(&[360, 40, 30, 1, 1]), vec![3, 4]);
        assert_eq!(tier(&[360, 12, 6, 2, 1]), vec![1, 2, 3, 4]);
        assert_eq!(tier(&[40, 10, 10]), vec![0, 1, 2]);
        assert_eq!(tier(&[5]), vec![0]);
    }
}
