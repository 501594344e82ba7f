//! Merge-on-read: replacing rows by key with Iceberg v2 position delete files.
//!
//! To replace the rows of some keys, we read only the key column of the table's live data
//! files, note the (file, position) of each row to replace, write those as one position
//! delete file, write the new rows as new data files, and commit both in one snapshot.
//! Untouched data files stay as they are, so the bytes written are proportional to the change.
//!
//! Must never: write equality deletes (pyiceberg 0.12 refuses them), or commit the deletes
//! and the new rows in separate snapshots (a reader would see the rows gone, or doubled).

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, DictionaryArray, Int32Array, Int64Array, RecordBatch, StringArray,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema};
use futures::StreamExt;
use iceberg_rust::object_store::Bucket;
use iceberg_rust::spec::manifest::{Content, DataFile, FileFormat};
use iceberg_rust::spec::util::strip_prefix;
use iceberg_rust::spec::values::Struct;
use iceberg_rust::table::Table;
use object_store::{ObjectStoreExt, PutPayload};
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::arrow::async_reader::{ParquetObjectReader, ParquetRecordBatchStreamBuilder};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use super::scan::{LiveFile, TableFiles};
use crate::keyset::KeySet;
use crate::task::Latch;
use crate::{Error, Result};

/// The table properties an upsert sets in its own commit, given what it changes. Which
/// properties a table carries is its writer's policy (the ETL's, `crate::etl`); the
/// lakehouse only commits them.
pub type PropertiesFor<'a> = &'a (dyn Fn(&RowChange) -> Vec<(String, String)> + Send + Sync);

/// Iceberg's reserved field ids of a position delete file's columns.
const FILE_PATH_FIELD_ID: i32 = 2_147_483_546;
const POS_FIELD_ID: i32 = 2_147_483_545;

/// What a merge-on-read write did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowChange {
    /// Rows deleted (through position deletes).
    pub rows_removed: u64,
    /// Rows appended.
    pub rows_added: u64,
    /// Data files the deletes point into (none of them was rewritten).
    pub files_touched: usize,
    /// Rows the write kept (live, and not among those it replaced) whose key one of the
    /// appended rows repeats. Counted by the same read of the key column that finds the rows
    /// to replace, so the data checks need not read the column again
    /// ([`crate::checks::KeptKeys`]).
    pub kept_sharing_added: u64,
}

/// What one read of a table's key column found.
#[derive(Debug, Default)]
pub struct KeyScan {
    /// Positions of the live rows whose key is to be replaced, per data file (sorted).
    pub positions: Vec<(String, Vec<i64>)>,
    /// Live rows not replaced whose key is in the `repeats` asked about.
    pub kept_sharing: u64,
}

/// Reads `key_column` of every live row once: the positions of the rows whose key is in
/// `keys`, and how many of the other live rows have a key in `repeats`.
pub async fn positions_of(
    table: &Table,
    files: &TableFiles,
    key_column: &str,
    keys: &HashSet<i64>,
    repeats: &KeySet,
) -> Result<KeyScan> {
    // Every run of equal keys in the column is probed ([`KeyProbe::batch`]).
    let keys = KeySet::new(keys.iter().copied());
    // A few files are read at once, their results taken in the files' order.
    // (Collected first: a stream mapping through a closure is not `Send` for the compiler.)
    let mut reads = Vec::new();
    for file in files.files.iter().filter(|file| file.live_rows() > 0) {
        let probe = KeyProbe {
            keys: &keys,
            repeats,
            deleted: &file.deleted,
        };
        reads.push(scan_file(table, file, key_column, probe));
    }
    let mut scans = futures::stream::iter(reads).buffered(super::FILES_AT_ONCE);
    let mut out = KeyScan::default();
    while let Some(scanned) = scans.next().await {
        let file = scanned?;
        out.kept_sharing += file.kept_sharing;
        if !file.hits.is_empty() {
            out.positions.push((file.path, file.hits));
        }
    }
    Ok(out)
}

/// One live file's part of a [`KeyScan`].
struct FileScan {
    path: String,
    /// The positions of its live rows to replace, ascending.
    hits: Vec<i64>,
    /// Its live rows kept whose key an added row repeats.
    kept_sharing: u64,
}

