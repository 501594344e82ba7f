//! Faults of the machine under a run, as a person meets them: a full disk, a warehouse
//! folder gamelake may not write, and the S3 server or the REST catalog going away in the
//! middle of a run. Each ends the run with one line that names the command, the fault in
//! plain words, where, and what to do; nothing half-done is published; after the fault is
//! fixed, a rerun finishes the job. The disk tests need root (a small tmpfs is mounted, a
//! folder made immutable), as CI and the development machines run; the server tests put a
//! forwarder (`support::proxy`) between gamelake and SeaweedFS and take it down.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::nessie;
use crate::support::seaweed::{self, Stack};
use crate::support::{self, gamelake_at, text};

fn root_or_fail() {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    assert_eq!(
        uid, 0,
        "these tests mount a tmpfs and set file attributes: run them as root"
    );
}

fn sh(cmd: &mut Command) {
    let out = cmd.output().expect("run");
    assert!(out.status.success(), "{cmd:?}: {}", text(&out.stderr));
}

/// A tmpfs of `size` at `at`, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Self {
        std::fs::create_dir_all(at).expect("mkdir");
        sh(Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at));
        Self(at.to_path_buf())
    }

    fn resize(&self, size: &str) {
        sh(Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// The one error line of a failed run.
fn failure(out: &std::process::Output) -> String {
    assert!(!out.status.success(), "the run succeeded");
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(lines.len(), 1, "not one error line: {err}");
    lines[0].to_string()
}

#[test]
fn a_full_disk_says_so_and_a_rerun_after_freeing_space_finishes() {
    root_or_fail();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let pages = support::first_pages(&support::pages_2015(), 20, &root.join("pages"));
    let disk = Tmpfs::mount(&root.join("disk"), "256k");
    let wh = root.join("disk/wh");
    let run = || {
        gamelake_at(&wh)
            .args(["run", "--source"])
            .arg(&pages)
            .output()
            .expect("run gamelake")
    };

    let line = failure(&run());
    assert!(
        line.starts_with("error: run failed, disk full: writing file://")
            && line.contains(&wh.display().to_string())
            && line.contains("Free space on the warehouse's disk and rerun"),
        "{line}"
    );

    disk.resize("64m");
    let out = run();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let facts = gamelake_at(&wh)
        .args([
            "sql",
            "--format",
            "csv",
            "SELECT count(*) AS n FROM rawg.fact_games",
        ])
        .output()
        .expect("sql");
    assert_eq!(
        text(&facts.stdout).trim(),
        "n\n800",
        "the rerun did not finish the job"
    );
}

#[test]
fn a_warehouse_gamelake_may_not_write_says_so() {
    root_or_fail();
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let pages = support::first_pages(&support::pages_2015(), 2, &root.join("pages"));
    let wh = root.join("wh");
    std::fs::create_dir_all(&wh).expect("mkdir");
    // Immutable: not even root may create a file in it.
    sh(Command::new("chattr").arg("+i").arg(&wh));
    struct Mutable(PathBuf);
    impl Drop for Mutable {
        fn drop(&mut self) {
            let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
        }
    }
    let _mutable = Mutable(wh.clone());

    let out = gamelake_at(&wh)
        .args(["run", "--source"])
        .arg(&pages)
        .output()
        .expect("run gamelake");
    let line = failure(&out);
    assert!(
        line.starts_with("error: run failed, access denied:")
            && line.contains(&wh.display().to_string())
            && line.contains("write access to the warehouse folder"),
        "{line}"
    );
}

/// `gamelake run` on S3 through forwarders to SeaweedFS's S3 and catalog, stopped at
/// `stop_at`; there `fail` goes down, the run resumes and must fail in plain words, publishing
/// nothing; with it back up, a rerun lands everything. Returns the failed run's error line.
async fn server_down_mid_run(sw: &Stack, stop_at: &str, catalog_fails: bool) -> String {
    use crate::production::{self, Target};
    use crate::support::proxy::Proxy;

    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    let day1 = support::first_pages(&support::pages_2015(), 10, &root.join("day1"));
    let cwd = root.join("cwd");
    std::fs::create_dir_all(&cwd).expect("cwd");
    let (s3, catalog) = (Proxy::start(sw.s3_port), Proxy::start(sw.catalog_port));
    let mut target = Target::fresh(sw, "down");
    target.catalog = sw.with_catalog_port(catalog.port).catalog();
    let endpoint = format!("http://127.0.0.1:{}", s3.port);
    let env = [("AWS_ENDPOINT_URL", endpoint.as_str())];
    let source = day1.to_str().expect("utf8");
    let args = ["run", "--source", source];

    let mut cmd = production::command(sw, &cwd, &target, &args, &env);
    let mut run = cmd
        .env("GAMELAKE_STOP_AT", stop_at)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    support::wait_stopped(&mut run, stop_at);
    let fail = if catalog_fails { &catalog } else { &s3 };
    fail.down();
    support::resume(&run);
    let out = run.wait_with_output().expect("run ends");
    let (line, _) = support::error_line(&out, "a run without its server");
    fail.up();

    // Nothing of the run was published: no table has a snapshot, no run is recorded.
    let (_wh, lake) = production::connect(sw, &target.warehouse, &target.namespace).await;
    let published: Vec<_> = support::snapshot_ids(&lake)
        .await
        .into_iter()
        .filter(|(_, s)| s.is_some())
        .collect();
    assert!(
        published.is_empty(),
        "published after {line}: {published:?}"
    );
    assert!(gamelake::runs::load(&lake).await.expect("runs").is_empty());

    let out = production::gamelake(sw, &cwd, &target, &args, &env);
    assert!(out.status.success(), "rerun: {}", text(&out.stderr));
    assert_eq!(
        support::table_counts(&lake).await,
        support::expected_counts(&[&day1]),
        "the rerun lands everything"
    );
    line
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_down_mid_run_fails_in_plain_words_and_a_rerun_finishes() {
    s3_down_mid_run(seaweed::seaweed()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_down_mid_run_on_nessie_fails_in_plain_words_and_a_rerun_finishes() {
    s3_down_mid_run(nessie::nessie()).await;
}

async fn s3_down_mid_run(sw: &Stack) {
    // Stopped after the first dimension is staged: the next data file cannot be written.
    let line = server_down_mid_run(sw, "etl.committed.dim_date", false).await;
    println!("S3 down mid-run ({}): {line}", sw.name);
    assert!(
        line.starts_with("error: run failed, endpoint unreachable:"),
        "{line}"
    );
    assert!(line.contains("writing the data files of table"), "{line}");
    assert!(line.contains("Check that the S3 server"), "{line}");
    assert!(
        line.contains("nothing of the failed run was published"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catalog_down_mid_run_fails_in_plain_words_and_a_rerun_finishes() {
    catalog_down_mid_run(seaweed::seaweed()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nessie_down_mid_run_fails_in_plain_words_and_a_rerun_finishes() {
    catalog_down_mid_run(nessie::nessie()).await;
}

async fn catalog_down_mid_run(sw: &Stack) {
    // Stopped with everything staged: the publish cannot reach the catalog.
    let line = server_down_mid_run(sw, "etl.before-publish", true).await;
    println!("catalog down mid-run ({}): {line}", sw.name);
    assert!(
        line.starts_with("error: REST catalog http://127.0.0.1:"),
        "{line}"
    );
    assert!(
        line.contains("publishing the run's tables") && line.contains("rerun"),
        "{line}"
    );
}
