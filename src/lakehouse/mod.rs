//! The star schema's Iceberg tables in the catalog: create them from [`crate::schema`], read
//! them with position deletes applied ([`scan`]), replace their contents or upsert rows by key
//! in one snapshot ([`deletes`]), maintain them ([`maintain`]), report their state.
//!
//! The catalog is the embedded one (SQLite next to a local warehouse) or an Iceberg REST
//! catalog (`crate::catalog::rest`); nothing below this module knows which.
//!
//! All table writes go through here. An ETL run or a rollback writes through a
//! [`StagedLakehouse`], whose commits wait for [`StagedLakehouse::publish`]; `maintain` commits
//! table by table (it changes no table's contents as readers see them). A replace is
//! committed once: if another writer got there
//! first the commit fails with [`Error::Conflict`] instead of overwriting what that
//! writer wrote from a stale view. Appends and upserts are safe to redo on the reloaded table
//! (an upsert finds the rows to delete again) and are retried on conflict.

mod data_files;
pub mod deletes;
pub mod evolve;
mod footers;
pub mod foreign;
pub mod maintain;
mod manifests;
pub mod positions;
pub mod restore;
pub mod rewrite;
pub mod scan;

pub use data_files::{DEFAULT_TARGET_FILE_SIZE, SMALL_FILE_ROWS, TARGET_FILE_SIZE};

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use arrow::array::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::prelude::SessionContext;
use futures::{StreamExt, TryStreamExt};
use iceberg_rust::catalog::Catalog;
use iceberg_rust::catalog::create::CreateTableBuilder;
use iceberg_rust::catalog::identifier::Identifier;
use iceberg_rust::catalog::namespace::Namespace;
use iceberg_rust::catalog::tabular::Tabular;
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::spec::manifest::DataFile;
use iceberg_rust::table::Table;

use crate::catalog::nessie::Nessie;
use crate::catalog::pinned::PinnedCatalog;
use crate::catalog::staged::{Fence, PublishMode, StagingCatalog, Target};
use crate::catalog::{CatalogSettings, EMBEDDED_CATALOG_FILE, EmbeddedCatalog, is_conflict, rest};
use crate::error::Conflict;
use crate::ident::validate_identifier;
use crate::schema::TableDef;
use crate::storage::Warehouse;
use crate::storage::s3::S3Settings;
use crate::{Error, ErrorKind, Result};

/// How often an append or upsert is tried when it keeps losing commit races.
const COMMIT_ATTEMPTS: u32 = 8;

/// Rows a batch holds when gamelake reads a file's narrow columns itself (a table's key
/// column, a delete file's paths and positions): a few bytes a row, so large batches, not
/// the reader's default of 1,024 rows, each of which costs an allocation and a poll.
const NARROW_BATCH_ROWS: usize = 64 * 1024;

/// Files of one table gamelake reads at once when it reads them itself (a table's delete
/// files, its key column file by file): on S3 each read is a request or a few, whose
/// latency would otherwise add up file after file; locally it overlaps the reads.
const FILES_AT_ONCE: usize = 8;

/// Tables gamelake lists at once where it looks at each of them (which one a tidy is due
/// on, what a run changed in each): one table's reads are requests of their own on S3, and
/// parsing of its own locally.
pub(crate) const TABLES_AT_ONCE: usize = 4;

/// Which columns [`Lakehouse::read`] returns.
#[derive(Debug, Clone, Copy)]
pub enum Columns<'a> {
    /// Every column.
    All,
    /// These, in this order; an error when the table lacks one.
    Only(&'a [&'a str]),
    /// Every column the table has but these (a table an older release wrote may lack some
    /// columns of its definition).
    AllBut(&'a [&'a str]),
}

/// Table state, as `gamelake tables` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    /// The table's name, without namespace.
    pub name: String,
    /// Live rows (position deletes applied).
    pub rows: u64,
    /// Live data files.
    pub data_files: u64,
    /// Position delete files.
    pub delete_files: u64,
    /// The current snapshot, if any.
    pub snapshot_id: Option<i64>,
    /// Snapshots kept in the metadata.
    pub snapshots: usize,
}

