//! Schema evolution: brings a table written by an earlier release up to its `schemas/` file.
//!
//! Field ids are positional ([`crate::schema`]), so the only change a release may make to an
//! existing table is to append columns. This module compares a loaded table's current schema
//! with its definition and, when the definition has more columns, commits one new schema with
//! those columns appended (Iceberg's `add-schema` + `set-current-schema`), before anything is
//! written to the table. Rows already in the table read the new columns as null until their
//! game is rebuilt (a change, or `gamelake etl --full-refresh`); no data file is rewritten.
//!
//! What it must never do: rename, retype, reorder or drop a column, or reuse a field id the
//! table ever assigned. Any such difference is an [`Error::Schema`] that names the table and
//! column, and nothing is committed.
//!
//! Why here and not through iceberg-rust: in iceberg-rust 0.10, `TableTransaction::add_schema`
//! adds a schema but never makes it current, and `TableMetadata::current_schema` answers the
//! schema of the *current snapshot*, not `current-schema-id`: every write and every new
//! snapshot would go on using the old schema. So the commit is built by hand and sent through
//! the catalog's `update_table` (both the embedded and the REST catalogs implement it): the new
//! schema, `set-current-schema`, and, when the table has data, a snapshot of the same files
//! (the current manifest list, operation `replace`) that carries the new schema id, so the
//! snapshots after it carry it too.

use std::sync::Arc;

use iceberg_rust::catalog::Catalog;
use iceberg_rust::catalog::commit::{CommitTable, TableRequirement, TableUpdate};
use iceberg_rust::catalog::identifier::Identifier;
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::spec::schema::Schema;
use iceberg_rust::spec::types::StructField;
use iceberg_rust::table::Table;

use crate::schema::TableDef;
use crate::{Error, Result};

/// What a table's schema needs to match its definition.
#[derive(Debug, Clone, PartialEq)]
pub enum Evolution {
    /// The table has every column of its definition.
    UpToDate,
    /// These columns (by their position in the definition) are to be appended.
    Append(Vec<StructField>),
}

/// Compares `table`'s current schema with `def`: every column the table has must be the
/// definition's column at the same position, with the same name and type.
pub fn plan(table: &Table, def: &TableDef) -> Result<Evolution> {
    let metadata = table.metadata();
    let current = table
        .current_schema(None)
        .map_err(|e| Error::Schema(format!("{}: {e}", def.name)))?;
    let wanted = def.iceberg_schema()?;
    let have: Vec<&StructField> = current.fields().iter().collect();
    let want: Vec<&StructField> = wanted.fields().iter().collect();
    if have.len() > want.len() {
        return Err(Error::Schema(format!(
            "{}: the warehouse's table has {} columns but this release defines {} \
             (`{}` and after are unknown to it); it was written by a newer gamelake: use that \
             release",
            def.name,
            have.len(),
            want.len(),
            have[want.len()].name
        )));
    }
    for (h, w) in have.iter().zip(&want) {
        if h.id != w.id || h.name != w.name || h.field_type != w.field_type {
            return Err(Error::Schema(format!(
                "{}: column {} is `{}` ({}) in the warehouse but `{}` ({}) in schemas/{}.toml; \
                 gamelake only appends columns to existing tables, so this table must be \
                 rebuilt by hand (drop it, then `gamelake etl --full-refresh`)",
                def.name, w.id, h.name, h.field_type, w.name, w.field_type, def.name
            )));
        }
    }
    if have.len() == want.len() {
        return Ok(Evolution::UpToDate);
    }
    let added: Vec<StructField> = want[have.len()..]
        .iter()
        .map(|f| StructField {
            // A column added to a table that holds rows cannot be required in Iceberg v2
            // (no initial default): existing rows read it as null.
            required: false,
            ..(*f).clone()
        })
        .collect();
    if let Some(reused) = added.iter().find(|f| f.id <= metadata.last_column_id) {
        return Err(Error::Schema(format!(
            "{}: column `{}` would take field id {}, which the table already assigned once \
             (last id {}); the table was changed outside gamelake and must be rebuilt by hand",
            def.name, reused.name, reused.id, metadata.last_column_id
        )));
    }
    Ok(Evolution::Append(added))
}

/// Appends the columns `def` has and `table` lacks, in one commit; returns the table as it is
/// now. A table that is up to date is returned as it was, without a commit.
pub async fn evolve(
    catalog: Arc<dyn Catalog>,
    identifier: Identifier,
    table: Table,
    def: &TableDef,
) -> Result<Table> {
    let Evolution::Append(added) = plan(&table, def)? else {
        return Ok(table);
    };
    let metadata = table.metadata();
    let current = table
        .current_schema(None)
        .map_err(|e| Error::Schema(format!("{}: {e}", def.name)))?;
    let schema_id = metadata.schemas.keys().max().copied().unwrap_or(0) + 1;
    let mut builder = Schema::builder();
    builder.with_schema_id(schema_id);
    for f in current.fields().iter().chain(&added) {
        builder.with_struct_field(f.clone());
    }
    let schema = builder
        .build()
        .map_err(|e| Error::Schema(format!("{}: {e}", def.name)))?;
    let last_column_id = added.iter().map(|f| f.id).max();
    let names: Vec<String> = added.iter().map(|f| f.name.clone()).collect();
    let mut requirements = vec![
        TableRequirement::AssertCurrentSchemaId {
            current_schema_id: metadata.current_schema_id,
        },
        TableRequirement::AssertLastAssignedFieldId {
            last_assigned_field_id: metadata.last_column_id,
        },
    ];
    let mut updates = vec![
        TableUpdate::AddSchema {
            schema,
            last_column_id,
        },
        TableUpdate::SetCurrentSchema { schema_id },
    ];
    let current_snapshot = metadata
        .current_snapshot(None)
        .map_err(|e| Error::Schema(format!("{}: {e}", def.name)))?;
    if let Some(current) = current_snapshot {
        // The same files under the new schema id (see the module docs).
        let (requirement, reuse) = super::restore::reuse_files(
            metadata,
            current,
            schema_id,
            ("gamelake.schema-evolved".to_string(), names.join(",")),
        )
        .map_err(|e| Error::Schema(format!("{}: {e}", def.name)))?;
        requirements.extend(requirement);
        updates.extend(reuse);
    }
    let commit = CommitTable {
        identifier,
        requirements,
        updates,
    };
    let table = catalog
        .update_table(commit)
        .await
        .map_err(|e: IcebergError| match e {
            e if crate::catalog::is_conflict(&e) => Error::Conflict(crate::error::Conflict {
                table: def.name.clone(),
                detail: format!(
                    "adding columns {names:?}: another writer changed the table's schema at \
                     the same time ({e}); rerun the command"
                ),
            }),
            e => e.into(),
        })?;
    tracing::info!(
        table = def.name,
        columns = ?names,
        "schema evolved: columns appended (existing rows read them as null)"
    );
    Ok(table)
}
