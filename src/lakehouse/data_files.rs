//! Writing a table's rows as data files: iceberg-rust's writer, and manifest entries whose
//! bounds hold every row of a file of several row groups.
//!
//! iceberg-rust 0.10 records each file it writes with `parquet_to_datafile`, which widens a
//! column's lower and upper bounds across the file's row groups only for numbers, dates and
//! times: a string, boolean, decimal or binary column keeps its first row group's bounds
//! (`upstream::parquet_to_datafile_bounds_a_string_column_by_its_first_row_group`). Its
//! writer starts a row group every [`DEFAULT_MAX_ROW_GROUP_ROW_COUNT`] rows, so a file of
//! more rows than that (the fact or `dim_game` of a full build past a million games) would be
//! listed with bounds some of its rows break, and every engine that skips files by their
//! bounds (Spark, Trino, pyiceberg, DuckDB) would miss those rows: `WHERE name = …` finding
//! nothing. [`write`] records bounds taken over every row group of a file of several, from
//! the footer it just wrote (or, for a partitioned table's files, which iceberg-rust writes,
//! read back). A file of one row group keeps its entry as written.
//!
//! The same writer hard-codes its `WriterProperties`: zstd, and a dictionary for every
//! column. A table's key and natural key hold (nearly) a distinct value a row, as do the
//! columns its schema marks `distinct` (names, slugs, URLs, texts), so their dictionary
//! outgrows its page, falls back to PLAIN within the column chunk, and costs every write a
//! hash of each value and every read a dictionary to decode: and every daily upsert reads
//! each table's key column whole ([`super::deletes::positions_of`]), every tidy rewrites a
//! file whole. [`write`] writes an unpartitioned table's file itself, with those columns
//! PLAIN (no dictionary), the others as iceberg-rust writes them, and records it with
//! iceberg-rust's own `parquet_to_datafile`
//! (`upstream::iceberg_rusts_writer_gives_every_column_a_dictionary`). PLAIN is every
//! reader's base encoding; `DELTA_BINARY_PACKED`, quicker still, is refused by Iceberg's
//! vectorized Parquet reader (Spark's) in versions still deployed. A small file (a day's change) is
//! written with snappy rather than zstd ([`SMALL_FILE_ROWS`], [`writer_properties`]).
//!
//! An unpartitioned table's rows are written as files of about its target size
//! ([`target_file_size`]: Iceberg's `write.target-file-size-bytes`, else
//! [`DEFAULT_TARGET_FILE_SIZE`]), not one file however many rows: a run's tidy copies a file
//! whole, and files of a bounded size bound what the dearest tidy copies
//! ([`super::maintain::tidy`]). A file is closed once the row groups it holds are most of
//! the target, so a file of a narrow table (whose pages compress far below what the writer
//! estimates while it fills them) has a few row groups.
//!
//! Every data file gamelake writes from rows goes through [`write`].
//!
//! Must never: record a bound some row of the file breaks; read back a file of one row group;
//! write a column in an encoding outside PLAIN and the dictionary encodings.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::error::ArrowError;
use futures::{Stream, StreamExt};
use iceberg_rust::arrow::write::{generate_file_path, write_parquet_partitioned};
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::file_format::parquet::parquet_to_datafile;
use iceberg_rust::object_store::Bucket;
use iceberg_rust::spec::manifest::DataFile;
use iceberg_rust::spec::schema::Schema;
use iceberg_rust::spec::table_metadata::{WRITE_DATA_PATH, WRITE_OBJECT_STORAGE_ENABLED};
use iceberg_rust::spec::types::Type;
use iceberg_rust::spec::values::Value;
use iceberg_rust::table::Table;
use object_store::ObjectStoreExt;
use parquet::arrow::async_writer::{AsyncArrowWriter, ParquetObjectWriter};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::properties::{DEFAULT_MAX_ROW_GROUP_ROW_COUNT, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::{Error, Result};

/// Writes `batches` as data files of `table` on the current branch (files of about the
/// table's target size for an unpartitioned table, [`write_rolling`]; a file a partition by
/// iceberg-rust's `write_parquet_partitioned` otherwise) and returns their manifest entries,
/// with true bounds for files of more than one row group. Commits nothing.
pub async fn write(
    table: &Table,
    batches: impl Stream<Item = std::result::Result<RecordBatch, ArrowError>> + Send + 'static,
) -> Result<Vec<DataFile>> {
    let partitioned = !table
        .metadata()
        .current_partition_fields(None)
        .map_err(IcebergError::from)?
        .is_empty();
    // gamelake's tables are unpartitioned; a spec another engine gave a table is written as
    // iceberg-rust writes it, a file a partition.
    if !partitioned {
        return write_rolling(table, batches).await;
    }
    let files = write_parquet_partitioned(table, batches, None).await?;
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        out.push(with_true_bounds(table, file).await?);
    }
    Ok(out)
}

