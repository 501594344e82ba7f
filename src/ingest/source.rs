//! Where list pages come from: a folder of archived pages (`page-*.json`, RAWG's envelope, as
//! the older Python pipeline left them), or the RAWG API followed through its `next` links.
//!
//! A source only produces page bytes in order; parsing happens elsewhere (on rayon), so the
//! next page downloads while earlier ones parse. The channel between them holds a few pages,
//! which bounds memory.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use serde::Deserialize;
use tokio::sync::mpsc;

use super::http::{Fetched, HttpError, RawgClient, redact};
use crate::{Error, Result};

/// One page's bytes and the name errors use for it.
#[derive(Debug)]
pub struct RawPage {
    pub number: usize,
    pub label: String,
    pub bytes: Bytes,
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
    pages.sort();
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
                number: i + 1,
                label: path.display().to_string(),
                bytes: Bytes::from(b),
            })
            .map_err(|e| Error::io(&path, e));
        let failed = page.is_err();
        if tx.send(page).await.is_err() || failed {
            return;
        }
    }
}

#[derive(Deserialize)]
struct NextOnly {
    next: Option<String>,
}

/// A page's `next` link, found without parsing its games: the fetcher needs it before the
/// page is parsed (on another thread), and a full scan of every page on the fetching task
/// would hold up the downloads. RAWG sends `count`, `next`, `previous`, then `results`; the
/// envelope's keys are read in order until `next`, and only a page with `results` first (or
/// anything unexpected) is scanned whole. A malformed page gives `None` here and is
/// reported by the real parser.
fn next_link(bytes: &[u8]) -> Option<String> {
    next_link_before_results(bytes).unwrap_or_else(|| {
        serde_json::from_slice::<NextOnly>(bytes)
            .ok()
            .and_then(|n| n.next)
    })
}

/// `Some(next)` when the envelope's `next` comes before `results`; `None` otherwise.
fn next_link_before_results(bytes: &[u8]) -> Option<Option<String>> {
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
    punct(bytes, &mut pos, b'{')?;
    loop {
        let key: String = value(bytes, &mut pos)?;
        punct(bytes, &mut pos, b':')?;
        match key.as_str() {
            "next" => return value(bytes, &mut pos),
            "results" => return None,
            _ => {
                value::<serde::de::IgnoredAny>(bytes, &mut pos)?;
                punct(bytes, &mut pos, b',')?;
            }
        }
    }
}

/// Fetches pages from `first`, following `next` links, until the last page, a 404 past the
/// end, `max_pages`, or an error (sent last).
pub async fn send_http(
    client: RawgClient,
    first: url::Url,
    max_pages: Option<usize>,
    tx: mpsc::Sender<Result<RawPage>>,
) {
    let mut url = first;
    let mut seen = HashSet::new();
    let limit = max_pages.unwrap_or(usize::MAX);
    for number in 1..=limit {
        if !seen.insert(url.to_string()) {
            let _ = tx
                .send(Err(Error::Http(HttpError::BadUrl {
                    url: redact(url.as_str()),
                    reason: "the `next` links loop back to a page already fetched".into(),
                })))
                .await;
            return;
        }
        let bytes = match client.fetch(&url).await {
            Ok(Fetched::Body(b)) => b,
            Ok(Fetched::NotFound) if number > 1 => return,
            Ok(Fetched::NotFound) => {
                let _ = tx
                    .send(Err(Error::Http(HttpError::Status {
                        url: redact(url.as_str()),
                        status: 404,
                        attempts: 1,
                        body: "the first page does not exist; check --source".into(),
                    })))
                    .await;
                return;
            }
            Err(e) => {
                let _ = tx.send(Err(e.into())).await;
                return;
            }
        };
        let next = next_link(&bytes);
        let label = format!("{} (page {number})", redact(url.as_str()));
        if tx
            .send(Ok(RawPage {
                number,
                label,
                bytes,
            }))
            .await
            .is_err()
        {
            return;
        }
        match next {
            None => return,
            Some(next) => match client.follow(&next) {
                Ok(u) => url = u,
                Err(e) => {
                    let _ = tx.send(Err(e.into())).await;
                    return;
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_parse(bytes: &[u8]) -> Option<String> {
        serde_json::from_slice::<NextOnly>(bytes)
            .ok()
            .and_then(|n| n.next)
    }

    #[test]
    fn the_next_link_is_the_one_a_full_parse_finds() {
        let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/rawg");
        for file in [
            "games-released-2015/page-0001.json",
            "verbatim/games-page-dates-platforms.json",
            "verbatim/games-search-doom.json",
        ] {
            let bytes = std::fs::read(format!("{shared}/{file}")).expect("recorded page");
            assert_eq!(next_link(&bytes), full_parse(&bytes), "{file}");
            assert!(
                next_link_before_results(&bytes).is_some(),
                "{file}: scanned whole"
            );
        }
        for body in [
            r#"{"count": 2, "next": "http://x/?page=2", "results": []}"#,
            r#" { "count" : 2 , "previous":null, "next" : null , "results": [] }"#,
            r#"{"results": [{"id": 1}], "next": "http://x/?page=3"}"#,
            r#"{"count": {"nested": [1, "next"]}, "next": "http://x/?page=4"}"#,
            r#"{"next": 12}"#,
            r#"<html>oops</html>"#,
            r#"{"count": 1"#,
            "",
        ] {
            assert_eq!(
                next_link(body.as_bytes()),
                full_parse(body.as_bytes()),
                "{body}"
            );
        }
    }
}