/// A table's new contents written as data files, not yet committed ([`Lakehouse::stage`]).
pub struct Staged {
    name: String,
    table: Table,
    files: Vec<DataFile>,
}

/// Table properties that keep a table's metadata files bounded: the catalog logs the last
/// [`METADATA_VERSIONS_KEPT`] metadata files (`metadata-log`) and deletes older ones after a
/// commit (the embedded catalog does both, `catalog::embedded`; a REST catalog server does as
/// it does). Set when gamelake creates a table and in every commit of a run, so tables
/// created by an earlier release gain them with their next write.
pub fn metadata_log_properties() -> [(String, String); 2] {
    [
        (
            crate::catalog::embedded::PREVIOUS_VERSIONS_MAX.to_string(),
            METADATA_VERSIONS_KEPT.to_string(),
        ),
        (
            crate::catalog::embedded::DELETE_AFTER_COMMIT.to_string(),
            "true".to_string(),
        ),
    ]
}

/// Earlier metadata files a table keeps (see [`metadata_log_properties`]).
pub const METADATA_VERSIONS_KEPT: usize = 10;

/// The tables of one namespace in one catalog, as published: every commit through it is
/// visible at once. [`Lakehouse::staged`] gives the same tables with commits held back.
#[derive(Clone)]
pub struct Lakehouse {
    catalog: Arc<dyn Catalog>,
    /// Where a staged run publishes to.
    target: Target,
    namespace: String,
    /// Where new tables go: `<warehouse>/<namespace>/<table>` for the embedded catalog; `None`
    /// lets a REST catalog decide.
    tables_root: Option<String>,
}

/// Names only: the catalog's client holds credentials (its S3 builder prints its keys).
impl std::fmt::Debug for Lakehouse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lakehouse")
            .field("namespace", &self.namespace)
            .field("tables_root", &self.tables_root)
            .finish_non_exhaustive()
    }
}

/// A run's writes to the tables, held back until they are published all at once (see
/// [`crate::catalog::staged`]). Only a staged lakehouse can publish, and publishing (or
/// discarding) consumes it. It derefs to the staged view: reads through it see what was
/// staged, while the [`Lakehouse`] it came from shows what is published.
pub struct StagedLakehouse {
    view: Lakehouse,
    staging: Arc<StagingCatalog>,
}

impl std::ops::Deref for StagedLakehouse {
    type Target = Lakehouse;

    fn deref(&self) -> &Lakehouse {
        &self.view
    }
}

impl StagedLakehouse {
    /// The tables as staged so far, read-only: what is staged later does not show in it.
    /// A run compares what it then writes against this ([`crate::checks::Changes`]).
    pub fn as_staged_now(&self) -> Lakehouse {
        Lakehouse {
            catalog: self.staging.copy_of_now(),
            ..self.view.clone()
        }
    }

    /// Makes everything staged visible at once; `fence` runs inside the publishing
    /// transaction where the catalog has one; `message` names the publish in a catalog that
    /// keeps a log (Nessie).
    pub async fn publish(self, fence: Option<Fence>, message: &str) -> Result<PublishMode> {
        self.staging
            .publish(&self.view.target, fence, message)
            .await
    }

    /// On Nessie, publishes everything staged to a new branch `branch` made from the default
    /// branch's head, which stays as it is (write-audit-publish). `Ok(false)` where the
    /// catalog is not Nessie or nothing was staged: nothing was kept. Either way nothing of
    /// it reaches the default branch.
    pub async fn publish_to_new_branch(self, branch: &str, message: &str) -> Result<bool> {
        let kept = self.keep_on_branch(branch, message).await;
        self.staging.discard();
        kept
    }

    async fn keep_on_branch(&self, branch: &str, message: &str) -> Result<bool> {
        let Target::Rest(client) = &self.view.target else {
            return Ok(false);
        };
        let Some(nessie) = client.nessie() else {
            return Ok(false);
        };
        if self.staging.changes().is_empty() {
            return Ok(false);
        }
        let head = nessie.head(&nessie.default_branch).await?;
        nessie
            .create_branch(branch, &nessie.default_branch, &head)
            .await?;
        self.staging
            .publish_to_branch(client, branch, message)
            .await?;
        Ok(true)
    }

