//! Where list pages come from: a folder of archived pages (`page-*.json`, RAWG's envelope, as
//! the older Python pipeline left them), or the RAWG API followed through its `next` links.
//!
//! A source only produces page bytes in order; parsing happens elsewhere (on rayon), so the
//! next page downloads while earlier ones parse. The channel between them holds a few pages,
//! which bounds memory.

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::http::{Fetched, HttpError, RawgClient, redact, with_param};
use crate::{Error, Result};

/// One page's bytes, the name errors use for it, and its page number in its query.
#[derive(Debug)]
pub struct RawPage {
    pub label: String,
    pub bytes: Bytes,
    pub page: usize,
}

/// What a crawl of one query saw, for the plan: the largest `count` RAWG gave and the last
/// page it reached.
#[derive(Debug, Clone, Copy, Default)]
pub struct Crawl {
    pub max_count: Option<i64>,
    pub last_page: usize,
}

/// The sorted `page-*.json` files of an archive folder.
pub fn archived_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut pages = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| Error::io(dir, e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("page-") && name.ends_with(".json") {
            pages.push(path);
        }
    }
    // By name: all are in one folder, and comparing whole paths component by component cost
    // more than reading the first pages of a 25,000-page archive.
    pages.sort_by_cached_key(|p| p.file_name().map(ToOwned::to_owned));
    if pages.is_empty() {
        return Err(Error::Config(format!(
            "{}: no page-*.json files; --source must be a folder of RAWG list pages or an http(s) URL",
            dir.display()
        )));
    }
    Ok(pages)
}

/// Sends the archived pages, in order, until `max_pages`.
pub async fn send_archived(
    pages: Vec<PathBuf>,
    max_pages: Option<usize>,
    tx: mpsc::Sender<Result<RawPage>>,
) {
    for (i, path) in pages
        .into_iter()
        .take(max_pages.unwrap_or(usize::MAX))
        .enumerate()
    {
        let page = tokio::fs::read(&path)
            .await
            .map(|b| RawPage {
                label: path.display().to_string(),
                bytes: Bytes::from(b),
                page: i + 1,
            })
            .map_err(|e| Error::io(&path, e));
        let failed = page.is_err();
        if tx.send(page).await.is_err() || failed {
            return;
        }
    }
}

/// What the fetcher reads of a page: RAWG's total for the query and the `next` link.
#[derive(Debug, Default, Deserialize, PartialEq)]
struct Head {
    count: Option<i64>,
    next: Option<String>,
}

/// A page's `count` and `next` link, found without parsing its games: the fetcher needs them
/// before the page is parsed (on another thread), and a full scan of every page on the
/// fetching task would hold up the downloads. RAWG sends `count`, `next`, `previous`, then
/// `results`; the envelope's keys are read in order until `next`, and only a page with
/// `results` first (or anything unexpected) is scanned whole. A malformed page gives nothing
/// here and is reported by the real parser.
fn head(bytes: &[u8]) -> Head {
    head_before_results(bytes)
        .unwrap_or_else(|| serde_json::from_slice::<Head>(bytes).unwrap_or_default())
}

/// `Some(head)` when the envelope's `next` comes before `results` (`count` is read if it
/// comes before `results` too); `None` otherwise.
fn head_before_results(bytes: &[u8]) -> Option<Head> {
    fn value<T: serde::de::DeserializeOwned>(bytes: &[u8], pos: &mut usize) -> Option<T> {
        let mut values = serde_json::Deserializer::from_slice(bytes.get(*pos..)?).into_iter();
        let value = values.next()?.ok()?;
        *pos += values.byte_offset();
        Some(value)
    }
    fn punct(bytes: &[u8], pos: &mut usize, expected: u8) -> Option<()> {
        while bytes.get(*pos)?.is_ascii_whitespace() {
            *pos += 1;
        }
        (bytes.get(*pos) == Some(&expected)).then(|| *pos += 1)
    }
    let mut pos = 0;
    let mut head = Head::default();
    let mut next_seen = false;
    punct(bytes, &mut pos, b'{')?;
    loop {
        let key: String = value(bytes, &mut pos)?;
        punct(bytes, &mut pos, b':')?;
        match key.as_str() {
            "results" => return next_seen.then_some(head),
            "next" => {
                head.next = value(bytes, &mut pos)?;
                next_seen = true;
            }
            "count" => head.count = value(bytes, &mut pos)?,
            _ => {
                value::<serde::de::IgnoredAny>(bytes, &mut pos)?;
            }
        }
        if punct(bytes, &mut pos, b',').is_none() {
            punct(bytes, &mut pos, b'}')?;
            return Some(head);
        }
    }
}

