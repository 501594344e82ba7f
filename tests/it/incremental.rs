//! Incremental ETL: a derived second day folded into the warehouse, compared with a build
//! from scratch on the merged source.

use std::collections::BTreeMap;
use std::path::Path;

use gamelake::etl::{self, EtlOptions, EtlReport};
use gamelake::ingest::{self, IngestOptions};
use gamelake::lakehouse::Lakehouse;
use gamelake::lakehouse::scan::TableFiles;
use gamelake::progress::Progress;
use gamelake::storage::Warehouse;

use crate::support::{self, sql_i64, sql_strings};

const MEMBERS: [(&str, bool); 6] = [
    ("platform", true),
    ("parent_platform", true),
    ("store", true),
    ("genre", true),
    ("tag", true),
    ("esrb_rating", false),
];

async fn ingest_etl(wh: &Warehouse, lake: &Lakehouse, dirs: &[&Path]) -> EtlReport {
    for dir in dirs {
        ingest::ingest(
            wh,
            &IngestOptions::new(dir.to_str().expect("utf8")),
            &mut Progress::hidden("p"),
        )
        .await
        .expect("ingest");
    }
    etl::run(wh, lake, &EtlOptions::default(), &mut Progress::hidden("t"))
        .await
        .expect("etl")
}

/// Every table's contents with surrogate keys replaced by RAWG ids, so two warehouses that
/// assigned keys in a different order compare equal.
async fn contents_by_natural_key(lake: &Lakehouse) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    out.insert(
        "fact_games".into(),
        sql_strings(
            lake,
            "SELECT concat_ws('|', f.game_id, f.name, f.slug, f.rating, f.updated, f.released, \
             f.released_date_key, f.updated_date_key, e.esrb_rating_id, f.ratings_count, \
             f.added, f.added_owned, f.ratings_exceptional, f.ratings_skip, f.metacritic, \
             f.playtime, f.background_image) \
             FROM rawg.fact_games f JOIN rawg.dim_esrb_rating e USING (esrb_rating_key) ORDER BY 1",
        )
        .await,
    );
    for (member, bridged) in MEMBERS {
        let extra = if member == "tag" {
            ", d.language, d.games_count"
        } else {
            ""
        };
        out.insert(
            format!("dim_{member}"),
            sql_strings(
                lake,
                &format!(
                    "SELECT concat_ws('|', d.{member}_id, d.name, d.slug{extra}) \
                     FROM rawg.dim_{member} d ORDER BY 1"
                ),
            )
            .await,
        );
        if bridged {
            out.insert(
                format!("bridge_game_{member}"),
                sql_strings(
                    lake,
                    &format!(
                        "SELECT concat_ws('|', f.game_id, d.{member}_id) FROM rawg.bridge_game_{member} b \
                         JOIN rawg.fact_games f USING (game_key) \
                         JOIN rawg.dim_{member} d USING ({member}_key) ORDER BY 1"
                    ),
                )
                .await,
            );
        }
    }
    out.insert(
        "dim_date".into(),
        sql_strings(
            lake,
            "SELECT concat_ws('|', date_key, date, day_name, is_weekend) FROM rawg.dim_date ORDER BY 1",
        )
        .await,
    );
    out
}

async fn keys(lake: &Lakehouse) -> Vec<String> {
    let mut all = sql_strings(
        lake,
        "SELECT concat('game ', game_id, '=', game_key) FROM rawg.fact_games",
    )
    .await;
    for (member, _) in MEMBERS {
        all.extend(
            sql_strings(
                lake,
                &format!("SELECT concat('{member} ', {member}_id, '=', {member}_key) FROM rawg.dim_{member}"),
            )
            .await,
        );
    }
    all.sort();
    all
}

