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
//! - it has no catalog method for the multi-table commit: [`RestClient::commit_transaction`];
//! - it asks for a view before every table load, and commits only tables its own loads
//!   opened: [`super::rest_tables`] loads and commits tables in one request each.
//!
//! Must never: send a secret anywhere but the configured catalog and token endpoint, or put
//! one in an error or log line.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use iceberg_rest_catalog::apis::configuration::Configuration;
use iceberg_rest_catalog::apis::configuration_api_api;
use iceberg_rest_catalog::catalog::RestCatalog;
use iceberg_rest_catalog::configuration_rewriter::ConfigurationRewriter;
use iceberg_rest_catalog::models::CommitTransactionRequest;
use iceberg_rust::catalog::commit::CommitTable;
use iceberg_rust::error::Error as IcebergError;
use iceberg_rust::object_store::ObjectStoreBuilder;

use super::RestSettings;
use super::nessie::{Bearer, Nessie};
use super::rest_tables::RestTables;
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
                    super::http_cause(&e)
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
                detail: format!("answered without a token ({})", super::http_cause(&e)),
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
impl Bearer for TokenSource {
    async fn bearer(&self) -> Result<Option<String>> {
        self.token().await
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

/// A connected REST catalog: the `iceberg-rest-catalog` client, and what the multi-table
/// commit, which that crate does not offer as a catalog method, needs to call the API.
pub struct RestClient {
    catalog: Arc<RestTables>,
    base: Configuration,
    tokens: Arc<TokenSource>,
    /// The prefix `/v1/config` named, decoded (the crate encodes it into every URL).
    prefix: Option<String>,
    uri: String,
    /// Set when the catalog is Nessie.
    nessie: Option<Nessie>,
    /// How table files are opened (our S3 settings), for a client at another Nessie
    /// reference ([`RestClient::at`]).
    tables: ObjectStoreBuilder,
}

impl RestClient {
    /// The catalog, for everything but the multi-table commit.
    pub fn catalog(&self) -> Arc<dyn iceberg_rust::catalog::Catalog> {
        self.catalog.clone()
    }

    /// Nessie's own API, when the catalog is Nessie.
    pub fn nessie(&self) -> Option<&Nessie> {
        self.nessie.as_ref()
    }

    /// The catalog as it was at a Nessie reference (`main@<hash>`, `main*<time>`, a branch):
    /// every table loaded through it is read there. `None` when the catalog is not Nessie.
    pub fn at(&self, reference: &str) -> Option<Arc<RestClient>> {
        let nessie = self.nessie.as_ref()?;
        let prefix = nessie.prefix(reference);
        Some(Arc::new(RestClient {
            catalog: Arc::new(rest_catalog(
                Some(&prefix),
                &self.base,
                &self.tokens,
                &self.tables,
            )),
            base: self.base.clone(),
            tokens: self.tokens.clone(),
            prefix: Some(prefix),
            uri: self.uri.clone(),
            nessie: self.nessie.clone(),
            tables: self.tables.clone(),
        }))
    }

    /// `POST /v1/{prefix}/transactions/commit`: every table's commit at once, on the
    /// catalog's own reference or, on Nessie, on `branch`; `message` names the commit in
    /// Nessie's log (`Nessie-Commit-Message`, ignored elsewhere). `Ok(false)`: the server has
    /// no such endpoint (nothing was committed); a failed requirement is a conflict.
    pub async fn commit_transaction(
        &self,
        commits: Vec<CommitTable>,
        branch: Option<&str>,
        message: &str,
    ) -> Result<bool> {
        let prefix = match (branch, &self.nessie) {
            (None, _) => self.prefix.clone(),
            (Some(b), Some(n)) => Some(n.prefix(b)),
            // Never fall back to the catalog's own reference: that would publish to main.
            (Some(b), None) => {
                return Err(Error::Config(format!(
                    "publishing to branch {b}: the catalog at {} is not Nessie and has no \
                     branches",
                    self.uri
                )));
            }
        };
        let url = match &prefix {
            Some(p) => format!("{}/v1/{}/transactions/commit", self.uri, urlencode(p)),
            None => format!("{}/v1/transactions/commit", self.uri),
        };
        let mut request = self
            .base
            .client
            .post(url)
            .header("Nessie-Commit-Message", message)
            .json(&CommitTransactionRequest::new(commits));
        if let Some(token) = self.tokens.token().await? {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Error::CatalogUnreachable {
                uri: self.uri.clone(),
                detail: format!(
                    "publishing the run's tables: {}; nothing of this run is visible unless \
                 the catalog applied it, rerun the command",
                    super::http_cause(&e)
                ),
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(true);
        }
        let answer = super::error_answer(response).await;
        // A missing route; a missing table or namespace says so in its error type.
        let missing_entity = answer
            .error_type
            .as_deref()
            .is_some_and(|t| t.starts_with("NoSuchTable") || t.starts_with("NoSuchNamespace"));
        let unknown_route = matches!(status.as_u16(), 404 | 405 | 501) && !missing_entity;
        let body = answer.body;
        if unknown_route {
            return Ok(false);
        }
        if status == reqwest::StatusCode::CONFLICT {
            return Err(Error::Conflict(crate::error::Conflict {
                table: "the run's tables".into(),
                detail: format!(
                    "HTTP 409 {body}; another writer changed a table while this run was \
                     staging, nothing of this run was published: rerun the command"
                ),
            }));
        }
        Err(Error::CatalogUnreachable {
            uri: self.uri.clone(),
            detail: format!("publishing the run's tables: HTTP {status}: {body}"),
        })
    }
}

/// The crate's encoding of a path segment (`form_urlencoded`), so our own URLs match its.
fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The crate's catalog client on `prefix`, table files opened with `tables`, its tables
/// loaded and committed by [`RestTables`].
fn rest_catalog(
    prefix: Option<&str>,
    base: &Configuration,
    tokens: &Arc<TokenSource>,
    tables: &ObjectStoreBuilder,
) -> RestTables {
    let inner = RestCatalog::new(
        prefix,
        base.clone(),
        Some(tokens.clone()),
        Some(tables.clone()),
        // Never use storage credentials the server hands out (see the module docs).
        true,
    );
    RestTables::new(
        Arc::new(inner),
        base.clone(),
        tokens.clone(),
        prefix.map(str::to_string),
        tables.clone(),
    )
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
    // The prefix comes URL-encoded (Nessie: `main%7Cwarehouse`); the crate encodes it again
    // into every URL, so it gets the decoded form.
    let prefix = config
        .overrides
        .get("prefix")
        .or_else(|| config.defaults.get("prefix"))
        .map(|p| decode(p));
    tracing::debug!(uri = rest.uri, prefix, "REST catalog configured");
    let mut merged = config.defaults.clone();
    merged.extend(config.overrides.clone());
    // On Nessie the prefix is `<branch>|<warehouse>`: later prefixes name other references
    // of the same warehouse.
    let warehouse = prefix
        .as_deref()
        .and_then(|p| p.split_once('|'))
        .map(|(_, w)| w);
    let auth: Arc<dyn Bearer> = tokens.clone();
    let nessie = Nessie::from_config(&merged, warehouse, base.client.clone(), Some(auth));
    if nessie.is_some() {
        tracing::debug!(uri = rest.uri, "the catalog is Nessie");
    }

    let tables =
        ObjectStoreBuilder::S3(Box::new(s3::builder(s3_settings).map_err(|e| {
            Error::Config(format!("the REST catalog's tables are in S3: {e}"))
        })?));
    let catalog = Arc::new(rest_catalog(prefix.as_deref(), &base, &tokens, &tables));
    Ok(Arc::new(RestClient {
        catalog,
        base,
        tokens,
        prefix,
        uri: rest.uri.clone(),
        nessie,
        tables,
    }))
}

/// A percent-encoded string, decoded (left as it is where it is not valid UTF-8).
fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map_or_else(|_| s.to_string(), |d| d.into_owned())
}

fn config_error<T>(uri: &str, e: iceberg_rest_catalog::apis::Error<T>) -> Error {
    use iceberg_rest_catalog::apis::Error as ApiError;
    let detail = match &e {
        ApiError::Reqwest(e) => format!(
            "cannot reach the catalog ({}); check --catalog and that the server is running",
            super::http_cause(e)
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
