//! S3-compatible object storage (AWS S3, MinIO, SeaweedFS): one place that turns
//! [`S3Settings`] into `object_store` builders, for the warehouse root and for table files.
//!
//! Must never: let `object_store` look for credentials on its own. Without explicit keys it
//! would ask the cloud instance-metadata service at 169.254.169.254, a call to a non-loopback
//! address that a laptop or CI machine must never make. Missing keys are an error here, and the
//! metadata endpoint is pinned to an unroutable loopback port as a second guard.

use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey, S3ConditionalPut};
use object_store::{ClientOptions, RetryConfig};

use crate::secret::Secret;
use crate::{Error, Result};

/// S3 connection settings (`AWS_*` environment variables, then `[s3]` in the config file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Settings {
    /// `AWS_ENDPOINT_URL`: an S3-compatible server (MinIO, SeaweedFS). Plain `http://` is
    /// accepted only here, never implied.
    pub endpoint: Option<String>,
    /// `AWS_REGION` (or `AWS_DEFAULT_REGION`).
    pub region: Option<String>,
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: Option<String>,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: Option<Secret>,
    /// `AWS_SESSION_TOKEN`, for temporary credentials.
    pub session_token: Option<Secret>,
    /// Path-style addressing (`endpoint/bucket/key`); the default with an explicit endpoint.
    pub path_style: bool,
}

/// Where `object_store` would look for instance credentials; pointed at a closed loopback port.
const NO_METADATA_SERVICE: &str = "http://127.0.0.1:9";

/// An `s3://bucket/prefix` location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket.
    pub bucket: String,
    /// Key prefix without leading or trailing `/` (may be empty).
    pub prefix: String,
}

impl S3Location {
    /// Parses `s3://bucket/prefix` (or `s3a://`), checking the bucket name and the prefix.
    pub fn parse(location: &str) -> Result<Self> {
        let rest = location
            .strip_prefix("s3://")
            .or_else(|| location.strip_prefix("s3a://"))
            .ok_or_else(|| Error::Config(format!("{location:?} is not an s3:// location")))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = prefix.trim_matches('/').to_string();
        let valid_bucket = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
        if !valid_bucket {
            return Err(Error::Config(format!(
                "{location:?}: {bucket:?} is not a valid bucket name (3-63 lowercase letters, digits, '-', '.')"
            )));
        }
        if prefix.split('/').any(|p| p == ".." || p == ".") {
            return Err(Error::Config(format!(
                "{location:?}: the prefix may not contain '.' or '..' segments"
            )));
        }
        Ok(Self {
            bucket: bucket.to_string(),
            prefix,
        })
    }

    /// Back to `s3://bucket/prefix`.
    pub fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// An S3 builder with the settings' endpoint, region and explicit credentials, and no bucket
/// yet (tables may live in another bucket than the warehouse root).
pub fn builder(settings: &S3Settings) -> Result<AmazonS3Builder> {
    let (Some(key_id), Some(secret)) = (&settings.access_key_id, &settings.secret_access_key)
    else {
        return Err(Error::Config(
            "S3 storage needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \
             (or access_key_id / secret_access_key under [s3] in gamelake.toml); gamelake never \
             asks a cloud metadata service for them"
                .into(),
        ));
    };
    let mut builder = AmazonS3Builder::new()
        .with_access_key_id(key_id)
        .with_secret_access_key(secret.expose())
        .with_region(settings.region.as_deref().unwrap_or("us-east-1"))
        .with_virtual_hosted_style_request(!settings.path_style)
        .with_conditional_put(S3ConditionalPut::ETagMatch)
        .with_config(AmazonS3ConfigKey::MetadataEndpoint, NO_METADATA_SERVICE)
        .with_client_options(
            ClientOptions::new()
                .with_connect_timeout(Duration::from_secs(10))
                .with_timeout(Duration::from_secs(120)),
        )
        // A wrong endpoint or a stopped server should fail in seconds, not minutes.
        .with_retry(RetryConfig {
            max_retries: 3,
            retry_timeout: Duration::from_secs(30),
            ..RetryConfig::default()
        });
    if let Some(token) = &settings.session_token {
        builder = builder.with_token(token.expose());
    }
    if let Some(endpoint) = &settings.endpoint {
        let url = url::Url::parse(endpoint)
            .map_err(|e| Error::Config(format!("AWS_ENDPOINT_URL {endpoint:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "AWS_ENDPOINT_URL {endpoint:?} must start with http:// or https://"
            )));
        }
        // Plain http only because the user named this endpoint explicitly.
        builder = builder
            .with_endpoint(endpoint.trim_end_matches('/'))
            .with_allow_http(url.scheme() == "http");
    }
    Ok(builder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_bad_ones_are_refused() {
        let l = S3Location::parse("s3://raw/gamelake/").expect("parse");
        assert_eq!((l.bucket.as_str(), l.prefix.as_str()), ("raw", "gamelake"));
        assert_eq!(l.url(), "s3://raw/gamelake");
        assert_eq!(
            S3Location::parse("s3://warehouse").expect("bare").prefix,
            ""
        );
        for bad in ["s3://", "s3://Upper/x", "s3://ok-bucket/../etc", "gs://b/x"] {
            assert!(S3Location::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn without_explicit_credentials_nothing_is_built() {
        let err = builder(&S3Settings::default()).expect_err("no keys");
        assert!(err.to_string().contains("AWS_ACCESS_KEY_ID"), "{err}");
        let ok = builder(&S3Settings {
            access_key_id: Some("id".into()),
            secret_access_key: Some(Secret::new("s")),
            endpoint: Some("http://127.0.0.1:1".into()),
            path_style: true,
            ..Default::default()
        })
        .expect("builder");
        assert_eq!(
            ok.get_config_value(&AmazonS3ConfigKey::MetadataEndpoint)
                .as_deref(),
            Some(NO_METADATA_SERVICE)
        );
    }
}
