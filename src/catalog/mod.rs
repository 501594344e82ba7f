//! Iceberg catalogs. The default is [`EmbeddedCatalog`]: an SQLite file in the layout that
//! Java's `JdbcCatalog` and pyiceberg's `SqlCatalog` share, needing no server. In production,
//! [`rest`] connects to an Iceberg REST catalog (Nessie, SeaweedFS, Polaris).
//!
//! Why our own: `iceberg-sql-catalog` 0.10 loses concurrent commits (its compare-and-swap
//! ignores rows affected and checks requirements against a per-instance cache), builds SQL
//! with `format!` (injectable), and panics (`todo!()`) in its namespace methods. See
//! `docs/architecture.md` and `tests/it/catalog.rs`.

pub mod embedded;
pub mod rest;

pub use embedded::EmbeddedCatalog;

use crate::{Error, Result};

/// The catalog name stored in every row; pyiceberg must be opened with the same name.
pub const CATALOG_NAME: &str = "gamelake";

/// Marker error returned (boxed in `iceberg_rust::error::Error::External`) when a commit lost
/// a race; callers reload the table and retry.
#[derive(Debug, thiserror::Error)]
#[error("commit conflict on {table}: {detail}")]
pub struct CommitConflict {
    pub table: String,
    pub detail: String,
}

/// True when an iceberg error is a commit conflict: our embedded catalog's [`CommitConflict`],
/// or HTTP 409 from a REST catalog. `iceberg-rest-catalog` 0.10 turns every non-404 error
/// response into `InvalidFormat("Response status: 409 Conflict, ...")`, so that string is
/// the only sign of a 409 (pinned by `tests/it/upstream.rs`).
pub fn is_conflict(err: &iceberg_rust::error::Error) -> bool {
    use iceberg_rust::error::Error as E;
    match err {
        E::External(e) => e.is::<CommitConflict>(),
        E::InvalidFormat(text) => text.starts_with("Response status: 409"),
        _ => false,
    }
}

/// Namespace and table names reach SQL (as parameters) and paths (as folder names), so they
/// are held to a plain identifier shape: a lowercase letter, then lowercase letters, digits
/// or `_`, at most 64 characters. This rules out `..`, `/`, quotes and SQL.
pub fn validate_identifier(name: &str) -> Result<()> {
    let invalid = |reason| {
        Err(Error::InvalidIdentifier {
            name: name.chars().take(80).collect(),
            reason,
        })
    };
    if name.is_empty() || name.len() > 64 {
        return invalid("must be 1 to 64 characters");
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return invalid("must start with a lowercase letter");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return invalid("may contain only lowercase letters, digits and '_'");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_that_could_reach_sql_or_paths_are_refused() {
        for bad in [
            "",
            "x'; drop table iceberg_tables; --",
            "../../etc",
            "Rawg",
            "1rawg",
            "a.b",
            "a/b",
        ] {
            assert!(validate_identifier(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["rawg", "fact_games", "dim_2"] {
            validate_identifier(good).expect(good);
        }
    }
}
