//! What Nessie does differently, tested on the real server (`support::nessie`): history is
//! its commit log, not a table's snapshots, so `--as-of`, `report --as-of` and `rollback` read
//! by commit; a run whose checks fail keeps its tables on a branch of its own
//! (write-audit-publish), which `status` lists and `maintain` drops; `maintain` leaves expiry
//! and file removal to Nessie's GC; and a catalog without the multi-table commit (a forwarder
//! in front of Nessie that answers 404 for that route) is published table by table.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::Output;

use crate::production::{self, Target};
use crate::support::nessie;
use crate::support::seaweed::Stack;
use crate::support::{self, text};

fn ok(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what}: {}", text(&out.stderr));
    text(&out.stdout) + &text(&out.stderr)
}

struct Setup {
    _dir: tempfile::TempDir,
    cwd: PathBuf,
    days: [PathBuf; 2],
    target: Target,
}

fn setup(sw: &Stack, name: &str) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let days = support::two_days(&root);
    let cwd = root.join("cwd");
    std::fs::create_dir_all(&cwd).expect("cwd");
    Setup {
        _dir: dir,
        cwd,
        days,
        target: Target::fresh(sw, name),
    }
}

impl Setup {
    fn cli(&self, sw: &Stack, args: &[&str]) -> Output {
        production::gamelake(sw, &self.cwd, &self.target, args, &[])
    }

    fn run(&self, sw: &Stack, day: usize) -> Output {
        let source = self.days[day].to_str().expect("utf8").to_string();
        self.cli(sw, &["run", "--source", &source])
    }

    /// One SQL answer through the binary, as CSV lines without the header.
    fn sql(&self, sw: &Stack, statement: &str, as_of: Option<&str>) -> Vec<String> {
        let statement = statement.replace("{ns}", &self.target.namespace);
        let mut args = vec!["sql", statement.as_str(), "--format", "csv"];
        if let Some(a) = as_of {
            args.extend(["--as-of", a]);
        }
        let out = self.cli(sw, &args);
        assert!(out.status.success(), "{statement}: {}", text(&out.stderr));
        text(&out.stdout)
            .lines()
            .skip(1)
            .map(str::to_string)
            .collect()
    }
}

/// Per table: rows and key sum, as pyiceberg and DuckDB read them at Nessie reference
/// `reference` (through the catalog URI `…/iceberg/<reference>`, the way the docs show).
fn read_at(sw: &Stack, namespace: &str, reference: Option<&str>) -> BTreeMap<String, (i64, i64)> {
    let mut at = sw.clone();
    let path = match reference {
        Some(r) => format!("/iceberg/{r}"),
        None => "/iceberg".to_string(),
    };
    at.catalog_path = path;
    production::independent_readers(&at, namespace)
        .as_object()
        .expect("object")
        .iter()
        .map(|(t, v)| {
            let n = |k: &str| v[k].as_i64().unwrap_or(-1);
            assert_eq!(n("pyiceberg"), n("duckdb"), "{t} at {reference:?}");
            (t.clone(), (n("pyiceberg"), n("key_sum")))
        })
        .collect()
}