/// Reads and probes one live file's key column ([`positions_of`]).
async fn scan_file(
    table: &Table,
    file: &LiveFile,
    key_column: &str,
    probe: KeyProbe<'_>,
) -> Result<FileScan> {
    let bad = |e: String| Error::corrupt(file.path.clone(), e);
    // Range reads of the key column's chunks, not the whole file (the key column is a small
    // part of a fact file; on S3 the difference is what is fetched); the footer is the
    // process's copy ([`super::footers`]), which the run's scans share.
    let store = table.object_store();
    let footer = super::footers::footer(&store, &file.path, file.size).await?;
    let metadata = ArrowReaderMetadata::try_new(footer, ArrowReaderOptions::default())
        .map_err(|e| bad(e.to_string()))?;
    let object = ParquetObjectReader::new(store, strip_prefix(&file.path).as_str().into())
        .with_file_size(file.size);
    let builder = ParquetRecordBatchStreamBuilder::new_with_metadata(object, metadata);
    let mask = ProjectionMask::columns(builder.parquet_schema(), [key_column]);
    let mut reader = builder
        .with_projection(mask)
        .with_batch_size(super::NARROW_BATCH_ROWS)
        .build()
        .map_err(|e| bad(e.to_string()))?;
    let (mut position, mut hits, mut kept_sharing) = (0i64, Vec::new(), 0);
    while let Some(batch) = reader.next().await {
        let batch = batch?;
        let column = batch
            .column(0)
            .as_any()
            .downcast_ref::<Int64Array>()
            .ok_or_else(|| bad(format!("{key_column} is not a BIGINT column")))?;
        kept_sharing += probe.batch(column, position, &mut hits);
        position += column.len() as i64;
    }
    Ok(FileScan {
        path: file.path.clone(),
        hits,
        kept_sharing,
    })
}

/// What [`positions_of`] makes of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// Its live rows are replaced.
    Replace,
    /// Its live rows are kept, and an added row repeats it.
    Repeated,
    /// Its live rows are kept.
    Keep,
}

/// The sets one file's key column is probed against, and the positions deleted from it.
struct KeyProbe<'a> {
    keys: &'a KeySet,
    repeats: &'a KeySet,
    deleted: &'a super::positions::Positions,
}

impl KeyProbe<'_> {
    fn of(&self, key: i64) -> Probe {
        if self.keys.contains(key) {
            Probe::Replace
        } else if !self.repeats.is_empty() && self.repeats.contains(key) {
            Probe::Repeated
        } else {
            Probe::Keep
        }
    }

    /// Probes one batch of the column, whose first row is at `first` in the file: pushes the
    /// live positions to replace to `hits`, returns how many live rows are kept sharing a key
    /// with an added row. The ETL writes a table sorted by its key, and a tidy copies the
    /// files it merges in stretches of their order (not in key order: docs/benchmarks.md,
    /// "sixteenth session"), so a key repeats over runs of rows (a game's tags): a run is
    /// probed once, and only the rows of a run that is not kept whole are looked at one by
    /// one (nulls, deleted rows).
    fn batch(&self, column: &Int64Array, first: i64, hits: &mut Vec<i64>) -> u64 {
        let values = column.values();
        let mut kept_sharing = 0;
        let mut start = 0;
        while start < values.len() {
            let key = values[start];
            let end = values[start..]
                .iter()
                .position(|&k| k != key)
                .map_or(values.len(), |n| start + n);
            let probe = self.of(key);
            if probe != Probe::Keep {
                for at in start..end {
                    let pos = first + at as i64;
                    // A null's slot holds any value; a deleted row is neither replaced nor
                    // kept.
                    if column.is_null(at) || self.deleted.contains(pos as u64) {
                        continue;
                    }
                    match probe {
                        Probe::Replace => hits.push(pos),
                        Probe::Repeated => kept_sharing += 1,
                        Probe::Keep => {}
                    }
                }
            }
            start = end;
        }
        kept_sharing
    }
}

/// The keys of `new_rows` that are not among the `keys` replaced: a live row holding one
/// is kept beside an added row with the same key.
fn repeated_keys(
    new_rows: Option<&RecordBatch>,
    key_column: &str,
    keys: &HashSet<i64>,
) -> Result<KeySet> {
    let Some(batch) = new_rows else {
        return Ok(KeySet::new([]));
    };
    let column = batch
        .column_by_name(key_column)
        .and_then(|c| c.as_any().downcast_ref::<Int64Array>())
        .ok_or_else(|| {
            Error::Internal(format!(
                "the rows to add have no BIGINT column {key_column}"
            ))
        })?;
    Ok(KeySet::new(
        column.iter().flatten().filter(|k| !keys.contains(k)),
    ))
}

