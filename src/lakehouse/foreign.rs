//! Tables another engine wrote: the one place gamelake works around two gaps of iceberg-rust
//! 0.10 with manifests the Java Iceberg library (Spark, Trino, Dremio) writes.
//!
//! **Entries it cannot parse are dropped without a word.** Its manifest reader skips an
//! entry whose conversion fails, and Java's position delete files carry bounds for the
//! reserved `file_path`/`pos` field ids, which are not in the table schema: every delete file
//! Spark's `rewrite_position_delete_files` writes would be skipped, and the rows it deletes
//! read again. [`Entries::read`] therefore checks each manifest's entry count against the
//! manifest list and, where entries are missing, reads that manifest's raw Avro records
//! (status, content, path): a missing delete file is read from there, a missing data file is
//! an error, never a gap.
//!
//! **An append revives what a rewrite removed.** Its append picks one existing manifest to
//! append into and writes every entry of it back as EXISTING, DELETED ones included.
//!
//! gamelake itself never writes a DELETED entry (its replacements list the live files in
//! fresh manifests). The Java engines do: Spark's `rewrite_data_files` and
//! `rewrite_position_delete_files`, Trino's `optimize`, any copy-on-write delete leave
//! manifests that list the files they removed as DELETED, and iceberg-rust picks the
//! manifest with the fewest added rows, which is such a manifest. Appending into it would
//! bring the removed files back beside their rewritten copies: every row in them read twice.
//! Pinned by `tests/it/upstream.rs`; listed in docs/architecture.md's upstream gaps.
//!
//! So before gamelake appends to a table (an upsert, a dimension's new members), it checks
//! the table's current manifests; when one lists a DELETED entry or one iceberg-rust cannot
//! parse (its append would drop that one when it rewrites the manifest), it first relists the
//! table's live files in fresh manifests ([`super::maintain::relist`]), a snapshot of its own
//! that reads the same, staged and published with the write that needed it. The check reads
//! the manifest list, and the manifests only of a table with delete files or DELETED entries.
//!
//! The same reading of entries tells which files an expiry freed ([`freed_by_expiry`]): a file
//! a retained snapshot lists, parsed by iceberg-rust or not, is never among them.
//!
//! Must never: change what the table reads, let an append through while a DELETED entry is
//! listed, or take a file a retained snapshot lists for freed.

use std::collections::{HashMap, HashSet};

use apache_avro::types::Value as Avro;
use iceberg_rust::catalog::identifier::Identifier;
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::spec::manifest::{Content, DataFile, Status};
use iceberg_rust::spec::manifest_list::{Content as ManifestContent, ManifestListEntry};
use iceberg_rust::spec::util::strip_prefix;
use iceberg_rust::table::Table;

use super::maintain::{self, Relisted};
use super::scan::{self, TableFiles};
use crate::{Error, Result};

/// A snapshot's manifest entries, none lost (see the module's docs).
#[derive(Debug, Default)]
pub struct Entries {
    /// Live data files, as iceberg-rust parsed them.
    pub data: Vec<DataFile>,
    /// Live position delete files iceberg-rust parsed.
    pub parsed_deletes: Vec<String>,
    /// Live position delete files iceberg-rust skipped, from the raw entries.
    pub unparsed_deletes: Vec<String>,
    /// Entries listed DELETED.
    pub dead: usize,
}

/// One manifest entry as the Avro file holds it.
struct RawEntry {
    status: i32,
    content: i32,
    path: String,
}

impl Entries {
    /// Reads the entries of `manifests` (the current snapshot's).
    pub async fn read(table: &Table, manifests: &[ManifestListEntry]) -> Result<Self> {
        let mut parsed = super::manifests::parsed(table, manifests).await?;
        let mut out = Self::default();
        for manifest in manifests {
            let got: Vec<(Status, DataFile)> = parsed
                .remove(&manifest.manifest_path)
                .map(|entries| entries.to_vec())
                .unwrap_or_default();
            let listed = [
                manifest.added_files_count,
                manifest.existing_files_count,
                manifest.deleted_files_count,
            ]
            .iter()
            .map(|n| n.unwrap_or(0).max(0) as usize)
            .sum::<usize>();
            if got.len() >= listed {
                let table = table.identifier();
                got.into_iter()
                    .try_for_each(|(s, f)| out.take(table, s, f))?;
            } else {
                out.take_raw(table, &manifest.manifest_path, got).await?;
            }
        }
        Ok(out)
    }

