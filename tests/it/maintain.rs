//! `maintain`: compaction of position deletes, snapshot expiry and orphan removal leave every
//! table reading the same, for gamelake and pyiceberg.

use std::time::Duration;

use gamelake::lakehouse::maintain::MaintainOptions;
use gamelake::lakehouse::scan::TableFiles;

use crate::support::{self, contents_by_natural_key, ingest_etl, keys};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_compacts_expires_removes_orphans_and_reads_the_same() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let day1 = support::first_pages(&support::pages_2015(), 10, &root.join("day1"));
    let day2 = root.join("day2");
    let changed = support::second_day(&support::pages_2015(), 10, &day2)
        .changed
        .len() as u64;
    let (wh, lake) = support::open(&root.join("wh")).await;
    ingest_etl(&wh, &lake, &[&day1]).await;
    ingest_etl(&wh, &lake, &[&day2]).await;
    let rows = contents_by_natural_key(&lake).await;
    let key_pairs = keys(&lake).await;

    // Above a threshold nothing is compacted.
    let lenient = MaintainOptions {
        delete_threshold: 0.99,
        retain: Duration::from_secs(3600),
        orphan_grace: Duration::from_secs(3600),
    };
    let reports = lake.maintain(&lenient).await.expect("maintain");
    assert!(
        reports
            .iter()
            .all(|r| r.files_compacted == 0 && r.files_removed == 0)
    );

    let strict = MaintainOptions {
        delete_threshold: 0.0,
        retain: Duration::ZERO,
        orphan_grace: Duration::ZERO,
    };
    let reports = lake.maintain(&strict).await.expect("maintain");
    let fact = reports
        .iter()
        .find(|r| r.table == "fact_games")
        .expect("fact report");
    assert!(fact.files_compacted >= 1, "{fact:?}");
    assert_eq!(
        fact.rows_dropped, changed,
        "one fact row replaced per changed game"
    );
    assert!(
        fact.snapshots_expired >= 1 && fact.files_removed >= 1,
        "{fact:?}"
    );

    assert_eq!(
        contents_by_natural_key(&lake).await,
        rows,
        "maintenance changed the data"
    );
    assert_eq!(keys(&lake).await, key_pairs);
    for info in lake.infos().await.expect("infos") {
        assert_eq!(info.snapshots, 1, "{}: old snapshots kept", info.name);
        let table = lake.load(&info.name).await.expect("load").expect("table");
        let files = TableFiles::load(&table).await.expect("files");
        assert!(
            files.delete_files.is_empty(),
            "{}: delete files left",
            info.name
        );
        let data = root.join("wh/rawg").join(&info.name).join("data");
        let on_disk = support::files_under(&data);
        let empty = support::empty_folders_under(&data);
        assert!(
            empty.is_empty(),
            "{}: empty folders left: {empty:?}",
            info.name
        );
        let live: Vec<&String> = files.files.iter().map(|f| &f.path).collect();
        assert_eq!(
            on_disk.len(),
            live.len(),
            "{}: orphan data files left: {on_disk:?} vs live {live:?}",
            info.name
        );
    }
    let seen = support::pyiceberg_read(&root.join("wh"));
    for (table, r) in &rows {
        assert_eq!(
            seen[table]["rows"].as_u64(),
            Some(r.len() as u64),
            "{table}"
        );
    }

    // Idempotent: a second pass finds nothing to do, and the ETL carries on.
    let again = lake.maintain(&strict).await.expect("maintain again");
    assert!(
        again
            .iter()
            .all(|r| r.files_compacted == 0 && r.files_removed == 0),
        "{again:?}"
    );
    let rerun = ingest_etl(&wh, &lake, &[&day2]).await;
    assert!(rerun.nothing_new);
}
