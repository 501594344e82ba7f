//! Nessie's own API (v2), beside its Iceberg REST catalog: what gamelake needs of a catalog
//! whose history is a commit log rather than a table's list of snapshots.
//!
//! A Nessie catalog says so in its `/v1/config` answer (`nessie.is-nessie-catalog`), with the
//! base of its core API (`nessie.core-base-uri`) and its default branch; [`Nessie::from_config`]
//! reads those. On Nessie:
//!
//! - a table's metadata holds only its current snapshot: an earlier run is read at the Nessie
//!   commit it published ([`Nessie::find_commit`], found by the run id in the commit message,
//!   [`commit_message`]), through the Iceberg prefix `main@<hash>|<warehouse>`;
//! - a run whose data checks fail keeps what it built on a branch of its own
//!   ([`audit_branch`]), created from the default branch's head ([`Nessie::create_branch`]),
//!   listed by `status` and dropped by `maintain` after the keep period ([`Nessie::branches`],
//!   [`Nessie::delete_branch`]).
//!
//! Must never: change the default branch (only the Iceberg multi-table commit publishes
//! there), or delete a branch gamelake did not create ([`AUDIT_BRANCH_PREFIX`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;

use crate::{Error, Result};

/// Branches that keep a failed run's tables are named `gamelake-run-<run id>`.
pub const AUDIT_BRANCH_PREFIX: &str = "gamelake-run-";

/// The branch that keeps the tables of run `run_id` whose checks failed.
pub fn audit_branch(run_id: &str) -> String {
    format!("{AUDIT_BRANCH_PREFIX}{run_id}")
}

/// When the run behind an audit branch started, from the run id it carries.
pub fn audit_branch_time(branch: &str) -> Option<NaiveDateTime> {
    let id = branch.strip_prefix(AUDIT_BRANCH_PREFIX)?;
    crate::run_id_time(id)
}

/// The Nessie commit message of a run's publish: names the command and the run id, which is
/// how [`Nessie::find_commit`] finds it again.
pub fn commit_message(command: &str, run_id: &str) -> String {
    format!("gamelake {command} {run_id}")
}

/// A branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// Its name.
    pub name: String,
    /// Its head commit.
    pub hash: String,
}

