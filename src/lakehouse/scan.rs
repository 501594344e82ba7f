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
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{Array, Int64Array, StringArray};
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::{ParquetAccessPlan, RowGroupAccess};
use datafusion::datasource::physical_plan::{FileGroup, FileScanConfigBuilder, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::object_store::ObjectStoreUrl;
use datafusion::logical_expr::Expr;
use datafusion::parquet::arrow::arrow_reader::{RowSelection, RowSelector};
use datafusion::physical_plan::ExecutionPlan;
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::spec::manifest::DataFile;
use iceberg_rust::spec::util::strip_prefix;
use iceberg_rust::table::Table;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::ParquetMetaDataReader;

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
    pub deleted: BTreeSet<u64>,
    /// The manifest's entry for the file, to list it again unchanged (compaction).
    pub data_file: DataFile,
    /// Set when `deleted` is not empty: the rows to read, per row group.
    access_plan: Option<ParquetAccessPlan>,
}

impl LiveFile {
    /// Rows of this file that are still live.
    pub fn live_rows(&self) -> u64 {
        self.record_count - self.deleted.len() as u64
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

    /// Lists the current snapshot's files and reads its delete files.
    pub async fn load(table: &Table) -> Result<Self> {
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
        let manifests = table.manifests(None, None).await?;
        let entries = super::foreign::Entries::read(table, &manifests).await?;
        out.dead_entries = entries.dead;
        out.unparsed_entries = entries.unparsed_deletes.len();
        let mut deleted: BTreeMap<String, BTreeSet<u64>> = BTreeMap::new();
        for path in entries.delete_files() {
            out.delete_files.push(path.to_string());
            let bytes = get(table, path).await?;
            read_position_deletes(bytes, path, &mut deleted)?;
        }
        let data = entries.data;
        for file in data {
            let key = strip_prefix(file.file_path());
            let gone = deleted.remove(&key).unwrap_or_default();
            let access_plan = if gone.is_empty() {
                None
            } else {
                let bytes = get(table, file.file_path()).await?;
                Some(access_plan(bytes, &gone, file.file_path())?)
            };
            out.files.push(LiveFile {
                path: file.file_path().clone(),
                size: *file.file_size_in_bytes() as u64,
                record_count: *file.record_count() as u64,
                deleted: gone,
                data_file: file,
                access_plan,
            });
        }
        if let Some((path, _)) = deleted.into_iter().next() {
            return Err(Error::Schema(format!(
                "{}: a position delete refers to {path}, which is not a live data file",
                table.identifier()
            )));
        }
        Ok(out)
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

/// Reads a position delete file (`file_path`, `pos`) into `into`, keyed by stripped path.
fn read_position_deletes(
    bytes: bytes::Bytes,
    path: &str,
    into: &mut BTreeMap<String, BTreeSet<u64>>,
) -> Result<()> {
    let bad = |what: String| Error::corrupt(format!("position delete file {path}"), what);
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .map_err(|e| bad(e.to_string()))?
        .build()
        .map_err(|e| bad(e.to_string()))?;
    for batch in reader {
        let batch = batch?;
        let paths = batch
            .column_by_name("file_path")
            .and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned())
            .ok_or_else(|| bad("no string column file_path".into()))?;
        let positions = batch
            .column_by_name("pos")
            .and_then(|c| c.as_any().downcast_ref::<Int64Array>().cloned())
            .ok_or_else(|| bad("no long column pos".into()))?;
        for i in 0..batch.num_rows() {
            if paths.is_null(i) || positions.is_null(i) || positions.value(i) < 0 {
                return Err(bad(format!("row {i} is null or negative")));
            }
            into.entry(strip_prefix(paths.value(i)))
                .or_default()
                .insert(positions.value(i) as u64);
        }
    }
    Ok(())
}

/// The rows to read per row group of a data file, skipping `deleted` positions.
fn access_plan(
    bytes: bytes::Bytes,
    deleted: &BTreeSet<u64>,
    path: &str,
) -> Result<ParquetAccessPlan> {
    let metadata = ParquetMetaDataReader::new()
        .parse_and_finish(&bytes)
        .map_err(|e| Error::corrupt(path, e))?;
    let groups = metadata.row_groups();
    let mut plan = ParquetAccessPlan::new_all(groups.len());
    let mut start = 0u64;
    for (i, group) in groups.iter().enumerate() {
        let rows = group.num_rows() as u64;
        let end = start + rows;
        let in_group: Vec<u64> = deleted.range(start..end).map(|p| p - start).collect();
        if in_group.len() as u64 == rows {
            plan.set(i, RowGroupAccess::Skip);
        } else if !in_group.is_empty() {
            let mut selectors = Vec::new();
            let mut cursor = 0u64;
            for pos in in_group {
                if pos > cursor {
                    selectors.push(RowSelector::select((pos - cursor) as usize));
                }
                selectors.push(RowSelector::skip(1));
                cursor = pos + 1;
            }
            if cursor < rows {
                selectors.push(RowSelector::select((rows - cursor) as usize));
            }
            plan.scan_selection(i, RowSelection::from(selectors));
        }
        start = end;
    }
    Ok(plan)
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

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        // The session may not know this table's bucket yet.
        state
            .runtime_env()
            .register_object_store(self.files.store_url.as_ref(), self.files.store.clone());
        let partitions = state.config().target_partitions().max(1);
        let mut groups: Vec<Vec<PartitionedFile>> = vec![Vec::new(); partitions];
        for (i, f) in self.files.files.iter().enumerate() {
            if f.live_rows() == 0 {
                continue;
            }
            let mut pf = PartitionedFile::new(strip_prefix(&f.path), f.size);
            if let Some(plan) = &f.access_plan {
                pf = pf.with_extensions(Arc::new(plan.clone()));
            }
            groups[i % partitions].push(pf);
        }
        let groups: Vec<FileGroup> = groups
            .into_iter()
            .filter(|g| !g.is_empty())
            .map(FileGroup::new)
            .collect();
        let source = Arc::new(ParquetSource::new(self.files.schema.clone()));
        let config = FileScanConfigBuilder::new(self.files.store_url.clone(), source)
            .with_file_groups(groups)
            .with_projection_indices(projection.cloned())
            .map_err(|e| DataFusionError::External(Box::new(e)))?
            .with_limit(limit)
            .build();
        Ok(DataSourceExec::from_data_source(config))
    }
}
