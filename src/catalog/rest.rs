//! Iceberg REST catalogs (Nessie's `/iceberg` endpoint, SeaweedFS, Polaris, ...) through
//! `iceberg-rest-catalog` 0.10, with the parts that crate leaves out done here:
//!
//! - it never calls `/v1/config`: [`connect`] does, with the warehouse, and passes the prefix
//!   the server returns (for Nessie the branch, for SeaweedFS the bucket) as the catalog name,
//!   which the crate uses as the URL prefix;
//! - its OAuth2 helper uses a client without TLS roots and `Debug`-prints the client secret:
//!   [`TokenSource`] exchanges client credentials (or passes a fixed bearer token) with our
//!   own client, and keeps secrets out of `Debug` and out of the catalog's configuration;
//! - it would take storage credentials vended by the server and otherwise let `object_store`
//!   fall back to the cloud metadata address: table files are always opened with the explicit
//!   S3 settings ([`crate::storage::s3::builder`]) and `ignore_storage_credentials`;
//! - it reports HTTP 409 as an untyped string: [`super::is_conflict`] recognises it;
//! - it has no catalog method for the multi-table commit: [`RestClient::commit_transaction`].
//!
//! Must never: send a secret anywhere but the configured catalog and token endpoint, or put
//! one in an error or log line.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use iceberg_rest_catalog::apis::configuration::Configuration;
use iceberg_rest_catalog::apis::{catalog_api_api, configuration_api_api};
use iceberg_rest_catalog::catalog::RestCatalog;
use iceberg_rest_catalog::configuration_rewriter::ConfigurationRewriter;
use iceberg_rest_catalog::models::CommitTransactionRequest;
use iceberg_rust::catalog::commit::CommitTable;
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::object_store::ObjectStoreBuilder;

use super::RestSettings;
use crate::secret::Secret;
use crate::storage::s3::{self, S3Settings};
use crate::{Error, Result};

/// Where the bearer token for each request comes from.
enum Auth {
    None,
    Bearer(Secret),
    ClientCredentials {
        token_uri: String,
        client_id: String,
        secret: Secret,
    },
}

/// Supplies the bearer token of every catalog request, exchanging OAuth2 client credentials
/// when needed and renewing the token before it expires.
pub struct TokenSource {
    auth: Auth,
    client: reqwest::Client,
    cached: std::sync::Mutex<Option<(Secret, Instant)>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.auth {
            Auth::None => "none",
            Auth::Bearer(_) => "bearer token",
            Auth::ClientCredentials { .. } => "oauth2 client credentials",
        };
        f.debug_struct("TokenSource").field("auth", &kind).finish()
    }
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl TokenSource {
    /// The bearer token for the next request, if the catalog needs one.
    async fn token(&self) -> Result<Option<String>> {
        let (token_uri, client_id, secret) = match &self.auth {
            Auth::None => return Ok(None),
            Auth::Bearer(t) => return Ok(Some(t.expose().to_string())),
            Auth::ClientCredentials {
                token_uri,
                client_id,
                secret,
            } => (token_uri, client_id, secret),
        };
        if let Ok(cached) = self.cached.lock()
            && let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(Some(token.expose().to_string()));
        }
        let response = self
            .client
            .post(token_uri)
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", client_id.as_str()),
                ("client_secret", secret.expose()),
            ])
            .send()
            .await
            .map_err(|e| Error::CatalogUnreachable {
                uri: token_uri.clone(),
                detail: format!(
                    "cannot reach the catalog ({}); check --catalog and that the server is running",
                    without_url(&e)
                ),
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(Error::CatalogUnreachable {
                uri: token_uri.clone(),
                detail: format!(
                    "the catalog refused the client credentials (HTTP {status}); check GAMELAKE_CATALOG_CREDENTIAL (client_id:secret)"
                ),
            });
        }
        let body: TokenResponse = response
            .json()
            .await
            .map_err(|e| Error::CatalogUnreachable {
                uri: token_uri.clone(),
                detail: format!("answered without a token ({})", without_url(&e)),
            })?;
        // Renew at 70% of the lifetime, as the spec's clients do.
        let lifetime = Duration::from_secs(body.expires_in.unwrap_or(3600) * 7 / 10);
        if let Ok(mut cached) = self.cached.lock() {
            *cached = Some((
                Secret::new(body.access_token.clone()),
                Instant::now() + lifetime,
            ));
        }
        Ok(Some(body.access_token))
    }
}

#[async_trait]
impl ConfigurationRewriter for TokenSource {
    async fn rewrite_configuration(
        &self,
        mut conf: Configuration,
    ) -> std::result::Result<Configuration, IcebergError> {
        conf.oauth_access_token = self
            .token()
            .await
            .map_err(|e| IcebergError::External(Box::new(e)))?;
        Ok(conf)
    }
}

/// reqwest errors print the URL; ours carry no secret in URLs, but keep messages short.
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(url.as_str(), "");
    }
    if e.is_connect() {
        text = "connection refused or host unreachable".into();
    } else if e.is_timeout() {
        text = "timed out".into();
    }
    text
}