/// Writes one position delete file for `positions` under the table's data folder.
pub async fn write_position_deletes(
    table: &Table,
    positions: &[(String, Vec<i64>)],
) -> Result<DataFile> {
    let (buffer, rows) = delete_file_bytes(positions)?;
    let key = format!(
        "{}/data/{:032x}-deletes.parquet",
        strip_prefix(&table.metadata().location),
        fastrand::u128(..)
    );
    let size = buffer.len() as i64;
    table
        .object_store()
        .put(&key.as_str().into(), PutPayload::from(buffer))
        .await?;
    // Recorded as iceberg-rust records data files: with the bucket (`s3://b/…`) on object
    // storage, a bare path on local disks. Other readers resolve it without our store.
    let location = format!("{}{key}", Bucket::from_path(&table.metadata().location)?);
    let file = DataFile::builder()
        .with_content(Content::PositionDeletes)
        .with_file_path(location)
        .with_file_format(FileFormat::Parquet)
        .with_partition(Struct {
            fields: Vec::new(),
            lookup: Default::default(),
        })
        .with_record_count(rows)
        .with_file_size_in_bytes(size)
        .with_column_sizes(None)
        .with_value_counts(None)
        .with_null_value_counts(None)
        .with_nan_value_counts(None)
        .with_lower_bounds(None)
        .with_upper_bounds(None)
        .build()
        .map_err(iceberg_rust::error::Error::from)?;
    Ok(file)
}

/// A position delete file for `positions`, as parquet bytes, and its row count.
fn delete_file_bytes(positions: &[(String, Vec<i64>)]) -> Result<(Vec<u8>, i64)> {
    let (batch, schema) = delete_rows(positions)?;
    let mut buffer = Vec::new();
    // No `ARROW:schema` in the footer: the file is a plain Iceberg delete file (a string
    // `file_path`), whatever arrow type built it, for every engine that reads it. `pos` is
    // PLAIN: every position is distinct, so a dictionary would hold each value once more
    // beside its index (a larger file, docs/benchmarks.md), cost every write a hash of each
    // position and every read a dictionary to decode; and every run reads each delete file
    // of the tables it writes.
    let properties = WriterProperties::builder()
        .set_column_dictionary_enabled(ColumnPath::from("pos"), false)
        .build();
    let options = ArrowWriterOptions::new()
        .with_skip_arrow_metadata(true)
        .with_properties(properties);
    let mut writer = ArrowWriter::try_new_with_options(&mut buffer, schema, options)?;
    writer.write(&batch)?;
    writer.close()?;
    Ok((buffer, batch.num_rows() as i64))
}

/// The rows of a position delete file for `positions`: sorted by path, each file's
/// positions as given (ascending). `file_path` is built as a dictionary of the distinct
/// paths: a tidy that keeps a large file writes every position deleted from it (hundreds of
/// thousands after a year), and a string column would copy the path into every row.
fn delete_rows(positions: &[(String, Vec<i64>)]) -> Result<(RecordBatch, Arc<Schema>)> {
    let mut sorted: Vec<&(String, Vec<i64>)> = positions.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let rows: usize = sorted.iter().map(|(_, ps)| ps.len()).sum();
    let mut keys = Vec::with_capacity(rows);
    let mut pos = Vec::with_capacity(rows);
    for (i, (_, ps)) in sorted.iter().enumerate() {
        let key = i32::try_from(i)
            .map_err(|_| Error::Internal("more than 2^31 files in one delete file".into()))?;
        keys.extend(std::iter::repeat_n(key, ps.len()));
        pos.extend_from_slice(ps);
    }
    let paths = StringArray::from_iter_values(sorted.iter().map(|(path, _)| path.as_str()));
    let file_path = DictionaryArray::<Int32Type>::try_new(Int32Array::from(keys), Arc::new(paths))?;
    let field_id = |f: Field, id: i32| {
        f.with_metadata(
            [(
                iceberg_rust::spec::arrow::schema::PARQUET_FIELD_ID_META_KEY.to_string(),
                id.to_string(),
            )]
            .into(),
        )
    };
    let schema = Arc::new(Schema::new(vec![
        field_id(
            Field::new("file_path", super::scan::path_type(), false),
            FILE_PATH_FIELD_ID,
        ),
        field_id(Field::new("pos", DataType::Int64, false), POS_FIELD_ID),
    ]));
    let columns: Vec<ArrayRef> = vec![Arc::new(file_path), Arc::new(Int64Array::from(pos))];
    Ok((RecordBatch::try_new(schema.clone(), columns)?, schema))
}

