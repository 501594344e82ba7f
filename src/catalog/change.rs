//! What a run's publish hands to a catalog: each table's staged change, the fence checked
//! inside the publishing transaction, and the checks every commit path shares.
//!
//! Must never: depend on a particular catalog (the embedded and REST ones both use it).

use std::sync::Arc;

use iceberg_rust::catalog::commit::{TableRequirement, TableUpdate, check_table_requirements};
use iceberg_rust::catalog::identifier::Identifier;
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::spec::table_metadata::TableMetadata;

use crate::error::Conflict;
use crate::{Error, Result};

/// A check run inside the publishing transaction where the catalog has one (the embedded
/// catalog): an error aborts the publish. The lease is checked this way.
pub type Fence = Arc<dyn Fn() -> Result<()> + Send + Sync>;

/// One table's staged change.
#[derive(Debug, Clone)]
pub struct TableChange {
    /// The table.
    pub identifier: Identifier,
    /// The metadata the run loaded before its first commit to the table.
    pub base: TableMetadata,
    /// The first commit's requirements (checked against `base`).
    pub requirements: Vec<TableRequirement>,
    /// Every staged update, in order.
    pub updates: Vec<TableUpdate>,
    /// `base` with `updates` applied: what the table is once published.
    pub result: TableMetadata,
}

/// A publish that failed on one table.
pub fn publish_error(table: &str, e: IcebergError) -> Error {
    if super::is_conflict(&e) {
        Error::Conflict(Conflict {
            table: table.to_string(),
            detail: format!(
                "{e}; another writer changed the table while this run was staging, nothing of \
                 this run was published for it: rerun the command"
            ),
        })
    } else {
        e.into()
    }
}

/// A [`Conflict`] on `id`, as catalogs return it to iceberg-rust.
pub fn conflict(id: &Identifier, detail: impl Into<String>) -> IcebergError {
    IcebergError::External(Box::new(Conflict {
        table: id.to_string(),
        detail: detail.into(),
    }))
}

/// Checks a commit against `metadata` as the embedded catalog does: requirements, and every
/// new snapshot's sequence number (iceberg-rust's replace carries no requirement).
pub fn check_commit(
    id: &Identifier,
    metadata: &TableMetadata,
    requirements: &[TableRequirement],
    updates: &[TableUpdate],
) -> Result<(), IcebergError> {
    if !check_table_requirements(requirements, metadata) {
        return Err(conflict(
            id,
            "the table changed since it was loaded (requirements not met)",
        ));
    }
    let mut expected = metadata.last_sequence_number + 1;
    for update in updates {
        if let TableUpdate::AddSnapshot { snapshot } = update {
            if *snapshot.sequence_number() != expected {
                return Err(conflict(
                    id,
                    format!(
                        "snapshot has sequence number {} but the next is {expected}",
                        snapshot.sequence_number()
                    ),
                ));
            }
            expected += 1;
        }
    }
    Ok(())
}
