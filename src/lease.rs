//! A lease on the warehouse: one writing command (`ingest`, `etl`, `run`, `maintain`) at a
//! time, so two runs cannot apply the same raw batch twice or hand out the same keys twice.
//!
//! The lease is an object, `.gamelake-lease` at the warehouse root, created only if absent
//! (a conditional put: `create_new` on local disks, `If-None-Match` on S3) and holding the
//! holder's pid, host, command and the time it was last renewed. A second process waits for it
//! (logging who holds it) up to a timeout, then fails with a clear error.
//!
//! A lease is stale, and taken over with a write conditional on the stale version, when its
//! holder died on this host (pid gone, e.g. after SIGKILL) or, on S3 where the holder may be
//! another machine, when it was not renewed for [`STALE_AFTER`] (holders renew every
//! [`RENEW_EVERY`]). So a crash never blocks the next run for long. [`Lease::release`] removes
//! it; dropping a lease without releasing it removes a local one too.
//!
//! Writes are fenced ([`LeaseFence`]): a holder that stalls longer than the stale time on S3
//! (paused, swapped out) can have its lease taken over while it still runs, so before it
//! publishes, a run proves the lease is still its own. On S3 that proof is a renewal
//! conditional on the version it last wrote, which also gives the publish a full stale
//! period; with the embedded catalog the check runs inside the publishing SQLite
//! transaction. A run that lost its lease stops with [`Error::LeaseLost`] and publishes
//! nothing.
//!
//! The stale time comes in [`LeaseSettings`] ([`STALE_AFTER`] unless the settings'
//! `GAMELAKE_LEASE_STALE_SECS` set another; tests use a few seconds); holders renew six times
//! per stale period. Nothing here reads the environment.
//!
//! Must never: hand the lease to a second process while the holder is alive and renewing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::storage::{Version, Warehouse};
use crate::{Error, Result};

const LEASE_FILE: &str = ".gamelake-lease";
/// A lease on S3 not renewed for this long belongs to a dead holder (by default).
pub const STALE_AFTER: Duration = Duration::from_secs(90);
/// The environment variable the settings read another stale time from, in seconds.
pub const STALE_ENV: &str = "GAMELAKE_LEASE_STALE_SECS";
/// How long a writing operation waits for another run's lease, by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(600);

/// How a run takes and keeps the lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseSettings {
    /// How long to wait for another run's lease.
    pub wait: Duration,
    /// When an S3 lease not renewed belongs to a dead holder.
    pub stale_after: Duration,
}

impl Default for LeaseSettings {
    fn default() -> Self {
        Self {
            wait: DEFAULT_WAIT,
            stale_after: STALE_AFTER,
        }
    }
}

/// Who holds a lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Its process id.
    pub pid: u32,
    /// Its host name.
    pub host: String,
    /// The gamelake command it runs.
    pub command: String,
    /// When it took the lease (RFC 3339).
    pub since: String,
    /// Last renewal (RFC 3339); the acquisition time until the first renewal.
    #[serde(default)]
    pub renewed: Option<String>,
}

impl Holder {
    fn me(command: &str) -> Self {
        let now = chrono::Utc::now().to_rfc3339();
        Self {
            pid: std::process::id(),
            host: hostname(),
            command: command.to_string(),
            since: now.clone(),
            renewed: Some(now),
        }
    }

    fn same_process(&self, other: &Holder) -> bool {
        self.pid == other.pid && self.host == other.host && self.since == other.since
    }

