//! Ingest over HTTP with the real client against a replay of the recorded pages on 127.0.0.1.

use std::time::Duration;

use gamelake::etl::EtlOptions;
use gamelake::ingest::http::HttpOptions;
use gamelake::ingest::{self, IngestOptions};
use gamelake::secret::Secret;
use gamelake::storage::Warehouse;

use crate::support::server::{Fault, ReplayServer};
use crate::support::{self};

fn quick_retries() -> HttpOptions {
    HttpOptions {
        max_attempts: 4,
        base_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_secs(2),
        timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(2),
        ..HttpOptions::default()
    }
}

/// Ingests from `server` into a new warehouse under `dir`.
async fn ingest_from(
    server: &ReplayServer,
    key: Option<&str>,
    dir: &std::path::Path,
) -> (Warehouse, gamelake::Result<ingest::IngestReport>) {
    let wh = Warehouse::open(dir.join("wh").to_str().expect("utf8")).expect("wh");
    let outcome = support::ingest(&wh, &options(&server.base, key)).await;
    (wh, outcome)
}

fn options(base: &str, key: Option<&str>) -> IngestOptions {
    let mut o = IngestOptions::new(base);
    o.api_key = key.map(Secret::new);
    o.http = quick_retries();
    // A replay has no details.
    o.details = false;
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_are_retried_and_the_result_equals_the_archive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = support::first_pages(&support::pages_2015(), 30, &dir.path().join("pages"));
    let key = "test-key-5ecret";
    let server = ReplayServer::start(pages.clone(), Some(key)).await;
    server.inject(2, Fault::Status(429, Some(0)));
    server.inject(3, Fault::Status(500, None));
    server.inject(3, Fault::Status(503, None));
    server.inject(5, Fault::Stall(Duration::from_secs(4)));

    let (wh, lake) = support::open(&dir.path().join("wh")).await;
    let report = support::ingest(&wh, &options(&server.base, Some(key)))
        .await
        .expect("ingest with faults");
    // Page 30's `next` points at page 31, which answers 404: the end of the data.
    assert_eq!((report.pages, report.games_kept), (30, 1200));

    let requests = server.requests();
    let page_hits = |n: usize| {
        requests
            .iter()
            .filter(|r| {
                let p = url::Url::parse(&format!("http://x{r}")).expect("url");
                let page = p
                    .query_pairs()
                    .find(|(k, _)| k == "page")
                    .map(|(_, v)| v.parse::<usize>().expect("page"))
                    .unwrap_or(1);
                page == n
            })
            .count()
    };
    assert_eq!(page_hits(2), 2, "429 not retried once");
    assert_eq!(page_hits(3), 3, "two 5xx not retried");
    assert_eq!(page_hits(5), 2, "stall not retried after the timeout");
    // One count probe (page_size=1) plans the sync; every page asks for RAWG's maximum.
    let is_probe = |r: &String| r.split(['?', '&']).any(|p| p == "page_size=1");
    assert_eq!(
        requests.iter().filter(|r| is_probe(r)).count(),
        1,
        "{requests:?}"
    );
    assert!(
        requests
            .iter()
            .all(|r| r.contains("page_size=40") || is_probe(r))
    );

    // The same data as the archive folder ingested directly: every table, row by row.
    let (wh2, lake2) = support::open(&dir.path().join("wh2")).await;
    let direct = support::ingest_etl(&wh2, &lake2, &[&pages]).await;
    support::etl(&wh, &lake, &EtlOptions::default())
        .await
        .expect("etl");
    assert_eq!(direct.games, report.games_kept);
    assert_eq!(
        support::contents_by_natural_key(&lake).await,
        support::contents_by_natural_key(&lake2).await,
        "the API ingest and the archive ingest differ"
    );
}

#[tokio::test]
async fn a_missing_key_is_a_clear_error_that_never_shows_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = support::first_pages(&support::pages_2015(), 2, &dir.path().join("pages"));
    let server = ReplayServer::start(pages, Some("the-right-key")).await;
    let (_wh, outcome) = ingest_from(&server, Some("wrong-key-value"), dir.path()).await;
    let err = outcome.expect_err("401");
    let msg = err.to_string();
    assert!(msg.contains("RAWG_API_KEY"), "{msg}");
    assert!(!msg.contains("wrong-key-value"), "key leaked: {msg}");
}

#[tokio::test]
async fn retries_run_out_with_a_clear_error_and_nothing_lands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = support::first_pages(&support::pages_2015(), 2, &dir.path().join("pages"));
    let server = ReplayServer::start(pages, None).await;
    for _ in 0..10 {
        server.inject(1, Fault::Status(500, None));
    }
    let (wh, outcome) = ingest_from(&server, None, dir.path()).await;
    let err = outcome.expect_err("500s");
    let msg = err.to_string();
    assert!(
        msg.contains("HTTP 500") && msg.contains("4 attempts"),
        "{msg}"
    );
    assert!(wh.list("raw").await.expect("list").is_empty());
}

