//! The whole pipeline on the embedded default: counts against the source, referential
//! integrity, stable keys, idempotent reruns, what a failed ingest leaves behind.

use std::collections::BTreeMap;

use gamelake::etl::{self, EtlOptions};
use gamelake::ingest::IngestOptions;
use gamelake::lakehouse::Lakehouse;
use gamelake::storage::Warehouse;

use crate::support::{self, expected_counts, snapshot_ids, sql_i64, table_counts};

async fn etl_run(wh: &Warehouse, lake: &Lakehouse, full_refresh: bool) -> etl::EtlReport {
    support::etl(
        wh,
        lake,
        &EtlOptions {
            full_refresh,
            ..Default::default()
        },
    )
    .await
    .expect("etl")
}

/// Every member dimension, by member name.
const MEMBERS: [&str; 6] = [
    "platform",
    "parent_platform",
    "store",
    "genre",
    "tag",
    "esrb_rating",
];

/// Every (natural, key) pair of every dimension and of the fact table.
async fn all_keys(lake: &Lakehouse) -> BTreeMap<String, Vec<i64>> {
    let mut out = BTreeMap::new();
    for member in MEMBERS {
        let q = format!(
            "SELECT {member}_id * 1000000 + {member}_key FROM rawg.dim_{member} \
             WHERE {member}_key <> 0 ORDER BY 1"
        );
        out.insert(member.to_string(), sql_i64(lake, &q).await);
    }
    out.insert(
        "game".into(),
        sql_i64(
            lake,
            "SELECT game_id * 1000000 + game_key FROM rawg.fact_games ORDER BY 1",
        )
        .await,
    );
    out
}

