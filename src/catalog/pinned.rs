//! A command's view of the catalog: each table as the command first loaded it.
//!
//! A run loads its tables many times, since every step loads what it reads: the checks'
//! scope, the stored keys, each upsert, the listing of its changes, the checks. That is
//! about eight loads a table. On a REST catalog each load is a request, and Nessie reads
//! the table's metadata file from object storage for each. [`PinnedCatalog`] wraps the
//! catalog for one run, or one read-only command (a check, a report, a query), whose
//! queries then read one state of every table. The first load of a table goes to the
//! catalog; later loads get the same metadata back. So a run reads each table as of one
//! moment, every step alike, and a foreign commit made mid-run reaches the run's publish
//! as the conflict it is, not as rows one step saw and another did not.
//!
//! The run's own commits through it keep it current. A commit that succeeds pins what the
//! catalog returned. A commit that fails (a conflict, say) unpins the table, so a retry
//! loads it afresh. A table missing at its first load stays missing to the run until the
//! run creates it through here; a create that fails (another writer created it first)
//! unpins the name, so the next load asks the catalog.
//!
//! Must never: outlive its command (a later run would read the tables as this one found
//! them), or serve a table after a failed commit of it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use iceberg_rust::catalog::Catalog;
use iceberg_rust::catalog::commit::CommitTable;
use iceberg_rust::catalog::create::CreateTable;
use iceberg_rust::catalog::identifier::Identifier;
use iceberg_rust::catalog::tabular::Tabular;
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::spec::table_metadata::TableMetadata;
use iceberg_rust::table::Table;
use object_store::ObjectStore;

use super::wrap::{TableOps, wrapping_catalog};

/// A catalog whose tables load once (see the module docs).
pub struct PinnedCatalog {
    inner: Arc<dyn Catalog>,
    /// What the run holds of each table it asked for: `None` where the table was missing.
    pinned: Mutex<HashMap<Identifier, Option<Pinned>>>,
}

/// A table as the run holds it.
#[derive(Clone)]
struct Pinned {
    metadata: TableMetadata,
    store: Arc<dyn ObjectStore>,
}

impl std::fmt::Debug for PinnedCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinnedCatalog").finish_non_exhaustive()
    }
}

impl PinnedCatalog {
    /// Pins the tables of `inner` as they are first loaded through the result.
    pub fn new(inner: Arc<dyn Catalog>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            pinned: Mutex::new(HashMap::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Identifier, Option<Pinned>>> {
        // Entries are inserted and removed whole, so a poisoned map is still consistent.
        self.pinned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Pins what a first load found (`None`: no table) unless a concurrent first load
    /// pinned the table already; either way, what is pinned is what every load gets from
    /// now on.
    fn pin_first(&self, identifier: &Identifier, found: Option<&Table>) -> Option<Pinned> {
        self.lock()
            .entry(identifier.clone())
            .or_insert_with(|| {
                found.map(|t| Pinned {
                    metadata: t.metadata().clone(),
                    store: t.object_store(),
                })
            })
            .clone()
    }

    /// Pins `table` as it now is (the run's own commit returned it).
    fn repin(&self, identifier: &Identifier, table: &Table) -> Pinned {
        let pinned = Pinned {
            metadata: table.metadata().clone(),
            store: table.object_store(),
        };
        self.lock().insert(identifier.clone(), Some(pinned.clone()));
        pinned
    }

    /// A table of this catalog, so its commits come back through it.
    async fn table(
        self: Arc<Self>,
        identifier: Identifier,
        pinned: Pinned,
    ) -> Result<Table, IcebergError> {
        Table::new(identifier, self, pinned.store, pinned.metadata).await
    }
}

wrapping_catalog!(PinnedCatalog, inner);

#[async_trait]
impl TableOps for PinnedCatalog {
    async fn load(self: Arc<Self>, identifier: &Identifier) -> Result<Tabular, IcebergError> {
        let held = self.lock().get(identifier).cloned();
        let pinned = match held {
            Some(pinned) => pinned,
            None => match self.inner.clone().load_tabular(identifier).await {
                Ok(Tabular::Table(t)) => self.pin_first(identifier, Some(&t)),
                Ok(other) => return Ok(other),
                Err(IcebergError::CatalogNotFound) => self.pin_first(identifier, None),
                Err(e) => return Err(e),
            },
        };
        match pinned {
            Some(pinned) => Ok(Tabular::Table(
                self.table(identifier.clone(), pinned).await?,
            )),
            None => Err(IcebergError::CatalogNotFound),
        }
    }

    async fn create(
        self: Arc<Self>,
        identifier: Identifier,
        create: CreateTable,
    ) -> Result<Table, IcebergError> {
        let created = self
            .inner
            .clone()
            .create_table(identifier.clone(), create)
            .await;
        let t = created.inspect_err(|_| {
            self.lock().remove(&identifier);
        })?;
        let pinned = self.repin(&identifier, &t);
        self.table(identifier, pinned).await
    }

    async fn commit(self: Arc<Self>, commit: CommitTable) -> Result<Table, IcebergError> {
        let identifier = commit.identifier.clone();
        match self.inner.clone().update_table(commit).await {
            Ok(t) => {
                let pinned = self.repin(&identifier, &t);
                self.table(identifier, pinned).await
            }
            Err(e) => {
                self.lock().remove(&identifier);
                Err(e)
            }
        }
    }

    async fn remove(&self, identifier: &Identifier) -> Result<(), IcebergError> {
        self.lock().remove(identifier);
        self.inner.drop_table(identifier).await
    }

    async fn register(
        self: Arc<Self>,
        identifier: Identifier,
        metadata_location: &str,
    ) -> Result<Table, IcebergError> {
        let t = self
            .inner
            .clone()
            .register_table(identifier.clone(), metadata_location)
            .await?;
        let pinned = self.repin(&identifier, &t);
        self.table(identifier, pinned).await
    }
}
