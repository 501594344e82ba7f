//! Reading Iceberg tables with their position deletes applied, as a DataFusion
//! [`TableProvider`].
//!
//! `datafusion_iceberg` 0.10 panics on position delete files ("Position deletes not
//! supported."), and merge-on-read writes them (see [`super::deletes`]). This is the one scan
//! gamelake uses for its own reads and for `gamelake sql`: it lists the current snapshot's data
//! and delete files with iceberg-rust, reads the delete files, and hands DataFusion's own
//! parquet scan a row selection per data file that skips the deleted positions.
//!
//! Must never: read equality deletes as if they were not there (they are refused), or return
//! a row a position delete removed.

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{Array, DictionaryArray, Int64Array, StringArray};
use arrow::datatypes::{DataType, Int32Type, SchemaRef};
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::DFSchema;
use datafusion::common::Statistics;
use datafusion::common::stats::Precision;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::{
    CachedParquetFileReaderFactory, ParquetAccessPlan, RowGroupAccess,
};
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::utils::conjunction;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::parquet::arrow::arrow_reader::{RowSelection, RowSelector};
use datafusion::physical_plan::ExecutionPlan;
use futures::StreamExt;
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::spec::manifest::DataFile;
use iceberg_rust::spec::util::strip_prefix;
use iceberg_rust::table::Table;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};

use super::positions::Positions;
use crate::{Error, Result};

/// One live data file and the positions deleted from it.
#[derive(Debug, Clone)]
pub struct LiveFile {
    /// The path as the manifest records it (what delete files refer to).
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// Rows written to the file, deleted ones included.
    pub record_count: u64,
    /// Positions (row numbers) deleted from it.
    pub deleted: Positions,
    /// The manifest's entry for the file, to list it again unchanged (compaction).
    pub data_file: DataFile,
    /// Set when `deleted` is not empty: the rows a scan reads, built on the first scan.
    access: Option<Arc<Access>>,
    /// Set when the access plan reads only some listed positions (rows a run removed): how
    /// many.
    only: Option<u64>,
}

impl LiveFile {
    /// Rows of this file that are still live.
    pub fn live_rows(&self) -> u64 {
        self.record_count - self.deleted.len() as u64
    }

    /// Its path and deleted positions, as [`super::deletes::write_position_deletes`] takes
    /// them; `None` when no row of it is deleted.
    pub fn deletions(&self) -> Option<(String, Vec<i64>)> {
        if self.deleted.is_empty() {
            return None;
        }
        let positions = self.deleted.as_slice().iter().map(|&p| p as i64).collect();
        Some((self.path.clone(), positions))
    }

    /// The rows a scan reads per row group, `None` when it reads them all.
    async fn access_plan(
        &self,
        store: &Arc<dyn ObjectStore>,
    ) -> Result<Option<Arc<ParquetAccessPlan>>> {
        match &self.access {
            Some(access) => Ok(Some(access.plan(store, &self.path, self.size).await?)),
            None => Ok(None),
        }
    }

    /// Rows a scan of this file yields.
    fn rows_read(&self) -> u64 {
        self.only.unwrap_or_else(|| self.live_rows())
    }
}

/// A table's current files, with position deletes resolved.
#[derive(Debug, Clone)]
pub struct TableFiles {
    /// The table's arrow schema.
    pub schema: SchemaRef,
    /// The live data files.
    pub files: Vec<LiveFile>,
    /// Paths of the position delete files in the snapshot.
    pub delete_files: Vec<String>,
    /// Entries the snapshot's manifests list as DELETED (files another engine's rewrite
    /// removed; see [`super::foreign`]). Not read.
    pub dead_entries: usize,
    /// Live delete files iceberg-rust 0.10 cannot parse the manifest entries of (a Java
    /// engine's; see [`super::foreign`]), read from the raw entries instead.
    pub unparsed_entries: usize,
    /// The table's object store, and the URL (`file://`, `s3://bucket`) DataFusion knows it by.
    store: Arc<dyn ObjectStore>,
    store_url: ObjectStoreUrl,
}

/// Which snapshot a [`Recent`] entry lists.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RecentKey {
    location: String,
    snapshot: i64,
    schema: i32,
}

/// The files of the last few snapshots loaded in this process.
struct Recent;