/// Iceberg's table property for the size of the data files a writer aims at, which Iceberg's
/// own writers (Spark's, and its `rewrite_data_files`) read too.
pub const TARGET_FILE_SIZE: &str = "write.target-file-size-bytes";

/// The size gamelake aims its data files at when a table does not set [`TARGET_FILE_SIZE`].
/// A run's tidy copies a large file once enough of its rows are deleted
/// ([`super::maintain::tidy`]), and that copy is the dearest thing a daily run does: a table
/// written as one file of its whole size made the day that copied it the dearest plain day
/// of a year. Files of this size bound it, at a footer more a file for every read
/// (docs/benchmarks.md, "seventeenth session"). Iceberg's own default (512 MiB) suits
/// tables written in large batches and compacted apart from their writes.
pub const DEFAULT_TARGET_FILE_SIZE: u64 = 4 << 20;

/// The size `table`'s data files aim at: its [`TARGET_FILE_SIZE`] property, else
/// [`DEFAULT_TARGET_FILE_SIZE`].
pub fn target_file_size(table: &Table) -> Result<u64> {
    let Some(set) = table.metadata().properties.get(TARGET_FILE_SIZE) else {
        return Ok(DEFAULT_TARGET_FILE_SIZE);
    };
    match set.trim().parse::<u64>() {
        Ok(bytes) if bytes > 0 => Ok(bytes),
        _ => Err(Error::Config(format!(
            "table {}: its property {TARGET_FILE_SIZE} is `{set}`, not a positive number of \
             bytes; set it to one (e.g. {DEFAULT_TARGET_FILE_SIZE}), or remove it for \
             gamelake's default",
            table.identifier()
        ))),
    }
}

/// Rows handed to the parquet writer at a time, so that a file is closed soon after it
/// reaches its target size however large the batches are (a full build's are a table).
const ROLL_ROWS: usize = 8_192;

/// Writes `batches` as data files of the unpartitioned `table`, where iceberg-rust would
/// (the table's data folder, its file naming), with [`writer_properties`]: a file is closed
/// and the next begun once it holds most of [`target_file_size`] ([`OpenFile::reached`]).
/// No file when they hold no row.
async fn write_rolling(
    table: &Table,
    batches: impl Stream<Item = std::result::Result<RecordBatch, ArrowError>> + Send + 'static,
) -> Result<Vec<DataFile>> {
    let target = target_file_size(table)?;
    let place = Place::of(table)?;
    let mut batches = std::pin::pin!(batches);
    // The first rows are held until the table's write is known to be small or not: that
    // decides its compression ([`writer_properties`]).
    let mut first = Vec::new();
    let mut rows = 0;
    while rows < SMALL_FILE_ROWS {
        match batches.next().await {
            Some(batch) => {
                let batch = batch?;
                rows += batch.num_rows();
                first.push(batch);
            }
            None => break,
        }
    }
    let properties = writer_properties(table.identifier().name(), rows < SMALL_FILE_ROWS);
    let mut files = Vec::new();
    let mut open: Option<OpenFile> = None;
    let mut rest = futures::stream::iter(first.into_iter().map(Ok)).chain(batches);
    while let Some(batch) = rest.next().await {
        let batch = batch?;
        let mut offset = 0;
        while offset < batch.num_rows() {
            let len = ROLL_ROWS.min(batch.num_rows() - offset);
            let file = match &mut open {
                Some(file) => file,
                None => open.insert(place.create(properties.clone())?),
            };
            file.writer.write(&batch.slice(offset, len)).await?;
            offset += len;
            if file.reached(target).await?
                && let Some(full) = open.take()
            {
                files.push(place.close(full).await?);
            }
        }
    }
    if let Some(last) = open.take() {
        files.push(place.close(last).await?);
    }
    Ok(files)
}

