//! Concurrent runs: two `gamelake run` (and two `gamelake etl`) processes on one warehouse at
//! the same time. The warehouse lease makes one wait for the other; nothing is lost, doubled
//! or keyed twice, and the result equals one sequential history.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{self, contents_by_natural_key, keys};

fn gamelake(warehouse: &Path, args: &[&str]) -> std::process::Child {
    support::gamelake_at(warehouse)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn gamelake")
}

/// Starts the same command twice at once and waits for both.
async fn twice_at_once(warehouse: &Path, args: &[&str]) -> (Output, Output) {
    let (a, b) = (gamelake(warehouse, args), gamelake(warehouse, args));
    tokio::task::spawn_blocking(move || {
        (
            a.wait_with_output().expect("wait"),
            b.wait_with_output().expect("wait"),
        )
    })
    .await
    .expect("join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runs_at_once_equal_one_sequential_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let day1 = support::first_pages(&support::pages_2015(), 10, &root.join("day1"));
    let day2: PathBuf = root.join("day2");
    support::second_day(&support::pages_2015(), 10, &day2);

    let reference = root.join("reference");
    for day in [&day1, &day2] {
        let out = gamelake(
            &reference,
            &["run", "--source", day.to_str().expect("utf8")],
        )
        .wait_with_output()
        .expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let wh = root.join("concurrent");
    for day in [&day1, &day2] {
        let (a, b) = twice_at_once(&wh, &["run", "--source", day.to_str().expect("utf8")]).await;
        for out in [&a, &b] {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let waited = [&a, &b]
            .iter()
            .filter(|o| String::from_utf8_lossy(&o.stderr).contains("holds the warehouse; waiting"))
            .count();
        assert_eq!(
            waited, 1,
            "exactly one run should have waited for the other"
        );
    }
    let (a, b) = twice_at_once(&wh, &["etl"]).await;
    assert!(a.status.success() && b.status.success());

    let (_w, lake) = support::open(&wh).await;
    let (_r, lake_ref) = support::open(&reference).await;
    assert_eq!(
        contents_by_natural_key(&lake).await,
        contents_by_natural_key(&lake_ref).await,
        "concurrent runs changed the result"
    );
    assert_eq!(
        keys(&lake).await,
        keys(&lake_ref).await,
        "keys handed out twice or moved"
    );
    assert!(
        !wh.join(".gamelake-lease").exists(),
        "the lease was not released"
    );
}
