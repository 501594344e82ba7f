//! Restoring a table to an earlier snapshot, as a new snapshot: the earlier snapshot's
//! manifest list (its data and delete files, untouched) committed again on top of the
//! current one, so history is kept and readers of the table's log see a rollback, not a
//! rewrite. `gamelake rollback` restores every table this way in one publish.
//!
//! The restored snapshot keeps the table's current schema (columns added since read as null
//! in the restored rows) and points to the current snapshot as its parent.
//!
//! Must never: write or delete a data file, or restore a snapshot the table no longer has.

use std::collections::HashMap;

use iceberg_rust::catalog::commit::{CommitTable, TableRequirement, TableUpdate};
use iceberg_rust::spec::snapshot::{Operation, Snapshot, SnapshotBuilder, Summary};
use iceberg_rust::spec::table_metadata::TableMetadata;
use iceberg_rust::table::Table;

use crate::{Error, Result};

/// The updates that make `from`'s files the table's current contents again in a new
/// snapshot with `schema_id`, and the requirement that the table is still at its current
/// snapshot. `note` goes into the new snapshot's summary.
pub(crate) fn reuse_files(
    metadata: &TableMetadata,
    from: &Snapshot,
    schema_id: i32,
    note: (String, String),
) -> Result<(Option<TableRequirement>, Vec<TableUpdate>)> {
    // The totals carry over so the next snapshot's summary counts on from them.
    let summary = from
        .summary()
        .other
        .iter()
        .filter(|(k, _)| k.starts_with("total-"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain([note])
        .collect::<HashMap<_, _>>();
    let mut builder = SnapshotBuilder::default();
    builder
        .with_sequence_number(metadata.last_sequence_number + 1)
        .with_manifest_list(from.manifest_list().clone())
        .with_summary(Summary {
            operation: Operation::Replace,
            other: summary,
        })
        .with_schema_id(schema_id);
    super::rewrite::next_on_main(metadata, &mut builder)
}

/// Restores `table` to snapshot `from` (a new snapshot of its files) and sets `properties`,
/// in one commit through the table's catalog. `from` comes from the table's own metadata, or
/// on Nessie, which keeps only the current snapshot there, from the table as the catalog
/// shows it at an earlier commit ([`snapshot_then`]).
pub async fn restore(
    table: &Table,
    from: &Snapshot,
    properties: Vec<(String, String)>,
) -> Result<()> {
    let metadata = table.metadata();
    let (requirement, mut updates) = reuse_files(
        metadata,
        from,
        metadata.current_schema_id,
        (
            "gamelake.restored-from".to_string(),
            from.snapshot_id().to_string(),
        ),
    )?;
    updates.push(TableUpdate::SetProperties {
        updates: properties.into_iter().collect(),
    });
    table
        .catalog()
        .update_table(CommitTable {
            identifier: table.identifier().clone(),
            requirements: requirement.into_iter().collect(),
            updates,
        })
        .await?;
    Ok(())
}

/// Snapshot `snapshot_id` of a table whose metadata `then` shows it (its current metadata,
/// or its metadata at an earlier Nessie commit); [`Error::AsOf`] when it is gone.
pub fn snapshot_then(then: Option<&Table>, name: &str, snapshot_id: i64) -> Result<Snapshot> {
    then.and_then(|t| t.metadata().snapshots.get(&snapshot_id).cloned())
        .ok_or_else(|| {
            Error::AsOf(format!(
                "{name}: snapshot {snapshot_id} is gone (expired by `gamelake maintain`)"
            ))
        })
}
