//! Every error type of the library, in one leaf module that depends on nothing else in the
//! crate. [`Error`] is what the library returns; its variants say what failed and, where it
//! helps, what to do, and keep a library's error as their `source`. [`Error::kind`] is what a
//! caller matches on (a conflict, an unreachable server, a full disk, bad input, …), read
//! from the typed errors of the chain ([`kind`]), never from message text. The binary words
//! its one line from the kind ([`Error::diagnosis`], [`Error::headline`]) and shows the chain
//! with `-v`.
//!
//! Must never: carry a secret. URLs are redacted before they reach an error (see
//! `ingest::http::redact`), and settings that hold secrets wrap them in
//! [`crate::secret::Secret`].

mod kind;

use std::path::PathBuf;

pub use kind::{Diagnosis, ErrorKind};

/// Result alias used throughout the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in gamelake.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Configuration is missing or contradictory: a flag, a variable, `gamelake.toml`, or a
    /// warehouse or catalog location that cannot work.
    #[error("configuration: {0}")]
    Config(String),

    /// Another gamelake run holds the warehouse lease and did not finish within the wait.
    #[error(
        "the warehouse is busy: {holder} holds {lease} and {waited_secs}s passed; rerun when it \
         is done, or remove that file if that process is gone"
    )]
    LeaseBusy {
        /// Who holds it: command, pid, host and since when.
        holder: String,
        /// The lease object (URL).
        lease: String,
        /// How long this run waited.
        waited_secs: u64,
    },

    /// This run's lease was taken over (it stalled past the stale time): it stopped before
    /// publishing.
    #[error(
        "this run lost the warehouse lease {lease} (it stalled, and another run took the \
         warehouse over): it stopped before publishing anything; the other run's tables stand, \
         rerun if something is still missing"
    )]
    LeaseLost {
        /// The lease object (URL).
        lease: String,
    },

    /// Data checks of error level failed: nothing was published. On Nessie the run's
    /// tables were kept on a branch of their own (`kept_on`) for an audit.
    #[error(
        "{} data check(s) failed, nothing was published:\n{}\n{}Fix the cause (or the raw \
         data) and rerun; `gamelake check` runs the checks on the published tables",
        .failed.len(), .failed.join("\n"),
        .kept_on.as_ref().map(|b| format!(
            "What the run built is kept on Nessie branch {b} (query it there, e.g. \
             `AT BRANCH \"{b}\"` in Dremio); main is untouched. "
        )).unwrap_or_default()
    )]
    ChecksFailed {
        /// One line per failed check.
        failed: Vec<String>,
        /// The Nessie branch holding what the run built, if any.
        kept_on: Option<String>,
    },

    /// `--as-of` names a run or time the warehouse cannot show (unknown, or its snapshots
    /// were expired).
    #[error("{0}")]
    AsOf(String),

    /// The Iceberg catalog could not be reached or refused us.
    #[error("REST catalog {uri}: {detail}")]
    CatalogUnreachable {
        /// The catalog's base URL (no credentials).
        uri: String,
        /// What went wrong and what to check.
        detail: String,
    },

    /// Another writer committed to the same table first and retries ran out.
    #[error(transparent)]
    Conflict(#[from] Conflict),

    /// The RAWG API (or a replay of it) failed in a way retries did not fix.
    #[error("{0}")]
    Http(#[from] HttpError),

    /// Input from outside (a page, a game) did not have the shape RAWG documents.
    #[error("{0}")]
    BadInput(#[from] ParseError),

    /// A stored file (raw parquet, a table's data or delete file, ingest state) could not be
    /// read as gamelake wrote it.
    #[error("{path} is unreadable: {detail}")]
    Corrupt {
        /// The file, relative to the warehouse or as the catalog records it.
        path: String,
        /// What was wrong with it.
        detail: String,
    },

    /// There is nothing to work on: no warehouse, no raw games.
    #[error("{0}")]
    NoData(String),

    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// Object storage (local folder or S3) failed.
    #[error("object storage: {0}")]
    Storage(#[from] object_store::Error),

    /// Reading, writing, listing or deleting an object of the warehouse failed.
    #[error("{action} {path}: {source}")]
    Object {
        /// What was being done.
        action: ObjectAction,
        /// Where (the warehouse root joined with the object's path).
        path: String,
        /// What object storage said.
        source: object_store::Error,
    },

    /// Writing a table's data or delete files failed.
    #[error("writing the data files of table {table}: {source}")]
    WritingTable {
        /// `namespace.table`.
        table: String,
        /// What failed.
        source: Box<Error>,
        /// What the table's storage answered when asked right after, when the write's own
        /// error left its cause as text only (see `lakehouse::storage_fault`).
        storage: Option<Box<Error>>,
    },

    /// The Iceberg layer failed (metadata, manifests, commits).
    #[error("iceberg: {0}")]
    Iceberg(#[from] iceberg_rust::error::Error),

    /// The embedded catalog's SQLite database failed.
    #[error("catalog database {path}: {source}")]
    CatalogDb {
        /// The `catalog.db` file.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },

    /// A table definition in `schemas/` is invalid, or data does not fit it.
    #[error("schema: {0}")]
    Schema(String),

    /// A name that would reach SQL or a path is not acceptable.
    #[error("invalid identifier {name:?}: {reason}")]
    InvalidIdentifier {
        /// The name as given (cut to 80 characters).
        name: String,
        /// The rule it breaks.
        reason: &'static str,
    },

    /// Polars failed.
    #[error("polars: {0}")]
    Polars(#[from] polars::error::PolarsError),

    /// Arrow failed.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),

    /// Parquet encoding or decoding failed.
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),

    /// DataFusion failed to plan or run a statement.
    #[error("sql: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),

    /// Something that should not happen did: a background task panicked or was cancelled.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// What failed, without the library's chain of causes: the operation and the path or
    /// table for an error that wraps a library's, the whole message otherwise. The binary
    /// leads its one line with it; `-v` adds the chain.
    pub fn headline(&self) -> String {
        match self {
            Error::Io { path, .. } => path.display().to_string(),
            Error::Object { action, path, .. } => format!("{action} {path}"),
            Error::WritingTable { table, .. } => format!("writing the data files of table {table}"),
            Error::CatalogDb { path, .. } => format!("catalog database {}", path.display()),
            Error::Storage(e) => match e {
                object_store::Error::NotFound { path, .. }
                | object_store::Error::AlreadyExists { path, .. }
                | object_store::Error::Precondition { path, .. }
                | object_store::Error::NotModified { path, .. }
                | object_store::Error::PermissionDenied { path, .. }
                | object_store::Error::Unauthenticated { path, .. } => {
                    format!("object storage, {path}")
                }
                _ => "object storage".into(),
            },
            other => other.to_string(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn corrupt(path: impl Into<String>, detail: impl ToString) -> Self {
        Error::Corrupt {
            path: path.into(),
            detail: detail.to_string(),
        }
    }
}

impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Self {
        Error::Internal(e.to_string())
    }
}

/// What was being done to an object of the warehouse when it failed ([`Error::Object`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectAction {
    /// Reading it.
    Reading,
    /// Writing it.
    Writing,
    /// Listing a prefix.
    Listing,
    /// Deleting it.
    Deleting,
}

impl std::fmt::Display for ObjectAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ObjectAction::Reading => "reading",
            ObjectAction::Writing => "writing",
            ObjectAction::Listing => "listing",
            ObjectAction::Deleting => "deleting",
        })
    }
}

/// A commit lost a race against another writer. The embedded catalog returns it boxed in
/// `iceberg_rust::error::Error::External` (callers reload the table and retry, see
/// `catalog::is_conflict`); once retries run out it reaches callers as [`Error::Conflict`].
#[derive(Debug, thiserror::Error)]
#[error("commit conflict on table {table}: {detail}")]
pub struct Conflict {
    /// `namespace.table`.
    pub table: String,
    /// What was found instead of what was expected, and what to do.
    pub detail: String,
}

/// Why fetching from RAWG failed for good.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// 401 or 403: no key, or a wrong one.
    #[error(
        "{url}: RAWG refused the request ({status}): set RAWG_API_KEY in the environment or \
         rawg_api_key in gamelake.toml to a valid key"
    )]
    Unauthorized {
        /// The request (key redacted).
        url: String,
        /// 401 or 403.
        status: u16,
    },
    /// Any other error status, after retries where they apply.
    #[error("{url}: HTTP {status} after {attempts} attempts: {body}")]
    Status {
        /// The request (key redacted).
        url: String,
        /// The last status.
        status: u16,
        /// Requests sent.
        attempts: u32,
        /// The start of the last response body.
        body: String,
    },
    /// No answer: connection refused, reset, or timed out, after retries.
    #[error("{url}: {reason} after {attempts} attempts; check the network or --source")]
    Transport {
        /// The request (key redacted).
        url: String,
        /// What the HTTP client said.
        reason: String,
        /// Requests sent.
        attempts: u32,
    },
    /// A `next` link pointed at another host than the configured API.
    #[error(
        "refusing to follow a `next` link to {found}: only {expected} is trusted with the API key"
    )]
    ForeignHost {
        /// The configured API host.
        expected: String,
        /// The host the link named.
        found: String,
    },
    /// The run's request budget (`--max-requests`, or what the month's quota leaves) is
    /// spent; nothing was sent. Ingest stops cleanly on it and records where to continue.
    #[error("the request budget of {limit} is spent")]
    BudgetSpent {
        /// The budget this run had.
        limit: u64,
    },
    /// The source or a link is not a usable URL.
    #[error("invalid source URL {url:?}: {reason}")]
    BadUrl {
        /// The URL (key redacted).
        url: String,
        /// Why it is refused.
        reason: String,
    },
}

/// Why a page could not be taken in.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The page as a whole is not a RAWG list page (HTML, truncated, no `results`).
    #[error("page {page}: not a RAWG list page: {reason}")]
    Page {
        /// The page's label (URL or file).
        page: String,
        /// What was wrong.
        reason: String,
    },
    /// One game of the page has a field of the wrong type, or lacks a required one.
    #[error("page {page}, game {game}: field `{field}`: {reason}")]
    Game {
        /// The page's label (URL or file).
        page: String,
        /// The game's id, or its position when it has none.
        game: String,
        /// The field path.
        field: String,
        /// What was wrong.
        reason: String,
    },
}