/// Where and how an unpartitioned table's data files are written.
struct Place<'a> {
    table: &'a Table,
    schema: &'a Schema,
    arrow_schema: Arc<arrow::datatypes::Schema>,
    data_location: String,
    /// The table asks for object-storage layout: files directly in the data folder.
    flat: bool,
}

/// A data file being written.
struct OpenFile {
    writer: AsyncArrowWriter<ParquetObjectWriter>,
    path: String,
}

impl OpenFile {
    /// Whether the file holds most of `target` bytes, and is to be closed. The writer's
    /// estimate counts the pages it is filling before compression (up to a page a column),
    /// far more than they take in a narrow table: once the estimate reaches the target, the
    /// row group is closed, so that what the file holds is known.
    async fn reached(&mut self, target: u64) -> Result<bool> {
        let estimate = self.writer.bytes_written() + self.writer.in_progress_size();
        if (estimate as u64) < target {
            return Ok(false);
        }
        self.writer.flush().await?;
        Ok(self.writer.bytes_written() as u64 >= target / 4 * 3)
    }
}

impl<'a> Place<'a> {
    fn of(table: &'a Table) -> Result<Self> {
        let metadata = table.metadata();
        let schema = metadata.current_schema(None).map_err(IcebergError::from)?;
        let arrow_schema: arrow::datatypes::Schema =
            schema.fields().try_into().map_err(IcebergError::from)?;
        let data_location = match metadata.properties.get(WRITE_DATA_PATH) {
            Some(path) => path.clone(),
            None => format!("{}/data/", metadata.location),
        };
        let flat = metadata
            .properties
            .get(WRITE_OBJECT_STORAGE_ENABLED)
            .is_some_and(|v| v == "true");
        Ok(Self {
            table,
            schema,
            arrow_schema: Arc::new(arrow_schema),
            data_location,
            flat,
        })
    }

    /// A new file, named as iceberg-rust names it: under a random folder, or directly in
    /// the data folder when the table asks for object-storage layout.
    fn create(&self, properties: WriterProperties) -> Result<OpenFile> {
        let path = generate_file_path(&self.data_location, self.flat.then(String::new));
        let writer = AsyncArrowWriter::try_new(
            ParquetObjectWriter::new(self.table.object_store(), path.as_str().into()),
            self.arrow_schema.clone(),
            Some(properties),
        )?;
        Ok(OpenFile { writer, path })
    }

    /// Closes `file` and records it with iceberg-rust's own `parquet_to_datafile`, with
    /// bounds taken over every row group when it has several ([`Bounds::of`]).
    async fn close(&self, file: OpenFile) -> Result<DataFile> {
        let footer = file.writer.close().await?;
        let store = self.table.object_store();
        let size = store.head(&file.path.as_str().into()).await?.size;
        let location = format!("{}{}", Bucket::from_path(&self.data_location)?, file.path);
        let entry = parquet_to_datafile(&location, size, &footer, self.schema, &[], None)?;
        if footer.num_row_groups() > 1 {
            return rebuilt(entry, Bounds::of(&footer, self.schema)?);
        }
        Ok(entry)
    }
}

/// A data file of fewer rows than this is small: written with snappy, not zstd
/// ([`writer_properties`]).
pub const SMALL_FILE_ROWS: usize = 16_384;

