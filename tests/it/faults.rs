//! Faults of the machine under a run, as a person meets them: a full disk and a warehouse
//! folder gamelake may not write. Each ends the run with one line that names the command,
//! the fault in plain words, the path, and what to do; after the fault is fixed, a rerun
//! finishes the job. Needs root (a small tmpfs is mounted, a folder made immutable), as CI
//! and the development machines run.

use std::path::{Path, PathBuf};
use std::process::Command;

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
