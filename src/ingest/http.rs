//! The HTTP side of ingest: a reqwest client for RAWG with timeouts, retries with exponential
//! back-off and jitter (429, 5xx, connection errors and timeouts), `Retry-After`, and the API
//! key kept secret.
//!
//! Must never: send the key to any host but the configured one (a `next` link to another host
//! is refused), or let the key reach a log line or an error (every URL shown goes through
//! `redact`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use url::Url;

use crate::secret::Secret;

pub use crate::error::HttpError;

/// Retry and timeout policy.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First back-off; doubles per attempt, with up to 50% random jitter added.
    pub base_backoff: Duration,
    /// Cap on any single wait, `Retry-After` included.
    pub max_backoff: Duration,
    /// Whole-request timeout (a server that stalls mid-body hits this).
    pub timeout: Duration,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Pages requested at once: the next page and the ones predicted after it (see
    /// `super::source::send_http`); 1 follows the `next` links one request at a time.
    pub concurrency: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            concurrency: 4,
        }
    }
}

/// Requests one run may send, retries included, shared by every clone of a client: the
/// list pages, the count probes and the game details all draw on it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Budget {
    sent: Arc<AtomicU64>,
    limit: Option<u64>,
}

impl Budget {
    /// A budget of `limit` requests (`None`: unlimited).
    pub(crate) fn new(limit: Option<u64>) -> Self {
        Self {
            sent: Arc::default(),
            limit,
        }
    }

    /// Takes one request from the budget; false (and nothing taken) when it is spent.
    fn take(&self) -> bool {
        let Some(limit) = self.limit else {
            self.sent.fetch_add(1, Ordering::Relaxed);
            return true;
        };
        self.sent
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < limit).then_some(n + 1)
            })
            .is_ok()
    }

    /// Requests sent so far.
    pub(crate) fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// True when no request is left.
    pub(crate) fn is_spent(&self) -> bool {
        self.limit.is_some_and(|l| self.sent() >= l)
    }
}

/// A client bound to one RAWG base URL (e.g. `https://api.rawg.io/api`).
#[derive(Debug, Clone)]
pub(crate) struct RawgClient {
    client: reqwest::Client,
    base: Url,
    key: Option<Secret>,
    opts: HttpOptions,
    budget: Budget,
}

/// What a fetch returned.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// 2xx: the body.
    Body(Bytes),
    /// 404: RAWG's answer past the last page.
    NotFound,
}

impl RawgClient {
    /// A client for the API at `base`; `key` goes only to `base`'s host. Every request it
    /// sends, retries included, is taken from `budget`.
    pub(crate) fn new(
        base: &str,
        key: Option<Secret>,
        opts: HttpOptions,
        budget: Budget,
    ) -> Result<Self, HttpError> {
        let bad = |reason: &str| HttpError::BadUrl {
            url: base.to_string(),
            reason: reason.to_string(),
        };
        let base = Url::parse(base.trim_end_matches('/')).map_err(|e| bad(&e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(bad("expected http(s)://host/path"));
        }
        let client = reqwest::Client::builder()
            .timeout(opts.timeout)
            .connect_timeout(opts.connect_timeout)
            .user_agent(concat!("gamelake/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| bad(&e.to_string()))?;
        Ok(Self {
            client,
            base,
            key,
            opts,
            budget,
        })
    }

    /// Requests this client may have in flight ([`HttpOptions::concurrency`]).
    pub(crate) fn concurrency(&self) -> usize {
        self.opts.concurrency
    }

    /// The budget this client draws on.
    pub(crate) fn budget(&self) -> &Budget {
        &self.budget
    }

    /// `/games/{id}`: one game's details.
    pub(crate) fn detail_url(&self, id: i64) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map(|mut s| {
                s.push("games").push(&id.to_string());
            })
            .ok();
        url
    }

    /// The first `/games` page for a query.
    pub(crate) fn games_url(&self, filters: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map(|mut s| {
                s.push("games");
            })
            .ok();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("page_size", "40");
            for (k, v) in filters {
                q.append_pair(k, v);
            }
        }
        url
    }

    /// Checks that a `next` link stays on the configured host, and parses it.
    pub(crate) fn follow(&self, next: &str) -> Result<Url, HttpError> {
        let url = Url::parse(next).map_err(|e| HttpError::BadUrl {
            url: redact(next),
            reason: e.to_string(),
        })?;
        let same = url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default();
        if !same {
            return Err(HttpError::ForeignHost {
                expected: origin(&self.base),
                found: origin(&url),
            });
        }
        Ok(url)
    }

    /// GETs `url` (with the key added), retrying what is worth retrying.
    pub(crate) async fn fetch(&self, url: &Url) -> Result<Fetched, HttpError> {
        let request_url = match &self.key {
            Some(key) => with_param(url, "key", key.expose()),
            None => url.clone(),
        };
        let shown = redact(url.as_str());
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.opts.max_attempts;
            if !self.budget.take() {
                return Err(HttpError::BudgetSpent {
                    limit: self.budget.limit.unwrap_or(0),
                });
            }
            let outcome = self.client.get(request_url.clone()).send().await;
            let wait = match outcome {
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after = retry_after(&resp);
                    if status.is_success() {
                        match resp.bytes().await {
                            Ok(body) => return Ok(Fetched::Body(body)),
                            Err(e) if last => {
                                return Err(HttpError::Transport {
                                    url: shown,
                                    reason: describe(&e),
                                    attempts: attempt,
                                });
                            }
                            Err(e) => {
                                tracing::warn!(url = %shown, attempt, "reading body failed: {}", describe(&e));
                                None
                            }
                        }
                    } else if status == StatusCode::NOT_FOUND {
                        return Ok(Fetched::NotFound);
                    } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN
                    {
                        return Err(HttpError::Unauthorized {
                            url: shown,
                            status: status.as_u16(),
                        });
                    } else if (status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error())
                        && !last
                    {
                        tracing::warn!(url = %shown, attempt, status = status.as_u16(), "retrying");
                        retry_after
                    } else {
                        let body = resp.text().await.unwrap_or_default();
                        return Err(HttpError::Status {
                            url: shown,
                            status: status.as_u16(),
                            attempts: attempt,
                            body: snippet(&body),
                        });
                    }
                }
                Err(e) => {
                    if last {
                        return Err(HttpError::Transport {
                            url: shown,
                            reason: describe(&e),
                            attempts: attempt,
                        });
                    }
                    tracing::warn!(url = %shown, attempt, "request failed: {}", describe(&e));
                    None
                }
            };
            tokio::time::sleep(self.backoff(attempt, wait)).await;
        }
    }

    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let wait = retry_after.unwrap_or_else(|| {
            let exp = self
                .opts
                .base_backoff
                .saturating_mul(1u32 << (attempt - 1).min(16));
            let jitter = exp.mul_f64(fastrand::f64() * 0.5);
            exp + jitter
        });
        wait.min(self.opts.max_backoff)
    }
}

