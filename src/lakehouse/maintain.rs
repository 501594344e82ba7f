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
    /// Due when it has more data files than this, full ones ([`is_full`]) not counted.
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

/// A snapshot's files and rows, from its manifest list's counts alone (no manifest read).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileCounts {
    /// Live data files.
    pub data_files: usize,
    /// Live position delete files.
    pub delete_files: usize,
    /// Rows in the data files, deleted ones included.
    pub rows: u64,
    /// Rows the delete files delete.
    pub deleted: u64,
}

impl FileCounts {
    /// The counts of the snapshot whose manifest list is `manifests`.
    pub fn of(manifests: &[ManifestListEntry]) -> Self {
        let mut counts = Self::default();
        for m in manifests {
            let files = m.added_files_count.unwrap_or(0) + m.existing_files_count.unwrap_or(0);
            let rows = m.added_rows_count.unwrap_or(0) + m.existing_rows_count.unwrap_or(0);
            let (files, rows) = (files.max(0) as usize, rows.max(0) as u64);
            match m.content {
                ManifestContent::Data => {
                    counts.data_files += files;
                    counts.rows += rows;
                }
                ManifestContent::Deletes => {
                    counts.delete_files += files;
                    counts.deleted += rows;
                }
            }
        }
        counts
    }
}

impl TidyPolicy {
    /// How far past the policy a snapshot of `files` is (its delete files plus data files),
    /// `None` within it.
    pub fn overdue(&self, files: &FileCounts) -> Option<usize> {
        let due = files.delete_files > self.max_delete_files
            || files.data_files > self.max_data_files
            || (files.rows > 0 && files.deleted as f64 / files.rows as f64 > self.delete_threshold);
        due.then_some(files.delete_files + files.data_files)
    }
}

/// [`smallest_tier`] takes a larger file once the smaller ones hold this fraction of its rows
/// (1/4): of the shares tried on ten years of daily one-row files at [`RUNS_TABLE_FILES`]
/// (1/1 to 1/16), the one that copies fewest rows.
const TIER_SHARE: u64 = 4;

/// Tidies a table a run is due to tidy, in one snapshot that reads the same: the files
/// [`tidied_files`] picks are rewritten together without their deleted rows, in files of
/// about `target` bytes; the other files are listed again as they are, and the positions
/// deleted from them gathered into one fresh delete file. A run does this inside its own
/// publish (`etl`), so a daily job keeps its tables' files bounded without a separate
/// maintenance job, and its large files are copied only when their deletes make it worth
/// it, one at a tidy.
pub(crate) async fn tidy(
    table: &mut Table,
    files: TableFiles,
    delete_threshold: f64,
    target: u64,
) -> Result<Relisted> {
    let shapes: Vec<FileShape> = files.files.iter().map(FileShape::of).collect();
    let picked: HashSet<String> = tidied_files(&shapes, delete_threshold, target)
        .into_iter()
        .map(|at| files.files[at].path.clone())
        .collect();
    relist_where(table, files, |f| picked.contains(&f.path), "tidy").await
}

/// Whether a data file of `size` bytes is full for a table whose files aim at `target`
/// bytes: at least half of it, as a file the writer closed at its target size
/// ([`super::data_files::write`]) is. A tidy merges only smaller files, and only they count
/// towards [`TidyPolicy::max_data_files`].
pub fn is_full(size: u64, target: u64) -> bool {
    size >= target / 2
}

/// A data file as a tidy judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileShape {
    /// Bytes.
    pub size: u64,
    /// Rows written to it.
    pub rows: u64,
    /// Of those, rows deleted.
    pub deleted: u64,
}

impl FileShape {
    fn of(file: &LiveFile) -> Self {
        Self {
            size: file.size,
            rows: file.record_count,
            deleted: file.deleted.len() as u64,
        }
    }

    fn live(&self) -> u64 {
        self.rows - self.deleted
    }

    fn is_full(&self, target: u64) -> bool {
        is_full(self.size, target)
    }

    fn deleted_share(&self) -> f64 {
        if self.rows == 0 {
            return 0.0;
        }
        self.deleted as f64 / self.rows as f64
    }
}