/// iceberg-rust's writer properties (zstd at level 1, a dictionary where it pays), but the
/// columns of distinct values of the table named `name` written PLAIN
/// ([`crate::schema::TableDef::plain_columns`]: its key, natural key, names, slugs and
/// texts). A dictionary of such a column is as large as the column: the writer hashes
/// every value into it, then falls back to PLAIN within the column chunk.
///
/// A `small` file (fewer than [`SMALL_FILE_ROWS`] rows) is written with snappy. A daily run
/// writes a small file a table, and every run reads it again until a tidy merges it (about
/// a week). parquet 58 sets up a zstd context for every column chunk it reads, which costs
/// a small file more than decompressing its pages; snappy's setup costs next to nothing,
/// and it is Spark's own default codec, which every engine reads. Uncompressed files read
/// as fast and are twice as large (docs/benchmarks.md, "twelfth session").
fn writer_properties(name: &str, small: bool) -> WriterProperties {
    let def = crate::schema::tables()
        .iter()
        .chain([crate::schema::runs_table()])
        .find(|d| d.name == name);
    let distinct = def.into_iter().flat_map(|d| d.plain_columns());
    // Level 1 is the default level, and iceberg-rust's (`create_arrow_writer`).
    let compression = if small {
        Compression::SNAPPY
    } else {
        Compression::ZSTD(ZstdLevel::default())
    };
    let mut builder = WriterProperties::builder().set_compression(compression);
    for column in distinct {
        builder = builder.set_column_dictionary_enabled(ColumnPath::from(column), false);
    }
    builder.build()
}

/// `file` as written, or, when it holds more rows than one row group, with bounds taken from
/// every row group of its footer.
async fn with_true_bounds(table: &Table, file: DataFile) -> Result<DataFile> {
    if *file.record_count() <= DEFAULT_MAX_ROW_GROUP_ROW_COUNT as i64 {
        return Ok(file);
    }
    let size = u64::try_from(*file.file_size_in_bytes())
        .map_err(|_| Error::Internal(format!("{}: a negative file size", file.file_path())))?;
    let store = table.object_store();
    let footer = super::footers::footer(&store, file.file_path(), size).await?;
    let schema = table
        .metadata()
        .current_schema(None)
        .map_err(IcebergError::from)?;
    let bounds = Bounds::of(&footer, schema)?;
    rebuilt(file, bounds)
}

/// A file's lower and upper bound per field id.
#[derive(Debug, Default)]
struct Bounds {
    lower: HashMap<i32, Value>,
    upper: HashMap<i32, Value>,
}

impl Bounds {
    /// The bounds of every column over every row group of a file, by the field ids its
    /// parquet schema carries. A column some row group has no minimum (or maximum) for gets
    /// no lower (or upper) bound: an absent bound excludes nothing.
    fn of(footer: &ParquetMetaData, schema: &Schema) -> Result<Self> {
        let mut bounds = Self::default();
        let columns = footer.file_metadata().schema_descr().columns();
        for (at, column) in columns.iter().enumerate() {
            let info = column.self_type().get_basic_info();
            let field = usize::try_from(info.id())
                .ok()
                .and_then(|id| schema.get(id));
            let Some(field) = field.filter(|_| info.has_id()) else {
                continue;
            };
            let stats = || {
                footer
                    .row_groups()
                    .iter()
                    .map(|g| g.column(at).statistics())
            };
            let mins = stats().map(|s| s.and_then(|s| s.min_bytes_opt()));
            if let Some(low) = widest(mins, &field.field_type, std::cmp::min)? {
                bounds.lower.insert(field.id, low);
            }
            let maxes = stats().map(|s| s.and_then(|s| s.max_bytes_opt()));
            if let Some(high) = widest(maxes, &field.field_type, std::cmp::max)? {
                bounds.upper.insert(field.id, high);
            }
        }
        Ok(bounds)
    }
}

/// The widest of one column's row-group statistics (`pick` of them all), decoded as `ty`;
/// `None` when a row group has none.
fn widest<'a>(
    values: impl Iterator<Item = Option<&'a [u8]>>,
    ty: &Type,
    pick: fn(Value, Value) -> Value,
) -> Result<Option<Value>> {
    let mut widest: Option<Value> = None;
    for bytes in values {
        let Some(bytes) = bytes else {
            return Ok(None);
        };
        let value = Value::try_from_bytes(bytes, ty).map_err(IcebergError::from)?;
        widest = Some(match widest {
            Some(so_far) => pick(so_far, value),
            None => value,
        });
    }
    Ok(widest)
}

