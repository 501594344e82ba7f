//! A run's commits, held back until they are published together.
//!
//! [`StagingCatalog`] wraps the real catalog. Loads pass through (a table this run changed
//! comes back as this run left it); table commits do not reach the catalog: each is checked
//! against the table as this run sees it (its requirements, the next sequence number) and
//! applied to a private copy of the metadata. Data, delete and manifest files are written as
//! usual, so everything a run stages can be read back (the data checks do) before anyone else
//! sees it. [`StagingCatalog::publish`] then makes every staged table current at once:
//!
//! - embedded catalog: one SQLite transaction swaps every table's metadata pointer, each still
//!   compare-and-swapped against the metadata the run started from, after the caller's fence
//!   (the lease check) ran inside the same transaction;
//! - REST catalog: one `POST /v1/{prefix}/transactions/commit` carrying every table's updates
//!   with requirements that pin the table as the run found it (uuid, `main` snapshot); a
//!   server without that endpoint gets one commit per table in staging order (the order of
//!   each table's last commit: dimensions, bridges, facts, the runs table last), with a
//!   warning: see [`PublishMode`].
//!
//! It is also the one place where the lineage gap of iceberg-rust 0.10 is closed: `replace`
//! snapshots carry no `parent-snapshot-id`; a staged snapshot without one gets the table's
//! current snapshot as its parent.
//!
//! Creating a table is not staged (an empty table is created at once): the REST multi-table
//! commit cannot create tables everywhere, and an empty new table reads as "no data yet".
//!
//! Must never: let a staged commit reach the catalog before [`StagingCatalog::publish`], or
//! publish a table whose catalog state moved since this run loaded it.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use iceberg_rust::catalog::Catalog;
use iceberg_rust::catalog::commit::{
    CommitTable, TableRequirement, TableUpdate, apply_table_updates,
};
use iceberg_rust::catalog::create::CreateTable;
use iceberg_rust::catalog::identifier::Identifier;
use iceberg_rust::catalog::tabular::Tabular;
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::spec::snapshot::Snapshot;
use iceberg_rust::spec::table_metadata::TableMetadata;
use iceberg_rust::table::Table;
use object_store::ObjectStore;

pub use super::change::{Fence, TableChange};
use super::change::{check_commit, publish_error};
use super::embedded::EmbeddedCatalog;
use super::rest::RestClient;
use super::wrap::{TableOps, wrapping_catalog};
use crate::Result;

/// Where published tables go.
#[derive(Clone)]
pub enum Target {
    /// The embedded SQLite catalog: one transaction.
    Embedded(Arc<EmbeddedCatalog>),
    /// An Iceberg REST catalog: the multi-table commit, or per-table commits.
    Rest(Arc<RestClient>),
}

/// How a run's tables were published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishMode {
    /// Nothing was staged.
    Nothing,
    /// All at once: readers saw the previous state or this one.
    Atomic,
    /// The catalog has no multi-table commit: one commit per table, in dependency order. A
    /// reader during the publish may see some tables new and some old.
    PerTable,
}

struct Pending {
    change: TableChange,
    store: Arc<dyn ObjectStore>,
}

/// A catalog that holds a run's table commits until [`StagingCatalog::publish`].
pub struct StagingCatalog {
    inner: Arc<dyn Catalog>,
    /// Staged tables in the order of their last commit.
    pending: Mutex<Vec<Pending>>,
}

impl std::fmt::Debug for StagingCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StagingCatalog").finish_non_exhaustive()
    }
}