/// A connected REST catalog: the `iceberg-rest-catalog` client, and what the multi-table
/// commit, which that crate does not offer as a catalog method, needs to call the API.
pub struct RestClient {
    catalog: Arc<RestCatalog>,
    base: Configuration,
    tokens: Arc<TokenSource>,
    prefix: Option<String>,
    uri: String,
}

impl RestClient {
    /// The catalog, for everything but the multi-table commit.
    pub fn catalog(&self) -> Arc<dyn iceberg_rust::catalog::Catalog> {
        self.catalog.clone()
    }

    /// `POST /v1/{prefix}/transactions/commit`: every table's commit at once. `Ok(false)`:
    /// the server has no such endpoint (nothing was committed); a failed requirement is a
    /// conflict error, as for a single-table commit.
    pub async fn commit_transaction(&self, commits: Vec<CommitTable>) -> Result<bool> {
        use iceberg_rest_catalog::apis::Error as ApiError;
        let mut conf = self.base.clone();
        conf.oauth_access_token = self.tokens.token().await?;
        let request = CommitTransactionRequest::new(commits);
        match catalog_api_api::commit_transaction(&conf, self.prefix.as_deref(), request).await {
            Ok(()) => Ok(true),
            Err(ApiError::ResponseError(r)) => {
                let status = r.status.as_u16();
                let body: String = r.content.chars().take(300).collect();
                // A missing route; a missing table says so in its error type.
                let unknown_route = matches!(status, 404 | 405 | 501)
                    && !body.contains("NoSuchTable")
                    && !body.contains("NoSuchNamespace");
                if unknown_route {
                    return Ok(false);
                }
                let text = format!("Response status: {} {body}", r.status);
                Err(super::change::publish_error(
                    "the run's tables",
                    IcebergError::InvalidFormat(text),
                ))
            }
            Err(ApiError::Reqwest(e)) => Err(Error::CatalogUnreachable {
                uri: self.uri.clone(),
                detail: format!(
                    "publishing the run's tables: {}; nothing of this run is visible unless \
                     the catalog applied it, rerun the command",
                    without_url(&e)
                ),
            }),
            Err(other) => Err(Error::CatalogUnreachable {
                uri: self.uri.clone(),
                detail: format!("publishing the run's tables: {other}"),
            }),
        }
    }
}

/// Reads `/v1/config` (authenticating first) and builds the catalog client.
pub async fn connect(rest: &RestSettings, s3_settings: &S3Settings) -> Result<Arc<RestClient>> {
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| Error::Config(format!("cannot build an HTTP client: {e}")))?;
    let auth = match (&rest.credential, &rest.token) {
        (Some((client_id, secret)), _) => Auth::ClientCredentials {
            token_uri: format!("{}/v1/oauth/tokens", rest.uri),
            client_id: client_id.clone(),
            secret: secret.clone(),
        },
        (None, Some(token)) => Auth::Bearer(token.clone()),
        (None, None) => Auth::None,
    };
    let tokens = Arc::new(TokenSource {
        auth,
        client: client.clone(),
        cached: std::sync::Mutex::new(None),
    });
    let base = Configuration {
        base_path: rest.uri.clone(),
        user_agent: Some(format!("gamelake/{}", env!("CARGO_PKG_VERSION"))),
        client,
        basic_auth: None,
        oauth_access_token: None,
        bearer_access_token: None,
        api_key: None,
        aws_v4_key: None,
    };

    let mut authed = base.clone();
    authed.oauth_access_token = tokens.token().await?;
    let config = configuration_api_api::get_config(&authed, rest.warehouse.as_deref())
        .await
        .map_err(|e| config_error(&rest.uri, e))?;
    let prefix = config
        .overrides
        .get("prefix")
        .or_else(|| config.defaults.get("prefix"))
        .cloned();
    tracing::debug!(uri = rest.uri, prefix, "REST catalog configured");

    let tables_store =
        ObjectStoreBuilder::S3(Box::new(s3::builder(s3_settings).map_err(|e| {
            Error::Config(format!("the REST catalog's tables are in S3: {e}"))
        })?));
    let catalog = Arc::new(RestCatalog::new(
        prefix.as_deref(),
        base.clone(),
        Some(tokens.clone()),
        Some(tables_store),
        // Never use storage credentials the server hands out (see the module docs).
        true,
    ));
    Ok(Arc::new(RestClient {
        catalog,
        base,
        tokens,
        prefix,
        uri: rest.uri.clone(),
    }))
}

fn config_error<T>(uri: &str, e: iceberg_rest_catalog::apis::Error<T>) -> Error {
    use iceberg_rest_catalog::apis::Error as ApiError;
    let detail = match &e {
        ApiError::Reqwest(e) => format!(
            "cannot reach the catalog ({}); check --catalog and that the server is running",
            without_url(e)
        ),
        ApiError::ResponseError(r) if matches!(r.status.as_u16(), 401 | 403) => format!(
            "the catalog refused the credentials (HTTP {}); check GAMELAKE_CATALOG_CREDENTIAL or GAMELAKE_CATALOG_TOKEN",
            r.status
        ),
        ApiError::ResponseError(r) => format!(
            "GET /v1/config answered HTTP {}: {}",
            r.status,
            r.content.chars().take(200).collect::<String>()
        ),
        other => other.to_string(),
    };
    Error::CatalogUnreachable {
        uri: uri.to_string(),
        detail,
    }
}