/// `url` with its `name` parameters replaced by one `name=value`, appended last.
pub(crate) fn with_param(url: &Url, name: &str, value: &str) -> Url {
    let others: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut out = url.clone();
    out.query_pairs_mut()
        .clear()
        .extend_pairs(others)
        .append_pair(name, value);
    out
}

fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    resp.headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// A reqwest error without its URL (which may carry the key).
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "connection broke while reading the body"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind} ({})", redact(&detail))
    }
}

fn snippet(body: &str) -> String {
    let s: String = body.chars().take(200).collect();
    redact(s.trim())
}

fn origin(url: &Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.port().map(|p| format!(":{p}")).unwrap_or_default()
    )
}

/// Replaces the value of any `key=` query parameter with `***`.
pub(crate) fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("key=") {
        let boundary = pos == 0 || matches!(rest.as_bytes()[pos - 1], b'?' | b'&' | b' ');
        out.push_str(&rest[..pos + 4]);
        rest = &rest[pos + 4..];
        if boundary {
            let end = rest
                .find(|c: char| c == '&' || c == '#' || c.is_whitespace() || c == '"')
                .unwrap_or(rest.len());
            out.push_str("***");
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_every_key_value() {
        assert_eq!(
            redact("https://h/api/games?key=s3cr3t&page=2"),
            "https://h/api/games?key=***&page=2"
        );
        assert_eq!(redact("a?page=1&key=abc"), "a?page=1&key=***");
        assert_eq!(redact("monkey=1"), "monkey=1");
    }

    #[test]
    fn next_links_to_other_hosts_are_refused() {
        let c = RawgClient::new(
            "http://127.0.0.1:9/api",
            None,
            HttpOptions::default(),
            Budget::default(),
        )
        .expect("client");
        c.follow("http://127.0.0.1:9/api/games?page=2")
            .expect("same host");
        for foreign in [
            "http://evil.example/api/games?page=2",
            "https://127.0.0.1:9/api/games",
            "http://127.0.0.1:10/api/games",
        ] {
            assert!(
                matches!(c.follow(foreign), Err(HttpError::ForeignHost { .. })),
                "{foreign}"
            );
        }
    }

    #[test]
    fn games_url_has_page_size_and_filters() {
        let c = RawgClient::new(
            "http://127.0.0.1:9/api/",
            None,
            HttpOptions::default(),
            Budget::default(),
        )
        .expect("client");
        let u = c.games_url(&[("dates", "2015-01-01,2015-12-31".into())]);
        assert_eq!(
            u.as_str(),
            "http://127.0.0.1:9/api/games?page_size=40&dates=2015-01-01%2C2015-12-31"
        );
        assert_eq!(
            c.detail_url(3498).as_str(),
            "http://127.0.0.1:9/api/games/3498"
        );
    }

    #[test]
    fn a_budget_gives_out_exactly_its_limit() {
        let b = Budget::new(Some(2));
        let clone = b.clone();
        assert!(b.take() && clone.take());
        assert!(!b.take() && !clone.take(), "the budget went over its limit");
        assert_eq!((b.sent(), b.is_spent()), (2, true));
        let unlimited = Budget::default();
        assert!((0..5).all(|_| unlimited.take()));
        assert_eq!((unlimited.sent(), unlimited.is_spent()), (5, false));
    }
}
