//! Settings resolution: command-line flags, then `GAMELAKE_*` environment variables (both
//! handled by clap in the binary), then `gamelake.toml`, then defaults.
//!
//! Secrets (the RAWG key) come only from the environment or the config file, never from a
//! flag, and are wrapped in [`Secret`] so that `Debug` and logs cannot show them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::catalog::CatalogSettings;
use crate::ident::validate_identifier;
use crate::ingest::DEFAULT_SOURCE;
use crate::secret::Secret;
use crate::storage::s3::S3Settings;
use crate::{Error, Result};

/// Where the warehouse is when nothing says otherwise.
pub const DEFAULT_WAREHOUSE: &str = "./lakehouse";
/// The Iceberg namespace of the tables when nothing says otherwise.
pub const DEFAULT_NAMESPACE: &str = "rawg";
/// The config file read from the working directory when none is named.
pub const DEFAULT_CONFIG_FILE: &str = "gamelake.toml";

/// The contents of `gamelake.toml`. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    pub warehouse: Option<String>,
    pub namespace: Option<String>,
    pub source: Option<String>,
    pub rawg_api_key: Option<String>,
    pub max_requests: Option<u64>,
    pub monthly_request_limit: Option<u64>,
    #[serde(default)]
    pub s3: FileS3,
    #[serde(default)]
    pub catalog: FileCatalog,
}

/// `[s3]` in `gamelake.toml`: the object store behind `s3://` warehouses and tables.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileS3 {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub path_style: Option<bool>,
}

/// `[catalog]` in `gamelake.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileCatalog {
    pub uri: Option<String>,
    pub warehouse: Option<String>,
    pub token: Option<String>,
    pub credential: Option<String>,
}

impl FileConfig {
    /// Reads `path`; a missing file is an empty config unless it was asked for explicitly.
    pub(crate) fn load(path: &Path, explicit: bool) -> Result<Self> {
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
    /// The warehouse root: a local folder, `file://` URL or `s3://bucket/prefix`.
    pub warehouse: String,
    /// The Iceberg namespace of the tables (an identifier).
    pub namespace: String,
    /// The RAWG API base URL, or a folder of archived pages.
    pub source: String,
    /// The RAWG API key (environment or config file only).
    pub api_key: Option<Secret>,
    /// S3 connection settings, for `s3://` warehouses and tables.
    pub s3: S3Settings,
    /// The Iceberg catalog.
    pub catalog: CatalogSettings,
    /// API requests one run may send (`--max-requests`, `GAMELAKE_MAX_REQUESTS`,
    /// `max_requests`); `None`: no cap but the monthly one.
    pub max_requests: Option<u64>,
    /// API requests a month, counted across runs (`GAMELAKE_MONTHLY_REQUEST_LIMIT`,
    /// `monthly_request_limit`; default RAWG's free tier, 20,000); 0: no limit.
    pub monthly_request_limit: u64,
    /// When an S3 lease not renewed belongs to a dead holder (`GAMELAKE_LEASE_STALE_SECS`,
    /// default [`crate::lease::STALE_AFTER`]).
    pub lease_stale_after: Duration,
}

/// What the command line (and its environment variables) supplied.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    /// `--config`: a config file that must exist.
    pub config_file: Option<PathBuf>,
    /// `--warehouse` / `GAMELAKE_WAREHOUSE`.
    pub warehouse: Option<String>,
    /// `--namespace` / `GAMELAKE_NAMESPACE`.
    pub namespace: Option<String>,
    /// `--source` / `GAMELAKE_SOURCE`.
    pub source: Option<String>,
    /// `--catalog` / `GAMELAKE_CATALOG`.
    pub catalog: Option<String>,
    /// `--max-requests` / `GAMELAKE_MAX_REQUESTS`.
    pub max_requests: Option<u64>,
    /// `RAWG_API_KEY` from the environment.
    pub api_key: Option<String>,
    /// The environment variables below, as read at start-up.
    pub env: Vec<(String, String)>,
}

