//! Named kill points, so tests can prove what a crash leaves behind.
//!
//! When the environment variable `GAMELAKE_KILL_AT` names a point, the process sends itself
//! SIGKILL there: no destructors run, nothing is flushed, as with an OOM kill. Unset (always,
//! outside tests), a point costs one environment lookup. Points are named `<stage>.<event>`:
//! `ingest.page.<n>` after page n is taken in, `ingest.landed.<n>` after raw file n is written,
//! `etl.committed.<table>` after that table is staged, `etl.before-publish` with the run
//! staged and checked, `etl.published` right after the publish.
//!
//! `GAMELAKE_STOP_AT` names a point where the process stops itself (SIGSTOP) instead, as a
//! process paused by the operating system or a debugger would: the lease-fencing test
//! resumes it with SIGCONT after another run took the warehouse over. `GAMELAKE_PANIC_AT`
//! makes the code that reaches the point panic, as a bug would.

/// The environment variable that arms a panic point: the thread or task that reaches it
/// panics, as a bug would make it (`ingest.crawl.page`, in the crawler after each page it
/// hands over).
pub const PANIC_AT: &str = "GAMELAKE_PANIC_AT";

/// The environment variable that arms a kill point.
pub const KILL_AT: &str = "GAMELAKE_KILL_AT";
/// The environment variable that arms a stop point.
pub const STOP_AT: &str = "GAMELAKE_STOP_AT";

/// Kills (or stops) the process if `GAMELAKE_KILL_AT` (or `GAMELAKE_STOP_AT`) names this
/// point; panics if `GAMELAKE_PANIC_AT` does.
pub fn hit(point: &str) {
    if std::env::var(PANIC_AT).is_ok_and(|armed| armed == point) {
        panic!("panic point {point} reached ({PANIC_AT})");
    }
    for (var, signal, what) in [
        (KILL_AT, libc::SIGKILL, "SIGKILL"),
        (STOP_AT, libc::SIGSTOP, "SIGSTOP"),
    ] {
        if std::env::var(var).is_ok_and(|armed| armed == point) {
            tracing::warn!(point, "kill point reached: sending {what} to self");
            // SAFETY: kill(2) on our own pid with a valid signal number has no memory effects.
            unsafe {
                libc::kill(libc::getpid(), signal);
            }
        }
    }
}
