//! Production mode against real servers: SeaweedFS as the S3 store and the Iceberg REST
//! catalog (see `support::seaweed`), the `gamelake` binary run as a user would run it, and two
//! independent readers (pyiceberg through the catalog, DuckDB's iceberg extension from S3).

use gamelake::lakehouse::Lakehouse;
use gamelake::storage::Warehouse;
use std::path::Path;
use std::process::{Command, Output};

use crate::support::nessie;
use crate::support::seaweed::{self, Stack, unique};
use crate::support::{self, pairs, snapshot_ids, table_counts, text};

/// Where a production run goes: the raw warehouse, the catalog, the namespace.
pub struct Target {
    pub warehouse: String,
    pub catalog: String,
    pub namespace: String,
}

impl Target {
    /// A fresh raw prefix and namespace on the shared server.
    pub fn fresh(sw: &Stack, name: &str) -> Self {
        Self {
            warehouse: format!("s3://{}/{}", seaweed::RAW_BUCKET, unique("wh")),
            catalog: sw.catalog(),
            namespace: unique(name),
        }
    }
}

/// Runs the binary on `target` with the production environment (plus `env`), from `cwd`,
/// an empty folder: no gamelake.toml, and anything written locally by mistake would show.
pub fn gamelake(
    sw: &Stack,
    cwd: &Path,
    target: &Target,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    command(sw, cwd, target, args, env)
        .output()
        .expect("run gamelake")
}

