//! A table's whole contents, data files and position delete files, committed as one new
//! snapshot of fresh manifests: the commit of every rewrite gamelake does (a run's tidy,
//! `maintain`'s compaction, the relisting before an append to a table another engine wrote).
//!
//! iceberg-rust 0.10's `replace` lists every file it is given in one data manifest, so the
//! table it leaves can carry no delete file; and one transaction cannot add a delete file
//! after it (both pinned in `tests/it/upstream.rs`). A tidy that merges a table's small files
//! and keeps its large one as it is, with the positions deleted from it gathered into one
//! fresh delete file, needs both in one snapshot. This module writes that snapshot: one data
//! manifest, one delete manifest when there are delete files, the manifest list, and the
//! snapshot, committed through the table's catalog with the requirement that the table is
//! still at the snapshot it was read at. It is the one place gamelake writes manifests itself.
//!
//! Every file is listed ADDED at the new snapshot's sequence number, as iceberg-rust's
//! `replace` lists them. A position delete applies to data files whose sequence number is at
//! most its own (Iceberg spec, "Scan Planning"), so the gathered delete file applies to the
//! kept files it names. The snapshot's operation is `replace`: the table reads the same
//! rows before and after, which is what every caller here guarantees.
//!
//! Must never: list a delete file in a data manifest (or the reverse), commit over a snapshot
//! other than the one the contents were read from, or write equality deletes.

use std::collections::HashMap;

use iceberg_rust::catalog::commit::{CommitTable, TableRequirement, TableUpdate};
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::spec::manifest::{
    Content, DataFile, ManifestEntry, Status, partition_value_schema,
};
use iceberg_rust::spec::manifest_list::{
    Content as ManifestContent, FieldSummary, ManifestListEntry, manifest_list_schema_v2,
};
use iceberg_rust::spec::schema::SchemaV2;
use iceberg_rust::spec::snapshot::{
    Operation, SnapshotBuilder, SnapshotReference, SnapshotRetention, Summary, generate_snapshot_id,
};
use iceberg_rust::spec::table_metadata::{FormatVersion, TableMetadata};
use iceberg_rust::spec::util::strip_prefix;
use iceberg_rust::table::Table;
use object_store::{ObjectStoreExt, PutPayload};

use crate::{Error, Result};

/// What a table holds after a rewrite.
#[derive(Debug, Default)]
pub struct Contents {
    /// Its data files.
    pub data: Vec<DataFile>,
    /// Its position delete files (each names only files in `data`).
    pub deletes: Vec<DataFile>,
}

/// The snapshot a commit adds, as the manifests are written.
struct NewSnapshot<'a> {
    metadata: &'a TableMetadata,
    id: i64,
    sequence_number: i64,
    /// Names this commit's manifests and manifest list.
    tag: String,
}

/// Commits `contents` as the table's whole contents in one new snapshot whose summary
/// carries `summary` besides the totals. Fails with the catalog's conflict when the table
/// moved since `table` was loaded; `table` is the committed table afterwards.
pub async fn commit(
    table: &mut Table,
    contents: Contents,
    summary: HashMap<String, String>,
) -> Result<()> {
    check(table, &contents)?;
    let metadata = table.metadata();
    let current = metadata
        .current_snapshot(None)
        .map_err(IcebergError::from)?
        .map(|s| *s.snapshot_id());
    let new = NewSnapshot {
        metadata,
        id: generate_snapshot_id(),
        sequence_number: metadata.last_sequence_number + 1,
        tag: format!("{:032x}", fastrand::u128(..)),
    };
    let mut manifests = vec![new.manifest(table, &contents.data, 0).await?];
    if !contents.deletes.is_empty() {
        manifests.push(new.manifest(table, &contents.deletes, 1).await?);
    }
    let manifest_list = new.manifest_list(table, &manifests, current).await?;
    let summary = totals(&contents).into_iter().chain(summary).collect();
    let mut builder = new.snapshot(manifest_list, summary);
    // The table must still be at the snapshot the contents were read from.
    let (requirement, updates) = next_on_main(metadata, &mut builder)?;
    let requirements = requirement.into_iter().collect();
    *table = table
        .catalog()
        .update_table(CommitTable {
            identifier: table.identifier().clone(),
            requirements,
            updates,
        })
        .await?;
    Ok(())
}

