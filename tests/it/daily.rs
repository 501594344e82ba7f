//! Weeks of daily runs in miniature: a plain daily ETL, nothing else, keeps every table's
//! files, snapshots, metadata files and its record of processed raw files bounded (it tidies
//! and expires in its own publish, leaving no file or folder behind) and ends with the tables
//! a build from scratch of the same raw files gives.

use std::path::{Path, PathBuf};

use gamelake::etl::EtlOptions;
use gamelake::lakehouse::maintain::{RUNS_TABLE_FILES, TidyPolicy};

use crate::support;

const DAYS: usize = 24;

/// `gamelake generate`: 3,000 games and `DAYS` daily deltas under `root`.
fn generate(root: &Path) -> (PathBuf, Vec<PathBuf>) {
    let pages = root.join("pages");
    let out = support::gamelake_in(root)
        .args(["generate", "--games", "3000", "--days", &DAYS.to_string()])
        .args(["--delta-changed", "0.02", "--delta-new", "0.005", "--out"])
        .arg(&pages)
        .arg("--from")
        .arg(support::pages_2015())
        .output()
        .expect("generate");
    assert!(out.status.success(), "{}", support::text(&out.stderr));
    let days = (1..=DAYS)
        .map(|d| PathBuf::from(format!("{}-day-{d:03}", pages.display())))
        .collect();
    (pages, days)
}

/// Every file under `folder`, as absolute paths.
fn files_under(folder: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(folder).expect("folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path.to_string_lossy().into_owned());
        }
    }
    out
}

