//! The embedded catalog: Iceberg's SQL catalog layout in an SQLite file.
//!
//! Tables `iceberg_tables` and `iceberg_namespace_properties` are those of Java's
//! `JdbcCatalog` (with its `iceberg_type` column) and pyiceberg's `SqlCatalog`, so pyiceberg
//! opens our warehouse with `SqlCatalog("gamelake", uri="sqlite:///…/catalog.db",
//! warehouse="file://…")`.
//!
//! Guarantees this module must keep:
//! - every statement is parameterised; no value is ever formatted into SQL;
//! - a commit is a compare-and-swap: it reloads the current metadata, checks the commit's
//!   requirements against it, refuses a snapshot built on stale metadata (its sequence number
//!   must be the next one), writes the new metadata file, and swaps the pointer with
//!   `UPDATE … WHERE metadata_location = <the one it checked>`, which must change exactly one
//!   row. Anything else is a [`Conflict`] and nothing becomes visible;
//! - namespace creation is idempotent; no method panics.
//!
//! Views and materialized views are not used by gamelake and return `NotSupported`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use iceberg_rust::catalog::Catalog;
use iceberg_rust::catalog::commit::{CommitTable, CommitView, apply_table_updates};
use iceberg_rust::catalog::create::{CreateMaterializedView, CreateTable, CreateView};
use iceberg_rust::catalog::identifier::Identifier;
use iceberg_rust::catalog::namespace::Namespace;
use iceberg_rust::catalog::tabular::Tabular;
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::materialized_view::MaterializedView;
use iceberg_rust::spec::table_metadata::{MetadataLog, TableMetadata, new_metadata_location};
use iceberg_rust::spec::util::strip_prefix;
use iceberg_rust::table::Table;
use iceberg_rust::view::View;
use object_store::local::LocalFileSystem;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use rusqlite::{Connection, OptionalExtension, params};

use super::CATALOG_NAME;
use super::change::{Fence, TableChange, check_commit, conflict};
use crate::error::Conflict;
use crate::ident::validate_identifier;
use crate::kept::KeptByPath;
use crate::{Error, Result};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS iceberg_tables (
    catalog_name VARCHAR(255) NOT NULL,
    table_namespace VARCHAR(255) NOT NULL,
    table_name VARCHAR(255) NOT NULL,
    metadata_location VARCHAR(1000),
    previous_metadata_location VARCHAR(1000),
    iceberg_type VARCHAR(5),
    PRIMARY KEY (catalog_name, table_namespace, table_name)
);
CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
    catalog_name VARCHAR(255) NOT NULL,
    namespace VARCHAR(255) NOT NULL,
    property_key VARCHAR(255) NOT NULL,
    property_value VARCHAR(1000),
    PRIMARY KEY (catalog_name, namespace, property_key)
);";

/// An Iceberg catalog in a local SQLite file; table files in a local folder.
#[derive(Debug)]
pub struct EmbeddedCatalog {
    name: String,
    db_path: PathBuf,
    store: Arc<dyn ObjectStore>,
    /// Connections for the catalog's reads ([`Self::with_db`]).
    connections: Arc<Connections>,
    /// Metadata files read, as parsed ([`Self::read_metadata`]).
    parsed: Parsed,
}

/// Table metadata files as parsed, by location. A metadata file is written once under a
/// fresh name and never changes, and a run loads each table many times (to read it, stage
/// it, list its changes, check, tidy, expire and publish it), while the file grows with the
/// table's history (its snapshots and `metadata-log`): each is parsed once. Only what was
/// parsed is kept, not what was written: a commit compares metadata as read
/// ([`Catalog::update_table`]), and a file must compare equal to itself however it was
/// obtained.
#[derive(Debug)]
struct Parsed(std::sync::Mutex<KeptByPath<TableMetadata>>);

/// Metadata files kept parsed at most (a run loads a few versions of each of its tables).
const PARSED_KEPT: usize = 64;