/// Environment variables gamelake reads besides its `GAMELAKE_*` flags (which clap handles).
pub const ENV_KEYS: &[&str] = &[
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "GAMELAKE_CATALOG_WAREHOUSE",
    "GAMELAKE_CATALOG_TOKEN",
    "GAMELAKE_CATALOG_CREDENTIAL",
    "GAMELAKE_MONTHLY_REQUEST_LIMIT",
    "GAMELAKE_LEASE_STALE_SECS",
];

impl Overrides {
    /// Captures `RAWG_API_KEY` (unless given) and [`ENV_KEYS`] from the process environment
    /// (empty values count as unset).
    pub fn read_env(mut self) -> Self {
        if self.api_key.is_none() {
            self.api_key = std::env::var("RAWG_API_KEY").ok();
        }
        self.env = ENV_KEYS
            .iter()
            .filter_map(|k| {
                std::env::var(k)
                    .ok()
                    .filter(|v| !v.is_empty())
                    .map(|v| (k.to_string(), v))
            })
            .collect();
        self
    }

    fn env(&self, key: &str) -> Option<String> {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }
}

impl Settings {
    /// Resolves the settings: overrides, then the config file, then defaults; checks the
    /// namespace and the catalog URL.
    pub fn resolve(o: Overrides) -> Result<Self> {
        let (path, explicit) = match &o.config_file {
            Some(p) => (p.clone(), true),
            None => (PathBuf::from(DEFAULT_CONFIG_FILE), false),
        };
        let file = FileConfig::load(&path, explicit)?;
        let namespace = o
            .namespace
            .clone()
            .or(file.namespace.clone())
            .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string());
        validate_identifier(&namespace)?;
        let s3 = s3_settings(&o, &file);
        let catalog = catalog_settings(&o, &file)?;
        let monthly_request_limit = monthly_request_limit(&o, &file)?;
        let lease_stale_after = lease_stale_after(&o)?;
        Ok(Self {
            s3,
            catalog,
            lease_stale_after,
            max_requests: o.max_requests.or(file.max_requests),
            monthly_request_limit,
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

fn s3_settings(o: &Overrides, file: &FileConfig) -> S3Settings {
    let endpoint = o.env("AWS_ENDPOINT_URL").or(file.s3.endpoint.clone());
    S3Settings {
        path_style: file.s3.path_style.unwrap_or(endpoint.is_some()),
        endpoint,
        region: o
            .env("AWS_REGION")
            .or_else(|| o.env("AWS_DEFAULT_REGION"))
            .or(file.s3.region.clone()),
        access_key_id: o.env("AWS_ACCESS_KEY_ID").or(file.s3.access_key_id.clone()),
        secret_access_key: o
            .env("AWS_SECRET_ACCESS_KEY")
            .or(file.s3.secret_access_key.clone())
            .map(Secret::new),
        session_token: o.env("AWS_SESSION_TOKEN").map(Secret::new),
    }
}

fn catalog_settings(o: &Overrides, file: &FileConfig) -> Result<CatalogSettings> {
    let Some(uri) = o.catalog.clone().or(file.catalog.uri.clone()) else {
        return Ok(CatalogSettings::Embedded);
    };
    let CatalogSettings::Rest(mut rest) = CatalogSettings::parse(&uri)? else {
        return Ok(CatalogSettings::Embedded);
    };
    rest.warehouse = o
        .env("GAMELAKE_CATALOG_WAREHOUSE")
        .or(file.catalog.warehouse.clone());
    rest.token = o
        .env("GAMELAKE_CATALOG_TOKEN")
        .or(file.catalog.token.clone())
        .map(Secret::new);
    rest.credential = match o
        .env("GAMELAKE_CATALOG_CREDENTIAL")
        .or(file.catalog.credential.clone())
    {
        None => None,
        Some(c) => match c.split_once(':') {
            Some((id, secret)) if !id.is_empty() && !secret.is_empty() => {
                Some((id.to_string(), Secret::new(secret)))
            }
            _ => {
                return Err(Error::Config(
                    "GAMELAKE_CATALOG_CREDENTIAL must be client_id:secret".into(),
                ));
            }
        },
    };
    Ok(CatalogSettings::Rest(rest))
}

fn monthly_request_limit(o: &Overrides, file: &FileConfig) -> Result<u64> {
    match o.env("GAMELAKE_MONTHLY_REQUEST_LIMIT") {
        Some(v) => v.trim().parse::<u64>().map_err(|_| {
            Error::Config(format!(
                "GAMELAKE_MONTHLY_REQUEST_LIMIT={v:?}: expected a number of requests (0: no limit)"
            ))
        }),
        None => Ok(file
            .monthly_request_limit
            .unwrap_or(crate::ingest::quota::DEFAULT_MONTHLY_LIMIT)),
    }
}

/// `GAMELAKE_LEASE_STALE_SECS`: seconds (fractions allowed, for tests) after which an S3
/// lease that was not renewed belongs to a dead holder; [`crate::lease::STALE_AFTER`] when
/// unset.
fn lease_stale_after(o: &Overrides) -> Result<Duration> {
    let Some(v) = o.env(crate::lease::STALE_ENV) else {
        return Ok(crate::lease::STALE_AFTER);
    };
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            Error::Config(format!(
                "{}={v:?}: expected a positive number of seconds",
                crate::lease::STALE_ENV
            ))
        })
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
    fn s3_and_catalog_settings_come_from_env_then_file_and_secrets_stay_hidden() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("g.toml");
        std::fs::write(
            &file,
            "[s3]\nendpoint = \"http://file:9000\"\nregion = \"eu-west-1\"\n\
             access_key_id = \"fileid\"\nsecret_access_key = \"filesecret\"\n\
             [catalog]\nuri = \"rest+http://nessie:19120/iceberg\"\nwarehouse = \"w\"\n",
        )
        .expect("write");
        let env = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let s = Settings::resolve(Overrides {
            config_file: Some(file.clone()),
            env: env(&[
                ("AWS_SECRET_ACCESS_KEY", "envsecret"),
                ("GAMELAKE_CATALOG_CREDENTIAL", "client:catsecret"),
            ]),
            ..Default::default()
        })
        .expect("resolve");
        assert_eq!(s.s3.endpoint.as_deref(), Some("http://file:9000"));
        assert!(s.s3.path_style, "an explicit endpoint means path-style");
        assert_eq!(s.s3.access_key_id.as_deref(), Some("fileid"));
        assert_eq!(
            s.s3.secret_access_key.as_ref().map(Secret::expose),
            Some("envsecret")
        );
        let CatalogSettings::Rest(rest) = &s.catalog else {
            panic!("not REST: {:?}", s.catalog)
        };
        assert_eq!(rest.uri, "http://nessie:19120/iceberg");
        assert_eq!(rest.warehouse.as_deref(), Some("w"));
        assert_eq!(
            rest.credential.as_ref().map(|c| c.0.as_str()),
            Some("client")
        );
        let shown = format!("{s:?}");
        for secret in ["envsecret", "catsecret", "filesecret"] {
            assert!(!shown.contains(secret), "{secret} shows in {shown}");
        }

        for (bad, needle) in [
            (
                "rest+http://user:pw@host/iceberg",
                "credentials do not belong",
            ),
            ("http://host/iceberg", "rest+http"),
            ("rest+ftp://host", "http:// or https://"),
        ] {
            let err = CatalogSettings::parse(bad).expect_err(bad);
            assert!(err.to_string().contains(needle), "{bad}: {err}");
        }
        let err = Settings::resolve(Overrides {
            config_file: Some(file),
            env: env(&[("GAMELAKE_CATALOG_CREDENTIAL", "no-colon")]),
            ..Default::default()
        })
        .expect_err("credential without a colon");
        assert!(err.to_string().contains("client_id:secret"), "{err}");
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