/// The updates that add the snapshot `builder` describes as `main`'s next, its parent the
/// current snapshot, and the requirement that `main` is still there (so the commit fails
/// when another writer moved it). Every snapshot gamelake builds itself commits this way
/// (here, `restore`, `evolve`).
pub(crate) fn next_on_main(
    metadata: &TableMetadata,
    builder: &mut SnapshotBuilder,
) -> Result<(Option<TableRequirement>, Vec<TableUpdate>)> {
    let current = metadata
        .current_snapshot(None)
        .map_err(IcebergError::from)?
        .map(|s| *s.snapshot_id());
    if let Some(parent) = current {
        builder.with_parent_snapshot_id(parent);
    }
    let snapshot = builder.build().map_err(IcebergError::from)?;
    let requirement = current.map(|snapshot_id| TableRequirement::AssertRefSnapshotId {
        r#ref: "main".to_string(),
        snapshot_id,
    });
    let set_main = TableUpdate::SetSnapshotRef {
        ref_name: "main".to_string(),
        snapshot_reference: SnapshotReference {
            snapshot_id: *snapshot.snapshot_id(),
            retention: SnapshotRetention::default(),
        },
    };
    Ok((
        requirement,
        vec![TableUpdate::AddSnapshot { snapshot }, set_main],
    ))
}

/// Refuses what this module cannot commit: a format v1 table, or a file given in the wrong
/// list.
fn check(table: &Table, contents: &Contents) -> Result<()> {
    if table.metadata().format_version != FormatVersion::V2 {
        return Err(Error::Schema(format!(
            "{} is an Iceberg format v1 table: gamelake rewrites only v2 tables (upgrade it \
             with your engine, e.g. Spark's ALTER TABLE … SET TBLPROPERTIES \
             ('format-version'='2'))",
            table.identifier()
        )));
    }
    if let Some(file) = contents.data.iter().find(|f| *f.content() != Content::Data) {
        return Err(misplaced(file, "data"));
    }
    if let Some(file) = contents
        .deletes
        .iter()
        .find(|f| *f.content() != Content::PositionDeletes)
    {
        return Err(misplaced(file, "position delete"));
    }
    Ok(())
}

fn misplaced(file: &DataFile, wanted: &str) -> Error {
    Error::Internal(format!(
        "{} was given to a rewrite as a {wanted} file but is {:?}: nothing was committed. \
         This is a gamelake bug: report it with this line",
        file.file_path(),
        file.content()
    ))
}