/// Which of `files` a tidy rewrites (their indices): the smallest tier of the files that
/// are not full ([`smallest_tier`], [`FileShape::is_full`]), every file that is not full
/// more than `delete_threshold` of whose rows are deleted, and of the full files past it the
/// one with the largest share deleted. A full file is never merged only to absorb small
/// ones (the tier would take one after another, each no larger than those taken), a file
/// is not copied only to be merged with nothing, and one full file a tidy bounds what the
/// dearest tidy copies: a daily change spreads its deletes over every file, so they pass
/// the threshold together, and the table stays due (its share deleted past the threshold)
/// until each is copied, one run after another.
pub(crate) fn tidied_files(files: &[FileShape], delete_threshold: f64, target: u64) -> Vec<usize> {
    let past = |f: &FileShape| f.deleted_share() > delete_threshold;
    let small = files.iter().enumerate().filter(|(_, f)| !f.is_full(target));
    let mut picked = smallest_tier(small.clone().map(|(at, f)| (at, f.live())));
    if picked.len() < 2 {
        // A file merged with nothing is only copied.
        picked.clear();
    }
    let small_past: Vec<usize> = small
        .filter(|(at, f)| past(f) && !picked.contains(at))
        .map(|(at, _)| at)
        .collect();
    picked.extend(small_past);
    let full_past = files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is_full(target) && past(f))
        .max_by(|(_, a), (_, b)| a.deleted_share().total_cmp(&b.deleted_share()));
    picked.extend(full_past.map(|(at, _)| at));
    picked
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

    /// A tidy takes the smallest tier of the small files, and of the full files past the
    /// threshold only the one with the largest share deleted.
    #[test]
    fn a_tidy_copies_one_full_file_and_merges_only_small_ones() {
        let target = 4 << 20;
        let file = |size: u64, rows: u64, deleted: u64| FileShape {
            size,
            rows,
            deleted,
        };
        let files = [
            file(3_600_000, 60_000, 7_000),
            file(3_600_000, 60_000, 8_000),
            file(3_500_000, 60_000, 5_000),
            file(2_200_000, 40_000, 4_500),
            file(100_000, 1_200, 0),
            file(110_000, 1_300, 0),
            file(90_000, 1_000, 200),
            file(1_900_000, 30_000, 0),
        ];
        let mut picked = tidied_files(&files, 0.1, target);
        picked.sort_unstable();
        // The three daily files; not the small one of 30,000 rows they do not match; of the
        // three full files past 10%, the second (13%).
        assert_eq!(picked, vec![1, 4, 5, 6]);
        // A lone small file is not copied for nothing; one past the threshold is.
        assert_eq!(tidied_files(&files[..5], 0.1, target), vec![1]);
        let mut lone = files[..5].to_vec();
        lone[4].deleted = 200;
        let mut picked = tidied_files(&lone, 0.1, target);
        picked.sort_unstable();
        assert_eq!(picked, vec![1, 4]);
    }

    /// A year of a daily change to a table written in full files (a change spreads its
    /// deletes over every file, so they pass the threshold together), tidied whenever the
    /// default policy says so: no tidy copies more than one full file, the table's share
    /// deleted and its small files stay bounded, and every row stays.
    #[test]
    fn a_year_of_tidies_copies_one_full_file_at_a_time() {
        const TARGET: u64 = 4 << 20;
        const BYTES_A_ROW: u64 = 64;
        let written = |rows: u64| -> Vec<FileShape> {
            let full = TARGET / BYTES_A_ROW;
            let mut out = vec![
                FileShape {
                    size: full * BYTES_A_ROW,
                    rows: full,
                    deleted: 0
                };
                (rows / full) as usize
            ];
            if !rows.is_multiple_of(full) {
                let rest = rows % full;
                out.push(FileShape {
                    size: rest * BYTES_A_ROW,
                    rows: rest,
                    deleted: 0,
                });
            }
            out
        };
        let policy = TidyPolicy::default();
        let mut files = written(273_000);
        let mut delete_files = 0;
        let (mut live, mut worst_share, mut most_small) = (273_000u64, 0f64, 0usize);
        for _ in 0..365 {
            // 1,000 rows replaced, spread over the files as their live rows are; 200 new.
            let total: u64 = files.iter().map(FileShape::live).sum();
            let mut left = 1_000;
            for f in files.iter_mut() {
                let n = (1_000 * f.live()).div_ceil(total).min(left).min(f.live());
                f.deleted += n;
                left -= n;
            }
            files.extend(written(1_200));
            live += 200;
            delete_files += 1;
            let counts = FileCounts {
                data_files: files.iter().filter(|f| !f.is_full(TARGET)).count(),
                delete_files,
                rows: files.iter().map(|f| f.rows).sum(),
                deleted: files.iter().map(|f| f.deleted).sum(),
            };
            worst_share = worst_share.max(counts.deleted as f64 / counts.rows as f64);
            most_small = most_small.max(counts.data_files);
            if policy.overdue(&counts).is_none() {
                continue;
            }
            let picked = tidied_files(&files, policy.delete_threshold, TARGET);
            let full = picked
                .iter()
                .filter(|&&at| files[at].is_full(TARGET))
                .count();
            assert!(full <= 1, "a tidy copied {full} full files");
            let merged: u64 = picked.iter().map(|&at| files[at].live()).sum();
            let kept = files
                .iter()
                .enumerate()
                .filter(|(at, _)| !picked.contains(at));
            let mut next: Vec<FileShape> = kept.map(|(_, f)| *f).collect();
            next.extend(written(merged));
            delete_files = usize::from(next.iter().any(|f| f.deleted > 0));
            files = next;
        }
        assert_eq!(files.iter().map(FileShape::live).sum::<u64>(), live);
        assert!(
            worst_share < 0.2,
            "{worst_share} of the rows deleted at worst"
        );
        assert!(
            most_small <= policy.max_data_files + 1,
            "{most_small} small files"
        );
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