/// The page RAWG would send after `url`'s: the same query with `page` one higher, or `None`
/// when `count` says there is none (or either is unknown).
fn predicted_successor(url: &url::Url, count: Option<i64>) -> Option<url::Url> {
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.parse::<i64>().ok())
    };
    let page = param("page").unwrap_or(1);
    let page_size = param("page_size")?;
    if page * page_size >= count? {
        return None;
    }
    Some(with_param(url, "page", &(page + 1).to_string()))
}

/// Whether two URLs ask for the same thing, whatever the order of their query parameters.
fn same_request(a: &url::Url, b: &url::Url) -> bool {
    let sorted = |u: &url::Url| {
        let mut q: Vec<(String, String)> = u.query_pairs().into_owned().collect();
        q.sort();
        q
    };
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
        && a.path() == b.path()
        && sorted(a) == sorted(b)
}

/// Requests sent ahead of the `next` links; whatever is still in flight is aborted when this
/// is dropped (the run ended, failed, or the links went elsewhere than predicted).
#[derive(Default)]
struct Ahead(
    VecDeque<(
        url::Url,
        tokio::task::JoinHandle<Result<Fetched, HttpError>>,
    )>,
);

impl Ahead {
    fn clear(&mut self) {
        for (_, task) in self.0.drain(..) {
            task.abort();
        }
    }

    /// The request for `url`, if it is the first one sent ahead.
    fn take(
        &mut self,
        url: &url::Url,
    ) -> Option<tokio::task::JoinHandle<Result<Fetched, HttpError>>> {
        match self.0.front() {
            Some((u, _)) if same_request(u, url) => self.0.pop_front().map(|(_, t)| t),
            _ => {
                self.clear();
                None
            }
        }
    }
}

