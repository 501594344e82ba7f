//! Spark and Trino on gamelake's tables: the distributed engines, built on the Java Iceberg
//! library as Dremio is, read what gamelake writes (every table, value by value, and one
//! star-schema question), maintain it as they do in production (Spark's
//! `rewrite_data_files` and `rewrite_position_delete_files`, Trino's `optimize`), and a later
//! gamelake run carries on over the files they wrote, read alike by all six readers (gamelake,
//! Spark, Trino, ClickHouse, pyiceberg, DuckDB). A commit of theirs while a run is
//! staged makes its publish fail whole, and the rerun converges.
//!
//! On Nessie (S3 on SeaweedFS) for both engines; Spark also on the embedded layout, through
//! Iceberg's JDBC catalog over `catalog.db`.

use std::path::Path;
use std::process::{Output, Stdio};

use gamelake::lakehouse::Lakehouse;

use crate::production::{self, Target};
use crate::support::engines::{
    self, SparkCatalog, Trino, assert_reads_the_same, games_per_genre, name_counts,
};
use crate::support::{self, nessie, text};

fn ok(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what} failed: {}", text(&out.stderr));
    text(&out.stderr)
}

/// Every engine reads every table as gamelake does, and answers games-per-genre alike.
async fn all_read_the_same(spark: &SparkCatalog<'_>, trino: Option<&Trino>, lake: &Lakehouse) {
    let ns = lake.namespace();
    let ours = engines::gamelake_profiles(lake).await;
    let defs = engines::published_tables(lake).await;
    assert_reads_the_same("Spark", &engines::spark_profiles(spark, ns, &defs), &ours);

    let batches = gamelake::query::sql(lake, &games_per_genre(ns), None)
        .await
        .expect("games per genre");
    let want: Vec<String> = gamelake::query::json_rows(&batches)
        .expect("rows")
        .iter()
        .map(|r| format!("{}={}", r["name"].as_str().unwrap_or("?"), r["games"]))
        .collect();
    assert!(!want.is_empty(), "no games per genre");
    let spark_rows = engines::spark_sql(spark, &[games_per_genre(&format!("gamelake.{ns}"))]);
    assert_eq!(
        name_counts(&spark_rows[0]),
        want,
        "games per genre in Spark"
    );

    if let Some(trino) = trino {
        assert_reads_the_same("Trino", &engines::trino_profiles(trino, ns, &defs), &ours);
        let rows = trino.query(&games_per_genre(&format!("nessie.\"{ns}\"")));
        assert_eq!(name_counts(&rows), want, "games per genre in Trino");
    }
}

/// A table's files, as gamelake lists them.
#[derive(Debug)]
#[allow(dead_code)] // read through Debug, in the test's output
struct Files {
    table: String,
    data: u64,
    deletes: u64,
}