/// Snapshots [`Recent`] keeps.
const RECENT: usize = 32;

static RECENT_FILES: std::sync::Mutex<Vec<(RecentKey, TableFiles)>> =
    std::sync::Mutex::new(Vec::new());

impl Recent {
    fn get(key: &RecentKey) -> Option<TableFiles> {
        // A poisoned lock only means another thread panicked mid-update: the list is
        // still whole (entries are pushed and removed whole), so it is used.
        let list = RECENT_FILES.lock().unwrap_or_else(|e| e.into_inner());
        list.iter().find(|(k, _)| k == key).map(|(_, f)| f.clone())
    }

    /// The listing of an earlier snapshot at `location` whose delete files are all among
    /// `delete_files`, the one with the most: the positions it read are a part of what
    /// `delete_files` delete (a delete file never changes under its path), so only the rest
    /// need reading. `None` when no such snapshot lists any delete file.
    fn base(location: &str, delete_files: &HashSet<&str>) -> Option<TableFiles> {
        let list = RECENT_FILES.lock().unwrap_or_else(|e| e.into_inner());
        list.iter()
            .filter(|(k, f)| {
                k.location == location
                    && !f.delete_files.is_empty()
                    && f.delete_files
                        .iter()
                        .all(|d| delete_files.contains(d.as_str()))
            })
            .max_by_key(|(_, f)| f.delete_files.len())
            .map(|(_, f)| f.clone())
    }

    fn put(key: RecentKey, files: &TableFiles) {
        let mut list = RECENT_FILES.lock().unwrap_or_else(|e| e.into_inner());
        if list.len() == RECENT {
            list.remove(0);
        }
        list.push((key, files.clone()));
    }
}

/// The object-store URL of a table location: its scheme and bucket.
fn store_url(location: &str) -> Result<ObjectStoreUrl> {
    match url::Url::parse(location) {
        Ok(url) if url.scheme() != "file" => {
            let host = url.host_str().unwrap_or_default();
            Ok(ObjectStoreUrl::parse(format!("{}://{host}", url.scheme()))?)
        }
        _ => Ok(ObjectStoreUrl::local_filesystem()),
    }
}

impl TableFiles {
    /// Whether iceberg-rust's append would corrupt this table: its manifests list a DELETED
    /// entry or an entry iceberg-rust cannot parse ([`super::foreign`]).
    pub fn needs_relist_before_append(&self) -> bool {
        self.dead_entries > 0 || self.unparsed_entries > 0
    }

    /// Lists the current snapshot's files and reads its delete files. A snapshot's files
    /// never change, and one run reads the same snapshots several times (stored keys, the
    /// upserts' positions, the checks): the last few are kept ([`Recent`]).
    pub async fn load(table: &Table) -> Result<Self> {
        let meta = table.metadata();
        let Some(snapshot) = meta.current_snapshot_id else {
            return Self::read(table).await;
        };
        let key = RecentKey {
            location: meta.location.clone(),
            snapshot,
            schema: meta.current_schema_id,
        };
        if let Some(files) = Recent::get(&key) {
            return Ok(files);
        }
        let files = Self::read(table).await?;
        Recent::put(key, &files);
        Ok(files)
    }

    /// [`Self::load`] without the cache. The delete files an earlier snapshot of the table
    /// in [`Recent`] read are not read again (a run's staged snapshot adds one delete file
    /// to the published one's many), and its files' access plans serve again.
    async fn read(table: &Table) -> Result<Self> {
        let arrow_schema: arrow::datatypes::Schema = table
            .current_schema(None)?
            .fields()
            .try_into()
            .map_err(IcebergError::from)?;
        let schema: SchemaRef = Arc::new(arrow_schema);
        let mut out = Self {
            schema,
            files: Vec::new(),
            delete_files: Vec::new(),
            dead_entries: 0,
            unparsed_entries: 0,
            store: table.object_store(),
            store_url: store_url(&table.metadata().location)?,
        };
        if table
            .metadata()
            .current_snapshot(None)
            .map_err(IcebergError::from)?
            .is_none()
        {
            return Ok(out);
        }
        let manifests = super::manifests::list(table, None).await?;
        let entries = super::foreign::Entries::read(table, &manifests).await?;
        out.dead_entries = entries.dead;
        out.unparsed_entries = entries.unparsed_deletes.len();
        out.delete_files = entries.delete_files().map(str::to_string).collect();
        let paths: HashSet<&str> = out.delete_files.iter().map(String::as_str).collect();
        let base = Recent::base(&table.metadata().location, &paths);
        let mut deleted = deletions(table, &out.delete_files, base.as_ref()).await?;
        let earlier: HashMap<&str, &LiveFile> = base
            .iter()
            .flat_map(|b| &b.files)
            .map(|f| (f.path.as_str(), f))
            .collect();
        for file in entries.data {
            let gone = deleted
                .remove(&strip_prefix(file.file_path()))
                .unwrap_or_default();
            let same_file = earlier.get(file.file_path().as_str()).copied();
            out.files.push(out.live_file(file, gone, same_file));
        }
        if let Some(path) = deleted.keys().min() {
            return Err(Error::Schema(format!(
                "{}: a position delete refers to {path}, which is not a live data file",
                table.identifier()
            )));
        }
        Ok(out)
    }

