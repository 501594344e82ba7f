//! One run, one publish: what readers see when a run is killed around its publish (embedded
//! and on SeaweedFS), a run whose data checks fail, `--as-of`, snapshot lineage read by
//! pyiceberg, `gamelake_runs`, rollback, and a run that lost its lease (fencing).

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use crate::production::{self, Target};
use crate::support::nessie;
use crate::support::seaweed::{self, Stack};
use crate::support::{self, text};

/// `gamelake run --source <source>` on a local warehouse, with `env`.
fn run(warehouse: &Path, source: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = support::gamelake_at(warehouse);
    cmd.args(["run", "--source"]).arg(source);
    cmd.envs(env.iter().copied());
    cmd.output().expect("run gamelake")
}

/// `gamelake <args>` on a local warehouse.
fn cli(warehouse: &Path, args: &[&str]) -> Output {
    support::gamelake_at(warehouse)
        .args(args)
        .output()
        .expect("run gamelake")
}

fn ok(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what}: {}", text(&out.stderr));
    text(&out.stdout)
}

/// One SQL answer through the binary, as CSV lines without the header.
fn sql(warehouse: &Path, statement: &str, as_of: Option<&str>) -> Vec<String> {
    let mut args = vec!["sql", statement, "--format", "csv"];
    if let Some(a) = as_of {
        args.extend(["--as-of", a]);
    }
    ok(&cli(warehouse, &args), statement)
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect()
}

/// The id of the first run recorded in `gamelake_runs`.
fn first_run(warehouse: &Path) -> String {
    sql(
        warehouse,
        "SELECT run_id FROM rawg.gamelake_runs ORDER BY started",
        None,
    )[0]
    .clone()
}

