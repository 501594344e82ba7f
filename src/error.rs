//! Every error type of the library, in one leaf module that depends on nothing else in the
//! crate. [`Error`] is what the library returns; its variants are the kinds a caller can act
//! on (a busy warehouse, an unreachable catalog, a lost race, bad input, nothing to do), each
//! saying what failed and, where it helps, what to do. The binary prints the chain on one line.
//!
//! Must never: carry a secret. URLs are redacted before they reach an error (see
//! `ingest::http::redact`), and settings that hold secrets wrap them in
//! [`crate::secret::Secret`].

use std::path::PathBuf;

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

    /// Writing one object of the warehouse failed.
    #[error("writing {path}: {source}")]
    Write {
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

/// A storage or network fault in plain words, and what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Diagnosis {
    /// The cause, e.g. "disk full".
    pub cause: &'static str,
    /// What to do, as a sentence.
    pub todo: &'static str,
}

/// Known faults: what the operating system, object storage or HTTP client says (lowercase),
/// and its diagnosis. Libraries below gamelake often turn the original `io::Error` into
/// text, so the chain's text is what can be read.
const FAULTS: &[(&[&str], Diagnosis)] = &[
    (
        &["no space left on device", "os error 28", "storage full"],
        Diagnosis {
            cause: "disk full",
            todo: "Free space on the warehouse's disk and rerun; nothing of the failed run was \
                   published, and the rerun goes on from what landed",
        },
    ),
    (
        &[
            "permission denied",
            "operation not permitted",
            "os error 13",
            "os error 1)",
        ],
        Diagnosis {
            cause: "access denied",
            todo: "Give the user running gamelake write access to the warehouse folder (its \
                   owner, mode and attributes), then rerun",
        },
    ),
    (
        &["read-only file system", "os error 30"],
        Diagnosis {
            cause: "the warehouse's disk is read-only",
            todo: "Mount it writable or choose another --warehouse, then rerun",
        },
    ),
    (
        &[
            "accessdenied",
            "access denied",
            "forbidden",
            "status 403",
            "403 forbidden",
        ],
        Diagnosis {
            cause: "access denied by the S3 server",
            todo: "Check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket's policy, then \
                   rerun",
        },
    ),
    (
        &[
            "connection refused",
            "tcp connect error",
            "error sending request",
            "dns error",
            "connection reset",
            "connection timed out",
            "operation timed out",
        ],
        Diagnosis {
            cause: "endpoint unreachable",
            todo: "Check that the S3 server (AWS_ENDPOINT_URL) and the catalog are up and \
                   reachable, then rerun; nothing of the failed run was published (it \
                   publishes all tables at once, at its end), and the rerun goes on from what \
                   landed",
        },
    ),
];

impl Error {
    /// The fault in plain words, when it is one gamelake knows (a full disk, denied access,
    /// an unreachable endpoint); `None` otherwise.
    pub fn diagnosis(&self) -> Option<Diagnosis> {
        // These say what to do already, in their own words.
        if matches!(
            self,
            Error::Http(_)
                | Error::CatalogUnreachable { .. }
                | Error::LeaseBusy { .. }
                | Error::LeaseLost { .. }
                | Error::ChecksFailed { .. }
                | Error::AsOf(_)
                | Error::Conflict(_)
                | Error::BadInput(_)
                | Error::Config(_)
                | Error::NoData(_)
        ) {
            return None;
        }
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            text.push(' ');
            text.push_str(&s.to_string());
            source = s.source();
        }
        let text = text.to_lowercase();
        FAULTS
            .iter()
            .find(|(needles, _)| needles.iter().any(|n| text.contains(n)))
            .map(|(_, d)| *d)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_faults_are_named_in_plain_words_and_others_are_left_alone() {
        let full =
            Error::Internal("Unable to copy data: No space left on device (os error 28)".into());
        assert_eq!(full.diagnosis().map(|d| d.cause), Some("disk full"));
        let denied =
            Error::Internal("Unable to open file x: Operation not permitted (os error 1)".into());
        assert_eq!(denied.diagnosis().map(|d| d.cause), Some("access denied"));
        assert_eq!(Error::Internal("a bug".into()).diagnosis(), None);
        // Errors that say what to do already keep their own words.
        assert_eq!(Error::Config("connection refused".into()).diagnosis(), None);
    }
}