/// Replaces the rows whose `key_column` is in `keys` with `new_rows`, and sets `properties`,
/// in one commit (one snapshot when rows change). With nothing to remove or add, only the
/// properties are committed (no snapshot), and with no properties either, nothing. With
/// `ready`, the rows are read and the files written at once, and the commit waits until
/// `ready` opens (the caller's other tables are committed first).
pub(crate) async fn upsert(
    table: &mut Table,
    key_column: &str,
    keys: &HashSet<i64>,
    new_rows: Option<RecordBatch>,
    properties: PropertiesFor<'_>,
    ready: Option<&Latch>,
) -> Result<RowChange> {
    let new_rows = new_rows.filter(|b| b.num_rows() > 0);
    let repeats = repeated_keys(new_rows.as_ref(), key_column, keys)?;
    let mut files = TableFiles::load(table).await?;
    let mut scan = positions_of(table, &files, key_column, keys, &repeats).await?;
    let appends = !scan.positions.is_empty() || new_rows.is_some();
    if appends && files.needs_relist_before_append() {
        // The relisting is a commit of its own: it too waits its turn.
        wait(ready).await;
        super::foreign::relist_before_append(table, files).await?;
        files = TableFiles::load(table).await?;
        scan = positions_of(table, &files, key_column, keys, &repeats).await?;
    }
    let positions = scan.positions;
    let mut change = RowChange {
        rows_removed: positions.iter().map(|(_, p)| p.len() as u64).sum(),
        rows_added: new_rows.as_ref().map_or(0, |b| b.num_rows() as u64),
        files_touched: positions.len(),
        kept_sharing_added: scan.kept_sharing,
    };
    if change.rows_removed == 0 && change.rows_added == 0 {
        change.files_touched = 0;
        let properties = properties(&change);
        if !properties.is_empty() {
            wait(ready).await;
            table
                .new_transaction(None)
                .update_properties(properties)
                .commit()
                .await?;
        }
        return Ok(change);
    }
    let mut transaction_files = Vec::new();
    if let Some(batch) = new_rows {
        transaction_files =
            super::data_files::write(table, futures::stream::iter(vec![Ok(batch)])).await?;
    }
    let deletes = if positions.is_empty() {
        Vec::new()
    } else {
        vec![write_position_deletes(table, &positions).await?]
    };
    let mut tx = table
        .new_transaction(None)
        .update_properties(properties(&change));
    if !transaction_files.is_empty() {
        tx = tx.append_data(transaction_files);
    }
    if !deletes.is_empty() {
        tx = tx.append_delete(deletes);
    }
    wait(ready).await;
    tx.commit().await?;
    Ok(change)
}

