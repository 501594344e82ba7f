//! The library's error type. Every variant says what failed and, where it helps, what to do;
//! the binary prints the chain on one line. Errors never carry secrets: URLs are redacted
//! before they get here (see [`crate::ingest::http::redact`]).

use std::path::PathBuf;

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in gamelake.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Configuration is missing or contradictory.
    #[error("configuration: {0}")]
    Config(String),

    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The RAWG API (or a replay of it) failed in a way retries did not fix.
    #[error("{0}")]
    Http(#[from] crate::ingest::http::HttpError),

    /// A page or game did not have the shape RAWG documents.
    #[error("{0}")]
    Parse(#[from] crate::ingest::parse::ParseError),

    /// Object storage (local folder or S3) failed.
    #[error("object storage: {0}")]
    Storage(#[from] object_store::Error),

    /// The Iceberg layer failed (metadata, manifests, commits).
    #[error("iceberg: {0}")]
    Iceberg(#[from] iceberg_rust::error::Error),

    /// The embedded catalog's SQLite database failed.
    #[error("catalog database {path}: {source}")]
    CatalogDb {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// Another writer committed to the same table first and retries ran out.
    #[error("commit conflict on table {table}: {detail}")]
    CommitConflict { table: String, detail: String },

    /// A table definition in `schemas/` is invalid, or data does not fit it.
    #[error("schema: {0}")]
    Schema(String),

    /// A name that would reach SQL or a path is not acceptable.
    #[error("invalid identifier {name:?}: {reason}")]
    InvalidIdentifier { name: String, reason: &'static str },

    #[error("polars: {0}")]
    Polars(#[from] polars::error::PolarsError),

    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),

    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),

    #[error("sql: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),

    /// A background task panicked or was cancelled.
    #[error("internal task failed: {0}")]
    Task(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::Task(e.to_string())
    }
}