    /// The tables staged so far, in the order a catalog without the multi-table commit has
    /// them published: the order of each table's last commit.
    pub fn tables_in_publish_order(&self) -> Vec<String> {
        self.staging
            .changes()
            .into_iter()
            .map(|c| c.identifier.name().to_string())
            .collect()
    }

    /// Drops what was staged: nothing of it is published.
    pub fn discard(self) {
        self.staging.discard();
    }
}

impl Lakehouse {
    /// Opens the embedded catalog of a local warehouse (`<warehouse>/catalog.db`) and makes
    /// sure the namespace exists.
    pub async fn open(wh: &Warehouse, namespace: &str) -> Result<Self> {
        Self::connect(
            wh,
            namespace,
            &CatalogSettings::Embedded,
            &S3Settings::default(),
        )
        .await
    }

    /// Opens the catalog `settings` name and makes sure the namespace exists.
    pub async fn connect(
        wh: &Warehouse,
        namespace: &str,
        settings: &CatalogSettings,
        s3: &S3Settings,
    ) -> Result<Self> {
        validate_identifier(namespace)?;
        let (catalog, target, tables_root): (Arc<dyn Catalog>, _, _) = match settings {
            CatalogSettings::Embedded => {
                let root = wh.local_root().ok_or_else(|| {
                    Error::Config(format!(
                        "warehouse {}: the embedded catalog keeps an SQLite file on local disk; \
                         with an s3:// warehouse use a REST catalog (--catalog \
                         rest+http://host:port/path, see docs/production.md)",
                        wh.root_url()
                    ))
                })?;
                let embedded = EmbeddedCatalog::open(&root.join(EMBEDDED_CATALOG_FILE))?;
                let catalog: Arc<dyn Catalog> = embedded.clone();
                (catalog, Target::Embedded(embedded), Some(wh.root_url()))
            }
            CatalogSettings::Rest(rest) => {
                let client = rest::connect(rest, s3).await?;
                (client.catalog(), Target::Rest(client), None)
            }
        };
        let ns = Namespace::try_new(&[namespace.to_string()]).map_err(IcebergError::from)?;
        // Create rather than ask first: `iceberg-rest-catalog` 0.10's `namespace_exists`
        // reads the body of a HEAD response, so a missing namespace comes back as an error.
        match catalog.create_namespace(&ns, None).await {
            // Created now, or already there (REST: 409).
            Ok(_) => {}
            Err(e) if is_conflict(&e) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(Self {
            catalog,
            target,
            namespace: namespace.to_string(),
            tables_root,
        })
    }

    /// The same tables, with every commit held back until [`StagedLakehouse::publish`].
    /// Reads through it see what was staged; reads through `self` still see the published
    /// tables.
    pub fn staged(&self) -> StagedLakehouse {
        let staging = StagingCatalog::new(self.catalog.clone());
        StagedLakehouse {
            view: Self {
                catalog: staging.clone(),
                ..self.clone()
            },
            staging,
        }
    }

    /// The same tables, each read from here on as this lakehouse first loads it, and as
    /// its own commits leave it ([`PinnedCatalog`]): the view of one run or one read-only
    /// command, dropped with it. Commits and the publish go to the catalog as before.
    pub fn pinned(&self) -> Self {
        Self {
            catalog: PinnedCatalog::new(self.catalog.clone()),
            ..self.clone()
        }
    }

    /// Nessie's API, when the catalog is Nessie.
    pub fn nessie(&self) -> Option<&Nessie> {
        match &self.target {
            Target::Rest(client) => client.nessie(),
            Target::Embedded(_) => None,
        }
    }

    /// The same tables as they are at Nessie reference `reference` (`main@<hash>`,
    /// `main*<time>`, a branch), read-only in intent; `None` where the catalog is not Nessie.
    pub fn at_reference(&self, reference: &str) -> Option<Self> {
        let Target::Rest(client) = &self.target else {
            return None;
        };
        let client = client.at(reference)?;
        Some(Self {
            catalog: client.catalog(),
            target: Target::Rest(client),
            namespace: self.namespace.clone(),
            tables_root: self.tables_root.clone(),
        })
    }

    /// The namespace the tables are in.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// A table's identifier in the namespace.
    pub fn identifier(&self, table: &str) -> Identifier {
        Identifier::new(std::slice::from_ref(&self.namespace), table)
    }

    /// Loads a table, or `None` when it does not exist yet.
    pub async fn load(&self, table: &str) -> Result<Option<Table>> {
        validate_identifier(table)?;
        match self
            .catalog
            .clone()
            .load_tabular(&self.identifier(table))
            .await
        {
            Ok(Tabular::Table(t)) => Ok(Some(t)),
            Ok(_) => Err(Error::Schema(format!(
                "{}.{table} exists but is not a table",
                self.namespace
            ))),
            Err(IcebergError::CatalogNotFound) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Loads a table, creating it from its definition if needed; a table written by an
    /// earlier release gets the columns its definition has since gained ([`evolve`]).
    pub async fn load_or_create(&self, def: &TableDef) -> Result<Table> {
        if let Some(t) = self.load(&def.name).await? {
            return evolve::evolve(self.catalog.clone(), self.identifier(&def.name), t, def).await;
        }
        let mut builder = CreateTableBuilder::default();
        if let Some(root) = &self.tables_root {
            builder.with_location(format!("{root}/{}/{}", self.namespace, def.name));
        }
        // Nessie refuses a create request without `stage-create`, which iceberg-rust leaves
        // out unless set (tests/it/upstream.rs).
        builder
            .with_stage_create(false)
            .with_name(def.name.clone())
            .with_schema(def.iceberg_schema()?)
            .with_properties(HashMap::from_iter(
                [(
                    "write.parquet.compression-codec".to_string(),
                    "zstd".to_string(),
                )]
                .into_iter()
                .chain(metadata_log_properties()),
            ));
        let create = builder.create()?;
        match self
            .catalog
            .clone()
            .create_table(self.identifier(&def.name), create)
            .await
        {
            Ok(t) => Ok(t),
            // Created concurrently by another run: use theirs.
            Err(e) if is_conflict(&e) => self.load(&def.name).await?.ok_or_else(|| e.into()),
            Err(e) => Err(e.into()),
        }
    }

    /// Brings every existing star-schema table up to its definition ([`evolve`]). Tables
    /// that do not exist yet are left to their first write.
    pub async fn upgrade(&self) -> Result<()> {
        // Each table's load is a request to a REST catalog: several at once. (A run's
        // catalog keeps what it loaded, so this is its one load of each table.)
        let loads: Vec<_> = crate::schema::tables()
            .iter()
            .map(|def| async move { Ok::<_, Error>((def, self.load(&def.name).await?)) })
            .collect();
        let tables: Vec<_> = futures::stream::iter(loads)
            .buffered(TABLES_AT_ONCE)
            .try_collect()
            .await?;
        for (def, table) in tables {
            if let Some(t) = table {
                evolve::evolve(self.catalog.clone(), self.identifier(&def.name), t, def).await?;
            }
        }
        Ok(())
    }

    /// Reads a table's `columns`, position deletes applied; `None` when it does not exist or
    /// has no snapshot yet.
    pub async fn read(
        &self,
        table: &str,
        columns: Columns<'_>,
    ) -> Result<Option<Vec<RecordBatch>>> {
        self.read_where(table, columns, None).await
    }

    /// [`Self::read`], only the rows `filter` keeps (when given); the row groups whose
    /// statistics rule it out are not read.
    pub async fn read_where(
        &self,
        table: &str,
        columns: Columns<'_>,
        filter: Option<datafusion::logical_expr::Expr>,
    ) -> Result<Option<Vec<RecordBatch>>> {
        let Some(t) = self.load(table).await? else {
            return Ok(None);
        };
        if t.metadata()
            .current_snapshot(None)
            .map_err(IcebergError::from)?
            .is_none()
        {
            return Ok(None);
        }
        let ctx = SessionContext::new();
        let scan = scan::IcebergScan::load(&t).await?;
        let schema = scan.schema();
        let mut df = ctx.read_table(Arc::new(scan))?;
        if let Some(filter) = filter {
            df = df.filter(filter)?;
        }
        match columns {
            Columns::All => {}
            Columns::Only(names) => df = df.select_columns(names)?,
            Columns::AllBut(left_out) => {
                let names: Vec<&str> = schema
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .filter(|name| !left_out.contains(name))
                    .collect();
                df = df.select_columns(&names)?;
            }
        }
        Ok(Some(df.collect().await?))
    }

    /// A table as it was at `snapshot_id`: its metadata with `main` pointing there, so
    /// scans read that snapshot (under that snapshot's schema). [`Error::AsOf`] when the
    /// snapshot is no longer in the table's metadata (`maintain` expired it).
    pub async fn load_at(&self, table: &str, snapshot_id: i64) -> Result<Option<Table>> {
        let Some(t) = self.load(table).await? else {
            return Ok(None);
        };
        let mut metadata = t.metadata().clone();
        if !metadata.snapshots.contains_key(&snapshot_id) {
            return Err(Error::AsOf(format!(
                "{}.{table}: snapshot {snapshot_id} is gone (expired by `gamelake maintain`, \
                 which keeps snapshots for --keep-days); that run can no longer be read",
                self.namespace
            )));
        }
        metadata.current_snapshot_id = Some(snapshot_id);
        metadata.refs.insert(
            "main".to_string(),
            iceberg_rust::spec::snapshot::SnapshotReference {
                snapshot_id,
                retention: Default::default(),
            },
        );
        Ok(Some(
            Table::new(
                t.identifier().clone(),
                t.catalog(),
                t.object_store(),
                metadata,
            )
            .await?,
        ))
    }

    /// A table property, if the table exists and has it.
    pub async fn property(&self, table: &str, key: &str) -> Result<Option<String>> {
        Ok(self
            .load(table)
            .await?
            .and_then(|t| t.metadata().properties.get(key).cloned()))
    }

    /// Replacing a table's contents, first half: writes the new contents as data files that
    /// no snapshot references yet ([`Lakehouse::commit_staged`] commits them). Staging several tables at once encodes them in parallel
    /// while commits stay in order; files staged by a run that dies before the commit are
    /// orphans, which `maintain` removes.
    pub async fn stage(&self, def: &TableDef, batch: RecordBatch) -> Result<Staged> {
        let table = self.load_or_create(def).await?;
        let files = match write_files(&table, batch).await {
            Ok(files) => files,
            Err(e) => return Err(self.writing(&table, e).await),
        };
        Ok(Staged {
            name: def.name.clone(),
            table,
            files,
        })
    }

    /// Replacing a table's contents, second half: commits staged data files as the table's
    /// whole contents in one snapshot, setting `properties` and adding `summary` to the
    /// snapshot summary in the same commit.
    pub async fn commit_staged(
        &self,
        staged: Staged,
        properties: Vec<(String, String)>,
        summary: HashMap<String, String>,
    ) -> Result<()> {
        let Staged {
            name,
            mut table,
            files,
        } = staged;
        table
            .new_transaction(None)
            .replace_with_lineage(files, summary)
            .update_properties(properties)
            .commit()
            .await
            .map_err(|e| self.commit_error(&name, e))
    }

    /// Replaces the rows whose `key_column` is in `keys` with `new_rows` and sets the
    /// `properties` of what changed, in one commit, merge-on-read (position deletes): untouched data files are
    /// not rewritten. See `deletes::upsert`.
    pub async fn upsert(
        &self,
        def: &TableDef,
        key_column: &str,
        keys: &HashSet<i64>,
        new_rows: Option<RecordBatch>,
        properties: deletes::PropertiesFor<'_>,
    ) -> Result<deletes::RowChange> {
        self.upsert_when(def, key_column, keys, new_rows, properties, None)
            .await
    }

    /// [`Self::upsert`], its rows read and files written at once and its commit held until
    /// `ready` opens: a run's last table, written beside the others and committed after them.
    pub(crate) async fn upsert_when(
        &self,
        def: &TableDef,
        key_column: &str,
        keys: &HashSet<i64>,
        new_rows: Option<RecordBatch>,
        properties: deletes::PropertiesFor<'_>,
        ready: Option<&crate::task::Latch>,
    ) -> Result<deletes::RowChange> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut table = self.load_or_create(def).await?;
            let rows = new_rows.clone();
            match deletes::upsert(&mut table, key_column, keys, rows, properties, ready).await {
                Ok(change) => return Ok(change),
                Err(Error::Iceberg(e)) if is_conflict(&e) && attempt < COMMIT_ATTEMPTS => {
                    tracing::debug!(table = def.name, attempt, "upsert lost a race; retrying");
                    backoff(attempt).await;
                }
                Err(Error::Iceberg(e)) => return Err(self.commit_error(&def.name, e)),
                Err(other) => return Err(self.writing(&table, other).await),
            }
        }
    }

    /// Compacts, expires snapshots and removes orphan files of every table (see
    /// [`maintain`]).
    pub async fn maintain(
        &self,
        opts: &maintain::MaintainOptions,
    ) -> Result<Vec<maintain::MaintainReport>> {
        let history = match self.nessie() {
            Some(_) => maintain::History::InCatalog,
            None => maintain::History::InMetadata,
        };
        let mut reports = Vec::new();
        for info in self.infos().await? {
            if let Some(mut table) = self.load(&info.name).await? {
                let mut report = maintain::maintain(&mut table, opts, history)
                    .await
                    .map_err(|e| match e {
                        Error::Iceberg(e) => self.commit_error(&info.name, e),
                        other => other,
                    })?;
                if history == maintain::History::InMetadata {
                    let referenced = foreign::referenced_files(&table).await?;
                    report.files_removed =
                        maintain::remove_orphans(&table, referenced, opts).await?;
                }
                reports.push(report);
            }
        }
        Ok(reports)
    }

    /// Tidies the one star table most overdue under `policy` ([`maintain::tidy`]), if any:
    /// what a run does in its own publish so its tables' files stay bounded. Returns the
    /// table and what was done. The runs table has its own ([`Self::tidy_if_overdue`]).
    pub async fn tidy_most_overdue(
        &self,
        policy: &maintain::TidyPolicy,
    ) -> Result<Option<maintain::Tidied>> {
        // Each table's list is a read of its own (a request on S3): several at once.
        let lists: Vec<_> = crate::schema::tables()
            .iter()
            .map(|def| self.overdue(&def.name, policy))
            .collect();
        let overdue: Vec<Option<(usize, Table)>> = futures::stream::iter(lists)
            .buffered(TABLES_AT_ONCE)
            .try_collect()
            .await?;
        let mut most: Option<(usize, Table)> = None;
        for (debt, table) in overdue.into_iter().flatten() {
            if most.as_ref().is_none_or(|(d, _)| debt > *d) {
                most = Some((debt, table));
            }
        }
        match most {
            Some((_, table)) => Ok(Some(self.tidy(table, policy).await?)),
            None => Ok(None),
        }
    }

    /// Tidies `table` if it is overdue under `policy`.
    pub async fn tidy_if_overdue(
        &self,
        table: &str,
        policy: &maintain::TidyPolicy,
    ) -> Result<Option<maintain::Tidied>> {
        match self.overdue(table, policy).await? {
            Some((_, table)) => Ok(Some(self.tidy(table, policy).await?)),
            None => Ok(None),
        }
    }

    /// The table `name` and how far past `policy` it is, when it is.
    async fn overdue(
        &self,
        name: &str,
        policy: &maintain::TidyPolicy,
    ) -> Result<Option<(usize, Table)>> {
        let Some(table) = self.load(name).await? else {
            return Ok(None);
        };
        if table.metadata().current_snapshot_id.is_none() {
            return Ok(None);
        }
        let manifests = manifests::list(&table, None).await?;
        let mut files = maintain::FileCounts::of(&manifests);
        if files.data_files > policy.max_data_files {
            // Full files are many in a large table and not a tidy's to merge: only the
            // others count, which takes the manifests (those a run reads to write anyway).
            // A negative size, which no writer records, counts as a small file.
            let target = data_files::target_file_size(&table)?;
            let entries = foreign::Entries::read(&table, &manifests).await?;
            files.data_files = entries
                .data
                .iter()
                .filter(|file| {
                    let size = u64::try_from(*file.file_size_in_bytes()).unwrap_or(0);
                    !maintain::is_full(size, target)
                })
                .count();
        }
        Ok(policy.overdue(&files).map(|debt| (debt, table)))
    }

    async fn tidy(
        &self,
        mut table: Table,
        policy: &maintain::TidyPolicy,
    ) -> Result<maintain::Tidied> {
        let name = table.identifier().name().to_string();
        let files = scan::TableFiles::load(&table).await?;
        let target = data_files::target_file_size(&table)?;
        let done = maintain::tidy(&mut table, files, policy.delete_threshold, target)
            .await
            .map_err(|e| match e {
                Error::Iceberg(e) => self.commit_error(&name, e),
                other => other,
            })?;
        Ok(maintain::Tidied {
            table: name,
            files_rewritten: done.files_rewritten,
            rows_dropped: done.rows_dropped,
        })
    }

    /// Expires, on the one table with the most snapshots older than `keep` (once it has
    /// `batch` or more), those snapshots (the current one always stays): what a run does in
    /// its own publish so each table's history stays bounded. One table a run, as one table
    /// is tidied a run: the tables a daily job writes every day reach their batch on the
    /// same day, and expiring them all at once made that run cost several times a usual
    /// day's upkeep (each expiry reads the manifests of every snapshot it keeps); one a run,
    /// they are expired on consecutive days and stay apart after. Not on Nessie, whose
    /// history is its commit log (see [`maintain::History`]). Files only expired snapshots
    /// referenced stay until the run is published ([`Self::delete_freed`]).
    pub async fn expire_most_overdue(
        &self,
        keep: std::time::Duration,
        batch: usize,
    ) -> Result<Option<maintain::Expired>> {
        if self.nessie().is_some() {
            return Ok(None);
        }
        let cutoff = maintain::cutoff(keep);
        let mut most: Option<(usize, Table)> = None;
        let defs = crate::schema::tables()
            .iter()
            .chain([crate::schema::runs_table()]);
        for def in defs {
            let Some(table) = self.load(&def.name).await? else {
                continue;
            };
            let expirable = maintain::expirable(&table, cutoff);
            if expirable >= batch.max(1) && most.as_ref().is_none_or(|(n, _)| expirable > *n) {
                most = Some((expirable, table));
            }
        }
        let Some((_, mut table)) = most else {
            return Ok(None);
        };
        let name = table.identifier().name().to_string();
        let before = table.clone();
        let gone = maintain::expire(&mut table, cutoff)
            .await
            .map_err(|e| match e {
                Error::Iceberg(e) => self.commit_error(&name, e),
                other => other,
            })?;
        Ok(Some(maintain::Expired {
            freed: foreign::freed_by_expiry(&before, &table).await?,
            table: name,
            snapshots: gone,
        }))
    }

    /// Deletes the files a published expiry freed ([`maintain::Expired::freed`]), so a daily
    /// run's footprint stays bounded without listing folders. Call only once the expiry is
    /// published. A file that cannot be deleted is left as an orphan for `gamelake maintain`
    /// and logged: the run has published, so it is not an error.
    pub async fn delete_freed(&self, expired: Option<&maintain::Expired>) {
        let Some(e) = expired.filter(|e| !e.freed.is_empty()) else {
            return;
        };
        let table = match self.load(&e.table).await {
            Ok(Some(t)) => t,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(table = e.table, "freed files left for maintain: {err}");
                return;
            }
        };
        let deleted = maintain::delete_files(&table, &e.freed).await;
        tracing::info!(
            table = e.table,
            files = deleted,
            "deleted files expiry freed"
        );
    }