/// One commit of a branch's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The commit's hash.
    pub hash: String,
    /// Its message.
    pub message: String,
    /// When it was made.
    pub time: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct ReferenceJson {
    name: String,
    hash: Option<String>,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct SingleReference {
    reference: ReferenceJson,
}

#[derive(Deserialize)]
struct References {
    references: Vec<ReferenceJson>,
    #[serde(rename = "hasMore", default)]
    has_more: bool,
    token: Option<String>,
}

#[derive(Deserialize)]
struct CommitMetaJson {
    hash: Option<String>,
    #[serde(default)]
    message: String,
    #[serde(rename = "commitTime")]
    commit_time: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
struct LogEntry {
    #[serde(rename = "commitMeta")]
    commit_meta: CommitMetaJson,
}

#[derive(Deserialize)]
struct Log {
    #[serde(rename = "logEntries")]
    entries: Vec<LogEntry>,
    #[serde(rename = "hasMore", default)]
    has_more: bool,
    token: Option<String>,
}

/// How far back [`Nessie::find_commit`] looks before it gives up.
const HISTORY_LIMIT: usize = 20_000;

/// Nessie's API v2 at `base` (`http://host:port/api/v2`).
#[derive(Debug, Clone)]
pub struct Nessie {
    base: String,
    /// The branch the Iceberg catalog publishes to.
    pub default_branch: String,
    /// The Iceberg warehouse name (the part after `|` in a prefix).
    pub warehouse: Option<String>,
    client: reqwest::Client,
    /// The catalog's credentials, which Nessie's API takes too.
    auth: Option<Arc<dyn Bearer>>,
}

/// Where the bearer token of a Nessie API request comes from: the catalog's token source.
#[async_trait]
pub trait Bearer: Send + Sync + std::fmt::Debug {
    /// The token for the next request, if the catalog needs one.
    async fn bearer(&self) -> Result<Option<String>>;
}

impl Nessie {
    /// The Nessie behind a `/v1/config` answer (its merged defaults and overrides), or `None`
    /// when the catalog is not Nessie.
    pub fn from_config(
        config: &HashMap<String, String>,
        warehouse: Option<&str>,
        client: reqwest::Client,
        auth: Option<Arc<dyn Bearer>>,
    ) -> Option<Self> {
        if config.get("nessie.is-nessie-catalog").map(String::as_str) != Some("true") {
            return None;
        }
        let core = config.get("nessie.core-base-uri")?;
        Some(Self {
            base: format!("{}/v2", core.trim_end_matches('/')),
            default_branch: config
                .get("nessie.default-branch.name")
                .cloned()
                .unwrap_or_else(|| "main".into()),
            warehouse: warehouse.map(str::to_string),
            client,
            auth,
        })
    }

    /// The Iceberg REST prefix that reads or writes at `reference` (a branch, `branch@hash`
    /// or `branch*timestamp`), as the catalog's client expects it (not URL-encoded).
    pub fn prefix(&self, reference: &str) -> String {
        match &self.warehouse {
            Some(w) => format!("{reference}|{w}"),
            None => reference.to_string(),
        }
    }

    fn unreachable(&self, what: &str, e: &reqwest::Error) -> Error {
        Error::CatalogUnreachable {
            uri: self.base.clone(),
            detail: format!("Nessie API, {what}: {}", super::http_cause(e)),
        }
    }

    async fn send(
        &self,
        what: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response> {
        let token = match &self.auth {
            Some(a) => a.bearer().await?,
            None => None,
        };
        let request = match token {
            Some(t) => request.bearer_auth(t),
            None => request,
        };
        let response = request
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .map_err(|e| self.unreachable(what, &e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body = super::error_answer(response).await.body;
        let detail = format!("Nessie API, {what}: HTTP {status}: {body}");
        Err(match status.as_u16() {
            409 => Error::Conflict(crate::error::Conflict {
                table: what.to_string(),
                detail,
            }),
            _ => Error::CatalogUnreachable {
                uri: self.base.clone(),
                detail,
            },
        })
    }

    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<T> {
        let response = self.send(what, request).await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.unreachable(what, &e))?;
        serde_json::from_slice(&bytes).map_err(|e| Error::CatalogUnreachable {
            uri: self.base.clone(),
            detail: format!("Nessie API, {what}: an answer that is not what Nessie sends ({e})"),
        })
    }

    /// The head commit of `branch`.
    pub async fn head(&self, branch: &str) -> Result<String> {
        let what = format!("reading branch {branch}");
        let r: SingleReference = self
            .json(
                &what,
                self.client.get(format!("{}/trees/{branch}", self.base)),
            )
            .await?;
        r.reference.hash.ok_or_else(|| Error::CatalogUnreachable {
            uri: self.base.clone(),
            detail: format!("Nessie API, {what}: the branch has no hash"),
        })
    }

    /// Creates branch `name` at commit `hash` of branch `from`.
    pub async fn create_branch(&self, name: &str, from: &str, hash: &str) -> Result<()> {
        let body = serde_json::json!({"type": "BRANCH", "name": from, "hash": hash});
        self.send(
            &format!("creating branch {name}"),
            self.client
                .post(format!("{}/trees", self.base))
                .query(&[("name", name), ("type", "BRANCH")])
                .json(&body),
        )
        .await?;
        Ok(())
    }

    /// Deletes branch `name`, which must still be at `hash`.
    pub async fn delete_branch(&self, name: &str, hash: &str) -> Result<()> {
        self.send(
            &format!("deleting branch {name}"),
            self.client
                .delete(format!("{}/trees/{name}@{hash}", self.base)),
        )
        .await?;
        Ok(())
    }

    /// Every branch whose name starts with `prefix`.
    pub async fn branches(&self, prefix: &str) -> Result<Vec<Branch>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut request = self.client.get(format!("{}/trees", self.base));
            if let Some(t) = &token {
                request = request.query(&[("page-token", t)]);
            }
            let page: References = self.json("listing branches", request).await?;
            out.extend(
                page.references
                    .into_iter()
                    .filter(|r| r.kind == "BRANCH" && r.name.starts_with(prefix))
                    .filter_map(|r| {
                        Some(Branch {
                            name: r.name,
                            hash: r.hash?,
                        })
                    }),
            );
            match (page.has_more, page.token) {
                (true, Some(t)) => token = Some(t),
                _ => return Ok(out),
            }
        }
    }

    /// The newest commits of `branch`, newest first, up to `max`.
    pub async fn history(&self, branch: &str, max: usize) -> Result<Vec<Commit>> {
        let mut out = Vec::new();
        self.walk(branch, max, |c| {
            out.push(c);
            false
        })
        .await?;
        Ok(out)
    }

    /// The newest commit of `branch` whose message contains `needle` (a run id).
    pub async fn find_commit(&self, branch: &str, needle: &str) -> Result<Option<Commit>> {
        let mut found = None;
        self.walk(branch, HISTORY_LIMIT, |c| {
            if c.message.contains(needle) {
                found = Some(c);
                return true;
            }
            false
        })
        .await?;
        Ok(found)
    }

    /// Walks `branch`'s log newest first until `stop` says so or `max` commits were seen.
    async fn walk(
        &self,
        branch: &str,
        max: usize,
        mut stop: impl FnMut(Commit) -> bool,
    ) -> Result<()> {
        let what = format!("reading the history of {branch}");
        let mut token: Option<String> = None;
        let mut seen = 0;
        loop {
            let mut request = self
                .client
                .get(format!("{}/trees/{branch}/history", self.base))
                .query(&[("max-records", "200")]);
            if let Some(t) = &token {
                request = request.query(&[("page-token", t)]);
            }
            let page: Log = self.json(&what, request).await?;
            for entry in page.entries {
                let meta = entry.commit_meta;
                let Some(hash) = meta.hash else { continue };
                seen += 1;
                let commit = Commit {
                    hash,
                    message: meta.message,
                    time: meta.commit_time,
                };
                if stop(commit) || seen >= max {
                    return Ok(());
                }
            }
            match (page.has_more, page.token) {
                (true, Some(t)) => token = Some(t),
                _ => return Ok(()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_branch_carries_its_run_and_its_time() {
        let id = "20261204T010203.000004Z-ab12";
        let branch = audit_branch(id);
        assert_eq!(branch, "gamelake-run-20261204T010203.000004Z-ab12");
        let t = audit_branch_time(&branch).expect("time");
        assert_eq!(t.to_string(), "2026-12-04 01:02:03.000004");
        assert_eq!(audit_branch_time("main"), None);
        assert_eq!(audit_branch_time("gamelake-run-nonsense"), None);
    }

    #[test]
    fn only_a_catalog_that_says_it_is_nessie_is_taken_for_one() {
        let client = reqwest::Client::new();
        let mut config = HashMap::from([(
            "nessie.core-base-uri".to_string(),
            "http://127.0.0.1:1/api/".to_string(),
        )]);
        assert!(Nessie::from_config(&config, Some("w"), client.clone(), None).is_none());
        config.insert("nessie.is-nessie-catalog".into(), "true".into());
        let n = Nessie::from_config(&config, Some("w"), client, None).expect("nessie");
        assert_eq!(n.base, "http://127.0.0.1:1/api/v2");
        assert_eq!(n.default_branch, "main");
        assert_eq!(n.prefix("main@abc"), "main@abc|w");
    }
}
