//! Keeping a warehouse current from the API: what a plain `gamelake run` costs on day 1 (an
//! empty warehouse) and on day 2 (a day's changes), in requests and in gamelake's own CPU time
//! and memory.
//!
//! The RAWG stand-in (`tests/it/support/server.rs`, API mode: filters, ordering, the 250-page
//! cap, `/games/{id}`) runs in this process and counts requests; every gamelake stage runs as
//! its own process, so its CPU time (user + system, from `wait4`) leaves out both the
//! stand-in's work and the time spent waiting for answers. The catalogue is the 20,000
//! recorded games plus copies under new ids (`--games`, default 30,000), a tenth of the
//! copies without a release date; day 2 changes `--changed` games (default 300) and adds
//! `--new` (default 100). It reports; it asserts only that each day landed every game it
//! should.
//!
//! Run: `cargo bench --bench sync -- [--games N] [--changed N] [--new N]` (release build;
//! `--profile dev` for the profile tests and CI use). Needs ../shared/data/rawg.

#[allow(dead_code)]
#[path = "../tests/it/support/server.rs"]
mod server;
mod support;

use std::path::Path;

use support::{Cost, Launcher, arg, gamelake, print_rows};

/// Runs `gamelake <args>` as its own process, through the launcher; also the list and detail
/// requests the stand-in answered meanwhile.
fn stage(
    launcher: &mut Launcher,
    server: &server::ReplayServer,
    wh: &Path,
    logs: &Path,
    name: &str,
    args: &[&str],
) -> (Cost, usize, usize) {
    let (list0, details0) = server.counts();
    // The stand-in answers on the runtime's other threads meanwhile.
    let cost = tokio::task::block_in_place(|| {
        launcher.run(
            name,
            wh,
            args,
            &[("GAMELAKE_MONTHLY_REQUEST_LIMIT", "0")],
            logs,
        )
    });
    let (list, details) = server.counts();
    (cost, list - list0, details - details0)
}

/// `SELECT count(*) FROM rawg.fact_games` through the binary.
fn facts(wh: &Path) -> usize {
    let out = gamelake(
        wh,
        &[
            "sql",
            "--format",
            "csv",
            "SELECT count(*) AS n FROM rawg.fact_games",
        ],
    )
    .output()
    .expect("sql");
    assert!(out.status.success(), "sql failed");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .expect("a count")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    Launcher::serve_if_asked();
    // Started while this process is small: it spawns the measured stages (module docs of
    // benches/support).
    let mut launcher = Launcher::start();
    let args: Vec<String> = std::env::args().collect();
    let number = |name: &str, default: usize| {
        arg(&args, name).map_or(default, |v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number"))
        })
    };
    let (total, changed, new) = (
        number("--games", 30_000),
        number("--changed", 300),
        number("--new", 100),
    );
    let recorded = total.min(20_000);
    let copies = total - recorded;
    // Copies are moved back a year: copied days would otherwise hold twice their games, past
    // the 20,000 a day that RAWG's cap lets one crawl read.
    let games = server::catalogue(recorded, copies, copies / 10, 365);
    let server = server::ReplayServer::start_api(games.clone()).await;
    let source = server.base.clone();

    let work = tempfile::Builder::new()
        .prefix("gamelake-sync-bench-")
        .tempdir()
        .expect("tempdir");
    let (wh, logs) = (work.path().join("wh"), work.path().join("logs"));
    std::fs::create_dir_all(&logs).expect("mkdir");
    let mut rows: Vec<(String, Cost, String)> = Vec::new();
    let mut figure = |what: &str, (cost, list, details): (Cost, usize, usize), ideal: usize| {
        rows.push((
            what.to_string(),
            cost,
            format!("{list} list requests (ideal {ideal}), {details} detail requests"),
        ));
    };

    // Day 1: an empty warehouse. Ingest and ETL run as two processes so each is measured.
    eprintln!("bench: day 1, {} games", games.len());
    let ideal1 = games.len().div_ceil(40);
    figure(
        "day 1: ingest (lists and details)",
        stage(
            &mut launcher,
            &server,
            &wh,
            &logs,
            "day1-ingest",
            &["ingest", "--source", &source],
        ),
        ideal1,
    );
    figure(
        "day 1: ETL",
        stage(&mut launcher, &server, &wh, &logs, "day1-etl", &["etl"]),
        0,
    );
    assert_eq!(facts(&wh), games.len(), "day 1 did not land every game");

    // Day 2: some games change (a later `updated`, another rating), some are new.
    let stamp = chrono::Utc::now()
        .naive_utc()
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    server.change(|c| {
        let step = (c.len() / changed.max(1)).max(1);
        for g in c.iter_mut().step_by(step).take(changed) {
            g["updated"] = stamp.clone().into();
            g["rating"] = 4.99.into();
        }
        let donors: Vec<serde_json::Value> = c.iter().take(new).cloned().collect();
        for (i, mut g) in donors.into_iter().enumerate() {
            g["id"] = (90_000_000 + i as i64).into();
            g["updated"] = stamp.clone().into();
            c.push(g);
        }
    });
    eprintln!("bench: day 2, {changed} changed and {new} new games");
    let ideal2 = (changed + new).div_ceil(40);
    figure(
        "day 2: ingest (lists and details)",
        stage(
            &mut launcher,
            &server,
            &wh,
            &logs,
            "day2-ingest",
            &["ingest", "--source", &source],
        ),
        ideal2,
    );
    figure(
        "day 2: ETL (incremental)",
        stage(&mut launcher, &server, &wh, &logs, "day2-etl", &["etl"]),
        0,
    );
    assert_eq!(
        facts(&wh),
        games.len() + new,
        "day 2 did not land every game"
    );

    print_rows(
        &format!(
            "catalogue of {} games ({copies} copies, {} without a release date), day 2: \
             {changed} changed, {new} new",
            games.len(),
            copies / 10
        ),
        &rows,
    );
}
