//! The warehouse root in object storage: where raw files and ingest state live, and (for the
//! embedded catalog) the catalog file and table files too.
//!
//! Everything gamelake writes goes through [`Warehouse`], with paths relative to its root, so
//! nothing can land outside it. The root is a local folder or `s3://bucket/prefix` (see
//! [`s3`]); both go through the same `object_store` calls, but for one: the names of a local
//! folder's parquet files are read from its directories ([`Warehouse::parquet_files`]).
//!
//! Writes are whole-object puts: a reader (or a rerun after a crash) sees an object completely
//! or not at all (the local backend writes a staging file and renames it; S3 puts are atomic).
//! Local writes are not fsynced: a power loss may lose the newest files, never corrupt old ones.
//! Writes that must not race (the lease) use the conditional operations
//! [`Warehouse::create_if_absent`] and [`Warehouse::replace_if_unchanged`].
//!
//! Must never: know what the objects are. Where the raw landing, state and tables go is
//! their owners' business (`raw`, `ingest`, `catalog`); this module only stores bytes.

pub mod s3;

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{
    ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion,
};

use crate::error::ObjectAction;
use crate::{Error, ErrorKind, Result};

/// A key a probe of object storage asks for (the S3 check at open, and
/// `lakehouse::storage_fault`); it need not exist: only the answer's status matters.
pub(crate) const PROBE_KEY: &str = ".gamelake-probe";
use s3::{S3Location, S3Settings};

/// A warehouse root and the object store behind it.
#[derive(Clone)]
pub struct Warehouse {
    location: Location,
    store: Arc<dyn ObjectStore>,
}

/// The location only: an S3 store's `Debug` includes its credentials.
impl std::fmt::Debug for Warehouse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Warehouse")
            .field("root", &self.root_url())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
enum Location {
    Local(PathBuf),
    S3(S3Location),
}

/// What [`Warehouse::get_versioned`] saw, to make a later write conditional on it.
#[derive(Debug, Clone)]
pub struct Version {
    /// The content (the local backend compares it; it has no etags).
    bytes: Bytes,
    /// The etag/version (S3 sends it as `If-Match`).
    tag: UpdateVersion,
}

impl Warehouse {
    /// Opens the warehouse at `location`: a local path or `file://` URL, or `s3://bucket/prefix`
    /// with `s3` settings. An S3 warehouse is checked once (a listing) so that a wrong endpoint,
    /// wrong keys or a missing bucket fail here, with a message that says which.
    pub async fn connect(location: &str, s3: &S3Settings) -> Result<Self> {
        if location.starts_with("s3://") || location.starts_with("s3a://") {
            let loc = S3Location::parse(location)?;
            let store = s3::builder(s3)?.with_bucket_name(&loc.bucket).build()?;
            let store: Arc<dyn ObjectStore> = if loc.prefix.is_empty() {
                Arc::new(store)
            } else {
                Arc::new(PrefixStore::new(store, loc.prefix.as_str()))
            };
            let wh = Self {
                location: Location::S3(loc),
                store,
            };
            wh.probe(s3).await?;
            return Ok(wh);
        }
        Self::open(location)
    }

    /// The folder a warehouse location names, if it is a local one (a path or `file://`
    /// URL); `None` for object stores. Touches nothing on disk.
    pub fn local_path(location: &str) -> Option<&FsPath> {
        if location.contains("://") && !location.starts_with("file://") {
            return None;
        }
        Some(FsPath::new(
            location.strip_prefix("file://").unwrap_or(location),
        ))
    }

