//! What kind of fault an [`Error`] is, read from the typed errors in its chain: the
//! operating system's [`std::io::ErrorKind`], `object_store`'s variants and its HTTP client's
//! [`HttpErrorKind`], reqwest's connect and timeout flags and status codes, SQLite's error
//! codes. Callers act on an [`ErrorKind`] (retry, rerun, fix access, free space); the binary
//! words its one line from it ([`Diagnosis`]).
//!
//! Must never: classify by searching message text. A dependency that rewords its messages
//! must not change what a fault is taken for; a fault an upstream leaves as text only stays
//! [`ErrorKind::Other`], or is recognised in one named place that a test in
//! `tests/it/upstream.rs` pins (`catalog::is_conflict`).

use std::error::Error as StdError;
use std::io;

use object_store::client::{HttpError, HttpErrorKind};

use super::{Conflict, Error, HttpError as RawgError};

/// What a caller can act on. Every [`Error`] has one ([`Error::kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Settings are missing, contradictory or unusable.
    Config,
    /// Another run holds the warehouse.
    Busy,
    /// This run's lease was taken over; it published nothing.
    LeaseLost,
    /// Data checks failed; nothing was published.
    ChecksFailed,
    /// Another writer committed first.
    Conflict,
    /// What was asked for does not exist (a file, an object, a run, a bucket).
    NotFound,
    /// A server (S3, the catalog, RAWG) did not answer, or answered that it is unavailable.
    Unreachable,
    /// The operating system or a server refused access.
    AccessDenied,
    /// The disk (or a quota on it) is full.
    DiskFull,
    /// The file system is mounted read-only.
    ReadOnly,
    /// Input from outside (a page, a detail, SQL, a name) is malformed.
    BadInput,
    /// A stored file is not what gamelake wrote.
    Corrupt,
    /// The run's request budget is spent.
    BudgetSpent,
    /// There is nothing to work on.
    NoData,
    /// A bug: something that should not happen did.
    Internal,
    /// None of the above could be told from the error's types.
    Other,
}

/// A fault in plain words, and what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Diagnosis {
    /// The cause, e.g. "disk full".
    pub cause: &'static str,
    /// What to do, as a sentence.
    pub todo: &'static str,
}

/// A fault found in an error's chain: the kind, and for denied access whether a server or
/// the local file system refused (they are fixed in different places).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Kind(ErrorKind),
    DeniedByServer,
}

impl Fault {
    fn kind(self) -> ErrorKind {
        match self {
            Fault::Kind(kind) => kind,
            Fault::DeniedByServer => ErrorKind::AccessDenied,
        }
    }

    fn diagnosis(self) -> Option<Diagnosis> {
        let (cause, todo) = match self {
            Fault::Kind(ErrorKind::DiskFull) => (
                "disk full",
                "Free space on the warehouse's disk and rerun; nothing of the failed run was \
                 published, and the rerun goes on from what landed",
            ),
            Fault::Kind(ErrorKind::AccessDenied) => (
                "access denied",
                "Give the user running gamelake write access to the warehouse folder (its \
                 owner, mode and attributes), then rerun",
            ),
            Fault::DeniedByServer => (
                "access denied by the S3 server",
                "Check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket's policy, then \
                 rerun",
            ),
            Fault::Kind(ErrorKind::ReadOnly) => (
                "the warehouse's disk is read-only",
                "Mount it writable or choose another --warehouse, then rerun",
            ),
            Fault::Kind(ErrorKind::Unreachable) => (
                "endpoint unreachable",
                "Check that the S3 server (AWS_ENDPOINT_URL) and the catalog are up, then \
                 rerun; nothing of the failed run was published, and the rerun goes on from \
                 what landed",
            ),
            Fault::Kind(_) => return None,
        };
        Some(Diagnosis { cause, todo })
    }
}

impl Error {
    /// What kind of fault this is, from its variant or, for a library's error, from the
    /// typed errors in its chain.
    pub fn kind(&self) -> ErrorKind {
        self.fault().kind()
    }

    /// The fault in plain words when it is one gamelake knows how to word (a full disk,
    /// denied access, an unreachable endpoint) and the error does not say what to do
    /// already; `None` otherwise.
    pub fn diagnosis(&self) -> Option<Diagnosis> {
        if self.says_what_to_do() {
            return None;
        }
        self.fault().diagnosis()
    }

    /// Variants written for the user, with what to do in their own words.
    fn says_what_to_do(&self) -> bool {
        matches!(
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
        )
    }

