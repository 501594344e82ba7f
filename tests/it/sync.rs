//! Keeping a warehouse current from the API: a plain `run` against a RAWG stand-in as strict
//! as the live API (filters, ordering, the 250-page cap, details), with requests counted
//! on the server's side.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use gamelake::Gamelake;
use gamelake::etl::EtlOptions;
use gamelake::ingest::http::HttpOptions;
use gamelake::ingest::{IngestOptions, IngestReport, Limit};
use gamelake::progress::NoProgress;
use gamelake::storage::Warehouse;

use crate::support::server::{Fault, ReplayServer, catalogue};
use crate::support::{self, sql_i64, sql_strings};

fn options(base: &str) -> IngestOptions {
    let mut o = IngestOptions::new(base);
    o.http = HttpOptions {
        max_attempts: 4,
        base_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(100),
        timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(2),
        ..HttpOptions::default()
    };
    o.monthly_request_limit = 0;
    o
}

fn now() -> String {
    chrono::Utc::now()
        .naive_utc()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

/// Distinct developers per game as the stand-in gives them (from the recorded details).
fn expected_developer_links(games: &[serde_json::Value]) -> usize {
    let path = support::shared().join("verbatim/game-details-150.json");
    let details: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(path).expect("details")).expect("json");
    games
        .iter()
        .map(|g| {
            let donor = &details[g["id"].as_i64().expect("id").rem_euclid(150) as usize];
            donor["developers"]
                .as_array()
                .map(|d| {
                    d.iter()
                        .filter_map(|x| x["id"].as_i64())
                        .collect::<BTreeSet<_>>()
                        .len()
                })
                .unwrap_or(0)
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_run_backfills_then_asks_only_for_what_changed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    // All 20,000 recorded games: one day of them (2019-01-09) holds more than RAWG serves
    // for one query.
    let games = catalogue(20_000, 1_000, 1_000, 0);
    assert!(
        games.len() > 10_000,
        "the catalogue must exceed RAWG's 250-page cap"
    );
    let server = ReplayServer::start_api(games.clone()).await;
    let (wh, lake) = support::open(&root).await;
    let lakehouse = Gamelake::embedded(wh.clone(), "rawg");
    let opts = options(&server.base);
    // Two details fail on day 1 (404 once each): they are asked again on day 2.
    let gone = [
        games[10]["id"].as_i64().expect("id"),
        games[20]["id"].as_i64().expect("id"),
    ];
    for id in gone {
        server.inject_detail(id, Fault::Status(404, None));
    }

    // Day 1: an empty warehouse; the plain run holds the whole catalogue.
    let day1 = lakehouse
        .run(&opts, &EtlOptions::default(), &mut NoProgress)
        .await
        .expect("day 1");
    let (list1, details1) = server.counts();
    assert_eq!(day1.ingest.games_kept, games.len());
    assert_eq!(
        sql_i64(&lake, "SELECT count(*) FROM rawg.fact_games").await[0],
        games.len() as i64
    );
    assert_eq!(
        sql_i64(
            &lake,
            "SELECT count(*) FROM rawg.fact_games WHERE released_date_key = 0"
        )
        .await[0],
        1_000,
        "games without a release date were missed"
    );
    let overfull = games
        .iter()
        .filter(|g| {
            g["updated"]
                .as_str()
                .is_some_and(|u| u.starts_with("2019-01-09"))
        })
        .count();
    assert!(overfull > 10_000, "the recorded data changed: {overfull}");
    assert_eq!(
        sql_i64(
            &lake,
            "SELECT count(*) FROM rawg.fact_games WHERE updated_date_key = 20190109"
        )
        .await[0],
        overfull as i64,
        "a day with more games than one query serves was cut short"
    );
    assert_eq!(
        sql_i64(
            &lake,
            "SELECT count(*) FROM rawg.fact_games WHERE updated_date_key = 20190109"
        )
        .await[0],
        games
            .iter()
            .filter(|g| g["updated"]
                .as_str()
                .is_some_and(|u| u.starts_with("2019-01-09")))
            .count() as i64,
        "a day with more games than one query serves was cut short"
    );
    let ideal1 = games.len().div_ceil(40);
    assert!(
        list1 <= ideal1 + 2 * (day1.ingest.probes as usize) + 10,
        "{list1} list requests for {ideal1} pages and {} probes",
        day1.ingest.probes
    );
    assert_eq!(details1, games.len(), "one detail request per game");
    assert_eq!(day1.ingest.details.failed, 2);
    assert_eq!(
        sql_i64(&lake, "SELECT count(*) FROM rawg.dim_game").await[0],
        games.len() as i64 - 2
    );
    let status = lakehouse.status(0).await.expect("status");
    assert!(status.watermark.is_some(), "{status:?}");
    assert_eq!(
        (
            status
                .details_waiting
                .expect("an API warehouse awaits details"),
            status.details_failed.len()
        ),
        (2, 2)
    );
    let keys_day1 = support::keys(&lake).await;

    // Day 2: 300 games change, 100 are new.
    let stamp = now();
    let mut changed = games.clone();
    for g in changed.iter_mut().skip(500).step_by(30).take(300) {
        g["updated"] = stamp.clone().into();
        g["rating"] = 4.99.into();
    }
    for (i, g) in games.iter().take(100).enumerate() {
        let mut new = g.clone();
        new["id"] = (90_000_000 + i as i64).into();
        new["updated"] = stamp.clone().into();
        changed.push(new);
    }
    let changed_now = changed.clone();
    server.change(move |c| *c = changed_now);
    let watermark = status.watermark.expect("watermark").date();
    let overlap = games
        .iter()
        .filter(|g| {
            let day = &g["updated"].as_str().expect("updated")[..10];
            day >= (watermark - chrono::Duration::days(1)).to_string().as_str()
        })
        .count();
    let day2 = lakehouse
        .run(&opts, &EtlOptions::default(), &mut NoProgress)
        .await
        .expect("day 2");
    let (list2, details2) = server.counts();
    let (list2, details2) = (list2 - list1, details2 - details1);
    assert_eq!(day2.ingest.games_kept, 400);
    let ideal2 = 400usize.div_ceil(40);
    let with_overlap = (400 + overlap).div_ceil(40);
    assert!(
        list2 <= with_overlap + day2.ingest.probes as usize + 1,
        "{list2} list requests; ideal {ideal2}, {with_overlap} with the day of overlap"
    );
    assert_eq!(
        details2,
        400 + 2,
        "details of the changed games and the two retried"
    );
    assert_eq!(
        sql_i64(&lake, "SELECT count(*) FROM rawg.fact_games").await[0],
        changed.len() as i64
    );
    assert_eq!(
        sql_i64(
            &lake,
            "SELECT count(*) FROM rawg.fact_games WHERE rating = 4.99"
        )
        .await[0],
        300
    );
    assert_eq!(
        sql_i64(&lake, "SELECT count(*) FROM rawg.dim_game").await[0],
        changed.len() as i64
    );
    assert_eq!(
        sql_i64(&lake, "SELECT count(*) FROM rawg.bridge_game_developer").await[0],
        expected_developer_links(&changed) as i64
    );
    let orphans = sql_i64(
        &lake,
        "SELECT count(*) FROM rawg.bridge_game_publisher b \
         LEFT JOIN rawg.dim_publisher d USING (publisher_key) \
         LEFT JOIN rawg.fact_games f USING (game_key) \
         WHERE d.publisher_key IS NULL OR f.game_key IS NULL",
    )
    .await[0];
    assert_eq!(orphans, 0, "a publisher link without its dimension or game");
    let keys_day2: BTreeSet<String> = support::keys(&lake).await.into_iter().collect();
    let moved: Vec<&String> = keys_day1
        .iter()
        .filter(|k| !keys_day2.contains(*k))
        .collect();
    assert!(
        moved.is_empty(),
        "keys moved: {:?}",
        &moved[..moved.len().min(5)]
    );
    println!(
        "sync figures: day 1 {list1} list + {details1} detail requests ({} probes, ideal {ideal1} \
         pages); day 2 {list2} list + {details2} detail requests ({} probes, ideal {ideal2}, \
         {overlap} games in the day of overlap)",
        day1.ingest.probes, day2.ingest.probes
    );

    let all: Vec<_> = gamelake::schema::tables().iter().collect();
    crate::pyiceberg::reads_the_same(&root, &lake, &all).await;
}

/// Ingests from `server` with `max_requests`, checking the server saw exactly what the run
/// says it sent.
async fn budgeted(wh: &Warehouse, server: &ReplayServer, opts: &IngestOptions) -> IngestReport {
    let before = server.requests().len();
    let report = support::ingest(wh, opts)
        .await
        .expect("a budget stop is not an error");
    assert_eq!(
        report.requests as usize,
        server.requests().len() - before,
        "requests the run counted and the server saw differ"
    );
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_stops_a_run_cleanly_and_the_next_run_goes_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let games = catalogue(4_000, 200, 200, 0);
    let server = ReplayServer::start_api(games.clone()).await;
    let wh = Warehouse::open(dir.path().to_str().expect("utf8")).expect("wh");
    let mut opts = options(&server.base);
    opts.max_requests = Some(70);

    // A plan spends only its count requests and lands nothing.
    let mut plan = opts.clone();
    plan.plan_only = true;
    let planned = budgeted(&wh, &server, &plan).await;
    let estimate = planned.estimate.clone().expect("an estimate");
    assert_eq!(planned.requests, estimate.probes);
    assert_eq!(estimate.list_games, games.len() as i64);
    assert_eq!(estimate.list_pages, games.len().div_ceil(40) as u64);
    assert!(
        wh.list("raw").await.expect("list").is_empty(),
        "a plan landed games"
    );

    let mut runs = 0;
    let mut spent = planned.requests;
    loop {
        runs += 1;
        assert!(runs < 100, "the runs never finished");
        let report = budgeted(&wh, &server, &opts).await;
        assert!(
            report.requests <= 70,
            "{} requests over a budget of 70",
            report.requests
        );
        spent += report.requests;
        assert_eq!(report.quota.spent, spent, "the ledger lost requests");
        match report.stopped_by {
            // A stop in the list pages or in the details: either way the budget is spent
            // and something waits for the next run.
            Some(Limit::Run(70)) => {
                assert_eq!(report.requests, 70, "stopped with budget left");
                assert!(report.backlog.windows + report.backlog.details > 0);
            }
            None => break,
            other => panic!("stopped by {other:?}"),
        }
    }
    let held = gamelake::ingest::cdc::CdcState::load(&wh)
        .await
        .expect("state");
    assert_eq!(held.len(), games.len(), "games lost across budget stops");
    let detail_requests = server.counts().1;
    assert_eq!(detail_requests, games.len(), "a detail was asked twice");
    let list_requests = server.counts().0;
    // Each stop inside a window reads the page it stopped on again.
    assert!(
        list_requests <= games.len().div_ceil(40) + 2 * runs + 10,
        "{list_requests} list requests in {runs} runs"
    );

    // The monthly quota: what the ledger holds counts; a spent month sends nothing.
    server.change(|c| {
        for g in c.iter_mut().take(80) {
            g["updated"] = now().into();
        }
    });
    opts.max_requests = None;
    opts.monthly_request_limit = spent + 2;
    let report = budgeted(&wh, &server, &opts).await;
    assert_eq!(report.requests, 2);
    assert!(
        matches!(report.stopped_by, Some(Limit::Monthly(2))),
        "{:?}",
        report.stopped_by
    );
    let report = budgeted(&wh, &server, &opts).await;
    assert_eq!(report.requests, 0, "a spent month sent requests");
    opts.monthly_request_limit = 0;
    let report = budgeted(&wh, &server, &opts).await;
    assert_eq!(report.stopped_by, None);
    assert_eq!(report.details.landed, 80);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn details_reach_a_warehouse_built_without_them_and_a_kill_during_them_converges() {
    let dir = tempfile::tempdir().expect("tempdir");
    let games = catalogue(1_200, 0, 0, 0);
    let server = ReplayServer::start_api(games.clone()).await;
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let wh = root.join("wh");
    let run = |args: &[&str], kill: Option<&str>| {
        let mut cmd = support::gamelake_at(&wh);
        cmd.args(args).args(["--source", &server.base]);
        cmd.env("GAMELAKE_MONTHLY_REQUEST_LIMIT", "0");
        if let Some(point) = kill {
            cmd.env(support::KILL_AT, point);
        }
        cmd.output().expect("run gamelake")
    };

    // As an earlier release left it: list tables only.
    let out = run(&["run", "--no-details"], None);
    assert!(out.status.success(), "{}", support::text(&out.stderr));
    let (_, lake) = support::open(&wh).await;
    assert!(lake.load("dim_developer").await.expect("load").is_none());
    let snapshots = support::snapshot_ids(&lake).await;
    let keys = support::keys(&lake).await;

    // Killed after the first detail file landed, then run again.
    let out = run(&["run"], Some("ingest.detail-file.1"));
    assert!(!out.status.success(), "the kill point was not reached");
    let out = run(&["run"], None);
    assert!(out.status.success(), "{}", support::text(&out.stderr));

    let (_, lake) = support::open(&wh).await;
    assert_eq!(
        sql_i64(&lake, "SELECT count(*) FROM rawg.dim_game").await[0],
        1_200
    );
    assert_eq!(
        sql_i64(&lake, "SELECT count(DISTINCT game_id) FROM rawg.dim_game").await[0],
        1_200
    );
    assert!(
        server.counts().1 <= 1_200 + 8,
        "{} detail requests for 1,200 games",
        server.counts().1
    );
    assert_eq!(support::keys(&lake).await, keys, "keys moved");
    let after = support::snapshot_ids(&lake).await;
    let rewritten: BTreeMap<&String, _> = snapshots
        .iter()
        .filter(|(t, s)| after.get(*t) != Some(*s))
        .collect();
    assert!(rewritten.is_empty(), "list tables rewritten: {rewritten:?}");
    let names = sql_strings(
        &lake,
        "SELECT name FROM rawg.dim_developer WHERE developer_key > 0",
    )
    .await;
    assert!(!names.is_empty(), "no developers");

    // `status` says where things stand.
    let out = support::gamelake_at(&wh)
        .arg("status")
        .env("GAMELAKE_MONTHLY_REQUEST_LIMIT", "0")
        .output()
        .expect("status");
    let text = support::text(&out.stdout);
    assert!(out.status.success(), "{}", support::text(&out.stderr));
    assert!(
        text.contains("1,200 held, 0 waiting for their detail")
            && text.contains("watermark: games updated up to"),
        "{text}"
    );
}

#[tokio::test]
async fn a_count_probe_without_a_count_is_an_error_not_an_empty_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = support::first_pages(&support::pages_2015(), 2, &dir.path().join("pages"));
    let first = pages.join("page-0001.json");
    let mut page: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&first).expect("read")).expect("json");
    page["count"] = "many".into();
    std::fs::write(&first, page.to_string()).expect("write");
    let server = ReplayServer::start(pages, None).await;
    let wh = Warehouse::open(dir.path().join("wh").to_str().expect("utf8")).expect("wh");
    let err = support::ingest(&wh, &options(&server.base))
        .await
        .expect_err("an unreadable count");
    assert!(err.to_string().contains("count probe"), "{err}");
    assert!(
        wh.list("state")
            .await
            .expect("list")
            .iter()
            .all(|m| !m.location.as_ref().ends_with("sync.json")),
        "a plan was saved from an unreadable count"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn games_leaving_a_window_mid_crawl_push_no_other_game_out_of_reach() {
    let dir = tempfile::tempdir().expect("tempdir");
    let games = catalogue(4_000, 0, 0, 0);
    let server = ReplayServer::start_api(games.clone()).await;
    let wh = Warehouse::open(dir.path().to_str().expect("utf8")).expect("wh");
    // The 20 newest games are on the crawl's first page; once 30 pages are answered, RAWG
    // drops them (delisted): every game after them moves up 20 places, and without a second
    // look 20 games would slide from each later page onto one already read.
    let mut newest: Vec<(String, i64)> = games
        .iter()
        .map(|g| {
            (
                g["updated"].as_str().expect("updated").to_string(),
                g["id"].as_i64().expect("id"),
            )
        })
        .collect();
    newest.sort();
    let gone: BTreeSet<i64> = newest.iter().rev().take(20).map(|(_, id)| *id).collect();
    let dropped = gone.clone();
    server.change_after(1 + 30, move |c| {
        c.retain(|g| !dropped.contains(&g["id"].as_i64().expect("id")));
    });
    // And one detail is malformed: one line, the rest lands.
    let bad = games[5]["id"].as_i64().expect("id");
    server.detail_body(bad, "<html>Service Unavailable</html>");
    let mut opts = options(&server.base);
    opts.http.concurrency = 1;
    let report = support::ingest(&wh, &opts).await.expect("ingest");
    let held = gamelake::ingest::cdc::CdcState::load(&wh)
        .await
        .expect("state");
    assert_eq!(
        held.len(),
        games.len(),
        "games slid out of reach while the window was read"
    );
    // The 20 delisted games' details are 404s now; the malformed one says what it is.
    assert_eq!(report.details.failed, 21);
    let failures = gamelake::ingest::details::failures(&wh)
        .await
        .expect("failures");
    let malformed: Vec<_> = failures.iter().filter(|(id, _)| *id == bad).collect();
    assert!(
        malformed.len() == 1 && malformed[0].1.contains("not a RAWG game detail"),
        "{failures:?}"
    );
    assert!(
        failures
            .iter()
            .filter(|(id, _)| gone.contains(id))
            .all(|(_, r)| r.contains("404")),
        "{failures:?}"
    );
}

/// A crawler task that panics mid-window (`GAMELAKE_PANIC_AT`, as a bug would) fails its
/// window in one line naming it, instead of passing for a finished window whose last pages
/// were never read; the rerun reads the window again and lands every game.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crawler_that_panics_fails_its_window_and_a_rerun_reads_it_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let games = catalogue(120, 0, 0, 0);
    let ids: std::collections::HashSet<i64> =
        games.iter().filter_map(|g| g["id"].as_i64()).collect();
    assert!(ids.len() > 80, "a window of more than two pages");
    let server = ReplayServer::start_api(games).await;
    let wh_path = root.join("wh");
    let ingest = |panic_at: Option<&str>| {
        let mut cmd = support::gamelake_at(&wh_path);
        cmd.args([
            "ingest",
            "--no-details",
            "--concurrency",
            "1",
            "--source",
            &server.base,
        ])
        .env("GAMELAKE_MONTHLY_REQUEST_LIMIT", "0");
        if let Some(p) = panic_at {
            cmd.env("GAMELAKE_PANIC_AT", p);
        }
        cmd.output().expect("run gamelake")
    };

    let out = ingest(Some("ingest.crawl.page"));
    let (line, _) = support::error_line(&out, "a crawl that panicked");
    assert!(
        line.contains("the crawler of window updated=") && line.contains("a rerun reads it again"),
        "{line}"
    );

    let out = ingest(None);
    let log = support::text(&out.stderr);
    assert!(out.status.success(), "rerun: {log}");
    let wh = Warehouse::open(wh_path.to_str().expect("utf8")).expect("wh");
    let held = gamelake::ingest::cdc::CdcState::load(&wh)
        .await
        .expect("cdc");
    assert_eq!(
        held.len(),
        ids.len(),
        "every game of the window landed: {log}"
    );
}