async fn file_counts(lake: &Lakehouse) -> Vec<Files> {
    lake.infos()
        .await
        .expect("infos")
        .into_iter()
        .map(|i| Files {
            table: i.name,
            data: i.data_files,
            deletes: i.delete_files,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spark_and_trino_read_and_maintain_the_tables_and_a_third_day_carries_on() {
    let sw = nessie::nessie();
    let trino = engines::trino();
    let spark = SparkCatalog::Rest(sw);
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let pages = support::pages_2015();
    let day1 = support::first_pages(&pages, 20, &root.join("day1"));
    let (day2, day3) = (root.join("day2"), root.join("day3"));
    support::second_day(&pages, 20, &day2);
    let third = support::later_day(&pages, 20, &day3, 2);
    let cwd = root.join("cwd");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    let target = Target::fresh(sw, "engines");
    let run = |source: &Path| {
        let source = source.to_str().expect("utf8");
        production::gamelake(sw, &cwd, &target, &["run", "--source", source], &[])
    };

    ok(&run(&day1), "day 1");
    let (_wh, lake) = production::connect(sw, &target.warehouse, &target.namespace).await;
    all_read_the_same(&spark, Some(trino), &lake).await;

    ok(&run(&day2), "day 2");
    let before = file_counts(&lake).await;
    assert!(
        before.iter().any(|f| f.deletes > 0),
        "day 2 wrote no position deletes to read"
    );
    all_read_the_same(&spark, Some(trino), &lake).await;
    let keys_day2 = support::keys(&lake).await;
    let files_day2 = support::files_and_snapshots(&lake).await;

    // Production maintenance by the other engines.
    let ns = &target.namespace;
    let call = |procedure: &str, table: &str| {
        format!(
            "CALL gamelake.system.{procedure}(table => '{ns}.{table}', \
             options => map('rewrite-all', 'true'))"
        )
    };
    let maintained = engines::spark_sql(
        &spark,
        &[
            call("rewrite_data_files", "fact_games"),
            call("rewrite_position_delete_files", "fact_games"),
            call("rewrite_position_delete_files", "bridge_game_genre"),
        ],
    );
    let optimized = trino.query(&format!(
        "ALTER TABLE nessie.\"{ns}\".bridge_game_tag EXECUTE optimize"
    ));
    let after = file_counts(&lake).await;
    println!(
        "Spark's procedures answered {maintained:?}, Trino's optimize {optimized:?}\n\
         files before: {before:?}\nafter: {after:?}"
    );
    let files_now = support::files_and_snapshots(&lake).await;
    for table in ["fact_games", "bridge_game_tag"] {
        let (old, new) = (&files_day2[table].0, &files_now[table].0);
        assert!(
            new.iter().all(|f| !old.contains(f)),
            "{table}: a data file survived the rewrite"
        );
    }
    assert_eq!(
        support::keys(&lake).await,
        keys_day2,
        "the engines' maintenance changed the rows"
    );
    all_read_the_same(&spark, Some(trino), &lake).await;

    // Day 3, incremental, over the files the engines wrote.
    let log = ok(&run(&day3), "day 3");
    println!("day 3: {log}");
    let keys_day3 = support::keys(&lake).await;
    let moved: Vec<&String> = keys_day2
        .iter()
        .filter(|k| !keys_day3.contains(k))
        .collect();
    assert!(moved.is_empty(), "keys that moved or went: {moved:?}");
    let (local_wh, local) = support::open(&root.join("embedded")).await;
    for day in [&day1, &day2, &day3] {
        support::ingest_etl(&local_wh, &local, &[day]).await;
    }
    assert_eq!(
        support::contents_by_natural_key(&lake).await,
        support::contents_by_natural_key(&local).await,
        "three days over the engines' files differ from three days of gamelake alone"
    );
    support::assert_once_each(&lake, &third.changed).await;
    all_read_the_same(&spark, Some(trino), &lake).await;
    let env = sw.reader_env();
    crate::clickhouse::reads_the_same(&crate::clickhouse::chdb_read(&["rest", ns], &env), &lake)
        .await;
    let read = production::independent_readers(sw, ns);
    for (table, rows) in support::table_counts(&lake).await {
        let t = &read[&table];
        assert_eq!(
            t["pyiceberg"].as_u64(),
            Some(rows as u64),
            "{table}: pyiceberg"
        );
        assert_eq!(t["duckdb"].as_u64(), Some(rows as u64), "{table}: duckdb");
    }
}

/// While a run waits just before its publish, Spark commits to a table the run writes (a
/// compaction: the rows stay, the files change). The publish must fail whole, in one line
/// naming the conflict, with nothing of the run published; the rerun publishes it.
async fn a_foreign_commit_during_a_run(
    spark: &SparkCatalog<'_>,
    lake: impl AsyncFn() -> Lakehouse,
    run: impl Fn(&Path, &[(&str, &str)]) -> std::process::Command,
    days: [&Path; 2],
) {
    let [day1, day2] = days;
    ok(&run(day1, &[]).output().expect("day 1"), "day 1");
    let mut staged = run(day2, &[("GAMELAKE_STOP_AT", "etl.before-publish")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn day 2");
    support::wait_stopped(&mut staged, "etl.before-publish");

    let ns = lake().await.namespace().to_string();
    engines::spark_sql(
        spark,
        &[format!(
            "CALL gamelake.system.rewrite_data_files(table => '{ns}.fact_games', \
             options => map('rewrite-all', 'true'))"
        )],
    );
    let foreign = support::snapshot_ids(&lake().await).await;

    support::resume(&staged);
    let out = staged.wait_with_output().expect("day 2 ends");
    let log = text(&out.stderr);
    assert!(!out.status.success(), "the stale publish must fail: {log}");
    let last = log.lines().last().unwrap_or_default();
    assert!(last.contains("commit conflict on table"), "{log}");
    assert_eq!(
        support::snapshot_ids(&lake().await).await,
        foreign,
        "the failed publish changed a table"
    );

    ok(
        &run(day2, &[]).output().expect("rerun"),
        "the rerun of day 2",
    );
    let lake = lake().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (local_wh, local) = support::open(dir.path()).await;
    support::ingest_etl(&local_wh, &local, &[day1]).await;
    support::ingest_etl(&local_wh, &local, &[day2]).await;
    assert_eq!(
        support::contents_by_natural_key(&lake).await,
        support::contents_by_natural_key(&local).await
    );
    let runs = gamelake::runs::load(&lake).await.expect("runs");
    assert_eq!(runs.len(), 2, "day 1 and the rerun: {runs:?}");
    all_read_the_same(spark, None, &lake).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spark_commit_during_a_run_on_nessie_fails_its_publish_and_the_rerun_converges() {
    let sw = nessie::nessie();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let [day1, day2] = support::two_days(&root);
    let cwd = root.join("cwd");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    let target = Target::fresh(sw, "foreign");
    let run = |source: &Path, env: &[(&str, &str)]| {
        let source = source.to_str().expect("utf8");
        production::command(sw, &cwd, &target, &["run", "--source", source], env)
    };
    let lake = async || {
        production::connect(sw, &target.warehouse, &target.namespace)
            .await
            .1
    };
    a_foreign_commit_during_a_run(&SparkCatalog::Rest(sw), lake, run, [&day1, &day2]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spark_commit_during_a_run_on_the_embedded_catalog_fails_its_publish_and_the_rerun_converges()
 {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let [day1, day2] = support::two_days(&root);
    let wh = root.join("wh");
    let run = |source: &Path, env: &[(&str, &str)]| {
        let mut cmd = support::gamelake_at(&wh);
        cmd.args(["run", "--source"])
            .arg(source)
            .envs(env.iter().copied());
        cmd
    };
    let lake = async || support::open(&wh).await.1;
    a_foreign_commit_during_a_run(&SparkCatalog::Embedded(&wh), lake, run, [&day1, &day2]).await;
}

/// Spark's merge-on-read `DELETE` adds a position delete file of its own to a gamelake table
/// (an entry iceberg-rust 0.10 cannot parse: `lakehouse::foreign`). `gamelake maintain`, with
/// no grace for orphans and no compaction to fold the deletes away, must count that file as
/// referenced and keep it: otherwise the deleted rows come back, for every reader.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintain_keeps_the_delete_file_of_a_spark_delete() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let day1 = support::first_pages(&support::pages_2015(), 10, &root.join("day1"));
    let wh = root.join("wh");
    let mut run = support::gamelake_at(&wh);
    run.args(["run", "--source"]).arg(&day1);
    ok(&run.output().expect("day 1"), "day 1");
    let rows = async || support::table_counts(&support::open(&wh).await.1).await;
    let before = rows().await["bridge_game_genre"];

    let spark = SparkCatalog::Embedded(&wh);
    let t = "gamelake.rawg.bridge_game_genre";
    let answered = engines::spark_sql(
        &spark,
        &[
            format!("ALTER TABLE {t} SET TBLPROPERTIES ('write.delete.mode' = 'merge-on-read')"),
            format!("DELETE FROM {t} WHERE game_key % 5 = 0"),
            format!("SELECT count(*) FROM {t}"),
        ],
    );
    let after_delete = answered[2][0][0].as_u64().expect("a count") as usize;
    assert!(after_delete < before, "Spark deleted nothing: {answered:?}");
    assert_eq!(rows().await["bridge_game_genre"], after_delete);

    let mut maintain = support::gamelake_at(&wh);
    maintain.args([
        "maintain",
        "--delete-threshold",
        "1",
        "--keep-days",
        "0",
        "--orphan-grace-minutes",
        "0",
    ]);
    let log = ok(&maintain.output().expect("maintain"), "maintain");
    assert_eq!(
        rows().await["bridge_game_genre"],
        after_delete,
        "the rows Spark deleted came back after maintain: {log}"
    );
    let again = engines::spark_sql(&spark, &[format!("SELECT count(*) FROM {t}")]);
    assert_eq!(again[0][0][0].as_u64(), Some(after_delete as u64), "Spark");
}