    /// The live file of manifest entry `file` with positions `gone` deleted; `earlier` is
    /// the same file as an earlier snapshot listed it, whose access plan serves again when
    /// its deleted positions are the same.
    fn live_file(&self, file: DataFile, gone: Positions, earlier: Option<&LiveFile>) -> LiveFile {
        let size = *file.file_size_in_bytes() as u64;
        let earlier = earlier.and_then(|f| f.access.as_ref());
        let access = match earlier {
            _ if gone.is_empty() => None,
            Some(a) if a.positions == gone && a.pick == Pick::Skip => Some(a.clone()),
            _ => Some(Arc::new(Access::new(gone.clone(), Pick::Skip))),
        };
        LiveFile {
            path: file.file_path().clone(),
            size,
            record_count: *file.record_count() as u64,
            deleted: gone,
            data_file: file,
            access,
            only: None,
        }
    }

    /// The same table with only `files` (and no delete files listed).
    pub(crate) fn with_files(&self, files: Vec<LiveFile>) -> Self {
        Self {
            schema: self.schema.clone(),
            files,
            delete_files: Vec::new(),
            dead_entries: 0,
            unparsed_entries: 0,
            store: self.store.clone(),
            store_url: self.store_url.clone(),
        }
    }

    /// The rows of this table (after a run) in files `before` (the same table before the run)
    /// did not have: the rows the run added.
    pub fn added_since(&self, before: &TableFiles) -> TableFiles {
        self.by_presence_in(before, false)
    }

    /// The rows of this table (after a run) in files `before` had too, less what the run
    /// deleted from them: the rows the run kept.
    pub fn kept_since(&self, before: &TableFiles) -> TableFiles {
        self.by_presence_in(before, true)
    }

    /// This table's files that `before` lists (`listed`), or that it does not.
    fn by_presence_in(&self, before: &TableFiles, listed: bool) -> TableFiles {
        let old: HashSet<&str> = before.files.iter().map(|f| f.path.as_str()).collect();
        let files = self
            .files
            .iter()
            .filter(|f| old.contains(f.path.as_str()) == listed);
        self.with_files(files.cloned().collect())
    }

    /// The rows live in `before` (the same table before a run) that this table no longer
    /// has: every live row of a file it dropped, and the positions it deleted since.
    pub fn removed_since(&self, before: &TableFiles) -> TableFiles {
        let now: HashMap<&str, &LiveFile> =
            self.files.iter().map(|f| (f.path.as_str(), f)).collect();
        let mut removed = Vec::new();
        for old in &before.files {
            let Some(new) = now.get(old.path.as_str()) else {
                removed.push(old.clone());
                continue;
            };
            let newly = new.deleted.difference(&old.deleted);
            if newly.is_empty() {
                continue;
            }
            removed.push(LiveFile {
                access: Some(Arc::new(Access::new(newly.clone(), Pick::Only))),
                only: Some(newly.len() as u64),
                ..(*new).clone()
            });
        }
        before.with_files(removed)
    }

    /// Live rows in the table.
    pub fn live_rows(&self) -> u64 {
        self.files.iter().map(LiveFile::live_rows).sum()
    }
}

