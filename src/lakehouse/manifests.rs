//! Manifest lists and manifest entries as iceberg-rust parses them, read once per process.
//!
//! A run lists a table it writes at least twice: the published snapshot (stored keys, the
//! upsert) and the staged one (the checks), and the staged snapshot lists the published
//! one's manifests again beside the one or two its write added. A manifest never changes
//! under its path, so the entries parsed from it are kept here, by the manifest's full path
//! (warehouse and bucket included), and a listing reads only the manifests it has not seen:
//! on S3 a request fewer per manifest, and no second parse (iceberg-rust formats the table's
//! schema for every bound of every entry it reads; see docs/benchmarks.md).
//!
//! What is kept is what iceberg-rust gave, skipped entries and all: whether a manifest was
//! read in full is for [`super::foreign::Entries`] to judge, the same way each time.
//!
//! Manifest lists are kept the same way, by path ([`list`]): a run reads each table's
//! current list to list it and to judge its tidy, the staged ones again, and an expiry the
//! list of every snapshot it keeps (several at once, [`lists`]).
//!
//! Must never: serve one manifest's entries (or one snapshot's list) for another, or grow
//! without bound (the oldest of [`KEPT`] go first).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use futures::{StreamExt, TryStreamExt};
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::spec::manifest::{DataFile, Status};
use iceberg_rust::spec::manifest_list::ManifestListEntry;
use iceberg_rust::table::Table;

use crate::Result;
use crate::kept::KeptByPath;

/// The entries iceberg-rust parsed from one manifest.
pub type Parsed = Arc<[(Status, DataFile)]>;

/// Manifests kept: a run reads a few per table, a warehouse of thirteen tables a few dozen.
pub const KEPT: usize = 512;

static KEPT_MANIFESTS: LazyLock<Mutex<KeptByPath<Parsed>>> =
    LazyLock::new(|| Mutex::new(KeptByPath::new(KEPT)));

static KEPT_LISTS: LazyLock<Mutex<KeptByPath<Arc<[ManifestListEntry]>>>> =
    LazyLock::new(|| Mutex::new(KeptByPath::new(KEPT)));

/// The manifest list of `table`'s snapshot `snapshot` (the current one when `None` or not
/// one of its snapshots, as iceberg-rust's `Table::manifests` takes it); empty when the
/// table has no snapshot. Read once a process per list, by its path.
pub async fn list(table: &Table, snapshot: Option<i64>) -> Result<Vec<ManifestListEntry>> {
    let metadata = table.metadata();
    let chosen = match snapshot.and_then(|id| metadata.snapshots.get(&id)) {
        Some(chosen) => chosen,
        None => match metadata
            .current_snapshot(None)
            .map_err(IcebergError::from)?
        {
            Some(current) => current,
            None => return Ok(Vec::new()),
        },
    };
    let path = chosen.manifest_list();
    {
        // Poisoned: as in `parsed`, what is there was put whole.
        let kept = KEPT_LISTS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entries) = kept.get(path) {
            return Ok(entries.to_vec());
        }
    }
    let entries = table.manifests(None, Some(*chosen.snapshot_id())).await?;
    KEPT_LISTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .put(path, entries.clone().into());
    Ok(entries)
}

/// How many manifest lists [`lists`] reads at once.
const LISTS_AT_ONCE: usize = 16;

/// The manifest lists of `snapshots` (ids of `table`'s snapshots), by id, as [`list`] reads
/// each, several at once: an expiry reads the list of every snapshot a table keeps, and on
/// S3 one after the other they would cost a request's round trip each.
pub async fn lists(
    table: &Table,
    snapshots: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, Vec<ManifestListEntry>>> {
    futures::stream::iter(snapshots)
        .map(|id| async move { list(table, Some(id)).await.map(|entries| (id, entries)) })
        .buffer_unordered(LISTS_AT_ONCE)
        .try_collect()
        .await
}

/// The parsed entries of each of `manifests` (of `table`), by manifest path: those read in
/// this process before from here, the others read now (in one pass) and kept.
pub async fn parsed(
    table: &Table,
    manifests: &[ManifestListEntry],
) -> Result<HashMap<String, Parsed>> {
    let mut out = HashMap::new();
    let mut missing = Vec::new();
    {
        // A poisoned lock only means another thread panicked mid-update; entries are put
        // whole, so what is there is used.
        let kept = KEPT_MANIFESTS.lock().unwrap_or_else(|e| e.into_inner());
        for m in manifests {
            match kept.get(&m.manifest_path) {
                Some(entries) => {
                    out.insert(m.manifest_path.clone(), entries.clone());
                }
                None => missing.push(m.clone()),
            }
        }
    }
    if missing.is_empty() {
        return Ok(out);
    }
    let mut read: HashMap<String, Vec<(Status, DataFile)>> = HashMap::new();
    for item in table.datafiles(&missing, None, (None, None)).await? {
        let (manifest, entry) = item?;
        read.entry(manifest)
            .or_default()
            .push((*entry.status(), entry.data_file().clone()));
    }
    let mut kept = KEPT_MANIFESTS.lock().unwrap_or_else(|e| e.into_inner());
    for m in missing {
        let entries: Parsed = read.remove(&m.manifest_path).unwrap_or_default().into();
        kept.put(&m.manifest_path, entries.clone());
        out.insert(m.manifest_path, entries);
    }
    Ok(out)
}