impl StagingCatalog {
    /// Stages commits meant for `inner`.
    pub fn new(inner: Arc<dyn Catalog>) -> Arc<Self> {
        Arc::new(Self {
            inner,
            pending: Mutex::new(Vec::new()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Pending>> {
        // A panic while holding this lock leaves nothing half-applied (updates are applied to
        // a copy first), so a poisoned lock is still consistent.
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A catalog that shows the tables as this one has them staged now: later commits here
    /// do not show in it, nor its own here. For reading a run's staged state at a point
    /// (what its tidy left, against which its own writes are then compared); never
    /// published.
    pub fn copy_of_now(&self) -> Arc<Self> {
        let pending = self
            .lock()
            .iter()
            .map(|p| Pending {
                change: p.change.clone(),
                store: p.store.clone(),
            })
            .collect();
        Arc::new(Self {
            inner: self.inner.clone(),
            pending: Mutex::new(pending),
        })
    }

    /// The staged changes, in the order of their last commit.
    pub fn changes(&self) -> Vec<TableChange> {
        self.lock().iter().map(|p| p.change.clone()).collect()
    }

    /// Drops what was staged (its files stay, unreferenced: `maintain` removes them).
    pub fn discard(&self) {
        self.lock().clear();
    }

    fn staged(&self, identifier: &Identifier) -> Option<(TableMetadata, Arc<dyn ObjectStore>)> {
        self.lock()
            .iter()
            .find(|p| &p.change.identifier == identifier)
            .map(|p| (p.change.result.clone(), p.store.clone()))
    }

    /// Publishes every staged table at once (see the module docs) and forgets them. `fence`
    /// runs inside the embedded catalog's transaction; callers on REST check before.
    /// `message` names the publish where the catalog keeps a log (Nessie's commit message).
    pub async fn publish(
        &self,
        target: &Target,
        fence: Option<Fence>,
        message: &str,
    ) -> Result<PublishMode> {
        let changes = self.changes();
        if changes.is_empty() {
            return Ok(PublishMode::Nothing);
        }
        let mode = match target {
            Target::Embedded(catalog) => {
                catalog.commit_all(&changes, fence).await?;
                PublishMode::Atomic
            }
            Target::Rest(client) => {
                let commits: Vec<CommitTable> = changes.iter().map(rest_commit).collect();
                if client
                    .commit_transaction(commits.clone(), None, message)
                    .await?
                {
                    PublishMode::Atomic
                } else {
                    tracing::warn!(
                        "the REST catalog has no multi-table commit (POST \
                         /v1/{{prefix}}/transactions/commit): publishing table by table in \
                         dependency order; readers may see a mix of runs until it is done"
                    );
                    for commit in commits {
                        let table = commit.identifier.to_string();
                        client
                            .catalog()
                            .update_table(commit)
                            .await
                            .map_err(|e| publish_error(&table, e))?;
                    }
                    PublishMode::PerTable
                }
            }
        };
        self.discard();
        Ok(mode)
    }

    /// Publishes every staged table, at once, to Nessie branch `branch` instead of the
    /// catalog's own (write-audit-publish: a run whose checks failed keeps its tables there)
    /// and forgets them. The branch must have been made from the state this run read.
    pub async fn publish_to_branch(
        &self,
        client: &RestClient,
        branch: &str,
        message: &str,
    ) -> Result<()> {
        let commits: Vec<CommitTable> = self.changes().iter().map(rest_commit).collect();
        if !commits.is_empty()
            && !client
                .commit_transaction(commits, Some(branch), message)
                .await?
        {
            return Err(crate::Error::Config(format!(
                "the catalog has no multi-table commit: the run's tables cannot be kept on \
                 branch {branch}"
            )));
        }
        self.discard();
        Ok(())
    }
}

/// A table's staged change as one REST commit: its updates, under requirements that hold only
/// if nobody changed the table since this run loaded it.
fn rest_commit(change: &TableChange) -> CommitTable {
    let mut requirements = vec![TableRequirement::AssertTableUuid {
        uuid: change.base.table_uuid,
    }];
    if let Ok(Some(snapshot)) = change.base.current_snapshot(None) {
        requirements.push(TableRequirement::AssertRefSnapshotId {
            r#ref: "main".to_string(),
            snapshot_id: *snapshot.snapshot_id(),
        });
    }
    for r in &change.requirements {
        if !requirements.contains(r) {
            requirements.push(r.clone());
        }
    }
    CommitTable {
        identifier: change.identifier.clone(),
        requirements,
        updates: change.updates.clone(),
    }
}

/// Gives each new snapshot without a parent the snapshot `main` points at before it
/// (iceberg-rust 0.10's `replace` leaves `parent-snapshot-id` out).
fn with_lineage(metadata: &TableMetadata, updates: &mut [TableUpdate]) -> Result<(), IcebergError> {
    let mut head = metadata
        .current_snapshot(None)
        .ok()
        .flatten()
        .map(|s| *s.snapshot_id());
    for update in updates.iter_mut() {
        match update {
            TableUpdate::AddSnapshot { snapshot } => {
                if snapshot.parent_snapshot_id().is_none()
                    && let Some(parent) = head
                {
                    *snapshot = with_parent(snapshot, parent)?;
                }
            }
            TableUpdate::SetSnapshotRef {
                ref_name,
                snapshot_reference,
            } if ref_name == "main" => head = Some(snapshot_reference.snapshot_id),
            _ => {}
        }
    }
    Ok(())
}

/// The snapshot with `parent` as its parent (through its JSON form: the spec type has no
/// setter).
fn with_parent(snapshot: &Snapshot, parent: i64) -> Result<Snapshot, IcebergError> {
    let mut json = serde_json::to_value(snapshot)?;
    if let Some(fields) = json.as_object_mut() {
        fields.insert("parent-snapshot-id".to_string(), parent.into());
    }
    Ok(serde_json::from_value(json)?)
}

wrapping_catalog!(StagingCatalog, inner);

#[async_trait]
impl TableOps for StagingCatalog {
    async fn load(self: Arc<Self>, identifier: &Identifier) -> Result<Tabular, IcebergError> {
        if let Some((metadata, store)) = self.staged(identifier) {
            return Ok(Tabular::Table(
                Table::new(identifier.clone(), self, store, metadata).await?,
            ));
        }
        match self.inner.clone().load_tabular(identifier).await? {
            Tabular::Table(t) => Ok(Tabular::Table(
                Table::new(
                    identifier.clone(),
                    self,
                    t.object_store(),
                    t.metadata().clone(),
                )
                .await?,
            )),
            other => Ok(other),
        }
    }

    async fn create(
        self: Arc<Self>,
        identifier: Identifier,
        create_table: CreateTable,
    ) -> Result<Table, IcebergError> {
        let t = self
            .inner
            .clone()
            .create_table(identifier.clone(), create_table)
            .await?;
        Table::new(identifier, self, t.object_store(), t.metadata().clone()).await
    }

    async fn commit(self: Arc<Self>, commit: CommitTable) -> Result<Table, IcebergError> {
        let CommitTable {
            identifier,
            requirements,
            mut updates,
        } = commit;
        let staged = self.staged(&identifier);
        let (current, store) = match staged {
            Some(s) => s,
            None => match self.inner.clone().load_tabular(&identifier).await? {
                Tabular::Table(t) => (t.metadata().clone(), t.object_store()),
                _ => {
                    return Err(IcebergError::NotSupported(format!(
                        "{identifier} is not a table"
                    )));
                }
            },
        };
        check_commit(&identifier, &current, &requirements, &updates)?;
        with_lineage(&current, &mut updates)?;
        let mut result = current.clone();
        apply_table_updates(&mut result, updates.clone())?;
        {
            let mut pending = self.lock();
            match pending
                .iter()
                .position(|p| p.change.identifier == identifier)
            {
                // A table committed again moves to the end: tables are published in the order
                // of their last commit, so a table a run tidied first and writes last (the
                // fact, with its record of the raw files processed; the runs table, with the
                // run's row) is published after the tables written before it.
                Some(at) => {
                    let mut p = pending.remove(at);
                    p.change.updates.extend(updates);
                    p.change.result = result.clone();
                    pending.push(p);
                }
                None => pending.push(Pending {
                    change: TableChange {
                        identifier: identifier.clone(),
                        base: current,
                        requirements,
                        updates,
                        result: result.clone(),
                    },
                    store: store.clone(),
                }),
            }
        }
        Table::new(identifier, self, store, result).await
    }

    async fn remove(&self, _identifier: &Identifier) -> Result<(), IcebergError> {
        Err(IcebergError::NotSupported(
            "dropping a table inside a staged run".into(),
        ))
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
        Table::new(identifier, self, t.object_store(), t.metadata().clone()).await
    }
}