/// What pyiceberg reads: per table, rows and key sum.
fn state(warehouse: &Path) -> BTreeMap<String, (i64, i64)> {
    let seen = support::pyiceberg_read(warehouse);
    seen.as_object()
        .expect("object")
        .iter()
        .map(|(t, v)| {
            (
                t.clone(),
                (
                    v["rows"].as_i64().expect("rows"),
                    v["key_sum"].as_i64().unwrap_or(0),
                ),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_around_the_publish_leaves_readers_the_old_run_or_the_new_one_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let [day1, day2] = support::two_days(&root);

    let reference = root.join("reference");
    ok(&run(&reference, &day1, &[]), "day 1");
    let old = state(&reference);
    ok(&run(&reference, &day2, &[]), "day 2");
    let new = state(&reference);
    assert_eq!(old["gamelake_runs"].0, 1);
    assert_eq!(new["gamelake_runs"].0, 2);
    assert_ne!(
        old["fact_games"], new["fact_games"],
        "day 2 changes the fact"
    );

    for (point, published) in [
        ("etl.tidy", false),
        ("etl.committed.dim_genre", false),
        ("etl.committed.bridge_game_tag", false),
        ("etl.committed.fact_games", false),
        ("etl.before-publish", false),
        ("etl.published", true),
    ] {
        let wh = root.join(point.replace('.', "-"));
        ok(&run(&wh, &day1, &[]), "day 1");
        let out = run(&wh, &day2, &[(support::KILL_AT, point)]);
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGKILL),
            "{point}: not killed: {}",
            text(&out.stderr)
        );
        // Every table, the runs table included, is the old run's or, once published, the
        // new run's: never a mix.
        let seen = state(&wh);
        let want = if published { &new } else { &old };
        assert_eq!(
            &seen, want,
            "after a kill at {point}, pyiceberg reads a mix"
        );
        ok(&run(&wh, &day2, &[]), "rerun of day 2");
        // After the publish, the rerun finds nothing new: the same tables, and its row.
        let mut converged = new.clone();
        if published {
            converged.get_mut("gamelake_runs").expect("runs").0 += 1;
        }
        assert_eq!(state(&wh), converged, "the rerun after {point} converges");
    }
}

/// A run loads its tables, then an incremental one tidies a staged table, tidies the runs
/// table and expires snapshots, on a task of its own beside its ingest and build. A bug that
/// panics in any of them (`GAMELAKE_PANIC_AT=etl.first-loads`, `etl.tidy`, `etl.upkeep`)
/// fails the run in a line that says what stopped and what to do, publishes nothing of it
/// (no row, the fact as it was) but keeps what its ingest landed, and the rerun publishes
/// the day without landing it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_the_first_loads_the_tidy_or_the_upkeep_fails_the_run_and_publishes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let [day1, day2] = support::two_days(&root);
    let wh = root.join("wh");
    ok(&run(&wh, &day1, &[]), "day 1");
    let fact = "SELECT game_id, updated FROM rawg.fact_games ORDER BY game_id";
    let runs = "SELECT count(*) FROM rawg.gamelake_runs";
    let day1_fact = sql(&wh, fact, None);

    let points = [
        ("etl.first-loads", "first loads"),
        ("etl.tidy", "tidy"),
        ("etl.upkeep", "upkeep"),
    ];
    for (point, what) in points {
        let out = run(&wh, &day2, &[("GAMELAKE_PANIC_AT", point)]);
        let (line, _) =
            support::error_line(&out, "a run whose first loads, tidy or upkeep panicked");
        assert!(
            line.contains(&format!("the {what} of this run's tables"))
                && line.contains("Nothing of this run was published: rerun it"),
            "{point}: {line}"
        );
        assert_eq!(
            sql(&wh, runs, None),
            ["1"],
            "{point}: the failed run has no row"
        );
        assert_eq!(
            sql(&wh, fact, None),
            day1_fact,
            "{point}: the fact is day 1's"
        );
    }

    let rerun = run(&wh, &day2, &[]);
    ok(&rerun, "the rerun");
    let summary = text(&rerun.stderr);
    assert!(
        summary.contains(" 0 new or changed,"),
        "the failed runs' ingest kept what it landed: {summary}"
    );
    assert_eq!(sql(&wh, runs, None), ["2"]);
    assert_ne!(sql(&wh, fact, None), day1_fact, "the rerun published day 2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_around_the_publish_on_seaweedfs_leaves_the_old_run_or_the_new_one() {
    a_kill_around_the_publish_leaves_the_old_run_or_the_new_one(seaweed::seaweed()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_around_the_publish_on_nessie_leaves_the_old_run_or_the_new_one() {
    a_kill_around_the_publish_leaves_the_old_run_or_the_new_one(nessie::nessie()).await;
}

async fn a_kill_around_the_publish_leaves_the_old_run_or_the_new_one(sw: &Stack) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let [day1, day2] = support::two_days(&root);
    let cwd = root.join("cwd");
    std::fs::create_dir_all(&cwd).expect("cwd");
    let go = |target: &Target, day: &Path, env: &[(&str, &str)]| {
        let source = day.to_str().expect("utf8");
        production::gamelake(sw, &cwd, target, &["run", "--source", source], env)
    };
    // Per table: rows as pyiceberg and DuckDB read them, and the key sum.
    let read = |target: &Target| -> BTreeMap<String, (i64, i64, i64)> {
        production::independent_readers(sw, &target.namespace)
            .as_object()
            .expect("object")
            .iter()
            .map(|(t, v)| {
                let n = |k: &str| v[k].as_i64().unwrap_or(-1);
                (t.clone(), (n("pyiceberg"), n("duckdb"), n("key_sum")))
            })
            .collect()
    };

    let reference = Target::fresh(sw, "pubref");
    ok(&go(&reference, &day1, &[]), "day 1");
    let old = read(&reference);
    let out = go(&reference, &day2, &[]);
    let log = text(&out.stderr);
    assert!(out.status.success(), "day 2: {log}");
    assert!(
        !log.contains("table by table"),
        "{} has the multi-table commit, so a run publishes at once: {log}",
        sw.name
    );
    let new = read(&reference);
    assert_ne!(old, new);

    for (point, published) in [("etl.before-publish", false), ("etl.published", true)] {
        let target = Target::fresh(sw, "pubkill");
        ok(&go(&target, &day1, &[]), "day 1");
        let out = go(&target, &day2, &[(support::KILL_AT, point)]);
        assert_eq!(
            out.status.signal(),
            Some(libc::SIGKILL),
            "{point}: not killed: {}",
            text(&out.stderr)
        );
        let want = if published { &new } else { &old };
        assert_eq!(
            &read(&target),
            want,
            "after a kill at {point} on {}",
            sw.name
        );
        // On S3 a killed holder's lease is taken over by pid on this host.
        ok(&go(&target, &day2, &[]), "rerun of day 2");
        // After the publish, the rerun finds nothing new: the same tables, and its row.
        let mut converged = new.clone();
        if published {
            let runs = converged.get_mut("gamelake_runs").expect("runs");
            (runs.0, runs.1) = (runs.0 + 1, runs.1 + 1);
        }
        assert_eq!(
            read(&target),
            converged,
            "the rerun after {point} converges"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_breaks_a_relationship_publishes_nothing_and_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let [day1, day2] = support::two_days(&root);
    let wh_root = root.join("wh");
    ok(&run(&wh_root, &day1, &[]), "day 1");

    // The fixture: a genre row removed by hand while games still point at it.
    let (_wh, lake) = support::open(&wh_root).await;
    let genre = support::remove_a_referenced_genre(&lake).await;
    let before = support::snapshot_ids(&lake).await;

    let out = run(&wh_root, &day2, &[]);
    let log = text(&out.stderr);
    assert!(!out.status.success(), "a broken run must fail: {log}");
    assert!(log.contains("nothing was published"), "{log}");
    let line = log
        .lines()
        .find(|l| l.starts_with("bridge_game_genre: references(genre_key -> dim_genre) failed"))
        .unwrap_or_else(|| panic!("no line names the broken relationship: {log}"));
    assert!(
        line.contains(&format!("genre_key={genre}")),
        "the line names the key: {line}"
    );

    let (_wh, lake) = support::open(&wh_root).await;
    assert_eq!(support::snapshot_ids(&lake).await, before, "no table moved");
    // The hand edit is a commit no gamelake run made: day 2 checked every row, and says why.
    let runs = sql(
        &wh_root,
        "SELECT status, checks_failed, checks_scope, checks_why FROM rawg.gamelake_runs \
         ORDER BY started",
        None,
    );
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs[1].starts_with("checks-failed,1,all,"), "{runs:?}");
    assert!(
        runs[1].contains("dim_genre has a commit that is not a gamelake run's"),
        "{runs:?}"
    );

    // `gamelake check` finds it on the published tables too, and exits non-zero.
    let out = cli(&wh_root, &["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).contains("FAIL bridge_game_genre: references(genre_key -> dim_genre)"),
        "{}",
        text(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_run_checks_the_rows_it_changed_and_every_row_when_a_full_check_is_due() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let [day1, day2] = support::two_days(&root);
    let scopes = |wh: &Path| {
        sql(
            wh,
            "SELECT status, checks_scope, checks_why FROM rawg.gamelake_runs ORDER BY started",
            None,
        )
    };

    let daily = root.join("daily");
    ok(&run(&daily, &day1, &[]), "day 1");
    let out = run(&daily, &day2, &[]);
    ok(&out, "day 2");
    let line = text(&out.stderr);
    assert!(line.contains("checks passed on the changed rows"), "{line}");
    // A rerun with nothing new records that it ran, and writes nothing else.
    let before = support::snapshot_ids(&support::open(&daily).await.1).await;
    let out = run(&daily, &day2, &[]);
    assert!(
        text(&out.stderr).contains("nothing new"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        support::snapshot_ids(&support::open(&daily).await.1).await,
        before
    );
    assert_eq!(
        scopes(&daily),
        [
            "published,all,a full build",
            "published,changed,",
            "nothing-new,,",
        ]
    );

    // With a period of 0 days, the full check is always due.
    let due = root.join("due");
    ok(&run(&due, &day1, &[]), "day 1");
    let out = run(&due, &day2, &[("GAMELAKE_FULL_CHECK_DAYS", "0")]);
    ok(&out, "day 2");
    let line = text(&out.stderr);
    assert!(
        line.contains("checks passed on every row (every row is checked every 0 s; the last full"),
        "{line}"
    );
    let rows = scopes(&due);
    assert!(
        rows[1].starts_with("published,all,every row is checked every 0 s; the last full check"),
        "{rows:?}"
    );

    // Both checked the same tables the same way: same contents.
    let (_, a) = support::open(&daily).await;
    let (_, b) = support::open(&due).await;
    assert_eq!(
        support::contents_by_natural_key(&a).await,
        support::contents_by_natural_key(&b).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_of_reads_an_earlier_run_with_lineage_and_refuses_once_it_is_expired() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let [day1, day2] = support::two_days(&root);
    let wh = root.join("wh");
    let question = "SELECT count(*), sum(game_key), sum(ratings_count) FROM rawg.fact_games";
    let tags = "SELECT count(*) FROM rawg.bridge_game_tag";

    ok(&run(&wh, &day1, &[]), "day 1");
    let (answer1, tags1) = (sql(&wh, question, None), sql(&wh, tags, None));
    let run1 = sql(&wh, "SELECT run_id FROM rawg.gamelake_runs", None)[0].clone();
    std::thread::sleep(Duration::from_millis(1100));
    let between = chrono::Utc::now()
        .naive_utc()
        .format("%Y-%m-%dT%H:%M:%S%.f")
        .to_string();
    std::thread::sleep(Duration::from_millis(1100));
    ok(&run(&wh, &day2, &[]), "day 2");
    let answer2 = sql(&wh, question, None);
    assert_ne!(answer1, answer2);

    assert_eq!(sql(&wh, question, Some(&run1)), answer1, "--as-of RUN");
    assert_eq!(sql(&wh, tags, Some(&run1)), tags1, "--as-of RUN, a bridge");
    assert_eq!(sql(&wh, question, Some(&between)), answer1, "--as-of TIME");
    let out = cli(&wh, &["sql", "SELECT 1", "--as-of", "no-such-run"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains(&run1),
        "an unknown run lists the known ones: {}",
        text(&out.stderr)
    );

    // pyiceberg: the runs table, each snapshot's parent, and time travel to run 1's.
    let seen = support::pyiceberg_read_with(&wh, &["history"]);
    assert_eq!(seen["gamelake_runs"]["rows"].as_i64(), Some(2));
    let (_w, lake) = support::open(&wh).await;
    let recorded = gamelake::runs::load(&lake).await.expect("runs");
    assert_eq!(recorded[0].run_id, run1);
    let fact_snapshot = recorded[0].tables["fact_games"]
        .snapshot_id
        .expect("run 1's fact snapshot");
    // Every table's snapshots form one chain from its first: each later one names its
    // parent (the log's order is not the metadata's, so the chain is walked); DuckDB's time
    // travel reads each snapshot as pyiceberg's does.
    for (table, t) in seen.as_object().expect("tables") {
        let history = t["history"].as_array().expect("history");
        for s in history {
            assert_eq!(s["rows"], s["duckdb_rows"], "{table}: time travel to {s}");
        }
        let parent_of: BTreeMap<i64, Option<i64>> = history
            .iter()
            .map(|s| {
                (
                    s["snapshot_id"].as_i64().expect("id"),
                    s["parent_id"].as_i64(),
                )
            })
            .collect();
        let roots = parent_of.values().filter(|p| p.is_none()).count();
        assert_eq!(
            roots, 1,
            "{table}: one snapshot without a parent: {history:?}"
        );
        let mut walked = 1;
        let mut at = t["current"].as_i64().expect("current");
        while let Some(Some(parent)) = parent_of.get(&at) {
            at = *parent;
            walked += 1;
        }
        assert_eq!(
            walked,
            history.len(),
            "{table}: the current snapshot's ancestors are all its snapshots: {history:?}"
        );
    }
    let fact = &seen["fact_games"]["history"];
    let at_run1 = fact
        .as_array()
        .expect("history")
        .iter()
        .find(|s| s["snapshot_id"].as_i64() == Some(fact_snapshot))
        .expect("run 1's snapshot in pyiceberg's history");
    assert_eq!(
        at_run1["rows"].as_i64().map(|n| n.to_string()),
        answer1[0].split(',').next().map(str::to_string),
        "pyiceberg's time travel to run 1 reads run 1's rows"
    );

    // Once maintenance expired run 1's snapshots, --as-of refuses in plain words.
    ok(
        &cli(&wh, &["maintain", "--keep-days", "0"]),
        "maintain --keep-days 0",
    );
    let out = cli(&wh, &["sql", question, "--as-of", &run1]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("expired by `gamelake maintain`") && err.contains("can no longer be read"),
        "{err}"
    );
    assert_eq!(sql(&wh, question, None), answer2, "today still reads");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_publishes_an_earlier_run_and_the_next_run_processes_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let [day1, day2] = support::two_days(&root);
    let wh = root.join("wh");
    ok(&run(&wh, &day1, &[]), "day 1");
    let old = state(&wh);
    ok(&run(&wh, &day2, &[]), "day 2");
    let new = state(&wh);
    let (_w, lake) = support::open(&wh).await;
    let new_contents = support::contents_by_natural_key(&lake).await;
    let run1 = first_run(&wh);

    let out = cli(&wh, &["rollback", &run1]);
    let log = ok(&out, "rollback") + &text(&out.stderr);
    assert!(log.contains("processes 1 raw files again"), "{log}");
    let rolled = state(&wh);
    for (table, want) in &old {
        if table != "gamelake_runs" {
            assert_eq!(&rolled[table], want, "{table} after the rollback");
        }
    }
    let runs = sql(
        &wh,
        "SELECT command, status, rolled_back_to FROM rawg.gamelake_runs ORDER BY started",
        None,
    );
    assert_eq!(runs[2], format!("rollback,rolled-back,{run1}"), "{runs:?}");
    let status = ok(&cli(&wh, &["status"]), "status");
    assert!(
        status.contains("runs (newest first, from gamelake_runs):")
            && status.contains(&run1)
            && status.contains("rollback")
            && status.contains("fact_games"),
        "status lists the runs and the tables: {status}"
    );

    // The next run processes day 2's raw file again and lands where day 2 had.
    ok(&cli(&wh, &["etl"]), "etl after the rollback");
    let again = state(&wh);
    for (table, want) in &new {
        if table != "gamelake_runs" {
            assert_eq!(&again[table], want, "{table} after reprocessing");
        }
    }
    let (_w, lake) = support::open(&wh).await;
    assert_eq!(
        support::contents_by_natural_key(&lake).await,
        new_contents,
        "the same rows as before the rollback"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_lost_its_lease_stops_without_publishing() {
    a_run_that_lost_its_lease_stops_without_publishing_on(seaweed::seaweed()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_lost_its_lease_stops_without_publishing_on_nessie() {
    a_run_that_lost_its_lease_stops_without_publishing_on(nessie::nessie()).await;
}

async fn a_run_that_lost_its_lease_stops_without_publishing_on(sw: &Stack) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let day1 = support::first_pages(&support::pages_2015(), 10, &root.join("day1"));
    let cwd = root.join("cwd");
    std::fs::create_dir_all(&cwd).expect("cwd");
    let target = Target::fresh(sw, "fence");
    let source = day1.to_str().expect("utf8");
    let stale = [("GAMELAKE_LEASE_STALE_SECS", "3")];

    // The first run stops itself with everything staged, as a paused process would.
    let mut first = production::command(
        sw,
        &cwd,
        &target,
        &["run", "--source", source],
        &[stale[0], ("GAMELAKE_STOP_AT", "etl.before-publish")],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .expect("spawn the first run");
    support::wait_stopped(&mut first, "etl.before-publish");

    // The second run finds the lease stale after 3 s, takes it over and finishes.
    let out = production::gamelake(sw, &cwd, &target, &["run", "--source", source], &stale);
    let log = text(&out.stderr);
    assert!(out.status.success(), "second run: {log}");
    assert!(log.contains("taking over a lease"), "{log}");
    let (_wh, lake) = production::connect(sw, &target.warehouse, &target.namespace).await;
    let published = support::snapshot_ids(&lake).await;
    let contents = support::contents_by_natural_key(&lake).await;

    // Resumed, the first run must stop before publishing anything.
    support::resume(&first);
    let out = first.wait_with_output().expect("first run ends");
    let log = text(&out.stderr);
    assert!(!out.status.success(), "the fenced run must fail: {log}");
    assert!(log.contains("lost the warehouse lease"), "{log}");

    let (_wh, lake) = production::connect(sw, &target.warehouse, &target.namespace).await;
    assert_eq!(
        support::snapshot_ids(&lake).await,
        published,
        "the fenced run committed something"
    );
    assert_eq!(support::contents_by_natural_key(&lake).await, contents);
    let runs = gamelake::runs::load(&lake).await.expect("runs");
    assert_eq!(runs.len(), 1, "only the second run is recorded");
}

/// A run stages a table it tidied before its writes (the fact, the runs table) and writes it
/// again last: a catalog without the multi-table commit gets the tables one commit each in
/// the order of their last commit, so the table written last is published last.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_tables_are_published_in_the_order_of_their_last_commit() {
    use gamelake::schema::table;
    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, lake) = support::open(dir.path()).await;
    let (genre, tag) = (
        table("bridge_game_genre").expect("def"),
        table("bridge_game_tag").expect("def"),
    );
    let staged = lake.staged();
    for (def, n) in [(genre, 1), (tag, 2), (genre, 3)] {
        staged
            .append(def, support::pairs(&def.name, &[(n, n)]))
            .await
            .expect("staged");
    }
    assert_eq!(
        staged.tables_in_publish_order(),
        ["bridge_game_tag", "bridge_game_genre"]
    );
    staged.discard();
}

/// Stages writes to two tables, lets another writer move the second one, and publishes:
/// the publish must fail as a conflict and leave the first table as it was too.
async fn a_publish_is_all_or_nothing(lake: &gamelake::lakehouse::Lakehouse) {
    use gamelake::schema::table;
    let (genre, tag) = (
        table("bridge_game_genre").expect("def"),
        table("bridge_game_tag").expect("def"),
    );
    lake.append(genre, support::pairs(&genre.name, &[(1, 1)]))
        .await
        .expect("genre");
    lake.append(tag, support::pairs(&tag.name, &[(1, 1)]))
        .await
        .expect("tag");
    let before = support::snapshot_ids(lake).await;

    let staged = lake.staged();
    staged
        .append(genre, support::pairs(&genre.name, &[(2, 2)]))
        .await
        .expect("staged genre");
    staged
        .append(tag, support::pairs(&tag.name, &[(2, 2)]))
        .await
        .expect("staged tag");
    assert_eq!(
        support::snapshot_ids(lake).await,
        before,
        "staged writes are invisible"
    );
    // Another writer commits to the second table meanwhile.
    lake.append(tag, support::pairs(&tag.name, &[(3, 3)]))
        .await
        .expect("concurrent tag");
    let moved = support::snapshot_ids(lake).await;

    let err = staged
        .publish(None, "gamelake test")
        .await
        .expect_err("a stale publish");
    assert!(
        matches!(err, gamelake::Error::Conflict(_)),
        "a conflict: {err}"
    );
    assert_eq!(
        support::snapshot_ids(lake).await,
        moved,
        "a failed publish changed a table"
    );
    assert_eq!(
        support::sql_i64(
            lake,
            &format!(
                "SELECT count(*) FROM {}.bridge_game_genre",
                lake.namespace()
            )
        )
        .await[0],
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_that_conflicts_on_one_table_changes_none_embedded_seaweedfs_and_nessie() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_wh, lake) = support::open(dir.path()).await;
    a_publish_is_all_or_nothing(&lake).await;

    // SeaweedFS and Nessie apply the multi-table commit's requirements to every table
    // before any.
    for sw in [seaweed::seaweed(), nessie::nessie()] {
        let target = Target::fresh(sw, "atomic");
        let (_wh, lake) = production::connect(sw, &target.warehouse, &target.namespace).await;
        a_publish_is_all_or_nothing(&lake).await;
    }
}

/// After a rollback, members only later runs had introduced (day 2's new games, a new genre
/// and tag) are out of the tables; when they come back, behind a newcomer whose ids sort
/// first (a game with id 1, a genre with a lower id), they get their old keys, and the
/// newcomers keys above every key ever given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_a_rollback_took_out_comes_back_with_its_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let [day1, day2] = support::two_days(&root);
    let wh = root.join("wh");
    ok(&run(&wh, &day1, &[]), "day 1");
    ok(&run(&wh, &day2, &[]), "day 2");
    let (_w, lake) = support::open(&wh).await;
    let keys_day2 = support::keys(&lake).await;
    let run1 = first_run(&wh);
    ok(&cli(&wh, &["rollback", &run1]), "rollback");
    let cozy = "genre 900001=";
    assert!(
        !support::keys(&lake)
            .await
            .iter()
            .any(|k| k.starts_with(cozy)),
        "day 2's genre is gone after the rollback"
    );

    // Day 3: one newcomer whose ids sort before day 2's members.
    let page: serde_json::Value =
        serde_json::from_slice(&std::fs::read(day2.join("page-0001.json")).expect("day 2"))
            .expect("json");
    let mut probe = page["results"]
        .as_array()
        .expect("results")
        .last()
        .expect("game")
        .clone();
    probe["id"] = 1.into();
    probe["slug"] = "rollback-probe".into();
    probe["name"] = "Rollback probe".into();
    probe["genres"] = serde_json::json!([{"id": 900_000, "name": "Probe", "slug": "probe"}]);
    let day3 = root.join("day3");
    std::fs::create_dir_all(&day3).expect("mkdir");
    let page3 = serde_json::json!({"count": 1, "next": null, "previous": null, "results": [probe]});
    std::fs::write(day3.join("page-0001.json"), page3.to_string()).expect("day 3");
    ok(&run(&wh, &day3, &[]), "day 3 (reprocesses day 2 too)");

    let after = support::keys(&lake).await;
    for k in &keys_day2 {
        assert!(after.contains(k), "{k} moved after the rollback");
    }
    let highest = |prefix: &str, keys: &[String]| -> i64 {
        keys.iter()
            .filter(|k| k.starts_with(prefix))
            .filter_map(|k| k.rsplit('=').next()?.parse().ok())
            .max()
            .unwrap_or(0)
    };
    let probe_key = after
        .iter()
        .find(|k| k.starts_with("game 1="))
        .expect("the newcomer");
    assert_eq!(
        probe_key,
        &format!("game 1={}", highest("game ", &keys_day2) + 1),
        "the newcomer goes above every key ever given"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_whose_answer_is_lost_on_seaweedfs_is_whole_and_a_rerun_finds_it() {
    a_publish_whose_answer_is_lost_is_whole_and_a_rerun_finds_it(seaweed::seaweed()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_whose_answer_is_lost_on_nessie_is_whole_and_a_rerun_finds_it() {
    a_publish_whose_answer_is_lost_is_whole_and_a_rerun_finds_it(nessie::nessie()).await;
}

/// The catalog applies the multi-table commit but its answer never arrives (a forwarder
/// cuts the connection after the server answered): the run fails saying the outcome is the
/// catalog's; readers see the run whole; a rerun finds nothing new and records nothing twice.
async fn a_publish_whose_answer_is_lost_is_whole_and_a_rerun_finds_it(sw: &Stack) {
    use crate::support::proxy::{Proxy, Rule};
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let day1 = support::first_pages(&support::pages_2015(), 10, &root.join("day1"));
    let cwd = root.join("cwd");
    std::fs::create_dir_all(&cwd).expect("cwd");
    let source = day1.to_str().expect("utf8");
    let gate = Proxy::gate(sw.catalog_port, "/transactions/commit", Rule::LoseAnswer);
    let mut target = Target::fresh(sw, "lost");
    let direct = std::mem::replace(
        &mut target.catalog,
        sw.with_catalog_port(gate.port).catalog(),
    );
    let out = production::gamelake(sw, &cwd, &target, &["run", "--source", source], &[]);
    let (line, log) = support::error_line(&out, "a run without its answer");
    assert_eq!(gate.caught(), 1, "one publish was sent: {log}");
    assert!(
        line.contains("publishing the run's tables")
            && line.contains("unless the catalog applied it"),
        "{line}"
    );

    target.catalog = direct;
    let (_wh, lake) = production::connect(sw, &target.warehouse, &target.namespace).await;
    assert_eq!(
        support::table_counts(&lake).await,
        support::expected_counts(&[&day1]),
        "the catalog applied the publish whole"
    );
    let published = support::snapshot_ids(&lake).await;
    let out = production::gamelake(sw, &cwd, &target, &["run", "--source", source], &[]);
    let log = text(&out.stderr);
    assert!(out.status.success(), "rerun: {log}");
    assert!(log.contains("nothing new"), "{log}");
    assert_eq!(support::snapshot_ids(&lake).await, published);
    // The lost answer's run is recorded once; the rerun records that it found nothing new.
    let runs = gamelake::runs::load(&lake).await.expect("runs");
    let statuses: Vec<&str> = runs.iter().map(|r| r.status.as_str()).collect();
    assert_eq!(statuses, ["published", "nothing-new"], "{runs:?}");
}
