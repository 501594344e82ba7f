//! Backfills against a RAWG stand-in that, like RAWG, serves at most 250 pages per query:
//! the range is split into windows that fit, and a failed backfill resumes where it stopped.

use std::time::Duration;

use gamelake::ingest::IngestOptions;
use gamelake::ingest::cdc::CdcState;
use gamelake::ingest::http::HttpOptions;
use gamelake::storage::Warehouse;

use crate::support::server::ReplayServer;
use crate::support::{self};

fn all_recorded_games() -> Vec<serde_json::Value> {
    let mut games = Vec::new();
    for dir in [support::pages_2015(), support::pages_2016()] {
        for i in 1..=250 {
            let page: serde_json::Value = serde_json::from_slice(
                &std::fs::read(dir.join(format!("page-{i:04}.json"))).expect("page"),
            )
            .expect("json");
            games.extend(page["results"].as_array().expect("results").iter().cloned());
        }
    }
    games
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_splits_under_the_page_limit_and_resumes_after_a_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = ReplayServer::start_api(all_recorded_games()).await;
    let wh = Warehouse::open(dir.path().to_str().expect("utf8")).expect("wh");
    let mut opts = IngestOptions::new(&server.base);
    opts.dates = Some("2015-01-01,2016-12-31".parse().expect("range"));
    opts.details = false;
    opts.http = HttpOptions {
        max_attempts: 2,
        base_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(2),
        ..HttpOptions::default()
    };

    // 20,000 games match: one query would stop at 250 pages (10,000 games). The server gives
    // 3 count answers (planning), the 250 pages of the first window, 50 of the second, then
    // fails. Pages are requested a few at once, so which 50 of the second window's pages got
    // answers depends on arrival order: the run keeps the answered pages before the first
    // failed one, at least 50 less those in flight beside it.
    server.fail_after(Some(3 + 250 + 50));
    let err = support::ingest(&wh, &opts)
        .await
        .expect_err("the server failed part way");
    assert!(err.to_string().contains("HTTP 500"), "{err}");
    let landed = CdcState::load(&wh).await.expect("state").len();
    let in_flight = opts.http.concurrency - 1;
    assert!(
        landed % 40 == 0 && (10_000 + (50 - in_flight) * 40..=10_000 + 50 * 40).contains(&landed),
        "what was fetched before the failure was lost: {landed} landed"
    );
    assert_eq!(wh.list("state/backfill").await.expect("list").len(), 1);

    server.fail_after(None);
    let before = server.requests().len();
    let resumed = support::ingest(&wh, &opts).await.expect("resumed backfill");
    assert_eq!(resumed.pages, 250, "the finished window was fetched again");
    assert_eq!(
        (resumed.games_kept, resumed.games_unchanged),
        (20_000 - landed, landed - 10_000)
    );
    assert_eq!(CdcState::load(&wh).await.expect("state").len(), 20_000);
    assert!(
        wh.list("state/backfill").await.expect("list").is_empty(),
        "a finished backfill left its state behind"
    );
    let resumed_requests = &server.requests()[before..];
    assert!(
        resumed_requests.iter().all(|r| r.contains("dates=2016")),
        "the resumed run asked for more than the unfinished window: {:?}",
        &resumed_requests[..3]
    );
    assert!(
        server.requests().iter().all(|r| !r.contains("page=251")),
        "a query went past RAWG's 250-page limit"
    );
}