impl Default for Parsed {
    fn default() -> Self {
        Self(std::sync::Mutex::new(KeptByPath::new(PARSED_KEPT)))
    }
}

impl Parsed {
    fn get(&self, location: &str) -> Option<TableMetadata> {
        self.0.lock().ok()?.get(location).cloned()
    }

    fn put(&self, location: &str, metadata: &TableMetadata) {
        if let Ok(mut kept) = self.0.lock() {
            kept.put(location, metadata.clone());
        }
    }
}

/// Open SQLite connections, kept for the next query: opening one reads the file's header and
/// schema again, and a run asks the catalog something for every table it loads (some 150
/// times). A kept connection reads what a fresh one would: it holds no lock between
/// statements, and SQLite checks at the start of every read whether another process changed
/// the file. Publishes open their own ([`swap_all`]).
#[derive(Debug, Default)]
struct Connections(std::sync::Mutex<Vec<Connection>>);

/// Connections kept at most: as many as queries run at once (a run loads tables side by side).
const CONNECTIONS_KEPT: usize = 4;

impl Connections {
    /// A kept connection, or a new one.
    fn take(&self, path: &Path) -> rusqlite::Result<Connection> {
        // A poisoned lock only means another query panicked: open a fresh connection.
        match self.0.lock().ok().and_then(|mut kept| kept.pop()) {
            Some(conn) => Ok(conn),
            None => connect(path),
        }
    }

    /// Keeps `conn` for the next query, unless enough are kept.
    fn keep(&self, conn: Connection) {
        if let Ok(mut kept) = self.0.lock()
            && kept.len() < CONNECTIONS_KEPT
        {
            kept.push(conn);
        }
    }
}

impl EmbeddedCatalog {
    /// Opens (creating if needed) the catalog database at `db_path`.
    pub fn open(db_path: &Path) -> Result<Arc<Self>> {
        let catalog = Self {
            name: CATALOG_NAME.to_string(),
            db_path: db_path.to_path_buf(),
            // Tables write data files under the object-storage layout, a hash folder a
            // file or so: a deleted file's folder is removed with it when left empty, or a
            // year of daily expiries leaves hundreds of empty folders a table for `maintain`
            // to walk. A writer that finds its folder gone creates it again.
            store: Arc::new(LocalFileSystem::new().with_automatic_cleanup(true)),
            connections: Arc::default(),
            parsed: Parsed::default(),
        };
        let conn = connect(&catalog.db_path).map_err(|e| catalog.db_err(e))?;
        conn.execute_batch(SCHEMA).map_err(|e| catalog.db_err(e))?;
        catalog.connections.keep(conn);
        Ok(Arc::new(catalog))
    }

    /// The path of the SQLite file.
    pub fn db_path(&self) -> &Path {
        &self.db_path
    }

    fn db_err(&self, source: rusqlite::Error) -> Error {
        Error::CatalogDb {
            path: self.db_path.clone(),
            source,
        }
    }