    /// Sets table properties without writing data (no new snapshot).
    pub async fn set_properties(
        &self,
        def: &TableDef,
        properties: Vec<(String, String)>,
    ) -> Result<()> {
        let mut table = self.load_or_create(def).await?;
        table
            .new_transaction(None)
            .update_properties(properties)
            .commit()
            .await
            .map_err(|e| self.commit_error(&def.name, e))
    }

    /// Appends `batch` in one snapshot, retrying on commit conflicts (an append does not
    /// depend on what others wrote, so reloading and committing again is safe).
    pub async fn append(&self, def: &TableDef, batch: RecordBatch) -> Result<()> {
        let mut table = self.load_or_create(def).await?;
        let files = match write_files(&table, batch).await {
            Ok(files) => files,
            Err(e) => return Err(self.writing(&table, e).await),
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Err(e) = foreign::make_appendable(&mut table).await {
                return Err(self.writing(&table, e).await);
            }
            match table
                .new_transaction(None)
                .append_data(files.clone())
                .commit()
                .await
            {
                Ok(()) => return Ok(()),
                Err(e) if is_conflict(&e) && attempt < COMMIT_ATTEMPTS => {
                    tracing::debug!(table = def.name, attempt, "append lost a race; retrying");
                    backoff(attempt).await;
                    table = self.load_or_create(def).await?;
                }
                Err(e) => return Err(self.commit_error(&def.name, e)),
            }
        }
    }