    /// Opens (creating if needed) a local warehouse: a path or `file://` URL.
    pub fn open(location: &str) -> Result<Self> {
        let Some(path) = Self::local_path(location) else {
            return Err(Error::Config(format!(
                "warehouse {location:?}: expected a local folder, file:// or s3://bucket/prefix"
            )));
        };
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
            location: Location::Local(root),
            store: Arc::new(store),
        })
    }

    /// Lists the warehouse root once, so a wrong endpoint, bucket or key fails here in one
    /// line rather than deep inside a run. S3's answer to a failed list reaches us without a
    /// status a caller can read (object_store keeps it private), so a failed list is followed
    /// by a HEAD of a key that need not exist, whose 403 and 404 object_store does type.
    async fn probe(&self, s3: &S3Settings) -> Result<()> {
        let Err(e) = self.store.list_with_delimiter(None).await else {
            return Ok(());
        };
        let endpoint = s3.endpoint.as_deref().unwrap_or("AWS S3");
        let url = self.root_url();
        let listing = Error::Storage(e);
        let kind = match listing.kind() {
            ErrorKind::Other => match self.store.head(&Path::from(PROBE_KEY)).await {
                Ok(_) => ErrorKind::Other,
                Err(e) => Error::Storage(e).kind(),
            },
            kind => kind,
        };
        let hint = match kind {
            ErrorKind::NotFound => {
                "the bucket does not exist: create it first (e.g. `mc mb` or the S3 console)"
            }
            ErrorKind::AccessDenied => {
                "the server refused the credentials: check AWS_ACCESS_KEY_ID and \
                 AWS_SECRET_ACCESS_KEY"
            }
            _ => "check AWS_ENDPOINT_URL and that the server is running",
        };
        Err(Error::Config(format!(
            "warehouse {url} at {endpoint}: {hint} ({})",
            listing.to_string().lines().next().unwrap_or_default()
        )))
    }

    /// The local folder of the warehouse, if it is one (the embedded catalog and the local
    /// lease need it).
    pub fn local_root(&self) -> Option<&FsPath> {
        match &self.location {
            Location::Local(root) => Some(root),
            Location::S3(_) => None,
        }
    }

    /// The warehouse root as a URL (`file:///abs/path` or `s3://bucket/prefix`), as table
    /// metadata records it.
    pub fn root_url(&self) -> String {
        match &self.location {
            Location::Local(root) => format!("file://{}", root.display()),
            Location::S3(loc) => loc.url(),
        }
    }

    /// Writes a whole object atomically (see the module docs).
    pub async fn put(&self, rel: &str, bytes: Bytes) -> Result<()> {
        self.store
            .put(&Path::from(rel), PutPayload::from_bytes(bytes))
            .await
            .map_err(|e| self.failed(ObjectAction::Writing, rel, e))?;
        Ok(())
    }

    /// An object store's error, with what was being done where.
    fn failed(&self, action: ObjectAction, rel: &str, source: object_store::Error) -> Error {
        Error::Object {
            action,
            path: format!("{}/{rel}", self.root_url()),
            source,
        }
    }

    /// Reads a whole object.
    pub async fn get(&self, rel: &str) -> Result<Bytes> {
        let read = |e| self.failed(ObjectAction::Reading, rel, e);
        let got = self.store.get(&Path::from(rel)).await.map_err(read)?;
        got.bytes().await.map_err(read)
    }

    /// Reads a whole object, `None` when there is none.
    pub async fn get_opt(&self, rel: &str) -> Result<Option<Bytes>> {
        match self.get(rel).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(Error::Object {
                source: object_store::Error::NotFound { .. },
                ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Deletes an object (missing is fine).
    pub async fn delete(&self, rel: &str) -> Result<()> {
        match self.store.delete(&Path::from(rel)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.failed(ObjectAction::Deleting, rel, e)),
        }
    }

    /// Lists the objects under `prefix`, sorted by path.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let mut items: Vec<ObjectMeta> = self
            .store
            .list(Some(&Path::from(prefix)))
            .try_collect()
            .await
            .map_err(|e| self.failed(ObjectAction::Listing, prefix, e))?;
        items.sort_by(|a, b| a.location.cmp(&b.location));
        Ok(items)
    }

    /// The parquet files under `prefix`, sorted by path (for the raw landing: by run, then by
    /// file within the run).
    ///
    /// A local warehouse is walked for names only ([`local_names`]): `object_store`'s local
    /// listing stats every file three times for sizes and dates this needs none of, and the
    /// raw landing gains a file a day, listed by every run.
    pub async fn parquet_files(&self, prefix: &str) -> Result<Vec<String>> {
        let names = match &self.location {
            Location::Local(root) => {
                let (root, prefix) = (root.clone(), prefix.to_string());
                tokio::task::spawn_blocking(move || local_names(&root, &prefix)).await??
            }
            Location::S3(_) => self
                .list(prefix)
                .await?
                .into_iter()
                .map(|m| m.location.to_string())
                .collect(),
        };
        Ok(names
            .into_iter()
            .filter(|p| p.ends_with(".parquet"))
            .collect())
    }

    /// Creates an object only if none exists at `rel`; `false` when one did.
    pub async fn create_if_absent(&self, rel: &str, bytes: Bytes) -> Result<bool> {
        self.put_if(rel, bytes, PutMode::Create).await
    }

    /// A conditional put: `false` when the condition did not hold.
    async fn put_if(&self, rel: &str, bytes: Bytes, mode: PutMode) -> Result<bool> {
        match self
            .store
            .put_opts(
                &Path::from(rel),
                PutPayload::from_bytes(bytes),
                PutOptions::from(mode),
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. }
                | object_store::Error::NotFound { .. },
            ) => Ok(false),
            Err(e) => Err(self.failed(ObjectAction::Writing, rel, e)),
        }
    }

    /// Reads an object with what a later [`Self::replace_if_unchanged`] needs; `None` if absent.
    pub async fn get_versioned(&self, rel: &str) -> Result<Option<(Bytes, Version)>> {
        let got = match self.store.get(&Path::from(rel)).await {
            Ok(got) => got,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.failed(ObjectAction::Reading, rel, e)),
        };
        let tag = UpdateVersion {
            e_tag: got.meta.e_tag.clone(),
            version: got.meta.version.clone(),
        };
        let bytes = got
            .bytes()
            .await
            .map_err(|e| self.failed(ObjectAction::Reading, rel, e))?;
        Ok(Some((bytes.clone(), Version { bytes, tag })))
    }

    /// Replaces the object at `rel` only if it is still what `seen` read; `false` when another
    /// writer changed or removed it first.
    pub async fn replace_if_unchanged(
        &self,
        rel: &str,
        bytes: Bytes,
        seen: &Version,
    ) -> Result<bool> {
        match &self.location {
            Location::S3(_) => {
                self.put_if(rel, bytes, PutMode::Update(seen.tag.clone()))
                    .await
            }
            // The local backend has no conditional update: move the object aside (atomic),
            // check it is the one we saw, and create ours in its place.
            Location::Local(root) => {
                let path = root.join(rel);
                let aside = path.with_extension(format!("aside-{}", std::process::id()));
                match std::fs::rename(&path, &aside) {
                    Ok(()) => {}
                    // Removed by another writer meanwhile.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
                    Err(e) => return Err(Error::io(&path, e)),
                }
                let moved = std::fs::read(&aside).map_err(|e| Error::io(&aside, e))?;
                if moved != seen.bytes {
                    // Not ours to replace: put it back unless somebody created a new one.
                    let _ = std::fs::hard_link(&aside, &path);
                    let _ = std::fs::remove_file(&aside);
                    return Ok(false);
                }
                let _ = std::fs::remove_file(&aside);
                self.create_if_absent(rel, bytes).await
            }
        }
    }
}