    /// Runs a blocking SQLite closure off the async runtime, on a kept connection. A
    /// connection whose query failed is not kept.
    async fn with_db<T, F>(&self, f: F) -> Result<T, IcebergError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (path, connections) = (self.db_path.clone(), self.connections.clone());
        let result = tokio::task::spawn_blocking(move || {
            let conn = connections.take(&path)?;
            let out = f(&conn);
            if out.is_ok() {
                connections.keep(conn);
            }
            out
        })
        .await
        .map_err(IcebergError::from)?;
        result.map_err(|e| external(self.db_err(e)))
    }

    async fn metadata_location(&self, id: &Identifier) -> Result<Option<String>, IcebergError> {
        let RowKey {
            catalog: name,
            namespace: ns,
            table,
        } = self.row_key(id)?;
        self.with_db(move |c| {
            c.query_row(
                "SELECT metadata_location FROM iceberg_tables \
                 WHERE catalog_name = ?1 AND table_namespace = ?2 AND table_name = ?3",
                params![name, ns, table],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()
            .map(Option::flatten)
        })
        .await
    }

    async fn read_metadata(&self, location: &str) -> Result<TableMetadata, IcebergError> {
        if let Some(metadata) = self.parsed.get(location) {
            return Ok(metadata);
        }
        let bytes = self
            .store
            .get(&strip_prefix(location).as_str().into())
            .await?
            .bytes()
            .await?;
        let metadata: TableMetadata = serde_json::from_slice(&bytes)?;
        self.parsed.put(location, &metadata);
        Ok(metadata)
    }

    async fn write_metadata(&self, metadata: &TableMetadata) -> Result<String, IcebergError> {
        let location = new_metadata_location(metadata);
        let json = serde_json::to_vec(metadata)?;
        self.store
            .put(
                &strip_prefix(&location).as_str().into(),
                PutPayload::from(json),
            )
            .await?;
        Ok(location)
    }

    /// Removes a metadata file no catalog row references, best effort: one left behind is
    /// an orphan that `maintain` removes, and the caller's error says what happened.
    async fn remove_unreferenced(&self, location: &str) {
        let path = strip_prefix(location);
        if let Err(e) = self.store.delete(&path.as_str().into()).await {
            tracing::debug!(
                location,
                "unreferenced metadata file left for maintain: {e}"
            );
        }
    }

    fn row_key(&self, id: &Identifier) -> Result<RowKey, IcebergError> {
        let ns = namespace_name(id.namespace())?;
        validate_identifier(id.name()).map_err(external)?;
        Ok(RowKey {
            catalog: self.name.clone(),
            namespace: ns,
            table: id.name().to_string(),
        })
    }

    /// Publishes several tables at once: writes each table's new metadata file, then in one
    /// SQLite transaction runs `fence` and swaps every table's pointer, each only if it still
    /// points at the metadata the change was staged from. Either every table moves or none
    /// does (a [`Conflict`], or `fence`'s error); the new metadata files of a failed publish
    /// are removed.
    pub async fn commit_all(&self, changes: &[TableChange], fence: Option<Fence>) -> Result<()> {
        let mut swaps = Vec::new();
        let mut written = Vec::new();
        let mut dropped = Vec::new();
        let result = async {
            for change in changes {
                let id = &change.identifier;
                let current = self.metadata_location(id).await?.ok_or_else(|| {
                    conflict(id, "the table was dropped while this run was staging")
                })?;
                if self.read_metadata(&current).await? != change.base {
                    return Err(conflict(
                        id,
                        "another writer committed to the table while this run was staging",
                    ));
                }
                let mut result = change.result.clone();
                dropped.extend(log_previous(
                    &current,
                    change.base.last_updated_ms,
                    &mut result,
                ));
                let new = self.write_metadata(&result).await?;
                written.push(new.clone());
                swaps.push(Swap {
                    key: self.row_key(id)?,
                    old: current,
                    new,
                    table: id.to_string(),
                });
            }
            Ok::<_, IcebergError>(())
        }
        .await;
        let result = match result {
            Ok(()) => {
                let path = self.db_path.clone();
                let db = self.db_path.clone();
                tokio::task::spawn_blocking(move || swap_all(&path, &swaps, fence))
                    .await?
                    .map_err(|e| match e {
                        SwapFailed::Db(source) => Error::CatalogDb { path: db, source },
                        SwapFailed::Moved(table) => Error::Conflict(Conflict {
                            table,
                            detail: "another writer committed to the table while this run was \
                                     publishing; nothing of this run was published: rerun the \
                                     command"
                                .into(),
                        }),
                        SwapFailed::Fenced(e) => e,
                    })
            }
            Err(e) => Err(super::change::publish_error("a table of this run", e)),
        };
        if result.is_err() {
            for location in written {
                let _ = self
                    .store
                    .delete(&strip_prefix(&location).as_str().into())
                    .await;
            }
        } else {
            for location in dropped {
                self.remove_unreferenced(&location).await;
            }
        }
        result
    }
}