    fn fault(&self) -> Fault {
        let kind = match self {
            Error::Config(_) => ErrorKind::Config,
            Error::LeaseBusy { .. } => ErrorKind::Busy,
            Error::LeaseLost { .. } => ErrorKind::LeaseLost,
            Error::ChecksFailed { .. } => ErrorKind::ChecksFailed,
            Error::AsOf(_) => ErrorKind::NotFound,
            Error::CatalogUnreachable { .. } => ErrorKind::Unreachable,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::Http(e) => return rawg_fault(e),
            Error::BadInput(_) | Error::InvalidIdentifier { .. } | Error::Schema(_) => {
                ErrorKind::BadInput
            }
            Error::Corrupt { .. } => ErrorKind::Corrupt,
            Error::NoData(_) => ErrorKind::NoData,
            Error::Internal(_) => ErrorKind::Internal,
            Error::Io { source, .. } => return fault_in(source, 0).unwrap_or(OTHER),
            Error::Storage(e) | Error::Object { source: e, .. } => {
                return fault_in(e, 0).unwrap_or(OTHER);
            }
            Error::WritingTable {
                source, storage, ..
            } => {
                return match (source.fault(), storage) {
                    (OTHER, Some(storage)) => storage.fault(),
                    (fault, _) => fault,
                };
            }
            Error::Iceberg(e) => return fault_in(e, 0).unwrap_or(OTHER),
            Error::CatalogDb { source, .. } => return fault_in(source, 0).unwrap_or(OTHER),
            Error::Polars(e) => return fault_in(e, 0).unwrap_or(OTHER),
            Error::Arrow(e) => return fault_in(e, 0).unwrap_or(OTHER),
            Error::Parquet(e) => return fault_in(e, 0).unwrap_or(OTHER),
            Error::DataFusion(e) => return datafusion_fault(e),
        };
        Fault::Kind(kind)
    }
}

const OTHER: Fault = Fault::Kind(ErrorKind::Other);

fn rawg_fault(e: &RawgError) -> Fault {
    let kind = match e {
        RawgError::Unauthorized { .. } => return Fault::DeniedByServer,
        RawgError::Status { status: 404, .. } => ErrorKind::NotFound,
        RawgError::Status { status, .. } if *status == 429 || *status >= 500 => {
            ErrorKind::Unreachable
        }
        RawgError::Status { .. } => ErrorKind::Other,
        RawgError::Transport { .. } => ErrorKind::Unreachable,
        RawgError::ForeignHost { .. } | RawgError::BadUrl { .. } => ErrorKind::Config,
        RawgError::BudgetSpent { .. } => ErrorKind::BudgetSpent,
    };
    Fault::Kind(kind)
}

/// A statement DataFusion refused is the user's input; anything else is read from the chain.
fn datafusion_fault(e: &datafusion::error::DataFusionError) -> Fault {
    use datafusion::error::DataFusionError as D;
    match e.find_root() {
        D::SQL(..) | D::Plan(_) | D::SchemaError(..) => Fault::Kind(ErrorKind::BadInput),
        _ => fault_in(e, 0).unwrap_or(OTHER),
    }
}

