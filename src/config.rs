//! Settings resolution: command-line flags, then `GAMELAKE_*` environment variables (both
//! handled by clap in the binary), then `gamelake.toml`, then defaults.
//!
//! Secrets (the RAWG key) come only from the environment or the config file, never from a
//! flag, and are wrapped in [`Secret`] so that `Debug` and logs cannot show them.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::{Error, Result};

/// The public RAWG API. Only contacted when the user runs an ingest without `--source`.
pub const DEFAULT_SOURCE: &str = "https://api.rawg.io/api";
pub const DEFAULT_WAREHOUSE: &str = "./lakehouse";
pub const DEFAULT_NAMESPACE: &str = "rawg";
pub const DEFAULT_CONFIG_FILE: &str = "gamelake.toml";

/// A secret value: printable only through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The contents of `gamelake.toml`. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub warehouse: Option<String>,
    pub namespace: Option<String>,
    pub source: Option<String>,
    pub rawg_api_key: Option<String>,
}

impl FileConfig {
    /// Reads `path`; a missing file is an empty config unless it was asked for explicitly.
    pub fn load(path: &Path, explicit: bool) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                toml::from_str(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Ok(Self::default()),
            Err(e) => Err(Error::io(path, e)),
        }
    }
}

/// Resolved settings shared by every command.
#[derive(Debug, Clone)]
pub struct Settings {
    pub warehouse: String,
    pub namespace: String,
    pub source: String,
    pub api_key: Option<Secret>,
}

/// What the command line (and its environment variables) supplied.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub warehouse: Option<String>,
    pub namespace: Option<String>,
    pub source: Option<String>,
    /// `RAWG_API_KEY` from the environment.
    pub api_key: Option<String>,
}

impl Settings {
    pub fn resolve(o: Overrides) -> Result<Self> {
        let (path, explicit) = match &o.config_file {
            Some(p) => (p.clone(), true),
            None => (PathBuf::from(DEFAULT_CONFIG_FILE), false),
        };
        let file = FileConfig::load(&path, explicit)?;
        let namespace = o
            .namespace
            .or(file.namespace)
            .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string());
        crate::catalog::validate_identifier(&namespace)?;
        Ok(Self {
            warehouse: o
                .warehouse
                .or(file.warehouse)
                .unwrap_or_else(|| DEFAULT_WAREHOUSE.to_string()),
            namespace,
            source: o
                .source
                .or(file.source)
                .unwrap_or_else(|| DEFAULT_SOURCE.to_string()),
            api_key: o
                .api_key
                .or(file.rawg_api_key)
                .filter(|k| !k.is_empty())
                .map(Secret::new),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_file_and_file_over_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("g.toml");
        std::fs::write(
            &file,
            "warehouse = \"/from/file\"\nnamespace = \"filens\"\nrawg_api_key = \"k1\"\n",
        )
        .expect("write");
        let s = Settings::resolve(Overrides {
            config_file: Some(file),
            namespace: Some("flagns".into()),
            ..Default::default()
        })
        .expect("resolve");
        assert_eq!(s.warehouse, "/from/file");
        assert_eq!(s.namespace, "flagns");
        assert_eq!(s.source, DEFAULT_SOURCE);
        assert_eq!(s.api_key.as_ref().map(Secret::expose), Some("k1"));
        assert!(!format!("{s:?}").contains("k1"), "secret leaked in Debug");
    }

    #[test]
    fn an_explicit_missing_config_file_is_an_error() {
        let err = Settings::resolve(Overrides {
            config_file: Some("/nonexistent/gamelake.toml".into()),
            ..Default::default()
        })
        .expect_err("missing file");
        assert!(err.to_string().contains("/nonexistent/gamelake.toml"));
    }

    #[test]
    fn unknown_config_keys_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("g.toml");
        std::fs::write(&file, "warehous = \"/typo\"\n").expect("write");
        let err = Settings::resolve(Overrides {
            config_file: Some(file),
            ..Default::default()
        })
        .expect_err("typo");
        assert!(err.to_string().contains("warehous"), "{err}");
    }
}
