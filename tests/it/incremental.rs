//! Incremental ETL: a derived second day folded into the warehouse, compared with a build
//! from scratch on the merged source.

use gamelake::etl::{self, EtlOptions};

use crate::support::{
    self, contents_by_natural_key, files_and_snapshots, ingest_etl, keys, sql_i64, sql_strings,
};

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
    let after_day1 = support::pyiceberg_read(&root.join("incremental"));
    for (table, rows) in contents_by_natural_key(&lake).await {
        assert_eq!(
            after_day1[&table]["rows"].as_u64(),
            Some(rows.len() as u64),
            "{table}: pyiceberg after day 1"
        );
    }
    let before = files_and_snapshots(&lake).await;
    let report = ingest_etl(&wh, &lake, &[&day2_dir]).await;
    assert!(report.incremental, "the second run was not incremental");
    assert_eq!(report.games, 60);
    let property = |key: &'static str| {
        let lake = lake.clone();
        async move { lake.property("fact_games", key).await.expect("property") }
    };
    assert_eq!(
        property(etl::RUN_ID_SUMMARY).await,
        Some(report.run_id.clone())
    );
    assert_eq!(
        property(etl::ROWS_ADDED_PROPERTY).await.as_deref(),
        Some("60")
    );
    assert_eq!(
        property(etl::ROWS_REMOVED_PROPERTY).await.as_deref(),
        Some("40")
    );

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
    let rerun = support::etl(&wh, &lake, &EtlOptions::default())
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
    support::full_refresh(&wh, &lake).await;
    assert_eq!(contents_by_natural_key(&lake).await, got);
    assert_eq!(keys(&lake).await, keys_day2);
}

/// The processed-files record is a span of the landing ([`gamelake::raw::Covered`]): a raw
/// file that lands with a name among the processed ones (a clock set back, a file copied in)
/// is read by the next run, not taken for processed, and the tables match a build from
/// scratch; the run after that has nothing new.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raw_file_landed_out_of_name_order_is_read_not_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let day1 = support::first_pages(&support::pages_2015(), 10, &root.join("day1"));
    let day2_dir = root.join("day2");
    let day2 = support::second_day(&support::pages_2015(), 10, &day2_dir);

    let (wh, lake) = support::open(&root.join("wh")).await;
    ingest_etl(&wh, &lake, &[&day1]).await;
    support::ingest_dir(&wh, &day2_dir).await;
    // Day 2's raw file moves to a day before every processed one.
    let landing = root.join("wh").join(gamelake::raw::RAW_GAMES_PREFIX);
    let newest = support::files_under(&landing)
        .into_iter()
        .max()
        .expect("a raw file");
    let early = landing.join("run_date=2000-01-01");
    std::fs::create_dir_all(&early).expect("mkdir");
    let name = std::path::Path::new(&newest).file_name().expect("name");
    std::fs::rename(landing.join(&newest), early.join(name)).expect("move");

    let report = support::etl(&wh, &lake, &EtlOptions::default())
        .await
        .expect("etl");
    assert!(report.incremental && !report.nothing_new, "{report:?}");
    let new_game = day2.new[0];
    assert_eq!(
        sql_i64(
            &lake,
            &format!("SELECT count(*) FROM rawg.fact_games WHERE game_id = {new_game}")
        )
        .await,
        [1]
    );
    let (wh_s, lake_s) = support::open(&root.join("scratch")).await;
    ingest_etl(&wh_s, &lake_s, &[&day1, &day2_dir]).await;
    assert_eq!(
        contents_by_natural_key(&lake).await,
        contents_by_natural_key(&lake_s).await
    );
    let rerun = support::etl(&wh, &lake, &EtlOptions::default())
        .await
        .expect("rerun");
    assert!(rerun.nothing_new, "{rerun:?}");
}
