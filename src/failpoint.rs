//! Named kill points, so tests can prove what a crash leaves behind.
//!
//! When the environment variable `GAMELAKE_KILL_AT` names a point, the process sends itself
//! SIGKILL there: no destructors run, nothing is flushed, as with an OOM kill. Unset (always,
//! outside tests), a point costs one environment lookup. Points are named `<stage>.<event>`:
//! `ingest.page.<n>` after page n is taken in, `ingest.landed.<n>` after raw file n is written,
//! `etl.committed.<table>` after that table's commit.

/// The environment variable that arms a kill point.
pub const KILL_AT: &str = "GAMELAKE_KILL_AT";

/// Kills the process if `GAMELAKE_KILL_AT` names this point.
pub fn hit(point: &str) {
    if std::env::var(KILL_AT).is_ok_and(|armed| armed == point) {
        tracing::warn!(point, "kill point reached: sending SIGKILL to self");
        // SAFETY: kill(2) on our own pid with a valid signal number has no memory effects.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}
