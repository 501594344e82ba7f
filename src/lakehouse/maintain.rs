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
//! Must never: delete a file a retained snapshot or the current metadata references, or change
//! what the table reads.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use datafusion::prelude::SessionContext;
use futures::TryStreamExt;
use iceberg_rust::arrow::write::write_parquet_partitioned;
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::spec::util::strip_prefix;
use iceberg_rust::table::Table;
use object_store::ObjectStoreExt;

use super::scan::{IcebergScan, TableFiles};
use crate::Result;

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
    pub table: String,
    /// Data files rewritten without their deleted rows (0: no compaction).
    pub files_compacted: usize,
    pub rows_dropped: u64,
    pub snapshots_expired: usize,
    pub files_removed: usize,
}

/// Runs the policy on one table.
pub async fn maintain(table: &mut Table, opts: &MaintainOptions) -> Result<MaintainReport> {
    let mut report = MaintainReport {
        table: table.identifier().name().to_string(),
        ..Default::default()
    };
    compact(table, opts.delete_threshold, &mut report).await?;

    let now_ms = chrono::Utc::now().timestamp_millis();
    let cutoff = now_ms - opts.retain.as_millis() as i64;
    let before = table.metadata().snapshots.len();
    table
        .new_transaction(None)
        .expire_snapshots(Some(cutoff), Some(1), false, true, false)
        .commit()
        .await?;
    report.snapshots_expired = before.saturating_sub(table.metadata().snapshots.len());

    report.files_removed = remove_orphans(table, cutoff, opts.orphan_grace).await?;
    Ok(report)
}

async fn compact(table: &mut Table, threshold: f64, report: &mut MaintainReport) -> Result<()> {
    let files = TableFiles::load(table).await?;
    let total: u64 = files.files.iter().map(|f| f.record_count).sum();
    let deleted: u64 = files.files.iter().map(|f| f.deleted.len() as u64).sum();
    if files.delete_files.is_empty() || total == 0 || (deleted as f64 / total as f64) <= threshold {
        return Ok(());
    }
    let (affected, untouched): (Vec<_>, Vec<_>) = files
        .files
        .iter()
        .cloned()
        .partition(|f| !f.deleted.is_empty());
    let rewritten = files.with_files(affected.clone());
    let ctx = SessionContext::new();
    let stream = ctx
        .read_table(Arc::new(IcebergScan::of_files(rewritten)))?
        .execute_stream()
        .await?
        .map_err(|e| arrow::error::ArrowError::ExternalError(Box::new(e)));
    let mut new_files = write_parquet_partitioned(table, stream, None).await?;
    new_files.extend(untouched.into_iter().map(|f| f.data_file));
    table
        .new_transaction(None)
        .replace_with_lineage(
            new_files,
            HashMap::from([("gamelake.maintenance".to_string(), "compaction".to_string())]),
        )
        .commit()
        .await?;
    report.files_compacted = affected.len();
    report.rows_dropped = deleted;
    Ok(())
}

/// Deletes files under the table location that no retained snapshot references.
async fn remove_orphans(table: &Table, metadata_cutoff_ms: i64, grace: Duration) -> Result<usize> {
    let metadata = table.metadata();
    let mut referenced: HashSet<String> = HashSet::new();
    for snapshot in metadata.snapshots.values() {
        referenced.insert(strip_prefix(snapshot.manifest_list()));
        let manifests = table.manifests(None, Some(*snapshot.snapshot_id())).await?;
        for entry in table
            .datafiles(&manifests, None, (None, None))
            .await?
            .collect::<Result<Vec<_>, IcebergError>>()?
        {
            referenced.insert(strip_prefix(entry.1.data_file().file_path()));
        }
        for m in &manifests {
            referenced.insert(strip_prefix(&m.manifest_path));
        }
    }
    let store = table.object_store();
    let root = strip_prefix(&metadata.location);
    let now = chrono::Utc::now();
    let grace = chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX);
    let listed: Vec<_> = store
        .list(Some(&root.as_str().into()))
        .try_collect()
        .await?;
    let mut newest_metadata: Option<(chrono::DateTime<chrono::Utc>, String)> = None;
    for meta in &listed {
        let path = format!("/{}", meta.location);
        if path.ends_with(".metadata.json")
            && newest_metadata
                .as_ref()
                .is_none_or(|(t, _)| meta.last_modified > *t)
        {
            newest_metadata = Some((meta.last_modified, path));
        }
    }
    let mut removed = 0;
    for meta in listed {
        let path = format!("/{}", meta.location);
        if meta.last_modified > now - grace || referenced.contains(&path) {
            continue;
        }
        if path.ends_with(".metadata.json") {
            // Metadata files are the history other engines time-travel through: keep the
            // newest and those inside the retention window.
            let is_newest = newest_metadata.as_ref().is_some_and(|(_, p)| *p == path);
            if is_newest || meta.last_modified.timestamp_millis() >= metadata_cutoff_ms {
                continue;
            }
        } else if path.ends_with("version-hint.text") {
            continue;
        }
        store.delete(&meta.location).await?;
        removed += 1;
    }
    Ok(removed)
}
