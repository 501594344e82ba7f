//! Identifiers: the names of namespaces and tables, which reach SQL (as parameters) and paths
//! (as folder names).
//!
//! Must never: accept a name that could escape a folder or a quoted SQL string.

use crate::{Error, Result};

/// Holds a namespace or table name to a plain identifier shape: a lowercase letter, then
/// lowercase letters, digits or `_`, at most 64 characters. This rules out `..`, `/`, quotes
/// and SQL.
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