async fn assert_referential_integrity(lake: &Lakehouse) {
    let orphans = |q: &'static str| async move { sql_i64(lake, q).await[0] };
    for member in ["platform", "parent_platform", "store", "genre", "tag"] {
        let q = format!(
            "SELECT count(*) FROM rawg.bridge_game_{member} b \
             LEFT JOIN rawg.dim_{member} d ON b.{member}_key = d.{member}_key \
             LEFT JOIN rawg.fact_games f ON b.game_key = f.game_key \
             WHERE d.{member}_key IS NULL OR f.game_key IS NULL"
        );
        assert_eq!(
            sql_i64(lake, &q).await[0],
            0,
            "orphans in bridge_game_{member}"
        );
        let dup = format!(
            "SELECT count(*) FROM (SELECT game_key, {member}_key FROM rawg.bridge_game_{member} \
             GROUP BY 1, 2 HAVING count(*) > 1)"
        );
        assert_eq!(
            sql_i64(lake, &dup).await[0],
            0,
            "duplicate pairs in bridge_game_{member}"
        );
    }
    assert_eq!(
        orphans(
            "SELECT count(*) FROM rawg.fact_games f \
             LEFT JOIN rawg.dim_esrb_rating e ON f.esrb_rating_key = e.esrb_rating_key \
             LEFT JOIN rawg.dim_date r ON f.released_date_key = r.date_key \
             LEFT JOIN rawg.dim_date u ON f.updated_date_key = u.date_key \
             WHERE e.esrb_rating_key IS NULL OR r.date_key IS NULL OR u.date_key IS NULL"
        )
        .await,
        0,
        "fact foreign keys that resolve to nothing"
    );
    assert_eq!(
        orphans("SELECT count(*) - count(DISTINCT game_id) FROM rawg.fact_games").await,
        0,
        "a game appears twice in fact_games"
    );
    for member in MEMBERS {
        let q = format!(
            "SELECT count(*) - count(DISTINCT {member}_key) + \
             (count({member}_id) - count(DISTINCT {member}_id)) FROM rawg.dim_{member}"
        );
        assert_eq!(
            sql_i64(lake, &q).await[0],
            0,
            "dim_{member} keys or ids not unique"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_pipeline_matches_the_source_with_stable_keys_and_idempotent_reruns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (wh, lake) = support::open(dir.path()).await;
    let (p2015, p2016) = (support::pages_2015(), support::pages_2016());

    let first = support::ingest_dir(&wh, &p2015).await;
    assert_eq!((first.pages, first.games_kept), (250, 10_000));
    let second = support::ingest_dir(&wh, &p2016).await;
    assert_eq!(second.games_kept, 10_000);
    let report = etl_run(&wh, &lake, false).await;
    assert_eq!(report.games, 20_000);
    assert!(report.tables.iter().all(|t| t.written));

    let expected = expected_counts(&[&p2015, &p2016]);
    assert_eq!(
        table_counts(&lake).await,
        expected,
        "row counts differ from the source"
    );
    assert_referential_integrity(&lake).await;
    let keys = all_keys(&lake).await;
    let snapshots = snapshot_ids(&lake).await;
    assert_eq!(snapshots.len(), 13);

    // A rerun with nothing new: ingest keeps nothing, ETL writes nothing, no new snapshot.
    let again = support::ingest_dir(&wh, &p2015).await;
    assert_eq!((again.games_kept, again.games_unchanged), (0, 10_000));
    assert!(
        again.files.is_empty(),
        "an ingest with nothing new wrote a raw file"
    );
    let rerun = etl_run(&wh, &lake, false).await;
    assert!(rerun.nothing_new);
    assert_eq!(
        snapshot_ids(&lake).await,
        snapshots,
        "a rerun made new snapshots"
    );

    // A full refresh rebuilds every table: new snapshots, same rows, same keys.
    let refresh = etl_run(&wh, &lake, true).await;
    assert!(refresh.tables.iter().all(|t| t.written));
    let after = snapshot_ids(&lake).await;
    assert!(
        after.iter().all(|(t, s)| *s != snapshots[t]),
        "full refresh skipped a table"
    );
    assert_eq!(table_counts(&lake).await, expected);
    assert_eq!(
        all_keys(&lake).await,
        keys,
        "a surrogate key moved in a full refresh"
    );
    assert_referential_integrity(&lake).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_ingest_adds_only_new_games_and_existing_keys_stay() {
    let dir = tempfile::tempdir().expect("tempdir");
    let part = support::first_pages(&support::pages_2015(), 60, &dir.path().join("part"));
    let (wh, lake) = support::open(&dir.path().join("wh")).await;

    support::ingest_dir(&wh, &part).await;
    etl_run(&wh, &lake, false).await;
    let before = all_keys(&lake).await;
    assert_eq!(table_counts(&lake).await, expected_counts(&[&part]));

    let full = support::ingest_dir(&wh, &support::pages_2015()).await;
    assert_eq!((full.games_kept, full.games_unchanged), (190 * 40, 60 * 40));
    let report = etl_run(&wh, &lake, false).await;
    assert!(!report.nothing_new);
    assert_eq!(
        table_counts(&lake).await,
        expected_counts(&[&support::pages_2015()])
    );
    let after = all_keys(&lake).await;
    for (member, pairs) in &before {
        let now: std::collections::BTreeSet<i64> = after[member].iter().copied().collect();
        for p in pairs {
            assert!(
                now.contains(p),
                "{member}: key pair {p} changed after new data"
            );
        }
    }
    assert_referential_integrity(&lake).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_page_fails_clearly_keeps_what_was_good_and_a_rerun_finishes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = support::first_pages(&support::pages_2015(), 12, &dir.path().join("src"));
    // Page 9 is truncated mid-way, as a half-written download would be.
    let page9 = src.join("page-0009.json");
    let good9 = std::fs::read(&page9).expect("read");
    std::fs::write(&page9, &good9[..good9.len() / 2]).expect("truncate");
    let (wh, lake) = support::open(&dir.path().join("wh")).await;

    let mut opts = IngestOptions::new(src.to_str().expect("utf8"));
    opts.rows_per_file = 100;
    let err = support::ingest(&wh, &opts)
        .await
        .expect_err("truncated page");
    let msg = err.to_string();
    assert!(
        msg.contains("page-0009.json"),
        "error does not name the page: {msg}"
    );

    // The eight good pages before it landed; nothing of page 9 did.
    let landed = gamelake::ingest::cdc::CdcState::load(&wh)
        .await
        .expect("state");
    assert_eq!(landed.len(), 8 * 40);

    std::fs::write(&page9, &good9).expect("repair");
    let rerun = support::ingest(&wh, &opts).await.expect("rerun");
    assert_eq!((rerun.games_kept, rerun.games_unchanged), (4 * 40, 8 * 40));
    etl_run(&wh, &lake, false).await;
    assert_eq!(table_counts(&lake).await, expected_counts(&[&src]));
}