impl Drop for Ahead {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Fetches pages from `first`, following `next` links, until the last page, a 404 past the
/// end, `max_pages`, or an error (sent last). Returns what it saw of the query.
///
/// When a page's `count` is lower than the previous page's, games left the query between
/// the two (they changed and moved out of an `updated` window): the games after them moved
/// up, and as many as left slid from this page onto the end of the previous one. That page
/// is read again (once), so none is skipped.
///
/// With `concurrency > 1`, the pages the links will most likely name next (the same query,
/// `page` + 1, + 2, ..., never past RAWG's `count`) are requested ahead, so a page downloads
/// while earlier ones are still on their way. The links stay the authority: a page is taken
/// only when the previous page's `next` names it, and a link that differs from the
/// prediction drops what was sent ahead and follows the link.
pub async fn send_http(
    client: RawgClient,
    first: url::Url,
    max_pages: Option<usize>,
    concurrency: usize,
    tx: mpsc::Sender<Result<RawPage>>,
) -> Crawl {
    let mut crawler = Crawler {
        client,
        tx,
        seen: HashSet::new(),
        ahead: Ahead::default(),
        crawl: Crawl::default(),
        previous: None,
        limit: max_pages.unwrap_or(usize::MAX),
        concurrency: concurrency.max(1),
    };
    let mut url = first;
    for number in 1..=crawler.limit {
        match crawler.step(&url, number).await {
            Ok(Some(next)) => url = next,
            Ok(None) | Err(Halt::Closed) => break,
            Err(Halt::Failed(e)) => {
                // The receiver learns of it as the crawl's last item.
                let _ = crawler.tx.send(Err(e)).await;
                break;
            }
        }
    }
    crawler.crawl
}

/// Why a crawl stops before the query's last page.
enum Halt {
    /// A fault retries did not fix, or a link that cannot be followed.
    Failed(Error),
    /// The receiver is gone: nobody wants more pages.
    Closed,
}

impl From<HttpError> for Halt {
    fn from(e: HttpError) -> Self {
        Halt::Failed(e.into())
    }
}

/// One query's crawl in progress ([`send_http`]).
struct Crawler {
    client: RawgClient,
    tx: mpsc::Sender<Result<RawPage>>,
    /// Pages already fetched: a `next` link back to one is a loop.
    seen: HashSet<String>,
    ahead: Ahead,
    crawl: Crawl,
    /// The page before, and the `count` it gave.
    previous: Option<(url::Url, i64)>,
    limit: usize,
    concurrency: usize,
}

impl Crawler {
    /// Fetches page `number` at `url` and hands it over; the next page's URL, `None` at
    /// the end of the query.
    async fn step(&mut self, url: &url::Url, number: usize) -> Result<Option<url::Url>, Halt> {
        if !self.seen.insert(url.to_string()) {
            return Err(Halt::Failed(Error::Http(HttpError::BadUrl {
                url: redact(url.as_str()),
                reason: "the `next` links loop back to a page already fetched".into(),
            })));
        }
        let page_number = page_of(url);
        let Some(bytes) = self.fetch(url, number, page_number).await? else {
            return Ok(None);
        };
        let head = head(&bytes);
        self.crawl.max_count = self.crawl.max_count.max(head.count);
        let next = match head.next.as_deref() {
            None => None,
            Some(link) => Some(self.client.follow(link)?),
        };
        if let Some(next) = next.as_ref().filter(|n| !self.seen.contains(n.as_str())) {
            self.send_ahead(next, number, head.count);
        }
        let label = format!("{} (page {number})", redact(url.as_str()));
        self.hand_over(RawPage {
            label,
            bytes,
            page: page_number,
        })
        .await?;
        self.crawl.last_page = page_number;
        crate::failpoint::hit("ingest.crawl.page");
        if let Some(count) = head.count {
            self.reread_if_shrunk(page_number, count).await?;
            self.previous = Some((url.clone(), count));
        }
        Ok(next)
    }

    /// The page's body, from what was sent ahead or a new request; `None` past the end.
    async fn fetch(
        &mut self,
        url: &url::Url,
        number: usize,
        page_number: usize,
    ) -> Result<Option<Bytes>, Halt> {
        let fetched = match self.ahead.take(url) {
            Some(task) => task.await.unwrap_or_else(|e| {
                Err(HttpError::Transport {
                    url: redact(url.as_str()),
                    reason: format!("request task failed: {e}"),
                    attempts: 1,
                })
            }),
            None => self.client.fetch(url).await,
        };
        match fetched? {
            Fetched::Body(bytes) => Ok(Some(bytes)),
            // Past the end, or a resumed query that has shrunk below its page.
            Fetched::NotFound if number > 1 || page_number > 1 => Ok(None),
            Fetched::NotFound => Err(HttpError::Status {
                url: redact(url.as_str()),
                status: 404,
                attempts: 1,
                body: "the first page does not exist; check --source".into(),
            }
            .into()),
        }
    }