    fn to_bytes(&self) -> Bytes {
        Bytes::from(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Stale: its process is gone from this host, or (`by_age`) it stopped renewing.
    fn is_stale(&self, by_age: bool, stale_after: Duration) -> bool {
        if self.host == hostname() && !pid_alive(self.pid) {
            return true;
        }
        by_age
            && self
                .renewed
                .as_deref()
                .and_then(|r| chrono::DateTime::parse_from_rfc3339(r).ok())
                .is_some_and(|r| {
                    chrono::Utc::now().signed_duration_since(r)
                        > chrono::Duration::from_std(stale_after).unwrap_or(chrono::Duration::MAX)
                })
    }
}

/// A held lease. Call [`Lease::release`] when done.
#[derive(Debug)]
pub struct Lease {
    wh: Warehouse,
    me: Holder,
    heartbeat: Option<JoinHandle<()>>,
    released: bool,
    shared: Arc<Shared>,
}

/// What the holder, its heartbeat and its fences share.
#[derive(Debug)]
struct Shared {
    /// The lease object's version this holder last wrote.
    seen: Mutex<Version>,
    /// Set once the lease is known to be someone else's.
    lost: AtomicBool,
}

/// Proves, before a publish, that the lease is still this run's ([`Lease::fence`]).
#[derive(Debug, Clone)]
pub struct LeaseFence {
    wh: Warehouse,
    me: Holder,
    shared: Arc<Shared>,
}

impl LeaseFence {
    fn lost(&self) -> Error {
        self.shared.lost.store(true, Ordering::SeqCst);
        Error::LeaseLost {
            lease: format!("{}/{LEASE_FILE}", self.wh.root_url()),
        }
    }

    /// Checks that the lease is still ours. On S3 it renews the lease conditionally on the
    /// version we last wrote, so no one can take it over for a stale period from now.
    pub async fn check(&self) -> Result<()> {
        if self.shared.lost.load(Ordering::SeqCst) {
            return Err(self.lost());
        }
        if self.wh.local_root().is_some() {
            return self.check_local();
        }
        let mut seen = self.shared.seen.lock().await;
        let mut renewed = self.me.clone();
        renewed.renewed = Some(chrono::Utc::now().to_rfc3339());
        if !self
            .wh
            .replace_if_unchanged(LEASE_FILE, renewed.to_bytes(), &seen)
            .await?
        {
            return Err(self.lost());
        }
        if let Some((_, v)) = self.wh.get_versioned(LEASE_FILE).await? {
            *seen = v;
        }
        Ok(())
    }

    /// The check for a local warehouse, without async: reads the lease file. Used inside
    /// the embedded catalog's publishing transaction.
    pub fn check_local(&self) -> Result<()> {
        let Some(root) = self.wh.local_root() else {
            return Ok(());
        };
        let path = root.join(LEASE_FILE);
        let ours = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Holder>(&b).ok())
            .is_some_and(|h| h.same_process(&self.me));
        if ours { Ok(()) } else { Err(self.lost()) }
    }
}

impl Lease {
    /// Takes the lease of the warehouse for `command`, waiting up to `settings.wait`.
    pub async fn acquire(wh: &Warehouse, command: &str, settings: LeaseSettings) -> Result<Self> {
        let wait = settings.wait;
        // Age-based staleness needs renewals, which only S3 leases get: a local holder is on
        // this host, where the pid tells.
        let remote = wh.local_root().is_none();
        let me = Holder::me(command);
        let started = Instant::now();
        let mut announced = false;
        loop {
            if wh.create_if_absent(LEASE_FILE, me.to_bytes()).await? {
                return Self::held(wh, me, settings).await;
            }
            let current = wh.get_versioned(LEASE_FILE).await?;
            let holder = current
                .as_ref()
                .and_then(|(bytes, _)| serde_json::from_slice::<Holder>(bytes).ok());
            match (&holder, &current) {
                (Some(h), Some((_, version))) if h.is_stale(remote, settings.stale_after) => {
                    tracing::warn!(
                        pid = h.pid,
                        host = h.host,
                        command = h.command,
                        "taking over a lease its holder left behind"
                    );
                    if wh
                        .replace_if_unchanged(LEASE_FILE, me.to_bytes(), version)
                        .await?
                    {
                        return Self::held(wh, me, settings).await;
                    }
                    continue;
                }
                (Some(h), _) if !announced => {
                    tracing::warn!(
                        pid = h.pid,
                        host = h.host,
                        command = h.command,
                        "another gamelake run holds the warehouse; waiting"
                    );
                    announced = true;
                }
                // Unreadable or vanished between our attempts: try again shortly.
                _ => {}
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
                return Err(Error::LeaseBusy {
                    holder: who,
                    lease: format!("{}/{LEASE_FILE}", wh.root_url()),
                    waited_secs: wait.as_secs(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn held(wh: &Warehouse, me: Holder, settings: LeaseSettings) -> Result<Self> {
        let (_, version) = wh.get_versioned(LEASE_FILE).await?.ok_or_else(|| {
            Error::Config(format!(
                "{}/{LEASE_FILE} vanished right after it was taken; is another tool deleting it?",
                wh.root_url()
            ))
        })?;
        let shared = Arc::new(Shared {
            seen: Mutex::new(version),
            lost: AtomicBool::new(false),
        });
        let heartbeat = wh.local_root().is_none().then(|| {
            let every = settings.stale_after / 6;
            tokio::spawn(renew(wh.clone(), me.clone(), shared.clone(), every))
        });
        Ok(Self {
            wh: wh.clone(),
            me,
            heartbeat,
            released: false,
            shared,
        })
    }

    /// The fence a writer checks before it publishes.
    pub fn fence(&self) -> LeaseFence {
        LeaseFence {
            wh: self.wh.clone(),
            me: self.me.clone(),
            shared: self.shared.clone(),
        }
    }

    /// Gives the lease up (only if it is still ours).
    pub async fn release(mut self) {
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
        self.released = true;
        if let Ok(Some((bytes, _))) = self.wh.get_versioned(LEASE_FILE).await
            && serde_json::from_slice::<Holder>(&bytes).is_ok_and(|h| h.same_process(&self.me))
        {
            let _ = self.wh.delete(LEASE_FILE).await;
        }
    }
}

/// Renews the lease six times per stale period, conditional on it still being ours.
async fn renew(wh: Warehouse, me: Holder, shared: Arc<Shared>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let mut renewed = me.clone();
        renewed.renewed = Some(chrono::Utc::now().to_rfc3339());
        let mut seen = shared.seen.lock().await;
        match wh
            .replace_if_unchanged(LEASE_FILE, renewed.to_bytes(), &seen)
            .await
        {
            Ok(true) => match wh.get_versioned(LEASE_FILE).await {
                Ok(Some((_, v))) => *seen = v,
                _ => tracing::warn!("could not re-read the lease after renewing it"),
            },
            Ok(false) => {
                shared.lost.store(true, Ordering::SeqCst);
                tracing::error!(
                    "lost the warehouse lease (another process took it over); this run will \
                     stop before it publishes anything"
                );
                return;
            }
            Err(e) => tracing::warn!(error = %e, "could not renew the warehouse lease; retrying"),
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(h) = self.heartbeat.take() {
            h.abort();
        }
        if self.released {
            return;
        }
        // Without an async context only a local lease can be removed here; an S3 one goes
        // stale after STALE_AFTER.
        if let Some(root) = self.wh.local_root() {
            let path = root.join(LEASE_FILE);
            let ours = std::fs::read(&path)
                .ok()
                .and_then(|b| serde_json::from_slice::<Holder>(&b).ok())
                .is_some_and(|h| h.same_process(&self.me));
            if ours {
                let _ = std::fs::remove_file(&path);
            }
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
        let wh = Warehouse::open(dir.path().to_str().expect("utf8")).expect("wh");
        let waiting = |wait| LeaseSettings {
            wait,
            ..LeaseSettings::default()
        };
        let held = Lease::acquire(&wh, "etl", waiting(Duration::ZERO))
            .await
            .expect("first");
        let err = Lease::acquire(&wh, "run", waiting(Duration::from_millis(300)))
            .await
            .expect_err("held");
        assert!(err.to_string().contains("gamelake etl"), "{err}");
        held.release().await;
        assert!(!dir.path().join(LEASE_FILE).exists(), "lease not released");

        // A holder that no longer exists (pid beyond the kernel's range).
        let mut ghost = Holder::me("run");
        ghost.pid = 4_194_305;
        assert!(
            wh.create_if_absent(LEASE_FILE, ghost.to_bytes())
                .await
                .expect("ghost")
        );
        let lease = Lease::acquire(&wh, "etl", waiting(Duration::ZERO))
            .await
            .expect("stale lease taken over");
        let now: Holder =
            serde_json::from_slice(&wh.get(LEASE_FILE).await.expect("read")).expect("holder");
        assert_eq!(now.pid, std::process::id());
        drop(lease);
        assert!(
            !dir.path().join(LEASE_FILE).exists(),
            "drop must release a local lease"
        );
    }

    #[test]
    fn a_remote_holder_is_stale_only_after_it_stopped_renewing() {
        let mut h = Holder::me("run");
        h.host = "another-machine".into();
        assert!(!h.is_stale(true, STALE_AFTER));
        h.renewed = Some((chrono::Utc::now() - chrono::Duration::seconds(600)).to_rfc3339());
        assert!(h.is_stale(true, STALE_AFTER));
        assert!(
            !h.is_stale(false, STALE_AFTER),
            "local leases go by pid only"
        );
    }
}