pub(crate) async fn get(table: &Table, path: &str) -> Result<bytes::Bytes> {
    Ok(table
        .object_store()
        .get(&strip_prefix(path).as_str().into())
        .await?
        .bytes()
        .await?)
}

/// The positions `delete_files` delete, keyed by stripped data-file path. `base` (an
/// earlier snapshot whose delete files are all among them) gives what its delete files
/// delete; only the others are read.
async fn deletions(
    table: &Table,
    delete_files: &[String],
    base: Option<&TableFiles>,
) -> Result<HashMap<String, Positions>> {
    let mut known = HashSet::new();
    let mut from_base = HashMap::new();
    if let Some(base) = base {
        known.extend(base.delete_files.iter().map(String::as_str));
        for file in base.files.iter().filter(|f| !f.deleted.is_empty()) {
            from_base.insert(strip_prefix(&file.path), file.deleted.clone());
        }
    }
    // Fetched a few at once, parsed in their order.
    let mut fetches = Vec::new();
    for path in delete_files.iter().filter(|p| !known.contains(p.as_str())) {
        fetches.push(async move { Ok::<_, Error>((path, get(table, path).await?)) });
    }
    let mut fetched = futures::stream::iter(fetches).buffered(super::FILES_AT_ONCE);
    let mut read: HashMap<String, Vec<u64>> = HashMap::new();
    while let Some(got) = fetched.next().await {
        let (path, bytes) = got?;
        read_position_deletes(bytes, path, &mut read)?;
    }
    // A file the new delete files touch gets the base's positions and theirs, merged; the
    // others keep the base's as they are (shared, not copied).
    for (path, positions) in read {
        let merged = match from_base.get(&path) {
            Some(earlier) => earlier.with(positions),
            None => Positions::from_unsorted(positions),
        };
        from_base.insert(path, merged);
    }
    Ok(from_base)
}

/// Reads a position delete file (`file_path`, `pos`) into `into`, keyed by stripped path.
pub(super) fn read_position_deletes(
    bytes: bytes::Bytes,
    path: &str,
    into: &mut HashMap<String, Vec<u64>>,
) -> Result<()> {
    let bad = |what: String| Error::corrupt(format!("position delete file {path}"), what);
    let reader = delete_file_reader(bytes).map_err(|e| bad(e.to_string()))?;
    for batch in reader {
        let batch = batch?;
        let paths = batch
            .column_by_name("file_path")
            .and_then(|c| c.as_any().downcast_ref::<DictionaryArray<Int32Type>>())
            .ok_or_else(|| bad("no string column file_path".into()))?;
        let names = paths
            .values()
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| bad("no string column file_path".into()))?;
        let positions = batch
            .column_by_name("pos")
            .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
            .ok_or_else(|| bad("no long column pos".into()))?;
        // Rows come sorted by path (the spec asks writers to): each run of one path is
        // looked up once, and told apart by its dictionary key, not by comparing strings.
        let (keys, n) = (paths.keys(), batch.num_rows());
        let invalid = |i: usize| bad(format!("row {i} is null or negative"));
        let mut i = 0;
        while i < n {
            if keys.is_null(i) {
                return Err(invalid(i));
            }
            let key = keys.value(i);
            let file = usize::try_from(key)
                .ok()
                .filter(|&k| k < names.len() && !names.is_null(k))
                .map(|k| names.value(k))
                .ok_or_else(|| invalid(i))?;
            let list = into.entry(strip_prefix(file)).or_default();
            while i < n && !keys.is_null(i) && keys.value(i) == key {
                if positions.is_null(i) || positions.value(i) < 0 {
                    return Err(invalid(i));
                }
                list.push(positions.value(i) as u64);
                i += 1;
            }
        }
    }
    Ok(())
}