/// The files under `prefix` of a local warehouse at `root`, as paths relative to it, sorted:
/// what [`Warehouse::list`] names, without a file's size or date. As `object_store`'s local
/// listing does, it follows symbolic links (a broken one is skipped, a loop is an error), a
/// name that is not UTF-8 is an error, and a missing `prefix` is an empty listing; a folder
/// reached twice through links is an error too (`object_store` would list its files twice).
/// Each directory's entries say their type, so a plain file costs no `stat`; a directory
/// costs one, to see a loop.
fn local_names(root: &FsPath, prefix: &str) -> Result<Vec<String>> {
    use std::os::unix::fs::MetadataExt;
    let mut names = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut folders = vec![(root.join(prefix), prefix.trim_end_matches('/').to_string())];
    while let Some((dir, rel)) = folders.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&dir, e)),
        };
        let meta = std::fs::metadata(&dir).map_err(|e| Error::io(&dir, e))?;
        if !seen.insert((meta.dev(), meta.ino())) {
            let e = std::io::Error::other(
                "this folder is reached a second time through a symbolic link (a loop?); \
                 remove the link from the warehouse",
            );
            return Err(Error::io(&dir, e));
        }
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let path = entry.path();
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                let e = std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the name is not UTF-8, which no gamelake file has; rename or remove it",
                );
                return Err(Error::io(&path, e));
            };
            let mut kind = entry.file_type().map_err(|e| Error::io(&path, e))?;
            if kind.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(target) => kind = target.file_type(),
                    Err(_) => continue,
                }
            }
            let rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if kind.is_dir() {
                folders.push((path, rel));
            } else if kind.is_file() {
                names.push(rel);
            }
        }
    }
    names.sort();
    Ok(names)
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

    #[tokio::test]
    async fn conditional_writes_let_only_one_writer_through() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wh = Warehouse::open(dir.path().to_str().expect("utf8")).expect("open");
        assert!(
            wh.create_if_absent("l", Bytes::from_static(b"a"))
                .await
                .expect("create")
        );
        assert!(
            !wh.create_if_absent("l", Bytes::from_static(b"b"))
                .await
                .expect("again")
        );
        let (_, seen) = wh.get_versioned("l").await.expect("get").expect("exists");
        assert!(
            wh.replace_if_unchanged("l", Bytes::from_static(b"c"), &seen)
                .await
                .expect("swap")
        );
        // `seen` is stale now: a second swap from it must fail and leave "c".
        assert!(
            !wh.replace_if_unchanged("l", Bytes::from_static(b"d"), &seen)
                .await
                .expect("stale")
        );
        assert_eq!(&wh.get("l").await.expect("get")[..], b"c");
        assert!(wh.get_versioned("missing").await.expect("get").is_none());
    }

    /// The local walk for names must name what `object_store`'s listing names: the raw
    /// landing's files are planned from it.
    #[tokio::test]
    async fn a_local_listing_of_parquet_files_names_what_object_store_lists() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wh = Warehouse::open(dir.path().to_str().expect("utf8")).expect("open");
        for rel in [
            "raw/games/run_date=2026-01-02/r2-00001.parquet",
            "raw/games/run_date=2026-01-01/r1-00002.parquet",
            "raw/games/run_date=2026-01-01/r1-00001.parquet",
            "raw/games/run_date=2026-01-01/notes.txt",
            "raw/games/loose.parquet",
            "raw/games_other/x.parquet",
            "raw/game_details/run_date=2026-01-01/d.parquet",
        ] {
            wh.put(rel, Bytes::from_static(b"x")).await.expect("put");
        }
        let games = dir.path().join("raw/games");
        // A write in flight (object_store's staging name), a link to a file, a broken link.
        std::fs::write(games.join("run_date=2026-01-01/r1-00003.parquet#1"), b"x").expect("tmp");
        std::os::unix::fs::symlink(
            dir.path().join("raw/games_other/x.parquet"),
            games.join("linked.parquet"),
        )
        .expect("link");
        std::os::unix::fs::symlink(games.join("gone.parquet"), games.join("broken.parquet"))
            .expect("broken link");
        for prefix in ["raw/games", "raw/game_details", "raw", "raw/missing"] {
            let listed: Vec<String> = wh
                .list(prefix)
                .await
                .expect("list")
                .into_iter()
                .map(|m| m.location.to_string())
                .filter(|p| p.ends_with(".parquet"))
                .collect();
            let named = wh.parquet_files(prefix).await.expect("names");
            assert_eq!(named, listed, "{prefix}");
        }
        assert_eq!(
            wh.parquet_files("raw/games").await.expect("names"),
            [
                "raw/games/linked.parquet",
                "raw/games/loose.parquet",
                "raw/games/run_date=2026-01-01/r1-00001.parquet",
                "raw/games/run_date=2026-01-01/r1-00002.parquet",
                "raw/games/run_date=2026-01-02/r2-00001.parquet",
            ]
        );
    }

    #[tokio::test]
    async fn a_link_that_loops_fails_a_local_listing_as_it_fails_object_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let wh = Warehouse::open(dir.path().to_str().expect("utf8")).expect("open");
        wh.put(
            "raw/games/run_date=2026-01-01/a.parquet",
            Bytes::from_static(b"x"),
        )
        .await
        .expect("put");
        let games = dir.path().join("raw/games");
        std::os::unix::fs::symlink(&games, games.join("run_date=2026-01-01/up")).expect("link");
        assert!(
            wh.list("raw/games").await.is_err(),
            "object_store's listing"
        );
        let err = wh.parquet_files("raw/games").await.expect_err("a loop");
        assert!(err.to_string().contains("a second time"), "{err}");
    }

    #[test]
    fn unknown_schemes_are_refused_clearly() {
        let err = Warehouse::open("gs://bucket/prefix").expect_err("refused");
        assert!(err.to_string().contains("s3://bucket/prefix"), "{err}");
    }
}