async fn wait(ready: Option<&Latch>) {
    if let Some(ready) = ready {
        ready.opened().await;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use parquet::basic::{ConvertedType, Type as PhysicalType};
    use parquet::file::reader::{FileReader, SerializedFileReader};

    use super::*;
    use crate::lakehouse::scan::read_position_deletes;

    fn positions() -> Vec<(String, Vec<i64>)> {
        vec![
            ("/w/t/data/b.parquet".to_string(), vec![0, 7, 9]),
            (
                "/w/t/data/a.parquet".to_string(),
                (0..5_000).map(|p| p * 3).collect(),
            ),
            ("/w/t/data/c.parquet".to_string(), vec![2]),
        ]
    }

    fn read_back(bytes: Vec<u8>) -> HashMap<String, Vec<u64>> {
        let mut read = HashMap::new();
        read_position_deletes(bytes.into(), "test", &mut read).unwrap();
        read
    }

    /// A batch probed run by run finds what probing every row finds: the live, non-null rows
    /// of the keys replaced, and the live rows kept beside an added row's key. Null slots
    /// hold a replaced key's value (arrow leaves any value there), runs are split by a null
    /// and by a batch's end, and deleted rows sit inside runs of every kind.
    #[test]
    fn a_batch_probed_by_runs_finds_what_every_row_finds() {
        use crate::lakehouse::positions::Positions;
        // -1 stands for a null.
        let values: Vec<Option<i64>> = [1, 1, 2, -1, 2, 2, 3, 3, 3, 4, -1, 5, 5, 7, 2, 2]
            .map(|k: i64| (k >= 0).then_some(k))
            .to_vec();
        // Arrow leaves a null slot's value undefined: here the null slots hold 2, a key that
        // is replaced.
        let column = Int64Array::new(
            values.iter().map(|v| v.unwrap_or(2)).collect(),
            Some(values.iter().map(Option::is_some).collect()),
        );
        let keys = KeySet::new([2, 5, 9]);
        let repeats = KeySet::new([3, 7]);
        let deleted = Positions::from_unsorted(vec![100 + 4, 100 + 7, 100 + 12]);
        let probe = KeyProbe {
            keys: &keys,
            repeats: &repeats,
            deleted: &deleted,
        };
        let (mut expected_hits, mut expected_kept) = (Vec::new(), 0);
        for (i, v) in values.iter().enumerate() {
            let pos = 100 + i as i64;
            match v {
                Some(k) if !deleted.contains(pos as u64) && keys.contains(*k) => {
                    expected_hits.push(pos)
                }
                Some(k) if !deleted.contains(pos as u64) && repeats.contains(*k) => {
                    expected_kept += 1
                }
                _ => {}
            }
        }
        let mut hits = Vec::new();
        let mut kept = probe.batch(&column.slice(0, 9), 100, &mut hits);
        kept += probe.batch(&column.slice(9, 7), 109, &mut hits);
        assert_eq!(hits, expected_hits);
        assert_eq!(kept, expected_kept);
        assert_eq!(hits, vec![102, 105, 111, 114, 115]);
        assert_eq!(kept, 3);
    }

    /// What we write reads back as the positions given, and is a plain Iceberg delete file:
    /// `file_path` a UTF8 byte array with its field id, no arrow schema in the footer for a
    /// reader to take a dictionary type from.
    #[test]
    fn a_delete_file_reads_back_and_is_plain_to_other_readers() {
        let (bytes, rows) = delete_file_bytes(&positions()).unwrap();
        assert_eq!(rows, 5_004);
        let read = read_back(bytes.clone());
        for (path, expected) in positions() {
            let got = &read[&strip_prefix(&path)];
            assert_eq!(got, &expected.iter().map(|&p| p as u64).collect::<Vec<_>>());
        }
        let reader = SerializedFileReader::new(bytes::Bytes::from(bytes)).unwrap();
        let meta = reader.metadata().file_metadata();
        let keys: Vec<&str> = meta
            .key_value_metadata()
            .into_iter()
            .flatten()
            .map(|kv| kv.key.as_str())
            .collect();
        assert!(!keys.contains(&"ARROW:schema"), "{keys:?}");
        let column = meta.schema_descr().column(0);
        assert_eq!(column.name(), "file_path");
        assert_eq!(column.physical_type(), PhysicalType::BYTE_ARRAY);
        assert_eq!(column.converted_type(), ConvertedType::UTF8);
        assert_eq!(column.self_type().get_basic_info().id(), FILE_PATH_FIELD_ID);
        // The few paths are a dictionary; the positions, each distinct, are PLAIN.
        let group = reader.metadata().row_group(0);
        let dictionary = |i: usize| group.column(i).dictionary_page_offset().is_some();
        assert!(dictionary(0), "file_path has no dictionary");
        assert!(!dictionary(1), "pos is dictionary-encoded");
    }

    /// A delete file another engine wrote (or an earlier gamelake: a plain string column, an
    /// arrow schema saying so, and the spec's optional `row` column), or an arrow writer's
    /// dictionary with other keys, reads the same.
    #[test]
    fn a_delete_file_with_a_string_column_reads_the_same() {
        let mut paths = Vec::new();
        let mut pos = Vec::new();
        let mut sorted = positions();
        sorted.sort();
        for (path, ps) in &sorted {
            paths.extend(std::iter::repeat_n(path.as_str(), ps.len()));
            pos.extend_from_slice(ps);
        }
        let row = Int64Array::from(vec![1i64; pos.len()]);
        let batch = RecordBatch::try_from_iter([
            ("file_path", Arc::new(StringArray::from(paths)) as ArrayRef),
            ("pos", Arc::new(Int64Array::from(pos)) as ArrayRef),
            ("row", Arc::new(row) as ArrayRef),
        ])
        .unwrap();
        let small_keys = DataType::Dictionary(Box::new(DataType::UInt16), Box::new(DataType::Utf8));
        let as_small_dictionary = RecordBatch::try_from_iter([
            (
                "file_path",
                arrow::compute::cast(batch.column(0), &small_keys).unwrap(),
            ),
            ("pos", batch.column(1).clone()),
        ])
        .unwrap();
        let (ours, _) = delete_file_bytes(&positions()).unwrap();
        for batch in [batch, as_small_dictionary] {
            let mut bytes = Vec::new();
            let mut writer = ArrowWriter::try_new(&mut bytes, batch.schema(), None).unwrap();
            writer.write(&batch).unwrap();
            writer.close().unwrap();
            assert_eq!(read_back(bytes), read_back(ours.clone()));
        }
    }
}