/// The arrow type of a delete file's `file_path` as gamelake builds and reads it: a
/// dictionary of the few paths a file names.
pub(super) fn path_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// A reader of a delete file's `file_path` and `pos` that yields `file_path` as a
/// dictionary: the parquet dictionary of the few paths a file names is kept as it is,
/// instead of a copy of a path in every row (a delete file of a large table's tidy holds
/// hundreds of thousands of rows). Any other columns (the spec's optional `row`) are not
/// read.
fn delete_file_reader(
    bytes: bytes::Bytes,
) -> parquet::errors::Result<parquet::arrow::arrow_reader::ParquetRecordBatchReader> {
    let options = ArrowReaderOptions::new();
    let found = ArrowReaderMetadata::load(&bytes, options.clone())?;
    let text =
        |t: &DataType| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View);
    // Whatever string type the writer's arrow schema gave it (a plain one, or a dictionary
    // with other keys), `file_path` is read as one dictionary type.
    let as_dictionary = |f: &arrow::datatypes::FieldRef| match f.data_type() {
        DataType::Dictionary(_, values) if text(values) && f.name() == "file_path" => {
            Arc::new(f.as_ref().clone().with_data_type(path_type()))
        }
        t if text(t) && f.name() == "file_path" => {
            Arc::new(f.as_ref().clone().with_data_type(path_type()))
        }
        _ => f.clone(),
    };
    let fields: Vec<_> = found.schema().fields().iter().map(as_dictionary).collect();
    let hint = Arc::new(arrow::datatypes::Schema::new(fields));
    let metadata =
        ArrowReaderMetadata::try_new(found.metadata().clone(), options.with_schema(hint))?;
    let builder = ParquetRecordBatchReaderBuilder::new_with_metadata(bytes, metadata);
    let mask = ProjectionMask::columns(builder.parquet_schema(), ["file_path", "pos"]);
    builder
        .with_projection(mask)
        .with_batch_size(super::NARROW_BATCH_ROWS)
        .build()
}

/// Rows per row group of a data file, from its footer alone ([`super::footers`]: read
/// once per process; the file's rows are not fetched).
async fn row_groups(store: &Arc<dyn ObjectStore>, path: &str, size: u64) -> Result<Arc<[u64]>> {
    let metadata = super::footers::footer(store, path, size).await?;
    Ok(metadata
        .row_groups()
        .iter()
        .map(|g| g.num_rows().max(0) as u64)
        .collect())
}

/// The rows a scan of one data file reads: all but `positions` (deleted), or only them
/// (removed by a run). Its plan is built when a scan first needs it, from the file's row
/// groups (its footer, read once per process: [`super::footers`]), and shared by every copy
/// of the listing: a run lists every
/// table it writes, several times, and scans only a few of them (the checks of kept rows read
/// the fact and two dimensions, not the bridges), and a plan holds a selector per position.
#[derive(Debug)]
struct Access {
    positions: Positions,
    pick: Pick,
    built: tokio::sync::OnceCell<Arc<ParquetAccessPlan>>,
}

impl Access {
    fn new(positions: Positions, pick: Pick) -> Self {
        Self {
            positions,
            pick,
            built: tokio::sync::OnceCell::new(),
        }
    }

    /// The plan of the data file at `path` (`size` bytes), built on the first call.
    async fn plan(
        &self,
        store: &Arc<dyn ObjectStore>,
        path: &str,
        size: u64,
    ) -> Result<Arc<ParquetAccessPlan>> {
        let plan = self
            .built
            .get_or_try_init(|| async {
                let groups = row_groups(store, path, size).await?;
                Ok::<_, Error>(Arc::new(access_plan(&groups, &self.positions, self.pick)))
            })
            .await?;
        Ok(plan.clone())
    }
}

/// What an access plan does with the positions it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pick {
    /// Read every row but these (deleted rows).
    Skip,
    /// Read only these (rows a run removed).
    Only,
}

/// The rows to read per row group (`groups`: rows in each) of a data file, given
/// `positions` and what to do with them.
fn access_plan(groups: &[u64], positions: &Positions, pick: Pick) -> ParquetAccessPlan {
    let mut plan = ParquetAccessPlan::new_all(groups.len());
    let mut start = 0u64;
    for (i, &rows) in groups.iter().enumerate() {
        let end = start + rows;
        let in_group: Vec<u64> = positions
            .range(start, end)
            .iter()
            .map(|p| p - start)
            .collect();
        let (listed, rest) = match pick {
            Pick::Skip => (RowSelector::skip(1), RowSelector::select as fn(usize) -> _),
            Pick::Only => (RowSelector::select(1), RowSelector::skip as fn(usize) -> _),
        };
        if in_group.is_empty() {
            if pick == Pick::Only {
                plan.set(i, RowGroupAccess::Skip);
            }
        } else if pick == Pick::Skip && in_group.len() as u64 == rows {
            plan.set(i, RowGroupAccess::Skip);
        } else {
            let mut selectors = Vec::new();
            let mut cursor = 0u64;
            for pos in in_group {
                if pos > cursor {
                    selectors.push(rest((pos - cursor) as usize));
                }
                selectors.push(listed);
                cursor = pos + 1;
            }
            if cursor < rows {
                selectors.push(rest((rows - cursor) as usize));
            }
            plan.scan_selection(i, RowSelection::from(selectors));
        }
        start = end;
    }
    plan
}