    /// A failed data-file write, named by its table (a storage fault deep in the parquet
    /// writer otherwise reads as a parquet error).
    async fn writing(&self, table: &Table, e: Error) -> Error {
        match e {
            e @ (Error::WritingTable { .. } | Error::Conflict(_)) => e,
            e => {
                let storage = match e.kind() {
                    ErrorKind::Other => storage_fault(table).await.map(Box::new),
                    _ => None,
                };
                Error::WritingTable {
                    table: format!("{}.{}", self.namespace, table.identifier().name()),
                    source: Box::new(e),
                    storage,
                }
            }
        }
    }

    fn commit_error(&self, table: &str, e: IcebergError) -> Error {
        if is_conflict(&e) {
            Error::Conflict(Conflict {
                table: format!("{}.{table}", self.namespace),
                detail: format!(
                    "{e}; another writer (a gamelake run, or an engine such as Spark or Trino) \
                     committed to this table meanwhile: rerun the command"
                ),
            })
        } else {
            e.into()
        }
    }

    /// Every star-schema table that exists, by name, with its row count, data files and
    /// current snapshot. Tables are looked up by their definitions rather than listed:
    /// `iceberg-rest-catalog` 0.10 lists views without the catalog's credentials, so listing
    /// fails on any catalog that requires them (and gamelake only reports its own tables).
    pub async fn infos(&self) -> Result<Vec<TableInfo>> {
        let mut names: Vec<&str> = crate::schema::tables()
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        names.sort_unstable();
        let mut out = Vec::new();
        for name in names {
            let Some(t) = self.load(name).await? else {
                continue;
            };
            let meta = t.metadata();
            let snapshot = meta
                .current_snapshot(None)
                .map_err(IcebergError::from)?
                .map(|s| *s.snapshot_id());
            // Counted from the files: iceberg-rust's `total-records` summary does not subtract
            // position deletes.
            let files = scan::TableFiles::load(&t).await?;
            out.push(TableInfo {
                name: name.to_string(),
                rows: files.live_rows(),
                data_files: files.files.len() as u64,
                delete_files: files.delete_files.len() as u64,
                snapshot_id: snapshot,
                snapshots: meta.snapshots.len(),
            });
        }
        Ok(out)
    }
}