async fn files_and_snapshots(lake: &Lakehouse) -> BTreeMap<String, (Vec<String>, usize)> {
    let mut out = BTreeMap::new();
    for info in lake.infos().await.expect("infos") {
        let table = lake.load(&info.name).await.expect("load").expect("table");
        let files = TableFiles::load(&table).await.expect("files");
        out.insert(
            info.name,
            (
                files.files.into_iter().map(|f| f.path).collect(),
                info.snapshots,
            ),
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_day_folds_in_like_a_build_from_scratch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let day1 = support::first_pages(&support::pages_2015(), 40, &root.join("day1"));
    let day2_dir = root.join("day2");
    let day2 = support::second_day(&support::pages_2015(), 40, &day2_dir);
    assert_eq!((day2.changed.len(), day2.new.len()), (40, 20));

    // Incremental: day 1, then day 2.
    let (wh, lake) = support::open(&root.join("incremental")).await;
    ingest_etl(&wh, &lake, &[&day1]).await;
    let keys_day1 = keys(&lake).await;
    let before = files_and_snapshots(&lake).await;
    let report = ingest_etl(&wh, &lake, &[&day2_dir]).await;
    assert!(report.incremental, "the second run was not incremental");
    assert_eq!(report.games, 60);

    // From scratch on the merged source.
    let (wh_s, lake_s) = support::open(&root.join("scratch")).await;
    let scratch = ingest_etl(&wh_s, &lake_s, &[&day1, &day2_dir]).await;
    assert!(!scratch.incremental);

    let got = contents_by_natural_key(&lake).await;
    let want = contents_by_natural_key(&lake_s).await;
    for (table, rows) in &want {
        assert_eq!(got[table].len(), rows.len(), "{table}: row count");
        assert!(
            got[table] == *rows,
            "{table}: contents differ from a build from scratch"
        );
    }
    let renamed = sql_strings(
        &lake,
        &format!(
            "SELECT name FROM rawg.dim_tag WHERE tag_id = {}",
            day2.renamed_tag
        ),
    )
    .await;
    assert!(
        renamed[0].ends_with("(renamed)"),
        "type-1 rename not applied: {renamed:?}"
    );
    assert_eq!(
        sql_i64(&lake, "SELECT count(*) FROM rawg.fact_games").await,
        [1600 + 20]
    );

    // Keys of day-1 members never moved.
    let keys_day2 = keys(&lake).await;
    for k in &keys_day1 {
        assert!(
            keys_day2.binary_search(k).is_ok(),
            "key moved or vanished: {k}"
        );
    }

    // Nothing was rewritten: every day-1 data file is still live, and every table the run
    // touched has exactly one more snapshot.
    let after = files_and_snapshots(&lake).await;
    for (table, (files, snapshots)) in &before {
        let (files_now, snapshots_now) = &after[table];
        if table.starts_with("bridge_") || table == "fact_games" {
            for f in files {
                assert!(
                    files_now.contains(f),
                    "{table}: data file {f} was rewritten"
                );
            }
            assert_eq!(*snapshots_now, snapshots + 1, "{table}: snapshots");
        } else {
            assert!(
                *snapshots_now <= snapshots + 1,
                "{table}: more than one snapshot"
            );
        }
    }

    // A rerun with nothing new adds no snapshot.
    let rerun = etl::run(
        &wh,
        &lake,
        &EtlOptions::default(),
        &mut Progress::hidden("t"),
    )
    .await
    .expect("rerun");
    assert!(rerun.nothing_new);
    assert_eq!(files_and_snapshots(&lake).await, after);

    // pyiceberg sees the same rows, deletes applied.
    let seen = support::pyiceberg_read(&root.join("incremental"));
    for (table, rows) in &got {
        assert_eq!(
            seen[table]["rows"].as_u64(),
            Some(rows.len() as u64),
            "{table}: pyiceberg row count"
        );
    }

    // A full refresh gives the same rows and keys as the incremental history.
    etl::run(
        &wh,
        &lake,
        &EtlOptions { full_refresh: true },
        &mut Progress::hidden("t"),
    )
    .await
    .expect("full refresh");
    assert_eq!(contents_by_natural_key(&lake).await, got);
    assert_eq!(keys(&lake).await, keys_day2);
}