#[tokio::test]
async fn max_pages_stops_early() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = support::first_pages(&support::pages_2015(), 5, &dir.path().join("pages"));
    let server = ReplayServer::start(pages, None).await;
    let wh = Warehouse::open(dir.path().join("wh").to_str().expect("utf8")).expect("wh");
    let mut opts = options(&server.base, None);
    opts.max_pages = Some(2);
    let report = support::ingest(&wh, &opts).await.expect("ingest");
    assert_eq!((report.pages, report.games_kept), (2, 80));
    assert_eq!(
        server.requests().len(),
        1 + 2,
        "a count probe and two pages"
    );
}

/// A folder of two recorded pages whose page 2 `next` link is replaced by `next`.
fn two_pages_with_next(dir: &std::path::Path, next: &str) -> std::path::PathBuf {
    let pages = support::first_pages(&support::pages_2015(), 2, dir);
    let path = pages.join("page-0002.json");
    let mut page: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    page["next"] = next.into();
    std::fs::write(&path, page.to_string()).expect("write");
    pages
}

#[tokio::test]
async fn an_endless_next_loop_is_stopped_and_what_came_before_lands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = two_pages_with_next(
        &dir.path().join("pages"),
        "https://api.rawg.io/api/games?page=1",
    );
    let server = ReplayServer::start(pages, None).await;
    let (wh, outcome) = ingest_from(&server, None, dir.path()).await;
    let err = outcome.expect_err("loop");
    assert!(err.to_string().contains("loop back"), "{err}");
    assert!(
        server.requests().len() < 10,
        "the loop ran on: {:?}",
        server.requests()
    );
    let landed = gamelake::ingest::cdc::CdcState::load(&wh)
        .await
        .expect("state");
    assert_eq!(landed.len(), 80, "the pages before the loop were lost");
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused_without_sending_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A port on this machine nothing listens on: were the link followed, nothing leaves it.
    let foreign = "http://127.0.0.2:9/api/games?page=3";
    let pages = two_pages_with_next(&dir.path().join("pages"), foreign);
    let server = ReplayServer::start(pages, Some("k-123")).await;
    let wh = Warehouse::open(dir.path().join("wh").to_str().expect("utf8")).expect("wh");
    let mut opts = options(&server.base, Some("k-123"));
    // One request at a time, so that the count below shows nothing was asked after the link
    // (requests sent ahead only ever go to the configured host: they follow a checked link).
    opts.http.concurrency = 1;
    let outcome = support::ingest(&wh, &opts).await;
    let err = outcome.expect_err("foreign host");
    let msg = err.to_string();
    assert!(
        msg.contains("refusing to follow") && msg.contains("127.0.0.2:9"),
        "{msg}"
    );
    assert!(!msg.contains("k-123"), "{msg}");
    assert_eq!(
        server.requests().len(),
        1 + 2,
        "requests after the foreign link (a count probe, then two pages)"
    );
}

#[tokio::test]
async fn a_429_storm_ends_in_a_clear_error_after_the_retries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = support::first_pages(&support::pages_2015(), 2, &dir.path().join("pages"));
    let server = ReplayServer::start(pages, None).await;
    for _ in 0..20 {
        server.inject(2, Fault::Status(429, Some(0)));
    }
    let (wh, outcome) = ingest_from(&server, None, dir.path()).await;
    let err = outcome.expect_err("429s");
    assert!(
        err.to_string().contains("HTTP 429 after 4 attempts"),
        "{err}"
    );
    let landed = gamelake::ingest::cdc::CdcState::load(&wh)
        .await
        .expect("state");
    assert_eq!(landed.len(), 40, "page 1 was lost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_asked_ahead_are_taken_only_where_the_next_links_lead() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = support::first_pages(&support::pages_2015(), 6, &dir.path().join("pages"));
    // Page 2 links to page 4: page 3, which the fetcher asks for ahead, must not be taken.
    let path = pages.join("page-0002.json");
    let mut page: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    page["next"] = "https://api.rawg.io/api/games?page=4&page_size=40".into();
    std::fs::write(&path, page.to_string()).expect("write");
    let skipped: Vec<i64> = serde_json::from_slice::<serde_json::Value>(
        &std::fs::read(pages.join("page-0003.json")).expect("read"),
    )
    .expect("json")["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|g| g["id"].as_i64())
        .collect();

    let server = ReplayServer::start(pages, None).await;
    // Page 2 is answered only once page 3 was asked ahead: otherwise whether the client got
    // to ask before page 2's link cancelled it is a race (it lost one in CI).
    server.inject(2, Fault::HoldUntilAsked(3));
    let (wh, outcome) = ingest_from(&server, None, dir.path()).await;
    let report = outcome.expect("ingest");
    assert_eq!((report.pages, report.games_kept), (5, 200));
    assert!(
        server.requests().iter().any(|r| r.contains("page=3")),
        "page 3 was never asked ahead, so this test shows nothing: {:?}",
        server.requests()
    );
    let state = gamelake::ingest::cdc::CdcState::load(&wh)
        .await
        .expect("state");
    assert_eq!(state.len(), 200);
    assert!(
        skipped.iter().all(|&id| !has(&state, id)),
        "games of page 3 landed"
    );
}

/// Whether the state holds any version of `id`.
fn has(state: &gamelake::ingest::cdc::CdcState, id: i64) -> bool {
    let epoch = chrono::DateTime::UNIX_EPOCH.naive_utc();
    !state.is_newer(id, epoch - chrono::Duration::days(365 * 100))
}