    /// Every live delete file's path.
    pub fn delete_files(&self) -> impl Iterator<Item = &str> {
        self.parsed_deletes
            .iter()
            .chain(&self.unparsed_deletes)
            .map(String::as_str)
    }

    fn take(&mut self, table: &Identifier, status: Status, file: DataFile) -> Result<()> {
        if status == Status::Deleted {
            self.dead += 1;
            return Ok(());
        }
        match file.content() {
            Content::Data => self.data.push(file),
            Content::PositionDeletes => self.parsed_deletes.push(file.file_path().clone()),
            Content::EqualityDeletes => return Err(equality_deletes(table, file.file_path())),
        }
        Ok(())
    }

    /// A manifest iceberg-rust read only in part: every raw entry, the parsed ones taken as
    /// parsed.
    async fn take_raw(
        &mut self,
        table: &Table,
        manifest: &str,
        got: Vec<(Status, DataFile)>,
    ) -> Result<()> {
        let mut parsed: HashMap<String, (Status, DataFile)> = got
            .into_iter()
            .map(|(s, f)| (f.file_path().clone(), (s, f)))
            .collect();
        let bytes = scan::get(table, manifest).await?;
        for raw in raw_entries(&bytes, manifest)? {
            if let Some((status, file)) = parsed.remove(&raw.path) {
                self.take(table.identifier(), status, file)?;
                continue;
            }
            match (raw.status, raw.content) {
                (2, _) => self.dead += 1,
                (_, 1) => self.unparsed_deletes.push(raw.path),
                (_, 2) => return Err(equality_deletes(table.identifier(), &raw.path)),
                _ => {
                    return Err(Error::corrupt(
                        format!("manifest {manifest}"),
                        format!(
                            "iceberg-rust 0.10 cannot read the entry of data file {}; \
                             gamelake will not read the table without it",
                            raw.path
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn equality_deletes(table: &Identifier, path: &str) -> Error {
    Error::Schema(format!(
        "table {table}: equality delete file {path} found; gamelake reads only position \
         deletes: rewrite the table's delete files with the engine that wrote them (Spark's \
         rewrite_position_delete_files, or rewrite_data_files) and rerun"
    ))
}

/// `status`, `data_file.content` (0 in v1 manifests, which have none) and
/// `data_file.file_path` of every entry of an Avro manifest.
fn raw_entries(bytes: &[u8], manifest: &str) -> Result<Vec<RawEntry>> {
    let bad = |what: String| Error::corrupt(format!("manifest {manifest}"), what);
    let reader = apache_avro::Reader::new(bytes).map_err(|e| bad(e.to_string()))?;
    let mut out = Vec::new();
    for record in reader {
        let Avro::Record(fields) = record.map_err(|e| bad(e.to_string()))? else {
            return Err(bad("an entry is not a record".into()));
        };
        let field = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        let Some(Avro::Int(status)) = field("status") else {
            return Err(bad("an entry without an int status".into()));
        };
        let Some(Avro::Record(file)) = field("data_file") else {
            return Err(bad("an entry without data_file".into()));
        };
        let of_file = |name: &str| file.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        let content = match of_file("content") {
            Some(Avro::Int(c)) => *c,
            _ => 0,
        };
        let Some(Avro::String(path)) = of_file("file_path") else {
            return Err(bad("an entry without file_path".into()));
        };
        out.push(RawEntry {
            status: *status,
            content,
            path: path.clone(),
        });
    }
    Ok(out)
}

/// The summary value (`gamelake.maintenance`) of the relisting snapshot.
pub const RELIST_BEFORE_APPEND: &str = "relist-before-append";

/// Makes `table` safe for iceberg-rust's append: relists it when its current manifests list
/// a DELETED entry or one iceberg-rust cannot parse (which its append would drop). Returns
/// what the relisting did, if it ran.
pub async fn make_appendable(table: &mut Table) -> Result<Option<Relisted>> {
    if table
        .metadata()
        .current_snapshot(None)
        .map_err(IcebergError::from)?
        .is_none()
    {
        return Ok(None);
    }
    let manifests = super::manifests::list(table, None).await?;
    // Only a manifest that counts DELETED entries, or one of delete files (the entries
    // iceberg-rust cannot parse are Java's delete files), can hold what the append would
    // break: a table with neither (every dimension) costs no manifest read.
    let suspect = manifests
        .iter()
        .any(|m| m.deleted_files_count.unwrap_or(0) > 0 || m.content == ManifestContent::Deletes);
    if !suspect {
        return Ok(None);
    }
    let entries = Entries::read(table, &manifests).await?;
    if entries.dead == 0 && entries.unparsed_deletes.is_empty() {
        return Ok(None);
    }
    let files = TableFiles::load(table).await?;
    relist_before_append(table, files).await.map(Some)
}

/// Relists `table` from `files`, its current files as [`TableFiles::load`] read them (see
/// [`TableFiles::needs_relist_before_append`]).
pub async fn relist_before_append(table: &mut Table, files: TableFiles) -> Result<Relisted> {
    tracing::info!(
        table = %table.identifier(),
        removed_files_listed = files.dead_entries,
        unparsed_delete_files = files.unparsed_entries,
        "another engine rewrote this table: relisting its files before appending"
    );
    maintain::relist(table, files, RELIST_BEFORE_APPEND).await
}

/// The files `before`'s snapshots referenced that none of `after`'s does (the same table,
/// before and after an expiry): what the expiry freed, without listing the table's folder.
/// Each manifest list and manifest is read once: the expired snapshots' own manifests, and
/// those the retained snapshots reference.
pub(crate) async fn freed_by_expiry(before: &Table, after: &Table) -> Result<Vec<String>> {
    let ids = before.metadata().snapshots.keys().copied();
    let mut lists = super::manifests::lists(before, ids).await?;
    let mut kept = Referenced::default();
    for snapshot in after.metadata().snapshots.values() {
        let id = *snapshot.snapshot_id();
        let manifests = match lists.remove(&id) {
            Some(manifests) => manifests,
            None => super::manifests::list(after, Some(id)).await?,
        };
        kept.add(snapshot.manifest_list(), manifests);
    }
    let mut gone = Referenced::default();
    for snapshot in before.metadata().snapshots.values() {
        if let Some(manifests) = lists.remove(snapshot.snapshot_id()) {
            gone.add(snapshot.manifest_list(), manifests);
        }
    }
    gone.manifests
        .retain(|path, _| !kept.manifests.contains_key(path));
    let kept = kept.files(after).await?;
    let gone = gone.files(before).await?;
    Ok(gone.difference(&kept).cloned().collect())
}

/// Every file a table's snapshots reference: manifest lists, manifests, and the live data and
/// delete files of those manifests (object-store paths). Entries are read with [`Entries`],
/// so one iceberg-rust skips (another engine's delete file) still counts: a file counted
/// here is never taken for freed. Each manifest is read once however many snapshots share it.
pub async fn referenced_files(table: &Table) -> Result<HashSet<String>> {
    let snapshots = &table.metadata().snapshots;
    let lists = super::manifests::lists(table, snapshots.keys().copied()).await?;
    let mut referenced = Referenced::default();
    for (id, manifests) in lists {
        // Always there: the ids are the map's own.
        if let Some(snapshot) = snapshots.get(&id) {
            referenced.add(snapshot.manifest_list(), manifests);
        }
    }
    referenced.files(table).await
}

/// Manifest lists and the manifests they list (each once), gathered over some snapshots.
#[derive(Default)]
struct Referenced {
    lists: HashSet<String>,
    manifests: HashMap<String, ManifestListEntry>,
}

impl Referenced {
    /// Adds a snapshot's manifest list (its path) and the manifests it lists.
    fn add(&mut self, list: &str, manifests: Vec<ManifestListEntry>) {
        self.lists.insert(strip_prefix(list));
        for m in manifests {
            self.manifests.entry(m.manifest_path.clone()).or_insert(m);
        }
    }

    /// The lists, the manifests, and the files the manifests' entries list, read from
    /// `table`'s store (object-store paths).
    async fn files(self, table: &Table) -> Result<HashSet<String>> {
        let mut files = self.lists;
        let manifests: Vec<ManifestListEntry> = self.manifests.into_values().collect();
        files.extend(manifests.iter().map(|m| strip_prefix(&m.manifest_path)));
        let entries = Entries::read(table, &manifests).await?;
        files.extend(entries.data.iter().map(|f| strip_prefix(f.file_path())));
        files.extend(entries.delete_files().map(strip_prefix));
        Ok(files)
    }
}
