//! What the benchmarks share: running one stage of gamelake as its own process and reading
//! what it cost from the kernel, and printing the figures as a Markdown table.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The binary under measurement.
pub const GAMELAKE: &str = env!("CARGO_BIN_EXE_gamelake");

/// What the kernel says one finished stage cost.
pub struct Cost {
    pub wall: f64,
    pub cpu: f64,
    pub peak_rss_mib: f64,
}

/// Runs `cmd` to completion with stdout to `out` and stderr to `log`; panics on failure.
pub fn measure(what: &str, cmd: &mut Command, out: &Path, log: &Path) -> Cost {
    let start = Instant::now();
    #[allow(clippy::zombie_processes)] // reaped by wait4 below
    let child = cmd
        .stdout(File::create(out).expect("stdout file"))
        .stderr(File::create(log).expect("log file"))
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: waits for the child we just spawned; `status` and `usage` outlive the call.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    // Reaped by wait4 already; `Child` must not wait again.
    std::mem::forget(child);
    let wall = start.elapsed().as_secs_f64();
    assert_eq!(rc, pid, "{what}: wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{what} failed: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Cost {
        wall,
        cpu: secs(usage.ru_utime) + secs(usage.ru_stime),
        peak_rss_mib: usage.ru_maxrss as f64 / 1024.0,
    }
}

/// `gamelake` on `warehouse` with `args`, quiet and without an API key.
pub fn gamelake(warehouse: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(GAMELAKE);
    cmd.arg("--warehouse")
        .arg(warehouse)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RAWG_API_KEY")
        .env("RUST_LOG", "warn");
    cmd
}

/// The value after flag `name`.
pub fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The stages' figures as a Markdown table, headed by what they ran on.
pub fn print_rows(title: &str, rows: &[(String, Cost, String)]) {
    println!(
        "\n{title}, {} cores\n",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| stage | wall s | CPU s | peak RSS MiB | |");
    println!("| --- | ---: | ---: | ---: | --- |");
    for (what, c, note) in rows {
        println!(
            "| {what} | {:.2} | {:.2} | {:.0} | {note} |",
            c.wall, c.cpu, c.peak_rss_mib
        );
    }
}