/// Iceberg's table property: how many earlier metadata files `metadata-log` keeps (Java's
/// default 100).
pub const PREVIOUS_VERSIONS_MAX: &str = "write.metadata.previous-versions-max";
/// Iceberg's table property: delete the metadata files that fall off `metadata-log` after a
/// commit (Java's default false).
pub const DELETE_AFTER_COMMIT: &str = "write.metadata.delete-after-commit.enabled";
const DEFAULT_PREVIOUS_VERSIONS_MAX: usize = 100;

/// Keeps `metadata-log`, which iceberg-rust 0.10 never writes (docs/architecture.md, upstream
/// gaps): `previous` (the file the table pointed at, written at `previous_ms`) joins the log
/// of the new metadata, which keeps the newest `write.metadata.previous-versions-max`
/// entries. Returns the files that fell off the log when
/// `write.metadata.delete-after-commit.enabled` is true, for the caller to delete once the new
/// metadata is the table's; otherwise none.
fn log_previous(previous: &str, previous_ms: i64, new: &mut TableMetadata) -> Vec<String> {
    let property = |key: &str| new.properties.get(key).map(String::as_str);
    let keep = property(PREVIOUS_VERSIONS_MAX)
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(DEFAULT_PREVIOUS_VERSIONS_MAX)
        .max(1);
    let delete = property(DELETE_AFTER_COMMIT).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    new.metadata_log.push(MetadataLog {
        metadata_file: previous.to_string(),
        timestamp_ms: previous_ms,
    });
    let over = new.metadata_log.len().saturating_sub(keep);
    let fell_off = new.metadata_log.drain(..over).map(|e| e.metadata_file);
    if delete {
        fell_off.collect()
    } else {
        Vec::new()
    }
}

/// Why [`swap_all`] changed nothing.
enum SwapFailed {
    Db(rusqlite::Error),
    /// This table's pointer moved since it was checked.
    Moved(String),
    /// The fence refused.
    Fenced(Error),
}

/// A table's row in `iceberg_tables`.
struct RowKey {
    catalog: String,
    namespace: String,
    table: String,
}

/// One table's pointer moved from `old` to `new` metadata in a publish.
struct Swap {
    key: RowKey,
    old: String,
    new: String,
    /// `namespace.table`, for a conflict's message.
    table: String,
}

/// One transaction: the fence, then every pointer swap; rolled back unless all succeed.
fn swap_all(
    path: &Path,
    swaps: &[Swap],
    fence: Option<Fence>,
) -> std::result::Result<(), SwapFailed> {
    let mut conn = connect(path).map_err(SwapFailed::Db)?;
    // IMMEDIATE: the write lock is taken now, so nothing commits between the fence and the
    // swaps.
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(SwapFailed::Db)?;
    if let Some(fence) = fence {
        fence().map_err(SwapFailed::Fenced)?;
    }
    for Swap {
        key,
        old,
        new,
        table,
    } in swaps
    {
        let swapped = tx
            .execute(
                "UPDATE iceberg_tables SET metadata_location = ?1, previous_metadata_location = ?2 \
                 WHERE catalog_name = ?3 AND table_namespace = ?4 AND table_name = ?5 \
                 AND metadata_location = ?2",
                params![new, old, key.catalog, key.namespace, key.table],
            )
            .map_err(SwapFailed::Db)?;
        if swapped != 1 {
            return Err(SwapFailed::Moved(table.clone()));
        }
    }
    tx.commit().map_err(SwapFailed::Db)
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // Several processes may commit at once; SQLite serialises writers, we wait our turn.
    conn.busy_timeout(Duration::from_secs(30))?;
    Ok(conn)
}

fn external(e: impl std::error::Error + Send + Sync + 'static) -> IcebergError {
    IcebergError::External(Box::new(e))
}

fn namespace_name(ns: &Namespace) -> Result<String, IcebergError> {
    for part in ns.iter() {
        validate_identifier(part).map_err(external)?;
    }
    Ok(ns.to_string())
}