/// A [`TableProvider`] over one table snapshot, position deletes applied.
#[derive(Debug, Clone)]
pub(crate) struct IcebergScan {
    files: TableFiles,
}

impl IcebergScan {
    /// Lists the current snapshot's data files and applies its position delete files.
    pub async fn load(table: &Table) -> Result<Self> {
        Ok(Self {
            files: TableFiles::load(table).await?,
        })
    }

    /// A scan over some of a table's files only (compaction reads the files it rewrites).
    pub fn of_files(files: TableFiles) -> Self {
        Self { files }
    }
}

impl IcebergScan {
    /// The rows the scan yields, as an estimate for the planner: without it DataFusion
    /// cannot tell a join's small side, and hash-partitions both sides, big one included.
    /// Inexact on purpose, so no `count(*)` is answered from it: counts come from reading.
    fn row_estimate(&self) -> Statistics {
        let rows: u64 = self.files.files.iter().map(LiveFile::rows_read).sum();
        let mut stats = Statistics::new_unknown(&self.files.schema);
        stats.num_rows = Precision::Inexact(usize::try_from(rows).unwrap_or(usize::MAX));
        stats
    }
}

#[async_trait]
impl TableProvider for IcebergScan {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn schema(&self) -> SchemaRef {
        self.files.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    /// Filters prune row groups by their statistics ([`Self::scan`]); DataFusion still
    /// applies them to every row read.
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(vec![TableProviderFilterPushDown::Inexact; filters.len()])
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        // The session may not know this table's bucket yet.
        state
            .runtime_env()
            .register_object_store(self.files.store_url.as_ref(), self.files.store.clone());
        let partitions = state.config().target_partitions().max(1);
        let mut groups: Vec<Vec<PartitionedFile>> = vec![Vec::new(); partitions];
        for (i, f) in self.files.files.iter().enumerate() {
            if f.rows_read() == 0 {
                continue;
            }
            let mut pf = PartitionedFile::new(strip_prefix(&f.path), f.size);
            let plan = f
                .access_plan(&self.files.store)
                .await
                .map_err(|e| DataFusionError::External(Box::new(e)))?;
            if let Some(plan) = plan {
                pf = pf.with_extensions(plan);
            }
            groups[i % partitions].push(pf);
        }
        let groups: Vec<FileGroup> = groups
            .into_iter()
            .filter(|g| !g.is_empty())
            .map(FileGroup::new)
            .collect();
        // Footers come from the process's cache ([`super::footers`]): a run reads a table's
        // files in several steps and queries, and one fetch of a footer serves them all.
        let footers =
            CachedParquetFileReaderFactory::new(self.files.store.clone(), super::footers::cache());
        let mut source = ParquetSource::new(self.files.schema.clone())
            .with_parquet_file_reader_factory(Arc::new(footers));
        // The query's filters skip the row groups whose statistics rule every row out (the
        // old runs of `gamelake_runs` when a run reads the last week, a `WHERE` in `gamelake
        // sql`). Only whole row groups are skipped; deleted positions stay selected out.
        if let Some(filter) = conjunction(filters.iter().cloned()) {
            let schema = DFSchema::try_from(self.files.schema.as_ref().clone())?;
            source = source.with_predicate(state.create_physical_expr(filter, &schema)?);
        }
        let source = Arc::new(source);
        let config = FileScanConfigBuilder::new(self.files.store_url.clone(), source)
            .with_statistics(self.row_estimate())
            .with_file_groups(groups)
            .with_projection_indices(projection.cloned())
            .map_err(|e| DataFusionError::External(Box::new(e)))?
            .with_limit(limit)
            .build();
        Ok(DataSourceExec::from_data_source(config))
    }
}