/// The names of a table's metadata files on disk.
fn metadata_files(root: &Path, table: &str) -> Vec<String> {
    let dir = root.join("daily").join("rawg").join(table).join("metadata");
    std::fs::read_dir(&dir)
        .expect("metadata folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".metadata.json"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_runs_keep_files_and_snapshots_bounded_and_agree_with_a_build_from_scratch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let (pages, days) = generate(&root);
    let (wh, lake) = support::open(&root.join("daily")).await;
    // Every snapshot is older than a keep period of 0: each table expires its old ones in
    // batches, as a real daily job does a week on; batches of 8, so the days below expire
    // each table's snapshots a few times (the default batch is larger than the test's days).
    let opts = EtlOptions {
        keep_snapshots: std::time::Duration::ZERO,
        expire_batch: 8,
        ..Default::default()
    };
    assert!(
        opts.expire_batch + 2 < DAYS,
        "the days must expire snapshots"
    );
    support::ingest_dir(&wh, &pages).await;
    support::etl(&wh, &lake, &opts).await.expect("day 1");
    let policy = TidyPolicy::default();
    let tables = support::list_tables().len() + 1;
    let (mut tidied, mut expired) = (0, 0);
    for (day, pages) in days.iter().enumerate() {
        support::ingest_dir(&wh, pages).await;
        let report = support::etl(&wh, &lake, &opts).await.expect("a day");
        tidied += usize::from(report.tidied.is_some());
        expired += usize::from(report.expired.is_some());
        // The record of the raw files processed stays a few dozen bytes, however many land.
        let record = lake
            .property("fact_games", gamelake::etl::RAW_FILES_PROPERTY)
            .await
            .expect("property")
            .expect("a processed-files record");
        assert!(record.len() < 200, "day {}: {record}", day + 2);
        for t in lake.infos().await.expect("infos") {
            // One table is tidied a run, the most overdue: none waits more than a run per
            // table past the policy.
            for (what, count, bound) in [
                (
                    "delete files",
                    t.delete_files as usize,
                    policy.max_delete_files + tables,
                ),
                (
                    "data files",
                    t.data_files as usize,
                    policy.max_data_files + tables,
                ),
                // Due with a batch besides its current one, a table waits a run for each
                // table due before it (one is expired a run). Fewer than half the tables
                // are written every run, each gaining a snapshot a run and one more on its
                // tidy days, so `tables` more snapshots cover the wait.
                ("snapshots", t.snapshots, opts.expire_batch + tables),
                (
                    "metadata files",
                    metadata_files(&root, &t.name).len(),
                    gamelake::lakehouse::METADATA_VERSIONS_KEPT + 1,
                ),
            ] {
                assert!(
                    count <= bound,
                    "day {}: {} has {count} {what}",
                    day + 2,
                    t.name
                );
            }
            // The runs table is tidied apart, at a few files, before the run adds its row.
            if t.name == gamelake::schema::runs_table().name {
                assert!(
                    t.data_files as usize <= RUNS_TABLE_FILES + 1,
                    "day {}: the runs table has {} data files",
                    day + 2,
                    t.data_files
                );
            }
        }
    }
    assert!(tidied > 0, "no run tidied a table in {DAYS} days");
    assert!(
        expired > 0,
        "no run expired a table's snapshots in {DAYS} days"
    );
    // What expiry freed was deleted: every file on disk but the metadata JSON is one a
    // retained snapshot references.
    for t in lake.infos().await.expect("infos") {
        let table = lake.load(&t.name).await.expect("load").expect("table");
        let referenced = gamelake::lakehouse::foreign::referenced_files(&table)
            .await
            .expect("referenced");
        let folder = root.join("daily").join("rawg").join(&t.name);
        let unreferenced: Vec<String> = files_under(&folder)
            .into_iter()
            .filter(|f| !f.ends_with(".metadata.json") && !referenced.contains(f))
            .collect();
        assert!(unreferenced.is_empty(), "{}: {unreferenced:?}", t.name);
        // Nor the folders they were in: data files are written a hash folder or so each.
        let empty = support::empty_folders_under(&folder);
        assert!(empty.is_empty(), "{}: empty folders {empty:?}", t.name);
    }
    // The metadata log names the earlier metadata files still there, the newest ones.
    let fact = lake.load("fact_games").await.expect("load").expect("fact");
    let log: Vec<String> = fact
        .metadata()
        .metadata_log
        .iter()
        .map(|e| e.metadata_file.clone())
        .collect();
    assert_eq!(
        log.len(),
        gamelake::lakehouse::METADATA_VERSIONS_KEPT,
        "{log:?}"
    );
    let on_disk = metadata_files(&root, "fact_games");
    assert!(
        log.iter()
            .all(|f| on_disk.iter().any(|d| f.ends_with(d.as_str()))),
        "the log names a file that is gone: {log:?} {on_disk:?}"
    );

    // The same raw files built at once give the same tables.
    let (scratch_wh, scratch) = support::open(&root.join("scratch")).await;
    support::ingest_dir(&scratch_wh, &pages).await;
    for pages in &days {
        support::ingest_dir(&scratch_wh, pages).await;
    }
    support::etl(&scratch_wh, &scratch, &EtlOptions::default())
        .await
        .expect("build");
    assert_eq!(
        support::contents_by_natural_key(&lake).await,
        support::contents_by_natural_key(&scratch).await
    );
}

/// A `gamelake run` starts its upkeep (the tidy, the runs table's, the expiry) beside its
/// ingest, before it knows whether anything is new, and the upkeep writes only once it is
/// (the ingest kept a game): a rerun with nothing new leaves every table's files as they
/// were though a tidy is due, and the next run with something new tidies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_with_nothing_new_writes_no_file_though_a_tidy_is_due() {
    use gamelake::Gamelake;
    use gamelake::ingest::IngestOptions;
    use gamelake::progress::NoProgress;

    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let [day1, day2] = support::two_days(&root);
    let day3 = support::first_pages(&support::pages_2016(), 2, &root.join("day3"));
    let (wh, _) = support::open(&root.join("wh")).await;
    let lake = Gamelake::embedded(wh, "rawg");
    // Due at two files: after day 2 every table it wrote is.
    let opts = EtlOptions {
        tidy: TidyPolicy {
            max_delete_files: 0,
            max_data_files: 1,
            delete_threshold: 0.0,
        },
        ..Default::default()
    };
    let run = |pages: &Path| {
        let source = IngestOptions::new(pages.to_str().expect("utf8"));
        let (lake, opts) = (&lake, &opts);
        async move { lake.run(&source, opts, &mut NoProgress).await }
    };
    run(&day1).await.expect("day 1");
    run(&day2).await.expect("day 2");
    let tables = root.join("wh").join("rawg");
    let star_files = || {
        support::files_under(&tables)
            .into_iter()
            .filter(|f| !f.starts_with(&gamelake::schema::runs_table().name))
            .collect::<Vec<_>>()
    };
    let before = star_files();

    let rerun = run(&day2).await.expect("the rerun");
    assert!(rerun.etl.nothing_new, "{:?}", rerun.etl);
    assert_eq!(rerun.etl.tidied, None);
    assert_eq!(star_files(), before, "a run with nothing new wrote files");

    let next = run(&day3).await.expect("day 3");
    assert!(!next.etl.nothing_new);
    assert!(
        next.etl.tidied.is_some(),
        "the run with something new did not tidy: {:?}",
        next.etl
    );
}