fn not_supported(what: &str) -> IcebergError {
    IcebergError::NotSupported(format!("{what} in the embedded catalog"))
}

#[async_trait]
impl Catalog for EmbeddedCatalog {
    fn name(&self) -> &str {
        &self.name
    }

    async fn create_namespace(
        &self,
        namespace: &Namespace,
        properties: Option<HashMap<String, String>>,
    ) -> Result<HashMap<String, String>, IcebergError> {
        let ns = namespace_name(namespace)?;
        let mut props = properties.unwrap_or_default();
        // pyiceberg marks an existing namespace with this row; so do we.
        props
            .entry("exists".to_string())
            .or_insert_with(|| "true".to_string());
        let name = self.name.clone();
        let rows = props.clone();
        self.with_db(move |c| {
            let mut stmt = c.prepare(
                "INSERT OR IGNORE INTO iceberg_namespace_properties \
                 (catalog_name, namespace, property_key, property_value) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (k, v) in &rows {
                stmt.execute(params![name, ns, k, v])?;
            }
            Ok(())
        })
        .await?;
        Ok(props)
    }

    async fn drop_namespace(&self, namespace: &Namespace) -> Result<(), IcebergError> {
        let ns = namespace_name(namespace)?;
        let name = self.name.clone();
        let tables: i64 = {
            let (name, ns) = (name.clone(), ns.clone());
            self.with_db(move |c| {
                c.query_row(
                    "SELECT count(*) FROM iceberg_tables WHERE catalog_name = ?1 AND table_namespace = ?2",
                    params![name, ns],
                    |r| r.get(0),
                )
            })
            .await?
        };
        if tables > 0 {
            return Err(IcebergError::InvalidFormat(format!(
                "namespace {namespace} still has {tables} tables; drop them first"
            )));
        }
        self.with_db(move |c| {
            c.execute(
                "DELETE FROM iceberg_namespace_properties WHERE catalog_name = ?1 AND namespace = ?2",
                params![name, ns],
            )
        })
        .await?;
        Ok(())
    }