/// `file`'s entry with `bounds` in place of its own.
fn rebuilt(file: DataFile, bounds: Bounds) -> Result<DataFile> {
    let mut builder = DataFile::builder();
    builder
        .with_content(file.content().clone())
        .with_file_path(file.file_path().clone())
        .with_file_format(file.file_format().clone())
        .with_partition(file.partition().clone())
        .with_record_count(*file.record_count())
        .with_file_size_in_bytes(*file.file_size_in_bytes())
        .with_column_sizes(file.column_sizes().clone())
        .with_value_counts(file.value_counts().clone())
        .with_null_value_counts(file.null_value_counts().clone())
        .with_nan_value_counts(file.nan_value_counts().clone())
        .with_lower_bounds(Some(bounds.lower))
        .with_upper_bounds(Some(bounds.upper))
        .with_key_metadata(file.key_metadata().clone())
        .with_split_offsets(file.split_offsets().clone())
        .with_equality_ids(file.equality_ids().clone())
        .with_sort_order_id(*file.sort_order_id());
    Ok(builder.build().map_err(IcebergError::from)?)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array, StringArray};

    use super::*;

    /// A footer of two row groups: a long and a string column, the string's largest value in
    /// the second.
    fn two_row_groups() -> (ParquetMetaData, Schema) {
        let def = crate::schema::table("dim_genre").expect("def");
        let arrow_schema = def.arrow_schema();
        let mut bytes = Vec::new();
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(&mut bytes, arrow_schema.clone(), None)
                .expect("writer");
        for (key, name) in [(5, "m"), (2, "z")] {
            let name: ArrayRef = Arc::new(StringArray::from(vec![name]));
            let columns: Vec<ArrayRef> = vec![
                Arc::new(Int64Array::from(vec![key])),
                Arc::new(Int64Array::from(vec![key])),
                name.clone(),
                name,
            ];
            let batch = RecordBatch::try_new(arrow_schema.clone(), columns).expect("batch");
            writer.write(&batch).expect("write");
            writer.flush().expect("a row group each");
        }
        let footer = writer.close().expect("close");
        (footer, def.iceberg_schema().expect("schema"))
    }

    #[test]
    fn bounds_span_every_row_group() {
        let (footer, schema) = two_row_groups();
        assert_eq!(footer.num_row_groups(), 2);
        let bounds = Bounds::of(&footer, &schema).expect("bounds");
        let id = |name: &str| schema.get_name(name).expect("column").id;
        assert_eq!(bounds.lower[&id("genre_key")], Value::LongInt(2));
        assert_eq!(bounds.upper[&id("genre_key")], Value::LongInt(5));
        assert_eq!(bounds.lower[&id("name")], Value::String("m".into()));
        assert_eq!(bounds.upper[&id("name")], Value::String("z".into()));
    }

    /// The fact's keys, names, slugs and image URLs (each game's own, in real RAWG data) are
    /// written without a dictionary, its counts and ratings (few distinct values) with one,
    /// small files as large ones.
    #[test]
    fn columns_of_distinct_values_are_written_without_a_dictionary() {
        for small in [false, true] {
            let props = writer_properties("fact_games", small);
            let dictionary = |c: &str| props.dictionary_enabled(&ColumnPath::from(c));
            for plain in ["game_key", "game_id", "name", "slug", "background_image"] {
                assert!(!dictionary(plain), "{plain} has a dictionary");
            }
            for coded in ["rating", "ratings_count", "released_date_key"] {
                assert!(dictionary(coded), "{coded} has no dictionary");
            }
        }
        let tag = writer_properties("dim_tag", false);
        assert!(!tag.dictionary_enabled(&ColumnPath::from("name")));
        assert!(tag.dictionary_enabled(&ColumnPath::from("language")));
    }
}