/// Randomised, growing pause between commit attempts.
async fn backoff(attempt: u32) {
    tokio::time::sleep(Duration::from_millis(fastrand::u64(5..50) * attempt as u64)).await;
}

async fn write_files(table: &Table, batch: RecordBatch) -> Result<Vec<DataFile>> {
    data_files::write(table, futures::stream::iter(vec![Ok(batch)])).await
}

/// The fault of a table's storage, asked once with a HEAD of a key that need not exist,
/// when a write failed with an error whose cause is text only: the parquet writer turns
/// its `ParquetError` into `ArrowError::ParquetError(String)` (parquet 58's
/// `From<ParquetError> for ArrowError`), which iceberg-rust 0.10's writer returns, so an
/// unreachable S3 server reads as a parquet error. A missing key (the usual answer) or a
/// fault of no known kind is `None`. Pinned by
/// `tests/it/upstream.rs::parquet_errors_reach_arrow_as_text_only`.
async fn storage_fault(table: &Table) -> Option<Error> {
    let probe = object_store::path::Path::from(crate::storage::PROBE_KEY);
    use object_store::ObjectStoreExt;
    match table.object_store().head(&probe).await {
        Ok(_) => None,
        Err(e) => {
            let e = Error::Storage(e);
            match e.kind() {
                ErrorKind::NotFound | ErrorKind::Other => None,
                _ => Some(e),
            }
        }
    }
}