/// The command [`gamelake`] runs, to spawn it instead.
pub fn command(
    sw: &Stack,
    cwd: &Path,
    target: &Target,
    args: &[&str],
    env: &[(&str, &str)],
) -> Command {
    let mut cmd = support::gamelake_in(cwd);
    cmd.args(["--warehouse", &target.warehouse])
        .args(["--catalog", &target.catalog])
        .args(["--namespace", &target.namespace])
        .args(args);
    for (k, v) in sw.env() {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn ok(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what} failed: {}", text(&out.stderr));
    text(&out.stderr)
}

/// A lakehouse on the shared server, in process.
pub async fn connect(sw: &Stack, warehouse: &str, namespace: &str) -> (Warehouse, Lakehouse) {
    let (s3, catalog) = sw.settings();
    let wh = Warehouse::connect(warehouse, &s3).await.expect("warehouse");
    let lake = Lakehouse::connect(&wh, namespace, &catalog, &s3)
        .await
        .expect("lakehouse");
    (wh, lake)
}

/// What pyiceberg and DuckDB read (tests/production_read.py).
pub fn independent_readers(sw: &Stack, namespace: &str) -> serde_json::Value {
    let site = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/lib");
    let mut env = sw.reader_env();
    env.push(("DUCKDB_EXTENSIONS", site.to_string_lossy().into_owned()));
    support::python_json("tests/production_read.py", [namespace], &env)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_run_on_s3_and_seaweedfs_reads_the_same_everywhere() {
    a_daily_run_reads_the_same_everywhere(seaweed::seaweed()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_run_on_s3_and_nessie_reads_the_same_everywhere_in_one_commit_a_run() {
    let sw = nessie::nessie();
    let (ns, runs) = a_daily_run_reads_the_same_everywhere(sw).await;
    // Nessie's own log: one commit per run (day 1, the rerun, day 2), named after the run,
    // changing every table the run wrote and its runs row (the rerun: its row alone).
    let log = sw.nessie_log("main");
    let mine: Vec<_> = log
        .iter()
        .filter(|(_, m)| runs.iter().any(|r| m.contains(&r.run_id)) || m.contains(&ns))
        .collect();
    println!("Nessie's log of main, this two-day run: {mine:#?}");
    for run in &runs {
        let mine: Vec<_> = log
            .iter()
            .filter(|(_, m)| m.contains(&run.run_id))
            .collect();
        assert_eq!(mine.len(), 1, "run {}: commits {mine:?}", run.run_id);
        let (hash, message) = mine[0];
        assert_eq!(message, &format!("gamelake run {}", run.run_id));
        let mut written: Vec<String> = run
            .tables
            .iter()
            .filter(|(_, t)| t.written)
            .map(|(name, _)| name.clone())
            .collect();
        written.push("gamelake_runs".into());
        written.sort();
        assert_eq!(nessie_changed(sw, hash), written, "run {}", run.run_id);
    }
    // Day 1, the rerun that found nothing new (recorded alone, in a commit of its own that
    // changes only gamelake_runs, checked above with the others), day 2.
    let statuses: Vec<&str> = runs.iter().map(|r| r.status.as_str()).collect();
    assert_eq!(
        statuses,
        ["published", "nothing-new", "published"],
        "{runs:?}"
    );
}

/// The table names a Nessie commit changed (its diff to its parent).
fn nessie_changed(sw: &Stack, hash: &str) -> Vec<String> {
    let api = sw.nessie_api.as_ref().expect("nessie");
    let out = Command::new("curl")
        .args([
            "-sf",
            &format!("{api}/trees/main@{hash}~1/diff/main@{hash}"),
        ])
        .output()
        .expect("curl");
    assert!(
        out.status.success(),
        "diff of {hash}: {}",
        text(&out.stderr)
    );
    let diff: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut names: Vec<String> = diff["diffs"]
        .as_array()
        .expect("diffs")
        .iter()
        .filter_map(|d| {
            d["key"]["elements"]
                .as_array()?
                .last()?
                .as_str()
                .map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

/// Day 1, a rerun that writes nothing, a merge-on-read day 2, on `sw`; every reader agrees.
/// Returns the namespace and the runs recorded.
async fn a_daily_run_reads_the_same_everywhere(
    sw: &Stack,
) -> (String, Vec<gamelake::runs::RunRecord>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let day1 = support::first_pages(&support::pages_2015(), 20, &root.join("day1"));
    let day2_dir = root.join("day2");
    let day2 = support::second_day(&support::pages_2015(), 20, &day2_dir);
    let cwd = root.join("cwd");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    let target = Target::fresh(sw, "prod");
    let (ns, warehouse) = (&target.namespace, &target.warehouse);
    let run = |source: &Path| {
        let source = source.to_str().expect("utf8");
        gamelake(sw, &cwd, &target, &["run", "--source", source], &[])
    };

    let first = ok(&run(&day1), "day 1");
    assert!(first.contains("800 new or changed"), "{first}");
    let (wh, lake) = connect(sw, warehouse, ns).await;
    let raw = wh.list("raw/games").await.expect("list raw");
    assert!(!raw.is_empty(), "no raw files in {warehouse}");
    let snapshots_day1 = snapshot_ids(&lake).await;
    assert_eq!(snapshots_day1.len(), support::list_tables().len());
    assert_eq!(
        table_counts(&lake).await,
        support::expected_counts(&[&day1])
    );

    // A rerun of the same day finds nothing new and commits nothing but its row.
    let again = ok(&run(&day1), "rerun");
    assert!(again.contains("nothing new"), "{again}");
    assert_eq!(
        snapshot_ids(&lake).await,
        snapshots_day1,
        "a rerun committed snapshots"
    );

    ok(&run(&day2_dir), "day 2");
    // The same two days on the embedded default give the same tables. (Dimensions keep
    // members only superseded versions carried, so counts from the newest JSON alone would
    // not do.)
    let (local_wh, local) = support::open(&root.join("embedded")).await;
    support::ingest_etl(&local_wh, &local, &[&day1]).await;
    support::ingest_etl(&local_wh, &local, &[&day2_dir]).await;
    let want = table_counts(&local).await;
    assert_eq!(table_counts(&lake).await, want);
    assert_eq!(
        want["fact_games"],
        support::expected_counts(&[&day1, &day2_dir])["fact_games"]
    );
    assert_eq!(
        support::contents_by_natural_key(&lake).await,
        support::contents_by_natural_key(&local).await
    );
    support::assert_once_each(&lake, &day2.changed).await;

    // The binary's SQL agrees.
    let count = format!("SELECT count(*) AS n FROM {ns}.fact_games");
    let out = gamelake(sw, &cwd, &target, &["sql", "--format", "csv", &count], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        format!("n\n{}", want["fact_games"])
    );

    // What Dremio needs: format version 2, no UUID columns, no refs but `main`, parquet.
    use iceberg_rust::spec::table_metadata::FormatVersion;
    use iceberg_rust::spec::types::{PrimitiveType, Type};
    for def in support::list_tables() {
        let t = lake.load(&def.name).await.expect("load").expect("table");
        let m = t.metadata();
        assert_eq!(m.format_version, FormatVersion::V2, "{}", def.name);
        assert!(
            m.refs.keys().all(|r| r == "main"),
            "{}: {:?}",
            def.name,
            m.refs.keys()
        );
        let schema = m.current_schema(None).expect("schema");
        assert!(
            schema
                .fields()
                .iter()
                .all(|f| f.field_type != Type::Primitive(PrimitiveType::Uuid)),
            "{}: a UUID column",
            def.name
        );
        let files = gamelake::lakehouse::scan::TableFiles::load(&t)
            .await
            .expect("files");
        assert!(
            files
                .files
                .iter()
                .all(|f| f.path.starts_with("s3://") && f.path.ends_with(".parquet")),
            "{}: data files not parquet in S3",
            def.name
        );
    }

    // Independent readers: pyiceberg through the REST catalog, DuckDB from S3.
    let read = independent_readers(sw, ns);
    for (table, rows) in &want {
        let t = &read[table];
        assert_eq!(
            t["pyiceberg"].as_u64(),
            Some(*rows as u64),
            "{table}: pyiceberg"
        );
        assert_eq!(t["duckdb"].as_u64(), Some(*rows as u64), "{table}: duckdb");
    }
    // And ClickHouse (chdb), with its own Iceberg reader, from S3, column by column.
    let env = sw.reader_env();
    crate::clickhouse::reads_the_same(&crate::clickhouse::chdb_read(&["rest", ns], &env), &lake)
        .await;
    // Nothing landed locally: the working folder is as empty as it started.
    assert_eq!(std::fs::read_dir(&cwd).expect("cwd").count(), 0);
    (ns.clone(), gamelake::runs::load(&lake).await.expect("runs"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_through_the_rest_catalog_all_land() {
    // Every writer but the first to commit gets HTTP 409 and must reload and retry.
    let sw = seaweed::seaweed();
    let ns = unique("race");
    let (_wh, lake) = connect(sw, &format!("s3://raw/{}", unique("wh")), &ns).await;
    let def = gamelake::schema::table("bridge_game_genre").expect("def");
    lake.append(def, pairs("bridge_game_genre", &[(0, 0)]))
        .await
        .expect("first append");
    let writers: Vec<_> = (1..=6)
        .map(|k| {
            let lake = lake.clone();
            tokio::spawn(async move {
                lake.append(def, pairs("bridge_game_genre", &[(k, k)]))
                    .await
            })
        })
        .collect();
    for w in writers {
        w.await.expect("join").expect("append after retries");
    }
    let keys = support::sql_i64(
        &lake,
        "SELECT game_key FROM rawg.bridge_game_genre ORDER BY 1",
    )
    .await;
    assert_eq!(keys, (0..=6).collect::<Vec<i64>>());
}

/// `iceberg-rest-catalog` 0.10 reports HTTP 409 as an untyped string; `catalog::is_conflict`
/// reads it. When this fails after an upgrade, the crate types its conflicts: use that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rest_catalog_reports_a_lost_race_as_an_untyped_409() {
    let sw = seaweed::seaweed();
    let ns = unique("stale");
    let (_wh, lake) = connect(sw, &format!("s3://raw/{}", unique("wh")), &ns).await;
    let def = gamelake::schema::table("bridge_game_genre").expect("def");
    lake.append(def, pairs("bridge_game_genre", &[(1, 1)]))
        .await
        .expect("append");
    let stale = lake.load(&def.name).await.expect("load").expect("table");
    lake.append(def, pairs("bridge_game_genre", &[(2, 2)]))
        .await
        .expect("append");
    let files = iceberg_rust::arrow::write::write_parquet_partitioned(
        &stale,
        futures::stream::iter(vec![Ok(pairs("bridge_game_genre", &[(3, 3)]))]),
        None,
    )
    .await
    .expect("write");
    let err = stale
        .clone()
        .new_transaction(None)
        .append_data(files)
        .commit()
        .await
        .expect_err("a stale commit must be refused");
    assert!(
        matches!(&err, iceberg_rust::error::Error::InvalidFormat(t) if t.starts_with("Response status: 409")),
        "{err:?}"
    );
    assert!(gamelake::catalog::is_conflict(&err));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_say_what_to_fix_and_leave_nothing_behind() {
    let sw = seaweed::seaweed();
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = std::fs::canonicalize(dir.path()).expect("canonical");
    let pages = support::first_pages(&support::pages_2015(), 2, &cwd.join("pages"));
    let source = pages.to_str().expect("utf8").to_string();
    let target = Target::fresh(sw, "failures");
    let closed = format!(
        "rest+http://127.0.0.1:{}",
        std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port()
    );
    let run = |warehouse: &str, catalog: &str, env: &[(&str, &str)]| {
        let target = Target {
            warehouse: warehouse.into(),
            catalog: catalog.into(),
            namespace: target.namespace.clone(),
        };
        gamelake(sw, &cwd, &target, &["run", "--source", &source], env)
    };
    let (warehouse, catalog) = (target.warehouse.as_str(), target.catalog.as_str());
    let wrong_secret = "not-the-secret-0000";
    let cases: Vec<(&str, Output, &str)> = vec![
        (
            "wrong S3 secret",
            run(
                warehouse,
                catalog,
                &[("AWS_SECRET_ACCESS_KEY", wrong_secret)],
            ),
            "refused the credentials",
        ),
        (
            "missing bucket",
            run("s3://no-such-bucket/x", catalog, &[]),
            "does not exist",
        ),
        (
            "unreachable catalog",
            run(warehouse, &closed, &[]),
            "cannot reach the catalog",
        ),
        (
            "wrong catalog credential",
            run(
                warehouse,
                catalog,
                &[("GAMELAKE_CATALOG_CREDENTIAL", "gamelake-test-admin:wrong")],
            ),
            "refused the client credentials",
        ),
        (
            "no S3 keys",
            run(warehouse, catalog, &[("AWS_ACCESS_KEY_ID", "")]),
            "AWS_ACCESS_KEY_ID",
        ),
        (
            "S3 warehouse with the embedded catalog",
            run(warehouse, "embedded", &[]),
            "REST catalog",
        ),
    ];
    for (what, out, hint) in &cases {
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{what}: succeeded");
        assert!(err.contains(hint), "{what}: {err:?} does not say {hint:?}");
        assert_eq!(
            err.trim()
                .lines()
                .filter(|l| l.starts_with("error"))
                .count(),
            1,
            "{what}: not one error line: {err}"
        );
        for secret in [seaweed::SECRET, wrong_secret] {
            assert!(!err.contains(secret), "{what}: the secret shows in {err}");
        }
    }
    // None of these runs got as far as landing a raw file.
    let (s3, _) = sw.settings();
    let wh = Warehouse::connect(warehouse, &s3).await.expect("warehouse");
    assert!(wh.list("raw").await.expect("list").is_empty());
    assert_eq!(
        std::fs::read_dir(&cwd).expect("cwd").count(),
        1,
        "only pages/"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_works_on_s3_too() {
    let sw = seaweed::seaweed();
    let (s3, _) = sw.settings();
    let wh = Warehouse::connect(&format!("s3://raw/{}", unique("lease")), &s3)
        .await
        .expect("warehouse");
    let held =
        gamelake::lease::Lease::acquire(&wh, "etl", support::waiting(std::time::Duration::ZERO))
            .await
            .expect("first");
    let err = gamelake::lease::Lease::acquire(
        &wh,
        "run",
        support::waiting(std::time::Duration::from_millis(500)),
    )
    .await
    .expect_err("held");
    assert!(err.to_string().contains("gamelake etl"), "{err}");
    held.release().await;
    gamelake::lease::Lease::acquire(&wh, "run", support::waiting(std::time::Duration::ZERO))
        .await
        .expect("free again")
        .release()
        .await;
    assert!(
        wh.list("").await.expect("list").is_empty(),
        "lease left behind"
    );

    // A holder killed on this host: taken over with a write conditional on its version.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").expect("hostname");
    let ghost = serde_json::json!({"pid": 4_194_305, "host": host.trim(), "command": "run",
        "since": "then", "renewed": chrono::Utc::now().to_rfc3339()});
    wh.put(".gamelake-lease", ghost.to_string().into())
        .await
        .expect("ghost");
    let lease =
        gamelake::lease::Lease::acquire(&wh, "etl", support::waiting(std::time::Duration::ZERO))
            .await
            .expect("stale lease taken over");
    let holder: serde_json::Value =
        serde_json::from_slice(&wh.get(".gamelake-lease").await.expect("get")).expect("json");
    assert_eq!(holder["pid"], std::process::id());
    lease.release().await;
}

/// `maintain` on S3 deletes what no retained snapshot references in batches (S3's
/// `DeleteObjects`, up to a thousand files a request), not one request a file, and nothing
/// the tables still read. A run's expiry deletes what it freed through the same call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintain_on_s3_deletes_files_in_batches_and_the_tables_read_the_same() {
    let sw = seaweed::seaweed();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let [day1, day2] = support::two_days(&root);
    let cwd = root.join("cwd");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    let target = Target::fresh(sw, "batch");
    for day in [&day1, &day2] {
        let source = day.to_str().expect("utf8");
        ok(
            &gamelake(sw, &cwd, &target, &["run", "--source", source], &[]),
            "a day",
        );
    }
    let (_wh, lake) = connect(sw, &target.warehouse, &target.namespace).await;
    let counts = table_counts(&lake).await;
    let contents = support::contents_by_natural_key(&lake).await;

    // The tables' files are in the catalog's bucket; the lease and raw files in another.
    let deletes_before = sw.s3_requests(seaweed::TABLE_BUCKET, "DELETE");
    let everything = [
        "maintain",
        "--delete-threshold",
        "0",
        "--keep-days",
        "0",
        "--orphan-grace-minutes",
        "0",
    ];
    let out = gamelake(sw, &cwd, &target, &everything, &[]);
    let said = ok(&out, "maintain");
    let deletes = sw.s3_requests(seaweed::TABLE_BUCKET, "DELETE") - deletes_before;
    let removed: u64 = said
        .lines()
        .filter_map(|l| {
            l.strip_suffix(" files removed")?
                .rsplit(' ')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    // Each table's old snapshots (day 1's, the runs table's rows) and their files go: a
    // request each would be `removed`; a batch a table is at most `tables`, and half of
    // `removed` leaves room for what tests running beside this one delete meanwhile.
    let tables = support::list_tables().len() as u64 + 1;
    assert!(removed > 2 * tables, "{removed} files removed: {said}");
    assert!(
        deletes > 0 && deletes <= removed / 2,
        "{deletes} DELETE requests for {removed} files removed (a batch a table): {said}"
    );
    assert_eq!(table_counts(&lake).await, counts, "{said}");
    assert_eq!(support::contents_by_natural_key(&lake).await, contents);
}