/// The first fault the typed errors of `err`'s chain name. Errors that are `transparent`
/// wrappers hide their inner error from `source()`, so those are opened by hand.
fn fault_in(err: &(dyn StdError + 'static), depth: usize) -> Option<Fault> {
    if depth > 32 {
        return None;
    }
    let inner: Option<&(dyn StdError + 'static)> = if let Some(e) = err.downcast_ref::<Error>() {
        return Some(e.fault());
    } else if let Some(e) = err.downcast_ref::<io::Error>() {
        if let Some(kind) = io_kind(e.kind()) {
            return Some(Fault::Kind(kind));
        }
        // A custom io::Error's `source()` skips the error it wraps.
        match e.get_ref() {
            Some(inner) => Some(inner),
            None => return None,
        }
    } else if let Some(e) = err.downcast_ref::<object_store::Error>() {
        match e {
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => return Some(denied_by(e)),
            object_store::Error::NotFound { source, .. } => {
                return fault_in(source.as_ref(), depth + 1)
                    .or(Some(Fault::Kind(ErrorKind::NotFound)));
            }
            _ => err.source(),
        }
    } else if let Some(e) = err.downcast_ref::<HttpError>() {
        match e.kind() {
            HttpErrorKind::Connect
            | HttpErrorKind::Timeout
            | HttpErrorKind::Interrupted
            | HttpErrorKind::Request => return Some(Fault::Kind(ErrorKind::Unreachable)),
            _ => err.source(),
        }
    } else if let Some(e) = err.downcast_ref::<reqwest::Error>() {
        return reqwest_fault(e).or_else(|| fault_in_source(err, depth));
    } else if let Some(e) = err.downcast_ref::<rusqlite::Error>() {
        return sqlite_fault(e).or_else(|| fault_in_source(err, depth));
    } else if let Some(e) = err.downcast_ref::<iceberg_rust::error::Error>() {
        return iceberg_fault(e, depth);
    } else {
        err.source()
    };
    inner.and_then(|inner| fault_in(inner, depth + 1))
}

fn fault_in_source(err: &(dyn StdError + 'static), depth: usize) -> Option<Fault> {
    err.source().and_then(|s| fault_in(s, depth + 1))
}

fn io_kind(kind: io::ErrorKind) -> Option<ErrorKind> {
    use io::ErrorKind as K;
    Some(match kind {
        K::StorageFull | K::QuotaExceeded => ErrorKind::DiskFull,
        K::PermissionDenied => ErrorKind::AccessDenied,
        K::ReadOnlyFilesystem => ErrorKind::ReadOnly,
        K::NotFound => ErrorKind::NotFound,
        K::ConnectionRefused
        | K::ConnectionReset
        | K::ConnectionAborted
        | K::NotConnected
        | K::TimedOut
        | K::HostUnreachable
        | K::NetworkUnreachable
        | K::NetworkDown
        | K::AddrNotAvailable => ErrorKind::Unreachable,
        _ => return None,
    })
}

/// Denied access is a server's when object storage is remote; a local folder's otherwise.
fn denied_by(e: &object_store::Error) -> Fault {
    let store = match e {
        object_store::Error::PermissionDenied { source, .. }
        | object_store::Error::Unauthenticated { source, .. } => source.as_ref(),
        _ => return Fault::DeniedByServer,
    };
    match fault_in(store, 1) {
        Some(Fault::Kind(ErrorKind::AccessDenied)) => Fault::Kind(ErrorKind::AccessDenied),
        _ => Fault::DeniedByServer,
    }
}

fn reqwest_fault(e: &reqwest::Error) -> Option<Fault> {
    if e.is_connect() || e.is_timeout() {
        return Some(Fault::Kind(ErrorKind::Unreachable));
    }
    match e.status().map(|s| s.as_u16()) {
        Some(401 | 403) => Some(Fault::DeniedByServer),
        Some(404) => Some(Fault::Kind(ErrorKind::NotFound)),
        Some(409) => Some(Fault::Kind(ErrorKind::Conflict)),
        Some(s) if s >= 500 => Some(Fault::Kind(ErrorKind::Unreachable)),
        _ => None,
    }
}

fn sqlite_fault(e: &rusqlite::Error) -> Option<Fault> {
    use rusqlite::ErrorCode as C;
    let rusqlite::Error::SqliteFailure(failure, _) = e else {
        return None;
    };
    Some(Fault::Kind(match failure.code {
        C::DiskFull => ErrorKind::DiskFull,
        C::ReadOnly => ErrorKind::ReadOnly,
        C::PermissionDenied | C::CannotOpen => ErrorKind::AccessDenied,
        C::DatabaseCorrupt | C::NotADatabase => ErrorKind::Corrupt,
        _ => return None,
    }))
}

/// iceberg-rust's variants are `transparent`: their `source()` skips the error they hold.
fn iceberg_fault(e: &iceberg_rust::error::Error, depth: usize) -> Option<Fault> {
    use iceberg_rust::error::Error as E;
    let inner: &(dyn StdError + 'static) = match e {
        E::External(inner) if inner.is::<Conflict>() => {
            return Some(Fault::Kind(ErrorKind::Conflict));
        }
        E::External(inner) => inner.as_ref(),
        E::IO(inner) => inner,
        E::ObjectStore(inner) => inner,
        E::Parquet(inner) => inner,
        E::Arrow(inner) => inner,
        E::TokioJoinError(_) => return Some(Fault::Kind(ErrorKind::Internal)),
        E::NotFound(_) | E::CatalogNotFound => return Some(Fault::Kind(ErrorKind::NotFound)),
        _ => return None,
    };
    fault_in(inner, depth + 1)
}

#[cfg(test)]
mod tests {
    //! Each kind from the fault that causes it, built as the libraries build it.

    use super::*;

    fn io(kind: io::ErrorKind) -> io::Error {
        io::Error::from(kind)
    }

    fn local_store(source: io::Error) -> object_store::Error {
        object_store::Error::Generic {
            store: "LocalFileSystem",
            source: Box::new(source),
        }
    }

    #[test]
    fn disk_full_and_denied_access_are_read_from_the_os_error_under_any_wrapper() {
        let full = || io::Error::from_raw_os_error(28); // ENOSPC, as the kernel says it
        let write = Error::Object {
            action: super::super::ObjectAction::Writing,
            path: "file:///wh/x".into(),
            source: local_store(full()),
        };
        assert_eq!(write.kind(), ErrorKind::DiskFull);
        assert_eq!(write.diagnosis().map(|d| d.cause), Some("disk full"));
        let table = Error::WritingTable {
            table: "rawg.fact_games".into(),
            source: Box::new(Error::Parquet(parquet::errors::ParquetError::External(
                Box::new(local_store(full())),
            ))),
            storage: None,
        };
        assert_eq!(table.kind(), ErrorKind::DiskFull);
        let iceberg = Error::Iceberg(iceberg_rust::error::Error::ObjectStore(local_store(
            io::Error::from_raw_os_error(1), // EPERM, what an immutable folder answers
        )));
        assert_eq!(iceberg.kind(), ErrorKind::AccessDenied);
        assert_eq!(iceberg.diagnosis().map(|d| d.cause), Some("access denied"));
        let wrapped = Error::Io {
            path: "/wh".into(),
            source: io::Error::other(io::Error::from_raw_os_error(30)), // EROFS
        };
        assert_eq!(wrapped.kind(), ErrorKind::ReadOnly);
        let polars = Error::Polars(polars::error::PolarsError::IO {
            error: std::sync::Arc::new(full()),
            msg: None,
        });
        assert_eq!(polars.kind(), ErrorKind::DiskFull);
        let arrow = Error::Arrow(arrow::error::ArrowError::IoError("x".into(), full()));
        assert_eq!(arrow.kind(), ErrorKind::DiskFull);
    }

    #[test]
    fn an_s3_refusal_is_the_servers_and_a_missing_object_is_not_found() {
        let denied = Error::Storage(object_store::Error::PermissionDenied {
            path: "b/x".into(),
            source: "403".into(),
        });
        assert_eq!(denied.kind(), ErrorKind::AccessDenied);
        assert_eq!(
            denied.diagnosis().map(|d| d.cause),
            Some("access denied by the S3 server")
        );
        let missing = Error::Storage(object_store::Error::NotFound {
            path: "b/x".into(),
            source: "404".into(),
        });
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        let df = Error::DataFusion(datafusion::error::DataFusionError::ObjectStore(Box::new(
            object_store::Error::Generic {
                store: "S3",
                source: Box::new(HttpError::new(
                    HttpErrorKind::Connect,
                    io(io::ErrorKind::Other),
                )),
            },
        )));
        assert_eq!(df.kind(), ErrorKind::Unreachable);
    }

    #[tokio::test]
    async fn a_closed_port_is_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let err = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .expect_err("nothing listens there");
        let e = Error::Iceberg(iceberg_rust::error::Error::External(Box::new(err)));
        assert_eq!(e.kind(), ErrorKind::Unreachable);
        assert_eq!(e.diagnosis().map(|d| d.cause), Some("endpoint unreachable"));
    }

    #[test]
    fn sqlite_faults_are_read_from_its_codes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("not-a.db");
        std::fs::write(&path, vec![7u8; 4096]).expect("write");
        let err = rusqlite::Connection::open(&path)
            .and_then(|c| c.execute_batch("SELECT * FROM sqlite_master"))
            .expect_err("not a database");
        let e = Error::CatalogDb { path, source: err };
        assert_eq!(e.kind(), ErrorKind::Corrupt);
    }

    #[test]
    fn a_conflict_a_statement_and_a_bug_keep_their_kinds_and_their_own_words() {
        let conflict = Error::Iceberg(iceberg_rust::error::Error::External(Box::new(Conflict {
            table: "rawg.t".into(),
            detail: "x".into(),
        })));
        assert_eq!(conflict.kind(), ErrorKind::Conflict);
        let sql = Error::DataFusion(datafusion::error::DataFusionError::Plan("no table".into()));
        assert_eq!(sql.kind(), ErrorKind::BadInput);
        assert_eq!(Error::Internal("a bug".into()).diagnosis(), None);
        // A message that merely mentions a fault is not one.
        let text = Error::Internal("No space left on device (os error 28)".into());
        assert_eq!(text.kind(), ErrorKind::Internal);
        assert_eq!(text.diagnosis(), None);
        let config = Error::Config("connection refused".into());
        assert_eq!(
            (config.kind(), config.diagnosis()),
            (ErrorKind::Config, None)
        );
    }
}
