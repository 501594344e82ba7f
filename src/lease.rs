//! A lease on the warehouse: one writing command (`ingest`, `etl`, `run`, `maintain`) at a
//! time, so two runs cannot apply the same raw batch twice or hand out the same keys twice.
//!
//! The lease is a file, `<warehouse>/.gamelake-lease`, created with `create_new` (atomic on
//! local disks) and holding the holder's pid, host and command. A second process waits for it
//! (logging who holds it) up to a timeout, then fails with a clear error. A lease whose holder
//! died (same host, pid gone, e.g. after SIGKILL) is stale and taken over, so a crash never
//! blocks the next run. The file is removed when the [`Lease`] is dropped.
//!
//! Must never: let two live processes both believe they hold the lease. Local folders only,
//! like the rest of this version's storage.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

const LEASE_FILE: &str = ".gamelake-lease";

/// Who holds a lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    pub command: String,
    pub since: String,
}

/// A held lease; released on drop.
#[derive(Debug)]
pub struct Lease {
    path: PathBuf,
}

impl Lease {
    /// Takes the lease of the warehouse at `root` for `command`, waiting up to `wait`.
    pub async fn acquire(root: &Path, command: &str, wait: Duration) -> Result<Self> {
        let path = root.join(LEASE_FILE);
        let me = Holder {
            pid: std::process::id(),
            host: hostname(),
            command: command.to_string(),
            since: chrono::Utc::now().to_rfc3339(),
        };
        let started = Instant::now();
        let mut announced = false;
        loop {
            match create(&path, &me) {
                Ok(()) => return Ok(Self { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io(&path, e)),
            }
            let holder = read(&path);
            match &holder {
                Some(h) if h.host == me.host && !pid_alive(h.pid) => {
                    tracing::warn!(
                        pid = h.pid,
                        command = h.command,
                        "taking over a lease its holder left behind"
                    );
                    take_over(&path, h);
                    continue;
                }
                None => {
                    // Unreadable or vanished between our attempts: try again shortly.
                }
                Some(h) if !announced => {
                    tracing::warn!(
                        pid = h.pid,
                        host = h.host,
                        command = h.command,
                        "another gamelake run holds the warehouse; waiting"
                    );
                    announced = true;
                }
                Some(_) => {}
            }
            if started.elapsed() >= wait {
                let who = holder
                    .map(|h| {
                        format!(
                            "`gamelake {}` (pid {} on {}, since {})",
                            h.command, h.pid, h.host, h.since
                        )
                    })
                    .unwrap_or_else(|| "another process".to_string());
                return Err(Error::Config(format!(
                    "the warehouse is busy: {who} holds {} and {}s passed; rerun when it is done, or remove that file if that process is gone",
                    path.display(),
                    wait.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Remove only our own lease (a takeover may have replaced a stale one of ours).
        if read(&self.path).is_some_and(|h| h.pid == std::process::id()) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn create(path: &Path, me: &Holder) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    let json = serde_json::to_vec(me).map_err(std::io::Error::other)?;
    f.write_all(&json)?;
    f.sync_all()
}

fn read(path: &Path) -> Option<Holder> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Moves a stale lease aside. If another waiter replaced it meanwhile with a live lease, the
/// file moved is not the stale one: put it back.
fn take_over(path: &Path, stale: &Holder) {
    let aside = path.with_extension(format!("stale-{}-{}", stale.pid, std::process::id()));
    if std::fs::rename(path, &aside).is_ok() {
        if read(&aside).as_ref() != Some(stale) {
            let _ = std::fs::rename(&aside, path);
        } else {
            let _ = std::fs::remove_file(&aside);
        }
    }
}

fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 only checks that the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_second_taker_waits_then_fails_clearly_and_a_dead_holder_is_taken_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let held = Lease::acquire(dir.path(), "etl", Duration::ZERO)
            .await
            .expect("first");
        let err = Lease::acquire(dir.path(), "run", Duration::from_millis(300))
            .await
            .expect_err("held");
        assert!(err.to_string().contains("gamelake etl"), "{err}");
        drop(held);
        assert!(!dir.path().join(LEASE_FILE).exists(), "lease not released");

        // A holder that no longer exists (pid beyond the kernel's range).
        let ghost = Holder {
            pid: 4_194_305,
            host: hostname(),
            command: "run".into(),
            since: "then".into(),
        };
        create(&dir.path().join(LEASE_FILE), &ghost).expect("ghost");
        let lease = Lease::acquire(dir.path(), "etl", Duration::ZERO)
            .await
            .expect("stale lease taken over");
        assert_eq!(
            read(&dir.path().join(LEASE_FILE)).map(|h| h.pid),
            Some(std::process::id())
        );
        drop(lease);
    }
}
