//! Incremental ETL against a full refresh, at RAWG scale.
//!
//! Builds N games (default 200,000) by repeating the recorded pages with new ids, lands them
//! as raw parquet, runs the first ETL, then lands a delta where 1% of the games changed
//! (later `updated`, another rating and genre list) and times, in the same run: the
//! incremental ETL of that delta, and a full refresh of the same state. Also reports the bytes
//! the incremental run wrote as a share of the tables' bytes.
//!
//! Run: `cargo bench --profile dev --bench incremental [-- GAMES]` (needs ../shared/data/rawg).
//! It reports; it asserts nothing but that the two paths agree on row counts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use gamelake::Gamelake;
use gamelake::etl::{self, EtlOptions};
use gamelake::ingest::land::Lander;
use gamelake::ingest::model::{Game, Named};
use gamelake::ingest::parse::parse_page_owned;
use gamelake::lakehouse::Lakehouse;
use gamelake::progress::NoProgress;
use gamelake::storage::Warehouse;

fn recorded_games() -> Vec<Game<'static>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/rawg");
    let mut games = Vec::new();
    for folder in ["games-released-2015", "games-released-2016"] {
        for i in 1..=250 {
            let path = root.join(folder).join(format!("page-{i:04}.json"));
            let bytes = std::fs::read(&path).expect("recorded page (../shared/data/rawg)");
            games.extend(
                parse_page_owned(&bytes, &path.display().to_string())
                    .expect("parse")
                    .games,
            );
        }
    }
    games
}

async fn land(wh: &Warehouse, games: &[Game<'_>]) {
    let mut lander = Lander::new(&gamelake::new_run_id(), chrono::Utc::now(), 20_000);
    for page in games.chunks(40) {
        lander.push_games(page).expect("columns");
        if lander.is_full() {
            lander.flush(wh).await.expect("flush");
        }
    }
    lander.flush(wh).await.expect("flush");
}

/// Every file under the tables' folders, with its size.
fn table_files(root: &Path) -> BTreeMap<String, u64> {
    fn walk(dir: &Path, out: &mut BTreeMap<String, u64>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if let Ok(m) = e.metadata() {
                out.insert(p.display().to_string(), m.len());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&root.join("rawg"), &mut out);
    out
}

async fn timed_etl(wh: &Warehouse, lake: &Lakehouse, full_refresh: bool) -> (f64, etl::EtlReport) {
    let start = Instant::now();
    let report = Gamelake::embedded(wh.clone(), lake.namespace())
        .etl(
            &EtlOptions {
                full_refresh,
                ..Default::default()
            },
            &mut NoProgress,
        )
        .await
        .expect("etl");
    (start.elapsed().as_secs_f64(), report)
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200_000);
    // RUST_LOG=gamelake=info shows where the time goes.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async move {
        let dir = tempfile::tempdir().expect("tempdir");
        let wh = Warehouse::open(dir.path().to_str().expect("utf8")).expect("warehouse");
        let lake = Lakehouse::open(&wh, "rawg").await.expect("lakehouse");
        let base = recorded_games();
        let games: Vec<Game<'static>> = (0..n)
            .map(|i| {
                let mut g = base[i % base.len()].clone();
                let copy = (i / base.len()) as i64;
                g.id += copy * 10_000_000;
                g.slug = format!("{}-{copy}", g.slug).into();
                g
            })
            .collect();
        land(&wh, &games).await;
        let (first, _) = timed_etl(&wh, &lake, false).await;

        // 1% of the games change: every 100th.
        let changed: Vec<Game<'static>> = games
            .iter()
            .step_by(100)
            .map(|g| {
                let mut g = g.clone();
                g.updated += chrono::Duration::days(1);
                g.rating = (g.rating + 1.0) % 5.0;
                let mut genres = g.genres.take().unwrap_or_default();
                genres.truncate(1);
                genres.push(Named {
                    id: 900_001,
                    name: "Cozy".into(),
                    slug: "cozy".into(),
                });
                g.genres = Some(genres);
                g
            })
            .collect();
        land(&wh, &changed).await;

        let before = table_files(dir.path());
        let (incremental, inc_report) = timed_etl(&wh, &lake, false).await;
        let after = table_files(dir.path());
        assert!(inc_report.incremental);
        let written: u64 = after
            .iter()
            .filter(|(p, _)| !before.contains_key(*p) && p.ends_with(".parquet"))
            .map(|(_, s)| s)
            .sum();
        let data_now: u64 = after
            .iter()
            .filter(|(p, _)| p.ends_with(".parquet"))
            .map(|(_, s)| s)
            .sum();
        let live_files: BTreeSet<&String> = before.keys().collect();
        let rewritten = before
            .keys()
            .filter(|p| p.ends_with(".parquet"))
            .filter(|p| !after.contains_key(*p))
            .count();
        let rows_inc: Vec<u64> = lake.infos().await.expect("infos").iter().map(|t| t.rows).collect();

        let (full, _) = timed_etl(&wh, &lake, true).await;
        let rows_full: Vec<u64> = lake.infos().await.expect("infos").iter().map(|t| t.rows).collect();
        assert_eq!(rows_inc, rows_full, "incremental and full refresh disagree on row counts");

        println!("games: {n}; changed: {} (1%)", changed.len());
        println!("first ETL (full build):        {first:8.2} s");
        println!("incremental ETL of the delta:  {incremental:8.2} s");
        println!("full refresh of the same data: {full:8.2} s");
        println!("incremental / full refresh:    {:8.3}", incremental / full);
        println!(
            "bytes written by the incremental run: {written} of {data_now} table bytes ({:.2}%); data files rewritten: {rewritten} of {}",
            100.0 * written as f64 / data_now as f64,
            live_files.iter().filter(|p| p.ends_with(".parquet")).count()
        );
    });
}
