//! The `gamelake` binary as a user runs it: exit codes, output, one-line errors.

use std::path::Path;
use std::process::Output;

use crate::support::{self, text};

fn gamelake(warehouse: &Path, args: &[&str]) -> Output {
    support::gamelake_at(warehouse)
        .args(args)
        .output()
        .expect("run gamelake")
}

#[test]
fn run_then_sql_then_tables() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pages = support::first_pages(&support::pages_2015(), 20, &dir.path().join("pages"));
    let wh = dir.path().join("wh");

    let out = gamelake(&wh, &["run", "--source", pages.to_str().expect("utf8")]);
    assert!(out.status.success(), "run failed: {}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("800 new or changed"),
        "{}",
        text(&out.stderr)
    );

    let out = gamelake(
        &wh,
        &[
            "sql",
            "SELECT g.name, count(*) AS games FROM rawg.fact_games f \
             JOIN rawg.bridge_game_genre b USING (game_key) \
             JOIN rawg.dim_genre g USING (genre_key) GROUP BY 1 ORDER BY 2 DESC, 1",
            "--format",
            "csv",
        ],
    );
    assert!(out.status.success(), "sql failed: {}", text(&out.stderr));
    let csv = text(&out.stdout);
    // A header, one line per row, one newline at the end: no empty record for a CSV reader.
    assert!(
        csv.ends_with('\n') && !csv.ends_with("\n\n") && !csv.contains("\n\n"),
        "{csv:?}"
    );
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("name,games"));
    let total: i64 = lines
        .map(|l| {
            l.rsplit(',')
                .next()
                .expect("count")
                .parse::<i64>()
                .expect("int")
        })
        .sum();
    let expected = support::expected_counts(&[&pages])["bridge_game_genre"] as i64;
    assert_eq!(total, expected, "genre counts do not add up to the bridge");

    let out = gamelake(
        &wh,
        &[
            "sql",
            "SELECT count(*) AS n FROM rawg.fact_games",
            "--format",
            "json",
        ],
    );
    assert_eq!(text(&out.stdout).trim(), r#"[{"n":800}]"#);

    let out = gamelake(&wh, &["tables"]);
    assert!(out.status.success());
    let listing = text(&out.stdout);
    assert_eq!(listing.lines().count(), 14, "{listing}");
    assert!(listing.contains("rawg.fact_games"));

    // A second run finds nothing new.
    let out = gamelake(&wh, &["run", "--source", pages.to_str().expect("utf8")]);
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains("nothing new"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn failures_exit_non_zero_with_one_line_on_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wh = dir.path().join("wh");
    for args in [
        vec!["ingest", "--source", "/nonexistent/pages"],
        // The default source is RAWG's API: without a key it is refused before any request.
        vec!["ingest"],
        vec!["sql", "SELECT * FROM rawg.no_such_table"],
        vec!["etl"],
        vec!["--namespace", "../../etc", "tables"],
        vec![
            "ingest",
            "--source",
            "/tmp",
            "--dates",
            "2015-12-31,2015-01-01",
        ],
    ] {
        let out = gamelake(&wh, &args);
        let err = text(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        // Progress lines may come first; the cause is one line, the last.
        let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
        assert_eq!(errors.len(), 1, "{args:?}: {err}");
        assert!(
            err.trim_end()
                .lines()
                .last()
                .unwrap_or("")
                .starts_with("error"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn generate_writes_the_same_pages_for_the_same_seed_and_touches_no_warehouse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wh = dir.path().join("wh");
    let from = support::pages_2015();
    let generate = |out: &str| {
        let out = gamelake(
            &wh,
            &[
                "generate",
                "--games",
                "200",
                "--seed",
                "5",
                "--out",
                dir.path().join(out).to_str().expect("utf8"),
                "--delta-changed",
                "0.05",
                "--delta-new",
                "0.05",
                "--from",
                from.to_str().expect("utf8"),
            ],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    };
    generate("a");
    generate("b");
    let read = |p: &str| std::fs::read(dir.path().join(p)).expect("page");
    assert_eq!(
        std::fs::read_dir(dir.path().join("a"))
            .expect("dir")
            .count(),
        5
    );
    assert_eq!(
        read("a/page-00003.json"),
        read("b/page-00003.json"),
        "not deterministic"
    );
    let delta: serde_json::Value =
        serde_json::from_slice(&read("a-delta/page-00001.json")).expect("json");
    assert_eq!(delta["results"].as_array().expect("results").len(), 20);
    assert!(!wh.exists(), "generate created a warehouse");
}
