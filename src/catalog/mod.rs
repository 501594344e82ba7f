//! Iceberg catalogs. The default is [`EmbeddedCatalog`]: an SQLite file in the layout that
//! Java's `JdbcCatalog` and pyiceberg's `SqlCatalog` share, needing no server. In production,
//! `rest` connects to an Iceberg REST catalog (Nessie, SeaweedFS, Polaris).
//!
//! Why our own: `iceberg-sql-catalog` 0.10 loses concurrent commits (its compare-and-swap
//! ignores rows affected and checks requirements against a per-instance cache), builds SQL
//! with `format!` (injectable), and panics (`todo!()`) in its namespace methods. See
//! `docs/architecture.md` and `tests/it/catalog.rs`.

pub mod change;
pub mod embedded;
pub mod nessie;
pub mod pinned;
pub(crate) mod rest;
mod rest_tables;
pub mod staged;
mod wrap;

pub use embedded::EmbeddedCatalog;

use crate::error::Conflict;
use crate::secret::Secret;
use crate::{Error, Result};

/// The catalog name stored in every row; pyiceberg must be opened with the same name.
pub const CATALOG_NAME: &str = "gamelake";

/// The embedded catalog's file, relative to a local warehouse root.
pub const EMBEDDED_CATALOG_FILE: &str = "catalog.db";

/// Which Iceberg catalog holds the tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogSettings {
    /// SQLite file in the (local) warehouse; nothing to start.
    Embedded,
    /// An Iceberg REST catalog (Nessie's `/iceberg`, SeaweedFS, Polaris, ...).
    Rest(RestSettings),
}

/// An Iceberg REST catalog and how to authenticate to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestSettings {
    /// Base URL (`http://host:port/path`), without `/v1`.
    pub uri: String,
    /// `GAMELAKE_CATALOG_WAREHOUSE`: the warehouse the catalog serves (e.g. `s3://warehouse`).
    pub warehouse: Option<String>,
    /// `GAMELAKE_CATALOG_TOKEN`: a bearer token.
    pub token: Option<Secret>,
    /// `GAMELAKE_CATALOG_CREDENTIAL`: OAuth2 client credentials, `client_id:secret`.
    pub credential: Option<(String, Secret)>,
}

impl CatalogSettings {
    /// Parses `--catalog`: `embedded`, or `rest+http(s)://host:port/path`.
    pub fn parse(uri: &str) -> Result<Self> {
        if uri == "embedded" {
            return Ok(Self::Embedded);
        }
        let Some(base) = uri.strip_prefix("rest+") else {
            return Err(Error::Config(format!(
                "catalog {uri:?}: expected `embedded` or `rest+http://host:port/path` \
                 (e.g. rest+http://localhost:19120/iceberg for Nessie)"
            )));
        };
        let url =
            url::Url::parse(base).map_err(|e| Error::Config(format!("catalog {uri:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(Error::Config(format!(
                "catalog {uri:?}: the REST catalog URL must be http:// or https:// with a host"
            )));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::Config(
                "catalog URL: credentials do not belong in the URL (it gets logged); \
                 use GAMELAKE_CATALOG_TOKEN or GAMELAKE_CATALOG_CREDENTIAL"
                    .into(),
            ));
        }
        Ok(Self::Rest(RestSettings {
            uri: base.trim_end_matches('/').to_string(),
            warehouse: None,
            token: None,
            credential: None,
        }))
    }
}

/// True when an iceberg error is a commit conflict: our embedded catalog's [`Conflict`],
/// or HTTP 409 from a REST catalog. `iceberg-rest-catalog` 0.10 turns every non-404 error
/// response into `InvalidFormat("Response status: 409 Conflict, ...")`, so that string is
/// the only sign of a 409 (pinned by `tests/it/upstream.rs`).
pub fn is_conflict(err: &iceberg_rust::error::Error) -> bool {
    use iceberg_rust::error::Error as E;
    match err {
        E::External(e) => e.is::<Conflict>(),
        E::InvalidFormat(text) => text.starts_with("Response status: 409"),
        _ => false,
    }
}

/// A failed HTTP exchange with a catalog in a few words, without the URL reqwest puts in its
/// message (ours carry no secret, but the line stays short).
pub(crate) fn http_cause(e: &reqwest::Error) -> String {
    if e.is_connect() {
        return "connection refused or host unreachable".into();
    }
    if e.is_timeout() {
        return "timed out".into();
    }
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "");
    }
    text
}

/// A catalog's error answer: the start of its body, for a message (a catalog may answer
/// pages of HTML), and the error type the Iceberg REST spec's `ErrorModel` names
/// (`{"error": {"type": "NoSuchTableException", …}}`), when the body is one.
pub(crate) struct ErrorAnswer {
    /// The first 300 characters of the body.
    pub body: String,
    /// `error.type`, e.g. `NoSuchTableException`.
    pub error_type: Option<String>,
}

/// Reads a failed response's body into an [`ErrorAnswer`]. A body that cannot be read is
/// said to be so: the status alone is then what the caller reports.
pub(crate) async fn error_answer(response: reqwest::Response) -> ErrorAnswer {
    #[derive(serde::Deserialize)]
    struct Model {
        error: ModelError,
    }
    #[derive(serde::Deserialize)]
    struct ModelError {
        r#type: String,
    }
    let text = match response.text().await {
        Ok(text) => text,
        Err(e) => format!("(the body could not be read: {})", http_cause(&e)),
    };
    let error_type = serde_json::from_str::<Model>(&text)
        .ok()
        .map(|m| m.error.r#type);
    ErrorAnswer {
        body: text.chars().take(300).collect(),
        error_type,
    }
}