    /// Requests `next` now (if it was not already), and the pages predicted after it, up to
    /// `concurrency` in flight and never past the page limit.
    fn send_ahead(&mut self, next: &url::Url, number: usize, count: Option<i64>) {
        if self
            .ahead
            .0
            .front()
            .is_some_and(|(u, _)| !same_request(u, next))
        {
            self.ahead.clear();
        }
        let ahead = &mut self.ahead.0;
        while ahead.len() < self.concurrency && number + ahead.len() < self.limit {
            let candidate = match ahead.back() {
                None => Some(next.clone()),
                Some((last, _)) => predicted_successor(last, count),
            };
            let Some(candidate) = candidate else { break };
            let client = self.client.clone();
            let u = candidate.clone();
            ahead.push_back((
                candidate,
                tokio::spawn(async move { client.fetch(&u).await }),
            ));
        }
    }

    /// When this page's `count` is lower than the previous page's, reads that page again.
    async fn reread_if_shrunk(&mut self, page_number: usize, count: i64) -> Result<(), Halt> {
        let Some((prev_url, prev_count)) = self.previous.clone() else {
            return Ok(());
        };
        if count >= prev_count {
            return Ok(());
        }
        tracing::info!(
            page = page_number - 1,
            before = prev_count,
            now = count,
            "games left the query while it was read; reading the previous page again"
        );
        match self.client.fetch(&prev_url).await? {
            Fetched::Body(bytes) => {
                let label = format!("{} (read again)", redact(prev_url.as_str()));
                let page = page_of(&prev_url);
                self.hand_over(RawPage { label, bytes, page }).await
            }
            Fetched::NotFound => Ok(()),
        }
    }

    async fn hand_over(&self, page: RawPage) -> Result<(), Halt> {
        self.tx.send(Ok(page)).await.map_err(|_| Halt::Closed)
    }
}

/// The `page` parameter of a list URL (1 when absent).
fn page_of(url: &url::Url) -> usize {
    url.query_pairs()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_parse(bytes: &[u8]) -> Head {
        serde_json::from_slice::<Head>(bytes).unwrap_or_default()
    }

    #[test]
    fn the_head_is_the_one_a_full_parse_finds() {
        let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/rawg");
        for file in [
            "games-released-2015/page-0001.json",
            "verbatim/games-page-dates-platforms.json",
            "verbatim/games-search-doom.json",
        ] {
            let bytes = std::fs::read(format!("{shared}/{file}")).expect("recorded page");
            assert_eq!(head(&bytes), full_parse(&bytes), "{file}");
            assert!(head(&bytes).count.is_some(), "{file}");
            assert!(
                head_before_results(&bytes).is_some(),
                "{file}: scanned whole"
            );
        }
        for body in [
            r#"{"count": 2, "next": "http://x/?page=2", "results": []}"#,
            r#" { "count" : 2 , "previous":null, "next" : null , "results": [] }"#,
            r#"{"results": [{"id": 1}], "next": "http://x/?page=3"}"#,
            r#"{"count": {"nested": [1, "next"]}, "next": "http://x/?page=4"}"#,
            r#"{"next": "http://x/?page=5", "count": 7}"#,
            r#"{"next": 12}"#,
            r#"<html>oops</html>"#,
            r#"{"count": 1"#,
            "",
        ] {
            assert_eq!(head(body.as_bytes()), full_parse(body.as_bytes()), "{body}");
        }
    }

    #[test]
    fn successors_are_predicted_within_the_count_only() {
        let url = |s: &str| url::Url::parse(s).expect("url");
        let first = url("http://h/api/games?page_size=40&dates=2015-01-01%2C2015-12-31");
        let second = predicted_successor(&first, Some(81)).expect("page 2");
        assert!(same_request(
            &second,
            &url("http://h/api/games?dates=2015-01-01,2015-12-31&page=2&page_size=40")
        ));
        let third = predicted_successor(&second, Some(81)).expect("page 3 holds game 81");
        assert_eq!(predicted_successor(&third, Some(81)), None);
        assert_eq!(predicted_successor(&second, Some(80)), None);
        assert_eq!(predicted_successor(&first, None), None, "no count");
        assert_eq!(
            predicted_successor(&url("http://h/api/games?page=2"), Some(1000)),
            None,
            "no page size"
        );
        assert!(!same_request(&first, &second));
    }
}
