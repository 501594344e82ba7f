//! Parquet footers, read once per process and shared by every reader of a data file.
//!
//! A run reads a table's data files in several steps: the stored keys, the upserts' key
//! columns ([`super::deletes::positions_of`]), the access plans of its scans, the checks'
//! queries. Each step used to fetch and parse a file's footer again, and on S3 a footer is a
//! request or two, so a table's files between tidies cost a run requests in every step. An
//! Iceberg data file never changes under its path, so its footer is read here once (two
//! readers asking at the same instant may both read it) and served to all of them: to
//! DataFusion's parquet scans as their metadata cache ([`cache`]), and to gamelake's own
//! readers through [`footer`].
//!
//! Entries are keyed as DataFusion keys them: by the path within the object store (an S3
//! bucket's name is not part of it), and used only for a file of the same size. Data files
//! are named by a fresh UUID each, so two warehouses in one process do not share a path.
//!
//! Must never: serve the footer of one file for another (an entry answers only for its path
//! and size), or grow without bound (the least recently used footers go past [`LIMIT`]).

use std::sync::{Arc, LazyLock};

use datafusion::datasource::listing::PartitionedFile;
use datafusion::datasource::physical_plan::parquet::metadata::DFParquetMetadata;
use datafusion::error::DataFusionError;
use datafusion::execution::cache::DefaultFilesMetadataCache;
use datafusion::execution::cache::cache_manager::FileMetadataCache;
use iceberg_rust::spec::util::strip_prefix;
use object_store::ObjectStore;
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetMetaData;

use crate::{Error, Result};

/// Bytes of footers kept. A data file's footer is a few kilobytes to a few tens (its
/// columns' statistics and page index): this holds the tables of a large warehouse many
/// times over.
pub const LIMIT: usize = 64 * 1024 * 1024;

/// Bytes read from a file's end in one request when its footer is not known yet: a
/// gamelake data file's whole footer, so one request instead of two (length, then footer).
const PREFETCH: usize = 64 * 1024;

static FOOTERS: LazyLock<Arc<DefaultFilesMetadataCache>> =
    LazyLock::new(|| Arc::new(DefaultFilesMetadataCache::new(LIMIT)));

/// The process's footers, as the metadata cache of DataFusion's parquet scans.
pub fn cache() -> Arc<dyn FileMetadataCache> {
    FOOTERS.clone()
}

/// The footer of the data file at `path` (as a manifest records it) of `size` bytes: from
/// the cache, or read from `store` and kept.
pub async fn footer(
    store: &Arc<dyn ObjectStore>,
    path: &str,
    size: u64,
) -> Result<Arc<ParquetMetaData>> {
    // The object's description exactly as a scan's `PartitionedFile` gives it, so an entry
    // put here serves the scans and the other way round.
    let object = PartitionedFile::new(strip_prefix(path), size).object_meta;
    DFParquetMetadata::new(store.as_ref(), &object)
        .with_metadata_size_hint(Some(PREFETCH))
        .with_file_metadata_cache(Some(cache()))
        .fetch_metadata()
        .await
        .map_err(|e| classify(path, e))
}

/// A failed footer read as gamelake's error: the store's own error (a missing file, a
/// refused request) keeps its type; anything else is a corrupt file.
fn classify(path: &str, e: DataFusionError) -> Error {
    match e {
        DataFusionError::ObjectStore(store) => Error::from(*store),
        DataFusionError::ParquetError(parquet) => match *parquet {
            ParquetError::External(inner) => match inner.downcast::<object_store::Error>() {
                Ok(store) => Error::from(*store),
                Err(other) => Error::corrupt(path, other),
            },
            other => Error::corrupt(path, other),
        },
        other => Error::corrupt(path, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, RecordBatch};
    use object_store::memory::InMemory;
    use object_store::{ObjectStoreExt, PutPayload};
    use parquet::arrow::ArrowWriter;

    async fn put_file(store: &Arc<dyn ObjectStore>, path: &str, rows: i64) -> u64 {
        let batch = RecordBatch::try_from_iter([(
            "game_key",
            Arc::new(Int64Array::from_iter_values(0..rows)) as _,
        )])
        .expect("batch");
        let mut bytes = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut bytes, batch.schema(), None).expect("writer");
        writer.write(&batch).expect("write");
        writer.close().expect("close");
        let size = bytes.len() as u64;
        store
            .put(&path.into(), PutPayload::from(bytes))
            .await
            .expect("put");
        size
    }

    #[tokio::test]
    async fn a_footer_is_read_once_and_only_answers_for_its_own_file() {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let path = "wh/rawg/t/data/4b1d0c9e-footers-test.parquet";
        let size = put_file(&store, path, 1_000).await;
        let first = footer(&store, path, size).await.expect("first read");
        assert_eq!(first.file_metadata().num_rows(), 1_000);

        // Gone from the store: the second read is the cache's (no request made).
        store.delete(&path.into()).await.expect("delete");
        let again = footer(&store, path, size)
            .await
            .expect("served from the cache");
        assert!(Arc::ptr_eq(&first, &again));

        // Another size is another file: read from the store, where nothing is now.
        let other = footer(&store, path, size + 1).await;
        assert!(
            matches!(
                other,
                Err(Error::Storage(object_store::Error::NotFound { .. }))
            ),
            "{other:?}"
        );
    }

    #[tokio::test]
    async fn a_file_that_is_not_parquet_is_corrupt_and_names_its_path() {
        let store: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let path = "wh/rawg/t/data/5c2e1dafooters-test-not-parquet.parquet";
        store
            .put(&path.into(), PutPayload::from(vec![7u8; 100]))
            .await
            .expect("put");
        match footer(&store, path, 100).await {
            Err(Error::Corrupt { path: p, .. }) => assert_eq!(p, path),
            other => panic!("expected a corrupt file, got {other:?}"),
        }
    }
}