    async fn load_namespace(
        &self,
        namespace: &Namespace,
    ) -> Result<HashMap<String, String>, IcebergError> {
        let ns = namespace_name(namespace)?;
        let name = self.name.clone();
        let props: Vec<(String, Option<String>)> = self
            .with_db(move |c| {
                let mut stmt = c.prepare(
                    "SELECT property_key, property_value FROM iceberg_namespace_properties \
                     WHERE catalog_name = ?1 AND namespace = ?2",
                )?;
                let rows = stmt.query_map(params![name, ns], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect()
            })
            .await?;
        if props.is_empty() {
            return Err(IcebergError::NotFound(format!("namespace {namespace}")));
        }
        Ok(props
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_default()))
            .collect())
    }

    async fn update_namespace(
        &self,
        namespace: &Namespace,
        updates: Option<HashMap<String, String>>,
        removals: Option<Vec<String>>,
    ) -> Result<(), IcebergError> {
        let ns = namespace_name(namespace)?;
        let name = self.name.clone();
        self.with_db(move |c| {
            for key in removals.unwrap_or_default() {
                c.execute(
                    "DELETE FROM iceberg_namespace_properties \
                     WHERE catalog_name = ?1 AND namespace = ?2 AND property_key = ?3",
                    params![name, ns, key],
                )?;
            }
            for (k, v) in updates.unwrap_or_default() {
                c.execute(
                    "INSERT INTO iceberg_namespace_properties \
                     (catalog_name, namespace, property_key, property_value) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (catalog_name, namespace, property_key) \
                     DO UPDATE SET property_value = excluded.property_value",
                    params![name, ns, k, v],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn namespace_exists(&self, namespace: &Namespace) -> Result<bool, IcebergError> {
        let ns = namespace_name(namespace)?;
        let name = self.name.clone();
        self.with_db(move |c| {
            c.query_row(
                "SELECT EXISTS (SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ?1 AND namespace = ?2) \
                 OR EXISTS (SELECT 1 FROM iceberg_tables WHERE catalog_name = ?1 AND table_namespace = ?2)",
                params![name, ns],
                |r| r.get(0),
            )
        })
        .await
    }

    async fn list_tabulars(&self, namespace: &Namespace) -> Result<Vec<Identifier>, IcebergError> {
        let ns = namespace_name(namespace)?;
        let name = self.name.clone();
        let names: Vec<String> = {
            let ns = ns.clone();
            self.with_db(move |c| {
                let mut stmt = c.prepare(
                    "SELECT table_name FROM iceberg_tables \
                     WHERE catalog_name = ?1 AND table_namespace = ?2 ORDER BY table_name",
                )?;
                let rows = stmt.query_map(params![name, ns], |r| r.get(0))?;
                rows.collect()
            })
            .await?
        };
        let parts: Vec<String> = namespace.iter().cloned().collect();
        Ok(names
            .into_iter()
            .map(|t| Identifier::new(&parts, &t))
            .collect())
    }

    async fn list_namespaces(&self, _parent: Option<&str>) -> Result<Vec<Namespace>, IcebergError> {
        let name = self.name.clone();
        let names: Vec<String> = self
            .with_db(move |c| {
                let mut stmt = c.prepare(
                    "SELECT namespace FROM iceberg_namespace_properties WHERE catalog_name = ?1 \
                     UNION SELECT table_namespace FROM iceberg_tables WHERE catalog_name = ?1",
                )?;
                let rows = stmt.query_map(params![name], |r| r.get(0))?;
                rows.collect()
            })
            .await?;
        names
            .into_iter()
            .map(|n| {
                Namespace::try_new(&n.split('.').map(str::to_string).collect::<Vec<_>>())
                    .map_err(IcebergError::from)
            })
            .collect()
    }

    async fn tabular_exists(&self, identifier: &Identifier) -> Result<bool, IcebergError> {
        Ok(self.metadata_location(identifier).await?.is_some())
    }

    async fn drop_table(&self, identifier: &Identifier) -> Result<(), IcebergError> {
        let RowKey {
            catalog: name,
            namespace: ns,
            table,
        } = self.row_key(identifier)?;
        self.with_db(move |c| {
            c.execute(
                "DELETE FROM iceberg_tables \
                 WHERE catalog_name = ?1 AND table_namespace = ?2 AND table_name = ?3",
                params![name, ns, table],
            )
        })
        .await?;
        Ok(())
    }

    async fn drop_view(&self, _identifier: &Identifier) -> Result<(), IcebergError> {
        Err(not_supported("views"))
    }

    async fn drop_materialized_view(&self, _identifier: &Identifier) -> Result<(), IcebergError> {
        Err(not_supported("materialized views"))
    }

    async fn load_tabular(
        self: Arc<Self>,
        identifier: &Identifier,
    ) -> Result<Tabular, IcebergError> {
        let location = self
            .metadata_location(identifier)
            .await?
            .ok_or(IcebergError::CatalogNotFound)?;
        let metadata = self.read_metadata(&location).await?;
        let store = self.store.clone();
        Ok(Tabular::Table(
            Table::new(identifier.clone(), self, store, metadata).await?,
        ))
    }

    async fn create_table(
        self: Arc<Self>,
        identifier: Identifier,
        create_table: CreateTable,
    ) -> Result<Table, IcebergError> {
        let RowKey {
            catalog: name,
            namespace: ns,
            table,
        } = self.row_key(&identifier)?;
        let metadata: TableMetadata = create_table.try_into()?;
        let location = self.write_metadata(&metadata).await?;
        let inserted = {
            let location = location.clone();
            self.with_db(move |c| {
                c.execute(
                    "INSERT OR IGNORE INTO iceberg_tables \
                     (catalog_name, table_namespace, table_name, metadata_location, iceberg_type) \
                     VALUES (?1, ?2, ?3, ?4, 'TABLE')",
                    params![name, ns, table, location],
                )
            })
            .await?
        };
        if inserted != 1 {
            // Somebody created it first; our metadata file is unreferenced.
            self.remove_unreferenced(&location).await;
            return Err(conflict(&identifier, "table was created concurrently"));
        }
        let store = self.store.clone();
        Table::new(identifier, self, store, metadata).await
    }

    async fn create_view(
        self: Arc<Self>,
        _identifier: Identifier,
        _create_view: CreateView<Option<()>>,
    ) -> Result<View, IcebergError> {
        Err(not_supported("views"))
    }

    async fn create_materialized_view(
        self: Arc<Self>,
        _identifier: Identifier,
        _create_view: CreateMaterializedView,
    ) -> Result<MaterializedView, IcebergError> {
        Err(not_supported("materialized views"))
    }

    async fn update_table(self: Arc<Self>, commit: CommitTable) -> Result<Table, IcebergError> {
        let identifier = commit.identifier;
        let RowKey {
            catalog: name,
            namespace: ns,
            table,
        } = self.row_key(&identifier)?;
        let current_location = self
            .metadata_location(&identifier)
            .await?
            .ok_or(IcebergError::CatalogNotFound)?;
        let mut metadata = self.read_metadata(&current_location).await?;

        // iceberg-rust's replace and first append carry no requirement; a snapshot built from
        // stale metadata still shows itself by its sequence number.
        check_commit(
            &identifier,
            &metadata,
            &commit.requirements,
            &commit.updates,
        )?;

        let current_written_ms = metadata.last_updated_ms;
        apply_table_updates(&mut metadata, commit.updates)?;
        let dropped = log_previous(&current_location, current_written_ms, &mut metadata);
        let new_location = self.write_metadata(&metadata).await?;

        let swapped = {
            let (new, old) = (new_location.clone(), current_location.clone());
            self.with_db(move |c| {
                c.execute(
                    "UPDATE iceberg_tables SET metadata_location = ?1, previous_metadata_location = ?2 \
                     WHERE catalog_name = ?3 AND table_namespace = ?4 AND table_name = ?5 \
                     AND metadata_location = ?2",
                    params![new, old, name, ns, table],
                )
            })
            .await?
        };
        if swapped != 1 {
            self.remove_unreferenced(&new_location).await;
            return Err(conflict(
                &identifier,
                "another writer committed between load and swap",
            ));
        }
        for location in dropped {
            self.remove_unreferenced(&location).await;
        }
        let store = self.store.clone();
        Table::new(identifier, self, store, metadata).await
    }

    async fn update_view(
        self: Arc<Self>,
        _commit: CommitView<Option<()>>,
    ) -> Result<View, IcebergError> {
        Err(not_supported("views"))
    }

    async fn update_materialized_view(
        self: Arc<Self>,
        _commit: CommitView<Identifier>,
    ) -> Result<MaterializedView, IcebergError> {
        Err(not_supported("materialized views"))
    }

    async fn register_table(
        self: Arc<Self>,
        identifier: Identifier,
        metadata_location: &str,
    ) -> Result<Table, IcebergError> {
        let RowKey {
            catalog: name,
            namespace: ns,
            table,
        } = self.row_key(&identifier)?;
        let metadata = self.read_metadata(metadata_location).await?;
        let location = metadata_location.to_string();
        let inserted = self
            .with_db(move |c| {
                c.execute(
                    "INSERT OR IGNORE INTO iceberg_tables \
                     (catalog_name, table_namespace, table_name, metadata_location, iceberg_type) \
                     VALUES (?1, ?2, ?3, ?4, 'TABLE')",
                    params![name, ns, table, location],
                )
            })
            .await?;
        if inserted != 1 {
            return Err(conflict(&identifier, "a table of that name already exists"));
        }
        let store = self.store.clone();
        Table::new(identifier, self, store, metadata).await
    }
}
