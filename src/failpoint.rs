//! Named kill points, so tests can prove what a crash leaves behind.
//!
//! When the environment variable `GAMELAKE_KILL_AT` names a point, the process sends itself
//! SIGKILL there: no destructors run, nothing is flushed, as with an OOM kill. The variables
//! are read once, at the first point reached; unset (always, outside tests), a point costs
//! a check of three empty options and allocates nothing, so the points stay in release
//! builds, where crashes are reproduced. Points are named `<stage>.<event>`:
//! `ingest.page.<n>` after page n is taken in, `ingest.landed.<n>` after raw file n is written,
//! `etl.first-loads` as a run's first loads of its tables start (beside its ingest),
//! `etl.tidy` as an incremental run's tidy starts (in its upkeep, beside its ingest or build),
//! `etl.committed.<table>` after that table is staged, `etl.upkeep` as an incremental run's
//! runs-table tidy and expiry start (after its tidy), `etl.before-publish` with the run staged and checked,
//! `etl.published` right after the publish.
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

/// The points armed in this process's environment, read once.
struct Armed {
    panic: Option<String>,
    kill: Option<String>,
    stop: Option<String>,
}

impl Armed {
    fn get() -> &'static Armed {
        static ARMED: std::sync::OnceLock<Armed> = std::sync::OnceLock::new();
        ARMED.get_or_init(|| Armed {
            panic: std::env::var(PANIC_AT).ok(),
            kill: std::env::var(KILL_AT).ok(),
            stop: std::env::var(STOP_AT).ok(),
        })
    }

    fn any(&self) -> bool {
        self.panic.is_some() || self.kill.is_some() || self.stop.is_some()
    }
}

/// Kills (or stops) the process if `GAMELAKE_KILL_AT` (or `GAMELAKE_STOP_AT`) names this
/// point; panics if `GAMELAKE_PANIC_AT` does.
pub fn hit(point: &str) {
    let armed = Armed::get();
    if armed.any() {
        reached(armed, point);
    }
}

/// [`hit`] for the numbered point `<prefix>.<n>` (e.g. `ingest.page.3`); the name is only
/// built when a point is armed.
pub fn hit_nth(prefix: &str, n: usize) {
    let armed = Armed::get();
    if armed.any() {
        reached(armed, &format!("{prefix}.{n}"));
    }
}

fn reached(armed: &Armed, point: &str) {
    if armed.panic.as_deref() == Some(point) {
        panic!("panic point {point} reached ({PANIC_AT})");
    }
    for (var, signal, what) in [
        (&armed.kill, libc::SIGKILL, "SIGKILL"),
        (&armed.stop, libc::SIGSTOP, "SIGSTOP"),
    ] {
        if var.as_deref() == Some(point) {
            tracing::warn!(point, "kill point reached: sending {what} to self");
            // SAFETY: kill(2) on our own pid with a valid signal number has no memory effects.
            unsafe {
                libc::kill(libc::getpid(), signal);
            }
        }
    }
}