/// The snapshot summary's totals (as the Iceberg spec names them) of a table holding
/// `contents`.
fn totals(contents: &Contents) -> HashMap<String, String> {
    let sum = |files: &[DataFile], f: fn(&DataFile) -> i64| files.iter().map(f).sum::<i64>();
    let size = |f: &DataFile| *f.file_size_in_bytes();
    let rows = |f: &DataFile| *f.record_count();
    [
        ("total-data-files", contents.data.len() as i64),
        ("total-delete-files", contents.deletes.len() as i64),
        ("total-records", sum(&contents.data, rows)),
        ("total-position-deletes", sum(&contents.deletes, rows)),
        ("total-equality-deletes", 0),
        (
            "total-file-size-bytes",
            sum(&contents.data, size) + sum(&contents.deletes, size),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

impl NewSnapshot<'_> {
    /// Writes one manifest listing `files` (all data, or all position deletes) as ADDED.
    async fn manifest(
        &self,
        table: &Table,
        files: &[DataFile],
        index: usize,
    ) -> Result<ManifestListEntry> {
        let meta = self.metadata;
        let content = match files.first().map(DataFile::content) {
            Some(Content::PositionDeletes) => ManifestContent::Deletes,
            _ => ManifestContent::Data,
        };
        let partition_fields = meta
            .current_partition_fields(None)
            .map_err(IcebergError::from)?;
        let entry_schema = ManifestEntry::schema(
            &partition_value_schema(&partition_fields).map_err(IcebergError::from)?,
            &meta.format_version,
        )
        .map_err(IcebergError::from)?;
        let header = manifest_header(meta, content)?;
        let entries = files
            .iter()
            .map(|file| {
                ManifestEntry::builder()
                    .with_format_version(meta.format_version)
                    .with_status(Status::Added)
                    .with_snapshot_id(self.id)
                    .with_sequence_number(self.sequence_number)
                    .with_data_file(file.clone())
                    .build()
                    .map_err(IcebergError::from)
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let path = format!("{}/metadata/{}-m{index}.avro", meta.location, self.tag);
        let length = put_avro(table, &entry_schema, &header, &entries, &path).await?;
        let count = |n: usize| Some(n as i32);
        let rows = files.iter().map(|f| *f.record_count()).sum::<i64>();
        Ok(ManifestListEntry {
            format_version: meta.format_version,
            manifest_path: path,
            manifest_length: length,
            partition_spec_id: meta.default_spec_id,
            content,
            sequence_number: self.sequence_number,
            min_sequence_number: self.sequence_number,
            added_snapshot_id: self.id,
            added_files_count: count(files.len()),
            existing_files_count: count(0),
            deleted_files_count: count(0),
            added_rows_count: Some(rows),
            existing_rows_count: Some(0),
            deleted_rows_count: Some(0),
            // Per-field bounds are optional: a reader without them reads every manifest,
            // which for our one data manifest is what it does anyway. gamelake's own tables
            // are unpartitioned (an empty list).
            partitions: partition_fields.is_empty().then(Vec::<FieldSummary>::new),
            key_metadata: None,
        })
    }

    /// The snapshot, its manifest list at `manifest_list`.
    fn snapshot(&self, manifest_list: String, summary: HashMap<String, String>) -> SnapshotBuilder {
        let mut builder = SnapshotBuilder::default();
        builder
            .with_snapshot_id(self.id)
            .with_sequence_number(self.sequence_number)
            .with_schema_id(self.metadata.current_schema_id)
            .with_manifest_list(manifest_list)
            .with_summary(Summary {
                operation: Operation::Replace,
                other: summary,
            });
        builder
    }

    /// Writes the manifest list of `manifests`; returns its location.
    async fn manifest_list(
        &self,
        table: &Table,
        manifests: &[ManifestListEntry],
        parent: Option<i64>,
    ) -> Result<String> {
        let mut header = vec![
            ("format-version", "2".to_string()),
            ("snapshot-id", self.id.to_string()),
            ("sequence-number", self.sequence_number.to_string()),
        ];
        if let Some(parent) = parent {
            header.push(("parent-snapshot-id", parent.to_string()));
        }
        let path = format!(
            "{}/metadata/snap-{}-0-{}.avro",
            self.metadata.location, self.id, self.tag
        );
        put_avro(table, manifest_list_schema_v2(), &header, manifests, &path).await?;
        Ok(path)
    }
}

/// The metadata of a manifest of `content` for the table's current schema and partition
/// spec, as the Iceberg spec names it (what readers check a manifest's entries against).
fn manifest_header(
    meta: &TableMetadata,
    content: ManifestContent,
) -> Result<Vec<(&'static str, String)>> {
    let schema = meta.current_schema(None).map_err(IcebergError::from)?;
    let spec = meta.default_partition_spec().map_err(IcebergError::from)?;
    let json = |v: serde_json::Result<String>| v.map_err(IcebergError::from);
    let content = match content {
        ManifestContent::Data => "data",
        ManifestContent::Deletes => "deletes",
    };
    Ok(vec![
        ("format-version", "2".to_string()),
        (
            "schema",
            json(serde_json::to_string(&SchemaV2::from(schema.clone())))?,
        ),
        ("schema-id", schema.schema_id().to_string()),
        (
            "partition-spec",
            json(serde_json::to_string(spec.fields()))?,
        ),
        ("partition-spec-id", meta.default_spec_id.to_string()),
        ("content", content.to_string()),
    ])
}

/// Writes `records` as an Avro file at `path` (a location in the table's store) with `header`
/// as its metadata; returns its length in bytes.
async fn put_avro<T: serde::Serialize>(
    table: &Table,
    schema: &apache_avro::Schema,
    header: &[(&str, String)],
    records: &[T],
    path: &str,
) -> Result<i64> {
    let mut writer = apache_avro::Writer::new(schema, Vec::new());
    for (key, value) in header {
        writer
            .add_user_metadata(key.to_string(), value)
            .map_err(IcebergError::from)?;
    }
    for record in records {
        writer.append_ser(record).map_err(IcebergError::from)?;
    }
    let bytes = writer.into_inner().map_err(IcebergError::from)?;
    let length = bytes.len() as i64;
    table
        .object_store()
        .put(&strip_prefix(path).as_str().into(), PutPayload::from(bytes))
        .await?;
    Ok(length)
}