fn without_runs(mut m: BTreeMap<String, (i64, i64)>) -> BTreeMap<String, (i64, i64)> {
    m.remove("gamelake_runs");
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_of_report_and_rollback_on_nessie_read_the_commit_a_run_published() {
    let sw = nessie::nessie();
    let s = setup(sw, "nessie_asof");
    let ns = &s.target.namespace;
    let question = "SELECT count(*), sum(game_key), sum(ratings_count) FROM {ns}.fact_games";
    ok(&s.run(sw, 0), "day 1");
    let answer1 = s.sql(sw, question, None);
    let run1 = s.sql(sw, "SELECT run_id FROM {ns}.gamelake_runs", None)[0].clone();
    let tables1 = without_runs(read_at(sw, ns, None));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let between = chrono::Utc::now()
        .naive_utc()
        .format("%Y-%m-%dT%H:%M:%S%.f")
        .to_string();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    ok(&s.run(sw, 1), "day 2");
    let answer2 = s.sql(sw, question, None);
    assert_ne!(answer1, answer2);
    let tables2 = without_runs(read_at(sw, ns, None));

    // Nessie keeps one snapshot a table: the snapshot ids of run 1 are gone from the
    // metadata, and --as-of still reads run 1, through its commit.
    let (_wh, lake) = production::connect(sw, &s.target.warehouse, ns).await;
    let fact = lake.load("fact_games").await.expect("load").expect("fact");
    assert_eq!(
        fact.metadata().snapshots.len(),
        1,
        "Nessie keeps the current snapshot only"
    );
    assert_eq!(s.sql(sw, question, Some(&run1)), answer1, "--as-of RUN");
    assert_eq!(s.sql(sw, question, Some(&between)), answer1, "--as-of TIME");

    // The commit, as other engines reach it: pyiceberg and DuckDB at `main@<hash>`.
    let (hash, message) = sw
        .nessie_log("main")
        .into_iter()
        .find(|(_, m)| m.contains(&run1))
        .expect("run 1's commit");
    assert_eq!(message, format!("gamelake run {run1}"));
    assert_eq!(
        without_runs(read_at(sw, ns, Some(&format!("main@{hash}")))),
        tables1,
        "pyiceberg and DuckDB at run 1's commit"
    );

    // The report as of run 1 shows run 1's games.
    let page = s.cwd.join("report.html");
    ok(
        &s.cli(
            sw,
            &[
                "report",
                "--out",
                page.to_str().expect("utf8"),
                "--as-of",
                &run1,
            ],
        ),
        "report --as-of",
    );
    let html = std::fs::read_to_string(&page).expect("page");
    assert!(html.contains(&run1), "the page names the run it shows");

    // Rollback through the commit: every table as run 1 left it, then the next run
    // processes day 2 again and lands where day 2 had.
    let log = ok(&s.cli(sw, &["rollback", &run1]), "rollback");
    assert!(log.contains("processes 1 raw files again"), "{log}");
    assert_eq!(
        without_runs(read_at(sw, ns, None)),
        tables1,
        "after the rollback"
    );
    ok(&s.cli(sw, &["etl"]), "etl after the rollback");
    assert_eq!(
        without_runs(read_at(sw, ns, None)),
        tables2,
        "after reprocessing"
    );
    assert_eq!(s.sql(sw, question, None), answer2);

    // Nessie owns expiry (its tables say gc.enabled=false): the most eager maintenance
    // deletes nothing there, so run 1 still reads, as the embedded catalog would not.
    for def in support::list_tables() {
        let t = lake.load(&def.name).await.expect("load").expect("table");
        assert_eq!(
            t.metadata()
                .properties
                .get("gc.enabled")
                .map(String::as_str),
            Some("false"),
            "{}",
            def.name
        );
    }
    let log = ok(
        &s.cli(
            sw,
            &[
                "maintain",
                "--keep-days",
                "0",
                "--orphan-grace-minutes",
                "0",
            ],
        ),
        "maintain",
    );
    assert!(log.contains("left to Nessie's GC"), "{log}");
    assert_eq!(
        s.sql(sw, question, Some(&run1)),
        answer1,
        "--as-of after maintain"
    );
    assert_eq!(
        without_runs(read_at(sw, ns, Some(&format!("main@{hash}")))),
        tables1,
        "run 1's commit after maintain"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_checks_fail_on_nessie_keeps_its_tables_on_a_branch_and_main_untouched() {
    let sw = nessie::nessie();
    let s = setup(sw, "nessie_wap");
    let ns = &s.target.namespace;
    ok(&s.run(sw, 0), "day 1");

    // The fixture: a genre row removed by hand while games still point at it.
    let (_wh, lake) = production::connect(sw, &s.target.warehouse, ns).await;
    support::remove_a_referenced_genre(&lake).await;
    let before = support::snapshot_ids(&lake).await;
    let main_before = without_runs(read_at(sw, ns, None));
    // `gamelake check` finds the broken relationship on Nessie's main too.
    let checked = s.cli(sw, &["check"]);
    assert_eq!(checked.status.code(), Some(1), "{}", text(&checked.stderr));
    assert!(
        text(&checked.stdout)
            .contains("FAIL bridge_game_genre: references(genre_key -> dim_genre)"),
        "{}",
        text(&checked.stdout)
    );

    let out = s.run(sw, 1);
    let log = text(&out.stderr);
    assert!(!out.status.success(), "a broken run must fail: {log}");
    assert!(log.contains("nothing was published"), "{log}");
    let runs = gamelake::runs::load(&lake).await.expect("runs");
    let failed = runs.last().expect("the failed run's row");
    assert_eq!(failed.status, gamelake::runs::RunStatus::ChecksFailed);
    let branch = format!("gamelake-run-{}", failed.run_id);
    assert_eq!(failed.audit_branch.as_deref(), Some(branch.as_str()));
    assert!(
        log.contains(&format!("kept on Nessie branch {branch}")),
        "the failure line names the branch: {log}"
    );
    println!("failed run: {log}");

    // Main is untouched (but for the failed run's row); the branch holds what the run
    // built: day 2's games, the broken dimension as it was.
    assert_eq!(
        support::snapshot_ids(&lake).await,
        before,
        "no star table moved on main"
    );
    assert_eq!(
        without_runs(read_at(sw, ns, None)),
        main_before,
        "main reads as before"
    );
    let on_branch = read_at(sw, ns, Some(&branch));
    let at_branch = lake.at_reference(&branch).expect("a Nessie lakehouse");
    let fact_on_branch =
        support::sql_i64(&at_branch, &format!("SELECT count(*) FROM {ns}.fact_games")).await[0];
    assert_eq!(on_branch["fact_games"].0, fact_on_branch);
    assert!(
        fact_on_branch
            > support::sql_i64(&lake, &format!("SELECT count(*) FROM {ns}.fact_games")).await[0],
        "the branch holds day 2's new games"
    );
    assert!(sw.nessie_branches().contains(&branch));

    // Nessie's log: the failed run's only commit on main is its row.
    let log_main = sw.nessie_log("main");
    let mine: Vec<_> = log_main
        .iter()
        .filter(|(_, m)| m.contains(&failed.run_id))
        .collect();
    assert_eq!(mine.len(), 1, "{mine:?}");
    println!("Nessie's log of main: {log_main:#?}");
    println!("Nessie's log of {branch}: {:#?}", sw.nessie_log(&branch));

    // `status` lists the branch; `maintain` drops it once past the keep period and says
    // what it leaves to Nessie's GC.
    let status = ok(&s.cli(sw, &["status"]), "status");
    assert!(status.contains(&branch), "{status}");
    let kept = ok(&s.cli(sw, &["maintain"]), "maintain");
    assert!(sw.nessie_branches().contains(&branch), "{kept}");
    let dropped = ok(
        &s.cli(sw, &["maintain", "--keep-days", "0"]),
        "maintain --keep-days 0",
    );
    assert!(
        dropped.contains(&format!("dropped Nessie branch {branch}")),
        "{dropped}"
    );
    assert!(dropped.contains("left to Nessie's GC"), "{dropped}");
    assert!(!sw.nessie_branches().contains(&branch));
    assert_eq!(
        without_runs(read_at(sw, ns, None)),
        main_before,
        "maintain changed what main reads"
    );
}

/// A run and the read-only commands (check, report, sql, status) each ask the catalog for
/// each table once, in one request. `iceberg-rest-catalog` 0.10 asks for a view (and gets a 404) before every table load
/// (`catalog::rest_tables` asks for the table alone), and every step of a run, every check
/// and every chart loads what it reads (`catalog::pinned` keeps what the command loaded
/// first).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_command_asks_the_catalog_for_each_table_once() {
    use crate::support::proxy::{Proxy, Rule};
    let sw = nessie::nessie();
    let gate = Proxy::gate(sw.catalog_port, "/tables/fact_games", Rule::Pass);
    let behind = sw.with_catalog_port(gate.port);
    let s = setup(&behind, "nessie_one_request");
    ok(&s.run(&behind, 0), "day 1");
    let report = s.cwd.join("report.html");
    let report = report.to_str().expect("utf8");
    let statement = format!(
        "SELECT count(*) FROM {ns}.fact_games f JOIN {ns}.dim_date d \
         ON f.released_date_key = d.date_key",
        ns = s.target.namespace
    );
    let commands: [(&str, Vec<&str>); 5] = [
        (
            "day 2",
            vec!["run", "--source", s.days[1].to_str().expect("utf8")],
        ),
        ("check", vec!["check"]),
        ("report", vec!["report", "--out", report]),
        ("sql", vec!["sql", &statement]),
        ("status", vec!["status"]),
    ];
    for (what, args) in commands {
        let before = gate.seen().len();
        ok(&s.cli(&behind, &args), what);
        let seen = gate.seen();
        let views: Vec<&String> = seen.iter().filter(|r| r.contains("/views/")).collect();
        assert!(
            views.is_empty(),
            "{what}: {} view requests: {views:?}",
            views.len()
        );
        let mut loads: HashMap<&str, usize> = HashMap::new();
        for request in &seen[before..] {
            let table = request
                .strip_prefix("GET ")
                .and_then(|r| r.rsplit_once("/tables/"));
            if let Some((_, table)) = table {
                *loads.entry(table).or_default() += 1;
            }
        }
        assert!(
            loads.contains_key("fact_games"),
            "{what} never loaded fact_games: {seen:?}"
        );
        let again: Vec<_> = loads.iter().filter(|(_, n)| **n > 1).collect();
        assert!(
            again.is_empty(),
            "{what} loaded tables more than once: {again:?}"
        );
    }
    // A table that is not there is still reported missing, not as an error.
    let (_, lake) = production::connect(&behind, &s.target.warehouse, &s.target.namespace).await;
    let missing = lake
        .load("no_such_table")
        .await
        .expect("a missing table loads as none");
    assert!(missing.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_catalog_without_the_multi_table_commit_is_published_table_by_table() {
    use crate::support::proxy::{Proxy, Rule};
    let sw = nessie::nessie();
    // Nessie behind a forwarder that answers 404 for POST …/transactions/commit.
    let gate = Proxy::gate(sw.catalog_port, "/transactions/commit", Rule::Refuse);
    let behind = sw.with_catalog_port(gate.port);
    let s = setup(&behind, "nessie_per_table");
    let out = s.run(&behind, 0);
    let log = ok(&out, "day 1");
    assert!(log.contains("published table by table"), "{log}");
    assert!(gate.caught() > 0, "the route was never asked for");
    let want = support::expected_counts(&[&s.days[0]]);
    let (_wh, lake) = production::connect(sw, &s.target.warehouse, &s.target.namespace).await;
    assert_eq!(support::table_counts(&lake).await, want);
    // And a rerun with nothing new still commits nothing.
    let before = support::snapshot_ids(&lake).await;
    let again = ok(&s.run(&behind, 0), "rerun");
    assert!(again.contains("nothing new"), "{again}");
    assert_eq!(support::snapshot_ids(&lake).await, before);

    // An incremental day is published in staging order too: the fact, which carries the
    // record of the raw files processed, after every other star table (its rows are read
    // and its files written beside the bridges, its commit waits for them), so a kill
    // between two commits leaves the day to be redone; the runs table last.
    let seen_before = gate.seen().len();
    ok(&s.run(&behind, 1), "day 2");
    let commits: Vec<String> = gate.seen()[seen_before..]
        .iter()
        .filter_map(|r| r.strip_prefix("POST "))
        .filter_map(|r| r.rsplit_once("/tables/").map(|(_, t)| t.to_string()))
        .collect();
    let at = |table: &str| commits.iter().position(|t| t == table);
    let fact = at("fact_games").unwrap_or_else(|| panic!("no fact commit: {commits:?}"));
    let runs = at("gamelake_runs").unwrap_or_else(|| panic!("no runs commit: {commits:?}"));
    assert!(
        commits.len() > 3 && fact + 2 == commits.len() && runs + 1 == commits.len(),
        "the fact and the runs table are not published last: {commits:?}"
    );
}
