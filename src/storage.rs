//! The warehouse root in object storage: where raw files, ingest state and (for the embedded
//! catalog) table files live.
//!
//! Everything gamelake writes goes through [`Warehouse`], with paths relative to its root, so
//! nothing can land outside it. Only local folders are wired up today; `s3://` is refused
//! with a clear error rather than half-supported.
//!
//! Writes are whole-object puts: `object_store`'s local backend writes a staging file and
//! renames it into place, so a reader (or a rerun after a crash) sees a file completely or not
//! at all. It does not fsync; a power loss may lose the newest files, never corrupt old ones.

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload};

use crate::{Error, Result};

/// A warehouse root and the object store behind it.
#[derive(Debug, Clone)]
pub struct Warehouse {
    root: PathBuf,
    store: Arc<dyn ObjectStore>,
}

impl Warehouse {
    /// Opens (creating if needed) the warehouse at `location`: a local path or `file://` URL.
    pub fn open(location: &str) -> Result<Self> {
        if location.contains("://") && !location.starts_with("file://") {
            return Err(Error::Config(format!(
                "warehouse {location:?}: only local folders are supported in this version \
                 (object storage such as s3:// is not wired up yet)"
            )));
        }
        let path = location.strip_prefix("file://").unwrap_or(location);
        std::fs::create_dir_all(path).map_err(|e| Error::io(path, e))?;
        let root = std::fs::canonicalize(path).map_err(|e| Error::io(path, e))?;
        let root_str = root
            .to_str()
            .ok_or_else(|| Error::Config(format!("warehouse path {root:?} is not valid UTF-8")))?;
        if root_str.contains(['\'', '"', '\n', '%', '#', '?']) {
            return Err(Error::Config(format!(
                "warehouse path {root_str:?} contains characters that are unsafe in URLs; \
                 choose another folder"
            )));
        }
        let store = LocalFileSystem::new_with_prefix(&root)?;
        Ok(Self {
            root,
            store: Arc::new(store),
        })
    }

    /// The local folder of the warehouse.
    pub fn root(&self) -> &FsPath {
        &self.root
    }

    /// The warehouse root as a URL (`file:///abs/path`), as table metadata records it.
    pub fn root_url(&self) -> String {
        format!("file://{}", self.root.display())
    }

    /// Writes a whole object atomically (see the module docs).
    pub async fn put(&self, rel: &str, bytes: Bytes) -> Result<()> {
        self.store
            .put(&Path::from(rel), PutPayload::from_bytes(bytes))
            .await?;
        Ok(())
    }

    /// Reads a whole object.
    pub async fn get(&self, rel: &str) -> Result<Bytes> {
        Ok(self.store.get(&Path::from(rel)).await?.bytes().await?)
    }

    /// Deletes an object (missing is fine).
    pub async fn delete(&self, rel: &str) -> Result<()> {
        match self.store.delete(&Path::from(rel)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Lists the objects under `prefix`, sorted by path.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let mut items: Vec<ObjectMeta> = self
            .store
            .list(Some(&Path::from(prefix)))
            .try_collect()
            .await?;
        items.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_list_round_trip_under_the_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wh = Warehouse::open(dir.path().to_str().expect("utf8")).expect("open");
        wh.put("raw/games/b.parquet", Bytes::from_static(b"2"))
            .await
            .expect("put");
        wh.put("raw/games/a.parquet", Bytes::from_static(b"1"))
            .await
            .expect("put");
        let listed: Vec<String> = wh
            .list("raw/games")
            .await
            .expect("list")
            .into_iter()
            .map(|m| m.location.to_string())
            .collect();
        assert_eq!(listed, ["raw/games/a.parquet", "raw/games/b.parquet"]);
        assert_eq!(&wh.get("raw/games/a.parquet").await.expect("get")[..], b"1");
        assert!(dir.path().join("raw/games/a.parquet").exists());
    }

    #[test]
    fn object_storage_urls_are_refused_clearly() {
        let err = Warehouse::open("s3://bucket/prefix").expect_err("refused");
        assert!(err.to_string().contains("only local folders"), "{err}");
    }
}
