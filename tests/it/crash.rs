//! What a crash leaves behind: `gamelake run` is killed with SIGKILL at points across ingest
//! and every table's commit, rerun, and the warehouse must then equal an uninterrupted
//! history's: same rows, same keys, every table readable by gamelake and pyiceberg.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;

use crate::support::{self, contents_by_natural_key, keys};

/// Runs `gamelake run --source <source>` on a warehouse, armed to die at `kill_at`.
async fn run(warehouse: &Path, source: &Path, kill_at: Option<&str>) -> std::process::Output {
    let mut cmd = support::gamelake_at(warehouse);
    cmd.args(["run", "--source"]).arg(source);
    if let Some(point) = kill_at {
        cmd.env(support::KILL_AT, point);
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("run gamelake"))
        .await
        .expect("join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kill_point_converges_after_a_rerun() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let days = support::two_days(&root);

    // The uninterrupted history.
    let reference = root.join("reference");
    for day in &days {
        let out = run(&reference, day, None).await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (_wh, lake) = support::open(&reference).await;
    let want_rows = contents_by_natural_key(&lake).await;
    let want_keys = keys(&lake).await;

    let mut points = vec!["ingest.page.1".to_string(), "ingest.landed.1".to_string()];
    points.extend(
        support::list_tables()
            .iter()
            .map(|t| format!("etl.committed.{}", t.name)),
    );
    let mut tried = 0;
    for (step, _) in days.iter().enumerate() {
        for point in &points {
            tried += 1;
            let wh = root.join(format!("k{step}-{}", point.replace('.', "-")));
            for (i, day) in days.iter().enumerate() {
                if i == step {
                    let out = run(&wh, day, Some(point)).await;
                    assert_eq!(
                        out.status.signal(),
                        Some(libc::SIGKILL),
                        "day {} with {point}: not killed: {}",
                        i + 1,
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                let out = run(&wh, day, None).await;
                assert!(
                    out.status.success(),
                    "day {} rerun after {point}: {}",
                    i + 1,
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            let (_w, lake) = support::open(&wh).await;
            let got = contents_by_natural_key(&lake).await;
            for (table, rows) in &want_rows {
                assert!(
                    got[table] == *rows,
                    "killed at {point} on day {}: {table} differs from the uninterrupted run",
                    step + 1
                );
            }
            assert_eq!(
                keys(&lake).await,
                want_keys,
                "killed at {point}: keys moved"
            );
            let seen = support::pyiceberg_read(&wh);
            for (table, rows) in &got {
                assert_eq!(
                    seen[table]["rows"].as_u64(),
                    Some(rows.len() as u64),
                    "killed at {point}: pyiceberg reads {table} differently"
                );
            }
        }
    }
    println!("kill points: {tried}, each killed the run and converged after a rerun");
}
